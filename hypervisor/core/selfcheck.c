/*
 * odv-hv's own code and read-only data, checksummed when it starts and
 * checked again when it stops running the guest (devirtualize, halt): the
 * guest must never reach them, by any path (EPT, DMA, a bug of ours), and
 * this is how a run shows that it did not (issue #13).
 */
#include "hv.h"

extern const uint8_t __ro_start[], __ro_end[];
static uint64_t at_start;

/*
 * FNV-1a over 64-bit words (the tail bytewise): enough to see any change;
 * nothing here needs to resist an attacker who reads the log. Words, not
 * bytes, because the check runs inside go-native's request, which the guest
 * waits for: an eighth of the iterations over about 120 KiB.
 */
static uint64_t checksum(void)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const volatile uint8_t *p = __ro_start;
	for (; p + 8 <= __ro_end; p += 8)
		h = (h ^ *(const volatile uint64_t *)p) * 0x100000001b3ull;
	for (; p < __ro_end; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	return h;
}

void selfcheck_start(void)
{
	at_start = checksum();
	pr_info("self-check: code and read-only data, %lu bytes, checksum 0x%016lx",
		(uint64_t)(__ro_end - __ro_start), at_start);
}

bool selfcheck_end(const char *when)
{
	uint64_t now = checksum();
	if (now == at_start) {
		pr_info("self-check at %s: code and read-only data unchanged (checksum 0x%016lx)", when, now);
		return true;
	}
	pr_err("self-check at %s: code or read-only data CHANGED: checksum 0x%016lx, 0x%016lx at start",
	       when, now, at_start);
	return false;
}
