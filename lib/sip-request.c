/* UAC requests of the SIP core: sending through the transaction layer or
 * waiting for the transport, digest authentication and its retries,
 * CANCEL, and the ACK and BYE of an answered INVITE; see sip.h. */
#include "sip-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- requests ---------------------------------------------------------- */

void sip_waiting_remove(struct sip_request *req)
{
	struct sip *sip = req->sip;

	if (req->state != RQ_WAITING)
		return;
	if (req->wprev != NULL)
		req->wprev->wnext = req->wnext;
	else
		sip->waiting_head = req->wnext;
	if (req->wnext != NULL)
		req->wnext->wprev = req->wprev;
	else
		sip->waiting_tail = req->wprev;
	req->wprev = req->wnext = NULL;
	req->state = RQ_IDLE;
	loop_timer_cancel(&req->timer);
}

void sip_request_free(struct sip_request *req)
{
	struct sip *sip = req->sip;

	sip_waiting_remove(req);
	if (req->tsx != NULL)
		tsx_client_abandon(req->tsx);
	if (req->prev != NULL)
		req->prev->next = req->next;
	else
		sip->requests = req->next;
	if (req->next != NULL)
		req->next->prev = req->prev;
	loop_timer_cancel(&req->timer);
	sipmsg_free(req->msg);
	free(req->ruri);
	free(req->method);
	free(req->cancel_reason);
	free(req);
}

static void request_wait_timeout_cb(void *arg)
{
	struct sip_request *req = arg;

	sip_waiting_remove(req);
	sip_request_final(req, ETIMEDOUT, NULL);
}

static void request_wait(struct sip_request *req)
{
	struct sip *sip = req->sip;

	req->state = RQ_WAITING;
	req->wnext = NULL;
	req->wprev = sip->waiting_tail;
	if (sip->waiting_tail != NULL)
		sip->waiting_tail->wnext = req;
	else
		sip->waiting_head = req;
	sip->waiting_tail = req;
	loop_timer_start(&req->timer, sip->loop,
			 req->invite ? sip->timers.b : sip->timers.f,
			 request_wait_timeout_cb, req);
}

static struct sip_request *request_alloc(struct sip *sip, struct sipmsg *msg,
					 sip_response_h *h, void *arg)
{
	struct sip_request *req = calloc(1, sizeof(*req));
	struct sipmsg_cseq cseq;

	if (req == NULL)
		return NULL;
	req->sip = sip;
	req->msg = msg;
	req->h = h;
	req->arg = arg;
	loop_timer_init(&req->timer);
	req->ruri = span_dup(sipmsg_request_uri_text(msg));
	req->method = span_dup(sipmsg_method(msg));
	if (req->ruri == NULL || req->method == NULL ||
	    sipmsg_cseq_get(msg, &cseq) != 0) {
		free(req->ruri);
		free(req->method);
		free(req);
		return NULL;
	}
	req->cseq = cseq.number;
	req->invite = strcmp(req->method, "INVITE") == 0;
	req->next = sip->requests;
	if (sip->requests != NULL)
		sip->requests->prev = req;
	sip->requests = req;
	return req;
}

/* Deliver a final result and free the request (unless its handler is
 * running higher up the stack: then it is freed when that returns). */
void sip_request_final(struct sip_request *req, int err,
		       const struct sipmsg *resp)
{
	struct sip_response r;

	memset(&r, 0, sizeof(r));
	r.err = err;
	r.final = true;
	r.msg = resp;
	r.cseq = req->cseq;
	r.challenges = req->challenges;
	r.latency_us = req->t0_us ? loop_now_us() - req->t0_us : 0;
	if (resp != NULL) {
		r.status = sipmsg_status(resp);
		if (req->reason[0] == '\0' || err == 0)
			sip_set_reason(req->reason, sizeof(req->reason),
				       sipmsg_reason(resp));
	} else if (err == ETIMEDOUT) {
		r.status = 408;
		snprintf(req->reason, sizeof(req->reason), "Request Timeout");
	} else if (req->reason[0] == '\0') {
		snprintf(req->reason, sizeof(req->reason), "%s",
			 err == ECONNRESET ? "transport lost" : strerror(err));
	}
	r.reason = req->reason;
	req->tsx = NULL; /* the transaction is over (or never ran) */
	if (req->h != NULL && !req->abandoned && !req->in_handler) {
		req->in_handler = true;
		req->h(req, &r, req->arg);
		req->in_handler = false;
	}
	if (req->in_handler)
		req->dead = true;
	else
		sip_request_free(req);
}

/* Add one Authorization-like header, its buffer grown as the user name
 * and Request-URI need (up to a header line: E2BIG beyond). ENOENT when
 * the client holds no challenge yet. */
static int add_authorization(struct sip_request *req, struct digest_client *dc,
			     const char *name)
{
	struct span body = sipmsg_body(req->msg);
	size_t size = SIP_AUTH_HEADER_SIZE;
	char *value = NULL;
	int err;

	do {
		char *grown = realloc(value, size);

		if (grown == NULL) {
			free(value);
			return ENOMEM;
		}
		value = grown;
		err = digest_client_authorize(dc, req->method, req->ruri, body.p,
					      body.len, value, size, NULL);
		size *= 2;
	} while (err == ENOSPC && size <= 2 * SIPMSG_MAX_LINE);
	if (err == ENOSPC)
		err = E2BIG;
	if (err == 0)
		err = sipmsg_header_add(req->msg, name, value);
	free(value);
	return err;
}

/* Add Authorization / Proxy-Authorization upfront when we hold a nonce. */
static int request_add_credentials(struct sip_request *req)
{
	struct sip *sip = req->sip;
	bool reg = strcmp(req->method, "REGISTER") == 0;
	int err;

	req->used_www = req->used_proxy = false;
	(void)sipmsg_header_remove(req->msg, "Authorization");
	(void)sipmsg_header_remove(req->msg, "Proxy-Authorization");
	if (req->no_auth)
		return 0;
	if (sip->www != NULL && (reg || sip->www_for_all)) {
		err = add_authorization(req, sip->www, "Authorization");
		if (err == 0)
			req->used_www = true;
		else if (err != ENOENT)
			return err;
	}
	if (sip->proxy != NULL && (!reg || sip->proxy_for_register)) {
		err = add_authorization(req, sip->proxy, "Proxy-Authorization");
		if (err == 0)
			req->used_proxy = true;
		else if (err != ENOENT)
			return err;
	}
	return 0;
}

static void request_on_response(struct tsx_client *t,
				const struct tsx_response_info *info,
				void *arg);

/* One attempt: new branch, credentials, encode once, new transaction. */
int sip_request_transmit(struct sip_request *req)
{
	struct sip *sip = req->sip;
	char branch[TSX_BRANCH_SIZE], via[128];
	size_t len;
	int err;

	if (!sip->connected) {
		if (req->state != RQ_WAITING)
			request_wait(req);
		return 0;
	}
	if (!req->keep_via) {
		err = tsx_branch_new(branch, sizeof(branch));
		if (err != 0)
			return err;
		snprintf(via, sizeof(via), "SIP/2.0/%s %s;branch=%s;rport",
			 sip->secure ? "WSS" : "WS", sip->via_host, branch);
		err = sipmsg_header_set(req->msg, "Via", via);
		if (err != 0)
			return err;
		err = request_add_credentials(req);
		if (err != 0)
			return err;
	}
	err = sip_encode_msg(sip, req->msg, &len);
	if (err != 0)
		return err;
	err = tsx_client_start(&req->tsx, sip->tsx, req->msg, sip->enc, len,
			       request_on_response, req);
	if (err != 0) {
		req->tsx = NULL;
		return err;
	}
	req->state = RQ_SENT;
	sip->stats.requests_sent++;
	if (req->t0_us == 0)
		req->t0_us = loop_now_us();
	return 0;
}

/* Build the CANCEL of req (§9.1) and send it as an internal request. */
static int request_send_cancel(struct sip_request *req)
{
	struct sip *sip = req->sip;
	const struct sipmsg *inv = req->msg;
	struct sipmsg_derive d = {0};
	struct sipmsg *c = NULL;
	struct sip_request *creq;
	int err;

	req->cancel_sent = true;
	if (sipmsg_value_get_id(inv, SIPMSG_HDR_VIA, 0, &d.via) != 0)
		return EBADMSG;
	d.route = d.from = d.to = d.call_id = inv;
	d.cseq = req->cseq;
	d.to_first = true;
	err = sipmsg_request_derive(&c, "CANCEL", req->ruri, &d);
	if (err != 0)
		return err;
	if (req->cancel_reason != NULL)
		err = sipmsg_header_add(c, "Reason", req->cancel_reason);
	if (err == 0 && sip->user_agent != NULL)
		err = sipmsg_header_add(c, "User-Agent", sip->user_agent);
	if (err != 0) {
		sipmsg_free(c);
		return err;
	}
	creq = request_alloc(sip, c, NULL, NULL);
	if (creq == NULL) {
		sipmsg_free(c);
		return ENOMEM;
	}
	creq->keep_via = true;
	creq->no_auth = true;
	err = sip_request_transmit(creq);
	if (err != 0)
		sip_request_free(creq);
	return err;
}

/* A request inside the dialog a 2xx to our INVITE made (§12.1.2): ACK or
 * BYE. No dialog is kept: until calls with media exist, an answered
 * outgoing INVITE is acknowledged and hung up at once. */
static int dialog_request(struct sip *sip, const struct sipmsg *resp,
			  const char *method, uint32_t cseq_number,
			  struct sipmsg **msgp)
{
	struct sipmsg_derive d = {0};
	struct sipmsg_contact contact;
	struct sipmsg_header hdr;
	struct sipmsg *m = NULL;
	char *uri;
	int err;

	if (sipmsg_contact_get(resp, 0, &contact) != 0 || contact.star)
		return EBADMSG;
	if (sipmsg_header_get_id(resp, SIPMSG_HDR_CONTACT, 0, &hdr) != 0)
		return EBADMSG;
	uri = span_dup(sip_addr_uri_span(hdr.value));
	if (uri == NULL)
		return ENOMEM;
	/* the transaction layer puts its own Via on top */
	d.via = span_from_str("SIP/2.0/WS placeholder.invalid;branch=z9hG4bKx");
	d.record_route = d.from = d.to = d.call_id = resp;
	d.cseq = cseq_number;
	err = sipmsg_request_derive(&m, method, uri, &d);
	free(uri);
	if (err == 0 && sip->user_agent != NULL)
		err = sipmsg_header_add(m, "User-Agent", sip->user_agent);
	if (err != 0) {
		sipmsg_free(m);
		return err;
	}
	*msgp = m;
	return 0;
}

/* ACK a 2xx to an INVITE (§13.2.2.4), then BYE (see dialog_request). */
void sip_answer_invite_2xx(struct sip *sip, const struct sipmsg *resp)
{
	struct sipmsg_cseq cseq;
	struct sipmsg *ack = NULL, *bye = NULL;
	struct sip_request *breq;
	char branch[TSX_BRANCH_SIZE], via[128];

	if (sipmsg_cseq_get(resp, &cseq) != 0)
		return;
	if (dialog_request(sip, resp, "ACK", cseq.number, &ack) == 0) {
		if (tsx_branch_new(branch, sizeof(branch)) == 0) {
			snprintf(via, sizeof(via), "SIP/2.0/%s %s;branch=%s;rport",
				 sip->secure ? "WSS" : "WS", sip->via_host,
				 branch);
			if (sipmsg_header_set(ack, "Via", via) == 0)
				(void)sip_send_msg(sip, ack);
		}
		sipmsg_free(ack);
	}
	if (dialog_request(sip, resp, "BYE", cseq.number + 1, &bye) != 0)
		return;
	breq = request_alloc(sip, bye, NULL, NULL);
	if (breq == NULL) {
		sipmsg_free(bye);
		return;
	}
	if (sip_request_transmit(breq) != 0)
		sip_request_free(breq);
}

/* A 401/407: answer it when we can. Returns 0 when a new attempt was
 * sent, else the error that ends the request. */
static int request_challenged(struct sip_request *req,
			      const struct sipmsg *resp)
{
	struct sip *sip = req->sip;
	bool proxy = sipmsg_status(resp) == 407;
	enum sipmsg_hdr_id id = proxy ? SIPMSG_HDR_PROXY_AUTHENTICATE
				      : SIPMSG_HDR_WWW_AUTHENTICATE;
	struct digest_client *dc = proxy ? sip->proxy : sip->www;
	struct span values[SIP_MAX_CHALLENGES];
	struct digest_challenge *ch;
	struct sipmsg_header hdr;
	char cseq[48];
	size_t n = 0;
	int err;

	sip->stats.challenges++;
	if (dc == NULL || req->no_auth) {
		snprintf(req->reason, sizeof(req->reason),
			 "authentication required, no credentials configured");
		return EPERM;
	}
	while (n < SIP_MAX_CHALLENGES &&
	       sipmsg_header_get_id(resp, id, n, &hdr) == 0)
		values[n++] = hdr.value;
	ch = malloc(sizeof(*ch));
	if (ch == NULL)
		return ENOMEM;
	err = digest_client_choose(dc, ch, values, n, NULL, req->reason,
				   sizeof(req->reason));
	if (err != 0) {
		free(ch);
		return EPERM;
	}
	/* Retry a request once per fresh challenge, and a few times for
	 * stale nonces (several requests in flight see the same expiry). */
	if (ch->stale ? req->stale_retries >= 2 : req->fresh_retries >= 1) {
		free(ch);
		snprintf(req->reason, sizeof(req->reason),
			 "credentials refused");
		return EKEYREJECTED;
	}
	err = digest_client_challenge(dc, ch, NULL, req->reason,
				      sizeof(req->reason));
	if (proxy)
		req->proxy_challenged = true;
	else
		req->www_challenged = true;
	if (err == 0 && ch->stale)
		req->stale_retries++;
	else if (err == 0)
		req->fresh_retries++;
	free(ch);
	if (err == EKEYREJECTED) {
		if (req->reason[0] == '\0')
			snprintf(req->reason, sizeof(req->reason),
				 "credentials refused");
		return EKEYREJECTED;
	}
	if (err != 0)
		return err == ENOMEM ? ENOMEM : EPERM;
	if (proxy && strcmp(req->method, "REGISTER") == 0)
		sip->proxy_for_register = true;
	if (!proxy && strcmp(req->method, "REGISTER") != 0)
		sip->www_for_all = true;
	req->challenges++;
	req->cseq++;
	snprintf(cseq, sizeof(cseq), "%lu %s", (unsigned long)req->cseq,
		 req->method);
	err = sipmsg_header_set(req->msg, "CSeq", cseq);
	if (err != 0)
		return err;
	req->reason[0] = '\0';
	return sip_request_transmit(req);
}

static void request_on_response(struct tsx_client *t,
				const struct tsx_response_info *info,
				void *arg)
{
	struct sip_request *req = arg;
	struct sip *sip = req->sip;
	const struct sipmsg *resp = info->resp;
	unsigned status = resp ? sipmsg_status(resp) : 0;
	int err;

	(void)t;
	if (!info->final) {
		struct sip_response r;

		req->provisional_seen = true;
		if (req->invite && req->cancel_wanted && !req->cancel_sent)
			(void)request_send_cancel(req);
		if (status == 100 || req->h == NULL || req->abandoned)
			return;
		memset(&r, 0, sizeof(r));
		r.status = status;
		r.msg = resp;
		r.cseq = req->cseq;
		r.challenges = req->challenges;
		r.latency_us = loop_now_us() - req->t0_us;
		sip_set_reason(req->reason, sizeof(req->reason), sipmsg_reason(resp));
		r.reason = req->reason;
		req->in_handler = true;
		req->h(req, &r, req->arg);
		req->in_handler = false;
		req->reason[0] = '\0';
		if (req->dead || (req->abandoned && !req->invite)) {
			/* abandoned from its handler: t frees itself */
			req->tsx = NULL;
			tsx_client_abandon(t);
			sip_request_free(req);
		}
		return;
	}
	req->tsx = NULL; /* t ends after this call */
	if (info->err != 0) {
		sip_request_final(req, info->err, NULL);
		return;
	}
	if (status == 401 || status == 407) {
		err = request_challenged(req, resp);
		if (err == 0)
			return;
		sip_request_final(req, err, resp);
		return;
	}
	if (status < 500) {
		if (req->used_www && sip->www != NULL)
			digest_client_confirm(sip->www);
		if (req->used_proxy && sip->proxy != NULL)
			digest_client_confirm(sip->proxy);
	}
	if (req->invite && status >= 200 && status < 300 &&
	    sip->dialog_h == NULL)
		sip_answer_invite_2xx(sip, resp);
	sip_request_final(req, 0, resp);
}

int sip_request_new(struct sip *sip, const struct sip_request_spec *spec,
		    struct sipmsg **msgp)
{
	struct sipmsg *m = NULL;
	char tag[TSX_TOKEN_SIZE], callid[TSX_TOKEN_SIZE + 16], cseq[64];
	char *v = NULL;
	size_t i, n;
	int err;

	if (sip == NULL || spec == NULL || msgp == NULL ||
	    spec->method == NULL || spec->request_uri == NULL ||
	    (spec->body_len > 0 && (spec->body == NULL ||
				    spec->content_type == NULL)) ||
	    strlen(spec->method) > 32)
		return EINVAL;
	*msgp = NULL;
	err = sipmsg_new_request(&m, spec->method, spec->request_uri);
	if (err != 0)
		return EINVAL;
	err = sipmsg_header_add(m, "Via",
				"SIP/2.0/WS placeholder.invalid;branch=z9hG4bKx;rport");
	if (err == 0)
		err = sipmsg_header_add(m, "Max-Forwards", "70");
	if (err == 0) {
		if (spec->to != NULL) {
			err = sipmsg_header_add(m, "To", spec->to);
		} else {
			n = strlen(spec->request_uri) + 3;
			v = malloc(n);
			if (v == NULL) {
				err = ENOMEM;
			} else {
				snprintf(v, n, "<%s>", spec->request_uri);
				err = sipmsg_header_add(m, "To", v);
				free(v);
			}
		}
	}
	if (err == 0 && spec->from_tag == NULL)
		err = tsx_token_new(tag, sizeof(tag), TSX_TAG_CHARS);
	if (err == 0) {
		const char *ft = spec->from_tag ? spec->from_tag : tag;

		n = strlen(sip->from_value) + strlen(ft) + 8;
		v = malloc(n);
		if (v == NULL) {
			err = ENOMEM;
		} else {
			snprintf(v, n, "%s;tag=%s", sip->from_value, ft);
			err = sipmsg_header_add(m, "From", v);
			free(v);
		}
	}
	if (err == 0) {
		if (spec->call_id != NULL) {
			err = sipmsg_header_add(m, "Call-ID", spec->call_id);
		} else {
			err = tsx_token_new(callid, sizeof(callid),
					    TSX_CALL_ID_CHARS);
			if (err == 0)
				err = sipmsg_header_add(m, "Call-ID", callid);
		}
	}
	if (err == 0) {
		snprintf(cseq, sizeof(cseq), "%lu %s",
			 (unsigned long)(spec->cseq ? spec->cseq : 1u),
			 spec->method);
		err = sipmsg_header_add(m, "CSeq", cseq);
	}
	if (err == 0 && spec->contact) {
		n = strlen(sip->contact_uri) + 3;
		v = malloc(n);
		if (v == NULL) {
			err = ENOMEM;
		} else {
			snprintf(v, n, "<%s>", sip->contact_uri);
			err = sipmsg_header_add(m, "Contact", v);
			free(v);
		}
	}
	for (i = 0; err == 0 && i < sip->nextra; i++)
		err = sipmsg_header_add(m, sip->extra[i].name,
					sip->extra[i].value);
	if (err == 0 && sip->user_agent != NULL)
		err = sipmsg_header_add(m, "User-Agent", sip->user_agent);
	if (err == 0)
		err = sip_add_header_lines(m, spec->headers);
	if (err == 0 && (spec->body_len > 0 || spec->content_type != NULL))
		err = sipmsg_body_set(m, spec->content_type, spec->body,
				      spec->body_len);
	if (err != 0) {
		sipmsg_free(m);
		return err == ENOMEM ? ENOMEM : EINVAL;
	}
	*msgp = m;
	return 0;
}

int sip_request_send(struct sip *sip, struct sipmsg *msg, sip_response_h *h,
		     void *arg, struct sip_request **reqp)
{
	struct sip_request *req;
	int err;

	if (reqp != NULL)
		*reqp = NULL;
	if (sip == NULL || msg == NULL || !sipmsg_is_request(msg) ||
	    span_eq(sipmsg_method(msg), "ACK") ||
	    span_eq(sipmsg_method(msg), "CANCEL")) {
		sipmsg_free(msg);
		return EINVAL;
	}
	if (!sip->started || sip->stopping) {
		sipmsg_free(msg);
		return ENOTCONN;
	}
	req = request_alloc(sip, msg, h, arg);
	if (req == NULL) {
		sipmsg_free(msg);
		return ENOMEM;
	}
	err = sip_request_transmit(req);
	if (err != 0) {
		req->h = NULL;
		sip_request_free(req);
		return err;
	}
	if (reqp != NULL)
		*reqp = req;
	return 0;
}

void sip_request_abandon(struct sip_request *req)
{
	if (req == NULL || req->abandoned)
		return;
	req->abandoned = true;
	if (req->invite && req->state == RQ_SENT) {
		/* keep it until its final response, so that the 487 is ACKed */
		if (!req->cancel_sent) {
			if (req->provisional_seen)
				(void)request_send_cancel(req);
			else
				req->cancel_wanted = true;
		}
		return;
	}
	if (req->in_handler) {
		req->dead = true;
		return;
	}
	sip_request_free(req);
}

int sip_request_cancel(struct sip_request *req, const char *reason_header)
{
	if (req == NULL || !req->invite)
		return EINVAL;
	if (req->cancel_wanted || req->cancel_sent || req->dead)
		return EALREADY;
	if (reason_header != NULL) {
		req->cancel_reason = strdup(reason_header);
		if (req->cancel_reason == NULL)
			return ENOMEM;
	}
	if (req->state != RQ_SENT) {
		/* never sent: nothing to cancel on the wire (§9.1) */
		sip_request_final(req, ECANCELED, NULL);
		return 0;
	}
	if (req->provisional_seen)
		return request_send_cancel(req);
	req->cancel_wanted = true;
	return 0;
}

const struct sipmsg *sip_request_msg(const struct sip_request *req)
{
	return req->msg;
}

