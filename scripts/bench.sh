#!/bin/sh
# make bench: start a private Kamailio on loopback (tests/lib/kamailio.sh),
# build the benchmark helpers of bench/ (runner, sip-sink) against the
# library, then run every bench/*.sh with the server's ws:// URL as its
# argument and the KAM_* variables, BENCH_BIN (the helpers) and BENCH_DIR
# (a scratch directory) exported.
# Each prints its figures next to its targets, PASS or MISS; a miss never
# fails the make (only a benchmark that cannot run at all does).
# BENCH_ONLY="NAME ..." runs only those of bench/ (call, sip-msg, ...).
set -u
: "${SIPWS_SOURCE:?run through make bench}"
: "${SIPWS_BUILD:?run through make bench}"

# The test library gives a scratch directory with its own HOME (no
# personal configuration), and stops the server however this ends.
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"
kam_require_sipsak

BENCH_BIN="$SIPWS_BUILD/bench"
mkdir -p "$BENCH_BIN" || exit 1
CC=${CC:-cc}
# The library needs GLib only at run time, for a LOOP_GLIB loop.
PKGS="openssl libwebsockets"
$CC -std=c11 -D_GNU_SOURCE -O2 -o "$BENCH_BIN/runner" \
	"$SIPWS_SOURCE/bench/runner.c" || exit 1
# shellcheck disable=SC2046
$CC -std=c11 -D_GNU_SOURCE -O2 -I"$SIPWS_SOURCE/lib" \
	$(pkg-config --cflags $PKGS) -o "$BENCH_BIN/sip-sink" \
	"$SIPWS_SOURCE/bench/sip-sink.c" "$SIPWS_BUILD/libsipws.a" \
	$(pkg-config --libs $PKGS) || exit 1
# shellcheck disable=SC2046
$CC -std=c11 -D_GNU_SOURCE -O2 -I"$SIPWS_SOURCE/lib" \
	-o "$BENCH_BIN/ws-answer" "$SIPWS_SOURCE/bench/ws-answer.c" \
	"$SIPWS_BUILD/libsipws.a" $(pkg-config --libs $PKGS) || exit 1
# The transport's own driver, for bench/ws-startup.sh (make test builds it
# too).
probe="$SIPWS_BUILD/tests/helpers/ws-probe"
if [ ! -x "$probe" ]; then
	mkdir -p "$(dirname "$probe")"
	# shellcheck disable=SC2046
	$CC -std=c11 -D_GNU_SOURCE -O2 -I"$SIPWS_SOURCE/lib" \
		$(pkg-config --cflags $PKGS) -o "$probe" \
		"$SIPWS_SOURCE/tests/helpers/ws-probe.c" \
		"$SIPWS_BUILD/libsipws.a" $(pkg-config --libs $PKGS) || exit 1
fi

# The same tools linked with STATIC_DEPS=1 (build/static), measured
# beside the default build.
make -C "$SIPWS_SOURCE" --no-print-directory STATIC_DEPS=1 tools \
	>"$BENCH_BIN/static-build.log" 2>&1 || {
	cat "$BENCH_BIN/static-build.log" >&2
	exit 1
}
BENCH_STATIC_BIN="$SIPWS_SOURCE/build/static/bin"

# Room for every transaction of the stream during Kamailio's 5 s wait
# (the tests' 64 MiB holds about 2,000), and its O(1) allocator: the
# default one walks free lists, most of a loaded worker's time.
kamailio_start --log-level=-1 --memory=512 --pkg-memory=32 --malloc=tlsf
BENCH_DIR="$TRASH/work"
mkdir -p "$BENCH_DIR"
export BENCH_BIN BENCH_STATIC_BIN BENCH_DIR KAM_ALICE_PASSWORD KAM_BOB_PASSWORD
echo "bench: Kamailio $(kamailio -v 2>/dev/null | sed -n 's/^version: kamailio \([^ ]*\).*/\1/p') on 127.0.0.1 (ws $KAM_WS_PORT, wss $KAM_WSS_PORT, udp $KAM_UDP_PORT)"

status=0
for b in "$SIPWS_SOURCE"/bench/*.sh; do
	[ -f "$b" ] || continue
	# BENCH_ONLY="call sip-msg": only these
	case " ${BENCH_ONLY:-$(basename "$b" .sh)} " in
	*" $(basename "$b" .sh) "*) ;;
	*) continue ;;
	esac
	echo
	echo "== $(basename "$b" .sh)"
	sh "$b" "$KAM_WS_URL" || {
		echo "bench: $(basename "$b") could not run" >&2
		status=1
	}
done
test_run_cleanup
rm -rf "$TRASH"
exit "$status"
