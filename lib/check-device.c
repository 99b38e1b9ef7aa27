/* webrtc-check's microphone, camera and speakers suites (check-device.h):
 * GStreamer's device monitor lists the devices, a short pipeline per check
 * captures or plays, and the bus is read synchronously (no main loop). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The level element's rms and peak fields are GValueArrays. */
#define GLIB_DISABLE_DEPRECATION_WARNINGS
#include <gst/gst.h>

#include "check-device.h"

#define MIC_SUITE "microphone"
#define CAMERA_SUITE "camera"
#define SPEAKERS_SUITE "speakers"
#define MIC_CAPTURE_MS 2000

static int device_init(void)
{
	return gst_init_check(NULL, NULL, NULL) ? 0 : ENOENT;
}

/* The devices of one class ("Audio/Source"...), in the monitor's order. */
static GList *device_list(const char *klass)
{
	GstDeviceMonitor *mon = gst_device_monitor_new();
	GList *devices = NULL;

	gst_device_monitor_add_filter(mon, klass, NULL);
	if (gst_device_monitor_start(mon)) {
		devices = gst_device_monitor_get_devices(mon);
		gst_device_monitor_stop(mon);
	}
	gst_object_unref(mon);
	return devices;
}

static void device_list_free(GList *devices)
{
	g_list_free_full(devices, gst_object_unref);
}

int check_audio_devices(bool *source, bool *sink)
{
	GList *devices;
	int err = device_init();

	*source = *sink = false;
	if (err)
		return err;
	devices = device_list("Audio/Source");
	*source = devices != NULL;
	device_list_free(devices);
	devices = device_list("Audio/Sink");
	*sink = devices != NULL;
	device_list_free(devices);
	return 0;
}

/* The name a user gives: PulseAudio's ("mic.monitor"), a V4L2 path, else
 * the description. */
static char *device_id(GstDevice *dev)
{
	static const char *const keys[] = {"device.path", "api.v4l2.path",
					   "object.path"};
	GstStructure *props;
	char *id = NULL;

	if (g_object_class_find_property(G_OBJECT_GET_CLASS(dev),
					 "internal-name"))
		g_object_get(dev, "internal-name", &id, NULL);
	props = gst_device_get_properties(dev);
	for (size_t i = 0; !id && props && i < G_N_ELEMENTS(keys); i++)
		if (gst_structure_get_string(props, keys[i]))
			id = g_strdup(gst_structure_get_string(props, keys[i]));
	if (props)
		gst_structure_free(props);
	return id ? id : gst_device_get_display_name(dev);
}

static bool device_is_default(GstDevice *dev)
{
	GstStructure *props = gst_device_get_properties(dev);
	gboolean is_default = FALSE;

	if (props) {
		gst_structure_get_boolean(props, "is-default", &is_default);
		gst_structure_free(props);
	}
	return is_default;
}

/* The device named (by id or description), else the default, else the
 * first; NULL when a named one is not there. */
static GstDevice *device_pick(GList *devices, const char *name)
{
	for (GList *l = devices; l; l = l->next) {
		GstDevice *dev = l->data;
		char *id, *desc;
		bool match;

		if (!name) {
			if (device_is_default(dev))
				return dev;
			continue;
		}
		id = device_id(dev);
		desc = gst_device_get_display_name(dev);
		match = !strcmp(id, name) || !strcmp(desc, name);
		g_free(id);
		g_free(desc);
		if (match)
			return dev;
	}
	return name || !devices ? NULL : devices->data;
}

/* "a, b, c": the devices' ids. */
static char *device_names(GList *devices)
{
	GString *names = g_string_new(NULL);

	for (GList *l = devices; l; l = l->next) {
		char *id = device_id(l->data);

		g_string_append_printf(names, "%s%s", l == devices ? "" : ", ",
				       id);
		g_free(id);
	}
	return g_string_free(names, FALSE);
}

/* A device suite: its devices listed, then the chosen one checked. */
struct device_suite {
	const char *suite, *klass, *what, *none;
	void (*check)(GstDevice *dev, const struct check_config *cfg,
		      const struct check_sink *sink);
};

/* The list check: pass with the devices named, fail when the one named is
 * not among them, skip when there is none. Then the device's checks. */
static int device_suite_run(const struct device_suite *ds, const char *name,
			    const struct check_config *cfg,
			    const struct check_sink *sink)
{
	struct check_result r;
	GstDevice *dev = NULL;
	GList *devices;
	char *names;
	unsigned n;

	if (device_init())
		return ENOENT;
	check_init(&r, ds->suite, "%ss", ds->what);
	check_start(sink, &r); /* the device monitor may take a while */
	devices = device_list(ds->klass);
	n = g_list_length(devices);
	if (!devices) {
		check_set(&r, CHECK_SKIP, "%s", ds->none);
	} else {
		dev = device_pick(devices, name);
		names = device_names(devices);
		check_figure_add(&r, "devices", n, "");
		if (dev)
			check_set(&r, CHECK_PASS, "%u %s%s: %s", n, ds->what,
				  n == 1 ? "" : "s", names);
		else
			check_set(&r, CHECK_FAIL, "no %s named %s among: %s",
				  ds->what, name, names);
		g_free(names);
	}
	check_report(sink, &r);
	if (dev)
		ds->check(dev, cfg, sink);
	device_list_free(devices);
	return 0;
}

/* Runs pipe until EOS, an error or timeout_ms; on_message sees the other
 * messages (and may stop the run by returning false). Returns 0, ETIMEDOUT,
 * or EIO with the error's text in error. */
static int pipeline_run(GstElement *pipe, unsigned timeout_ms,
			bool (*on_message)(GstMessage *msg, void *arg),
			void *arg, char *error, size_t error_size)
{
	GstBus *bus = gst_element_get_bus(pipe);
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	int err = ETIMEDOUT;

	if (gst_element_set_state(pipe, GST_STATE_PLAYING) ==
	    GST_STATE_CHANGE_FAILURE)
		err = EIO;
	while (err == ETIMEDOUT) {
		gint64 left = end - g_get_monotonic_time();
		GstMessage *msg;

		if (left <= 0)
			break;
		msg = gst_bus_timed_pop_filtered(
			bus, (GstClockTime)left * 1000,
			GST_MESSAGE_ERROR | GST_MESSAGE_EOS |
				GST_MESSAGE_ELEMENT);
		if (!msg)
			break;
		if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
			GError *e = NULL;

			gst_message_parse_error(msg, &e, NULL);
			snprintf(error, error_size, "%s",
				 e ? e->message : "unknown error");
			g_clear_error(&e);
			err = EIO;
		} else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) {
			err = 0;
		} else if (on_message && !on_message(msg, arg)) {
			err = 0;
		}
		gst_message_unref(msg);
	}
	if (err == EIO && !error[0])
		snprintf(error, error_size, "the pipeline does not start");
	gst_element_set_state(pipe, GST_STATE_NULL);
	gst_object_unref(bus);
	return err;
}

static double tenths(double v)
{
	return round(v * 10) / 10 + 0.0; /* + 0.0: never "-0" */
}

/* ---- microphone ----------------------------------------------------- */

struct mic_level {
	GstElement *level;
	GstClockTime want, got; /* capture time wanted, measured */
	double power_sum;       /* mean square amplitude x duration (s) */
	double peak_db;
};

static double value_array_max(const GValue *v)
{
	GValueArray *a = v ? g_value_get_boxed(v) : NULL;
	double max = -INFINITY;

	for (guint i = 0; a && i < a->n_values; i++)
		max = fmax(max, g_value_get_double(&a->values[i]));
	return max;
}

static double value_array_power(const GValue *v)
{
	GValueArray *a = v ? g_value_get_boxed(v) : NULL;
	double sum = 0;

	for (guint i = 0; a && i < a->n_values; i++)
		sum += pow(10.0, g_value_get_double(&a->values[i]) / 10.0);
	return a && a->n_values ? sum / a->n_values : 0;
}

static bool mic_on_message(GstMessage *msg, void *arg)
{
	struct mic_level *lv = arg;
	const GstStructure *s = gst_message_get_structure(msg);
	GstClockTime duration = 0;
	double seconds;

	if (GST_MESSAGE_SRC(msg) != GST_OBJECT(lv->level) || !s ||
	    !gst_structure_has_name(s, "level"))
		return true;
	gst_structure_get_clock_time(s, "duration", &duration);
	seconds = (double)duration / GST_SECOND;
	lv->got += duration;
	lv->power_sum += value_array_power(
				 gst_structure_get_value(s, "rms")) *
			 seconds;
	lv->peak_db = fmax(lv->peak_db, value_array_max(gst_structure_get_value(
						 s, "peak")));
	return lv->got < lv->want;
}

/* A pipeline: src (a device's element, may be NULL), then the elements
 * described (gst-launch syntax), then sink (may be NULL). Takes src and
 * sink. NULL with the reason in error. */
static GstElement *pipeline_make(GstElement *src, const char *desc,
				 GstElement *sink, char *error,
				 size_t error_size)
{
	GstElement *pipe = NULL, *bin;
	GError *e = NULL;

	bin = gst_parse_bin_from_description(desc, TRUE, &e);
	if (!bin) {
		snprintf(error, error_size, "%s",
			 e ? e->message : "GStreamer elements missing");
		g_clear_error(&e);
		goto fail;
	}
	pipe = gst_pipeline_new(NULL);
	gst_bin_add(GST_BIN(pipe), bin);
	if (src) {
		gst_bin_add(GST_BIN(pipe), src);
		if (!gst_element_link(src, bin)) {
			src = sink = NULL;
			snprintf(error, error_size,
				 "the device's output does not link");
			goto fail;
		}
		src = NULL;
	}
	if (sink) {
		gst_bin_add(GST_BIN(pipe), sink);
		if (!gst_element_link(bin, sink)) {
			sink = NULL;
			snprintf(error, error_size,
				 "the device's input does not link");
			goto fail;
		}
	}
	return pipe;
fail:
	if (src)
		gst_object_unref(src);
	if (sink)
		gst_object_unref(sink);
	if (pipe)
		gst_object_unref(pipe);
	return NULL;
}

static void mic_capture(GstDevice *dev, unsigned capture_ms,
			const struct check_sink *sink)
{
	struct mic_level lv = {.want = (GstClockTime)capture_ms * GST_MSECOND,
			       .peak_db = -INFINITY};
	struct check_result r;
	char error[160] = "";
	char *id = device_id(dev);
	GstElement *pipe;
	double rms_db, seconds;
	int err;

	check_init(&r, MIC_SUITE, "capture %s", id);
	check_start(sink, &r);
	pipe = pipeline_make(gst_device_create_element(dev, NULL),
			     "audioconvert ! level name=level "
			     "interval=100000000 post-messages=true ! "
			     "fakesink sync=false",
			     NULL, error, sizeof(error));
	if (!pipe) {
		check_set(&r, CHECK_FAIL, "cannot capture: %s", error);
		goto out;
	}
	lv.level = gst_bin_get_by_name(GST_BIN(pipe), "level");
	err = pipeline_run(pipe, capture_ms + 3000, mic_on_message, &lv,
			   error, sizeof(error));
	gst_object_unref(lv.level);
	gst_object_unref(pipe);
	seconds = (double)lv.got / GST_SECOND;
	if (err == EIO) {
		check_set(&r, CHECK_FAIL, "capture failed: %s", error);
		goto out;
	}
	if (lv.got == 0) {
		check_set(&r, CHECK_FAIL, "no audio in %.1f s",
			  (capture_ms + 3000) / 1000.0);
		goto out;
	}
	rms_db = lv.power_sum > 0 ? 10.0 * log10(lv.power_sum / seconds)
				  : -INFINITY;
	/* dBFS figures are finite: digital silence reads -200. */
	rms_db = fmax(rms_db, -200.0);
	lv.peak_db = fmax(lv.peak_db, -200.0);
	check_figure_add(&r, "rms_dbfs", tenths(rms_db), "dBFS");
	check_figure_add(&r, "peak_dbfs", tenths(lv.peak_db),
			 "dBFS");
	check_figure_add(&r, "seconds", tenths(seconds), "s");
	if (lv.got < lv.want)
		check_set(&r, CHECK_FAIL, "only %.1f s of audio in %.1f s",
			  seconds, (capture_ms + 3000) / 1000.0);
	else if (rms_db < CHECK_MIC_SILENCE_DBFS)
		check_set(&r, CHECK_FAIL,
			  "silence: RMS %.1f dBFS is below %.0f dBFS (muted, "
			  "or the input volume too low?)",
			  rms_db, CHECK_MIC_SILENCE_DBFS);
	else if (lv.peak_db >= CHECK_MIC_CLIPPING_DBFS)
		check_set(&r, CHECK_WARN,
			  "clipping: peak %.1f dBFS (lower the input volume)",
			  tenths(lv.peak_db));
	else
		check_set(&r, CHECK_PASS, "RMS %.1f dBFS, peak %.1f dBFS",
			  rms_db, lv.peak_db);
out:
	g_free(id);
	check_report(sink, &r);
}

static void mic_check(GstDevice *dev, const struct check_config *cfg,
		      const struct check_sink *sink)
{
	(void)cfg;
	mic_capture(dev, MIC_CAPTURE_MS, sink);
}

/* ---- speakers ------------------------------------------------------- */

#define TONE_HZ 440
#define TONE_MS 1000

static void speakers_tone(GstDevice *dev, const struct check_sink *sink)
{
	struct check_result r;
	char error[160] = "", desc[200];
	char *id = device_id(dev);
	GstElement *pipe;
	gint64 start = g_get_monotonic_time();
	int err;

	check_init(&r, SPEAKERS_SUITE, "tone %s", id);
	check_start(sink, &r);
	/* 48 kHz, 10 buffers of 100 ms: TONE_MS then EOS once played. */
	snprintf(desc, sizeof(desc),
		 "audiotestsrc freq=%d volume=0.5 samplesperbuffer=4800 "
		 "num-buffers=%d ! audio/x-raw,rate=48000 ! audioconvert ! "
		 "audioresample",
		 TONE_HZ, TONE_MS / 100);
	pipe = pipeline_make(NULL, desc, gst_device_create_element(dev, NULL),
			     error, sizeof(error));
	if (!pipe) {
		check_set(&r, CHECK_FAIL, "cannot play: %s", error);
		goto out;
	}
	err = pipeline_run(pipe, TONE_MS + 4000, NULL, NULL, error,
			   sizeof(error));
	gst_object_unref(pipe);
	if (err == EIO)
		check_set(&r, CHECK_FAIL, "playing failed: %s", error);
	else if (err)
		check_set(&r, CHECK_FAIL, "the tone did not end in %.1f s",
			  (TONE_MS + 4000) / 1000.0);
	else
		check_set(&r, CHECK_PASS, "played %.1f s of %d Hz",
			  TONE_MS / 1000.0, TONE_HZ);
	check_figure_add(&r, "ms",
			 round((g_get_monotonic_time() - start) / 1000.0), "ms");
out:
	g_free(id);
	check_report(sink, &r);
}

static void speakers_check(GstDevice *dev, const struct check_config *cfg,
			   const struct check_sink *sink)
{
	if (cfg && cfg->play_tone)
		speakers_tone(dev, sink);
}

/* ---- camera --------------------------------------------------------- */

#define CAMERA_MS 2000

bool check_frame_black(const unsigned char *gray, unsigned width,
		       unsigned height, unsigned stride)
{
	uint64_t sum = 0;

	if (!width || !height)
		return true;
	for (unsigned y = 0; y < height; y++)
		for (unsigned x = 0; x < width; x++)
			sum += gray[(size_t)y * stride + x];
	return sum < (uint64_t)20 * width * height;
}

bool check_frame_frozen(const unsigned char *gray, const unsigned char *prev,
			unsigned width, unsigned height, unsigned stride)
{
	uint64_t diff = 0;

	if (!width || !height)
		return true;
	for (unsigned y = 0; y < height; y++)
		for (unsigned x = 0; x < width; x++) {
			size_t i = (size_t)y * stride + x;

			diff += gray[i] > prev[i] ? gray[i] - prev[i]
						  : prev[i] - gray[i];
		}
	/* Under 0.5 per pixel on average. */
	return diff * 2 < (uint64_t)width * height;
}

/* Written by the streaming thread, read once the pipeline is stopped. */
struct camera_frames {
	unsigned width, height, stride;
	unsigned frames, black, frozen;
	gint64 first_us, last_us;
	unsigned char *prev;
	bool done;
};

static void camera_on_frame(GstElement *fake, GstBuffer *buf, GstPad *pad,
			    gpointer p)
{
	struct camera_frames *cf = p;
	size_t size = (size_t)cf->stride * cf->height;
	gint64 now = g_get_monotonic_time();
	GstMapInfo map;

	(void)pad;
	if (cf->done || !gst_buffer_map(buf, &map, GST_MAP_READ))
		return;
	if (map.size >= size) {
		if (!cf->frames++)
			cf->first_us = now;
		cf->last_us = now;
		cf->black += check_frame_black(map.data, cf->width, cf->height,
					       cf->stride);
		if (cf->prev)
			cf->frozen += check_frame_frozen(map.data, cf->prev,
							 cf->width, cf->height,
							 cf->stride);
		else
			cf->prev = g_malloc(size);
		memcpy(cf->prev, map.data, size);
	}
	gst_buffer_unmap(buf, &map);
	if (cf->frames && now - cf->first_us >= (gint64)CAMERA_MS * 1000) {
		cf->done = true;
		gst_element_post_message(
			fake, gst_message_new_element(
				      GST_OBJECT(fake),
				      gst_structure_new_empty("camera-done")));
	}
}

static bool camera_on_message(GstMessage *msg, void *arg)
{
	const GstStructure *s = gst_message_get_structure(msg);

	(void)arg;
	return !s || !gst_structure_has_name(s, "camera-done");
}

static void camera_capture(GstDevice *dev, unsigned width, unsigned height,
			   const struct check_sink *sink)
{
	struct camera_frames cf = {.width = width, .height = height,
				   .stride = (width + 3) & ~3u};
	struct check_result r;
	char error[160] = "", desc[400];
	GstElement *pipe, *fake;
	double fps = 0;
	int err;

	check_init(&r, CAMERA_SUITE, "capture %ux%u", width, height);
	check_start(sink, &r);
	snprintf(desc, sizeof(desc),
		 "capsfilter caps=\"video/x-raw,width=%u,height=%u;"
		 "image/jpeg,width=%u,height=%u\" ! decodebin ! "
		 "videoconvert ! video/x-raw,format=GRAY8 ! "
		 "fakesink name=frames signal-handoffs=true sync=false",
		 width, height, width, height);
	pipe = pipeline_make(gst_device_create_element(dev, NULL), desc, NULL,
			     error, sizeof(error));
	if (!pipe) {
		check_set(&r, CHECK_FAIL, "cannot capture: %s", error);
		goto out;
	}
	fake = gst_bin_get_by_name(GST_BIN(pipe), "frames");
	g_signal_connect(fake, "handoff", G_CALLBACK(camera_on_frame), &cf);
	err = pipeline_run(pipe, CAMERA_MS + 4000, camera_on_message, NULL,
			   error, sizeof(error));
	gst_object_unref(fake);
	gst_object_unref(pipe);
	g_free(cf.prev);
	if (cf.frames > 1 && cf.last_us > cf.first_us)
		fps = (cf.frames - 1) * 1e6 / (double)(cf.last_us - cf.first_us);
	check_figure_add(&r, "fps", tenths(fps), "fps");
	check_figure_add(&r, "frames", cf.frames, "");
	check_figure_add(&r, "black_frames", cf.black, "");
	check_figure_add(&r, "frozen_frames", cf.frozen, "");
	if (!cf.frames && err == EIO && strstr(error, "negotiat"))
		check_set(&r, CHECK_WARN, "the camera does not offer %ux%u",
			  width, height);
	else if (!cf.frames && err == EIO)
		check_set(&r, CHECK_FAIL, "capture failed: %s", error);
	else if (!cf.frames)
		check_set(&r, CHECK_FAIL, "no frame in %.1f s",
			  (CAMERA_MS + 4000) / 1000.0);
	else if (fps < CHECK_CAMERA_MIN_FPS)
		check_set(&r, CHECK_FAIL, "%.1f fps is below %.0f fps", fps,
			  CHECK_CAMERA_MIN_FPS);
	else if (cf.black * 3 > cf.frames)
		check_set(&r, CHECK_FAIL,
			  "%u of %u frames black (lens covered, or too dark?)",
			  cf.black, cf.frames);
	else if (cf.frozen * 3 > cf.frames)
		check_set(&r, CHECK_FAIL, "%u of %u frames frozen", cf.frozen,
			  cf.frames);
	else
		check_set(&r, CHECK_PASS, "%.1f fps, %u frames", fps,
			  cf.frames);
out:
	check_report(sink, &r);
}

static void camera_check(GstDevice *dev, const struct check_config *cfg,
			 const struct check_sink *sink)
{
	static const unsigned sizes[][2] = {{320, 240}, {640, 480},
					    {1280, 720}};

	(void)cfg;
	for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++)
		camera_capture(dev, sizes[i][0], sizes[i][1], sink);
}

/* ---- the suites ---------------------------------------------------- */

static const struct device_suite device_suites[] = {
	{MIC_SUITE, "Audio/Source", "audio source",
	 "no audio source (GStreamer's device monitor finds no microphone)",
	 mic_check},
	{CAMERA_SUITE, "Video/Source", "video source",
	 "no camera (GStreamer's device monitor finds no video source)",
	 camera_check},
	{SPEAKERS_SUITE, "Audio/Sink", "audio output",
	 "no audio output (GStreamer's device monitor finds no speaker)",
	 speakers_check},
};

int check_microphone_run(const struct check_config *cfg,
			 const struct check_sink *sink)
{
	return device_suite_run(&device_suites[0],
				cfg ? cfg->audio_device : NULL, cfg, sink);
}

int check_camera_run(const struct check_config *cfg,
		     const struct check_sink *sink)
{
	return device_suite_run(&device_suites[1],
				cfg ? cfg->video_device : NULL, cfg, sink);
}

int check_speakers_run(const struct check_config *cfg,
		       const struct check_sink *sink)
{
	return device_suite_run(&device_suites[2],
				cfg ? cfg->output_device : NULL, cfg, sink);
}
