#!/bin/sh
# Run each named libFuzzer target for FUZZ_SECONDS from its seeds, or for
# FUZZ_RUNS executions when that is set (a long campaign outside CI:
# `make fuzz FUZZ_RUNS=10000000`). A target
# writes new inputs to a scratch corpus under the build directory; seeds in
# fuzz/seeds/NAME and, for the SIP message parser, the shared RFC corpora (for
# SDP, tests/sdp-corpus) are
# read-only inputs. Crashes land in build/fuzz/findings/NAME and fail the run.
set -u
: "${FUZZ_BUILD:=build/fuzz}" "${FUZZ_SECONDS:=60}" "${CORPUS:=../shared/corpus}"

status=0
for name in "$@"; do
	bin="$FUZZ_BUILD/fuzz_$name"
	work="$FUZZ_BUILD/corpus/$name"
	findings="$FUZZ_BUILD/findings/$name"
	mkdir -p "$work" "$findings"
	seeds=""
	[ -d "fuzz/seeds/$name" ] && seeds="fuzz/seeds/$name"
	# The real offers and answers of tests/sdp-corpus seed the SDP parser.
	[ "$name" = sdp ] && seeds="$seeds tests/sdp-corpus"
	if [ "$name" = sipmsg ]; then
		for d in "$CORPUS/rfc4475" "$CORPUS/rfc5118"; do
			[ -d "$d" ] && seeds="$seeds $d"
		done
	fi
	dict=""
	[ -f "fuzz/$name.dict" ] && dict="-dict=fuzz/$name.dict"
	log="$FUZZ_BUILD/$name.log"
	if [ -n "${FUZZ_RUNS:-}" ]; then
		limit="-runs=$FUZZ_RUNS" span="$FUZZ_RUNS runs"
	else
		limit="-max_total_time=$FUZZ_SECONDS" span="${FUZZ_SECONDS}s"
	fi
	echo "fuzz: $name for $span"
	start=$(date +%s)
	# shellcheck disable=SC2086
	if "$bin" $limit -print_final_stats=1 \
		-artifact_prefix="$findings/" -max_len=70000 $dict \
		"$work" $seeds >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "fuzz: $name: no finding in $(($(date +%s) - start))s (${execs:-?} runs)"
	else
		echo "fuzz: $name: FINDING, see $log and $findings" >&2
		tail -n 30 "$log" >&2
		status=1
	fi
done
exit $status
