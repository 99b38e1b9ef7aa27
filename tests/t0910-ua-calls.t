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
if [ -z "${MEDIA_TEST_NETNS:-}" ]; then
	if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null 2>&1 &&
	   command -v ip >/dev/null 2>&1; then
		MEDIA_TEST_NETNS=1 exec unshare --net sh -c \
			'ip link set lo up && exec sh "$0" "$@"' "$0" "$@"
	fi
	MEDIA_TEST_NETNS=none
fi
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

# The strongest frequency of a recording (sox's spectrum summed over the
# file) and its length; see t0900.
wav_freq() {
	sox "$@" -n stat -freq 2>&1 |
		awk 'NF == 2 && $1 > 0 { p[$1] += $2 }
		     END { for (f in p) if (p[f] > max) { max = p[f]; best = f }
			   print best }'
}
wav_length() {
	sox "$@" -n stat 2>&1 | sed -n 's/^Length (seconds): *//p'
}
between() {
	awk -v v="$1" -v lo="$2" -v hi="$3" \
		'BEGIN { if (v == "" || v < lo || v > hi) { print "not in [" lo ", " hi "]: " v; exit 1 } }'
}

kamailio_start

build_rel=${SIPWS_BUILD#"$SIPWS_SOURCE"/}
root="$TRASH/root"
UA_CALL="$TRASH/ua-call"
test_expect_success 'the call program builds against the installed tree' '
	make -s -C "$SIPWS_SOURCE" install BUILD="$build_rel" \
		DESTDIR="$root" PREFIX=/usr/local >install.out 2>&1 &&
	case "$SIPWS_BUILD" in
	*sanitize*) san="-fsanitize=address,undefined" ;;
	*) san= ;;
	esac &&
	pc() {
		PKG_CONFIG_PATH="$root/usr/local/lib/pkgconfig" \
			pkg-config "$@" sipws | sed "s|/usr/local|$root/usr/local|g"
	} &&
	cc $san $(pc --cflags) -o "$UA_CALL" \
		"$SIPWS_SOURCE/tests/programs/ua-call.c" $(pc --libs)
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
TEST_SHOW_ON_FAILURE="alice.out alice.err bob.out bob.err"

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
test_expect_success 'coturn starts' '
	turnserver -n --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 \
		--listening-port=$TURN_PORT --min-port=49152 --max-port=49252 \
		--lt-cred-mech --user=sipws:secret --realm=sipws.invalid \
		--allow-loopback-peers --no-tls --no-dtls --no-cli \
		--denied-peer-ip=0.0.0.0-126.255.255.255 \
		--denied-peer-ip=128.0.0.0-255.255.255.255 \
		--pidfile="$PWD/turn.pid" --log-file=stdout --simple-log \
		--verbose >turn.log 2>&1 &
	echo $! >"$TRASH/turn.job" &&
	i=0 &&
	while ! grep -q "Relay ports initialization done" turn.log; do
		i=$((i + 1)) && test $i -lt 50 && sleep 0.1 || return 1
	done
'
test_when_finished 'kill $(cat "$TRASH/turn.job")'

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
