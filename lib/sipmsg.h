/* SIP messages (RFC 3261 §7 and §20): decoding requests and responses,
 * typed access to the headers the stack needs, a builder and the encoder.
 *
 * Ownership: sipmsg_decode copies the bytes it consumes into the message,
 * so the caller may reuse its buffer at once. Every span handed out (header
 * values, URI parts, Via fields...) points into memory owned by the message
 * and stays valid until sipmsg_free, even across later sipmsg_header_*
 * edits. In the message's copy, each line fold (CRLF followed by SP or
 * HTAB) is replaced by spaces, so header values never contain CR or LF.
 *
 * Limits, each enforced with E2BIG and a reason:
 *   SIPMSG_MAX_SIZE     bytes of one message, start line to end of body
 *   SIPMSG_MAX_HEADERS  header fields (lines, after unfolding)
 *   SIPMSG_MAX_LINE     bytes of the start line or of one header field,
 *                       folds included
 *   SIPMSG_MAX_VALUES   comma-separated values in one header field
 *
 * Framing (RFC 3261 §18.3). By default the input is one datagram or one
 * WebSocket message (RFC 7118): the body is Content-Length bytes, any bytes
 * past it are not part of the message (sipmsg_wire_len tells how many were
 * used), a missing Content-Length means "the rest of the buffer", and a
 * Content-Length larger than the remaining bytes is EBADMSG. With
 * SIPMSG_STREAM the input is the front of a byte stream: a message that is
 * not complete yet gives EAGAIN (read more and call again), a missing
 * Content-Length with bytes after the headers and conflicting
 * Content-Length values are EBADMSG (the stream cannot be framed; close
 * it). Leading CRLFs (RFC 3261 §7.5 and keep-alives) are skipped.
 *
 * Decoding checks the syntax of the start line and of the headers every
 * layer relies on: Via, From, To, Call-ID, CSeq, Contact, Route,
 * Record-Route, Max-Forwards (digits only), Content-Length, Content-Type,
 * and the comma splitting of every known list header. Other headers are
 * checked by their getters when asked for. Problems that a UAS answers
 * rather than drops (unknown SIP version, CSeq method mismatch, repeated
 * single-value headers, conflicting Content-Length) decode successfully
 * and are reported by sipmsg_defects and sipmsg_check_request. */
#ifndef SIPWS_SIPMSG_H
#define SIPWS_SIPMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "span.h"
#include "uri.h"

#define SIPMSG_MAX_SIZE 65536
#define SIPMSG_MAX_HEADERS 256
#define SIPMSG_MAX_LINE 8192
#define SIPMSG_MAX_VALUES 64

/* Flags for sipmsg_decode_flags. */
#define SIPMSG_STREAM 0x1u
/* Accept a datagram whose Content-Length exceeds the bytes present: the
 * body is what is there and SIPMSG_DEFECT_SHORT_BODY is set. Meant for
 * logged or hand-edited messages (the RFC 5118 archive has two), never
 * for what arrives from the network. */
#define SIPMSG_LENIENT_LENGTH 0x2u

/* Bits of sipmsg_defects. */
#define SIPMSG_DEFECT_VERSION 0x01u       /* not SIP/2.0: answer 505 */
#define SIPMSG_DEFECT_SHORT_BODY 0x02u    /* lenient: body shorter than declared */
#define SIPMSG_DEFECT_LENGTH_CONFLICT 0x04u /* Content-Length values differ */
#define SIPMSG_DEFECT_MULTIPLE 0x08u      /* a single-value header repeated */
#define SIPMSG_DEFECT_CSEQ_METHOD 0x10u   /* request: CSeq method differs */

/* Headers the module knows by name. Compact forms (RFC 3261 §7.3.3 and
 * the extensions' registered letters) map to the same identifier. */
enum sipmsg_hdr_id {
	SIPMSG_HDR_OTHER = 0,
	SIPMSG_HDR_ACCEPT,
	SIPMSG_HDR_ACCEPT_CONTACT,      /* a */
	SIPMSG_HDR_ACCEPT_ENCODING,
	SIPMSG_HDR_ACCEPT_LANGUAGE,
	SIPMSG_HDR_ALERT_INFO,
	SIPMSG_HDR_ALLOW,
	SIPMSG_HDR_ALLOW_EVENTS,        /* u */
	SIPMSG_HDR_AUTHENTICATION_INFO,
	SIPMSG_HDR_AUTHORIZATION,
	SIPMSG_HDR_CALL_ID,             /* i */
	SIPMSG_HDR_CALL_INFO,
	SIPMSG_HDR_CONTACT,             /* m */
	SIPMSG_HDR_CONTENT_DISPOSITION,
	SIPMSG_HDR_CONTENT_ENCODING,    /* e */
	SIPMSG_HDR_CONTENT_LANGUAGE,
	SIPMSG_HDR_CONTENT_LENGTH,      /* l */
	SIPMSG_HDR_CONTENT_TYPE,        /* c */
	SIPMSG_HDR_CSEQ,
	SIPMSG_HDR_DATE,
	SIPMSG_HDR_ERROR_INFO,
	SIPMSG_HDR_EVENT,               /* o */
	SIPMSG_HDR_EXPIRES,
	SIPMSG_HDR_FROM,                /* f */
	SIPMSG_HDR_IDENTITY,            /* y */
	SIPMSG_HDR_IDENTITY_INFO,       /* n */
	SIPMSG_HDR_IN_REPLY_TO,
	SIPMSG_HDR_MAX_FORWARDS,
	SIPMSG_HDR_MIME_VERSION,
	SIPMSG_HDR_MIN_EXPIRES,
	SIPMSG_HDR_ORGANIZATION,
	SIPMSG_HDR_PATH,
	SIPMSG_HDR_PRIORITY,
	SIPMSG_HDR_PROXY_AUTHENTICATE,
	SIPMSG_HDR_PROXY_AUTHORIZATION,
	SIPMSG_HDR_PROXY_REQUIRE,
	SIPMSG_HDR_RECORD_ROUTE,
	SIPMSG_HDR_REFER_TO,            /* r */
	SIPMSG_HDR_REFERRED_BY,         /* b */
	SIPMSG_HDR_REJECT_CONTACT,      /* j */
	SIPMSG_HDR_REPLY_TO,
	SIPMSG_HDR_REQUEST_DISPOSITION, /* d */
	SIPMSG_HDR_REQUIRE,
	SIPMSG_HDR_RETRY_AFTER,
	SIPMSG_HDR_ROUTE,
	SIPMSG_HDR_SERVER,
	SIPMSG_HDR_SESSION_EXPIRES,     /* x */
	SIPMSG_HDR_SUBJECT,             /* s */
	SIPMSG_HDR_SUBSCRIPTION_STATE,
	SIPMSG_HDR_SUPPORTED,           /* k */
	SIPMSG_HDR_TIMESTAMP,
	SIPMSG_HDR_TO,                  /* t */
	SIPMSG_HDR_UNSUPPORTED,
	SIPMSG_HDR_USER_AGENT,
	SIPMSG_HDR_VIA,                 /* v */
	SIPMSG_HDR_WARNING,
	SIPMSG_HDR_WWW_AUTHENTICATE,
	SIPMSG_HDR_COUNT
};

/* Full name ("Call-ID") of a known header, NULL for SIPMSG_HDR_OTHER. */
const char *sipmsg_hdr_name(enum sipmsg_hdr_id id);
/* Identifier of a header name, full or compact, case-insensitive. */
enum sipmsg_hdr_id sipmsg_hdr_lookup(struct span name);

struct sipmsg;

/* ---- decoding ---------------------------------------------------------- */

/* Decode one datagram-framed message from p[0..len) (see the framing notes
 * above). Returns 0 with *msgp set, or EINVAL (NULL arguments), EBADMSG
 * (syntax, framing), E2BIG (a limit), ENOMEM; reason gets a short text on
 * every error. */
int sipmsg_decode(struct sipmsg **msgp, const char *p, size_t len,
		  char *reason, size_t reason_size);
/* Same with SIPMSG_* flags; adds EAGAIN (SIPMSG_STREAM: incomplete). */
int sipmsg_decode_flags(struct sipmsg **msgp, const char *p, size_t len,
			unsigned flags, char *reason, size_t reason_size);
void sipmsg_free(struct sipmsg *msg);

/* Bytes of the input the message used, leading CRLFs included; a stream
 * reader drops that many before decoding the next message. 0 for a message
 * that was built rather than decoded. */
size_t sipmsg_wire_len(const struct sipmsg *msg);
/* SIPMSG_DEFECT_* bits (framing bits from decoding; the others computed
 * from the current headers). */
unsigned sipmsg_defects(const struct sipmsg *msg);

/* ---- start line -------------------------------------------------------- */

bool sipmsg_is_request(const struct sipmsg *msg);
/* Request method (case-sensitive token); null span for a response. */
struct span sipmsg_method(const struct sipmsg *msg);
/* Decoded Request-URI (NULL for a response) and its text as written. */
const struct uri *sipmsg_request_uri(const struct sipmsg *msg);
struct span sipmsg_request_uri_text(const struct sipmsg *msg);
/* Status code 100..699 of a response, 0 for a request. */
unsigned sipmsg_status(const struct sipmsg *msg);
/* Reason phrase of a response (may be empty, may be UTF-8). */
struct span sipmsg_reason(const struct sipmsg *msg);
/* SIP-Version as written ("SIP/2.0"). */
struct span sipmsg_version(const struct sipmsg *msg);
struct span sipmsg_body(const struct sipmsg *msg);

/* ---- generic header access --------------------------------------------- */

struct sipmsg_header {
	enum sipmsg_hdr_id id;
	struct span name;   /* as written, e.g. "v" */
	struct span value;  /* trimmed, unfolded; may be empty */
};

size_t sipmsg_header_count(const struct sipmsg *msg);
/* The index-th header field in message order; ENOENT past the end. */
int sipmsg_header_at(const struct sipmsg *msg, size_t index,
		     struct sipmsg_header *hdr);
/* The index-th field (0-based, message order) whose name matches: known
 * names match their full and compact forms, others compare
 * case-insensitively. ENOENT past the last instance. */
int sipmsg_header_get(const struct sipmsg *msg, const char *name,
		      size_t index, struct sipmsg_header *hdr);
int sipmsg_header_get_id(const struct sipmsg *msg, enum sipmsg_hdr_id id,
			 size_t index, struct sipmsg_header *hdr);
/* Number of fields with that name. */
size_t sipmsg_header_count_of(const struct sipmsg *msg, const char *name);

/* The index-th value of a header over all its fields: for known list
 * headers (Via, Contact, Route, Supported, Accept...) each field is split at
 * commas outside quotes and <> (once, when the field enters the message),
 * for the others each field is one value. Returns 0 or ENOENT past the end.
 * Indexed access costs O(number of fields), so looping over an index is
 * fine even at the limits. */
int sipmsg_value_get(const struct sipmsg *msg, const char *name,
		     size_t index, struct span *value);
int sipmsg_value_get_id(const struct sipmsg *msg, enum sipmsg_hdr_id id,
			size_t index, struct span *value);
size_t sipmsg_value_count_id(const struct sipmsg *msg, enum sipmsg_hdr_id id);

/* Header parameters (";name[=value]" lists as in Via or Content-Type, LWS
 * allowed around ';' and '='). params is the list without its leading ';'.
 * sipmsg_param_get returns 0 with the raw value (quoted values keep their
 * quotes; a bare flag gives an empty span with p != NULL), ENOENT, or
 * EBADMSG for a malformed list. */
int sipmsg_param_get(struct span params, const char *name, struct span *value);
/* Iteration: start with *pos = 0; 0 with name and value (null span for a
 * flag), ENOENT at the end, EBADMSG on bad syntax. */
int sipmsg_param_next(struct span params, size_t *pos, struct span *name,
		      struct span *value);

/* ---- typed getters ----------------------------------------------------- */
/* Unless stated otherwise they return 0, ENOENT (header absent or index
 * past the end), EBADMSG (malformed value) or ERANGE (value out of range).
 * Single-value headers give their first field. */

struct sipmsg_via {
	struct span protocol_name;    /* "SIP" */
	struct span protocol_version; /* "2.0" */
	struct span transport;        /* "UDP", "TCP", "TLS", "WS", "WSS"... */
	struct span host;             /* sent-by host; IPv6 without [] */
	bool host_ipv6;
	unsigned port;                /* 0 when absent */
	struct span branch;           /* null when absent */
	struct span received;         /* without [] even if sent with them */
	bool rport;                   /* rport present */
	unsigned rport_port;          /* its value, 0 for the bare flag */
	struct span params;           /* every param, raw, without first ';' */
};
size_t sipmsg_via_count(const struct sipmsg *msg);
/* index 0 is the topmost Via value. */
int sipmsg_via_get(const struct sipmsg *msg, size_t index,
		   struct sipmsg_via *via);
/* True when the branch carries the RFC 3261 magic cookie "z9hG4bK" and
 * something after it (RFC 4475 §3.2.1: a bare cookie does not count). */
bool sipmsg_via_branch_is_rfc3261(const struct sipmsg_via *via);

/* From and To. */
struct sipmsg_party {
	struct uri_addr addr;
	struct span tag;              /* null when absent */
};
int sipmsg_from_get(const struct sipmsg *msg, struct sipmsg_party *from);
int sipmsg_to_get(const struct sipmsg *msg, struct sipmsg_party *to);

int sipmsg_call_id_get(const struct sipmsg *msg, struct span *call_id);

struct sipmsg_cseq {
	uint32_t number;              /* below 2^31 (RFC 3261 §8.1.1.5) */
	struct span method;
};
int sipmsg_cseq_get(const struct sipmsg *msg, struct sipmsg_cseq *cseq);

struct sipmsg_contact {
	bool star;                    /* "Contact: *"; addr is then unset */
	struct uri_addr addr;
	bool has_expires;
	uint32_t expires;             /* saturated at 2^32-1 (RFC 3261 §20.19) */
	int q;                        /* qvalue in thousandths, -1 when absent */
};
size_t sipmsg_contact_count(const struct sipmsg *msg);
int sipmsg_contact_get(const struct sipmsg *msg, size_t index,
		       struct sipmsg_contact *contact);

/* Route and Record-Route values, topmost first; always name-addr form. */
size_t sipmsg_route_count(const struct sipmsg *msg);
int sipmsg_route_get(const struct sipmsg *msg, size_t index,
		     struct uri_addr *route);
size_t sipmsg_record_route_count(const struct sipmsg *msg);
int sipmsg_record_route_get(const struct sipmsg *msg, size_t index,
			    struct uri_addr *route);

/* 0..255; ERANGE above. */
int sipmsg_max_forwards_get(const struct sipmsg *msg, unsigned *max_forwards);
/* The declared value (first field). */
int sipmsg_content_length_get(const struct sipmsg *msg, size_t *length);

/* A media type: Content-Type, or one element of Accept. */
struct sipmsg_media {
	struct span type;             /* "application" */
	struct span subtype;          /* "sdp" */
	struct span params;           /* raw, without the first ';' */
};
int sipmsg_content_type_get(const struct sipmsg *msg,
			    struct sipmsg_media *media);
/* Parse one media-range such as an Accept value ("*" allowed in Accept). */
int sipmsg_media_parse(struct span text, struct sipmsg_media *media);
/* Does the media type (or range, with "*") match "type/subtype"? */
bool sipmsg_media_matches(const struct sipmsg_media *media,
			  const char *type_subtype);

/* WWW-Authenticate, Proxy-Authenticate, Authorization,
 * Proxy-Authorization, Authentication-Info: the scheme token and the raw
 * parameter text after it (the digest module parses that). which selects
 * the header, index the field. */
struct sipmsg_auth {
	struct span scheme;           /* "Digest"; null for Authentication-Info */
	struct span params;           /* raw, may be empty */
};
int sipmsg_auth_get(const struct sipmsg *msg, enum sipmsg_hdr_id which,
		    size_t index, struct sipmsg_auth *auth);

/* Expires (delta-seconds, saturated at 2^32-1). */
int sipmsg_expires_get(const struct sipmsg *msg, uint32_t *expires);

/* Token-list headers (Supported, Require, Proxy-Require, Unsupported,
 * Allow, Allow-Events, Content-Encoding...): the index-th token over all
 * fields. */
int sipmsg_token_get(const struct sipmsg *msg, enum sipmsg_hdr_id which,
		     size_t index, struct span *token);
/* Is the token listed (case-insensitive, as RFC 3261 §7.3.1 says tokens
 * are)? false also when the header is malformed. */
bool sipmsg_token_has(const struct sipmsg *msg, enum sipmsg_hdr_id which,
		      const char *token);

/* Event (RFC 6665): package token, id param, other params raw. */
struct sipmsg_event {
	struct span package;          /* "presence", "dialog", "refer"... */
	struct span id;               /* null when absent */
	struct span params;
};
int sipmsg_event_get(const struct sipmsg *msg, struct sipmsg_event *event);

/* Subscription-State (RFC 6665). */
struct sipmsg_substate {
	struct span state;            /* "active", "pending", "terminated" */
	struct span reason;           /* null when absent */
	bool has_expires;
	uint32_t expires;
	bool has_retry_after;
	uint32_t retry_after;
	struct span params;
};
int sipmsg_substate_get(const struct sipmsg *msg,
			struct sipmsg_substate *state);

/* Date: the raw value if it is an RFC 1123 date in GMT as RFC 3261 §20.17
 * requires, EBADMSG otherwise (RFC 4475 §3.1.2.12: a UA may ignore a bad
 * Date, so decoding does not check it). */
int sipmsg_date_get(const struct sipmsg *msg, struct span *date);

/* ---- what a UAS must answer -------------------------------------------- */

/* What we implement, for sipmsg_check_request. Each list is a
 * NULL-terminated array of strings. A NULL supported or accept list means
 * "none" (every Require tag gives 420, every body 415); a NULL produce list
 * skips the Accept check. A NULL caps pointer means all three are NULL. */
struct sipmsg_caps {
	const char *const *supported; /* option tags we honour in Require */
	const char *const *accept;    /* body types we take ("application/sdp") */
	const char *const *produce;   /* body types our INVITE answers carry */
};

/* Classify a decoded request the way a UAS core must (RFC 3261 §8.2 and
 * RFC 4475 §3.3): *status becomes 0 when the request may be processed,
 * else the response to send and *reason a static reason phrase for it.
 * In order:
 *   400  missing Via, From, To, Call-ID or CSeq
 *   505  SIP-Version other than SIP/2.0
 *   400  repeated From, To, Call-ID, CSeq, Max-Forwards or Content-Type;
 *        conflicting Content-Length; CSeq method differing from the
 *        method; Max-Forwards above 255; malformed Require, Accept,
 *        Content-Encoding; a body without Content-Type
 *   416  Request-URI scheme other than sip, sips, tel
 *   420  Require lists an option tag not in caps->supported (ignored for
 *        ACK and CANCEL, RFC 3261 §8.2.2.3); sipmsg_unsupported_get lists
 *        them for the Unsupported header
 *   415  non-empty body with a Content-Type not in caps->accept, or a
 *        Content-Encoding other than identity
 *   406  INVITE whose Accept lists none of caps->produce (RFC 4475
 *        §3.3.15 allows 406 or 400; 406 says what is wrong)
 * The caller still decides methods (405/501) and must never answer an ACK.
 * Returns 0, or EINVAL when msg is not a request. */
int sipmsg_check_request(const struct sipmsg *msg,
			 const struct sipmsg_caps *caps, int *status,
			 const char **reason);
/* The index-th Require option tag not in caps->supported; ENOENT after the
 * last. */
int sipmsg_unsupported_get(const struct sipmsg *msg,
			   const struct sipmsg_caps *caps, size_t index,
			   struct span *tag);

/* ---- building and encoding --------------------------------------------- */

/* A request "method request_uri SIP/2.0" without headers. EINVAL when the
 * method is not a token or the URI does not decode (or has ?headers). */
int sipmsg_new_request(struct sipmsg **msgp, const char *method,
		       const char *request_uri);
/* A response "SIP/2.0 status reason"; reason NULL picks the RFC 3261
 * phrase. EINVAL for a status outside 100..699 or a reason with CR/LF. */
int sipmsg_new_response(struct sipmsg **msgp, unsigned status,
			const char *reason);
/* A response to req per RFC 3261 §8.2.6.2: Via (all), From, To, Call-ID,
 * CSeq copied; to_tag (may be NULL) appended to To when it has none;
 * Record-Route copied for 101..299. */
int sipmsg_new_reply(struct sipmsg **msgp, const struct sipmsg *req,
		     unsigned status, const char *reason, const char *to_tag);

/* Append a field (name and value are copied; the value is trimmed). The
 * name must be a token, the value must not contain CR or LF, and the value
 * of a header that decoding checks must pass the same check: EINVAL
 * otherwise. E2BIG past SIPMSG_MAX_HEADERS fields or SIPMSG_MAX_VALUES
 * values. */
int sipmsg_header_add(struct sipmsg *msg, const char *name, const char *value);
/* The same with the value as a span. */
int sipmsg_header_add_span(struct sipmsg *msg, const char *name,
			   struct span value);

/* Where a request made from other messages takes its headers: a CANCEL
 * (RFC 3261 §9.1), the ACK of a non-2xx (§17.1.1.3), a request within a
 * dialog (§12.2.1.1). */
struct sipmsg_derive {
	struct span via;               /* the Via value; p NULL: none */
	const struct sipmsg *route;    /* its Route values in order, or */
	const struct sipmsg *record_route; /* its Record-Route values
					    * reversed (the UAC route set) */
	const struct sipmsg *from;     /* From taken from here */
	const struct sipmsg *to;       /* To */
	const struct sipmsg *call_id;  /* Call-ID */
	uint32_t cseq;                 /* CSeq number; the method follows */
	bool to_first;                 /* To before From (as CANCEL has it) */
};
/* A request method ruri with, in this order, Via, Max-Forwards: 70, the
 * route, From and To, Call-ID and CSeq as d says; more headers can be
 * added after. sipmsg_header_add's errors, ENOMEM. */
int sipmsg_request_derive(struct sipmsg **msgp, const char *method,
			  const char *ruri, const struct sipmsg_derive *d);
/* Replace every field of that name by one (placed where the first was, or
 * appended). */
int sipmsg_header_set(struct sipmsg *msg, const char *name, const char *value);
/* Remove every field of that name; ENOENT if there was none. */
int sipmsg_header_remove(struct sipmsg *msg, const char *name);
/* Set the body (copied) and, when content_type is not NULL, Content-Type. */
int sipmsg_body_set(struct sipmsg *msg, const char *content_type,
		    const void *body, size_t len);

/* Serialise: start line, the fields in order as "Name: value", a blank
 * line, the body. Content-Length is always written with the body's length:
 * the first Content-Length field is rewritten in place, others dropped,
 * and one is appended when there was none. buf is NUL-terminated when size
 * > 0; *lenp (may be NULL) gets the length without the NUL, and on ENOSPC
 * the size needed (without the NUL). */
int sipmsg_encode(const struct sipmsg *msg, char *buf, size_t size,
		  size_t *lenp);
/* Same into a malloc'd NUL-terminated string the caller frees. */
int sipmsg_encode_alloc(const struct sipmsg *msg, char **out, size_t *lenp);

#endif
