/*
 * A disk's serial, as odv compares it when it finds a disk again (devices.c):
 * pure functions over the bytes sysfs gives, host-tested (test_disk_id).
 */
#include <stddef.h>
#include <stdint.h>
#include "devices.h"

void serial_clean(const uint8_t *raw, size_t len, char *out, size_t n)
{
	size_t a = 0, b = len, k = 0;
	while (b > a && (raw[b - 1] == ' ' || raw[b - 1] == '\0' || raw[b - 1] == '\n'))
		b--;
	while (a < b && raw[a] == ' ')
		a++;
	for (size_t i = a; i < b && k + 1 < n; i++)
		out[k++] = raw[i] >= 0x20 && raw[i] <= 0x7e ? (char)raw[i] : '?';
	if (n)
		out[k] = '\0';
}

void vpd80_serial(const uint8_t *page, size_t len, char *out, size_t n)
{
	/* byte 1: page code 0x80; bytes 2-3: length of what follows the 4-byte header */
	if (n)
		out[0] = '\0';
	if (len < 4 || page[1] != 0x80)
		return;
	size_t body = (size_t)page[2] << 8 | page[3];
	if (body > len - 4)
		return;
	serial_clean(page + 4, body, out, n);
}
