#!/bin/sh
test_description='interop: messages that JsSIP sends from Chromium show up in
sip-events byte-exact, with their content type and display name'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"
. "$SIPWS_SOURCE/tests/lib/browser.sh"

kamailio_start

. "$SIPWS_SOURCE/tests/lib/events.sh"

events_bob_conf

# send_file ID FILE [CONTENT-TYPE]: alice (JsSIP) sends bob the bytes of
# FILE; prints the final status JsSIP saw.
send_file() {
	sf_type=
	[ -z "${3:-}" ] || sf_type=",\"content_type\":$(browser_json_string "$3")"
	browser_cmd alice "{\"cmd\":\"message\",\"id\":\"$1\",\"to\":\"sip:bob@127.0.0.1\",\"body_file\":\"$PWD/$2\"$sf_type}" &&
	browser_wait_event alice "\"event\":\"message_(sent|failed)\",\"id\":\"$1\"" >"$1.sent" &&
	browser_field status <"$1.sent" && echo
}

test_expect_success 'JsSIP (alice, in Chromium) and sip-events (bob) register' '
	browser_start alice &&
	browser_register alice sip:alice@127.0.0.1 "$KAM_ALICE_PASSWORD" "$KAM_WS_URL" &&
	events_start bob -c bob.conf --topic "message/*" &&
	kamailio_wait_contacts bob 1
'

test_expect_success 'a multi-line UTF-8 message from JsSIP arrives byte-exact' '
	printf "Grüße aus Köln ✓ 🎉\nzweite Zeile\r\n\n\t\"quoted\" \\\\ back\\\\slash  \n\n" >body1 &&
	send_file m1 body1 >status &&
	echo 200 >expect &&
	test_cmp expect status &&
	wait_line bob.out message/incoming &&
	check_ts bob.out &&
	events_of bob.out | sed -n 1p >line &&
	cat >expect <<-\EOF &&
	{"topic":"message/incoming","from":"sip:alice@127.0.0.1","display":null,"to":"sip:bob@127.0.0.1","content_type":"text/plain","body":"Grüße aus Köln ✓ 🎉\nzweite Zeile\r\n\n\t\"quoted\" \\ back\\slash  \n\n"}
	EOF
	test_cmp expect line &&
	body_of line >actual &&
	test_cmp body1 actual
'

test_expect_success 'control characters and a content type of JsSIP pass unchanged' '
	printf "a\001b\037c\177d {\"json\": [1, 2]}" >body2 &&
	send_file m2 body2 "application/json;charset=UTF-8" >status &&
	echo 200 >expect &&
	test_cmp expect status &&
	wait_line bob.out message/incoming 2 &&
	events_of bob.out | sed -n 2p >line &&
	test_grep "\"content_type\":\"application/json;charset=UTF-8\"" line &&
	body_of line >actual &&
	test_cmp body2 actual
'

test_expect_success 'an empty message from JsSIP arrives with an empty body' '
	: >body3 &&
	send_file m3 body3 >status &&
	echo 200 >expect &&
	test_cmp expect status &&
	wait_line bob.out message/incoming 3 &&
	events_of bob.out | sed -n 3p >line &&
	test_grep "\"body\":\"\"}$" line
'

test_expect_success 'a long message (16 KiB) arrives whole' '
	perl -e "print join(qq(\n), map { qq(line \$_ ) . (q(é) x 60) } 1..130)" >body4 &&
	test "$(wc -c <body4)" -gt 16000 &&
	send_file m4 body4 >status &&
	echo 200 >expect &&
	test_cmp expect status &&
	wait_line bob.out message/incoming 4 &&
	events_of bob.out | sed -n 4p >line &&
	body_of line >actual &&
	test_cmp body4 actual
'

test_expect_success 'the display name JsSIP puts in From is reported' '
	browser_stop alice &&
	browser_start carol &&
	browser_cmd carol "{\"cmd\":\"register\",\"uri\":\"sip:carol@127.0.0.1\",\"password\":\"$KAM_CAROL_PASSWORD\",\"ws\":\"$KAM_WS_URL\",\"display_name\":\"Carol Ünicode\"}" &&
	browser_wait_event carol "\"event\":\"registered\"" &&
	printf "hi from carol" >body5 &&
	browser_cmd carol "{\"cmd\":\"message\",\"id\":\"m5\",\"to\":\"sip:bob@127.0.0.1\",\"body_file\":\"$PWD/body5\"}" &&
	browser_wait_event carol "\"event\":\"message_sent\",\"id\":\"m5\"" &&
	wait_line bob.out message/incoming 5 &&
	events_of bob.out | sed -n 5p >line &&
	cat >expect <<-\EOF &&
	{"topic":"message/incoming","from":"sip:carol@127.0.0.1","display":"Carol Ünicode","to":"sip:bob@127.0.0.1","content_type":"text/plain","body":"hi from carol"}
	EOF
	test_cmp expect line
'

test_expect_success 'sip-events stops cleanly' '
	events_stop bob &&
	kamailio_contacts bob >contacts &&
	test_cmp /dev/null contacts
'

test_done
