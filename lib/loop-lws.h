/* The loop's libwebsockets plumbing for the modules built on lws (ws.c)
 * (private: not installed). */
#ifndef SIPWS_LOOP_LWS_H
#define SIPWS_LOOP_LWS_H

#include <stdbool.h>
#include <stddef.h>

#include "loop.h"

/* For library modules built directly on lws (ws.c), with lws types as
 * void * so this header stays free of them. Every wsi made on the loop is
 * bound to the protocol LOOP_LWS_PROTOCOL and carries a struct
 * loop_lws_handler as its lws opaque user data: the loop forwards each lws
 * callback of that wsi to it (reason is an enum lws_callback_reasons).
 * Clear the opaque pointer to detach before freeing the handler. */
#define LOOP_LWS_PROTOCOL "sipws-loop"
/* lws's own network timeouts, above any timeout of ours */
#define LOOP_LWS_TIMEOUT_SECS 120
struct loop_lws_handler {
	int (*callback)(void *wsi, int reason, void *in, size_t len, void *arg);
	void *arg;
	struct loop *loop;
};
void *loop_lws_context(const struct loop *l);  /* struct lws_context * */
/* struct lws_vhost *, without TLS (ws.c runs TLS itself) */
void *loop_lws_vhost(struct loop *l);

#endif
