/* The media session: one webrtcbin pipeline per call, the whole offer/
 * answer exchange here (as gst-examples' webrtc sendrecv has it), the
 * remote fingerprint check when DTLS connects, events marshalled to GLib's
 * default main context. Sources and sinks are in media-io.c, the SDP edits
 * in media-sdp.c, the fingerprint comparison in media-dtls.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GST_USE_UNSTABLE_API
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <nice/agent.h>

#include "media.h"
#include "internal/media-session.h"

/* ---- marshalling to the main context ------------------------------- */

struct media_post {
	struct media *m;
	void (*fn)(struct media *m, void *data);
	void *data;
	void (*data_free)(void *data);
};

static void media_ref(struct media *m)
{
	g_atomic_int_inc(&m->refs);
}

static void media_unref(struct media *m)
{
	if (!g_atomic_int_dec_and_test(&m->refs))
		return;
	media_config_release(&m->cfg);
	g_free(m->remote_fingerprint);
	g_strfreev(m->local_mids);
	g_free(m->remote_ufrag);
	for (unsigned i = 0; i < G_N_ELEMENTS(m->held_pad); i++)
		if (m->held_pad[i])
			gst_object_unref(m->held_pad[i]);
	media_io_release(m);
	g_mutex_clear(&m->lock);
	g_free(m);
}

static gboolean media_post_dispatch(gpointer p)
{
	struct media_post *post = p;

	if (!g_atomic_int_get(&post->m->dead))
		post->fn(post->m, post->data);
	return G_SOURCE_REMOVE;
}

static void media_post_free(gpointer p)
{
	struct media_post *post = p;

	if (post->data_free)
		post->data_free(post->data);
	media_unref(post->m);
	g_free(post);
}

/* The one door from GStreamer's threads to the owner's loop (to become
 * loop_post() once the loop has it). Always queued, never run inline, so a
 * handler is never re-entered from inside a media_* call. */
void media_post(struct media *m, void (*fn)(struct media *m, void *data),
		void *data, void (*data_free)(void *data))
{
	struct media_post *post = g_new0(struct media_post, 1);
	GSource *src = g_idle_source_new();

	media_ref(m);
	post->m = m;
	post->fn = fn;
	post->data = data;
	post->data_free = data_free;
	g_source_set_priority(src, G_PRIORITY_DEFAULT);
	g_source_set_callback(src, media_post_dispatch, post, media_post_free);
	g_source_attach(src, NULL);
	g_source_unref(src);
}

static void media_emit(struct media *m, const struct media_event *ev)
{
	if (m->h)
		m->h(ev, m->arg);
}

static void media_fail_main(struct media *m, void *data)
{
	struct media_event ev = {.type = MEDIA_EVENT_FAILED};

	if (m->failed)
		return;
	m->failed = true;
	ev.err = GPOINTER_TO_INT(g_object_get_data(data, "err"));
	ev.reason = g_object_get_data(data, "reason");
	media_emit(m, &ev);
}

/* From any thread: the session failed; reported once. */
void media_fail(struct media *m, int err, const char *fmt, ...)
{
	GObject *box = g_object_new(G_TYPE_OBJECT, NULL);
	va_list ap;

	va_start(ap, fmt);
	g_object_set_data_full(box, "reason", g_strdup_vprintf(fmt, ap),
			       g_free);
	va_end(ap);
	g_object_set_data(box, "err", GINT_TO_POINTER(err));
	/* Nothing more goes out or in once the session failed. */
	media_gate(m, false);
	media_post(m, media_fail_main, box, g_object_unref);
}

static void media_simple_main(struct media *m, void *data)
{
	struct media_event ev = {.type = GPOINTER_TO_INT(data)};

	if (!m->failed)
		media_emit(m, &ev);
}

void media_signal(struct media *m, enum media_event_type type)
{
	media_post(m, media_simple_main, GINT_TO_POINTER(type), NULL);
}

static void media_dtmf_main(struct media *m, void *data)
{
	struct media_event ev = {.type = MEDIA_EVENT_DTMF};

	ev.dtmf = (char)GPOINTER_TO_INT(data);
	if (!m->failed)
		media_emit(m, &ev);
}

/* ---- the fingerprint gate ------------------------------------------- */

bool media_gate_open_locked(const struct media *m, unsigned slot)
{
	if (slot == 1 && m->video_declined)
		return false;
	return m->verified &&
	       (m->dir & (slot < 2 ? MEDIA_DIR_SEND : MEDIA_DIR_RECV));
}

static void media_gate_apply_locked(struct media *m)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(m->valves); i++)
		if (m->valves[i])
			g_object_set(m->valves[i], "drop",
				     !media_gate_open_locked(m, i), NULL);
}

/* Open (after the fingerprint matched, as far as the direction allows) or
 * close every valve. */
void media_gate(struct media *m, bool verified)
{
	g_mutex_lock(&m->lock);
	m->verified = verified;
	media_gate_apply_locked(m);
	for (unsigned i = 0; verified && i < G_N_ELEMENTS(m->held_pad); i++)
		if (m->held_probe[i]) {
			gst_pad_remove_probe(m->held_pad[i], m->held_probe[i]);
			m->held_probe[i] = 0;
		}
	g_mutex_unlock(&m->lock);
}

static void media_direct(struct media *m, unsigned dir)
{
	g_mutex_lock(&m->lock);
	m->dir = dir;
	media_gate_apply_locked(m);
	g_mutex_unlock(&m->lock);
}

/* A streaming thread: the DTLS transport's state or certificate changed. */
/* The transports' handlers hold a reference on the session and are never
 * disconnected by hand: disconnecting while a GStreamer thread emits the
 * signal aborted GLib once (invalid_closure_notify). They go with the
 * transports, and do nothing once the session is dead. */
static void media_closure_unref(gpointer p, GClosure *closure)
{
	(void)closure;
	media_unref(p);
}

static void on_dtls_notify(GObject *transport, GParamSpec *pspec, gpointer p)
{
	struct media *m = p;
	GstWebRTCDTLSTransportState state;
	gchar *pem = NULL;
	int err;

	(void)pspec;
	if (g_atomic_int_get(&m->dead))
		return;
	g_object_get(transport, "state", &state, "remote-certificate", &pem,
		     NULL);
	if (state == GST_WEBRTC_DTLS_TRANSPORT_STATE_FAILED) {
		g_free(pem);
		media_fail(m, ECONNABORTED, "DTLS handshake failed");
		return;
	}
	if (state != GST_WEBRTC_DTLS_TRANSPORT_STATE_CONNECTED || !pem) {
		g_free(pem);
		return;
	}
	if (g_atomic_int_exchange(&m->dtls_checked, 1)) {
		g_free(pem);
		return;
	}
	err = media_fingerprint_check(pem, m->remote_fingerprint);
	g_free(pem);
	if (err == 0) {
		media_gate(m, true);
		return;
	}
	media_fail(m, EKEYREJECTED,
		   err == EKEYREJECTED
			   ? "the peer's DTLS certificate does not match its "
			     "a=fingerprint"
			   : "the peer's a=fingerprint cannot be checked");
}

/* After a remote description: watch every DTLS transport (once each). */
static void media_watch_dtls(struct media *m)
{
	GArray *transceivers = NULL;

	g_signal_emit_by_name(m->webrtc, "get-transceivers", &transceivers);
	if (!transceivers)
		return;
	for (guint i = 0; i < transceivers->len; i++) {
		GstWebRTCRTPTransceiver *t =
			g_array_index(transceivers, GstWebRTCRTPTransceiver *, i);
		GstWebRTCRTPReceiver *receiver = NULL;
		GstWebRTCDTLSTransport *transport = NULL;

		g_object_get(t, "receiver", &receiver, NULL);
		if (receiver)
			g_object_get(receiver, "transport", &transport, NULL);
		if (transport &&
		    !g_object_get_data(G_OBJECT(transport), "sipws-media")) {
			g_object_set_data(G_OBJECT(transport), "sipws-media", m);
			media_ref(m);
			g_signal_connect_data(transport, "notify::state",
					      G_CALLBACK(on_dtls_notify), m,
					      media_closure_unref, 0);
			media_ref(m);
			g_signal_connect_data(transport,
					      "notify::remote-certificate",
					      G_CALLBACK(on_dtls_notify), m,
					      media_closure_unref, 0);
			if (m->watched_count < G_N_ELEMENTS(m->watched))
				m->watched[m->watched_count++] =
					G_OBJECT(g_object_ref(transport));
			on_dtls_notify(G_OBJECT(transport), NULL, m);
		}
		if (transport)
			g_object_unref(transport);
		if (receiver)
			g_object_unref(receiver);
	}
	g_array_unref(transceivers);
}

/* ---- webrtcbin signals ---------------------------------------------- */

static void media_sdp_main(struct media *m, void *data)
{
	GstWebRTCSessionDescription *desc = NULL;
	struct media_event ev = {.type = MEDIA_EVENT_SDP};
	GstSDPMessage *sdp;
	gchar *text;

	(void)data;
	if (!m->sdp_pending || m->failed)
		return;
	g_object_get(m->webrtc, "local-description", &desc, NULL);
	if (!desc)
		return;
	m->sdp_pending = false;
	gst_sdp_message_copy(desc->sdp, &sdp);
	gst_webrtc_session_description_free(desc);
	if (!media_sdp_end_candidates(sdp)) {
		gst_sdp_message_free(sdp);
		media_fail(m, EHOSTUNREACH,
			   "no ICE candidate was gathered%s",
			   m->cfg.relay_only ? " (relay only: did the TURN "
					       "server refuse us?)"
					     : "");
		return;
	}
	text = gst_sdp_message_as_text(sdp);
	gst_sdp_message_free(sdp);
	ev.sdp = text;
	ev.sdp_offer = m->sdp_offer;
	media_emit(m, &ev);
	g_free(text);
}

struct media_text {
	bool offer;
	char text[];
};

static void media_text_main(struct media *m, void *data)
{
	struct media_text *t = data;
	struct media_event ev = {.type = MEDIA_EVENT_SDP};

	if (m->failed)
		return;
	ev.sdp = t->text;
	ev.sdp_offer = t->offer;
	media_emit(m, &ev);
}

/* A description made here (not by webrtcbin) goes out from the loop. */
static void media_post_text(struct media *m, char *text, bool offer)
{
	size_t n = strlen(text) + 1;
	struct media_text *t = g_malloc(sizeof(*t) + n);

	t->offer = offer;
	memcpy(t->text, text, n);
	g_free(text);
	media_post(m, media_text_main, t, g_free);
}

static unsigned dir_complement(unsigned dir)
{
	return ((dir & MEDIA_DIR_SEND) ? MEDIA_DIR_RECV : 0) |
	       ((dir & MEDIA_DIR_RECV) ? MEDIA_DIR_SEND : 0);
}

static unsigned media_want(const struct media *m)
{
	return m->hold ? MEDIA_DIR_SEND : MEDIA_DIR_SEND | MEDIA_DIR_RECV;
}

/* A re-offer, or the answer to our re-offer, on an established session. */
static int media_renegotiate(struct media *m, GstSDPMessage *sdp, bool offer,
			     char *reason, size_t reason_size)
{
	const char *ufrag = media_sdp_ufrag(sdp);
	const gchar *fp = gst_sdp_message_get_attribute_val(sdp, "fingerprint");
	unsigned remote = media_sdp_direction(sdp);
	char *text;

	for (guint i = 0; !fp && i < gst_sdp_message_medias_len(sdp); i++)
		fp = gst_sdp_media_get_attribute_val(
			gst_sdp_message_get_media(sdp, i), "fingerprint");
	if ((ufrag && m->remote_ufrag && strcmp(ufrag, m->remote_ufrag)) ||
	    (fp && g_ascii_strcasecmp(fp, m->remote_fingerprint))) {
		if (reason)
			snprintf(reason, reason_size,
				 "ICE restart or a new DTLS certificate is not "
				 "supported");
		return ENOTSUP;
	}
	if (!offer) {
		m->reoffer_pending = false;
		media_direct(m, m->dir_offered & dir_complement(remote));
		return 0;
	}
	text = media_sdp_redirect(m, dir_complement(remote) & media_want(m), true);
	if (!text)
		return EPROTO;
	media_direct(m, dir_complement(remote) & media_want(m));
	media_post_text(m, text, false);
	return 0;
}

static gboolean media_connect_timeout(gpointer p)
{
	struct media *m = p;
	bool verified;

	m->connect_timer = 0;
	g_mutex_lock(&m->lock);
	verified = m->verified;
	g_mutex_unlock(&m->lock);
	if (!verified)
		media_fail(m, ETIMEDOUT, "not connected within %u ms",
			   m->cfg.connect_timeout_ms);
	return G_SOURCE_REMOVE;
}

/* Both descriptions are in place: ICE and DTLS have this long. */
static void media_connect_deadline(struct media *m)
{
	if (m->connect_timer || m->dtls_checked)
		return;
	if (!m->cfg.connect_timeout_ms)
		m->cfg.connect_timeout_ms = 10000;
	m->connect_timer =
		g_timeout_add(m->cfg.connect_timeout_ms, media_connect_timeout, m);
}

/* Any thread: ICE gathering or connection state changed. A description
 * waiting for gathering goes out from the loop (media_sdp_main sends it
 * once); a failure is reported once. */
static void on_ice_notify(GObject *webrtc, GParamSpec *pspec, gpointer p)
{
	struct media *m = p;
	GstWebRTCICEGatheringState gathering;
	GstWebRTCICEConnectionState connection;

	(void)pspec;
	g_object_get(webrtc, "ice-gathering-state", &gathering,
		     "ice-connection-state", &connection, NULL);
	if (connection == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED)
		media_fail(m, EHOSTUNREACH, "ICE found no working candidate pair");
	else if (gathering == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
		media_post(m, media_sdp_main, NULL, NULL);
}

/* An error message's errno (ENOENT: a file or device not found; EACCES:
 * not allowed; else EIO) and reason. */
static int media_bus_error(GstMessage *msg, char *reason, size_t reason_size)
{
	GError *error = NULL;
	int err = EIO;

	gst_message_parse_error(msg, &error, NULL);
	if (error->domain == GST_RESOURCE_ERROR &&
	    error->code == GST_RESOURCE_ERROR_NOT_FOUND)
		err = ENOENT;
	else if (error->domain == GST_RESOURCE_ERROR &&
		 error->code == GST_RESOURCE_ERROR_NOT_AUTHORIZED)
		err = EACCES;
	if (reason)
		snprintf(reason, reason_size, "%s: %s",
			 GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), error->message);
	g_error_free(error);
	return err;
}

static gboolean media_bus(GstBus *bus, GstMessage *msg, gpointer p)
{
	struct media *m = p;
	const GstStructure *s;

	(void)bus;
	if (media_io_bus(m, msg))
		return G_SOURCE_CONTINUE;
	switch (GST_MESSAGE_TYPE(msg)) {
	case GST_MESSAGE_ERROR: {
		char reason[256];
		int err = media_bus_error(msg, reason, sizeof(reason));

		media_fail(m, err, "%s", reason);
		break;
	}
	case GST_MESSAGE_ELEMENT:
		s = gst_message_get_structure(msg);
		if (s && gst_structure_has_name(s, "dtmf-event")) {
			static const char digits[] = "0123456789*#ABCD";
			int number = -1;

			gst_structure_get_int(s, "number", &number);
			g_mutex_lock(&m->lock);
			bool verified = m->verified;
			g_mutex_unlock(&m->lock);
			if (verified && number >= 0 && number < 16)
				media_post(m, media_dtmf_main,
					   GINT_TO_POINTER(digits[number]),
					   NULL);
		}
		break;
	default:
		break;
	}
	return G_SOURCE_CONTINUE;
}

/* ---- building ------------------------------------------------------- */

static void media_ice_setup(struct media *m)
{
	GstWebRTCICE *ice = NULL;
	GObject *agent = NULL;

	g_object_get(m->webrtc, "ice-agent", &ice, NULL);
	if (!ice)
		return;
	if (g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent"))
		g_object_get(ice, "agent", &agent, NULL);
	if (agent) {
		/* No UPnP: SSDP multicast on every interface and a 200 ms
		 * wait; faster connectivity checks; ICE-TCP only if asked. */
		g_object_set(agent, "upnp", FALSE, "stun-pacing-timer", 5,
			     "ice-tcp", m->cfg.ice_tcp, NULL);
		g_object_unref(agent);
	}
	for (size_t i = 0; i < m->cfg.ice_address_count; i++) {
		gboolean ok = FALSE;

		g_signal_emit_by_name(ice, "add-local-ip-address",
				      m->cfg.ice_addresses[i], &ok);
	}
	/* GstWebRTCNice has its own switch for TCP candidates. */
	if (g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "ice-tcp"))
		g_object_set(ice, "ice-tcp", m->cfg.ice_tcp, NULL);
	gst_object_unref(ice);
	for (size_t i = 0; i < m->cfg.ice_server_count; i++) {
		const struct media_ice_server *srv = &m->cfg.ice_servers[i];
		gchar *uri = media_ice_server_uri(srv);
		gboolean ok = FALSE;

		if (!uri)
			continue;
		if (g_str_has_prefix(uri, "stun://"))
			g_object_set(m->webrtc, "stun-server", uri, NULL);
		else
			g_signal_emit_by_name(m->webrtc, "add-turn-server",
					      uri, &ok);
		g_free(uri);
	}
	if (m->cfg.relay_only)
		g_object_set(m->webrtc, "ice-transport-policy",
			     GST_WEBRTC_ICE_TRANSPORT_POLICY_RELAY, NULL);
}

/* Returns 0, ENOENT (a plugin, or the source's file or device, missing),
 * EACCES or EIO: reason filled (it may be NULL). */
static int media_build(struct media *m, bool bundle, char *reason,
		       size_t reason_size)
{
	GstMessage *msg;
	GstBus *bus;
	int err;

	m->pipe = gst_pipeline_new(NULL);
	m->webrtc = gst_element_factory_make("webrtcbin", NULL);
	if (!m->pipe || !m->webrtc)
		return ENOENT;
	g_object_set(m->webrtc, "bundle-policy",
		     bundle ? GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE
			    : GST_WEBRTC_BUNDLE_POLICY_NONE,
		     "latency", m->cfg.latency_ms ? m->cfg.latency_ms : 30,
		     NULL);
	gst_bin_add(GST_BIN(m->pipe), m->webrtc);
	media_ice_setup(m);
	g_signal_connect(m->webrtc, "notify::ice-gathering-state",
			 G_CALLBACK(on_ice_notify), m);
	g_signal_connect(m->webrtc, "notify::ice-connection-state",
			 G_CALLBACK(on_ice_notify), m);
	g_signal_connect(m->webrtc, "pad-added", G_CALLBACK(media_io_pad_added),
			 m);
	err = media_io_build(m);
	if (err)
		return err;
	bus = gst_pipeline_get_bus(GST_PIPELINE(m->pipe));
	m->bus_watch = gst_bus_add_watch(bus, media_bus, m);
	if (gst_element_set_state(m->pipe, GST_STATE_PLAYING) ==
	    GST_STATE_CHANGE_FAILURE) {
		/* A device that cannot be opened, said synchronously: the
		 * watch must not report it again. */
		msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
		err = msg ? media_bus_error(msg, reason, reason_size) : EIO;
		if (!msg && reason)
			snprintf(reason, reason_size,
				 "the media pipeline did not start");
		if (msg)
			gst_message_unref(msg);
		gst_object_unref(bus);
		return err;
	}
	gst_object_unref(bus);
	return 0;
}

/* ---- the exchange --------------------------------------------------- */

/* Run one webrtcbin promise action and wait (a few ms: webrtcbin does the
 * work on its own thread). Returns the reply, or NULL; *err on error. */
static const GstStructure *media_wait(GstPromise *promise, int *err,
				      char *reason, size_t reason_size)
{
	const GstStructure *reply;
	GError *error = NULL;

	if (gst_promise_wait(promise) != GST_PROMISE_RESULT_REPLIED) {
		*err = EPROTO;
		snprintf(reason ? reason : (char[1]){0}, reason ? reason_size : 1,
			 "webrtcbin did not answer");
		return NULL;
	}
	reply = gst_promise_get_reply(promise);
	if (reply && gst_structure_get(reply, "error", G_TYPE_ERROR, &error,
				       NULL)) {
		*err = EPROTO;
		if (reason)
			snprintf(reason, reason_size, "%s", error->message);
		g_error_free(error);
		return NULL;
	}
	*err = 0;
	return reply;
}

static int media_set_description(struct media *m, const char *signal,
				 GstWebRTCSDPType type, GstSDPMessage *sdp,
				 char *reason, size_t reason_size)
{
	GstWebRTCSessionDescription *desc =
		gst_webrtc_session_description_new(type, sdp);
	GstPromise *promise = gst_promise_new();
	int err;

	g_signal_emit_by_name(m->webrtc, signal, desc, promise);
	media_wait(promise, &err, reason, reason_size);
	gst_promise_unref(promise);
	gst_webrtc_session_description_free(desc);
	return err;
}

/* create-offer or create-answer, our edits, set-local-description; the
 * text goes out when gathering is complete (at once if it is already). */
static int media_local(struct media *m, bool offer, char *reason,
		       size_t reason_size)
{
	GstWebRTCSessionDescription *desc = NULL;
	const GstStructure *reply;
	GstPromise *promise = gst_promise_new();
	GstSDPMessage *sdp;
	int err;

	g_signal_emit_by_name(m->webrtc, offer ? "create-offer" : "create-answer",
			      NULL, promise);
	reply = media_wait(promise, &err, reason, reason_size);
	if (reply)
		gst_structure_get(reply, offer ? "offer" : "answer",
				  GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc,
				  NULL);
	gst_promise_unref(promise);
	if (err)
		return err;
	if (!desc) {
		if (reason)
			snprintf(reason, reason_size, "webrtcbin made no %s",
				 offer ? "offer" : "answer");
		return EPROTO;
	}
	gst_sdp_message_copy(desc->sdp, &sdp);
	gst_webrtc_session_description_free(desc);
	media_sdp_local_edit(m, sdp);
	m->sdp_pending = true;
	m->sdp_offer = offer;
	err = media_set_description(m, "set-local-description",
				    offer ? GST_WEBRTC_SDP_TYPE_OFFER
					  : GST_WEBRTC_SDP_TYPE_ANSWER,
				    sdp, reason, reason_size);
	if (err)
		return err;
	media_sdp_remember_mids(m);
	/* The answerer's transports exist only now. */
	media_watch_dtls(m);
	on_ice_notify(G_OBJECT(m->webrtc), NULL, m);
	return 0;
}

int media_offer(struct media *m)
{
	char reason[256] = "";
	int err;

	if (!m || m->pipe)
		return EINVAL;
	media_codec_default(m);
	err = media_build(m, true, reason, sizeof(reason));
	if (err && reason[0]) {
		/* A source that did not open: its reason as an event. */
		media_fail(m, err, "%s", reason);
		return 0;
	}
	if (err)
		return err;
	return media_local(m, true, NULL, 0);
}

static int media_remote(struct media *m, const char *text, bool offer,
			char *reason, size_t reason_size)
{
	GstSDPMessage *sdp = NULL;
	int err;

	if (!m || !text)
		return EINVAL;
	if (gst_sdp_message_new_from_text(text, &sdp) != GST_SDP_OK) {
		if (reason)
			snprintf(reason, reason_size, "unreadable SDP");
		return EPROTO;
	}
	if (m->pipe && m->remote_fingerprint && (offer || m->reoffer_pending)) {
		err = media_renegotiate(m, sdp, offer, reason, reason_size);
		goto out;
	}
	err = media_sdp_remote_edit(m, sdp, offer, reason, reason_size);
	if (err)
		goto out;
	if (!m->pipe) {
		err = media_build(m,
				  gst_sdp_message_get_attribute_val(
					  sdp, "group") != NULL,
				  reason, reason_size);
		if (err)
			goto out;
	}
	if (!offer && media_sdp_video_inactive(sdp)) {
		g_mutex_lock(&m->lock);
		m->video_declined = true;
		g_mutex_unlock(&m->lock);
	}
	err = media_set_description(m, "set-remote-description",
				    offer ? GST_WEBRTC_SDP_TYPE_OFFER
					  : GST_WEBRTC_SDP_TYPE_ANSWER,
				    sdp, reason, reason_size);
	sdp = NULL; /* the description owned it */
	if (err)
		goto out;
	media_watch_dtls(m);
	if (offer)
		err = media_local(m, false, reason, reason_size);
	if (!err)
		media_connect_deadline(m);
out:
	if (sdp)
		gst_sdp_message_free(sdp);
	return err;
}

int media_answer(struct media *m, const char *offer, char *reason,
		 size_t reason_size)
{
	return media_remote(m, offer, true, reason, reason_size);
}

int media_set_answer(struct media *m, const char *answer, char *reason,
		     size_t reason_size)
{
	if (!m || !m->pipe)
		return EINVAL;
	return media_remote(m, answer, false, reason, reason_size);
}

int media_hold(struct media *m, bool hold)
{
	char *text;

	if (!m || !m->pipe || !m->remote_fingerprint)
		return EINVAL;
	m->hold = hold;
	m->dir_offered = media_want(m);
	text = media_sdp_redirect(m, m->dir_offered, false);
	if (!text)
		return EPROTO;
	m->reoffer_pending = true;
	media_post_text(m, text, true);
	return 0;
}

/* ---- DTMF ----------------------------------------------------------- */

/* The events go upstream from rtpdtmfmux's source pad (GstBaseSrc's
 * send_event drops custom upstream events): the mux adds "last-stop",
 * the end of the last audio it sent, and rtpdtmfsrc starts the event
 * there, on the audio's timeline (the browser peer in t0925 sees each
 * event 0-40 ms after the audio packet before it). Sent to rtpdtmfsrc's
 * own pad, an event took the clock's time when rtpdtmfsrc got to it, a
 * timeline of its own (2-42 ms after the audio, idle). */
static void media_dtmf_event(struct media *m, GstStructure *s)
{
	GstPad *pad = gst_element_get_static_pad(m->dtmfmux, "src");

	gst_pad_send_event(pad,
			   gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s));
	gst_object_unref(pad);
}

static gboolean media_dtmf_step(gpointer p)
{
	struct media *m = p;
	static const char digits[] = "0123456789*#ABCD";
	GstStructure *s;
	const char *d;

	if (m->dtmf_on) {
		s = gst_structure_new("dtmf-event", "type", G_TYPE_INT, 1,
				      "start", G_TYPE_BOOLEAN, FALSE, NULL);
		media_dtmf_event(m, s);
		m->dtmf_on = false;
		m->dtmf_timer = g_timeout_add(50, media_dtmf_step, m);
		return G_SOURCE_REMOVE;
	}
	if (!m->dtmf_queue[m->dtmf_pos]) {
		m->dtmf_timer = 0;
		return G_SOURCE_REMOVE;
	}
	d = strchr(digits, g_ascii_toupper(m->dtmf_queue[m->dtmf_pos++]));
	s = gst_structure_new("dtmf-event", "type", G_TYPE_INT, 1, "number",
			      G_TYPE_INT, (int)(d - digits), "volume",
			      G_TYPE_INT, 10, "start", G_TYPE_BOOLEAN, TRUE,
			      NULL);
	media_dtmf_event(m, s);
	m->dtmf_on = true;
	m->dtmf_timer = g_timeout_add(m->dtmf_ms, media_dtmf_step, m);
	return G_SOURCE_REMOVE;
}

int media_dtmf_send(struct media *m, const char *digits, unsigned duration_ms)
{
	size_t used, n;
	bool verified;

	if (!m || !digits || !*digits)
		return EINVAL;
	for (const char *c = digits; *c; c++)
		if (!strchr("0123456789*#ABCDabcd", *c))
			return EINVAL;
	if (!m->dtmfsrc)
		return EAGAIN;
	g_mutex_lock(&m->lock);
	verified = media_gate_open_locked(m, 0);
	g_mutex_unlock(&m->lock);
	if (!verified)
		return EAGAIN; /* not connected, or not sending (on hold) */
	/* Append to what is still queued. */
	used = strlen(m->dtmf_queue + m->dtmf_pos);
	memmove(m->dtmf_queue, m->dtmf_queue + m->dtmf_pos, used + 1);
	m->dtmf_pos = 0;
	n = strlen(digits);
	if (used + n >= sizeof(m->dtmf_queue))
		return E2BIG;
	memcpy(m->dtmf_queue + used, digits, n + 1);
	m->dtmf_ms = duration_ms ? duration_ms : 100;
	g_atomic_int_set(&m->dtmf_units,
			 (gint)((guint64)m->dtmf_ms * m->codec.te_clock / 1000));
	g_atomic_int_set(&m->dtmf_event_ms, (gint)m->dtmf_ms);
	if (gst_element_is_locked_state(m->dtmfsrc)) {
		gst_element_set_locked_state(m->dtmfsrc, FALSE);
		gst_element_sync_state_with_parent(m->dtmfsrc);
	}
	if (!m->dtmf_timer)
		m->dtmf_timer = g_timeout_add(0, media_dtmf_step, m);
	return 0;
}

/* ---- statistics ----------------------------------------------------- */

static double stats_double(const GstStructure *s, const char *field)
{
	double d = 0;

	gst_structure_get_double(s, field, &d);
	return d;
}

static guint64 stats_u64(const GstStructure *s, const char *field)
{
	guint64 v = 0;
	guint u = 0;

	if (gst_structure_get_uint64(s, field, &v))
		return v;
	if (gst_structure_get_uint(s, field, &u))
		return u;
	return 0;
}

static gboolean stats_each(GQuark field, const GValue *value, gpointer p)
{
	struct media_stats *st = p;
	const GstStructure *s;
	const char *name;

	(void)field;
	if (!GST_VALUE_HOLDS_STRUCTURE(value))
		return TRUE;
	s = gst_value_get_structure(value);
	name = gst_structure_get_name(s);
	if (!strcmp(name, "outbound-rtp")) {
		st->packets_sent += stats_u64(s, "packets-sent");
		st->bytes_sent += stats_u64(s, "bytes-sent");
	} else if (!strcmp(name, "inbound-rtp")) {
		gint64 lost = 0;
		gint ilost = 0;

		st->packets_received += stats_u64(s, "packets-received");
		st->bytes_received += stats_u64(s, "bytes-received");
		st->jitter_ms = stats_double(s, "jitter") * 1000.0;
		/* 1.22 reads -1 when nothing was lost. */
		if (gst_structure_get_int64(s, "packets-lost", &lost) ||
		    (gst_structure_get_int(s, "packets-lost", &ilost) &&
		     ((lost = ilost), 1)))
			st->packets_lost += lost > 0 ? lost : 0;
	} else if (!strcmp(name, "remote-inbound-rtp")) {
		double rtt;

		if (gst_structure_get_double(s, "round-trip-time", &rtt) &&
		    rtt > 0)
			st->rtt_ms = rtt * 1000.0;
	}
	return TRUE;
}

int media_stats_get(struct media *m, struct media_stats *st)
{
	const GstStructure *reply;
	GstPromise *promise;
	int err;

	if (!m || !st)
		return EINVAL;
	memset(st, 0, sizeof(*st));
	st->rtt_ms = -1;
	st->level_db = media_io_level(m);
	if (!m->webrtc)
		return 0;
	promise = gst_promise_new();
	g_signal_emit_by_name(m->webrtc, "get-stats", NULL, promise);
	reply = media_wait(promise, &err, NULL, 0);
	if (reply)
		gst_structure_foreach(reply, stats_each, st);
	gst_promise_unref(promise);
	st->video = m->codec.video_pt >= 0 && !m->video_declined;
	st->video_packets_sent = (guint)g_atomic_int_get(&m->video_sent);
	st->video_packets_received =
		(guint)g_atomic_int_get(&m->video_received);
	st->video_frames_decoded = (guint)g_atomic_int_get(&m->video_frames);
	return err;
}

const char *media_codec(const struct media *m)
{
	return m && m->codec.name[0] ? m->codec.name : NULL;
}

/* ---- life ----------------------------------------------------------- */

/* Made once in the background by media_prepare(): the DTLS certificate
 * (the dtls plugin makes it with its first element, once per process) and
 * every plugin a session loads, off the offer's critical path. */
static const char *const media_elements[] = {
	"dtlsdec", "webrtcbin", "nicesrc", "srtpenc", "rtpbin", "opusenc",
	"opusdec", "rtpopuspay", "rtpopusdepay", "rtpdtmfsrc", "rtpdtmfmux",
	"rtpdtmfdepay", "audiotestsrc", "audioconvert", "audioresample",
	"valve", "wavenc",
};

static GThread *media_warm_thread;
static GMutex media_warm_lock;

static gpointer media_warm(gpointer unused)
{
	(void)unused;
	for (size_t i = 0; i < G_N_ELEMENTS(media_elements); i++) {
		GstElement *e = gst_element_factory_make(media_elements[i], NULL);

		if (e)
			gst_object_unref(e);
	}
	return NULL;
}

int media_prepare(void)
{
	static gsize done;
	static int result;

	if (g_once_init_enter(&done)) {
		GstRegistry *reg;

		gst_init(NULL, NULL);
		reg = gst_registry_get();
		for (size_t i = 0; i < G_N_ELEMENTS(media_elements); i++) {
			GstPluginFeature *f = gst_registry_lookup_feature(
				reg, media_elements[i]);

			if (!f)
				result = ENOENT;
			else
				gst_object_unref(f);
		}
		if (!result)
			media_warm_thread =
				g_thread_new("media-warm", media_warm, NULL);
		g_once_init_leave(&done, 1);
	}
	return result;
}

void media_prepare_wait(void)
{
	GThread *t;

	g_mutex_lock(&media_warm_lock);
	t = media_warm_thread;
	media_warm_thread = NULL;
	g_mutex_unlock(&media_warm_lock);
	if (t)
		g_thread_join(t);
}

int media_alloc(struct media **mp, const struct media_config *cfg,
		media_event_h *h, void *arg)
{
	struct media *m;
	int err;

	if (!mp || !cfg)
		return EINVAL;
	err = media_prepare();
	if (err)
		return err;
	m = g_new0(struct media, 1);
	m->refs = 1;
	m->dir = MEDIA_DIR_SEND | MEDIA_DIR_RECV;
	g_mutex_init(&m->lock);
	m->h = h;
	m->arg = arg;
	err = media_config_copy(&m->cfg, cfg);
	if (err) {
		media_unref(m);
		return err;
	}
	*mp = m;
	return 0;
}

/* TURN allocations are given back before the agent goes (otherwise
 * libnice warns on stderr about "alive TURN refreshes" and the server
 * keeps them until they expire): nice_agent_close_async on webrtcbin's
 * agent, waited for at most 500 ms. Its result comes through the caller's
 * thread-default context: a private one, pushed for the wait, so that
 * nothing else of the caller's loop runs from inside media_free. */
static void media_agent_closed(GObject *agent, GAsyncResult *res, gpointer p)
{
	(void)agent;
	(void)res;
	*(bool *)p = true;
}

static gboolean media_agent_close_timeout(gpointer p)
{
	*(bool *)p = true;
	return G_SOURCE_REMOVE;
}

static void media_agent_close(struct media *m)
{
	GObject *ice = NULL, *agent = NULL;
	GMainContext *ctx;
	GSource *timer;
	bool *done, timed_out = false;

	if (!m->webrtc || !m->cfg.ice_server_count)
		return;
	g_object_get(m->webrtc, "ice-agent", &ice, NULL);
	if (ice && g_object_class_find_property(G_OBJECT_GET_CLASS(ice),
						"agent"))
		g_object_get(ice, "agent", &agent, NULL);
	if (agent && NICE_IS_AGENT(agent)) {
		/* leaked on a timeout: the result may still come */
		done = g_new0(bool, 1);
		ctx = g_main_context_new();
		g_main_context_push_thread_default(ctx);
		nice_agent_close_async(NICE_AGENT(agent), media_agent_closed,
				       done);
		timer = g_timeout_source_new(500);
		g_source_set_callback(timer, media_agent_close_timeout,
				      &timed_out, NULL);
		g_source_attach(timer, ctx);
		while (!*done && !timed_out)
			g_main_context_iteration(ctx, TRUE);
		g_source_destroy(timer);
		g_source_unref(timer);
		g_main_context_pop_thread_default(ctx);
		g_main_context_unref(ctx);
		if (*done)
			g_free(done);
	}
	if (agent)
		g_object_unref(agent);
	if (ice)
		g_object_unref(ice);
}

void media_free(struct media *m)
{
	if (!m)
		return;
	g_atomic_int_set(&m->dead, 1);
	if (m->dtmf_timer)
		g_source_remove(m->dtmf_timer);
	if (m->connect_timer)
		g_source_remove(m->connect_timer);
	if (m->pipe) {
		media_io_finish(m);
		gst_element_set_state(m->pipe, GST_STATE_PAUSED);
		media_agent_close(m);
		gst_element_set_state(m->pipe, GST_STATE_NULL);
		if (m->bus_watch)
			g_source_remove(m->bus_watch);
		gst_object_unref(m->pipe);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(m->watched); i++)
		if (m->watched[i]) {
			g_object_set_data(G_OBJECT(m->watched[i]),
					  "sipws-media", NULL);
			g_object_unref(m->watched[i]);
		}
	media_unref(m);
}
