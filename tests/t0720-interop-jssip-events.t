#!/bin/sh
test_description='interop: messages that JsSIP sends from Chromium show up in
sip-events byte-exact, with their content type and display name'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"
. "$SIPWS_SOURCE/tests/lib/browser.sh"

kamailio_start

# ---- helpers ---------------------------------------------------------------

# events_start NAME ARGS...: run "sip-events ARGS" in the background:
# standard output in NAME.out, standard error in NAME.err, the pid in
# NAME.pid; NAME.rc gets the exit status when it ends.
events_start() {
	ev_name=$1
	shift
	rm -f "$ev_name.out" "$ev_name.err" "$ev_name.pid" "$ev_name.rc"
	# A process group of its own, so that the watchdog can kill it if
	# this script dies first: sip-events would retry forever.
	(perl "$KAM_LIB_DIR/process.pl" spawn sh -c \
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

# events_rc NAME [SECONDS]: wait (10 s) until NAME ended; print its status.
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

# events_stop NAME: SIGTERM, and check that it exits 0.
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

# wait_line FILE ERE [COUNT [SECONDS]]: wait (10 s) until FILE holds COUNT
# (1) lines matching ERE.
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

# events_of FILE [ERE]: the events of FILE (matching ERE) without "ts".
events_of() {
	sed 's/^{"ts":"[^"]*",/{/' "$1" | grep -E -e "${2:-.}"
}

# check_ts FILE: every line starts with an RFC 3339 UTC time stamp with
# milliseconds, then the topic.
check_ts() {
	if grep -v -E '^\{"ts":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z","topic":"[a-z]+/[a-z]+"' "$1"; then
		echo "check_ts: lines above lack the time stamp" >&2
		return 1
	fi
}

cat >bob.conf <<EOF
websocket.servers = $KAM_WS_URL
[user]
uri = sip:bob@127.0.0.1
sip_auth_password = $KAM_BOB_PASSWORD
EOF
chmod 600 bob.conf

# body_of LINE-FILE: the raw bytes of the "body" member of the one JSON
# line in LINE-FILE.
body_of() {
	perl -MJSON::PP -MEncode -e 'local $/; my $j = JSON::PP->new->utf8->decode(<STDIN>);
		binmode STDOUT; print Encode::encode("UTF-8", $j->{body})' <"$1"
}

# send_file ID FILE [CONTENT-TYPE]: alice (JsSIP) sends bob the bytes of
# FILE; prints the final status JsSIP saw.
send_file() {
	sf_type=
	[ -z "${3:-}" ] || sf_type=",\"content_type\":$(browser_json_string "$3")"
	browser_cmd alice "{\"cmd\":\"message\",\"id\":\"$1\",\"to\":\"sip:bob@127.0.0.1\",\"body_file\":\"$PWD/$2\"$sf_type}" &&
	browser_wait_event alice "\"event\":\"message_(sent|failed)\",\"id\":\"$1\"" >"$1.sent" &&
	browser_field status <"$1.sent" && echo
}

test_expect_success 'JsSIP (alice, in Chromium) and sip-events (bob) register' '
	browser_start alice &&
	browser_register alice sip:alice@127.0.0.1 "$KAM_ALICE_PASSWORD" "$KAM_WS_URL" &&
	events_start bob -c bob.conf --topic "message/*" &&
	kamailio_wait_contacts bob 1
'

test_expect_success 'a multi-line UTF-8 message from JsSIP arrives byte-exact' '
	printf "Grüße aus Köln ✓ 🎉\nzweite Zeile\r\n\n\t\"quoted\" \\\\ back\\\\slash  \n\n" >body1 &&
	send_file m1 body1 >status &&
	echo 200 >expect &&
	test_cmp expect status &&
	wait_line bob.out message/incoming &&
	check_ts bob.out &&
	events_of bob.out | sed -n 1p >line &&
	cat >expect <<-\EOF &&
	{"topic":"message/incoming","from":"sip:alice@127.0.0.1","display":null,"to":"sip:bob@127.0.0.1","content_type":"text/plain","body":"Grüße aus Köln ✓ 🎉\nzweite Zeile\r\n\n\t\"quoted\" \\ back\\slash  \n\n"}
	EOF
	test_cmp expect line &&
	body_of line >actual &&
	test_cmp body1 actual
'

test_expect_success 'control characters and a content type of JsSIP pass unchanged' '
	printf "a\001b\037c\177d {\"json\": [1, 2]}" >body2 &&
	send_file m2 body2 "application/json;charset=UTF-8" >status &&
	echo 200 >expect &&
	test_cmp expect status &&
	wait_line bob.out message/incoming 2 &&
	events_of bob.out | sed -n 2p >line &&
	test_grep "\"content_type\":\"application/json;charset=UTF-8\"" line &&
	body_of line >actual &&
	test_cmp body2 actual
'

test_expect_success 'an empty message from JsSIP arrives with an empty body' '
	: >body3 &&
	send_file m3 body3 >status &&
	echo 200 >expect &&
	test_cmp expect status &&
	wait_line bob.out message/incoming 3 &&
	events_of bob.out | sed -n 3p >line &&
	test_grep "\"body\":\"\"}$" line
'

test_expect_success 'a long message (16 KiB) arrives whole' '
	perl -e "print join(qq(\n), map { qq(line \$_ ) . (q(é) x 60) } 1..130)" >body4 &&
	test "$(wc -c <body4)" -gt 16000 &&
	send_file m4 body4 >status &&
	echo 200 >expect &&
	test_cmp expect status &&
	wait_line bob.out message/incoming 4 &&
	events_of bob.out | sed -n 4p >line &&
	body_of line >actual &&
	test_cmp body4 actual
'

test_expect_success 'the display name JsSIP puts in From is reported' '
	browser_stop alice &&
	browser_start carol &&
	browser_cmd carol "{\"cmd\":\"register\",\"uri\":\"sip:carol@127.0.0.1\",\"password\":\"$KAM_CAROL_PASSWORD\",\"ws\":\"$KAM_WS_URL\",\"display_name\":\"Carol Ünicode\"}" &&
	browser_wait_event carol "\"event\":\"registered\"" &&
	printf "hi from carol" >body5 &&
	browser_cmd carol "{\"cmd\":\"message\",\"id\":\"m5\",\"to\":\"sip:bob@127.0.0.1\",\"body_file\":\"$PWD/body5\"}" &&
	browser_wait_event carol "\"event\":\"message_sent\",\"id\":\"m5\"" &&
	wait_line bob.out message/incoming 5 &&
	events_of bob.out | sed -n 5p >line &&
	cat >expect <<-\EOF &&
	{"topic":"message/incoming","from":"sip:carol@127.0.0.1","display":"Carol Ünicode","to":"sip:bob@127.0.0.1","content_type":"text/plain","body":"hi from carol"}
	EOF
	test_cmp expect line
'

test_expect_success 'sip-events stops cleanly' '
	events_stop bob &&
	kamailio_contacts bob >contacts &&
	test_cmp /dev/null contacts
'

test_done
