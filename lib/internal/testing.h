/* Functions of the SIP core and the registration client that are not
 * part of the API but are exposed for the unit tests and fuzzers (private:
 * not installed). */
#ifndef SIPWS_INTERNAL_TESTING_H
#define SIPWS_INTERNAL_TESTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../sipmsg.h"

/* The status/reason a UAS answers a request with before looking at its
 * method (sipmsg_check_request with our capabilities per method: MESSAGE
 * takes any body type, INVITE application/sdp), plus 405/501 for
 * methods, 481 for an unknown dialog. *status 0: serve it. */
int sip_classify_request(const struct sipmsg *req, int *status,
			 const char **reason);

/* The "400 Bad Request" for a request that does not decode, made by
 * copying its Via, From, To, Call-ID and CSeq lines (full or compact
 * names) as they are, so that it can be routed back. EBADMSG when there
 * is nothing to answer: a response or an ACK, no request line ending in
 * SIP/2.0, one of those headers missing (or From/To/Call-ID/CSeq
 * repeated), a control character in one; E2BIG above SIPMSG_MAX_SIZE;
 * ENOSPC when buf is too small (*lenp, may be NULL, gets the length
 * without the NUL either way). buf is NUL-terminated on success. The core
 * sends it only when it decodes as a response (the copied Via may be the
 * broken part). */
int sip_bad_request_reply(const char *data, size_t len, char *buf,
			  size_t size, size_t *lenp);

/* The refresh delay in milliseconds for a granted expiry (reg.h's header comment); r is a random number in [0, 1). */
uint64_t reg_refresh_ms(uint32_t expires, double r);
/* The delay in milliseconds before another try after a failed REGISTER:
 * the Retry-After when the response has one (seconds, 0 read as 1, at
 * most REG_MAX_RETRY_AFTER), else retry_secs (0: 30) but at most half of
 * left_ms, what our binding has left (0: none), and at least 1 s. Public */
uint64_t reg_retry_ms(unsigned retry_secs, bool has_retry_after,
		      uint32_t retry_after, uint64_t left_ms);

#endif
