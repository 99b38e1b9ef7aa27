/* Private to the SIP core's files (sip.c: core, transport and dispatch;
 * sip-request.c: UAC requests with digest retry, CANCEL, ACK and BYE of an
 * answered INVITE; sip-reply.c: classification and stateless replies;
 * sip-call.c: ringing calls on the UAS side; sip-instance.c: the RFC 5626
 * instance id) (private: not installed). */
#ifndef SIPWS_SIP_PRIVATE_H
#define SIPWS_SIP_PRIVATE_H

#include "sip.h"
#include "tsx.h"
#include "internal/testing.h"


#define SIP_MAX_CHALLENGES 8     /* WWW-/Proxy-Authenticate values looked at */
#define SIP_AUTH_HEADER_SIZE 2048 /* first try; grown up to a header line */

struct sip_header_line {
	char *name;
	char *value;
};

/* A message waiting for room in the ws queue. */
struct sip_out {
	struct sip_out *next;
	size_t len;
	char data[];
};

struct sip_watcher {
	sip_transport_h *h;
	void *arg;
};

enum sip_request_state {
	RQ_IDLE,     /* built, not yet handed to a transaction */
	RQ_WAITING,  /* waiting for the transport */
	RQ_SENT,     /* a client transaction runs */
};

struct sip_request {
	struct sip_request *prev, *next;   /* sip->requests */
	struct sip_request *wprev, *wnext; /* sip->waiting */
	struct sip *sip;
	struct sipmsg *msg;
	char *ruri;                 /* NUL-terminated Request-URI (digest uri) */
	char *method;
	sip_response_h *h;
	void *arg;
	struct tsx_client *tsx;
	enum sip_request_state state;
	struct loop_timer timer;    /* timeout while waiting */
	uint64_t t0_us;             /* first transmission */
	uint32_t cseq;
	unsigned challenges;
	unsigned stale_retries;
	unsigned fresh_retries;
	bool used_www, used_proxy;  /* credentials sent in the last attempt */
	bool www_challenged;        /* this request took a 401 of its own */
	bool proxy_challenged;      /* ... a 407 */
	bool invite;
	bool keep_via;              /* CANCEL: the INVITE's Via, as is */
	bool no_auth;               /* CANCEL, internal BYE without creds */
	bool provisional_seen;
	bool cancel_wanted;
	bool cancel_sent;
	bool abandoned;
	bool in_handler;
	bool dead;                  /* freed once the handler returns */
	char *cancel_reason;
	char reason[128];
};

struct sip_call {
	struct sip_call *prev, *next;
	struct sip *sip;
	struct tsx_server *tsx;     /* NULL once the transaction ended */
	struct sipmsg *invite;      /* our own copy, for the events */
	char to_tag[TSX_TOKEN_SIZE];
	char *call_id;
	enum sip_call_end end;
	unsigned status;            /* final status sent */
	bool ended;                 /* ENDED reported or scheduled */
	struct loop_timer t_end;
};

struct sip {
	struct loop *loop;
	struct ws *ws;
	struct tsx_layer *tsx;
	struct tsx_timers timers;
	char *account;
	char *from_value;           /* display + <aor>, without tag */
	char *user_agent;           /* NULL: none */
	struct sip_header_line *extra;
	size_t nextra;
	char via_host[32];
	char contact_uri[128];
	char instance_urn[64];      /* "<urn:uuid:...>", "" without outbound */
	char *pub_gruu, *temp_gruu; /* RFC 5627, from reg.c; NULL: none */
	struct digest_client *www;
	struct digest_client *proxy;
	bool www_for_all;           /* a non-REGISTER request got a 401 */
	bool proxy_for_register;    /* a REGISTER got a 407 */
	bool started;
	bool connected;
	bool secure;
	bool stopping;
	struct sip_watcher watchers[SIP_MAX_WATCHERS];
	size_t nwatchers;
	sip_message_h *message_h;
	void *message_arg;
	sip_call_h *call_h;
	void *call_arg;
	sip_dialog_h *dialog_h;
	void *dialog_arg;
	sip_trace_h *trace_h;
	void *trace_arg;
	struct sip_request *requests;
	struct sip_request *waiting_head, *waiting_tail;
	struct sip_call *calls;
	struct sip_out *backlog_head, *backlog_tail;
	size_t backlog_count;
	char *enc;                  /* encoding buffer, reused */
	size_t enc_size;
	struct sip_stats stats;
};

/* sip.c */
void sip_set_reason(char *buf, size_t size, struct span text);
struct span sip_addr_uri_span(struct span value);
void sip_fill_party(const struct sipmsg *msg, enum sipmsg_hdr_id id,
		    struct span *value, struct span *uri,
		    struct span *display);
int sip_add_header_lines(struct sipmsg *msg, const char *const *lines);
int sip_transport_send(const char *data, size_t len, void *arg);
int sip_encode_msg(struct sip *sip, const struct sipmsg *msg, size_t *lenp);
int sip_send_msg(struct sip *sip, const struct sipmsg *msg);

/* sip-request.c */
void sip_waiting_remove(struct sip_request *req);
void sip_request_free(struct sip_request *req);
void sip_request_final(struct sip_request *req, int err,
		       const struct sipmsg *resp);
int sip_request_transmit(struct sip_request *req);
void sip_answer_invite_2xx(struct sip *sip, const struct sipmsg *resp);

/* sip-reply.c */
int sip_reply_new(struct sip *sip, const struct sipmsg *req,
		  unsigned status, const char *reason, const char *to_tag,
		  struct sipmsg **respp);
int sip_reply_tsx(struct sip *sip, struct tsx_server *t,
		  struct sipmsg *resp);
void sip_reply_error(struct sip *sip, struct tsx_server *t, int status,
		     const char *reason);
int sip_reply_raw_400(struct sip *sip, const char *data, size_t len);

struct sip_server {
	struct sip *sip;
	struct tsx_server *t;       /* NULL once the transaction ended */
	sip_server_end_h *end_h;
	void *end_arg;
};

/* sip-call.c */
void sip_serve_dialog(struct sip *sip, struct tsx_server *t);
void sip_call_unlink(struct sip_call *call);
void sip_call_destroy(struct sip_call *call);
void sip_call_report_end(struct sip_call *call,
			 const struct sipmsg *cause);
int sip_call_final(struct sip_call *call, unsigned status,
		   const char *reason);
void sip_serve_invite(struct sip *sip, struct tsx_server *t,
		      const char *data, size_t len);
void sip_serve_cancel(struct sip *sip, struct tsx_server *t,
		      const char *data, size_t len);

#endif
