/* SIP/SIPS/tel URIs, name-addr values and ws:// URLs: decoding, encoding,
 * comparison and dial-target completion; see uri.h. */
#include "uri.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* RFC 2396 "reserved": an escaped reserved character is not equivalent to
 * the literal one (RFC 3261 §19.1.4). */
#define RESERVED_CHARS ";/?:@&=+$,"

struct why {
	char *buf;
	size_t size;
};

static int fail(struct why *w, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct why *w, int err, const char *fmt, ...)
{
	va_list ap;

	if (w->buf != NULL && w->size > 0) {
		va_start(ap, fmt);
		vsnprintf(w->buf, w->size, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* A printable rendering of one byte for reasons. */
struct shown {
	char text[8];
};

static struct shown show(unsigned char c)
{
	struct shown s;

	if (c > 0x20 && c < 0x7f)
		snprintf(s.text, sizeof(s.text), "'%c'", c);
	else
		snprintf(s.text, sizeof(s.text), "0x%02x", c);
	return s;
}

/* Character classes (RFC 3261 §25, RFC 3966, RFC 3986). */

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(unsigned char c)
{
	return is_alpha(c) || is_digit(c);
}

static bool is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned hex_value(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	return (unsigned)((c | 0x20) - 'a' + 10);
}

static bool in_set(unsigned char c, const char *set)
{
	return c != 0 && strchr(set, c) != NULL;
}

static bool is_lws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static bool is_unreserved(unsigned char c)
{
	return is_alnum(c) || in_set(c, "-_.!~*'()");
}

static bool is_user_char(unsigned char c)
{
	return is_unreserved(c) || in_set(c, "&=+$,;?/");
}

static bool is_password_char(unsigned char c)
{
	return is_unreserved(c) || in_set(c, "&=+$,");
}

static bool is_param_char(unsigned char c)
{
	return is_unreserved(c) || in_set(c, "[]/:&+$");
}

static bool is_header_char(unsigned char c)
{
	return is_unreserved(c) || in_set(c, "[]/?:+$");
}

static bool is_token_char(unsigned char c)
{
	return is_alnum(c) || in_set(c, "-.!%*_+`'~");
}

/* RFC 3966 isdn-subaddress: uric less ';' (which separates parameters). */
static bool is_isub_char(unsigned char c)
{
	return is_param_char(c) || in_set(c, "=?@,");
}

/* Characters of a generic RFC 3986 URI, for opaque schemes. */
static bool is_generic_uri_char(unsigned char c)
{
	return is_alnum(c) || in_set(c, "-._~:/?#[]@!$&'()*+,;=");
}

/* RFC 3986 pchar less '%' (checked as an escape), plus '/': ws:// paths. */
static bool is_path_char(unsigned char c)
{
	return is_alnum(c) || in_set(c, "-._~!$&'()*+,;=:@/");
}

static bool is_query_char(unsigned char c)
{
	return is_path_char(c) || c == '?';
}

static bool is_visual_separator(unsigned char c)
{
	return in_set(c, "-.()");
}

/* Check that p[0..len) holds only allowed characters and well-formed
 * %XX escapes. */
static int check_chars(const char *p, size_t len, bool (*allowed)(unsigned char),
		       const char *what, struct why *w)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '%') {
			if (i + 2 >= len || !is_hex((unsigned char)p[i + 1]) ||
			    !is_hex((unsigned char)p[i + 2]))
				return fail(w, EBADMSG,
					    "bad %%-escape in %s (need two hex digits)",
					    what);
			i += 2;
		} else if (!allowed(c)) {
			return fail(w, EBADMSG, "invalid character %s in %s",
				    show(c).text, what);
		}
	}
	return 0;
}

/* One comparison unit of escaped text: a byte, with escaped reserved
 * characters marked so they never equal their literal form. */
static int escaped_unit(const char *p, size_t len, size_t *i)
{
	unsigned char c = (unsigned char)p[*i];

	if (c == '%' && *i + 2 < len && is_hex((unsigned char)p[*i + 1]) &&
	    is_hex((unsigned char)p[*i + 2])) {
		int b = (int)(hex_value((unsigned char)p[*i + 1]) * 16 +
			      hex_value((unsigned char)p[*i + 2]));

		*i += 3;
		return in_set((unsigned char)b, RESERVED_CHARS) ? 0x100 | b : b;
	}
	(*i)++;
	return c;
}

static bool escaped_equal(struct span a, struct span b, bool nocase)
{
	size_t i = 0, j = 0;

	if (span_is_set(a) != span_is_set(b))
		return false;
	while (i < a.len && j < b.len) {
		int x = escaped_unit(a.p, a.len, &i);
		int y = escaped_unit(b.p, b.len, &j);

		if (nocase) {
			x = lower(x);
			y = lower(y);
		}
		if (x != y)
			return false;
	}
	return i == a.len && j == b.len;
}

/* Hosts. */

static bool parse_ipv4(const char *p, size_t len, uint8_t out[4])
{
	size_t i = 0;
	int part;

	for (part = 0; part < 4; part++) {
		unsigned v = 0;
		size_t digits = 0;

		if (part > 0) {
			if (i >= len || p[i] != '.')
				return false;
			i++;
		}
		while (i < len && is_digit((unsigned char)p[i]) && digits < 3) {
			v = v * 10 + (unsigned)(p[i] - '0');
			i++;
			digits++;
		}
		if (digits == 0 || v > 255)
			return false;
		if (out != NULL)
			out[part] = (uint8_t)v;
	}
	return i == len;
}

/* RFC 4291 §2.2 text forms, including "::" and an IPv4 tail. */
static bool parse_ipv6(const char *p, size_t len, uint8_t out[16])
{
	unsigned words[8];
	size_t n = 0, i = 0, k;
	long gap = -1;

	if (len < 2)
		return false;
	if (p[0] == ':') {
		if (p[1] != ':')
			return false;
		gap = 0;
		i = 2;
	}
	while (i < len) {
		size_t start = i;
		unsigned v = 0;

		while (i < len && is_hex((unsigned char)p[i]) && i - start < 5) {
			v = v * 16 + hex_value((unsigned char)p[i]);
			i++;
		}
		if (i < len && p[i] == '.') {
			uint8_t v4[4];

			if (n > 6 || !parse_ipv4(p + start, len - start, v4))
				return false;
			words[n++] = (unsigned)v4[0] << 8 | v4[1];
			words[n++] = (unsigned)v4[2] << 8 | v4[3];
			break;
		}
		if (i == start || i - start > 4 || n == 8)
			return false;
		words[n++] = v;
		if (i == len)
			break;
		if (p[i] != ':')
			return false;
		i++;
		if (i < len && p[i] == ':') {
			if (gap >= 0)
				return false;
			gap = (long)n;
			i++;
		} else if (i == len) {
			return false;
		}
	}
	if (gap < 0 ? n != 8 : n > 7)
		return false;
	if (out != NULL) {
		size_t zeros = 8 - n, w = 0;

		for (k = 0; k < n; k++) {
			if (gap >= 0 && k == (size_t)gap)
				while (zeros-- > 0) {
					out[2 * w] = 0;
					out[2 * w + 1] = 0;
					w++;
				}
			out[2 * w] = (uint8_t)(words[k] >> 8);
			out[2 * w + 1] = (uint8_t)words[k];
			w++;
		}
		while (w < 8) {
			out[2 * w] = 0;
			out[2 * w + 1] = 0;
			w++;
		}
	}
	return true;
}

/* RFC 3261 hostname: labels of alphanumerics and inner '-', the last one
 * starting with a letter, an optional final '.'. */
static bool valid_hostname(const char *p, size_t len)
{
	size_t i, start = 0;

	if (len > 0 && p[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (i = 0; i <= len; i++) {
		if (i == len || p[i] == '.') {
			size_t n = i - start;

			if (n == 0 || n > 63 || p[start] == '-' || p[i - 1] == '-')
				return false;
			if (i == len && !is_alpha((unsigned char)p[start]))
				return false;
			start = i + 1;
		} else if (!is_alnum((unsigned char)p[i]) && p[i] != '-') {
			return false;
		}
	}
	return true;
}

/* A host that is not in brackets: a name or an IPv4 address. */
static int check_plain_host(const char *p, size_t len, enum uri_host_type *type,
			    struct why *w)
{
	size_t i;
	bool dotted_digits = true;

	if (len == 0)
		return fail(w, EBADMSG, "missing host");
	for (i = 0; i < len; i++)
		if (!is_digit((unsigned char)p[i]) && p[i] != '.')
			dotted_digits = false;
	if (dotted_digits) {
		if (!parse_ipv4(p, len, NULL))
			return fail(w, EBADMSG, "invalid IPv4 address '%.*s'",
				    (int)(len > 64 ? 64 : len), p);
		*type = URI_HOST_IPV4;
		return 0;
	}
	if (memchr(p, ':', len) != NULL)
		return fail(w, EBADMSG,
			    "IPv6 address must be enclosed in [] (RFC 5118)");
	if (!valid_hostname(p, len))
		return fail(w, EBADMSG, "invalid host name '%.*s'",
			    (int)(len > 64 ? 64 : len), p);
	*type = URI_HOST_NAME;
	return 0;
}

/* host[:port] at the start of p[0..len), ending at the first byte of stops
 * (outside brackets) or at len. */
static int parse_hostport(const char *p, size_t len, const char *stops,
			  struct span *host, enum uri_host_type *type,
			  unsigned *port, size_t *used, struct why *w)
{
	size_t i;
	int err;

	if (len > 0 && p[0] == '[') {
		const char *close = memchr(p, ']', len);
		size_t n;

		if (close == NULL)
			return fail(w, EBADMSG, "IPv6 reference without ']'");
		n = (size_t)(close - p) - 1;
		if (!parse_ipv6(p + 1, n, NULL))
			return fail(w, EBADMSG, "invalid IPv6 address '%.*s'",
				    (int)(n > 64 ? 64 : n), p + 1);
		*host = span_make(p + 1, n);
		*type = URI_HOST_IPV6;
		i = n + 2;
	} else {
		size_t end;

		for (i = 0; i < len && p[i] != ':' && !in_set((unsigned char)p[i], stops); i++)
			;
		/* "sip:2001:db8::10" must say why, not "invalid port". */
		for (end = i; end < len && !in_set((unsigned char)p[end], stops); end++)
			if (end > i && p[end] == ':')
				return fail(w, EBADMSG,
					    "IPv6 address must be enclosed in [] (RFC 5118)");
		err = check_plain_host(p, i, type, w);
		if (err)
			return err;
		*host = span_make(p, i);
	}
	*port = 0;
	if (i < len && p[i] == ':') {
		size_t start = ++i;
		unsigned long long v;

		while (i < len && !in_set((unsigned char)p[i], stops))
			i++;
		if (i == start)
			return fail(w, EBADMSG, "empty port after ':'");
		err = span_to_u64(span_make(p + start, i - start), 65535, &v);
		if (err == ERANGE)
			return fail(w, EBADMSG, "port out of range (1..65535)");
		if (err)
			return fail(w, EBADMSG, "invalid port '%.*s'",
				    (int)(i - start > 16 ? 16 : i - start), p + start);
		if (v == 0)
			return fail(w, EBADMSG, "port 0 is not allowed");
		*port = (unsigned)v;
	}
	if (i < len && !in_set((unsigned char)p[i], stops))
		return fail(w, EBADMSG, "unexpected %s after host",
			    show((unsigned char)p[i]).text);
	*used = i;
	return 0;
}

/* A host value of a maddr= parameter: name, IPv4 or [IPv6]. */
static int check_host_value(struct span v, struct why *w)
{
	struct span host;
	enum uri_host_type type;
	unsigned port;
	size_t used;
	int err = parse_hostport(v.p, v.len, "", &host, &type, &port, &used, w);

	if (err == 0 && port != 0)
		return fail(w, EBADMSG, "maddr must be a host without port");
	return err;
}

/* Lists. */

/* Next element of a sep-separated list; quoted strings may hold sep. */
static int list_next(struct span list, char sep, struct uri_iter *it,
		     struct span *name, struct span *value)
{
	size_t i = it->pos, start, eq = 0;
	bool has_eq = false, quoted = false;

	if (!span_is_set(list) || i >= list.len)
		return ENOENT;
	for (start = i; i < list.len; i++) {
		char c = list.p[i];

		if (quoted) {
			if (c == '\\' && i + 1 < list.len)
				i++;
			else if (c == '"')
				quoted = false;
		} else if (c == '"') {
			quoted = true;
		} else if (c == '=' && !has_eq) {
			has_eq = true;
			eq = i;
		} else if (c == sep) {
			break;
		}
	}
	it->pos = i + 1;
	*name = span_trim(span_make(list.p + start, (has_eq ? eq : i) - start));
	if (has_eq)
		*value = span_trim(span_make(list.p + eq + 1, i - eq - 1));
	else
		*value = span_make(name->p + name->len, 0);
	return 0;
}

int uri_param_next(struct span list, struct uri_iter *it, struct span *name,
		   struct span *value)
{
	return list_next(list, ';', it, name, value);
}

int uri_header_next(struct span list, struct uri_iter *it, struct span *name,
		    struct span *value)
{
	return list_next(list, '&', it, name, value);
}

static int list_get(struct span list, char sep, bool escaped, const char *name,
		    struct span *value)
{
	struct uri_iter it = {0};
	struct span n, v, want = span_from_str(name);

	while (list_next(list, sep, &it, &n, &v) == 0) {
		if (escaped ? escaped_equal(n, want, true) : span_eq_span_nocase(n, want)) {
			if (value != NULL)
				*value = v;
			return 0;
		}
	}
	return ENOENT;
}

int uri_param_get(const struct uri *uri, const char *name, struct span *value)
{
	return list_get(uri->params, ';', true, name, value);
}

int uri_header_get(const struct uri *uri, const char *name, struct span *value)
{
	return list_get(uri->headers, '&', true, name, value);
}

int uri_addr_param_get(const struct uri_addr *addr, const char *name,
		       struct span *value)
{
	return list_get(addr->params, ';', false, name, value);
}

static bool name_is(struct span name, const char *known)
{
	return escaped_equal(name, span_from_str(known), true);
}

/* Split one "name[=value]" element of a validated-as-ASCII list. */
static void split_element(struct span el, struct span *name, struct span *value)
{
	const char *eq = memchr(el.p, '=', el.len);

	if (eq == NULL) {
		*name = el;
		*value = SPAN_NULL;
	} else {
		*name = span_make(el.p, (size_t)(eq - el.p));
		*value = span_make(eq + 1, el.len - name->len - 1);
	}
}

/* Check a ';'-separated URI parameter list (RFC 3261 uri-parameters, or
 * RFC 3966 par for tel:): syntax, count, duplicate names and the values of
 * the parameters RFC 3261 §19.1.1 defines. */
static int check_param_list(struct span list, bool tel, struct why *w)
{
	struct span names[URI_MAX_PARAMS];
	size_t count = 0, pos = 0;

	for (;;) {
		const char *semi = memchr(list.p + pos, ';', list.len - pos);
		size_t end = semi ? (size_t)(semi - list.p) : list.len;
		struct span el = span_make(list.p + pos, end - pos), name, value;
		size_t k;
		int err;

		if (el.len == 0)
			return fail(w, EBADMSG, "empty URI parameter");
		split_element(el, &name, &value);
		if (name.len == 0)
			return fail(w, EBADMSG, "empty URI parameter name");
		if (tel) {
			for (k = 0; k < name.len; k++)
				if (!is_alnum((unsigned char)name.p[k]) && name.p[k] != '-')
					return fail(w, EBADMSG,
						    "invalid character %s in tel: parameter name",
						    show((unsigned char)name.p[k]).text);
		} else {
			err = check_chars(name.p, name.len, is_param_char,
					  "URI parameter name", w);
			if (err)
				return err;
		}
		if (span_is_set(value)) {
			if (value.len == 0)
				return fail(w, EBADMSG, "empty value for URI parameter '%.*s'",
					    (int)(name.len > 32 ? 32 : name.len), name.p);
			err = check_chars(value.p, value.len,
					  tel && name_is(name, "isub") ? is_isub_char
								     : is_param_char,
					  "URI parameter value", w);
			if (err)
				return err;
		}
		if (count == URI_MAX_PARAMS)
			return fail(w, E2BIG, "more than %d URI parameters",
				    URI_MAX_PARAMS);
		for (k = 0; k < count; k++)
			if (escaped_equal(names[k], name, true))
				return fail(w, EBADMSG, "duplicate URI parameter '%.*s'",
					    (int)(name.len > 32 ? 32 : name.len), name.p);
		names[count++] = name;

		if (!tel && (name_is(name, "transport") || name_is(name, "user") ||
			     name_is(name, "method") || name_is(name, "ttl") ||
			     name_is(name, "maddr")) && !span_is_set(value))
			return fail(w, EBADMSG, "URI parameter '%.*s' needs a value",
				    (int)name.len, name.p);
		if (!tel && name_is(name, "ttl")) {
			unsigned long long ttl;

			if (value.len > 3 || span_to_u64(value, 255, &ttl) != 0)
				return fail(w, EBADMSG, "ttl must be 0..255");
		}
		if (!tel && name_is(name, "maddr")) {
			err = check_host_value(value, w);
			if (err)
				return err;
		}
		if (semi == NULL)
			return 0;
		pos = end + 1;
	}
}

static int check_header_list(struct span list, struct why *w)
{
	size_t count = 0, pos = 0;

	for (;;) {
		const char *amp = memchr(list.p + pos, '&', list.len - pos);
		size_t end = amp ? (size_t)(amp - list.p) : list.len;
		struct span el = span_make(list.p + pos, end - pos), name, value;
		int err;

		if (el.len == 0)
			return fail(w, EBADMSG, "empty URI header");
		split_element(el, &name, &value);
		if (!span_is_set(value))
			return fail(w, EBADMSG, "URI header without '='");
		if (name.len == 0)
			return fail(w, EBADMSG, "empty URI header name");
		err = check_chars(name.p, name.len, is_header_char, "URI header name", w);
		if (!err)
			err = check_chars(value.p, value.len, is_header_char,
					  "URI header value", w);
		if (err)
			return err;
		if (++count > URI_MAX_HEADERS)
			return fail(w, E2BIG, "more than %d URI headers", URI_MAX_HEADERS);
		if (amp == NULL)
			return 0;
		pos = end + 1;
	}
}

/* URIs. */

static int parse_sip(struct uri *u, const char *p, size_t len, struct why *w)
{
	const char *at = memchr(p, '@', len);
	size_t i = 0, used;
	int err;

	if (at != NULL) {
		size_t info_len = (size_t)(at - p);
		const char *colon = memchr(p, ':', info_len);
		size_t user_len = colon ? (size_t)(colon - p) : info_len;

		if (user_len == 0)
			return fail(w, EBADMSG, "empty user part");
		err = check_chars(p, user_len, is_user_char, "user part", w);
		if (err)
			return err;
		u->user = span_make(p, user_len);
		if (colon != NULL) {
			size_t n = info_len - user_len - 1;

			err = check_chars(colon + 1, n, is_password_char, "password", w);
			if (err)
				return err;
			u->password = span_make(colon + 1, n);
		}
		i = info_len + 1;
	}
	err = parse_hostport(p + i, len - i, ";?", &u->host, &u->host_type,
			     &u->port, &used, w);
	if (err)
		return err;
	i += used;
	if (i < len && p[i] == ';') {
		const char *q = memchr(p + i, '?', len - i);
		size_t end = q ? (size_t)(q - p) : len;

		u->params = span_make(p + i + 1, end - i - 1);
		err = check_param_list(u->params, false, w);
		if (err)
			return err;
		i = end;
	}
	if (i < len && p[i] == '?') {
		u->headers = span_make(p + i + 1, len - i - 1);
		if (u->headers.len == 0)
			return fail(w, EBADMSG, "empty URI headers after '?'");
		err = check_header_list(u->headers, w);
		if (err)
			return err;
	}
	return 0;
}

/* RFC 3966 *phonedigit DIGIT *phonedigit. */
static bool valid_phonedigits(struct span s)
{
	size_t i;
	bool digit = false;

	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (is_digit(c))
			digit = true;
		else if (!is_visual_separator(c))
			return false;
	}
	return digit;
}

/* global-number-digits: "+" *phonedigit DIGIT *phonedigit. */
static bool valid_global_number(struct span s)
{
	return s.len > 1 && s.p[0] == '+' &&
	       valid_phonedigits(span_make(s.p + 1, s.len - 1));
}

static bool valid_local_number(struct span s)
{
	size_t i;
	bool digit = false;

	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (is_hex(c) || c == '*' || c == '#')
			digit = true;
		else if (!is_visual_separator(c))
			return false;
	}
	return digit;
}

static int parse_tel(struct uri *u, const char *p, size_t len, struct why *w)
{
	const char *semi = memchr(p, ';', len);
	struct span number = span_make(p, semi ? (size_t)(semi - p) : len);
	struct span context;
	int err;

	if (number.len == 0)
		return fail(w, EBADMSG, "empty telephone number");
	if (number.p[0] == '+' ? !valid_global_number(number)
			       : !valid_local_number(number))
		return fail(w, EBADMSG, "invalid telephone number '%.*s'",
			    (int)(number.len > 32 ? 32 : number.len), number.p);
	u->user = number;
	if (semi != NULL) {
		u->params = span_make(semi + 1, len - number.len - 1);
		err = check_param_list(u->params, true, w);
		if (err)
			return err;
	}
	if (uri_param_get(u, "phone-context", &context) == 0) {
		if (!(context.len > 0 && context.p[0] == '+'
			      ? valid_global_number(context)
			      : valid_hostname(context.p, context.len)))
			return fail(w, EBADMSG, "invalid phone-context");
	} else if (number.p[0] != '+') {
		return fail(w, EBADMSG,
			    "local telephone number needs ;phone-context (RFC 3966)");
	}
	if (uri_param_get(u, "ext", &context) == 0 && !valid_phonedigits(context))
		return fail(w, EBADMSG, "invalid ;ext= extension");
	return 0;
}

int uri_decode(struct uri *uri, const char *p, size_t len, char *reason,
	       size_t reason_size)
{
	struct why w = {reason, reason_size};
	struct uri u;
	const char *colon;
	size_t i, slen;
	int err;

	memset(uri, 0, sizeof(*uri));
	if (reason != NULL && reason_size > 0)
		reason[0] = '\0';
	if (p == NULL || len == 0)
		return fail(&w, EINVAL, "empty URI");
	if (len > URI_MAX_LEN)
		return fail(&w, E2BIG, "URI longer than %d bytes", URI_MAX_LEN);
	if (p[0] == '<')
		return fail(&w, EBADMSG, "URI enclosed in <> where an addr-spec is expected");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (is_lws(c))
			return fail(&w, EBADMSG, "whitespace inside URI");
		if (c < 0x20 || c == 0x7f)
			return fail(&w, EBADMSG, "control character in URI");
		if (c >= 0x80)
			return fail(&w, EBADMSG, "non-ASCII byte in URI (must be %%-escaped)");
	}
	colon = memchr(p, ':', len);
	if (colon == NULL)
		return fail(&w, EBADMSG, "missing scheme");
	slen = (size_t)(colon - p);
	if (slen == 0 || !is_alpha((unsigned char)p[0]))
		return fail(&w, EBADMSG, "invalid scheme name");
	for (i = 1; i < slen; i++)
		if (!is_alnum((unsigned char)p[i]) && !in_set((unsigned char)p[i], "+-."))
			return fail(&w, EBADMSG, "invalid scheme name");

	memset(&u, 0, sizeof(u));
	u.scheme_text = span_make(p, slen);
	p += slen + 1;
	len -= slen + 1;
	if (span_eq_nocase(u.scheme_text, "sip") || span_eq_nocase(u.scheme_text, "sips")) {
		u.scheme = u.scheme_text.len == 3 ? URI_SCHEME_SIP : URI_SCHEME_SIPS;
		err = parse_sip(&u, p, len, &w);
	} else if (span_eq_nocase(u.scheme_text, "tel")) {
		u.scheme = URI_SCHEME_TEL;
		err = parse_tel(&u, p, len, &w);
	} else {
		u.scheme = URI_SCHEME_OTHER;
		u.opaque = span_make(p, len);
		err = len == 0 ? fail(&w, EBADMSG, "nothing after the scheme")
			       : check_chars(p, len, is_generic_uri_char, "URI", &w);
	}
	if (err)
		return err;
	*uri = u;
	return 0;
}

/* name-addr / addr-spec. */

/* Find the end of a quoted-string starting at p[start] == '"'; *end is
 * just past the closing quote. */
static int quoted_end(const char *p, size_t len, size_t start, size_t *end,
		      const char *what, struct why *w)
{
	size_t i;

	for (i = start + 1; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '"') {
			*end = i + 1;
			return 0;
		}
		if (c == '\\') {
			unsigned char d;

			if (i + 1 >= len)
				break;
			d = (unsigned char)p[i + 1];
			if (d == '\r' || d == '\n' || d >= 0x80)
				return fail(w, EBADMSG, "invalid \\-escape in %s", what);
			i++;
		} else if (c == '\r' || c == '\n') {
			/* Only a folded line (CRLF or LF, then SP / HTAB) is LWS. */
			if (c == '\r' && i + 1 < len && p[i + 1] == '\n')
				i++;
			if (i + 1 >= len || (p[i + 1] != ' ' && p[i + 1] != '\t'))
				return fail(w, EBADMSG, "line break inside %s", what);
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			return fail(w, EBADMSG, "control character in %s", what);
		}
	}
	return fail(w, EBADMSG, "unterminated %s", what);
}

/* *(token LWS): a line break counts as LWS only when folded (CRLF or LF
 * followed by SP / HTAB). */
static bool is_token_sequence(struct span s)
{
	size_t i;
	bool token = false;

	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (is_token_char(c)) {
			token = true;
		} else if (c == '\r' || c == '\n') {
			if (c == '\r' && i + 1 < s.len && s.p[i + 1] == '\n')
				i++;
			if (i + 1 >= s.len || (s.p[i + 1] != ' ' && s.p[i + 1] != '\t'))
				return false;
		} else if (c != ' ' && c != '\t') {
			return false;
		}
	}
	return token;
}

/* Header parameters: generic-param *( SEMI generic-param ), with
 * gen-value = token / host / quoted-string. */
static int check_header_params(struct span list, struct why *w)
{
	size_t i = 0, count = 0;
	int err;

	while (i < list.len) {
		size_t start;

		while (i < list.len && is_lws((unsigned char)list.p[i]))
			i++;
		for (start = i; i < list.len && is_token_char((unsigned char)list.p[i]); i++)
			;
		if (i == start)
			return fail(w, EBADMSG, i < list.len && list.p[i] == ';'
						      ? "empty header parameter"
						      : "invalid header parameter name");
		if (++count > URI_MAX_PARAMS)
			return fail(w, E2BIG, "more than %d header parameters",
				    URI_MAX_PARAMS);
		while (i < list.len && is_lws((unsigned char)list.p[i]))
			i++;
		if (i < list.len && list.p[i] == '=') {
			i++;
			while (i < list.len && is_lws((unsigned char)list.p[i]))
				i++;
			if (i < list.len && list.p[i] == '"') {
				err = quoted_end(list.p, list.len, i, &i,
						 "quoted parameter value", w);
				if (err)
					return err;
			} else {
				for (start = i; i < list.len &&
						(is_token_char((unsigned char)list.p[i]) ||
						 in_set((unsigned char)list.p[i], ":[]"));
				     i++)
					;
				if (i == start)
					return fail(w, EBADMSG, "missing header parameter value");
			}
			while (i < list.len && is_lws((unsigned char)list.p[i]))
				i++;
		}
		if (i == list.len)
			return 0;
		if (list.p[i] != ';')
			return fail(w, EBADMSG, "invalid character %s in header parameters",
				    show((unsigned char)list.p[i]).text);
		i++;
		if (i == list.len)
			return fail(w, EBADMSG, "empty header parameter");
	}
	return fail(w, EBADMSG, "empty header parameter");
}

int uri_addr_decode(struct uri_addr *addr, const char *p, size_t len,
		    char *reason, size_t reason_size)
{
	struct why w = {reason, reason_size};
	struct uri_addr a;
	struct span s = span_trim(span_make(p, len));
	size_t i = 0, uri_start, uri_end;
	int err;

	memset(addr, 0, sizeof(*addr));
	memset(&a, 0, sizeof(a));
	if (reason != NULL && reason_size > 0)
		reason[0] = '\0';
	if (p == NULL || s.len == 0)
		return fail(&w, EINVAL, "empty address");
	if (len > URI_MAX_LEN)
		return fail(&w, E2BIG, "address longer than %d bytes", URI_MAX_LEN);
	p = s.p;
	len = s.len;

	if (p[0] == '"') {
		err = quoted_end(p, len, 0, &i, "quoted display name", &w);
		if (err)
			return err;
		a.display = span_make(p + 1, i - 2);
		a.display_quoted = true;
		while (i < len && is_lws((unsigned char)p[i]))
			i++;
		if (i == len || p[i] != '<')
			return fail(&w, EBADMSG, "quoted display name not followed by <URI>");
	} else {
		/* A '<' before any ';' or '"' makes this a name-addr. */
		for (i = 0; i < len && p[i] != '<' && p[i] != ';' && p[i] != '"'; i++)
			;
		if (i < len && p[i] == '"')
			return fail(&w, EBADMSG, "quote inside a display name");
		if (i < len && p[i] == '<') {
			struct span display = span_trim(span_make(p, i));

			if (display.len > 0) {
				if (!is_token_sequence(display))
					return fail(&w, EBADMSG,
						    "display name with non-token characters must be quoted");
				a.display = display;
			}
		} else {
			i = 0;
		}
	}

	if (i < len && p[i] == '<') {
		const char *gt = memchr(p + i, '>', len - i);

		if (gt == NULL)
			return fail(&w, EBADMSG, "missing '>'");
		uri_start = i + 1;
		uri_end = (size_t)(gt - p);
		if (uri_end == uri_start)
			return fail(&w, EBADMSG, "empty <>");
		if (is_lws((unsigned char)p[uri_start]) || is_lws((unsigned char)p[uri_end - 1]))
			return fail(&w, EBADMSG, "whitespace inside <> around the URI");
		a.angle = true;
		i = uri_end + 1;
	} else {
		/* A bare addr-spec ends at the first ';' (those are header
		 * params, RFC 3261 §20) except inside a user part, which a
		 * following '@' reveals. */
		size_t k, from = 0;

		for (k = 0; k < len && !is_lws((unsigned char)p[k]) && p[k] != '"'; k++)
			if (p[k] == '@') {
				from = k + 1;
				break;
			}
		for (k = from; k < len && p[k] != ';' && !is_lws((unsigned char)p[k]); k++)
			if (p[k] == '?' || p[k] == ',')
				return fail(&w, EBADMSG,
					    "URI with %s must be enclosed in <> (RFC 3261 §20)",
					    p[k] == '?' ? "headers" : "','");
		uri_start = 0;
		uri_end = k;
		i = k;
	}
	err = uri_decode(&a.uri, p + uri_start, uri_end - uri_start, reason, reason_size);
	if (err)
		return err;
	while (i < len && is_lws((unsigned char)p[i]))
		i++;
	if (i < len) {
		if (p[i] != ';')
			return fail(&w, EBADMSG, "unexpected %s after the URI",
				    show((unsigned char)p[i]).text);
		i++;
		while (i < len && is_lws((unsigned char)p[i]))
			i++;
		a.params = span_make(p + i, len - i);
		err = check_header_params(a.params, &w);
		if (err)
			return err;
	}
	*addr = a;
	return 0;
}

/* Hosts on their own. */

int uri_hostport_decode(const char *p, size_t len, struct span *host,
			enum uri_host_type *type, unsigned *port, char *reason,
			size_t reason_size)
{
	struct why w = {reason, reason_size};
	size_t used;

	if (p == NULL || len == 0)
		return fail(&w, EINVAL, "empty host");
	return parse_hostport(p, len, "", host, type, port, &used, &w);
}

int uri_host_decode(const char *p, size_t len, struct span *host,
		    enum uri_host_type *type, char *reason, size_t reason_size)
{
	struct why w = {reason, reason_size};
	bool bracketed = false;
	int err;

	if (p == NULL || len == 0)
		return fail(&w, EINVAL, "empty host");
	if (len >= 2 && p[0] == '[' && p[len - 1] == ']') {
		p++;
		len -= 2;
		bracketed = true;
	}
	if (bracketed || memchr(p, ':', len) != NULL) {
		if (!parse_ipv6(p, len, NULL))
			return fail(&w, EBADMSG, "invalid IPv6 address");
		*type = URI_HOST_IPV6;
		*host = span_make(p, len);
		return 0;
	}
	err = check_plain_host(p, len, type, &w);
	if (err == 0)
		*host = span_make(p, len);
	return err;
}

/* WebSocket URLs. */

int uri_ws_decode(struct uri_ws *ws, const char *p, size_t len, char *reason,
		  size_t reason_size)
{
	struct why w = {reason, reason_size};
	struct uri_ws u;
	size_t i, start, used;
	int err;

	memset(ws, 0, sizeof(*ws));
	memset(&u, 0, sizeof(u));
	if (reason != NULL && reason_size > 0)
		reason[0] = '\0';
	if (p == NULL || len == 0)
		return fail(&w, EINVAL, "empty URL");
	if (len > URI_MAX_LEN)
		return fail(&w, E2BIG, "URL longer than %d bytes", URI_MAX_LEN);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= 0x20 || c >= 0x7f)
			return fail(&w, EBADMSG, "whitespace, control or non-ASCII byte in URL");
	}
	if (len >= 5 && span_eq_nocase(span_make(p, 5), "ws://")) {
		i = 5;
	} else if (len >= 6 && span_eq_nocase(span_make(p, 6), "wss://")) {
		u.secure = true;
		i = 6;
	} else {
		return fail(&w, EBADMSG, "not a ws:// or wss:// URL");
	}
	for (start = i; i < len && !in_set((unsigned char)p[i], "/?#"); i++)
		if (p[i] == '@')
			return fail(&w, EBADMSG, "user information is not allowed in a WebSocket URL");
	if (i == start)
		return fail(&w, EBADMSG, "missing host");
	err = parse_hostport(p + start, i - start, "", &u.host, &u.host_type,
			     &u.port, &used, &w);
	if (err)
		return err;
	if (u.port == 0)
		u.port = u.secure ? 443 : 80;
	if (i < len && p[i] == '/') {
		for (start = i; i < len && p[i] != '?' && p[i] != '#'; i++)
			;
		u.path = span_make(p + start, i - start);
		err = check_chars(u.path.p, u.path.len, is_path_char, "path", &w);
		if (err)
			return err;
	} else {
		u.path = span_from_str("/");
	}
	if (i < len && p[i] == '?') {
		for (start = ++i; i < len && p[i] != '#'; i++)
			;
		u.query = span_make(p + start, i - start);
		err = check_chars(u.query.p, u.query.len, is_query_char, "query", &w);
		if (err)
			return err;
	}
	if (i < len)
		return fail(&w, EBADMSG, "fragment not allowed in a WebSocket URL (RFC 6455)");
	*ws = u;
	return 0;
}

/* Unescaping. */

int uri_unescape(struct span in, char *buf, size_t size, size_t *lenp)
{
	size_t i, n = 0;

	for (i = 0; i < in.len; i++)
		if (in.p[i] == '%') {
			if (i + 2 >= in.len || !is_hex((unsigned char)in.p[i + 1]) ||
			    !is_hex((unsigned char)in.p[i + 2]))
				return EILSEQ;
			i += 2;
		}
	for (i = 0; i < in.len; i++) {
		char c = in.p[i];

		if (c == '%') {
			c = (char)(hex_value((unsigned char)in.p[i + 1]) * 16 +
				   hex_value((unsigned char)in.p[i + 2]));
			i += 2;
		}
		if (n + 1 < size)
			buf[n] = c;
		n++;
	}
	if (size > 0)
		buf[n < size ? n : size - 1] = '\0';
	if (lenp != NULL)
		*lenp = n;
	return n < size ? 0 : ENOSPC;
}

int uri_unquote(struct span in, char *buf, size_t size, size_t *lenp)
{
	size_t i, n = 0;

	for (i = 0; i < in.len; i++) {
		char c = in.p[i];

		if (c == '\\') {
			if (i + 1 >= in.len)
				return EILSEQ;
			c = in.p[++i];
		}
		if (n + 1 < size)
			buf[n] = c;
		n++;
	}
	if (size > 0)
		buf[n < size ? n : size - 1] = '\0';
	if (lenp != NULL)
		*lenp = n;
	return n < size ? 0 : ENOSPC;
}

/* Encoding. */

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len + n < o->size && n > 0)
		memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_span(struct out *o, struct span s)
{
	put(o, s.p, s.len);
}

static void put_char(struct out *o, char c)
{
	put(o, &c, 1);
}

static int out_finish(struct out *o, size_t *lenp)
{
	if (lenp != NULL)
		*lenp = o->len;
	if (o->len >= o->size) {
		if (o->size > 0)
			o->buf[0] = '\0';
		return ENOSPC;
	}
	o->buf[o->len] = '\0';
	return 0;
}

static void put_host(struct out *o, struct span host, enum uri_host_type type,
		     unsigned port)
{
	char num[16];

	if (type == URI_HOST_IPV6)
		put_char(o, '[');
	put_span(o, host);
	if (type == URI_HOST_IPV6)
		put_char(o, ']');
	if (port != 0) {
		snprintf(num, sizeof(num), ":%u", port);
		put_str(o, num);
	}
}

static void put_uri(struct out *o, const struct uri *u)
{
	static const char *const names[] = {"sip", "sips", "tel"};

	if (u->scheme == URI_SCHEME_OTHER ||
	    (span_is_set(u->scheme_text) && u->scheme <= URI_SCHEME_TEL &&
	     span_eq_nocase(u->scheme_text, names[u->scheme])))
		put_span(o, u->scheme_text);
	else if (u->scheme <= URI_SCHEME_TEL)
		put_str(o, names[u->scheme]);
	put_char(o, ':');
	if (u->scheme == URI_SCHEME_OTHER) {
		put_span(o, u->opaque);
		return;
	}
	if (u->scheme == URI_SCHEME_TEL) {
		put_span(o, u->user);
	} else {
		if (span_is_set(u->user)) {
			put_span(o, u->user);
			if (span_is_set(u->password)) {
				put_char(o, ':');
				put_span(o, u->password);
			}
			put_char(o, '@');
		}
		put_host(o, u->host, u->host_type, u->port);
	}
	if (span_is_set(u->params)) {
		put_char(o, ';');
		put_span(o, u->params);
	}
	if (span_is_set(u->headers)) {
		put_char(o, '?');
		put_span(o, u->headers);
	}
}

int uri_encode(const struct uri *uri, char *buf, size_t size, size_t *lenp)
{
	struct out o = {buf, size, 0};
	struct uri check;
	int err;

	if (uri->scheme > URI_SCHEME_OTHER)
		return EINVAL;
	put_uri(&o, uri);
	err = out_finish(&o, lenp);
	if (err)
		return err;
	/* What we write must read back as the same kind of URI. */
	if (uri_decode(&check, buf, o.len, NULL, 0) != 0 || check.scheme != uri->scheme ||
	    span_is_set(check.password) != span_is_set(uri->password)) {
		buf[0] = '\0';
		return EINVAL;
	}
	return 0;
}

static bool needs_angle(const struct uri_addr *a)
{
	const struct uri *u = &a->uri;
	size_t i;

	if (a->angle || span_is_set(a->display) || span_is_set(u->params) ||
	    span_is_set(u->headers))
		return true;
	if (u->scheme == URI_SCHEME_OTHER)
		for (i = 0; i < u->opaque.len; i++)
			if (in_set((unsigned char)u->opaque.p[i], ";?,"))
				return true;
	for (i = 0; i < u->user.len; i++)
		if (in_set((unsigned char)u->user.p[i], ";?,"))
			return true;
	return false;
}

int uri_addr_encode(const struct uri_addr *addr, char *buf, size_t size,
		    size_t *lenp)
{
	struct out o = {buf, size, 0};
	struct uri_addr check;
	bool angle = needs_angle(addr);
	int err;

	if (addr->uri.scheme > URI_SCHEME_OTHER)
		return EINVAL;
	if (addr->display_quoted && span_is_set(addr->display)) {
		put_char(&o, '"');
		put_span(&o, addr->display);
		put_str(&o, "\" ");
	} else if (addr->display.len > 0) {
		if (is_token_sequence(addr->display)) {
			put_span(&o, addr->display);
		} else {
			size_t i;

			put_char(&o, '"');
			for (i = 0; i < addr->display.len; i++) {
				unsigned char c = (unsigned char)addr->display.p[i];

				if (c == '"' || c == '\\' || (c < 0x20 && c != '\t' &&
							      c != '\r' && c != '\n') ||
				    c == 0x7f)
					put_char(&o, '\\');
				put_char(&o, (char)c);
			}
			put_char(&o, '"');
		}
		put_char(&o, ' ');
	}
	if (angle)
		put_char(&o, '<');
	put_uri(&o, &addr->uri);
	if (angle)
		put_char(&o, '>');
	if (span_is_set(addr->params) && addr->params.len > 0) {
		put_char(&o, ';');
		put_span(&o, addr->params);
	}
	err = out_finish(&o, lenp);
	if (err)
		return err;
	if (uri_addr_decode(&check, buf, o.len, NULL, 0) != 0 ||
	    check.uri.scheme != addr->uri.scheme) {
		buf[0] = '\0';
		return EINVAL;
	}
	return 0;
}

/* Comparison. */

static bool host_equal(const struct uri *a, const struct uri *b)
{
	uint8_t x[16], y[16];

	if (a->host_type != b->host_type)
		return false;
	if (a->host_type == URI_HOST_IPV6)
		return parse_ipv6(a->host.p, a->host.len, x) &&
		       parse_ipv6(b->host.p, b->host.len, y) && memcmp(x, y, 16) == 0;
	return span_eq_span_nocase(a->host, b->host);
}

/* Parameters that never match when present in only one URI. */
static bool param_must_match(struct span name)
{
	return name_is(name, "user") || name_is(name, "ttl") || name_is(name, "method") ||
	       name_is(name, "maddr") || name_is(name, "transport");
}

/* Is every element of `of` matched in `in`? strict: an element missing
 * from `in` always fails (tel: params, headers); otherwise only the
 * §19.1.4 ones do. */
static bool list_covered(struct span of, struct span in, char sep, bool strict)
{
	struct uri_iter it = {0};
	struct span n, v;

	while (list_next(of, sep, &it, &n, &v) == 0) {
		struct uri_iter jt = {0};
		struct span m, x;
		bool found = false, matched = false;

		while (list_next(in, sep, &jt, &m, &x) == 0)
			if (escaped_equal(n, m, true)) {
				found = true;
				if (escaped_equal(v, x, true))
					matched = true;
			}
		if (found ? !matched : (strict || param_must_match(n)))
			return false;
	}
	return true;
}

static bool lists_equal(struct span a, struct span b, char sep, bool strict)
{
	return list_covered(a, b, sep, strict) && list_covered(b, a, sep, strict);
}

/* Phone numbers compare without visual separators (RFC 3966 §4). */
static bool number_equal(struct span a, struct span b)
{
	size_t i = 0, j = 0;

	for (;;) {
		while (i < a.len && is_visual_separator((unsigned char)a.p[i]))
			i++;
		while (j < b.len && is_visual_separator((unsigned char)b.p[j]))
			j++;
		if (i == a.len || j == b.len)
			return i == a.len && j == b.len;
		if (lower((unsigned char)a.p[i]) != lower((unsigned char)b.p[j]))
			return false;
		i++;
		j++;
	}
}

bool uri_equal(const struct uri *a, const struct uri *b)
{
	if (a->scheme != b->scheme)
		return false;
	switch (a->scheme) {
	case URI_SCHEME_OTHER:
		return span_eq_span_nocase(a->scheme_text, b->scheme_text) &&
		       escaped_equal(a->opaque, b->opaque, false);
	case URI_SCHEME_TEL:
		return number_equal(a->user, b->user) &&
		       lists_equal(a->params, b->params, ';', true);
	case URI_SCHEME_SIP:
	case URI_SCHEME_SIPS:
		break;
	}
	return escaped_equal(a->user, b->user, false) &&
	       escaped_equal(a->password, b->password, false) && host_equal(a, b) &&
	       a->port == b->port && lists_equal(a->params, b->params, ';', false) &&
	       lists_equal(a->headers, b->headers, '&', true);
}

/* Completion of dial targets. */

static bool is_phone_number(const char *t)
{
	bool digit = false;

	if (*t == '+')
		t++;
	for (; *t; t++) {
		if (is_digit((unsigned char)*t))
			digit = true;
		else if (!is_visual_separator((unsigned char)*t))
			return false;
	}
	return digit;
}

static void put_escaped_user(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_unreserved(c) || in_set(c, "&=+$") ||
		    (c == '%' && i + 2 < n && is_hex((unsigned char)s[i + 1]) &&
		     is_hex((unsigned char)s[i + 2]))) {
			put_char(o, (char)c);
		} else {
			put_char(o, '%');
			put_char(o, hex[c >> 4]);
			put_char(o, hex[c & 15]);
		}
	}
}

int uri_complete(const char *target, const struct uri *account, char *buf,
		 size_t size)
{
	struct out o = {buf, size, 0};
	struct uri check;
	const char *t, *colon, *at;
	const char *scheme;
	int err;

	if (size > 0)
		buf[0] = '\0';
	if (target == NULL || *target == '\0' || account == NULL)
		return EINVAL;
	for (t = target; *t; t++)
		if ((unsigned char)*t <= 0x20 || *t == 0x7f)
			return EINVAL;
	if (strlen(target) > URI_MAX_LEN)
		return EINVAL;
	colon = strchr(target, ':');
	at = strchr(target, '@');
	if (colon != NULL && (at == NULL || colon < at)) {
		struct span s = span_make(target, (size_t)(colon - target));

		if (!span_eq_nocase(s, "sip") && !span_eq_nocase(s, "sips") &&
		    !span_eq_nocase(s, "tel"))
			return EINVAL;
		if (uri_decode(&check, target, strlen(target), NULL, 0) != 0)
			return EBADMSG;
		put_str(&o, target);
		return out_finish(&o, NULL);
	}
	if ((account->scheme != URI_SCHEME_SIP && account->scheme != URI_SCHEME_SIPS) ||
	    account->host.len == 0 || (at != NULL && (at == target || at[1] == '\0')))
		return EINVAL;
	scheme = account->scheme == URI_SCHEME_SIPS ? "sips:" : "sip:";
	put_str(&o, scheme);
	if (at != NULL) {
		put_escaped_user(&o, target, (size_t)(at - target));
		put_str(&o, at);
	} else if (is_phone_number(target)) {
		for (t = target; *t; t++)
			if (!is_visual_separator((unsigned char)*t))
				put_char(&o, *t);
		put_char(&o, '@');
		put_host(&o, account->host, account->host_type, account->port);
		if (target[0] == '+')
			put_str(&o, ";user=phone");
	} else {
		put_escaped_user(&o, target, strlen(target));
		put_char(&o, '@');
		put_host(&o, account->host, account->host_type, account->port);
	}
	err = out_finish(&o, NULL);
	if (err)
		return err;
	if (uri_decode(&check, buf, o.len, NULL, 0) != 0) {
		buf[0] = '\0';
		return EINVAL;
	}
	return 0;
}
