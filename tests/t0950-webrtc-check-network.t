#!/bin/sh
test_description='webrtc-check network suite against coturn on loopback:
host candidates per family, a reflexive address through STUN, relays over
UDP, TCP and TLS with a long-term user; a wrong password fails as an
authentication failure, a closed port as unreachable, a STUN-only server
gives a reflexive address and no relay (timeout). Everything runs inside
a loopback-only network namespace.'

# A network namespace with only lo (tests/lib/media.sh): the script runs
# itself again inside one (root needed).
. "$SIPWS_SOURCE/tests/lib/media.sh"
media_netns "$0" "$@"
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"

[ "$MEDIA_TEST_NETNS" = 1 ] ||
	test_skip_all 'needs root, unshare(1) and ip(8) for a loopback-only network namespace'
command -v webrtc-check >/dev/null 2>&1 || test_skip_all 'webrtc-check is not built'
command -v turnserver >/dev/null 2>&1 || test_skip_all 'coturn is missing'
command -v openssl >/dev/null 2>&1 || test_skip_all 'openssl(1) is missing'

# The namespace's ports are all free (nothing else runs in it).
TURN_PORT=3478
STUN_PORT=3479
CLOSED_PORT=3999
TLS_PORT=5349

# The STUN-only server (TURN requests unanswered) beside media.sh's coturn
# (user sipws/secret).
test_expect_success 'coturn starts: a TURN server with a long-term user, a STUN-only one' '
	turn_start $TURN_PORT &&
	turnserver -n --listening-ip=127.0.0.1 --listening-port=$STUN_PORT \
		--stun-only --no-tls --no-dtls --no-cli --pidfile="$PWD/stun.pid" \
		--log-file=stdout --simple-log >stun.log 2>&1 &
	echo $! >>"$TRASH/turn.jobs" &&
	i=0 &&
	while ! grep -q "Total General servers" stun.log; do
		i=$((i + 1)) && test $i -lt 50 && sleep 0.1 || return 1
	done
'
test_when_finished 'turn_stop; kill $(cat "$TRASH/turn.jobs")'

# Timings and the ports the servers choose vary: mask them.
mask() {
	sed -E -e 's/ms=[0-9.]+/ms=N/g' -e 's/"ms":[0-9.]+/"ms":N/g' \
	    -e 's/127\.0\.0\.1:[0-9]+ \((no NAT|behind NAT)\)/127.0.0.1:PORT (\1)/' \
	    -e 's/relayed address 127\.0\.0\.1:[0-9]+/relayed address 127.0.0.1:PORT/' "$1"
}

test_expect_success 'STUN and TURN over UDP and TCP pass; no IPv6 is a warning (TAP, exit 0)' '
	cat >good.conf <<-EOF &&
	stun_servers = stun:127.0.0.1:$TURN_PORT
	turn_servers = turn:127.0.0.1:$TURN_PORT username=sipws password=secret
	EOF
	chmod 600 good.conf &&
	webrtc-check -c good.conf --suite network --ice-address 127.0.0.1 \
		--tap >out &&
	mask out >masked &&
	cat >expect <<-EOF &&
	ok 1 - network: host ipv4: 127.0.0.1
	# ms=N candidates=1
	ok 2 - network: host ipv6: no IPv6 host candidate: IPv6-only peers need a relay (warning)
	# ms=N candidates=0
	ok 3 - network: reflexive stun:127.0.0.1:$TURN_PORT: mapped address 127.0.0.1:PORT (no NAT)
	# ms=N
	ok 4 - network: relay turn:127.0.0.1:$TURN_PORT udp: relayed address 127.0.0.1:PORT
	# ms=N lifetime_s=600 gather_ms=N
	ok 5 - network: relay turn:127.0.0.1:$TURN_PORT tcp: relayed address 127.0.0.1:PORT
	# ms=N lifetime_s=600 gather_ms=N
	1..5
	EOF
	test_cmp expect masked
'

test_expect_success 'a wrong password fails with the authentication reason (JSON, exit 1)' '
	cat >bad.conf <<-EOF &&
	turn_servers = turn:127.0.0.1:$TURN_PORT?transport=udp username=sipws password=wrong
	turn_servers = turn:127.0.0.1:$TURN_PORT?transport=tcp username=sipws password=wrong
	EOF
	chmod 600 bad.conf &&
	test_expect_code 1 webrtc-check -c bad.conf --suite network \
		--ice-address 127.0.0.1 --json >out &&
	mask out >masked &&
	cat >expect <<-EOF &&
	{"checks":[{"suite":"network","name":"host ipv4","state":"pass","reason":"127.0.0.1","figures":{"ms":N,"candidates":1},"units":{"ms":"ms","candidates":""}},{"suite":"network","name":"host ipv6","state":"warn","reason":"no IPv6 host candidate: IPv6-only peers need a relay","figures":{"ms":N,"candidates":0},"units":{"ms":"ms","candidates":""}},{"suite":"network","name":"relay turn:127.0.0.1:$TURN_PORT?transport=udp udp","state":"fail","reason":"authentication failed: 401 Unauthorized (user sipws)","figures":{"ms":N},"units":{"ms":"ms"}},{"suite":"network","name":"relay turn:127.0.0.1:$TURN_PORT?transport=tcp tcp","state":"fail","reason":"authentication failed: 401 Unauthorized (user sipws)","figures":{"ms":N},"units":{"ms":"ms"}}],"tool":"webrtc-check","version":"$(sed -n "s/^#define SIPWS_VERSION \"\(.*\)\"/\1/p" "$SIPWS_SOURCE/lib/version.h")","state":"fail","summary":{"pass":1,"warn":1,"fail":2,"skip":0}}
	EOF
	test_cmp expect masked
'

test_expect_success 'a closed port fails as unreachable over UDP and TCP; SIP credentials from the environment (checklist)' '
	SIPWS_USER_URI=sip:sipws@127.0.0.1 SIPWS_USER_SIP_AUTH_USER=sipws \
	SIPWS_USER_SIP_AUTH_PASSWORD=secret \
	test_expect_code 1 webrtc-check -c /dev/null --suite network \
		--ice-address 127.0.0.1 --turn turn:127.0.0.1:$CLOSED_PORT >out &&
	mask out >masked &&
	cat >expect <<-EOF &&
	 pass  network  host ipv4: 127.0.0.1 [ms=N candidates=1]
	 warn  network  host ipv6: no IPv6 host candidate: IPv6-only peers need a relay [ms=N candidates=0]
	 fail  network  relay turn:127.0.0.1:$CLOSED_PORT udp: unreachable: 127.0.0.1 port $CLOSED_PORT: Connection refused [ms=N]
	 fail  network  relay turn:127.0.0.1:$CLOSED_PORT tcp: unreachable: 127.0.0.1 port $CLOSED_PORT: Connection refused [ms=N]
	4 checks: 1 pass, 1 warn, 2 fail, 0 skip
	EOF
	test_cmp expect masked
'

test_expect_success 'the SIP credentials reach a TURN entry without its own (environment, --auth-user and --password-stdin)' '
	SIPWS_USER_URI=sip:sipws@127.0.0.1 SIPWS_USER_SIP_AUTH_USER=sipws \
	SIPWS_USER_SIP_AUTH_PASSWORD=secret \
	webrtc-check -c /dev/null --suite network --ice-address 127.0.0.1 \
		--turn "turn:127.0.0.1:$TURN_PORT?transport=tcp" --tap >out &&
	mask out >masked &&
	test_grep "^ok 3 - network: relay turn:127.0.0.1:$TURN_PORT?transport=tcp tcp: relayed address 127.0.0.1:PORT$" masked &&
	echo secret | SIPWS_USER_URI=sip:other@127.0.0.1 \
	webrtc-check -c /dev/null --suite network --ice-address 127.0.0.1 \
		--auth-user sipws --password-stdin \
		--turn "turn:127.0.0.1:$TURN_PORT?transport=udp" --tap >out &&
	mask out >masked &&
	test_grep "^ok 3 - network: relay turn:127.0.0.1:$TURN_PORT?transport=udp udp: relayed address 127.0.0.1:PORT$" masked
'

test_expect_success 'a STUN-only server gives a reflexive address and no relay (timeout)' '
	SIPWS_USER_URI=sip:sipws@127.0.0.1 SIPWS_USER_SIP_AUTH_USER=sipws \
	SIPWS_USER_SIP_AUTH_PASSWORD=secret \
	test_expect_code 1 webrtc-check -c /dev/null --suite network \
		--ice-address 127.0.0.1 --timeout 1 \
		--stun stun:127.0.0.1:$STUN_PORT \
		--turn "turn:127.0.0.1:$STUN_PORT?transport=udp" --tap >out &&
	mask out >masked &&
	cat >expect <<-EOF &&
	ok 1 - network: host ipv4: 127.0.0.1
	# ms=N candidates=1
	ok 2 - network: host ipv6: no IPv6 host candidate: IPv6-only peers need a relay (warning)
	# ms=N candidates=0
	ok 3 - network: reflexive stun:127.0.0.1:$STUN_PORT: mapped address 127.0.0.1:PORT (no NAT)
	# ms=N
	not ok 4 - network: relay turn:127.0.0.1:$STUN_PORT?transport=udp udp: timeout: no answer from 127.0.0.1 port $STUN_PORT within 1000 ms
	# ms=N
	1..4
	EOF
	test_cmp expect masked &&
	sed -n "s/^# ms=\([0-9]*\).*/\1/p" out | sed -n 4p >waited &&
	test "$(cat waited)" -ge 1000
'

test_expect_success 'TURN without credentials anywhere fails and says where to put them' '
	test_expect_code 1 webrtc-check -c /dev/null --suite network \
		--ice-address 127.0.0.1 --turn turn:127.0.0.1:$TURN_PORT?transport=tcp --tap >out &&
	test_grep "^not ok 3 - network: relay turn:127.0.0.1:$TURN_PORT?transport=tcp tcp: no credentials (turn_servers username= password=, or the SIP account.s)$" out
'

# coturn takes plain TCP on its TLS port too, which is how libnice 0.1.21
# (plain TCP for turns: in RFC 5245 mode) gets its relay: a warning.
test_expect_success 'STUN and TURN over TLS (stuns:, turns:) answer with the CA (a warning: libnice uses plain TCP), fails as untrusted without it' '
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout tls.key -out tls.crt -days 30 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 2>/dev/null &&
	turnserver -n --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 \
		--listening-port=3480 --tls-listening-port=$TLS_PORT \
		--cert="$PWD/tls.crt" --pkey="$PWD/tls.key" --no-dtls --no-cli \
		--min-port=49300 --max-port=49400 --lt-cred-mech \
		--user=sipws:secret --realm=sipws.invalid \
		--pidfile="$PWD/tls.pid" --log-file=stdout --simple-log \
		>tls.log 2>&1 &
	echo $! >>"$TRASH/turn.jobs" &&
	i=0 &&
	while ! grep -q "Total General servers" tls.log; do
		i=$((i + 1)) && test $i -lt 50 && sleep 0.1 || return 1
	done &&
	SIPWS_USER_SIP_AUTH_USER=sipws SIPWS_USER_SIP_AUTH_PASSWORD=secret \
	webrtc-check -c /dev/null --suite network --ice-address 127.0.0.1 \
		--stun stuns:127.0.0.1:$TLS_PORT --turn turns:127.0.0.1:$TLS_PORT \
		--ca-file tls.crt --tap >out &&
	mask out >masked &&
	test_grep "^ok 3 - network: reflexive stuns:127.0.0.1:$TLS_PORT: mapped address 127.0.0.1:PORT (no NAT)$" masked &&
	test_grep "^ok 4 - network: relay turns:127.0.0.1:$TLS_PORT tls: relayed address 127.0.0.1:PORT, but libnice [0-9.]* reached it over plain TCP, not TLS: this server takes both (warning)$" masked &&
	SIPWS_USER_SIP_AUTH_USER=sipws SIPWS_USER_SIP_AUTH_PASSWORD=secret \
	test_expect_code 1 webrtc-check -c /dev/null --suite network \
		--ice-address 127.0.0.1 --turn turns:127.0.0.1:$TLS_PORT --tap >out &&
	test_grep "^not ok 3 - network: relay turns:127.0.0.1:$TLS_PORT tls: untrusted: certificate not trusted (self-signed certificate), subject /CN=127.0.0.1$" out
'

test_expect_success 'an unknown scheme in --stun is a configuration error (78)' '
	test_expect_code 78 webrtc-check -c /dev/null --suite network \
		--stun http://127.0.0.1/ 2>err &&
	test_grep "^webrtc-check: --stun" err
'

test_done
