/* webrtc-check's system suite (check-system.c). */
#ifndef SIPWS_CHECK_SYSTEM_H
#define SIPWS_CHECK_SYSTEM_H

#include "check.h"

int check_system_run(const struct check_config *cfg,
		   const struct check_sink *sink);

#endif
