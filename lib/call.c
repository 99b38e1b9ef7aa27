/* Calls: INVITE dialogs with their media sessions on a ua; see call.h. */
#include "call.h"

#include "dialog.h"
#include "invite.h"
#include "random.h"
#include "sdp.h"
#include "sip.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SDP_TYPE "application/sdp"
#define DTMF_RELAY_TYPE "application/dtmf-relay"
#define INFO_QUEUE_MAX 64

enum call_phase {
	PHASE_RINGING,   /* incoming, not answered */
	PHASE_OFFERING,  /* outgoing: waiting for our offer */
	PHASE_INVITING,  /* outgoing: INVITE sent */
	PHASE_ANSWERING, /* incoming: waiting for our answer */
	PHASE_UP,        /* dialog confirmed */
	PHASE_ENDING,    /* BYE or CANCEL sent */
};

struct calls {
	struct ua *ua;
	struct sip *sip;
	struct calls_config cfg;
	struct call *list;
	size_t count;
};

struct call {
	struct call *prev, *next;
	struct calls *cs;
	struct media *media;
	enum call_phase phase;
	bool incoming;
	bool ended;
	char *peer;
	char *call_id;
	/* outgoing */
	char *target;
	struct sip_request *invite;     /* until its final response */
	struct invite_client *ic;
	struct loop_timer t_no_answer;
	struct loop_timer t_m;          /* RFC 6026 Timer M: forked 2xx */
	bool answer_taken;              /* the SDP answer went to media */
	/* incoming */
	struct sip_call *ringing;
	struct sipmsg *offer_invite;    /* our copy of the INVITE */
	bool ack_wanted;
	/* the dialog */
	struct dialog *dialog;
	struct sip_server *reinvite;    /* the peer's re-INVITE, unanswered */
	bool reoffer;                   /* our re-INVITE: offer being made */
	struct sip_request *reinvite_out;
	struct loop_timer t_glare;
	char *glare_sdp;                /* our last re-offer */
	bool hold_wanted;
	struct sip_request *bye;
	/* INFO DTMF, one at a time */
	char info_queue[INFO_QUEUE_MAX];
	size_t info_pos;
	unsigned info_ms;
	struct sip_request *info;
	/* RFC 4028 */
	struct invite_session_timer st;
	struct loop_timer t_refresh, t_expire;
	struct loop_timer t_ack;        /* our 2xx waits for its ACK */
	struct sip_request *refresh;
	char se_value[64];              /* for our next 2xx; "" none */
	bool se_require;
	struct invite_session_timer st_next; /* applied with that 2xx */
	struct loop_timer t_end;
	enum call_end end;
	unsigned end_status;
	int end_err;
	char end_reason[128];
};

const char *call_end_name(enum call_end end)
{
	switch (end) {
	case CALL_END_LOCAL: return "hung up";
	case CALL_END_REMOTE: return "peer hung up";
	case CALL_END_FAILED: return "failed";
	case CALL_END_CANCELLED: return "cancelled";
	case CALL_END_MEDIA: return "media failed";
	case CALL_END_ERROR: return "error";
	}
	return "unknown";
}

/* ---- events and the end --------------------------------------------- */

static void emit(struct call *c, struct call_event *ev)
{
	ev->call = c;
	if (c->cs->cfg.h != NULL)
		c->cs->cfg.h(ev, c->cs->cfg.arg);
}

static void call_destroy(struct call *c)
{
	struct calls *cs = c->cs;

	loop_timer_cancel(&c->t_no_answer);
	loop_timer_cancel(&c->t_m);
	loop_timer_cancel(&c->t_glare);
	loop_timer_cancel(&c->t_end);
	loop_timer_cancel(&c->t_refresh);
	loop_timer_cancel(&c->t_expire);
	loop_timer_cancel(&c->t_ack);
	if (c->refresh != NULL)
		sip_request_abandon(c->refresh);
	if (c->invite != NULL)
		sip_request_abandon(c->invite);
	if (c->reinvite_out != NULL)
		sip_request_abandon(c->reinvite_out);
	if (c->bye != NULL)
		sip_request_abandon(c->bye);
	if (c->info != NULL)
		sip_request_abandon(c->info);
	if (c->reinvite != NULL)
		sip_server_watch(c->reinvite, NULL, NULL);
	if (c->ringing != NULL)
		(void)sip_call_reject(c->ringing, 480, NULL);
	media_free(c->media);
	invite_client_free(c->ic);
	dialog_free(c->dialog);
	sipmsg_free(c->offer_invite);
	free(c->glare_sdp);
	free(c->peer);
	free(c->call_id);
	free(c->target);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		cs->list = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	cs->count--;
	ua_call_remove(cs->ua);
	free(c);
}

static void end_cb(void *arg)
{
	struct call *c = arg;
	struct call_event ev = {0};

	ev.type = CALL_EVENT_ENDED;
	ev.end = c->end;
	ev.status = c->end_status;
	ev.err = c->end_err;
	ev.reason = c->end_reason[0] ? c->end_reason
				     : c->end_err ? strerror(c->end_err)
						  : call_end_name(c->end);
	emit(c, &ev);
	call_destroy(c);
}

/* The call is over: reported from the loop (never from inside a call of
 * the application's). The first reason stays. */
static void call_end(struct call *c, enum call_end end, unsigned status,
		     int err, const char *reason)
{
	if (c->ended)
		return;
	c->ended = true;
	c->end = end;
	c->end_status = status;
	c->end_err = err;
	if (reason != NULL)
		snprintf(c->end_reason, sizeof(c->end_reason), "%s", reason);
	/* the media session stays for the statistics of the ENDED event */
	loop_timer_start(&c->t_end, ua_loop(c->cs->ua), 0, end_cb, c);
}

static int call_new(struct calls *cs, bool incoming, struct call **cp)
{
	struct call *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return ENOMEM;
	c->cs = cs;
	c->incoming = incoming;
	loop_timer_init(&c->t_no_answer);
	loop_timer_init(&c->t_m);
	loop_timer_init(&c->t_glare);
	loop_timer_init(&c->t_end);
	loop_timer_init(&c->t_refresh);
	loop_timer_init(&c->t_expire);
	loop_timer_init(&c->t_ack);
	c->next = cs->list;
	if (cs->list != NULL)
		cs->list->prev = c;
	cs->list = c;
	cs->count++;
	ua_call_add(cs->ua);
	*cp = c;
	return 0;
}

/* ---- requests inside the dialog ------------------------------------- */

static int dialog_request(struct call *c, const char *method,
			  const char *content_type, const char *body,
			  struct sipmsg **msgp)
{
	char via[96];
	struct sipmsg *m = NULL;
	int err;

	err = dialog_request_new(c->dialog, method,
				 sip_via_prefix(c->cs->sip, via, sizeof(via)),
				 &m);
	if (err == 0 && strcmp(method, "ACK") != 0 &&
	    strcmp(method, "INVITE") == 0)
		err = sipmsg_header_add(m, "Allow", SIP_ALLOW_DIALOG);
	if (err == 0 && body != NULL)
		err = sipmsg_body_set(m, content_type, body, strlen(body));
	if (err != 0) {
		sipmsg_free(m);
		return err;
	}
	*msgp = m;
	return 0;
}

static void on_bye_response(struct sip_request *req,
			    const struct sip_response *resp, void *arg)
{
	struct call *c = arg;

	(void)req;
	if (!resp->final)
		return;
	c->bye = NULL;
	call_end(c, CALL_END_LOCAL, 0, 0, NULL);
}

static int send_bye(struct call *c)
{
	struct sipmsg *m = NULL;
	int err = dialog_request(c, "BYE", NULL, NULL, &m);

	if (err == 0)
		err = sip_request_send(c->cs->sip, m, on_bye_response, c,
				       &c->bye);
	c->phase = PHASE_ENDING;
	dialog_terminate(c->dialog);
	return err;
}

/* ---- session timers (RFC 4028) ----------------------------------------- */

static void timers_apply(struct call *c, const struct invite_session_timer *st);

static void on_refresh_response(struct sip_request *req,
				const struct sip_response *resp, void *arg)
{
	struct call *c = arg;
	struct invite_session_timer st;

	(void)req;
	if (!resp->final)
		return;
	c->refresh = NULL;
	if (resp->err == 0 && resp->status < 300 && resp->msg != NULL &&
	    invite_timer_uac(resp->msg, &st) == 0 && st.active)
		timers_apply(c, &st);
	else if (resp->status == 481 || resp->status == 408)
		(void)send_bye(c);
	else
		timers_apply(c, &c->st); /* keep refreshing (§10) */
}

/* Our turn: an UPDATE without a body (JsSIP takes it). */
static void refresh_cb(void *arg)
{
	struct call *c = arg;
	struct sipmsg *m = NULL;
	char se[48];

	if (c->phase != PHASE_UP || c->refresh != NULL)
		return;
	snprintf(se, sizeof(se), "%lu;refresher=uac",
		 (unsigned long)c->st.interval);
	if (dialog_request(c, "UPDATE", NULL, NULL, &m) != 0)
		return;
	if (sipmsg_header_add(m, "Session-Expires", se) != 0 ||
	    sipmsg_header_add(m, "Supported", "timer") != 0) {
		sipmsg_free(m);
		return;
	}
	(void)sip_request_send(c->cs->sip, m, on_refresh_response, c,
			       &c->refresh);
}

/* The peer did not refresh in time (§10): BYE. */
static void expire_cb(void *arg)
{
	struct call *c = arg;

	if (c->phase != PHASE_UP)
		return;
	(void)send_bye(c);
	call_end(c, CALL_END_ERROR, 0, ETIMEDOUT,
		 "the session expired (RFC 4028): no refresh from the peer");
}

static void timers_apply(struct call *c, const struct invite_session_timer *st)
{
	struct loop *l = ua_loop(c->cs->ua);

	loop_timer_cancel(&c->t_refresh);
	loop_timer_cancel(&c->t_expire);
	c->st = *st;
	if (!st->active)
		return;
	if (st->we_refresh)
		loop_timer_start(&c->t_refresh, l, st->refresh_ms, refresh_cb, c);
	else
		loop_timer_start(&c->t_expire, l, st->expire_ms, expire_cb, c);
}

/* A request that may refresh the session (INVITE, re-INVITE, UPDATE):
 * what our 2xx will say (c->se_value), applied once it is sent. Returns
 * 422 when its interval is too small, else 0. */
static unsigned timers_request(struct call *c, const struct sipmsg *req,
			       struct invite_session_timer *st)
{
	unsigned status = 0;

	c->se_value[0] = '\0';
	if (invite_timer_uas(req, 0, &status, st, c->se_value,
			     sizeof(c->se_value)) != 0)
		c->se_value[0] = '\0';
	c->se_require = c->se_value[0] != '\0' &&
			sipmsg_token_has(req, SIPMSG_HDR_SUPPORTED, "timer");
	return status;
}

/* Our 2xx to such a request: Session-Expires (and Require: timer). */
static int timers_headers(struct call *c, struct sipmsg *resp)
{
	int err = 0;

	if (c->se_value[0] != '\0')
		err = sipmsg_header_add(resp, "Session-Expires", c->se_value);
	if (err == 0 && c->se_require)
		err = sipmsg_header_add(resp, "Require", "timer");
	return err;
}

/* ---- outgoing INVITE ------------------------------------------------- */

static void take_answer(struct call *c, const struct sipmsg *resp)
{
	struct span body = sipmsg_body(resp);
	char reason[160] = "";
	char *text;
	int err;

	if (c->answer_taken || body.len == 0 || c->media == NULL)
		return;
	text = span_dup(body);
	if (text == NULL) {
		call_end(c, CALL_END_ERROR, 0, ENOMEM, NULL);
		return;
	}
	c->answer_taken = true;
	err = media_set_answer(c->media, text, reason, sizeof(reason));
	free(text);
	if (err != 0) {
		call_end(c, CALL_END_MEDIA, 0, err, reason[0] ? reason : NULL);
		if (c->dialog != NULL && c->phase == PHASE_UP)
			(void)send_bye(c);
	}
}

static void timer_m_cb(void *arg)
{
	struct call *c = arg;

	invite_client_free(c->ic);
	c->ic = NULL;
}

/* Perform what the INVITE client machine asks (invite.h). */
static void client_actions(struct call *c, struct invite_actions *acts)
{
	struct calls *cs = c->cs;

	for (size_t i = 0; i < acts->count; i++) {
		struct invite_action *a = &acts->a[i];
		struct call_event ev = {0};

		switch (a->what) {
		case INVITE_DO_SEND:
			(void)sip_send(cs->sip, a->msg);
			break;
		case INVITE_DO_REQUEST:
			/* a BYE for a losing fork: nobody waits for it */
			(void)sip_request_send(cs->sip, a->msg, NULL, NULL,
					       NULL);
			a->msg = NULL;
			break;
		case INVITE_DO_TIMER_SET:
			if (a->timer == INVITE_TIMER_M)
				loop_timer_start(&c->t_m, ua_loop(cs->ua),
						 a->ms, timer_m_cb, c);
			break;
		case INVITE_DO_ANSWERED:
			c->dialog = invite_client_dialog_take(c->ic);
			break;
		case INVITE_DO_PROGRESS:
		case INVITE_DO_RESPOND:
		case INVITE_DO_TIMER_STOP:
		case INVITE_DO_CONFIRMED:
		case INVITE_DO_FAILED:
		case INVITE_DO_ENDED:
			(void)ev;
			break;
		}
	}
	invite_actions_clear(acts);
}

static int client_response(struct call *c, const struct sipmsg *resp)
{
	struct invite_actions acts = {0};
	char via[96];
	int err = 0;

	if (c->ic == NULL && c->invite != NULL)
		err = invite_client_alloc(
			&c->ic, sip_request_msg(c->invite),
			sip_via_prefix(c->cs->sip, via, sizeof(via)),
			sip_is_secure(c->cs->sip) ? DIALOG_SECURE_TRANSPORT : 0,
			0, 0, &acts);
	if (c->ic == NULL)
		return err ? err : ENOENT;
	/* Timer B is the core's (its transaction's timeout) */
	invite_actions_clear(&acts);
	err = invite_client_response(c->ic, resp, &acts);
	client_actions(c, &acts);
	return err;
}

static void no_answer_cb(void *arg)
{
	struct call *c = arg;

	if (c->invite == NULL)
		return;
	snprintf(c->end_reason, sizeof(c->end_reason), "no answer");
	c->end = CALL_END_ERROR;
	c->end_err = ETIMEDOUT;
	(void)sip_request_cancel(c->invite, NULL);
}

static void on_invite_response(struct sip_request *req,
			       const struct sip_response *resp, void *arg)
{
	struct call *c = arg;
	struct call_event ev = {0};
	unsigned st = resp->status;

	(void)req;
	if (resp->msg != NULL && st > 100 && st != 401 && st != 407)
		(void)client_response(c, resp->msg);
	if (!resp->final) {
		ev.type = CALL_EVENT_PROGRESS;
		ev.status = st;
		ev.reason = resp->reason;
		emit(c, &ev);
		if (resp->msg != NULL && sipmsg_body(resp->msg).len > 0 &&
		    !c->ended)
			take_answer(c, resp->msg); /* early media */
		return;
	}
	c->invite = NULL;
	loop_timer_cancel(&c->t_no_answer);
	if (resp->err != 0) {
		if (c->end_err == ETIMEDOUT)
			call_end(c, CALL_END_ERROR, 408, ETIMEDOUT, NULL);
		else if (resp->err == ECANCELED)
			call_end(c, CALL_END_LOCAL, 0, 0, NULL);
		else
			call_end(c, CALL_END_ERROR, st, resp->err,
				 resp->reason);
		return;
	}
	if (st >= 300) {
		if (c->end_err == ETIMEDOUT)
			call_end(c, CALL_END_ERROR, st, ETIMEDOUT, NULL);
		else if (c->phase == PHASE_ENDING && st == 487)
			call_end(c, CALL_END_LOCAL, st, 0, NULL);
		else
			call_end(c, CALL_END_FAILED, st, 0, resp->reason);
		return;
	}
	if (c->dialog == NULL) {
		call_end(c, CALL_END_ERROR, st, EPROTO,
			 "a 2xx without a usable Contact or To tag");
		return;
	}
	if (c->phase == PHASE_ENDING) {
		/* answered while our CANCEL was on its way */
		(void)send_bye(c);
		return;
	}
	c->phase = PHASE_UP;
	{
		struct invite_session_timer stimer;

		if (invite_timer_uac(resp->msg, &stimer) == 0)
			timers_apply(c, &stimer);
	}
	ev.type = CALL_EVENT_ANSWERED;
	ev.status = st;
	ev.reason = resp->reason;
	emit(c, &ev);
	if (!c->ended)
		take_answer(c, resp->msg);
}

static void send_invite(struct call *c, const char *sdp)
{
	struct calls *cs = c->cs;
	static const char *const headers[] = {"Allow: " SIP_ALLOW_DIALOG,
					      NULL};
	struct sip_request_spec spec = {0};
	struct sipmsg *m = NULL;
	struct span cid;
	int err;

	spec.method = "INVITE";
	spec.request_uri = c->target;
	spec.contact = true;
	spec.headers = headers;
	spec.content_type = SDP_TYPE;
	spec.body = sdp;
	spec.body_len = strlen(sdp);
	err = sip_request_new(cs->sip, &spec, &m);
	if (err == 0 && sipmsg_call_id_get(m, &cid) == 0)
		c->call_id = span_dup(cid);
	if (err == 0)
		err = sip_request_send(cs->sip, m, on_invite_response, c,
				       &c->invite);
	if (err != 0) {
		call_end(c, CALL_END_ERROR, 0, err, NULL);
		return;
	}
	c->phase = PHASE_INVITING;
	if (cs->cfg.no_answer_ms)
		loop_timer_start(&c->t_no_answer, ua_loop(cs->ua),
				 cs->cfg.no_answer_ms, no_answer_cb, c);
}

/* ---- our re-INVITE (hold) ---------------------------------------------- */

static void send_reinvite(struct call *c, const char *sdp);

static void glare_cb(void *arg)
{
	struct call *c = arg;
	if (c->glare_sdp != NULL && c->phase == PHASE_UP)
		send_reinvite(c, c->glare_sdp);
}

static void on_reinvite_response(struct sip_request *req,
				 const struct sip_response *resp, void *arg)
{
	struct call *c = arg;
	struct call_event ev = {0};
	struct sipmsg *ack = NULL;
	uint32_t rnd = 0;

	(void)req;
	if (!resp->final)
		return;
	c->reinvite_out = NULL;
	if (resp->msg != NULL)
		(void)dialog_response_receive(c->dialog, resp->msg);
	dialog_invite_done(c->dialog, true);
	if (resp->err == 0 && resp->status == 491) {
		/* §14.1: again after a while, the same offer */
		(void)random_bytes(&rnd, sizeof(rnd));
		loop_timer_start(&c->t_glare, ua_loop(c->cs->ua),
				 invite_glare_delay_ms(
					 invite_call_id_owner(c->dialog), rnd),
				 glare_cb, c);
		return;
	}
	if (resp->err != 0 || resp->status >= 300) {
		/* the session goes on as it was (§14.1) */
		c->reoffer = false;
		if (resp->status == 481 || resp->status == 408)
			(void)send_bye(c);
		return;
	}
	if (dialog_request(c, "ACK", NULL, NULL, &ack) == 0) {
		(void)sip_send(c->cs->sip, ack);
		sipmsg_free(ack);
	}
	c->reoffer = false;
	c->answer_taken = false;
	take_answer(c, resp->msg);
	if (c->ended)
		return;
	ev.type = CALL_EVENT_HELD;
	ev.held = c->hold_wanted;
	emit(c, &ev);
}

static void send_reinvite(struct call *c, const char *sdp)
{
	struct sipmsg *m = NULL;
	int err;

	/* kept for a retry after a 491 */
	if (sdp != c->glare_sdp) {
		free(c->glare_sdp);
		c->glare_sdp = strdup(sdp);
	}
	err = dialog_request(c, "INVITE", SDP_TYPE, sdp, &m);
	if (err == 0)
		err = sip_request_send(c->cs->sip, m, on_reinvite_response, c,
				       &c->reinvite_out);
	if (err != 0) {
		c->reoffer = false;
		dialog_invite_done(c->dialog, true);
	}
}

static void ack_timeout_cb(void *arg);

/* ---- the media session's events --------------------------------------- */

static void respond_sdp(struct call *c, struct sip_server *srv, const char *sdp)
{
	struct sipmsg *resp = NULL;
	const struct sipmsg *req = sip_server_request(srv);
	char contact[192];
	int err;

	err = sip_response_new(c->cs->sip, req, 200, NULL, NULL, &resp);
	if (err == 0)
		err = sipmsg_header_add(resp, "Contact",
					sip_contact_value(c->cs->sip, contact,
							  sizeof(contact)));
	if (err == 0)
		err = timers_headers(c, resp);
	if (err == 0)
		err = sipmsg_body_set(resp, SDP_TYPE, sdp, strlen(sdp));
	if (err == 0)
		(void)sip_server_respond(srv, resp);
	else
		sipmsg_free(resp);
}

static void on_media(const struct media_event *mev, void *arg)
{
	struct call *c = arg;
	struct call_event ev = {0};
	static const char *const headers[] = {"Allow: " SIP_ALLOW_DIALOG,
					      NULL};
	int err;

	switch (mev->type) {
	case MEDIA_EVENT_SDP:
		if (mev->sdp_offer && c->phase == PHASE_OFFERING) {
			send_invite(c, mev->sdp);
		} else if (mev->sdp_offer && c->reoffer) {
			send_reinvite(c, mev->sdp);
		} else if (!mev->sdp_offer && c->phase == PHASE_ANSWERING) {
			/* the INVITE went (CANCEL, a transaction timeout)
			 * while the answer was being made: already ended */
			if (c->ringing == NULL)
				break;
			err = dialog_alloc_uas(
				&c->dialog, c->offer_invite,
				sip_call_to_tag(c->ringing), NULL,
				sip_is_secure(c->cs->sip)
					? DIALOG_SECURE_TRANSPORT
					: 0);
			if (err == 0) {
				char se[96];
				const char *lines[4] = {headers[0], NULL, NULL,
							NULL};
				size_t n = 1;

				if (c->se_value[0] != '\0') {
					snprintf(se, sizeof(se),
						 "Session-Expires: %s",
						 c->se_value);
					lines[n++] = se;
				}
				if (c->se_require)
					lines[n++] = "Require: timer";
				err = sip_call_answer(c->ringing, lines,
						      SDP_TYPE, mev->sdp,
						      strlen(mev->sdp));
			}
			if (err != 0) {
				call_end(c, CALL_END_ERROR, 0, err, NULL);
				return;
			}
			dialog_confirm(c->dialog);
			c->ack_wanted = true;
			loop_timer_start(&c->t_ack, ua_loop(c->cs->ua),
					 64u * 500u, ack_timeout_cb, c);
			c->phase = PHASE_UP;
			timers_apply(c, &c->st_next);
			ev.type = CALL_EVENT_ANSWERED;
			ev.status = 200;
			emit(c, &ev);
		} else if (!mev->sdp_offer && c->reinvite != NULL) {
			struct sip_server *srv = c->reinvite;

			c->reinvite = NULL;
			sip_server_watch(srv, NULL, NULL);
			respond_sdp(c, srv, mev->sdp);
			dialog_invite_done(c->dialog, false);
			if (c->st_next.active)
				timers_apply(c, &c->st_next);
		}
		break;
	case MEDIA_EVENT_CONNECTED:
		ev.type = CALL_EVENT_MEDIA;
		emit(c, &ev);
		break;
	case MEDIA_EVENT_DTMF:
		ev.type = CALL_EVENT_DTMF;
		ev.dtmf = mev->dtmf;
		emit(c, &ev);
		break;
	case MEDIA_EVENT_ENDED:
		ev.type = CALL_EVENT_SOURCE_ENDED;
		emit(c, &ev);
		break;
	case MEDIA_EVENT_PLAYED:
		ev.type = CALL_EVENT_PLAYED;
		ev.err = mev->err;
		ev.reason = mev->reason;
		emit(c, &ev);
		break;
	case MEDIA_EVENT_FAILED:
		if (c->ringing != NULL) {
			(void)sip_call_reject(c->ringing, 488, NULL);
			c->ringing = NULL;
		} else if (c->invite != NULL) {
			c->phase = PHASE_ENDING;
			(void)sip_request_cancel(c->invite, NULL);
		} else if (c->dialog != NULL && c->phase == PHASE_UP) {
			(void)send_bye(c);
		}
		call_end(c, CALL_END_MEDIA, 0, mev->err, mev->reason);
		break;
	}
}

/* No ACK for our 2xx within 64*T1 (RFC 3261 §13.3.1.4, RFC 6026 Timer
 * L): the session ends with a BYE. */
static void ack_timeout_cb(void *arg)
{
	struct call *c = arg;

	if (!c->ack_wanted || c->phase != PHASE_UP)
		return;
	(void)send_bye(c);
	call_end(c, CALL_END_ERROR, 0, ETIMEDOUT,
		 "no ACK for our 200 OK within 32 s");
}

/* ---- incoming calls ---------------------------------------------------- */

static struct call *find_ringing(struct calls *cs, const struct sip_call *sc)
{
	for (struct call *c = cs->list; c != NULL; c = c->next)
		if (c->ringing == sc)
			return c;
	return NULL;
}

static int msg_copy(const struct sipmsg *m, struct sipmsg **out)
{
	char *text = NULL, reason[64];
	size_t len = 0;
	int err = sipmsg_encode_alloc(m, &text, &len);

	if (err == 0)
		err = sipmsg_decode(out, text, len, reason, sizeof(reason));
	free(text);
	return err;
}

static void on_sip_call(const struct sip_call_event *sev, void *arg)
{
	struct calls *cs = arg;
	struct call_event ev = {0};
	struct call *c;

	if (sev->type == SIP_CALL_ENDED) {
		c = find_ringing(cs, sev->call);
		if (c == NULL)
			return;
		c->ringing = NULL;
		if (sev->end == SIP_CALL_END_ANSWERED)
			return;
		if (sev->end == SIP_CALL_END_REJECTED)
			call_end(c, CALL_END_LOCAL, sev->status, 0, NULL);
		else if (sev->end == SIP_CALL_END_TRANSPORT)
			call_end(c, CALL_END_ERROR, 0, ECONNRESET, NULL);
		else
			call_end(c, CALL_END_CANCELLED, sev->status, 0,
				 sip_call_end_name(sev->end));
		return;
	}
	if (sipmsg_body(sev->invite).len == 0) {
		/* an offerless INVITE: not taken (yet) */
		(void)sip_call_reject(sev->call, 488, NULL);
		return;
	}
	if (call_new(cs, true, &c) != 0) {
		(void)sip_call_reject(sev->call, 500, NULL);
		return;
	}
	c->ringing = sev->call;
	c->phase = PHASE_RINGING;
	c->peer = span_dup(sev->from_uri);
	c->call_id = span_dup(sev->call_id);
	if (c->peer == NULL || c->call_id == NULL ||
	    msg_copy(sev->invite, &c->offer_invite) != 0) {
		call_end(c, CALL_END_ERROR, 0, ENOMEM, NULL);
		return;
	}
	ev.type = CALL_EVENT_INCOMING;
	emit(c, &ev);
}

/* ---- requests and responses inside dialogs ---------------------------- */

static void respond(struct calls *cs, struct sip_server *srv, unsigned status,
		    const char *reason)
{
	struct sipmsg *resp = NULL;

	if (sip_response_new(cs->sip, sip_server_request(srv), status, reason,
			     NULL, &resp) == 0) {
		if (status == 405)
			(void)sipmsg_header_add(resp, "Allow",
						SIP_ALLOW_DIALOG);
		(void)sip_server_respond(srv, resp);
	}
}

static void reinvite_gone(struct sip_server *srv, void *arg)
{
	struct call *c = arg;

	if (c->reinvite == srv)
		c->reinvite = NULL;
}

static void serve_info(struct call *c, struct sip_server *srv,
		       const struct sipmsg *req)
{
	struct invite_dtmf dtmf;
	struct span body = sipmsg_body(req);
	struct call_event ev = {0};
	int kind = invite_dtmf_kind(req);
	int err = EBADMSG;

	if (kind == 1)
		err = invite_dtmf_relay_parse(body.p, body.len, &dtmf);
	else if (kind == 2)
		err = invite_dtmf_parse(body.p, body.len, &dtmf);
	if (kind == 0) {
		respond(c->cs, srv, 415, NULL);
		return;
	}
	if (err != 0) {
		respond(c->cs, srv, 400, "Bad DTMF Body");
		return;
	}
	respond(c->cs, srv, 200, NULL);
	ev.type = CALL_EVENT_DTMF;
	ev.dtmf = dtmf.tone;
	ev.info = true;
	emit(c, &ev);
}

static void serve_reinvite(struct call *c, struct sip_server *srv,
			   const struct sipmsg *req)
{
	struct span body = sipmsg_body(req);
	struct call_event ev = {0};
	struct sdp *sdp = NULL;
	char reason[160] = "";
	char *offer;
	bool held = false;
	int err;

	if (body.len == 0 || c->media == NULL) {
		/* an offerless re-INVITE: not taken (yet) */
		respond(c->cs, srv, 488, NULL);
		dialog_invite_done(c->dialog, false);
		return;
	}
	offer = span_dup(body);
	if (offer == NULL) {
		respond(c->cs, srv, 500, NULL);
		dialog_invite_done(c->dialog, false);
		return;
	}
	if (sdp_parse(&sdp, offer, strlen(offer), NULL, 0) == 0) {
		for (size_t i = 0; i < sdp_media_count(sdp); i++) {
			enum sdp_direction d = sdp_direction_get(sdp, i);

			if (d == SDP_SENDONLY || d == SDP_INACTIVE)
				held = true;
		}
		sdp_free(sdp);
	}
	c->reinvite = srv;
	sip_server_watch(srv, reinvite_gone, c);
	err = media_answer(c->media, offer, reason, sizeof(reason));
	free(offer);
	if (err != 0) {
		c->reinvite = NULL;
		sip_server_watch(srv, NULL, NULL);
		respond(c->cs, srv, 488, NULL);
		dialog_invite_done(c->dialog, false);
		return;
	}
	ev.type = CALL_EVENT_HOLD;
	ev.held = held;
	emit(c, &ev);
}

/* A session refresh without a body; an offer in an UPDATE is not taken. */
static void serve_update(struct call *c, struct sip_server *srv,
			 const struct sipmsg *req)
{
	struct invite_session_timer st;
	struct sipmsg *resp = NULL;
	unsigned status = timers_request(c, req, &st);

	if (status == 0 && sipmsg_body(req).len > 0)
		status = 488;
	if (status != 0) {
		respond(c->cs, srv, status, NULL);
		return;
	}
	if (sip_response_new(c->cs->sip, req, 200, NULL, NULL, &resp) != 0)
		return;
	if (timers_headers(c, resp) != 0) {
		sipmsg_free(resp);
		return;
	}
	(void)sip_server_respond(srv, resp);
	if (st.active)
		timers_apply(c, &st);
}

static bool serve_request(struct call *c, struct sip_server *srv,
			  const struct sipmsg *req)
{
	struct span m = sipmsg_method(req);
	unsigned status = 0;

	if (span_eq(m, "ACK")) {
		c->ack_wanted = false;
		loop_timer_cancel(&c->t_ack);
		return true;
	}
	if (dialog_request_receive(c->dialog, req, &status) != 0)
		status = 400;
	if (status != 0) {
		respond(c->cs, srv, status, NULL);
		return true;
	}
	if (span_eq(m, "BYE")) {
		respond(c->cs, srv, 200, NULL);
		dialog_terminate(c->dialog);
		call_end(c, CALL_END_REMOTE, 0, 0, NULL);
	} else if (span_eq(m, "INVITE")) {
		if (timers_request(c, req, &c->st_next) == 422) {
			respond(c->cs, srv, 422, NULL);
			dialog_invite_done(c->dialog, false);
			return true;
		}
		serve_reinvite(c, srv, req);
	} else if (span_eq(m, "UPDATE")) {
		serve_update(c, srv, req);
	} else if (span_eq(m, "INFO")) {
		serve_info(c, srv, req);
	} else if (span_eq(m, "OPTIONS")) {
		respond(c->cs, srv, 200, NULL);
	} else {
		respond(c->cs, srv, 405, NULL);
	}
	return true;
}

static bool on_dialog(struct sip_server *srv, const struct sipmsg *msg,
		      void *arg)
{
	struct calls *cs = arg;
	struct span cid;

	if (sipmsg_call_id_get(msg, &cid) != 0)
		return false;
	for (struct call *c = cs->list; c != NULL; c = c->next) {
		if (c->call_id == NULL || !span_eq(cid, c->call_id))
			continue;
		if (!sipmsg_is_request(msg)) {
			/* a 2xx again, or from another fork */
			if (c->ic == NULL)
				return false;
			(void)client_response(c, msg);
			return true;
		}
		if (c->dialog != NULL && dialog_match(c->dialog, msg) &&
		    !c->ended)
			return serve_request(c, srv, msg);
	}
	return false;
}

/* ---- the API ------------------------------------------------------------ */

int calls_alloc(struct calls **csp, struct ua *ua,
		const struct calls_config *cfg)
{
	struct calls *cs;
	int err;

	if (csp == NULL || ua == NULL || cfg == NULL)
		return EINVAL;
	if (loop_glib_context(ua_loop(ua)) == NULL)
		return EINVAL;
	err = media_prepare();
	if (err != 0)
		return err;
	cs = calloc(1, sizeof(*cs));
	if (cs == NULL)
		return ENOMEM;
	cs->ua = ua;
	cs->sip = ua_sip(ua);
	cs->cfg = *cfg;
	sip_set_call_handler(cs->sip, on_sip_call, cs);
	sip_set_dialog_handler(cs->sip, on_dialog, cs);
	*csp = cs;
	return 0;
}

void calls_free(struct calls *cs)
{
	if (cs == NULL)
		return;
	while (cs->list != NULL) {
		cs->list->ringing = NULL;
		call_destroy(cs->list);
	}
	sip_set_call_handler(cs->sip, NULL, NULL);
	sip_set_dialog_handler(cs->sip, NULL, NULL);
	free(cs);
	media_prepare_wait();
}

int calls_set_media(struct calls *cs, const struct media_config *media)
{
	if (cs == NULL || media == NULL)
		return EINVAL;
	cs->cfg.media = *media;
	return 0;
}

size_t calls_count(const struct calls *cs)
{
	return cs != NULL ? cs->count : 0;
}

int call_dial(struct calls *cs, const char *target, struct call **cp)
{
	struct call *c;
	int err;

	if (cs == NULL || target == NULL ||
	    (strncmp(target, "sip:", 4) != 0 && strncmp(target, "sips:", 5) != 0))
		return EINVAL;
	err = call_new(cs, false, &c);
	if (err != 0)
		return err;
	c->phase = PHASE_OFFERING;
	c->target = strdup(target);
	c->peer = strdup(target);
	err = c->target == NULL || c->peer == NULL ? ENOMEM : 0;
	if (err == 0)
		err = media_alloc(&c->media, &cs->cfg.media, on_media, c);
	if (err == 0)
		err = media_offer(c->media);
	if (err != 0) {
		c->ended = true;
		call_destroy(c);
		return err;
	}
	if (cp != NULL)
		*cp = c;
	return 0;
}

int call_answer(struct call *c)
{
	struct span body;
	char reason[160] = "";
	char *offer;
	int err;

	if (c == NULL)
		return EINVAL;
	if (c->ended || c->phase != PHASE_RINGING || c->ringing == NULL)
		return EALREADY;
	if (timers_request(c, c->offer_invite, &c->st_next) == 422) {
		/* below our Min-SE (90 s, JsSIP's own) */
		(void)sip_call_reject(c->ringing, 422, NULL);
		c->ringing = NULL;
		call_end(c, CALL_END_ERROR, 422, EPROTO,
			 "Session-Expires below 90 s");
		return EPROTO;
	}
	body = sipmsg_body(c->offer_invite);
	offer = span_dup(body);
	if (offer == NULL)
		return ENOMEM;
	err = media_alloc(&c->media, &c->cs->cfg.media, on_media, c);
	if (err == 0) {
		c->phase = PHASE_ANSWERING;
		err = media_answer(c->media, offer, reason, sizeof(reason));
	}
	free(offer);
	if (err != 0) {
		(void)sip_call_reject(c->ringing, err == EPROTO ? 488 : 500,
				      NULL);
		c->ringing = NULL;
		call_end(c, CALL_END_MEDIA, 0, err, reason[0] ? reason : NULL);
	}
	return err;
}

int call_reject(struct call *c, unsigned status)
{
	int err;

	if (c == NULL || status < 300 || status > 699)
		return EINVAL;
	if (c->ended || c->ringing == NULL || c->phase != PHASE_RINGING)
		return EALREADY;
	err = sip_call_reject(c->ringing, status, NULL);
	if (err == 0)
		c->phase = PHASE_ENDING; /* SIP_CALL_ENDED ends it */
	return err;
}

int call_hangup(struct call *c)
{
	if (c == NULL)
		return EINVAL;
	if (c->ended || c->phase == PHASE_ENDING)
		return EALREADY;
	switch (c->phase) {
	case PHASE_RINGING:
		return call_reject(c, 603);
	case PHASE_ANSWERING:
		(void)sip_call_reject(c->ringing, 603, NULL);
		c->ringing = NULL;
		call_end(c, CALL_END_LOCAL, 603, 0, NULL);
		return 0;
	case PHASE_OFFERING:
		call_end(c, CALL_END_LOCAL, 0, 0, NULL);
		return 0;
	case PHASE_INVITING:
		c->phase = PHASE_ENDING;
		if (sip_request_cancel(c->invite, NULL) != 0)
			call_end(c, CALL_END_LOCAL, 0, 0, NULL);
		return 0;
	case PHASE_UP:
		if (send_bye(c) != 0)
			call_end(c, CALL_END_LOCAL, 0, 0, NULL);
		return 0;
	case PHASE_ENDING:
		break;
	}
	return EALREADY;
}

int call_hold(struct call *c, bool hold)
{
	int err;

	if (c == NULL)
		return EINVAL;
	if (c->ended || c->phase != PHASE_UP || c->media == NULL ||
	    c->reoffer || c->reinvite != NULL ||
	    dialog_invite_pending(c->dialog, true))
		return EAGAIN;
	c->hold_wanted = hold;
	c->reoffer = true;
	err = media_hold(c->media, hold);
	if (err != 0)
		c->reoffer = false;
	return err;
}

static void send_next_info(struct call *c);

static void on_info_response(struct sip_request *req,
			     const struct sip_response *resp, void *arg)
{
	struct call *c = arg;

	(void)req;
	if (!resp->final)
		return;
	c->info = NULL;
	send_next_info(c);
}

static void send_next_info(struct call *c)
{
	struct invite_dtmf dtmf = {0};
	struct sipmsg *m = NULL;
	char body[64];
	size_t len;

	while (c->info == NULL && c->info_queue[c->info_pos] != '\0' &&
	       c->phase == PHASE_UP) {
		dtmf.tone = c->info_queue[c->info_pos++];
		dtmf.duration = c->info_ms;
		if (invite_dtmf_relay_build(&dtmf, body, sizeof(body), &len) != 0 ||
		    dialog_request(c, "INFO", DTMF_RELAY_TYPE, body, &m) != 0)
			continue;
		(void)sip_request_send(c->cs->sip, m, on_info_response, c,
				       &c->info);
	}
}

int call_dtmf(struct call *c, const char *digits, unsigned duration_ms,
	      bool info)
{
	size_t used, n;
	char *up;

	if (c == NULL || digits == NULL || *digits == '\0' ||
	    strspn(digits, "0123456789*#ABCDabcd") != strlen(digits))
		return EINVAL;
	if (c->ended || c->phase != PHASE_UP || c->media == NULL)
		return EAGAIN;
	if (!info)
		return media_dtmf_send(c->media, digits, duration_ms);
	used = strlen(c->info_queue + c->info_pos);
	memmove(c->info_queue, c->info_queue + c->info_pos, used + 1);
	c->info_pos = 0;
	n = strlen(digits);
	if (used + n >= sizeof(c->info_queue))
		return E2BIG;
	memcpy(c->info_queue + used, digits, n + 1);
	for (up = c->info_queue + used; *up; up++)
		if (*up >= 'a' && *up <= 'd')
			*up = (char)(*up - 'a' + 'A');
	c->info_ms = duration_ms ? duration_ms : 100;
	send_next_info(c);
	return 0;
}

int call_mute(struct call *c, bool mute)
{
	if (c == NULL)
		return EINVAL;
	if (c->ended || c->media == NULL)
		return EAGAIN;
	return media_mute(c->media, mute);
}

int call_play(struct call *c, const char *what)
{
	if (c == NULL || what == NULL)
		return EINVAL;
	if (c->ended || c->phase != PHASE_UP || c->media == NULL)
		return EAGAIN;
	return media_play(c->media, what);
}

int call_stats(struct call *c, struct media_stats *st)
{
	if (c == NULL || st == NULL)
		return EINVAL;
	if (c->media == NULL)
		return ENOTCONN;
	return media_stats_get(c->media, st);
}

const char *call_peer(const struct call *c)
{
	return c->peer;
}

bool call_incoming(const struct call *c)
{
	return c->incoming;
}

const char *call_call_id(const struct call *c)
{
	return c->call_id;
}

const char *call_codec(const struct call *c)
{
	return c->media != NULL ? media_codec(c->media) : NULL;
}
