/* lib/ws.c without a server: keepalive framing, JsSIP's backoff rule, the
 * choice of server by weight, argument checks, queueing while connecting, weight order and failover
 * between refused loopback ports, recovery scheduling, ws_close and
 * ws_free from inside an event. (tests/t0520-ws-transport.t talks to
 * Kamailio and to a scripted server.) */
#include "ws.h"
#include "tap/basic.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static const struct {
	const char *text;
	size_t len;
	enum ws_frame_kind want;
	const char *what;
} frames[] = {
	{"\r\n\r\n", 4, WS_FRAME_PING, "CRLFCRLF is a ping (RFC 5626 4.4.1)"},
	{"\r\n", 2, WS_FRAME_PONG, "CRLF is the pong"},
	{"\r\n\r\n\r\n", 6, WS_FRAME_BLANK, "other CRLF-only frames are blank"},
	{"\n", 1, WS_FRAME_BLANK, "a lone LF is blank"},
	{"", 0, WS_FRAME_BLANK, "an empty frame is blank"},
	{"OPTIONS sip:a SIP/2.0\r\n\r\n", 25, WS_FRAME_MESSAGE,
	 "a request is a message"},
	{"\r\n\r\nINVITE", 10, WS_FRAME_MESSAGE,
	 "CRLFs before text make a message"},
	{"\r\n\r\n", 3, WS_FRAME_BLANK, "the length is respected"},
};

static const struct {
	unsigned attempts, min, max;
	double r;
	unsigned want;
} backoffs[] = {
	/* k = floor(r * 2^attempts + 1), then clamped to [min, max] */
	{1, 2, 30, 0.0, 2},     /* k = 1 -> min */
	{1, 2, 30, 0.99, 2},    /* k = 2 */
	{2, 2, 30, 0.99, 4},    /* k = floor(4.96) */
	{3, 2, 30, 0.5, 5},     /* k = 5 */
	{4, 2, 30, 0.75, 13},   /* k = 13 */
	{5, 2, 30, 0.99, 30},   /* k = 32 -> max */
	{64, 2, 30, 0.5, 30},   /* huge exponents stay finite */
	{0, 1, 30, 0.9, 1},     /* attempts 0: k = 1 */
	{3, 5, 5, 0.2, 5},      /* min == max */
	{3, 10, 4, 0.9, 10},    /* max below min: min wins */
};

/* Weights 10, 5, 5, 1 (as websocket.servers gives them). */
static const unsigned weights[4] = {10, 5, 5, 1};

static const struct {
	bool failed[4];
	double r;
	size_t want;
	const char *what;
} picks[] = {
	{{0, 0, 0, 0}, 0.99, 0, "the heaviest first, whatever r"},
	{{1, 0, 0, 0}, 0.0, 1, "then one of the two of weight 5 (r 0: first)"},
	{{1, 0, 0, 0}, 0.49, 1, "r below 1/2: the first of the two"},
	{{1, 0, 0, 0}, 0.5, 2, "r from 1/2: the second"},
	{{1, 0, 0, 0}, 1.0, 2, "r out of range stays within the ties"},
	{{1, 1, 0, 0}, 0.0, 2, "the other one of weight 5"},
	{{1, 0, 1, 0}, 0.9, 1, "... whichever failed"},
	{{1, 1, 1, 0}, 0.5, 3, "the lightest last"},
	{{1, 1, 1, 1}, 0.5, 4, "all failed: n"},
	{{0, 1, 1, 1}, 0.5, 0, "a failed lighter server does not matter"},
};

static const struct {
	size_t cur;
	bool want;
	const char *what;
} preferred[] = {
	{0, true, "on the heaviest: nothing to move back to"},
	{1, false, "on a weight-5 server: the weight-10 one is preferred"},
	{2, false, "the same for its twin"},
	{3, false, "on the lightest: every other is preferred"},
};

static void test_pick(void)
{
	static const unsigned equal[3] = {7, 7, 7};
	size_t i;

	for (i = 0; i < sizeof(picks) / sizeof(picks[0]); i++)
		is_int((long long)picks[i].want,
		       (long long)ws_server_pick(weights, picks[i].failed, 4,
						 picks[i].r),
		       "pick: %s", picks[i].what);
	is_int(0, (long long)ws_server_pick(weights, NULL, 4, 0.7),
	       "pick: no failed array is none failed");
	is_int(0, (long long)ws_server_pick(weights, NULL, 0, 0.7),
	       "pick: no server at all: n (0)");
	is_int(0, (long long)ws_server_pick(equal, NULL, 3, 0.0),
	       "pick: equal weights, r 0: the first");
	is_int(1, (long long)ws_server_pick(equal, NULL, 3, 0.5),
	       "pick: equal weights, r 1/2: the second");
	is_int(2, (long long)ws_server_pick(equal, NULL, 3, 0.99),
	       "pick: equal weights, r 0.99: the third");
	for (i = 0; i < sizeof(preferred) / sizeof(preferred[0]); i++)
		is_int(preferred[i].want,
		       ws_server_preferred(weights, 4, preferred[i].cur),
		       "preferred: %s", preferred[i].what);
	is_int(true, ws_server_preferred(equal, 3, 2),
	       "preferred: equal weights never probe");
}

/* A loopback port nobody listens on: bound, then closed. */
static unsigned closed_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port = 0;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

struct recorder {
	struct loop *loop;
	struct ws *ws;
	int events;
	int disconnected;
	struct ws_event last[8];
	char urls[8][64];
	bool close_on_retry; /* ws_close when a backoff is announced */
	bool free_in_handler;
	bool inside_call;    /* set around API calls: events must not come */
	bool reentered;
};

static void record(const struct ws_event *ev, void *arg)
{
	struct recorder *r = arg;

	if (r->inside_call)
		r->reentered = true;
	if (r->events < 8) {
		r->last[r->events] = *ev;
		snprintf(r->urls[r->events], sizeof(r->urls[0]), "%s", ev->url);
	}
	r->events++;
	if (ev->type != WS_EVENT_DISCONNECTED)
		return;
	r->disconnected++;
	if (r->free_in_handler) {
		ws_free(r->ws);
		r->ws = NULL;
		loop_stop(r->loop);
		return;
	}
	if (r->close_on_retry && ev->retry && ev->retry_ms > 0) {
		ws_close(r->ws);
		return;
	}
	if (!ev->retry)
		loop_stop(r->loop);
}

static void test_api(struct loop *l, const char *name)
{
	char refused[64], big[100];
	struct ws_server srv[1] = {{refused, 0}};
	struct ws_server bad[1] = {{"http://example.org/", 0}};
	struct ws_config cfg = {.servers = srv, .nservers = 1};
	struct recorder r;
	struct ws *ws = NULL;
	int i, err = 0;

	memset(&r, 0, sizeof(r));
	r.loop = l;
	snprintf(refused, sizeof(refused), "ws://127.0.0.1:%u/", closed_port());
	cfg.servers = bad;
	is_int(EINVAL, ws_alloc(&ws, l, &cfg, record, &r),
	       "%s: an http:// URL is refused", name);
	cfg.nservers = 0;
	is_int(EINVAL, ws_alloc(&ws, l, &cfg, record, &r),
	       "%s: no server is EINVAL", name);
	cfg.servers = srv;
	cfg.nservers = 1;
	cfg.max_message = 50;
	cfg.max_queue = 3;
	is_int(0, ws_alloc(&ws, l, &cfg, record, &r), "%s: ws_alloc", name);
	if (!ws) {
		skip_block(10, "no ws");
		return;
	}
	r.ws = ws;
	is_int(ENOTCONN, ws_send(ws, "x", 1), "%s: ws_send before ws_connect",
	       name);
	r.inside_call = true;
	is_int(0, ws_connect(ws), "%s: ws_connect", name);
	is_int(EALREADY, ws_connect(ws), "%s: ws_connect twice", name);
	memset(big, 'x', sizeof(big));
	is_int(EMSGSIZE, ws_send(ws, big, 51), "%s: over max_message", name);
	is_int(EINVAL, ws_send(ws, big, 0), "%s: an empty message", name);
	for (i = 0; i < 3 && !err; i++)
		err = ws_send(ws, big, 10);
	is_int(0, err, "%s: messages queue while connecting", name);
	is_int(ENOBUFS, ws_send(ws, big, 10), "%s: a full queue is ENOBUFS",
	       name);
	r.inside_call = false;
	ok(!r.reentered && r.events == 0,
	   "%s: no event from inside the calls", name);
	loop_run(l);
	ok(r.events == 1 && r.last[0].type == WS_EVENT_DISCONNECTED &&
		   r.last[0].err == ECONNREFUSED && !r.last[0].retry,
	   "%s: a refused port gives ECONNREFUSED, no retry", name);
	is_string(refused, r.urls[0], "%s: ... for that server", name);
	is_int(ENOTCONN, ws_send(ws, "x", 1), "%s: ws_send after the end",
	       name);
	ws_free(ws);
}

/* Weights, failover, recovery, ws_close while waiting. */
static void test_failover(struct loop *l, const char *name)
{
	char a[64], b[64];
	struct ws_server srv[2] = {{a, 1}, {b, 5}};
	struct ws_config cfg = {.servers = srv, .nservers = 2,
				.reconnect = true, .reconnect_min_secs = 3,
				.reconnect_max_secs = 3};
	struct recorder r;
	struct ws *ws = NULL;

	memset(&r, 0, sizeof(r));
	r.loop = l;
	r.close_on_retry = true;
	snprintf(a, sizeof(a), "ws://127.0.0.1:%u/", closed_port());
	snprintf(b, sizeof(b), "ws://[::1]:%u/b?x=1", closed_port());
	if (ws_alloc(&ws, l, &cfg, record, &r)) {
		skip_block(6, "no ws");
		return;
	}
	r.ws = ws;
	ws_connect(ws);
	loop_run(l);
	is_int(3, r.events, "%s: three events", name);
	is_string(b, r.urls[0], "%s: the heavier server is tried first", name);
	ok(r.last[0].err == ECONNREFUSED && r.last[0].retry &&
		   r.last[0].retry_ms == 0,
	   "%s: ... and the next one at once", name);
	is_string(a, r.urls[1], "%s: then the lighter one", name);
	ok(r.last[1].retry && r.last[1].retry_ms == 3000,
	   "%s: every server failed: retry after the backoff (%llu ms)", name,
	   (unsigned long long)r.last[1].retry_ms);
	ok(r.last[2].type == WS_EVENT_DISCONNECTED && r.last[2].err == 0 &&
		   !r.last[2].retry,
	   "%s: ws_close while waiting ends with err 0", name);
	ws_free(ws);
}

static void test_free_in_handler(struct loop *l, const char *name)
{
	char a[64];
	struct ws_server srv[1] = {{a, 0}};
	struct ws_config cfg = {.servers = srv, .nservers = 1};
	struct recorder r;

	memset(&r, 0, sizeof(r));
	r.loop = l;
	r.free_in_handler = true;
	snprintf(a, sizeof(a), "ws://127.0.0.1:%u/", closed_port());
	if (ws_alloc(&r.ws, l, &cfg, record, &r)) {
		skip("no ws");
		return;
	}
	ws_connect(r.ws);
	loop_run(l);
	ok(r.ws == NULL && r.events == 1,
	   "%s: ws_free from inside the handler (ASan checks the rest)", name);
}

static void test_close_connecting(struct loop *l, const char *name)
{
	struct ws_server srv[1] = {{"ws://127.0.0.1:9/", 0}};
	struct ws_config cfg = {.servers = srv, .nservers = 1};
	struct recorder r;
	struct ws *ws = NULL;

	memset(&r, 0, sizeof(r));
	r.loop = l;
	if (ws_alloc(&ws, l, &cfg, record, &r)) {
		skip("no ws");
		return;
	}
	r.ws = ws;
	ws_connect(ws);
	r.inside_call = true;
	ws_close(ws);
	r.inside_call = false;
	loop_run(l);
	ok(!r.reentered && r.events == 1 && r.last[0].err == 0,
	   "%s: ws_close while connecting reports err 0 from the loop", name);
	ws_free(ws);
}

int main(void)
{
	size_t i;
	struct loop *l;
	static const enum loop_backend backends[] = {LOOP_NATIVE, LOOP_GLIB};
	static const char *names[] = {"native", "glib"};

	plan_lazy();
	for (i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
		is_int(frames[i].want,
		       ws_frame_classify(frames[i].text, frames[i].len), "%s",
		       frames[i].what);
	for (i = 0; i < sizeof(backoffs) / sizeof(backoffs[0]); i++)
		is_int(backoffs[i].want,
		       ws_backoff_secs(backoffs[i].attempts, backoffs[i].min,
				       backoffs[i].max, backoffs[i].r),
		       "backoff: attempt %u, r %.2f in [%u, %u] -> %u s",
		       backoffs[i].attempts, backoffs[i].r, backoffs[i].min,
		       backoffs[i].max, backoffs[i].want);
	test_pick();

	for (i = 0; i < 2; i++) {
		struct loop_config cfg = {.backend = backends[i]};

		l = NULL;
		if (loop_alloc(&l, &cfg)) {
			skip("%s: no loop", names[i]);
			continue;
		}
		test_api(l, names[i]);
		test_failover(l, names[i]);
		test_free_in_handler(l, names[i]);
		test_close_connecting(l, names[i]);
		loop_free(l);
	}
	return 0;
}
