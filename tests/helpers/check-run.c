/* check-run: runs webrtc-check's device and connectivity suites through
 * the library (lib/check-*.h), one line per check on stdout:
 * "suite state name: reason [figure=value unit ...]". Exit 0 when no
 * check failed, 1 when one did.
 *
 *   check-run [--audio-device NAME] [--video-device NAME]
 *             [--output-device NAME] [--play-tone] SUITE...
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

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
		{NULL, 0, NULL, 0},
	};
	struct check_device_options dev = {0};
	struct check_sink sink = {.report_h = on_report};
	int c, err = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 1: dev.audio_device = optarg; break;
		case 2: dev.video_device = optarg; break;
		case 3: dev.output_device = optarg; break;
		case 4: dev.play_tone = true; break;
		default: return SIPWS_EXIT_USAGE;
		}
	}
	for (int i = optind; i < argc && !err; i++) {
		if (!strcmp(argv[i], "microphone"))
			err = check_microphone(&dev, &sink);
		else if (!strcmp(argv[i], "camera"))
			err = check_camera(&dev, &sink);
		else if (!strcmp(argv[i], "speakers"))
			err = check_speakers(&dev, &sink);
		else
			return SIPWS_EXIT_USAGE;
	}
	if (err)
		return SIPWS_EXIT_SOFTWARE;
	return worst == CHECK_FAIL ? SIPWS_EXIT_FAILED : SIPWS_EXIT_OK;
}
