/* INVITE sessions over a reliable transport (WebSocket, TCP): the client
 * (RFC 3261 §13.2, §17.1.1) and server (§13.3, §17.2.1, RFC 6026) logic
 * as state machines that consume events and return actions the UA core
 * performs (send this, arm that timer, report this), so that they run and
 * are tested without sockets; the §14.1 glare retry delay; session timers
 * (RFC 4028) as JsSIP negotiates them; INFO DTMF bodies.
 *
 * Reliable transport: Timer A and G never run, Timer D is 0; Timer B
 * (client, no provisional), H (server, ACK of a non-2xx), L (server, ACK
 * of a 2xx, RFC 6026) and M (client, forked 2xx after the first, RFC
 * 6026) are 64*T1. */
#ifndef SIPWS_INVITE_H
#define SIPWS_INVITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dialog.h"
#include "sipmsg.h"
#include "span.h"

#define INVITE_MAX_FORKS 8        /* early dialogs kept per INVITE */
#define INVITE_ACTIONS_MAX 8
#define INVITE_EVENT_ACTIONS 6    /* the most one event adds */

enum invite_timer {
	INVITE_TIMER_B,          /* client: no provisional within 64*T1 */
	INVITE_TIMER_NO_ANSWER,  /* client: ringing too long: CANCEL */
	INVITE_TIMER_M,          /* client: forked 2xx still ACKed+BYEd */
	INVITE_TIMER_H,          /* server: ACK of our non-2xx */
	INVITE_TIMER_L           /* server: ACK of our 2xx */
};

enum invite_do {
	INVITE_DO_SEND,          /* msg to the transport as is (ACK) */
	INVITE_DO_REQUEST,       /* msg through a new non-INVITE client
				  * transaction (CANCEL, BYE) */
	INVITE_DO_RESPOND,       /* msg: our response, through the server
				  * transaction of the request answered */
	INVITE_DO_TIMER_SET,     /* arm timer for ms (re-arming replaces) */
	INVITE_DO_TIMER_STOP,
	INVITE_DO_PROGRESS,      /* client: status 1xx; dialog (NULL without
				  * To tag); early_media: a body came */
	INVITE_DO_ANSWERED,      /* client: the first 2xx; dialog confirmed */
	INVITE_DO_CONFIRMED,     /* server: the ACK of our 2xx came */
	INVITE_DO_FAILED,        /* status: the final non-2xx (408 for Timer
				  * B, 487 after our CANCEL); the call is over */
	INVITE_DO_ENDED          /* the transaction part is over; free the
				  * object (dialogs taken are the core's) */
};

struct invite_action {
	enum invite_do what;
	struct sipmsg *msg;          /* owned by the action list */
	unsigned status;
	enum invite_timer timer;
	unsigned ms;
	struct dialog *dialog;       /* borrowed (see invite_client_dialog_take) */
	bool early_media;
};

struct invite_actions {
	size_t count;
	struct invite_action a[INVITE_ACTIONS_MAX];
};

/* Every event function appends to acts and returns ENOSPC, doing
 * nothing, unless it has room for INVITE_EVENT_ACTIONS more: clear the
 * list after performing it. Frees the messages of the actions and
 * empties the list. */
void invite_actions_clear(struct invite_actions *acts);

/* ---- client ------------------------------------------------------------ */

struct invite_client;

/* inv: the INVITE as sent (its Via branch, CSeq, Route, From tag).
 * via: the Via prefix for ACKs and BYEs ("SIP/2.0/WSS host.invalid", a new
 * branch is appended). t1_ms 0: 500. no_answer_ms 0: no such timer.
 * acts gets TIMER_SET B (and NO_ANSWER). */
int invite_client_alloc(struct invite_client **cp, const struct sipmsg *inv,
			const char *via, unsigned flags, unsigned t1_ms,
			unsigned no_answer_ms, struct invite_actions *acts);
void invite_client_free(struct invite_client *c);

/* A response to the INVITE (the core matched it to the transaction, or
 * it is a 2xx that arrived after the transaction ended).
 *   100..199  stop B; PROGRESS; a To tag creates/updates that fork's early
 *             dialog; a pending CANCEL is sent now (REQUEST)
 *   first 2xx SEND the ACK (new branch), ANSWERED with the dialog, stop
 *             NO_ANSWER, TIMER_SET M
 *   same 2xx  (retransmitted) SEND the ACK again
 *   other 2xx (another fork, or any 2xx after a final non-2xx) SEND
 *             its ACK, then REQUEST a BYE
 *   300..699  (before a 2xx) stop timers, FAILED, ENDED; the non-2xx ACK
 *             is the transaction's (dialog_derive DIALOG_DERIVE_ACK)
 * EBADMSG for a response that is not to this INVITE or a 2xx without To
 * tag or Contact (nothing is done). */
int invite_client_response(struct invite_client *c, const struct sipmsg *resp,
			   struct invite_actions *acts);
/* Hang up before the answer. After a provisional: REQUEST the CANCEL
 * now; before one: it is sent when the first provisional arrives (§9.1).
 * EALREADY once a final response came. reason may be NULL (a Reason
 * header value otherwise). */
int invite_client_cancel(struct invite_client *c, const char *reason,
			 struct invite_actions *acts);
/* A timer fired. B: FAILED 408 + ENDED (a pending CANCEL is dropped);
 * NO_ANSWER: as invite_client_cancel; M: ENDED. */
int invite_client_timer(struct invite_client *c, enum invite_timer which,
			struct invite_actions *acts);
/* Hand over the answered dialog (NULL before ANSWERED); the client no
 * longer frees it, and retransmitted 2xx are no longer re-ACKed by it:
 * keep the ACK (invite_client_ack) for that. */
struct dialog *invite_client_dialog_take(struct invite_client *c);
/* The ACK sent for the answered dialog (NULL before). */
const struct sipmsg *invite_client_ack(const struct invite_client *c);
bool invite_client_provisional_seen(const struct invite_client *c);
size_t invite_client_early_count(const struct invite_client *c);

/* ---- server ------------------------------------------------------------ */

struct invite_server;

/* inv: the received INVITE (no To tag: a new call, else EPROTO; no
 * Contact: EBADMSG, answer 400). local_tag NULL: a
 * random one. local_contact: the Contact of our 1xx/2xx. via: the Via
 * prefix of a BYE we send (as for the client). acts gets the 100 Trying
 * (RESPOND). */
int invite_server_alloc(struct invite_server **sp, const struct sipmsg *inv,
			const char *local_tag, const char *local_contact,
			const char *via, unsigned flags, unsigned t1_ms,
			struct invite_actions *acts);
void invite_server_free(struct invite_server *s);
/* Answer: 101..199 (RESPOND, with To tag and Contact; early dialog), 2xx
 * (RESPOND with Contact, TIMER_SET L; content_type/body such as the SDP
 * answer, may be NULL), 300..699 (RESPOND, TIMER_SET H). EALREADY after a
 * final, EINVAL for 100 or a bad status. */
int invite_server_respond(struct invite_server *s, unsigned status,
			  const char *content_type, const void *body,
			  size_t body_len, struct invite_actions *acts);
/* A CANCEL the core matched to this INVITE (tsx_key_cancel_target):
 * RESPOND 200 to it; if no final was sent yet, RESPOND 487 to the INVITE,
 * TIMER_SET H, FAILED 487. */
int invite_server_cancel(struct invite_server *s, const struct sipmsg *cancel,
			 struct invite_actions *acts);
/* An ACK: for our 2xx (dialog and CSeq match): stop L, CONFIRMED, ENDED;
 * for our non-2xx: stop H, ENDED. ENOENT when it is not ours. */
int invite_server_ack(struct invite_server *s, const struct sipmsg *ack,
		      struct invite_actions *acts);
/* L fired without ACK: REQUEST a BYE (§13.3.1.4), FAILED 408, ENDED.
 * H fired: ENDED. */
int invite_server_timer(struct invite_server *s, enum invite_timer which,
			struct invite_actions *acts);
/* The dialog (after a 101..299 was sent), and handing it over. */
const struct dialog *invite_server_dialog(const struct invite_server *s);
struct dialog *invite_server_dialog_take(struct invite_server *s);

/* ---- glare (§14.1) ----------------------------------------------------- */

/* The delay before retrying our re-INVITE after a 491, in ms: 2100..4000
 * in 10 ms steps when we own the Call-ID (we chose it), 0..2000 when not.
 * rnd is any random number. */
unsigned invite_glare_delay_ms(bool call_id_owner, uint32_t rnd);
/* Did we make the Call-ID (dialog_is_uac of the initial INVITE)? */
bool invite_call_id_owner(const struct dialog *d);

/* ---- session timers (RFC 4028) ----------------------------------------- */

enum invite_refresher { INVITE_REFRESHER_NONE, INVITE_REFRESHER_UAC,
			INVITE_REFRESHER_UAS };

#define INVITE_MIN_SE 90          /* RFC 4028 §4 minimum, JsSIP's default */

struct invite_session_expires {
	uint32_t interval;             /* seconds, >= 1 */
	enum invite_refresher refresher;
};
#define INVITE_SE_MAX 2147483u     /* seconds: ms fit in 2^31 */
/* "delta-seconds *(;se-params)" with refresher=uac|uas; bounded text.
 * EBADMSG (syntax, refresher other than uac/uas), ERANGE (0 or above
 * INVITE_SE_MAX). */
int invite_session_expires_parse(struct span value,
				 struct invite_session_expires *se);
/* "delta-seconds *(;generic-param)"; ERANGE above INVITE_SE_MAX. */
int invite_min_se_parse(struct span value, uint32_t *min_se);
/* From a message (Session-Expires or x; Min-SE): ENOENT when absent. */
int invite_session_expires_get(const struct sipmsg *msg,
			       struct invite_session_expires *se);
int invite_min_se_get(const struct sipmsg *msg, uint32_t *min_se);

/* The outcome for one side of the dialog. */
struct invite_session_timer {
	bool active;
	bool we_refresh;               /* send a re-INVITE/UPDATE at refresh_ms */
	uint32_t interval;             /* seconds */
	uint32_t refresh_ms;           /* we_refresh: interval/2 */
	uint32_t expire_ms;            /* peer refreshes: BYE at interval -
					* min(32, interval/3) */
};
/* UAS: the INVITE (or refresh) received, our Min-SE (0: 90). *status 422
 * when its Session-Expires is below our Min-SE (answer with Min-SE:
 * our value), else 0 and, when active, the Session-Expires value our 2xx
 * carries written into se_value ("90;refresher=uac"; add Require: timer
 * when the UAC listed Supported: timer). */
int invite_timer_uas(const struct sipmsg *req, uint32_t min_se,
		     unsigned *status, struct invite_session_timer *st,
		     char *se_value, size_t se_size);
/* UAC: the 2xx to our INVITE/refresh: active when it carries
 * Session-Expires (refresher=uac: we refresh). */
int invite_timer_uac(const struct sipmsg *resp,
		     struct invite_session_timer *st);
/* UAC: a 422 came: the Session-Expires to retry with (max of ours and
 * its Min-SE). EBADMSG without a Min-SE. */
int invite_timer_uac_retry(const struct sipmsg *resp422, uint32_t ours,
			   uint32_t *retry);

/* Our INVITE or refresh (and its retry after a 422): "Supported: timer"
 * (unless Supported lists it), "Session-Expires: <interval>" and, when
 * min_se is not 0, "Min-SE: <min_se>". */
int invite_timer_offer(struct sipmsg *inv, uint32_t interval, uint32_t min_se);
/* Our answer to req after invite_timer_uas: a 422 gets "Min-SE:
 * <min_se>" (0: 90); a 2xx with a se_value gets "Session-Expires:
 * <se_value>" and, when req listed Supported: timer, "Require: timer"
 * (RFC 4028 §9). Other responses are left alone. */
int invite_timer_answer(struct sipmsg *resp, const struct sipmsg *req,
			const char *se_value, uint32_t min_se);

/* ---- INFO DTMF (as JsSIP sends and takes it) --------------------------- */

#define INVITE_DTMF_MAX_BODY 512
#define INVITE_DTMF_MAX_DURATION 10000u /* ms */

struct invite_dtmf {
	char tone;                     /* 0-9 * # A-D (upper case) */
	unsigned duration;             /* ms; 0 when not given */
};
/* application/dtmf-relay: "Signal=1\r\nDuration=100\r\n" (keys any case,
 * LF or CRLF, spaces around '=' and values, other keys ignored).
 * EBADMSG (no or bad Signal, bad line), ERANGE (Duration above
 * INVITE_DTMF_MAX_DURATION), E2BIG (over INVITE_DTMF_MAX_BODY). */
int invite_dtmf_relay_parse(const char *body, size_t len,
			    struct invite_dtmf *dtmf);
/* application/dtmf: one tone, optional trailing whitespace. */
int invite_dtmf_parse(const char *body, size_t len, struct invite_dtmf *dtmf);
/* Writes "Signal=<tone>\r\nDuration=<ms>\r\n"; EINVAL for a bad tone or
 * duration 0 / above the maximum, ENOSPC. */
int invite_dtmf_relay_build(const struct invite_dtmf *dtmf, char *buf,
			    size_t size, size_t *lenp);
/* Which parser a Content-Type takes: 1 dtmf-relay, 2 dtmf, 0 neither. */
int invite_dtmf_kind(const struct sipmsg *info);

#endif
