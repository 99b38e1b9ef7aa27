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
 * on error. For tel: URIs, user is the number and params its parameters;
 * host is absent. */
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
 * Start with the cursor zeroed; each call returns 0 with the next pair
 * (value empty-but-set for "name=", null for a bare flag) or ENOENT at the
 * end. */
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

/* RFC 3261 §19.1.4 comparison of two sip:/sips: URIs (tel: URIs compare by
 * number without visual separators and by parameters; other schemes
 * compare opaque text case-insensitively in the scheme only). */
bool uri_equal(const struct uri *a, const struct uri *b);

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
 *   "+15551234", "5551234", "+1 (555) 123-4" (digits with optional leading
 *                         '+' and visual separators - . ( ) removed)
 *                      -> "sip:+15551234@<account host>;user=phone"
 *   "sip:...", "sips:...", "tel:..." -> kept as is after validation.
 * When the account is sips:, completions use sips:. A user part is
 * %-escaped as needed. Returns EINVAL for an empty target or one
 * containing whitespace or invalid characters, EBADMSG for an invalid
 * URI given with a scheme, ENOSPC when buf is too small. */
int uri_complete(const char *target, const struct uri *account, char *buf,
		 size_t size);

#endif
