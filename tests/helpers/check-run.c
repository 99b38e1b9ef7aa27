/* check-run: runs webrtc-check's device and connectivity suites through
 * the library (lib/check-*.h), one line per check on stdout:
 * "suite state name: reason [figure=value unit ...]". Exit 0 when no
 * check failed, 1 when one did.
 *
 *   check-run [--audio-device NAME] [--video-device NAME]
 *             [--output-device NAME] [--play-tone] [--stun URL]...
 *             [--turn URL --turn-user U --turn-pass P]... [--address IP]...
 *             SUITE...
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "check-connect.h"
#include "check-device.h"
#include "exitcode.h"

static enum check_state worst = CHECK_SKIP;

static void on_report(const struct check_result *r, void *arg)
{
	(void)arg;
	printf("%s %s %s: %s", r->suite, check_state_name(r->state), r->name,
	       r->reason);
	for (size_t i = 0; i < r->figure_count; i++)
		printf(" %s=%g%s%s", r->figures[i].name, r->figures[i].value,
		       r->figures[i].unit[0] ? " " : "", r->figures[i].unit);
	printf("\n");
	fflush(stdout);
	worst = check_worst(worst, r->state);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"audio-device", required_argument, NULL, 1},
		{"video-device", required_argument, NULL, 2},
		{"output-device", required_argument, NULL, 3},
		{"play-tone", no_argument, NULL, 4},
		{"stun", required_argument, NULL, 5},
		{"turn", required_argument, NULL, 6},
		{"turn-user", required_argument, NULL, 7},
		{"turn-pass", required_argument, NULL, 8},
		{"address", required_argument, NULL, 9},
		{NULL, 0, NULL, 0},
	};
	struct check_device_options dev = {0};
	struct check_connect_options con = {0};
	struct media_ice_server stun[4] = {{0}}, turn[4] = {{0}};
	const char *addresses[4];
	struct check_sink sink = {.report_h = on_report};
	int c, err = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 1: dev.audio_device = optarg; break;
		case 2: dev.video_device = optarg; break;
		case 3: dev.output_device = optarg; break;
		case 4: dev.play_tone = true; break;
		case 5:
			if (con.stun_count < 4)
				stun[con.stun_count++].url = optarg;
			break;
		case 6:
			if (con.turn_count < 4)
				turn[con.turn_count++].url = optarg;
			break;
		case 7:
			if (con.turn_count)
				turn[con.turn_count - 1].username = optarg;
			break;
		case 8:
			if (con.turn_count)
				turn[con.turn_count - 1].credential = optarg;
			break;
		case 9:
			if (con.ice_address_count < 4)
				addresses[con.ice_address_count++] = optarg;
			break;
		default: return SIPWS_EXIT_USAGE;
		}
	}
	con.stun = stun;
	con.turn = turn;
	con.ice_addresses = addresses;
	for (int i = optind; i < argc && !err; i++) {
		if (!strcmp(argv[i], "microphone"))
			err = check_microphone(&dev, &sink);
		else if (!strcmp(argv[i], "camera"))
			err = check_camera(&dev, &sink);
		else if (!strcmp(argv[i], "speakers"))
			err = check_speakers(&dev, &sink);
		else if (!strcmp(argv[i], "connectivity"))
			err = check_connectivity(&con, &sink);
		else
			return SIPWS_EXIT_USAGE;
	}
	if (err)
		return SIPWS_EXIT_SOFTWARE;
	return worst == CHECK_FAIL ? SIPWS_EXIT_FAILED : SIPWS_EXIT_OK;
}
