/* The SIP-over-WebSocket client transport (RFC 7118): one connection to the
 * best of several weighted servers, failover and recovery with backoff,
 * moving back to a heavier server once it answers, RFC 5626 CRLF
 * keepalives, one SIP message per frame. */
#ifndef SIPWS_WS_H
#define SIPWS_WS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

struct ws;

/* The WebSocket protocol is wsframe.c's; libwebsockets only carries TCP
 * (and TLS runs over it through OpenSSL with the loop's trust settings).
 *
 * Reasons given with WS_EVENT_DISCONNECTED (errno values):
 *   ECONNREFUSED   nobody listening (TCP refused)
 *   EHOSTUNREACH   name resolution failed, or no route to the host
 *   ETIMEDOUT      connection (TCP + TLS + upgrade) not up within
 *                  connect_timeout_ms, or a CRLF keepalive or WebSocket
 *                  Pings went unanswered
 *   EPROTO         the upgrade was refused (HTTP status other than 101), or
 *                  the server did not accept the "sip" subprotocol
 *   WS_ETLS_VERIFY the server's certificate is not trusted (unknown CA,
 *                  expired, or not for this host): tools exit 77
 *   WS_ETLS        another TLS handshake failure: tools exit 77 too
 *   EMSGSIZE       a message from the server exceeded max_message:
 *                  "message from the server over N bytes" (our Close
 *                  says 1009, sent before any of its payload is kept)
 *   EBADMSG        the server broke RFC 6455 (a masked frame, reserved
 *                  bits, an unknown opcode, a bad control frame or
 *                  fragmentation, a 64-bit length with its top bit set, a
 *                  bad Close frame): "WebSocket protocol error: <what>",
 *                  our Close says 1002
 *   EILSEQ         a text message from the server is not UTF-8:
 *                  "WebSocket protocol error: text message not valid
 *                  UTF-8", our Close says 1007
 *                  After each of these three the server has 500 ms to
 *                  hang up after our Close before we do; tools exit 76.
 *   ECONNRESET     an established connection was lost (the server closed
 *                  it, or the TCP connection broke), or the server hung up
 *                  during the upgrade
 *   0              closed by ws_close(), or closed to move to a heavier
 *                  server that answered a probe (then retry is set and
 *                  retry_ms is 0)
 * The two TLS values are not errno meanings of their own: exitcode.c is to
 * map both to SIPWS_EXIT_TLS. */
#define WS_ETLS_VERIFY ENOKEY
#define WS_ETLS ECONNABORTED

/* Defaults for the zero values of struct ws_config. */
#define WS_CONNECT_TIMEOUT_MS 10000
#define WS_CONNECT_TIMEOUT_MAX_MS 100000 /* larger values are clamped */
#define WS_RECONNECT_MIN_SECS 2  /* as JsSIP */
#define WS_RECONNECT_MAX_SECS 30 /* as JsSIP */
#define WS_KEEPALIVE_TIMEOUT_MS 10000
#define WS_MAX_MESSAGE 65536
#define WS_MAX_QUEUE 64

struct ws_server {
	const char *url;  /* ws://host[:port][/path][?query] or wss:// */
	unsigned weight;  /* higher first; equal weights in random order */
};

struct ws_config {
	const struct ws_server *servers; /* copied by ws_alloc */
	size_t nservers;
	const char *origin;         /* Origin header, or NULL for none */
	/* TLS for wss:// servers (the transport's own SSL_CTX, made on the
	 * first wss:// connection). NULL tls_ca_file: the system CAs
	 * (OpenSSL's defaults; SSL_CERT_FILE / SSL_CERT_DIR honoured);
	 * otherwise that PEM file instead of them. tls_insecure accepts any
	 * certificate (untrusted CA, self-signed, expired, wrong name): for
	 * testing only. */
	const char *tls_ca_file;
	bool tls_insecure;
	unsigned connect_timeout_ms;
	/* Servers are tried highest weight first; a failed connection
	 * attempt moves on to the next server at once. A failed server is
	 * skipped until every server has failed (as JsSIP).
	 * false (one-off tools): each server once, then the final
	 * DISCONNECTED; a lost connection is final too.
	 * true: once every server failed, or a connection was lost, try
	 * again after a random backoff (ws_backoff_secs; the attempt count
	 * restarts on success), forever. A lost connection starts the next
	 * round from the highest weight again, as DNS SRV priorities do.
	 * Queued messages wait across attempts and are dropped with the
	 * final DISCONNECTED. */
	bool reconnect;
	unsigned reconnect_min_secs;
	unsigned reconnect_max_secs;
	/* With reconnect: while connected to a server that is not of the
	 * highest weight, every probe_interval_secs (0: never) try a
	 * connection of its own (TCP, TLS, upgrade) to the heavier servers,
	 * heaviest first, and close it at once. When one answers, the
	 * connection in use is closed politely (DISCONNECTED with err 0 and
	 * retry_ms 0, and no MESSAGE from it after that) and that server is
	 * connected to at once. A probe that
	 * fails is logged at LOOP_LOG_DEBUG only and tried again an interval
	 * later. */
	unsigned probe_interval_secs;
	/* RFC 5626 §4.4.1: send "\r\n\r\n" every keepalive_interval_ms (0: never)
	 * and drop the connection (ETIMEDOUT) when no "\r\n" answers it within
	 * keepalive_timeout_ms. The server's pings are always answered. */
	unsigned keepalive_interval_ms;
	unsigned keepalive_timeout_ms;
	/* WebSocket Ping after this many seconds without a byte from the
	 * server, and hang up (ETIMEDOUT) when nothing answers it for as
	 * long again (0: never). The server's Pings are always answered. */
	unsigned ping_interval_secs;
	size_t max_message; /* largest message received, reassembled */
	size_t max_queue;   /* messages waiting to be written */
};

enum ws_event_type {
	WS_EVENT_CONNECTED,
	WS_EVENT_MESSAGE,
	WS_EVENT_DISCONNECTED,
	/* The queue has room again after a ws_send refused with ENOBUFS
	 * (once per refusal streak, from the loop). */
	WS_EVENT_WRITABLE,
};

struct ws_event {
	enum ws_event_type type;
	const char *url;    /* the server concerned, as configured */
	/* MESSAGE: one whole message (text or binary frame), valid during the
	 * call only; not NUL-terminated. */
	const char *data;
	size_t len;
	bool binary;
	/* DISCONNECTED: one per failed attempt or lost connection */
	int err;            /* see the reasons above */
	const char *reason; /* short text, e.g. "connection refused" */
	bool retry;         /* another attempt is scheduled ... */
	uint64_t retry_ms;  /* ... in this many ms (0: now, next server) */
};

/* The handler may call ws_send, ws_close and ws_free (ws_free ends any
 * further use of the event). */
typedef void(ws_event_h)(const struct ws_event *ev, void *arg);

/* Validates every URL (an invalid one is logged with its reason at
 * LOOP_LOG_ERROR). Returns 0, EINVAL, ENOMEM, or the errno of access(2)
 * for an unreadable tls_ca_file. Nothing happens before ws_connect. */
int ws_alloc(struct ws **wsp, struct loop *loop, const struct ws_config *cfg,
	     ws_event_h *h, void *arg);
/* Start connecting (to the highest weight first); events follow from the
 * loop, never from inside this call. EALREADY when not idle. */
int ws_connect(struct ws *ws);
/* Queue one SIP message (one text frame). Allowed while connecting or
 * waiting to reconnect. Returns 0, EINVAL (empty), EMSGSIZE (longer than
 * max_message), ENOBUFS (queue full: WS_EVENT_WRITABLE tells when it
 * has room) or ENOTCONN (idle or closing). */
int ws_send(struct ws *ws, const char *p, size_t len);
/* Stop, and stop reconnecting. When open: the queue is written, then a
 * Close frame (the server's Close is awaited 2 s at most); otherwise the
 * queue is dropped. A DISCONNECTED event with err 0 follows from the loop
 * (none if the transport was idle already). */
void ws_close(struct ws *ws);
/* Drop the connection at once, without events. NULL is ignored. */
void ws_free(struct ws *ws);

bool ws_is_connected(const struct ws *ws);
/* URL of the server in use, being tried or to be tried next. */
const char *ws_url(const struct ws *ws);

/* The pieces below are pure functions, public for the tests. */

enum ws_frame_kind {
	WS_FRAME_MESSAGE, /* anything else: a SIP message */
	WS_FRAME_PING,    /* exactly "\r\n\r\n": answer "\r\n" */
	WS_FRAME_PONG,    /* exactly "\r\n": the answer to our ping */
	WS_FRAME_BLANK,   /* other CR/LF-only frames: ignored */
};
enum ws_frame_kind ws_frame_classify(const char *p, size_t len);

/* Which of n servers to try next: the highest weight among those not
 * failed (failed may be NULL), and among equal weights the one r (uniform
 * in [0, 1)) selects, each equally likely (as JsSIP). Returns n when every
 * server has failed (or n is 0). */
size_t ws_server_pick(const unsigned *weights, const bool *failed, size_t n,
		      double r);
/* True when no server weighs more than server cur: nothing to move back
 * to, no probe. */
bool ws_server_preferred(const unsigned *weights, size_t n, size_t cur);

/* JsSIP's recovery delay before attempt number `attempts` (1 = first
 * retry): k = floor(r * 2^attempts + 1) seconds with r uniform in [0, 1),
 * then clamped to [min_secs, max_secs]. */
unsigned ws_backoff_secs(unsigned attempts, unsigned min_secs,
			 unsigned max_secs, double r);

#endif
