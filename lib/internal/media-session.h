/* Private to the media session files (media.c, media-io.c, media-sdp.c):
 * the session object and the functions they share. Never installed. */
#ifndef SIPWS_INTERNAL_MEDIA_SESSION_H
#define SIPWS_INTERNAL_MEDIA_SESSION_H

#include <stdbool.h>

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include "media.h"

/* The audio codec and payload types of the session. */
struct media_codec_choice {
	char name[8]; /* "OPUS", "PCMU", "PCMA" */
	int pt;
	int clock;
	int te_pt;    /* telephone-event payload type, -1: none */
	int te_clock;
	int video_pt; /* VP8, -1: no video */
};

struct media {
	gint refs;
	gint dead;
	GMutex lock; /* verified, valves */

	struct media_config cfg; /* deep copy */
	media_event_h *h;
	void *arg;

	GstElement *pipe, *webrtc;
	GstElement *dtmfsrc;
	GstElement *dtmfmux; /* its events go in through the mux's src pad */
	GstElement *wavenc;        /* MEDIA_SINK_WAV */
	GstElement *recv_head;     /* where a decoded audio pad links */
	gint recv_linked;
	gint video_linked;
	gint video_sent, video_received, video_frames; /* counted by probes */
	GstElement *valves[3];     /* send audio, send video, receive */
	/* A file or descriptor waits here (audio, video). */
	GstPad *held_pad[2];
	gulong held_probe[2];
	bool verified;
	gint dtls_checked;
	gint first_audio;
	GObject *watched[4];
	unsigned watched_count;
	guint bus_watch;

	struct media_codec_choice codec;
	GstCaps *decline[4]; /* video m-lines of the offer we decline */
	unsigned decline_count;
	char *remote_fingerprint; /* "sha-256 AB:..." */
	char **local_mids;        /* mids of our last local description */

	/* Direction (MEDIA_DIR_* bits). webrtcbin 1.22 refuses direction
	 * changes in a renegotiation ("not implemented"), so re-offers with
	 * the same ICE credentials (hold, unhold, a softphone's re-INVITE
	 * with the nominated candidates) are answered here from the current
	 * description; the valves do what the direction says. */
	unsigned dir;          /* in force */
	unsigned dir_offered;  /* our pending re-offer's */
	bool reoffer_pending;  /* we sent a re-offer made here */
	guint sdp_version;
	char *remote_ufrag;

	bool sdp_pending; /* a local description waits for gathering */
	bool sdp_offer;
	bool failed;
	bool hold;
	bool video_declined; /* the answer made our video inactive */

	char dtmf_queue[64];
	size_t dtmf_pos;
	unsigned dtmf_ms;
	/* An event's length in telephone-event clock units and in ms
	 * (atomic), and the event being sent (rtpdtmfsrc's streaming
	 * thread): its RTP timestamp, first packet's PTS, end packets, and
	 * whether it is cut here. */
	gint dtmf_units;
	gint dtmf_event_ms;
	guint32 dtmf_ts;
	GstClockTime dtmf_start;
	unsigned dtmf_ends;
	bool dtmf_cut;
	bool dtmf_on;
	guint dtmf_timer;
	guint connect_timer;

	/* media-io.c: mute, play, the received level (main context only,
	 * but level_db and level_us, under lock) */
	GstElement *volume;      /* mutes what is sent */
	GstElement *mixer;       /* live sources: the source and a played one */
	GstPad *mix_source;      /* the source's pad on the mixer */
	GstElement *play_bin;    /* what media_play() sends, NULL: none */
	GstPad *play_pad;        /* its pad on the mixer */
	guint play_serial;       /* which play an EOS or an error is of */
	gint64 mix_end;          /* the mixer's last output ends (under lock) */
	double level_db;         /* the received audio's RMS, dBFS */
	gint64 level_us;         /* when it was measured */
};

void media_post(struct media *m, void (*fn)(struct media *m, void *data),
		void *data, void (*data_free)(void *data));
void media_fail(struct media *m, int err, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);
void media_signal(struct media *m, enum media_event_type type);
void media_gate(struct media *m, bool verified);
/* With m->lock held: whether valve slot (0, 1 send; 2 receive) is open. */
bool media_gate_open_locked(const struct media *m, unsigned slot);

/* media-io.c: configuration, sources, sinks, the RTP chains. */
int media_config_copy(struct media_config *dst, const struct media_config *src);
void media_config_release(struct media_config *cfg);
char *media_ice_server_uri(const struct media_ice_server *srv);
int media_io_build(struct media *m);
void media_io_pad_added(GstElement *webrtc, GstPad *pad, gpointer p);
void media_io_finish(struct media *m);
/* A bus message of the audio paths (the received level, a played file's
 * end or error): true when it was one. */
bool media_io_bus(struct media *m, GstMessage *msg);
/* The session is freed: the references media-io.c holds. */
void media_io_release(struct media *m);
/* The received level for media_stats (-INFINITY: no audio lately). */
double media_io_level(struct media *m);

#define MEDIA_DIR_SEND 1u
#define MEDIA_DIR_RECV 2u

/* media-sdp.c: the SDP edits webrtcbin 1.22 needs. */
unsigned media_sdp_direction(const GstSDPMessage *sdp);
char *media_sdp_redirect(struct media *m, unsigned dir, bool answer);
const char *media_sdp_ufrag(const GstSDPMessage *sdp);
/* Whether the first video section is inactive or rejected. */
bool media_sdp_video_inactive(const GstSDPMessage *sdp);
void media_codec_default(struct media *m);
/* Adds a=end-of-candidates; returns how many a=candidate there are. */
unsigned media_sdp_end_candidates(GstSDPMessage *sdp);
void media_sdp_local_edit(struct media *m, GstSDPMessage *sdp);
int media_sdp_remote_edit(struct media *m, GstSDPMessage *sdp, bool offer,
			  char *reason, size_t reason_size);
void media_sdp_remember_mids(struct media *m);

#endif
