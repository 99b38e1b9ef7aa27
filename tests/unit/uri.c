/* URI module: SIP/SIPS/tel/other URIs, name-addr values, ws:// URLs,
 * comparison (RFC 3261 §19.1.4), completion and round trips. Vectors from
 * RFC 3261 §19.1.3-4, RFC 3966, RFC 4475 and RFC 5118. */
#include "uri.h"
#include "tap/basic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A printable, one-line rendering of test input for TAP descriptions. */
static const char *label(const char *s, size_t len)
{
	static char bufs[4][96];
	static int which;
	char *b = bufs[which++ % 4];
	size_t i, n = 0;

	for (i = 0; i < len && n + 5 < sizeof(bufs[0]); i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f)
			b[n++] = (char)c;
		else
			n += (size_t)snprintf(b + n, 5, "\\x%02x", c);
	}
	if (i < len) {
		b[n - 3] = b[n - 2] = b[n - 1] = '.';
	}
	b[n] = '\0';
	return b;
}

static const char *lbl(const char *s)
{
	return label(s, strlen(s));
}

static int is_span(const char *want, struct span got, const char *what,
		   const char *ctx)
{
	int success;

	if (want == NULL)
		return ok(!span_is_set(got), "%s: no %s", ctx, what);
	success = span_is_set(got) && got.len == strlen(want) &&
		  (got.len == 0 || memcmp(got.p, want, got.len) == 0);
	ok(success, "%s: %s is \"%s\"", ctx, what, lbl(want));
	if (!success)
		diag("seen: %s", span_is_set(got) ? label(got.p, got.len) : "(null)");
	return success;
}

static bool contains(const char *haystack, const char *needle)
{
	return strstr(haystack, needle) != NULL;
}

/* Good URIs, every field asserted. */
static const struct good_uri {
	const char *in;
	enum uri_scheme scheme;
	const char *user, *password, *host;
	enum uri_host_type host_type;
	unsigned port;
	const char *params, *headers, *opaque;
} good_uris[] = {
	/* RFC 3261 §19.1.3 */
	{"sip:alice@atlanta.com", URI_SCHEME_SIP, "alice", NULL, "atlanta.com",
	 URI_HOST_NAME, 0, NULL, NULL, NULL},
	{"sip:alice:secretword@atlanta.com;transport=tcp", URI_SCHEME_SIP, "alice",
	 "secretword", "atlanta.com", URI_HOST_NAME, 0, "transport=tcp", NULL, NULL},
	{"sips:alice@atlanta.com?subject=project%20x&priority=urgent", URI_SCHEME_SIPS,
	 "alice", NULL, "atlanta.com", URI_HOST_NAME, 0, NULL,
	 "subject=project%20x&priority=urgent", NULL},
	{"sip:+1-212-555-1212:1234@gateway.com;user=phone", URI_SCHEME_SIP,
	 "+1-212-555-1212", "1234", "gateway.com", URI_HOST_NAME, 0, "user=phone",
	 NULL, NULL},
	{"sips:1212@gateway.com", URI_SCHEME_SIPS, "1212", NULL, "gateway.com",
	 URI_HOST_NAME, 0, NULL, NULL, NULL},
	{"sip:alice@192.0.2.4", URI_SCHEME_SIP, "alice", NULL, "192.0.2.4",
	 URI_HOST_IPV4, 0, NULL, NULL, NULL},
	{"sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com", URI_SCHEME_SIP,
	 NULL, NULL, "atlanta.com", URI_HOST_NAME, 0, "method=REGISTER",
	 "to=alice%40atlanta.com", NULL},
	{"sip:alice;day=tuesday@atlanta.com", URI_SCHEME_SIP, "alice;day=tuesday",
	 NULL, "atlanta.com", URI_HOST_NAME, 0, NULL, NULL, NULL},
	/* RFC 4475 */
	{"sip:user;par=u%40example.net@example.com", URI_SCHEME_SIP,
	 "user;par=u%40example.net", NULL, "example.com", URI_HOST_NAME, 0, NULL,
	 NULL, NULL},
	{"sip:sips%3Auser%40example.com@example.net", URI_SCHEME_SIP,
	 "sips%3Auser%40example.com", NULL, "example.net", URI_HOST_NAME, 0, NULL,
	 NULL, NULL},
	{"sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
	 URI_SCHEME_SIP, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*",
	 "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)", "example.com", URI_HOST_NAME,
	 0, NULL, NULL, NULL},
	{"sip:null-%00-null@example.com", URI_SCHEME_SIP, "null-%00-null", NULL,
	 "example.com", URI_HOST_NAME, 0, NULL, NULL, NULL},
	{"sip:vivekg@chair-dnrc.example.com;unknownparam", URI_SCHEME_SIP, "vivekg",
	 NULL, "chair-dnrc.example.com", URI_HOST_NAME, 0, "unknownparam", NULL, NULL},
	{"sip:services.example.com;lr;unknownwith=value;unknown-no-value",
	 URI_SCHEME_SIP, NULL, NULL, "services.example.com", URI_HOST_NAME, 0,
	 "lr;unknownwith=value;unknown-no-value", NULL, NULL},
	{"sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31",
	 URI_SCHEME_SIP, "cal%6Cer", NULL, "host5.example.net", URI_HOST_NAME, 0,
	 "%6C%72;n%61me=v%61lue%25%34%31", NULL, NULL},
	{"sip:user@example.com?Route=%3Csip:example.com%3E", URI_SCHEME_SIP, "user",
	 NULL, "example.com", URI_HOST_NAME, 0, NULL, "Route=%3Csip:example.com%3E",
	 NULL},
	/* RFC 5118 */
	{"sip:[2001:db8::10]", URI_SCHEME_SIP, NULL, NULL, "2001:db8::10",
	 URI_HOST_IPV6, 0, NULL, NULL, NULL},
	{"sip:[2001:db8::10:5070]", URI_SCHEME_SIP, NULL, NULL, "2001:db8::10:5070",
	 URI_HOST_IPV6, 0, NULL, NULL, NULL},
	{"sip:[2001:db8::10]:5070", URI_SCHEME_SIP, NULL, NULL, "2001:db8::10",
	 URI_HOST_IPV6, 5070, NULL, NULL, NULL},
	{"sip:ted@[::ffff:192.0.2.2]", URI_SCHEME_SIP, "ted", NULL, "::ffff:192.0.2.2",
	 URI_HOST_IPV6, 0, NULL, NULL, NULL},
	{"sip:user@[::1]:5061;transport=tls", URI_SCHEME_SIP, "user", NULL, "::1",
	 URI_HOST_IPV6, 5061, "transport=tls", NULL, NULL},
	{"sip:[::]", URI_SCHEME_SIP, NULL, NULL, "::", URI_HOST_IPV6, 0, NULL, NULL, NULL},
	{"sip:[1:2:3:4:5:6:7:8]", URI_SCHEME_SIP, NULL, NULL, "1:2:3:4:5:6:7:8",
	 URI_HOST_IPV6, 0, NULL, NULL, NULL},
	{"sip:[fe80::1:2:3:4:5:6]", URI_SCHEME_SIP, NULL, NULL, "fe80::1:2:3:4:5:6",
	 URI_HOST_IPV6, 0, NULL, NULL, NULL},
	{"sip:[1::]", URI_SCHEME_SIP, NULL, NULL, "1::", URI_HOST_IPV6, 0, NULL, NULL, NULL},
	{"sip:[1:2:3:4:5:6:1.2.3.4]", URI_SCHEME_SIP, NULL, NULL, "1:2:3:4:5:6:1.2.3.4",
	 URI_HOST_IPV6, 0, NULL, NULL, NULL},
	/* Case, ports, params */
	{"SIP:ALICE@AtLanTa.CoM;Transport=udp", URI_SCHEME_SIP, "ALICE", NULL,
	 "AtLanTa.CoM", URI_HOST_NAME, 0, "Transport=udp", NULL, NULL},
	{"SiPs:a@b.c:5061", URI_SCHEME_SIPS, "a", NULL, "b.c", URI_HOST_NAME, 5061,
	 NULL, NULL, NULL},
	{"sip:alice@atlanta.com:65535", URI_SCHEME_SIP, "alice", NULL, "atlanta.com",
	 URI_HOST_NAME, 65535, NULL, NULL, NULL},
	{"sip:alice:@atlanta.com", URI_SCHEME_SIP, "alice", "", "atlanta.com",
	 URI_HOST_NAME, 0, NULL, NULL, NULL},
	{"sip:host.example.com.", URI_SCHEME_SIP, NULL, NULL, "host.example.com.",
	 URI_HOST_NAME, 0, NULL, NULL, NULL},
	{"sip:localhost", URI_SCHEME_SIP, NULL, NULL, "localhost", URI_HOST_NAME, 0,
	 NULL, NULL, NULL},
	{"sip:a@b;maddr=[2001:db8::1];ttl=255", URI_SCHEME_SIP, "a", NULL, "b",
	 URI_HOST_NAME, 0, "maddr=[2001:db8::1];ttl=255", NULL, NULL},
	{"sip:a@b;maddr=239.255.255.1;ttl=15;lr", URI_SCHEME_SIP, "a", NULL, "b",
	 URI_HOST_NAME, 0, "maddr=239.255.255.1;ttl=15;lr", NULL, NULL},
	{"sip:a@b;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6;ob", URI_SCHEME_SIP,
	 "a", NULL, "b", URI_HOST_NAME, 0,
	 "gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6;ob", NULL, NULL},
	{"sip:a@b?x=", URI_SCHEME_SIP, "a", NULL, "b", URI_HOST_NAME, 0, NULL, "x=", NULL},
	{"sip:a@b.c:5060;transport=ws?Replaces=abc%40h%3Bto-tag%3D1", URI_SCHEME_SIP,
	 "a", NULL, "b.c", URI_HOST_NAME, 5060, "transport=ws",
	 "Replaces=abc%40h%3Bto-tag%3D1", NULL},
	/* RFC 3966 */
	{"tel:+1-201-555-0123", URI_SCHEME_TEL, "+1-201-555-0123", NULL, NULL,
	 URI_HOST_NONE, 0, NULL, NULL, NULL},
	{"tel:7042;phone-context=example.com", URI_SCHEME_TEL, "7042", NULL, NULL,
	 URI_HOST_NONE, 0, "phone-context=example.com", NULL, NULL},
	{"tel:863-1234;phone-context=+1-914-555", URI_SCHEME_TEL, "863-1234", NULL,
	 NULL, URI_HOST_NONE, 0, "phone-context=+1-914-555", NULL, NULL},
	{"tel:+1-201-555-0123;ext=1234;isub=x%20y", URI_SCHEME_TEL, "+1-201-555-0123",
	 NULL, NULL, URI_HOST_NONE, 0, "ext=1234;isub=x%20y", NULL, NULL},
	{"TEL:*21#;phone-context=example.com", URI_SCHEME_TEL, "*21#", NULL, NULL,
	 URI_HOST_NONE, 0, "phone-context=example.com", NULL, NULL},
	/* Other schemes are kept opaque (RFC 4475 §3.3.2-4). */
	{"nobodyKnowsThisScheme:totallyopaquecontent", URI_SCHEME_OTHER, NULL, NULL,
	 NULL, URI_HOST_NONE, 0, NULL, NULL, "totallyopaquecontent"},
	{"soap.beep://192.0.2.103:3002", URI_SCHEME_OTHER, NULL, NULL, NULL,
	 URI_HOST_NONE, 0, NULL, NULL, "//192.0.2.103:3002"},
	{"isbn:2983792873", URI_SCHEME_OTHER, NULL, NULL, NULL, URI_HOST_NONE, 0, NULL,
	 NULL, "2983792873"},
	{"http://www.example.com", URI_SCHEME_OTHER, NULL, NULL, NULL, URI_HOST_NONE,
	 0, NULL, NULL, "//www.example.com"},
	{"name:John_Smith", URI_SCHEME_OTHER, NULL, NULL, NULL, URI_HOST_NONE, 0, NULL,
	 NULL, "John_Smith"},
	{"mailto:a@b.c?subject=hi%20there", URI_SCHEME_OTHER, NULL, NULL, NULL,
	 URI_HOST_NONE, 0, NULL, NULL, "a@b.c?subject=hi%20there"},
	{"urn:service:sos", URI_SCHEME_OTHER, NULL, NULL, NULL, URI_HOST_NONE, 0, NULL,
	 NULL, "service:sos"},
};

static void assert_uri(const struct good_uri *g, const struct uri *u, const char *ctx)
{
	is_int(g->scheme, u->scheme, "%s: scheme", ctx);
	is_span(g->user, u->user, "user", ctx);
	is_span(g->password, u->password, "password", ctx);
	is_span(g->host, u->host, "host", ctx);
	is_int(g->host_type, u->host_type, "%s: host type", ctx);
	is_int(g->port, u->port, "%s: port", ctx);
	is_span(g->params, u->params, "params", ctx);
	is_span(g->headers, u->headers, "headers", ctx);
	is_span(g->opaque, u->opaque, "opaque", ctx);
}

static bool span_same(struct span a, struct span b)
{
	return span_is_set(a) == span_is_set(b) && span_eq_span(a, b);
}

static bool uri_same(const struct uri *a, const struct uri *b)
{
	return a->scheme == b->scheme && span_same(a->scheme_text, b->scheme_text) &&
	       span_same(a->user, b->user) && span_same(a->password, b->password) &&
	       span_same(a->host, b->host) && a->host_type == b->host_type &&
	       a->port == b->port && span_same(a->params, b->params) &&
	       span_same(a->headers, b->headers) && span_same(a->opaque, b->opaque);
}

static void test_good_uris(void)
{
	size_t i;

	for (i = 0; i < N(good_uris); i++) {
		const struct good_uri *g = &good_uris[i];
		const char *ctx = lbl(g->in);
		struct uri u, back;
		char reason[128], buf[512];
		size_t len;
		int err = uri_decode(&u, g->in, strlen(g->in), reason, sizeof(reason));

		if (!is_int(0, err, "decode %s", ctx)) {
			diag("reason: %s", reason);
			continue;
		}
		assert_uri(g, &u, ctx);
		/* Round trip: encode, decode, same fields, equal URIs. */
		err = uri_encode(&u, buf, sizeof(buf), &len);
		is_int(0, err, "%s: encodes", ctx);
		is_string(g->in, buf, "%s: encodes to its input", ctx);
		is_int(0, uri_decode(&back, buf, len, NULL, 0), "%s: re-decodes", ctx);
		ok(uri_same(&u, &back), "%s: same fields after round trip", ctx);
		ok(uri_equal(&u, &back), "%s: equal to itself", ctx);
	}
}

static const struct bad_uri {
	const char *in;
	int err;
	const char *reason;
} bad_uris[] = {
	{"", EINVAL, "empty"},
	{"<sip:user@example.com>", EBADMSG, "enclosed in <>"},
	{"sip:user@example.com; lr", EBADMSG, "whitespace"},
	{"sip:user@example.com\r\n", EBADMSG, "whitespace"},
	{"sip:2001:db8::10", EBADMSG, "enclosed in []"},
	{"sip:user@2001:db8::10", EBADMSG, "enclosed in []"},
	{"sip:[2001:db8::10", EBADMSG, "']'"},
	{"sip:[2001:db8:::10]", EBADMSG, "invalid IPv6"},
	{"sip:[2001:db8::10::1]", EBADMSG, "invalid IPv6"},
	{"sip:[1:2:3:4:5:6:7:8:9]", EBADMSG, "invalid IPv6"},
	{"sip:[1:2:3:4:5:6:7]", EBADMSG, "invalid IPv6"},
	{"sip:[1:2:3:4:5:6:7::8]", EBADMSG, "invalid IPv6"},
	{"sip:[12345::1]", EBADMSG, "invalid IPv6"},
	{"sip:[:1::2]", EBADMSG, "invalid IPv6"},
	{"sip:[1::2:]", EBADMSG, "invalid IPv6"},
	{"sip:[g::1]", EBADMSG, "invalid IPv6"},
	{"sip:[]", EBADMSG, "invalid IPv6"},
	{"sip:[1.2.3.4]", EBADMSG, "invalid IPv6"},
	{"sip:[::1.2.3.256]", EBADMSG, "invalid IPv6"},
	{"sip:[1:2:3:4:5:6:7:1.2.3.4]", EBADMSG, "invalid IPv6"},
	{"sip:[::1%25eth0]", EBADMSG, "invalid IPv6"},
	{"sip:[::1]x", EBADMSG, "unexpected"},
	{"sip:[::1]:", EBADMSG, "empty port"},
	{"sip:alice@", EBADMSG, "missing host"},
	{"sip:", EBADMSG, "missing host"},
	{"sip:@example.com", EBADMSG, "empty user"},
	{"sip::pw@example.com", EBADMSG, "empty user"},
	{"sip:alice@example.com:", EBADMSG, "empty port"},
	{"sip:alice@example.com:0", EBADMSG, "port 0"},
	{"sip:alice@example.com:65536", EBADMSG, "out of range"},
	{"sip:alice@example.com:99999999999999999999", EBADMSG, "out of range"},
	{"sip:alice@example.com:50a", EBADMSG, "invalid port"},
	{"sip:al%2ice@example.com", EBADMSG, "escape"},
	{"sip:alice%4@example.com", EBADMSG, "escape"},
	{"sip:alice%@example.com", EBADMSG, "escape"},
	{"sip:al<ice@example.com", EBADMSG, "invalid character '<' in user part"},
	{"sip:a:p@ss@example.com", EBADMSG, "invalid host"},
	{"sip:a:p:w@example.com", EBADMSG, "invalid character ':' in password"},
	{"sip:alice@exa_mple.com", EBADMSG, "invalid host name"},
	{"sip:alice@-example.com", EBADMSG, "invalid host name"},
	{"sip:alice@example-.com", EBADMSG, "invalid host name"},
	{"sip:alice@example..com", EBADMSG, "invalid host name"},
	{"sip:alice@example.123", EBADMSG, "invalid host name"},
	{"sip:alice@256.1.1.1", EBADMSG, "invalid IPv4"},
	{"sip:alice@1.2.3", EBADMSG, "invalid IPv4"},
	{"sip:alice@1.2.3.4.5", EBADMSG, "invalid IPv4"},
	{"sip:alice@example.com;", EBADMSG, "empty URI parameter"},
	{"sip:alice@example.com;;lr", EBADMSG, "empty URI parameter"},
	{"sip:alice@example.com;=x", EBADMSG, "empty URI parameter name"},
	{"sip:alice@example.com;x=", EBADMSG, "empty value"},
	{"sip:alice@example.com;x=a=b", EBADMSG, "invalid character '='"},
	{"sip:alice@example.com;transport", EBADMSG, "needs a value"},
	{"sip:alice@example.com;ttl=256", EBADMSG, "ttl"},
	{"sip:alice@example.com;ttl=0015", EBADMSG, "ttl"},
	{"sip:alice@example.com;ttl=abc", EBADMSG, "ttl"},
	{"sip:alice@example.com;maddr=exa_mple", EBADMSG, "invalid host"},
	{"sip:alice@example.com;maddr=h:5060", EBADMSG, "without port"},
	{"sip:alice@example.com;lr;LR", EBADMSG, "duplicate"},
	{"sip:alice@example.com;lr;%6Cr", EBADMSG, "duplicate"},
	{"sip:alice@example.com;a=\"q\"", EBADMSG, "invalid character '\"'"},
	{"sip:alice@example.com;a=%g1", EBADMSG, "escape"},
	{"sip:alice@example.com?", EBADMSG, "empty URI headers"},
	{"sip:alice@example.com?a", EBADMSG, "without '='"},
	{"sip:alice@example.com?a=1&", EBADMSG, "empty URI header"},
	{"sip:alice@example.com?=1", EBADMSG, "empty URI header name"},
	{"sip:alice@example.com?a=<", EBADMSG, "invalid character '<'"},
	{"example.com", EBADMSG, "missing scheme"},
	{"1sip:a@b", EBADMSG, "invalid scheme"},
	{":a", EBADMSG, "invalid scheme"},
	{"s_p:a", EBADMSG, "invalid scheme"},
	{"foo:", EBADMSG, "nothing after"},
	{"foo:a b", EBADMSG, "whitespace"},
	{"foo:a\"b", EBADMSG, "invalid character"},
	{"sip:a@b\x01", EBADMSG, "control"},
	{"sip:a@b\x7f", EBADMSG, "control"},
	{"sip:a@\xc3\xa9.com", EBADMSG, "non-ASCII"},
	{"tel:", EBADMSG, "empty telephone number"},
	{"tel:1234", EBADMSG, "phone-context"},
	{"tel:+", EBADMSG, "invalid telephone number"},
	{"tel:+-", EBADMSG, "invalid telephone number"},
	{"tel:+12a", EBADMSG, "invalid telephone number"},
	{"tel:12g4;phone-context=example.com", EBADMSG, "invalid telephone number"},
	{"tel:123;phone-context=bad_ctx", EBADMSG, "phone-context"},
	{"tel:123;phone-context=+", EBADMSG, "phone-context"},
	{"tel:+1234;ext=abc", EBADMSG, "ext"},
	{"tel:+1234;a_b=1", EBADMSG, "tel: parameter name"},
	{"tel:+1234;ext=1;ext=2", EBADMSG, "duplicate"},
	{"tel:+1234?x=y", EBADMSG, "invalid telephone number"},
};

static void test_bad_uris(void)
{
	size_t i;

	for (i = 0; i < N(bad_uris); i++) {
		const struct bad_uri *b = &bad_uris[i];
		const char *ctx = lbl(b->in);
		struct uri u;
		char reason[128] = "unset";
		int err = uri_decode(&u, b->in, strlen(b->in), reason, sizeof(reason));

		is_int(b->err, err, "reject %s", ctx);
		if (!ok(contains(reason, b->reason), "%s: reason mentions \"%s\"", ctx,
			b->reason))
			diag("reason: %s", reason);
	}
}

static void test_limits(void)
{
	static char big[URI_MAX_LEN + 64];
	struct uri u;
	char reason[128];
	size_t n, i;

	n = (size_t)snprintf(big, sizeof(big), "sip:a@example.com;p=");
	memset(big + n, 'x', sizeof(big) - n);
	is_int(E2BIG, uri_decode(&u, big, URI_MAX_LEN + 1, reason, sizeof(reason)),
	       "URI over URI_MAX_LEN");
	ok(contains(reason, "longer than"), "long URI reason: %s", reason);
	is_int(0, uri_decode(&u, big, URI_MAX_LEN, NULL, 0), "URI of URI_MAX_LEN accepted");

	n = (size_t)snprintf(big, sizeof(big), "sip:a@example.com");
	for (i = 0; i < URI_MAX_PARAMS; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, ";p%zu", i);
	is_int(0, uri_decode(&u, big, n, NULL, 0), "%d params accepted", URI_MAX_PARAMS);
	n += (size_t)snprintf(big + n, sizeof(big) - n, ";one-more");
	is_int(E2BIG, uri_decode(&u, big, n, reason, sizeof(reason)),
	       "%d params refused", URI_MAX_PARAMS + 1);
	ok(contains(reason, "URI parameters"), "param limit reason: %s", reason);

	n = (size_t)snprintf(big, sizeof(big), "sip:a@example.com?h0=0");
	for (i = 1; i <= URI_MAX_HEADERS; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "&h%zu=%zu", i, i);
	is_int(E2BIG, uri_decode(&u, big, n, reason, sizeof(reason)),
	       "%d headers refused", URI_MAX_HEADERS + 1);
	ok(contains(reason, "URI headers"), "header limit reason: %s", reason);

	/* Decoding never reads past len. */
	is_int(0, uri_decode(&u, "sip:a@b.c;lr", 9, NULL, 0), "length bounds the input");
	is_span("b.c", u.host, "host", "sip:a@b.c;lr (len 9)");
	is_span(NULL, u.params, "params", "sip:a@b.c;lr (len 9)");
	is_int(EINVAL, uri_decode(&u, NULL, 0, NULL, 0), "NULL input is EINVAL");
}

/* name-addr / addr-spec. */

/* RFC 4475 intmeth: escaped BEL, NUL and DEL in a quoted display name. */
#define INTMETH_TO "\"BEL:\\\x07 NUL:\\\0 DEL:\\\x7f\" <sip:a@example.com>"
static const struct good_addr {
	const char *in;
	size_t len;             /* 0: strlen */
	const char *display;
	bool quoted, angle;
	const char *uri;        /* as re-encoded */
	const char *params;
} good_addrs[] = {
	{"\"Bell, Alexander\" <sip:a.g.bell@example.com>;tag=433423", 0,
	 "Bell, Alexander", true, true, "sip:a.g.bell@example.com", "tag=433423"},
	{"caller<sip:caller@example.com>;tag=323", 0, "caller", false, true,
	 "sip:caller@example.com", "tag=323"},
	{"sip:caller@example.org;tag=33242", 0, NULL, false, false,
	 "sip:caller@example.org", "tag=33242"},
	{"sip:+19725552222@gw1.example.net;unknownparam", 0, NULL, false, false,
	 "sip:+19725552222@gw1.example.net", "unknownparam"},
	{"<sip:+19725552222@gw1.example.net;unknownparam>", 0, NULL, false, true,
	 "sip:+19725552222@gw1.example.net;unknownparam", NULL},
	{"\r\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n", 0, NULL,
	 false, false, "sip:vivekg@chair-dnrc.example.com", "tag    = 1918181833n"},
	{"\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8",
	 0, "J Rosenberg \\\\\\\"", true, true, "sip:jdrosen@example.com", "tag = 98asjd8"},
	{"\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n      newvalue ;\r\n  secondparam ; q = 0.33",
	 0, "Quoted string \\\"\\\"", true, true, "sip:jdrosen@example.com",
	 "newparam =\r\n      newvalue ;\r\n  secondparam ; q = 0.33"},
	{"token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\";tag=_token~1'+`*%!-.",
	 0, "token1~` token2'+_ token3*%!.-", false, true, "sip:mundane@example.com",
	 "fromParam''~+*_!.-%=\"\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\";tag=_token~1'+`*%!-."},
	{INTMETH_TO, sizeof(INTMETH_TO) - 1,
	 "BEL:\\\x07 NUL:\\\0 DEL:\\\x7f", true, true, "sip:a@example.com", NULL},
	{"<sip:user@example.com?Route=%3Csip:sip.example.com%3E>", 0, NULL, false, true,
	 "sip:user@example.com?Route=%3Csip:sip.example.com%3E", NULL},
	{"isbn:2983792873", 0, NULL, false, false, "isbn:2983792873", NULL},
	{"<http://www.example.com>;tag=3234233", 0, NULL, false, true,
	 "http://www.example.com", "tag=3234233"},
	{"\"%Z%45\" <sip:resource@example.com>;tag=f232jadfj23", 0, "%Z%45", true, true,
	 "sip:resource@example.com", "tag=f232jadfj23"},
	{"\"\" <sip:a@b>", 0, "", true, true, "sip:a@b", NULL},
	{"<sip:a@b>", 0, NULL, false, true, "sip:a@b", NULL},
	{"\"T. desk phone\" <sip:ted@[::ffff:192.0.2.2]>", 0, "T. desk phone", true, true,
	 "sip:ted@[::ffff:192.0.2.2]", NULL},
	{"sip:user;par=u%40example.net@example.com;tag=1", 0, NULL, false, false,
	 "sip:user;par=u%40example.net@example.com", "tag=1"},
	{"A  B\t<sip:a@b>", 0, "A  B", false, true, "sip:a@b", NULL},
	{"<sip:a@b>;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\";expires=3600",
	 0, NULL, false, true, "sip:a@b",
	 "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\";expires=3600"},
	{"sip:a@b;x=\"<;>\"", 0, NULL, false, false, "sip:a@b", "x=\"<;>\""},
	{"<sip:a@b>;received=[2001:db8::1];rport=5060", 0, NULL, false, true, "sip:a@b",
	 "received=[2001:db8::1];rport=5060"},
	{"tel:+1234;tag=x", 0, NULL, false, false, "tel:+1234", "tag=x"},
	{"<tel:7042;phone-context=example.com>", 0, NULL, false, true,
	 "tel:7042;phone-context=example.com", NULL},
	{"\"\xc3\xa9t\xc3\xa9\" <sips:a@b>", 0, "\xc3\xa9t\xc3\xa9", true, true, "sips:a@b", NULL},
	{"\"Folded\r\n name\" <sip:a@b>", 0, "Folded\r\n name", true, true, "sip:a@b", NULL},
};

static void test_good_addrs(void)
{
	size_t i;

	for (i = 0; i < N(good_addrs); i++) {
		const struct good_addr *g = &good_addrs[i];
		size_t inlen = g->len ? g->len : strlen(g->in);
		const char *ctx = label(g->in, inlen);
		struct uri_addr a, back;
		char reason[128], buf[512];
		size_t len;
		int err = uri_addr_decode(&a, g->in, inlen, reason, sizeof(reason));

		if (!is_int(0, err, "addr %s", ctx)) {
			diag("reason: %s", reason);
			continue;
		}
		if (g->display != NULL && g->len != 0) {
			/* Displays with NUL bytes: compare by length. */
			ok(a.display.p == g->in + 1 &&
			   a.display.len == inlen - sizeof("\" <sip:a@example.com>"),
			   "%s: display keeps the escaped NUL", ctx);
		} else {
			is_span(g->display, a.display, "display", ctx);
		}
		is_int(g->quoted, a.display_quoted, "%s: display quoted", ctx);
		is_int(g->angle, a.angle, "%s: angle brackets", ctx);
		is_int(0, uri_encode(&a.uri, buf, sizeof(buf), NULL), "%s: URI encodes", ctx);
		is_string(g->uri, buf, "%s: URI", ctx);
		is_span(g->params, a.params, "header params", ctx);

		err = uri_addr_encode(&a, buf, sizeof(buf), &len);
		is_int(0, err, "%s: address encodes", ctx);
		is_int(0, uri_addr_decode(&back, buf, len, NULL, 0), "%s: re-decodes (%s)",
		       ctx, label(buf, len));
		ok(span_same(a.display, back.display) &&
		   a.display_quoted == back.display_quoted &&
		   span_same(a.params, back.params) && uri_same(&a.uri, &back.uri),
		   "%s: same fields after round trip", ctx);
	}
}

static const struct bad_uri bad_addrs[] = {
	{"Bell, Alexander <sip:a.g.bell@example.com>;tag=43", EBADMSG, "must be quoted"},
	{"\xc3\xa9 <sip:a@b>", EBADMSG, "must be quoted"},
	{"\"Watson, Thomas\" < sip:t.watson@example.org >", EBADMSG, "whitespace inside <>"},
	{"<sip:t.watson@example.org >", EBADMSG, "whitespace inside <>"},
	{"\"Mr. J. User <sip:j.user@example.com>", EBADMSG, "unterminated quoted display name"},
	{"\"x\\", EBADMSG, "unterminated quoted display name"},
	{"sip:user@example.com?Route=%3Csip:sip.example.com%3E", EBADMSG, "enclosed in <>"},
	{"sip:a@b,c", EBADMSG, "enclosed in <>"},
	{"<sip:a@b", EBADMSG, "missing '>'"},
	{"<>", EBADMSG, "empty <>"},
	{"", EINVAL, "empty"},
	{"  \r\n ", EINVAL, "empty"},
	{"<sip:a@b> x", EBADMSG, "unexpected 'x'"},
	{"<sip:a@b>>", EBADMSG, "unexpected '>'"},
	{"sip:a@b c", EBADMSG, "unexpected 'c'"},
	{"<sip:a@b>;", EBADMSG, "empty header parameter"},
	{"<sip:a@b>;;tag=1", EBADMSG, "empty header parameter"},
	{"<sip:a@b>;tag=1;", EBADMSG, "empty header parameter"},
	{"<sip:a@b>;tag=", EBADMSG, "missing header parameter value"},
	{"<sip:a@b>;tag=\"x", EBADMSG, "unterminated quoted parameter value"},
	{"<sip:a@b>;ta g=1", EBADMSG, "invalid character 'g'"},
	{"<sip:a@b>;tag=1,<sip:c@d>", EBADMSG, "invalid character ','"},
	{"<sip:a@b>;@=1", EBADMSG, "invalid header parameter name"},
	{"\"x\" sip:a@b", EBADMSG, "not followed by <URI>"},
	{"Mr \"x\" <sip:a@b>", EBADMSG, "quote inside"},
	{"\"x\\\r\n\" <sip:a@b>", EBADMSG, "invalid \\-escape"},
	{"\"x\x01\" <sip:a@b>", EBADMSG, "control character"},
	{"\"x\ry\" <sip:a@b>", EBADMSG, "line break"},
	{"<sip:a@b c>", EBADMSG, "whitespace inside URI"},
	{"<<sip:a@b>>", EBADMSG, "enclosed in <>"},
	{"sip:a@b;tag=1 <sip:c@d>", EBADMSG, "invalid character '<'"},
	{"<foo>", EBADMSG, "missing scheme"},
	{"<tel:1234>", EBADMSG, "phone-context"},
	{"tel:1234;phone-context=example.com", EBADMSG, "phone-context"},
};

static void test_bad_addrs(void)
{
	size_t i;

	for (i = 0; i < N(bad_addrs); i++) {
		const struct bad_uri *b = &bad_addrs[i];
		const char *ctx = lbl(b->in);
		struct uri_addr a;
		char reason[128] = "unset";
		int err = uri_addr_decode(&a, b->in, strlen(b->in), reason, sizeof(reason));

		is_int(b->err, err, "reject address %s", ctx);
		if (!ok(contains(reason, b->reason), "%s: reason mentions \"%s\"", ctx,
			b->reason))
			diag("reason: %s", reason);
	}
}

/* RFC 3261 §19.1.4 and extras. */
static const struct {
	const char *a, *b;
	bool equal;
} comparisons[] = {
	{"sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=Tcp", true},
	{"sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5", true},
	{"sip:carol@chicago.com", "sip:carol@chicago.com;security=on", true},
	{"sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on", true},
	{"sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
	 "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com", true},
	{"sip:alice@atlanta.com?subject=project%20x&priority=urgent",
	 "sip:alice@atlanta.com?priority=urgent&subject=project%20x", true},
	{"SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP", false},
	{"sip:bob@biloxi.com", "sip:bob@biloxi.com:5060", false},
	{"sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp", false},
	{"sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp", false},
	{"sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting", false},
	{"sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4", false},
	/* extras */
	{"sip:alice@atlanta.com", "sips:alice@atlanta.com", false},
	{"sip:a@[2001:db8::1]", "sip:a@[2001:DB8:0:0:0:0:0:1]", true},
	{"sip:a@[::ffff:192.0.2.2]", "sip:a@[::ffff:c000:202]", true},
	{"sip:a@[2001:db8::1]", "sip:a@[2001:db8::2]", false},
	{"sip:a@b;lr", "sip:a@b;%6C%72", true},
	{"sip:a@b;user=phone", "sip:a@b", false},
	{"sip:a@b;ttl=1", "sip:a@b", false},
	{"sip:a@b;method=INVITE", "sip:a@b", false},
	{"sip:a@b;maddr=1.2.3.4", "sip:a@b", false},
	{"sip:a:pw@b", "sip:a@b", false},
	{"sip:a:pw@b", "sip:a:PW@b", false},
	{"sip:b", "sip:a@b", false},
	{"sip:a@b;x=1", "sip:a@b;x=2", false},
	{"sip:a@b;x=abc", "sip:a@b;x=ABC", true},
	{"sip:a%3Bb@h", "sip:a;b@h", false},
	{"sip:a%62c@h", "sip:abc@h", true},
	{"sip:a%62c@h", "sip:aBc@h", false},
	{"sip:%00@h", "sip:%00@h", true},
	{"sip:%00@h", "sip:%00%00@h", false},
	{"sip:a@b?x=1", "sip:a@b?x=1&y=2", false},
	{"sip:a@b.c:5070", "sip:a@B.C:5070", true},
	{"tel:+1-201-555-0123", "tel:+12015550123", true},
	{"tel:7042;phone-context=example.com", "tel:7042;PHONE-CONTEXT=Example.COM", true},
	{"tel:+1234", "tel:+1234;ext=5", false},
	{"tel:+1234", "tel:+12345", false},
	{"tel:+1234", "sip:+1234@h", false},
	{"foo:bar", "FOO:bar", true},
	{"foo:bar", "foo:Bar", false},
	{"foo:bar", "baz:bar", false},
};

static void test_comparisons(void)
{
	size_t i;

	for (i = 0; i < N(comparisons); i++) {
		struct uri a, b;
		bool decoded = uri_decode(&a, comparisons[i].a, strlen(comparisons[i].a), NULL, 0) == 0 &&
			       uri_decode(&b, comparisons[i].b, strlen(comparisons[i].b), NULL, 0) == 0;

		if (!ok(decoded, "decode %s / %s", comparisons[i].a, comparisons[i].b))
			continue;
		is_int(comparisons[i].equal, uri_equal(&a, &b), "%s %s %s", comparisons[i].a,
		       comparisons[i].equal ? "==" : "!=", comparisons[i].b);
		is_int(comparisons[i].equal, uri_equal(&b, &a), "%s %s %s (reversed)",
		       comparisons[i].b, comparisons[i].equal ? "==" : "!=", comparisons[i].a);
	}
}

static void test_params(void)
{
	struct uri u;
	struct uri_addr a;
	struct span v, name;
	struct uri_iter it = {0};
	static const char *const names[] = {"%6C%72", "transport", "method", "maddr"};
	const char *in = "sip:a@b;%6C%72;transport=tcp;method=INVITE;maddr=[::1]?Subject=hi&Call-ID=x%40y";
	size_t i = 0;

	is_int(0, uri_decode(&u, in, strlen(in), NULL, 0), "decode params URI");
	is_int(0, uri_param_get(&u, "lr", &v), "lr (escaped) found");
	ok(v.p != NULL && v.len == 0, "lr is a flag: empty but set");
	is_int(0, uri_param_get(&u, "TRANSPORT", &v), "transport found case-insensitively");
	is_span("tcp", v, "transport", "params");
	is_int(0, uri_param_get(&u, "maddr", &v), "maddr found");
	is_span("[::1]", v, "maddr", "params");
	is_int(ENOENT, uri_param_get(&u, "ttl", &v), "ttl absent");
	is_int(0, uri_header_get(&u, "subject", &v), "header subject found");
	is_span("hi", v, "Subject", "headers");
	is_int(0, uri_header_get(&u, "call-id", &v), "header Call-ID found");
	is_span("x%40y", v, "Call-ID", "headers");
	is_int(ENOENT, uri_header_get(&u, "to", &v), "header to absent");
	while (uri_param_next(u.params, &it, &name, &v) == 0 && i < N(names)) {
		is_span(names[i], name, "param name", "iteration");
		i++;
	}
	is_int(N(names), i, "iterated every parameter");
	is_int(ENOENT, uri_param_next(u.params, &it, &name, &v), "iteration ends");
	it.pos = 0;
	is_int(ENOENT, uri_param_next(SPAN_NULL, &it, &name, &v), "no params: ENOENT");

	in = "\"A\" <sip:a@b;lr> ; tag = 1234 ; expires=60;+sip.instance=\"<urn:x;y>\";flag";
	is_int(0, uri_addr_decode(&a, in, strlen(in), NULL, 0), "decode header params");
	is_int(0, uri_addr_param_get(&a, "TAG", &v), "tag found");
	is_span("1234", v, "tag", "header params");
	is_int(0, uri_addr_param_get(&a, "expires", &v), "expires found");
	is_span("60", v, "expires", "header params");
	is_int(0, uri_addr_param_get(&a, "+sip.instance", &v), "+sip.instance found");
	is_span("\"<urn:x;y>\"", v, "+sip.instance", "header params");
	is_int(0, uri_addr_param_get(&a, "flag", &v), "flag found");
	ok(v.p != NULL && v.len == 0, "flag is empty but set");
	is_int(ENOENT, uri_addr_param_get(&a, "lr", &v), "URI param is not a header param");
	is_int(0, uri_param_get(&a.uri, "lr", &v), "lr is a URI param");
}

static void test_unescape(void)
{
	char buf[32];
	size_t len;

	is_int(0, uri_unescape(span_from_str("%61lice%20B"), buf, sizeof(buf), &len),
	       "unescape %%61lice%%20B");
	is_string("alice B", buf, "unescaped text");
	is_int(0, uri_unescape(span_from_str("null-%00-null"), buf, sizeof(buf), &len),
	       "unescape %%00");
	is_int(11, len, "%%00 is a byte, not a terminator");
	ok(memcmp(buf, "null-\0-null", 11) == 0, "NUL kept in the middle");
	is_int(EILSEQ, uri_unescape(span_from_str("%zz"), buf, sizeof(buf), &len), "%%zz");
	is_int(EILSEQ, uri_unescape(span_from_str("a%4"), buf, sizeof(buf), &len), "a%%4");
	is_int(EILSEQ, uri_unescape(span_from_str("%"), buf, sizeof(buf), &len), "lone %%");
	is_int(ENOSPC, uri_unescape(span_from_str("abcdef"), buf, 4, &len), "too small");
	is_string("abc", buf, "truncated output is terminated");
	is_int(0, uri_unescape(span_from_str(""), buf, sizeof(buf), &len), "empty");
	is_int(0, len, "empty gives nothing");
	is_int(0, uri_unquote(span_from_str("J Rosenberg \\\\\\\""), buf, sizeof(buf), &len),
	       "unquote display");
	is_string("J Rosenberg \\\"", buf, "unquoted display");
	is_int(EILSEQ, uri_unquote(span_from_str("x\\"), buf, sizeof(buf), &len),
	       "trailing backslash");
}

static void test_encode(void)
{
	struct uri_addr a;
	struct uri u;
	char buf[128];
	size_t len;

	memset(&a, 0, sizeof(a));
	is_int(0, uri_decode(&a.uri, "sip:a@b", 7, NULL, 0), "decode sip:a@b");
	a.display = span_from_str("Bell, \"Alex\"");
	is_int(0, uri_addr_encode(&a, buf, sizeof(buf), &len), "encode display needing quotes");
	is_string("\"Bell, \\\"Alex\\\"\" <sip:a@b>", buf, "display quoted and escaped");
	a.display = span_from_str("Alice Smith");
	is_int(0, uri_addr_encode(&a, buf, sizeof(buf), &len), "encode token display");
	is_string("Alice Smith <sip:a@b>", buf, "token display left unquoted");
	a.display = SPAN_NULL;
	a.params = span_from_str("tag=1");
	is_int(0, uri_addr_encode(&a, buf, sizeof(buf), &len), "encode bare");
	is_string("sip:a@b;tag=1", buf, "bare addr-spec kept bare");
	is_int((long long)strlen(buf), (long long)len, "length reported");
	is_int(0, uri_decode(&a.uri, "sip:a@b;lr", 10, NULL, 0), "decode sip:a@b;lr");
	is_int(0, uri_addr_encode(&a, buf, sizeof(buf), NULL), "encode URI with params");
	is_string("<sip:a@b;lr>;tag=1", buf, "URI params force <>");
	is_int(0, uri_decode(&a.uri, "sip:a;b@c", 9, NULL, 0), "decode sip:a;b@c");
	a.params = SPAN_NULL;
	is_int(0, uri_addr_encode(&a, buf, sizeof(buf), NULL), "encode user with ';'");
	is_string("<sip:a;b@c>", buf, "';' in user forces <>");
	a.display = span_from_str("Bad\r\nName");
	is_int(EINVAL, uri_addr_encode(&a, buf, sizeof(buf), NULL),
	       "display with a bare line break cannot be written");

	is_int(0, uri_decode(&u, "sip:alice@atlanta.com", 21, NULL, 0), "decode");
	is_int(ENOSPC, uri_encode(&u, buf, 21, &len), "one byte short is ENOSPC");
	is_int(21, (long long)len, "needed length reported");
	is_int(0, uri_encode(&u, buf, 22, &len), "exact fit");
	is_int(ENOSPC, uri_encode(&u, buf, 0, &len), "size 0");
	u.host = span_from_str("bad host");
	is_int(EINVAL, uri_encode(&u, buf, sizeof(buf), NULL), "invalid host refused");
	memset(&u, 0, sizeof(u));
	u.scheme = URI_SCHEME_SIPS;
	u.host = span_from_str("2001:db8::1");
	u.host_type = URI_HOST_IPV6;
	u.port = 5061;
	is_int(0, uri_encode(&u, buf, sizeof(buf), NULL), "encode built struct");
	is_string("sips:[2001:db8::1]:5061", buf, "IPv6 bracketed, scheme filled in");
	u.password = span_from_str("pw");
	is_int(EINVAL, uri_encode(&u, buf, sizeof(buf), NULL), "password without user refused");
}

static const struct {
	const char *in;
	bool secure;
	const char *host;
	enum uri_host_type type;
	unsigned port;
	const char *path, *query;
} good_ws[] = {
	{"ws://example.com", false, "example.com", URI_HOST_NAME, 80, "/", NULL},
	{"wss://example.com", true, "example.com", URI_HOST_NAME, 443, "/", NULL},
	{"wss://sip.example.com:8443/ws?x=1&y=%20", true, "sip.example.com", URI_HOST_NAME,
	 8443, "/ws", "x=1&y=%20"},
	{"ws://127.0.0.1:5066/", false, "127.0.0.1", URI_HOST_IPV4, 5066, "/", NULL},
	{"ws://[::1]:8080/sip/ws", false, "::1", URI_HOST_IPV6, 8080, "/sip/ws", NULL},
	{"WSS://Example.COM/", true, "Example.COM", URI_HOST_NAME, 443, "/", NULL},
	{"ws://h/a%20b;c=d:e@f", false, "h", URI_HOST_NAME, 80, "/a%20b;c=d:e@f", NULL},
	{"ws://h?", false, "h", URI_HOST_NAME, 80, "/", ""},
	{"ws://localhost:10080/?a=/b?", false, "localhost", URI_HOST_NAME, 10080, "/", "a=/b?"},
};

static const struct bad_uri bad_ws[] = {
	{"", EINVAL, "empty"},
	{"http://example.com", EBADMSG, "not a ws"},
	{"ws:/example.com", EBADMSG, "not a ws"},
	{"ws://", EBADMSG, "missing host"},
	{"ws:///path", EBADMSG, "missing host"},
	{"ws://user@h/", EBADMSG, "user information"},
	{"ws://h/#frag", EBADMSG, "fragment"},
	{"ws://h:0/", EBADMSG, "port 0"},
	{"ws://h:99999", EBADMSG, "out of range"},
	{"ws://h:/", EBADMSG, "empty port"},
	{"ws://h /x", EBADMSG, "whitespace"},
	{"ws://[::1/", EBADMSG, "']'"},
	{"ws://2001:db8::1/", EBADMSG, "enclosed in []"},
	{"ws://h/%zz", EBADMSG, "escape"},
	{"ws://h/a^b", EBADMSG, "invalid character '^'"},
	{"ws://h/?a=<", EBADMSG, "invalid character '<'"},
	{"ws://exa_mple.com/", EBADMSG, "invalid host name"},
};

static void test_ws(void)
{
	size_t i;

	for (i = 0; i < N(good_ws); i++) {
		const char *ctx = good_ws[i].in;
		struct uri_ws ws;
		char reason[128];
		int err = uri_ws_decode(&ws, ctx, strlen(ctx), reason, sizeof(reason));

		if (!is_int(0, err, "ws decode %s", ctx)) {
			diag("reason: %s", reason);
			continue;
		}
		is_int(good_ws[i].secure, ws.secure, "%s: secure", ctx);
		is_span(good_ws[i].host, ws.host, "host", ctx);
		is_int(good_ws[i].type, ws.host_type, "%s: host type", ctx);
		is_int(good_ws[i].port, ws.port, "%s: port", ctx);
		is_span(good_ws[i].path, ws.path, "path", ctx);
		is_span(good_ws[i].query, ws.query, "query", ctx);
	}
	for (i = 0; i < N(bad_ws); i++) {
		const struct bad_uri *b = &bad_ws[i];
		struct uri_ws ws;
		char reason[128] = "unset";

		is_int(b->err, uri_ws_decode(&ws, b->in, strlen(b->in), reason, sizeof(reason)),
		       "reject ws URL %s", b->in);
		if (!ok(contains(reason, b->reason), "%s: reason mentions \"%s\"", b->in,
			b->reason))
			diag("reason: %s", reason);
	}
}

static const struct {
	const char *target, *account;
	int err;
	const char *want;
} completions[] = {
	{"alice", "sip:bob@example.com", 0, "sip:alice@example.com"},
	{"alice@other.org", "sip:bob@example.com", 0, "sip:alice@other.org"},
	{"alice@other.org:5070", "sip:bob@example.com", 0, "sip:alice@other.org:5070"},
	{"alice@[2001:db8::2]", "sip:bob@example.com", 0, "sip:alice@[2001:db8::2]"},
	{"+15551234", "sip:bob@example.com", 0, "sip:+15551234@example.com;user=phone"},
	{"+1(555)123-4567", "sip:bob@example.com", 0,
	 "sip:+15551234567@example.com;user=phone"},
	{"555-1234", "sip:bob@example.com", 0, "sip:5551234@example.com"},
	{"201", "sip:bob@example.com:5070", 0, "sip:201@example.com:5070"},
	{"sip:carol@chicago.com", "sip:bob@example.com", 0, "sip:carol@chicago.com"},
	{"SIPS:carol@chicago.com;transport=tls", "sip:bob@example.com", 0,
	 "SIPS:carol@chicago.com;transport=tls"},
	{"tel:+1234", "sip:bob@example.com", 0, "tel:+1234"},
	{"alice", "sips:bob@secure.example.com", 0, "sips:alice@secure.example.com"},
	{"alice@other.org", "sips:bob@secure.example.com", 0, "sips:alice@other.org"},
	{"alice", "sip:bob@[2001:db8::1]:5070", 0, "sip:alice@[2001:db8::1]:5070"},
	{"al\"ice", "sip:bob@example.com", 0, "sip:al%22ice@example.com"},
	{"a;b?c", "sip:bob@example.com", 0, "sip:a%3Bb%3Fc@example.com"},
	{"a%41b", "sip:bob@example.com", 0, "sip:a%41b@example.com"},
	{"a%zz", "sip:bob@example.com", 0, "sip:a%25zz@example.com"},
	{"\xc3\xa9", "sip:bob@example.com", 0, "sip:%C3%A9@example.com"},
	{"al ice", "sip:bob@example.com", EINVAL, NULL},
	{"alice\t", "sip:bob@example.com", EINVAL, NULL},
	{"", "sip:bob@example.com", EINVAL, NULL},
	{"sip:@x", "sip:bob@example.com", EBADMSG, NULL},
	{"sip:2001:db8::1", "sip:bob@example.com", EBADMSG, NULL},
	{"mailto:a@b", "sip:bob@example.com", EINVAL, NULL},
	{"alice@", "sip:bob@example.com", EINVAL, NULL},
	{"@host", "sip:bob@example.com", EINVAL, NULL},
	{"alice@exa_mple", "sip:bob@example.com", EINVAL, NULL},
	{"alice", "tel:+1234", EINVAL, NULL},
};

static void test_complete(void)
{
	size_t i;
	struct uri account;
	char buf[128];

	for (i = 0; i < N(completions); i++) {
		const char *ctx = lbl(completions[i].target);
		int err;

		if (uri_decode(&account, completions[i].account,
			       strlen(completions[i].account), NULL, 0) != 0)
			bail("bad account %s", completions[i].account);
		err = uri_complete(completions[i].target, &account, buf, sizeof(buf));
		is_int(completions[i].err, err, "complete \"%s\" for %s", ctx,
		       completions[i].account);
		if (completions[i].want != NULL)
			is_string(completions[i].want, buf, "\"%s\" completes", ctx);
		else
			is_string("", buf, "\"%s\": nothing written", ctx);
	}
	uri_decode(&account, "sip:bob@example.com", 19, NULL, 0);
	is_int(ENOSPC, uri_complete("alice", &account, buf, 21), "completion too long");
	is_int(0, uri_complete("alice", &account, buf, 22), "completion exact fit");
	is_int(EINVAL, uri_complete(NULL, &account, buf, sizeof(buf)), "NULL target");
}

static void test_hosts(void)
{
	struct span host;
	enum uri_host_type type;
	unsigned port;

	is_int(0, uri_host_decode("2001:db8::9:255", 15, &host, &type, NULL, 0),
	       "received=IPv6 without brackets (RFC 5118 §4.5)");
	is_int(URI_HOST_IPV6, type, "is IPv6");
	is_int(0, uri_host_decode("[2001:db8::9:255]", 17, &host, &type, NULL, 0),
	       "received=[IPv6] tolerated");
	is_span("2001:db8::9:255", host, "host", "bracketed received");
	is_int(0, uri_host_decode("192.0.2.200", 11, &host, &type, NULL, 0), "IPv4 host");
	is_int(URI_HOST_IPV4, type, "is IPv4");
	is_int(EBADMSG, uri_host_decode("[1.2.3.4]", 9, &host, &type, NULL, 0),
	       "IPv4 in brackets refused");
	is_int(EBADMSG, uri_host_decode("2001:db8:::1", 12, &host, &type, NULL, 0),
	       "bad IPv6 refused");
	is_int(0, uri_hostport_decode("[2001:db8::9:1]:6050", 20, &host, &type, &port, NULL, 0),
	       "Via sent-by with IPv6 and port");
	is_int(6050, port, "port 6050");
	is_span("2001:db8::9:1", host, "host", "sent-by");
	is_int(0, uri_hostport_decode("c.example.com:5060", 18, &host, &type, &port, NULL, 0),
	       "Via sent-by name:port");
	is_int(URI_HOST_NAME, type, "is a name");
	is_int(EBADMSG, uri_hostport_decode("c.example.com;x", 15, &host, &type, &port, NULL, 0),
	       "trailing junk refused");
}

/* Corpus-driven checks: Request-URIs and header values of RFC 4475/5118. */

static char *corpus_file(const char *name, size_t *len)
{
	char *path = test_corpus_path(name);
	char *data = path ? test_read_file(path, len) : NULL;

	free(path);
	return data;
}

/* The Request-URI: between the first and the last SP of the first line. */
static struct span request_uri(const char *msg, size_t len)
{
	const char *eol = memchr(msg, '\n', len);
	const char *sp1, *sp2;
	size_t n = eol ? (size_t)(eol - msg) : len;

	if (n > 0 && msg[n - 1] == '\r')
		n--;
	sp1 = memchr(msg, ' ', n);
	for (sp2 = msg + n; sp2 > msg && sp2[-1] != ' '; sp2--)
		;
	if (sp1 == NULL || sp2 <= sp1 + 1)
		return SPAN_NULL;
	return span_make(sp1 + 1, (size_t)(sp2 - 1 - sp1 - 1));
}

/* The value of the first header named name (any case, folded lines kept
 * as they are), found from the second line up to the blank line. */
static struct span header_value(const char *msg, size_t len, const char *name)
{
	size_t i = 0, n = strlen(name);

	while (i < len) {
		const char *line = msg + i, *eol = memchr(line, '\n', len - i);
		size_t ll = eol ? (size_t)(eol - line) : len - i;
		size_t k;

		if (ll == 0 || (ll == 1 && line[0] == '\r'))
			break;
		if (i > 0 && ll > n && strncasecmp(line, name, n) == 0) {
			for (k = n; k < ll && (line[k] == ' ' || line[k] == '\t'); k++)
				;
			if (k < ll && line[k] == ':') {
				size_t start = i + k + 1, end;

				/* Extend over continuation lines. */
				for (end = i + ll; end + 1 < len && msg[end] == '\n' &&
						   (msg[end + 1] == ' ' || msg[end + 1] == '\t');) {
					const char *next = memchr(msg + end + 1, '\n', len - end - 1);

					end = next ? (size_t)(next - msg) : len;
				}
				return span_trim(span_make(msg + start, end - start));
			}
		}
		i += ll + 1;
	}
	return SPAN_NULL;
}

static void test_corpus_uris(void)
{
	static const struct {
		const char *file;
		int err;
		const char *host;
		const char *check;   /* user, or reason substring on error */
	} ruris[] = {
		{"rfc4475/semiuri.dat", 0, "example.com", "user;par=u%40example.net"},
		{"rfc4475/esc01.dat", 0, "example.net", "sips%3Auser%40example.com"},
		{"rfc4475/intmeth.dat", 0, "example.com", "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"},
		{"rfc4475/wsinv.dat", 0, "chair-dnrc.example.com", "vivekg"},
		{"rfc4475/escruri.dat", 0, "example.com", "user"},
		{"rfc4475/unkscm.dat", 0, NULL, NULL},
		{"rfc4475/novelsc.dat", 0, NULL, NULL},
		{"rfc4475/ltgtruri.dat", EBADMSG, NULL, "enclosed in <>"},
		{"rfc4475/lwsruri.dat", EBADMSG, NULL, "whitespace"},
		{"rfc5118/ipv6-good.dat", 0, "2001:db8::10", NULL},
		{"rfc5118/ipv6-bad.dat", EBADMSG, NULL, "enclosed in []"},
		{"rfc5118/port-ambiguous.dat", 0, "2001:db8::10:5070", NULL},
		{"rfc5118/port-unambiguous.dat", 0, "2001:db8::10", NULL},
		{"rfc5118/ipv6-in-sdp.dat", 0, "2001:db8::10", "user"},
	};
	static const struct {
		const char *file, *header;
		int err;
		const char *check;   /* URI re-encoded, or reason substring */
		const char *param, *value;
	} headers[] = {
		{"rfc4475/baddn.dat", "From", EBADMSG, "must be quoted", NULL, NULL},
		{"rfc4475/baddn.dat", "To", EBADMSG, "must be quoted", NULL, NULL},
		{"rfc4475/badaspec.dat", "To", EBADMSG, "whitespace inside <>", NULL, NULL},
		{"rfc4475/badaspec.dat", "From", 0, "sip:a.g.bell@example.com", "tag", "433423"},
		{"rfc4475/quotbal.dat", "To", EBADMSG, "unterminated", NULL, NULL},
		{"rfc4475/regbadct.dat", "Contact", EBADMSG, "enclosed in <>", NULL, NULL},
		{"rfc4475/cparam01.dat", "Contact", 0, "sip:+19725552222@gw1.example.net",
		 "unknownparam", ""},
		{"rfc4475/cparam02.dat", "Contact", 0,
		 "sip:+19725552222@gw1.example.net;unknownparam", NULL, NULL},
		{"rfc4475/regescrt.dat", "M", 0,
		 "sip:user@example.com?Route=%3Csip:sip.example.com%3E", NULL, NULL},
		{"rfc4475/lwsdisp.dat", "From", 0, "sip:caller@example.com", "tag", "323"},
		{"rfc4475/wsinv.dat", "TO", 0, "sip:vivekg@chair-dnrc.example.com", "tag",
		 "1918181833n"},
		{"rfc4475/wsinv.dat", "from", 0, "sip:jdrosen@example.com", "tag", "98asjd8"},
		{"rfc4475/wsinv.dat", "m", 0, "sip:jdrosen@example.com", "q", "0.33"},
		{"rfc4475/wsinv.dat", "Route", 0,
		 "sip:services.example.com;lr;unknownwith=value;unknown-no-value", NULL, NULL},
		{"rfc4475/intmeth.dat", "To", 0,
		 "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com", NULL, NULL},
		{"rfc4475/intmeth.dat", "From", 0, "sip:mundane@example.com", "tag",
		 "_token~1'+`*%!-."},
		{"rfc4475/esc01.dat", "To", 0, "sip:%75se%72@example.com", NULL, NULL},
		{"rfc4475/esc01.dat", "Contact", 0,
		 "sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31", NULL, NULL},
		{"rfc4475/escnull.dat", "To", 0, "sip:null-%00-null@example.com", NULL, NULL},
		{"rfc4475/escnull.dat", "Contact", 0, "sip:%00@host5.example.com", NULL, NULL},
		{"rfc4475/esc02.dat", "To", 0, "sip:resource@example.com", NULL, NULL},
		{"rfc4475/unksm2.dat", "To", 0, "isbn:2983792873", NULL, NULL},
		{"rfc4475/unksm2.dat", "From", 0, "http://www.example.com", "tag", "3234233"},
		{"rfc4475/unksm2.dat", "Contact", 0, "name:John_Smith", NULL, NULL},
		{"rfc4475/semiuri.dat", "From", 0, "sip:caller@example.org", "tag", "33242"},
		{"rfc5118/ipv4-mapped-ipv6.dat", "Contact", 0, "sip:ted@[::ffff:192.0.2.2]",
		 NULL, NULL},
		{"rfc5118/mult-ip-in-sdp.dat", "Contact", 0, "sip:caller@[2001:db8::9:1]",
		 NULL, NULL},
	};
	char *probe = test_corpus_path("rfc4475/INDEX.tsv");
	char *index = probe ? test_read_file(probe, NULL) : NULL;
	size_t i;

	free(probe);
	if (index == NULL) {
		skip_block(N(ruris) * 2 + N(headers) * 2,
			   "RFC 4475/5118 corpus not found (set SIPWS_CORPUS)");
		return;
	}
	free(index);
	for (i = 0; i < N(ruris); i++) {
		size_t len;
		char *msg = corpus_file(ruris[i].file, &len);
		struct span r = msg ? request_uri(msg, len) : SPAN_NULL;
		struct uri u;
		char reason[128] = "unset";
		int err = uri_decode(&u, r.p, r.len, reason, sizeof(reason));

		is_int(ruris[i].err, err, "%s Request-URI", ruris[i].file);
		if (ruris[i].err != 0)
			ok(contains(reason, ruris[i].check), "%s: reason \"%s\"", ruris[i].file,
			   reason);
		else if (ruris[i].host == NULL)
			is_int(URI_SCHEME_OTHER, u.scheme, "%s: unknown scheme kept opaque",
			       ruris[i].file);
		else if (ruris[i].check != NULL)
			is_span(ruris[i].check, u.user, "user", ruris[i].file);
		else
			is_span(ruris[i].host, u.host, "host", ruris[i].file);
		free(msg);
	}
	for (i = 0; i < N(headers); i++) {
		size_t len;
		char *msg = corpus_file(headers[i].file, &len);
		struct span h = msg ? header_value(msg, len, headers[i].header) : SPAN_NULL;
		struct uri_addr a;
		struct span v;
		char reason[128] = "unset", buf[256];
		int err = uri_addr_decode(&a, h.p, h.len, reason, sizeof(reason));

		is_int(headers[i].err, err, "%s %s", headers[i].file, headers[i].header);
		if (headers[i].err != 0) {
			ok(contains(reason, headers[i].check), "%s %s: reason \"%s\"",
			   headers[i].file, headers[i].header, reason);
			free(msg);
			continue;
		}
		ok(uri_encode(&a.uri, buf, sizeof(buf), NULL) == 0 &&
		   strcmp(buf, headers[i].check) == 0, "%s %s: URI %s", headers[i].file,
		   headers[i].header, headers[i].check);
		if (headers[i].param != NULL)
			ok(uri_addr_param_get(&a, headers[i].param, &v) == 0 &&
			   span_eq(v, headers[i].value), "%s %s: %s=%s", headers[i].file,
			   headers[i].header, headers[i].param, headers[i].value);
		free(msg);
	}
}

int main(void)
{
	plan_lazy();
	test_good_uris();
	test_bad_uris();
	test_limits();
	test_good_addrs();
	test_bad_addrs();
	test_comparisons();
	test_params();
	test_unescape();
	test_encode();
	test_ws();
	test_complete();
	test_hosts();
	test_corpus_uris();
	return 0;
}
