/* webrtc-check's server suite (check-server.c). */
#ifndef SIPWS_CHECK_SERVER_H
#define SIPWS_CHECK_SERVER_H

#include "check.h"

int check_server_run(const struct check_config *cfg,
		   const struct check_sink *sink);

#endif
