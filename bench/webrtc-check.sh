#!/bin/sh
# The time of a full default webrtc-check run (every suite) against
# Kamailio's ws:// URL, and of each suite alone; no STUN or TURN server
# (the network suite gathers host candidates only). Run by
# scripts/bench.sh (KAM_WS_URL exported), or by hand:
#
#   bench/webrtc-check.sh [WS_URL [RUNS]]    (default $KAM_WS_URL, 10 runs)
#
# Prints medians in ms; informative, no target.
set -u

url=${1:-${KAM_WS_URL:-}}
runs=${2:-${BENCH_RUNS_CHECK:-10}}
[ -n "$url" ] || { echo "usage: bench/webrtc-check.sh WS_URL [RUNS]" >&2; exit 1; }
build=${SIPWS_BUILD:-build/default}
tool="$build/bin/webrtc-check"
[ -x "$tool" ] || { echo "webrtc-check: $tool is not built" >&2; exit 1; }
# A configuration of its own: nothing from the user's.
conf=${BENCH_DIR:-${TMPDIR:-/tmp}}/webrtc-check.conf
: >"$conf"

"$tool" -c "$conf" -s "$url" --suite server >/dev/null ||
	{ echo "webrtc-check: the server suite fails against $url" >&2; exit 1; }

median() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.1f", m / 1000 }'
}

# run_ms ARGS...: median wall time of RUNS runs of webrtc-check ARGS
run_ms() {
	i=0
	while [ $i -lt "$runs" ]; do
		s=$(date +%s%N)
		"$tool" -c "$conf" -s "$url" "$@" >/dev/null
		e=$(date +%s%N)
		echo "$(((e - s) / 1000))"
		i=$((i + 1))
	done | median
}

printf 'full default run (every suite)                %8s ms  (median of %s)\n' "$(run_ms)" "$runs"
for s in $("$tool" --list-suites); do
	printf '  --suite %-12s                         %8s ms\n' "$s" "$(run_ms --suite "$s")"
done
