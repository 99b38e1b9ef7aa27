#!/bin/sh
test_description='sip-call: calls from the shell through the project'"'"'s
Kamailio, sip-call against sip-call --answer: each side plays its own tone
and records what comes (frequency and length checked with sox); DTMF both
ways by RFC 4733 and by INFO; hangup from either side; busy, declined, no
answer, not found and CANCEL with their exit codes; --control; a relay-only
call through coturn and a wrong TURN password (79). Everything runs inside
a loopback-only network namespace.'

# A network namespace with only lo (see t0900). The script runs itself
# again inside one (root needed).
. "$SIPWS_SOURCE/tests/lib/media.sh"
media_netns "$0" "$@"
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"

[ "$MEDIA_TEST_NETNS" = 1 ] ||
	test_skip_all 'needs root, unshare(1) and ip(8) for a loopback-only network namespace'
command -v sox >/dev/null 2>&1 || test_skip_all 'sox(1) is missing'
command -v turnserver >/dev/null 2>&1 || test_skip_all 'coturn is missing'
gst-inspect-1.0 webrtcbin >/dev/null 2>&1 ||
	test_skip_all 'GStreamer webrtcbin is missing (gstreamer1.0-plugins-bad)'
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"

ASAN_OPTIONS="fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export ASAN_OPTIONS

. "$SIPWS_SOURCE/tests/lib/sipcall.sh"

kamailio_start
sipcall_accounts alice bob carol

test_expect_success 'a call: tones both ways, recorded, alice hangs up after 3 s' '
	bob --play tone:660 --record "b-%Y.wav" &&
	alice --play tone:440 --record a.wav --duration 3 bob &&
	bob_wait 0 &&
	printf "%s\n" call/outgoing call/progress call/connected call/media \
		call/end >expect &&
	topics alice.out >got &&
	test_cmp expect got &&
	printf "%s\n" registration/ok call/incoming call/connected call/media \
		call/end >expect &&
	topics bob.out >got &&
	test_cmp expect got &&
	test_grep "\"topic\":\"call/end\",\"peer\":\"sip:bob@127.0.0.1\",\"call_id\":\"[^\"]*\",\"cause\":\"hung up\",\"status\":null,\"reason\":\"hung up\",\"duration_ms\":3[0-9][0-9][0-9],\"codec\":\"OPUS\",\"packets_sent\":[1-9][0-9]*,\"packets_received\":[1-9][0-9]*," alice.out &&
	test_grep "\"cause\":\"peer hung up\"" bob.out &&
	test_grep "\"topic\":\"call/media\",\"codec\":\"OPUS\"}" bob.out &&
	b=b-$(date +%Y).wav &&
	between "$(wav_freq a.wav)" 650 670 &&
	between "$(wav_freq $b)" 433 447 &&
	between "$(wav_length a.wav)" 2.6 3.6 &&
	between "$(wav_length $b)" 2.6 3.6 &&
	test_cmp /dev/null alice.err
'

test_expect_success 'bob hangs up after 2 s: alice sees the BYE, both exit 0 (session.ice_addresses)' '
	bob --duration 2 &&
	timeout 40 sip-call -c "$TRASH/alice.conf" \
		--set session.ice_addresses=127.0.0.1 bob >alice.out 2>alice.err &&
	bob_wait 0 &&
	test_grep "\"cause\":\"peer hung up\"" alice.out &&
	test_grep "\"cause\":\"hung up\"" bob.out
'

test_expect_success 'DTMF: RFC 4733 from alice with a pause, INFO from bob, in order' '
	bob --dtmf "1#9" --dtmf-mode info &&
	alice --duration 4 --dtmf "*0,D" bob &&
	bob_wait 0 &&
	printf "{\"topic\":\"call/dtmf\",\"digit\":\"%s\",\"mode\":\"rfc4733\"}\n" \
		"*" 0 D >expect &&
	sed -n "s/^{\"ts\":\"[^\"]*\",\(\"topic\":\"call\/dtmf\".*\)/{\1/p" \
		bob.out >got &&
	test_cmp expect got &&
	printf "{\"topic\":\"call/dtmf\",\"digit\":\"%s\",\"mode\":\"info\"}\n" \
		1 "#" 9 >expect &&
	sed -n "s/^{\"ts\":\"[^\"]*\",\(\"topic\":\"call\/dtmf\".*\)/{\1/p" \
		alice.out >got &&
	test_cmp expect got
'

test_expect_success 'a WAV file played: the call ends with it, bob records it' '
	sox -n -r 16000 -c 1 -b 16 play.wav synth 2 sine 880 &&
	bob --record b.wav &&
	alice --play play.wav bob &&
	bob_wait 0 &&
	test_grep "\"cause\":\"hung up\"" alice.out &&
	between "$(wav_freq b.wav)" 870 890 &&
	between "$(wav_length b.wav)" 1.7 2.8
'

test_expect_success 'audio from standard input (--play -), raw audio out (--record -)' '
	bob --record - --events bob.events &&
	sox -n -r 22050 -c 1 -b 16 -t wav - synth 2 sine 550 |
		alice --play - bob &&
	bob_wait 0 &&
	test_grep "\"topic\":\"call/media\"" bob.events &&
	sox -t raw -r 48000 -e signed -b 16 -c 1 bob.out b.wav &&
	between "$(wav_freq b.wav)" 540 560 &&
	between "$(wav_length b.wav)" 1.7 2.8 &&
	test_grep "\"cause\":\"hung up\"" alice.out
'

test_expect_success 'raw audio from standard input (--play-raw -), text events' '
	bob --record b.wav --format text &&
	sox -n -r 48000 -c 1 -b 16 -e signed -t raw - synth 2 sine 330 |
		alice --play-raw - --format text bob &&
	bob_wait 0 &&
	between "$(wav_freq b.wav)" 320 340 &&
	grep " call/end " alice.out >end &&
	test_grep "^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9][0-9][0-9] call/end peer=sip:bob@127.0.0.1 call_id=[^ ]* cause=hung up reason=hung up duration_ms=[0-9]* codec=OPUS packets_sent=" end
'

test_expect_success 'busy: bob rejects with 486, alice exits 2' '
	bob --reject 486 &&
	test_expect_code 2 alice bob &&
	bob_wait 0 &&
	test_grep "\"topic\":\"call/end\",.*\"cause\":\"failed\",\"status\":486," alice.out &&
	test_grep "sip-call: sip:bob@127.0.0.1: 486 Busy Here" alice.err
'

test_expect_success 'declined: bob rejects with 603, alice exits 4' '
	bob --reject 603 &&
	test_expect_code 4 alice bob &&
	bob_wait 0 &&
	test_grep "\"status\":603," alice.out
'

test_expect_success 'not found (404) exits 5; a user not registered (480) exits 3' '
	test_expect_code 5 alice sip:nobody@127.0.0.1 &&
	test_grep "\"status\":404," alice.out &&
	test_expect_code 3 alice carol &&
	test_grep "\"status\":480," alice.out
'

test_expect_success 'no answer within 1.5 s: alice cancels and exits 3' '
	bob --answer-after 20 &&
	test_expect_code 3 alice --no-answer-timeout 1.5 bob &&
	bob_wait 0 &&
	test_grep "\"cause\":\"error\"" alice.out &&
	test_grep "\"cause\":\"cancelled\",\"status\":487," bob.out
'

test_expect_success 'dialing.no_answer_timeout from the configuration' '
	bob --answer-after 20 &&
	test_expect_code 3 alice --set dialing.no_answer_timeout=1 bob &&
	bob_wait 0
'

test_expect_success '--control: hangup while it rings is a CANCEL, both exit 0' '
	bob --answer-after 20 &&
	rm -f alice.out &&
	{ wait_event call/progress alice.out; echo hangup; } |
		alice --control bob &&
	bob_wait 0 &&
	test_grep "\"cause\":\"hung up\",\"status\":487," alice.out &&
	test_grep "\"cause\":\"cancelled\"" bob.out
'

test_expect_success '--control: dtmf, hold, unhold, hangup in a call' '
	bob &&
	rm -f alice.out &&
	{ wait_event call/media alice.out; sleep 0.5; echo "dtmf 42"; sleep 1;
	  echo hold; wait_event call/hold alice.out; sleep 0.5; echo unhold;
	  wait_event call/unhold alice.out; sleep 0.5; echo hangup; } |
		alice --control bob &&
	bob_wait 0 &&
	printf "%s\n" call/outgoing call/progress call/connected call/media \
		call/hold call/unhold call/end >expect &&
	topics alice.out >got &&
	test_cmp expect got &&
	test_grep "\"topic\":\"call/hold\",\"by\":\"us\"" alice.out &&
	test_grep "\"topic\":\"call/hold\",\"by\":\"peer\"" bob.out &&
	test_grep "\"topic\":\"call/unhold\",\"by\":\"peer\"" bob.out &&
	grep "call/dtmf" bob.out >dtmf &&
	test "$(wc -l <dtmf)" -eq 2
'

test_expect_success '--answer --count 2 --from: two calls from alice, each recorded' '
	rm -f call-*.wav &&
	bob --count 2 --from "alice" --record "call-%s.wav" &&
	alice --play tone:440 --duration 1 bob &&
	sleep 1.1 &&
	alice --play tone:880 --duration 1 bob &&
	bob_wait 0 &&
	grep -c "\"topic\":\"call/end\"" bob.out >n &&
	echo 2 >expect && test_cmp expect n &&
	ls call-*.wav >files &&
	test "$(wc -l <files)" -eq 2 &&
	between "$(wav_freq $(sed -n 1p files))" 433 447 &&
	between "$(wav_freq $(sed -n 2p files))" 870 890
'

test_expect_success '--timeout while it rings: CANCEL, exit 75' '
	bob --answer-after 30 &&
	# 5 s: the INVITE goes only once the offer is made (a loaded ASan
	# run took over 1.5 s), and a call hung up before that has nothing
	# to cancel
	test_expect_code 75 alice --timeout 5 bob &&
	bob_wait 0 &&
	test_grep "\"cause\":\"hung up\",\"status\":487," alice.out &&
	test_grep "\"cause\":\"cancelled\"" bob.out
'

test_expect_success 'SIGTERM in a call: alice hangs up (BYE) and exits 0' '
	bob &&
	sip-call -c "$TRASH/alice.conf" --ice-address 127.0.0.1 bob \
		>alice.out 2>alice.err &
	pid=$! &&
	i=0 &&
	while ! grep -q call/media alice.out 2>/dev/null; do
		i=$((i + 1)) && test $i -lt 200 && sleep 0.1 ||
			{ kill $pid; return 1; }
	done &&
	kill -TERM $pid &&
	{ wait $pid; rc=$?; } &&
	test $rc = 0 &&
	bob_wait 0 &&
	test_grep "\"cause\":\"hung up\"" alice.out &&
	test_grep "\"cause\":\"peer hung up\"" bob.out
'

test_expect_success 'usage errors exit 64; a file that cannot be read 74' '
	test_expect_code 64 sip-call -c "$TRASH/alice.conf" 2>err &&
	test_grep "say who to call" err &&
	test_expect_code 64 sip-call -c "$TRASH/alice.conf" --answer bob 2>err &&
	test_expect_code 64 sip-call -c "$TRASH/alice.conf" --from x bob 2>err &&
	test_expect_code 64 sip-call -c "$TRASH/alice.conf" --play - --control bob 2>err &&
	test_grep "not both" err &&
	test_expect_code 64 sip-call -c "$TRASH/alice.conf" --dtmf 12x bob 2>err &&
	test_expect_code 64 sip-call -c "$TRASH/alice.conf" --play tone:abc bob 2>err &&
	test_expect_code 64 sip-call -c "$TRASH/alice.conf" --answer --reject 200 2>err &&
	test_expect_code 74 sip-call -c "$TRASH/alice.conf" --play nosuch.wav bob 2>err &&
	echo "sip-call: --play nosuch.wav: No such file or directory" >expect &&
	test_cmp expect err &&
	test_expect_code 78 sip-call -c "$TRASH/alice.conf" \
		--set session.ice_addresses=eth0 bob 2>err
'

test_expect_success '--exec: a program that echoes the caller back' '
	bob --exec "exec cat" --events bob.events &&
	alice --play tone:440 --record a.wav --duration 3 bob &&
	bob_wait 0 &&
	test_grep "\"cause\":\"peer hung up\"" bob.events &&
	between "$(wav_freq a.wav)" 433 447 &&
	between "$(wav_length a.wav)" 2.2 3.6
'

test_expect_success '--exec: the call facts, a digit on fd 3, the program ends the call' '
	cat >menu.sh <<-\EOF &&
	env | grep "^SIPWS_CALL_" | sed "s/^SIPWS_CALL_ID=.*/SIPWS_CALL_ID=x/" | sort >env.txt
	sox -n -r 48000 -c 1 -b 16 -e signed -t raw - synth 20 sine 300 &
	read digit <&3
	echo "$digit" >digit.txt
	EOF
	bob --exec "sh menu.sh" --events bob.events &&
	alice --dtmf 7 --duration 10 --record a.wav bob &&
	bob_wait 0 &&
	test_grep "\"cause\":\"peer hung up\"" alice.out &&
	between "$(wav_freq a.wav)" 290 310 &&
	between "$(wav_length a.wav)" 0.2 3 &&
	echo 7 >expect &&
	test_cmp expect digit.txt &&
	cat >expect <<-\EOF &&
	SIPWS_CALL_DTMF_FD=3
	SIPWS_CALL_FROM=sip:alice@127.0.0.1
	SIPWS_CALL_ID=x
	SIPWS_CALL_TO=sip:bob@127.0.0.1
	EOF
	test_cmp expect env.txt
'

# coturn on loopback, relaying to loopback peers only (see t0900).
TURN_PORT=3478
test_expect_success 'coturn starts' 'turn_start $TURN_PORT'
test_when_finished turn_stop

# turn.conf PASSWORD: alice's account with coturn as her relay.
turn_conf() {
	{
		echo "turn_servers = turn:127.0.0.1:$TURN_PORT?transport=tcp username=sipws password=$1" &&
		cat "$TRASH/alice.conf"
	} >turn.conf &&
	chmod 600 turn.conf
}

test_expect_success 'a relay-only call through coturn carries audio both ways' '
	turn_conf secret &&
	bob --play tone:660 --record b.wav &&
	timeout 40 sip-call -c turn.conf --ice-address 127.0.0.1 --relay-only \
		--play tone:440 --record a.wav --duration 2 bob \
		>alice.out 2>alice.err &&
	bob_wait 0 &&
	between "$(wav_freq a.wav)" 650 670 &&
	between "$(wav_freq b.wav)" 433 447 &&
	test_grep "ALLOCATE processed, success" turn.log
'

test_expect_success 'session.require_relay_candidate and a wrong TURN password: 79 with the reason' '
	turn_conf wrong &&
	test_expect_code 79 timeout 40 sip-call -c turn.conf \
		--ice-address 127.0.0.1 \
		--set session.require_relay_candidate=true \
		sip:bob@127.0.0.1 >alice.out 2>alice.err &&
	test_grep "\"cause\":\"media failed\"" alice.out &&
	test_grep "^sip-call: sip:bob@127.0.0.1: media failed: no ICE candidate was gathered (relay only: did the TURN server refuse us?)\$" alice.err &&
	test_grep "\"exit\":79}" alice.out
'

test_done
