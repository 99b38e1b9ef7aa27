/* Pipelined MESSAGE sending: a submission queue, a window of
 * transactions in flight, one Call-ID with increasing CSeq. */
#include "im.h"
#include "tsx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tsx.h"
#include "uri.h"

/* One message, with its inputs in one allocation (strings after it). */
struct im_item {
	struct im_item *prev, *next;
	struct im *im;
	uint64_t id;
	struct sip_request *req;     /* in flight */
	char *to;
	char *content_type;
	char *body;
	size_t len;
	char **headers;              /* NULL-terminated, into the block */
};

struct im {
	struct sip *sip;
	im_result_h *h;
	void *arg;
	unsigned window;
	char *content_type;
	char call_id[TSX_TOKEN_SIZE];
	char from_tag[TSX_TOKEN_SIZE];
	uint32_t cseq;
	uint64_t next_id;
	struct im_item *queue_head, *queue_tail;
	struct im_item *flight;      /* in flight, any order */
	size_t nqueued;
	size_t nflight;
	bool opened;                 /* a first final response came back */
	struct loop_timer t_pump;
};

static void pump(struct im *im);

static void pump_cb(void *arg)
{
	pump(arg);
}

static void pump_later(struct im *im)
{
	if (!loop_timer_running(&im->t_pump) && im->queue_head != NULL)
		loop_timer_start(&im->t_pump, sip_loop(im->sip), 0, pump_cb, im);
}

static void flight_remove(struct im *im, struct im_item *it)
{
	if (it->prev != NULL)
		it->prev->next = it->next;
	else
		im->flight = it->next;
	if (it->next != NULL)
		it->next->prev = it->prev;
	it->prev = it->next = NULL;
	im->nflight--;
}

static void report(struct im *im, struct im_item *it,
		   const struct sip_response *resp, int err)
{
	struct im_result res;

	memset(&res, 0, sizeof(res));
	res.id = it->id;
	if (resp != NULL) {
		res.err = resp->err;
		res.status = resp->status;
		res.reason = resp->reason;
		res.latency_us = resp->latency_us;
		res.challenges = resp->challenges;
		res.response = resp->msg;
	} else {
		res.err = err;
		res.reason = strerror(err);
	}
	if (im->h != NULL)
		im->h(&res, im->arg);
}

static void on_response(struct sip_request *req,
			const struct sip_response *resp, void *arg)
{
	struct im_item *it = arg;
	struct im *im = it->im;

	(void)req;
	if (!resp->final)
		return;
	flight_remove(im, it);
	if (resp->cseq >= im->cseq)
		im->cseq = resp->cseq + 1;
	/* the window opens once a final answer passed any challenge */
	if (resp->msg != NULL && resp->err == 0)
		im->opened = true;
	report(im, it, resp, 0);
	free(it);
	/* from the loop: the next ones may go at once */
	pump(im);
}

static int transmit(struct im *im, struct im_item *it)
{
	struct sip_request_spec spec;
	struct sipmsg *msg = NULL;
	int err;

	memset(&spec, 0, sizeof(spec));
	spec.method = "MESSAGE";
	spec.request_uri = it->to;
	spec.from_tag = im->from_tag;
	spec.call_id = im->call_id;
	spec.cseq = im->cseq++;
	spec.headers = (const char *const *)it->headers;
	spec.content_type = it->content_type;
	spec.body = it->body;
	spec.body_len = it->len;
	err = sip_request_new(im->sip, &spec, &msg);
	if (err != 0)
		return err;
	return sip_request_send(im->sip, msg, on_response, it, &it->req);
}

static void pump(struct im *im)
{
	struct im_item *it;
	int err;

	while ((it = im->queue_head) != NULL &&
	       im->nflight < (im->opened ? im->window : 1u)) {
		im->queue_head = it->next;
		if (im->queue_head == NULL)
			im->queue_tail = NULL;
		im->nqueued--;
		it->next = im->flight;
		it->prev = NULL;
		if (im->flight != NULL)
			im->flight->prev = it;
		im->flight = it;
		im->nflight++;
		err = transmit(im, it);
		if (err != 0) {
			flight_remove(im, it);
			report(im, it, NULL, err);
			free(it);
		}
	}
}

int im_alloc(struct im **ip, struct sip *sip, const struct im_config *cfg,
	     im_result_h *h, void *arg)
{
	struct sipmsg_media media;
	struct im *im;
	const char *ct;

	if (ip == NULL || sip == NULL)
		return EINVAL;
	*ip = NULL;
	if (cfg != NULL && cfg->window > IM_MAX_WINDOW)
		return EINVAL;
	ct = cfg != NULL && cfg->content_type != NULL ? cfg->content_type
						      : IM_DEFAULT_CONTENT_TYPE;
	if (sipmsg_media_parse(span_from_str(ct), &media) != 0 ||
	    span_eq(media.type, "*") || span_eq(media.subtype, "*"))
		return EINVAL;
	im = calloc(1, sizeof(*im));
	if (im == NULL)
		return ENOMEM;
	im->sip = sip;
	im->h = h;
	im->arg = arg;
	im->window = cfg != NULL && cfg->window ? cfg->window : IM_DEFAULT_WINDOW;
	im->cseq = 1;
	im->next_id = 1;
	loop_timer_init(&im->t_pump);
	im->content_type = strdup(ct);
	if (im->content_type == NULL ||
	    tsx_token_new(im->call_id, sizeof(im->call_id), TSX_CALL_ID_CHARS) != 0 ||
	    tsx_token_new(im->from_tag, sizeof(im->from_tag), TSX_TAG_CHARS) != 0) {
		free(im->content_type);
		free(im);
		return ENOMEM;
	}
	*ip = im;
	return 0;
}

void im_free(struct im *im)
{
	struct im_item *it;

	if (im == NULL)
		return;
	loop_timer_cancel(&im->t_pump);
	while ((it = im->queue_head) != NULL) {
		im->queue_head = it->next;
		free(it);
	}
	while ((it = im->flight) != NULL) {
		im->flight = it->next;
		sip_request_abandon(it->req);
		free(it);
	}
	free(im->content_type);
	free(im);
}

int im_send(struct im *im, const struct im_message *m, uint64_t *idp)
{
	const char *ct;
	struct sipmsg_media media;
	struct uri u;
	struct im_item *it;
	size_t n = 0, i, size, tl, cl;
	char *p;

	if (im == NULL || m == NULL || m->to == NULL ||
	    (m->len > 0 && m->body == NULL))
		return EINVAL;
	if (uri_decode(&u, m->to, strlen(m->to), NULL, 0) != 0 ||
	    (u.scheme != URI_SCHEME_SIP && u.scheme != URI_SCHEME_SIPS) ||
	    u.headers.p != NULL)
		return EINVAL;
	ct = m->content_type != NULL ? m->content_type : im->content_type;
	if (m->content_type != NULL &&
	    (sipmsg_media_parse(span_from_str(ct), &media) != 0 ||
	     span_eq(media.type, "*") || span_eq(media.subtype, "*")))
		return EINVAL;
	while (m->headers != NULL && m->headers[n] != NULL)
		n++;
	if (n > SIP_MAX_EXTRA_HEADERS)
		return E2BIG;
	tl = strlen(m->to) + 1;
	cl = strlen(ct) + 1;
	size = sizeof(*it) + (n + 1) * sizeof(char *) + tl + cl + m->len + 1;
	for (i = 0; i < n; i++)
		size += strlen(m->headers[i]) + 1;
	it = malloc(size);
	if (it == NULL)
		return ENOMEM;
	memset(it, 0, sizeof(*it));
	it->im = im;
	it->headers = (char **)(it + 1);
	p = (char *)(it->headers + n + 1);
	for (i = 0; i < n; i++) {
		size_t hl = strlen(m->headers[i]) + 1;

		memcpy(p, m->headers[i], hl);
		it->headers[i] = p;
		p += hl;
	}
	it->headers[n] = NULL;
	it->to = p;
	memcpy(p, m->to, tl);
	p += tl;
	it->content_type = p;
	memcpy(p, ct, cl);
	p += cl;
	it->body = p;
	if (m->len > 0)
		memcpy(p, m->body, m->len);
	p[m->len] = '\0';
	it->len = m->len;
	it->id = im->next_id++;
	if (im->queue_tail != NULL)
		im->queue_tail->next = it;
	else
		im->queue_head = it;
	im->queue_tail = it;
	im->nqueued++;
	if (idp != NULL)
		*idp = it->id;
	pump_later(im);
	return 0;
}

size_t im_pending(const struct im *im)
{
	return im->nqueued + im->nflight;
}

size_t im_in_flight(const struct im *im)
{
	return im->nflight;
}
