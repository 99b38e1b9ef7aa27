#!/bin/sh
test_description='webrtc-check'"'"'s connectivity suite: two media
sessions of this process connect with host candidates only, then
server-reflexive ones through a STUN server, then relayed ones through
coturn over UDP and TCP (relay only), each timed and measured (throughput,
loss, round-trip time); a wrong TURN password fails with its reason; with
no STUN or TURN server configured those checks skip. Everything runs inside
a loopback-only network namespace, coturn included.'

# A network namespace with only lo (the script runs itself again inside).
. "$SIPWS_SOURCE/tests/lib/media.sh"
media_netns "$0" "$@"
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"

[ "$MEDIA_TEST_NETNS" = 1 ] ||
	test_skip_all 'needs root, unshare(1) and ip(8) for a loopback-only network namespace'
command -v turnserver >/dev/null 2>&1 || test_skip_all 'coturn is missing'
gst-inspect-1.0 webrtcbin >/dev/null 2>&1 ||
	test_skip_all 'GStreamer webrtcbin is missing (gstreamer1.0-plugins-bad)'

# Under SANITIZE=1: full malloc stacks (GLib has no frame pointers), so
# that tests/lsan.supp can tell GLib's constructor-time tables apart.
ASAN_OPTIONS="fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export ASAN_OPTIONS

# Figures vary: "connected in N ms; N kbit/s each way, ... RTT N ms" and
# every figure but the loss (0 on loopback) become N.
mask() {
	sed -e 's/in [0-9]* ms;/in N ms;/' \
	    -e 's/ [0-9]* kbit\/s each way/ N kbit\/s each way/' \
	    -e 's/RTT [0-9.]* ms/RTT N ms/' \
	    -e 's/\(connect_ms\|kbit_s\|packets\|rtt_ms\|jitter_ms\)=[0-9.]*/\1=N/g' "$@"
}
# figure NAME FILE: the figures NAME of every check in FILE, one a line.
figure() {
	sed -n "s/.*[[ ]$1=\([0-9.]*\).*/\1/p" "$2"
}
# at_least MIN VALUE...: every VALUE is a number of at least MIN.
at_least() {
	min=$1 && shift &&
	test $# -gt 0 &&
	for v; do
		awk -v v="$v" -v min="$min" \
			'BEGIN { if (v == "" || v + 0 < min) { print "under " min ": " v; exit 1 } }' ||
			return 1
	done
}

TURN_PORT=3478
test_expect_success 'coturn starts' 'turn_start $TURN_PORT'
test_when_finished turn_stop

test_expect_success 'host, reflexive and relay over UDP and TCP: exit 0, figures for each' '
	cat >good.conf <<-EOF &&
	stun_servers = stun:127.0.0.1:$TURN_PORT
	turn_servers = turn:127.0.0.1:$TURN_PORT username=sipws password=secret, turn:127.0.0.1:$TURN_PORT?transport=tcp username=sipws password=secret
	EOF
	chmod 600 good.conf &&
	webrtc-check -c good.conf --suite connectivity \
		--ice-address 127.0.0.1 >out 2>err &&
	mask out >masked &&
	cat >expect <<-EOF &&
	 pass  connectivity host: connected in N ms; N kbit/s each way, 0.0 % loss, RTT N ms [connect_ms=N kbit_s=N packets=N loss_pct=0 rtt_ms=N jitter_ms=N]
	 skip  connectivity reflexive stun:127.0.0.1:$TURN_PORT: no server-reflexive candidate: no NAT between here and the STUN server, or it does not answer (the network suite tells which)
	 pass  connectivity relay turn:127.0.0.1:$TURN_PORT: connected in N ms; N kbit/s each way, 0.0 % loss, RTT N ms [connect_ms=N kbit_s=N packets=N loss_pct=0 rtt_ms=N jitter_ms=N]
	 pass  connectivity relay turn:127.0.0.1:$TURN_PORT?transport=tcp: connected in N ms; N kbit/s each way, 0.0 % loss, RTT N ms [connect_ms=N kbit_s=N packets=N loss_pct=0 rtt_ms=N jitter_ms=N]
	4 checks: 3 pass, 0 warn, 0 fail, 1 skip
	EOF
	test_cmp expect masked &&
	# Opus and VP8 (320x240, 15 fps) for 3 s: some hundreds of kbit/s.
	at_least 100 $(figure kbit_s out) &&
	at_least 300 $(figure packets out) &&
	at_least 1 $(figure connect_ms out) &&
	at_least 0.01 $(figure rtt_ms out)
'

test_expect_success 'the relay checks went through coturn (allocations logged)' '
	test "$(grep -c "ALLOCATE processed, success" turn.log)" -ge 4
'

test_expect_success 'a wrong TURN password fails with its reason: exit 1' '
	cat >wrong.conf <<-EOF &&
	turn_servers = turn:127.0.0.1:$TURN_PORT username=sipws password=wrong
	EOF
	chmod 600 wrong.conf &&
	test_expect_code 1 webrtc-check -c wrong.conf --suite connectivity \
		--ice-address 127.0.0.1 --tap >out 2>err &&
	mask out >masked &&
	cat >expect <<-EOF &&
	ok 1 - connectivity: host: connected in N ms; N kbit/s each way, 0.0 % loss, RTT N ms
	# connect_ms=N kbit_s=N packets=N loss_pct=0 rtt_ms=N jitter_ms=N
	ok 2 - connectivity: reflexive # SKIP no STUN server configured
	not ok 3 - connectivity: relay turn:127.0.0.1:$TURN_PORT: no relay candidate: the TURN server refused our credentials or does not answer (the network suite tells which)
	1..3
	EOF
	test_cmp expect masked
'

test_expect_success 'no STUN or TURN server configured: those checks skip, exit 0 (JSON)' '
	webrtc-check --suite connectivity --ice-address 127.0.0.1 --json \
		>out 2>err &&
	sed -e "s/\"version\":\"[^\"]*\"/\"version\":\"V\"/" \
	    -e "s/in [0-9]* ms; [0-9]* kbit\/s each way, 0.0 % loss, RTT [0-9.]* ms/in N ms; N kbit\/s each way, 0.0 % loss, RTT N ms/" \
	    -e "s/\"\(connect_ms\|kbit_s\|packets\|rtt_ms\|jitter_ms\)\":[0-9][0-9.]*/\"\1\":N/g" \
		out >masked &&
	cat >expect <<-\EOF &&
	{"checks":[{"suite":"connectivity","name":"host","state":"pass","reason":"connected in N ms; N kbit/s each way, 0.0 % loss, RTT N ms","figures":{"connect_ms":N,"kbit_s":N,"packets":N,"loss_pct":0,"rtt_ms":N,"jitter_ms":N},"units":{"connect_ms":"ms","kbit_s":"kbit/s","packets":"","loss_pct":"%","rtt_ms":"ms","jitter_ms":"ms"}},{"suite":"connectivity","name":"reflexive","state":"skip","reason":"no STUN server configured","figures":{},"units":{}},{"suite":"connectivity","name":"relay","state":"skip","reason":"no TURN server configured","figures":{},"units":{}}],"tool":"webrtc-check","version":"V","state":"pass","summary":{"pass":1,"warn":0,"fail":0,"skip":2}}
	EOF
	test_cmp expect masked
'

test_done
