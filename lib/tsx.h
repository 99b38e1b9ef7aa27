/* SIP transactions (RFC 3261 §17) over a
 * reliable transport: client and server, INVITE and non-INVITE, matching
 * by branch + sent-by + method, and their timers. The transport is a send
 * function given by the transaction user (the UA core in sip.c), so this
 * layer knows nothing of WebSockets. Random branches, tags and Call-IDs
 * are made here too.
 *
 * Over a reliable transport nothing is retransmitted: Timers A, E and G
 * never run, and Timers D, I, J and K are zero, so a transaction that
 * received (client) or sent (server) its final response ends at once,
 * except an INVITE server transaction that sent a non-2xx final, which
 * waits up to Timer H for the ACK (absorbing it). A 2xx to an INVITE ends
 * both sides at once as in RFC 3261 (not RFC 6026's Accepted state):
 * retransmitted 2xx responses and ACKs for a 2xx reach the UA core as
 * unmatched messages, which is where they belong (§13.3.1.4, §17.1.1.2).
 * The SIP core's own (private: not installed). */
#ifndef SIPWS_TSX_H
#define SIPWS_TSX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "sipmsg.h"
#include "span.h"

/* RFC 3261 §17.1.1.1 / Table 4. */
#define TSX_T1_MS 500u
#define TSX_T2_MS 4000u
#define TSX_T4_MS 5000u

/* "z9hG4bK" + TSX_BRANCH_RANDOM characters + NUL fits TSX_BRANCH_SIZE. */
#define TSX_BRANCH_COOKIE "z9hG4bK"
#define TSX_BRANCH_RANDOM 22      /* 128+ bits in [0-9a-z] */
#define TSX_BRANCH_SIZE 32
/* Tags and Call-IDs: characters of [0-9a-z] (tokens, RFC 3261 §25.1). */
#define TSX_TAG_CHARS 12          /* 62 bits: unique enough for a tag */
#define TSX_CALL_ID_CHARS 24      /* 124 bits */
#define TSX_TOKEN_SIZE 64         /* a buffer for any of the above */

/* Timer values in milliseconds. */
struct tsx_timers {
	unsigned t1;  /* RTT estimate, 500 */
	unsigned b;   /* INVITE client: no final response (64*T1) */
	unsigned f;   /* non-INVITE client: no final response (64*T1) */
	unsigned h;   /* INVITE server: wait for the ACK of a non-2xx (64*T1) */
	unsigned d;   /* INVITE client: Completed; 0 on reliable (>= 32 s else) */
	unsigned i;   /* INVITE server: Confirmed; 0 on reliable (T4 else) */
	unsigned j;   /* non-INVITE server: Completed; 0 on reliable (64*T1) */
	unsigned k;   /* non-INVITE client: Completed; 0 on reliable (T4) */
};

/* The RFC values for a transport: t1_ms 0 means TSX_T1_MS; timeout_ms
 * (0: 64*T1) sets B, F and H together, which tests shorten. With
 * reliable false the unreliable-transport values of D, I, J, K are given
 * (for completeness: this layer only runs over reliable transports). */
void tsx_timers_init(struct tsx_timers *t, unsigned t1_ms,
		     unsigned timeout_ms, bool reliable);

/* Random tokens from getrandom(2) (random.h), lowercase letters and digits
 * only. tsx_token_new writes nchars characters (and a NUL): ENOSPC if
 * size <= nchars, EIO when there is no randomness. tsx_branch_new writes
 * TSX_BRANCH_COOKIE + TSX_BRANCH_RANDOM characters into buf[size >=
 * TSX_BRANCH_SIZE]. */
int tsx_token_new(char *buf, size_t size, size_t nchars);
int tsx_branch_new(char *buf, size_t size);

/* What identifies a transaction (RFC 3261 §17.1.3 and §17.2.3). The
 * method is the request's, with ACK mapped to INVITE for server matching
 * (an ACK to a non-2xx belongs to the INVITE transaction). A branch
 * without the magic cookie (an RFC 2543 peer) is keyed, instead of the
 * branch, by the Call-ID, From tag, CSeq number and top Via in full
 * (a simplification of §17.2.3's rule that serves retransmission
 * absorption; ACK matching then also needs the To tag, which it gets
 * from the response we sent: see tsx_layer_request). Spans point into the
 * message. */
struct tsx_key {
	bool rfc3261;
	struct span branch;      /* top Via branch (rfc3261) */
	struct span host;        /* top Via sent-by host */
	unsigned port;           /* sent-by port, 0 when absent */
	struct span method;      /* "INVITE" for ACK when for_server */
	/* RFC 2543 fallback only: */
	struct span call_id;
	struct span from_tag;
	uint32_t cseq;
	struct span via;         /* the whole top Via value */
};

/* Key of a request as a server transaction sees it (ACK -> INVITE) or of
 * a response as a client transaction sees it (method from CSeq; sent-by
 * not compared, since the only Via a response brings back is ours).
 * Return 0, or EBADMSG when the needed headers are missing or malformed. */
int tsx_key_server(const struct sipmsg *req, struct tsx_key *key);
int tsx_key_client(const struct sipmsg *resp, struct tsx_key *key);
/* Equality: branch case-sensitive (RFC 3261 §17.2.3 compares it as a
 * token, and our own branches are lowercase), host case-insensitive,
 * port and method exact. Client keys (host null) ignore sent-by. */
bool tsx_key_equal(const struct tsx_key *a, const struct tsx_key *b);
/* A CANCEL's key as the key of the INVITE it cancels (§9.2: same branch,
 * sent-by; method INVITE). */
int tsx_key_cancel_target(const struct sipmsg *cancel, struct tsx_key *key);

/* ---- the transaction layer --------------------------------------------- */

struct tsx_layer;
struct tsx_client;
struct tsx_server;

/* Hands one whole encoded message to the transport; returns 0 or an
 * errno (the transaction then fails with it). */
typedef int(tsx_send_h)(const char *data, size_t len, void *arg);

int tsx_layer_alloc(struct tsx_layer **lp, struct loop *loop,
		    const struct tsx_timers *timers, tsx_send_h *send,
		    void *arg);
/* Frees every transaction without calling any handler. */
void tsx_layer_free(struct tsx_layer *l);
const struct tsx_timers *tsx_layer_timers(const struct tsx_layer *l);
size_t tsx_layer_client_count(const struct tsx_layer *l);
size_t tsx_layer_server_count(const struct tsx_layer *l);

/* Client transactions. The handler gets every response that matches
 * (final false for 1xx) and then, once, either the final response or an
 * error with resp NULL: ETIMEDOUT (Timer B or F), ECONNRESET
 * (tsx_layer_fail_all: the transport was lost) or the errno of a failed
 * send. After the final call the transaction is gone. For INVITE, a
 * 300-699 is acknowledged here (ACK with the INVITE's branch, §17.1.1.3);
 * a 2xx ends the transaction at once (its ACK is the UA core's). */
struct tsx_response_info {
	const struct sipmsg *resp;   /* NULL on error */
	int err;
	bool final;
};
typedef void(tsx_response_h)(struct tsx_client *t,
			     const struct tsx_response_info *info, void *arg);

/* Start a client transaction for req (its top Via must carry a
 * TSX_BRANCH_COOKIE branch unique to this request; CANCEL shares its
 * INVITE's branch and differs by method) and send data[0..len), the
 * encoding of req. req must stay valid and unchanged until the
 * transaction ends (it builds the ACK from it). Returns 0, EINVAL (no
 * usable branch), EEXIST (that branch and method are in use), ENOMEM or
 * the send error (nothing is left behind then). */
int tsx_client_start(struct tsx_client **tp, struct tsx_layer *l,
		     const struct sipmsg *req, const char *data, size_t len,
		     tsx_response_h *h, void *arg);
/* Forget a client transaction: no more handler calls; late responses are
 * dropped as unmatched. NULL is ignored. */
void tsx_client_abandon(struct tsx_client *t);
bool tsx_client_is_invite(const struct tsx_client *t);
/* Has a provisional response been received (a CANCEL may be sent)? */
bool tsx_client_proceeding(const struct tsx_client *t);

/* Pass a received response. Returns 0 when it matched a client
 * transaction (the handler ran), ENOENT when it matched none (a stray
 * response: the caller drops it, §18.1.2, except a 2xx to an INVITE,
 * which the UA core must ACK, §13.2.2.4), EBADMSG when it has no usable
 * Via/CSeq or more than one Via value (§18.1.2: discarded, also a 2xx). */
int tsx_layer_response(struct tsx_layer *l, const struct sipmsg *resp);

/* Server transactions. tsx_layer_request looks a received request up:
 *   0       a new server transaction was made (*tp), the TU must answer
 *           it with tsx_server_reply. Not for ACK.
 *   EALREADY it was a retransmission (the last response was sent again)
 *           or an ACK absorbed by an INVITE server transaction (§17.2.1:
 *           the ACK to a non-2xx final).
 *   ENOENT  an ACK that matches no transaction (an ACK for a 2xx): the
 *           TU handles it (and never answers it).
 *   EBADMSG no usable top Via; ENOMEM.
 * The transaction keeps msg (the TU hands over ownership on 0 only). */
int tsx_layer_request(struct tsx_layer *l, struct sipmsg *msg,
		      struct tsx_server **tp);
/* The INVITE server transaction a CANCEL targets, or NULL. */
struct tsx_server *tsx_layer_find_invite(struct tsx_layer *l,
					 const struct sipmsg *cancel);

/* Server transaction ends are told to its owner: ETIMEDOUT (Timer H ran
 * out without an ACK), 0 (ended normally: ACK received, final sent on a
 * non-INVITE, 2xx sent on an INVITE), ECONNRESET (tsx_layer_fail_all). The
 * transaction is freed after the call. Optional (NULL: nobody is told).
 * Ending with a final response sent by tsx_server_reply calls it too,
 * from inside tsx_server_reply. */
typedef void(tsx_server_end_h)(struct tsx_server *t, int err, void *arg);
void tsx_server_set_owner(struct tsx_server *t, tsx_server_end_h *h,
			  void *arg);
const struct sipmsg *tsx_server_request(const struct tsx_server *t);
bool tsx_server_is_invite(const struct tsx_server *t);
/* Final response already sent? */
bool tsx_server_completed(const struct tsx_server *t);
/* Status of the last response sent, 0 before any. */
unsigned tsx_server_status(const struct tsx_server *t);

/* Send a response (built from the transaction's request). A 1xx keeps the
 * transaction; a final one moves it on per §17.2 (and may end it and
 * free it before returning: do not use t after a final reply unless it
 * is an INVITE with a non-2xx, which waits for its ACK). Returns 0,
 * EALREADY (a final was already sent), EINVAL (status out of range) or
 * the send error. The response is not kept by the layer beyond what the
 * state machine needs (the last one of an INVITE). */
int tsx_server_reply(struct tsx_server *t, const struct sipmsg *resp);
/* Drop a server transaction without a response (and without telling its
 * owner). */
void tsx_server_abandon(struct tsx_server *t);

/* The transport was lost: every client transaction that sent something
 * fails with err (handler called), every server transaction ends (owner
 * told). Handlers may start new transactions: those are not failed. */
void tsx_layer_fail_all(struct tsx_layer *l, int err);

#endif
