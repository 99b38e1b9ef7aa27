/* Digest authentication (RFC 7616 / RFC 8760): challenge parsing and
 * encoding, response computation, and per-realm client state. */
#include "digest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* MD5 and SHA-256 through OpenSSL's direct functions, deprecated in 3.0
 * but kept: the EVP fetch of the first hash builds OpenSSL's whole
 * algorithm name map, most of a one-off tool's CPU time. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/md5.h>
#include <openssl/sha.h>

#include "random.h"

#define CNONCE_RANDOM_BYTES 16

static const char *const algorithm_names[] = {
	[DIGEST_MD5] = "MD5",
	[DIGEST_MD5_SESS] = "MD5-sess",
	[DIGEST_SHA256] = "SHA-256",
	[DIGEST_SHA256_SESS] = "SHA-256-sess",
	[DIGEST_SHA512_256] = "SHA-512-256",
	[DIGEST_SHA512_256_SESS] = "SHA-512-256-sess",
};

#define ALGORITHM_COUNT (sizeof(algorithm_names) / sizeof(algorithm_names[0]))

static void set_reason(char *reason, size_t reason_size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_reason(char *reason, size_t reason_size, const char *fmt, ...)
{
	va_list ap;

	if (reason == NULL || reason_size == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, reason_size, fmt, ap);
	va_end(ap);
}

static bool algorithm_valid(enum digest_algorithm alg)
{
	return (unsigned)alg < ALGORITHM_COUNT;
}

/* The variant without -sess: it names the hash function. */
static enum digest_algorithm algorithm_base(enum digest_algorithm alg)
{
	switch (alg) {
	case DIGEST_MD5_SESS:
		return DIGEST_MD5;
	case DIGEST_SHA256_SESS:
		return DIGEST_SHA256;
	case DIGEST_SHA512_256_SESS:
		return DIGEST_SHA512_256;
	default:
		return alg;
	}
}

const char *digest_algorithm_name(enum digest_algorithm alg)
{
	return algorithm_valid(alg) ? algorithm_names[alg] : NULL;
}

int digest_algorithm_from_name(struct span name, enum digest_algorithm *alg)
{
	size_t i;

	if (alg == NULL)
		return EINVAL;
	for (i = 0; i < ALGORITHM_COUNT; i++) {
		if (span_eq_nocase(name, algorithm_names[i])) {
			*alg = (enum digest_algorithm)i;
			return 0;
		}
	}
	return ENOTSUP;
}

bool digest_algorithm_is_sess(enum digest_algorithm alg)
{
	return algorithm_valid(alg) && algorithm_base(alg) != alg;
}

int digest_algorithm_strength(enum digest_algorithm alg)
{
	switch (algorithm_base(alg)) {
	case DIGEST_MD5:
		return 1;
	case DIGEST_SHA256:
		return 2;
	case DIGEST_SHA512_256:
		return 3;
	default:
		return 0;
	}
}

/* ---- hashing ---- */

static const char *hash_evp_name(enum digest_algorithm alg)
{
	switch (algorithm_base(alg)) {
	case DIGEST_MD5:
		return "MD5";
	case DIGEST_SHA256:
		return "SHA256";
	case DIGEST_SHA512_256:
		return "SHA512-256";
	default:
		return NULL;
	}
}

static size_t hash_size(enum digest_algorithm alg)
{
	return algorithm_base(alg) == DIGEST_MD5 ? 16 : 32;
}

struct part {
	const void *p;
	size_t len;
};

static struct part part_str(const char *s)
{
	return (struct part){s, strlen(s)};
}

static void to_hex(const unsigned char *bin, size_t n, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		hex[2 * i] = digits[bin[i] >> 4];
		hex[2 * i + 1] = digits[bin[i] & 0xf];
	}
	hex[2 * n] = '\0';
}

/* hex = H(part0 ":" part1 ":" ...). Parts are fed one by one so that no
 * buffer ever holds the password next to the other fields. hex must hold
 * DIGEST_HEX_SIZE bytes. */
static int hash_joined_evp(enum digest_algorithm alg, const struct part *parts,
			   size_t n, unsigned char *bin)
{
	unsigned int bin_len = 0;
	EVP_MD *md = NULL;
	EVP_MD_CTX *ctx = NULL;
	size_t i;
	int err = 0;

	md = EVP_MD_fetch(NULL, hash_evp_name(alg), NULL);
	if (md == NULL)
		return ENOTSUP;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL) {
		err = ENOMEM;
		goto out;
	}
	if (!EVP_DigestInit_ex2(ctx, md, NULL)) {
		err = ENOTSUP;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((i > 0 && !EVP_DigestUpdate(ctx, ":", 1)) ||
		    (parts[i].len > 0 &&
		     !EVP_DigestUpdate(ctx, parts[i].p, parts[i].len))) {
			err = EIO;
			goto out;
		}
	}
	if (!EVP_DigestFinal_ex(ctx, bin, &bin_len) ||
	    bin_len != hash_size(alg))
		err = EIO;
out:
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	return err;
}

static int hash_joined(enum digest_algorithm alg, const struct part *parts,
		       size_t n, char *hex)
{
	unsigned char bin[EVP_MAX_MD_SIZE];
	size_t i;
	int err = 0;

	switch (algorithm_base(alg)) {
	case DIGEST_MD5: {
		MD5_CTX c;

		MD5_Init(&c);
		for (i = 0; i < n; i++) {
			if (i > 0)
				MD5_Update(&c, ":", 1);
			MD5_Update(&c, parts[i].p, parts[i].len);
		}
		MD5_Final(bin, &c);
		OPENSSL_cleanse(&c, sizeof(c));
		break;
	}
	case DIGEST_SHA256: {
		SHA256_CTX c;

		SHA256_Init(&c);
		for (i = 0; i < n; i++) {
			if (i > 0)
				SHA256_Update(&c, ":", 1);
			SHA256_Update(&c, parts[i].p, parts[i].len);
		}
		SHA256_Final(bin, &c);
		OPENSSL_cleanse(&c, sizeof(c));
		break;
	}
	default:
		err = hash_joined_evp(alg, parts, n, bin);
		break;
	}
	if (!err)
		to_hex(bin, hash_size(alg), hex);
	OPENSSL_cleanse(bin, sizeof(bin));
	return err;
}

static bool is_hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* Copy a configured HA1 in lowercase (it is hashed as text, so case
 * matters) after checking that it has the size of alg's hash. */
static int ha1_normalise(enum digest_algorithm alg, const char *ha1,
			 char *hex)
{
	size_t n = strlen(ha1);
	size_t i;

	if (n != 2 * hash_size(alg))
		return EINVAL;
	for (i = 0; i < n; i++) {
		if (!is_hex_digit(ha1[i]))
			return EINVAL;
		hex[i] = (ha1[i] >= 'A' && ha1[i] <= 'F')
				 ? (char)(ha1[i] - 'A' + 'a')
				 : ha1[i];
	}
	hex[n] = '\0';
	return 0;
}

int digest_ha1(enum digest_algorithm alg, const char *username,
	       const char *realm, const char *password, char *hex,
	       size_t hex_size)
{
	struct part parts[3];
	char tmp[DIGEST_HEX_SIZE];
	int err;

	if (!algorithm_valid(alg) || username == NULL || realm == NULL ||
	    password == NULL || hex == NULL)
		return EINVAL;
	if (hex_size < 2 * hash_size(alg) + 1)
		return ENOSPC;
	parts[0] = part_str(username);
	parts[1] = part_str(realm);
	parts[2] = part_str(password);
	err = hash_joined(alg, parts, 3, tmp);
	if (err == 0)
		memcpy(hex, tmp, 2 * hash_size(alg) + 1);
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return err;
}

static const char *qop_name(unsigned qop)
{
	return qop == DIGEST_QOP_AUTH_INT ? "auth-int" : "auth";
}

int digest_compute_response(const struct digest_input *in, char *hex,
			    size_t hex_size)
{
	char ha1[DIGEST_HEX_SIZE];
	char ha2[DIGEST_HEX_SIZE];
	char body_hash[DIGEST_HEX_SIZE];
	char nc_text[9];
	struct part parts[6];
	size_t n;
	bool sess;
	int err;

	if (in == NULL || hex == NULL || !algorithm_valid(in->algorithm) ||
	    in->nonce == NULL || in->method == NULL || in->uri == NULL ||
	    (in->qop != 0 && in->qop != DIGEST_QOP_AUTH &&
	     in->qop != DIGEST_QOP_AUTH_INT) ||
	    (in->body == NULL && in->body_len != 0))
		return EINVAL;
	sess = digest_algorithm_is_sess(in->algorithm);
	if ((in->qop != 0 || sess) && in->cnonce == NULL)
		return EINVAL;
	if (in->password == NULL && in->ha1 == NULL)
		return EINVAL;
	if (in->password != NULL && (in->username == NULL || in->realm == NULL))
		return EINVAL;
	if (hex_size < 2 * hash_size(in->algorithm) + 1)
		return ENOSPC;

	if (in->password != NULL)
		err = digest_ha1(in->algorithm, in->username, in->realm,
				 in->password, ha1, sizeof(ha1));
	else
		err = ha1_normalise(in->algorithm, in->ha1, ha1);
	if (err)
		goto out;
	if (sess) {
		/* RFC 7616 3.4.2: A1 = H(user:realm:pass):nonce:cnonce. */
		parts[0] = part_str(ha1);
		parts[1] = part_str(in->nonce);
		parts[2] = part_str(in->cnonce);
		err = hash_joined(in->algorithm, parts, 3, ha1);
		if (err)
			goto out;
	}

	parts[0] = part_str(in->method);
	parts[1] = part_str(in->uri);
	n = 2;
	if (in->qop == DIGEST_QOP_AUTH_INT) {
		struct part body = {in->body, in->body_len};

		err = hash_joined(in->algorithm, &body, 1, body_hash);
		if (err)
			goto out;
		parts[n++] = part_str(body_hash);
	}
	err = hash_joined(in->algorithm, parts, n, ha2);
	if (err)
		goto out;

	parts[0] = part_str(ha1);
	parts[1] = part_str(in->nonce);
	n = 2;
	if (in->qop != 0) {
		snprintf(nc_text, sizeof(nc_text), "%08x", (unsigned)in->nc);
		parts[n++] = part_str(nc_text);
		parts[n++] = part_str(in->cnonce);
		parts[n++] = part_str(qop_name(in->qop));
	}
	parts[n++] = part_str(ha2);
	err = hash_joined(in->algorithm, parts, n, hex);
out:
	OPENSSL_cleanse(ha1, sizeof(ha1));
	return err;
}

/* ---- challenge parsing ---- */

static bool is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* RFC 7230 tchar, which also covers RFC 3261 token characters. */
static bool is_tchar(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Unquoted values are tokens in the grammar, but servers send base64
 * nonces and the like unquoted: accept any visible ASCII that cannot end
 * or confuse the list. */
static bool is_bare_value_char(char c)
{
	return c > 0x20 && c < 0x7f && c != ',' && c != '"' && c != '\\';
}

struct cursor {
	const char *p;
	size_t len;
	size_t pos;
};

static void skip_lws(struct cursor *cur)
{
	while (cur->pos < cur->len && is_lws(cur->p[cur->pos]))
		cur->pos++;
}

static struct span read_token(struct cursor *cur)
{
	size_t start = cur->pos;

	while (cur->pos < cur->len && is_tchar(cur->p[cur->pos]))
		cur->pos++;
	return span_make(cur->p + start, cur->pos - start);
}

/* Bytes held by a value buffer: output is cut at dst_size - 1 with
 * *truncated set, but the cursor always moves past the whole value. */
struct value {
	char *dst;
	size_t dst_size;
	size_t len;
	bool truncated;
};

static void value_put(struct value *v, char c)
{
	if (v->dst == NULL)
		return;
	if (v->len + 1 < v->dst_size)
		v->dst[v->len++] = c;
	else
		v->truncated = true;
}

/* Read a token-ish or quoted-string value; quoted-pairs are unescaped and
 * folded line breaks (CRLF followed by SP/HTAB) dropped. Control
 * characters other than HTAB are refused. */
static int read_value(struct cursor *cur, struct value *v, const char *name,
		      char *reason, size_t reason_size)
{
	v->len = 0;
	v->truncated = false;
	if (cur->pos < cur->len && cur->p[cur->pos] == '"') {
		cur->pos++;
		for (;;) {
			unsigned char c;

			if (cur->pos >= cur->len)
				goto unterminated;
			c = (unsigned char)cur->p[cur->pos];
			if (c == '"') {
				cur->pos++;
				break;
			}
			if (c == '\\') {
				if (cur->pos + 1 >= cur->len)
					goto unterminated;
				c = (unsigned char)cur->p[cur->pos + 1];
				cur->pos += 2;
			} else if (c == '\r' && cur->pos + 2 < cur->len &&
				   cur->p[cur->pos + 1] == '\n' &&
				   (cur->p[cur->pos + 2] == ' ' ||
				    cur->p[cur->pos + 2] == '\t')) {
				cur->pos += 2;
				continue;
			} else {
				cur->pos++;
			}
			if (is_ctl(c) && c != '\t') {
				set_reason(reason, reason_size,
					   "control character in %s", name);
				return EBADMSG;
			}
			value_put(v, (char)c);
		}
	} else {
		size_t start = cur->pos;

		while (cur->pos < cur->len &&
		       is_bare_value_char(cur->p[cur->pos]))
			value_put(v, cur->p[cur->pos++]);
		if (cur->pos == start) {
			set_reason(reason, reason_size, "missing value for %s",
				   name);
			return EBADMSG;
		}
	}
	if (v->dst != NULL)
		v->dst[v->len] = '\0';
	return 0;

unterminated:
	set_reason(reason, reason_size, "unterminated quoted-string in %s",
		   name);
	return EBADMSG;
}

/* Known parameters; the bit records that we saw one (duplicates). */
enum param_bit {
	PARAM_REALM = 1u << 0,
	PARAM_NONCE = 1u << 1,
	PARAM_OPAQUE = 1u << 2,
	PARAM_DOMAIN = 1u << 3,
	PARAM_ALGORITHM = 1u << 4,
	PARAM_QOP = 1u << 5,
	PARAM_STALE = 1u << 6,
	PARAM_USERHASH = 1u << 7,
	PARAM_CHARSET = 1u << 8,
};

static const struct {
	const char *name;
	unsigned bit;
} known_params[] = {
	{"realm", PARAM_REALM},	    {"nonce", PARAM_NONCE},
	{"opaque", PARAM_OPAQUE},   {"domain", PARAM_DOMAIN},
	{"algorithm", PARAM_ALGORITHM}, {"qop", PARAM_QOP},
	{"stale", PARAM_STALE},	    {"userhash", PARAM_USERHASH},
	{"charset", PARAM_CHARSET},
};

static unsigned param_lookup(struct span name, const char **canonical)
{
	size_t i;

	for (i = 0; i < sizeof(known_params) / sizeof(known_params[0]); i++) {
		if (span_eq_nocase(name, known_params[i].name)) {
			*canonical = known_params[i].name;
			return known_params[i].bit;
		}
	}
	*canonical = "parameter";
	return 0;
}

/* The qop value is a comma-separated list inside one quoted-string. */
static unsigned qop_parse(const char *list, size_t len)
{
	unsigned mask = 0;
	size_t i = 0;

	while (i < len) {
		size_t start = i;
		struct span item;

		while (i < len && list[i] != ',')
			i++;
		item = span_trim(span_make(list + start, i - start));
		if (span_eq_nocase(item, "auth"))
			mask |= DIGEST_QOP_AUTH;
		else if (span_eq_nocase(item, "auth-int"))
			mask |= DIGEST_QOP_AUTH_INT;
		i++; /* the comma */
	}
	return mask;
}

int digest_challenge_decode(struct digest_challenge *ch, const char *p,
			    size_t len, char *reason, size_t reason_size)
{
	struct cursor cur = {p, len, 0};
	char small[64];	 /* algorithm, stale, userhash, charset */
	char qop[256];
	unsigned seen = 0;
	int unsupported = 0;
	char unsupported_reason[96] = "";
	struct span scheme;
	bool qop_present = false;

	if (ch == NULL || (p == NULL && len > 0)) {
		set_reason(reason, reason_size, "missing argument");
		return EINVAL;
	}
	if (len > DIGEST_CHALLENGE_MAX) {
		set_reason(reason, reason_size,
			   "challenge longer than %d bytes",
			   DIGEST_CHALLENGE_MAX);
		return E2BIG;
	}
	memset(ch, 0, sizeof(*ch));
	ch->algorithm = DIGEST_MD5;

	skip_lws(&cur);
	scheme = read_token(&cur);
	if (scheme.len == 0) {
		set_reason(reason, reason_size, "missing auth scheme");
		return EBADMSG;
	}
	if (!span_eq_nocase(scheme, "Digest")) {
		set_reason(reason, reason_size, "scheme %.*s is not Digest",
			   (int)(scheme.len > 32 ? 32 : scheme.len), scheme.p);
		return ENOTSUP;
	}
	if (cur.pos < cur.len && !is_lws(cur.p[cur.pos])) {
		set_reason(reason, reason_size, "expected space after Digest");
		return EBADMSG;
	}

	for (;;) {
		struct span name;
		const char *canonical;
		struct value v = {NULL, 0, 0, false};
		unsigned bit;
		int err;

		while (cur.pos < cur.len &&
		       (is_lws(cur.p[cur.pos]) || cur.p[cur.pos] == ','))
			cur.pos++;
		if (cur.pos == cur.len)
			break;
		name = read_token(&cur);
		if (name.len == 0) {
			set_reason(reason, reason_size,
				   "expected a parameter name at offset %zu",
				   cur.pos);
			return EBADMSG;
		}
		bit = param_lookup(name, &canonical);
		skip_lws(&cur);
		if (cur.pos == cur.len || cur.p[cur.pos] != '=') {
			set_reason(reason, reason_size,
				   "expected '=' after %.*s",
				   (int)(name.len > 32 ? 32 : name.len),
				   name.p);
			return EBADMSG;
		}
		cur.pos++;
		skip_lws(&cur);
		if (seen & bit) {
			set_reason(reason, reason_size, "duplicate %s",
				   canonical);
			return EBADMSG;
		}
		seen |= bit;

		switch (bit) {
		case PARAM_REALM:
			v.dst = ch->realm;
			v.dst_size = sizeof(ch->realm);
			break;
		case PARAM_NONCE:
			v.dst = ch->nonce;
			v.dst_size = sizeof(ch->nonce);
			break;
		case PARAM_OPAQUE:
			v.dst = ch->opaque;
			v.dst_size = sizeof(ch->opaque);
			break;
		case PARAM_DOMAIN:
			v.dst = ch->domain;
			v.dst_size = sizeof(ch->domain);
			break;
		case PARAM_QOP:
			v.dst = qop;
			v.dst_size = sizeof(qop);
			break;
		case PARAM_ALGORITHM:
		case PARAM_STALE:
		case PARAM_USERHASH:
		case PARAM_CHARSET:
			v.dst = small;
			v.dst_size = sizeof(small);
			break;
		default:
			break; /* unknown: skip the value */
		}
		err = read_value(&cur, &v, canonical, reason, reason_size);
		if (err)
			return err;

		switch (bit) {
		case PARAM_REALM:
		case PARAM_NONCE:
		case PARAM_OPAQUE:
		case PARAM_DOMAIN:
		case PARAM_QOP:
			if (v.truncated) {
				set_reason(reason, reason_size,
					   "%s longer than %zu bytes",
					   canonical, v.dst_size - 1);
				return E2BIG;
			}
			if (bit == PARAM_OPAQUE)
				ch->opaque_present = true;
			if (bit == PARAM_QOP) {
				qop_present = true;
				ch->qop = qop_parse(qop, v.len);
			}
			break;
		case PARAM_ALGORITHM:
			ch->algorithm_present = true;
			if (v.truncated ||
			    digest_algorithm_from_name(span_make(small, v.len),
						       &ch->algorithm) != 0) {
				unsupported = ENOTSUP;
				snprintf(unsupported_reason,
					 sizeof(unsupported_reason),
					 "unsupported algorithm \"%.32s%s\"",
					 small, v.truncated ? "..." : "");
			}
			break;
		case PARAM_STALE:
			ch->stale = !v.truncated &&
				    span_eq_nocase(span_make(small, v.len),
						   "true");
			break;
		case PARAM_USERHASH:
			ch->userhash = !v.truncated &&
				       span_eq_nocase(span_make(small, v.len),
						      "true");
			break;
		default:
			break; /* charset: we send UTF-8 as it is */
		}

		skip_lws(&cur);
		if (cur.pos < cur.len && cur.p[cur.pos] != ',') {
			set_reason(reason, reason_size,
				   "expected ',' after %s at offset %zu",
				   canonical, cur.pos);
			return EBADMSG;
		}
	}

	if (!(seen & PARAM_REALM)) {
		set_reason(reason, reason_size, "missing realm");
		return EBADMSG;
	}
	if (!(seen & PARAM_NONCE)) {
		set_reason(reason, reason_size, "missing nonce");
		return EBADMSG;
	}
	if (unsupported) {
		set_reason(reason, reason_size, "%s", unsupported_reason);
		return unsupported;
	}
	if (qop_present && ch->qop == 0) {
		set_reason(reason, reason_size,
			   "qop offers neither auth nor auth-int");
		return ENOTSUP;
	}
	return 0;
}

/* ---- output ---- */

/* Appends to a caller buffer, remembering overflow instead of failing at
 * each call. The buffer stays NUL-terminated. */
struct out {
	char *buf;
	size_t size;
	size_t len;
	bool full;
	size_t params; /* parameters written, for the separators */
};

static void out_mem(struct out *o, const char *s, size_t n)
{
	if (o->full)
		return;
	if (n >= o->size - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void out_str(struct out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

/* A quoted-string: '"' and '\' are the only characters needing escape. */
static void out_quoted(struct out *o, const char *s)
{
	size_t start = 0, i;

	out_mem(o, "\"", 1);
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '"' || s[i] == '\\') {
			out_mem(o, s + start, i - start);
			out_mem(o, "\\", 1);
			start = i;
		}
	}
	out_mem(o, s + start, i - start);
	out_mem(o, "\"", 1);
}

static void out_param(struct out *o, const char *name, const char *value,
		      bool quoted)
{
	if (o->params++ > 0)
		out_str(o, ", ");
	out_str(o, name);
	out_mem(o, "=", 1);
	if (quoted)
		out_quoted(o, value);
	else
		out_str(o, value);
}

static int out_finish(struct out *o, size_t *len)
{
	if (o->full) {
		if (o->size > 0)
			o->buf[0] = '\0';
		return ENOSPC;
	}
	if (len != NULL)
		*len = o->len;
	return 0;
}

int digest_challenge_encode(const struct digest_challenge *ch, char *buf,
			    size_t size, size_t *len)
{
	struct out o = {buf, size, 0, false, 0};

	if (ch == NULL || buf == NULL || !algorithm_valid(ch->algorithm))
		return EINVAL;
	if (size == 0)
		return ENOSPC;
	buf[0] = '\0';
	out_str(&o, "Digest ");
	out_param(&o, "realm", ch->realm, true);
	out_param(&o, "nonce", ch->nonce, true);
	if (ch->opaque_present)
		out_param(&o, "opaque", ch->opaque, true);
	if (ch->domain[0] != '\0')
		out_param(&o, "domain", ch->domain, true);
	if (ch->algorithm_present)
		out_param(&o, "algorithm", algorithm_names[ch->algorithm],
			  false);
	if (ch->qop == (DIGEST_QOP_AUTH | DIGEST_QOP_AUTH_INT))
		out_param(&o, "qop", "auth,auth-int", true);
	else if (ch->qop != 0)
		out_param(&o, "qop", qop_name(ch->qop), true);
	if (ch->stale)
		out_param(&o, "stale", "true", false);
	if (ch->userhash)
		out_param(&o, "userhash", "true", false);
	return out_finish(&o, len);
}

/* ---- choosing ---- */

/* hash_only < 0 accepts any hash, else only algorithms with that base. */
static int choose(struct digest_challenge *best, const struct span *values,
		  size_t n, const char *realm, int hash_only, size_t *index,
		  char *reason, size_t reason_size)
{
	struct digest_challenge *ch;
	bool found = false;
	size_t i;

	if (best == NULL || (values == NULL && n > 0))
		return EINVAL;
	/* A challenge is about 2.3 kB: keep it off the stack of callers
	 * that may already be deep. */
	ch = malloc(sizeof(*ch));
	if (ch == NULL)
		return ENOMEM;
	set_reason(reason, reason_size, "no challenge");
	for (i = 0; i < n; i++) {
		char why[128];

		if (digest_challenge_decode(ch, values[i].p, values[i].len,
					    why, sizeof(why)) != 0) {
			set_reason(reason, reason_size, "%s", why);
			continue;
		}
		if (realm != NULL && strcmp(realm, ch->realm) != 0) {
			set_reason(reason, reason_size, "realm not ours");
			continue;
		}
		if (hash_only >= 0 &&
		    algorithm_base(ch->algorithm) !=
			    (enum digest_algorithm)hash_only) {
			set_reason(reason, reason_size,
				   "algorithm %s does not match the HA1",
				   algorithm_names[ch->algorithm]);
			continue;
		}
		if (!found || digest_algorithm_strength(ch->algorithm) >
				      digest_algorithm_strength(best->algorithm)) {
			*best = *ch;
			if (index != NULL)
				*index = i;
			found = true;
		}
	}
	free(ch);
	if (!found)
		return ENOENT;
	set_reason(reason, reason_size, "ok");
	return 0;
}

int digest_challenge_choose(struct digest_challenge *best,
			    const struct span *values, size_t n,
			    const char *realm, size_t *index, char *reason,
			    size_t reason_size)
{
	return choose(best, values, n, realm, -1, index, reason, reason_size);
}

/* ---- client ---- */

struct digest_client {
	char *username;
	char *password; /* NULL with a configured HA1; wiped on free */
	/* HA1 hex for the current challenge's hash (or the configured one):
	 * password-equivalent for this realm, so wiped too. */
	char ha1[DIGEST_HEX_SIZE];
	bool ha1_configured;
	enum digest_algorithm ha1_hash;
	char realm[DIGEST_REALM_MAX + 1];
	bool realm_bound;
	struct digest_challenge ch;
	bool have_challenge;
	char userhash[DIGEST_HEX_SIZE];
	uint32_t nc;	/* last nonce count sent with ch.nonce */
	bool answered;	/* authorized a request, not confirmed since */
	bool confirmed; /* a confirm arrived for the current challenge */
	bool prefer_auth_int;
	char cnonce[DIGEST_CNONCE_MAX + 1];
	char fixed_cnonce[DIGEST_CNONCE_MAX + 1]; /* "" means random */
};

static bool text_ok(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= max)
			return false;
		if (is_ctl((unsigned char)s[i]) && s[i] != '\t')
			return false;
	}
	return true;
}

static int client_new(struct digest_client **clientp, const char *username,
		      const char *realm)
{
	struct digest_client *c;

	if (clientp == NULL || username == NULL || username[0] == '\0' ||
	    !text_ok(username, DIGEST_USERNAME_MAX) ||
	    (realm != NULL && !text_ok(realm, DIGEST_REALM_MAX)))
		return EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return ENOMEM;
	c->username = strdup(username);
	if (c->username == NULL) {
		free(c);
		return ENOMEM;
	}
	if (realm != NULL) {
		strcpy(c->realm, realm); /* length checked by text_ok */
		c->realm_bound = true;
	}
	*clientp = c;
	return 0;
}

int digest_client_alloc(struct digest_client **clientp, const char *username,
			const char *password, const char *realm)
{
	struct digest_client *c = NULL;
	int err;

	if (password == NULL)
		return EINVAL;
	err = client_new(&c, username, realm);
	if (err)
		return err;
	c->password = strdup(password);
	if (c->password == NULL) {
		digest_client_free(c);
		return ENOMEM;
	}
	*clientp = c;
	return 0;
}

int digest_client_alloc_ha1(struct digest_client **clientp,
			    const char *username, const char *realm,
			    enum digest_algorithm alg, const char *ha1_hex)
{
	struct digest_client *c = NULL;
	int err;

	if (realm == NULL || ha1_hex == NULL || !algorithm_valid(alg))
		return EINVAL;
	err = client_new(&c, username, realm);
	if (err)
		return err;
	err = ha1_normalise(alg, ha1_hex, c->ha1);
	if (err) {
		digest_client_free(c);
		return err;
	}
	c->ha1_configured = true;
	c->ha1_hash = algorithm_base(alg);
	*clientp = c;
	return 0;
}

void digest_client_free(struct digest_client *client)
{
	if (client == NULL)
		return;
	if (client->password != NULL) {
		OPENSSL_cleanse(client->password, strlen(client->password));
		free(client->password);
	}
	free(client->username);
	OPENSSL_cleanse(client, sizeof(*client));
	free(client);
}

static int new_cnonce(const struct digest_client *c, char *cnonce)
{
	unsigned char bin[CNONCE_RANDOM_BYTES];

	if (c->fixed_cnonce[0] != '\0') {
		strcpy(cnonce, c->fixed_cnonce);
		return 0;
	}
	if (random_bytes(bin, sizeof(bin)) != 0)
		return EIO;
	to_hex(bin, sizeof(bin), cnonce);
	return 0;
}

int digest_client_challenge(struct digest_client *client,
			    const struct digest_challenge *ch,
			    enum digest_retry *retry, char *reason,
			    size_t reason_size)
{
	char ha1[DIGEST_HEX_SIZE];
	char userhash[DIGEST_HEX_SIZE] = "";
	char cnonce[DIGEST_CNONCE_MAX + 1];
	enum digest_retry why;
	int err;

	if (client == NULL || ch == NULL || !algorithm_valid(ch->algorithm)) {
		set_reason(reason, reason_size, "missing argument");
		return EINVAL;
	}
	if (client->realm_bound && strcmp(client->realm, ch->realm) != 0) {
		set_reason(reason, reason_size, "no credentials for realm");
		return ENOKEY;
	}
	if (client->ha1_configured &&
	    algorithm_base(ch->algorithm) != client->ha1_hash) {
		set_reason(reason, reason_size,
			   "HA1 is for %s, challenge wants %s",
			   algorithm_names[client->ha1_hash],
			   algorithm_names[ch->algorithm]);
		return ENOTSUP;
	}

	if (!client->have_challenge) {
		why = DIGEST_RETRY_FIRST;
	} else if (ch->stale) {
		/* A stale nonce is not a credential failure (RFC 7616 3.3).
		 * Requests in flight on the old nonce may all come back
		 * stale with the nonce we already took: keep counting on it,
		 * as restarting nc would replay counts the server has seen. */
		if (strcmp(ch->nonce, client->ch.nonce) == 0) {
			if (retry != NULL)
				*retry = DIGEST_RETRY_STALE;
			set_reason(reason, reason_size,
				   "stale nonce already taken, retry");
			return 0;
		}
		why = DIGEST_RETRY_STALE;
	} else if (client->answered) {
		set_reason(reason, reason_size, "credentials rejected");
		return EKEYREJECTED;
	} else {
		why = client->confirmed ? DIGEST_RETRY_CONFIRMED
					: DIGEST_RETRY_FIRST;
	}

	if (client->ha1_configured) {
		memcpy(ha1, client->ha1, sizeof(ha1));
	} else {
		err = digest_ha1(ch->algorithm, client->username, ch->realm,
				 client->password, ha1, sizeof(ha1));
		if (err) {
			set_reason(reason, reason_size, "cannot hash with %s",
				   algorithm_names[ch->algorithm]);
			goto out;
		}
	}
	if (ch->userhash) {
		struct part parts[2] = {part_str(client->username),
					part_str(ch->realm)};

		err = hash_joined(ch->algorithm, parts, 2, userhash);
		if (err) {
			set_reason(reason, reason_size, "cannot hash username");
			goto out;
		}
	}
	err = new_cnonce(client, cnonce);
	if (err) {
		set_reason(reason, reason_size, "no randomness for cnonce");
		goto out;
	}

	/* Commit only now that nothing can fail. */
	memcpy(client->ha1, ha1, sizeof(ha1));
	memcpy(client->userhash, userhash, sizeof(userhash));
	memcpy(client->cnonce, cnonce, sizeof(cnonce));
	client->ch = *ch;
	client->have_challenge = true;
	if (!client->realm_bound) {
		strcpy(client->realm, ch->realm);
		client->realm_bound = true;
	}
	client->nc = 0;
	client->answered = false;
	client->confirmed = false;
	if (retry != NULL)
		*retry = why;
	set_reason(reason, reason_size, "%s",
		   why == DIGEST_RETRY_STALE ? "stale nonce, retry"
					     : "retry with credentials");
out:
	OPENSSL_cleanse(ha1, sizeof(ha1));
	return err;
}

int digest_client_choose(const struct digest_client *client,
			 struct digest_challenge *best,
			 const struct span *values, size_t n, size_t *index,
			 char *reason, size_t reason_size)
{
	if (client == NULL)
		return EINVAL;
	return choose(best, values, n,
		      client->realm_bound ? client->realm : NULL,
		      client->ha1_configured ? (int)client->ha1_hash : -1,
		      index, reason, reason_size);
}

void digest_client_confirm(struct digest_client *client)
{
	if (client == NULL)
		return;
	client->answered = false;
	client->confirmed = true;
}

void digest_client_prefer_auth_int(struct digest_client *client, bool yes)
{
	if (client != NULL)
		client->prefer_auth_int = yes;
}

int digest_client_set_cnonce(struct digest_client *client,
			     const char *cnonce)
{
	size_t i, n;

	if (client == NULL)
		return EINVAL;
	if (cnonce == NULL) {
		client->fixed_cnonce[0] = '\0';
		return 0;
	}
	n = strlen(cnonce);
	if (n == 0 || n > DIGEST_CNONCE_MAX)
		return EINVAL;
	for (i = 0; i < n; i++)
		if (!is_bare_value_char(cnonce[i]))
			return EINVAL;
	memcpy(client->fixed_cnonce, cnonce, n + 1);
	/* Applies to the current nonce too, so a test can set it after
	 * the challenge. */
	memcpy(client->cnonce, cnonce, n + 1);
	return 0;
}

static bool method_ok(const char *method)
{
	size_t i;

	if (method[0] == '\0')
		return false;
	for (i = 0; method[i] != '\0'; i++)
		if (!is_tchar(method[i]))
			return false;
	return true;
}

static bool uri_ok(const char *uri)
{
	size_t i;

	if (uri[0] == '\0')
		return false;
	for (i = 0; uri[i] != '\0'; i++)
		if (is_ctl((unsigned char)uri[i]))
			return false;
	return true;
}

int digest_client_authorize(struct digest_client *client, const char *method,
			    const char *uri, const void *body, size_t body_len,
			    char *buf, size_t size, size_t *len)
{
	struct digest_input in;
	struct out o = {buf, size, 0, false, 0};
	const struct digest_challenge *ch;
	char response[DIGEST_HEX_SIZE];
	char nc_text[9];
	bool sess;
	int err;

	if (client == NULL || method == NULL || uri == NULL || buf == NULL ||
	    (body == NULL && body_len > 0) || !method_ok(method) ||
	    !uri_ok(uri))
		return EINVAL;
	if (size == 0)
		return ENOSPC;
	buf[0] = '\0';
	if (!client->have_challenge)
		return ENOENT;
	if (client->nc == UINT32_MAX)
		return ERANGE;
	ch = &client->ch;
	sess = digest_algorithm_is_sess(ch->algorithm);

	memset(&in, 0, sizeof(in));
	in.algorithm = ch->algorithm;
	in.ha1 = client->ha1;
	in.nonce = ch->nonce;
	in.cnonce = client->cnonce;
	in.nc = client->nc + 1;
	if (ch->qop == 0)
		in.qop = 0;
	else if ((ch->qop & DIGEST_QOP_AUTH_INT) &&
		 (client->prefer_auth_int || !(ch->qop & DIGEST_QOP_AUTH)))
		in.qop = DIGEST_QOP_AUTH_INT;
	else
		in.qop = DIGEST_QOP_AUTH;
	in.method = method;
	in.uri = uri;
	in.body = body;
	in.body_len = body_len;
	err = digest_compute_response(&in, response, sizeof(response));
	if (err)
		return err;

	out_str(&o, "Digest ");
	out_param(&o, "username",
		  ch->userhash ? client->userhash : client->username, true);
	out_param(&o, "realm", ch->realm, true);
	out_param(&o, "nonce", ch->nonce, true);
	out_param(&o, "uri", uri, true);
	out_param(&o, "response", response, true);
	out_param(&o, "algorithm", algorithm_names[ch->algorithm], false);
	/* -sess needs the cnonce even when the server sent no qop. */
	if (in.qop != 0 || sess)
		out_param(&o, "cnonce", client->cnonce, true);
	if (ch->opaque_present)
		out_param(&o, "opaque", ch->opaque, true);
	if (in.qop != 0) {
		snprintf(nc_text, sizeof(nc_text), "%08x", (unsigned)in.nc);
		out_param(&o, "qop", qop_name(in.qop), false);
		out_param(&o, "nc", nc_text, false);
	}
	if (ch->userhash)
		out_param(&o, "userhash", "true", false);
	err = out_finish(&o, len);
	if (err)
		return err;
	client->nc = in.nc;
	/* Once a request on this nonce succeeded, a later non-stale challenge
	 * means the server dropped the nonce (expiry, restart), not that the
	 * password is wrong: only answers on an unconfirmed nonce count. */
	if (!client->confirmed)
		client->answered = true;
	return 0;
}
