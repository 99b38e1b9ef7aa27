/* Fuzz the WebSocket codec as a hostile server would drive it. Input:
 *   byte 0   bit 0: 1 = the upgrade-response parser, 0 = the frame decoder
 *   byte 1   max_message is 1 + byte * 4 (1..1021: small, so the bound is
 *            hit often)
 *   byte 2   k: the number of chunk sizes that follow (k % 16)
 *   k bytes  chunk sizes (1..256), used in turn: where TCP cuts the stream
 *   rest     the bytes after the upgrade, as the server sends them
 * The decoder must give the same events and result however the stream is
 * cut, never buffer more than max_message, deliver only UTF-8 text, and
 * stay failed once failed. */
#include "wsframe.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct digest {
	uint64_t hash;
	size_t events;
	size_t max;
};

static int on_event(const struct wsframe_event *ev, void *arg)
{
	struct digest *d = arg;
	size_t i;

	if (ev->len > d->max && ev->type == WSFRAME_EVENT_MESSAGE)
		abort();
	if (ev->type != WSFRAME_EVENT_MESSAGE && ev->len > WSFRAME_CONTROL_MAX)
		abort();
	if (ev->type == WSFRAME_EVENT_MESSAGE && !ev->binary &&
	    !wsframe_utf8_valid(ev->data, ev->len))
		abort();
	if (ev->type == WSFRAME_EVENT_CLOSE &&
	    !wsframe_utf8_valid(ev->data, ev->len))
		abort();
	d->hash = d->hash * 1000003u ^ (uint64_t)ev->type ^
		  (uint64_t)ev->binary << 4 ^ (uint64_t)ev->close_code << 8;
	for (i = 0; i < ev->len; i++)
		d->hash = d->hash * 31u + (unsigned char)ev->data[i];
	d->hash ^= ev->len;
	d->events++;
	return 0;
}

static int decode(const uint8_t *p, size_t len, size_t max,
		  const uint8_t *cuts, size_t ncuts, struct digest *dg,
		  unsigned *code)
{
	struct wsframe_decoder d;
	char reason[128];
	size_t at = 0, i = 0, n;
	int err = 0;

	memset(dg, 0, sizeof(*dg));
	dg->max = max;
	wsframe_decoder_init(&d, max);
	while (at < len) {
		n = ncuts ? (size_t)cuts[i++ % ncuts] + 1 : len - at;
		if (n > len - at)
			n = len - at;
		err = wsframe_decode(&d, p + at, n, on_event, dg, reason,
				     sizeof(reason));
		if (d.msg_cap > max)
			abort();
		at += n;
		if (err)
			break;
	}
	*code = err ? wsframe_decoder_close_code(&d) : 0;
	if (err) {
		/* stays failed, says nothing more */
		size_t before = dg->events;

		if (wsframe_decode(&d, p, len, on_event, dg, reason,
				   sizeof(reason)) != err ||
		    dg->events != before)
			abort();
		if (err != EMSGSIZE && err != EBADMSG && err != EILSEQ &&
		    err != ENOMEM)
			abort();
		if ((err == EMSGSIZE && *code != 1009) ||
		    (err == EBADMSG && *code != 1002) ||
		    (err == EILSEQ && *code != 1007))
			abort();
	}
	wsframe_decoder_fini(&d);
	return err;
}

static void upgrade(const uint8_t *p, size_t len)
{
	char reason[200];
	size_t head = 0;
	int status, err;

	err = wsframe_upgrade_response((const char *)p, len,
				       "dGhlIHNhbXBsZSBub25jZQ==", &head,
				       &status, reason, sizeof(reason));
	if (err == 0 && (head > len || head > WSFRAME_HEAD_MAX || status != 101))
		abort();
	if (err != 0 && err != EAGAIN && err != EPROTO)
		abort();
	if (err == EAGAIN && len >= WSFRAME_HEAD_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct digest whole, cut;
	unsigned code_whole, code_cut;
	size_t max, ncuts;
	int e1, e2;

	if (size < 3)
		return 0;
	if (data[0] & 1) {
		upgrade(data + 1, size - 1);
		return 0;
	}
	max = 1 + (size_t)data[1] * 4;
	ncuts = data[2] % 16;
	if (size < 3 + ncuts)
		return 0;
	e1 = decode(data + 3 + ncuts, size - 3 - ncuts, max, NULL, 0, &whole,
		    &code_whole);
	e2 = decode(data + 3 + ncuts, size - 3 - ncuts, max, data + 3, ncuts,
		    &cut, &code_cut);
	if (e1 != e2 || code_whole != code_cut || whole.hash != cut.hash ||
	    whole.events != cut.events)
		abort();
	return 0;
}
