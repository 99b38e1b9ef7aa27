/* The WebSocket codec (lib/wsframe.c): RFC 6455 examples, every way a
 * server can fail the connection with the close code we send, the same
 * result however TCP cuts the bytes, UTF-8 vectors, and the bound on what
 * the decoder allocates. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap/basic.h"
#include "wsframe.h"

/* What the decoder reported, as text: "T:Hello" (text message), "B:..."
 * (binary), "P:..." (Ping), "O:..." (Pong), "C1000:reason" (Close),
 * separated by '|'; then "=err/code". */
struct log {
	char text[4096];
	size_t len;
};

static void log_add(struct log *l, const char *s, size_t n)
{
	if (n > sizeof(l->text) - 1 - l->len)
		n = sizeof(l->text) - 1 - l->len;
	memcpy(l->text + l->len, s, n);
	l->len += n;
	l->text[l->len] = '\0';
}

static int on_event(const struct wsframe_event *ev, void *arg)
{
	struct log *l = arg;
	char tag[32];

	switch (ev->type) {
	case WSFRAME_EVENT_MESSAGE:
		snprintf(tag, sizeof(tag), "%s:", ev->binary ? "B" : "T");
		break;
	case WSFRAME_EVENT_PING:
		snprintf(tag, sizeof(tag), "P:");
		break;
	case WSFRAME_EVENT_PONG:
		snprintf(tag, sizeof(tag), "O:");
		break;
	case WSFRAME_EVENT_CLOSE:
		snprintf(tag, sizeof(tag), "C%u:", ev->close_code);
		break;
	}
	if (l->len)
		log_add(l, "|", 1);
	log_add(l, tag, strlen(tag));
	if (ev->len > 40) {
		snprintf(tag, sizeof(tag), "<%zu bytes>", ev->len);
		log_add(l, tag, strlen(tag));
	} else {
		log_add(l, ev->data, ev->len);
	}
	return 0;
}

/* Decode s[0..len) cut at the given points (cuts: ascending, 0-terminated
 * list of offsets; NULL: one chunk; step > 0: chunks of step bytes). */
static void run(const char *s, size_t len, size_t max, const size_t *cuts,
		size_t step, struct log *out, size_t *cap_seen)
{
	struct wsframe_decoder d;
	char reason[128], tail[64];
	size_t at = 0, next;
	int err = 0;

	memset(out, 0, sizeof(*out));
	wsframe_decoder_init(&d, max);
	*cap_seen = 0;
	while (at < len && !err) {
		if (step)
			next = at + step < len ? at + step : len;
		else if (cuts && *cuts)
			next = *cuts++;
		else
			next = len;
		err = wsframe_decode(&d, s + at, next - at, on_event, out,
				     reason, sizeof(reason));
		if (d.msg_cap > *cap_seen)
			*cap_seen = d.msg_cap;
		at = next;
	}
	snprintf(tail, sizeof(tail), "=%d/%u", err,
		 err ? wsframe_decoder_close_code(&d) : 0);
	log_add(out, tail, strlen(tail));
	wsframe_decoder_fini(&d);
}

/* Every way to cut: whole, byte by byte, and in two at each point, all
 * giving want; and never a buffer over max. */
static void check(const char *name, const char *s, size_t len, size_t max,
		  const char *want)
{
	struct log l;
	size_t i, cap, cut[2] = {0, 0}, worst = 0;
	int same = 1;

	run(s, len, max, NULL, 0, &l, &cap);
	is_string(want, l.text, "%s", name);
	run(s, len, max, NULL, 1, &l, &cap);
	if (strcmp(l.text, want) != 0) {
		diag("byte by byte: %s", l.text);
		same = 0;
	}
	worst = cap;
	for (i = 1; i < len && same; i++) {
		cut[0] = i;
		run(s, len, max, cut, 0, &l, &cap);
		if (strcmp(l.text, want) != 0) {
			diag("cut at %zu: %s", i, l.text);
			same = 0;
		}
		if (cap > worst)
			worst = cap;
	}
	ok(same, "%s: the same at every chunk boundary", name);
	ok(worst <= max, "%s: buffer %zu <= %zu", name, worst, max);
}

#define CHECK(name, lit, max, want) check(name, lit, sizeof(lit) - 1, max, want)

static void test_rfc_examples(void)
{
	char big[4 + 256], huge[10 + 65536];
	unsigned char frame[64];
	const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
	char accept[WSFRAME_ACCEPT_SIZE];
	size_t n;

	/* RFC 6455 §5.7 */
	CHECK("single-frame unmasked text", "\x81\x05Hello", 100, "T:Hello=0/0");
	CHECK("fragmented unmasked text", "\x01\x03Hel\x80\x02lo", 100,
	      "T:Hello=0/0");
	CHECK("unmasked Ping", "\x89\x05Hello", 100, "P:Hello=0/0");
	CHECK("Ping between fragments",
	      "\x01\x03Hel\x89\x01x\x80\x02lo", 100, "P:x|T:Hello=0/0");
	CHECK("a masked frame from the server fails (the §5.7 masked text)",
	      "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 100, "=74/1002");
	memcpy(big, "\x82\x7e\x01\x00", 4);
	memset(big + 4, 'b', 256);
	check("256-byte binary (16-bit length)", big, sizeof(big), 300,
	      "B:<256 bytes>=0/0");
	memcpy(huge, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
	memset(huge + 10, 'h', 65536);
	{
		struct log l;
		size_t cap;

		run(huge, sizeof(huge), 65536, NULL, 0, &l, &cap);
		is_string("B:<65536 bytes>=0/0", l.text,
			  "64 KiB binary (64-bit length) within the bound");
		run(huge, sizeof(huge), 65536, NULL, 1000, &l, &cap);
		is_string("B:<65536 bytes>=0/0", l.text,
			  "64 KiB binary in 1000-byte chunks");
		ok(cap <= 65536, "its buffer stays within 64 KiB (%zu)", cap);
		run(huge, sizeof(huge), 65535, NULL, 1000, &l, &cap);
		is_string("=90/1009", l.text, "one byte over the bound: 1009");
		is_int(0, (long long)cap, "nothing buffered before failing");
	}

	/* our masked frames: §5.7's masked "Hello", and a Pong */
	n = wsframe_encode(frame, sizeof(frame), WSFRAME_TEXT, "Hello", 5, key);
	ok(n == 11 && memcmp(frame,
			     "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58",
			     11) == 0,
	   "encoder: the §5.7 masked text frame");
	n = wsframe_encode(frame, sizeof(frame), WSFRAME_PONG, "Hello", 5, key);
	ok(n == 11 && frame[0] == 0x8a && frame[1] == 0x85,
	   "encoder: a masked Pong");
	is_int(0, (long long)wsframe_encode(frame, 10, WSFRAME_TEXT, "Hello", 5,
					    key),
	       "encoder: too small an output");
	{
		static unsigned char out[70000 + 14];
		static char in[70000];

		memset(in, 'x', sizeof(in));
		n = wsframe_encode(out, sizeof(out), WSFRAME_TEXT, in,
				   sizeof(in), key);
		ok(n == 70000 + 14 && out[1] == (0x80 | 127) && out[7] == 0x01 &&
		   out[8] == 0x11 && out[9] == 0x70,
		   "encoder: 64-bit length for 70,000 bytes");
	}

	/* §1.3 */
	wsframe_accept_compute("dGhlIHNhbXBsZSBub25jZQ==", accept);
	is_string("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", accept,
		  "Sec-WebSocket-Accept of the §1.3 example");
}

static void test_failures(void)
{
	CHECK("RSV1 set", "\xc1\x00", 100, "=74/1002");
	CHECK("RSV3 set", "\x91\x00", 100, "=74/1002");
	CHECK("unknown data opcode 3", "\x83\x00", 100, "=74/1002");
	CHECK("unknown control opcode 0xB", "\x8b\x00", 100, "=74/1002");
	CHECK("control frame over 125 bytes", "\x89\x7e\x00\x7e", 1000,
	      "=74/1002");
	CHECK("fragmented Ping", "\x09\x00", 100, "=74/1002");
	CHECK("continuation without a message", "\x80\x01x", 100, "=74/1002");
	CHECK("new text frame inside a fragmented one",
	      "\x01\x01" "a" "\x81\x01" "b", 100, "=74/1002");
	CHECK("64-bit length with the top bit set",
	      "\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x01", 100, "=74/1002");
	CHECK("a length of 2^63-1: 1009 at once",
	      "\x82\x7f\x7f\xff\xff\xff\xff\xff\xff\xff" "xxxxxxxx", 65536,
	      "=90/1009");
	CHECK("one frame over the bound", "\x81\x7e\x00\x65" "x", 100,
	      "=90/1009");
	CHECK("fragments adding up to more than the bound",
	      "\x01\x06" "abcdef" "\x00\x06" "ghijkl" "\x80\x01" "m", 10,
	      "=90/1009");
	CHECK("fragments adding up to exactly the bound",
	      "\x01\x06" "abcdef" "\x80\x04" "ghij", 10, "T:abcdefghij=0/0");
	CHECK("Close of one byte", "\x88\x01\x03", 100, "=74/1002");
	CHECK("Close code 1005 is not sent", "\x88\x02\x03\xed", 100,
	      "=74/1002");
	CHECK("Close code 999", "\x88\x02\x03\xe7", 100, "=74/1002");
	CHECK("Close code 1016", "\x88\x02\x03\xf8", 100, "=74/1002");
	CHECK("Close code 5000", "\x88\x02\x13\x88", 100, "=74/1002");
	CHECK("Close reason not UTF-8", "\x88\x04\x03\xe8\xff\xfe", 100,
	      "=74/1002");
	CHECK("Close 1000 with a reason", "\x88\x05\x03\xe8" "bye", 100,
	      "C1000:bye=0/0");
	CHECK("Close 4000", "\x88\x02\x0f\xa0", 100, "C4000:=0/0");
	CHECK("Close without a code", "\x88\x00", 100, "C1005:=0/0");
	CHECK("nothing is decoded after a Close",
	      "\x88\x00\x81\x01" "x\xff\xff", 100, "C1005:=0/0");
	CHECK("empty text message", "\x81\x00", 100, "T:=0/0");
	CHECK("Pong", "\x8a\x02hi", 100, "O:hi=0/0");
	CHECK("two messages in a row", "\x81\x01" "a\x82\x01" "b", 100,
	      "T:a|B:b=0/0");

	{
		struct wsframe_decoder d;
		struct log l;
		char reason[128];

		memset(&l, 0, sizeof(l));
		wsframe_decoder_init(&d, 100);
		is_int(EBADMSG, wsframe_decode(&d, "\x81\x81", 2, on_event, &l,
					       reason, sizeof(reason)),
		       "masked frame: EBADMSG");
		is_string("masked frame from the server", reason,
			  "... with its reason");
		is_int(EBADMSG, wsframe_decode(&d, "\x81\x00", 2, on_event, &l,
					       reason, sizeof(reason)),
		       "a failed decoder stays failed");
		ok(l.len == 0, "and reports nothing after the failure");
		wsframe_decoder_fini(&d);
	}
}

static void test_utf8(void)
{
	CHECK("two-byte, three-byte, four-byte characters",
	      "\x81\x0a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80!", 100,
	      "T:\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80!=0/0");
	CHECK("a character split across fragments",
	      "\x01\x02\xe2\x82\x80\x01\xac", 100, "T:\xe2\x82\xac=0/0");
	CHECK("a character split across three fragments with a Ping between",
	      "\x01\x01\xf0\x89\x00\x00\x02\x9f\x98\x80\x01\x80", 100,
	      "P:|T:\xf0\x9f\x98\x80=0/0");
	CHECK("overlong '/' (C0 AF)", "\x81\x02\xc0\xaf", 100, "=84/1007");
	CHECK("overlong three-byte (E0 80 AF)", "\x81\x03\xe0\x80\xaf", 100,
	      "=84/1007");
	CHECK("overlong four-byte (F0 80 80 AF)", "\x81\x04\xf0\x80\x80\xaf",
	      100, "=84/1007");
	CHECK("surrogate U+D800 (ED A0 80)", "\x81\x03\xed\xa0\x80", 100,
	      "=84/1007");
	CHECK("over U+10FFFF (F4 90 80 80)", "\x81\x04\xf4\x90\x80\x80", 100,
	      "=84/1007");
	CHECK("F5 is never UTF-8", "\x81\x01\xf5", 100, "=84/1007");
	CHECK("a lone continuation byte", "\x81\x01\x80", 100, "=84/1007");
	CHECK("truncated at the end of the message", "\x81\x02" "a\xe2", 100,
	      "=84/1007");
	CHECK("truncated at the end of a fragmented message",
	      "\x01\x01\xe2\x80\x01\x82", 100, "=84/1007");
	CHECK("invalid in the first fragment fails before the last",
	      "\x01\x01\xff", 100, "=84/1007");
	CHECK("binary messages are not checked", "\x82\x02\xff\xfe", 100,
	      "B:\xff\xfe=0/0");
	ok(wsframe_utf8_valid("\xf4\x8f\xbf\xbf", 4), "U+10FFFF is valid");
	ok(wsframe_utf8_valid("\xed\x9f\xbf", 3), "U+D7FF is valid");
	ok(!wsframe_utf8_valid("\xed\xbf\xbf", 3), "U+DFFF is not");
}

static const char ok_head[] =
	"HTTP/1.1 101 Switching Protocols\r\n"
	"Upgrade: websocket\r\n"
	"Connection: Upgrade\r\n"
	"X-Kamailio-Extra: ignored\r\n"
	"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	"Sec-WebSocket-Protocol: sip\r\n\r\n";

/* Heads with a 101 that must still be refused. */
static const struct {
	const char *name, *head, *reason;
} refused[] = {
	{"no subprotocol",
	 "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	 "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
	 "server did not accept the sip subprotocol"},
	{"another subprotocol (names in any case)",
	 "HTTP/1.1 101 OK\r\nupgrade: WebSocket\r\n"
	 "connection: keep-alive, Upgrade\r\n"
	 "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	 "sec-websocket-protocol: xmpp\r\n\r\n",
	 "server did not accept the sip subprotocol"},
	{"wrong Sec-WebSocket-Accept",
	 "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	 "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n"
	 "Sec-WebSocket-Protocol: sip\r\n\r\n",
	 "WebSocket upgrade failed (wrong Sec-WebSocket-Accept)"},
	{"no Upgrade header",
	 "HTTP/1.1 101 OK\r\nConnection: Upgrade\r\n"
	 "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	 "Sec-WebSocket-Protocol: sip\r\n\r\n",
	 "WebSocket upgrade failed (no Upgrade: websocket)"},
	{"an extension not offered",
	 "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	 "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	 "Sec-WebSocket-Extensions: permessage-deflate\r\n"
	 "Sec-WebSocket-Protocol: sip\r\n\r\n",
	 "WebSocket upgrade failed (an extension we did not offer)"},
	{"not HTTP", "SIP/2.0 200 OK\r\n\r\n",
	 "WebSocket upgrade failed (no HTTP status line)"},
};

static int response(const char *s, size_t len, size_t *head, int *status,
		    char *reason, size_t size)
{
	return wsframe_upgrade_response(s, len, "dGhlIHNhbXBsZSBub25jZQ==",
					head, status, reason, size);
}

static void test_handshake(void)
{
	char buf[16384], reason[160], key[WSFRAME_KEY_SIZE], key2[WSFRAME_KEY_SIZE];
	size_t len = 0, head = 0, i;
	int status, partial = 1;

	is_int(0, wsframe_key_generate(key), "a key is generated");
	is_int(24, (long long)strlen(key), "... 24 base64 characters");
	wsframe_key_generate(key2);
	ok(strcmp(key, key2) != 0, "... a fresh one each time");

	is_int(0, wsframe_upgrade_request(buf, sizeof(buf), &len, "/ws?a=1",
					  "example.org:8080", "https://o.example",
					  "dGhlIHNhbXBsZSBub25jZQ=="),
	       "the upgrade request is built");
	is_string("GET /ws?a=1 HTTP/1.1\r\n"
		  "Host: example.org:8080\r\n"
		  "Upgrade: websocket\r\n"
		  "Connection: Upgrade\r\n"
		  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		  "Sec-WebSocket-Version: 13\r\n"
		  "Sec-WebSocket-Protocol: sip\r\n"
		  "Origin: https://o.example\r\n\r\n",
		  buf, "... with every header");
	is_int(ENOSPC, wsframe_upgrade_request(buf, 40, &len, "/", "h", NULL,
					       key),
	       "... ENOSPC when it does not fit");

	is_int(0, response(ok_head, sizeof(ok_head) - 1, &head, &status, reason,
			   sizeof(reason)),
	       "Kamailio-like 101 accepted (unknown header ignored)");
	is_int(sizeof(ok_head) - 1, (long long)head, "... head length");
	is_int(101, status, "... status 101");
	for (i = 0; i < sizeof(ok_head) - 1; i++)
		if (response(ok_head, i, &head, &status, reason,
			     sizeof(reason)) != EAGAIN)
			partial = 0;
	ok(partial, "every prefix of the head: EAGAIN");
	snprintf(buf, sizeof(buf), "%s\x81\x02hi", ok_head);
	is_int(0, response(buf, strlen(buf), &head, &status, reason,
			   sizeof(reason)),
	       "a frame right after the head");
	is_int(sizeof(ok_head) - 1, (long long)head, "... is not part of it");

	is_int(EPROTO, response("HTTP/1.1 404 Not Found\r\n\r\n", 26, &head,
				&status, reason, sizeof(reason)),
	       "404: EPROTO");
	is_string("WebSocket upgrade refused: HTTP 404", reason, "... reason");
	is_int(404, status, "... status");

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		is_int(EPROTO, response(refused[i].head, strlen(refused[i].head),
					&head, &status, reason, sizeof(reason)),
		       "%s: EPROTO", refused[i].name);
		is_string(refused[i].reason, reason, "... %s", refused[i].reason);
	}
	memcpy(buf, "HTTP/1.1 101 OK\r\n", 17);
	for (i = 17; i < sizeof(buf); i++)
		buf[i] = (i % 10) == 9 ? '\n' : (i % 10) == 8 ? '\r' : 'x';
	is_int(EPROTO, response(buf, sizeof(buf), &head, &status, reason,
				sizeof(reason)),
	       "a head over 8 KiB: EPROTO");
	is_string("WebSocket upgrade failed (response head over 8192 bytes)",
		  reason, "... reason");
	is_int(EAGAIN, response(buf, WSFRAME_HEAD_MAX - 1, &head, &status,
				reason, sizeof(reason)),
	       "... but not before 8 KiB arrived");
}

static void test_close_payload(void)
{
	unsigned char out[WSFRAME_CONTROL_MAX];
	char reason[200];
	size_t n;

	n = wsframe_close_payload(out, 1009, NULL);
	ok(n == 2 && out[0] == 0x03 && out[1] == 0xf1, "Close 1009 payload");
	memset(reason, 'a', sizeof(reason));
	memcpy(reason + 122, "\xe2\x82\xac", 3);
	reason[199] = '\0';
	n = wsframe_close_payload(out, 1000, reason);
	is_int(124, (long long)n, "a long reason is cut before a character");
	ok(wsframe_utf8_valid(out + 2, n - 2), "... and stays UTF-8");
}

int main(void)
{
	plan_lazy();
	test_rfc_examples();
	test_failures();
	test_utf8();
	test_handshake();
	test_close_payload();
	return 0;
}
