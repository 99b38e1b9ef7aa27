#!/bin/sh
# Re-capture the real SDP of tests/sdp-corpus: offers, answers and hold
# re-offers from Debian's Chromium (tests/browser/capture-sdp.mjs, as JsSIP
# sends them) and from GStreamer's webrtcbin (scripts/capture-webrtcbin-sdp.c),
# and each one's answer to the other's offer and to the hand-written
# softphone offer (webrtcbin's after lib/sdp.c's edits: it refuses the offer
# as is). Runs inside a loopback-only network namespace (root), so every
# candidate is on 127.0.0.1. Hand-written files are left alone. Needs the
# library built (make).
#   sh scripts/capture-sdp.sh [OUT_DIR]     (default tests/sdp-corpus)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/tests/sdp-corpus}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sh "$here/scripts/browser-deps.sh"
make -C "$here" --no-print-directory lib >/dev/null
# shellcheck disable=SC2046
cc -I"$here/lib" -o "$tmp/capture-webrtcbin-sdp" \
	"$here/scripts/capture-webrtcbin-sdp.c" "$here/build/default/libsipws.a" \
	$(pkg-config --cflags --libs gstreamer-webrtc-1.0 gstreamer-sdp-1.0)
mkdir -p "$out"
unshare --net sh -c '
	set -eu
	ip link set lo up
	cap=$1 out=$2 here=$3 tmp=$4
	"$cap" > "$out/webrtcbin-audio-offer.sdp"
	"$cap" --video > "$out/webrtcbin-av-offer.sdp"
	node "$here/tests/browser/capture-sdp.mjs" "$out" \
		"$out/webrtcbin-audio-offer.sdp" "$out/webrtcbin-av-offer.sdp" \
		"$out/softphone-offer.sdp"
	"$cap" --answer "$out/chromium-audio-offer.sdp" > "$out/webrtcbin-answer-to-chromium-audio-offer.sdp"
	"$cap" --answer "$out/chromium-av-offer.sdp" > "$out/webrtcbin-answer-to-chromium-av-offer.sdp"
	"$cap" --answer "$out/softphone-offer.sdp" --prepare > "$out/webrtcbin-answer-to-softphone-offer.sdp"
' sh "$tmp/capture-webrtcbin-sdp" "$out" "$here" "$tmp"
ls "$out"
