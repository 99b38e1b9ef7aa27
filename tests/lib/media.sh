# Shared pieces of the media tests (t0900, t0910, t0920). Source it first,
# before test-lib.sh:
#   . "$SIPWS_SOURCE/tests/lib/media.sh"
# It runs the script again inside a network namespace that has only lo
# (root, unshare(1) and ip(8) needed): ICE must find nothing else there.
# MEDIA_TEST_NETNS is then 1, or "none" when no namespace could be had
# (the script skips itself with media_require_netns).
#
#   wav_freq [SOX-FORMAT...] FILE   the strongest frequency of a recording
#                                   (sox's spectrum summed over the file,
#                                   11.7 Hz bins at 48 kHz: a click or a gap
#                                   does not move it, as it moves a
#                                   zero-crossing count); raw files are
#                                   s16le 48 kHz mono: wav_freq $RAW FILE
#   wav_length [SOX-FORMAT...] FILE its length in seconds
#   wait_rc NAME CODE               NAME.rc (a background run) says CODE
#   between VALUE LOW HIGH          status 0 when LOW <= VALUE <= HIGH
#   turn_start                      coturn on 127.0.0.1:$TURN_PORT (3478:
#                                   the namespace has nothing else), user
#                                   sipws:secret, realm sipws.invalid,
#                                   relaying to loopback peers only; its
#                                   log in turn.log, its pid in
#                                   $TRASH/turn.job (call inside a test)
if [ -z "${MEDIA_TEST_NETNS:-}" ]; then
	if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null 2>&1 &&
	   command -v ip >/dev/null 2>&1; then
		MEDIA_TEST_NETNS=1 exec unshare --net sh -c \
			'ip link set lo up && exec sh "$0" "$@"' "$0" "$@"
	fi
	MEDIA_TEST_NETNS=none
fi

# After test-lib.sh: skip the script without a namespace.
media_require_netns() {
	[ "$MEDIA_TEST_NETNS" = 1 ] ||
		test_skip_all 'needs root, unshare(1) and ip(8) for a loopback-only network namespace'
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
RAW="-t raw -r 48000 -e signed -b 16 -c 1"
between() {
	awk -v v="$1" -v lo="$2" -v hi="$3" \
		'BEGIN { if (v == "" || v < lo || v > hi) { print "not in [" lo ", " hi "]: " v; exit 1 } }'
}

TURN_PORT=3478
turn_start() {
	turnserver -n --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 \
		--listening-port=$TURN_PORT --min-port=49152 --max-port=49252 \
		--lt-cred-mech --user=sipws:secret --realm=sipws.invalid \
		--allow-loopback-peers --no-tls --no-dtls --no-cli \
		--denied-peer-ip=0.0.0.0-126.255.255.255 \
		--denied-peer-ip=128.0.0.0-255.255.255.255 \
		--pidfile="$PWD/turn.pid" --log-file=stdout --simple-log \
		--verbose >turn.log 2>&1 &
	echo $! >"$TRASH/turn.job" &&
	i=0 &&
	while ! grep -q "Relay ports initialization done" turn.log; do
		i=$((i + 1)) && test $i -lt 50 && sleep 0.1 || return 1
	done
}

# wait_rc NAME CODE: wait (40 s at most) until NAME.rc holds the exit
# status of a program run in the background; status 0 when it is CODE.
wait_rc() {
	i=0 &&
	while ! test -s "$1.rc"; do
		i=$((i + 1)) && test $i -lt 400 && sleep 0.1 || return 1
	done &&
	test "$(cat "$1.rc")" = "$2" ||
		{ echo "$1 exited $(cat "$1.rc"), not $2"; return 1; }
}
