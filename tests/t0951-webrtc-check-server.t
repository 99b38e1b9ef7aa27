#!/bin/sh
test_description='webrtc-check server suite: DNS, TCP, TLS, the WebSocket
upgrade and an OPTIONS round trip through the project Kamailio over ws://
and wss://; untrusted without the CA, unreachable on a closed port'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"

command -v webrtc-check >/dev/null 2>&1 || test_skip_all 'webrtc-check is not built'

kamailio_start
: >empty.conf
CLOSED_PORT=$(perl "$SIPWS_SOURCE/tests/kamailio/free-ports.pl" 1)

# Timings, ports and the test CA's serial vary: mask them.
mask() {
	sed -E -e 's/(ms|expires_days)=[0-9.]+/\1=N/g' \
	    -e 's/("(ms|expires_days)"):[0-9.]+/\1:N/g' \
	    -e "s/:$KAM_WS_PORT\\b/:WS/g" -e "s/:$KAM_WSS_PORT\\b/:WSS/g" \
	    -e "s/\\b$KAM_WS_PORT\\b/WS/g" -e "s/\\b$KAM_WSS_PORT\\b/WSS/g" \
	    -e "s/:$CLOSED_PORT\\b/:CLOSED/g" -e "s/port $CLOSED_PORT\\b/port CLOSED/g" \
	    -e 's/sipws test CA [0-9]+/sipws test CA/g' \
	    -e 's/expires in [0-9.]+ days/expires in N days/' "$1"
}

test_expect_success 'ws:// passes every step (TAP)' '
	webrtc-check -c empty.conf --suite server -s "$KAM_WS_URL" --tap >out &&
	mask out >masked &&
	cat >expect <<-EOF &&
	ok 1 - server: dns ws://127.0.0.1:WS/: 127.0.0.1 is 127.0.0.1
	# ms=N addresses=1
	ok 2 - server: tcp ws://127.0.0.1:WS/: connected to 127.0.0.1 port WS
	# ms=N
	ok 3 - server: websocket ws://127.0.0.1:WS/: upgraded, subprotocol sip
	# ms=N http_status=101
	ok 4 - server: options ws://127.0.0.1:WS/: answered 200 OK
	# ms=N sip_status=200
	1..4
	EOF
	test_cmp expect masked
'

test_expect_success 'wss:// with the CA passes, the short-lived test certificate warns (JSON)' '
	webrtc-check -c empty.conf --suite server -s "$KAM_WSS_URL" \
		--ca-file "$KAM_CA" --json >out &&
	mask out >masked &&
	cat >expect <<-EOF &&
	{"checks":[{"suite":"server","name":"dns wss://127.0.0.1:WSS/","state":"pass","reason":"127.0.0.1 is 127.0.0.1","figures":{"ms":N,"addresses":1},"units":{"ms":"ms","addresses":""}},{"suite":"server","name":"tcp wss://127.0.0.1:WSS/","state":"pass","reason":"connected to 127.0.0.1 port WSS","figures":{"ms":N},"units":{"ms":"ms"}},{"suite":"server","name":"tls wss://127.0.0.1:WSS/","state":"warn","reason":"TLSv1.3, subject /CN=127.0.0.1, expires in N days (under 14)","figures":{"ms":N,"expires_days":N},"units":{"ms":"ms","expires_days":"d"}},{"suite":"server","name":"websocket wss://127.0.0.1:WSS/","state":"pass","reason":"upgraded, subprotocol sip","figures":{"ms":N,"http_status":101},"units":{"ms":"ms","http_status":""}},{"suite":"server","name":"options wss://127.0.0.1:WSS/","state":"pass","reason":"answered 200 OK","figures":{"ms":N,"sip_status":200},"units":{"ms":"ms","sip_status":""}}],"tool":"webrtc-check","version":"$(sed -n "s/^#define SIPWS_VERSION \"\(.*\)\"/\1/p" "$SIPWS_SOURCE/lib/version.h")","state":"warn","summary":{"pass":4,"warn":1,"fail":0,"skip":0}}
	EOF
	test_cmp expect masked
'

test_expect_success 'wss:// without the CA fails as untrusted, later steps skipped (exit 1)' '
	test_expect_code 1 webrtc-check -c empty.conf --suite server \
		-s "$KAM_WSS_URL" --tap >out &&
	mask out >masked &&
	cat >expect <<-EOF &&
	ok 1 - server: dns wss://127.0.0.1:WSS/: 127.0.0.1 is 127.0.0.1
	# ms=N addresses=1
	ok 2 - server: tcp wss://127.0.0.1:WSS/: connected to 127.0.0.1 port WSS
	# ms=N
	not ok 3 - server: tls wss://127.0.0.1:WSS/: untrusted: certificate not trusted (unable to get local issuer certificate), subject /CN=127.0.0.1
	# ms=N
	ok 4 - server: websocket wss://127.0.0.1:WSS/ # SKIP an earlier step failed
	ok 5 - server: options wss://127.0.0.1:WSS/ # SKIP an earlier step failed
	1..5
	EOF
	test_cmp expect masked
'

test_expect_success 'the CA from the configuration (tls.ca_file) is used too' '
	printf "tls.ca_file = %s\n" "$KAM_CA" >ca.conf &&
	webrtc-check -c ca.conf --suite server -s "$KAM_WSS_URL" >out &&
	mask out >masked &&
	test_grep "^ warn  server   tls wss://127.0.0.1:WSS/: TLSv1.3, subject /CN=127.0.0.1, expires in N days (under 14) \[ms=N expires_days=N\]$" masked &&
	test_grep "^5 checks: 4 pass, 1 warn, 0 fail, 0 skip$" masked
'

test_expect_success 'a closed port fails as unreachable, for ws:// and wss:// (checklist)' '
	test_expect_code 1 webrtc-check -c empty.conf --suite server \
		-s "ws://127.0.0.1:$CLOSED_PORT/" -s "wss://localhost:$CLOSED_PORT/" >out &&
	mask out >masked &&
	cat >expect <<-EOF &&
	 pass  server   dns ws://127.0.0.1:CLOSED/: 127.0.0.1 is 127.0.0.1 [ms=N addresses=1]
	 fail  server   tcp ws://127.0.0.1:CLOSED/: unreachable: 127.0.0.1 port CLOSED: Connection refused [ms=N]
	 skip  server   websocket ws://127.0.0.1:CLOSED/: an earlier step failed
	 skip  server   options ws://127.0.0.1:CLOSED/: an earlier step failed
	 pass  server   dns wss://localhost:CLOSED/: localhost is 127.0.0.1 [ms=N addresses=1]
	 fail  server   tcp wss://localhost:CLOSED/: unreachable: 127.0.0.1 port CLOSED: Connection refused [ms=N]
	 skip  server   tls wss://localhost:CLOSED/: an earlier step failed
	 skip  server   websocket wss://localhost:CLOSED/: an earlier step failed
	 skip  server   options wss://localhost:CLOSED/: an earlier step failed
	9 checks: 2 pass, 0 warn, 2 fail, 5 skip
	EOF
	test_cmp expect masked
'

test_expect_success 'websocket.servers from the configuration; Nagios line with perfdata' '
	printf "websocket.servers = %s\n" "$KAM_WS_URL" >ws.conf &&
	webrtc-check -c ws.conf --suite server --nagios >out &&
	sed -E -e "s/=[0-9.]+ms/=Nms/g" -e "s/_$KAM_WS_PORT/_WS/g" out >masked &&
	cat >expect <<-EOF &&
	WEBRTC OK - 4 checks: 4 pass, 0 warn, 0 fail, 0 skip | '"'"'server_dns_ws___127_0_0_1_WS__ms'"'"'=Nms '"'"'server_tcp_ws___127_0_0_1_WS__ms'"'"'=Nms '"'"'server_websocket_ws___127_0_0_1_WS__ms'"'"'=Nms '"'"'server_options_ws___127_0_0_1_WS__ms'"'"'=Nms
	EOF
	test_cmp expect masked
'

test_expect_success 'Nagios: the short-lived certificate is a WARNING, exit 1 by the Nagios rules' '
	test_expect_code 1 webrtc-check -c empty.conf --suite server \
		-s "$KAM_WSS_URL" --ca-file "$KAM_CA" --nagios >out &&
	test_grep "^WEBRTC WARNING - 5 checks: 4 pass, 1 warn, 0 fail, 0 skip | " out &&
	test_expect_code 2 webrtc-check -c empty.conf --suite server \
		-s "$KAM_WSS_URL" --nagios >out &&
	test_grep "^WEBRTC CRITICAL - 5 checks: 2 pass, 0 warn, 1 fail, 2 skip; server tls wss://127.0.0.1:$KAM_WSS_PORT/: untrusted: certificate not trusted (unable to get local issuer certificate), subject /CN=127.0.0.1 | " out &&
	test_expect_code 3 webrtc-check -c no-such.conf --nagios >out &&
	echo "WEBRTC UNKNOWN - no-such.conf: No such file or directory" >expect &&
	test_cmp expect out
'

. "$SIPWS_SOURCE/tests/lib/ws-serve.sh"
PROBE="$SIPWS_BUILD/tests/helpers/ws-probe"

# upgrade_fails MODE REASON: the websocket step fails with REASON.
upgrade_fails() {
	serve "$1" &&
	test_expect_code 1 webrtc-check -c empty.conf --suite server \
		-s "$SRV_URL" --timeout 1 --tap >out &&
	wait $SRV_PID &&
	sed -E -e 's/ms=[0-9.]+/ms=N/g' -e "s/\b$SRV_PORT\b/PORT/g" out >masked &&
	cat >expect <<-EOF &&
	ok 1 - server: dns ws://127.0.0.1:PORT/: 127.0.0.1 is 127.0.0.1
	# ms=N addresses=1
	ok 2 - server: tcp ws://127.0.0.1:PORT/: connected to 127.0.0.1 port PORT
	# ms=N
	not ok 3 - server: websocket ws://127.0.0.1:PORT/: $2
	# ms=N$3
	ok 4 - server: options ws://127.0.0.1:PORT/ # SKIP an earlier step failed
	1..4
	EOF
	test_cmp expect masked
}

if [ -x "$PROBE" ]; then
	test_expect_success 'a server that never answers the upgrade: timeout after --timeout' '
		upgrade_fails silent "timeout: no answer within 1000 ms" ""
	'
	test_expect_success 'an upgrade refused with 404: the HTTP status in the reason and the figures' '
		upgrade_fails http404 "WebSocket upgrade refused: HTTP 404" " http_status=404"
	'
	test_expect_success 'an upgrade without the sip subprotocol fails with that reason' '
		upgrade_fails noproto "server did not accept the sip subprotocol" " http_status=101"
	'
else
	test_skip 'the upgrade failures' 'tests/helpers/ws-probe is not built'
fi

test_expect_success 'no server configured: the suite skips with its reason' '
	webrtc-check -c empty.conf --suite server --tap >out &&
	cat >expect <<-EOF &&
	ok 1 - server: websocket servers # SKIP no server configured (websocket.servers, -s)
	1..1
	EOF
	test_cmp expect out
'

test_done
