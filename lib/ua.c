/* One account as a library object: configuration to loop, transport, SIP
 * core and registration, the UA state, the graceful end; see ua.h. */
#include "ua.h"

#include "digest.h"
#include "sipmsg.h"
#include "span.h"
#include "topic.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define UA_STR_(x) #x
#define UA_STR(x) UA_STR_(x)

struct ua {
	struct ua_config cfg;
	struct conf *conf;
	struct loop *loop;
	struct sip *sip;
	struct reg *reg;
	const char *account;
	struct ws_server *servers;
	size_t nservers;
	const char **extra_headers;
	char instance_id[40];
	/* transport */
	bool connected;
	bool ever_connected;
	int transport_err;
	char transport_reason[128];
	/* state */
	size_t calls;
	/* the end */
	bool stopping;
	bool unregistering;
	bool closing;
	struct loop_timer shutdown_timer;
	struct loop_timer wait_timer;
};

static int fail(char *reason, size_t reason_size, int err, const char *fmt,
		...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, reason_size, fmt, ap);
	va_end(ap);
	return err;
}

static void warn(struct ua *ua, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (ua->cfg.warning_h == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ua->cfg.warning_h(msg, ua->cfg.warning_arg);
}

/* ---- the trace, secrets masked ------------------------------------------ */

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
		size_t k;
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
	}
	return o;
}

int ua_trace_mask(const char *data, size_t len, char **maskedp,
		  size_t *masked_len)
{
	const char *p = data, *end = data + len;
	bool in_body = false;
	size_t size = 3 * len + 64, o = 0;
	char *buf;

	/* a mask may be longer than the value it hides (each "name=" at
	 * least 4 bytes): 3x is room */
	buf = malloc(size);
	if (buf == NULL)
		return ENOMEM;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t shown = n;

		if (shown && p[shown - 1] == '\r')
			shown--;
		if (!in_body && (header_is(p, shown, "Authorization") ||
				 header_is(p, shown, "Proxy-Authorization"))) {
			o += mask_line(p, shown, buf + o, size - o);
			memcpy(buf + o, p + shown, n - shown);
			o += n - shown;
		} else {
			memcpy(buf + o, p, n);
			o += n;
		}
		if (nl)
			buf[o++] = '\n';
		if (shown == 0)
			in_body = true;
		p += n + (nl ? 1 : 0);
	}
	buf[o] = '\0';
	*maskedp = buf;
	*masked_len = o;
	return 0;
}

static void on_trace(bool out, const char *data, size_t len, void *arg)
{
	struct ua *ua = arg;
	char *masked;
	size_t mlen;

	if (ua_trace_mask(data, len, &masked, &mlen) != 0) {
		ua->cfg.trace_h(out, len, "(hidden: out of memory)", 23,
				ua->cfg.trace_arg);
		return;
	}
	ua->cfg.trace_h(out, len, masked, mlen, ua->cfg.trace_arg);
	free(masked);
}

/* ---- state ------------------------------------------------------------- */

const char *ua_state_topic(enum ua_state state)
{
	switch (state) {
	case UA_IDLE:
		return TOPIC_UA_IDLE;
	case UA_INCALL:
		return TOPIC_UA_INCALL;
	default:
		return TOPIC_UA_NOTREADY;
	}
}

enum ua_state ua_state(const struct ua *ua)
{
	if (ua->calls > 0)
		return UA_INCALL;
	return ua->connected ? UA_IDLE : UA_NOTREADY;
}

static void tell_state(struct ua *ua, enum ua_state state)
{
	if (ua->cfg.state_h)
		ua->cfg.state_h(state, ua->cfg.state_arg);
}

void ua_call_add(struct ua *ua)
{
	if (++ua->calls == 1)
		tell_state(ua, UA_INCALL);
}

void ua_call_remove(struct ua *ua)
{
	if (ua->calls > 0)
		ua->calls--;
	if (ua->calls == 0 && ua->connected && !ua->stopping)
		tell_state(ua, UA_IDLE);
}

/* ---- the transport ---------------------------------------------------- */

static void ua_done(struct ua *ua)
{
	loop_timer_cancel(&ua->wait_timer);
	if (ua->cfg.done_h)
		ua->cfg.done_h(ua->cfg.done_arg);
	else
		loop_stop(ua->loop);
}

static void note_transport(struct ua *ua, const struct sip_transport_event *ev)
{
	const char *why;
	size_t room;

	if (ev->type == SIP_TRANSPORT_CONNECTED) {
		ua->transport_err = 0;
		ua->transport_reason[0] = '\0';
		return;
	}
	if (ev->err == 0)
		return; /* our own close */
	ua->transport_err = ev->err;
	why = ev->reason ? ev->reason : strerror(ev->err);
	/* A long server URL is cut, not the reason after it. */
	room = sizeof(ua->transport_reason) - 3 - strlen(why);
	if (strlen(ev->url) > room && room > 3 + 16)
		snprintf(ua->transport_reason, sizeof(ua->transport_reason),
			 "%.*s...: %s", (int)(room - 3), ev->url, why);
	else
		snprintf(ua->transport_reason, sizeof(ua->transport_reason),
			 "%s: %s", ev->url, why);
}

static void on_transport(const struct sip_transport_event *ev, void *arg)
{
	struct ua *ua = arg;
	bool was_connected = ua->connected;

	note_transport(ua, ev);
	ua->connected = ev->type == SIP_TRANSPORT_CONNECTED;
	if (ua->connected)
		ua->ever_connected = true;
	if (ua->cfg.transport_h)
		ua->cfg.transport_h(ev, ua->cfg.transport_arg);
	/* The registration client registers again by itself. */
	if (ua->connected) {
		if (ua->calls == 0)
			tell_state(ua, UA_IDLE);
		return;
	}
	if (ua->stopping) {
		if (ua->closing)
			ua_done(ua);
		return;
	}
	if (was_connected)
		tell_state(ua, UA_NOTREADY);
}

int ua_transport_error(const struct ua *ua, const char **reason)
{
	if (reason)
		*reason = ua->transport_reason;
	return ua->transport_err;
}

/* ---- building ----------------------------------------------------------- */

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

static void load_instance_id(struct ua *ua)
{
	const char *profile = ua->cfg.profile, *slash;
	char dir[4096];
	int err = 0;

	/* A profile given as a path is named by its file name. */
	if (profile && (slash = strrchr(profile, '/')) != NULL)
		profile = slash + 1;
	if (ua->cfg.state_dir)
		snprintf(dir, sizeof(dir), "%s", ua->cfg.state_dir);
	else
		err = state_dir(dir, sizeof(dir));
	if (!err)
		err = sip_instance_id_load(dir, profile, ua->instance_id,
					   sizeof(ua->instance_id));
	if (err) {
		warn(ua, "warning: no instance id (%s/%s/instance-id: %s); "
			 "registering without one",
		     err == ENOENT && !ua->cfg.state_dir ? "$XDG_STATE_HOME"
							  : dir,
		     profile && *profile ? profile : "default", strerror(err));
		ua->instance_id[0] = '\0';
	}
}

static int make_loop(struct ua *ua, char *reason, size_t reason_size)
{
	struct loop_config lc = {0};
	const char *str;
	bool insecure = false;
	int err;

	lc.backend = ua->cfg.backend;
	lc.log_h = ua->cfg.log_h;
	lc.log_arg = ua->cfg.log_arg;
	lc.log_level = ua->cfg.log_level;
	err = loop_alloc(&ua->loop, &lc);
	if (err)
		return fail(reason, reason_size, err == ENOMEM ? ENOMEM : EIO,
			    "cannot start the event loop (%s)", strerror(err));
	/* The transport's trust settings (make_sip), checked first here so
	 * that an unreadable file reads as the configuration error it is. */
	if (conf_get_str(ua->conf, "tls.ca_file", &str) == 0 &&
	    access(str, R_OK) < 0)
		return fail(reason, reason_size, EINVAL, "tls.ca_file %s: %s",
			    str, strerror(errno));
	conf_get_bool(ua->conf, "tls.insecure", &insecure);
	if (insecure)
		warn(ua, "warning: server certificates are not verified "
			 "(tls.insecure)");
	return 0;
}

static int make_sip(struct ua *ua, char *reason, size_t reason_size)
{
	struct sip_config sc = {0};
	struct conf *conf = ua->conf;
	const char *const *items;
	long long min_secs = 0, max_secs = 0, probe_secs = 0;
	const char *str;
	size_t count, i;
	int err;

	sc.uri = ua->account;
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
			return fail(reason, reason_size, EINVAL,
				    "user.sip_auth_ha1_algorithm %s: not supported",
				    alg);
	}
	if (conf_get_list(conf, "extra_headers", &items, &count) == 0 &&
	    count > 0) {
		ua->extra_headers = calloc(count + 1, sizeof(*ua->extra_headers));
		if (ua->extra_headers == NULL)
			return fail(reason, reason_size, ENOMEM, "out of memory");
		for (i = 0; i < count; i++)
			ua->extra_headers[i] = items[i];
		sc.extra_headers = ua->extra_headers;
	}
	/* The key's default is sipws/VERSION; emptied, it means none. */
	sc.user_agent = conf_get_str(conf, "user_agent", &str) == 0 ? str : "";
	sc.instance_id = ua->instance_id[0] ? ua->instance_id : NULL;

	sc.ws.servers = ua->servers;
	sc.ws.nservers = ua->nservers;
	if (conf_get_str(conf, "websocket.origin", &str) == 0)
		sc.ws.origin = str;
	if (conf_get_str(conf, "tls.ca_file", &str) == 0)
		sc.ws.tls_ca_file = str;
	conf_get_bool(conf, "tls.insecure", &sc.ws.tls_insecure);
	sc.ws.reconnect = ua->cfg.reconnect;
	conf_get_int(conf, "websocket.connection_recovery_min_interval",
		     &min_secs);
	conf_get_int(conf, "websocket.connection_recovery_max_interval",
		     &max_secs);
	sc.ws.reconnect_min_secs = (unsigned)min_secs;
	sc.ws.reconnect_max_secs = (unsigned)max_secs;
	conf_get_int(conf, "websocket.preferred_probe_interval", &probe_secs);
	sc.ws.probe_interval_secs = (unsigned)probe_secs;
	sc.ws.max_queue = (ua->cfg.window ? ua->cfg.window : 1) + 16;
	if (sc.ws.max_queue < WS_MAX_QUEUE)
		sc.ws.max_queue = WS_MAX_QUEUE;

	err = sip_alloc(&ua->sip, ua->loop, &sc);
	if (err == E2BIG)
		return fail(reason, reason_size, E2BIG, "%s",
			    "user.uri is longer than a SIP URI may be here, or "
			    "with user.display_name makes a From header longer "
			    "than " UA_STR(SIPMSG_MAX_LINE) " bytes");
	if (err == EINVAL)
		return fail(reason, reason_size, EINVAL, "%s",
			    "the account, a server URL or extra_headers is "
			    "not usable (see sipws-config)");
	if (err)
		return fail(reason, reason_size, err == ENOMEM ? ENOMEM : EIO,
			    "cannot start the SIP core (%s)", strerror(err));
	return 0;
}

static int ua_build(struct ua *ua, char *reason, size_t reason_size)
{
	size_t i;
	int err;

	if (conf_get_str(ua->conf, "user.uri", &ua->account) != 0)
		return fail(reason, reason_size, EINVAL,
			    "no account: set user.uri or give --user");
	while (conf_ws_server(ua->conf, ua->nservers,
			      &(struct conf_ws_server){0}) == 0)
		ua->nservers++;
	if (ua->nservers == 0)
		return fail(reason, reason_size, EINVAL,
			    "no server: set websocket.servers or give --server");
	ua->servers = calloc(ua->nservers, sizeof(*ua->servers));
	if (ua->servers == NULL)
		return fail(reason, reason_size, ENOMEM, "out of memory");
	for (i = 0; i < ua->nservers; i++) {
		struct conf_ws_server cs;

		conf_ws_server(ua->conf, i, &cs);
		ua->servers[i].url = cs.url;
		ua->servers[i].weight = cs.weight;
	}
	err = make_loop(ua, reason, reason_size);
	if (err)
		return err;
	if (ua->cfg.instance_id)
		load_instance_id(ua);
	err = make_sip(ua, reason, reason_size);
	if (err)
		return err;
	err = sip_transport_watch(ua->sip, on_transport, ua);
	if (err)
		return fail(reason, reason_size, err == ENOMEM ? ENOMEM : EIO,
			    "cannot watch the transport (%s)", strerror(err));
	if (ua->cfg.trace_h)
		sip_set_trace(ua->sip, on_trace, ua);
	if (ua->cfg.stop_on_signals) {
		err = loop_stop_on_signals(ua->loop);
		if (err)
			return fail(reason, reason_size, EIO,
				    "cannot catch signals (%s)", strerror(err));
	}
	return 0;
}

int ua_alloc(struct ua **uap, struct conf *conf, const struct ua_config *cfg,
	     char *reason, size_t reason_size)
{
	struct ua *ua;
	int err;

	*uap = NULL;
	ua = calloc(1, sizeof(*ua));
	if (ua == NULL) {
		conf_free(conf);
		return fail(reason, reason_size, ENOMEM, "out of memory");
	}
	if (cfg)
		ua->cfg = *cfg;
	ua->conf = conf;
	loop_timer_init(&ua->shutdown_timer);
	loop_timer_init(&ua->wait_timer);
	err = ua_build(ua, reason, reason_size);
	if (err) {
		ua_free(ua);
		return err;
	}
	*uap = ua;
	return 0;
}

void ua_free(struct ua *ua)
{
	if (ua == NULL)
		return;
	loop_timer_cancel(&ua->shutdown_timer);
	loop_timer_cancel(&ua->wait_timer);
	reg_free(ua->reg);
	sip_free(ua->sip);
	loop_free(ua->loop);
	conf_free(ua->conf);
	free(ua->servers);
	free(ua->extra_headers);
	free(ua);
}

int ua_start(struct ua *ua)
{
	return sip_start(ua->sip);
}

int ua_run(struct ua *ua)
{
	return loop_run(ua->loop);
}

/* ---- registration ------------------------------------------------------- */

static void on_reg(const struct reg_event *ev, void *arg);

int ua_reg_open(struct ua *ua)
{
	struct reg_config rc = {0};
	long long v;
	int err;

	if (ua->reg == NULL) {
		if (conf_registration_server(ua->conf, &rc.server) != 0)
			rc.server = NULL;
		rc.expires = ua->cfg.expires;
		if (rc.expires == 0 &&
		    conf_get_int(ua->conf, "registration.expiry", &v) == 0 &&
		    v > 0 && v <= UINT32_MAX)
			rc.expires = (uint32_t)v;
		/* A failed re-registration is retried at the pace of the
		 * connection recovery, which is what a user tunes for a
		 * server. */
		if (conf_get_int(ua->conf,
				 "websocket.connection_recovery_max_interval",
				 &v) == 0 && v > 0 && v <= 86400)
			rc.retry_secs = (unsigned)v;
		err = reg_alloc(&ua->reg, ua->sip, &rc, on_reg, ua);
		if (err)
			return err;
	}
	return 0;
}

int ua_register(struct ua *ua)
{
	int err = ua_reg_open(ua);

	return err ? err : reg_register(ua->reg);
}

/* ---- the end ------------------------------------------------------------ */

static void close_timeout(void *arg)
{
	ua_done(arg);
}

/* The last step: the connection closed politely (sip_stop: ringing calls
 * get 480), then done. */
static void ua_close(struct ua *ua)
{
	ua->unregistering = false;
	loop_timer_cancel(&ua->wait_timer);
	if (!ua->connected || ua->closing) {
		ua_done(ua);
		return;
	}
	ua->closing = true;
	loop_timer_start(&ua->wait_timer, ua->loop, UA_CLOSE_WAIT_MS,
			 close_timeout, ua);
	sip_stop(ua->sip);
}

static void unregister_timeout(void *arg)
{
	struct ua *ua = arg;

	warn(ua, "no answer to the unregistration");
	ua_close(ua);
}

static void on_reg(const struct reg_event *ev, void *arg)
{
	struct ua *ua = arg;

	if (ua->cfg.reg_h)
		ua->cfg.reg_h(ev, ua->cfg.reg_arg);
	if (!ua->unregistering)
		return;
	if (ev->type == REG_UNREGISTERED) {
		ua_close(ua);
	} else if (ev->type == REG_FAILED) {
		warn(ua, "unregistering failed: %s", ev->reason);
		ua_close(ua);
	}
}

/* On its own turn of the loop: handlers that decide to end (the
 * registration client's among them) have returned by then. */
static void shutdown_run(void *arg)
{
	struct ua *ua = arg;

	/* the registration client knows best: a binding whose refresh
	 * failed is still there until it lapses */
	if (ua->reg && reg_is_registered(ua->reg) && ua->connected &&
	    reg_unregister(ua->reg) == 0) {
		ua->unregistering = true;
		loop_timer_start(&ua->wait_timer, ua->loop,
				 UA_UNREGISTER_WAIT_MS, unregister_timeout, ua);
		return;
	}
	ua_close(ua);
}

int ua_shutdown(struct ua *ua)
{
	if (ua->stopping)
		return EALREADY;
	ua->stopping = true;
	loop_timer_start(&ua->shutdown_timer, ua->loop, 0, shutdown_run, ua);
	return 0;
}

bool ua_stopping(const struct ua *ua)
{
	return ua->stopping;
}

/* ---- accessors ---------------------------------------------------------- */

struct loop *ua_loop(const struct ua *ua) { return ua->loop; }
struct sip *ua_sip(const struct ua *ua) { return ua->sip; }
struct conf *ua_conf(const struct ua *ua) { return ua->conf; }
struct reg *ua_reg(const struct ua *ua) { return ua->reg; }
const char *ua_account(const struct ua *ua) { return ua->account; }
const char *ua_server(const struct ua *ua) { return ua->servers[0].url; }
size_t ua_server_count(const struct ua *ua) { return ua->nservers; }
bool ua_connected(const struct ua *ua) { return ua->connected; }
bool ua_ever_connected(const struct ua *ua) { return ua->ever_connected; }
