/* Helpers for pointer + length views; see span.h. */
#include "span.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

struct span span_from_str(const char *s)
{
	return s ? span_make(s, strlen(s)) : SPAN_NULL;
}

bool span_is_set(struct span s)
{
	return s.p != NULL;
}

bool span_eq(struct span s, const char *str)
{
	size_t n = strlen(str);

	return s.p != NULL && s.len == n && memcmp(s.p, str, n) == 0;
}

bool span_eq_nocase(struct span s, const char *str)
{
	return s.p != NULL && span_eq_span_nocase(s, span_from_str(str));
}

bool span_eq_span(struct span a, struct span b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool span_eq_span_nocase(struct span a, struct span b)
{
	size_t i;

	if (a.len != b.len)
		return false;
	for (i = 0; i < a.len; i++)
		if (ascii_lower((unsigned char)a.p[i]) !=
		    ascii_lower((unsigned char)b.p[i]))
			return false;
	return true;
}

static bool is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct span span_trim(struct span s)
{
	if (s.p == NULL)
		return s;
	while (s.len > 0 && is_lws(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && is_lws(s.p[s.len - 1]))
		s.len--;
	return s;
}

int span_to_u64(struct span s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i;

	if (s.p == NULL || s.len == 0)
		return EINVAL;
	for (i = 0; i < s.len; i++) {
		unsigned d;

		if (s.p[i] < '0' || s.p[i] > '9')
			return EINVAL;
		d = (unsigned)(s.p[i] - '0');
		if (v > (max - d) / 10)
			return ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

char *span_dup(struct span s)
{
	char *copy = malloc(s.len + 1);

	if (copy == NULL)
		return NULL;
	if (s.len)
		memcpy(copy, s.p, s.len);
	copy[s.len] = '\0';
	return copy;
}

int span_copy(struct span s, char *buf, size_t size)
{
	size_t n = s.len;

	if (size == 0)
		return ENOSPC;
	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(buf, s.p, n);
	buf[n] = '\0';
	return n < s.len ? ENOSPC : 0;
}
