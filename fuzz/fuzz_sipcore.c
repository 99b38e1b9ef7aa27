/* libFuzzer target for what the UA core does with bytes from the network
 * before any socket is involved: the 400 made from an undecodable request,
 * the classification of a decoded request, transaction keys and matching
 * in a transaction layer (a retransmission must match, our reply must key
 * back to the request, a response must match the client transaction that
 * has its branch), the refresh delay of a granted Expires, and the topic
 * matcher (input split at its first NUL into patterns and topic). Any
 * broken property aborts. */
#include "loop.h"
#include "internal/testing.h"
#include "reg.h"
#include "sip.h"
#include "sipmsg.h"
#include "topic.h"
#include "tsx.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A broken property names itself, then aborts. */
static void fail(int line, const char *what)
{
	fprintf(stderr, "fuzz_sipcore.c:%d: %s\n", line, what);
	abort();
}
#define require(cond) ((cond) ? (void)0 : fail(__LINE__, #cond))

/* ---- the 400 for an undecodable request ------------------------------- */

static void check_bad_request(const uint8_t *data, size_t size)
{
	char small[64], *big;
	size_t n = 0, n2 = 0;
	int err;

	err = sip_bad_request_reply((const char *)data, size, small,
				    sizeof(small), &n);
	if (err != 0 && err != ENOSPC)
		return;
	if (err == 0) {
		require(n < sizeof(small) && strlen(small) == n);
	} else {
		require(n >= sizeof(small));
	}
	/* The length it asked for is enough, and the same. */
	big = malloc(n + 1);
	require(big != NULL);
	require(sip_bad_request_reply((const char *)data, size, big, n + 1,
				      &n2) == 0);
	require(n2 == n && strlen(big) == n);
	require(strncmp(big, "SIP/2.0 400 ", 12) == 0);
	if (err == 0)
		require(memcmp(big, small, n + 1) == 0);
	free(big);
}

/* ---- transactions -------------------------------------------------------- */

struct sent {
	char *data;
	size_t len;
	unsigned count;
};

static int on_send(const char *data, size_t len, void *arg)
{
	struct sent *s = arg;

	free(s->data);
	s->data = malloc(len ? len : 1);
	require(s->data != NULL);
	memcpy(s->data, data, len);
	s->len = len;
	s->count++;
	return 0;
}

static void on_response(struct tsx_client *t,
			const struct tsx_response_info *info, void *arg)
{
	(void)t;
	(void)info;
	(*(unsigned *)arg)++;
}

static struct loop *the_loop(void)
{
	static struct loop *loop;
	struct loop_config cfg;

	if (loop == NULL) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.backend = LOOP_NATIVE;
		require(loop_alloc(&loop, &cfg) == 0);
	}
	return loop;
}

static struct sipmsg *decode(const char *p, size_t len)
{
	struct sipmsg *m = NULL;

	if (sipmsg_decode(&m, p, len, NULL, 0) != 0)
		return NULL;
	return m;
}

/* Does a response's client key name the request's server transaction?
 * (Only the branch and method: a client key has no sent-by.) */
static bool keys_meet(const struct tsx_key *server, const struct tsx_key *client)
{
	return server->rfc3261 && client->rfc3261 &&
	       span_eq_span(server->branch, client->branch) &&
	       span_eq_span(server->method, client->method);
}

/* A request: classified, keyed, made a server transaction, its
 * retransmission absorbed, answered; the answer keys back to it. req
 * belongs to this function. */
static void check_request(struct sipmsg *req, const uint8_t *data, size_t size)
{
	struct tsx_layer *l = NULL;
	struct tsx_server *t = NULL, *t2 = NULL;
	struct tsx_key key, key2;
	struct sipmsg_cseq cseq;
	struct sipmsg *orig, *again, *resp = NULL, *back;
	struct sent sent = {NULL, 0, 0};
	const char *reason = NULL;
	int status = -1, err, key_err;
	bool is_ack = span_eq(sipmsg_method(req), "ACK");
	bool invite;

	err = sip_classify_request(req, &status, &reason);
	require(err != EINVAL);
	if (err == 0)
		require(status == 0 ||
			(status >= 400 && status <= 699 && reason != NULL));

	/* A copy that outlives req (the layer takes req over). */
	orig = decode((const char *)data, size);
	require(orig != NULL);
	key_err = tsx_key_server(orig, &key);
	require(key_err == 0 || key_err == EBADMSG);
	if (key_err == 0) {
		require(tsx_key_equal(&key, &key));
		require(tsx_key_server(req, &key2) == 0);
		require(tsx_key_equal(&key, &key2));
	}
	if (span_eq(sipmsg_method(req), "CANCEL") &&
	    tsx_key_cancel_target(req, &key2) == 0)
		require(tsx_key_equal(&key2, &key2));

	require(tsx_layer_alloc(&l, the_loop(), NULL, on_send, &sent) == 0);
	err = tsx_layer_request(l, req, &t);
	require(err == 0 || err == ENOENT || err == EBADMSG);
	require(err != 0 || (!is_ack && t != NULL && key_err == 0));
	require(err != ENOENT || is_ack);
	if (err != 0) {
		sipmsg_free(req);
		goto out;
	}
	require(tsx_layer_server_count(l) == 1);
	/* The same bytes again are a retransmission, not a new request. */
	again = decode((const char *)data, size);
	require(again != NULL);
	require(tsx_layer_request(l, again, &t2) == EALREADY);
	sipmsg_free(again);
	require(tsx_layer_server_count(l) == 1 && sent.count == 0);
	if (span_eq(sipmsg_method(orig), "CANCEL"))
		(void)tsx_layer_find_invite(l, orig);

	if (status <= 0)
		status = span_eq(sipmsg_method(orig), "INVITE") ? 486 : 200;
	if (sipmsg_new_reply(&resp, orig, (unsigned)status, NULL, "fz") != 0)
		goto out;
	invite = tsx_server_is_invite(t);
	require(tsx_server_reply(t, resp) == 0);
	sipmsg_free(resp);
	require(sent.count == 1);
	/* What went out decodes as that response and keys back to the
	 * request's transaction. */
	back = decode(sent.data, sent.len);
	require(back != NULL && !sipmsg_is_request(back));
	require(sipmsg_status(back) == (unsigned)status);
	if (key.rfc3261 && sipmsg_cseq_get(orig, &cseq) == 0 &&
	    !(sipmsg_defects(orig) & SIPMSG_DEFECT_CSEQ_METHOD)) {
		require(tsx_key_client(back, &key2) == 0);
		require(keys_meet(&key, &key2));
	}
	sipmsg_free(back);
	/* A non-INVITE ends with its final response; an INVITE with a
	 * non-2xx waits for the ACK. */
	require(tsx_layer_server_count(l) == (invite && status >= 300));
out:
	tsx_layer_free(l);
	sipmsg_free(orig);
	free(sent.data);
}

/* A response: keyed; unmatched in an empty layer; matched by a client
 * transaction started with its branch and CSeq method. */
static void check_response(struct sipmsg *resp)
{
	struct tsx_layer *l = NULL;
	struct tsx_client *c = NULL;
	struct tsx_key key;
	struct sipmsg_cseq cseq;
	struct sipmsg_via via;
	struct sipmsg *creq = NULL;
	struct sent sent = {NULL, 0, 0};
	char method[64], value[600], *wire = NULL;
	unsigned calls = 0;
	size_t wire_len;
	int err;

	err = tsx_key_client(resp, &key);
	require(err == 0 || err == EBADMSG);
	if (err == 0)
		require(tsx_key_equal(&key, &key));
	require(tsx_layer_alloc(&l, the_loop(), NULL, on_send, &sent) == 0);
	err = tsx_layer_response(l, resp);
	require(err == ENOENT || err == EBADMSG);
	if (err == EBADMSG || !key.rfc3261 ||
	    sipmsg_cseq_get(resp, &cseq) != 0 ||
	    sipmsg_via_get(resp, 0, &via) != 0 ||
	    cseq.method.len >= sizeof(method) || span_eq(cseq.method, "ACK"))
		goto out;
	memcpy(method, cseq.method.p, cseq.method.len);
	method[cseq.method.len] = '\0';
	if (sipmsg_new_request(&creq, method, "sip:uas@fz.invalid") != 0)
		goto out;
	if (snprintf(value, sizeof(value), "SIP/2.0/WS fz.invalid;branch=%.*s",
		     (int)key.branch.len, key.branch.p) >= (int)sizeof(value))
		goto out;
	if (sipmsg_header_add(creq, "Via", value) != 0)
		goto out;
	snprintf(value, sizeof(value), "1 %s", method);
	require(sipmsg_header_add(creq, "CSeq", value) == 0);
	require(sipmsg_header_add(creq, "From", "<sip:uac@fz.invalid>;tag=a") == 0);
	require(sipmsg_header_add(creq, "To", "<sip:uas@fz.invalid>") == 0);
	require(sipmsg_header_add(creq, "Call-ID", "fz") == 0);
	require(sipmsg_header_add(creq, "Max-Forwards", "70") == 0);
	require(sipmsg_encode_alloc(creq, &wire, &wire_len) == 0);
	require(tsx_client_start(&c, l, creq, wire, wire_len, on_response,
				 &calls) == 0);
	require(tsx_layer_client_count(l) == 1 && sent.count == 1);
	/* The response carries that branch and method: it must match. */
	require(tsx_layer_response(l, resp) == 0);
	require(calls == 1);
	if (sipmsg_status(resp) >= 200)
		require(tsx_layer_client_count(l) == 0);
	else
		require(tsx_layer_client_count(l) == 1);
out:
	tsx_layer_free(l);
	sipmsg_free(creq);
	free(wire);
	free(sent.data);
}

static void check_message(const uint8_t *data, size_t size)
{
	struct sipmsg *m = decode((const char *)data, size);
	uint32_t expires;
	uint64_t ms, lo, hi;

	if (m == NULL)
		return;
	if (sipmsg_expires_get(m, &expires) == 0) {
		ms = (uint64_t)expires * 1000u;
		lo = reg_refresh_ms(expires, 0);
		hi = reg_refresh_ms(expires, 0.999999);
		require(lo <= hi && ms / 2 <= lo && hi <= ms);
		if (expires > 64)
			require(hi <= ms - 32000);
	}
	if (sipmsg_is_request(m)) {
		check_request(m, data, size);
	} else {
		check_response(m);
		sipmsg_free(m);
	}
}

/* ---- topics ------------------------------------------------------------- */

static bool has_separator(const char *p)
{
	return strpbrk(p, ", \t\n\r\f\v") != NULL;
}

static void check_topics(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t plen = nul ? (size_t)(nul - data) : size, i;
	char *pattern, *topic, reason[128];
	bool unknown = true, any = false;
	int err;

	pattern = malloc(plen + 1);
	require(pattern != NULL);
	memcpy(pattern, data, plen);
	pattern[plen] = '\0';
	topic = nul ? strndup((const char *)nul + 1, size - plen - 1)
		    : strdup("");
	require(topic != NULL);

	/* Every pattern matches itself, "*" everything. */
	require(topic_match(pattern, pattern));
	require(topic_match("*", topic));
	if (topic_match(pattern, topic) && pattern[0] != '\0' &&
	    !has_separator(pattern))
		require(topic_list_match(pattern, topic));
	(void)topic_list_match(pattern, topic);

	err = topic_list_check(pattern, &unknown, reason, sizeof(reason));
	require(err == 0 || err == EINVAL);
	require(err == 0 || reason[0] != '\0');
	require(strlen(reason) < sizeof(reason));
	if (err == 0 && !has_separator(pattern)) {
		for (i = 0; topic_names[i] != NULL; i++)
			any = any || topic_match(pattern, topic_names[i]);
		require(any == !unknown);
	}
	free(pattern);
	free(topic);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_bad_request(data, size);
	(void)sip_uuid_valid((const char *)data, size);
	if (sip_uuid_valid((const char *)data, size))
		require(size == 36);
	check_message(data, size);
	check_topics(data, size);
	return 0;
}
