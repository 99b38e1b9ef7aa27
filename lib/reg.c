/* Registration client: REGISTER with refresh, re-registration after the
 * transport comes back, unregistration, queries, 423 handling, GRUUs. */
#include "reg.h"
#include "internal/testing.h"
#include "tsx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsx.h"
#include "uri.h"

#define REG_DEFAULT_RETRY_SECS 30u
/* A registrar keeps one Min-Expires: a second 423 means it will not say
 * what it wants, and asking again would not end (RFC 3261 §10.2.8). */
#define REG_MAX_423 1

enum reg_op { REG_OP_REGISTER, REG_OP_UNREGISTER, REG_OP_UNREGISTER_ALL,
	      REG_OP_QUERY };

struct reg {
	struct sip *sip;
	reg_event_h *h;
	void *arg;
	char *server;
	char **headers;              /* NULL-terminated copy */
	uint32_t expires_asked;      /* config, or raised by a 423 */
	unsigned retry_secs;
	char call_id[TSX_TOKEN_SIZE];
	char from_tag[TSX_TOKEN_SIZE];
	uint32_t cseq;
	struct sip_request *pending;
	enum reg_op op;
	unsigned tries_423;
	bool wanted;                 /* keep registered */
	bool registered;
	bool refresh;                /* the pending REGISTER is not the first */
	bool ever_registered;
	uint32_t granted;
	uint64_t lapse_ms;           /* loop_now_ms() when the binding lapses */
	uint64_t failed_retry_ms;    /* for the REG_FAILED being emitted */
	char *pub_gruu;
	char *temp_gruu;
	struct loop_timer t_refresh;
	struct loop_timer t_expire;  /* our binding lapses unrefreshed */
};

static int reg_send(struct reg *r, enum reg_op op);

uint64_t reg_refresh_ms(uint32_t expires, double rnd)
{
	uint64_t ms = (uint64_t)expires * 1000u, half = ms / 2, t;

	if (rnd < 0 || rnd >= 1)
		rnd = 0;
	if (expires > 64)
		return half + (uint64_t)((double)(expires / 2.0 - 32) * 1000.0 * rnd);
	t = ms > 5000 ? ms - 5000 : 0;
	return t > half ? t : half;
}

uint64_t reg_retry_ms(unsigned retry_secs, bool has_retry_after,
		      uint32_t retry_after, uint64_t left_ms)
{
	uint64_t ms;

	if (has_retry_after) {
		if (retry_after > REG_MAX_RETRY_AFTER)
			retry_after = REG_MAX_RETRY_AFTER;
		return retry_after ? (uint64_t)retry_after * 1000u : 1000u;
	}
	ms = (uint64_t)(retry_secs ? retry_secs : REG_DEFAULT_RETRY_SECS) * 1000u;
	/* halving what is left leaves room for another try before the
	 * binding lapses */
	if (left_ms > 0 && left_ms / 2 < ms)
		ms = left_ms / 2 > 1000u ? left_ms / 2 : 1000u;
	return ms;
}

/* The delta-seconds of a Retry-After header, comment and params left out;
 * false without one that reads. Too large a number reads as the largest. */
static bool retry_after_get(const struct sipmsg *msg, uint32_t *secs)
{
	struct sipmsg_header h;
	unsigned long long v;
	size_t n = 0;
	int err;

	if (msg == NULL ||
	    sipmsg_header_get_id(msg, SIPMSG_HDR_RETRY_AFTER, 0, &h) != 0)
		return false;
	while (n < h.value.len && h.value.p[n] >= '0' && h.value.p[n] <= '9')
		n++;
	err = span_to_u64(span_make(h.value.p, n), 0xffffffffull, &v);
	if (err == ERANGE)
		v = 0xffffffffull;
	else if (err != 0)
		return false;
	*secs = (uint32_t)v;
	return true;
}

static double random_unit(void)
{
	char tok[8];
	unsigned v = 0;
	size_t i;

	/* tokens are [0-9a-z]: fold them into a number */
	if (tsx_token_new(tok, sizeof(tok), 6) != 0)
		return 0.5;
	for (i = 0; i < 6; i++)
		v = v * 36u + (unsigned)(tok[i] <= '9' ? tok[i] - '0'
						      : tok[i] - 'a' + 10);
	return (double)v / 2176782336.0; /* 36^6 */
}

/* An unquoted copy of a header parameter value. */
static char *param_copy(struct span v)
{
	v = span_trim(v);
	if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"') {
		v.p++;
		v.len -= 2;
	}
	return span_dup(v);
}

static void replace_str(char **dst, char *src)
{
	free(*dst);
	*dst = src;
}

/* ---- the 2xx: bindings ---------------------------------------------- */

struct reg_bindings {
	struct reg_binding b[REG_MAX_BINDINGS];
	size_t n;
	bool truncated;
	bool ours_found;
	uint32_t ours_expires;
	char *ours_pub;
	char *ours_temp;
};

static void bindings_free(struct reg_bindings *bs)
{
	size_t i;

	for (i = 0; i < bs->n; i++) {
		free((char *)bs->b[i].uri);
		free((char *)bs->b[i].value);
		free((char *)bs->b[i].pub_gruu);
		free((char *)bs->b[i].temp_gruu);
	}
	free(bs->ours_pub);
	free(bs->ours_temp);
}

static bool contact_is_ours(const struct reg *r, const struct sipmsg_contact *c)
{
	const char *urn = sip_instance_urn(r->sip);
	const char *mine = sip_contact_uri(r->sip);
	struct uri u;
	struct span v;

	if (uri_decode(&u, mine, strlen(mine), NULL, 0) == 0 &&
	    uri_equal(&u, &c->addr.uri))
		return true;
	if (urn == NULL || uri_addr_param_get(&c->addr, "+sip.instance", &v) != 0)
		return false;
	v = span_trim(v);
	if (v.len >= 2 && v.p[0] == '"') {
		v.p++;
		v.len -= 2;
	}
	if (!span_eq(v, urn))
		return false;
	return uri_addr_param_get(&c->addr, "reg-id", &v) == 0 &&
	       span_eq(span_trim(v), "1");
}

static int bindings_parse(const struct reg *r, const struct sipmsg *resp,
			  struct reg_bindings *bs)
{
	uint32_t hdr_expires = 0;
	bool has_hdr_expires = sipmsg_expires_get(resp, &hdr_expires) == 0;
	size_t i, n = sipmsg_contact_count(resp);

	memset(bs, 0, sizeof(*bs));
	for (i = 0; i < n; i++) {
		struct sipmsg_contact c;
		struct reg_binding *b;
		struct span v;

		if (sipmsg_contact_get(resp, i, &c) != 0 || c.star)
			continue;
		if (bs->n == REG_MAX_BINDINGS) {
			bs->truncated = true;
			break;
		}
		b = &bs->b[bs->n];
		memset(b, 0, sizeof(*b));
		if (sipmsg_value_get_id(resp, SIPMSG_HDR_CONTACT, i, &v) != 0)
			continue;
		b->value = span_dup(v);
		{
			struct span us = SPAN_NULL;
			const char *lt = memchr(v.p, '<', v.len), *gt;

			if (lt != NULL) {
				gt = memchr(lt, '>', (size_t)(v.p + v.len - lt));
				if (gt != NULL)
					us = span_make(lt + 1, (size_t)(gt - lt - 1));
			} else {
				const char *semi = memchr(v.p, ';', v.len);

				us = span_trim(span_make(v.p, semi ? (size_t)(semi - v.p)
								   : v.len));
			}
			b->uri = span_dup(us);
		}
		if (b->value == NULL || b->uri == NULL) {
			free((char *)b->value);
			free((char *)b->uri);
			return ENOMEM;
		}
		bs->n++;
		b->expires = c.has_expires ? c.expires
					   : has_hdr_expires ? hdr_expires : 0;
		b->q = c.q;
		if (uri_addr_param_get(&c.addr, "pub-gruu", &v) == 0 &&
		    (b->pub_gruu = param_copy(v)) == NULL)
			return ENOMEM;
		if (uri_addr_param_get(&c.addr, "temp-gruu", &v) == 0 &&
		    (b->temp_gruu = param_copy(v)) == NULL)
			return ENOMEM;
		b->ours = contact_is_ours(r, &c);
		/* no expires anywhere: what we asked for, as JsSIP does */
		if (b->ours && r->op == REG_OP_REGISTER && !c.has_expires &&
		    !has_hdr_expires)
			b->expires = r->expires_asked;
		if (b->ours && !bs->ours_found) {
			bs->ours_found = true;
			bs->ours_expires = b->expires;
			if (b->pub_gruu != NULL &&
			    (bs->ours_pub = strdup(b->pub_gruu)) == NULL)
				return ENOMEM;
			if (b->temp_gruu != NULL &&
			    (bs->ours_temp = strdup(b->temp_gruu)) == NULL)
				return ENOMEM;
		}
	}
	return 0;
}

/* ---- events -------------------------------------------------------------- */

static void emit(struct reg *r, enum reg_event_type type, int err,
		 const struct sip_response *resp, const struct reg_bindings *bs,
		 const char *reason)
{
	struct reg_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.err = err;
	ev.reason = reason != NULL ? reason : resp != NULL ? resp->reason : "";
	if (resp != NULL) {
		ev.status = resp->status;
		ev.latency_us = resp->latency_us;
	}
	if (bs != NULL) {
		ev.bindings = bs->b;
		ev.nbindings = bs->n;
		ev.truncated = bs->truncated;
	}
	ev.expires = type == REG_REGISTERED ? r->granted : 0;
	ev.refresh = r->refresh;
	if (type == REG_FAILED)
		ev.retry_ms = r->failed_retry_ms;
	if (r->h != NULL)
		r->h(&ev, r->arg);
}

static void refresh_cb(void *arg)
{
	struct reg *r = arg;

	if (r->wanted && r->pending == NULL)
		(void)reg_send(r, REG_OP_REGISTER);
}

static void schedule(struct reg *r, uint64_t ms)
{
	loop_timer_start(&r->t_refresh, sip_loop(r->sip), ms, refresh_cb, r);
}

/* What our binding has left, in ms (0 when we have none). */
static uint64_t binding_left_ms(const struct reg *r)
{
	uint64_t now = loop_now_ms();

	return r->registered && r->lapse_ms > now ? r->lapse_ms - now : 0;
}

static void binding_gone(struct reg *r)
{
	r->registered = false;
	r->granted = 0;
	loop_timer_cancel(&r->t_expire);
}

/* No refresh succeeded in time: the registrar has dropped our binding. */
static void expire_cb(void *arg)
{
	struct reg *r = arg;

	if (!r->registered)
		return;
	binding_gone(r);
	emit(r, REG_UNREGISTERED, ETIMEDOUT, NULL, NULL,
	     "registration expired");
}

/* The registrar granted our binding expires s, counted here from the
 * REGISTER's first transmission: no later than the registrar's count. */
static void binding_kept(struct reg *r, uint32_t expires, uint64_t latency_us)
{
	uint64_t ms = (uint64_t)expires * 1000u, sent = latency_us / 1000u;

	ms = ms > sent ? ms - sent : 0;
	r->registered = true;
	r->ever_registered = true;
	r->granted = expires;
	r->lapse_ms = loop_now_ms() + ms;
	loop_timer_start(&r->t_expire, sip_loop(r->sip), ms, expire_cb, r);
}

/* A failed REGISTER: tell it with when we try again, then wait. */
static void fail_and_retry(struct reg *r, int err,
			   const struct sip_response *resp,
			   const struct reg_bindings *bs, const char *reason)
{
	uint32_t after = 0;
	bool has_after = resp != NULL && retry_after_get(resp->msg, &after);
	bool retry = r->wanted && err != ECONNRESET;
	uint64_t ms = reg_retry_ms(r->retry_secs, has_after, after,
				   binding_left_ms(r));

	r->failed_retry_ms = retry ? ms : 0;
	emit(r, REG_FAILED, err, resp, bs, reason);
	r->failed_retry_ms = 0;
	if (retry && r->wanted && r->pending == NULL)
		schedule(r, ms);
}

static void on_register_2xx(struct reg *r, const struct sip_response *resp)
{
	struct reg_bindings bs;
	int err = bindings_parse(r, resp->msg, &bs);

	if (err != 0) {
		bindings_free(&bs);
		emit(r, REG_FAILED, err, resp, NULL, "out of memory");
		return;
	}
	switch (r->op) {
	case REG_OP_REGISTER:
		if (!bs.ours_found || bs.ours_expires == 0) {
			binding_gone(r);
			if (!r->ever_registered)
				r->wanted = false;
			fail_and_retry(r, EPROTO, resp, &bs,
				       "the registrar did not keep our contact");
			break;
		}
		binding_kept(r, bs.ours_expires, resp->latency_us);
		replace_str(&r->pub_gruu, bs.ours_pub);
		replace_str(&r->temp_gruu, bs.ours_temp);
		bs.ours_pub = bs.ours_temp = NULL;
		(void)sip_set_gruus(r->sip, r->pub_gruu, r->temp_gruu);
		if (r->wanted)
			schedule(r, reg_refresh_ms(r->granted, random_unit()));
		emit(r, REG_REGISTERED, 0, resp, &bs, NULL);
		break;
	case REG_OP_UNREGISTER:
	case REG_OP_UNREGISTER_ALL:
		binding_gone(r);
		emit(r, REG_UNREGISTERED, 0, resp, &bs, NULL);
		break;
	case REG_OP_QUERY:
		emit(r, REG_QUERIED, 0, resp, &bs, NULL);
		break;
	}
	bindings_free(&bs);
}

static void on_response(struct sip_request *req,
			const struct sip_response *resp, void *arg)
{
	struct reg *r = arg;
	uint32_t min;

	(void)req;
	if (!resp->final)
		return;
	r->pending = NULL;
	if (resp->cseq > r->cseq)
		r->cseq = resp->cseq;
	if (resp->err == 0 && resp->status >= 200 && resp->status < 300) {
		r->tries_423 = 0;
		on_register_2xx(r, resp);
		return;
	}
	/* 423: ask again with the registrar's minimum (§10.2.8) */
	if (resp->err == 0 && resp->status == 423 && r->op == REG_OP_REGISTER &&
	    r->tries_423 < REG_MAX_423) {
		struct sipmsg_header h;
		unsigned long long v;

		if (sipmsg_header_get_id(resp->msg, SIPMSG_HDR_MIN_EXPIRES, 0,
					 &h) == 0 &&
		    span_to_u64(span_trim(h.value), 0xffffffffull, &v) == 0 &&
		    v > r->expires_asked) {
			min = (uint32_t)v;
			r->expires_asked = min;
			r->tries_423++;
			if (reg_send(r, REG_OP_REGISTER) == 0)
				return;
		}
	}
	r->tries_423 = 0;
	if (r->op == REG_OP_REGISTER) {
		bool first = !r->refresh;

		/* A lost transport re-registers on reconnection: the refresh
		 * failure is told by the UNREGISTERED event of the loss,
		 * which follows (on_transport), or was told by expire_cb. A
		 * refresh that failed otherwise leaves the binding to run
		 * out: expire_cb tells that, unless a retry succeeds first. */
		if (resp->err == ECONNRESET && r->wanted && !first)
			return;
		if (resp->err == EKEYREJECTED || resp->err == EPERM ||
		    (first && resp->err != ECONNRESET))
			r->wanted = false;
		fail_and_retry(r, resp->err, resp, NULL, NULL);
		return;
	}
	emit(r, REG_FAILED, resp->err, resp, NULL, NULL);
}

static void on_transport(const struct sip_transport_event *ev, void *arg)
{
	struct reg *r = arg;

	if (ev->type == SIP_TRANSPORT_CONNECTED) {
		if (r->wanted && r->pending == NULL) {
			loop_timer_cancel(&r->t_refresh);
			(void)reg_send(r, REG_OP_REGISTER);
		}
		return;
	}
	/* the registrar drops a WebSocket contact with its connection */
	loop_timer_cancel(&r->t_refresh);
	if (r->registered) {
		binding_gone(r);
		emit(r, REG_UNREGISTERED, ECONNRESET, NULL, NULL,
		     ev->reason != NULL ? ev->reason : "transport lost");
	}
}

/* ---- requests ---------------------------------------------------------- */

static int reg_send(struct reg *r, enum reg_op op)
{
	struct sip_request_spec spec;
	struct sipmsg *msg = NULL;
	const char *urn = sip_instance_urn(r->sip);
	char *to, contact[512], num[16];
	size_t n;
	uint32_t expires = op == REG_OP_REGISTER ? r->expires_asked : 0;
	int err;

	if (r->pending != NULL) {
		sip_request_abandon(r->pending);
		r->pending = NULL;
	}
	if (op != REG_OP_QUERY)
		loop_timer_cancel(&r->t_refresh);
	/* the account is as long as a URI may be: no fixed buffer */
	n = strlen(sip_account(r->sip)) + 3;
	to = malloc(n);
	if (to == NULL)
		return ENOMEM;
	snprintf(to, n, "<%s>", sip_account(r->sip));
	memset(&spec, 0, sizeof(spec));
	spec.method = "REGISTER";
	spec.request_uri = r->server;
	spec.to = to;
	spec.from_tag = r->from_tag;
	spec.call_id = r->call_id;
	spec.cseq = ++r->cseq;
	spec.headers = (const char *const *)r->headers;
	err = sip_request_new(r->sip, &spec, &msg);
	free(to);
	if (err != 0)
		return err;
	snprintf(num, sizeof(num), "%lu", (unsigned long)expires);
	switch (op) {
	case REG_OP_REGISTER:
	case REG_OP_UNREGISTER:
		if (urn != NULL)
			snprintf(contact, sizeof(contact),
				 "<%s>;expires=%s;reg-id=1;+sip.instance=\"%s\"",
				 sip_contact_uri(r->sip), num, urn);
		else
			snprintf(contact, sizeof(contact), "<%s>;expires=%s",
				 sip_contact_uri(r->sip), num);
		err = sipmsg_header_add(msg, "Contact", contact);
		if (err == 0)
			err = sipmsg_header_add(msg, "Expires", num);
		if (err == 0)
			err = sipmsg_header_add(msg, "Supported",
						urn != NULL ? "path, gruu, outbound"
							    : "path, gruu");
		break;
	case REG_OP_UNREGISTER_ALL:
		err = sipmsg_header_add(msg, "Contact", "*");
		if (err == 0)
			err = sipmsg_header_add(msg, "Expires", "0");
		break;
	case REG_OP_QUERY:
		break;
	}
	if (err != 0) {
		sipmsg_free(msg);
		return err;
	}
	r->refresh = op == REG_OP_REGISTER && r->ever_registered;
	r->op = op;
	return sip_request_send(r->sip, msg, on_response, r, &r->pending);
}

/* ---- the object ---------------------------------------------------------- */

static char *default_server(const char *account)
{
	struct uri u;
	char *s;
	size_t n;

	if (uri_decode(&u, account, strlen(account), NULL, 0) != 0 ||
	    u.host.p == NULL)
		return NULL;
	n = u.host.len + 32;
	s = malloc(n);
	if (s == NULL)
		return NULL;
	if (u.port != 0)
		snprintf(s, n, "%s:%s%.*s%s:%u",
			 u.scheme == URI_SCHEME_SIPS ? "sips" : "sip",
			 u.host_type == URI_HOST_IPV6 ? "[" : "", (int)u.host.len,
			 u.host.p, u.host_type == URI_HOST_IPV6 ? "]" : "",
			 u.port);
	else
		snprintf(s, n, "%s:%s%.*s%s",
			 u.scheme == URI_SCHEME_SIPS ? "sips" : "sip",
			 u.host_type == URI_HOST_IPV6 ? "[" : "", (int)u.host.len,
			 u.host.p, u.host_type == URI_HOST_IPV6 ? "]" : "");
	return s;
}

void reg_free(struct reg *r)
{
	size_t i;

	if (r == NULL)
		return;
	loop_timer_cancel(&r->t_refresh);
	loop_timer_cancel(&r->t_expire);
	if (r->pending != NULL)
		sip_request_abandon(r->pending);
	(void)sip_transport_unwatch(r->sip, on_transport, r);
	for (i = 0; r->headers != NULL && r->headers[i] != NULL; i++)
		free(r->headers[i]);
	free(r->headers);
	free(r->server);
	free(r->pub_gruu);
	free(r->temp_gruu);
	free(r);
}

int reg_alloc(struct reg **rp, struct sip *sip, const struct reg_config *cfg,
	      reg_event_h *h, void *arg)
{
	struct sip_request_spec spec;
	struct sipmsg *probe = NULL;
	struct reg *r;
	struct uri u;
	size_t i, n = 0;
	int err;

	if (rp == NULL || sip == NULL)
		return EINVAL;
	*rp = NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return ENOMEM;
	r->sip = sip;
	r->h = h;
	r->arg = arg;
	loop_timer_init(&r->t_refresh);
	loop_timer_init(&r->t_expire);
	r->expires_asked = cfg != NULL && cfg->expires ? cfg->expires
						       : REG_DEFAULT_EXPIRES;
	r->retry_secs = cfg != NULL && cfg->retry_secs ? cfg->retry_secs
						       : REG_DEFAULT_RETRY_SECS;
	err = ENOMEM;
	r->server = cfg != NULL && cfg->server != NULL ? strdup(cfg->server)
						       : default_server(sip_account(sip));
	if (r->server == NULL)
		goto fail;
	err = EINVAL;
	if (uri_decode(&u, r->server, strlen(r->server), NULL, 0) != 0 ||
	    (u.scheme != URI_SCHEME_SIP && u.scheme != URI_SCHEME_SIPS))
		goto fail;
	while (cfg != NULL && cfg->headers != NULL && cfg->headers[n] != NULL)
		n++;
	err = ENOMEM;
	r->headers = calloc(n + 1, sizeof(char *));
	if (r->headers == NULL)
		goto fail;
	for (i = 0; i < n; i++)
		if ((r->headers[i] = strdup(cfg->headers[i])) == NULL)
			goto fail;
	if (tsx_token_new(r->call_id, sizeof(r->call_id), TSX_CALL_ID_CHARS) != 0 ||
	    tsx_token_new(r->from_tag, sizeof(r->from_tag), TSX_TAG_CHARS) != 0) {
		err = EIO;
		goto fail;
	}
	/* the header lines must make a valid request: try one */
	memset(&spec, 0, sizeof(spec));
	spec.method = "REGISTER";
	spec.request_uri = r->server;
	spec.headers = (const char *const *)r->headers;
	err = sip_request_new(sip, &spec, &probe);
	sipmsg_free(probe);
	if (err != 0)
		goto fail;
	err = sip_transport_watch(sip, on_transport, r);
	if (err != 0)
		goto fail;
	*rp = r;
	return 0;
fail:
	for (i = 0; r->headers != NULL && r->headers[i] != NULL; i++)
		free(r->headers[i]);
	free(r->headers);
	free(r->server);
	free(r);
	return err;
}

int reg_register(struct reg *r)
{
	if (r == NULL)
		return EINVAL;
	if (r->pending != NULL && r->op == REG_OP_REGISTER && r->wanted)
		return 0; /* on its way */
	r->wanted = true;
	return reg_send(r, REG_OP_REGISTER);
}

int reg_unregister(struct reg *r)
{
	if (r == NULL)
		return EINVAL;
	r->wanted = false;
	return reg_send(r, REG_OP_UNREGISTER);
}

int reg_unregister_all(struct reg *r)
{
	if (r == NULL)
		return EINVAL;
	r->wanted = false;
	return reg_send(r, REG_OP_UNREGISTER_ALL);
}

int reg_query(struct reg *r)
{
	if (r == NULL)
		return EINVAL;
	if (r->pending != NULL)
		return EBUSY;
	return reg_send(r, REG_OP_QUERY);
}

bool reg_is_registered(const struct reg *r)
{
	return r != NULL && r->registered;
}

uint32_t reg_expires(const struct reg *r)
{
	return r != NULL && r->registered ? r->granted : 0;
}

const char *reg_pub_gruu(const struct reg *r)
{
	return r->pub_gruu;
}

const char *reg_temp_gruu(const struct reg *r)
{
	return r->temp_gruu;
}
