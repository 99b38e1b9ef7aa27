/* RFC 6455, client side: handshake text, frame decoding with reassembly
 * and UTF-8 checks, masked frame encoding. Pure: the caller does the I/O
 * (lib/ws.c) and bounds everything through max_message. */
#include "wsframe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* SHA-1 through OpenSSL's direct function, deprecated in 3.0 but kept (as
 * in digest.c): an EVP fetch initialises OpenSSL, which a ws:// run must
 * not need (t0630). EVP_EncodeBlock is plain base64. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "random.h"

#define WSFRAME_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static void say(char *reason, size_t size, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
static void say(char *reason, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (!reason || size == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, size, fmt, ap);
	va_end(ap);
}

/* ---- opening handshake ---------------------------------------------- */

int wsframe_key_generate(char key[WSFRAME_KEY_SIZE])
{
	unsigned char raw[16];
	int err = random_bytes(raw, sizeof(raw));

	if (err)
		return err;
	EVP_EncodeBlock((unsigned char *)key, raw, sizeof(raw));
	return 0;
}

void wsframe_accept_compute(const char *key, char accept[WSFRAME_ACCEPT_SIZE])
{
	unsigned char sha[SHA_DIGEST_LENGTH];
	SHA_CTX c;

	SHA1_Init(&c);
	SHA1_Update(&c, key, strlen(key));
	SHA1_Update(&c, WSFRAME_GUID, sizeof(WSFRAME_GUID) - 1);
	SHA1_Final(sha, &c);
	EVP_EncodeBlock((unsigned char *)accept, sha, sizeof(sha));
}

int wsframe_upgrade_request(char *buf, size_t size, size_t *lenp,
			    const char *path, const char *host,
			    const char *origin, const char *key)
{
	int n;

	n = snprintf(buf, size,
		     "GET %s HTTP/1.1\r\n"
		     "Host: %s\r\n"
		     "Upgrade: websocket\r\n"
		     "Connection: Upgrade\r\n"
		     "Sec-WebSocket-Key: %s\r\n"
		     "Sec-WebSocket-Version: 13\r\n"
		     "Sec-WebSocket-Protocol: sip\r\n"
		     "%s%s%s"
		     "\r\n",
		     path && *path ? path : "/", host, key,
		     origin ? "Origin: " : "", origin ? origin : "",
		     origin ? "\r\n" : "");
	if (n < 0 || (size_t)n >= size)
		return ENOSPC;
	*lenp = (size_t)n;
	return 0;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Whether the comma-separated list v[0..len) holds token (any case). */
static bool list_has(const char *v, size_t len, const char *token)
{
	size_t tl = strlen(token), i = 0, s, e;

	while (i < len) {
		while (i < len && (is_ows(v[i]) || v[i] == ','))
			i++;
		s = i;
		while (i < len && v[i] != ',')
			i++;
		e = i;
		while (e > s && is_ows(v[e - 1]))
			e--;
		if (e - s == tl && strncasecmp(v + s, token, tl) == 0)
			return true;
	}
	return false;
}

static bool value_is(const char *v, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(v, want, len) == 0;
}

int wsframe_upgrade_response(const char *data, size_t len, const char *key,
			     size_t *head_len, int *status, char *reason,
			     size_t reason_size)
{
	char accept[WSFRAME_ACCEPT_SIZE];
	bool upgrade = false, connection = false, accepted = false,
	     proto = false, ext = false;
	const char *end = NULL, *p, *eol;
	size_t i, scan = len < WSFRAME_HEAD_MAX ? len : WSFRAME_HEAD_MAX;

	*status = 0;
	for (i = 3; i < scan; i++)
		if (data[i] == '\n' && data[i - 1] == '\r' &&
		    data[i - 2] == '\n' && data[i - 3] == '\r') {
			end = data + i + 1;
			break;
		}
	if (!end) {
		if (len < WSFRAME_HEAD_MAX)
			return EAGAIN;
		say(reason, reason_size,
		    "WebSocket upgrade failed (response head over %d bytes)",
		    WSFRAME_HEAD_MAX);
		return EPROTO;
	}
	*head_len = (size_t)(end - data);

	/* HTTP/1.x SP 3DIGIT [SP reason] */
	if (*head_len < 12 || memcmp(data, "HTTP/1.", 7) != 0 ||
	    data[8] != ' ' || data[9] < '1' || data[9] > '9' ||
	    data[10] < '0' || data[10] > '9' || data[11] < '0' ||
	    data[11] > '9' || (data[12] != ' ' && data[12] != '\r')) {
		say(reason, reason_size,
		    "WebSocket upgrade failed (no HTTP status line)");
		return EPROTO;
	}
	*status = (data[9] - '0') * 100 + (data[10] - '0') * 10 +
		  (data[11] - '0');
	if (*status != 101) {
		say(reason, reason_size, "WebSocket upgrade refused: HTTP %d",
		    *status);
		return EPROTO;
	}

	wsframe_accept_compute(key, accept);
	p = (const char *)memchr(data, '\n', *head_len) + 1;
	while (p < end - 2) {
		const char *colon, *v, *ve;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol || eol == p || eol[-1] != '\r') {
			say(reason, reason_size,
			    "WebSocket upgrade failed (bad header line)");
			return EPROTO;
		}
		colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon || colon == p) {
			say(reason, reason_size,
			    "WebSocket upgrade failed (bad header line)");
			return EPROTO;
		}
		v = colon + 1;
		ve = eol - 1;
		while (v < ve && is_ows(*v))
			v++;
		while (ve > v && is_ows(ve[-1]))
			ve--;
#define NAME_IS(n) ((size_t)(colon - p) == sizeof(n) - 1 && \
		    strncasecmp(p, n, sizeof(n) - 1) == 0)
		if (NAME_IS("Upgrade"))
			upgrade = upgrade || list_has(v, (size_t)(ve - v),
						      "websocket");
		else if (NAME_IS("Connection"))
			connection = connection ||
				     list_has(v, (size_t)(ve - v), "upgrade");
		else if (NAME_IS("Sec-WebSocket-Accept"))
			accepted = value_is(v, (size_t)(ve - v), accept);
		else if (NAME_IS("Sec-WebSocket-Protocol"))
			proto = value_is(v, (size_t)(ve - v), "sip");
		else if (NAME_IS("Sec-WebSocket-Extensions"))
			ext = ext || ve > v;
#undef NAME_IS
		p = eol + 1;
	}
	if (!upgrade || !connection) {
		say(reason, reason_size,
		    "WebSocket upgrade failed (no Upgrade: websocket)");
		return EPROTO;
	}
	if (!accepted) {
		say(reason, reason_size,
		    "WebSocket upgrade failed (wrong Sec-WebSocket-Accept)");
		return EPROTO;
	}
	if (ext) {
		say(reason, reason_size,
		    "WebSocket upgrade failed (an extension we did not offer)");
		return EPROTO;
	}
	if (!proto) {
		say(reason, reason_size,
		    "server did not accept the sip subprotocol");
		return EPROTO;
	}
	return 0;
}

/* ---- UTF-8 ---------------------------------------------------------- */

/* One byte through the validator (RFC 3629 §4, as in RFC 6455 §8.1);
 * false on a byte that cannot come next. */
static bool utf8_step(unsigned *need, unsigned char *lo, unsigned char *hi,
		      unsigned char b)
{
	if (*need) {
		if (b < *lo || b > *hi)
			return false;
		(*need)--;
		*lo = 0x80;
		*hi = 0xbf;
		return true;
	}
	*lo = 0x80;
	*hi = 0xbf;
	if (b < 0x80)
		return true;
	if (b >= 0xc2 && b <= 0xdf)
		*need = 1;
	else if (b == 0xe0)
		*need = 2, *lo = 0xa0; /* no overlongs */
	else if (b == 0xed)
		*need = 2, *hi = 0x9f; /* no surrogates */
	else if (b >= 0xe1 && b <= 0xef)
		*need = 2;
	else if (b == 0xf0)
		*need = 3, *lo = 0x90; /* no overlongs */
	else if (b == 0xf4)
		*need = 3, *hi = 0x8f; /* nothing over U+10FFFF */
	else if (b >= 0xf1 && b <= 0xf3)
		*need = 3;
	else
		return false;
	return true;
}

static bool utf8_feed(struct wsframe_decoder *d, const unsigned char *p,
		      size_t len)
{
	size_t i = 0;

	/* ASCII runs are the common case */
	while (i < len) {
		if (d->utf8_need == 0 && p[i] < 0x80) {
			i++;
			continue;
		}
		if (!utf8_step(&d->utf8_need, &d->utf8_lo, &d->utf8_hi, p[i]))
			return false;
		i++;
	}
	return true;
}

bool wsframe_utf8_valid(const void *p, size_t len)
{
	const unsigned char *s = p;
	unsigned need = 0;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t i;

	for (i = 0; i < len; i++)
		if (!utf8_step(&need, &lo, &hi, s[i]))
			return false;
	return need == 0;
}

/* ---- decoder -------------------------------------------------------- */

void wsframe_decoder_init(struct wsframe_decoder *d, size_t max_message)
{
	memset(d, 0, sizeof(*d));
	d->max_message = max_message;
	d->hdr_need = 2;
}

void wsframe_decoder_reset(struct wsframe_decoder *d)
{
	char *msg = d->msg;
	size_t cap = d->msg_cap, max = d->max_message;

	memset(d, 0, sizeof(*d));
	d->max_message = max;
	d->hdr_need = 2;
	d->msg = msg;
	d->msg_cap = cap;
}

void wsframe_decoder_fini(struct wsframe_decoder *d)
{
	free(d->msg);
	d->msg = NULL;
	d->msg_cap = 0;
}

unsigned wsframe_decoder_close_code(const struct wsframe_decoder *d)
{
	return d->close_code;
}

static int fail(struct wsframe_decoder *d, int err, unsigned code,
		char *reason, size_t size, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 6, 7)))
#endif
	;
static int fail(struct wsframe_decoder *d, int err, unsigned code,
		char *reason, size_t size, const char *fmt, ...)
{
	va_list ap;

	d->err = err;
	d->close_code = code;
	if (reason && size) {
		va_start(ap, fmt);
		vsnprintf(reason, size, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* The frame header is complete in d->hdr: check it against the state. */
static int header_done(struct wsframe_decoder *d, char *reason, size_t size)
{
	uint64_t plen = d->hdr[1] & 0x7f;
	size_t i;

	if (plen == 126) {
		plen = (uint64_t)d->hdr[2] << 8 | d->hdr[3];
	} else if (plen == 127) {
		for (plen = 0, i = 2; i < 10; i++)
			plen = plen << 8 | d->hdr[i];
		if (plen >> 63)
			return fail(d, EBADMSG, WSFRAME_CLOSE_PROTOCOL, reason,
				    size, "64-bit length with the top bit set");
	}
	d->remaining = plen;
	if (d->opcode >= WSFRAME_CLOSE)
		return 0; /* checked with the first header byte */
	if (plen > d->max_message - d->msg_len)
		return fail(d, EMSGSIZE, WSFRAME_CLOSE_TOO_BIG, reason, size,
			    "message over %zu bytes", d->max_message);
	return 0;
}

/* The first two header bytes: everything but the length's extension. */
static int header_start(struct wsframe_decoder *d, char *reason, size_t size)
{
	unsigned char b0 = d->hdr[0], b1 = d->hdr[1];
	unsigned op = b0 & 0x0f;

	if (b0 & 0x70)
		return fail(d, EBADMSG, WSFRAME_CLOSE_PROTOCOL, reason, size,
			    "reserved bits set (RSV 0x%x)", (b0 & 0x70) >> 4);
	if (b1 & 0x80)
		return fail(d, EBADMSG, WSFRAME_CLOSE_PROTOCOL, reason, size,
			    "masked frame from the server");
	d->fin = (b0 & 0x80) != 0;
	d->opcode = op;
	switch (op) {
	case WSFRAME_CONTINUATION:
		if (!d->in_message)
			return fail(d, EBADMSG, WSFRAME_CLOSE_PROTOCOL, reason,
				    size, "continuation frame without a message");
		break;
	case WSFRAME_TEXT:
	case WSFRAME_BINARY:
		if (d->in_message)
			return fail(d, EBADMSG, WSFRAME_CLOSE_PROTOCOL, reason,
				    size,
				    "new message inside a fragmented one");
		d->in_message = true;
		d->msg_binary = op == WSFRAME_BINARY;
		d->msg_len = 0;
		d->utf8_need = 0;
		break;
	case WSFRAME_CLOSE:
	case WSFRAME_PING:
	case WSFRAME_PONG:
		if (!d->fin)
			return fail(d, EBADMSG, WSFRAME_CLOSE_PROTOCOL, reason,
				    size, "fragmented control frame");
		if ((b1 & 0x7f) > WSFRAME_CONTROL_MAX)
			return fail(d, EBADMSG, WSFRAME_CLOSE_PROTOCOL, reason,
				    size, "control frame over 125 bytes");
		d->ctl_len = 0;
		break;
	default:
		return fail(d, EBADMSG, WSFRAME_CLOSE_PROTOCOL, reason, size,
			    "unknown opcode 0x%x", op);
	}
	switch (b1 & 0x7f) {
	case 126:
		d->hdr_need = 4;
		break;
	case 127:
		d->hdr_need = 10;
		break;
	default:
		d->hdr_need = 2;
	}
	return 0;
}

static bool close_code_valid(unsigned code)
{
	return (code >= 1000 && code <= 1003) ||
	       (code >= 1007 && code <= 1014) ||
	       (code >= 3000 && code <= 4999);
}

static int control_done(struct wsframe_decoder *d, wsframe_event_h *h,
			void *arg, char *reason, size_t size)
{
	struct wsframe_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.data = (const char *)d->ctl;
	ev.len = d->ctl_len;
	switch (d->opcode) {
	case WSFRAME_PING:
		ev.type = WSFRAME_EVENT_PING;
		break;
	case WSFRAME_PONG:
		ev.type = WSFRAME_EVENT_PONG;
		break;
	default:
		ev.type = WSFRAME_EVENT_CLOSE;
		ev.close_code = WSFRAME_CLOSE_NO_STATUS;
		if (d->ctl_len == 1)
			return fail(d, EBADMSG, WSFRAME_CLOSE_PROTOCOL, reason,
				    size, "Close frame of 1 byte");
		if (d->ctl_len >= 2) {
			ev.close_code = (unsigned)d->ctl[0] << 8 | d->ctl[1];
			ev.data += 2;
			ev.len -= 2;
			if (!close_code_valid(ev.close_code))
				return fail(d, EBADMSG, WSFRAME_CLOSE_PROTOCOL,
					    reason, size,
					    "invalid close code %u",
					    ev.close_code);
			if (!wsframe_utf8_valid(ev.data, ev.len))
				return fail(d, EBADMSG, WSFRAME_CLOSE_PROTOCOL,
					    reason, size,
					    "Close reason not UTF-8");
		}
		d->closed = true;
		break;
	}
	return h(&ev, arg) ? ECANCELED : 0;
}

static int message_done(struct wsframe_decoder *d, const char *p, size_t len,
			wsframe_event_h *h, void *arg, char *reason,
			size_t size)
{
	struct wsframe_event ev;

	if (!d->msg_binary && d->utf8_need)
		return fail(d, EILSEQ, WSFRAME_CLOSE_INVALID_DATA, reason, size,
			    "text message not valid UTF-8 (truncated)");
	d->in_message = false;
	d->msg_len = 0;
	memset(&ev, 0, sizeof(ev));
	ev.type = WSFRAME_EVENT_MESSAGE;
	ev.data = p;
	ev.len = len;
	ev.binary = d->msg_binary;
	return h(&ev, arg) ? ECANCELED : 0;
}

static int msg_append(struct wsframe_decoder *d, const unsigned char *p,
		      size_t n)
{
	if (n > d->msg_cap - d->msg_len) {
		/* grows with what arrives, never with what a header claims */
		size_t cap = d->msg_cap ? d->msg_cap
				    : d->max_message < 4096 ? d->max_message
							    : 4096;
		char *m;

		while (cap - d->msg_len < n && cap < d->max_message)
			cap = cap > d->max_message / 2 ? d->max_message
						       : cap * 2;
		if (cap - d->msg_len < n)
			return EMSGSIZE; /* cannot happen: checked on the header */
		m = realloc(d->msg, cap);
		if (!m)
			return ENOMEM;
		d->msg = m;
		d->msg_cap = cap;
	}
	memcpy(d->msg + d->msg_len, p, n);
	d->msg_len += n;
	return 0;
}

/* The frame's payload ended. */
static int frame_done(struct wsframe_decoder *d, wsframe_event_h *h,
		      void *arg, char *reason, size_t size)
{
	d->hdr_len = 0;
	d->hdr_need = 2;
	if (d->opcode >= WSFRAME_CLOSE)
		return control_done(d, h, arg, reason, size);
	if (d->fin)
		return message_done(d, d->msg ? d->msg : "", d->msg_len, h,
				    arg, reason, size);
	return 0;
}

int wsframe_decode(struct wsframe_decoder *d, const void *data, size_t len,
		   wsframe_event_h *h, void *arg, char *reason,
		   size_t reason_size)
{
	const unsigned char *p = data, *end = p + len;
	int err;

	if (d->err) {
		say(reason, reason_size, "connection already failed");
		return d->err;
	}
	while (p < end && !d->closed) {
		size_t n, avail = (size_t)(end - p);

		if (d->hdr_len < d->hdr_need) {
			n = d->hdr_need - d->hdr_len;
			if (n > avail)
				n = avail;
			memcpy(d->hdr + d->hdr_len, p, n);
			d->hdr_len += n;
			p += n;
			if (d->hdr_len < d->hdr_need)
				break;
			if (d->hdr_len == 2) {
				err = header_start(d, reason, reason_size);
				if (err)
					return err;
				if (d->hdr_len < d->hdr_need)
					continue;
			}
			err = header_done(d, reason, reason_size);
			if (err)
				return err;
			/* hdr_len == hdr_need marks "in the payload" */
			if (d->remaining == 0) {
				err = frame_done(d, h, arg, reason,
						 reason_size);
				if (err)
					return err;
			}
			continue;
		}

		avail = (size_t)(end - p);
		n = d->remaining < avail ? (size_t)d->remaining : avail;
		if (d->opcode >= WSFRAME_CLOSE) {
			memcpy(d->ctl + d->ctl_len, p, n);
			d->ctl_len += n;
		} else {
			if (!d->msg_binary && !utf8_feed(d, p, n))
				return fail(d, EILSEQ,
					    WSFRAME_CLOSE_INVALID_DATA, reason,
					    reason_size,
					    "text message not valid UTF-8");
			if (d->fin && d->msg_len == 0 && n == d->remaining) {
				/* a whole message in this chunk: no copy */
				d->remaining = 0;
				d->hdr_len = 0;
				d->hdr_need = 2;
				err = message_done(d, (const char *)p, n, h,
						   arg, reason, reason_size);
				p += n;
				if (err)
					return err;
				continue;
			}
			err = msg_append(d, p, n);
			if (err)
				return fail(d, err,
					    err == ENOMEM ? 1011
							  : WSFRAME_CLOSE_TOO_BIG,
					    reason, reason_size, "%s",
					    err == ENOMEM ? "out of memory"
							  : "message too big");
		}
		p += n;
		d->remaining -= n;
		if (d->remaining == 0) {
			err = frame_done(d, h, arg, reason, reason_size);
			if (err)
				return err;
		}
	}
	return 0;
}

/* ---- encoder -------------------------------------------------------- */

void wsframe_masker_init(struct wsframe_masker *m)
{
	m->pos = sizeof(m->pool);
}

void wsframe_mask_key(struct wsframe_masker *m, unsigned char key[4])
{
	if (m->pos + 4 > sizeof(m->pool)) {
		if (random_bytes(m->pool, sizeof(m->pool)) != 0) {
			/* getrandom(2) does not fail once the pool is up;
			 * a mask only defeats proxy cache poisoning */
			size_t i;

			for (i = 0; i < sizeof(m->pool); i++)
				m->pool[i] = (unsigned char)(m->pool[i] * 31 +
							     i + 7);
		}
		m->pos = 0;
	}
	memcpy(key, m->pool + m->pos, 4);
	m->pos += 4;
}

size_t wsframe_encode(void *out, size_t size, enum wsframe_opcode op,
		      const void *payload, size_t len,
		      const unsigned char key[4])
{
	unsigned char *o = out;
	const unsigned char *s = payload;
	size_t hl, i;

	hl = len < 126 ? 6 : len < 65536 ? 8 : 14;
	if (size < hl || len > size - hl)
		return 0;
	o[0] = (unsigned char)(0x80 | (unsigned)op);
	if (len < 126) {
		o[1] = (unsigned char)(0x80 | len);
	} else if (len < 65536) {
		o[1] = 0x80 | 126;
		o[2] = (unsigned char)(len >> 8);
		o[3] = (unsigned char)len;
	} else {
		o[1] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			o[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	}
	memcpy(o + hl - 4, key, 4);
	for (i = 0; i < len; i++)
		o[hl + i] = s[i] ^ key[i & 3];
	return hl + len;
}

size_t wsframe_close_payload(unsigned char out[WSFRAME_CONTROL_MAX],
			     unsigned code, const char *reason)
{
	size_t n = reason ? strlen(reason) : 0;

	if (n > WSFRAME_CONTROL_MAX - 2) {
		n = WSFRAME_CONTROL_MAX - 2;
		/* do not cut a UTF-8 sequence */
		while (n > 0 && ((unsigned char)reason[n] & 0xc0) == 0x80)
			n--;
	}
	out[0] = (unsigned char)(code >> 8);
	out[1] = (unsigned char)code;
	if (n)
		memcpy(out + 2, reason, n);
	return n + 2;
}
