/* The event loop on both backends: timers in order, cancel, restart from a
 * handler, zero delays, stop before run, the GLib nudge for timers started
 * outside lws, signal stop through the self-pipe, and no fd left behind. */
#include "loop.h"
#include "ws.h"
#include "tap/basic.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

struct fired {
	struct loop *loop;
	char order[16];
	size_t n;
	uint64_t at[16];
	int restarts;
	struct loop_timer restart_timer;
};

struct tick {
	struct fired *f;
	char name;
	bool stop;
};

static void on_tick(void *arg)
{
	struct tick *t = arg;

	if (t->f->n < sizeof(t->f->order) - 1) {
		t->f->at[t->f->n] = loop_now_ms();
		t->f->order[t->f->n++] = t->name;
	}
	if (t->stop)
		loop_stop(t->f->loop);
}

static void on_restart(void *arg)
{
	struct fired *f = arg;

	if (++f->restarts < 3)
		loop_timer_start(&f->restart_timer, f->loop, 1, on_restart, f);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void test_timers(enum loop_backend backend, const char *name)
{
	struct loop_config cfg = {.backend = backend};
	struct loop_timer ta, tb, tc, td, tz;
	struct tick a = {0}, b = {0}, c = {0}, d = {0}, z = {0};
	struct fired f;
	struct loop *l = NULL;
	uint64_t start;

	memset(&f, 0, sizeof(f));
	loop_timer_init(&ta);
	loop_timer_init(&tb);
	loop_timer_init(&tc);
	loop_timer_init(&td);
	loop_timer_init(&tz);
	is_int(0, loop_alloc(&l, &cfg), "%s: loop_alloc", name);
	if (!l) {
		skip_block(9, "no loop");
		return;
	}
	ok((loop_glib_context(l) != NULL) == (backend == LOOP_GLIB),
	   "%s: a GMainContext only for LOOP_GLIB", name);
	f.loop = l;
	a = (struct tick){&f, 'a', false};
	b = (struct tick){&f, 'b', false};
	c = (struct tick){&f, 'c', true};
	d = (struct tick){&f, 'd', false};
	z = (struct tick){&f, 'z', false};
	start = loop_now_ms();
	loop_timer_start(&ta, l, 40, on_tick, &a);
	loop_timer_start(&tb, l, 10, on_tick, &b);
	loop_timer_start(&tc, l, 60, on_tick, &c);
	loop_timer_start(&td, l, 20, on_tick, &d);
	loop_timer_start(&tz, l, 0, on_tick, &z);
	loop_timer_start(&f.restart_timer, l, 1, on_restart, &f);
	ok(f.n == 0, "%s: a zero delay does not fire inside loop_timer_start",
	   name);
	ok(loop_timer_running(&td), "%s: a started timer runs", name);
	loop_timer_cancel(&td);
	ok(!loop_timer_running(&td), "%s: a cancelled timer does not", name);
	is_int(0, loop_run(l), "%s: loop_run returns 0 after loop_stop", name);
	is_string("zbac", f.order, "%s: timers fire in deadline order, the "
		  "cancelled one never", name);
	ok(f.n == 4 && f.at[3] - start >= 60 && f.at[3] - start < 1000,
	   "%s: the 60 ms timer fired after 60 ms (%llu)", name,
	   (unsigned long long)(f.n == 4 ? f.at[3] - start : 0));
	is_int(3, f.restarts, "%s: a handler can restart its own timer", name);
	ok(!loop_timer_running(&ta), "%s: a fired timer is not running", name);

	/* stop before run */
	loop_stop(l);
	start = loop_now_ms();
	loop_timer_start(&ta, l, 5000, on_tick, &a);
	loop_run(l);
	ok(loop_now_ms() - start < 1000,
	   "%s: a loop_stop before loop_run makes it return at once", name);
	loop_timer_cancel(&ta);
	loop_free(l);
}

/* A timer started from a GLib callback (outside lws) still fires on time. */
struct glib_case {
	struct loop *loop;
	struct loop_timer t;
	uint64_t started, fired;
};

static void glib_case_fire(void *arg)
{
	struct glib_case *g = arg;

	g->fired = loop_now_ms();
	loop_stop(g->loop);
}

static gboolean glib_case_start(gpointer arg)
{
	struct glib_case *g = arg;

	g->started = loop_now_ms();
	loop_timer_start(&g->t, g->loop, 30, glib_case_fire, g);
	return G_SOURCE_REMOVE;
}

static void test_glib_foreign_start(void)
{
	struct loop_config cfg = {.backend = LOOP_GLIB};
	struct glib_case g;
	struct loop_timer guard;
	struct tick never = {0};
	struct fired f;
	GSource *src;

	memset(&g, 0, sizeof(g));
	memset(&f, 0, sizeof(f));
	loop_timer_init(&guard);
	if (loop_alloc(&g.loop, &cfg)) {
		skip("no GLib loop");
		return;
	}
	/* a far lws timer: without the nudge lws would sleep until it */
	f.loop = g.loop;
	never = (struct tick){&f, 'n', true};
	loop_timer_start(&guard, g.loop, 3000, on_tick, &never);
	src = g_timeout_source_new(10);
	g_source_set_callback(src, glib_case_start, &g, NULL);
	g_source_attach(src, loop_glib_context(g.loop));
	g_source_unref(src);
	loop_run(g.loop);
	ok(g.fired && g.fired - g.started >= 30 && g.fired - g.started < 500,
	   "glib: a timer started from a GLib source fires on time (%llu ms)",
	   (unsigned long long)(g.fired ? g.fired - g.started : 0));
	loop_timer_cancel(&guard);
	loop_timer_cancel(&g.t);
	loop_free(g.loop);
}

static void raise_term(void *arg)
{
	(void)arg;
	raise(SIGTERM);
}

static void test_signals(enum loop_backend backend, const char *name)
{
	struct loop_config cfg = {.backend = backend};
	struct loop *l = NULL, *other = NULL;
	struct loop_timer t, guard;
	struct tick never = {0};
	struct fired f;
	struct sigaction sa;
	int fds = count_fds();

	memset(&f, 0, sizeof(f));
	loop_timer_init(&t);
	loop_timer_init(&guard);
	if (loop_alloc(&l, &cfg)) {
		skip_block(5, "no loop");
		return;
	}
	is_int(0, loop_stop_on_signals(l), "%s: loop_stop_on_signals", name);
	if (loop_alloc(&other, &cfg) == 0) {
		is_int(EBUSY, loop_stop_on_signals(other),
		       "%s: a second loop cannot own the signals", name);
		loop_free(other);
	} else {
		skip("no second loop");
	}
	f.loop = l;
	never = (struct tick){&f, 'n', true};
	loop_timer_start(&guard, l, 5000, on_tick, &never);
	loop_timer_start(&t, l, 10, raise_term, NULL);
	loop_run(l);
	is_int(SIGTERM, loop_signal(l), "%s: SIGTERM stopped the loop", name);
	loop_timer_cancel(&guard);
	loop_free(l);
	sigaction(SIGTERM, NULL, &sa);
	ok(sa.sa_handler == SIG_DFL, "%s: loop_free restores SIGTERM", name);
	is_int(fds, count_fds(), "%s: no descriptor left open", name);
}

static int logged;

static void ignore_ws_event(const struct ws_event *ev, void *arg)
{
	(void)ev;
	(void)arg;
}

static void count_log(enum loop_log_level level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
	logged++;
}

int main(void)
{
	struct loop_config cfg = {.backend = LOOP_NATIVE};
	struct loop *l = NULL;

	plan_lazy();
	test_timers(LOOP_NATIVE, "native");
	test_timers(LOOP_GLIB, "glib");
	test_glib_foreign_start();
	test_signals(LOOP_NATIVE, "native");
	test_signals(LOOP_GLIB, "glib");

	cfg.backend = (enum loop_backend)7;
	is_int(EINVAL, loop_alloc(&l, &cfg), "an unknown backend is EINVAL");
	cfg.backend = LOOP_NATIVE;
	cfg.log_h = count_log;
	/* TLS trust is the transport's (ws_config), not the loop's */
	if (loop_alloc(&l, &cfg) == 0) {
		struct ws_server srv = {"wss://127.0.0.1:1", 0};
		struct ws_config wc = {0};
		struct ws *ws = NULL;

		wc.servers = &srv;
		wc.nservers = 1;
		wc.tls_ca_file = "/nonexistent/ca.pem";
		is_int(ENOENT, ws_alloc(&ws, l, &wc, ignore_ws_event, NULL),
		       "a missing CA file is ENOENT");
		ok(ws == NULL && logged == 1,
		   "... and logged once, through the handler");
		loop_free(l);
	} else {
		skip_block(2, "no loop");
	}
	ok(loop_now_ms() > 0, "loop_now_ms is monotonic time");
	return 0;
}
