/* The SIP stack of the signalling tools, built from the configuration: the
 * options they share (-s -u --auth-user --password-stdin --ca-file
 * --insecure --origin --timeout), the loop, the WebSocket transport and the
 * SIP core, the overall deadline, the -v/-vv logs and SIP trace, and the
 * mapping of outcomes to the exit-code table. */
#ifndef SIPWS_STACK_H
#define SIPWS_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "conf.h"
#include "loop.h"
#include "sip.h"
#include "ua.h"

/* Ids of the shared options; a tool's own long options start at
 * CLI_OPT_FIRST_LONG and stay below STACK_OPT_FIRST. */
enum {
	STACK_OPT_SERVER = 's',
	STACK_OPT_USER = 'u',
	STACK_OPT_FIRST = 0x1000,
	STACK_OPT_AUTH_USER = STACK_OPT_FIRST,
	STACK_OPT_PASSWORD_STDIN,
	STACK_OPT_CA_FILE,
	STACK_OPT_INSECURE,
	STACK_OPT_ORIGIN,
	STACK_OPT_TIMEOUT,
};

/* The shared options, then the common ones of every tool, for splicing
 * into a tool's table (before the terminating entry). */
#define STACK_OPTIONS_COMMON                                                   \
	{"server", STACK_OPT_SERVER, CLI_REQUIRED_ARG, "URL",                  \
	 "WebSocket server (repeatable; replaces websocket.servers)"},        \
	{"user", STACK_OPT_USER, CLI_REQUIRED_ARG, "URI",                      \
	 "account address of record (user.uri)"},                             \
	{"auth-user", STACK_OPT_AUTH_USER, CLI_REQUIRED_ARG, "NAME",           \
	 "digest user name (user.sip_auth_user)"},                            \
	{"password-stdin", STACK_OPT_PASSWORD_STDIN, CLI_NO_ARG, NULL,         \
	 "read the password from the first line of standard input"},          \
	{"ca-file", STACK_OPT_CA_FILE, CLI_REQUIRED_ARG, "FILE",               \
	 "trust the CA certificates in FILE for wss:// (tls.ca_file)"},       \
	{"insecure", STACK_OPT_INSECURE, CLI_NO_ARG, NULL,                     \
	 "do not verify the server's certificate (tls.insecure)"},            \
	{"origin", STACK_OPT_ORIGIN, CLI_REQUIRED_ARG, "URL",                  \
	 "Origin header of the WebSocket handshake (websocket.origin)"},      \
	{"timeout", STACK_OPT_TIMEOUT, CLI_REQUIRED_ARG, "SECONDS",            \
	 "give up after SECONDS overall (exit 75)"},                          \
	CLI_OPTIONS_COMMON

/* What the shared options said; pointers into argv. */
struct stack_options {
	const char **servers;
	size_t nservers;
	const char *user;
	const char *auth_user;
	const char *ca_file;
	const char *origin;
	bool password_stdin;
	bool insecure;
	uint64_t timeout_ms; /* 0: no overall deadline */
};

/* Prepare o for up to argc servers; exits 70 when memory runs out. */
void stack_options_init(struct stack_options *o, int argc);
void stack_options_free(struct stack_options *o);
/* Take option id with its argument if it is a shared one: true when it
 * was (a bad value is a usage error, exit 64), false otherwise. */
bool stack_option(struct stack_options *o, int id, const char *arg);

/* Parse SECONDS (decimals allowed, above 0, at most a day) into ms.
 * EINVAL when it is not such a number. */
int stack_parse_seconds(const char *text, uint64_t *ms);

/* What a tool needs from the stack: the UA's settings (ua.h; reconnect
 * also makes SIGINT/SIGTERM stop stack_run). The loop's log, the trace
 * (-vv), warnings and the profile are filled in by stack_open; the
 * transport handler runs after the stack took note of the event. */
struct stack_setup {
	struct ua_config ua;
};

struct stack {
	struct ua *ua;
	struct loop *loop;         /* ua_loop(ua) */
	struct sip *sip;           /* ua_sip(ua) */
	const char *account;       /* user.uri */
	uint64_t start_us;         /* when stack_open began (loop_now_us) */
	/* The transport's last failure (ws.h reasons), 0 while none. */
	int transport_err;
	const char *transport_reason;
	bool timed_out;            /* the --timeout deadline passed */
	uint64_t timeout_ms;
	/* private */
	int exit_code;
	bool finished;
	struct loop_timer deadline;
	sip_transport_h *transport_h;
	void *transport_arg;
};

/* Load the configuration with the shared options on top (origins name the
 * options). Returns 0 with *confp set, or an exit code (78 for a
 * configuration error, --password-stdin without a password included; 74
 * when standard input cannot be read; 70 without memory) with the reason
 * in reason[]. Warnings are printed. */
int stack_conf_load(const struct cli *cli, const struct stack_options *o,
		    struct conf **confp, char *reason, size_t reason_size);

/* Build the UA from conf (taken over: freed by stack_close, also on
 * error) and start connecting. Returns 0, or an exit code with the reason
 * (78: no user.uri, no server, an unreadable CA file; 65: a value too
 * long; 70 otherwise). With -vv the SIP trace goes to stderr, the digest
 * response and cnonce masked. */
int stack_open(struct stack *s, struct conf *conf, const struct stack_options *o,
	       const struct stack_setup *setup, const struct cli *cli,
	       char *reason, size_t reason_size);

/* Run the loop until stack_finish, the --timeout deadline (exit 75, with
 * s->timed_out set) or, with setup.reconnect, SIGINT/SIGTERM
 * (loop_signal tells which; the code is then 0 unless finished before).
 * Returns the exit code; may be called again to run more (e.g. to
 * unregister after a signal), each run ending at the next stack_finish. A
 * code of 69 (server unavailable) becomes the transport's own code when
 * its last failure says more (77 for TLS, 75 for a connect timeout). */
int stack_run(struct stack *s);
/* The higher of code and worst, with 69 made the transport's own code
 * when its last failure says more (77, 75). */
int stack_code_final(const struct stack *s, int code, int worst);
/* End the current stack_run with code (the first code given wins until
 * the run returns). */
void stack_finish(struct stack *s, int code);
/* Free everything: pending requests are dropped, the connection closed. */
void stack_close(struct stack *s);

/* Milliseconds since stack_open began. */
double stack_elapsed_ms(const struct stack *s);

/* Exit codes of outcomes. A ws.h reason maps through
 * exitcode_from_transport() (exitcode.h). A request's outcome
 * (sip_response / reg_event / im_result err and status): the SIP status through the table; EKEYREJECTED and EPERM
 * (credentials refused or missing) 6; ETIMEDOUT 75; the transport's
 * errors as above (ECONNRESET as the transport's last failure); EPROTO
 * with a response 76. */
int stack_code_response(const struct stack *s, int err, unsigned status);
/* The SIP status and reason, or the error in words (the transport's own
 * reason once it has given one), for messages and result lines. The text
 * is in a static buffer, valid until the next call. */
const char *stack_describe(const struct stack *s, int err, unsigned status,
			   const char *reason);

#endif
