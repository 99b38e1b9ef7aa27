# Helpers shared by the sip-events test scripts: runs of sip-events in the
# background with their output in files, waiting for and comparing event
# lines, bob's configuration. Source after test-lib.sh and kamailio.sh (it
# uses KAM_LIB_DIR, KAM_WS_URL and the kam_* helpers); it registers a
# cleanup that kills every run still alive when the script ends.
#
#   events_start [--device DEV] NAME ARGS...
#       Run "sip-events ARGS" in the background, in a process group of its
#       own watched by a watchdog (killed if the script dies first):
#       standard output in NAME.out, standard error in NAME.err, the pid in
#       NAME.pid; NAME.rc gets the exit status when it ends. With --device,
#       it runs as the device DEV (see events_device).
#   events_device DEV COMMAND [ARG...]
#       Run COMMAND as another device of the same user: with a state
#       directory of its own ($TRASH/devices/DEV), hence its own RFC 5626
#       instance id. Runs without it share the default state directory of
#       the script: they are one device, and replace each other's binding.
#   events_rc NAME [SECONDS]
#       Wait (10 s) until NAME ended; print its exit status. Status 1 and a
#       message when it still runs.
#   events_stop NAME    SIGTERM, and check that NAME exits 0
#   wait_line FILE ERE [COUNT [SECONDS]]
#       Wait (10 s) until FILE holds COUNT (1) lines matching ERE; status 1
#       and FILE shown on standard error if not.
#   events_of FILE [ERE]
#       The event lines of FILE (those matching ERE) without their "ts".
#   check_ts FILE
#       Check that every line starts with an RFC 3339 UTC time stamp with
#       milliseconds, then the topic.
#   body_of LINE-FILE
#       The raw bytes of the "body" member of the one JSON line in the file.
#   message TEXT
#       alice sends bob a MESSAGE with body TEXT over UDP (sipsak, answering
#       the 407); prints the final status. Needs kam_require_sipsak.
#   events_bob_conf [LINE...]
#       Write bob.conf (mode 600): bob's account on $KAM_WS_URL, each LINE
#       (a top-level "key = value") after websocket.servers.

events_device() {
	ed_dir="$TRASH/devices/$1"
	shift
	mkdir -p "$ed_dir" &&
	XDG_STATE_HOME="$ed_dir" "$@"
}

events_start() {
	ev_state=$XDG_STATE_HOME
	if [ "$1" = --device ]; then
		ev_state="$TRASH/devices/$2"
		mkdir -p "$ev_state" || return 1
		shift 2
	fi
	ev_name=$1
	shift
	rm -f "$ev_name.out" "$ev_name.err" "$ev_name.pid" "$ev_name.rc"
	# A process group of its own, so that the watchdog can kill it if
	# this script dies first: sip-events would retry forever.
	(XDG_STATE_HOME=$ev_state perl "$KAM_LIB_DIR/process.pl" spawn sh -c \
		'echo $$ >"$0.pid.new" && mv "$0.pid.new" "$0.pid" &&
		exec sip-events "$@"' "$ev_name" "$@" \
		</dev/null >"$ev_name.out" 2>"$ev_name.err"
	echo $? >"$ev_name.rc") &
	ev_n=50
	while ! [ -s "$ev_name.pid" ] && [ "$ev_n" -gt 0 ]; do
		sleep 0.1
		ev_n=$((ev_n - 1))
	done
	test -s "$ev_name.pid" &&
	(perl "$KAM_LIB_DIR/process.pl" watchdog "$$" "$(cat "$ev_name.pid")" \
		</dev/null >/dev/null 2>&1 &)
}

events_rc() {
	ev_n=$((${2:-10} * 10))
	while ! [ -s "$1.rc" ]; do
		if [ "$ev_n" -le 0 ]; then
			echo "events_rc: $1 still runs after ${2:-10} s" >&2
			return 1
		fi
		sleep 0.1
		ev_n=$((ev_n - 1))
	done
	cat "$1.rc"
}

events_stop() {
	kill -TERM "$(cat "$1.pid")" &&
	events_rc "$1" >"$1.status" &&
	echo 0 >"$1.status.expect" &&
	test_cmp "$1.status.expect" "$1.status"
}

# Whatever still runs when the script ends.
events_kill_all() {
	for ev_pid in *.pid; do
		[ -f "$ev_pid" ] && kill -KILL "$(cat "$ev_pid")" 2>/dev/null
	done
	return 0
}
test_when_finished events_kill_all

# events_since NAME: the lines of NAME.out after the count saved in
# NAME.before (wc -l <NAME.out >NAME.before marks a point in the output).
events_since() {
	tail -n +$(($(cat "$1.before") + 1)) "$1.out"
}

wait_line() {
	wl_n=$((${4:-10} * 10))
	while [ "$(grep -c -E -e "$2" "$1" 2>/dev/null)" -lt "${3:-1}" ]; do
		if [ "$wl_n" -le 0 ]; then
			echo "wait_line: fewer than ${3:-1} lines matching $2 in $1:" >&2
			cat "$1" >&2
			return 1
		fi
		sleep 0.1
		wl_n=$((wl_n - 1))
	done
}

events_of() {
	sed 's/^{"ts":"[^"]*",/{/' "$1" | grep -E -e "${2:-.}"
}

check_ts() {
	if grep -v -E '^\{"ts":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z","topic":"[a-z]+/[a-z]+"' "$1"; then
		echo "check_ts: lines above lack the time stamp" >&2
		return 1
	fi
}

body_of() {
	perl -MJSON::PP -MEncode -e 'local $/; my $j = JSON::PP->new->utf8->decode(<STDIN>);
		binmode STDOUT; print Encode::encode("UTF-8", $j->{body})' <"$1"
}

message() {
	kam_sipsak_message alice "$KAM_ALICE_PASSWORD" bob "$1"
}

events_bob_conf() {
	{
		echo "websocket.servers = $KAM_WS_URL"
		for eb_line in "$@"; do
			echo "$eb_line"
		done
		echo "[user]"
		echo "uri = sip:bob@127.0.0.1"
		echo "sip_auth_password = $KAM_BOB_PASSWORD"
	} >bob.conf &&
	chmod 600 bob.conf
}
