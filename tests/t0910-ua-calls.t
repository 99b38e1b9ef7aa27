#!/bin/sh
test_description='calls through the library (lib/call.c): a program built
against the installed tree with the umbrella header only
(tests/programs/ua-call.c) registers alice and bob on the project'"'"'s
Kamailio, and they call each other: each sends its own tone and checks
what it received (frequency and length); DTMF both ways by RFC 4733 and
by INFO; hold and resume by re-INVITE; BYE from either side; busy,
decline, no answer and CANCEL with their exit codes; a relay-only call
through coturn; a tampered fingerprint refused by the callee. Everything
runs inside a loopback-only network namespace.'

# A network namespace with only lo (see t0900). The script runs itself
# again inside one (root needed).
. "$SIPWS_SOURCE/tests/lib/media.sh"
media_netns "$0" "$@"
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"

[ "$MEDIA_TEST_NETNS" = 1 ] ||
	test_skip_all 'needs root, unshare(1) and ip(8) for a loopback-only network namespace'
command -v sox >/dev/null 2>&1 || test_skip_all 'sox(1) is missing'
command -v turnserver >/dev/null 2>&1 || test_skip_all 'coturn is missing'
command -v pkg-config >/dev/null 2>&1 || test_skip_all 'pkg-config is missing'
gst-inspect-1.0 webrtcbin >/dev/null 2>&1 ||
	test_skip_all 'GStreamer webrtcbin is missing (gstreamer1.0-plugins-bad)'
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"

ASAN_OPTIONS="fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export ASAN_OPTIONS

kamailio_start

UA_CALL="$TRASH/ua-call"
test_expect_success 'the call program builds against the installed tree' '
	ua_call_build
'
test -x "$UA_CALL" || test_skip_all 'the call program did not build'

# bob ARGS...: bob waits for a call in the background (bob.out, bob.err,
# his exit status in bob.rc once he is registered); alice ARGS...: alice
# runs in the foreground (alice.out, alice.err). Each at most 40 s.
bob() {
	rm -f bob.rc bob.out &&
	(UA_CALL_PASSWORD=$KAM_BOB_PASSWORD timeout 40 "$UA_CALL" \
		"$KAM_WS_URL" sip:bob@127.0.0.1 --tone 660 "$@" \
		>bob.out 2>bob.err; echo $? >bob.rc) &
	kamailio_wait_contacts bob 1 10
}
alice() {
	UA_CALL_PASSWORD=$KAM_ALICE_PASSWORD timeout 40 "$UA_CALL" \
		"$KAM_WS_URL" sip:alice@127.0.0.1 --tone 440 "$@" \
		>alice.out 2>alice.err
}
bob_wait() {
	i=0 &&
	while ! test -s bob.rc; do
		i=$((i + 1)) && test $i -lt 400 && sleep 0.1 || return 1
	done &&
	test "$(cat bob.rc)" = "$1" ||
		{ echo "bob exited $(cat bob.rc), not $1"; return 1; }
}
TEST_SHOW_ON_FAILURE="alice.out alice.err bob.out bob.err bob2.out bob2.err"

test_expect_success 'a call: tones both ways, alice hangs up, both exit 0' '
	bob --wav b.wav &&
	alice --dial sip:bob@127.0.0.1 --seconds 3 --wav a.wav &&
	bob_wait 0 &&
	cat >expect <<-\EOF &&
	registered
	progress 180
	answered
	media OPUS
	ended hung up 0
	EOF
	grep -v "^stats" alice.out >got &&
	test_cmp expect got &&
	cat >expect <<-\EOF &&
	registered
	incoming sip:alice@127.0.0.1
	answered
	media OPUS
	ended peer hung up 0
	EOF
	grep -v "^stats" bob.out >got &&
	test_cmp expect got &&
	test_grep "^stats received [1-9][0-9]* packets" alice.out &&
	test_grep "^stats received [1-9][0-9]* packets" bob.out &&
	between "$(wav_freq a.wav)" 650 670 &&
	between "$(wav_freq b.wav)" 433 447 &&
	between "$(wav_length a.wav)" 2.8 3.6 &&
	between "$(wav_length b.wav)" 2.8 3.6
'

test_expect_success 'both bindings are gone after the call' '
	kamailio_wait_contacts alice 0 &&
	kamailio_wait_contacts bob 0
'

test_expect_success 'bob hangs up: alice sees the BYE, both exit 0' '
	bob --seconds 2 &&
	alice --dial sip:bob@127.0.0.1 &&
	bob_wait 0 &&
	test_grep "^ended peer hung up 0\$" alice.out &&
	test_grep "^ended hung up 0\$" bob.out
'

test_expect_success 'DTMF both ways: RFC 4733 from alice, INFO from bob, in order' '
	bob --dtmf "1#9" --info &&
	alice --dial sip:bob@127.0.0.1 --seconds 3 --dtmf "*0D" &&
	bob_wait 0 &&
	printf "dtmf %s rfc4733\n" "*" 0 D >expect &&
	grep "^dtmf" bob.out >got &&
	test_cmp expect got &&
	printf "dtmf %s info\n" 1 "#" 9 >expect &&
	grep "^dtmf" alice.out >got &&
	test_cmp expect got
'

test_expect_success 'bob holds and resumes by re-INVITE: alice is told, hears less' '
	bob --hold --wav b.wav &&
	alice --dial sip:bob@127.0.0.1 --seconds 4 --wav a.wav &&
	bob_wait 0 &&
	printf "held\nresumed\n" >expect &&
	grep -e "^held" -e "^resumed" bob.out >got &&
	test_cmp expect got &&
	printf "peer hold\npeer resume\n" >expect &&
	grep "^peer" alice.out >got &&
	test_cmp expect got &&
	a=$(wav_length a.wav) && b=$(wav_length b.wav) &&
	between "$a" 3.5 4.6 &&
	between "$b" 1.5 "$(awk -v a="$a" "BEGIN { print a - 0.5 }")" &&
	between "$(wav_freq a.wav)" 650 670
'

test_expect_success 'busy: bob rejects with 486, alice exits 2' '
	bob --reject 486 &&
	test_expect_code 2 alice --dial sip:bob@127.0.0.1 &&
	bob_wait 0 &&
	printf "registered\nprogress 180\nended failed 486\n" >expect &&
	test_cmp expect alice.out &&
	test_grep "^ended hung up 486\$" bob.out
'

test_expect_success 'declined: bob rejects with 603, alice exits 4' '
	bob --reject 603 &&
	test_expect_code 4 alice --dial sip:bob@127.0.0.1 &&
	bob_wait 0 &&
	test_grep "^ended failed 603\$" alice.out
'

test_expect_success 'no answer within 1.5 s: alice cancels and exits 3' '
	bob --answer-after 20000 &&
	test_expect_code 3 alice --dial sip:bob@127.0.0.1 --no-answer 1500 &&
	bob_wait 0 &&
	printf "registered\nprogress 180\nended error 487\n" >expect &&
	test_cmp expect alice.out &&
	test_grep "^ended cancelled 487\$" bob.out
'

test_expect_success 'alice hangs up while it rings: CANCEL, both exit 0' '
	bob --answer-after 20000 &&
	alice --dial sip:bob@127.0.0.1 --hangup-after 1000 &&
	bob_wait 0 &&
	printf "registered\nprogress 180\nended hung up 487\n" >expect &&
	test_cmp expect alice.out &&
	test_grep "^ended cancelled 487\$" bob.out
'

test_expect_success 'two devices of bob: the first to answer wins, the other hears "elsewhere"' '
	(UA_CALL_PASSWORD=$KAM_BOB_PASSWORD timeout 40 "$UA_CALL" \
		"$KAM_WS_URL" sip:bob@127.0.0.1 --answer-after 20000 \
		>bob2.out 2>bob2.err; echo $? >bob2.rc) &
	kamailio_wait_contacts bob 1 10 &&
	rm -f bob.rc bob.out &&
	(UA_CALL_PASSWORD=$KAM_BOB_PASSWORD timeout 40 "$UA_CALL" \
		"$KAM_WS_URL" sip:bob@127.0.0.1 --tone 660 \
		>bob.out 2>bob.err; echo $? >bob.rc) &
	kamailio_wait_contacts bob 2 10 &&
	alice --dial sip:bob@127.0.0.1 --seconds 1 &&
	bob_wait 0 &&
	i=0 &&
	while ! test -s bob2.rc; do
		i=$((i + 1)) && test $i -lt 100 && sleep 0.1 || return 1
	done &&
	test "$(cat bob2.rc)" = 0 &&
	test_grep "^media OPUS\$" alice.out &&
	test_grep "^ended peer hung up 0\$" bob.out &&
	printf "registered\nincoming sip:alice@127.0.0.1\nended cancelled 487\n" >expect &&
	test_cmp expect bob2.out &&
	test_grep "^ua-call: answered elsewhere\$" bob2.err
'

test_expect_success 'a tampered fingerprint in the offer: bob refuses (79), hangs up' '
	bob --wav b.wav &&
	alice --dial sip:sipws-tamper-bob@127.0.0.1 --seconds 5 &&
	bob_wait 79 &&
	test_grep "^ended media failed 0\$" bob.out &&
	test_grep "does not match its a=fingerprint" bob.err &&
	test_grep -v "^media" bob.out &&
	test_grep "^ended peer hung up 0\$" alice.out &&
	test ! -s b.wav
'

# coturn on loopback, relaying to loopback peers only (see t0900).
TURN_PORT=3478
test_expect_success 'coturn starts' 'turn_start $TURN_PORT'
test_when_finished turn_stop

test_expect_success 'a relay-only call through coturn carries audio both ways' '
	UA_CALL_TURN_USER=sipws UA_CALL_TURN_PASS=secret &&
	export UA_CALL_TURN_USER UA_CALL_TURN_PASS &&
	bob --relay "turn:127.0.0.1:$TURN_PORT" --wav b.wav &&
	alice --dial sip:bob@127.0.0.1 --seconds 2 --wav a.wav \
		--relay "turn:127.0.0.1:$TURN_PORT?transport=tcp" &&
	bob_wait 0 &&
	test_grep "^media OPUS\$" alice.out &&
	test_grep "^media OPUS\$" bob.out &&
	between "$(wav_freq a.wav)" 650 670 &&
	between "$(wav_freq b.wav)" 433 447 &&
	grep -c "ALLOCATE processed, success" turn.log >allocs &&
	test "$(cat allocs)" -ge 2
'

test_done
