/* Shared command-line handling of the sipws tools: one option table per
 * tool drives getopt_long, --help and --version; diagnostics go through
 * cli_warn/cli_error so every message reads "prog: text". */
#ifndef SIPWS_CLI_H
#define SIPWS_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "span.h"

#if defined(__GNUC__)
#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define CLI_NORETURN __attribute__((noreturn))
#else
#define CLI_PRINTF(f, a)
#define CLI_NORETURN
#endif

enum cli_arg { CLI_NO_ARG = 0, CLI_REQUIRED_ARG = 1, CLI_OPTIONAL_ARG = 2 };

/* One option, described once: getopt, --help and (through tests) the man
 * page and completions all follow this description. */
struct cli_option {
	const char *long_name;
	int id;             /* the short letter, or a value >= 256 */
	enum cli_arg arg;
	const char *arg_name; /* e.g. "FILE"; NULL without an argument */
	const char *help;
};

/* Ids of the long-only options shared by every tool. */
enum {
	CLI_OPT_HELP = 'h',
	CLI_OPT_VERSION = 'V',
	CLI_OPT_CONFIG = 'c',
	CLI_OPT_PROFILE = 'p',
	CLI_OPT_VERBOSE = 'v',
	CLI_OPT_QUIET = 'q',
	CLI_OPT_SET = 'o',
	CLI_OPT_FIRST_LONG = 256,
};

/* The options every tool takes, spliced into a tool's table. */
#define CLI_OPTIONS_COMMON                                                     \
	{"config", CLI_OPT_CONFIG, CLI_REQUIRED_ARG, "FILE",                   \
	 "read FILE instead of the system and user config files"},            \
	{"profile", CLI_OPT_PROFILE, CLI_REQUIRED_ARG, "NAME",                 \
	 "apply the named profile on top of the config files"},               \
	{"set", CLI_OPT_SET, CLI_REQUIRED_ARG, "KEY=VALUE",                    \
	 "set a config key for this run (not for passwords)"},                \
	{"verbose", CLI_OPT_VERBOSE, CLI_NO_ARG, NULL,                         \
	 "say more on stderr; twice adds the SIP trace"},                     \
	{"quiet", CLI_OPT_QUIET, CLI_NO_ARG, NULL,                             \
	 "say nothing on stderr but errors"},                                 \
	{"help", CLI_OPT_HELP, CLI_NO_ARG, NULL, "show this help and exit"},   \
	{"version", CLI_OPT_VERSION, CLI_NO_ARG, NULL,                         \
	 "show the version and exit"}

struct cli_tool {
	const char *name;
	const char *usage;   /* synopsis lines after the name, '\n'-separated */
	const char *summary; /* one line saying what the tool does */
	const struct cli_option *options; /* terminated by a NULL long_name */
};

/* State of one parse: the generated getopt tables plus shared settings. */
struct cli {
	const struct cli_tool *tool;
	int verbosity; /* 0 quiet, 1 normal, 2 -v, 3 -vv */
	const char *config_file;
	const char *profile;
	/* --set KEY=VALUE pairs in order, for the config's command-line layer */
	const char **sets;
	int nsets;
	/* private */
	void *longopts;
	char *optstring;
};

void cli_init(struct cli *cli, const struct cli_tool *tool, int argc,
	      char **argv);
/* Next option like getopt_long: its id, -1 at the end. The common options
 * (help, version, config, profile, set, verbose, quiet) are handled here
 * and not returned; an unknown option prints usage and exits 64. */
int cli_next(struct cli *cli, int argc, char **argv, const char **optarg_out);
void cli_free(struct cli *cli);

void cli_help(const struct cli_tool *tool, FILE *out);
CLI_NORETURN void cli_usage_error(const char *fmt, ...) CLI_PRINTF(1, 2);

/* Text from the network (a reason phrase, a display name, a URI, a body)
 * for standard output, escaped by text_escape (text.h): control bytes and
 * invalid UTF-8 as \xHH, \n \r \t \\ (and \" with TEXT_ESCAPE_QUOTE).
 * The result stays valid until the fourth call after; "(out of memory)"
 * when no buffer can be had. cli_safe takes a C string (NULL: ""). */
const char *cli_text(struct span s, unsigned flags);
const char *cli_safe(const char *s);

/* The time now for an event line: UTC as "2026-11-26T08:30:00.123Z"
 * (JSON), or local as "08:30:00.123" (text, a human reads it). */
void cli_timestamp(char *buf, size_t size, bool utc);

/* Diagnostics: "prog: message\n" on stderr, honouring -q / -v. The whole
 * message is escaped as cli_text does: callers pass network text as is. */
void cli_set_verbosity(int verbosity);
/* fn is called before each diagnostic is written (a live status line on
 * the terminal clears itself); NULL: none. */
void cli_set_before_say(void (*fn)(void));
int cli_verbosity(void);
void cli_warn(const char *fmt, ...) CLI_PRINTF(1, 2);
void cli_error(const char *fmt, ...) CLI_PRINTF(1, 2);
void cli_info(const char *fmt, ...) CLI_PRINTF(1, 2);  /* shown with -v */
void cli_debug(const char *fmt, ...) CLI_PRINTF(1, 2); /* shown with -vv */
/* Print an error and exit with code. */
CLI_NORETURN void cli_die(int code, const char *fmt, ...) CLI_PRINTF(2, 3);

#endif
