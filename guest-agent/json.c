/* The agent's JSON writer (json.h). */
#include <stdarg.h>
#include <stdio.h>
#include "json.h"

void json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->has_member[0] = false;
}

void json_escape(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			putc(c, f);
	}
	putc('"', f);
}

/* The comma before a member or element, and its key. */
static void member(struct json *j, const char *key)
{
	if (j->has_member[j->depth])
		putc(',', j->f);
	j->has_member[j->depth] = true;
	if (key) {
		json_escape(j->f, key);
		putc(':', j->f);
	}
}

/* A value is done: a top-level one ends its line. */
static void value_done(struct json *j)
{
	if (j->depth == 0) {
		putc('\n', j->f);
		j->has_member[0] = false;
	}
}

static void open_(struct json *j, const char *key, char c)
{
	member(j, key);
	putc(c, j->f);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->has_member[j->depth] = false;
}

static void close_(struct json *j, char c)
{
	putc(c, j->f);
	if (j->depth > 0)
		j->depth--;
	value_done(j);
}

void json_begin_object(struct json *j, const char *key) { open_(j, key, '{'); }
void json_end_object(struct json *j) { close_(j, '}'); }
void json_begin_array(struct json *j, const char *key) { open_(j, key, '['); }
void json_end_array(struct json *j) { close_(j, ']'); }

void json_string(struct json *j, const char *key, const char *val)
{
	member(j, key);
	json_escape(j->f, val);
	value_done(j);
}

void json_stringf(struct json *j, const char *key, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_string(j, key, buf);
}

void json_int(struct json *j, const char *key, long long v)
{
	member(j, key);
	fprintf(j->f, "%lld", v);
	value_done(j);
}

void json_uint(struct json *j, const char *key, unsigned long long v)
{
	member(j, key);
	fprintf(j->f, "%llu", v);
	value_done(j);
}

void json_fixed(struct json *j, const char *key, double v, int decimals)
{
	member(j, key);
	fprintf(j->f, "%.*f", decimals, v);
	value_done(j);
}

void json_bool(struct json *j, const char *key, bool v)
{
	member(j, key);
	fputs(v ? "true" : "false", j->f);
	value_done(j);
}

void json_null(struct json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
	value_done(j);
}
