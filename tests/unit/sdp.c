/* SDP module: every file of tests/sdp-corpus parses and generates back to
 * itself; typed fields of the real offers and answers; malformed lines and
 * every limit rejected with their reason; the media-session helpers. */
#include "sdp.h"
#include "tap/basic.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int is_span(const char *want, struct span got, const char *what)
{
	if (want == NULL)
		return ok(!span_is_set(got), "%s is absent", what);
	if (!span_is_set(got))
		return ok(0, "%s is \"%s\" (absent)", what, want);
	return is_bytes(want, got.p, got.len, "%s", what);
}

/* The input with every line ending made CRLF (what sdp_generate writes). */
static char *crlf(const char *in, size_t len, size_t *outlen)
{
	char *out = malloc(2 * len + 3);
	size_t i, n = 0;

	if (out == NULL)
		bail("out of memory");
	for (i = 0; i < len; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			out[n++] = '\r';
		out[n++] = in[i];
	}
	if (n > 0 && out[n - 1] != '\n') {
		out[n++] = '\r';
		out[n++] = '\n';
	}
	out[n] = '\0';
	*outlen = n;
	return out;
}

static struct sdp *parse_str(const char *text)
{
	struct sdp *sdp = NULL;
	char reason[160];

	if (sdp_parse(&sdp, text, strlen(text), reason, sizeof(reason)) != 0)
		diag("parse failed: %s", reason);
	return sdp;
}

static char *corpus_dir(void)
{
	const char *src = getenv("SIPWS_SOURCE");
	char *dir;

	if (src == NULL)
		return NULL;
	dir = malloc(strlen(src) + 32);
	if (dir == NULL)
		bail("out of memory");
	sprintf(dir, "%s/tests/sdp-corpus", src);
	return dir;
}

static struct sdp *load(const char *name)
{
	char *dir = corpus_dir(), *path, *text;
	struct sdp *sdp = NULL;
	char reason[160];
	size_t len;

	if (dir == NULL)
		return NULL;
	path = malloc(strlen(dir) + strlen(name) + 2);
	if (path == NULL)
		bail("out of memory");
	sprintf(path, "%s/%s", dir, name);
	text = test_read_file(path, &len);
	if (text == NULL)
		bail("cannot read %s", path);
	if (sdp_parse(&sdp, text, len, reason, sizeof(reason)) != 0)
		bail("%s does not parse: %s", name, reason);
	free(text);
	free(path);
	free(dir);
	return sdp;
}

/* Every corpus file: parse, generate, compare with the input. */
static void test_corpus(void)
{
	char *dir = corpus_dir();
	struct dirent **entries, *de;
	size_t files = 0;
	int count, e;

	if (dir == NULL) {
		skip("SIPWS_SOURCE is not set (run through make test)");
		return;
	}
	count = scandir(dir, &entries, NULL, alphasort);
	if (count < 0)
		bail("cannot open %s", dir);
	for (e = 0; e < count; e++) {
		size_t nlen = strlen(entries[e]->d_name), len, want_len, out_len;
		char *path, *text, *want, *out = NULL, reason[160];
		struct sdp *sdp = NULL, *again = NULL;
		int err;

		de = entries[e];
		if (nlen < 5 || strcmp(de->d_name + nlen - 4, ".sdp") != 0)
			continue;
		files++;
		path = malloc(strlen(dir) + nlen + 2);
		if (path == NULL)
			bail("out of memory");
		sprintf(path, "%s/%s", dir, de->d_name);
		text = test_read_file(path, &len);
		if (text == NULL)
			bail("cannot read %s", path);
		err = sdp_parse(&sdp, text, len, reason, sizeof(reason));
		if (!is_int(0, err, "%s parses", de->d_name))
			diag("reason: %s", reason);
		want = crlf(text, len, &want_len);
		if (err == 0) {
			is_int(0, sdp_generate_alloc(sdp, &out, &out_len),
			       "%s generates", de->d_name);
			ok(out != NULL && out_len == want_len &&
			   memcmp(out, want, want_len) == 0,
			   "%s round-trips byte for byte (CRLF)", de->d_name);
			is_int(0, sdp_parse(&again, out, out_len, NULL, 0),
			       "%s: the output parses again", de->d_name);
		}
		sdp_free(again);
		sdp_free(sdp);
		free(out);
		free(want);
		free(text);
		free(path);
	}
	for (e = 0; e < count; e++)
		free(entries[e]);
	free(entries);
	ok(files >= 21, "the corpus has at least 21 files (%zu)", files);
	free(dir);
}

static void test_chromium_offer(void)
{
	struct sdp *s = load("chromium-av-offer.sdp");
	struct sdp_media m;
	struct sdp_candidate c;
	struct sdp_fingerprint fp;
	struct sdp_rtpmap map;
	struct sdp_ice ice;
	struct sdp_msid msid;
	struct sdp_extmap ext;
	struct sdp_ssrc ssrc;
	struct sdp_ssrc_group group;
	struct sdp_origin o;
	struct sdp_connection conn;
	struct sdp_timing t;
	struct span v;
	unsigned pt;

	is_int(2, sdp_media_count(s), "chromium av: two m-lines");
	is_int(0, sdp_origin_get(s, &o), "chromium av: origin");
	is_span("-", o.username, "chromium av: origin user");
	is_span("IN", o.nettype, "chromium av: origin nettype");
	is_span("-", sdp_session_name(s), "chromium av: s=-");
	ok(sdp_timing_get(s, 0, &t) == 0 && t.start == 0 && t.stop == 0,
	   "chromium av: t=0 0");
	is_int(ENOENT, sdp_timing_get(s, 1, &t), "chromium av: one t=");
	ok(sdp_group_id(s, "BUNDLE", 0, &v) == 0 && span_eq(v, "0"),
	   "chromium av: BUNDLE names 0 first");
	ok(sdp_group_id(s, "BUNDLE", 1, &v) == 0 && span_eq(v, "1"),
	   "chromium av: BUNDLE names 1 second");
	is_int(ENOENT, sdp_group_id(s, "BUNDLE", 2, &v),
	       "chromium av: BUNDLE has two ids");
	ok(sdp_media_in_group(s, 1, "BUNDLE"), "chromium av: video bundled");
	is_int(0, sdp_media_get(s, 0, &m), "chromium av: m-line 0");
	is_span("audio", m.media, "chromium av: audio");
	is_span("UDP/TLS/RTP/SAVPF", m.proto, "chromium av: proto");
	ok(m.port > 0 && !sdp_media_rejected(s, 0), "chromium av: audio port");
	ok(sdp_media_payload_at(s, 0, 0, &pt) == 0 && pt == 111,
	   "chromium av: first payload 111");
	ok(sdp_codec_find(s, 0, "OPUS", 48000, &pt) == 0 && pt == 111,
	   "chromium av: opus/48000 is 111 (case-insensitive)");
	ok(sdp_codec_find(s, 0, "telephone-event", 48000, &pt) == 0 && pt == 110,
	   "chromium av: telephone-event/48000 is 110");
	ok(sdp_codec_find(s, 0, "telephone-event", 8000, &pt) == 0 && pt == 126,
	   "chromium av: telephone-event/8000 is 126");
	ok(sdp_codec_find(s, 0, "PCMU", 0, &pt) == 0 && pt == 0,
	   "chromium av: PCMU is 0");
	is_int(ENOENT, sdp_codec_find(s, 0, "opus", 8000, &pt),
	       "chromium av: no opus at 8000");
	ok(sdp_codec_find(s, 1, "VP8", 90000, &pt) == 0,
	   "chromium av: video has VP8");
	ok(sdp_rtpmap_get(s, 0, 111, &map) == 0 && map.clock_rate == 48000 &&
	   map.channels == 2 && span_eq(map.encoding, "opus"),
	   "chromium av: rtpmap 111 opus/48000/2");
	ok(sdp_fmtp_get(s, 0, 111, &v) == 0 &&
	   sdp_fmtp_param(v, "useinbandfec", &v) == 0 && span_eq(v, "1"),
	   "chromium av: fmtp 111 useinbandfec=1");
	ok(sdp_rtcp_fb_get(s, 0, 111, 0, &v) == 0 && span_eq(v, "transport-cc"),
	   "chromium av: rtcp-fb 111 transport-cc");
	is_int(ENOENT, sdp_rtcp_fb_get(s, 0, 111, 1, &v),
	       "chromium av: one rtcp-fb for 111");
	is_int(0, sdp_candidate_get(s, 0, 0, &c), "chromium av: candidate");
	ok(c.component == 1 && c.type == SDP_CANDIDATE_HOST &&
	   span_eq(c.address, "127.0.0.1") && span_eq(c.transport, "udp") &&
	   c.has_generation && c.generation == 0,
	   "chromium av: host udp candidate on 127.0.0.1, generation 0");
	ok(c.ext_count == 2 && span_eq(c.ext[0].name, "network-id") &&
	   span_eq(c.ext[1].name, "network-cost") &&
	   span_eq(c.ext[1].value, "50"),
	   "chromium av: network-id and network-cost kept");
	is_int(0, sdp_candidate_get(s, 0, 1, &c), "chromium av: tcp candidate");
	is_int(SDP_TCPTYPE_ACTIVE, c.tcptype, "chromium av: tcptype active");
	sdp_ice_get(s, 0, &ice);
	ok(span_is_set(ice.ufrag) && span_is_set(ice.pwd), "chromium av: ICE");
	is_span("trickle", ice.options, "chromium av: ice-options");
	is_int(0, sdp_fingerprint_get(s, 0, 0, &fp), "chromium av: fingerprint");
	ok(span_eq(fp.algorithm, "sha-256") && fp.len == 32,
	   "chromium av: sha-256, 32 bytes");
	is_int(SDP_SETUP_ACTPASS, sdp_setup_get(s, 0), "chromium av: actpass");
	ok(sdp_mid_get(s, 0, &v) == 0 && span_eq(v, "0"), "chromium av: mid 0");
	ok(sdp_rtcp_mux(s, 0) && sdp_rtcp_mux(s, 1), "chromium av: rtcp-mux");
	is_int(SDP_SENDRECV, sdp_direction_get(s, 0), "chromium av: sendrecv");
	ok(!sdp_end_of_candidates(s, 0), "chromium av: no end-of-candidates");
	is_int(0, sdp_msid_get(s, 0, 0, &msid), "chromium av: msid");
	ok(span_is_set(msid.stream) && span_is_set(msid.track),
	   "chromium av: msid stream and track");
	ok(sdp_extmap_get(s, 0, 0, &ext) == 0 && ext.id == 1 &&
	   span_eq(ext.uri, "urn:ietf:params:rtp-hdrext:ssrc-audio-level") &&
	   !span_is_set(ext.direction),
	   "chromium av: extmap 1 audio level");
	ok(sdp_ssrc_get(s, 0, 0, &ssrc) == 0 && span_eq(ssrc.attribute, "cname"),
	   "chromium av: ssrc cname");
	ok(sdp_ssrc_group_get(s, 1, 0, &group) == 0 &&
	   span_eq(group.semantics, "FID") && group.count == 2,
	   "chromium av: video ssrc-group FID of two");
	ok(sdp_connection_effective(s, 0, &conn) == 0 &&
	   span_eq(conn.addrtype, "IP4"), "chromium av: c= of the audio");
	ok(sdp_attr_has(s, SDP_SESSION, "extmap-allow-mixed"),
	   "chromium av: session flag kept");
	sdp_free(s);

	s = load("chromium-av-video-stopped-offer.sdp");
	ok(!sdp_media_rejected(s, 0) && sdp_media_rejected(s, 1),
	   "chromium stopped video: port 0, audio kept");
	ok(sdp_media_in_group(s, 0, "BUNDLE") && !sdp_media_in_group(s, 1, "BUNDLE"),
	   "chromium stopped video: out of the BUNDLE group");
	sdp_free(s);
	s = load("chromium-av-video-stopped-answer.sdp");
	ok(sdp_media_rejected(s, 1), "chromium stopped video answer: port 0");
	sdp_free(s);

	s = load("chromium-av-hold-offer.sdp");
	is_int(SDP_SENDONLY, sdp_direction_get(s, 0), "chromium hold: sendonly");
	is_int(SDP_SENDONLY, sdp_direction_get(s, 1), "chromium hold: video too");
	sdp_free(s);
	s = load("chromium-av-hold-answer.sdp");
	is_int(SDP_RECVONLY, sdp_direction_get(s, 0), "chromium hold answer: recvonly");
	is_int(SDP_SETUP_ACTIVE, sdp_setup_get(s, 0), "chromium hold answer: active");
	sdp_free(s);
}

static void test_webrtcbin(void)
{
	struct sdp *s = load("webrtcbin-audio-offer.sdp");
	struct sdp_candidate c;
	struct span v;
	unsigned pt;

	ok(sdp_mid_get(s, 0, &v) == 0 && span_eq(v, "audio0"),
	   "webrtcbin: mid audio0");
	ok(sdp_media_in_group(s, 0, "BUNDLE"), "webrtcbin: bundled");
	ok(sdp_attr_has(s, 0, "rtcp-mux-only"), "webrtcbin: rtcp-mux-only");
	ok(sdp_codec_find(s, 0, "opus", 48000, &pt) == 0 && pt == 96,
	   "webrtcbin: OPUS is 96");
	ok(sdp_fmtp_get(s, 0, 96, &v) == 0 &&
	   sdp_fmtp_param(v, "sprop-stereo", &v) == 0 && span_eq(v, "0"),
	   "webrtcbin: sprop-stereo=0");
	ok(sdp_candidate_get(s, 0, 0, &c) == 0 && span_eq(c.transport, "UDP") &&
	   !c.has_generation && c.ext_count == 0,
	   "webrtcbin: candidate without generation");
	ok(sdp_attr_has(s, SDP_SESSION, "ice-options"),
	   "webrtcbin: ice-options at session level");
	sdp_free(s);

	/* Its answer to the softphone offer after the edits below
	 * (scripts/capture-webrtcbin-sdp.c --prepare): audio both ways. */
	s = load("webrtcbin-answer-to-softphone-offer.sdp");
	is_int(SDP_SENDRECV, sdp_direction_get(s, 0),
	       "webrtcbin: sendrecv answer to the prepared softphone offer");
	is_int(SDP_SETUP_ACTIVE, sdp_setup_get(s, 0), "webrtcbin: answers active");
	ok(!sdp_media_in_group(s, 0, "BUNDLE"), "webrtcbin: no BUNDLE in the answer");
	ok(sdp_mid_get(s, 0, &v) == 0 && span_eq(v, "0"),
	   "webrtcbin: keeps the mid we added");
	sdp_free(s);
}

static void test_softphone(void)
{
	struct sdp *s = load("softphone-offer.sdp");
	struct sdp_fingerprint fp;
	struct sdp_candidate c;
	struct sdp_ice ice;
	struct span v;
	size_t n = 0;
	char *out;

	is_int(ENOENT, sdp_mid_get(s, 0, &v), "softphone: no mid");
	ok(!sdp_media_in_group(s, 0, "BUNDLE"), "softphone: no BUNDLE");
	sdp_ice_get(s, 0, &ice);
	is_span("Fx9kQ2aR", ice.ufrag, "softphone: ufrag from session level");
	is_int(SDP_SETUP_ACTPASS, sdp_setup_get(s, 0), "softphone: setup inherited");
	ok(sdp_fingerprint_get(s, 0, 0, &fp) == 0 && fp.len == 32 &&
	   fp.bytes[0] == 0x2f && fp.bytes[31] == 0x6d,
	   "softphone: fingerprint inherited, bytes decoded");
	ok(sdp_attr_inherited(s, 0, "setup", &v) == 0 && span_eq(v, "actpass"),
	   "softphone: sdp_attr_inherited");
	ok(sdp_end_of_candidates(s, 0), "softphone: end-of-candidates");
	ok(sdp_candidate_get(s, 0, 1, &c) == 0 && c.type == SDP_CANDIDATE_SRFLX &&
	   span_eq(c.raddr, "127.0.0.1") && c.rport == 40376,
	   "softphone: srflx with raddr/rport");

	/* What the media session does before set-remote-description. */
	is_int(0, sdp_mid_add(s, 0, "0"), "softphone: add a=mid");
	is_int(EEXIST, sdp_mid_add(s, 0, "1"), "softphone: a second mid refused");
	is_int(0, sdp_media_inherit(s, 0, &n), "softphone: copy session attrs");
	is_int(5, n, "softphone: ufrag, pwd, options, fingerprint, setup copied");
	ok(sdp_attr_get(s, 0, "setup", 0, &v) == 0 && span_eq(v, "actpass"),
	   "softphone: a=setup now in the media section");
	is_int(0, sdp_media_inherit(s, 0, &n), "softphone: inherit again");
	is_int(0, n, "softphone: nothing copied twice");
	is_int(0, sdp_opus_stereo_set(s, 0, false), "softphone: normalise stereo");
	ok(sdp_fmtp_get(s, 0, 96, &v) == 0 &&
	   span_eq(v, "useinbandfec=1;sprop-stereo=0"),
	   "softphone: sprop-stereo=1 replaced by 0, other params kept");
	ok(sdp_fmtp_get(s, 0, 101, &v) == 0 && span_eq(v, "0-16"),
	   "softphone: telephone-event fmtp untouched");
	is_int(0, sdp_direction_set(s, 0, SDP_SENDONLY), "softphone: hold");
	is_int(SDP_SENDONLY, sdp_direction_get(s, 0), "softphone: now sendonly");
	is_int(1, (long long)(sdp_attr_has(s, 0, "sendonly") &&
			      !sdp_attr_has(s, 0, "sendrecv")),
	       "softphone: direction replaced in place");
	is_int(0, sdp_origin_version_bump(s), "softphone: o= version bumped");
	ok(sdp_line_get(s, SDP_SESSION, 'o', 0, &v) == 0 &&
	   span_eq(v, "alice 2890844526 2890844527 IN IP4 127.0.0.1"),
	   "softphone: o= version + 1, other fields kept");
	is_int(0, sdp_direction_set(s, 0, SDP_SENDRECV), "softphone: unhold");
	is_int(SDP_SENDRECV, sdp_direction_get(s, 0), "softphone: sendrecv");
	is_int(0, sdp_generate_alloc(s, &out, NULL), "softphone: generates");
	ok(strstr(out, "a=sendrecv\r\na=mid:0\r\na=ice-ufrag:Fx9kQ2aR\r\n") != NULL,
	   "softphone: edits appended to the media section");
	sdp_free(s);
	s = parse_str(out);
	ok(s != NULL, "softphone: edited SDP parses");
	ok(s && sdp_mid_get(s, 0, &v) == 0 && span_eq(v, "0"),
	   "softphone: mid survives");
	sdp_free(s);
	free(out);
}

static void test_rfc(void)
{
	struct sdp *s = load("rfc4566-example.sdp");
	struct sdp_connection c;
	struct span v;

	is_int(2, sdp_media_count(s), "rfc4566: two m-lines");
	is_int(SDP_RECVONLY, sdp_direction_get(s, 1),
	       "rfc4566: session-level recvonly applies to media");
	ok(sdp_connection_effective(s, 1, &c) == 0 &&
	   span_eq(c.address, "224.2.17.12") && c.ttl == 127 && c.count == 0,
	   "rfc4566: multicast c= with TTL inherited");
	ok(sdp_line_get(s, SDP_SESSION, 'u', 0, &v) == 0 &&
	   span_eq(v, "http://www.example.com/seminars/sdp.pdf"),
	   "rfc4566: u= kept");
	sdp_free(s);
	s = load("rfc8866-example.sdp");
	ok(sdp_connection_effective(s, 2, &c) == 0 &&
	   span_eq(c.address, "2001:db8::2") && span_eq(c.addrtype, "IP6"),
	   "rfc8866: video has its own IP6 c=");
	ok(sdp_connection_effective(s, 0, &c) == 0 &&
	   span_eq(c.address, "198.51.100.1"), "rfc8866: audio uses session c=");
	sdp_free(s);
}

#define HEAD "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
#define MLINE "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"

static const struct bad {
	const char *in;
	int err;
	const char *reason;
} bad[] = {
	{"", EBADMSG, "empty SDP"},
	{"o=- 1 1 IN IP4 1.2.3.4\r\n", EBADMSG, "line 1: v= expected"},
	{"v=1\r\n", EBADMSG, "line 1: version is not 0"},
	{"v=0\r\ns=-\r\n", EBADMSG, "line 2: o= expected"},
	{"v=0\r\no=- 1 1 IN IP4\r\ns=-\r\nt=0 0\r\n", EBADMSG,
	 "line 2: origin needs 6 fields"},
	{"v=0\r\no=- x 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n", EBADMSG,
	 "line 2: origin: session id not digits"},
	{"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n", EBADMSG, "s= missing"},
	{"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=\r\nt=0 0\r\n", EBADMSG,
	 "line 3: s= is empty"},
	{"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n", EBADMSG, "t= missing"},
	{"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n" MLINE, EBADMSG,
	 "line 4: m= before t="},
	{HEAD "v=0\r\n", EBADMSG, "line 5: a second v="},
	{HEAD "\r\na=x\r\n", EBADMSG, "line 5: empty line"},
	{HEAD "x=1\r\n", EBADMSG, "line 5: x= not allowed here"},
	{HEAD MLINE "t=0 0\r\n", EBADMSG, "line 6: t= not allowed in a media section"},
	{HEAD "a\r\n", EBADMSG, "line 5: not \"x=value\""},
	{HEAD "a=b\rc\r\n", EBADMSG, "line 5: CR inside a line"},
	{HEAD "c=IN IP4\r\n", EBADMSG,
	 "line 5: connection: not \"nettype addrtype address\""},
	{HEAD "b=AS\r\n", EBADMSG, "line 5: bandwidth: not \"type:number\""},
	{"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0\r\n", EBADMSG,
	 "line 4: timing: not \"start stop\""},
	{HEAD "m=audio 70000 RTP/AVP 0\r\n", EBADMSG,
	 "line 5: media: not \"media port proto fmt...\""},
	{HEAD "m=audio 9 RTP/AVP\r\n", EBADMSG,
	 "line 5: media: not \"media port proto fmt...\""},
	{HEAD "c=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\n", EBADMSG,
	 "session level: c= twice"},
	{HEAD "a=a b\r\n", EBADMSG, "line 5: attribute name is not a token"},
	{HEAD "a=rtcp-mux:1\r\n", EBADMSG, "line 5: a=rtcp-mux takes no value"},
	{HEAD "a=ice-ufrag\r\n", EBADMSG, "line 5: a=ice-ufrag needs a value"},
	{HEAD "a=ice-ufrag:abc\r\n", EBADMSG,
	 "line 5: ice-ufrag: 4..256 of ALPHA DIGIT + /"},
	{HEAD "a=ice-pwd:short\r\n", EBADMSG,
	 "line 5: ice-pwd: 22..256 of ALPHA DIGIT + /"},
	{HEAD "a=setup:both\r\n", EBADMSG, "line 5: setup: unknown role"},
	{HEAD "a=setup:active\r\na=setup:active\r\n", EBADMSG,
	 "session level: a=setup twice"},
	{HEAD "a=sendonly\r\na=recvonly\r\n", EBADMSG,
	 "session level: more than one direction attribute"},
	{HEAD MLINE "a=mid:a\r\n" MLINE "a=mid:a\r\n", EBADMSG,
	 "media 1: mid \"a\" used twice"},
	{HEAD MLINE "a=mid:a\r\na=mid:b\r\n", EBADMSG, "media 0: a=mid twice"},
	{HEAD "a=fingerprint:sha-256\r\n", EBADMSG,
	 "line 5: fingerprint: not \"hash-func HEX:HEX:...\""},
	{HEAD "a=fingerprint:sha-256 00:11\r\n", EBADMSG,
	 "line 5: fingerprint: sha-256 needs 32 bytes, not 2"},
	{HEAD "a=fingerprint:sha-256 0G:11\r\n", EBADMSG,
	 "line 5: fingerprint: not a pair of hex digits at byte 1"},
	{HEAD "a=fingerprint:sha-256 00:1\r\n", EBADMSG,
	 "line 5: fingerprint: not a pair of hex digits at byte 2"},
	{HEAD "a=fingerprint:sha-256 00-11\r\n", EBADMSG,
	 "line 5: fingerprint: ':' expected after byte 1"},
	{HEAD "a=fingerprint:sha-256 00:\r\n", EBADMSG,
	 "line 5: fingerprint: ends with ':'"},
	{HEAD MLINE "a=candidate:1 1 udp 1 1.2.3.4 5 typ bogus\r\n", EBADMSG,
	 "line 6: candidate: unknown type \"bogus\""},
	{HEAD MLINE "a=candidate:1 0 udp 1 1.2.3.4 5 typ host\r\n", EBADMSG,
	 "line 6: candidate: bad component id"},
	{HEAD MLINE "a=candidate:1 1 udp 4294967296 1.2.3.4 5 typ host\r\n",
	 EBADMSG, "line 6: candidate: bad priority"},
	{HEAD MLINE "a=candidate:1 1 udp 1 1.2.3.4 65536 typ host\r\n", EBADMSG,
	 "line 6: candidate: bad port"},
	{HEAD MLINE "a=candidate:1 1 udp 1 1.2.3.4 5 host\r\n", EBADMSG,
	 "line 6: candidate: no \"typ\""},
	{HEAD MLINE "a=candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr\r\n",
	 EBADMSG, "line 6: candidate: \"raddr\" without a value"},
	{HEAD MLINE "a=candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr 1.2.3.4\r\n",
	 EBADMSG, "line 6: candidate: raddr and rport go together"},
	{HEAD MLINE "a=candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr 1.2.3.4 x y\r\n",
	 EBADMSG, "line 6: candidate: raddr and rport go together"},
	{HEAD MLINE "a=candidate:1 1 tcp 1 1.2.3.4 5 typ host tcptype x\r\n",
	 EBADMSG, "line 6: candidate: unknown tcptype"},
	{HEAD MLINE "a=candidate:1 1 udp 1 1.2.3.4 5 typ host generation x\r\n",
	 EBADMSG, "line 6: candidate: bad generation"},
	{HEAD MLINE "a=candidate:f=o 1 udp 1 1.2.3.4 5 typ host\r\n", EBADMSG,
	 "line 6: candidate: bad foundation"},
	{HEAD MLINE "a=rtpmap:111 opus\r\n", EBADMSG,
	 "line 6: rtpmap: not \"PT name/rate[/channels]\""},
	{HEAD MLINE "a=rtpmap:128 x/8000\r\n", EBADMSG,
	 "line 6: rtpmap: not \"PT name/rate[/channels]\""},
	{HEAD MLINE "a=fmtp:111\r\n", EBADMSG, "line 6: fmtp: not \"format params\""},
	{HEAD MLINE "a=rtcp-fb:x nack\r\n", EBADMSG, "line 6: rtcp-fb: not \"PT type\""},
	{HEAD MLINE "a=rtcp:x\r\n", EBADMSG, "line 6: rtcp: bad port"},
	{HEAD MLINE "a=ssrc:1\r\n", EBADMSG, "line 6: ssrc: not \"SSRC attribute\""},
	{HEAD MLINE "a=ssrc-group:FID\r\n", EBADMSG, "line 6: ssrc-group: no SSRC"},
	{HEAD MLINE "a=msid:a b c\r\n", EBADMSG, "line 6: msid: not \"id [appdata]\""},
	{HEAD MLINE "a=extmap:0 urn:x\r\n", EBADMSG,
	 "line 6: extmap: not \"ID[/direction] URI\""},
	{HEAD MLINE "a=extmap:1/both urn:x\r\n", EBADMSG,
	 "line 6: extmap: not \"ID[/direction] URI\""},
	{HEAD MLINE "a=ptime:x\r\n", EBADMSG, "line 6: a=ptime: not a number"},
	{HEAD "a=group:\r\n", EBADMSG, "line 5: group: no semantics"},
	{HEAD "a=ice-options: \r\n", EBADMSG, "line 5: ice-options: empty"},
	{HEAD MLINE "a=mid:a b\r\n", EBADMSG, "line 6: mid: not a token"},
};

static void test_bad(void)
{
	size_t i;

	for (i = 0; i < N(bad); i++) {
		struct sdp *s = NULL;
		char reason[160];
		int err = sdp_parse(&s, bad[i].in, strlen(bad[i].in), reason,
				    sizeof(reason));

		is_int(bad[i].err, err, "bad %zu: error", i);
		is_string(bad[i].reason, reason, "bad %zu: reason", i);
		ok(s == NULL, "bad %zu: no message", i);
	}
}

/* A limit case: parsing buf[0..len) gives want (0 or E2BIG) and, when
 * refused, that reason. Returns the message when accepted. */
static struct sdp *limit(const char *buf, size_t len, int want,
			 const char *want_reason, const char *what)
{
	struct sdp *s = NULL;
	char reason[160];

	is_int(want, sdp_parse(&s, buf, len, reason, sizeof(reason)), "%s: %s",
	       what, want ? "refused" : "accepted");
	if (want != 0)
		is_string(want_reason, reason, "%s: reason", what);
	return s;
}

/* Append fmt (a repeated piece) to buf n times. */
static size_t repeat(char *buf, size_t size, size_t len, size_t n,
		     const char *piece)
{
	while (n-- > 0)
		len += (size_t)snprintf(buf + len, size - len, "%s", piece);
	return len;
}

/* Each limit: the largest accepted, one more refused with its reason. */
static void test_limits(void)
{
	size_t size = 2 * SDP_MAX_SIZE, len, i;
	char *buf = malloc(size);
	struct sdp *s;

	if (buf == NULL)
		bail("out of memory");
	len = (size_t)snprintf(buf, size, HEAD "a=x:");
	memset(buf + len, 'y', SDP_MAX_LINE - 4);
	len += SDP_MAX_LINE - 4;
	sdp_free(limit(buf, len, 0, NULL, "a line of 1024 bytes"));
	buf[len++] = 'y';
	limit(buf, len, E2BIG, "line 5: over 1024 bytes", "a line of 1025 bytes");

	len = repeat(buf, size, (size_t)snprintf(buf, size, HEAD), SDP_MAX_MEDIA,
		     "m=audio 0 RTP/AVP 0\r\n");
	s = limit(buf, len, 0, NULL, "64 m-lines");
	is_int(SDP_MAX_MEDIA, sdp_media_count(s), "all counted");
	ok(sdp_media_rejected(s, 63), "port 0: rejected m-line");
	sdp_free(s);
	len = repeat(buf, size, len, 1, "m=audio 0 RTP/AVP 0\r\n");
	limit(buf, len, E2BIG, "line 69: over 64 m-lines", "65 m-lines");

	len = repeat(buf, size, (size_t)snprintf(buf, size, HEAD),
		     SDP_MAX_LINES - 4, "a=x\r\n");
	s = limit(buf, len, 0, NULL, "1024 lines in a section");
	is_int(E2BIG, sdp_attr_add(s, SDP_SESSION, "y", NULL),
	       "an edit past the line limit is refused");
	sdp_free(s);
	len = repeat(buf, size, len, 1, "a=x\r\n");
	limit(buf, len, E2BIG, "line 1025: over 1024 lines in a section",
	      "1025 lines in a section");

	len = repeat(buf, size, (size_t)snprintf(buf, size, HEAD),
		     SDP_MAX_SIZE / 21, "m=audio 0 RTP/AVP 0\r\n");
	ok(len > SDP_MAX_SIZE, "input over the size limit built");
	limit(buf, SDP_MAX_SIZE + 1, E2BIG, "SDP over 65536 bytes",
	      "65537 bytes");

	len = (size_t)snprintf(buf, size, HEAD MLINE
			       "a=candidate:1 1 udp 1 h 5 typ host");
	for (i = 0; i < SDP_MAX_CANDIDATE_EXT; i++)
		len += (size_t)snprintf(buf + len, size - len, " x%zu 1", i);
	sdp_free(limit(buf, len, 0, NULL, "16 candidate extensions"));
	len = repeat(buf, size, len, 1, " y 1");
	limit(buf, len, E2BIG, "line 6: candidate: more than 16 extensions",
	      "17 candidate extensions");

	len = repeat(buf, size, (size_t)snprintf(buf, size, HEAD
						 "a=fingerprint:x 00"),
		     SDP_MAX_FINGERPRINT - 1, ":ab");
	sdp_free(limit(buf, len, 0, NULL, "a fingerprint of 64 bytes"));
	len = repeat(buf, size, len, 1, ":ab");
	limit(buf, len, E2BIG, "line 5: fingerprint: over 64 bytes",
	      "a fingerprint of 65 bytes");

	len = repeat(buf, size, (size_t)snprintf(buf, size, HEAD MLINE
						 "a=ssrc-group:SIM"),
		     SDP_MAX_SSRC_GROUP, " 1");
	sdp_free(limit(buf, len, 0, NULL, "an ssrc-group of 16"));
	len = repeat(buf, size, len, 1, " 1");
	limit(buf, len, E2BIG, "line 6: ssrc-group: over 16 SSRCs",
	      "an ssrc-group of 17");
	free(buf);
}

static void test_syntax(void)
{
	struct sdp *s;
	struct sdp_candidate c;
	struct span v;
	char buf[256], *out;
	size_t len;

	/* LF line endings, no final line ending, trailing empty lines. */
	s = parse_str("v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nt=0 0\na=x");
	ok(s != NULL, "LF only and no final newline parse");
	ok(s && sdp_generate(s, buf, sizeof(buf), &len) == 0 &&
	   strcmp(buf, "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\na=x\r\n") == 0,
	   "generated with CRLF");
	ok(s && sdp_generate(s, buf, 10, &len) == ENOSPC && len == 46 &&
	   strlen(buf) == 9, "ENOSPC with the full length, truncated NUL-terminated");
	sdp_free(s);
	s = parse_str(HEAD "\r\n\r\n");
	ok(s != NULL && sdp_line_count(s, SDP_SESSION) == 4,
	   "trailing empty lines ignored");
	sdp_free(s);
	is_int(EINVAL, sdp_parse(NULL, "v=0", 3, NULL, 0), "NULL result pointer");
	s = parse_str("v=0\r\no=- 1 18446744073709551615 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n");
	is_int(ERANGE, sdp_origin_version_bump(s), "o= version at 2^64-1 cannot grow");
	sdp_free(s);
	/* Trickled candidate value with the prefix, format back. */
	ok(sdp_candidate_parse(span_from_str("candidate:842163049 1 udp 1677729535 "
					     "192.0.2.3 61665 typ srflx raddr "
					     "10.0.0.1 rport 61665 generation 0 "
					     "ufrag sXeF network-cost 999"),
			       &c, buf, sizeof(buf)) == 0,
	   "trickle candidate parses");
	is_int(2, c.ext_count, "ufrag and network-cost kept");
	ok(sdp_candidate_format(&c, buf, sizeof(buf), &len) == 0 &&
	   strcmp(buf, "842163049 1 udp 1677729535 192.0.2.3 61665 typ srflx "
		       "raddr 10.0.0.1 rport 61665 generation 0 ufrag sXeF "
		       "network-cost 999") == 0,
	   "candidate formats back");
	ok(sdp_candidate_format(&c, buf, 8, &len) == ENOSPC && len > 8,
	   "candidate format: ENOSPC");
	ok(sdp_candidate_parse(span_from_str("1 1 tcp 1 x.local 9 typ relay "
					     "raddr 0.0.0.0 rport 0 tcptype so"),
			       &c, NULL, 0) == 0 &&
	   c.type == SDP_CANDIDATE_RELAY && c.tcptype == SDP_TCPTYPE_SO &&
	   c.rport == 0 && span_eq(c.raddr, "0.0.0.0"),
	   "relay tcp so candidate, mDNS address");
	is_string("prflx", sdp_candidate_type_name(SDP_CANDIDATE_PRFLX),
		  "type names");
	/* Session-level direction applies to media without its own. */
	s = parse_str(HEAD "a=inactive\r\n" MLINE "a=rtpmap:111 opus/48000/2\r\n" MLINE
		      "a=sendonly\r\n");
	ok(s && sdp_direction_get(s, 0) == SDP_INACTIVE,
	   "session inactive applies to media 0");
	ok(s && sdp_direction_get(s, 1) == SDP_SENDONLY, "media 1 overrides");
	is_int(SDP_RECVONLY, sdp_direction_reverse(SDP_SENDONLY), "reverse");
	is_int(SDP_INACTIVE, sdp_direction_reverse(SDP_INACTIVE), "reverse inactive");
	/* Edits. */
	is_int(0, sdp_opus_stereo_set(s, 0, true), "stereo added to an opus without fmtp");
	ok(sdp_fmtp_get(s, 0, 111, &v) == 0 && span_eq(v, "sprop-stereo=1"),
	   "fmtp sprop-stereo=1 created");
	is_int(0, sdp_end_of_candidates_add(s, 1), "end-of-candidates added");
	is_int(0, sdp_end_of_candidates_add(s, 1), "... only once");
	is_int(EINVAL, sdp_attr_add(s, 0, "candidate", "junk"),
	   "an attribute that would not parse back is refused");
	is_int(EINVAL, sdp_attr_add(s, 0, "x", "a\r\nb"), "no line breaks in edits");
	is_int(EINVAL, sdp_mid_add(s, SDP_SESSION, "x"), "no mid at session level");
	is_int(EINVAL, sdp_direction_set(s, 5, SDP_SENDONLY), "bad media index");
	is_int(0, sdp_attr_add(s, 1, "candidate",
			       "1 1 udp 2130706431 127.0.0.1 4000 typ host"),
	       "candidate added after end-of-candidates");
	is_int(0, sdp_attr_remove(s, 1, "end-of-candidates", &len), "removed");
	is_int(1, len, "one removed");
	is_int(0, sdp_end_of_candidates_add(s, 1), "end-of-candidates again");
	is_int(0, sdp_generate_alloc(s, &out, &len), "generates after edits");
	ok(strstr(out, "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 sprop-stereo=1\r\n") &&
	   strstr(out, "a=sendonly\r\na=candidate:1 1 udp 2130706431 127.0.0.1 "
		       "4000 typ host\r\na=end-of-candidates\r\n"),
	   "fmtp after rtpmap, end-of-candidates after the last candidate");
	sdp_free(s);
	s = parse_str(out);
	ok(s != NULL, "the edited SDP parses");
	sdp_free(s);
	free(out);
}

int main(void)
{
	plan_lazy();
	test_corpus();
	if (getenv("SIPWS_SOURCE") != NULL) {
		test_chromium_offer();
		test_webrtcbin();
		test_softphone();
		test_rfc();
	}
	test_bad();
	test_limits();
	test_syntax();
	return 0;
}
