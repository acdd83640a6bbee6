/*
 * Host unit tests for guest-agent/json.c: the agent's one JSON writer
 * (commas, nesting, one escaper for keys and strings, numbers, the newline
 * after a top-level value).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* A writer into memory; out() ends it and returns what was written. */
static char *mem;
static size_t memlen;

static void start(struct json *j)
{
	FILE *f = open_memstream(&mem, &memlen);
	assert_non_null(f);
	json_init(j, f);
}

static const char *out(struct json *j)
{
	fclose(j->f);
	return mem;
}

static void teardown_mem(void)
{
	free(mem);
	mem = NULL;
}

static void test_empty_containers(void **state)
{
	struct json j;
	start(&j);
	json_begin_object(&j, NULL);
	json_begin_array(&j, "a");
	json_end_array(&j);
	json_begin_object(&j, "o");
	json_end_object(&j);
	json_end_object(&j);
	assert_string_equal(out(&j), "{\"a\":[],\"o\":{}}\n");
	teardown_mem();
}

static void test_commas_and_nesting(void **state)
{
	struct json j;
	start(&j);
	json_begin_object(&j, NULL);
	json_string(&j, "mode", "virtual");
	json_bool(&j, "ok", true);
	json_bool(&j, "bad", false);
	json_null(&j, "none");
	json_begin_array(&j, "cpus");
	for (int i = 0; i < 3; i++) {
		json_begin_object(&j, NULL);
		json_int(&j, "cpu", i);
		json_begin_object(&j, "by");
		json_uint(&j, "48", 18446744073709551615ull);
		json_int(&j, "neg", -7);
		json_end_object(&j);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_fixed(&j, "s", 1.25, 3);
	json_fixed(&j, "t", 0.0000004, 6);
	json_stringf(&j, "dev", "%u:%u", 8u, 16u);
	json_end_object(&j);
	assert_string_equal(out(&j),
			    "{\"mode\":\"virtual\",\"ok\":true,\"bad\":false,\"none\":null,\"cpus\":["
			    "{\"cpu\":0,\"by\":{\"48\":18446744073709551615,\"neg\":-7}},"
			    "{\"cpu\":1,\"by\":{\"48\":18446744073709551615,\"neg\":-7}},"
			    "{\"cpu\":2,\"by\":{\"48\":18446744073709551615,\"neg\":-7}}],"
			    "\"s\":1.250,\"t\":0.000000,\"dev\":\"8:16\"}\n");
	teardown_mem();
}

static void test_array_of_values(void **state)
{
	struct json j;
	start(&j);
	json_begin_array(&j, NULL);
	json_int(&j, NULL, 1);
	json_string(&j, NULL, "two");
	json_begin_array(&j, NULL);
	json_end_array(&j);
	json_bool(&j, NULL, true);
	json_end_array(&j);
	assert_string_equal(out(&j), "[1,\"two\",[],true]\n");
	teardown_mem();
}

static void test_two_top_level_values(void **state)
{
	struct json j;
	start(&j);
	json_begin_object(&j, NULL);
	json_int(&j, "a", 1);
	json_end_object(&j);
	json_begin_object(&j, NULL);
	json_int(&j, "b", 2);
	json_end_object(&j);
	assert_string_equal(out(&j), "{\"a\":1}\n{\"b\":2}\n");
	teardown_mem();
}

static void test_escaping(void **state)
{
	struct json j;
	start(&j);
	json_begin_object(&j, NULL);
	json_string(&j, "q", "say \"hi\"");
	json_string(&j, "b", "C:\\dir\\");
	json_string(&j, "c", "tab\there\nnl\x01\x1f end");
	json_string(&j, "del", "\x7f");
	json_string(&j, "k\"ey\\", "v");
	json_string(&j, "e", "");
	json_end_object(&j);
	assert_string_equal(out(&j),
			    "{\"q\":\"say \\\"hi\\\"\",\"b\":\"C:\\\\dir\\\\\","
			    "\"c\":\"tab\\u0009here\\u000anl\\u0001\\u001f end\",\"del\":\"\x7f\","
			    "\"k\\\"ey\\\\\":\"v\",\"e\":\"\"}\n");
	teardown_mem();
}

static void test_utf8_passthrough(void **state)
{
	struct json j;
	start(&j);
	json_begin_object(&j, NULL);
	/* "größe" and "日本" and an emoji: bytes >= 0x80 are copied as they are */
	json_string(&j, "gr\xc3\xb6\xc3\x9f" "e", "\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80");
	json_end_object(&j);
	assert_string_equal(out(&j), "{\"gr\xc3\xb6\xc3\x9f" "e\":\"\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\"}\n");
	teardown_mem();
}

static void test_escape_alone(void **state)
{
	FILE *f = open_memstream(&mem, &memlen);
	assert_non_null(f);
	json_escape(f, "a\"b\\c\x1b");
	fclose(f);
	assert_string_equal(mem, "\"a\\\"b\\\\c\\u001b\"");
	teardown_mem();
}

static void test_long_stringf_truncates_safely(void **state)
{
	struct json j;
	char big[2000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	start(&j);
	json_begin_object(&j, NULL);
	json_stringf(&j, "s", "%s", big);
	json_end_object(&j);
	const char *s = out(&j);
	assert_true(strlen(s) > 500 && strlen(s) < 600);
	assert_string_equal(s + strlen(s) - 3, "\"}\n");
	teardown_mem();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_containers),
		cmocka_unit_test(test_commas_and_nesting),
		cmocka_unit_test(test_array_of_values),
		cmocka_unit_test(test_two_top_level_values),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_utf8_passthrough),
		cmocka_unit_test(test_escape_alone),
		cmocka_unit_test(test_long_stringf_truncates_safely),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
