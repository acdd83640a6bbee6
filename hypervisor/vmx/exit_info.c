/* Exit qualifications into structs (exit_info.h). Pure logic. */
#include "exit_info.h"

struct io_exit exit_io_info(uint64_t qual)
{
	return (struct io_exit){
		.port = (uint16_t)(qual >> 16),
		.size = (unsigned)(qual & 7) + 1,
		.in = qual & BIT(3),
		.string = qual & BIT(4),
		.rep = qual & BIT(5),
	};
}

struct cr_exit exit_cr_info(uint64_t qual)
{
	return (struct cr_exit){
		.cr = (unsigned)(qual & 15),
		.type = (enum cr_access_type)((qual >> 4) & 3),
		.gpr = (unsigned)((qual >> 8) & 15),
		.lmsw_source = (uint16_t)(qual >> 16),
	};
}

struct ept_exit exit_ept_info(uint64_t qual, uint64_t gpa)
{
	bool linear = qual & BIT(7);
	return (struct ept_exit){
		.gpa = gpa,
		.read = qual & BIT(0),
		.write = qual & BIT(1),
		.fetch = qual & BIT(2),
		.linear_valid = linear,
		/* Bit 8 is defined only with bit 7: set = the access to the linear address itself. */
		.paging_walk = linear && !(qual & BIT(8)),
	};
}

struct msr_exit exit_msr_info(bool write, uint64_t rcx, uint64_t rax, uint64_t rdx)
{
	return (struct msr_exit){
		.index = (uint32_t)rcx,
		.write = write,
		.value = write ? (rdx << 32) | (uint32_t)rax : 0,
	};
}
