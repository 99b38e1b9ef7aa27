/* Configuration loading shared by the tools; see toolconf.h. */
#include "toolconf.h"

#include "exitcode.h"

#include <errno.h>
#include <stdlib.h>

extern char **environ;

struct conf *toolconf_load(const struct cli *cli)
{
	struct conf_sources src = {0};
	struct conf *conf = NULL;
	char reason[512];
	size_t i;
	int err;

	err = conf_alloc(&conf);
	if (err)
		cli_die(EXIT_SOFTWARE, "out of memory");
	src.config_file = cli->config_file;
	src.profile = cli->profile;
	src.env = environ;
	src.read_files = true;
	src.sets = cli->sets;
	src.nsets = (size_t)cli->nsets;
	err = conf_load(conf, &src, reason, sizeof(reason));
	for (i = 0; i < conf_warning_count(conf); i++)
		cli_warn("warning: %s", conf_warning(conf, i));
	if (err) {
		conf_free(conf);
		cli_die(err == ENOMEM ? EXIT_SOFTWARE : EXIT_CONFIG, "%s", reason);
	}
	return conf;
}
