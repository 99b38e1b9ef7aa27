/* Fuzz target for the URI module: every decoder on the same bytes; what
 * decodes must encode, decode again to the same fields and equal itself. */
#include "uri.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(struct span a, struct span b)
{
	return span_is_set(a) == span_is_set(b) && span_eq_span(a, b);
}

static bool uri_same(const struct uri *a, const struct uri *b)
{
	return a->scheme == b->scheme && same(a->scheme_text, b->scheme_text) &&
	       same(a->user, b->user) && same(a->password, b->password) &&
	       same(a->host, b->host) && a->host_type == b->host_type &&
	       a->port == b->port && same(a->params, b->params) &&
	       same(a->headers, b->headers) && same(a->opaque, b->opaque);
}

/* Walk a list to its end; the cursor must always move forward. */
static void walk(struct span list, bool headers)
{
	struct uri_iter it = {0};
	struct span name, value;
	size_t last = 0, n = 0;

	while ((headers ? uri_header_next(list, &it, &name, &value)
			: uri_param_next(list, &it, &name, &value)) == 0) {
		if (it.pos <= last || ++n > list.len + 1 || !span_is_set(value))
			abort();
		last = it.pos;
	}
}

static char out[2 * URI_MAX_LEN + 64];
static char scratch[2 * URI_MAX_LEN + 64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	char reason[128];
	struct uri u, u2;
	struct uri_addr a, a2;
	struct uri_ws ws;
	struct span v;
	size_t len;

	if (uri_decode(&u, p, size, reason, sizeof(reason)) == 0) {
		if (uri_encode(&u, out, sizeof(out), &len) != 0 ||
		    uri_decode(&u2, out, len, reason, sizeof(reason)) != 0 ||
		    !uri_same(&u, &u2) || !uri_equal(&u, &u2) || !uri_equal(&u2, &u))
			abort();
		walk(u.params, false);
		walk(u.headers, true);
		(void)uri_param_get(&u, "lr", &v);
		(void)uri_unescape(u.user, scratch, sizeof(scratch), &len);
	} else if (reason[0] == '\0') {
		abort(); /* every rejection says why */
	}

	if (uri_addr_decode(&a, p, size, reason, sizeof(reason)) == 0) {
		if (uri_addr_encode(&a, out, sizeof(out), &len) != 0 ||
		    uri_addr_decode(&a2, out, len, reason, sizeof(reason)) != 0 ||
		    !uri_same(&a.uri, &a2.uri) || !same(a.display, a2.display) ||
		    a.display_quoted != a2.display_quoted || !same(a.params, a2.params) ||
		    (a.angle && !a2.angle))
			abort();
		walk(a.params, false);
		(void)uri_addr_param_get(&a, "tag", &v);
		if (a.display_quoted)
			(void)uri_unquote(a.display, scratch, sizeof(scratch), &len);
	} else if (reason[0] == '\0') {
		abort();
	}

	if (uri_ws_decode(&ws, p, size, reason, sizeof(reason)) == 0) {
		if (ws.port == 0 || ws.host.len == 0 || ws.path.len == 0 || ws.path.p[0] != '/')
			abort();
	} else if (reason[0] == '\0') {
		abort();
	}

	/* Completion takes a C string: try the input when it has no NUL. */
	if (size < 512 && memchr(p, '\0', size) == NULL) {
		static const char account_text[] = "sips:bob@[2001:db8::1]:5061";
		struct uri account;

		memcpy(scratch, p, size);
		scratch[size] = '\0';
		if (uri_decode(&account, account_text, sizeof(account_text) - 1, NULL, 0) != 0)
			abort();
		if (uri_complete(scratch, &account, out, sizeof(out)) == 0 &&
		    uri_decode(&u2, out, strlen(out), NULL, 0) != 0)
			abort();
	}
	return 0;
}
