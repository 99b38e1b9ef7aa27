#!/bin/sh
test_description='sip-events reports every loss of its registration and every
re-registration: the proxy frozen while a refresh waits for its answer, then
killed and restarted, or thawed after the binding ran out; a refresh answered
503 with a Retry-After longer than the retry interval'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"
kam_require_sipsak

kamailio_start

. "$SIPWS_SOURCE/tests/lib/events.sh"

events_bob_conf
# Reconnect (and retry a failed REGISTER) after 1 s; register for 10 s, so
# that the refresh comes 5 s after each registration.
FAST="-o websocket.connection_recovery_min_interval=1 -o websocket.connection_recovery_max_interval=1 -o registration.expiry=10"

# freeze / thaw: SIGSTOP / SIGCONT every process of the current Kamailio.
freeze() {
	perl -e 'kill "STOP", -$ARGV[0] or die "kill: $!\n"' "$(kamailio_pid)"
}
thaw() {
	perl -e 'kill "CONT", -$ARGV[0] or die "kill: $!\n"' "$(kamailio_pid)"
}
test_when_finished thaw

# registers NAME: how many REGISTERs NAME sent so far (its -vv trace).
registers() {
	grep -c "^sip-events: > REGISTER " "$1.err"
}

test_expect_success 'sip-events is registered for 10 s' '
	events_start a -c bob.conf $FAST -vv &&
	wait_line a.out registration/ok
'

test_expect_success 'a refresh waits on a frozen proxy, which is killed: unregistered' '
	wc -l <a.out >a.before &&
	n=$(registers a) &&
	freeze &&
	wait_line a.err "^sip-events: > REGISTER " $((n + 1)) 10 &&
	kamailio_kill &&
	wait_line a.out registration/unregistered &&
	events_since a >new &&
	check_ts new &&
	events_of new | sed 3q >actual &&
	cat >expect <<-EOF &&
	{"topic":"transport/disconnected","server":"$KAM_WS_URL","reason":"connection lost","retry_ms":1000}
	{"topic":"ua/notready"}
	{"topic":"registration/unregistered","aor":"sip:bob@127.0.0.1","reason":"transport lost"}
	EOF
	test_cmp expect actual
'

test_expect_success 'the proxy restarted: registration/ok again, messages flow' '
	wc -l <a.out >a.before &&
	kamailio_restart &&
	wait_line a.out registration/ok 2 10 &&
	events_since a >new &&
	events_of new | grep -v transport/disconnected >actual &&
	cat >expect <<-EOF &&
	{"topic":"transport/connected","server":"$KAM_WS_URL"}
	{"topic":"ua/idle"}
	{"topic":"registration/ok","aor":"sip:bob@127.0.0.1","expires":10,"bindings":1}
	EOF
	test_cmp expect actual &&
	kamailio_wait_contacts bob 1 &&
	message "after the restart" >code &&
	echo 200 >expect &&
	test_cmp expect code &&
	wait_line a.out "\"body\":\"after the restart\""
'

# Frozen for longer than the binding lasts: the refresh stays unanswered,
# the binding runs out (at the registrar too), and the answer that comes
# once the proxy is thawed registers again.
test_expect_success 'a frozen proxy lets the binding run out: unregistered (expired), then ok' '
	wc -l <a.out >a.before &&
	n=$(registers a) &&
	freeze &&
	wait_line a.err "^sip-events: > REGISTER " $((n + 1)) 10 &&
	wait_line a.out registration/unregistered 2 10 &&
	thaw &&
	wait_line a.out registration/ok 3 10 &&
	events_since a >new &&
	events_of new >actual &&
	cat >expect <<-EOF &&
	{"topic":"registration/unregistered","aor":"sip:bob@127.0.0.1","reason":"expired"}
	{"topic":"registration/ok","aor":"sip:bob@127.0.0.1","expires":10,"bindings":1}
	EOF
	test_cmp expect actual &&
	events_stop a
'

# retry503 (route[REG_SCRIPTS]): the refresh gets 503 with Retry-After: 3,
# and a REGISTER less than 3 s after it 500 Retry-After Not Honoured. The
# retry interval here is 1 s: the Retry-After wins.
test_expect_success 'a refresh answered 503 Retry-After: 3 waits 3 s, not 1 s, and is reported' '
	events_start b -c bob.conf $FAST -u sip:retry503@127.0.0.1 \
		-t "registration/*" &&
	wait_line b.out registration/ok 2 15 &&
	events_stop b &&
	events_of b.out >actual &&
	cat >expect <<-EOF &&
	{"topic":"registration/ok","aor":"sip:retry503@127.0.0.1","expires":10,"bindings":1}
	{"topic":"registration/failed","status":503,"reason":"Service Unavailable"}
	{"topic":"registration/ok","aor":"sip:retry503@127.0.0.1","expires":10,"bindings":1}
	{"topic":"registration/unregistered","aor":"sip:retry503@127.0.0.1","reason":"unregistered"}
	EOF
	test_cmp expect actual
'

test_done
