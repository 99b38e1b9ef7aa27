/* The pure parts of the SIP core: transaction timer values (RFC 3261
 * Table 4), branch/tag/Call-ID generation, transaction keys and matching
 * (§17.1.3, §17.2.3), the UAS classification of requests (RFC 4475 corpus
 * included), registration refresh times and the RFC 5626 instance id. */
#include "reg.h"
#include "internal/testing.h"
#include "sip.h"
#include "tsx.h"
#include "tap/basic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ----------------------------------------------------------- */

/* Decode a message written with \n line ends (turned into CRLF). */
static struct sipmsg *msg_from(const char *text)
{
	char buf[4096];
	struct sipmsg *m = NULL;
	size_t i, n = 0;
	char reason[128];

	for (i = 0; text[i] != '\0' && n + 2 < sizeof(buf); i++) {
		if (text[i] == '\n')
			buf[n++] = '\r';
		buf[n++] = text[i];
	}
	if (sipmsg_decode(&m, buf, n, reason, sizeof(reason)) != 0)
		bail("test message does not decode: %s", reason);
	return m;
}

static bool all_token_chars(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z')))
			return false;
	return true;
}

/* ---- timers -------------------------------------------------------------- */

static void test_timers(void)
{
	static const struct {
		unsigned t1, timeout;
		bool reliable;
		struct tsx_timers want;
	} cases[] = {
		/* RFC 3261 Table 4 over a reliable transport */
		{0, 0, true, {500, 32000, 32000, 32000, 0, 0, 0, 0}},
		/* tests shorten B/F/H */
		{0, 2000, true, {500, 2000, 2000, 2000, 0, 0, 0, 0}},
		{250, 0, true, {250, 16000, 16000, 16000, 0, 0, 0, 0}},
		/* unreliable values for completeness: D >= 32 s, I = T4,
		 * J = 64*T1, K = T4 */
		{0, 0, false, {500, 32000, 32000, 32000, 32000, 5000, 32000, 5000}},
		{1000, 0, false, {1000, 64000, 64000, 64000, 64000, 5000, 64000, 5000}},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tsx_timers t;

		tsx_timers_init(&t, cases[i].t1, cases[i].timeout,
				cases[i].reliable);
		ok(memcmp(&t, &cases[i].want, sizeof(t)) == 0,
		   "timers for T1=%u timeout=%u %s: T1 %u B %u F %u H %u D %u I %u J %u K %u",
		   cases[i].t1, cases[i].timeout,
		   cases[i].reliable ? "reliable" : "unreliable", t.t1, t.b, t.f,
		   t.h, t.d, t.i, t.j, t.k);
	}
	is_int(500, TSX_T1_MS, "T1 is 500 ms");
	is_int(4000, TSX_T2_MS, "T2 is 4 s");
	is_int(5000, TSX_T4_MS, "T4 is 5 s");
}

/* ---- random tokens ------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void test_tokens(void)
{
	static char branches[1000][TSX_BRANCH_SIZE];
	char buf[TSX_TOKEN_SIZE], small[8];
	size_t i, dups = 0, bad = 0;

	for (i = 0; i < 1000; i++) {
		if (tsx_branch_new(branches[i], sizeof(branches[i])) != 0 ||
		    strncmp(branches[i], "z9hG4bK", 7) != 0 ||
		    strlen(branches[i]) != 7 + TSX_BRANCH_RANDOM ||
		    !all_token_chars(branches[i] + 7, TSX_BRANCH_RANDOM))
			bad++;
	}
	is_int(0, (long long)bad, "branches are z9hG4bK + 22 of [0-9a-z]");
	qsort(branches, 1000, sizeof(branches[0]), cmp_str);
	for (i = 1; i < 1000; i++)
		dups += strcmp(branches[i - 1], branches[i]) == 0;
	is_int(0, (long long)dups, "1000 branches are all different");
	is_int(ENOSPC, tsx_branch_new(small, sizeof(small)),
	       "a branch needs TSX_BRANCH_SIZE bytes");

	is_int(0, tsx_token_new(buf, sizeof(buf), TSX_TAG_CHARS), "a tag");
	ok(strlen(buf) == TSX_TAG_CHARS && all_token_chars(buf, TSX_TAG_CHARS),
	   "tags are %d of [0-9a-z] (%s)", TSX_TAG_CHARS, buf);
	is_int(0, tsx_token_new(buf, sizeof(buf), TSX_CALL_ID_CHARS), "a Call-ID");
	ok(strlen(buf) == TSX_CALL_ID_CHARS &&
		   all_token_chars(buf, TSX_CALL_ID_CHARS),
	   "Call-IDs are %d of [0-9a-z] (%s)", TSX_CALL_ID_CHARS, buf);
	is_int(ENOSPC, tsx_token_new(small, sizeof(small), 8),
	       "no room for the NUL: ENOSPC");
	is_int(0, tsx_token_new(small, sizeof(small), 7), "7 chars fit in 8");
}

/* ---- keys and matching ----------------------------------------------------- */

#define REQ(method, cseq_method, via)                                      \
	method " sip:bob@example.org SIP/2.0\n"                            \
	"Via: " via "\n"                                                   \
	"From: <sip:alice@example.org>;tag=ft1\n"                          \
	"To: <sip:bob@example.org>\n"                                      \
	"Call-ID: cid1@example.org\n"                                      \
	"CSeq: 5 " cseq_method "\n"                                        \
	"Max-Forwards: 70\n"                                               \
	"Content-Length: 0\n\n"

#define RESP(status, cseq_method, via)                                     \
	"SIP/2.0 " status "\n"                                             \
	"Via: " via "\n"                                                   \
	"From: <sip:alice@example.org>;tag=ft1\n"                          \
	"To: <sip:bob@example.org>;tag=tt1\n"                              \
	"Call-ID: cid1@example.org\n"                                      \
	"CSeq: 5 " cseq_method "\n"                                        \
	"Content-Length: 0\n\n"

#define VIA_A "SIP/2.0/WS a.invalid;branch=z9hG4bKabc;rport"

static void test_server_keys(void)
{
	static const struct {
		const char *a, *b;
		bool equal;
		const char *what;
	} cases[] = {
		{REQ("INVITE", "INVITE", VIA_A), REQ("INVITE", "INVITE", VIA_A),
		 true, "a retransmitted INVITE matches"},
		{REQ("INVITE", "INVITE", VIA_A), REQ("ACK", "ACK", VIA_A), true,
		 "the ACK of a non-2xx matches its INVITE (same branch)"},
		{REQ("INVITE", "INVITE", VIA_A), REQ("CANCEL", "CANCEL", VIA_A),
		 false, "a CANCEL is a transaction of its own"},
		{REQ("MESSAGE", "MESSAGE", VIA_A),
		 REQ("MESSAGE", "MESSAGE", "SIP/2.0/WS a.invalid;branch=z9hG4bKabd"),
		 false, "another branch, another transaction"},
		{REQ("MESSAGE", "MESSAGE", VIA_A),
		 REQ("MESSAGE", "MESSAGE", "SIP/2.0/WS a.invalid;branch=z9hG4bKABC"),
		 false, "branches compare case-sensitively"},
		{REQ("MESSAGE", "MESSAGE", VIA_A),
		 REQ("MESSAGE", "MESSAGE", "SIP/2.0/WS A.INVALID;branch=z9hG4bKabc"),
		 true, "sent-by hosts compare case-insensitively"},
		{REQ("MESSAGE", "MESSAGE", VIA_A),
		 REQ("MESSAGE", "MESSAGE", "SIP/2.0/WS a.invalid:5060;branch=z9hG4bKabc"),
		 false, "the sent-by port is part of the key"},
		{REQ("MESSAGE", "MESSAGE", VIA_A),
		 REQ("MESSAGE", "MESSAGE", "SIP/2.0/WS b.invalid;branch=z9hG4bKabc"),
		 false, "so is the sent-by host (§17.2.3: branch + sent-by)"},
		{REQ("MESSAGE", "MESSAGE", VIA_A), REQ("OPTIONS", "OPTIONS", VIA_A),
		 false, "and the method"},
		/* RFC 2543 peers: no magic cookie */
		{REQ("INVITE", "INVITE", "SIP/2.0/UDP h.example.org;branch=1234"),
		 REQ("INVITE", "INVITE", "SIP/2.0/UDP h.example.org;branch=1234"),
		 true, "RFC 2543: same Call-ID, From tag, CSeq, Via match"},
		{REQ("INVITE", "INVITE", "SIP/2.0/UDP h.example.org;branch=1234"),
		 REQ("ACK", "ACK", "SIP/2.0/UDP h.example.org;branch=1234"), true,
		 "RFC 2543: the ACK matches too"},
		{REQ("INVITE", "INVITE", "SIP/2.0/UDP h.example.org;branch=z9hG4bK"),
		 REQ("INVITE", "INVITE", "SIP/2.0/UDP h.example.org;branch=z9hG4bK"),
		 true, "a bare cookie (RFC 4475 3.2.1) falls back to RFC 2543 rules"},
		{REQ("INVITE", "INVITE", "SIP/2.0/UDP h.example.org;branch=1234"),
		 REQ("INVITE", "INVITE", "SIP/2.0/UDP h.example.org;branch=1235"),
		 false, "RFC 2543: another top Via, another transaction"},
		{REQ("INVITE", "INVITE", "SIP/2.0/UDP h.example.org;branch=1234"),
		 REQ("INVITE", "INVITE", "SIP/2.0/UDP h.example.org;branch=z9hG4bK1234"),
		 false, "an RFC 3261 key never equals an RFC 2543 one"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sipmsg *a = msg_from(cases[i].a), *b = msg_from(cases[i].b);
		struct tsx_key ka, kb;

		if (tsx_key_server(a, &ka) != 0 || tsx_key_server(b, &kb) != 0)
			ok(0, "%s: keys", cases[i].what);
		else
			ok(tsx_key_equal(&ka, &kb) == cases[i].equal, "%s",
			   cases[i].what);
		sipmsg_free(a);
		sipmsg_free(b);
	}
}

static void test_cancel_and_client_keys(void)
{
	struct sipmsg *inv = msg_from(REQ("INVITE", "INVITE", VIA_A));
	struct sipmsg *can = msg_from(REQ("CANCEL", "CANCEL", VIA_A));
	struct sipmsg *r180 = msg_from(RESP("180 Ringing", "INVITE", VIA_A));
	struct sipmsg *r200c = msg_from(RESP("200 OK", "CANCEL", VIA_A));
	struct sipmsg *rother = msg_from(
		RESP("200 OK", "INVITE", "SIP/2.0/WS a.invalid;branch=z9hG4bKzzz"));
	struct sipmsg *rnocookie = msg_from(
		RESP("200 OK", "INVITE", "SIP/2.0/WS a.invalid;branch=abc"));
	struct tsx_key kinv, kcan, kc, kr;

	ok(tsx_key_server(inv, &kinv) == 0 &&
		   tsx_key_cancel_target(can, &kcan) == 0 &&
		   tsx_key_equal(&kinv, &kcan),
	   "a CANCEL finds the INVITE it cancels (§9.2)");
	ok(span_eq(kcan.method, "INVITE"), "... keyed as INVITE");

	/* client side: the key of what we sent (branch + method) */
	memset(&kc, 0, sizeof(kc));
	kc.rfc3261 = true;
	kc.branch = span_from_str("z9hG4bKabc");
	kc.method = span_from_str("INVITE");
	ok(tsx_key_client(r180, &kr) == 0 && tsx_key_equal(&kc, &kr),
	   "a 180 matches our INVITE by branch and CSeq method");
	ok(tsx_key_client(r200c, &kr) == 0 && !tsx_key_equal(&kc, &kr),
	   "the 200 to our CANCEL does not match the INVITE (§17.1.3)");
	ok(tsx_key_client(rother, &kr) == 0 && !tsx_key_equal(&kc, &kr),
	   "another branch does not match");
	is_int(EBADMSG, tsx_key_client(rnocookie, &kr),
	       "a response without our cookie has no client key");
	is_int(EINVAL, tsx_key_client(inv, &kr), "requests have no client key");
	is_int(EINVAL, tsx_key_server(r180, &kr), "responses no server key");
	sipmsg_free(inv);
	sipmsg_free(can);
	sipmsg_free(r180);
	sipmsg_free(r200c);
	sipmsg_free(rother);
	sipmsg_free(rnocookie);
}

/* ---- UAS classification ------------------------------------------------ */

/* §18.1.2: a response with more than one Via value is discarded, however
 * the values are written: two fields, a compact "v" field, or a comma. */
static int sent_count;
static int count_send(const char *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	(void)arg;
	sent_count++;
	return 0;
}

static int responses_seen;
static void count_response(struct tsx_client *t,
			   const struct tsx_response_info *info, void *arg)
{
	(void)t;
	(void)info;
	(void)arg;
	responses_seen++;
}

static void test_response_vias(void)
{
	static const struct {
		const char *what;
		const char *text;
	} extra[] = {
		{"a second Via field",
		 RESP("200 OK", "MESSAGE", VIA_A "\nVia: SIP/2.0/UDP b.invalid;branch=z9hG4bKb")},
		{"a second value in a compact v field",
		 RESP("200 OK", "MESSAGE", VIA_A "\nv: SIP/2.0/UDP b.invalid;branch=z9hG4bKb")},
		{"two comma-separated values in the one field",
		 RESP("200 OK", "MESSAGE", VIA_A ", SIP/2.0/UDP b.invalid;branch=z9hG4bKb")},
		{"the other Via on top",
		 RESP("200 OK", "MESSAGE", "SIP/2.0/UDP b.invalid;branch=z9hG4bKb, " VIA_A)},
	};
	const char *wire = REQ("MESSAGE", "MESSAGE", VIA_A);
	struct sipmsg *req = msg_from(wire);
	struct sipmsg *ok200 = msg_from(RESP("200 OK", "MESSAGE", VIA_A));
	struct tsx_layer *l = NULL;
	struct tsx_client *c = NULL;
	struct loop *loop = NULL;
	size_t i;

	if (loop_alloc(&loop, NULL) != 0 ||
	    tsx_layer_alloc(&l, loop, NULL, count_send, NULL) != 0 ||
	    tsx_client_start(&c, l, req, wire, strlen(wire), count_response,
			     NULL) != 0)
		bail("cannot start a client transaction");
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		struct sipmsg *r = msg_from(extra[i].text);

		is_int(EBADMSG, tsx_layer_response(l, r), "discarded: %s",
		       extra[i].what);
		sipmsg_free(r);
	}
	is_int(0, responses_seen, "... and the request is still pending");
	is_int(1, (int)tsx_layer_client_count(l), "... its transaction too");
	is_int(0, tsx_layer_response(l, ok200), "the one-Via 200 completes it");
	is_int(1, responses_seen, "... once");
	is_int(0, (int)tsx_layer_client_count(l), "... and ends it");
	tsx_layer_free(l);
	loop_free(loop);
	sipmsg_free(ok200);
	sipmsg_free(req);
}

static void test_classify(void)
{
	static const struct {
		const char *msg;
		int status;
		const char *what;
	} cases[] = {
		{REQ("OPTIONS", "OPTIONS", VIA_A), 0, "OPTIONS is served"},
		{REQ("MESSAGE", "MESSAGE", VIA_A), 0, "an empty MESSAGE is served"},
		{"MESSAGE sip:bob@example.org SIP/2.0\nVia: " VIA_A "\n"
		 "From: <sip:a@example.org>;tag=1\nTo: <sip:bob@example.org>\n"
		 "Call-ID: c\nCSeq: 1 MESSAGE\nContent-Type: application/x-whatever\n"
		 "Content-Length: 2\n\nhi",
		 0, "a MESSAGE takes any body type"},
		{"MESSAGE sip:bob@example.org SIP/2.0\nVia: " VIA_A "\n"
		 "From: <sip:a@example.org>;tag=1\nTo: <sip:bob@example.org>\n"
		 "Call-ID: c\nCSeq: 1 MESSAGE\nContent-Type: text/plain\n"
		 "Content-Encoding: gzip\nContent-Length: 2\n\nhi",
		 415, "but not a compressed one"},
		{"INVITE sip:bob@example.org SIP/2.0\nVia: " VIA_A "\n"
		 "From: <sip:a@example.org>;tag=1\nTo: <sip:bob@example.org>\n"
		 "Call-ID: c\nCSeq: 1 INVITE\nContent-Type: text/plain\n"
		 "Content-Length: 2\n\nhi",
		 415, "an INVITE body must be SDP"},
		{"OPTIONS sip:bob@example.org SIP/2.0\nVia: " VIA_A "\n"
		 "From: <sip:a@example.org>;tag=1\nTo: <sip:bob@example.org>\n"
		 "Call-ID: c\nCSeq: 1 OPTIONS\nRequire: 100rel\nContent-Length: 0\n\n",
		 420, "Require with a tag we lack: 420"},
		{"OPTIONS sip:bob@example.org SIP/2.0\nVia: " VIA_A "\n"
		 "From: <sip:a@example.org>;tag=1\nTo: <sip:bob@example.org>\n"
		 "Call-ID: c\nCSeq: 1 OPTIONS\nRequire: outbound\nContent-Length: 0\n\n",
		 0, "Require: outbound is fine"},
		{REQ("SUBSCRIBE", "SUBSCRIBE", VIA_A), 405, "SUBSCRIBE: 405"},
		{REQ("REGISTER", "REGISTER", VIA_A), 405, "REGISTER to a UA: 405"},
		{REQ("FOO", "FOO", VIA_A), 501, "an unknown method: 501"},
		{"BYE sip:bob@example.org SIP/2.0\nVia: " VIA_A "\n"
		 "From: <sip:a@example.org>;tag=1\nTo: <sip:bob@example.org>;tag=x\n"
		 "Call-ID: c\nCSeq: 2 BYE\nContent-Length: 0\n\n",
		 481, "BYE in an unknown dialog: 481"},
		{"INFO sip:bob@example.org SIP/2.0\nVia: " VIA_A "\n"
		 "From: <sip:a@example.org>;tag=1\nTo: <sip:bob@example.org>;tag=x\n"
		 "Call-ID: c\nCSeq: 2 INFO\nContent-Length: 0\n\n",
		 405, "the method is checked before the dialog"},
		{"ACK sip:bob@example.org SIP/2.0\nVia: " VIA_A "\n"
		 "From: <sip:a@example.org>;tag=1\nTo: <sip:bob@example.org>;tag=x\n"
		 "Call-ID: c\nCSeq: 1 ACK\nContent-Length: 0\n\n",
		 0, "an ACK is never answered"},
		{"CANCEL sip:bob@example.org SIP/2.0\nVia: " VIA_A "\n"
		 "From: <sip:a@example.org>;tag=1\nTo: <sip:bob@example.org>;tag=x\n"
		 "Call-ID: c\nCSeq: 1 CANCEL\nContent-Length: 0\n\n",
		 0, "a CANCEL goes to its transaction"},
		{"OPTIONS sip:bob@example.org SIP/3.0\nVia: " VIA_A "\n"
		 "From: <sip:a@example.org>;tag=1\nTo: <sip:bob@example.org>\n"
		 "Call-ID: c\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n",
		 505, "SIP/3.0: 505"},
	};
	/* RFC 4475 requests as a UA with no dialog must answer them */
	static const struct {
		const char *file;
		int status;
	} corpus[] = {
		{"rfc4475/wsinv.dat", 481},   {"rfc4475/intmeth.dat", 501},
		{"rfc4475/esc01.dat", 0},     {"rfc4475/esc02.dat", 501},
		{"rfc4475/escnull.dat", 405}, {"rfc4475/mpart01.dat", 0},
		{"rfc4475/badvers.dat", 505}, {"rfc4475/mismatch01.dat", 400},
		{"rfc4475/mismatch02.dat", 400}, {"rfc4475/insuf.dat", 400},
		{"rfc4475/unkscm.dat", 416},  {"rfc4475/novelsc.dat", 416},
		{"rfc4475/bext01.dat", 420},  {"rfc4475/invut.dat", 415},
		{"rfc4475/multi01.dat", 400}, {"rfc4475/mcl01.dat", 400},
		{"rfc4475/sdp01.dat", 406},   {"rfc4475/zeromf.dat", 0},
		{"rfc4475/inv2543.dat", 0},   {"rfc4475/badbranch.dat", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sipmsg *m = msg_from(cases[i].msg);
		const char *reason = NULL;
		int status = -1;

		ok(sip_classify_request(m, &status, &reason) == 0 &&
			   status == cases[i].status,
		   "%s (%d %s)", cases[i].what, status, reason ? reason : "");
		sipmsg_free(m);
	}
	for (i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		char *path = test_corpus_path(corpus[i].file);
		struct sipmsg *m = NULL;
		const char *reason = NULL;
		char *data;
		size_t len;
		int status = -1;

		if (path == NULL) {
			skip("SIPWS_CORPUS is not set");
			continue;
		}
		data = test_read_file(path, &len);
		if (data == NULL || sipmsg_decode(&m, data, len, NULL, 0) != 0) {
			ok(0, "%s decodes", corpus[i].file);
		} else {
			ok(sip_classify_request(m, &status, &reason) == 0 &&
				   status == corpus[i].status,
			   "%s: %d (%d %s)", corpus[i].file, corpus[i].status,
			   status, reason ? reason : "");
		}
		sipmsg_free(m);
		free(data);
		free(path);
	}
}

/* ---- registration refresh ------------------------------------------------ */

static void test_refresh(void)
{
	static const struct {
		uint32_t expires;
		double r;
		uint64_t want;
	} cases[] = {
		/* JsSIP: above 64 s, between E/2 and E-32 s */
		{600, 0.0, 300000},
		{600, 0.5, 434000},
		{3600, 0.0, 1800000},
		{3600, 0.999999, 3567998},
		{65, 0.0, 32500},
		/* up to 64 s: E-5 s, but never before E/2 */
		{64, 0.7, 59000},
		{60, 0.0, 55000},
		{10, 0.0, 5000},
		{6, 0.0, 3000},
		{2, 0.0, 1000},
		{1, 0.3, 500},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int((long long)cases[i].want,
		       (long long)reg_refresh_ms(cases[i].expires, cases[i].r),
		       "expires %lu, r=%.2f: refresh after %llu ms",
		       (unsigned long)cases[i].expires, cases[i].r,
		       (unsigned long long)cases[i].want);
	ok(reg_refresh_ms(3600, 0.999999) <= (3600 - 32) * 1000ull,
	   "never later than E-32 s above 64 s");
}

/* ---- instance id ------------------------------------------------------- */

static void test_instance_id(void)
{
	char dir[] = "/tmp/sipws-tsx-XXXXXX";
	char a[64], b[64], c[64], path[256];
	FILE *f;

	ok(sip_uuid_valid("0f8fad5b-d9cb-469f-a165-70867728950e", 36),
	   "a UUID is valid");
	ok(!sip_uuid_valid("0f8fad5b-d9cb-469f-a165-70867728950", 35),
	   "one digit short is not");
	ok(!sip_uuid_valid("0f8fad5bxd9cb-469f-a165-70867728950e", 36),
	   "a bad separator is not");
	ok(!sip_uuid_valid("0f8fad5b-d9cb-469f-a165-70867728950g", 36),
	   "a non-hex digit is not");

	if (mkdtemp(dir) == NULL) {
		skip_block(9, "mkdtemp failed");
		return;
	}
	is_int(0, sip_instance_id_load(dir, "work", a, sizeof(a)),
	       "an instance id is made for a new profile");
	ok(sip_uuid_valid(a, strlen(a)) && a[14] == '4' &&
		   strchr("89ab", a[19]) != NULL,
	   "it is a version 4 UUID (%s)", a);
	is_int(0, sip_instance_id_load(dir, "work", b, sizeof(b)),
	       "loaded again");
	is_string(a, b, "the same id comes back");
	is_int(0, sip_instance_id_load(dir, NULL, c, sizeof(c)),
	       "the default profile gets its own");
	ok(strcmp(a, c) != 0, "a different one");
	is_int(ENOSPC, sip_instance_id_load(dir, "work", b, 36),
	       "36 bytes are one short");
	is_int(EINVAL, sip_instance_id_load(dir, "../x", b, sizeof(b)),
	       "a profile with '/' is refused");
	snprintf(path, sizeof(path), "%s/bad/instance-id", dir);
	snprintf(b, sizeof(b), "%s/bad", dir);
	mkdir(b, 0700);
	f = fopen(path, "w");
	if (f != NULL) {
		fputs("not a uuid\n", f);
		fclose(f);
	}
	is_int(EBADMSG, sip_instance_id_load(dir, "bad", b, sizeof(b)),
	       "a damaged file is reported, not replaced");
	unlink(path);
	snprintf(path, sizeof(path), "%s/bad", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/work/instance-id", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/work", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/default/instance-id", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/default", dir);
	rmdir(path);
	rmdir(dir);
}

/* ---- the 400 for what does not decode -------------------------------- */

static void test_bad_request(void)
{
	static const char broken[] =
		"INVITE sip:bob@example.org SIP/2.0\r\n"
		"Via: SIP/2.0/WS a.invalid;branch=z9hG4bK1\r\n"
		"v: SIP/2.0/UDP p.example.org;branch=z9hG4bK2\r\n"
		"To: <sip:bob@example.org>\r\n"
		"f: \"Al\" <sip:alice@example.org>;tag=9\r\n"
		"Call-ID: x@y\r\n"
		"CSeq: 1 INVITE\r\n"
		"Contact: <sip:a@b;;;>>\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char want[] =
		"SIP/2.0 400 Bad Request\r\n"
		"Via: SIP/2.0/WS a.invalid;branch=z9hG4bK1\r\n"
		"v: SIP/2.0/UDP p.example.org;branch=z9hG4bK2\r\n"
		"f: \"Al\" <sip:alice@example.org>;tag=9\r\n"
		"To: <sip:bob@example.org>\r\n"
		"Call-ID: x@y\r\n"
		"CSeq: 1 INVITE\r\n"
		"Content-Length: 0\r\n\r\n";
	static const struct {
		const char *msg;
		const char *what;
	} refused[] = {
		{"SIP/2.0 200 OK\r\nVia: v\r\nFrom: f\r\nTo: t\r\nCall-ID: c\r\n"
		 "CSeq: 1 X\r\n\r\n", "a response"},
		{"ACK sip:b@example.org SIP/2.0\r\nVia: v\r\nFrom: f\r\nTo: t\r\n"
		 "Call-ID: c\r\nCSeq: 1 ACK\r\n\r\n", "an ACK"},
		{"INVITE sip:b@example.org SIP/2.0\r\nFrom: f\r\nTo: t\r\n"
		 "Call-ID: c\r\nCSeq: 1 INVITE\r\n\r\n", "no Via"},
		{"INVITE sip:b@example.org SIP/2.0\r\nVia: v\r\nFrom: f\r\n"
		 "To: t\r\nCSeq: 1 INVITE\r\n\r\n", "no Call-ID"},
		{"INVITE sip:b@example.org SIP/2.0\r\nVia: v\r\nFrom: f\r\n"
		 "From: g\r\nTo: t\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n",
		 "two From"},
		{"INVITE sip:b@example.org SIP/3.0\r\nVia: v\r\nFrom: f\r\n"
		 "To: t\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n", "not SIP/2.0"},
		{"INVITE sip:b@example.org SIP/2.0\r\nVia: v\r\nFrom: f\001\r\n"
		 "To: t\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n",
		 "a control character"},
		{"garbage", "garbage"},
	};
	char buf[1024];
	size_t i, len = 0;

	is_int(0, sip_bad_request_reply(broken, sizeof(broken) - 1, buf,
					sizeof(buf), &len),
	       "a request with a broken Contact gets a 400");
	is_bytes(want, buf, len, "... made of its routing lines, in order");
	is_int(ENOSPC, sip_bad_request_reply(broken, sizeof(broken) - 1, buf,
					     10, &len),
	       "too small a buffer: ENOSPC");
	is_int((long long)(sizeof(want) - 1), (long long)len,
	       "... with the length needed");
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		is_int(EBADMSG,
		       sip_bad_request_reply(refused[i].msg, strlen(refused[i].msg),
					     buf, sizeof(buf), &len),
		       "nothing to answer: %s", refused[i].what);
}

int main(void)
{
	plan_lazy();
	test_timers();
	test_tokens();
	test_server_keys();
	test_cancel_and_client_keys();
	test_response_vias();
	test_classify();
	test_bad_request();
	test_refresh();
	test_instance_id();
	return 0;
}
