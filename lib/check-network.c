/* webrtc-check's network suite: host candidates per address family
 * (a libnice NiceAgent gathering, as the media session's), a
 * server-reflexive address through each STUN server and a relay through
 * each TURN server over UDP, TCP and TLS, each timed. The reflexive and
 * relay checks speak to one server at a time through libnice's own STUN
 * agent (its Binding and TURN Allocate usages, one StunAgent per server)
 * rather than through a NiceAgent: a NiceAgent drops a reflexive address
 * equal to its host address (no NAT, loopback) and hides why an
 * Allocate failed, and the point here is to say why: an authentication
 * failure (401/441 after our credentials), an unreachable server (ICMP
 * or TCP refusal, no route, no such name) and a timeout are told apart. */
#include "check-network.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <agent.h>
#include <nice-version.h>
#include <stun/stunagent.h>
#include <stun/usages/bind.h>
#include <stun/usages/turn.h>

#include "internal/check-io.h"

static const char suite[] = "network";

/* First retransmission of a request over UDP (RFC 5389 RTO), doubled. */
#define RTO_MS 250
#define STUN_BUF 2048

enum transport { T_UDP, T_TCP, T_TLS };

static const char *const transport_name[] = {"udp", "tcp", "tls"};

/* A stun:, stuns:, turn: or turns: URL taken apart. */
struct server_url {
	char host[256];
	unsigned port;
	bool literal;
	bool secure;
	bool turn;
	bool udp, tcp; /* ?transport=, both when not given (turn: only) */
};

static int url_parse(const char *url, struct server_url *u)
{
	const char *p, *end, *q;
	size_t n;

	memset(u, 0, sizeof(*u));
	if (!strncmp(url, "stun:", 5))
		p = url + 5;
	else if (!strncmp(url, "stuns:", 6))
		p = url + 6, u->secure = true;
	else if (!strncmp(url, "turn:", 5))
		p = url + 5, u->turn = true;
	else if (!strncmp(url, "turns:", 6))
		p = url + 6, u->turn = u->secure = true;
	else
		return EINVAL;
	q = strchr(p, '?');
	end = q ? q : p + strlen(p);
	if (*p == '[') {
		const char *rb = memchr(p, ']', (size_t)(end - p));

		if (!rb)
			return EINVAL;
		n = (size_t)(rb - p - 1);
		if (n >= sizeof(u->host))
			return EINVAL;
		memcpy(u->host, p + 1, n);
		p = rb + 1;
		u->literal = true;
	} else {
		const char *colon = memchr(p, ':', (size_t)(end - p));

		n = (size_t)((colon ? colon : end) - p);
		if (!n || n >= sizeof(u->host))
			return EINVAL;
		memcpy(u->host, p, n);
		p += n;
		u->literal = strspn(u->host, "0123456789.") == n;
	}
	u->port = u->secure ? 5349 : 3478;
	if (*p == ':') {
		char *e;
		unsigned long port = strtoul(p + 1, &e, 10);

		if (e == p + 1 || e != end || !port || port > 65535)
			return EINVAL;
		u->port = (unsigned)port;
	} else if (p != end) {
		return EINVAL;
	}
	if (q && !strcmp(q, "?transport=udp") && !u->secure)
		u->udp = true;
	else if (q && !strcmp(q, "?transport=tcp"))
		u->tcp = true;
	else if (q)
		return EINVAL;
	else if (u->secure)
		u->tcp = true; /* TLS over TCP */
	else
		u->udp = true, u->tcp = u->turn; /* turn: both, stun: UDP */
	return 0;
}

/* ---- host candidates (NiceAgent) ------------------------------------ */

static void on_gathered(NiceAgent *agent, guint stream, gpointer p)
{
	(void)agent;
	(void)stream;
	*(bool *)p = true;
}

/* libnice reads its sockets (the server's answers too) only for a
 * component with a receiver. */
static void on_data(NiceAgent *agent, guint stream, guint component,
		    guint len, gchar *buf, gpointer p)
{
	(void)agent, (void)stream, (void)component, (void)len, (void)buf;
	(void)p;
}

static void on_closed(GObject *agent, GAsyncResult *res, gpointer p)
{
	(void)agent, (void)res;
	*(bool *)p = true;
}

static gboolean on_deadline(gpointer p)
{
	*(bool *)p = true;
	return G_SOURCE_REMOVE;
}

/* A TURN server for a gathering: its address as libnice wants it. */
struct relay_info {
	const char *ip;
	unsigned port;
	const char *username, *password;
	NiceRelayType type;
};

/* Gather candidates as the media session does (through relay if not
 * NULL); the addresses of those of type want per family into v4 / v6. */
static void gather(const struct check_config *cfg, unsigned timeout_ms,
		   const struct relay_info *relay, NiceCandidateType want,
		   GString *v4, GString *v6, unsigned *n4, unsigned *n6,
		   double *ms)
{
	GMainContext *ctx = g_main_context_new();
	NiceAgent *agent = nice_agent_new(ctx, NICE_COMPATIBILITY_RFC5245);
	bool done = false, late = false;
	double t0 = check_now_ms();
	GSource *timer;
	GSList *cands, *l;
	guint stream;
	size_t i;

	g_object_set(agent, "upnp", FALSE, "ice-tcp", FALSE, NULL);
	for (i = 0; i < cfg->ice_address_count; i++) {
		NiceAddress a;

		nice_address_init(&a);
		if (nice_address_set_from_string(&a, cfg->ice_addresses[i]))
			nice_agent_add_local_address(agent, &a);
	}
	stream = nice_agent_add_stream(agent, 1);
	if (relay)
		nice_agent_set_relay_info(agent, stream, 1, relay->ip,
					  relay->port, relay->username,
					  relay->password, relay->type);
	nice_agent_attach_recv(agent, stream, 1, ctx, on_data, NULL);
	g_signal_connect(agent, "candidate-gathering-done",
			 G_CALLBACK(on_gathered), &done);
	timer = g_timeout_source_new(timeout_ms);
	g_source_set_callback(timer, on_deadline, &late, NULL);
	g_source_attach(timer, ctx);
	if (nice_agent_gather_candidates(agent, stream))
		while (!done && !late)
			g_main_context_iteration(ctx, TRUE);
	*ms = check_now_ms() - t0;
	g_source_destroy(timer);
	g_source_unref(timer);
	cands = nice_agent_get_local_candidates(agent, stream, 1);
	for (l = cands; l; l = l->next) {
		NiceCandidate *c = l->data;
		char text[NICE_ADDRESS_STRING_LEN];
		bool six = nice_address_ip_version(&c->addr) == 6;
		GString *list = six ? v6 : v4;

		if (c->type != want)
			continue;
		nice_address_to_string(&c->addr, text);
		g_string_append_printf(list, "%s%s", list->len ? " " : "", text);
		if (want != NICE_CANDIDATE_TYPE_HOST)
			g_string_append_printf(list, ":%u",
					       nice_address_get_port(&c->addr));
		++*(six ? n6 : n4);
	}
	g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
	/* Give the TURN allocations back (a refresh with a lifetime of 0),
	 * waiting a moment for the answers. */
	done = late = false;
	timer = g_timeout_source_new(500);
	g_source_set_callback(timer, on_deadline, &late, NULL);
	g_source_attach(timer, ctx);
	/* the callback comes in the thread-default context */
	g_main_context_push_thread_default(ctx);
	nice_agent_close_async(agent, on_closed, &done);
	while (!done && !late)
		g_main_context_iteration(ctx, TRUE);
	g_main_context_pop_thread_default(ctx);
	g_source_destroy(timer);
	g_source_unref(timer);
	nice_agent_remove_stream(agent, stream);
	g_object_unref(agent);
	/* let the agent's sources go before the context */
	while (g_main_context_iteration(ctx, FALSE))
		;
	g_main_context_unref(ctx);
}

static void check_host(const struct check_config *cfg, unsigned timeout_ms,
		       const struct check_sink *sink)
{
	struct check_result r4, r6;
	GString *v4 = g_string_new(NULL), *v6 = g_string_new(NULL);
	unsigned n4 = 0, n6 = 0;
	double ms = 0;

	check_init(&r4, suite, "host ipv4");
	check_init(&r6, suite, "host ipv6");
	check_start(sink, &r4);
	gather(cfg, timeout_ms, NULL, NICE_CANDIDATE_TYPE_HOST, v4, v6, &n4, &n6,
	       &ms);
	check_figure_add(&r4, "ms", ms, "ms");
	check_figure_add(&r4, "candidates", n4, "");
	if (n4)
		check_set(&r4, CHECK_PASS, "%s", v4->str);
	else
		check_set(&r4, CHECK_FAIL, "no IPv4 host candidate%s",
			  cfg->ice_address_count ? " on the given addresses"
						 : " (only loopback?)");
	check_report(sink, &r4);
	check_figure_add(&r6, "ms", ms, "ms");
	check_figure_add(&r6, "candidates", n6, "");
	if (n6)
		check_set(&r6, CHECK_PASS, "%s", v6->str);
	else
		check_set(&r6, CHECK_WARN, "no IPv6 host candidate: IPv6-only "
					   "peers need a relay");
	check_report(sink, &r6);
	g_string_free(v4, TRUE);
	g_string_free(v6, TRUE);
}

/* ---- one STUN transaction -------------------------------------------- */

struct probe {
	struct check_io io;
	enum transport t;
	unsigned timeout_ms;
	double end;           /* the check's deadline */
	StunAgent agent;
	uint8_t buf[STUN_BUF]; /* the last response */
	StunMessage resp;
	char addr[INET6_ADDRSTRLEN + 8]; /* the server's, as tried */
};

static bool no_password(StunAgent *agent, StunMessage *message,
			uint8_t *username, uint16_t username_len,
			uint8_t **password, size_t *password_len, void *data)
{
	(void)agent, (void)message, (void)username, (void)username_len;
	(void)password, (void)password_len, (void)data;
	return false;
}

/* Read one STUN message: a datagram, or framed by its length on a stream
 * (RFC 5389 §7.2.2). */
static int read_message(struct probe *p, size_t *len)
{
	size_t have = 0, need = 20, n;
	int err;

	if (p->t == T_UDP)
		return check_io_read(&p->io, p->buf, sizeof(p->buf), len);
	while (have < need) {
		err = check_io_read(&p->io, p->buf + have, need - have, &n);
		if (err)
			return err;
		have += n;
		if (have >= 20 && need == 20) {
			need = 20 + ((size_t)p->buf[2] << 8 | p->buf[3]);
			if (need > sizeof(p->buf))
				return EMSGSIZE;
		}
	}
	*len = have;
	return 0;
}

/* Send a request, retransmitted over UDP, until its response: 0 with
 * p->resp valid, ETIMEDOUT, or a transport errno. */
static int transact(struct probe *p, const uint8_t *req, size_t len)
{
	double rto = RTO_MS;
	size_t got;
	int err;

	for (;;) {
		p->io.deadline = p->end;
		err = check_io_write(&p->io, req, len);
		if (err)
			return err;
		do {
			double now = check_now_ms();

			p->io.deadline = p->t == T_UDP && now + rto < p->end
						 ? now + rto
						 : p->end;
			err = read_message(p, &got);
			if (!err) {
				StunValidationStatus v = stun_agent_validate(
					&p->agent, &p->resp, p->buf, got,
					no_password, NULL);

				if (v == STUN_VALIDATION_SUCCESS ||
				    v == STUN_VALIDATION_UNAUTHORIZED_BAD_REQUEST)
					return 0;
				err = EAGAIN; /* not ours: read on */
			}
		} while (err == EAGAIN);
		if (err != ETIMEDOUT || check_now_ms() >= p->end)
			return err;
		rto *= 2; /* UDP: send again */
	}
}

/* Connect to the server by transport, name resolved: 0, or fills r. */
static int probe_open(struct probe *p, const struct server_url *u,
		      const struct check_config *cfg, struct check_result *r)
{
	struct addrinfo hints = {0}, *res = NULL, *a;
	char port[8], reason[200];
	int rc, err = EHOSTUNREACH;

	hints.ai_socktype = p->t == T_UDP ? SOCK_DGRAM : SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", u->port);
	rc = getaddrinfo(u->host, port, &hints, &res);
	if (rc) {
		check_set(r, CHECK_FAIL, "unreachable: %s does not resolve (%s)",
			  u->host, gai_strerror(rc));
		return EHOSTUNREACH;
	}
	for (a = res; a; a = a->ai_next) {
		getnameinfo(a->ai_addr, a->ai_addrlen, p->addr, sizeof(p->addr),
			    NULL, 0, NI_NUMERICHOST);
		p->io.deadline = p->end;
		err = check_io_connect(&p->io, a->ai_addr, a->ai_addrlen,
				       hints.ai_socktype);
		if (!err)
			break;
	}
	freeaddrinfo(res);
	if (err == ETIMEDOUT) {
		check_set(r, CHECK_FAIL, "timeout: %s port %u did not answer "
					 "within %u ms", p->addr, u->port,
			  p->timeout_ms);
		return err;
	}
	if (err) {
		check_set(r, CHECK_FAIL, "unreachable: %s port %u: %s", p->addr,
			  u->port, strerror(err));
		return err;
	}
	if (p->t != T_TLS)
		return 0;
	err = check_io_tls(&p->io, u->host, u->literal, cfg->tls_ca_file,
			   cfg->tls_insecure, reason, sizeof(reason));
	if (err == ENOKEY)
		check_set(r, CHECK_FAIL, "untrusted: %s, subject %s", reason,
			  p->io.subject);
	else if (err == ETIMEDOUT)
		check_set(r, CHECK_FAIL, "timeout: no TLS handshake within %u ms",
			  p->timeout_ms);
	else if (err)
		check_set(r, CHECK_FAIL, "TLS: %s", reason[0] ? reason
					: check_io_strerror(err, p->timeout_ms));
	return err;
}

/* The outcome of a transaction that got no response. */
static void no_response(struct probe *p, const struct server_url *u, int err,
			struct check_result *r)
{
	if (err == ETIMEDOUT)
		check_set(r, CHECK_FAIL, "timeout: no answer from %s port %u "
					 "within %u ms", p->addr, u->port,
			  p->timeout_ms);
	else if (err == ECONNREFUSED || err == EHOSTUNREACH ||
		 err == ENETUNREACH)
		check_set(r, CHECK_FAIL, "unreachable: %s port %u: %s", p->addr,
			  u->port, strerror(err));
	else
		check_set(r, CHECK_FAIL, "%s", check_io_strerror(err, p->timeout_ms));
}

static void error_text(StunMessage *m, char *buf, size_t size)
{
	int code = -1;

	if (stun_message_find_error(m, &code) != STUN_MESSAGE_RETURN_SUCCESS)
		snprintf(buf, size, "an error without a code");
	else
		snprintf(buf, size, "%d %s", code,
			 stun_strerror((StunError)code));
}

static void sockaddr_text(const struct sockaddr *sa, socklen_t len,
			  char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?", port[8] = "?";

	getnameinfo(sa, len, host, sizeof(host), port, sizeof(port),
		    NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(buf, size, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
}

/* ---- server-reflexive (STUN Binding) --------------------------------- */

static void check_reflexive(const char *url, const struct server_url *u,
			    const struct check_config *cfg, unsigned timeout_ms,
			    const struct check_sink *sink, struct probe *p)
{
	struct sockaddr_storage mapped, alt, local;
	socklen_t mlen = sizeof(mapped), alen = sizeof(alt), llen = sizeof(local);
	struct check_result r;
	uint8_t req[STUN_BUF];
	char mtext[INET6_ADDRSTRLEN + 8], ltext[INET6_ADDRSTRLEN + 8];
	StunMessage msg;
	double t0 = check_now_ms();
	size_t len;
	int err;

	check_init(&r, suite, "reflexive %s", url);
	check_start(sink, &r);
	memset(p, 0, sizeof(*p));
	check_io_init(&p->io);
	p->t = u->secure ? T_TLS : T_UDP;
	p->timeout_ms = timeout_ms;
	p->end = t0 + timeout_ms;
	stun_agent_init(&p->agent, STUN_ALL_KNOWN_ATTRIBUTES,
			STUN_COMPATIBILITY_RFC5389, 0);
	err = probe_open(p, u, cfg, &r);
	if (!err) {
		len = stun_usage_bind_create(&p->agent, &msg, req, sizeof(req));
		err = transact(p, req, len);
		if (err)
			no_response(p, u, err, &r);
	}
	check_figure_add(&r, "ms", check_now_ms() - t0, "ms");
	if (!err) {
		StunUsageBindReturn b = stun_usage_bind_process(
			&p->resp, (struct sockaddr *)&mapped, &mlen,
			(struct sockaddr *)&alt, &alen);

		if (b == STUN_USAGE_BIND_RETURN_SUCCESS) {
			sockaddr_text((struct sockaddr *)&mapped, mlen, mtext,
				      sizeof(mtext));
			getsockname(p->io.fd, (struct sockaddr *)&local, &llen);
			sockaddr_text((struct sockaddr *)&local, llen, ltext,
				      sizeof(ltext));
			check_set(&r, CHECK_PASS, "mapped address %s%s", mtext,
				  strcmp(mtext, ltext) ? " (behind NAT)"
						       : " (no NAT)");
		} else {
			char text[96];

			error_text(&p->resp, text, sizeof(text));
			check_set(&r, CHECK_FAIL, "refused: %s", text);
		}
	}
	check_io_close(&p->io);
	check_report(sink, &r);
}

/* ---- relay (TURN Allocate) ------------------------------------------ */

/* Allocate with the credentials; the relayed address on success. */
static void allocate(struct probe *p, const struct server_url *u,
		     const struct check_turn_server *s, double t0,
		     struct check_result *r)
{
	uint8_t req[STUN_BUF], prev_buf[STUN_BUF];
	struct sockaddr_storage relay, mapped, alt;
	socklen_t rlen = sizeof(relay), mlen = sizeof(mapped), alen = sizeof(alt);
	StunMessage msg, prev;
	StunMessage *previous = NULL;
	uint32_t bandwidth = 0, lifetime = 0;
	size_t ulen = strlen(s->username), plen = strlen(s->password), len;
	int err, code, tries;
	char text[96];

	for (tries = 0; tries < 3; tries++) {
		len = stun_usage_turn_create(
			&p->agent, &msg, req, sizeof(req), previous,
			STUN_USAGE_TURN_REQUEST_PORT_NORMAL, -1, -1,
			(uint8_t *)s->username, ulen, (uint8_t *)s->password,
			plen, STUN_USAGE_TURN_COMPATIBILITY_RFC5766);
		err = transact(p, req, len);
		if (err) {
			no_response(p, u, err, r);
			return;
		}
		if (stun_message_get_class(&p->resp) != STUN_ERROR)
			break;
		code = -1;
		stun_message_find_error(&p->resp, &code);
		/* The first 401 gives the realm and nonce (RFC 5766 §6.1);
		 * 438: a new nonce. A 401 or 441 after that: refused. */
		if ((code == STUN_ERROR_UNAUTHORIZED && !previous) ||
		    code == STUN_ERROR_STALE_NONCE) {
			prev = p->resp;
			memcpy(prev_buf, p->resp.buffer,
			       stun_message_length(&p->resp));
			prev.buffer = prev_buf;
			prev.buffer_len = sizeof(prev_buf);
			previous = &prev;
			continue;
		}
		error_text(&p->resp, text, sizeof(text));
		if (code == STUN_ERROR_UNAUTHORIZED ||
		    code == STUN_ERROR_WRONG_CREDENTIALS)
			check_set(r, CHECK_FAIL, "authentication failed: %s "
						 "(user %s)", text, s->username);
		else
			check_set(r, CHECK_FAIL, "refused: %s", text);
		return;
	}
	if (tries == 3 ||
	    stun_usage_turn_process(&p->resp, &relay, &rlen, &mapped, &mlen,
				    &alt, &alen, &bandwidth, &lifetime,
				    STUN_USAGE_TURN_COMPATIBILITY_RFC5766) !=
		    STUN_USAGE_TURN_RETURN_MAPPED_SUCCESS) {
		check_set(r, CHECK_FAIL, "no relayed address in the answer");
		return;
	}
	sockaddr_text((struct sockaddr *)&relay, rlen, text, sizeof(text));
	check_figure_add(r, "ms", check_now_ms() - t0, "ms");
	check_figure_add(r, "lifetime_s", lifetime, "s");
	check_set(r, CHECK_PASS, "relayed address %s", text);
	/* Give the allocation back (a lifetime of 0); the answer is not
	 * waited for long. */
	if (previous) {
		len = stun_usage_turn_create_refresh(
			&p->agent, &msg, req, sizeof(req), previous, 0,
			(uint8_t *)s->username, ulen, (uint8_t *)s->password,
			plen, STUN_USAGE_TURN_COMPATIBILITY_RFC5766);
		p->end = check_now_ms() + 200;
		transact(p, req, len);
	}
}

/* The server allocates: does libnice, as the media session uses it,
 * gather a relay candidate through it too? */
static void confirm_relay(const struct probe *p, const struct server_url *u,
			  enum transport t, const struct check_turn_server *s,
			  const struct check_config *cfg, unsigned timeout_ms,
			  struct check_result *r)
{
	static const NiceRelayType types[] = {
		[T_UDP] = NICE_RELAY_TYPE_TURN_UDP,
		[T_TCP] = NICE_RELAY_TYPE_TURN_TCP,
		[T_TLS] = NICE_RELAY_TYPE_TURN_TLS,
	};
	struct relay_info relay = {p->addr, u->port, s->username, s->password,
				   types[t]};
	GString *v4 = g_string_new(NULL), *v6 = g_string_new(NULL);
	char allocated[CHECK_REASON_MAX];
	unsigned n4 = 0, n6 = 0;
	double ms = 0;

	gather(cfg, timeout_ms, &relay, NICE_CANDIDATE_TYPE_RELAYED, v4, v6,
	       &n4, &n6, &ms);
	check_figure_add(r, "gather_ms", ms, "ms");
	snprintf(allocated, sizeof(allocated), "%s", r->reason);
	if (!n4 && !n6)
		check_set(r, CHECK_FAIL, "the server allocates (%s) but libnice "
					 "%d.%d.%d gathered no relay candidate "
					 "through it in %.0f ms%s", allocated,
			  NICE_VERSION_MAJOR, NICE_VERSION_MINOR,
			  NICE_VERSION_MICRO, ms,
			  t == T_TLS ? " (it speaks TURN over TLS only in its "
				       "Google and OC2007 modes)"
				     : "");
	else if (t == T_TLS) /* agent.c: plain TCP in RFC 5245 mode */
		check_set(r, CHECK_WARN, "%s, but libnice %d.%d.%d reached it "
					 "over plain TCP, not TLS: this server "
					 "takes both", allocated,
			  NICE_VERSION_MAJOR, NICE_VERSION_MINOR,
			  NICE_VERSION_MICRO);
	g_string_free(v4, TRUE);
	g_string_free(v6, TRUE);
}

static void check_relay(const char *url, const struct server_url *u,
			enum transport t, const struct check_turn_server *s,
			const struct check_config *cfg, unsigned timeout_ms,
			const struct check_sink *sink, struct probe *p)
{
	struct check_result r;
	double t0 = check_now_ms();

	check_init(&r, suite, "relay %s %s", url, transport_name[t]);
	check_start(sink, &r);
	if (!s->username || !s->password) {
		check_set(&r, CHECK_FAIL, "no credentials (turn_servers "
					  "username= password=, or the SIP "
					  "account's)");
		check_report(sink, &r);
		return;
	}
	memset(p, 0, sizeof(*p));
	check_io_init(&p->io);
	p->t = t;
	p->timeout_ms = timeout_ms;
	p->end = t0 + timeout_ms;
	stun_agent_init(&p->agent, STUN_ALL_KNOWN_ATTRIBUTES,
			STUN_COMPATIBILITY_RFC5389,
			STUN_AGENT_USAGE_LONG_TERM_CREDENTIALS);
	if (!probe_open(p, u, cfg, &r))
		allocate(p, u, s, t0, &r);
	if (!r.figure_count) /* failed: the time it took */
		check_figure_add(&r, "ms", check_now_ms() - t0, "ms");
	check_io_close(&p->io);
	if (r.state == CHECK_PASS)
		confirm_relay(p, u, t, s, cfg, timeout_ms, &r);
	check_report(sink, &r);
}

int check_network_run(const struct check_config *cfg,
		      const struct check_sink *sink)
{
	unsigned timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : CHECK_TIMEOUT_MS;
	struct server_url u;
	struct check_result r;
	struct probe *p;
	size_t i;

	check_host(cfg, timeout_ms, sink);
	p = malloc(sizeof(*p));
	if (!p)
		return ENOMEM;
	for (i = 0; i < cfg->stun_count; i++) {
		const char *url = cfg->stun_servers[i];

		if (url_parse(url, &u) || u.turn) {
			check_init(&r, suite, "reflexive %s", url);
			check_set(&r, CHECK_FAIL, "not a stun: or stuns: URL");
			check_report(sink, &r);
			continue;
		}
		check_reflexive(url, &u, cfg, timeout_ms, sink, p);
	}
	for (i = 0; i < cfg->turn_count; i++) {
		const struct check_turn_server *s = &cfg->turn_servers[i];

		if (url_parse(s->url, &u) || !u.turn) {
			check_init(&r, suite, "relay %s", s->url);
			check_set(&r, CHECK_FAIL, "not a turn: or turns: URL");
			check_report(sink, &r);
			continue;
		}
		if (u.udp)
			check_relay(s->url, &u, T_UDP, s, cfg, timeout_ms, sink, p);
		if (u.tcp)
			check_relay(s->url, &u, u.secure ? T_TLS : T_TCP, s, cfg,
				    timeout_ms, sink, p);
	}
	if (!cfg->stun_count && !cfg->turn_count) {
		check_init(&r, suite, "stun and turn servers");
		check_set(&r, CHECK_SKIP, "none configured (stun_servers, "
					  "turn_servers, --stun, --turn)");
		check_report(sink, &r);
	}
	free(p);
	return 0;
}
