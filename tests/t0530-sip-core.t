#!/bin/sh
test_description='the SIP core registers, sends and receives MESSAGEs, rings and cancels calls through Kamailio over WebSocket'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"
kam_require_sipsak

PROBE="$SIPWS_BUILD/tests/helpers/sipcore-probe"
[ -x "$PROBE" ] || test_skip_all "the test driver $PROBE is not built (make test builds it)"

kamailio_start

UUID=0f8fad5b-d9cb-469f-a165-70867728950e
ALICE="-s $KAM_WS_URL -u sip:alice@127.0.0.1 -p $KAM_ALICE_PASSWORD"
BOB="-s $KAM_WS_URL -u sip:bob@127.0.0.1 -p $KAM_BOB_PASSWORD"
CAROL="-s $KAM_WS_URL -u sip:carol@127.0.0.1 -p $KAM_CAROL_PASSWORD"

# wait_for PATTERN FILE [TENTHS]: until FILE has a line matching PATTERN
# (grep -E), at most TENTHS tenths of a second (default 100).
wait_for() {
	n=0
	while ! grep -E -q "$1" "$2" 2>/dev/null; do
		n=$((n + 1))
		if [ "$n" -gt "${3:-100}" ]; then
			echo "wait_for: no '$1' in $2 after $((n / 10)) s:" >&2
			cat "$2" >&2
			return 1
		fi
		sleep 0.1
	done
}

# listen NAME ARGS...: start a listening probe in the background; its
# output goes to NAME.out, its trace to NAME.err, its pid to NAME.pid;
# returns once it is registered.
listen() {
	name=$1
	shift
	"$PROBE" "$@" listen >"$name.out" 2>"$name.err" &
	echo $! >"$name.pid"
	wait_for "^registered" "$name.out"
}

# finish NAME [CODE]: wait for the background probe NAME, check its status.
finish() {
	pid=$(cat "$1.pid")
	wait "$pid"
	rc=$?
	if [ "$rc" -ne "${2:-0}" ]; then
		echo "$1 exited $rc, expected ${2:-0}" >&2
		cat "$1.out" "$1.err" >&2
		return 1
	fi
}

test_expect_success 'REGISTER with digest: 200, our binding listed with its GRUUs' '
	"$PROBE" $ALICE -v -e 60 -i $UUID register >out 2>trace &&
	test_grep "^registered expires=60 refresh=0 bindings=1$" out &&
	test_grep "^binding sip:[0-9a-z]*@[0-9a-z]*\.invalid;transport=ws;ob expires=60 ours=1 pub-gruu=sip:alice@127\.0\.0\.1;gr=urn:uuid:$UUID temp-gruu=yes$" out &&
	test "$(grep -c "^REGISTER sip:127\.0\.0\.1 SIP/2\.0" trace)" -eq 2 &&
	test "$(grep -c "^Authorization: Digest username=\"alice\"" trace)" -eq 1
'

test_expect_success 'requests carry the RFC 7118 Via and Contact, outbound parameters, User-Agent' '
	test_grep "^Via: SIP/2\.0/WS [0-9a-z]\{10\}\.invalid;branch=z9hG4bK[0-9a-z]\{22\};rport$" trace &&
	test_grep "^Contact: <sip:[0-9a-z]*@[0-9a-z]*\.invalid;transport=ws;ob>;expires=60;reg-id=1;+sip.instance=\"<urn:uuid:$UUID>\"$" trace &&
	test_grep "^Supported: path, gruu, outbound$" trace &&
	test_grep "^User-Agent: sipws/" trace &&
	sed -n "s/^Via: .*branch=\([^;]*\);.*/\1/p" trace | sort -u >branches &&
	test "$(wc -l <branches)" -eq 2
'

test_expect_success 'one CSeq per attempt, same Call-ID and From tag' '
	grep "^CSeq: " trace >cseq &&
	printf "CSeq: 1 REGISTER\nCSeq: 1 REGISTER\nCSeq: 2 REGISTER\nCSeq: 2 REGISTER\n" >expect &&
	test_cmp expect cseq &&
	test "$(grep "^Call-ID: " trace | sort -u | wc -l)" -eq 1 &&
	test "$(grep "^From: " trace | sort -u | wc -l)" -eq 1
'

test_expect_success 'extra headers go on every request we start' '
	"$PROBE" $ALICE -v -H "X-Test: one two" -H "Organization: sipws" register >out 2>trace &&
	test "$(grep -c "^X-Test: one two$" trace)" -eq 2 &&
	test "$(grep -c "^Organization: sipws$" trace)" -eq 2
'

test_expect_success 'a wrong password is an authentication failure (exit 6) after one answer' '
	test_expect_code 6 "$PROBE" -v -s "$KAM_WS_URL" -u sip:alice@127.0.0.1 \
		-p wrong-password register >out 2>trace &&
	test_grep "^registration-failed err=EKEYREJECTED status=401 " out &&
	test "$(grep -c "^REGISTER " trace)" -eq 2
'

test_expect_success 'an unknown user and missing credentials fail as authentication too' '
	test_expect_code 6 "$PROBE" -s "$KAM_WS_URL" -u sip:nobody@127.0.0.1 \
		-p whatever register >out &&
	test_grep "^registration-failed err=EKEYREJECTED status=401 " out &&
	test_expect_code 6 "$PROBE" -s "$KAM_WS_URL" -u sip:alice@127.0.0.1 \
		register >out &&
	test_grep "^registration-failed err=EPERM status=401 " out
'

test_expect_success 'WSS with the test CA registers with a WSS Via' '
	"$PROBE" -v -s "$KAM_WSS_URL" -C "$KAM_CA" -u sip:alice@127.0.0.1 \
		-p "$KAM_ALICE_PASSWORD" register >out 2>trace &&
	test_grep "^registered " out &&
	test_grep "^Via: SIP/2\.0/WSS [0-9a-z]*\.invalid;" trace
'

test_expect_success 'WSS with an untrusted certificate fails with the TLS exit code' '
	test_expect_code 77 "$PROBE" -s "$KAM_WSS_URL" -u sip:alice@127.0.0.1 \
		-p "$KAM_ALICE_PASSWORD" register >out &&
	test_grep "^transport lost err=WS_ETLS_VERIFY retry=0$" out
'

test_expect_success 'no server listening: the request fails as unavailable' '
	port=$(perl "$SIPWS_SOURCE/tests/kamailio/free-ports.pl" 1) &&
	test_expect_code 69 "$PROBE" -s "ws://127.0.0.1:$port/" \
		-u sip:alice@127.0.0.1 -p x register >out &&
	test_grep "^registration-failed err=ECONNRESET" out &&
	test_grep "^transport lost err=ECONNREFUSED retry=0$" out
'

test_expect_success 'query lists the bindings of the AoR (another UA registered)' '
	listen bob1 $BOB -w 20000 &&
	"$PROBE" $BOB query >out &&
	kill "$(cat bob1.pid)" && wait "$(cat bob1.pid)";
	test_grep "^queried status=200 bindings=1$" out &&
	test_grep "^binding sip:[0-9a-z]*@[0-9a-z]*\.invalid;transport=ws expires=[0-9]* ours=0$" out
'

test_expect_success 'unregister removes our own contact' '
	"$PROBE" $ALICE -v unregister >out 2>trace &&
	test_grep "^registered " out &&
	test_grep "^unregistered err=0 bindings=0$" out &&
	test_grep "^Contact: <sip:[0-9a-z]*@[0-9a-z]*\.invalid;transport=ws>;expires=0$" trace &&
	test_grep "^Expires: 0$" trace
'

test_expect_success 'unregister-all removes every contact of the AoR' '
	listen bob2 $BOB -w 20000 &&
	kamailio_contacts bob >before &&
	"$PROBE" -v $BOB unregister-all >out 2>trace &&
	kamailio_contacts bob >after &&
	kill "$(cat bob2.pid)" && wait "$(cat bob2.pid)";
	test "$(wc -l <before)" -eq 1 &&
	test_cmp /dev/null after &&
	test_grep "^unregistered err=0 bindings=0$" out &&
	test_grep "^Contact: \*$" trace
'

test_expect_success 'MESSAGEs reach the registered recipient byte-exact: UTF-8, several lines, empty' '
	mkdir -p bodies3 &&
	listen bob3 $BOB -o bodies3 -n 3 -w 20000 &&
	printf "h\303\251llo w\303\266rld \342\202\254\nsecond line\r\nthird\n" >m1 &&
	printf "a\000b binary \001\377" >m2 &&
	"$PROBE" $ALICE send sip:bob@127.0.0.1 m1 m2 - >all &&
	finish bob3 &&
	grep "^result" all >out &&
	printf "result 1 status=200 err=0 reason=OK\nresult 2 status=200 err=0 reason=OK\nresult 3 status=200 err=0 reason=OK\n" >expect &&
	test_cmp expect out &&
	cmp m1 bodies3/body.1 &&
	cmp m2 bodies3/body.2 &&
	test_cmp /dev/null bodies3/body.3 &&
	test_grep "^message 1 from=sip:alice@127\.0\.0\.1 to=sip:bob@127\.0\.0\.1 type=text/plain;charset=UTF-8 len=37$" bob3.out &&
	test_grep "^message 3 .* len=0$" bob3.out
'

test_expect_success 'the content type is passed through' '
	mkdir -p bodies4 &&
	listen bob4 $BOB -o bodies4 -n 1 -w 20000 &&
	printf "{\"a\":1}" >j &&
	"$PROBE" $ALICE -c application/json send sip:bob@127.0.0.1 j >out &&
	finish bob4 &&
	test_grep "^message 1 .* type=application/json len=7$" bob4.out &&
	cmp j bodies4/body.1
'

test_expect_success 'MESSAGE to an offline user: 480 (exit 3); to an unknown user: 404 (exit 5)' '
	echo hi >m &&
	test_expect_code 3 "$PROBE" $ALICE send sip:carol@127.0.0.1 m >out &&
	test_grep "^result 1 status=480 " out &&
	test_expect_code 5 "$PROBE" $ALICE send sip:nobody@127.0.0.1 m >out &&
	test_grep "^result 1 status=404 " out
'

test_expect_success '100 pipelined MESSAGEs: all 200, one challenge, delivered in order' '
	mkdir -p bodies5 &&
	listen bob5 $BOB -o bodies5 -n 100 -w 30000 &&
	"$PROBE" $ALICE -v -w 30000 pipeline sip:bob@127.0.0.1 100 >out 2>trace &&
	finish bob5 &&
	test_grep "^pipeline sent=100 ok=100 challenges=1 " out &&
	test "$(grep -c "^MESSAGE sip:bob@127\.0\.0\.1 SIP/2\.0" trace)" -eq 101 &&
	test "$(grep -c "^SIP/2\.0 407 " trace)" -eq 1 &&
	test "$(grep -c "^Proxy-Authorization: Digest " trace)" -eq 100 &&
	sed -n "s/.*nc=\([0-9a-f]*\).*/\1/p" trace | sort -u | wc -l >ncs &&
	echo 100 >expect && test_cmp expect ncs &&
	i=1 &&
	while [ $i -le 100 ]; do
		printf "message %d" $i >want &&
		cmp want bodies5/body.$i || return 1
		i=$((i + 1))
	done
'

test_expect_success 'a WebSocket queue of 2: the rest waits in the core and follows in order' '
	mkdir -p bodies6 &&
	listen bob6 $BOB -o bodies6 -n 50 -w 30000 &&
	"$PROBE" $ALICE -Q 2 -w 30000 pipeline sip:bob@127.0.0.1 50 >out &&
	finish bob6 &&
	test_grep "^pipeline sent=50 ok=50 " out &&
	sed -n "s/.* backlog_max=\([0-9]*\).*/\1/p" out >backlog &&
	test "$(cat backlog)" -gt 0 &&
	i=1 &&
	while [ $i -le 50 ]; do
		printf "message %d" $i >want &&
		cmp want bodies6/body.$i || return 1
		i=$((i + 1))
	done
'

# A request from outside the domain, relayed by Kamailio over UDP to the
# registered probe (Kamailio only challenges its own users).
test_expect_success 'OPTIONS gets 200; unknown methods 501; known but unserved 405' '
	listen bob6 $BOB -w 20000 &&
	kam_request OPTIONS sip:bob@127.0.0.1 sip:tester@example.invalid \
		sip:bob@127.0.0.1 >options.sip &&
	kam_request FOOBAR sip:bob@127.0.0.1 sip:tester@example.invalid \
		sip:bob@127.0.0.1 >foobar.sip &&
	kam_request INFO sip:bob@127.0.0.1 sip:tester@example.invalid \
		sip:bob@127.0.0.1 >info.sip &&
	kam_sipsak_send options.sip sip:bob@127.0.0.1 >code &&
	kam_sipsak_send foobar.sip sip:bob@127.0.0.1 >>code &&
	kam_sipsak_send info.sip sip:bob@127.0.0.1 >>code &&
	kill "$(cat bob6.pid)" && wait "$(cat bob6.pid)";
	printf "200\n501\n405\n" >expect &&
	test_cmp expect code
'

test_expect_success 'an incoming INVITE rings and is reported; the reject code ends it' '
	listen bob7 $BOB -x 486 -n 1 -w 20000 &&
	kam_request INVITE sip:bob@127.0.0.1 sip:tester@example.invalid \
		sip:bob@127.0.0.1 "Contact: <sip:tester@127.0.0.1:\$port\$>" \
		>invite.sip &&
	kam_sipsak_send invite.sip sip:bob@127.0.0.1 >code &&
	finish bob7 &&
	echo 486 >expect &&
	test_cmp expect code &&
	test_grep "^call incoming from=sip:tester@example\.invalid to=sip:bob@127\.0\.0\.1 call-id=[^ ]*$" bob7.out &&
	test_grep "^call ended reason=rejected status=486$" bob7.out
'

test_expect_success 'a CANCEL ends a ringing call: 487, reported as cancelled' '
	listen bob8 $BOB -n 1 -w 20000 &&
	"$PROBE" -v $CAROL call sip:bob@127.0.0.1 >out 2>trace &&
	finish bob8 &&
	printf "call progress status=180\ncall final status=487 err=0 challenges=1\n" >expect &&
	grep "^call" out >calls &&
	test_cmp expect calls &&
	test_grep "^call incoming from=sip:carol@127\.0\.0\.1 to=sip:bob@127\.0\.0\.1 " bob8.out &&
	test_grep "^call ended reason=cancelled status=487$" bob8.out &&
	test_grep "^CANCEL sip:bob@127\.0\.0\.1 SIP/2\.0" trace &&
	test_grep "^ACK sip:bob@127\.0\.0\.1 SIP/2\.0" trace
'

test_expect_success 'a CANCEL with Reason: SIP;cause=200 is reported as answered elsewhere' '
	listen bob9 $BOB -n 1 -w 20000 &&
	"$PROBE" -R $CAROL call sip:bob@127.0.0.1 >out &&
	finish bob9 &&
	test_grep "^call final status=487 " out &&
	test_grep "^call ended reason=answered elsewhere status=487$" bob9.out
'

# The probe's own peer answers every request 200, an INVITE too: the core
# acknowledges the 2xx and, as it does no media yet, hangs up at once.
test_expect_success 'an answered INVITE is acknowledged and hung up' '
	rm -f port &&
	("$PROBE" answer port 2>answer.err &) &&
	wait_for . port &&
	"$PROBE" -v -k -s "ws://127.0.0.1:$(cat port)/" -u sip:carol@127.0.0.1 \
		call sip:bob@127.0.0.1 >out 2>trace &&
	wait_for "answered" answer.err &&
	test_grep "^call final status=200 err=0 challenges=0$" out &&
	test_grep "^ACK sip:answer@127\.0\.0\.1;transport=ws SIP/2\.0$" trace &&
	test_grep "^BYE sip:answer@127\.0\.0\.1;transport=ws SIP/2\.0$" trace &&
	test_grep "^CSeq: 1 ACK$" trace &&
	test_grep "^CSeq: 2 BYE$" trace &&
	test_grep "answered 2 requests, ack=1 bye=1" answer.err
'

test_expect_success 'a UA that stops answers its ringing call 480' '
	listen bob11 $BOB -w 2500 &&
	test_expect_code 3 "$PROBE" -k $CAROL call sip:bob@127.0.0.1 >out &&
	finish bob11 &&
	test_grep "^call progress status=180$" out &&
	test_grep "^call final status=480 " out &&
	test_grep "^call ended reason=shutdown status=480$" bob11.out
'

# carol registered over UDP by sipsak, which is gone: Kamailio relays to a
# dead port and only gives up after its own 5 s.
test_expect_success 'no final response within Timer F: 408 and the timeout exit code' '
	kam_sipsak_register carol "$KAM_CAROL_PASSWORD" 60 >code &&
	echo 200 >expect && test_cmp expect code &&
	echo hi >m &&
	test_expect_code 75 "$PROBE" $ALICE -T 1000 send sip:carol@127.0.0.1 m >out &&
	test_grep "^result 1 status=408 err=ETIMEDOUT reason=Request Timeout$" out
'

test_expect_success 'a short registration is refreshed before it expires' '
	"$PROBE" $ALICE -e 2 -n 3 -w 10000 register >out &&
	grep "^registered" out >regs &&
	printf "registered expires=2 refresh=0 bindings=1\nregistered expires=2 refresh=1 bindings=1\nregistered expires=2 refresh=1 bindings=1\n" >expect &&
	test_cmp expect regs
'

test_expect_success 'Kamailio restarted while registered: re-registered after the reconnection' '
	listen bob10 $BOB -r -w 30000 &&
	kamailio_restart &&
	wait_for "^transport lost err=ECONNRESET retry=1$" bob10.out &&
	wait_for "^registered .*refresh=1" bob10.out 150 &&
	kamailio_contacts bob >contacts &&
	kill "$(cat bob10.pid)" && wait "$(cat bob10.pid)";
	test "$(wc -l <contacts)" -eq 1 &&
	test_grep "^unregistered err=ECONNRESET" bob10.out
'

test_done
