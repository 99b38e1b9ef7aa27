#!/bin/sh
test_description='sip-events prefers the heavier of two servers: Kamailio a
(weight 10) and b (weight 1) as websocket.servers. A connection that a drops
while it stays up leads back to a; when a dies the client moves to b, and
once a is back it probes a, moves there and registers there again'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"
kam_require_sipsak

kamailio_start a
kamailio_start b
kamailio_use a

. "$SIPWS_SOURCE/tests/lib/events.sh"

A=$KAM_WS_URL_a
B=$KAM_WS_URL_b
cat >bob.conf <<EOF
websocket.servers = $B weight=1, $A weight=10
websocket.connection_recovery_min_interval = 1
websocket.connection_recovery_max_interval = 2
websocket.preferred_probe_interval = 1
[user]
uri = sip:bob@127.0.0.1
sip_auth_password = $KAM_BOB_PASSWORD
EOF
chmod 600 bob.conf

# normalise: the random backoff (1 or 2 s) of transport/disconnected as N.
normalise() {
	sed -e 's/"retry_ms":\(1000\|2000\)}/"retry_ms":N}/'
}

# since NAME: the event lines of NAME.out after the count in NAME.before.
since() {
	events_since "$1" >"$1.new" &&
	events_of "$1.new" | normalise
}

# connected URL: the events of a connection to URL and the registration.
connected() {
	cat <<-EOF
	{"topic":"transport/connected","server":"$1"}
	{"topic":"ua/idle"}
	{"topic":"registration/ok","aor":"sip:bob@127.0.0.1","expires":600,"bindings":1}
	EOF
}

# disconnected URL REASON RETRY: the event of a failed attempt or a loss.
disconnected() {
	printf '{"topic":"transport/disconnected","server":"%s","reason":"%s","retry_ms":%s}\n' \
		"$1" "$2" "$3"
}

# lost URL REASON RETRY: the events of the loss of the connection to URL.
lost() {
	disconnected "$@" &&
	cat <<-EOF
	{"topic":"ua/notready"}
	{"topic":"registration/unregistered","aor":"sip:bob@127.0.0.1","reason":"transport lost"}
	EOF
}

# contacts_at NAME COUNT: bob has COUNT contacts at Kamailio NAME.
contacts_at() {
	kamailio_use "$1" &&
	kamailio_wait_contacts bob "$2"
}

# drop_connections NAME: Kamailio NAME closes every WebSocket connection
# it holds (1000 Normal closure) and goes on serving.
drop_connections() {
	kamailio_use "$1" &&
	kamailio_rpc ws.dump >dump &&
	sed -n 's/^[[:space:]]*\([0-9][0-9]*\): ws:.*/\1/p' dump >ids &&
	test -s ids &&
	while read -r id; do
		kamailio_rpc ws.close "$id" >/dev/null || return 1
	done <ids
}

test_expect_success 'the heavier server is used first, though listed second' '
	events_start a -c bob.conf &&
	wait_line a.out registration/ok &&
	events_of a.out >actual &&
	connected "$A" >expect &&
	test_cmp expect actual &&
	contacts_at a 1 &&
	contacts_at b 0
'

test_expect_success 'a drops the connection but stays up: the client comes back to a' '
	wc -l <a.out >a.before &&
	drop_connections a &&
	wait_line a.out registration/ok 2 &&
	since a >actual &&
	{
		lost "$A" "closed by the server (1000 Normal closure)" N &&
		connected "$A"
	} >expect &&
	test_cmp expect actual &&
	contacts_at a 1 &&
	contacts_at b 0
'

test_expect_success 'a dies: the client fails over to b and registers there' '
	wc -l <a.out >a.before &&
	kamailio_kill a &&
	wait_line a.out registration/ok 3 &&
	since a >actual &&
	{
		lost "$A" "connection lost" N &&
		disconnected "$A" "connection refused" 0 &&
		connected "$B"
	} >expect &&
	test_cmp expect actual &&
	contacts_at b 1
'

test_expect_success 'while a is down the probes fail silently and b is kept' '
	wc -l <a.out >a.before &&
	sleep 2.5 &&
	since a >actual &&
	test_cmp /dev/null actual &&
	test_cmp /dev/null a.err &&
	contacts_at b 1 &&
	kamailio_use b &&
	message "on b" >code &&
	echo 200 >expect &&
	test_cmp expect code &&
	wait_line a.out "\"body\":\"on b\""
'

test_expect_success 'a is back: within a probe interval the client moves to a' '
	wc -l <a.out >a.before &&
	kamailio_restart a &&
	date +%s%N >restarted &&
	wait_line a.out registration/ok 4 5 &&
	date +%s%N >registered &&
	since a >actual &&
	{
		lost "$B" "moving to the preferred server $A" 0 &&
		connected "$A"
	} >expect &&
	test_cmp expect actual &&
	contacts_at a 1 &&
	contacts_at b 0 &&
	test_cmp /dev/null a.err &&
	kamailio_use a &&
	message "back on a" >code &&
	echo 200 >expect &&
	test_cmp expect code &&
	wait_line a.out "\"body\":\"back on a\""
'

if [ -s restarted ] && [ -s registered ]; then
	echo "# registered at a again $((($(cat registered) - $(cat restarted)) / 1000000)) ms after its restart (probe interval 1 s)"
fi

test_expect_success 'on the preferred server nothing more happens' '
	wc -l <a.out >a.before &&
	sleep 2.5 &&
	since a >actual &&
	test_cmp /dev/null actual &&
	events_stop a &&
	contacts_at a 0 &&
	contacts_at b 0
'

test_expect_success 'websocket.preferred_probe_interval = 0: the client stays on b' '
	kamailio_stop a &&
	events_start c -c bob.conf -v -o websocket.preferred_probe_interval=0 &&
	wait_line c.out registration/ok &&
	contacts_at b 1 &&
	wc -l <c.out >c.before &&
	kamailio_restart a &&
	sleep 2.5 &&
	since c >actual &&
	test_cmp /dev/null actual &&
	contacts_at b 1 &&
	contacts_at a 0 &&
	test_grep -v "moving to" c.err &&
	events_stop c
'

test_expect_success 'with -v the move is said on standard error' '
	kamailio_kill a &&
	events_start d -c bob.conf -v &&
	wait_line d.out registration/ok &&
	kamailio_restart a &&
	wait_line d.out registration/ok 2 4 &&
	events_stop d &&
	grep -e "answers: moving to it" -e "connecting to" d.err >actual &&
	cat >expect <<-EOF &&
	sip-events: $B: $A answers: moving to it
	sip-events: $B: closed; connecting to $A
	EOF
	test_cmp expect actual &&
	test_grep -v probe d.err
'

PROBE="$SIPWS_BUILD/tests/helpers/ws-probe"

# ws_moves_back LIGHT HEAVY [OPTION...]: ws-probe (with the options) finds
# a (HEAVY) down and connects to LIGHT; a comes back and it moves to HEAVY.
ws_moves_back() {
	light=$1 heavy=$2 &&
	shift 2 &&
	kamailio_stop a &&
	{ "$PROBE" "$@" -n -r -b 1:1 -F 1 -w 60000 "$light#1" "$heavy#10" \
		>out 2>err & } &&
	pid=$! &&
	wait_line out "^connected" &&
	kamailio_restart a &&
	wait_line out "^connected" 2 &&
	kill -TERM $pid &&
	test_expect_code 143 wait $pid &&
	cat >expect <<-EOF &&
	disconnected $heavy ECONNREFUSED retry=0 (connection refused)
	connected $light
	disconnected $light OK retry=0 (moving to the preferred server $heavy)
	connected $heavy
	signal 15
	EOF
	test_cmp expect out &&
	test_cmp /dev/null err
}

test_expect_success 'ws layer (native loop): connected to b, moves to a once it answers' '
	ws_moves_back "$B" "$A"
'

test_expect_success 'ws layer (glib loop): the same' '
	ws_moves_back "$B" "$A" -g
'

test_expect_success 'ws layer over wss:// too' '
	ws_moves_back "$KAM_WSS_URL_b" "$KAM_WSS_URL_a" -C "$KAM_CA"
'

test_expect_success 'ws layer: a heavier server with an untrusted certificate is not moved to' '
	AS=$KAM_WSS_URL_a &&
	{ "$PROBE" -n -r -b 1:1 -F 1 -w 60000 "$B#1" "$AS#10" >out 2>err & } &&
	pid=$! &&
	wait_line out "^connected" &&
	sleep 2.5 &&
	kill -TERM $pid &&
	test_expect_code 143 wait $pid &&
	sed "s/(certificate not trusted: .*)/(certificate not trusted: X)/" out >actual &&
	cat >expect <<-EOF &&
	disconnected $AS WS_ETLS_VERIFY retry=0 (certificate not trusted: X)
	connected $B
	signal 15
	EOF
	test_cmp expect actual &&
	test_cmp /dev/null err
'

test_done
