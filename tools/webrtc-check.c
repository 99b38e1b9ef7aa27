/* webrtc-check: can this host do WebRTC, and if not, why? Runs the check
 * suites (lib/check-*.c) against the configured STUN, TURN and WebSocket
 * servers and prints each check as a checklist, TAP, JSON or Nagios. */
#include "check-connect.h"
#include "check-device.h"
#include "check-network.h"
#include "check-server.h"
#include "check-system.h"
#include "checkfmt.h"
#include "cli.h"
#include "conf.h"
#include "exitcode.h"
#include "stack.h"
#include "version.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The suites, in the order a default run takes them. */
static const struct suite {
	const char *name;
	check_suite_run *run;
} suites[] = {
	{"system", check_system_run},
	{"microphone", check_microphone_run},
	{"camera", check_camera_run},
	{"speakers", check_speakers_run},
	{"network", check_network_run},
	{"connectivity", check_connectivity_run},
	{"server", check_server_run},
};
#define SUITE_COUNT (sizeof(suites) / sizeof(suites[0]))

enum {
	OPT_SUITE = CLI_OPT_FIRST_LONG,
	OPT_STUN,
	OPT_TURN,
	OPT_ICE_ADDRESS,
	OPT_TAP,
	OPT_JSON,
	OPT_NAGIOS,
	OPT_LIST_SUITES,
	OPT_AUDIO_DEVICE,
	OPT_VIDEO_DEVICE,
	OPT_OUTPUT_DEVICE,
	OPT_PLAY_TONE,
};

static const struct cli_option options[] = {
	{"suite", OPT_SUITE, CLI_REQUIRED_ARG, "NAME,...",
	 "run only these suites (see --list-suites)"},
	{"stun", OPT_STUN, CLI_REQUIRED_ARG, "URL",
	 "STUN server (repeatable; replaces stun_servers)"},
	{"turn", OPT_TURN, CLI_REQUIRED_ARG, "URL",
	 "TURN server with the SIP credentials (repeatable; replaces "
	 "turn_servers)"},
	{"ice-address", OPT_ICE_ADDRESS, CLI_REQUIRED_ARG, "ADDRESS",
	 "gather host candidates only on ADDRESS (repeatable; loopback needs "
	 "it)"},
	{"server", STACK_OPT_SERVER, CLI_REQUIRED_ARG, "URL",
	 "WebSocket server (repeatable; replaces websocket.servers)"},
	{"auth-user", STACK_OPT_AUTH_USER, CLI_REQUIRED_ARG, "NAME",
	 "user name for TURN servers without one (user.sip_auth_user)"},
	{"password-stdin", STACK_OPT_PASSWORD_STDIN, CLI_NO_ARG, NULL,
	 "read that user's password from the first line of standard input"},
	{"ca-file", STACK_OPT_CA_FILE, CLI_REQUIRED_ARG, "FILE",
	 "trust the CA certificates in FILE for wss:// (tls.ca_file)"},
	{"insecure", STACK_OPT_INSECURE, CLI_NO_ARG, NULL,
	 "do not verify the server's certificate (tls.insecure)"},
	{"origin", STACK_OPT_ORIGIN, CLI_REQUIRED_ARG, "URL",
	 "Origin header of the WebSocket handshake (websocket.origin)"},
	{"audio-device", OPT_AUDIO_DEVICE, CLI_REQUIRED_ARG, "NAME",
	 "microphone to capture from (default: the system's default)"},
	{"video-device", OPT_VIDEO_DEVICE, CLI_REQUIRED_ARG, "NAME",
	 "camera to capture from (default: the first)"},
	{"output-device", OPT_OUTPUT_DEVICE, CLI_REQUIRED_ARG, "NAME",
	 "audio output for --play-tone (default: the system's default)"},
	{"play-tone", OPT_PLAY_TONE, CLI_NO_ARG, NULL,
	 "speakers: play a 1 s 440 Hz tone"},
	{"timeout", STACK_OPT_TIMEOUT, CLI_REQUIRED_ARG, "SECONDS",
	 "give each network step SECONDS (default 5)"},
	{"tap", OPT_TAP, CLI_NO_ARG, NULL, "write a TAP stream"},
	{"json", OPT_JSON, CLI_NO_ARG, NULL,
	 "write one JSON document with every check"},
	{"nagios", OPT_NAGIOS, CLI_NO_ARG, NULL,
	 "write one Nagios status line with perfdata"},
	{"list-suites", OPT_LIST_SUITES, CLI_NO_ARG, NULL,
	 "print the name of every suite and exit"},
	CLI_OPTIONS_COMMON,
	{NULL, 0, CLI_NO_ARG, NULL, NULL},
};

static const struct cli_tool tool = {
	"webrtc-check",
	"[options] [--suite NAME,...] [--stun URL] [--turn URL] [-s URL]\n"
	"--list-suites",
	"Check that this host can do WebRTC, and say why not.",
	options,
};

/* What the command line chose. */
struct run {
	bool selected[SUITE_COUNT];
	bool any_selected;
	const char **stun, **turn, **ice;
	size_t nstun, nturn, nice;
	const char *audio_device, *video_device, *output_device;
	bool play_tone;
};

static void select_suites(struct run *r, const char *list)
{
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ","), i;

		for (i = 0; i < SUITE_COUNT; i++)
			if (strlen(suites[i].name) == n &&
			    strncmp(suites[i].name, p, n) == 0)
				break;
		if (i == SUITE_COUNT)
			cli_usage_error("--suite: no suite '%.*s' (see "
					"--list-suites)", (int)n, p);
		r->selected[i] = r->any_selected = true;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!r->any_selected)
		cli_usage_error("--suite: name at least one suite");
}

/* With --nagios, the exit status follows the Nagios plugin rules: 0 OK,
 * 1 WARNING, 2 CRITICAL, 3 UNKNOWN (as sip-register --check --nagios). */
enum nagios { NAGIOS_OK, NAGIOS_WARNING, NAGIOS_CRITICAL, NAGIOS_UNKNOWN };
static bool nagios_mode;

/* A problem found after the options were read: exit code, or UNKNOWN. */
static void CLI_NORETURN fail(int code, const char *fmt, ...)
	CLI_PRINTF(2, 3);
static void fail(int code, const char *fmt, ...)
{
	char text[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (nagios_mode) {
		printf("WEBRTC UNKNOWN - %s\n", text);
		exit(NAGIOS_UNKNOWN);
	}
	cli_die(code, "%s", text);
}

static void set_key(struct conf *conf, const char *key, const char *value,
		    const char *option)
{
	char why[256];
	int err = conf_set(conf, key, value, option, why, sizeof(why));

	if (err == ENOMEM)
		fail(SIPWS_EXIT_SOFTWARE, "out of memory");
	if (err)
		fail(SIPWS_EXIT_CONFIG, "%s '%s': %s", option, value, why);
}

/* The configuration with the command line's servers on top. */
static struct conf *load_conf(const struct cli *cli,
			      const struct stack_options *o, const struct run *r)
{
	struct conf *conf;
	char reason[512];
	size_t i;
	int code;

	code = stack_conf_load(cli, o, &conf, reason, sizeof(reason));
	if (code)
		fail(code, "%s", reason);
	for (i = 0; i < r->nstun; i++)
		set_key(conf, "stun_servers", r->stun[i], "--stun");
	for (i = 0; i < r->nturn; i++)
		set_key(conf, "turn_servers", r->turn[i], "--turn");
	if (conf_check(conf, reason, sizeof(reason)))
		fail(SIPWS_EXIT_CONFIG, "%s", reason);
	return conf;
}

int main(int argc, char **argv)
{
	enum checkfmt_kind kind = CHECKFMT_LIST;
	struct stack_options o;
	struct check_config cfg;
	struct check_sink sink;
	struct checkfmt fmt;
	struct run r = {0};
	struct conf *conf;
	struct cli cli;
	const char *arg;
	size_t i;
	int c, err, code = SIPWS_EXIT_OK;
	bool list_suites = false;

	stack_options_init(&o, argc);
	r.stun = calloc((size_t)argc + 1, sizeof(*r.stun));
	r.turn = calloc((size_t)argc + 1, sizeof(*r.turn));
	r.ice = calloc((size_t)argc + 1, sizeof(*r.ice));
	if (!r.stun || !r.turn || !r.ice)
		cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
	cli_init(&cli, &tool, argc, argv);
	while ((c = cli_next(&cli, argc, argv, &arg)) != -1) {
		switch (c) {
		case OPT_AUDIO_DEVICE:
			r.audio_device = arg;
			break;
		case OPT_ICE_ADDRESS:
			r.ice[r.nice++] = arg;
			break;
		case OPT_JSON:
			kind = CHECKFMT_JSON;
			break;
		case OPT_LIST_SUITES:
			list_suites = true;
			break;
		case OPT_NAGIOS:
			kind = CHECKFMT_NAGIOS;
			break;
		case OPT_OUTPUT_DEVICE:
			r.output_device = arg;
			break;
		case OPT_PLAY_TONE:
			r.play_tone = true;
			break;
		case OPT_STUN:
			r.stun[r.nstun++] = arg;
			break;
		case OPT_SUITE:
			select_suites(&r, arg);
			break;
		case OPT_TAP:
			kind = CHECKFMT_TAP;
			break;
		case OPT_TURN:
			r.turn[r.nturn++] = arg;
			break;
		case OPT_VIDEO_DEVICE:
			r.video_device = arg;
			break;
		default:
			if (!stack_option(&o, c, arg))
				cli_usage_error("unexpected option");
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0)
		cli_usage_error("unexpected operand '%s'", argv[0]);
	if (list_suites) {
		for (i = 0; i < SUITE_COUNT; i++)
			printf("%s\n", suites[i].name);
		goto out;
	}

	nagios_mode = kind == CHECKFMT_NAGIOS;
	conf = load_conf(&cli, &o, &r);
	if (check_config_load(&cfg, conf))
		fail(SIPWS_EXIT_SOFTWARE, "out of memory");
	cfg.timeout_ms = (unsigned)o.timeout_ms;
	cfg.audio_device = r.audio_device;
	cfg.video_device = r.video_device;
	cfg.output_device = r.output_device;
	cfg.play_tone = r.play_tone;
	cfg.ice_addresses = r.ice;
	cfg.ice_address_count = r.nice;

	checkfmt_init(&fmt, kind, stdout, isatty(STDOUT_FILENO));
	sink = checkfmt_sink(&fmt);
	for (i = 0; i < SUITE_COUNT; i++) {
		if (r.any_selected && !r.selected[i])
			continue;
		err = suites[i].run(&cfg, &sink);
		if (err) {
			cli_error("%s suite: %s", suites[i].name, strerror(err));
			code = SIPWS_EXIT_SOFTWARE;
		}
	}
	checkfmt_finish(&fmt, SIPWS_VERSION);
	if (!code && fmt.tally[CHECK_FAIL])
		code = SIPWS_EXIT_FAILED;
	if (nagios_mode)
		code = code == SIPWS_EXIT_SOFTWARE ? NAGIOS_UNKNOWN
		       : fmt.tally[CHECK_FAIL]    ? NAGIOS_CRITICAL
		       : fmt.tally[CHECK_WARN]    ? NAGIOS_WARNING
						  : NAGIOS_OK;
	checkfmt_free(&fmt);
	check_config_free(&cfg);
	conf_free(conf);
out:
	free(r.stun);
	free(r.turn);
	free(r.ice);
	stack_options_free(&o);
	cli_free(&cli);
	if (fflush(stdout) != 0 || ferror(stdout))
		cli_die(SIPWS_EXIT_IOERR, "standard output: %s", strerror(errno));
	return code;
}
