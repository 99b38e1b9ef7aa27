/* Private to webrtc-check's suites (check-server.c, check-network.c):
 * one connection to a server, driven synchronously with a deadline (UDP
 * connected so that ICMP refusals are seen, TCP, TLS over TCP with the
 * transport's trust rules). Never installed. */
#ifndef SIPWS_INTERNAL_CHECK_IO_H
#define SIPWS_INTERNAL_CHECK_IO_H

#include <stdbool.h>
#include <stddef.h>

#include <sys/socket.h>

#include <openssl/ssl.h>

struct check_io {
	int fd;              /* -1 when closed */
	SSL_CTX *ctx;
	SSL *ssl;            /* after check_io_tls */
	double deadline;     /* check_now_ms() value; callers move it */
	char subject[256];   /* the server certificate's, "?" until seen */
	double days_left;    /* until its notAfter */
};

void check_io_init(struct check_io *io);
/* Connect a socket of type (SOCK_STREAM, SOCK_DGRAM) to sa before the
 * deadline: 0, ETIMEDOUT or the connect errno (ECONNREFUSED ...). */
int check_io_connect(struct check_io *io, const struct sockaddr *sa,
		     socklen_t len, int type);
/* TLS on the connected stream: the certificate verified against ca_file
 * (NULL: the system's CAs) and checked for host (an IP literal against
 * its IP SANs), unless insecure; SNI for a name. 0; ENOENT when the CAs
 * cannot be loaded; ENOKEY when the certificate is not trusted (reason:
 * why); ETIMEDOUT; EPROTO for another handshake failure (reason: why). */
int check_io_tls(struct check_io *io, const char *host, bool literal,
		 const char *ca_file, bool insecure, char *reason,
		 size_t reason_size);
/* Write all of it before the deadline: 0, ETIMEDOUT or an errno. */
int check_io_write(struct check_io *io, const void *data, size_t len);
/* What arrives first (one datagram on UDP): 0 with *n > 0, ECONNRESET
 * when the peer closed, ECONNREFUSED (UDP: an ICMP refusal), ETIMEDOUT. */
int check_io_read(struct check_io *io, void *buf, size_t size, size_t *n);
/* Wait for input until the deadline: 0 or ETIMEDOUT. */
int check_io_wait(struct check_io *io);
void check_io_close(struct check_io *io);

/* "no answer within N ms", "the server closed the connection", or
 * strerror; static, valid until the next call. */
const char *check_io_strerror(int err, unsigned timeout_ms);

#endif
