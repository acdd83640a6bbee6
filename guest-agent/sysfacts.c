/* What the agent reads about the running system: reservation, memory map, lockdown, RAM. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <dirent.h>
#include "sysfacts.h"

/* Like the kernel's memparse: digits (0x/0 prefixes allowed) and an optional K/M/G; no sign, no blanks. */
static int parse_size(const char *s, char **end, uint64_t *out)
{
	char *e;
	if (*s < '0' || *s > '9')
		return -1;
	unsigned long long v = strtoull(s, &e, 0);
	if (e == s)
		return -1;
	switch (*e) {
	case 'K': case 'k': v <<= 10; e++; break;
	case 'M': case 'm': v <<= 20; e++; break;
	case 'G': case 'g': v <<= 30; e++; break;
	default: break;
	}
	*out = v;
	*end = e;
	return 0;
}

int parse_memmap_reservation(const char *val, uint64_t *base, uint64_t *size)
{
	char *e;
	if (parse_size(val, &e, size) || *e != '$')
		return -1;
	if (parse_size(e + 1, &e, base) || (*e && *e != ' ' && *e != ',' && *e != '\n'))
		return -1;
	return *size ? 0 : -1;
}

bool find_reservation(const char *cmdline, struct reservation *r)
{
	r->found = false;
	for (const char *p = cmdline; (p = strstr(p, "memmap=")); p += 7) {
		if (p != cmdline && p[-1] != ' ')
			continue;
		/* memmap= may list several regions separated by commas. */
		const char *v = p + 7;
		while (*v && *v != ' ' && *v != '\n') {
			uint64_t b, s;
			if (parse_memmap_reservation(v, &b, &s) == 0) {
				r->base = b;
				r->size = s;
				r->found = true;
			}
			while (*v && *v != ',' && *v != ' ' && *v != '\n')
				v++;
			if (*v == ',')
				v++;
		}
	}
	return r->found;
}

int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* procfs files may come in several reads (seq_file): read to EOF. */
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, size - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return -1;
		}
		if (r == 0 || (n += (size_t)r) == size - 1)
			break;
	}
	close(fd);
	buf[n] = 0;
	return (int)n;
}

int read_firmware_memmap(struct odv_handoff_mem *out, int max)
{
	int n = 0;
	for (int i = 0; n < max; i++) {
		char path[128], buf[64];
		uint64_t start, end;
		snprintf(path, sizeof(path), "/sys/firmware/memmap/%d/start", i);
		if (read_file(path, buf, sizeof(buf)) < 0)
			break;
		start = strtoull(buf, NULL, 0);
		snprintf(path, sizeof(path), "/sys/firmware/memmap/%d/end", i);
		if (read_file(path, buf, sizeof(buf)) < 0)
			return -1;
		end = strtoull(buf, NULL, 0);
		snprintf(path, sizeof(path), "/sys/firmware/memmap/%d/type", i);
		if (read_file(path, buf, sizeof(buf)) < 0)
			return -1;
		uint32_t type = ODV_MEM_RESERVED;
		if (!strncmp(buf, "System RAM", 10))
			type = ODV_MEM_RAM;
		else if (!strncmp(buf, "ACPI Tables", 11))
			type = ODV_MEM_ACPI;
		else if (!strncmp(buf, "ACPI Non-volatile", 17))
			type = ODV_MEM_NVS;
		out[n++] = (struct odv_handoff_mem){ start, end - start + 1, type, 0 };
	}
	/* The directory is numbered in no particular order: sort by base. */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && out[j - 1].base > out[j].base; j--) {
			struct odv_handoff_mem t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

const char *lockdown_state(char *buf, size_t size)
{
	char raw[128];
	if (read_file("/sys/kernel/security/lockdown", raw, sizeof(raw)) < 0)
		return NULL;
	/* "none [integrity] confidentiality": the bracketed one is active. */
	char *a = strchr(raw, '['), *b = a ? strchr(a, ']') : NULL;
	if (!a || !b)
		return NULL;
	size_t n = (size_t)(b - a - 1);
	if (n >= size)
		n = size - 1;
	memcpy(buf, a + 1, n);
	buf[n] = 0;
	return buf;
}

int proc_swaps_names(const char *text, char *names, size_t len, int max)
{
	const char *line = strchr(text, '\n');   /* skip "Filename Type Size Used Priority" */
	int n = 0;
	while (line && *++line && n < max) {
		size_t w = strcspn(line, " \t\n");
		if (w) {
			size_t k = w < len - 1 ? w : len - 1;
			memcpy(names + (size_t)n * len, line, k);
			names[(size_t)n * len + k] = 0;
			n++;
		}
		line = strchr(line, '\n');
	}
	return n;
}

uint64_t meminfo_kb(const char *key)
{
	char buf[8192];
	if (read_file("/proc/meminfo", buf, sizeof(buf)) < 0)
		return 0;
	size_t k = strlen(key);
	for (char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, k) && p[k] == ':')
			return strtoull(p + k + 1, NULL, 10);
	return 0;
}

int64_t alloc_headroom_pages(void)
{
	/* Static: called while frozen, where every large allocation is a risk. */
	static char buf[65536];
	static struct zone_pages z[32];
	if (read_file("/proc/zoneinfo", buf, sizeof(buf)) < 0)
		return -1;
	int n = zoneinfo_parse(buf, z, 32);
	return n <= 0 ? -1 : (int64_t)zones_headroom(z, n);
}

int pagemap_pfns(const void *addr, uint64_t pages, uint64_t *pfns)
{
	/* One 64-bit entry per virtual page: bit 63 present, bits 0-54 the frame
	 * (Documentation/admin-guide/mm/pagemap.rst; shown as 0 without
	 * CAP_SYS_ADMIN). Static buffer: called while frozen. */
	static uint64_t ent[4096];
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	uint64_t first = (uint64_t)(uintptr_t)addr / 4096;
	for (uint64_t done = 0; done < pages;) {
		uint64_t n = pages - done < 4096 ? pages - done : 4096;
		ssize_t r = pread(fd, ent, n * 8, (off_t)((first + done) * 8));
		if (r < 0 && errno == EINTR)
			continue;
		if (r != (ssize_t)(n * 8)) {
			int e = r < 0 ? errno : EIO;
			close(fd);
			return -e;
		}
		for (uint64_t i = 0; i < n; i++) {
			uint64_t pfn = ent[i] & ((1ull << 55) - 1);
			if (!(ent[i] >> 63) || !pfn) {
				close(fd);
				return -ENOENT;
			}
			pfns[done + i] = pfn;
		}
		done += n;
	}
	close(fd);
	return 0;
}

int cpulist_count(const char *list)
{
	int n = 0;
	const char *p = list;
	while (*p && *p != '\n') {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;
		if (end == p)
			return -1;
		if (*end == '-') {
			p = end + 1;
			b = strtoul(p, &end, 10);
			if (end == p || b < a)
				return -1;
		}
		n += (int)(b - a + 1);
		p = end;
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -1;
	}
	return n;
}

int iomem_ram_above(const char *text, uint64_t limit, uint64_t *bytes, uint64_t *first)
{
	int seen = 0;
	*bytes = *first = 0;
	for (const char *l = text; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
		/* "100000000-13fffffff : System RAM"; nested resources are indented. */
		unsigned long long a, b;
		int n = 0;
		if (*l == ' ' || *l == '\t')
			continue;        /* nested within a top-level resource */
		if (sscanf(l, "%llx-%llx : System RAM%n", &a, &b, &n) != 2 || !n || b < a ||
		    (l[n] != '\n' && l[n] != '\0'))
			continue;
		if (a == 0 && b == 0)
			continue;        /* addresses hidden from non-root readers */
		seen++;
		if (b < limit)
			continue;
		uint64_t lo = a > limit ? a : limit;
		*bytes += b - lo + 1;
		if (!*first || lo < *first)
			*first = lo;
	}
	return seen ? 0 : -1;
}

int systab_rsdp(const char *text, uint64_t *phys)
{
	uint64_t v1 = 0, v2 = 0;
	for (const char *l = text; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
		unsigned long long v;
		char end;
		/* "ACPI20=0x3fb7e014\n"; a line must be exactly that */
		if (sscanf(l, "ACPI20=%llx%c", &v, &end) == 2 && end == '\n' && v)
			v2 = v;
		else if (sscanf(l, "ACPI=%llx%c", &v, &end) == 2 && end == '\n' && v)
			v1 = v;
	}
	*phys = v2 ? v2 : v1;
	return *phys ? 0 : -1;
}

uint64_t efi_rsdp(void)
{
	char buf[1024];
	uint64_t phys;
	if (read_file("/sys/firmware/efi/systab", buf, sizeof(buf)) < 0 || systab_rsdp(buf, &phys))
		return 0;
	return phys;
}

unsigned cpus_present(void)
{
	char buf[256];
	if (read_file("/sys/devices/system/cpu/present", buf, sizeof(buf)) < 0)
		return 0;
	int n = cpulist_count(buf);
	return n > 0 ? (unsigned)n : 0;
}
