/* The sipws configuration: file syntax, the key table with types and
 * defaults (JSCommunicator's config.js names), and the layers. */
#include "conf.h"

#include "span.h"
#include "uri.h"
#include "version.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum conf_type {
	TYPE_STRING,
	TYPE_PATH,
	TYPE_BOOL,
	TYPE_INT,
	TYPE_ENUM,
	TYPE_SIP_URI,     /* sip: or sips: with a host */
	TYPE_ACCOUNT_URI, /* the same with a user part */
	TYPE_HEX,
	TYPE_WS_LIST,
	TYPE_STUN_LIST,
	TYPE_TURN_LIST,
	TYPE_HEADER_LIST,
	TYPE_ADDR_LIST, /* IPv4 or IPv6 address literals */
};

#define KEY_SECRET 1u /* the whole value is a secret */

enum {
	K_WS_SERVERS,
	K_WS_MIN_INTERVAL,
	K_WS_MAX_INTERVAL,
	K_WS_PROBE_INTERVAL,
	K_WS_ORIGIN,
	K_DISPLAY_NAME,
	K_URI,
	K_AUTH_USER,
	K_PASSWORD,
	K_PASSWORD_FILE,
	K_HA1,
	K_HA1_ALGORITHM,
	K_AUTH_REALM,
	K_AUTH_USER_FULL_URI,
	K_REG_EXPIRY,
	K_REG_SERVER,
	K_STUN_SERVERS,
	K_TURN_SERVERS,
	K_NO_ANSWER_TIMEOUT,
	K_DTMF_DURATION,
	K_REQUIRE_RELAY,
	K_ICE_ADDRESSES,
	K_EXTRA_HEADERS,
	K_TLS_CA_FILE,
	K_TLS_INSECURE,
	K_USER_AGENT,
	K_COUNT
};

struct conf_key {
	const char *name;
	enum conf_type type;
	const char *def; /* default as text, NULL for none */
	long long min, max;
	unsigned flags;
};

static const char *const ha1_algorithms[] = {"MD5", "SHA-256", "SHA-512-256",
					     NULL};

static const struct conf_key conf_keys[K_COUNT] = {
	[K_WS_SERVERS] = {"websocket.servers", TYPE_WS_LIST, NULL, 0, 0, 0},
	[K_WS_MIN_INTERVAL] = {"websocket.connection_recovery_min_interval",
			       TYPE_INT, "2", 1, 86400, 0},
	[K_WS_MAX_INTERVAL] = {"websocket.connection_recovery_max_interval",
			       TYPE_INT, "30", 1, 86400, 0},
	[K_WS_PROBE_INTERVAL] = {"websocket.preferred_probe_interval",
				 TYPE_INT, "60", 0, 86400, 0},
	[K_WS_ORIGIN] = {"websocket.origin", TYPE_STRING, NULL, 0, 0, 0},
	[K_DISPLAY_NAME] = {"user.display_name", TYPE_STRING, NULL, 0, 0, 0},
	[K_URI] = {"user.uri", TYPE_ACCOUNT_URI, NULL, 0, 0, 0},
	[K_AUTH_USER] = {"user.sip_auth_user", TYPE_STRING, NULL, 0, 0, 0},
	[K_PASSWORD] = {"user.sip_auth_password", TYPE_STRING, NULL, 0, 0,
			KEY_SECRET},
	[K_PASSWORD_FILE] = {"user.sip_auth_password_file", TYPE_PATH, NULL,
			     0, 0, 0},
	[K_HA1] = {"user.sip_auth_ha1", TYPE_HEX, NULL, 0, 0, KEY_SECRET},
	[K_HA1_ALGORITHM] = {"user.sip_auth_ha1_algorithm", TYPE_ENUM, "MD5",
			     0, 0, 0},
	[K_AUTH_REALM] = {"user.sip_auth_realm", TYPE_STRING, NULL, 0, 0, 0},
	[K_AUTH_USER_FULL_URI] = {"user.sip_auth_user_full_uri", TYPE_BOOL,
				  "true", 0, 0, 0},
	[K_REG_EXPIRY] = {"registration.expiry", TYPE_INT, "600", 1,
			  2147483647LL, 0},
	[K_REG_SERVER] = {"registration.server", TYPE_SIP_URI, NULL, 0, 0, 0},
	[K_STUN_SERVERS] = {"stun_servers", TYPE_STUN_LIST, NULL, 0, 0, 0},
	[K_TURN_SERVERS] = {"turn_servers", TYPE_TURN_LIST, NULL, 0, 0, 0},
	[K_NO_ANSWER_TIMEOUT] = {"dialing.no_answer_timeout", TYPE_INT, "60",
				 1, 86400, 0},
	[K_DTMF_DURATION] = {"session.dtmf_duration", TYPE_INT, "100", 40,
			     6000, 0},
	[K_REQUIRE_RELAY] = {"session.require_relay_candidate", TYPE_BOOL,
			     "false", 0, 0, 0},
	[K_ICE_ADDRESSES] = {"session.ice_addresses", TYPE_ADDR_LIST, NULL, 0,
			     0, 0},
	[K_EXTRA_HEADERS] = {"extra_headers", TYPE_HEADER_LIST, NULL, 0, 0, 0},
	[K_TLS_CA_FILE] = {"tls.ca_file", TYPE_PATH, NULL, 0, 0, 0},
	[K_TLS_INSECURE] = {"tls.insecure", TYPE_BOOL, "false", 0, 0, 0},
	[K_USER_AGENT] = {"user_agent", TYPE_STRING, "sipws/" SIPWS_VERSION, 0,
			  0, 0},
};

/* One entry of a value: scalars have one, lists any number. */
struct conf_item {
	char *text;     /* normal form, secrets included */
	char *shown;    /* normal form with secrets masked */
	char *url;      /* list entries: the URL alone */
	char *username; /* turn_servers */
	char *password; /* turn_servers */
	unsigned weight;
};

struct conf_value {
	struct conf_item *items;
	const char **texts; /* items[i].text, for conf_get_list */
	const char **shown; /* items[i].shown, for conf_entry */
	size_t nitems;
	long long num; /* integers and booleans */
	enum conf_layer layer;
	unsigned source; /* which file, variable or command line set it */
	char *origin;
};

/* Sources: 0 the defaults, 1 the command line, then one per file/variable. */
#define SOURCE_DEFAULT 0u
#define SOURCE_CMDLINE 1u

enum { DERIVED_AUTH_USER, DERIVED_REGISTRAR, DERIVED_COUNT };

struct conf {
	struct conf_value values[K_COUNT];
	char *warnings[CONF_MAX_WARNINGS];
	size_t nwarnings;
	unsigned next_source;
	char *file_password;      /* first line of user.sip_auth_password_file */
	char *file_password_path; /* the file it was read from */
	const char *derived[DERIVED_COUNT]; /* owned; NULL when none */
};

static const char ORIGIN_DERIVED[] = "derived:user.uri";

static void say(char *reason, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *reason, size_t size, const char *fmt, ...)
{
	va_list args;

	if (reason == NULL || size == 0)
		return;
	va_start(args, fmt);
	vsnprintf(reason, size, fmt, args);
	va_end(args);
}

static char *str_printf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static char *str_printf(const char *fmt, ...)
{
	va_list args;
	int n;
	char *s;

	va_start(args, fmt);
	n = vsnprintf(NULL, 0, fmt, args);
	va_end(args);
	if (n < 0)
		return NULL;
	s = malloc((size_t)n + 1);
	if (s == NULL)
		return NULL;
	va_start(args, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, args);
	va_end(args);
	return s;
}

/* Secrets are wiped before their memory goes back to the allocator. */
static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void conf_warn(struct conf *conf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void conf_warn(struct conf *conf, const char *fmt, ...)
{
	char buf[CONF_MAX_KEY + PATH_MAX + 128];
	va_list args;
	char *w;

	if (conf->nwarnings >= CONF_MAX_WARNINGS)
		return;
	if (conf->nwarnings == CONF_MAX_WARNINGS - 1) {
		w = strdup("more warnings not shown");
	} else {
		va_start(args, fmt);
		vsnprintf(buf, sizeof(buf), fmt, args);
		va_end(args);
		w = strdup(buf);
	}
	/* A warning lost to a full heap is not worth failing the load. */
	if (w)
		conf->warnings[conf->nwarnings++] = w;
}

/* ---- keys ---- */

static int key_find(struct span name)
{
	size_t i;

	for (i = 0; i < K_COUNT; i++)
		if (span_eq(name, conf_keys[i].name))
			return (int)i;
	return -1;
}

static bool key_is_list(size_t k)
{
	switch (conf_keys[k].type) {
	case TYPE_WS_LIST:
	case TYPE_STUN_LIST:
	case TYPE_TURN_LIST:
	case TYPE_HEADER_LIST:
	case TYPE_ADDR_LIST:
		return true;
	default:
		return false;
	}
}

/* A key has dot-separated words of lowercase letters, digits and '_',
 * each starting with a letter. */
static bool key_syntax_ok(struct span s)
{
	size_t i;
	bool word_start = true;

	if (s.len == 0 || s.len > CONF_MAX_KEY)
		return false;
	for (i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (word_start) {
			if (c < 'a' || c > 'z')
				return false;
			word_start = false;
		} else if (c == '.') {
			word_start = true;
		} else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			     c == '_')) {
			return false;
		}
	}
	return !word_start;
}

size_t conf_key_count(void)
{
	return K_COUNT;
}

const char *conf_key_name(size_t i)
{
	return i < K_COUNT ? conf_keys[i].name : NULL;
}

bool conf_key_known(const char *key)
{
	return key && key_find(span_from_str(key)) >= 0;
}

bool conf_key_secret(const char *key)
{
	int k = key ? key_find(span_from_str(key)) : -1;

	return k >= 0 && (conf_keys[k].flags & KEY_SECRET);
}

int conf_env_name(const char *key, char *buf, size_t size)
{
	size_t i, n;

	if (!conf_key_known(key))
		return EINVAL;
	n = strlen(key);
	if (size < n + sizeof("SIPWS_"))
		return ENOSPC;
	memcpy(buf, "SIPWS_", 6);
	for (i = 0; i < n; i++) {
		char c = key[i];

		buf[6 + i] = c == '.' ? '_'
			     : (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A')
						      : c;
	}
	buf[6 + n] = '\0';
	return 0;
}

/* ---- values ---- */

static void item_free(struct conf_item *it)
{
	free_secret(it->text);
	free(it->shown);
	free(it->url);
	free(it->username);
	free_secret(it->password);
	memset(it, 0, sizeof(*it));
}

static void value_clear_items(struct conf_value *v)
{
	size_t i;

	for (i = 0; i < v->nitems; i++)
		item_free(&v->items[i]);
	free(v->items);
	free(v->texts);
	free(v->shown);
	v->items = NULL;
	v->texts = NULL;
	v->shown = NULL;
	v->nitems = 0;
}

/* Rebuild the pointer arrays handed out by conf_get_list / conf_entry. */
static int value_index(struct conf_value *v)
{
	const char **texts = NULL, **shown = NULL;
	size_t i;

	if (v->nitems) {
		texts = calloc(v->nitems, sizeof(*texts));
		shown = calloc(v->nitems, sizeof(*shown));
		if (texts == NULL || shown == NULL) {
			free(texts);
			free(shown);
			return ENOMEM;
		}
		for (i = 0; i < v->nitems; i++) {
			texts[i] = v->items[i].text;
			shown[i] = v->items[i].shown;
		}
	}
	free(v->texts);
	free(v->shown);
	v->texts = texts;
	v->shown = shown;
	return 0;
}

static int value_push(struct conf_value *v, struct conf_item *it)
{
	struct conf_item *items;

	if (v->nitems >= CONF_MAX_ITEMS)
		return E2BIG;
	items = realloc(v->items, (v->nitems + 1) * sizeof(*items));
	if (items == NULL)
		return ENOMEM;
	v->items = items;
	v->items[v->nitems++] = *it;
	memset(it, 0, sizeof(*it));
	return 0;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static bool has_control(struct span s)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return true;
	}
	return false;
}

/* Next run of non-blank bytes of *rest. */
static bool next_token(struct span *rest, struct span *tok)
{
	while (rest->len && is_ws(rest->p[0])) {
		rest->p++;
		rest->len--;
	}
	if (rest->len == 0)
		return false;
	tok->p = rest->p;
	tok->len = 0;
	while (rest->len && !is_ws(rest->p[0])) {
		rest->p++;
		rest->len--;
		tok->len++;
	}
	return true;
}

/* "name=value" token: true when the name matches, value set. */
static bool token_param(struct span tok, const char *name, struct span *value)
{
	size_t n = strlen(name);

	if (tok.len <= n || tok.p[n] != '=' || memcmp(tok.p, name, n) != 0)
		return false;
	*value = span_make(tok.p + n + 1, tok.len - n - 1);
	return true;
}

static bool span_starts_nocase(struct span s, const char *prefix)
{
	size_t n = strlen(prefix);

	return s.len >= n && span_eq_nocase(span_make(s.p, n), prefix);
}

/* host[:port] of a stun:/turn: URI (RFC 7064, RFC 7065). */
static int host_port_check(struct span hp, char *msg, size_t size)
{
	struct span host = hp, port = SPAN_NULL;
	unsigned long long n;
	size_t i;

	if (hp.len && hp.p[0] == '[') {
		const char *close = memchr(hp.p, ']', hp.len);

		if (close == NULL) {
			say(msg, size, "missing ']' after IPv6 address");
			return EINVAL;
		}
		host = span_make(hp.p + 1, (size_t)(close - hp.p) - 1);
		if (host.len == 0) {
			say(msg, size, "empty IPv6 address");
			return EINVAL;
		}
		for (i = 0; i < host.len; i++) {
			char c = host.p[i];

			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			      (c >= 'A' && c <= 'F') || c == ':' || c == '.')) {
				say(msg, size, "bad IPv6 address");
				return EINVAL;
			}
		}
		i = (size_t)(close - hp.p) + 1;
		if (i < hp.len) {
			if (hp.p[i] != ':') {
				say(msg, size, "text after IPv6 address");
				return EINVAL;
			}
			port = span_make(hp.p + i + 1, hp.len - i - 1);
		}
	} else {
		const char *colon = memchr(hp.p, ':', hp.len);

		if (colon) {
			host = span_make(hp.p, (size_t)(colon - hp.p));
			port = span_make(colon + 1,
					 hp.len - host.len - 1);
		}
		if (host.len == 0 || host.len > 253) {
			say(msg, size, "missing or overlong host");
			return EINVAL;
		}
		for (i = 0; i < host.len; i++) {
			char c = host.p[i];

			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			      (c >= 'A' && c <= 'Z') || c == '-' || c == '.')) {
				say(msg, size, "bad character in host");
				return EINVAL;
			}
		}
	}
	if (port.p && (span_to_u64(port, 65535, &n) != 0 || n == 0)) {
		say(msg, size, "bad port (1..65535)");
		return EINVAL;
	}
	return 0;
}

static int item_set_text(struct conf_item *it, struct span text)
{
	it->text = span_dup(text);
	it->shown = span_dup(text);
	return it->text && it->shown ? 0 : ENOMEM;
}

/* "URL [weight=N]" */
static int ws_item_parse(struct span entry, struct conf_item *it, char *msg,
			 size_t size)
{
	char why[160];
	struct span rest = entry, url, tok, val;
	struct uri_ws ws;
	unsigned long long weight = 0;
	bool have_weight = false;
	int err;

	next_token(&rest, &url);
	err = uri_ws_decode(&ws, url.p, url.len, why, sizeof(why));
	if (err) {
		say(msg, size, "not a WebSocket URL: %s", why);
		return EINVAL;
	}
	while (next_token(&rest, &tok)) {
		if (!token_param(tok, "weight", &val)) {
			say(msg, size, "unknown parameter '%.*s' (expected weight=N)",
			    (int)tok.len, tok.p);
			return EINVAL;
		}
		if (have_weight) {
			say(msg, size, "weight given twice");
			return EINVAL;
		}
		if (span_to_u64(val, 65535, &weight) != 0) {
			say(msg, size, "bad weight '%.*s' (0..65535)",
			    (int)val.len, val.p);
			return EINVAL;
		}
		have_weight = true;
	}
	it->weight = (unsigned)weight;
	it->url = span_dup(url);
	if (weight)
		it->text = str_printf("%.*s weight=%u", (int)url.len, url.p,
				      it->weight);
	else
		it->text = span_dup(url);
	it->shown = it->text ? strdup(it->text) : NULL;
	return it->url && it->text && it->shown ? 0 : ENOMEM;
}

static int stun_item_parse(struct span entry, struct conf_item *it, char *msg,
			   size_t size)
{
	struct span hp;

	if (span_starts_nocase(entry, "stun:"))
		hp = span_make(entry.p + 5, entry.len - 5);
	else if (span_starts_nocase(entry, "stuns:"))
		hp = span_make(entry.p + 6, entry.len - 6);
	else {
		say(msg, size, "not a stun: or stuns: URL");
		return EINVAL;
	}
	if (host_port_check(hp, msg, size))
		return EINVAL;
	it->url = span_dup(entry);
	if (it->url == NULL)
		return ENOMEM;
	return item_set_text(it, entry);
}

/* An address of this host for ICE: "127.0.0.1", "::1". */
static int addr_item_parse(struct span entry, struct conf_item *it, char *msg,
			   size_t size)
{
	unsigned char bin[sizeof(struct in6_addr)];
	char text[INET6_ADDRSTRLEN];

	if (entry.len >= sizeof(text)) {
		say(msg, size, "not an IPv4 or IPv6 address");
		return EINVAL;
	}
	memcpy(text, entry.p, entry.len);
	text[entry.len] = '\0';
	if (inet_pton(AF_INET, text, bin) != 1 &&
	    inet_pton(AF_INET6, text, bin) != 1) {
		say(msg, size, "not an IPv4 or IPv6 address");
		return EINVAL;
	}
	it->url = span_dup(entry);
	if (it->url == NULL)
		return ENOMEM;
	return item_set_text(it, entry);
}

/* "turn:host[:port][?transport=udp|tcp] [username=U password=P]" */
static int turn_item_parse(struct span entry, struct conf_item *it, char *msg,
			   size_t size)
{
	struct span rest = entry, url, hp, tok, val, user = SPAN_NULL,
		    pass = SPAN_NULL;
	const char *q;

	next_token(&rest, &url);
	if (span_starts_nocase(url, "turn:"))
		hp = span_make(url.p + 5, url.len - 5);
	else if (span_starts_nocase(url, "turns:"))
		hp = span_make(url.p + 6, url.len - 6);
	else {
		say(msg, size, "not a turn: or turns: URL");
		return EINVAL;
	}
	q = memchr(hp.p, '?', hp.len);
	if (q) {
		struct span query = span_make(q + 1, hp.len - (size_t)(q - hp.p) - 1);

		hp.len = (size_t)(q - hp.p);
		if (!span_eq_nocase(query, "transport=udp") &&
		    !span_eq_nocase(query, "transport=tcp")) {
			say(msg, size, "the only query is ?transport=udp or "
				       "?transport=tcp");
			return EINVAL;
		}
	}
	if (host_port_check(hp, msg, size))
		return EINVAL;
	while (next_token(&rest, &tok)) {
		struct span *slot;

		if (token_param(tok, "username", &val))
			slot = &user;
		else if (token_param(tok, "password", &val))
			slot = &pass;
		else {
			say(msg, size, "unknown parameter '%.*s' (expected "
				       "username=U password=P)",
			    (int)tok.len, tok.p);
			return EINVAL;
		}
		if (slot->p) {
			say(msg, size, "'%.*s' given twice",
			    (int)(val.p - tok.p - 1), tok.p);
			return EINVAL;
		}
		*slot = val;
	}
	if ((user.p == NULL) != (pass.p == NULL)) {
		say(msg, size, "give both username= and password=, or neither "
			       "to use the SIP credentials");
		return EINVAL;
	}
	it->url = span_dup(url);
	if (it->url == NULL)
		return ENOMEM;
	if (user.p == NULL)
		return item_set_text(it, url);
	it->username = span_dup(user);
	it->password = span_dup(pass);
	it->text = str_printf("%.*s username=%.*s password=%.*s", (int)url.len,
			      url.p, (int)user.len, user.p, (int)pass.len,
			      pass.p);
	it->shown = str_printf("%.*s username=%.*s password=" CONF_MASK,
			       (int)url.len, url.p, (int)user.len, user.p);
	return it->username && it->password && it->text && it->shown ? 0
								      : ENOMEM;
}

/* Headers the SIP layer writes itself: compact form, full name. */
static const char *const managed_headers[][2] = {
	{"v", "Via"},	   {"f", "From"},	 {"t", "To"},
	{"i", "Call-ID"},  {"", "CSeq"},	 {"l", "Content-Length"},
	{"c", "Content-Type"}, {"", "Max-Forwards"}, {"m", "Contact"},
};

static bool is_token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("-.!%*_+`'~", c) != NULL);
}

/* "Name: value" */
static int header_item_parse(struct span entry, struct conf_item *it,
			     char *msg, size_t size)
{
	struct span name, value;
	size_t i = 0;

	while (i < entry.len && is_token_char(entry.p[i]))
		i++;
	name = span_make(entry.p, i);
	while (i < entry.len && is_ws(entry.p[i]))
		i++;
	if (name.len == 0 || i >= entry.len || entry.p[i] != ':') {
		say(msg, size, "not a 'Name: value' header");
		return EINVAL;
	}
	for (size_t m = 0; m < sizeof(managed_headers) /
				       sizeof(managed_headers[0]); m++)
		if (span_eq_nocase(name, managed_headers[m][0]) ||
		    span_eq_nocase(name, managed_headers[m][1])) {
			say(msg, size, "%s is written by sipws itself",
			    managed_headers[m][1]);
			return EINVAL;
		}
	value = span_trim(span_make(entry.p + i + 1, entry.len - i - 1));
	it->text = str_printf("%.*s: %.*s", (int)name.len, name.p,
			      (int)value.len, value.p);
	it->shown = it->text ? strdup(it->text) : NULL;
	return it->text && it->shown ? 0 : ENOMEM;
}

static int list_parse(size_t k, struct span v, struct conf_value *out,
		      char *msg, size_t size)
{
	enum conf_type type = conf_keys[k].type;
	char sep = type == TYPE_HEADER_LIST ? '\n' : ',';
	size_t start = 0, i;
	int err;

	for (i = 0; i <= v.len; i++) {
		struct conf_item it = {0};
		struct span entry;
		char why[200];

		if (i < v.len && v.p[i] != sep)
			continue;
		entry = span_trim(span_make(v.p + start, i - start));
		start = i + 1;
		if (entry.len == 0) {
			say(msg, size, "empty entry in the list");
			return EINVAL;
		}
		if (has_control(entry)) {
			say(msg, size, "control character in value");
			return EINVAL;
		}
		switch (type) {
		case TYPE_WS_LIST:
			err = ws_item_parse(entry, &it, why, sizeof(why));
			break;
		case TYPE_STUN_LIST:
			err = stun_item_parse(entry, &it, why, sizeof(why));
			break;
		case TYPE_TURN_LIST:
			err = turn_item_parse(entry, &it, why, sizeof(why));
			break;
		case TYPE_ADDR_LIST:
			err = addr_item_parse(entry, &it, why, sizeof(why));
			break;
		default:
			err = header_item_parse(entry, &it, why, sizeof(why));
			break;
		}
		if (!err)
			err = value_push(out, &it);
		if (err) {
			item_free(&it);
			if (err == ENOMEM)
				say(msg, size, "out of memory");
			else if (err == E2BIG)
				say(msg, size, "more than %d entries",
				    CONF_MAX_ITEMS);
			else {
				/* A TURN entry may hold a password: name
				 * only its URL. */
				struct span shown = entry, rest = entry;

				if (type == TYPE_TURN_LIST)
					next_token(&rest, &shown);
				say(msg, size, "'%.*s': %s", (int)shown.len,
				    shown.p, why);
			}
			return err;
		}
	}
	return 0;
}

static bool parse_bool(struct span v, long long *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1", NULL};
	static const char *const no[] = {"false", "no", "off", "0", NULL};
	size_t i;

	for (i = 0; yes[i]; i++)
		if (span_eq_nocase(v, yes[i])) {
			*out = 1;
			return true;
		}
	for (i = 0; no[i]; i++)
		if (span_eq_nocase(v, no[i])) {
			*out = 0;
			return true;
		}
	return false;
}

static int sip_uri_check(size_t k, struct span v, char *msg, size_t size)
{
	char why[160];
	struct uri uri;

	if (uri_decode(&uri, v.p, v.len, why, sizeof(why)) != 0) {
		say(msg, size, "not a SIP URI: %s", why);
		return EINVAL;
	}
	if (uri.scheme != URI_SCHEME_SIP && uri.scheme != URI_SCHEME_SIPS) {
		say(msg, size, "not a sip: or sips: URI");
		return EINVAL;
	}
	if (uri.host.p == NULL || uri.host.len == 0) {
		say(msg, size, "the URI has no host");
		return EINVAL;
	}
	if (conf_keys[k].type == TYPE_ACCOUNT_URI &&
	    (uri.user.p == NULL || uri.user.len == 0)) {
		say(msg, size, "the account needs a user part (sip:user@domain)");
		return EINVAL;
	}
	return 0;
}

/* Turn the text v into out (fresh, zeroed); msg gets the reason. */
static int value_parse(size_t k, struct span v, struct conf_value *out,
		       char *msg, size_t size)
{
	const struct conf_key *key = &conf_keys[k];
	struct conf_item it = {0};
	unsigned long long n;
	char buf[32];
	size_t i;
	int err;

	if (key_is_list(k)) {
		if (v.len == 0)
			return 0;
		/* Headers are separated by newlines, so check them per entry. */
		if (key->type != TYPE_HEADER_LIST && has_control(v)) {
			say(msg, size, "control character in value");
			return EINVAL;
		}
		return list_parse(k, v, out, msg, size);
	}
	if (has_control(v)) {
		say(msg, size, "control character in value");
		return EINVAL;
	}
	if (v.len == 0) {
		switch (key->type) {
		case TYPE_BOOL:
		case TYPE_INT:
		case TYPE_ENUM:
			say(msg, size, "empty value");
			return EINVAL;
		default:
			return 0; /* no value */
		}
	}
	switch (key->type) {
	case TYPE_BOOL:
		if (!parse_bool(v, &out->num)) {
			say(msg, size, "'%.*s' is not a boolean (true/false, "
				       "yes/no, on/off, 1/0)",
			    (int)v.len, v.p);
			return EINVAL;
		}
		v = span_from_str(out->num ? "true" : "false");
		break;
	case TYPE_INT:
		err = span_to_u64(v, (unsigned long long)key->max, &n);
		if (err == EINVAL) {
			say(msg, size, "'%.*s' is not a number", (int)v.len, v.p);
			return EINVAL;
		}
		if (err || n < (unsigned long long)key->min) {
			say(msg, size, "out of range (%lld..%lld)", key->min,
			    key->max);
			return ERANGE;
		}
		out->num = (long long)n;
		snprintf(buf, sizeof(buf), "%llu", n);
		v = span_from_str(buf);
		break;
	case TYPE_ENUM:
		for (i = 0; ha1_algorithms[i]; i++)
			if (span_eq_nocase(v, ha1_algorithms[i]))
				break;
		if (ha1_algorithms[i] == NULL) {
			say(msg, size, "must be MD5, SHA-256 or SHA-512-256");
			return EINVAL;
		}
		out->num = (long long)i;
		v = span_from_str(ha1_algorithms[i]);
		break;
	case TYPE_SIP_URI:
	case TYPE_ACCOUNT_URI:
		if (sip_uri_check(k, v, msg, size))
			return EINVAL;
		break;
	case TYPE_HEX:
		for (i = 0; i < v.len; i++)
			if (v.p[i] == '\0' ||
			    !strchr("0123456789abcdefABCDEF", v.p[i]))
				break;
		if (i < v.len || (v.len != 32 && v.len != 64)) {
			say(msg, size, "not 32 or 64 hexadecimal digits");
			return EINVAL;
		}
		break;
	default:
		break;
	}
	err = item_set_text(&it, v);
	if (!err && (key->flags & KEY_SECRET)) {
		free(it.shown);
		it.shown = strdup(CONF_MASK);
		if (it.shown == NULL)
			err = ENOMEM;
	}
	if (!err)
		err = value_push(out, &it);
	if (err) {
		item_free(&it);
		say(msg, size, "out of memory");
	}
	return err;
}

static bool value_has_secret(size_t k, const struct conf_value *v)
{
	size_t i;

	if (v->nitems && (conf_keys[k].flags & KEY_SECRET))
		return true;
	for (i = 0; i < v->nitems; i++)
		if (v->items[i].password)
			return true;
	return false;
}

/* The user.uri parts the auth user and registrar are derived from. */
static void derive(struct conf *conf)
{
	const struct conf_value *uv = &conf->values[K_URI];
	const char *text;
	char *user = NULL, *registrar = NULL;
	struct uri uri;
	size_t i;

	for (i = 0; i < DERIVED_COUNT; i++) {
		free((char *)conf->derived[i]);
		conf->derived[i] = NULL;
	}
	if (uv->nitems == 0)
		return;
	text = uv->items[0].text;
	if (uri_decode(&uri, text, strlen(text), NULL, 0) != 0 ||
	    uri.host.p == NULL)
		return;
	if (conf->values[K_AUTH_USER].nitems == 0 && uri.user.p) {
		char name[URI_MAX_LEN + 1];
		size_t n;
		bool v6 = uri.host_type == URI_HOST_IPV6;

		/* The digest username is the unescaped user part; keep the
		 * escaped form should it hide a NUL. */
		if (uri_unescape(uri.user, name, sizeof(name), &n) != 0 ||
		    memchr(name, '\0', n))
			n = (size_t)snprintf(name, sizeof(name), "%.*s",
					     (int)uri.user.len, uri.user.p);
		if (conf->values[K_AUTH_USER_FULL_URI].num)
			user = str_printf("%.*s@%s%.*s%s", (int)n, name,
					  v6 ? "[" : "", (int)uri.host.len,
					  uri.host.p, v6 ? "]" : "");
		else
			user = str_printf("%.*s", (int)n, name);
	}
	if (conf->values[K_REG_SERVER].nitems == 0) {
		bool v6 = uri.host_type == URI_HOST_IPV6;
		char port[16] = "";

		if (uri.port)
			snprintf(port, sizeof(port), ":%u", uri.port);
		registrar = str_printf("%s:%s%.*s%s%s",
				       uri.scheme == URI_SCHEME_SIPS ? "sips"
								     : "sip",
				       v6 ? "[" : "", (int)uri.host.len,
				       uri.host.p, v6 ? "]" : "", port);
	}
	/* Allocation failure leaves a value underived: getters say ENOENT. */
	conf->derived[DERIVED_AUTH_USER] = user;
	conf->derived[DERIVED_REGISTRAR] = registrar;
}

/* Store a parsed value: replace, or add to a list set earlier by the same
 * source. Takes nv's items on success. */
static int value_store(struct conf *conf, size_t k, struct conf_value *nv,
		       enum conf_layer layer, unsigned source,
		       const char *origin, char *msg, size_t size)
{
	struct conf_value *cur = &conf->values[k];
	char *origin_copy;
	size_t i;
	int err;

	if (key_is_list(k) && layer != CONF_LAYER_DEFAULT &&
	    cur->layer == layer && cur->source == source) {
		struct conf_item *items;

		if (cur->nitems + nv->nitems > CONF_MAX_ITEMS) {
			say(msg, size, "more than %d entries", CONF_MAX_ITEMS);
			return E2BIG;
		}
		if (nv->nitems == 0)
			return 0;
		items = realloc(cur->items,
				(cur->nitems + nv->nitems) * sizeof(*items));
		if (items == NULL) {
			say(msg, size, "out of memory");
			return ENOMEM;
		}
		cur->items = items;
		for (i = 0; i < nv->nitems; i++)
			cur->items[cur->nitems++] = nv->items[i];
		free(nv->items);
		free(nv->texts);
		free(nv->shown);
		memset(nv, 0, sizeof(*nv));
		err = value_index(cur);
		if (err)
			say(msg, size, "out of memory");
		return err;
	}
	origin_copy = strdup(origin);
	if (origin_copy == NULL || value_index(nv) != 0) {
		free(origin_copy);
		say(msg, size, "out of memory");
		return ENOMEM;
	}
	value_clear_items(cur);
	free(cur->origin);
	*cur = *nv;
	cur->layer = layer;
	cur->source = source;
	cur->origin = origin_copy;
	memset(nv, 0, sizeof(*nv));
	return 0;
}

/* Parse and store one value; where ("/path:3", "env:SIPWS_X") starts the
 * reason. *secret is set when the value holds a secret. */
static int assign(struct conf *conf, size_t k, struct span v,
		  enum conf_layer layer, unsigned source, const char *origin,
		  const char *where, bool refuse_secret, bool *secret,
		  char *reason, size_t size)
{
	struct conf_value nv = {0};
	char msg[CONF_MAX_LINE / 2];
	int err;

	err = value_parse(k, v, &nv, msg, sizeof(msg));
	if (!err && refuse_secret && value_has_secret(k, &nv)) {
		say(msg, sizeof(msg),
		    "secrets are not taken from the command line; use a "
		    "file only you can read, the environment or "
		    "--password-stdin");
		err = EPERM;
	}
	if (!err && secret)
		*secret = value_has_secret(k, &nv);
	if (!err)
		err = value_store(conf, k, &nv, layer, source, origin, msg,
				  sizeof(msg));
	if (err) {
		value_clear_items(&nv);
		say(reason, size, "%s: %s: %s", where, conf_keys[k].name, msg);
		return err;
	}
	derive(conf);
	return 0;
}

/* ---- life cycle ---- */

void conf_free(struct conf *conf)
{
	size_t i;

	if (conf == NULL)
		return;
	for (i = 0; i < K_COUNT; i++) {
		value_clear_items(&conf->values[i]);
		free(conf->values[i].origin);
	}
	for (i = 0; i < conf->nwarnings; i++)
		free(conf->warnings[i]);
	for (i = 0; i < DERIVED_COUNT; i++)
		free((char *)conf->derived[i]);
	free_secret(conf->file_password);
	free(conf->file_password_path);
	free(conf);
}

int conf_alloc(struct conf **confp)
{
	struct conf *conf;
	size_t k;
	int err = 0;

	if (confp == NULL)
		return EINVAL;
	conf = calloc(1, sizeof(*conf));
	if (conf == NULL)
		return ENOMEM;
	conf->next_source = SOURCE_CMDLINE + 1;
	for (k = 0; k < K_COUNT && !err; k++) {
		conf->values[k].origin = strdup("default");
		if (conf->values[k].origin == NULL)
			err = ENOMEM;
		else if (conf_keys[k].def)
			err = assign(conf, k, span_from_str(conf_keys[k].def),
				     CONF_LAYER_DEFAULT, SOURCE_DEFAULT,
				     "default", "default", false, NULL, NULL,
				     0);
	}
	if (err) {
		conf_free(conf);
		return err;
	}
	*confp = conf;
	return 0;
}

/* ---- the file syntax ---- */

struct parse_state {
	struct conf *conf;
	const char *name;  /* path as shown */
	const char *kind;  /* "file" or "profile", for origins */
	enum conf_layer layer;
	unsigned source;
	bool secret_seen;
	unsigned entries;
	char section[CONF_MAX_KEY + 1];
};

/* Text after a value or section: blanks, then nothing or a comment. */
static bool only_comment_left(struct span rest)
{
	while (rest.len && is_ws(rest.p[0])) {
		rest.p++;
		rest.len--;
	}
	return rest.len == 0 || rest.p[0] == '#' || rest.p[0] == ';';
}

/* A double-quoted value starting at p[0] == '"': unescaped into buf
 * (room for len bytes); *used gets how much of p it took. */
static int unquote(struct span s, char *buf, size_t *outlen, size_t *used,
		   char *msg, size_t size)
{
	size_t i, j = 0;

	for (i = 1; i < s.len; i++) {
		char c = s.p[i];

		if (c == '"') {
			*outlen = j;
			*used = i + 1;
			return 0;
		}
		if (c == '\\') {
			if (++i >= s.len)
				break;
			switch (s.p[i]) {
			case '"':
			case '\\':
				c = s.p[i];
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			default:
				if (s.p[i] > 0x20 && s.p[i] < 0x7f)
					say(msg, size, "unknown escape '\\%c'",
					    s.p[i]);
				else
					say(msg, size, "unknown escape '\\' "
						       "followed by byte 0x%02x",
					    (unsigned char)s.p[i]);
				return EBADMSG;
			}
		}
		buf[j++] = c;
	}
	say(msg, size, "missing closing quote");
	return EBADMSG;
}

static int parse_line(struct parse_state *ps, struct span line, unsigned lineno,
		      char *reason, size_t size)
{
	char where[PATH_MAX + 32], origin[PATH_MAX + 48], msg[128];
	char fullkey[2 * CONF_MAX_KEY + 2];
	struct span key, value;
	char *unquoted = NULL;
	size_t i = 0;
	int k, err;

	snprintf(where, sizeof(where), "%s:%u", ps->name, lineno);
	while (i < line.len && is_ws(line.p[i]))
		i++;
	if (i == line.len || line.p[i] == '#' || line.p[i] == ';')
		return 0;
	if (line.p[i] == '[') {
		const char *close = memchr(line.p + i, ']', line.len - i);
		struct span name;

		if (close == NULL) {
			say(reason, size, "%s: missing ']' after section name",
			    where);
			return EBADMSG;
		}
		name = span_trim(span_make(line.p + i + 1,
					   (size_t)(close - line.p) - i - 1));
		if (!key_syntax_ok(name)) {
			say(reason, size, "%s: bad section name '%.*s'", where,
			    (int)name.len, name.p);
			return EBADMSG;
		}
		if (!only_comment_left(span_make(close + 1,
						 line.len - (size_t)(close + 1 - line.p)))) {
			say(reason, size, "%s: text after ']'", where);
			return EBADMSG;
		}
		span_copy(name, ps->section, sizeof(ps->section));
		return 0;
	}
	key.p = line.p + i;
	while (i < line.len && !is_ws(line.p[i]) && line.p[i] != '=')
		i++;
	key.len = (size_t)(line.p + i - key.p);
	if (!key_syntax_ok(key)) {
		say(reason, size, "%s: bad key '%.*s' (lowercase letters, "
				  "digits, '_' and '.')",
		    where, (int)(key.len > 64 ? 64 : key.len), key.p);
		return EBADMSG;
	}
	while (i < line.len && is_ws(line.p[i]))
		i++;
	if (i == line.len || line.p[i] != '=') {
		say(reason, size, "%s: expected '=' after '%.*s'", where,
		    (int)key.len, key.p);
		return EBADMSG;
	}
	i++;
	while (i < line.len && is_ws(line.p[i]))
		i++;
	if (ps->section[0])
		snprintf(fullkey, sizeof(fullkey), "%s.%.*s", ps->section,
			 (int)key.len, key.p);
	else
		snprintf(fullkey, sizeof(fullkey), "%.*s", (int)key.len, key.p);
	if (++ps->entries > CONF_MAX_ENTRIES) {
		say(reason, size, "%s: more than %d entries in one file", where,
		    CONF_MAX_ENTRIES);
		return E2BIG;
	}
	value = span_make(line.p + i, line.len - i);
	if (value.len && value.p[0] == '"') {
		size_t n = 0, used = 0;

		unquoted = malloc(value.len);
		if (unquoted == NULL) {
			say(reason, size, "%s: out of memory", where);
			return ENOMEM;
		}
		err = unquote(value, unquoted, &n, &used, msg, sizeof(msg));
		if (!err && !only_comment_left(span_make(value.p + used,
							 value.len - used))) {
			say(msg, sizeof(msg), "text after the closing quote");
			err = EBADMSG;
		}
		if (err) {
			say(reason, size, "%s: %s: %s", where, fullkey, msg);
			free(unquoted);
			return err;
		}
		value = span_make(unquoted, n);
	} else {
		/* A '#' that starts the value or follows a blank starts a
		 * comment; ';' does not, as SIP URIs are full of them. */
		for (i = 0; i < value.len; i++)
			if (value.p[i] == '#' &&
			    (i == 0 || is_ws(value.p[i - 1])))
				break;
		value.len = i;
		while (value.len && is_ws(value.p[value.len - 1]))
			value.len--;
	}
	k = key_find(span_from_str(fullkey));
	if (k < 0) {
		conf_warn(ps->conf, "%s: unknown key '%s' (ignored)", where,
			  fullkey);
		err = 0;
	} else {
		bool secret = false;

		snprintf(origin, sizeof(origin), "%s:%s:%u", ps->kind, ps->name,
			 lineno);
		err = assign(ps->conf, (size_t)k, value, ps->layer, ps->source,
			     origin, where, false, &secret, reason, size);
		ps->secret_seen |= secret;
	}
	if (unquoted) {
		explicit_bzero(unquoted, value.len);
		free(unquoted);
	}
	return err;
}

static int parse_buffer(struct parse_state *ps, const char *data, size_t len,
			char *reason, size_t size)
{
	size_t pos = 0;
	unsigned lineno = 0;
	int err;

	if (len > CONF_MAX_FILE) {
		say(reason, size, "%s: larger than %d bytes", ps->name,
		    CONF_MAX_FILE);
		return E2BIG;
	}
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - data) : len;
		struct span line = span_make(data + pos, end - pos);

		pos = end + 1;
		lineno++;
		if (line.len > CONF_MAX_LINE) {
			say(reason, size, "%s:%u: line longer than %d bytes",
			    ps->name, lineno, CONF_MAX_LINE);
			return E2BIG;
		}
		if (line.len && line.p[line.len - 1] == '\r')
			line.len--;
		if (memchr(line.p, '\0', line.len)) {
			say(reason, size, "%s:%u: NUL byte", ps->name, lineno);
			return EBADMSG;
		}
		err = parse_line(ps, line, lineno, reason, size);
		if (err)
			return err;
	}
	return 0;
}

int conf_parse(struct conf *conf, const char *name, const char *data,
	       size_t len, char *reason, size_t reason_size)
{
	struct parse_state ps;

	if (conf == NULL || name == NULL || (data == NULL && len)) {
		say(reason, reason_size, "conf_parse: bad arguments");
		return EINVAL;
	}
	memset(&ps, 0, sizeof(ps));
	ps.conf = conf;
	ps.name = name;
	ps.kind = "file";
	ps.layer = CONF_LAYER_USER;
	ps.source = conf->next_source++;
	return parse_buffer(&ps, data, len, reason, reason_size);
}

/* Read a whole file of at most max bytes; *mode is 0 for anything but a
 * regular file (character devices such as /dev/null are allowed). */
static int file_slurp(const char *path, size_t max, char **datap,
		      size_t *lenp, mode_t *mode)
{
	struct stat st;
	size_t len = 0, cap = 4096;
	char *buf = NULL;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) != 0) {
		err = errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		err = EISDIR;
		goto out;
	}
	*mode = S_ISREG(st.st_mode) ? st.st_mode : 0;
	buf = malloc(cap);
	if (buf == NULL) {
		err = ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *bigger;

			if (cap > max) {
				err = E2BIG;
				goto out;
			}
			cap *= 2;
			bigger = realloc(buf, cap);
			if (bigger == NULL) {
				err = ENOMEM;
				goto out;
			}
			buf = bigger;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max)
		err = E2BIG;
out:
	close(fd);
	if (err) {
		if (buf)
			explicit_bzero(buf, len);
		free(buf);
		return err;
	}
	*datap = buf;
	*lenp = len;
	return 0;
}

static void warn_if_readable(struct conf *conf, const char *path, mode_t mode)
{
	if (mode & (S_IRGRP | S_IROTH))
		conf_warn(conf,
			  "%s holds a secret but is readable by %s (mode %04o); "
			  "chmod 600 it",
			  path,
			  (mode & S_IROTH) ? "everyone" : "its group",
			  (unsigned)(mode & 07777));
}

static int load_file(struct conf *conf, const char *path, const char *kind,
		     enum conf_layer layer, bool required, char *reason,
		     size_t size)
{
	struct parse_state ps;
	char *data = NULL;
	size_t len = 0;
	mode_t mode = 0;
	int err;

	err = file_slurp(path, CONF_MAX_FILE, &data, &len, &mode);
	if (err == E2BIG) {
		say(reason, size, "%s: larger than %d bytes", path,
		    CONF_MAX_FILE);
		return err;
	}
	if (err) {
		if (!required && (err == ENOENT || err == ENOTDIR))
			return 0;
		say(reason, size, "%s%s: %s",
		    layer == CONF_LAYER_PROFILE ? "profile " : "", path,
		    strerror(err));
		return err;
	}
	memset(&ps, 0, sizeof(ps));
	ps.conf = conf;
	ps.name = path;
	ps.kind = kind;
	ps.layer = layer;
	ps.source = conf->next_source++;
	err = parse_buffer(&ps, data, len, reason, size);
	if (!err && ps.secret_seen)
		warn_if_readable(conf, path, mode);
	explicit_bzero(data, len);
	free(data);
	return err;
}

/* ---- layers ---- */

static const char *env_get(char *const *env, const char *name)
{
	size_t n = strlen(name);

	for (; env && *env; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

/* $XDG_CONFIG_HOME/sipws or ~/.config/sipws; ENOENT when neither is set. */
static int config_dir(char *const *env, char *buf, size_t size)
{
	const char *xdg = env_get(env, "XDG_CONFIG_HOME");
	const char *home = env_get(env, "HOME");
	int n;

	/* The XDG spec says to ignore a relative XDG_CONFIG_HOME. */
	if (xdg && xdg[0] == '/')
		n = snprintf(buf, size, "%s/sipws", xdg);
	else if (home && home[0])
		n = snprintf(buf, size, "%s/.config/sipws", home);
	else
		return ENOENT;
	return n < 0 || (size_t)n >= size ? ENAMETOOLONG : 0;
}

static int load_profile(struct conf *conf, const struct conf_sources *src,
			char *reason, size_t size)
{
	const char *name = src->profile;
	char dir[PATH_MAX], path[PATH_MAX];
	int err;

	if (strchr(name, '/'))
		return load_file(conf, name, "profile", CONF_LAYER_PROFILE,
				 true, reason, size);
	if (name[0] == '\0' || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0) {
		say(reason, size, "profile '%s': not a profile name", name);
		return EINVAL;
	}
	err = config_dir(src->env, dir, sizeof(dir));
	if (err == ENOENT) {
		say(reason, size, "profile %s: neither XDG_CONFIG_HOME nor HOME "
				  "is set",
		    name);
		return ENOENT;
	}
	if (!err && (size_t)snprintf(path, sizeof(path), "%s/profiles/%s", dir,
				     name) >= sizeof(path))
		err = ENAMETOOLONG;
	if (err) {
		say(reason, size, "profile %s: %s", name, strerror(err));
		return err;
	}
	return load_file(conf, path, "profile", CONF_LAYER_PROFILE, true,
			 reason, size);
}

static int load_env(struct conf *conf, char *const *env, char *reason,
		    size_t size)
{
	size_t k;
	int err;

	for (k = 0; k < K_COUNT; k++) {
		char name[CONF_MAX_KEY + 8], origin[CONF_MAX_KEY + 16];
		const char *value;
		size_t len;

		conf_env_name(conf_keys[k].name, name, sizeof(name));
		value = env_get(env, name);
		/* An empty variable counts as unset, as in most tools. */
		if (value == NULL || value[0] == '\0')
			continue;
		len = strlen(value);
		snprintf(origin, sizeof(origin), "env:%s", name);
		if (len > CONF_MAX_LINE) {
			say(reason, size, "%s: %s: longer than %d bytes", origin,
			    conf_keys[k].name, CONF_MAX_LINE);
			return E2BIG;
		}
		err = assign(conf, k, span_make(value, len), CONF_LAYER_ENV,
			     conf->next_source++, origin, origin, false, NULL,
			     reason, size);
		if (err)
			return err;
	}
	return 0;
}

static int set_arg(struct conf *conf, const char *arg, char *reason,
		   size_t size)
{
	const char *eq = strchr(arg, '=');
	char key[CONF_MAX_KEY + 1];
	struct span name;

	name = eq ? span_trim(span_make(arg, (size_t)(eq - arg))) : SPAN_NULL;
	if (eq == NULL || name.len == 0) {
		say(reason, size, "command line: '%s': expected KEY=VALUE", arg);
		return EINVAL;
	}
	if (span_copy(name, key, sizeof(key)) != 0) {
		say(reason, size, "command line: key too long");
		return EINVAL;
	}
	return conf_set(conf, key, eq + 1, NULL, reason, size);
}

int conf_set(struct conf *conf, const char *key, const char *value,
	     const char *origin, char *reason, size_t reason_size)
{
	const char *where = origin ? origin : "command line";
	size_t len;
	int k;

	if (conf == NULL || key == NULL || value == NULL) {
		say(reason, reason_size, "conf_set: bad arguments");
		return EINVAL;
	}
	k = key_find(span_from_str(key));
	if (k < 0) {
		say(reason, reason_size, "%s: unknown key '%s'", where, key);
		return EINVAL;
	}
	len = strlen(value);
	if (len > CONF_MAX_LINE) {
		say(reason, reason_size, "%s: %s: longer than %d bytes", where,
		    key, CONF_MAX_LINE);
		return E2BIG;
	}
	return assign(conf, (size_t)k, span_make(value, len),
		      CONF_LAYER_CMDLINE, SOURCE_CMDLINE, where, where, true,
		      NULL, reason, reason_size);
}

int conf_load(struct conf *conf, const struct conf_sources *src, char *reason,
	      size_t reason_size)
{
	size_t i;
	int err = 0;

	if (conf == NULL || src == NULL) {
		say(reason, reason_size, "conf_load: bad arguments");
		return EINVAL;
	}
	if (src->config_file) {
		err = load_file(conf, src->config_file, "file", CONF_LAYER_USER,
				true, reason, reason_size);
	} else if (src->read_files) {
		const char *system = env_get(src->env, "SIPWS_SYSTEM_CONFIG");
		char dir[PATH_MAX], path[PATH_MAX];

		if (system == NULL || system[0] == '\0')
			system = CONF_SYSTEM_FILE;
		err = load_file(conf, system, "file", CONF_LAYER_SYSTEM, false,
				reason, reason_size);
		int derr = err ? err : config_dir(src->env, dir, sizeof(dir));

		if (derr == 0 &&
		    (size_t)snprintf(path, sizeof(path), "%s/config", dir) >=
			    sizeof(path))
			derr = ENAMETOOLONG;
		if (!err && derr == ENAMETOOLONG) {
			/* not skipped in silence: it may hold the account */
			say(reason, reason_size, "user configuration file: "
				    "XDG_CONFIG_HOME or HOME longer than a "
				    "path may be (%d bytes)", PATH_MAX);
			err = ENAMETOOLONG;
		} else if (!err && derr == 0) {
			err = load_file(conf, path, "file", CONF_LAYER_USER,
					false, reason, reason_size);
		}
	}
	if (!err && src->profile)
		err = load_profile(conf, src, reason, reason_size);
	if (!err && src->env)
		err = load_env(conf, src->env, reason, reason_size);
	for (i = 0; !err && i < src->nsets; i++)
		err = set_arg(conf, src->sets[i], reason, reason_size);
	if (!err)
		err = conf_check(conf, reason, reason_size);
	return err;
}

int conf_read_password(struct conf *conf, int fd)
{
	char buf[CONF_MAX_PASSWORD + 1];
	size_t len = 0;
	bool line_end = false;
	int err;

	if (conf == NULL)
		return EINVAL;
	/* One byte at a time: what follows the line stays unread. */
	while (len < sizeof(buf)) {
		ssize_t n = read(fd, buf + len, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			explicit_bzero(buf, sizeof(buf));
			return err;
		}
		if (n == 0)
			break;
		if (buf[len] == '\n') {
			line_end = true;
			break;
		}
		len++;
	}
	if (!line_end && len == sizeof(buf)) {
		explicit_bzero(buf, sizeof(buf));
		return E2BIG;
	}
	if (len && buf[len - 1] == '\r')
		len--;
	if (len == 0)
		return EINVAL;
	err = assign(conf, K_PASSWORD, span_make(buf, len), CONF_LAYER_CMDLINE,
		     SOURCE_CMDLINE, "stdin", "stdin", false, NULL, NULL, 0);
	explicit_bzero(buf, sizeof(buf));
	return err;
}

static bool password_file_wins(const struct conf *conf)
{
	const struct conf_value *pw = &conf->values[K_PASSWORD];
	const struct conf_value *pf = &conf->values[K_PASSWORD_FILE];

	if (pf->nitems == 0)
		return false;
	return pw->nitems == 0 || pf->layer > pw->layer;
}

/* Where a value came from, as reasons start: "/path:3", "env:SIPWS_X". */
static const char *origin_where(const char *origin)
{
	if (strncmp(origin, "file:", 5) == 0)
		return origin + 5;
	if (strncmp(origin, "profile:", 8) == 0)
		return origin + 8;
	return origin;
}

static int read_password_file(struct conf *conf, char *reason, size_t size)
{
	const struct conf_value *pf = &conf->values[K_PASSWORD_FILE];
	const char *path = pf->items[0].text;
	const char *where = origin_where(pf->origin);
	char *data = NULL, *nl, *copy = NULL, *pw;
	size_t len = 0, size_read;
	mode_t mode = 0;
	int err;

	if (conf->file_password_path &&
	    strcmp(conf->file_password_path, path) == 0)
		return 0;
	err = file_slurp(path, CONF_MAX_LINE, &data, &len, &mode);
	if (err == E2BIG) {
		say(reason, size, "%s: user.sip_auth_password_file: %s: larger "
				  "than %d bytes",
		    where, path, CONF_MAX_LINE);
		return err;
	}
	if (err) {
		say(reason, size, "%s: user.sip_auth_password_file: %s: %s",
		    where, path, strerror(err));
		return err;
	}
	size_read = len;
	nl = memchr(data, '\n', len);
	if (nl)
		len = (size_t)(nl - data);
	if (len && data[len - 1] == '\r')
		len--;
	if (len == 0 || len > CONF_MAX_PASSWORD ||
	    has_control(span_make(data, len)) || memchr(data, '\0', len)) {
		say(reason, size, "%s: user.sip_auth_password_file: %s: the "
				  "first line must be the password (1..%d "
				  "bytes, no control characters)",
		    where, path, CONF_MAX_PASSWORD);
		err = EINVAL;
		goto out;
	}
	pw = span_dup(span_make(data, len));
	copy = strdup(path);
	if (pw == NULL || copy == NULL) {
		free_secret(pw);
		free(copy);
		say(reason, size, "out of memory");
		err = ENOMEM;
		goto out;
	}
	free_secret(conf->file_password);
	free(conf->file_password_path);
	conf->file_password = pw;
	conf->file_password_path = copy;
	warn_if_readable(conf, path, mode);
out:
	explicit_bzero(data, size_read);
	free(data);
	return err;
}

int conf_check(struct conf *conf, char *reason, size_t reason_size)
{
	const struct conf_value *min, *max, *ha1, *alg;

	if (conf == NULL)
		return EINVAL;
	min = &conf->values[K_WS_MIN_INTERVAL];
	max = &conf->values[K_WS_MAX_INTERVAL];
	/* Blame whichever of the two was set last (the higher layer). */
	if (max->num < min->num && max->layer >= min->layer) {
		say(reason, reason_size, "%s: %s: %lld is less than %s (%lld)",
		    origin_where(max->origin), conf_keys[K_WS_MAX_INTERVAL].name,
		    max->num, conf_keys[K_WS_MIN_INTERVAL].name, min->num);
		return EINVAL;
	}
	if (max->num < min->num) {
		say(reason, reason_size, "%s: %s: %lld is more than %s (%lld)",
		    origin_where(min->origin), conf_keys[K_WS_MIN_INTERVAL].name,
		    min->num, conf_keys[K_WS_MAX_INTERVAL].name, max->num);
		return EINVAL;
	}
	ha1 = &conf->values[K_HA1];
	alg = &conf->values[K_HA1_ALGORITHM];
	if (ha1->nitems) {
		size_t want = alg->num == 0 ? 32 : 64;

		if (strlen(ha1->items[0].text) != want) {
			say(reason, reason_size,
			    "%s: %s: %s needs %zu hexadecimal digits",
			    origin_where(ha1->origin), conf_keys[K_HA1].name,
			    ha1_algorithms[alg->num], want);
			return EINVAL;
		}
		/* H(user:realm:password) answers that one realm only */
		if (!conf->values[K_AUTH_REALM].nitems) {
			say(reason, reason_size,
			    "%s: %s: needs %s, the realm it was computed for",
			    origin_where(ha1->origin), conf_keys[K_HA1].name,
			    conf_keys[K_AUTH_REALM].name);
			return EINVAL;
		}
	}
	if (password_file_wins(conf)) {
		int err = read_password_file(conf, reason, reason_size);

		if (err)
			return err;
	}
	derive(conf);
	return 0;
}

/* ---- access ---- */

static const struct conf_value *lookup(const struct conf *conf,
				       const char *key, int *kp)
{
	int k;

	if (conf == NULL || key == NULL)
		return NULL;
	k = key_find(span_from_str(key));
	if (k < 0)
		return NULL;
	*kp = k;
	return &conf->values[k];
}

int conf_get_str(const struct conf *conf, const char *key, const char **value)
{
	int k;
	const struct conf_value *v = lookup(conf, key, &k);

	if (v == NULL || key_is_list((size_t)k))
		return EINVAL;
	if (v->nitems == 0)
		return ENOENT;
	*value = v->items[0].text;
	return 0;
}

int conf_get_int(const struct conf *conf, const char *key, long long *value)
{
	int k;
	const struct conf_value *v = lookup(conf, key, &k);

	if (v == NULL || conf_keys[k].type != TYPE_INT)
		return EINVAL;
	if (v->nitems == 0)
		return ENOENT;
	*value = v->num;
	return 0;
}

int conf_get_bool(const struct conf *conf, const char *key, bool *value)
{
	int k;
	const struct conf_value *v = lookup(conf, key, &k);

	if (v == NULL || conf_keys[k].type != TYPE_BOOL)
		return EINVAL;
	if (v->nitems == 0)
		return ENOENT;
	*value = v->num != 0;
	return 0;
}

int conf_get_list(const struct conf *conf, const char *key,
		  const char *const **items, size_t *count)
{
	int k;
	const struct conf_value *v = lookup(conf, key, &k);

	if (v == NULL || !key_is_list((size_t)k))
		return EINVAL;
	*items = v->texts;
	*count = v->nitems;
	return 0;
}

const char *conf_origin(const struct conf *conf, const char *key)
{
	int k;
	const struct conf_value *v = lookup(conf, key, &k);

	return v ? v->origin : NULL;
}

int conf_ws_server(const struct conf *conf, size_t i,
		   struct conf_ws_server *server)
{
	const struct conf_value *v;

	if (conf == NULL || server == NULL)
		return EINVAL;
	v = &conf->values[K_WS_SERVERS];
	if (i >= v->nitems)
		return ENOENT;
	server->url = v->items[i].url;
	server->weight = v->items[i].weight;
	return 0;
}

int conf_auth_user(const struct conf *conf, const char **user)
{
	if (conf == NULL || user == NULL)
		return EINVAL;
	if (conf->values[K_AUTH_USER].nitems) {
		*user = conf->values[K_AUTH_USER].items[0].text;
		return 0;
	}
	if (conf->derived[DERIVED_AUTH_USER] == NULL)
		return ENOENT;
	*user = conf->derived[DERIVED_AUTH_USER];
	return 0;
}

int conf_password(const struct conf *conf, const char **password)
{
	if (conf == NULL || password == NULL)
		return EINVAL;
	if (password_file_wins(conf)) {
		if (conf->file_password == NULL)
			return ENOENT;
		*password = conf->file_password;
		return 0;
	}
	if (conf->values[K_PASSWORD].nitems == 0)
		return ENOENT;
	*password = conf->values[K_PASSWORD].items[0].text;
	return 0;
}

int conf_registration_server(const struct conf *conf, const char **uri)
{
	if (conf == NULL || uri == NULL)
		return EINVAL;
	if (conf->values[K_REG_SERVER].nitems) {
		*uri = conf->values[K_REG_SERVER].items[0].text;
		return 0;
	}
	if (conf->derived[DERIVED_REGISTRAR] == NULL)
		return ENOENT;
	*uri = conf->derived[DERIVED_REGISTRAR];
	return 0;
}

int conf_turn_server(const struct conf *conf, size_t i,
		     struct conf_turn_server *server)
{
	const struct conf_item *it;

	if (conf == NULL || server == NULL)
		return EINVAL;
	if (i >= conf->values[K_TURN_SERVERS].nitems)
		return ENOENT;
	it = &conf->values[K_TURN_SERVERS].items[i];
	server->url = it->url;
	if (it->username) {
		server->username = it->username;
		server->password = it->password;
		server->sip_credentials = false;
		return 0;
	}
	/* JSCommunicator gives a TURN server without credentials the SIP
	 * account's. */
	server->sip_credentials = true;
	if (conf_auth_user(conf, &server->username) != 0)
		server->username = NULL;
	if (conf_password(conf, &server->password) != 0)
		server->password = NULL;
	return 0;
}

size_t conf_warning_count(const struct conf *conf)
{
	return conf ? conf->nwarnings : 0;
}

const char *conf_warning(const struct conf *conf, size_t i)
{
	return conf && i < conf->nwarnings ? conf->warnings[i] : NULL;
}

int conf_entry(const struct conf *conf, const char *key,
	       struct conf_entry *entry)
{
	int k;
	const struct conf_value *v = lookup(conf, key, &k);

	if (v == NULL || entry == NULL)
		return EINVAL;
	entry->key = conf_keys[k].name;
	entry->values = v->shown;
	entry->nvalues = v->nitems;
	entry->origin = v->origin;
	entry->list = key_is_list((size_t)k);
	entry->secret = (conf_keys[k].flags & KEY_SECRET) != 0;
	entry->derived = false;
	if (v->nitems == 0 && (k == K_AUTH_USER || k == K_REG_SERVER)) {
		size_t d = k == K_AUTH_USER ? DERIVED_AUTH_USER
					    : DERIVED_REGISTRAR;

		if (conf->derived[d]) {
			entry->values = &conf->derived[d];
			entry->nvalues = 1;
			entry->origin = ORIGIN_DERIVED;
			entry->derived = true;
		}
	}
	return 0;
}

int conf_quote(const char *value, char *buf, size_t size)
{
	size_t n = strlen(value), i, j = 0;
	bool quote = false;

	if (n) {
		quote = is_ws(value[0]) || is_ws(value[n - 1]) ||
			value[0] == '"' || value[0] == '#';
		for (i = 0; i < n && !quote; i++)
			quote = (value[i] == '#' && i && is_ws(value[i - 1])) ||
				has_control(span_make(value + i, 1));
	}
	if (!quote)
		return span_copy(span_make(value, n), buf, size);
	if (size < 3)
		return ENOSPC;
	buf[j++] = '"';
	for (i = 0; i < n; i++) {
		char c = value[i], esc = 0;

		if (c == '"' || c == '\\')
			esc = c;
		else if (c == '\n')
			esc = 'n';
		else if (c == '\t')
			esc = 't';
		if (j + (esc ? 2 : 1) + 2 > size) {
			buf[j] = '\0';
			return ENOSPC;
		}
		if (esc) {
			buf[j++] = '\\';
			buf[j++] = esc;
		} else {
			buf[j++] = c;
		}
	}
	buf[j++] = '"';
	buf[j] = '\0';
	return 0;
}
