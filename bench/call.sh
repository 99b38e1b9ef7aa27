#!/bin/sh
# Calls between two libsipws endpoints through Kamailio on loopback
# (tests/programs/ua-call.c built against the installed library, as an
# outside program would): offer -> first decoded audio on the caller, the
# caller running for 0.5 s already (its DTLS certificate made: target <=
# 100 ms), process start -> first audio, registration and certificate
# included, the caller dialling as soon as it is registered (target <= 250
# ms), and the CPU and RSS of each endpoint over a 60 s
# call (targets <= 4 % of a core, <= 40 MiB). Run by scripts/bench.sh
# (KAM_* exported), or by hand:
#
#   bench/call.sh [WS_URL [RUNS [SECONDS]]]   (default 10 runs, a 60 s call)
#
# Prints medians and the targets, PASS or MISS; never fails on time.
set -u

url=${1:-${KAM_WS_URL:-}}
runs=${2:-${BENCH_CALL_RUNS:-10}}
long=${3:-${BENCH_CALL_SECONDS:-60}}
[ -n "$url" ] || { echo "usage: bench/call.sh WS_URL [RUNS [SECONDS]]" >&2; exit 1; }
src=${SIPWS_SOURCE:-.}
build=${SIPWS_BUILD:-build/default}
scratch=${BENCH_DIR:-${TMPDIR:-/tmp}}/call
mkdir -p "$scratch" || exit 1
# The GStreamer registry of this HOME, made before anything is timed: the
# first process to load GStreamer without one runs gst-plugin-scanner for
# seconds under load (bob once missed its registration wait), and GNU
# time would count that child's ~90 MiB in the process's max RSS.
gst-inspect-1.0 webrtcbin >/dev/null 2>&1 || true
: "${KAM_ALICE_PASSWORD:?}" "${KAM_BOB_PASSWORD:?}"

# The program against the installed tree (umbrella header, sipws.pc).
root="$scratch/root"
make -s -C "$src" install BUILD="${build#"$src"/}" DESTDIR="$root" \
	PREFIX=/usr/local >"$scratch/install.log" 2>&1 || {
	cat "$scratch/install.log" >&2
	exit 1
}
pc() {
	PKG_CONFIG_PATH="$root/usr/local/lib/pkgconfig" pkg-config "$@" sipws |
		sed "s|/usr/local|$root/usr/local|g"
}
# shellcheck disable=SC2046
${CC:-cc} -O2 $(pc --cflags) -o "$scratch/ua-call" \
	"$src/tests/programs/ua-call.c" $(pc --libs) || exit 1
UA_CALL="$scratch/ua-call"

median() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.1f", m }'
}
verdict() { # VALUE TARGET
	awk -v v="$1" -v t="$2" 'BEGIN { print (v != "-" && v <= t) ? "PASS" : "MISS" }'
}

# bob_start ARGS...: bob answers in the background, registered on return
bob_start() {
	rm -f "$scratch/bob.out"
	UA_CALL_PASSWORD=$KAM_BOB_PASSWORD "$UA_CALL" "$url" sip:bob@127.0.0.1 \
		--tone 660 "$@" >"$scratch/bob.out" 2>"$scratch/bob.err" &
	bob_pid=$!
	i=0
	until grep -q '^registered' "$scratch/bob.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 200 ] || { echo "call: bob did not register" >&2; return 1; }
		sleep 0.05
	done
}

: >"$scratch/dial.ms"
: >"$scratch/start.ms"
# one_call FILE ARGS...: one call from alice; the figure from the
# "times" line (dial_ms, or start for process start -> first audio)
one_call() {
	what=$1
	shift
	bob_start || return 1
	s=$(date +%s%N)
	UA_CALL_PASSWORD=$KAM_ALICE_PASSWORD "$UA_CALL" "$url" \
		sip:alice@127.0.0.1 --dial sip:bob@127.0.0.1 --seconds 1 \
		--times "$@" >"$scratch/alice.out" 2>"$scratch/alice.err"
	wait "$bob_pid"
	line=$(grep '^times ' "$scratch/alice.err")
	[ -n "$line" ] || { cat "$scratch/alice.out" "$scratch/alice.err" >&2; return 1; }
	if [ "$what" = dial ]; then
		echo "$line" | sed -n 's/.*dial_ms=\([0-9.]*\).*/\1/p'
	else
		e=$(echo "$line" | sed -n 's/.*media_epoch_ns=\([0-9]*\).*/\1/p')
		echo "$(((e - s) / 1000))" | awk '{ printf "%.1f\n", $1 / 1000 }'
	fi
}
n=0
while [ $n -lt "$runs" ]; do
	one_call dial --dial-after 500 >>"$scratch/dial.ms" || exit 1
	one_call start >>"$scratch/start.ms" || exit 1
	n=$((n + 1))
done
dial=$(median <"$scratch/dial.ms")
start=$(median <"$scratch/start.ms")
echo "offer -> first decoded audio (caller, through Kamailio): median $dial ms of $runs   target <= 100 ms   $(verdict "$dial" 100)"
echo "process start -> first audio (registration included):   median $start ms of $runs   target <= 250 ms   $(verdict "$start" 250)"

# One long call; each endpoint's CPU over its whole life, and its RSS.
bob_start --times || exit 1
UA_CALL_PASSWORD=$KAM_ALICE_PASSWORD "$UA_CALL" "$url" sip:alice@127.0.0.1 \
	--dial sip:bob@127.0.0.1 --seconds "$long" --times \
	>"$scratch/alice.out" 2>"$scratch/alice.err"
wait "$bob_pid"
for who in alice bob; do
	line=$(grep '^rusage ' "$scratch/$who.err")
	[ -n "$line" ] || { cat "$scratch/$who.err" >&2; exit 1; }
	cpu=$(echo "$line" | sed -n 's/.*cpu_s=\([0-9.]*\) .*wall_s=\([0-9.]*\).*/\1 \2/p' |
		awk '{ printf "%.2f", 100 * $1 / $2 }')
	rss=$(echo "$line" | sed -n 's/.*maxrss_kib=\([0-9]*\).*/\1/p' |
		awk '{ printf "%.1f", $1 / 1024 }')
	echo "$long s call, $who: CPU $cpu % of a core   target <= 4 %   $(verdict "$cpu" 4);   max RSS $rss MiB   target <= 40 MiB   $(verdict "$rss" 40)"
done

# The same call placed by JsSIP in headless Chromium (the browser peer,
# tests/browser), answered by the library: from the `call` command to the
# page's first 20 ms of received audio above -40 dBFS (its audio_started
# event), measured in the same run. rtp_events false: a plain connection,
# as a web page's, without the pipes the tests read RFC 4733 events from.
if command -v node >/dev/null 2>&1 && [ -x /usr/bin/chromium ]; then
	(
		set +u # the test libraries take unset variables as empty
		. "$src/tests/lib/test-lib.sh"
		. "$src/tests/lib/browser.sh"
		browser_start jssip >/dev/null 2>&1 &&
		browser_register jssip sip:alice@127.0.0.1 "$KAM_ALICE_PASSWORD" \
			"$url" >/dev/null || { echo "call: the browser did not register" >&2; exit 1; }
		: >"$scratch/jssip.ms"
		n=0
		while [ $n -lt "$runs" ]; do
			bob_start --seconds 1 || exit 1
			browser_call jssip sip:bob@127.0.0.1 "\"id\":\"b$n\",\"rtp_events\":false" >/dev/null &&
			browser_expect jssip audio_started "id=b$n" >"$scratch/started" ||
				exit 1
			browser_field ms <"$scratch/started" >>"$scratch/jssip.ms"
			echo >>"$scratch/jssip.ms"
			browser_expect -t 15 jssip call_ended "id=b$n" >/dev/null
			wait "$bob_pid"
			n=$((n + 1))
		done
		jssip=$(grep . "$scratch/jssip.ms" | median)
		echo "JsSIP in Chromium, call -> first audio (same call, same run): median $jssip ms of $runs; the library's offer -> first audio is $(awk -v a="$dial" -v b="$jssip" 'BEGIN { printf "%.2f", a / b }')x that"
		browser_stop_all
		test_run_cleanup
		rm -rf "$TRASH"
	) || exit 1
else
	echo "JsSIP in Chromium: not measured (node or chromium missing)"
fi
