/* Host unit tests for hypervisor/entry/mb2.c: parsing synthetic multiboot2 information blocks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mb2.h"

/* ---- a small MBI builder ---- */

struct mbi {
	uint64_t store[1024];   /* 8 KiB, 8-aligned */
	uint32_t off;           /* where the next tag goes */
};

static uint8_t *mbi_bytes(struct mbi *m) { return (uint8_t *)m->store; }

static void mbi_init(struct mbi *m)
{
	memset(m, 0, sizeof(*m));
	m->off = 8;
}

/* Append a tag with the given body; size field = 8 + len, next tag 8-aligned. */
static uint32_t mbi_tag(struct mbi *m, uint32_t type, const void *body, uint32_t len)
{
	uint8_t *p = mbi_bytes(m) + m->off;
	uint32_t at = m->off;
	uint32_t hdr[2] = { type, 8 + len };
	memcpy(p, hdr, 8);
	if (len)
		memcpy(p + 8, body, len);
	m->off += (8 + len + 7) & ~7u;
	assert_true(m->off <= sizeof(m->store));
	return at;
}

static void mbi_cmdline(struct mbi *m, const char *s)
{
	mbi_tag(m, 1, s, (uint32_t)strlen(s) + 1);
}

static void mbi_module(struct mbi *m, uint32_t start, uint32_t end, const char *s)
{
	uint8_t body[256];
	memcpy(body, &start, 4);
	memcpy(body + 4, &end, 4);
	size_t n = strlen(s) + 1;
	memcpy(body + 8, s, n);
	mbi_tag(m, 3, body, (uint32_t)(8 + n));
}

struct mmap_ent { uint64_t base, len; uint32_t type, reserved; };

static void mbi_mmap(struct mbi *m, const struct mmap_ent *e, unsigned n, uint32_t entry_size)
{
	uint8_t body[4096];
	uint32_t hdr[2] = { entry_size, 0 };
	memcpy(body, hdr, 8);
	memset(body + 8, 0xcc, sizeof(body) - 8);
	for (unsigned i = 0; i < n; i++)
		memcpy(body + 8 + i * entry_size, &e[i], 24 < entry_size ? 24 : entry_size);
	mbi_tag(m, 6, body, 8 + n * entry_size);
}

static void mbi_end(struct mbi *m)
{
	mbi_tag(m, 0, NULL, 0);
}

/* Write total_size (= everything appended so far) and the reserved word. */
static uint32_t mbi_finish(struct mbi *m)
{
	uint32_t hdr[2] = { m->off, 0 };
	memcpy(mbi_bytes(m), hdr, 8);
	return m->off;
}

static void set_total(struct mbi *m, uint32_t total)
{
	memcpy(mbi_bytes(m), &total, 4);
}

static void set_tag_size(struct mbi *m, uint32_t at, uint32_t size)
{
	memcpy(mbi_bytes(m) + at + 4, &size, 4);
}

static const struct mmap_ent bochs_map[] = {
	{ 0x0, 0x9f000, MEM_RAM, 0 },
	{ 0x9f000, 0x1000, MEM_RESERVED, 0 },
	{ 0xe8000, 0x18000, MEM_RESERVED, 0 },
	{ 0x100000, 0xfef0000, MEM_RAM, 0 },
	{ 0xfff0000, 0x10000, MEM_ACPI, 0 },
	{ 0xfffc0000, 0x40000, MEM_RESERVED, 0 },
};

static void test_mb2_full(void **state)
{
	struct mbi m;
	mbi_init(&m);
	mbi_cmdline(&m, "console=ttyS0 loglevel=debug");
	mbi_tag(&m, 2, "GRUB 2.06", 10);                    /* boot loader name: ignored */
	mbi_module(&m, 0x200000, 0x201234, "guest-a");
	mbi_module(&m, 0x300000, 0x300100, "second module args");
	mbi_mmap(&m, bochs_map, ARRAY_SIZE(bochs_map), 24);
	mbi_tag(&m, 14, "RSD PTR ", 8);                     /* ACPI old RSDP, short: copied as is */
	mbi_end(&m);
	uint32_t total = mbi_finish(&m);

	struct boot_info bi;
	const char *err = NULL;
	assert_int_equal(mb2_parse(m.store, 0x10000, &bi, &err), 0);
	assert_string_equal(bi.cmdline, "console=ttyS0 loglevel=debug");
	assert_int_equal(bi.nr_modules, 2);
	assert_int_equal(bi.modules[0].start, 0x200000);
	assert_int_equal(bi.modules[0].end, 0x201234);
	assert_string_equal(bi.modules[0].string, "guest-a");
	assert_int_equal(bi.modules[1].start, 0x300000);
	assert_int_equal(bi.modules[1].end, 0x300100);
	assert_string_equal(bi.modules[1].string, "second module args");
	assert_int_equal(bi.nr_mmap, ARRAY_SIZE(bochs_map));
	for (unsigned i = 0; i < ARRAY_SIZE(bochs_map); i++) {
		assert_int_equal(bi.mmap[i].base, bochs_map[i].base);
		assert_int_equal(bi.mmap[i].len, bochs_map[i].len);
		assert_int_equal(bi.mmap[i].type, bochs_map[i].type);
	}
	assert_int_equal(bi.mbi_start, 0x10000);
	assert_int_equal(bi.mbi_end, 0x10000 + total);
	/* Strings point into the MBI itself. */
	assert_true((const uint8_t *)bi.cmdline > mbi_bytes(&m));
	assert_true((const uint8_t *)bi.cmdline < mbi_bytes(&m) + total);
	assert_int_equal(bi.rsdp_len, 8);
	assert_memory_equal(bi.rsdp, "RSD PTR ", 8);
}

static void test_mb2_minimal(void **state)
{
	struct mbi m;
	mbi_init(&m);
	mbi_end(&m);
	assert_int_equal(mbi_finish(&m), 16);
	struct boot_info bi;
	const char *err = NULL;
	assert_int_equal(mb2_parse(m.store, 0x9000, &bi, &err), 0);
	assert_non_null(bi.cmdline);
	assert_string_equal(bi.cmdline, "");                /* no command line tag */
	assert_int_equal(bi.nr_modules, 0);
	assert_int_equal(bi.nr_mmap, 0);
	assert_int_equal(bi.mbi_start, 0x9000);
	assert_int_equal(bi.mbi_end, 0x9010);
}

static void test_mb2_output_reset(void **state)
{
	/* Whatever was in the output before does not leak into the result. */
	struct mbi m;
	mbi_init(&m);
	mbi_end(&m);
	mbi_finish(&m);
	struct boot_info bi;
	memset(&bi, 0xa5, sizeof(bi));
	const char *err = NULL;
	assert_int_equal(mb2_parse(m.store, 0, &bi, &err), 0);
	assert_int_equal(bi.nr_modules, 0);
	assert_int_equal(bi.nr_mmap, 0);
}

static void test_mb2_unaligned_tag_sizes(void **state)
{
	/* Odd-length strings: the following tags start at the next multiple of 8. */
	struct mbi m;
	mbi_init(&m);
	mbi_cmdline(&m, "a");                  /* size 10 */
	mbi_module(&m, 0x1000, 0x2000, "xyz"); /* size 20 */
	mbi_tag(&m, 21, "\x01\x02\x03", 3);    /* load base address-ish, size 11: ignored */
	mbi_module(&m, 0x3000, 0x4000, "m2");
	mbi_end(&m);
	mbi_finish(&m);
	struct boot_info bi;
	const char *err = NULL;
	assert_int_equal(mb2_parse(m.store, 0, &bi, &err), 0);
	assert_string_equal(bi.cmdline, "a");
	assert_int_equal(bi.nr_modules, 2);
	assert_string_equal(bi.modules[0].string, "xyz");
	assert_int_equal(bi.modules[1].start, 0x3000);
	assert_string_equal(bi.modules[1].string, "m2");
}

static void test_mb2_tags_after_end_ignored(void **state)
{
	struct mbi m;
	mbi_init(&m);
	mbi_cmdline(&m, "first");
	mbi_end(&m);
	mbi_cmdline(&m, "after the end");
	mbi_module(&m, 1, 2, "after");
	mbi_finish(&m);
	struct boot_info bi;
	const char *err = NULL;
	assert_int_equal(mb2_parse(m.store, 0, &bi, &err), 0);
	assert_string_equal(bi.cmdline, "first");
	assert_int_equal(bi.nr_modules, 0);
}

static void test_mb2_mmap_larger_entries(void **state)
{
	/* entry_size larger than 24 (a newer loader): stride by entry_size. */
	struct mbi m;
	mbi_init(&m);
	mbi_mmap(&m, bochs_map, ARRAY_SIZE(bochs_map), 32);
	mbi_end(&m);
	mbi_finish(&m);
	struct boot_info bi;
	const char *err = NULL;
	assert_int_equal(mb2_parse(m.store, 0, &bi, &err), 0);
	assert_int_equal(bi.nr_mmap, ARRAY_SIZE(bochs_map));
	for (unsigned i = 0; i < ARRAY_SIZE(bochs_map); i++) {
		assert_int_equal(bi.mmap[i].base, bochs_map[i].base);
		assert_int_equal(bi.mmap[i].len, bochs_map[i].len);
		assert_int_equal(bi.mmap[i].type, bochs_map[i].type);
	}
}

static void test_mb2_mmap_entry_too_small(void **state)
{
	struct mbi m;
	mbi_init(&m);
	mbi_mmap(&m, bochs_map, 2, 16);
	mbi_end(&m);
	mbi_finish(&m);
	struct boot_info bi;
	const char *err = NULL;
	assert_int_equal(mb2_parse(m.store, 0, &bi, &err), -1);
	assert_non_null(err);
}

static void test_mb2_mmap_partial_last_entry(void **state)
{
	/* A tag whose size leaves half an entry at the end: only whole entries count. */
	struct mbi m;
	mbi_init(&m);
	uint8_t body[8 + 2 * 24 + 12];
	uint32_t hdr[2] = { 24, 0 };
	memcpy(body, hdr, 8);
	memcpy(body + 8, bochs_map, 2 * 24);
	memcpy(body + 8 + 2 * 24, &bochs_map[2], 12);
	mbi_tag(&m, 6, body, sizeof(body));
	mbi_end(&m);
	mbi_finish(&m);
	struct boot_info bi;
	const char *err = NULL;
	assert_int_equal(mb2_parse(m.store, 0, &bi, &err), 0);
	assert_int_equal(bi.nr_mmap, 2);
}

static void test_mb2_too_many_modules(void **state)
{
	struct mbi m;
	mbi_init(&m);
	for (uint32_t i = 0; i < MB2_MAX_MODULES + 5; i++) {
		char name[16] = "mod-";
		name[4] = (char)('a' + i);
		mbi_module(&m, 0x100000 * (i + 1), 0x100000 * (i + 1) + 0x1000, name);
	}
	mbi_cmdline(&m, "after the modules");
	mbi_end(&m);
	mbi_finish(&m);
	struct boot_info bi;
	const char *err = NULL;
	assert_int_equal(mb2_parse(m.store, 0, &bi, &err), 0);
	assert_int_equal(bi.nr_modules, MB2_MAX_MODULES);
	for (uint32_t i = 0; i < MB2_MAX_MODULES; i++) {
		assert_int_equal(bi.modules[i].start, 0x100000 * (i + 1));
		assert_int_equal(bi.modules[i].string[4], 'a' + i);
	}
	/* Parsing went on past the extra modules. */
	assert_string_equal(bi.cmdline, "after the modules");
}

static void test_mb2_too_many_mmap_entries(void **state)
{
	struct mmap_ent e[MB2_MAX_MMAP + 10];
	for (unsigned i = 0; i < ARRAY_SIZE(e); i++)
		e[i] = (struct mmap_ent){ i * 0x10000ull, 0x10000, MEM_RAM, 0 };
	struct mbi m;
	mbi_init(&m);
	mbi_mmap(&m, e, ARRAY_SIZE(e), 24);
	mbi_mmap(&m, e, 3, 24);                /* a second map tag: nothing left to fill */
	mbi_end(&m);
	mbi_finish(&m);
	struct boot_info bi;
	const char *err = NULL;
	assert_int_equal(mb2_parse(m.store, 0, &bi, &err), 0);
	assert_int_equal(bi.nr_mmap, MB2_MAX_MMAP);
	assert_int_equal(bi.mmap[MB2_MAX_MMAP - 1].base, (MB2_MAX_MMAP - 1) * 0x10000ull);
}

/* Tags 14/15 hold a copy of the RSDP; 15 (ACPI 2.0+) wins in either order. */
static void test_mb2_rsdp(void **state)
{
	uint8_t v1[20], v2[40];
	for (unsigned i = 0; i < sizeof(v1); i++)
		v1[i] = (uint8_t)(0x10 + i);
	for (unsigned i = 0; i < sizeof(v2); i++)
		v2[i] = (uint8_t)(0x80 + i);
	struct boot_info bi;
	const char *err = NULL;
	struct mbi m;

	mbi_init(&m);                                       /* none */
	mbi_end(&m);
	mbi_finish(&m);
	memset(&bi, 0xa5, sizeof(bi));
	assert_int_equal(mb2_parse(m.store, 0, &bi, &err), 0);
	assert_int_equal(bi.rsdp_len, 0);

	mbi_init(&m);                                       /* old only */
	mbi_tag(&m, 14, v1, sizeof(v1));
	mbi_end(&m);
	mbi_finish(&m);
	assert_int_equal(mb2_parse(m.store, 0, &bi, &err), 0);
	assert_int_equal(bi.rsdp_len, 20);
	assert_memory_equal(bi.rsdp, v1, 20);

	mbi_init(&m);                                       /* old, then new (36 bytes) */
	mbi_tag(&m, 14, v1, sizeof(v1));
	mbi_tag(&m, 15, v2, 36);
	mbi_end(&m);
	mbi_finish(&m);
	assert_int_equal(mb2_parse(m.store, 0, &bi, &err), 0);
	assert_int_equal(bi.rsdp_len, 36);
	assert_memory_equal(bi.rsdp, v2, 36);

	mbi_init(&m);                                       /* new, then old; new is longer than 36 */
	mbi_tag(&m, 15, v2, sizeof(v2));
	mbi_tag(&m, 14, v1, sizeof(v1));
	mbi_cmdline(&m, "after");
	mbi_end(&m);
	mbi_finish(&m);
	assert_int_equal(mb2_parse(m.store, 0, &bi, &err), 0);
	assert_int_equal(bi.rsdp_len, 36);                  /* at most 36 bytes copied */
	assert_memory_equal(bi.rsdp, v2, 36);
	assert_string_equal(bi.cmdline, "after");
	/* A copy, not a pointer into the MBI. */
	assert_true((uint8_t *)bi.rsdp < mbi_bytes(&m) || (uint8_t *)bi.rsdp >= mbi_bytes(&m) + sizeof(m.store));
}

/* ---- malformed input ---- */

static void expect_error(struct mbi *m)
{
	struct boot_info bi;
	const char *err = NULL;
	assert_int_equal(mb2_parse(m->store, 0, &bi, &err), -1);
	assert_non_null(err);
	assert_true(err[0] != '\0');
}

static void test_mb2_no_end_tag(void **state)
{
	struct mbi m;
	mbi_init(&m);
	mbi_cmdline(&m, "no end");
	mbi_module(&m, 1, 2, "x");
	mbi_finish(&m);
	expect_error(&m);
	/* Header only. */
	mbi_init(&m);
	set_total(&m, 16);
	expect_error(&m);  /* 8 zero bytes are an end tag of size 0: too small */
}

static void test_mb2_implausible_size(void **state)
{
	struct mbi m;
	mbi_init(&m);
	mbi_end(&m);
	mbi_finish(&m);
	set_total(&m, 0);
	expect_error(&m);
	set_total(&m, 8);
	expect_error(&m);
	set_total(&m, 15);
	expect_error(&m);
	set_total(&m, (1u << 20) + 8);
	expect_error(&m);
	set_total(&m, 0xffffffffu);
	expect_error(&m);
}

static void test_mb2_tag_runs_past_end(void **state)
{
	struct mbi m;
	mbi_init(&m);
	mbi_cmdline(&m, "hello");
	uint32_t at = mbi_tag(&m, 3, "\0\0\x10\0\0\0\x20\0name", 13);
	mbi_end(&m);
	uint32_t total = mbi_finish(&m);
	set_tag_size(&m, at, total);           /* claims more than is left */
	expect_error(&m);
	/* The last tag is cut by total_size. */
	mbi_init(&m);
	mbi_cmdline(&m, "hello");
	mbi_end(&m);
	total = mbi_finish(&m);
	set_total(&m, total - 4);
	expect_error(&m);
}

static void test_mb2_tag_size_too_small(void **state)
{
	struct mbi m;
	mbi_init(&m);
	uint32_t at = mbi_tag(&m, 1, "x", 2);
	mbi_end(&m);
	mbi_finish(&m);
	set_tag_size(&m, at, 4);
	expect_error(&m);
	set_tag_size(&m, at, 0);               /* would loop forever if accepted */
	expect_error(&m);
}

/* A module tag too short for mod_start/mod_end is truncated: an error. */
static void test_mb2_module_tag_truncated(void **state)
{
	struct mbi m;
	mbi_init(&m);
	mbi_tag(&m, 3, NULL, 0);               /* size 8: no fields at all */
	mbi_end(&m);
	mbi_finish(&m);
	struct boot_info bi;
	const char *err = NULL;
	int rc = mb2_parse(m.store, 0, &bi, &err);
	if (rc == 0)
		print_error("accepted a size-8 module tag as module 0x%llx-0x%llx\n",
			    (unsigned long long)bi.modules[0].start, (unsigned long long)bi.modules[0].end);
	assert_int_equal(rc, -1);
	assert_non_null(err);
	mbi_init(&m);
	mbi_tag(&m, 3, "\0\0\x10\0\0\0\x20\0", 8);   /* start/end but no string */
	mbi_end(&m);
	mbi_finish(&m);
	err = NULL;
	rc = mb2_parse(m.store, 0, &bi, &err);
	if (rc == 0)
		print_error("accepted a module tag without a string: \"%s\"\n", bi.modules[0].string);
	assert_int_equal(rc, -1);
}

/*
 * A tag size near 4 GiB makes off + size wrap around in 32 bits. The
 * parser must reject it without reading past total_size; run it in a
 * child so an AddressSanitizer report fails this test only.
 */
static void test_mb2_huge_tag_size_no_overread(void **state)
{
	struct mbi m;
	mbi_init(&m);
	uint32_t at = m.off;
	mbi_mmap(&m, bochs_map, 1, 24);
	mbi_end(&m);
	uint32_t total = mbi_finish(&m);
	set_tag_size(&m, at, 0xfffffff8u);
	/* Exactly total bytes on the heap: any read past them is caught. */
	uint8_t *heap = malloc(total);
	assert_non_null(heap);
	memcpy(heap, m.store, total);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct boot_info bi;
		const char *err = NULL;
		int rc = mb2_parse(heap, 0, &bi, &err);
		_exit(rc == -1 && err ? 0 : 3);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	free(heap);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		print_error("child: %s %d (3 = accepted, 1 = AddressSanitizer report above)\n",
			    WIFEXITED(status) ? "exit" : "signal",
			    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/*
 * Run mb2_parse in a child on exactly n heap bytes (so an over-read is an
 * AddressSanitizer report that fails only the calling test). Returns what the
 * child says: 0 = refused with a reason, 2 = accepted, 1 = ASan report.
 */
static int parse_heap_in_child(const uint8_t *bytes, uint32_t n, struct boot_info *accepted)
{
	uint8_t *heap = malloc(n);
	assert_non_null(heap);
	memcpy(heap, bytes, n);
	fflush(NULL);
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct boot_info bi;
		const char *err = NULL;
		int rc = mb2_parse(heap, 0, &bi, &err);
		if (rc == 0 && write(fds[1], &bi, sizeof(bi)) != sizeof(bi))
			_exit(4);
		_exit(rc == 0 ? 2 : rc == -1 && err ? 0 : 3);
	}
	close(fds[1]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (accepted && read(fds[0], accepted, sizeof(*accepted)) != sizeof(*accepted))
		memset(accepted, 0, sizeof(*accepted));
	close(fds[0]);
	free(heap);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/*
 * A memory map entry size near 4 GiB made `e + esize` wrap in 32 bits, so
 * the entry loop read 20 bytes past the tag (and the MBI), again and again.
 * The input libFuzzer found (tests/fuzz/fuzz_mb2.c), total_size set to its
 * length as the harness does: refused for its missing end tag, no over-read.
 */
static void test_mb2_fuzz_mmap_entry_size_wraps(void **state)
{
	static const uint8_t found[] = {
		0x29, 0x00, 0x00, 0x00, 0x03, 0x00, 0x02, 0x01, 0x06, 0x00, 0x00, 0x00, 0x21, 0x00,
		0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xdf, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff,
	};
	assert_int_equal(parse_heap_in_child(found, sizeof(found), NULL), 0);

	/* The same entry size in a well-formed MBI: the tag holds no entry of that size. */
	struct mbi m;
	mbi_init(&m);
	mbi_mmap(&m, bochs_map, 0, 0xfffffff8u);
	mbi_end(&m);
	uint32_t total = mbi_finish(&m);
	struct boot_info bi;
	assert_int_equal(parse_heap_in_child(mbi_bytes(&m), total, &bi), 2);
	assert_int_equal(bi.nr_mmap, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mb2_full),
		cmocka_unit_test(test_mb2_minimal),
		cmocka_unit_test(test_mb2_output_reset),
		cmocka_unit_test(test_mb2_unaligned_tag_sizes),
		cmocka_unit_test(test_mb2_tags_after_end_ignored),
		cmocka_unit_test(test_mb2_mmap_larger_entries),
		cmocka_unit_test(test_mb2_mmap_entry_too_small),
		cmocka_unit_test(test_mb2_mmap_partial_last_entry),
		cmocka_unit_test(test_mb2_too_many_modules),
		cmocka_unit_test(test_mb2_too_many_mmap_entries),
		cmocka_unit_test(test_mb2_rsdp),
		cmocka_unit_test(test_mb2_no_end_tag),
		cmocka_unit_test(test_mb2_implausible_size),
		cmocka_unit_test(test_mb2_tag_runs_past_end),
		cmocka_unit_test(test_mb2_tag_size_too_small),
		cmocka_unit_test(test_mb2_module_tag_truncated),
		cmocka_unit_test(test_mb2_huge_tag_size_no_overread),
		cmocka_unit_test(test_mb2_fuzz_mmap_entry_size_wraps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
