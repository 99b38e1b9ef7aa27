/* libFuzzer target for the SDP module: what parses must generate, parse
 * again and generate the same bytes (stability); every typed getter must
 * succeed on what parsing checked; the media-session edits must leave a
 * message that still parses. Any mismatch aborts. */
#include "sdp.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
	if (!cond)
		abort();
}

/* Getters over every line of a section: parsing checked these lines, so
 * their typed getters must not fail. */
static void run_getters(const struct sdp *s, size_t section)
{
	struct sdp_line l;
	size_t i, n[16] = {0};

	for (i = 0; sdp_line_at(s, section, i, &l) == 0; i++) {
		union {
			struct sdp_candidate c;
			struct sdp_fingerprint f;
			struct sdp_rtpmap r;
			struct sdp_ssrc ss;
			struct sdp_ssrc_group g;
			struct sdp_msid m;
			struct sdp_extmap e;
		} u;

		require(l.text.p != NULL);
		if (l.type != 'a' || !span_is_set(l.value))
			continue;
		if (span_eq(l.name, "candidate"))
			require(sdp_candidate_get(s, section, n[0]++, &u.c) == 0);
		else if (span_eq(l.name, "rtpmap"))
			require(sdp_rtpmap_parse(l.value, &u.r) == 0);
		else if (span_eq(l.name, "ssrc"))
			require(sdp_ssrc_get(s, section, n[1]++, &u.ss) == 0);
		else if (span_eq(l.name, "ssrc-group"))
			require(sdp_ssrc_group_get(s, section, n[2]++, &u.g) == 0);
		else if (span_eq(l.name, "msid"))
			require(sdp_msid_get(s, section, n[3]++, &u.m) == 0);
		else if (span_eq(l.name, "extmap"))
			require(sdp_extmap_get(s, section, n[4]++, &u.e) == 0);
		else if (span_eq(l.name, "fingerprint"))
			require(sdp_fingerprint_parse(l.value, &u.f, NULL, 0) == 0);
	}
	require(i == sdp_line_count(s, section));
}

static void run_media(const struct sdp *s, size_t m)
{
	struct sdp_media media;
	struct sdp_connection c;
	struct sdp_fingerprint fp;
	struct sdp_rtpmap map;
	struct sdp_ice ice;
	struct span v;
	unsigned pt;
	size_t i;
	int err;

	require(sdp_media_get(s, m, &media) == 0);
	require(media.format_count > 0);
	for (i = 0; (err = sdp_media_payload_at(s, m, i, &pt)) != ENOENT; i++) {
		require(err == 0 || err == ERANGE);
		require(i < media.format_count);
		if (err == 0) {
			(void)sdp_rtpmap_get(s, m, pt, &map);
			(void)sdp_fmtp_get(s, m, pt, &v);
			(void)sdp_rtcp_fb_get(s, m, pt, 0, &v);
		}
	}
	require(i == media.format_count);
	(void)sdp_codec_find(s, m, "opus", 48000, &pt);
	(void)sdp_codec_find(s, m, "telephone-event", 0, &pt);
	(void)sdp_connection_effective(s, m, &c);
	sdp_ice_get(s, m, &ice);
	if (sdp_attr_has(s, m, "fingerprint") ||
	    sdp_attr_has(s, SDP_SESSION, "fingerprint"))
		require(sdp_fingerprint_get(s, m, 0, &fp) == 0);
	(void)sdp_setup_get(s, m);
	(void)sdp_direction_get(s, m);
	(void)sdp_media_in_group(s, m, "BUNDLE");
	(void)sdp_rtcp_mux(s, m);
	(void)sdp_end_of_candidates(s, m);
	(void)sdp_media_rejected(s, m);
}

static char *generate(const struct sdp *s, size_t *len)
{
	char *out = NULL;

	require(sdp_generate_alloc(s, &out, len) == 0);
	require(strlen(out) == *len);
	return out;
}

/* The edits a media session makes must keep the message parseable. */
static void edit(const char *text, size_t len)
{
	struct sdp *s = NULL, *again = NULL;
	char *out;
	size_t m, n;
	int err;

	require(sdp_parse(&s, text, len, NULL, 0) == 0);
	err = sdp_origin_version_bump(s);
	require(err == 0 || err == ERANGE || err == E2BIG);
	for (m = 0; m < sdp_media_count(s); m++) {
		char mid[24];

		snprintf(mid, sizeof(mid), "fz%zu", m);
		err = sdp_mid_add(s, m, mid);
		require(err == 0 || err == EEXIST || err == EINVAL || err == E2BIG);
		err = sdp_media_inherit(s, m, &n);
		require(err == 0 || err == E2BIG);
		err = sdp_opus_stereo_set(s, m, m & 1);
		require(err == 0 || err == E2BIG || err == EINVAL);
		err = sdp_end_of_candidates_add(s, m);
		require(err == 0 || err == E2BIG);
		err = sdp_direction_set(s, m, (enum sdp_direction)(m % 4));
		require(err == 0 || err == E2BIG);
		require(sdp_direction_get(s, m) == (enum sdp_direction)(m % 4) ||
			err != 0);
	}
	out = generate(s, &len);
	err = sdp_parse(&again, out, len, NULL, 0);
	require(err == 0 || err == E2BIG);
	sdp_free(again);
	sdp_free(s);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp *s = NULL, *again = NULL;
	char reason[160], *out, *out2;
	size_t len, len2, m;
	int err;

	err = sdp_parse(&s, (const char *)data, size, reason, sizeof(reason));
	if (err != 0) {
		require(err == EBADMSG || err == E2BIG);
		require(reason[0] != '\0' && s == NULL);
		return 0;
	}
	run_getters(s, SDP_SESSION);
	for (m = 0; m < sdp_media_count(s); m++) {
		run_getters(s, m);
		run_media(s, m);
	}
	out = generate(s, &len);
	require(len <= size + 2 * (size / 2 + 1));
	require(sdp_parse(&again, out, len, reason, sizeof(reason)) == 0);
	require(sdp_media_count(again) == sdp_media_count(s));
	out2 = generate(again, &len2);
	require(len2 == len && memcmp(out, out2, len) == 0);
	edit(out, len);
	sdp_free(again);
	sdp_free(s);
	free(out);
	free(out2);
	return 0;
}
