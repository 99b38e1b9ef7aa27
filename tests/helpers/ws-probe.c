/* Test driver of lib/ws.c (tests/t0520-ws-transport.t, bench/ws-startup.sh):
 * a client that connects, sends one SIP request and prints what happens,
 * and a scripted one-connection WebSocket server for what Kamailio cannot
 * be made to do (CRLF pings, fragments, oversized messages, bad upgrades).
 *
 *   ws-probe [-gknPqrv] [-b min:max] [-C cafile] [-F secs] [-f file] [-K ms]
 *            [-T ms] [-m bytes] [-O origin] [-p secs] [-t ms] [-w ms]
 *            url[#weight]...
 *   ws-probe -S mode
 *
 * The client prints one line per event on stdout and exits 0 after a
 * response and a clean close, else with the exit code of the last error. */
#include "exitcode.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
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

#include "loop.h"
#include "uri.h"
#include "ws.h"

#define MAX_SERVERS 8

struct probe {
	struct loop *loop;
	struct ws *ws;
	const char *message_file;
	bool send_nothing;
	bool quiet;
	bool phases; /* -P: milliseconds of each step on stderr */
	uint64_t t0;
	unsigned wait_ms;
	int received;
	int last_err;
	bool got_response;
	struct loop_timer t_wait;
};

static const char *errno_name(int err)
{
	switch (err) {
	case 0: return "OK";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EPROTO: return "EPROTO";
	case WS_ETLS_VERIFY: return "WS_ETLS_VERIFY";
	case WS_ETLS: return "WS_ETLS";
	case EMSGSIZE: return "EMSGSIZE";
	case EBADMSG: return "EBADMSG";
	case EILSEQ: return "EILSEQ";
	case ECONNRESET: return "ECONNRESET";
	default: return "E?";
	}
}

/* The tools' mapping of transport failures (exitcode.h). */
static int exit_code(int err)
{
	return exitcode_from_transport(err);
}

static void log_line(enum loop_log_level level, const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "ws-probe: [%d] %s\n", (int)level, msg);
}

static char *read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (!f)
		return NULL;
	do {
		if (len == cap) {
			char *p = realloc(buf, cap ? cap * 2 : 4096);

			if (!p) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = p;
			cap = cap ? cap * 2 : 4096;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	*lenp = len;
	return buf;
}

static int send_request(struct probe *p, const char *url)
{
	char host[300], msg[1024], reason[64];
	struct uri_ws u;
	unsigned r = (unsigned)getpid() ^ (unsigned)loop_now_ms();
	size_t len;
	char *file;
	int n, err;

	if (p->message_file) {
		file = read_file(p->message_file, &len);
		if (!file)
			return errno ? errno : EIO;
		err = ws_send(p->ws, file, len);
		free(file);
		return err;
	}
	if (uri_ws_decode(&u, url, strlen(url), reason, sizeof(reason)))
		return EINVAL;
	snprintf(host, sizeof(host), "%s%.*s%s",
		 u.host_type == URI_HOST_IPV6 ? "[" : "", (int)u.host.len,
		 u.host.p, u.host_type == URI_HOST_IPV6 ? "]" : "");
	n = snprintf(msg, sizeof(msg),
		     "OPTIONS sip:%s SIP/2.0\r\n"
		     "Via: SIP/2.0/%s probe.invalid;branch=z9hG4bK%08x;rport\r\n"
		     "Max-Forwards: 70\r\n"
		     "To: <sip:%s>\r\n"
		     "From: <sip:probe@probe.invalid>;tag=%08x\r\n"
		     "Call-ID: %08x@probe.invalid\r\n"
		     "CSeq: 1 OPTIONS\r\n"
		     "Accept: application/sdp\r\n"
		     "Content-Length: 0\r\n\r\n",
		     host, u.secure ? "WSS" : "WS", r, host, r * 7u, r * 13u);
	return ws_send(p->ws, msg, (size_t)n);
}

static void phase(struct probe *p, const char *what)
{
	if (p->phases)
		fprintf(stderr, "ws-probe: %-10s %6.2f ms\n", what,
			(double)(loop_now_us() - p->t0) / 1000.0);
}

static void wait_done(void *arg)
{
	struct probe *p = arg;

	ws_close(p->ws);
}

static void on_event(const struct ws_event *ev, void *arg)
{
	struct probe *p = arg;
	const char *eol;
	int err;

	switch (ev->type) {
	case WS_EVENT_CONNECTED:
		phase(p, "connected");
		p->last_err = 0;
		if (!p->quiet)
			printf("connected %s\n", ev->url);
		if (!p->send_nothing) {
			err = send_request(p, ev->url);
			if (err) {
				printf("send failed: %s\n", strerror(err));
				p->last_err = err;
				ws_close(p->ws);
				break;
			}
		}
		if (p->wait_ms)
			loop_timer_start(&p->t_wait, p->loop, p->wait_ms,
					 wait_done, p);
		break;
	case WS_EVENT_MESSAGE:
		phase(p, "message");
		p->received++;
		eol = memchr(ev->data, '\r', ev->len);
		if (!p->quiet)
			printf("message %zu bytes: %.*s\n", ev->len,
			       (int)((eol ? eol : ev->data + ev->len) - ev->data),
			       ev->data);
		if (ev->len >= 8 && memcmp(ev->data, "SIP/2.0 ", 8) == 0)
			p->got_response = true;
		if (!p->wait_ms)
			ws_close(p->ws);
		break;
	case WS_EVENT_DISCONNECTED:
		phase(p, "closed");
		if (!p->quiet || ev->err)
			printf("disconnected %s %s retry=%s%llu (%s)\n", ev->url,
			       errno_name(ev->err), ev->retry ? "" : "none/",
			       (unsigned long long)ev->retry_ms, ev->reason);
		if (ev->err)
			p->last_err = ev->err;
		if (!ev->retry)
			loop_stop(p->loop);
		break;
	case WS_EVENT_WRITABLE:
		break; /* it sends one message */
	}
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ws-probe [-gknPqrv] [-b min:max] [-C cafile] [-F secs] "
		"[-f file] [-K ms]\n"
		"                [-T ms] [-m bytes] [-O origin] [-p secs] [-t ms] "
		"[-w ms] url[#weight]...\n"
		"       ws-probe -S ping|pong|nopong|fragments|big|noproto|"
		"badproto|http404|silent\n");
	exit(SIPWS_EXIT_USAGE);
}

static int serve(const char *mode);

int main(int argc, char **argv)
{
	struct loop_config lcfg = {.backend = LOOP_NATIVE};
	struct ws_config wcfg = {0};
	struct ws_server servers[MAX_SERVERS];
	struct probe p = {0};
	int c, i, verbose = 0, err, code;

	p.t0 = loop_now_us();
	while ((c = getopt(argc, argv, "b:C:F:f:gK:km:nO:p:PqrS:T:t:vw:")) != -1) {
		switch (c) {
		case 'b':
			if (sscanf(optarg, "%u:%u", &wcfg.reconnect_min_secs,
				   &wcfg.reconnect_max_secs) != 2)
				usage();
			break;
		case 'C':
			wcfg.tls_ca_file = optarg;
			break;
		case 'F':
			wcfg.probe_interval_secs = (unsigned)atoi(optarg);
			break;
		case 'f':
			p.message_file = optarg;
			break;
		case 'g':
			lcfg.backend = LOOP_GLIB;
			break;
		case 'K':
			wcfg.keepalive_interval_ms = (unsigned)atoi(optarg);
			break;
		case 'k':
			wcfg.tls_insecure = true;
			break;
		case 'm':
			wcfg.max_message = (size_t)atol(optarg);
			break;
		case 'n':
			p.send_nothing = true;
			break;
		case 'O':
			wcfg.origin = optarg;
			break;
		case 'p':
			wcfg.ping_interval_secs = (unsigned)atoi(optarg);
			break;
		case 'P':
			p.phases = true;
			break;
		case 'q':
			p.quiet = true;
			break;
		case 'r':
			wcfg.reconnect = true;
			break;
		case 'S':
			return serve(optarg);
		case 'T':
			wcfg.keepalive_timeout_ms = (unsigned)atoi(optarg);
			break;
		case 't':
			wcfg.connect_timeout_ms = (unsigned)atoi(optarg);
			break;
		case 'v':
			verbose++;
			break;
		case 'w':
			p.wait_ms = (unsigned)atoi(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > MAX_SERVERS)
		usage();
	for (i = 0; i < argc; i++) {
		/* url#weight: '#' cannot be part of a WebSocket URL */
		char *hash = strchr(argv[i], '#');

		servers[i].url = argv[i];
		servers[i].weight = 0;
		if (hash) {
			*hash = '\0';
			servers[i].weight = (unsigned)atoi(hash + 1);
		}
	}
	wcfg.servers = servers;
	wcfg.nservers = (size_t)argc;
	if (verbose) {
		lcfg.log_h = log_line;
		lcfg.log_level = (enum loop_log_level)verbose;
	}

	phase(&p, "start");
	err = loop_alloc(&p.loop, &lcfg);
	phase(&p, "loop_alloc");
	if (err) {
		fprintf(stderr, "ws-probe: loop: %s\n", strerror(err));
		return SIPWS_EXIT_SOFTWARE;
	}
	err = loop_stop_on_signals(p.loop);
	if (!err)
		err = ws_alloc(&p.ws, p.loop, &wcfg, on_event, &p);
	if (!err)
		err = ws_connect(p.ws);
	if (err) {
		fprintf(stderr, "ws-probe: %s\n", strerror(err));
		ws_free(p.ws);
		loop_free(p.loop);
		return SIPWS_EXIT_USAGE;
	}
	loop_run(p.loop);
	loop_timer_cancel(&p.t_wait);
	ws_free(p.ws);
	if (loop_signal(p.loop)) {
		int sig = loop_signal(p.loop);

		printf("signal %d\n", sig);
		loop_free(p.loop);
		return 128 + sig;
	}
	loop_free(p.loop);
	phase(&p, "loop_free");

	if (p.last_err)
		code = exit_code(p.last_err);
	else if (!p.send_nothing && !p.got_response)
		code = EXIT_FAILURE;
	else
		code = SIPWS_EXIT_OK;
	return code;
}

/* The scripted server: one connection on 127.0.0.1, port printed first. */

static void say(const char *fmt, const char *data, size_t len)
{
	size_t i;

	printf(fmt, len);
	for (i = 0; data && i < len && i < 60; i++) {
		if (data[i] == '\r')
			fputs("\\r", stdout);
		else if (data[i] == '\n')
			fputs("\\n", stdout);
		else
			putchar(data[i]);
	}
	putchar('\n');
	fflush(stdout);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_frame(int fd, int opcode, bool fin, const char *data,
		       size_t len)
{
	unsigned char h[10];
	size_t hl = 2;

	h[0] = (unsigned char)((fin ? 0x80 : 0) | opcode);
	if (len < 126) {
		h[1] = (unsigned char)len;
	} else if (len < 65536) {
		h[1] = 126;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
		hl = 4;
	} else {
		int i;

		h[1] = 127;
		for (i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
		hl = 10;
	}
	if (write_all(fd, h, hl) || write_all(fd, data, len))
		return -1;
	return 0;
}

/* Read exactly len bytes within timeout_ms; 0, or -1 on EOF/timeout. */
static int read_exact(int fd, void *buf, size_t len, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char *p = buf;
	ssize_t n;

	while (len > 0) {
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -1;
		n = read(fd, p, len);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One client frame (masked); payload into buf (truncated to cap). */
static int read_frame(int fd, int *opcode, char *buf, size_t cap,
		      size_t *lenp, int timeout_ms)
{
	unsigned char h[14], mask[4];
	uint64_t len;
	size_t i;
	char c;

	if (read_exact(fd, h, 2, timeout_ms))
		return -1;
	*opcode = h[0] & 0x0f;
	len = h[1] & 0x7f;
	if (len == 126) {
		if (read_exact(fd, h + 2, 2, timeout_ms))
			return -1;
		len = (uint64_t)h[2] << 8 | h[3];
	} else if (len == 127) {
		if (read_exact(fd, h + 2, 8, timeout_ms))
			return -1;
		for (len = 0, i = 0; i < 8; i++)
			len = len << 8 | h[2 + i];
	}
	if (!(h[1] & 0x80) || read_exact(fd, mask, 4, timeout_ms))
		return -1;
	for (i = 0; i < len; i++) {
		if (read_exact(fd, &c, 1, timeout_ms))
			return -1;
		if (i < cap)
			buf[i] = (char)(c ^ mask[i % 4]);
	}
	*lenp = len < cap ? (size_t)len : cap;
	return 0;
}

/* Print "name: value" of a request header, or "name: -" if absent. */
static void say_header(const char *req, const char *name)
{
	char pat[64];
	const char *v;

	snprintf(pat, sizeof(pat), "\n%s:", name);
	v = strcasestr(req, pat);
	if (!v) {
		printf("%s: -\n", name);
		return;
	}
	v += strlen(pat);
	v += strspn(v, " \t");
	printf("%s: %.*s\n", name, (int)strcspn(v, "\r"), v);
}

static int handshake(int fd, const char *mode)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	char req[8192], key[128], src[200], resp[512];
	unsigned char sha[SHA_DIGEST_LENGTH], accept[64];
	size_t len = 0;
	char *k, *e;

	while (len < sizeof(req) - 1) {
		if (read_exact(fd, req + len, 1, 10000))
			return -1;
		len++;
		req[len] = '\0';
		if (len >= 4 && memcmp(req + len - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	printf("request: %.*s\n", (int)strcspn(req, "\r"), req);
	say_header(req, "Host");
	say_header(req, "Origin");
	say_header(req, "Sec-WebSocket-Protocol");
	fflush(stdout);
	if (strcmp(mode, "http404") == 0) {
		const char r[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";

		write_all(fd, r, sizeof(r) - 1);
		return -1;
	}
	k = strcasestr(req, "\nSec-WebSocket-Key:");
	if (!k)
		return -1;
	k += strlen("\nSec-WebSocket-Key:");
	k += strspn(k, " \t");
	e = strstr(k, "\r\n");
	if (!e || (size_t)(e - k) >= sizeof(key))
		return -1;
	snprintf(key, sizeof(key), "%.*s", (int)(e - k), k);
	snprintf(src, sizeof(src), "%s%s", key, guid);
	SHA1((const unsigned char *)src, strlen(src), sha);
	EVP_EncodeBlock(accept, sha, SHA_DIGEST_LENGTH);
	snprintf(resp, sizeof(resp),
		 "HTTP/1.1 101 Switching Protocols\r\n"
		 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		 "Sec-WebSocket-Accept: %s\r\n%s\r\n",
		 (const char *)accept,
		 strcmp(mode, "noproto") == 0 ? "" :
		 strcmp(mode, "badproto") == 0 ? "Sec-WebSocket-Protocol: xmpp\r\n" :
						 "Sec-WebSocket-Protocol: sip\r\n");
	return write_all(fd, resp, strlen(resp));
}

static const char response[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/WS probe.invalid;branch=z9hG4bK1\r\n"
	"To: <sip:127.0.0.1>;tag=1\r\nFrom: <sip:probe@probe.invalid>;tag=2\r\n"
	"Call-ID: 1@probe.invalid\r\nCSeq: 1 OPTIONS\r\n"
	"Content-Length: 0\r\n\r\n";

/* Frames from the client until EOF, a Close, or timeout; answer Closes;
 * in "pong" mode answer CRLF pings. */
static void serve_frames(int fd, const char *mode, int timeout_ms)
{
	static char buf[1 << 17];
	size_t len;
	int op;

	while (read_frame(fd, &op, buf, sizeof(buf), &len, timeout_ms) == 0) {
		if (op == 8) {
			printf("close %u\n", len >= 2 ?
			       (unsigned)((unsigned char)buf[0] << 8 |
					  (unsigned char)buf[1]) : 0u);
			fflush(stdout);
			write_frame(fd, 8, true, buf, len >= 2 ? 2 : 0);
			return;
		}
		if (op == 9) {
			printf("ws ping\n");
			fflush(stdout);
			if (strcmp(mode, "nopong") != 0)
				write_frame(fd, 10, true, buf, len);
			continue;
		}
		say("frame %zu bytes: ", buf, len);
		if (strcmp(mode, "pong") == 0 && len == 4 &&
		    memcmp(buf, "\r\n\r\n", 4) == 0)
			write_frame(fd, 1, true, "\r\n", 2);
		if (strcmp(mode, "fragments") == 0 && len > 4) {
			size_t a = 10, b = 30, n = sizeof(response) - 1;

			write_frame(fd, 1, false, response, a);
			write_frame(fd, 0, false, response + a, b - a);
			write_frame(fd, 0, true, response + b, n - b);
		}
		if (strcmp(mode, "big") == 0 && len > 4) {
			static char big[70000];
			size_t i;

			memset(big, 'x', sizeof(big));
			/* fragments, as a server may send a large message */
			for (i = 0; i < sizeof(big); i += 16384) {
				size_t n = sizeof(big) - i < 16384 ?
						   sizeof(big) - i : 16384;

				write_frame(fd, i ? 0 : 1, i + n == sizeof(big),
					    big + i, n);
			}
		}
	}
	printf("eof\n");
	fflush(stdout);
}

static int serve(const char *mode)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	struct pollfd pfd;
	int one = 1, lfd, fd;
	char buf[4096];

	signal(SIGPIPE, SIG_IGN);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one,
				  sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 4) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0) {
		perror("ws-probe: listen");
		return SIPWS_EXIT_IOERR;
	}
	printf("port %u\n", (unsigned)ntohs(sa.sin_port));
	fflush(stdout);
	pfd.fd = lfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 20000) <= 0)
		return SIPWS_EXIT_TIMEOUT;
	fd = accept(lfd, NULL, NULL);
	close(lfd);
	if (fd < 0)
		return SIPWS_EXIT_IOERR;
	if (strcmp(mode, "silent") == 0) {
		/* say nothing until the client gives up */
		while (read_exact(fd, buf, 1, 20000) == 0)
			;
		printf("eof\n");
		close(fd);
		return 0;
	}
	if (handshake(fd, mode) == 0) {
		if (strcmp(mode, "ping") == 0)
			write_frame(fd, 1, true, "\r\n\r\n", 4);
		serve_frames(fd, mode, 15000);
	} else {
		/* let the client read the refusal before the close */
		read_exact(fd, buf, 1, 2000);
	}
	close(fd);
	return 0;
}
