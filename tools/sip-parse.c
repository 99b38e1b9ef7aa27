/* sip-parse: run the URI and SIP message parsers of libsipws on operands
 * and print their fields, one JSON object per operand. */
#include "cli.h"
#include "exitcode.h"
#include "json.h"
#include "sipmsg.h"
#include "toolconf.h"
#include "uri.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	OPT_ACCOUNT = 'a',
	OPT_FIELD = 'f',
	OPT_LF = CLI_OPT_FIRST_LONG,
};

static const struct cli_option options[] = {
	{"account", OPT_ACCOUNT, CLI_REQUIRED_ARG, "URI",
	 "account for 'complete' (default: user.uri)"},
	{"field", OPT_FIELD, CLI_REQUIRED_ARG, "NAME",
	 "print only this top-level field, as raw text"},
	{"lf", OPT_LF, CLI_NO_ARG, NULL,
	 "accept messages with bare LF line ends"},
	CLI_OPTIONS_COMMON,
	{NULL, 0, CLI_NO_ARG, NULL, NULL},
};

static const struct cli_tool tool = {
	"sip-parse",
	"[options] uri URI...\n"
	"[options] addr VALUE...\n"
	"[options] ws URL...\n"
	"[options] complete TARGET...\n"
	"[options] message [FILE...]",
	"Parse SIP URIs, addresses, WebSocket URLs and SIP messages; print "
	"their fields as JSON lines.",
	options,
};

/* Output of one result: a JSON object, or with --field only the raw text
 * of one top-level member. */
struct out {
	struct json json;
	const char *field;
	char *raw;      /* the field's text, malloc'd */
	bool found;
};

static void out_begin(struct out *o)
{
	json_reset(&o->json);
	json_object_begin(&o->json);
	free(o->raw);
	o->raw = NULL;
	o->found = false;
}

static bool out_wants(struct out *o, const char *key)
{
	return o->field && strcmp(o->field, key) == 0 && !o->found;
}

static void out_span(struct out *o, const char *key, struct span s)
{
	if (out_wants(o, key)) {
		o->found = true;
		o->raw = s.p ? span_dup(s) : NULL;
	}
	json_member_span(&o->json, key, s);
}

static void out_str(struct out *o, const char *key, const char *s)
{
	out_span(o, key, span_from_str(s));
}

static void out_int(struct out *o, const char *key, long long v)
{
	if (out_wants(o, key)) {
		char num[32];

		snprintf(num, sizeof(num), "%lld", v);
		o->found = true;
		o->raw = strdup(num);
	}
	json_member_int(&o->json, key, v);
}

static void out_bool(struct out *o, const char *key, bool v)
{
	if (out_wants(o, key)) {
		o->found = true;
		o->raw = strdup(v ? "true" : "false");
	}
	json_member_bool(&o->json, key, v);
}

static void out_end(struct out *o)
{
	const char *text;

	json_object_end(&o->json);
	if (o->field) {
		/* Absent or null fields print an empty line, so that line N
		 * of the output still belongs to operand N. */
		puts(o->raw ? o->raw : "");
	} else {
		text = json_text(&o->json);
		if (text == NULL)
			cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
		puts(text);
	}
	fflush(stdout);
}

static const char *host_type_name(enum uri_host_type t)
{
	switch (t) {
	case URI_HOST_NAME:
		return "name";
	case URI_HOST_IPV4:
		return "ipv4";
	case URI_HOST_IPV6:
		return "ipv6";
	default:
		return NULL;
	}
}

static const char *scheme_name(const struct uri *u)
{
	switch (u->scheme) {
	case URI_SCHEME_SIP:
		return "sip";
	case URI_SCHEME_SIPS:
		return "sips";
	case URI_SCHEME_TEL:
		return "tel";
	default:
		return NULL;
	}
}

/* Writes a ;-list or &-list as a JSON object: flags are true. */
static void json_pairs(struct json *j, const char *key, struct span list,
		       bool headers)
{
	struct uri_iter it = {0};
	struct span name, value;

	json_key(j, key);
	json_object_begin(j);
	while ((headers ? uri_header_next(list, &it, &name, &value)
			: uri_param_next(list, &it, &name, &value)) == 0) {
		char *k = span_dup(name);

		if (k == NULL)
			cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
		/* A URI parameter cannot be empty, so an empty value is a
		 * flag such as ";lr". */
		if (value.p && (headers || value.len > 0))
			json_member_span(j, k, value);
		else
			json_member_bool(j, k, true);
		free(k);
	}
	json_object_end(j);
}

/* The %-decoded text of s, or s itself when it has no escapes. */
static struct span unescaped(struct span s, char *buf, size_t size)
{
	size_t len;

	if (s.p == NULL || memchr(s.p, '%', s.len) == NULL)
		return s;
	if (uri_unescape(s, buf, size, &len) != 0)
		return s;
	return span_make(buf, len);
}

static void out_uri_fields(struct out *o, const struct uri *u)
{
	static char user[URI_MAX_LEN + 1], normal[URI_MAX_LEN * 2];
	const char *scheme = scheme_name(u);

	if (scheme)
		out_str(o, "scheme", scheme);
	else
		out_span(o, "scheme", u->scheme_text);
	if (u->scheme == URI_SCHEME_OTHER) {
		out_span(o, "opaque", u->opaque);
	} else {
		out_span(o, "user", unescaped(u->user, user, sizeof(user)));
		out_span(o, "password", u->password);
		out_span(o, "host", u->host);
		out_str(o, "host_type", host_type_name(u->host_type));
		if (u->port)
			out_int(o, "port", u->port);
		else
			out_span(o, "port", SPAN_NULL);
		json_pairs(&o->json, "params", u->params, false);
		json_pairs(&o->json, "headers", u->headers, true);
	}
	if (uri_encode(u, normal, sizeof(normal), NULL) == 0)
		out_str(o, "normal", normal);
}

static int parse_uri(struct out *o, const char *arg)
{
	struct uri u;
	char reason[256];
	int err = uri_decode(&u, arg, strlen(arg), reason, sizeof(reason));

	if (err) {
		cli_error("uri '%s': %s", arg, reason);
		return SIPWS_EXIT_DATAERR;
	}
	out_begin(o);
	out_str(o, "input", arg);
	out_uri_fields(o, &u);
	out_end(o);
	return SIPWS_EXIT_OK;
}

static int parse_addr(struct out *o, const char *arg)
{
	static char display[URI_MAX_LEN + 1];
	struct uri_addr a;
	char reason[256];
	struct span tag;
	size_t len;
	int err = uri_addr_decode(&a, arg, strlen(arg), reason, sizeof(reason));

	if (err) {
		cli_error("addr '%s': %s", arg, reason);
		return SIPWS_EXIT_DATAERR;
	}
	out_begin(o);
	out_str(o, "input", arg);
	if (a.display.p && a.display_quoted &&
	    uri_unquote(a.display, display, sizeof(display), &len) == 0)
		out_span(o, "display", span_make(display, len));
	else
		out_span(o, "display", a.display);
	if (uri_addr_param_get(&a, "tag", &tag) == 0)
		out_span(o, "tag", tag);
	else
		out_span(o, "tag", SPAN_NULL);
	json_pairs(&o->json, "header_params", a.params, false);
	json_key(&o->json, "uri");
	json_object_begin(&o->json);
	{
		/* The nested URI fields are not --field candidates. */
		const char *field = o->field;

		o->field = NULL;
		out_uri_fields(o, &a.uri);
		o->field = field;
	}
	json_object_end(&o->json);
	out_end(o);
	return SIPWS_EXIT_OK;
}

static int parse_ws(struct out *o, const char *arg)
{
	struct uri_ws w;
	char reason[256];
	int err = uri_ws_decode(&w, arg, strlen(arg), reason, sizeof(reason));

	if (err) {
		cli_error("ws '%s': %s", arg, reason);
		return SIPWS_EXIT_DATAERR;
	}
	out_begin(o);
	out_str(o, "input", arg);
	out_bool(o, "secure", w.secure);
	out_span(o, "host", w.host);
	out_str(o, "host_type", host_type_name(w.host_type));
	out_int(o, "port", w.port);
	out_span(o, "path", w.path);
	out_span(o, "query", w.query);
	out_end(o);
	return SIPWS_EXIT_OK;
}

static int complete_target(const struct uri *account, const char *arg)
{
	char buf[URI_MAX_LEN];
	int err = uri_complete(arg, account, buf, sizeof(buf));

	if (err) {
		cli_error("complete '%s': %s", arg,
			  err == ENOSPC ? "too long" : "not a dial target");
		return SIPWS_EXIT_DATAERR;
	}
	puts(buf);
	fflush(stdout);
	return SIPWS_EXIT_OK;
}

/* Read a whole file ("-" is standard input), bounded a little above the
 * message size limit so the parser can say "too big" itself. */
static char *read_input(const char *path, size_t *lenp)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = SIPMSG_MAX_SIZE + 2, len;
	char *buf;

	if (f == NULL)
		return NULL;
	buf = malloc(cap + 1);
	if (buf == NULL)
		cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
	len = fread(buf, 1, cap, f);
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	}
	if (f != stdin)
		fclose(f);
	*lenp = len;
	return buf;
}

/* Bare LF -> CRLF for logged messages (the RFC 5118 archive). */
static char *lf_to_crlf(const char *p, size_t len, size_t *outlen)
{
	char *out = malloc(2 * len + 1);
	size_t i, n = 0;

	if (out == NULL)
		cli_die(SIPWS_EXIT_SOFTWARE, "out of memory");
	for (i = 0; i < len; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			out[n++] = '\r';
		out[n++] = p[i];
	}
	*outlen = n;
	return out;
}

static void json_null_member(struct json *j, const char *key)
{
	json_key(j, key);
	json_null(j);
}

static void out_party(struct out *o, const char *key, const struct sipmsg_party *p)
{
	static char normal[URI_MAX_LEN * 2];

	json_key(&o->json, key);
	json_object_begin(&o->json);
	json_member_span(&o->json, "display", p->addr.display);
	if (uri_encode(&p->addr.uri, normal, sizeof(normal), NULL) == 0)
		json_member_str(&o->json, "uri", normal);
	json_member_span(&o->json, "tag", p->tag);
	json_object_end(&o->json);
}

static void out_message(struct out *o, const struct sipmsg *m,
			const char *name)
{
	static const char *const supported[] = {"outbound", "gruu", "path",
						 "replaces", NULL};
	static const char *const accept[] = {"application/sdp", "text/plain",
					     NULL};
	static const char *const produce[] = {"application/sdp", NULL};
	static const struct sipmsg_caps caps = {supported, accept, produce};
	struct sipmsg_party party;
	struct sipmsg_cseq cseq;
	struct sipmsg_media media;
	struct span s;
	size_t i, n;
	unsigned mf;
	size_t clen;

	out_begin(o);
	out_str(o, "input", name);
	out_str(o, "type", sipmsg_is_request(m) ? "request" : "response");
	if (sipmsg_is_request(m)) {
		out_span(o, "method", sipmsg_method(m));
		out_span(o, "request_uri", sipmsg_request_uri_text(m));
	} else {
		out_int(o, "status", sipmsg_status(m));
		out_span(o, "reason", sipmsg_reason(m));
	}
	out_span(o, "version", sipmsg_version(m));
	out_span(o, "call_id",
		 sipmsg_call_id_get(m, &s) == 0 ? s : SPAN_NULL);
	if (sipmsg_cseq_get(m, &cseq) == 0) {
		out_int(o, "cseq", cseq.number);
		out_span(o, "cseq_method", cseq.method);
	}
	if (sipmsg_from_get(m, &party) == 0) {
		if (out_wants(o, "from_tag"))
			out_span(o, "from_tag", party.tag);
		out_party(o, "from", &party);
	}
	if (sipmsg_to_get(m, &party) == 0) {
		if (out_wants(o, "to_tag"))
			out_span(o, "to_tag", party.tag);
		out_party(o, "to", &party);
	}
	n = sipmsg_via_count(m);
	json_key(&o->json, "via");
	json_array_begin(&o->json);
	for (i = 0; i < n; i++) {
		struct sipmsg_via via;

		if (sipmsg_via_get(m, i, &via) != 0)
			continue;
		if (i == 0 && out_wants(o, "branch"))
			out_span(o, "branch", via.branch);
		json_object_begin(&o->json);
		json_member_span(&o->json, "transport", via.transport);
		json_member_span(&o->json, "host", via.host);
		if (via.port)
			json_member_int(&o->json, "port", via.port);
		else
			json_null_member(&o->json, "port");
		json_member_span(&o->json, "branch", via.branch);
		json_member_span(&o->json, "received", via.received);
		if (via.rport)
			json_member_int(&o->json, "rport", via.rport_port);
		json_object_end(&o->json);
	}
	json_array_end(&o->json);
	n = sipmsg_contact_count(m);
	json_key(&o->json, "contact");
	json_array_begin(&o->json);
	for (i = 0; i < n; i++) {
		static char normal[URI_MAX_LEN * 2];
		struct sipmsg_contact c;

		if (sipmsg_contact_get(m, i, &c) != 0)
			continue;
		if (c.star) {
			json_cstring(&o->json, "*");
			continue;
		}
		json_object_begin(&o->json);
		if (uri_encode(&c.addr.uri, normal, sizeof(normal), NULL) == 0)
			json_member_str(&o->json, "uri", normal);
		if (c.has_expires)
			json_member_int(&o->json, "expires", c.expires);
		json_object_end(&o->json);
	}
	json_array_end(&o->json);
	if (sipmsg_max_forwards_get(m, &mf) == 0)
		out_int(o, "max_forwards", mf);
	if (sipmsg_content_type_get(m, &media) == 0)
		out_span(o, "content_type",
			 span_make(media.type.p,
				   (size_t)(media.subtype.p + media.subtype.len -
					    media.type.p)));
	if (sipmsg_content_length_get(m, &clen) == 0)
		out_int(o, "content_length", (long long)clen);
	out_int(o, "body_length", (long long)sipmsg_body(m).len);
	out_int(o, "headers", (long long)sipmsg_header_count(m));
	if (sipmsg_is_request(m)) {
		int status = 0;
		const char *reason = NULL;

		if (sipmsg_check_request(m, &caps, &status, &reason) == 0) {
			out_int(o, "answer", status);
			out_str(o, "answer_reason", status ? reason : NULL);
		}
	}
	out_end(o);
}

static int parse_message(struct out *o, const char *path, bool lf)
{
	char reason[256];
	struct sipmsg *m = NULL;
	char *data, *conv = NULL;
	size_t len;
	int err;

	data = read_input(path, &len);
	if (data == NULL) {
		cli_error("%s: %s", path, strerror(errno));
		return SIPWS_EXIT_IOERR;
	}
	if (lf) {
		conv = lf_to_crlf(data, len, &len);
		free(data);
		data = conv;
	}
	/* Logged messages may declare more body than they carry (the RFC
	 * 5118 archive does); say so rather than reject them. */
	err = sipmsg_decode_flags(&m, data, len,
				  lf ? SIPMSG_LENIENT_LENGTH : 0, reason,
				  sizeof(reason));
	if (err) {
		cli_error("message %s: %s", path, reason);
		free(data);
		return SIPWS_EXIT_DATAERR;
	}
	if (sipmsg_defects(m) & SIPMSG_DEFECT_SHORT_BODY)
		cli_warn("message %s: body shorter than its Content-Length",
			 path);
	out_message(o, m, path);
	sipmsg_free(m);
	free(data);
	return SIPWS_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct cli cli;
	struct out o = {0};
	const char *arg, *account = NULL, *what;
	bool lf = false;
	int c, i, status = SIPWS_EXIT_OK, rc;

	cli_init(&cli, &tool, argc, argv);
	while ((c = cli_next(&cli, argc, argv, &arg)) != -1) {
		switch (c) {
		case OPT_ACCOUNT:
			account = arg;
			break;
		case OPT_FIELD:
			o.field = arg;
			break;
		case OPT_LF:
			lf = true;
			break;
		default:
			cli_usage_error("unexpected option");
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		cli_usage_error("say what to parse: uri, addr, ws, complete or message");
	what = argv[0];
	argc--;
	argv++;
	json_init(&o.json);

	if (strcmp(what, "complete") == 0) {
		struct conf *conf = NULL;
		struct uri acc;
		char reason[256];

		if (account == NULL) {
			conf = toolconf_load(&cli);
			if (conf_get_str(conf, "user.uri", &account) != 0)
				cli_die(SIPWS_EXIT_CONFIG,
					"complete needs --account or user.uri in the configuration");
		}
		if (uri_decode(&acc, account, strlen(account), reason,
			       sizeof(reason)) != 0)
			cli_die(SIPWS_EXIT_USAGE, "account '%s': %s", account, reason);
		if (argc < 1)
			cli_usage_error("complete needs a TARGET");
		for (i = 0; i < argc; i++) {
			rc = complete_target(&acc, argv[i]);
			if (rc > status)
				status = rc;
		}
		conf_free(conf);
	} else if (strcmp(what, "message") == 0) {
		static char *stdin_only[] = {"-"};

		if (argc == 0) {
			argc = 1;
			argv = stdin_only;
		}
		for (i = 0; i < argc; i++) {
			rc = parse_message(&o, argv[i], lf);
			if (rc > status)
				status = rc;
		}
	} else {
		int (*fn)(struct out *, const char *);

		if (strcmp(what, "uri") == 0)
			fn = parse_uri;
		else if (strcmp(what, "addr") == 0)
			fn = parse_addr;
		else if (strcmp(what, "ws") == 0)
			fn = parse_ws;
		else
			cli_usage_error("unknown kind '%s' (uri, addr, ws, complete, message)", what);
		if (argc < 1)
			cli_usage_error("%s needs an operand", what);
		for (i = 0; i < argc; i++) {
			rc = fn(&o, argv[i]);
			if (rc > status)
				status = rc;
		}
	}
	json_free(&o.json);
	free(o.raw);
	cli_free(&cli);
	return status;
}
