/* Loading the configuration the same way in every tool: the layers from
 * the command line's -c/-p/--set, warnings printed, errors exit 78. The
 * SIP tools add their shared options on top (stack_conf_load). */
#ifndef SIPWS_TOOLCONF_H
#define SIPWS_TOOLCONF_H

#include <stddef.h>

#include "cli.h"
#include "conf.h"

/* Load every layer for cli's settings into a new *confp (NULL only when
 * memory ran out: ENOMEM). Returns 0 or conf_load's error with reason[]
 * filled; nothing is printed. */
int toolconf_read(const struct cli *cli, struct conf **confp, char *reason,
		  size_t reason_size);
/* Print conf's warnings to stderr. */
void toolconf_warn(const struct conf *conf);

/* toolconf_read and toolconf_warn; an error is printed with its reason
 * and the tool exits SIPWS_EXIT_CONFIG (78; 70 without memory). */
struct conf *toolconf_load(const struct cli *cli);

#endif
