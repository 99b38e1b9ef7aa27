/* The SIP core's UAS answers before a request is served: classification,
 * error responses in and out of a transaction, and the stateless 400 for
 * what cannot be parsed; see sip.h. */
#include "sip-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- UAS: classification ---------------------------------------------- */

static const char *const supported_tags[] = {"outbound", "gruu", NULL};
static const char *const sdp_types[] = {"application/sdp", NULL};

enum method_kind { METHOD_SERVED, METHOD_KNOWN, METHOD_UNKNOWN };

static enum method_kind method_kind(struct span m)
{
	static const char *const served[] = {"INVITE", "ACK", "CANCEL", "BYE",
					     "OPTIONS", "MESSAGE", NULL};
	static const char *const known[] = {"REGISTER", "SUBSCRIBE", "NOTIFY",
					    "REFER", "INFO", "UPDATE", "PRACK",
					    "PUBLISH", NULL};
	size_t i;

	for (i = 0; served[i] != NULL; i++)
		if (span_eq(m, served[i]))
			return METHOD_SERVED;
	for (i = 0; known[i] != NULL; i++)
		if (span_eq(m, known[i]))
			return METHOD_KNOWN;
	return METHOD_UNKNOWN;
}

/* Our capabilities for this request; type_buf holds MESSAGE's own type
 * (we take any body type in a MESSAGE and hand it over as is). */
static void request_caps(const struct sipmsg *req, struct sipmsg_caps *caps,
			 const char **accept, char *type_buf, size_t size)
{
	struct sipmsg_media media;
	struct span m = sipmsg_method(req);

	caps->supported = supported_tags;
	caps->accept = sdp_types;
	caps->produce = NULL;
	if (span_eq(m, "INVITE"))
		caps->produce = sdp_types;
	if (span_eq(m, "MESSAGE") &&
	    sipmsg_content_type_get(req, &media) == 0 &&
	    media.type.len + media.subtype.len + 2 <= size) {
		memcpy(type_buf, media.type.p, media.type.len);
		type_buf[media.type.len] = '/';
		memcpy(type_buf + media.type.len + 1, media.subtype.p,
		       media.subtype.len);
		type_buf[media.type.len + 1 + media.subtype.len] = '\0';
		accept[0] = type_buf;
		accept[1] = NULL;
		caps->accept = accept;
	}
}

int sip_classify_request(const struct sipmsg *req, int *status,
			 const char **reason)
{
	struct sipmsg_caps caps;
	struct sipmsg_party to;
	const char *accept[2];
	char type[256];
	struct span m;
	int err;

	if (req == NULL || status == NULL || !sipmsg_is_request(req))
		return EINVAL;
	request_caps(req, &caps, accept, type, sizeof(type));
	err = sipmsg_check_request(req, &caps, status, reason);
	if (err != 0 || *status != 0)
		return err;
	m = sipmsg_method(req);
	switch (method_kind(m)) {
	case METHOD_KNOWN:
		*status = 405;
		if (reason != NULL)
			*reason = "Method Not Allowed";
		return 0;
	case METHOD_UNKNOWN:
		*status = 501;
		if (reason != NULL)
			*reason = "Not Implemented";
		return 0;
	case METHOD_SERVED:
		break;
	}
	/* We keep no dialogs yet: every mid-dialog request is for one we
	 * do not know (§12.2.2). ACK is never answered; CANCEL is matched
	 * by its transaction. */
	if (!span_eq(m, "ACK") && !span_eq(m, "CANCEL") &&
	    sipmsg_to_get(req, &to) == 0 && to.tag.p != NULL) {
		*status = 481;
		if (reason != NULL)
			*reason = "Call/Transaction Does Not Exist";
	}
	return 0;
}

/* ---- UAS: responses ------------------------------------------------------ */

int sip_reply_new(struct sip *sip, const struct sipmsg *req,
		  unsigned status, const char *reason, const char *to_tag,
		  struct sipmsg **respp)
{
	char tag[TSX_TOKEN_SIZE];
	int err;

	if (to_tag == NULL && status > 100) {
		err = tsx_token_new(tag, sizeof(tag), TSX_TAG_CHARS);
		if (err != 0)
			return err;
		to_tag = tag;
	}
	err = sipmsg_new_reply(respp, req, status, reason, to_tag);
	if (err == 0 && sip->user_agent != NULL)
		err = sipmsg_header_add(*respp, "Server", sip->user_agent);
	if (err != 0) {
		sipmsg_free(*respp);
		*respp = NULL;
	}
	return err;
}

/* Answer through the server transaction (t may end inside). */
int sip_reply_tsx(struct sip *sip, struct tsx_server *t,
		  struct sipmsg *resp)
{
	int err = tsx_server_reply(t, resp);

	sip->stats.responses_sent++;
	sipmsg_free(resp);
	return err;
}

/* An error response per sip_classify_request, with the headers that
 * explain it (§8.2.2.3 Unsupported, §8.2.3 Accept, §8.2.1 Allow). */
void sip_reply_error(struct sip *sip, struct tsx_server *t, int status,
		     const char *reason)
{
	const struct sipmsg *req = tsx_server_request(t);
	struct sipmsg *resp = NULL;
	struct sipmsg_caps caps;
	const char *accept[2];
	char type[256];
	struct span tag;
	size_t i;
	int err;

	err = sip_reply_new(sip, req, (unsigned)status, reason, NULL, &resp);
	if (err != 0) {
		tsx_server_abandon(t);
		return;
	}
	switch (status) {
	case 405:
	case 501:
		err = sipmsg_header_add(resp, "Allow", sip->dialog_h != NULL ? SIP_ALLOW_DIALOG : SIP_ALLOW);
		break;
	case 415:
		err = sipmsg_header_add(resp, "Accept", "application/sdp");
		if (err == 0)
			err = sipmsg_header_add(resp, "Accept-Encoding",
						"identity");
		break;
	case 420:
		request_caps(req, &caps, accept, type, sizeof(type));
		for (i = 0; err == 0 &&
			    sipmsg_unsupported_get(req, &caps, i, &tag) == 0;
		     i++)
			err = sipmsg_header_add_span(resp, "Unsupported", tag);
		break;
	default:
		break;
	}
	if (err != 0) {
		sipmsg_free(resp);
		tsx_server_abandon(t);
		return;
	}
	(void)sip_reply_tsx(sip, t, resp);
}

int sip_bad_request_reply(const char *data, size_t len, char *buf,
			  size_t size, size_t *lenp)
{
	static const char *const names[5][2] = {
		{"via", "v"}, {"from", "f"}, {"to", "t"},
		{"call-id", "i"}, {"cseq", NULL},
	};
	static const char head[] = "SIP/2.0 400 Bad Request\r\n";
	static const char tail[] = "Content-Length: 0\r\n\r\n";
	struct span lines[5][8];
	size_t nlines[5] = {0}, i, j, total;
	const char *p = data, *end = data + len, *eol;
	char *o;
	bool first = true;

	if (data == NULL || buf == NULL)
		return EINVAL;
	if (len > SIPMSG_MAX_SIZE)
		return E2BIG;
	while (p < end) {
		struct span line, name;
		const char *colon;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		line = span_make(p, (size_t)(eol - p));
		if (line.len > 0 && line.p[line.len - 1] == '\r')
			line.len--;
		p = eol < end ? eol + 1 : end;
		if (first) {
			/* a request line: not a response, not an ACK */
			if (line.len < 12 || memcmp(line.p, "SIP/", 4) == 0 ||
			    memcmp(line.p, "ACK ", 4) == 0 ||
			    memcmp(line.p + line.len - 8, " SIP/2.0", 8) != 0)
				return EBADMSG;
			first = false;
			continue;
		}
		if (line.len == 0)
			break;
		if (line.p[0] == ' ' || line.p[0] == '\t')
			continue; /* a fold: we copy single lines only */
		colon = memchr(line.p, ':', line.len);
		if (colon == NULL)
			continue;
		name = span_trim(span_make(line.p, (size_t)(colon - line.p)));
		for (i = 0; i < 5; i++)
			if (span_eq_nocase(name, names[i][0]) ||
			    (names[i][1] != NULL && span_eq_nocase(name, names[i][1])))
				break;
		if (i == 5)
			continue;
		/* what we copy must be clean: no control characters */
		for (j = 0; j < line.len; j++)
			if ((unsigned char)line.p[j] < 0x20 && line.p[j] != '\t')
				return EBADMSG;
		if (nlines[i] == 8)
			return EBADMSG;
		lines[i][nlines[i]++] = line;
	}
	total = sizeof(head) - 1 + sizeof(tail) - 1;
	for (i = 0; i < 5; i++) {
		/* every one present, and a single From/To/Call-ID/CSeq */
		if (nlines[i] == 0 || (i > 0 && nlines[i] != 1))
			return EBADMSG;
		for (j = 0; j < nlines[i]; j++)
			total += lines[i][j].len + 2;
	}
	if (lenp != NULL)
		*lenp = total;
	if (size <= total)
		return ENOSPC;
	o = buf;
	memcpy(o, head, sizeof(head) - 1);
	o += sizeof(head) - 1;
	for (i = 0; i < 5; i++)
		for (j = 0; j < nlines[i]; j++) {
			memcpy(o, lines[i][j].p, lines[i][j].len);
			o += lines[i][j].len;
			*o++ = '\r';
			*o++ = '\n';
		}
	memcpy(o, tail, sizeof(tail) - 1);
	o += sizeof(tail) - 1;
	*o = '\0';
	return 0;
}

/* The 400 for a request too broken to decode, when it has all that
 * routing a response needs; else nothing. */
int sip_reply_raw_400(struct sip *sip, const char *data, size_t len)
{
	size_t n = 0;
	char probe, *out;
	/* size 0: only measures (ENOSPC), or says there is nothing to do */
	int err = sip_bad_request_reply(data, len, &probe, 0, &n);

	if (err != ENOSPC)
		return err;
	out = malloc(n + 1);
	if (out == NULL)
		return ENOMEM;
	err = sip_bad_request_reply(data, len, out, n + 1, &n);
	if (err == 0) {
		/* copied lines that do not make a response (a broken Via)
		 * could not be routed back anyway */
		struct sipmsg *check = NULL;

		err = sipmsg_decode(&check, out, n, NULL, 0);
		sipmsg_free(check);
	}
	if (err == 0)
		err = sip_transport_send(out, n, sip);
	if (err == 0)
		sip->stats.responses_sent++;
	free(out);
	return err;
}

