/* The event loop: one lws context per loop, on lws's own poll loop or on a
 * GLib main loop through lws's glib event-lib plugin; timers are lws_sul so
 * one code path serves both backends. */
#include "loop.h"
#include "loop-lws.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/eventfd.h>

#include <glib.h>
#include <libwebsockets.h>

_Static_assert(sizeof(lws_sorted_usec_list_t) <=
		       sizeof(((struct loop_timer *)0)->priv),
	       "struct loop_timer.priv too small for lws_sorted_usec_list_t");

/* Generous for a signalling process; lws sizes its fd table from this
 * (the default follows ulimit -n, which costs start-up time). */
#define LOOP_FD_LIMIT 256

struct loop {
	struct lws_context *context;
	struct lws_vhost *vhost;     /* raw TCP (ws.c), the signal pipe */
	enum loop_backend backend;
	const struct loop_glib *glib; /* LOOP_GLIB only */
	GMainLoop *gloop;
	void *foreign_loops[1];

	loop_log_h *log_h;
	void *log_arg;
	enum loop_log_level log_level;

	bool running;
	bool stop;
	int depth; /* > 0 while inside an lws callback or timer handler */

	/* SIGINT/SIGTERM self-pipe, when loop_stop_on_signals() was called */
	bool owns_signals;
	int sig_pipe[2];
	struct lws *sig_wsi;
	struct loop_lws_handler sig_handler;
	struct sigaction old_int, old_term;
	int signal;

	/* loop_post: a queue filled from any thread, an eventfd to wake */
	pthread_mutex_t post_lock;
	struct loop_post_item *post_head, *post_tail;
	int post_fd;
	struct lws *post_wsi;
	struct loop_lws_handler post_handler;
};

struct loop_post_item {
	struct loop_post_item *next;
	loop_post_h *fn;
	void *arg;
};

struct loop_watch {
	struct loop *loop;
	struct lws *wsi;
	int fd;
	loop_fd_h *h;
	void *arg;
	struct loop_lws_handler handler;
};

/* The few GLib calls of the GLib backend, looked up when the first
 * LOOP_GLIB loop is made: a program on the native loop (every signalling
 * tool) then neither links nor loads GLib, which costs start-up time.
 * lws's glib plugin, which it opens itself, needs the same library. */
struct loop_glib {
	GMainLoop *(*loop_new)(GMainContext *context, gboolean is_running);
	void (*loop_unref)(GMainLoop *loop);
	void (*loop_run)(GMainLoop *loop);
	void (*loop_quit)(GMainLoop *loop);
	GMainContext *(*loop_get_context)(GMainLoop *loop);
};

static const struct loop_glib *loop_glib_open(void)
{
	static struct loop_glib g;
	static bool done;
	void *h;

	if (done)
		return g.loop_new ? &g : NULL;
	done = true;
	/* Never closed: GLib cannot be unloaded. A program linked with GLib
	 * gets the copy it already has. */
	h = dlopen("libglib-2.0.so.0", RTLD_NOW | RTLD_NODELETE);
	if (!h)
		return NULL;
	/* POSIX: a data pointer from dlsym converts to a function pointer */
	*(void **)&g.loop_unref = dlsym(h, "g_main_loop_unref");
	*(void **)&g.loop_run = dlsym(h, "g_main_loop_run");
	*(void **)&g.loop_quit = dlsym(h, "g_main_loop_quit");
	*(void **)&g.loop_get_context = dlsym(h, "g_main_loop_get_context");
	if (g.loop_unref && g.loop_run && g.loop_quit && g.loop_get_context)
		*(void **)&g.loop_new = dlsym(h, "g_main_loop_new");
	return g.loop_new ? &g : NULL;
}

/* lws's log emitter takes no argument: lines go to the newest loop. */
static struct loop *loop_log_owner;
/* The signal handler's write end (one owner per process). */
static volatile sig_atomic_t loop_sig_write_fd = -1;

static int loop_lws_callback(struct lws *wsi, enum lws_callback_reasons reason,
			     void *user, void *in, size_t len);

static const struct lws_protocols loop_protocols[] = {
	{LOOP_LWS_PROTOCOL, loop_lws_callback, 0, 4096, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

uint64_t loop_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t loop_now_ms(void)
{
	return loop_now_us() / 1000u;
}

bool loop_log_enabled(const struct loop *l, enum loop_log_level level)
{
	return l && l->log_h && level <= l->log_level;
}

static void loop_logv(const struct loop *l, enum loop_log_level level,
		      const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	if (!loop_log_enabled(l, level))
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	l->log_h(level, buf, l->log_arg);
}

void loop_log(const struct loop *l, enum loop_log_level level,
	      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	loop_logv(l, level, fmt, ap);
	va_end(ap);
}

static void loop_lws_emit(int level, const char *line)
{
	const char *p = line;
	const char *close;

	(void)level;
	/* lws prefixes "[date time] N: "; the caller adds its own prefix. */
	if (*p == '[' && (close = strchr(p, ']')) != NULL) {
		p = close + 1;
		while (*p == ' ')
			p++;
	}
	loop_log(loop_log_owner, LOOP_LOG_DEBUG, "lws: %s", p);
}

static void loop_lws_set_logging(struct loop *l)
{
	int mask = 0;

	loop_log_owner = l;
	if (l && l->log_h && l->log_level >= LOOP_LOG_DEBUG)
		mask = LLL_ERR | LLL_WARN | LLL_NOTICE;
	if (l && l->log_h && l->log_level >= LOOP_LOG_TRACE)
		mask |= LLL_INFO;
	lws_set_log_level(mask, loop_lws_emit);
}

static int loop_lws_callback(struct lws *wsi, enum lws_callback_reasons reason,
			     void *user, void *in, size_t len)
{
	struct loop_lws_handler *h = wsi ? lws_get_opaque_user_data(wsi) : NULL;
	struct loop *l;
	int ret;

	/* A descriptor detached from its owner (loop_unwatch) and still
	 * readable (an exited child's pidfd, an unread eventfd): closed now.
	 * Left in the poll set until lws's asynchronous kill, it made the
	 * GLib loop turn on it without sleeping, and its always-ready source
	 * starved the idle source that runs lws's timers, the kill included. */
	if (!h && reason == LWS_CALLBACK_RAW_RX_FILE)
		return -1;
	if (!h || !h->callback)
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	l = h->loop;
	if (l)
		l->depth++;
	ret = h->callback(wsi, (int)reason, in, len, h->arg);
	if (l)
		l->depth--;
	return ret;
}

static struct lws_vhost *loop_vhost_create(struct loop *l)
{
	struct lws_context_creation_info info;

	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = loop_protocols;
	info.vhost_name = "sipws";
	/* ws.c times connections itself (connect_timeout_ms): lws's own
	 * per-step timeouts (5 s for TLS) must not cut in first */
	info.timeout_secs = LOOP_LWS_TIMEOUT_SECS;
	info.connect_timeout_secs = LOOP_LWS_TIMEOUT_SECS;
	return lws_create_vhost(l->context, &info);
}

/* Adopt fd (the loop's own from now on) for its readability. */
static struct lws *loop_adopt_fd(struct loop *l, int fd,
				 struct loop_lws_handler *h)
{
	lws_adopt_desc_t desc;

	memset(&desc, 0, sizeof(desc));
	desc.vh = l->vhost;
	desc.type = LWS_ADOPT_RAW_FILE_DESC;
	desc.fd.filefd = fd;
	desc.vh_prot_name = LOOP_LWS_PROTOCOL;
	desc.opaque = h;
	return lws_adopt_descriptor_vhost_via_info(&desc);
}

static void loop_post_run(struct loop *l)
{
	struct loop_post_item *it, *next;
	uint64_t n;

	if (read(l->post_fd, &n, sizeof(n)) < 0)
		n = 0; /* EAGAIN: an earlier turn took the items */
	pthread_mutex_lock(&l->post_lock);
	it = l->post_head;
	l->post_head = l->post_tail = NULL;
	pthread_mutex_unlock(&l->post_lock);
	for (; it; it = next) {
		next = it->next;
		it->fn(it->arg);
		free(it);
	}
}

static int loop_post_callback(void *wsi, int reason, void *in, size_t len,
			      void *arg)
{
	struct loop *l = arg;

	(void)wsi;
	(void)in;
	(void)len;
	if (reason == LWS_CALLBACK_RAW_RX_FILE)
		loop_post_run(l);
	else if (reason == LWS_CALLBACK_RAW_CLOSE_FILE) {
		l->post_wsi = NULL;
		l->post_fd = -1;
	}
	return 0;
}

static int loop_post_open(struct loop *l)
{
	l->post_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->post_fd < 0)
		return errno == ENOMEM ? ENOMEM : EIO;
	l->post_handler.callback = loop_post_callback;
	l->post_handler.arg = l;
	l->post_handler.loop = l;
	l->post_wsi = loop_adopt_fd(l, l->post_fd, &l->post_handler);
	if (!l->post_wsi) {
		close(l->post_fd);
		l->post_fd = -1;
		return EIO;
	}
	return 0;
}

int loop_post(struct loop *l, loop_post_h *fn, void *arg)
{
	struct loop_post_item *it;
	uint64_t one = 1;

	if (!l || !fn)
		return EINVAL;
	it = malloc(sizeof(*it));
	if (!it)
		return ENOMEM;
	it->next = NULL;
	it->fn = fn;
	it->arg = arg;
	pthread_mutex_lock(&l->post_lock);
	if (l->post_tail)
		l->post_tail->next = it;
	else
		l->post_head = it;
	l->post_tail = it;
	/* under the lock: loop_free cannot close the eventfd meanwhile
	 * (a full counter, EAGAIN, already means "wake up") */
	if (l->post_fd >= 0 && write(l->post_fd, &one, sizeof(one)) < 0)
		one = 0;
	pthread_mutex_unlock(&l->post_lock);
	return 0;
}

static int loop_watch_callback(void *wsi, int reason, void *in, size_t len,
			       void *arg)
{
	struct loop_watch *w = arg;

	(void)wsi;
	(void)in;
	(void)len;
	if (reason == LWS_CALLBACK_RAW_RX_FILE) {
		w->h(w->fd, w->arg);
	} else if (reason == LWS_CALLBACK_RAW_CLOSE_FILE) {
		/* lws gave up on the descriptor (a hang-up): the end is
		 * readable, let the owner read it. Detached first: h may
		 * free w, and lws has more callbacks for this wsi. */
		lws_set_opaque_user_data(wsi, NULL);
		w->wsi = NULL;
		w->h(w->fd, w->arg);
	}
	return 0;
}

int loop_watch_fd(struct loop *l, int fd, loop_fd_h *h, void *arg,
		  struct loop_watch **wp)
{
	struct loop_watch *w;
	int dupfd;

	if (!l || fd < 0 || !h || !wp)
		return EINVAL;
	*wp = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return ENOMEM;
	dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dupfd < 0) {
		int err = errno;

		free(w);
		return err;
	}
	w->loop = l;
	w->fd = fd;
	w->h = h;
	w->arg = arg;
	w->handler.callback = loop_watch_callback;
	w->handler.arg = w;
	w->handler.loop = l;
	w->wsi = loop_adopt_fd(l, dupfd, &w->handler);
	if (!w->wsi) {
		close(dupfd);
		free(w);
		return EIO;
	}
	*wp = w;
	return 0;
}

void loop_unwatch(struct loop_watch *w)
{
	if (!w)
		return;
	if (w->wsi) {
		/* detached now, closed (with the duplicate) by lws soon.
		 * Not polled for input meanwhile: a descriptor that stays
		 * readable (/dev/null at its end) kept the GLib backend
		 * spinning on it, and the kill (a timeout, checked between
		 * services) never came: sip-call --control </dev/null
		 * neither dialled nor heard SIGTERM. */
		lws_set_opaque_user_data(w->wsi, NULL);
		lws_rx_flow_control(w->wsi, 0);
		lws_set_timeout(w->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT,
				LWS_TO_KILL_ASYNC);
	}
	free(w);
}

int loop_alloc(struct loop **lp, const struct loop_config *cfg)
{
	static const struct loop_config defaults = {.backend = LOOP_NATIVE};
	struct lws_context_creation_info info;
	struct loop *l;
	int err = 0;

	if (!lp)
		return EINVAL;
	*lp = NULL;
	if (!cfg)
		cfg = &defaults;
	if (cfg->backend != LOOP_NATIVE && cfg->backend != LOOP_GLIB)
		return EINVAL;

	l = calloc(1, sizeof(*l));
	if (!l)
		return ENOMEM;
	l->backend = cfg->backend;
	l->log_h = cfg->log_h;
	l->log_arg = cfg->log_arg;
	l->log_level = cfg->log_level;
	l->sig_pipe[0] = l->sig_pipe[1] = -1;
	l->post_fd = -1;
	pthread_mutex_init(&l->post_lock, NULL);

	/* Before the context: lws logs while it starts. */
	loop_lws_set_logging(l);

	/* One explicit vhost, without TLS: ws.c runs TLS itself over the
	 * raw connection with its own SSL_CTX (ws_config's trust settings),
	 * and no LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT (2-15 ms saved on a
	 * ws:// run): OpenSSL >= 1.1 initialises itself with the first
	 * SSL_CTX. */
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	info.fd_limit_per_thread = LOOP_FD_LIMIT;
	info.timeout_secs = LOOP_LWS_TIMEOUT_SECS;
	info.connect_timeout_secs = LOOP_LWS_TIMEOUT_SECS;
	info.gid = (gid_t)-1;
	info.uid = (uid_t)-1;
	info.user = l;
	if (l->backend == LOOP_GLIB) {
		l->glib = loop_glib_open();
		if (!l->glib) {
			const char *why = dlerror();

			loop_log(l, LOOP_LOG_ERROR, "cannot load GLib: %s",
				 why ? why : "libglib-2.0.so.0 is unusable");
			err = EIO;
			goto out;
		}
		l->gloop = l->glib->loop_new(NULL, FALSE);
		if (!l->gloop) {
			err = ENOMEM;
			goto out;
		}
		l->foreign_loops[0] = l->gloop;
		info.foreign_loops = l->foreign_loops;
		info.options |= LWS_SERVER_OPTION_GLIB;
	}

	l->context = lws_create_context(&info);
	if (!l->context) {
		loop_log(l, LOOP_LOG_ERROR, "cannot start libwebsockets%s",
			 l->backend == LOOP_GLIB ? " with its glib plugin" : "");
		err = EIO;
		goto out;
	}
	l->vhost = loop_vhost_create(l);
	if (!l->vhost) {
		err = EIO;
		goto out;
	}
	err = loop_post_open(l);

out:
	if (err)
		loop_free(l);
	else
		*lp = l;
	return err;
}

static void loop_signals_release(struct loop *l)
{
	if (!l->owns_signals)
		return;
	sigaction(SIGINT, &l->old_int, NULL);
	sigaction(SIGTERM, &l->old_term, NULL);
	loop_sig_write_fd = -1;
	l->owns_signals = false;
	if (l->sig_pipe[1] >= 0)
		close(l->sig_pipe[1]);
	l->sig_pipe[1] = -1;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	loop_signals_release(l);
	if (l->sig_wsi)
		lws_set_opaque_user_data(l->sig_wsi, NULL);
	pthread_mutex_lock(&l->post_lock);
	if (l->post_wsi)
		lws_set_opaque_user_data(l->post_wsi, NULL);
	else if (l->post_fd >= 0)
		close(l->post_fd);
	l->post_fd = -1; /* lws closes the adopted one with its wsi */
	pthread_mutex_unlock(&l->post_lock);
	if (l->context)
		lws_context_destroy(l->context);
	while (l->post_head) {
		struct loop_post_item *it = l->post_head;

		l->post_head = it->next;
		free(it);
	}
	pthread_mutex_destroy(&l->post_lock);
	/* lws closed the adopted read end with its wsi, if it got that far */
	if (!l->sig_wsi && l->sig_pipe[0] >= 0)
		close(l->sig_pipe[0]);
	if (l->gloop)
		l->glib->loop_unref(l->gloop);
	if (loop_log_owner == l) {
		loop_log_owner = NULL;
		lws_set_log_level(0, loop_lws_emit);
	}
	free(l);
}

int loop_run(struct loop *l)
{
	int err = 0;

	if (!l || l->running)
		return EINVAL;
	l->running = true;
	if (l->backend == LOOP_GLIB) {
		if (!l->stop)
			l->glib->loop_run(l->gloop);
	} else {
		while (!l->stop) {
			if (lws_service(l->context, 0) < 0) {
				err = EIO;
				break;
			}
		}
	}
	l->stop = false;
	l->running = false;
	return err;
}

void loop_stop(struct loop *l)
{
	if (!l)
		return;
	l->stop = true;
	if (!l->running)
		return;
	if (l->backend == LOOP_GLIB)
		l->glib->loop_quit(l->gloop);
	else
		/* lws_service() runs timers before it polls: wake that poll */
		lws_cancel_service(l->context);
}

static void loop_signal_handler(int signo)
{
	int saved = errno;
	unsigned char c = (unsigned char)signo;

	/* a full pipe already holds a wake-up: nothing to do on failure */
	if (loop_sig_write_fd >= 0 && write(loop_sig_write_fd, &c, 1) < 0)
		c = 0;
	errno = saved;
}

static int loop_sig_callback(void *wsi, int reason, void *in, size_t len,
			     void *arg)
{
	struct loop *l = arg;
	unsigned char buf[16];
	ssize_t n;

	(void)wsi;
	(void)in;
	(void)len;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		n = read(l->sig_pipe[0], buf, sizeof(buf));
		if (n > 0) {
			l->signal = buf[n - 1];
			loop_log(l, LOOP_LOG_DEBUG, "signal %d: stopping",
				 l->signal);
			loop_stop(l);
		}
		return 0;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		l->sig_wsi = NULL;
		l->sig_pipe[0] = -1;
		return 0;
	default:
		return 0;
	}
}

int loop_stop_on_signals(struct loop *l)
{
	lws_adopt_desc_t desc;
	struct sigaction sa;
	int err;

	if (!l)
		return EINVAL;
	if (l->owns_signals)
		return 0;
	if (loop_sig_write_fd >= 0)
		return EBUSY;
	if (pipe2(l->sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return errno;

	l->sig_handler.callback = loop_sig_callback;
	l->sig_handler.arg = l;
	l->sig_handler.loop = l;
	memset(&desc, 0, sizeof(desc));
	desc.vh = l->vhost;
	desc.type = LWS_ADOPT_RAW_FILE_DESC;
	desc.fd.filefd = l->sig_pipe[0];
	desc.vh_prot_name = LOOP_LWS_PROTOCOL;
	desc.opaque = &l->sig_handler;
	l->sig_wsi = lws_adopt_descriptor_vhost_via_info(&desc);
	if (!l->sig_wsi) {
		err = EIO;
		goto fail;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = loop_signal_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	loop_sig_write_fd = l->sig_pipe[1];
	l->owns_signals = true;
	if (sigaction(SIGINT, &sa, &l->old_int) < 0 ||
	    sigaction(SIGTERM, &sa, &l->old_term) < 0) {
		err = errno;
		loop_signals_release(l);
		return err;
	}
	return 0;

fail:
	close(l->sig_pipe[0]);
	close(l->sig_pipe[1]);
	l->sig_pipe[0] = l->sig_pipe[1] = -1;
	return err;
}

int loop_signal(const struct loop *l)
{
	return l ? l->signal : 0;
}

void *loop_glib_context(const struct loop *l)
{
	if (!l || !l->gloop)
		return NULL;
	return l->glib->loop_get_context(l->gloop);
}

enum loop_backend loop_backend(const struct loop *l)
{
	return l->backend;
}

/* Timers */

static lws_sorted_usec_list_t *loop_timer_sul(struct loop_timer *t)
{
	return (lws_sorted_usec_list_t *)(void *)t->priv.bytes;
}

static void loop_timer_fire(lws_sorted_usec_list_t *sul)
{
	struct loop_timer *t = (struct loop_timer *)(void *)((char *)sul -
				offsetof(struct loop_timer, priv));
	struct loop *l = t->loop;

	l->depth++;
	t->h(t->arg);
	l->depth--;
}

void loop_timer_init(struct loop_timer *t)
{
	memset(t, 0, sizeof(*t));
}

void loop_timer_start(struct loop_timer *t, struct loop *l, uint64_t ms,
		      loop_timer_h *h, void *arg)
{
	lws_usec_t us;

	if (!t || !l || !h)
		return;
	loop_timer_cancel(t);
	t->loop = l;
	t->h = h;
	t->arg = arg;
	/* lws counts signed microseconds: clamp to 100 years */
	if (ms > 100ull * 365 * 24 * 3600 * 1000)
		ms = 100ull * 365 * 24 * 3600 * 1000;
	us = (lws_usec_t)ms * 1000;
	if (us == 0)
		us = 1;
	lws_sul_schedule(l->context, 0, loop_timer_sul(t), loop_timer_fire,
			 us);
	/* On GLib, lws re-arms its own timeout only after servicing something:
	 * a timer started from a foreign callback needs that nudge. */
	if (l->backend == LOOP_GLIB && l->depth == 0)
		lws_cancel_service(l->context);
}

void loop_timer_cancel(struct loop_timer *t)
{
	if (!t || !loop_timer_running(t))
		return;
	lws_sul_cancel(loop_timer_sul(t));
}

bool loop_timer_running(const struct loop_timer *t)
{
	const lws_sorted_usec_list_t *sul =
		(const lws_sorted_usec_list_t *)(const void *)t->priv.bytes;

	return !lws_dll2_is_detached(&sul->list);
}

/* For lws-based modules. */

void *loop_lws_context(const struct loop *l)
{
	return l->context;
}

void *loop_lws_vhost(struct loop *l)
{
	return l->vhost;
}
