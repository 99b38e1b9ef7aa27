/* Digest access authentication for SIP (RFC 7616, RFC 8760, RFC 2617 compat):
 * challenge parsing, choosing among challenges, and the client side answer. */
#ifndef SIPWS_DIGEST_H
#define SIPWS_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "span.h"

/* Limits enforced by digest_challenge_decode (E2BIG beyond them). Lengths
 * are of the unescaped value, without the terminating NUL. */
#define DIGEST_CHALLENGE_MAX 4096 /* whole header value */
#define DIGEST_REALM_MAX 256
#define DIGEST_NONCE_MAX 512
#define DIGEST_OPAQUE_MAX 512
#define DIGEST_DOMAIN_MAX 1024
#define DIGEST_CNONCE_MAX 64
/* digest_client_alloc*, EINVAL beyond: any user part of a SIP URI
 * (URI_MAX_LEN) may be the user name. */
#define DIGEST_USERNAME_MAX 8192
/* Longest hex digest (SHA-256, SHA-512-256) plus NUL. */
#define DIGEST_HEX_SIZE 65

enum digest_algorithm {
	DIGEST_MD5,
	DIGEST_MD5_SESS,
	DIGEST_SHA256,
	DIGEST_SHA256_SESS,
	DIGEST_SHA512_256,
	DIGEST_SHA512_256_SESS,
};

/* Bit mask of quality-of-protection options. */
#define DIGEST_QOP_AUTH 0x1u
#define DIGEST_QOP_AUTH_INT 0x2u

/* One decoded challenge. Strings are unescaped and NUL-terminated; they
 * never contain control characters other than HTAB. */
struct digest_challenge {
	enum digest_algorithm algorithm; /* MD5 when absent */
	bool algorithm_present;
	/* Offered options we support; 0 means no qop parameter (RFC 2069
	 * style answer without cnonce and nc). */
	unsigned qop;
	bool stale;
	bool userhash;
	bool opaque_present;
	char realm[DIGEST_REALM_MAX + 1];
	char nonce[DIGEST_NONCE_MAX + 1];
	char opaque[DIGEST_OPAQUE_MAX + 1];
	char domain[DIGEST_DOMAIN_MAX + 1]; /* "" when absent */
};

/* Name as written in the algorithm parameter ("SHA-512-256-sess"). */
const char *digest_algorithm_name(enum digest_algorithm alg);
/* Case-insensitive; ENOTSUP for a name we do not implement. */
int digest_algorithm_from_name(struct span name, enum digest_algorithm *alg);
bool digest_algorithm_is_sess(enum digest_algorithm alg);
/* RFC 8760 preference: SHA-512-256 (3) > SHA-256 (2) > MD5 (1). */
int digest_algorithm_strength(enum digest_algorithm alg);

/* Decode the value of one WWW-Authenticate or Proxy-Authenticate header
 * (one challenge). Scheme and parameter names are case-insensitive, values
 * may be tokens or quoted-strings, LWS and empty list elements are skipped,
 * unknown parameters are ignored. Returns 0, EINVAL (NULL arguments),
 * EBADMSG (syntax, duplicate parameter, missing realm or nonce), E2BIG (a
 * limit above), or ENOTSUP (not the Digest scheme, an unknown algorithm,
 * or a qop list without auth or auth-int): the caller may try another
 * challenge. On error the contents of *ch are unspecified. */
int digest_challenge_decode(struct digest_challenge *ch, const char *p,
			    size_t len, char *reason, size_t reason_size);

/* Write ch back as a header value ("Digest realm=..., ..."), e.g. for a
 * test server. ENOSPC if it does not fit; buf is always NUL-terminated. */
int digest_challenge_encode(const struct digest_challenge *ch, char *buf,
			    size_t size, size_t *len);

/* Decode each of n header values and keep the strongest usable one
 * (RFC 8760 order; on a tie the first listed wins, as servers list by
 * preference). realm NULL accepts any realm, otherwise only challenges for
 * that realm are considered. *index (may be NULL) is the position of the
 * chosen value. ENOENT if none is usable; reason then tells why the last
 * one was refused. */
int digest_challenge_choose(struct digest_challenge *best,
			    const struct span *values, size_t n,
			    const char *realm, size_t *index, char *reason,
			    size_t reason_size);

/* All inputs of one response computation (RFC 7616 section 3.4.1). */
struct digest_input {
	enum digest_algorithm algorithm;
	const char *username;
	const char *realm;
	/* Either the password, or ha1: the lowercase-or-uppercase hex of
	 * H(username:realm:password) for the algorithm's hash (also for the
	 * -sess variants; the session hash is derived here). */
	const char *password;
	const char *ha1;
	const char *nonce;
	const char *cnonce; /* needed with qop and with -sess */
	uint32_t nc;
	unsigned qop; /* 0, DIGEST_QOP_AUTH or DIGEST_QOP_AUTH_INT */
	const char *method;
	const char *uri;
	const void *body; /* auth-int only; NULL with body_len 0 is empty */
	size_t body_len;
};

/* The response parameter as lowercase hex. EINVAL for missing inputs or a
 * malformed ha1, ENOSPC if hex_size is below twice the digest size plus
 * one, ENOTSUP if OpenSSL lacks the hash (e.g. MD5 in FIPS mode). */
int digest_compute_response(const struct digest_input *in, char *hex,
			    size_t hex_size);

/* H(username:realm:password) as lowercase hex, for configuring a
 * precomputed HA1. Only the hash of alg matters (MD5 and MD5-sess give the
 * same HA1). */
int digest_ha1(enum digest_algorithm alg, const char *username,
	       const char *realm, const char *password, char *hex,
	       size_t hex_size);

/* Client state for one realm: credentials, the current challenge, the
 * nonce count and the cnonce. Not thread-safe. */
struct digest_client;

/* Password credentials. realm NULL binds the client to the realm of the
 * first challenge it takes. The password is copied and wiped on free.
 * EINVAL if username contains control characters. */
int digest_client_alloc(struct digest_client **clientp, const char *username,
			const char *password, const char *realm);
/* Precomputed HA1 (hex of H(username:realm:password)) for the hash of alg;
 * the client then answers only challenges using that hash and realm. */
int digest_client_alloc_ha1(struct digest_client **clientp,
			    const char *username, const char *realm,
			    enum digest_algorithm alg, const char *ha1_hex);
void digest_client_free(struct digest_client *client);

/* Why digest_client_challenge said to retry. */
enum digest_retry {
	DIGEST_RETRY_FIRST,     /* no answer sent yet for this realm */
	DIGEST_RETRY_STALE,     /* stale=true: new nonce, same credentials */
	DIGEST_RETRY_CONFIRMED, /* new challenge after a confirmed answer */
};

/* Take a challenge from a 401/407. Returns 0 when retrying the request
 * with digest_client_authorize makes sense (*retry, may be NULL, says
 * why); the nonce count restarts at 1 with the new nonce, except for a
 * stale challenge repeating the nonce already in use (several requests in
 * flight), which changes nothing. Otherwise the client keeps its state and
 * returns EKEYREJECTED (a non-stale challenge after we answered and no
 * answer was confirmed since: the server refused the credentials), ENOKEY
 * (a realm the client is not for), ENOTSUP (an HA1 for another hash, or a
 * hash OpenSSL lacks), EIO (no randomness for the cnonce), ENOMEM or
 * EINVAL. Callers retry a given request once per challenge. */
int digest_client_challenge(struct digest_client *client,
			    const struct digest_challenge *ch,
			    enum digest_retry *retry, char *reason,
			    size_t reason_size);

/* Like digest_challenge_choose, restricted to challenges this client can
 * answer (its realm once bound, and its HA1's hash). */
int digest_client_choose(const struct digest_client *client,
			 struct digest_challenge *best,
			 const struct span *values, size_t n, size_t *index,
			 char *reason, size_t reason_size);

/* Tell the client that the server accepted a request it authorized: a
 * later non-stale challenge then means "new nonce please", not "wrong
 * password". */
void digest_client_confirm(struct digest_client *client);

/* Prefer qop=auth-int (hashing the body) when the server offers both.
 * The default is auth. */
void digest_client_prefer_auth_int(struct digest_client *client, bool yes);

/* Use this cnonce instead of random ones (test vectors). NULL returns to
 * random cnonces. EINVAL if empty, longer than DIGEST_CNONCE_MAX, or
 * holding characters other than visible ASCII without '"' and '\'. */
int digest_client_set_cnonce(struct digest_client *client,
			     const char *cnonce);

/* Write the Authorization / Proxy-Authorization header value for one
 * request into buf (NUL-terminated; *len, may be NULL, gets its length)
 * and advance the nonce count. body is hashed only with qop=auth-int.
 * ENOENT before any challenge, ENOSPC if buf is too small, ERANGE when the
 * nonce count is exhausted, EINVAL for bad arguments (method or uri with
 * control characters). Nothing changes on error. */
int digest_client_authorize(struct digest_client *client, const char *method,
			    const char *uri, const void *body, size_t body_len,
			    char *buf, size_t size, size_t *len);

#endif
