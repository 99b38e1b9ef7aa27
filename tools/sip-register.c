/* sip-register: register the account with its registrar over WebSocket and
 * print the bindings; stay registered, query, unregister, or check (also
 * as a Nagios plugin). */
#include "cli.h"
#include "exitcode.h"
#include "json.h"
#include "reg.h"
#include "stack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	OPT_EXPIRES = CLI_OPT_FIRST_LONG,
	OPT_STAY,
	OPT_QUERY,
	OPT_UNREGISTER,
	OPT_UNREGISTER_ALL,
	OPT_CHECK,
	OPT_NAGIOS,
	OPT_WARNING,
	OPT_CRITICAL,
	OPT_JSON,
};

static const struct cli_option options[] = {
	{"expires", OPT_EXPIRES, CLI_REQUIRED_ARG, "SECONDS",
	 "ask for SECONDS instead of registration.expiry"},
	{"stay", OPT_STAY, CLI_NO_ARG, NULL,
	 "stay registered until SIGINT/SIGTERM, then unregister"},
	{"query", OPT_QUERY, CLI_NO_ARG, NULL,
	 "only list the bindings"},
	{"unregister", OPT_UNREGISTER, CLI_NO_ARG, NULL,
	 "remove our binding"},
	{"unregister-all", OPT_UNREGISTER_ALL, CLI_NO_ARG, NULL,
	 "remove every binding of the account (Contact: *)"},
	{"check", OPT_CHECK, CLI_NO_ARG, NULL,
	 "register, time it, unregister, print one status line"},
	{"nagios", OPT_NAGIOS, CLI_NO_ARG, NULL,
	 "with --check: Nagios plugin output and exit status"},
	{"warning", OPT_WARNING, CLI_REQUIRED_ARG, "MS",
	 "with --check: slower than MS milliseconds is a warning"},
	{"critical", OPT_CRITICAL, CLI_REQUIRED_ARG, "MS",
	 "with --check: slower than MS milliseconds is critical"},
	{"json", OPT_JSON, CLI_NO_ARG, NULL,
	 "print JSON objects, one per line"},
	STACK_OPTIONS_COMMON,
	{NULL, 0, CLI_NO_ARG, NULL, NULL},
};

static const struct cli_tool tool = {
	"sip-register",
	"[options] [--expires SECONDS] [--stay]\n"
	"[options] --query\n"
	"[options] --unregister\n"
	"[options] --unregister-all\n"
	"[options] --check [--nagios] [--warning MS] [--critical MS]",
	"Register with a SIP registrar over WebSocket; list or remove bindings.",
	options,
};

enum mode { MODE_REGISTER, MODE_STAY, MODE_QUERY, MODE_UNREGISTER,
	    MODE_UNREGISTER_ALL, MODE_CHECK };

/* Nagios plugin states (the exit status with --nagios). */
enum nagios { NAGIOS_OK, NAGIOS_WARNING, NAGIOS_CRITICAL, NAGIOS_UNKNOWN };
static const char *const nagios_name[] = {"OK", "WARNING", "CRITICAL",
					  "UNKNOWN"};

struct run {
	struct stack stack;
	struct reg *reg;
	enum mode mode;
	bool json;
	bool registered;       /* a REGISTERED event came */
	bool printed;          /* the bindings were printed */
	double register_ms;    /* --check: start to 2xx */
	/* the last failure, for messages */
	bool failed;
	int err;
	unsigned status;
	char phrase[128];
	char reason[256];
};

static bool nagios_mode;

/* A problem found after the options were read: with --nagios an UNKNOWN
 * line and status 3, else the usual usage error. */
CLI_NORETURN static void problem(int code, const char *msg)
{
	if (nagios_mode) {
		printf("UNKNOWN - %s\n", cli_safe(msg));
		exit(NAGIOS_UNKNOWN);
	}
	if (code == SIPWS_EXIT_USAGE)
		cli_usage_error("%s", msg);
	cli_die(code, "%s", msg);
}

static double parse_ms(const char *opt, const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= 0) || v > 86400000) {
		char msg[128];

		/* a long argument is cut, so that the reason shows */
		snprintf(msg, sizeof(msg), "%s '%.64s%s': want milliseconds",
			 opt, arg, strlen(arg) > 64 ? "..." : "");
		problem(SIPWS_EXIT_USAGE, msg);
	}
	return v;
}

static void print_bindings(struct run *run, const struct reg_event *ev)
{
	struct json j;
	size_t i;

	json_init(&j);
	for (i = 0; i < ev->nbindings; i++) {
		const struct reg_binding *b = &ev->bindings[i];

		if (run->json) {
			json_reset(&j);
			json_object_begin(&j);
			json_member_str(&j, "contact", b->uri);
			json_member_int(&j, "expires", b->expires);
			json_member_bool(&j, "ours", b->ours);
			json_object_end(&j);
			if (json_text(&j) == NULL)
				cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
			printf("%s\n", json_text(&j));
		} else {
			printf("%s expires=%lu%s\n", cli_safe(b->uri),
			       (unsigned long)b->expires, b->ours ? " ours" : "");
		}
		fflush(stdout);
	}
	if (ev->truncated)
		cli_warn("more bindings than the %d shown", REG_MAX_BINDINGS);
	json_free(&j);
	run->printed = true;
}

static void remember_failure(struct run *run, const struct reg_event *ev)
{
	run->failed = true;
	run->err = ev->err;
	run->status = ev->status;
	snprintf(run->phrase, sizeof(run->phrase), "%s", ev->reason);
	snprintf(run->reason, sizeof(run->reason), "%s",
		 stack_describe(&run->stack, ev->err, ev->status, ev->reason));
}

/* Why the last request failed, in words. A request fails when the
 * connection goes, before the transport tells why: ask again now. */
static const char *failure(struct run *run)
{
	if (run->failed)
		snprintf(run->reason, sizeof(run->reason), "%s",
			 stack_describe(&run->stack, run->err, run->status,
					run->phrase));
	return run->reason;
}

static void on_reg(const struct reg_event *ev, void *arg)
{
	struct run *run = arg;
	struct stack *s = &run->stack;

	switch (ev->type) {
	case REG_REGISTERED:
		if (ev->refresh) {
			cli_info("registration refreshed: %lu s",
				 (unsigned long)ev->expires);
			return;
		}
		cli_info("registered for %lu s in %.1f ms",
			 (unsigned long)ev->expires,
			 (double)ev->latency_us / 1000);
		run->registered = true;
		if (run->mode == MODE_CHECK) {
			run->register_ms = stack_elapsed_ms(s);
		} else if (!run->printed) {
			print_bindings(run, ev);
		}
		if (run->mode != MODE_STAY)
			stack_finish(s, SIPWS_EXIT_OK);
		return;
	case REG_FAILED:
		remember_failure(run, ev);
		if (run->mode == MODE_STAY && run->registered) {
			/* reg.c tries again by itself */
			if (ev->retry_ms)
				cli_warn("refreshing the registration failed: "
					 "%s; trying again in %.1f s",
					 run->reason,
					 (double)ev->retry_ms / 1000);
			else
				cli_warn("refreshing the registration failed: %s",
					 run->reason);
			return;
		}
		stack_finish(s, stack_code_response(s, ev->err, ev->status));
		return;
	case REG_UNREGISTERED:
		if (ev->err == ETIMEDOUT) {
			/* No refresh succeeded in time; reg.c goes on
			 * unless the credentials were refused. */
			cli_warn("registration expired before a refresh "
				 "succeeded");
			return;
		}
		if (ev->err) {
			/* The transport went; reg.c registers again once it
			 * is back. */
			cli_warn("registration lost (%s); registering again "
				 "when the connection is back",
				 stack_describe(s, ev->err, ev->status,
						ev->reason));
			return;
		}
		if (run->mode == MODE_UNREGISTER ||
		    run->mode == MODE_UNREGISTER_ALL)
			print_bindings(run, ev);
		stack_finish(s, SIPWS_EXIT_OK);
		return;
	case REG_QUERIED:
		print_bindings(run, ev);
		stack_finish(s, SIPWS_EXIT_OK);
		return;
	}
}

static int start(struct run *run, int (*op)(struct reg *))
{
	int err = op(run->reg);

	if (err) {
		cli_error("cannot send the REGISTER: %s", strerror(err));
		return SIPWS_EXIT_SOFTWARE;
	}
	return stack_run(&run->stack);
}

/* After a signal in --stay: remove our binding if we have one. */
static int stay_end(struct run *run)
{
	int code;

	cli_info("signal %d: unregistering", loop_signal(run->stack.loop));
	if (!reg_is_registered(run->reg))
		return SIPWS_EXIT_OK;
	code = start(run, reg_unregister);
	if (code != SIPWS_EXIT_OK)
		cli_error("unregistering failed: %s",
			  run->failed ? failure(run) : exitcode_describe(code));
	return code;
}

static void print_check(struct run *run, enum nagios state, const char *text,
			bool perf, double warning, double critical)
{
	char w[32] = "", c[32] = "";

	if (run->json) {
		struct json j;

		json_init(&j);
		json_object_begin(&j);
		json_member_str(&j, "status", nagios_name[state]);
		json_member_str(&j, "aor", run->stack.account);
		json_key(&j, "time_us");
		if (run->registered)
			json_int(&j, (long long)(run->register_ms * 1000));
		else
			json_null(&j);
		if (!run->registered) {
			json_key(&j, "code");
			if (run->status)
				json_int(&j, run->status);
			else
				json_null(&j);
			json_member_str(&j, "reason", run->reason);
		}
		json_object_end(&j);
		printf("%s\n", json_text(&j) ? json_text(&j) : "{}");
		json_free(&j);
		return;
	}
	printf("%s - %s", nagios_name[state], cli_safe(text));
	if (perf) {
		if (warning >= 0)
			snprintf(w, sizeof(w), "%.6f", warning / 1000);
		if (critical >= 0)
			snprintf(c, sizeof(c), "%.6f", critical / 1000);
		printf(" | time=%.6fs;%s;%s;0", run->register_ms / 1000, w, c);
	}
	putchar('\n');
}

static int check(struct run *run, double warning, double critical)
{
	struct stack *s = &run->stack;
	enum nagios state = NAGIOS_OK;
	char *text = NULL;
	int code, ucode, n;

	code = start(run, reg_register);
	if (!run->registered) {
		failure(run);
		if (s->timed_out)
			snprintf(run->reason, sizeof(run->reason),
				 "no answer within %.1f s",
				 (double)s->timeout_ms / 1000);
		else if (!run->reason[0])
			snprintf(run->reason, sizeof(run->reason), "%s",
				 s->transport_err ? s->transport_reason
						  : exitcode_describe(code));
		/* the account may be as long as a URI: no fixed buffer */
		if (asprintf(&text, "%s: %s", s->account, run->reason) < 0)
			cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
		print_check(run, NAGIOS_CRITICAL, text, false, warning, critical);
		free(text);
		return nagios_mode ? NAGIOS_CRITICAL : code;
	}
	ucode = start(run, reg_unregister);
	if (ucode != SIPWS_EXIT_OK)
		cli_warn("removing the binding again failed: %s",
			 run->failed ? failure(run) : exitcode_describe(ucode));

	if (critical >= 0 && run->register_ms > critical)
		state = NAGIOS_CRITICAL;
	else if (warning >= 0 && run->register_ms > warning)
		state = NAGIOS_WARNING;
	if (state != NAGIOS_OK)
		n = asprintf(&text, "registered %s in %.1f ms (more than %g ms)",
			     s->account, run->register_ms,
			     state == NAGIOS_CRITICAL ? critical : warning);
	else
		n = asprintf(&text, "registered %s in %.1f ms", s->account,
			     run->register_ms);
	if (n < 0)
		cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
	print_check(run, state, text, nagios_mode, warning, critical);
	free(text);
	if (nagios_mode)
		return state;
	return state == NAGIOS_OK ? SIPWS_EXIT_OK : EXIT_FAILURE;
}

int main(int argc, char **argv)
{
	static struct run run;
	struct stack_options so;
	struct stack_setup setup = {0};
	struct conf *conf = NULL;
	struct cli cli;
	const char *arg, *expires_arg = NULL;
	const char *warning_arg = NULL, *critical_arg = NULL;
	double warning = -1, critical = -1;
	bool nagios = false;
	long long expiry = 0;
	int c, code, nmodes = 0;
	char reason[512];

	cli_init(&cli, &tool, argc, argv);
	stack_options_init(&so, argc);
	run.mode = MODE_REGISTER;
	while ((c = cli_next(&cli, argc, argv, &arg)) != -1) {
		if (stack_option(&so, c, arg))
			continue;
		switch (c) {
		case OPT_CHECK:
			run.mode = MODE_CHECK;
			nmodes++;
			break;
		case OPT_CRITICAL:
			critical_arg = arg;
			break;
		case OPT_EXPIRES:
			expires_arg = arg;
			break;
		case OPT_JSON:
			run.json = true;
			break;
		case OPT_NAGIOS:
			nagios = true;
			break;
		case OPT_QUERY:
			run.mode = MODE_QUERY;
			nmodes++;
			break;
		case OPT_STAY:
			run.mode = MODE_STAY;
			nmodes++;
			break;
		case OPT_UNREGISTER:
			run.mode = MODE_UNREGISTER;
			nmodes++;
			break;
		case OPT_UNREGISTER_ALL:
			run.mode = MODE_UNREGISTER_ALL;
			nmodes++;
			break;
		case OPT_WARNING:
			warning_arg = arg;
			break;
		default:
			cli_usage_error("unexpected option");
		}
	}
	argc -= optind;
	argv += optind;

	/* Nagios rules only hold for a check. */
	nagios_mode = nagios && run.mode == MODE_CHECK && nmodes == 1;
	if (argc > 0)
		problem(SIPWS_EXIT_USAGE, "no operands are taken");
	if (nmodes > 1)
		problem(SIPWS_EXIT_USAGE, "--stay, --query, --unregister, "
				    "--unregister-all and --check go alone");
	if (warning_arg)
		warning = parse_ms("--warning", warning_arg);
	if (critical_arg)
		critical = parse_ms("--critical", critical_arg);
	if (run.mode != MODE_CHECK && (nagios || warning >= 0 ||
				       critical >= 0))
		problem(SIPWS_EXIT_USAGE,
			"--nagios, --warning and --critical go with --check");
	if (nagios_mode && run.json)
		problem(SIPWS_EXIT_USAGE, "--nagios and --json do not go together");
	if (expires_arg && run.mode != MODE_REGISTER && run.mode != MODE_STAY &&
	    run.mode != MODE_CHECK)
		problem(SIPWS_EXIT_USAGE, "--expires goes with registering");
	if (expires_arg) {
		char *end;

		errno = 0;
		expiry = strtoll(expires_arg, &end, 10);
		if (errno || end == expires_arg || *end || expiry < 1 ||
		    expiry > 2147483647)
			problem(SIPWS_EXIT_USAGE, "--expires: want seconds, 1 to "
					    "2147483647");
	}
	if (run.mode == MODE_CHECK && so.timeout_ms == 0)
		so.timeout_ms = 10000;

	code = stack_conf_load(&cli, &so, &conf, reason, sizeof(reason));
	if (code)
		problem(code, reason);

	setup.ua.instance_id = true;
	setup.ua.reconnect = run.mode == MODE_STAY;
	setup.ua.expires = expires_arg ? (uint32_t)expiry : 0;
	setup.ua.reg_h = on_reg;
	setup.ua.reg_arg = &run;
	code = stack_open(&run.stack, conf, &so, &setup, &cli, reason,
			  sizeof(reason));
	if (code)
		problem(code, reason);
	code = ua_reg_open(run.stack.ua);
	if (code) {
		snprintf(reason, sizeof(reason), "registration.server: %s",
			 code == EINVAL ? "not usable" : strerror(code));
		problem(code == EINVAL ? SIPWS_EXIT_CONFIG : SIPWS_EXIT_SOFTWARE, reason);
	}
	run.reg = ua_reg(run.stack.ua);

	switch (run.mode) {
	case MODE_REGISTER:
		code = start(&run, reg_register);
		break;
	case MODE_STAY:
		code = start(&run, reg_register);
		if (code == SIPWS_EXIT_OK && loop_signal(run.stack.loop))
			code = stay_end(&run);
		break;
	case MODE_QUERY:
		code = start(&run, reg_query);
		break;
	case MODE_UNREGISTER:
		code = start(&run, reg_unregister);
		break;
	case MODE_UNREGISTER_ALL:
		code = start(&run, reg_unregister_all);
		break;
	case MODE_CHECK:
		code = check(&run, warning, critical);
		break;
	}
	if (run.mode != MODE_CHECK && code != SIPWS_EXIT_OK) {
		if (run.stack.timed_out)
			cli_error("%s: no answer within %.1f s",
				  run.stack.account,
				  (double)run.stack.timeout_ms / 1000);
		else if (run.failed)
			cli_error("%s: %s", run.stack.account, failure(&run));
		else if (run.stack.transport_err)
			cli_error("%s", run.stack.transport_reason);
		else
			cli_error("%s", exitcode_describe(code));
	}
	stack_close(&run.stack);
	stack_options_free(&so);
	cli_free(&cli);
	if (fflush(stdout) != 0 || ferror(stdout))
		cli_die(nagios_mode ? NAGIOS_UNKNOWN : SIPWS_EXIT_IOERR,
			"standard output: %s", strerror(errno));
	return code;
}
