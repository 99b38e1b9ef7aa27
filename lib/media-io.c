/* Sources, sinks and the RTP chains around webrtcbin: what is sent
 * (tone, file, raw descriptor, device, silence; Opus or G.711 with
 * RFC 4733 events mixed in) and what is done with what arrives (WAV file,
 * raw descriptor, device, nothing; RFC 4733 events to the bus). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The level element's rms field is a GValueArray. */
#define GLIB_DISABLE_DEPRECATION_WARNINGS
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "internal/media-session.h"

/* ---- configuration -------------------------------------------------- */

int media_config_copy(struct media_config *dst, const struct media_config *src)
{
	*dst = *src;
	if (src->tone_count && !src->tone_hz)
		return EINVAL;
	if ((src->source == MEDIA_SOURCE_FILE && !src->source_path) ||
	    (src->sink == MEDIA_SINK_WAV && !src->sink_path) ||
	    (src->source == MEDIA_SOURCE_FD && src->source_fd < 0) ||
	    (src->sink == MEDIA_SINK_FD && src->sink_fd < 0))
		return EINVAL;
	dst->tone_hz = src->tone_count
			       ? g_memdup2(src->tone_hz,
					   src->tone_count * sizeof(double))
			       : NULL;
	if ((src->video == MEDIA_VIDEO_DEVICE ||
	     src->video == MEDIA_VIDEO_FILE) &&
	    !src->video_path)
		return EINVAL;
	dst->source_path = g_strdup(src->source_path);
	dst->video_path = g_strdup(src->video_path);
	dst->source_device = g_strdup(src->source_device);
	dst->sink_path = g_strdup(src->sink_path);
	dst->sink_device = g_strdup(src->sink_device);
	{
		char **addrs = g_new0(char *, src->ice_address_count + 1);

		for (size_t i = 0; i < src->ice_address_count; i++)
			addrs[i] = g_strdup(src->ice_addresses[i]);
		dst->ice_addresses = (const char *const *)addrs;
	}
	{
		struct media_ice_server *srv =
			g_new0(struct media_ice_server,
			       src->ice_server_count + 1);

		for (size_t i = 0; i < src->ice_server_count; i++) {
			srv[i].url = g_strdup(src->ice_servers[i].url);
			srv[i].username = g_strdup(src->ice_servers[i].username);
			srv[i].credential =
				g_strdup(src->ice_servers[i].credential);
		}
		dst->ice_servers = srv;
	}
	return 0;
}

void media_config_release(struct media_config *cfg)
{
	struct media_ice_server *srv = (struct media_ice_server *)cfg->ice_servers;

	g_free((void *)cfg->tone_hz);
	g_free((void *)cfg->source_path);
	g_free((void *)cfg->video_path);
	g_free((void *)cfg->source_device);
	g_free((void *)cfg->sink_path);
	g_free((void *)cfg->sink_device);
	g_strfreev((char **)cfg->ice_addresses);
	for (size_t i = 0; srv && i < cfg->ice_server_count; i++) {
		g_free((void *)srv[i].url);
		g_free((void *)srv[i].username);
		g_free((void *)srv[i].credential);
	}
	g_free(srv);
	memset(cfg, 0, sizeof(*cfg));
}

/* config.js's "turn:host:port?transport=tcp" with username and credential
 * -> webrtcbin's "turn://user:pass@host:port?transport=tcp". */
char *media_ice_server_uri(const struct media_ice_server *srv)
{
	const char *scheme, *rest;
	char *user, *pass, *uri;

	if (!srv->url)
		return NULL;
	if (g_str_has_prefix(srv->url, "stun:"))
		scheme = "stun";
	else if (g_str_has_prefix(srv->url, "turns:"))
		scheme = "turns";
	else if (g_str_has_prefix(srv->url, "turn:"))
		scheme = "turn";
	else
		return NULL;
	rest = srv->url + strlen(scheme) + 1;
	while (*rest == '/')
		rest++;
	if (!strcmp(scheme, "stun") || !srv->username)
		return g_strdup_printf("%s://%s", scheme, rest);
	user = g_uri_escape_string(srv->username, NULL, FALSE);
	pass = g_uri_escape_string(srv->credential ? srv->credential : "",
				   NULL, FALSE);
	uri = g_strdup_printf("%s://%s:%s@%s", scheme, user, pass, rest);
	g_free(user);
	g_free(pass);
	return uri;
}

/* ---- helpers -------------------------------------------------------- */

static GstElement *make_in(GstElement *bin, const char *factory, int *err)
{
	GstElement *e = gst_element_factory_make(factory, NULL);

	if (!e) {
		*err = ENOENT;
		return NULL;
	}
	gst_bin_add(GST_BIN(bin), e);
	return e;
}

static GstElement *make(struct media *m, const char *factory, int *err)
{
	return make_in(m->pipe, factory, err);
}

/* Link a NULL-terminated chain; returns the last element, NULL if any
 * element is missing or a link fails. */
static GstElement *chain(GstElement *first, ...)
{
	GstElement *prev = first, *e;
	va_list ap;

	if (!first)
		return NULL;
	va_start(ap, first);
	while ((e = va_arg(ap, GstElement *))) {
		if (!gst_element_link(prev, e)) {
			va_end(ap);
			return NULL;
		}
		prev = e;
	}
	va_end(ap);
	return prev;
}

static GstElement *audio_caps_in(GstElement *bin, int rate, bool s16,
				  int *err)
{
	GstElement *f = make_in(bin, "capsfilter", err);
	GstCaps *caps;

	if (!f)
		return NULL;
	caps = gst_caps_new_simple("audio/x-raw", "rate", G_TYPE_INT, rate,
				   "channels", G_TYPE_INT, 1, NULL);
	if (s16)
		gst_caps_set_simple(caps, "format", G_TYPE_STRING, "S16LE",
				    "layout", G_TYPE_STRING, "interleaved",
				    NULL);
	g_object_set(f, "caps", caps, NULL);
	gst_caps_unref(caps);
	return f;
}

static GstElement *audio_caps(struct media *m, int rate, bool s16, int *err)
{
	return audio_caps_in(m->pipe, rate, s16, err);
}

static GstElement *valve(struct media *m, int slot, int *err)
{
	GstElement *v = make(m, "valve", err);

	if (!v)
		return NULL;
	/* Closed until the fingerprint matched; caps still pass. */
	g_object_set(v, "drop-mode", 1, "drop", TRUE, NULL);
	g_mutex_lock(&m->lock);
	m->valves[slot] = v;
	if (media_gate_open_locked(m, (unsigned)slot))
		g_object_set(v, "drop", FALSE, NULL);
	g_mutex_unlock(&m->lock);
	return v;
}

static bool link_to_webrtc(struct media *m, GstElement *from, GstCaps *caps)
{
	GstPadTemplate *templ = gst_element_class_get_pad_template(
		GST_ELEMENT_GET_CLASS(m->webrtc), "sink_%u");
	GstPad *sink = gst_element_request_pad(m->webrtc, templ, NULL, caps);
	GstPad *src = gst_element_get_static_pad(from, "src");
	GObject *trans = NULL;
	bool ok;

	if (!sink || !src) {
		if (sink)
			gst_object_unref(sink);
		if (src)
			gst_object_unref(src);
		return false;
	}
	/* Our payload types and codec, also when answering. */
	if (g_object_class_find_property(G_OBJECT_GET_CLASS(sink),
					 "transceiver"))
		g_object_get(sink, "transceiver", &trans, NULL);
	if (trans) {
		g_object_set(trans, "codec-preferences", caps, NULL);
		g_object_unref(trans);
	}
	ok = gst_pad_link(src, sink) == GST_PAD_LINK_OK;
	gst_object_unref(src);
	gst_object_unref(sink);
	return ok;
}

/* ---- sources -------------------------------------------------------- */

/* The mixer's wait for a device's audio beyond the latency it reports. */
#define DEVICE_MARGIN_NS (100 * GST_MSECOND)

/* decodebin's stream of the kind ("audio/", "video/") its data names goes
 * to next: the first one only. */
static void on_decoded_pad(GstElement *decodebin, GstPad *pad, gpointer p)
{
	GstElement *next = p;
	GstPad *sink = gst_element_get_static_pad(next, "sink");
	GstCaps *caps = gst_pad_get_current_caps(pad);
	const char *kind = g_object_get_data(G_OBJECT(decodebin), "sipws-kind");

	if (!caps)
		caps = gst_pad_query_caps(pad, NULL);
	if (g_str_has_prefix(
		    gst_structure_get_name(gst_caps_get_structure(caps, 0)),
		    kind) &&
	    !gst_pad_is_linked(sink))
		gst_pad_link(pad, sink);
	gst_caps_unref(caps);
	gst_object_unref(sink);
}

/* decodebin's first stream of kind ("audio/", "video/") goes to next. */
static void decode_into(GstElement *dec, const char *kind, GstElement *next)
{
	g_object_set_data(G_OBJECT(dec), "sipws-kind", (gpointer)kind);
	g_signal_connect(dec, "pad-added", G_CALLBACK(on_decoded_pad), next);
}

/* The source, linked into convert; *paced for a file or descriptor (held
 * until connected). A tone or silence is not live either: the mixer after
 * it is paced by a clocksync. */
static int build_source(struct media *m, GstElement *convert, bool *paced)
{
	const struct media_config *c = &m->cfg;
	GstElement *src = NULL, *mix = NULL;
	int err = 0;

	*paced = false;
	switch (c->source) {
	case MEDIA_SOURCE_TONE:
		if (c->tone_count > 1) {
			mix = make(m, "audiomixer", &err);
			if (!mix || !gst_element_link(mix, convert))
				return err ? err : EIO;
		}
		for (size_t i = 0; i < c->tone_count; i++) {
			src = make(m, "audiotestsrc", &err);
			if (!src)
				return err;
			/* not live: paced after the mixer (no drop under load) */
			g_object_set(src, "freq", c->tone_hz[i],
				     "volume", 0.5 / (double)c->tone_count,
				     "samplesperbuffer", 960, NULL);
			if (!gst_element_link(src, mix ? mix : convert))
				return EIO;
		}
		if (c->tone_count)
			return 0;
		/* no frequency: silence */
		__attribute__((fallthrough));
	case MEDIA_SOURCE_SILENCE:
		src = make(m, "audiotestsrc", &err);
		if (!src)
			return err;
		g_object_set(src, "wave", 4 /* silence */,
			     "samplesperbuffer", 960, NULL);
		return gst_element_link(src, convert) ? 0 : EIO;
	case MEDIA_SOURCE_FILE: {
		GstElement *dec;

		src = make(m, "filesrc", &err);
		dec = make(m, "decodebin", &err);
		if (!src || !dec)
			return err;
		g_object_set(src, "location", c->source_path, NULL);
		if (!gst_element_link(src, dec))
			return EIO;
		decode_into(dec, "audio/", convert);
		*paced = true;
		return 0;
	}
	case MEDIA_SOURCE_FD: {
		GstElement *parse;

		src = make(m, "fdsrc", &err);
		parse = make(m, "rawaudioparse", &err);
		if (!src || !parse)
			return err;
		g_object_set(src, "fd", c->source_fd, NULL);
		gst_util_set_object_arg(G_OBJECT(parse), "pcm-format", "s16le");
		g_object_set(parse, "use-sink-caps", FALSE, "sample-rate",
			     48000, "num-channels", 1, NULL);
		*paced = true;
		return chain(src, parse, convert, NULL) ? 0 : EIO;
	}
	case MEDIA_SOURCE_DEVICE:
		src = make(m, c->source_device ? "pulsesrc" : "autoaudiosrc",
			   &err);
		if (!src)
			return err;
		if (c->source_device)
			g_object_set(src, "device", c->source_device, NULL);
		return gst_element_link(src, convert) ? 0 : EIO;
	}
	return EINVAL;
}

static GstPadProbeReturn on_source_eos(GstPad *pad, GstPadProbeInfo *info,
				       gpointer p)
{
	(void)pad;
	if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS)
		media_signal(p, MEDIA_EVENT_ENDED);
	return GST_PAD_PROBE_OK;
}

/* Where the mixer is: what media_play() sends starts after it. */
static GstPadProbeReturn on_mixed(GstPad *pad, GstPadProbeInfo *info,
				  gpointer p)
{
	struct media *m = p;
	GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);

	(void)pad;
	if (GST_BUFFER_PTS_IS_VALID(buf)) {
		g_mutex_lock(&m->lock);
		m->mix_end = (gint64)GST_BUFFER_PTS(buf) +
			     (GST_BUFFER_DURATION_IS_VALID(buf)
				      ? (gint64)GST_BUFFER_DURATION(buf)
				      : 0);
		g_mutex_unlock(&m->lock);
	}
	return GST_PAD_PROBE_OK;
}

/* sync-to-first paces the buffers from now on, but leaves their running
 * time where the source started it: after a hold, behind the clock by the
 * ringing and connecting. The same offset on sync's source pad makes what
 * leaves it the pipeline's running time, as the DTMF events are (the
 * payloaders take the RTP timestamps from it; a DTMF event 2 s ahead of
 * the audio was lost in the browser). Called on sync's streaming thread,
 * before the buffer that set it leaves. */
static void on_sync_offset(GObject *sync, GParamSpec *pspec, gpointer p)
{
	GstPad *pad = gst_element_get_static_pad(GST_ELEMENT(sync), "src");
	gint64 offset = 0;

	(void)pspec;
	(void)p;
	g_object_get(sync, "ts-offset", &offset, NULL);
	gst_pad_set_offset(pad, offset);
	gst_object_unref(pad);
}

/* A source that is not live (slot 0 audio, 1 video) waits at sync's sink
 * until the session is verified (media_gate), long after the pipeline is
 * PLAYING. Its first buffer must not reach sync before: sync-to-first
 * takes its offset from the clock and the base time the first buffer
 * finds, and a buffer coming while the pipeline hands its clock out but
 * not yet its base time took an offset of the whole clock time (the
 * answerer of a webrtc-check pair waited hours for its first buffer, one
 * run in about a hundred). */
static void hold_until_verified(struct media *m, unsigned slot,
				GstElement *sync)
{
	g_object_set(sync, "sync-to-first", TRUE, NULL);
	g_signal_connect(sync, "notify::ts-offset", G_CALLBACK(on_sync_offset),
			 NULL);
	m->held_pad[slot] = gst_element_get_static_pad(sync, "sink");
	m->held_probe[slot] = gst_pad_add_probe(
		m->held_pad[slot],
		GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER |
			GST_PAD_PROBE_TYPE_BUFFER_LIST,
		NULL, NULL, NULL);
}

/* rtpdtmfsrc sends an event for 250 ms at least, then holds the audio
 * back 100 ms more (its MIN_PULSE_DURATION, MIN_INTER_DIGIT_INTERVAL):
 * a 100 ms digit went out as 270 ms of event and 100 ms of nothing, and
 * a browser played one tone into the next ("11" was heard as one long
 * "1"). Its packets are cut here to the asked length: the one that
 * reaches it ends the event (E bit, duration), the next two repeat that
 * end (RFC 4733, 2.5.1.4) and the rest of the event never reaches the
 * mux. rtpdtmfmux holds the audio back until the end of a packet's
 * duration: the first end packet's lasts to the event's end, the others
 * have none, and the audio comes back at once. Runs on rtpdtmfsrc's
 * streaming thread. */
static GstPadProbeReturn on_dtmf_packet(GstPad *pad, GstPadProbeInfo *info,
					gpointer p)
{
	struct media *m = p;
	GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
	GstClockTime pts = GST_BUFFER_PTS(buf), until;
	GstMapInfo map;
	guint32 ts;
	size_t head;
	unsigned duration, units;
	bool end;

	(void)pad;
	if (!gst_buffer_map(buf, &map, GST_MAP_READ))
		return GST_PAD_PROBE_OK;
	/* RTP header: 12 bytes, the CSRCs, an extension; 4 bytes of event. */
	head = map.size >= 12 ? 12 + 4u * (map.data[0] & 0x0f) : map.size;
	if (map.size >= 12 && (map.data[0] & 0x10) && head + 4 <= map.size)
		head += 4 + 4u * ((map.data[head + 2] << 8) | map.data[head + 3]);
	if (map.size < 12 || head + 4 > map.size) {
		gst_buffer_unmap(buf, &map);
		return GST_PAD_PROBE_OK;
	}
	ts = (guint32)map.data[4] << 24 | (guint32)map.data[5] << 16 |
	     (guint32)map.data[6] << 8 | map.data[7];
	end = map.data[head + 1] & 0x80;
	duration = (unsigned)map.data[head + 2] << 8 | map.data[head + 3];
	gst_buffer_unmap(buf, &map);

	if (ts != m->dtmf_ts || !GST_CLOCK_TIME_IS_VALID(m->dtmf_start)) {
		m->dtmf_ts = ts;
		m->dtmf_start = pts;
		m->dtmf_ends = 0;
		m->dtmf_cut = false;
	}
	units = (unsigned)g_atomic_int_get(&m->dtmf_units);
	if (m->dtmf_ends >= 3)
		return GST_PAD_PROBE_DROP;
	if (!m->dtmf_ends && !end && units && duration >= units)
		m->dtmf_cut = true;
	if (!m->dtmf_cut && !end)
		return GST_PAD_PROBE_OK;
	buf = gst_buffer_make_writable(buf);
	GST_PAD_PROBE_INFO_DATA(info) = buf;
	if (m->dtmf_cut && gst_buffer_map(buf, &map, GST_MAP_WRITE)) {
		map.data[head + 1] |= 0x80;
		map.data[head + 2] = (guint8)(units >> 8);
		map.data[head + 3] = (guint8)units;
		gst_buffer_unmap(buf, &map);
	}
	until = m->dtmf_start +
		(GstClockTime)g_atomic_int_get(&m->dtmf_event_ms) * GST_MSECOND;
	GST_BUFFER_DURATION(buf) =
		!m->dtmf_ends && GST_CLOCK_TIME_IS_VALID(m->dtmf_start) &&
				GST_CLOCK_TIME_IS_VALID(pts) && until > pts
			? until - pts
			: 0;
	m->dtmf_ends++;
	return GST_PAD_PROBE_OK;
}

static int build_send_audio(struct media *m)
{
	struct media_codec_choice *c = &m->codec;
	GstElement *convert, *resample, *caps, *sync = NULL, *enc, *pay, *mux,
		*gate, *last, *mixcaps = NULL;
	GstCaps *rtp;
	GstPad *pad;
	bool paced;
	int err = 0;
	bool opus = !strcmp(c->name, "OPUS");

	convert = make(m, "audioconvert", &err);
	resample = make(m, "audioresample", &err);
	caps = audio_caps(m, c->clock, false, &err);
	enc = make(m, opus ? "opusenc" : c->name[3] == 'U' ? "mulawenc"
							    : "alawenc",
		   &err);
	pay = make(m, opus ? "rtpopuspay" : c->name[3] == 'U' ? "rtppcmupay"
							       : "rtppcmapay",
		   &err);
	mux = make(m, "rtpdtmfmux", &err);
	m->volume = make(m, "volume", &err);
	gate = valve(m, 0, &err);
	if (err)
		return err;
	err = build_source(m, convert, &paced);
	if (err)
		return err;
	if (!paced) {
		/* A tone, silence or a device goes through a mixer, where
		 * media_play() adds what it plays in its place. A device is
		 * live and the mixer keeps its pace; a tone or silence is
		 * paced after the mixer (never dropped as late), from the
		 * start once the session is connected, as a file is. */
		m->mixer = make(m, "audiomixer", &err);
		mixcaps = audio_caps(m, c->clock, true, &err);
		if (err)
			return err;
		gst_util_set_object_arg(G_OBJECT(m->mixer),
					"start-time-selection", "first");
		/* A device's buffers come later than it says under load: a
		 * margin, or the mixer drops every one of them as late. */
		if (m->cfg.source == MEDIA_SOURCE_DEVICE)
			g_object_set(m->mixer, "latency",
				     (guint64)DEVICE_MARGIN_NS, NULL);
		else if (!(sync = make(m, "clocksync", &err)))
			return err;
		else
			hold_until_verified(m, 0, sync);
	} else {
		/* A file or descriptor is read at the pace of the clock, from
		 * its start once the session is connected: held back until
		 * then, its clock starting with its first buffer. */
		sync = make(m, "clocksync", &err);
		if (!sync)
			return err;
		hold_until_verified(m, 0, sync);
	}
	g_object_set(pay, "pt", c->pt, NULL);
	if (opus)
		gst_util_set_object_arg(G_OBJECT(enc), "audio-type", "voice");
	/* The valve before the encoder: what it holds back leaves no gap in
	 * the RTP sequence numbers (the peer would count it as loss). */
	last = !m->mixer ? chain(convert, resample, caps, sync, m->volume, gate,
				 enc, pay, mux, NULL)
	       : sync	 ? chain(convert, resample, caps, m->mixer, mixcaps, sync,
				 m->volume, gate, enc, pay, mux, NULL)
			 : chain(convert, resample, caps, m->mixer, mixcaps,
				 m->volume, gate, enc, pay, mux, NULL);
	if (!last)
		return EIO;
	if (m->mixer) {
		pad = gst_element_get_static_pad(caps, "src");
		m->mix_source = gst_pad_get_peer(pad);
		gst_object_unref(pad);
		pad = gst_element_get_static_pad(mixcaps, "src");
		gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_mixed, m,
				  NULL);
		gst_object_unref(pad);
	}
	pad = gst_element_get_static_pad(caps, "src");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
			  on_source_eos, m, NULL);
	gst_object_unref(pad);
	if (c->te_pt >= 0) {
		GstPad *src, *sink;

		m->dtmfsrc = make(m, "rtpdtmfsrc", &err);
		if (!m->dtmfsrc)
			return err;
		m->dtmfmux = mux;
		g_object_set(m->dtmfsrc, "pt", c->te_pt, "clock-rate",
			     c->te_clock, NULL);
		src = gst_element_get_static_pad(m->dtmfsrc, "src");
		m->dtmf_start = GST_CLOCK_TIME_NONE;
		gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER,
				  on_dtmf_packet, m, NULL);
		sink = gst_element_request_pad_simple(mux, "priority_sink_%u");
		if (!sink || gst_pad_link(src, sink) != GST_PAD_LINK_OK)
			err = EIO;
		gst_object_unref(src);
		if (sink)
			gst_object_unref(sink);
		if (err)
			return err;
		/* Started by the first digit: its caps on the mux would
		 * otherwise race with the audio's, and webrtcbin offers what
		 * its pad saw last (telephone-event alone). */
		gst_element_set_locked_state(m->dtmfsrc, TRUE);
	}
	rtp = gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING,
				  "audio", "encoding-name", G_TYPE_STRING,
				  c->name, "payload", G_TYPE_INT, c->pt,
				  "clock-rate", G_TYPE_INT, c->clock, NULL);
	if (opus)
		gst_caps_set_simple(rtp, "encoding-params", G_TYPE_STRING, "2",
				    NULL);
	/* The events share the stream: webrtcbin's pad must take them. */
	if (c->te_pt >= 0)
		gst_caps_append_structure(
			rtp, gst_structure_new("application/x-rtp", "media",
					       G_TYPE_STRING, "audio",
					       "encoding-name", G_TYPE_STRING,
					       "TELEPHONE-EVENT", "payload",
					       G_TYPE_INT, c->te_pt,
					       "clock-rate", G_TYPE_INT,
					       c->te_clock, NULL));
	err = link_to_webrtc(m, mux, rtp) ? 0 : EIO;
	gst_caps_unref(rtp);
	return err;
}

static GstPadProbeReturn count_buffers(GstPad *pad, GstPadProbeInfo *info,
				      gpointer p)
{
	(void)pad;
	g_atomic_int_add((gint *)p,
			 GST_PAD_PROBE_INFO_TYPE(info) &
					 GST_PAD_PROBE_TYPE_BUFFER_LIST
				 ? (gint)gst_buffer_list_length(
					   GST_PAD_PROBE_INFO_BUFFER_LIST(info))
				 : 1);
	return GST_PAD_PROBE_OK;
}

static void count_on(GstElement *e, const char *pad_name, gint *counter)
{
	GstPad *pad = gst_element_get_static_pad(e, pad_name);

	gst_pad_add_probe(pad,
			  GST_PAD_PROBE_TYPE_BUFFER |
				  GST_PAD_PROBE_TYPE_BUFFER_LIST,
			  count_buffers, counter, NULL);
	gst_object_unref(pad);
}

/* The end of a video file is no end of the call (the audio decides):
 * its EOS never reaches webrtcbin. */
static GstPadProbeReturn drop_eos(GstPad *pad, GstPadProbeInfo *info,
				  gpointer p)
{
	(void)pad;
	(void)p;
	return GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS
		       ? GST_PAD_PROBE_DROP
		       : GST_PAD_PROBE_OK;
}

/* The video source, converted to what the encoder takes, linked to
 * scale; returns the element to continue from. */
static GstElement *build_video_source(struct media *m, GstElement *convert,
				      int *err)
{
	const struct media_config *c = &m->cfg;
	GstElement *src, *dec;

	switch (c->video) {
	case MEDIA_VIDEO_DEVICE:
		src = make(m, "v4l2src", err);
		if (!src)
			return NULL;
		g_object_set(src, "device", c->video_path, NULL);
		break;
	case MEDIA_VIDEO_FILE:
		src = make(m, "filesrc", err);
		dec = make(m, "decodebin", err);
		if (!src || !dec)
			return NULL;
		g_object_set(src, "location", c->video_path, NULL);
		if (!gst_element_link(src, dec)) {
			*err = EIO;
			return NULL;
		}
		decode_into(dec, "video/", convert);
		return convert;
	default:
		src = make(m, "videotestsrc", err);
		if (!src)
			return NULL;
		g_object_set(src, "is-live", TRUE, NULL);
		break;
	}
	if (!gst_element_link(src, convert)) {
		*err = EIO;
		return NULL;
	}
	return convert;
}

static int build_send_video(struct media *m)
{
	GstElement *convert, *scale, *rate, *caps, *sync = NULL, *enc, *pay,
		*gate, *last;
	GstCaps *raw, *rtp;
	GstPad *pad;
	int err = 0;

	convert = make(m, "videoconvert", &err);
	scale = make(m, "videoscale", &err);
	rate = make(m, "videorate", &err);
	caps = make(m, "capsfilter", &err);
	enc = make(m, "vp8enc", &err);
	pay = make(m, "rtpvp8pay", &err);
	gate = valve(m, 1, &err);
	if (err || !build_video_source(m, convert, &err))
		return err ? err : EIO;
	if (m->cfg.video == MEDIA_VIDEO_FILE) {
		sync = make(m, "clocksync", &err);
		if (!sync)
			return err;
		hold_until_verified(m, 1, sync);
	}
	raw = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING,
				  "I420", "width", G_TYPE_INT, 320, "height",
				  G_TYPE_INT, 240, "pixel-aspect-ratio",
				  GST_TYPE_FRACTION, 1, 1, "framerate",
				  GST_TYPE_FRACTION, 15, 1, NULL);
	g_object_set(caps, "caps", raw, NULL);
	gst_caps_unref(raw);
	/* Realtime; a key frame every 2 s, so that a receiver that missed
	 * the first (the gate opening, a hold) soon decodes again. */
	g_object_set(enc, "deadline", (gint64)1, "keyframe-max-dist", 30,
		     NULL);
	g_object_set(pay, "pt", m->codec.video_pt, NULL);
	/* The valve before the encoder: its first frame is a key frame. */
	last = sync ? chain(convert, scale, rate, caps, sync, gate, enc, pay,
			    NULL)
		    : chain(convert, scale, rate, caps, gate, enc, pay, NULL);
	if (!last)
		return EIO;
	pad = gst_element_get_static_pad(caps, "src");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, drop_eos,
			  NULL, NULL);
	gst_object_unref(pad);
	count_on(pay, "src", &m->video_sent);
	rtp = gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING,
				  "video", "encoding-name", G_TYPE_STRING,
				  "VP8", "payload", G_TYPE_INT,
				  m->codec.video_pt, "clock-rate", G_TYPE_INT,
				  90000, NULL);
	err = link_to_webrtc(m, pay, rtp) ? 0 : EIO;
	gst_caps_unref(rtp);
	return err;
}

/* ---- sinks ---------------------------------------------------------- */

static GstPadProbeReturn on_first_audio(GstPad *pad, GstPadProbeInfo *info,
					gpointer p)
{
	struct media *m = p;

	(void)pad;
	(void)info;
	if (!g_atomic_int_exchange(&m->first_audio, 1))
		media_signal(m, MEDIA_EVENT_CONNECTED);
	return GST_PAD_PROBE_REMOVE;
}

static int build_recv_audio(struct media *m)
{
	const struct media_config *c = &m->cfg;
	GstElement *convert, *resample, *caps, *gate, *level, *sink, *first;
	GstPad *pad;
	int err = 0;

	convert = make(m, "audioconvert", &err);
	resample = make(m, "audioresample", &err);
	caps = audio_caps(m, 48000, true, &err);
	gate = valve(m, 2, &err);
	level = make(m, "level", &err); /* for media_stats level_db */
	if (err)
		return err;
	switch (c->sink) {
	case MEDIA_SINK_WAV:
		m->wavenc = make(m, "wavenc", &err);
		sink = make(m, "filesink", &err);
		if (err)
			return err;
		g_object_set(sink, "location", c->sink_path, NULL);
		first = m->wavenc;
		if (!gst_element_link(m->wavenc, sink))
			return EIO;
		break;
	case MEDIA_SINK_FD:
		first = sink = make(m, "fdsink", &err);
		if (sink)
			g_object_set(sink, "fd", c->sink_fd, NULL);
		break;
	case MEDIA_SINK_DEVICE:
		first = sink = make(m, c->sink_device ? "pulsesink"
						      : "autoaudiosink",
				    &err);
		if (sink && c->sink_device)
			g_object_set(sink, "device", c->sink_device, NULL);
		break;
	default:
		first = sink = make(m, "fakesink", &err);
		break;
	}
	if (err)
		return err;
	/* Sinks appear in a running live pipeline: no preroll; files and
	 * descriptors are written as audio is decoded. autoaudiosink is a
	 * bin: it takes its sink's preroll on itself. */
	if (g_object_class_find_property(G_OBJECT_GET_CLASS(sink), "async"))
		g_object_set(sink, "async", FALSE, NULL);
	else
		g_object_set(sink, "async-handling", TRUE, NULL);
	if (c->sink != MEDIA_SINK_DEVICE)
		g_object_set(sink, "sync", FALSE, NULL);
	if (!chain(convert, resample, caps, gate, level, first, NULL))
		return EIO;
	pad = gst_element_get_static_pad(gate, "src");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_first_audio, m,
			  NULL);
	gst_object_unref(pad);
	m->recv_head = convert;
	return 0;
}

int media_io_build(struct media *m)
{
	int err;

	if (m->cfg.source == MEDIA_SOURCE_DEVICE ||
	    m->cfg.sink == MEDIA_SINK_DEVICE) {
		/* Not a device's clock (PulseAudio's would be picked): the
		 * mixer, RTP and the device itself keep to the system's. */
		GstClock *clock = gst_system_clock_obtain();

		gst_pipeline_use_clock(GST_PIPELINE(m->pipe), clock);
		gst_object_unref(clock);
	}
	err = build_send_audio(m);

	if (!err && m->codec.video_pt >= 0)
		err = build_send_video(m);
	for (unsigned i = 0; !err && i < m->decline_count; i++) {
		GstWebRTCRTPTransceiver *t = NULL;

		/* Declined video: an inactive transceiver, never a port-0
		 * m-line (that breaks set-local-description in 1.22). */
		g_signal_emit_by_name(m->webrtc, "add-transceiver",
				      GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_INACTIVE,
				      m->decline[i], &t);
		if (t)
			gst_object_unref(t);
	}
	for (unsigned i = 0; i < m->decline_count; i++)
		gst_caps_unref(m->decline[i]);
	m->decline_count = 0;
	if (!err)
		err = build_recv_audio(m);
	return err;
}

/* A streaming thread: webrtcbin has a stream for us. */
void media_io_pad_added(GstElement *webrtc, GstPad *pad, gpointer p)
{
	struct media *m = p;
	GstElement *q, *depay = NULL, *dec = NULL, *video = NULL, *end = NULL;
	const gchar *enc = "";
	GstCaps *caps;
	GstPad *sink;
	int err = 0;

	(void)webrtc;
	if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
		return;
	caps = gst_pad_get_current_caps(pad);
	if (!caps)
		caps = gst_pad_query_caps(pad, NULL);
	if (caps && !gst_caps_is_empty(caps))
		enc = gst_structure_get_string(gst_caps_get_structure(caps, 0),
					       "encoding-name");
	if (!enc)
		enc = "";
	q = make(m, "queue", &err);
	if (!g_ascii_strcasecmp(enc, "OPUS")) {
		depay = make(m, "rtpopusdepay", &err);
		dec = make(m, "opusdec", &err);
	} else if (!g_ascii_strcasecmp(enc, "PCMU")) {
		depay = make(m, "rtppcmudepay", &err);
		dec = make(m, "mulawdec", &err);
	} else if (!g_ascii_strcasecmp(enc, "PCMA")) {
		depay = make(m, "rtppcmadepay", &err);
		dec = make(m, "alawdec", &err);
	} else if (!g_ascii_strcasecmp(enc, "VP8")) {
		/* Decoded and counted, not shown; a second one not even
		 * decoded. Our side asks for a key frame when it lacks one. */
		depay = make(m, "rtpvp8depay", &err);
		if (g_atomic_int_compare_and_exchange(&m->video_linked, 0, 1))
			video = make(m, "vp8dec", &err);
		if (depay)
			g_object_set(depay, "request-keyframe", TRUE,
				     "wait-for-keyframe", TRUE, NULL);
	} else if (!g_ascii_strcasecmp(enc, "TELEPHONE-EVENT")) {
		/* It posts "dtmf-event" messages on the bus. */
		depay = make(m, "rtpdtmfdepay", &err);
	}
	if (caps)
		gst_caps_unref(caps);
	if (err)
		goto fail;
	if (dec && !g_atomic_int_compare_and_exchange(&m->recv_linked, 0, 1))
		dec = NULL; /* a second audio stream is not played */
	if (!dec) {
		end = make(m, "fakesink", &err);
		if (!end)
			goto fail;
		g_object_set(end, "async", FALSE, "sync", FALSE, NULL);
	}
	if (!(depay ? dec     ? chain(q, depay, dec, m->recv_head, NULL)
		      : video ? chain(q, depay, video, end, NULL)
			      : chain(q, depay, end, NULL)
		    : chain(q, end, NULL)))
		goto fail;
	if (video) {
		count_on(q, "sink", &m->video_received);
		count_on(video, "src", &m->video_frames);
		gst_element_sync_state_with_parent(video);
	}
	if (end)
		gst_element_sync_state_with_parent(end);
	if (dec)
		gst_element_sync_state_with_parent(dec);
	if (depay)
		gst_element_sync_state_with_parent(depay);
	gst_element_sync_state_with_parent(q);
	sink = gst_element_get_static_pad(q, "sink");
	if (gst_pad_link(pad, sink) != GST_PAD_LINK_OK)
		err = EIO;
	gst_object_unref(sink);
	if (!err)
		return;
fail:
	media_fail(m, err ? err : EIO, "cannot play the %s stream",
		   *enc ? enc : "incoming");
}

/* Before the pipeline stops: a WAV file gets its final header. */
void media_io_finish(struct media *m)
{
	GstPad *pad;

	if (!m->wavenc || !g_atomic_int_get(&m->first_audio))
		return;
	pad = gst_element_get_static_pad(m->wavenc, "sink");
	gst_pad_send_event(pad, gst_event_new_eos());
	gst_object_unref(pad);
}

/* ---- mute, play, the received level ---------------------------------- */

/* What media_play() sends starts this far ahead of the mixer's clock. */
#define PLAY_LEAD_NS (40 * GST_MSECOND)
#define PLAY_NAME "sipws-play"

int media_mute(struct media *m, bool mute)
{
	if (!m || !m->volume)
		return EINVAL;
	g_object_set(m->volume, "mute", (gboolean)mute, NULL);
	return 0;
}

/* The played branch's first buffer: its time moved to where the mixer is
 * (a file starts at 0; the call's running time is far on). */
static GstPadProbeReturn on_play_first(GstPad *pad, GstPadProbeInfo *info,
				       gpointer p)
{
	struct media *m = p;
	GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
	gint64 at;

	g_mutex_lock(&m->lock);
	at = m->mix_end;
	g_mutex_unlock(&m->lock);
	if (GST_BUFFER_PTS_IS_VALID(buf))
		gst_pad_set_offset(pad, at + (gint64)PLAY_LEAD_NS -
						(gint64)GST_BUFFER_PTS(buf));
	return GST_PAD_PROBE_REMOVE;
}

static void play_ended_main(struct media *m, void *data)
{
	struct media_event ev = {.type = MEDIA_EVENT_PLAYED};

	if (!m->failed && GPOINTER_TO_UINT(data) == m->play_serial &&
	    m->play_bin && m->h)
		m->h(&ev, m->arg);
}

static GstPadProbeReturn on_play_eos(GstPad *pad, GstPadProbeInfo *info,
				     gpointer p)
{
	GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
	struct media *m = g_object_get_data(G_OBJECT(pad), "sipws-media");

	if (GST_EVENT_TYPE(ev) == GST_EVENT_EOS && m)
		media_post(m, play_ended_main, p, NULL);
	return GST_PAD_PROBE_OK;
}

/* The branch of the last media_play() out of the pipeline. */
static void play_stop(struct media *m)
{
	if (!m->play_bin)
		return;
	/* The mixer's pad first: a thread pushing into it is let go. */
	gst_element_release_request_pad(m->mixer, m->play_pad);
	gst_object_unref(m->play_pad);
	m->play_pad = NULL;
	gst_element_set_state(m->play_bin, GST_STATE_NULL);
	gst_bin_remove(GST_BIN(m->pipe), m->play_bin);
	m->play_bin = NULL;
}

/* The source of what is played, linked to convert. */
static int play_source(GstElement *bin, const char *what, double hz,
		       GstElement *convert)
{
	GstElement *src, *dec;
	int err = 0;

	if (hz > 0) {
		/* Not live: the mixer paces it like a file. */
		src = make_in(bin, "audiotestsrc", &err);
		if (!src)
			return err;
		g_object_set(src, "freq", hz, "volume", 0.5,
			     "samplesperbuffer", 960, NULL);
		return gst_element_link(src, convert) ? 0 : EIO;
	}
	src = make_in(bin, "filesrc", &err);
	dec = make_in(bin, "decodebin", &err);
	if (err)
		return err;
	g_object_set(src, "location", what, NULL);
	if (!gst_element_link(src, dec))
		return EIO;
	decode_into(dec, "audio/", convert);
	return 0;
}

int media_play(struct media *m, const char *what)
{
	GstElement *bin, *convert, *resample, *caps;
	GstPad *src, *ghost;
	double hz = 0;
	char name[32];
	int err = 0;

	if (!m || !what || !*what || !m->pipe)
		return EINVAL;
	if (!m->mixer)
		return ENOTSUP;
	if (g_str_has_prefix(what, "tone:")) {
		char *end;

		hz = g_ascii_strtod(what + 5, &end);
		if (end == what + 5 || *end || !(hz >= 1 && hz <= 20000))
			return EINVAL;
	} else if (access(what, R_OK) != 0) {
		return errno;
	}
	play_stop(m);
	snprintf(name, sizeof(name), PLAY_NAME "%u", ++m->play_serial);
	bin = gst_bin_new(name);
	convert = make_in(bin, "audioconvert", &err);
	resample = make_in(bin, "audioresample", &err);
	caps = audio_caps_in(bin, m->codec.clock, false, &err);
	if (!err)
		err = play_source(bin, what, hz, convert);
	if (!err && !chain(convert, resample, caps, NULL))
		err = EIO;
	if (err) {
		gst_object_unref(bin);
		return err;
	}
	src = gst_element_get_static_pad(caps, "src");
	g_object_set_data(G_OBJECT(src), "sipws-media", m);
	gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, on_play_first, m,
			  NULL);
	gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_play_eos,
			  GUINT_TO_POINTER(m->play_serial), NULL);
	ghost = gst_ghost_pad_new("src", src);
	gst_object_unref(src);
	gst_element_add_pad(bin, ghost);
	gst_bin_add(GST_BIN(m->pipe), bin);
	m->play_bin = bin;
	m->play_pad = gst_element_request_pad_simple(m->mixer, "sink_%u");
	if (!m->play_pad || gst_pad_link(ghost, m->play_pad) != GST_PAD_LINK_OK) {
		if (!m->play_pad) {
			gst_bin_remove(GST_BIN(m->pipe), bin);
			m->play_bin = NULL;
			return EIO;
		}
		play_stop(m);
		return EIO;
	}
	/* The source is no longer heard, now or after the end. */
	g_object_set(m->mix_source, "mute", TRUE, NULL);
	gst_element_sync_state_with_parent(bin);
	return 0;
}

/* The bin of a play the message comes from, NULL when none. */
static GstObject *play_of(GstObject *o)
{
	for (; o; o = GST_OBJECT_PARENT(o))
		if (GST_IS_BIN(o) && g_str_has_prefix(GST_OBJECT_NAME(o),
						     PLAY_NAME))
			return o;
	return NULL;
}

static void play_failed_main(struct media *m, void *data)
{
	struct media_event ev = {.type = MEDIA_EVENT_PLAYED, .err = EIO};

	ev.reason = data;
	if (!m->failed && m->h)
		m->h(&ev, m->arg);
}

bool media_io_bus(struct media *m, GstMessage *msg)
{
	const GstStructure *s;

	if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR ||
	    GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING) {
		GstObject *play = play_of(GST_MESSAGE_SRC(msg));
		GError *error = NULL;

		if (!play)
			return false;
		/* An old play's last words, or this play failing: only the
		 * latter is said, and it stops. */
		if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR &&
		    play == GST_OBJECT(m->play_bin)) {
			gst_message_parse_error(msg, &error, NULL);
			media_post(m, play_failed_main,
				   g_strdup(error->message), g_free);
			g_error_free(error);
			play_stop(m);
			/* nothing was played: the source again */
			g_object_set(m->mix_source, "mute", FALSE, NULL);
		}
		return true;
	}
	if (GST_MESSAGE_TYPE(msg) != GST_MESSAGE_ELEMENT)
		return false;
	s = gst_message_get_structure(msg);
	if (!s || !gst_structure_has_name(s, "level"))
		return false;
	{
		const GValue *rms = gst_structure_get_value(s, "rms");
		GValueArray *a = rms ? g_value_get_boxed(rms) : NULL;

		if (a && a->n_values > 0) {
			g_mutex_lock(&m->lock);
			m->level_db = g_value_get_double(
				g_value_array_get_nth(a, 0));
			m->level_us = g_get_monotonic_time();
			g_mutex_unlock(&m->lock);
		}
	}
	return true;
}

double media_io_level(struct media *m)
{
	double db = -INFINITY;

	g_mutex_lock(&m->lock);
	if (m->level_us && g_get_monotonic_time() - m->level_us < G_USEC_PER_SEC)
		db = m->level_db;
	g_mutex_unlock(&m->lock);
	return db;
}

void media_io_release(struct media *m)
{
	if (m->play_pad)
		gst_object_unref(m->play_pad);
	if (m->mix_source)
		gst_object_unref(m->mix_source);
}
