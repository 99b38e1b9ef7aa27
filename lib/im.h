/* Sending instant messages (RFC 3428 MESSAGE) on the UA core, pipelined:
 * many MESSAGEs in flight on one connection, each its own transaction,
 * sent in the order they were submitted, with a bounded window.
 *
 * Identity: one Call-ID and one From tag per im object, CSeq increasing
 * by one per transmission (an authentication retry takes the next
 * number). RFC 3428 §7 lets a UAC keep the Call-ID for a series of
 * MESSAGEs; Kamailio matches transactions by branch (each MESSAGE has
 * its own) and its auth module, with the default nonce settings, accepts
 * a nonce again with a growing nc, so one Call-ID is what it expects.
 *
 * Authentication: the first MESSAGE is sent alone; once its final
 * response is in (after the one 407 challenge it may take), the window
 * opens and the others go with Proxy-Authorization upfront, reusing the
 * nonce with an increasing nonce count: a run takes one challenge. A
 * later challenge (nonce expired: stale=true) is answered per message by
 * the core.
 *
 * Results come in the order the final responses arrive, which over one
 * connection is normally the order of submission. */
#ifndef SIPWS_IM_H
#define SIPWS_IM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip.h"

#define IM_DEFAULT_WINDOW 64
#define IM_MAX_WINDOW 4096
#define IM_DEFAULT_CONTENT_TYPE "text/plain;charset=UTF-8"

struct im;

struct im_config {
	unsigned window;             /* MESSAGEs in flight; 0: IM_DEFAULT_WINDOW */
	/* Content-Type when a message gives none; NULL: the default above. */
	const char *content_type;
};

/* One MESSAGE. Everything is copied by im_send. */
struct im_message {
	const char *to;              /* target SIP URI (Request-URI and To) */
	const char *content_type;    /* NULL: the im default */
	const void *body;            /* byte-exact, may be empty (NULL, 0) */
	size_t len;
	const char *const *headers;  /* extra "Name: value" lines, NULL-terminated */
};

/* The outcome of one MESSAGE (sip_response's meaning of err). */
struct im_result {
	uint64_t id;                 /* im_send's id: 1, 2, 3... in order */
	int err;                     /* 0: a final response (status) arrived */
	unsigned status;
	const char *reason;          /* phrase or error text, never NULL */
	uint64_t latency_us;         /* first transmission to final response */
	unsigned challenges;         /* 401/407 answered for this one */
	const struct sipmsg *response; /* NULL without one; valid during the call */
};
typedef void(im_result_h)(const struct im_result *res, void *arg);

/* EINVAL for a window above IM_MAX_WINDOW or a bad content type. */
int im_alloc(struct im **ip, struct sip *sip, const struct im_config *cfg,
	     im_result_h *h, void *arg);
/* Pending and queued messages are dropped without result calls. NULL is
 * ignored. */
void im_free(struct im *im);

/* Queue a MESSAGE; it is sent from the loop (never from inside this
 * call) as soon as the window allows. *idp (may be NULL)
 * gets its id. EINVAL (no target, not a sip:/sips: URI, a bad content
 * type), E2BIG (too many header lines), ENOMEM; a header line the
 * message cannot take fails that message's result with EINVAL. The
 * result handler is called exactly once per accepted message (unless
 * im_free comes first). */
int im_send(struct im *im, const struct im_message *m, uint64_t *idp);

/* Messages queued or in flight. */
size_t im_pending(const struct im *im);
/* In flight only. */
size_t im_in_flight(const struct im *im);

#endif
