/* Test guest B: reads a byte inside odv-hv's region. odv-hv must stop it with an EPT violation naming that address. */
#include "guest.h"

int guest_main(struct odv_tg_info *info)
{
	uint64_t target = info->hv_base + info->hv_size / 2 + 0x238;
	gprintf("reading odv-hv region at 0x%lx\n", target);
	volatile uint8_t *p = (volatile uint8_t *)target;
	uint8_t v = *p;
	gprintf("FAIL read of odv-hv memory returned 0x%x instead of stopping the guest\n", v);
	guest_failures++;
	return 0;
}
