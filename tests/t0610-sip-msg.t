#!/bin/sh
test_description='sip-msg sends MESSAGEs through Kamailio byte-exact, one per
recipient, as a pipelined stream, or waits for the reply; exit codes of the
table'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"

command -v sip-msg >/dev/null 2>&1 || test_skip_all 'sip-msg is not built'

kamailio_start

kamailio_alice_config
: >empty.conf

CLOSED_PORT=$(perl "$SIPWS_SOURCE/tests/kamailio/free-ports.pl" 1)

# The receiver: a minimal user agent registered as bob over ws://, which
# answers each MESSAGE 200 and prints "MESSAGE FROM-URI BODY" (the body
# byte for byte, then a newline).
# peer_start COUNT: bob takes COUNT messages (in the background of the
# test body; peer_wait waits for it).
peer_start() {
	kam_ws_peer_start "$@"
}
peer_wait() {
	kam_ws_peer_wait
}
# peer_expect BODY-FILE...: what the peer prints for these bodies.
peer_expect() {
	echo "registered 200"
	for f in "$@"; do
		printf "MESSAGE sip:alice@127.0.0.1 "
		cat "$f"
		echo
	done
}

# Latencies vary: "... 12.3" at the end of a result line becomes "N".
normalize() {
	sed -E -e 's/ [0-9]+\.[0-9]$/ N/' -e 's/"latency_us":[0-9]+/"latency_us":N/' "$1"
}

test_expect_success 'the TEXT operands joined by single spaces; one result line' '
	peer_start 1 &&
	sip-msg bob hello "  big" world >out 2>err &&
	peer_wait &&
	printf "hello   big world" >body &&
	peer_expect body >expect &&
	test_cmp expect peer.out &&
	normalize out >actual &&
	echo "sip:bob@127.0.0.1 200 OK N" >expect &&
	test_cmp expect actual &&
	test_cmp /dev/null err
'

test_expect_success 'standard input byte-exact: UTF-8 lines, CRLF, no final newline, empty' '
	printf "Grüße aus Köln ✓ 🎉\nzweite Zeile\r\n\n\t\"quoted\" \\\\ back\n" >b1 &&
	printf "no newline at the end" >b2 &&
	: >b3 &&
	printf "\n" >b4 &&
	peer_start 4 &&
	sip-msg sip:bob@127.0.0.1 <b1 >out &&
	sip-msg bob - <b2 >>out &&
	sip-msg bob <b3 >>out &&
	sip-msg bob <b4 >>out &&
	peer_wait &&
	peer_expect b1 b2 b3 b4 >expect &&
	test_cmp expect peer.out &&
	test "$(grep -c " 200 OK " out)" -eq 4
'

test_expect_success '--json result' '
	peer_start 1 &&
	sip-msg --json bob hi >out &&
	peer_wait &&
	normalize out >actual &&
	echo "{\"to\":\"sip:bob@127.0.0.1\",\"status\":200,\"reason\":\"OK\",\"latency_us\":N}" >expect &&
	test_cmp expect actual
'

test_expect_success '--password-stdin: the first line the password, the rest the body' '
	printf "%s\nthe body\nand more\n" "$KAM_ALICE_PASSWORD" >in &&
	printf "the body\nand more\n" >body &&
	peer_start 1 &&
	sip-msg -c empty.conf -u sip:alice@127.0.0.1 -s "$KAM_WS_URL" \
		--password-stdin bob <in >out &&
	peer_wait &&
	peer_expect body >expect &&
	test_cmp expect peer.out
'

test_expect_success 'a user that does not exist: 404, exit 5' '
	test_expect_code 5 sip-msg nobody hi >out 2>err &&
	normalize out >actual &&
	echo "sip:nobody@127.0.0.1 404 Not Found N" >expect &&
	test_cmp expect actual
'

test_expect_success 'a user not registered now: 480, exit 3' '
	test_expect_code 3 sip-msg carol hi >out &&
	normalize out >actual &&
	echo "sip:carol@127.0.0.1 480 Temporarily Unavailable N" >expect &&
	test_cmp expect actual
'

test_expect_success 'several recipients with --to: one line each in order, the worst status' '
	peer_start 1 &&
	test_expect_code 5 sip-msg -t carol -t bob -t nobody "to all" >out &&
	peer_wait &&
	normalize out >actual &&
	cat >expect <<-\EOF &&
	sip:carol@127.0.0.1 480 Temporarily Unavailable N
	sip:bob@127.0.0.1 200 OK N
	sip:nobody@127.0.0.1 404 Not Found N
	EOF
	test_cmp expect actual &&
	printf "to all" >body &&
	peer_expect body >expect &&
	test_cmp expect peer.out
'

test_expect_success '--content-type and --header go into the MESSAGE; -vv masks the digest' '
	test_expect_code 5 sip-msg -vv --content-type "text/x-test;charset=UTF-8" \
		-H "X-Test: one two" -H "Subject: hi" nobody hi >out 2>err &&
	test_grep "^sip-msg: > MESSAGE sip:nobody@127.0.0.1 SIP/2.0\$" err &&
	test_grep "^sip-msg: > Content-Type: text/x-test;charset=UTF-8\$" err &&
	test_grep "^sip-msg: > X-Test: one two\$" err &&
	test_grep "^sip-msg: > Subject: hi\$" err &&
	test_grep "^sip-msg: < SIP/2.0 407 " err &&
	test_grep "> Proxy-Authorization: Digest .*response=\"\\*\\*\\*\\*\\*\\*\\*\\*\"" err &&
	test_grep -v "response=\"[0-9a-f]" err &&
	test_grep -v "$KAM_ALICE_PASSWORD" err
'

test_expect_success '--stream: 200 lines, 200 messages in order over one connection' '
	seq 200 >lines &&
	peer_start 200 &&
	sip-msg -v --stream --window 16 bob <lines >out 2>err &&
	peer_wait &&
	sed "s/^/MESSAGE sip:alice@127.0.0.1 /" lines >expect.peer &&
	sed 1d peer.out >actual.peer &&
	test_cmp expect.peer actual.peer &&
	normalize out >actual &&
	sed "s/\$/ 200 OK N/" lines >expect &&
	test_cmp expect actual &&
	test "$(grep -c ": connected\$" err)" -eq 1
'

test_expect_success '--stream --json: failures reported per line, the worst exit status' '
	printf "one\n\nthree" >lines &&
	test_expect_code 5 sip-msg --stream --json nobody <lines >out &&
	normalize out >actual &&
	cat >expect <<-\EOF &&
	{"seq":1,"status":404,"reason":"Not Found","latency_us":N}
	{"seq":2,"status":404,"reason":"Not Found","latency_us":N}
	{"seq":3,"status":404,"reason":"Not Found","latency_us":N}
	EOF
	test_cmp expect actual
'

test_expect_success '--stream from a pipe: each line sent as it arrives, the end seen' '
	peer_start 2 &&
	{ echo first; sleep 0.4; echo second; } |
		sip-msg --stream bob >out 2>err &&
	peer_wait &&
	printf "first\nsecond\n" >lines &&
	sed "s/^/MESSAGE sip:alice@127.0.0.1 /" lines >expect.peer &&
	sed 1d peer.out >actual.peer &&
	test_cmp expect.peer actual.peer &&
	normalize out >actual &&
	printf "1 200 OK N\n2 200 OK N\n" >expect &&
	test_cmp expect actual &&
	test_cmp /dev/null err
'

test_expect_success '--stream with empty input: nothing sent, 0' '
	sip-msg --stream bob </dev/null >out &&
	test_cmp /dev/null out
'

test_expect_success '--wait-reply: registers, sends, prints the reply byte-exact' '
	peer_start 1 &&
	{ sip-msg --wait-reply 10 bob ping >reply 2>reply.err &
	  echo $! >waiter.pid; } &&
	for i in $(seq 50); do
		grep -q "^MESSAGE sip:alice@127.0.0.1 ping\$" peer.out && break
		sleep 0.1
	done &&
	peer_wait &&
	printf "pong\n\tzwei ✓" >body &&
	SIPWS_USER_URI=sip:bob@127.0.0.1 \
	SIPWS_USER_SIP_AUTH_PASSWORD=$KAM_BOB_PASSWORD \
		sip-msg alice <body >out &&
	wait "$(cat waiter.pid)" &&
	test_cmp body reply &&
	kamailio_wait_contacts alice 0
'

test_expect_success '--wait-reply without a reply: 75' '
	peer_start 1 &&
	test_expect_code 75 sip-msg --wait-reply 0.5 bob ping >out 2>err &&
	peer_wait &&
	test_cmp /dev/null out &&
	test_grep "no reply from sip:bob@127.0.0.1 within 0.5 s" err
'

test_expect_success 'a wrong password: 6' '
	SIPWS_USER_SIP_AUTH_PASSWORD=wrong test_expect_code 6 sip-msg bob hi >out &&
	test_grep "^sip:bob@127.0.0.1 407 " out
'

test_expect_success 'nobody listening: 69; wss:// not trusted: 77; trusted: works' '
	test_expect_code 69 sip-msg -s "ws://127.0.0.1:$CLOSED_PORT/" nobody hi >out &&
	normalize out >actual &&
	echo "sip:nobody@127.0.0.1 0 ws://127.0.0.1:$CLOSED_PORT/: connection refused N" >expect &&
	test_cmp expect actual &&
	test_expect_code 77 sip-msg -s "$KAM_WSS_URL" nobody hi >out &&
	normalize out >actual &&
	echo "sip:nobody@127.0.0.1 0 $KAM_WSS_URL: certificate not trusted: unable to get local issuer certificate N" >expect &&
	test_cmp expect actual &&
	test_expect_code 5 sip-msg -s "$KAM_WSS_URL" --ca-file "$KAM_CA" nobody hi
'

test_expect_success 'a body above 60000 bytes: 65, nothing sent' '
	head -c 60001 /dev/zero | tr "\\0" x >big &&
	test_expect_code 65 sip-msg bob <big >out 2>err &&
	test_cmp /dev/null out &&
	test_grep "longer than 60000 bytes" err
'

test_expect_success 'usage errors: 64' '
	test_expect_code 64 sip-msg 2>err &&
	test_expect_code 64 sip-msg --stream bob text 2>err &&
	test_expect_code 64 sip-msg --stream -t bob -t carol 2>err &&
	test_expect_code 64 sip-msg -H "Via: SIP/2.0/WS x" bob hi 2>err &&
	test_expect_code 64 sip-msg -H "no colon" bob hi 2>err &&
	test_expect_code 64 sip-msg --window 0 --stream bob 2>err &&
	test_expect_code 64 sip-msg --wait-reply 0 bob hi 2>err &&
	test_expect_code 64 sip-msg "two words" hi 2>err
'

test_done
