/* Calls: an INVITE dialog (dialog.h, invite.h) with its WebRTC media
 * session (media.h), on the SIP core of a ua (ua.h) whose loop runs on
 * GLib (LOOP_GLIB: GStreamer calls back on the default main context).
 *
 * Outgoing: call_dial makes the offer (every candidate in it, no trickle),
 * sends the INVITE (digest retry by the core), reports 18x, ACKs the 2xx
 * (a retransmitted 2xx again; a forked later 2xx is ACKed and hung up),
 * takes the answer. Incoming: the INVITE rings (CALL_EVENT_INCOMING) until
 * call_answer (200 with the answer), call_reject or the caller's CANCEL.
 * Inside the dialog: BYE either way, re-INVITE from the peer (hold and
 * unhold from a browser) and our own for hold, UPDATE without a body
 * (session refresh), INFO DTMF (application/dtmf-relay and
 * application/dtmf) both ways, RFC 4733 DTMF through the media session,
 * 481 for unknown dialogs, 491 and the §14.1 retry for glare. */
#ifndef SIPWS_CALL_H
#define SIPWS_CALL_H

#include <stdbool.h>
#include <stddef.h>

#include "media.h"
#include "ua.h"

struct calls;
struct call;

enum call_event_type {
	/* A call rings: call_answer, call_reject or call_hangup. */
	CALL_EVENT_INCOMING,
	/* Our INVITE got a provisional response (status 180, 183...). */
	CALL_EVENT_PROGRESS,
	/* The dialog is up: the 2xx came (outgoing) or was sent (incoming). */
	CALL_EVENT_ANSWERED,
	/* The first decoded audio with the peer's fingerprint verified. */
	CALL_EVENT_MEDIA,
	/* A DTMF tone from the peer: dtmf, info (by INFO, else RFC 4733). */
	CALL_EVENT_DTMF,
	/* The peer held (held) or resumed the call by re-INVITE. */
	CALL_EVENT_HOLD,
	/* Our hold or resume was answered (held: where we are now). */
	CALL_EVENT_HELD,
	/* The media source ended (the end of a file or descriptor). */
	CALL_EVENT_SOURCE_ENDED,
	/* The call is over: end, status, err; the handle is freed after. */
	CALL_EVENT_ENDED,
	/* What call_play() sent ended (err 0: silence follows) or could not
	 * be decoded (err EIO, reason); the call goes on. */
	CALL_EVENT_PLAYED,
};

enum call_end {
	CALL_END_LOCAL,     /* call_hangup: our BYE (or CANCEL, reject) */
	CALL_END_REMOTE,    /* the peer's BYE */
	CALL_END_FAILED,    /* our INVITE got a final status >= 300 */
	CALL_END_CANCELLED, /* the caller cancelled before we answered */
	CALL_END_MEDIA,     /* the media session failed: err (media.h) */
	CALL_END_ERROR,     /* no answer in time (ETIMEDOUT), the transport
			     * lost (ECONNRESET), credentials (EPERM,
			     * EKEYREJECTED), ENOMEM... : err */
};
/* "hung up", "peer hung up", "failed", "cancelled", "media failed",
 * "error". */
const char *call_end_name(enum call_end end);

struct call_event {
	enum call_event_type type;
	struct call *call;
	unsigned status;     /* PROGRESS, ENDED with CALL_END_FAILED */
	const char *reason;  /* the status phrase or the error's text;
			      * PLAYED: why it failed */
	char dtmf;           /* DTMF: 0-9 * # A-D */
	bool info;           /* DTMF: by SIP INFO */
	bool held;           /* HOLD, HELD */
	enum call_end end;   /* ENDED */
	int err;             /* ENDED: CALL_END_MEDIA, CALL_END_ERROR;
			      * PLAYED */
};
typedef void(call_event_h)(const struct call_event *ev, void *arg);

struct calls_config {
	/* Every call's media session (media.h); strings must outlive the
	 * calls. */
	struct media_config media;
	/* Cancel an outgoing call not answered within this (0: never);
	 * it then ends CALL_END_ERROR with ETIMEDOUT. */
	unsigned no_answer_ms;
	call_event_h *h;
	void *arg;
};

/* Take over the ua's incoming calls and dialogs (its SIP core's call and
 * dialog handlers). The ua's loop must be LOOP_GLIB (EINVAL otherwise);
 * media_prepare() is called here (ENOENT: a GStreamer element is
 * missing). ENOMEM. */
int calls_alloc(struct calls **csp, struct ua *ua,
		const struct calls_config *cfg);
/* Every call ends at once (no event, nothing sent); NULL is ignored. */
void calls_free(struct calls *cs);
/* The media session of the calls dialled or answered from now on (a
 * recording file or descriptor per call); copied, its strings must last
 * until then. EINVAL for NULL. */
int calls_set_media(struct calls *cs, const struct media_config *media);
/* Calls in progress. */
size_t calls_count(const struct calls *cs);

/* Call target (a SIP URI). The offer is made first; the INVITE follows
 * it. EINVAL (not a SIP URI), ENOTCONN (the ua is not started), or the
 * media session's errors. *cp may be NULL. */
int call_dial(struct calls *cs, const char *target, struct call **cp);
/* Answer a ringing incoming call. EALREADY, EPROTO (its offer was
 * refused by the media session: the call is rejected with 488). */
int call_answer(struct call *c);
/* Reject a ringing incoming call (300..699). */
int call_reject(struct call *c, unsigned status);
/* End the call: CANCEL before the answer, 603 for a ringing incoming
 * call, BYE after. CALL_EVENT_ENDED (CALL_END_LOCAL) follows. EALREADY
 * when it is ending already. */
int call_hangup(struct call *c);
/* Hold (a=sendonly) or resume by re-INVITE; CALL_EVENT_HELD follows.
 * EAGAIN before the call is up or while a re-INVITE is pending. */
int call_hold(struct call *c, bool hold);
/* Send DTMF digits (0-9 * # A-D): RFC 4733 in the media (duration_ms
 * each, 0: 100) or one INFO (application/dtmf-relay) per digit, in
 * order. EINVAL, EAGAIN (not up yet, or RFC 4733 not negotiated). */
int call_dtmf(struct call *c, const char *digits, unsigned duration_ms,
	      bool info);
/* Send silence instead of our audio (the stream goes on) or our audio
 * again (media_mute). EINVAL, EAGAIN (no media session yet). */
int call_mute(struct call *c, bool mute);
/* Send a file or "tone:HZ" instead of our audio (media_play: silence
 * after its end, CALL_EVENT_PLAYED then). EAGAIN before the call is up,
 * ENOTSUP when our audio is a file or descriptor, ENOENT, EACCES,
 * EINVAL. */
int call_play(struct call *c, const char *what);
/* Media statistics (media.h). ENOTCONN before the media session. */
int call_stats(struct call *c, struct media_stats *st);
/* The peer's URI (the To of an outgoing call, the From of an incoming). */
const char *call_peer(const struct call *c);
bool call_incoming(const struct call *c);
const char *call_call_id(const struct call *c);
/* The negotiated audio codec or NULL. */
const char *call_codec(const struct call *c);

#endif
