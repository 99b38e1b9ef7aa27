/* The exit-code table of every sipws tool. One table, never renumbered:
 * man pages document it (tests/t0002-docs.t checks that they do). */
#ifndef SIPWS_EXITCODE_H
#define SIPWS_EXITCODE_H

/* The names carry the module prefix (SIPWS_EXIT_OK...): nothing clashes
 * with <stdlib.h>'s EXIT_SUCCESS and EXIT_FAILURE, which agree with
 * SIPWS_EXIT_OK and SIPWS_EXIT_FAILED. */
#include <stdlib.h>

/* X(name, number, short description) */
#define EXITCODE_TABLE(X)                                                      \
	X(OK, 0, "success")                                                    \
	X(FAILED, 1, "final SIP failure not listed below, or a failed check") \
	X(BUSY, 2, "busy (486, 600)")                                          \
	X(NO_ANSWER, 3, "no answer (408, 480, 487 after our own timeout)")     \
	X(DECLINED, 4, "declined or forbidden (403, 603)")                     \
	X(NOT_FOUND, 5, "not found (404, 484, 604)")                           \
	X(AUTH, 6, "authentication failed (401/407 after credentials were "   \
		   "tried, or none configured)")                               \
	X(USAGE, 64, "usage error")                                            \
	X(DATAERR, 65, "bad input data")                                       \
	X(UNAVAILABLE, 69, "server unavailable (DNS, TCP, WebSocket upgrade "  \
			   "refused, every server down)")                      \
	X(SOFTWARE, 70, "internal error")                                      \
	X(IOERR, 74, "file I/O error")                                         \
	X(TIMEOUT, 75, "timeout without a final response")                     \
	X(PROTOCOL, 76, "protocol error from the peer")                        \
	X(TLS, 77, "TLS failure (certificate not trusted, handshake failed)")  \
	X(CONFIG, 78, "configuration error")                                   \
	X(MEDIA, 79, "media failure (ICE, DTLS, or no media flowing)")

enum exitcode {
#define EXITCODE_ENUM(name, number, text) SIPWS_EXIT_##name = number,
	EXITCODE_TABLE(EXITCODE_ENUM)
#undef EXITCODE_ENUM
};

/* Short description of an exit code, or NULL for a number not in the table. */
const char *exitcode_describe(int code);

/* Map a final SIP response status to an exit code. our_timeout is non-zero
 * when a 487 answers a CANCEL that we sent because our own timer ran out. */
int exitcode_from_sip_status(int status, int our_timeout);

/* Map a library errno-style return to an exit code (0 maps to SIPWS_EXIT_OK). */
int exitcode_from_errno(int err);

/* Map the reason a media session failed (MEDIA_EVENT_FAILED's err, see
 * media.h) to an exit code: a source or sink file that cannot be opened
 * (ENOENT, EACCES, EIO) -> 74, out of memory or a missing plugin's
 * internal error (ENOMEM) -> 70, everything else (EKEYREJECTED
 * fingerprint mismatch, EHOSTUNREACH ICE failed, ECONNABORTED DTLS
 * failed, EPROTO SDP refused, ETIMEDOUT no media) -> 79. */
int exitcode_from_media(int err);

/* Map the reason a server connection failed or was lost (the errno values
 * of ws.h) to an exit code: refused, unreachable, upgrade refused (EPROTO)
 * or lost -> 69; not connected in time (ETIMEDOUT) -> 75; TLS (ENOKEY
 * untrusted certificate, ECONNABORTED other handshake failure) -> 77;
 * oversized message (EMSGSIZE), WebSocket protocol violation (EBADMSG) or
 * invalid UTF-8 (EILSEQ) from the server -> 76. */
int exitcode_from_transport(int err);

#endif
