/* Pointer + length views into caller-owned bytes. Parsers return spans that
 * point into their input instead of copying it. */
#ifndef SIPWS_SPAN_H
#define SIPWS_SPAN_H

#include <stdbool.h>
#include <stddef.h>

struct span {
	const char *p;
	size_t len;
};

#define SPAN_NULL ((struct span){NULL, 0})

static inline struct span span_make(const char *p, size_t len)
{
	return (struct span){p, len};
}

/* A span over a NUL-terminated string (NULL gives the null span). */
struct span span_from_str(const char *s);

bool span_is_set(struct span s);
/* Byte-exact comparison with a NUL-terminated string. */
bool span_eq(struct span s, const char *str);
/* ASCII case-insensitive comparison with a NUL-terminated string. */
bool span_eq_nocase(struct span s, const char *str);
bool span_eq_span(struct span a, struct span b);
bool span_eq_span_nocase(struct span a, struct span b);
/* Strip leading and trailing SP / HTAB / CR / LF. */
struct span span_trim(struct span s);
/* Parse an unsigned decimal number; EINVAL if not all digits or empty,
 * ERANGE if above max. */
int span_to_u64(struct span s, unsigned long long max, unsigned long long *out);
/* malloc'd NUL-terminated copy (NULL on allocation failure). */
char *span_dup(struct span s);
/* Copy into buf (always NUL-terminated); ENOSPC if truncated. */
int span_copy(struct span s, char *buf, size_t size);

#endif
