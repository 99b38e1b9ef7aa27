/* webrtc-check's result model; see check.h. */
#include "check.h"

#include "conf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

void check_init(struct check_result *r, const char *suite, const char *fmt,
		...)
{
	va_list ap;

	memset(r, 0, sizeof(*r));
	r->suite = suite;
	r->state = CHECK_SKIP;
	va_start(ap, fmt);
	vsnprintf(r->name, sizeof(r->name), fmt, ap);
	va_end(ap);
	one_line(r->name);
}

void check_set(struct check_result *r, enum check_state state,
	       const char *fmt, ...)
{
	va_list ap;

	r->state = state;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	one_line(r->reason);
}

int check_figure_add(struct check_result *r, const char *name, double value,
		     const char *unit)
{
	struct check_figure *f;
	size_t n = name ? strlen(name) : 0;

	if (!n || n >= sizeof(f->name) || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
		return EINVAL;
	if (r->figure_count >= CHECK_FIGURES_MAX)
		return ENOSPC;
	f = &r->figures[r->figure_count++];
	memcpy(f->name, name, n + 1);
	f->value = value;
	snprintf(f->unit, sizeof(f->unit), "%s", unit ? unit : "");
	return 0;
}

void check_start(const struct check_sink *sink, const struct check_result *r)
{
	if (sink && sink->start_h)
		sink->start_h(r->suite, r->name, sink->arg);
}

void check_report(const struct check_sink *sink, const struct check_result *r)
{
	if (sink && sink->report_h)
		sink->report_h(r, sink->arg);
}

double check_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

const char *check_state_name(enum check_state state)
{
	switch (state) {
	case CHECK_PASS: return "pass";
	case CHECK_WARN: return "warn";
	case CHECK_FAIL: return "fail";
	case CHECK_SKIP: return "skip";
	}
	return "?";
}

static int rank(enum check_state s)
{
	return s == CHECK_FAIL ? 3 : s == CHECK_WARN ? 2 : s == CHECK_PASS ? 1 : 0;
}

enum check_state check_worst(enum check_state a, enum check_state b)
{
	return rank(a) >= rank(b) ? a : b;
}

int check_config_load(struct check_config *cfg, const struct conf *conf)
{
	struct check_turn_server *turn;
	struct conf_turn_server t;
	struct conf_ws_server w;
	const char *const *stun;
	const char **ws;
	size_t i, n = 0;
	bool insecure = false;

	memset(cfg, 0, sizeof(*cfg));
	if (conf_get_list(conf, "stun_servers", &stun, &n) == 0) {
		cfg->stun_servers = stun;
		cfg->stun_count = n;
	}
	for (n = 0; conf_turn_server(conf, n, &t) == 0; n++)
		;
	turn = calloc(n + 1, sizeof(*turn));
	for (i = 0; turn && i < n; i++) {
		conf_turn_server(conf, i, &t);
		turn[i].url = t.url;
		turn[i].username = t.username;
		turn[i].password = t.password;
	}
	cfg->turn_servers = turn;
	cfg->turn_count = n;
	for (n = 0; conf_ws_server(conf, n, &w) == 0; n++)
		;
	ws = calloc(n + 1, sizeof(*ws));
	for (i = 0; ws && i < n; i++) {
		conf_ws_server(conf, i, &w);
		ws[i] = w.url;
	}
	cfg->ws_servers = ws;
	cfg->ws_count = n;
	if (!turn || !ws) {
		check_config_free(cfg);
		return ENOMEM;
	}
	conf_get_str(conf, "websocket.origin", &cfg->origin);
	conf_get_str(conf, "tls.ca_file", &cfg->tls_ca_file);
	conf_get_bool(conf, "tls.insecure", &insecure);
	cfg->tls_insecure = insecure;
	return 0;
}

void check_config_free(struct check_config *cfg)
{
	free((void *)cfg->turn_servers);
	free((void *)cfg->ws_servers);
	cfg->turn_servers = NULL;
	cfg->ws_servers = NULL;
	cfg->turn_count = cfg->ws_count = 0;
}
