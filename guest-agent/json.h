/*
 * The agent's one JSON writer: every --json output goes through it. It keeps
 * track of the commas between members and elements, escapes every string and
 * key the same way (quote, backslash and control characters; other bytes,
 * UTF-8 included, pass through), and ends a top-level value with a newline.
 * Pure apart from writing to the FILE it is given (unit-tested on the host).
 */
#ifndef ODV_JSON_H
#define ODV_JSON_H
#include <stdbool.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool has_member[JSON_MAX_DEPTH];   /* the open object/array at each depth has a member already */
};

void json_init(struct json *j, FILE *f);
/* key: the member's name inside an object; NULL at the top level and in arrays. */
void json_begin_object(struct json *j, const char *key);
void json_end_object(struct json *j);
void json_begin_array(struct json *j, const char *key);
void json_end_array(struct json *j);
void json_string(struct json *j, const char *key, const char *val);
void json_stringf(struct json *j, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void json_int(struct json *j, const char *key, long long v);
void json_uint(struct json *j, const char *key, unsigned long long v);
/* A number with that many digits after the point ("%.*f"). */
void json_fixed(struct json *j, const char *key, double v, int decimals);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* Write s as a JSON string literal: "..." with ", \ and bytes below 0x20 escaped. */
void json_escape(FILE *f, const char *s);

#endif
