#!/bin/sh
# make demo: the main job of sipws end to end, on this machine only.
# Run through `make demo` (it installs packages and builds first); the
# Makefile puts the freshly built tools first in PATH.
set -eu

step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/sipws-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
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
