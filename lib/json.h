/* A small JSON writer for one-object-per-line output (tools' --json and
 * sip-events). Strings are bytes: valid UTF-8 passes through, control
 * characters (C0, DEL, C1) and invalid bytes are escaped so every line is
 * valid JSON. */
#ifndef SIPWS_JSON_H
#define SIPWS_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "span.h"

#define JSON_MAX_DEPTH 16

struct json {
	char *buf;
	size_t len;
	size_t cap;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
	int err; /* first error (ENOMEM, E2BIG for depth); sticky */
};

void json_init(struct json *j);
void json_reset(struct json *j);  /* empty the buffer, keep its memory */
void json_free(struct json *j);

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
/* Start a member: the next value written belongs to this key. */
void json_key(struct json *j, const char *key);
void json_string(struct json *j, struct span s);
void json_cstring(struct json *j, const char *s); /* NULL writes null */
void json_int(struct json *j, long long v);
/* At most three decimals, trailing zeros dropped; NaN and infinities
 * write null. */
void json_double(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* Convenience: key + value. A null span (p == NULL) writes JSON null. */
void json_member_span(struct json *j, const char *key, struct span s);
void json_member_str(struct json *j, const char *key, const char *s);
void json_member_int(struct json *j, const char *key, long long v);
void json_member_bool(struct json *j, const char *key, bool v);

/* The text so far (NUL-terminated) or NULL after an error; j->err says
 * which. */
const char *json_text(const struct json *j);

#endif
