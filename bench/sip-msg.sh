#!/bin/sh
# sip-msg against sipsak and on its own; run by scripts/bench.sh with a
# private Kamailio (KAM_*) and the helpers of bench/ in BENCH_BIN:
#  1. one MESSAGE with digest authentication, delivered through Kamailio
#     to a registered user agent (bench/sip-sink): sip-msg over ws:// and
#     wss:// next to sipsak over UDP (the request from a file: Debian's
#     sipsak crashes in its -M mode) and /bin/true; the runs alternate,
#     medians of the wall time of whole processes and the largest peak
#     RSS, with the ratios of the targets (ws:// <= 0.3x sipsak and <=
#     2.5x /bin/true, wss:// <= 0.45x sipsak, RSS <= 8 MiB); the same for
#     the tools built with STATIC_DEPS=1 (BENCH_STATIC_BIN); then the
#     floors under a run (an empty main() without and with the tools'
#     libraries) and the phases they give; with BENCH_REF_SIPMSG (a
#     sip-msg built from an earlier commit) that one too, compared with
#     this build (within 5 %);
#  2. sip-msg --stream through Kamailio to the same user agent;
#  3. sip-msg --stream to bench/ws-answer, which answers at once: the
#     client's own rate, without the proxy's authentication and
#     transaction memory in the way.
set -u
RUNS=${BENCH_RUNS:-31}
PROXY_STREAM=${BENCH_PROXY_STREAM:-10000}
STREAM=${BENCH_STREAM:-20000}
WINDOW=${BENCH_WINDOW:-32}
RUNNER="$BENCH_BIN/runner"
cd "$BENCH_DIR" || exit 1

# The receiving user agent: bob, over ws://.
"$BENCH_BIN/sip-sink" sip:bob@127.0.0.1 "$KAM_BOB_PASSWORD" "$KAM_WS_URL" \
	>sink.out 2>sink.err &
sink=$!
trap 'kill $sink 2>/dev/null' EXIT
for i in $(seq 50); do
	grep -qs '^registered$' sink.out && break
	sleep 0.1
done
grep -q '^registered$' sink.out || { cat sink.err >&2; exit 1; }

cat >sip-msg.conf <<EOF2
websocket.servers = $KAM_WS_URL
[user]
uri = sip:alice@127.0.0.1
sip_auth_password = $KAM_ALICE_PASSWORD
EOF2
chmod 600 sip-msg.conf

# The same MESSAGE for sipsak, without Via (sipsak adds its own).
body='Hello from the benchmark'
{
	printf 'MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\n'
	printf 'From: <sip:alice@127.0.0.1>;tag=bench%s\r\n' "$$"
	printf 'To: <sip:bob@127.0.0.1>\r\n'
	printf 'Call-ID: bench-%s@127.0.0.1\r\n' "$$"
	printf 'CSeq: 1 MESSAGE\r\n'
	printf 'Max-Forwards: 70\r\n'
	printf 'Content-Type: text/plain;charset=UTF-8\r\n'
	printf 'Content-Length: %s\r\n\r\n%s' "${#body}" "$body"
} >message.sip

# field NAME LINE: the value of NAME=value in a runner line.
field() {
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
verdict() {
	if [ "$1" = 1 ]; then echo PASS; else echo MISS; fi
}
le() {
	awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? 1 : 0 }'
}
div() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'
}
# median FILE: of the first column; max FILE COLUMN; failed FILE.
median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.3f", m }'
}
maxcol() {
	awk -v c="$2" '$c > m { m = $c } END { print m + 0 }' "$1"
}
failed() {
	awk '$3 != 0 { n++ } END { print n + 0 }' "$1"
}
# once NAME STATUS CMD...: one run, "ms rss failed" appended to NAME.runs.
once() {
	o_name=$1 o_status=$2
	shift 2
	o_line=$("$RUNNER" -n 1 -w 0 -x "$o_status" -- "$@")
	echo "$(field median_ms "$o_line") $(field max_rss_kib "$o_line") $(field failed "$o_line")" >>"$o_name.runs"
}

# The floors a one-off run stands on, measured in the same alternation:
# an empty main() linked with nothing (starting a process), and the same
# linked with the libraries the tools load (libwebsockets brings libssl,
# libcrypto, libcap and zlib as its own DT_NEEDED): what the dynamic loader
# costs before main().
echo 'int main(void) { return 0; }' >empty.c
${CC:-cc} -O2 -o empty empty.c || exit 1
# shellcheck disable=SC2046
${CC:-cc} -O2 -o empty-libs empty.c -Wl,--no-as-needed \
	$(pkg-config --libs openssl libwebsockets) || exit 1

rm -f ./*.runs
# Warm the caches, then alternate them all so that drift hits all alike.
for i in 1 2 3; do
	once warm 0 sip-msg -q -c sip-msg.conf bob "$body"
	once warm 0 sipsak -L -G -H 127.0.0.1 -f message.sip \
		-s sip:bob@127.0.0.1 -p "127.0.0.1:$KAM_UDP_PORT" \
		-u alice -a "$KAM_ALICE_PASSWORD"
done
for i in $(seq "$RUNS"); do
	once true 0 /bin/true
	once empty 0 ./empty
	once libs 0 ./empty-libs
	once version 0 sip-msg --version
	once sipsak 0 sipsak -L -G -H 127.0.0.1 -f message.sip \
		-s sip:bob@127.0.0.1 -p "127.0.0.1:$KAM_UDP_PORT" \
		-u alice -a "$KAM_ALICE_PASSWORD"
	once ws 0 sip-msg -q -c sip-msg.conf bob "$body"
	once wss 0 sip-msg -q -c sip-msg.conf -s "$KAM_WSS_URL" \
		--ca-file "$KAM_CA" bob "$body"
	once sversion 0 "$BENCH_STATIC_BIN/sip-msg" --version
	once sws 0 "$BENCH_STATIC_BIN/sip-msg" -q -c sip-msg.conf bob "$body"
	once swss 0 "$BENCH_STATIC_BIN/sip-msg" -q -c sip-msg.conf \
		-s "$KAM_WSS_URL" --ca-file "$KAM_CA" bob "$body"
	if [ -n "${BENCH_REF_SIPMSG:-}" ]; then
		once ref 0 "$BENCH_REF_SIPMSG" -q -c sip-msg.conf bob "$body"
	fi
done
row() {
	printf '  %-42s %8s ms  peak RSS %6s KiB  failed %s\n' "$1" \
		"$(median "$2.runs")" "$(maxcol "$2.runs" 2)" "$(failed "$2.runs")"
}
# target LABEL VALUE OP LIMIT: a figure against its target, PASS or MISS.
target() {
	if [ "$3" = '<=' ]; then t_ok=$(le "$2" "$4"); else t_ok=$(le "$4" "$2"); fi
	printf '  %-42s %8s  target %s %-7s %s\n' "$1" "$2" "$3" "$4" \
		"$(verdict "$t_ok")"
}
# peak_rss NAME...: the largest peak RSS of their runs (KiB).
peak_rss() {
	pr=0
	for pr_name; do
		pr_v=$(maxcol "$pr_name.runs" 2)
		[ "$pr_v" -gt "$pr" ] && pr=$pr_v
	done
	echo "$pr"
}
echo "one MESSAGE with digest via Kamailio to a registered UA, median of $RUNS alternating runs (whole process):"
row "/bin/true" true
row "sipsak, UDP" sipsak
row "empty main(), no libraries" empty
row "empty main(), the tools' libraries" libs
row "sip-msg --version" version
row "sip-msg, ws://" ws
row "sip-msg, wss://" wss
row "sip-msg STATIC_DEPS=1 --version" sversion
row "sip-msg STATIC_DEPS=1, ws://" sws
row "sip-msg STATIC_DEPS=1, wss://" swss
true_ms=$(median true.runs)
s_ms=$(median sipsak.runs)
# targets WS WSS: the targets for the runs named WS (ws://) and WSS.
targets() {
	target "ws:// / sipsak" "$(div "$(median "$1.runs")" "$s_ms")" '<=' 0.30
	target "ws:// / /bin/true" "$(div "$(median "$1.runs")" "$true_ms")" \
		'<=' 2.50
	target "wss:// / sipsak" "$(div "$(median "$2.runs")" "$s_ms")" '<=' 0.45
	target "peak RSS, ws:// and wss:// (KiB)" "$(peak_rss "$1" "$2")" \
		'<=' 8192
}
echo "targets (ratios against sipsak and /bin/true of this run):"
targets ws wss
echo "the same for STATIC_DEPS=1 (not the default build; for comparison):"
targets sws swss
# BENCH_REF_SIPMSG: another build of sip-msg (an earlier commit's), run in
# the same alternation: calls must not make the signalling tools slower.
if [ -n "${BENCH_REF_SIPMSG:-}" ]; then
	printf '  %-42s %8s ms\n' "reference sip-msg, ws://" "$(median ref.runs)"
	target "ws:// / the reference" "$(div "$(median ws.runs)" "$(median ref.runs)")" \
		'<=' 1.05
fi
# Where a ws:// run's time goes: differences of the medians above (so
# they add up only roughly). bench/ws-startup.sh splits main() further:
# connecting and the WebSocket handshake, one request's round trip.
# phase LABEL A [B]: the median of A's runs minus that of B's.
phase() {
	ph_b=0
	[ $# -gt 2 ] && ph_b=$(median "$3.runs")
	printf '  %-50s %8s ms\n' "$1" "$(awk -v a="$(median "$2.runs")" \
		-v b="$ph_b" 'BEGIN { printf "%.3f", a - b }')"
}
echo "phases of a ws:// run (differences of the medians above):"
phase "start a process (empty main)" empty
phase "load the shared libraries (empty main with them)" libs empty
phase "load sip-msg (--version minus empty main)" version empty
phase "the same, STATIC_DEPS=1" sversion empty
phase "main(): configuration, connection, 2 MESSAGEs" ws version
phase "the same, STATIC_DEPS=1" sws sversion
phase "TLS (wss:// minus ws://)" wss ws

# stream NAME COUNT URL TARGET: sip-msg --stream; prints rate and lost.
stream() {
	seq "$2" >lines
	st0=$(date +%s%N)
	sip-msg -q -c sip-msg.conf -s "$3" --stream --window "$WINDOW" "$4" \
		<lines >"$1.out"
	st_rc=$?
	st1=$(date +%s%N)
	st_ok=$(grep -c ' 200 OK ' "$1.out")
	st_lost=$(($2 - st_ok))
	st_rate=$(awk -v n="$2" -v ns="$((st1 - st0))" \
		'BEGIN { printf "%d", n / (ns / 1e9) }')
	printf '  %-42s %8s  target >= 10000  %s\n' "messages per second" \
		"$st_rate" "$(verdict "$(le 10000 "$st_rate")")"
	printf '  %-42s %8s  target 0         %s\n' \
		"lost (no 200 OK; exit status $st_rc)" "$st_lost" \
		"$(verdict "$([ "$st_lost" -eq 0 ] && echo 1 || echo 0)")"
}

# Kamailio keeps each transaction 5 s after its answer: let the one-off
# runs' go first (scripts/bench.sh gives it the memory for the stream's).
sleep 6
echo "sip-msg --stream --window $WINDOW, $PROXY_STREAM messages via Kamailio (digest on each) to the registered UA:"
stream proxy "$PROXY_STREAM" "$KAM_WS_URL" bob
kill -TERM $sink
wait $sink 2>/dev/null
trap - EXIT
delivered=$(($(awk '$3 == 0' warm.runs sipsak.runs ws.runs wss.runs sws.runs \
	swss.runs | wc -l) + \
	$(grep -c ' 200 OK ' proxy.out)))
printf '  %-42s %8s  (200 OK answers sent to the senders: %s)\n' \
	"MESSAGEs the registered UA received" \
	"$(sed -n 's/^received //p' sink.out)" "$delivered"

"$BENCH_BIN/ws-answer" >answer.out 2>answer.err &
answer=$!
for i in $(seq 50); do
	grep -q '^port ' answer.out && break
	sleep 0.1
done
port=$(sed -n 's/^port //p' answer.out)
echo "sip-msg --stream --window $WINDOW, $STREAM messages to bench/ws-answer (no proxy, no digest):"
stream direct "$STREAM" "ws://127.0.0.1:$port/" "sip:bob@127.0.0.1"
wait $answer
printf '  %-42s %8s\n' "answered by ws-answer" \
	"$(sed -n 's/^answered //p' answer.out)"
exit 0
