/* loop_post from several threads at once (every item run once, on the
 * loop's thread, each thread's items in the order posted) and loop_watch_fd
 * (read when readable, the end seen, unwatch from the handler), on both
 * backends; a descriptor unwatched while still readable (an exited child's
 * pidfd) no longer wakes the loop. */
#include "loop.h"
#include "tap/basic.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define THREADS 4
#define PER_THREAD 5000

struct post_test {
	struct loop *loop;
	pthread_t loop_thread;
	unsigned long long runs;
	unsigned long long off_thread; /* items run on another thread */
	unsigned long long out_of_order;
	unsigned last[THREADS];        /* the sequence number expected next */
	int post_errors;
};

struct post_item {
	struct post_test *t;
	unsigned thread;
	unsigned seq;
};

static struct post_item items[THREADS][PER_THREAD];

static void on_post(void *arg)
{
	struct post_item *it = arg;
	struct post_test *t = it->t;

	if (!pthread_equal(pthread_self(), t->loop_thread))
		t->off_thread++;
	if (it->seq != t->last[it->thread])
		t->out_of_order++;
	t->last[it->thread] = it->seq + 1;
	if (++t->runs == (unsigned long long)THREADS * PER_THREAD)
		loop_stop(t->loop);
}

struct poster {
	struct post_test *t;
	unsigned thread;
	int errors;
};

static void *post_many(void *arg)
{
	struct poster *p = arg;
	unsigned i;

	for (i = 0; i < PER_THREAD; i++) {
		items[p->thread][i] = (struct post_item){p->t, p->thread, i};
		if (loop_post(p->t->loop, on_post, &items[p->thread][i]) != 0)
			p->errors++;
	}
	return NULL;
}

static void test_post(enum loop_backend backend, const char *name)
{
	struct loop_config cfg = {.backend = backend};
	struct post_test t;
	struct poster p[THREADS];
	pthread_t th[THREADS];
	unsigned i;
	int errors = 0;

	memset(&t, 0, sizeof(t));
	if (loop_alloc(&t.loop, &cfg) != 0) {
		skip_block(4, "%s: no loop", name);
		return;
	}
	t.loop_thread = pthread_self();
	for (i = 0; i < THREADS; i++) {
		p[i] = (struct poster){&t, i, 0};
		pthread_create(&th[i], NULL, post_many, &p[i]);
	}
	is_int(0, loop_run(t.loop), "%s: the loop runs until the last item",
	       name);
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		errors += p[i].errors;
	}
	is_int(0, errors, "%s: every loop_post succeeds", name);
	ok(t.runs == (unsigned long long)THREADS * PER_THREAD &&
	   t.off_thread == 0,
	   "%s: %d items from %d threads, each run once on the loop's thread",
	   name, THREADS * PER_THREAD, THREADS);
	ok(t.out_of_order == 0, "%s: each thread's items in the order posted",
	   name);
	loop_free(t.loop);
}

struct watch_test {
	struct loop *loop;
	struct loop_watch *w;
	char got[64];
	size_t len;
	int calls;
	bool eof;
};

static void on_readable(int fd, void *arg)
{
	struct watch_test *t = arg;
	ssize_t n;

	t->calls++;
	n = read(fd, t->got + t->len, sizeof(t->got) - 1 - t->len);
	if (n > 0) {
		t->len += (size_t)n;
		return;
	}
	if (n == 0 || errno != EAGAIN) {
		t->eof = true;
		loop_unwatch(t->w);
		t->w = NULL;
		loop_stop(t->loop);
	}
}

static void write_later(void *arg)
{
	int *fd = arg;

	if (write(*fd, "hello", 5) != 5)
		diag("write: %s", strerror(errno));
	close(*fd);
}

static void test_watch(enum loop_backend backend, const char *name)
{
	struct loop_config cfg = {.backend = backend};
	struct watch_test t;
	struct loop_timer timer;
	int fds[2];

	memset(&t, 0, sizeof(t));
	loop_timer_init(&timer);
	if (loop_alloc(&t.loop, &cfg) != 0 || pipe(fds) != 0) {
		skip_block(4, "%s: no loop or pipe", name);
		return;
	}
	is_int(0, loop_watch_fd(t.loop, fds[0], on_readable, &t, &t.w),
	       "%s: the read end is watched", name);
	loop_timer_start(&timer, t.loop, 20, write_later, &fds[1]);
	is_int(0, loop_run(t.loop), "%s: the loop runs until the end", name);
	t.got[t.len] = '\0';
	is_string("hello", t.got, "%s: what was written is read", name);
	ok(t.eof && t.calls >= 2 && fcntl(fds[0], F_GETFD) == 0,
	   "%s: the end is seen, the caller's fd stays open", name);
	close(fds[0]);
	loop_free(t.loop);
}

/* Unwatching a descriptor that stays readable: the loop must go back to
 * sleep, not turn on it until the descriptor is closed. The GLib loop's
 * turns are counted by a source whose prepare() runs on every one. */
struct idle_test {
	struct loop *loop;
	struct loop_watch *w;
	int calls;
	uint64_t unwatched_ms;
	unsigned long turns;
	unsigned long turns_at_unwatch;
};

static gboolean count_prepare(GSource *s, gint *timeout)
{
	struct idle_test **t = (struct idle_test **)(s + 1);

	(*t)->turns++;
	/* spinning: stop rather than hang (the timer below starves) */
	if ((*t)->unwatched_ms && (*t)->turns - (*t)->turns_at_unwatch > 100000)
		loop_stop((*t)->loop);
	*timeout = -1;
	return FALSE;
}

static gboolean count_check(GSource *s)
{
	(void)s;
	return FALSE;
}

static gboolean count_dispatch(GSource *s, GSourceFunc cb, gpointer data)
{
	(void)s;
	(void)cb;
	(void)data;
	return TRUE;
}

static void on_readable_unwatch(int fd, void *arg)
{
	struct idle_test *t = arg;

	(void)fd; /* left readable on purpose */
	t->calls++;
	loop_unwatch(t->w);
	t->w = NULL;
	t->unwatched_ms = loop_now_ms();
	t->turns_at_unwatch = t->turns;
}

static void stop_cb(void *arg)
{
	loop_stop(arg);
}

static void test_unwatch_readable(enum loop_backend backend, const char *name)
{
	static GSourceFuncs funcs = {count_prepare, count_check, count_dispatch,
				     NULL, NULL, NULL};
	struct loop_config cfg = {.backend = backend};
	struct idle_test t;
	struct loop_timer timer;
	GSource *src = NULL;
	uint64_t one = 1;
	int efd;

	memset(&t, 0, sizeof(t));
	loop_timer_init(&timer);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop_alloc(&t.loop, &cfg) != 0 || efd < 0) {
		skip_block(3, "%s: no loop or eventfd", name);
		return;
	}
	if (backend == LOOP_GLIB) {
		src = g_source_new(&funcs, sizeof(GSource) + sizeof(void *));
		*(struct idle_test **)(src + 1) = &t;
		g_source_attach(src, loop_glib_context(t.loop));
	}
	if (write(efd, &one, sizeof(one)) != sizeof(one))
		diag("eventfd write: %s", strerror(errno));
	is_int(0, loop_watch_fd(t.loop, efd, on_readable_unwatch, &t, &t.w),
	       "%s: a readable eventfd is watched", name);
	loop_timer_start(&timer, t.loop, 600, stop_cb, t.loop);
	is_int(0, loop_run(t.loop), "%s: the loop runs", name);
	if (backend == LOOP_GLIB) {
		unsigned long turns = t.turns - t.turns_at_unwatch;

		diag("%s: %lu turns in %llu ms after the unwatch", name, turns,
		     (unsigned long long)(loop_now_ms() - t.unwatched_ms));
		/* a sleeping loop wakes for its timers only (a handful);
		 * a spinning one turns thousands of times */
		ok(t.calls == 1 && turns < 100,
		   "%s: unwatched while readable, the loop sleeps (%lu turns)",
		   name, turns);
		g_source_destroy(src);
		g_source_unref(src);
	} else {
		ok(t.calls == 1, "%s: the handler ran once", name);
	}
	loop_free(t.loop);
	close(efd);
}

int main(void)
{
	plan(22);
	test_post(LOOP_NATIVE, "native");
	test_post(LOOP_GLIB, "glib");
	test_watch(LOOP_NATIVE, "native");
	test_watch(LOOP_GLIB, "glib");
	test_unwatch_readable(LOOP_NATIVE, "native");
	test_unwatch_readable(LOOP_GLIB, "glib");
	return 0;
}
