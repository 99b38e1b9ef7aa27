#!/bin/sh
test_description='sip-call --video: VP8 calls through the project'"'"'s
Kamailio. sip-call against sip-call --answer --video: each side decodes
the other'"'"'s frames (call/end'"'"'s video figures) while the tones still
arrive (sox); video from a file decoded by the other side; an answerer
without --video takes the call audio only; a device that does not exist
or is no camera fails with its exit code; JsSIP in headless Chromium
(fake camera) called by sip-call and calling sip-call --answer, frames
decoded on both sides (getStats and call/end). Inside a loopback-only
network namespace.'

. "$SIPWS_SOURCE/tests/lib/media.sh"
media_netns "$0" "$@"
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"

[ "$MEDIA_TEST_NETNS" = 1 ] ||
	test_skip_all 'needs root, unshare(1) and ip(8) for a loopback-only network namespace'
command -v sox >/dev/null 2>&1 || test_skip_all 'sox(1) is missing'
command -v gst-launch-1.0 >/dev/null 2>&1 ||
	test_skip_all 'gst-launch-1.0 is missing (gstreamer1.0-tools)'
for element in webrtcbin vp8enc vp8dec webmmux v4l2src; do
	gst-inspect-1.0 $element >/dev/null 2>&1 ||
		test_skip_all "GStreamer's $element is missing"
done
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"

# The browser's tests need node, Chromium and the bundle (what
# tests/lib/browser.sh skips a whole script without); the others run
# without them.
browser_why=
if ! command -v node >/dev/null 2>&1; then
	browser_why='node is not installed (scripts/deps.sh installs it)'
elif ! [ -x "${BROWSER_CHROMIUM:-/usr/bin/chromium}" ]; then
	browser_why='no chromium (scripts/deps.sh installs it)'
elif ! sh "$SIPWS_SOURCE/scripts/browser-deps.sh" >browser-deps.log 2>&1; then
	browser_why="scripts/browser-deps.sh failed: $(tail -n 1 browser-deps.log)"
fi

ASAN_OPTIONS="fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export ASAN_OPTIONS

# Each process at most 90 s: a safety net, a loaded machine under
# SANITIZE=1 takes seconds to set a call up.
SIPCALL_LIMIT=90
. "$SIPWS_SOURCE/tests/lib/sipcall.sh"

kamailio_start
sipcall_accounts alice bob

# end_figure NAME FILE: a number of FILE's call/end event ("" if absent).
end_figure() {
	sed -n "s/^{\"ts\":\"[^\"]*\",\"topic\":\"call\/end\".*\"$1\":\([0-9-]*\)[,}].*/\1/p" "$2"
}
# hangup_after_media SECONDS: for alice --control, "hangup" SECONDS after
# alice.out shows call/media (her first audio decoded): the media flowed
# that long, however long the machine took to connect the call. Remove
# alice.out first.
hangup_after_media() {
	i=0
	while ! grep -q 'call/media' alice.out 2>/dev/null; do
		i=$((i + 1)) && test $i -lt 600 || break
		sleep 0.1
	done
	sleep "$1"
	echo hangup
}

test_expect_success 'a video call: frames decoded on both sides, the tones still heard' '
	bob --video --play tone:660 --record b.wav &&
	rm -f alice.out &&
	hangup_after_media 4 |
		alice --control --video --play tone:440 --record a.wav bob &&
	bob_wait 0 &&
	test_grep "\"cause\":\"hung up\"" alice.out &&
	test_grep "\"cause\":\"peer hung up\"" bob.out &&
	for side in alice bob; do
		frames=$(end_figure video_frames_decoded $side.out) &&
		echo "$side decoded $frames frames" &&
		between "$frames" 15 100 &&
		test "$(end_figure video_packets_sent $side.out)" -gt 15 &&
		test "$(end_figure video_packets_received $side.out)" -gt 15 ||
		exit 1
	done &&
	between "$(wav_freq a.wav)" 650 670 &&
	between "$(wav_freq b.wav)" 433 447 &&
	between "$(wav_length a.wav)" 3.8 6 &&
	between "$(wav_length b.wav)" 3.8 6 &&
	test_cmp /dev/null alice.err
'

test_expect_success 'the same in --format text' '
	bob --video-source pattern --format text &&
	rm -f alice.out &&
	hangup_after_media 3 | alice --control --video --format text bob &&
	bob_wait 0 &&
	grep " call/end " alice.out >end &&
	test_grep " video_frames_decoded=[1-9][0-9]*" end &&
	grep " call/end " bob.out >end &&
	test_grep " video_frames_decoded=[1-9][0-9]*" end
'

# 2 s at 15 frames/s: the other side decodes at most those 30 frames,
# where a test pattern would give it 15 a second for the whole call.
test_expect_success 'video from a WebM file: decoded by the other side, then no more' '
	gst-launch-1.0 -q videotestsrc num-buffers=30 pattern=ball ! \
		video/x-raw,width=320,height=240,framerate=15/1 ! vp8enc ! \
		webmmux ! filesink location=clip.webm &&
	test -s clip.webm &&
	bob --video --play tone:660 --record b.wav &&
	rm -f alice.out &&
	hangup_after_media 4 |
		alice --control --video-source clip.webm --play tone:440 bob &&
	bob_wait 0 &&
	frames=$(end_figure video_frames_decoded bob.out) &&
	echo "bob decoded $frames frames of the file" &&
	between "$frames" 10 30 &&
	test "$(end_figure video_frames_decoded alice.out)" -gt 15 &&
	between "$(wav_freq b.wav)" 433 447
'

test_expect_success 'an answerer without --video: audio only, exit 0, no video figures' '
	bob --play tone:660 --record b.wav &&
	alice --video --play tone:440 --record a.wav --duration 3 bob &&
	bob_wait 0 &&
	test_grep "\"topic\":\"call/end\".*\"cause\":\"hung up\"" alice.out &&
	test_grep -v "video_" alice.out &&
	test_grep -v "video_" bob.out &&
	between "$(wav_freq a.wav)" 650 670 &&
	between "$(wav_freq b.wav)" 433 447
'

test_expect_success 'a video device that does not exist: one line, exit 74, no call' '
	test_expect_code 74 alice --video-source /dev/video99 bob &&
	echo "sip-call: --video-source /dev/video99: No such file or directory" >expect &&
	test_cmp expect alice.err &&
	test_cmp /dev/null alice.out
'

test_expect_success 'a video file that is no file: exit 74' '
	test_expect_code 74 alice --video-source "$TRASH" bob &&
	test_grep "^sip-call: --video-source .*: Is a directory\$" alice.err
'

test_expect_success 'a device that is no camera (/dev/null) when dialling: exit 74, the reason in one line' '
	test_expect_code 74 alice --video-source /dev/null bob &&
	test "$(wc -l <alice.err)" = 1 &&
	test_grep "^sip-call: sip:bob@127.0.0.1: media failed: v4l2src.*/dev/null" alice.err &&
	test_grep "\"topic\":\"call/end\".*\"cause\":\"media failed\".*\"exit\":74" alice.out &&
	test_grep -v "call/progress" alice.out
'

test_expect_success 'a device that is no camera when answering: the caller gets 500, the answerer exits 74 with the reason' '
	bob --video-source /dev/null &&
	test_expect_code 1 alice --video bob &&
	bob_wait 74 &&
	test_grep "\"status\":500" alice.out &&
	test_grep "\"cause\":\"media failed\"" bob.out &&
	test_grep "^sip-call: .*media failed: v4l2src.*/dev/null" bob.err
'

# ---- JsSIP in headless Chromium ----------------------------------------

if [ -n "$browser_why" ]; then
	for t in 'JsSIP registers carol' 'sip-call calls the browser' \
		'the browser calls sip-call'; do
		test_skip "$t" "$browser_why"
	done
	test_done
fi
. "$SIPWS_SOURCE/tests/lib/browser.sh"

field() {
	browser_field "$1" <"$2"
}
# browser_video_decoded NAME: NAME's call decodes VP8 frames (within 20 s),
# and more of them a second later (getStats in s1, s2).
browser_video_decoded() {
	b_i=0 &&
	while browser_stats "$1" >s1 &&
		! test "$(field videoFramesDecoded s1)" -gt 0 2>/dev/null; do
		b_i=$((b_i + 1)) && test $b_i -lt 20 && sleep 1 ||
			{ cat s1; echo "no video frame decoded"; return 1; }
	done &&
	sleep 1 &&
	browser_stats "$1" >s2 &&
	cat s1 s2 &&
	test "$(field videoCodec s2)" = video/VP8 &&
	test "$(field videoFramesDecoded s2)" -gt "$(field videoFramesDecoded s1)"
}

test_expect_success 'JsSIP registers carol in Chromium (fake camera and microphone)' '
	browser_start carol &&
	browser_register carol sip:carol@127.0.0.1 "$KAM_CAROL_PASSWORD" "$KAM_WS_URL"
'

test_expect_success 'sip-call --video calls the browser, which answers with video: frames decoded on both sides' '
	browser_cmd carol "{\"cmd\":\"auto_answer\",\"video\":true}" &&
	browser_expect carol ok &&
	rm -f alice.rc &&
	(alice --video --play tone:440 carol; echo $? >alice.rc) &
	browser_expect -t 40 carol call_incoming video=true &&
	browser_expect -t 40 carol call_confirmed &&
	browser_expect -t 40 carol audio_started &&
	between "$(browser_tone carol)" 430 450 &&
	browser_video_decoded carol &&
	browser_hangup carol &&
	i=0 && while ! test -s alice.rc; do
		i=$((i + 1)) && test $i -lt 200 && sleep 0.1 || exit 1
	done &&
	test "$(cat alice.rc)" = 0 &&
	test_grep "\"cause\":\"peer hung up\"" alice.out &&
	frames=$(end_figure video_frames_decoded alice.out) &&
	echo "sip-call decoded $frames of the browser'"'"'s frames" &&
	test "$frames" -gt 10
'

test_expect_success 'the browser calls sip-call --answer --video: frames decoded on both sides' '
	browser_cmd carol "{\"cmd\":\"auto_answer\",\"on\":false}" &&
	browser_expect carol ok &&
	bob --video --play tone:660 &&
	browser_call carol sip:bob@127.0.0.1 "\"id\":\"v2\",\"video\":true" &&
	browser_expect -t 40 carol call_confirmed &&
	browser_expect -t 40 carol audio_started &&
	between "$(browser_tone carol)" 650 670 &&
	browser_video_decoded carol &&
	browser_hangup carol &&
	bob_wait 0 &&
	test_grep "\"cause\":\"peer hung up\"" bob.out &&
	frames=$(end_figure video_frames_decoded bob.out) &&
	echo "sip-call decoded $frames of the browser'"'"'s frames" &&
	test "$frames" -gt 10
'

test_done
