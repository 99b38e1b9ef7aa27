# Helpers shared by the media test scripts (t0900, t0960, t0961):
# PulseAudio with null sinks, coturn on loopback, and measures of
# recordings. Source it after netns.sh (when used), before test-lib.sh.
#
#   media_stop
#       Stop what pulse_start and coturn_start started (by pid): give it to
#       test_when_finished.
#   pulse_env
#       Outside a test body: PulseAudio's runtime directory under $TRASH
#       (XDG_RUNTIME_DIR, PULSE_RUNTIME_PATH), for the daemon and clients.
#   pulse_start SINK...
#       PulseAudio with a null sink per name (SINK.monitor is a capture
#       device), unix socket only; returns once it answers. Log in pa.log.
#   coturn_start PORT [TURNSERVER-OPTION...]
#       coturn on 127.0.0.1:PORT relaying to loopback peers only, with the
#       long-term user sipws:secret (realm sipws.invalid); returns once its
#       relay ports are ready. Log in turn.log (--verbose logs sessions).
#   wav_freq [SOX-FORMAT...] FILE, wav_length [SOX-FORMAT...] FILE
#       The strongest frequency of a recording, its length in seconds.
#   between VALUE LOW HIGH
#       Fails, saying why, unless LOW <= VALUE <= HIGH.

# Under SANITIZE=1: full malloc stacks (GLib has no frame pointers), so
# that tests/lsan.supp can tell GLib's constructor-time tables apart.
ASAN_OPTIONS="fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export ASAN_OPTIONS

media_stop() {
	for job in "$TRASH/pa.job" "$TRASH/turn.job"; do
		[ -f "$job" ] && kill "$(cat "$job")"
	done
}

pulse_env() {
	XDG_RUNTIME_DIR="$TRASH/xdg"
	PULSE_RUNTIME_PATH="$XDG_RUNTIME_DIR/pulse"
	export XDG_RUNTIME_DIR PULSE_RUNTIME_PATH
}

pulse_start() {
	mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR" &&
	{ pulseaudio --daemonize=no -n --exit-idle-time=-1 \
		--load=module-native-protocol-unix >pa.log 2>&1 &
	  echo $! >"$TRASH/pa.job"; } &&
	i=0 &&
	while ! pactl info >/dev/null 2>&1; do
		i=$((i + 1)) && test $i -lt 50 && sleep 0.1 || return 1
	done &&
	for sink; do
		pactl load-module module-null-sink sink_name="$sink" >/dev/null ||
			return 1
	done
}

coturn_start() {
	port=$1 && shift &&
	turnserver -n "$@" --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 \
		--listening-port="$port" --min-port=49152 --max-port=49252 \
		--lt-cred-mech --user=sipws:secret --realm=sipws.invalid \
		--allow-loopback-peers --no-tls --no-dtls --no-cli \
		--denied-peer-ip=0.0.0.0-126.255.255.255 \
		--denied-peer-ip=128.0.0.0-255.255.255.255 \
		--pidfile="$PWD/turn.pid" --log-file=stdout --simple-log \
		>turn.log 2>&1 &
	echo $! >"$TRASH/turn.job" &&
	i=0 &&
	while ! grep -q "Relay ports initialization done" turn.log; do
		i=$((i + 1)) && test $i -lt 50 && sleep 0.1 || return 1
	done
}

# sox's spectrum summed over the file (11.7 Hz bins at 48 kHz: a click or
# a gap does not move it, as it moves a zero-crossing count). Raw files
# are s16le 48 kHz mono: wav_freq $RAW FILE.
wav_freq() {
	sox "$@" -n stat -freq 2>&1 |
		awk 'NF == 2 && $1 > 0 { p[$1] += $2 }
		     END { for (f in p) if (p[f] > max) { max = p[f]; best = f }
			   print best }'
}
wav_length() {
	sox "$@" -n stat 2>&1 | sed -n 's/^Length (seconds): *//p'
}
RAW="-t raw -r 48000 -e signed -b 16 -c 1"

between() {
	awk -v v="$1" -v lo="$2" -v hi="$3" \
		'BEGIN { if (v == "" || v < lo || v > hi) { print "not in [" lo ", " hi "]: " v; exit 1 } }'
}
