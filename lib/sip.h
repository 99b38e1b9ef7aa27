/* The SIP user-agent core (RFC 3261 §8, §12.2.2, RFC 7118, RFC 5626): one
 * account on one WebSocket transport. It builds and sends out-of-dialog
 * requests through client transactions (tsx.h), answers digest challenges
 * with the configured credentials, and serves incoming requests: OPTIONS,
 * MESSAGE (RFC 3428) and ringing INVITEs with CANCEL; everything else gets
 * the error response RFC 3261 asks for. Registration (reg.h) and message
 * sending (im.h) are built on it.
 *
 * Everything runs on the loop (loop.h); handlers are called from it. A
 * handler may send requests, reject calls, abandon requests, call
 * loop_stop; it must not call sip_free (stop the loop, free afterwards).
 *
 * Identity on the wire (RFC 7118 §5): Via "SIP/2.0/WS" (or WSS for a wss://
 * server) with a random "<10 chars>.invalid" sent-by, ";rport" and a
 * random z9hG4bK branch; Contact <sip:RANDOM@RANDOM.invalid;transport=ws>,
 * plus ";ob" in the URI when an instance id is configured (RFC 5626 §5.4).
 * Random values come from getrandom(2) (random.h). */
#ifndef SIPWS_SIP_H
#define SIPWS_SIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "loop.h"
#include "sipmsg.h"
#include "span.h"
#include "ws.h"

struct sip;
struct sip_request;
struct sip_call;

/* Extra header lines: at most this many per request (config + call). */
#define SIP_MAX_EXTRA_HEADERS 32
/* Transport watchers (sip_transport_watch). */
#define SIP_MAX_WATCHERS 8
/* Methods we serve, for Allow. */
#define SIP_ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE"
/* Option tags we understand (Supported; Require with others gets 420). */
#define SIP_SUPPORTED "outbound, gruu"

struct sip_config {
	/* The account: its address-of-record (required, sip: or sips:),
	 * used in From (and in To of REGISTER). */
	const char *uri;
	const char *display_name;    /* NULL: none */
	/* Digest credentials. auth_user NULL: the user part of uri. Either
	 * password, or ha1 (hex of H(user:realm:password)) with
	 * ha1_algorithm and realm; neither: no credentials (a challenge then
	 * fails the request with EPERM). realm NULL: answer the first realm
	 * that challenges us (and only that one). */
	const char *auth_user;
	const char *password;
	const char *ha1;
	enum digest_algorithm ha1_algorithm;
	const char *realm;
	/* "Name: value" lines added to every out-of-dialog request we send
	 * (NULL-terminated; NULL for none). Checked by sip_alloc (EINVAL for
	 * a malformed line or a header the core owns: Via, From, To,
	 * Call-ID, CSeq, Content-Length, Max-Forwards). */
	const char *const *extra_headers;
	/* NULL: "sipws/" SIPWS_VERSION; "": no User-Agent header. */
	const char *user_agent;
	/* RFC 5626 instance id: a bare UUID (as sip_instance_id_load gives)
	 * or "urn:uuid:..."; NULL: no outbound (no ;ob, no +sip.instance). */
	const char *instance_id;
	/* Transaction timers: T1 (0: 500 ms) and the request timeout, Timer
	 * B/F/H (0: 64*T1 = 32 s); tests shorten the latter. */
	unsigned t1_ms;
	unsigned timeout_ms;
	/* The transport; servers and the other settings are copied. The
	 * core sets no field itself: choose reconnect (true for long-running
	 * tools, to re-register after a loss) and a max_queue of at least
	 * the IM window + 16 for the fastest pipelining (smaller works: the
	 * core keeps what does not fit and sends it as the queue drains). */
	struct ws_config ws;
};

/* ---- transport events --------------------------------------------------- */

enum sip_transport_event_type {
	SIP_TRANSPORT_CONNECTED,
	/* The connection went down or could not be made. retry: the ws layer
	 * tries again in retry_ms (reconnect configured); else the core is
	 * down for good (sip_start again to retry). Every request in flight
	 * failed with ECONNRESET before this event (and ringing calls ended);
	 * without retry, the requests still waiting for the transport fail
	 * with ECONNRESET right after it. */
	SIP_TRANSPORT_DISCONNECTED,
};

struct sip_transport_event {
	enum sip_transport_event_type type;
	const char *url;      /* server concerned */
	int err;              /* DISCONNECTED: ws.h reasons (WS_ETLS_VERIFY...) */
	const char *reason;   /* short text */
	bool retry;
	uint64_t retry_ms;
};
typedef void(sip_transport_h)(const struct sip_transport_event *ev,
			      void *arg);

/* ---- incoming MESSAGE ------------------------------------------------- */

/* Spans point into the request, valid during the handler call only. */
struct sip_incoming_message {
	const struct sipmsg *msg;
	struct span from;          /* From value as received (with params) */
	struct span from_uri;      /* the URI inside it */
	struct span from_display;  /* display name, still quoted/escaped; null if none */
	struct span to;
	struct span to_uri;
	struct span call_id;
	struct span content_type;  /* Content-Type value; null if none */
	struct span body;          /* byte-exact, may be empty */
};
/* Returns the status to answer, 200..699, or 0 for 200 OK. */
typedef unsigned(sip_message_h)(const struct sip_incoming_message *m,
				void *arg);

/* ---- incoming calls ----------------------------------------------------- */

enum sip_call_event_type {
	/* An INVITE arrived, was checked, got 100 Trying and 180 Ringing:
	 * the call rings until the caller cancels it or the application
	 * rejects it (sip_call_reject, also allowed inside this handler). */
	SIP_CALL_INCOMING,
	/* The ringing is over (rejected, cancelled, or answered with
	 * sip_call_answer: the dialog is then the answerer's); the handle is
	 * freed after this call. */
	SIP_CALL_ENDED,
};

/* Why a call ended (SIP_CALL_ENDED). */
enum sip_call_end {
	SIP_CALL_END_CANCELLED,      /* CANCEL from the caller */
	SIP_CALL_END_ELSEWHERE,      /* CANCEL with Reason: SIP;cause=200 */
	SIP_CALL_END_REJECTED,       /* sip_call_reject */
	SIP_CALL_END_TRANSPORT,      /* the WebSocket was lost */
	SIP_CALL_END_SHUTDOWN,       /* sip_free or sip_stop */
	SIP_CALL_END_ANSWERED,       /* sip_call_answer: a 2xx was sent */
};
/* "cancelled", "answered elsewhere", "rejected", "transport lost",
 * "shutdown", "answered". */
const char *sip_call_end_name(enum sip_call_end end);

struct sip_call_event {
	enum sip_call_event_type type;
	struct sip_call *call;
	/* From the INVITE (valid during the call, both events). */
	const struct sipmsg *invite;
	struct span from, from_uri, from_display;
	struct span to, to_uri;
	struct span call_id;
	/* ENDED: */
	enum sip_call_end end;
	unsigned status;           /* final status we sent (487, the reject code) */
	const struct sipmsg *cause; /* the CANCEL that ended it, else NULL */
};
typedef void(sip_call_h)(const struct sip_call_event *ev, void *arg);

/* Reject a ringing call with a final status 300..699 (reason NULL: the
 * standard phrase). SIP_CALL_ENDED follows from the loop, not from inside
 * this call. EALREADY when the call already has a final response,
 * EINVAL for a bad status. */
int sip_call_reject(struct sip_call *call, unsigned status,
		    const char *reason);
/* Answer a ringing call: a 200 with the call's To tag, our Contact,
 * extra header lines (NULL-terminated, may be NULL) and the body (the
 * SDP answer). From then on the dialog belongs to the caller of this
 * function (the ACK, BYE and re-INVITEs come to the dialog handler);
 * SIP_CALL_ENDED (SIP_CALL_END_ANSWERED) follows from the loop. EALREADY,
 * EINVAL (a body without content type), ENOMEM, ENOTCONN. */
int sip_call_answer(struct sip_call *call, const char *const *headers,
		    const char *content_type, const void *body,
		    size_t body_len);
/* The INVITE's Call-ID (NUL-terminated copy kept by the call). */
const char *sip_call_call_id(const struct sip_call *call);
/* The tag our responses to the INVITE put into To. */
const char *sip_call_to_tag(const struct sip_call *call);
/* The Contact value our 1xx and 2xx carry ("<sip:...;transport=ws>"). */
const char *sip_contact_value(const struct sip *sip, char *buf, size_t size);

/* ---- dialogs (call.h plugs in here) ------------------------------------ */

/* An incoming request waiting for its final response. */
struct sip_server;

/* A message for the dialogs: a request with a To tag (srv set: answer it
 * with sip_server_respond, now or later), an ACK that matched no
 * transaction (the ACK of a 2xx; srv NULL), or a 2xx to an INVITE that
 * matched no client transaction (retransmitted or forked; srv NULL).
 * Return true when a dialog took it; false: the core does what it does
 * without a dialog handler (481, the ACK dropped, the 2xx ACKed and hung
 * up). msg is valid during the call. */
typedef bool(sip_dialog_h)(struct sip_server *srv, const struct sipmsg *msg,
			   void *arg);
/* With a dialog handler, the 2xx to an INVITE sent with sip_request_send
 * is the request handler's to acknowledge (sip_send) and no longer ACKed
 * and hung up by the core; the methods of SIP_ALLOW_DIALOG are served. */
void sip_set_dialog_handler(struct sip *sip, sip_dialog_h *h, void *arg);
#define SIP_ALLOW_DIALOG SIP_ALLOW ", INFO, UPDATE"

/* Answer srv (ownership of resp passes, also on error); a final response
 * ends srv. ENOTCONN when its transaction is gone. */
int sip_server_respond(struct sip_server *srv, struct sipmsg *resp);
/* The request (valid until the final response). */
const struct sipmsg *sip_server_request(const struct sip_server *srv);
/* The transaction ended without a final response from us (the
 * transport was lost, sip_stop): h is called and srv is freed after. */
typedef void(sip_server_end_h)(struct sip_server *srv, void *arg);
void sip_server_watch(struct sip_server *srv, sip_server_end_h *h,
		      void *arg);
/* A response to req: status, reason (NULL: the standard phrase), the To
 * tag (NULL: req's, or a new one when req has none), Server header. */
int sip_response_new(struct sip *sip, const struct sipmsg *req,
		     unsigned status, const char *reason, const char *to_tag,
		     struct sipmsg **respp);
/* Send msg as it is, without a transaction (the ACK of a 2xx). */
int sip_send(struct sip *sip, const struct sipmsg *msg);
/* The Via our requests start with, without branch: "SIP/2.0/WSS
 * x.invalid;rport" (buf of 64 bytes is enough). */
const char *sip_via_prefix(const struct sip *sip, char *buf, size_t size);
/* Is the connection wss:// (DIALOG_SECURE_TRANSPORT)? */
bool sip_is_secure(const struct sip *sip);

/* ---- outgoing requests -------------------------------------------------- */

/* What an out-of-dialog request is made of; only method and request_uri
 * are required. Strings are copied by sip_request_new. */
struct sip_request_spec {
	const char *method;          /* "MESSAGE", "REGISTER", "OPTIONS"... */
	const char *request_uri;     /* a SIP or SIPS URI */
	const char *to;              /* To value without tag; NULL: <request_uri> */
	const char *from_tag;        /* NULL: new random tag */
	const char *call_id;         /* NULL: new random Call-ID */
	uint32_t cseq;               /* 0: 1 */
	bool contact;                /* add our Contact (without instance params) */
	const char *const *headers;  /* more "Name: value" lines, NULL-terminated */
	const char *content_type;    /* required with a non-empty body */
	const void *body;
	size_t body_len;
};

/* Build a request: Request-URI, Via (placeholder branch, replaced at each
 * send), Max-Forwards 70, To, From (account, display name, tag), Call-ID,
 * CSeq, the configured extra headers, User-Agent, spec->headers, Contact
 * when asked, body. The caller may add or set headers before sending.
 * Returns 0, EINVAL (a bad method, URI or header line), ENOMEM. */
int sip_request_new(struct sip *sip, const struct sip_request_spec *spec,
		    struct sipmsg **msgp);

/* The result of a request. Handlers get every provisional response above
 * 100 (final false), then exactly one final call: a final response
 * (err 0), or an error:
 *   EKEYREJECTED  the credentials were refused (a second non-stale
 *                 challenge after our answer); status/msg: the 401/407
 *   EPERM         challenged but no usable credentials (none configured,
 *                 another realm, an HA1 for another algorithm); ditto.
 *                 (Not ENOKEY: ws.h uses that for WS_ETLS_VERIFY.)
 *   ETIMEDOUT     no final response within the timeout (Timer B/F,
 *                 counted from sip_request_send, waiting for the
 *                 transport included); status 408 (RFC 3261 §8.1.3.1)
 *   ECONNRESET    the transport was lost with the request in flight, or
 *                 went down for good (no reconnect) before it could be
 *                 sent; the SIP_TRANSPORT_DISCONNECTED event that follows
 *                 carries the transport's reason (ECONNREFUSED,
 *                 WS_ETLS_VERIFY...)
 *   ECANCELED     sip_free / sip_stop with the request pending
 *   others        from building or sending the request (ENOMEM...).
 * After the final call the request handle is invalid. */
struct sip_response {
	int err;
	unsigned status;             /* 0 when no response (and not 408) */
	const char *reason;          /* phrase (up to 127 bytes) or error
				      * text, never NULL */
	const struct sipmsg *msg;    /* NULL without a response */
	bool final;
	uint32_t cseq;               /* CSeq number of the last attempt */
	uint64_t latency_us;         /* from the first transmission */
	unsigned challenges;         /* 401/407 answered for this request */
};
typedef void(sip_response_h)(struct sip_request *req,
			     const struct sip_response *resp, void *arg);

/* Send a request built by sip_request_new (ownership of msg passes to the
 * core, also on error). A 2xx to an INVITE is acknowledged by the core
 * and, until calls with media exist, hung up at once with a BYE; the
 * handler still gets the 2xx as the final response. Each attempt gets a new Via branch; a 401/407 is
 * answered once with the credentials (Authorization or
 * Proxy-Authorization, CSeq + 1), and credentials already confirmed for
 * the realm are sent upfront with the next nonce count, so a stream of
 * requests takes one challenge. While the transport is down the request
 * waits for it (within the timeout). Returns 0 with *reqp (may be NULL)
 * set, or EINVAL, ENOMEM, ENOTCONN (sip_start not called, or stopped);
 * the handler is only called after a 0 return, never from inside. */
int sip_request_send(struct sip *sip, struct sipmsg *msg, sip_response_h *h,
		     void *arg, struct sip_request **reqp);

/* Stop caring about a request: no more handler calls. A non-INVITE is
 * forgotten (its transaction too); an INVITE that got a provisional
 * response is cancelled first (as sip_request_cancel, the final response
 * then ignored). */
void sip_request_abandon(struct sip_request *req);

/* CANCEL a pending INVITE (RFC 3261 §9.1): sent once a provisional
 * response has arrived (at once if one has). An INVITE still waiting for
 * the transport was never sent: it ends at once with ECANCELED (its
 * handler is called from inside this call). reason_header, when not
 * NULL, is a Reason value (RFC 3326), e.g. "SIP;cause=200;text=\"Call
 * completed elsewhere\"". The INVITE's own final response (487 normally)
 * comes through its handler. EINVAL for a non-INVITE, EALREADY when
 * already cancelled or completed. */
int sip_request_cancel(struct sip_request *req, const char *reason_header);

/* The request as last sent (CSeq, Call-ID, tags...). */
const struct sipmsg *sip_request_msg(const struct sip_request *req);

/* ---- the core ----------------------------------------------------------- */

/* Validates the configuration (EINVAL: no or a bad account URI, a bad
 * extra header, no server; E2BIG: the account URI is longer than
 * URI_MAX_LEN, or the From header it makes with the display name would
 * be longer than SIPMSG_MAX_LINE) and makes the transport; nothing is
 * sent before sip_start. ENOMEM, EIO (no randomness). */
int sip_alloc(struct sip **sp, struct loop *loop, const struct sip_config *cfg);
/* Pending requests are dropped without handler calls, ringing calls are
 * left (no response), the transport is dropped. NULL is ignored. */
void sip_free(struct sip *sip);

/* Connect the transport (ws_connect). Requests may be sent right after:
 * they wait for the connection. EALREADY when started. */
int sip_start(struct sip *sip);
/* Fail pending requests (ECANCELED) and end ringing calls with 480 and
 * SIP_CALL_END_SHUTDOWN, then close the transport politely; a
 * SIP_TRANSPORT_DISCONNECTED (err 0) follows. */
void sip_stop(struct sip *sip);
bool sip_is_connected(const struct sip *sip);

/* Handlers for incoming requests. Without a message handler, MESSAGE is
 * answered 200 and dropped; without a call handler, INVITE gets 480. */
void sip_set_message_handler(struct sip *sip, sip_message_h *h, void *arg);
void sip_set_call_handler(struct sip *sip, sip_call_h *h, void *arg);

/* The GRUUs the registrar gave our contact (RFC 5627; NULL: none), set
 * by reg.c. Incoming requests must be for us (RFC 3261 §8.2.2.1, as
 * JsSIP decides): a Request-URI whose user part (compared after
 * %-unescaping) is not that of the account, of our Contact or of one of
 * these GRUUs gets 404 Not Found; a sips: Request-URI on a ws://
 * connection gets 416 Unsupported URI Scheme. ENOMEM (the old ones are
 * kept then). */
int sip_set_gruus(struct sip *sip, const char *pub_gruu, const char *temp_gruu);

/* Several modules follow the transport (the tool, reg.c): up to
 * SIP_MAX_WATCHERS handlers, called in the order they were added. ENOSPC
 * when full; unwatch with the same pair (ENOENT if absent). */
int sip_transport_watch(struct sip *sip, sip_transport_h *h, void *arg);
int sip_transport_unwatch(struct sip *sip, sip_transport_h *h, void *arg);

/* Every message sent (out true) or received, as bytes on the wire, for
 * the tools' -vv trace. */
typedef void(sip_trace_h)(bool out, const char *data, size_t len, void *arg);
void sip_set_trace(struct sip *sip, sip_trace_h *h, void *arg);

/* Counters for tests and benchmarks. */
struct sip_stats {
	uint64_t requests_sent;      /* request transmissions, retries included */
	uint64_t challenges;         /* 401/407 received */
	uint64_t responses_received;
	uint64_t requests_received;
	uint64_t responses_sent;
	uint64_t dropped;            /* undecodable or stray messages */
	uint64_t backlog_max;        /* most messages waiting for the ws queue */
};
void sip_stats_get(const struct sip *sip, struct sip_stats *st);

/* Accessors. */
struct loop *sip_loop(const struct sip *sip);
/* The account AoR as configured. */
const char *sip_account(const struct sip *sip);
/* Our Contact URI, e.g. "sip:k2j4h5@x8f3a2.invalid;transport=ws;ob". */
const char *sip_contact_uri(const struct sip *sip);
/* The instance id as "<urn:uuid:...>" (quoted form for +sip.instance
 * without the quotes), or NULL without outbound. */
const char *sip_instance_urn(const struct sip *sip);
/* The server URL in use. */
const char *sip_server_url(const struct sip *sip);
struct tsx_timers;
const struct tsx_timers *sip_timers(const struct sip *sip);

/* ---- helpers ------------------------------------------------------------ */

/* The RFC 5626 instance id of a profile: read from
 * "<state_dir>/<profile>/instance-id" (one UUID line), or made (UUID v4
 * from getrandom(2), lowercase) and written there, creating the
 * directories (mode 0700) as needed. state_dir is the tool's state
 * directory, e.g. "$XDG_STATE_HOME/sipws"; profile NULL or "" means
 * "default". buf gets the bare UUID (36 characters + NUL). Returns 0,
 * EINVAL (bad profile name: empty after "/" or ".", or holding '/'),
 * ENOSPC (buf below 37 bytes), EBADMSG (the file holds no UUID), EIO (no
 * randomness) or the errno of a failed file operation. */
int sip_instance_id_load(const char *state_dir, const char *profile,
			 char *buf, size_t size);

/* Is text a UUID (8-4-4-4-12 hex digits)? */
bool sip_uuid_valid(const char *text, size_t len);

#endif
