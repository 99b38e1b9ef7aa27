/* sipws-config: print the effective configuration of the sipws tools,
 * one "key = value" line per key with secrets masked, or check it. */
#include "cli.h"
#include "conf.h"
#include "exitcode.h"
#include "json.h"
#include "toolconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


enum {
	OPT_GET = CLI_OPT_FIRST_LONG,
	OPT_CHECK,
	OPT_SHOW_ORIGIN,
	OPT_JSON,
	OPT_LIST_KEYS,
};

static const struct cli_option options[] = {
	{"get", OPT_GET, CLI_REQUIRED_ARG, "KEY",
	 "print only the value of KEY, one line per list entry"},
	{"check", OPT_CHECK, CLI_NO_ARG, NULL,
	 "only check the configuration: exit 0, or 78 with the reason"},
	{"show-origin", OPT_SHOW_ORIGIN, CLI_NO_ARG, NULL,
	 "add where each value comes from as a '# from' comment"},
	{"json", OPT_JSON, CLI_NO_ARG, NULL,
	 "print one JSON object per key instead"},
	{"list-keys", OPT_LIST_KEYS, CLI_NO_ARG, NULL,
	 "print the name of every known key and exit"},
	CLI_OPTIONS_COMMON,
	{NULL, 0, CLI_NO_ARG, NULL, NULL},
};

static const struct cli_tool tool = {
	"sipws-config",
	"[options] [KEY...]\n"
	"[options] --get KEY\n"
	"[options] --check\n"
	"--list-keys",
	"Print the effective sipws configuration (secrets masked) or check it.",
	options,
};

static void print_line(const char *key, const char *value, const char *origin)
{
	static char quoted[4 * CONF_MAX_LINE + 8];

	if (value && conf_quote(value, quoted, sizeof(quoted)) != 0)
		cli_die(SIPWS_EXIT_SOFTWARE, "%s: value too long to print", key);
	printf("%s =%s%s", key, value ? " " : "", value ? quoted : "");
	if (origin)
		printf(" # from %s", origin);
	putchar('\n');
}

static void print_entry(const struct conf_entry *e, bool show_origin)
{
	const char *origin = show_origin ? e->origin : NULL;
	size_t i;

	if (e->nvalues == 0)
		print_line(e->key, NULL, origin);
	for (i = 0; i < e->nvalues; i++)
		print_line(e->key, e->values[i], origin);
}

static void print_json(struct json *j, const struct conf_entry *e)
{
	size_t i;

	json_reset(j);
	json_object_begin(j);
	json_member_str(j, "key", e->key);
	json_key(j, "value");
	if (e->list) {
		json_array_begin(j);
		for (i = 0; i < e->nvalues; i++)
			json_cstring(j, e->values[i]);
		json_array_end(j);
	} else {
		json_cstring(j, e->nvalues ? e->values[0] : NULL);
	}
	json_member_str(j, "origin", e->origin);
	json_object_end(j);
	if (json_text(j) == NULL)
		cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
	printf("%s\n", json_text(j));
}

int main(int argc, char **argv)
{
	struct conf *conf = NULL;
	struct cli cli;
	struct json json;
	const char *get = NULL, *arg;
	bool check = false, show_origin = false, as_json = false;
	bool list_keys = false;
	int c, i, status = SIPWS_EXIT_OK;
	size_t k;

	cli_init(&cli, &tool, argc, argv);
	while ((c = cli_next(&cli, argc, argv, &arg)) != -1) {
		switch (c) {
		case OPT_CHECK:
			check = true;
			break;
		case OPT_GET:
			get = arg;
			break;
		case OPT_JSON:
			as_json = true;
			break;
		case OPT_LIST_KEYS:
			list_keys = true;
			break;
		case OPT_SHOW_ORIGIN:
			show_origin = true;
			break;
		default:
			cli_usage_error("unexpected option");
		}
	}
	argc -= optind;
	argv += optind;

	if ((get || check || list_keys) && argc > 0)
		cli_usage_error("KEY operands go without --get, --check and "
				"--list-keys");
	if (get && (show_origin || as_json || check || list_keys))
		cli_usage_error("--get goes alone");
	if (check && (show_origin || as_json || list_keys))
		cli_usage_error("--check goes alone");
	if (get && !conf_key_known(get))
		cli_usage_error("unknown key '%s' (see --list-keys)", get);
	for (i = 0; i < argc; i++)
		if (!conf_key_known(argv[i]))
			cli_usage_error("unknown key '%s' (see --list-keys)",
					argv[i]);

	if (list_keys) {
		for (k = 0; k < conf_key_count(); k++)
			printf("%s\n", conf_key_name(k));
		goto out;
	}

	conf = toolconf_load(&cli);
	if (check) {
		cli_info("the configuration is valid");
		goto out;
	}

	json_init(&json);
	if (get) {
		struct conf_entry e;

		conf_entry(conf, get, &e);
		for (k = 0; k < e.nvalues; k++)
			printf("%s\n", e.values[k]);
		/* A key without a value is a failed lookup, as in git config. */
		if (e.nvalues == 0)
			status = SIPWS_EXIT_FAILED;
	} else if (argc > 0) {
		for (i = 0; i < argc; i++) {
			struct conf_entry e;

			conf_entry(conf, argv[i], &e);
			if (as_json)
				print_json(&json, &e);
			else
				print_entry(&e, show_origin);
		}
	} else {
		for (k = 0; k < conf_key_count(); k++) {
			struct conf_entry e;

			conf_entry(conf, conf_key_name(k), &e);
			if (as_json)
				print_json(&json, &e);
			else
				print_entry(&e, show_origin);
		}
	}
	json_free(&json);
out:
	conf_free(conf);
	cli_free(&cli);
	if (fflush(stdout) != 0 || ferror(stdout))
		cli_die(SIPWS_EXIT_IOERR, "standard output: %s", strerror(errno));
	return status;
}
