/* bench/sip-sink: the receiving end of the benchmark. Registers one
 * account over ws:// with libsipws, answers every MESSAGE 200 and counts
 * them; prints "registered" once registered and "received N" when SIGINT
 * or SIGTERM ends it.
 *
 *   sip-sink URI PASSWORD WS-URL
 *
 * Built against libsipws.a by scripts/bench.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "reg.h"
#include "sip.h"

struct sink {
	struct loop *loop;
	unsigned long received;
	int failed;
};

static unsigned on_message(const struct sip_incoming_message *m, void *arg)
{
	struct sink *k = arg;

	(void)m;
	k->received++;
	return 200;
}

static void on_reg(const struct reg_event *ev, void *arg)
{
	struct sink *k = arg;

	if (ev->type == REG_REGISTERED && !ev->refresh) {
		printf("registered\n");
		fflush(stdout);
	} else if (ev->type == REG_FAILED) {
		fprintf(stderr, "sip-sink: registration failed: %u %s\n",
			ev->status, ev->reason);
		k->failed = 1;
		loop_stop(k->loop);
	}
}

int main(int argc, char **argv)
{
	struct sink k = {0};
	struct sip_config sc = {0};
	struct reg_config rc = {0};
	struct ws_server server = {0};
	struct sip *sip = NULL;
	struct reg *reg = NULL;

	if (argc != 4) {
		fprintf(stderr, "usage: sip-sink URI PASSWORD WS-URL\n");
		return 64;
	}
	server.url = argv[3];
	sc.uri = argv[1];
	sc.password = argv[2];
	sc.user_agent = "";
	sc.ws.servers = &server;
	sc.ws.nservers = 1;
	sc.ws.max_queue = 4096;
	if (loop_alloc(&k.loop, NULL) != 0 ||
	    sip_alloc(&sip, k.loop, &sc) != 0 ||
	    reg_alloc(&reg, sip, &rc, on_reg, &k) != 0 ||
	    loop_stop_on_signals(k.loop) != 0) {
		fprintf(stderr, "sip-sink: cannot start\n");
		return 70;
	}
	sip_set_message_handler(sip, on_message, &k);
	if (sip_start(sip) != 0 || reg_register(reg) != 0) {
		fprintf(stderr, "sip-sink: cannot register\n");
		return 70;
	}
	loop_run(k.loop);
	printf("received %lu\n", k.received);
	fflush(stdout);
	reg_free(reg);
	sip_free(sip);
	loop_free(k.loop);
	return k.failed ? 1 : 0;
}
