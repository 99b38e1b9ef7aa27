/* The SIP user-agent core: the WebSocket transport under the transaction
 * layer, out-of-dialog requests with digest authentication, and the UAS
 * side (OPTIONS, MESSAGE, ringing INVITE + CANCEL, error responses). */
#include "sip.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "random.h"
#include "uri.h"
#include "version.h"

#define SIP_MAX_CHALLENGES 8     /* WWW-/Proxy-Authenticate values looked at */
#define SIP_BACKLOG_RETRY_MS 1   /* ws queue full: try again this soon */
#define SIP_AUTH_HEADER_SIZE 2048

struct sip_header_line {
	char *name;
	char *value;
};

/* A message waiting for room in the ws queue. */
struct sip_out {
	struct sip_out *next;
	size_t len;
	char data[];
};

struct sip_watcher {
	sip_transport_h *h;
	void *arg;
};

enum sip_request_state {
	RQ_IDLE,     /* built, not yet handed to a transaction */
	RQ_WAITING,  /* waiting for the transport */
	RQ_SENT,     /* a client transaction runs */
};

struct sip_request {
	struct sip_request *prev, *next;   /* sip->requests */
	struct sip_request *wprev, *wnext; /* sip->waiting */
	struct sip *sip;
	struct sipmsg *msg;
	char *ruri;                 /* NUL-terminated Request-URI (digest uri) */
	char *method;
	sip_response_h *h;
	void *arg;
	struct tsx_client *tsx;
	enum sip_request_state state;
	struct loop_timer timer;    /* timeout while waiting */
	uint64_t t0_us;             /* first transmission */
	uint32_t cseq;
	unsigned challenges;
	unsigned stale_retries;
	unsigned fresh_retries;
	bool used_www, used_proxy;  /* credentials sent in the last attempt */
	bool www_challenged;        /* this request took a 401 of its own */
	bool proxy_challenged;      /* ... a 407 */
	bool invite;
	bool keep_via;              /* CANCEL: the INVITE's Via, as is */
	bool no_auth;               /* CANCEL, internal BYE without creds */
	bool provisional_seen;
	bool cancel_wanted;
	bool cancel_sent;
	bool abandoned;
	bool in_handler;
	bool dead;                  /* freed once the handler returns */
	char *cancel_reason;
	char reason[128];
};

struct sip_call {
	struct sip_call *prev, *next;
	struct sip *sip;
	struct tsx_server *tsx;     /* NULL once the transaction ended */
	struct sipmsg *invite;      /* our own copy, for the events */
	char to_tag[TSX_TOKEN_SIZE];
	char *call_id;
	enum sip_call_end end;
	unsigned status;            /* final status sent */
	bool ended;                 /* ENDED reported or scheduled */
	struct loop_timer t_end;
};

struct sip {
	struct loop *loop;
	struct ws *ws;
	struct tsx_layer *tsx;
	struct tsx_timers timers;
	char *account;
	char *from_value;           /* display + <aor>, without tag */
	char *user_agent;           /* NULL: none */
	struct sip_header_line *extra;
	size_t nextra;
	char via_host[32];
	char contact_uri[128];
	char instance_urn[64];      /* "<urn:uuid:...>", "" without outbound */
	struct digest_client *www;
	struct digest_client *proxy;
	bool www_for_all;           /* a non-REGISTER request got a 401 */
	bool proxy_for_register;    /* a REGISTER got a 407 */
	bool started;
	bool connected;
	bool secure;
	bool stopping;
	struct sip_watcher watchers[SIP_MAX_WATCHERS];
	size_t nwatchers;
	sip_message_h *message_h;
	void *message_arg;
	sip_call_h *call_h;
	void *call_arg;
	sip_trace_h *trace_h;
	void *trace_arg;
	struct sip_request *requests;
	struct sip_request *waiting_head, *waiting_tail;
	struct sip_call *calls;
	struct sip_out *backlog_head, *backlog_tail;
	size_t backlog_count;
	struct loop_timer t_backlog;
	char *enc;                  /* encoding buffer, reused */
	size_t enc_size;
	struct sip_stats stats;
};

static void sip_ws_event(const struct ws_event *ev, void *arg);
static int request_transmit(struct sip_request *req);
static void request_final(struct sip_request *req, int err,
			  const struct sipmsg *resp);

/* ---- small helpers ------------------------------------------------------ */

static void set_reason(char *buf, size_t size, struct span text)
{
	size_t n = text.len < size - 1 ? text.len : size - 1;

	if (text.p != NULL)
		memcpy(buf, text.p, n);
	buf[n] = '\0';
}

/* The URI inside a name-addr or addr-spec value. */
static struct span addr_uri_span(struct span value)
{
	const char *p = value.p, *end = value.p + value.len, *lt = NULL, *gt;
	bool quoted = false;

	if (p == NULL)
		return SPAN_NULL;
	for (; p < end; p++) {
		if (*p == '\\' && quoted && p + 1 < end) {
			p++;
			continue;
		}
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '<' && !quoted) {
			lt = p;
			break;
		}
	}
	if (lt != NULL) {
		gt = memchr(lt, '>', (size_t)(end - lt));
		if (gt == NULL)
			return SPAN_NULL;
		return span_make(lt + 1, (size_t)(gt - lt - 1));
	}
	p = memchr(value.p, ';', value.len);
	return span_trim(span_make(value.p, p ? (size_t)(p - value.p) : value.len));
}

static void fill_party(const struct sipmsg *msg, enum sipmsg_hdr_id id,
		       struct span *value, struct span *uri,
		       struct span *display)
{
	struct sipmsg_header hdr;
	struct sipmsg_party party;
	int err;

	*value = SPAN_NULL;
	*uri = SPAN_NULL;
	if (display != NULL)
		*display = SPAN_NULL;
	if (sipmsg_header_get_id(msg, id, 0, &hdr) != 0)
		return;
	*value = hdr.value;
	*uri = addr_uri_span(hdr.value);
	err = id == SIPMSG_HDR_FROM ? sipmsg_from_get(msg, &party)
				    : sipmsg_to_get(msg, &party);
	if (err == 0 && display != NULL)
		*display = party.addr.display;
}

/* A quoted display name (RFC 3261 §25.1 quoted-string). */
static char *quote_display(const char *name)
{
	size_t n = strlen(name), i, j = 0;
	char *q = malloc(2 * n + 3);

	if (q == NULL)
		return NULL;
	q[j++] = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '\r' || c == '\n')
			continue;
		if (c == '"' || c == '\\')
			q[j++] = '\\';
		q[j++] = (char)c;
	}
	q[j++] = '"';
	q[j] = '\0';
	return q;
}

/* Split "Name: value" into malloc'd name and value. */
static int header_line_split(const char *line, struct sip_header_line *out)
{
	const char *colon = strchr(line, ':');
	struct span name, value;

	if (colon == NULL)
		return EINVAL;
	name = span_trim(span_make(line, (size_t)(colon - line)));
	value = span_trim(span_from_str(colon + 1));
	if (name.len == 0)
		return EINVAL;
	switch (sipmsg_hdr_lookup(name)) {
	case SIPMSG_HDR_VIA:
	case SIPMSG_HDR_FROM:
	case SIPMSG_HDR_TO:
	case SIPMSG_HDR_CALL_ID:
	case SIPMSG_HDR_CSEQ:
	case SIPMSG_HDR_CONTENT_LENGTH:
	case SIPMSG_HDR_MAX_FORWARDS:
		return EINVAL;
	default:
		break;
	}
	out->name = span_dup(name);
	out->value = value.p ? span_dup(value) : strdup("");
	if (out->name == NULL || out->value == NULL) {
		free(out->name);
		free(out->value);
		out->name = out->value = NULL;
		return ENOMEM;
	}
	return 0;
}

/* Add "Name: value" lines (NULL-terminated list) to msg. */
static int add_header_lines(struct sipmsg *msg, const char *const *lines)
{
	struct sip_header_line hl;
	size_t i;
	int err;

	for (i = 0; lines != NULL && lines[i] != NULL; i++) {
		if (i >= SIP_MAX_EXTRA_HEADERS)
			return E2BIG;
		err = header_line_split(lines[i], &hl);
		if (err != 0)
			return err;
		err = sipmsg_header_add(msg, hl.name, hl.value);
		free(hl.name);
		free(hl.value);
		if (err != 0)
			return err;
	}
	return 0;
}

static int add_span_header(struct sipmsg *msg, const char *name,
			   struct span value)
{
	char *v = span_dup(value);
	int err;

	if (v == NULL)
		return ENOMEM;
	err = sipmsg_header_add(msg, name, v);
	free(v);
	return err;
}

/* ---- transport ---------------------------------------------------------- */

static void backlog_clear(struct sip *sip)
{
	struct sip_out *o;

	while ((o = sip->backlog_head) != NULL) {
		sip->backlog_head = o->next;
		free(o);
	}
	sip->backlog_tail = NULL;
	sip->backlog_count = 0;
	loop_timer_cancel(&sip->t_backlog);
}

static void backlog_flush_cb(void *arg)
{
	struct sip *sip = arg;
	struct sip_out *o;
	int err;

	while ((o = sip->backlog_head) != NULL && sip->connected) {
		err = ws_send(sip->ws, o->data, o->len);
		if (err == ENOBUFS) {
			loop_timer_start(&sip->t_backlog, sip->loop,
					 SIP_BACKLOG_RETRY_MS, backlog_flush_cb,
					 sip);
			return;
		}
		if (err != 0)
			loop_log(sip->loop, LOOP_LOG_ERROR,
				 "sip: dropping a queued message: %s",
				 strerror(err));
		sip->backlog_head = o->next;
		if (sip->backlog_head == NULL)
			sip->backlog_tail = NULL;
		sip->backlog_count--;
		free(o);
	}
}

/* tsx_send_h, and everything else we send. */
static int transport_send(const char *data, size_t len, void *arg)
{
	struct sip *sip = arg;
	struct sip_out *o;
	int err;

	if (!sip->connected)
		return ENOTCONN;
	if (sip->trace_h != NULL)
		sip->trace_h(true, data, len, sip->trace_arg);
	if (sip->backlog_head == NULL) {
		err = ws_send(sip->ws, data, len);
		if (err != ENOBUFS)
			return err;
	}
	/* The ws queue is full: keep it here, in order, until it drains. */
	o = malloc(sizeof(*o) + len);
	if (o == NULL)
		return ENOMEM;
	o->next = NULL;
	o->len = len;
	memcpy(o->data, data, len);
	if (sip->backlog_tail != NULL)
		sip->backlog_tail->next = o;
	else
		sip->backlog_head = o;
	sip->backlog_tail = o;
	sip->backlog_count++;
	if (sip->backlog_count > sip->stats.backlog_max)
		sip->stats.backlog_max = sip->backlog_count;
	if (!loop_timer_running(&sip->t_backlog))
		loop_timer_start(&sip->t_backlog, sip->loop,
				 SIP_BACKLOG_RETRY_MS, backlog_flush_cb, sip);
	return 0;
}

/* Encode into sip->enc (for tsx_client_start). */
static int encode_msg(struct sip *sip, const struct sipmsg *msg, size_t *lenp)
{
	int err = sipmsg_encode(msg, sip->enc, sip->enc_size, lenp);

	if (err == ENOSPC) {
		size_t size = *lenp + 1 > 2 * sip->enc_size ? *lenp + 1
							     : 2 * sip->enc_size;
		char *p = realloc(sip->enc, size);

		if (p == NULL)
			return ENOMEM;
		sip->enc = p;
		sip->enc_size = size;
		err = sipmsg_encode(msg, sip->enc, sip->enc_size, lenp);
	}
	return err;
}

static int send_msg(struct sip *sip, const struct sipmsg *msg)
{
	size_t len;
	int err = encode_msg(sip, msg, &len);

	if (err != 0)
		return err;
	return transport_send(sip->enc, len, sip);
}

static void notify_watchers(struct sip *sip, const struct sip_transport_event *ev)
{
	struct sip_watcher w[SIP_MAX_WATCHERS];
	size_t i, n = sip->nwatchers;

	/* a copy: a handler may unwatch */
	memcpy(w, sip->watchers, n * sizeof(w[0]));
	for (i = 0; i < n; i++)
		w[i].h(ev, w[i].arg);
}

/* ---- requests ---------------------------------------------------------- */

static void waiting_remove(struct sip_request *req)
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

static void request_free(struct sip_request *req)
{
	struct sip *sip = req->sip;

	waiting_remove(req);
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

	waiting_remove(req);
	request_final(req, ETIMEDOUT, NULL);
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
static void request_final(struct sip_request *req, int err,
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
			set_reason(req->reason, sizeof(req->reason),
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
		request_free(req);
}

/* Add Authorization / Proxy-Authorization upfront when we hold a nonce. */
static int request_add_credentials(struct sip_request *req)
{
	struct sip *sip = req->sip;
	bool reg = strcmp(req->method, "REGISTER") == 0;
	struct span body = sipmsg_body(req->msg);
	char value[SIP_AUTH_HEADER_SIZE];
	int err;

	req->used_www = req->used_proxy = false;
	(void)sipmsg_header_remove(req->msg, "Authorization");
	(void)sipmsg_header_remove(req->msg, "Proxy-Authorization");
	if (req->no_auth)
		return 0;
	if (sip->www != NULL && (reg || sip->www_for_all)) {
		err = digest_client_authorize(sip->www, req->method, req->ruri,
					      body.p, body.len, value,
					      sizeof(value), NULL);
		if (err == 0) {
			err = sipmsg_header_add(req->msg, "Authorization", value);
			if (err != 0)
				return err;
			req->used_www = true;
		} else if (err != ENOENT) {
			return err;
		}
	}
	if (sip->proxy != NULL && (!reg || sip->proxy_for_register)) {
		err = digest_client_authorize(sip->proxy, req->method, req->ruri,
					      body.p, body.len, value,
					      sizeof(value), NULL);
		if (err == 0) {
			err = sipmsg_header_add(req->msg, "Proxy-Authorization",
						value);
			if (err != 0)
				return err;
			req->used_proxy = true;
		} else if (err != ENOENT) {
			return err;
		}
	}
	return 0;
}

static void request_on_response(struct tsx_client *t,
				const struct tsx_response_info *info,
				void *arg);

/* One attempt: new branch, credentials, encode once, new transaction. */
static int request_transmit(struct sip_request *req)
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
	err = encode_msg(sip, req->msg, &len);
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
	struct sipmsg *c = NULL;
	struct sipmsg_header hdr;
	struct sip_request *creq;
	struct span top;
	char cseq[32];
	size_t i;
	int err;

	req->cancel_sent = true;
	if (sipmsg_value_get_id(inv, SIPMSG_HDR_VIA, 0, &top) != 0)
		return EBADMSG;
	err = sipmsg_new_request(&c, "CANCEL", req->ruri);
	if (err != 0)
		return err;
	err = add_span_header(c, "Via", top);
	if (err == 0)
		err = sipmsg_header_add(c, "Max-Forwards", "70");
	for (i = 0; err == 0 &&
		    sipmsg_header_get_id(inv, SIPMSG_HDR_ROUTE, i, &hdr) == 0;
	     i++)
		err = add_span_header(c, "Route", hdr.value);
	if (err == 0 && sipmsg_header_get_id(inv, SIPMSG_HDR_TO, 0, &hdr) == 0)
		err = add_span_header(c, "To", hdr.value);
	if (err == 0 && sipmsg_header_get_id(inv, SIPMSG_HDR_FROM, 0, &hdr) == 0)
		err = add_span_header(c, "From", hdr.value);
	if (err == 0 &&
	    sipmsg_header_get_id(inv, SIPMSG_HDR_CALL_ID, 0, &hdr) == 0)
		err = add_span_header(c, "Call-ID", hdr.value);
	if (err == 0) {
		snprintf(cseq, sizeof(cseq), "%lu CANCEL", (unsigned long)req->cseq);
		err = sipmsg_header_add(c, "CSeq", cseq);
	}
	if (err == 0 && req->cancel_reason != NULL)
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
	err = request_transmit(creq);
	if (err != 0)
		request_free(creq);
	return err;
}

/* A request inside the dialog a 2xx to our INVITE made (§12.1.2): ACK or
 * BYE. No dialog is kept: until calls with media exist, an answered
 * outgoing INVITE is acknowledged and hung up at once. */
static int dialog_request(struct sip *sip, const struct sipmsg *resp,
			  const char *method, uint32_t cseq_number,
			  struct sipmsg **msgp)
{
	struct sipmsg_contact contact;
	struct sipmsg_header hdr;
	struct sipmsg *m = NULL;
	struct span target;
	char cseq[48], *uri;
	size_t i, n;
	int err;

	if (sipmsg_contact_get(resp, 0, &contact) != 0 || contact.star)
		return EBADMSG;
	if (sipmsg_header_get_id(resp, SIPMSG_HDR_CONTACT, 0, &hdr) != 0)
		return EBADMSG;
	target = addr_uri_span(hdr.value);
	uri = span_dup(target);
	if (uri == NULL)
		return ENOMEM;
	err = sipmsg_new_request(&m, method, uri);
	free(uri);
	if (err != 0)
		return err;
	err = sipmsg_header_add(m, "Via", "SIP/2.0/WS placeholder.invalid;branch=z9hG4bKx");
	if (err == 0)
		err = sipmsg_header_add(m, "Max-Forwards", "70");
	/* UAC route set: the Record-Route values in reverse order */
	n = sipmsg_record_route_count(resp);
	for (i = n; err == 0 && i > 0; i--) {
		struct span v;

		if (sipmsg_value_get_id(resp, SIPMSG_HDR_RECORD_ROUTE, i - 1, &v) == 0)
			err = add_span_header(m, "Route", v);
	}
	if (err == 0 && sipmsg_header_get_id(resp, SIPMSG_HDR_FROM, 0, &hdr) == 0)
		err = add_span_header(m, "From", hdr.value);
	if (err == 0 && sipmsg_header_get_id(resp, SIPMSG_HDR_TO, 0, &hdr) == 0)
		err = add_span_header(m, "To", hdr.value);
	if (err == 0 &&
	    sipmsg_header_get_id(resp, SIPMSG_HDR_CALL_ID, 0, &hdr) == 0)
		err = add_span_header(m, "Call-ID", hdr.value);
	if (err == 0) {
		snprintf(cseq, sizeof(cseq), "%lu %s", (unsigned long)cseq_number,
			 method);
		err = sipmsg_header_add(m, "CSeq", cseq);
	}
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
static void answer_invite_2xx(struct sip *sip, const struct sipmsg *resp)
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
				(void)send_msg(sip, ack);
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
	if (request_transmit(breq) != 0)
		request_free(breq);
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
	return request_transmit(req);
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
		set_reason(req->reason, sizeof(req->reason), sipmsg_reason(resp));
		r.reason = req->reason;
		req->in_handler = true;
		req->h(req, &r, req->arg);
		req->in_handler = false;
		req->reason[0] = '\0';
		if (req->dead || (req->abandoned && !req->invite)) {
			/* abandoned from its handler: t frees itself */
			req->tsx = NULL;
			tsx_client_abandon(t);
			request_free(req);
		}
		return;
	}
	req->tsx = NULL; /* t ends after this call */
	if (info->err != 0) {
		request_final(req, info->err, NULL);
		return;
	}
	if (status == 401 || status == 407) {
		err = request_challenged(req, resp);
		if (err == 0)
			return;
		request_final(req, err, resp);
		return;
	}
	if (status < 500) {
		if (req->used_www && sip->www != NULL)
			digest_client_confirm(sip->www);
		if (req->used_proxy && sip->proxy != NULL)
			digest_client_confirm(sip->proxy);
	}
	if (req->invite && status >= 200 && status < 300)
		answer_invite_2xx(sip, resp);
	request_final(req, 0, resp);
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
		err = add_header_lines(m, spec->headers);
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
	err = request_transmit(req);
	if (err != 0) {
		req->h = NULL;
		request_free(req);
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
	request_free(req);
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
		request_final(req, ECANCELED, NULL);
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

/* ---- UAS: classification ---------------------------------------------- */

static const char *const supported_tags[] = {"outbound", "gruu", NULL};
static const char *const sdp_types[] = {"application/sdp", NULL};

enum method_kind { METHOD_SERVED, METHOD_KNOWN, METHOD_UNKNOWN };

static enum method_kind method_kind(struct span m)
{
	static const char *const served[] = {"INVITE", "ACK", "CANCEL", "BYE",
					     "OPTIONS", "MESSAGE", NULL};
	static const char *const known[] = {"REGISTER", "SUBSCRIBE", "NOTIFY",
					    "REFER", "INFO", "UPDATE", "PRACK",
					    "PUBLISH", NULL};
	size_t i;

	for (i = 0; served[i] != NULL; i++)
		if (span_eq(m, served[i]))
			return METHOD_SERVED;
	for (i = 0; known[i] != NULL; i++)
		if (span_eq(m, known[i]))
			return METHOD_KNOWN;
	return METHOD_UNKNOWN;
}

/* Our capabilities for this request; type_buf holds MESSAGE's own type
 * (we take any body type in a MESSAGE and hand it over as is). */
static void request_caps(const struct sipmsg *req, struct sipmsg_caps *caps,
			 const char **accept, char *type_buf, size_t size)
{
	struct sipmsg_media media;
	struct span m = sipmsg_method(req);

	caps->supported = supported_tags;
	caps->accept = sdp_types;
	caps->produce = NULL;
	if (span_eq(m, "INVITE"))
		caps->produce = sdp_types;
	if (span_eq(m, "MESSAGE") &&
	    sipmsg_content_type_get(req, &media) == 0 &&
	    media.type.len + media.subtype.len + 2 <= size) {
		memcpy(type_buf, media.type.p, media.type.len);
		type_buf[media.type.len] = '/';
		memcpy(type_buf + media.type.len + 1, media.subtype.p,
		       media.subtype.len);
		type_buf[media.type.len + 1 + media.subtype.len] = '\0';
		accept[0] = type_buf;
		accept[1] = NULL;
		caps->accept = accept;
	}
}

int sip_classify_request(const struct sipmsg *req, int *status,
			 const char **reason)
{
	struct sipmsg_caps caps;
	struct sipmsg_party to;
	const char *accept[2];
	char type[256];
	struct span m;
	int err;

	if (req == NULL || status == NULL || !sipmsg_is_request(req))
		return EINVAL;
	request_caps(req, &caps, accept, type, sizeof(type));
	err = sipmsg_check_request(req, &caps, status, reason);
	if (err != 0 || *status != 0)
		return err;
	m = sipmsg_method(req);
	switch (method_kind(m)) {
	case METHOD_KNOWN:
		*status = 405;
		if (reason != NULL)
			*reason = "Method Not Allowed";
		return 0;
	case METHOD_UNKNOWN:
		*status = 501;
		if (reason != NULL)
			*reason = "Not Implemented";
		return 0;
	case METHOD_SERVED:
		break;
	}
	/* We keep no dialogs yet: every mid-dialog request is for one we
	 * do not know (§12.2.2). ACK is never answered; CANCEL is matched
	 * by its transaction. */
	if (!span_eq(m, "ACK") && !span_eq(m, "CANCEL") &&
	    sipmsg_to_get(req, &to) == 0 && to.tag.p != NULL) {
		*status = 481;
		if (reason != NULL)
			*reason = "Call/Transaction Does Not Exist";
	}
	return 0;
}

/* ---- UAS: responses ------------------------------------------------------ */

static int reply_new(struct sip *sip, const struct sipmsg *req,
		     unsigned status, const char *reason, const char *to_tag,
		     struct sipmsg **respp)
{
	char tag[TSX_TOKEN_SIZE];
	int err;

	if (to_tag == NULL && status > 100) {
		err = tsx_token_new(tag, sizeof(tag), TSX_TAG_CHARS);
		if (err != 0)
			return err;
		to_tag = tag;
	}
	err = sipmsg_new_reply(respp, req, status, reason, to_tag);
	if (err == 0 && sip->user_agent != NULL)
		err = sipmsg_header_add(*respp, "Server", sip->user_agent);
	if (err != 0) {
		sipmsg_free(*respp);
		*respp = NULL;
	}
	return err;
}

/* Answer through the server transaction (t may end inside). */
static int reply_tsx(struct sip *sip, struct tsx_server *t,
		     struct sipmsg *resp)
{
	int err = tsx_server_reply(t, resp);

	sip->stats.responses_sent++;
	sipmsg_free(resp);
	return err;
}

/* An error response per sip_classify_request, with the headers that
 * explain it (§8.2.2.3 Unsupported, §8.2.3 Accept, §8.2.1 Allow). */
static void reply_error(struct sip *sip, struct tsx_server *t, int status,
			const char *reason)
{
	const struct sipmsg *req = tsx_server_request(t);
	struct sipmsg *resp = NULL;
	struct sipmsg_caps caps;
	const char *accept[2];
	char type[256];
	struct span tag;
	size_t i;
	int err;

	err = reply_new(sip, req, (unsigned)status, reason, NULL, &resp);
	if (err != 0) {
		tsx_server_abandon(t);
		return;
	}
	switch (status) {
	case 405:
	case 501:
		err = sipmsg_header_add(resp, "Allow", SIP_ALLOW);
		break;
	case 415:
		err = sipmsg_header_add(resp, "Accept", "application/sdp");
		if (err == 0)
			err = sipmsg_header_add(resp, "Accept-Encoding",
						"identity");
		break;
	case 420:
		request_caps(req, &caps, accept, type, sizeof(type));
		for (i = 0; err == 0 &&
			    sipmsg_unsupported_get(req, &caps, i, &tag) == 0;
		     i++)
			err = add_span_header(resp, "Unsupported", tag);
		break;
	default:
		break;
	}
	if (err != 0) {
		sipmsg_free(resp);
		tsx_server_abandon(t);
		return;
	}
	(void)reply_tsx(sip, t, resp);
}

int sip_bad_request_reply(const char *data, size_t len, char *buf,
			  size_t size, size_t *lenp)
{
	static const char *const names[5][2] = {
		{"via", "v"}, {"from", "f"}, {"to", "t"},
		{"call-id", "i"}, {"cseq", NULL},
	};
	static const char head[] = "SIP/2.0 400 Bad Request\r\n";
	static const char tail[] = "Content-Length: 0\r\n\r\n";
	struct span lines[5][8];
	size_t nlines[5] = {0}, i, j, total;
	const char *p = data, *end = data + len, *eol;
	char *o;
	bool first = true;

	if (data == NULL || buf == NULL)
		return EINVAL;
	if (len > SIPMSG_MAX_SIZE)
		return E2BIG;
	while (p < end) {
		struct span line, name;
		const char *colon;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		line = span_make(p, (size_t)(eol - p));
		if (line.len > 0 && line.p[line.len - 1] == '\r')
			line.len--;
		p = eol < end ? eol + 1 : end;
		if (first) {
			/* a request line: not a response, not an ACK */
			if (line.len < 12 || memcmp(line.p, "SIP/", 4) == 0 ||
			    memcmp(line.p, "ACK ", 4) == 0 ||
			    memcmp(line.p + line.len - 8, " SIP/2.0", 8) != 0)
				return EBADMSG;
			first = false;
			continue;
		}
		if (line.len == 0)
			break;
		if (line.p[0] == ' ' || line.p[0] == '\t')
			continue; /* a fold: we copy single lines only */
		colon = memchr(line.p, ':', line.len);
		if (colon == NULL)
			continue;
		name = span_trim(span_make(line.p, (size_t)(colon - line.p)));
		for (i = 0; i < 5; i++)
			if (span_eq_nocase(name, names[i][0]) ||
			    (names[i][1] != NULL && span_eq_nocase(name, names[i][1])))
				break;
		if (i == 5)
			continue;
		/* what we copy must be clean: no control characters */
		for (j = 0; j < line.len; j++)
			if ((unsigned char)line.p[j] < 0x20 && line.p[j] != '\t')
				return EBADMSG;
		if (nlines[i] == 8)
			return EBADMSG;
		lines[i][nlines[i]++] = line;
	}
	total = sizeof(head) - 1 + sizeof(tail) - 1;
	for (i = 0; i < 5; i++) {
		/* every one present, and a single From/To/Call-ID/CSeq */
		if (nlines[i] == 0 || (i > 0 && nlines[i] != 1))
			return EBADMSG;
		for (j = 0; j < nlines[i]; j++)
			total += lines[i][j].len + 2;
	}
	if (lenp != NULL)
		*lenp = total;
	if (size <= total)
		return ENOSPC;
	o = buf;
	memcpy(o, head, sizeof(head) - 1);
	o += sizeof(head) - 1;
	for (i = 0; i < 5; i++)
		for (j = 0; j < nlines[i]; j++) {
			memcpy(o, lines[i][j].p, lines[i][j].len);
			o += lines[i][j].len;
			*o++ = '\r';
			*o++ = '\n';
		}
	memcpy(o, tail, sizeof(tail) - 1);
	o += sizeof(tail) - 1;
	*o = '\0';
	return 0;
}

/* The 400 for a request too broken to decode, when it has all that
 * routing a response needs; else nothing. */
static int reply_raw_400(struct sip *sip, const char *data, size_t len)
{
	size_t n = 0;
	char probe, *out;
	/* size 0: only measures (ENOSPC), or says there is nothing to do */
	int err = sip_bad_request_reply(data, len, &probe, 0, &n);

	if (err != ENOSPC)
		return err;
	out = malloc(n + 1);
	if (out == NULL)
		return ENOMEM;
	err = sip_bad_request_reply(data, len, out, n + 1, &n);
	if (err == 0) {
		/* copied lines that do not make a response (a broken Via)
		 * could not be routed back anyway */
		struct sipmsg *check = NULL;

		err = sipmsg_decode(&check, out, n, NULL, 0);
		sipmsg_free(check);
	}
	if (err == 0)
		err = transport_send(out, n, sip);
	if (err == 0)
		sip->stats.responses_sent++;
	free(out);
	return err;
}

/* ---- UAS: calls -------------------------------------------------------- */

const char *sip_call_end_name(enum sip_call_end end)
{
	switch (end) {
	case SIP_CALL_END_CANCELLED: return "cancelled";
	case SIP_CALL_END_ELSEWHERE: return "answered elsewhere";
	case SIP_CALL_END_REJECTED: return "rejected";
	case SIP_CALL_END_TRANSPORT: return "transport lost";
	case SIP_CALL_END_SHUTDOWN: return "shutdown";
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
	fill_party(call->invite, SIPMSG_HDR_FROM, &ev->from, &ev->from_uri,
		   &ev->from_display);
	fill_party(call->invite, SIPMSG_HDR_TO, &ev->to, &ev->to_uri, NULL);
	(void)sipmsg_call_id_get(call->invite, &ev->call_id);
	ev->end = call->end;
	ev->status = call->status;
}

static void call_unlink(struct sip_call *call)
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

static void call_destroy(struct sip_call *call)
{
	loop_timer_cancel(&call->t_end);
	if (call->tsx != NULL)
		tsx_server_set_owner(call->tsx, NULL, NULL);
	sipmsg_free(call->invite);
	free(call->call_id);
	free(call);
}

/* Report the end now and free the call. */
static void call_report_end(struct sip_call *call,
			    const struct sipmsg *cause)
{
	struct sip *sip = call->sip;
	struct sip_call_event ev;

	call->ended = true;
	call_unlink(call);
	if (sip->call_h != NULL) {
		call_fill_event(call, &ev, SIP_CALL_ENDED);
		ev.cause = cause;
		sip->call_h(&ev, sip->call_arg);
	}
	call_destroy(call);
}

static void call_end_cb(void *arg)
{
	call_report_end(arg, NULL);
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
	call_report_end(call, NULL);
}

/* Send a final response for the call's INVITE. */
static int call_final(struct sip_call *call, unsigned status,
		      const char *reason)
{
	struct sip *sip = call->sip;
	struct sipmsg *resp = NULL;
	int err;

	if (call->tsx == NULL || tsx_server_completed(call->tsx))
		return EALREADY;
	err = reply_new(sip, tsx_server_request(call->tsx), status, reason,
			call->to_tag, &resp);
	if (err != 0)
		return err;
	call->status = status;
	/* a non-2xx keeps the transaction until the ACK (or Timer H) */
	return reply_tsx(sip, call->tsx, resp);
}

int sip_call_reject(struct sip_call *call, unsigned status,
		    const char *reason)
{
	int err;

	if (call == NULL || status < 300 || status > 699)
		return EINVAL;
	if (call->ended)
		return EALREADY;
	err = call_final(call, status, reason);
	if (err != 0 && err != ENOTCONN)
		return err;
	call->end = SIP_CALL_END_REJECTED;
	call->ended = true;
	loop_timer_start(&call->t_end, call->sip->loop, 0, call_end_cb, call);
	return 0;
}

const char *sip_call_call_id(const struct sip_call *call)
{
	return call->call_id;
}

static void serve_invite(struct sip *sip, struct tsx_server *t,
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
		reply_error(sip, t, 480, "Temporarily Unavailable");
		return;
	}
	call = calloc(1, sizeof(*call));
	if (call == NULL) {
		reply_error(sip, t, 500, "Server Internal Error");
		return;
	}
	call->sip = sip;
	call->tsx = t;
	loop_timer_init(&call->t_end);
	if (sipmsg_decode(&call->invite, data, len, reason, sizeof(reason)) != 0 ||
	    sipmsg_call_id_get(req, &cid) != 0 ||
	    (call->call_id = span_dup(cid)) == NULL ||
	    tsx_token_new(call->to_tag, sizeof(call->to_tag), TSX_TAG_CHARS) != 0) {
		call_destroy(call);
		reply_error(sip, t, 500, "Server Internal Error");
		return;
	}
	tsx_server_set_owner(t, call_tsx_end, call);
	call->next = sip->calls;
	if (sip->calls != NULL)
		sip->calls->prev = call;
	sip->calls = call;

	if (reply_new(sip, req, 100, NULL, NULL, &resp) == 0)
		(void)reply_tsx(sip, t, resp);
	err = reply_new(sip, req, 180, NULL, call->to_tag, &resp);
	if (err == 0) {
		snprintf(contact, sizeof(contact), "<%s>", sip->contact_uri);
		err = sipmsg_header_add(resp, "Contact", contact);
		if (err != 0)
			sipmsg_free(resp);
	}
	if (err == 0)
		(void)reply_tsx(sip, t, resp);
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

static void serve_cancel(struct sip *sip, struct tsx_server *t,
			 const char *data, size_t len)
{
	const struct sipmsg *cancel = tsx_server_request(t);
	struct tsx_server *inv = tsx_layer_find_invite(sip->tsx, cancel);
	struct sipmsg *copy = NULL, *resp = NULL;
	struct sip_call *call;

	if (inv == NULL) {
		reply_error(sip, t, 481, "Call/Transaction Does Not Exist");
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
	if (reply_new(sip, cancel, 200, NULL,
		      call != NULL ? call->to_tag : NULL, &resp) == 0)
		(void)reply_tsx(sip, t, resp);
	else
		tsx_server_abandon(t);
	if (tsx_server_completed(inv)) {
		sipmsg_free(copy);
		return;
	}
	if (call == NULL) {
		/* an INVITE we are still answering otherwise: terminate it */
		struct sipmsg *r487 = NULL;

		if (reply_new(sip, tsx_server_request(inv), 487, NULL, NULL,
			      &r487) == 0)
			(void)reply_tsx(sip, inv, r487);
		sipmsg_free(copy);
		return;
	}
	(void)call_final(call, 487, NULL);
	if (!call->ended) {
		loop_timer_cancel(&call->t_end);
		call_report_end(call, copy);
	}
	sipmsg_free(copy);
}

/* ---- UAS: dispatch ------------------------------------------------------ */

static void serve_options(struct sip *sip, struct tsx_server *t)
{
	struct sipmsg *resp = NULL;
	int err;

	err = reply_new(sip, tsx_server_request(t), 200, NULL, NULL, &resp);
	if (err != 0) {
		tsx_server_abandon(t);
		return;
	}
	err = sipmsg_header_add(resp, "Allow", SIP_ALLOW);
	if (err == 0)
		err = sipmsg_header_add(resp, "Accept",
					"application/sdp, text/plain, */*");
	if (err == 0)
		err = sipmsg_header_add(resp, "Accept-Encoding", "identity");
	if (err == 0)
		err = sipmsg_header_add(resp, "Supported", SIP_SUPPORTED);
	if (err != 0) {
		sipmsg_free(resp);
		tsx_server_abandon(t);
		return;
	}
	(void)reply_tsx(sip, t, resp);
}

static void serve_message(struct sip *sip, struct tsx_server *t)
{
	const struct sipmsg *req = tsx_server_request(t);
	struct sip_incoming_message m;
	struct sipmsg *resp = NULL;
	struct sipmsg_header hdr;
	unsigned status = 200;

	if (sip->message_h != NULL) {
		memset(&m, 0, sizeof(m));
		m.msg = req;
		fill_party(req, SIPMSG_HDR_FROM, &m.from, &m.from_uri,
			   &m.from_display);
		fill_party(req, SIPMSG_HDR_TO, &m.to, &m.to_uri, NULL);
		(void)sipmsg_call_id_get(req, &m.call_id);
		if (sipmsg_header_get_id(req, SIPMSG_HDR_CONTENT_TYPE, 0, &hdr) == 0)
			m.content_type = hdr.value;
		m.body = sipmsg_body(req);
		status = sip->message_h(&m, sip->message_arg);
		if (status == 0)
			status = 200;
		if (status < 200 || status > 699)
			status = 500;
	}
	if (reply_new(sip, req, status, NULL, NULL, &resp) != 0) {
		tsx_server_abandon(t);
		return;
	}
	(void)reply_tsx(sip, t, resp);
}

static void receive_request(struct sip *sip, struct sipmsg *msg,
			    const char *data, size_t len)
{
	struct tsx_server *t = NULL;
	const char *reason = NULL;
	struct span m = sipmsg_method(msg);
	int err, status = 0;

	sip->stats.requests_received++;
	err = tsx_layer_request(sip->tsx, msg, &t);
	if (err != 0) {
		/* absorbed ACK or retransmission, stray ACK, no usable Via */
		if (err == EBADMSG)
			loop_log(sip->loop, LOOP_LOG_INFO,
				 "sip: dropped a request without a usable Via");
		sipmsg_free(msg);
		return;
	}
	/* msg now belongs to t */
	if (sip_classify_request(msg, &status, &reason) != 0) {
		tsx_server_abandon(t);
		return;
	}
	if (status != 0) {
		reply_error(sip, t, status, reason);
		return;
	}
	if (span_eq(m, "OPTIONS"))
		serve_options(sip, t);
	else if (span_eq(m, "MESSAGE"))
		serve_message(sip, t);
	else if (span_eq(m, "INVITE"))
		serve_invite(sip, t, data, len);
	else if (span_eq(m, "CANCEL"))
		serve_cancel(sip, t, data, len);
	else
		/* BYE outside a dialog we know */
		reply_error(sip, t, 481, "Call/Transaction Does Not Exist");
}

static void receive(struct sip *sip, const char *data, size_t len)
{
	struct sipmsg *msg = NULL;
	char reason[128];
	int err;

	if (sip->trace_h != NULL)
		sip->trace_h(false, data, len, sip->trace_arg);
	err = sipmsg_decode(&msg, data, len, reason, sizeof(reason));
	if (err != 0) {
		sip->stats.dropped++;
		if (reply_raw_400(sip, data, len) == 0)
			loop_log(sip->loop, LOOP_LOG_INFO,
				 "sip: answered 400 to an undecodable request: %s",
				 reason);
		else
			loop_log(sip->loop, LOOP_LOG_INFO,
				 "sip: dropped an undecodable message: %s",
				 reason);
		return;
	}
	if (sipmsg_is_request(msg)) {
		receive_request(sip, msg, data, len);
		return;
	}
	sip->stats.responses_received++;
	err = tsx_layer_response(sip->tsx, msg);
	if (err == ENOENT) {
		struct sipmsg_cseq cseq;

		/* a retransmitted or forked 2xx to our INVITE: ACK (and end) it */
		if (sipmsg_status(msg) >= 200 && sipmsg_status(msg) < 300 &&
		    sipmsg_cseq_get(msg, &cseq) == 0 &&
		    span_eq(cseq.method, "INVITE"))
			answer_invite_2xx(sip, msg);
		else
			sip->stats.dropped++;
	} else if (err != 0) {
		sip->stats.dropped++;
	}
	sipmsg_free(msg);
}

/* ---- transport events -------------------------------------------------- */

static void fail_waiting(struct sip *sip, int err)
{
	struct sip_request *req;

	while ((req = sip->waiting_head) != NULL) {
		waiting_remove(req);
		request_final(req, err, NULL);
	}
}

static void end_calls(struct sip *sip, enum sip_call_end end)
{
	struct sip_call *call;

	while ((call = sip->calls) != NULL) {
		if (!call->ended) {
			call->end = end;
			if (end == SIP_CALL_END_SHUTDOWN)
				(void)call_final(call, 480, NULL);
		}
		loop_timer_cancel(&call->t_end);
		call_report_end(call, NULL);
	}
}

static void sip_ws_event(const struct ws_event *ev, void *arg)
{
	struct sip *sip = arg;
	struct sip_transport_event te;
	struct sip_request *req;

	memset(&te, 0, sizeof(te));
	te.url = ev->url;
	switch (ev->type) {
	case WS_EVENT_MESSAGE:
		if (!ev->binary || ev->len > 0)
			receive(sip, ev->data, ev->len);
		return;
	case WS_EVENT_CONNECTED:
		sip->connected = true;
		sip->secure = ev->url != NULL && strncmp(ev->url, "wss:", 4) == 0;
		/* the waiting requests go first, in order */
		while ((req = sip->waiting_head) != NULL) {
			int err;

			waiting_remove(req);
			err = request_transmit(req);
			if (err != 0)
				request_final(req, err, NULL);
		}
		te.type = SIP_TRANSPORT_CONNECTED;
		notify_watchers(sip, &te);
		return;
	case WS_EVENT_DISCONNECTED:
		sip->connected = false;
		backlog_clear(sip);
		tsx_layer_fail_all(sip->tsx, ECONNRESET);
		end_calls(sip, SIP_CALL_END_TRANSPORT);
		if (!ev->retry)
			sip->started = false;
		te.type = SIP_TRANSPORT_DISCONNECTED;
		te.err = ev->err;
		te.reason = ev->reason;
		te.retry = ev->retry;
		te.retry_ms = ev->retry_ms;
		notify_watchers(sip, &te);
		if (!ev->retry) {
			/* after the event, which told the reason (refused,
			 * TLS...): the handlers know it when these fail */
			fail_waiting(sip, sip->stopping ? ECANCELED : ECONNRESET);
			sip->stopping = false;
		}
		return;
	}
}

/* ---- the core ----------------------------------------------------------- */

static int make_credentials(struct sip *sip, const struct sip_config *cfg,
			    const struct uri *account)
{
	char user[DIGEST_USERNAME_MAX + 1];
	const char *au = cfg->auth_user;
	size_t ulen;
	int err, i;

	if (cfg->password == NULL && cfg->ha1 == NULL)
		return 0;
	if (au == NULL) {
		if (uri_unescape(account->user, user, sizeof(user), &ulen) != 0 ||
		    ulen == 0 || strlen(user) != ulen)
			return EINVAL;
		au = user;
	}
	for (i = 0; i < 2; i++) {
		struct digest_client **dc = i == 0 ? &sip->www : &sip->proxy;

		if (cfg->password != NULL)
			err = digest_client_alloc(dc, au, cfg->password,
						  cfg->realm);
		else if (cfg->realm == NULL)
			err = EINVAL; /* an HA1 is bound to one realm */
		else
			err = digest_client_alloc_ha1(dc, au, cfg->realm,
						      cfg->ha1_algorithm,
						      cfg->ha1);
		if (err != 0)
			return err;
	}
	return 0;
}

int sip_alloc(struct sip **sp, struct loop *loop, const struct sip_config *cfg)
{
	struct sip *sip;
	struct uri account;
	struct sipmsg *scratch = NULL;
	char user[16], host[16], reason[128];
	size_t i, n;
	int err;

	if (sp == NULL || loop == NULL || cfg == NULL || cfg->uri == NULL)
		return EINVAL;
	*sp = NULL;
	if (uri_decode(&account, cfg->uri, strlen(cfg->uri), reason,
		       sizeof(reason)) != 0 ||
	    (account.scheme != URI_SCHEME_SIP && account.scheme != URI_SCHEME_SIPS) ||
	    account.user.p == NULL || account.host.p == NULL)
		return EINVAL;
	sip = calloc(1, sizeof(*sip));
	if (sip == NULL)
		return ENOMEM;
	sip->loop = loop;
	loop_timer_init(&sip->t_backlog);
	tsx_timers_init(&sip->timers, cfg->t1_ms, cfg->timeout_ms, true);
	err = ENOMEM;
	sip->account = strdup(cfg->uri);
	if (sip->account == NULL)
		goto fail;
	if (cfg->display_name != NULL && cfg->display_name[0] != '\0') {
		char *q = quote_display(cfg->display_name);

		if (q == NULL)
			goto fail;
		n = strlen(q) + strlen(cfg->uri) + 4;
		sip->from_value = malloc(n);
		if (sip->from_value != NULL)
			snprintf(sip->from_value, n, "%s <%s>", q, cfg->uri);
		free(q);
	} else {
		n = strlen(cfg->uri) + 3;
		sip->from_value = malloc(n);
		if (sip->from_value != NULL)
			snprintf(sip->from_value, n, "<%s>", cfg->uri);
	}
	if (sip->from_value == NULL)
		goto fail;
	if (cfg->user_agent == NULL)
		sip->user_agent = strdup("sipws/" SIPWS_VERSION);
	else if (cfg->user_agent[0] != '\0')
		sip->user_agent = strdup(cfg->user_agent);
	if (sip->user_agent == NULL &&
	    (cfg->user_agent == NULL || cfg->user_agent[0] != '\0'))
		goto fail;

	/* extra headers: split, and proven to fit in a message */
	err = sipmsg_new_request(&scratch, "OPTIONS", "sip:check.invalid");
	if (err != 0)
		goto fail;
	for (n = 0; cfg->extra_headers != NULL && cfg->extra_headers[n] != NULL; n++)
		;
	err = EINVAL;
	if (n > SIP_MAX_EXTRA_HEADERS)
		goto fail;
	if (n > 0) {
		sip->extra = calloc(n, sizeof(*sip->extra));
		err = ENOMEM;
		if (sip->extra == NULL)
			goto fail;
	}
	for (i = 0; i < n; i++) {
		err = header_line_split(cfg->extra_headers[i], &sip->extra[i]);
		if (err != 0)
			goto fail;
		sip->nextra++;
		err = sipmsg_header_add(scratch, sip->extra[i].name,
					sip->extra[i].value);
		if (err != 0) {
			err = EINVAL;
			goto fail;
		}
	}
	if (sip->user_agent != NULL &&
	    sipmsg_header_add(scratch, "User-Agent", sip->user_agent) != 0) {
		err = EINVAL;
		goto fail;
	}

	/* RFC 7118 §5: random .invalid names for Via and Contact */
	if (tsx_token_new(host, sizeof(host), 10) != 0 ||
	    tsx_token_new(user, sizeof(user), 8) != 0) {
		err = EIO;
		goto fail;
	}
	snprintf(sip->via_host, sizeof(sip->via_host), "%s.invalid", host);
	if (cfg->instance_id != NULL) {
		const char *id = cfg->instance_id;

		if (strncmp(id, "urn:uuid:", 9) == 0)
			id += 9;
		err = EINVAL;
		if (!sip_uuid_valid(id, strlen(id)))
			goto fail;
		snprintf(sip->instance_urn, sizeof(sip->instance_urn),
			 "<urn:uuid:%s>", id);
	}
	snprintf(sip->contact_uri, sizeof(sip->contact_uri),
		 "sip:%s@%s;transport=ws%s", user, sip->via_host,
		 cfg->instance_id != NULL ? ";ob" : "");

	err = make_credentials(sip, cfg, &account);
	if (err != 0)
		goto fail;
	err = tsx_layer_alloc(&sip->tsx, loop, &sip->timers, transport_send, sip);
	if (err != 0)
		goto fail;
	err = ws_alloc(&sip->ws, loop, &cfg->ws, sip_ws_event, sip);
	if (err != 0)
		goto fail;
	sipmsg_free(scratch);
	*sp = sip;
	return 0;
fail:
	sipmsg_free(scratch);
	sip_free(sip);
	return err;
}

void sip_free(struct sip *sip)
{
	size_t i;

	if (sip == NULL)
		return;
	ws_free(sip->ws);
	sip->ws = NULL;
	while (sip->calls != NULL) {
		struct sip_call *call = sip->calls;

		call_unlink(call);
		call_destroy(call);
	}
	while (sip->requests != NULL)
		request_free(sip->requests);
	tsx_layer_free(sip->tsx);
	backlog_clear(sip);
	digest_client_free(sip->www);
	digest_client_free(sip->proxy);
	for (i = 0; i < sip->nextra; i++) {
		free(sip->extra[i].name);
		free(sip->extra[i].value);
	}
	free(sip->extra);
	free(sip->account);
	free(sip->from_value);
	free(sip->user_agent);
	free(sip->enc);
	free(sip);
}

int sip_start(struct sip *sip)
{
	int err;

	if (sip == NULL)
		return EINVAL;
	if (sip->started)
		return EALREADY;
	err = ws_connect(sip->ws);
	if (err != 0)
		return err;
	sip->started = true;
	sip->stopping = false;
	return 0;
}

void sip_stop(struct sip *sip)
{
	struct sip_request *req;
	bool found;

	if (sip == NULL || !sip->started || sip->stopping)
		return;
	sip->stopping = true;
	end_calls(sip, SIP_CALL_END_SHUTDOWN);
	fail_waiting(sip, ECANCELED);
	/* requests in flight: one at a time, as handlers may change the list */
	do {
		found = false;
		for (req = sip->requests; req != NULL; req = req->next)
			if (req->state == RQ_SENT && !req->dead) {
				found = true;
				if (req->tsx != NULL) {
					tsx_client_abandon(req->tsx);
					req->tsx = NULL;
				}
				req->state = RQ_IDLE;
				request_final(req, ECANCELED, NULL);
				break;
			}
	} while (found);
	ws_close(sip->ws);
}

bool sip_is_connected(const struct sip *sip)
{
	return sip != NULL && sip->connected;
}

void sip_set_message_handler(struct sip *sip, sip_message_h *h, void *arg)
{
	sip->message_h = h;
	sip->message_arg = arg;
}

void sip_set_call_handler(struct sip *sip, sip_call_h *h, void *arg)
{
	sip->call_h = h;
	sip->call_arg = arg;
}

int sip_transport_watch(struct sip *sip, sip_transport_h *h, void *arg)
{
	if (sip == NULL || h == NULL)
		return EINVAL;
	if (sip->nwatchers >= SIP_MAX_WATCHERS)
		return ENOSPC;
	sip->watchers[sip->nwatchers].h = h;
	sip->watchers[sip->nwatchers].arg = arg;
	sip->nwatchers++;
	return 0;
}

int sip_transport_unwatch(struct sip *sip, sip_transport_h *h, void *arg)
{
	size_t i;

	if (sip == NULL)
		return EINVAL;
	for (i = 0; i < sip->nwatchers; i++)
		if (sip->watchers[i].h == h && sip->watchers[i].arg == arg) {
			memmove(&sip->watchers[i], &sip->watchers[i + 1],
				(sip->nwatchers - i - 1) * sizeof(sip->watchers[0]));
			sip->nwatchers--;
			return 0;
		}
	return ENOENT;
}

void sip_set_trace(struct sip *sip, sip_trace_h *h, void *arg)
{
	sip->trace_h = h;
	sip->trace_arg = arg;
}

void sip_stats_get(const struct sip *sip, struct sip_stats *st)
{
	*st = sip->stats;
}

struct loop *sip_loop(const struct sip *sip)
{
	return sip->loop;
}

const char *sip_account(const struct sip *sip)
{
	return sip->account;
}

const char *sip_contact_uri(const struct sip *sip)
{
	return sip->contact_uri;
}

const char *sip_instance_urn(const struct sip *sip)
{
	return sip->instance_urn[0] != '\0' ? sip->instance_urn : NULL;
}

const char *sip_server_url(const struct sip *sip)
{
	return ws_url(sip->ws);
}

const struct tsx_timers *sip_timers(const struct sip *sip)
{
	return &sip->timers;
}

/* ---- instance id -------------------------------------------------------- */

bool sip_uuid_valid(const char *text, size_t len)
{
	size_t i;

	if (text == NULL || len != 36)
		return false;
	for (i = 0; i < 36; i++) {
		char c = text[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			     (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}
	return true;
}

/* mkdir -p with mode 0700 for what we create. */
static int make_dirs(char *path)
{
	char *p;

	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			int err = errno;

			*p = '/';
			return err;
		}
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return errno;
	return 0;
}

int sip_instance_id_load(const char *state_dir, const char *profile,
			 char *buf, size_t size)
{
	unsigned char b[16];
	char uuid[40], line[64];
	char *dir = NULL, *file = NULL, *tmp = NULL;
	size_t n, dlen;
	FILE *f;
	int err = 0, fd;

	if (state_dir == NULL || state_dir[0] == '\0' || buf == NULL)
		return EINVAL;
	if (size < 37)
		return ENOSPC;
	if (profile == NULL || profile[0] == '\0')
		profile = "default";
	if (strchr(profile, '/') != NULL || strcmp(profile, ".") == 0 ||
	    strcmp(profile, "..") == 0)
		return EINVAL;
	dlen = strlen(state_dir) + strlen(profile) + 2;
	dir = malloc(dlen);
	file = malloc(dlen + 16);
	tmp = malloc(dlen + 48);
	if (dir == NULL || file == NULL || tmp == NULL) {
		err = ENOMEM;
		goto out;
	}
	snprintf(dir, dlen, "%s/%s", state_dir, profile);
	snprintf(file, dlen + 16, "%s/instance-id", dir);
	f = fopen(file, "r");
	if (f != NULL) {
		if (fgets(line, sizeof(line), f) == NULL)
			line[0] = '\0';
		fclose(f);
		n = strcspn(line, "\r\n");
		if (!sip_uuid_valid(line, n)) {
			err = EBADMSG;
			goto out;
		}
		for (n = 0; n < 36; n++)
			buf[n] = (char)(line[n] >= 'A' && line[n] <= 'F'
						? line[n] - 'A' + 'a'
						: line[n]);
		buf[36] = '\0';
		goto out;
	}
	if (errno != ENOENT) {
		err = errno;
		goto out;
	}
	err = random_bytes(b, sizeof(b));
	if (err != 0)
		goto out;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(uuid, sizeof(uuid),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
	err = make_dirs(dir);
	if (err != 0)
		goto out;
	/* write a temporary file and rename it: never a half-written id */
	snprintf(tmp, dlen + 48, "%s/.instance-id.%ld", dir, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		err = errno;
		goto out;
	}
	n = strlen(uuid);
	uuid[n] = '\n';
	if (write(fd, uuid, n + 1) != (ssize_t)(n + 1)) {
		err = errno ? errno : EIO;
		close(fd);
		unlink(tmp);
		goto out;
	}
	uuid[n] = '\0';
	if (close(fd) != 0) {
		err = errno;
		unlink(tmp);
		goto out;
	}
	/* a concurrent first run may have won: keep its id */
	if (link(tmp, file) != 0) {
		int e = errno;

		unlink(tmp);
		free(dir);
		free(file);
		free(tmp);
		if (e == EEXIST)
			return sip_instance_id_load(state_dir, profile, buf, size);
		return e;
	}
	unlink(tmp);
	memcpy(buf, uuid, 37);
out:
	free(dir);
	free(file);
	free(tmp);
	return err;
}
