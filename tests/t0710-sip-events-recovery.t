#!/bin/sh
test_description='sip-events survives its server: Kamailio killed and
restarted on the same ports while it runs, or down at the start; it reports
the loss with the next retry, reconnects, registers again, and the next
message is delivered'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"
kam_require_sipsak

kamailio_start

. "$SIPWS_SOURCE/tests/lib/events.sh"

events_bob_conf
# Reconnect after 1 or 2 s (JsSIP's backoff, clamped to these bounds).
FAST="-o websocket.connection_recovery_min_interval=1 -o websocket.connection_recovery_max_interval=2"

# normalise: transport/disconnected with its reason and delay replaced by
# R and N (the delay is random; the reason depends on the moment).
normalise() {
	sed -e 's/"reason":"[^"]*","retry_ms":\(1000\|2000\)}/"reason":R,"retry_ms":N}/'
}

test_expect_success 'sip-events is registered and gets messages' '
	events_start a -c bob.conf $FAST &&
	wait_line a.out registration/ok &&
	message one >code &&
	echo 200 >expect &&
	test_cmp expect code &&
	wait_line a.out "\"body\":\"one\""
'

test_expect_success 'Kamailio dies: disconnected with the next retry, notready, unregistered' '
	wc -l <a.out >a.before &&
	kamailio_kill &&
	wait_line a.out registration/unregistered &&
	events_since a >new &&
	check_ts new &&
	events_of new | sed 3q >actual &&
	cat >expect <<-EOF &&
	{"topic":"transport/disconnected","server":"$KAM_WS_URL","reason":"connection lost","retry_ms":N}
	{"topic":"ua/notready"}
	{"topic":"registration/unregistered","aor":"sip:bob@127.0.0.1","reason":"transport lost"}
	EOF
	sed "s/\"retry_ms\":\(1000\|2000\)}/\"retry_ms\":N}/" actual >actual.n &&
	test_cmp expect actual.n
'

test_expect_success 'while the server is down it keeps trying, one event per attempt' '
	wc -l <a.out >a.before &&
	wait_line a.out "connection refused" 2 &&
	kill -0 "$(cat a.pid)" &&
	! test -s a.rc &&
	events_since a | sed 2q >new &&
	events_of new >actual &&
	cat >expect <<-EOF &&
	{"topic":"transport/disconnected","server":"$KAM_WS_URL","reason":"connection refused","retry_ms":N}
	{"topic":"transport/disconnected","server":"$KAM_WS_URL","reason":"connection refused","retry_ms":N}
	EOF
	sed "s/\"retry_ms\":\(1000\|2000\)}/\"retry_ms\":N}/" actual >actual.n &&
	test_cmp expect actual.n
'

test_expect_success 'Kamailio is back: connected, idle, registered again; messages flow' '
	wc -l <a.out >a.before &&
	kamailio_restart &&
	wait_line a.out registration/ok 2 10 &&
	kamailio_wait_contacts bob 1 &&
	events_since a >new &&
	events_of new | grep -v transport/disconnected >actual &&
	cat >expect <<-EOF &&
	{"topic":"transport/connected","server":"$KAM_WS_URL"}
	{"topic":"ua/idle"}
	{"topic":"registration/ok","aor":"sip:bob@127.0.0.1","expires":600,"bindings":1}
	EOF
	test_cmp expect actual &&
	message "after the restart" >code &&
	echo 200 >expect &&
	test_cmp expect code &&
	wait_line a.out "\"body\":\"after the restart\""
'

test_expect_success 'a clean restart of Kamailio is survived too' '
	kamailio_restart &&
	wait_line a.out registration/ok 3 10 &&
	kamailio_wait_contacts bob 1 &&
	message "after the second restart" >code &&
	echo 200 >expect &&
	test_cmp expect code &&
	wait_line a.out "\"body\":\"after the second restart\"" &&
	events_stop a &&
	kamailio_contacts bob >contacts &&
	test_cmp /dev/null contacts
'

test_expect_success 'a server that is down at the start is waited for' '
	kamailio_stop &&
	events_start b -c bob.conf $FAST &&
	wait_line b.out transport/disconnected 2 &&
	! test -s b.rc &&
	kamailio_restart &&
	wait_line b.out registration/ok 1 10 &&
	events_of b.out | grep -v transport/disconnected >actual &&
	cat >expect <<-EOF &&
	{"topic":"transport/connected","server":"$KAM_WS_URL"}
	{"topic":"ua/idle"}
	{"topic":"registration/ok","aor":"sip:bob@127.0.0.1","expires":600,"bindings":1}
	EOF
	test_cmp expect actual &&
	events_of b.out transport/disconnected | normalise | sort -u >actual &&
	cat >expect <<-EOF &&
	{"topic":"transport/disconnected","server":"$KAM_WS_URL","reason":R,"retry_ms":N}
	EOF
	test_cmp expect actual &&
	message "to b" >code &&
	wait_line b.out "\"body\":\"to b\"" &&
	events_stop b
'

test_expect_success 'with --timeout, a server never reached exits 69' '
	kamailio_stop &&
	test_expect_code 69 sip-events -c bob.conf $FAST --timeout 2.5 >out 2>err &&
	test_grep "transport/disconnected" out &&
	test_grep -v "registration/" out &&
	kamailio_restart
'

test_expect_success 'with --timeout, a server that comes back in time is used' '
	kamailio_stop &&
	events_start c -c bob.conf $FAST --topic "registration/*" --count 1 --timeout 15 &&
	sleep 1 &&
	kamailio_restart &&
	test "$(events_rc c 15)" = 0 &&
	events_of c.out >actual &&
	cat >expect <<-EOF &&
	{"topic":"registration/ok","aor":"sip:bob@127.0.0.1","expires":600,"bindings":1}
	EOF
	test_cmp expect actual
'

test_done
