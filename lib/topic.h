/* Event topic names, echoing JSCommunicator's Arbiter topics ("jsc/call/
 * incoming" there is "call/incoming" here), and Arbiter-style matching of
 * the patterns a user gives with --topic. */
#ifndef SIPWS_TOPIC_H
#define SIPWS_TOPIC_H

#include <stdbool.h>
#include <stddef.h>

/* The user agent (JSCommunicator: jsc/ua/...). */
#define TOPIC_UA_IDLE "ua/idle"               /* transport up, no call */
#define TOPIC_UA_NOTREADY "ua/notready"       /* transport down */
#define TOPIC_UA_INCALL "ua/incall"           /* a call exists */
/* The WebSocket transport (JsSIP: connected / disconnected). */
#define TOPIC_TRANSPORT_CONNECTED "transport/connected"
#define TOPIC_TRANSPORT_DISCONNECTED "transport/disconnected"
/* Registration (JsSIP: registered / unregistered / registrationFailed). */
#define TOPIC_REG_REGISTERED "registration/ok"
#define TOPIC_REG_UNREGISTERED "registration/unregistered"
#define TOPIC_REG_FAILED "registration/failed"
/* Calls (JSCommunicator: jsc/call/...). */
#define TOPIC_CALL_INCOMING "call/incoming"   /* ringing here */
#define TOPIC_CALL_OUTGOING "call/outgoing"
#define TOPIC_CALL_PROGRESS "call/progress"   /* 18x: ringing there */
#define TOPIC_CALL_CONNECTED "call/connected"
#define TOPIC_CALL_MEDIA "call/media"         /* audio flows, verified */
#define TOPIC_CALL_FAILED "call/failed"
#define TOPIC_CALL_END "call/end"             /* cancelled, answered elsewhere, hung up */
#define TOPIC_CALL_DTMF "call/dtmf"
#define TOPIC_CALL_HOLD "call/hold"           /* on hold (either side) */
#define TOPIC_CALL_UNHOLD "call/unhold"
/* sip-call's own (--control), not in topic_names: sip-events never sees
 * them. */
#define TOPIC_CALL_MUTE "call/mute"
#define TOPIC_CALL_UNMUTE "call/unmute"
#define TOPIC_CALL_PLAY "call/play"     /* a play started */
#define TOPIC_CALL_PLAYED "call/played" /* it ended, or failed: error */
/* Instant messages (JsSIP: newMessage). */
#define TOPIC_MESSAGE_INCOMING "message/incoming"

/* Every topic above, NULL-terminated (for --help and completions). */
extern const char *const topic_names[];

/* Arbiter's rule for one pattern: a pattern ending in '*' matches every
 * topic that starts with what precedes the '*' (call/ + '*' matches
 * "call/incoming" and "call/x/y"; "*" alone matches everything); a
 * pattern without a trailing '*' matches the topic exactly. A '*'
 * elsewhere is an ordinary character, as in Arbiter. Case-sensitive. */
bool topic_match(const char *pattern, const char *topic);

/* A list of patterns separated by commas and/or whitespace (as Arbiter
 * splits its subscription string): true when any matches. An empty list
 * matches nothing. */
bool topic_list_match(const char *patterns, const char *topic);

/* Check a pattern list for a tool's option parser: EINVAL for an empty
 * list (nothing but separators) or a pattern containing a control
 * character, with a reason; 0 otherwise. A pattern that matches no known
 * topic is not an error (later versions may add topics), but *unknown
 * (may be NULL) is set to true for it. */
int topic_list_check(const char *patterns, bool *unknown, char *reason,
		     size_t reason_size);

#endif
