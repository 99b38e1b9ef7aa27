/* webrtc-check's output: the sink that writes each check as it is
 * reported, as a checklist (colour and progress on a TTY), TAP, one JSON
 * document or a Nagios status line, and the tally that gives the exit
 * code. */
#ifndef SIPWS_CHECKFMT_H
#define SIPWS_CHECKFMT_H

#include <stdbool.h>
#include <stdio.h>

#include "check.h"
#include "json.h"

enum checkfmt_kind {
	CHECKFMT_LIST,
	CHECKFMT_TAP,
	CHECKFMT_JSON,
	CHECKFMT_NAGIOS,
};

/* Timed figures kept for the Nagios perfdata. */
#define CHECKFMT_PERF_MAX 4096

struct checkfmt {
	enum checkfmt_kind kind;
	FILE *out;
	bool tty;       /* colour and progress (CHECKFMT_LIST only) */
	unsigned count; /* checks reported */
	unsigned tally[4]; /* per enum check_state */
	enum check_state worst;
	bool any;
	struct json json;
	char perf[CHECKFMT_PERF_MAX];
	size_t perf_len;
	char first_fail[CHECK_NAME_MAX + CHECK_REASON_MAX + 16];
};

void checkfmt_init(struct checkfmt *f, enum checkfmt_kind kind, FILE *out,
		   bool tty);
/* The sink that writes to f. */
struct check_sink checkfmt_sink(struct checkfmt *f);
/* Write what comes after the last check (TAP plan, JSON document, Nagios
 * line, the checklist's summary). */
void checkfmt_finish(struct checkfmt *f, const char *version);
void checkfmt_free(struct checkfmt *f);

#endif
