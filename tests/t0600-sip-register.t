#!/bin/sh
test_description='sip-register registers through Kamailio over ws:// and wss://,
lists and removes bindings, stays registered, checks (also for Nagios) and
exits with the code of the table'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"
kam_require_sipsak

command -v sip-register >/dev/null 2>&1 ||
	test_skip_all 'sip-register is not built'

kamailio_start

kamailio_alice_config \
	"websocket.connection_recovery_min_interval = 1" \
	"websocket.connection_recovery_max_interval = 2"

CLOSED_PORT=$(perl "$SIPWS_SOURCE/tests/kamailio/free-ports.pl" 1)

# Our contacts are random: sip:<token>@<token>.invalid;transport=ws;ob.
# Numbers (milliseconds, expiry counted down, ports) vary too.
normalize() {
	sed -E -e 's/sip:[0-9a-z]+@[0-9a-z]+\.invalid/sip:RANDOM@RANDOM.invalid/g' \
		-e 's/in [0-9]+\.[0-9] ms/in N ms/' \
		-e 's/time=[0-9]+\.[0-9]{6}s/time=Ns/' \
		-e 's/"time_us":[0-9]+/"time_us":N/' \
		-e "s/127\\.0\\.0\\.1:[0-9]+/127.0.0.1:PORT/g" "$1"
}

# The scripted WebSocket server of tests/helpers/ws-probe.c, for what
# Kamailio cannot be made to do.
PROBE="$SIPWS_BUILD/tests/helpers/ws-probe"
# probe_start MODE: serve one connection in MODE (in the background of the
# test body); probe_port prints its port once it listens.
probe_start() {
	rm -f probe.out
	"$PROBE" -S "$1" >probe.out 2>probe.err &
}
probe_port() {
	for i in $(seq 50); do
		grep -q "^port " probe.out 2>/dev/null && break
		sleep 0.1
	done
	sed -n "s/^port //p" probe.out
}

# stay_start FILE ARGS...: sip-register --stay ARGS in the background,
# stdout to FILE.out and stderr to FILE.err, pid in FILE.pid; waits until
# the first bindings are printed.
stay_start() {
	stay_name=$1
	shift
	stay_kill "$stay_name"
	sip-register --stay "$@" >"$stay_name.out" 2>"$stay_name.err" &
	echo $! >"$TRASH/$stay_name.pid"
	for i in $(seq 50); do
		test -s "$stay_name.out" && return 0
		kill -0 "$(cat "$TRASH/$stay_name.pid")" 2>/dev/null || break
		sleep 0.1
	done
	echo "sip-register --stay did not register:" >&2
	cat "$stay_name.err" >&2
	return 1
}

# stay_kill FILE: make sure an earlier one (of a failed test) is gone.
stay_kill() {
	if [ -f "$TRASH/$1.pid" ]; then
		kill -KILL "$(cat "$TRASH/$1.pid")" 2>/dev/null
		rm -f "$TRASH/$1.pid"
	fi
	return 0
}
test_when_finished 'stay_kill stay'

# stay_stop FILE [SIGNAL]: signal the background sip-register, wait for
# it and give its exit status.
stay_stop() {
	stay_pid=$(cat "$TRASH/$1.pid") &&
	rm -f "$TRASH/$1.pid" &&
	kill -"${2:-TERM}" "$stay_pid" &&
	wait "$stay_pid"
}

test_expect_success 'register: prints our binding, exits 0' '
	sip-register >out 2>err &&
	normalize out >actual &&
	echo "sip:RANDOM@RANDOM.invalid;transport=ws;ob expires=600 ours" >expect &&
	test_cmp expect actual &&
	test_cmp /dev/null err
'

test_expect_success 'the instance id is kept per profile under XDG_STATE_HOME' '
	grep -E "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\$" \
		"$XDG_STATE_HOME/sipws/default/instance-id"
'

test_expect_success '--expires and --json' '
	sip-register --expires 120 --json >out &&
	normalize out >actual &&
	echo "{\"contact\":\"sip:RANDOM@RANDOM.invalid;transport=ws;ob\",\"expires\":120,\"ours\":true}" >expect &&
	test_cmp expect actual
'

test_expect_success '--query lists the bindings of others and ours, changes nothing' '
	test "$(kam_sipsak_register alice "$KAM_ALICE_PASSWORD" 300)" = 200 &&
	stay_start stay --expires 600 &&
	sip-register --query >out &&
	normalize out | sort >actual &&
	kamailio_wait_contacts alice 2 &&
	stay_stop stay &&
	sip-register --unregister-all &&
	sort >expect <<-\EOF &&
	sip:RANDOM@RANDOM.invalid;transport=ws;ob expires=600 ours
	sip:alice@127.0.0.1:PORT expires=300
	EOF
	sed -E "s/expires=(29[0-9]|300)\$/expires=300/; s/expires=(59[0-9]|600) ours/expires=600 ours/" actual >actual.2 &&
	test_cmp expect actual.2
'

test_expect_success '--unregister-all removes every binding (Contact: *)' '
	test "$(kam_sipsak_register alice "$KAM_ALICE_PASSWORD" 300)" = 200 &&
	test "$(kam_sipsak_register alice "$KAM_ALICE_PASSWORD" 300)" = 200 &&
	kamailio_wait_contacts alice 2 &&
	sip-register --unregister-all >out 2>err &&
	test_cmp /dev/null out &&
	kamailio_wait_contacts alice 0
'

test_expect_success '--unregister removes our binding, made by another run' '
	stay_start stay --expires 600 &&
	kamailio_wait_contacts alice 1 &&
	test "$(kam_sipsak_register alice "$KAM_ALICE_PASSWORD" 300)" = 200 &&
	kamailio_wait_contacts alice 2 &&
	sip-register --unregister >out 2>err &&
	normalize out >actual &&
	echo "sip:alice@127.0.0.1:PORT expires=300" >expect &&
	sed -E "s/expires=(29[0-9]|300)\$/expires=300/" actual >actual.2 &&
	test_cmp expect actual.2 &&
	kamailio_contacts alice >contacts &&
	test_grep -v "transport=ws" contacts &&
	stay_stop stay &&
	sip-register --unregister-all
'

test_expect_success '--stay refreshes a short registration, SIGTERM unregisters' '
	stay_start stay -vv --expires 2 &&
	kamailio_wait_contacts alice 1 &&
	for i in $(seq 100); do
		test "$(grep -c "registration refreshed" stay.err)" -ge 2 && break
		sleep 0.1
	done &&
	test "$(grep -c "registration refreshed" stay.err)" -ge 2 &&
	kamailio_wait_contacts alice 1 &&
	stay_stop stay TERM &&
	kamailio_wait_contacts alice 0 &&
	sed -n "/unregistering/,\$p" stay.err >after &&
	test_grep "> Contact: .*expires=0" after &&
	test_grep "< SIP/2.0 200 OK" after &&
	normalize stay.out >actual &&
	echo "sip:RANDOM@RANDOM.invalid;transport=ws;ob expires=2 ours" >expect &&
	test_cmp expect actual
'

test_expect_success '--stay and SIGINT: unregisters too, exits 0' '
	stay_start stay -v &&
	kamailio_wait_contacts alice 1 &&
	stay_stop stay INT &&
	test_grep "signal 2: unregistering" stay.err &&
	kamailio_wait_contacts alice 0
'

# The restarted server forgot the binding and its nonces: the REGISTER
# that goes with the old nonce upfront gets a fresh challenge.
test_expect_success '--stay registers again after the server restarts' '
	stay_start stay -v --expires 600 &&
	kamailio_wait_contacts alice 1 &&
	kamailio_restart &&
	kamailio_wait_contacts alice 1 10 &&
	stay_stop stay &&
	test_grep "registration lost" stay.err
'

test_expect_success '-vv prints the SIP trace with the digest response masked' '
	sip-register -vv 2>err >out &&
	test_grep "> REGISTER sip:127.0.0.1 SIP/2.0" err &&
	test_grep "< SIP/2.0 401 Unauthorized" err &&
	test_grep "> Authorization: Digest .*response=\"\\*\\*\\*\\*\\*\\*\\*\\*\"" err &&
	test_grep "cnonce=\"\\*\\*\\*\\*\\*\\*\\*\\*\"" err &&
	test_grep -v "response=\"[0-9a-f]" err &&
	test_grep -v "$KAM_ALICE_PASSWORD" err
'

test_expect_success 'a wrong password: 6' '
	SIPWS_USER_SIP_AUTH_PASSWORD=not-the-password &&
	export SIPWS_USER_SIP_AUTH_PASSWORD &&
	test_expect_code 6 sip-register >out 2>err &&
	test_cmp /dev/null out &&
	test_grep "^sip-register: sip:alice@127.0.0.1: " err
'

test_expect_success '--password-stdin: the password from standard input' '
	: >empty.conf &&
	printf "%s\n" "$KAM_ALICE_PASSWORD" >pw &&
	sip-register -c empty.conf -u sip:alice@127.0.0.1 -s "$KAM_WS_URL" \
		--password-stdin <pw >out &&
	test -s out &&
	printf "wrong\n" >pw.wrong &&
	test_expect_code 6 sip-register -c empty.conf -u sip:alice@127.0.0.1 \
		-s "$KAM_WS_URL" --password-stdin <pw.wrong 2>err &&
	test_expect_code 78 sip-register -c empty.conf -u sip:alice@127.0.0.1 \
		-s "$KAM_WS_URL" --password-stdin </dev/null 2>err &&
	test_grep "no password on standard input" err
'

test_expect_success 'no credentials at all: 6' '
	: >empty.conf &&
	test_expect_code 6 sip-register -c empty.conf -u sip:alice@127.0.0.1 \
		-s "$KAM_WS_URL" 2>err
'

test_expect_success 'nobody listening: 69' '
	test_expect_code 69 sip-register -s "ws://127.0.0.1:$CLOSED_PORT/" 2>err &&
	test_grep "refused" err
'

if [ -x "$PROBE" ]; then
test_expect_success 'a WebSocket upgrade refused (HTTP 404): 69' '
	probe_start http404 &&
	test_expect_code 69 sip-register -s "ws://127.0.0.1:$(probe_port)/" \
		>out 2>err &&
	test_cmp /dev/null out &&
	wait
'
else
	test_skip 'a WebSocket upgrade refused (HTTP 404): 69' "$PROBE is not built"
fi

test_expect_success 'two servers, the first (higher weight) down: the second serves' '
	sip-register -v -s "ws://127.0.0.1:$CLOSED_PORT/ weight=10" \
		-s "$KAM_WS_URL weight=1" >out 2>err &&
	test -s out &&
	test_grep "127.0.0.1:$CLOSED_PORT" err &&
	test_grep "$KAM_WS_URL: connected" err
'

test_expect_success 'wss:// with a certificate of an unknown CA: 77' '
	test_expect_code 77 sip-register -s "$KAM_WSS_URL" >out 2>err &&
	test_cmp /dev/null out
'

test_expect_success 'wss:// trusted with --ca-file: 0' '
	sip-register -s "$KAM_WSS_URL" --ca-file "$KAM_CA" >out &&
	normalize out >actual &&
	echo "sip:RANDOM@RANDOM.invalid;transport=ws;ob expires=600 ours" >expect &&
	test_cmp expect actual
'

test_expect_success 'wss:// with --insecure: 0, with a warning' '
	sip-register -s "$KAM_WSS_URL" --insecure >out 2>err &&
	test -s out &&
	test_grep "not verified" err
'

# A WebSocket server that accepts the upgrade, reads the first frame and
# hangs up: the transaction is cut in the middle.
cat >hangup-server.pl <<'EOF'
use strict;
use warnings;
use IO::Socket::INET;
use Digest::SHA qw(sha1_base64);
my ($port, $ready) = @ARGV;
my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
	Listen => 5, ReuseAddr => 1) or die "listen: $!\n";
open my $fh, '>', $ready or die; close $fh;
my $c = $srv->accept or die;
my $req = '';
while ($req !~ /\r\n\r\n/) { sysread($c, $req, 4096, length $req) or exit 1 }
my ($key) = $req =~ /Sec-WebSocket-Key:\s*(\S+)/i;
my $accept = sha1_base64($key . '258EAFA5-E914-47DA-95CA-C5AB0DC85B11') . '=';
print {$c} "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	. "Connection: Upgrade\r\nSec-WebSocket-Accept: $accept\r\n"
	. "Sec-WebSocket-Protocol: sip\r\n\r\n";
my $frame;
sysread($c, $frame, 65536);
close $c;
EOF

test_expect_success 'a server that hangs up in the middle of the REGISTER: 69, no hang' '
	port=$(perl "$SIPWS_SOURCE/tests/kamailio/free-ports.pl" 1) &&
	rm -f ready &&
	{ perl hangup-server.pl "$port" ready & } &&
	for i in $(seq 50); do test -f ready && break; sleep 0.1; done &&
	test_expect_code 69 sip-register --timeout 10 \
		-s "ws://127.0.0.1:$port/" >out 2>err &&
	test_cmp /dev/null out &&
	wait
'

test_expect_success '--check: one status line, binding removed again' '
	sip-register -vv --check >out 2>err &&
	normalize out >actual &&
	echo "OK - registered sip:alice@127.0.0.1 in N ms" >expect &&
	test_cmp expect actual &&
	test "$(grep -c "^sip-register: > REGISTER " err)" -ge 3 &&
	test_grep "> Contact: .*expires=0" err
'

test_expect_success '--check --json' '
	sip-register --check --json >out &&
	normalize out >actual &&
	echo "{\"status\":\"OK\",\"aor\":\"sip:alice@127.0.0.1\",\"time_us\":N}" >expect &&
	test_cmp expect actual
'

test_expect_success '--check slower than --warning: WARNING, 1' '
	test_expect_code 1 sip-register --check --warning 0 >out &&
	normalize out >actual &&
	echo "WARNING - registered sip:alice@127.0.0.1 in N ms (more than 0 ms)" >expect &&
	test_cmp expect actual
'

test_expect_success '--check with a wrong password: CRITICAL, 6' '
	SIPWS_USER_SIP_AUTH_PASSWORD=not-the-password \
		test_expect_code 6 sip-register --check >out &&
	test_grep "^CRITICAL - sip:alice@127.0.0.1: " out &&
	test "$(wc -l <out)" -eq 1
'

test_expect_success '--check --nagios: OK, perfdata, 0' '
	sip-register --check --nagios --warning 5000 --critical 9000 >out &&
	normalize out >actual &&
	echo "OK - registered sip:alice@127.0.0.1 in N ms | time=Ns;5.000000;9.000000;0" >expect &&
	test_cmp expect actual
'

test_expect_success '--check --nagios without thresholds: empty perfdata fields' '
	sip-register --check --nagios >out &&
	normalize out >actual &&
	echo "OK - registered sip:alice@127.0.0.1 in N ms | time=Ns;;;0" >expect &&
	test_cmp expect actual
'

test_expect_success '--check --nagios: WARNING 1, CRITICAL 2' '
	test_expect_code 1 sip-register --check --nagios --warning 0 >out &&
	normalize out >actual &&
	echo "WARNING - registered sip:alice@127.0.0.1 in N ms (more than 0 ms) | time=Ns;0.000000;;0" >expect &&
	test_cmp expect actual &&
	test_expect_code 2 sip-register --check --nagios --warning 0 --critical 0 >out &&
	normalize out >actual &&
	echo "CRITICAL - registered sip:alice@127.0.0.1 in N ms (more than 0 ms) | time=Ns;0.000000;0.000000;0" >expect &&
	test_cmp expect actual
'

test_expect_success '--check --nagios: a failure is CRITICAL (2)' '
	test_expect_code 2 sip-register --check --nagios \
		-s "ws://127.0.0.1:$CLOSED_PORT/" >out 2>err &&
	test_grep "^CRITICAL - sip:alice@127.0.0.1: " out &&
	test "$(wc -l <out)" -eq 1
'

test_expect_success '--check --nagios: a configuration error is UNKNOWN (3)' '
	test_expect_code 3 sip-register --check --nagios -c /dev/null >out 2>err &&
	echo "UNKNOWN - no account: set user.uri or give --user" >expect &&
	test_cmp expect out &&
	test_expect_code 3 sip-register --check --nagios --expires x >out &&
	test_grep "^UNKNOWN - --expires" out &&
	test_expect_code 3 sip-register --check --nagios --warning x >out &&
	test_grep "^UNKNOWN - --warning" out
'

test_expect_success 'usage errors: 64' '
	test_expect_code 64 sip-register --query --stay 2>err &&
	test_grep "go alone" err &&
	test_expect_code 64 sip-register --nagios 2>err &&
	test_expect_code 64 sip-register --stay --nagios 2>err &&
	test_expect_code 64 sip-register extra 2>err &&
	test_expect_code 64 sip-register --expires 0 2>err &&
	test_expect_code 64 sip-register --timeout -1 2>err &&
	test_expect_code 64 sip-register --query --expires 60 2>err
'

test_expect_success 'no account or no server: 78' '
	test_expect_code 78 sip-register -c /dev/null -s "$KAM_WS_URL" 2>err &&
	test_grep "no account" err &&
	test_expect_code 78 sip-register -c /dev/null -u sip:alice@127.0.0.1 2>err &&
	test_grep "no server" err &&
	test_expect_code 78 sip-register -s "not-a-url" 2>err
'

if [ -x "$PROBE" ]; then
test_expect_success '--timeout: a server that never answers the upgrade gives 75' '
	probe_start silent &&
	test_expect_code 75 sip-register --timeout 0.5 \
		-s "ws://127.0.0.1:$(probe_port)/" 2>err &&
	test_grep "no answer within 0.5 s" err &&
	wait
'
else
	test_skip '--timeout: a server that never answers the upgrade gives 75' "$PROBE is not built"
fi

test_done
