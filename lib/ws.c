/* SIP over WebSocket (RFC 7118): server choice, failover and JsSIP-style
 * recovery, the write queue, RFC 5626 CRLF keepalives and WebSocket Pings,
 * and turning lws's failure strings into errno values. libwebsockets
 * carries the bytes only (a RAW client: TCP and TLS); the WebSocket
 * protocol itself is wsframe.c's, so that every frame is bounded and
 * checked here (lws 4.1's own client parser writes past its buffer when a
 * receive callback gives up in the middle of a frame). */
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

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "uri.h"
#include "loop-lws.h"
#include "wsframe.h"

#define WS_CLOSE_WAIT_MS 2000 /* for the server's Close after ours */
/* After a failure or the server's Close: our Close goes out, then the
 * server has this long to hang up before we do. */
#define WS_FAIL_WAIT_MS 500
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
	unsigned char buf[];
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
	char *tls_ca_file;    /* NULL: the system CAs */
	bool tls_insecure;
	SSL_CTX *tls_ctx;     /* made on the first wss:// connection */
	unsigned connect_timeout_ms;
	bool reconnect;
	unsigned reconnect_min_secs, reconnect_max_secs;
	unsigned keepalive_interval_ms, keepalive_timeout_ms;
	unsigned ping_interval_ms;
	size_t max_message;
	size_t max_queue;

	enum ws_state state;
	struct lws *wsi;
	bool attempt_ended;   /* the current attempt was already handled */
	unsigned attempts;    /* backoff rounds since the last connection */
	uint64_t last_rx_ms;  /* last bytes from the server */
	int pend_err;         /* our own reason for the close in progress */
	char pend_reason[200];
	char reason[240];     /* text of the last DISCONNECTED */

	struct loop_timer t_attempt, t_connect, t_retry, t_keepalive, t_pong,
		t_close, t_ping, t_room;
	bool room_wanted;     /* a ws_send was refused: tell when there is room */

	/* the connection in progress */
	bool transport_up;   /* TCP (and TLS) up: the upgrade is ours */
	SSL *ssl;            /* wss://: TLS over the raw connection */
	bool tls_done;       /* its handshake is complete */
	bool request_due;    /* the upgrade request is to be written */
	char key[WSFRAME_KEY_SIZE];
	char head[WSFRAME_HEAD_MAX];
	size_t head_len;
	struct wsframe_decoder dec;
	struct wsframe_masker masker;
	bool failing;        /* our Close is out or due; input is ignored */
	bool ping_due, ping_outstanding;
	uint64_t ping_sent_ms;
	unsigned char pong[WSFRAME_CONTROL_MAX];
	size_t pong_len;
	bool pong_due;
	unsigned char close_payload[WSFRAME_CONTROL_MAX];
	size_t close_len;
	bool close_due, close_sent;
	unsigned char *tx; /* LWS_PRE, then one encoded frame */
	size_t tx_cap;

	struct ws_msg *q_head, *q_tail;
	size_t q_count;

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
	ws->room_wanted = false;
	loop_timer_cancel(&ws->t_room);
}

static void ws_room_cb(void *arg)
{
	struct ws *ws = arg;
	struct ws_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = WS_EVENT_WRITABLE;
	ev.url = ws->srv[ws->cur].url;
	ws_enter(ws);
	ws_emit(ws, &ev);
	ws_leave(ws);
}

static int ws_queue_add(struct ws *ws, const char *p, size_t len, bool front)
{
	struct ws_msg *m = malloc(sizeof(*m) + len);

	if (!m)
		return ENOMEM;
	m->len = len;
	memcpy(m->buf, p, len);
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
	if (ws->ssl) {
		SSL_free(ws->ssl);
		ws->ssl = NULL;
	}
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
	loop_timer_cancel(&ws->t_ping);
	loop_timer_cancel(&ws->t_room);
}

static void ws_attempt_cb(void *arg);
static SSL_CTX *ws_tls_ctx(struct ws *ws);
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
	wsframe_decoder_reset(&ws->dec);

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
	if (ws->pend_err) {
		snprintf(reason, size, "%s", ws->pend_reason);
		return ws->pend_err;
	}
	if (!msg)
		msg = "";
	(void)wsi;
	/* the session holds OpenSSL's verdict */
	if (ws->ssl && !ws->tls_insecure) {
		long vr = SSL_get_verify_result(ws->ssl);

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
	if (ws_contains(msg, "getaddrinfo") || ws_contains(msg, "DNS") ||
	    ws_contains(msg, "dns")) {
		snprintf(reason, size, "cannot resolve %s",
			 ws->srv[ws->cur].host);
		return EHOSTUNREACH;
	}
	if (ws->state == WS_OPEN) {
		snprintf(reason, size, "connection lost");
		return ECONNRESET;
	}
	if (ws->transport_up) {
		/* TCP (and TLS) were up: the server hung up on the upgrade */
		snprintf(reason, size, "connection closed during the upgrade");
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

/* The server did not hang up after our Close (a failure, or the answer to
 * its own Close): we do. */
static void ws_fail_timeout_cb(void *arg)
{
	struct ws *ws = arg;

	ws_enter(ws);
	ws_ended(ws, ws->pend_err ? ws->pend_err : ECONNRESET,
		 ws->pend_err ? ws->pend_reason : "connection lost", true);
	ws_leave(ws);
}

/* WebSocket Ping after ping_interval_ms without a byte from the server;
 * hang up when nothing answers it for as long again. */
static void ws_ping_cb(void *arg)
{
	struct ws *ws = arg;
	uint64_t now = loop_now_ms(), next;

	ws_enter(ws);
	if (ws->state != WS_OPEN || ws->failing || !ws->wsi)
		goto out;
	if (ws->ping_outstanding &&
	    now - ws->ping_sent_ms + 50 >= ws->ping_interval_ms) {
		ws_ended(ws, ETIMEDOUT, "no answer to WebSocket pings", true);
		goto out;
	}
	if (!ws->ping_outstanding &&
	    now - ws->last_rx_ms + 50 >= ws->ping_interval_ms) {
		loop_log(ws->loop, LOOP_LOG_DEBUG, "%s: sending WebSocket Ping",
			 ws->srv[ws->cur].url);
		ws->ping_due = true;
		ws->ping_outstanding = true;
		ws->ping_sent_ms = now;
		lws_callback_on_writable(ws->wsi);
	}
	next = (ws->ping_outstanding ? ws->ping_sent_ms : ws->last_rx_ms) +
	       ws->ping_interval_ms;
	loop_timer_start(&ws->t_ping, ws->loop, next > now ? next - now : 1,
			 ws_ping_cb, ws);
out:
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
	ws->transport_up = false;
	ws->tls_done = false;
	ws->request_due = false;
	ws->head_len = 0;
	ws->failing = false;
	ws->ping_due = ws->ping_outstanding = false;
	ws->pong_due = false;
	ws->close_due = ws->close_sent = false;
	wsframe_decoder_reset(&ws->dec);

	memset(&ci, 0, sizeof(ci));
	ci.context = loop_lws_context(ws->loop);
	/* TLS is ours too (lws 4.1 cannot start it on a raw client): its
	 * trust settings come from the loop's TLS context */
	ci.vhost = loop_lws_vhost(ws->loop);
	if (!ci.vhost || (s->secure && !ws_tls_ctx(ws))) {
		ws_ended(ws, WS_ETLS, "cannot set up TLS", false);
		return;
	}
	ci.address = s->host;
	ci.port = (int)s->port;
	ci.path = s->path;
	ci.host = s->host_header;
	ci.method = "RAW"; /* the WebSocket protocol is ours */
	ci.local_protocol_name = LOOP_LWS_PROTOCOL;
	ci.opaque_user_data = &ws->lh;
	ci.pwsi = &ws->wsi;

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
	SSL *ssl = ws->ssl;
	X509 *cert;
	int ok;

	(void)wsi;
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

/* Writing: one frame per writeable callback, encoded into ws->tx. */

static int ws_tx_reserve(struct ws *ws, size_t len)
{
	size_t need = LWS_PRE + WSFRAME_HEADER_MAX + len;
	unsigned char *p;

	if (need <= ws->tx_cap)
		return 0;
	p = realloc(ws->tx, need);
	if (!p)
		return ENOMEM;
	ws->tx = p;
	ws->tx_cap = need;
	return 0;
}

/* lws keeps what the socket does not take at once and writes it before
 * the next writeable callback. */
static int ws_write_raw(struct ws *ws, struct lws *wsi, unsigned char *p,
			size_t len)
{
	int n = lws_write(wsi, p, len, LWS_WRITE_RAW);

	if (n < 0 || (size_t)n < len) {
		ws_set_pending(ws, ECONNRESET, "write failed");
		return -1;
	}
	return 0;
}

/* What OpenSSL has to send goes out on the raw connection. */
static int ws_tls_flush(struct ws *ws, struct lws *wsi)
{
	unsigned char buf[LWS_PRE + 16384];
	BIO *wbio = SSL_get_wbio(ws->ssl);
	int n;

	while (BIO_ctrl_pending(wbio) > 0) {
		n = BIO_read(wbio, buf + LWS_PRE, 16384);
		if (n <= 0)
			break;
		if (ws_write_raw(ws, wsi, buf + LWS_PRE, (size_t)n))
			return -1;
	}
	return 0;
}

static int ws_tx_raw(struct ws *ws, struct lws *wsi, size_t len)
{
	if (!ws->ssl)
		return ws_write_raw(ws, wsi, ws->tx + LWS_PRE, len);
	/* a memory BIO takes everything */
	if (len && SSL_write(ws->ssl, ws->tx + LWS_PRE, (int)len) != (int)len) {
		ws_set_pending(ws, WS_ETLS, "TLS write failed");
		return -1;
	}
	return ws_tls_flush(ws, wsi);
}

static int ws_tx_frame(struct ws *ws, struct lws *wsi, enum wsframe_opcode op,
		       const void *p, size_t len)
{
	unsigned char key[4];
	size_t n;

	if (ws_tx_reserve(ws, len)) {
		ws_set_pending(ws, ENOMEM, "out of memory");
		return -1;
	}
	wsframe_mask_key(&ws->masker, key);
	n = wsframe_encode(ws->tx + LWS_PRE, ws->tx_cap - LWS_PRE, op, p, len,
			   key);
	return ws_tx_raw(ws, wsi, n);
}

static int ws_send_request(struct ws *ws, struct lws *wsi)
{
	struct ws_srv *s = &ws->srv[ws->cur];
	size_t len = 0;
	int err;

	ws->request_due = false;
	err = wsframe_key_generate(ws->key);
	if (!err)
		err = ws_tx_reserve(ws, WSFRAME_HEAD_MAX);
	if (!err)
		err = wsframe_upgrade_request((char *)ws->tx + LWS_PRE,
					      ws->tx_cap - LWS_PRE, &len,
					      s->path, s->host_header,
					      ws->origin, ws->key);
	if (err) {
		ws_set_pending(ws, ENOMEM, "cannot build the upgrade request");
		return -1;
	}
	return ws_tx_raw(ws, wsi, len);
}

/* Our Close is next: no more keepalives, and h runs after wait_ms unless
 * the connection ended before. */
static void ws_close_after(struct ws *ws, uint64_t wait_ms, loop_timer_h *h)
{
	loop_timer_cancel(&ws->t_keepalive);
	loop_timer_cancel(&ws->t_pong);
	loop_timer_cancel(&ws->t_ping);
	loop_timer_start(&ws->t_close, ws->loop, wait_ms, h, ws);
	if (ws->wsi)
		lws_callback_on_writable(ws->wsi);
}

/* Our Close with code (0: none) goes out instead of anything else due,
 * input is ignored from now on, and the server has WS_FAIL_WAIT_MS to
 * hang up. */
static void ws_close_now(struct ws *ws, unsigned code)
{
	ws->close_len = code ? wsframe_close_payload(ws->close_payload, code,
						     NULL) : 0;
	ws->close_due = true;
	ws->failing = true;
	ws->pong_due = ws->ping_due = false;
	ws_close_after(ws, WS_FAIL_WAIT_MS, ws_fail_timeout_cb);
}

/* Fail the connection (RFC 6455 §7.1.7). */
static void ws_fail(struct ws *ws, int err, unsigned code, const char *reason)
{
	if (ws->failing)
		return;
	loop_log(ws->loop, LOOP_LOG_INFO, "%s: %s; closing with %u",
		 ws->srv[ws->cur].url, reason, code);
	ws_set_pending(ws, err, "%s", reason);
	ws_close_now(ws, code);
}

static int ws_writeable(struct ws *ws, struct lws *wsi)
{
	struct ws_msg *m;

	if (ws->request_due)
		return ws_send_request(ws, wsi);
	if (ws->state != WS_OPEN && ws->state != WS_CLOSING)
		return 0;
	if (ws->close_sent)
		return 0; /* nothing goes after a Close */
	if (ws->close_due) {
		ws->close_sent = true;
		return ws_tx_frame(ws, wsi, WSFRAME_CLOSE, ws->close_payload,
				   ws->close_len);
	}
	if (ws->pong_due) {
		ws->pong_due = false;
		if (ws_tx_frame(ws, wsi, WSFRAME_PONG, ws->pong, ws->pong_len))
			return -1;
	} else if (ws->ping_due) {
		ws->ping_due = false;
		if (ws_tx_frame(ws, wsi, WSFRAME_PING, NULL, 0))
			return -1;
	} else if ((m = ws->q_head) != NULL) {
		if (ws_tx_frame(ws, wsi, WSFRAME_TEXT, m->buf, m->len))
			return -1;
		loop_log(ws->loop, LOOP_LOG_DEBUG, "%s: sent %zu bytes",
			 ws->srv[ws->cur].url, m->len);
		ws->q_head = m->next;
		if (!ws->q_head)
			ws->q_tail = NULL;
		ws->q_count--;
		free(m);
		if (ws->room_wanted) {
			ws->room_wanted = false;
			loop_timer_start(&ws->t_room, ws->loop, 0, ws_room_cb,
					 ws);
		}
	} else if (ws->state == WS_CLOSING) {
		/* the queue is written: our Close, then await the server's */
		ws->close_len = wsframe_close_payload(
			ws->close_payload, WSFRAME_CLOSE_NORMAL, NULL);
		ws->close_due = true;
	}
	if (ws->pong_due || ws->ping_due || ws->q_head || ws->close_due)
		lws_callback_on_writable(wsi);
	return 0;
}

/* Reading */

static void ws_established(struct ws *ws)
{
	struct ws_srv *s = &ws->srv[ws->cur];
	struct ws_event ev;

	loop_timer_cancel(&ws->t_connect);
	ws->state = WS_OPEN;
	ws->attempts = 0;
	ws->last_rx_ms = loop_now_ms();
	if (ws->keepalive_interval_ms)
		loop_timer_start(&ws->t_keepalive, ws->loop,
				 ws->keepalive_interval_ms, ws_keepalive_cb, ws);
	if (ws->ping_interval_ms)
		loop_timer_start(&ws->t_ping, ws->loop, ws->ping_interval_ms,
				 ws_ping_cb, ws);
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

/* The server's Close: answer it, then wait for the server to hang up. */
static void ws_peer_closed(struct ws *ws, const struct wsframe_event *fe)
{
	char text[WSFRAME_CONTROL_MAX];
	size_t i;

	if (ws->state == WS_CLOSING) {
		/* the answer to ours: done */
		ws_ended(ws, 0, "closed", true);
		return;
	}
	/* the reason is the server's text: no control bytes in ours */
	for (i = 0; i < fe->len && i < sizeof(text) - 1; i++)
		text[i] = (unsigned char)fe->data[i] < 0x20 ||
				  fe->data[i] == 0x7f ? '?' : fe->data[i];
	text[i] = '\0';
	if (fe->close_code == WSFRAME_CLOSE_NO_STATUS)
		ws_set_pending(ws, ECONNRESET, "closed by the server");
	else
		ws_set_pending(ws, ECONNRESET, "closed by the server (%u%s%s)",
			       fe->close_code, i ? " " : "", text);
	ws_close_now(ws, fe->close_code == WSFRAME_CLOSE_NO_STATUS ?
				 0 : fe->close_code);
}

/* The decoder's events; non-zero stops decoding (the connection ended,
 * or the handler freed us). */
static int ws_frame_event(const struct wsframe_event *fe, void *arg)
{
	struct ws *ws = arg;

	switch (fe->type) {
	case WSFRAME_EVENT_MESSAGE:
		ws_message(ws, fe->data, fe->len, fe->binary);
		break;
	case WSFRAME_EVENT_PING:
		memcpy(ws->pong, fe->data, fe->len);
		ws->pong_len = fe->len;
		ws->pong_due = true;
		if (ws->wsi)
			lws_callback_on_writable(ws->wsi);
		break;
	case WSFRAME_EVENT_PONG:
		break;
	case WSFRAME_EVENT_CLOSE:
		ws_peer_closed(ws, fe);
		return 1;
	}
	return ws->dead || ws->attempt_ended || ws->failing;
}

static void ws_decode(struct ws *ws, const char *in, size_t len)
{
	char why[160], reason[200];
	int err;

	if (len == 0)
		return;
	err = wsframe_decode(&ws->dec, in, len, ws_frame_event, ws, why,
			     sizeof(why));
	if (err == 0 || err == ECANCELED)
		return;
	if (err == EMSGSIZE)
		snprintf(reason, sizeof(reason),
			 "message from the server over %zu bytes",
			 ws->max_message);
	else if (err == ENOMEM)
		snprintf(reason, sizeof(reason), "out of memory");
	else
		snprintf(reason, sizeof(reason),
			 "WebSocket protocol error: %s", why);
	ws_fail(ws, err, wsframe_decoder_close_code(&ws->dec), reason);
}

/* The upgrade response, then frames. */
static void ws_receive(struct ws *ws, const char *in, size_t len)
{
	char reason[200];
	size_t n, head_end = 0;
	int status, err;

	if ((ws->state == WS_OPEN || ws->state == WS_CLOSING) &&
	    !ws->failing) {
		/* closing: the server's answer to our Close ends it sooner */
		ws->last_rx_ms = loop_now_ms();
		ws->ping_outstanding = false;
		ws_decode(ws, in, len);
		return;
	}
	if (ws->state != WS_CONNECTING || !ws->transport_up)
		return; /* failing or closing: the rest is not looked at */
	n = sizeof(ws->head) - ws->head_len;
	if (n > len)
		n = len;
	memcpy(ws->head + ws->head_len, in, n);
	ws->head_len += n;
	err = wsframe_upgrade_response(ws->head, ws->head_len, ws->key,
				       &head_end, &status, reason,
				       sizeof(reason));
	if (err == EAGAIN)
		return;
	if (err) {
		ws_ended(ws, EPROTO, reason, true);
		return;
	}
	ws_established(ws);
	if (ws->dead || ws->attempt_ended || ws->state != WS_OPEN)
		return;
	/* frames that came with the head */
	ws_decode(ws, ws->head + head_end, ws->head_len - head_end);
	if (ws->dead || ws->attempt_ended || ws->state != WS_OPEN ||
	    ws->failing)
		return;
	ws_decode(ws, in + n, len - n);
}

/* TCP, and TLS for wss://, are up: the upgrade request goes next. */
static void ws_transport_up(struct ws *ws, struct lws *wsi)
{
	if (ws->transport_up)
		return;
	ws->transport_up = true;
	if (ws->srv[ws->cur].secure && !ws->tls_insecure &&
	    ws_check_peer_name(ws, wsi)) {
		ws_ended(ws, ws->pend_err, ws->pend_reason, true);
		return;
	}
	ws->request_due = true;
	lws_callback_on_writable(wsi);
}

/* lws 4.1 put the Host header's name in SNI even when it is an IP
 * literal, which RFC 6066 §3 forbids (and for "[::1]" sends "["): take
 * it out before the ClientHello is written. */
static void ws_tls_info(const SSL *ssl, int where, int ret)
{
	const char *name;
	unsigned char addr[16];

	(void)ret;
	if (!(where & SSL_CB_HANDSHAKE_START))
		return;
	name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	if (name && (name[0] == '[' || inet_pton(AF_INET, name, addr) == 1 ||
		     inet_pton(AF_INET6, name, addr) == 1))
		SSL_set_tlsext_host_name((SSL *)ssl, NULL);
}

/* The client SSL_CTX with our trust settings, made on first use (it costs
 * start-up time a ws:// run need not pay). The system CAs come from
 * OpenSSL's hashed directory (Debian's /etc/ssl/certs), read only for the
 * CAs a handshake needs, not from the whole bundle parsed at start-up;
 * SSL_CERT_FILE / SSL_CERT_DIR are honoured as OpenSSL does. */
static SSL_CTX *ws_tls_ctx(struct ws *ws)
{
	const char *dir, *file;
	SSL_CTX *ctx;

	if (ws->tls_ctx)
		return ws->tls_ctx;
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		loop_log(ws->loop, LOOP_LOG_ERROR, "cannot set up TLS");
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_info_callback(ctx, ws_tls_info);
	if (ws->tls_ca_file) {
		if (!SSL_CTX_load_verify_locations(ctx, ws->tls_ca_file, NULL))
			loop_log(ws->loop, LOOP_LOG_ERROR,
				 "%s: no usable CA certificate",
				 ws->tls_ca_file);
	} else {
		dir = getenv(X509_get_default_cert_dir_env());
		file = getenv(X509_get_default_cert_file_env());
		if (!dir)
			dir = X509_get_default_cert_dir();
		if (!SSL_CTX_load_verify_locations(ctx, file, dir))
			loop_log(ws->loop, LOOP_LOG_ERROR,
				 "cannot use the system CAs in %s", dir);
	}
	ERR_clear_error();
	ws->tls_ctx = ctx;
	return ctx;
}

/* TLS on the raw connection, through memory BIOs. */

static void ws_tls_failed(struct ws *ws)
{
	char reason[sizeof(ws->reason)], err[120];
	long vr = SSL_get_verify_result(ws->ssl);
	int e;

	if (vr != X509_V_OK && !ws->tls_insecure) {
		snprintf(reason, sizeof(reason), "certificate not trusted: %s",
			 X509_verify_cert_error_string(vr));
		e = WS_ETLS_VERIFY;
	} else {
		ERR_error_string_n(ERR_peek_last_error(), err, sizeof(err));
		snprintf(reason, sizeof(reason), "TLS handshake failed (%s)",
			 err);
		e = WS_ETLS;
	}
	ERR_clear_error();
	ws_ended(ws, e, reason, true);
}

static void ws_tls_start(struct ws *ws, struct lws *wsi)
{
	struct ws_srv *s = &ws->srv[ws->cur];
	BIO *rbio, *wbio;
	int r;

	if (ws->ssl)
		return;
	ws->ssl = SSL_new(ws->tls_ctx);
	rbio = BIO_new(BIO_s_mem());
	wbio = BIO_new(BIO_s_mem());
	if (!ws->ssl || !rbio || !wbio) {
		BIO_free(rbio);
		BIO_free(wbio);
		ws_ended(ws, WS_ETLS, "cannot set up TLS", true);
		return;
	}
	SSL_set_bio(ws->ssl, rbio, wbio);
	SSL_set_connect_state(ws->ssl);
	/* the name check is ws_check_peer_name's (IP SANs for literals) */
	SSL_set_verify(ws->ssl, ws->tls_insecure ?
				SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	/* SNI: a host name only, never an IP literal (RFC 6066 §3) */
	if (s->host_type != URI_HOST_IPV4 && s->host_type != URI_HOST_IPV6)
		SSL_set_tlsext_host_name(ws->ssl, s->host);
	r = SSL_do_handshake(ws->ssl);
	if (r <= 0 && SSL_get_error(ws->ssl, r) != SSL_ERROR_WANT_READ) {
		ws_tls_failed(ws);
		return;
	}
	if (ws_tls_flush(ws, wsi))
		ws_ended(ws, ws->pend_err, ws->pend_reason, true);
}

static bool ws_gone(struct ws *ws, struct lws *wsi)
{
	return ws->dead || ws->attempt_ended || ws->wsi != wsi || !ws->ssl;
}

static void ws_tls_receive(struct ws *ws, struct lws *wsi, const char *in,
			   size_t len)
{
	char buf[16384];
	int n;

	if (BIO_write(SSL_get_rbio(ws->ssl), in, (int)len) != (int)len) {
		ws_ended(ws, ENOMEM, "out of memory", true);
		return;
	}
	if (!ws->tls_done) {
		n = SSL_do_handshake(ws->ssl);
		if (ws_tls_flush(ws, wsi)) {
			ws_ended(ws, ws->pend_err, ws->pend_reason, true);
			return;
		}
		if (n <= 0) {
			if (SSL_get_error(ws->ssl, n) != SSL_ERROR_WANT_READ)
				ws_tls_failed(ws);
			return;
		}
		ws->tls_done = true;
		ws_transport_up(ws, wsi);
		if (ws_gone(ws, wsi))
			return;
	}
	for (;;) {
		n = SSL_read(ws->ssl, buf, sizeof(buf));
		if (n <= 0)
			break;
		ws_receive(ws, buf, (size_t)n);
		if (ws_gone(ws, wsi))
			return;
	}
	switch (SSL_get_error(ws->ssl, n)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_ZERO_RETURN: /* close_notify: the TCP close follows */
		ERR_clear_error();
		break;
	default:
		ERR_clear_error();
		ws_ended(ws, ECONNRESET, "TLS error on the connection", true);
	}
}

static int ws_lws_event(struct ws *ws, struct lws *wsi, int reason,
			void *in, size_t len)
{
	switch (reason) {
	case LWS_CALLBACK_RAW_CONNECTED:
	case LWS_CALLBACK_RAW_ADOPT:
		if (ws->srv[ws->cur].secure)
			ws_tls_start(ws, wsi);
		else
			ws_transport_up(ws, wsi);
		return 0;
	case LWS_CALLBACK_RAW_RX:
		if (ws->ssl)
			ws_tls_receive(ws, wsi, in, len);
		else if (!ws->srv[ws->cur].secure)
			ws_receive(ws, in, len);
		return 0;
	case LWS_CALLBACK_RAW_WRITEABLE:
		return ws_writeable(ws, wsi);
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		ws_connection_failed(ws, wsi, in, len);
		return 0;
	case LWS_CALLBACK_RAW_CLOSE:
	case LWS_CALLBACK_CLIENT_CLOSED:
	case LWS_CALLBACK_WSI_DESTROY:
		if (ws->state == WS_CLOSING)
			ws_ended(ws, 0, "closed", false);
		else
			ws_connection_failed(ws, wsi, NULL, 0);
		return 0;
	default:
		return 0;
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
	case WS_EVENT_WRITABLE:
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
	cfg.tls_ca_file = ws->tls_ca_file;
	cfg.tls_insecure = ws->tls_insecure;
	cfg.connect_timeout_ms = ws->connect_timeout_ms;
	err = ws_alloc(&ws->probe, ws->loop, &cfg, ws_probe_event, ws);
	if (!err && ws->tls_ctx && SSL_CTX_up_ref(ws->tls_ctx))
		ws->probe->tls_ctx = ws->tls_ctx; /* the same trust, shared */
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
	if (cfg->ping_interval_secs)
		ws->ping_interval_ms = (cfg->ping_interval_secs > 30000 ?
					30000 : cfg->ping_interval_secs) * 1000u;
	ws->max_message = cfg->max_message ? cfg->max_message : WS_MAX_MESSAGE;
	wsframe_decoder_init(&ws->dec, ws->max_message);
	wsframe_masker_init(&ws->masker);
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
	ws->tls_insecure = cfg->tls_insecure;
	if (cfg->tls_ca_file) {
		/* OpenSSL would only fail the first handshake: say it here */
		if (access(cfg->tls_ca_file, R_OK) < 0) {
			err = errno;
			loop_log(loop, LOOP_LOG_ERROR, "%s: %s", cfg->tls_ca_file,
				 strerror(err));
			goto out;
		}
		ws->tls_ca_file = strdup(cfg->tls_ca_file);
		if (!ws->tls_ca_file) {
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
	if (ws->q_count >= ws->max_queue) {
		ws->room_wanted = true;
		return ENOBUFS;
	}
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
		ws_close_after(ws, WS_CLOSE_WAIT_MS, ws_close_timeout_cb);
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
	wsframe_decoder_fini(&ws->dec);
	free(ws->tx);
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
	free(ws->tls_ca_file);
	SSL_CTX_free(ws->tls_ctx);
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
