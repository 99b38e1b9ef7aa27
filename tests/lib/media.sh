# Media test helpers, sourced after test-lib.sh by the scripts that hear
# what a call carried (t0900, t0910), start coturn or PulseAudio (t0960,
# t0961).
#
#   media_netns "$0" "$@"   run the script again inside a loopback-only
#                           network namespace (root, unshare(1), ip(8));
#                           call it before sourcing test-lib.sh; afterwards
#                           $MEDIA_TEST_NETNS is 1 inside one, "none" else
#   wav_freq ARGS...        the strongest frequency of a recording (sox's
#                           spectrum summed over the file, 11.7 Hz bins at
#                           48 kHz: a click or a gap does not move it, as
#                           it moves a zero-crossing count); ARGS are sox's
#                           input (a file, or "-t raw -r 48000 -e signed
#                           -b 16 -c 1 FILE" for raw s16le)
#   wav_length ARGS...      its length in seconds
#   between VALUE LOW HIGH  status 0 when LOW <= VALUE <= HIGH, else says so
#   turn_start PORT         coturn on 127.0.0.1:PORT (UDP and TCP), relaying
#                           to loopback peers only, user sipws/secret, realm
#                           sipws.invalid; its log in turn.log (--verbose:
#                           one "ALLOCATE processed, success" per
#                           allocation); inside a test body, with
#                           test_when_finished turn_stop at the top level
#   turn_stop               stop it
#   pulse_env               at the top level: PulseAudio's runtime
#                           directory under $TRASH (XDG_RUNTIME_DIR,
#                           PULSE_RUNTIME_PATH) for the daemon and clients
#   pulse_start SINK...     PulseAudio (unix socket only) with a null sink
#                           per name, whose SINK.monitor is a capture
#                           device; its log in pa.log; inside a test body,
#                           with test_when_finished pulse_stop at the top
#                           level
#   pulse_stop              stop it
#   ua_call_build           build tests/programs/ua-call.c as an outside
#                           program would: make install into $TRASH/root,
#                           then cc with pkg-config's sipws flags (ASan and
#                           UBSan under SANITIZE=1) into $TRASH/ua-call
media_netns() {
	if [ -z "${MEDIA_TEST_NETNS:-}" ]; then
		if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null 2>&1 &&
		   command -v ip >/dev/null 2>&1; then
			MEDIA_TEST_NETNS=1 exec unshare --net sh -c \
				'ip link set lo up && exec sh "$0" "$@"' "$@"
		fi
		MEDIA_TEST_NETNS=none
	fi
}

wav_freq() {
	sox "$@" -n stat -freq 2>&1 |
		awk 'NF == 2 && $1 > 0 { p[$1] += $2 }
		     END { for (f in p) if (p[f] > max) { max = p[f]; best = f }
			   print best }'
}

wav_length() {
	sox "$@" -n stat 2>&1 | sed -n 's/^Length (seconds): *//p'
}

between() {
	awk -v v="$1" -v lo="$2" -v hi="$3" \
		'BEGIN { if (v == "" || v < lo || v > hi) { print "not in [" lo ", " hi "]: " v; exit 1 } }'
}

turn_start() {
	turnserver -n --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 \
		--listening-port="$1" --min-port=49152 --max-port=49252 \
		--lt-cred-mech --user=sipws:secret --realm=sipws.invalid \
		--allow-loopback-peers --no-tls --no-dtls --no-cli \
		--denied-peer-ip=0.0.0.0-126.255.255.255 \
		--denied-peer-ip=128.0.0.0-255.255.255.255 \
		--pidfile="$TRASH/turn.pid" --log-file=stdout --simple-log \
		--verbose >"$TRASH/turn.log" 2>&1 &
	echo $! >"$TRASH/turn.job"
	_i=0
	while ! grep -q "Relay ports initialization done" "$TRASH/turn.log"; do
		_i=$((_i + 1))
		[ $_i -lt 50 ] || { echo "coturn did not start"; return 1; }
		sleep 0.1
	done
}

turn_stop() {
	[ -f "$TRASH/turn.job" ] && kill "$(cat "$TRASH/turn.job")" 2>/dev/null
	rm -f "$TRASH/turn.job"
}

pulse_env() {
	XDG_RUNTIME_DIR="$TRASH/xdg"
	PULSE_RUNTIME_PATH="$XDG_RUNTIME_DIR/pulse"
	export XDG_RUNTIME_DIR PULSE_RUNTIME_PATH
}

pulse_start() {
	mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR" || return 1
	pulseaudio --daemonize=no -n --exit-idle-time=-1 \
		--load=module-native-protocol-unix >"$TRASH/pa.log" 2>&1 &
	echo $! >"$TRASH/pa.job"
	_i=0
	while ! pactl info >/dev/null 2>&1; do
		_i=$((_i + 1))
		[ $_i -lt 50 ] || { echo "PulseAudio did not start"; return 1; }
		sleep 0.1
	done
	for _sink; do
		pactl load-module module-null-sink sink_name="$_sink" \
			>/dev/null || return 1
	done
}

pulse_stop() {
	[ -f "$TRASH/pa.job" ] && kill "$(cat "$TRASH/pa.job")" 2>/dev/null
	rm -f "$TRASH/pa.job"
}

ua_call_build() {
	_root="$TRASH/root"
	make -s -C "$SIPWS_SOURCE" install BUILD="${SIPWS_BUILD#"$SIPWS_SOURCE"/}" \
		DESTDIR="$_root" PREFIX=/usr/local >"$TRASH/install.out" 2>&1 || return 1
	case "$SIPWS_BUILD" in
	*sanitize*) _san="-fsanitize=address,undefined" ;;
	*) _san= ;;
	esac
	_pc() {
		PKG_CONFIG_PATH="$_root/usr/local/lib/pkgconfig" \
			pkg-config "$@" sipws | sed "s|/usr/local|$_root/usr/local|g"
	}
	# shellcheck disable=SC2046
	cc $_san $(_pc --cflags) -o "$TRASH/ua-call" \
		"$SIPWS_SOURCE/tests/programs/ua-call.c" $(_pc --libs)
}
