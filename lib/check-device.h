/* webrtc-check's device suites: the microphone (capture 2 s, level in
 * dBFS), the camera (capture at three resolutions: frame rate, black and
 * frozen frames) and the speakers (output devices, a test tone). Devices
 * come from GStreamer's device monitor; each suite runs synchronously and
 * reports its checks through the sink (check.h). */
#ifndef SIPWS_CHECK_DEVICE_H
#define SIPWS_CHECK_DEVICE_H

#include <stdbool.h>

#include "check.h"

/* Thresholds (testrtc's): silence below this RMS fails; a peak at or over
 * the clipping level warns; a camera under CHECK_CAMERA_MIN_FPS fails. */
#define CHECK_MIC_SILENCE_DBFS (-60.0)
#define CHECK_MIC_CLIPPING_DBFS (-0.1)
#define CHECK_CAMERA_MIN_FPS 5.0

/* The suites (check_suite_run): 0 once their checks were reported
 * (failed ones included), ENOENT when GStreamer cannot be initialised. */
int check_microphone_run(const struct check_config *cfg,
			 const struct check_sink *sink);
int check_camera_run(const struct check_config *cfg,
		     const struct check_sink *sink);
int check_speakers_run(const struct check_config *cfg,
		       const struct check_sink *sink);

/* Whether GStreamer's device monitor sees an audio capture device
 * (Audio/Source) and an audio output (Audio/Sink): the default devices a
 * tool may use. 0, or ENOENT when GStreamer cannot be initialised. */
int check_audio_devices(bool *source, bool *sink);

/* The camera's frame rules, apart so that they can be tested without a
 * camera: a GRAY8 frame (height rows of stride bytes, width of them
 * used) is black when its mean luma is under 20 of 255 (testrtc's
 * threshold), frozen when it differs from the previous one by under 0.5
 * of 255 per pixel on average. */
bool check_frame_black(const unsigned char *gray, unsigned width,
		       unsigned height, unsigned stride);
bool check_frame_frozen(const unsigned char *gray, const unsigned char *prev,
			unsigned width, unsigned height, unsigned stride);

#endif
