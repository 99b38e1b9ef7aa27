/* sip-msg: send instant messages (RFC 3428 MESSAGE) over WebSocket: one
 * per recipient, a pipelined stream of stdin lines, or one message and
 * wait for the reply. */
#include "cli.h"
#include "exitcode.h"
#include "im.h"
#include "json.h"
#include "reg.h"
#include "stack.h"
#include "uri.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The largest body: a MESSAGE must fit one WebSocket message of the
 * server's (commonly 64 KiB) with its headers. */
#define MAX_BODY 60000
/* --stream: stdin is read in chunks of this size. */
#define READ_CHUNK 65536
/* --stream: standard input is watched (loop_watch_fd); where it cannot
 * be, look again after 1 ms when there is nothing to read, doubling up to
 * this. */
#define POLL_MAX_MS 20

enum {
	OPT_TO = 't',
	OPT_HEADER = 'H',
	OPT_CONTENT_TYPE = CLI_OPT_FIRST_LONG,
	OPT_STREAM,
	OPT_WINDOW,
	OPT_WAIT_REPLY,
	OPT_JSON,
};

static const struct cli_option options[] = {
	{"to", OPT_TO, CLI_REQUIRED_ARG, "URI",
	 "send to URI as well (repeatable); operands are then all TEXT"},
	{"content-type", OPT_CONTENT_TYPE, CLI_REQUIRED_ARG, "TYPE",
	 "Content-Type of the body (text/plain;charset=UTF-8)"},
	{"header", OPT_HEADER, CLI_REQUIRED_ARG, "'NAME: VALUE'",
	 "add a header line to the MESSAGE (repeatable)"},
	{"stream", OPT_STREAM, CLI_NO_ARG, NULL,
	 "send each line of standard input as one message"},
	{"window", OPT_WINDOW, CLI_REQUIRED_ARG, "N",
	 "with --stream: N requests in flight at most (32)"},
	{"wait-reply", OPT_WAIT_REPLY, CLI_REQUIRED_ARG, "SECONDS",
	 "register, send, print the recipient's first reply"},
	{"json", OPT_JSON, CLI_NO_ARG, NULL,
	 "print JSON objects, one per line"},
	STACK_OPTIONS_COMMON,
	{NULL, 0, CLI_NO_ARG, NULL, NULL},
};

static const struct cli_tool tool = {
	"sip-msg",
	"[options] URI [TEXT...]\n"
	"[options] -t URI [-t URI]... [TEXT...]\n"
	"[options] --stream [--window N] URI\n"
	"[options] --wait-reply SECONDS URI [TEXT...]",
	"Send SIP instant messages (MESSAGE) over WebSocket.",
	options,
};

/* The result of one message, kept until its turn to be printed. */
struct result {
	bool done;
	int err;
	unsigned status;
	char reason[160];
	uint64_t latency_us;
};

struct run {
	struct stack stack;
	struct im *im;
	struct reg *reg;
	bool json;
	bool stream;
	/* recipients (one-off), or the one of --stream / --wait-reply */
	char **targets;
	size_t ntargets;
	/* results by id: a ring of nslots in --stream, one per target else */
	struct result *slots;
	size_t nslots;
	uint64_t submitted;   /* ids 1..submitted were given to im */
	uint64_t printed;     /* ids 1..printed were printed */
	int worst;            /* the highest exit code so far */
	struct json j;
	/* --stream input */
	char *buf;
	size_t len;
	bool eof;
	unsigned poll_ms;      /* without a watch: polling interval */
	struct loop_watch *stdin_watch;
	size_t high_water;
	struct loop_timer feed;
	const char *const *headers;
	const char *content_type;
	/* --wait-reply */
	uint64_t wait_ms;
	struct loop_timer wait;
	struct uri target_uri;
	bool replied;
	bool unregistering;
	bool output_failed;
	struct loop_timer later;
};

static void print_result(struct run *run, uint64_t id, const struct result *r)
{
	double ms = (double)r->latency_us / 1000;
	/* Without a response, the transport's reason once it has told. */
	const char *reason = r->err && !r->status
				     ? stack_describe(&run->stack, r->err, 0,
						      r->reason)
				     : r->reason;

	if (run->json) {
		json_reset(&run->j);
		json_object_begin(&run->j);
		if (run->stream)
			json_member_int(&run->j, "seq", (long long)id);
		else
			json_member_str(&run->j, "to", run->targets[id - 1]);
		json_key(&run->j, "status");
		if (r->status)
			json_int(&run->j, r->status);
		else
			json_null(&run->j);
		json_member_str(&run->j, "reason", reason);
		json_member_int(&run->j, "latency_us", (long long)r->latency_us);
		json_object_end(&run->j);
		if (json_text(&run->j) == NULL)
			cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
		printf("%s\n", json_text(&run->j));
	} else if (run->stream) {
		printf("%llu %u %s %.1f\n", (unsigned long long)id, r->status,
		       cli_safe(reason), ms);
	} else {
		printf("%s %u %s %.1f\n", cli_safe(run->targets[id - 1]),
		       r->status, cli_safe(reason), ms);
	}
}

static struct result *slot(struct run *run, uint64_t id)
{
	return &run->slots[(id - 1) % run->nslots];
}

static void note_code(struct run *run, int code)
{
	if (code > run->worst)
		run->worst = code;
}

/* Print the results that are next in order. They are flushed together:
 * no line waits for a later event. */
static void flush_results(struct run *run)
{
	struct result *r;
	bool any = false;

	while (run->printed < run->submitted &&
	       (r = slot(run, run->printed + 1))->done) {
		print_result(run, run->printed + 1, r);
		r->done = false;
		run->printed++;
		any = true;
	}
	/* A reader that went away (sip-msg --stream | head) ends the run. */
	if (any && fflush(stdout) != 0 && !run->output_failed) {
		run->output_failed = true;
		cli_error("standard output: %s", strerror(errno));
		note_code(run, SIPWS_EXIT_IOERR);
		stack_finish(&run->stack, run->worst);
	}
}

/* --stream: all of standard input was read and sent. */
static bool input_done(const struct run *run)
{
	return run->eof && run->len == 0;
}

static bool all_done(const struct run *run)
{
	return run->printed == run->submitted &&
	       (!run->stream || input_done(run));
}

static void feed_soon(struct run *run, uint64_t ms);

static void on_later(void *arg)
{
	struct run *run = arg;

	flush_results(run);
	if (all_done(run))
		stack_finish(&run->stack, run->worst);
}

static void on_result(const struct im_result *res, void *arg)
{
	struct run *run = arg;
	struct result *r;

	if (res->id == 0 || res->id > run->submitted ||
	    res->id + run->nslots <= run->submitted)
		return; /* not one of ours: cannot happen */
	r = slot(run, res->id);
	r->done = true;
	r->err = res->err;
	r->status = res->status; /* 401/407 of refused credentials too */
	snprintf(r->reason, sizeof(r->reason), "%s", res->reason);
	r->latency_us = res->latency_us;
	note_code(run, stack_code_response(&run->stack, res->err, res->status));
	if (run->wait_ms) {
		/* --wait-reply: a failure ends it (main prints its line), a
		 * success starts the wait */
		if (res->err || res->status >= 300)
			stack_finish(&run->stack, run->worst);
		return;
	}
	/* A request fails with the connection before the transport says
	 * why: print after this turn of the loop. */
	if (res->err && !res->status) {
		loop_timer_start(&run->later, run->stack.loop, 0, on_later, run);
		return;
	}
	flush_results(run);
	if (all_done(run))
		stack_finish(&run->stack, run->worst);
	else if (run->stream && !input_done(run) &&
		 im_pending(run->im) < run->high_water / 2)
		feed_soon(run, 0);
}

static int send_one(struct run *run, const char *to, const char *body,
		    size_t len)
{
	struct im_message m = {0};
	uint64_t id;
	int err;

	m.to = to;
	m.content_type = run->content_type;
	m.body = body;
	m.len = len;
	m.headers = run->headers;
	/* The slot must be free before im can call back for this id. */
	if (run->submitted - run->printed >= run->nslots)
		return ENOBUFS;
	err = im_send(run->im, &m, &id);
	if (err)
		return err;
	if (id != run->submitted + 1)
		cli_die(SIPWS_EXIT_SOFTWARE, "message ids out of order");
	run->submitted = id;
	return 0;
}

/* ---- --stream: stdin lines, read as the window drains ---------------- */

static void feed(void *arg);

static void feed_soon(struct run *run, uint64_t ms)
{
	if (!loop_timer_running(&run->feed) || ms == 0)
		loop_timer_start(&run->feed, run->stack.loop, ms, feed, run);
}

/* Send every whole line in buf (and the rest at end of input). */
static bool send_lines(struct run *run)
{
	size_t start = 0;

	for (;;) {
		char *nl = memchr(run->buf + start, '\n', run->len - start);
		size_t n;
		int err;

		/* Wait for the end of the line, unless it is too long
		 * already (refused below). */
		if (nl == NULL && !(run->eof && start < run->len) &&
		    run->len - start <= MAX_BODY)
			break;
		n = nl ? (size_t)(nl - (run->buf + start)) : run->len - start;
		if (n > MAX_BODY) {
			cli_error("line %llu: longer than %d bytes",
				  (unsigned long long)run->submitted + 1,
				  MAX_BODY);
			note_code(run, SIPWS_EXIT_DATAERR);
			stack_finish(&run->stack, run->worst);
			return false;
		}
		if (run->submitted - run->printed >= run->nslots)
			break; /* the rest when results have come */
		err = send_one(run, run->targets[0], run->buf + start, n);
		if (err) {
			cli_error("cannot send line %llu: %s",
				  (unsigned long long)run->submitted + 1,
				  strerror(err));
			note_code(run, err == EINVAL ? SIPWS_EXIT_USAGE : SIPWS_EXIT_SOFTWARE);
			stack_finish(&run->stack, run->worst);
			return false;
		}
		start += n + (nl ? 1 : 0);
	}
	memmove(run->buf, run->buf + start, run->len - start);
	run->len -= start;
	return true;
}

static bool feed_blocked(const struct run *run)
{
	return im_pending(run->im) >= run->high_water ||
	       run->submitted - run->printed >= run->nslots;
}

/* Standard input became readable (or ended): the watch has done its job
 * until feed finds nothing to read again. */
static void stdin_readable(int fd, void *arg)
{
	struct run *run = arg;

	(void)fd;
	loop_unwatch(run->stdin_watch);
	run->stdin_watch = NULL;
	feed(run);
}

static void feed(void *arg)
{
	struct run *run = arg;
	bool got = false;

	for (;;) {
		struct pollfd pfd = {0, POLLIN, 0};
		ssize_t n;

		/* What is buffered goes first, as far as the slots allow. */
		if (!send_lines(run))
			return;
		if (run->eof || feed_blocked(run))
			break;
		if (poll(&pfd, 1, 0) <= 0)
			break;
		n = read(0, run->buf + run->len,
			 READ_CHUNK + MAX_BODY + 1 - run->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_error("standard input: %s", strerror(errno));
			note_code(run, SIPWS_EXIT_IOERR);
			stack_finish(&run->stack, run->worst);
			return;
		}
		got = true;
		if (n == 0)
			run->eof = true;
		run->len += (size_t)n;
	}
	if (all_done(run)) {
		stack_finish(&run->stack, run->worst);
		return;
	}
	if (run->eof || feed_blocked(run))
		return; /* on_result feeds again as the window drains */
	/* Nothing to read now: read when there is. */
	if (run->stdin_watch ||
	    loop_watch_fd(run->stack.loop, 0, stdin_readable, run,
			  &run->stdin_watch) == 0)
		return;
	/* Cannot watch it: look again soon, less often while idle. */
	run->poll_ms = got ? 0 : run->poll_ms ? run->poll_ms * 2 : 1;
	if (run->poll_ms > POLL_MAX_MS)
		run->poll_ms = POLL_MAX_MS;
	loop_timer_start(&run->feed, run->stack.loop, run->poll_ms, feed, run);
}

/* ---- --wait-reply ------------------------------------------------------ */

static bool same_address(const struct uri *a, struct span text)
{
	struct uri b;

	if (uri_decode(&b, text.p, text.len, NULL, 0) != 0)
		return false;
	return span_eq_span(a->user, b.user) &&
	       span_eq_span_nocase(a->host, b.host) &&
	       (a->port ? a->port : 5060) == (b.port ? b.port : 5060);
}

static unsigned on_message(const struct sip_incoming_message *m, void *arg)
{
	struct run *run = arg;

	if (run->replied || !same_address(&run->target_uri, m->from_uri)) {
		cli_info("a MESSAGE from %.*s (not the reply awaited)",
			 (int)m->from_uri.len, m->from_uri.p);
		return 200;
	}
	run->replied = true;
	if (run->json) {
		json_reset(&run->j);
		json_object_begin(&run->j);
		json_member_span(&run->j, "from", m->from_uri);
		json_member_span(&run->j, "content_type", m->content_type);
		json_member_span(&run->j, "body", m->body);
		json_object_end(&run->j);
		if (json_text(&run->j) == NULL)
			cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
		printf("%s\n", json_text(&run->j));
	} else {
		fwrite(m->body.p, 1, m->body.len, stdout);
	}
	fflush(stdout);
	stack_finish(&run->stack, SIPWS_EXIT_OK);
	return 200;
}

static void wait_over(void *arg)
{
	struct run *run = arg;

	cli_error("no reply from %s within %.1f s", run->targets[0],
		  (double)run->wait_ms / 1000);
	stack_finish(&run->stack, SIPWS_EXIT_TIMEOUT);
}

/* --wait-reply registers first: the registration ends the first run (main
 * sends then), the unregistration the last; failing to register ends it
 * all. */
static void on_reg(const struct reg_event *ev, void *arg)
{
	struct run *run = arg;
	struct stack *s = &run->stack;

	switch (ev->type) {
	case REG_REGISTERED:
		if (!ev->refresh && !run->submitted) {
			cli_info("registered for %lu s",
				 (unsigned long)ev->expires);
			stack_finish(s, SIPWS_EXIT_OK);
		}
		return;
	case REG_FAILED:
		if (!run->submitted)
			cli_error("registering %s failed: %s", s->account,
				  stack_describe(s, ev->err, ev->status,
						 ev->reason));
		else if (!run->unregistering)
			cli_warn("refreshing the registration failed: %s",
				 stack_describe(s, ev->err, ev->status,
						ev->reason));
		if (!run->submitted || run->unregistering)
			stack_finish(s, stack_code_response(s, ev->err,
							    ev->status));
		return;
	case REG_UNREGISTERED:
		if (run->unregistering && !ev->err)
			stack_finish(s, SIPWS_EXIT_OK);
		return;
	case REG_QUERIED:
		return;
	}
}

/* ---- main ------------------------------------------------------------ */

static char *read_all_stdin(size_t *lenp)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);

	if (buf == NULL)
		cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
	for (;;) {
		ssize_t n;

		if (len == cap) {
			if (cap > MAX_BODY)
				cli_die(SIPWS_EXIT_DATAERR,
					"the body is longer than %d bytes",
					MAX_BODY);
			cap *= 2;
			buf = realloc(buf, cap);
			if (buf == NULL)
				cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
		}
		n = read(0, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			cli_die(SIPWS_EXIT_IOERR, "standard input: %s",
				strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > MAX_BODY)
		cli_die(SIPWS_EXIT_DATAERR, "the body is longer than %d bytes",
			MAX_BODY);
	*lenp = len;
	return buf;
}

static char *join_args(int argc, char **argv, size_t *lenp)
{
	size_t len = 0;
	char *buf, *p;
	int i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if (len > MAX_BODY + 1)
		cli_die(SIPWS_EXIT_DATAERR, "the body is longer than %d bytes",
			MAX_BODY);
	buf = p = malloc(len + 1);
	if (buf == NULL)
		cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
	for (i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (i)
			*p++ = ' ';
		memcpy(p, argv[i], n);
		p += n;
	}
	*p = '\0';
	*lenp = (size_t)(p - buf);
	return buf;
}

/* Complete each target against the account (bob -> sip:bob@domain). */
static void complete_targets(struct run *run, const char *account)
{
	struct uri acc;
	char reason[256], buf[URI_MAX_LEN];
	size_t i;

	if (uri_decode(&acc, account, strlen(account), reason,
		       sizeof(reason)) != 0)
		cli_die(SIPWS_EXIT_CONFIG, "user.uri: %s", reason);
	for (i = 0; i < run->ntargets; i++) {
		int err = uri_complete(run->targets[i], &acc, buf, sizeof(buf));

		if (err)
			cli_usage_error("'%s': %s", run->targets[i],
					err == ENOSPC ? "too long"
						      : "not a SIP address");
		if (strncmp(buf, "sip:", 4) != 0 && strncmp(buf, "sips:", 5) != 0)
			cli_usage_error("'%s': not a SIP address", run->targets[i]);
		run->targets[i] = strdup(buf);
		if (run->targets[i] == NULL)
			cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
	}
}

/* -H lines are checked as extra_headers are (a header sipws writes is
 * refused), through a scratch configuration. */
static void check_headers(const char **headers, size_t n)
{
	struct conf *scratch;
	char reason[512];
	size_t i;

	if (n == 0)
		return;
	if (conf_alloc(&scratch) != 0)
		cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
	for (i = 0; i < n; i++)
		if (conf_set(scratch, "extra_headers", headers[i], "--header",
			     reason, sizeof(reason)) != 0 ||
		    strchr(headers[i], '\n'))
			cli_usage_error("--header '%s': %s", headers[i],
					strchr(headers[i], '\n')
						? "one line only" : reason);
	conf_free(scratch);
}

/* Messages that got no result (the connection went, or the deadline):
 * one line each still, in order. */
static void print_missing(struct run *run)
{
	const char *why = run->stack.timed_out ? "no response (timeout)"
			  : run->stack.transport_err ? run->stack.transport_reason
						     : "not sent";

	flush_results(run);
	while (run->printed < run->submitted) {
		struct result *r = slot(run, run->printed + 1);

		if (!r->done) {
			r->done = true;
			r->status = 0;
			snprintf(r->reason, sizeof(r->reason), "%s", why);
			r->latency_us = 0;
		}
		flush_results(run);
	}
}

int main(int argc, char **argv)
{
	static struct run run;
	struct stack_options so;
	struct stack_setup setup = {0};
	struct im_config ic = {0};
	struct conf *conf = NULL;
	struct cli cli;
	const char *arg, **headers;
	size_t nheaders = 0, body_len = 0, i;
	unsigned long window = 32;
	char **tos, *body = NULL, reason[512];
	size_t ntos = 0;
	int c, code;

	uint64_t t0 = loop_now_us();

	cli_init(&cli, &tool, argc, argv);
	stack_options_init(&so, argc);
	headers = calloc((size_t)argc + 1, sizeof(*headers));
	tos = calloc((size_t)argc + 1, sizeof(*tos));
	if (headers == NULL || tos == NULL)
		cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
	while ((c = cli_next(&cli, argc, argv, &arg)) != -1) {
		if (stack_option(&so, c, arg))
			continue;
		switch (c) {
		case OPT_CONTENT_TYPE:
			run.content_type = arg;
			break;
		case OPT_HEADER:
			headers[nheaders++] = arg;
			break;
		case OPT_JSON:
			run.json = true;
			break;
		case OPT_STREAM:
			run.stream = true;
			break;
		case OPT_TO:
			tos[ntos++] = (char *)arg;
			break;
		case OPT_WAIT_REPLY:
			if (stack_parse_seconds(arg, &run.wait_ms) != 0)
				cli_usage_error("--wait-reply '%s': want seconds "
						"above 0, at most 86400", arg);
			break;
		case OPT_WINDOW: {
			char *end;

			errno = 0;
			window = strtoul(arg, &end, 10);
			if (errno || end == arg || *end || window < 1 ||
			    window > 1024)
				cli_usage_error("--window '%s': want 1 to 1024",
						arg);
			break;
		}
		default:
			cli_usage_error("unexpected option");
		}
	}
	argc -= optind;
	argv += optind;

	if (ntos == 0) {
		if (argc < 1)
			cli_usage_error("say who to send to: a URI operand or --to");
		tos[ntos++] = argv[0];
		argc--;
		argv++;
	}
	run.targets = tos;
	run.ntargets = ntos;
	if (run.stream && (argc > 0 || ntos > 1))
		cli_usage_error("--stream takes one URI and reads the text "
				"from standard input");
	if (run.stream && run.wait_ms)
		cli_usage_error("--stream and --wait-reply do not go together");
	if (run.wait_ms && ntos > 1)
		cli_usage_error("--wait-reply takes one URI");
	check_headers(headers, nheaders);
	run.headers = nheaders ? headers : NULL;

	code = stack_conf_load(&cli, &so, &conf, reason, sizeof(reason));
	if (code)
		cli_die(code, "%s", reason);
	{
		const char *account;

		if (conf_get_str(conf, "user.uri", &account) != 0)
			cli_die(SIPWS_EXIT_CONFIG,
				"no account: set user.uri or give --user");
		complete_targets(&run, account);
	}
	/* After --password-stdin took its line: the rest is the body. */
	if (!run.stream) {
		if (argc == 0 || (argc == 1 && strcmp(argv[0], "-") == 0))
			body = read_all_stdin(&body_len);
		else
			body = join_args(argc, argv, &body_len);
	}

	setup.ua.window = run.stream ? (unsigned)window : (unsigned)ntos;
	setup.ua.instance_id = run.wait_ms != 0;
	setup.ua.reg_h = on_reg;
	setup.ua.reg_arg = &run;
	code = stack_open(&run.stack, conf, &so, &setup, &cli, reason,
			  sizeof(reason));
	if (code)
		cli_die(code, "%s", reason);
	ic.window = setup.ua.window;
	ic.content_type = run.content_type;
	code = im_alloc(&run.im, run.stack.sip, &ic, on_result, &run);
	if (code == EINVAL)
		cli_usage_error("--content-type '%s': not a media type",
				run.content_type ? run.content_type : "");
	if (code)
		cli_die(SIPWS_EXIT_SOFTWARE, "cannot send messages: %s", strerror(code));
	json_init(&run.j);
	loop_timer_init(&run.feed);
	loop_timer_init(&run.wait);
	loop_timer_init(&run.later);

	if (run.stream) {
		run.nslots = 4 * window + 64;
		run.high_water = 2 * window;
		run.buf = malloc(READ_CHUNK + MAX_BODY + 1);
	} else {
		run.nslots = ntos;
	}
	run.slots = calloc(run.nslots, sizeof(*run.slots));
	if (run.slots == NULL || (run.stream && run.buf == NULL))
		cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");

	if (run.wait_ms) {
		if (uri_decode(&run.target_uri, run.targets[0],
			       strlen(run.targets[0]), NULL, 0) != 0)
			cli_usage_error("'%s': not a SIP address", run.targets[0]);
		sip_set_message_handler(run.stack.sip, on_message, &run);
		code = ua_reg_open(run.stack.ua);
		if (code)
			cli_die(code == EINVAL ? SIPWS_EXIT_CONFIG : SIPWS_EXIT_SOFTWARE,
				"registration.server: %s", strerror(code));
		run.reg = ua_reg(run.stack.ua);
		code = reg_register(run.reg);
		if (code)
			cli_die(SIPWS_EXIT_SOFTWARE, "cannot register: %s",
				strerror(code));
		code = stack_run(&run.stack);
		if (code == SIPWS_EXIT_OK && !run.stack.timed_out) {
			code = send_one(&run, run.targets[0], body, body_len);
			if (code)
				cli_die(SIPWS_EXIT_SOFTWARE, "cannot send: %s",
					strerror(code));
			loop_timer_start(&run.wait, run.stack.loop, run.wait_ms,
					 wait_over, &run);
			code = stack_run(&run.stack);
			loop_timer_cancel(&run.wait);
			if (!run.replied && run.worst != SIPWS_EXIT_OK)
				flush_results(&run); /* the MESSAGE failed */
			/* Leave no binding behind (best effort). */
			run.unregistering = true;
			if (reg_is_registered(run.reg) && !run.stack.timed_out &&
			    reg_unregister(run.reg) == 0) {
				int ucode = stack_run(&run.stack);

				if (ucode != SIPWS_EXIT_OK)
					cli_warn("unregistering failed: %s",
						 exitcode_describe(ucode));
			}
		}
	} else if (run.stream) {
		feed_soon(&run, 0);
		code = stack_run(&run.stack);
		print_missing(&run);
		code = stack_code_final(&run.stack, code, run.worst);
	} else {
		for (i = 0; i < ntos; i++) {
			code = send_one(&run, run.targets[i], body, body_len);
			if (code)
				cli_die(code == EINVAL ? SIPWS_EXIT_USAGE : SIPWS_EXIT_SOFTWARE,
					"cannot send to %s: %s", run.targets[i],
					strerror(code));
		}
		code = stack_run(&run.stack);
		print_missing(&run);
		code = stack_code_final(&run.stack, code, run.worst);
	}
	if (code != SIPWS_EXIT_OK && run.stack.timed_out)
		cli_error("no answer within %.1f s",
			  (double)run.stack.timeout_ms / 1000);
	else if (code != SIPWS_EXIT_OK && run.stack.transport_err &&
		 run.printed == 0)
		cli_error("%s", run.stack.transport_reason);

	cli_info("%llu message%s in %.1f ms since start",
		 (unsigned long long)run.submitted,
		 run.submitted == 1 ? "" : "s",
		 (double)(loop_now_us() - t0) / 1000);
	loop_timer_cancel(&run.feed);
	loop_unwatch(run.stdin_watch);
	loop_timer_cancel(&run.later);
	im_free(run.im);
	stack_close(&run.stack);
	json_free(&run.j);
	for (i = 0; i < run.ntargets; i++)
		free(run.targets[i]);
	free(tos);
	free(headers);
	free(body);
	free(run.buf);
	free(run.slots);
	stack_options_free(&so);
	cli_free(&cli);
	if (!run.output_failed && (fflush(stdout) != 0 || ferror(stdout)))
		cli_die(SIPWS_EXIT_IOERR, "standard output: %s", strerror(errno));
	return run.output_failed ? SIPWS_EXIT_IOERR : code;
}
