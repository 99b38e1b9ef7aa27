/* Exit-code descriptions and the mapping from SIP statuses and library
 * errors to the one table in exitcode.h. */
#include "exitcode.h"

#include <errno.h>
#include <stddef.h>

const char *exitcode_describe(int code)
{
	switch (code) {
#define EXITCODE_CASE(name, number, text)                                      \
	case number:                                                           \
		return text;
		EXITCODE_TABLE(EXITCODE_CASE)
#undef EXITCODE_CASE
	default:
		return NULL;
	}
}

int exitcode_from_sip_status(int status, int our_timeout)
{
	if (status >= 100 && status < 300)
		return SIPWS_EXIT_OK;
	switch (status) {
	case 486:
	case 600:
		return SIPWS_EXIT_BUSY;
	case 408:
	case 480:
		return SIPWS_EXIT_NO_ANSWER;
	case 487:
		return our_timeout ? SIPWS_EXIT_NO_ANSWER : SIPWS_EXIT_FAILED;
	case 403:
	case 603:
		return SIPWS_EXIT_DECLINED;
	case 404:
	case 484:
	case 604:
		return SIPWS_EXIT_NOT_FOUND;
	case 401:
	case 407:
		return SIPWS_EXIT_AUTH;
	default:
		return SIPWS_EXIT_FAILED;
	}
}

int exitcode_from_errno(int err)
{
	switch (err) {
	case 0:
		return SIPWS_EXIT_OK;
	case EINVAL:
		return SIPWS_EXIT_USAGE;
	case EBADMSG:
	case EILSEQ:
	case E2BIG:
	case EMSGSIZE: /* our own message too big; from the peer: transport */
	case ERANGE:
		return SIPWS_EXIT_DATAERR;
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ENOTCONN:
	case ECONNRESET:
	case EADDRNOTAVAIL:
		return SIPWS_EXIT_UNAVAILABLE;
	case ENOENT:
	case EACCES:
	case EIO:
	case EISDIR:
		return SIPWS_EXIT_IOERR;
	case ETIMEDOUT:
		return SIPWS_EXIT_TIMEOUT;
	case EPROTO:
		return SIPWS_EXIT_PROTOCOL;
	case ENOKEY:
	case ECONNABORTED:
		return SIPWS_EXIT_TLS;
	case EKEYREJECTED:
	case EPERM:
		return SIPWS_EXIT_AUTH;
	default:
		return SIPWS_EXIT_SOFTWARE;
	}
}

int exitcode_from_transport(int err)
{
	switch (err) {
	case 0:
		return SIPWS_EXIT_OK;
	case ENOKEY:
	case ECONNABORTED:
		return SIPWS_EXIT_TLS;
	case ETIMEDOUT:
		/* no connection within the connect timeout or the deadline */
		return SIPWS_EXIT_TIMEOUT;
	case EMSGSIZE:
	case EBADMSG: /* WebSocket protocol violation by the server */
	case EILSEQ:  /* a text message from it not UTF-8 */
		return SIPWS_EXIT_PROTOCOL;
	case ENOMEM:
		return SIPWS_EXIT_SOFTWARE;
	default:
		/* refused, unreachable, upgrade refused, lost */
		return SIPWS_EXIT_UNAVAILABLE;
	}
}

int exitcode_from_media(int err)
{
	switch (err) {
	case 0:
		return SIPWS_EXIT_OK;
	case ENOENT:
	case EACCES:
	case EIO:
		return SIPWS_EXIT_IOERR;
	case ENOMEM:
		return SIPWS_EXIT_SOFTWARE;
	default:
		return SIPWS_EXIT_MEDIA;
	}
}
