/* A WebRTC media session (ICE, DTLS-SRTP, Opus, RFC 4733 DTMF) on
 * GStreamer's webrtcbin: offer/answer with whole SDP texts (no trickle),
 * audio sources and sinks, the remote DTLS fingerprint check, statistics.
 * No GStreamer or GLib type shows here. Every event is delivered on GLib's
 * default main context, the one a LOOP_GLIB loop runs. */
#ifndef SIPWS_MEDIA_H
#define SIPWS_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct media;

enum media_source {
	MEDIA_SOURCE_SILENCE = 0,
	MEDIA_SOURCE_TONE,   /* sines at tone_hz[], mixed */
	MEDIA_SOURCE_FILE,   /* anything decodebin reads: source_path */
	MEDIA_SOURCE_FD,     /* raw s16le, 48 kHz, mono from source_fd */
	MEDIA_SOURCE_DEVICE, /* source_device (PulseAudio name), NULL: default */
};

enum media_sink {
	MEDIA_SINK_NONE = 0,
	MEDIA_SINK_WAV,    /* a WAV file at sink_path (s16le 48 kHz mono) */
	MEDIA_SINK_FD,     /* raw s16le, 48 kHz, mono to sink_fd */
	MEDIA_SINK_DEVICE, /* sink_device (PulseAudio name), NULL: default */
};

enum media_video {
	MEDIA_VIDEO_NONE = 0,
	MEDIA_VIDEO_PATTERN, /* a test pattern */
	MEDIA_VIDEO_DEVICE,  /* a V4L2 device at video_path (/dev/videoN) */
	MEDIA_VIDEO_FILE,    /* anything decodebin reads at video_path; its
			      * first video stream, once (then no more
			      * frames; the call goes on) */
};

/* A STUN or TURN server as config.js (turn_servers) names it: urls
 * "stun:host:port", "turn:host:port", "turns:host:port", with
 * "?transport=tcp" for TURN over TCP; username and credential for TURN. */
struct media_ice_server {
	const char *url;
	const char *username;
	const char *credential;
};

struct media_config {
	enum media_source source;
	const double *tone_hz; /* MEDIA_SOURCE_TONE */
	size_t tone_count;
	const char *source_path;   /* MEDIA_SOURCE_FILE */
	int source_fd;             /* MEDIA_SOURCE_FD */
	const char *source_device; /* MEDIA_SOURCE_DEVICE, may be NULL */

	enum media_sink sink;
	const char *sink_path;   /* MEDIA_SINK_WAV */
	int sink_fd;             /* MEDIA_SINK_FD */
	const char *sink_device; /* MEDIA_SINK_DEVICE, may be NULL */

	/* Offer or accept VP8 video (320x240 at 15 frames/s) from this
	 * source; MEDIA_VIDEO_NONE: audio only, a peer's video declined. */
	enum media_video video;
	const char *video_path; /* MEDIA_VIDEO_DEVICE, MEDIA_VIDEO_FILE */

	/* ICE only on these local addresses (libnice's add-local-ip-address;
	 * needed for loopback). None: every interface but loopback. */
	const char *const *ice_addresses;
	size_t ice_address_count;
	const struct media_ice_server *ice_servers;
	size_t ice_server_count;
	bool ice_tcp;    /* also ICE-TCP candidates */
	bool relay_only; /* ice-transport-policy relay */
	unsigned latency_ms; /* jitter buffer, 0: 30 ms */
	/* From offer/answer complete to the fingerprint checked; then
	 * MEDIA_EVENT_FAILED with ETIMEDOUT. 0: 10 s. */
	unsigned connect_timeout_ms;
};

enum media_event_type {
	/* sdp holds our offer or answer, every candidate included. */
	MEDIA_EVENT_SDP,
	/* The first decoded audio after the remote fingerprint matched. */
	MEDIA_EVENT_CONNECTED,
	/* An RFC 4733 event from the peer: dtmf (0-9 * # A-D). */
	MEDIA_EVENT_DTMF,
	/* The session is dead: err and reason say why. EKEYREJECTED: the
	 * peer's DTLS certificate does not match its a=fingerprint;
	 * EHOSTUNREACH: ICE failed or gathered no candidate (a TURN server
	 * refusing us under relay_only); ETIMEDOUT: not connected within
	 * connect_timeout_ms; ECONNABORTED: DTLS failed; EIO (or ENOENT):
	 * the source or sink failed. */
	MEDIA_EVENT_FAILED,
	/* The source ended (end of file or of the descriptor's data). */
	MEDIA_EVENT_ENDED,
	/* What media_play() sends ended (err 0: silence follows) or could
	 * not be played (err EIO, reason says why); the session goes on. */
	MEDIA_EVENT_PLAYED,
};

struct media_event {
	enum media_event_type type;
	const char *sdp;  /* MEDIA_EVENT_SDP */
	bool sdp_offer;   /* MEDIA_EVENT_SDP: an offer (else an answer) */
	char dtmf;        /* MEDIA_EVENT_DTMF */
	int err;          /* MEDIA_EVENT_FAILED, MEDIA_EVENT_PLAYED */
	const char *reason; /* MEDIA_EVENT_FAILED, MEDIA_EVENT_PLAYED */
};

/* Called on the default GLib main context. The session may be freed from
 * inside the handler. */
typedef void(media_event_h)(const struct media_event *ev, void *arg);

struct media_stats {
	/* Every stream's RTP, audio and video. */
	uint64_t packets_sent, bytes_sent;
	uint64_t packets_received, bytes_received;
	int64_t packets_lost; /* as the receiver counts them; 0 when none */
	double jitter_ms;     /* inbound interarrival jitter */
	double rtt_ms;        /* from RTCP, -1 when unknown */
	/* The received audio's RMS level in dBFS over the last 0.1 s,
	 * -INFINITY when none came in the last second. */
	double level_db;
	/* The video part: RTP packets handed to and from the transport,
	 * and VP8 frames decoded. */
	bool video;           /* video negotiated */
	uint64_t video_packets_sent, video_packets_received;
	uint64_t video_frames_decoded;
};

/* Initialise GStreamer and start making the process's DTLS certificate in
 * the background (~0.2 s, up to 1 s under load): call it first thing.
 * Returns 0, or ENOENT when a needed GStreamer plugin is missing. */
int media_prepare(void);
/* Wait until the background work media_prepare() started is over (the
 * certificate made, the plugins loaded): before the process exits, so
 * that exit's clean-up (OpenSSL's among others) never races it. */
void media_prepare_wait(void);

/* A session, idle until media_offer() or media_answer(). Copies cfg.
 * Returns 0, EINVAL, ENOMEM, or ENOENT (plugin missing). */
int media_alloc(struct media **mp, const struct media_config *cfg,
		media_event_h *h, void *arg);
/* Stops sending and recording (a WAV file is finished) and frees. */
void media_free(struct media *m);

/* Make an offer: it comes as MEDIA_EVENT_SDP, or MEDIA_EVENT_FAILED
 * (ENOENT, EACCES or EIO, with the reason) when a source cannot be
 * opened (a video device that is missing or no camera). Returns 0 or
 * errno (ENOENT: a plugin missing). */
int media_offer(struct media *m);
/* Answer a remote offer (first or a re-offer): the answer comes as
 * MEDIA_EVENT_SDP. A re-offer (hold, unhold, a softphone's re-INVITE
 * with its nominated candidates, in any order with the ACK) is answered
 * from the current description with the complementary direction;
 * ENOTSUP for an ICE restart or a new certificate. Returns 0, EPROTO
 * (unusable SDP: reason filled), ENOTSUP, media_offer()'s source errors
 * (reason filled) or errno. reason may be NULL. */
int media_answer(struct media *m, const char *offer, char *reason,
		 size_t reason_size);
/* Take the peer's answer to our offer or re-offer. Returns 0, EPROTO,
 * ENOTSUP or errno. */
int media_set_answer(struct media *m, const char *answer, char *reason,
		     size_t reason_size);
/* Hold (a=sendonly: we stop playing, the peer should stop sending) or
 * resume: a re-offer comes as MEDIA_EVENT_SDP; give the answer to
 * media_set_answer(). Returns 0, EINVAL (not negotiated yet) or EPROTO. */
int media_hold(struct media *m, bool hold);
/* Send RFC 4733 events for digits (0-9 * # A-D), each lasting
 * duration_ms (0: 100 ms) with a 50 ms gap, at the audio codec's clock
 * rate (rtpdtmfmux's rule: a peer offering Opus with telephone-event/8000
 * only gets none). Returns 0, EINVAL, E2BIG (over 63 queued), EAGAIN (not
 * connected yet, on hold, or the peer takes no telephone-event). */
int media_dtmf_send(struct media *m, const char *digits, unsigned duration_ms);
/* Send silence instead of the source (the stream goes on, DTMF too) or
 * the source again. Returns 0 or EINVAL. */
int media_mute(struct media *m, bool mute);
/* Send what instead of the source from now on: a file (anything
 * decodebin reads) or "tone:HZ". When it ends, silence is sent (until the
 * next media_play()) and MEDIA_EVENT_PLAYED comes with err 0; a file
 * that cannot be decoded gives MEDIA_EVENT_PLAYED with EIO and the
 * source is sent again. A play
 * replaces the one before. Needs a live source (silence, tone, device):
 * ENOTSUP with a file or descriptor source. Returns 0, EINVAL (not built
 * yet, a bad tone), ENOTSUP, or access(2)'s errno (ENOENT, EACCES). */
int media_play(struct media *m, const char *what);
/* Statistics now (waits for webrtcbin, a few ms). Returns 0 or errno. */
int media_stats_get(struct media *m, struct media_stats *st);
/* Check a PEM certificate against an a=fingerprint value ("sha-256
 * AB:CD:..."; any hash OpenSSL knows, case-insensitive). Returns 0 when
 * it matches, EKEYREJECTED when not, EINVAL for an unknown hash, an
 * unreadable certificate or a malformed value. */
int media_fingerprint_check(const char *pem, const char *fingerprint);
/* The negotiated audio codec ("OPUS", "PCMU", "PCMA"), or NULL. */
const char *media_codec(const struct media *m);

#endif
