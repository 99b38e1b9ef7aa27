/* The SIP message module beyond the torture corpus: compact forms,
 * folding, list splitting, limits, framing, typed getters, request
 * classification, the builder's exact bytes and encode/decode round trips. */
#include "sipmsg.h"
#include "tap/basic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIA "Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK776asdhds\r\n"
#define DIALOG "From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n" \
	       "To: <sip:bob@example.com>\r\n"                            \
	       "Call-ID: a84b4c76e66710@pc33.example.com\r\n"              \
	       "Max-Forwards: 70\r\n"
#define INVITE_HEAD "INVITE sip:bob@example.com SIP/2.0\r\n" VIA DIALOG \
		    "CSeq: 314159 INVITE\r\n"
#define OPTIONS_HEAD "OPTIONS sip:bob@example.com SIP/2.0\r\n" VIA DIALOG \
		     "CSeq: 63104 OPTIONS\r\n"

static const char *const supported[] = {"path", "outbound", NULL};
static const char *const accepted[] = {"application/sdp", NULL};
static const struct sipmsg_caps caps = {supported, accepted, accepted};

static char last_reason[256];

/* Decode a NUL-terminated text; NULL (and last_reason set) on error. */
static struct sipmsg *dec_flags(const char *text, unsigned flags, int *errp)
{
	struct sipmsg *m = NULL;
	int err;

	last_reason[0] = '\0';
	err = sipmsg_decode_flags(&m, text, strlen(text), flags, last_reason,
				  sizeof(last_reason));
	if (errp != NULL)
		*errp = err;
	return err == 0 ? m : NULL;
}

static struct sipmsg *dec(const char *text)
{
	return dec_flags(text, 0, NULL);
}

static int dec_err(const char *text)
{
	int err;

	sipmsg_free(dec_flags(text, 0, &err));
	return err;
}

static int check_status(const char *text, const struct sipmsg_caps *c,
			const char **reason)
{
	struct sipmsg *m = dec(text);
	int status = -1;

	if (m == NULL) {
		diag("decode failed: %s", last_reason);
		return -1;
	}
	if (sipmsg_check_request(m, c, &status, reason) != 0)
		status = -2;
	sipmsg_free(m);
	return status;
}

/* ---- header names ------------------------------------------------------ */

static void test_compact_forms(void)
{
	static const struct {
		const char *compact;
		enum sipmsg_hdr_id id;
	} forms[] = {
		{"i", SIPMSG_HDR_CALL_ID}, {"m", SIPMSG_HDR_CONTACT},
		{"e", SIPMSG_HDR_CONTENT_ENCODING},
		{"l", SIPMSG_HDR_CONTENT_LENGTH},
		{"c", SIPMSG_HDR_CONTENT_TYPE}, {"f", SIPMSG_HDR_FROM},
		{"s", SIPMSG_HDR_SUBJECT}, {"k", SIPMSG_HDR_SUPPORTED},
		{"t", SIPMSG_HDR_TO}, {"v", SIPMSG_HDR_VIA},
		{"o", SIPMSG_HDR_EVENT}, {"u", SIPMSG_HDR_ALLOW_EVENTS},
		{"r", SIPMSG_HDR_REFER_TO}, {"b", SIPMSG_HDR_REFERRED_BY},
		{"x", SIPMSG_HDR_SESSION_EXPIRES},
		{"j", SIPMSG_HDR_REJECT_CONTACT},
		{"a", SIPMSG_HDR_ACCEPT_CONTACT},
		{"d", SIPMSG_HDR_REQUEST_DISPOSITION},
		{"y", SIPMSG_HDR_IDENTITY}, {"n", SIPMSG_HDR_IDENTITY_INFO},
		{"I", SIPMSG_HDR_CALL_ID}, {"V", SIPMSG_HDR_VIA},
		{"cAlL-iD", SIPMSG_HDR_CALL_ID}, {"CSEQ", SIPMSG_HDR_CSEQ},
		{"www-authenticate", SIPMSG_HDR_WWW_AUTHENTICATE},
		{"q", SIPMSG_HDR_OTHER}, {"X-Custom", SIPMSG_HDR_OTHER},
		{"Vias", SIPMSG_HDR_OTHER},
	};
	struct sipmsg_header h;
	struct sipmsg *m;
	struct span v;
	size_t i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		is_int(forms[i].id,
		       sipmsg_hdr_lookup(span_from_str(forms[i].compact)),
		       "header name %s", forms[i].compact);
	is_string("Call-ID", sipmsg_hdr_name(SIPMSG_HDR_CALL_ID),
		  "canonical name of Call-ID");
	ok(sipmsg_hdr_name(SIPMSG_HDR_OTHER) == NULL, "no name for OTHER");

	m = dec("MESSAGE sip:bob@example.com SIP/2.0\r\n"
		"v: SIP/2.0/WS a.invalid;branch=z9hG4bK1\r\n"
		"f: <sip:alice@example.com>;tag=1\r\nt: sip:bob@example.com\r\n"
		"i: abc@h\r\nCSeq: 2 MESSAGE\r\nc: text/plain\r\n"
		"k: path, outbound\r\no: presence;id=7\r\n"
		"x-custom: 1\r\nX-CUSTOM: 2\r\nl: 2\r\n\r\nhi");
	if (!ok(m != NULL, "compact-form message decodes (%s)", last_reason))
		return;
	ok(sipmsg_header_get(m, "Via", 0, &h) == 0 && span_eq(h.name, "v") &&
	   h.id == SIPMSG_HDR_VIA, "Via found under its compact form");
	ok(sipmsg_header_get(m, "i", 0, &h) == 0 && span_eq(h.value, "abc@h"),
	   "compact lookup finds Call-ID");
	ok(sipmsg_header_get(m, "X-Custom", 1, &h) == 0 &&
	   span_eq(h.value, "2"), "unknown header: every instance, any case");
	is_int(ENOENT, sipmsg_header_get(m, "x-custom", 2, &h),
	       "ENOENT past the last instance");
	is_int(2, (long long)sipmsg_header_count_of(m, "X-Custom"),
	       "two X-Custom fields");
	ok(sipmsg_value_get(m, "Supported", 1, &v) == 0 &&
	   span_eq(v, "outbound"), "k: split into tokens");
	is_bytes("hi", sipmsg_body(m).p, sipmsg_body(m).len, "l: frames body");
	ok(sipmsg_header_at(m, 0, &h) == 0 && span_eq(h.name, "v"),
	   "fields kept in order");
	is_int(ENOENT, sipmsg_header_at(m, 12, &h), "header_at past the end");
	sipmsg_free(m);
}

/* ---- folding and lists ------------------------------------------------- */

static void test_folding(void)
{
	struct sipmsg_header h;
	struct sipmsg_cseq cseq;
	struct sipmsg *m;

	m = dec("OPTIONS sip:bob@example.com SIP/2.0\r\n" VIA DIALOG
		"CSeq:\r\n\t63104\r\n  OPTIONS\r\n"
		"Subject: one\r\n two\r\n\tthree\r\n\r\n");
	if (ok(m != NULL, "folded fields decode (%s)", last_reason)) {
		ok(sipmsg_cseq_get(m, &cseq) == 0 && cseq.number == 63104 &&
		   span_eq(cseq.method, "OPTIONS"), "folded CSeq");
		ok(sipmsg_header_get(m, "Subject", 0, &h) == 0,
		   "folded Subject");
		is_bytes("one   two  \tthree", h.value.p, h.value.len,
			 "each fold's CRLF becomes spaces, its HTAB stays");
	}
	sipmsg_free(m);
	is_int(EBADMSG, dec_err("OPTIONS sip:bob@example.com SIP/2.0\r\n"
				" Via: SIP/2.0/UDP h\r\n\r\n"),
	       "a fold before any header is rejected");
	ok(strstr(last_reason, "folded") != NULL, "reason says why (%s)",
	   last_reason);
	is_int(EBADMSG, dec_err("OPTIONS sip:bob@example.com\r\n SIP/2.0\r\n"
				"\r\n"), "the start line cannot be folded");
}

static void test_lists(void)
{
	struct sipmsg_contact ct;
	struct sipmsg_media media;
	struct span v;
	struct sipmsg *m;

	m = dec(OPTIONS_HEAD
		"Contact: \"Doe, John\" <sip:j,k@a.example.com;x=1>;q=0.5, "
		"<sip:k@b.example.com>;expires=99999999999\r\n"
		"Contact: sip:l@c.example.com\r\n"
		"Accept: text/plain;x=\"a,b\", application/sdp\r\n"
		"Allow: INVITE,ACK , BYE\r\nAllow: OPTIONS\r\n\r\n");
	if (!ok(m != NULL, "list message decodes (%s)", last_reason))
		return;
	is_int(3, (long long)sipmsg_contact_count(m),
	       "commas in quotes and <> do not split Contact");
	ok(sipmsg_contact_get(m, 0, &ct) == 0 && ct.q == 500 &&
	   span_eq(ct.addr.display, "Doe, John") &&
	   span_eq(ct.addr.uri.user, "j,k"), "first Contact intact");
	ok(sipmsg_contact_get(m, 1, &ct) == 0 && ct.has_expires &&
	   ct.expires == 4294967295u && ct.q == -1,
	   "Contact expires saturates at 2^32-1");
	ok(sipmsg_contact_get(m, 2, &ct) == 0 && !ct.addr.angle &&
	   span_eq(ct.addr.uri.host, "c.example.com"),
	   "values continue in the next field");
	is_int(ENOENT, sipmsg_contact_get(m, 3, &ct), "ENOENT after the last");
	is_int(2, (long long)sipmsg_value_count_id(m, SIPMSG_HDR_ACCEPT),
	       "quoted comma in an Accept param does not split");
	ok(sipmsg_value_get(m, "Accept", 0, &v) == 0 &&
	   sipmsg_media_parse(v, &media) == 0 &&
	   sipmsg_param_get(media.params, "x", &v) == 0 &&
	   span_eq(v, "\"a,b\""), "the quoted value keeps its quotes");
	ok(sipmsg_token_get(m, SIPMSG_HDR_ALLOW, 2, &v) == 0 &&
	   span_eq(v, "BYE"), "Allow tokens trimmed");
	ok(sipmsg_token_has(m, SIPMSG_HDR_ALLOW, "options"),
	   "token lookup across fields");
	ok(!sipmsg_token_has(m, SIPMSG_HDR_ALLOW, "PRACK"), "absent token");
	sipmsg_free(m);

	is_int(EBADMSG, dec_err(OPTIONS_HEAD "Accept: \"text/plain\r\n\r\n"),
	       "unterminated quote in a list header");
	is_int(EBADMSG, dec_err(OPTIONS_HEAD "Supported: path,,outbound\r\n"
				"\r\n"), "empty list element");
	m = dec(OPTIONS_HEAD "Supported:\r\n\r\n");
	ok(m != NULL && sipmsg_value_count_id(m, SIPMSG_HDR_SUPPORTED) == 0,
	   "an empty Supported has no values");
	sipmsg_free(m);
	is_int(EBADMSG, dec_err(OPTIONS_HEAD "Contact: *, <sip:a@b>\r\n\r\n"),
	       "'*' Contact with others");
	is_int(EBADMSG, dec_err(OPTIONS_HEAD "Contact: *\r\nContact: <sip:a@b>"
				"\r\n\r\n"), "'*' Contact across fields");
	m = dec(OPTIONS_HEAD "Contact: *\r\n\r\n");
	ok(m != NULL && sipmsg_contact_get(m, 0, &ct) == 0 && ct.star,
	   "'*' Contact alone");
	sipmsg_free(m);
	is_int(EBADMSG, dec_err(OPTIONS_HEAD "Contact: <sip:a@b>;q=1.5\r\n"
				"\r\n"), "q above 1 rejected");
	is_int(EBADMSG, dec_err(OPTIONS_HEAD "Route: sip:p@example.com\r\n"
				"\r\n"), "Route value must be in <>");
}

/* ---- limits ------------------------------------------------------------ */

static char *repeat_header(const char *head, const char *line, size_t n,
			   const char *tail)
{
	size_t len = strlen(head) + n * strlen(line) + strlen(tail) + 1;
	char *s = malloc(len), *p;
	size_t i;

	if (s == NULL)
		bail("out of memory");
	p = s + sprintf(s, "%s", head);
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s", line);
	sprintf(p, "%s", tail);
	return s;
}

static void test_limits(void)
{
	char *s;
	size_t base_fields = 6; /* Via, From, To, Call-ID, Max-Forwards, CSeq */
	int err;

	s = repeat_header(OPTIONS_HEAD, "X: y\r\n",
			  SIPMSG_MAX_HEADERS - base_fields, "\r\n");
	is_int(0, dec_err(s), "%d fields accepted", SIPMSG_MAX_HEADERS);
	free(s);
	s = repeat_header(OPTIONS_HEAD, "X: y\r\n",
			  SIPMSG_MAX_HEADERS - base_fields + 1, "\r\n");
	is_int(E2BIG, dec_err(s), "%d fields refused", SIPMSG_MAX_HEADERS + 1);
	ok(strstr(last_reason, "header fields") != NULL, "reason: %s",
	   last_reason);
	free(s);

	s = repeat_header(OPTIONS_HEAD "X: ", "a", SIPMSG_MAX_LINE, "\r\n\r\n");
	is_int(E2BIG, dec_err(s), "a field over %d bytes refused",
	       SIPMSG_MAX_LINE);
	ok(strstr(last_reason, "line longer") != NULL, "reason: %s",
	   last_reason);
	free(s);
	s = repeat_header(OPTIONS_HEAD "X: ", "a\r\n ", SIPMSG_MAX_LINE / 4,
			  "\r\n\r\n");
	is_int(E2BIG, dec_err(s), "folds count towards the line limit");
	free(s);
	s = repeat_header(OPTIONS_HEAD "X: ", "a", SIPMSG_MAX_LINE - 10,
			  "\r\n\r\n");
	is_int(0, dec_err(s), "a field just under the line limit is fine");
	free(s);

	s = repeat_header(OPTIONS_HEAD "Supported: a", ",a",
			  SIPMSG_MAX_VALUES - 1, "\r\n\r\n");
	is_int(0, dec_err(s), "%d values in one field accepted",
	       SIPMSG_MAX_VALUES);
	free(s);
	s = repeat_header(OPTIONS_HEAD "Supported: a", ",a", SIPMSG_MAX_VALUES,
			  "\r\n\r\n");
	is_int(E2BIG, dec_err(s), "%d values refused", SIPMSG_MAX_VALUES + 1);
	free(s);

	/* Total size: 9 fields of 8000 bytes make more than 64 KiB. */
	{
		char *line = repeat_header("X: ", "b", 8000, "\r\n");

		s = repeat_header(OPTIONS_HEAD, line, 9, "\r\n");
		free(line);
	}
	is_int(E2BIG, dec_err(s), "a datagram over %d bytes refused",
	       SIPMSG_MAX_SIZE);
	sipmsg_free(dec_flags(s, SIPMSG_STREAM, &err));
	is_int(E2BIG, err, "so is a header section that large on a stream");
	free(s);
	is_int(E2BIG, dec_err(OPTIONS_HEAD "Content-Length: 70000\r\n\r\n"),
	       "a Content-Length over the limit");
	sipmsg_free(dec_flags(OPTIONS_HEAD "Content-Length: 65500\r\n\r\n",
			      SIPMSG_STREAM, &err));
	is_int(E2BIG, err, "on a stream too, before waiting for the body");
	is_int(E2BIG, dec_err(OPTIONS_HEAD
			      "Content-Length: 99999999999999999999999\r\n\r\n"),
	       "a Content-Length above 2^64");
}

/* ---- framing and start lines ------------------------------------------- */

static void test_framing(void)
{
	struct sipmsg *m;
	int err;

	is_int(EBADMSG, dec_err("OPTIONS sip:bob@example.com SIP/2.0\n" VIA
				DIALOG "CSeq: 1 OPTIONS\n\n"),
	       "bare LF lines rejected");
	ok(strstr(last_reason, "bare LF") != NULL, "reason: %s", last_reason);
	is_int(EBADMSG, dec_err(OPTIONS_HEAD "X: a\rb\r\n\r\n"),
	       "bare CR rejected");
	is_int(EBADMSG, dec_err(OPTIONS_HEAD "X y\r\n\r\n"),
	       "field without a colon");
	is_int(EBADMSG, dec_err(OPTIONS_HEAD ": y\r\n\r\n"), "empty name");
	is_int(EBADMSG, dec_err(OPTIONS_HEAD "X(y): z\r\n\r\n"),
	       "name that is not a token");
	is_int(EBADMSG, dec_err(""), "empty datagram");
	is_int(EBADMSG, dec_err("\r\n\r\n"), "keep-alive is not a message");
	is_int(EINVAL, sipmsg_decode(NULL, "x", 1, NULL, 0), "NULL msgp");

	m = dec_flags("\r\n\r\n" OPTIONS_HEAD "\r\n", SIPMSG_STREAM, &err);
	ok(m != NULL && sipmsg_wire_len(m) == 4 + strlen(OPTIONS_HEAD "\r\n"),
	   "leading CRLFs skipped and counted on a stream");
	sipmsg_free(m);
	sipmsg_free(dec_flags("\r\n\r\n", SIPMSG_STREAM, &err));
	is_int(EAGAIN, err, "keep-alive alone on a stream: wait");
	sipmsg_free(dec_flags(OPTIONS_HEAD, SIPMSG_STREAM, &err));
	is_int(EAGAIN, err, "no blank line yet on a stream: wait");
	sipmsg_free(dec_flags(OPTIONS_HEAD "Content-Length: 4\r\n\r\nab",
			      SIPMSG_STREAM, &err));
	is_int(EAGAIN, err, "short body on a stream: wait");
	sipmsg_free(dec_flags(OPTIONS_HEAD "\r\nabc", SIPMSG_STREAM, &err));
	is_int(EBADMSG, err, "no Content-Length and extra bytes on a stream");
	m = dec_flags(OPTIONS_HEAD "Content-Length: 2\r\n\r\nabOPTIONS",
		      SIPMSG_STREAM, &err);
	ok(m != NULL && sipmsg_wire_len(m) == strlen(OPTIONS_HEAD) + 23,
	   "a stream message ends at its Content-Length");
	sipmsg_free(m);
	m = dec(OPTIONS_HEAD "\r\nabc");
	ok(m != NULL && sipmsg_body(m).len == 3,
	   "no Content-Length in a datagram: the rest is the body");
	sipmsg_free(m);
	m = dec(OPTIONS_HEAD "Content-Length: 1\r\n\r\nabc");
	ok(m != NULL && sipmsg_body(m).len == 1 &&
	   sipmsg_wire_len(m) == strlen(OPTIONS_HEAD) + 22,
	   "bytes past Content-Length are not part of the datagram message");
	sipmsg_free(m);
	m = dec_flags(OPTIONS_HEAD "Content-Length: 9\r\n\r\nabc",
		      SIPMSG_LENIENT_LENGTH, &err);
	ok(m != NULL && sipmsg_body(m).len == 3 &&
	   (sipmsg_defects(m) & SIPMSG_DEFECT_SHORT_BODY),
	   "lenient decoding keeps a short body and flags it");
	sipmsg_free(m);
	m = dec(OPTIONS_HEAD "Content-Length: 3\r\nl: 3\r\n\r\nabc");
	ok(m != NULL && sipmsg_defects(m) == 0,
	   "two equal Content-Length values are no conflict");
	sipmsg_free(m);
	is_int(EBADMSG, dec_err(OPTIONS_HEAD "Content-Length: 3x\r\n\r\n"),
	       "Content-Length not a number");
}

static void test_start_lines(void)
{
	static const struct {
		const char *line;
		int err;
		const char *what;
	} lines[] = {
		{"SIP/2.0 200 OK", 0, "plain status line"},
		{"SIP/2.0 200", 0, "status line without reason or SP"},
		{"SIP/2.0 180 Ringing  ", 0, "reason with trailing spaces"},
		{"sip/2.0 200 OK", 0, "version is case-insensitive"},
		{"SIP/2.0 099 Low", EBADMSG, "status below 100"},
		{"SIP/2.0 700 High", EBADMSG, "status above 699"},
		{"SIP/2.0 20 OK", EBADMSG, "two-digit status"},
		{"SIP/2.0 2000 OK", EBADMSG, "four-digit status"},
		{"SIP/2 200 OK", EBADMSG, "version without minor"},
		{"HTTP/1.1 200 OK", EBADMSG, "not SIP"},
		{"OPTIONS sip:a@b SIP/2.0", 0, "request line"},
		{"OPTIONS\tsip:a@b SIP/2.0", EBADMSG, "HTAB separator"},
		{"OPTIONS sip:a@b", EBADMSG, "no version"},
		{"OPTIONS sip:a@b SIP/2.0/UDP", EBADMSG, "junk version"},
		{"OPTIONS tel:+1-201-555-0123 SIP/2.0", 0, "tel: Request-URI"},
		{"OPTIONS sip:a@b SIP/3.0", 0, "other version decodes"},
	};
	char text[512];
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		snprintf(text, sizeof(text),
			 "%s\r\n" VIA DIALOG "CSeq: 1 OPTIONS\r\n\r\n",
			 lines[i].line);
		is_int(lines[i].err, dec_err(text), "%s (%s)", lines[i].what,
		       last_reason);
	}
}

/* ---- typed getters ----------------------------------------------------- */

static void test_via(void)
{
	struct sipmsg_via via;
	struct span name, value;
	struct sipmsg *m;
	size_t pos = 0;

	m = dec("OPTIONS sip:bob@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/WS [2001:db8::1]:8443;rport=5060;received="
		"192.0.2.7;branch=z9hG4bKx;maddr=\"x\";ttl=1\r\n"
		"Via: SIP / 2.0 / TCP proxy.example.com : 5061 ; branch = "
		"z9hG4bKy ; rport\r\n" DIALOG "CSeq: 1 OPTIONS\r\n\r\n");
	if (!ok(m != NULL, "Via variants decode (%s)", last_reason))
		return;
	ok(sipmsg_via_get(m, 0, &via) == 0, "first Via");
	is_bytes("WS", via.transport.p, via.transport.len, "transport WS");
	is_bytes("2001:db8::1", via.host.p, via.host.len, "IPv6 sent-by");
	ok(via.host_ipv6 && via.port == 8443, "IPv6 with port");
	ok(via.rport && via.rport_port == 5060, "rport with a value");
	is_bytes("192.0.2.7", via.received.p, via.received.len, "received");
	ok(sipmsg_param_get(via.params, "maddr", &value) == 0 &&
	   span_eq(value, "\"x\""), "other params through param_get");
	ok(sipmsg_param_next(via.params, &pos, &name, &value) == 0 &&
	   span_eq(name, "rport") && span_eq(value, "5060"),
	   "param iteration starts at the first param");
	ok(sipmsg_via_branch_is_rfc3261(&via), "z9hG4bKx is RFC 3261");
	ok(sipmsg_via_get(m, 1, &via) == 0, "second Via with LWS everywhere");
	ok(span_eq(via.host, "proxy.example.com") && via.port == 5061 &&
	   span_eq(via.branch, "z9hG4bKy") && via.rport && !via.rport_port,
	   "LWS around '/', ':', ';' and '='");
	ok(sipmsg_param_get(via.params, "rport", &value) == 0 &&
	   value.p != NULL && value.len == 0, "a flag gives an empty span");
	is_int(ENOENT, sipmsg_param_get(via.params, "ttl", &value),
	       "absent param");
	is_int(ENOENT, sipmsg_via_get(m, 2, &via), "no third Via");
	sipmsg_free(m);

	is_int(EBADMSG, dec_err("OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP "
				"h;received=host.example.com\r\n\r\n"),
	       "received must be an address");
	is_int(EBADMSG, dec_err("OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP "
				"[::1;branch=z\r\n\r\n"), "unterminated [");
	is_int(EBADMSG, dec_err("OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP "
				"h:0\r\n\r\n"), "port 0");
	is_int(EBADMSG, dec_err("OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP"
				"h\r\n\r\n"), "no LWS before sent-by");
	is_int(EBADMSG, dec_err("OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP "
				"h;branch=\r\n\r\n"), "empty param value");
	is_int(EBADMSG, dec_err("OPTIONS sip:b@x SIP/2.0\r\nVia:\r\n\r\n"),
	       "empty Via");
}

static void test_getters(void)
{
	struct sipmsg_event ev;
	struct sipmsg_substate ss;
	struct sipmsg_auth auth;
	struct sipmsg_media media;
	struct sipmsg_party to;
	struct span v;
	struct sipmsg *m;
	uint32_t exp;
	unsigned mf;
	size_t cl;

	m = dec("NOTIFY sip:bob@example.com SIP/2.0\r\n" VIA
		"From: <sip:alice@example.com>;tag=1\r\n"
		"To: Bob <sip:bob@example.com>;tag=2\r\n"
		"Call-ID: n1\r\nCSeq: 5 NOTIFY\r\nMax-Forwards: 300\r\n"
		"o: dialog;id=x7 ; other=1\r\n"
		"Subscription-State: terminated;reason=timeout;retry-after=30\r\n"
		"WWW-Authenticate: Digest realm=\"a, b\", nonce=\"n\"\r\n"
		"WWW-Authenticate: Basic realm=\"x\"\r\n"
		"Authentication-Info: nextnonce=\"q\"\r\n"
		"Expires: 4294967296000\r\n"
		"Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n"
		"Content-Type: application/dialog-info+xml;charset=UTF-8\r\n"
		"Content-Length: 0\r\n\r\n");
	if (!ok(m != NULL, "getter message decodes (%s)", last_reason))
		return;
	ok(sipmsg_event_get(m, &ev) == 0 && span_eq(ev.package, "dialog") &&
	   span_eq(ev.id, "x7"), "Event package and id");
	ok(sipmsg_substate_get(m, &ss) == 0 &&
	   span_eq(ss.state, "terminated") && span_eq(ss.reason, "timeout") &&
	   !ss.has_expires && ss.has_retry_after && ss.retry_after == 30,
	   "Subscription-State");
	ok(sipmsg_auth_get(m, SIPMSG_HDR_WWW_AUTHENTICATE, 0, &auth) == 0 &&
	   span_eq(auth.scheme, "Digest") &&
	   span_eq(auth.params, "realm=\"a, b\", nonce=\"n\""),
	   "challenge kept whole, commas and all");
	ok(sipmsg_auth_get(m, SIPMSG_HDR_WWW_AUTHENTICATE, 1, &auth) == 0 &&
	   span_eq(auth.scheme, "Basic"), "second challenge");
	is_int(ENOENT, sipmsg_auth_get(m, SIPMSG_HDR_WWW_AUTHENTICATE, 2,
				       &auth), "no third challenge");
	ok(sipmsg_auth_get(m, SIPMSG_HDR_AUTHENTICATION_INFO, 0, &auth) == 0 &&
	   auth.scheme.p == NULL && span_eq(auth.params, "nextnonce=\"q\""),
	   "Authentication-Info has no scheme");
	is_int(EINVAL, sipmsg_auth_get(m, SIPMSG_HDR_TO, 0, &auth),
	       "auth_get refuses other headers");
	ok(sipmsg_expires_get(m, &exp) == 0 && exp == 4294967295u,
	   "Expires saturates");
	is_int(ERANGE, sipmsg_max_forwards_get(m, &mf),
	       "Max-Forwards 300 decodes but is out of range");
	ok(sipmsg_date_get(m, &v) == 0, "GMT date accepted");
	ok(sipmsg_content_type_get(m, &media) == 0 &&
	   sipmsg_media_matches(&media, "application/dialog-info+xml") &&
	   sipmsg_param_get(media.params, "charset", &v) == 0 &&
	   span_eq(v, "UTF-8"), "Content-Type with charset");
	ok(sipmsg_content_length_get(m, &cl) == 0 && cl == 0, "Content-Length");
	ok(sipmsg_to_get(m, &to) == 0 && span_eq(to.tag, "2") &&
	   span_eq(to.addr.display, "Bob"), "To with tag and display");
	is_int(0, (long long)sipmsg_contact_count(m), "no Contact");
	ok(sipmsg_request_uri(m) != NULL && sipmsg_status(m) == 0 &&
	   sipmsg_reason(m).p == NULL, "request accessors");
	sipmsg_free(m);

	m = dec(OPTIONS_HEAD "Date: Fri, 01 Jan 2010 16:00:00 EST\r\n"
		"Subscription-State: active;expires=x\r\no: ;id=1\r\n"
		"Supported: a b\r\n\r\n");
	if (!ok(m != NULL, "lazily checked headers do not stop decoding"))
		return;
	is_int(EBADMSG, sipmsg_date_get(m, &v), "EST date flagged");
	is_int(EBADMSG, sipmsg_substate_get(m, &ss), "bad expires flagged");
	is_int(EBADMSG, sipmsg_event_get(m, &ev), "Event without package");
	is_int(EBADMSG, sipmsg_token_get(m, SIPMSG_HDR_SUPPORTED, 0, &v),
	       "a token list with a space");
	is_int(ENOENT, sipmsg_expires_get(m, &exp), "no Expires");
	sipmsg_free(m);

	m = dec("SIP/2.0 486 Busy Here\r\n" VIA DIALOG
		"CSeq: 1 INVITE\r\n\r\n");
	ok(m != NULL && !sipmsg_is_request(m) && sipmsg_status(m) == 486 &&
	   span_eq(sipmsg_reason(m), "Busy Here") &&
	   sipmsg_request_uri(m) == NULL && sipmsg_method(m).p == NULL,
	   "response accessors");
	sipmsg_free(m);
}

/* ---- request classification -------------------------------------------- */

static void test_check(void)
{
	static const char *const none[] = {NULL};
	static const struct sipmsg_caps any_body = {none, accepted, NULL};
	const char *reason = NULL;
	struct sipmsg *m;
	int status;

	is_int(0, check_status(INVITE_HEAD "Content-Type: application/sdp\r\n"
			       "\r\nv=0\r\n", &caps, &reason),
	       "a plain INVITE passes");
	is_int(400, check_status("OPTIONS sip:a@b SIP/2.0\r\n" DIALOG
				 "CSeq: 1 OPTIONS\r\n\r\n", &caps, &reason),
	       "missing Via");
	is_string("Missing Via header", reason, "reason names it");
	is_int(505, check_status("OPTIONS sip:a@b SIP/2.1\r\n" VIA DIALOG
				 "CSeq: 1 OPTIONS\r\n\r\n", &caps, &reason),
	       "SIP/2.1 gets 505");
	is_int(400, check_status(OPTIONS_HEAD "Max-Forwards: 5\r\n\r\n", &caps,
				 &reason), "two Max-Forwards");
	is_int(400, check_status(OPTIONS_HEAD "Max-Forwards: 256\r\n\r\n",
				 &caps, &reason), "Max-Forwards 256");
	is_int(400, check_status("OPTIONS sip:bob@example.com SIP/2.0\r\n" VIA
				 DIALOG "CSeq: 1 options\r\n\r\n", &caps,
				 &reason), "methods are case-sensitive");
	is_int(0, check_status("OPTIONS tel:+15551234 SIP/2.0\r\n" VIA DIALOG
			       "CSeq: 1 OPTIONS\r\n\r\n", &caps, &reason),
	       "tel: is a scheme we take");
	is_int(0, check_status("OPTIONS sips:bob@example.com SIP/2.0\r\n" VIA
			       DIALOG "CSeq: 1 OPTIONS\r\n\r\n", &caps,
			       &reason), "so is sips:");
	is_int(416, check_status("OPTIONS im:bob@example.com SIP/2.0\r\n" VIA
				 DIALOG "CSeq: 1 OPTIONS\r\n\r\n", &caps,
				 &reason), "im: gets 416");
	is_int(0, check_status(OPTIONS_HEAD "Require: Path\r\n\r\n", &caps,
			       &reason), "supported Require (case-insensitive)");
	is_int(420, check_status(OPTIONS_HEAD "Require: path, 100rel\r\n\r\n",
				 &caps, &reason), "unsupported Require");
	is_int(420, check_status(OPTIONS_HEAD "Require: path\r\n\r\n", NULL,
				 &reason), "NULL caps support nothing");
	is_int(0, check_status("ACK sip:bob@example.com SIP/2.0\r\n" VIA DIALOG
			       "CSeq: 314159 ACK\r\nRequire: 100rel\r\n\r\n",
			       &caps, &reason), "ACK ignores Require");
	is_int(400, check_status(OPTIONS_HEAD "Require: a b\r\n\r\n", &caps,
				 &reason), "malformed Require");
	is_int(400, check_status(OPTIONS_HEAD "\r\nhello", &caps, &reason),
	       "body without Content-Type");
	is_int(415, check_status(OPTIONS_HEAD "Content-Type: text/plain\r\n\r\n"
				 "hello", &caps, &reason), "unaccepted type");
	is_string("Unsupported Media Type", reason, "415 reason");
	is_int(0, check_status(OPTIONS_HEAD "Content-Type: text/plain\r\n\r\n",
			       &caps, &reason), "an empty body is no body");
	is_int(415, check_status(OPTIONS_HEAD "Content-Type: application/sdp"
				 "\r\nContent-Encoding: gzip\r\n\r\nx", &caps,
				 &reason), "unsupported Content-Encoding");
	is_int(0, check_status(OPTIONS_HEAD "Content-Type: application/SDP\r\n"
			       "e: identity\r\n\r\nx", &caps, &reason),
	       "identity encoding, type compared case-insensitively");
	is_int(406, check_status(INVITE_HEAD "Accept: text/plain\r\n\r\n",
				 &caps, &reason), "INVITE refusing SDP");
	is_int(0, check_status(INVITE_HEAD "Accept: text/plain, */*\r\n\r\n",
			       &caps, &reason), "*/* takes SDP");
	is_int(0, check_status(INVITE_HEAD "Accept: application/*\r\n\r\n",
			       &caps, &reason), "application/* takes SDP");
	is_int(0, check_status(INVITE_HEAD "Accept: text/plain\r\n\r\n",
			       &any_body, &reason),
	       "no produce list: Accept not checked");
	is_int(0, check_status(OPTIONS_HEAD "Accept: text/plain\r\n\r\n",
			       &caps, &reason), "Accept matters for INVITE only");

	m = dec("SIP/2.0 200 OK\r\n" VIA DIALOG "CSeq: 1 INVITE\r\n\r\n");
	is_int(EINVAL, sipmsg_check_request(m, &caps, &status, &reason),
	       "responses are not checked");
	sipmsg_free(m);
}

/* ---- builder and encoder ----------------------------------------------- */

static void test_builder(void)
{
	static const char want_register[] =
		"REGISTER sip:example.com SIP/2.0\r\n"
		"Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKnashds7;"
		"rport\r\n"
		"From: <sip:alice@example.com>;tag=a73kszlfl\r\n"
		"To: <sip:alice@example.com>\r\n"
		"Call-ID: 1j9FpLxk3uxtm8tn@df7jal23ls0d.invalid\r\n"
		"CSeq: 1 REGISTER\r\n"
		"Max-Forwards: 70\r\n"
		"Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws>;"
		"expires=600\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char want_message[] =
		"MESSAGE sip:bob@example.com SIP/2.0\r\n"
		"CSeq: 2 MESSAGE\r\n"
		"Content-Type: text/plain;charset=UTF-8\r\n"
		"Content-Length: 5\r\n\r\nhello";
	struct sipmsg *m, *back;
	char buf[1024], *out;
	size_t len;
	int err;

	err = sipmsg_new_request(&m, "REGISTER", "sip:example.com");
	if (!is_int(0, err, "new REGISTER"))
		return;
	ok(sipmsg_header_add(m, "Via", "SIP/2.0/WSS df7jal23ls0d.invalid;"
			     "branch=z9hG4bKnashds7;rport") == 0 &&
	   sipmsg_header_add(m, "From", "<sip:alice@example.com>;tag=a73kszlfl")
	   == 0 &&
	   sipmsg_header_add(m, "To", "<sip:alice@example.com>") == 0 &&
	   sipmsg_header_add(m, "Call-ID", "1j9FpLxk3uxtm8tn@df7jal23ls0d."
			     "invalid") == 0 &&
	   sipmsg_header_add(m, "CSeq", "1 REGISTER") == 0 &&
	   sipmsg_header_add(m, "Max-Forwards", "70") == 0 &&
	   sipmsg_header_add(m, "Contact", "<sip:alice@df7jal23ls0d.invalid;"
			     "transport=ws>;expires=600") == 0,
	   "REGISTER headers added");
	ok(sipmsg_encode(m, buf, sizeof(buf), &len) == 0, "encode");
	is_string(want_register, buf, "REGISTER bytes exact");
	is_int((long long)strlen(want_register), (long long)len, "its length");
	is_int(ENOSPC, sipmsg_encode(m, buf, 10, &len), "small buffer");
	is_int((long long)strlen(want_register), (long long)len,
	       "ENOSPC reports the size needed");
	ok(sipmsg_encode_alloc(m, &out, &len) == 0 &&
	   strcmp(out, want_register) == 0, "encode_alloc gives the same");
	back = dec(out);
	ok(back != NULL && sipmsg_check_request(back, &caps, &err, NULL) == 0 &&
	   err == 0, "the built REGISTER decodes and passes the check");
	sipmsg_free(back);
	free(out);

	ok(sipmsg_header_set(m, "CSeq", "2 REGISTER") == 0 &&
	   sipmsg_header_count_of(m, "CSeq") == 1, "header_set replaces");
	ok(sipmsg_header_add(m, "X-A", "1") == 0 &&
	   sipmsg_header_add(m, "x-a", "2") == 0 &&
	   sipmsg_header_set(m, "X-a", "3") == 0 &&
	   sipmsg_header_count_of(m, "X-A") == 1, "set collapses duplicates");
	ok(sipmsg_header_remove(m, "x-A") == 0 &&
	   sipmsg_header_count_of(m, "X-A") == 0, "remove");
	is_int(ENOENT, sipmsg_header_remove(m, "X-A"), "remove twice");
	is_int(EINVAL, sipmsg_header_add(m, "X-B", "a\r\nInjected: 1"),
	       "CRLF in a value refused");
	is_int(EINVAL, sipmsg_header_add(m, "X B", "a"), "bad name refused");
	is_int(EINVAL, sipmsg_header_add(m, "CSeq", "99999999999 REGISTER"),
	       "typed check on add");
	is_int(EINVAL, sipmsg_header_set(m, "Via", "SIP/2.0/UDP"),
	       "typed check on set");
	is_int(1, (long long)sipmsg_header_count_of(m, "Via"),
	       "a refused set leaves the field alone");
	ok(sipmsg_header_set(m, "v", "SIP/2.0/WSS other.invalid;branch="
			     "z9hG4bK2") == 0 &&
	   sipmsg_via_count(m) == 1, "set by compact name replaces Via");
	sipmsg_free(m);

	ok(sipmsg_new_request(&m, "MESSAGE", "sip:bob@example.com") == 0 &&
	   sipmsg_header_add(m, "CSeq", "2 MESSAGE") == 0 &&
	   sipmsg_body_set(m, "text/plain;charset=UTF-8", "hello", 5) == 0 &&
	   sipmsg_encode(m, buf, sizeof(buf), NULL) == 0,
	   "MESSAGE with a body");
	is_string(want_message, buf, "MESSAGE bytes exact");
	sipmsg_free(m);

	is_int(EINVAL, sipmsg_new_request(&m, "IN VITE", "sip:a@b"),
	       "method must be a token");
	is_int(EINVAL, sipmsg_new_request(&m, "INVITE", "<sip:a@b>"),
	       "no <> around the Request-URI");
	is_int(EINVAL, sipmsg_new_request(&m, "INVITE", "sip:a@b?X=1"),
	       "no headers in the Request-URI");
	is_int(EINVAL, sipmsg_new_request(&m, "INVITE", "sip:a@b c"),
	       "no space in the Request-URI");
	is_int(EINVAL, sipmsg_new_response(&m, 99, NULL), "status 99");
	is_int(EINVAL, sipmsg_new_response(&m, 700, NULL), "status 700");
	is_int(EINVAL, sipmsg_new_response(&m, 200, "O\r\nK"),
	       "CRLF in a reason");
	ok(sipmsg_new_response(&m, 299, NULL) == 0 &&
	   sipmsg_encode(m, buf, sizeof(buf), NULL) == 0 &&
	   strcmp(buf, "SIP/2.0 299 Success\r\nContent-Length: 0\r\n\r\n") == 0,
	   "unknown code gets its class phrase");
	sipmsg_free(m);
	ok(sipmsg_new_response(&m, 200, "") == 0 &&
	   sipmsg_encode(m, buf, sizeof(buf), NULL) == 0 &&
	   strcmp(buf, "SIP/2.0 200 \r\nContent-Length: 0\r\n\r\n") == 0,
	   "empty reason phrase");
	sipmsg_free(m);

	ok(sipmsg_new_request(&m, "OPTIONS", "sip:a@b") == 0, "limit check");
	for (len = 0; len < SIPMSG_MAX_HEADERS; len++)
		if (sipmsg_header_add(m, "X", "y") != 0)
			break;
	is_int(SIPMSG_MAX_HEADERS, (long long)len, "builder takes %d fields",
	       SIPMSG_MAX_HEADERS);
	is_int(E2BIG, sipmsg_header_add(m, "X", "y"), "and no more");
	sipmsg_free(m);

	ok(sipmsg_new_request(&m, "OPTIONS", "sip:a@b") == 0, "value limit");
	out = repeat_header("a", ",a", SIPMSG_MAX_VALUES - 1, "");
	is_int(0, sipmsg_header_add(m, "Supported", out),
	       "builder takes %d values", SIPMSG_MAX_VALUES);
	free(out);
	out = repeat_header("a", ",a", SIPMSG_MAX_VALUES, "");
	is_int(E2BIG, sipmsg_header_add(m, "Supported", out), "and no more");
	free(out);
	is_int(SIPMSG_MAX_VALUES,
	       (long long)sipmsg_value_count_id(m, SIPMSG_HDR_SUPPORTED),
	       "the refused field was not added");
	sipmsg_free(m);
}

static void test_reply(void)
{
	static const char want_180[] =
		"SIP/2.0 180 Ringing\r\n"
		VIA
		"Via: SIP/2.0/UDP p.example.com;branch=z9hG4bKp;received="
		"192.0.2.1\r\n"
		"Record-Route: <sip:p.example.com;lr>\r\n"
		"From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n"
		"To: <sip:bob@example.com>;tag=8321234356\r\n"
		"Call-ID: a84b4c76e66710@pc33.example.com\r\n"
		"CSeq: 314159 INVITE\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char want_486_start[] = "SIP/2.0 486 Busy Here\r\n" VIA;
	struct sipmsg *req, *rsp;
	char buf[1024];

	req = dec("INVITE sip:bob@example.com SIP/2.0\r\n" VIA
		  "Via: SIP/2.0/UDP p.example.com;branch=z9hG4bKp;received="
		  "192.0.2.1\r\n"
		  "Record-Route: <sip:p.example.com;lr>\r\n" DIALOG
		  "CSeq: 314159 INVITE\r\nContact: <sip:a@pc33.example.com>\r\n"
		  "Content-Type: application/sdp\r\n\r\nv=0\r\n");
	if (!ok(req != NULL, "INVITE to answer decodes (%s)", last_reason))
		return;
	ok(sipmsg_new_reply(&rsp, req, 180, NULL, "8321234356") == 0 &&
	   sipmsg_encode(rsp, buf, sizeof(buf), NULL) == 0, "180 built");
	is_string(want_180, buf, "180 copies Via, Record-Route, dialog IDs");
	sipmsg_free(rsp);
	ok(sipmsg_new_reply(&rsp, req, 486, NULL, "8321234356") == 0 &&
	   sipmsg_encode(rsp, buf, sizeof(buf), NULL) == 0, "486 built");
	ok(strncmp(buf, want_486_start, strlen(want_486_start)) == 0 &&
	   strstr(buf, "Record-Route") == NULL,
	   "no Record-Route in a failure response");
	sipmsg_free(rsp);
	ok(sipmsg_new_reply(&rsp, req, 100, NULL, NULL) == 0 &&
	   sipmsg_encode(rsp, buf, sizeof(buf), NULL) == 0 &&
	   strstr(buf, "To: <sip:bob@example.com>\r\n") != NULL,
	   "100 Trying without a To tag");
	sipmsg_free(rsp);
	is_int(EINVAL, sipmsg_new_reply(&rsp, req, 200, NULL, "a b"),
	       "to-tag must be a token");
	sipmsg_free(req);

	req = dec("BYE sip:bob@example.com SIP/2.0\r\n" VIA
		  "From: <sip:alice@example.com>;tag=1\r\n"
		  "To: <sip:bob@example.com>;tag=2\r\n"
		  "Call-ID: c\r\nCSeq: 2 BYE\r\n\r\n");
	ok(req != NULL && sipmsg_new_reply(&rsp, req, 200, "OK", "3") == 0 &&
	   sipmsg_encode(rsp, buf, sizeof(buf), NULL) == 0 &&
	   strstr(buf, "To: <sip:bob@example.com>;tag=2\r\n") != NULL,
	   "an existing To tag is kept");
	sipmsg_free(rsp);
	sipmsg_free(req);
}

/* ---- round trips ------------------------------------------------------- */

static bool same_fields(const struct sipmsg *a, const struct sipmsg *b)
{
	struct sipmsg_header ha, hb;
	size_t i = 0, j = 0;

	if (sipmsg_is_request(a) != sipmsg_is_request(b) ||
	    !span_eq_span(sipmsg_method(a), sipmsg_method(b)) ||
	    !span_eq_span(sipmsg_request_uri_text(a),
			  sipmsg_request_uri_text(b)) ||
	    sipmsg_status(a) != sipmsg_status(b) ||
	    !span_eq_span(sipmsg_reason(a), sipmsg_reason(b)) ||
	    !span_eq_span(sipmsg_version(a), sipmsg_version(b)) ||
	    !span_eq_span(sipmsg_body(a), sipmsg_body(b)))
		return false;
	for (;;) {
		while (sipmsg_header_at(a, i, &ha) == 0 &&
		       ha.id == SIPMSG_HDR_CONTENT_LENGTH)
			i++;
		while (sipmsg_header_at(b, j, &hb) == 0 &&
		       hb.id == SIPMSG_HDR_CONTENT_LENGTH)
			j++;
		if (i >= sipmsg_header_count(a) || j >= sipmsg_header_count(b))
			return i >= sipmsg_header_count(a) &&
			       j >= sipmsg_header_count(b);
		if (!span_eq_span(ha.name, hb.name) ||
		    !span_eq_span(ha.value, hb.value))
			return false;
		i++;
		j++;
	}
}

/* One builder for CANCEL (§9.1), the ACK of a non-2xx (§17.1.1.3) and a
 * request within a dialog (§12.2.1.1). */
static void test_derive(void)
{
	static const char want_cancel[] =
		"CANCEL sip:bob@example.com SIP/2.0\r\n" VIA
		"Max-Forwards: 70\r\n"
		"Route: <sip:p1.example.com;lr>\r\n"
		"To: <sip:bob@example.com>\r\n"
		"From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n"
		"Call-ID: a84b4c76e66710@pc33.example.com\r\n"
		"CSeq: 314159 CANCEL\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char want_ack[] =
		"ACK sip:bob@example.com SIP/2.0\r\n" VIA
		"Max-Forwards: 70\r\n"
		"Route: <sip:p1.example.com;lr>\r\n"
		"From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n"
		"To: <sip:bob@example.com>;tag=99\r\n"
		"Call-ID: a84b4c76e66710@pc33.example.com\r\n"
		"CSeq: 314159 ACK\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char want_bye[] =
		"BYE sip:bob@192.0.2.4 SIP/2.0\r\n"
		"Max-Forwards: 70\r\n"
		"Route: <sip:p2.example.com;lr>\r\n"
		"Route: <sip:p1.example.com;lr>\r\n"
		"From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n"
		"To: <sip:bob@example.com>;tag=99\r\n"
		"Call-ID: a84b4c76e66710@pc33.example.com\r\n"
		"CSeq: 314160 BYE\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sipmsg *req, *rsp, *m;
	struct sipmsg_derive d = {0};
	char buf[1024];

	req = dec("INVITE sip:bob@example.com SIP/2.0\r\n" VIA
		  "Route: <sip:p1.example.com;lr>\r\n" DIALOG
		  "CSeq: 314159 INVITE\r\nContact: <sip:a@pc33.example.com>\r\n"
		  "Content-Length: 0\r\n\r\n");
	rsp = dec("SIP/2.0 486 Busy Here\r\n" VIA
		  "Record-Route: <sip:p1.example.com;lr>, "
		  "<sip:p2.example.com;lr>\r\n"
		  "From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n"
		  "To: <sip:bob@example.com>;tag=99\r\n"
		  "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
		  "CSeq: 314159 INVITE\r\nContact: <sip:bob@192.0.2.4>\r\n"
		  "Content-Length: 0\r\n\r\n");
	if (!ok(req != NULL && rsp != NULL, "INVITE and answer decode (%s)",
		last_reason))
		return;
	sipmsg_value_get_id(req, SIPMSG_HDR_VIA, 0, &d.via);
	d.route = d.from = d.to = d.call_id = req;
	d.cseq = 314159;
	d.to_first = true;
	ok(sipmsg_request_derive(&m, "CANCEL", "sip:bob@example.com", &d) == 0 &&
	   sipmsg_encode(m, buf, sizeof(buf), NULL) == 0, "CANCEL built");
	is_string(want_cancel, buf, "CANCEL: the INVITE's Via, route, ids");
	sipmsg_free(m);
	d.to = rsp;
	d.to_first = false;
	ok(sipmsg_request_derive(&m, "ACK", "sip:bob@example.com", &d) == 0 &&
	   sipmsg_encode(m, buf, sizeof(buf), NULL) == 0, "ACK built");
	is_string(want_ack, buf, "ACK: the To of the answer, with its tag");
	sipmsg_free(m);
	memset(&d, 0, sizeof(d));
	d.record_route = d.from = d.to = d.call_id = rsp;
	d.cseq = 314160;
	ok(sipmsg_request_derive(&m, "BYE", "sip:bob@192.0.2.4", &d) == 0 &&
	   sipmsg_encode(m, buf, sizeof(buf), NULL) == 0, "BYE built");
	is_string(want_bye, buf,
		  "in a dialog: no Via, Record-Route reversed as the route");
	sipmsg_free(m);
	is_int(EINVAL, sipmsg_request_derive(&m, "BYE", "not a uri", &d),
	       "a bad Request-URI is refused");
	ok(m == NULL, "and nothing is returned");
	sipmsg_free(req);
	sipmsg_free(rsp);
}

static void test_round_trip(void)
{
	static const char *const texts[] = {
		INVITE_HEAD "Content-Type: application/sdp\r\n"
		"Content-Length: 5\r\n\r\nv=0\r\n",
		"SIP/2.0 100 \r\n" VIA DIALOG "CSeq: 1 INVITE\r\n\r\n",
		"SIP/7.0 200 Fine\r\n" VIA DIALOG "CSeq: 1 INVITE\r\n"
		"X-Empty:\r\nl: 0\r\n\r\n",
		OPTIONS_HEAD "Subject: folded\r\n  value\r\n"
		"Content-Length: 3\r\nContent-Length: 5\r\n\r\nabcdefg",
		OPTIONS_HEAD "\r\nno length here",
	};
	static const char want_folded[] =
		OPTIONS_HEAD "Subject: a   b\r\nl: 0\r\n\r\n";
	struct sipmsg *a, *b;
	char *out;
	size_t i, len;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		a = dec(texts[i]);
		if (!ok(a != NULL, "round trip %zu decodes (%s)", i,
			last_reason))
			continue;
		ok(sipmsg_encode_alloc(a, &out, &len) == 0 &&
		   len == strlen(out), "round trip %zu encodes", i);
		b = dec(out);
		ok(b != NULL && same_fields(a, b),
		   "round trip %zu: decode(encode(m)) has the same fields", i);
		ok(b != NULL && (sipmsg_defects(a) & ~(unsigned)
				 SIPMSG_DEFECT_LENGTH_CONFLICT) ==
		   sipmsg_defects(b), "round trip %zu: same defects", i);
		sipmsg_free(b);
		sipmsg_free(a);
		free(out);
	}

	a = dec(OPTIONS_HEAD "Subject: a\r\n b\r\nl:3\r\n\r\nxyzextra");
	ok(a != NULL && sipmsg_encode_alloc(a, &out, &len) == 0,
	   "folded message re-encoded");
	if (a != NULL) {
		free(out);
		sipmsg_free(a);
	}
	a = dec(OPTIONS_HEAD "Subject: a\r\n b\r\nl:0\r\n\r\n");
	if (ok(a != NULL && sipmsg_encode_alloc(a, &out, &len) == 0,
	       "folded message encodes")) {
		is_string(want_folded, out,
			  "folds come out as spaces, 'l:0' as 'l: 0'");
		free(out);
	}
	sipmsg_free(a);
}

int main(void)
{
	plan_lazy();
	test_compact_forms();
	test_folding();
	test_lists();
	test_limits();
	test_framing();
	test_start_lines();
	test_via();
	test_getters();
	test_check();
	test_builder();
	test_reply();
	test_derive();
	test_round_trip();
	return 0;
}
