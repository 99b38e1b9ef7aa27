/* The event loop every sipws layer runs on: libwebsockets' own poll loop or
 * lws on a GLib main loop, timers, signal-safe stop, and the log callback. */
#ifndef SIPWS_LOOP_H
#define SIPWS_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;

enum loop_backend {
	LOOP_NATIVE, /* lws's own poll() loop: starts fastest, signalling only */
	LOOP_GLIB,   /* lws on GLib's default main context (libnice, GStreamer) */
};

/* Log levels, most important first; a message is passed to the handler
 * when its level is at most loop_config.log_level. */
enum loop_log_level {
	LOOP_LOG_ERROR = 0,
	LOOP_LOG_INFO = 1,  /* connection life: connected, lost, retrying */
	LOOP_LOG_DEBUG = 2, /* frames, keepalives, timers; lws errors/notices */
	LOOP_LOG_TRACE = 3, /* also lws's own info lines (very chatty) */
};

/* msg is one line without a trailing newline. */
typedef void(loop_log_h)(enum loop_log_level level, const char *msg,
			 void *arg);

struct loop_config {
	enum loop_backend backend;
	/* NULL: nothing is logged, not even by lws. lws's logging is global
	 * to the process, so only the most recently allocated loop gets its
	 * lines. */
	loop_log_h *log_h;
	void *log_arg;
	enum loop_log_level log_level;
	/* (TLS trust is the transport's: ws_config.tls_ca_file.) */
};

/* Returns 0, EINVAL (bad config), ENOMEM, or EIO when lws (or its GLib
 * plugin) cannot start. cfg may be NULL for a silent native loop. Note that lws sets
 * SIGPIPE to be ignored, process-wide. */
int loop_alloc(struct loop **lp, const struct loop_config *cfg);
/* Destroys the lws context, closing any connection still open; every
 * object made on the loop must be freed before. NULL is ignored. */
void loop_free(struct loop *l);

/* Run until loop_stop(). Returns 0, or EINVAL when called re-entrantly.
 * A loop_stop() made before loop_run() makes it return at once. */
int loop_run(struct loop *l);
/* Ask loop_run() to return after the current callback. Not async-signal-
 * safe: from a signal handler, use loop_stop_on_signals(). */
void loop_stop(struct loop *l);
/* Install SIGINT and SIGTERM handlers that stop the loop through a
 * self-pipe (the previous handlers come back in loop_free). Only one loop
 * per process can own them: EBUSY otherwise. Returns 0, EBUSY or errno. */
int loop_stop_on_signals(struct loop *l);
/* The signal that stopped the loop (SIGINT, SIGTERM), or 0. */
int loop_signal(const struct loop *l);

/* The GMainContext (as void *) of a LOOP_GLIB loop, NULL for native. */
void *loop_glib_context(const struct loop *l);
enum loop_backend loop_backend(const struct loop *l);

/* Monotonic milliseconds (CLOCK_MONOTONIC), for deadlines and timing. */
uint64_t loop_now_ms(void);
uint64_t loop_now_us(void);

/* Log through the loop's handler (printf format). l may be NULL. */
void loop_log(const struct loop *l, enum loop_log_level level,
	      const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
bool loop_log_enabled(const struct loop *l, enum loop_log_level level);

/* One-shot timer, embedded in its owner. Zero it (or loop_timer_init) before
 * the first use; the storage is private to loop.c. The handler runs on the
 * loop; it may start the timer again. */
typedef void(loop_timer_h)(void *arg);
struct loop_timer {
	union {
		unsigned char bytes[64];
		void *align_p;
		uint64_t align_u;
	} priv; /* lws's scheduler node */
	struct loop *loop;
	loop_timer_h *h;
	void *arg;
};
void loop_timer_init(struct loop_timer *t);
/* (Re)start: h(arg) runs once after ms milliseconds (0: on the next turn
 * of the loop, never from inside this call). */
void loop_timer_start(struct loop_timer *t, struct loop *l, uint64_t ms,
		      loop_timer_h *h, void *arg);
/* Stop if running; safe on a zeroed or already stopped timer. */
void loop_timer_cancel(struct loop_timer *t);
bool loop_timer_running(const struct loop_timer *t);

/* Run fn(arg) on the loop's thread, soon, in the order posted. The one
 * loop function that is safe from any thread (GStreamer's streaming
 * threads post here and do nothing else). 0, or ENOMEM. What is still
 * queued when the loop is freed is dropped without being run. */
typedef void(loop_post_h)(void *arg);
int loop_post(struct loop *l, loop_post_h *fn, void *arg);

/* Watch a file descriptor: h(fd, arg) runs on the loop whenever fd is
 * readable, at its end (EOF, hang-up) included, until loop_unwatch. fd
 * stays the caller's (the loop watches a duplicate). 0, EINVAL, ENOMEM,
 * EIO, or the errno of dup(2). */
struct loop_watch;
typedef void(loop_fd_h)(int fd, void *arg);
int loop_watch_fd(struct loop *l, int fd, loop_fd_h *h, void *arg,
		  struct loop_watch **wp);
/* Stop watching (also from inside h); NULL is ignored. */
void loop_unwatch(struct loop_watch *w);

#endif
