/* JSON writer; see json.h. */
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

void json_init(struct json *j)
{
	memset(j, 0, sizeof(*j));
}

void json_reset(struct json *j)
{
	j->len = 0;
	j->depth = 0;
	j->err = 0;
	memset(j->need_comma, 0, sizeof(j->need_comma));
	if (j->buf)
		j->buf[0] = '\0';
}

void json_free(struct json *j)
{
	free(j->buf);
	json_init(j);
}

static void json_put(struct json *j, const char *p, size_t n)
{
	if (j->err)
		return;
	if (j->cap - j->len < n + 1) {
		size_t cap = j->cap ? j->cap : 256;
		char *grown;

		while (cap - j->len < n + 1)
			cap *= 2;
		grown = realloc(j->buf, cap);
		if (grown == NULL) {
			j->err = ENOMEM;
			return;
		}
		j->buf = grown;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, p, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void json_putc(struct json *j, char c)
{
	json_put(j, &c, 1);
}

/* Before a value or key at the current depth: a comma unless first. */
static void json_separate(struct json *j)
{
	if (j->depth > 0) {
		if (j->need_comma[j->depth])
			json_putc(j, ',');
		j->need_comma[j->depth] = true;
	}
}

static void json_open(struct json *j, char c)
{
	json_separate(j);
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		j->err = j->err ? j->err : E2BIG;
		return;
	}
	json_putc(j, c);
	j->depth++;
	j->need_comma[j->depth] = false;
}

static void json_close(struct json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	json_putc(j, c);
}

void json_object_begin(struct json *j)
{
	json_open(j, '{');
}

void json_object_end(struct json *j)
{
	json_close(j, '}');
}

void json_array_begin(struct json *j)
{
	json_open(j, '[');
}

void json_array_end(struct json *j)
{
	json_close(j, ']');
}

static void json_put_escaped(struct json *j, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	json_putc(j, '"');
	while (i < n) {
		unsigned char c = p[i];
		char esc[8];
		size_t run;

		switch (c) {
		case '"':
			json_put(j, "\\\"", 2);
			i++;
			continue;
		case '\\':
			json_put(j, "\\\\", 2);
			i++;
			continue;
		case '\n':
			json_put(j, "\\n", 2);
			i++;
			continue;
		case '\r':
			json_put(j, "\\r", 2);
			i++;
			continue;
		case '\t':
			json_put(j, "\\t", 2);
			i++;
			continue;
		default:
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			json_put(j, esc, 6);
			i++;
			continue;
		}
		run = text_utf8_char(p + i, n - i);
		if (run == 0) {
			/* An invalid byte becomes U+FFFD so the line stays JSON. */
			json_put(j, "\\ufffd", 6);
			i++;
			continue;
		}
		if (run == 2 && c == 0xc2 && p[i + 1] < 0xa0) {
			/* C1 controls (U+0080..U+009F): terminals obey them */
			snprintf(esc, sizeof(esc), "\\u%04x", p[i + 1]);
			json_put(j, esc, 6);
			i += 2;
			continue;
		}
		json_put(j, s + i, run);
		i += run;
	}
	json_putc(j, '"');
}

void json_key(struct json *j, const char *key)
{
	json_separate(j);
	json_put_escaped(j, key, strlen(key));
	json_putc(j, ':');
	/* The value that follows must not add a comma of its own. */
	if (j->depth > 0)
		j->need_comma[j->depth] = false;
}

/* After a value, the next member or element needs a comma. */
static void json_after_value(struct json *j)
{
	if (j->depth > 0)
		j->need_comma[j->depth] = true;
}

void json_string(struct json *j, struct span s)
{
	if (s.p == NULL) {
		json_null(j);
		return;
	}
	json_separate(j);
	json_put_escaped(j, s.p, s.len);
	json_after_value(j);
}

void json_cstring(struct json *j, const char *s)
{
	json_string(j, span_from_str(s));
}

void json_int(struct json *j, long long v)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%lld", v);

	json_separate(j);
	json_put(j, num, (size_t)n);
	json_after_value(j);
}

void json_double(struct json *j, double v)
{
	char num[48];
	int n;

	if (v != v || v > 1e300 || v < -1e300) {
		json_null(j); /* NaN and infinities are not JSON */
		return;
	}
	/* At most three decimals, trailing zeros dropped: 12.5, 3, -0.125 */
	n = snprintf(num, sizeof(num), "%.3f", v);
	while (n > 0 && num[n - 1] == '0')
		n--;
	if (n > 0 && num[n - 1] == '.')
		n--;
	if (n == 2 && num[0] == '-' && num[1] == '0')
		num[0] = '0', n = 1;
	json_separate(j);
	json_put(j, num, (size_t)n);
	json_after_value(j);
}

void json_bool(struct json *j, bool v)
{
	json_separate(j);
	json_put(j, v ? "true" : "false", v ? 4 : 5);
	json_after_value(j);
}

void json_null(struct json *j)
{
	json_separate(j);
	json_put(j, "null", 4);
	json_after_value(j);
}

void json_member_span(struct json *j, const char *key, struct span s)
{
	json_key(j, key);
	json_string(j, s);
}

void json_member_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_cstring(j, s);
}

void json_member_int(struct json *j, const char *key, long long v)
{
	json_key(j, key);
	json_int(j, v);
}

void json_member_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

const char *json_text(const struct json *j)
{
	if (j->err)
		return NULL;
	return j->buf ? j->buf : "";
}
