/* bench/ws-answer: a one-connection SIP WebSocket server that answers
 * every request at once (200 to MESSAGE and REGISTER, with libsipws's
 * sipmsg_new_reply), so that a client's own message rate can be measured
 * without a proxy, its authentication and its transaction memory in the
 * way. Prints "port N" when it listens and "answered N" at the end of the
 * connection. Built by scripts/bench.sh.
 *
 *   ws-answer                 (listens on a free loopback port) */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "sipmsg.h"

#define BUF_SIZE (1 << 20)

static unsigned char in[BUF_SIZE];
static size_t in_len;
static unsigned char out[BUF_SIZE];
static size_t out_len;

static int flush_out(int fd)
{
	size_t off = 0;

	while (off < out_len) {
		ssize_t n = write(fd, out + off, out_len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	out_len = 0;
	return 0;
}

/* Queue one unmasked text frame (flushed when the input is drained). */
static int queue_frame(int fd, int opcode, const char *p, size_t len)
{
	if (out_len + len + 10 > sizeof(out) && flush_out(fd) != 0)
		return -1;
	out[out_len++] = (unsigned char)(0x80 | opcode);
	if (len < 126) {
		out[out_len++] = (unsigned char)len;
	} else {
		out[out_len++] = 126;
		out[out_len++] = (unsigned char)(len >> 8);
		out[out_len++] = (unsigned char)len;
	}
	memcpy(out + out_len, p, len);
	out_len += len;
	return 0;
}

static int handshake(int fd)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	char src[256], resp[512];
	unsigned char sha[SHA_DIGEST_LENGTH], accept[64];
	char *end, *k, *e;

	for (;;) {
		ssize_t n = read(fd, in + in_len, sizeof(in) - 1 - in_len);

		if (n <= 0)
			return -1;
		in_len += (size_t)n;
		in[in_len] = '\0';
		if ((end = strstr((char *)in, "\r\n\r\n")) != NULL)
			break;
	}
	k = strcasestr((char *)in, "\nSec-WebSocket-Key:");
	if (k == NULL)
		return -1;
	k += strlen("\nSec-WebSocket-Key:");
	k += strspn(k, " \t");
	e = strstr(k, "\r\n");
	snprintf(src, sizeof(src), "%.*s%s", (int)(e - k), k, guid);
	SHA1((const unsigned char *)src, strlen(src), sha);
	EVP_EncodeBlock(accept, sha, SHA_DIGEST_LENGTH);
	snprintf(resp, sizeof(resp),
		 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		 "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
		 "Sec-WebSocket-Protocol: sip\r\n\r\n", (const char *)accept);
	end += 4;
	in_len -= (size_t)(end - (char *)in);
	memmove(in, end, in_len);
	memcpy(out, resp, strlen(resp));
	out_len = strlen(resp);
	return flush_out(fd);
}

static int answer(int fd, char *p, size_t len, unsigned long *answered)
{
	struct sipmsg *req = NULL, *resp = NULL;
	char buf[8192];
	size_t n;
	int rc = 0;

	if (len >= 2 && (p[0] == '\r' || p[0] == '\n')) {
		/* RFC 5626 keepalive: answer a double CRLF with one */
		return len == 4 ? queue_frame(fd, 1, "\r\n", 2) : 0;
	}
	if (sipmsg_decode(&req, p, len, NULL, 0) != 0)
		return 0;
	if (sipmsg_is_request(req) &&
	    sipmsg_new_reply(&resp, req, 200, NULL, "answer") == 0 &&
	    sipmsg_encode(resp, buf, sizeof(buf), &n) == 0) {
		rc = queue_frame(fd, 1, buf, n);
		++*answered;
	}
	sipmsg_free(resp);
	sipmsg_free(req);
	return rc;
}

/* Frames in in[]; answer each whole one, keep a partial one. */
static int serve(int fd, unsigned long *answered)
{
	for (;;) {
		size_t off = 0;
		ssize_t r;

		while (in_len - off >= 2) {
			unsigned char *h = in + off;
			uint64_t len = h[1] & 0x7f;
			size_t hl = 2, i;

			if (len == 126) {
				if (in_len - off < 4)
					break;
				len = (uint64_t)h[2] << 8 | h[3];
				hl = 4;
			} else if (len == 127) {
				if (in_len - off < 10)
					break;
				for (len = 0, i = 0; i < 8; i++)
					len = len << 8 | h[2 + i];
				hl = 10;
			}
			if (h[1] & 0x80)
				hl += 4;
			if (in_len - off < hl + len)
				break;
			if (h[1] & 0x80)
				for (i = 0; i < len; i++)
					h[hl + i] ^= h[hl - 4 + i % 4];
			switch (h[0] & 0x0f) {
			case 8: /* close */
				queue_frame(fd, 8, "", 0);
				flush_out(fd);
				return 0;
			case 9: /* ping */
				queue_frame(fd, 10, (char *)h + hl, (size_t)len);
				break;
			case 1:
			case 2:
				if (answer(fd, (char *)h + hl, (size_t)len,
					   answered) != 0)
					return -1;
				break;
			default:
				break;
			}
			off += hl + (size_t)len;
		}
		in_len -= off;
		memmove(in, in + off, in_len);
		if (flush_out(fd) != 0)
			return -1;
		if (in_len == sizeof(in))
			return -1;
		r = read(fd, in + in_len, sizeof(in) - in_len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		in_len += (size_t)r;
	}
}

int main(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	unsigned long answered = 0;
	int one = 1, lfd, fd;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 4) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0) {
		perror("ws-answer");
		return 1;
	}
	printf("port %u\n", (unsigned)ntohs(sa.sin_port));
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	close(lfd);
	if (fd < 0 || handshake(fd) != 0) {
		fprintf(stderr, "ws-answer: no WebSocket handshake\n");
		return 1;
	}
	serve(fd, &answered);
	close(fd);
	printf("answered %lu\n", answered);
	return 0;
}
