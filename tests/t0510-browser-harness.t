#!/bin/sh
test_description='the browser peer: JsSIP in headless Chromium registers through
Kamailio over ws:// and wss:// and reports MESSAGEs byte-exact'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"
. "$SIPWS_SOURCE/tests/lib/browser.sh"

kamailio_start

# ms_since FILE: milliseconds from the time stamp in FILE to now.
ms_since() {
	echo $((($(date +%s%N) - $(cat "$1")) / 1000000))
}

test_expect_success 'one browser starts with two user agents' '
	date +%s%N >start.t &&
	browser_start alice bob &&
	ms_since start.t >start.ms &&
	test_grep "^{\"event\":\"ready\",.*\"uas\":\[\"alice\",\"bob\"\]" "$(browser_events)"
'

test_expect_success 'alice registers over ws://' '
	date +%s%N >register.t &&
	browser_register alice sip:alice@127.0.0.1 "$KAM_ALICE_PASSWORD" "$KAM_WS_URL" &&
	ms_since register.t >register-ws.ms &&
	kamailio_contacts alice >contacts &&
	test_grep "transport=ws" contacts
'

test_expect_success 'bob registers over wss:// to a server of a per-run CA' '
	date +%s%N >register.t &&
	browser_register bob sip:bob@127.0.0.1 "$KAM_BOB_PASSWORD" "$KAM_WSS_URL" &&
	ms_since register.t >register-wss.ms &&
	kamailio_contacts bob >contacts &&
	test -s contacts
'

test_expect_success 'a third user agent opens in the running browser; a wrong password fails' '
	browser_start carol &&
	! browser_register carol sip:carol@127.0.0.1 not-the-password "$KAM_WS_URL" 2>err &&
	test_grep "\"event\":\"registration_failed\"" err &&
	browser_stop carol &&
	kamailio_contacts carol >contacts &&
	! test -s contacts
'

test_expect_success 'a bad command line and an unknown command are error events' '
	browser_cmd alice "{\"cmd\":\"no-such-command\",\"id\":7}" &&
	browser_wait_event alice "\"event\":\"error\"" >err &&
	test_grep "\"id\":7,\"cmd\":\"no-such-command\"" err &&
	browser_cmd alice "{\"cmd\":\"message\",\"to\":1}" &&
	browser_wait_event alice "\"event\":\"error\"" >err &&
	test_grep "\"cmd\":\"message\"" err &&
	browser_send "not json" &&
	browser_wait_line "{\"event\":\"error\"" "bad command line" 10
'

test_expect_success 'alice sends bob a multi-line UTF-8 message; bob reports it byte-exact' '
	printf "Grüße aus Köln ✓ 🎉\nzweite Zeile\r\n\n\t\"quoted\" \\\\ back\\\\slash  \n\n" >body &&
	browser_cmd alice "{\"cmd\":\"message\",\"id\":\"m1\",\"to\":\"sip:bob@127.0.0.1\",\"body_file\":\"$PWD/body\"}" &&
	browser_wait_event alice "\"event\":\"message_(sent|failed)\",\"id\":\"m1\"" >sent &&
	test "$(browser_field status <sent)" = 200 &&
	browser_wait_event bob "\"event\":\"message\"" >got &&
	browser_field body <got >actual &&
	test_cmp body actual &&
	test "$(browser_field from <got)" = sip:alice@127.0.0.1 &&
	test "$(browser_field to <got)" = sip:bob@127.0.0.1 &&
	test "$(browser_field content_type <got)" = text/plain &&
	browser_field raw <got | tr -d "\r" >raw &&
	test_grep "^Content-Length: $(wc -c <body | tr -d " ")\$" raw
'

test_expect_success 'bob answers with an inline body and a content type of his choice' '
	text=$(printf "a\\tb \"c\" \\\\d\\001") &&
	body=$(browser_json_string "$text") &&
	browser_cmd bob "{\"cmd\":\"message\",\"id\":2,\"to\":\"sip:alice@127.0.0.1\",\"body\":$body,\"content_type\":\"text/x-test;charset=UTF-8\"}" &&
	browser_wait_event bob "\"event\":\"message_sent\",\"id\":2" &&
	browser_wait_event alice "\"event\":\"message\"" >got &&
	printf "%s" "$text" >expect &&
	browser_field body <got >actual &&
	test_cmp expect actual &&
	test "$(browser_field content_type <got)" = "text/x-test;charset=UTF-8" &&
	test "$(browser_field from <got)" = sip:bob@127.0.0.1
'

test_expect_success 'an empty MESSAGE arrives with an empty body' '
	browser_cmd bob "{\"cmd\":\"message\",\"id\":3,\"to\":\"sip:alice@127.0.0.1\",\"body\":\"\"}" &&
	browser_wait_event bob "\"event\":\"message_sent\",\"id\":3" &&
	browser_wait_event alice "\"event\":\"message\"" >got &&
	browser_field body <got >actual &&
	! test -s actual
'

test_expect_success 'a MESSAGE to a user who is not registered fails with a 4xx' '
	browser_cmd alice "{\"cmd\":\"message\",\"id\":4,\"to\":\"sip:carol@127.0.0.1\",\"body\":\"hello?\"}" &&
	browser_wait_event alice "\"event\":\"message_(sent|failed)\",\"id\":4" >failed &&
	test_grep "\"event\":\"message_failed\"" failed &&
	test "$(browser_field status <failed)" = 480 &&
	browser_cmd alice "{\"cmd\":\"message\",\"id\":5,\"to\":\"sip:nobody@127.0.0.1\",\"body\":\"hello?\"}" &&
	browser_wait_event alice "\"event\":\"message_(sent|failed)\",\"id\":5" >failed &&
	test "$(browser_field status <failed)" = 404
'

test_expect_success 'a user agent can refuse MESSAGEs with a status of its choice' '
	browser_cmd bob "{\"cmd\":\"message_reply\",\"status\":486,\"reason\":\"Busy Here\"}" &&
	browser_wait_event bob "\"event\":\"ok\"" &&
	browser_cmd alice "{\"cmd\":\"message\",\"id\":6,\"to\":\"sip:bob@127.0.0.1\",\"body\":\"busy?\"}" &&
	browser_wait_event alice "\"event\":\"message_(sent|failed)\",\"id\":6" >failed &&
	test "$(browser_field status <failed)" = 486 &&
	browser_wait_event bob "\"event\":\"message\"" >got &&
	test "$(browser_field body <got)" = "busy?"
'

test_expect_success 'stopping unregisters and leaves no browser process' '
	browser_leftovers >running &&
	test -s running &&
	browser_stop alice bob &&
	test_grep "{\"ua\":\"alice\",\"event\":\"unregistered\"" "$(browser_events)" &&
	test_grep "{\"ua\":\"bob\",\"event\":\"unregistered\"" "$(browser_events)" &&
	test_grep "^{\"event\":\"quit\",\"reason\":\"quit\"}" "$(browser_events)" &&
	browser_leftovers >left &&
	test_cmp /dev/null left &&
	kamailio_contacts alice >contacts &&
	! test -s contacts
'

# Timings for the record (TAP comments): wall clock seen from the shell,
# and the peer's own counts (process start to ready; register command to
# 200 OK, WebSocket connection and digest challenge included).
if [ -f start.ms ] && [ -f register-ws.ms ] && [ -f register-wss.ms ]; then
	peer_ms() {
		sed -n "s/^{\"ua\":\"$1\",\"event\":\"registered\",.*\"ms\":\([0-9]*\).*/\1/p" \
			browser/events | head -n 1
	}
	echo "# browser start with 2 user agents: $(cat start.ms) ms" \
		"(peer: $(sed -n 's/.*"startup_ms":\([0-9]*\).*/\1/p' browser/events) ms);" \
		"register over ws: $(cat register-ws.ms) ms (peer: $(peer_ms alice) ms)," \
		"over wss: $(cat register-wss.ms) ms (peer: $(peer_ms bob) ms)"
fi

test_done
