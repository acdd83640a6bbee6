/* Host unit tests for guest-agent/disk_id.c: a disk's serial from sysfs bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <sys/types.h>
#include <cmocka.h>

#include "devices.h"

#define B(s) (const uint8_t *)(s), sizeof(s) - 1

/* virtio-blk's "serial" attribute, or an ATA serial: padding and the newline go. */
static void test_clean(void **state)
{
	char out[24];
	serial_clean(B("BXHD00011\n"), out, sizeof(out));
	assert_string_equal(out, "BXHD00011");
	serial_clean(B("           QM00002"), out, sizeof(out));   /* ATA serials are often left-padded */
	assert_string_equal(out, "QM00002");
	serial_clean(B("SN 42  "), out, sizeof(out));
	assert_string_equal(out, "SN 42");
	serial_clean(B("odv\x01\xff"), out, sizeof(out));
	assert_string_equal(out, "odv??");
	serial_clean(B("   \n"), out, sizeof(out));
	assert_string_equal(out, "");
	serial_clean(B("\0\0\0\0"), out, sizeof(out));                 /* GET_ID with no serial */
	assert_string_equal(out, "");
	serial_clean(B("0123456789abcdefghijKLMNOP"), out, 8);          /* cut to the buffer */
	assert_string_equal(out, "0123456");
}

/* SCSI VPD page 0x80 as libata builds it from IDENTIFY words 10..19. */
static void test_vpd80(void **state)
{
	char out[24];
	static const uint8_t page[] = { 0x00, 0x80, 0x00, 0x14, ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ',
					' ', ' ', ' ', 'Q', 'M', '0', '0', '0', '0', '2' };
	vpd80_serial(page, sizeof(page), out, sizeof(out));
	assert_string_equal(out, "QM00002");
	vpd80_serial(page, 3, out, sizeof(out));                        /* no header */
	assert_string_equal(out, "");
	vpd80_serial(page, sizeof(page) - 1, out, sizeof(out));         /* length beyond the bytes */
	assert_string_equal(out, "");
	uint8_t other[sizeof(page)];
	memcpy(other, page, sizeof(page));
	other[1] = 0x83;                                                /* device identification, not 0x80 */
	vpd80_serial(other, sizeof(other), out, sizeof(out));
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_vpd80),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
