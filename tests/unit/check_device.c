/* The camera suite's frame rules (check-device.h), on synthetic GRAY8
 * frames: no camera is needed to tell black and frozen frames. */
#include "check-device.h"
#include "tap/basic.h"

#include <string.h>

#define W 8
#define H 4
#define STRIDE 12 /* padded rows: the padding never counts */

static unsigned char frame[H * STRIDE], prev[H * STRIDE];

static void fill(unsigned char *f, unsigned char luma, unsigned char pad)
{
	for (unsigned y = 0; y < H; y++) {
		memset(f + y * STRIDE, luma, W);
		memset(f + y * STRIDE + W, pad, STRIDE - W);
	}
}

int main(void)
{
	plan(9);

	fill(frame, 0, 255);
	ok(check_frame_black(frame, W, H, STRIDE), "all zero is black");
	fill(frame, 19, 255);
	ok(check_frame_black(frame, W, H, STRIDE),
	   "mean luma 19 is black, bright padding ignored");
	fill(frame, 20, 0);
	ok(!check_frame_black(frame, W, H, STRIDE), "mean luma 20 is not");
	fill(frame, 0, 0);
	frame[0] = 255;
	frame[STRIDE] = 255;
	frame[2 * STRIDE] = 255;
	ok(!check_frame_black(frame, W, H, STRIDE),
	   "a few bright pixels lift the mean over 20 (765/32)");

	fill(prev, 100, 0);
	fill(frame, 100, 200);
	ok(check_frame_frozen(frame, prev, W, H, STRIDE),
	   "the same picture is frozen, whatever the padding");
	frame[5] = 115; /* 15 over 32 pixels: under 0.5 each */
	ok(check_frame_frozen(frame, prev, W, H, STRIDE),
	   "a difference under 0.5 per pixel is still frozen");
	frame[6] = 101; /* 16 over 32: 0.5 each */
	ok(!check_frame_frozen(frame, prev, W, H, STRIDE),
	   "0.5 per pixel is movement");
	fill(frame, 90, 0);
	ok(!check_frame_frozen(frame, prev, W, H, STRIDE),
	   "a darker picture is movement (differences taken both ways)");
	ok(check_frame_black(frame, 0, 0, 0) &&
		   check_frame_frozen(frame, prev, 0, 0, 0),
	   "an empty frame is black and frozen");
	return 0;
}
