#!/bin/sh
# The sip-call tool through Kamailio on loopback (ICE on 127.0.0.1 only),
# run by scripts/bench.sh (KAM_* exported) or by hand with a Kamailio of
# tests/lib/kamailio.sh:
#  1. process start -> first decoded audio: `sip-call bob` from its exec to
#     its call/media event, the answerer (sip-call --answer --count 0) and
#     Kamailio already up; next to JsSIP in headless Chromium placing the
#     same call to the same answerer, from its `call` command to the page's
#     first audio (audio_started; the page loaded and registered already;
#     rtp_events false: a plain connection, without the tests' RTP pipes),
#     alternating, medians of RUNS and their ratio;
#  2. CPU (user+sys over wall) and max RSS of each endpoint process of a
#     SECONDS call (each side plays a tone and records), from GNU time;
#  3. concurrent calls: N sip-call --answer processes (users u1..uN added
#     to Kamailio's subscriber table) called by N sip-call at once, each
#     call CALL_SECONDS long, N ramping through STEPS; a step is without
#     loss when every call ends normally (exit 0 both sides), every call/end
#     says packets_lost 0 and both recordings of each call hold their tone
#     (wav_freq of tests/lib/media.sh) for most of the call (wav_length at
#     least CALL_SECONDS - 1.5); prints the largest N without loss and the
#     loss at the next step (with the calls that failed), then stops.
# Figures only: nothing here fails on time.
#
#   BENCH_SIPCALL_RUNS (5) BENCH_SIPCALL_SECONDS (60)
#   BENCH_SIPCALL_STEPS ("2 8 16 24 32") BENCH_SIPCALL_CALL_SECONDS (10)
#   BENCH_SIPCALL_PARTS ("start cpu concurrent")
set -u
url=${1:-${KAM_WS_URL:-}}
[ -n "$url" ] || { echo "usage: bench/sip-call.sh WS_URL" >&2; exit 1; }
runs=${BENCH_SIPCALL_RUNS:-5}
long=${BENCH_SIPCALL_SECONDS:-60}
steps=${BENCH_SIPCALL_STEPS:-2 8 16 24 32}
conc_s=${BENCH_SIPCALL_CALL_SECONDS:-10}
parts=${BENCH_SIPCALL_PARTS:-start cpu concurrent}
src=${SIPWS_SOURCE:-.}
scratch=${BENCH_DIR:-${TMPDIR:-/tmp}}/sip-call
mkdir -p "$scratch" || exit 1
cd "$scratch" || exit 1
: "${KAM_ALICE_PASSWORD:?}" "${KAM_BOB_PASSWORD:?}" "${KAM_DB:?}"
# wav_freq, between
. "$src/tests/lib/media.sh"

# conf USER PASSWORD: USER.conf for -c
conf() {
	{
		echo "websocket.servers = $url"
		echo "[user]"
		echo "uri = sip:$1@127.0.0.1"
		echo "sip_auth_password = $2"
	} >"$1.conf" && chmod 600 "$1.conf"
}
conf alice "$KAM_ALICE_PASSWORD" && conf bob "$KAM_BOB_PASSWORD" || exit 1

# The GStreamer registry of this HOME, made now: the first process to load
# GStreamer with none runs gst-plugin-scanner, whose ~90 MiB GNU time counts
# as that process's max RSS (wait4 reports reaped children's peak too), and
# whose seconds would land in one start-up figure.
gst-inspect-1.0 webrtcbin >/dev/null 2>&1 || true

median() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.1f", m }'
}
# ts_ms TOPIC FILE: the time stamp of TOPIC's first event, in epoch ms
ts_ms() {
	t=$(sed -n "s|^{\"ts\":\"\([^\"]*\)\",\"topic\":\"$1\".*|\1|p" "$2" | head -n 1)
	[ -n "$t" ] && date -u -d "$t" +%s%3N
}
# answerer NAME ARGS...: sip-call --answer as NAME in the background
# (NAME.out, NAME.err; its pid in $! of the caller's wait_reg), ICE on
# loopback
answerer() {
	a_who=$1
	shift
	rm -f "$a_who.out"
	sip-call -c "$a_who.conf" --ice-address 127.0.0.1 --answer "$@" \
		>"$a_who.out" 2>"$a_who.err" &
}
# wait_reg FILE PID: until FILE has registration/ok (30 s)
wait_reg() {
	w=0
	until grep -q '"topic":"registration/ok"' "$1" 2>/dev/null; do
		w=$((w + 1))
		if [ $w -gt 600 ] || ! kill -0 "$2" 2>/dev/null; then
			echo "sip-call: $1 did not register" >&2
			cat "${1%.out}.err" >&2
			return 1
		fi
		sleep 0.05
	done
}
field() { # NAME LINE: a number member of a JSON line
	printf '%s\n' "$2" | sed -n "s/.*\"$1\":\([0-9-]*\).*/\1/p"
}
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "load average at the start: $(load) (2 cores, shared)"

case " $parts " in *" start "*)
# 1. the answerer hangs up each call 1 s after answering. In a subshell:
# the test libraries (browser.sh) take the shell over (their TRASH, an
# EXIT trap that stops the browser).
(
	browser=no
	if command -v node >/dev/null 2>&1 && [ -x /usr/bin/chromium ]; then
		browser=yes
		set +u # the test libraries take unset variables as empty
		. "$src/tests/lib/test-lib.sh"
		. "$src/tests/lib/browser.sh"
		cd "$scratch" || exit 1
		browser_start jssip >/dev/null 2>&1 &&
		browser_register jssip sip:alice@127.0.0.1 "$KAM_ALICE_PASSWORD" \
			"$url" >/dev/null ||
			{ echo "sip-call: the browser did not register" >&2; exit 1; }
	fi
	answerer bob --count 0 --play tone:660 --duration 1 --timeout 600
	bob_pid=$!
	wait_reg bob.out $bob_pid || exit 1
	: >tool.ms
	: >tool-start.ms
	: >tool-call.ms
	: >jssip.ms
	n=0
	while [ $n -lt "$runs" ]; do
		s=$(date +%s%3N)
		sip-call -c alice.conf --ice-address 127.0.0.1 --play tone:440 \
			--timeout 30 bob >alice.out 2>alice.err || {
			cat alice.out alice.err >&2
			kill $bob_pid
			exit 1
		}
		m=$(ts_ms call/media alice.out) || { cat alice.out >&2; exit 1; }
		o=$(ts_ms call/outgoing alice.out) || { cat alice.out >&2; exit 1; }
		echo $((m - s)) >>tool.ms
		echo $((o - s)) >>tool-start.ms
		echo $((m - o)) >>tool-call.ms
		sleep 0.3
		if [ $browser = yes ]; then
			browser_call jssip sip:bob@127.0.0.1 "\"id\":\"b$n\",\"rtp_events\":false" >/dev/null &&
			browser_expect jssip audio_started "id=b$n" >started || {
				echo "sip-call: the browser's call failed" >&2
				kill $bob_pid
				exit 1
			}
			browser_field ms <started >>jssip.ms
			echo >>jssip.ms
			browser_expect -t 15 jssip call_ended "id=b$n" >/dev/null
			sleep 0.3
		fi
		n=$((n + 1))
	done
	kill $bob_pid
	wait $bob_pid 2>/dev/null
	tool=$(median <tool.ms)
	echo "sip-call, process start -> first decoded audio (call/media): median $tool ms of $runs ($(tr '\n' ' ' <tool.ms)ms)"
	echo "  of which process start -> INVITE sent (call/outgoing): median $(median <tool-start.ms) ms; call/outgoing -> call/media: median $(median <tool-call.ms) ms"
	if [ $browser = yes ]; then
		jssip=$(grep . jssip.ms | median)
		echo "JsSIP in Chromium, call command -> first audio, same answerer, same run: median $jssip ms of $runs ($(grep . jssip.ms | tr '\n' ' ')ms)"
		echo "  ratio sip-call / JsSIP: $(awk -v a="$tool" -v b="$jssip" 'BEGIN { printf "%.2f", a / b }') (sip-call's figure includes its process start; JsSIP's page was loaded and registered); the call alone (call/outgoing -> call/media) / JsSIP: $(awk -v a="$(median <tool-call.ms)" -v b="$jssip" 'BEGIN { printf "%.2f", a / b }')"
		browser_stop_all >/dev/null 2>&1
		test_run_cleanup
		rm -rf "$TRASH"
	else
		echo "JsSIP in Chromium: not measured (node or chromium missing)"
	fi
) || exit 1
;; esac

case " $parts " in *" cpu "*)
# 2. one long call, each endpoint under GNU time: user sys wall maxrss
/usr/bin/time -f '%U %S %e %M' -o bob.time sip-call -c bob.conf \
	--ice-address 127.0.0.1 --answer --play tone:660 --record bob.wav \
	--timeout $((long + 60)) >bob.out 2>bob.err &
bob_pid=$!
wait_reg bob.out $bob_pid || exit 1
/usr/bin/time -f '%U %S %e %M' -o alice.time sip-call -c alice.conf \
	--ice-address 127.0.0.1 --play tone:440 --record alice.wav \
	--duration "$long" --timeout $((long + 60)) bob >alice.out 2>alice.err ||
	{ cat alice.out alice.err >&2; exit 1; }
wait $bob_pid || { cat bob.out bob.err >&2; exit 1; }
for who in alice bob; do
	line=$(tail -n 1 $who.time)
	cpu=$(echo "$line" | awk '{ printf "%.2f", 100 * ($1 + $2) / $3 }')
	rss=$(echo "$line" | awk '{ printf "%.1f", $4 / 1024 }')
	[ $who = alice ] && what="caller (sip-call --duration $long)" ||
		what="answerer (sip-call --answer)"
	echo "$long s call, $what: CPU $cpu % of a core (user+sys $(echo "$line" | awk '{ print $1 + $2 }') s over $(echo "$line" | cut -d' ' -f3) s), max RSS $rss MiB"
done
echo "  the call: caller's call/end $(grep '"topic":"call/end"' alice.out | sed 's/.*"duration_ms"/"duration_ms"/')"
echo "  recordings: caller $(wav_freq alice.wav) Hz, answerer $(wav_freq bob.wav) Hz"
;; esac

case " $parts " in *" concurrent "*)
# 3. N calls at once, N answerers on users u1..uN
max=0
for n in $steps; do [ "$n" -gt $max ] && max=$n; done
i=1
while [ $i -le $max ]; do
	sqlite3 -batch -bail "$KAM_DB" "INSERT OR REPLACE INTO subscriber
		(username, domain, password) VALUES ('u$i', '127.0.0.1', 'u$i-secret');" ||
		exit 1
	conf "u$i" "u$i-secret" || exit 1
	i=$((i + 1))
done
echo "concurrent calls of $conc_s s (each side plays a tone and records), N answerers and N callers:"
best=0
for n in $steps; do
	rm -f u*.out a*.out u*.wav a*.wav ./*.rc
	pids=
	i=1
	while [ $i -le "$n" ]; do
		answerer "u$i" --play tone:660 --record "u$i.wav" \
			--timeout $((conc_s + 90))
		pids="$pids $!"
		i=$((i + 1))
	done
	i=1
	for p in $pids; do
		wait_reg "u$i.out" "$p" || exit 1
		i=$((i + 1))
	done
	t0=$(date +%s)
	i=1
	while [ $i -le "$n" ]; do
		(sip-call -c alice.conf --ice-address 127.0.0.1 --play tone:440 \
			--record "a$i.wav" --duration "$conc_s" \
			--timeout $((conc_s + 90)) "u$i" >"a$i.out" 2>"a$i.err"
		echo $? >"a$i.rc") &
		i=$((i + 1))
	done
	wait
	wall=$(($(date +%s) - t0))
	failed=0 lost=0 badtone=0 which= shortest=999
	i=1
	while [ $i -le "$n" ]; do
		if [ "$(cat "a$i.rc")" != 0 ]; then
			failed=$((failed + 1))
			which="$which a$i:exit=$(cat "a$i.rc")"
		fi
		if ! grep -q '"exit":0' "u$i.out"; then
			failed=$((failed + 1))
			which="$which u$i:$(grep -o '"cause":"[^"]*"' "u$i.out" | tail -n 1)"
		fi
		for f in "a$i.out" "u$i.out"; do
			l=$(field packets_lost "$(grep '"topic":"call/end"' "$f")")
			lost=$((lost + ${l:-0}))
		done
		for f in "a$i.wav 650 670" "u$i.wav 433 447"; do
			set -- $f
			len=$(wav_length "$1" 2>/dev/null)
			shortest=$(awk -v a="${len:-0}" -v b="$shortest" 'BEGIN { print (a < b) ? a : b }')
			between "$(wav_freq "$1" 2>/dev/null)" "$2" "$3" >/dev/null &&
			between "$len" \
				"$(awk -v s="$conc_s" 'BEGIN { print s - 1.5 }')" 999 >/dev/null ||
				{ badtone=$((badtone + 1)); which="$which $1"; }
		done
		i=$((i + 1))
	done
	echo "  N=$n: packets lost $lost, ended abnormally $failed, recordings without their tone or short $badtone (of $((2 * n)); the shortest $shortest s); $wall s for the step; load $(load)"
	if [ $lost -ne 0 ] || [ $failed -ne 0 ] || [ $badtone -ne 0 ]; then
		echo "largest N without loss: $best; at N=$n: $lost packets lost, $failed call ends abnormal, $badtone recordings without their tone or short (${which# })"
		break
	fi
	best=$n
done
[ "$best" = "$n" ] && echo "largest N without loss: $best (the last step; BENCH_SIPCALL_STEPS for more)"
;; esac
echo "load average at the end: $(load)"
exit 0
