/* webrtc-check's network suite (check-network.c). */
#ifndef SIPWS_CHECK_NETWORK_H
#define SIPWS_CHECK_NETWORK_H

#include "check.h"

int check_network_run(const struct check_config *cfg,
		   const struct check_sink *sink);

#endif
