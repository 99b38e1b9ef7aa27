/* Shared option parsing and diagnostics for the sipws tools; see cli.h. */
#include "cli.h"

#include "exitcode.h"
#include "text.h"
#include "version.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *cli_progname = "sipws";
static int cli_level = 1;
static void (*cli_before_say)(void);

void cli_set_before_say(void (*fn)(void))
{
	cli_before_say = fn;
}

/* Every diagnostic goes through text_escape: messages quote what the
 * network sent (reason phrases, URIs, the -vv trace), and its bytes must
 * not reach a terminal raw. */
static void cli_vsay(const char *fmt, va_list args)
{
	char stack_buf[512], *text = stack_buf;
	va_list copy;
	size_t len;
	int n;

	va_copy(copy, args);
	n = vsnprintf(stack_buf, sizeof(stack_buf), fmt, copy);
	va_end(copy);
	len = n > 0 ? (size_t)n : 0;
	if (len >= sizeof(stack_buf)) {
		text = malloc(len + 1);
		if (text != NULL) {
			vsnprintf(text, len + 1, fmt, args);
		} else {
			text = stack_buf; /* the start is better than nothing */
			len = sizeof(stack_buf) - 1;
		}
	}
	if (cli_before_say != NULL)
		cli_before_say();
	fprintf(stderr, "%s: %s\n", cli_progname,
		cli_text(span_make(text, len), 0));
	if (text != stack_buf)
		free(text);
}

/* A few buffers in turn, so that one printf may show several texts. */
#define CLI_TEXT_SLOTS 4

const char *cli_text(struct span s, unsigned flags)
{
	static char *slot[CLI_TEXT_SLOTS];
	static size_t cap[CLI_TEXT_SLOTS];
	static unsigned next;
	unsigned i = next++ % CLI_TEXT_SLOTS;
	size_t n = text_escape(NULL, 0, s, flags);

	if (n + 1 > cap[i]) {
		char *grown = realloc(slot[i], n + 1);

		if (grown == NULL)
			return "(out of memory)";
		slot[i] = grown;
		cap[i] = n + 1;
	}
	text_escape(slot[i], cap[i], s, flags);
	return slot[i];
}

const char *cli_safe(const char *s)
{
	return cli_text(span_from_str(s ? s : ""), 0);
}

void cli_timestamp(char *buf, size_t size, bool utc)
{
	struct timespec now;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &now);
	if (utc)
		gmtime_r(&now.tv_sec, &tm);
	else
		localtime_r(&now.tv_sec, &tm);
	n = strftime(buf, size, utc ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S", &tm);
	snprintf(buf + n, size - n, utc ? ".%03ldZ" : ".%03ld",
		 now.tv_nsec / 1000000L);
}

void cli_set_verbosity(int verbosity)
{
	cli_level = verbosity;
}

int cli_verbosity(void)
{
	return cli_level;
}

void cli_warn(const char *fmt, ...)
{
	va_list args;

	if (cli_level < 1)
		return;
	va_start(args, fmt);
	cli_vsay(fmt, args);
	va_end(args);
}

void cli_error(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	cli_vsay(fmt, args);
	va_end(args);
}

void cli_info(const char *fmt, ...)
{
	va_list args;

	if (cli_level < 2)
		return;
	va_start(args, fmt);
	cli_vsay(fmt, args);
	va_end(args);
}

void cli_debug(const char *fmt, ...)
{
	va_list args;

	if (cli_level < 3)
		return;
	va_start(args, fmt);
	cli_vsay(fmt, args);
	va_end(args);
}

void cli_die(int code, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	cli_vsay(fmt, args);
	va_end(args);
	exit(code);
}

void cli_usage_error(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	cli_vsay(fmt, args);
	va_end(args);
	fprintf(stderr, "Try '%s --help' for more information.\n",
		cli_progname);
	exit(SIPWS_EXIT_USAGE);
}

static size_t cli_count(const struct cli_tool *tool)
{
	size_t n = 0;

	while (tool->options[n].long_name)
		n++;
	return n;
}

void cli_init(struct cli *cli, const struct cli_tool *tool, int argc,
	      char **argv)
{
	size_t n = cli_count(tool), i, k = 0;
	struct option *longopts;
	char *optstring;

	(void)argc;
	(void)argv;
	memset(cli, 0, sizeof(*cli));
	cli->tool = tool;
	cli->verbosity = 1;
	cli_progname = tool->name;
	longopts = calloc(n + 1, sizeof(*longopts));
	/* '+' stops at the first operand, ':' reports a missing argument. */
	optstring = calloc(3 * n + 3, 1);
	cli->sets = calloc((size_t)argc + 1, sizeof(*cli->sets));
	if (!longopts || !optstring || !cli->sets)
		cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
	optstring[k++] = '+';
	optstring[k++] = ':';
	for (i = 0; i < n; i++) {
		const struct cli_option *o = &tool->options[i];

		longopts[i].name = o->long_name;
		longopts[i].has_arg = (int)o->arg;
		longopts[i].flag = NULL;
		longopts[i].val = o->id;
		if (o->id > 0 && o->id < 256) {
			optstring[k++] = (char)o->id;
			if (o->arg == CLI_REQUIRED_ARG)
				optstring[k++] = ':';
			else if (o->arg == CLI_OPTIONAL_ARG) {
				optstring[k++] = ':';
				optstring[k++] = ':';
			}
		}
	}
	cli->longopts = longopts;
	cli->optstring = optstring;
	opterr = 0;
	optind = 1;
}

void cli_free(struct cli *cli)
{
	free(cli->longopts);
	free(cli->optstring);
	free(cli->sets);
	cli->longopts = NULL;
	cli->optstring = NULL;
	cli->sets = NULL;
}

static void cli_version(const struct cli_tool *tool)
{
	printf("%s (sipws) %s\n", tool->name, SIPWS_VERSION);
}

void cli_help(const struct cli_tool *tool, FILE *out)
{
	const struct cli_option *o;
	const char *line = tool->usage;

	/* Each synopsis line gets its own "Usage:" prefix or indent. */
	fprintf(out, "Usage: ");
	while (line && *line) {
		const char *end = strchr(line, '\n');
		int len = end ? (int)(end - line) : (int)strlen(line);

		fprintf(out, "%s%s %.*s\n", line == tool->usage ? "" : "       ",
			tool->name, len, line);
		line = end ? end + 1 : NULL;
	}
	fprintf(out, "%s\n\nOptions:\n", tool->summary);
	for (o = tool->options; o->long_name; o++) {
		char left[64];

		if (o->id > 0 && o->id < 256)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->id,
				 o->long_name, o->arg_name ? " " : "",
				 o->arg_name ? o->arg_name : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s",
				 o->long_name, o->arg_name ? " " : "",
				 o->arg_name ? o->arg_name : "");
		fprintf(out, "  %-28s %s\n", left, o->help);
	}
	fprintf(out, "\nExit status: 0 on success; see %s(1) for the table.\n",
		tool->name);
}

int cli_next(struct cli *cli, int argc, char **argv, const char **optarg_out)
{
	int c;
	const struct option *longopts = cli->longopts;

	for (;;) {
		c = getopt_long(argc, argv, cli->optstring, longopts, NULL);
		if (optarg_out)
			*optarg_out = optarg;
		switch (c) {
		case -1:
			cli_set_verbosity(cli->verbosity);
			return -1;
		case ':':
			cli_usage_error("option '%s' needs an argument",
					argv[optind - 1]);
		case '?':
			if (optopt && optopt < 256)
				cli_usage_error("unknown option '-%c'", optopt);
			cli_usage_error("unknown option '%s'", argv[optind - 1]);
		case CLI_OPT_HELP:
			cli_help(cli->tool, stdout);
			exit(SIPWS_EXIT_OK);
		case CLI_OPT_VERSION:
			cli_version(cli->tool);
			exit(SIPWS_EXIT_OK);
		case CLI_OPT_CONFIG:
			cli->config_file = optarg;
			break;
		case CLI_OPT_PROFILE:
			cli->profile = optarg;
			break;
		case CLI_OPT_SET:
			cli->sets[cli->nsets++] = optarg;
			break;
		case CLI_OPT_VERBOSE:
			if (cli->verbosity < 1)
				cli->verbosity = 1;
			cli->verbosity++;
			break;
		case CLI_OPT_QUIET:
			cli->verbosity = 0;
			break;
		default:
			return c;
		}
	}
}
