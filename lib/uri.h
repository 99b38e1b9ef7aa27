/* SIP, SIPS and tel URIs (RFC 3261 §19.1 and §25, RFC 3966, RFC 5118),
 * name-addr / addr-spec header values, ws:// and wss:// server URLs. */
#ifndef SIPWS_URI_H
#define SIPWS_URI_H

#include <stdbool.h>
#include <stddef.h>

#include "span.h"

/* Limits enforced by every decoder here (each rejection gives a reason). */
#define URI_MAX_LEN 8192         /* bytes of one URI or one header value */
#define URI_MAX_PARAMS 64        /* ';' parameters in a URI or after it */
#define URI_MAX_HEADERS 32       /* '?a=b&c=d' headers in a URI */

enum uri_scheme { URI_SCHEME_SIP, URI_SCHEME_SIPS, URI_SCHEME_TEL, URI_SCHEME_OTHER };
enum uri_host_type { URI_HOST_NONE, URI_HOST_NAME, URI_HOST_IPV4, URI_HOST_IPV6 };

/* A decoded URI. Every span points into the decoder's input, which must
 * outlive the struct. Absent parts are null spans (p == NULL). */
struct uri {
	enum uri_scheme scheme;
	struct span scheme_text;   /* as written, e.g. "SIP" */
	struct span user;          /* still %-escaped, as in the input; for tel: the number */
	struct span password;      /* set (maybe empty) when a ':' follows the user */
	struct span host;          /* IPv6 without the brackets */
	enum uri_host_type host_type;
	unsigned port;             /* 0 when absent */
	struct span params;        /* raw text after the first ';' of the URI, without that ';' */
	struct span headers;       /* raw text after '?', without '?' */
	struct span opaque;        /* whole text after "scheme:" for URI_SCHEME_OTHER */
};

/* Decode an addr-spec: a sip:, sips:, tel: or other absolute URI filling
 * the whole of p[0..len). Unknown schemes succeed with URI_SCHEME_OTHER and
 * only opaque set (the SIP layer answers 416). Returns 0, EINVAL (empty or
 * NULL input), E2BIG (over a limit) or EBADMSG (syntax); reason is filled
 * on error (and emptied on success). For tel: URIs, user is the number and
 * params its parameters; host is absent.
 * Checked beyond the grammar: ports 1..65535, IPv4 octets <= 255, IPv6
 * text (RFC 4291; only inside [], RFC 5118), ttl 0..255, maddr a host,
 * transport/user/method/ttl/maddr given a value, no parameter name twice
 * (compared after unescaping), a local tel: number has ;phone-context.
 * URI parameter values are never quoted (gr= carries a bare pvalue, RFC
 * 5627); quoted values belong to header params (uri_addr). A Request-URI
 * with headers decodes; refusing it is the SIP layer's call. */
int uri_decode(struct uri *uri, const char *p, size_t len, char *reason,
	       size_t reason_size);

/* Look up a URI parameter by name (case-insensitive). Returns 0 with the
 * raw value (still escaped; a quoted value keeps its quotes), or ENOENT.
 * A flag such as ";lr" gives an empty span with p != NULL. */
int uri_param_get(const struct uri *uri, const char *name, struct span *value);
/* Same for the '?' headers (names compared case-insensitively). */
int uri_header_get(const struct uri *uri, const char *name, struct span *value);

/* Iteration over a raw parameter list (';'-separated, as in uri.params or
 * uri_addr.params) or header list ('&'-separated, as in uri.headers).
 * Start with the cursor zeroed; each call returns 0 with the next pair,
 * name and value trimmed of LWS (a bare flag gives an empty value with
 * p != NULL, as uri_param_get does), or ENOENT at the end. Quoted values
 * (header params) may contain the separator. */
struct uri_iter {
	size_t pos;
};
int uri_param_next(struct span list, struct uri_iter *it, struct span *name,
		   struct span *value);
int uri_header_next(struct span list, struct uri_iter *it, struct span *name,
		    struct span *value);

/* A From / To / Contact / Route / Reply-To value: name-addr or addr-spec
 * with header parameters. */
struct uri_addr {
	struct span display;       /* without quotes, still \-escaped; null if none */
	bool display_quoted;
	struct uri uri;
	struct span params;        /* header params after the URI, raw, without leading ';' */
	bool angle;                /* the URI was written inside <...> */
};

/* Decode one name-addr or addr-spec (no ',' list handling: the caller
 * splits). Leading and trailing LWS is skipped. Without <>, the URI ends at
 * the first ';' (RFC 3261 §20: those params belong to the header), so a
 * bare addr-spec may not contain ',', '?' or ';' of its own (except in a
 * user part, which is recognised by a following '@'). Returns as
 * uri_decode. */
int uri_addr_decode(struct uri_addr *addr, const char *p, size_t len,
		    char *reason, size_t reason_size);
/* Look up a header parameter (e.g. "tag", "expires") of a decoded address. */
int uri_addr_param_get(const struct uri_addr *addr, const char *name,
		       struct span *value);

/* Serialise into buf (always NUL-terminated when size > 0); *lenp (may be
 * NULL) gets the length without the NUL. ENOSPC when buf is too small,
 * EINVAL when the struct cannot be written (e.g. no host). The output
 * decodes back to equal fields. uri_addr_encode always uses <> when the
 * URI has params or headers, or when there is a display name or header
 * params; a display name that is not a token sequence is quoted. */
int uri_encode(const struct uri *uri, char *buf, size_t size, size_t *lenp);
int uri_addr_encode(const struct uri_addr *addr, char *buf, size_t size,
		    size_t *lenp);

/* %XX decoding of in into buf (NUL-terminated; the output may itself
 * contain NUL bytes, so use *lenp). EILSEQ on a bad escape, ENOSPC if buf
 * is too small. */
int uri_unescape(struct span in, char *buf, size_t size, size_t *lenp);
/* \-unescaping of a quoted display name (as kept in uri_addr.display). */
int uri_unquote(struct span in, char *buf, size_t size, size_t *lenp);

/* RFC 3261 §19.1.4 comparison of two sip:/sips: URIs: userinfo
 * case-sensitive, the rest case-insensitive, %XX equal to the character
 * unless it is reserved; user/ttl/method/maddr/transport params must match
 * when in either URI, other params only when in both; headers (names and
 * values case-insensitive) must all match. tel: URIs compare numbers
 * without visual separators and need the same parameters (RFC 3966 §4);
 * other schemes compare the scheme case-insensitively and the rest
 * exactly (after unescaping unreserved characters). */
bool uri_equal(const struct uri *a, const struct uri *b);

/* A host[:port] as in a Via sent-by (IPv6 in brackets; port 0 if absent). */
int uri_hostport_decode(const char *p, size_t len, struct span *host,
			enum uri_host_type *type, unsigned *port, char *reason,
			size_t reason_size);
/* A lone host as in a Via received= or maddr= value: a name, an IPv4
 * address, or an IPv6 address with or without brackets (RFC 5118 §4.5). */
int uri_host_decode(const char *p, size_t len, struct span *host,
		    enum uri_host_type *type, char *reason, size_t reason_size);

/* A WebSocket server URL (RFC 6455 §3). */
struct uri_ws {
	bool secure;               /* wss: */
	struct span host;          /* IPv6 without the brackets */
	enum uri_host_type host_type;
	unsigned port;             /* default 80 / 443 filled in */
	struct span path;          /* default "/" (a static string) */
	struct span query;         /* after '?', without it; null if none */
};
/* Decode ws://host[:port][/path][?query]. No fragment, no userinfo.
 * Returns 0, EINVAL or EBADMSG with reason. */
int uri_ws_decode(struct uri_ws *ws, const char *p, size_t len, char *reason,
		  size_t reason_size);

/* Complete a dial target against the configured account URI into buf:
 *   "alice"            -> "sip:alice@<account host[:port]>"
 *   "alice@other.org"  -> "sip:alice@other.org"
 *   "+1(555)123-4567"  -> "sip:+15551234567@<account host>;user=phone"
 *                         (a global number: '+', digits and the visual
 *                         separators - . ( ), which are removed)
 *   "555-1234", "201"  -> "sip:5551234@<account host>" (local digits are
 *                         dialled as a user name at the account's domain:
 *                         user=phone would need a phone-context)
 *   "sip:...", "sips:...", "tel:..." -> kept as is after validation.
 * When the account is sips:, completions use sips:. The account port, if
 * any, is kept. A user part is %-escaped as needed (a '%' already followed
 * by two hex digits is kept as an escape). Other schemes are refused.
 * Returns EINVAL for an empty target, one containing whitespace or one
 * that does not make a valid URI, EBADMSG for an invalid URI given with a
 * scheme, ENOSPC when buf is too small. */
int uri_complete(const char *target, const struct uri *account, char *buf,
		 size_t size);

#endif
