/* sip-events: stay registered and print what happens to the account — the
 * transport, the registration, incoming calls and messages — as one JSON
 * object (or one text line) per event, with JSCommunicator's topic names. */
#include "cli.h"
#include "exitcode.h"
#include "json.h"
#include "reg.h"
#include "sip.h"
#include "stack.h"
#include "text.h"
#include "topic.h"
#include "uri.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_COUNT = 'n',
	OPT_FORMAT = 'f',
	OPT_REJECT = 'r',
	OPT_TOPIC = 't',
	OPT_LIST_TOPICS = CLI_OPT_FIRST_LONG,
};

static const struct cli_option options[] = {
	{"topic", OPT_TOPIC, CLI_REQUIRED_ARG, "PATTERN",
	 "print only events whose topic matches (call/*; repeatable, a,b)"},
	{"count", OPT_COUNT, CLI_REQUIRED_ARG, "N",
	 "exit 0 after printing N events"},
	{"format", OPT_FORMAT, CLI_REQUIRED_ARG, "FORMAT",
	 "json (one object per line, the default) or text"},
	{"reject", OPT_REJECT, CLI_REQUIRED_ARG, "CODE",
	 "answer incoming calls with CODE (400-699, e.g. 486, 603), not ringing"},
	{"list-topics", OPT_LIST_TOPICS, CLI_NO_ARG, NULL,
	 "print the known topics and exit"},
	STACK_OPTIONS_COMMON,
	{NULL, 0, CLI_NO_ARG, NULL, NULL},
};

static const struct cli_tool tool = {
	"sip-events",
	"[options] [-t PATTERN]... [-n N] [--timeout SECONDS] [-f json|text] "
	"[-r CODE]\n"
	"--list-topics",
	"Stay registered and print SIP events (transport, registration, calls, "
	"messages) as JSON lines.",
	options,
};

enum format { FORMAT_JSON, FORMAT_TEXT };

struct events {
	struct stack stack;
	/* output */
	enum format format;
	char *topics;          /* --topic patterns, comma-joined; NULL: all */
	uint64_t count;        /* --count; 0: no limit */
	uint64_t printed;
	bool output_done;      /* --count reached or stdout failed */
	struct json json;
	FILE *text;            /* text format: the event's details */
	char *text_buf;
	size_t text_len;
	/* state */
	unsigned reject;       /* --reject status, 0: let calls ring */
	bool connected;
	bool ever_connected;
	bool registered;       /* as last reported */
	bool ever_registered;
	/* the end: ua_shutdown, then the run ends with code */
	bool stopping;
	int code;
};

/* ---- writing events ----------------------------------------------------- */

/* Start an event of topic: false when --topic filters it out or nothing
 * more may be printed; then the caller writes nothing. */
static bool event_begin(struct events *ev, const char *topic)
{
	char stamp[64];

	if (ev->output_done)
		return false;
	if (ev->topics && !topic_list_match(ev->topics, topic))
		return false;
	cli_timestamp(stamp, sizeof(stamp), ev->format == FORMAT_JSON);
	if (ev->format == FORMAT_JSON) {
		json_reset(&ev->json);
		json_object_begin(&ev->json);
		json_member_str(&ev->json, "ts", stamp);
		json_member_str(&ev->json, "topic", topic);
		return true;
	}
	ev->text = open_memstream(&ev->text_buf, &ev->text_len);
	if (ev->text == NULL)
		cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
	fprintf(ev->text, "%s %s", stamp, topic);
	return true;
}

static void events_shutdown(struct events *ev, int code);

/* Write the event out, flushed, and count it. */
static void event_end(struct events *ev)
{
	int failed;

	if (ev->format == FORMAT_JSON) {
		const char *line;

		json_object_end(&ev->json);
		line = json_text(&ev->json);
		if (line == NULL)
			cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
		fputs(line, stdout);
	} else {
		if (fclose(ev->text) != 0)
			cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
		ev->text = NULL;
		fwrite(ev->text_buf, 1, ev->text_len, stdout);
		free(ev->text_buf);
		ev->text_buf = NULL;
	}
	putchar('\n');
	failed = fflush(stdout) == EOF || ferror(stdout);
	if (failed) {
		/* A reader that went away: nothing more to say to it. */
		cli_error("standard output: %s", strerror(errno));
		ev->output_done = true;
		events_shutdown(ev, SIPWS_EXIT_IOERR);
		return;
	}
	ev->printed++;
	if (ev->count && ev->printed >= ev->count) {
		ev->output_done = true;
		events_shutdown(ev, SIPWS_EXIT_OK);
	}
}

/* Text-format details, printf-style, after the topic. */
static void text_add(struct events *ev, const char *fmt, ...)
	CLI_PRINTF(2, 3);
static void text_add(struct events *ev, const char *fmt, ...)
{
	va_list args;

	if (ev->format != FORMAT_TEXT)
		return;
	va_start(args, fmt);
	vfprintf(ev->text, fmt, args);
	va_end(args);
}

/* Network text for the text format, on one line, escaped as cli_text
 * does (flags: TEXT_ESCAPE_QUOTE inside double quotes). */
static void text_add_escaped(struct events *ev, struct span s, unsigned flags)
{
	if (ev->format != FORMAT_TEXT || s.p == NULL)
		return;
	fputs(cli_text(s, flags), ev->text);
}

static void json_add_span(struct events *ev, const char *key, struct span s)
{
	if (ev->format == FORMAT_JSON)
		json_member_span(&ev->json, key, s);
}

static void json_add_str(struct events *ev, const char *key, const char *s)
{
	if (ev->format == FORMAT_JSON)
		json_member_str(&ev->json, key, s);
}

static void json_add_int(struct events *ev, const char *key, long long v)
{
	if (ev->format == FORMAT_JSON)
		json_member_int(&ev->json, key, v);
}

static void json_add_null(struct events *ev, const char *key)
{
	if (ev->format == FORMAT_JSON) {
		json_key(&ev->json, key);
		json_null(&ev->json);
	}
}

/* An event with no other member (ua/...). */
static void event_bare(struct events *ev, const char *topic)
{
	if (event_begin(ev, topic))
		event_end(ev);
}

/* A display name as the user wrote it: quotes removed, \-escapes undone.
 * The core hands it over as received, so both forms are accepted. */
static struct span display_text(struct span d, char *buf, size_t size)
{
	size_t len;

	if (d.p == NULL)
		return d;
	if (d.len >= 2 && d.p[0] == '"' && d.p[d.len - 1] == '"')
		d = span_make(d.p + 1, d.len - 2);
	else if (memchr(d.p, '\\', d.len) == NULL)
		return d;
	if (uri_unquote(d, buf, size, &len) != 0)
		return d;
	return span_make(buf, len);
}

/* ---- the transport ------------------------------------------------------ */

static void on_transport(const struct sip_transport_event *te, void *arg)
{
	struct events *ev = arg;

	if (te->type == SIP_TRANSPORT_CONNECTED) {
		ev->connected = true;
		ev->ever_connected = true;
		if (event_begin(ev, TOPIC_TRANSPORT_CONNECTED)) {
			json_add_str(ev, "server", te->url);
			text_add(ev, " %s", te->url);
			event_end(ev);
		}
		return;
	}

	ev->connected = false;
	if (ev->stopping)
		return;
	if (event_begin(ev, TOPIC_TRANSPORT_DISCONNECTED)) {
		json_add_str(ev, "server", te->url);
		json_add_str(ev, "reason", te->reason);
		if (te->retry)
			json_add_int(ev, "retry_ms", (long long)te->retry_ms);
		else
			json_add_null(ev, "retry_ms");
		text_add(ev, " %s : %s", te->url, cli_safe(te->reason));
		if (te->retry)
			text_add(ev, "; retry in %" PRIu64 " ms", te->retry_ms);
		event_end(ev);
	}
	/* An untrusted certificate will not become trusted by retrying. */
	if (!ev->ever_connected &&
	    (te->err == WS_ETLS_VERIFY || te->err == WS_ETLS)) {
		cli_error("%s: %s", te->url, te->reason);
		events_shutdown(ev, SIPWS_EXIT_TLS);
		return;
	}
	if (!te->retry) {
		cli_error("%s: %s", te->url, te->reason);
		events_shutdown(ev, exitcode_from_transport(te->err));
	}
}

/* ---- registration ------------------------------------------------------- */

static void on_unregistered(struct events *ev, const struct reg_event *re)
{
	const char *aor = ev->stack.account;
	const char *why = re->err == ECONNRESET  ? "transport lost"
			  : re->err == ETIMEDOUT ? "expired"
						 : "unregistered";

	ev->registered = false;
	if (event_begin(ev, TOPIC_REG_UNREGISTERED)) {
		json_add_str(ev, "aor", aor);
		json_add_str(ev, "reason", why);
		text_add(ev, " %s : %s", aor, why);
		event_end(ev);
	}
}

/* The UA's state (ua/idle, ua/notready, ua/incall), after the transport
 * event that changed it. */
static void on_state(enum ua_state state, void *arg)
{
	event_bare(arg, ua_state_topic(state));
}

static void on_reg(const struct reg_event *re, void *arg)
{
	struct events *ev = arg;
	const char *aor = ev->stack.account;

	switch (re->type) {
	case REG_REGISTERED:
		if (ev->registered) {
			cli_info("registration refreshed: %" PRIu32 " s",
				 re->expires);
			return;
		}
		ev->registered = true;
		ev->ever_registered = true;
		if (event_begin(ev, TOPIC_REG_REGISTERED)) {
			size_t n = re->nbindings + (re->truncated ? 1 : 0);

			json_add_str(ev, "aor", aor);
			json_add_int(ev, "expires", re->expires);
			json_add_int(ev, "bindings", (long long)n);
			text_add(ev, " %s for %" PRIu32 " s, %zu%s binding%s",
				 aor, re->expires, n, re->truncated ? "+" : "",
				 n == 1 ? "" : "s");
			event_end(ev);
		}
		return;
	case REG_UNREGISTERED:
		on_unregistered(ev, re);
		return;
	case REG_FAILED:
		break;
	default:
		return;
	}

	/* the UA's own unregistration (it warns), or a REGISTER cancelled
	 * by the shutdown */
	if (ev->stopping)
		return;
	ev->registered = false;
	if (event_begin(ev, TOPIC_REG_FAILED)) {
		if (re->status)
			json_add_int(ev, "status", re->status);
		else
			json_add_null(ev, "status");
		json_add_str(ev, "reason", re->reason);
		if (re->status)
			text_add(ev, " %u", re->status);
		text_add(ev, " %s", cli_safe(re->reason));
		event_end(ev);
	}
	/* Lost with the connection: the next connection registers again. */
	if (re->err == ECONNRESET)
		return;
	/* Refused or missing credentials stay so, and a first registration
	 * that fails says the account or server is wrong: retrying forever
	 * would hide it (the registration client gives up on these too).
	 * Later failures are retried. */
	if (!ev->ever_registered || re->err == EKEYREJECTED ||
	    re->err == ENOKEY || re->err == EPERM) {
		cli_error("registration of %s failed: %s", aor,
			  stack_describe(&ev->stack, re->err, re->status,
					 re->reason));
		events_shutdown(ev, stack_code_response(&ev->stack, re->err,
							re->status));
	}
}

/* ---- calls and messages ------------------------------------------------- */

static void on_call(const struct sip_call_event *ce, void *arg)
{
	struct events *ev = arg;
	char display[URI_MAX_LEN + 1];
	struct span name = display_text(ce->from_display, display,
					sizeof(display));

	if (ce->type == SIP_CALL_INCOMING) {
		ua_call_add(ev->stack.ua);
		if (event_begin(ev, TOPIC_CALL_INCOMING)) {
			json_add_span(ev, "from", ce->from_uri);
			json_add_span(ev, "display", name);
			json_add_span(ev, "to", ce->to_uri);
			json_add_span(ev, "call_id", ce->call_id);
			text_add(ev, " from ");
			if (name.p) {
				text_add(ev, "\"");
				text_add_escaped(ev, name, TEXT_ESCAPE_QUOTE);
				text_add(ev, "\" <");
			}
			text_add_escaped(ev, ce->from_uri, 0);
			text_add(ev, "%s to ", name.p ? ">" : "");
			text_add_escaped(ev, ce->to_uri, 0);
			event_end(ev);
		}
		if (ev->reject) {
			int err = sip_call_reject(ce->call, ev->reject, NULL);

			if (err)
				cli_warn("rejecting a call: %s", strerror(err));
		}
		return;
	}
	if (ce->type != SIP_CALL_ENDED)
		return;
	if (event_begin(ev, TOPIC_CALL_END)) {
		const char *why = sip_call_end_name(ce->end);

		json_add_span(ev, "call_id", ce->call_id);
		json_add_span(ev, "from", ce->from_uri);
		json_add_str(ev, "reason", why);
		json_add_int(ev, "status", ce->status);
		text_add(ev, " from ");
		text_add_escaped(ev, ce->from_uri, 0);
		text_add(ev, " : %s (%u)", why, ce->status);
		event_end(ev);
	}
	ua_call_remove(ev->stack.ua);
}

static unsigned on_message(const struct sip_incoming_message *m, void *arg)
{
	struct events *ev = arg;
	char display[URI_MAX_LEN + 1];
	struct span name = display_text(m->from_display, display,
					sizeof(display));

	if (event_begin(ev, TOPIC_MESSAGE_INCOMING)) {
		json_add_span(ev, "from", m->from_uri);
		json_add_span(ev, "display", name);
		json_add_span(ev, "to", m->to_uri);
		json_add_span(ev, "content_type", m->content_type);
		/* A MESSAGE always has a body, if only an empty one. */
		json_add_span(ev, "body",
			      m->body.p ? m->body : span_make("", 0));
		text_add(ev, " from ");
		text_add_escaped(ev, m->from_uri, 0);
		text_add(ev, " : ");
		text_add_escaped(ev, m->body, 0);
		event_end(ev);
	}
	return 0;
}

/* ---- the end ------------------------------------------------------------ */

static void on_done(void *arg)
{
	struct events *ev = arg;

	stack_finish(&ev->stack, ev->code);
}

/* End the run with code, removing our binding first when we have one. */
static void events_shutdown(struct events *ev, int code)
{
	if (ev->stopping)
		return;
	ev->stopping = true;
	ev->code = code;
	ua_shutdown(ev->stack.ua);
}

/* ---- options ------------------------------------------------------------ */

static void add_topics(struct events *ev, const char *arg)
{
	char reason[128];
	bool unknown = false;
	size_t old = ev->topics ? strlen(ev->topics) : 0;
	char *joined;

	if (topic_list_check(arg, &unknown, reason, sizeof(reason)) != 0)
		cli_usage_error("--topic '%s': %s", arg, reason);
	if (unknown)
		cli_warn("--topic '%s': no known topic matches", arg);
	joined = realloc(ev->topics, old + strlen(arg) + 2);
	if (joined == NULL)
		cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
	if (old)
		joined[old++] = ',';
	strcpy(joined + old, arg);
	ev->topics = joined;
}

static uint64_t parse_count(const char *arg)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno || n == 0)
		cli_usage_error("--count wants a number above 0, not '%s'",
				arg);
	return n;
}

static unsigned parse_reject(const char *arg)
{
	char *end;
	long code;

	errno = 0;
	code = strtol(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno ||
	    code < 300 || code > 699)
		cli_usage_error("--reject wants a status code from 400 to 699, "
				"not '%s'", arg);
	/* a redirect without a Contact to go to means nothing (§21.3) */
	if (code < 400)
		cli_usage_error("--reject %ld: a 3xx redirect needs a Contact to "
				"redirect to; use a code from 400 to 699", code);
	return (unsigned)code;
}

static void list_topics(void)
{
	size_t i;

	for (i = 0; topic_names[i]; i++)
		puts(topic_names[i]);
	if (fflush(stdout) == EOF)
		cli_die(SIPWS_EXIT_IOERR, "standard output: %s", strerror(errno));
	exit(SIPWS_EXIT_OK);
}

int main(int argc, char **argv)
{
	struct cli cli;
	struct stack_options so;
	struct stack_setup setup = {0};
	struct events ev;
	struct conf *conf = NULL;
	char reason[512];
	const char *arg;
	bool want_list = false;
	int c, code, err;

	memset(&ev, 0, sizeof(ev));
	json_init(&ev.json);
	cli_init(&cli, &tool, argc, argv);
	stack_options_init(&so, argc);
	while ((c = cli_next(&cli, argc, argv, &arg)) != -1) {
		if (stack_option(&so, c, arg))
			continue;
		switch (c) {
		case OPT_COUNT:
			ev.count = parse_count(arg);
			break;
		case OPT_FORMAT:
			if (strcmp(arg, "json") == 0)
				ev.format = FORMAT_JSON;
			else if (strcmp(arg, "text") == 0)
				ev.format = FORMAT_TEXT;
			else
				cli_usage_error("--format is json or text, not '%s'",
						arg);
			break;
		case OPT_REJECT:
			ev.reject = parse_reject(arg);
			break;
		case OPT_TOPIC:
			add_topics(&ev, arg);
			break;
		case OPT_LIST_TOPICS:
			want_list = true;
			break;
		default:
			cli_usage_error("unexpected option");
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0)
		cli_usage_error("unexpected operand '%s'", argv[0]);
	if (want_list)
		list_topics();
	/* A reader that closed the pipe is an output error (74), not a
	 * silent death. */
	signal(SIGPIPE, SIG_IGN);

	code = stack_conf_load(&cli, &so, &conf, reason, sizeof(reason));
	if (code)
		cli_die(code, "%s", reason);
	setup.ua.reconnect = true;
	/* The profile's RFC 5626 instance id, as sip-register: a run after a
	 * lost connection or a crash replaces the binding it left instead of
	 * adding one (section 4.2). Two devices need two profiles or state
	 * directories. */
	setup.ua.instance_id = true;
	/* The transport's events before the registration client's, so
	 * that a loss reads "disconnected" before "unregistered". */
	setup.ua.transport_h = on_transport;
	setup.ua.transport_arg = &ev;
	setup.ua.state_h = on_state;
	setup.ua.state_arg = &ev;
	setup.ua.reg_h = on_reg;
	setup.ua.reg_arg = &ev;
	setup.ua.done_h = on_done;
	setup.ua.done_arg = &ev;
	code = stack_open(&ev.stack, conf, &so, &setup, &cli, reason,
			  sizeof(reason));
	if (code)
		cli_die(code, "%s", reason);

	err = ua_register(ev.stack.ua);
	if (err) {
		stack_close(&ev.stack);
		cli_die(err == EINVAL ? SIPWS_EXIT_CONFIG : SIPWS_EXIT_SOFTWARE,
			"cannot register: %s", strerror(err));
	}
	sip_set_message_handler(ev.stack.sip, on_message, &ev);
	sip_set_call_handler(ev.stack.sip, on_call, &ev);

	code = stack_run(&ev.stack);
	if (!ev.stopping) {
		/* A signal (code 0) or the --timeout deadline ended the run:
		 * remove the binding, then go. A second signal while
		 * unregistering ends the second run at once. */
		if (ev.stack.timed_out) {
			code = SIPWS_EXIT_TIMEOUT;
			/* Never connected: say why rather than "timeout". */
			if (!ev.ever_connected && ev.stack.transport_err &&
			    exitcode_from_transport(ev.stack.transport_err))
				code = exitcode_from_transport(
					ev.stack.transport_err);
		}
		events_shutdown(&ev, code);
		/* stack_run ends at once after a passed deadline; the
		 * unregistration is bounded by its own timer instead. */
		ev.stack.timed_out = false;
		stack_run(&ev.stack);
	}
	code = ev.code;

	stack_close(&ev.stack);
	json_free(&ev.json);
	free(ev.topics);
	stack_options_free(&so);
	cli_free(&cli);
	return code;
}
