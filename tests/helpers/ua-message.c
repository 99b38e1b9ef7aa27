/* What an outside program does with libsipws through the ua door
 * (tests/t0650-ua-library.t): register an account, send one MESSAGE, print
 * the outcome, unregister and close politely. The code between the two
 * markers is all it takes.
 *
 *   ua-message WS-URL ACCOUNT-URI PASSWORD TO-URI TEXT
 *
 * Prints "registered EXPIRES", "message STATUS" and "done"; exits 0 when
 * the MESSAGE got a 2xx, 1 otherwise, 2 for a setup failure. */
#include "conf.h"
#include "im.h"
#include "ua.h"

#include <stdio.h>
#include <string.h>

static struct ua *ua;
static struct im *im;
static struct im_message msg;
static unsigned status;

/* ---- the program, as short as a tool's work ---- */
static void on_result(const struct im_result *res, void *arg)
{
	(void)arg;
	printf("message %u\n", status = res->status);
	ua_shutdown(ua); /* unregister, then close */
}

static void on_reg(const struct reg_event *ev, void *arg)
{
	(void)arg;
	if (ev->type == REG_REGISTERED && !ev->refresh) {
		printf("registered %u\n", (unsigned)ev->expires);
		if (im_send(im, &msg, NULL) != 0)
			ua_shutdown(ua);
	} else if (ev->type == REG_FAILED) {
		printf("registration failed %u\n", ev->status);
		ua_shutdown(ua);
	}
}

static int run(struct conf *conf)
{
	struct ua_config cfg = {.reg_h = on_reg};
	char reason[256] = "cannot start";
	int err;

	err = ua_alloc(&ua, conf, &cfg, reason, sizeof(reason));
	if (!err)
		err = im_alloc(&im, ua_sip(ua), NULL, on_result, NULL);
	if (!err)
		err = ua_start(ua);
	if (!err)
		err = ua_register(ua);
	if (!err)
		err = ua_run(ua);
	im_free(im);
	ua_free(ua);
	if (err) {
		fprintf(stderr, "ua-message: %s (%s)\n", reason, strerror(err));
		return 2;
	}
	return status >= 200 && status < 300 ? 0 : 1;
}
/* ---- end of the program ---- */

int main(int argc, char **argv)
{
	struct conf *conf = NULL;
	char reason[256], text[1024];
	int code;

	if (argc != 6) {
		fprintf(stderr, "usage: ua-message WS-URL ACCOUNT-URI PASSWORD "
				"TO-URI TEXT\n");
		return 2;
	}
	/* As a program holding its account's settings in memory would. */
	snprintf(text, sizeof(text),
		 "websocket.servers = %s\n[user]\nuri = %s\n"
		 "sip_auth_password = %s\n", argv[1], argv[2], argv[3]);
	if (conf_alloc(&conf) != 0 ||
	    conf_parse(conf, "account", text, strlen(text), reason,
		       sizeof(reason)) != 0 ||
	    conf_check(conf, reason, sizeof(reason)) != 0) {
		fprintf(stderr, "ua-message: %s\n", reason);
		conf_free(conf);
		return 2;
	}
	msg.to = argv[4];
	msg.body = argv[5];
	msg.len = strlen(argv[5]);
	code = run(conf);
	printf("done\n");
	return code;
}
