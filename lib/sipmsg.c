/* SIP message decoding, typed header access, building and encoding; the
 * framing rules and limits are described in sipmsg.h. */
#include "sipmsg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define SIPMSG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SIPMSG_PRINTF(f, a)
#endif

#define HDR_LIST 0x1u   /* comma-separated values allowed (RFC 3261 §7.3.1) */
#define HDR_SINGLE 0x2u /* at most one field (RFC 4475 §3.3.8) */

/* The length beside each name: the lookup below runs for every header
 * of every message, and compares lengths before letters. */
#define HDR_NAME(s) s, sizeof(s) - 1

static const struct hdr_info {
	const char *name;
	unsigned char len;
	char compact;
	unsigned flags;
} hdr_table[SIPMSG_HDR_COUNT] = {
	[SIPMSG_HDR_OTHER] = {NULL, 0, 0, 0},
	[SIPMSG_HDR_ACCEPT] = {HDR_NAME("Accept"), 0, HDR_LIST},
	[SIPMSG_HDR_ACCEPT_CONTACT] = {HDR_NAME("Accept-Contact"), 'a', HDR_LIST},
	[SIPMSG_HDR_ACCEPT_ENCODING] = {HDR_NAME("Accept-Encoding"), 0, HDR_LIST},
	[SIPMSG_HDR_ACCEPT_LANGUAGE] = {HDR_NAME("Accept-Language"), 0, HDR_LIST},
	[SIPMSG_HDR_ALERT_INFO] = {HDR_NAME("Alert-Info"), 0, HDR_LIST},
	[SIPMSG_HDR_ALLOW] = {HDR_NAME("Allow"), 0, HDR_LIST},
	[SIPMSG_HDR_ALLOW_EVENTS] = {HDR_NAME("Allow-Events"), 'u', HDR_LIST},
	[SIPMSG_HDR_AUTHENTICATION_INFO] = {HDR_NAME("Authentication-Info"), 0, 0},
	[SIPMSG_HDR_AUTHORIZATION] = {HDR_NAME("Authorization"), 0, 0},
	[SIPMSG_HDR_CALL_ID] = {HDR_NAME("Call-ID"), 'i', HDR_SINGLE},
	[SIPMSG_HDR_CALL_INFO] = {HDR_NAME("Call-Info"), 0, HDR_LIST},
	[SIPMSG_HDR_CONTACT] = {HDR_NAME("Contact"), 'm', HDR_LIST},
	[SIPMSG_HDR_CONTENT_DISPOSITION] = {HDR_NAME("Content-Disposition"), 0, 0},
	[SIPMSG_HDR_CONTENT_ENCODING] = {HDR_NAME("Content-Encoding"), 'e', HDR_LIST},
	[SIPMSG_HDR_CONTENT_LANGUAGE] = {HDR_NAME("Content-Language"), 0, HDR_LIST},
	[SIPMSG_HDR_CONTENT_LENGTH] = {HDR_NAME("Content-Length"), 'l', 0},
	[SIPMSG_HDR_CONTENT_TYPE] = {HDR_NAME("Content-Type"), 'c', HDR_SINGLE},
	[SIPMSG_HDR_CSEQ] = {HDR_NAME("CSeq"), 0, HDR_SINGLE},
	[SIPMSG_HDR_DATE] = {HDR_NAME("Date"), 0, 0},
	[SIPMSG_HDR_ERROR_INFO] = {HDR_NAME("Error-Info"), 0, HDR_LIST},
	[SIPMSG_HDR_EVENT] = {HDR_NAME("Event"), 'o', 0},
	[SIPMSG_HDR_EXPIRES] = {HDR_NAME("Expires"), 0, 0},
	[SIPMSG_HDR_FROM] = {HDR_NAME("From"), 'f', HDR_SINGLE},
	[SIPMSG_HDR_IDENTITY] = {HDR_NAME("Identity"), 'y', 0},
	[SIPMSG_HDR_IDENTITY_INFO] = {HDR_NAME("Identity-Info"), 'n', 0},
	[SIPMSG_HDR_IN_REPLY_TO] = {HDR_NAME("In-Reply-To"), 0, HDR_LIST},
	[SIPMSG_HDR_MAX_FORWARDS] = {HDR_NAME("Max-Forwards"), 0, HDR_SINGLE},
	[SIPMSG_HDR_MIME_VERSION] = {HDR_NAME("MIME-Version"), 0, 0},
	[SIPMSG_HDR_MIN_EXPIRES] = {HDR_NAME("Min-Expires"), 0, 0},
	[SIPMSG_HDR_ORGANIZATION] = {HDR_NAME("Organization"), 0, 0},
	[SIPMSG_HDR_PATH] = {HDR_NAME("Path"), 0, HDR_LIST},
	[SIPMSG_HDR_PRIORITY] = {HDR_NAME("Priority"), 0, 0},
	[SIPMSG_HDR_PROXY_AUTHENTICATE] = {HDR_NAME("Proxy-Authenticate"), 0, 0},
	[SIPMSG_HDR_PROXY_AUTHORIZATION] = {HDR_NAME("Proxy-Authorization"), 0, 0},
	[SIPMSG_HDR_PROXY_REQUIRE] = {HDR_NAME("Proxy-Require"), 0, HDR_LIST},
	[SIPMSG_HDR_RECORD_ROUTE] = {HDR_NAME("Record-Route"), 0, HDR_LIST},
	[SIPMSG_HDR_REFER_TO] = {HDR_NAME("Refer-To"), 'r', 0},
	[SIPMSG_HDR_REFERRED_BY] = {HDR_NAME("Referred-By"), 'b', 0},
	[SIPMSG_HDR_REJECT_CONTACT] = {HDR_NAME("Reject-Contact"), 'j', HDR_LIST},
	[SIPMSG_HDR_REPLY_TO] = {HDR_NAME("Reply-To"), 0, 0},
	[SIPMSG_HDR_REQUEST_DISPOSITION] = {HDR_NAME("Request-Disposition"), 'd', HDR_LIST},
	[SIPMSG_HDR_REQUIRE] = {HDR_NAME("Require"), 0, HDR_LIST},
	[SIPMSG_HDR_RETRY_AFTER] = {HDR_NAME("Retry-After"), 0, 0},
	[SIPMSG_HDR_ROUTE] = {HDR_NAME("Route"), 0, HDR_LIST},
	[SIPMSG_HDR_SERVER] = {HDR_NAME("Server"), 0, 0},
	[SIPMSG_HDR_SESSION_EXPIRES] = {HDR_NAME("Session-Expires"), 'x', 0},
	[SIPMSG_HDR_SUBJECT] = {HDR_NAME("Subject"), 's', 0},
	[SIPMSG_HDR_SUBSCRIPTION_STATE] = {HDR_NAME("Subscription-State"), 0, 0},
	[SIPMSG_HDR_SUPPORTED] = {HDR_NAME("Supported"), 'k', HDR_LIST},
	[SIPMSG_HDR_TIMESTAMP] = {HDR_NAME("Timestamp"), 0, 0},
	[SIPMSG_HDR_TO] = {HDR_NAME("To"), 't', HDR_SINGLE},
	[SIPMSG_HDR_UNSUPPORTED] = {HDR_NAME("Unsupported"), 0, HDR_LIST},
	[SIPMSG_HDR_USER_AGENT] = {HDR_NAME("User-Agent"), 0, 0},
	[SIPMSG_HDR_VIA] = {HDR_NAME("Via"), 'v', HDR_LIST},
	[SIPMSG_HDR_WARNING] = {HDR_NAME("Warning"), 0, HDR_LIST},
	[SIPMSG_HDR_WWW_AUTHENTICATE] = {HDR_NAME("WWW-Authenticate"), 0, 0},
};

/* Strings the builder copied in; freed together with the message. */
struct chunk {
	struct chunk *next;
	char data[];
};

struct sipmsg {
	char *wire;                 /* our copy of the decoded bytes */
	size_t wire_len;
	bool request;
	struct span method;
	struct span ruri_text;
	struct uri ruri;
	unsigned status;
	struct span reason;
	struct span version;
	unsigned framing_defects;
	struct field *fields;
	size_t nfields;
	size_t fields_cap;
	struct span body;
	struct chunk *chunks;
};

static int fail(char *reason, size_t size, int err, const char *fmt, ...)
	SIPMSG_PRINTF(4, 5);

static int fail(char *reason, size_t size, int err, const char *fmt, ...)
{
	va_list ap;

	if (reason != NULL && size > 0) {
		va_start(ap, fmt);
		vsnprintf(reason, size, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* ---- character classes and small scanners ------------------------------ */

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* token (RFC 3261 §25.1) */
static bool is_token_char(unsigned char c)
{
	if (is_alnum(c))
		return true;
	switch (c) {
	case '-': case '.': case '!': case '%': case '*':
	case '_': case '+': case '`': case '\'': case '~':
		return true;
	default:
		return false;
	}
}

/* word, as in Call-ID */
static bool is_word_char(unsigned char c)
{
	if (is_token_char(c))
		return true;
	switch (c) {
	case '(': case ')': case '<': case '>': case ':': case '\\':
	case '"': case '/': case '[': case ']': case '?': case '{': case '}':
		return true;
	default:
		return false;
	}
}

/* Unquoted generic parameter values: token / host (RFC 3261 gen-value). */
static bool is_gen_value_char(unsigned char c)
{
	return is_token_char(c) || c == ':' || c == '[' || c == ']';
}

static bool span_is_token(struct span s)
{
	size_t i;

	if (s.p == NULL || s.len == 0)
		return false;
	for (i = 0; i < s.len; i++)
		if (!is_token_char((unsigned char)s.p[i]))
			return false;
	return true;
}

static bool span_has_crlf(struct span s)
{
	return s.len > 0 && (memchr(s.p, '\r', s.len) || memchr(s.p, '\n', s.len));
}

struct cursor {
	const char *p;
	size_t len;
	size_t pos;
};

static struct cursor cursor_of(struct span s)
{
	return (struct cursor){s.p, s.len, 0};
}

static bool cur_end(const struct cursor *c)
{
	return c->pos >= c->len;
}

static int cur_peek(const struct cursor *c)
{
	return cur_end(c) ? -1 : (unsigned char)c->p[c->pos];
}

static void cur_skip_ws(struct cursor *c)
{
	while (!cur_end(c) && is_ws(c->p[c->pos]))
		c->pos++;
}

static struct span cur_token(struct cursor *c)
{
	size_t start = c->pos;

	while (!cur_end(c) && is_token_char((unsigned char)c->p[c->pos]))
		c->pos++;
	return span_make(c->p + start, c->pos - start);
}

/* Skip optional LWS, then ch, then optional LWS (the SEMI/SLASH/EQUAL
 * shapes of RFC 3261 §25.1). false (position kept) when ch is absent. */
static bool cur_accept(struct cursor *c, char ch)
{
	size_t save = c->pos;

	cur_skip_ws(c);
	if (cur_peek(c) != (unsigned char)ch) {
		c->pos = save;
		return false;
	}
	c->pos++;
	cur_skip_ws(c);
	return true;
}

/* p[*pos] is '"': move past the closing quote; EBADMSG if there is none. */
static int skip_quoted(const char *p, size_t len, size_t *pos)
{
	size_t i = *pos + 1;

	while (i < len) {
		if (p[i] == '\\') {
			i += 2;
			continue;
		}
		if (p[i] == '"') {
			*pos = i + 1;
			return 0;
		}
		i++;
	}
	return EBADMSG;
}

/* delta-seconds, saturating at 2^32-1 as RFC 3261 §20.19 asks. */
static int parse_delta(struct span s, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s.p == NULL || s.len == 0)
		return EBADMSG;
	for (i = 0; i < s.len; i++) {
		if (!is_digit((unsigned char)s.p[i]))
			return EBADMSG;
		v = v * 10 + (unsigned)(s.p[i] - '0');
		if (v > UINT32_MAX)
			v = UINT32_MAX;
	}
	*out = (uint32_t)v;
	return 0;
}

static bool span_all_digits(struct span s)
{
	size_t i;

	if (s.p == NULL || s.len == 0)
		return false;
	for (i = 0; i < s.len; i++)
		if (!is_digit((unsigned char)s.p[i]))
			return false;
	return true;
}

/* IPv4 or IPv6 literal (no brackets) checked with inet_pton. */
static bool span_is_ip(struct span s, bool *ipv6)
{
	char buf[64];
	unsigned char addr[16];

	if (s.len == 0 || s.len >= sizeof(buf))
		return false;
	memcpy(buf, s.p, s.len);
	buf[s.len] = '\0';
	if (memchr(s.p, '\0', s.len))
		return false;
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*ipv6 = false;
		return true;
	}
	if (inet_pton(AF_INET6, buf, addr) == 1) {
		*ipv6 = true;
		return true;
	}
	return false;
}

/* ---- header table ------------------------------------------------------ */

const char *sipmsg_hdr_name(enum sipmsg_hdr_id id)
{
	if ((unsigned)id >= SIPMSG_HDR_COUNT)
		return NULL;
	return hdr_table[id].name;
}

enum sipmsg_hdr_id sipmsg_hdr_lookup(struct span name)
{
	unsigned i;

	if (name.p == NULL || name.len == 0)
		return SIPMSG_HDR_OTHER;
	if (name.len == 1) {
		char c = name.p[0];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		for (i = 1; i < SIPMSG_HDR_COUNT; i++)
			if (hdr_table[i].compact != 0 && c == hdr_table[i].compact)
				return (enum sipmsg_hdr_id)i;
		return SIPMSG_HDR_OTHER;
	}
	for (i = 1; i < SIPMSG_HDR_COUNT; i++) {
		if (hdr_table[i].len == name.len &&
		    span_eq_span_nocase(name, (struct span){hdr_table[i].name,
							     hdr_table[i].len}))
			return (enum sipmsg_hdr_id)i;
	}
	return SIPMSG_HDR_OTHER;
}

static const char *hdr_label(const struct sipmsg_header *h)
{
	return h->id != SIPMSG_HDR_OTHER ? hdr_table[h->id].name : "header";
}

/* ---- list splitting and parameters ------------------------------------- */

/* Next comma-separated element of a list header value; *pos starts at 0
 * and is value.len + 1 after the last element. An empty value has no
 * elements; an empty element is EBADMSG. */
static int split_next(struct span v, size_t *pos, struct span *elem)
{
	size_t i, start = *pos;
	bool angle = false;

	if (v.len == 0 || start > v.len)
		return ENOENT;
	for (i = start; i < v.len; i++) {
		char c = v.p[i];

		if (c == '"' && !angle) {
			if (skip_quoted(v.p, v.len, &i) != 0)
				return EBADMSG;
			i--;
			continue;
		}
		if (c == '<')
			angle = true;
		else if (c == '>')
			angle = false;
		else if (c == ',' && !angle)
			break;
	}
	if (angle)
		return EBADMSG;
	*elem = span_trim(span_make(v.p + start, i - start));
	*pos = i < v.len ? i + 1 : v.len + 1;
	return elem->len == 0 ? EBADMSG : 0;
}

int sipmsg_param_next(struct span params, size_t *pos, struct span *name,
		      struct span *value)
{
	struct cursor c = cursor_of(params);
	struct span n, v = SPAN_NULL;

	if (pos == NULL || params.p == NULL || params.len == 0 ||
	    *pos > params.len)
		return ENOENT;
	c.pos = *pos;
	cur_skip_ws(&c);
	n = cur_token(&c);
	if (n.len == 0)
		return EBADMSG;
	if (cur_accept(&c, '=')) {
		size_t start = c.pos;

		if (cur_peek(&c) == '"') {
			if (skip_quoted(c.p, c.len, &c.pos) != 0)
				return EBADMSG;
		} else {
			while (!cur_end(&c) &&
			       is_gen_value_char((unsigned char)c.p[c.pos]))
				c.pos++;
		}
		if (c.pos == start)
			return EBADMSG;
		v = span_make(c.p + start, c.pos - start);
	}
	cur_skip_ws(&c);
	if (cur_end(&c))
		*pos = params.len + 1;
	else if (c.p[c.pos] == ';')
		*pos = c.pos + 1;
	else
		return EBADMSG;
	if (name != NULL)
		*name = n;
	if (value != NULL)
		*value = v;
	return 0;
}

int sipmsg_param_get(struct span params, const char *name, struct span *value)
{
	size_t pos = 0;
	struct span n, v;
	int err;

	while ((err = sipmsg_param_next(params, &pos, &n, &v)) == 0) {
		if (span_eq_nocase(n, name)) {
			if (value != NULL)
				*value = v.p != NULL ? v : span_make(n.p + n.len, 0);
			return 0;
		}
	}
	return err;
}

/* Check a whole parameter list. */
static int params_check(struct span params)
{
	size_t pos = 0;
	int err;

	while ((err = sipmsg_param_next(params, &pos, NULL, NULL)) == 0)
		;
	return err == ENOENT ? 0 : err;
}

/* The text after "<head>;" at cursor: sets *params (without the ';') and
 * checks it. Anything else than end of text or ';' is an error. */
static int rest_params(struct cursor *c, struct span *params)
{
	cur_skip_ws(c);
	if (cur_end(c)) {
		*params = SPAN_NULL;
		return 0;
	}
	if (c->p[c->pos] != ';')
		return EBADMSG;
	c->pos++;
	*params = span_trim(span_make(c->p + c->pos, c->len - c->pos));
	if (params->len == 0)
		return EBADMSG;
	return params_check(*params);
}

/* ---- typed value parsers ----------------------------------------------- */

static int via_parse(struct span v, struct sipmsg_via *via, char *reason,
		     size_t rs)
{
	struct cursor c = cursor_of(v);
	struct span name, value;
	size_t pos = 0, start;
	int err;

	memset(via, 0, sizeof(*via));
	cur_skip_ws(&c);
	via->protocol_name = cur_token(&c);
	if (via->protocol_name.len == 0 || !cur_accept(&c, '/'))
		return fail(reason, rs, EBADMSG, "Via: bad sent-protocol");
	via->protocol_version = cur_token(&c);
	if (via->protocol_version.len == 0 || !cur_accept(&c, '/'))
		return fail(reason, rs, EBADMSG, "Via: bad sent-protocol");
	via->transport = cur_token(&c);
	if (via->transport.len == 0)
		return fail(reason, rs, EBADMSG, "Via: missing transport");
	if (!is_ws((char)cur_peek(&c)))
		return fail(reason, rs, EBADMSG,
			    "Via: no whitespace before sent-by");
	cur_skip_ws(&c);
	start = c.pos;
	if (cur_peek(&c) == '[') {
		while (!cur_end(&c) && c.p[c.pos] != ']')
			c.pos++;
		if (cur_end(&c))
			return fail(reason, rs, EBADMSG, "Via: unterminated [");
		via->host = span_make(c.p + start + 1, c.pos - start - 1);
		c.pos++;
		if (!span_is_ip(via->host, &via->host_ipv6) || !via->host_ipv6)
			return fail(reason, rs, EBADMSG,
				    "Via: bad IPv6 reference in sent-by");
	} else {
		while (!cur_end(&c) && (is_alnum((unsigned char)c.p[c.pos]) ||
					c.p[c.pos] == '-' || c.p[c.pos] == '.'))
			c.pos++;
		via->host = span_make(c.p + start, c.pos - start);
		if (via->host.len == 0 || !is_alnum((unsigned char)via->host.p[0]))
			return fail(reason, rs, EBADMSG, "Via: bad sent-by host");
	}
	if (cur_accept(&c, ':')) {
		unsigned long long port;

		start = c.pos;
		while (!cur_end(&c) && is_digit((unsigned char)c.p[c.pos]))
			c.pos++;
		if (span_to_u64(span_make(c.p + start, c.pos - start), 65535,
				&port) != 0 || port == 0)
			return fail(reason, rs, EBADMSG, "Via: bad sent-by port");
		via->port = (unsigned)port;
	}
	if (rest_params(&c, &via->params) != 0)
		return fail(reason, rs, EBADMSG, "Via: bad parameters");
	while ((err = sipmsg_param_next(via->params, &pos, &name, &value)) == 0) {
		if (span_eq_nocase(name, "branch")) {
			if (!span_is_token(value))
				return fail(reason, rs, EBADMSG,
					    "Via: bad branch");
			via->branch = value;
		} else if (span_eq_nocase(name, "received")) {
			bool ipv6 = false;

			if (value.len >= 2 && value.p[0] == '[' &&
			    value.p[value.len - 1] == ']') {
				/* RFC 5118 §4.5: tolerate the brackets */
				value.p++;
				value.len -= 2;
				if (!span_is_ip(value, &ipv6) || !ipv6)
					return fail(reason, rs, EBADMSG,
						    "Via: bad received");
			} else if (!span_is_ip(value, &ipv6)) {
				return fail(reason, rs, EBADMSG,
					    "Via: bad received");
			}
			via->received = value;
		} else if (span_eq_nocase(name, "rport")) {
			unsigned long long port = 0;

			if (value.p != NULL &&
			    (span_to_u64(value, 65535, &port) != 0 || port == 0))
				return fail(reason, rs, EBADMSG,
					    "Via: bad rport");
			via->rport = true;
			via->rport_port = (unsigned)port;
		}
	}
	if (err != ENOENT)
		return fail(reason, rs, EBADMSG, "Via: bad parameters");
	return 0;
}

bool sipmsg_via_branch_is_rfc3261(const struct sipmsg_via *via)
{
	return via != NULL && via->branch.len > 7 &&
	       memcmp(via->branch.p, "z9hG4bK", 7) == 0;
}

static int addr_parse(struct span v, const char *label, struct uri_addr *addr,
		      char *reason, size_t rs)
{
	char why[160];
	int err;

	why[0] = '\0';
	err = uri_addr_decode(addr, v.p, v.len, why, sizeof(why));
	if (err != 0)
		return fail(reason, rs, err == E2BIG ? E2BIG : EBADMSG, "%s: %s",
			    label, why[0] ? why : "bad address");
	return 0;
}

static int party_parse(struct span v, const char *label,
		       struct sipmsg_party *party, char *reason, size_t rs)
{
	int err;

	memset(party, 0, sizeof(*party));
	if (v.len == 0)
		return fail(reason, rs, EBADMSG, "%s: empty value", label);
	err = addr_parse(v, label, &party->addr, reason, rs);
	if (err != 0)
		return err;
	err = uri_addr_param_get(&party->addr, "tag", &party->tag);
	if (err == ENOENT) {
		party->tag = SPAN_NULL;
		return 0;
	}
	if (err != 0 || !span_is_token(party->tag))
		return fail(reason, rs, EBADMSG, "%s: bad tag", label);
	return 0;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
static int parse_qvalue(struct span s, int *q)
{
	int v, scale = 100;
	size_t i;

	if (s.len == 0 || (s.p[0] != '0' && s.p[0] != '1'))
		return EBADMSG;
	v = (s.p[0] - '0') * 1000;
	if (s.len == 1)
		goto out;
	if (s.p[1] != '.' || s.len > 5)
		return EBADMSG;
	for (i = 2; i < s.len; i++) {
		if (!is_digit((unsigned char)s.p[i]))
			return EBADMSG;
		v += (s.p[i] - '0') * scale;
		scale /= 10;
	}
	if (v > 1000)
		return EBADMSG;
out:
	*q = v;
	return 0;
}

static int contact_parse(struct span v, struct sipmsg_contact *ct,
			 char *reason, size_t rs)
{
	struct span value;
	int err;

	memset(ct, 0, sizeof(*ct));
	ct->q = -1;
	if (span_eq(v, "*")) {
		ct->star = true;
		return 0;
	}
	err = addr_parse(v, "Contact", &ct->addr, reason, rs);
	if (err != 0)
		return err;
	if (uri_addr_param_get(&ct->addr, "expires", &value) == 0) {
		if (parse_delta(value, &ct->expires) != 0)
			return fail(reason, rs, EBADMSG, "Contact: bad expires");
		ct->has_expires = true;
	}
	if (uri_addr_param_get(&ct->addr, "q", &value) == 0 &&
	    parse_qvalue(value, &ct->q) != 0)
		return fail(reason, rs, EBADMSG, "Contact: bad q");
	return 0;
}

static int route_parse(struct span v, const char *label, struct uri_addr *addr,
		       char *reason, size_t rs)
{
	int err = addr_parse(v, label, addr, reason, rs);

	if (err != 0)
		return err;
	if (!addr->angle)
		return fail(reason, rs, EBADMSG, "%s: value must be in <>",
			    label);
	return 0;
}

/* callid = word [ "@" word ] */
static int call_id_check(struct span v, char *reason, size_t rs)
{
	size_t i, at = 0, ats = 0;

	if (v.len == 0)
		return fail(reason, rs, EBADMSG, "Call-ID: empty value");
	for (i = 0; i < v.len; i++) {
		if (v.p[i] == '@') {
			at = i;
			ats++;
		} else if (!is_word_char((unsigned char)v.p[i])) {
			return fail(reason, rs, EBADMSG,
				    "Call-ID: invalid character");
		}
	}
	if (ats > 1 || (ats == 1 && (at == 0 || at == v.len - 1)))
		return fail(reason, rs, EBADMSG, "Call-ID: bad '@'");
	return 0;
}

static int cseq_parse(struct span v, struct sipmsg_cseq *cseq, char *reason,
		      size_t rs)
{
	struct cursor c = cursor_of(v);
	unsigned long long n;
	size_t start;
	int err;

	memset(cseq, 0, sizeof(*cseq));
	start = c.pos;
	while (!cur_end(&c) && is_digit((unsigned char)c.p[c.pos]))
		c.pos++;
	err = span_to_u64(span_make(c.p + start, c.pos - start), 0x7fffffffu, &n);
	if (err == ERANGE)
		return fail(reason, rs, EBADMSG,
			    "CSeq: sequence number not below 2^31");
	if (err != 0 || !is_ws((char)cur_peek(&c)))
		return fail(reason, rs, EBADMSG, "CSeq: bad sequence number");
	cur_skip_ws(&c);
	cseq->method = cur_token(&c);
	cseq->number = (uint32_t)n;
	if (cseq->method.len == 0 || !cur_end(&c))
		return fail(reason, rs, EBADMSG, "CSeq: bad method");
	return 0;
}

static int content_length_parse(struct span v, size_t *out, char *reason,
				size_t rs)
{
	unsigned long long n;
	int err;

	if (v.len > 0 && v.p[0] == '-')
		return fail(reason, rs, EBADMSG, "Content-Length: negative");
	err = span_to_u64(v, ~0ULL, &n);
	if (err == EINVAL)
		return fail(reason, rs, EBADMSG, "Content-Length: not a number");
	if (err != 0 || n > SIPMSG_MAX_SIZE)
		return fail(reason, rs, E2BIG,
			    "Content-Length: above the %d-byte message limit",
			    SIPMSG_MAX_SIZE);
	*out = (size_t)n;
	return 0;
}

int sipmsg_media_parse(struct span text, struct sipmsg_media *media)
{
	struct cursor c = cursor_of(span_trim(text));

	if (media == NULL)
		return EINVAL;
	memset(media, 0, sizeof(*media));
	media->type = cur_token(&c);
	if (media->type.len == 0 || !cur_accept(&c, '/'))
		return EBADMSG;
	media->subtype = cur_token(&c);
	if (media->subtype.len == 0)
		return EBADMSG;
	return rest_params(&c, &media->params);
}

bool sipmsg_media_matches(const struct sipmsg_media *media,
			  const char *type_subtype)
{
	const char *slash;
	struct span t, s;

	if (media == NULL || type_subtype == NULL)
		return false;
	slash = strchr(type_subtype, '/');
	if (slash == NULL)
		return false;
	t = span_make(type_subtype, (size_t)(slash - type_subtype));
	s = span_from_str(slash + 1);
	if (span_eq(media->type, "*"))
		return span_eq(media->subtype, "*");
	if (!span_eq_span_nocase(media->type, t))
		return false;
	return span_eq(media->subtype, "*") ||
	       span_eq_span_nocase(media->subtype, s);
}

/* ---- message structure ------------------------------------------------- */

static bool hdr_matches(const struct sipmsg_header *h, enum sipmsg_hdr_id id,
			struct span name)
{
	if (id != SIPMSG_HDR_OTHER)
		return h->id == id;
	return h->id == SIPMSG_HDR_OTHER && span_eq_span_nocase(h->name, name);
}

/* One header field and, for list headers, its comma-separated values,
 * split once so that indexed getters cost O(fields), not O(bytes). */
struct field {
	struct sipmsg_header h;
	struct span *values;        /* malloc'd; NULL unless a list header */
	size_t nvalues;             /* 1 for a header that is not a list */
};

static struct span field_value(const struct field *f, size_t k)
{
	return f->values != NULL ? f->values[k] : f->h.value;
}

static int value_at(const struct sipmsg *msg, enum sipmsg_hdr_id id,
		    struct span name, size_t index, struct span *value)
{
	size_t i;

	if (msg == NULL)
		return EINVAL;
	for (i = 0; i < msg->nfields; i++) {
		const struct field *f = &msg->fields[i];

		if (!hdr_matches(&f->h, id, name))
			continue;
		if (index < f->nvalues) {
			*value = field_value(f, index);
			return 0;
		}
		index -= f->nvalues;
	}
	return ENOENT;
}

static size_t value_count(const struct sipmsg *msg, enum sipmsg_hdr_id id)
{
	size_t i, n = 0;

	if (msg == NULL)
		return 0;
	for (i = 0; i < msg->nfields; i++)
		if (msg->fields[i].h.id == id)
			n += msg->fields[i].nvalues;
	return n;
}

static size_t field_count(const struct sipmsg *msg, enum sipmsg_hdr_id id,
			  struct span name)
{
	size_t i, n = 0;

	for (i = 0; i < msg->nfields; i++)
		if (hdr_matches(&msg->fields[i].h, id, name))
			n++;
	return n;
}

static const struct sipmsg_header *first_field(const struct sipmsg *msg,
					       enum sipmsg_hdr_id id)
{
	size_t i;

	for (i = 0; i < msg->nfields; i++)
		if (msg->fields[i].h.id == id)
			return &msg->fields[i].h;
	return NULL;
}

/* Split the value of a list header into f->values. */
static int field_split(struct field *f, char *reason, size_t rs)
{
	const char *label = hdr_label(&f->h);
	struct span v, *values;
	size_t pos = 0, n = 0;
	int err;

	f->values = NULL;
	f->nvalues = 1;
	if (f->h.id == SIPMSG_HDR_OTHER || !(hdr_table[f->h.id].flags & HDR_LIST))
		return 0;
	while ((err = split_next(f->h.value, &pos, &v)) == 0)
		if (++n > SIPMSG_MAX_VALUES)
			return fail(reason, rs, E2BIG, "%s: more than %d values",
				    label, SIPMSG_MAX_VALUES);
	if (err != ENOENT)
		return fail(reason, rs, EBADMSG,
			    "%s: empty value or unbalanced quote or <>", label);
	f->nvalues = n;
	if (n == 0)
		return 0;
	values = malloc(n * sizeof(*values));
	if (values == NULL)
		return fail(reason, rs, ENOMEM, "out of memory");
	pos = 0;
	n = 0;
	while (split_next(f->h.value, &pos, &v) == 0)
		values[n++] = v;
	f->values = values;
	return 0;
}

/* Syntax check of one split field, as decoding and the builder both do;
 * *star tells whether it held a '*' Contact. */
static int field_check(const struct field *f, bool *star, char *reason,
		       size_t rs)
{
	const struct sipmsg_header *h = &f->h;
	const char *label = hdr_label(h);
	size_t k;
	int err;

	*star = false;
	switch (h->id) {
	case SIPMSG_HDR_VIA:
	case SIPMSG_HDR_CONTACT:
	case SIPMSG_HDR_ROUTE:
	case SIPMSG_HDR_RECORD_ROUTE:
		if (f->nvalues == 0)
			return fail(reason, rs, EBADMSG, "%s: empty value",
				    label);
		for (k = 0; k < f->nvalues; k++) {
			struct span v = field_value(f, k);
			struct sipmsg_via via;
			struct sipmsg_contact ct;
			struct uri_addr addr;

			if (h->id == SIPMSG_HDR_VIA) {
				err = via_parse(v, &via, reason, rs);
			} else if (h->id == SIPMSG_HDR_CONTACT) {
				err = contact_parse(v, &ct, reason, rs);
				if (err == 0 && ct.star)
					*star = true;
			} else {
				err = route_parse(v, label, &addr, reason, rs);
			}
			if (err != 0)
				return err;
		}
		if (*star && f->nvalues > 1)
			return fail(reason, rs, EBADMSG,
				    "Contact: '*' must be the only value");
		return 0;
	case SIPMSG_HDR_FROM:
	case SIPMSG_HDR_TO: {
		struct sipmsg_party party;

		return party_parse(h->value, label, &party, reason, rs);
	}
	case SIPMSG_HDR_CALL_ID:
		return call_id_check(h->value, reason, rs);
	case SIPMSG_HDR_CSEQ: {
		struct sipmsg_cseq cseq;

		return cseq_parse(h->value, &cseq, reason, rs);
	}
	case SIPMSG_HDR_MAX_FORWARDS:
		if (!span_all_digits(h->value))
			return fail(reason, rs, EBADMSG,
				    "Max-Forwards: not a number");
		return 0;
	case SIPMSG_HDR_CONTENT_LENGTH: {
		size_t cl;

		return content_length_parse(h->value, &cl, reason, rs);
	}
	case SIPMSG_HDR_CONTENT_TYPE: {
		struct sipmsg_media media;

		if (sipmsg_media_parse(h->value, &media) != 0)
			return fail(reason, rs, EBADMSG,
				    "Content-Type: bad media type");
		return 0;
	}
	default:
		return 0;
	}
}

/* Insert f at position at; the message takes over f->values. */
static int field_insert(struct sipmsg *msg, size_t at, const struct field *f)
{
	if (msg->nfields >= SIPMSG_MAX_HEADERS)
		return E2BIG;
	if (msg->nfields == msg->fields_cap) {
		size_t cap = msg->fields_cap ? msg->fields_cap * 2 : 16;
		struct field *grown;

		if (cap > SIPMSG_MAX_HEADERS)
			cap = SIPMSG_MAX_HEADERS;
		grown = realloc(msg->fields, cap * sizeof(*grown));
		if (grown == NULL)
			return ENOMEM;
		msg->fields = grown;
		msg->fields_cap = cap;
	}
	if (at > msg->nfields)
		at = msg->nfields;
	memmove(&msg->fields[at + 1], &msg->fields[at],
		(msg->nfields - at) * sizeof(msg->fields[0]));
	msg->fields[at] = *f;
	msg->nfields++;
	return 0;
}

void sipmsg_free(struct sipmsg *msg)
{
	struct chunk *c, *next;
	size_t i;

	if (msg == NULL)
		return;
	for (c = msg->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	for (i = 0; i < msg->nfields; i++)
		free(msg->fields[i].values);
	free(msg->fields);
	free(msg->wire);
	free(msg);
}

/* ---- decoding ---------------------------------------------------------- */

/* Find the end of the line starting at pos (with folds when fold is set):
 * *eol is the index of its CR, *next the index after the CRLF. EAGAIN when
 * the input ends first, EBADMSG on a bare CR or LF, E2BIG when the line is
 * longer than SIPMSG_MAX_LINE. */
static int line_scan(const char *p, size_t len, size_t pos, bool fold,
		     size_t *eol, size_t *next, char *reason, size_t rs)
{
	size_t i = pos;

	for (;;) {
		while (i < len && p[i] != '\r' && p[i] != '\n') {
			i++;
			if (i - pos > SIPMSG_MAX_LINE)
				goto too_long;
		}
		if (i >= len)
			return EAGAIN;
		if (p[i] == '\n')
			return fail(reason, rs, EBADMSG,
				    "bare LF (lines must end with CRLF)");
		if (i + 1 >= len)
			return EAGAIN;
		if (p[i + 1] != '\n')
			return fail(reason, rs, EBADMSG,
				    "bare CR (lines must end with CRLF)");
		if (fold) {
			if (i + 2 >= len)
				return EAGAIN;
			if (is_ws(p[i + 2])) {
				i += 2;
				if (i - pos > SIPMSG_MAX_LINE)
					goto too_long;
				continue;
			}
		}
		*eol = i;
		*next = i + 2;
		return 0;
	}
too_long:
	return fail(reason, rs, E2BIG, "line longer than %d bytes",
		    SIPMSG_MAX_LINE);
}

/* SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT ("SIP" case-insensitive) */
static bool version_syntax_ok(struct span v)
{
	size_t i = 4, digits = 0;

	if (v.len < 7 || !span_eq_nocase(span_make(v.p, 4), "SIP/"))
		return false;
	while (i < v.len && is_digit((unsigned char)v.p[i])) {
		i++;
		digits++;
	}
	if (digits == 0 || i >= v.len || v.p[i] != '.')
		return false;
	i++;
	if (i >= v.len)
		return false;
	while (i < v.len && is_digit((unsigned char)v.p[i]))
		i++;
	return i == v.len;
}

static bool version_is_2_0(struct span v)
{
	return span_eq_nocase(v, "SIP/2.0");
}

static int parse_request_line(struct sipmsg *msg, struct span line,
			      char *reason, size_t rs)
{
	const char *sp1, *sp2;
	struct span uri;
	char why[160];
	size_t i;
	int err;

	sp1 = memchr(line.p, ' ', line.len);
	if (sp1 == NULL)
		return fail(reason, rs, EBADMSG, "Request-Line: no SP");
	msg->method = span_make(line.p, (size_t)(sp1 - line.p));
	if (!span_is_token(msg->method))
		return fail(reason, rs, EBADMSG, "Request-Line: bad method");
	if (is_ws(line.p[line.len - 1]))
		return fail(reason, rs, EBADMSG,
			    "Request-Line: whitespace after SIP-Version");
	sp2 = line.p + line.len - 1;
	while (*sp2 != ' ')
		sp2--;
	if (sp2 == sp1)
		return fail(reason, rs, EBADMSG,
			    "Request-Line: missing Request-URI or SIP-Version");
	uri = span_make(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	if (uri.len == 0 || uri.p[0] == ' ' || uri.p[uri.len - 1] == ' ')
		return fail(reason, rs, EBADMSG,
			    "Request-Line: elements must be separated by "
			    "exactly one SP");
	for (i = 0; i < uri.len; i++)
		if (is_ws(uri.p[i]))
			return fail(reason, rs, EBADMSG,
				    "Request-Line: whitespace inside the "
				    "Request-URI");
	if (uri.p[0] == '<')
		return fail(reason, rs, EBADMSG,
			    "Request-Line: Request-URI must not be in <>");
	msg->version = span_make(sp2 + 1, (size_t)(line.p + line.len - sp2 - 1));
	if (!version_syntax_ok(msg->version))
		return fail(reason, rs, EBADMSG, "Request-Line: bad SIP-Version");
	why[0] = '\0';
	err = uri_decode(&msg->ruri, uri.p, uri.len, why, sizeof(why));
	if (err != 0)
		return fail(reason, rs, err == E2BIG ? E2BIG : EBADMSG,
			    "Request-URI: %s", why[0] ? why : "invalid");
	if (msg->ruri.headers.p != NULL)
		return fail(reason, rs, EBADMSG,
			    "Request-URI: must not contain headers");
	msg->ruri_text = uri;
	msg->request = true;
	return 0;
}

static int parse_status_line(struct sipmsg *msg, struct span line,
			     char *reason, size_t rs)
{
	const char *sp = memchr(line.p, ' ', line.len);
	size_t rest;
	unsigned code;

	if (sp == NULL)
		return fail(reason, rs, EBADMSG, "Status-Line: no SP");
	msg->version = span_make(line.p, (size_t)(sp - line.p));
	if (!version_syntax_ok(msg->version))
		return fail(reason, rs, EBADMSG, "Status-Line: bad SIP-Version");
	rest = line.len - (size_t)(sp + 1 - line.p);
	if (rest < 3 || !is_digit((unsigned char)sp[1]) ||
	    !is_digit((unsigned char)sp[2]) || !is_digit((unsigned char)sp[3]) ||
	    (rest > 3 && sp[4] != ' '))
		return fail(reason, rs, EBADMSG,
			    "Status-Line: status code must be 3 digits then SP");
	code = (unsigned)((sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0'));
	if (code < 100 || code > 699)
		return fail(reason, rs, EBADMSG,
			    "Status-Line: status code %u outside 100..699", code);
	msg->status = code;
	/* A missing SP before an empty reason is tolerated. */
	msg->reason = rest > 3 ? span_make(sp + 5, rest - 4)
			       : span_make(sp + 4, 0);
	msg->request = false;
	return 0;
}

static struct span rebase(struct span s, const char *from, const char *to)
{
	if (s.p == NULL)
		return s;
	return span_make(to + (s.p - from), s.len);
}

int sipmsg_decode_flags(struct sipmsg **msgp, const char *p, size_t len,
			unsigned flags, char *reason, size_t reason_size)
{
	bool stream = (flags & SIPMSG_STREAM) != 0;
	char *rs = reason;
	size_t rsz = reason_size;
	struct sipmsg *msg = NULL;
	size_t start = 0, sl_eol, pos, eol, next, hdr_end = 0, avail, body_len;
	size_t cl = 0, total, i, stars = 0;
	bool have_cl = false, conflict = false;
	struct field f;
	struct span line;
	int err;

	if (reason != NULL && reason_size > 0)
		reason[0] = '\0';
	if (msgp == NULL || (p == NULL && len > 0))
		return fail(rs, rsz, EINVAL, "no message");
	*msgp = NULL;
	if (!stream && len > SIPMSG_MAX_SIZE)
		return fail(rs, rsz, E2BIG, "message larger than %d bytes",
			    SIPMSG_MAX_SIZE);
	while (start + 1 < len && p[start] == '\r' && p[start + 1] == '\n')
		start += 2;
	if (start >= len) {
		if (stream)
			return EAGAIN;
		return fail(rs, rsz, EBADMSG, "empty message");
	}

	msg = calloc(1, sizeof(*msg));
	if (msg == NULL)
		return fail(rs, rsz, ENOMEM, "out of memory");

	/* Framing on the caller's bytes: lines, header names, Content-Length. */
	err = line_scan(p, len, start, false, &sl_eol, &pos, rs, rsz);
	if (err != 0)
		goto framing_error;
	if (sl_eol == start) {
		err = fail(rs, rsz, EBADMSG, "empty start line");
		goto out;
	}
	for (;;) {
		struct span name, value;
		size_t j;

		if (pos - start > SIPMSG_MAX_SIZE) {
			err = fail(rs, rsz, E2BIG,
				   "header section larger than %d bytes",
				   SIPMSG_MAX_SIZE);
			goto out;
		}
		if (pos + 1 < len && p[pos] == '\r' && p[pos + 1] == '\n') {
			hdr_end = pos + 2;
			break;
		}
		if (pos < len && is_ws(p[pos])) {
			err = fail(rs, rsz, EBADMSG,
				   "folded line without a header before it");
			goto out;
		}
		err = line_scan(p, len, pos, true, &eol, &next, rs, rsz);
		if (err != 0)
			goto framing_error;
		for (j = pos; j < eol && is_token_char((unsigned char)p[j]); j++)
			;
		name = span_make(p + pos, j - pos);
		while (j < eol && is_ws(p[j]))
			j++;
		if (name.len == 0 || j >= eol || p[j] != ':') {
			err = fail(rs, rsz, EBADMSG,
				   "malformed header line (expected name ':')");
			goto out;
		}
		value = span_trim(span_make(p + j + 1, eol - j - 1));
		f = (struct field){{sipmsg_hdr_lookup(name), name, value},
				   NULL, 1};
		err = field_insert(msg, msg->nfields, &f);
		if (err == E2BIG) {
			err = fail(rs, rsz, E2BIG, "more than %d header fields",
				   SIPMSG_MAX_HEADERS);
			goto out;
		}
		if (err != 0) {
			err = fail(rs, rsz, err, "out of memory");
			goto out;
		}
		pos = next;
	}

	for (i = 0; i < msg->nfields; i++) {
		size_t v;

		if (msg->fields[i].h.id != SIPMSG_HDR_CONTENT_LENGTH)
			continue;
		err = content_length_parse(msg->fields[i].h.value, &v, rs, rsz);
		if (err != 0)
			goto out;
		if (have_cl && v != cl)
			conflict = true;
		if (!have_cl)
			cl = v;
		have_cl = true;
	}
	avail = len - hdr_end;
	if (conflict) {
		if (stream) {
			err = fail(rs, rsz, EBADMSG,
				   "conflicting Content-Length values");
			goto out;
		}
		/* The datagram boundary is the only length left to trust. */
		msg->framing_defects |= SIPMSG_DEFECT_LENGTH_CONFLICT;
		body_len = avail;
	} else if (have_cl) {
		if (cl > avail) {
			if (hdr_end + cl > SIPMSG_MAX_SIZE + start) {
				err = fail(rs, rsz, E2BIG,
					   "message larger than %d bytes",
					   SIPMSG_MAX_SIZE);
				goto out;
			}
			if (stream) {
				err = EAGAIN;
				goto out;
			}
			if (!(flags & SIPMSG_LENIENT_LENGTH)) {
				err = fail(rs, rsz, EBADMSG,
					   "Content-Length %zu exceeds the %zu "
					   "bytes after the headers",
					   cl, avail);
				goto out;
			}
			msg->framing_defects |= SIPMSG_DEFECT_SHORT_BODY;
			body_len = avail;
		} else {
			body_len = cl;
		}
	} else if (stream) {
		if (avail > 0) {
			err = fail(rs, rsz, EBADMSG,
				   "no Content-Length on a stream transport");
			goto out;
		}
		body_len = 0;
	} else {
		body_len = avail;
	}
	total = hdr_end + body_len;
	if (total - start > SIPMSG_MAX_SIZE) {
		err = fail(rs, rsz, E2BIG, "message larger than %d bytes",
			   SIPMSG_MAX_SIZE);
		goto out;
	}

	/* From here on everything points into our own copy. */
	msg->wire = malloc(total);
	if (msg->wire == NULL) {
		err = fail(rs, rsz, ENOMEM, "out of memory");
		goto out;
	}
	memcpy(msg->wire, p, total);
	msg->wire_len = total;
	for (i = 0; i < msg->nfields; i++) {
		struct sipmsg_header *h = &msg->fields[i].h;
		size_t k;

		h->name = rebase(h->name, p, msg->wire);
		h->value = rebase(h->value, p, msg->wire);
		/* Unfold: a fold is LWS, so its CRLF becomes two spaces. */
		for (k = 0; k < h->value.len; k++)
			if (h->value.p[k] == '\r' || h->value.p[k] == '\n')
				msg->wire[h->value.p - msg->wire + k] = ' ';
	}
	msg->body = span_make(msg->wire + hdr_end, body_len);

	line = span_make(msg->wire + start, sl_eol - start);
	if (line.len >= 4 && span_eq_nocase(span_make(line.p, 4), "SIP/"))
		err = parse_status_line(msg, line, rs, rsz);
	else
		err = parse_request_line(msg, line, rs, rsz);
	if (err != 0)
		goto out;
	if (!version_is_2_0(msg->version))
		msg->framing_defects |= SIPMSG_DEFECT_VERSION;

	for (i = 0; i < msg->nfields; i++) {
		bool star;

		err = field_split(&msg->fields[i], rs, rsz);
		if (err == 0)
			err = field_check(&msg->fields[i], &star, rs, rsz);
		if (err != 0)
			goto out;
		if (star)
			stars++;
	}
	if (stars > 0 && sipmsg_contact_count(msg) > 1) {
		err = fail(rs, rsz, EBADMSG,
			   "Contact: '*' must be the only value");
		goto out;
	}
	*msgp = msg;
	return 0;

framing_error:
	if (err == EAGAIN && !stream)
		err = fail(rs, rsz, EBADMSG,
			   "message ends inside the header section (no empty "
			   "line after the headers)");
out:
	sipmsg_free(msg);
	return err;
}

int sipmsg_decode(struct sipmsg **msgp, const char *p, size_t len,
		  char *reason, size_t reason_size)
{
	return sipmsg_decode_flags(msgp, p, len, 0, reason, reason_size);
}

size_t sipmsg_wire_len(const struct sipmsg *msg)
{
	return msg != NULL ? msg->wire_len : 0;
}

static const enum sipmsg_hdr_id single_ids[] = {
	SIPMSG_HDR_CALL_ID, SIPMSG_HDR_FROM, SIPMSG_HDR_TO, SIPMSG_HDR_CSEQ,
	SIPMSG_HDR_MAX_FORWARDS, SIPMSG_HDR_CONTENT_TYPE,
};

unsigned sipmsg_defects(const struct sipmsg *msg)
{
	unsigned d;
	struct sipmsg_cseq cseq;
	size_t i;

	if (msg == NULL)
		return 0;
	d = msg->framing_defects;
	for (i = 0; i < sizeof(single_ids) / sizeof(single_ids[0]); i++)
		if (field_count(msg, single_ids[i], SPAN_NULL) > 1)
			d |= SIPMSG_DEFECT_MULTIPLE;
	if (msg->request && sipmsg_cseq_get(msg, &cseq) == 0 &&
	    !span_eq_span(cseq.method, msg->method))
		d |= SIPMSG_DEFECT_CSEQ_METHOD;
	return d;
}

/* ---- start line and generic access ------------------------------------- */

bool sipmsg_is_request(const struct sipmsg *msg)
{
	return msg != NULL && msg->request;
}

struct span sipmsg_method(const struct sipmsg *msg)
{
	return msg != NULL && msg->request ? msg->method : SPAN_NULL;
}

const struct uri *sipmsg_request_uri(const struct sipmsg *msg)
{
	return msg != NULL && msg->request ? &msg->ruri : NULL;
}

struct span sipmsg_request_uri_text(const struct sipmsg *msg)
{
	return msg != NULL && msg->request ? msg->ruri_text : SPAN_NULL;
}

unsigned sipmsg_status(const struct sipmsg *msg)
{
	return msg != NULL && !msg->request ? msg->status : 0;
}

struct span sipmsg_reason(const struct sipmsg *msg)
{
	return msg != NULL && !msg->request ? msg->reason : SPAN_NULL;
}

struct span sipmsg_version(const struct sipmsg *msg)
{
	return msg != NULL ? msg->version : SPAN_NULL;
}

struct span sipmsg_body(const struct sipmsg *msg)
{
	return msg != NULL ? msg->body : SPAN_NULL;
}

size_t sipmsg_header_count(const struct sipmsg *msg)
{
	return msg != NULL ? msg->nfields : 0;
}

int sipmsg_header_at(const struct sipmsg *msg, size_t index,
		     struct sipmsg_header *hdr)
{
	if (msg == NULL || hdr == NULL)
		return EINVAL;
	if (index >= msg->nfields)
		return ENOENT;
	*hdr = msg->fields[index].h;
	return 0;
}

static int field_get(const struct sipmsg *msg, enum sipmsg_hdr_id id,
		     struct span name, size_t index, struct sipmsg_header *hdr)
{
	size_t i;

	if (msg == NULL || hdr == NULL)
		return EINVAL;
	for (i = 0; i < msg->nfields; i++) {
		if (!hdr_matches(&msg->fields[i].h, id, name))
			continue;
		if (index-- == 0) {
			*hdr = msg->fields[i].h;
			return 0;
		}
	}
	return ENOENT;
}

int sipmsg_header_get(const struct sipmsg *msg, const char *name,
		      size_t index, struct sipmsg_header *hdr)
{
	struct span n = span_from_str(name);

	if (name == NULL)
		return EINVAL;
	return field_get(msg, sipmsg_hdr_lookup(n), n, index, hdr);
}

int sipmsg_header_get_id(const struct sipmsg *msg, enum sipmsg_hdr_id id,
			 size_t index, struct sipmsg_header *hdr)
{
	if (id == SIPMSG_HDR_OTHER || (unsigned)id >= SIPMSG_HDR_COUNT)
		return EINVAL;
	return field_get(msg, id, SPAN_NULL, index, hdr);
}

size_t sipmsg_header_count_of(const struct sipmsg *msg, const char *name)
{
	struct span n = span_from_str(name);

	if (msg == NULL || name == NULL)
		return 0;
	return field_count(msg, sipmsg_hdr_lookup(n), n);
}

int sipmsg_value_get(const struct sipmsg *msg, const char *name,
		     size_t index, struct span *value)
{
	struct span n = span_from_str(name);

	if (name == NULL || value == NULL)
		return EINVAL;
	return value_at(msg, sipmsg_hdr_lookup(n), n, index, value);
}

int sipmsg_value_get_id(const struct sipmsg *msg, enum sipmsg_hdr_id id,
			size_t index, struct span *value)
{
	if (id == SIPMSG_HDR_OTHER || (unsigned)id >= SIPMSG_HDR_COUNT ||
	    value == NULL)
		return EINVAL;
	return value_at(msg, id, SPAN_NULL, index, value);
}

size_t sipmsg_value_count_id(const struct sipmsg *msg, enum sipmsg_hdr_id id)
{
	if (id == SIPMSG_HDR_OTHER || (unsigned)id >= SIPMSG_HDR_COUNT)
		return 0;
	return value_count(msg, id);
}

/* ---- typed getters ----------------------------------------------------- */

size_t sipmsg_via_count(const struct sipmsg *msg)
{
	return value_count(msg, SIPMSG_HDR_VIA);
}

int sipmsg_via_get(const struct sipmsg *msg, size_t index,
		   struct sipmsg_via *via)
{
	struct span v;
	int err;

	if (via == NULL)
		return EINVAL;
	err = value_at(msg, SIPMSG_HDR_VIA, SPAN_NULL, index, &v);
	if (err != 0)
		return err;
	return via_parse(v, via, NULL, 0);
}

static int party_get(const struct sipmsg *msg, enum sipmsg_hdr_id id,
		     struct sipmsg_party *party)
{
	const struct sipmsg_header *h;

	if (msg == NULL || party == NULL)
		return EINVAL;
	h = first_field(msg, id);
	if (h == NULL)
		return ENOENT;
	return party_parse(h->value, hdr_table[id].name, party, NULL, 0);
}

int sipmsg_from_get(const struct sipmsg *msg, struct sipmsg_party *from)
{
	return party_get(msg, SIPMSG_HDR_FROM, from);
}

int sipmsg_to_get(const struct sipmsg *msg, struct sipmsg_party *to)
{
	return party_get(msg, SIPMSG_HDR_TO, to);
}

int sipmsg_call_id_get(const struct sipmsg *msg, struct span *call_id)
{
	const struct sipmsg_header *h;
	int err;

	if (msg == NULL || call_id == NULL)
		return EINVAL;
	h = first_field(msg, SIPMSG_HDR_CALL_ID);
	if (h == NULL)
		return ENOENT;
	err = call_id_check(h->value, NULL, 0);
	if (err == 0)
		*call_id = h->value;
	return err;
}

int sipmsg_cseq_get(const struct sipmsg *msg, struct sipmsg_cseq *cseq)
{
	const struct sipmsg_header *h;

	if (msg == NULL || cseq == NULL)
		return EINVAL;
	h = first_field(msg, SIPMSG_HDR_CSEQ);
	if (h == NULL)
		return ENOENT;
	return cseq_parse(h->value, cseq, NULL, 0);
}

size_t sipmsg_contact_count(const struct sipmsg *msg)
{
	return value_count(msg, SIPMSG_HDR_CONTACT);
}

int sipmsg_contact_get(const struct sipmsg *msg, size_t index,
		       struct sipmsg_contact *contact)
{
	struct span v;
	int err;

	if (contact == NULL)
		return EINVAL;
	err = value_at(msg, SIPMSG_HDR_CONTACT, SPAN_NULL, index, &v);
	if (err != 0)
		return err;
	return contact_parse(v, contact, NULL, 0);
}

static int route_get(const struct sipmsg *msg, enum sipmsg_hdr_id id,
		     size_t index, struct uri_addr *route)
{
	struct span v;
	int err;

	if (route == NULL)
		return EINVAL;
	err = value_at(msg, id, SPAN_NULL, index, &v);
	if (err != 0)
		return err;
	return route_parse(v, hdr_table[id].name, route, NULL, 0);
}

size_t sipmsg_route_count(const struct sipmsg *msg)
{
	return value_count(msg, SIPMSG_HDR_ROUTE);
}

int sipmsg_route_get(const struct sipmsg *msg, size_t index,
		     struct uri_addr *route)
{
	return route_get(msg, SIPMSG_HDR_ROUTE, index, route);
}

size_t sipmsg_record_route_count(const struct sipmsg *msg)
{
	return value_count(msg, SIPMSG_HDR_RECORD_ROUTE);
}

int sipmsg_record_route_get(const struct sipmsg *msg, size_t index,
			    struct uri_addr *route)
{
	return route_get(msg, SIPMSG_HDR_RECORD_ROUTE, index, route);
}

int sipmsg_max_forwards_get(const struct sipmsg *msg, unsigned *max_forwards)
{
	const struct sipmsg_header *h;
	unsigned long long v;
	int err;

	if (msg == NULL || max_forwards == NULL)
		return EINVAL;
	h = first_field(msg, SIPMSG_HDR_MAX_FORWARDS);
	if (h == NULL)
		return ENOENT;
	if (!span_all_digits(h->value))
		return EBADMSG;
	err = span_to_u64(h->value, 255, &v);
	if (err != 0)
		return ERANGE;
	*max_forwards = (unsigned)v;
	return 0;
}

int sipmsg_content_length_get(const struct sipmsg *msg, size_t *length)
{
	const struct sipmsg_header *h;

	if (msg == NULL || length == NULL)
		return EINVAL;
	h = first_field(msg, SIPMSG_HDR_CONTENT_LENGTH);
	if (h == NULL)
		return ENOENT;
	return content_length_parse(h->value, length, NULL, 0) == 0 ? 0
								    : EBADMSG;
}

int sipmsg_content_type_get(const struct sipmsg *msg,
			    struct sipmsg_media *media)
{
	const struct sipmsg_header *h;

	if (msg == NULL || media == NULL)
		return EINVAL;
	h = first_field(msg, SIPMSG_HDR_CONTENT_TYPE);
	if (h == NULL)
		return ENOENT;
	return sipmsg_media_parse(h->value, media);
}

int sipmsg_auth_get(const struct sipmsg *msg, enum sipmsg_hdr_id which,
		    size_t index, struct sipmsg_auth *auth)
{
	struct sipmsg_header h;
	struct cursor c;
	int err;

	if (auth == NULL)
		return EINVAL;
	switch (which) {
	case SIPMSG_HDR_WWW_AUTHENTICATE:
	case SIPMSG_HDR_PROXY_AUTHENTICATE:
	case SIPMSG_HDR_AUTHORIZATION:
	case SIPMSG_HDR_PROXY_AUTHORIZATION:
	case SIPMSG_HDR_AUTHENTICATION_INFO:
		break;
	default:
		return EINVAL;
	}
	err = field_get(msg, which, SPAN_NULL, index, &h);
	if (err != 0)
		return err;
	memset(auth, 0, sizeof(*auth));
	if (which == SIPMSG_HDR_AUTHENTICATION_INFO) {
		auth->params = h.value;
		return 0;
	}
	c = cursor_of(h.value);
	auth->scheme = cur_token(&c);
	if (auth->scheme.len == 0 || (!cur_end(&c) && !is_ws(c.p[c.pos])))
		return EBADMSG;
	cur_skip_ws(&c);
	auth->params = span_make(c.p + c.pos, c.len - c.pos);
	return 0;
}

int sipmsg_expires_get(const struct sipmsg *msg, uint32_t *expires)
{
	const struct sipmsg_header *h;

	if (msg == NULL || expires == NULL)
		return EINVAL;
	h = first_field(msg, SIPMSG_HDR_EXPIRES);
	if (h == NULL)
		return ENOENT;
	return parse_delta(h->value, expires);
}

int sipmsg_token_get(const struct sipmsg *msg, enum sipmsg_hdr_id which,
		     size_t index, struct span *token)
{
	struct span v;
	int err;

	if (token == NULL || which == SIPMSG_HDR_OTHER ||
	    (unsigned)which >= SIPMSG_HDR_COUNT)
		return EINVAL;
	err = value_at(msg, which, SPAN_NULL, index, &v);
	if (err != 0)
		return err;
	if (!span_is_token(v))
		return EBADMSG;
	*token = v;
	return 0;
}

bool sipmsg_token_has(const struct sipmsg *msg, enum sipmsg_hdr_id which,
		      const char *token)
{
	struct span t;
	size_t i;

	if (token == NULL)
		return false;
	for (i = 0; sipmsg_token_get(msg, which, i, &t) == 0; i++)
		if (span_eq_nocase(t, token))
			return true;
	return false;
}

int sipmsg_event_get(const struct sipmsg *msg, struct sipmsg_event *event)
{
	const struct sipmsg_header *h;
	struct cursor c;

	if (msg == NULL || event == NULL)
		return EINVAL;
	h = first_field(msg, SIPMSG_HDR_EVENT);
	if (h == NULL)
		return ENOENT;
	memset(event, 0, sizeof(*event));
	c = cursor_of(h->value);
	event->package = cur_token(&c);
	if (event->package.len == 0 || rest_params(&c, &event->params) != 0)
		return EBADMSG;
	if (sipmsg_param_get(event->params, "id", &event->id) != 0)
		event->id = SPAN_NULL;
	return 0;
}

int sipmsg_substate_get(const struct sipmsg *msg,
			struct sipmsg_substate *state)
{
	const struct sipmsg_header *h;
	struct cursor c;
	struct span v;

	if (msg == NULL || state == NULL)
		return EINVAL;
	h = first_field(msg, SIPMSG_HDR_SUBSCRIPTION_STATE);
	if (h == NULL)
		return ENOENT;
	memset(state, 0, sizeof(*state));
	c = cursor_of(h->value);
	state->state = cur_token(&c);
	if (state->state.len == 0 || rest_params(&c, &state->params) != 0)
		return EBADMSG;
	if (sipmsg_param_get(state->params, "reason", &v) == 0) {
		if (!span_is_token(v))
			return EBADMSG;
		state->reason = v;
	}
	if (sipmsg_param_get(state->params, "expires", &v) == 0) {
		if (parse_delta(v, &state->expires) != 0)
			return EBADMSG;
		state->has_expires = true;
	}
	if (sipmsg_param_get(state->params, "retry-after", &v) == 0) {
		if (parse_delta(v, &state->retry_after) != 0)
			return EBADMSG;
		state->has_retry_after = true;
	}
	return 0;
}

static bool in_list(struct span s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (span_eq_nocase(s, list[i]))
			return true;
	return false;
}

/* rfc1123-date = wkday "," SP 2DIGIT SP month SP 4DIGIT SP
 *                2DIGIT ":" 2DIGIT ":" 2DIGIT SP "GMT" */
int sipmsg_date_get(const struct sipmsg *msg, struct span *date)
{
	static const char *const wkdays[] = {"Mon", "Tue", "Wed", "Thu",
					     "Fri", "Sat", "Sun"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
					     "May", "Jun", "Jul", "Aug",
					     "Sep", "Oct", "Nov", "Dec"};
	static const char shape[] = "www, dd mmm dddd dd:dd:dd GMT";
	const struct sipmsg_header *h;
	size_t i;

	if (msg == NULL || date == NULL)
		return EINVAL;
	h = first_field(msg, SIPMSG_HDR_DATE);
	if (h == NULL)
		return ENOENT;
	if (h->value.len != sizeof(shape) - 1)
		return EBADMSG;
	for (i = 0; i < h->value.len; i++) {
		char c = h->value.p[i];

		switch (shape[i]) {
		case 'd':
			if (!is_digit((unsigned char)c))
				return EBADMSG;
			break;
		case 'w':
		case 'm':
			break;
		default:
			if (c != shape[i])
				return EBADMSG;
		}
	}
	if (!in_list(span_make(h->value.p, 3), wkdays, 7) ||
	    !in_list(span_make(h->value.p + 8, 3), months, 12))
		return EBADMSG;
	*date = h->value;
	return 0;
}

/* ---- request classification -------------------------------------------- */

static bool str_in_list(struct span s, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++)
		if (span_eq_nocase(s, *list))
			return true;
	return false;
}

static bool media_in_list(const struct sipmsg_media *m, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++)
		if (sipmsg_media_matches(m, *list))
			return true;
	return false;
}

static bool require_applies(const struct sipmsg *msg)
{
	return !span_eq(msg->method, "ACK") && !span_eq(msg->method, "CANCEL");
}

int sipmsg_unsupported_get(const struct sipmsg *msg,
			   const struct sipmsg_caps *caps, size_t index,
			   struct span *tag)
{
	struct span t;
	size_t i;
	int err;

	if (msg == NULL || tag == NULL)
		return EINVAL;
	for (i = 0; (err = sipmsg_token_get(msg, SIPMSG_HDR_REQUIRE, i, &t)) == 0;
	     i++) {
		if (caps != NULL && str_in_list(t, caps->supported))
			continue;
		if (index-- == 0) {
			*tag = t;
			return 0;
		}
	}
	return err;
}

static const char *multiple_reason(enum sipmsg_hdr_id id)
{
	switch (id) {
	case SIPMSG_HDR_CALL_ID: return "Multiple Call-ID headers";
	case SIPMSG_HDR_FROM: return "Multiple From headers";
	case SIPMSG_HDR_TO: return "Multiple To headers";
	case SIPMSG_HDR_CSEQ: return "Multiple CSeq headers";
	case SIPMSG_HDR_MAX_FORWARDS: return "Multiple Max-Forwards headers";
	default: return "Multiple Content-Type headers";
	}
}

int sipmsg_check_request(const struct sipmsg *msg,
			 const struct sipmsg_caps *caps, int *status,
			 const char **reason)
{
	static const struct {
		enum sipmsg_hdr_id id;
		const char *reason;
	} mandatory[] = {
		{SIPMSG_HDR_VIA, "Missing Via header"},
		{SIPMSG_HDR_FROM, "Missing From header"},
		{SIPMSG_HDR_TO, "Missing To header"},
		{SIPMSG_HDR_CALL_ID, "Missing Call-ID header"},
		{SIPMSG_HDR_CSEQ, "Missing CSeq header"},
	};
	const char *const *produce = caps != NULL ? caps->produce : NULL;
	struct sipmsg_cseq cseq;
	struct sipmsg_media media;
	struct span v;
	unsigned mf;
	size_t i;
	int st = 400, err;
	const char *why = NULL;

	if (msg == NULL || status == NULL || !msg->request)
		return EINVAL;
	for (i = 0; i < sizeof(mandatory) / sizeof(mandatory[0]); i++)
		if (first_field(msg, mandatory[i].id) == NULL) {
			why = mandatory[i].reason;
			goto out;
		}
	if (!version_is_2_0(msg->version)) {
		st = 505;
		why = "Version Not Supported";
		goto out;
	}
	for (i = 0; i < sizeof(single_ids) / sizeof(single_ids[0]); i++)
		if (field_count(msg, single_ids[i], SPAN_NULL) > 1) {
			why = multiple_reason(single_ids[i]);
			goto out;
		}
	if (msg->framing_defects & SIPMSG_DEFECT_LENGTH_CONFLICT) {
		why = "Conflicting Content-Length values";
		goto out;
	}
	if (sipmsg_cseq_get(msg, &cseq) != 0) {
		why = "Malformed CSeq header";
		goto out;
	}
	if (!span_eq_span(cseq.method, msg->method)) {
		why = "CSeq method does not match the request method";
		goto out;
	}
	err = sipmsg_max_forwards_get(msg, &mf);
	if (err != 0 && err != ENOENT) {
		why = "Invalid Max-Forwards";
		goto out;
	}
	if (msg->ruri.scheme == URI_SCHEME_OTHER) {
		st = 416;
		why = "Unsupported URI Scheme";
		goto out;
	}
	if (require_applies(msg)) {
		for (i = 0; (err = sipmsg_token_get(msg, SIPMSG_HDR_REQUIRE, i,
						    &v)) == 0; i++)
			if (caps == NULL || !str_in_list(v, caps->supported)) {
				st = 420;
				why = "Bad Extension";
				goto out;
			}
		if (err != ENOENT) {
			why = "Malformed Require header";
			goto out;
		}
	}
	if (msg->body.len > 0) {
		for (i = 0; (err = sipmsg_token_get(msg,
						    SIPMSG_HDR_CONTENT_ENCODING,
						    i, &v)) == 0; i++)
			if (!span_eq_nocase(v, "identity")) {
				st = 415;
				why = "Unsupported Content-Encoding";
				goto out;
			}
		if (err != ENOENT) {
			why = "Malformed Content-Encoding header";
			goto out;
		}
		err = sipmsg_content_type_get(msg, &media);
		if (err == ENOENT) {
			why = "Missing Content-Type header";
			goto out;
		}
		if (err != 0) {
			why = "Malformed Content-Type header";
			goto out;
		}
		if (caps == NULL || !media_in_list(&media, caps->accept)) {
			st = 415;
			why = "Unsupported Media Type";
			goto out;
		}
	}
	if (produce != NULL && span_eq(msg->method, "INVITE") &&
	    first_field(msg, SIPMSG_HDR_ACCEPT) != NULL) {
		bool acceptable = false;

		for (i = 0; (err = value_at(msg, SIPMSG_HDR_ACCEPT, SPAN_NULL, i,
					    &v)) == 0; i++) {
			if (sipmsg_media_parse(v, &media) != 0) {
				err = EBADMSG;
				break;
			}
			if (media_in_list(&media, produce))
				acceptable = true;
		}
		if (err != ENOENT) {
			why = "Malformed Accept header";
			goto out;
		}
		if (!acceptable) {
			st = 406;
			why = "Not Acceptable";
			goto out;
		}
	}
	st = 0;
out:
	*status = st;
	if (reason != NULL)
		*reason = why;
	return 0;
}

/* ---- building ---------------------------------------------------------- */

static char *msg_store(struct sipmsg *msg, const char *p, size_t len)
{
	struct chunk *c = malloc(sizeof(*c) + len + 1);

	if (c == NULL)
		return NULL;
	if (len > 0)
		memcpy(c->data, p, len);
	c->data[len] = '\0';
	c->next = msg->chunks;
	msg->chunks = c;
	return c->data;
}

static const struct {
	unsigned code;
	const char *phrase;
} phrases[] = {
	{100, "Trying"}, {180, "Ringing"}, {181, "Call Is Being Forwarded"},
	{182, "Queued"}, {183, "Session Progress"}, {200, "OK"},
	{202, "Accepted"}, {300, "Multiple Choices"},
	{301, "Moved Permanently"}, {302, "Moved Temporarily"},
	{305, "Use Proxy"}, {380, "Alternative Service"},
	{400, "Bad Request"}, {401, "Unauthorized"},
	{402, "Payment Required"}, {403, "Forbidden"}, {404, "Not Found"},
	{405, "Method Not Allowed"}, {406, "Not Acceptable"},
	{407, "Proxy Authentication Required"}, {408, "Request Timeout"},
	{410, "Gone"}, {413, "Request Entity Too Large"},
	{414, "Request-URI Too Long"}, {415, "Unsupported Media Type"},
	{416, "Unsupported URI Scheme"}, {420, "Bad Extension"},
	{421, "Extension Required"}, {423, "Interval Too Brief"},
	{480, "Temporarily Unavailable"},
	{481, "Call/Transaction Does Not Exist"}, {482, "Loop Detected"},
	{483, "Too Many Hops"}, {484, "Address Incomplete"},
	{485, "Ambiguous"}, {486, "Busy Here"}, {487, "Request Terminated"},
	{488, "Not Acceptable Here"}, {489, "Bad Event"},
	{491, "Request Pending"}, {493, "Undecipherable"},
	{500, "Server Internal Error"}, {501, "Not Implemented"},
	{502, "Bad Gateway"}, {503, "Service Unavailable"},
	{504, "Server Time-out"}, {505, "Version Not Supported"},
	{513, "Message Too Large"}, {600, "Busy Everywhere"},
	{603, "Decline"}, {604, "Does Not Exist Anywhere"},
	{606, "Not Acceptable"},
};

static const char *default_phrase(unsigned code)
{
	static const char *const classes[] = {
		"Provisional", "Success", "Redirection", "Client Error",
		"Server Error", "Global Failure",
	};
	size_t i;

	for (i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
		if (phrases[i].code == code)
			return phrases[i].phrase;
	return classes[code / 100 - 1];
}

int sipmsg_new_request(struct sipmsg **msgp, const char *method,
		       const char *request_uri)
{
	struct sipmsg *msg;
	char *m, *u;

	if (msgp == NULL || method == NULL || request_uri == NULL)
		return EINVAL;
	*msgp = NULL;
	if (!span_is_token(span_from_str(method)))
		return EINVAL;
	msg = calloc(1, sizeof(*msg));
	if (msg == NULL)
		return ENOMEM;
	m = msg_store(msg, method, strlen(method));
	u = msg_store(msg, request_uri, strlen(request_uri));
	if (m == NULL || u == NULL) {
		sipmsg_free(msg);
		return ENOMEM;
	}
	if (u[0] == '\0' || u[0] == '<' ||
	    uri_decode(&msg->ruri, u, strlen(u), NULL, 0) != 0 ||
	    msg->ruri.headers.p != NULL || strpbrk(u, " \t\r\n") != NULL) {
		sipmsg_free(msg);
		return EINVAL;
	}
	msg->request = true;
	msg->method = span_from_str(m);
	msg->ruri_text = span_from_str(u);
	msg->version = span_from_str("SIP/2.0");
	*msgp = msg;
	return 0;
}

int sipmsg_new_response(struct sipmsg **msgp, unsigned status,
			const char *reason)
{
	struct sipmsg *msg;
	char *r;

	if (msgp == NULL)
		return EINVAL;
	*msgp = NULL;
	if (status < 100 || status > 699)
		return EINVAL;
	if (reason == NULL)
		reason = default_phrase(status);
	if (span_has_crlf(span_from_str(reason)))
		return EINVAL;
	msg = calloc(1, sizeof(*msg));
	if (msg == NULL)
		return ENOMEM;
	r = msg_store(msg, reason, strlen(reason));
	if (r == NULL) {
		sipmsg_free(msg);
		return ENOMEM;
	}
	msg->status = status;
	msg->reason = span_from_str(r);
	msg->version = span_from_str("SIP/2.0");
	*msgp = msg;
	return 0;
}

/* Would name: value pass decoding? 0, EINVAL, or E2BIG (too many values). */
static int field_validate(struct span name, struct span value)
{
	struct field f = {{sipmsg_hdr_lookup(name), name, value}, NULL, 1};
	bool star;
	int err;

	/* NUL may appear in a quoted-pair, so values copied from a decoded
	 * message may hold it; CR and LF never. */
	if (!span_is_token(name) || span_has_crlf(value))
		return EINVAL;
	err = field_split(&f, NULL, 0);
	if (err == 0)
		err = field_check(&f, &star, NULL, 0);
	free(f.values);
	return err == 0 || err == E2BIG || err == ENOMEM ? err : EINVAL;
}

/* Copy name and value in and insert them at position at. */
static int field_store(struct sipmsg *msg, size_t at, struct span name,
		       struct span value)
{
	struct field f;
	char *n, *v;
	int err;

	value = span_trim(value);
	if (value.p == NULL)
		value = span_make("", 0);
	err = field_validate(name, value);
	if (err != 0)
		return err;
	if (msg->nfields >= SIPMSG_MAX_HEADERS)
		return E2BIG;
	n = msg_store(msg, name.p, name.len);
	v = msg_store(msg, value.p, value.len);
	if (n == NULL || v == NULL)
		return ENOMEM;
	f.h = (struct sipmsg_header){sipmsg_hdr_lookup(name),
				     span_make(n, name.len),
				     span_make(v, value.len)};
	err = field_split(&f, NULL, 0);
	if (err == 0)
		err = field_insert(msg, at, &f);
	if (err != 0)
		free(f.values);
	return err;
}

int sipmsg_header_add(struct sipmsg *msg, const char *name, const char *value)
{
	if (msg == NULL || name == NULL || value == NULL)
		return EINVAL;
	return field_store(msg, msg->nfields, span_from_str(name),
			   span_from_str(value));
}

int sipmsg_header_add_span(struct sipmsg *msg, const char *name,
			   struct span value)
{
	char *v = span_dup(value);
	int err;

	if (v == NULL)
		return ENOMEM;
	err = sipmsg_header_add(msg, name, v);
	free(v);
	return err;
}

static int derive_copy(struct sipmsg *m, const struct sipmsg *src,
		       enum sipmsg_hdr_id id, const char *name)
{
	struct sipmsg_header hdr;

	if (src == NULL || sipmsg_header_get_id(src, id, 0, &hdr) != 0)
		return 0;
	return sipmsg_header_add_span(m, name, hdr.value);
}

int sipmsg_request_derive(struct sipmsg **msgp, const char *method,
			  const char *ruri, const struct sipmsg_derive *d)
{
	struct sipmsg_header hdr;
	struct sipmsg *m = NULL;
	char cseq[48];
	size_t i, n;
	int err;

	*msgp = NULL;
	err = sipmsg_new_request(&m, method, ruri);
	if (err != 0)
		return err;
	if (d->via.p != NULL)
		err = sipmsg_header_add_span(m, "Via", d->via);
	if (err == 0)
		err = sipmsg_header_add(m, "Max-Forwards", "70");
	for (i = 0; err == 0 && d->route &&
		    sipmsg_header_get_id(d->route, SIPMSG_HDR_ROUTE, i, &hdr) == 0;
	     i++)
		err = sipmsg_header_add_span(m, "Route", hdr.value);
	n = d->record_route ? sipmsg_record_route_count(d->record_route) : 0;
	for (i = n; err == 0 && i > 0; i--) {
		struct span v;

		if (sipmsg_value_get_id(d->record_route,
					SIPMSG_HDR_RECORD_ROUTE, i - 1, &v) == 0)
			err = sipmsg_header_add_span(m, "Route", v);
	}
	if (err == 0 && d->to_first)
		err = derive_copy(m, d->to, SIPMSG_HDR_TO, "To");
	if (err == 0)
		err = derive_copy(m, d->from, SIPMSG_HDR_FROM, "From");
	if (err == 0 && !d->to_first)
		err = derive_copy(m, d->to, SIPMSG_HDR_TO, "To");
	if (err == 0)
		err = derive_copy(m, d->call_id, SIPMSG_HDR_CALL_ID, "Call-ID");
	if (err == 0) {
		snprintf(cseq, sizeof(cseq), "%lu %s", (unsigned long)d->cseq,
			 method);
		err = sipmsg_header_add(m, "CSeq", cseq);
	}
	if (err != 0) {
		sipmsg_free(m);
		return err;
	}
	*msgp = m;
	return 0;
}

/* Remove every field matching; *first gets the index of the first one. */
static size_t fields_remove(struct sipmsg *msg, struct span name,
			    size_t *first)
{
	enum sipmsg_hdr_id id = sipmsg_hdr_lookup(name);
	size_t i, j = 0, removed = 0;

	*first = msg->nfields;
	for (i = 0; i < msg->nfields; i++) {
		if (hdr_matches(&msg->fields[i].h, id, name)) {
			if (removed++ == 0)
				*first = j;
			free(msg->fields[i].values);
			continue;
		}
		msg->fields[j++] = msg->fields[i];
	}
	msg->nfields = j;
	return removed;
}

int sipmsg_header_set(struct sipmsg *msg, const char *name, const char *value)
{
	struct span n;
	size_t first;
	int err;

	if (msg == NULL || name == NULL || value == NULL)
		return EINVAL;
	n = span_from_str(name);
	/* Check before removing so that a bad value changes nothing. */
	err = field_validate(n, span_trim(span_from_str(value)));
	if (err != 0)
		return err;
	fields_remove(msg, n, &first);
	return field_store(msg, first, n, span_from_str(value));
}

int sipmsg_header_remove(struct sipmsg *msg, const char *name)
{
	size_t first;

	if (msg == NULL || name == NULL)
		return EINVAL;
	return fields_remove(msg, span_from_str(name), &first) > 0 ? 0
								   : ENOENT;
}

int sipmsg_body_set(struct sipmsg *msg, const char *content_type,
		    const void *body, size_t len)
{
	char *b;
	int err;

	if (msg == NULL || (body == NULL && len > 0))
		return EINVAL;
	if (len > SIPMSG_MAX_SIZE)
		return E2BIG;
	if (content_type != NULL) {
		err = sipmsg_header_set(msg, "Content-Type", content_type);
		if (err != 0)
			return err;
	}
	b = msg_store(msg, body != NULL ? body : "", len);
	if (b == NULL)
		return ENOMEM;
	msg->body = span_make(b, len);
	return 0;
}

int sipmsg_new_reply(struct sipmsg **msgp, const struct sipmsg *req,
		     unsigned status, const char *reason, const char *to_tag)
{
	struct sipmsg *msg;
	struct sipmsg_party to;
	size_t i;
	int err;

	if (msgp == NULL || req == NULL || !req->request)
		return EINVAL;
	*msgp = NULL;
	if (to_tag != NULL && !span_is_token(span_from_str(to_tag)))
		return EINVAL;
	err = sipmsg_new_response(&msg, status, reason);
	if (err != 0)
		return err;
	for (i = 0; i < req->nfields; i++) {
		const struct sipmsg_header *h = &req->fields[i].h;

		switch (h->id) {
		case SIPMSG_HDR_RECORD_ROUTE:
			if (status < 101 || status > 299)
				continue;
			break;
		case SIPMSG_HDR_VIA:
		case SIPMSG_HDR_FROM:
		case SIPMSG_HDR_CALL_ID:
		case SIPMSG_HDR_CSEQ:
			break;
		case SIPMSG_HDR_TO:
			if (to_tag != NULL && party_parse(h->value, "To", &to,
							  NULL, 0) == 0 &&
			    to.tag.p == NULL) {
				size_t n = h->value.len + 5 + strlen(to_tag);
				char *v = malloc(n + 1);

				if (v == NULL) {
					err = ENOMEM;
					goto out;
				}
				memcpy(v, h->value.p, h->value.len);
				memcpy(v + h->value.len, ";tag=", 5);
				memcpy(v + h->value.len + 5, to_tag,
				       strlen(to_tag));
				err = field_store(msg, msg->nfields, h->name,
						  span_make(v, n));
				free(v);
				if (err != 0)
					goto out;
				continue;
			}
			break;
		default:
			continue;
		}
		err = field_store(msg, msg->nfields, h->name, h->value);
		if (err != 0)
			goto out;
	}
	*msgp = msg;
	return 0;
out:
	sipmsg_free(msg);
	return err;
}

/* ---- encoding ---------------------------------------------------------- */

struct writer {
	char *buf;   /* NULL while measuring */
	size_t len;
};

static void put(struct writer *w, const char *p, size_t n)
{
	if (w->buf != NULL && n > 0)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void put_span(struct writer *w, struct span s)
{
	put(w, s.p, s.len);
}

static void put_str(struct writer *w, const char *s)
{
	put(w, s, strlen(s));
}

static void encode_into(const struct sipmsg *msg, struct writer *w)
{
	char num[32];
	bool cl_written = false;
	size_t i;

	if (msg->request) {
		put_span(w, msg->method);
		put(w, " ", 1);
		put_span(w, msg->ruri_text);
		put(w, " ", 1);
		put_span(w, msg->version);
	} else {
		put_span(w, msg->version);
		snprintf(num, sizeof(num), " %03u ", msg->status);
		put_str(w, num);
		put_span(w, msg->reason);
	}
	put(w, "\r\n", 2);
	snprintf(num, sizeof(num), "%zu", msg->body.len);
	for (i = 0; i < msg->nfields; i++) {
		const struct sipmsg_header *h = &msg->fields[i].h;

		if (h->id == SIPMSG_HDR_CONTENT_LENGTH) {
			if (cl_written)
				continue;
			cl_written = true;
			put_span(w, h->name);
			put(w, ": ", 2);
			put_str(w, num);
			put(w, "\r\n", 2);
			continue;
		}
		put_span(w, h->name);
		put(w, ":", 1);
		if (h->value.len > 0) {
			put(w, " ", 1);
			put_span(w, h->value);
		}
		put(w, "\r\n", 2);
	}
	if (!cl_written) {
		put_str(w, "Content-Length: ");
		put_str(w, num);
		put(w, "\r\n", 2);
	}
	put(w, "\r\n", 2);
	put_span(w, msg->body);
}

int sipmsg_encode(const struct sipmsg *msg, char *buf, size_t size,
		  size_t *lenp)
{
	struct writer w = {NULL, 0};

	if (msg == NULL || (buf == NULL && size > 0))
		return EINVAL;
	encode_into(msg, &w);
	if (lenp != NULL)
		*lenp = w.len;
	if (w.len + 1 > size) {
		if (size > 0)
			buf[0] = '\0';
		return ENOSPC;
	}
	w.buf = buf;
	w.len = 0;
	encode_into(msg, &w);
	buf[w.len] = '\0';
	return 0;
}

int sipmsg_encode_alloc(const struct sipmsg *msg, char **out, size_t *lenp)
{
	struct writer w = {NULL, 0};
	char *buf;

	if (msg == NULL || out == NULL)
		return EINVAL;
	*out = NULL;
	encode_into(msg, &w);
	buf = malloc(w.len + 1);
	if (buf == NULL)
		return ENOMEM;
	w.buf = buf;
	w.len = 0;
	encode_into(msg, &w);
	buf[w.len] = '\0';
	*out = buf;
	if (lenp != NULL)
		*lenp = w.len;
	return 0;
}
