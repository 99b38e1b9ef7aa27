/* webrtc-check's connectivity suite: two media sessions (media.h) in this
 * process connect to each other with host candidates only, then
 * server-reflexive ones through each STUN server, then relayed ones
 * through each TURN server; each check is timed from the offer to the
 * first decoded audio and measured for a few seconds of Opus and VP8
 * (throughput, loss, round-trip time, jitter). Synchronous: it runs GLib's
 * default main context, where media.h delivers its events. */
#ifndef SIPWS_CHECK_CONNECT_H
#define SIPWS_CHECK_CONNECT_H

#include <stddef.h>

#include "check.h"
#include "media.h"

struct check_connect_options {
	/* stun: URLs (reflexive checks) and turn:/turns: servers with their
	 * credentials (relay checks), one check each. */
	const struct media_ice_server *stun;
	size_t stun_count;
	const struct media_ice_server *turn;
	size_t turn_count;
	/* ICE only on these local addresses (loopback needs naming); none:
	 * every interface but loopback. */
	const char *const *ice_addresses;
	size_t ice_address_count;
	unsigned connect_timeout_ms; /* per check; 0: 10000 */
	unsigned measure_ms;         /* media measured; 0: 3000 */
};

/* A relay check over lossier paths than this warns. */
#define CHECK_CONNECT_LOSS_WARN_PCT 1.0

/* Returns 0 once its checks were reported (failed ones included), or
 * ENOENT when a GStreamer plugin the media session needs is missing (the
 * system suite names it). */
int check_connectivity(const struct check_connect_options *opt,
		       const struct check_sink *sink);

#endif
