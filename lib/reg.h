/* Registration (RFC 3261 §10, RFC 5626 outbound, RFC 5627 GRUU) on the UA
 * core: register our contact and keep it refreshed, re-register after the
 * transport comes back, unregister our contact or all of the AoR's, query
 * the bindings.
 *
 * REGISTER goes to cfg->server (the Request-URI; default: the account's
 * domain), To and From are the account AoR, one Call-ID for the life of
 * the reg object with CSeq increasing (§10.2). Our Contact is
 * <sip:RANDOM@RANDOM.invalid;transport=ws[;ob]>;expires=N, plus
 * ;reg-id=1;+sip.instance="<urn:uuid:...>" when the core has an instance
 * id (as JsSIP does), with "Supported: path, gruu, outbound" and
 * "Expires: N".
 *
 * Refresh (as JsSIP does): for a granted expiry E above 64 s, after a
 * random time between E/2 and E-32 s; otherwise after E-5 s, but never
 * before E/2 (so a 2 s test registration refreshes after 1 s). A 423
 * Interval Too Brief is retried at once with its Min-Expires, once: a
 * second 423 fails the REGISTER. A 2xx whose Contact for us has no
 * expires (and no Expires header) grants what we asked for (as JsSIP).
 *
 * A failed refresh is tried again after the response's Retry-After (1 s
 * to REG_MAX_RETRY_AFTER), else after retry_secs but within half of what
 * the binding has left (at least 1 s), so that the retry comes before the
 * binding lapses (reg_retry_ms). A binding whose granted time runs out
 * without a successful refresh is reported lost (REG_UNREGISTERED,
 * ETIMEDOUT) while the tries go on. */
#ifndef SIPWS_REG_H
#define SIPWS_REG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip.h"

#define REG_DEFAULT_EXPIRES 600  /* JsSIP's register_expires */
#define REG_MAX_BINDINGS 32      /* bindings reported from one 200 */
#define REG_MAX_RETRY_AFTER 3600 /* longest Retry-After honoured, seconds */

struct reg;

struct reg_config {
	/* Registrar Request-URI ("sip:example.org"); NULL: "sip:" + the
	 * host[:port] of the account. */
	const char *server;
	uint32_t expires;            /* asked for; 0: REG_DEFAULT_EXPIRES */
	/* More "Name: value" lines for every REGISTER (NULL-terminated). */
	const char *const *headers;
	/* After a failed refresh or re-registration (not an authentication
	 * failure), try again after this many seconds (0: 30), or sooner
	 * while our binding lasts, or after the response's Retry-After (see
	 * the top of this file). A failed first
	 * registration is reported and not retried, unless it failed because
	 * the transport was lost: then it is tried again once the transport
	 * reconnects (ws_config.reconnect). */
	unsigned retry_secs;
};

enum reg_event_type {
	/* A 2xx to a REGISTER with our contact. expires: what the registrar
	 * granted us (0 if our contact is missing from the answer, which is
	 * then REG_FAILED instead). Also after each refresh. */
	REG_REGISTERED,
	/* The registration (or a refresh, or an unregistration or query) did
	 * not succeed: err says why (sip_response errors: EKEYREJECTED,
	 * EPERM, ETIMEDOUT, ECONNRESET...; EPROTO for a 2xx without our
	 * contact; 0 with a final status >= 300). */
	REG_FAILED,
	/* Our contact was removed (reg_unregister), or all contacts
	 * (reg_unregister_all); bindings: what remains. Also when the
	 * transport was lost while registered (err ECONNRESET: the
	 * registrar drops a WebSocket contact with its connection), before
	 * the re-registration that follows the reconnection, a refresh in
	 * flight included; and when the granted time ran out without a
	 * successful refresh (err ETIMEDOUT; the tries go on). Each loss is
	 * told once; REG_REGISTERED follows the next success. */
	REG_UNREGISTERED,
	/* reg_query's answer: the bindings. */
	REG_QUERIED,
};

/* One Contact of a REGISTER 2xx. Strings are NUL-terminated copies valid
 * during the handler call. */
struct reg_binding {
	const char *uri;             /* the contact URI */
	const char *value;           /* the whole Contact value as received */
	uint32_t expires;            /* its expires param, else the Expires header */
	bool ours;                   /* our contact (same URI, or same
				      * +sip.instance and reg-id) */
	int q;                       /* q in thousandths, -1 when absent */
	const char *pub_gruu;        /* RFC 5627 params, NULL when absent */
	const char *temp_gruu;
};

struct reg_event {
	enum reg_event_type type;
	int err;
	unsigned status;             /* final status, 0 without a response */
	const char *reason;          /* phrase or error text, never NULL */
	uint32_t expires;            /* REGISTERED: granted for our contact */
	const struct reg_binding *bindings;
	size_t nbindings;
	bool truncated;              /* more than REG_MAX_BINDINGS */
	uint64_t latency_us;         /* of the REGISTER transaction */
	bool refresh;                /* REGISTERED/FAILED of a refresh or re-registration */
	uint64_t retry_ms;           /* FAILED: tried again in this many ms;
				      * 0: not by a timer (given up, or after
				      * the reconnection) */
};
typedef void(reg_event_h)(const struct reg_event *ev, void *arg);

/* Attach a registration client to the core (it watches the transport to
 * re-register). EINVAL for a bad server URI or header line, ENOMEM,
 * ENOSPC (no watcher slot). */
int reg_alloc(struct reg **rp, struct sip *sip, const struct reg_config *cfg,
	      reg_event_h *h, void *arg);
/* Stops timers, abandons a pending REGISTER, unwatches. No unregistration
 * is sent (call reg_unregister and wait for its event first). NULL is
 * ignored. */
void reg_free(struct reg *r);

/* Register (or refresh now) and keep registered until reg_unregister,
 * re-registering after each reconnection. A REGISTER already on its way
 * is kept (returns 0); another pending request of this reg is abandoned.
 * Returns 0 or sip_request_send's errors (ENOTCONN before sip_start). */
int reg_register(struct reg *r);
/* Remove our contact (Contact with expires=0, Expires: 0) and stop
 * refreshing; a pending request of this reg is abandoned. */
int reg_unregister(struct reg *r);
/* Remove every contact of the AoR (Contact: *, Expires: 0), and stop
 * refreshing. */
int reg_unregister_all(struct reg *r);
/* Ask for the current bindings (REGISTER without Contact); refreshing
 * goes on. EBUSY while another request of this reg is pending. */
int reg_query(struct reg *r);

bool reg_is_registered(const struct reg *r);
/* Seconds granted by the last successful registration (0 if none). */
uint32_t reg_expires(const struct reg *r);
/* GRUUs the registrar gave our contact (RFC 5627), or NULL. */
const char *reg_pub_gruu(const struct reg *r);
const char *reg_temp_gruu(const struct reg *r);

#endif
