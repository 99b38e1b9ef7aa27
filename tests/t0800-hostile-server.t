#!/bin/sh
test_description='a hostile WebSocket server (issue 6): messages over 64 KiB, an endless fragmented message, a 2^63-1 length, masked frames and text that is not UTF-8 end the connection with our Close (1009, 1002, 1007) and exit 76; control bytes do not; sip-events reconnects and registers again; under SANITIZE=1 any out-of-bounds access aborts the tool and fails its exit code'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"

HOSTILE="$SIPWS_SOURCE/tests/helpers/hostile-ws.pl"
PROBE="$SIPWS_BUILD/tests/helpers/ws-probe"
command -v sip-msg >/dev/null 2>&1 || test_skip_all 'the tools are not built'
[ -x "$PROBE" ] || test_skip_all "$PROBE is not built (make test builds it)"
perl -MDigest::SHA -MIO::Select -e 1 2>/dev/null ||
	test_skip_all 'Perl lacks Digest::SHA or IO::Select'

: >empty.conf
BIG='message from the server over 65536 bytes'
MASKED='WebSocket protocol error: masked frame from the server'
UTF8='WebSocket protocol error: text message not valid UTF-8'

# wait_count N ERE FILE: wait (10 s) until FILE has N lines matching ERE.
wait_count() {
	i=0
	while n=$(grep -Ec "$2" "$3" 2>/dev/null); [ "${n:-0}" -lt "$1" ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || { cat "$3" >&2; return 1; }
		sleep 0.05
	done
}

# hostile [-R] [-c N] ATTACK: start the scripted server in the background;
# sets SRV_URL and SRV_PID; what it sees goes to srv.out.
hostile() {
	rm -f srv.out &&
	{ perl "$HOSTILE" "$@" >srv.out 2>srv.err & } &&
	SRV_PID=$! &&
	wait_count 1 '^port ' srv.out &&
	SRV_URL="ws://127.0.0.1:$(sed -n 's/^port //p' srv.out)/"
}

# server_saw METHOD CODE: srv.out after the port line, for one connection
# that carried one request and ended with our Close CODE.
server_saw() {
	printf '%s\n' "upgrade 1" "request $1" "close $2"
}

# The attacks on one-off tools: name, our close code, the reason.
cat >attacks <<EOF
big65537 1009 $BIG
big70000 1009 $BIG
big10m 1009 $BIG
endless 1009 $BIG
len63 1009 $BIG
headers100k 1009 $BIG
masked 1002 $MASKED
badutf8 1007 $UTF8
EOF

while read -r attack code reason; do
	test_expect_success "sip-msg: $attack gets our Close $code, exit 76" '
		hostile $attack &&
		start=$(date +%s) &&
		test_expect_code 76 sip-msg -c empty.conf -s "$SRV_URL" \
			-u sip:alice@127.0.0.1 bob hello >out 2>err &&
		end=$(date +%s) &&
		wait $SRV_PID &&
		test $((end - start)) -le 3 &&
		echo "sip:bob@127.0.0.1 0 $SRV_URL: $reason" >expect &&
		sed -E "s/ [0-9]+\.[0-9]+\$//" out >actual &&
		test_cmp expect actual &&
		test_cmp empty.conf err &&
		server_saw MESSAGE $code >expect &&
		sed 1d srv.out >actual &&
		test_cmp expect actual
	'

	test_expect_success "sip-register: $attack gets our Close $code, exit 76" '
		hostile $attack &&
		test_expect_code 76 sip-register -c empty.conf -s "$SRV_URL" \
			-u sip:alice@127.0.0.1 >out 2>err &&
		wait $SRV_PID &&
		echo "sip-register: sip:alice@127.0.0.1: $SRV_URL: $reason" >expect &&
		test_cmp expect err &&
		server_saw REGISTER $code >expect &&
		sed 1d srv.out >actual &&
		test_cmp expect actual
	'

	for backend in native glib; do
		opt=
		[ $backend = glib ] && opt=-g
		test_expect_success "ws-probe ($backend loop): $attack gets our Close $code, exit 76" '
			hostile $attack &&
			test_expect_code 76 "$PROBE" $opt "$SRV_URL" >out &&
			wait $SRV_PID &&
			case $code in
			1009) err=EMSGSIZE ;;
			1002) err=EBADMSG ;;
			1007) err=EILSEQ ;;
			esac &&
			printf "%s\n" "connected $SRV_URL" \
				"disconnected $SRV_URL $err retry=none/0 ($reason)" >expect &&
			test_cmp expect out &&
			server_saw OPTIONS $code >expect &&
			sed 1d srv.out >actual &&
			test_cmp expect actual
		'
	done
done <attacks

test_expect_success 'a server deaf to our Close is hung up on after 500 ms' '
	hostile -D big70000 &&
	test_expect_code 76 "$PROBE" -P "$SRV_URL" >out 2>err &&
	wait $SRV_PID &&
	printf "%s\n" "connected $SRV_URL" \
		"disconnected $SRV_URL EMSGSIZE retry=none/0 ($BIG)" >expect &&
	test_cmp expect out &&
	server_saw OPTIONS 1009 >expect &&
	echo eof >>expect &&
	sed 1d srv.out >actual &&
	test_cmp expect actual &&
	connected=$(sed -n "s/^ws-probe: connected *//p" err) &&
	closed=$(sed -n "s/^ws-probe: closed *//p" err) &&
	awk -v m="${connected% ms}" -v c="${closed% ms}" \
		"BEGIN { d = c - m; exit !(d >= 450 && d < 1500) }"
'

test_expect_success 'sip-msg: control bytes in a text frame are no protocol error' '
	hostile control &&
	sip-msg -c empty.conf -s "$SRV_URL" -u sip:alice@127.0.0.1 bob hello \
		>out 2>err &&
	wait $SRV_PID &&
	echo "sip:bob@127.0.0.1 200 OK" >expect &&
	sed -E "s/ [0-9]+\.[0-9]+\$//" out >actual &&
	test_cmp expect actual &&
	test_grep -v "^close" srv.out
'

test_expect_success 'sip-register: control bytes in a text frame are no protocol error' '
	hostile control &&
	sip-register -c empty.conf -s "$SRV_URL" -u sip:alice@127.0.0.1 \
		>out 2>err &&
	wait $SRV_PID &&
	test_grep -v "^close" srv.out
'

test_expect_success 'ws-probe (glib loop, reconnecting): after a 1009 the next connection works' '
	hostile -c 2 big70000 &&
	"$PROBE" -g -r -b 1:1 "$SRV_URL" >out &&
	wait $SRV_PID &&
	printf "%s\n" "connected $SRV_URL" \
		"disconnected $SRV_URL EMSGSIZE retry=1000 ($BIG)" \
		"connected $SRV_URL" \
		"message N bytes: SIP/2.0 200 OK" \
		"disconnected $SRV_URL OK retry=none/0 (closed)" >expect &&
	sed -e "s/^message [0-9]* bytes/message N bytes/" out >actual &&
	test_cmp expect actual &&
	printf "%s\n" "upgrade 1" "request OPTIONS" "close 1009" \
		"upgrade 2" "request OPTIONS" "close 1000" >expect &&
	sed 1d srv.out >actual &&
	test_cmp expect actual
'

# sip-events, registered first: the server answers REGISTER 200, then
# attacks (those above, and a MESSAGE to it with a 70,000-byte body);
# sip-events must reconnect and register again, then unregister on SIGTERM
# and exit 0.
{ cat attacks && echo "message70000 1009 $BIG"; } >events-attacks

while read -r attack code reason; do
	test_expect_success "sip-events, registered: $attack gets our Close $code, then it registers again" '
		hostile -R -c 2 $attack &&
		rm -f out &&
		{ sip-events -c empty.conf -s "$SRV_URL" -u sip:bob@127.0.0.1 \
			-o websocket.connection_recovery_min_interval=1 \
			-o websocket.connection_recovery_max_interval=1 \
			--timeout 30 >out 2>err & } &&
		pid=$! &&
		wait_count 2 "\"topic\":\"registration/ok\"" out &&
		kill -TERM $pid &&
		wait $pid &&
		wait $SRV_PID &&
		printf "%s\n" "upgrade 1" "request REGISTER" "close $code" \
			"upgrade 2" "request REGISTER" "request REGISTER" \
			"close 1000" >expect &&
		sed 1d srv.out >actual &&
		test_cmp expect actual &&
		sed -e "s/^{\"ts\":\"[^\"]*\",//" out >events &&
		cat >expect <<-EOF &&
		"topic":"transport/connected","server":"$SRV_URL"}
		"topic":"ua/idle"}
		"topic":"registration/ok","aor":"sip:bob@127.0.0.1","expires":600,"bindings":1}
		"topic":"transport/disconnected","server":"$SRV_URL","reason":"$reason","retry_ms":1000}
		"topic":"ua/notready"}
		"topic":"registration/unregistered","aor":"sip:bob@127.0.0.1","reason":"transport lost"}
		"topic":"transport/connected","server":"$SRV_URL"}
		"topic":"ua/idle"}
		"topic":"registration/ok","aor":"sip:bob@127.0.0.1","expires":600,"bindings":1}
		"topic":"registration/unregistered","aor":"sip:bob@127.0.0.1","reason":"unregistered"}
		EOF
		test_cmp expect events
	'
done <events-attacks

test_done
