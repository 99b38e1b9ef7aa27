/* Loading the configuration the same way in every tool: the layers from
 * the command line's -c/-p/--set, warnings printed, errors exit 78. */
#ifndef SIPWS_TOOLCONF_H
#define SIPWS_TOOLCONF_H

#include "cli.h"
#include "conf.h"

/* Load every layer for cli's settings. Warnings go to stderr; an error is
 * printed with its reason and the tool exits EXIT_CONFIG (78). */
struct conf *toolconf_load(const struct cli *cli);

#endif
