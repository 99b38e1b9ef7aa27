#!/bin/sh
test_description='sip-call against JsSIP in headless Chromium (the browser
peer, its microphone an 880 Hz WAV) through Kamailio: sip-call calls the
browser (auto-answered) and the browser calls sip-call --answer; each
hears the other'"'"'s tone (the browser with WebAudio and getStats,
sip-call in its --record WAV); DTMF both ways by RFC 4733 and by INFO; the
browser holds and unholds, and so does sip-call --control; the browser
rejects (486: exit 2, 603: exit 4) or lets it ring (--no-answer-timeout:
exit 3, the browser sees the CANCEL); --exec echoes the browser back to
itself. Inside a loopback-only network namespace.'

. "$SIPWS_SOURCE/tests/lib/media.sh"
media_netns "$0" "$@"
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"

[ "$MEDIA_TEST_NETNS" = 1 ] ||
	test_skip_all 'needs root, unshare(1) and ip(8) for a loopback-only network namespace'
command -v sox >/dev/null 2>&1 || test_skip_all 'sox(1) is missing'
gst-inspect-1.0 webrtcbin >/dev/null 2>&1 ||
	test_skip_all 'GStreamer webrtcbin is missing (gstreamer1.0-plugins-bad)'
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"
. "$SIPWS_SOURCE/tests/lib/browser.sh"

ASAN_OPTIONS="fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export ASAN_OPTIONS

kamailio_start

sox -n -r 48000 -c 1 -b 16 bob.wav synth 120 sine 880 vol 0.5 ||
	test_skip_all 'sox cannot make the tone file'

# alice is sip-call; her configuration in a file only we read.
{
	echo "websocket.servers = $KAM_WS_URL"
	echo "[user]"
	echo "uri = sip:alice@127.0.0.1"
	echo "sip_auth_password = $KAM_ALICE_PASSWORD"
} >"$TRASH/alice.conf"
chmod 600 "$TRASH/alice.conf"

TEST_SHOW_ON_FAILURE="alice.out alice.err steps.log"

# alice ARGS...: sip-call in the background (alice.out, alice.err, its
# exit status in alice.rc at the end; at most 60 s, ICE on loopback;
# standard input /dev/null);
# with --answer it returns once her one binding is in Kamailio's table.
# alice_wait CODE: wait for that end (and, after --answer, for the
# binding to be gone, so that the next call finds no stale one).
alice() {
	alice_stop &&
	rm -f alice.rc alice.out alice.pid &&
	(timeout 60 sip-call -c "$TRASH/alice.conf" --ice-address 127.0.0.1 \
		"$@" </dev/null >alice.out 2>alice.err &
	 echo $! >alice.pid
	 wait $!
	 echo $? >alice.rc) &
	case " $* " in
	*" --answer "*) kamailio_wait_contacts alice 1 10 ;;
	esac
}
alice_wait() {
	i=0 &&
	while ! test -s alice.rc; do
		i=$((i + 1)) && test $i -lt 400 && sleep 0.1 ||
			{ echo "sip-call did not end"; return 1; }
	done &&
	test "$(cat alice.rc)" = "$1" ||
		{ echo "sip-call exited $(cat alice.rc), not $1"; return 1; }
	kamailio_wait_contacts alice 0 10
}
# alice_stop: end a sip-call that a failed test left running (its
# output would mix with the next one's).
alice_stop() {
	if test -s alice.pid && ! test -s alice.rc; then
		kill "$(cat alice.pid)" 2>/dev/null
		i=0
		while ! test -s alice.rc && test $i -lt 100; do
			i=$((i + 1)) && sleep 0.1
		done
	fi
	return 0
}
# alice_expect LINE: wait (20 s) for an event line of alice.out that
# holds LINE (a fixed string).
alice_expect() {
	i=0 &&
	until grep -qF "$1" alice.out 2>/dev/null; do
		i=$((i + 1)) && test $i -lt 200 && sleep 0.1 ||
			{ echo "no $1 from sip-call"; return 1; }
	done
}
# The topics of alice.out, one a line; her call/dtmf events without their
# time stamps.
topics() {
	sed -n 's/^{"ts":"[^"]*","topic":"\([^"]*\)".*/\1/p' alice.out
}
dtmf_events() {
	sed -n 's/^{"ts":"[^"]*",\("topic":"call\/dtmf".*\)/{\1/p' alice.out
}

test_expect_success 'JsSIP registers bob, its microphone an 880 Hz tone' '
	browser_start --fake-audio bob.wav bob &&
	browser_register bob sip:bob@127.0.0.1 "$KAM_BOB_PASSWORD" "$KAM_WS_URL"
'

test_expect_success 'the browser calls sip-call --answer: answered, each hears the other' '
	alice --answer --play tone:440 --record a.wav &&
	browser_call bob sip:alice@127.0.0.1 "\"id\":\"c1\"" &&
	browser_expect bob call_progress id=c1 status=180 &&
	browser_expect bob call_accepted id=c1 originator=remote status=200 &&
	browser_expect bob call_confirmed id=c1 &&
	browser_expect bob audio_started id=c1 &&
	alice_expect "\"topic\":\"call/media\",\"codec\":\"OPUS\"}" &&
	browser_tone bob >bob.hz &&
	between "$(cat bob.hz)" 430 450 &&
	browser_audio_flows bob
'

test_expect_success 'the browser hangs up: sip-call ends 0, "peer hung up", recorded 880 Hz' '
	browser_hangup bob &&
	alice_wait 0 &&
	printf "%s\n" registration/ok call/incoming call/connected call/media \
		call/end >expect &&
	topics >got &&
	test_cmp expect got &&
	test_grep "\"topic\":\"call/incoming\",\"from\":\"sip:bob@127.0.0.1\"," alice.out &&
	test_grep "\"topic\":\"call/end\",\"peer\":\"sip:bob@127.0.0.1\",\"call_id\":\"[^\"]*\",\"cause\":\"peer hung up\",\"status\":null,.*\"codec\":\"OPUS\",\"packets_sent\":[1-9][0-9]*,\"packets_received\":[1-9][0-9]*,.*\"exit\":0}" alice.out &&
	between "$(wav_freq a.wav)" 870 890 &&
	between "$(wav_length a.wav)" 2 60
'

test_expect_success 'sip-call calls the browser (auto-answer): each hears the other' '
	browser_cmd bob "{\"cmd\":\"auto_answer\"}" &&
	browser_expect bob ok cmd=auto_answer &&
	alice --play tone:440 --record a.wav --duration 8 bob &&
	browser_expect bob call_incoming from=sip:alice@127.0.0.1 busy=false &&
	browser_expect bob call_confirmed originator=remote &&
	browser_expect bob audio_started &&
	browser_tone bob >bob.hz &&
	between "$(cat bob.hz)" 430 450 &&
	browser_audio_flows bob
'

test_expect_success 'sip-call hangs up after --duration: call/end with stats, exit 0' '
	browser_expect -t 20 bob call_ended originator=remote &&
	alice_wait 0 &&
	printf "%s\n" call/outgoing call/progress call/connected call/media \
		call/end >expect &&
	topics >got &&
	test_cmp expect got &&
	test_grep "\"topic\":\"call/outgoing\",\"to\":\"sip:bob@127.0.0.1\"}" alice.out &&
	test_grep "\"topic\":\"call/connected\",\"peer\":\"sip:bob@127.0.0.1\",\"call_id\":\"[^\"]*\"}" alice.out &&
	test_grep "\"topic\":\"call/end\",\"peer\":\"sip:bob@127.0.0.1\",\"call_id\":\"[^\"]*\",\"cause\":\"hung up\",\"status\":null,\"reason\":\"hung up\",\"duration_ms\":[0-9]*,\"codec\":\"OPUS\",\"packets_sent\":[1-9][0-9]*,\"packets_received\":[1-9][0-9]*,\"packets_lost\":[0-9]*,\"jitter_us\":[0-9]*,\"rtt_us\":[0-9null]*,\"exit\":0}" alice.out &&
	between "$(wav_freq a.wav)" 870 890 &&
	between "$(wav_length a.wav)" 6 9 &&
	test_cmp /dev/null alice.err
'

# Each mode in its own call: sip-call sends its digits first, then the
# browser its own; the browser hangs up when it has received them all
# (RFC 4733 events read off its RTP, INFO from JsSIP).
for mode in rfc4733 info; do
	test_expect_success "DTMF by $mode: sip-call --dtmf 1234# received by the browser in order, the browser's reported" '
		alice --play tone:440 --dtmf "1234#" --dtmf-mode '$mode' \
			--duration 40 bob &&
		browser_expect bob call_incoming from=sip:alice@127.0.0.1 busy=false &&
		browser_expect bob call_confirmed originator=remote &&
		browser_dtmf_expect bob '$mode' "1234#" &&
		browser_dtmf bob "9*0D" '$mode' &&
		alice_expect "\"digit\":\"D\"" &&
		browser_hangup bob &&
		alice_wait 0 &&
		printf "{\"topic\":\"call/dtmf\",\"digit\":\"%s\",\"mode\":\"'$mode'\"}\n" \
			9 "*" 0 D >expect &&
		dtmf_events >got &&
		test_cmp expect got &&
		test_grep "\"cause\":\"peer hung up\"" alice.out
	'
done

# What sip-call sends is held until the session is verified, after the
# ringing: its RTP timestamps must still be the clock's, as the DTMF
# events' are (NetEq dropped the events when they were not, and the
# browser heard no digit): each event's timestamp lies within 100 ms
# after the audio packet before it. Each event is as long as
# session.dtmf_duration (200 ms here): rtpdtmfsrc's events of 250 ms at
# least and 100 ms gaps without audio made the browser play 430 ms tones
# into each other, "11" one long "1".
for src in tone:440 bob.wav; do
	test_expect_success "DTMF by rfc4733 over --play $src after 3 s of ringing: 1100# received by the browser, each event 200 ms on the audio's timeline" '
		browser_cmd bob "{\"cmd\":\"auto_answer\",\"delay\":3000}" &&
		browser_expect bob ok cmd=auto_answer &&
		before=$(wc -l <"$(browser_events bob)") &&
		alice --play '$src' --dtmf "1100#" -o session.dtmf_duration=200 \
			--duration 40 bob &&
		browser_expect bob call_incoming from=sip:alice@127.0.0.1 busy=false &&
		browser_expect -t 20 bob call_confirmed originator=remote &&
		browser_dtmf_expect bob rfc4733 "1100#" &&
		tail -n +$((before + 1)) "$(browser_events bob)" |
			grep "\"event\":\"dtmf_received\".*\"transport\":\"rfc4733\"" |
			sed "s/.*\"tone\":\"\([^\"]*\)\".*\"duration\":\([0-9]*\).*\"skew\":\([-0-9null]*\).*/\1 \2 \3/" >got &&
		cat got &&
		test "$(cut -d " " -f 1 got | tr -d "\n")" = "1100#" &&
		while read -r digit ms skew; do
			test "$ms" -eq 200 && between "$skew" 0 100 || exit 1
		done <got &&
		browser_hangup bob &&
		alice_wait 0 &&
		test_grep "\"cause\":\"peer hung up\"" alice.out &&
		browser_cmd bob "{\"cmd\":\"auto_answer\"}" &&
		browser_expect bob ok cmd=auto_answer
	'
done

# The commands for sip-call --control come from the left side of a pipe,
# each once the step before it has happened; that side logs to steps.log
# and leaves steps.ok when every step passed.
test_expect_success 'the browser holds and unholds: call/hold, call/unhold; sip-call --control holds and unholds the browser' '
	rm -f alice.out steps.ok &&
	{
		{
			browser_expect bob call_incoming from=sip:alice@127.0.0.1 busy=false &&
			browser_expect bob call_confirmed originator=remote &&
			alice_expect "\"topic\":\"call/media\"" &&
			browser_cmd bob "{\"cmd\":\"hold\"}" &&
			browser_expect bob hold originator=local &&
			alice_expect "\"topic\":\"call/hold\",\"by\":\"peer\"}" &&
			browser_cmd bob "{\"cmd\":\"unhold\"}" &&
			browser_expect bob unhold originator=local &&
			alice_expect "\"topic\":\"call/unhold\",\"by\":\"peer\"}" &&
			echo hold >&3 &&
			browser_expect bob hold originator=remote &&
			alice_expect "\"topic\":\"call/hold\",\"by\":\"us\"}" &&
			echo unhold >&3 &&
			browser_expect bob unhold originator=remote &&
			alice_expect "\"topic\":\"call/unhold\",\"by\":\"us\"}" &&
			sleep 0.5 &&
			browser_tone bob >bob.hz &&
			between "$(cat bob.hz)" 430 450 &&
			: >steps.ok
		} 3>&1 >steps.log 2>&1
		echo hangup
	} | timeout 60 sip-call -c "$TRASH/alice.conf" --ice-address 127.0.0.1 \
		--play tone:440 --control bob >alice.out 2>alice.err &&
	test -f steps.ok &&
	browser_expect bob call_ended originator=remote &&
	kamailio_wait_contacts alice 0 10 &&
	printf "%s\n" call/outgoing call/progress call/connected call/media \
		call/hold call/unhold call/hold call/unhold call/end >expect &&
	topics >got &&
	test_cmp expect got
'

# --control with its input at an end that stays readable (/dev/null) once
# spun in the loop and never dialled.
test_expect_success 'the browser rejects with 486 Busy Here: sip-call exits 2 (--control </dev/null)' '
	browser_cmd bob "{\"cmd\":\"auto_answer\",\"on\":false}" &&
	browser_expect bob ok cmd=auto_answer &&
	alice --control bob &&
	browser_expect bob call_incoming busy=false &&
	browser_cmd bob "{\"cmd\":\"reject\",\"status\":486}" &&
	browser_expect bob call_failed originator=local &&
	alice_wait 2 &&
	test_grep "\"topic\":\"call/end\",.*\"cause\":\"failed\",\"status\":486,.*\"exit\":2}" alice.out &&
	test_grep "^sip-call: sip:bob@127.0.0.1: 486 Busy Here" alice.err
'

test_expect_success 'the browser declines with 603: sip-call exits 4' '
	alice bob &&
	browser_expect bob call_incoming busy=false &&
	browser_cmd bob "{\"cmd\":\"reject\",\"status\":603}" &&
	browser_expect bob call_failed originator=local &&
	alice_wait 4 &&
	test_grep "\"topic\":\"call/end\",.*\"status\":603,.*\"exit\":4}" alice.out
'

test_expect_success 'the browser lets it ring: --no-answer-timeout cancels, exit 3' '
	alice --no-answer-timeout 2 bob &&
	browser_expect bob call_incoming busy=false &&
	browser_expect bob call_failed originator=remote cause=Canceled &&
	alice_wait 3 &&
	test_grep "\"topic\":\"call/end\",.*\"exit\":3}" alice.out
'

test_expect_success '--exec with a browser caller: a script echoes the browser back to itself' '
	cat >echo.sh <<-\EOF &&
	#!/bin/sh
	exec cat
	EOF
	alice --answer --exec "sh echo.sh" --events alice.events &&
	browser_call bob sip:alice@127.0.0.1 "\"id\":\"c9\"" &&
	browser_expect bob call_confirmed id=c9 &&
	browser_expect bob audio_started id=c9 &&
	browser_tone bob >bob.hz &&
	between "$(cat bob.hz)" 870 890 &&
	browser_hangup bob &&
	alice_wait 0 &&
	test_cmp /dev/null alice.out &&
	test_grep "\"cause\":\"peer hung up\"" alice.events
'

alice_stop
test_done
