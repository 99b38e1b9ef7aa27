# Shell helpers for tests that talk to JsSIP user agents in headless
# Chromium (tests/browser/peer.mjs, protocol in tests/browser/README.md).
# Source after test-lib.sh; a script on a machine without node or chromium
# is skipped with the reason.
#
#   browser_start [--browser ID] [--fake-audio WAV] NAME...
#                                  open a user agent per NAME, each in a page
#                                  of its own; the first call for a browser
#                                  ID (default: "default") starts that
#                                  browser, with WAV (any rate; 48 kHz mono
#                                  is what WebRTC sends) as its microphone
#                                  (Chromium reads one such file per
#                                  process: a second tone needs a second
#                                  --browser). A NAME belongs to one browser.
#   browser_cmd NAME JSON          send NAME one command, a JSON object
#                                  written on one line and starting with "{",
#                                  e.g. '{"cmd":"message","to":"sip:bob@127.0.0.1","body":"hi"}'
#   browser_register NAME URI PASSWORD WS_URL [SECONDS]
#                                  register NAME and wait for the outcome
#   browser_wait_event NAME ERE [SECONDS]
#                                  wait (10 s unless told) for an event of
#                                  NAME matching ERE that no earlier wait
#                                  took; print that line and mark it taken
#   browser_expect [-t SECONDS] NAME EVENT [FIELD=VALUE]...
#                                  browser_wait_event for the event EVENT
#                                  whose top-level FIELDs have these values,
#                                  in any order: VALUE is a JSON number,
#                                  true, false or null, or the text of a
#                                  string (no quotes or backslashes), e.g.
#                                  browser_expect alice call_failed status=486
#   browser_field FIELD            from one event line on stdin, print the
#                                  field: a string as its raw text (no
#                                  newline added), anything else as JSON
#   browser_json_string STRING     print STRING as a JSON string literal
#   browser_send LINE              write LINE to the default browser's peer
#                                  as it is (a command for no user agent in
#                                  particular, or garbage)
#   browser_wait_line PREFIX ERE SECONDS
#                                  browser_wait_event in the default
#                                  browser's events, for lines starting with
#                                  PREFIX ('{"event":' for the peer's own)
#   browser_events [NAME]          print the path of the event log (of
#                                  NAME's browser; default: the default one)
#   browser_leftovers              print the pids of the browsers' processes
#   browser_stop NAME...           close those user agents (unregistering);
#                                  with the last one of a browser it quits
#   browser_stop_all               quit every browser, kill what is left
#
# Calls (events and fields in tests/browser/README.md). Each waits 10 s
# at most (BROWSER_TIMEOUT changes that) and fails with the event log:
#   browser_call NAME URI [MEMBERS]  NAME calls URI; MEMBERS are more JSON
#                                  members of the command, e.g. '"video":true'
#   browser_answer NAME            wait for NAME's call_incoming (printed),
#                                  answer it
#   browser_tone NAME [MS]         the dominant frequency (Hz, one decimal)
#                                  of NAME's received audio over MS (1000)
#                                  milliseconds; "silence" below -50 dBFS
#   browser_stats NAME             the stats event of NAME's call (getStats
#                                  figures: packetsReceived,
#                                  totalSamplesReceived, concealedSamples,
#                                  packetsSent, roundTripTime, codec, ...;
#                                  with video videoFramesDecoded,
#                                  videoFramesSent, videoPacketsReceived,
#                                  videoCodec)
#   browser_audio_flows NAME       two getStats of NAME's call a second
#                                  apart: Opus received and decoded, growing,
#                                  1 s of samples at least, under a tenth
#                                  of them concealed
#   browser_dtmf NAME TONES [rfc4733|info [MS]]  send TONES (each MS
#                                  long, JsSIP's 100 by default), wait
#                                  until the last one went out
#   browser_dtmf_expect NAME TRANSPORT TONES  wait until NAME received each
#                                  of TONES over TRANSPORT (rfc4733, info),
#                                  in that order
#   browser_hangup NAME            hang up (BYE, CANCEL, or 480 unanswered),
#                                  wait for NAME's call_ended or call_failed
#
# Everything of the default browser is under "$TRASH/browser" (of browser
# ID under "$TRASH/browser-ID"): commands go through the FIFO "in",
# events (JSON lines, each of a user agent starting {"ua":"NAME") collect
# in "events", talk in "stderr". Chromium's profile, temporary files and
# HOME are under "work", and every process of the browser names that path
# on its command line: browser_leftovers finds them so. BROWSER_PEER_ARGS
# adds arguments to peer.mjs (e.g. "--debug", or "--flag
# --use-file-for-fake-audio-capture=FILE"). The state is in files, so
# test bodies (subshells) may start and stop user agents; browser_stop_all
# runs when the script ends.
#
# Media between browsers must stay on loopback: run such a script inside
# a loopback-only network namespace (tests/t0515-browser-calls.t shows
# how); Chromium then needs --allow-loopback-in-peer-connection to gather
# any candidate, which peer.mjs passes.

BROWSER_SOURCE="$SIPWS_SOURCE/tests/browser"
BROWSER_DIR="$TRASH/browser"
# Another Chromium build may be named in BROWSER_CHROMIUM (test-lib.sh
# clears SIPWS_* variables).
BROWSER_CHROMIUM=${BROWSER_CHROMIUM:-/usr/bin/chromium}
# Every browser directory started by this script, one a line.
BROWSER_DIRS="$TRASH/.browser-dirs"

if ! command -v node >/dev/null 2>&1; then
	test_skip_all 'node is not installed (scripts/deps.sh installs it)'
fi
if ! [ -x "$BROWSER_CHROMIUM" ]; then
	test_skip_all "no chromium at $BROWSER_CHROMIUM (scripts/deps.sh installs it)"
fi
# Quick when node_modules and the bundle are current.
if ! sh "$SIPWS_SOURCE/scripts/browser-deps.sh" >"$TRASH/browser-deps.log" 2>&1; then
	test_skip_all "scripts/browser-deps.sh failed: $(tail -n 1 "$TRASH/browser-deps.log")"
fi

test_when_finished browser_stop_all

# browser__dir_of NAME: the directory of NAME's browser (the default one
# for a name no browser has open).
browser__dir_of() {
	if [ -f "$BROWSER_DIRS" ]; then
		while read -r b_d; do
			if [ -f "$b_d/ua/$1" ]; then
				printf '%s\n' "$b_d"
				return 0
			fi
		done <"$BROWSER_DIRS"
	fi
	printf '%s\n' "$BROWSER_DIR"
}

browser_events() {
	if [ $# -gt 0 ]; then
		printf '%s/events\n' "$(browser__dir_of "$1")"
	else
		printf '%s\n' "$BROWSER_DIR/events"
	fi
}

# True while the process lives (a zombie does not count).
browser_pid_alive() {
	[ -r "/proc/$1/stat" ] || return 1
	! grep -q '^[0-9]* (.*) Z ' "/proc/$1/stat" 2>/dev/null
}

# browser__alive DIR: the browser of DIR runs.
browser__alive() {
	[ -f "$1/pid" ] && browser_pid_alive "$(cat "$1/pid")"
}

browser__say_log() {
	echo "browser: events${2:+ of $2}:" >&2
	sed 's/^/  /' "$1/events" >&2 2>/dev/null
	echo "browser: stderr (last 20 lines):" >&2
	tail -n 20 "$1/stderr" 2>/dev/null | sed 's/^/  /' >&2
}

# browser__wait DIR PREFIX PATTERNS SECONDS: the wait behind
# browser_wait_event, in DIR's events; PREFIX is the fixed start of the
# lines to look at ("" for any), PATTERNS one or more EREs, one a line,
# that the line must all match.
browser__wait() {
	b_end=$(($(date +%s) + $4))
	while :; do
		# Only complete lines: the peer may be writing the last one.
		b_lines=$(wc -l <"$1/events")
		b_hit=$(B_PREFIX="$2" B_PATTERNS="$3" awk -v max="$b_lines" '
			BEGIN { n = split(ENVIRON["B_PATTERNS"], pattern, "\n") }
			FILENAME == ARGV[1] { taken[$0] = 1; next }
			FNR > max { exit }
			!(FNR in taken) && index($0, ENVIRON["B_PREFIX"]) == 1 {
				for (i = 1; i <= n; i++)
					if ($0 !~ pattern[i])
						next
				print FNR
				exit
			}
		' "$1/taken" "$1/events")
		if [ -n "$b_hit" ]; then
			echo "$b_hit" >>"$1/taken"
			sed -n "${b_hit}p" "$1/events"
			return 0
		fi
		if ! browser__alive "$1"; then
			echo "browser: it ended before an event matching $3" >&2
			browser__say_log "$1"
			return 1
		fi
		if [ "$(date +%s)" -ge "$b_end" ]; then
			echo "browser: no event ${2:+"$2... "}matching $3 within $4 s" >&2
			browser__say_log "$1"
			return 1
		fi
		sleep 0.05
	done
}

browser_wait_line() {
	browser__wait "$BROWSER_DIR" "$1" "$2" "$3"
}

browser_wait_event() {
	browser__wait "$(browser__dir_of "$1")" "{\"ua\":\"$1\"" "$2" "${3:-10}"
}

# browser__ere TEXT: TEXT with the ERE special characters escaped.
browser__ere() {
	printf '%s\n' "$1" | sed 's/[][\\.*^$+?(){}|/]/\\&/g'
}

browser_expect() {
	b_seconds=${BROWSER_TIMEOUT:-10}
	if [ "$1" = -t ]; then
		b_seconds=$2
		shift 2
	fi
	b_name=$1
	b_patterns="\"event\":\"$(browser__ere "$2")\"[,}]"
	shift 2
	for b_pair in "$@"; do
		case "$b_pair" in
		*=*) ;;
		*)
			echo "browser_expect: FIELD=VALUE expected: $b_pair" >&2
			return 1 ;;
		esac
		b_value=$(browser__ere "${b_pair#*=}")
		b_patterns="$b_patterns
[{,]\"${b_pair%%=*}\":(\"$b_value\"|$b_value)[,}]"
	done
	browser__wait "$(browser__dir_of "$b_name")" "{\"ua\":\"$b_name\"" "$b_patterns" "$b_seconds"
}

# browser__id: a new command id, unique in the script.
browser__id() {
	b_n=$(($(cat "$TRASH/.browser-seq" 2>/dev/null || echo 0) + 1))
	echo "$b_n" >"$TRASH/.browser-seq"
	echo "sh$b_n"
}

browser_start() {
	b_browser=default
	b_audio=
	while :; do
		case "$1" in
		--browser) b_browser=$2; shift 2 ;;
		--fake-audio) b_audio=$2; shift 2 ;;
		*) break ;;
		esac
	done
	for b_name in "$b_browser" "$@"; do
		case "$b_name" in
		'' | *[!A-Za-z0-9_-]*)
			echo "browser_start: a name is letters, digits, _ and -: '$b_name'" >&2
			return 1 ;;
		esac
	done
	if [ "$b_browser" = default ]; then
		b_dir=$BROWSER_DIR
	else
		b_dir="$TRASH/browser-$b_browser"
	fi
	for b_name in "$@"; do
		b_other=$(browser__dir_of "$b_name")
		if [ -f "$b_other/ua/$b_name" ]; then
			echo "browser_start: $b_name is open already" >&2
			return 1
		fi
	done
	if ! browser__alive "$b_dir"; then
		# A new browser: keep the last one's files for a post-mortem.
		if [ -d "$b_dir" ]; then
			rm -rf "$b_dir.old" && mv "$b_dir" "$b_dir.old" || return 1
		fi
		mkdir -p "$b_dir/ua" &&
		mkfifo "$b_dir/in" &&
		: >"$b_dir/events" &&
		: >"$b_dir/taken" || return 1
		grep -qxF "$b_dir" "$BROWSER_DIRS" 2>/dev/null ||
			echo "$b_dir" >>"$BROWSER_DIRS" || return 1
		# Outside the directory, so that grep's own command line
		# (naming this file) does not match.
		grep -qxF "$b_dir/work" "$TRASH/.browser-leftover-pattern" 2>/dev/null ||
			echo "$b_dir/work" >>"$TRASH/.browser-leftover-pattern" || return 1
		b_args=
		for b_name in "$@"; do
			b_args="$b_args --ua $b_name"
		done
		# $$ is the test script even in a body's subshell: the peer
		# quits by itself if the script dies without cleaning up.
		# shellcheck disable=SC2086
		node "$BROWSER_SOURCE/peer.mjs" --commands "$b_dir/in" \
			--work-dir "$b_dir/work" --parent-pid $$ \
			--chromium "$BROWSER_CHROMIUM" $b_args \
			${b_audio:+--fake-audio "$b_audio"} \
			$BROWSER_PEER_ARGS \
			</dev/null >"$b_dir/events" 2>"$b_dir/stderr" &
		echo $! >"$b_dir/pid"
		# A cold start on a busy machine takes several seconds.
		browser__wait "$b_dir" '{"event":"ready"' '' 90 >/dev/null || return 1
		for b_name in "$@"; do
			: >"$b_dir/ua/$b_name"
		done
		return 0
	fi
	if [ -n "$b_audio" ]; then
		echo "browser_start: browser $b_browser runs already: --fake-audio needs a new --browser" >&2
		return 1
	fi
	for b_name in "$@"; do
		browser__send "$b_dir" "{\"ua\":\"$b_name\",\"cmd\":\"open\"}" &&
		browser__wait "$b_dir" "{\"ua\":\"$b_name\"" '"event":"(opened|error)"' 20 >"$b_dir/open.out" &&
		test_grep '"event":"opened"' "$b_dir/open.out" >&2 &&
		: >"$b_dir/ua/$b_name" || return 1
	done
}

# browser__send DIR LINE: one line to DIR's peer, whoever it is for.
browser__send() {
	if ! browser__alive "$1"; then
		echo "browser: not running" >&2
		browser__say_log "$1"
		return 1
	fi
	# The peer holds the FIFO open, so this open does not block while it
	# lives; the timeout covers its dying meanwhile.
	timeout 10 sh -c 'printf "%s\n" "$1" >"$2"' sh "$2" "$1/in"
}

browser_send() {
	browser__send "$BROWSER_DIR" "$1"
}

browser_cmd() {
	b_dir=$(browser__dir_of "$1")
	if ! [ -f "$b_dir/ua/$1" ]; then
		echo "browser_cmd: no user agent $1 (browser_start it)" >&2
		return 1
	fi
	case "$2" in
	'{'*) ;;
	*)
		echo "browser_cmd: a command is a JSON object: $2" >&2
		return 1 ;;
	esac
	browser__send "$b_dir" "{\"ua\":\"$1\",${2#\{}"
}

browser_json_string() {
	case "$1" in
	*[\"\\]* | *[[:cntrl:]]*)
		node -e 'process.stdout.write(JSON.stringify(process.argv[1]))' -- "$1" ;;
	*)
		# Nothing to escape: spare a node start.
		printf '"%s"' "$1" ;;
	esac
}

browser_field() {
	node -e '
		let text = "";
		process.stdin.setEncoding("utf8");
		process.stdin.on("data", (d) => { text += d; });
		process.stdin.on("end", () => {
			const value = JSON.parse(text)[process.argv[1]];
			if (value === undefined)
				process.exit(1);
			process.stdout.write(typeof value === "string" ? value : JSON.stringify(value));
		});' -- "$1"
}

browser_register() {
	b_uri=$(browser_json_string "$2") &&
	b_password=$(browser_json_string "$3") &&
	b_ws=$(browser_json_string "$4") &&
	browser_cmd "$1" "{\"cmd\":\"register\",\"uri\":$b_uri,\"password\":$b_password,\"ws\":$b_ws}" &&
	b_line=$(browser_wait_event "$1" '"event":"(registered|registration_failed|error)"' "${5:-10}") ||
		return 1
	case "$b_line" in
	*'"event":"registered"'*) return 0 ;;
	esac
	echo "browser_register: $b_line" >&2
	return 1
}

browser_call() {
	b_to=$(browser_json_string "$2") &&
	browser_cmd "$1" "{\"cmd\":\"call\",\"to\":$b_to${3:+,$3}}"
}

browser_answer() {
	browser_expect "$1" call_incoming busy=false &&
	browser_cmd "$1" '{"cmd":"answer"}'
}

# browser__ask NAME COMMAND [MEMBERS]: send COMMAND with a new id, print
# its answer (an event of the same name, or an error).
browser__ask() {
	b_id=$(browser__id) &&
	browser_cmd "$1" "{\"cmd\":\"$2\",\"id\":\"$b_id\"${3:+,$3}}" &&
	b_line=$(browser_wait_event "$1" "\"event\":\"($2|error)\",\"id\":\"$b_id\"" \
		"$((${BROWSER_TIMEOUT:-10} + 5))") || return 1
	case "$b_line" in
	*'"event":"error"'*)
		echo "browser: $b_line" >&2
		return 1 ;;
	esac
	printf '%s\n' "$b_line"
}

browser_tone() {
	b_line=$(browser__ask "$1" tone "\"duration\":${2:-1000}") || return 1
	case "$b_line" in
	*'"frequency":null'*) echo silence ;;
	*) printf '%s\n' "$b_line" | sed 's/.*"frequency":\([0-9.]*\).*/\1/' ;;
	esac
}

browser_stats() {
	browser__ask "$1" stats
}

browser_audio_flows() {
	b_s1=$(browser_stats "$1") &&
	sleep 1 &&
	b_s2=$(browser_stats "$1") || return 1
	b_codec=$(printf '%s' "$b_s2" | browser_field codec | tr A-Z a-z)
	b_p1=$(printf '%s' "$b_s1" | browser_field packetsReceived)
	b_p2=$(printf '%s' "$b_s2" | browser_field packetsReceived)
	b_n1=$(printf '%s' "$b_s1" | browser_field totalSamplesReceived)
	b_n2=$(printf '%s' "$b_s2" | browser_field totalSamplesReceived)
	b_c2=$(printf '%s' "$b_s2" | browser_field concealedSamples)
	# A broken media path conceals everything; 0-0.5 % on an idle
	# machine, 2.4 % seen under load.
	if [ "$b_codec" = audio/opus ] && [ "${b_p2:-0}" -gt "${b_p1:-0}" ] &&
	   [ "${b_n2:-0}" -gt "${b_n1:-0}" ] && [ "${b_n2:-0}" -gt 48000 ] &&
	   [ $((${b_c2:-0} * 10)) -lt "${b_n2:-0}" ]; then
		return 0
	fi
	echo "browser: $1's audio does not flow: $b_s1 then $b_s2" >&2
	return 1
}

browser_dtmf() {
	b_id=$(browser__id) &&
	b_tones=$(browser_json_string "$2") &&
	browser_cmd "$1" "{\"cmd\":\"dtmf\",\"id\":\"$b_id\",\"tones\":$b_tones,\"transport\":\"${3:-rfc4733}\"${4:+,\"duration\":$4}}" ||
		return 1
	# One dtmf_sent a tone, in order (a "," pause has none).
	b_rest=$(printf '%s' "$2" | tr -d ,)
	while [ -n "$b_rest" ]; do
		b_tone=${b_rest%"${b_rest#?}"}
		b_rest=${b_rest#?}
		browser_expect "$1" dtmf_sent id="$b_id" tone="$b_tone" >/dev/null || return 1
	done
}

browser_dtmf_expect() {
	b_rest=$3
	while [ -n "$b_rest" ]; do
		browser_expect "$1" dtmf_received tone="${b_rest%"${b_rest#?}"}" \
			transport="$2" >/dev/null || return 1
		b_rest=${b_rest#?}
	done
}

browser_hangup() {
	browser_cmd "$1" '{"cmd":"hangup"}' &&
	browser_wait_event "$1" '"event":"call_(ended|failed)"' "${BROWSER_TIMEOUT:-10}" >/dev/null
}

browser_leftovers() {
	[ -f "$TRASH/.browser-leftover-pattern" ] || return 0
	grep -laFf "$TRASH/.browser-leftover-pattern" /proc/[0-9]*/cmdline 2>/dev/null |
		sed 's|^/proc/\([0-9]*\)/cmdline$|\1|'
}

browser_stop() {
	for b_name in "$@"; do
		b_dir=$(browser__dir_of "$b_name")
		[ -f "$b_dir/ua/$b_name" ] || continue
		rm -f "$b_dir/ua/$b_name"
		if [ -z "$(ls "$b_dir/ua")" ]; then
			# The last one: quitting closes it too.
			browser__quit "$b_dir"
			continue
		fi
		browser__send "$b_dir" "{\"ua\":\"$b_name\",\"cmd\":\"close\"}" &&
		browser__wait "$b_dir" "{\"ua\":\"$b_name\"" '"event":"closed"' 10 >/dev/null || return 1
	done
}

# browser__quit DIR: quit DIR's browser, kill what is left of it.
browser__quit() {
	[ -f "$1/pid" ] || return 0
	b_pid=$(cat "$1/pid")
	if browser_pid_alive "$b_pid"; then
		browser__send "$1" '{"cmd":"quit"}' 2>/dev/null
		# The peer unregisters and closes Chromium: a few seconds at
		# most, then signals.
		for b_signal in - - - - - - - - - - - - - - - - - - - - TERM - - - - KILL; do
			browser_pid_alive "$b_pid" || break
			[ "$b_signal" = - ] || kill -s "$b_signal" "$b_pid" 2>/dev/null
			sleep 0.25
		done
	fi
	# The pattern in a file outside DIR, so that grep's own command
	# line does not match.
	echo "$1/work" >"$1.pattern"
	for b_left in $(grep -laFf "$1.pattern" /proc/[0-9]*/cmdline 2>/dev/null |
		sed 's|^/proc/\([0-9]*\)/cmdline$|\1|'); do
		echo "browser: killing leftover process $b_left" >&2
		kill -s KILL "$b_left" 2>/dev/null
	done
	rm -f "$1/pid" "$1"/ua/*
	return 0
}

browser_stop_all() {
	[ -f "$BROWSER_DIRS" ] || return 0
	while read -r b_d; do
		browser__quit "$b_d" </dev/null
	done <"$BROWSER_DIRS"
	for b_left in $(browser_leftovers); do
		echo "browser: killing leftover process $b_left" >&2
		kill -s KILL "$b_left" 2>/dev/null
	done
	return 0
}
