/* One account as a library object (the door to the stack): from a loaded
 * configuration to a running user agent — the loop, the WebSocket
 * transport and the SIP core built from the config keys, the RFC 5626
 * instance id kept in a state file, a SIP trace with secrets masked, the
 * registration client with its settings from the config, the UA state
 * (ua/idle, ua/notready, ua/incall) and a graceful end: unregister, then
 * close the connection politely.
 *
 * A program's whole life:
 *     conf_alloc + conf_set (or conf_load) + conf_check
 *     ua_alloc(&ua, conf, &cfg, reason, sizeof(reason))
 *     ua_start(ua)            (connects)
 *     ua_register(ua)         (events through cfg.reg_h)
 *     ua_run(ua)
 *     ... im_alloc(&im, ua_sip(ua), ...) / reg_query(ua_reg(ua)) ...
 *     ua_shutdown(ua)         (ua_run returns once it is done)
 *     ua_free(ua)                                                       */
#ifndef SIPWS_UA_H
#define SIPWS_UA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.h"
#include "loop.h"
#include "reg.h"
#include "sip.h"

/* How long ua_shutdown waits for the registrar to confirm the
 * unregistration, and then for the polite close of the connection. */
#define UA_UNREGISTER_WAIT_MS 3000
#define UA_CLOSE_WAIT_MS 1000

struct ua;

/* The UA's state as JSCommunicator names it (topic.h's ua/ topics). */
enum ua_state {
	UA_NOTREADY, /* transport down (or not up yet) */
	UA_IDLE,     /* transport up, no call */
	UA_INCALL,   /* a call exists */
};
typedef void(ua_state_h)(enum ua_state state, void *arg);

/* A SIP message for the trace: out (sent) or received, wire_len bytes on
 * the wire; msg is the message with the digest response, cnonce and any
 * password parameter of Authorization and Proxy-Authorization headers
 * replaced by CONF_MASK (valid during the call). */
typedef void(ua_trace_h)(bool out, size_t wire_len, const char *msg,
			 size_t len, void *arg);

/* A warning for the user ("tls.insecure: ...", no instance id). */
typedef void(ua_warning_h)(const char *msg, void *arg);

/* ua_shutdown is over: the loop is stopped unless done_h says otherwise. */
typedef void(ua_done_h)(void *arg);

struct ua_config {
	enum loop_backend backend; /* LOOP_NATIVE (zero) for signalling */
	/* Reconnect with backoff forever (a long-running UA); otherwise
	 * the transport gives up after its failover round. */
	bool reconnect;
	/* Stop the loop on SIGINT and SIGTERM (loop_signal tells which). */
	bool stop_on_signals;
	/* Load or make the profile's RFC 5626 instance id (register-capable
	 * UAs), in state_dir (NULL: $XDG_STATE_HOME/sipws or
	 * ~/.local/state/sipws) under the profile's name (NULL: default; a
	 * path is named by its file name). */
	bool instance_id;
	const char *profile;
	const char *state_dir;
	unsigned window; /* requests in flight at once (queue size); 0: 1 */
	/* the loop's log lines (loop.h); NULL: silent */
	loop_log_h *log_h;
	void *log_arg;
	enum loop_log_level log_level;
	ua_warning_h *warning_h; /* NULL: warnings are dropped */
	void *warning_arg;
	/* The transport's events, after the UA took note of them (so
	 * ua_transport_error is current) and before the state they imply. */
	sip_transport_h *transport_h;
	void *transport_arg;
	ua_trace_h *trace_h; /* NULL: no trace */
	void *trace_arg;
	/* State changes, after the transport handler of the same event;
	 * during ua_shutdown only ua/idle on a reconnection and ua/incall. */
	ua_state_h *state_h;
	void *state_arg;
	/* The registration client's events (ua_register); ua_shutdown
	 * consumes those of its own unregistration after forwarding them. */
	reg_event_h *reg_h;
	void *reg_arg;
	uint32_t expires; /* asked for; 0: the key registration.expiry */
	ua_done_h *done_h; /* NULL: ua_shutdown ends with loop_stop */
	void *done_arg;
};

/* Build the loop, transport and SIP core from conf (checked: conf_check;
 * taken over, freed by ua_free, on error too). Does not connect yet.
 * Returns 0, or with reason[] filled: EINVAL when the configuration is
 * not usable (no user.uri, no server, an unreadable tls.ca_file, an
 * unsupported HA1 algorithm, a bad server URL or header), E2BIG when a
 * value is too long for a SIP header, ENOMEM, EIO when the loop or core
 * cannot start. Warnings (tls.insecure, no instance id) go to warning_h. */
int ua_alloc(struct ua **uap, struct conf *conf, const struct ua_config *cfg,
	     char *reason, size_t reason_size);
/* Free everything: the registration client, pending requests, the
 * connection (abruptly: ua_shutdown is the polite way), the loop and the
 * configuration. NULL is ignored. */
void ua_free(struct ua *ua);

/* Start connecting. */
int ua_start(struct ua *ua);
/* Run the loop until loop_stop (ua_shutdown's end, a signal with
 * stop_on_signals). 0, or EINVAL when called re-entrantly. */
int ua_run(struct ua *ua);

/* Make the registration client (once; ua_reg gives it) with the
 * registrar from registration.server, the expiry from cfg.expires or
 * registration.expiry, retries paced by
 * websocket.connection_recovery_max_interval. 0, EINVAL for an unusable
 * registration.server, ENOMEM, ENOSPC. */
int ua_reg_open(struct ua *ua);
/* ua_reg_open, then register (reg.h: kept up, refreshed, again after
 * reconnections). After ua_start: ua_reg_open's and reg_register's
 * errors (ENOTCONN before ua_start). */
int ua_register(struct ua *ua);
/* The graceful end: our binding removed when we have one (at most
 * UA_UNREGISTER_WAIT_MS), the connection closed politely (at most
 * UA_CLOSE_WAIT_MS), then done_h. Runs on the next turn of the loop, so
 * it may be called from any handler; once only (EALREADY after). */
int ua_shutdown(struct ua *ua);
bool ua_stopping(const struct ua *ua);

/* One more or one fewer call: ua/incall while there is one, ua/idle after
 * the last (when connected). */
void ua_call_add(struct ua *ua);
void ua_call_remove(struct ua *ua);
enum ua_state ua_state(const struct ua *ua);
/* The topic name of a state ("ua/idle"...). */
const char *ua_state_topic(enum ua_state state);

struct loop *ua_loop(const struct ua *ua);
struct sip *ua_sip(const struct ua *ua);
struct conf *ua_conf(const struct ua *ua);
/* The registration client, NULL before ua_reg_open. */
struct reg *ua_reg(const struct ua *ua);
const char *ua_account(const struct ua *ua); /* user.uri */
const char *ua_server(const struct ua *ua);  /* the first server's URL */
size_t ua_server_count(const struct ua *ua);
bool ua_connected(const struct ua *ua);
bool ua_ever_connected(const struct ua *ua);
/* The transport's last failure (ws.h reasons: errno, WS_ETLS...), 0 since
 * it connected; the reason names the server ("URL: why"). */
int ua_transport_error(const struct ua *ua, const char **reason);

/* Copy a SIP message into a fresh buffer (free it) with the secrets of
 * Authorization-like headers masked, as the trace gives it. ENOMEM. */
int ua_trace_mask(const char *data, size_t len, char **maskedp,
		  size_t *masked_len);

#endif
