# sip-call against sip-call: accounts on the project's Kamailio (source
# tests/lib/kamailio.sh and run kamailio_start first), bob answering in
# the background, alice calling in the foreground, ICE on loopback only.
# SIPCALL_LIMIT: each process's safety timeout in seconds (40); a loaded
# machine under SANITIZE=1 may need more.
: "${SIPCALL_LIMIT:=40}"

# sipcall_accounts USER...: $TRASH/USER.conf for -c, the password (from
# KAM_USER_PASSWORD) in a file only we read.
sipcall_accounts() {
	for u in "$@"; do
		eval "pass=\$KAM_$(echo "$u" | tr a-z A-Z)_PASSWORD"
		{
			echo "websocket.servers = $KAM_WS_URL"
			echo "[user]"
			echo "uri = sip:$u@127.0.0.1"
			echo "sip_auth_password = $pass"
		} >"$TRASH/$u.conf" &&
		chmod 600 "$TRASH/$u.conf" || return 1
	done
}

# topics FILE: the topics of FILE's events, one per line (jq-free: the
# tool writes members in a fixed order).
topics() {
	sed -n 's/^{"ts":"[^"]*","topic":"\([^"]*\)".*/\1/p' "$1"
}

# bob ARGS...: sip-call --answer as bob in the background (bob.out,
# bob.err, its status in bob.rc), once registered.
bob() {
	rm -f bob.rc bob.out &&
	(timeout "$SIPCALL_LIMIT" sip-call -c "$TRASH/bob.conf" \
		--ice-address 127.0.0.1 --answer "$@" >bob.out 2>bob.err
	 echo $? >bob.rc) &
	kamailio_wait_contacts bob 1 10
}

# alice ARGS...: sip-call as alice in the foreground (alice.out, alice.err).
alice() {
	timeout "$SIPCALL_LIMIT" sip-call -c "$TRASH/alice.conf" \
		--ice-address 127.0.0.1 "$@" >alice.out 2>alice.err
}

# bob_wait STATUS: until bob exits (SIPCALL_LIMIT at most) with STATUS,
# then until his binding is gone (the next test's bob is the only one).
bob_wait() {
	i=0 &&
	while ! test -s bob.rc; do
		i=$((i + 1)) && test $i -lt $((SIPCALL_LIMIT * 10)) &&
			sleep 0.1 || return 1
	done &&
	{ test "$(cat bob.rc)" = "$1" ||
		{ echo "bob exited $(cat bob.rc), not $1"; return 1; }; } &&
	kamailio_wait_contacts bob 0 10
}

# wait_event TOPIC FILE: until FILE has an event of TOPIC (20 s at most).
wait_event() {
	i=0 &&
	while ! grep -q "\"topic\":\"$1\"" "$2" 2>/dev/null; do
		i=$((i + 1)) && test $i -lt 200 && sleep 0.1 || return 1
	done
}

TEST_SHOW_ON_FAILURE="alice.out alice.err bob.out bob.err"
