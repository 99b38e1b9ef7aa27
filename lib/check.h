/* webrtc-check's result model: one check (a state, a one-line reason and
 * its figures) and the sink every suite reports its checks through. The
 * suites (check-system.c, check-network.c, check-server.c,
 * check-device.c, check-connect.c) each run synchronously and report a
 * check the moment it is decided; the tool formats them (TTY, TAP, JSON,
 * Nagios). */
#ifndef SIPWS_CHECK_H
#define SIPWS_CHECK_H

#include <stdbool.h>
#include <stddef.h>

enum check_state {
	CHECK_PASS,
	CHECK_WARN,
	CHECK_FAIL,
	CHECK_SKIP,
};

#define CHECK_FIGURES_MAX 12
#define CHECK_NAME_MAX 96
#define CHECK_REASON_MAX 256

/* A measured value: "ms" 12.5, "rms_dbfs" -18.2, "expires_days" 364. */
struct check_figure {
	char name[32];  /* [a-z0-9_], stable: JSON keys and Nagios labels */
	double value;
	char unit[8];   /* "ms", "dBFS", "fps", "kbit/s", "%", "" */
};

struct check_result {
	const char *suite;           /* "system", "network", ... (static) */
	char name[CHECK_NAME_MAX];   /* "element webrtcbin",
				      * "relay turn:127.0.0.1:3478 udp" */
	enum check_state state;
	char reason[CHECK_REASON_MAX]; /* one line, no trailing period */
	struct check_figure figures[CHECK_FIGURES_MAX];
	size_t figure_count;
};

/* A check starts (progress on a TTY), and its result. */
typedef void(check_start_h)(const char *suite, const char *name, void *arg);
typedef void(check_report_h)(const struct check_result *r, void *arg);

struct check_sink {
	check_start_h *start_h; /* may be NULL */
	check_report_h *report_h;
	void *arg;
};

/* What the suites check against, from the configuration and the command
 * line. Every pointer may be NULL with its count 0; strings stay the
 * caller's. */
struct check_turn_server {
	const char *url;      /* turn:host[:port][?transport=udp|tcp], turns: */
	const char *username; /* NULL: no credentials */
	const char *password;
};

struct check_config {
	const char *const *stun_servers; /* stun:host[:port] */
	size_t stun_count;
	const struct check_turn_server *turn_servers;
	size_t turn_count;
	const char *const *ws_servers;   /* ws:// or wss:// URLs */
	size_t ws_count;
	const char *origin;              /* websocket.origin, NULL for none */
	const char *tls_ca_file;         /* NULL: the system's CAs */
	bool tls_insecure;
	unsigned timeout_ms;             /* per network step; 0: 5000 */
	/* The device suites: a device by name or description; NULL: the
	 * default (the first camera). */
	const char *audio_device;        /* microphone */
	const char *video_device;        /* camera */
	const char *output_device;       /* speakers */
	bool play_tone;                  /* speakers: a 1 s 440 Hz tone */
	/* ICE gathers only on these local addresses (libnice's
	 * add-local-ip-address, needed for loopback); none: on every
	 * interface but loopback, as the media session does. */
	const char *const *ice_addresses;
	size_t ice_address_count;
};

#define CHECK_TIMEOUT_MS 5000

struct conf;
/* cfg from the configuration: stun_servers, turn_servers (credentials
 * resolved as conf_turn_server resolves them), websocket.servers,
 * websocket.origin, tls.ca_file and tls.insecure; the rest zero. The
 * strings stay conf's. 0 or ENOMEM. */
int check_config_load(struct check_config *cfg, const struct conf *conf);
/* Free what check_config_load allocated (not the strings). */
void check_config_free(struct check_config *cfg);

/* A suite: runs its checks one after another, each reported through sink
 * as it is decided. Returns 0, or an errno value when the suite could not
 * run at all (ENOMEM); failed checks are results, not errors. */
typedef int(check_suite_run)(const struct check_config *cfg,
			     const struct check_sink *sink);

/* A fresh result named by a printf format (truncated to fit). */
void check_init(struct check_result *r, const char *suite, const char *fmt,
		...) __attribute__((format(printf, 3, 4)));
/* Set the state and the reason (printf format; control bytes become '?',
 * truncated to one line). */
void check_set(struct check_result *r, enum check_state state,
	       const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Add a figure: 0, ENOSPC when full, EINVAL for a bad name. */
int check_figure_add(struct check_result *r, const char *name, double value,
		     const char *unit);
/* Tell the sink a check starts, and report it. */
void check_start(const struct check_sink *sink, const struct check_result *r);
void check_report(const struct check_sink *sink, const struct check_result *r);

/* Milliseconds of a monotonic clock, for timing checks. */
double check_now_ms(void);

/* "pass", "warn", "fail", "skip". */
const char *check_state_name(enum check_state state);
/* The worse of two states (fail > warn > pass > skip). */
enum check_state check_worst(enum check_state a, enum check_state b);

#endif
