#!/bin/sh
test_description='webrtc-check system suite: every GStreamer element the
media session needs (a missing one named with its Debian package), DTLS
1.2 with ECDSA P-256 negotiating each SRTP profile, a libsrtp2 round trip
per profile; the output formats and the exit codes'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"

command -v webrtc-check >/dev/null 2>&1 || test_skip_all 'webrtc-check is not built'
PLUGINS=$(pkg-config --variable=pluginsdir gstreamer-1.0 2>/dev/null)
[ -f "$PLUGINS/libgstcoreelements.so" ] && [ -f "$PLUGINS/libgstopus.so" ] ||
	test_skip_all 'GStreamer core elements or the opus plugin are missing'

mask() {
	sed -E -e 's/(ms|overhead_bytes)=[0-9.]+/\1=N/g' \
	    -e 's/ [0-9]+\.[0-9]+\.[0-9]+$/ VERSION/' "$1"
}

test_expect_success 'with every plugin: every check passes (exit 0)' '
	webrtc-check -c /dev/null --suite system --tap >out &&
	test_grep "^1\.\.39$" out &&
	test_grep -v "^not ok" out &&
	test_grep "^ok 2 - system: element webrtcbin: plugin webrtc " out
'

test_expect_success 'a plugin path lacking most plugins names each missing element and its package (exit 1)' '
	mkdir plugins &&
	ln -s "$PLUGINS/libgstcoreelements.so" "$PLUGINS/libgstopus.so" plugins/ &&
	GST_PLUGIN_SYSTEM_PATH_1_0="$PWD/plugins" GST_PLUGIN_PATH_1_0= \
	GST_PLUGIN_PATH= GST_REGISTRY_1_0="$PWD/registry.bin" \
	test_expect_code 1 webrtc-check -c /dev/null --suite system --tap >out &&
	mask out >masked &&
	cat >expect <<-EOF &&
	ok 1 - system: gstreamer: GStreamer VERSION
	not ok 2 - system: element webrtcbin: missing: install gstreamer1.0-plugins-bad
	not ok 3 - system: element nicesrc: missing: install gstreamer1.0-nice
	not ok 4 - system: element nicesink: missing: install gstreamer1.0-nice
	not ok 5 - system: element dtlsdec: missing: install gstreamer1.0-plugins-bad
	not ok 6 - system: element dtlsenc: missing: install gstreamer1.0-plugins-bad
	not ok 7 - system: element srtpenc: missing: install gstreamer1.0-plugins-bad
	not ok 8 - system: element srtpdec: missing: install gstreamer1.0-plugins-bad
	not ok 9 - system: element rtpbin: missing: install gstreamer1.0-plugins-good
	ok 10 - system: element opusenc: plugin opus VERSION
	ok 11 - system: element opusdec: plugin opus VERSION
	not ok 12 - system: element rtpopuspay: missing: install gstreamer1.0-plugins-good
	not ok 13 - system: element rtpopusdepay: missing: install gstreamer1.0-plugins-good
	not ok 14 - system: element rtppcmudepay: missing: install gstreamer1.0-plugins-good
	not ok 15 - system: element rtppcmadepay: missing: install gstreamer1.0-plugins-good
	not ok 16 - system: element mulawdec: missing: install gstreamer1.0-plugins-good
	not ok 17 - system: element alawdec: missing: install gstreamer1.0-plugins-good
	not ok 18 - system: element rtpdtmfsrc: missing: install gstreamer1.0-plugins-good
	not ok 19 - system: element rtpdtmfmux: missing: install gstreamer1.0-plugins-good
	not ok 20 - system: element rtpdtmfdepay: missing: install gstreamer1.0-plugins-good
	not ok 21 - system: element vp8enc: missing: install gstreamer1.0-plugins-good
	not ok 22 - system: element vp8dec: missing: install gstreamer1.0-plugins-good
	not ok 23 - system: element rtpvp8pay: missing: install gstreamer1.0-plugins-good
	not ok 24 - system: element rtpvp8depay: missing: install gstreamer1.0-plugins-good
	not ok 25 - system: element audiotestsrc: missing: install gstreamer1.0-plugins-base
	not ok 26 - system: element audioconvert: missing: install gstreamer1.0-plugins-base
	not ok 27 - system: element audioresample: missing: install gstreamer1.0-plugins-base
	ok 28 - system: element valve: plugin coreelements VERSION
	ok 29 - system: element queue: plugin coreelements VERSION
	ok 30 - system: element fakesink: plugin coreelements VERSION
	not ok 31 - system: element wavenc: missing: install gstreamer1.0-plugins-good
	ok 32 - system: dtls SRTP_AES128_CM_SHA1_80: DTLS 1.2, ECDSA P-256, SRTP_AES128_CM_SHA1_80
	# ms=N
	ok 33 - system: dtls SRTP_AES128_CM_SHA1_32: DTLS 1.2, ECDSA P-256, SRTP_AES128_CM_SHA1_32
	# ms=N
	ok 34 - system: dtls SRTP_AEAD_AES_128_GCM: DTLS 1.2, ECDSA P-256, SRTP_AEAD_AES_128_GCM
	# ms=N
	ok 35 - system: dtls SRTP_AEAD_AES_256_GCM: DTLS 1.2, ECDSA P-256, SRTP_AEAD_AES_256_GCM
	# ms=N
	ok 36 - system: srtp SRTP_AES128_CM_SHA1_80: protect/unprotect round trip, tampering detected
	# ms=N overhead_bytes=N
	ok 37 - system: srtp SRTP_AES128_CM_SHA1_32: protect/unprotect round trip, tampering detected
	# ms=N overhead_bytes=N
	ok 38 - system: srtp SRTP_AEAD_AES_128_GCM: protect/unprotect round trip, tampering detected
	# ms=N overhead_bytes=N
	ok 39 - system: srtp SRTP_AEAD_AES_256_GCM: protect/unprotect round trip, tampering detected
	# ms=N overhead_bytes=N
	1..39
	EOF
	test_cmp expect masked
'

test_expect_success 'SRTP overhead per profile: the authentication tag lengths (10, 4, 16, 16 bytes)' '
	webrtc-check -c /dev/null --suite system --json >out &&
	tr "{" "\n" <out | sed -n "s/^\"suite\":\"system\",\"name\":\"srtp \([A-Z0-9_]*\)\",\"state\":\"pass\".*/\1/p" >names &&
	tr "{" "\n" <out | sed -n "s/^\"ms\":[0-9.]*,\"overhead_bytes\":\([0-9]*\)}.*/\1/p" >bytes &&
	paste -d" " names bytes >got &&
	cat >expect <<-EOF &&
	SRTP_AES128_CM_SHA1_80 10
	SRTP_AES128_CM_SHA1_32 4
	SRTP_AEAD_AES_128_GCM 16
	SRTP_AEAD_AES_256_GCM 16
	EOF
	test_cmp expect got
'

test_expect_success 'Nagios: OK with the timed checks as perfdata (exit 0)' '
	webrtc-check -c /dev/null --suite system --nagios >out &&
	sed -E "s/=[0-9.]+ms/=Nms/g" out >masked &&
	cat >expect <<-EOF &&
	WEBRTC OK - 39 checks: 39 pass, 0 warn, 0 fail, 0 skip | '"'"'system_dtls_srtp_aes128_cm_sha1_80_ms'"'"'=Nms '"'"'system_dtls_srtp_aes128_cm_sha1_32_ms'"'"'=Nms '"'"'system_dtls_srtp_aead_aes_128_gcm_ms'"'"'=Nms '"'"'system_dtls_srtp_aead_aes_256_gcm_ms'"'"'=Nms '"'"'system_srtp_srtp_aes128_cm_sha1_80_ms'"'"'=Nms '"'"'system_srtp_srtp_aes128_cm_sha1_32_ms'"'"'=Nms '"'"'system_srtp_srtp_aead_aes_128_gcm_ms'"'"'=Nms '"'"'system_srtp_srtp_aead_aes_256_gcm_ms'"'"'=Nms
	EOF
	test_cmp expect masked
'

test_expect_success 'colour and progress only on a terminal' '
	script -qc "webrtc-check -c /dev/null --suite system" /dev/null >tty.out &&
	esc=$(printf "\033") &&
	test_grep "^ $esc\[2m\.\.\.\.$esc\[0m  system   gstreamer.$esc\[K $esc\[32mpass$esc\[0m  system   gstreamer: GStreamer " tty.out &&
	webrtc-check -c /dev/null --suite system >plain.out &&
	test_grep -v "$esc" plain.out &&
	test_grep "^ pass  system   gstreamer: GStreamer " plain.out
'

test_expect_success 'usage errors exit 64: an unknown suite, an operand' '
	test_expect_code 64 webrtc-check --suite nosuch 2>err &&
	test_grep "^webrtc-check: --suite: no suite .nosuch. (see --list-suites)$" err &&
	test_expect_code 64 webrtc-check extra 2>err &&
	test_grep "^webrtc-check: unexpected operand .extra.$" err
'

test_expect_success '--list-suites names the suites in the order they run' '
	webrtc-check --list-suites >out &&
	head -n 1 out >first &&
	echo system >expect &&
	test_cmp expect first &&
	test_grep "^network$" out &&
	test_grep "^server$" out
'

test_expect_success 'a configuration error exits 78' '
	echo "no such key = 1" >broken.conf &&
	test_expect_code 78 webrtc-check -c broken.conf --suite system 2>err &&
	test_grep "^webrtc-check: " err
'

test_done
