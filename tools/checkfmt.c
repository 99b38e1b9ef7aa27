/* webrtc-check's output formats; see checkfmt.h. */
#include "checkfmt.h"

#include <string.h>

#define COLOUR_RESET "\033[0m"

static const char *colour(enum check_state s)
{
	switch (s) {
	case CHECK_PASS: return "\033[32m";
	case CHECK_WARN: return "\033[33m";
	case CHECK_FAIL: return "\033[1;31m";
	case CHECK_SKIP: return "\033[2m";
	}
	return "";
}

/* A figure's value as the JSON writer writes it: 12.5, 3, -0.125. */
static void put_number(FILE *out, double v)
{
	struct json j;

	json_init(&j);
	json_double(&j, v);
	fputs(json_text(&j) ? json_text(&j) : "null", out);
	json_free(&j);
}

static void put_figures(FILE *out, const struct check_result *r,
			const char *open, const char *close)
{
	size_t i;

	if (!r->figure_count)
		return;
	fputs(open, out);
	for (i = 0; i < r->figure_count; i++) {
		fprintf(out, "%s%s=", i ? " " : "", r->figures[i].name);
		put_number(out, r->figures[i].value);
	}
	fputs(close, out);
}

static void on_start(const char *suite, const char *name, void *arg)
{
	struct checkfmt *f = arg;

	if (f->kind != CHECKFMT_LIST || !f->tty)
		return;
	fprintf(f->out, " %s....%s  %-8s %s\r", colour(CHECK_SKIP),
		COLOUR_RESET, suite, name);
	fflush(f->out);
}

static void list_report(struct checkfmt *f, const struct check_result *r)
{
	if (f->tty)
		fprintf(f->out, "\033[K %s%s%s  ", colour(r->state),
			check_state_name(r->state), COLOUR_RESET);
	else
		fprintf(f->out, " %s  ", check_state_name(r->state));
	fprintf(f->out, "%-8s %s: %s", r->suite, r->name, r->reason);
	put_figures(f->out, r, " [", "]");
	fputc('\n', f->out);
}

static void tap_report(struct checkfmt *f, const struct check_result *r)
{
	fprintf(f->out, "%s %u - %s: %s", r->state == CHECK_FAIL ? "not ok" : "ok",
		f->count, r->suite, r->name);
	if (r->state == CHECK_SKIP)
		fprintf(f->out, " # SKIP %s\n", r->reason);
	else
		fprintf(f->out, ": %s%s\n", r->reason,
			r->state == CHECK_WARN ? " (warning)" : "");
	put_figures(f->out, r, "# ", "\n");
}

static void json_report(struct checkfmt *f, const struct check_result *r)
{
	struct json *j = &f->json;
	size_t i;

	json_object_begin(j);
	json_member_str(j, "suite", r->suite);
	json_member_str(j, "name", r->name);
	json_member_str(j, "state", check_state_name(r->state));
	json_member_str(j, "reason", r->reason);
	json_key(j, "figures");
	json_object_begin(j);
	for (i = 0; i < r->figure_count; i++) {
		json_key(j, r->figures[i].name);
		json_double(j, r->figures[i].value);
	}
	json_object_end(j);
	json_key(j, "units");
	json_object_begin(j);
	for (i = 0; i < r->figure_count; i++)
		json_member_str(j, r->figures[i].name, r->figures[i].unit);
	json_object_end(j);
	json_object_end(j);
}

/* Nagios perfdata label: suite_name_figure in [a-z0-9_]. */
static void nagios_perf(struct checkfmt *f, const struct check_result *r)
{
	size_t i;

	for (i = 0; i < r->figure_count; i++) {
		const struct check_figure *fig = &r->figures[i];
		char label[CHECK_NAME_MAX + 64], *p;
		int n;

		if (strcmp(fig->unit, "ms") != 0)
			continue; /* the timed checks only */
		snprintf(label, sizeof(label), "%s_%s_%s", r->suite, r->name,
			 fig->name);
		for (p = label; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
				*p = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a')
							       : '_';
		n = snprintf(f->perf + f->perf_len, sizeof(f->perf) - f->perf_len,
			     "%s'%s'=%.3fms", f->perf_len ? " " : "", label,
			     fig->value);
		if (n > 0 && (size_t)n < sizeof(f->perf) - f->perf_len)
			f->perf_len += (size_t)n;
		else
			f->perf[f->perf_len] = '\0'; /* full: the rest is left out */
	}
}

static void on_report(const struct check_result *r, void *arg)
{
	struct checkfmt *f = arg;

	f->count++;
	f->tally[r->state]++;
	f->worst = f->any ? check_worst(f->worst, r->state) : r->state;
	f->any = true;
	if (r->state == CHECK_FAIL && !f->first_fail[0])
		snprintf(f->first_fail, sizeof(f->first_fail), "%s %s: %s",
			 r->suite, r->name, r->reason);
	switch (f->kind) {
	case CHECKFMT_LIST:
		list_report(f, r);
		break;
	case CHECKFMT_TAP:
		tap_report(f, r);
		break;
	case CHECKFMT_JSON:
		json_report(f, r);
		break;
	case CHECKFMT_NAGIOS:
		nagios_perf(f, r);
		break;
	}
	fflush(f->out);
}

void checkfmt_init(struct checkfmt *f, enum checkfmt_kind kind, FILE *out,
		   bool tty)
{
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->out = out;
	f->tty = tty && kind == CHECKFMT_LIST;
	f->worst = CHECK_SKIP;
	json_init(&f->json);
	if (kind == CHECKFMT_JSON) {
		json_object_begin(&f->json);
		json_key(&f->json, "checks");
		json_array_begin(&f->json);
	}
}

struct check_sink checkfmt_sink(struct checkfmt *f)
{
	struct check_sink sink = {on_start, on_report, f};

	return sink;
}

void checkfmt_finish(struct checkfmt *f, const char *version)
{
	static const char *const nagios_word[] = {
		[CHECK_PASS] = "OK", [CHECK_WARN] = "WARNING",
		[CHECK_FAIL] = "CRITICAL", [CHECK_SKIP] = "OK",
	};
	struct json *j = &f->json;

	switch (f->kind) {
	case CHECKFMT_LIST:
		fprintf(f->out, "%u check%s: %u pass, %u warn, %u fail, "
				"%u skip\n",
			f->count, f->count == 1 ? "" : "s", f->tally[CHECK_PASS], f->tally[CHECK_WARN],
			f->tally[CHECK_FAIL], f->tally[CHECK_SKIP]);
		break;
	case CHECKFMT_TAP:
		fprintf(f->out, "1..%u\n", f->count);
		break;
	case CHECKFMT_JSON:
		json_array_end(j);
		json_member_str(j, "tool", "webrtc-check");
		json_member_str(j, "version", version);
		json_member_str(j, "state", check_state_name(f->worst));
		json_key(j, "summary");
		json_object_begin(j);
		json_member_int(j, "pass", f->tally[CHECK_PASS]);
		json_member_int(j, "warn", f->tally[CHECK_WARN]);
		json_member_int(j, "fail", f->tally[CHECK_FAIL]);
		json_member_int(j, "skip", f->tally[CHECK_SKIP]);
		json_object_end(j);
		json_object_end(j);
		fprintf(f->out, "%s\n", json_text(j) ? json_text(j) : "null");
		break;
	case CHECKFMT_NAGIOS:
		fprintf(f->out, "WEBRTC %s - %u check%s: %u pass, %u warn, "
				"%u fail, %u skip%s%s%s%s\n",
			nagios_word[f->worst], f->count,
			f->count == 1 ? "" : "s", f->tally[CHECK_PASS],
			f->tally[CHECK_WARN], f->tally[CHECK_FAIL],
			f->tally[CHECK_SKIP], f->first_fail[0] ? "; " : "",
			f->first_fail, f->perf_len ? " | " : "", f->perf);
		break;
	}
	fflush(f->out);
}

void checkfmt_free(struct checkfmt *f)
{
	json_free(&f->json);
}
