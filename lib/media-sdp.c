/* The SDP edits webrtcbin 1.22 needs, through GstSDPMessage: the codec
 * choice, telephone-event in our descriptions, a=end-of-candidates, and
 * SIP-softphone SDP made acceptable (a=mid, a=setup, sprop-stereo, mDNS
 * candidates). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "internal/media-session.h"

void media_codec_default(struct media *m)
{
	struct media_codec_choice *c = &m->codec;

	snprintf(c->name, sizeof(c->name), "OPUS");
	c->pt = 111;
	c->clock = 48000;
	c->te_pt = 101;
	/* rtpdtmfmux gives the events the audio's clock rate. */
	c->te_clock = c->clock;
	c->video_pt = m->cfg.video ? 96 : -1;
}

unsigned media_sdp_end_candidates(GstSDPMessage *sdp)
{
	unsigned candidates = 0;

	for (guint i = 0; i < gst_sdp_message_medias_len(sdp); i++) {
		GstSDPMedia *media =
			(GstSDPMedia *)gst_sdp_message_get_media(sdp, i);

		guint n = 0;

		while (gst_sdp_media_get_attribute_val_n(media, "candidate", n))
			n++;
		candidates += n;
		/* "" and never NULL: NULL crashed webrtcbin. */
		if (!gst_sdp_media_get_attribute_val(media, "end-of-candidates"))
			gst_sdp_media_add_attribute(media, "end-of-candidates",
						    "");
	}
	return candidates;
}

static GstSDPMedia *sdp_first_audio(const GstSDPMessage *sdp)
{
	for (guint i = 0; i < gst_sdp_message_medias_len(sdp); i++) {
		const GstSDPMedia *media = gst_sdp_message_get_media(sdp, i);

		if (!g_strcmp0(gst_sdp_media_get_media(media), "audio"))
			return (GstSDPMedia *)media;
	}
	return NULL;
}

/* webrtcbin leaves telephone-event out of what it makes. */
void media_sdp_local_edit(struct media *m, GstSDPMessage *sdp)
{
	GstSDPMedia *audio = sdp_first_audio(sdp);
	char pt[16], val[64];

	if (!audio || m->codec.te_pt < 0)
		return;
	bool listed = false;
	const gchar *fmtp;

	snprintf(pt, sizeof(pt), "%d", m->codec.te_pt);
	for (guint i = 0; i < gst_sdp_media_formats_len(audio); i++)
		if (!strcmp(gst_sdp_media_get_format(audio, i), pt))
			listed = true;
	if (!listed) {
		gst_sdp_media_add_format(audio, pt);
		snprintf(val, sizeof(val), "%d telephone-event/%d",
			 m->codec.te_pt, m->codec.te_clock);
		gst_sdp_media_add_attribute(audio, "rtpmap", val);
	}
	for (guint n = 0;
	     (fmtp = gst_sdp_media_get_attribute_val_n(audio, "fmtp", n)); n++)
		if (atoi(fmtp) == m->codec.te_pt)
			return;
	snprintf(val, sizeof(val), "%d 0-15", m->codec.te_pt);
	gst_sdp_media_add_attribute(audio, "fmtp", val);
}

void media_sdp_remember_mids(struct media *m)
{
	GstWebRTCSessionDescription *desc = NULL;
	guint n;

	g_object_get(m->webrtc, "local-description", &desc, NULL);
	if (!desc)
		return;
	g_strfreev(m->local_mids);
	n = gst_sdp_message_medias_len(desc->sdp);
	m->local_mids = g_new0(char *, n + 1);
	for (guint i = 0; i < n; i++)
		m->local_mids[i] = g_strdup(gst_sdp_media_get_attribute_val(
			gst_sdp_message_get_media(desc->sdp, i), "mid"));
	gst_webrtc_session_description_free(desc);
}

/* The payload type of name/clock in a media's rtpmaps, or -1. clock 0:
 * any. */
static int sdp_find_pt(const GstSDPMedia *media, const char *name, int clock)
{
	const gchar *val;

	for (guint n = 0;
	     (val = gst_sdp_media_get_attribute_val_n(media, "rtpmap", n));
	     n++) {
		char enc[32];
		int pt, rate;

		if (sscanf(val, "%d %31[^/]/%d", &pt, enc, &rate) != 3)
			continue;
		if (!g_ascii_strcasecmp(enc, name) && (!clock || rate == clock))
			return pt;
	}
	/* Static payload types need no rtpmap. */
	if (!strcmp(name, "PCMU") || !strcmp(name, "PCMA")) {
		const char *want = name[3] == 'U' ? "0" : "8";

		for (guint i = 0; i < gst_sdp_media_formats_len(media); i++)
			if (!strcmp(gst_sdp_media_get_format(media, i), want))
				return atoi(want);
	}
	return -1;
}

/* Opus, else PCMU, else PCMA; telephone-event at the codec's clock,
 * else at 8000. Video m-lines we do not take get an inactive
 * transceiver. */
static int sdp_choose(struct media *m, const GstSDPMessage *sdp, char *reason,
		      size_t reason_size)
{
	static const struct {
		const char *name;
		int clock;
	} codecs[] = {{"OPUS", 48000}, {"PCMU", 8000}, {"PCMA", 8000}};
	struct media_codec_choice *c = &m->codec;
	const GstSDPMedia *audio = sdp_first_audio(sdp);

	c->pt = -1;
	c->video_pt = -1;
	for (size_t i = 0; audio && i < G_N_ELEMENTS(codecs) && c->pt < 0; i++) {
		c->pt = sdp_find_pt(audio, codecs[i].name, codecs[i].clock);
		snprintf(c->name, sizeof(c->name), "%s", codecs[i].name);
		c->clock = codecs[i].clock;
	}
	if (c->pt < 0) {
		c->name[0] = '\0';
		if (reason)
			snprintf(reason, reason_size,
				 "the offer has no Opus, PCMU or PCMA audio");
		return EPROTO;
	}
	/* Only at the codec's clock rate: rtpdtmfmux gives the events the
	 * audio's (an Opus offer with telephone-event/8000 only gets no
	 * RFC 4733 events from us). */
	c->te_clock = c->clock;
	c->te_pt = sdp_find_pt(audio, "telephone-event", c->clock);
	for (guint i = 0; i < gst_sdp_message_medias_len(sdp); i++) {
		const GstSDPMedia *media = gst_sdp_message_get_media(sdp, i);
		int pt;

		if (g_strcmp0(gst_sdp_media_get_media(media), "video"))
			continue;
		pt = sdp_find_pt(media, "VP8", 90000);
		if (m->cfg.video && c->video_pt < 0 && pt >= 0) {
			c->video_pt = pt;
			continue;
		}
		if (m->decline_count < G_N_ELEMENTS(m->decline) &&
		    gst_sdp_media_formats_len(media) > 0) {
			GstCaps *caps = gst_sdp_media_get_caps_from_media(
				media, atoi(gst_sdp_media_get_format(media, 0)));

			if (caps) {
				GstStructure *s = gst_caps_get_structure(caps, 0);

				gst_structure_set_name(s, "application/x-rtp");
				m->decline[m->decline_count++] = caps;
			}
		}
	}
	return 0;
}

/* fmtp "111 minptime=10;sprop-stereo=1;useinbandfec=1" without
 * sprop-stereo: webrtcbin answers a stereo-sending offer recvonly when
 * we send mono. */
static void sdp_drop_sprop_stereo(GstSDPMedia *media)
{
	for (guint i = 0; i < gst_sdp_media_attributes_len(media); i++) {
		const GstSDPAttribute *a = gst_sdp_media_get_attribute(media, i);
		GString *out;
		GstSDPAttribute repl;
		gchar **params;
		const char *sp;

		if (strcmp(a->key, "fmtp") || !a->value ||
		    !strstr(a->value, "sprop-stereo"))
			continue;
		sp = strchr(a->value, ' ');
		if (!sp)
			continue;
		out = g_string_new_len(a->value, sp - a->value + 1);
		params = g_strsplit(sp + 1, ";", -1);
		bool first = true;
		for (gchar **p = params; *p; p++) {
			if (g_str_has_prefix(g_strstrip(*p), "sprop-stereo"))
				continue;
			g_string_append_printf(out, "%s%s", first ? "" : ";",
					       *p);
			first = false;
		}
		g_strfreev(params);
		gst_sdp_attribute_set(&repl, "fmtp", out->str);
		g_string_free(out, TRUE);
		gst_sdp_media_replace_attribute(media, i, &repl);
	}
}

/* a=candidate:<foundation> <component> <transport> <priority> <address> */
static bool candidate_is_mdns(const char *val)
{
	char addr[256];

	if (!val || sscanf(val, "%*s %*s %*s %*s %255s", addr) != 1)
		return false;
	return g_str_has_suffix(addr, ".local");
}

int media_sdp_remote_edit(struct media *m, GstSDPMessage *sdp, bool offer,
			  char *reason, size_t reason_size)
{
	const gchar *setup = gst_sdp_message_get_attribute_val(sdp, "setup");
	const gchar *fp = gst_sdp_message_get_attribute_val(sdp, "fingerprint");
	const GstSDPMedia *audio;
	int err;

	for (guint i = 0; i < gst_sdp_message_medias_len(sdp); i++) {
		GstSDPMedia *media =
			(GstSDPMedia *)gst_sdp_message_get_media(sdp, i);

		/* SIP softphones: one m-line, no a=mid, ICE and DTLS at
		 * session level. webrtcbin wants a mid and a setup in each
		 * media section. */
		if (!gst_sdp_media_get_attribute_val(media, "mid")) {
			char idx[16];
			const char *mid = idx;

			snprintf(idx, sizeof(idx), "%u", i);
			if (!offer && m->local_mids &&
			    i < g_strv_length(m->local_mids) &&
			    m->local_mids[i])
				mid = m->local_mids[i];
			gst_sdp_media_add_attribute(media, "mid", mid);
		}
		if (setup && !gst_sdp_media_get_attribute_val(media, "setup"))
			gst_sdp_media_add_attribute(media, "setup", setup);
		for (guint a = gst_sdp_media_attributes_len(media); a-- > 0;) {
			const GstSDPAttribute *attr =
				gst_sdp_media_get_attribute(media, a);

			/* mDNS names: nothing here resolves them. */
			if (!strcmp(attr->key, "candidate") &&
			    candidate_is_mdns(attr->value))
				gst_sdp_media_remove_attribute(media, a);
		}
		sdp_drop_sprop_stereo(media);
	}
	audio = sdp_first_audio(sdp);
	if (audio && gst_sdp_media_get_attribute_val(audio, "fingerprint"))
		fp = gst_sdp_media_get_attribute_val(audio, "fingerprint");
	if (!fp) {
		if (reason)
			snprintf(reason, reason_size,
				 "the SDP has no a=fingerprint");
		return EPROTO;
	}
	g_free(m->remote_fingerprint);
	m->remote_fingerprint = g_strdup(fp);
	if (!m->remote_ufrag)
		m->remote_ufrag = g_strdup(media_sdp_ufrag(sdp));
	if (offer && !m->pipe) {
		err = sdp_choose(m, sdp, reason, reason_size);
		if (err)
			return err;
	}
	return 0;
}

static const char *const directions[] = {"inactive", "sendonly", "recvonly",
					 "sendrecv"};

/* The first audio section's direction (else the session's, else
 * sendrecv) as MEDIA_DIR_* bits of the side that wrote the SDP. */
unsigned media_sdp_direction(const GstSDPMessage *sdp)
{
	const GstSDPMedia *audio = sdp_first_audio(sdp);

	for (unsigned d = 0; d < G_N_ELEMENTS(directions); d++)
		if ((audio &&
		     gst_sdp_media_get_attribute_val(audio, directions[d])) ||
		    gst_sdp_message_get_attribute_val(sdp, directions[d]))
			return d;
	return MEDIA_DIR_SEND | MEDIA_DIR_RECV;
}

const char *media_sdp_ufrag(const GstSDPMessage *sdp)
{
	const GstSDPMedia *audio = sdp_first_audio(sdp);
	const gchar *u = audio ? gst_sdp_media_get_attribute_val(audio,
								  "ice-ufrag")
			       : NULL;

	return u ? u : gst_sdp_message_get_attribute_val(sdp, "ice-ufrag");
}

/* Our current local description with the audio direction dir and the
 * next o= version: the text of a re-offer or of an answer to one. */
/* The a=setup value of a description: its first audio section's, else
 * the session level's; NULL when absent. */
static const gchar *sdp_setup(const GstSDPMessage *sdp)
{
	const GstSDPMedia *audio = sdp_first_audio(sdp);
	const gchar *v = audio ? gst_sdp_media_get_attribute_val(audio, "setup")
			       : NULL;

	return v ? v : gst_sdp_message_get_attribute_val(sdp, "setup");
}

/* An answer built from our offer says actpass: the DTLS role is settled
 * (RFC 8842 §5.5), so the answer takes the complement of the peer's. */
static void sdp_setup_settle(GstSDPMessage *sdp, const gchar *remote)
{
	const gchar *ours = g_strcmp0(remote, "passive") ? "passive" : "active";

	for (guint i = 0; i < gst_sdp_message_medias_len(sdp); i++) {
		GstSDPMedia *media = (GstSDPMedia *)gst_sdp_message_get_media(sdp, i);

		for (guint a = gst_sdp_media_attributes_len(media); a-- > 0;) {
			const GstSDPAttribute *attr =
				gst_sdp_media_get_attribute(media, a);
			GstSDPAttribute repl;

			if (strcmp(attr->key, "setup") ||
			    g_strcmp0(attr->value, "actpass"))
				continue;
			gst_sdp_attribute_set(&repl, "setup", ours);
			gst_sdp_media_replace_attribute(media, a, &repl);
		}
	}
	for (guint a = gst_sdp_message_attributes_len(sdp); a-- > 0;) {
		const GstSDPAttribute *attr = gst_sdp_message_get_attribute(sdp, a);
		GstSDPAttribute repl;

		if (strcmp(attr->key, "setup") || g_strcmp0(attr->value, "actpass"))
			continue;
		gst_sdp_attribute_set(&repl, "setup", ours);
		gst_sdp_message_replace_attribute(sdp, a, &repl);
	}
}

char *media_sdp_redirect(struct media *m, unsigned dir, bool answer)
{
	GstWebRTCSessionDescription *desc = NULL, *remote = NULL;
	const GstSDPOrigin *o;
	GstSDPMessage *sdp;
	GstSDPMedia *audio;
	char version[24];
	char *text;

	g_object_get(m->webrtc, "local-description", &desc, NULL);
	if (!desc)
		return NULL;
	gst_sdp_message_copy(desc->sdp, &sdp);
	if (answer && desc->type == GST_WEBRTC_SDP_TYPE_OFFER) {
		g_object_get(m->webrtc, "remote-description", &remote, NULL);
		sdp_setup_settle(sdp, remote ? sdp_setup(remote->sdp) : NULL);
		if (remote)
			gst_webrtc_session_description_free(remote);
	}
	gst_webrtc_session_description_free(desc);
	audio = sdp_first_audio(sdp);
	for (guint a = audio ? gst_sdp_media_attributes_len(audio) : 0;
	     a-- > 0;) {
		const GstSDPAttribute *attr =
			gst_sdp_media_get_attribute(audio, a);

		for (unsigned d = 0; d < G_N_ELEMENTS(directions); d++)
			if (!strcmp(attr->key, directions[d])) {
				gst_sdp_media_remove_attribute(audio, a);
				break;
			}
	}
	if (audio)
		gst_sdp_media_add_attribute(audio, directions[dir & 3], "");
	o = gst_sdp_message_get_origin(sdp);
	if (!m->sdp_version)
		m->sdp_version = (guint)strtoul(o->sess_version, NULL, 10);
	snprintf(version, sizeof(version), "%u", ++m->sdp_version);
	{
		/* set_origin frees the old strings first. */
		gchar *user = g_strdup(o->username), *id = g_strdup(o->sess_id),
		      *net = g_strdup(o->nettype),
		      *atype = g_strdup(o->addrtype), *addr = g_strdup(o->addr);

		gst_sdp_message_set_origin(sdp, user, id, version, net, atype,
					   addr);
		g_free(user);
		g_free(id);
		g_free(net);
		g_free(atype);
		g_free(addr);
	}
	media_sdp_end_candidates(sdp);
	text = gst_sdp_message_as_text(sdp);
	gst_sdp_message_free(sdp);
	return text;
}

bool media_sdp_video_inactive(const GstSDPMessage *sdp)
{
	for (guint i = 0; i < gst_sdp_message_medias_len(sdp); i++) {
		const GstSDPMedia *media = gst_sdp_message_get_media(sdp, i);

		if (g_strcmp0(gst_sdp_media_get_media(media), "video"))
			continue;
		return gst_sdp_media_get_port(media) == 0 ||
		       gst_sdp_media_get_attribute_val(media, "inactive");
	}
	return false;
}
