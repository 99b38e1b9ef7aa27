/* A call through the ua door and calls (call.h), as an outside program
 * makes one (tests/t0910-ua-calls.t): register, then dial or wait for a
 * call, send a tone, record what comes, DTMF, hold, hang up. Built by the
 * test against the installed tree, through the umbrella header only.
 *
 *   ua-call WS-URL ACCOUNT-URI [options]     (password: $UA_CALL_PASSWORD)
 *     --dial URI          call URI (else wait for a call)
 *     --dial-after MS     ... MS ms after registering (default 0)
 *     --reject STATUS     reject the incoming call
 *     --answer-after MS   answer after MS ms of ringing (default 0)
 *     --tone HZ           send a tone (default 440)
 *     --wav FILE          record what comes into a WAV file
 *     --seconds N         hang up N s after the media connected (0: wait)
 *     --hangup-after MS   hang up MS ms after dialling or ringing
 *     --dtmf DIGITS       send these 300 ms after the media connected
 *     --dtmf-after MS     ... MS ms after instead
 *     --info              ... by SIP INFO (else RFC 4733)
 *     --hold              hold 1 s after the media connected, resume 1 s later
 *     --no-answer MS      give up when not answered within MS
 *     --ca FILE           tls.ca_file
 *     --relay TURN-URL    relay-only through TURN-URL
 *                         (user and password: $UA_CALL_TURN_USER, _PASS)
 *     --trace             the SIP trace on stderr (secrets masked),
 *                         each message after a line "sent:" or "received:"
 *     --times             print timings and resource use on stderr, for
 *                         bench/call.sh: "times dial_ms=D media_ms=M
 *                         media_epoch_ns=N" at the first audio (since
 *                         call_dial, since main), "rusage cpu_s=C
 *                         maxrss_kib=R wall_s=W" at the end
 *
 * Prints one line per event ("registered", "incoming FROM", "progress
 * 180", "answered", "media", "dtmf 5 info", "hold", "held", "ended
 * REASON STATUS"), then "stats ..." and exits with the table of
 * exitcode.h for the end: 0 for a normal end (either side's BYE). */
#include <sipws/sipws.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static struct ua *ua;
static struct calls *calls;
static struct call *the_call;
static const char *dial, *dtmf;
static unsigned reject_status, answer_after, seconds, hangup_after;
static unsigned dial_after, dtmf_after = 300;
static bool info, hold;
static int exit_code = SIPWS_EXIT_TIMEOUT;
static struct loop_timer t_answer, t_hangup, t_dtmf, t_hold, t_dial;
static bool held_once, media_seen, times;
static uint64_t t_main_us, t_dial_us;

static uint64_t epoch_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void say(const char *fmt, const char *a, unsigned n)
{
	if (times) {
		fprintf(stderr, "at %.1f ms: ",
			(double)(loop_now_us() - t_main_us) / 1000.0);
		fprintf(stderr, fmt, a, n);
		fputc('\n', stderr);
	}
	printf(fmt, a, n);
	putchar('\n');
	fflush(stdout);
}

static void hangup_cb(void *arg)
{
	(void)arg;
	if (the_call != NULL)
		(void)call_hangup(the_call);
}

static void answer_cb(void *arg)
{
	(void)arg;
	if (the_call != NULL && call_answer(the_call) != 0)
		say("answer failed%s", "", 0);
}

static void dtmf_cb(void *arg)
{
	int err;

	(void)arg;
	if (the_call == NULL)
		return;
	err = call_dtmf(the_call, dtmf, 120, info);
	if (err)
		say("dtmf failed %s", strerror(err), 0);
}

static void hold_cb(void *arg)
{
	int err;

	(void)arg;
	if (the_call == NULL)
		return;
	err = call_hold(the_call, !held_once);
	if (err)
		say("hold failed %s", strerror(err), 0);
	held_once = true;
}

static void on_call(const struct call_event *ev, void *arg)
{
	struct loop *l = ua_loop(ua);
	struct media_stats st;

	(void)arg;
	switch (ev->type) {
	case CALL_EVENT_INCOMING:
		say("incoming %s", call_peer(ev->call), 0);
		if (the_call != NULL) {
			(void)call_reject(ev->call, 486);
			break;
		}
		the_call = ev->call;
		if (reject_status)
			(void)call_reject(ev->call, reject_status);
		else if (!hangup_after)
			loop_timer_start(&t_answer, l, answer_after, answer_cb,
					 NULL);
		break;
	case CALL_EVENT_PROGRESS:
		say("progress %s%u", "", ev->status);
		break;
	case CALL_EVENT_ANSWERED:
		say("answered%s", "", 0);
		break;
	case CALL_EVENT_MEDIA:
		say("media %s", call_codec(ev->call) ? call_codec(ev->call) : "-", 0);
		media_seen = true;
		if (times)
			fprintf(stderr, "times dial_ms=%.1f media_ms=%.1f "
					"media_epoch_ns=%llu\n",
				(double)(loop_now_us() - t_dial_us) / 1000.0,
				(double)(loop_now_us() - t_main_us) / 1000.0,
				(unsigned long long)epoch_ns());
		if (dtmf)
			loop_timer_start(&t_dtmf, l, dtmf_after, dtmf_cb, NULL);
		if (hold)
			loop_timer_start(&t_hold, l, 1000, hold_cb, NULL);
		if (seconds)
			loop_timer_start(&t_hangup, l, seconds * 1000ull,
					 hangup_cb, NULL);
		break;
	case CALL_EVENT_DTMF:
		printf("dtmf %c %s\n", ev->dtmf, ev->info ? "info" : "rfc4733");
		fflush(stdout);
		break;
	case CALL_EVENT_HOLD:
		say("%s", ev->held ? "peer hold" : "peer resume", 0);
		break;
	case CALL_EVENT_HELD:
		say("%s", ev->held ? "held" : "resumed", 0);
		if (ev->held)
			loop_timer_start(&t_hold, l, 1000, hold_cb, NULL);
		break;
	case CALL_EVENT_SOURCE_ENDED:
		say("source ended%s", "", 0);
		break;
	case CALL_EVENT_ENDED:
		if (media_seen && call_stats(ev->call, &st) == 0)
			printf("stats received %llu packets, sent %llu "
			       "packets\n",
			       (unsigned long long)st.packets_received,
			       (unsigned long long)st.packets_sent);
		printf("ended %s %u\n", call_end_name(ev->end), ev->status);
		fprintf(stderr, "ua-call: %s\n", ev->reason);
		fflush(stdout);
		if (ev->call != the_call)
			break;
		the_call = NULL;
		switch (ev->end) {
		case CALL_END_LOCAL:
		case CALL_END_REMOTE:
		case CALL_END_CANCELLED:
			exit_code = SIPWS_EXIT_OK;
			break;
		case CALL_END_FAILED:
			exit_code = exitcode_from_sip_status((int)ev->status, 0);
			break;
		case CALL_END_MEDIA:
			exit_code = exitcode_from_media(ev->err);
			break;
		case CALL_END_ERROR:
			exit_code = ev->err == ETIMEDOUT ? SIPWS_EXIT_NO_ANSWER
							 : exitcode_from_errno(ev->err);
			break;
		}
		loop_timer_cancel(&t_answer);
		loop_timer_cancel(&t_hangup);
		loop_timer_cancel(&t_dtmf);
		loop_timer_cancel(&t_hold);
		(void)ua_shutdown(ua);
		break;
	}
}

static void on_trace(bool out, size_t wire_len, const char *msg, size_t len,
		     void *arg)
{
	(void)wire_len;
	(void)arg;
	fprintf(stderr, "%s:\n%.*s\n", out ? "sent" : "received", (int)len,
		msg);
}

static void dial_cb(void *arg)
{
	int err;

	(void)arg;
	t_dial_us = loop_now_us();
	err = call_dial(calls, dial, &the_call);
	if (err) {
		say("dial failed %s", strerror(err), 0);
		exit_code = exitcode_from_errno(err);
		(void)ua_shutdown(ua);
	}
}

static void on_reg(const struct reg_event *ev, void *arg)
{
	(void)arg;
	if (ev->type == REG_REGISTERED && !ev->refresh) {
		say("registered%s", "", 0);
		if (dial && dial_after)
			loop_timer_start(&t_dial, ua_loop(ua), dial_after,
					 dial_cb, NULL);
		else if (dial)
			dial_cb(NULL);
		if (hangup_after)
			loop_timer_start(&t_hangup, ua_loop(ua),
					 dial_after + hangup_after, hangup_cb,
					 NULL);
	} else if (ev->type == REG_FAILED) {
		say("registration failed %s%u", "", ev->status);
		exit_code = SIPWS_EXIT_AUTH;
		(void)ua_shutdown(ua);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dial", required_argument, NULL, 'd'},
		{"dial-after", required_argument, NULL, 'A'},
		{"reject", required_argument, NULL, 'r'},
		{"answer-after", required_argument, NULL, 'a'},
		{"tone", required_argument, NULL, 't'},
		{"wav", required_argument, NULL, 'w'},
		{"seconds", required_argument, NULL, 's'},
		{"hangup-after", required_argument, NULL, 'H'},
		{"dtmf", required_argument, NULL, 'D'},
		{"dtmf-after", required_argument, NULL, 'E'},
		{"info", no_argument, NULL, 'I'},
		{"hold", no_argument, NULL, 'h'},
		{"no-answer", required_argument, NULL, 'n'},
		{"ca", required_argument, NULL, 'c'},
		{"relay", required_argument, NULL, 'R'},
		{"times", no_argument, NULL, 'T'},
		{"trace", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	static const char *const loopback[] = {"127.0.0.1"};
	struct ua_config ucfg = {.backend = LOOP_GLIB, .reg_h = on_reg};
	struct calls_config ccfg = {.h = on_call};
	struct media_ice_server turn = {0};
	struct conf *conf = NULL;
	const char *pass = getenv("UA_CALL_PASSWORD"), *ca = NULL;
	char text[2048], reason[256] = "cannot start";
	double tone = 440;
	struct rusage ru;
	int c, err;

	t_main_us = loop_now_us();
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a': answer_after = (unsigned)atoi(optarg); break;
		case 'A': dial_after = (unsigned)atoi(optarg); break;
		case 'c': ca = optarg; break;
		case 'd': dial = optarg; break;
		case 'D': dtmf = optarg; break;
		case 'E': dtmf_after = (unsigned)atoi(optarg); break;
		case 'h': hold = true; break;
		case 'H': hangup_after = (unsigned)atoi(optarg); break;
		case 'I': info = true; break;
		case 'n': ccfg.no_answer_ms = (unsigned)atoi(optarg); break;
		case 'r': reject_status = (unsigned)atoi(optarg); break;
		case 'R':
			turn.url = optarg;
			turn.username = getenv("UA_CALL_TURN_USER");
			turn.credential = getenv("UA_CALL_TURN_PASS");
			ccfg.media.ice_servers = &turn;
			ccfg.media.ice_server_count = 1;
			ccfg.media.relay_only = true;
			break;
		case 's': seconds = (unsigned)atoi(optarg); break;
		case 't': tone = atof(optarg); break;
		case 'T': times = true; break;
		case 'V': ucfg.trace_h = on_trace; break;
		case 'w':
			ccfg.media.sink = MEDIA_SINK_WAV;
			ccfg.media.sink_path = optarg;
			break;
		default:
			return SIPWS_EXIT_USAGE;
		}
	}
	if (argc - optind != 2 || pass == NULL) {
		fprintf(stderr, "usage: ua-call WS-URL ACCOUNT-URI [options] "
				"(password in $UA_CALL_PASSWORD)\n");
		return SIPWS_EXIT_USAGE;
	}
	ccfg.media.source = MEDIA_SOURCE_TONE;
	ccfg.media.tone_hz = &tone;
	ccfg.media.tone_count = 1;
	ccfg.media.ice_addresses = loopback;
	ccfg.media.ice_address_count = 1;
	snprintf(text, sizeof(text),
		 "websocket.servers = %s\n%s%s%s[user]\nuri = %s\n"
		 "sip_auth_password = %s\n",
		 argv[optind], ca ? "[tls]\nca_file = " : "", ca ? ca : "",
		 ca ? "\n" : "", argv[optind + 1], pass);
	if (conf_alloc(&conf) != 0 ||
	    conf_parse(conf, "account", text, strlen(text), reason,
		       sizeof(reason)) != 0 ||
	    conf_check(conf, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "ua-call: %s\n", reason);
		conf_free(conf);
		return SIPWS_EXIT_CONFIG;
	}
	loop_timer_init(&t_answer);
	loop_timer_init(&t_hangup);
	loop_timer_init(&t_dtmf);
	loop_timer_init(&t_hold);
	loop_timer_init(&t_dial);
	err = ua_alloc(&ua, conf, &ucfg, reason, sizeof(reason));
	if (!err)
		err = calls_alloc(&calls, ua, &ccfg);
	if (!err)
		err = ua_start(ua);
	if (!err)
		err = ua_register(ua);
	if (!err)
		err = ua_run(ua);
	calls_free(calls);
	ua_free(ua);
	if (times && getrusage(RUSAGE_SELF, &ru) == 0)
		fprintf(stderr, "rusage cpu_s=%.3f maxrss_kib=%ld wall_s=%.3f\n",
			(double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
				(double)(ru.ru_utime.tv_usec +
					 ru.ru_stime.tv_usec) / 1e6,
			ru.ru_maxrss,
			(double)(loop_now_us() - t_main_us) / 1e6);
	if (err) {
		fprintf(stderr, "ua-call: %s (%s)\n", reason, strerror(err));
		return SIPWS_EXIT_SOFTWARE;
	}
	return exit_code;
}
