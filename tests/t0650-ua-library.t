#!/bin/sh
test_description='an outside program on the ua door (tests/helpers/ua-message.c):
registers through Kamailio, sends a MESSAGE, unregisters and closes'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"

UA_MESSAGE="$SIPWS_BUILD/tests/helpers/ua-message"
test -x "$UA_MESSAGE" || test_skip_all 'tests/helpers/ua-message is not built'

kamailio_start

test_expect_success 'registers, the MESSAGE reaches bob with a 200, exit 0' '
	kam_ws_peer_start 1 &&
	"$UA_MESSAGE" "$KAM_WS_URL" sip:alice@127.0.0.1 "$KAM_ALICE_PASSWORD" \
		sip:bob@127.0.0.1 "hello from a library" >out 2>err &&
	kam_ws_peer_wait &&
	cat >expect <<-\EOF &&
	registered 600
	message 200
	done
	EOF
	test_cmp expect out &&
	test_cmp /dev/null err &&
	cat >expect <<-\EOF &&
	registered 200
	MESSAGE sip:alice@127.0.0.1 hello from a library
	EOF
	test_cmp expect peer.out
'

test_expect_success 'the binding is removed before the program ends' '
	kamailio_contacts alice >contacts &&
	test_cmp /dev/null contacts
'

test_expect_success 'a recipient not registered: 480, exit 1, still unregistered' '
	test_expect_code 1 "$UA_MESSAGE" "$KAM_WS_URL" sip:alice@127.0.0.1 \
		"$KAM_ALICE_PASSWORD" sip:carol@127.0.0.1 hi >out 2>err &&
	printf "registered 600\nmessage 480\ndone\n" >expect &&
	test_cmp expect out &&
	kamailio_contacts alice >contacts &&
	test_cmp /dev/null contacts
'

test_expect_success 'a wrong password: registration fails with 401 or 403, exit 1' '
	test_expect_code 1 "$UA_MESSAGE" "$KAM_WS_URL" sip:alice@127.0.0.1 \
		wrong sip:bob@127.0.0.1 hi >out 2>err &&
	grep -E "^registration failed (401|403)\$" out &&
	test "$(tail -n 1 out)" = done
'

test_expect_success 'not a WebSocket URL: the configuration says why, exit 2' '
	test_expect_code 2 "$UA_MESSAGE" http://x sip:alice@127.0.0.1 pw \
		sip:bob@127.0.0.1 hi >out 2>err &&
	echo "ua-message: account:1: websocket.servers: '"'"'http://x'"'"': not a WebSocket URL: not a ws:// or wss:// URL" >expect &&
	test_cmp expect err &&
	test_cmp /dev/null out
'

test_expect_success 'nothing listening: the registration fails without a status, exit 1' '
	port=$(perl "$SIPWS_SOURCE/tests/kamailio/free-ports.pl" 1) &&
	test_expect_code 1 "$UA_MESSAGE" "ws://127.0.0.1:$port" \
		sip:alice@127.0.0.1 pw sip:bob@127.0.0.1 hi >out 2>err &&
	printf "registration failed 0\ndone\n" >expect &&
	test_cmp expect out &&
	test_cmp /dev/null err
'

test_done
