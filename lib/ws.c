/* SIP over WebSocket (RFC 7118) on libwebsockets: server choice, failover
 * and JsSIP-style recovery, the write queue, message reassembly, RFC 5626
 * CRLF keepalives, and turning lws's failure strings into errno values. */
#include "ws.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "uri.h"

#define WS_SUBPROTOCOL "sip"
#define WS_CLOSE_WAIT_MS 2000 /* for the server's Close after ours */
#define WS_NONE SIZE_MAX

struct ws_srv {
	char *url;
	bool secure;
	enum uri_host_type host_type;
	char *host;        /* IPv6 without brackets */
	unsigned port;
	char *path;        /* path[?query] */
	char *host_header; /* host[:port], IPv6 in brackets */
};

struct ws_msg {
	struct ws_msg *next;
	size_t len;
	unsigned char buf[]; /* LWS_PRE bytes for lws, then the message */
};

enum ws_state {
	WS_IDLE,       /* before ws_connect, or after the final DISCONNECTED */
	WS_CONNECTING, /* TCP, TLS, upgrade */
	WS_OPEN,
	WS_CLOSING, /* ws_close() called, DISCONNECTED not yet given */
	WS_WAITING, /* backoff before the next attempt */
};

struct ws {
	struct loop *loop;
	struct loop_lws_handler lh;
	ws_event_h *h;
	void *arg;

	struct ws_srv *srv;
	unsigned *weights; /* of srv[i] */
	bool *failed; /* skipped until every server has failed (as JsSIP) */
	size_t nsrv;
	size_t cur;
	size_t switch_to; /* closing to move to this server, or WS_NONE */
	unsigned probe_interval_secs;
	struct ws *probe;  /* the connection trying the heavier servers */
	struct loop_timer t_probe; /* the next probe */
	enum loop_log_level info; /* of the connection life: DEBUG in a probe */
	char *origin;
	unsigned connect_timeout_ms;
	bool reconnect;
	unsigned reconnect_min_secs, reconnect_max_secs;
	unsigned keepalive_interval_ms, keepalive_timeout_ms;
	lws_retry_bo_t idle_policy;
	bool use_idle_policy;
	size_t max_message;
	size_t max_queue;

	enum ws_state state;
	struct lws *wsi;
	bool attempt_ended;   /* the current attempt was already handled */
	unsigned attempts;    /* backoff rounds since the last connection */
	uint64_t last_rx_ms;  /* last frame or Pong from the server */
	int pend_err;         /* our own reason for the close in progress */
	char pend_reason[200];
	char reason[240];     /* text of the last DISCONNECTED */

	struct loop_timer t_attempt, t_connect, t_retry, t_keepalive, t_pong,
		t_close;

	struct ws_msg *q_head, *q_tail;
	size_t q_count;

	char *rx;
	size_t rx_len, rx_cap;
	bool rx_binary;

	uint64_t rng;
	int busy;  /* > 0 while our code is on the stack */
	bool dead; /* ws_free() was called meanwhile */
};

/* Pure helpers */

enum ws_frame_kind ws_frame_classify(const char *p, size_t len)
{
	size_t i;

	if (len == 2 && p[0] == '\r' && p[1] == '\n')
		return WS_FRAME_PONG;
	if (len == 4 && memcmp(p, "\r\n\r\n", 4) == 0)
		return WS_FRAME_PING;
	if (len == 0)
		return WS_FRAME_BLANK;
	for (i = 0; i < len; i++)
		if (p[i] != '\r' && p[i] != '\n')
			return WS_FRAME_MESSAGE;
	return WS_FRAME_BLANK;
}

unsigned ws_backoff_secs(unsigned attempts, unsigned min_secs,
			 unsigned max_secs, double r)
{
	double k;

	if (r < 0)
		r = 0;
	if (r >= 1)
		r = 0.999999;
	/* 2^40 s is far past any sane max: cap to keep k finite */
	k = r * (double)(1ull << (attempts > 40 ? 40 : attempts)) + 1.0;
	if (k < (double)min_secs)
		return min_secs;
	if (k > (double)max_secs)
		return max_secs < min_secs ? min_secs : max_secs;
	return (unsigned)k;
}

static double ws_random(struct ws *ws)
{
	/* xorshift64*: a private generator leaves rand() to the caller */
	ws->rng ^= ws->rng >> 12;
	ws->rng ^= ws->rng << 25;
	ws->rng ^= ws->rng >> 27;
	return (double)((ws->rng * 2685821657736338717ull) >> 11) /
	       9007199254740992.0; /* 2^53 */
}

size_t ws_server_pick(const unsigned *weights, const bool *failed, size_t n,
		      double r)
{
	size_t i, best = n, ties = 0, k;

	for (i = 0; i < n; i++) {
		if (failed && failed[i])
			continue;
		if (best == n || weights[i] > weights[best]) {
			best = i;
			ties = 1;
		} else if (weights[i] == weights[best]) {
			ties++;
		}
	}
	if (ties < 2)
		return best;
	if (r < 0)
		r = 0;
	k = (size_t)(r * (double)ties);
	if (k >= ties)
		k = ties - 1;
	for (i = best; i < n; i++) {
		if ((failed && failed[i]) || weights[i] != weights[best])
			continue;
		if (k-- == 0)
			return i;
	}
	return best; /* not reached */
}

bool ws_server_preferred(const unsigned *weights, size_t n, size_t cur)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (weights[i] > weights[cur])
			return false;
	return true;
}

/* The next server to try; WS_NONE when all failed. */
static size_t ws_pick(struct ws *ws)
{
	size_t i = ws_server_pick(ws->weights, ws->failed, ws->nsrv,
				  ws_random(ws));

	return i < ws->nsrv ? i : WS_NONE;
}

/* A new round: every server may be tried again. */
static void ws_round_start(struct ws *ws)
{
	memset(ws->failed, 0, ws->nsrv * sizeof(*ws->failed));
}

/* Moving back to a heavier server: see "The probe" below. */
static void ws_probe_schedule(struct ws *ws);

/* End the probe and its timer: at once, or (force false) unless it is
 * closing politely after it answered (its own DISCONNECTED frees it). */
static void ws_probe_drop(struct ws *ws, bool force)
{
	struct ws *probe = ws->probe;

	loop_timer_cancel(&ws->t_probe);
	if (!probe || (!force && probe->state == WS_CLOSING))
		return;
	ws->probe = NULL;
	ws_free(probe);
}

/* Lifetime: the handler may ws_free() from inside an event; the struct
 * then lives until our code leaves the stack. */

static void ws_destroy(struct ws *ws);

static void ws_enter(struct ws *ws)
{
	ws->busy++;
}

static void ws_leave(struct ws *ws)
{
	if (--ws->busy == 0 && ws->dead)
		ws_destroy(ws);
}

static void ws_emit(struct ws *ws, const struct ws_event *ev)
{
	/* moving to another server: the handler was told this connection
	 * is gone, and what still comes on it has no one to answer it */
	if (ev->type == WS_EVENT_MESSAGE && ws->switch_to != WS_NONE)
		return;
	ws->busy++;
	ws->h(ev, ws->arg);
	ws->busy--;
}

/* Queue */

static void ws_queue_clear(struct ws *ws)
{
	struct ws_msg *m;

	while ((m = ws->q_head) != NULL) {
		ws->q_head = m->next;
		free(m);
	}
	ws->q_tail = NULL;
	ws->q_count = 0;
}

static int ws_queue_add(struct ws *ws, const char *p, size_t len, bool front)
{
	struct ws_msg *m = malloc(sizeof(*m) + LWS_PRE + len);

	if (!m)
		return ENOMEM;
	m->len = len;
	memcpy(m->buf + LWS_PRE, p, len);
	if (front) {
		m->next = ws->q_head;
		ws->q_head = m;
		if (!ws->q_tail)
			ws->q_tail = m;
	} else {
		m->next = NULL;
		if (ws->q_tail)
			ws->q_tail->next = m;
		else
			ws->q_head = m;
		ws->q_tail = m;
	}
	ws->q_count++;
	if (ws->wsi && ws->state == WS_OPEN)
		lws_callback_on_writable(ws->wsi);
	return 0;
}

/* Connection end */

/* Forget the wsi: no more callbacks from it; close it unless lws is
 * already doing so (kill is false inside its closing callbacks). */
static void ws_detach(struct ws *ws, bool kill)
{
	struct lws *wsi = ws->wsi;

	ws->wsi = NULL;
	if (!wsi)
		return;
	lws_set_opaque_user_data(wsi, NULL);
	if (kill)
		lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static void ws_stop_timers(struct ws *ws)
{
	loop_timer_cancel(&ws->t_attempt);
	loop_timer_cancel(&ws->t_connect);
	loop_timer_cancel(&ws->t_retry);
	loop_timer_cancel(&ws->t_keepalive);
	loop_timer_cancel(&ws->t_pong);
	loop_timer_cancel(&ws->t_close);
}

static void ws_attempt_cb(void *arg);
static void ws_retry_cb(void *arg);

/* The attempt or the connection on ws->cur ended (err 0: our ws_close).
 * Chooses what comes next and tells the handler, last. */
static void ws_ended(struct ws *ws, int err, const char *reason, bool kill)
{
	struct ws_srv *s = &ws->srv[ws->cur];
	bool was_open = ws->state == WS_OPEN;
	struct ws_event ev;
	size_t next;
	unsigned secs;

	if (ws->attempt_ended)
		return;
	ws->attempt_ended = true;
	ws_detach(ws, kill);
	ws_probe_drop(ws, false);
	ws_stop_timers(ws);
	ws->rx_len = 0;

	if (ws->switch_to != WS_NONE) {
		/* the handler heard of it when ws_switch began the close */
		next = ws->switch_to;
		ws->switch_to = WS_NONE;
		ws_round_start(ws);
		ws->cur = next;
		ws->attempts = 0;
		ws->state = WS_CONNECTING;
		loop_timer_start(&ws->t_attempt, ws->loop, 0, ws_attempt_cb, ws);
		loop_log(ws->loop, ws->info, "%s: closed; connecting to %s",
			 s->url, ws->srv[next].url);
		return;
	}

	memset(&ev, 0, sizeof(ev));
	ev.type = WS_EVENT_DISCONNECTED;
	ev.url = s->url;
	ev.err = err;
	snprintf(ws->reason, sizeof(ws->reason), "%s", reason);
	ev.reason = ws->reason;

	if (ws->state == WS_CLOSING || err == 0) {
		ev.err = 0;
		ws->state = WS_IDLE;
		ws_queue_clear(ws);
		loop_log(ws->loop, ws->info, "%s: closed", s->url);
		ws_emit(ws, &ev);
		return;
	}

	/* A lost connection starts a new round from the highest weight (as
	 * DNS SRV priorities): the preferred server may never have gone
	 * down. A failed attempt moves on within the round. */
	if (was_open)
		ws_round_start(ws);
	else
		ws->failed[ws->cur] = true;
	next = ws_pick(ws);
	if (!was_open && next != WS_NONE) {
		/* failover within the round: the next server at once */
		ws->cur = next;
		ws->state = WS_CONNECTING;
		ev.retry = true;
		loop_timer_start(&ws->t_attempt, ws->loop, 0, ws_attempt_cb, ws);
		loop_log(ws->loop, ws->info, "%s: %s; trying %s", s->url,
			 reason, ws->srv[next].url);
	} else if (!ws->reconnect) {
		ws->state = WS_IDLE;
		ws_queue_clear(ws);
		loop_log(ws->loop, ws->info, "%s: %s", s->url, reason);
	} else {
		if (next == WS_NONE) {
			ws_round_start(ws);
			next = ws_pick(ws);
		}
		ws->cur = next;
		ws->attempts++;
		secs = ws_backoff_secs(ws->attempts, ws->reconnect_min_secs,
				       ws->reconnect_max_secs, ws_random(ws));
		ws->state = WS_WAITING;
		ev.retry = true;
		ev.retry_ms = (uint64_t)secs * 1000u;
		loop_timer_start(&ws->t_retry, ws->loop, ev.retry_ms,
				 ws_retry_cb, ws);
		loop_log(ws->loop, ws->info,
			 "%s: %s; retrying %s in %u s", s->url, reason,
			 ws->srv[next].url, secs);
	}
	ws_emit(ws, &ev);
}

/* Our own reasons take precedence over lws's description of the close. */
static void ws_set_pending(struct ws *ws, int err, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
static void ws_set_pending(struct ws *ws, int err, const char *fmt, ...)
{
	va_list ap;

	if (ws->pend_err)
		return;
	ws->pend_err = err;
	va_start(ap, fmt);
	vsnprintf(ws->pend_reason, sizeof(ws->pend_reason), fmt, ap);
	va_end(ap);
}

static bool ws_contains(const char *s, const char *needle)
{
	return s && strstr(s, needle) != NULL;
}

/* lws reports a failed client connection only as text: map the texts of
 * lws 4.1 to errno values (checked by tests/t0520-ws-transport.t). */
static int ws_classify_failure(struct ws *ws, struct lws *wsi,
			       const char *msg, char *reason, size_t size)
{
	int status;

	if (ws->pend_err) {
		snprintf(reason, size, "%s", ws->pend_reason);
		return ws->pend_err;
	}
	if (!msg)
		msg = "";
	/* lws 4.1 words a failed verification as a bare "connect SSL err":
	 * the session still holds OpenSSL's verdict */
	if (wsi && ws->srv[ws->cur].secure &&
	    !loop_lws_tls_insecure(ws->loop)) {
		SSL *ssl = lws_get_ssl(wsi);
		long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;

		if (vr != X509_V_OK) {
			snprintf(reason, size, "certificate not trusted: %s",
				 X509_verify_cert_error_string(vr));
			return WS_ETLS_VERIFY;
		}
	}
	if (ws_contains(msg, "cert") || ws_contains(msg, "X509")) {
		snprintf(reason, size, "certificate not trusted (%.120s)", msg);
		return WS_ETLS_VERIFY;
	}
	if (ws_contains(msg, "SSL") || ws_contains(msg, "TLS") ||
	    ws_contains(msg, "tls")) {
		snprintf(reason, size, "TLS handshake failed (%.120s)", msg);
		return WS_ETLS;
	}
	if (ws_contains(msg, "HS:") || ws_contains(msg, "upgrade")) {
		status = wsi ? (int)lws_http_client_http_response(wsi) : 0;
		if (status > 0 && status != 101)
			snprintf(reason, size,
				 "WebSocket upgrade refused: HTTP %d", status);
		else
			snprintf(reason, size, "WebSocket upgrade failed (%.120s)",
				 msg);
		return EPROTO;
	}
	if (ws_contains(msg, "getaddrinfo") || ws_contains(msg, "DNS") ||
	    ws_contains(msg, "dns")) {
		snprintf(reason, size, "cannot resolve %s",
			 ws->srv[ws->cur].host);
		return EHOSTUNREACH;
	}
	if (ws->state == WS_OPEN) {
		/* lws hangs up silently when its Pings go unanswered */
		if (ws->use_idle_policy &&
		    loop_now_ms() - ws->last_rx_ms + 500 >=
			    ws->idle_policy.secs_since_valid_hangup * 1000ull) {
			snprintf(reason, size, "no answer to WebSocket pings");
			return ETIMEDOUT;
		}
		snprintf(reason, size, "connection lost");
		return ECONNRESET;
	}
	if (ws_contains(msg, "connect") || !*msg) {
		/* lws: "Unable to connect" once every address refused */
		snprintf(reason, size, "connection refused");
		return ECONNREFUSED;
	}
	/* TCP was up: the server hung up before the upgrade completed */
	snprintf(reason, size, "connection closed during the upgrade (%.120s)",
		 msg);
	return ECONNRESET;
}

static void ws_connection_failed(struct ws *ws, struct lws *wsi,
				 const char *in, size_t len)
{
	char reason[sizeof(ws->reason)], msg[160];
	size_t n = 0;
	int err;

	/* lws's text, without its trailing newline */
	if (in) {
		n = strnlen(in, len ? len : sizeof(msg) - 1);
		if (n > sizeof(msg) - 1)
			n = sizeof(msg) - 1;
		while (n > 0 && (in[n - 1] == '\n' || in[n - 1] == '\r' ||
				 in[n - 1] == ' '))
			n--;
		memcpy(msg, in, n);
	}
	msg[n] = '\0';
	loop_log(ws->loop, LOOP_LOG_DEBUG, "%s: lws says \"%s\"",
		 ws->srv[ws->cur].url, msg);
	err = ws_classify_failure(ws, wsi, msg, reason, sizeof(reason));
	ws->wsi = wsi; /* so ws_detach clears its opaque pointer */
	ws_ended(ws, err, reason, false);
}

/* Timers */

static void ws_attempt(struct ws *ws);

static void ws_attempt_cb(void *arg)
{
	struct ws *ws = arg;

	ws_enter(ws);
	ws_attempt(ws);
	ws_leave(ws);
}

static void ws_retry_cb(void *arg)
{
	struct ws *ws = arg;

	ws_enter(ws);
	ws->state = WS_CONNECTING;
	ws_attempt(ws);
	ws_leave(ws);
}

static void ws_connect_timeout_cb(void *arg)
{
	struct ws *ws = arg;
	char reason[64];

	ws_enter(ws);
	snprintf(reason, sizeof(reason), "no connection within %u ms",
		 ws->connect_timeout_ms);
	ws_ended(ws, ETIMEDOUT, reason, true);
	ws_leave(ws);
}

static void ws_pong_timeout_cb(void *arg)
{
	struct ws *ws = arg;

	ws_enter(ws);
	ws_ended(ws, ETIMEDOUT, "no answer to the CRLF keepalive", true);
	ws_leave(ws);
}

static void ws_keepalive_cb(void *arg)
{
	struct ws *ws = arg;

	ws_enter(ws);
	if (ws->state == WS_OPEN) {
		loop_log(ws->loop, LOOP_LOG_DEBUG, "%s: sending CRLF keepalive",
			 ws->srv[ws->cur].url);
		if (ws_queue_add(ws, "\r\n\r\n", 4, true) == 0 &&
		    !loop_timer_running(&ws->t_pong))
			loop_timer_start(&ws->t_pong, ws->loop,
					 ws->keepalive_timeout_ms,
					 ws_pong_timeout_cb, ws);
		loop_timer_start(&ws->t_keepalive, ws->loop,
				 ws->keepalive_interval_ms, ws_keepalive_cb, ws);
	}
	ws_leave(ws);
}

static void ws_close_timeout_cb(void *arg)
{
	struct ws *ws = arg;

	ws_enter(ws);
	ws_ended(ws, 0, "closed", true);
	ws_leave(ws);
}

/* One connection attempt to ws->srv[ws->cur]. */
static void ws_attempt(struct ws *ws)
{
	struct ws_srv *s = &ws->srv[ws->cur];
	struct lws_client_connect_info ci;
	struct lws *wsi;

	ws->attempt_ended = false;
	ws->pend_err = 0;
	ws->pend_reason[0] = '\0';
	ws->rx_len = 0;

	memset(&ci, 0, sizeof(ci));
	ci.context = loop_lws_context(ws->loop);
	ci.vhost = loop_lws_vhost(ws->loop, s->secure);
	if (!ci.vhost) {
		ws_ended(ws, WS_ETLS, "cannot set up TLS", false);
		return;
	}
	ci.address = s->host;
	ci.port = (int)s->port;
	ci.path = s->path;
	ci.host = s->host_header;
	ci.protocol = WS_SUBPROTOCOL;
	ci.local_protocol_name = LOOP_LWS_PROTOCOL;
	ci.opaque_user_data = &ws->lh;
	ci.pwsi = &ws->wsi;
	if (ws->use_idle_policy)
		ci.retry_and_idle_policy = &ws->idle_policy;
	if (s->secure) {
		/* the name check is ours (ws_check_peer_name): lws's cannot
		 * match IP literals against IP SANs */
		ci.ssl_connection = LCCSCF_USE_SSL |
				    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK;
		if (loop_lws_tls_insecure(ws->loop))
			ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
					     LCCSCF_ALLOW_INSECURE |
					     LCCSCF_ALLOW_EXPIRED;
	}

	loop_log(ws->loop, ws->info, "%s: connecting", s->url);
	loop_timer_start(&ws->t_connect, ws->loop, ws->connect_timeout_ms,
			 ws_connect_timeout_cb, ws);
	ws->wsi = NULL;
	wsi = lws_client_connect_via_info(&ci);
	if (ws->attempt_ended) {
		/* failed inside the call: whatever lws left in pwsi is gone */
		ws->wsi = NULL;
		return;
	}
	if (ws->dead)
		return;
	if (!wsi) {
		char reason[300];

		/* lws 4.1 fails a name it cannot resolve here, silently */
		snprintf(reason, sizeof(reason), "cannot resolve or reach %s",
			 s->host);
		ws->wsi = NULL;
		ws_ended(ws, EHOSTUNREACH, reason, false);
	}
}

/* The certificate chain was checked by OpenSSL through lws; the name is
 * checked here, against IP SANs for IP literals. */
static int ws_check_peer_name(struct ws *ws, struct lws *wsi)
{
	struct ws_srv *s = &ws->srv[ws->cur];
	SSL *ssl = lws_get_ssl(wsi);
	X509 *cert;
	int ok;

	if (!ssl) {
		ws_set_pending(ws, WS_ETLS, "no TLS session");
		return -1;
	}
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	cert = SSL_get1_peer_certificate(ssl);
#else
	cert = SSL_get_peer_certificate(ssl);
#endif
	if (!cert) {
		ws_set_pending(ws, WS_ETLS_VERIFY, "server sent no certificate");
		return -1;
	}
	if (s->host_type == URI_HOST_IPV4 || s->host_type == URI_HOST_IPV6)
		ok = X509_check_ip_asc(cert, s->host, 0) == 1;
	else
		ok = X509_check_host(cert, s->host, strlen(s->host), 0, NULL) == 1;
	X509_free(cert);
	if (!ok) {
		ws_set_pending(ws, WS_ETLS_VERIFY,
			       "certificate not valid for %s", s->host);
		return -1;
	}
	return 0;
}

/* lws would write "Origin: http://<origin>": the header is ours. */
static int ws_append_origin(struct ws *ws, void *in, size_t len)
{
	char **p = in;
	int n;

	if (!ws->origin)
		return 0;
	n = snprintf(*p, len, "Origin: %s\r\n", ws->origin);
	if (n < 0 || (size_t)n >= len)
		return -1;
	*p += n;
	return 0;
}

static int ws_check_subprotocol(struct ws *ws, struct lws *wsi)
{
	char buf[64];
	int n;

	n = lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_PROTOCOL);
	if (n <= 0 || strcmp(buf, WS_SUBPROTOCOL) != 0) {
		ws_set_pending(ws, EPROTO,
			       "server did not accept the sip subprotocol");
		return -1;
	}
	return 0;
}

static void ws_established(struct ws *ws)
{
	struct ws_srv *s = &ws->srv[ws->cur];
	struct ws_event ev;

	loop_timer_cancel(&ws->t_connect);
	ws->state = WS_OPEN;
	ws->attempts = 0;
	if (ws->keepalive_interval_ms)
		loop_timer_start(&ws->t_keepalive, ws->loop,
				 ws->keepalive_interval_ms, ws_keepalive_cb, ws);
	if (ws->q_head)
		lws_callback_on_writable(ws->wsi);
	loop_log(ws->loop, ws->info, "%s: connected", s->url);
	ws_probe_schedule(ws);
	memset(&ev, 0, sizeof(ev));
	ev.type = WS_EVENT_CONNECTED;
	ev.url = s->url;
	ws_emit(ws, &ev);
}

/* One whole message arrived. */
static void ws_message(struct ws *ws, const char *p, size_t len, bool binary)
{
	struct ws_event ev;

	switch (ws_frame_classify(p, len)) {
	case WS_FRAME_PING:
		loop_log(ws->loop, LOOP_LOG_DEBUG,
			 "%s: CRLF keepalive received, answering",
			 ws->srv[ws->cur].url);
		ws_queue_add(ws, "\r\n", 2, true);
		return;
	case WS_FRAME_PONG:
		loop_log(ws->loop, LOOP_LOG_DEBUG,
			 "%s: CRLF keepalive answered", ws->srv[ws->cur].url);
		loop_timer_cancel(&ws->t_pong);
		return;
	case WS_FRAME_BLANK:
		return;
	case WS_FRAME_MESSAGE:
		break;
	}
	loop_log(ws->loop, LOOP_LOG_DEBUG, "%s: received %zu bytes",
		 ws->srv[ws->cur].url, len);
	memset(&ev, 0, sizeof(ev));
	ev.type = WS_EVENT_MESSAGE;
	ev.url = ws->srv[ws->cur].url;
	ev.data = p;
	ev.len = len;
	ev.binary = binary;
	ws_emit(ws, &ev);
}

/* Returns -1 to have lws close the connection. */
static int ws_receive(struct ws *ws, struct lws *wsi, const char *in,
		      size_t len)
{
	size_t remaining = lws_remaining_packet_payload(wsi);
	bool complete = lws_is_final_fragment(wsi) && remaining == 0;
	char *p;

	if (lws_is_first_fragment(wsi)) {
		ws->rx_len = 0;
		ws->rx_binary = lws_frame_is_binary(wsi) != 0;
	}
	if (ws->rx_len == 0 && complete) {
		if (len > ws->max_message)
			goto too_big;
		ws_message(ws, in, len, ws->rx_binary);
		return 0;
	}
	if (len > ws->max_message - ws->rx_len ||
	    remaining > ws->max_message - ws->rx_len - len)
		goto too_big;
	if (ws->rx_len + len > ws->rx_cap) {
		size_t cap = ws->rx_cap ? ws->rx_cap : 4096;

		while (cap < ws->rx_len + len)
			cap *= 2;
		if (cap > ws->max_message)
			cap = ws->max_message;
		p = realloc(ws->rx, cap);
		if (!p) {
			ws_set_pending(ws, ENOMEM, "out of memory");
			return -1;
		}
		ws->rx = p;
		ws->rx_cap = cap;
	}
	memcpy(ws->rx + ws->rx_len, in, len);
	ws->rx_len += len;
	if (complete) {
		len = ws->rx_len;
		ws->rx_len = 0;
		ws_message(ws, ws->rx, len, ws->rx_binary);
	}
	return 0;

too_big:
	ws_set_pending(ws, EMSGSIZE, "message from the server over %zu bytes",
		       ws->max_message);
	lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
			 (unsigned char *)"message too large", 17);
	return -1;
}

static int ws_writeable(struct ws *ws, struct lws *wsi)
{
	struct ws_msg *m = ws->q_head;
	int n;

	if (!m) {
		if (ws->state == WS_CLOSING) {
			lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL,
					 (unsigned char *)"bye", 3);
			return -1;
		}
		return 0;
	}
	n = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
	if (n < 0 || (size_t)n < m->len) {
		ws_set_pending(ws, ECONNRESET, "write failed");
		return -1;
	}
	loop_log(ws->loop, LOOP_LOG_DEBUG, "%s: sent %zu bytes",
		 ws->srv[ws->cur].url, m->len);
	ws->q_head = m->next;
	if (!ws->q_head)
		ws->q_tail = NULL;
	ws->q_count--;
	free(m);
	if (ws->q_head || ws->state == WS_CLOSING)
		lws_callback_on_writable(wsi);
	return 0;
}

static int ws_lws_event(struct ws *ws, struct lws *wsi, int reason,
			void *in, size_t len)
{
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (ws->srv[ws->cur].secure &&
		    !loop_lws_tls_insecure(ws->loop) &&
		    ws_check_peer_name(ws, wsi))
			return -1;
		return ws_append_origin(ws, in, len);
	case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
		return ws_check_subprotocol(ws, wsi);
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		ws->last_rx_ms = loop_now_ms();
		ws_established(ws);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		ws->last_rx_ms = loop_now_ms();
		return ws_receive(ws, wsi, in, len);
	case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
		ws->last_rx_ms = loop_now_ms();
		return 0;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return ws_writeable(ws, wsi);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2) {
			const unsigned char *b = in;

			ws_set_pending(ws, ECONNRESET,
				       "closed by the server (%u%s%.*s)",
				       (unsigned)(b[0] << 8 | b[1]),
				       len > 2 ? " " : "", (int)(len - 2),
				       (const char *)in + 2);
		} else {
			ws_set_pending(ws, ECONNRESET, "closed by the server");
		}
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		ws_connection_failed(ws, wsi, in, len);
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
	case LWS_CALLBACK_WSI_DESTROY:
		if (ws->state == WS_CLOSING)
			ws_ended(ws, 0, "closed", false);
		else
			ws_connection_failed(ws, wsi, NULL, 0);
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, NULL, in, len);
	}
}

static int ws_lws_callback(void *wsi_, int reason, void *in, size_t len,
			   void *arg)
{
	struct lws *wsi = wsi_;
	struct ws *ws = arg;
	int ret;

	if (!ws->wsi && ws->state == WS_CONNECTING && !ws->attempt_ended)
		ws->wsi = wsi; /* a callback before lws filled in pwsi */
	if (wsi != ws->wsi) {
		/* a connection we already gave up: forget it */
		lws_set_opaque_user_data(wsi, NULL);
		return 0;
	}
	ws_enter(ws);
	ret = ws_lws_event(ws, wsi, reason, in, len);
	ws_leave(ws);
	return ret;
}

/* The probe: moving back to a heavier server */

static void ws_probe_cb(void *arg);

/* While open on a server that is not of the highest weight. */
static void ws_probe_schedule(struct ws *ws)
{
	if (ws->reconnect && ws->probe_interval_secs &&
	    ws->state == WS_OPEN && ws->switch_to == WS_NONE && !ws->probe &&
	    !ws_server_preferred(ws->weights, ws->nsrv, ws->cur))
		loop_timer_start(&ws->t_probe, ws->loop,
				 (uint64_t)ws->probe_interval_secs * 1000u,
				 ws_probe_cb, ws);
}

/* The heavier server next answered the probe: close the connection in use
 * politely and connect to next once it is closed (ws_ended). The handler
 * hears of it now, so that it sends nothing more on this connection. */
static void ws_switch(struct ws *ws, size_t next)
{
	struct ws_event ev;

	if (ws->state != WS_OPEN)
		return;
	loop_log(ws->loop, ws->info, "%s: %s answers: moving to it",
		 ws->srv[ws->cur].url, ws->srv[next].url);
	ws_close(ws); /* the queue drains, then our Close frame */
	ws->switch_to = next;
	memset(&ev, 0, sizeof(ev));
	ev.type = WS_EVENT_DISCONNECTED;
	ev.url = ws->srv[ws->cur].url;
	snprintf(ws->reason, sizeof(ws->reason),
		 "moving to the preferred server %s", ws->srv[next].url);
	ev.reason = ws->reason;
	ev.retry = true;
	ws_emit(ws, &ev);
}

static void ws_probe_event(const struct ws_event *ev, void *arg)
{
	struct ws *ws = arg, *probe = ws->probe;
	size_t i;

	ws_enter(ws);
	switch (ev->type) {
	case WS_EVENT_CONNECTED:
		ws_close(probe); /* its DISCONNECTED frees it */
		for (i = 0; i < ws->nsrv; i++)
			if (strcmp(ws->srv[i].url, ev->url) == 0)
				break;
		if (i < ws->nsrv)
			ws_switch(ws, i);
		break;
	case WS_EVENT_DISCONNECTED:
		if (ev->err)
			loop_log(ws->loop, LOOP_LOG_DEBUG, "probe: %s: %s",
				 ev->url, ev->reason);
		if (ev->retry)
			break;
		ws->probe = NULL;
		ws_free(probe);
		ws_probe_schedule(ws);
		break;
	case WS_EVENT_MESSAGE:
		break;
	}
	ws_leave(ws);
}

/* Try the servers heavier than the one in use, heaviest first, once. */
static void ws_probe_cb(void *arg)
{
	struct ws *ws = arg;
	struct ws_server *heavier;
	struct ws_config cfg;
	size_t i, n = 0;
	int err;

	if (ws->state != WS_OPEN || ws->probe)
		return;
	heavier = calloc(ws->nsrv, sizeof(*heavier));
	if (!heavier) {
		ws_probe_schedule(ws);
		return;
	}
	for (i = 0; i < ws->nsrv; i++)
		if (ws->weights[i] > ws->weights[ws->cur]) {
			heavier[n].url = ws->srv[i].url;
			heavier[n++].weight = ws->weights[i];
		}
	memset(&cfg, 0, sizeof(cfg));
	cfg.servers = heavier;
	cfg.nservers = n;
	cfg.origin = ws->origin;
	cfg.connect_timeout_ms = ws->connect_timeout_ms;
	err = ws_alloc(&ws->probe, ws->loop, &cfg, ws_probe_event, ws);
	if (!err) {
		ws->probe->info = LOOP_LOG_DEBUG;
		loop_log(ws->loop, LOOP_LOG_DEBUG, "%s: probing %s%s",
			 ws->srv[ws->cur].url, heavier[0].url,
			 n > 1 ? " and the other heavier servers" : "");
		err = ws_connect(ws->probe);
	}
	free(heavier);
	if (err) {
		loop_log(ws->loop, LOOP_LOG_DEBUG, "probe: %s", strerror(err));
		ws_free(ws->probe);
		ws->probe = NULL;
		ws_probe_schedule(ws);
	}
}

/* Public API */

static int ws_srv_init(struct ws_srv *s, struct loop *loop,
		       const struct ws_server *in)
{
	char reason[128];
	struct uri_ws u;
	size_t n;
	int err;

	if (!in->url)
		return EINVAL;
	s->url = strdup(in->url);
	if (!s->url)
		return ENOMEM;
	err = uri_ws_decode(&u, s->url, strlen(s->url), reason, sizeof(reason));
	if (err) {
		loop_log(loop, LOOP_LOG_ERROR, "%s: %s", in->url, reason);
		return EINVAL;
	}
	s->secure = u.secure;
	s->host_type = u.host_type;
	s->port = u.port;
	s->host = span_dup(u.host);
	n = u.path.len + (u.query.p ? u.query.len + 1 : 0) + 1;
	s->path = malloc(n);
	/* host, ':', port, brackets, NUL */
	s->host_header = malloc(u.host.len + 16);
	if (!s->host || !s->path || !s->host_header)
		return ENOMEM;
	snprintf(s->path, n, "%.*s%s%.*s", (int)u.path.len, u.path.p,
		 u.query.p ? "?" : "", (int)u.query.len,
		 u.query.p ? u.query.p : "");
	snprintf(s->host_header, u.host.len + 16, "%s%s%s",
		 u.host_type == URI_HOST_IPV6 ? "[" : "", s->host,
		 u.host_type == URI_HOST_IPV6 ? "]" : "");
	if (u.port != (u.secure ? 443u : 80u))
		snprintf(s->host_header + strlen(s->host_header), 8, ":%u",
			 u.port);
	return 0;
}

int ws_alloc(struct ws **wsp, struct loop *loop, const struct ws_config *cfg,
	     ws_event_h *h, void *arg)
{
	struct ws *ws;
	size_t i;
	int err = 0;

	if (!wsp)
		return EINVAL;
	*wsp = NULL;
	if (!loop || !cfg || !h || !cfg->servers || cfg->nservers == 0)
		return EINVAL;
	ws = calloc(1, sizeof(*ws));
	if (!ws)
		return ENOMEM;
	ws->loop = loop;
	ws->h = h;
	ws->arg = arg;
	ws->lh.callback = ws_lws_callback;
	ws->lh.arg = ws;
	ws->lh.loop = loop;
	ws->connect_timeout_ms = cfg->connect_timeout_ms ?
					 cfg->connect_timeout_ms :
					 WS_CONNECT_TIMEOUT_MS;
	if (ws->connect_timeout_ms > WS_CONNECT_TIMEOUT_MAX_MS)
		ws->connect_timeout_ms = WS_CONNECT_TIMEOUT_MAX_MS;
	ws->reconnect = cfg->reconnect;
	ws->probe_interval_secs = cfg->probe_interval_secs;
	ws->switch_to = WS_NONE;
	ws->info = LOOP_LOG_INFO;
	ws->reconnect_min_secs = cfg->reconnect_min_secs ?
					 cfg->reconnect_min_secs :
					 WS_RECONNECT_MIN_SECS;
	ws->reconnect_max_secs = cfg->reconnect_max_secs ?
					 cfg->reconnect_max_secs :
					 WS_RECONNECT_MAX_SECS;
	if (ws->reconnect_max_secs < ws->reconnect_min_secs)
		ws->reconnect_max_secs = ws->reconnect_min_secs;
	ws->keepalive_interval_ms = cfg->keepalive_interval_ms;
	ws->keepalive_timeout_ms = cfg->keepalive_timeout_ms ?
					   cfg->keepalive_timeout_ms :
					   WS_KEEPALIVE_TIMEOUT_MS;
	if (cfg->ping_interval_secs) {
		unsigned secs = cfg->ping_interval_secs > 30000 ?
					30000 : cfg->ping_interval_secs;

		ws->use_idle_policy = true;
		ws->idle_policy.secs_since_valid_ping = (uint16_t)secs;
		ws->idle_policy.secs_since_valid_hangup = (uint16_t)(2 * secs);
	}
	ws->max_message = cfg->max_message ? cfg->max_message : WS_MAX_MESSAGE;
	ws->max_queue = cfg->max_queue ? cfg->max_queue : WS_MAX_QUEUE;
	if (getrandom(&ws->rng, sizeof(ws->rng), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(ws->rng))
		ws->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	ws->rng |= 1; /* xorshift must not start at 0 */

	if (cfg->origin) {
		const char *c;

		for (c = cfg->origin; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f) {
				loop_log(loop, LOOP_LOG_ERROR,
					 "control character in the Origin");
				err = EINVAL;
				goto out;
			}
		ws->origin = strdup(cfg->origin);
		if (!ws->origin) {
			err = ENOMEM;
			goto out;
		}
	}
	ws->srv = calloc(cfg->nservers, sizeof(*ws->srv));
	ws->weights = calloc(cfg->nservers, sizeof(*ws->weights));
	ws->failed = calloc(cfg->nservers, sizeof(*ws->failed));
	if (!ws->srv || !ws->weights || !ws->failed) {
		err = ENOMEM;
		goto out;
	}
	ws->nsrv = cfg->nservers;
	for (i = 0; i < cfg->nservers; i++) {
		err = ws_srv_init(&ws->srv[i], loop, &cfg->servers[i]);
		if (err)
			goto out;
		ws->weights[i] = cfg->servers[i].weight;
	}
	ws->cur = ws_pick(ws);

out:
	if (err)
		ws_destroy(ws);
	else
		*wsp = ws;
	return err;
}

int ws_connect(struct ws *ws)
{
	if (!ws)
		return EINVAL;
	if (ws->state != WS_IDLE)
		return EALREADY;
	ws_round_start(ws);
	ws->switch_to = WS_NONE;
	ws->attempts = 0;
	ws->cur = ws_pick(ws);
	ws->state = WS_CONNECTING;
	ws->attempt_ended = true; /* nothing to end until ws_attempt runs */
	loop_timer_start(&ws->t_attempt, ws->loop, 0, ws_attempt_cb, ws);
	return 0;
}

int ws_send(struct ws *ws, const char *p, size_t len)
{
	if (!ws || !p || len == 0)
		return EINVAL;
	if (ws->state == WS_IDLE || ws->state == WS_CLOSING)
		return ENOTCONN;
	if (len > ws->max_message)
		return EMSGSIZE;
	if (ws->q_count >= ws->max_queue)
		return ENOBUFS;
	return ws_queue_add(ws, p, len, false);
}

void ws_close(struct ws *ws)
{
	if (!ws)
		return;
	switch (ws->state) {
	case WS_IDLE:
		return;
	case WS_CLOSING:
		/* a move to another server ends with this close instead */
		ws->switch_to = WS_NONE;
		return;
	case WS_OPEN:
		/* the queue drains first, then our Close frame */
		ws->state = WS_CLOSING;
		loop_timer_cancel(&ws->t_keepalive);
		loop_timer_cancel(&ws->t_pong);
		loop_timer_start(&ws->t_close, ws->loop, WS_CLOSE_WAIT_MS,
				 ws_close_timeout_cb, ws);
		if (ws->wsi)
			lws_callback_on_writable(ws->wsi);
		return;
	case WS_CONNECTING:
	case WS_WAITING:
		/* nothing worth a polite close: drop, report from the loop */
		ws->state = WS_CLOSING;
		ws_stop_timers(ws);
		ws_probe_drop(ws, true);
		ws_detach(ws, true);
		ws_queue_clear(ws);
		ws->attempt_ended = false;
		loop_timer_start(&ws->t_close, ws->loop, 0, ws_close_timeout_cb,
				 ws);
		return;
	}
}

static void ws_destroy(struct ws *ws)
{
	size_t i;

	ws_stop_timers(ws);
	ws_probe_drop(ws, true);
	ws_detach(ws, true);
	ws_queue_clear(ws);
	free(ws->rx);
	for (i = 0; ws->srv && i < ws->nsrv; i++) {
		free(ws->srv[i].url);
		free(ws->srv[i].host);
		free(ws->srv[i].path);
		free(ws->srv[i].host_header);
	}
	free(ws->srv);
	free(ws->weights);
	free(ws->failed);
	free(ws->origin);
	free(ws);
}

void ws_free(struct ws *ws)
{
	if (!ws)
		return;
	if (ws->busy) {
		/* inside one of our events: finish when the stack unwinds */
		ws->dead = true;
		ws_stop_timers(ws);
		ws_probe_drop(ws, true);
		ws_detach(ws, true);
		ws->state = WS_IDLE;
		return;
	}
	ws_destroy(ws);
}

bool ws_is_connected(const struct ws *ws)
{
	return ws && ws->state == WS_OPEN;
}

const char *ws_url(const struct ws *ws)
{
	if (!ws || ws->cur == WS_NONE || ws->cur >= ws->nsrv)
		return NULL;
	return ws->srv[ws->cur].url;
}
