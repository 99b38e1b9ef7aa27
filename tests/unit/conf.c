/* The configuration module: file syntax, types and ranges, layers and
 * origins, secrets, permission warnings, derived values and limits. */
#include "conf.h"
#include "tap/basic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/sipws-conf-XXXXXX";

static struct conf *new_conf(void)
{
	struct conf *conf = NULL;

	if (conf_alloc(&conf) != 0)
		bail("conf_alloc failed");
	return conf;
}

/* Parse text as a file named "test"; NULL when it fails. */
static struct conf *parse_text(const char *text, int *errp, char *reason,
			       size_t size)
{
	struct conf *conf = new_conf();
	int err = conf_parse(conf, "test", text, strlen(text), reason, size);

	if (!err)
		err = conf_check(conf, reason, size);
	if (errp)
		*errp = err;
	if (err) {
		conf_free(conf);
		return NULL;
	}
	return conf;
}

static const char *get(const struct conf *conf, const char *key)
{
	const char *v = NULL;

	return conf_get_str(conf, key, &v) == 0 ? v : NULL;
}

/* The shown (masked) values of a key joined with '|'. */
static const char *shown(const struct conf *conf, const char *key)
{
	static char buf[8192];
	struct conf_entry e;
	size_t i, n = 0;

	buf[0] = '\0';
	if (conf_entry(conf, key, &e) != 0)
		return "(unknown key)";
	for (i = 0; i < e.nvalues; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
				      i ? "|" : "", e.values[i]);
	return buf;
}

static void write_file(const char *rel, const char *text, mode_t mode)
{
	char path[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	for (slash = strchr(path + strlen(tmpdir) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
	}
	f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		bail("cannot write %s", path);
	chmod(path, mode);
}

static const char *tmp_path(const char *rel)
{
	static char path[4][512];
	static int slot;

	slot = (slot + 1) % 4;
	snprintf(path[slot], sizeof(path[slot]), "%s/%s", tmpdir, rel);
	return path[slot];
}

/* ---- syntax that parses ---- */

static const struct {
	const char *text;
	const char *key;
	const char *want; /* shown value(s), '|'-joined; "" for none */
	const char *title;
} good[] = {
	{"user.uri = sip:alice@example.org\n", "user.uri",
	 "sip:alice@example.org", "dotted key at top level"},
	{"[user]\nuri = sip:alice@example.org\n", "user.uri",
	 "sip:alice@example.org", "key in a section"},
	{"[ user ] # the account\n  uri=sip:a@b.example\n", "user.uri",
	 "sip:a@b.example", "section with blanks and a comment, no blanks around ="},
	{"user.display_name = Bob the Builder\n", "user.display_name",
	 "Bob the Builder", "inner blanks kept"},
	{"user.display_name = Bob # a comment\n", "user.display_name", "Bob",
	 "comment after a value"},
	{"user.display_name = Bob#1\n", "user.display_name", "Bob#1",
	 "'#' inside a word is text"},
	{"user.display_name = \"  Bob # 1 \"\n", "user.display_name",
	 "  Bob # 1 ", "quotes keep blanks and '#'"},
	{"user.display_name = \"say \\\"hi\\\" \\\\ o\\tk\" # c\n",
	 "user.display_name", "say \"hi\" \\ o\tk", "escapes in quotes"},
	{"user.display_name = \"\"\n", "user.display_name", "",
	 "empty quotes: no value"},
	{"user.display_name = B \"x\"\n", "user.display_name", "B \"x\"",
	 "quotes inside an unquoted value are text"},
	{"registration.server = sip:reg.example;transport=ws\n",
	 "registration.server", "sip:reg.example;transport=ws",
	 "';' inside a value is text"},
	{"; a comment\n# another\n\n   \nuser.display_name=x\n",
	 "user.display_name", "x", "comments and blank lines"},
	{"user.display_name = crlf\r\n", "user.display_name", "crlf",
	 "CRLF line ends"},
	{"user.display_name = last line", "user.display_name", "last line",
	 "no final newline"},
	{"user.display_name = a\nuser.display_name = b\n", "user.display_name",
	 "b", "a scalar set twice keeps the last"},
	{"tls.insecure = yes\n", "tls.insecure", "true", "yes"},
	{"tls.insecure = ON\n", "tls.insecure", "true", "ON"},
	{"tls.insecure = 1\n", "tls.insecure", "true", "1"},
	{"tls.insecure = off\n", "tls.insecure", "false", "off"},
	{"tls.insecure = No\n", "tls.insecure", "false", "No"},
	{"session.require_relay_candidate = 0\n",
	 "session.require_relay_candidate", "false", "0"},
	{"registration.expiry = 0600\n", "registration.expiry", "600",
	 "leading zeros dropped"},
	{"registration.expiry = 2147483647\n", "registration.expiry",
	 "2147483647", "largest expiry"},
	{"session.dtmf_duration = 40\n", "session.dtmf_duration", "40",
	 "shortest DTMF"},
	{"user.sip_auth_ha1_algorithm = sha-256\nuser.sip_auth_realm = x\n"
	 "user.sip_auth_ha1 = "
	 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
	 "user.sip_auth_ha1_algorithm", "SHA-256", "algorithm in normal case"},
	{"user.sip_auth_realm = example.org\nuser.sip_auth_ha1 = "
	 "0123456789abcdef0123456789abcdef\n",
	 "user.sip_auth_realm", "example.org", "the realm of an HA1"},
	{"websocket.servers = wss://a.example/ws weight=10, "
	 "ws://b.example:8080\n",
	 "websocket.servers", "wss://a.example/ws weight=10|ws://b.example:8080",
	 "WebSocket list with a weight"},
	{"websocket.servers = wss://a.example\nwebsocket.servers = "
	 "wss://b.example\n",
	 "websocket.servers", "wss://a.example|wss://b.example",
	 "a list key repeated in one file adds"},
	{"session.ice_addresses = 127.0.0.1, ::1\n", "session.ice_addresses",
	 "127.0.0.1|::1", "ICE addresses, IPv4 and IPv6"},
	{"stun_servers = stun:stun.example, stuns:[2001:db8::1]:5349\n",
	 "stun_servers", "stun:stun.example|stuns:[2001:db8::1]:5349",
	 "STUN list"},
	{"turn_servers = turn:t.example?transport=tcp username=u password=p, "
	 "turns:t2.example:5349\n",
	 "turn_servers",
	 "turn:t.example?transport=tcp username=u password=********|"
	 "turns:t2.example:5349",
	 "TURN list, password masked"},
	{"extra_headers = X-Token: abc, def\nextra_headers = X-Other:1\n",
	 "extra_headers", "X-Token: abc, def|X-Other: 1",
	 "headers are one per line, commas kept"},
	{"extra_headers = \"X-A: 1\\nX-B: 2\"\n", "extra_headers",
	 "X-A: 1|X-B: 2", "\\n separates headers"},
	{"websocket.servers =\n", "websocket.servers", "", "empty list"},
	{"user.sip_auth_password = hunter2\n", "user.sip_auth_password",
	 CONF_MASK, "password masked"},
	{"user_agent =\n", "user_agent", "", "an empty value removes a default"},
};

static void test_good(void)
{
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char reason[512] = "";
		int err;
		struct conf *conf = parse_text(good[i].text, &err, reason,
					       sizeof(reason));

		if (!ok(conf != NULL, "parses: %s", good[i].title)) {
			diag("reason: %s", reason);
			continue;
		}
		is_string(good[i].want, shown(conf, good[i].key), "value: %s",
			  good[i].title);
		conf_free(conf);
	}
}

/* ---- what is rejected, and the reason names file, line and key ---- */

static const struct {
	const char *text;
	int err;
	const char *reason; /* must appear in the reason */
} bad[] = {
	{"\n\nuser.uri = nope\n", EINVAL, "test:3: user.uri: not a SIP URI"},
	{"user.uri = tel:+15550100\n", EINVAL,
	 "test:1: user.uri: not a sip: or sips: URI"},
	{"user.uri = sip:example.org\n", EINVAL, "needs a user part"},
	{"registration.server = http://x.example/\n", EINVAL,
	 "registration.server: not a sip: or sips: URI"},
	{"registration.expiry = 0\n", ERANGE,
	 "test:1: registration.expiry: out of range (1..2147483647)"},
	{"registration.expiry = 2147483648\n", ERANGE, "out of range"},
	{"registration.expiry = 99999999999999999999999\n", ERANGE,
	 "out of range"},
	{"registration.expiry = -1\n", EINVAL, "'-1' is not a number"},
	{"registration.expiry =\n", EINVAL, "registration.expiry: empty value"},
	{"session.dtmf_duration = 39\n", ERANGE, "out of range (40..6000)"},
	{"session.dtmf_duration = 6001\n", ERANGE, "out of range"},
	{"dialing.no_answer_timeout = 1m\n", EINVAL, "is not a number"},
	{"tls.insecure = maybe\n", EINVAL, "tls.insecure: 'maybe' is not a boolean"},
	{"user.sip_auth_ha1_algorithm = SHA1\n", EINVAL,
	 "must be MD5, SHA-256 or SHA-512-256"},
	{"user.sip_auth_ha1 = xyz\n", EINVAL, "not 32 or 64 hexadecimal"},
	{"user.sip_auth_ha1 = "
	 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
	 EINVAL, "test:1: user.sip_auth_ha1: MD5 needs 32 hexadecimal digits"},
	{"user.sip_auth_ha1 = 0123456789abcdef0123456789abcdef\n", EINVAL,
	 "test:1: user.sip_auth_ha1: needs user.sip_auth_realm, the realm it "
	 "was computed for"},
	{"[user\n", EBADMSG, "test:1: missing ']'"},
	{"[User]\n", EBADMSG, "bad section name"},
	{"[user] x\n", EBADMSG, "text after ']'"},
	{"User.uri = sip:a@b\n", EBADMSG, "test:1: bad key 'User.uri'"},
	{"user..uri = x\n", EBADMSG, "bad key"},
	{"user.uri sip:a@b\n", EBADMSG, "expected '=' after 'user.uri'"},
	{"= x\n", EBADMSG, "bad key"},
	{"user.display_name = \"abc\n", EBADMSG,
	 "test:1: user.display_name: missing closing quote"},
	{"user.display_name = \"a\\q\"\n", EBADMSG, "unknown escape '\\q'"},
	{"user.display_name = \"a\" b\n", EBADMSG, "text after the closing quote"},
	{"user.display_name = \"a\\nb\"\n", EINVAL, "control character"},
	{"user.display_name = a\x01\n", EINVAL, "control character"},
	{"websocket.servers = http://a.example\n", EINVAL,
	 "websocket.servers: 'http://a.example': not a WebSocket URL"},
	{"websocket.servers = wss://a.example weight=x\n", EINVAL,
	 "bad weight 'x'"},
	{"websocket.servers = wss://a.example weight=70000\n", EINVAL,
	 "bad weight"},
	{"websocket.servers = wss://a.example weight=1 weight=2\n", EINVAL,
	 "weight given twice"},
	{"websocket.servers = wss://a.example prio=1\n", EINVAL,
	 "unknown parameter 'prio=1'"},
	{"websocket.servers = wss://a.example,\n", EINVAL, "empty entry"},
	{"websocket.connection_recovery_min_interval = 60\n", EINVAL,
	 "test:1: websocket.connection_recovery_min_interval: 60 is more than "
	 "websocket.connection_recovery_max_interval (30)"},
	{"websocket.connection_recovery_min_interval = 60\n"
	 "websocket.connection_recovery_max_interval = 59\n",
	 EINVAL,
	 "test:2: websocket.connection_recovery_max_interval: 59 is less than "
	 "websocket.connection_recovery_min_interval (60)"},
	{"websocket.preferred_probe_interval = 86401\n", ERANGE,
	 "test:1: websocket.preferred_probe_interval: out of range (0..86400)"},
	{"websocket.preferred_probe_interval = -1\n", EINVAL,
	 "'-1' is not a number"},
	{"stun_servers = turn:x.example\n", EINVAL, "not a stun: or stuns: URL"},
	{"session.ice_addresses = eth0\n", EINVAL,
	 "'eth0': not an IPv4 or IPv6 address"},
	{"stun_servers = stun:x.example:0\n", EINVAL, "bad port"},
	{"stun_servers = stun:x_y.example\n", EINVAL, "bad character in host"},
	{"stun_servers = stun:[::1\n", EINVAL, "missing ']'"},
	{"turn_servers = turn:t.example username=u\n", EINVAL,
	 "give both username= and password="},
	{"turn_servers = turn:t.example?transport=sctp\n", EINVAL,
	 "?transport=udp or ?transport=tcp"},
	{"turn_servers = turn:t.example password=topsecret user=x\n", EINVAL,
	 "'turn:t.example': unknown parameter"},
	{"extra_headers = Via: SIP/2.0/WSS x\n", EINVAL,
	 "Via is written by sipws itself"},
	{"extra_headers = i: 1\n", EINVAL, "Call-ID is written by sipws"},
	{"extra_headers = just text\n", EINVAL, "not a 'Name: value' header"},
};

static void test_bad(void)
{
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char reason[512] = "";
		struct conf *conf = new_conf();
		const char *text = bad[i].text;
		size_t len = strlen(text);
		int err;

		err = conf_parse(conf, "test", text, len, reason,
				 sizeof(reason));
		if (!err)
			err = conf_check(conf, reason, sizeof(reason));
		is_int(bad[i].err, err, "rejected: %s", bad[i].reason);
		if (!ok(strstr(reason, bad[i].reason) != NULL,
			"reason has '%s'", bad[i].reason))
			diag("reason: %s", reason);
		conf_free(conf);
	}
}

static void test_nul(void)
{
	static const char text[] = "x = 1\nuser.display_name = a\0b\n";
	char reason[256] = "";
	struct conf *conf = new_conf();

	is_int(EBADMSG, conf_parse(conf, "test", text, sizeof(text) - 1, reason,
				   sizeof(reason)),
	       "a NUL byte is refused");
	is_string("test:2: NUL byte", reason, "reason names the line");
	conf_free(conf);
}

static void test_secret_not_in_reason(void)
{
	char reason[512] = "";
	int err;

	ok(parse_text("turn_servers = turn:t.example username=u "
		      "password=topsecret extra\n",
		      &err, reason, sizeof(reason)) == NULL,
	   "a bad TURN entry is rejected");
	ok(strstr(reason, "topsecret") == NULL,
	   "its reason does not show the password (%s)", reason);
}

/* ---- limits ---- */

static void test_limits(void)
{
	char reason[512] = "";
	char *text;
	size_t i, n;
	int err;

	n = CONF_MAX_LINE + 40;
	text = malloc(n + 1);
	if (text == NULL)
		bail("out of memory");
	memset(text, 'x', n);
	memcpy(text, "user.display_name = ", 20);
	text[n] = '\0';
	ok(parse_text(text, &err, reason, sizeof(reason)) == NULL &&
		   err == E2BIG && strstr(reason, "test:1: line longer than 4096"),
	   "a line over %d bytes is refused (%s)", CONF_MAX_LINE, reason);
	text[CONF_MAX_LINE] = '\0';
	{
		struct conf *conf = parse_text(text, &err, reason, sizeof(reason));

		ok(conf != NULL, "a line of exactly %d bytes is fine", CONF_MAX_LINE);
		conf_free(conf);
	}
	free(text);

	n = (CONF_MAX_ENTRIES + 1) * 7;
	text = malloc(n + 1);
	if (text == NULL)
		bail("out of memory");
	text[n] = '\0';
	for (i = 0; i < CONF_MAX_ENTRIES + 1; i++)
		memcpy(text + 7 * i, "ab = 1\n", 7);
	ok(parse_text(text, &err, reason, sizeof(reason)) == NULL && err == E2BIG &&
		   strstr(reason, "more than 1024 entries"),
	   "more than %d entries in a file are refused (%s)", CONF_MAX_ENTRIES,
	   reason);
	free(text);

	n = CONF_MAX_FILE + 1;
	text = malloc(n + 1);
	if (text == NULL)
		bail("out of memory");
	memset(text, '\n', n);
	text[n] = '\0';
	ok(parse_text(text, &err, reason, sizeof(reason)) == NULL && err == E2BIG &&
		   strstr(reason, "larger than"),
	   "a file over 1 MiB is refused (%s)", reason);
	free(text);

	/* 65 entries in one list */
	text = malloc(65 * 40 + 64);
	if (text == NULL)
		bail("out of memory");
	strcpy(text, "stun_servers = stun:s0.example");
	for (i = 1; i < 65; i++)
		sprintf(text + strlen(text), ", stun:s%zu.example", i);
	strcat(text, "\n");
	ok(parse_text(text, &err, reason, sizeof(reason)) == NULL &&
		   err == E2BIG && strstr(reason, "more than 64 entries"),
	   "a list over %d entries is refused (%s)", CONF_MAX_ITEMS, reason);
	free(text);
}

/* ---- warnings ---- */

static void test_unknown_keys(void)
{
	char reason[512] = "";
	int err;
	struct conf *conf = parse_text("colour = blue\n[user]\nuri = "
				       "sip:a@b.example\nnickname = x\n",
				       &err, reason, sizeof(reason));

	if (!ok(conf != NULL, "unknown keys are not an error"))
		return;
	is_int(2, (long long)conf_warning_count(conf), "two warnings");
	is_string("test:1: unknown key 'colour' (ignored)", conf_warning(conf, 0),
		  "warning names file, line and key");
	is_string("test:4: unknown key 'user.nickname' (ignored)",
		  conf_warning(conf, 1), "section keys are named in full");
	ok(conf_warning(conf, 2) == NULL, "no third warning");
	conf_free(conf);
}

static void test_many_warnings(void)
{
	char text[4096] = "";
	char reason[256];
	int i, err;
	struct conf *conf;

	for (i = 0; i < 100; i++)
		strcat(text, "nope = 1\n");
	conf = parse_text(text, &err, reason, sizeof(reason));
	if (!ok(conf != NULL, "100 unknown keys parse"))
		return;
	is_int(CONF_MAX_WARNINGS, (long long)conf_warning_count(conf),
	       "warnings are capped");
	is_string("more warnings not shown",
		  conf_warning(conf, CONF_MAX_WARNINGS - 1),
		  "the last says so");
	conf_free(conf);
}

/* ---- defaults ---- */

static const struct {
	const char *key;
	const char *want;
} defaults[] = {
	{"websocket.servers", ""},
	{"websocket.connection_recovery_min_interval", "2"},
	{"websocket.connection_recovery_max_interval", "30"},
	{"websocket.preferred_probe_interval", "60"},
	{"user.sip_auth_ha1_algorithm", "MD5"},
	{"user.sip_auth_user_full_uri", "true"},
	{"registration.expiry", "600"},
	{"dialing.no_answer_timeout", "60"},
	{"session.dtmf_duration", "100"},
	{"session.require_relay_candidate", "false"},
	{"tls.insecure", "false"},
	{"user.uri", ""},
};

static void test_defaults(void)
{
	struct conf *conf = new_conf();
	long long n = 0;
	bool b = true;
	const char *s = NULL;
	const char *const *list = NULL;
	size_t i, count = 9;

	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		is_string(defaults[i].want, shown(conf, defaults[i].key),
			  "default %s", defaults[i].key);
		is_string("default", conf_origin(conf, defaults[i].key),
			  "origin of %s is default", defaults[i].key);
	}
	ok(conf_get_int(conf, "registration.expiry", &n) == 0 && n == 600,
	   "conf_get_int");
	ok(conf_get_bool(conf, "tls.insecure", &b) == 0 && !b, "conf_get_bool");
	is_int(ENOENT, conf_get_str(conf, "user.uri", &s), "unset: ENOENT");
	is_int(EINVAL, conf_get_str(conf, "no.such", &s), "unknown: EINVAL");
	is_int(EINVAL, conf_get_int(conf, "user.uri", &n), "wrong type: EINVAL");
	is_int(EINVAL, conf_get_bool(conf, "registration.expiry", &b),
	       "wrong type for bool: EINVAL");
	is_int(EINVAL, conf_get_str(conf, "stun_servers", &s),
	       "a list is not a string");
	ok(conf_get_list(conf, "stun_servers", &list, &count) == 0 && count == 0,
	   "empty list");
	ok(strncmp(shown(conf, "user_agent"), "sipws/", 6) == 0,
	   "user_agent default names sipws");
	ok(conf_origin(conf, "nope") == NULL, "no origin for an unknown key");
	is_int(ENOENT, conf_auth_user(conf, &s), "no auth user");
	is_int(ENOENT, conf_password(conf, &s), "no password");
	is_int(ENOENT, conf_registration_server(conf, &s), "no registrar");
	conf_free(conf);
}

static void test_key_table(void)
{
	char name[128];

	is_int(26, (long long)conf_key_count(), "26 keys");
	is_string("websocket.servers", conf_key_name(0), "first key");
	ok(conf_key_name(conf_key_count()) == NULL, "past the end");
	ok(conf_key_known("user.uri") && !conf_key_known("user.url") &&
		   !conf_key_known(NULL),
	   "conf_key_known");
	ok(conf_key_secret("user.sip_auth_password") &&
		   conf_key_secret("user.sip_auth_ha1") &&
		   !conf_key_secret("user.uri") && !conf_key_secret("turn_servers"),
	   "conf_key_secret");
	ok(conf_env_name("user.sip_auth_password", name, sizeof(name)) == 0 &&
		   strcmp(name, "SIPWS_USER_SIP_AUTH_PASSWORD") == 0,
	   "env name of the password");
	ok(conf_env_name("websocket.connection_recovery_max_interval", name,
			 sizeof(name)) == 0 &&
		   strcmp(name, "SIPWS_WEBSOCKET_CONNECTION_RECOVERY_MAX_INTERVAL") == 0,
	   "env name of a long key");
	ok(conf_env_name("stun_servers", name, sizeof(name)) == 0 &&
		   strcmp(name, "SIPWS_STUN_SERVERS") == 0,
	   "env name of a top-level key");
	is_int(ENOSPC, conf_env_name("user.uri", name, 10), "small buffer");
	is_int(EINVAL, conf_env_name("user.url", name, sizeof(name)),
	       "unknown key");
}

/* ---- layers ---- */

static void test_layers(void)
{
	char reason[512] = "";
	char xdg[600], sys[600], home[600];
	struct conf_sources src;
	struct conf *conf;
	int err;

	write_file("etc/config",
		   "user.display_name = system\nwebsocket.origin = system\n"
		   "user.sip_auth_user = system\ntls.ca_file = /system\n"
		   "user_agent = system\nextra_headers = X-Sys: 1\n",
		   0644);
	write_file("cfg/sipws/config",
		   "user.display_name = user\nwebsocket.origin = user\n"
		   "user.sip_auth_user = user\ntls.ca_file = /user\n",
		   0644);
	write_file("cfg/sipws/profiles/work",
		   "# work\n[user]\ndisplay_name = profile\nsip_auth_user = "
		   "profile\n[websocket]\norigin = profile\n",
		   0644);
	snprintf(sys, sizeof(sys), "SIPWS_SYSTEM_CONFIG=%s", tmp_path("etc/config"));
	snprintf(xdg, sizeof(xdg), "XDG_CONFIG_HOME=%s", tmp_path("cfg"));
	snprintf(home, sizeof(home), "HOME=%s", tmp_path("home"));
	{
		char *env[] = {sys, xdg, home, "SIPWS_USER_DISPLAY_NAME=env",
			       "SIPWS_WEBSOCKET_ORIGIN=env",
			       "SIPWS_REGISTRATION_EXPIRY=", "PATH=/bin", NULL};
		const char *sets[] = {"user.display_name=cmdline",
				      "extra_headers=X-A: 1",
				      "extra_headers=X-B: 2"};
		char where[700];

		memset(&src, 0, sizeof(src));
		src.env = env;
		src.read_files = true;
		src.profile = "work";
		src.sets = sets;
		src.nsets = 3;
		conf = new_conf();
		err = conf_load(conf, &src, reason, sizeof(reason));
		if (!is_int(0, err, "all layers load"))
			diag("reason: %s", reason);
		is_string("cmdline", shown(conf, "user.display_name"),
			  "command line beats the environment");
		is_string("command line", conf_origin(conf, "user.display_name"),
			  "origin: command line");
		is_string("env", shown(conf, "websocket.origin"),
			  "environment beats the profile");
		is_string("env:SIPWS_WEBSOCKET_ORIGIN",
			  conf_origin(conf, "websocket.origin"), "origin: env");
		is_string("profile", shown(conf, "user.sip_auth_user"),
			  "profile beats the user file");
		snprintf(where, sizeof(where), "profile:%s:4",
			 tmp_path("cfg/sipws/profiles/work"));
		is_string(where, conf_origin(conf, "user.sip_auth_user"),
			  "origin: profile with line");
		is_string("/user", shown(conf, "tls.ca_file"),
			  "user file beats the system file");
		snprintf(where, sizeof(where), "file:%s:4",
			 tmp_path("cfg/sipws/config"));
		is_string(where, conf_origin(conf, "tls.ca_file"),
			  "origin: user file with line");
		is_string("system", shown(conf, "user_agent"),
			  "system file beats the defaults");
		snprintf(where, sizeof(where), "file:%s:5",
			 tmp_path("etc/config"));
		is_string(where, conf_origin(conf, "user_agent"),
			  "origin: system file with line");
		is_string("600", shown(conf, "registration.expiry"),
			  "an empty variable is ignored");
		is_string("X-A: 1|X-B: 2", shown(conf, "extra_headers"),
			  "--set twice adds to a list, replacing the file's");
		is_int(0, (long long)conf_warning_count(conf),
		       "no warnings without secrets");
		conf_free(conf);

		/* -c replaces both files; the profile still applies. */
		write_file("other", "user.display_name = other\n", 0600);
		src.config_file = tmp_path("other");
		src.sets = NULL;
		src.nsets = 0;
		env[3] = "X=1";
		env[4] = "Y=1";
		conf = new_conf();
		err = conf_load(conf, &src, reason, sizeof(reason));
		is_int(0, err, "-c loads");
		is_string("profile", shown(conf, "user.display_name"),
			  "profile over -c file");
		is_string("", shown(conf, "tls.ca_file"),
			  "-c hides the user file");
		ok(strncmp(shown(conf, "user_agent"), "sipws/", 6) == 0,
		   "-c hides the system file");
		conf_free(conf);

		/* a missing -c file is an error */
		src.config_file = tmp_path("missing");
		conf = new_conf();
		err = conf_load(conf, &src, reason, sizeof(reason));
		is_int(ENOENT, err, "missing -c file: ENOENT");
		ok(strstr(reason, "missing: No such file") != NULL,
		   "reason names it (%s)", reason);
		conf_free(conf);

		src.config_file = tmpdir;
		conf = new_conf();
		is_int(EISDIR, conf_load(conf, &src, reason, sizeof(reason)),
		       "a directory as -c file: EISDIR");
		conf_free(conf);

		src.config_file = "/dev/null";
		src.profile = NULL;
		conf = new_conf();
		is_int(0, conf_load(conf, &src, reason, sizeof(reason)),
		       "-c /dev/null reads nothing");
		conf_free(conf);

		/* missing system and user files are fine */
		src.config_file = NULL;
		snprintf(sys, sizeof(sys), "SIPWS_SYSTEM_CONFIG=%s",
			 tmp_path("nowhere/config"));
		snprintf(xdg, sizeof(xdg), "XDG_CONFIG_HOME=%s",
			 tmp_path("nowhere"));
		conf = new_conf();
		is_int(0, conf_load(conf, &src, reason, sizeof(reason)),
		       "missing system and user files are skipped");
		conf_free(conf);

		/* a missing profile is not */
		src.profile = "home";
		conf = new_conf();
		is_int(ENOENT, conf_load(conf, &src, reason, sizeof(reason)),
		       "missing profile: ENOENT");
		ok(strstr(reason, "profile ") && strstr(reason, "profiles/home"),
		   "reason names the profile (%s)", reason);
		conf_free(conf);

		src.profile = "..";
		conf = new_conf();
		is_int(EINVAL, conf_load(conf, &src, reason, sizeof(reason)),
		       "profile '..' is not a name");
		conf_free(conf);

		/* a profile with a '/' is a path */
		src.profile = tmp_path("cfg/sipws/profiles/work");
		conf = new_conf();
		is_int(0, conf_load(conf, &src, reason, sizeof(reason)),
		       "profile given as a path");
		is_string("profile", shown(conf, "user.display_name"),
			  "its values apply");
		conf_free(conf);

		/* without XDG_CONFIG_HOME, HOME/.config */
		write_file("home/.config/sipws/config", "user.display_name = home\n",
			   0600);
		env[1] = "XDG_CONFIG_HOME=relative/is/ignored";
		src.profile = NULL;
		conf = new_conf();
		is_int(0, conf_load(conf, &src, reason, sizeof(reason)),
		       "HOME fallback loads");
		is_string("home", shown(conf, "user.display_name"),
			  "~/.config/sipws/config is read");
		conf_free(conf);

		/* read_files false reads neither */
		src.read_files = false;
		conf = new_conf();
		is_int(0, conf_load(conf, &src, reason, sizeof(reason)),
		       "no files");
		is_string("", shown(conf, "user.display_name"),
			  "nothing read without read_files");
		conf_free(conf);
	}
}

static void test_env_errors(void)
{
	char reason[512] = "";
	char *env[] = {"SIPWS_USER_URI=http://x", NULL};
	struct conf_sources src = {0};
	struct conf *conf = new_conf();

	src.env = env;
	is_int(EINVAL, conf_load(conf, &src, reason, sizeof(reason)),
	       "a bad value in the environment");
	is_string("env:SIPWS_USER_URI: user.uri: not a sip: or sips: URI",
		  reason, "reason names the variable and key");
	conf_free(conf);

	env[0] = "SIPWS_USER_SIP_AUTH_PASSWORD=from env";
	conf = new_conf();
	is_int(0, conf_load(conf, &src, reason, sizeof(reason)),
	       "password from the environment");
	is_string("from env", get(conf, "user.sip_auth_password"),
		  "the password is there");
	is_string(CONF_MASK, shown(conf, "user.sip_auth_password"),
		  "and shown masked");
	conf_free(conf);
}

/* ---- the command line ---- */

static void test_set(void)
{
	char reason[512] = "";
	struct conf *conf = new_conf();
	const char *sets[1];
	struct conf_sources src = {0};

	is_int(EPERM, conf_set(conf, "user.sip_auth_password", "x", NULL,
			       reason, sizeof(reason)),
	       "--set refuses the password");
	ok(strstr(reason, "command line: user.sip_auth_password: secrets") !=
		   NULL,
	   "and says why (%s)", reason);
	is_int(EPERM, conf_set(conf, "user.sip_auth_ha1",
			       "0123456789abcdef0123456789abcdef", NULL, reason,
			       sizeof(reason)),
	       "--set refuses the HA1");
	is_int(EPERM, conf_set(conf, "turn_servers",
			       "turn:t.example username=u password=p", NULL,
			       reason, sizeof(reason)),
	       "--set refuses a TURN password");
	is_int(0, conf_set(conf, "turn_servers", "turn:t.example", NULL, reason,
			   sizeof(reason)),
	       "--set takes a TURN server without password");
	is_int(0, conf_set(conf, "user.sip_auth_password_file", "/x", NULL,
			   reason, sizeof(reason)),
	       "--set takes the password file");
	is_int(EINVAL, conf_set(conf, "user.url", "x", "--account", reason,
				sizeof(reason)),
	       "--set refuses an unknown key");
	is_string("--account: unknown key 'user.url'", reason,
		  "reason uses the given origin");
	is_int(0, conf_set(conf, "user.uri", "sip:a@b.example", "--account",
			   reason, sizeof(reason)),
	       "a tool flag sets a key");
	is_string("--account", conf_origin(conf, "user.uri"),
		  "with its own origin");
	is_int(ERANGE, conf_set(conf, "registration.expiry", "0", NULL, reason,
				sizeof(reason)),
	       "--set validates");
	is_string("command line: registration.expiry: out of range "
		  "(1..2147483647)",
		  reason, "reason names the command line");
	conf_free(conf);

	sets[0] = "user.uri";
	src.sets = sets;
	src.nsets = 1;
	conf = new_conf();
	is_int(EINVAL, conf_load(conf, &src, reason, sizeof(reason)),
	       "--set without '='");
	is_string("command line: 'user.uri': expected KEY=VALUE", reason,
		  "reason");
	conf_free(conf);
	sets[0] = "user.sip_auth_password=hunter2";
	conf = new_conf();
	is_int(EPERM, conf_load(conf, &src, reason, sizeof(reason)),
	       "--set of a secret through conf_load");
	ok(strstr(reason, "hunter2") == NULL, "the secret is not echoed");
	conf_free(conf);
}

/* ---- secrets ---- */

static int secret_warnings(const struct conf *conf, const char *path)
{
	size_t i;
	int n = 0;

	for (i = 0; i < conf_warning_count(conf); i++)
		if (strstr(conf_warning(conf, i), path) &&
		    strstr(conf_warning(conf, i), "holds a secret"))
			n++;
	return n;
}

static void test_permissions(void)
{
	static const struct {
		const char *text;
		mode_t mode;
		int warnings;
		const char *says;
		const char *title;
	} cases[] = {
		{"user.sip_auth_password = pw\n", 0644, 1, "everyone (mode 0644)",
		 "password in a world-readable file"},
		{"user.sip_auth_password = pw\n", 0640, 1, "its group (mode 0640)",
		 "password in a group-readable file"},
		{"user.sip_auth_password = pw\n", 0600, 0, NULL,
		 "password in a private file"},
		{"user.display_name = pw\n", 0644, 0, NULL,
		 "no secret, no warning"},
		{"user.sip_auth_ha1_algorithm = MD5\nuser.sip_auth_realm = x\n"
		 "user.sip_auth_ha1 = 0123456789abcdef0123456789abcdef\n",
		 0604, 1, "mode 0604", "HA1 in a readable file"},
		{"turn_servers = turn:t.example username=u password=p\n", 0644,
		 1, "mode 0644", "TURN password in a readable file"},
		{"turn_servers = turn:t.example\n", 0644, 0, NULL,
		 "TURN server without password"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char reason[512] = "";
		struct conf_sources src = {0};
		struct conf *conf = new_conf();
		const char *path = tmp_path("perm");

		write_file("perm", cases[i].text, cases[i].mode);
		src.config_file = path;
		is_int(0, conf_load(conf, &src, reason, sizeof(reason)),
		       "loads: %s", cases[i].title);
		is_int(cases[i].warnings, secret_warnings(conf, path), "%s",
		       cases[i].title);
		if (cases[i].says)
			ok(conf_warning(conf, 0) &&
				   strstr(conf_warning(conf, 0), cases[i].says),
			   "warning says '%s'", cases[i].says);
		conf_free(conf);
	}
}

static void test_password_file(void)
{
	char reason[512] = "";
	struct conf_sources src = {0};
	struct conf *conf;
	const char *pw = NULL;
	char set[600], config[600];
	const char *sets[1];

	write_file("pw", "s3cret\r\nsecond line\n", 0600);
	write_file("pwconf", "", 0600);
	snprintf(set, sizeof(set), "user.sip_auth_password_file=%s",
		 tmp_path("pw"));
	sets[0] = set;

	/* file layer password, command-line password file: the file wins */
	write_file("pwconf", "user.sip_auth_password = in-config\n", 0600);
	snprintf(config, sizeof(config), "%s", tmp_path("pwconf"));
	src.config_file = config;
	src.sets = sets;
	src.nsets = 1;
	conf = new_conf();
	is_int(0, conf_load(conf, &src, reason, sizeof(reason)),
	       "password file loads");
	ok(conf_password(conf, &pw) == 0 && strcmp(pw, "s3cret") == 0,
	   "a password file from a higher layer wins, first line only");
	is_int(0, secret_warnings(conf, tmp_path("pw")),
	       "no warning for a private password file");
	conf_free(conf);

	/* the same layer: the password itself wins */
	snprintf(set, sizeof(set),
		 "user.sip_auth_password = direct\nuser.sip_auth_password_file = "
		 "%s\n",
		 tmp_path("pw"));
	write_file("pwconf", set, 0600);
	src.sets = NULL;
	src.nsets = 0;
	conf = new_conf();
	is_int(0, conf_load(conf, &src, reason, sizeof(reason)), "both in one file");
	ok(conf_password(conf, &pw) == 0 && strcmp(pw, "direct") == 0,
	   "on a tie the password wins");
	conf_free(conf);

	/* only the file, and others can read it */
	chmod(tmp_path("pw"), 0644);
	snprintf(set, sizeof(set), "user.sip_auth_password_file = %s\n",
		 tmp_path("pw"));
	write_file("pwconf", set, 0644);
	conf = new_conf();
	is_int(0, conf_load(conf, &src, reason, sizeof(reason)), "file only");
	ok(conf_password(conf, &pw) == 0 && strcmp(pw, "s3cret") == 0,
	   "password read from the file");
	is_int(1, secret_warnings(conf, tmp_path("pw")),
	       "a readable password file is warned about");
	is_int(0, secret_warnings(conf, tmp_path("pwconf")),
	       "the config naming it holds no secret itself");
	is_string("", shown(conf, "user.sip_auth_password"),
		  "the password key itself stays empty");
	conf_free(conf);

	/* missing and empty files */
	snprintf(set, sizeof(set), "\nuser.sip_auth_password_file = %s\n",
		 tmp_path("nopw"));
	write_file("pwconf", set, 0600);
	conf = new_conf();
	is_int(ENOENT, conf_load(conf, &src, reason, sizeof(reason)),
	       "a missing password file is an error");
	ok(strstr(reason, "pwconf:2: user.sip_auth_password_file: ") &&
		   strstr(reason, "No such file"),
	   "reason names the config line (%s)", reason);
	conf_free(conf);
	write_file("nopw", "\nx\n", 0600);
	conf = new_conf();
	is_int(EINVAL, conf_load(conf, &src, reason, sizeof(reason)),
	       "an empty first line is an error");
	conf_free(conf);
}

static void test_read_password(void)
{
	int fds[2];
	struct conf *conf = new_conf();
	const char *pw = NULL;
	char rest[16] = "";

	if (pipe(fds) != 0)
		bail("pipe");
	if (write(fds[1], "from stdin\r\nnext", 16) != 16)
		bail("write");
	close(fds[1]);
	is_int(0, conf_read_password(conf, fds[0]), "conf_read_password");
	ok(conf_password(conf, &pw) == 0 && strcmp(pw, "from stdin") == 0,
	   "one line, CR dropped");
	is_string("stdin", conf_origin(conf, "user.sip_auth_password"),
		  "origin stdin");
	ok(read(fds[0], rest, sizeof(rest) - 1) == 4 && strcmp(rest, "next") == 0,
	   "the rest of the input is left unread");
	close(fds[0]);

	if (pipe(fds) != 0)
		bail("pipe");
	close(fds[1]);
	is_int(EINVAL, conf_read_password(conf, fds[0]), "no line: EINVAL");
	close(fds[0]);
	conf_free(conf);
}

/* ---- derived values ---- */

static const struct {
	const char *text;
	const char *auth_user;
	const char *registrar;
} derived[] = {
	{"user.uri = sip:bob@example.org\n", "bob@example.org",
	 "sip:example.org"},
	{"user.uri = sip:bob@example.org\nuser.sip_auth_user_full_uri = no\n",
	 "bob", "sip:example.org"},
	{"user.uri = sips:b%41b@[2001:db8::1]:5061;transport=ws\n",
	 "bAb@[2001:db8::1]", "sips:[2001:db8::1]:5061"},
	{"user.uri = sip:bob@example.org\nuser.sip_auth_user = 1234\n"
	 "registration.server = sip:reg.example.org\n",
	 "1234", "sip:reg.example.org"},
};

static void test_derived(void)
{
	size_t i;

	for (i = 0; i < sizeof(derived) / sizeof(derived[0]); i++) {
		char reason[256] = "";
		const char *s = NULL;
		struct conf_entry e;
		struct conf *conf = parse_text(derived[i].text, NULL, reason,
					       sizeof(reason));

		if (!ok(conf != NULL, "derived case %zu parses", i)) {
			diag("%s", reason);
			continue;
		}
		ok(conf_auth_user(conf, &s) == 0 &&
			   strcmp(s, derived[i].auth_user) == 0,
		   "auth user %s", derived[i].auth_user);
		ok(conf_registration_server(conf, &s) == 0 &&
			   strcmp(s, derived[i].registrar) == 0,
		   "registrar %s", derived[i].registrar);
		conf_entry(conf, "user.sip_auth_user", &e);
		ok(e.nvalues == 1 && strcmp(e.values[0], derived[i].auth_user) == 0,
		   "shown auth user");
		if (i == 0)
			ok(e.derived && strcmp(e.origin, "derived:user.uri") == 0,
			   "shown as derived from user.uri");
		conf_free(conf);
	}
}

static void test_turn_credentials(void)
{
	char reason[256] = "";
	struct conf_turn_server t;
	struct conf *conf = parse_text(
		"turn_servers = turn:a.example username=tu password=tp, "
		"turns:b.example:5349\n",
		NULL, reason, sizeof(reason));

	if (!ok(conf != NULL, "TURN servers parse"))
		return;
	ok(conf_turn_server(conf, 0, &t) == 0 && strcmp(t.url, "turn:a.example") == 0 &&
		   strcmp(t.username, "tu") == 0 && strcmp(t.password, "tp") == 0 &&
		   !t.sip_credentials,
	   "a server with its own credentials");
	ok(conf_turn_server(conf, 1, &t) == 0 && t.sip_credentials &&
		   t.username == NULL && t.password == NULL,
	   "without SIP credentials there are none");
	is_int(ENOENT, conf_turn_server(conf, 2, &t), "past the end");
	conf_free(conf);

	conf = parse_text("user.uri = sip:alice@example.org\n"
			  "user.sip_auth_password = apw\n"
			  "turn_servers = turns:b.example:5349\n",
			  NULL, reason, sizeof(reason));
	if (!ok(conf != NULL, "TURN and SIP account parse"))
		return;
	ok(conf_turn_server(conf, 0, &t) == 0 && t.sip_credentials &&
		   strcmp(t.username, "alice@example.org") == 0 &&
		   strcmp(t.password, "apw") == 0,
	   "a server without credentials takes the SIP ones");
	conf_free(conf);
}

static void test_ws_servers(void)
{
	char reason[256] = "";
	struct conf_ws_server ws;
	const char *const *items;
	size_t n = 0;
	struct conf *conf = parse_text(
		"websocket.servers = wss://a.example/ws weight=10, "
		"wss://b.example:8443/sip weight=0\n",
		NULL, reason, sizeof(reason));

	if (!ok(conf != NULL, "servers parse"))
		return;
	ok(conf_ws_server(conf, 0, &ws) == 0 &&
		   strcmp(ws.url, "wss://a.example/ws") == 0 && ws.weight == 10,
	   "first server and weight");
	ok(conf_ws_server(conf, 1, &ws) == 0 &&
		   strcmp(ws.url, "wss://b.example:8443/sip") == 0 && ws.weight == 0,
	   "second server, weight 0");
	is_int(ENOENT, conf_ws_server(conf, 2, &ws), "past the end");
	ok(conf_get_list(conf, "websocket.servers", &items, &n) == 0 && n == 2 &&
		   strcmp(items[1], "wss://b.example:8443/sip") == 0,
	   "list in normal form (weight 0 dropped)");
	conf_free(conf);
}

static void test_masking(void)
{
	char reason[256] = "";
	struct conf_entry e;
	const char *const *items;
	size_t n;
	struct conf *conf = parse_text(
		"user.sip_auth_password = pw1\n"
		"turn_servers = turn:a.example username=u password=pw2\n",
		NULL, reason, sizeof(reason));

	if (!ok(conf != NULL, "secrets parse"))
		return;
	conf_entry(conf, "user.sip_auth_password", &e);
	ok(e.secret && e.nvalues == 1 && strcmp(e.values[0], CONF_MASK) == 0,
	   "password entry is masked");
	is_string("pw1", get(conf, "user.sip_auth_password"),
		  "conf_get_str gives the real password");
	conf_entry(conf, "turn_servers", &e);
	ok(!e.secret && e.list && strstr(e.values[0], "pw2") == NULL &&
		   strstr(e.values[0], "password=" CONF_MASK),
	   "TURN password masked in the entry");
	ok(conf_get_list(conf, "turn_servers", &items, &n) == 0 && n == 1 &&
		   strstr(items[0], "password=pw2"),
	   "conf_get_list gives the real entry");
	conf_free(conf);
}

static void test_lists_replace(void)
{
	char reason[256] = "";
	struct conf *conf = new_conf();
	static const char a[] = "stun_servers = stun:a.example\n";
	static const char b[] = "stun_servers = stun:b.example\n";

	conf_parse(conf, "one", a, sizeof(a) - 1, reason, sizeof(reason));
	conf_parse(conf, "two", b, sizeof(b) - 1, reason, sizeof(reason));
	is_string("stun:b.example", shown(conf, "stun_servers"),
		  "a list from another source replaces");
	is_string("file:two:1", conf_origin(conf, "stun_servers"),
		  "with the new origin");
	conf_free(conf);
}

/* ---- quoting round trip ---- */

static void test_quote(void)
{
	static const struct {
		const char *value;
		const char *quoted;
	} cases[] = {
		{"plain", "plain"},
		{"a;b", "a;b"},
		{"a#b", "a#b"},
		{" lead", "\" lead\""},
		{"trail\t", "\"trail\\t\""},
		{"a #b", "\"a #b\""},
		{"#x", "\"#x\""},
		{"\"q\" \\", "\"\\\"q\\\" \\\\\""},
		{"x\ny", "\"x\\ny\""},
		{"", ""},
	};
	size_t i;
	char buf[64], text[128], reason[256];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf *conf;

		is_int(0, conf_quote(cases[i].value, buf, sizeof(buf)),
		       "quote case %zu", i);
		is_string(cases[i].quoted, buf, "quoted form, case %zu", i);
		if (strchr(cases[i].value, '\n'))
			continue; /* display names refuse newlines */
		snprintf(text, sizeof(text), "user.display_name = %s\n", buf);
		conf = parse_text(text, NULL, reason, sizeof(reason));
		ok(conf && strcmp(shown(conf, "user.display_name"),
				  cases[i].value) == 0,
		   "'%s' reads back", cases[i].value);
		conf_free(conf);
	}
	is_int(ENOSPC, conf_quote(" abcdef", buf, 5), "small buffer");
}

int main(void)
{
	plan_lazy();
	if (mkdtemp(tmpdir) == NULL)
		bail("mkdtemp failed");
	umask(022);

	test_good();
	test_bad();
	test_nul();
	test_secret_not_in_reason();
	test_limits();
	test_unknown_keys();
	test_many_warnings();
	test_defaults();
	test_key_table();
	test_layers();
	test_env_errors();
	test_set();
	test_permissions();
	test_password_file();
	test_read_password();
	test_derived();
	test_turn_credentials();
	test_ws_servers();
	test_masking();
	test_lists_replace();
	test_quote();

	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			diag("could not remove %s", tmpdir);
	}
	return 0;
}
