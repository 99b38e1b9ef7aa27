#!/bin/sh
test_description='calls between the library and JsSIP in headless
Chromium (the browser peer, its microphone an 880 Hz WAV) through
Kamailio: the library (tests/programs/ua-call.c, built against the
installed tree) calls the browser and the browser calls the library;
each hears the other tone (the browser with WebAudio and getStats, the
library in its recording); DTMF both ways as RFC 4733 events and as
INFO; the browser holds and unholds; either side hangs up. Inside a
loopback-only network namespace.'

. "$SIPWS_SOURCE/tests/lib/media.sh"
media_netns "$0" "$@"
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"

[ "$MEDIA_TEST_NETNS" = 1 ] ||
	test_skip_all 'needs root, unshare(1) and ip(8) for a loopback-only network namespace'
command -v sox >/dev/null 2>&1 || test_skip_all 'sox(1) is missing'
command -v pkg-config >/dev/null 2>&1 || test_skip_all 'pkg-config is missing'
gst-inspect-1.0 webrtcbin >/dev/null 2>&1 ||
	test_skip_all 'GStreamer webrtcbin is missing (gstreamer1.0-plugins-bad)'
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"
. "$SIPWS_SOURCE/tests/lib/browser.sh"

ASAN_OPTIONS="fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export ASAN_OPTIONS

kamailio_start

sox -n -r 48000 -c 1 -b 16 bob.wav synth 30 sine 880 vol 0.5 ||
	test_skip_all 'sox cannot make the tone file'

UA_CALL="$TRASH/ua-call"
test_expect_success 'the call program builds against the installed tree' '
	ua_call_build
'
test -x "$UA_CALL" || test_skip_all 'the call program did not build'

TEST_SHOW_ON_FAILURE="lib.out lib.err"

# lib ARGS...: alice on the library in the background (lib.out, lib.err,
# its exit status in lib.rc at the end), her one binding in Kamailio's
# table; lib_wait CODE waits for that end and for the binding to be gone.
lib() {
	rm -f lib.rc lib.out &&
	(UA_CALL_PASSWORD=$KAM_ALICE_PASSWORD timeout 60 "$UA_CALL" \
		"$KAM_WS_URL" sip:alice@127.0.0.1 --tone 440 "$@" \
		>lib.out 2>lib.err; echo $? >lib.rc) &
	i=0 &&
	until grep -q "^registered" lib.out 2>/dev/null; do
		i=$((i + 1)) && test $i -lt 100 && sleep 0.1 ||
			{ echo "the library did not register"; return 1; }
	done &&
	kamailio_wait_contacts alice 1 10
}
lib_wait() {
	i=0 &&
	while ! test -s lib.rc; do
		i=$((i + 1)) && test $i -lt 300 && sleep 0.1 || return 1
	done &&
	test "$(cat lib.rc)" = "$1" ||
		{ echo "the library exited $(cat lib.rc), not $1"; return 1; }
	kamailio_wait_contacts alice 0 10
}
# lib_expect LINE: wait (10 s) for LINE in lib.out
lib_expect() {
	i=0 &&
	until grep -qx "$1" lib.out 2>/dev/null; do
		i=$((i + 1)) && test $i -lt 100 && sleep 0.1 ||
			{ echo "no \"$1\" from the library"; return 1; }
	done
}
field() {
	browser_field "$1" <"$2"
}

test_expect_success 'JsSIP registers bob, its microphone an 880 Hz tone' '
	browser_start --fake-audio bob.wav bob &&
	browser_register bob sip:bob@127.0.0.1 "$KAM_BOB_PASSWORD" "$KAM_WS_URL"
'

test_expect_success 'the library calls the browser: answered, audio both ways' '
	lib --dial sip:bob@127.0.0.1 --wav a.wav --dtmf "159#" \
		--dtmf-after 4000 &&
	browser_answer bob >incoming &&
	test "$(field from incoming)" = sip:alice@127.0.0.1 &&
	browser_expect bob call_confirmed &&
	browser_expect bob audio_started &&
	lib_expect "media OPUS"
'

test_expect_success 'the browser hears the library'"'"'s 440 Hz' '
	browser_tone bob >bob.hz &&
	between "$(cat bob.hz)" 430 450
'

# Before the library's DTMF (4 s into the call): while an event is sent,
# rtpdtmfmux sends no audio, which the browser conceals.
test_expect_success 'getStats: the browser decodes Opus from the library, growing' '
	browser_audio_flows bob
'

test_expect_success 'RFC 4733 DTMF from the library, received by the browser in order' '
	browser_dtmf_expect bob rfc4733 "159#"
'

test_expect_success 'DTMF from the browser: INFO and RFC 4733, reported in order' '
	browser_dtmf bob "*0" info &&
	browser_dtmf bob "D" rfc4733 &&
	lib_expect "dtmf D rfc4733" &&
	grep "^dtmf" lib.out >got &&
	printf "dtmf * info\ndtmf 0 info\ndtmf D rfc4733\n" >expect &&
	test_cmp expect got
'

test_expect_success 'the browser holds and unholds: the library is told' '
	browser_cmd bob "{\"cmd\":\"hold\"}" &&
	browser_expect bob hold originator=local &&
	lib_expect "peer hold" &&
	browser_cmd bob "{\"cmd\":\"unhold\"}" &&
	browser_expect bob unhold originator=local &&
	lib_expect "peer resume" &&
	sleep 0.5 &&
	browser_tone bob >bob.hz &&
	between "$(cat bob.hz)" 430 450
'

test_expect_success 'the browser hangs up: the library ends 0, recorded 880 Hz' '
	browser_hangup bob &&
	lib_wait 0 &&
	test_grep "^ended peer hung up 0\$" lib.out &&
	test_grep "^stats received [1-9][0-9]* packets" lib.out &&
	between "$(wav_freq a.wav)" 870 890 &&
	between "$(wav_length a.wav)" 3 60
'

test_expect_success 'the browser calls the library: answered, each hears the other' '
	lib --wav a.wav --seconds 5 --hold &&
	browser_call bob sip:alice@127.0.0.1 "\"id\":\"c2\"" &&
	browser_expect bob call_progress id=c2 status=180 &&
	browser_expect bob call_accepted id=c2 originator=remote status=200 &&
	browser_expect bob call_confirmed id=c2 &&
	browser_expect bob audio_started id=c2 &&
	lib_expect "incoming sip:bob@127.0.0.1" &&
	lib_expect "media OPUS" &&
	browser_tone bob >bob.hz &&
	between "$(cat bob.hz)" 430 450
'

test_expect_success 'the library holds and resumes by re-INVITE: the browser is told' '
	browser_expect bob hold id=c2 originator=remote &&
	browser_expect bob unhold id=c2 originator=remote &&
	printf "held\nresumed\n" >expect &&
	grep -e "^held" -e "^resumed" lib.out >got &&
	test_cmp expect got
'

test_expect_success 'the library hangs up after 5 s: the browser sees the BYE' '
	browser_expect -t 15 bob call_ended id=c2 originator=remote &&
	lib_wait 0 &&
	test_grep "^ended hung up 0\$" lib.out &&
	between "$(wav_freq a.wav)" 870 890 &&
	between "$(wav_length a.wav)" 3.5 5.8
'

# JsSIP asks for session timers (RFC 4028, 90 s, it refreshes): our 200
# takes them with refresher=uac, and JsSIP refreshes by UPDATE after 45 s,
# answered 200 with the interval; the call stays up.
test_expect_success 'session timers as JsSIP negotiates them: refreshed by UPDATE' '
	browser_start carol &&
	browser_cmd carol "{\"cmd\":\"register\",\"uri\":\"sip:carol@127.0.0.1\",\"password\":\"$KAM_CAROL_PASSWORD\",\"ws\":\"$KAM_WS_URL\",\"config\":{\"session_timers\":true}}" &&
	browser_expect carol registered &&
	lib --trace --seconds 50 &&
	browser_call carol sip:alice@127.0.0.1 "\"id\":\"c4\"" &&
	browser_expect carol call_confirmed id=c4 &&
	browser_expect -t 60 carol call_ended id=c4 originator=remote &&
	lib_wait 0 &&
	tr -d "\r" <lib.err >trace &&
	sed -n "/^received:/,/^\$/p" trace | grep -m1 "^Session-Expires:" >se.invite &&
	test_grep "^Session-Expires: 90" se.invite &&
	sed -n "/^sent:/,/^\$/p" trace |
		sed -n "/^SIP\/2.0 200/,/^\$/p" >ours &&
	test_grep "^Session-Expires: 90;refresher=uac\$" ours &&
	test_grep "^Require: timer\$" ours &&
	grep -c "^UPDATE sip:" trace >updates &&
	test "$(cat updates)" -ge 1 &&
	test_grep "^ended hung up 0\$" lib.out
'

test_expect_success 'the library rejects with 486: JsSIP reports Busy' '
	lib --reject 486 &&
	browser_call bob sip:alice@127.0.0.1 "\"id\":\"c3\"" &&
	browser_expect bob call_failed id=c3 status=486 &&
	lib_wait 0
'

test_done
