#!/bin/sh
test_description='sip-register against registrars that are picky or
misbehave: digest HA1 with its realm, a 200 without expires, 423 with a
rising Min-Expires, a refresh answered 503 with Retry-After or 500 (the
scripted users of route[REG_SCRIPTS] in tests/kamailio/kamailio.cfg)'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"

command -v sip-register >/dev/null 2>&1 ||
	test_skip_all 'sip-register is not built'
command -v md5sum >/dev/null 2>&1 ||
	test_skip_all 'md5sum is missing'

kamailio_start

kamailio_alice_config

# Our contacts are random: sip:<token>@<token>.invalid;transport=ws;ob.
normalize() {
	sed -E -e 's/sip:[0-9a-z]+@[0-9a-z]+\.invalid/sip:RANDOM@RANDOM.invalid/g' "$1"
}

# ha1 USER REALM PASSWORD: the MD5 digest HA1 in hex (RFC 2617 3.2.2.2).
ha1() {
	printf '%s:%s:%s' "$1" "$2" "$3" | md5sum | cut -d ' ' -f 1
}

# ha1_conf FILE HA1 [REALM]: alice with an HA1 instead of a password (the
# authentication user is the whole address, user.sip_auth_user_full_uri).
ha1_conf() {
	{
		echo "websocket.servers = $KAM_WS_URL"
		echo "[user]"
		echo "uri = sip:alice@127.0.0.1"
		echo "sip_auth_ha1 = $2"
		[ -z "${3:-}" ] || echo "sip_auth_realm = $3"
	} >"$1" &&
	chmod 600 "$1"
}

test_expect_success 'an HA1 without its realm: sipws-config --check says so, 78' '
	ha1_conf norealm.conf "$(ha1 alice@127.0.0.1 "$KAM_REALM" "$KAM_ALICE_PASSWORD")" &&
	test_expect_code 78 sipws-config -c norealm.conf --check >out 2>err &&
	test_cmp /dev/null out &&
	echo "sipws-config: norealm.conf:4: user.sip_auth_ha1: needs user.sip_auth_realm, the realm it was computed for" >expect &&
	test_cmp expect err &&
	test_expect_code 78 sip-register -c norealm.conf >out 2>err &&
	test_cmp /dev/null out &&
	echo "sip-register: norealm.conf:4: user.sip_auth_ha1: needs user.sip_auth_realm, the realm it was computed for" >expect &&
	test_cmp expect err
'

test_expect_success 'HA1 with its realm registers (no password anywhere)' '
	ha1_conf good.conf "$(ha1 alice@127.0.0.1 "$KAM_REALM" "$KAM_ALICE_PASSWORD")" \
		"$KAM_REALM" &&
	sipws-config -c good.conf --check >out 2>err &&
	test_cmp /dev/null out &&
	test_cmp /dev/null err &&
	sip-register -c good.conf -vv >out 2>err &&
	normalize out >actual &&
	echo "sip:RANDOM@RANDOM.invalid;transport=ws;ob expires=600 ours" >expect &&
	test_cmp expect actual &&
	test_grep "> Authorization: Digest username=\"alice@127.0.0.1\", realm=\"$KAM_REALM\"" err &&
	test_grep -v "$KAM_ALICE_PASSWORD" err &&
	sip-register -c good.conf --unregister >/dev/null
'

test_expect_success 'HA1 of another realm, or for the right realm from a wrong password: 6' '
	ha1_conf other.conf "$(ha1 alice@127.0.0.1 other.example "$KAM_ALICE_PASSWORD")" \
		other.example &&
	test_expect_code 6 sip-register -c other.conf >out 2>err &&
	test_cmp /dev/null out &&
	echo "sip-register: sip:alice@127.0.0.1: 401 realm not ours" >expect &&
	test_cmp expect err &&
	ha1_conf wrong.conf "$(ha1 alice@127.0.0.1 "$KAM_REALM" not-the-password)" \
		"$KAM_REALM" &&
	test_expect_code 6 sip-register -c wrong.conf >out 2>err &&
	test_cmp /dev/null out &&
	echo "sip-register: sip:alice@127.0.0.1: 401 credentials refused" >expect &&
	test_cmp expect err
'

test_expect_success 'a 200 whose Contact has no expires: what we asked for' '
	sip-register -u sip:noexpires@127.0.0.1 >out 2>err &&
	normalize out >actual &&
	echo "sip:RANDOM@RANDOM.invalid;transport=ws;ob expires=600 ours" >expect &&
	test_cmp expect actual &&
	test_cmp /dev/null err &&
	sip-register -u sip:noexpires@127.0.0.1 --expires 120 --json >out &&
	normalize out >actual &&
	echo "{\"contact\":\"sip:RANDOM@RANDOM.invalid;transport=ws;ob\",\"expires\":120,\"ours\":true}" >expect &&
	test_cmp expect actual
'

test_expect_success '423: one more REGISTER with the Min-Expires, which is kept' '
	sip-register -u sip:minexp120@127.0.0.1 --expires 60 -vv >out 2>err &&
	normalize out >actual &&
	echo "sip:RANDOM@RANDOM.invalid;transport=ws;ob expires=120 ours" >expect &&
	test_cmp expect actual &&
	sed -n "s/^sip-register: \(> REGISTER \|> Expires: \|< SIP\/2.0 \)/\1/p" err >actual &&
	cat >expect <<-\EOF &&
	> REGISTER sip:127.0.0.1 SIP/2.0
	> Expires: 60
	< SIP/2.0 423 Interval Too Brief
	> REGISTER sip:127.0.0.1 SIP/2.0
	> Expires: 120
	< SIP/2.0 200 OK
	EOF
	test_cmp expect actual &&
	sip-register -u sip:minexp120@127.0.0.1 --unregister >/dev/null
'

test_expect_success '423 again with a higher Min-Expires: no third REGISTER, 1' '
	test_expect_code 1 sip-register -u sip:minexp@127.0.0.1 --expires 60 \
		-vv >out 2>err &&
	test_cmp /dev/null out &&
	sed -n "s/^sip-register: \(> REGISTER \|> Expires: \|< SIP\/2.0 \|< Min-Expires: \)/\1/p" err >actual &&
	cat >expect <<-\EOF &&
	> REGISTER sip:127.0.0.1 SIP/2.0
	> Expires: 60
	< SIP/2.0 423 Interval Too Brief
	< Min-Expires: 120
	> REGISTER sip:127.0.0.1 SIP/2.0
	> Expires: 120
	< SIP/2.0 423 Interval Too Brief
	< Min-Expires: 180
	EOF
	test_cmp expect actual &&
	test_grep "^sip-register: sip:minexp@127.0.0.1: 423 Interval Too Brief\$" err
'

# wait_grep FILE ERE SECONDS: wait until FILE has a line matching ERE.
wait_grep() {
	for i in $(seq $(($3 * 10))); do
		grep -q -E -e "$2" "$1" && return 0
		sleep 0.1
	done
	echo "wait_grep: no line matching $2 in $1:" >&2
	cat "$1" >&2
	return 1
}

stay_kill_all() {
	for p in "$TRASH"/*.pid; do
		[ -f "$p" ] && kill -KILL "$(cat "$p")" 2>/dev/null
	done
	return 0
}
test_when_finished stay_kill_all

# stay_refreshed NAME USER: sip-register --stay -v for USER with a 10 s
# registration (refreshed after 5 s) in the background, until it says
# "registration refreshed" (15 s at most); then SIGTERM, exit 0, our binding
# on stdout, and its lines about the registration in NAME.said.
stay_refreshed() {
	sip-register --stay -v -u "sip:$2@127.0.0.1" --expires 10 \
		>"$1.out" 2>"$1.err" &
	echo $! >"$TRASH/$1.pid"
	wait_grep "$1.err" "registration refreshed" 15
	pid=$(cat "$TRASH/$1.pid") &&
	rm -f "$TRASH/$1.pid" &&
	kill -TERM "$pid" &&
	wait "$pid" &&
	normalize "$1.out" >actual &&
	echo "sip:RANDOM@RANDOM.invalid;transport=ws;ob expires=10 ours" >expect &&
	test_cmp expect actual &&
	grep -E "registration|expired|lost" "$1.err" >"$1.said"
}

# retry503: the refresh gets 503 with Retry-After: 3, and a REGISTER that
# comes sooner 500 Retry-After Not Honoured.
test_expect_success 'a refresh answered 503 Retry-After: 3 is tried again after 3 s, before the binding lapses' '
	stay_refreshed r503 retry503 &&
	cat >expect <<-\EOF &&
	sip-register: refreshing the registration failed: 503 Service Unavailable; trying again in 3.0 s
	sip-register: registration refreshed: 10 s
	EOF
	test_cmp expect r503.said
'

# refresh500: the same with 500 and no Retry-After: tried again after at
# most half of what the binding has left, not the 30 s of the default (the
# server answers 500 Binding Lapsed to a retry after the binding's end).
test_expect_success 'a refresh answered 500 is tried again before the binding lapses' '
	stay_refreshed r500 refresh500 &&
	sed -E "s/in [0-9]+\.[0-9] s\$/in N s/" r500.said >actual &&
	cat >expect <<-\EOF &&
	sip-register: refreshing the registration failed: 500 Server Internal Error; trying again in N s
	sip-register: registration refreshed: 10 s
	EOF
	test_cmp expect actual &&
	sed -n "s/.*trying again in \([0-9]*\)\.[0-9] s\$/\1/p" r500.said >secs &&
	test "$(cat secs)" -lt 5
'

# A proxy frozen (SIGSTOP) across a refresh: the 4 s binding runs out
# before any answer; thawed, the proxy answers the refresh.
test_expect_success 'the binding runs out while the proxy is frozen: said, then refreshed' '
	sip-register --stay -v --expires 4 >fz.out 2>fz.err &
	echo $! >"$TRASH/fz.pid" &&
	wait_grep fz.err "registered for 4 s" 5 &&
	perl -e "kill q(STOP), -\$ARGV[0] or die" "$(kamailio_pid)" &&
	wait_grep fz.err "registration expired" 10 &&
	perl -e "kill q(CONT), -\$ARGV[0] or die" "$(kamailio_pid)" &&
	wait_grep fz.err "registration refreshed" 10 &&
	pid=$(cat "$TRASH/fz.pid") &&
	rm -f "$TRASH/fz.pid" &&
	kill -TERM "$pid" &&
	wait "$pid" &&
	grep -E "registration|expired|lost" fz.err >actual &&
	cat >expect <<-\EOF &&
	sip-register: registration expired before a refresh succeeded
	sip-register: registration refreshed: 4 s
	EOF
	test_cmp expect actual
'

test_done
