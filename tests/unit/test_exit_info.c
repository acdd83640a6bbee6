/* Host unit tests for hypervisor/vmx/exit_info.c: exit qualifications into structs (SDM vol. 3, 28.2.1). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "exit_info.h"

/* OUT DX, AL to port 0x80: size 0 (1 byte), direction 0, DX operand, port in 31:16. */
static void test_io_out_byte(void **state)
{
	struct io_exit io = exit_io_info(0x00800008ull & ~8ull);
	assert_int_equal(io.port, 0x80);
	assert_int_equal(io.size, 1);
	assert_false(io.in);
	assert_false(io.string);
	assert_false(io.rep);
}

/* REP INSW from 0x1f0: size 1 (2 bytes), IN, string, REP. */
static void test_io_rep_insw(void **state)
{
	struct io_exit io = exit_io_info((0x1f0ull << 16) | (1 << 5) | (1 << 4) | (1 << 3) | 1);
	assert_int_equal(io.port, 0x1f0);
	assert_int_equal(io.size, 2);
	assert_true(io.in);
	assert_true(io.string);
	assert_true(io.rep);
	assert_int_equal(exit_io_info(3).size, 4);
}

/* MOV CR4, R9 (type 0, gpr 9); MOV RBX, CR3 (type 1, gpr 3); LMSW with source 0x000b. */
static void test_cr(void **state)
{
	struct cr_exit c = exit_cr_info(4 | (0 << 4) | (9 << 8));
	assert_int_equal(c.cr, 4);
	assert_int_equal(c.type, CR_MOV_TO);
	assert_int_equal(c.gpr, 9);
	c = exit_cr_info(3 | (1 << 4) | (3 << 8));
	assert_int_equal(c.cr, 3);
	assert_int_equal(c.type, CR_MOV_FROM);
	assert_int_equal(c.gpr, 3);
	c = exit_cr_info(0 | (3 << 4) | (0xbull << 16));
	assert_int_equal(c.type, CR_LMSW);
	assert_int_equal(c.lmsw_source, 0xb);
	assert_int_equal(exit_cr_info(2 << 4).type, CR_CLTS);
}

/* Bits 0-2: read/write/fetch; bit 7: linear address valid; bit 8 (with 7): the access itself, not the walk. */
static void test_ept(void **state)
{
	struct ept_exit e = exit_ept_info(0x2 | 0x80 | 0x100, 0xfee00300);
	assert_int_equal(e.gpa, 0xfee00300);
	assert_true(e.write);
	assert_false(e.read);
	assert_false(e.fetch);
	assert_true(e.linear_valid);
	assert_false(e.paging_walk);
	e = exit_ept_info(0x1 | 0x80, 0x1000);
	assert_true(e.read);
	assert_true(e.paging_walk);
	e = exit_ept_info(0x4, 0x1000);      /* bit 8 means nothing without bit 7 */
	assert_true(e.fetch);
	assert_false(e.linear_valid);
	assert_false(e.paging_walk);
}

static void test_msr(void **state)
{
	struct msr_exit m = exit_msr_info(true, 0xffffffff00000830ull, 0xdeadbeef12345678ull, 0x11223344ull);
	assert_int_equal(m.index, 0x830);
	assert_true(m.write);
	assert_int_equal(m.value, 0x1122334412345678ull);
	m = exit_msr_info(false, 0x3a, 5, 6);
	assert_false(m.write);
	assert_int_equal(m.value, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_io_out_byte),
		cmocka_unit_test(test_io_rep_insw),
		cmocka_unit_test(test_cr),
		cmocka_unit_test(test_ept),
		cmocka_unit_test(test_msr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
