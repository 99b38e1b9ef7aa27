/* INVITE client and server machines over a reliable transport: each
 * event's actions compared as a list ("stop B, progress 180 early
 * dialog=a, ..."), the requests and responses they carry compared byte
 * for byte; forking (two early dialogs, two 2xx), CANCEL before and after
 * a provisional, Timer B, the no-answer timer, Timer H/L; the §14.1 glare
 * delays; RFC 4028 session-timer parsing and negotiation as JsSIP does
 * it; INFO DTMF bodies as JsSIP sends them. */
#include "invite.h"
#include "sipflow.h"

#include <errno.h>
#include <stdio.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define VIA "SIP/2.0/WSS df7jal23ls0d.invalid"

static const char *timer_name(enum invite_timer t)
{
	static const char *const names[] = {"B", "NO_ANSWER", "M", "H", "L"};

	return (size_t)t < N(names) ? names[t] : "?";
}

/* One line describing the actions (messages by method or status). */
static void acts_text(const struct invite_actions *acts, char *buf,
		      size_t size)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < acts->count && n < size; i++) {
		const struct invite_action *a = &acts->a[i];
		struct span m = a->msg != NULL ? sipmsg_method(a->msg) : SPAN_NULL;
		const char *sep = i > 0 ? ", " : "";
		const char *tag = a->dialog != NULL ? dialog_remote_tag(a->dialog)
						    : NULL;

		switch (a->what) {
		case INVITE_DO_SEND:
		case INVITE_DO_REQUEST:
			n += (size_t)snprintf(buf + n, size - n, "%s%s %.*s", sep,
					      a->what == INVITE_DO_SEND ? "send"
									: "request",
					      (int)m.len, m.p);
			break;
		case INVITE_DO_RESPOND:
			n += (size_t)snprintf(buf + n, size - n, "%srespond %u", sep,
					      sipmsg_status(a->msg));
			break;
		case INVITE_DO_TIMER_SET:
			n += (size_t)snprintf(buf + n, size - n, "%sset %s %u", sep,
					      timer_name(a->timer), a->ms);
			break;
		case INVITE_DO_TIMER_STOP:
			n += (size_t)snprintf(buf + n, size - n, "%sstop %s", sep,
					      timer_name(a->timer));
			break;
		case INVITE_DO_PROGRESS:
		case INVITE_DO_ANSWERED:
		case INVITE_DO_CONFIRMED:
		case INVITE_DO_FAILED:
			n += (size_t)snprintf(
				buf + n, size - n, "%s%s %u%s%s%s", sep,
				a->what == INVITE_DO_PROGRESS	 ? "progress"
				: a->what == INVITE_DO_ANSWERED	 ? "answered"
				: a->what == INVITE_DO_CONFIRMED ? "confirmed"
								 : "failed",
				a->status, a->early_media ? " early" : "",
				tag != NULL ? " dialog=" : "", tag != NULL ? tag : "");
			break;
		case INVITE_DO_ENDED:
			n += (size_t)snprintf(buf + n, size - n, "%sended", sep);
			break;
		}
	}
}

static void acts_is(const char *want, struct invite_actions *acts,
		    const char *what)
{
	char got[1024];

	acts_text(acts, got, sizeof(got));
	is_string(want, got, "%s: actions", what);
}

/* The message of the index-th action (NULL when none). */
static const struct sipmsg *act_msg(const struct invite_actions *acts,
				    size_t index)
{
	return index < acts->count ? acts->a[index].msg : NULL;
}

/* A JsSIP INVITE through Kamailio (as a forking proxy would pass on). */
static const char *jssip_invite =
	"INVITE sip:bob@example.org SIP/2.0\n"
	"Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK7185981\n"
	"Max-Forwards: 69\n"
	"Route: <sip:127.0.0.1:8443;transport=ws;lr>\n"
	"To: <sip:bob@example.org>\n"
	"From: \"Alice\" <sip:alice@example.org>;tag=gtjesgrq3b\n"
	"Call-ID: 8d4ovrp1dfg0ab8tuh6q\n"
	"CSeq: 8468 INVITE\n"
	"Contact: <sip:h5a3jd8k@df7jal23ls0d.invalid;transport=ws;ob>\n"
	"Allow: INVITE,ACK,CANCEL,BYE,UPDATE,MESSAGE,OPTIONS,REFER,INFO,NOTIFY\n"
	"Supported: timer,ice,replaces,outbound\n"
	"Session-Expires: 90\n"
	"Content-Type: application/sdp\n"
	"\n"
	"v=0\n";

/* A response to jssip_invite: status line, To tag, Contact, body. */
static struct sipmsg *resp(const char *status, const char *tag,
			   const char *contact, bool sdp)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "SIP/2.0 %s\n"
		 "Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK7185981\n"
		 "Record-Route: <sip:127.0.0.1:8443;transport=ws;lr>\n"
		 "To: <sip:bob@example.org>%s%s\n"
		 "From: \"Alice\" <sip:alice@example.org>;tag=gtjesgrq3b\n"
		 "Call-ID: 8d4ovrp1dfg0ab8tuh6q\n"
		 "CSeq: 8468 INVITE\n"
		 "%s%s%s"
		 "%s\n%s",
		 status, tag != NULL ? ";tag=" : "", tag != NULL ? tag : "",
		 contact != NULL ? "Contact: <" : "",
		 contact != NULL ? contact : "", contact != NULL ? ">\n" : "",
		 sdp ? "Content-Type: application/sdp\n" : "",
		 sdp ? "v=0\n" : "");
	return flow_msg(text);
}

static void client_step(struct invite_client *c, struct sipmsg *r,
			int want_err, const char *want, struct invite_actions *acts,
			const char *what)
{
	invite_actions_clear(acts);
	is_int(want_err, invite_client_response(c, r, acts), "%s: result", what);
	acts_is(want, acts, what);
	sipmsg_free(r);
}

static void test_client_forking(void)
{
	struct sipmsg *inv = flow_msg(jssip_invite);
	struct invite_actions acts = {0};
	struct invite_client *c = NULL;
	struct dialog *d;
	char *ack1;

	is_int(0, invite_client_alloc(&c, inv, VIA, 0, 0, 0, &acts), "client alloc");
	acts_is("set B 32000", &acts, "INVITE sent");
	client_step(c, resp("100 Trying", NULL, NULL, false), 0,
		    "stop B, progress 100", &acts, "100");
	client_step(c, resp("180 Ringing", "a1", "sip:bob@a.invalid;transport=ws", true),
		    0, "progress 180 early dialog=a1", &acts, "180 with SDP from fork a1");
	client_step(c, resp("183 Session Progress", "b2", "sip:bob@b.invalid;transport=ws", false),
		    0, "progress 183 dialog=b2", &acts, "183 from fork b2");
	is_int(2, invite_client_early_count(c), "two early dialogs");
	client_step(c, resp("200 OK", "a1", "sip:bob@a.invalid;transport=ws", true),
		    0, "send ACK, answered 200 early dialog=a1, set M 32000", &acts,
		    "first 2xx wins");
	flow_is("ACK sip:bob@a.invalid;transport=ws SIP/2.0\n"
		"Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK<rand>\n"
		"Max-Forwards: 70\n"
		"Route: <sip:127.0.0.1:8443;transport=ws;lr>\n"
		"From: \"Alice\" <sip:alice@example.org>;tag=gtjesgrq3b\n"
		"To: <sip:bob@example.org>;tag=a1\n"
		"Call-ID: 8d4ovrp1dfg0ab8tuh6q\n"
		"CSeq: 8468 ACK\n"
		"Content-Length: 0\n"
		"\n",
		act_msg(&acts, 0), "ACK of the 2xx: end to end, new branch");
	if (sipmsg_encode_alloc(act_msg(&acts, 0), &ack1, NULL) != 0)
		bail("encode");
	ok(strstr(ack1, "z9hG4bK7185981") == NULL,
	   "the ACK's branch is not the INVITE's");
	client_step(c, resp("200 OK", "a1", "sip:bob@a.invalid;transport=ws", true),
		    0, "send ACK", &acts, "retransmitted 2xx");
	{
		char *ack2 = NULL;

		if (sipmsg_encode_alloc(act_msg(&acts, 0), &ack2, NULL) != 0)
			bail("encode");
		is_string(ack1, ack2, "re-ACK: the same ACK again");
		free(ack2);
	}
	free(ack1);
	client_step(c, resp("200 OK", "b2", "sip:bob@b.invalid;transport=ws", false),
		    0, "send ACK, request BYE", &acts, "2xx from the other fork");
	flow_is("BYE sip:bob@b.invalid;transport=ws SIP/2.0\n"
		"Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK<rand>\n"
		"Max-Forwards: 70\n"
		"Route: <sip:127.0.0.1:8443;transport=ws;lr>\n"
		"From: \"Alice\" <sip:alice@example.org>;tag=gtjesgrq3b\n"
		"To: <sip:bob@example.org>;tag=b2\n"
		"Call-ID: 8d4ovrp1dfg0ab8tuh6q\n"
		"CSeq: 8469 BYE\n"
		"Content-Length: 0\n"
		"\n",
		act_msg(&acts, 1), "the losing fork is BYEd in its own dialog");
	client_step(c, resp("486 Busy Here", "c3", NULL, false), 0, "", &acts,
		    "a late non-2xx after the answer is ignored");
	invite_actions_clear(&acts);
	is_int(EALREADY, invite_client_cancel(c, NULL, &acts), "no CANCEL after the answer");
	is_int(0, invite_client_timer(c, INVITE_TIMER_M, &acts), "Timer M");
	acts_is("ended", &acts, "Timer M");
	d = invite_client_dialog_take(c);
	ok(d != NULL && strcmp(dialog_remote_tag(d), "a1") == 0, "the winning dialog is handed over");
	is_int(DIALOG_CONFIRMED, dialog_state(d), "it is confirmed");
	is_string("sip:bob@a.invalid;transport=ws", dialog_remote_target(d), "its target");
	invite_actions_clear(&acts);
	invite_client_free(c);
	dialog_free(d);
	sipmsg_free(inv);
}

static void test_client_cancel(void)
{
	struct sipmsg *inv = flow_msg(jssip_invite);
	struct invite_actions acts = {0};
	struct invite_client *c = NULL;

	is_int(0, invite_client_alloc(&c, inv, VIA, 0, 0, 30000, &acts), "alloc");
	acts_is("set B 32000, set NO_ANSWER 30000", &acts, "INVITE with a no-answer timer");
	invite_actions_clear(&acts);
	is_int(0, invite_client_cancel(c, "SIP;cause=487;text=\"ORIGINATOR_CANCEL\"", &acts),
	       "cancel before a provisional");
	acts_is("", &acts, "no CANCEL before a provisional (§9.1)");
	client_step(c, resp("100 Trying", NULL, NULL, false), 0,
		    "stop B, progress 100, stop NO_ANSWER, request CANCEL, set B 32000",
		    &acts, "the provisional releases the CANCEL");
	flow_is("CANCEL sip:bob@example.org SIP/2.0\n"
		"Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK7185981\n"
		"Max-Forwards: 70\n"
		"Route: <sip:127.0.0.1:8443;transport=ws;lr>\n"
		"To: <sip:bob@example.org>\n"
		"From: \"Alice\" <sip:alice@example.org>;tag=gtjesgrq3b\n"
		"Call-ID: 8d4ovrp1dfg0ab8tuh6q\n"
		"CSeq: 8468 CANCEL\n"
		"Reason: SIP;cause=487;text=\"ORIGINATOR_CANCEL\"\n"
		"Content-Length: 0\n"
		"\n",
		act_msg(&acts, 3), "CANCEL copies the INVITE (§9.1)");
	invite_actions_clear(&acts);
	is_int(0, invite_client_cancel(c, NULL, &acts), "a second cancel");
	acts_is("", &acts, "only one CANCEL");
	client_step(c, resp("487 Request Terminated", "x9", NULL, false), 0,
		    "stop B, failed 487, ended", &acts, "487");
	invite_actions_clear(&acts);
	invite_client_free(c);

	/* ringing too long: the no-answer timer cancels, and without a 487
	 * the INVITE is given up 64*T1 later */
	c = NULL;
	if (invite_client_alloc(&c, inv, VIA, 0, 100, 5000, &acts) != 0)
		bail("alloc");
	acts_is("set B 6400, set NO_ANSWER 5000", &acts, "T1 100 ms");
	client_step(c, resp("180 Ringing", "r1", "sip:bob@r.invalid", false), 0,
		    "stop B, progress 180 dialog=r1", &acts, "180");
	invite_actions_clear(&acts);
	is_int(0, invite_client_timer(c, INVITE_TIMER_NO_ANSWER, &acts), "no answer");
	acts_is("request CANCEL, set B 6400", &acts, "no-answer timeout sends CANCEL");
	invite_actions_clear(&acts);
	is_int(0, invite_client_timer(c, INVITE_TIMER_B, &acts), "no 487");
	acts_is("failed 487, ended", &acts, "CANCEL unanswered: given up");
	invite_actions_clear(&acts);
	invite_client_free(c);
	sipmsg_free(inv);
}

static void test_client_failures(void)
{
	struct sipmsg *inv = flow_msg(jssip_invite);
	struct invite_actions acts = {0};
	struct invite_client *c = NULL;

	if (invite_client_alloc(&c, inv, VIA, 0, 0, 0, &acts) != 0)
		bail("alloc");
	invite_actions_clear(&acts);
	is_int(0, invite_client_timer(c, INVITE_TIMER_B, &acts), "Timer B");
	acts_is("failed 408, ended", &acts, "Timer B without a provisional");
	invite_actions_clear(&acts);
	invite_client_free(c);

	c = NULL;
	if (invite_client_alloc(&c, inv, VIA, 0, 0, 0, &acts) != 0)
		bail("alloc");
	invite_actions_clear(&acts);
	client_step(c, resp("486 Busy Here", "busy", NULL, false), 0,
		    "stop B, failed 486, ended", &acts, "486 at once");
	{
		struct sipmsg *other = flow_msg(
			"SIP/2.0 200 OK\n"
			"Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKzzz\n"
			"To: <sip:bob@example.org>;tag=q\n"
			"From: \"Alice\" <sip:alice@example.org>;tag=gtjesgrq3b\n"
			"Call-ID: 8d4ovrp1dfg0ab8tuh6q\n"
			"CSeq: 8467 INVITE\n"
			"Contact: <sip:q@q>\n\n");

		client_step(c, other, EBADMSG, "", &acts, "a response to another INVITE");
	}
	client_step(c, resp("200 OK", "late", "sip:bob@l.invalid", false), 0,
		    "send ACK, request BYE", &acts, "a 2xx after the 486 is ACKed and hung up");
	invite_actions_clear(&acts);
	invite_client_free(c);

	c = NULL;
	if (invite_client_alloc(&c, inv, VIA, 0, 0, 0, &acts) != 0)
		bail("alloc");
	{
		struct sipmsg *r = resp("100 Trying", NULL, NULL, false);

		is_int(0, invite_client_response(c, r, &acts), "100 on an uncleared list");
		is_int(ENOSPC, invite_client_response(c, r, &acts),
		       "no room for another event's actions: ENOSPC");
		is_int(3, acts.count, "  and nothing was added");
		sipmsg_free(r);
	}
	invite_actions_clear(&acts);
	client_step(c, resp("200 OK", NULL, "sip:bob@a.invalid", false), EBADMSG,
		    "", &acts, "2xx without To tag");
	client_step(c, resp("200 OK", "t", NULL, false), EBADMSG, "", &acts,
		    "2xx without Contact");
	client_step(c, resp("200 OK", "t", "sip:bob@a.invalid", false), 0,
		    "send ACK, answered 200 dialog=t, set M 32000", &acts,
		    "2xx after a 100 without To tag: no early dialog");
	invite_actions_clear(&acts);
	invite_client_free(c); /* frees the dialog not taken */

	c = NULL;
	if (invite_client_alloc(&c, inv, VIA, 0, 0, 0, &acts) != 0)
		bail("alloc");
	invite_actions_clear(&acts);
	client_step(c, resp("200 OK", "d", "sip:bob@d.invalid", false), 0,
		    "stop B, send ACK, answered 200 dialog=d, set M 32000", &acts,
		    "2xx without a provisional stops Timer B");
	invite_actions_clear(&acts);
	invite_client_free(c);
	sipmsg_free(inv);
}

static void server_step(int err, int want_err, const char *want,
			struct invite_actions *acts, const char *what)
{
	is_int(want_err, err, "%s: result", what);
	acts_is(want, acts, what);
}

static const char *ack_text(const char *tag)
{
	static char text[1024];

	snprintf(text, sizeof(text),
		 "ACK sip:bob@b.invalid;transport=ws SIP/2.0\n"
		 "Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKack\n"
		 "Route: <sip:127.0.0.1:8443;transport=ws;lr>\n"
		 "To: <sip:bob@example.org>;tag=%s\n"
		 "From: \"Alice\" <sip:alice@example.org>;tag=gtjesgrq3b\n"
		 "Call-ID: 8d4ovrp1dfg0ab8tuh6q\n"
		 "CSeq: 8468 ACK\n\n",
		 tag);
	return text;
}

static void test_server(void)
{
	struct sipmsg *inv = flow_msg(jssip_invite), *ack, *cancel;
	struct invite_actions acts = {0};
	struct invite_server *s = NULL;
	const char *contact = "<sip:bob@b.invalid;transport=ws>";

	server_step(invite_server_alloc(&s, inv, "bt1", contact, VIA, 0, 0, &acts),
		    0, "respond 100", &acts, "INVITE received");
	flow_is("SIP/2.0 100 Trying\n"
		"Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK7185981\n"
		"To: <sip:bob@example.org>\n"
		"From: \"Alice\" <sip:alice@example.org>;tag=gtjesgrq3b\n"
		"Call-ID: 8d4ovrp1dfg0ab8tuh6q\n"
		"CSeq: 8468 INVITE\n"
		"Content-Length: 0\n"
		"\n",
		act_msg(&acts, 0), "100 Trying has no To tag");
	invite_actions_clear(&acts);
	server_step(invite_server_respond(s, 180, NULL, NULL, 0, &acts), 0,
		    "respond 180", &acts, "ringing");
	ok(invite_server_dialog(s) != NULL &&
		   dialog_state(invite_server_dialog(s)) == DIALOG_EARLY,
	   "the 180 made an early dialog");
	invite_actions_clear(&acts);
	server_step(invite_server_respond(s, 200, "application/sdp", "v=0\r\n", 5, &acts),
		    0, "respond 200, set L 32000", &acts, "answer");
	flow_is("SIP/2.0 200 OK\n"
		"Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK7185981\n"
		"To: <sip:bob@example.org>;tag=bt1\n"
		"From: \"Alice\" <sip:alice@example.org>;tag=gtjesgrq3b\n"
		"Call-ID: 8d4ovrp1dfg0ab8tuh6q\n"
		"CSeq: 8468 INVITE\n"
		"Contact: <sip:bob@b.invalid;transport=ws>\n"
		"Content-Type: application/sdp\n"
		"Content-Length: 5\n"
		"\n"
		"v=0\n",
		act_msg(&acts, 0), "200 with tag, Contact and the SDP answer");
	invite_actions_clear(&acts);
	is_int(EALREADY, invite_server_respond(s, 486, NULL, NULL, 0, &acts),
	       "no second final");
	ack = flow_msg(ack_text("other"));
	is_int(ENOENT, invite_server_ack(s, ack, &acts), "an ACK of another dialog");
	sipmsg_free(ack);
	ack = flow_msg(ack_text("bt1"));
	server_step(invite_server_ack(s, ack, &acts), 0,
		    "stop L, confirmed 200 dialog=gtjesgrq3b, ended", &acts, "ACK of the 2xx");
	{
		struct dialog *d = invite_server_dialog_take(s);

		ok(d != NULL && dialog_state(d) == DIALOG_CONFIRMED, "UAS dialog confirmed");
		dialog_free(d);
	}
	invite_actions_clear(&acts);
	invite_server_free(s);
	sipmsg_free(ack);

	/* CANCEL while ringing */
	s = NULL;
	if (invite_server_alloc(&s, inv, "bt2", contact, VIA, 0, 0, &acts) != 0)
		bail("alloc");
	invite_actions_clear(&acts);
	(void)invite_server_respond(s, 180, NULL, NULL, 0, &acts);
	invite_actions_clear(&acts);
	cancel = flow_msg(
		"CANCEL sip:bob@example.org SIP/2.0\n"
		"Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK7185981\n"
		"To: <sip:bob@example.org>\n"
		"From: \"Alice\" <sip:alice@example.org>;tag=gtjesgrq3b\n"
		"Call-ID: 8d4ovrp1dfg0ab8tuh6q\n"
		"CSeq: 8468 CANCEL\n\n");
	server_step(invite_server_cancel(s, cancel, &acts), 0,
		    "respond 200, respond 487, set H 32000, failed 487", &acts, "CANCEL");
	flow_is("SIP/2.0 200 OK\n"
		"Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK7185981\n"
		"To: <sip:bob@example.org>;tag=bt2\n"
		"From: \"Alice\" <sip:alice@example.org>;tag=gtjesgrq3b\n"
		"Call-ID: 8d4ovrp1dfg0ab8tuh6q\n"
		"CSeq: 8468 CANCEL\n"
		"Content-Length: 0\n"
		"\n",
		act_msg(&acts, 0), "200 to the CANCEL with our To tag (§9.2)");
	invite_actions_clear(&acts);
	server_step(invite_server_cancel(s, cancel, &acts), 0, "respond 200", &acts,
		    "CANCEL after the final: 200 only");
	invite_actions_clear(&acts);
	ack = flow_msg(ack_text("bt2"));
	server_step(invite_server_ack(s, ack, &acts), 0, "stop H, ended", &acts,
		    "ACK of the 487");
	invite_actions_clear(&acts);
	sipmsg_free(ack);
	invite_server_free(s);
	sipmsg_free(cancel);

	/* busy, then Timer H; answered, then Timer L without ACK */
	s = NULL;
	if (invite_server_alloc(&s, inv, "bt3", contact, VIA, 0, 0, &acts) != 0)
		bail("alloc");
	invite_actions_clear(&acts);
	server_step(invite_server_respond(s, 486, NULL, NULL, 0, &acts), 0,
		    "respond 486, set H 32000", &acts, "busy");
	invite_actions_clear(&acts);
	server_step(invite_server_timer(s, INVITE_TIMER_H, &acts), 0, "ended", &acts,
		    "Timer H");
	invite_actions_clear(&acts);
	invite_server_free(s);
	s = NULL;
	if (invite_server_alloc(&s, inv, "bt4", contact, VIA, 0, 0, &acts) != 0)
		bail("alloc");
	invite_actions_clear(&acts);
	(void)invite_server_respond(s, 200, NULL, NULL, 0, &acts);
	invite_actions_clear(&acts);
	server_step(invite_server_timer(s, INVITE_TIMER_L, &acts), 0,
		    "request BYE, failed 408, ended", &acts, "Timer L without ACK");
	flow_is("BYE sip:h5a3jd8k@df7jal23ls0d.invalid;transport=ws;ob SIP/2.0\n"
		"Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK<rand>\n"
		"Max-Forwards: 70\n"
		"From: <sip:bob@example.org>;tag=bt4\n"
		"To: \"Alice\" <sip:alice@example.org>;tag=gtjesgrq3b\n"
		"Call-ID: 8d4ovrp1dfg0ab8tuh6q\n"
		"CSeq: 1 BYE\n"
		"Content-Length: 0\n"
		"\n",
		act_msg(&acts, 0), "BYE of an unacknowledged 2xx (§13.3.1.4)");
	invite_actions_clear(&acts);
	invite_server_free(s);
	sipmsg_free(inv);
}

static void test_glare(void)
{
	static const struct {
		bool owner;
		uint32_t rnd;
		unsigned ms;
	} cases[] = {
		{true, 0, 2100}, {true, 190, 4000}, {true, 191, 2100},
		{true, 0xffffffffu, 2100 + 10 * (0xffffffffu % 191)},
		{false, 0, 0}, {false, 200, 2000}, {false, 201, 0},
	};
	uint32_t r;
	bool in_range = true;
	size_t i;

	for (i = 0; i < N(cases); i++)
		is_int(cases[i].ms, invite_glare_delay_ms(cases[i].owner, cases[i].rnd),
		       "glare delay, owner %d, rnd %u", cases[i].owner,
		       (unsigned)cases[i].rnd);
	for (r = 0; r < 100000; r += 7) {
		unsigned a = invite_glare_delay_ms(true, r),
			 b = invite_glare_delay_ms(false, r);

		in_range = in_range && a >= 2100 && a <= 4000 && a % 10 == 0 &&
			   b <= 2000 && b % 10 == 0;
	}
	ok(in_range, "owner 2.1-4 s, other 0-2 s, in 10 ms units (§14.1)");
}

static void test_session_expires(void)
{
	static const struct {
		const char *text;
		int err;
		uint32_t interval;
		enum invite_refresher who;
	} cases[] = {
		{"90", 0, 90, INVITE_REFRESHER_NONE},
		{"1800;refresher=uac", 0, 1800, INVITE_REFRESHER_UAC},
		{" 1800 ; refresher = UAS ", 0, 1800, INVITE_REFRESHER_UAS},
		{"90;x=1;refresher=uas", 0, 90, INVITE_REFRESHER_UAS},
		{"0", ERANGE, 0, 0},
		{"2147484", ERANGE, 0, 0},
		{"99999999999999999999", ERANGE, 0, 0},
		{"abc", EBADMSG, 0, 0},
		{"", EBADMSG, 0, 0},
		{"90;refresher=foo", EBADMSG, 0, 0},
		{"90;;", EBADMSG, 0, 0},
		{"-90", EBADMSG, 0, 0},
	};
	size_t i;

	for (i = 0; i < N(cases); i++) {
		struct invite_session_expires se;
		int err = invite_session_expires_parse(span_from_str(cases[i].text), &se);

		is_int(cases[i].err, err, "Session-Expires \"%s\"", cases[i].text);
		if (err == 0 && cases[i].err == 0) {
			is_int(cases[i].interval, se.interval, "  interval");
			is_int(cases[i].who, se.refresher, "  refresher");
		}
	}
	{
		uint32_t v = 0;

		is_int(0, invite_min_se_parse(span_from_str("120;p=1"), &v), "Min-SE with a param");
		is_int(120, v, "Min-SE value");
		is_int(EBADMSG, invite_min_se_parse(span_from_str("x"), &v), "Min-SE: x");
	}
}

static void test_session_negotiation(void)
{
	static const struct {
		const char *what;
		const char *headers;
		unsigned status;
		bool active, we_refresh;
		uint32_t refresh_ms, expire_ms;
		const char *se_value;
	} uas[] = {
		{"JsSIP: 90, Supported timer: the UAC refreshes",
		 "Supported: timer,ice\nSession-Expires: 90\n", 0, true, false, 0,
		 60000, "90;refresher=uac"},
		{"refresher=uas asked", "Session-Expires: 1800;refresher=uas\n", 0,
		 true, true, 900000, 0, "1800;refresher=uas"},
		{"no Supported timer: only we can refresh", "Session-Expires: 1800\n",
		 0, true, true, 900000, 0, "1800;refresher=uas"},
		{"below our Min-SE: 422", "Supported: timer\nSession-Expires: 60\n",
		 422, false, false, 0, 0, ""},
		{"no Session-Expires: no timer", "Supported: timer\n", 0, false,
		 false, 0, 0, ""},
	};
	static const struct {
		const char *headers;
		bool active, we_refresh;
		uint32_t refresh_ms, expire_ms;
	} uac[] = {
		{"Session-Expires: 90;refresher=uac\n", true, true, 45000, 0},
		{"Session-Expires: 90;refresher=uas\n", true, false, 0, 60000},
		{"Session-Expires: 1800;refresher=uas\n", true, false, 0, 1768000},
		{"", false, false, 0, 0},
	};
	char text[1024], se[64];
	size_t i;

	for (i = 0; i < N(uas); i++) {
		struct invite_session_timer st;
		struct sipmsg *req;
		unsigned status = 1;

		snprintf(text, sizeof(text),
			 "INVITE sip:b@x SIP/2.0\nVia: SIP/2.0/WSS a;branch=z9hG4bKs\n"
			 "From: <sip:a@x>;tag=f\nTo: <sip:b@x>\nCall-ID: c\n"
			 "CSeq: 1 INVITE\n%s\n",
			 uas[i].headers);
		req = flow_msg(text);
		se[0] = '\0';
		is_int(0, invite_timer_uas(req, 0, &status, &st, se, sizeof(se)),
		       "UAS: %s", uas[i].what);
		is_int(uas[i].status, status, "  status");
		is_int(uas[i].active, st.active, "  active");
		is_int(uas[i].we_refresh, st.we_refresh, "  we refresh");
		is_int(uas[i].refresh_ms, st.refresh_ms, "  refresh after");
		is_int(uas[i].expire_ms, st.expire_ms, "  expire after");
		is_string(uas[i].se_value, se, "  Session-Expires of our 2xx");
		sipmsg_free(req);
	}
	for (i = 0; i < N(uac); i++) {
		struct invite_session_timer st;
		struct sipmsg *r;

		snprintf(text, sizeof(text),
			 "SIP/2.0 200 OK\nVia: SIP/2.0/WSS a;branch=z9hG4bKs\n"
			 "From: <sip:a@x>;tag=f\nTo: <sip:b@x>;tag=t\nCall-ID: c\n"
			 "CSeq: 1 INVITE\n%s\n",
			 uac[i].headers);
		r = flow_msg(text);
		is_int(0, invite_timer_uac(r, &st), "UAC: 2xx with \"%.*s\"",
		       (int)(strlen(uac[i].headers) ? strlen(uac[i].headers) - 1 : 0),
		       uac[i].headers);
		is_int(uac[i].active, st.active, "  active");
		is_int(uac[i].we_refresh, st.we_refresh, "  we refresh");
		is_int(uac[i].refresh_ms, st.refresh_ms, "  refresh after");
		is_int(uac[i].expire_ms, st.expire_ms, "  expire after");
		sipmsg_free(r);
	}
	{
		struct sipmsg *r422 = flow_msg(
			"SIP/2.0 422 Session Interval Too Small\n"
			"Via: SIP/2.0/WSS a;branch=z9hG4bKs\nFrom: <sip:a@x>;tag=f\n"
			"To: <sip:b@x>;tag=t\nCall-ID: c\nCSeq: 1 INVITE\nMin-SE: 120\n\n");
		uint32_t retry = 0;

		is_int(0, invite_timer_uac_retry(r422, 90, &retry), "422: retry");
		is_int(120, retry, "422: retry with its Min-SE");
		is_int(0, invite_timer_uac_retry(r422, 1800, &retry), "422: retry (larger)");
		is_int(1800, retry, "422: ours when larger");
		sipmsg_free(r422);
	}
}

/* The headers we add: JsSIP's INVITE shape, a 422, a 2xx. */
static void test_session_headers(void)
{
	struct sipmsg *inv = NULL, *req = flow_msg(jssip_invite), *r = NULL;
	char se[64];
	struct invite_session_timer st;
	unsigned status;

	if (sipmsg_new_request(&inv, "INVITE", "sip:b@x") != 0)
		bail("new request");
	is_int(0, invite_timer_offer(inv, 90, 0), "offer: JsSIP's 90 s");
	flow_is("INVITE sip:b@x SIP/2.0\nSupported: timer\nSession-Expires: 90\n"
		"Content-Length: 0\n\n",
		inv, "offer: Supported: timer and Session-Expires");
	sipmsg_free(inv);
	inv = NULL;
	if (sipmsg_new_request(&inv, "INVITE", "sip:b@x") != 0 ||
	    sipmsg_header_add(inv, "Supported", "ice, timer") != 0)
		bail("new request");
	is_int(0, invite_timer_offer(inv, 120, 120), "offer after a 422");
	flow_is("INVITE sip:b@x SIP/2.0\nSupported: ice, timer\nSession-Expires: 120\n"
		"Min-SE: 120\nContent-Length: 0\n\n",
		inv, "offer: timer already supported, Min-SE given");
	is_int(EINVAL, invite_timer_offer(inv, 0, 0), "offer: interval 0");
	sipmsg_free(inv);

	if (invite_timer_uas(req, 0, &status, &st, se, sizeof(se)) != 0 ||
	    sipmsg_new_reply(&r, req, 200, NULL, "bt") != 0)
		bail("uas");
	is_int(0, invite_timer_answer(r, req, se, 0), "answer: 2xx");
	{
		struct invite_session_expires got;

		is_int(0, invite_session_expires_get(r, &got), "answer carries Session-Expires");
		is_int(INVITE_REFRESHER_UAC, got.refresher, "answer: refresher=uac");
		ok(sipmsg_token_has(r, SIPMSG_HDR_REQUIRE, "timer"), "answer: Require: timer");
	}
	sipmsg_free(r);
	r = NULL;
	if (sipmsg_new_reply(&r, req, 422, NULL, "bt") != 0)
		bail("reply");
	is_int(0, invite_timer_answer(r, req, NULL, 0), "answer: 422");
	{
		uint32_t v = 0;

		is_int(0, invite_min_se_get(r, &v), "422 carries Min-SE");
		is_int(INVITE_MIN_SE, v, "422: our Min-SE");
	}
	sipmsg_free(r);
	sipmsg_free(req);
}

static void test_dtmf(void)
{
	static const struct {
		bool relay;
		const char *body;
		int err;
		char tone;
		unsigned duration;
	} cases[] = {
		{true, "Signal=1\r\nDuration=100\r\n", 0, '1', 100},
		{true, "signal= 5 \nduration=250", 0, '5', 250},
		{true, "Signal=#\r\nDuration=160\r\n", 0, '#', 160},
		{true, "Signal=a\r\n", 0, 'A', 0},
		{true, "Duration=100\r\nSignal=*\r\nVolume=10\r\n", 0, '*', 100},
		{true, "Duration=100\r\n", EBADMSG, 0, 0},
		{true, "Signal=12\r\n", EBADMSG, 0, 0},
		{true, "Signal=E\r\n", EBADMSG, 0, 0},
		{true, "Signal=1\r\nDuration=99999\r\n", ERANGE, 0, 0},
		{true, "Signal=1\r\nDuration=x\r\n", EBADMSG, 0, 0},
		{true, "Signal=1\r\nSignal=2\r\n", EBADMSG, 0, 0},
		{true, "garbage", EBADMSG, 0, 0},
		{true, "", EBADMSG, 0, 0},
		{false, "1", 0, '1', 0},
		{false, "*\r\n", 0, '*', 0},
		{false, "d", 0, 'D', 0},
		{false, "12", EBADMSG, 0, 0},
		{false, "", EBADMSG, 0, 0},
	};
	struct invite_dtmf dtmf;
	char big[INVITE_DTMF_MAX_BODY + 1], buf[64];
	size_t i, len = 0;

	for (i = 0; i < N(cases); i++) {
		int err = cases[i].relay
				  ? invite_dtmf_relay_parse(cases[i].body,
							    strlen(cases[i].body), &dtmf)
				  : invite_dtmf_parse(cases[i].body,
						      strlen(cases[i].body), &dtmf);

		is_int(cases[i].err, err, "%s body %zu", cases[i].relay ? "dtmf-relay" : "dtmf", i);
		if (err == 0 && cases[i].err == 0) {
			is_int(cases[i].tone, dtmf.tone, "  tone");
			is_int(cases[i].duration, dtmf.duration, "  duration");
		}
	}
	memset(big, ' ', sizeof(big));
	memcpy(big, "Signal=1\n", 9);
	is_int(E2BIG, invite_dtmf_relay_parse(big, sizeof(big), &dtmf), "body over the limit");
	is_int(E2BIG, invite_dtmf_parse(big, sizeof(big), &dtmf), "dtmf body over the limit");

	dtmf.tone = '1';
	dtmf.duration = 100;
	is_int(0, invite_dtmf_relay_build(&dtmf, buf, sizeof(buf), &len), "build");
	is_bytes("Signal=1\r\nDuration=100\r\n", buf, len, "build: as JsSIP sends it");
	is_int(ENOSPC, invite_dtmf_relay_build(&dtmf, buf, 10, NULL), "build: small buffer");
	dtmf.tone = 'x';
	is_int(EINVAL, invite_dtmf_relay_build(&dtmf, buf, sizeof(buf), NULL), "build: bad tone");
	dtmf.tone = '#';
	dtmf.duration = 0;
	is_int(EINVAL, invite_dtmf_relay_build(&dtmf, buf, sizeof(buf), NULL), "build: duration 0");
	{
		struct sipmsg *info = flow_msg(
			"INFO sip:b@x SIP/2.0\nVia: SIP/2.0/WSS a;branch=z9hG4bKi\n"
			"From: <sip:a@x>;tag=f\nTo: <sip:b@x>;tag=t\nCall-ID: c\n"
			"CSeq: 2 INFO\nContent-Type: application/dtmf-relay\n\n"
			"Signal=9\nDuration=100\n");

		is_int(1, invite_dtmf_kind(info), "INFO kind: dtmf-relay");
		sipmsg_free(info);
	}
}

int main(void)
{
	plan_lazy();
	test_client_forking();
	test_client_cancel();
	test_client_failures();
	test_server();
	test_glare();
	test_session_expires();
	test_session_negotiation();
	test_session_headers();
	test_dtmf();
	return 0;
}
