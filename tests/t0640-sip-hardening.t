#!/bin/sh
test_description='the SIP rules of issue 6 against a proxy that misbehaves on
purpose (route[HOSTILE] of tests/kamailio/kamailio.cfg): reason phrases with
control bytes and invalid UTF-8 are printed escaped, a response with two Via
values is discarded, requests not for us get 404 and sips: on ws:// 416, a
1,008-character user part works and input that does not fit is 65'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"
kam_require_sipsak

for t in sip-msg sip-register sip-events; do
	command -v $t >/dev/null 2>&1 || test_skip_all "$t is not built"
done

kamailio_start

. "$SIPWS_SOURCE/tests/lib/events.sh"

# bob.conf for sip-events; alice, the sender, in the user's own file.
events_bob_conf
mkdir -p "$XDG_CONFIG_HOME/sipws"
sed -e "s/sip:bob@/sip:alice@/" -e "s/= $KAM_BOB_PASSWORD\$/= $KAM_ALICE_PASSWORD/" \
	bob.conf >"$XDG_CONFIG_HOME/sipws/config"
chmod 600 "$XDG_CONFIG_HOME/sipws/config"

# Latencies vary: "... 12.3" at the end of a result line becomes "N".
normalize() {
	sed -E -e 's/ [0-9]+\.[0-9]$/ N/' -e 's/"latency_us":[0-9]+/"latency_us":N/' "$1"
}

# A user part of 1,008 characters (legal: RFC 3261 sets no limit), known
# to the proxy with the password "long-secret".
LONG=$(printf "%01008d" 0 | tr 0 u)
kamailio_add_user "$LONG" long-secret
# A long domain name: 127 characters, two labels of 63 (DNS allows 253,
# but Kamailio's registrar answers 500 "Address Of Record too long" from
# about 190).
DOMAIN=$(printf "%063d.%063d" 0 0 | tr 0 d)
# Values longer than a configuration value may be (4096 bytes).
HUGE=$(printf "%05000d" 0 | tr 0 u)
# With a display name that doubles when quoted: a From header of more
# than 8192 bytes from values that each fit.
U4000=$(printf "%04000d" 0 | tr 0 u)
QUOTES=$(printf "%02100d" 0 | tr 0 '"')
# A From header whose display name holds quotes and an escape sequence
# (a quoted-pair may carry ESC, RFC 3261 §25.1).
DISPLAY_FROM=$(printf 'From: "B\303\263b \\"x\\" \\\033[2J" ')
export DISPLAY_FROM

# ---- reason phrases ------------------------------------------------------

test_expect_success 'sip-msg: a reason phrase with control bytes is printed escaped' '
	test_expect_code 5 sip-msg sipws-reason-ctl hi >out 2>err &&
	normalize out >actual &&
	printf "%s\n" "sip:sipws-reason-ctl@127.0.0.1 404 Not Found\\x1b]0;pwned\\x07\\x1b[2J N" >expect &&
	test_cmp expect actual &&
	test_cmp /dev/null err
'

test_expect_success 'sip-msg: invalid UTF-8 and C1 controls byte by byte, valid UTF-8 kept' '
	test_expect_code 5 sip-msg sipws-reason-utf8 hi >out 2>err &&
	normalize out >actual &&
	printf "%s\n" "sip:sipws-reason-utf8@127.0.0.1 404 Bad \\xff\\xfe UTF-8 \\xc2\\x9b2J Bób \\xc3 N" >expect &&
	test_cmp expect actual
'

test_expect_success 'sip-msg --json: the JSON escapes, C1 controls included' '
	test_expect_code 5 sip-msg --json sipws-reason-ctl hi >out &&
	test_expect_code 5 sip-msg --json sipws-reason-utf8 hi >>out &&
	normalize out >actual &&
	cat >expect <<-\EOF &&
	{"to":"sip:sipws-reason-ctl@127.0.0.1","status":404,"reason":"Not Found\u001b]0;pwned\u0007\u001b[2J","latency_us":N}
	{"to":"sip:sipws-reason-utf8@127.0.0.1","status":404,"reason":"Bad \ufffd\ufffd UTF-8 \u009b2J Bób \ufffd","latency_us":N}
	EOF
	test_cmp expect actual
'

test_expect_success 'sip-register: the reason on standard error is escaped' '
	test_expect_code 5 sip-register -u sip:sipws-reason-ctl@127.0.0.1 >out 2>err &&
	test_cmp /dev/null out &&
	printf "%s\n" "sip-register: sip:sipws-reason-ctl@127.0.0.1: 404 Not Found\\x1b]0;pwned\\x07\\x1b[2J" >expect &&
	test_cmp expect err
'

test_expect_success 'sip-register --check: the reason on standard output is escaped' '
	test_expect_code 5 sip-register --check -u sip:sipws-reason-utf8@127.0.0.1 >out 2>err &&
	printf "%s\n" "CRITICAL - sip:sipws-reason-utf8@127.0.0.1: 404 Bad \\xff\\xfe UTF-8 \\xc2\\x9b2J Bób \\xc3" >expect &&
	test_cmp expect out
'

test_expect_success 'the -vv trace shows the received status line escaped' '
	test_expect_code 5 sip-msg -vv sipws-reason-ctl hi >out 2>err &&
	grep -F -x "sip-msg: < SIP/2.0 404 Not Found\\x1b]0;pwned\\x07\\x1b[2J" err &&
	! grep -q "$(printf "\033")" err
'

# ---- two Via values --------------------------------------------------------

test_expect_success 'a 200 with a second Via field is discarded: the MESSAGE times out' '
	test_expect_code 75 sip-msg -v --timeout 1 sipws-two-vias hi >out 2>err &&
	normalize out >actual &&
	echo "sip:sipws-two-vias@127.0.0.1 0 no response (timeout) N" >expect &&
	test_cmp expect actual &&
	test_grep "^sip-msg: sip: dropped a 200 response with 2 Via values (RFC 3261 §18.1.2)\$" err
'

test_expect_success 'a second Via value in a compact v field counts too' '
	test_expect_code 75 sip-msg -v --timeout 1 sipws-compact-via hi >out 2>err &&
	normalize out >actual &&
	echo "sip:sipws-compact-via@127.0.0.1 0 no response (timeout) N" >expect &&
	test_cmp expect actual &&
	test_grep "^sip-msg: sip: dropped a 200 response with 2 Via values" err
'

test_expect_success 'sip-register: a 200 with two Via values does not register' '
	test_expect_code 75 sip-register --timeout 1 -u sip:sipws-two-vias@127.0.0.1 >out 2>err &&
	test_cmp /dev/null out &&
	echo "sip-register: sip:sipws-two-vias@127.0.0.1: no answer within 1.0 s" >expect &&
	test_cmp expect err
'

# ---- requests not for us ----------------------------------------------------

test_expect_success 'sip-events as bob, -v; a MESSAGE to bob still arrives' '
	events_start a -c bob.conf -v &&
	wait_line a.out registration/ok &&
	kamailio_wait_contacts bob 1 &&
	sip-msg bob "for bob" >out &&
	wait_line a.out message/incoming &&
	events_of a.out message/incoming >actual &&
	cat >expect <<-\EOF &&
	{"topic":"message/incoming","from":"sip:alice@127.0.0.1","display":null,"to":"sip:bob@127.0.0.1","content_type":"text/plain;charset=UTF-8","body":"for bob"}
	EOF
	test_cmp expect actual
'

test_expect_success 'a MESSAGE whose Request-URI is not ours: 404 from sip-events, not printed' '
	test_expect_code 5 sip-msg -vv sipws-notme-bob hi >out 2>err &&
	normalize out >actual &&
	echo "sip:sipws-notme-bob@127.0.0.1 404 Not Found N" >expect &&
	test_cmp expect actual &&
	sed -n "/^sip-msg: < SIP\/2.0 404/,/^sip-msg: < \$/p" err >reply &&
	test_grep "^sip-msg: < Server: sipws/" reply &&
	wait_line a.err "answered 404 to MESSAGE sip:sipws-notme-bob@" &&
	test "$(grep -c message/incoming a.out)" = 1
'

test_expect_success 'OPTIONS and INVITE not for us: 404 as well, no call reported' '
	kam_request OPTIONS sip:sipws-notme-bob@127.0.0.1 sip:alice@127.0.0.1 \
		sip:bob@127.0.0.1 >options.sip &&
	kam_sipsak_send options.sip sip:sipws-notme-bob@127.0.0.1 >code &&
	kam_request INVITE sip:sipws-notme-bob@127.0.0.1 sip:alice@127.0.0.1 \
		sip:bob@127.0.0.1 \
		"$(printf "Contact: <sip:alice@127.0.0.1:\$port\$>\r\nContent-Type: application/sdp")" \
		"$(printf "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n")" \
		>invite.sip &&
	kam_sipsak_send invite.sip sip:sipws-notme-bob@127.0.0.1 >>code &&
	printf "404\n404\n" >expect &&
	test_cmp expect code &&
	wait_line a.err "answered 404 to OPTIONS sip:sipws-notme-bob@" &&
	wait_line a.err "answered 404 to INVITE sip:sipws-notme-bob@" &&
	! grep -q "call/" a.out
'

test_expect_success 'a sips: Request-URI on ws://: 416 for MESSAGE, INVITE and OPTIONS' '
	test_expect_code 1 sip-msg sipws-sips-bob hi >out &&
	normalize out >actual &&
	echo "sip:sipws-sips-bob@127.0.0.1 416 Unsupported URI Scheme N" >expect &&
	test_cmp expect actual &&
	kam_request OPTIONS sip:sipws-sips-bob@127.0.0.1 sip:alice@127.0.0.1 \
		sip:bob@127.0.0.1 >options.sip &&
	kam_sipsak_send options.sip sip:sipws-sips-bob@127.0.0.1 >code &&
	sed "s/sipws-notme-bob/sipws-sips-bob/" invite.sip >invite-sips.sip &&
	kam_sipsak_send invite-sips.sip sip:sipws-sips-bob@127.0.0.1 >>code &&
	printf "416\n416\n" >expect &&
	test_cmp expect code &&
	wait_line a.err "answered 416 to MESSAGE sips:" &&
	! grep -q "call/" a.out &&
	test "$(grep -c message/incoming a.out)" = 1 &&
	events_stop a
'

# ---- --format text ------------------------------------------------------------

test_expect_success '--format text: body, display name and quotes escaped' '
	events_start t -c bob.conf --format text --reject 486 \
		--topic "message/*,call/incoming" &&
	kamailio_wait_contacts bob 1 &&
	printf "a\033]0;x\007 \377 B\303\263b \\\\ end" >body &&
	kam_request MESSAGE sip:bob@127.0.0.1 sip:alice@127.0.0.1 \
		sip:bob@127.0.0.1 "Content-Type: text/plain" "$(cat body)" >message.sip &&
	kam_sipsak_send message.sip sip:bob@127.0.0.1 alice "$KAM_ALICE_PASSWORD" >code &&
	kam_request INVITE sip:bob@127.0.0.1 sip:alice@127.0.0.1 sip:bob@127.0.0.1 \
		"$(printf "Contact: <sip:alice@127.0.0.1:\$port\$>\r\nContent-Type: application/sdp")" \
		"$(printf "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n")" |
	DISPLAY_FROM=$DISPLAY_FROM perl -pe "s/^From: /\$ENV{DISPLAY_FROM}/" >invite.sip &&
	kam_sipsak_send invite.sip sip:bob@127.0.0.1 alice "$KAM_ALICE_PASSWORD" >>code &&
	printf "200\n486\n" >expect &&
	test_cmp expect code &&
	wait_line t.out call/incoming &&
	events_stop t &&
	sed "s/^[^ ]* //" t.out >actual &&
	cat >expect <<-\EOF &&
	message/incoming from sip:alice@127.0.0.1 : a\x1b]0;x\x07 \xff Bób \\ end
	call/incoming from "Bób \"x\" \x1b[2J" <sip:alice@127.0.0.1> to sip:bob@127.0.0.1
	EOF
	test_cmp expect actual
'

# ---- long input ---------------------------------------------------------------

test_expect_success 'a 1,008-character user part: sip-msg sends, authenticated' '
	events_start b -c bob.conf --topic message/incoming &&
	kamailio_wait_contacts bob 1 &&
	sip-msg -c /dev/null -s "$KAM_WS_URL" -u "sip:$LONG@127.0.0.1" \
		--password-stdin bob <<-\EOF >out 2>err &&
	long-secret
	from a long name
	EOF
	normalize out >actual &&
	echo "sip:bob@127.0.0.1 200 OK N" >expect &&
	test_cmp expect actual &&
	test_cmp /dev/null err &&
	wait_line b.out message/incoming &&
	events_stop b &&
	events_of b.out >actual &&
	printf "{\"topic\":\"message/incoming\",\"from\":\"sip:%s@127.0.0.1\",\"display\":null,\"to\":\"sip:bob@127.0.0.1\",\"content_type\":\"text/plain;charset=UTF-8\",\"body\":\"from a long name\\\\n\"}\n" "$LONG" >expect &&
	test_cmp expect actual
'

# Kamailio keeps at most 256 bytes of an address of record: its registrar
# answers 500 to what sipws now sends whole (it used to be exit 70, an
# internal error, before anything was sent).
test_expect_success 'a 1,008-character user part: sip-register sends the REGISTER whole' '
	echo long-secret |
	test_expect_code 1 sip-register -vv -c /dev/null -s "$KAM_WS_URL" \
		-u "sip:$LONG@127.0.0.1" --password-stdin >out 2>err &&
	test_cmp /dev/null out &&
	test_grep "^sip-register: > To: <sip:$LONG@127.0.0.1>\$" err &&
	test_grep "^sip-register: > Authorization: Digest username=\"$LONG@127.0.0.1\"" err &&
	tail -n 1 err >actual &&
	echo "sip-register: sip:$LONG@127.0.0.1: 500 Server Internal Error" >expect &&
	test_cmp expect actual &&
	test_grep "^sip-register: < P-Registrar-Error: Address Of Record too long\$" err
'

test_expect_success 'a 1,008-character user part: sip-events reports the registrar'"'"'s answer' '
	echo long-secret |
	test_expect_code 1 sip-events -c /dev/null -s "$KAM_WS_URL" \
		-u "sip:$LONG@127.0.0.1" --password-stdin \
		--topic "registration/*" --timeout 20 >out 2>err &&
	events_of out >actual &&
	cat >expect <<-\EOF &&
	{"topic":"registration/failed","status":500,"reason":"Server Internal Error"}
	EOF
	test_cmp expect actual &&
	echo "sip-events: registration of sip:$LONG@127.0.0.1 failed: 500 Server Internal Error" >expect &&
	test_cmp expect err
'

test_expect_success 'a domain of 127 characters registers' '
	echo "$KAM_ALICE_PASSWORD" |
	sip-register -c /dev/null -s "$KAM_WS_URL" -u "sip:alice@$DOMAIN" \
		-o registration.server=sip:127.0.0.1 --password-stdin >dom.out 2>dom.err &&
	sed -E "s/sip:[0-9a-z]+@[0-9a-z]+\.invalid/sip:RANDOM@RANDOM.invalid/" dom.out >actual &&
	echo "sip:RANDOM@RANDOM.invalid;transport=ws;ob expires=600 ours" >expect &&
	test_cmp expect actual &&
	test_cmp /dev/null dom.err
'

test_expect_success 'a user.uri longer than a setting may be: 65 with the reason, for each tool' '
	for t in sip-msg sip-register sip-events; do
		if [ $t = sip-msg ]; then set -- bob hi; else set --; fi &&
		test_expect_code 65 $t -u "sip:$HUGE@127.0.0.1" "$@" >out 2>err &&
		test_cmp /dev/null out &&
		echo "$t: --user '"'"'sip:$(printf "%060d" 0 | tr 0 u)...'"'"' (5014 bytes): --user: user.uri: longer than 4096 bytes" >expect &&
		test_cmp expect err || return 1
	done
'

test_expect_success 'a display name that makes the From header too long: 65 with the reason' '
	for t in sip-msg sip-register sip-events; do
		if [ $t = sip-msg ]; then set -- bob hi; else set --; fi &&
		test_expect_code 65 $t -u "sip:$U4000@127.0.0.1" \
			-o "user.display_name=$QUOTES" "$@" >out 2>err &&
		test_cmp /dev/null out &&
		echo "$t: user.uri is longer than a SIP URI may be here, or with user.display_name makes a From header longer than 8192 bytes" >expect &&
		test_cmp expect err || return 1
	done
'

test_expect_success 'a display name and user part that fit: the MESSAGE goes out' '
	test_expect_code 5 sip-msg -vv -u "sip:alice@127.0.0.1" \
		-o "user.display_name=B\"ob\" $(printf "%0900d" 0 | tr 0 d)" nobody hi >out 2>err &&
	normalize out >actual &&
	echo "sip:nobody@127.0.0.1 404 Not Found N" >expect &&
	test_cmp expect actual &&
	test_grep "^sip-msg: > From: \"B\\\\\\\\\"ob\\\\\\\\\" d*\" <sip:alice@127.0.0.1>;tag=" err
'

# ---- usage ----------------------------------------------------------------------

test_expect_success 'sip-events --reject 3xx is a usage error: a redirect needs a Contact' '
	test_expect_code 64 sip-events --reject 302 2>err &&
	cat >expect <<-\EOF &&
	sip-events: --reject 302: a 3xx redirect needs a Contact to redirect to; use a code from 400 to 699
	Try '"'"'sip-events --help'"'"' for more information.
	EOF
	test_cmp expect err &&
	test_expect_code 64 sip-events --reject 300 2>err &&
	test_grep "3xx redirect" err &&
	test_expect_code 64 sip-events --reject 700 2>err &&
	test_grep "from 400 to 699" err
'

test_done
