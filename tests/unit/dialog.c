/* Dialogs (RFC 3261 §12): a UAC and a UAS dialog through two
 * record-routing proxies (RFC 3665 §3.2), the strict-routing example of
 * §12.2.1.1, matching, CSeq rules, target refresh, glare states, and the
 * CANCEL / non-2xx ACK copy helper (§9.1, §17.1.1.3), each built request
 * compared byte for byte. */
#include "dialog.h"
#include "sipflow.h"

#include <errno.h>
#include <stdio.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* RFC 3665 §3.2 (Alice calls Bob through ss1.atlanta and ss2.biloxi),
 * on TCP, the authenticated INVITE (CSeq 2) as Alice sent it (F7). */
static const char *invite_f7 =
	"INVITE sip:bob@biloxi.example.com SIP/2.0\n"
	"Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\n"
	"Max-Forwards: 70\n"
	"Route: <sip:ss1.atlanta.example.com;lr>\n"
	"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
	"To: Bob <sip:bob@biloxi.example.com>\n"
	"Call-ID: 3848276298220188511@atlanta.example.com\n"
	"CSeq: 2 INVITE\n"
	"Proxy-Authorization: Digest username=\"alice\", realm=\"atlanta.example.com\", nonce=\"wf84f1ceczx41ae6cbe5aea9c8e88d359\", opaque=\"\", uri=\"sip:bob@biloxi.example.com\", response=\"42ce3cef44b22f50c6a6071bc8\"\n"
	"Contact: <sip:alice@client.atlanta.example.com;transport=tcp>\n"
	"Content-Length: 0\n"
	"\n";

/* The same INVITE as Bob received it (F11 / F13). */
static const char *invite_f13 =
	"INVITE sip:bob@client.biloxi.example.com SIP/2.0\n"
	"Via: SIP/2.0/TCP ss2.biloxi.example.com:5060;branch=z9hG4bK721e4.1\n"
	"Via: SIP/2.0/TCP ss1.atlanta.example.com:5060;branch=z9hG4bK2d4790.1;received=192.0.2.111\n"
	"Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;received=192.0.2.101\n"
	"Max-Forwards: 68\n"
	"Record-Route: <sip:ss2.biloxi.example.com;lr>, <sip:ss1.atlanta.example.com;lr>\n"
	"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
	"To: Bob <sip:bob@biloxi.example.com>\n"
	"Call-ID: 3848276298220188511@atlanta.example.com\n"
	"CSeq: 2 INVITE\n"
	"Contact: <sip:alice@client.atlanta.example.com;transport=tcp>\n"
	"Content-Length: 0\n"
	"\n";

/* F17 (180) and F20 (200): Bob's responses as Alice receives them. */
static struct sipmsg *response_to_alice(const char *status_line)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "SIP/2.0 %s\n"
		 "Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;received=192.0.2.101\n"
		 "Record-Route: <sip:ss2.biloxi.example.com;lr>, <sip:ss1.atlanta.example.com;lr>\n"
		 "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
		 "To: Bob <sip:bob@biloxi.example.com>;tag=314159\n"
		 "Call-ID: 3848276298220188511@atlanta.example.com\n"
		 "CSeq: 2 INVITE\n"
		 "Contact: <sip:bob@client.biloxi.example.com;transport=tcp>\n"
		 "Content-Length: 0\n"
		 "\n",
		 status_line);
	return flow_msg(text);
}

/* F23: the ACK, and F24: Alice's BYE (the RFC writes the Route values on
 * one line; we write one field each): the same but for method and CSeq. */
#define ALICE_REQUEST(method, cseq) \
	method " sip:bob@client.biloxi.example.com;transport=tcp SIP/2.0\n" \
	"Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK<rand>\n" \
	"Max-Forwards: 70\n" \
	"Route: <sip:ss1.atlanta.example.com;lr>\n" \
	"Route: <sip:ss2.biloxi.example.com;lr>\n" \
	"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n" \
	"To: Bob <sip:bob@biloxi.example.com>;tag=314159\n" \
	"Call-ID: 3848276298220188511@atlanta.example.com\n" \
	"CSeq: " cseq " " method "\n" \
	"Content-Length: 0\n" \
	"\n"
static const char *ack_f23 = ALICE_REQUEST("ACK", "2");
static const char *bye_alice = ALICE_REQUEST("BYE", "3");

/* Bob hangs up instead: the route set in Record-Route order, his first
 * request in the dialog numbered 1 (§12.2.1.1: his number was empty). */
static const char *bye_bob =
	"BYE sip:alice@client.atlanta.example.com;transport=tcp SIP/2.0\n"
	"Via: SIP/2.0/TCP client.biloxi.example.com:5060;branch=z9hG4bK<rand>\n"
	"Max-Forwards: 70\n"
	"Route: <sip:ss2.biloxi.example.com;lr>\n"
	"Route: <sip:ss1.atlanta.example.com;lr>\n"
	"From: Bob <sip:bob@biloxi.example.com>;tag=314159\n"
	"To: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
	"Call-ID: 3848276298220188511@atlanta.example.com\n"
	"CSeq: 1 BYE\n"
	"Content-Length: 0\n"
	"\n";

static void test_uac_through_proxies(void)
{
	struct sipmsg *inv = flow_msg(invite_f7),
		      *r180 = response_to_alice("180 Ringing"),
		      *r200 = response_to_alice("200 OK"), *m = NULL;
	struct dialog *d = NULL;
	const char *via = "SIP/2.0/TCP client.atlanta.example.com:5060";

	is_int(0, dialog_alloc_uac(&d, inv, r180, 0), "UAC: early dialog from the 180");
	is_int(DIALOG_EARLY, dialog_state(d), "UAC: early");
	is_string("314159", dialog_remote_tag(d), "UAC: remote tag from To");
	is_string("9fxced76sl", dialog_local_tag(d), "UAC: local tag from From");
	is_string("3848276298220188511@atlanta.example.com", dialog_call_id(d),
		  "UAC: Call-ID");
	is_int(2, dialog_route_count(d), "UAC: two routes");
	is_string("<sip:ss1.atlanta.example.com;lr>", dialog_route_at(d, 0),
		  "UAC: route set is Record-Route reversed (first)");
	is_string("<sip:ss2.biloxi.example.com;lr>", dialog_route_at(d, 1),
		  "UAC: route set is Record-Route reversed (second)");
	ok(dialog_route_at(d, 2) == NULL, "UAC: no third route");
	is_string("sip:bob@client.biloxi.example.com;transport=tcp",
		  dialog_remote_target(d), "UAC: remote target from Contact");
	is_int(2, dialog_local_cseq(d), "UAC: local CSeq is the INVITE's");
	is_int(0, dialog_remote_cseq(d), "UAC: remote CSeq empty");
	ok(!dialog_secure(d), "UAC: not secure over TCP and sip:");
	ok(dialog_match(d, r200), "UAC: the 200 matches the dialog");
	is_int(0, dialog_response_receive(d, r200), "UAC: 200 received");
	is_int(DIALOG_CONFIRMED, dialog_state(d), "UAC: confirmed by the 200");

	is_int(0, dialog_request_new(d, "ACK", via, &m), "UAC: ACK built");
	flow_is(ack_f23, m, "UAC: ACK for the 2xx (F23), new branch");
	is_int(2, dialog_local_cseq(d), "UAC: ACK does not use a CSeq number");
	sipmsg_free(m);
	m = NULL;
	is_int(0, dialog_request_new(d, "BYE", via, &m), "UAC: BYE built");
	flow_is(bye_alice, m, "UAC: BYE (F24 with CSeq 3)");
	is_int(3, dialog_local_cseq(d), "UAC: local CSeq incremented");
	is_int(EINVAL, dialog_request_new(d, "CANCEL", via, &m),
	       "UAC: CANCEL is not an in-dialog request");
	sipmsg_free(m);
	dialog_free(d);
	sipmsg_free(inv);
	sipmsg_free(r180);
	sipmsg_free(r200);
}

static void test_uas_through_proxies(void)
{
	struct sipmsg *inv = flow_msg(invite_f13), *m = NULL;
	struct dialog *d = NULL;

	is_int(0, dialog_alloc_uas(&d, inv, "314159",
				   "<sip:bob@client.biloxi.example.com;transport=tcp>",
				   0),
	       "UAS: dialog from the INVITE");
	is_int(DIALOG_EARLY, dialog_state(d), "UAS: early until the 2xx");
	dialog_confirm(d);
	is_int(DIALOG_CONFIRMED, dialog_state(d), "UAS: confirmed");
	is_string("<sip:ss2.biloxi.example.com;lr>", dialog_route_at(d, 0),
		  "UAS: route set in Record-Route order");
	is_string("sip:alice@client.atlanta.example.com;transport=tcp",
		  dialog_remote_target(d), "UAS: remote target from Contact");
	is_int(2, dialog_remote_cseq(d), "UAS: remote CSeq is the INVITE's");
	is_int(0, dialog_local_cseq(d), "UAS: local CSeq empty");
	is_int(0, dialog_request_new(d, "BYE",
				     "SIP/2.0/TCP client.biloxi.example.com:5060",
				     &m),
	       "UAS: BYE built");
	flow_is(bye_bob, m, "UAS: BYE from Bob");
	sipmsg_free(m);
	dialog_free(d);
	d = NULL;
	is_int(0, dialog_alloc_uas(&d, inv, NULL, NULL, 0),
	       "UAS: a random local tag when none is given");
	is_int(TSX_TAG_CHARS, strlen(dialog_local_tag(d)), "UAS: tag length");
	dialog_free(d);
	sipmsg_free(inv);
}

/* What both requests below carry: Route = the rest of the route set
 * and the remote target last. */
#define STRICT_HEADERS \
	"Max-Forwards: 70\n" \
	"Route: <sip:proxy2>\n" \
	"Route: <sip:proxy3;lr>\n" \
	"Route: <sip:proxy4>\n" \
	"Route: <sip:user@remoteua>\n" \
	"From: <sip:me@example.com>;tag=aa\n" \
	"To: <sip:user@example.com>;tag=bb\n" \
	"Call-ID: strict@example.com\n"

/* §12.2.1.1's example: route set <sip:proxy1>, <sip:proxy2>,
 * <sip:proxy3;lr>, <sip:proxy4> and remote target <sip:user@remoteua>. */
static void test_strict_route(void)
{
	struct sipmsg *inv = flow_msg(
		"INVITE sip:user@example.com SIP/2.0\n"
		"Via: SIP/2.0/WSS a.invalid;branch=z9hG4bKstrict1\n"
		"From: <sip:me@example.com>;tag=aa\n"
		"To: <sip:user@example.com>\n"
		"Call-ID: strict@example.com\n"
		"CSeq: 10 INVITE\n"
		"Contact: <sip:me@a.invalid;transport=ws>\n"
		"\n");
	struct sipmsg *ok200 = flow_msg(
		"SIP/2.0 200 OK\n"
		"Via: SIP/2.0/WSS a.invalid;branch=z9hG4bKstrict1\n"
		"Record-Route: <sip:proxy4>, <sip:proxy3;lr>\n"
		"Record-Route: <sip:proxy2>, <sip:proxy1>\n"
		"From: <sip:me@example.com>;tag=aa\n"
		"To: <sip:user@example.com>;tag=bb\n"
		"Call-ID: strict@example.com\n"
		"CSeq: 10 INVITE\n"
		"Contact: <sip:user@remoteua>\n"
		"\n");
	struct sipmsg *m = NULL;
	struct dialog *d = NULL;

	is_int(0, dialog_alloc_uac(&d, inv, ok200, 0), "strict: confirmed dialog from a 200");
	is_int(0, dialog_request_new(d, "INFO", NULL, &m), "strict: INFO built");
	flow_is("INFO sip:proxy1 SIP/2.0\n" STRICT_HEADERS
		"CSeq: 11 INFO\n"
		"Content-Length: 0\n"
		"\n",
		m, "strict: Request-URI the first route, remote target last Route");
	sipmsg_free(m);
	m = NULL;
	is_int(0, dialog_request_new(d, "INVITE", NULL, &m), "strict: re-INVITE built");
	flow_is("INVITE sip:proxy1 SIP/2.0\n" STRICT_HEADERS
		"CSeq: 12 INVITE\n"
		"Contact: <sip:me@a.invalid;transport=ws>\n"
		"Content-Length: 0\n"
		"\n",
		m, "strict: re-INVITE carries our Contact");
	ok(dialog_invite_pending(d, true), "strict: our re-INVITE is pending");
	sipmsg_free(m);
	m = NULL;
	is_int(0, dialog_request_new(d, "ACK", NULL, &m), "strict: ACK of the re-INVITE");
	{
		char *t = flow_text(m);

		ok(strstr(t, "\nCSeq: 12 ACK\n") != NULL,
		   "strict: the ACK carries the re-INVITE's number");
		free(t);
	}
	sipmsg_free(m);
	dialog_free(d);
	sipmsg_free(inv);
	sipmsg_free(ok200);
}

/* Requests arriving in Bob's dialog (§12.2.2). */
static void test_uas_requests(void)
{
	static const struct {
		const char *what;
		const char *from_tag, *to_tag;
		unsigned cseq;
		const char *method;
		bool match;
		unsigned status;           /* from dialog_request_receive */
	} cases[] = {
		{"BYE in the dialog", "9fxced76sl", "314159", 3, "BYE", true, 0},
		{"INFO, lower CSeq: 500", "9fxced76sl", "314159", 1, "INFO", true, 500},
		{"ACK is never checked", "9fxced76sl", "314159", 2, "ACK", true, 0},
		{"wrong remote tag", "other", "314159", 3, "BYE", false, 0},
		{"wrong local tag", "9fxced76sl", "other", 3, "BYE", false, 0},
	};
	struct sipmsg *inv = flow_msg(invite_f13);
	struct dialog *d = NULL;
	char text[1024];
	size_t i;

	if (dialog_alloc_uas(&d, inv, "314159", NULL, 0) != 0)
		bail("dialog_alloc_uas");
	for (i = 0; i < N(cases); i++) {
		struct sipmsg *req;
		unsigned status = 99;

		snprintf(text, sizeof(text),
			 "%s sip:bob@client.biloxi.example.com SIP/2.0\n"
			 "Via: SIP/2.0/TCP ss2.biloxi.example.com;branch=z9hG4bKq%zu\n"
			 "From: Alice <sip:alice@atlanta.example.com>;tag=%s\n"
			 "To: Bob <sip:bob@biloxi.example.com>;tag=%s\n"
			 "Call-ID: 3848276298220188511@atlanta.example.com\n"
			 "CSeq: %u %s\n\n",
			 cases[i].method, i, cases[i].from_tag, cases[i].to_tag,
			 cases[i].cseq, cases[i].method);
		req = flow_msg(text);
		is_int(cases[i].match, dialog_match(d, req), "%s: match",
		       cases[i].what);
		if (cases[i].match) {
			is_int(0, dialog_request_receive(d, req, &status),
			       "%s: received", cases[i].what);
			is_int(cases[i].status, status, "%s: status", cases[i].what);
		} else {
			is_int(481, dialog_unmatched_status(req),
			       "%s: 481 when no dialog matches", cases[i].what);
		}
		sipmsg_free(req);
	}
	is_int(3, dialog_remote_cseq(d), "remote CSeq is the highest accepted");
	dialog_free(d);
	sipmsg_free(inv);
}

/* Re-INVITEs: target refresh, glare (§14.2) in both orders. */
static void test_reinvite(void)
{
	struct sipmsg *inv = flow_msg(invite_f13), *m = NULL, *reinv, *reinv2,
		      *r491, *ack;
	struct dialog *d = NULL;
	unsigned status = 99;

	reinv = flow_msg(
		"INVITE sip:bob@client.biloxi.example.com SIP/2.0\n"
		"Via: SIP/2.0/TCP ss2.biloxi.example.com;branch=z9hG4bKre1\n"
		"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
		"To: Bob <sip:bob@biloxi.example.com>;tag=314159\n"
		"Call-ID: 3848276298220188511@atlanta.example.com\n"
		"CSeq: 3 INVITE\n"
		"Contact: <sip:alice@moved.atlanta.example.com;transport=tcp>\n\n");
	reinv2 = flow_msg(
		"INVITE sip:bob@client.biloxi.example.com SIP/2.0\n"
		"Via: SIP/2.0/TCP ss2.biloxi.example.com;branch=z9hG4bKre2\n"
		"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
		"To: Bob <sip:bob@biloxi.example.com>;tag=314159\n"
		"Call-ID: 3848276298220188511@atlanta.example.com\n"
		"CSeq: 4 INVITE\n\n");
	ack = flow_msg(
		"ACK sip:bob@client.biloxi.example.com SIP/2.0\n"
		"Via: SIP/2.0/TCP ss2.biloxi.example.com;branch=z9hG4bKack\n"
		"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
		"To: Bob <sip:bob@biloxi.example.com>;tag=314159\n"
		"Call-ID: 3848276298220188511@atlanta.example.com\n"
		"CSeq: 3 ACK\n\n");
	if (dialog_alloc_uas(&d, inv, "314159", NULL, 0) != 0)
		bail("dialog_alloc_uas");
	dialog_confirm(d);
	is_int(0, dialog_request_receive(d, reinv, &status), "re-INVITE received");
	is_int(0, status, "re-INVITE accepted");
	is_string("sip:alice@moved.atlanta.example.com;transport=tcp",
		  dialog_remote_target(d), "re-INVITE refreshed the remote target");
	ok(dialog_invite_pending(d, false), "the peer's re-INVITE is pending");
	is_int(0, dialog_request_receive(d, reinv2, &status), "second re-INVITE");
	is_int(500, status, "a re-INVITE while one is unanswered: 500");
	is_int(0, dialog_request_receive(d, ack, &status), "ACK of the re-INVITE");
	is_int(0, status, "ACK passes");
	dialog_invite_done(d, false);
	/* our own re-INVITE, and the peer's arriving meanwhile: 491 */
	is_int(0, dialog_request_new(d, "INVITE", NULL, &m), "our re-INVITE");
	is_int(0, dialog_request_receive(d, reinv2, &status), "glare re-INVITE");
	is_int(491, status, "glare: 491 while our re-INVITE is pending");
	r491 = flow_msg(
		"SIP/2.0 491 Request Pending\n"
		"Via: SIP/2.0/TCP client.biloxi.example.com;branch=z9hG4bKx\n"
		"From: Bob <sip:bob@biloxi.example.com>;tag=314159\n"
		"To: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
		"Call-ID: 3848276298220188511@atlanta.example.com\n"
		"CSeq: 1 INVITE\n\n");
	ok(dialog_match(d, r491), "the 491 to our re-INVITE matches");
	is_int(0, dialog_response_receive(d, r491), "491 received");
	ok(!dialog_invite_pending(d, true), "a final ends our pending re-INVITE");
	sipmsg_free(r491);
	sipmsg_free(m);
	sipmsg_free(reinv);
	sipmsg_free(reinv2);
	sipmsg_free(ack);
	dialog_free(d);
	sipmsg_free(inv);
}

static void test_derive(void)
{
	struct sipmsg *inv = flow_msg(invite_f7), *m = NULL, *r486;

	r486 = flow_msg(
		"SIP/2.0 486 Busy Here\n"
		"Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;received=192.0.2.101\n"
		"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
		"To: Bob <sip:bob@biloxi.example.com>;tag=314159\n"
		"Call-ID: 3848276298220188511@atlanta.example.com\n"
		"CSeq: 2 INVITE\n\n");
	is_int(0, dialog_derive(&m, DIALOG_DERIVE_CANCEL, inv, NULL), "CANCEL derived");
	flow_is("CANCEL sip:bob@biloxi.example.com SIP/2.0\n"
		"Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\n"
		"Max-Forwards: 70\n"
		"Route: <sip:ss1.atlanta.example.com;lr>\n"
		"To: Bob <sip:bob@biloxi.example.com>\n"
		"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
		"Call-ID: 3848276298220188511@atlanta.example.com\n"
		"CSeq: 2 CANCEL\n"
		"Content-Length: 0\n"
		"\n",
		m, "CANCEL: the INVITE's Request-URI, Via/branch, Route, To, From, Call-ID, CSeq number");
	sipmsg_free(m);
	m = NULL;
	is_int(0, dialog_derive(&m, DIALOG_DERIVE_ACK, inv, r486), "non-2xx ACK derived");
	flow_is("ACK sip:bob@biloxi.example.com SIP/2.0\n"
		"Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\n"
		"Max-Forwards: 70\n"
		"Route: <sip:ss1.atlanta.example.com;lr>\n"
		"To: Bob <sip:bob@biloxi.example.com>;tag=314159\n"
		"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
		"Call-ID: 3848276298220188511@atlanta.example.com\n"
		"CSeq: 2 ACK\n"
		"Content-Length: 0\n"
		"\n",
		m, "ACK of a 486: same branch, To with the response's tag");
	sipmsg_free(m);
	m = NULL;
	is_int(EINVAL, dialog_derive(&m, DIALOG_DERIVE_ACK, inv, NULL),
	       "ACK needs the response");
	{
		struct dialog *d = NULL;

		is_int(EPROTO, dialog_alloc_uac(&d, inv, r486, 0),
		       "a 486 makes no dialog");
		ok(d == NULL, "no dialog was returned");
	}
	sipmsg_free(r486);
	sipmsg_free(inv);
}

static void test_refusals(void)
{
	static const struct {
		const char *what;
		const char *resp;
		int err;
	} cases[] = {
		{"100 makes no dialog",
		 "SIP/2.0 100 Trying\nTo: <sip:b@x>;tag=t\n", EPROTO},
		{"180 without To tag",
		 "SIP/2.0 180 Ringing\nTo: <sip:b@x>\n", EPROTO},
		{"200 without Contact",
		 "SIP/2.0 200 OK\nTo: <sip:b@x>;tag=t\n", EBADMSG},
		{"200 with Contact: *",
		 "SIP/2.0 200 OK\nTo: <sip:b@x>;tag=t\nContact: *\n", EBADMSG},
		{"180 without Contact: early, target = Request-URI",
		 "SIP/2.0 180 Ringing\nTo: <sip:b@x>;tag=t\n", 0},
		{"sips: over TLS is secure",
		 "SIP/2.0 200 OK\nTo: <sip:b@x>;tag=t\nContact: <sips:b@y>\n", 0},
	};
	struct sipmsg *inv = flow_msg(
		"INVITE sips:b@x SIP/2.0\n"
		"Via: SIP/2.0/WSS a.invalid;branch=z9hG4bKr\n"
		"From: <sip:a@x>;tag=f\n"
		"To: <sip:b@x>\n"
		"Call-ID: c@x\n"
		"CSeq: 1 INVITE\n\n");
	char text[512];
	size_t i;

	for (i = 0; i < N(cases); i++) {
		struct sipmsg *resp;
		struct dialog *d = NULL;

		snprintf(text, sizeof(text),
			 "%sVia: SIP/2.0/WSS a.invalid;branch=z9hG4bKr\n"
			 "From: <sip:a@x>;tag=f\nCall-ID: c@x\nCSeq: 1 INVITE\n\n",
			 cases[i].resp);
		resp = flow_msg(text);
		is_int(cases[i].err,
		       dialog_alloc_uac(&d, inv, resp, DIALOG_SECURE_TRANSPORT),
		       "%s", cases[i].what);
		if (i == 4)
			is_string("sips:b@x", dialog_remote_target(d),
				  "early dialog without Contact targets the Request-URI");
		if (i == 5)
			ok(dialog_secure(d), "secure flag set");
		dialog_free(d);
		sipmsg_free(resp);
	}
	{
		struct dialog *d = NULL;

		is_int(EBADMSG, dialog_alloc_uas(&d, inv, "x", NULL, 0),
		       "UAS dialog needs a Contact in the INVITE");
		ok(d == NULL, "no UAS dialog was returned");
	}
	sipmsg_free(inv);
}

int main(void)
{
	plan_lazy();
	test_uac_through_proxies();
	test_uas_through_proxies();
	test_strict_route();
	test_uas_requests();
	test_reinvite();
	test_derive();
	test_refusals();
	return 0;
}
