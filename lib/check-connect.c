/* webrtc-check's connectivity suite (check-connect.h): two media
 * sessions, SDP handed over in-process with the candidates of one type
 * kept (testrtc's filter), timed and measured on GLib's default main
 * context. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "check-connect.h"
#include "media.h"

#define SUITE "connectivity"
#define MEASURE_MS 3000

struct pair {
	GMainLoop *loop;
	struct media *a, *b;
	const char *typ; /* the candidate type kept: "host", "srflx", "relay" */
	bool offered; /* a's offer came */
	bool a_connected, b_connected;
	int err;         /* the first failure */
	char reason[CHECK_REASON_MAX];
	gint64 t_offer, t_connected;
	unsigned timeout_ms; /* gathering and connecting */
};

/* The SDP with only the a=candidate lines of type typ; *kept counts them. */
static char *candidates_keep(const char *sdp, const char *typ,
			     unsigned *kept)
{
	GString *out = g_string_new(NULL);
	gchar **lines = g_strsplit(sdp, "\r\n", -1);
	char want[16];

	snprintf(want, sizeof(want), " typ %s", typ);
	*kept = 0;
	for (gchar **l = lines; *l; l++) {
		if (!**l)
			continue;
		if (g_str_has_prefix(*l, "a=candidate:")) {
			const char *t = strstr(*l, " typ ");

			if (!t || strncmp(t, want, strlen(want)) ||
			    (t[strlen(want)] && t[strlen(want)] != ' '))
				continue;
			++*kept;
		}
		g_string_append_printf(out, "%s\r\n", *l);
	}
	g_strfreev(lines);
	return g_string_free(out, FALSE);
}

static void pair_fail(struct pair *p, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void pair_fail(struct pair *p, int err, const char *fmt, ...)
{
	va_list ap;

	if (p->err)
		return;
	p->err = err;
	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
	g_main_loop_quit(p->loop);
}

static const char *typ_words(const char *typ)
{
	return !strcmp(typ, "host")    ? "host"
	       : !strcmp(typ, "srflx") ? "server-reflexive"
				       : "relay";
}

/* An offer or answer: the other side gets it with one candidate type. */
static void pair_sdp(struct pair *p, bool from_a, const char *sdp)
{
	char reason[160] = "";
	unsigned kept;
	char *text = candidates_keep(sdp, p->typ, &kept);
	int err;

	if (!kept && !strcmp(p->typ, "srflx")) {
		/* libnice drops a reflexive candidate equal to a host one. */
		pair_fail(p, ENODATA,
			  "no server-reflexive candidate: no NAT between here "
			  "and the STUN server, or it does not answer (the "
			  "network suite tells which)");
	} else if (!kept) {
		pair_fail(p, EHOSTUNREACH, "the %s gathered no %s candidate",
			  from_a ? "offer" : "answer", typ_words(p->typ));
	} else if (from_a) {
		err = media_answer(p->b, text, reason, sizeof(reason));
		if (err)
			pair_fail(p, err, "the offer was refused: %s", reason);
	} else {
		err = media_set_answer(p->a, text, reason, sizeof(reason));
		if (err)
			pair_fail(p, err, "the answer was refused: %s",
				  reason);
	}
	g_free(text);
}

static void on_media(const struct media_event *ev, void *arg,
		     bool from_a)
{
	struct pair *p = arg;

	switch (ev->type) {
	case MEDIA_EVENT_SDP:
		p->offered = p->offered || from_a;
		if (ev->sdp_offer == from_a)
			pair_sdp(p, from_a, ev->sdp);
		break;
	case MEDIA_EVENT_CONNECTED:
		*(from_a ? &p->a_connected : &p->b_connected) = true;
		if (p->a_connected && p->b_connected) {
			p->t_connected = g_get_monotonic_time();
			g_main_loop_quit(p->loop);
		}
		break;
	case MEDIA_EVENT_FAILED:
		if (!p->offered && ev->err == EHOSTUNREACH &&
		    !strcmp(p->typ, "relay"))
			pair_fail(p, ev->err,
				  "no relay candidate: the TURN server refused "
				  "our credentials or does not answer (the "
				  "network suite tells which)");
		else
			pair_fail(p, ev->err, "%s", ev->reason);
		break;
	case MEDIA_EVENT_DTMF:
	case MEDIA_EVENT_ENDED:
	case MEDIA_EVENT_PLAYED:
		break;
	}
}

static void on_media_a(const struct media_event *ev, void *arg)
{
	on_media(ev, arg, true);
}

static void on_media_b(const struct media_event *ev, void *arg)
{
	on_media(ev, arg, false);
}

static gboolean pair_timeout(gpointer arg)
{
	struct pair *p = arg;

	/* Which half is missing: "connected" is audio received. */
	pair_fail(p, ETIMEDOUT, "not connected in %.1f s%s",
		  p->timeout_ms / 1000.0,
		  !p->offered		   ? " (no offer was made)"
		  : p->a_connected	   ? " (no audio reached the answerer)"
		  : p->b_connected	   ? " (no audio reached the offerer)"
					   : " (no audio either way)");
	return G_SOURCE_REMOVE;
}

static gboolean pair_quit(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

/* The loop runs ms (a failure ends it sooner). */
static void pair_wait(struct pair *p, unsigned ms)
{
	guint id = g_timeout_add(ms, pair_quit, p->loop);

	g_main_loop_run(p->loop);
	if (!g_main_context_find_source_by_id(NULL, id))
		return;
	g_source_remove(id);
}

static double tenths(double v)
{
	return round(v * 10) / 10 + 0.0; /* + 0.0: never "-0" */
}

/* After the connection: media measured for measure_ms, both ways. */
static void pair_measure(struct pair *p, unsigned measure_ms,
			 struct check_result *r)
{
	struct media_stats a0, b0, a1, b1, st;
	uint64_t bytes, packets;
	int64_t lost;
	double kbits, loss;
	char rtt[32] = "";

	if (media_stats_get(p->a, &a0) || media_stats_get(p->b, &b0)) {
		check_set(r, CHECK_FAIL, "no statistics");
		return;
	}
	pair_wait(p, measure_ms);
	if (p->err) {
		check_set(r, CHECK_FAIL, "connected, then failed: %s",
			  p->reason);
		return;
	}
	if (media_stats_get(p->a, &a1) || media_stats_get(p->b, &b1)) {
		check_set(r, CHECK_FAIL, "no statistics");
		return;
	}
	/* RTCP's first report may come later than that (2.5 s on average,
	 * each interval randomised 0.5-1.5 times 5 s): either side's round
	 * trip, within 10 s. */
	if (a1.rtt_ms < 0)
		a1.rtt_ms = b1.rtt_ms;
	for (int i = 0; i < 40 && a1.rtt_ms < 0 && !p->err; i++) {
		pair_wait(p, 250);
		if (media_stats_get(p->a, &st) == 0)
			a1.rtt_ms = st.rtt_ms;
		if (a1.rtt_ms < 0 && media_stats_get(p->b, &st) == 0)
			a1.rtt_ms = st.rtt_ms;
	}
	/* Per direction: the mean of what each side received. */
	bytes = (b1.bytes_received - b0.bytes_received +
		 a1.bytes_received - a0.bytes_received) / 2;
	packets = b1.packets_received - b0.packets_received +
		  a1.packets_received - a0.packets_received;
	lost = b1.packets_lost - b0.packets_lost + a1.packets_lost -
	       a0.packets_lost;
	kbits = bytes * 8.0 / measure_ms;
	loss = packets + lost > 0 ? 100.0 * lost / (packets + lost) : 0;
	check_figure_add(r, "kbit_s", tenths(kbits), "kbit/s");
	check_figure_add(r, "packets", (double)packets, "");
	check_figure_add(r, "loss_pct", tenths(loss), "%");
	if (a1.rtt_ms >= 0)
		check_figure_add(r, "rtt_ms", tenths(a1.rtt_ms), "ms");
	check_figure_add(r, "jitter_ms", tenths(b1.jitter_ms), "ms");
	if (!packets) {
		check_set(r, CHECK_FAIL, "connected, then no media for %.1f s",
			  measure_ms / 1000.0);
		return;
	}
	if (a1.rtt_ms >= 0)
		snprintf(rtt, sizeof(rtt), ", RTT %.1f ms", a1.rtt_ms);
	check_set(r, loss > CHECK_CONNECT_LOSS_WARN_PCT ? CHECK_WARN
							: CHECK_PASS,
		  "connected in %.0f ms; %.0f kbit/s each way, %.1f %% "
		  "loss%s",
		  (p->t_connected - p->t_offer) / 1000.0, kbits, loss, rtt);
}

/* One check: a pair with these ICE servers, candidates of type typ. */
static void pair_check(const struct check_config *cfg,
		       const struct check_sink *sink, struct check_result *r,
		       const char *typ, const struct media_ice_server *server)
{
	static const double tone_a = 440, tone_b = 660;
	struct media_config mc = {0};
	struct pair p = {.typ = typ};
	unsigned timeout = cfg->timeout_ms ? cfg->timeout_ms
					   : CHECK_TIMEOUT_MS;
	guint timer;
	int err;

	check_start(sink, r);
	p.loop = g_main_loop_new(NULL, FALSE);
	mc.source = MEDIA_SOURCE_TONE;
	mc.tone_count = 1;
	mc.video = MEDIA_VIDEO_PATTERN; /* VP8 too: throughput worth measuring */
	mc.ice_addresses = cfg->ice_addresses;
	mc.ice_address_count = cfg->ice_address_count;
	mc.ice_servers = server;
	mc.ice_server_count = server ? 1 : 0;
	mc.relay_only = !strcmp(typ, "relay");
	mc.connect_timeout_ms = timeout;
	mc.tone_hz = &tone_a;
	err = media_alloc(&p.a, &mc, on_media_a, &p);
	mc.tone_hz = &tone_b;
	if (!err)
		err = media_alloc(&p.b, &mc, on_media_b, &p);
	if (!err) {
		p.t_offer = g_get_monotonic_time();
		err = media_offer(p.a);
	}
	if (err) {
		check_set(r, CHECK_FAIL, "the media session does not start: %s",
			  g_strerror(err));
		goto out;
	}
	/* Gathering (TURN allocations) comes before the connect timeout. */
	p.timeout_ms = 2 * timeout;
	timer = g_timeout_add(p.timeout_ms, pair_timeout, &p);
	g_main_loop_run(p.loop);
	if (g_main_context_find_source_by_id(NULL, timer))
		g_source_remove(timer);
	if (p.err) {
		check_set(r, p.err == ENODATA ? CHECK_SKIP : CHECK_FAIL, "%s",
			  p.reason);
		goto out;
	}
	check_figure_add(r, "connect_ms",
			 round((p.t_connected - p.t_offer) / 1000.0), "ms");
	pair_measure(&p, MEASURE_MS, r);
out:
	media_free(p.a);
	media_free(p.b);
	/* What the sessions posted before they died is dropped here. */
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_main_loop_unref(p.loop);
	check_report(sink, r);
}

int check_connectivity_run(const struct check_config *cfg,
			   const struct check_sink *sink)
{
	struct check_result r;

	if (media_prepare())
		return ENOENT;
	check_init(&r, SUITE, "host");
	pair_check(cfg, sink, &r, "host", NULL);
	if (!cfg->stun_count) {
		check_init(&r, SUITE, "reflexive");
		check_set(&r, CHECK_SKIP, "no STUN server configured");
		check_report(sink, &r);
	}
	for (size_t i = 0; i < cfg->stun_count; i++) {
		struct media_ice_server stun = {.url = cfg->stun_servers[i]};

		check_init(&r, SUITE, "reflexive %s", stun.url);
		pair_check(cfg, sink, &r, "srflx", &stun);
	}
	if (!cfg->turn_count) {
		check_init(&r, SUITE, "relay");
		check_set(&r, CHECK_SKIP, "no TURN server configured");
		check_report(sink, &r);
	}
	for (size_t i = 0; i < cfg->turn_count; i++) {
		const struct check_turn_server *t = &cfg->turn_servers[i];
		struct media_ice_server turn = {.url = t->url,
						.username = t->username,
						.credential = t->password};

		check_init(&r, SUITE, "relay %s", turn.url);
		pair_check(cfg, sink, &r, "relay", &turn);
	}
	return 0;
}
