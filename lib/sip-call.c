/* Incoming INVITEs of the SIP core: ringing calls, their rejection, CANCEL
 * and the end events; see sip.h. */
#include "sip-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- UAS: calls -------------------------------------------------------- */

const char *sip_call_end_name(enum sip_call_end end)
{
	switch (end) {
	case SIP_CALL_END_CANCELLED: return "cancelled";
	case SIP_CALL_END_ELSEWHERE: return "answered elsewhere";
	case SIP_CALL_END_REJECTED: return "rejected";
	case SIP_CALL_END_TRANSPORT: return "transport lost";
	case SIP_CALL_END_SHUTDOWN: return "shutdown";
	case SIP_CALL_END_ANSWERED: return "answered";
	}
	return "unknown";
}

static void call_fill_event(struct sip_call *call, struct sip_call_event *ev,
			    enum sip_call_event_type type)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->call = call;
	ev->invite = call->invite;
	sip_fill_party(call->invite, SIPMSG_HDR_FROM, &ev->from, &ev->from_uri,
		       &ev->from_display);
	sip_fill_party(call->invite, SIPMSG_HDR_TO, &ev->to, &ev->to_uri, NULL);
	(void)sipmsg_call_id_get(call->invite, &ev->call_id);
	ev->end = call->end;
	ev->status = call->status;
}

void sip_call_unlink(struct sip_call *call)
{
	struct sip *sip = call->sip;

	if (call->prev != NULL)
		call->prev->next = call->next;
	else
		sip->calls = call->next;
	if (call->next != NULL)
		call->next->prev = call->prev;
	call->prev = call->next = NULL;
}

void sip_call_destroy(struct sip_call *call)
{
	loop_timer_cancel(&call->t_end);
	if (call->tsx != NULL)
		tsx_server_set_owner(call->tsx, NULL, NULL);
	sipmsg_free(call->invite);
	free(call->call_id);
	free(call);
}

/* Report the end now and free the call. */
void sip_call_report_end(struct sip_call *call,
			 const struct sipmsg *cause)
{
	struct sip *sip = call->sip;
	struct sip_call_event ev;

	call->ended = true;
	sip_call_unlink(call);
	if (sip->call_h != NULL) {
		call_fill_event(call, &ev, SIP_CALL_ENDED);
		ev.cause = cause;
		sip->call_h(&ev, sip->call_arg);
	}
	sip_call_destroy(call);
}

static void call_end_cb(void *arg)
{
	sip_call_report_end(arg, NULL);
}

/* The INVITE transaction is over (ACK received, Timer H, transport). */
static void call_tsx_end(struct tsx_server *t, int err, void *arg)
{
	struct sip_call *call = arg;

	(void)t;
	call->tsx = NULL;
	if (call->ended)
		return;
	/* still ringing: only a lost transport ends a transaction early */
	call->end = err == ECONNRESET ? SIP_CALL_END_TRANSPORT
				      : SIP_CALL_END_SHUTDOWN;
	sip_call_report_end(call, NULL);
}

/* Send a final response for the call's INVITE. */
int sip_call_final(struct sip_call *call, unsigned status,
		   const char *reason)
{
	struct sip *sip = call->sip;
	struct sipmsg *resp = NULL;
	int err;

	if (call->tsx == NULL || tsx_server_completed(call->tsx))
		return EALREADY;
	err = sip_reply_new(sip, tsx_server_request(call->tsx), status, reason,
			    call->to_tag, &resp);
	if (err != 0)
		return err;
	call->status = status;
	/* a non-2xx keeps the transaction until the ACK (or Timer H) */
	return sip_reply_tsx(sip, call->tsx, resp);
}

int sip_call_reject(struct sip_call *call, unsigned status,
		    const char *reason)
{
	int err;

	if (call == NULL || status < 300 || status > 699)
		return EINVAL;
	if (call->ended)
		return EALREADY;
	err = sip_call_final(call, status, reason);
	if (err != 0 && err != ENOTCONN)
		return err;
	call->end = SIP_CALL_END_REJECTED;
	call->ended = true;
	loop_timer_start(&call->t_end, call->sip->loop, 0, call_end_cb, call);
	return 0;
}

int sip_call_answer(struct sip_call *call, const char *const *headers,
		    const char *content_type, const void *body,
		    size_t body_len)
{
	struct sip *sip;
	struct sipmsg *resp = NULL;
	char contact[160];
	int err;

	if (call == NULL || (body_len > 0 && (body == NULL || content_type == NULL)))
		return EINVAL;
	if (call->ended || call->tsx == NULL ||
	    tsx_server_completed(call->tsx))
		return EALREADY;
	sip = call->sip;
	err = sip_reply_new(sip, tsx_server_request(call->tsx), 200, NULL,
			    call->to_tag, &resp);
	if (err == 0)
		err = sipmsg_header_add(resp, "Contact",
					sip_contact_value(sip, contact,
							  sizeof(contact)));
	if (err == 0)
		err = sipmsg_header_add(resp, "Allow", SIP_ALLOW_DIALOG);
	if (err == 0 && headers != NULL)
		err = sip_add_header_lines(resp, headers);
	if (err == 0 && body_len > 0)
		err = sipmsg_body_set(resp, content_type, body, body_len);
	if (err != 0) {
		sipmsg_free(resp);
		return err;
	}
	call->status = 200;
	/* ended first: the 2xx ends the transaction from inside the send */
	call->end = SIP_CALL_END_ANSWERED;
	call->ended = true;
	loop_timer_start(&call->t_end, sip->loop, 0, call_end_cb, call);
	return sip_reply_tsx(sip, call->tsx, resp);
}

const char *sip_call_call_id(const struct sip_call *call)
{
	return call->call_id;
}

const char *sip_call_to_tag(const struct sip_call *call)
{
	return call->to_tag;
}

/* ---- in-dialog requests: the dialog handler's ------------------------- */

static void server_tsx_end(struct tsx_server *t, int err, void *arg)
{
	struct sip_server *srv = arg;

	(void)t;
	(void)err;
	srv->t = NULL;
	if (srv->end_h != NULL)
		srv->end_h(srv, srv->end_arg);
	free(srv);
}

void sip_serve_dialog(struct sip *sip, struct tsx_server *t)
{
	struct sip_server *srv = calloc(1, sizeof(*srv));

	if (srv == NULL) {
		sip_reply_error(sip, t, 500, "Server Internal Error");
		return;
	}
	srv->sip = sip;
	srv->t = t;
	tsx_server_set_owner(t, server_tsx_end, srv);
	if (sip->dialog_h(srv, tsx_server_request(t), sip->dialog_arg))
		return;
	/* no dialog of ours: what the core answers without one */
	tsx_server_set_owner(t, NULL, NULL);
	free(srv);
	sip_reply_error(sip, t, 481, "Call/Transaction Does Not Exist");
}

int sip_server_respond(struct sip_server *srv, struct sipmsg *resp)
{
	struct tsx_server *t;
	struct sip *sip;

	if (srv == NULL || srv->t == NULL) {
		sipmsg_free(resp);
		return ENOTCONN;
	}
	t = srv->t;
	sip = srv->sip;
	if (sipmsg_status(resp) >= 200) {
		/* a final response ends srv here, without its end handler */
		tsx_server_set_owner(t, NULL, NULL);
		free(srv);
	}
	return sip_reply_tsx(sip, t, resp);
}

const struct sipmsg *sip_server_request(const struct sip_server *srv)
{
	return srv != NULL && srv->t != NULL ? tsx_server_request(srv->t)
					     : NULL;
}

void sip_server_watch(struct sip_server *srv, sip_server_end_h *h, void *arg)
{
	srv->end_h = h;
	srv->end_arg = arg;
}

int sip_response_new(struct sip *sip, const struct sipmsg *req,
		     unsigned status, const char *reason, const char *to_tag,
		     struct sipmsg **respp)
{
	if (sip == NULL || req == NULL || respp == NULL)
		return EINVAL;
	/* a To tag already there stays (sipmsg_new_reply) */
	return sip_reply_new(sip, req, status, reason, to_tag, respp);
}

void sip_serve_invite(struct sip *sip, struct tsx_server *t,
		      const char *data, size_t len)
{
	const struct sipmsg *req = tsx_server_request(t);
	struct sip_call *call;
	struct sipmsg *resp = NULL;
	struct sip_call_event ev;
	struct span cid;
	char contact[160];
	char reason[64];
	int err;

	if (sip->call_h == NULL) {
		sip_reply_error(sip, t, 480, "Temporarily Unavailable");
		return;
	}
	call = calloc(1, sizeof(*call));
	if (call == NULL) {
		sip_reply_error(sip, t, 500, "Server Internal Error");
		return;
	}
	call->sip = sip;
	call->tsx = t;
	loop_timer_init(&call->t_end);
	if (sipmsg_decode(&call->invite, data, len, reason, sizeof(reason)) != 0 ||
	    sipmsg_call_id_get(req, &cid) != 0 ||
	    (call->call_id = span_dup(cid)) == NULL ||
	    tsx_token_new(call->to_tag, sizeof(call->to_tag), TSX_TAG_CHARS) != 0) {
		sip_call_destroy(call);
		sip_reply_error(sip, t, 500, "Server Internal Error");
		return;
	}
	tsx_server_set_owner(t, call_tsx_end, call);
	call->next = sip->calls;
	if (sip->calls != NULL)
		sip->calls->prev = call;
	sip->calls = call;

	if (sip_reply_new(sip, req, 100, NULL, NULL, &resp) == 0)
		(void)sip_reply_tsx(sip, t, resp);
	err = sip_reply_new(sip, req, 180, NULL, call->to_tag, &resp);
	if (err == 0) {
		snprintf(contact, sizeof(contact), "<%s>", sip->contact_uri);
		err = sipmsg_header_add(resp, "Contact", contact);
		if (err != 0)
			sipmsg_free(resp);
	}
	if (err == 0)
		(void)sip_reply_tsx(sip, t, resp);
	call_fill_event(call, &ev, SIP_CALL_INCOMING);
	sip->call_h(&ev, sip->call_arg);
}

/* Reason: SIP;cause=200 on a CANCEL means another device answered
 * (RFC 3326; Kamailio forwards it when a forked call is answered). */
static bool cancel_answered_elsewhere(const struct sipmsg *cancel)
{
	struct span v, cause, proto;
	size_t i;

	for (i = 0; sipmsg_value_get(cancel, "Reason", i, &v) == 0; i++) {
		const char *semi = memchr(v.p, ';', v.len);

		if (semi == NULL)
			continue;
		proto = span_trim(span_make(v.p, (size_t)(semi - v.p)));
		if (!span_eq_nocase(proto, "SIP"))
			continue;
		if (sipmsg_param_get(span_make(semi + 1, v.len -
					       (size_t)(semi + 1 - v.p)),
				     "cause", &cause) == 0 &&
		    span_eq(span_trim(cause), "200"))
			return true;
	}
	return false;
}

void sip_serve_cancel(struct sip *sip, struct tsx_server *t,
		      const char *data, size_t len)
{
	const struct sipmsg *cancel = tsx_server_request(t);
	struct tsx_server *inv = tsx_layer_find_invite(sip->tsx, cancel);
	struct sipmsg *copy = NULL, *resp = NULL;
	struct sip_call *call;

	if (inv == NULL) {
		sip_reply_error(sip, t, 481, "Call/Transaction Does Not Exist");
		return;
	}
	for (call = sip->calls; call != NULL; call = call->next)
		if (call->tsx == inv)
			break;
	/* The CANCEL transaction ends with its 200 (Timer J is zero), and
	 * the call's end event shows the CANCEL: keep a copy for it. */
	if (call != NULL && !call->ended) {
		char reason[64];

		(void)sipmsg_decode(&copy, data, len, reason, sizeof(reason));
		call->end = copy != NULL && cancel_answered_elsewhere(copy)
				    ? SIP_CALL_END_ELSEWHERE
				    : SIP_CALL_END_CANCELLED;
	}
	/* §9.2: 200 to the CANCEL, with the INVITE response's To tag */
	if (sip_reply_new(sip, cancel, 200, NULL,
			  call != NULL ? call->to_tag : NULL, &resp) == 0)
		(void)sip_reply_tsx(sip, t, resp);
	else
		tsx_server_abandon(t);
	if (tsx_server_completed(inv)) {
		sipmsg_free(copy);
		return;
	}
	if (call == NULL) {
		/* an INVITE we are still answering otherwise: terminate it */
		struct sipmsg *r487 = NULL;

		if (sip_reply_new(sip, tsx_server_request(inv), 487, NULL, NULL,
				  &r487) == 0)
			(void)sip_reply_tsx(sip, inv, r487);
		sipmsg_free(copy);
		return;
	}
	(void)sip_call_final(call, 487, NULL);
	if (!call->ended) {
		loop_timer_cancel(&call->t_end);
		sip_call_report_end(call, copy);
	}
	sipmsg_free(copy);
}

