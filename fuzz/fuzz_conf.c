/* Fuzz the configuration file parser from memory; a file that parses is
 * printed back in sipws-config's form and must read back to equal values. */
#include "conf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct out {
	char *buf;
	size_t len, cap;
};

static void out_put(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		char *bigger;

		while (o->len + n + 1 > cap)
			cap *= 2;
		bigger = realloc(o->buf, cap);
		if (bigger == NULL)
			abort();
		o->buf = bigger;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n + 1);
	o->len += n;
}

/* Keys left out of the round trip: secrets print masked, and a password
 * file would make conf_check read whatever path the input names. */
static int skipped(const char *key)
{
	return conf_key_secret(key) ||
	       strcmp(key, "user.sip_auth_password_file") == 0;
}

static int same_entries(const struct conf *a, const struct conf *b)
{
	size_t k, i;

	for (k = 0; k < conf_key_count(); k++) {
		const char *key = conf_key_name(k);
		struct conf_entry ea, eb;

		if (skipped(key))
			continue;
		if (conf_entry(a, key, &ea) || conf_entry(b, key, &eb))
			return 0;
		if (ea.nvalues != eb.nvalues || ea.derived != eb.derived)
			return 0;
		for (i = 0; i < ea.nvalues; i++)
			if (strcmp(ea.values[i], eb.values[i]) != 0)
				return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char quoted[4 * CONF_MAX_LINE + 8];
	struct conf *conf = NULL, *again = NULL;
	struct out o = {0};
	const char *s;
	char reason[512];
	size_t k, i;
	int err;

	if (conf_alloc(&conf))
		return 0;
	err = conf_parse(conf, "fuzz", (const char *)data, size, reason,
			 sizeof(reason));
	if (err == 0 && conf_get_str(conf, "user.sip_auth_password_file", &s) == 0)
		goto out;
	if (err == 0)
		err = conf_check(conf, reason, sizeof(reason));
	if (err)
		goto out;
	for (k = 0; k < conf_key_count(); k++) {
		const char *key = conf_key_name(k);
		struct conf_entry e;

		if (skipped(key) || conf_entry(conf, key, &e) || e.derived)
			continue;
		if (e.nvalues == 0) {
			out_put(&o, key);
			out_put(&o, " =\n");
		}
		for (i = 0; i < e.nvalues; i++) {
			if (conf_quote(e.values[i], quoted, sizeof(quoted)))
				abort();
			out_put(&o, key);
			out_put(&o, " = ");
			out_put(&o, quoted);
			out_put(&o, "\n");
		}
	}
	if (conf_alloc(&again))
		goto out;
	err = conf_parse(again, "again", o.buf ? o.buf : "", o.len, reason,
			 sizeof(reason));
	if (err == 0)
		err = conf_check(again, reason, sizeof(reason));
	/* A key written in full can push a long line from a [section] over
	 * the line limit; anything else must read back. */
	if (err == E2BIG || err == ENOMEM)
		goto out;
	if (err || !same_entries(conf, again))
		abort();
out:
	free(o.buf);
	conf_free(again);
	conf_free(conf);
	return 0;
}
