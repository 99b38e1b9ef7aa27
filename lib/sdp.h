/* SDP (RFC 8866, formerly RFC 4566) as browsers, JsSIP, webrtcbin and SIP
 * softphones send it: parsing with the WebRTC attributes checked and typed
 * (RFC 8839 ICE, RFC 8122 fingerprint, RFC 4145 setup, RFC 8843 BUNDLE,
 * RFC 5761 rtcp-mux, RFC 8285 extmap, RFC 5576 ssrc, RFC 8830 msid,
 * RFC 4585 rtcp-fb), the edits a media session needs before handing SDP to
 * webrtcbin, and a generator.
 *
 * A message is an ordered list of sections (the session level, then one per
 * m-line), each an ordered list of lines, so generating gives back the
 * input line for line (CRLF line endings). Sections are named by index:
 * SDP_SESSION for the session level, 0..sdp_media_count()-1 for the
 * m-lines. Every span handed out points into memory owned by the message
 * and stays valid until sdp_free, across later edits.
 *
 * Limits, each enforced with E2BIG and a reason:
 *   SDP_MAX_SIZE        bytes of input (a SIP body is at most 64 KiB here,
 *                       SIPMSG_MAX_SIZE)
 *   SDP_MAX_MEDIA       m-lines (Chromium bundles a few; 64 leaves room for
 *                       conferences without letting a peer make us loop)
 *   SDP_MAX_LINES       lines in one section, the m-line included (a
 *                       video m-line from Chromium has about 150)
 *   SDP_MAX_LINE        bytes of one line without its line ending (a
 *                       candidate is about 120, a fingerprint 110)
 *   SDP_MAX_CANDIDATE_EXT  extension pairs of one candidate
 *   SDP_MAX_FINGERPRINT bytes of a fingerprint (SHA-512)
 *   SDP_MAX_SSRC_GROUP  SSRCs of one ssrc-group
 *
 * Syntax accepted: lines end in CRLF or LF (the last may end without), the
 * first three lines are v=0, o=, s=; at least one t= comes before the
 * first m=; a section may hold each of i= c= k= once and a=mid, a=setup,
 * a=ice-ufrag, a=ice-pwd and a direction attribute once. Empty lines are
 * refused except at the very end (ignored). Unknown line letters are
 * refused (RFC 8866 §5 allows ignoring or refusing); unknown attributes
 * are kept as they are. The attributes named above, a=candidate,
 * a=fingerprint, a=rtpmap, a=fmtp, a=rtcp-fb, a=rtcp, a=ssrc,
 * a=ssrc-group, a=msid, a=extmap, a=group, a=ice-options, a=ptime,
 * a=maxptime and the flags (rtcp-mux, end-of-candidates, directions...)
 * are checked when parsed, so their typed getters never fail on a parsed
 * message. */
#ifndef SIPWS_SDP_H
#define SIPWS_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "span.h"

#define SDP_MAX_SIZE 65536
#define SDP_MAX_MEDIA 64
#define SDP_MAX_LINES 1024
#define SDP_MAX_LINE 1024
#define SDP_MAX_CANDIDATE_EXT 16
#define SDP_MAX_FINGERPRINT 64
#define SDP_MAX_SSRC_GROUP 16

/* The section index of the session level. */
#define SDP_SESSION ((size_t)-1)

struct sdp;

/* ---- parsing and generating ------------------------------------------- */

/* Parse p[0..len). Returns 0 with *sdpp set, or EINVAL (NULL arguments),
 * EBADMSG (syntax: reason names the line), E2BIG (a limit), ENOMEM;
 * reason (may be NULL) is filled on error and emptied on success. */
int sdp_parse(struct sdp **sdpp, const char *p, size_t len, char *reason,
	      size_t reason_size);
void sdp_free(struct sdp *sdp);

/* Write the message into buf (NUL-terminated when size > 0); *lenp (may be
 * NULL) gets the full length without the NUL even when buf is too small
 * (ENOSPC). Lines end in CRLF. */
int sdp_generate(const struct sdp *sdp, char *buf, size_t size, size_t *lenp);
/* Same into a malloc'd NUL-terminated buffer. */
int sdp_generate_alloc(const struct sdp *sdp, char **outp, size_t *lenp);

/* ---- lines and attributes of a section -------------------------------- */

size_t sdp_media_count(const struct sdp *sdp);

/* One line of a section; for an a= line name and value are split at the
 * first ':' (value null for a flag such as a=rtcp-mux). */
struct sdp_line {
	char type;          /* 'v', 'o', 'm', 'a', ... */
	struct span text;   /* everything after "x=" */
	struct span name;   /* a= only */
	struct span value;  /* a= only; null for a flag */
};
/* Number of lines of a section (0 for an unknown section). */
size_t sdp_line_count(const struct sdp *sdp, size_t section);
/* The index-th line of a section: ENOENT past the end, EINVAL for an
 * unknown section. */
int sdp_line_at(const struct sdp *sdp, size_t section, size_t index,
		struct sdp_line *line);
/* The nth (0-based) line of that type in the section; ENOENT if none. */
int sdp_line_get(const struct sdp *sdp, size_t section, char type, size_t nth,
		 struct span *text);
/* The nth a=NAME of the section (names compared exactly, as browsers and
 * webrtcbin write them): 0 with its value (null span for a flag), or
 * ENOENT. */
int sdp_attr_get(const struct sdp *sdp, size_t section, const char *name,
		 size_t nth, struct span *value);
bool sdp_attr_has(const struct sdp *sdp, size_t section, const char *name);
/* a=NAME of a media section or, when it has none, of the session level:
 * the attributes an m-line inherits (ICE and DTLS attributes of a SIP
 * softphone, a session-wide direction). ENOENT if neither has it. */
int sdp_attr_inherited(const struct sdp *sdp, size_t media, const char *name,
		       struct span *value);

/* ---- typed session- and media-level lines ----------------------------- */

struct sdp_origin {
	struct span username, session_id, session_version;
	struct span nettype, addrtype, address;
};
int sdp_origin_get(const struct sdp *sdp, struct sdp_origin *origin);
/* s= text. */
struct span sdp_session_name(const struct sdp *sdp);

/* c= of a section (ENOENT if it has none); ttl and count 0 when absent. */
struct sdp_connection {
	struct span nettype, addrtype, address;
	unsigned ttl, count;
};
int sdp_connection_get(const struct sdp *sdp, size_t section,
		       struct sdp_connection *conn);
/* c= of a media section, else the session's (RFC 8866 §5.7). */
int sdp_connection_effective(const struct sdp *sdp, size_t media,
			     struct sdp_connection *conn);

struct sdp_bandwidth {
	struct span type;   /* "AS", "CT", "TIAS", ... */
	unsigned long long value;
};
int sdp_bandwidth_get(const struct sdp *sdp, size_t section, size_t nth,
		      struct sdp_bandwidth *bw);

struct sdp_timing {
	unsigned long long start, stop;
};
int sdp_timing_get(const struct sdp *sdp, size_t nth, struct sdp_timing *t);

struct sdp_media {
	struct span media;   /* "audio", "video", "application" */
	unsigned port;       /* 0: a rejected or disabled m-line */
	unsigned port_count; /* 0 when no "/count" */
	struct span proto;   /* "UDP/TLS/RTP/SAVPF" */
	struct span formats; /* the format list as written */
	size_t format_count;
};
int sdp_media_get(const struct sdp *sdp, size_t media, struct sdp_media *m);
bool sdp_media_rejected(const struct sdp *sdp, size_t media);
/* The index-th format of the m-line as a payload type (ERANGE when that
 * format is not a number 0..127, as for SCTP; ENOENT past the end). */
int sdp_media_payload_at(const struct sdp *sdp, size_t media, size_t index,
			 unsigned *pt);

/* ---- RTP payload attributes (by payload type) ------------------------- */

struct sdp_rtpmap {
	unsigned pt;
	struct span encoding;  /* "opus", "PCMU", "telephone-event" */
	unsigned clock_rate;
	unsigned channels;     /* 0 when not given */
};
int sdp_rtpmap_parse(struct span value, struct sdp_rtpmap *map);
int sdp_rtpmap_get(const struct sdp *sdp, size_t media, unsigned pt,
		   struct sdp_rtpmap *map);
/* The parameters of a=fmtp:PT (ENOENT if none). */
int sdp_fmtp_get(const struct sdp *sdp, size_t media, unsigned pt,
		 struct span *params);
/* One "name=value" of a ';'-separated fmtp parameter list (ENOENT). */
int sdp_fmtp_param(struct span params, const char *name, struct span *value);
/* The nth a=rtcp-fb for PT (those for '*' count too): the text after the
 * payload type, e.g. "nack pli". */
int sdp_rtcp_fb_get(const struct sdp *sdp, size_t media, unsigned pt,
		    size_t nth, struct span *feedback);
/* The first payload type of the m-line's format list whose rtpmap names
 * this encoding (case-insensitive) at this clock rate (0: any); static
 * payload types without rtpmap (0 PCMU, 8 PCMA, 9 G722 at 8000) count.
 * ENOENT if none. Telephone-event: sdp_codec_find(s, m, "telephone-event",
 * 48000, &pt). */
int sdp_codec_find(const struct sdp *sdp, size_t media, const char *encoding,
		   unsigned clock_rate, unsigned *pt);

/* ---- ICE, DTLS, BUNDLE ------------------------------------------------ */

enum sdp_candidate_type {
	SDP_CANDIDATE_HOST,
	SDP_CANDIDATE_SRFLX,
	SDP_CANDIDATE_PRFLX,
	SDP_CANDIDATE_RELAY
};
enum sdp_tcptype {
	SDP_TCPTYPE_NONE,
	SDP_TCPTYPE_ACTIVE,
	SDP_TCPTYPE_PASSIVE,
	SDP_TCPTYPE_SO
};
struct sdp_candidate_ext {
	struct span name, value;
};
struct sdp_candidate {
	struct span foundation;
	unsigned component;          /* 1..256 */
	struct span transport;       /* "udp", "UDP", "tcp" */
	uint32_t priority;
	struct span address;         /* IP address or FQDN (mDNS .local) */
	unsigned port;
	enum sdp_candidate_type type;
	struct span raddr;           /* null when absent */
	unsigned rport;              /* valid when raddr is set */
	enum sdp_tcptype tcptype;
	bool has_generation;
	unsigned long generation;
	size_t ext_count;            /* other pairs, in order */
	struct sdp_candidate_ext ext[SDP_MAX_CANDIDATE_EXT];
};
/* Parse an a=candidate value (RFC 8839 §5.1; with or without the
 * "candidate:" prefix of a trickled candidate). EBADMSG or E2BIG with a
 * reason. */
int sdp_candidate_parse(struct span value, struct sdp_candidate *cand,
			char *reason, size_t reason_size);
/* The nth a=candidate of a section. */
int sdp_candidate_get(const struct sdp *sdp, size_t section, size_t nth,
		      struct sdp_candidate *cand);
/* Write a candidate as an a=candidate value (no "candidate:"), extension
 * pairs in order after the known ones. ENOSPC, lenp as sdp_generate. */
int sdp_candidate_format(const struct sdp_candidate *cand, char *buf,
			 size_t size, size_t *lenp);
const char *sdp_candidate_type_name(enum sdp_candidate_type type);

struct sdp_ice {
	struct span ufrag, pwd;  /* null when absent */
	struct span options;     /* space-separated tokens; null when absent */
};
/* ICE credentials of a media section, each inherited from the session
 * level when the section has none. */
void sdp_ice_get(const struct sdp *sdp, size_t media, struct sdp_ice *ice);

struct sdp_fingerprint {
	struct span algorithm;   /* "sha-256" as written */
	size_t len;
	uint8_t bytes[SDP_MAX_FINGERPRINT];
};
/* Parse "sha-256 AB:CD:..." (hex pairs separated by ':'; the length must
 * match a known hash: md5 16, sha-1 20, sha-224 28, sha-256 32, sha-384
 * 48, sha-512 64). */
int sdp_fingerprint_parse(struct span value, struct sdp_fingerprint *fp,
			  char *reason, size_t reason_size);
/* The nth a=fingerprint of a media section, from the session level when
 * the section has none. */
int sdp_fingerprint_get(const struct sdp *sdp, size_t media, size_t nth,
			struct sdp_fingerprint *fp);

enum sdp_setup {
	SDP_SETUP_NONE,
	SDP_SETUP_ACTIVE,
	SDP_SETUP_PASSIVE,
	SDP_SETUP_ACTPASS,
	SDP_SETUP_HOLDCONN
};
/* a=setup of a media section, inherited from the session level. */
enum sdp_setup sdp_setup_get(const struct sdp *sdp, size_t media);

/* a=mid of a media section (ENOENT without). */
int sdp_mid_get(const struct sdp *sdp, size_t media, struct span *mid);
/* The nth id of a=group:SEMANTICS (e.g. "BUNDLE"); ENOENT past the end
 * or when there is no such group. */
int sdp_group_id(const struct sdp *sdp, const char *semantics, size_t nth,
		 struct span *id);
/* Whether the media section's mid is in a group of those semantics. */
bool sdp_media_in_group(const struct sdp *sdp, size_t media,
			const char *semantics);
/* a=rtcp-mux in the section or at the session level. */
bool sdp_rtcp_mux(const struct sdp *sdp, size_t media);
bool sdp_end_of_candidates(const struct sdp *sdp, size_t media);

/* ---- streams ------------------------------------------------------------ */

struct sdp_ssrc {
	uint32_t ssrc;
	struct span attribute;  /* "cname", "msid" */
	struct span value;      /* null when the attribute has none */
};
int sdp_ssrc_get(const struct sdp *sdp, size_t media, size_t nth,
		 struct sdp_ssrc *ssrc);
struct sdp_ssrc_group {
	struct span semantics;  /* "FID", "SIM" */
	size_t count;
	uint32_t ssrcs[SDP_MAX_SSRC_GROUP];
};
int sdp_ssrc_group_get(const struct sdp *sdp, size_t media, size_t nth,
		       struct sdp_ssrc_group *group);
struct sdp_msid {
	struct span stream, track;  /* track null when absent */
};
int sdp_msid_get(const struct sdp *sdp, size_t media, size_t nth,
		 struct sdp_msid *msid);
struct sdp_extmap {
	unsigned id;            /* 1..4095 */
	struct span direction;  /* null when absent */
	struct span uri;
	struct span attributes; /* null when absent */
};
int sdp_extmap_get(const struct sdp *sdp, size_t media, size_t nth,
		   struct sdp_extmap *ext);

/* ---- direction ---------------------------------------------------------- */

enum sdp_direction {
	SDP_SENDRECV,
	SDP_SENDONLY,
	SDP_RECVONLY,
	SDP_INACTIVE
};
/* The direction of a media section: its own attribute, else the session
 * level's, else sendrecv (RFC 8866 §6.7). */
enum sdp_direction sdp_direction_get(const struct sdp *sdp, size_t media);
/* The direction an answer takes against an offer's (sendonly <->
 * recvonly, RFC 3264 §6.1). */
enum sdp_direction sdp_direction_reverse(enum sdp_direction dir);
const char *sdp_direction_name(enum sdp_direction dir);

/* ---- edits --------------------------------------------------------------
 * Each returns 0, EINVAL (bad index, a value that would not parse back),
 * E2BIG (a limit) or ENOMEM. New a= lines go at the end of the section
 * unless said otherwise. */

/* Add a=NAME[:VALUE] (value NULL: a flag). */
int sdp_attr_add(struct sdp *sdp, size_t section, const char *name,
		 const char *value);
/* Remove every a=NAME of the section; *removed (may be NULL) gets how many. */
int sdp_attr_remove(struct sdp *sdp, size_t section, const char *name,
		    size_t *removed);
/* Set the media section's direction (hold: sendonly, unhold: sendrecv):
 * replaces its direction attribute in place or adds one. */
int sdp_direction_set(struct sdp *sdp, size_t media, enum sdp_direction dir);
/* Add a=mid:MID to a media section that has none (EEXIST if it has one). */
int sdp_mid_add(struct sdp *sdp, size_t media, const char *mid);
/* Copy the session-level attributes webrtcbin wants per media section
 * (setup, ice-ufrag, ice-pwd, ice-options, fingerprint) into a media
 * section that lacks them; *copied (may be NULL) counts the lines added. */
int sdp_media_inherit(struct sdp *sdp, size_t media, size_t *copied);
/* Give every Opus payload of the m-line sprop-stereo=VALUE (0 or 1) in
 * its fmtp, replacing one that is there, adding an fmtp if needed. */
int sdp_opus_stereo_set(struct sdp *sdp, size_t media, bool stereo);
/* Add a=end-of-candidates after the section's last candidate (at the end
 * when it has none); nothing when it is there already. */
int sdp_end_of_candidates_add(struct sdp *sdp, size_t media);
/* Add one to the o= session version, as each new offer or answer of a
 * session needs (RFC 3264 §8); ERANGE when it would not fit 64 bits. */
int sdp_origin_version_bump(struct sdp *sdp);

#endif
