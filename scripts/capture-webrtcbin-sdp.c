/* Capture a real offer (or an answer to a given offer) from GStreamer's
 * webrtcbin for tests/sdp-corpus: Opus audio (and VP8 video with --video)
 * from test sources, non-trickle (printed once ICE gathering is complete),
 * ICE on 127.0.0.1 only, UPnP off. scripts/capture-sdp.sh builds and runs it:
 *
 *   cc -Ilib -o capture-webrtcbin-sdp scripts/capture-webrtcbin-sdp.c \
 *      build/default/libsipws.a \
 *      $(pkg-config --cflags --libs gstreamer-webrtc-1.0 gstreamer-sdp-1.0)
 *   capture-webrtcbin-sdp [--video] [--answer OFFER.sdp [--prepare]] > out.sdp
 *
 * --prepare edits the offer with lib/sdp.c as the media session must for a
 * SIP softphone's offer (issue #7 section 4): a=mid in every media section,
 * the session-level ICE/DTLS attributes (a=setup above all) copied into
 * them, sprop-stereo=0 for the mono test source. Without it webrtcbin 1.22
 * refuses such an offer, and answers recvonly to sprop-stereo=1. */
#define GST_USE_UNSTABLE_API
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <errno.h>
#include <gst/webrtc/webrtc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdp.h"

static GMainLoop *loop;
static GstElement *webrtc;
static gboolean answering;
static gchar *remote_offer;
static int status = 1;

static void on_gathering(GstElement *w, GParamSpec *ps, gpointer data)
{
	GstWebRTCICEGatheringState state;
	GstWebRTCSessionDescription *desc = NULL;
	gchar *text;

	(void)ps;
	(void)data;
	g_object_get(w, "ice-gathering-state", &state, NULL);
	if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
		return;
	g_object_get(w, "local-description", &desc, NULL);
	if (desc == NULL)
		return;
	text = gst_sdp_message_as_text(desc->sdp);
	fputs(text, stdout);
	g_free(text);
	gst_webrtc_session_description_free(desc);
	status = 0;
	g_main_loop_quit(loop);
}

static void on_description(GstPromise *promise, gpointer data)
{
	const GstStructure *reply = gst_promise_get_reply(promise);
	GstWebRTCSessionDescription *desc = NULL;
	const char *field = data;

	gst_structure_get(reply, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
			  &desc, NULL);
	gst_promise_unref(promise);
	if (desc == NULL) {
		g_printerr("capture-webrtcbin-sdp: no %s\n", field);
		g_main_loop_quit(loop);
		return;
	}
	g_signal_emit_by_name(webrtc, "set-local-description", desc, NULL);
	gst_webrtc_session_description_free(desc);
}

static void on_negotiation_needed(GstElement *w, gpointer data)
{
	(void)data;
	if (answering)
		return;
	g_signal_emit_by_name(w, "create-offer", NULL,
			      gst_promise_new_with_change_func(on_description,
							       "offer", NULL));
}

static void on_remote_set(GstPromise *promise, gpointer data)
{
	(void)data;
	gst_promise_unref(promise);
	g_signal_emit_by_name(webrtc, "create-answer", NULL,
			      gst_promise_new_with_change_func(on_description,
							       "answer", NULL));
}

static gboolean answer(gpointer data)
{
	GstSDPMessage *sdp;
	GstWebRTCSessionDescription *desc;

	(void)data;
	gst_sdp_message_new_from_text(remote_offer, &sdp);
	desc = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, sdp);
	g_signal_emit_by_name(webrtc, "set-remote-description", desc,
			      gst_promise_new_with_change_func(on_remote_set,
							       NULL, NULL));
	gst_webrtc_session_description_free(desc);
	return G_SOURCE_REMOVE;
}

/* The edits a media session makes to a softphone's offer. */
static gboolean prepare(void)
{
	struct sdp *sdp = NULL;
	char reason[160], mid[24], *out = NULL;
	size_t m;
	int err;

	err = sdp_parse(&sdp, remote_offer, strlen(remote_offer), reason,
			sizeof(reason));
	for (m = 0; err == 0 && m < sdp_media_count(sdp); m++) {
		snprintf(mid, sizeof(mid), "%zu", m);
		err = sdp_mid_add(sdp, m, mid);
		if (err == EEXIST)
			err = 0;
		if (err == 0)
			err = sdp_media_inherit(sdp, m, NULL);
		if (err == 0)
			err = sdp_opus_stereo_set(sdp, m, false);
	}
	if (err == 0)
		err = sdp_generate_alloc(sdp, &out, NULL);
	sdp_free(sdp);
	if (err) {
		g_printerr("capture-webrtcbin-sdp: cannot prepare the offer: "
			   "%s\n", strerror(err));
		return FALSE;
	}
	g_free(remote_offer);
	remote_offer = g_strdup(out);
	free(out);
	return TRUE;
}

static gboolean give_up(gpointer data)
{
	(void)data;
	g_printerr("capture-webrtcbin-sdp: timed out\n");
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
	gboolean video = FALSE, edit = FALSE;
	GString *desc = g_string_new(NULL);
	GstElement *pipe;
	GObject *ice = NULL, *agent = NULL;
	gboolean added;
	GError *error = NULL;
	int i;

	gst_init(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--video") == 0) {
			video = TRUE;
		} else if (strcmp(argv[i], "--prepare") == 0) {
			edit = TRUE;
		} else if (strcmp(argv[i], "--answer") == 0 && i + 1 < argc) {
			answering = TRUE;
			if (!g_file_get_contents(argv[++i], &remote_offer, NULL,
						 &error)) {
				g_printerr("capture-webrtcbin-sdp: %s\n",
					   error->message);
				return 1;
			}
		} else {
			g_printerr("usage: capture-webrtcbin-sdp [--video] "
				   "[--answer OFFER.sdp [--prepare]]\n");
			return 64;
		}
	}
	if (edit && (remote_offer == NULL || !prepare()))
		return 1;
	g_string_append(desc,
			"webrtcbin name=w bundle-policy=max-bundle latency=40 "
			"audiotestsrc is-live=true wave=sine ! audioconvert ! "
			"audioresample ! opusenc ! rtpopuspay pt=96 ! "
			"application/x-rtp,media=audio,encoding-name=OPUS,"
			"payload=96 ! w. ");
	if (video)
		g_string_append(desc,
				"videotestsrc is-live=true ! vp8enc deadline=1 ! "
				"rtpvp8pay pt=97 ! application/x-rtp,media=video,"
				"encoding-name=VP8,payload=97 ! w. ");
	pipe = gst_parse_launch(desc->str, &error);
	g_string_free(desc, TRUE);
	if (pipe == NULL) {
		g_printerr("capture-webrtcbin-sdp: %s\n", error->message);
		return 1;
	}
	webrtc = gst_bin_get_by_name(GST_BIN(pipe), "w");
	g_object_get(webrtc, "ice-agent", &ice, NULL);
	g_object_get(ice, "agent", &agent, NULL);
	g_object_set(agent, "upnp", FALSE, NULL);
	g_signal_emit_by_name(ice, "add-local-ip-address", "127.0.0.1", &added);
	g_object_unref(agent);
	g_object_unref(ice);
	g_signal_connect(webrtc, "on-negotiation-needed",
			 G_CALLBACK(on_negotiation_needed), NULL);
	g_signal_connect(webrtc, "notify::ice-gathering-state",
			 G_CALLBACK(on_gathering), NULL);
	loop = g_main_loop_new(NULL, FALSE);
	gst_element_set_state(pipe, GST_STATE_PLAYING);
	if (answering)
		g_idle_add(answer, NULL);
	g_timeout_add_seconds(20, give_up, NULL);
	g_main_loop_run(loop);
	gst_element_set_state(pipe, GST_STATE_NULL);
	gst_object_unref(webrtc);
	gst_object_unref(pipe);
	g_free(remote_offer);
	return status;
}
