#!/bin/sh
test_description='the SIP-over-WebSocket transport (lib/ws.c) carries OPTIONS to Kamailio over ws and wss, verifies certificates, fails over, keeps alive and bounds messages'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"

PROBE="$SIPWS_BUILD/tests/helpers/ws-probe"
[ -x "$PROBE" ] || test_skip_all "$PROBE is not built (make test builds it)"
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"

kamailio_start
# Kamailio pinging every second, closing connections that do not answer.
kamailio_start --ws-keepalive=1 ka
kamailio_use default

set -- $(perl "$SIPWS_SOURCE/tests/kamailio/free-ports.pl" 2)
DEAD_PORT=$1
SNI_PORT=$2

# The probe prints one line per event; message sizes vary with Kamailio's
# headers, so they are masked before comparing.
mask() {
	sed -e 's/^message [0-9]* bytes/message N bytes/' "$1"
}

. "$SIPWS_SOURCE/tests/lib/ws-serve.sh"

# ok_run URL [OPTIONS]: the expected output of one OPTIONS round trip.
ok_run() {
	printf '%s\n' "connected $1" "message N bytes: SIP/2.0 200 OK" \
		"disconnected $1 OK retry=none/0 (closed)"
}

for backend in native glib; do
	opt=
	[ $backend = glib ] && opt=-g

	test_expect_success "OPTIONS over ws:// gets 200 ($backend loop)" '
		"$PROBE" $opt "$KAM_WS_URL" >out &&
		ok_run "$KAM_WS_URL" >expect &&
		mask out >actual &&
		test_cmp expect actual
	'

	test_expect_success "OPTIONS over wss:// with the test CA gets 200 ($backend loop)" '
		"$PROBE" $opt -C "$KAM_CA" "$KAM_WSS_URL" >out &&
		ok_run "$KAM_WSS_URL" >expect &&
		mask out >actual &&
		test_cmp expect actual
	'

	test_expect_success "an untrusted certificate fails verification: exit 77 ($backend loop)" '
		test_expect_code 77 "$PROBE" $opt "$KAM_WSS_URL" >out &&
		echo "disconnected $KAM_WSS_URL WS_ETLS_VERIFY retry=none/0 (certificate not trusted: unable to get local issuer certificate)" >expect &&
		test_cmp expect out
	'
done

test_expect_success 'a server name is checked against the certificate (localhost)' '
	url="wss://localhost:$KAM_WSS_PORT/" &&
	"$PROBE" -C "$KAM_CA" "$url" >out &&
	ok_run "$url" >expect &&
	mask out >actual &&
	test_cmp expect actual
'

# Another name of this host that the certificate does not cover.
other_name=$(hostname)
if [ "$other_name" != localhost ] &&
	getent ahostsv4 "$other_name" 2>/dev/null | grep -q '^127\.0\.0\.1 '; then
	test_expect_success 'a name the certificate does not cover fails: exit 77' '
		url="wss://$other_name:$KAM_WSS_PORT/" &&
		test_expect_code 77 "$PROBE" -C "$KAM_CA" "$url" >out &&
		echo "disconnected $url WS_ETLS_VERIFY retry=none/0 (certificate not valid for $other_name)" >expect &&
		test_cmp expect out
	'
else
	test_skip 'a name the certificate does not cover fails: exit 77' \
		"the host name does not resolve to 127.0.0.1"
fi

test_expect_success 'the system CAs are used through SSL_CERT_DIR' '
	mkdir certs &&
	cp "$KAM_CA" certs/ca.pem &&
	ln -s ca.pem "certs/$(openssl x509 -hash -noout -in "$KAM_CA").0" &&
	SSL_CERT_DIR=$PWD/certs "$PROBE" "$KAM_WSS_URL" >out &&
	ok_run "$KAM_WSS_URL" >expect &&
	mask out >actual &&
	test_cmp expect actual
'

test_expect_success 'the insecure flag accepts the untrusted certificate' '
	"$PROBE" -k "$KAM_WSS_URL" >out &&
	ok_run "$KAM_WSS_URL" >expect &&
	mask out >actual &&
	test_cmp expect actual
'

test_expect_success 'TLS to a plain WebSocket port times out: exit 75' '
	url="wss://127.0.0.1:$KAM_WS_PORT/" &&
	test_expect_code 75 "$PROBE" -t 1000 -C "$KAM_CA" "$url" >out &&
	echo "disconnected $url ETIMEDOUT retry=none/0 (no connection within 1000 ms)" >expect &&
	test_cmp expect out
'

test_expect_success 'nobody listening: ECONNREFUSED at once, exit 69' '
	url="ws://127.0.0.1:$DEAD_PORT/" &&
	start=$(date +%s) &&
	test_expect_code 69 "$PROBE" "$url" >out &&
	end=$(date +%s) &&
	test $((end - start)) -le 2 &&
	echo "disconnected $url ECONNREFUSED retry=none/0 (connection refused)" >expect &&
	test_cmp expect out
'

test_expect_success 'an IPv6 literal is dialled in brackets' '
	url="ws://[::1]:$DEAD_PORT/" &&
	test_expect_code 69 "$PROBE" "$url" >out &&
	echo "disconnected $url ECONNREFUSED retry=none/0 (connection refused)" >expect &&
	test_cmp expect out
'

test_expect_success 'an unknown host name: EHOSTUNREACH, exit 69' '
	test_expect_code 69 "$PROBE" ws://sipws-test.invalid/ >out &&
	test_grep "^disconnected ws://sipws-test.invalid/ EHOSTUNREACH retry=none/0" out
'

test_expect_success 'two servers, the heavier one down: the other one is used' '
	dead="ws://127.0.0.1:$DEAD_PORT/" &&
	"$PROBE" "$dead#5" "$KAM_WS_URL#1" >out &&
	{
		echo "disconnected $dead ECONNREFUSED retry=0 (connection refused)" &&
		ok_run "$KAM_WS_URL"
	} >expect &&
	mask out >actual &&
	test_cmp expect actual
'

test_expect_success 'path, query, Host, Origin and the sip subprotocol are sent' '
	serve fragments &&
	url="${SRV_URL}sip/ws?token=a%20b&x=1" &&
	"$PROBE" -O https://example.org "$url" >out &&
	wait $SRV_PID &&
	port=${SRV_URL#ws://127.0.0.1:} && port=${port%/} &&
	cat >expect <<-EOF &&
	port $port
	request: GET /sip/ws?token=a%20b&x=1 HTTP/1.1
	Host: 127.0.0.1:$port
	Origin: https://example.org
	Sec-WebSocket-Protocol: sip
	EOF
	head -n 5 srv.out >actual &&
	test_cmp expect actual
'

test_expect_success 'a message in three fragments is reassembled' '
	serve fragments &&
	"$PROBE" "$SRV_URL" >out &&
	wait $SRV_PID &&
	printf "%s\n" "connected $SRV_URL" "message 193 bytes: SIP/2.0 200 OK" \
		"disconnected $SRV_URL OK retry=none/0 (closed)" >expect &&
	test_cmp expect out
'

test_expect_success 'a message over the bound closes with 1009: EMSGSIZE' '
	serve big &&
	test_expect_code 76 "$PROBE" "$SRV_URL" >out &&
	wait $SRV_PID &&
	test_grep "^disconnected $SRV_URL EMSGSIZE retry=none/0 (message from the server over 65536 bytes)" out &&
	test_grep "^close 1009$" srv.out
'

test_expect_success 'the server'\''s CRLFCRLF keepalive is answered with CRLF' '
	serve ping &&
	"$PROBE" -n -w 500 "$SRV_URL" >out &&
	wait $SRV_PID &&
	test_grep "^frame 2 bytes: \\\\r\\\\n$" srv.out &&
	test_grep "^close 1000$" srv.out
'

test_expect_success 'our CRLFCRLF keepalives, answered, keep the connection' '
	serve pong &&
	"$PROBE" -n -K 200 -T 300 -w 1000 "$SRV_URL" >out &&
	wait $SRV_PID &&
	test "$(grep -c "^frame 4 bytes: \\\\r\\\\n\\\\r\\\\n$" srv.out)" -ge 3 &&
	printf "%s\n" "connected $SRV_URL" \
		"disconnected $SRV_URL OK retry=none/0 (closed)" >expect &&
	test_cmp expect out
'

test_expect_success 'an unanswered keepalive drops the connection: ETIMEDOUT' '
	serve nopong &&
	test_expect_code 75 "$PROBE" -n -K 200 -T 300 -w 5000 "$SRV_URL" >out &&
	wait $SRV_PID &&
	printf "%s\n" "connected $SRV_URL" \
		"disconnected $SRV_URL ETIMEDOUT retry=none/0 (no answer to the CRLF keepalive)" >expect &&
	test_cmp expect out
'

test_expect_success 'our WebSocket Pings, answered, keep the connection' '
	serve pong &&
	"$PROBE" -n -p 1 -w 2600 "$SRV_URL" >out &&
	wait $SRV_PID &&
	test "$(grep -c "^ws ping$" srv.out)" -ge 2 &&
	printf "%s\n" "connected $SRV_URL" \
		"disconnected $SRV_URL OK retry=none/0 (closed)" >expect &&
	test_cmp expect out
'

test_expect_success 'unanswered WebSocket Pings drop the connection: ETIMEDOUT' '
	serve nopong &&
	test_expect_code 75 "$PROBE" -n -p 1 -w 5000 "$SRV_URL" >out &&
	wait $SRV_PID &&
	printf "%s\n" "connected $SRV_URL" \
		"disconnected $SRV_URL ETIMEDOUT retry=none/0 (no answer to WebSocket pings)" >expect &&
	test_cmp expect out
'

test_expect_success 'Kamailio'\''s WebSocket pings are answered (the connection stays)' '
	"$PROBE" -n -w 3500 "$KAM_WS_URL_ka" >out &&
	printf "%s\n" "connected $KAM_WS_URL_ka" \
		"disconnected $KAM_WS_URL_ka OK retry=none/0 (closed)" >expect &&
	test_cmp expect out
'

test_expect_success 'a server that answers nothing: ETIMEDOUT after the connect timeout' '
	serve silent &&
	test_expect_code 75 "$PROBE" -t 500 "$SRV_URL" >out &&
	wait $SRV_PID &&
	echo "disconnected $SRV_URL ETIMEDOUT retry=none/0 (no connection within 500 ms)" >expect &&
	test_cmp expect out
'

test_expect_success 'an upgrade without the sip subprotocol: EPROTO' '
	serve noproto &&
	test_expect_code 69 "$PROBE" "$SRV_URL" >out &&
	wait $SRV_PID &&
	echo "disconnected $SRV_URL EPROTO retry=none/0 (server did not accept the sip subprotocol)" >expect &&
	test_cmp expect out
'

test_expect_success 'an upgrade with another subprotocol: EPROTO' '
	serve badproto &&
	test_expect_code 69 "$PROBE" "$SRV_URL" >out &&
	wait $SRV_PID &&
	test_grep "^disconnected $SRV_URL EPROTO retry=none/0" out
'

test_expect_success 'an upgrade answered 404: EPROTO with the status' '
	serve http404 &&
	test_expect_code 69 "$PROBE" "$SRV_URL" >out &&
	wait $SRV_PID &&
	echo "disconnected $SRV_URL EPROTO retry=none/0 (WebSocket upgrade refused: HTTP 404)" >expect &&
	test_cmp expect out
'

# wait_lines N FILE: wait (10 s at most) until FILE has N "message" lines.
wait_lines() {
	i=0
	while [ "$(grep -c '^message' "$2" 2>/dev/null)" -lt "$1" ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || return 1
		sleep 0.05
	done
}

test_expect_success 'after a Kamailio restart the connection recovers (glib loop), SIGTERM stops' '
	{ "$PROBE" -g -r -b 1:1 -w 60000 "$KAM_WS_URL" >out 2>err & } &&
	pid=$! &&
	wait_lines 1 out &&
	kamailio_restart &&
	wait_lines 2 out &&
	kill -TERM $pid &&
	test_expect_code 143 wait $pid &&
	{
		ok_run "$KAM_WS_URL" | sed 1,2!d &&
		echo "disconnected $KAM_WS_URL ECONNRESET retry=1000 (connection lost)"
	} >expect &&
	mask out | sed 1,3!d >actual &&
	test_cmp expect actual &&
	test_grep "^signal 15$" out &&
	test "$(grep -c "^connected" out)" -eq 2
'

test_expect_success 'SNI carries a host name, never an IP literal' '
	{ sleep 8 | openssl s_server -4 -accept "$SNI_PORT" -naccept 2 \
		-cert "$KAM_TLS_CERT" -key "$KAM_TLS_KEY" -tlsextdebug \
		>sni.out 2>&1 & } &&
	i=0 &&
	while ! grep -q ACCEPT sni.out; do
		i=$((i + 1)); [ $i -lt 100 ] || exit 1; sleep 0.05
	done &&
	# s_server answers no upgrade: each probe times out after TLS
	test_expect_code 75 "$PROBE" -t 1000 -C "$KAM_CA" \
		"wss://127.0.0.1:$SNI_PORT/" >out1 &&
	test_expect_code 75 "$PROBE" -t 1000 -C "$KAM_CA" \
		"wss://localhost:$SNI_PORT/" >out2 &&
	test "$(grep -c "^GET / HTTP/1.1" sni.out)" -eq 2 &&
	test "$(grep -c "server name" sni.out)" -eq 1 &&
	test_grep "localhost" sni.out
'

test_done
