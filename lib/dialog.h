/* SIP dialogs (RFC 3261 §12): the state a UAC or UAS keeps for one dialog
 * (Call-ID, tags, CSeq numbers, route set, remote target), matching of
 * incoming messages, and building the requests sent inside it, plus the
 * one header-copy helper for requests derived from an INVITE we sent
 * (CANCEL §9.1, ACK for a non-2xx §17.1.1.3). Pure: no sockets, no timers.
 *
 * Strings handed in are copied; strings handed out stay valid until the
 * dialog is freed or the next call that changes that field. */
#ifndef SIPWS_DIALOG_H
#define SIPWS_DIALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipmsg.h"
#include "span.h"

#define DIALOG_MAX_ROUTES 16      /* route set entries kept (E2BIG above) */

/* Flags of dialog_alloc_uac / dialog_alloc_uas. */
#define DIALOG_SECURE_TRANSPORT 0x1u /* the INVITE went over TLS (WSS) */

enum dialog_state {
	DIALOG_EARLY,      /* made by a 101..199 with a To tag */
	DIALOG_CONFIRMED,  /* made or confirmed by a 2xx */
	DIALOG_TERMINATED
};

struct dialog;

/* UAC (§12.1.2): req is the INVITE as we sent it, resp a 101..199 with a
 * To tag (early dialog) or a 2xx (confirmed). Route set = Record-Route of
 * resp reversed; remote target = its Contact (required for a 2xx: EBADMSG
 * without; an early dialog without one keeps req's Request-URI); local
 * CSeq = req's. EPROTO when resp has no To tag or is 100/>= 300, EBADMSG
 * for malformed headers, E2BIG past DIALOG_MAX_ROUTES, ENOMEM. */
int dialog_alloc_uac(struct dialog **dp, const struct sipmsg *req,
		     const struct sipmsg *resp, unsigned flags);
/* UAS (§12.1.1): req is the received INVITE (no To tag: EPROTO),
 * local_tag the tag our responses put into To (NULL: a random one),
 * local_contact the Contact value our 1xx/2xx carry (may be NULL: then no
 * Contact in our target-refresh requests). Route set = Record-Route in
 * order; remote target = req's Contact (EBADMSG without). Early state. */
int dialog_alloc_uas(struct dialog **dp, const struct sipmsg *req,
		     const char *local_tag, const char *local_contact,
		     unsigned flags);
void dialog_free(struct dialog *d);

/* The Contact value our own requests carry (UAC: copied from the INVITE
 * by dialog_alloc_uac). NULL removes it. */
int dialog_local_contact_set(struct dialog *d, const char *contact);

enum dialog_state dialog_state(const struct dialog *d);
/* UAS: the 2xx was sent; UAC: dialog_response_receive does it. */
void dialog_confirm(struct dialog *d);
void dialog_terminate(struct dialog *d);
bool dialog_is_uac(const struct dialog *d);
bool dialog_secure(const struct dialog *d);
const char *dialog_call_id(const struct dialog *d);
const char *dialog_local_tag(const struct dialog *d);
const char *dialog_remote_tag(const struct dialog *d);
const char *dialog_remote_target(const struct dialog *d);
/* The route set in the order our requests use; index past the end: NULL. */
size_t dialog_route_count(const struct dialog *d);
const char *dialog_route_at(const struct dialog *d, size_t index);
/* 0 while empty (a UAS that has sent nothing, a UAC that got nothing). */
uint32_t dialog_local_cseq(const struct dialog *d);
uint32_t dialog_remote_cseq(const struct dialog *d);

/* Does msg belong to the dialog (§12.2.2 / §12.1)? A request matches
 * when its Call-ID, To tag and From tag are our Call-ID, local and remote
 * tags; a response when Call-ID, From tag and To tag are ours, local and
 * remote. Tags and Call-ID compare byte for byte. */
bool dialog_match(const struct dialog *d, const struct sipmsg *msg);
/* The status a UAS core answers an in-dialog request (a To tag) that no
 * dialog matched: 481, or 0 for an ACK (dropped, never answered) and for
 * a request without To tag (not in-dialog). */
unsigned dialog_unmatched_status(const struct sipmsg *req);

/* A request received inside the dialog (§12.2.2). *status becomes 0 when
 * the core may process it (the remote CSeq is then updated and, for
 * INVITE and UPDATE, the remote target refreshed from Contact), or the
 * final response to send instead:
 *   500  CSeq lower than the last one (ACK and CANCEL are not checked)
 *   491  INVITE while our own re-INVITE is pending (glare, §14.2)
 *   500  INVITE while the peer's previous re-INVITE is unanswered (§14.2:
 *        the core adds Retry-After, 0..10 s)
 * An accepted INVITE stays "pending" until dialog_invite_done. Returns 0,
 * EINVAL (not a request), EBADMSG (no CSeq). */
int dialog_request_receive(struct dialog *d, const struct sipmsg *req,
			   unsigned *status);
/* A response to a request we sent in the dialog: an INVITE or UPDATE 2xx
 * refreshes the remote target (§12.2.1.2); a UAC early dialog becomes
 * confirmed on the 2xx to its INVITE with the route set recomputed
 * (§13.2.2.4); a 101..199 of an early dialog may refresh the target. A
 * final response to our re-INVITE ends the pending state. */
int dialog_response_receive(struct dialog *d, const struct sipmsg *resp);
/* The re-INVITE in that direction got its final response (outgoing) or
 * we sent it (incoming). */
void dialog_invite_done(struct dialog *d, bool outgoing);
bool dialog_invite_pending(const struct dialog *d, bool outgoing);

/* Build a request inside the dialog (§12.2.1.1): Request-URI and Route by
 * the loose/strict routing rules, From/To with the tags, Call-ID, CSeq
 * (the next local number; an ACK carries the number of the INVITE it
 * acknowledges, the last INVITE of the dialog), Max-Forwards: 70, Contact
 * for INVITE and UPDATE (target refreshes), and a Via when via is not NULL:
 * via is "SIP/2.0/WSS host" (more params allowed) to which
 * ";branch=z9hG4bK<new random>" is appended. An outgoing INVITE becomes the
 * pending re-INVITE. Body and other headers are the caller's. */
int dialog_request_new(struct dialog *d, const char *method, const char *via,
		       struct sipmsg **msgp);

/* The one copy helper for requests derived from an INVITE we sent.
 *   DIALOG_DERIVE_CANCEL (§9.1): Request-URI, top Via (same branch), Route,
 *     To, From, Call-ID and CSeq number of inv; method CANCEL.
 *   DIALOG_DERIVE_ACK (§17.1.1.3, ACK of a non-2xx): the same, with To
 *     from resp (its tag) and method ACK.
 * Then Max-Forwards: 70. Headers beyond those (Reason, User-Agent,
 * Authorization) are the caller's. */
enum dialog_derive {
	DIALOG_DERIVE_CANCEL,
	DIALOG_DERIVE_ACK
};
int dialog_derive(struct sipmsg **msgp, enum dialog_derive kind,
		  const struct sipmsg *inv, const struct sipmsg *resp);

#endif
