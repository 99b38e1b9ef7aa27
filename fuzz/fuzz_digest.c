/* Fuzz digest_challenge_decode; on success check that encoding round-trips
 * and that an Authorization value built from it is well formed, carries
 * the challenge's fields back and holds the independently computed
 * response. Also feeds NUL-separated pieces to digest_challenge_choose. */
#include "digest.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define USERNAME "fu\"zz\\er"
#define PASSWORD "secret"
#define CNONCE "0a4f113b"
#define URI "sip:fuzz@example.org"
#define BODY "v=0\r\n"

static void check_authorization(const struct digest_challenge *ch,
				bool prefer_auth_int)
{
	struct digest_client *client = NULL;
	struct digest_challenge back;
	struct digest_input in;
	char buf[8192], hex[DIGEST_HEX_SIZE];
	const char *resp;
	size_t len = 0, i;
	int err;

	if (digest_client_alloc(&client, USERNAME, PASSWORD, NULL) != 0)
		abort();
	if (digest_client_challenge(client, ch, NULL, NULL, 0) != 0)
		abort();
	if (digest_client_set_cnonce(client, CNONCE) != 0)
		abort();
	digest_client_prefer_auth_int(client, prefer_auth_int);
	err = digest_client_authorize(client, "INVITE", URI, BODY,
				      strlen(BODY), buf, sizeof(buf), &len);
	if (err != 0)
		abort(); /* 8 kB holds every value within the limits */
	if (len != strlen(buf) || strncmp(buf, "Digest ", 7) != 0)
		abort();
	for (i = 0; i < len; i++)
		if (buf[i] == '\r' || buf[i] == '\n' || buf[i] == '\0')
			abort();

	/* Our own decoder reads the value back: realm, nonce, opaque and
	 * algorithm must survive escaping; the other parameters are
	 * unknown to a challenge and skipped. */
	if (digest_challenge_decode(&back, buf, len, NULL, 0) != 0)
		abort();
	if (strcmp(back.realm, ch->realm) != 0 ||
	    strcmp(back.nonce, ch->nonce) != 0 ||
	    back.opaque_present != ch->opaque_present ||
	    strcmp(back.opaque, ch->opaque) != 0 ||
	    back.algorithm != ch->algorithm ||
	    (ch->qop != 0) != (back.qop != 0) ||
	    back.userhash != ch->userhash)
		abort();

	/* Every '"' inside a value is escaped, so the first unescaped
	 * '", uri="' is the real one and the response follows it. */
	resp = strstr(buf, "\", uri=\"" URI "\", response=\"");
	if (resp == NULL)
		abort();
	resp += strlen("\", uri=\"" URI "\", response=\"");
	memset(&in, 0, sizeof(in));
	in.algorithm = ch->algorithm;
	in.username = USERNAME;
	in.realm = ch->realm;
	in.password = PASSWORD;
	in.nonce = ch->nonce;
	in.cnonce = CNONCE;
	in.nc = 1;
	in.qop = back.qop;
	in.method = "INVITE";
	in.uri = URI;
	in.body = BODY;
	in.body_len = strlen(BODY);
	if (digest_compute_response(&in, hex, sizeof(hex)) != 0)
		abort();
	if (strncmp(resp, hex, strlen(hex)) != 0 || resp[strlen(hex)] != '"')
		abort();

	/* Non-stale again after answering is a credential failure. */
	back = *ch;
	back.stale = false;
	if (digest_client_challenge(client, &back, NULL, NULL, 0) !=
	    EKEYREJECTED)
		abort();
	digest_client_free(client);
}

static void check_choose(const uint8_t *data, size_t size)
{
	struct span values[4];
	struct digest_challenge best;
	size_t n = 0, start = 0, i, index;

	for (i = 0; i <= size && n < 4; i++) {
		if (i == size || data[i] == '\0') {
			values[n++] = span_make((const char *)data + start,
						i - start);
			start = i + 1;
		}
	}
	if (digest_challenge_choose(&best, values, n, NULL, &index, NULL,
				    0) == 0 &&
	    index >= n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct digest_challenge ch, again;
	char reason[128];
	char buf[8192];
	size_t len = 0;
	int err;

	err = digest_challenge_decode(&ch, (const char *)data, size, reason,
				      sizeof(reason));
	if (err == 0) {
		if (digest_challenge_encode(&ch, buf, sizeof(buf), &len) != 0)
			abort();
		if (digest_challenge_decode(&again, buf, len, NULL, 0) != 0)
			abort();
		if (memcmp(&ch, &again, sizeof(ch)) != 0)
			abort();
		check_authorization(&ch, size & 1);
	} else if (err != EBADMSG && err != ENOTSUP && err != E2BIG) {
		abort();
	} else if (memchr(reason, '\0', sizeof(reason)) == NULL ||
		   reason[0] == '\0') {
		abort();
	}
	check_choose(data, size);
	return 0;
}
