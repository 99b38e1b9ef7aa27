/* webrtc-check's server suite: each configured WebSocket server step by
 * step (DNS, TCP connect, TLS with verification, the WebSocket upgrade
 * asking for the "sip" subprotocol, an OPTIONS round trip), each step
 * timed and reported on its own, so a failure names the step. The
 * transport (ws.c) runs these steps as one, on the loop; here they run
 * synchronously over a socket of our own, with ws.c's WebSocket protocol
 * (wsframe.h), its trust rules (the CA file or the system's, the name
 * checked against the certificate, IP SANs for literals) and the SIP
 * message codec (sipmsg.h). */
#include "check-server.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "internal/check-io.h"
#include "random.h"
#include "sipmsg.h"
#include "uri.h"
#include "wsframe.h"

static const char suite[] = "server";

/* Certificates expiring sooner are a warning. */
#define EXPIRY_WARN_DAYS 14
#define BUF_SIZE 65536

struct conn {
	const char *url;
	struct uri_ws u;
	char host[256];        /* without brackets */
	char host_header[300]; /* host[:port], IPv6 in brackets */
	char path[1024];
	struct check_io io;
	unsigned timeout_ms;
	char buf[BUF_SIZE]; /* bytes received and not yet used */
	size_t len;
};

/* Append what arrives to c->buf. */
static int conn_read(struct conn *c)
{
	size_t n;
	int err;

	if (c->len == sizeof(c->buf))
		return EMSGSIZE;
	err = check_io_read(&c->io, c->buf + c->len, sizeof(c->buf) - c->len, &n);
	c->len += n;
	return err;
}

static void consume(struct conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

/* ---- the steps ------------------------------------------------------- */

static bool step_dns(struct conn *c, const struct check_sink *sink,
		     struct addrinfo **res)
{
	struct addrinfo hints = {0};
	struct check_result r;
	char port[8];
	double t0;
	int rc;

	check_init(&r, suite, "dns %s", c->url);
	check_start(sink, &r);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	snprintf(port, sizeof(port), "%u", c->u.port);
	t0 = check_now_ms();
	rc = getaddrinfo(c->host, port, &hints, res);
	check_figure_add(&r, "ms", check_now_ms() - t0, "ms");
	if (rc) {
		check_set(&r, CHECK_FAIL, "unreachable: %s does not resolve (%s)",
			  c->host, gai_strerror(rc));
	} else {
		char addr[INET6_ADDRSTRLEN] = "?";
		struct addrinfo *a;
		unsigned n = 0;

		for (a = *res; a; a = a->ai_next)
			n++;
		getnameinfo((*res)->ai_addr, (*res)->ai_addrlen, addr,
			    sizeof(addr), NULL, 0, NI_NUMERICHOST);
		check_figure_add(&r, "addresses", n, "");
		check_set(&r, CHECK_PASS, "%s is %s", c->host, addr);
	}
	check_report(sink, &r);
	return rc == 0;
}

static bool step_tcp(struct conn *c, const struct check_sink *sink,
		     const struct addrinfo *res)
{
	char addr[INET6_ADDRSTRLEN + 8] = "?";
	struct check_result r;
	const struct addrinfo *a;
	double t0 = check_now_ms();
	int err = ENOENT;

	check_init(&r, suite, "tcp %s", c->url);
	check_start(sink, &r);
	for (a = res; a; a = a->ai_next) {
		c->io.deadline = check_now_ms() + c->timeout_ms;
		getnameinfo(a->ai_addr, a->ai_addrlen, addr, sizeof(addr), NULL,
			    0, NI_NUMERICHOST);
		err = check_io_connect(&c->io, a->ai_addr, a->ai_addrlen,
				       SOCK_STREAM);
		if (!err)
			break;
	}
	check_figure_add(&r, "ms", check_now_ms() - t0, "ms");
	if (!err)
		check_set(&r, CHECK_PASS, "connected to %s port %u", addr,
			  c->u.port);
	else if (err == ETIMEDOUT)
		check_set(&r, CHECK_FAIL, "timeout: %s port %u did not answer "
					  "within %u ms", addr, c->u.port,
			  c->timeout_ms);
	else
		check_set(&r, CHECK_FAIL, "unreachable: %s port %u: %s", addr,
			  c->u.port, strerror(err));
	check_report(sink, &r);
	return !err;
}

static bool step_tls(struct conn *c, const struct check_config *cfg,
		     const struct check_sink *sink)
{
	struct check_result r;
	char reason[200];
	double t0 = check_now_ms();
	int err;

	check_init(&r, suite, "tls %s", c->url);
	check_start(sink, &r);
	c->io.deadline = check_now_ms() + c->timeout_ms;
	err = check_io_tls(&c->io, c->host,
			   c->u.host_type == URI_HOST_IPV4 ||
				   c->u.host_type == URI_HOST_IPV6,
			   cfg->tls_ca_file, cfg->tls_insecure, reason,
			   sizeof(reason));
	check_figure_add(&r, "ms", check_now_ms() - t0, "ms");
	if (err == ENOENT)
		check_set(&r, CHECK_FAIL, "no usable CA certificates in %s",
			  cfg->tls_ca_file ? cfg->tls_ca_file : "the system's store");
	else if (err == ENOKEY)
		check_set(&r, CHECK_FAIL, "untrusted: %s, subject %s", reason,
			  c->io.subject);
	else if (err == ETIMEDOUT)
		check_set(&r, CHECK_FAIL, "timeout: no TLS handshake within %u ms",
			  c->timeout_ms);
	else if (err)
		check_set(&r, CHECK_FAIL, "%s", reason[0] ? reason
				: check_io_strerror(err, c->timeout_ms));
	else {
		check_figure_add(&r, "expires_days", c->io.days_left, "d");
		if (c->io.days_left < EXPIRY_WARN_DAYS)
			check_set(&r, CHECK_WARN, "%s, subject %s, expires in "
						  "%.1f days (under %d)",
				  SSL_get_version(c->io.ssl), c->io.subject,
				  c->io.days_left, EXPIRY_WARN_DAYS);
		else
			check_set(&r, CHECK_PASS, "%s, subject %s%s",
				  SSL_get_version(c->io.ssl), c->io.subject,
				  cfg->tls_insecure ? ", not verified (tls.insecure)"
						    : "");
	}
	check_report(sink, &r);
	return !err;
}

static bool step_upgrade(struct conn *c, const struct check_config *cfg,
			 const struct check_sink *sink)
{
	char key[WSFRAME_KEY_SIZE], req[2048], reason[160];
	struct check_result r;
	double t0 = check_now_ms();
	size_t len, head = 0;
	int err, status = 0;

	check_init(&r, suite, "websocket %s", c->url);
	check_start(sink, &r);
	c->io.deadline = check_now_ms() + c->timeout_ms;
	err = wsframe_key_generate(key);
	if (!err)
		err = wsframe_upgrade_request(req, sizeof(req), &len, c->path,
					      c->host_header, cfg->origin, key);
	if (!err)
		err = check_io_write(&c->io, req, len);
	while (!err) {
		err = wsframe_upgrade_response(c->buf, c->len, key, &head,
					       &status, reason, sizeof(reason));
		if (err != EAGAIN)
			break;
		err = conn_read(c);
		if (err)
			snprintf(reason, sizeof(reason), "%s",
				 check_io_strerror(err, c->timeout_ms));
	}
	check_figure_add(&r, "ms", check_now_ms() - t0, "ms");
	if (status)
		check_figure_add(&r, "http_status", status, "");
	if (!err) {
		consume(c, head);
		check_set(&r, CHECK_PASS, "upgraded, subprotocol sip");
	} else if (err == ETIMEDOUT) {
		check_set(&r, CHECK_FAIL, "timeout: %s", reason);
	} else {
		check_set(&r, CHECK_FAIL, "%s", err == EPROTO ? reason
							       : check_io_strerror(err, c->timeout_ms));
	}
	check_report(sink, &r);
	return !err;
}

/* The OPTIONS request, with a fresh branch, tag and Call-ID. */
static int options_request(struct conn *c, char *call_id, size_t call_id_size,
			   char **out, size_t *lenp)
{
	unsigned char rnd[12];
	char ruri[300], via[128], from[128], to[320];
	struct sipmsg *m = NULL;
	int err = random_bytes(rnd, sizeof(rnd));

	if (err)
		return err;
	snprintf(ruri, sizeof(ruri), "sip:%s", c->host_header);
	snprintf(via, sizeof(via), "SIP/2.0/%s check.invalid;branch=z9hG4bK%02x%02x%02x%02x;rport",
		 c->u.secure ? "WSS" : "WS", rnd[0], rnd[1], rnd[2], rnd[3]);
	snprintf(from, sizeof(from), "<sip:webrtc-check@check.invalid>;tag=%02x%02x%02x%02x",
		 rnd[4], rnd[5], rnd[6], rnd[7]);
	snprintf(to, sizeof(to), "<%s>", ruri);
	snprintf(call_id, call_id_size, "%02x%02x%02x%02x@check.invalid",
		 rnd[8], rnd[9], rnd[10], rnd[11]);
	err = sipmsg_new_request(&m, "OPTIONS", ruri);
	if (!err)
		err = sipmsg_header_add(m, "Via", via);
	if (!err)
		err = sipmsg_header_add(m, "Max-Forwards", "70");
	if (!err)
		err = sipmsg_header_add(m, "To", to);
	if (!err)
		err = sipmsg_header_add(m, "From", from);
	if (!err)
		err = sipmsg_header_add(m, "Call-ID", call_id);
	if (!err)
		err = sipmsg_header_add(m, "CSeq", "1 OPTIONS");
	if (!err)
		err = sipmsg_header_add(m, "Accept", "application/sdp");
	if (!err)
		err = sipmsg_encode_alloc(m, out, lenp);
	sipmsg_free(m);
	return err;
}

struct reply {
	const char *call_id;
	unsigned status;
	char reason[96];
	bool closed;
};

static int on_frame(const struct wsframe_event *ev, void *arg)
{
	struct reply *rep = arg;
	struct sipmsg *m = NULL;
	struct span id, phrase;
	char why_not[64];

	if (ev->type == WSFRAME_EVENT_CLOSE) {
		rep->closed = true;
		return 1;
	}
	if (ev->type != WSFRAME_EVENT_MESSAGE ||
	    sipmsg_decode(&m, ev->data, ev->len, why_not, sizeof(why_not)) != 0)
		return 0;
	if (!sipmsg_is_request(m) && sipmsg_status(m) >= 200 &&
	    sipmsg_call_id_get(m, &id) == 0 && span_eq(id, rep->call_id)) {
		rep->status = sipmsg_status(m);
		phrase = sipmsg_reason(m);
		snprintf(rep->reason, sizeof(rep->reason), "%.*s",
			 (int)(phrase.len > 80 ? 80 : phrase.len), phrase.p);
	}
	sipmsg_free(m);
	return rep->status != 0;
}

static void step_options(struct conn *c, const struct check_sink *sink)
{
	struct wsframe_decoder dec;
	struct wsframe_masker masker;
	struct check_result r;
	struct reply rep = {0};
	unsigned char mask[4], *frame = NULL;
	char call_id[64], text[160] = "";
	char *msg = NULL;
	double t0 = check_now_ms();
	size_t len = 0, flen;
	int err;

	check_init(&r, suite, "options %s", c->url);
	check_start(sink, &r);
	c->io.deadline = check_now_ms() + c->timeout_ms;
	wsframe_decoder_init(&dec, BUF_SIZE);
	wsframe_masker_init(&masker);
	rep.call_id = call_id;
	err = options_request(c, call_id, sizeof(call_id), &msg, &len);
	if (!err) {
		frame = malloc(len + WSFRAME_HEADER_MAX);
		err = frame ? 0 : ENOMEM;
	}
	if (!err) {
		wsframe_mask_key(&masker, mask);
		flen = wsframe_encode(frame, len + WSFRAME_HEADER_MAX,
				      WSFRAME_TEXT, msg, len, mask);
		err = check_io_write(&c->io, frame, flen);
	}
	while (!err && !rep.status && !rep.closed) {
		if (c->len) {
			err = wsframe_decode(&dec, c->buf, c->len, on_frame, &rep,
					     text, sizeof(text));
			c->len = 0;
			if (err == ECANCELED)
				err = 0;
			continue;
		}
		err = conn_read(c);
	}
	check_figure_add(&r, "ms", check_now_ms() - t0, "ms");
	if (rep.status) {
		check_figure_add(&r, "sip_status", rep.status, "");
		check_set(&r, CHECK_PASS, "answered %u %s", rep.status, rep.reason);
	} else if (rep.closed) {
		check_set(&r, CHECK_FAIL, "the server closed the WebSocket without "
					  "answering");
	} else if (err == ETIMEDOUT) {
		check_set(&r, CHECK_FAIL, "timeout: no response within %u ms",
			  c->timeout_ms);
	} else {
		check_set(&r, CHECK_FAIL, "%s", text[0] ? text : check_io_strerror(err, c->timeout_ms));
	}
	check_report(sink, &r);
	/* a polite Close; the answer is not waited for */
	if (!rep.closed && !err) {
		unsigned char payload[WSFRAME_CONTROL_MAX], out[WSFRAME_CONTROL_MAX + WSFRAME_HEADER_MAX];
		size_t plen = wsframe_close_payload(payload, WSFRAME_CLOSE_NORMAL, "");

		wsframe_mask_key(&masker, mask);
		flen = wsframe_encode(out, sizeof(out), WSFRAME_CLOSE, payload,
				      plen, mask);
		c->io.deadline = check_now_ms() + 200;
		check_io_write(&c->io, out, flen);
	}
	wsframe_decoder_fini(&dec);
	free(frame);
	free(msg);
}

/* A later step that cannot run once an earlier one failed. */
static void skip(const struct check_sink *sink, const char *step,
		 const char *url, const char *because)
{
	struct check_result r;

	check_init(&r, suite, "%s %s", step, url);
	check_set(&r, CHECK_SKIP, "%s", because);
	check_report(sink, &r);
}

static void check_one(const char *url, const struct check_config *cfg,
		      const struct check_sink *sink, struct conn *c)
{
	static const char *const steps[] = {"tcp", "tls", "websocket", "options"};
	struct addrinfo *res = NULL;
	char reason[128];
	size_t next;
	bool ok;

	memset(c, 0, sizeof(*c));
	check_io_init(&c->io);
	c->url = url;
	c->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : CHECK_TIMEOUT_MS;
	if (uri_ws_decode(&c->u, url, strlen(url), reason, sizeof(reason)) ||
	    c->u.host.len >= sizeof(c->host)) {
		struct check_result r;

		check_init(&r, suite, "url %s", url);
		check_set(&r, CHECK_FAIL, "not a WebSocket URL: %s", reason);
		check_report(sink, &r);
		return;
	}
	snprintf(c->host, sizeof(c->host), "%.*s", (int)c->u.host.len,
		 c->u.host.p);
	snprintf(c->host_header, sizeof(c->host_header), "%s%s%s",
		 c->u.host_type == URI_HOST_IPV6 ? "[" : "", c->host,
		 c->u.host_type == URI_HOST_IPV6 ? "]" : "");
	if (c->u.port != (c->u.secure ? 443u : 80u))
		snprintf(c->host_header + strlen(c->host_header), 8, ":%u",
			 c->u.port);
	snprintf(c->path, sizeof(c->path), "%.*s%s%.*s", (int)c->u.path.len,
		 c->u.path.p, c->u.query.p ? "?" : "", (int)c->u.query.len,
		 c->u.query.p ? c->u.query.p : "");

	/* next: the first step that did not run */
	ok = step_dns(c, sink, &res);
	next = 0;
	if (ok)
		ok = step_tcp(c, sink, res), next = 1;
	if (ok && c->u.secure)
		ok = step_tls(c, cfg, sink), next = 2;
	if (ok)
		ok = step_upgrade(c, cfg, sink), next = 3;
	if (ok)
		step_options(c, sink);
	for (size_t i = next; !ok && i < 4; i++)
		if (i != 1 || c->u.secure)
			skip(sink, steps[i], url, "an earlier step failed");
	if (res)
		freeaddrinfo(res);
	check_io_close(&c->io);
}

int check_server_run(const struct check_config *cfg,
		     const struct check_sink *sink)
{
	struct conn *c;
	size_t i;

	if (!cfg->ws_count) {
		struct check_result r;

		check_init(&r, suite, "websocket servers");
		check_set(&r, CHECK_SKIP, "no server configured "
					  "(websocket.servers, -s)");
		check_report(sink, &r);
		return 0;
	}
	c = malloc(sizeof(*c));
	if (!c)
		return ENOMEM;
	for (i = 0; i < cfg->ws_count; i++)
		check_one(cfg->ws_servers[i], cfg, sink, c);
	free(c);
	return 0;
}
