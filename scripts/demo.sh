#!/bin/sh
# make demo: the main job of sipws end to end, on this machine only.
# Run through `make demo` (it installs packages and builds first); the
# Makefile puts the freshly built tools first in PATH.
set -eu

step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/sipws-demo.XXXXXX")
# The Kamailio harness of the tests (tests/lib/kamailio.sh) asks for these.
TRASH=$work
cleanup=
test_when_finished() { cleanup="$1; $cleanup"; }
test_skip_all() { echo "demo: $1" >&2; exit 1; }
trap 'eval "$cleanup" >/dev/null 2>&1; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
export XDG_CONFIG_HOME="$work/config" XDG_STATE_HOME="$work/state"
export SIPWS_SYSTEM_CONFIG="$work/no-system-config"
mkdir -p "$XDG_CONFIG_HOME/sipws"

step "Parsing SIP URIs the way JSCommunicator's parseuri.js does"
run sip-parse uri 'sips:alice;day=tue@atlanta.example.com:5061;transport=ws' \
	'sip:[2001:db8::10]:5070;lr' 'tel:+1-201-555-0123'
run sip-parse addr '"Bob \"B\" Smith" <sip:bob@biloxi.example.com>;tag=a48s'
run sip-parse -a sip:alice@example.org complete bob +1-555-0100

step "A SIP message and the answer a user agent owes it"
printf 'MESSAGE sip:bob@example.org SIP/2.0\r\nVia: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK776sgdkse\r\nMax-Forwards: 70\r\nFrom: "Alice" <sip:alice@example.org>;tag=49583\r\nTo: <sip:bob@example.org>\r\nCall-ID: asd88asd77a@1.2.3.4\r\nCSeq: 1 MESSAGE\r\nRequire: foo\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello' >"$work/message.sip"
run sip-parse message "$work/message.sip"
if [ -d "${SIPWS_CORPUS:-}/rfc4475" ]; then
	for f in badvers unkscm; do
		printf '$ sip-parse -f answer message %s.dat   # RFC 4475\n' "$f"
		sip-parse -f answer message "$SIPWS_CORPUS/rfc4475/$f.dat"
	done
fi

step "The effective configuration, with origins and secrets masked"
cat >"$XDG_CONFIG_HOME/sipws/config" <<'CONF'
[websocket]
servers = wss://sip.example.org/ws weight=10, ws://127.0.0.1:8080/ws
[user]
display_name = Alice
uri = sip:alice@example.org
sip_auth_password = demo-secret
CONF
chmod 600 "$XDG_CONFIG_HOME/sipws/config"
run env SIPWS_REGISTRATION_EXPIRY=300 sipws-config --show-origin \
	websocket.servers user.uri user.sip_auth_password registration.expiry \
	registration.server

step "A private Kamailio on loopback (tests/kamailio/kamailio.cfg), WS and WSS"
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"
kamailio_start >/dev/null
echo "Kamailio listens on $KAM_WS_URL and $KAM_WSS_URL (users alice, bob, carol)"

# One profile per account; passwords live in files only their owner reads.
mkdir -p "$XDG_CONFIG_HOME/sipws/profiles"
for who in alice bob; do
	eval "pw=\$KAM_$(echo "$who" | tr a-z A-Z)_PASSWORD"
	cat >"$XDG_CONFIG_HOME/sipws/profiles/$who" <<PROFILE
[websocket]
servers = $KAM_WSS_URL
[user]
uri = sip:$who@$KAM_DOMAIN
sip_auth_password = $pw
[tls]
ca_file = $KAM_CA
PROFILE
	chmod 600 "$XDG_CONFIG_HOME/sipws/profiles/$who"
done

step "Is alice's account working? A monitoring check (Nagios rules)"
run sip-register -p alice --check --nagios || true

# Wait (bounded) until the listener has registered before anyone sends.
wait_registered() {
	i=0
	while ! grep -q registration/ok "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 "$2" 2>/dev/null; then
			echo "demo: sip-events did not register:" >&2
			cat "$1.err" >&2
			exit 1
		fi
		sleep 0.05
	done
}

step "bob listens for events; alice sends him a message with sip-msg"
printf '$ sip-events -p bob --topic registration/ok,message/incoming --count 2 &\n'
sip-events -p bob --topic registration/ok,message/incoming --count 2 \
	--timeout 30 >"$work/events" 2>"$work/events.err" &
events_pid=$!
wait_registered "$work/events" $events_pid
run sip-msg -p alice bob "Hello Bob, this is the shell speaking. ✓"
status=0
wait $events_pid || status=$?
echo "sip-events exited $status after two events:"
cat "$work/events"

step "The same message as a human reads it (--format text)"
sip-events -p bob --topic registration/ok,message/incoming --count 2 \
	--format text --timeout 30 >"$work/events.txt" 2>"$work/events.txt.err" &
events_pid=$!
wait_registered "$work/events.txt" $events_pid
sip-msg -p alice bob "Second message, multi-line:
line two"
wait $events_pid || true
cat "$work/events.txt"

step "A call: alice plays bob a 440 Hz tone for 3 s; bob answers and records"
# sip-call gathers ICE candidates on every local address unless told
# (--ice-address, or session.ice_addresses): loopback is enough here and
# exists on any machine.
. "$SIPWS_SOURCE/tests/lib/media.sh"
printf '$ sip-call -p bob --answer --ice-address 127.0.0.1 --record call.wav &\n'
sip-call -p bob --answer --ice-address 127.0.0.1 --record "$work/call.wav" \
	--timeout 30 >"$work/answer" 2>"$work/answer.err" &
answer_pid=$!
wait_registered "$work/answer" $answer_pid
printf '$ sip-call -p alice --ice-address 127.0.0.1 --play tone:440 --duration 3 bob\n'
status=0
sip-call -p alice --ice-address 127.0.0.1 --play tone:440 --duration 3 \
	--timeout 30 bob >"$work/call" 2>"$work/call.err" || status=$?
cat "$work/call" "$work/call.err"
echo "sip-call exited $status"
answer_status=0
wait $answer_pid || answer_status=$?
echo "sip-call --answer exited $answer_status; its last event:"
tail -n 1 "$work/answer"
if [ $status -ne 0 ] || [ $answer_status -ne 0 ] || [ ! -s "$work/call.wav" ]; then
	echo "demo: the call failed" >&2
	cat "$work/answer.err" >&2
	exit 1
fi
echo "bob's recording: $(wav_freq "$work/call.wav") Hz (the strongest frequency), $(wav_length "$work/call.wav") s"
sox "$work/call.wav" -n stat 2>&1 | grep -E '^(Length|Rough +frequency)'

echo
echo "Demo done: Kamailio stopped, temporary files removed."
