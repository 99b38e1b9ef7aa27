/* The tools' SIP stack from the configuration, their shared options, and
 * outcomes mapped to exit codes; see stack.h. */
#include "stack.h"

#include "exitcode.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

extern char **environ;

void stack_options_init(struct stack_options *o, int argc)
{
	memset(o, 0, sizeof(*o));
	o->servers = calloc((size_t)argc + 1, sizeof(*o->servers));
	if (o->servers == NULL)
		cli_die(EXIT_SOFTWARE, "out of memory");
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

#define STACK_STR_(x) #x
#define STACK_STR(x) STACK_STR_(x)

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
	struct conf_sources src = {0};
	struct conf *conf = NULL;
	size_t i;
	int err, code = EXIT_CONFIG;

	*confp = NULL;
	if (conf_alloc(&conf) != 0) {
		snprintf(reason, reason_size, "out of memory");
		return EXIT_SOFTWARE;
	}
	src.config_file = cli->config_file;
	src.profile = cli->profile;
	src.env = environ;
	src.read_files = true;
	src.sets = cli->sets;
	src.nsets = (size_t)cli->nsets;
	err = conf_load(conf, &src, reason, reason_size);
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
			code = EXIT_IOERR;
		}
		if (err)
			goto out;
	}
	/* The options may change which password source wins. */
	err = conf_check(conf, reason, reason_size);
out:
	for (i = 0; i < conf_warning_count(conf); i++)
		cli_warn("warning: %s", conf_warning(conf, i));
	if (err) {
		conf_free(conf);
		/* a value longer than the configuration takes is bad input */
		return err == ENOMEM ? EXIT_SOFTWARE
		       : err == E2BIG || err == ENAMETOOLONG ? EXIT_DATAERR
							     : code;
	}
	*confp = conf;
	return EXIT_OK;
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

static bool header_is(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

/* Copy one Authorization-like header line into buf with the values of
 * response, cnonce and password masked. */
static size_t mask_line(const char *line, size_t len, char *buf, size_t size)
{
	static const char *const secret[] = {"response", "cnonce", "password",
					     NULL};
	size_t i = 0, o = 0;

	while (i < len && o + sizeof(CONF_MASK) + 2 < size) {
		size_t k, start;
		bool masked = false;

		/* A parameter name starts after a blank or a comma. */
		if (i > 0 && (line[i - 1] == ' ' || line[i - 1] == ',' ||
			      line[i - 1] == '\t')) {
			for (k = 0; secret[k]; k++) {
				size_t n = strlen(secret[k]);

				if (i + n < len && line[i + n] == '=' &&
				    strncasecmp(line + i, secret[k], n) == 0) {
					masked = true;
					break;
				}
			}
		}
		if (!masked) {
			buf[o++] = line[i++];
			continue;
		}
		start = i;
		while (i < len && line[i] != '=')
			buf[o++] = line[i++];
		buf[o++] = line[i++]; /* '=' */
		if (i < len && line[i] == '"') {
			i++;
			while (i < len && line[i] != '"') {
				if (line[i] == '\\' && i + 1 < len)
					i++;
				i++;
			}
			i++;
			memcpy(buf + o, "\"" CONF_MASK "\"", sizeof(CONF_MASK) + 1);
			o += sizeof(CONF_MASK) + 1;
		} else {
			while (i < len && line[i] != ',' && line[i] != ' ' &&
			       line[i] != '\t')
				i++;
			memcpy(buf + o, CONF_MASK, sizeof(CONF_MASK) - 1);
			o += sizeof(CONF_MASK) - 1;
		}
		(void)start;
	}
	return o;
}

static void stack_trace(bool out, const char *data, size_t len, void *arg)
{
	const char *p = data, *end = data + len;
	bool in_body = false;

	(void)arg;
	cli_debug("%s %zu bytes", out ? "sent" : "received", len);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t shown = n;

		if (shown && p[shown - 1] == '\r')
			shown--;
		if (!in_body && (header_is(p, shown, "Authorization") ||
				 header_is(p, shown, "Proxy-Authorization"))) {
			/* a mask may be longer than the value it hides
			 * (each "name=" at least 4 bytes): 3x is room */
			size_t size = 3 * shown + 64, m;
			char *buf = malloc(size);

			if (buf == NULL) {
				cli_debug("%c (a line hidden: out of memory)",
					  out ? '>' : '<');
			} else {
				m = mask_line(p, shown, buf, size);
				cli_debug("%c %.*s", out ? '>' : '<', (int)m,
					  buf);
				free(buf);
			}
		} else {
			cli_debug("%c %.*s", out ? '>' : '<', (int)shown, p);
		}
		if (shown == 0)
			in_body = true;
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
		return EXIT_AUTH;
	case ETIMEDOUT:
		return EXIT_TIMEOUT;
	case ECONNRESET:
		if (s && s->transport_err)
			return exitcode_from_transport(s->transport_err);
		return EXIT_UNAVAILABLE;
	case ECANCELED:
		return s && s->timed_out ? EXIT_TIMEOUT : EXIT_SOFTWARE;
	case EPROTO:
		/* with a response: the registrar's answer made no sense;
		 * without: the transport's upgrade was refused */
		return status ? EXIT_PROTOCOL : EXIT_UNAVAILABLE;
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
	const char *why;
	size_t room;

	/* ws.c logs connections at -v itself. */
	if (ev->type == SIP_TRANSPORT_CONNECTED) {
		s->transport_err = 0;
		s->transport_reason[0] = '\0';
		return;
	}
	if (ev->err == 0)
		return; /* our own close */
	s->transport_err = ev->err;
	why = ev->reason ? ev->reason : strerror(ev->err);
	/* A long server URL is cut, not the reason after it. */
	room = sizeof(s->transport_reason) - 3 - strlen(why);
	if (strlen(ev->url) > room && room > 3 + 16)
		snprintf(s->transport_reason, sizeof(s->transport_reason),
			 "%.*s...: %s", (int)(room - 3), ev->url, why);
	else
		snprintf(s->transport_reason, sizeof(s->transport_reason),
			 "%s: %s", ev->url, why);
	/* Down for good: whatever the tool waits for will not come. */
	if (!ev->retry)
		stack_finish(s, exitcode_from_transport(ev->err));
}

static void stack_deadline(void *arg)
{
	struct stack *s = arg;

	s->timed_out = true;
	stack_finish(s, EXIT_TIMEOUT);
}

/* $XDG_STATE_HOME/sipws, or ~/.local/state/sipws. */
static int state_dir(char *buf, size_t size)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;

	if (xdg && xdg[0] == '/')
		n = snprintf(buf, size, "%s/sipws", xdg);
	else if (home && home[0])
		n = snprintf(buf, size, "%s/.local/state/sipws", home);
	else
		return ENOENT;
	return n < 0 || (size_t)n >= size ? ENAMETOOLONG : 0;
}

static void load_instance_id(struct stack *s, const struct cli *cli)
{
	const char *profile = cli->profile, *slash;
	char dir[4096];
	int err;

	/* A profile given as a path is named by its file name. */
	if (profile && (slash = strrchr(profile, '/')) != NULL)
		profile = slash + 1;
	err = state_dir(dir, sizeof(dir));
	if (!err)
		err = sip_instance_id_load(dir, profile, s->instance_id,
					   sizeof(s->instance_id));
	if (err) {
		cli_warn("warning: no instance id (%s/%s/instance-id: %s); "
			 "registering without one",
			 err == ENOENT ? "$XDG_STATE_HOME" : dir,
			 profile && *profile ? profile : "default",
			 strerror(err));
		s->instance_id[0] = '\0';
	}
}

static int fail(char *reason, size_t reason_size, int code, const char *fmt,
		const char *arg)
{
	snprintf(reason, reason_size, fmt, arg);
	return code;
}

int stack_open(struct stack *s, struct conf *conf, const struct stack_options *o,
	       const struct stack_setup *setup, const struct cli *cli,
	       char *reason, size_t reason_size)
{
	struct loop_config lc = {0};
	struct sip_config sc = {0};
	const char *const *items;
	size_t count, i, nservers = 0;
	long long min_secs = 0, max_secs = 0, probe_secs = 0;
	const char *str;
	bool insecure = false;
	int err;

	memset(s, 0, sizeof(*s));
	s->conf = conf;
	s->start_us = loop_now_us();
	s->timeout_ms = o->timeout_ms;
	loop_timer_init(&s->deadline);

	if (conf_get_str(conf, "user.uri", &s->account) != 0)
		return fail(reason, reason_size, EXIT_CONFIG, "%s",
			    "no account: set user.uri or give --user");
	while (conf_ws_server(conf, nservers, &(struct conf_ws_server){0}) == 0)
		nservers++;
	if (nservers == 0)
		return fail(reason, reason_size, EXIT_CONFIG, "%s",
			    "no server: set websocket.servers or give --server");
	s->servers = calloc(nservers, sizeof(*s->servers));
	if (s->servers == NULL)
		return fail(reason, reason_size, EXIT_SOFTWARE, "%s",
			    "out of memory");
	for (i = 0; i < nservers; i++) {
		struct conf_ws_server cs;

		conf_ws_server(conf, i, &cs);
		s->servers[i].url = cs.url;
		s->servers[i].weight = cs.weight;
	}

	lc.backend = LOOP_NATIVE;
	lc.log_h = stack_log;
	lc.log_arg = s;
	lc.log_level = cli_verbosity() >= 3 ? LOOP_LOG_DEBUG
		       : cli_verbosity() >= 2 ? LOOP_LOG_INFO
					       : LOOP_LOG_ERROR;
	if (conf_get_str(conf, "tls.ca_file", &str) == 0)
		lc.tls_ca_file = str;
	conf_get_bool(conf, "tls.insecure", &insecure);
	lc.tls_insecure = insecure;
	err = loop_alloc(&s->loop, &lc);
	if (err == EIO || err == ENOMEM || err == EINVAL)
		return fail(reason, reason_size, EXIT_SOFTWARE,
			    "cannot start the event loop (%s)", strerror(err));
	if (err) {
		snprintf(reason, reason_size, "tls.ca_file %s: %s",
			 lc.tls_ca_file ? lc.tls_ca_file : "", strerror(err));
		return EXIT_CONFIG;
	}
	if (insecure)
		cli_warn("warning: server certificates are not verified "
			 "(tls.insecure)");

	if (setup->instance_id)
		load_instance_id(s, cli);

	sc.uri = s->account;
	if (conf_get_str(conf, "user.display_name", &str) == 0)
		sc.display_name = str;
	if (conf_auth_user(conf, &str) == 0)
		sc.auth_user = str;
	if (conf_password(conf, &str) == 0)
		sc.password = str;
	if (conf_get_str(conf, "user.sip_auth_realm", &str) == 0)
		sc.realm = str;
	if (conf_get_str(conf, "user.sip_auth_ha1", &str) == 0) {
		const char *alg = "MD5";

		sc.ha1 = str;
		conf_get_str(conf, "user.sip_auth_ha1_algorithm", &alg);
		if (digest_algorithm_from_name(span_from_str(alg),
					       &sc.ha1_algorithm) != 0)
			return fail(reason, reason_size, EXIT_CONFIG,
				    "user.sip_auth_ha1_algorithm %s: not supported",
				    alg);
	}
	if (conf_get_list(conf, "extra_headers", &items, &count) == 0 &&
	    count > 0) {
		s->extra_headers = calloc(count + 1, sizeof(*s->extra_headers));
		if (s->extra_headers == NULL)
			return fail(reason, reason_size, EXIT_SOFTWARE, "%s",
				    "out of memory");
		for (i = 0; i < count; i++)
			s->extra_headers[i] = items[i];
		sc.extra_headers = s->extra_headers;
	}
	/* The key's default is sipws/VERSION; emptied, it means none. */
	sc.user_agent = conf_get_str(conf, "user_agent", &str) == 0 ? str : "";
	sc.instance_id = s->instance_id[0] ? s->instance_id : NULL;

	sc.ws.servers = s->servers;
	sc.ws.nservers = nservers;
	if (conf_get_str(conf, "websocket.origin", &str) == 0)
		sc.ws.origin = str;
	sc.ws.reconnect = setup->reconnect;
	conf_get_int(conf, "websocket.connection_recovery_min_interval",
		     &min_secs);
	conf_get_int(conf, "websocket.connection_recovery_max_interval",
		     &max_secs);
	sc.ws.reconnect_min_secs = (unsigned)min_secs;
	sc.ws.reconnect_max_secs = (unsigned)max_secs;
	conf_get_int(conf, "websocket.preferred_probe_interval", &probe_secs);
	sc.ws.probe_interval_secs = (unsigned)probe_secs;
	sc.ws.max_queue = (setup->window ? setup->window : 1) + 16;
	if (sc.ws.max_queue < WS_MAX_QUEUE)
		sc.ws.max_queue = WS_MAX_QUEUE;

	err = sip_alloc(&s->sip, s->loop, &sc);
	if (err == E2BIG)
		return fail(reason, reason_size, EXIT_DATAERR, "%s",
			    "user.uri is longer than a SIP URI may be here, or "
			    "with user.display_name makes a From header longer "
			    "than " STACK_STR(SIPMSG_MAX_LINE) " bytes");
	if (err == EINVAL)
		return fail(reason, reason_size, EXIT_CONFIG, "%s",
			    "the account, a server URL or extra_headers is "
			    "not usable (see sipws-config)");
	if (err)
		return fail(reason, reason_size, EXIT_SOFTWARE,
			    "cannot start the SIP core (%s)", strerror(err));
	err = sip_transport_watch(s->sip, stack_transport, s);
	if (err)
		return fail(reason, reason_size, EXIT_SOFTWARE,
			    "cannot watch the transport (%s)", strerror(err));
	if (cli_verbosity() >= 3)
		sip_set_trace(s->sip, stack_trace, s);
	if (setup->reconnect) {
		err = loop_stop_on_signals(s->loop);
		if (err)
			return fail(reason, reason_size, EXIT_SOFTWARE,
				    "cannot catch signals (%s)", strerror(err));
	}
	if (s->timeout_ms)
		loop_timer_start(&s->deadline, s->loop, s->timeout_ms,
				 stack_deadline, s);
	cli_info("account %s, server %s%s", s->account, s->servers[0].url,
		 nservers > 1 ? " (and others)" : "");
	err = sip_start(s->sip);
	if (err)
		return fail(reason, reason_size, EXIT_SOFTWARE,
			    "cannot connect (%s)", strerror(err));
	return EXIT_OK;
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
	s->exit_code = EXIT_OK;
	/* A deadline that passed in an earlier run ends this one at once. */
	if (s->timed_out)
		return EXIT_TIMEOUT;
	if (loop_run(s->loop) != 0)
		return EXIT_SOFTWARE;
	code = s->finished ? s->exit_code : EXIT_OK;
	return stack_code_final(s, code, EXIT_OK);
}

int stack_code_final(const struct stack *s, int code, int worst)
{
	if (worst > code)
		code = worst;
	/* Requests fail with ECONNRESET before the transport says why. */
	if (code == EXIT_UNAVAILABLE && s->transport_err)
		code = exitcode_from_transport(s->transport_err);
	return code;
}

void stack_close(struct stack *s)
{
	loop_timer_cancel(&s->deadline);
	if (s->sip) {
		sip_free(s->sip);
		s->sip = NULL;
	}
	loop_free(s->loop);
	s->loop = NULL;
	conf_free(s->conf);
	s->conf = NULL;
	free(s->servers);
	s->servers = NULL;
	free(s->extra_headers);
	s->extra_headers = NULL;
}

double stack_elapsed_ms(const struct stack *s)
{
	return (double)(loop_now_us() - s->start_us) / 1000.0;
}
