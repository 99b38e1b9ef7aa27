/* SDP parsing, typed access, the edits a media session needs and the
 * generator; the accepted syntax and the limits are described in sdp.h. */
#include "sdp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define SDP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SDP_PRINTF(f, a)
#endif

struct line {
	char type;
	struct span text;   /* after "x=" */
	struct span name;   /* a= only */
	struct span value;  /* a= only; null for a flag */
};

struct section {
	struct line *lines;
	size_t count, cap;
};

/* Text made by edits; lines point into it until sdp_free. */
struct owned {
	struct owned *next;
	char text[];
};

struct sdp {
	char *copy;                 /* the parsed input */
	struct section *sections;   /* [0] session level, [1..] m-lines */
	size_t section_count;
	struct owned *owned;
};

/* Where a parser writes why it failed. */
struct why {
	char *buf;
	size_t size;
};

static int fail(struct why *w, int err, const char *fmt, ...) SDP_PRINTF(3, 4);

static int fail(struct why *w, int err, const char *fmt, ...)
{
	va_list ap;

	if (w != NULL && w->buf != NULL && w->size > 0) {
		va_start(ap, fmt);
		vsnprintf(w->buf, w->size, fmt, ap);
		va_end(ap);
	}
	return err;
}

static void why_clear(struct why *w)
{
	if (w->buf != NULL && w->size > 0)
		w->buf[0] = '\0';
}

/* ---- character classes and words --------------------------------------- */

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* RFC 8866 §9 token-char. */
static bool is_token_char(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b ||
	       c == 0x2d || c == 0x2e || is_digit(c) || (c >= 0x41 && c <= 0x5a) ||
	       (c >= 0x5e && c <= 0x7e);
}

/* RFC 8839 §5.1 ice-char. */
static bool is_ice_char(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c == '+' || c == '/';
}

static bool all_of(struct span s, bool (*pred)(unsigned char))
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if (!pred((unsigned char)s.p[i]))
			return false;
	return true;
}

static bool is_token(struct span s)
{
	return s.len > 0 && all_of(s, is_token_char);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Next word of *rest (separated by runs of SP/HTAB); false at the end. */
static bool next_word(struct span *rest, struct span *word)
{
	size_t i = 0, start;

	while (i < rest->len && is_space(rest->p[i]))
		i++;
	if (i == rest->len) {
		*rest = span_make(rest->p + i, 0);
		return false;
	}
	start = i;
	while (i < rest->len && !is_space(rest->p[i]))
		i++;
	*word = span_make(rest->p + start, i - start);
	*rest = span_make(rest->p + i, rest->len - i);
	return true;
}

/* The rest after leading SP/HTAB (null span when nothing is left). */
static struct span rest_of(struct span rest)
{
	size_t i = 0;

	while (i < rest.len && is_space(rest.p[i]))
		i++;
	if (i == rest.len)
		return SPAN_NULL;
	return span_make(rest.p + i, rest.len - i);
}

static bool number(struct span s, unsigned long long max,
		   unsigned long long *out)
{
	return s.len > 0 && s.len <= 20 && span_to_u64(s, max, out) == 0;
}

/* Split at the first occurrence of c: before and after (null if absent). */
static bool split_at(struct span s, char c, struct span *before,
		     struct span *after)
{
	const char *at = s.len ? memchr(s.p, c, s.len) : NULL;

	if (at == NULL) {
		*before = s;
		*after = SPAN_NULL;
		return false;
	}
	*before = span_make(s.p, (size_t)(at - s.p));
	*after = span_make(at + 1, s.len - (size_t)(at - s.p) - 1);
	return true;
}

static void span_print(char *buf, size_t size, struct span s)
{
	size_t n = s.len < size - 1 ? s.len : size - 1, i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s.p[i];

		buf[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	buf[n] = '\0';
}

/* A short printable copy of a word for reasons. */
struct shown {
	char text[40];
};

static struct shown show(struct span s)
{
	struct shown out;

	span_print(out.text, sizeof(out.text), s);
	return out;
}

/* ---- typed attribute parsers ------------------------------------------ */

static const char *const candidate_types[] = {"host", "srflx", "prflx",
					      "relay"};
static const char *const tcptypes[] = {NULL, "active", "passive", "so"};

const char *sdp_candidate_type_name(enum sdp_candidate_type type)
{
	return (unsigned)type < 4 ? candidate_types[type] : "?";
}

static int candidate_parse(struct span value, struct sdp_candidate *c,
			   struct why *w)
{
	struct span rest = value, word, name, val;
	unsigned long long n;
	bool seen_rport = false;
	size_t i;

	memset(c, 0, sizeof(*c));
	if (value.len >= 10 && memcmp(value.p, "candidate:", 10) == 0)
		rest = span_make(value.p + 10, value.len - 10);
	if (!next_word(&rest, &c->foundation) || c->foundation.len > 32 ||
	    !all_of(c->foundation, is_ice_char))
		return fail(w, EBADMSG, "candidate: bad foundation");
	if (!next_word(&rest, &word) || !number(word, 256, &n) || n == 0)
		return fail(w, EBADMSG, "candidate: bad component id");
	c->component = (unsigned)n;
	if (!next_word(&rest, &c->transport) || !is_token(c->transport))
		return fail(w, EBADMSG, "candidate: bad transport");
	if (!next_word(&rest, &word) || !number(word, UINT32_MAX, &n))
		return fail(w, EBADMSG, "candidate: bad priority");
	c->priority = (uint32_t)n;
	if (!next_word(&rest, &c->address))
		return fail(w, EBADMSG, "candidate: no address");
	if (!next_word(&rest, &word) || !number(word, 65535, &n))
		return fail(w, EBADMSG, "candidate: bad port");
	c->port = (unsigned)n;
	if (!next_word(&rest, &word) || !span_eq(word, "typ"))
		return fail(w, EBADMSG, "candidate: no \"typ\"");
	if (!next_word(&rest, &word))
		return fail(w, EBADMSG, "candidate: no type");
	for (i = 0; i < 4 && !span_eq(word, candidate_types[i]); i++)
		;
	if (i == 4)
		return fail(w, EBADMSG, "candidate: unknown type \"%s\"",
			    show(word).text);
	c->type = (enum sdp_candidate_type)i;
	while (next_word(&rest, &name)) {
		if (!next_word(&rest, &val))
			return fail(w, EBADMSG,
				    "candidate: \"%s\" without a value",
				    show(name).text);
		if (!is_token(name))
			return fail(w, EBADMSG, "candidate: bad extension name");
		if (span_eq(name, "raddr") && !span_is_set(c->raddr)) {
			c->raddr = val;
		} else if (span_eq(name, "rport") && !seen_rport) {
			if (!number(val, 65535, &n))
				return fail(w, EBADMSG, "candidate: bad rport");
			c->rport = (unsigned)n;
			seen_rport = true;
		} else if (span_eq(name, "tcptype") &&
			   c->tcptype == SDP_TCPTYPE_NONE) {
			for (i = 1; i < 4 && !span_eq(val, tcptypes[i]); i++)
				;
			if (i == 4)
				return fail(w, EBADMSG,
					    "candidate: unknown tcptype");
			c->tcptype = (enum sdp_tcptype)i;
		} else if (span_eq(name, "generation") && !c->has_generation) {
			if (!number(val, UINT32_MAX, &n))
				return fail(w, EBADMSG,
					    "candidate: bad generation");
			c->has_generation = true;
			c->generation = (unsigned long)n;
		} else {
			if (c->ext_count == SDP_MAX_CANDIDATE_EXT)
				return fail(w, E2BIG,
					    "candidate: more than %d extensions",
					    SDP_MAX_CANDIDATE_EXT);
			c->ext[c->ext_count].name = name;
			c->ext[c->ext_count++].value = val;
		}
	}
	if (span_is_set(c->raddr) != seen_rport)
		return fail(w, EBADMSG, "candidate: raddr and rport go together");
	return 0;
}

int sdp_candidate_parse(struct span value, struct sdp_candidate *cand,
			char *reason, size_t reason_size)
{
	struct why w = {reason, reason_size};

	why_clear(&w);
	if (cand == NULL || value.p == NULL)
		return fail(&w, EINVAL, "no candidate");
	return candidate_parse(value, cand, &w);
}

static int put(char *buf, size_t size, size_t *len, const char *fmt, ...)
	SDP_PRINTF(4, 5);

/* Append to buf at *len, counting what would not fit. */
static int put(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*len < size ? buf + *len : NULL,
		      *len < size ? size - *len : 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return EINVAL;
	*len += (size_t)n;
	return 0;
}

#define SPANF(s) (int)(s).len, (s).p

int sdp_candidate_format(const struct sdp_candidate *c, char *buf,
			 size_t size, size_t *lenp)
{
	size_t len = 0, i;

	if (c == NULL || (buf == NULL && size > 0))
		return EINVAL;
	put(buf, size, &len, "%.*s %u %.*s %lu %.*s %u typ %s",
	    SPANF(c->foundation), c->component, SPANF(c->transport),
	    (unsigned long)c->priority, SPANF(c->address), c->port,
	    sdp_candidate_type_name(c->type));
	if (span_is_set(c->raddr))
		put(buf, size, &len, " raddr %.*s rport %u", SPANF(c->raddr),
		    c->rport);
	if (c->tcptype != SDP_TCPTYPE_NONE && (unsigned)c->tcptype < 4)
		put(buf, size, &len, " tcptype %s", tcptypes[c->tcptype]);
	if (c->has_generation)
		put(buf, size, &len, " generation %lu", c->generation);
	for (i = 0; i < c->ext_count && i < SDP_MAX_CANDIDATE_EXT; i++)
		put(buf, size, &len, " %.*s %.*s", SPANF(c->ext[i].name),
		    SPANF(c->ext[i].value));
	if (lenp != NULL)
		*lenp = len;
	if (size > 0 && len >= size)
		buf[size - 1] = '\0';
	return len < size ? 0 : ENOSPC;
}

static const struct {
	const char *name;
	size_t len;
} hashes[] = {
	{"md5", 16},     {"sha-1", 20},   {"sha-224", 28},
	{"sha-256", 32}, {"sha-384", 48}, {"sha-512", 64},
};

static int hex_value(unsigned char c)
{
	static const char digits[] = "0123456789abcdef";
	const char *at;

	if (!is_digit(c) && !is_alpha(c))
		return -1;
	at = strchr(digits, c | 0x20); /* 'A' -> 'a'; digits keep 0x20 */
	return at ? (int)(at - digits) : -1;
}

static int fingerprint_parse(struct span value, struct sdp_fingerprint *fp,
			     struct why *w)
{
	struct span rest = value, hex;
	size_t i;

	memset(fp, 0, sizeof(*fp));
	if (!next_word(&rest, &fp->algorithm) || !is_token(fp->algorithm))
		return fail(w, EBADMSG, "fingerprint: no hash function");
	if (!next_word(&rest, &hex) || span_is_set(rest_of(rest)))
		return fail(w, EBADMSG,
			    "fingerprint: not \"hash-func HEX:HEX:...\"");
	for (i = 0; i < hex.len; i += 3) {
		int hi, lo;

		if (i + 2 > hex.len ||
		    (hi = hex_value((unsigned char)hex.p[i])) < 0 ||
		    (lo = hex_value((unsigned char)hex.p[i + 1])) < 0)
			return fail(w, EBADMSG,
				    "fingerprint: not a pair of hex digits at "
				    "byte %zu", i / 3 + 1);
		if (i + 2 < hex.len && hex.p[i + 2] != ':')
			return fail(w, EBADMSG,
				    "fingerprint: ':' expected after byte %zu",
				    i / 3 + 1);
		if (i + 3 == hex.len)
			return fail(w, EBADMSG, "fingerprint: ends with ':'");
		if (fp->len == SDP_MAX_FINGERPRINT)
			return fail(w, E2BIG, "fingerprint: over %d bytes",
				    SDP_MAX_FINGERPRINT);
		fp->bytes[fp->len++] = (uint8_t)(hi << 4 | lo);
	}
	for (i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		if (span_eq_nocase(fp->algorithm, hashes[i].name) &&
		    fp->len != hashes[i].len)
			return fail(w, EBADMSG,
				    "fingerprint: %s needs %zu bytes, not %zu",
				    hashes[i].name, hashes[i].len, fp->len);
	return 0;
}

int sdp_fingerprint_parse(struct span value, struct sdp_fingerprint *fp,
			  char *reason, size_t reason_size)
{
	struct why w = {reason, reason_size};

	why_clear(&w);
	if (fp == NULL || value.p == NULL)
		return fail(&w, EINVAL, "no fingerprint");
	return fingerprint_parse(value, fp, &w);
}

int sdp_rtpmap_parse(struct span value, struct sdp_rtpmap *map)
{
	struct span rest = value, word, enc, clock, channels;
	unsigned long long n;

	memset(map, 0, sizeof(*map));
	if (!next_word(&rest, &word) || !number(word, 127, &n))
		return EBADMSG;
	map->pt = (unsigned)n;
	if (!next_word(&rest, &word) || span_is_set(rest_of(rest)))
		return EBADMSG;
	split_at(word, '/', &enc, &clock);
	if (!is_token(enc) || !span_is_set(clock))
		return EBADMSG;
	map->encoding = enc;
	split_at(clock, '/', &clock, &channels);
	if (!number(clock, UINT32_MAX, &n) || n == 0)
		return EBADMSG;
	map->clock_rate = (unsigned)n;
	if (span_is_set(channels)) {
		if (!number(channels, 255, &n) || n == 0)
			return EBADMSG;
		map->channels = (unsigned)n;
	}
	return 0;
}

static int ssrc_parse(struct span value, struct sdp_ssrc *s)
{
	struct span rest = value, word;
	unsigned long long n;

	memset(s, 0, sizeof(*s));
	if (!next_word(&rest, &word) || !number(word, UINT32_MAX, &n))
		return EBADMSG;
	s->ssrc = (uint32_t)n;
	rest = rest_of(rest);
	if (!span_is_set(rest))
		return EBADMSG;
	split_at(rest, ':', &s->attribute, &s->value);
	return is_token(s->attribute) ? 0 : EBADMSG;
}

static int ssrc_group_parse(struct span value, struct sdp_ssrc_group *g,
			    struct why *w)
{
	struct span rest = value, word;
	unsigned long long n;

	memset(g, 0, sizeof(*g));
	if (!next_word(&rest, &g->semantics) || !is_token(g->semantics))
		return fail(w, EBADMSG, "ssrc-group: no semantics");
	while (next_word(&rest, &word)) {
		if (!number(word, UINT32_MAX, &n))
			return fail(w, EBADMSG, "ssrc-group: bad SSRC");
		if (g->count == SDP_MAX_SSRC_GROUP)
			return fail(w, E2BIG, "ssrc-group: over %d SSRCs",
				    SDP_MAX_SSRC_GROUP);
		g->ssrcs[g->count++] = (uint32_t)n;
	}
	return g->count ? 0 : fail(w, EBADMSG, "ssrc-group: no SSRC");
}

static int msid_parse(struct span value, struct sdp_msid *m)
{
	struct span rest = value;

	memset(m, 0, sizeof(*m));
	if (!next_word(&rest, &m->stream))
		return EBADMSG;
	if (next_word(&rest, &m->track) && span_is_set(rest_of(rest)))
		return EBADMSG;
	return 0;
}

static const char *const directions[] = {"sendrecv", "sendonly", "recvonly",
					 "inactive"};

const char *sdp_direction_name(enum sdp_direction dir)
{
	return (unsigned)dir < 4 ? directions[dir] : "?";
}

static int direction_of(struct span name)
{
	int i;

	for (i = 0; i < 4; i++)
		if (span_eq(name, directions[i]))
			return i;
	return -1;
}

static int extmap_parse(struct span value, struct sdp_extmap *e)
{
	struct span rest = value, word, id, dir;
	unsigned long long n;

	memset(e, 0, sizeof(*e));
	if (!next_word(&rest, &word))
		return EBADMSG;
	split_at(word, '/', &id, &dir);
	if (!number(id, 4095, &n) || n == 0)
		return EBADMSG;
	e->id = (unsigned)n;
	if (span_is_set(dir)) {
		if (direction_of(dir) < 0)
			return EBADMSG;
		e->direction = dir;
	}
	if (!next_word(&rest, &e->uri))
		return EBADMSG;
	e->attributes = rest_of(rest);
	return 0;
}

static const char *const setups[] = {NULL, "active", "passive", "actpass",
				     "holdconn"};

static enum sdp_setup setup_of(struct span value)
{
	int i;

	for (i = 1; i < 5; i++)
		if (span_eq_nocase(value, setups[i]))
			return (enum sdp_setup)i;
	return SDP_SETUP_NONE;
}

/* ---- line checks -------------------------------------------------------- */

static const char *const flags[] = {
	"rtcp-mux", "rtcp-mux-only", "rtcp-rsize", "end-of-candidates",
	"sendrecv", "sendonly", "recvonly", "inactive", "extmap-allow-mixed",
	"ice-lite", NULL};

static bool is_flag(struct span name)
{
	size_t i;

	for (i = 0; flags[i] != NULL; i++)
		if (span_eq(name, flags[i]))
			return true;
	return false;
}

static int check_ice_text(struct span v, const char *what, size_t min,
			  struct why *w)
{
	if (v.len < min || v.len > 256 || !all_of(v, is_ice_char))
		return fail(w, EBADMSG, "%s: %zu..256 of ALPHA DIGIT + /",
			    what, min);
	return 0;
}

static int check_attr(struct span name, struct span value, struct why *w)
{
	struct span rest = value, word, word2;
	unsigned long long n;
	union {
		struct sdp_candidate c;
		struct sdp_fingerprint f;
		struct sdp_rtpmap r;
		struct sdp_ssrc s;
		struct sdp_ssrc_group g;
		struct sdp_msid m;
		struct sdp_extmap e;
	} u;

	if (!is_token(name))
		return fail(w, EBADMSG, "attribute name is not a token");
	if (is_flag(name)) {
		if (span_is_set(value))
			return fail(w, EBADMSG, "a=%s takes no value",
				    show(name).text);
		return 0;
	}
	if (!span_is_set(value)) {
		static const char *const valued[] = {
			"candidate", "fingerprint", "setup", "mid", "group",
			"ice-ufrag", "ice-pwd", "ice-options", "rtpmap", "fmtp",
			"rtcp-fb", "rtcp", "ssrc", "ssrc-group", "msid",
			"extmap", "ptime", "maxptime", NULL};
		size_t i;

		for (i = 0; valued[i] != NULL; i++)
			if (span_eq(name, valued[i]))
				return fail(w, EBADMSG, "a=%s needs a value",
					    valued[i]);
		return 0;
	}
	if (span_eq(name, "candidate"))
		return candidate_parse(value, &u.c, w);
	if (span_eq(name, "fingerprint"))
		return fingerprint_parse(value, &u.f, w);
	if (span_eq(name, "setup"))
		return setup_of(value) ? 0
				       : fail(w, EBADMSG, "setup: unknown role");
	if (span_eq(name, "mid"))
		return is_token(value) ? 0
				       : fail(w, EBADMSG, "mid: not a token");
	if (span_eq(name, "group")) {
		if (!next_word(&rest, &word) || !is_token(word))
			return fail(w, EBADMSG, "group: no semantics");
		while (next_word(&rest, &word))
			if (!is_token(word))
				return fail(w, EBADMSG,
					    "group: an id is not a token");
		return 0;
	}
	if (span_eq(name, "ice-ufrag"))
		return check_ice_text(value, "ice-ufrag", 4, w);
	if (span_eq(name, "ice-pwd"))
		return check_ice_text(value, "ice-pwd", 22, w);
	if (span_eq(name, "ice-options")) {
		if (!next_word(&rest, &word))
			return fail(w, EBADMSG, "ice-options: empty");
		do {
			if (!is_token(word))
				return fail(w, EBADMSG,
					    "ice-options: not a token");
		} while (next_word(&rest, &word));
		return 0;
	}
	if (span_eq(name, "rtpmap"))
		return sdp_rtpmap_parse(value, &u.r)
			       ? fail(w, EBADMSG,
				      "rtpmap: not \"PT name/rate[/channels]\"")
			       : 0;
	if (span_eq(name, "fmtp")) {
		if (!next_word(&rest, &word) || !is_token(word) ||
		    !span_is_set(rest_of(rest)))
			return fail(w, EBADMSG, "fmtp: not \"format params\"");
		return 0;
	}
	if (span_eq(name, "rtcp-fb")) {
		if (!next_word(&rest, &word) ||
		    (!span_eq(word, "*") && !number(word, 127, &n)) ||
		    !next_word(&rest, &word2) || !is_token(word2))
			return fail(w, EBADMSG, "rtcp-fb: not \"PT type\"");
		return 0;
	}
	if (span_eq(name, "rtcp")) {
		if (!next_word(&rest, &word) || !number(word, 65535, &n))
			return fail(w, EBADMSG, "rtcp: bad port");
		if (span_is_set(rest_of(rest)) &&
		    (!next_word(&rest, &word) || !next_word(&rest, &word) ||
		     !next_word(&rest, &word) || span_is_set(rest_of(rest))))
			return fail(w, EBADMSG,
				    "rtcp: not \"port nettype addrtype "
				    "address\"");
		return 0;
	}
	if (span_eq(name, "ssrc"))
		return ssrc_parse(value, &u.s)
			       ? fail(w, EBADMSG, "ssrc: not \"SSRC attribute\"")
			       : 0;
	if (span_eq(name, "ssrc-group"))
		return ssrc_group_parse(value, &u.g, w);
	if (span_eq(name, "msid"))
		return msid_parse(value, &u.m)
			       ? fail(w, EBADMSG, "msid: not \"id [appdata]\"")
			       : 0;
	if (span_eq(name, "extmap"))
		return extmap_parse(value, &u.e)
			       ? fail(w, EBADMSG,
				      "extmap: not \"ID[/direction] URI\"")
			       : 0;
	if (span_eq(name, "ptime") || span_eq(name, "maxptime")) {
		struct span whole, frac;

		split_at(value, '.', &whole, &frac);
		if (!number(whole, UINT32_MAX, &n) ||
		    (span_is_set(frac) && !number(frac, UINT32_MAX, &n)))
			return fail(w, EBADMSG, "a=%s: not a number",
				    show(name).text);
	}
	return 0;
}

/* Session-level order letters (RFC 8866 §5) and which may repeat. */
static bool letter_known(char type, bool media)
{
	if (media)
		return strchr("micbka", type) != NULL;
	return strchr("vosiuepcbtrzkam", type) != NULL;
}

static int check_words(struct span text, size_t min, size_t max)
{
	struct span rest = text, word;
	size_t n = 0;

	while (next_word(&rest, &word))
		n++;
	return n >= min && n <= max ? 0 : EBADMSG;
}

static int connection_parse(struct span text, struct sdp_connection *c)
{
	struct span rest = text, addr, ttl, count;
	unsigned long long n;

	memset(c, 0, sizeof(*c));
	if (!next_word(&rest, &c->nettype) || !next_word(&rest, &c->addrtype) ||
	    !next_word(&rest, &addr) || span_is_set(rest_of(rest)) ||
	    !is_token(c->nettype) || !is_token(c->addrtype))
		return EBADMSG;
	split_at(addr, '/', &c->address, &ttl);
	if (c->address.len == 0)
		return EBADMSG;
	if (span_is_set(ttl)) {
		split_at(ttl, '/', &ttl, &count);
		if (!number(ttl, 255, &n))
			return EBADMSG;
		c->ttl = (unsigned)n;
		if (span_is_set(count)) {
			if (!number(count, 65535, &n) || n == 0)
				return EBADMSG;
			c->count = (unsigned)n;
		}
	}
	return 0;
}

/* proto = token *("/" token) */
static bool is_proto(struct span s)
{
	struct span rest = s, part;

	while (split_at(rest, '/', &part, &rest))
		if (!is_token(part))
			return false;
	return is_token(part);
}

static int media_parse(struct span text, struct sdp_media *m)
{
	struct span rest = text, word, port, count;
	unsigned long long n;

	memset(m, 0, sizeof(*m));
	if (!next_word(&rest, &m->media) || !is_token(m->media) ||
	    !next_word(&rest, &word))
		return EBADMSG;
	split_at(word, '/', &port, &count);
	if (!number(port, 65535, &n))
		return EBADMSG;
	m->port = (unsigned)n;
	if (span_is_set(count)) {
		if (!number(count, 65535, &n) || n == 0)
			return EBADMSG;
		m->port_count = (unsigned)n;
	}
	if (!next_word(&rest, &m->proto) || !is_proto(m->proto))
		return EBADMSG;
	m->formats = rest_of(rest);
	while (next_word(&rest, &word)) {
		if (!is_token(word))
			return EBADMSG;
		m->format_count++;
	}
	return m->format_count ? 0 : EBADMSG;
}

static int check_line(char type, struct span text, struct why *w)
{
	struct span rest, word;
	unsigned long long n;
	union {
		struct sdp_connection c;
		struct sdp_media m;
	} u;

	switch (type) {
	case 'v':
		return span_eq(text, "0") ? 0
					 : fail(w, EBADMSG, "version is not 0");
	case 'o':
		if (check_words(text, 6, 6))
			return fail(w, EBADMSG, "origin needs 6 fields");
		rest = text;
		next_word(&rest, &word);
		next_word(&rest, &word);
		if (word.len == 0 || !all_of(word, is_digit))
			return fail(w, EBADMSG, "origin: session id not digits");
		next_word(&rest, &word);
		if (word.len == 0 || !all_of(word, is_digit))
			return fail(w, EBADMSG,
				    "origin: session version not digits");
		return 0;
	case 'c':
		return connection_parse(text, &u.c)
			       ? fail(w, EBADMSG,
				      "connection: not \"nettype addrtype "
				      "address\"")
			       : 0;
	case 'b':
		split_at(text, ':', &word, &rest);
		if (!is_token(word) || !number(rest, ~0ULL, &n))
			return fail(w, EBADMSG, "bandwidth: not \"type:number\"");
		return 0;
	case 't':
		rest = text;
		if (check_words(text, 2, 2) || !next_word(&rest, &word) ||
		    !number(word, ~0ULL, &n) || !next_word(&rest, &word) ||
		    !number(word, ~0ULL, &n))
			return fail(w, EBADMSG, "timing: not \"start stop\"");
		return 0;
	case 'm':
		return media_parse(text, &u.m)
			       ? fail(w, EBADMSG,
				      "media: not \"media port proto fmt...\"")
			       : 0;
	default:
		if (text.len == 0 && type != 'a')
			return fail(w, EBADMSG, "%c= is empty", type);
		return 0;
	}
}

/* ---- the message -------------------------------------------------------- */

static struct section *section_of(const struct sdp *sdp, size_t section)
{
	size_t i = section + 1; /* SDP_SESSION wraps to 0 */

	if (sdp == NULL || i >= sdp->section_count)
		return NULL;
	return &sdp->sections[i];
}

static void line_split(struct line *l)
{
	l->name = l->value = SPAN_NULL;
	if (l->type == 'a')
		split_at(l->text, ':', &l->name, &l->value);
}

static int line_insert(struct section *s, size_t at, struct line l)
{
	if (s->count == SDP_MAX_LINES)
		return E2BIG;
	if (s->count == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct line *n = realloc(s->lines, cap * sizeof(*n));

		if (n == NULL)
			return ENOMEM;
		s->lines = n;
		s->cap = cap;
	}
	memmove(&s->lines[at + 1], &s->lines[at],
		(s->count - at) * sizeof(s->lines[0]));
	s->lines[at] = l;
	s->count++;
	return 0;
}

void sdp_free(struct sdp *sdp)
{
	size_t i;

	if (sdp == NULL)
		return;
	for (i = 0; i < sdp->section_count; i++)
		free(sdp->sections[i].lines);
	while (sdp->owned != NULL) {
		struct owned *next = sdp->owned->next;

		free(sdp->owned);
		sdp->owned = next;
	}
	free(sdp->sections);
	free(sdp->copy);
	free(sdp);
}

static int add_section(struct sdp *sdp)
{
	struct section *n = realloc(sdp->sections, (sdp->section_count + 1) *
							   sizeof(*n));

	if (n == NULL)
		return ENOMEM;
	sdp->sections = n;
	memset(&n[sdp->section_count++], 0, sizeof(*n));
	return 0;
}

static int count_attr(const struct section *s, const char *name)
{
	size_t i;
	int n = 0;

	for (i = 0; i < s->count; i++)
		if (s->lines[i].type == 'a' && span_eq(s->lines[i].name, name))
			n++;
	return n;
}

/* What may appear once per section. */
static int check_section(const struct sdp *sdp, size_t index, struct why *w)
{
	static const char *const once[] = {"mid", "setup", "ice-ufrag",
					   "ice-pwd", NULL};
	const struct section *s = &sdp->sections[index];
	char where[32];
	size_t i, j;
	int dirs = 0, letters[3] = {0, 0, 0};

	if (index == 0)
		snprintf(where, sizeof(where), "session level");
	else
		snprintf(where, sizeof(where), "media %zu", index - 1);
	for (i = 0; once[i] != NULL; i++)
		if (count_attr(s, once[i]) > 1)
			return fail(w, EBADMSG, "%s: a=%s twice", where, once[i]);
	for (i = 0; i < s->count; i++) {
		const struct line *l = &s->lines[i];
		const char *at = strchr("ick", l->type);

		if (l->type == 'a' && direction_of(l->name) >= 0)
			dirs++;
		if (at != NULL && ++letters[at - "ick"] > 1)
			return fail(w, EBADMSG, "%s: %c= twice", where, l->type);
	}
	if (dirs > 1)
		return fail(w, EBADMSG, "%s: more than one direction attribute",
			    where);
	if (index == 0)
		return 0;
	/* mids are unique across the message (RFC 5888 §4). */
	for (i = 0; i < s->count; i++) {
		if (s->lines[i].type != 'a' || !span_eq(s->lines[i].name, "mid"))
			continue;
		for (j = 1; j < index; j++) {
			struct span other;

			if (sdp_attr_get(sdp, j - 1, "mid", 0, &other) == 0 &&
			    span_eq_span(other, s->lines[i].value))
				return fail(w, EBADMSG, "%s: mid \"%s\" used twice",
					    where, show(other).text);
		}
	}
	return 0;
}

int sdp_parse(struct sdp **sdpp, const char *p, size_t len, char *reason,
	      size_t reason_size)
{
	struct why w = {reason, reason_size};
	struct sdp *sdp = NULL;
	size_t pos = 0, number_of_line = 0, i;
	bool seen_t = false;
	char inner[160];
	struct why iw = {inner, sizeof(inner)};
	int err = 0;

	why_clear(&w);
	if (sdpp == NULL || (p == NULL && len > 0))
		return fail(&w, EINVAL, "no input");
	*sdpp = NULL;
	if (len == 0)
		return fail(&w, EBADMSG, "empty SDP");
	if (len > SDP_MAX_SIZE)
		return fail(&w, E2BIG, "SDP over %d bytes", SDP_MAX_SIZE);
	sdp = calloc(1, sizeof(*sdp));
	if (sdp == NULL || (sdp->copy = malloc(len)) == NULL ||
	    add_section(sdp) != 0) {
		err = fail(&w, ENOMEM, "out of memory");
		goto out;
	}
	memcpy(sdp->copy, p, len);
	while (pos < len) {
		const char *start = sdp->copy + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;
		struct line l;
		struct section *s;
		size_t k;

		pos += n + (nl != NULL);
		if (n > 0 && start[n - 1] == '\r')
			n--;
		number_of_line++;
		if (n == 0) {
			for (k = pos; k < len; k++)
				if (sdp->copy[k] != '\r' && sdp->copy[k] != '\n')
					break;
			if (k == len && number_of_line > 1)
				break;
			err = fail(&w, EBADMSG, "line %zu: empty line",
				   number_of_line);
			goto out;
		}
		if (n > SDP_MAX_LINE) {
			err = fail(&w, E2BIG, "line %zu: over %d bytes",
				   number_of_line, SDP_MAX_LINE);
			goto out;
		}
		for (k = 0; k < n; k++)
			if (start[k] == '\0' || start[k] == '\r')
				break;
		if (k < n) {
			err = fail(&w, EBADMSG, "line %zu: %s inside a line",
				   number_of_line, start[k] ? "CR" : "NUL");
			goto out;
		}
		if (n < 2 || start[1] != '=' || !is_alpha((unsigned char)start[0])) {
			err = fail(&w, EBADMSG, "line %zu: not \"x=value\"",
				   number_of_line);
			goto out;
		}
		l.type = start[0];
		l.text = span_make(start + 2, n - 2);
		line_split(&l);
		if (number_of_line <= 3 && l.type != "vos"[number_of_line - 1]) {
			err = fail(&w, EBADMSG, "line %zu: %c= expected",
				   number_of_line, "vos"[number_of_line - 1]);
			goto out;
		}
		if (number_of_line > 3 && strchr("vos", l.type) != NULL) {
			err = fail(&w, EBADMSG, "line %zu: a second %c=",
				   number_of_line, l.type);
			goto out;
		}
		if (!letter_known(l.type, sdp->section_count > 1)) {
			err = fail(&w, EBADMSG,
				   "line %zu: %c= not allowed %s",
				   number_of_line, l.type,
				   sdp->section_count > 1 ? "in a media section"
							  : "here");
			goto out;
		}
		if (l.type == 't')
			seen_t = true;
		if (l.type == 'm') {
			if (!seen_t) {
				err = fail(&w, EBADMSG, "line %zu: m= before t=",
					   number_of_line);
				goto out;
			}
			if (sdp->section_count > SDP_MAX_MEDIA) {
				err = fail(&w, E2BIG, "line %zu: over %d m-lines",
					   number_of_line, SDP_MAX_MEDIA);
				goto out;
			}
			if (add_section(sdp) != 0) {
				err = fail(&w, ENOMEM, "out of memory");
				goto out;
			}
		}
		inner[0] = '\0';
		err = l.type == 'a' ? check_attr(l.name, l.value, &iw)
				    : check_line(l.type, l.text, &iw);
		if (err) {
			fail(&w, err, "line %zu: %s", number_of_line, inner);
			goto out;
		}
		s = &sdp->sections[sdp->section_count - 1];
		err = line_insert(s, s->count, l);
		if (err) {
			fail(&w, err, err == E2BIG ? "line %zu: over %d lines in "
						     "a section"
						   : "line %zu: out of memory",
			     number_of_line, SDP_MAX_LINES);
			goto out;
		}
	}
	if (number_of_line < 3 || !seen_t) {
		err = fail(&w, EBADMSG, "%s missing",
			   number_of_line < 1 ? "v=" : number_of_line < 2 ? "o="
					     : number_of_line < 3        ? "s="
									 : "t=");
		goto out;
	}
	for (i = 0; i < sdp->section_count; i++) {
		err = check_section(sdp, i, &w);
		if (err)
			goto out;
	}
out:
	if (err) {
		sdp_free(sdp);
		return err;
	}
	*sdpp = sdp;
	return 0;
}

int sdp_generate(const struct sdp *sdp, char *buf, size_t size, size_t *lenp)
{
	size_t len = 0, i, j;

	if (sdp == NULL || (buf == NULL && size > 0))
		return EINVAL;
	for (i = 0; i < sdp->section_count; i++) {
		const struct section *s = &sdp->sections[i];

		for (j = 0; j < s->count; j++)
			put(buf, size, &len, "%c=%.*s\r\n", s->lines[j].type,
			    SPANF(s->lines[j].text));
	}
	if (lenp != NULL)
		*lenp = len;
	if (size > 0 && len >= size)
		buf[size - 1] = '\0';
	if (size > 0 && len < size)
		buf[len] = '\0';
	return len < size ? 0 : ENOSPC;
}

int sdp_generate_alloc(const struct sdp *sdp, char **outp, size_t *lenp)
{
	size_t len = 0;
	char *buf;
	int err;

	if (outp == NULL)
		return EINVAL;
	*outp = NULL;
	err = sdp_generate(sdp, NULL, 0, &len);
	if (err != ENOSPC && err != 0)
		return err;
	buf = malloc(len + 1);
	if (buf == NULL)
		return ENOMEM;
	err = sdp_generate(sdp, buf, len + 1, lenp);
	if (err) {
		free(buf);
		return err;
	}
	*outp = buf;
	return 0;
}

/* ---- access ------------------------------------------------------------- */

size_t sdp_media_count(const struct sdp *sdp)
{
	return sdp != NULL && sdp->section_count ? sdp->section_count - 1 : 0;
}

size_t sdp_line_count(const struct sdp *sdp, size_t section)
{
	const struct section *s = section_of(sdp, section);

	return s ? s->count : 0;
}

int sdp_line_at(const struct sdp *sdp, size_t section, size_t index,
		struct sdp_line *line)
{
	const struct section *s = section_of(sdp, section);

	if (s == NULL || line == NULL)
		return EINVAL;
	if (index >= s->count)
		return ENOENT;
	line->type = s->lines[index].type;
	line->text = s->lines[index].text;
	line->name = s->lines[index].name;
	line->value = s->lines[index].value;
	return 0;
}

int sdp_line_get(const struct sdp *sdp, size_t section, char type, size_t nth,
		 struct span *text)
{
	const struct section *s = section_of(sdp, section);
	size_t i;

	if (s == NULL || text == NULL)
		return EINVAL;
	for (i = 0; i < s->count; i++)
		if (s->lines[i].type == type && nth-- == 0) {
			*text = s->lines[i].text;
			return 0;
		}
	return ENOENT;
}

/* Index of the nth a=NAME line of a section, or -1. */
static long attr_index(const struct section *s, const char *name, size_t nth)
{
	size_t i;

	for (i = 0; s != NULL && i < s->count; i++)
		if (s->lines[i].type == 'a' && span_eq(s->lines[i].name, name) &&
		    nth-- == 0)
			return (long)i;
	return -1;
}

int sdp_attr_get(const struct sdp *sdp, size_t section, const char *name,
		 size_t nth, struct span *value)
{
	const struct section *s = section_of(sdp, section);
	long i;

	if (s == NULL || name == NULL || value == NULL)
		return EINVAL;
	i = attr_index(s, name, nth);
	if (i < 0)
		return ENOENT;
	*value = s->lines[i].value;
	return 0;
}

bool sdp_attr_has(const struct sdp *sdp, size_t section, const char *name)
{
	return name != NULL && attr_index(section_of(sdp, section), name, 0) >= 0;
}

/* The value of the nth a=NAME for a typed getter writing into out. */
static int attr_for(const struct sdp *sdp, size_t section, const char *name,
		    size_t nth, const void *out, struct span *value)
{
	return out == NULL ? EINVAL : sdp_attr_get(sdp, section, name, nth, value);
}

int sdp_attr_inherited(const struct sdp *sdp, size_t media, const char *name,
		       struct span *value)
{
	int err;

	if (media == SDP_SESSION || section_of(sdp, media) == NULL)
		return EINVAL;
	err = sdp_attr_get(sdp, media, name, 0, value);
	if (err == ENOENT)
		err = sdp_attr_get(sdp, SDP_SESSION, name, 0, value);
	return err;
}

int sdp_origin_get(const struct sdp *sdp, struct sdp_origin *o)
{
	struct span text, rest;

	if (o == NULL || sdp_line_get(sdp, SDP_SESSION, 'o', 0, &text) != 0)
		return EINVAL;
	rest = text;
	next_word(&rest, &o->username);
	next_word(&rest, &o->session_id);
	next_word(&rest, &o->session_version);
	next_word(&rest, &o->nettype);
	next_word(&rest, &o->addrtype);
	next_word(&rest, &o->address);
	return 0;
}

struct span sdp_session_name(const struct sdp *sdp)
{
	struct span text = SPAN_NULL;

	sdp_line_get(sdp, SDP_SESSION, 's', 0, &text);
	return text;
}

int sdp_connection_get(const struct sdp *sdp, size_t section,
		       struct sdp_connection *conn)
{
	struct span text;
	int err = sdp_line_get(sdp, section, 'c', 0, &text);

	if (err)
		return err;
	return connection_parse(text, conn);
}

int sdp_connection_effective(const struct sdp *sdp, size_t media,
			     struct sdp_connection *conn)
{
	int err;

	if (media == SDP_SESSION)
		return EINVAL;
	err = sdp_connection_get(sdp, media, conn);
	if (err == ENOENT)
		err = sdp_connection_get(sdp, SDP_SESSION, conn);
	return err;
}

int sdp_bandwidth_get(const struct sdp *sdp, size_t section, size_t nth,
		      struct sdp_bandwidth *bw)
{
	struct span text, rest;
	unsigned long long n = 0;
	int err = sdp_line_get(sdp, section, 'b', nth, &text);

	if (err || bw == NULL)
		return err ? err : EINVAL;
	split_at(text, ':', &bw->type, &rest);
	number(rest, ~0ULL, &n);
	bw->value = n;
	return 0;
}

int sdp_timing_get(const struct sdp *sdp, size_t nth, struct sdp_timing *t)
{
	struct span text, word;
	unsigned long long n = 0;
	int err = sdp_line_get(sdp, SDP_SESSION, 't', nth, &text);

	if (err || t == NULL)
		return err ? err : EINVAL;
	next_word(&text, &word);
	number(word, ~0ULL, &n);
	t->start = n;
	next_word(&text, &word);
	number(word, ~0ULL, &n);
	t->stop = n;
	return 0;
}

int sdp_media_get(const struct sdp *sdp, size_t media, struct sdp_media *m)
{
	struct span text;
	int err;

	if (media == SDP_SESSION || m == NULL)
		return EINVAL;
	err = sdp_line_get(sdp, media, 'm', 0, &text);
	if (err)
		return err == ENOENT ? EINVAL : err;
	return media_parse(text, m);
}

bool sdp_media_rejected(const struct sdp *sdp, size_t media)
{
	struct sdp_media m;

	return sdp_media_get(sdp, media, &m) == 0 && m.port == 0;
}

int sdp_media_payload_at(const struct sdp *sdp, size_t media, size_t index,
			 unsigned *pt)
{
	struct sdp_media m;
	struct span rest, word;
	unsigned long long n;
	int err = sdp_media_get(sdp, media, &m);

	if (err || pt == NULL)
		return err ? err : EINVAL;
	rest = m.formats;
	while (next_word(&rest, &word))
		if (index-- == 0) {
			if (!number(word, 127, &n))
				return ERANGE;
			*pt = (unsigned)n;
			return 0;
		}
	return ENOENT;
}

/* The a=NAME value of a section whose first word is payload type pt
 * (skipping nth matches); *after gets the text after that word. */
static int by_pt(const struct sdp *sdp, size_t media, const char *name,
		 unsigned pt, bool star, size_t nth, struct span *value,
		 struct span *after)
{
	const struct section *s = section_of(sdp, media);
	size_t i;

	if (s == NULL || media == SDP_SESSION)
		return EINVAL;
	for (i = 0; i < s->count; i++) {
		struct span rest = s->lines[i].value, word;
		unsigned long long n;

		if (s->lines[i].type != 'a' || !span_eq(s->lines[i].name, name) ||
		    !next_word(&rest, &word))
			continue;
		if (!(star && span_eq(word, "*")) &&
		    !(number(word, 127, &n) && n == pt))
			continue;
		if (nth-- > 0)
			continue;
		if (value != NULL)
			*value = s->lines[i].value;
		if (after != NULL)
			*after = rest_of(rest);
		return 0;
	}
	return ENOENT;
}

int sdp_rtpmap_get(const struct sdp *sdp, size_t media, unsigned pt,
		   struct sdp_rtpmap *map)
{
	struct span value;
	int err = by_pt(sdp, media, "rtpmap", pt, false, 0, &value, NULL);

	if (err || map == NULL)
		return err ? err : EINVAL;
	return sdp_rtpmap_parse(value, map);
}

int sdp_fmtp_get(const struct sdp *sdp, size_t media, unsigned pt,
		 struct span *params)
{
	return by_pt(sdp, media, "fmtp", pt, false, 0, NULL, params);
}

int sdp_fmtp_param(struct span params, const char *name, struct span *value)
{
	struct span rest = params, item, key, val;

	while (span_is_set(rest) && rest.len > 0) {
		split_at(rest, ';', &item, &rest);
		item = span_trim(item);
		split_at(item, '=', &key, &val);
		if (span_eq_nocase(span_trim(key), name)) {
			if (value != NULL)
				*value = span_is_set(val) ? span_trim(val)
							  : span_make(item.p, 0);
			return 0;
		}
	}
	return ENOENT;
}

int sdp_rtcp_fb_get(const struct sdp *sdp, size_t media, unsigned pt,
		    size_t nth, struct span *feedback)
{
	return by_pt(sdp, media, "rtcp-fb", pt, true, nth, NULL, feedback);
}

int sdp_codec_find(const struct sdp *sdp, size_t media, const char *encoding,
		   unsigned clock_rate, unsigned *pt)
{
	static const struct {
		unsigned pt;
		const char *name;
	} statics[] = {{0, "PCMU"}, {8, "PCMA"}, {9, "G722"}};
	size_t i, k;
	unsigned p;
	int err;

	if (encoding == NULL || pt == NULL)
		return EINVAL;
	for (i = 0; (err = sdp_media_payload_at(sdp, media, i, &p)) != ENOENT;
	     i++) {
		struct sdp_rtpmap map;

		if (err == ERANGE)
			continue;
		if (err)
			return err;
		if (sdp_rtpmap_get(sdp, media, p, &map) == 0) {
			if (span_eq_nocase(map.encoding, encoding) &&
			    (clock_rate == 0 || map.clock_rate == clock_rate)) {
				*pt = p;
				return 0;
			}
			continue;
		}
		for (k = 0; k < sizeof(statics) / sizeof(statics[0]); k++)
			if (statics[k].pt == p &&
			    span_eq_nocase(span_from_str(statics[k].name),
					   encoding) &&
			    (clock_rate == 0 || clock_rate == 8000)) {
				*pt = p;
				return 0;
			}
	}
	return ENOENT;
}

int sdp_candidate_get(const struct sdp *sdp, size_t section, size_t nth,
		      struct sdp_candidate *cand)
{
	struct span value;
	int err = attr_for(sdp, section, "candidate", nth, cand, &value);

	return err ? err : candidate_parse(value, cand, NULL);
}

void sdp_ice_get(const struct sdp *sdp, size_t media, struct sdp_ice *ice)
{
	memset(ice, 0, sizeof(*ice));
	sdp_attr_inherited(sdp, media, "ice-ufrag", &ice->ufrag);
	sdp_attr_inherited(sdp, media, "ice-pwd", &ice->pwd);
	sdp_attr_inherited(sdp, media, "ice-options", &ice->options);
}

int sdp_fingerprint_get(const struct sdp *sdp, size_t media, size_t nth,
			struct sdp_fingerprint *fp)
{
	struct span value;
	size_t section = media;
	int err;

	if (media == SDP_SESSION || fp == NULL)
		return EINVAL;
	if (!sdp_attr_has(sdp, media, "fingerprint"))
		section = SDP_SESSION;
	err = sdp_attr_get(sdp, section, "fingerprint", nth, &value);
	if (err)
		return err;
	return fingerprint_parse(value, fp, NULL);
}

enum sdp_setup sdp_setup_get(const struct sdp *sdp, size_t media)
{
	struct span value;

	if (sdp_attr_inherited(sdp, media, "setup", &value) != 0)
		return SDP_SETUP_NONE;
	return setup_of(value);
}

int sdp_mid_get(const struct sdp *sdp, size_t media, struct span *mid)
{
	if (media == SDP_SESSION)
		return EINVAL;
	return sdp_attr_get(sdp, media, "mid", 0, mid);
}

int sdp_group_id(const struct sdp *sdp, const char *semantics, size_t nth,
		 struct span *id)
{
	struct span value, rest, word;
	size_t g;

	if (semantics == NULL || id == NULL)
		return EINVAL;
	for (g = 0; sdp_attr_get(sdp, SDP_SESSION, "group", g, &value) == 0;
	     g++) {
		rest = value;
		if (!next_word(&rest, &word) || !span_eq(word, semantics))
			continue;
		while (next_word(&rest, &word))
			if (nth-- == 0) {
				*id = word;
				return 0;
			}
	}
	return ENOENT;
}

bool sdp_media_in_group(const struct sdp *sdp, size_t media,
			const char *semantics)
{
	struct span mid, id;
	size_t i;

	if (sdp_mid_get(sdp, media, &mid) != 0)
		return false;
	for (i = 0; sdp_group_id(sdp, semantics, i, &id) == 0; i++)
		if (span_eq_span(id, mid))
			return true;
	return false;
}

bool sdp_rtcp_mux(const struct sdp *sdp, size_t media)
{
	return sdp_attr_has(sdp, media, "rtcp-mux") ||
	       sdp_attr_has(sdp, SDP_SESSION, "rtcp-mux");
}

bool sdp_end_of_candidates(const struct sdp *sdp, size_t media)
{
	return sdp_attr_has(sdp, media, "end-of-candidates") ||
	       sdp_attr_has(sdp, SDP_SESSION, "end-of-candidates");
}

int sdp_ssrc_get(const struct sdp *sdp, size_t media, size_t nth,
		 struct sdp_ssrc *ssrc)
{
	struct span value;
	int err = attr_for(sdp, media, "ssrc", nth, ssrc, &value);

	return err ? err : ssrc_parse(value, ssrc);
}

int sdp_ssrc_group_get(const struct sdp *sdp, size_t media, size_t nth,
		       struct sdp_ssrc_group *group)
{
	struct span value;
	int err = attr_for(sdp, media, "ssrc-group", nth, group, &value);

	return err ? err : ssrc_group_parse(value, group, NULL);
}

int sdp_msid_get(const struct sdp *sdp, size_t media, size_t nth,
		 struct sdp_msid *msid)
{
	struct span value;
	int err = attr_for(sdp, media, "msid", nth, msid, &value);

	return err ? err : msid_parse(value, msid);
}

int sdp_extmap_get(const struct sdp *sdp, size_t media, size_t nth,
		   struct sdp_extmap *ext)
{
	struct span value;
	int err = attr_for(sdp, media, "extmap", nth, ext, &value);

	return err ? err : extmap_parse(value, ext);
}

/* Index of the section's direction attribute, or -1. */
static long direction_index(const struct section *s)
{
	size_t i;

	for (i = 0; s != NULL && i < s->count; i++)
		if (s->lines[i].type == 'a' && direction_of(s->lines[i].name) >= 0)
			return (long)i;
	return -1;
}

enum sdp_direction sdp_direction_get(const struct sdp *sdp, size_t media)
{
	const struct section *s = section_of(sdp, media);
	long i = direction_index(s);

	if (i < 0) {
		s = section_of(sdp, SDP_SESSION);
		i = direction_index(s);
	}
	return i < 0 ? SDP_SENDRECV
		     : (enum sdp_direction)direction_of(s->lines[i].name);
}

enum sdp_direction sdp_direction_reverse(enum sdp_direction dir)
{
	if (dir == SDP_SENDONLY)
		return SDP_RECVONLY;
	if (dir == SDP_RECVONLY)
		return SDP_SENDONLY;
	return dir;
}

/* ---- edits -------------------------------------------------------------- */

/* New text owned by the message, len bytes plus a NUL. */
static char *own_text(struct sdp *sdp, size_t len)
{
	struct owned *o = malloc(sizeof(*o) + len + 1);

	if (o == NULL)
		return NULL;
	o->next = sdp->owned;
	sdp->owned = o;
	return o->text;
}

/* A checked a= line over new owned text. */
static int make_attr(struct sdp *sdp, const char *name, const char *value,
		     struct line *l)
{
	size_t nlen = strlen(name), vlen = value ? strlen(value) : 0;
	size_t len = nlen + (value ? 1 + vlen : 0);
	struct span vspan;
	char *text;

	if (len > SDP_MAX_LINE - 2)
		return E2BIG;
	if (memchr(name, '\r', nlen) || memchr(name, '\n', nlen) ||
	    (value && (strchr(value, '\r') || strchr(value, '\n'))))
		return EINVAL;
	vspan = value ? span_make(value, vlen) : SPAN_NULL;
	if (check_attr(span_make(name, nlen), vspan, NULL) != 0)
		return EINVAL;
	text = own_text(sdp, len);
	if (text == NULL)
		return ENOMEM;
	snprintf(text, len + 1, "%s%s%s", name, value ? ":" : "",
		 value ? value : "");
	l->type = 'a';
	l->text = span_make(text, len);
	line_split(l);
	return 0;
}

static int insert_attr(struct sdp *sdp, size_t section, size_t at,
		       const char *name, const char *value)
{
	struct section *s = section_of(sdp, section);
	struct line l;
	int err;

	if (s == NULL || name == NULL)
		return EINVAL;
	if (s->count == SDP_MAX_LINES)
		return E2BIG;
	err = make_attr(sdp, name, value, &l);
	if (err)
		return err;
	return line_insert(s, at > s->count ? s->count : at, l);
}

int sdp_attr_add(struct sdp *sdp, size_t section, const char *name,
		 const char *value)
{
	return insert_attr(sdp, section, SIZE_MAX, name, value);
}

int sdp_attr_remove(struct sdp *sdp, size_t section, const char *name,
		    size_t *removed)
{
	struct section *s = section_of(sdp, section);
	size_t i = 0, n = 0;

	if (s == NULL || name == NULL)
		return EINVAL;
	while (i < s->count) {
		if (s->lines[i].type == 'a' && span_eq(s->lines[i].name, name)) {
			memmove(&s->lines[i], &s->lines[i + 1],
				(s->count - i - 1) * sizeof(s->lines[0]));
			s->count--;
			n++;
		} else {
			i++;
		}
	}
	if (removed != NULL)
		*removed = n;
	return 0;
}

int sdp_direction_set(struct sdp *sdp, size_t media, enum sdp_direction dir)
{
	struct section *s = section_of(sdp, media);
	struct line l;
	long i;
	int err;

	if (s == NULL || media == SDP_SESSION || (unsigned)dir > SDP_INACTIVE)
		return EINVAL;
	i = direction_index(s);
	if (i < 0)
		return sdp_attr_add(sdp, media, directions[dir], NULL);
	err = make_attr(sdp, directions[dir], NULL, &l);
	if (err == 0)
		s->lines[i] = l;
	return err;
}

int sdp_mid_add(struct sdp *sdp, size_t media, const char *mid)
{
	size_t i;

	if (media == SDP_SESSION || section_of(sdp, media) == NULL || mid == NULL)
		return EINVAL;
	if (sdp_attr_has(sdp, media, "mid"))
		return EEXIST;
	for (i = 0; i < sdp_media_count(sdp); i++) {
		struct span other;

		if (sdp_mid_get(sdp, i, &other) == 0 && span_eq(other, mid))
			return EINVAL;
	}
	return sdp_attr_add(sdp, media, "mid", mid);
}

int sdp_media_inherit(struct sdp *sdp, size_t media, size_t *copied)
{
	static const char *const inherited[] = {"ice-ufrag", "ice-pwd",
						"ice-options", "fingerprint",
						"setup", NULL};
	size_t i, nth, n = 0;
	int err = 0;

	if (media == SDP_SESSION || section_of(sdp, media) == NULL)
		return EINVAL;
	for (i = 0; inherited[i] != NULL && err == 0; i++) {
		struct span value;

		if (sdp_attr_has(sdp, media, inherited[i]))
			continue;
		for (nth = 0; err == 0 && sdp_attr_get(sdp, SDP_SESSION,
						       inherited[i], nth,
						       &value) == 0;
		     nth++) {
			char *text = span_dup(value);

			err = text ? sdp_attr_add(sdp, media, inherited[i], text)
				   : ENOMEM;
			free(text);
			if (err == 0)
				n++;
		}
	}
	if (copied != NULL)
		*copied = n;
	return err;
}

int sdp_opus_stereo_set(struct sdp *sdp, size_t media, bool stereo)
{
	struct section *s = section_of(sdp, media);
	size_t i;
	unsigned pt;
	int err;

	if (s == NULL || media == SDP_SESSION)
		return EINVAL;
	for (i = 0; (err = sdp_media_payload_at(sdp, media, i, &pt)) != ENOENT;
	     i++) {
		struct sdp_rtpmap map;
		struct span params, rest, item;
		char value[SDP_MAX_LINE];
		size_t len = 0;
		long at;

		if (err == ERANGE)
			continue;
		if (err)
			return err;
		if (sdp_rtpmap_get(sdp, media, pt, &map) != 0 ||
		    !span_eq_nocase(map.encoding, "opus"))
			continue;
		put(value, sizeof(value), &len, "%u ", pt);
		if (sdp_fmtp_get(sdp, media, pt, &params) == 0) {
			rest = params;
			while (rest.len > 0) {
				struct span key, val;

				split_at(rest, ';', &item, &rest);
				split_at(span_trim(item), '=', &key, &val);
				if (span_eq_nocase(span_trim(key), "sprop-stereo") ||
				    span_trim(item).len == 0)
					continue;
				put(value, sizeof(value), &len, "%.*s;",
				    SPANF(span_trim(item)));
				if (!span_is_set(rest))
					break;
			}
		}
		put(value, sizeof(value), &len, "sprop-stereo=%d", stereo);
		if (len >= sizeof(value))
			return E2BIG;
		for (at = 0; at < (long)s->count; at++) {
			struct span r = s->lines[at].value, word;
			unsigned long long n;

			if (s->lines[at].type == 'a' &&
			    span_eq(s->lines[at].name, "fmtp") &&
			    next_word(&r, &word) && number(word, 127, &n) &&
			    n == pt)
				break;
		}
		if (at < (long)s->count) {
			struct line l;

			err = make_attr(sdp, "fmtp", value, &l);
			if (err)
				return err;
			s->lines[at] = l;
		} else {
			/* Right after the rtpmap, where browsers put it. */
			for (at = 0; at < (long)s->count; at++) {
				struct span r = s->lines[at].value, word;
				unsigned long long n;

				if (s->lines[at].type == 'a' &&
				    span_eq(s->lines[at].name, "rtpmap") &&
				    next_word(&r, &word) &&
				    number(word, 127, &n) && n == pt)
					break;
			}
			err = insert_attr(sdp, media, (size_t)at + 1, "fmtp",
					  value);
			if (err)
				return err;
		}
	}
	return 0;
}

int sdp_end_of_candidates_add(struct sdp *sdp, size_t media)
{
	struct section *s = section_of(sdp, media);
	size_t i, at;

	if (s == NULL || media == SDP_SESSION)
		return EINVAL;
	if (sdp_attr_has(sdp, media, "end-of-candidates"))
		return 0;
	at = s->count;
	for (i = 0; i < s->count; i++)
		if (s->lines[i].type == 'a' &&
		    span_eq(s->lines[i].name, "candidate"))
			at = i + 1;
	return insert_attr(sdp, media, at, "end-of-candidates", NULL);
}

int sdp_origin_version_bump(struct sdp *sdp)
{
	struct section *s = section_of(sdp, SDP_SESSION);
	struct sdp_origin o;
	unsigned long long version;
	char *text;
	size_t i, len;

	if (s == NULL || sdp_origin_get(sdp, &o) != 0)
		return EINVAL;
	if (!number(o.session_version, ~0ULL, &version) || version == ~0ULL)
		return ERANGE;
	len = o.username.len + o.session_id.len + o.nettype.len +
	      o.addrtype.len + o.address.len + 25;
	text = own_text(sdp, len);
	if (text == NULL)
		return ENOMEM;
	len = (size_t)snprintf(text, len + 1, "%.*s %.*s %llu %.*s %.*s %.*s",
			       SPANF(o.username), SPANF(o.session_id),
			       version + 1, SPANF(o.nettype),
			       SPANF(o.addrtype), SPANF(o.address));
	if (len + 2 > SDP_MAX_LINE)
		return E2BIG; /* one more digit than a line at the limit */
	for (i = 0; s->lines[i].type != 'o'; i++)
		;
	s->lines[i].text = span_make(text, len);
	return 0;
}
