/* One connection of webrtc-check's suites; see internal/check-io.h. */
#include "internal/check-io.h"

#include "check.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

void check_io_init(struct check_io *io)
{
	memset(io, 0, sizeof(*io));
	io->fd = -1;
	snprintf(io->subject, sizeof(io->subject), "?");
}

static int wait_fd(struct check_io *io, short events)
{
	struct pollfd p = {io->fd, events, 0};
	int left, n;

	for (;;) {
		left = (int)(io->deadline - check_now_ms());
		if (left <= 0)
			return ETIMEDOUT;
		n = poll(&p, 1, left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return errno;
	}
}

int check_io_wait(struct check_io *io)
{
	if (io->ssl && SSL_pending(io->ssl) > 0)
		return 0;
	return wait_fd(io, POLLIN);
}

/* Wait as SSL_get_error says; 0 to try again, or an errno value. */
static int ssl_wait(struct check_io *io, int ret)
{
	switch (SSL_get_error(io->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return wait_fd(io, POLLIN);
	case SSL_ERROR_WANT_WRITE:
		return wait_fd(io, POLLOUT);
	case SSL_ERROR_ZERO_RETURN:
		return ECONNRESET;
	case SSL_ERROR_SYSCALL:
		return errno && errno != EAGAIN ? errno : ECONNRESET;
	default:
		return EPROTO;
	}
}

int check_io_connect(struct check_io *io, const struct sockaddr *sa,
		     socklen_t len, int type)
{
	socklen_t elen = sizeof(int);
	int fd, err = 0;

	fd = socket(sa->sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	io->fd = fd;
	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		err = errno;
	else if ((err = wait_fd(io, POLLOUT)) == 0 &&
		 getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
		err = errno;
	if (err) {
		close(fd);
		io->fd = -1;
	}
	return err;
}

static void remember_cert(struct check_io *io, X509 *cert)
{
	int days = 0, secs = 0;

	X509_NAME_oneline(X509_get_subject_name(cert), io->subject,
			  (int)sizeof(io->subject));
	if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert)))
		io->days_left = days + secs / 86400.0;
}

/* The server certificate, kept as the chain is verified: a handshake
 * that fails verification leaves no peer certificate to look at. */
static int note_cert(int ok, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(
		store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct check_io *io = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *cert = X509_STORE_CTX_get_current_cert(store);

	if (io && cert && X509_STORE_CTX_get_error_depth(store) == 0)
		remember_cert(io, cert);
	return ok;
}

/* The transport's trust (ws.c): the CA file, or the system's CAs with
 * SSL_CERT_FILE / SSL_CERT_DIR honoured. */
static int tls_context(struct check_io *io, const char *ca_file,
		       bool insecure)
{
	const char *file, *dir;

	io->ctx = SSL_CTX_new(TLS_client_method());
	if (!io->ctx)
		return ENOMEM;
	SSL_CTX_set_options(io->ctx, SSL_OP_NO_COMPRESSION);
	if (ca_file) {
		if (!SSL_CTX_load_verify_locations(io->ctx, ca_file, NULL))
			return ENOENT;
	} else {
		dir = getenv(X509_get_default_cert_dir_env());
		file = getenv(X509_get_default_cert_file_env());
		if (!dir)
			dir = X509_get_default_cert_dir();
		if (!SSL_CTX_load_verify_locations(io->ctx, file, dir))
			return ENOENT;
	}
	SSL_CTX_set_verify(io->ctx, insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER,
			   note_cert);
	return 0;
}

int check_io_tls(struct check_io *io, const char *host, bool literal,
		 const char *ca_file, bool insecure, char *reason,
		 size_t reason_size)
{
	X509 *cert = NULL;
	long vr;
	int rc, err = tls_context(io, ca_file, insecure);

	reason[0] = '\0';
	if (err)
		goto out;
	io->ssl = SSL_new(io->ctx);
	if (!io->ssl || !SSL_set_fd(io->ssl, io->fd)) {
		err = ENOMEM;
		goto out;
	}
	SSL_set_app_data(io->ssl, io);
	SSL_set_connect_state(io->ssl);
	if (!literal) /* SNI: a host name only (RFC 6066 §3) */
		SSL_set_tlsext_host_name(io->ssl, host);
	while ((rc = SSL_do_handshake(io->ssl)) != 1)
		if ((err = ssl_wait(io, rc)) != 0)
			break;
	vr = SSL_get_verify_result(io->ssl);
	cert = SSL_get1_peer_certificate(io->ssl);
	if (cert)
		remember_cert(io, cert);
	if (err && vr != X509_V_OK && !insecure) {
		snprintf(reason, reason_size, "certificate not trusted (%s)",
			 X509_verify_cert_error_string(vr));
		err = ENOKEY;
	} else if (err == EPROTO) {
		char text[160];

		ERR_error_string_n(ERR_peek_last_error(), text, sizeof(text));
		snprintf(reason, reason_size, "TLS handshake failed (%s)", text);
	} else if (!err && !cert) {
		snprintf(reason, reason_size, "the server sent no certificate");
		err = ENOKEY;
	} else if (!err && !insecure &&
		   (literal ? X509_check_ip_asc(cert, host, 0)
			    : X509_check_host(cert, host, strlen(host), 0,
					      NULL)) != 1) {
		snprintf(reason, reason_size, "certificate not valid for %s",
			 host);
		err = ENOKEY;
	}
out:
	X509_free(cert);
	ERR_clear_error();
	return err;
}

int check_io_write(struct check_io *io, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;
	int err;

	while (len > 0) {
		if (io->ssl) {
			int r = SSL_write(io->ssl, p, (int)len);

			if (r <= 0) {
				if ((err = ssl_wait(io, r)) != 0)
					return err;
				continue;
			}
			n = r;
		} else {
			n = send(io->fd, p, len, MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				if ((err = wait_fd(io, POLLOUT)) != 0)
					return err;
				continue;
			}
			if (n < 0)
				return errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int check_io_read(struct check_io *io, void *buf, size_t size, size_t *n)
{
	ssize_t got;
	int err;

	*n = 0;
	for (;;) {
		if (io->ssl) {
			int r = SSL_read(io->ssl, buf, (int)size);

			if (r <= 0) {
				if ((err = ssl_wait(io, r)) != 0)
					return err;
				continue;
			}
			got = r;
		} else {
			got = recv(io->fd, buf, size, 0);
			if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
				if ((err = wait_fd(io, POLLIN)) != 0)
					return err;
				continue;
			}
			if (got < 0)
				return errno;
			if (got == 0)
				return ECONNRESET;
		}
		*n = (size_t)got;
		return 0;
	}
}

void check_io_close(struct check_io *io)
{
	SSL_free(io->ssl);
	SSL_CTX_free(io->ctx);
	if (io->fd >= 0)
		close(io->fd);
	io->ssl = NULL;
	io->ctx = NULL;
	io->fd = -1;
}

const char *check_io_strerror(int err, unsigned timeout_ms)
{
	static char text[64];

	if (err == ETIMEDOUT) {
		snprintf(text, sizeof(text), "no answer within %u ms", timeout_ms);
		return text;
	}
	if (err == ECONNRESET)
		return "the server closed the connection";
	return strerror(err);
}
