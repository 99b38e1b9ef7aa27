/* SIP transactions (RFC 3261 §17) over a reliable transport: keys and
 * matching, client and server state machines, their timers, and the
 * random branches, tags and Call-IDs. */
#include "tsx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "random.h"

#define TSX_BUCKETS 256u

/* ---- timers and random tokens ------------------------------------------ */

void tsx_timers_init(struct tsx_timers *t, unsigned t1_ms,
		     unsigned timeout_ms, bool reliable)
{
	unsigned t1 = t1_ms ? t1_ms : TSX_T1_MS;
	unsigned to = timeout_ms ? timeout_ms : 64u * t1;

	memset(t, 0, sizeof(*t));
	t->t1 = t1;
	t->b = to;
	t->f = to;
	t->h = to;
	if (!reliable) {
		t->d = 32000u > 64u * t1 ? 32000u : 64u * t1;
		t->i = TSX_T4_MS;
		t->j = 64u * t1;
		t->k = TSX_T4_MS;
	}
}

int tsx_token_new(char *buf, size_t size, size_t nchars)
{
	static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	unsigned char rnd[64];
	size_t n = 0, i = sizeof(rnd);

	if (buf == NULL || size <= nchars)
		return ENOSPC;
	while (n < nchars) {
		if (i == sizeof(rnd)) {
			int err = random_bytes(rnd, sizeof(rnd));

			if (err != 0)
				return err;
			i = 0;
		}
		/* 252 = 7 * 36: larger bytes are dropped to keep it uniform */
		if (rnd[i] < 252)
			buf[n++] = alphabet[rnd[i] % 36u];
		i++;
	}
	buf[n] = '\0';
	return 0;
}

int tsx_branch_new(char *buf, size_t size)
{
	size_t c = sizeof(TSX_BRANCH_COOKIE) - 1;

	if (buf == NULL || size < TSX_BRANCH_SIZE)
		return ENOSPC;
	memcpy(buf, TSX_BRANCH_COOKIE, c);
	return tsx_token_new(buf + c, size - c, TSX_BRANCH_RANDOM);
}

/* ---- keys -------------------------------------------------------------- */

static int key_common(const struct sipmsg *msg, struct tsx_key *key)
{
	struct sipmsg_via via;
	struct span top;

	memset(key, 0, sizeof(*key));
	if (sipmsg_via_get(msg, 0, &via) != 0 ||
	    sipmsg_value_get_id(msg, SIPMSG_HDR_VIA, 0, &top) != 0)
		return EBADMSG;
	key->rfc3261 = sipmsg_via_branch_is_rfc3261(&via);
	key->branch = via.branch;
	key->host = via.host;
	key->port = via.port;
	key->via = top;
	return 0;
}

static int key_fallback(const struct sipmsg *msg, struct tsx_key *key)
{
	struct sipmsg_party from;
	struct sipmsg_cseq cseq;

	if (sipmsg_call_id_get(msg, &key->call_id) != 0 ||
	    sipmsg_from_get(msg, &from) != 0 ||
	    sipmsg_cseq_get(msg, &cseq) != 0)
		return EBADMSG;
	key->from_tag = from.tag;
	key->cseq = cseq.number;
	return 0;
}

int tsx_key_server(const struct sipmsg *req, struct tsx_key *key)
{
	struct span method;

	if (req == NULL || key == NULL || !sipmsg_is_request(req))
		return EINVAL;
	if (key_common(req, key) != 0)
		return EBADMSG;
	method = sipmsg_method(req);
	key->method = span_eq(method, "ACK") ? span_from_str("INVITE") : method;
	if (!key->rfc3261)
		return key_fallback(req, key);
	return 0;
}

int tsx_key_client(const struct sipmsg *resp, struct tsx_key *key)
{
	struct sipmsg_cseq cseq;

	if (resp == NULL || key == NULL || sipmsg_is_request(resp))
		return EINVAL;
	if (key_common(resp, key) != 0 || sipmsg_cseq_get(resp, &cseq) != 0)
		return EBADMSG;
	if (!key->rfc3261)
		return EBADMSG; /* we only send z9hG4bK branches */
	key->method = cseq.method;
	key->host = SPAN_NULL;
	key->port = 0;
	key->via = SPAN_NULL;
	return 0;
}

int tsx_key_cancel_target(const struct sipmsg *cancel, struct tsx_key *key)
{
	int err = tsx_key_server(cancel, key);

	if (err != 0)
		return err;
	key->method = span_from_str("INVITE");
	return 0;
}

bool tsx_key_equal(const struct tsx_key *a, const struct tsx_key *b)
{
	if (a->rfc3261 != b->rfc3261 || !span_eq_span(a->method, b->method))
		return false;
	if (!a->rfc3261)
		return a->cseq == b->cseq &&
		       span_eq_span(a->call_id, b->call_id) &&
		       span_eq_span(a->from_tag, b->from_tag) &&
		       span_eq_span_nocase(a->via, b->via);
	if (!span_eq_span(a->branch, b->branch))
		return false;
	if (a->host.p == NULL || b->host.p == NULL)
		return true;
	return a->port == b->port && span_eq_span_nocase(a->host, b->host);
}

static unsigned key_hash(const struct tsx_key *key)
{
	struct span s = key->rfc3261 ? key->branch : key->call_id;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < s.len; i++) {
		h ^= (unsigned char)s.p[i];
		h *= 16777619u;
	}
	return h % TSX_BUCKETS;
}

/* ---- the layer --------------------------------------------------------- */

enum tsx_client_state { TC_CALLING, TC_PROCEEDING };
enum tsx_server_state { TS_PROCEEDING, TS_COMPLETED };

struct tsx_client {
	struct tsx_client *next;
	struct tsx_layer *layer;
	const struct sipmsg *req;
	struct tsx_key key;
	unsigned bucket;
	bool invite;
	enum tsx_client_state state;
	struct loop_timer timer;
	tsx_response_h *h;
	void *arg;
	bool in_handler;
	bool abandoned;
	bool doomed;
};

struct tsx_server {
	struct tsx_server *next;
	struct tsx_layer *layer;
	struct sipmsg *req;
	struct tsx_key key;
	unsigned bucket;
	bool invite;
	enum tsx_server_state state;
	unsigned status;
	char *last;              /* INVITE: the last response sent */
	size_t last_len;
	struct loop_timer timer; /* H */
	tsx_server_end_h *end_h;
	void *end_arg;
	bool doomed;
};

struct tsx_layer {
	struct loop *loop;
	struct tsx_timers timers;
	tsx_send_h *send;
	void *send_arg;
	struct tsx_client *clients[TSX_BUCKETS];
	struct tsx_server *servers[TSX_BUCKETS];
	size_t nclients;
	size_t nservers;
};

int tsx_layer_alloc(struct tsx_layer **lp, struct loop *loop,
		    const struct tsx_timers *timers, tsx_send_h *send,
		    void *arg)
{
	struct tsx_layer *l;

	if (lp == NULL || loop == NULL || send == NULL)
		return EINVAL;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return ENOMEM;
	l->loop = loop;
	if (timers != NULL)
		l->timers = *timers;
	else
		tsx_timers_init(&l->timers, 0, 0, true);
	l->send = send;
	l->send_arg = arg;
	*lp = l;
	return 0;
}

static void client_free(struct tsx_client *t)
{
	loop_timer_cancel(&t->timer);
	free(t);
}

static void server_free(struct tsx_server *t)
{
	loop_timer_cancel(&t->timer);
	sipmsg_free(t->req);
	free(t->last);
	free(t);
}

void tsx_layer_free(struct tsx_layer *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < TSX_BUCKETS; i++) {
		while (l->clients[i] != NULL) {
			struct tsx_client *t = l->clients[i];

			l->clients[i] = t->next;
			client_free(t);
		}
		while (l->servers[i] != NULL) {
			struct tsx_server *t = l->servers[i];

			l->servers[i] = t->next;
			server_free(t);
		}
	}
	free(l);
}

const struct tsx_timers *tsx_layer_timers(const struct tsx_layer *l)
{
	return &l->timers;
}

size_t tsx_layer_client_count(const struct tsx_layer *l)
{
	return l->nclients;
}

size_t tsx_layer_server_count(const struct tsx_layer *l)
{
	return l->nservers;
}

/* ---- client transactions ----------------------------------------------- */

static void client_unlink(struct tsx_client *t)
{
	struct tsx_client **pp = &t->layer->clients[t->bucket];

	for (; *pp != NULL; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			t->layer->nclients--;
			break;
		}
	t->next = NULL;
	loop_timer_cancel(&t->timer);
}

/* Hand a response or an error to the TU; a final one ends t. */
static void client_deliver(struct tsx_client *t, const struct sipmsg *resp,
			   int err, bool final)
{
	struct tsx_response_info info;

	info.resp = resp;
	info.err = err;
	info.final = final;
	if (final)
		client_unlink(t);
	if (t->h != NULL && !t->abandoned) {
		t->in_handler = true;
		t->h(t, &info, t->arg);
		t->in_handler = false;
	}
	if (final)
		client_free(t);
	else if (t->abandoned) {
		client_unlink(t);
		client_free(t);
	}
}

static void client_timeout_cb(void *arg)
{
	client_deliver(arg, NULL, ETIMEDOUT, true);
}

int tsx_client_start(struct tsx_client **tp, struct tsx_layer *l,
		     const struct sipmsg *req, const char *data, size_t len,
		     tsx_response_h *h, void *arg)
{
	struct tsx_client *t, *o;
	int err;

	if (tp == NULL || l == NULL || req == NULL || data == NULL ||
	    !sipmsg_is_request(req) || span_eq(sipmsg_method(req), "ACK"))
		return EINVAL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return ENOMEM;
	if (key_common(req, &t->key) != 0 || !t->key.rfc3261) {
		free(t);
		return EINVAL;
	}
	t->key.method = sipmsg_method(req);
	t->key.host = SPAN_NULL;
	t->key.port = 0;
	t->key.via = SPAN_NULL;
	t->bucket = key_hash(&t->key);
	for (o = l->clients[t->bucket]; o != NULL; o = o->next)
		if (tsx_key_equal(&o->key, &t->key)) {
			free(t);
			return EEXIST;
		}
	t->layer = l;
	t->req = req;
	t->invite = span_eq(t->key.method, "INVITE");
	t->state = TC_CALLING;
	t->h = h;
	t->arg = arg;
	loop_timer_init(&t->timer);
	err = l->send(data, len, l->send_arg);
	if (err != 0) {
		free(t);
		return err;
	}
	t->next = l->clients[t->bucket];
	l->clients[t->bucket] = t;
	l->nclients++;
	loop_timer_start(&t->timer, l->loop, t->invite ? l->timers.b : l->timers.f,
			 client_timeout_cb, t);
	*tp = t;
	return 0;
}

void tsx_client_abandon(struct tsx_client *t)
{
	if (t == NULL)
		return;
	if (t->in_handler) {
		t->abandoned = true;
		return;
	}
	client_unlink(t);
	client_free(t);
}

bool tsx_client_is_invite(const struct tsx_client *t)
{
	return t->invite;
}

bool tsx_client_proceeding(const struct tsx_client *t)
{
	return t->state == TC_PROCEEDING;
}

/* Copy one header field of src into dst (a NUL-terminated copy first:
 * the builder takes C strings). */
/* §17.1.1.3: the ACK for a non-2xx final response, same branch. */
static int client_send_ack(struct tsx_client *t, const struct sipmsg *resp)
{
	const struct sipmsg *req = t->req;
	struct sipmsg_derive d = {0};
	struct sipmsg *ack = NULL;
	struct sipmsg_cseq cseq;
	char *uri = NULL, *data = NULL;
	size_t len;
	int err;

	if (sipmsg_cseq_get(req, &cseq) != 0 ||
	    sipmsg_value_get_id(req, SIPMSG_HDR_VIA, 0, &d.via) != 0)
		return EBADMSG;
	uri = span_dup(sipmsg_request_uri_text(req));
	if (uri == NULL)
		return ENOMEM;
	d.route = d.from = d.call_id = req;
	d.to = resp; /* with the tag of the answer */
	d.cseq = cseq.number;
	err = sipmsg_request_derive(&ack, "ACK", uri, &d);
	free(uri);
	if (err == 0)
		err = sipmsg_encode_alloc(ack, &data, &len);
	if (err == 0)
		err = t->layer->send(data, len, t->layer->send_arg);
	free(data);
	sipmsg_free(ack);
	return err;
}

int tsx_layer_response(struct tsx_layer *l, const struct sipmsg *resp)
{
	struct tsx_client *t;
	struct tsx_key key;
	unsigned status;

	if (l == NULL || resp == NULL)
		return EINVAL;
	/* §18.1.2: a response with more than one Via value is not for us
	 * (we send one); comma-separated and compact "v" values count. */
	if (sipmsg_via_count(resp) != 1 || tsx_key_client(resp, &key) != 0)
		return EBADMSG;
	for (t = l->clients[key_hash(&key)]; t != NULL; t = t->next)
		if (tsx_key_equal(&t->key, &key))
			break;
	if (t == NULL)
		return ENOENT;
	status = sipmsg_status(resp);
	if (status < 200) {
		if (t->state == TC_CALLING) {
			t->state = TC_PROCEEDING;
			/* §17.1.1.2: Timer B only runs while Calling */
			if (t->invite)
				loop_timer_cancel(&t->timer);
		}
		client_deliver(t, resp, 0, false);
		return 0;
	}
	if (t->invite && status >= 300)
		/* A failed ACK changes nothing for the TU: the peer will
		 * retransmit and we would answer again if still there. */
		(void)client_send_ack(t, resp);
	/* Timers D and K are zero on a reliable transport: done now. */
	client_deliver(t, resp, 0, true);
	return 0;
}

/* ---- server transactions ----------------------------------------------- */

static void server_unlink(struct tsx_server *t)
{
	struct tsx_server **pp = &t->layer->servers[t->bucket];

	for (; *pp != NULL; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			t->layer->nservers--;
			break;
		}
	t->next = NULL;
	loop_timer_cancel(&t->timer);
}

static void server_end(struct tsx_server *t, int err)
{
	server_unlink(t);
	if (t->end_h != NULL)
		t->end_h(t, err, t->end_arg);
	server_free(t);
}

static void server_timeout_cb(void *arg)
{
	server_end(arg, ETIMEDOUT);
}

static struct tsx_server *server_find(struct tsx_layer *l,
				      const struct tsx_key *key)
{
	struct tsx_server *t;

	for (t = l->servers[key_hash(key)]; t != NULL; t = t->next)
		if (tsx_key_equal(&t->key, key))
			return t;
	return NULL;
}

int tsx_layer_request(struct tsx_layer *l, struct sipmsg *msg,
		      struct tsx_server **tp)
{
	struct tsx_server *t;
	struct tsx_key key;
	bool ack;

	if (l == NULL || msg == NULL || tp == NULL || !sipmsg_is_request(msg))
		return EINVAL;
	if (tsx_key_server(msg, &key) != 0)
		return EBADMSG;
	ack = span_eq(sipmsg_method(msg), "ACK");
	t = server_find(l, &key);
	if (t != NULL) {
		if (ack) {
			if (!t->invite || t->state != TS_COMPLETED)
				return ENOENT;
			/* Confirmed; Timer I is zero on a reliable transport */
			server_end(t, 0);
			return EALREADY;
		}
		/* A retransmission: §17.2.1 / §17.2.2 resend the last
		 * response if there is one. */
		if (t->last != NULL)
			(void)l->send(t->last, t->last_len, l->send_arg);
		return EALREADY;
	}
	if (ack)
		return ENOENT;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return ENOMEM;
	t->layer = l;
	t->req = msg;
	t->key = key; /* spans into msg, which t now owns */
	t->bucket = key_hash(&key);
	t->invite = span_eq(sipmsg_method(msg), "INVITE");
	t->state = TS_PROCEEDING;
	loop_timer_init(&t->timer);
	t->next = l->servers[t->bucket];
	l->servers[t->bucket] = t;
	l->nservers++;
	*tp = t;
	return 0;
}

struct tsx_server *tsx_layer_find_invite(struct tsx_layer *l,
					 const struct sipmsg *cancel)
{
	struct tsx_key key;

	if (l == NULL || cancel == NULL ||
	    tsx_key_cancel_target(cancel, &key) != 0)
		return NULL;
	return server_find(l, &key);
}

void tsx_server_set_owner(struct tsx_server *t, tsx_server_end_h *h,
			  void *arg)
{
	t->end_h = h;
	t->end_arg = arg;
}

const struct sipmsg *tsx_server_request(const struct tsx_server *t)
{
	return t->req;
}

bool tsx_server_is_invite(const struct tsx_server *t)
{
	return t->invite;
}

bool tsx_server_completed(const struct tsx_server *t)
{
	return t->status >= 200;
}

unsigned tsx_server_status(const struct tsx_server *t)
{
	return t->status;
}

int tsx_server_reply(struct tsx_server *t, const struct sipmsg *resp)
{
	unsigned status;
	char *data = NULL;
	size_t len;
	int err;

	if (t == NULL || resp == NULL)
		return EINVAL;
	status = sipmsg_status(resp);
	if (status < 100 || status > 699)
		return EINVAL;
	if (t->status >= 200)
		return EALREADY;
	err = sipmsg_encode_alloc(resp, &data, &len);
	if (err != 0)
		return err;
	err = t->layer->send(data, len, t->layer->send_arg);
	t->status = status;
	if (t->invite) {
		free(t->last);
		t->last = data;
		t->last_len = len;
		data = NULL;
	}
	free(data);
	if (status < 200)
		return err;
	if (t->invite && status >= 300) {
		t->state = TS_COMPLETED;
		loop_timer_start(&t->timer, t->layer->loop, t->layer->timers.h,
				 server_timeout_cb, t);
		return err;
	}
	/* Timer J is zero on a reliable transport; a 2xx ends an INVITE
	 * transaction at once (RFC 3261 §17.2.1). */
	server_end(t, 0);
	return err;
}

void tsx_server_abandon(struct tsx_server *t)
{
	if (t == NULL)
		return;
	server_unlink(t);
	server_free(t);
}

/* ---- transport loss ---------------------------------------------------- */

void tsx_layer_fail_all(struct tsx_layer *l, int err)
{
	size_t i;
	bool found;

	/* Mark first: handlers may start transactions that must survive, or
	 * abandon marked ones, so the tables are scanned again after each
	 * call (a window of requests: small). */
	for (i = 0; i < TSX_BUCKETS; i++) {
		struct tsx_client *c;
		struct tsx_server *s;

		for (c = l->clients[i]; c != NULL; c = c->next)
			c->doomed = true;
		for (s = l->servers[i]; s != NULL; s = s->next)
			s->doomed = true;
	}
	do {
		found = false;
		for (i = 0; i < TSX_BUCKETS && !found; i++) {
			struct tsx_client *c;

			for (c = l->clients[i]; c != NULL; c = c->next)
				if (c->doomed) {
					found = true;
					client_deliver(c, NULL, err, true);
					break;
				}
		}
	} while (found);
	do {
		found = false;
		for (i = 0; i < TSX_BUCKETS && !found; i++) {
			struct tsx_server *s;

			for (s = l->servers[i]; s != NULL; s = s->next)
				if (s->doomed) {
					found = true;
					server_end(s, err);
					break;
				}
		}
	} while (found);
}
