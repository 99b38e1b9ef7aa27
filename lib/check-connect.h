/* webrtc-check's connectivity suite: two media sessions (media.h) in this
 * process connect to each other with host candidates only, then
 * server-reflexive ones through each STUN server, then relayed ones
 * through each TURN server; each check is timed from the offer to the
 * first decoded audio and measured for a few seconds of Opus and VP8
 * (throughput, loss, round-trip time, jitter). Synchronous: it runs GLib's
 * default main context, where media.h delivers its events. */
#ifndef SIPWS_CHECK_CONNECT_H
#define SIPWS_CHECK_CONNECT_H

#include "check.h"

/* A relay check over lossier paths than this warns. */
#define CHECK_CONNECT_LOSS_WARN_PCT 1.0

/* The suite (check_suite_run): cfg's stun_servers, turn_servers,
 * ice_addresses and timeout_ms (for gathering, then again for connecting).
 * Returns 0 once its checks were reported (failed ones included), or
 * ENOENT when a GStreamer plugin the media session needs is missing (the
 * system suite names it). */
int check_connectivity_run(const struct check_config *cfg,
			   const struct check_sink *sink);

#endif
