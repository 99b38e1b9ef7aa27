/* The RFC 4475 and RFC 5118 torture messages through the sipmsg module:
 * every file of both INDEX.tsv lists must have a row in
 * tests/corpus-expect.tsv (decode outcome, check status, reason) and every
 * file that decodes has its key fields asserted from the table below. */
#include "sipmsg.h"
#include "tap/basic.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Marks a header that must be missing altogether (not just its tag). */
#define NO_HEADER "\001no header"

static const char *const supported[] = {"path", "outbound", "gruu", NULL};
static const char *const accepted[] = {"application/sdp", "text/plain",
				       "multipart/mixed", NULL};
static const char *const produced[] = {"application/sdp", NULL};
static const struct sipmsg_caps caps = {supported, accepted, produced};

static int span_is(const char *want, struct span got, const char *fmt, ...)
	TAP_PRINTF(3, 4);

/* want NULL: the span must be null (absent). */
static int span_is(const char *want, struct span got, const char *fmt, ...)
{
	char label[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(label, sizeof(label), fmt, ap);
	va_end(ap);
	if (want == NULL)
		return ok(got.p == NULL, "%s is absent", label);
	if (got.p == NULL)
		return ok(0, "%s is \"%s\" (absent)", label, want);
	return is_bytes(want, got.p, got.len, "%s", label);
}

/* ---- file-specific assertions ------------------------------------------ */

static void extra_wsinv(const struct sipmsg *m)
{
	struct sipmsg_via via;
	struct sipmsg_contact ct;
	struct sipmsg_party from;
	struct uri_addr route;
	struct sipmsg_header h;
	struct span v;
	char buf[64];
	size_t n;

	ok(sipmsg_via_get(m, 1, &via) == 0, "wsinv: second Via decodes");
	span_is("TCP", via.transport, "wsinv: Via 1 transport");
	span_is("spindle.example.com", via.host, "wsinv: Via 1 host");
	span_is("z9hG4bK9ikj8", via.branch, "wsinv: Via 1 branch around LWS");
	ok(sipmsg_via_get(m, 2, &via) == 0, "wsinv: third Via decodes");
	span_is("z9hG4bK30239", via.branch, "wsinv: branch value after fold");
	span_is("2.0", via.protocol_version, "wsinv: protocol version");
	ok(sipmsg_contact_get(m, 0, &ct) == 0, "wsinv: Contact decodes");
	is_int(330, ct.q, "wsinv: q = 0.33 read as 330");
	ok(uri_addr_param_get(&ct.addr, "newparam", &v) == 0 &&
	   span_eq(v, "newvalue"), "wsinv: newparam = newvalue");
	ok(uri_addr_param_get(&ct.addr, "secondparam", &v) == 0,
	   "wsinv: secondparam flag present");
	ok(sipmsg_from_get(m, &from) == 0 && from.addr.display_quoted,
	   "wsinv: From display name quoted");
	ok(uri_unquote(from.addr.display, buf, sizeof(buf), &n) == 0 &&
	   n == 14 && memcmp(buf, "J Rosenberg \\\"", 14) == 0,
	   "wsinv: display name unquotes to J Rosenberg \\\"");
	ok(sipmsg_route_get(m, 0, &route) == 0 &&
	   span_eq(route.uri.host, "services.example.com"),
	   "wsinv: Route host");
	ok(uri_param_get(&route.uri, "lr", &v) == 0, "wsinv: Route lr");
	ok(sipmsg_header_get(m, "NewFangledHeader", 0, &h) == 0,
	   "wsinv: unknown header kept");
	span_is("newfangled value   continued newfangled value", h.value,
		"wsinv: folded value unfolded to spaces");
	ok(sipmsg_header_get(m, "Subject", 0, &h) == 0 && h.value.len == 0 &&
	   span_eq(h.name, "s"), "wsinv: empty compact Subject");
	ok(sipmsg_value_get(m, "UnknownHeaderWithUnusualValue", 0, &v) == 0,
	   "wsinv: unusual unknown value");
	span_is(";;,,;;,;", v, "wsinv: unknown header not split");
	is_int(ENOENT, sipmsg_value_get(m, "UnknownHeaderWithUnusualValue", 1,
					&v), "wsinv: it is one value");
	ok(sipmsg_header_get(m, "Content-Length", 0, &h) == 0 &&
	   span_eq(h.name, "Content-Length"), "wsinv: 'Content-Length   :'");
	span_is("unknownparam", sipmsg_request_uri(m)->params,
		"wsinv: Request-URI params");
}

static void extra_intmeth(const struct sipmsg *m)
{
	static const char ext_value[] = "\xef\xbb\xbf\xe5\xa4\xa7\xe5\x81"
					"\x9c\xe9\x9b\xbb";
	struct sipmsg_party to, from;
	struct sipmsg_header h;
	struct span v;
	char buf[64];
	size_t n;

	span_is("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)",
		sipmsg_request_uri(m)->password, "intmeth: Request-URI password");
	ok(sipmsg_to_get(m, &to) == 0 && to.addr.display_quoted,
	   "intmeth: To display quoted");
	ok(uri_unquote(to.addr.display, buf, sizeof(buf), &n) == 0 &&
	   n == 17 && memcmp(buf, "BEL:\a NUL:\0 DEL:\x7f", 17) == 0,
	   "intmeth: escaped BEL, NUL, DEL survive");
	ok(sipmsg_from_get(m, &from) == 0 && !from.addr.display_quoted,
	   "intmeth: From display is a token list");
	span_is("token1~` token2'+_ token3*%!.-", from.addr.display,
		"intmeth: From display");
	ok(uri_addr_param_get(&from.addr, "fromParam''~+*_!.-%", &v) == 0,
	   "intmeth: odd From parameter name");
	span_is("\"\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\xd1\x8e"
		"\xd1\x89\xd0\xb8\xd0\xb9\"", v, "intmeth: UTF-8 quoted value");
	ok(sipmsg_header_get(m, "extensionHeader-!.%*+_`'~", 0, &h) == 0,
	   "intmeth: extension header found");
	span_is(ext_value, h.value, "intmeth: UTF-8 value bytes");
}

static void extra_esc01(const struct sipmsg *m)
{
	struct sipmsg_party to;
	struct sipmsg_contact ct;
	char buf[64];
	size_t n;

	ok(uri_unescape(sipmsg_request_uri(m)->user, buf, sizeof(buf), &n) ==
	   0 && n == 21 && memcmp(buf, "sips:user@example.com", 21) == 0,
	   "esc01: Request-URI user unescapes");
	ok(sipmsg_to_get(m, &to) == 0, "esc01: To decodes");
	span_is("%75se%72", to.addr.uri.user, "esc01: To user kept escaped");
	ok(uri_unescape(to.addr.uri.user, buf, sizeof(buf), &n) == 0 &&
	   n == 4 && memcmp(buf, "user", 4) == 0, "esc01: To user is user");
	ok(sipmsg_contact_get(m, 0, &ct) == 0, "esc01: Contact decodes");
	span_is("%6C%72;n%61me=v%61lue%25%34%31", ct.addr.uri.params,
		"esc01: Contact URI params as written");
}

static void extra_escnull(const struct sipmsg *m)
{
	struct sipmsg_party to;
	struct sipmsg_contact ct;
	char buf[64];
	size_t n;

	ok(sipmsg_to_get(m, &to) == 0 &&
	   uri_unescape(to.addr.uri.user, buf, sizeof(buf), &n) == 0 &&
	   n == 11 && memcmp(buf, "null-\0-null", 11) == 0,
	   "escnull: %%00 unescapes to a NUL inside the user");
	ok(sipmsg_contact_get(m, 1, &ct) == 0, "escnull: second Contact");
	span_is("%00%00", ct.addr.uri.user, "escnull: second Contact user");
}

static void extra_esc02(const struct sipmsg *m)
{
	struct sipmsg_party to;
	struct sipmsg_contact ct;

	is_int(1, (long long)sipmsg_header_count_of(m, "C%6Fntact"),
	       "esc02: C%%6Fntact is its own unknown header");
	ok(sipmsg_contact_get(m, 1, &ct) == 0, "esc02: second Contact");
	span_is("host3.example.com", ct.addr.uri.host,
		"esc02: second Contact is alias3");
	ok(sipmsg_to_get(m, &to) == 0 && to.addr.display_quoted,
	   "esc02: To decodes");
	span_is("%Z%45", to.addr.display, "esc02: display name not unescaped");
}

static void extra_lwsdisp(const struct sipmsg *m)
{
	struct sipmsg_party from;

	ok(sipmsg_from_get(m, &from) == 0 && !from.addr.display_quoted &&
	   from.addr.angle, "lwsdisp: From is a name-addr");
	span_is("caller", from.addr.display, "lwsdisp: display name");
}

static void extra_longreq(const struct sipmsg *m)
{
	struct sipmsg_via via;
	struct sipmsg_party to;
	char want[512];
	int i, n = 0;

	ok(sipmsg_via_get(m, 33, &via) == 0, "longreq: last Via decodes");
	span_is("192.0.2.5", via.received, "longreq: last Via received");
	n = snprintf(want, sizeof(want), "very");
	for (i = 0; i < 50; i++)
		n += snprintf(want + n, sizeof(want) - (size_t)n, "long");
	snprintf(want + n, sizeof(want) - (size_t)n, "branchvalue");
	span_is(want, via.branch, "longreq: long branch");
	ok(sipmsg_to_get(m, &to) == 0, "longreq: To decodes");
	is_int(6000, to.addr.uri.port, "longreq: To port");
	is_int(103, (long long)to.addr.display.len, "longreq: long display");
	is_int(43, (long long)sipmsg_header_count(m), "longreq: 43 fields");
}

static void extra_dblreq(const struct sipmsg *m)
{
	is_int(300, (long long)sipmsg_wire_len(m),
	       "dblreq: only the first 300 bytes are the message");
}

static void extra_semiuri(const struct sipmsg *m)
{
	ok(sipmsg_request_uri(m)->params.p == NULL,
	   "semiuri: no Request-URI params");
	is_int(6, (long long)sipmsg_value_count_id(m, SIPMSG_HDR_ACCEPT),
	       "semiuri: six Accept values over folded lines");
}

static void extra_transports(const struct sipmsg *m)
{
	static const char *const want[] = {"UDP", "SCTP", "TLS", "UNKNOWN",
					   "TCP"};
	struct sipmsg_via via;
	size_t i;

	for (i = 0; i < 5; i++) {
		ok(sipmsg_via_get(m, i, &via) == 0, "transports: Via %zu", i);
		span_is(want[i], via.transport, "transports: Via %zu transport",
			i);
	}
}

static void extra_mpart01(const struct sipmsg *m)
{
	struct sipmsg_media media;
	struct sipmsg_via via;
	struct span v;

	ok(sipmsg_content_type_get(m, &media) == 0 &&
	   sipmsg_media_matches(&media, "multipart/mixed"),
	   "mpart01: multipart/mixed");
	ok(sipmsg_param_get(media.params, "boundary", &v) == 0 &&
	   span_eq(v, "7a9cbec02ceef655"), "mpart01: boundary");
	ok(sipmsg_via_get(m, 0, &via) == 0 && via.rport && via.rport_port == 0,
	   "mpart01: bare rport flag");
	ok(sipmsg_date_get(m, &v) == 0, "mpart01: GMT Date accepted");
	ok(sipmsg_body(m).p[552] == '\n', "mpart01: body ends at CRLF");
}

static void extra_unreason(const struct sipmsg *m)
{
	span_is("= 2**3 * 5**2 \xd0\xbd\xd0\xbe \xd1\x81\xd1\x82\xd0\xbe "
		"\xd0\xb4\xd0\xb5\xd0\xb2\xd1\x8f\xd0\xbd\xd0\xbe\xd1\x81\xd1"
		"\x82\xd0\xbe \xd0\xb4\xd0\xb5\xd0\xb2\xd1\x8f\xd1\x82\xd1\x8c"
		" - \xd0\xbf\xd1\x80\xd0\xbe\xd1\x81\xd1\x82\xd0\xbe\xd0\xb5",
		sipmsg_reason(m), "unreason: UTF-8 reason phrase");
}

static void extra_noreason(const struct sipmsg *m)
{
	span_is("", sipmsg_reason(m), "noreason: empty reason phrase");
}

static void extra_baddate(const struct sipmsg *m)
{
	struct span v;

	is_int(EBADMSG, sipmsg_date_get(m, &v),
	       "baddate: EST Date flagged by the getter");
}

static void extra_badvers(const struct sipmsg *m)
{
	struct sipmsg_via via;

	span_is("SIP/7.0", sipmsg_version(m), "badvers: version as written");
	ok(sipmsg_defects(m) & SIPMSG_DEFECT_VERSION, "badvers: flagged");
	ok(sipmsg_via_get(m, 0, &via) == 0 &&
	   span_eq(via.protocol_version, "7.0"), "badvers: Via says 7.0");
}

static void extra_mismatch(const struct sipmsg *m)
{
	ok(sipmsg_defects(m) & SIPMSG_DEFECT_CSEQ_METHOD,
	   "mismatch: CSeq method defect flagged");
}

static void extra_badbranch(const struct sipmsg *m)
{
	struct sipmsg_via via;

	ok(sipmsg_via_get(m, 0, &via) == 0 &&
	   !sipmsg_via_branch_is_rfc3261(&via),
	   "badbranch: bare cookie is not an RFC 3261 branch");
}

static void extra_unkscm(const struct sipmsg *m)
{
	const struct uri *u = sipmsg_request_uri(m);

	is_int(URI_SCHEME_OTHER, u->scheme, "unkscm: scheme is other");
	span_is("nobodyKnowsThisScheme", u->scheme_text, "unkscm: scheme text");
}

static void extra_novelsc(const struct sipmsg *m)
{
	const struct uri *u = sipmsg_request_uri(m);

	is_int(URI_SCHEME_OTHER, u->scheme, "novelsc: scheme is other");
	span_is("soap.beep", u->scheme_text, "novelsc: scheme text");
}

static void extra_unksm2(const struct sipmsg *m)
{
	struct sipmsg_party to, from;
	struct sipmsg_contact ct;

	ok(sipmsg_to_get(m, &to) == 0 && to.addr.uri.scheme == URI_SCHEME_OTHER,
	   "unksm2: isbn: To");
	span_is("isbn", to.addr.uri.scheme_text, "unksm2: To scheme");
	ok(sipmsg_from_get(m, &from) == 0 &&
	   span_eq(from.addr.uri.scheme_text, "http"), "unksm2: http From");
	ok(sipmsg_contact_get(m, 0, &ct) == 0 &&
	   span_eq(ct.addr.uri.scheme_text, "name"), "unksm2: name: Contact");
}

static void extra_bext01(const struct sipmsg *m)
{
	struct span tag;

	ok(sipmsg_unsupported_get(m, &caps, 0, &tag) == 0 &&
	   span_eq(tag, "nothingSupportsThis"), "bext01: first unsupported");
	ok(sipmsg_unsupported_get(m, &caps, 1, &tag) == 0 &&
	   span_eq(tag, "nothingSupportsThisEither"),
	   "bext01: second unsupported");
	is_int(ENOENT, sipmsg_unsupported_get(m, &caps, 2, &tag),
	       "bext01: only two");
	ok(sipmsg_token_has(m, SIPMSG_HDR_PROXY_REQUIRE,
			    "norDoAnyProxiesSupportThis"),
	   "bext01: Proxy-Require readable");
}

static void extra_invut(const struct sipmsg *m)
{
	struct sipmsg_media media;

	ok(sipmsg_content_type_get(m, &media) == 0 &&
	   span_eq(media.subtype, "unknownformat"), "invut: Content-Type");
}

static void extra_regaut01(const struct sipmsg *m)
{
	struct sipmsg_auth auth;

	ok(sipmsg_auth_get(m, SIPMSG_HDR_AUTHORIZATION, 0, &auth) == 0,
	   "regaut01: Authorization decodes");
	span_is("NoOneKnowsThisScheme", auth.scheme, "regaut01: scheme");
	span_is("opaque-data=here", auth.params, "regaut01: raw params");
}

static void extra_multi01(const struct sipmsg *m)
{
	ok(sipmsg_defects(m) & SIPMSG_DEFECT_MULTIPLE, "multi01: flagged");
	is_int(2, (long long)sipmsg_header_count_of(m, "Call-ID"),
	       "multi01: both Call-IDs kept");
	is_int(2, (long long)sipmsg_header_count_of(m, "To"),
	       "multi01: both To kept");
}

static void extra_mcl01(const struct sipmsg *m)
{
	ok(sipmsg_defects(m) & SIPMSG_DEFECT_LENGTH_CONFLICT,
	   "mcl01: conflict flagged");
}

static void extra_bcast(const struct sipmsg *m)
{
	struct sipmsg_via via;

	ok(sipmsg_via_get(m, 1, &via) == 0 &&
	   span_eq(via.host, "255.255.255.255"), "bcast: second Via host");
}

static void extra_cparam01(const struct sipmsg *m)
{
	struct sipmsg_contact ct;
	struct span v;

	ok(sipmsg_contact_get(m, 0, &ct) == 0 && !ct.addr.angle,
	   "cparam01: addr-spec Contact");
	ok(ct.addr.uri.params.p == NULL, "cparam01: no URI params");
	ok(uri_addr_param_get(&ct.addr, "unknownparam", &v) == 0,
	   "cparam01: unknownparam is a header param");
}

static void extra_cparam02(const struct sipmsg *m)
{
	struct sipmsg_contact ct;
	struct span v;

	ok(sipmsg_contact_get(m, 0, &ct) == 0 && ct.addr.angle,
	   "cparam02: name-addr Contact");
	ok(uri_param_get(&ct.addr.uri, "unknownparam", &v) == 0,
	   "cparam02: unknownparam is a URI param");
	ok(ct.addr.params.p == NULL, "cparam02: no header params");
}

static void extra_regescrt(const struct sipmsg *m)
{
	struct sipmsg_contact ct;
	struct span v;

	ok(sipmsg_contact_get(m, 0, &ct) == 0, "regescrt: Contact decodes");
	span_is("Route=%3Csip:sip.example.com%3E", ct.addr.uri.headers,
		"regescrt: escaped header intact");
	ok(uri_header_get(&ct.addr.uri, "Route", &v) == 0 &&
	   span_eq(v, "%3Csip:sip.example.com%3E"), "regescrt: Route header");
}

static void extra_sdp01(const struct sipmsg *m)
{
	struct span v;

	ok(sipmsg_value_get(m, "Accept", 0, &v) == 0 &&
	   span_eq(v, "text/nobodyKnowsThis"), "sdp01: Accept value");
}

static void extra_inv2543(const struct sipmsg *m)
{
	struct uri_addr rr;
	size_t cl;

	is_int(ENOENT, sipmsg_content_length_get(m, &cl),
	       "inv2543: no Content-Length");
	ok(sipmsg_record_route_get(m, 0, &rr) == 0 &&
	   uri_param_get(&rr.uri, "maddr", NULL) == 0,
	   "inv2543: Record-Route with maddr");
}

static void extra_ipv6_host(const struct sipmsg *m)
{
	struct sipmsg_via via;
	struct sipmsg_contact ct;

	if (sipmsg_request_uri(m)->host.p != NULL &&
	    sipmsg_request_uri(m)->host.p[0] == '2')
		is_int(URI_HOST_IPV6, sipmsg_request_uri(m)->host_type,
		       "ipv6: Request-URI host is IPv6");
	ok(sipmsg_via_get(m, 0, &via) == 0 && via.host_ipv6,
	   "ipv6: Via sent-by is IPv6");
	if (sipmsg_contact_count(m) > 0)
		ok(sipmsg_contact_get(m, 0, &ct) == 0 &&
		   ct.addr.uri.host_type == URI_HOST_IPV6,
		   "ipv6: Contact host is IPv6");
}

static void extra_received(const struct sipmsg *m)
{
	struct sipmsg_via via;

	extra_ipv6_host(m);
	ok(sipmsg_via_get(m, 0, &via) == 0, "received: Via decodes");
	span_is("2001:db8::9:255", via.received, "received: IPv6, no brackets");
}

static void extra_short_body(const struct sipmsg *m)
{
	extra_ipv6_host(m);
	ok(sipmsg_defects(m) & SIPMSG_DEFECT_SHORT_BODY,
	   "short body: flagged");
}

static void extra_mult_ip(const struct sipmsg *m)
{
	struct sipmsg_via via;

	ok(sipmsg_via_get(m, 1, &via) == 0 && !via.host_ipv6 &&
	   span_eq(via.host, "192.0.2.1"), "mult-ip: IPv4 Via between");
	ok(sipmsg_via_get(m, 2, &via) == 0 && via.host_ipv6 &&
	   span_eq(via.received, "192.0.2.200"), "mult-ip: IPv6 Via, v4 received");
	span_is("TCP", via.transport, "mult-ip: third Via over TCP");
}

static void extra_mapped(const struct sipmsg *m)
{
	struct sipmsg_via via;

	extra_ipv6_host(m);
	ok(sipmsg_via_get(m, 1, &via) == 0 &&
	   span_eq(via.host, "::ffff:192.0.2.2") && via.port == 0,
	   "mapped: second Via");
	ok(!(sipmsg_defects(m) & SIPMSG_DEFECT_SHORT_BODY),
	   "mapped: body exactly as declared");
}

/* ---- key fields of every file that decodes ----------------------------- */

struct expect {
	const char *file;
	const char *method;        /* NULL: a response */
	unsigned status;
	const char *ruri_user;     /* NULL: no user part */
	const char *ruri_host;     /* NULL: no host (opaque scheme) */
	unsigned ruri_port;
	const char *call_id;       /* NO_HEADER: missing */
	unsigned long cseq;
	const char *cseq_method;
	size_t vias;
	const char *via_host;      /* topmost Via */
	unsigned via_port;
	const char *branch;        /* NULL: none */
	const char *from_tag;      /* NULL: no tag; NO_HEADER: no From */
	const char *to_tag;
	size_t contacts;
	int max_forwards;          /* -1: absent */
	size_t body_len;
	void (*extra)(const struct sipmsg *msg);
};

#define INTMETH "!interesting-Method0123456789_*+`.%indeed'~"
#define LONG_TAG "1" \
	"298298298298298298298298298298298298298298298298298298298298298298" \
	"298298298298298298298298298298298298298298298298298298298298298298" \
	"298298298298298298" "2424"
#define LONG_CALLID "longreq.one" \
	"reallyreallyreallyreallyreallyreallyreallyreallyreallyreally" \
	"reallyreallyreallyreallyreallyreallyreallyreallyreallyreally" \
	"longcallid"
#define SSG "SSG9559905523997077@hlau_4100"

static const struct expect expects[] = {
	{"wsinv.dat", "INVITE", 0, "vivekg", "chair-dnrc.example.com", 0,
	 "wsinv.ndaksdj@192.0.2.1", 9, "INVITE", 3, "192.0.2.2", 0,
	 "390skdjuw", "98asjd8", "1918181833n", 1, 68, 150, extra_wsinv},
	{"intmeth.dat", INTMETH, 0,
	 "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*", "example.com", 0,
	 "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{", 139122385, INTMETH,
	 1, "host1.example.com", 0, "z9hG4bK-.!%66*_+`'~",
	 "_token~1'+`*%!-.", NULL, 0, 255, 0, extra_intmeth},
	{"esc01.dat", "INVITE", 0, "sips%3Auser%40example.com", "example.net", 0,
	 "esc01.239409asdfakjkn23onasd0-3234", 234234, "INVITE", 1,
	 "host5.example.net", 0, "z9hG4bKkdjuw", "938", NULL, 1, 87, 150,
	 extra_esc01},
	{"escnull.dat", "REGISTER", 0, NULL, "example.com", 0,
	 "escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd", 14398234, "REGISTER", 1,
	 "host5.example.com", 0, "z9hG4bKkdjuw", "839923423", NULL, 2, 70, 0,
	 extra_escnull},
	{"esc02.dat", "RE%47IST%45R", 0, NULL, "registrar.example.com", 0,
	 "esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf", 29344, "RE%47IST%45R", 1,
	 "host.example.com", 0, "z9hG4bK209%fzsnel234", "f232jadfj23", NULL, 2,
	 70, 0, extra_esc02},
	{"lwsdisp.dat", "OPTIONS", 0, "user", "example.com", 0,
	 "lwsdisp.1234abcd@funky.example.com", 60, "OPTIONS", 1,
	 "funky.example.com", 0, "z9hG4bKkdjuw", "323", NULL, 0, 70, 0,
	 extra_lwsdisp},
	{"longreq.dat", "INVITE", 0, "user", "example.com", 0, LONG_CALLID,
	 3882340, "INVITE", 34, "sip33.example.com", 0, NULL, LONG_TAG, NULL, 1,
	 70, 150, extra_longreq},
	{"dblreq.dat", "REGISTER", 0, NULL, "example.com", 0,
	 "dblreq.0ha0isndaksdj99sdfafnl3lk233412", 8, "REGISTER", 1,
	 "192.0.2.125", 0, "z9hG4bKkdjuw23492", "43251j3j324", NULL, 1, 8, 0,
	 extra_dblreq},
	{"semiuri.dat", "OPTIONS", 0, "user;par=u%40example.net", "example.com",
	 0, "semiuri.0ha0isndaksdj", 8, "OPTIONS", 1, "192.0.2.1", 0,
	 "z9hG4bKkdjuw", "33242", NULL, 0, 3, 0, extra_semiuri},
	{"transports.dat", "OPTIONS", 0, "user", "example.com", 0,
	 "transports.kijh4akdnaqjkwendsasfdj", 60, "OPTIONS", 5,
	 "t1.example.com", 0, "z9hG4bKkdjuw", "323", NULL, 0, 70, 0,
	 extra_transports},
	{"mpart01.dat", "MESSAGE", 0, "kumiko", "example.org", 0,
	 "3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..", 1, "MESSAGE", 1,
	 "127.0.0.1", 5070, "z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-",
	 "2fb0dcc9", NULL, 1, 70, 553, extra_mpart01},
	{"unreason.dat", NULL, 200, NULL, NULL, 0,
	 "unreason.1234ksdfak3j2erwedfsASdf", 35, "INVITE", 1, "192.0.2.198",
	 0, "z9hG4bK1324923", "11141343", "2229", 1, -1, 154, extra_unreason},
	{"noreason.dat", NULL, 100, NULL, NULL, 0,
	 "noreason.asndj203insdf99223ndf", 35, "INVITE", 1, "192.0.2.105", 0,
	 "z9hG4bK2398ndaoe", "39ansfi3", "902jndnke3", 1, -1, 0,
	 extra_noreason},
	{"baddate.dat", "INVITE", 0, "user", "example.com", 0,
	 "baddate.239423mnsadf3j23lj42--sedfnm234", 1392934, "INVITE", 1,
	 "host.example.com", 0, "z9hG4bKkdjuw", "2234923", NULL, 1, 70, 150,
	 extra_baddate},
	{"badvers.dat", "OPTIONS", 0, "t.watson", "example.org", 0,
	 "badvers.31417@c.example.com", 1, "OPTIONS", 1, "c.example.com", 0,
	 "z9hG4bKkdjuw", "qweoiqpe", NULL, 0, 70, 0, extra_badvers},
	{"mismatch01.dat", "OPTIONS", 0, "user", "example.com", 0,
	 "mismatch01.dj0234sxdfl3", 8, "INVITE", 1, "host.example.com", 0,
	 "z9hG4bKkdjuw", "34525", NULL, 0, 6, 0, extra_mismatch},
	{"mismatch02.dat", "NEWMETHOD", 0, "user", "example.com", 0,
	 "mismatch02.dj0234sxdfl3", 8, "INVITE", 1, "host.example.net", 0,
	 "z9hG4bKkdjuw", "34525", NULL, 1, 6, 138, extra_mismatch},
	{"badbranch.dat", "OPTIONS", 0, "user", "example.com", 0,
	 "badbranch.sadonfo23i420jv0as0derf3j3n", 8, "OPTIONS", 1, "192.0.2.1",
	 0, "z9hG4bK", "33242", NULL, 0, 3, 0, extra_badbranch},
	{"insuf.dat", "INVITE", 0, "user", "example.com", 0, NO_HEADER, 193942,
	 "INVITE", 1, "192.0.2.95", 0, "z9hG4bKkdj.insuf", NO_HEADER, NO_HEADER,
	 0, -1, 152, NULL},
	{"unkscm.dat", "OPTIONS", 0, NULL, NULL, 0,
	 "unkscm.nasdfasser0q239nwsdfasdkl34", 3923423, "OPTIONS", 1,
	 "host9.example.com", 0, "z9hG4bKkdjuw39234", "384", NULL, 0, 3, 0,
	 extra_unkscm},
	{"novelsc.dat", "OPTIONS", 0, NULL, NULL, 0,
	 "novelsc.asdfasser0q239nwsdfasdkl34", 3923423, "OPTIONS", 1,
	 "host9.example.com", 0, "z9hG4bKkdjuw39234", "384", NULL, 0, 3, 0,
	 extra_novelsc},
	{"unksm2.dat", "REGISTER", 0, NULL, "example.com", 0,
	 "unksm2.daksdj@hyphenated-host.example.com", 234902, "REGISTER", 1,
	 "192.0.2.21", 5060, "z9hG4bKkdjuw", "3234233", NULL, 1, 70, 0,
	 extra_unksm2},
	{"bext01.dat", "OPTIONS", 0, "user", "example.com", 0,
	 "bext01.0ha0isndaksdj", 8, "OPTIONS", 1, "fold-and-staple.example.com",
	 0, "z9hG4bKkdjuw", "242etr", NULL, 0, 6, 0, extra_bext01},
	{"invut.dat", "INVITE", 0, "user", "example.com", 0,
	 "invut.0ha0isndaksdjadsfij34n23d", 235448, "INVITE", 1,
	 "somehost.example.com", 0, "z9hG4bKkdjuw", "8392034", NULL, 1, 70, 40,
	 extra_invut},
	{"regaut01.dat", "REGISTER", 0, NULL, "example.com", 0,
	 "regaut01.0ha0isndaksdj", 9338, "REGISTER", 1, "192.0.2.253", 0,
	 "z9hG4bKkdjuw", "87321hj23128", NULL, 0, 8, 0, extra_regaut01},
	{"multi01.dat", "INVITE", 0, "user", "company.com", 0,
	 "multi01.98asdh@192.0.2.1", 5, "INVITE", 1, "192.0.2.25", 0,
	 "z9hG4bKkdjuw", "3413415", NULL, 2, 70, 154, extra_multi01},
	{"mcl01.dat", "OPTIONS", 0, "user", "example.com", 0,
	 "mcl01.fhn2323orihawfdoa3o4r52o3irsdf", 15932, "OPTIONS", 1,
	 "host5.example.net", 0, "z9hG4bK293423", "3923942", NULL, 0, 60, 67,
	 extra_mcl01},
	{"bcast.dat", NULL, 200, NULL, NULL, 0,
	 "bcast.0384840201234ksdfak3j2erwedfsASdf", 35, "INVITE", 2,
	 "192.0.2.198", 0, "z9hG4bK1324923", "11141343", "2229", 1, -1, 154,
	 extra_bcast},
	{"zeromf.dat", "OPTIONS", 0, "user", "example.com", 0,
	 "zeromf.jfasdlfnm2o2l43r5u0asdfas", 39234321, "OPTIONS", 1,
	 "host1.example.com", 0, "z9hG4bKkdjuw2349i", "3ghsd41", NULL, 0, 0, 0,
	 NULL},
	{"cparam01.dat", "REGISTER", 0, NULL, "example.com", 0,
	 "cparam01.70710@saturn.example.com", 2, "REGISTER", 1,
	 "saturn.example.com", 5060, "z9hG4bKkdjuw", "DkfVgjkrtMwaerKKpe", NULL,
	 1, 70, 0, extra_cparam01},
	{"cparam02.dat", "REGISTER", 0, NULL, "example.com", 0,
	 "cparam02.70710@saturn.example.com", 3, "REGISTER", 1,
	 "saturn.example.com", 5060, "z9hG4bKkdjuw", "838293", NULL, 1, 70, 0,
	 extra_cparam02},
	{"regescrt.dat", "REGISTER", 0, NULL, "example.com", 0,
	 "regescrt.k345asrl3fdbv@192.0.2.1", 14398234, "REGISTER", 1,
	 "host5.example.com", 0, "z9hG4bKkdjuw", "8", NULL, 1, 70, 0,
	 extra_regescrt},
	{"sdp01.dat", "INVITE", 0, "user", "example.com", 0,
	 "sdp01.ndaksdj9342dasdd", 8, "INVITE", 1, "192.0.2.15", 0,
	 "z9hG4bKkdjuw", "234", NULL, 1, 5, 150, extra_sdp01},
	{"inv2543.dat", "INVITE", 0, "UserB", "example.com", 0,
	 "inv2543.1717@ift.client.example.com", 56, "INVITE", 1,
	 "iftgw.example.com", 0, NULL, NULL, NULL, 0, -1, 105, extra_inv2543},
	{"ipv6-good.dat", "REGISTER", 0, NULL, "2001:db8::10", 0, SSG, 98176,
	 "REGISTER", 1, "2001:db8::9:1", 0, "z9hG4bKas3-111", "81x2", NULL, 1,
	 70, 0, extra_ipv6_host},
	{"port-ambiguous.dat", "REGISTER", 0, NULL, "2001:db8::10:5070", 0, SSG,
	 98176, "REGISTER", 1, "2001:db8::9:1", 0, "z9hG4bKas3-111", "81x2",
	 NULL, 1, 70, 0, extra_ipv6_host},
	{"port-unambiguous.dat", "REGISTER", 0, NULL, "2001:db8::10", 5070, SSG,
	 98176, "REGISTER", 1, "2001:db8::9:1", 0, "z9hG4bKas3-111", "81x2",
	 NULL, 1, 70, 0, extra_ipv6_host},
	{"via-received-param-with-delim.dat", "BYE", 0, NULL, "2001:db8::10", 0,
	 SSG, 321, "BYE", 1, "2001:db8::9:1", 0, "z9hG4bKas3-111", "81x2",
	 "bd76ya", 0, 70, 0, extra_received},
	{"via-received-param-no-delim.dat", "OPTIONS", 0, NULL, "2001:db8::10",
	 0, "SSG95523997077@hlau_4100", 921, "OPTIONS", 1, "2001:db8::9:1", 0,
	 "z9hG4bKas3", "81x2", NULL, 1, 70, 0, extra_received},
	{"ipv6-in-sdp.dat", "INVITE", 0, "user", "2001:db8::10", 0, SSG, 8612,
	 "INVITE", 1, "2001:db8::20", 0, "z9hG4bKas3-111", "81x2", NULL, 1, 70,
	 242, extra_short_body},
	{"mult-ip-in-header.dat", "BYE", 0, "user", "host.example.net", 0,
	 "997077@lau_4100", 89187, "BYE", 3, "2001:db8::9:1", 6050,
	 "z9hG4bKas3-111", "81x2", "9817--94", 0, 70, 0, extra_mult_ip},
	{"mult-ip-in-sdp.dat", "INVITE", 0, "user", "2001:db8::10", 0, SSG,
	 8912, "INVITE", 1, "2001:db8::9:1", 0, "z9hG4bKas3-111", "81x2", NULL,
	 1, 70, 180, extra_short_body},
	{"ipv4-mapped-ipv6.dat", "INVITE", 0, "user", "example.com", 0, SSG,
	 612, "INVITE", 2, "::ffff:192.0.2.10", 19823, "z9hG4bKbh19", "81x2",
	 NULL, 1, 70, 236, extra_mapped},
};

static const struct expect *expect_find(const char *base)
{
	size_t i;

	for (i = 0; i < sizeof(expects) / sizeof(expects[0]); i++)
		if (strcmp(expects[i].file, base) == 0)
			return &expects[i];
	return NULL;
}

static void check_party(const struct sipmsg *m, const char *file,
			const char *what, int err, const struct sipmsg_party *p,
			const char *want_tag)
{
	if (want_tag != NULL && strcmp(want_tag, NO_HEADER) == 0) {
		is_int(ENOENT, err, "%s: no %s header", file, what);
		return;
	}
	(void)m;
	if (!is_int(0, err, "%s: %s decodes", file, what))
		return;
	span_is(want_tag, p->tag, "%s: %s tag", file, what);
}

static void check_fields(const struct sipmsg *m, const struct expect *e)
{
	const char *f = e->file;
	struct sipmsg_cseq cseq;
	struct sipmsg_via via;
	struct sipmsg_party party;
	struct span call_id;
	unsigned mf;
	int err;

	if (e->method != NULL) {
		const struct uri *u = sipmsg_request_uri(m);

		ok(sipmsg_is_request(m), "%s: is a request", f);
		span_is(e->method, sipmsg_method(m), "%s: method", f);
		span_is(e->ruri_user, u->user, "%s: Request-URI user", f);
		span_is(e->ruri_host, u->host, "%s: Request-URI host", f);
		is_int(e->ruri_port, u->port, "%s: Request-URI port", f);
	} else {
		ok(!sipmsg_is_request(m), "%s: is a response", f);
		is_int(e->status, sipmsg_status(m), "%s: status code", f);
	}
	err = sipmsg_call_id_get(m, &call_id);
	if (strcmp(e->call_id, NO_HEADER) == 0)
		is_int(ENOENT, err, "%s: no Call-ID", f);
	else
		span_is(e->call_id, err == 0 ? call_id : SPAN_NULL,
			"%s: Call-ID", f);
	if (is_int(0, sipmsg_cseq_get(m, &cseq), "%s: CSeq decodes", f)) {
		is_int((long long)e->cseq, cseq.number, "%s: CSeq number", f);
		span_is(e->cseq_method, cseq.method, "%s: CSeq method", f);
	}
	is_int((long long)e->vias, (long long)sipmsg_via_count(m),
	       "%s: Via values", f);
	if (is_int(0, sipmsg_via_get(m, 0, &via), "%s: top Via decodes", f)) {
		span_is(e->via_host, via.host, "%s: top Via host", f);
		is_int(e->via_port, via.port, "%s: top Via port", f);
		span_is(e->branch, via.branch, "%s: top Via branch", f);
	}
	err = sipmsg_from_get(m, &party);
	check_party(m, f, "From", err, &party, e->from_tag);
	err = sipmsg_to_get(m, &party);
	check_party(m, f, "To", err, &party, e->to_tag);
	is_int((long long)e->contacts, (long long)sipmsg_contact_count(m),
	       "%s: Contact values", f);
	err = sipmsg_max_forwards_get(m, &mf);
	if (e->max_forwards < 0)
		is_int(ENOENT, err, "%s: no Max-Forwards", f);
	else
		ok(err == 0 && (int)mf == e->max_forwards,
		   "%s: Max-Forwards %d", f, e->max_forwards);
	is_int((long long)e->body_len, (long long)sipmsg_body(m).len,
	       "%s: body length", f);
	if (e->extra != NULL)
		e->extra(m);
}

/* ---- the table and the INDEX files ------------------------------------- */

struct row {
	char *file;    /* "rfc4475/wsinv.dat" */
	char *mode;
	char *decode;
	char *check;
	char *reason;
	bool seen;
};

static struct row rows[128];
static size_t nrows;

/* Split a line at tabs in place; returns the number of fields. */
static size_t split_tabs(char *line, char **fields, size_t max)
{
	size_t n = 0;

	while (n < max) {
		fields[n++] = line;
		line = strchr(line, '\t');
		if (line == NULL)
			break;
		*line++ = '\0';
	}
	return n;
}

static char *table_text;

static void load_table(void)
{
	const char *src = getenv("SIPWS_SOURCE");
	char path[4096];
	char *line, *next;

	snprintf(path, sizeof(path), "%s/tests/corpus-expect.tsv",
		 src != NULL && *src != '\0' ? src : ".");
	table_text = test_read_file(path, NULL);
	if (table_text == NULL)
		bail("cannot read %s", path);
	for (line = table_text; line != NULL && *line != '\0'; line = next) {
		char *f[6];

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (line[0] == '#' || line[0] == '\0' ||
		    strncmp(line, "file\t", 5) == 0)
			continue;
		if (split_tabs(line, f, 6) != 6)
			bail("corpus-expect.tsv: bad row %s", line);
		if (nrows == sizeof(rows) / sizeof(rows[0]))
			bail("corpus-expect.tsv: too many rows");
		rows[nrows++] = (struct row){f[0], f[1], f[2], f[3], f[4], false};
	}
}

static struct row *row_find(const char *file)
{
	size_t i;

	for (i = 0; i < nrows; i++)
		if (strcmp(rows[i].file, file) == 0)
			return &rows[i];
	return NULL;
}

/* RFC 5118 files: the header section gets CRLF, the body stays as is. */
static char *crlf_headers(const char *in, size_t len, size_t *out_len)
{
	char *out = malloc(2 * len + 1);
	size_t i, j = 0;
	bool in_headers = true;

	if (out == NULL)
		bail("out of memory");
	for (i = 0; i < len; i++) {
		if (in_headers && in[i] == '\n') {
			out[j++] = '\r';
			out[j++] = '\n';
			if (i + 1 < len && in[i + 1] == '\n') {
				out[j++] = '\r';
				out[j++] = '\n';
				i++;
				in_headers = false;
			}
			continue;
		}
		out[j++] = in[i];
	}
	*out_len = j;
	return out;
}

static char *load_message(const char *file, size_t *len)
{
	char *path = test_corpus_path(file);
	char *data, *converted;
	size_t n;

	data = test_read_file(path, &n);
	if (data == NULL)
		bail("cannot read %s", path);
	free(path);
	if (strncmp(file, "rfc5118/", 8) != 0) {
		*len = n;
		return data;
	}
	converted = crlf_headers(data, n, len);
	free(data);
	return converted;
}

/* Every strict prefix of a message that frames on a stream asks for more
 * bytes, and the whole gives the same message (never reading past len:
 * each prefix is its own exact-size allocation under ASan). */
static void stream_prefixes(const char *file, const char *data, size_t len)
{
	struct sipmsg *m = NULL;
	size_t i, bad = 0;
	int err;

	for (i = 0; i < len; i++) {
		char *prefix = malloc(i + 1);

		if (prefix == NULL)
			bail("out of memory");
		memcpy(prefix, data, i);
		err = sipmsg_decode_flags(&m, prefix, i, SIPMSG_STREAM, NULL, 0);
		free(prefix);
		if (err != EAGAIN) {
			if (bad++ == 0)
				diag("%s: prefix %zu gave %d", file, i, err);
			sipmsg_free(m);
			m = NULL;
		}
	}
	is_int(0, (long long)bad, "%s: every stream prefix asks for more", file);
}

static const char *const stream_rejects[] = {
	"rfc4475/inv2543.dat", /* no Content-Length */
	"rfc4475/mcl01.dat",   /* conflicting Content-Length */
	NULL,
};

static bool listed(const char *file, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, file) == 0)
			return true;
	return false;
}

static void run_file(const char *file, const char *verdict)
{
	struct row *row = row_find(file);
	const struct expect *e;
	struct sipmsg *m = NULL;
	char reason[256] = "";
	const char *base = strchr(file, '/') + 1;
	const char *check_reason = NULL;
	unsigned flags = 0;
	size_t len;
	char *data;
	int err, status = -1;

	if (!ok(row != NULL, "%s (%s) has a row in corpus-expect.tsv", file,
		verdict))
		return;
	row->seen = true;
	data = load_message(file, &len);
	if (strcmp(row->mode, "lenient") == 0) {
		flags = SIPMSG_LENIENT_LENGTH;
		err = sipmsg_decode(&m, data, len, reason, sizeof(reason));
		ok(err == EBADMSG && strstr(reason, "exceeds") != NULL,
		   "%s: strict decoding rejects the short body (%s)", file,
		   reason);
		sipmsg_free(m);
		m = NULL;
	}
	err = sipmsg_decode_flags(&m, data, len, flags, reason, sizeof(reason));
	if (strcmp(row->decode, "reject") == 0) {
		ok(err != 0 && m == NULL, "%s: rejected", file);
		ok(strstr(reason, row->reason) != NULL,
		   "%s: reason \"%s\" mentions \"%s\"", file, reason,
		   row->reason);
		goto out;
	}
	if (!is_int(0, err, "%s: decodes (%s)", file, err ? reason : "ok"))
		goto out;
	if (sipmsg_is_request(m)) {
		ok(sipmsg_check_request(m, &caps, &status, &check_reason) == 0,
		   "%s: check runs", file);
		is_int(atoi(row->check), status, "%s: check gives %s", file,
		       row->check);
		if (strcmp(row->reason, "-") != 0)
			ok(check_reason != NULL &&
			   strstr(check_reason, row->reason) != NULL,
			   "%s: check reason \"%s\" mentions \"%s\"", file,
			   check_reason ? check_reason : "(none)", row->reason);
	} else {
		ok(strcmp(row->check, "-") == 0, "%s: response has no check",
		   file);
	}
	e = expect_find(base);
	if (ok(e != NULL, "%s: key fields listed in corpus.c", file))
		check_fields(m, e);
	if (flags == 0) {
		struct sipmsg *s = NULL;

		err = sipmsg_decode_flags(&s, data, len, SIPMSG_STREAM, NULL, 0);
		if (listed(file, stream_rejects)) {
			is_int(EBADMSG, err, "%s: cannot be framed on a stream",
			       file);
		} else {
			is_int(0, err, "%s: decodes on a stream too", file);
			if (err == 0)
				stream_prefixes(file, data,
						sipmsg_wire_len(s));
		}
		sipmsg_free(s);
	}
out:
	sipmsg_free(m);
	free(data);
}

static void run_index(const char *dir)
{
	char rel[64];
	char *path, *text, *line, *next;

	snprintf(rel, sizeof(rel), "%s/INDEX.tsv", dir);
	path = test_corpus_path(rel);
	text = test_read_file(path, NULL);
	if (text == NULL)
		bail("cannot read %s", path);
	free(path);
	for (line = text; line != NULL && *line != '\0'; line = next) {
		char *f[4], file[256];

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strncmp(line, "file\t", 5) == 0 || line[0] == '\0')
			continue;
		if (split_tabs(line, f, 4) < 3)
			bail("%s/INDEX.tsv: bad row", dir);
		snprintf(file, sizeof(file), "%s/%s", dir, f[0]);
		run_file(file, f[2]);
	}
	free(text);
}

/* Extra checks on files whose table row alone says too little. */
static void corpus_extras(void)
{
	struct sipmsg *m = NULL, *second = NULL;
	char reason[256] = "";
	size_t len, used;
	char *data, *fixed;
	int err;

	/* clerr on a stream is just incomplete. */
	data = load_message("rfc4475/clerr.dat", &len);
	is_int(EAGAIN, sipmsg_decode_flags(&m, data, len, SIPMSG_STREAM, NULL,
					   0), "clerr: EAGAIN on a stream");
	free(data);

	/* baddn: with the missing blank line added, the display name itself
	 * is what gets rejected. */
	data = load_message("rfc4475/baddn.dat", &len);
	fixed = malloc(len + 2);
	if (fixed == NULL)
		bail("out of memory");
	memcpy(fixed, data, len);
	memcpy(fixed + len, "\r\n", 2);
	err = sipmsg_decode(&m, fixed, len + 2, reason, sizeof(reason));
	ok(err == EBADMSG && strncmp(reason, "From:", 5) == 0,
	   "baddn: unquoted display name with a comma rejected (%s)", reason);
	free(fixed);
	free(data);

	/* dblreq on a stream: the second request follows the first. */
	data = load_message("rfc4475/dblreq.dat", &len);
	err = sipmsg_decode_flags(&m, data, len, SIPMSG_STREAM, NULL, 0);
	if (is_int(0, err, "dblreq: first request on a stream")) {
		used = sipmsg_wire_len(m);
		is_int(300, (long long)used, "dblreq: 300 bytes used");
		err = sipmsg_decode_flags(&second, data + used, len - used,
					  SIPMSG_STREAM, reason,
					  sizeof(reason));
		if (is_int(0, err, "dblreq: second request decodes (%s)",
			   err ? reason : "ok")) {
			span_is("INVITE", sipmsg_method(second),
				"dblreq: second is the INVITE");
			is_int(150, (long long)sipmsg_body(second).len,
			       "dblreq: its body is 150 bytes");
		}
		sipmsg_free(second);
	}
	sipmsg_free(m);
	free(data);
}

int main(void)
{
	char *root = test_corpus_path("rfc4475/INDEX.tsv");
	size_t i;

	if (root == NULL)
		skip_all("SIPWS_CORPUS is not set (make unit CORPUS=...)");
	free(root);
	plan_lazy();
	load_table();
	run_index("rfc4475");
	run_index("rfc5118");
	for (i = 0; i < nrows; i++)
		ok(rows[i].seen, "table row %s is in an INDEX.tsv", rows[i].file);
	corpus_extras();
	free(table_text);
	return 0;
}
