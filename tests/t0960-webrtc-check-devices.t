#!/bin/sh
test_description='webrtc-check'"'"'s device suites against a real capture
path: PulseAudio with two null sinks, "mic" (its monitor is the microphone)
and "spk" (the speaker, recorded from its monitor). A tone played into mic
passes with its level, silence fails with the -60 dBFS reason, a full-scale
tone warns of clipping, an unknown device fails naming the ones there are;
the camera suite skips with its reason (no camera here); --play-tone plays
440 Hz into spk.'

. "$SIPWS_SOURCE/tests/lib/test-lib.sh"
. "$SIPWS_SOURCE/tests/lib/media.sh"

command -v pulseaudio >/dev/null 2>&1 && command -v pactl >/dev/null 2>&1 ||
	test_skip_all 'pulseaudio and pactl are missing (pulseaudio, pulseaudio-utils)'
command -v sox >/dev/null 2>&1 || test_skip_all 'sox(1) is missing'
gst-inspect-1.0 level >/dev/null 2>&1 && gst-inspect-1.0 pulsesrc >/dev/null 2>&1 ||
	test_skip_all 'GStreamer level or pulsesrc is missing (gstreamer1.0-plugins-good, gstreamer1.0-pulseaudio)'

# Under SANITIZE=1: full malloc stacks (GLib has no frame pointers), so
# that tests/lsan.supp can tell GLib's constructor-time tables apart.
ASAN_OPTIONS="fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export ASAN_OPTIONS

# Figures vary: each number after "=" and before " dBFS" becomes N.
mask() {
	sed -e 's/=-\{0,1\}[0-9][0-9.]*/=N/g' \
	    -e 's/-\{0,1\}[0-9][0-9.]* dBFS/N dBFS/g' "$@"
}
# A tone into the mic sink until stop_tone (gst-launch, volume $1).
play_tone() {
	{ gst-launch-1.0 -q audiotestsrc is-live=true freq=523 volume=$1 ! \
		pulsesink device=mic >/dev/null 2>&1 &
	  echo $! >tone.job; } &&
	# Until PulseAudio plays it (the sink input shows up).
	i=0 &&
	while ! pactl list short sink-inputs | grep -q .; do
		i=$((i + 1)) && test $i -lt 50 && sleep 0.1 || return 1
	done
}
stop_tone() {
	kill $(cat tone.job) && wait $(cat tone.job) 2>/dev/null
	i=0
	while pactl list short sink-inputs | grep -q .; do
		i=$((i + 1)) && test $i -lt 50 && sleep 0.1 || return 1
	done
}

pulse_env
test_expect_success 'PulseAudio with two null sinks starts' '
	pulse_start mic spk
'
test_when_finished pulse_stop

test_expect_success 'a tone into the microphone passes, with its level' '
	play_tone 0.3 &&
	webrtc-check --suite microphone --audio-device mic.monitor >out 2>err;
	code=$? && stop_tone && test $code -eq 0 &&
	mask out >masked &&
	cat >expect <<-\EOF &&
	 pass  microphone audio sources: 2 audio sources: mic.monitor, spk.monitor [devices=N]
	 pass  microphone capture mic.monitor: RMS N dBFS, peak N dBFS [rms_dbfs=N peak_dbfs=N seconds=N]
	2 checks: 2 pass, 0 warn, 0 fail, 0 skip
	EOF
	test_cmp expect masked &&
	# A sine at 0.3 of full scale: peak -10.5 dBFS, RMS 3 dB under it.
	sed -n "s/.*\[rms_dbfs=\([^ ]*\) peak_dbfs=\([^ ]*\) seconds=\([^]]*\)\]/\1 \2 \3/p" out >level &&
	read rms peak seconds <level &&
	between "$rms" -14.5 -13 &&
	between "$peak" -11 -10 &&
	between "$seconds" 2 2.2
'

test_expect_success 'silence fails with the -60 dBFS reason (exit 1)' '
	test_expect_code 1 webrtc-check --suite microphone \
		--audio-device mic.monitor >out 2>err &&
	mask out >masked &&
	cat >expect <<-\EOF &&
	 pass  microphone audio sources: 2 audio sources: mic.monitor, spk.monitor [devices=N]
	 fail  microphone capture mic.monitor: silence: RMS N dBFS is below N dBFS (muted, or the input volume too low?) [rms_dbfs=N peak_dbfs=N seconds=N]
	2 checks: 1 pass, 0 warn, 1 fail, 0 skip
	EOF
	test_cmp expect masked &&
	test_grep "is below -60 dBFS" out
'

test_expect_success 'a full-scale tone warns of clipping (exit 0)' '
	play_tone 1.0 &&
	webrtc-check --suite microphone --audio-device mic.monitor --tap \
		>out 2>err;
	code=$? && stop_tone && test $code -eq 0 &&
	mask out >masked &&
	cat >expect <<-\EOF &&
	ok 1 - microphone: audio sources: 2 audio sources: mic.monitor, spk.monitor
	# devices=N
	ok 2 - microphone: capture mic.monitor: clipping: peak N dBFS (lower the input volume) (warning)
	# rms_dbfs=N peak_dbfs=N seconds=N
	1..2
	EOF
	test_cmp expect masked &&
	test_grep "peak_dbfs=0 " out
'

test_expect_success 'an unknown audio device fails, naming the sources there are' '
	test_expect_code 1 webrtc-check --suite microphone --audio-device nope \
		>out 2>err &&
	cat >expect <<-\EOF &&
	 fail  microphone audio sources: no audio source named nope among: mic.monitor, spk.monitor [devices=2]
	1 check: 0 pass, 0 warn, 1 fail, 0 skip
	EOF
	test_cmp expect out
'

test_expect_success 'the camera suite skips with its reason (no camera here; exit 0)' '
	webrtc-check --suite camera --json >out 2>err &&
	cat >expect <<-\EOF &&
	{"checks":[{"suite":"camera","name":"video sources","state":"skip","reason":"no camera (GStreamer'"'"'s device monitor finds no video source)","figures":{},"units":{}}],"tool":"webrtc-check","version":"VERSION","state":"skip","summary":{"pass":0,"warn":0,"fail":0,"skip":1}}
	EOF
	sed "s/\"version\":\"[^\"]*\"/\"version\":\"VERSION\"/" out >masked &&
	test_cmp expect masked
'

test_expect_success '--play-tone plays 1 s of 440 Hz into the chosen output' '
	{ gst-launch-1.0 -q pulsesrc device=spk.monitor num-buffers=300 ! \
		audio/x-raw,rate=48000,channels=1 ! wavenc ! \
		filesink location=spk.wav >/dev/null 2>&1 &
	  echo $! >rec.job; } &&
	webrtc-check --suite speakers --output-device spk --play-tone \
		>out 2>err &&
	kill $(cat rec.job); wait $(cat rec.job);
	sed "s/ms=[0-9]*/ms=N/" out >masked &&
	cat >expect <<-\EOF &&
	 pass  speakers audio outputs: 2 audio outputs: mic, spk [devices=2]
	 pass  speakers tone spk: played 1.0 s of 440 Hz [ms=N]
	2 checks: 2 pass, 0 warn, 0 fail, 0 skip
	EOF
	test_cmp expect masked &&
	between "$(wav_freq spk.wav)" 430 450
'

test_expect_success 'without --play-tone the speakers suite only lists the outputs' '
	webrtc-check --suite speakers >out 2>err &&
	cat >expect <<-\EOF &&
	 pass  speakers audio outputs: 2 audio outputs: mic, spk [devices=2]
	1 check: 1 pass, 0 warn, 0 fail, 0 skip
	EOF
	test_cmp expect out
'

test_done
