/* Configuration loading shared by the tools; see toolconf.h. */
#include "toolconf.h"

#include "exitcode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

extern char **environ;

int toolconf_read(const struct cli *cli, struct conf **confp, char *reason,
		  size_t reason_size)
{
	struct conf_sources src = {0};

	*confp = NULL;
	if (conf_alloc(confp) != 0) {
		snprintf(reason, reason_size, "out of memory");
		return ENOMEM;
	}
	src.config_file = cli->config_file;
	src.profile = cli->profile;
	src.env = environ;
	src.read_files = true;
	src.sets = cli->sets;
	src.nsets = (size_t)cli->nsets;
	return conf_load(*confp, &src, reason, reason_size);
}

void toolconf_warn(const struct conf *conf)
{
	size_t i;

	for (i = 0; i < conf_warning_count(conf); i++)
		cli_warn("warning: %s", conf_warning(conf, i));
}

struct conf *toolconf_load(const struct cli *cli)
{
	struct conf *conf = NULL;
	char reason[512];
	int err;

	err = toolconf_read(cli, &conf, reason, sizeof(reason));
	if (conf)
		toolconf_warn(conf);
	if (err) {
		conf_free(conf);
		cli_die(err == ENOMEM ? SIPWS_EXIT_SOFTWARE : SIPWS_EXIT_CONFIG, "%s",
			reason);
	}
	return conf;
}
