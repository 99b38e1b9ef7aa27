/* libFuzzer target for the dialog and invite modules' parsers. The first
 * byte picks the input's kind, the rest is the text:
 *   0  Session-Expires value   1  Min-SE value
 *   2  application/dtmf-relay body   3  application/dtmf body
 *   4+ a SIP message: an INVITE makes a UAS dialog (and its BYE), a
 *      response to the seed INVITE a UAC dialog (and its ACK and BYE).
 * What parses must keep its promises: a parsed relay body builds and
 * parses back to the same tone and duration; a dialog builds requests
 * that encode and decode again. Any broken promise aborts. */
#include "dialog.h"
#include "invite.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
	if (!cond)
		abort();
}

/* The built request must encode and decode back. */
static void check_built(struct sipmsg *m)
{
	struct sipmsg *back = NULL;
	char *text = NULL, reason[128];
	size_t len;

	require(sipmsg_encode_alloc(m, &text, &len) == 0);
	require(sipmsg_decode(&back, text, len, reason, sizeof(reason)) == 0);
	sipmsg_free(back);
	free(text);
	sipmsg_free(m);
}

static void dialog_requests(struct dialog *d)
{
	static const char *const methods[] = {"ACK", "BYE", "INVITE", "UPDATE"};
	struct sipmsg *m;
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		m = NULL;
		if (dialog_request_new(d, methods[i], "SIP/2.0/WSS f.invalid",
				       &m) == 0)
			check_built(m);
	}
}

static const char seed_invite[] =
	"INVITE sip:b@example.org SIP/2.0\r\n"
	"Via: SIP/2.0/WSS f.invalid;branch=z9hG4bKfuzz\r\n"
	"Route: <sip:p.example.org;lr>\r\n"
	"From: <sip:a@example.org>;tag=ft\r\n"
	"To: <sip:b@example.org>\r\n"
	"Call-ID: fuzz\r\n"
	"CSeq: 1 INVITE\r\n"
	"Contact: <sip:a@f.invalid;transport=ws>\r\n"
	"\r\n";

static void message(const char *text, size_t len)
{
	struct sipmsg *msg = NULL, *inv = NULL, *m = NULL;
	struct dialog *d = NULL;
	char reason[128];
	unsigned status;

	if (sipmsg_decode(&msg, text, len, reason, sizeof(reason)) != 0)
		return;
	if (sipmsg_is_request(msg)) {
		if (dialog_alloc_uas(&d, msg, "lt", "<sip:b@g.invalid>", 0) == 0) {
			require(dialog_match(d, msg) == false);
			(void)dialog_request_receive(d, msg, &status);
			dialog_requests(d);
			dialog_free(d);
		}
		(void)dialog_unmatched_status(msg);
		(void)invite_dtmf_kind(msg);
	} else {
		require(sipmsg_decode(&inv, seed_invite, sizeof(seed_invite) - 1,
				      reason, sizeof(reason)) == 0);
		if (dialog_alloc_uac(&d, inv, msg, DIALOG_SECURE_TRANSPORT) == 0) {
			(void)dialog_response_receive(d, msg);
			dialog_requests(d);
			dialog_free(d);
		}
		if (dialog_derive(&m, DIALOG_DERIVE_ACK, inv, msg) == 0)
			check_built(m);
		sipmsg_free(inv);
	}
	sipmsg_free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 1;
	struct invite_session_expires se;
	struct invite_dtmf dtmf, again;
	char buf[128];
	uint32_t v;
	size_t len;

	if (size == 0)
		return 0;
	len = size - 1;
	switch (data[0]) {
	case 0:
		if (invite_session_expires_parse(span_make(text, len), &se) == 0)
			require(se.interval >= 1 && se.interval <= INVITE_SE_MAX);
		break;
	case 1:
		if (invite_min_se_parse(span_make(text, len), &v) == 0)
			require(v <= INVITE_SE_MAX);
		break;
	case 2:
		if (invite_dtmf_relay_parse(text, len, &dtmf) != 0 ||
		    dtmf.duration == 0)
			break;
		require(invite_dtmf_relay_build(&dtmf, buf, sizeof(buf), &len) == 0);
		require(invite_dtmf_relay_parse(buf, len, &again) == 0);
		require(again.tone == dtmf.tone && again.duration == dtmf.duration);
		break;
	case 3:
		(void)invite_dtmf_parse(text, len, &dtmf);
		break;
	default:
		message(text, len);
		break;
	}
	return 0;
}
