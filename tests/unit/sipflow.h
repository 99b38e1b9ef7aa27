/* Shared by the dialog and invite unit tests: messages written with LF
 * line ends in the test tables become CRLF SIP messages; built requests
 * are compared as exact bytes with their one random part, the new Via
 * branch, shown as "z9hG4bK<rand>". */
#ifndef SIPWS_TESTS_SIPFLOW_H
#define SIPWS_TESTS_SIPFLOW_H

#include <stdlib.h>
#include <string.h>

#include "sipmsg.h"
#include "tap/basic.h"
#include "tsx.h"

/* Decode text with every bare LF made CRLF; bails on a decoding error. */
static struct sipmsg *flow_msg(const char *text)
{
	size_t i, n = 0, len = strlen(text);
	char *wire = malloc(2 * len + 1), reason[160];
	struct sipmsg *msg = NULL;

	if (wire == NULL)
		bail("out of memory");
	for (i = 0; i < len; i++) {
		if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
			wire[n++] = '\r';
		wire[n++] = text[i];
	}
	if (sipmsg_decode(&msg, wire, n, reason, sizeof(reason)) != 0)
		bail("test message does not decode: %s", reason);
	free(wire);
	return msg;
}

/* The encoded message with CRLF shown as LF and each random branch
 * (22 characters of [0-9a-z] after the cookie) replaced by "<rand>";
 * NULL when a branch has another form. The caller frees. */
static char *flow_text(const struct sipmsg *msg)
{
	char *data = NULL, *out, *p;
	size_t len, i, n = 0;

	if (sipmsg_encode_alloc(msg, &data, &len) != 0)
		bail("encoding failed");
	out = malloc(len + 1);
	if (out == NULL)
		bail("out of memory");
	for (i = 0; i < len; i++)
		if (!(data[i] == '\r' && i + 1 < len && data[i + 1] == '\n'))
			out[n++] = data[i];
	out[n] = '\0';
	free(data);
	for (p = out; (p = strstr(p, ";branch=" TSX_BRANCH_COOKIE)) != NULL;) {
		char *r = p + strlen(";branch=" TSX_BRANCH_COOKIE);
		size_t k = strspn(r, "0123456789abcdefghijklmnopqrstuvwxyz");

		if (k != TSX_BRANCH_RANDOM) {
			p = r;
			continue;
		}
		memcpy(r, "<rand>", 6);
		memmove(r + 6, r + k, strlen(r + k) + 1);
		p = r + 6;
	}
	return out;
}

/* Is the built message exactly want (LF line ends, branches shown as
 * <rand>)? */
static int flow_is(const char *want, const struct sipmsg *msg,
		   const char *what)
{
	char *got;
	int r;

	if (msg == NULL)
		return ok(0, "%s: no message", what);
	got = flow_text(msg);
	r = is_string(want, got, "%s", what);
	free(got);
	return r;
}

#endif
