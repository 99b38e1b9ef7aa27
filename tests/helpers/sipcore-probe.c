/* Test driver of the SIP core (lib/sip.c, reg.c, im.c) for
 * tests/t0530-sip-core.t: one account on one WebSocket server, one job.
 *
 *   sipcore-probe [options] register            register, print bindings
 *   sipcore-probe [options] query               register-less binding list
 *   sipcore-probe [options] unregister          register, then unregister
 *   sipcore-probe [options] unregister-all      Contact: *
 *   sipcore-probe [options] listen              register, report incoming
 *                                               MESSAGEs and calls
 *   sipcore-probe [options] send URI FILE...    one MESSAGE per file
 *                                               ("-" for an empty body)
 *   sipcore-probe [options] pipeline URI N      N MESSAGEs "message I"
 *   sipcore-probe [options] call URI            INVITE, CANCEL at 180
 *   sipcore-probe answer PORTFILE               a peer answering 200 to
 *                                               everything (benchmarks)
 *
 * Options: -s URL server (required), -u AoR (required), -p password,
 * -C cafile, -e expires, -T timeout_ms (Timer B/F), -i instance-uuid,
 * -H "Name: value" (extra header, repeatable), -r (reconnect), -v (SIP
 * trace on stderr), -w ms (listen: stop after; default 10000),
 * -n count (listen: stop after this many events "message"/"call ended";
 * register: after this many registrations), -o dir (listen: write each
 * body to dir/body.N), -x code (listen: reject calls with it),
 * -Q n (ws queue length; default 256), -R (call: CANCEL with Reason: SIP;cause=200), -k (call: no CANCEL,
 * wait for the final response), -W window, -c type.
 *
 * Prints one line per event on stdout (flushed) and exits with the tools'
 * exit code of the outcome (exitcode.h). */
#include "exitcode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "im.h"
#include "loop.h"
#include "reg.h"
#include "sip.h"

#define MAX_HEADERS 8

struct probe {
	struct loop *loop;
	struct sip *sip;
	struct reg *reg;
	struct im *im;
	const char *cmd;
	const char *outdir;
	unsigned reject;
	bool elsewhere;
	bool keep_ringing;
	unsigned count;          /* events wanted */
	unsigned seen;
	unsigned registrations;
	int result;              /* exit code */
	bool done;
	bool stopping;
	int transport_err;       /* last DISCONNECTED reason */
	uint64_t t_start;
	unsigned long npipe;
	unsigned long nresults;
	unsigned long n200;
	uint64_t lat_sum, lat_max;
	struct sip_request *call;
	struct loop_timer t_wait;
	struct loop_timer t_stop;
	const char *target;
	char **files;
	int nfiles;
	const char *content_type;
};

static void stop_cb(void *arg)
{
	struct probe *p = arg;

	loop_stop(p->loop);
}

/* Stop a little later, so that what was just queued (our last answers)
 * reaches the server first. */
static void finish(struct probe *p, int code)
{
	if (p->done)
		return;
	p->done = true;
	p->result = code;
	loop_timer_start(&p->t_stop, p->loop, 200, stop_cb, p);
}

static const char *errno_name(int err)
{
	switch (err) {
	case 0: return "0";
	case EKEYREJECTED: return "EKEYREJECTED";
	case EPERM: return "EPERM";
	case WS_ETLS_VERIFY: return "WS_ETLS_VERIFY";
	case WS_ETLS: return "WS_ETLS";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECONNRESET: return "ECONNRESET";
	case ECANCELED: return "ECANCELED";
	case EPROTO: return "EPROTO";
	case ECONNREFUSED: return "ECONNREFUSED";
	default: return strerror(err);
	}
}

static int code_of(int err, unsigned status)
{
	if (err == WS_ETLS_VERIFY || err == WS_ETLS)
		return SIPWS_EXIT_TLS;
	if (err != 0)
		return exitcode_from_errno(err);
	return exitcode_from_sip_status((int)status, 0);
}

static void print_span(const char *label, struct span s)
{
	printf(" %s=%.*s", label, (int)s.len, s.p ? s.p : "");
}

static void log_line(enum loop_log_level level, const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "sipcore-probe: [%d] %s\n", (int)level, msg);
}

static void trace(bool out, const char *data, size_t len, void *arg)
{
	size_t i;

	(void)arg;
	/* CRs dropped so that the test can anchor lines with $ */
	fprintf(stderr, "---- %s %zu bytes\n", out ? "sent" : "received", len);
	for (i = 0; i < len; i++)
		if (data[i] != '\r')
			fputc(data[i], stderr);
	fputc('\n', stderr);
}

static void print_bindings(const struct reg_event *ev)
{
	size_t i;

	for (i = 0; i < ev->nbindings; i++) {
		const struct reg_binding *b = &ev->bindings[i];

		printf("binding %s expires=%lu ours=%d", b->uri,
		       (unsigned long)b->expires, b->ours ? 1 : 0);
		if (b->pub_gruu != NULL)
			printf(" pub-gruu=%s", b->pub_gruu);
		if (b->temp_gruu != NULL)
			printf(" temp-gruu=yes");
		printf("\n");
	}
}

static void on_reg(const struct reg_event *ev, void *arg)
{
	struct probe *p = arg;

	switch (ev->type) {
	case REG_REGISTERED:
		p->registrations++;
		printf("registered expires=%lu refresh=%d bindings=%zu\n",
		       (unsigned long)ev->expires, ev->refresh ? 1 : 0,
		       ev->nbindings);
		print_bindings(ev);
		fflush(stdout);
		if (strcmp(p->cmd, "unregister") == 0) {
			if (reg_unregister(p->reg) != 0)
				finish(p, SIPWS_EXIT_SOFTWARE);
		} else if (strcmp(p->cmd, "register") == 0 &&
			   p->registrations >= (p->count ? p->count : 1)) {
			finish(p, SIPWS_EXIT_OK);
		}
		return;
	case REG_FAILED:
		printf("registration-failed err=%s status=%u reason=%s\n",
		       errno_name(ev->err), ev->status, ev->reason);
		fflush(stdout);
		/* the transport gave up: its event (next) says why */
		if (ev->err == ECONNRESET && !sip_is_connected(p->sip))
			return;
		if (!reg_is_registered(p->reg) && strcmp(p->cmd, "listen") != 0)
			finish(p, code_of(ev->err, ev->status));
		else if (strcmp(p->cmd, "listen") == 0 && !ev->refresh &&
			 ev->err != ECONNRESET)
			finish(p, code_of(ev->err, ev->status));
		return;
	case REG_UNREGISTERED:
		printf("unregistered err=%s bindings=%zu\n", errno_name(ev->err),
		       ev->nbindings);
		print_bindings(ev);
		fflush(stdout);
		if (ev->err == 0)
			finish(p, SIPWS_EXIT_OK);
		return;
	case REG_QUERIED:
		printf("queried status=%u bindings=%zu\n", ev->status,
		       ev->nbindings);
		print_bindings(ev);
		fflush(stdout);
		finish(p, SIPWS_EXIT_OK);
		return;
	}
}

static void on_transport(const struct sip_transport_event *ev, void *arg)
{
	struct probe *p = arg;

	if (p->stopping) {
		if (ev->type == SIP_TRANSPORT_DISCONNECTED)
			loop_stop(p->loop);
		return;
	}
	if (ev->type == SIP_TRANSPORT_CONNECTED) {
		printf("transport connected\n");
	} else {
		printf("transport lost err=%s retry=%d\n", errno_name(ev->err),
		       ev->retry ? 1 : 0);
		p->transport_err = ev->err;
		if (!ev->retry && !p->done)
			finish(p, ev->err == WS_ETLS_VERIFY || ev->err == WS_ETLS
					  ? SIPWS_EXIT_TLS
					  : SIPWS_EXIT_UNAVAILABLE);
	}
	fflush(stdout);
}

static unsigned on_message(const struct sip_incoming_message *m, void *arg)
{
	struct probe *p = arg;
	char path[4096];
	FILE *f;

	p->seen++;
	printf("message %u", p->seen);
	print_span("from", m->from_uri);
	print_span("to", m->to_uri);
	print_span("type", m->content_type);
	printf(" len=%zu\n", m->body.len);
	fflush(stdout);
	if (p->outdir != NULL) {
		snprintf(path, sizeof(path), "%s/body.%u", p->outdir, p->seen);
		f = fopen(path, "wb");
		if (f != NULL) {
			if (m->body.len > 0)
				fwrite(m->body.p, 1, m->body.len, f);
			fclose(f);
		}
	}
	if (p->count && p->seen >= p->count)
		finish(p, SIPWS_EXIT_OK);
	return 200;
}

static void on_call(const struct sip_call_event *ev, void *arg)
{
	struct probe *p = arg;

	if (ev->type == SIP_CALL_INCOMING) {
		printf("call incoming");
		print_span("from", ev->from_uri);
		print_span("to", ev->to_uri);
		print_span("call-id", ev->call_id);
		printf("\n");
		fflush(stdout);
		if (p->reject)
			(void)sip_call_reject(ev->call, p->reject, NULL);
		return;
	}
	p->seen++;
	printf("call ended reason=%s status=%u\n", sip_call_end_name(ev->end),
	       ev->status);
	fflush(stdout);
	if (p->count && p->seen >= p->count)
		finish(p, SIPWS_EXIT_OK);
}

static void on_im(const struct im_result *res, void *arg)
{
	struct probe *p = arg;

	p->nresults++;
	if (res->err == 0 && res->status == 200)
		p->n200++;
	p->lat_sum += res->latency_us;
	if (res->latency_us > p->lat_max)
		p->lat_max = res->latency_us;
	if (strcmp(p->cmd, "send") == 0) {
		printf("result %lu status=%u err=%s reason=%s\n",
		       (unsigned long)res->id, res->status, errno_name(res->err),
		       res->reason);
		fflush(stdout);
		if (p->result == 0 || p->result == -1)
			p->result = code_of(res->err, res->status);
	} else if (res->err != 0 || res->status != 200) {
		printf("result %lu status=%u err=%s\n", (unsigned long)res->id,
		       res->status, errno_name(res->err));
	}
	if (im_pending(p->im) == 0) {
		if (strcmp(p->cmd, "pipeline") == 0) {
			struct sip_stats st;
			double secs = (double)(loop_now_us() - p->t_start) / 1e6;

			struct rusage ru;
			double cpu;

			getrusage(RUSAGE_SELF, &ru);
			cpu = (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec +
			      (double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec;
			sip_stats_get(p->sip, &st);
			printf("pipeline sent=%lu ok=%lu challenges=%lu "
			       "seconds=%.3f rate=%.0f cpu_us_per_message=%.1f "
			       "avg_latency_us=%lu "
			       "max_latency_us=%lu backlog_max=%lu\n",
			       p->npipe, p->n200, (unsigned long)st.challenges,
			       secs, secs > 0 ? (double)p->nresults / secs : 0.0,
			       p->nresults ? cpu / (double)p->nresults : 0.0,
			       p->nresults ? (unsigned long)(p->lat_sum / p->nresults) : 0ul,
			       (unsigned long)p->lat_max,
			       (unsigned long)st.backlog_max);
			fflush(stdout);
			finish(p, p->n200 == p->npipe ? SIPWS_EXIT_OK : EXIT_FAILURE);
		} else {
			int r = p->result;

			finish(p, r < 0 ? SIPWS_EXIT_OK : r);
		}
	}
}

static void on_call_response(struct sip_request *req,
			     const struct sip_response *resp, void *arg)
{
	struct probe *p = arg;

	(void)req;
	if (!resp->final) {
		printf("call progress status=%u\n", resp->status);
		fflush(stdout);
		if (resp->status == 180 && !p->keep_ringing)
			(void)sip_request_cancel(
				p->call, p->elsewhere
						 ? "SIP;cause=200;text=\"Call completed elsewhere\""
						 : NULL);
		return;
	}
	p->call = NULL;
	printf("call final status=%u err=%s challenges=%u\n", resp->status,
	       errno_name(resp->err), resp->challenges);
	fflush(stdout);
	finish(p, resp->err == 0 && resp->status == 487 && !p->keep_ringing
			  ? SIPWS_EXIT_OK
			  : code_of(resp->err, resp->status));
}

static char *read_file(const char *path, size_t *lenp)
{
	FILE *f;
	char *buf = NULL, *q;
	size_t cap = 0, len = 0, n;

	*lenp = 0;
	if (strcmp(path, "-") == 0)
		return calloc(1, 1);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			q = realloc(buf, cap);
			if (q == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = q;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	*lenp = len;
	return buf;
}

static int start_job(struct probe *p)
{
	struct im_message m;
	unsigned long i;
	int err = 0, k;

	if (strcmp(p->cmd, "register") == 0 || strcmp(p->cmd, "listen") == 0 ||
	    strcmp(p->cmd, "unregister") == 0)
		return reg_register(p->reg);
	if (strcmp(p->cmd, "query") == 0)
		return reg_query(p->reg);
	if (strcmp(p->cmd, "unregister-all") == 0)
		return reg_unregister_all(p->reg);
	if (strcmp(p->cmd, "send") == 0) {
		p->result = -1;
		for (k = 0; k < p->nfiles && err == 0; k++) {
			size_t len;
			char *body = read_file(p->files[k], &len);

			if (body == NULL)
				return errno ? errno : EIO;
			memset(&m, 0, sizeof(m));
			m.to = p->target;
			m.content_type = p->content_type;
			m.body = body;
			m.len = len;
			err = im_send(p->im, &m, NULL);
			free(body);
		}
		return err;
	}
	if (strcmp(p->cmd, "pipeline") == 0) {
		char text[64];

		p->t_start = loop_now_us();
		for (i = 1; i <= p->npipe && err == 0; i++) {
			memset(&m, 0, sizeof(m));
			m.to = p->target;
			m.body = text;
			m.len = (size_t)snprintf(text, sizeof(text), "message %lu", i);
			err = im_send(p->im, &m, NULL);
		}
		return err;
	}
	if (strcmp(p->cmd, "call") == 0) {
		static const char sdp[] =
			"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
			"c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
			"m=audio 9 RTP/AVP 0\r\n";
		struct sip_request_spec spec;
		struct sipmsg *msg = NULL;

		memset(&spec, 0, sizeof(spec));
		spec.method = "INVITE";
		spec.request_uri = p->target;
		spec.contact = true;
		spec.content_type = "application/sdp";
		spec.body = sdp;
		spec.body_len = sizeof(sdp) - 1;
		err = sip_request_new(p->sip, &spec, &msg);
		if (err != 0)
			return err;
		return sip_request_send(p->sip, msg, on_call_response, p, &p->call);
	}
	return EINVAL;
}

static void wait_cb(void *arg)
{
	struct probe *p = arg;

	printf("timeout\n");
	fflush(stdout);
	finish(p, strcmp(p->cmd, "listen") == 0 && p->count == 0 ? SIPWS_EXIT_OK
								 : SIPWS_EXIT_TIMEOUT);
}

/* ---- "answer": a minimal SIP-over-WebSocket peer for benchmarks ------- */

/* One connection on 127.0.0.1 (port written to portfile), every request
 * answered 200 at once, responses batched per read: it costs the
 * measured client as little as a peer can. */
static int answer_serve(const char *portfile)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	struct sockaddr_in sa;
	socklen_t slen = sizeof(sa);
	unsigned char sha[SHA_DIGEST_LENGTH];
	char *in = malloc(1 << 20), *out = malloc(1 << 22), key[128], accept_key[64];
	char hs[512], *k, *e;
	size_t inlen = 0, outlen, i;
	unsigned long answered = 0, acks = 0, byes = 0;
	int ls, fd, one = 1, n;
	FILE *f;

	if (in == NULL || out == NULL)
		return SIPWS_EXIT_SOFTWARE;
	ls = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(ls, 1) != 0 ||
	    getsockname(ls, (struct sockaddr *)&sa, &slen) != 0)
		return SIPWS_EXIT_SOFTWARE;
	f = fopen(portfile, "w");
	if (f == NULL)
		return SIPWS_EXIT_IOERR;
	fprintf(f, "%u\n", (unsigned)ntohs(sa.sin_port));
	fclose(f);
	fd = accept(ls, NULL, NULL);
	close(ls);
	if (fd < 0)
		return SIPWS_EXIT_SOFTWARE;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* the upgrade */
	while (inlen < 65536) {
		n = (int)read(fd, in + inlen, 65536 - inlen);
		if (n <= 0)
			return SIPWS_EXIT_PROTOCOL;
		inlen += (size_t)n;
		in[inlen] = '\0';
		if (strstr(in, "\r\n\r\n") != NULL)
			break;
	}
	k = strcasestr(in, "Sec-WebSocket-Key:");
	if (k == NULL)
		return SIPWS_EXIT_PROTOCOL;
	k += 18;
	while (*k == ' ')
		k++;
	e = strstr(k, "\r\n");
	snprintf(key, sizeof(key), "%.*s%s", (int)(e - k), k, guid);
	SHA1((const unsigned char *)key, strlen(key), sha);
	EVP_EncodeBlock((unsigned char *)accept_key, sha, SHA_DIGEST_LENGTH);
	n = snprintf(hs, sizeof(hs),
		     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
		     "Sec-WebSocket-Protocol: sip\r\n\r\n", accept_key);
	if (write(fd, hs, (size_t)n) != n)
		return SIPWS_EXIT_PROTOCOL;
	inlen = 0;
	for (;;) {
		size_t pos = 0;

		n = (int)read(fd, in + inlen, (1 << 20) - inlen);
		if (n <= 0)
			break;
		inlen += (size_t)n;
		outlen = 0;
		/* every complete client frame (masked, no fragments) */
		while (inlen - pos >= 6) {
			unsigned char *b = (unsigned char *)in + pos;
			size_t plen = b[1] & 0x7f, hl = 2;
			unsigned char *mask, *payload;
			struct sipmsg *req = NULL, *resp = NULL;
			size_t rlen;

			if (plen == 126) {
				plen = ((size_t)b[2] << 8) | b[3];
				hl = 4;
			} else if (plen == 127) {
				break; /* not for SIP messages */
			}
			if (inlen - pos < hl + 4 + plen)
				break;
			mask = b + hl;
			payload = mask + 4;
			for (i = 0; i < plen; i++)
				payload[i] ^= mask[i & 3];
			pos += hl + 4 + plen;
			if ((b[0] & 0x0f) == 0x8)
				goto done; /* close */
			if ((b[0] & 0x0f) != 0x1 && (b[0] & 0x0f) != 0x2)
				continue;
			if (sipmsg_decode(&req, (char *)payload, plen, NULL, 0) != 0)
				continue;
			if (span_eq(sipmsg_method(req), "ACK"))
				acks++;
			else if (span_eq(sipmsg_method(req), "BYE"))
				byes++;
			if (sipmsg_is_request(req) &&
			    !span_eq(sipmsg_method(req), "ACK") &&
			    sipmsg_new_reply(&resp, req, 200, NULL, "answer") == 0) {
				char *o = out + outlen + 4;

				if (span_eq(sipmsg_method(req), "INVITE"))
					sipmsg_header_add(resp, "Contact",
							  "<sip:answer@127.0.0.1;transport=ws>");
				if (span_eq(sipmsg_method(req), "REGISTER")) {
					struct sipmsg_header h;

					if (sipmsg_header_get_id(req, SIPMSG_HDR_CONTACT, 0, &h) == 0) {
						char *v = span_dup(h.value);

						if (v != NULL)
							sipmsg_header_add(resp, "Contact", v);
						free(v);
					}
				}
				if (outlen + 70000 < (1u << 22) &&
				    sipmsg_encode(resp, o, 65536, &rlen) == 0) {
					out[outlen] = (char)0x81;
					out[outlen + 1] = 126;
					out[outlen + 2] = (char)(rlen >> 8);
					out[outlen + 3] = (char)(rlen & 0xff);
					outlen += 4 + rlen;
					answered++;
				}
			}
			sipmsg_free(resp);
			sipmsg_free(req);
		}
		memmove(in, in + pos, inlen - pos);
		inlen -= pos;
		for (i = 0; i < outlen;) {
			n = (int)write(fd, out + i, outlen - i);
			if (n <= 0)
				goto done;
			i += (size_t)n;
		}
	}
done:
	close(fd);
	free(in);
	free(out);
	fprintf(stderr, "sipcore-probe: answered %lu requests, ack=%lu bye=%lu\n",
		answered, acks, byes);
	return SIPWS_EXIT_OK;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: sipcore-probe -s url -u aor [-p password] [-C ca] [-e expires]\n"
		"       [-T ms] [-i uuid] [-H header]... [-krRv] [-w ms] [-n count]\n"
		"       [-o dir] [-Q queue] [-x code] [-W window] [-c type] command [args]\n");
	exit(SIPWS_EXIT_USAGE);
}

int main(int argc, char **argv)
{
	struct probe p;
	struct loop_config lcfg = {.backend = LOOP_NATIVE};
	struct sip_config scfg;
	struct reg_config rcfg;
	struct im_config icfg;
	struct ws_server server = {NULL, 1};
	const char *headers[MAX_HEADERS + 1];
	unsigned wait_ms = 10000;
	size_t queue = 256;
	int nheaders = 0, c, err;
	bool verbose = false;

	memset(&p, 0, sizeof(p));
	memset(&scfg, 0, sizeof(scfg));
	memset(&rcfg, 0, sizeof(rcfg));
	memset(&icfg, 0, sizeof(icfg));
	while ((c = getopt(argc, argv, "C:c:e:H:i:kn:o:p:Q:RrS:s:T:u:vW:w:x:")) != -1) {
		switch (c) {
		case 'C':
			scfg.ws.tls_ca_file = optarg;
			break;
		case 'c':
			p.content_type = optarg;
			break;
		case 'e':
			rcfg.expires = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'H':
			if (nheaders == MAX_HEADERS)
				usage();
			headers[nheaders++] = optarg;
			break;
		case 'i':
			scfg.instance_id = optarg;
			break;
		case 'k':
			p.keep_ringing = true;
			break;
		case 'n':
			p.count = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'o':
			p.outdir = optarg;
			break;
		case 'p':
			scfg.password = optarg;
			break;
		case 'Q':
			queue = (size_t)strtoul(optarg, NULL, 10);
			break;
		case 'R':
			p.elsewhere = true;
			break;
		case 'r':
			scfg.ws.reconnect = true;
			break;
		case 's':
			server.url = optarg;
			break;
		case 'T':
			scfg.timeout_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'u':
			scfg.uri = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'W':
			icfg.window = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'w':
			wait_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'x':
			p.reject = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 2 && strcmp(argv[0], "answer") == 0)
		return answer_serve(argv[1]);
	if (argc < 1 || server.url == NULL || scfg.uri == NULL)
		usage();
	p.cmd = argv[0];
	if (strcmp(p.cmd, "send") == 0) {
		if (argc < 3)
			usage();
		p.target = argv[1];
		p.files = argv + 2;
		p.nfiles = argc - 2;
	} else if (strcmp(p.cmd, "pipeline") == 0) {
		if (argc != 3)
			usage();
		p.target = argv[1];
		p.npipe = strtoul(argv[2], NULL, 10);
	} else if (strcmp(p.cmd, "call") == 0) {
		if (argc != 2)
			usage();
		p.target = argv[1];
	} else if (argc != 1) {
		usage();
	}
	headers[nheaders] = NULL;
	scfg.extra_headers = nheaders ? headers : NULL;
	scfg.ws.servers = &server;
	scfg.ws.nservers = 1;
	scfg.ws.max_queue = queue;
	if (verbose) {
		lcfg.log_h = log_line;
		lcfg.log_level = LOOP_LOG_INFO;
	}
	err = loop_alloc(&p.loop, &lcfg);
	if (err != 0) {
		fprintf(stderr, "sipcore-probe: loop: %s\n", strerror(err));
		return exitcode_from_errno(err);
	}
	err = sip_alloc(&p.sip, p.loop, &scfg);
	if (err == 0)
		err = reg_alloc(&p.reg, p.sip, &rcfg, on_reg, &p);
	if (err == 0)
		err = im_alloc(&p.im, p.sip, &icfg, on_im, &p);
	if (err == 0) {
		if (verbose)
			sip_set_trace(p.sip, trace, &p);
		sip_set_message_handler(p.sip, on_message, &p);
		sip_set_call_handler(p.sip, on_call, &p);
		err = sip_transport_watch(p.sip, on_transport, &p);
	}
	if (err == 0)
		err = sip_start(p.sip);
	if (err == 0)
		err = start_job(&p);
	if (err != 0) {
		fprintf(stderr, "sipcore-probe: %s\n", strerror(err));
		p.result = exitcode_from_errno(err);
	} else {
		loop_timer_init(&p.t_wait);
		loop_timer_init(&p.t_stop);
		loop_timer_start(&p.t_wait, p.loop, wait_ms, wait_cb, &p);
		loop_run(p.loop);
		loop_timer_cancel(&p.t_wait);
		loop_timer_cancel(&p.t_stop);
		/* a polite end: pending requests fail, ringing calls get 480,
		 * the WebSocket is closed after what is queued */
		if (sip_is_connected(p.sip)) {
			p.stopping = true;
			sip_stop(p.sip);
			loop_timer_start(&p.t_stop, p.loop, 2000, stop_cb, &p);
			loop_run(p.loop);
			loop_timer_cancel(&p.t_stop);
		}
		if (verbose) {
			struct sip_stats st;

			sip_stats_get(p.sip, &st);
			fprintf(stderr, "sipcore-probe: stats requests_sent=%lu "
				"challenges=%lu responses_received=%lu "
				"requests_received=%lu responses_sent=%lu "
				"dropped=%lu backlog_max=%lu\n",
				(unsigned long)st.requests_sent,
				(unsigned long)st.challenges,
				(unsigned long)st.responses_received,
				(unsigned long)st.requests_received,
				(unsigned long)st.responses_sent,
				(unsigned long)st.dropped,
				(unsigned long)st.backlog_max);
		}
	}
	im_free(p.im);
	reg_free(p.reg);
	sip_free(p.sip);
	loop_free(p.loop);
	return p.result;
}
