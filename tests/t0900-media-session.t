#!/bin/sh
test_description='the media session (lib/media.c on webrtcbin): two
sessions in one process (tests/helpers/media-pair, SDP handed over without
SIP) send each other a tone and record it; RFC 4733 DTMF both ways; hold
and unhold; a tampered a=fingerprint fails with exit 79 and nothing
recorded; relay-only through coturn over UDP and TCP; file, descriptor
and device (PulseAudio null sinks) sources and sinks; VP8 video or video
declined with an inactive m-line; a softphone-style
offer (no BUNDLE, no a=mid, ICE and DTLS at session level), a stereo Opus
offer and an mDNS candidate still connect. Everything runs inside a
loopback-only network namespace. The signalling tools load neither
GStreamer nor GLib.'

# A network namespace with only lo: ICE must find nothing else. The
# script runs itself again inside one (root needed).
. "$SIPWS_SOURCE/tests/lib/media.sh"
media_netns "$0" "$@"
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"

[ "$MEDIA_TEST_NETNS" = 1 ] ||
	test_skip_all 'needs root, unshare(1) and ip(8) for a loopback-only network namespace'
PAIR="$SIPWS_BUILD/tests/helpers/media-pair"
[ -x "$PAIR" ] || test_skip_all 'tests/helpers/media-pair is not built'
command -v sox >/dev/null 2>&1 || test_skip_all 'sox(1) is missing'
command -v turnserver >/dev/null 2>&1 || test_skip_all 'coturn is missing'
gst-inspect-1.0 webrtcbin >/dev/null 2>&1 ||
	test_skip_all 'GStreamer webrtcbin is missing (gstreamer1.0-plugins-bad)'

# Under SANITIZE=1: full malloc stacks (GLib has no frame pointers), so
# that tests/lsan.supp can tell GLib's constructor-time tables apart.
ASAN_OPTIONS="fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export ASAN_OPTIONS
# Raw files are s16le 48 kHz mono.
RAW="-t raw -r 48000 -e signed -b 16 -c 1"

test_expect_success 'sip-msg loads neither GStreamer nor GLib' '
	ldd "$SIPWS_BUILD/bin/sip-msg" >ldd &&
	test_grep libwebsockets ldd &&
	test_grep -v "libgst\|libglib\|libgobject\|libnice" ldd
'

cat >both.expect <<\EOF
a: connected
a: received packets
b: connected
b: received packets
EOF

# A recording starts with the first packet the peer sent once the
# fingerprint matched, which can be half a second before the first
# decoded audio that starts the 3 s (seen under ASan on a loaded machine):
# up to 4 s of it.
test_expect_success 'two sessions carry 440 Hz and 660 Hz both ways' '
	"$PAIR" -s 3 --a-tone 440 --b-tone 660 --a-wav a.wav --b-wav b.wav \
		>out 2>err &&
	sort out >sorted &&
	test_cmp both.expect sorted &&
	between "$(wav_freq a.wav)" 650 670 &&
	between "$(wav_freq b.wav)" 433 447 &&
	between "$(wav_length a.wav)" 2.8 4.0 &&
	between "$(wav_length b.wav)" 2.8 4.0
'

test_expect_success 'statistics at the end: packets and bytes both ways, no loss' '
	grep "^a: stats codec OPUS sent [1-9][0-9]* packets [1-9][0-9]* bytes, received [1-9][0-9]* packets [1-9][0-9]* bytes, lost 0," err &&
	grep "^b: stats codec OPUS sent [1-9][0-9]* packets [1-9][0-9]* bytes, received [1-9][0-9]* packets [1-9][0-9]* bytes, lost 0," err
'

test_expect_success 'RFC 4733 DTMF both ways, reported in order by the other side' '
	"$PAIR" -s 2 --a-dtmf "159#" --b-dtmf "*0D" >out 2>err &&
	grep "^b: dtmf" out >b-dtmf &&
	printf "b: dtmf %s\n" 1 5 9 "#" >b-dtmf.expect &&
	test_cmp b-dtmf.expect b-dtmf &&
	grep "^a: dtmf" out >a-dtmf &&
	printf "a: dtmf %s\n" "*" 0 D >a-dtmf.expect &&
	test_cmp a-dtmf.expect a-dtmf
'

test_expect_success 'hold (sendonly/recvonly) and unhold: a hears less than b' '
	"$PAIR" -s 2 --hold --a-wav a.wav --b-wav b.wav >out 2>err &&
	grep -e "^a: offer" -e "^b: answer" out >hold &&
	cat >hold.expect <<-\EOF &&
	a: offer sendonly
	b: answer recvonly
	a: offer sendrecv
	b: answer sendrecv
	EOF
	test_cmp hold.expect hold &&
	between "$(wav_freq a.wav)" 650 670 &&
	between "$(wav_length b.wav)" 1.8 2.5 &&
	a=$(wav_length a.wav) && b=$(wav_length b.wav) &&
	between "$a" 0.5 "$(awk -v b="$b" "BEGIN { print b - 0.3 }")"
'

test_expect_success 'a tampered a=fingerprint in the answer: exit 79, nothing recorded' '
	test_expect_code 79 "$PAIR" -s 1 --tamper --a-wav a.wav --b-wav b.wav \
		>out 2>err &&
	cat >tamper.expect <<-\EOF &&
	a: failed EKEYREJECTED: the peer'"'"'s DTLS certificate does not match its a=fingerprint
	a: received packets
	EOF
	test_cmp tamper.expect out &&
	test ! -s a.wav &&
	test ! -s b.wav
'

test_expect_success 'a softphone-style offer and answer (no BUNDLE, no a=mid, session-level ICE/DTLS)' '
	"$PAIR" -s 1 --softphone --a-dtmf 5 --a-wav a.wav >out 2>err &&
	grep -v "^b: dtmf" out | sort >sorted &&
	test_cmp both.expect sorted &&
	test_grep "^b: dtmf 5\$" out &&
	between "$(wav_freq a.wav)" 650 670
'

test_expect_success 'a stereo Opus offer (sprop-stereo=1) still gets audio both ways' '
	"$PAIR" -s 1 --stereo-offer >out 2>err &&
	sort out >sorted &&
	test_cmp both.expect sorted
'

test_expect_success 'an mDNS (.local) candidate in the offer is ignored' '
	MEDIA_PAIR_SDP=1 "$PAIR" -s 1 --mdns >out 2>err &&
	test_grep "\.local 50000 typ host" err &&
	sort out >sorted &&
	test_cmp both.expect sorted
'

test_expect_success 'a file source (decodebin), played from its start once connected, then ended' '
	sox -n -r 44100 -c 2 tone.wav synth 1.5 sine 880 &&
	"$PAIR" -s 3 --a-file tone.wav --b-wav b.wav >out 2>err &&
	test_grep "^a: ended\$" out &&
	between "$(wav_freq b.wav)" 870 890 &&
	between "$(wav_length b.wav)" 1.4 1.7
'

test_expect_success 'raw s16le from a descriptor in, raw s16le to a descriptor out' '
	sox -n $RAW tone.raw synth 1.5 sine 1000 &&
	"$PAIR" -s 3 --a-raw-in 0 --b-raw-out 3 <tone.raw 3>b.raw >out 2>err &&
	test_grep "^a: ended\$" out &&
	between "$(wav_freq $RAW b.raw)" 990 1010 &&
	between "$(wav_length $RAW b.raw)" 1.4 1.7
'

test_expect_success 'an offer with video answered by an audio-only session: declined inactive, not port 0' '
	"$PAIR" -s 1 --a-video >out 2>err &&
	grep -e "^a: offer video" -e "^b: answer video" out >video &&
	printf "a: offer video\nb: answer video inactive\n" >video.expect &&
	test_cmp video.expect video &&
	grep -v video out | sort >sorted &&
	test_cmp both.expect sorted
'

test_expect_success 'VP8 video both ways when both ask for it' '
	"$PAIR" -s 1 --a-video --b-video >out 2>err &&
	grep -e "^a: offer video" -e "^b: answer video" out >video &&
	printf "a: offer video\nb: answer video active\n" >video.expect &&
	test_cmp video.expect video
'

# PulseAudio with two null sinks: "mic" (its monitor is a capture device
# playing a 523 Hz tone) and "spk" (what b plays, recorded from its
# monitor). Private runtime directory, unix socket only.
if command -v pulseaudio >/dev/null 2>&1 && command -v pactl >/dev/null 2>&1
then
	pulse_env
	test_expect_success 'PulseAudio with two null sinks starts' '
		pulse_start mic spk
	'
	test_when_finished pulse_stop

	test_expect_success 'a capture device in (pulsesrc), a playback device out (pulsesink)' '
		{ gst-launch-1.0 -q audiotestsrc is-live=true freq=523 ! \
			pulsesink device=mic >/dev/null 2>&1 &
		  echo $! >tone.job; } &&
		{ gst-launch-1.0 -q pulsesrc device=spk.monitor num-buffers=400 ! \
			audio/x-raw,rate=48000,channels=1 ! wavenc ! \
			filesink location=spk.wav >/dev/null 2>&1 &
		  echo $! >rec.job; } &&
		"$PAIR" -s 2 --a-device-in mic.monitor --b-device-out spk \
			--a-wav a.wav >out 2>pulse.err &&
		kill $(cat tone.job) && wait $(cat rec.job);
		sort out >sorted &&
		test_cmp both.expect sorted &&
		between "$(wav_freq spk.wav)" 513 533 &&
		between "$(wav_freq a.wav)" 650 670
	'
else
	test_skip 'a capture device in, a playback device out' 'pulseaudio is missing'
fi

# coturn on loopback, relaying to loopback peers only; the namespace's
# ports are all free (nothing else runs in it).
TURN_PORT=3478
test_expect_success 'coturn starts' 'turn_start $TURN_PORT'
test_when_finished turn_stop

for transport in udp tcp; do
	case $transport in
	udp) query= ;;
	tcp) query='?transport=tcp' ;;
	esac
	test_expect_success "relay-only through coturn (TURN/$transport) carries audio" '
		MEDIA_PAIR_SDP=1 "$PAIR" -s 1 --relay \
			--turn "turn:127.0.0.1:$TURN_PORT$query" \
			--turn-user sipws --turn-pass secret --a-wav a.wav \
			>out 2>err &&
		sort out >sorted &&
		test_cmp both.expect sorted &&
		test_grep "typ relay" err &&
		test_grep -v "typ host" err &&
		between "$(wav_freq a.wav)" 650 670
	'
done

test_expect_success 'relay-only with a wrong TURN password: no candidate, exit 79' '
	test_expect_code 79 "$PAIR" -s 1 --relay \
		--turn "turn:127.0.0.1:$TURN_PORT" --turn-user sipws \
		--turn-pass wrong >out 2>err &&
	echo "a: failed No route to host: no ICE candidate was gathered (relay only: did the TURN server refuse us?)" >expect &&
	test_cmp expect out
'

test_done
