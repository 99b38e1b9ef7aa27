#!/bin/sh
test_description='sip-call during a call: --control mute and unmute (the
other side hears silence, then the tone again), play FILE (the other side
hears the file, then silence) and play of a missing or undecodable file
(an error, the call goes on); the default devices (a PulseAudio null
sink'"'"'s monitor as the microphone) and silence without PulseAudio; the
live status line on a terminal, never on a file nor with -q. sip-call
against sip-call --answer through the project'"'"'s Kamailio, in a
loopback-only network namespace.'

# A network namespace with only lo (see t0900). The script runs itself
# again inside one (root needed).
. "$SIPWS_SOURCE/tests/lib/media.sh"
media_netns "$0" "$@"
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"

[ "$MEDIA_TEST_NETNS" = 1 ] ||
	test_skip_all 'needs root, unshare(1) and ip(8) for a loopback-only network namespace'
command -v sox >/dev/null 2>&1 || test_skip_all 'sox(1) is missing'
gst-inspect-1.0 webrtcbin >/dev/null 2>&1 ||
	test_skip_all 'GStreamer webrtcbin is missing (gstreamer1.0-plugins-bad)'
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"

ASAN_OPTIONS="fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export ASAN_OPTIONS

. "$SIPWS_SOURCE/tests/lib/sipcall.sh"

# What a listener hears in FILE, half a second at a time: 440 or 1000
# (a tone within 5 % of it), S (silence), ? (anything else: a change
# within the window); repeats and ? dropped: "440 S 440".
heard() {
	len=$(wav_length "$1") &&
	t=0 &&
	while awk -v t=$t -v l="$len" 'BEGIN { exit !(t + 0.5 <= l) }'; do
		sox "$1" -n trim $t 0.5 stat -freq 2>&1 |
		awk '/^RMS +amplitude:/ { rms = $3 }
		     NF == 2 && $1 > 0 { p[$1] += $2 }
		     END { for (f in p) if (p[f] > max) { max = p[f]; best = f + 0 }
			   if (rms < 0.003) print "S"
			   else if (best > 418 && best < 462) print 440
			   else if (best > 950 && best < 1050) print 1000
			   else print "?" }'
		t=$(awk -v t=$t 'BEGIN { print t + 0.5 }')
	done | grep -v "^?" | uniq | paste -sd " " -
}

kamailio_start
sipcall_accounts alice bob

test_expect_success 'mute: bob hears the tone, silence while muted, the tone again' '
	bob --record b.wav &&
	rm -f alice.out &&
	{ wait_event call/media alice.out; sleep 2; echo mute;
	  wait_event call/mute alice.out; sleep 2; echo unmute;
	  wait_event call/unmute alice.out; sleep 2; echo hangup; } |
		alice --play tone:440 --control bob &&
	bob_wait 0 &&
	printf "%s\n" call/outgoing call/progress call/connected call/media \
		call/mute call/unmute call/end >expect &&
	topics alice.out >got &&
	test_cmp expect got &&
	heard b.wav >got &&
	echo "440 S 440" >expect &&
	test_cmp expect got &&
	test_cmp /dev/null alice.err
'

test_expect_success 'play FILE: bob hears the tone, the file (1000 Hz), then silence; the call stays' '
	sox -n -r 44100 -c 2 k.wav synth 2 sine 1000 &&
	bob --record b.wav &&
	rm -f alice.out &&
	{ wait_event call/media alice.out; sleep 2; echo "play k.wav";
	  wait_event call/played alice.out; sleep 2; echo hangup; } |
		alice --play tone:440 --control bob &&
	bob_wait 0 &&
	printf "%s\n" call/outgoing call/progress call/connected call/media \
		call/play call/played call/end >expect &&
	topics alice.out >got &&
	test_cmp expect got &&
	test_grep "\"topic\":\"call/play\",\"file\":\"k.wav\"}" alice.out &&
	test_grep "\"topic\":\"call/played\"}" alice.out &&
	heard b.wav >got &&
	echo "440 1000 S" >expect &&
	test_cmp expect got &&
	test_cmp /dev/null alice.err
'

test_expect_success 'play tone:HZ replaces the default silence' '
	bob --record b.wav &&
	rm -f alice.out &&
	{ wait_event call/media alice.out; sleep 1; echo "play tone:1000";
	  sleep 2; echo hangup; } |
		alice --control bob &&
	bob_wait 0 &&
	heard b.wav >got &&
	echo "S 1000" >expect &&
	test_cmp expect got
'

test_expect_success 'play of a missing or undecodable file: an error, the call goes on (exit 0)' '
	echo "not audio" >bad.wav &&
	bob --record b.wav &&
	rm -f alice.out &&
	{ wait_event call/media alice.out; sleep 1; echo "play missing.wav";
	  sleep 1; echo "play bad.wav"; wait_event call/played alice.out;
	  sleep 1.5; echo hangup; } |
		alice --play tone:440 --control bob &&
	bob_wait 0 &&
	test_grep "\"cause\":\"hung up\"" alice.out &&
	test_grep "\"topic\":\"call/played\",\"error\":\"" alice.out &&
	test_grep "^sip-call: play missing.wav: No such file or directory\$" alice.err &&
	test_grep "^sip-call: play: " alice.err &&
	test "$(wc -l <alice.err)" = 2 &&
	heard b.wav >got &&
	echo 440 >expect &&
	test_cmp expect got
'

test_expect_success 'play with --play FILE: refused, the call goes on' '
	sox -n -r 48000 -c 1 long.wav synth 6 sine 440 &&
	bob --record b.wav &&
	rm -f alice.out &&
	{ wait_event call/media alice.out; sleep 1; echo "play k.wav";
	  sleep 1; echo hangup; } |
		alice --play long.wav --control bob &&
	bob_wait 0 &&
	test_grep "^sip-call: play k.wav: our audio is a file" alice.err
'

# alice ARGS... with stderr on a terminal (script(1)): what it shows in
# tty.txt, its events in alice.out.
# The first bytes FILE has after its last status line, as od -c shows them.
after_status() {
	tr -d "\n" <"$1" | sed "s/.*loss [0-9.]*%//" | head -c 4 | od -An -c
}
alice_tty() {
	script -q -e -c "timeout 40 sip-call -c $TRASH/alice.conf \
		--ice-address 127.0.0.1 $* >alice.out" tty.txt </dev/null
}

if ! command -v script >/dev/null 2>&1; then
	test_skip 'the live status line' 'script(1) is missing (util-linux)'
else
test_expect_success 'on a terminal: the live status line (elapsed time, codec, level, loss), cleared at the end' '
	bob --play tone:660 &&
	alice_tty --duration 3 bob &&
	bob_wait 0 &&
	test_grep "00:00:0[0-9] OPUS \[#####*-*\]  *-[0-9]* dB loss [0-9.]*%" tty.txt &&
	# cleared at the end: what follows the last one erases the line
	after_status tty.txt >got &&
	printf "\r\033[K" | od -An -c >expect &&
	test_cmp expect got &&
	test_grep "\"topic\":\"call/end\"" alice.out
'

test_expect_success 'no status line with -q, nor when stderr is a file' '
	bob --play tone:660 &&
	alice_tty -q --duration 2 bob &&
	bob_wait 0 &&
	! grep "OPUS \[" tty.txt &&
	bob --play tone:660 &&
	alice --duration 2 bob &&
	bob_wait 0 &&
	test_cmp /dev/null alice.err
'
fi

test_expect_success 'no --play, no --record, no audio device: silence, no error' '
	bob --record b.wav &&
	alice --duration 4 bob &&
	bob_wait 0 &&
	test_cmp /dev/null alice.err &&
	heard b.wav >got &&
	echo S >expect &&
	test_cmp expect got
'

if ! command -v pulseaudio >/dev/null 2>&1 ||
   ! command -v pactl >/dev/null 2>&1 ||
   ! gst-inspect-1.0 pulsesrc >/dev/null 2>&1; then
	test_skip 'the default devices' 'pulseaudio, pactl or GStreamer pulsesrc is missing'
else
# PulseAudio (unix socket only) with two null sinks: mic (its monitor the
# default source, fed a tone) and spk (the default sink).
pulse_env
test_when_finished pulse_stop
test_when_finished 'test -f "$TRASH/tone.job" && kill $(cat "$TRASH/tone.job")'

test_expect_success 'no --play, no --record: the default microphone is sent' '
	pulse_start mic spk &&
	pactl set-default-source mic.monitor &&
	pactl set-default-sink spk &&
	{ gst-launch-1.0 -q audiotestsrc is-live=true freq=1000 volume=0.5 ! \
		pulsesink device=mic >/dev/null 2>&1 &
	  echo $! >tone.job; } &&
	i=0 &&
	while ! pactl list short sink-inputs | grep -q .; do
		i=$((i + 1)) && test $i -lt 50 && sleep 0.1 || exit 1
	done &&
	bob --record b.wav &&
	alice --duration 3 bob &&
	bob_wait 0 &&
	test_cmp /dev/null alice.err &&
	# (silence first while the device starts)
	heard b.wav | sed "s/^S //" >got &&
	echo 1000 >expect &&
	test_cmp expect got
'
fi

test_done
