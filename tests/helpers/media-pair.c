/* media-pair: two media sessions in one process, "a" offering and "b"
 * answering, SDP handed over directly (no SIP). Prints one line per event
 * on stdout ("a: connected", "b: dtmf 5", "a: failed EKEYREJECTED ...");
 * timings and statistics go to stderr. Exit status: 0 when both sides
 * connected, else exitcode_from_media() of the first failure (79), or 75
 * when nothing happened in time.
 *
 *   media-pair [-s seconds] [-t timeout] [--a-tone HZ] [--b-tone HZ]
 *              [--a-wav FILE] [--b-wav FILE] [--a-dtmf DIGITS]
 *              [--b-dtmf DIGITS] [--tamper] [--softphone] [--stereo-offer]
 *              [--turn URL --turn-user U --turn-pass P] [--relay]
 *              [--address IP]... [--hold] [--warm MS] [--mdns]
 *              [--a-file PATH] [--a-raw-in FD] [--a-device-in NAME]
 *              [--b-raw-out FD] [--b-device-out NAME] [--a-video] [--b-video]
 * (a device NAME "" is the default device) */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <glib.h>

#include "exitcode.h"
#include "loop.h"
#include "media.h"

struct side {
	const char *name;
	struct media *m;
	double tone;
	const char *wav;
	const char *file;       /* --X-file: source from a file */
	int fd_in;              /* --X-raw-in: raw s16le source */
	int fd_out;             /* --X-raw-out: raw s16le sink */
	const char *device_in;  /* --X-device-in NAME ("" default) */
	const char *device_out; /* --X-device-out NAME ("" default) */
	bool video;
	const char *dtmf;
	bool connected;
	uint64_t connected_ms;
	int err;
};

static struct side a = {.name = "a", .tone = 440, .fd_in = -1, .fd_out = -1};
static struct side b = {.name = "b", .tone = 660, .fd_in = -1, .fd_out = -1};
static GMainLoop *main_loop;
static uint64_t t_offer;
static unsigned seconds = 2;
static bool tamper, softphone, stereo_offer, hold, mdns;
static int exit_status = -1;
static bool stopping;
static unsigned offers;

static void stop_soon(unsigned ms);

/* Softphone-style SDP: no BUNDLE group, no a=mid; ICE and DTLS attributes
 * of the (one) audio section moved to session level. */
static char *to_softphone(const char *sdp)
{
	GString *session = g_string_new(NULL), *media = g_string_new(NULL);
	gchar **lines = g_strsplit(sdp, "\r\n", -1);
	bool in_media = false;

	for (gchar **l = lines; *l; l++) {
		if (!**l)
			continue;
		if (g_str_has_prefix(*l, "m="))
			in_media = true;
		if (g_str_has_prefix(*l, "a=group:") ||
		    g_str_has_prefix(*l, "a=mid:") ||
		    g_str_has_prefix(*l, "a=msid-semantic"))
			continue;
		if (in_media && (g_str_has_prefix(*l, "a=ice-ufrag:") ||
				 g_str_has_prefix(*l, "a=ice-pwd:") ||
				 g_str_has_prefix(*l, "a=fingerprint:") ||
				 g_str_has_prefix(*l, "a=setup:"))) {
			g_string_append_printf(session, "%s\r\n", *l);
			continue;
		}
		g_string_append_printf(in_media ? media : session, "%s\r\n",
				       *l);
	}
	g_strfreev(lines);
	g_string_append(session, media->str);
	g_string_free(media, TRUE);
	return g_string_free(session, FALSE);
}

/* The last hex digit of every a=fingerprint changed. */
static char *tampered(const char *sdp)
{
	char *out = g_strdup(sdp), *p = out;

	while ((p = strstr(p, "a=fingerprint:"))) {
		char *eol = strstr(p, "\r\n");

		if (eol && eol > p) {
			eol[-1] = eol[-1] == '0' ? '1' : '0';
			p = eol;
		} else {
			break;
		}
	}
	return out;
}

/* A browser's mDNS host candidate first (nothing resolves it here). */
static char *with_mdns(const char *sdp)
{
	gchar **parts = g_strsplit(sdp, "a=candidate:", 2);
	char *out = g_strjoinv("a=candidate:9 1 UDP 2122260223 "
			       "0f6e2b7c-1d2e-4c55-9c3b-2a5d8e1f4a6b.local "
			       "50000 typ host\r\na=candidate:",
			       parts);

	g_strfreev(parts);
	return out;
}

/* Chromium's Opus offer: a stereo sender (sprop-stereo=1). */
static char *stereo(const char *sdp)
{
	const char *from = strstr(sdp, "sprop-stereo=0") ? "sprop-stereo=0"
							 : "OPUS/48000/2\r\n";
	const char *to = from[0] == 's' ? "sprop-stereo=1;stereo=1"
					: "OPUS/48000/2\r\na=fmtp:111 "
					  "sprop-stereo=1;stereo=1\r\n";
	gchar **parts = g_strsplit(sdp, from, -1);
	char *out = g_strjoinv(to, parts);

	g_strfreev(parts);
	return out;
}

static gboolean quit(gpointer unused)
{
	(void)unused;
	g_main_loop_quit(main_loop);
	return G_SOURCE_REMOVE;
}

static void stop_soon(unsigned ms)
{
	if (stopping)
		return;
	stopping = true;
	g_timeout_add(ms, quit, NULL);
}

static gboolean send_dtmf(gpointer p)
{
	struct side *s = p;
	int err = media_dtmf_send(s->m, s->dtmf, 120);

	if (err)
		printf("%s: dtmf send failed %s\n", s->name, strerror(err));
	return G_SOURCE_REMOVE;
}

/* --hold: a holds the call 0.5 s after both connected, resumes 0.5 s
 * later. */
static gboolean do_hold(gpointer p)
{
	bool on = p != NULL;
	int err = media_hold(a.m, on);

	if (err)
		printf("a: hold failed %s\n", strerror(err));
	if (on)
		g_timeout_add(500, do_hold, NULL);
	return G_SOURCE_REMOVE;
}

static void on_event(const struct media_event *ev, void *arg)
{
	struct side *s = arg;
	char reason[256] = "";
	char *text = NULL;
	int err;

	switch (ev->type) {
	case MEDIA_EVENT_SDP:
		fprintf(stderr, "%s: sdp %s after %llu ms\n", s->name,
			ev->sdp_offer ? "offer" : "answer",
			(unsigned long long)(loop_now_ms() - t_offer));
		if (s == &a && ev->sdp_offer) {
			text = softphone ? to_softphone(ev->sdp)
					 : g_strdup(ev->sdp);
			if (stereo_offer) {
				char *st = stereo(text);

				g_free(text);
				text = st;
			}
			if (mdns) {
				char *md = with_mdns(text);

				g_free(text);
				text = md;
			}
			if (strstr(text, "m=video"))
				printf("a: offer video\n");
			if (offers++ > 0)
				printf("a: offer %s\n",
				       strstr(text, "a=sendonly") ? "sendonly"
								  : "sendrecv");
			if (getenv("MEDIA_PAIR_SDP"))
				fprintf(stderr, "%s", text);
			err = media_answer(b.m, text, reason, sizeof(reason));
			if (err)
				printf("b: answer refused %s: %s\n",
				       strerror(err), reason);
		} else if (s == &b && !ev->sdp_offer) {
			text = softphone ? to_softphone(ev->sdp)
					 : g_strdup(ev->sdp);
			if (strstr(text, "m=video 0 "))
				printf("b: answer video port 0\n");
			else if (strstr(text, "m=video"))
				printf("b: answer video %s\n",
				       strstr(strstr(text, "m=video"),
					      "a=inactive")
					       ? "inactive"
					       : "active");
			if (offers > 1)
				printf("b: answer %s\n",
				       strstr(text, "a=recvonly") ? "recvonly"
								  : "sendrecv");
			if (tamper) {
				char *t = tampered(text);

				g_free(text);
				text = t;
			}
			if (getenv("MEDIA_PAIR_SDP"))
				fprintf(stderr, "%s", text);
			err = media_set_answer(a.m, text, reason,
					       sizeof(reason));
			if (err)
				printf("a: answer refused %s: %s\n",
				       strerror(err), reason);
		}
		g_free(text);
		break;
	case MEDIA_EVENT_CONNECTED:
		s->connected = true;
		s->connected_ms = loop_now_ms() - t_offer;
		printf("%s: connected\n", s->name);
		fprintf(stderr, "%s: first decoded audio %llu ms after the "
				"offer began\n",
			s->name, (unsigned long long)s->connected_ms);
		if (s->dtmf)
			g_timeout_add(200, send_dtmf, s);
		if (a.connected && b.connected) {
			if (hold)
				g_timeout_add(500, do_hold, &hold);
			exit_status = 0;
			stop_soon(seconds * 1000);
		}
		break;
	case MEDIA_EVENT_DTMF:
		printf("%s: dtmf %c\n", s->name, ev->dtmf);
		break;
	case MEDIA_EVENT_FAILED:
		printf("%s: failed %s: %s\n", s->name,
		       ev->err == EKEYREJECTED ? "EKEYREJECTED"
					       : strerror(ev->err),
		       ev->reason);
		if (exit_status <= 0)
			exit_status = exitcode_from_media(ev->err);
		/* Long enough to see that no audio gets through. */
		stop_soon(1000);
		break;
	case MEDIA_EVENT_ENDED:
		printf("%s: ended\n", s->name);
		break;
	case MEDIA_EVENT_PLAYED: /* no media_play() here */
		break;
	}
	fflush(stdout);
}

static void print_stats(struct side *s)
{
	struct media_stats st;

	if (media_stats_get(s->m, &st))
		return;
	fprintf(stderr,
		"%s: stats codec %s sent %llu packets %llu bytes, received "
		"%llu packets %llu bytes, lost %lld, jitter %.1f ms, rtt "
		"%.1f ms\n",
		s->name, media_codec(s->m) ? media_codec(s->m) : "-",
		(unsigned long long)st.packets_sent,
		(unsigned long long)st.bytes_sent,
		(unsigned long long)st.packets_received,
		(unsigned long long)st.bytes_received,
		(long long)st.packets_lost, st.jitter_ms, st.rtt_ms);
	if (st.packets_received > 0)
		printf("%s: received packets\n", s->name);
	if (st.video)
		fprintf(stderr,
			"%s: video sent %llu packets, received %llu packets, "
			"%llu frames decoded\n",
			s->name, (unsigned long long)st.video_packets_sent,
			(unsigned long long)st.video_packets_received,
			(unsigned long long)st.video_frames_decoded);
	/* LeakSanitizer ends the process without flushing stdio. */
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"a-tone", required_argument, NULL, 1},
		{"b-tone", required_argument, NULL, 2},
		{"a-wav", required_argument, NULL, 3},
		{"b-wav", required_argument, NULL, 4},
		{"a-dtmf", required_argument, NULL, 5},
		{"b-dtmf", required_argument, NULL, 6},
		{"tamper", no_argument, NULL, 7},
		{"softphone", no_argument, NULL, 8},
		{"turn", required_argument, NULL, 9},
		{"turn-user", required_argument, NULL, 10},
		{"turn-pass", required_argument, NULL, 11},
		{"relay", no_argument, NULL, 12},
		{"address", required_argument, NULL, 13},
		{"stereo-offer", no_argument, NULL, 14},
		{"hold", no_argument, NULL, 15},
		{"warm", required_argument, NULL, 16},
		{"mdns", no_argument, NULL, 17},
		{"a-file", required_argument, NULL, 18},
		{"a-raw-in", required_argument, NULL, 19},
		{"b-raw-out", required_argument, NULL, 20},
		{"a-device-in", required_argument, NULL, 21},
		{"b-device-out", required_argument, NULL, 22},
		{"a-video", no_argument, NULL, 23},
		{"b-video", no_argument, NULL, 24},
		{NULL, 0, NULL, 0},
	};
	const char *addresses[8];
	size_t n_addresses = 0;
	struct media_ice_server turn = {0};
	struct media_config cfg = {0};
	unsigned timeout = 10, warm_ms = 0;
	bool relay = false;
	struct rusage ru;
	int c, err;

	while ((c = getopt_long(argc, argv, "s:t:", opts, NULL)) != -1) {
		switch (c) {
		case 's': seconds = (unsigned)atoi(optarg); break;
		case 't': timeout = (unsigned)atoi(optarg); break;
		case 1: a.tone = atof(optarg); break;
		case 2: b.tone = atof(optarg); break;
		case 3: a.wav = optarg; break;
		case 4: b.wav = optarg; break;
		case 5: a.dtmf = optarg; break;
		case 6: b.dtmf = optarg; break;
		case 7: tamper = true; break;
		case 8: softphone = true; break;
		case 9: turn.url = optarg; break;
		case 10: turn.username = optarg; break;
		case 11: turn.credential = optarg; break;
		case 12: relay = true; break;
		case 13:
			if (n_addresses < 8)
				addresses[n_addresses++] = optarg;
			break;
		case 14: stereo_offer = true; break;
		case 15: hold = true; break;
		case 16: warm_ms = (unsigned)atoi(optarg); break;
		case 17: mdns = true; break;
		case 18: a.file = optarg; break;
		case 19: a.fd_in = atoi(optarg); break;
		case 20: b.fd_out = atoi(optarg); break;
		case 21: a.device_in = optarg; break;
		case 22: b.device_out = optarg; break;
		case 23: a.video = true; break;
		case 24: b.video = true; break;
		default:
			fprintf(stderr, "media-pair: bad usage\n");
			return SIPWS_EXIT_USAGE;
		}
	}
	t_offer = loop_now_ms();
	err = media_prepare();
	if (err) {
		fprintf(stderr, "media-pair: %s\n", strerror(err));
		return SIPWS_EXIT_SOFTWARE;
	}
	if (!n_addresses)
		addresses[n_addresses++] = "127.0.0.1";
	cfg.ice_addresses = addresses;
	cfg.ice_address_count = n_addresses;
	if (turn.url) {
		cfg.ice_servers = &turn;
		cfg.ice_server_count = 1;
	}
	cfg.relay_only = relay;
	main_loop = g_main_loop_new(NULL, FALSE);
	for (struct side *s = &a; s; s = s == &a ? &b : NULL) {
		cfg.source = MEDIA_SOURCE_TONE;
		cfg.tone_hz = &s->tone;
		cfg.tone_count = 1;
		if (s->file) {
			cfg.source = MEDIA_SOURCE_FILE;
			cfg.source_path = s->file;
		} else if (s->fd_in >= 0) {
			cfg.source = MEDIA_SOURCE_FD;
			cfg.source_fd = s->fd_in;
		} else if (s->device_in) {
			cfg.source = MEDIA_SOURCE_DEVICE;
			cfg.source_device = *s->device_in ? s->device_in : NULL;
		}
		cfg.sink = s->wav ? MEDIA_SINK_WAV : MEDIA_SINK_NONE;
		cfg.sink_path = s->wav;
		if (s->fd_out >= 0) {
			cfg.sink = MEDIA_SINK_FD;
			cfg.sink_fd = s->fd_out;
		} else if (s->device_out) {
			cfg.sink = MEDIA_SINK_DEVICE;
			cfg.sink_device = *s->device_out ? s->device_out : NULL;
		}
		cfg.video = s->video ? MEDIA_VIDEO_PATTERN : MEDIA_VIDEO_NONE;
		err = media_alloc(&s->m, &cfg, on_event, s);
		if (err) {
			fprintf(stderr, "media-pair: %s\n", strerror(err));
			return SIPWS_EXIT_SOFTWARE;
		}
	}
	/* --warm: the certificate made first, to time the exchange alone. */
	if (warm_ms)
		g_usleep(warm_ms * 1000);
	t_offer = loop_now_ms();
	err = media_offer(a.m);
	if (err) {
		fprintf(stderr, "media-pair: offer: %s\n", strerror(err));
		return SIPWS_EXIT_MEDIA;
	}
	g_timeout_add_seconds(timeout, quit, NULL);
	g_main_loop_run(main_loop);
	print_stats(&a);
	print_stats(&b);
	media_free(a.m);
	media_free(b.m);
	media_prepare_wait();
	g_main_loop_unref(main_loop);
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr, "media-pair: cpu %.2f s user+sys, max rss %ld KiB\n",
		(double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
			(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
		ru.ru_maxrss);
	if (exit_status < 0) {
		printf("media-pair: timeout\n");
		return SIPWS_EXIT_TIMEOUT;
	}
	return exit_status;
}
