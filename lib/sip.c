/* The SIP user-agent core: the WebSocket transport under the transaction
 * layer, receiving and dispatching (OPTIONS, MESSAGE, INVITE and CANCEL to
 * sip-call.c), transport events and the core's life. UAC requests are in
 * sip-request.c, replies in sip-reply.c (see sip-private.h). */
#include "sip-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "random.h"
#include "uri.h"
#include "version.h"

/* ---- small helpers ------------------------------------------------------ */

/* A reason phrase is shown, not parsed: a longer one is cut to the
 * buffer, before a UTF-8 character rather than inside it. */
void sip_set_reason(char *buf, size_t size, struct span text)
{
	size_t n = text.len < size - 1 ? text.len : size - 1;

	if (n < text.len)
		while (n > 0 && ((unsigned char)text.p[n] & 0xc0) == 0x80)
			n--;

	if (text.p != NULL)
		memcpy(buf, text.p, n);
	buf[n] = '\0';
}

/* The URI inside a name-addr or addr-spec value. */
struct span sip_addr_uri_span(struct span value)
{
	const char *p = value.p, *end = value.p + value.len, *lt = NULL, *gt;
	bool quoted = false;

	if (p == NULL)
		return SPAN_NULL;
	for (; p < end; p++) {
		if (*p == '\\' && quoted && p + 1 < end) {
			p++;
			continue;
		}
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '<' && !quoted) {
			lt = p;
			break;
		}
	}
	if (lt != NULL) {
		gt = memchr(lt, '>', (size_t)(end - lt));
		if (gt == NULL)
			return SPAN_NULL;
		return span_make(lt + 1, (size_t)(gt - lt - 1));
	}
	p = memchr(value.p, ';', value.len);
	return span_trim(span_make(value.p, p ? (size_t)(p - value.p) : value.len));
}

void sip_fill_party(const struct sipmsg *msg, enum sipmsg_hdr_id id,
		    struct span *value, struct span *uri,
		    struct span *display)
{
	struct sipmsg_header hdr;
	struct sipmsg_party party;
	int err;

	*value = SPAN_NULL;
	*uri = SPAN_NULL;
	if (display != NULL)
		*display = SPAN_NULL;
	if (sipmsg_header_get_id(msg, id, 0, &hdr) != 0)
		return;
	*value = hdr.value;
	*uri = sip_addr_uri_span(hdr.value);
	err = id == SIPMSG_HDR_FROM ? sipmsg_from_get(msg, &party)
				    : sipmsg_to_get(msg, &party);
	if (err == 0 && display != NULL)
		*display = party.addr.display;
}

/* A quoted display name (RFC 3261 §25.1 quoted-string). */
static char *quote_display(const char *name)
{
	size_t n = strlen(name), i, j = 0;
	char *q = malloc(2 * n + 3);

	if (q == NULL)
		return NULL;
	q[j++] = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '\r' || c == '\n')
			continue;
		if (c == '"' || c == '\\')
			q[j++] = '\\';
		q[j++] = (char)c;
	}
	q[j++] = '"';
	q[j] = '\0';
	return q;
}

/* Split "Name: value" into malloc'd name and value. */
static int header_line_split(const char *line, struct sip_header_line *out)
{
	const char *colon = strchr(line, ':');
	struct span name, value;

	if (colon == NULL)
		return EINVAL;
	name = span_trim(span_make(line, (size_t)(colon - line)));
	value = span_trim(span_from_str(colon + 1));
	if (name.len == 0)
		return EINVAL;
	switch (sipmsg_hdr_lookup(name)) {
	case SIPMSG_HDR_VIA:
	case SIPMSG_HDR_FROM:
	case SIPMSG_HDR_TO:
	case SIPMSG_HDR_CALL_ID:
	case SIPMSG_HDR_CSEQ:
	case SIPMSG_HDR_CONTENT_LENGTH:
	case SIPMSG_HDR_MAX_FORWARDS:
		return EINVAL;
	default:
		break;
	}
	out->name = span_dup(name);
	out->value = value.p ? span_dup(value) : strdup("");
	if (out->name == NULL || out->value == NULL) {
		free(out->name);
		free(out->value);
		out->name = out->value = NULL;
		return ENOMEM;
	}
	return 0;
}

/* Add "Name: value" lines (NULL-terminated list) to msg. */
int sip_add_header_lines(struct sipmsg *msg, const char *const *lines)
{
	struct sip_header_line hl;
	size_t i;
	int err;

	for (i = 0; lines != NULL && lines[i] != NULL; i++) {
		if (i >= SIP_MAX_EXTRA_HEADERS)
			return E2BIG;
		err = header_line_split(lines[i], &hl);
		if (err != 0)
			return err;
		err = sipmsg_header_add(msg, hl.name, hl.value);
		free(hl.name);
		free(hl.value);
		if (err != 0)
			return err;
	}
	return 0;
}


/* ---- transport ---------------------------------------------------------- */

static void backlog_clear(struct sip *sip)
{
	struct sip_out *o;

	while ((o = sip->backlog_head) != NULL) {
		sip->backlog_head = o->next;
		free(o);
	}
	sip->backlog_tail = NULL;
	sip->backlog_count = 0;
}

/* The ws queue has room (WS_EVENT_WRITABLE): what waits here goes on. */
static void backlog_flush(struct sip *sip)
{
	struct sip_out *o;
	int err;

	while ((o = sip->backlog_head) != NULL && sip->connected) {
		err = ws_send(sip->ws, o->data, o->len);
		if (err == ENOBUFS)
			return; /* WS_EVENT_WRITABLE again when there is room */
		if (err != 0)
			loop_log(sip->loop, LOOP_LOG_ERROR,
				 "sip: dropping a queued message: %s",
				 strerror(err));
		sip->backlog_head = o->next;
		if (sip->backlog_head == NULL)
			sip->backlog_tail = NULL;
		sip->backlog_count--;
		free(o);
	}
}

/* tsx_send_h, and everything else we send. */
int sip_transport_send(const char *data, size_t len, void *arg)
{
	struct sip *sip = arg;
	struct sip_out *o;
	int err;

	if (!sip->connected)
		return ENOTCONN;
	if (sip->trace_h != NULL)
		sip->trace_h(true, data, len, sip->trace_arg);
	if (sip->backlog_head == NULL) {
		err = ws_send(sip->ws, data, len);
		if (err != ENOBUFS)
			return err;
	}
	/* The ws queue is full: keep it here, in order, until it drains. */
	o = malloc(sizeof(*o) + len);
	if (o == NULL)
		return ENOMEM;
	o->next = NULL;
	o->len = len;
	memcpy(o->data, data, len);
	if (sip->backlog_tail != NULL)
		sip->backlog_tail->next = o;
	else
		sip->backlog_head = o;
	sip->backlog_tail = o;
	sip->backlog_count++;
	if (sip->backlog_count > sip->stats.backlog_max)
		sip->stats.backlog_max = sip->backlog_count;
	/* ws_send's ENOBUFS asked for WS_EVENT_WRITABLE */
	return 0;
}

/* Encode into sip->enc (for tsx_client_start). */
int sip_encode_msg(struct sip *sip, const struct sipmsg *msg, size_t *lenp)
{
	int err = sipmsg_encode(msg, sip->enc, sip->enc_size, lenp);

	if (err == ENOSPC) {
		size_t size = *lenp + 1 > 2 * sip->enc_size ? *lenp + 1
							     : 2 * sip->enc_size;
		char *p = realloc(sip->enc, size);

		if (p == NULL)
			return ENOMEM;
		sip->enc = p;
		sip->enc_size = size;
		err = sipmsg_encode(msg, sip->enc, sip->enc_size, lenp);
	}
	return err;
}

int sip_send_msg(struct sip *sip, const struct sipmsg *msg)
{
	size_t len;
	int err = sip_encode_msg(sip, msg, &len);

	if (err != 0)
		return err;
	return sip_transport_send(sip->enc, len, sip);
}

static void notify_watchers(struct sip *sip, const struct sip_transport_event *ev)
{
	struct sip_watcher w[SIP_MAX_WATCHERS];
	size_t i, n = sip->nwatchers;

	/* a copy: a handler may unwatch */
	memcpy(w, sip->watchers, n * sizeof(w[0]));
	for (i = 0; i < n; i++)
		w[i].h(ev, w[i].arg);
}

/* ---- UAS: dispatch ------------------------------------------------------ */

static void serve_options(struct sip *sip, struct tsx_server *t)
{
	struct sipmsg *resp = NULL;
	int err;

	err = sip_reply_new(sip, tsx_server_request(t), 200, NULL, NULL, &resp);
	if (err != 0) {
		tsx_server_abandon(t);
		return;
	}
	err = sipmsg_header_add(resp, "Allow", sip->dialog_h != NULL ? SIP_ALLOW_DIALOG : SIP_ALLOW);
	if (err == 0)
		err = sipmsg_header_add(resp, "Accept",
					"application/sdp, text/plain, */*");
	if (err == 0)
		err = sipmsg_header_add(resp, "Accept-Encoding", "identity");
	if (err == 0)
		err = sipmsg_header_add(resp, "Supported", SIP_SUPPORTED);
	if (err != 0) {
		sipmsg_free(resp);
		tsx_server_abandon(t);
		return;
	}
	(void)sip_reply_tsx(sip, t, resp);
}

static void serve_message(struct sip *sip, struct tsx_server *t)
{
	const struct sipmsg *req = tsx_server_request(t);
	struct sip_incoming_message m;
	struct sipmsg *resp = NULL;
	struct sipmsg_header hdr;
	unsigned status = 200;

	if (sip->message_h != NULL) {
		memset(&m, 0, sizeof(m));
		m.msg = req;
		sip_fill_party(req, SIPMSG_HDR_FROM, &m.from, &m.from_uri,
			       &m.from_display);
		sip_fill_party(req, SIPMSG_HDR_TO, &m.to, &m.to_uri, NULL);
		(void)sipmsg_call_id_get(req, &m.call_id);
		if (sipmsg_header_get_id(req, SIPMSG_HDR_CONTENT_TYPE, 0, &hdr) == 0)
			m.content_type = hdr.value;
		m.body = sipmsg_body(req);
		status = sip->message_h(&m, sip->message_arg);
		if (status == 0)
			status = 200;
		if (status < 200 || status > 699)
			status = 500;
	}
	if (sip_reply_new(sip, req, status, NULL, NULL, &resp) != 0) {
		tsx_server_abandon(t);
		return;
	}
	(void)sip_reply_tsx(sip, t, resp);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The next byte of a user part with %HH undone; -1 at the end. */
static int user_next(struct span s, size_t *i)
{
	int c;

	if (s.p == NULL || *i >= s.len)
		return -1;
	c = (unsigned char)s.p[(*i)++];
	if (c == '%' && *i + 2 <= s.len && hex_digit(s.p[*i]) >= 0 &&
	    hex_digit(s.p[*i + 1]) >= 0) {
		c = hex_digit(s.p[*i]) * 16 + hex_digit(s.p[*i + 1]);
		*i += 2;
	}
	return c;
}

/* Same user part, %-escapes undone (RFC 3261 §19.1.4: compared
 * case-sensitively). A null user equals only a null or empty one. */
static bool user_equal(struct span a, struct span b)
{
	size_t i = 0, j = 0;
	int ca, cb;

	do {
		ca = user_next(a, &i);
		cb = user_next(b, &j);
		if (ca != cb)
			return false;
	} while (ca >= 0);
	return true;
}

/* Is user the user part of the URI text? */
static bool user_of(const char *uri_text, struct span user)
{
	struct uri u;

	return uri_text != NULL &&
	       uri_decode(&u, uri_text, strlen(uri_text), NULL, 0) == 0 &&
	       user_equal(u.user, user);
}

/* RFC 3261 §8.2.2.1 as JsSIP applies it: 404 for a Request-URI that is
 * not ours, 416 for sips: on ws://; 0 when the request may be served. */
static int check_request_uri(const struct sip *sip, const struct sipmsg *req,
			     const char **reason)
{
	const struct uri *ruri = sipmsg_request_uri(req);

	if (ruri == NULL)
		return 0; /* sip_classify_request refused it already */
	if (!user_of(sip->account, ruri->user) &&
	    !user_of(sip->contact_uri, ruri->user) &&
	    !user_of(sip->pub_gruu, ruri->user) &&
	    !user_of(sip->temp_gruu, ruri->user)) {
		*reason = "Not Found";
		return 404;
	}
	if (ruri->scheme == URI_SCHEME_SIPS && !sip->secure) {
		*reason = "Unsupported URI Scheme";
		return 416;
	}
	return 0;
}

static void receive_request(struct sip *sip, struct sipmsg *msg,
			    const char *data, size_t len)
{
	struct tsx_server *t = NULL;
	const char *reason = NULL;
	struct span m = sipmsg_method(msg);
	struct sipmsg_party to;
	int err, status = 0;

	sip->stats.requests_received++;
	err = tsx_layer_request(sip->tsx, msg, &t);
	if (err == ENOENT && sip->dialog_h != NULL &&
	    sip->dialog_h(NULL, msg, sip->dialog_arg)) {
		/* the ACK of a 2xx, for a dialog */
		sipmsg_free(msg);
		return;
	}
	if (err != 0) {
		/* absorbed ACK or retransmission, stray ACK, no usable Via */
		if (err == EBADMSG)
			loop_log(sip->loop, LOOP_LOG_INFO,
				 "sip: dropped a request without a usable Via");
		sipmsg_free(msg);
		return;
	}
	/* msg now belongs to t */
	if (sip->dialog_h != NULL && !span_eq(m, "CANCEL") &&
	    sipmsg_to_get(msg, &to) == 0 && to.tag.p != NULL) {
		sip_serve_dialog(sip, t);
		return;
	}
	if (sip_classify_request(msg, &status, &reason) != 0) {
		tsx_server_abandon(t);
		return;
	}
	if (status == 0) {
		status = check_request_uri(sip, msg, &reason);
		if (status != 0) {
			struct span ruri = sipmsg_request_uri_text(msg);

			loop_log(sip->loop, LOOP_LOG_INFO,
				 "sip: answered %d to %.*s %.*s", status,
				 (int)m.len, m.p, (int)ruri.len, ruri.p);
		}
	}
	if (status != 0) {
		sip_reply_error(sip, t, status, reason);
		return;
	}
	if (span_eq(m, "OPTIONS"))
		serve_options(sip, t);
	else if (span_eq(m, "MESSAGE"))
		serve_message(sip, t);
	else if (span_eq(m, "INVITE"))
		sip_serve_invite(sip, t, data, len);
	else if (span_eq(m, "CANCEL"))
		sip_serve_cancel(sip, t, data, len);
	else
		/* BYE outside a dialog we know */
		sip_reply_error(sip, t, 481, "Call/Transaction Does Not Exist");
}

static void receive(struct sip *sip, const char *data, size_t len)
{
	struct sipmsg *msg = NULL;
	char reason[128];
	int err;

	if (sip->trace_h != NULL)
		sip->trace_h(false, data, len, sip->trace_arg);
	err = sipmsg_decode(&msg, data, len, reason, sizeof(reason));
	if (err != 0) {
		sip->stats.dropped++;
		if (sip_reply_raw_400(sip, data, len) == 0)
			loop_log(sip->loop, LOOP_LOG_INFO,
				 "sip: answered 400 to an undecodable request: %s",
				 reason);
		else
			loop_log(sip->loop, LOOP_LOG_INFO,
				 "sip: dropped an undecodable message: %s",
				 reason);
		return;
	}
	if (sipmsg_is_request(msg)) {
		receive_request(sip, msg, data, len);
		return;
	}
	sip->stats.responses_received++;
	err = tsx_layer_response(sip->tsx, msg);
	if (err == ENOENT) {
		struct sipmsg_cseq cseq;

		/* a retransmitted or forked 2xx to our INVITE: ACK (and end) it */
		if (sipmsg_status(msg) >= 200 && sipmsg_status(msg) < 300 &&
		    sipmsg_cseq_get(msg, &cseq) == 0 &&
		    span_eq(cseq.method, "INVITE")) {
			if (sip->dialog_h == NULL ||
			    !sip->dialog_h(NULL, msg, sip->dialog_arg))
				sip_answer_invite_2xx(sip, msg);
		}
		else
			sip->stats.dropped++;
	} else if (err != 0) {
		sip->stats.dropped++;
		if (sipmsg_via_count(msg) > 1)
			loop_log(sip->loop, LOOP_LOG_INFO,
				 "sip: dropped a %u response with %zu Via "
				 "values (RFC 3261 §18.1.2)",
				 sipmsg_status(msg), sipmsg_via_count(msg));
	}
	sipmsg_free(msg);
}

/* ---- transport events -------------------------------------------------- */

static void fail_waiting(struct sip *sip, int err)
{
	struct sip_request *req;

	while ((req = sip->waiting_head) != NULL) {
		sip_waiting_remove(req);
		sip_request_final(req, err, NULL);
	}
}

static void end_calls(struct sip *sip, enum sip_call_end end)
{
	struct sip_call *call;

	while ((call = sip->calls) != NULL) {
		if (!call->ended) {
			call->end = end;
			if (end == SIP_CALL_END_SHUTDOWN)
				(void)sip_call_final(call, 480, NULL);
		}
		loop_timer_cancel(&call->t_end);
		sip_call_report_end(call, NULL);
	}
}

static void sip_ws_event(const struct ws_event *ev, void *arg)
{
	struct sip *sip = arg;
	struct sip_transport_event te;
	struct sip_request *req;

	memset(&te, 0, sizeof(te));
	te.url = ev->url;
	switch (ev->type) {
	case WS_EVENT_MESSAGE:
		if (!ev->binary || ev->len > 0)
			receive(sip, ev->data, ev->len);
		return;
	case WS_EVENT_CONNECTED:
		sip->connected = true;
		sip->secure = ev->url != NULL && strncmp(ev->url, "wss:", 4) == 0;
		/* the waiting requests go first, in order */
		while ((req = sip->waiting_head) != NULL) {
			int err;

			sip_waiting_remove(req);
			err = sip_request_transmit(req);
			if (err != 0)
				sip_request_final(req, err, NULL);
		}
		te.type = SIP_TRANSPORT_CONNECTED;
		notify_watchers(sip, &te);
		return;
	case WS_EVENT_DISCONNECTED:
		sip->connected = false;
		backlog_clear(sip);
		tsx_layer_fail_all(sip->tsx, ECONNRESET);
		end_calls(sip, SIP_CALL_END_TRANSPORT);
		if (!ev->retry)
			sip->started = false;
		te.type = SIP_TRANSPORT_DISCONNECTED;
		te.err = ev->err;
		te.reason = ev->reason;
		te.retry = ev->retry;
		te.retry_ms = ev->retry_ms;
		notify_watchers(sip, &te);
		if (!ev->retry) {
			/* after the event, which told the reason (refused,
			 * TLS...): the handlers know it when these fail */
			fail_waiting(sip, sip->stopping ? ECANCELED : ECONNRESET);
			sip->stopping = false;
		}
		return;
	case WS_EVENT_WRITABLE:
		backlog_flush(sip);
		return;
	}
}

/* ---- the core ----------------------------------------------------------- */

static int make_credentials(struct sip *sip, const struct sip_config *cfg,
			    const struct uri *account)
{
	char user[DIGEST_USERNAME_MAX + 1];
	const char *au = cfg->auth_user;
	size_t ulen;
	int err, i;

	if (cfg->password == NULL && cfg->ha1 == NULL)
		return 0;
	if (au == NULL) {
		if (uri_unescape(account->user, user, sizeof(user), &ulen) != 0 ||
		    ulen == 0 || strlen(user) != ulen)
			return EINVAL;
		au = user;
	}
	for (i = 0; i < 2; i++) {
		struct digest_client **dc = i == 0 ? &sip->www : &sip->proxy;

		if (cfg->password != NULL)
			err = digest_client_alloc(dc, au, cfg->password,
						  cfg->realm);
		else if (cfg->realm == NULL)
			err = EINVAL; /* an HA1 is bound to one realm */
		else
			err = digest_client_alloc_ha1(dc, au, cfg->realm,
						      cfg->ha1_algorithm,
						      cfg->ha1);
		if (err != 0)
			return err;
	}
	return 0;
}

int sip_alloc(struct sip **sp, struct loop *loop, const struct sip_config *cfg)
{
	struct sip *sip;
	struct uri account;
	struct sipmsg *scratch = NULL;
	char user[16], host[16], reason[128];
	size_t i, n;
	int err;

	if (sp == NULL || loop == NULL || cfg == NULL || cfg->uri == NULL)
		return EINVAL;
	*sp = NULL;
	err = uri_decode(&account, cfg->uri, strlen(cfg->uri), reason,
			 sizeof(reason));
	if (err == E2BIG)
		return E2BIG;
	if (err != 0 ||
	    (account.scheme != URI_SCHEME_SIP && account.scheme != URI_SCHEME_SIPS) ||
	    account.user.p == NULL || account.host.p == NULL)
		return EINVAL;
	sip = calloc(1, sizeof(*sip));
	if (sip == NULL)
		return ENOMEM;
	sip->loop = loop;
	tsx_timers_init(&sip->timers, cfg->t1_ms, cfg->timeout_ms, true);
	err = ENOMEM;
	sip->account = strdup(cfg->uri);
	if (sip->account == NULL)
		goto fail;
	if (cfg->display_name != NULL && cfg->display_name[0] != '\0') {
		char *q = quote_display(cfg->display_name);

		if (q == NULL)
			goto fail;
		n = strlen(q) + strlen(cfg->uri) + 4;
		sip->from_value = malloc(n);
		if (sip->from_value != NULL)
			snprintf(sip->from_value, n, "%s <%s>", q, cfg->uri);
		free(q);
	} else {
		n = strlen(cfg->uri) + 3;
		sip->from_value = malloc(n);
		if (sip->from_value != NULL)
			snprintf(sip->from_value, n, "<%s>", cfg->uri);
	}
	if (sip->from_value == NULL)
		goto fail;
	/* "From: " value ";tag=" tag must make a line the peer decodes */
	err = E2BIG;
	if (strlen(sip->from_value) + 6 + 5 + TSX_TAG_CHARS > SIPMSG_MAX_LINE)
		goto fail;
	err = ENOMEM;
	if (cfg->user_agent == NULL)
		sip->user_agent = strdup("sipws/" SIPWS_VERSION);
	else if (cfg->user_agent[0] != '\0')
		sip->user_agent = strdup(cfg->user_agent);
	if (sip->user_agent == NULL &&
	    (cfg->user_agent == NULL || cfg->user_agent[0] != '\0'))
		goto fail;

	/* extra headers: split, and proven to fit in a message */
	err = sipmsg_new_request(&scratch, "OPTIONS", "sip:check.invalid");
	if (err != 0)
		goto fail;
	for (n = 0; cfg->extra_headers != NULL && cfg->extra_headers[n] != NULL; n++)
		;
	err = EINVAL;
	if (n > SIP_MAX_EXTRA_HEADERS)
		goto fail;
	if (n > 0) {
		sip->extra = calloc(n, sizeof(*sip->extra));
		err = ENOMEM;
		if (sip->extra == NULL)
			goto fail;
	}
	for (i = 0; i < n; i++) {
		err = header_line_split(cfg->extra_headers[i], &sip->extra[i]);
		if (err != 0)
			goto fail;
		sip->nextra++;
		err = sipmsg_header_add(scratch, sip->extra[i].name,
					sip->extra[i].value);
		if (err != 0) {
			err = EINVAL;
			goto fail;
		}
	}
	if (sip->user_agent != NULL &&
	    sipmsg_header_add(scratch, "User-Agent", sip->user_agent) != 0) {
		err = EINVAL;
		goto fail;
	}

	/* RFC 7118 §5: random .invalid names for Via and Contact */
	if (tsx_token_new(host, sizeof(host), 10) != 0 ||
	    tsx_token_new(user, sizeof(user), 8) != 0) {
		err = EIO;
		goto fail;
	}
	snprintf(sip->via_host, sizeof(sip->via_host), "%s.invalid", host);
	if (cfg->instance_id != NULL) {
		const char *id = cfg->instance_id;

		if (strncmp(id, "urn:uuid:", 9) == 0)
			id += 9;
		err = EINVAL;
		if (!sip_uuid_valid(id, strlen(id)))
			goto fail;
		snprintf(sip->instance_urn, sizeof(sip->instance_urn),
			 "<urn:uuid:%s>", id);
	}
	snprintf(sip->contact_uri, sizeof(sip->contact_uri),
		 "sip:%s@%s;transport=ws%s", user, sip->via_host,
		 cfg->instance_id != NULL ? ";ob" : "");

	err = make_credentials(sip, cfg, &account);
	if (err != 0)
		goto fail;
	err = tsx_layer_alloc(&sip->tsx, loop, &sip->timers, sip_transport_send, sip);
	if (err != 0)
		goto fail;
	err = ws_alloc(&sip->ws, loop, &cfg->ws, sip_ws_event, sip);
	if (err != 0)
		goto fail;
	sipmsg_free(scratch);
	*sp = sip;
	return 0;
fail:
	sipmsg_free(scratch);
	sip_free(sip);
	return err;
}

void sip_free(struct sip *sip)
{
	size_t i;

	if (sip == NULL)
		return;
	ws_free(sip->ws);
	sip->ws = NULL;
	while (sip->calls != NULL) {
		struct sip_call *call = sip->calls;

		sip_call_unlink(call);
		sip_call_destroy(call);
	}
	while (sip->requests != NULL)
		sip_request_free(sip->requests);
	tsx_layer_free(sip->tsx);
	backlog_clear(sip);
	digest_client_free(sip->www);
	digest_client_free(sip->proxy);
	for (i = 0; i < sip->nextra; i++) {
		free(sip->extra[i].name);
		free(sip->extra[i].value);
	}
	free(sip->extra);
	free(sip->account);
	free(sip->pub_gruu);
	free(sip->temp_gruu);
	free(sip->from_value);
	free(sip->user_agent);
	free(sip->enc);
	free(sip);
}

int sip_start(struct sip *sip)
{
	int err;

	if (sip == NULL)
		return EINVAL;
	if (sip->started)
		return EALREADY;
	err = ws_connect(sip->ws);
	if (err != 0)
		return err;
	sip->started = true;
	sip->stopping = false;
	return 0;
}

void sip_stop(struct sip *sip)
{
	struct sip_request *req;
	bool found;

	if (sip == NULL || !sip->started || sip->stopping)
		return;
	sip->stopping = true;
	end_calls(sip, SIP_CALL_END_SHUTDOWN);
	fail_waiting(sip, ECANCELED);
	/* requests in flight: one at a time, as handlers may change the list */
	do {
		found = false;
		for (req = sip->requests; req != NULL; req = req->next)
			if (req->state == RQ_SENT && !req->dead) {
				found = true;
				if (req->tsx != NULL) {
					tsx_client_abandon(req->tsx);
					req->tsx = NULL;
				}
				req->state = RQ_IDLE;
				sip_request_final(req, ECANCELED, NULL);
				break;
			}
	} while (found);
	ws_close(sip->ws);
}

bool sip_is_connected(const struct sip *sip)
{
	return sip != NULL && sip->connected;
}

void sip_set_message_handler(struct sip *sip, sip_message_h *h, void *arg)
{
	sip->message_h = h;
	sip->message_arg = arg;
}

void sip_set_call_handler(struct sip *sip, sip_call_h *h, void *arg)
{
	sip->call_h = h;
	sip->call_arg = arg;
}

void sip_set_dialog_handler(struct sip *sip, sip_dialog_h *h, void *arg)
{
	sip->dialog_h = h;
	sip->dialog_arg = arg;
}

int sip_send(struct sip *sip, const struct sipmsg *msg)
{
	if (sip == NULL || msg == NULL)
		return EINVAL;
	if (!sip->connected)
		return ENOTCONN;
	return sip_send_msg(sip, msg);
}

const char *sip_via_prefix(const struct sip *sip, char *buf, size_t size)
{
	snprintf(buf, size, "SIP/2.0/%s %s;rport", sip->secure ? "WSS" : "WS",
		 sip->via_host);
	return buf;
}

bool sip_is_secure(const struct sip *sip)
{
	return sip->secure;
}

const char *sip_contact_value(const struct sip *sip, char *buf, size_t size)
{
	snprintf(buf, size, "<%s>", sip->contact_uri);
	return buf;
}

int sip_set_gruus(struct sip *sip, const char *pub_gruu, const char *temp_gruu)
{
	char *pub = NULL, *temp = NULL;

	if ((pub_gruu != NULL && (pub = strdup(pub_gruu)) == NULL) ||
	    (temp_gruu != NULL && (temp = strdup(temp_gruu)) == NULL)) {
		free(pub);
		return ENOMEM;
	}
	free(sip->pub_gruu);
	free(sip->temp_gruu);
	sip->pub_gruu = pub;
	sip->temp_gruu = temp;
	return 0;
}

int sip_transport_watch(struct sip *sip, sip_transport_h *h, void *arg)
{
	if (sip == NULL || h == NULL)
		return EINVAL;
	if (sip->nwatchers >= SIP_MAX_WATCHERS)
		return ENOSPC;
	sip->watchers[sip->nwatchers].h = h;
	sip->watchers[sip->nwatchers].arg = arg;
	sip->nwatchers++;
	return 0;
}

int sip_transport_unwatch(struct sip *sip, sip_transport_h *h, void *arg)
{
	size_t i;

	if (sip == NULL)
		return EINVAL;
	for (i = 0; i < sip->nwatchers; i++)
		if (sip->watchers[i].h == h && sip->watchers[i].arg == arg) {
			memmove(&sip->watchers[i], &sip->watchers[i + 1],
				(sip->nwatchers - i - 1) * sizeof(sip->watchers[0]));
			sip->nwatchers--;
			return 0;
		}
	return ENOENT;
}

void sip_set_trace(struct sip *sip, sip_trace_h *h, void *arg)
{
	sip->trace_h = h;
	sip->trace_arg = arg;
}

void sip_stats_get(const struct sip *sip, struct sip_stats *st)
{
	*st = sip->stats;
}

struct loop *sip_loop(const struct sip *sip)
{
	return sip->loop;
}

const char *sip_account(const struct sip *sip)
{
	return sip->account;
}

const char *sip_contact_uri(const struct sip *sip)
{
	return sip->contact_uri;
}

const char *sip_instance_urn(const struct sip *sip)
{
	return sip->instance_urn[0] != '\0' ? sip->instance_urn : NULL;
}

const char *sip_server_url(const struct sip *sip)
{
	return ws_url(sip->ws);
}

const struct tsx_timers *sip_timers(const struct sip *sip)
{
	return &sip->timers;
}
