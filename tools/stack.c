/* The tools' SIP stack from the configuration, their shared options, and
 * outcomes mapped to exit codes; see stack.h. */
#include "stack.h"

#include "exitcode.h"
#include "toolconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void stack_options_init(struct stack_options *o, int argc)
{
	memset(o, 0, sizeof(*o));
	o->servers = calloc((size_t)argc + 1, sizeof(*o->servers));
	if (o->servers == NULL)
		cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
}

void stack_options_free(struct stack_options *o)
{
	free(o->servers);
	o->servers = NULL;
	o->nservers = 0;
}

int stack_parse_seconds(const char *text, uint64_t *ms)
{
	char *end;
	double v;

	if (text == NULL || !isdigit((unsigned char)text[0]))
		return EINVAL;
	errno = 0;
	v = strtod(text, &end);
	if (errno || *end != '\0' || !(v > 0) || v > 86400)
		return EINVAL;
	*ms = (uint64_t)(v * 1000);
	if ((double)*ms < v * 1000)
		++*ms; /* round up: never less than asked */
	return 0;
}

bool stack_option(struct stack_options *o, int id, const char *arg)
{
	switch (id) {
	case STACK_OPT_SERVER:
		o->servers[o->nservers++] = arg;
		return true;
	case STACK_OPT_USER:
		o->user = arg;
		return true;
	case STACK_OPT_AUTH_USER:
		o->auth_user = arg;
		return true;
	case STACK_OPT_PASSWORD_STDIN:
		o->password_stdin = true;
		return true;
	case STACK_OPT_CA_FILE:
		o->ca_file = arg;
		return true;
	case STACK_OPT_INSECURE:
		o->insecure = true;
		return true;
	case STACK_OPT_ORIGIN:
		o->origin = arg;
		return true;
	case STACK_OPT_TIMEOUT:
		if (stack_parse_seconds(arg, &o->timeout_ms) != 0)
			cli_usage_error("--timeout '%s': want seconds above 0, "
					"at most 86400", arg);
		return true;
	default:
		return false;
	}
}

/* Bytes of a value quoted in a message. */
#define STACK_QUOTE_MAX 64

/* One option as a command-line setting whose origin names the option. */
static int set_key(struct conf *conf, const char *key, const char *value,
		   const char *option, char *reason, size_t reason_size)
{
	char why[256];
	int err = conf_set(conf, key, value, option, why, sizeof(why));

	/* A long value is cut in the message, so that the reason shows. */
	if (err && strlen(value) > STACK_QUOTE_MAX)
		snprintf(reason, reason_size, "%s '%.*s...' (%zu bytes): %s",
			 option, STACK_QUOTE_MAX, value, strlen(value), why);
	else if (err)
		snprintf(reason, reason_size, "%s '%s': %s", option, value, why);
	return err;
}

int stack_conf_load(const struct cli *cli, const struct stack_options *o,
		    struct conf **confp, char *reason, size_t reason_size)
{
	struct conf *conf = NULL;
	size_t i;
	int err, code = SIPWS_EXIT_CONFIG;

	*confp = NULL;
	err = toolconf_read(cli, &conf, reason, reason_size);
	if (err == ENOMEM && conf == NULL)
		return SIPWS_EXIT_SOFTWARE;
	if (err)
		goto out;
	for (i = 0; i < o->nservers && !err; i++)
		err = set_key(conf, "websocket.servers", o->servers[i],
			      "--server", reason, reason_size);
	if (!err && o->user)
		err = set_key(conf, "user.uri", o->user, "--user", reason,
			      reason_size);
	if (!err && o->auth_user)
		err = set_key(conf, "user.sip_auth_user", o->auth_user,
			      "--auth-user", reason, reason_size);
	if (!err && o->ca_file)
		err = set_key(conf, "tls.ca_file", o->ca_file, "--ca-file",
			      reason, reason_size);
	if (!err && o->insecure)
		err = set_key(conf, "tls.insecure", "true", "--insecure", reason,
			      reason_size);
	if (!err && o->origin)
		err = set_key(conf, "websocket.origin", o->origin, "--origin",
			      reason, reason_size);
	if (err)
		goto out;
	if (o->password_stdin) {
		err = conf_read_password(conf, 0);
		if (err == EINVAL)
			snprintf(reason, reason_size,
				 "--password-stdin: no password on standard input");
		else if (err == E2BIG)
			snprintf(reason, reason_size,
				 "--password-stdin: password longer than %d bytes",
				 CONF_MAX_PASSWORD);
		else if (err) {
			snprintf(reason, reason_size,
				 "--password-stdin: standard input: %s",
				 strerror(err));
			code = SIPWS_EXIT_IOERR;
		}
		if (err)
			goto out;
	}
	/* The options may change which password source wins. */
	err = conf_check(conf, reason, reason_size);
out:
	toolconf_warn(conf);
	if (err) {
		conf_free(conf);
		/* a value longer than the configuration takes is bad input */
		return err == ENOMEM ? SIPWS_EXIT_SOFTWARE
		       : err == E2BIG || err == ENAMETOOLONG ? SIPWS_EXIT_DATAERR
							     : code;
	}
	*confp = conf;
	return SIPWS_EXIT_OK;
}

/* ---- logs and trace -------------------------------------------------- */

static void stack_log(enum loop_log_level level, const char *msg, void *arg)
{
	(void)arg;
	switch (level) {
	case LOOP_LOG_ERROR:
		cli_info("%s", msg);
		break;
	case LOOP_LOG_INFO:
		cli_info("%s", msg);
		break;
	default:
		cli_debug("%s", msg);
		break;
	}
}

static void stack_warning(const char *msg, void *arg)
{
	(void)arg;
	cli_warn("%s", msg);
}

static void stack_trace(bool out, size_t wire_len, const char *msg,
			size_t len, void *arg)
{
	const char *p = msg, *end = msg + len;

	(void)arg;
	cli_debug("%s %zu bytes", out ? "sent" : "received", wire_len);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t shown = n;

		if (shown && p[shown - 1] == '\r')
			shown--;
		cli_debug("%c %.*s", out ? '>' : '<', (int)shown, p);
		p += n + (nl ? 1 : 0);
	}
}

/* ---- exit codes ----------------------------------------------------- */

int stack_code_response(const struct stack *s, int err, unsigned status)
{
	switch (err) {
	case 0:
		return exitcode_from_sip_status((int)status, 0);
	case EKEYREJECTED: /* credentials refused */
	case EPERM:        /* challenged, no usable credentials */
		return SIPWS_EXIT_AUTH;
	case ETIMEDOUT:
		return SIPWS_EXIT_TIMEOUT;
	case ECONNRESET:
		if (s && s->transport_err)
			return exitcode_from_transport(s->transport_err);
		return SIPWS_EXIT_UNAVAILABLE;
	case ECANCELED:
		return s && s->timed_out ? SIPWS_EXIT_TIMEOUT : SIPWS_EXIT_SOFTWARE;
	case EPROTO:
		/* with a response: the registrar's answer made no sense;
		 * without: the transport's upgrade was refused */
		return status ? SIPWS_EXIT_PROTOCOL : SIPWS_EXIT_UNAVAILABLE;
	case WS_ETLS_VERIFY:
	case WS_ETLS:
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EMSGSIZE:
		/* the transport went down for good before the request left */
		return exitcode_from_transport(err);
	default:
		return exitcode_from_errno(err);
	}
}

/* Words for the transport's failures, before it has told its own. */
static const char *transport_text(int err)
{
	switch (err) {
	case WS_ETLS_VERIFY:
		return "certificate not trusted";
	case WS_ETLS:
		return "TLS handshake failed";
	case ECONNREFUSED:
		return "connection refused";
	case EHOSTUNREACH:
	case ENETUNREACH:
		return "host unreachable";
	case EPROTO:
		return "WebSocket upgrade refused";
	case ECONNRESET:
		return "connection lost";
	default:
		return NULL;
	}
}

const char *stack_describe(const struct stack *s, int err, unsigned status,
			   const char *reason)
{
	static char buf[256];

	/* A request that failed with the transport: its reason says more. */
	if (status == 0 && err && s && s->transport_err &&
	    (err == ECONNRESET || err == s->transport_err))
		snprintf(buf, sizeof(buf), "%s", s->transport_reason);
	else if (err == 0 || status)
		snprintf(buf, sizeof(buf), "%u %s", status,
			 reason ? reason : "");
	else if (transport_text(err))
		snprintf(buf, sizeof(buf), "%s", transport_text(err));
	else
		snprintf(buf, sizeof(buf), "%s", reason ? reason : strerror(err));
	return buf;
}

/* ---- the stack --------------------------------------------------------- */

static void stack_transport(const struct sip_transport_event *ev, void *arg)
{
	struct stack *s = arg;

	/* ws.c logs connections at -v itself. */
	s->transport_err = ua_transport_error(s->ua, &s->transport_reason);
	/* Down for good: whatever the tool waits for will not come. */
	if (ev->type != SIP_TRANSPORT_CONNECTED && ev->err && !ev->retry)
		stack_finish(s, exitcode_from_transport(ev->err));
	if (s->transport_h)
		s->transport_h(ev, s->transport_arg);
}

static void stack_deadline(void *arg)
{
	struct stack *s = arg;

	s->timed_out = true;
	stack_finish(s, SIPWS_EXIT_TIMEOUT);
}

int stack_open(struct stack *s, struct conf *conf, const struct stack_options *o,
	       const struct stack_setup *setup, const struct cli *cli,
	       char *reason, size_t reason_size)
{
	struct ua_config uc = setup->ua;
	int err;

	memset(s, 0, sizeof(*s));
	s->start_us = loop_now_us();
	s->timeout_ms = o->timeout_ms;
	s->transport_reason = "";
	loop_timer_init(&s->deadline);

	uc.log_h = stack_log;
	uc.log_arg = s;
	uc.log_level = cli_verbosity() >= 3   ? LOOP_LOG_DEBUG
		       : cli_verbosity() >= 2 ? LOOP_LOG_INFO
					      : LOOP_LOG_ERROR;
	uc.warning_h = stack_warning;
	uc.profile = cli->profile;
	uc.stop_on_signals = uc.reconnect;
	if (cli_verbosity() >= 3)
		uc.trace_h = stack_trace;
	s->transport_h = uc.transport_h;
	s->transport_arg = uc.transport_arg;
	uc.transport_h = stack_transport;
	uc.transport_arg = s;
	err = ua_alloc(&s->ua, conf, &uc, reason, reason_size);
	if (err)
		return err == EINVAL  ? SIPWS_EXIT_CONFIG
		       : err == E2BIG ? SIPWS_EXIT_DATAERR
				      : SIPWS_EXIT_SOFTWARE;
	s->loop = ua_loop(s->ua);
	s->sip = ua_sip(s->ua);
	s->account = ua_account(s->ua);
	if (s->timeout_ms)
		loop_timer_start(&s->deadline, s->loop, s->timeout_ms,
				 stack_deadline, s);
	cli_info("account %s, server %s%s", s->account, ua_server(s->ua),
		 ua_server_count(s->ua) > 1 ? " (and others)" : "");
	err = ua_start(s->ua);
	if (err) {
		snprintf(reason, reason_size, "cannot connect (%s)",
			 strerror(err));
		return SIPWS_EXIT_SOFTWARE;
	}
	return SIPWS_EXIT_OK;
}

void stack_finish(struct stack *s, int code)
{
	if (s->finished)
		return;
	s->finished = true;
	s->exit_code = code;
	loop_stop(s->loop);
}

int stack_run(struct stack *s)
{
	int code;

	s->finished = false;
	s->exit_code = SIPWS_EXIT_OK;
	/* A deadline that passed in an earlier run ends this one at once. */
	if (s->timed_out)
		return SIPWS_EXIT_TIMEOUT;
	if (ua_run(s->ua) != 0)
		return SIPWS_EXIT_SOFTWARE;
	code = s->finished ? s->exit_code : SIPWS_EXIT_OK;
	return stack_code_final(s, code, SIPWS_EXIT_OK);
}

int stack_code_final(const struct stack *s, int code, int worst)
{
	if (worst > code)
		code = worst;
	/* Requests fail with ECONNRESET before the transport says why. */
	if (code == SIPWS_EXIT_UNAVAILABLE && s->transport_err)
		code = exitcode_from_transport(s->transport_err);
	return code;
}

void stack_close(struct stack *s)
{
	loop_timer_cancel(&s->deadline);
	ua_free(s->ua);
	s->ua = NULL;
	s->loop = NULL;
	s->sip = NULL;
}

double stack_elapsed_ms(const struct stack *s)
{
	return (double)(loop_now_us() - s->start_us) / 1000.0;
}
