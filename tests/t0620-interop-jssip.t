#!/bin/sh
test_description='interoperability with JsSIP in headless Chromium through the
same Kamailio: messages from sip-msg reach a JsSIP user agent byte-exact'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"
. "$SIPWS_SOURCE/tests/lib/browser.sh"

command -v sip-msg >/dev/null 2>&1 || test_skip_all 'sip-msg is not built'

kamailio_start

kamailio_alice_config

# Latencies vary: "... 12.3" at the end of a result line becomes "N".
normalize() {
	sed -E 's/ [0-9]+\.[0-9]$/ N/' "$1"
}

test_expect_success 'JsSIP registers bob over ws://' '
	browser_start bob &&
	browser_register bob sip:bob@127.0.0.1 "$KAM_BOB_PASSWORD" "$KAM_WS_URL"
'

test_expect_success 'sip-msg: a multi-line UTF-8 message reaches JsSIP byte-exact' '
	printf "Grüße aus Köln ✓ 🎉\nzweite Zeile\r\n\n\t\"quoted\" \\\\ back\\\\slash  \n" >body &&
	sip-msg bob <body >out &&
	normalize out >actual &&
	echo "sip:bob@127.0.0.1 200 OK N" >expect &&
	test_cmp expect actual &&
	browser_wait_event bob "\"event\":\"message\"" >got &&
	browser_field body <got >received &&
	test_cmp body received &&
	test "$(browser_field from <got)" = sip:alice@127.0.0.1 &&
	test "$(browser_field content_type <got)" = "text/plain;charset=UTF-8"
'

test_expect_success 'sip-msg over wss://: TEXT operands, received as sent' '
	sip-msg -s "$KAM_WSS_URL" --ca-file "$KAM_CA" bob "¡Hola!" "日本語" >out &&
	browser_wait_event bob "\"event\":\"message\"" >got &&
	browser_field body <got >received &&
	printf "¡Hola! 日本語" >expect &&
	test_cmp expect received
'

test_expect_success 'sip-msg --stream: JsSIP gets every line, in order' '
	printf "eins\nzwei ✓\ndrei\n" >lines &&
	sip-msg --stream bob <lines >out &&
	for want in eins "zwei ✓" drei; do
		browser_wait_event bob "\"event\":\"message\"" >got &&
		test "$(browser_field body <got)" = "$want" || exit 1
	done
'

test_expect_success 'JsSIP answering 486: sip-msg exits 2' '
	browser_cmd bob "{\"cmd\":\"message_reply\",\"status\":486}" &&
	browser_wait_event bob "\"event\":\"ok\"" &&
	test_expect_code 2 sip-msg bob "busy?" >out &&
	normalize out >actual &&
	echo "sip:bob@127.0.0.1 486 Busy Here N" >expect &&
	test_cmp expect actual
'

test_done
