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
		return EXIT_OK;
	switch (status) {
	case 486:
	case 600:
		return EXIT_BUSY;
	case 408:
	case 480:
		return EXIT_NO_ANSWER;
	case 487:
		return our_timeout ? EXIT_NO_ANSWER : EXIT_FAILED;
	case 403:
	case 603:
		return EXIT_DECLINED;
	case 404:
	case 484:
	case 604:
		return EXIT_NOT_FOUND;
	case 401:
	case 407:
		return EXIT_AUTH;
	default:
		return EXIT_FAILED;
	}
}

int exitcode_from_errno(int err)
{
	switch (err) {
	case 0:
		return EXIT_OK;
	case EINVAL:
		return EXIT_USAGE;
	case EBADMSG:
	case EILSEQ:
	case E2BIG:
	case EMSGSIZE: /* our own message too big; from the peer: transport */
	case ERANGE:
		return EXIT_DATAERR;
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ENOTCONN:
	case ECONNRESET:
	case EADDRNOTAVAIL:
		return EXIT_UNAVAILABLE;
	case ENOENT:
	case EACCES:
	case EIO:
	case EISDIR:
		return EXIT_IOERR;
	case ETIMEDOUT:
		return EXIT_TIMEOUT;
	case EPROTO:
		return EXIT_PROTOCOL;
	case ENOKEY:
	case ECONNABORTED:
		return EXIT_TLS;
	case EKEYREJECTED:
	case EPERM:
		return EXIT_AUTH;
	default:
		return EXIT_SOFTWARE;
	}
}

int exitcode_from_transport(int err)
{
	switch (err) {
	case 0:
		return EXIT_OK;
	case ENOKEY:
	case ECONNABORTED:
		return EXIT_TLS;
	case ETIMEDOUT:
		/* no connection within the connect timeout or the deadline */
		return EXIT_TIMEOUT;
	case EMSGSIZE:
	case EBADMSG: /* WebSocket protocol violation by the server */
	case EILSEQ:  /* a text message from it not UTF-8 */
		return EXIT_PROTOCOL;
	case ENOMEM:
		return EXIT_SOFTWARE;
	default:
		/* refused, unreachable, upgrade refused, lost */
		return EXIT_UNAVAILABLE;
	}
}

int exitcode_from_media(int err)
{
	switch (err) {
	case 0:
		return EXIT_OK;
	case ENOENT:
	case EACCES:
	case EIO:
		return EXIT_IOERR;
	case ENOMEM:
		return EXIT_SOFTWARE;
	default:
		return EXIT_MEDIA;
	}
}
