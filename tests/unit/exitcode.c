/* The exit-code table and the SIP-status mapping. */
#include <errno.h>
#include <stdlib.h>

#include "exitcode.h"
#include "tap/basic.h"

static const struct {
	int status;
	int our_timeout;
	int want;
} status_cases[] = {
	{200, 0, SIPWS_EXIT_OK},         {202, 0, SIPWS_EXIT_OK},
	{486, 0, SIPWS_EXIT_BUSY},       {600, 0, SIPWS_EXIT_BUSY},
	{408, 0, SIPWS_EXIT_NO_ANSWER},  {480, 0, SIPWS_EXIT_NO_ANSWER},
	{487, 1, SIPWS_EXIT_NO_ANSWER},  {487, 0, SIPWS_EXIT_FAILED},
	{403, 0, SIPWS_EXIT_DECLINED},   {603, 0, SIPWS_EXIT_DECLINED},
	{404, 0, SIPWS_EXIT_NOT_FOUND},  {484, 0, SIPWS_EXIT_NOT_FOUND},
	{604, 0, SIPWS_EXIT_NOT_FOUND},  {401, 0, SIPWS_EXIT_AUTH},
	{407, 0, SIPWS_EXIT_AUTH},       {500, 0, SIPWS_EXIT_FAILED},
	{415, 0, SIPWS_EXIT_FAILED},
};

int main(void)
{
	size_t i;
	size_t n = sizeof(status_cases) / sizeof(status_cases[0]);

	plan(n + 19);
	for (i = 0; i < n; i++)
		is_int(status_cases[i].want,
		       exitcode_from_sip_status(status_cases[i].status,
						status_cases[i].our_timeout),
		       "SIP %d%s maps to exit %d", status_cases[i].status,
		       status_cases[i].our_timeout ? " after our timeout" : "",
		       status_cases[i].want);
	is_int(64, SIPWS_EXIT_USAGE, "usage is 64");
	is_int(79, SIPWS_EXIT_MEDIA, "media failure is 79");
	is_string("success", exitcode_describe(0), "0 is described");
	ok(exitcode_describe(7) == NULL, "7 is not in the table");
	is_int(SIPWS_EXIT_TIMEOUT, exitcode_from_errno(ETIMEDOUT), "ETIMEDOUT -> 75");
	is_int(SIPWS_EXIT_UNAVAILABLE, exitcode_from_errno(ECONNREFUSED),
	       "ECONNREFUSED -> 69");
	is_int(SIPWS_EXIT_DATAERR, exitcode_from_errno(EBADMSG), "EBADMSG -> 65");
	is_int(SIPWS_EXIT_OK, exitcode_from_errno(0), "0 -> 0");
	is_int(SIPWS_EXIT_MEDIA, exitcode_from_media(EKEYREJECTED),
	       "DTLS fingerprint mismatch -> 79");
	is_int(SIPWS_EXIT_MEDIA, exitcode_from_media(EHOSTUNREACH),
	       "ICE failed -> 79");
	is_int(SIPWS_EXIT_IOERR, exitcode_from_media(ENOENT),
	       "media source file missing -> 74");
	is_int(SIPWS_EXIT_TLS, exitcode_from_transport(ENOKEY),
	       "untrusted certificate -> 77");
	is_int(SIPWS_EXIT_TLS, exitcode_from_transport(ECONNABORTED),
	       "TLS handshake failure -> 77");
	is_int(SIPWS_EXIT_UNAVAILABLE, exitcode_from_transport(ECONNREFUSED),
	       "refused -> 69");
	is_int(SIPWS_EXIT_UNAVAILABLE, exitcode_from_transport(EPROTO),
	       "upgrade refused -> 69");
	is_int(SIPWS_EXIT_TIMEOUT, exitcode_from_transport(ETIMEDOUT),
	       "connect timeout -> 75");
	is_int(SIPWS_EXIT_PROTOCOL, exitcode_from_transport(EMSGSIZE),
	       "oversized message -> 76");
	is_int(SIPWS_EXIT_PROTOCOL, exitcode_from_transport(EBADMSG),
	       "WebSocket protocol error -> 76");
	is_int(SIPWS_EXIT_PROTOCOL, exitcode_from_transport(EILSEQ),
	       "text message not UTF-8 -> 76");
	return 0;
}
