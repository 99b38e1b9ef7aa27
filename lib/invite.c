/* INVITE client and server state machines for reliable transports, the
 * glare retry delay, RFC 4028 session timers and INFO DTMF bodies. */
#include "invite.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsx.h"

/* ---- actions ----------------------------------------------------------- */

void invite_actions_clear(struct invite_actions *acts)
{
	size_t i;

	if (acts == NULL)
		return;
	for (i = 0; i < acts->count; i++)
		sipmsg_free(acts->a[i].msg);
	memset(acts, 0, sizeof(*acts));
}

static struct invite_action *push(struct invite_actions *acts,
				  enum invite_do what)
{
	struct invite_action *a;

	/* room() at every entry: one event adds at most
	 * INVITE_EVENT_ACTIONS, so this never overwrites */
	if (acts->count == INVITE_ACTIONS_MAX)
		acts->count--;
	a = &acts->a[acts->count++];
	memset(a, 0, sizeof(*a));
	a->what = what;
	return a;
}

/* Every event starts with room for the most actions it adds. */
static bool room(const struct invite_actions *acts)
{
	return acts->count <= INVITE_ACTIONS_MAX - INVITE_EVENT_ACTIONS;
}

static void push_msg(struct invite_actions *acts, enum invite_do what,
		     struct sipmsg *msg)
{
	push(acts, what)->msg = msg;
}

static void push_timer(struct invite_actions *acts, enum invite_do what,
		       enum invite_timer timer, unsigned ms)
{
	struct invite_action *a = push(acts, what);

	a->timer = timer;
	a->ms = ms;
}

static void push_status(struct invite_actions *acts, enum invite_do what,
			unsigned status, struct dialog *d)
{
	struct invite_action *a = push(acts, what);

	a->status = status;
	a->dialog = d;
}

/* A message's own copy (the builder has no clone: encode, decode). */
static int msg_clone(const struct sipmsg *msg, struct sipmsg **out)
{
	char *data = NULL, reason[64];
	size_t len;
	int err = sipmsg_encode_alloc(msg, &data, &len);

	if (err == 0)
		err = sipmsg_decode(out, data, len, reason, sizeof(reason));
	free(data);
	return err;
}

static bool has_sdp(const struct sipmsg *msg)
{
	struct sipmsg_media media;

	return sipmsg_body(msg).len > 0 &&
	       sipmsg_content_type_get(msg, &media) == 0 &&
	       sipmsg_media_matches(&media, "application/sdp");
}

/* Same Call-ID, From tag and CSeq number as our INVITE? */
static bool same_invite(const struct sipmsg *inv, const struct sipmsg *msg)
{
	struct sipmsg_party f1, f2;
	struct sipmsg_cseq c1, c2;
	struct span id1, id2;

	return sipmsg_call_id_get(inv, &id1) == 0 &&
	       sipmsg_call_id_get(msg, &id2) == 0 && span_eq_span(id1, id2) &&
	       sipmsg_from_get(inv, &f1) == 0 && sipmsg_from_get(msg, &f2) == 0 &&
	       span_eq_span(f1.tag, f2.tag) && sipmsg_cseq_get(inv, &c1) == 0 &&
	       sipmsg_cseq_get(msg, &c2) == 0 && c1.number == c2.number;
}

static unsigned timeout_ms(unsigned t1_ms)
{
	return 64u * (t1_ms != 0 ? t1_ms : TSX_T1_MS);
}

/* ---- client ------------------------------------------------------------ */

struct invite_client {
	struct sipmsg *inv;
	char *via;
	unsigned flags;
	unsigned timeout;              /* 64*T1 */
	bool no_answer_timer;
	bool provisional;
	bool failed;
	bool cancel_pending;
	bool cancel_sent;
	char *cancel_reason;
	struct dialog *forks[INVITE_MAX_FORKS];
	size_t fork_count;
	struct dialog *winner;
	bool winner_taken;
	char *winner_tag;
	struct sipmsg *ack;
};

int invite_client_alloc(struct invite_client **cp, const struct sipmsg *inv,
			const char *via, unsigned flags, unsigned t1_ms,
			unsigned no_answer_ms, struct invite_actions *acts)
{
	struct invite_client *c;
	int err;

	if (cp == NULL || inv == NULL || via == NULL || acts == NULL ||
	    !sipmsg_is_request(inv) || !span_eq(sipmsg_method(inv), "INVITE"))
		return EINVAL;
	if (!room(acts))
		return ENOSPC;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return ENOMEM;
	c->flags = flags;
	c->timeout = timeout_ms(t1_ms);
	c->via = strdup(via);
	err = c->via == NULL ? ENOMEM : msg_clone(inv, &c->inv);
	if (err != 0) {
		invite_client_free(c);
		return err;
	}
	push_timer(acts, INVITE_DO_TIMER_SET, INVITE_TIMER_B, c->timeout);
	if (no_answer_ms != 0) {
		c->no_answer_timer = true;
		push_timer(acts, INVITE_DO_TIMER_SET, INVITE_TIMER_NO_ANSWER,
			   no_answer_ms);
	}
	*cp = c;
	return 0;
}

static void forks_clear(struct invite_client *c)
{
	size_t i;

	for (i = 0; i < c->fork_count; i++)
		if (c->forks[i] != c->winner)
			dialog_free(c->forks[i]);
	c->fork_count = 0;
}

void invite_client_free(struct invite_client *c)
{
	if (c == NULL)
		return;
	forks_clear(c);
	if (!c->winner_taken)
		dialog_free(c->winner);
	sipmsg_free(c->inv);
	sipmsg_free(c->ack);
	free(c->via);
	free(c->cancel_reason);
	free(c->winner_tag);
	free(c);
}

static struct dialog *fork_find(struct invite_client *c, struct span tag)
{
	size_t i;

	for (i = 0; i < c->fork_count; i++)
		if (span_eq(tag, dialog_remote_tag(c->forks[i])))
			return c->forks[i];
	return NULL;
}

static void stop_no_answer(struct invite_client *c, struct invite_actions *acts)
{
	if (c->no_answer_timer) {
		c->no_answer_timer = false;
		push_timer(acts, INVITE_DO_TIMER_STOP, INVITE_TIMER_NO_ANSWER, 0);
	}
}

static int send_cancel(struct invite_client *c, struct invite_actions *acts)
{
	struct sipmsg *m = NULL;
	int err = dialog_derive(&m, DIALOG_DERIVE_CANCEL, c->inv, NULL);

	if (err == 0 && c->cancel_reason != NULL)
		err = sipmsg_header_add(m, "Reason", c->cancel_reason);
	if (err != 0) {
		sipmsg_free(m);
		return err;
	}
	c->cancel_pending = false;
	c->cancel_sent = true;
	stop_no_answer(c, acts);
	push_msg(acts, INVITE_DO_REQUEST, m);
	/* §9.1: no final 64*T1 after the CANCEL: the INVITE is given up */
	push_timer(acts, INVITE_DO_TIMER_SET, INVITE_TIMER_B, c->timeout);
	return 0;
}

static int client_provisional(struct invite_client *c,
			      const struct sipmsg *resp, struct span tag,
			      struct invite_actions *acts)
{
	unsigned status = sipmsg_status(resp);
	struct dialog *d = NULL;
	int err = 0;

	if (c->failed || c->winner != NULL)
		return 0;  /* late: nothing to do */
	if (!c->provisional) {
		c->provisional = true;
		if (!c->cancel_sent)
			push_timer(acts, INVITE_DO_TIMER_STOP, INVITE_TIMER_B, 0);
	}
	if (status > 100 && span_is_set(tag) && tag.len > 0) {
		d = fork_find(c, tag);
		if (d != NULL)
			err = dialog_response_receive(d, resp);
		else if (c->fork_count < INVITE_MAX_FORKS) {
			err = dialog_alloc_uac(&d, c->inv, resp, c->flags);
			if (err == 0)
				c->forks[c->fork_count++] = d;
		}
		if (err != 0)
			return err;
	}
	push_status(acts, INVITE_DO_PROGRESS, status, d);
	acts->a[acts->count - 1].early_media = has_sdp(resp);
	if (c->cancel_pending)
		return send_cancel(c, acts);
	return 0;
}

/* ACK (and BYE, for a losing fork) a 2xx of a dialog we do not keep. */
static int client_fork_2xx(struct invite_client *c, const struct sipmsg *resp,
			   struct invite_actions *acts)
{
	struct sipmsg *ack = NULL, *bye = NULL;
	struct dialog *d = NULL;
	int err = dialog_alloc_uac(&d, c->inv, resp, c->flags);

	if (err == 0)
		err = dialog_request_new(d, "ACK", c->via, &ack);
	if (err == 0)
		err = dialog_request_new(d, "BYE", c->via, &bye);
	dialog_free(d);
	if (err != 0) {
		sipmsg_free(ack);
		return err;
	}
	push_msg(acts, INVITE_DO_SEND, ack);
	push_msg(acts, INVITE_DO_REQUEST, bye);
	return 0;
}

static int client_2xx(struct invite_client *c, const struct sipmsg *resp,
		      struct span tag, struct invite_actions *acts)
{
	struct sipmsg *ack = NULL;
	struct dialog *d;
	int err;

	if (!span_is_set(tag) || tag.len == 0)
		return EBADMSG;
	if (c->winner != NULL) {
		if (!span_eq(tag, c->winner_tag))
			return client_fork_2xx(c, resp, acts);
		/* §13.2.2.4: a retransmission, ACK it again */
		err = msg_clone(c->ack, &ack);
		if (err == 0)
			push_msg(acts, INVITE_DO_SEND, ack);
		return err;
	}
	if (c->failed)  /* the call is over: a late answer is hung up */
		return client_fork_2xx(c, resp, acts);
	d = fork_find(c, tag);
	if (d != NULL) {
		err = dialog_response_receive(d, resp);
		if (err == 0 && dialog_remote_target(d) == NULL)
			err = EBADMSG;
	} else {
		err = dialog_alloc_uac(&d, c->inv, resp, c->flags);
		if (err == 0 && c->fork_count < INVITE_MAX_FORKS)
			c->forks[c->fork_count++] = d;
		else if (err == 0)
			c->winner = d; /* freed by invite_client_free */
	}
	if (err != 0)
		return err;
	c->winner = d;
	c->winner_tag = strdup(dialog_remote_tag(d));
	err = c->winner_tag == NULL ? ENOMEM
				    : dialog_request_new(d, "ACK", c->via, &c->ack);
	if (err == 0)
		err = msg_clone(c->ack, &ack);
	if (err != 0)
		return err;
	forks_clear(c);  /* the other early dialogs end (§13.2.2.4) */
	c->cancel_pending = false;
	if (!c->provisional || c->cancel_sent)
		push_timer(acts, INVITE_DO_TIMER_STOP, INVITE_TIMER_B, 0);
	stop_no_answer(c, acts);
	push_msg(acts, INVITE_DO_SEND, ack);
	push_status(acts, INVITE_DO_ANSWERED, sipmsg_status(resp), d);
	acts->a[acts->count - 1].early_media = has_sdp(resp);
	/* RFC 6026 Timer M: other forks' 2xx are still ACKed and BYEd */
	push_timer(acts, INVITE_DO_TIMER_SET, INVITE_TIMER_M, c->timeout);
	return 0;
}

static void client_fail(struct invite_client *c, unsigned status,
			struct invite_actions *acts)
{
	c->failed = true;
	c->cancel_pending = false;
	if (!c->provisional || c->cancel_sent)
		push_timer(acts, INVITE_DO_TIMER_STOP, INVITE_TIMER_B, 0);
	stop_no_answer(c, acts);
	forks_clear(c);
	push_status(acts, INVITE_DO_FAILED, status, NULL);
	push(acts, INVITE_DO_ENDED);
}

int invite_client_response(struct invite_client *c, const struct sipmsg *resp,
			   struct invite_actions *acts)
{
	struct sipmsg_party to;
	struct sipmsg_cseq cseq;
	unsigned status;

	if (c == NULL || resp == NULL || acts == NULL || sipmsg_is_request(resp))
		return EINVAL;
	if (!room(acts))
		return ENOSPC;
	if (!same_invite(c->inv, resp) || sipmsg_cseq_get(resp, &cseq) != 0 ||
	    !span_eq(cseq.method, "INVITE") || sipmsg_to_get(resp, &to) != 0)
		return EBADMSG;
	status = sipmsg_status(resp);
	if (status < 200)
		return client_provisional(c, resp, to.tag, acts);
	if (status < 300)
		return client_2xx(c, resp, to.tag, acts);
	if (c->failed || c->winner != NULL)
		return 0;
	client_fail(c, status, acts);
	return 0;
}

int invite_client_cancel(struct invite_client *c, const char *reason,
			 struct invite_actions *acts)
{
	if (c == NULL || acts == NULL)
		return EINVAL;
	if (!room(acts))
		return ENOSPC;
	if (c->failed || c->winner != NULL)
		return EALREADY;
	if (c->cancel_pending || c->cancel_sent)
		return 0;
	if (reason != NULL) {
		c->cancel_reason = strdup(reason);
		if (c->cancel_reason == NULL)
			return ENOMEM;
	}
	if (!c->provisional) {
		c->cancel_pending = true;
		return 0;
	}
	return send_cancel(c, acts);
}

int invite_client_timer(struct invite_client *c, enum invite_timer which,
			struct invite_actions *acts)
{
	if (c == NULL || acts == NULL)
		return EINVAL;
	if (!room(acts))
		return ENOSPC;
	switch (which) {
	case INVITE_TIMER_B:
		if (c->failed || c->winner != NULL)
			return 0;
		if (c->cancel_sent) {
			c->provisional = true; /* B is no longer armed */
			c->cancel_sent = false;
			client_fail(c, 487, acts);
			return 0;
		}
		c->provisional = true;
		client_fail(c, 408, acts);
		return 0;
	case INVITE_TIMER_NO_ANSWER:
		c->no_answer_timer = false;
		if (c->failed || c->winner != NULL)
			return 0;
		return invite_client_cancel(c, NULL, acts);
	case INVITE_TIMER_M:
		push(acts, INVITE_DO_ENDED);
		return 0;
	default:
		return EINVAL;
	}
}

struct dialog *invite_client_dialog_take(struct invite_client *c)
{
	if (c == NULL || c->winner == NULL || c->winner_taken)
		return NULL;
	c->winner_taken = true;
	return c->winner;
}

const struct sipmsg *invite_client_ack(const struct invite_client *c)
{
	return c->ack;
}

bool invite_client_provisional_seen(const struct invite_client *c)
{
	return c->provisional;
}

size_t invite_client_early_count(const struct invite_client *c)
{
	return c->fork_count;
}

/* ---- server ------------------------------------------------------------ */

struct invite_server {
	struct sipmsg *inv;
	char *contact;
	char *via;
	unsigned timeout;
	unsigned final_status;
	bool answered_1xx_2xx;  /* a 101..299 went: the dialog exists */
	bool acked;
	struct dialog *d;
	bool dialog_taken;
};

void invite_server_free(struct invite_server *s)
{
	if (s == NULL)
		return;
	if (!s->dialog_taken)
		dialog_free(s->d);
	sipmsg_free(s->inv);
	free(s->contact);
	free(s->via);
	free(s);
}

static char *strdup_null(const char *s, int *err)
{
	char *d;

	if (s == NULL || *err != 0)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*err = ENOMEM;
	return d;
}

int invite_server_alloc(struct invite_server **sp, const struct sipmsg *inv,
			const char *local_tag, const char *local_contact,
			const char *via, unsigned flags, unsigned t1_ms,
			struct invite_actions *acts)
{
	struct invite_server *s;
	struct sipmsg *trying = NULL;
	int err = 0;

	if (sp == NULL || inv == NULL || acts == NULL ||
	    !sipmsg_is_request(inv) || !span_eq(sipmsg_method(inv), "INVITE"))
		return EINVAL;
	if (!room(acts))
		return ENOSPC;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ENOMEM;
	s->timeout = timeout_ms(t1_ms);
	s->contact = strdup_null(local_contact, &err);
	s->via = strdup_null(via, &err);
	/* the dialog (early) holds the tag; it counts once a 1xx/2xx went */
	if (err == 0)
		err = dialog_alloc_uas(&s->d, inv, local_tag, local_contact, flags);
	if (err == 0)
		err = msg_clone(inv, &s->inv);
	if (err == 0)
		err = sipmsg_new_reply(&trying, s->inv, 100, NULL, NULL);
	if (err != 0) {
		invite_server_free(s);
		return err;
	}
	push_msg(acts, INVITE_DO_RESPOND, trying);
	*sp = s;
	return 0;
}

int invite_server_respond(struct invite_server *s, unsigned status,
			  const char *content_type, const void *body,
			  size_t body_len, struct invite_actions *acts)
{
	struct sipmsg *r = NULL;
	int err;

	if (s == NULL || acts == NULL || status <= 100 || status > 699)
		return EINVAL;
	if (!room(acts))
		return ENOSPC;
	if (s->final_status != 0)
		return EALREADY;
	err = sipmsg_new_reply(&r, s->inv, status, NULL, dialog_local_tag(s->d));
	if (err == 0 && status < 300 && s->contact != NULL)
		err = sipmsg_header_add(r, "Contact", s->contact);
	if (err == 0 && body != NULL)
		err = sipmsg_body_set(r, content_type, body, body_len);
	if (err != 0) {
		sipmsg_free(r);
		return err;
	}
	push_msg(acts, INVITE_DO_RESPOND, r);
	if (status < 300)
		s->answered_1xx_2xx = true;
	if (status < 200)
		return 0;
	s->final_status = status;
	if (status < 300) {
		dialog_confirm(s->d);
		push_timer(acts, INVITE_DO_TIMER_SET, INVITE_TIMER_L, s->timeout);
	} else {
		dialog_terminate(s->d);
		push_timer(acts, INVITE_DO_TIMER_SET, INVITE_TIMER_H, s->timeout);
	}
	return 0;
}

int invite_server_cancel(struct invite_server *s, const struct sipmsg *cancel,
			 struct invite_actions *acts)
{
	struct sipmsg *ok = NULL;
	int err;

	if (s == NULL || cancel == NULL || acts == NULL ||
	    !sipmsg_is_request(cancel) ||
	    !span_eq(sipmsg_method(cancel), "CANCEL"))
		return EINVAL;
	if (!room(acts))
		return ENOSPC;
	if (!same_invite(s->inv, cancel))
		return ENOENT;
	/* §9.2: the To tag of the 200 is the one of our INVITE responses */
	err = sipmsg_new_reply(&ok, cancel, 200, NULL, dialog_local_tag(s->d));
	if (err != 0)
		return err;
	push_msg(acts, INVITE_DO_RESPOND, ok);
	if (s->final_status != 0)
		return 0;
	err = invite_server_respond(s, 487, NULL, NULL, 0, acts);
	if (err == 0)
		push_status(acts, INVITE_DO_FAILED, 487, NULL);
	return err;
}

int invite_server_ack(struct invite_server *s, const struct sipmsg *ack,
		      struct invite_actions *acts)
{
	struct sipmsg_party to;

	if (s == NULL || ack == NULL || acts == NULL ||
	    !sipmsg_is_request(ack) || !span_eq(sipmsg_method(ack), "ACK"))
		return EINVAL;
	if (!room(acts))
		return ENOSPC;
	if (s->final_status == 0 || s->acked || !same_invite(s->inv, ack) ||
	    sipmsg_to_get(ack, &to) != 0 ||
	    !span_eq(to.tag, dialog_local_tag(s->d)))
		return ENOENT;
	s->acked = true;
	if (s->final_status < 300) {
		push_timer(acts, INVITE_DO_TIMER_STOP, INVITE_TIMER_L, 0);
		push_status(acts, INVITE_DO_CONFIRMED, s->final_status, s->d);
	} else {
		push_timer(acts, INVITE_DO_TIMER_STOP, INVITE_TIMER_H, 0);
	}
	push(acts, INVITE_DO_ENDED);
	return 0;
}

int invite_server_timer(struct invite_server *s, enum invite_timer which,
			struct invite_actions *acts)
{
	struct sipmsg *bye = NULL;
	int err;

	if (s == NULL || acts == NULL)
		return EINVAL;
	if (!room(acts))
		return ENOSPC;
	if (s->acked)
		return 0;
	if (which == INVITE_TIMER_H) {
		push(acts, INVITE_DO_ENDED);
		return 0;
	}
	if (which != INVITE_TIMER_L)
		return EINVAL;
	/* §13.3.1.4: no ACK for the 2xx: confirm and end the dialog */
	err = dialog_request_new(s->d, "BYE", s->via, &bye);
	if (err != 0)
		return err;
	dialog_terminate(s->d);
	push_msg(acts, INVITE_DO_REQUEST, bye);
	push_status(acts, INVITE_DO_FAILED, 408, NULL);
	push(acts, INVITE_DO_ENDED);
	return 0;
}

const struct dialog *invite_server_dialog(const struct invite_server *s)
{
	return s->answered_1xx_2xx ? s->d : NULL;
}

struct dialog *invite_server_dialog_take(struct invite_server *s)
{
	if (s == NULL || !s->answered_1xx_2xx || s->dialog_taken)
		return NULL;
	s->dialog_taken = true;
	return s->d;
}

/* ---- glare ------------------------------------------------------------- */

unsigned invite_glare_delay_ms(bool call_id_owner, uint32_t rnd)
{
	if (call_id_owner)
		return 2100u + 10u * (rnd % 191u);
	return 10u * (rnd % 201u);
}

bool invite_call_id_owner(const struct dialog *d)
{
	return dialog_is_uac(d);
}

/* ---- session timers ---------------------------------------------------- */

/* "delta-seconds *(;params)" (Session-Expires, Min-SE): the number and,
 * when refresher is not NULL, the refresher param. */
static int delta_parse(struct span value, uint32_t *secs,
		       enum invite_refresher *refresher)
{
	struct span params, name, v;
	unsigned long long n;
	size_t i, pos = 0;
	int err;

	if (value.p == NULL || secs == NULL)
		return EINVAL;
	if (value.len > SIPMSG_MAX_LINE)
		return E2BIG;
	value = span_trim(value);
	for (i = 0; i < value.len && value.p[i] != ';'; i++)
		;
	err = span_to_u64(span_trim(span_make(value.p, i)), INVITE_SE_MAX, &n);
	if (err != 0)
		return err == EINVAL ? EBADMSG : err;
	*secs = (uint32_t)n;
	if (i == value.len)
		return 0;
	params = span_make(value.p + i + 1, value.len - i - 1);
	while ((err = sipmsg_param_next(params, &pos, &name, &v)) == 0) {
		if (refresher == NULL || !span_eq_nocase(name, "refresher"))
			continue;
		if (span_eq_nocase(v, "uac"))
			*refresher = INVITE_REFRESHER_UAC;
		else if (span_eq_nocase(v, "uas"))
			*refresher = INVITE_REFRESHER_UAS;
		else
			return EBADMSG;
	}
	return err == ENOENT ? 0 : EBADMSG;
}

int invite_session_expires_parse(struct span value,
				 struct invite_session_expires *se)
{
	int err;

	if (se == NULL)
		return EINVAL;
	memset(se, 0, sizeof(*se));
	err = delta_parse(value, &se->interval, &se->refresher);
	if (err == 0 && se->interval == 0)
		err = ERANGE;
	return err;
}

int invite_min_se_parse(struct span value, uint32_t *min_se)
{
	return delta_parse(value, min_se, NULL);
}

int invite_session_expires_get(const struct sipmsg *msg,
			       struct invite_session_expires *se)
{
	struct sipmsg_header hdr;

	if (sipmsg_header_get_id(msg, SIPMSG_HDR_SESSION_EXPIRES, 0, &hdr) != 0)
		return ENOENT;
	return invite_session_expires_parse(hdr.value, se);
}

int invite_min_se_get(const struct sipmsg *msg, uint32_t *min_se)
{
	struct sipmsg_header hdr;

	if (sipmsg_header_get(msg, "Min-SE", 0, &hdr) != 0)
		return ENOENT;
	return invite_min_se_parse(hdr.value, min_se);
}

static void timer_fill(struct invite_session_timer *st, uint32_t interval,
		       bool we_refresh)
{
	uint32_t margin = interval / 3 < 32 ? interval / 3 : 32;

	st->active = true;
	st->we_refresh = we_refresh;
	st->interval = interval;
	/* RFC 4028 §10: refresh at half; the other side ends the session
	 * min(32, interval/3) seconds before it expires */
	st->refresh_ms = we_refresh ? interval * 500u : 0;
	st->expire_ms = we_refresh ? 0 : (interval - margin) * 1000u;
}

int invite_timer_uas(const struct sipmsg *req, uint32_t min_se,
		     unsigned *status, struct invite_session_timer *st,
		     char *se_value, size_t se_size)
{
	struct invite_session_expires se;
	enum invite_refresher who;
	int err;

	if (req == NULL || status == NULL || st == NULL)
		return EINVAL;
	memset(st, 0, sizeof(*st));
	*status = 0;
	if (min_se == 0)
		min_se = INVITE_MIN_SE;
	err = invite_session_expires_get(req, &se);
	if (err == ENOENT)
		return 0;
	if (err != 0)
		return err;
	if (se.interval < min_se) {
		*status = 422;
		return 0;
	}
	who = se.refresher;
	/* §9: unsaid, the UAS picks: the UAC when it supports the timer
	 * (a browser refreshes for itself), else only we can */
	if (who == INVITE_REFRESHER_NONE)
		who = sipmsg_token_has(req, SIPMSG_HDR_SUPPORTED, "timer")
			      ? INVITE_REFRESHER_UAC
			      : INVITE_REFRESHER_UAS;
	timer_fill(st, se.interval, who == INVITE_REFRESHER_UAS);
	if (se_value != NULL &&
	    snprintf(se_value, se_size, "%lu;refresher=%s",
		     (unsigned long)se.interval,
		     who == INVITE_REFRESHER_UAC ? "uac" : "uas") >=
		    (int)se_size)
		return ENOSPC;
	return 0;
}

int invite_timer_uac(const struct sipmsg *resp, struct invite_session_timer *st)
{
	struct invite_session_expires se;
	int err;

	if (resp == NULL || st == NULL)
		return EINVAL;
	memset(st, 0, sizeof(*st));
	err = invite_session_expires_get(resp, &se);
	if (err == ENOENT)
		return 0;
	if (err != 0)
		return err;
	timer_fill(st, se.interval, se.refresher != INVITE_REFRESHER_UAS);
	return 0;
}

int invite_timer_uac_retry(const struct sipmsg *resp422, uint32_t ours,
			   uint32_t *retry)
{
	uint32_t min_se;
	int err;

	if (resp422 == NULL || retry == NULL)
		return EINVAL;
	err = invite_min_se_get(resp422, &min_se);
	if (err == ENOENT)
		return EBADMSG;
	if (err != 0)
		return err;
	*retry = min_se > ours ? min_se : ours;
	return 0;
}

static int add_number(struct sipmsg *msg, const char *name, uint32_t n)
{
	char v[16];

	snprintf(v, sizeof(v), "%lu", (unsigned long)n);
	return sipmsg_header_add(msg, name, v);
}

int invite_timer_offer(struct sipmsg *inv, uint32_t interval, uint32_t min_se)
{
	int err = 0;

	if (inv == NULL || interval == 0 || interval > INVITE_SE_MAX ||
	    min_se > INVITE_SE_MAX)
		return EINVAL;
	if (!sipmsg_token_has(inv, SIPMSG_HDR_SUPPORTED, "timer"))
		err = sipmsg_header_add(inv, "Supported", "timer");
	if (err == 0)
		err = add_number(inv, "Session-Expires", interval);
	if (err == 0 && min_se != 0)
		err = add_number(inv, "Min-SE", min_se);
	return err;
}

int invite_timer_answer(struct sipmsg *resp, const struct sipmsg *req,
			const char *se_value, uint32_t min_se)
{
	unsigned status;
	int err;

	if (resp == NULL || req == NULL)
		return EINVAL;
	status = sipmsg_status(resp);
	if (status == 422)
		return add_number(resp, "Min-SE",
				  min_se != 0 ? min_se : INVITE_MIN_SE);
	if (status < 200 || status >= 300 || se_value == NULL ||
	    *se_value == '\0')
		return 0;
	err = sipmsg_header_add(resp, "Session-Expires", se_value);
	if (err == 0 && sipmsg_token_has(req, SIPMSG_HDR_SUPPORTED, "timer"))
		err = sipmsg_header_add(resp, "Require", "timer");
	return err;
}

/* ---- INFO DTMF --------------------------------------------------------- */

static char dtmf_tone(struct span v)
{
	char c;

	if (v.len != 1)
		return 0;
	c = v.p[0];
	if (c >= 'a' && c <= 'd')
		c = (char)(c - 'a' + 'A');
	if ((c >= '0' && c <= '9') || c == '*' || c == '#' ||
	    (c >= 'A' && c <= 'D'))
		return c;
	return 0;
}

int invite_dtmf_relay_parse(const char *body, size_t len,
			    struct invite_dtmf *dtmf)
{
	size_t pos = 0;

	if (dtmf == NULL || (body == NULL && len > 0))
		return EINVAL;
	if (len > INVITE_DTMF_MAX_BODY)
		return E2BIG;
	memset(dtmf, 0, sizeof(*dtmf));
	while (pos < len) {
		struct span line, key, value;
		const char *eq;
		size_t end = pos;
		unsigned long long ms;
		int err;

		while (end < len && body[end] != '\n')
			end++;
		line = span_trim(span_make(body + pos, end - pos));
		pos = end + 1;
		if (line.len == 0)
			continue;
		eq = memchr(line.p, '=', line.len);
		if (eq == NULL)
			return EBADMSG;
		key = span_trim(span_make(line.p, (size_t)(eq - line.p)));
		value = span_trim(span_make(eq + 1,
					    line.len - (size_t)(eq + 1 - line.p)));
		if (span_eq_nocase(key, "Signal")) {
			if (dtmf->tone != 0 || (dtmf->tone = dtmf_tone(value)) == 0)
				return EBADMSG;
		} else if (span_eq_nocase(key, "Duration")) {
			err = span_to_u64(value, INVITE_DTMF_MAX_DURATION, &ms);
			if (err != 0)
				return err == ERANGE ? ERANGE : EBADMSG;
			dtmf->duration = (unsigned)ms;
		}
	}
	return dtmf->tone != 0 ? 0 : EBADMSG;
}

int invite_dtmf_parse(const char *body, size_t len, struct invite_dtmf *dtmf)
{
	if (dtmf == NULL || (body == NULL && len > 0))
		return EINVAL;
	if (len > INVITE_DTMF_MAX_BODY)
		return E2BIG;
	memset(dtmf, 0, sizeof(*dtmf));
	dtmf->tone = dtmf_tone(span_trim(span_make(body, len)));
	return dtmf->tone != 0 ? 0 : EBADMSG;
}

int invite_dtmf_relay_build(const struct invite_dtmf *dtmf, char *buf,
			    size_t size, size_t *lenp)
{
	char tone[2];
	int n;

	if (dtmf == NULL || buf == NULL)
		return EINVAL;
	tone[0] = dtmf->tone;
	tone[1] = '\0';
	if (dtmf_tone(span_make(tone, 1)) != dtmf->tone || dtmf->duration == 0 ||
	    dtmf->duration > INVITE_DTMF_MAX_DURATION)
		return EINVAL;
	n = snprintf(buf, size, "Signal=%c\r\nDuration=%u\r\n", dtmf->tone,
		     dtmf->duration);
	if (n < 0 || (size_t)n >= size)
		return ENOSPC;
	if (lenp != NULL)
		*lenp = (size_t)n;
	return 0;
}

int invite_dtmf_kind(const struct sipmsg *info)
{
	struct sipmsg_media media;

	if (info == NULL || sipmsg_content_type_get(info, &media) != 0)
		return 0;
	if (sipmsg_media_matches(&media, "application/dtmf-relay"))
		return 1;
	if (sipmsg_media_matches(&media, "application/dtmf"))
		return 2;
	return 0;
}
