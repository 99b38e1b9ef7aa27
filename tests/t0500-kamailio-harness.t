#!/bin/sh
test_description='the private Kamailio of the integration tests serves SIP over UDP, WS and WSS with digest authentication'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"
kam_require_sipsak

HANDSHAKE="perl $SIPWS_SOURCE/tests/kamailio/ws-handshake.pl"
DIGEST_REGISTER="perl $SIPWS_SOURCE/tests/kamailio/digest-register.pl"

kamailio_start
# A second instance at the same time, challenging with SHA-256.
kamailio_start --algorithm=SHA-256 sha
kamailio_use default

# The handshake answer for the key of RFC 6455 section 1.3.
cat >expect.101 <<'EOF'
HTTP/1.1 101 Switching Protocols
Sec-WebSocket-Protocol: sip
Upgrade: websocket
Connection: upgrade
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
EOF

# check_101 FILE: FILE holds exactly the expected 101 answer, plus headers
# a client must ignore (Kamailio adds a garbled Via and its Server).
check_101() {
	grep -v -e '^Sia: ' -e '^Server: ' -e '^Content-Length: 0$' "$1" >"$1.known" &&
	test_cmp expect.101 "$1.known"
}

# wait_for PATTERN FILE: wait (5 s at most) until FILE has a line matching
# PATTERN.
wait_for() {
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 \
		21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 \
		41 42 43 44 45 46 47 48 49 50; do
		grep -q -e "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	test_grep -e "$1" "$2"
}

# port_open PORT: a TCP connection to 127.0.0.1:PORT succeeds.
port_open() {
	perl -MIO::Socket::INET -e 'IO::Socket::INET->new(PeerAddr => "127.0.0.1",
		PeerPort => $ARGV[0], Proto => "tcp") or exit 1' "$1"
}

test_expect_success 'two instances run on distinct free loopback ports' '
	test "$KAM_NAME" = default &&
	test "$KAM_DOMAIN" = 127.0.0.1 &&
	test "$KAM_UDP_PORT" = "$KAM_TCP_PORT" &&
	test "$KAM_WS_URL" = "ws://127.0.0.1:$KAM_WS_PORT/" &&
	test "$KAM_WSS_URL" = "wss://127.0.0.1:$KAM_WSS_PORT/" &&
	test "$KAM_SIP_URI" = "sip:127.0.0.1:$KAM_UDP_PORT" &&
	test "$KAM_ALGORITHM" = MD5 &&
	test "$KAM_ALGORITHM_sha" = SHA-256 &&
	test "$KAM_PID" = "$(kamailio_pid)" &&
	test "$KAM_PID_sha" = "$(kamailio_pid sha)" &&
	kamailio_running && kamailio_running sha &&
	printf "%s\n" "$KAM_UDP_PORT" "$KAM_WS_PORT" "$KAM_WSS_PORT" \
		"$KAM_UDP_PORT_sha" "$KAM_WS_PORT_sha" "$KAM_WSS_PORT_sha" |
		sort -u >ports &&
	test "$(wc -l <ports)" -eq 6 &&
	test -s "$KAM_CA" && test -s "$KAM_LOG" && test -s "$KAM_DB"
'

test_expect_success 'the WS port upgrades to WebSocket with subprotocol sip' '
	$HANDSHAKE "$KAM_WS_URL" >head &&
	check_101 head
'

test_expect_success 'any path on the WS port is accepted' '
	$HANDSHAKE "ws://127.0.0.1:$KAM_WS_PORT/ws" >head &&
	check_101 head
'

test_expect_success 'an upgrade without the sip subprotocol is refused' '
	$HANDSHAKE -p "" "$KAM_WS_URL" >head &&
	sed -n 1p head >status &&
	echo "HTTP/1.1 400 Bad Request" >expect &&
	test_cmp expect status
'

test_expect_success 'the WSS certificate verifies with KAM_CA for 127.0.0.1 and localhost' '
	$HANDSHAKE -C "$KAM_CA" "$KAM_WSS_URL" >head &&
	check_101 head &&
	$HANDSHAKE -C "$KAM_CA" "wss://localhost:$KAM_WSS_PORT/" >head &&
	check_101 head &&
	$HANDSHAKE -C "$KAM_CA_sha" "$KAM_WSS_URL_sha" >head &&
	check_101 head
'

test_expect_success 'the WSS certificate does not verify with another CA' '
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout other.key -out other.crt -days 1 \
		-subj "/CN=127.0.0.1" >openssl.log 2>&1 &&
	test_expect_code 1 $HANDSHAKE -C other.crt "$KAM_WSS_URL" >head 2>err &&
	test_grep "no complete answer\|closed before" err
'

test_expect_success 'OPTIONS to the server over UDP gets 200' '
	kam_sipsak_options >code &&
	echo 200 >expect &&
	test_cmp expect code
'

test_expect_success 'REGISTER with the right password gets 200 and a contact' '
	kam_sipsak_register alice "$KAM_ALICE_PASSWORD" 60 >code &&
	echo 200 >expect &&
	test_cmp expect code &&
	kamailio_contacts alice >contacts &&
	test "$(wc -l <contacts)" -eq 1 &&
	test_grep "^sip:alice@127\.0\.0\.1:[0-9][0-9]*$" contacts
'

test_expect_success 'REGISTER with a wrong password or unknown user is challenged again' '
	kam_sipsak_register bob wrong-password >code &&
	kam_sipsak_register nobody whatever >>code &&
	printf "401\n401\n" >expect &&
	test_cmp expect code &&
	kamailio_contacts bob >contacts &&
	test_cmp /dev/null contacts
'

test_expect_success 'REGISTER authenticated as another user gets 403' '
	kam_request REGISTER sip:127.0.0.1 sip:carol@127.0.0.1 \
		sip:carol@127.0.0.1 "Contact: <sip:carol@127.0.0.1:\$port\$>" \
		>register.sip &&
	kam_sipsak_send register.sip sip:carol@127.0.0.1 \
		bob "$KAM_BOB_PASSWORD" >code &&
	echo 403 >expect &&
	test_cmp expect code
'

test_expect_success 'MESSAGE to an offline user gets 480, to an unknown user 404' '
	kam_sipsak_message alice "$KAM_ALICE_PASSWORD" carol hello >code &&
	kam_sipsak_message alice "$KAM_ALICE_PASSWORD" nobody hello >>code &&
	printf "480\n404\n" >expect &&
	test_cmp expect code
'

test_expect_success 'MESSAGE from a local user with a wrong password gets 407' '
	kam_sipsak_message alice wrong-password carol hello >code &&
	echo 407 >expect &&
	test_cmp expect code
'

test_expect_success 'MESSAGE from a UDP peer reaches a WebSocket user, until it leaves' '
	perl "$SIPWS_SOURCE/tests/kamailio/ws-sip-peer.pl" -n 1 -t 8 \
		bob "$KAM_BOB_PASSWORD" "$KAM_WS_URL" >peer.out 2>peer.err &
	peer=$! &&
	wait_for "^registered" peer.out &&
	kamailio_contacts bob >contacts &&
	test_grep "^sip:bob@wspeer[0-9]*\.invalid;transport=ws$" contacts &&
	kam_sipsak_message alice "$KAM_ALICE_PASSWORD" bob "hi bob" >code &&
	wait "$peer" &&
	kamailio_wait_contacts bob 0 &&
	kam_sipsak_message alice "$KAM_ALICE_PASSWORD" bob "hi again" >>code &&
	printf "200\n480\n" >expect &&
	test_cmp expect code &&
	printf "registered 200\nMESSAGE sip:alice@127.0.0.1 hi bob\n" >expect &&
	test_cmp expect peer.out
'

test_expect_success 'users added and removed while the server runs' '
	kamailio_add_user dave "it'"'"'s a secret" &&
	kam_sipsak_register dave "it'"'"'s a secret" >code &&
	kamailio_del_user dave &&
	kam_sipsak_register dave "it'"'"'s a secret" >>code &&
	printf "200\n401\n" >expect &&
	test_cmp expect code
'

test_expect_success 'digest with qop=auth: MD5 on one instance, SHA-256 on the other' '
	$DIGEST_REGISTER carol "$KAM_CAROL_PASSWORD" "$KAM_UDP_PORT" >out &&
	$DIGEST_REGISTER carol "$KAM_CAROL_PASSWORD" "$KAM_UDP_PORT_sha" >>out &&
	$DIGEST_REGISTER carol wrong "$KAM_UDP_PORT_sha" >>out &&
	cat >expect <<-\EOF &&
	401 MD5 auth
	200
	401 SHA-256 auth
	200
	401 SHA-256 auth
	401
	EOF
	test_cmp expect out
'

test_expect_success 'restart keeps the ports and users and forgets registrations' '
	old_pid=$(kamailio_pid) &&
	kamailio_restart &&
	new_pid=$(kamailio_pid) &&
	test "$new_pid" != "$old_pid" &&
	! perl "$SIPWS_SOURCE/tests/kamailio/process.pl" alive "$old_pid" &&
	kamailio_contacts alice >contacts &&
	test_cmp /dev/null contacts &&
	$HANDSHAKE "$KAM_WS_URL" >head &&
	check_101 head &&
	$HANDSHAKE -C "$KAM_CA" "$KAM_WSS_URL" >head &&
	check_101 head &&
	kam_sipsak_options >code &&
	kam_sipsak_register alice "$KAM_ALICE_PASSWORD" >>code &&
	printf "200\n200\n" >expect &&
	test_cmp expect code
'

test_expect_success 'kill leaves no process; restart after a kill serves again' '
	pid=$(kamailio_pid) &&
	kamailio_kill &&
	! kamailio_running &&
	! perl "$SIPWS_SOURCE/tests/kamailio/process.pl" group-alive "$pid" &&
	! port_open "$KAM_WS_PORT" &&
	kamailio_restart &&
	kamailio_running &&
	kam_sipsak_options >code &&
	echo 200 >expect &&
	test_cmp expect code
'

test_expect_success 'the other instance was not disturbed' '
	test "$(kamailio_pid sha)" = "$KAM_PID_sha" &&
	kamailio_running sha
'

test_expect_success 'stop leaves no process and frees the ports' '
	pid=$(kamailio_pid) &&
	kamailio_stop &&
	! kamailio_running &&
	! perl "$SIPWS_SOURCE/tests/kamailio/process.pl" group-alive "$pid" &&
	! port_open "$KAM_WS_PORT" &&
	! port_open "$KAM_WSS_PORT" &&
	kamailio_stop
'

test_expect_success 'the configuration logged no errors of its own' '
	test_grep -v "ERROR: <script>" "$KAM_LOG" &&
	test_grep -v "ERROR: <script>" "$KAM_LOG_sha"
'

test_done
