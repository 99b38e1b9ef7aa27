# Shell helpers for tests that talk to JsSIP user agents in headless
# Chromium (tests/browser/peer.mjs, protocol in tests/browser/README.md).
# Source after test-lib.sh; a script on a machine without node or chromium
# is skipped with the reason.
#
#   browser_start NAME...          open a user agent per NAME, each in a page
#                                  of its own; the first call starts the
#                                  browser (one per test script)
#   browser_cmd NAME JSON          send NAME one command, a JSON object
#                                  written on one line and starting with "{",
#                                  e.g. '{"cmd":"message","to":"sip:bob@127.0.0.1","body":"hi"}'
#   browser_register NAME URI PASSWORD WS_URL [SECONDS]
#                                  register NAME and wait for the outcome
#   browser_wait_event NAME ERE [SECONDS]
#                                  wait (10 s unless told) for an event of
#                                  NAME matching ERE that no earlier wait
#                                  took; print that line and mark it taken
#   browser_field FIELD            from one event line on stdin, print the
#                                  field: a string as its raw text (no
#                                  newline added), anything else as JSON
#   browser_json_string STRING     print STRING as a JSON string literal
#   browser_send LINE              write LINE to the peer as it is (a command
#                                  for no user agent in particular, or garbage)
#   browser_wait_line PREFIX ERE SECONDS
#                                  browser_wait_event for lines starting with
#                                  PREFIX ('{"event":' for the peer's own)
#   browser_events                 print the path of the event log
#   browser_leftovers              print the pids of the browser's processes
#   browser_stop NAME...           close those user agents (unregistering);
#                                  with the last one the browser quits
#   browser_stop_all               quit the browser, kill what is left
#
# Everything is under "$TRASH/browser": commands go through the FIFO "in",
# events (JSON lines, each of a user agent starting {"ua":"NAME") collect
# in "events", talk in "stderr". Chromium's profile, temporary files and
# HOME are under "work", and every process of the browser names that path
# on its command line: browser_leftovers finds them so. BROWSER_PEER_ARGS
# adds arguments to peer.mjs (e.g. "--debug", or "--flag
# --use-file-for-fake-audio-capture=FILE"). The state is in files, so
# test bodies (subshells) may start and stop user agents; browser_stop_all
# runs when the script ends.

BROWSER_SOURCE="$SIPWS_SOURCE/tests/browser"
BROWSER_DIR="$TRASH/browser"
# Another Chromium build may be named in BROWSER_CHROMIUM (test-lib.sh
# clears SIPWS_* variables).
BROWSER_CHROMIUM=${BROWSER_CHROMIUM:-/usr/bin/chromium}

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

browser_events() {
	printf '%s\n' "$BROWSER_DIR/events"
}

# True while the process lives (a zombie does not count).
browser_pid_alive() {
	[ -r "/proc/$1/stat" ] || return 1
	! grep -q '^[0-9]* (.*) Z ' "/proc/$1/stat" 2>/dev/null
}

browser_alive() {
	[ -f "$BROWSER_DIR/pid" ] && browser_pid_alive "$(cat "$BROWSER_DIR/pid")"
}

browser_say_log() {
	echo "browser: events:" >&2
	sed 's/^/  /' "$BROWSER_DIR/events" >&2 2>/dev/null
	echo "browser: stderr (last 20 lines):" >&2
	tail -n 20 "$BROWSER_DIR/stderr" 2>/dev/null | sed 's/^/  /' >&2
}

# browser_wait_line PREFIX ERE SECONDS: the wait behind browser_wait_event;
# PREFIX is the fixed start of the lines to look at ("" for any).
browser_wait_line() {
	b_end=$(($(date +%s) + $3))
	while :; do
		# Only complete lines: the peer may be writing the last one.
		b_lines=$(wc -l <"$BROWSER_DIR/events")
		b_hit=$(B_PREFIX="$1" B_PATTERN="$2" awk -v max="$b_lines" '
			FILENAME == ARGV[1] { taken[$0] = 1; next }
			FNR > max { exit }
			!(FNR in taken) && index($0, ENVIRON["B_PREFIX"]) == 1 &&
				$0 ~ ENVIRON["B_PATTERN"] { print FNR; exit }
		' "$BROWSER_DIR/taken" "$BROWSER_DIR/events")
		if [ -n "$b_hit" ]; then
			echo "$b_hit" >>"$BROWSER_DIR/taken"
			sed -n "${b_hit}p" "$BROWSER_DIR/events"
			return 0
		fi
		if ! browser_alive; then
			echo "browser: it ended before an event matching $2" >&2
			browser_say_log
			return 1
		fi
		if [ "$(date +%s)" -ge "$b_end" ]; then
			echo "browser: no event ${1:+"$1... "}matching $2 within $3 s" >&2
			browser_say_log
			return 1
		fi
		sleep 0.05
	done
}

browser_wait_event() {
	browser_wait_line "{\"ua\":\"$1\"" "$2" "${3:-10}"
}

browser_start() {
	for b_name in "$@"; do
		case "$b_name" in
		'' | *[!A-Za-z0-9_-]*)
			echo "browser_start: a name is letters, digits, _ and -: '$b_name'" >&2
			return 1 ;;
		esac
	done
	if ! browser_alive; then
		# A new browser: keep the last one's files for a post-mortem.
		if [ -d "$BROWSER_DIR" ]; then
			rm -rf "$BROWSER_DIR.old" && mv "$BROWSER_DIR" "$BROWSER_DIR.old" || return 1
		fi
		mkdir -p "$BROWSER_DIR/ua" &&
		mkfifo "$BROWSER_DIR/in" &&
		: >"$BROWSER_DIR/events" &&
		: >"$BROWSER_DIR/taken" &&
		# Outside the directory, so that grep's own command line
		# (naming this file) does not match.
		echo "$BROWSER_DIR/work" >"$TRASH/.browser-leftover-pattern" || return 1
		b_args=
		for b_name in "$@"; do
			b_args="$b_args --ua $b_name"
		done
		# $$ is the test script even in a body's subshell: the peer
		# quits by itself if the script dies without cleaning up.
		# shellcheck disable=SC2086
		node "$BROWSER_SOURCE/peer.mjs" --commands "$BROWSER_DIR/in" \
			--work-dir "$BROWSER_DIR/work" --parent-pid $$ \
			--chromium "$BROWSER_CHROMIUM" $b_args \
			$BROWSER_PEER_ARGS \
			</dev/null >"$BROWSER_DIR/events" 2>"$BROWSER_DIR/stderr" &
		echo $! >"$BROWSER_DIR/pid"
		# A cold start on a busy machine takes several seconds.
		browser_wait_line '{"event":"ready"' '' 90 >/dev/null || return 1
		for b_name in "$@"; do
			: >"$BROWSER_DIR/ua/$b_name"
		done
		return 0
	fi
	for b_name in "$@"; do
		browser_send "{\"ua\":\"$b_name\",\"cmd\":\"open\"}" &&
		browser_wait_event "$b_name" '"event":"(opened|error)"' 20 >"$BROWSER_DIR/open.out" &&
		test_grep '"event":"opened"' "$BROWSER_DIR/open.out" >&2 &&
		: >"$BROWSER_DIR/ua/$b_name" || return 1
	done
}

# browser_send LINE: one line to the peer, whoever it is for.
browser_send() {
	if ! browser_alive; then
		echo "browser: not running" >&2
		browser_say_log
		return 1
	fi
	# The peer holds the FIFO open, so this open does not block while it
	# lives; the timeout covers its dying meanwhile.
	timeout 10 sh -c 'printf "%s\n" "$1" >"$2"' sh "$1" "$BROWSER_DIR/in"
}

browser_cmd() {
	if ! [ -f "$BROWSER_DIR/ua/$1" ]; then
		echo "browser_cmd: no user agent $1 (browser_start it)" >&2
		return 1
	fi
	case "$2" in
	'{'*) ;;
	*)
		echo "browser_cmd: a command is a JSON object: $2" >&2
		return 1 ;;
	esac
	browser_send "{\"ua\":\"$1\",${2#\{}"
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

browser_leftovers() {
	[ -f "$TRASH/.browser-leftover-pattern" ] || return 0
	grep -laFf "$TRASH/.browser-leftover-pattern" /proc/[0-9]*/cmdline 2>/dev/null |
		sed 's|^/proc/\([0-9]*\)/cmdline$|\1|'
}

browser_stop() {
	for b_name in "$@"; do
		[ -f "$BROWSER_DIR/ua/$b_name" ] || continue
		rm -f "$BROWSER_DIR/ua/$b_name"
		if [ -z "$(ls "$BROWSER_DIR/ua")" ]; then
			# The last one: quitting closes it too.
			browser_stop_all
			return
		fi
		browser_send "{\"ua\":\"$b_name\",\"cmd\":\"close\"}" &&
		browser_wait_event "$b_name" '"event":"closed"' 10 >/dev/null || return 1
	done
}

browser_stop_all() {
	[ -f "$BROWSER_DIR/pid" ] || return 0
	b_pid=$(cat "$BROWSER_DIR/pid")
	if browser_pid_alive "$b_pid"; then
		browser_send '{"cmd":"quit"}' 2>/dev/null
		# The peer unregisters and closes Chromium: a few seconds at
		# most, then signals.
		for b_signal in - - - - - - - - - - - - - - - - - - - - TERM - - - - KILL; do
			browser_pid_alive "$b_pid" || break
			[ "$b_signal" = - ] || kill -s "$b_signal" "$b_pid" 2>/dev/null
			sleep 0.25
		done
	fi
	for b_left in $(browser_leftovers); do
		echo "browser: killing leftover process $b_left" >&2
		kill -s KILL "$b_left" 2>/dev/null
	done
	rm -f "$BROWSER_DIR/pid" "$BROWSER_DIR"/ua/*
	return 0
}
