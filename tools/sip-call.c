/* sip-call: place or answer WebRTC calls from the shell (calls of
 * call.h on the account's ua): play a tone, a file or raw audio, record
 * what comes, send and decode VP8 video, send DTMF, report the call as
 * JSON lines with sip-events' topic names, and exit with the call's
 * outcome. */
#include "call.h"
#include "check-device.h"
#include "cli.h"
#include "exitcode.h"
#include "json.h"
#include "reg.h"
#include "stack.h"
#include "topic.h"
#include "uri.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A ',' in --dtmf waits this long. */
#define DTMF_PAUSE_MS 1000
/* RFC 4733 digits are sent this far apart (media.h). */
#define DTMF_GAP_MS 50
/* Digits sent from the start of the audio on. */
#define DTMF_START_MS 300
/* After the played media ends: let the last packets arrive. */
#define END_GRACE_MS 250
/* The live status line on a terminal: refreshed this often, its level
 * meter this wide for 0 to -60 dBFS. */
#define STATUS_MS 500
#define METER_WIDTH 20
#define METER_FLOOR_DB (-60.0)
#define MAX_TONES 4
#define MAX_ICE_SERVERS 16

enum {
	OPT_ANSWER = 'a',
	OPT_DURATION = 'd',
	OPT_FORMAT = 'f',
	OPT_COUNT = 'n',
	OPT_PLAY = CLI_OPT_FIRST_LONG,
	OPT_PLAY_RAW,
	OPT_RECORD,
	OPT_STAY,
	OPT_DTMF,
	OPT_DTMF_MODE,
	OPT_NO_ANSWER_TIMEOUT,
	OPT_RELAY_ONLY,
	OPT_ICE_ADDRESS,
	OPT_EVENTS,
	OPT_FROM,
	OPT_ANSWER_AFTER,
	OPT_REJECT,
	OPT_CONTROL,
	OPT_EXEC,
	OPT_VIDEO,
	OPT_VIDEO_SOURCE,
};

static const struct cli_option options[] = {
	{"play", OPT_PLAY, CLI_REQUIRED_ARG, "FILE|-|tone:HZ",
	 "send FILE (any format GStreamer decodes; - for stdin) or tones"},
	{"play-raw", OPT_PLAY_RAW, CLI_REQUIRED_ARG, "FILE|-",
	 "send raw s16le 48 kHz mono audio from FILE (- for stdin)"},
	{"record", OPT_RECORD, CLI_REQUIRED_ARG, "FILE|-",
	 "record to a WAV FILE (strftime patterns), - for raw s16le on stdout"},
	{"video", OPT_VIDEO, CLI_NO_ARG, NULL,
	 "send and receive VP8 video (a test pattern by default)"},
	{"video-source", OPT_VIDEO_SOURCE, CLI_REQUIRED_ARG, "SOURCE",
	 "video from pattern, a V4L2 device or a FILE (implies --video)"},
	{"duration", OPT_DURATION, CLI_REQUIRED_ARG, "SECONDS",
	 "hang up SECONDS after the answer"},
	{"stay", OPT_STAY, CLI_NO_ARG, NULL,
	 "stay in the call when the played media ends"},
	{"dtmf", OPT_DTMF, CLI_REQUIRED_ARG, "DIGITS",
	 "send DIGITS (0-9 * # A-D; ',' pauses 1 s) once audio flows"},
	{"dtmf-mode", OPT_DTMF_MODE, CLI_REQUIRED_ARG, "MODE",
	 "rfc4733 (in the media, the default) or info (SIP INFO)"},
	{"no-answer-timeout", OPT_NO_ANSWER_TIMEOUT, CLI_REQUIRED_ARG,
	 "SECONDS", "cancel when not answered in time (exit 3)"},
	{"relay-only", OPT_RELAY_ONLY, CLI_NO_ARG, NULL,
	 "media through a TURN relay only (session.require_relay_candidate)"},
	{"ice-address", OPT_ICE_ADDRESS, CLI_REQUIRED_ARG, "ADDR",
	 "gather ICE candidates on ADDR only (repeatable)"},
	{"format", OPT_FORMAT, CLI_REQUIRED_ARG, "FORMAT",
	 "events as json (one object per line, the default) or text"},
	{"events", OPT_EVENTS, CLI_REQUIRED_ARG, "FILE",
	 "write the events to FILE (- for stdout)"},
	{"answer", OPT_ANSWER, CLI_NO_ARG, NULL,
	 "register and answer incoming calls instead of calling"},
	{"from", OPT_FROM, CLI_REQUIRED_ARG, "PATTERN",
	 "with --answer: take only calls from URIs matching PATTERN"},
	{"answer-after", OPT_ANSWER_AFTER, CLI_REQUIRED_ARG, "SECONDS",
	 "with --answer: let it ring SECONDS first"},
	{"count", OPT_COUNT, CLI_REQUIRED_ARG, "N",
	 "with --answer: exit after N calls (default 1, 0: never)"},
	{"reject", OPT_REJECT, CLI_REQUIRED_ARG, "CODE",
	 "with --answer: reject the calls not taken with CODE (400-699)"},
	{"control", OPT_CONTROL, CLI_NO_ARG, NULL,
	 "read commands on stdin: dtmf DIGITS, hold, unhold, mute, unmute, "
	 "play FILE, hangup"},
	{"exec", OPT_EXEC, CLI_REQUIRED_ARG, "PROGRAM",
	 "with --answer: run PROGRAM for each call, its stdio the audio"},
	STACK_OPTIONS_COMMON,
	{NULL, 0, CLI_NO_ARG, NULL, NULL},
};

static const struct cli_tool tool = {
	"sip-call",
	"[options] [--play FILE|-|tone:HZ] [--record FILE|-] URI\n"
	"[options] --answer [--from PATTERN] [--count N] [--reject CODE]\n"
	"[options] --answer --exec PROGRAM [--count N]",
	"Place or answer WebRTC audio (and video) calls over SIP WebSocket.",
	options,
};

enum format { FORMAT_JSON, FORMAT_TEXT };

struct run {
	struct stack stack;
	struct calls *calls;
	struct media_config media;
	/* options */
	const char *target;     /* outgoing: the completed URI */
	bool answer;
	const char *from;
	uint64_t answer_after_ms;
	unsigned long count;    /* --answer: calls to take, 0: for ever */
	unsigned reject;
	uint64_t duration_ms;
	bool stay;
	bool info;              /* --dtmf-mode info */
	unsigned dtmf_ms;       /* session.dtmf_duration */
	const char *record;     /* --record FILE (a strftime pattern) */
	char record_path[4096]; /* ... for the current call */
	bool control;
	/* output */
	enum format format;
	FILE *out;
	struct json json;
	FILE *text;
	char *text_buf;
	size_t text_len;
	/* the call */
	struct call *call;      /* ours: dialled or taken */
	bool dialled;
	bool answered;
	uint64_t answered_us;
	unsigned long handled;  /* --answer: calls over */
	struct loop_timer t_answer, t_duration, t_dtmf, t_grace, t_status;
	char dtmf_queue[256];   /* digits and pauses still to send */
	/* --exec: the program of the current call */
	const char *exec;
	pid_t child;            /* 0: none */
	bool child_exited;
	int child_status;
	int child_fd;           /* its pidfd, -1: none */
	struct loop_watch *child_watch; /* readable when it exits */
	int audio_in, audio_out, dtmf_out; /* our ends, -1: none */
	struct loop_timer t_reap;
	/* --control */
	bool muted;
	struct loop_watch *watch;
	char line[512];
	size_t line_len;
	bool status;            /* the live status line (stderr a TTY, no -q) */
	/* the end */
	bool stopping;
	int code;               /* the worst call's code */
	bool registered;
};

/* ---- the live status line ------------------------------------------- */

static bool status_shown;

/* Before anything else is written to stderr, and at the end. */
static void status_clear(void)
{
	if (!status_shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	status_shown = false;
}

/* "00:00:12 OPUS [#######-------------]  -23 dB loss 0.0%" */
static void status_tick(void *arg)
{
	struct run *r = arg;
	struct media_stats st;
	char meter[METER_WIDTH + 1], level[16];
	uint64_t s = (loop_now_us() - r->answered_us) / 1000000;
	uint64_t total;
	int bars = 0;

	if (r->call == NULL || !r->answered)
		return;
	loop_timer_start(&r->t_status, r->stack.loop, STATUS_MS, status_tick,
			 r);
	if (call_stats(r->call, &st) != 0)
		return;
	snprintf(level, sizeof(level), "  -- dB");
	if (isfinite(st.level_db)) {
		double f = (st.level_db - METER_FLOOR_DB) / -METER_FLOOR_DB;

		bars = f <= 0 ? 0 : f >= 1 ? METER_WIDTH
					   : (int)(f * METER_WIDTH + 0.5);
		snprintf(level, sizeof(level), "%4.0f dB",
			 st.level_db < -99 ? -99 : st.level_db);
	}
	memset(meter, '#', (size_t)bars);
	memset(meter + bars, '-', (size_t)(METER_WIDTH - bars));
	meter[METER_WIDTH] = '\0';
	total = st.packets_received + (uint64_t)(st.packets_lost > 0
							 ? st.packets_lost
							 : 0);
	fprintf(stderr, "\r\033[K%02u:%02u:%02u %s [%s] %s loss %.1f%%%s",
		(unsigned)(s / 3600), (unsigned)(s / 60 % 60),
		(unsigned)(s % 60), call_codec(r->call) ? call_codec(r->call)
							: "-",
		meter, level,
		total && st.packets_lost > 0
			? 100.0 * (double)st.packets_lost / (double)total
			: 0.0,
		r->muted ? " muted" : "");
	fflush(stderr);
	status_shown = true;
}

/* ---- events --------------------------------------------------------- */

static void event_begin(struct run *r, const char *topic)
{
	char stamp[64];

	cli_timestamp(stamp, sizeof(stamp), r->format == FORMAT_JSON);
	if (r->format == FORMAT_JSON) {
		json_reset(&r->json);
		json_object_begin(&r->json);
		json_member_str(&r->json, "ts", stamp);
		json_member_str(&r->json, "topic", topic);
		return;
	}
	r->text = open_memstream(&r->text_buf, &r->text_len);
	if (r->text == NULL)
		cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
	fprintf(r->text, "%s %s", stamp, topic);
}

/* A member: JSON, or " key=value" in text (network text escaped). */
static void event_str(struct run *r, const char *key, const char *value)
{
	if (r->format == FORMAT_JSON)
		json_member_str(&r->json, key, value);
	else if (value != NULL)
		fprintf(r->text, " %s=%s", key, cli_safe(value));
}

static void event_int(struct run *r, const char *key, long long value)
{
	if (r->format == FORMAT_JSON)
		json_member_int(&r->json, key, value);
	else
		fprintf(r->text, " %s=%lld", key, value);
}

static void event_null(struct run *r, const char *key)
{
	if (r->format == FORMAT_JSON) {
		json_key(&r->json, key);
		json_null(&r->json);
	}
}

static void event_end(struct run *r)
{
	if (r->out == stderr)
		status_clear();
	if (r->format == FORMAT_JSON) {
		json_object_end(&r->json);
		if (json_text(&r->json) == NULL)
			cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
		fputs(json_text(&r->json), r->out);
	} else {
		if (fclose(r->text) != 0)
			cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
		r->text = NULL;
		fwrite(r->text_buf, 1, r->text_len, r->out);
		free(r->text_buf);
		r->text_buf = NULL;
	}
	fputc('\n', r->out);
	if (fflush(r->out) != 0)
		cli_warn("events: %s", strerror(errno));
}

/* ---- the end -------------------------------------------------------- */

static void on_done(void *arg)
{
	struct run *r = arg;

	stack_finish(&r->stack, r->code);
}

/* Leave: unregister when registered, close the connection, exit with the
 * worst code seen (or code when higher). */
static void run_end(struct run *r, int code)
{
	if (code > r->code)
		r->code = code;
	if (r->stopping)
		return;
	r->stopping = true;
	loop_unwatch(r->watch);
	r->watch = NULL;
	if (r->call != NULL) {
		(void)call_hangup(r->call); /* its end ends the run */
		return;
	}
	(void)ua_shutdown(r->stack.ua);
}

/* The exit code of a call's end. */
static int end_code(struct run *r, const struct call_event *ev)
{
	switch (ev->end) {
	case CALL_END_LOCAL:
	case CALL_END_REMOTE:
	case CALL_END_CANCELLED:
		return r->stack.timed_out ? SIPWS_EXIT_TIMEOUT : SIPWS_EXIT_OK;
	case CALL_END_FAILED:
		return exitcode_from_sip_status((int)ev->status, 0);
	case CALL_END_MEDIA:
		/* the program exited: its pipes broke before our BYE */
		if (r->exec && r->child_exited)
			return SIPWS_EXIT_OK;
		return exitcode_from_media(ev->err);
	case CALL_END_ERROR:
		/* our --no-answer-timeout: CANCEL, then 487 (or 408) */
		if (ev->err == ETIMEDOUT && !r->answered)
			return SIPWS_EXIT_NO_ANSWER;
		return stack_code_response(&r->stack, ev->err, ev->status);
	}
	return SIPWS_EXIT_SOFTWARE;
}

static void exec_reap(void *arg);

static void call_over(struct run *r)
{
	loop_timer_cancel(&r->t_answer);
	loop_timer_cancel(&r->t_duration);
	loop_timer_cancel(&r->t_dtmf);
	loop_timer_cancel(&r->t_grace);
	loop_timer_cancel(&r->t_status);
	status_clear();
	r->muted = false;
	r->dtmf_queue[0] = '\0';
	if (r->exec) /* once the media session has let go of the pipes */
		loop_timer_start(&r->t_reap, r->stack.loop, 0, exec_reap, r);
	r->call = NULL;
	r->answered = false;
}

/* ---- DTMF ----------------------------------------------------------- */

/* Send the digits up to the next ',' (or wait for it), then come back. */
static void dtmf_step(void *arg)
{
	struct run *r = arg;
	char *q = r->dtmf_queue, chunk[sizeof(r->dtmf_queue)];
	size_t n = strcspn(q, ","), rest;
	uint64_t wait;
	int err;

	if (r->call == NULL || *q == '\0')
		return;
	if (n == 0) {
		n = 1;
		wait = DTMF_PAUSE_MS;
	} else {
		memcpy(chunk, q, n);
		chunk[n] = '\0';
		err = call_dtmf(r->call, chunk, r->dtmf_ms, r->info);
		if (err)
			cli_warn("DTMF '%s' not sent: %s", chunk,
				 err == EAGAIN ? "the call does not take it now"
					       : strerror(err));
		wait = (uint64_t)n * (r->dtmf_ms + DTMF_GAP_MS);
	}
	rest = strlen(q + n);
	memmove(q, q + n, rest + 1);
	if (*q != '\0')
		loop_timer_start(&r->t_dtmf, r->stack.loop, wait, dtmf_step, r);
}

/* Queue digits; false when they are not DTMF or too many. */
static bool dtmf_add(struct run *r, const char *digits, uint64_t delay_ms)
{
	size_t used = strlen(r->dtmf_queue), n = strlen(digits);

	if (n == 0 || strspn(digits, "0123456789*#ABCDabcd,") != n ||
	    used + n >= sizeof(r->dtmf_queue))
		return false;
	memcpy(r->dtmf_queue + used, digits, n + 1);
	if (!loop_timer_running(&r->t_dtmf))
		loop_timer_start(&r->t_dtmf, r->stack.loop, delay_ms, dtmf_step,
				 r);
	return true;
}

/* ---- --exec ---------------------------------------------------------- */

/* A call's audio through a pipe: about 11 s of it may wait in there. */
#define EXEC_PIPE_SIZE (1024 * 1024)
/* The program's pidfd is no longer looked at (it exited, or we are
 * leaving). */
static void exec_unwatch(struct run *r)
{
	loop_unwatch(r->child_watch);
	r->child_watch = NULL;
	if (r->child_fd >= 0)
		close(r->child_fd);
	r->child_fd = -1;
}

/* Its pidfd is readable: the program exited. */
static void exec_exited(int fd, void *arg)
{
	struct run *r = arg;
	int status;

	(void)fd;
	exec_unwatch(r);
	if (r->child == 0 || waitpid(r->child, &status, WNOHANG) != r->child)
		return;
	r->child = 0;
	r->child_exited = true;
	r->child_status = status;
	cli_info("--exec: the program exited (%d)",
		 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	/* the program ends the call */
	if (r->call != NULL)
		(void)call_hangup(r->call);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* After the call's media session is gone: our ends closed, the program
 * told (SIGHUP) when it is still running; exec_exited reaps it. */
static void exec_reap(void *arg)
{
	struct run *r = arg;

	close_fd(&r->audio_in);
	close_fd(&r->audio_out);
	close_fd(&r->dtmf_out);
	if (r->child != 0)
		kill(r->child, SIGHUP);
}

/* Start the program for call c: its stdin the caller's audio, its stdout
 * what it says, fd 3 the digits. Fills m's source and sink. */
static int exec_start(struct run *r, struct call *c, struct media_config *m)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, dt[2] = {-1, -1};
	int err = 0;
	pid_t pid;

	exec_unwatch(r);
	if (r->child != 0) {
		/* the last call's program outlived its SIGHUP */
		kill(r->child, SIGKILL);
		waitpid(r->child, NULL, 0);
		r->child = 0;
	}
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
	    pipe2(dt, O_CLOEXEC | O_NONBLOCK) != 0) {
		err = errno;
		goto fail;
	}
	(void)fcntl(in[1], F_SETPIPE_SZ, EXEC_PIPE_SIZE);
	pid = fork();
	if (pid < 0) {
		err = errno;
		goto fail;
	}
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 ||
		    dup2(dt[0], 3) < 0 || fcntl(3, F_SETFL, 0) < 0)
			_exit(126);
		signal(SIGPIPE, SIG_DFL);
		setenv("SIPWS_CALL_FROM", call_peer(c), 1);
		setenv("SIPWS_CALL_TO", r->stack.account, 1);
		if (call_call_id(c))
			setenv("SIPWS_CALL_ID", call_call_id(c), 1);
		setenv("SIPWS_CALL_DTMF_FD", "3", 1);
		execl("/bin/sh", "sh", "-c", r->exec, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(dt[0]);
	r->child = pid;
	r->child_exited = false;
	r->audio_in = in[1];
	r->audio_out = out[0];
	r->dtmf_out = dt[1];
	/* its exit seen through a pidfd (Linux 5.3); without one, when the
	 * call ends (exec_check_exit) */
	r->child_fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (r->child_fd >= 0 &&
	    loop_watch_fd(r->stack.loop, r->child_fd, exec_exited, r,
			  &r->child_watch) != 0)
		exec_unwatch(r);
	m->source = MEDIA_SOURCE_FD;
	m->source_fd = r->audio_out;
	m->sink = MEDIA_SINK_FD;
	m->sink_fd = r->audio_in;
	return 0;
fail:
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&out[0]);
	close_fd(&out[1]);
	close_fd(&dt[0]);
	close_fd(&dt[1]);
	return err;
}

/* A digit from the peer for the program: one line on its fd 3. */
static void exec_dtmf(struct run *r, char digit)
{
	char line[2] = {digit, '\n'};

	if (r->dtmf_out >= 0 && write(r->dtmf_out, line, 2) != 2)
		cli_info("--exec: a digit was not passed on: %s",
			 strerror(errno));
}

/* ---- timers --------------------------------------------------------- */

static void hangup_cb(void *arg)
{
	struct run *r = arg;

	if (r->call != NULL)
		(void)call_hangup(r->call);
}

static void answer_cb(void *arg)
{
	struct run *r = arg;
	struct media_config m = r->media;
	time_t now = time(NULL);
	struct tm tm;
	int err;

	if (r->call == NULL)
		return;
	if (m.sink == MEDIA_SINK_WAV) {
		/* each call its own file */
		localtime_r(&now, &tm);
		if (strftime(r->record_path, sizeof(r->record_path), r->record,
			     &tm) == 0)
			snprintf(r->record_path, sizeof(r->record_path), "%s",
				 r->record);
		m.sink_path = r->record_path;
	}
	if (r->exec) {
		err = exec_start(r, r->call, &m);
		if (err) {
			cli_error("--exec: %s", strerror(err));
			(void)call_reject(r->call, 500);
			return;
		}
	}
	(void)calls_set_media(r->calls, &m);
	err = call_answer(r->call);
	if (err)
		cli_error("cannot answer: %s", strerror(err));
}

/* ---- calls ---------------------------------------------------------- */

static bool from_matches(const struct run *r, const char *peer)
{
	const char *bare = strchr(peer, ':');

	if (r->from == NULL)
		return true;
	/* sip:bob@example.org matches "sip:bob@*", "bob@*" and "bob" */
	if (fnmatch(r->from, peer, 0) == 0 ||
	    (bare && fnmatch(r->from, bare + 1, 0) == 0))
		return true;
	if (bare) {
		char user[256];
		size_t n = strcspn(bare + 1, "@;");

		if (n < sizeof(user)) {
			memcpy(user, bare + 1, n);
			user[n] = '\0';
			return fnmatch(r->from, user, 0) == 0;
		}
	}
	return false;
}

static void on_incoming(struct run *r, struct call *c)
{
	bool busy = r->call != NULL || r->stopping;
	bool wanted = !busy && from_matches(r, call_peer(c));

	event_begin(r, TOPIC_CALL_INCOMING);
	event_str(r, "from", call_peer(c));
	event_str(r, "call_id", call_call_id(c));
	event_end(r);
	if (busy) {
		(void)call_reject(c, r->reject ? r->reject : 486);
		return;
	}
	if (!wanted) {
		/* left ringing for the account's other devices */
		if (r->reject)
			(void)call_reject(c, r->reject);
		return;
	}
	r->call = c;
	if (r->reject && r->from == NULL) {
		/* --reject alone: every call */
		(void)call_reject(c, r->reject);
		return;
	}
	loop_timer_start(&r->t_answer, r->stack.loop, r->answer_after_ms,
			 answer_cb, r);
}

/* A pipe of the program broke (it closed its stdin by exiting): is it
 * gone? Waits up to EXEC_EXIT_WAIT_MS for its exit to complete. */
#define EXEC_EXIT_WAIT_MS 300
static void exec_check_exit(struct run *r)
{
	int status;

	for (int i = 0; r->child != 0 && i <= EXEC_EXIT_WAIT_MS / 10; i++) {
		if (waitpid(r->child, &status, WNOHANG) == r->child) {
			r->child = 0;
			r->child_exited = true;
			r->child_status = status;
			return;
		}
		usleep(10000);
	}
}

static void on_ended(struct run *r, const struct call_event *ev)
{
	struct media_stats st;
	const char *codec = call_codec(ev->call);
	bool ours = ev->call == r->call;
	int code;

	if (ours && r->exec && ev->end == CALL_END_MEDIA)
		exec_check_exit(r);
	code = end_code(r, ev);

	event_begin(r, TOPIC_CALL_END);
	event_str(r, "peer", call_peer(ev->call));
	event_str(r, "call_id", call_call_id(ev->call));
	event_str(r, "cause", call_end_name(ev->end));
	if (ev->status)
		event_int(r, "status", ev->status);
	else
		event_null(r, "status");
	event_str(r, "reason", ev->reason);
	if (ours && r->answered)
		event_int(r, "duration_ms",
			  (long long)(loop_now_us() - r->answered_us) / 1000);
	else
		event_int(r, "duration_ms", 0);
	if (codec)
		event_str(r, "codec", codec);
	if (call_stats(ev->call, &st) == 0) {
		event_int(r, "packets_sent", (long long)st.packets_sent);
		event_int(r, "packets_received", (long long)st.packets_received);
		event_int(r, "packets_lost", (long long)st.packets_lost);
		event_int(r, "jitter_us", (long long)(st.jitter_ms * 1000));
		if (st.rtt_ms >= 0)
			event_int(r, "rtt_us", (long long)(st.rtt_ms * 1000));
		else
			event_null(r, "rtt_us");
		if (st.video) {
			event_int(r, "video_packets_sent",
				  (long long)st.video_packets_sent);
			event_int(r, "video_packets_received",
				  (long long)st.video_packets_received);
			event_int(r, "video_frames_decoded",
				  (long long)st.video_frames_decoded);
		}
	}
	event_int(r, "exit", code);
	event_end(r);
	if (!ours)
		return;
	if (code != SIPWS_EXIT_OK && !r->stack.timed_out)
		cli_error("%s: %s%s%s", call_peer(ev->call),
			  ev->end == CALL_END_MEDIA ? "media failed: " : "",
			  ev->end == CALL_END_FAILED && ev->status
				  ? stack_describe(&r->stack, 0, ev->status,
						   ev->reason)
				  : ev->reason ? ev->reason : "",
			  "");
	call_over(r);
	if (code > r->code)
		r->code = code;
	if (!r->answer || r->stopping) {
		r->stopping = false; /* the call ended the run */
		run_end(r, code);
		return;
	}
	r->handled++;
	if (r->count && r->handled >= r->count)
		run_end(r, code);
}

static void on_call(const struct call_event *ev, void *arg)
{
	struct run *r = arg;
	bool ours = ev->call == r->call;

	switch (ev->type) {
	case CALL_EVENT_INCOMING:
		on_incoming(r, ev->call);
		return;
	case CALL_EVENT_ENDED:
		on_ended(r, ev);
		return;
	default:
		break;
	}
	if (!ours)
		return;
	switch (ev->type) {
	case CALL_EVENT_PROGRESS:
		event_begin(r, TOPIC_CALL_PROGRESS);
		event_int(r, "status", ev->status);
		event_str(r, "reason", ev->reason);
		event_end(r);
		break;
	case CALL_EVENT_ANSWERED:
		r->answered = true;
		r->answered_us = loop_now_us();
		event_begin(r, TOPIC_CALL_CONNECTED);
		event_str(r, "peer", call_peer(ev->call));
		event_str(r, "call_id", call_call_id(ev->call));
		event_end(r);
		if (r->duration_ms)
			loop_timer_start(&r->t_duration, r->stack.loop,
					 r->duration_ms, hangup_cb, r);
		if (r->status)
			loop_timer_start(&r->t_status, r->stack.loop,
					 STATUS_MS, status_tick, r);
		break;
	case CALL_EVENT_MEDIA:
		event_begin(r, TOPIC_CALL_MEDIA);
		event_str(r, "codec", call_codec(ev->call));
		event_end(r);
		if (r->dtmf_queue[0] && !loop_timer_running(&r->t_dtmf))
			loop_timer_start(&r->t_dtmf, r->stack.loop,
					 DTMF_START_MS, dtmf_step, r);
		break;
	case CALL_EVENT_DTMF:
		event_begin(r, TOPIC_CALL_DTMF);
		event_str(r, "digit", (char[]){ev->dtmf, '\0'});
		event_str(r, "mode", ev->info ? "info" : "rfc4733");
		event_end(r);
		exec_dtmf(r, ev->dtmf);
		break;
	case CALL_EVENT_HOLD:
	case CALL_EVENT_HELD:
		event_begin(r, ev->held ? TOPIC_CALL_HOLD : TOPIC_CALL_UNHOLD);
		event_str(r, "by", ev->type == CALL_EVENT_HOLD ? "peer" : "us");
		event_end(r);
		break;
	case CALL_EVENT_PLAYED:
		/* silence follows; the call goes on (--stay or not) */
		if (ev->err)
			cli_error("play: %s", ev->reason ? ev->reason
							 : strerror(ev->err));
		event_begin(r, TOPIC_CALL_PLAYED);
		if (ev->err)
			event_str(r, "error", ev->reason ? ev->reason
							 : strerror(ev->err));
		event_end(r);
		break;
	case CALL_EVENT_SOURCE_ENDED:
		cli_info("the played media ended");
		if (!r->stay)
			loop_timer_start(&r->t_grace, r->stack.loop,
					 END_GRACE_MS, hangup_cb, r);
		break;
	default:
		break;
	}
}

/* ---- --control ------------------------------------------------------ */

static void command(struct run *r, char *line)
{
	char *arg = line + strcspn(line, " \t");
	int err = 0;

	if (*arg != '\0')
		*arg++ = '\0';
	arg += strspn(arg, " \t");
	if (line[0] == '\0')
		return;
	if (r->call != NULL && strcmp(line, "hangup") == 0) {
		/* CANCEL while it rings, BYE after */
		err = call_hangup(r->call);
	} else if (strcmp(line, "hangup") == 0 && !r->answer) {
		run_end(r, SIPWS_EXIT_OK); /* before the call: no call */
	} else if (r->call == NULL || !r->answered) {
		cli_warn("%s: no call up", line);
		return;
	} else if (strcmp(line, "dtmf") == 0) {
		if (!dtmf_add(r, arg, 0))
			cli_warn("dtmf '%s': want digits 0-9 * # A-D and ','",
				 arg);
	} else if (strcmp(line, "hold") == 0 || strcmp(line, "unhold") == 0) {
		err = call_hold(r->call, line[0] == 'h');
	} else if (strcmp(line, "mute") == 0 || strcmp(line, "unmute") == 0) {
		err = call_mute(r->call, line[0] == 'm');
		if (err == 0) {
			r->muted = line[0] == 'm';
			event_begin(r, r->muted ? TOPIC_CALL_MUTE
						: TOPIC_CALL_UNMUTE);
			event_end(r);
		}
	} else if (strcmp(line, "play") == 0) {
		err = *arg ? call_play(r->call, arg) : EINVAL;
		if (err == 0) {
			event_begin(r, TOPIC_CALL_PLAY);
			event_str(r, "file", arg);
			event_end(r);
			return;
		}
		cli_error("play %s: %s", arg,
			  err == EINVAL ? "want FILE or tone:HZ (1 to 20000)"
			  : err == ENOTSUP
				  ? "our audio is a file or a descriptor "
				    "(--play FILE, --play-raw): nothing to "
				    "replace"
			  : err == EAGAIN ? "not now"
					  : strerror(err));
		return;
	} else {
		cli_warn("unknown command '%s' (dtmf, hold, unhold, mute, "
			 "unmute, play, hangup)",
			 line);
	}
	if (err)
		cli_warn("%s: %s", line,
			 err == EAGAIN ? "not now (a re-INVITE is pending)"
				       : strerror(err));
}

static void control_readable(int fd, void *arg)
{
	struct run *r = arg;
	ssize_t n = read(fd, r->line + r->line_len,
			 sizeof(r->line) - 1 - r->line_len);
	char *nl;

	if (n <= 0) {
		if (n < 0 && errno == EINTR)
			return;
		loop_unwatch(r->watch); /* the end of the commands */
		r->watch = NULL;
		return;
	}
	r->line_len += (size_t)n;
	r->line[r->line_len] = '\0';
	while ((nl = strchr(r->line, '\n')) != NULL) {
		size_t used = (size_t)(nl - r->line) + 1;

		*nl = '\0';
		if (nl > r->line && nl[-1] == '\r')
			nl[-1] = '\0';
		command(r, r->line);
		memmove(r->line, r->line + used, r->line_len - used + 1);
		r->line_len -= used;
	}
	if (r->line_len == sizeof(r->line) - 1) {
		cli_warn("a command line longer than %zu bytes: dropped",
			 sizeof(r->line) - 2);
		r->line_len = 0;
	}
}

/* ---- the transport and the registration ----------------------------- */

static void dial(struct run *r)
{
	int err;

	r->dialled = true;
	event_begin(r, TOPIC_CALL_OUTGOING);
	event_str(r, "to", r->target);
	event_end(r);
	err = call_dial(r->calls, r->target, &r->call);
	if (err) {
		cli_error("cannot call %s: %s", r->target, strerror(err));
		r->call = NULL;
		run_end(r, err == ENOENT ? SIPWS_EXIT_SOFTWARE
					 : exitcode_from_errno(err));
	}
}

static void on_transport(const struct sip_transport_event *te, void *arg)
{
	struct run *r = arg;

	if (te->type == SIP_TRANSPORT_CONNECTED) {
		if (!r->answer && !r->dialled && !r->stopping)
			dial(r);
		return;
	}
	if (!te->retry && !r->stopping)
		cli_error("%s: %s", te->url, te->reason);
}

static void on_reg(const struct reg_event *ev, void *arg)
{
	struct run *r = arg;
	struct stack *s = &r->stack;

	if (ev->type == REG_REGISTERED && !r->registered) {
		r->registered = true;
		event_begin(r, TOPIC_REG_REGISTERED);
		event_str(r, "aor", s->account);
		event_int(r, "expires", ev->expires);
		event_end(r);
	} else if (ev->type == REG_FAILED && !r->registered && !r->stopping) {
		cli_error("registration of %s failed: %s", s->account,
			  stack_describe(s, ev->err, ev->status, ev->reason));
		run_end(r, stack_code_response(s, ev->err, ev->status));
	}
}

/* ---- options -------------------------------------------------------- */

static unsigned long parse_number(const char *opt, const char *arg,
				  unsigned long lo, unsigned long hi)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno || n < lo ||
	    n > hi)
		cli_usage_error("%s wants a number from %lu to %lu, not '%s'",
				opt, lo, hi, arg);
	return n;
}

static uint64_t parse_seconds(const char *opt, const char *arg, bool zero)
{
	uint64_t ms = 0;

	if (zero && strcmp(arg, "0") == 0)
		return 0;
	if (stack_parse_seconds(arg, &ms) != 0)
		cli_usage_error("%s '%s': want seconds above 0, at most 86400",
				opt, arg);
	return ms;
}

/* --play: tone:HZ[,HZ], - or a file. */
static void parse_play(struct media_config *m, double *tones, const char *arg)
{
	if (strncmp(arg, "tone:", 5) == 0) {
		const char *p = arg + 5;

		m->source = MEDIA_SOURCE_TONE;
		m->tone_hz = tones;
		m->tone_count = 0;
		do {
			char *end;
			double hz = strtod(p, &end);

			if (end == p || !(hz >= 1 && hz <= 20000) ||
			    (*end != ',' && *end != '\0') ||
			    m->tone_count == MAX_TONES)
				cli_usage_error("--play '%s': want tone:HZ[,HZ] "
						"(1 to 20000 Hz, %d at most)",
						arg, MAX_TONES);
			tones[m->tone_count++] = hz;
			p = *end ? end + 1 : end;
		} while (*p);
		return;
	}
	m->source = MEDIA_SOURCE_FILE;
	/* decodebin reads a pipe through its name */
	m->source_path = strcmp(arg, "-") == 0 ? "/dev/stdin" : arg;
	if (access(m->source_path, R_OK) != 0)
		cli_die(SIPWS_EXIT_IOERR, "--play %s: %s", arg, strerror(errno));
}

static void parse_play_raw(struct media_config *m, const char *arg)
{
	m->source = MEDIA_SOURCE_FD;
	m->source_fd = strcmp(arg, "-") == 0 ? 0
					     : open(arg, O_RDONLY | O_CLOEXEC);
	if (m->source_fd < 0)
		cli_die(SIPWS_EXIT_IOERR, "--play-raw %s: %s", arg,
			strerror(errno));
}

/* --video-source: "pattern", a character device (V4L2) or a file; one
 * that cannot be opened is an I/O error now, as --play's file is. */
static void parse_video_source(struct media_config *m, const char *arg)
{
	struct stat sb;
	int fd;

	if (strcmp(arg, "pattern") == 0) {
		m->video = MEDIA_VIDEO_PATTERN;
		return;
	}
	fd = open(arg, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0)
		cli_die(SIPWS_EXIT_IOERR, "--video-source %s: %s", arg,
			strerror(errno));
	close(fd);
	if (S_ISDIR(sb.st_mode))
		cli_die(SIPWS_EXIT_IOERR, "--video-source %s: %s", arg,
			strerror(EISDIR));
	m->video = S_ISCHR(sb.st_mode) ? MEDIA_VIDEO_DEVICE : MEDIA_VIDEO_FILE;
	m->video_path = arg;
}

/* The relays and settings of the configuration for the media sessions. */
static void media_from_conf(struct run *r, struct conf *conf,
			    struct media_ice_server *servers)
{
	struct conf_turn_server ts;
	const char *const *stun;
	size_t nstun = 0, n = 0, i;
	long long v;
	bool relay = false;

	if (conf_get_list(conf, "stun_servers", &stun, &nstun) != 0)
		nstun = 0;
	for (i = 0; i < nstun && n < MAX_ICE_SERVERS; i++)
		servers[n++].url = stun[i];
	for (i = 0; n < MAX_ICE_SERVERS && conf_turn_server(conf, i, &ts) == 0;
	     i++) {
		servers[n].url = ts.url;
		servers[n].username = ts.username;
		servers[n].credential = ts.password;
		n++;
	}
	r->media.ice_servers = servers;
	r->media.ice_server_count = n;
	if (conf_get_bool(conf, "session.require_relay_candidate", &relay) == 0 &&
	    relay)
		r->media.relay_only = true;
	if (r->media.relay_only && n == nstun)
		cli_die(SIPWS_EXIT_CONFIG, "relay only, but turn_servers names "
					   "no TURN server");
	r->dtmf_ms = conf_get_int(conf, "session.dtmf_duration", &v) == 0
			     ? (unsigned)v
			     : 100;
}

static void complete_target(struct run *r, struct conf *conf, const char *arg)
{
	static char buf[URI_MAX_LEN];
	const char *account;
	char reason[256];
	struct uri acc;
	int err;

	if (conf_get_str(conf, "user.uri", &account) != 0)
		cli_die(SIPWS_EXIT_CONFIG, "no account: set user.uri or give --user");
	if (uri_decode(&acc, account, strlen(account), reason,
		       sizeof(reason)) != 0)
		cli_die(SIPWS_EXIT_CONFIG, "user.uri: %s", reason);
	err = uri_complete(arg, &acc, buf, sizeof(buf));
	if (err || (strncmp(buf, "sip:", 4) != 0 && strncmp(buf, "sips:", 5) != 0))
		cli_usage_error("'%s': %s", arg,
				err == ENOSPC ? "too long" : "not a SIP address");
	r->target = buf;
}

int main(int argc, char **argv)
{
	static struct run r;
	static struct media_ice_server servers[MAX_ICE_SERVERS];
	static double tones[MAX_TONES];
	struct stack_options so;
	struct stack_setup setup = {0};
	struct calls_config cc = {0};
	struct conf *conf = NULL;
	struct cli cli;
	const char *arg, *events = NULL, **ice;
	const char *play = NULL, *play_raw = NULL, *video = NULL;
	char reason[512];
	uint64_t no_answer_ms = 0;
	size_t nice = 0;
	int c, code, err;

	cli_init(&cli, &tool, argc, argv);
	stack_options_init(&so, argc);
	ice = calloc((size_t)argc + 1, sizeof(*ice));
	if (ice == NULL)
		cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
	r.count = 1;
	r.out = stdout;
	r.audio_in = r.audio_out = r.dtmf_out = r.child_fd = -1;
	while ((c = cli_next(&cli, argc, argv, &arg)) != -1) {
		if (stack_option(&so, c, arg))
			continue;
		switch (c) {
		case OPT_ANSWER:
			r.answer = true;
			break;
		case OPT_ANSWER_AFTER:
			r.answer_after_ms = parse_seconds("--answer-after", arg,
							  true);
			break;
		case OPT_CONTROL:
			r.control = true;
			break;
		case OPT_COUNT:
			r.count = parse_number("--count", arg, 0, 1000000000);
			break;
		case OPT_DTMF:
			if (strspn(arg, "0123456789*#ABCDabcd,") != strlen(arg) ||
			    !*arg || strlen(arg) >= sizeof(r.dtmf_queue))
				cli_usage_error("--dtmf '%s': want up to %zu of "
						"0-9 * # A-D and ','", arg,
						sizeof(r.dtmf_queue) - 1);
			snprintf(r.dtmf_queue, sizeof(r.dtmf_queue), "%s", arg);
			break;
		case OPT_DTMF_MODE:
			if (strcmp(arg, "info") == 0)
				r.info = true;
			else if (strcmp(arg, "rfc4733") != 0)
				cli_usage_error("--dtmf-mode is rfc4733 or info, "
						"not '%s'", arg);
			break;
		case OPT_DURATION:
			r.duration_ms = parse_seconds("--duration", arg, false);
			break;
		case OPT_EVENTS:
			events = arg;
			break;
		case OPT_EXEC:
			r.exec = arg;
			break;
		case OPT_FORMAT:
			if (strcmp(arg, "json") == 0)
				r.format = FORMAT_JSON;
			else if (strcmp(arg, "text") == 0)
				r.format = FORMAT_TEXT;
			else
				cli_usage_error("--format is json or text, not '%s'",
						arg);
			break;
		case OPT_FROM:
			r.from = arg;
			break;
		case OPT_ICE_ADDRESS:
			ice[nice++] = arg;
			break;
		case OPT_NO_ANSWER_TIMEOUT:
			no_answer_ms = parse_seconds("--no-answer-timeout", arg,
						     false);
			break;
		case OPT_PLAY:
			play = arg;
			break;
		case OPT_PLAY_RAW:
			play_raw = arg;
			break;
		case OPT_RECORD:
			r.record = arg;
			break;
		case OPT_REJECT:
			r.reject = (unsigned)parse_number("--reject", arg, 400, 699);
			break;
		case OPT_RELAY_ONLY:
			r.media.relay_only = true;
			break;
		case OPT_STAY:
			r.stay = true;
			break;
		case OPT_VIDEO:
			if (video == NULL)
				video = "pattern";
			break;
		case OPT_VIDEO_SOURCE:
			video = arg;
			break;
		default:
			cli_usage_error("unexpected option");
		}
	}
	argc -= optind;
	argv += optind;
	if (r.answer ? argc > 0 : argc != 1)
		cli_usage_error(r.answer ? "--answer takes no URI"
					 : "say who to call: one URI");
	if (!r.answer && (r.from || r.answer_after_ms || r.reject))
		cli_usage_error("--from, --answer-after and --reject go with "
				"--answer");
	if (play && play_raw)
		cli_usage_error("--play and --play-raw do not go together");
	if (r.exec && !r.answer)
		cli_usage_error("--exec goes with --answer");
	if (r.exec && (play || play_raw || r.record))
		cli_usage_error("--exec: the program plays and records; no "
				"--play, --play-raw or --record");
	{
		int stdin_users = (play && strcmp(play, "-") == 0) +
				  (play_raw && strcmp(play_raw, "-") == 0) +
				  r.control;

		if (stdin_users > 1)
			cli_usage_error("standard input can carry audio or "
					"commands, not both");
		if (stdin_users && so.password_stdin)
			cli_usage_error("--password-stdin needs standard input: "
					"give the password another way");
	}
	/* A reader that closed the pipe is an output error, not a death. */
	signal(SIGPIPE, SIG_IGN);

	if (!play && !play_raw && !r.record && !r.exec) {
		/* the default microphone and speakers, when there are */
		bool mic = false, speakers = false;

		if (check_audio_devices(&mic, &speakers) == 0) {
			if (mic)
				r.media.source = MEDIA_SOURCE_DEVICE;
			if (speakers)
				r.media.sink = MEDIA_SINK_DEVICE;
		}
	}
	if (play)
		parse_play(&r.media, tones, play);
	if (play_raw)
		parse_play_raw(&r.media, play_raw);
	if (video)
		parse_video_source(&r.media, video);
	if (r.record && strcmp(r.record, "-") == 0) {
		r.media.sink = MEDIA_SINK_FD;
		r.media.sink_fd = 1;
		r.out = stderr; /* stdout carries the audio */
	} else if (r.record) {
		r.media.sink = MEDIA_SINK_WAV;
		r.media.sink_path = r.record;
	}
	if (r.exec)
		r.out = stderr; /* as with audio on stdout (the rule) */
	if (events && strcmp(events, "-") == 0) {
		if (r.media.sink == MEDIA_SINK_FD)
			cli_usage_error("--events -: standard output carries "
					"the audio of --record -");
		r.out = stdout;
	} else if (events) {
		r.out = fopen(events, "a");
		if (r.out == NULL)
			cli_die(SIPWS_EXIT_IOERR, "--events %s: %s", events,
				strerror(errno));
	}

	code = stack_conf_load(&cli, &so, &conf, reason, sizeof(reason));
	if (code)
		cli_die(code, "%s", reason);
	if (!r.answer)
		complete_target(&r, conf, argv[0]);
	media_from_conf(&r, conf, servers);
	/* --ice-address replaces session.ice_addresses */
	if (nice == 0 && conf_get_list(conf, "session.ice_addresses",
				       &r.media.ice_addresses,
				       &r.media.ice_address_count) == 0) {
	} else {
		r.media.ice_addresses = ice;
		r.media.ice_address_count = nice;
	}
	if (!no_answer_ms) {
		long long v;

		if (conf_get_int(conf, "dialing.no_answer_timeout", &v) == 0)
			no_answer_ms = (uint64_t)v * 1000;
	}
	cc.media = r.media;
	cc.no_answer_ms = (unsigned)no_answer_ms;
	cc.h = on_call;
	cc.arg = &r;

	setup.ua.backend = LOOP_GLIB;
	/* --answer: a long-running UA that comes back after a loss */
	setup.ua.reconnect = r.answer;
	setup.ua.instance_id = r.answer;
	setup.ua.transport_h = on_transport;
	setup.ua.transport_arg = &r;
	setup.ua.reg_h = on_reg;
	setup.ua.reg_arg = &r;
	setup.ua.done_h = on_done;
	setup.ua.done_arg = &r;
	json_init(&r.json);
	loop_timer_init(&r.t_answer);
	loop_timer_init(&r.t_duration);
	loop_timer_init(&r.t_dtmf);
	loop_timer_init(&r.t_grace);
	loop_timer_init(&r.t_status);
	r.status = isatty(2) && cli_verbosity() >= 1;
	cli_set_before_say(status_clear);
	loop_timer_init(&r.t_reap);
	code = stack_open(&r.stack, conf, &so, &setup, &cli, reason,
			  sizeof(reason));
	if (code)
		cli_die(code, "%s", reason);
	/* A signal hangs up first (a call needs its BYE). */
	if (!r.answer)
		(void)loop_stop_on_signals(r.stack.loop);
	err = calls_alloc(&r.calls, r.stack.ua, &cc);
	if (err) {
		stack_close(&r.stack);
		cli_die(SIPWS_EXIT_SOFTWARE, "cannot make calls: %s",
			err == ENOENT ? "a GStreamer plugin is missing"
				      : strerror(err));
	}
	if (r.answer) {
		err = ua_register(r.stack.ua);
		if (err) {
			calls_free(r.calls);
			stack_close(&r.stack);
			cli_die(err == EINVAL ? SIPWS_EXIT_CONFIG
					      : SIPWS_EXIT_SOFTWARE,
				"cannot register: %s", strerror(err));
		}
	}
	if (r.control &&
	    loop_watch_fd(r.stack.loop, 0, control_readable, &r, &r.watch) != 0)
		cli_warn("--control: cannot watch standard input");

	code = stack_run(&r.stack);
	if (!r.stopping || code != r.code) {
		/* A signal, the --timeout deadline or a lost transport ended
		 * the run: hang up, unregister, go (a second signal or the
		 * shutdown's own limits end this). */
		if (code > r.code)
			r.code = code;
		run_end(&r, code);
		r.stack.timed_out = false;
		(void)stack_run(&r.stack);
	}
	code = r.code;

	loop_unwatch(r.watch);
	call_over(&r);
	status_clear();
	calls_free(r.calls);
	loop_timer_cancel(&r.t_reap);
	exec_reap(&r);
	exec_unwatch(&r);
	if (r.child != 0) {
		/* told by SIGHUP; not waited for long */
		for (int i = 0; i < 20 && waitpid(r.child, NULL, WNOHANG) == 0; i++)
			usleep(50000);
		if (waitpid(r.child, NULL, WNOHANG) == 0) {
			kill(r.child, SIGKILL);
			waitpid(r.child, NULL, 0);
		}
	}
	stack_close(&r.stack);
	json_free(&r.json);
	if (r.out != stdout && r.out != stderr)
		fclose(r.out);
	if (r.media.source == MEDIA_SOURCE_FD && r.media.source_fd > 0)
		close(r.media.source_fd);
	free(ice);
	stack_options_free(&so);
	cli_free(&cli);
	return code;
}
