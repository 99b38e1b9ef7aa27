# A private Kamailio SIP proxy for a test script: registrar with digest
# authentication, relaying over UDP, TCP, WS and WSS on 127.0.0.1, on ports
# chosen free at run time. Source after test-lib.sh; the whole script is
# skipped, with the reason, when Kamailio 5 (with its websocket, tls and
# db_sqlite modules), sqlite3, openssl or perl is missing.
#
#   kamailio_start [OPTIONS] [NAME]
#       Start an instance (NAME defaults to "default"; letters, digits, _).
#       Call it at the top level of the script, not inside a test body (a
#       body is a subshell: the variables it exports would be lost). Waits
#       until the server accepts connections (10 s at most); on failure it
#       prints why, with the end of the server's log, and exits the script.
#       The server is stopped when the script ends, whatever happens.
#       Options (kept across kamailio_restart):
#         --algorithm=MD5|SHA-256|none  digest algorithm of the challenges
#                                       (none: no algorithm parameter, MD5)
#         --ws-keepalive=SECONDS        idle time before a WebSocket ping (30)
#         --ws-keepalive-mechanism=N    1 ping (default), 2 pong, 0 none
#         --log-level=N                 -1 errors .. 3 debug (default 1)
#         --memory=MB                   shared memory (default 64)
#         --pkg-memory=MB               private memory per process (8)
#         --children=N                  UDP and TCP worker processes (2)
#         --malloc=qm|fm|tlsf           Kamailio's memory manager for
#                                       both (default: its own, qm);
#                                       tlsf keeps a loaded proxy fast
#       (the last four are for benchmarks: tests keep the defaults)
#   kamailio_use NAME         make NAME the current instance (sets KAM_*)
#   kamailio_stop [NAME]      SIGTERM, wait; no-op when not running
#   kamailio_kill [NAME]      SIGKILL every process of the instance (a crash)
#   kamailio_restart [NAME]   stop if running, start again on the same ports
#                             (registrations are forgotten, users are kept)
#   kamailio_running [NAME]   status 0 while the instance runs
#   kamailio_pid [NAME]       print the main pid (changes on restart)
#   kamailio_add_user USER PASSWORD [NAME]   add or change a user (live)
#   kamailio_del_user USER [NAME]            remove a user (live)
#   kamailio_rpc CMD [ARG...]   kamcmd on the current instance (status 1 on
#                               an RPC error)
#   kamailio_contacts USER      print USER's registered contacts, one a line
#   kamailio_wait_contacts USER COUNT [SECONDS]
#                               wait (default 5 s) until USER has exactly
#                               COUNT contacts; status 1 and a message if not
#   kam_ws_peer_start COUNT     bob as a minimal UA over ws:// in the
#                               background (tests/kamailio/ws-sip-peer.pl):
#                               registered, it answers COUNT MESSAGEs 200 and
#                               prints "MESSAGE FROM-URI BODY" to peer.out;
#                               kam_ws_peer_wait waits for it to end
#   kam_require_sipsak          skip the whole script if sipsak is missing
#   kam_sipsak_options [URI]    OPTIONS over UDP (default: to the server)
#   kam_sipsak_register USER PASSWORD [EXPIRES]
#   kam_sipsak_message FROM PASSWORD TO TEXT     MESSAGE from a local user
#   kam_sipsak_send FILE URI [AUTHUSER PASSWORD] any request, from a file
#   kam_request METHOD URI FROM TO [HEADERS [BODY]]
#       print a request for kam_sipsak_send: CRLF line ends, no Via (sipsak
#       adds its own), Call-ID, tags, CSeq 1, Max-Forwards and the
#       Content-Length of BODY filled in; HEADERS are extra header lines
#       (several separated by CRLF); FROM and TO are URIs
#       The sipsak helpers print the final status code (e.g. 200) and return
#       0, or print nothing and return 1 if no final response came. They
#       send over UDP to the current instance and append sipsak's trace to
#       $KAM_DIR/sipsak.log. A file for kam_sipsak_send is sent as it is
#       (CRLF line ends, no Via), except that sipsak replaces $port$ with
#       its own UDP port (handy in a Contact). AUTHUSER/PASSWORD answer a
#       401 or 407 challenge (MD5 only).
#
# Variables exported for the current instance (and, for an instance started
# with a NAME other than "default", also with the suffix _NAME, e.g.
# KAM_WS_URL_b):
#   KAM_NAME KAM_DIR            instance name and its state directory
#   KAM_DOMAIN KAM_REALM        SIP domain and digest realm: 127.0.0.1
#                               (sip:alice@127.0.0.1 on any port is local)
#   KAM_UDP_PORT KAM_TCP_PORT   SIP over UDP and TCP (the same number)
#   KAM_WS_PORT KAM_WSS_PORT    WebSocket and WebSocket over TLS
#   KAM_WS_URL KAM_WSS_URL      ws://127.0.0.1:PORT/ and wss://127.0.0.1:PORT/
#                               (any path is accepted)
#   KAM_SIP_URI                 sip:127.0.0.1:UDPPORT (the server itself)
#   KAM_CA                      CA certificate (PEM) that signed the server
#                               certificate, for 127.0.0.1 and localhost;
#                               one CA per script, shared by all instances
#   KAM_TLS_CERT KAM_TLS_KEY    the server certificate and key (PEM)
#   KAM_PID KAM_LOG             main pid (kamailio_pid stays right after a
#                               restart inside a test body), log file
#                               (appended across restarts)
#   KAM_DB                      sqlite file with the subscriber table
#   KAM_CTL                     kamcmd control address (tcp:127.0.0.1:PORT)
#   KAM_ALGORITHM               digest algorithm of the challenges: MD5,
#                               SHA-256 or none (no parameter: MD5)
# Known users on every instance (passwords in KAM_ALICE_PASSWORD,
# KAM_BOB_PASSWORD, KAM_CAROL_PASSWORD): alice/alice-secret,
# bob/bob-secret, carol/carol-secret.
#
# Routing rules are described at the top of tests/kamailio/kamailio.cfg.
# Perl helpers there, for tests that need a peer of their own:
#   ws-handshake.pl [-C CA] [-p PROTO] URL   one WebSocket upgrade (ws or
#                               wss), prints the answer's head
#   ws-sip-peer.pl [-n N] [-t S] USER PASSWORD WS-URL   a minimal WebSocket
#                               SIP UA: registers, answers N MESSAGEs
#   digest-register.pl USER PASSWORD UDPPORT   REGISTER with an MD5 or
#                               SHA-256 digest (sipsak knows only MD5)

KAM_LIB_DIR="$SIPWS_SOURCE/tests/kamailio"
KAM_ALICE_PASSWORD=alice-secret
KAM_BOB_PASSWORD=bob-secret
KAM_CAROL_PASSWORD=carol-secret
export KAM_ALICE_PASSWORD KAM_BOB_PASSWORD KAM_CAROL_PASSWORD
# Debian keeps kamailio and kamcmd in /usr/sbin, often not in a user's PATH.
case ":$PATH:" in
*:/usr/sbin:*) ;;
*) PATH="$PATH:/usr/sbin" ;;
esac

kam__missing=
for kam__cmd in kamailio kamcmd sqlite3 openssl perl; do
	command -v "$kam__cmd" >/dev/null 2>&1 ||
		kam__missing="$kam__missing $kam__cmd"
done
if [ -z "$kam__missing" ]; then
	kam__moddir=$(kamailio -h 2>&1 |
		sed -n 's/.*Modules search path (default: \(.*\))$/\1/p')
	for kam__mod in websocket xhttp tls db_sqlite auth_db nathelper; do
		[ -f "$kam__moddir/$kam__mod.so" ] ||
			kam__missing="$kam__missing kamailio-module-$kam__mod"
	done
fi
if [ -n "$kam__missing" ]; then
	test_skip_all "the Kamailio test server needs:$kam__missing"
fi

kam__root="$(cd "$TRASH" && pwd -P)/kamailio"
kam__vars="KAM_NAME KAM_DIR KAM_DOMAIN KAM_REALM KAM_UDP_PORT KAM_TCP_PORT
KAM_WS_PORT KAM_WSS_PORT KAM_WS_URL KAM_WSS_URL KAM_SIP_URI KAM_CA
KAM_TLS_CERT KAM_TLS_KEY KAM_PID KAM_LOG KAM_DB KAM_CTL KAM_ALGORITHM"
kam__sipsak_count=0

kam__say() {
	echo "kamailio.sh: $*" >&2
}

kam__valid_name() {
	case "$1" in
	'' | *[!A-Za-z0-9_]*)
		kam__say "bad instance name '$1' (letters, digits and _ only)"
		return 1
		;;
	esac
	return 0
}

# kam__dir [NAME]: the state directory of NAME (default: current instance).
kam__dir() {
	kam__n=${1:-${KAM_NAME:-default}}
	kam__valid_name "$kam__n" || return 1
	if [ ! -f "$kam__root/$kam__n/env" ]; then
		kam__say "no Kamailio instance '$kam__n' was started"
		return 1
	fi
	echo "$kam__root/$kam__n"
}

# kam__sql DB SQL: run SQL on the sqlite file DB.
kam__sql() {
	sqlite3 -batch -bail "$1" "$2"
}

kam__quote_sql() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"
}

# A CA and one server certificate per script, for 127.0.0.1 and localhost.
# EC keys take milliseconds to make; `req -CA` needs OpenSSL 3.
kam__make_certs() {
	[ -f "$kam__root/server.crt" ] && return 0
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$kam__root/ca.key" -out "$kam__root/ca.crt" \
		-days 2 -subj "/CN=sipws test CA $$" \
		-addext 'basicConstraints=critical,CA:TRUE' \
		-addext 'keyUsage=critical,keyCertSign,cRLSign' \
		>"$kam__root/openssl.log" 2>&1 &&
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$kam__root/server.key" -out "$kam__root/server.crt.new" \
		-days 2 -subj "/CN=127.0.0.1" \
		-CA "$kam__root/ca.crt" -CAkey "$kam__root/ca.key" \
		-addext 'basicConstraints=critical,CA:FALSE' \
		-addext 'keyUsage=critical,digitalSignature,keyEncipherment' \
		-addext 'extendedKeyUsage=serverAuth' \
		-addext 'subjectAltName=IP:127.0.0.1,DNS:localhost' \
		>>"$kam__root/openssl.log" 2>&1 &&
	mv "$kam__root/server.crt.new" "$kam__root/server.crt" || {
		kam__say "openssl failed to make the test certificates:"
		cat "$kam__root/openssl.log" >&2
		return 1
	}
}

# kam__write_env DIR: the instance's variables, NAME=value one a line.
kam__write_env() {
	for kam__v in $kam__vars; do
		eval "printf '%s=%s\\n' \"\$kam__v\" \"\$$kam__v\""
	done >"$1/env.new" && mv "$1/env.new" "$1/env"
}

# kam__export NAME: load NAME's variables; export them unsuffixed (NAME
# becomes current), and suffixed with _NAME unless NAME is "default".
kam__export() {
	while IFS= read -r kam__line; do
		kam__v=${kam__line%%=*}
		kam__val=${kam__line#*=}
		eval "$kam__v=\$kam__val; export $kam__v"
		if [ "$1" != default ]; then
			eval "${kam__v}_$1=\$kam__val; export ${kam__v}_$1"
		fi
	done <"$kam__root/$1/env"
}

kamailio_use() {
	kam__dir "$1" >/dev/null || return 1
	kam__export "$1"
}

# kam__launch NAME: start NAME's kamailio from its saved settings and wait
# until it serves. Status 0 ready, 2 it exited (see its log), 1 otherwise.
kam__launch() {
	kam__d="$kam__root/$1"
	. "$kam__d/settings" || return 1
	mkdir -p "$kam__d/run" &&
	echo "kamailio.sh: starting instance $1" >>"$kam__d/kamailio.log" || return 1
	# Started from a subshell that exits at once: the server is no child
	# of the script, whose `wait` would otherwise wait for it.
	(perl "$KAM_LIB_DIR/process.pl" spawn kamailio \
		-f "$KAM_LIB_DIR/kamailio.cfg" -DD -E \
		-m "$kam__shm" -M "$kam__pkg" $kam__malloc \
		-A "KAM_CHILDREN=$kam__children" \
		-w "$kam__d" -Y "$kam__d/run" \
		-A "KAM_UDP_PORT=$kam__sip_port" -A "KAM_TCP_PORT=$kam__sip_port" \
		-A "KAM_WS_PORT=$kam__ws_port" -A "KAM_WSS_PORT=$kam__wss_port" \
		-A "KAM_CTL_SOCKET=\"tcp:127.0.0.1:$kam__ctl_port\"" \
		-A "KAM_REALM=\"127.0.0.1\"" \
		-A "KAM_DB_URL=\"sqlite:///$kam__d/db.sqlite\"" \
		-A "KAM_TLS_CERT=\"$kam__root/server.crt\"" \
		-A "KAM_TLS_KEY=\"$kam__root/server.key\"" \
		-A "KAM_DIGEST_ALGORITHM=\"$kam__algorithm\"" \
		-A "KAM_WS_KEEPALIVE_TIMEOUT=$kam__ka_timeout" \
		-A "KAM_WS_KEEPALIVE_MECHANISM=$kam__ka_mechanism" \
		-A "KAM_LOG_LEVEL=$kam__log_level" \
		</dev/null >>"$kam__d/kamailio.log" 2>&1 &
	echo "$!" >"$kam__d/pid") || return 1
	kam__pid=$(cat "$kam__d/pid")
	# Kills the server if this script dies without running its cleanup.
	(perl "$KAM_LIB_DIR/process.pl" watchdog "$$" "$kam__pid" \
		</dev/null >/dev/null 2>&1 &)
	perl "$KAM_LIB_DIR/process.pl" wait-ready "$kam__pid" 10 \
		"$kam__sip_port" "$kam__ws_port" "$kam__wss_port" "$kam__ctl_port"
	kam__rc=$?
	if [ "$kam__rc" -ne 0 ]; then
		kam__reap "$kam__pid"
		return "$kam__rc"
	fi
	kam__set_pid "$1" "$kam__pid"
}

# kam__set_pid NAME PID: record a new main pid in NAME's env, and in the
# exported variables where NAME's are set.
kam__set_pid() {
	kam__d="$kam__root/$1"
	sed "s/^KAM_PID=.*/KAM_PID=$2/" "$kam__d/env" >"$kam__d/env.new" &&
	mv "$kam__d/env.new" "$kam__d/env" || return 1
	if [ "${KAM_NAME:-}" = "$1" ]; then
		KAM_PID=$2
	fi
	if [ "$1" != default ]; then
		eval "KAM_PID_$1=\$2"
	fi
	return 0
}

# kam__reap PID: make sure process group PID is gone (status 1 if it
# survives SIGKILL).
kam__reap() {
	perl "$KAM_LIB_DIR/process.pl" kill-group "$1"
}

kam__fail_start() {
	kam__say "$1"
	if [ -f "$kam__root/$2/kamailio.log" ]; then
		kam__say "last lines of $kam__root/$2/kamailio.log:"
		tail -n 25 "$kam__root/$2/kamailio.log" | sed 's/^/    /' >&2
	fi
}

kamailio_start() {
	kam__algorithm=MD5
	kam__ka_timeout=30
	kam__ka_mechanism=1
	kam__log_level=1
	kam__shm=64
	kam__pkg=8
	kam__children=2
	kam__malloc=
	while [ $# -gt 0 ]; do
		case "$1" in
		--algorithm=none) kam__algorithm= ;;
		--algorithm=MD5 | --algorithm=SHA-256) kam__algorithm=${1#*=} ;;
		--ws-keepalive=*) kam__ka_timeout=${1#*=} ;;
		--ws-keepalive-mechanism=*) kam__ka_mechanism=${1#*=} ;;
		--log-level=*) kam__log_level=${1#*=} ;;
		--memory=[1-9]*) kam__shm=${1#*=} ;;
		--pkg-memory=[1-9]*) kam__pkg=${1#*=} ;;
		--children=[1-9]*) kam__children=${1#*=} ;;
		--malloc=qm | --malloc=fm | --malloc=tlsf)
			kam__malloc="-x ${1#*=} -X ${1#*=}" ;;
		-*)
			kam__say "kamailio_start: unknown option $1"
			exit 1
			;;
		*) break ;;
		esac
		shift
	done
	kam__name=${1:-default}
	kam__valid_name "$kam__name" || exit 1
	kam__d="$kam__root/$kam__name"
	if [ -f "$kam__d/pid" ] &&
		perl "$KAM_LIB_DIR/process.pl" alive "$(cat "$kam__d/pid")"; then
		kam__say "kamailio_start: instance $kam__name already runs"
		exit 1
	fi
	rm -rf "$kam__d"
	mkdir -p "$kam__d" && kam__make_certs || exit 1
	{
		cat "$KAM_LIB_DIR/subscriber.sql" &&
		echo "INSERT INTO subscriber (username, domain, password) VALUES
			('alice', '127.0.0.1', '$KAM_ALICE_PASSWORD'),
			('bob', '127.0.0.1', '$KAM_BOB_PASSWORD'),
			('carol', '127.0.0.1', '$KAM_CAROL_PASSWORD');"
	} | sqlite3 -batch -bail "$kam__d/db.sqlite" || {
		kam__say "kamailio_start: cannot create $kam__d/db.sqlite"
		exit 1
	}
	test_when_finished "kamailio_stop $kam__name"

	# Another program may take a chosen port before Kamailio binds it:
	# then choose again.
	kam__try=0
	while :; do
		kam__try=$((kam__try + 1))
		set -- $(perl "$KAM_LIB_DIR/free-ports.pl" 4)
		[ $# -eq 4 ] || exit 1
		{
			echo "kam__sip_port=$1 kam__ws_port=$2"
			echo "kam__wss_port=$3 kam__ctl_port=$4"
			echo "kam__algorithm='$kam__algorithm'"
			echo "kam__ka_timeout=$kam__ka_timeout"
			echo "kam__ka_mechanism=$kam__ka_mechanism"
			echo "kam__log_level=$kam__log_level"
			echo "kam__shm=$kam__shm kam__pkg=$kam__pkg"
			echo "kam__children=$kam__children"
			echo "kam__malloc='$kam__malloc'"
		} >"$kam__d/settings"
		KAM_NAME=$kam__name
		KAM_DIR=$kam__d
		KAM_DOMAIN=127.0.0.1
		KAM_REALM=127.0.0.1
		KAM_UDP_PORT=$1
		KAM_TCP_PORT=$1
		KAM_WS_PORT=$2
		KAM_WSS_PORT=$3
		KAM_WS_URL="ws://127.0.0.1:$2/"
		KAM_WSS_URL="wss://127.0.0.1:$3/"
		KAM_SIP_URI="sip:127.0.0.1:$1"
		KAM_CA="$kam__root/ca.crt"
		KAM_TLS_CERT="$kam__root/server.crt"
		KAM_TLS_KEY="$kam__root/server.key"
		KAM_PID=
		KAM_LOG="$kam__d/kamailio.log"
		KAM_DB="$kam__d/db.sqlite"
		KAM_CTL="tcp:127.0.0.1:$4"
		KAM_ALGORITHM=${kam__algorithm:-none}
		kam__write_env "$kam__d" || exit 1
		kam__launch "$kam__name"
		kam__rc=$?
		[ "$kam__rc" -eq 0 ] && break
		if [ "$kam__rc" -eq 2 ] && [ "$kam__try" -lt 5 ] &&
			grep -q 'Address already in use' "$kam__d/kamailio.log"; then
			mv "$kam__d/kamailio.log" "$kam__d/kamailio.log.$kam__try"
			continue
		fi
		if [ "$kam__rc" -eq 2 ]; then
			kam__fail_start "kamailio_start: Kamailio exited at start" \
				"$kam__name"
		else
			kam__fail_start "kamailio_start: Kamailio does not serve after 10 s" \
				"$kam__name"
		fi
		exit 1
	done
	kam__export "$kam__name"
}

kamailio_stop() {
	kam__d=$(kam__dir "$1") || return 1
	[ -f "$kam__d/pid" ] || return 0
	kam__pid=$(cat "$kam__d/pid")
	perl "$KAM_LIB_DIR/process.pl" stop "$kam__pid" || return 1
	rm -f "$kam__d/pid"
}

kamailio_kill() {
	kam__d=$(kam__dir "$1") || return 1
	[ -f "$kam__d/pid" ] || return 0
	kam__pid=$(cat "$kam__d/pid")
	kam__reap "$kam__pid" || return 1
	rm -f "$kam__d/pid"
}

kamailio_restart() {
	kam__d=$(kam__dir "$1") || return 1
	kam__n=$(basename "$kam__d")
	kamailio_stop "$kam__n" || return 1
	kam__launch "$kam__n" || {
		kam__fail_start "kamailio_restart: Kamailio did not start again" \
			"$kam__n"
		return 1
	}
}

kamailio_running() {
	kam__d=$(kam__dir "$1") || return 1
	[ -f "$kam__d/pid" ] &&
	perl "$KAM_LIB_DIR/process.pl" alive "$(cat "$kam__d/pid")"
}

kamailio_pid() {
	kam__d=$(kam__dir "$1") || return 1
	cat "$kam__d/pid"
}

# kamailio_alice_config [LINE...]: the user config file of the tests'
# default account, alice on the current instance over ws://, with LINEs
# (e.g. "websocket.connection_recovery_min_interval = 1") before [user].
kamailio_alice_config() {
	mkdir -p "$XDG_CONFIG_HOME/sipws" &&
	{
		echo "websocket.servers = $KAM_WS_URL"
		for kam__line in "$@"; do
			echo "$kam__line"
		done
		echo "[user]"
		echo "uri = sip:alice@127.0.0.1"
		echo "sip_auth_password = $KAM_ALICE_PASSWORD"
	} >"$XDG_CONFIG_HOME/sipws/config" &&
	chmod 600 "$XDG_CONFIG_HOME/sipws/config"
}

kamailio_add_user() {
	if [ $# -lt 2 ]; then
		kam__say "usage: kamailio_add_user USER PASSWORD [NAME]"
		return 1
	fi
	kam__d=$(kam__dir "$3") || return 1
	kam__sql "$kam__d/db.sqlite" "INSERT OR REPLACE INTO subscriber
		(username, domain, password) VALUES
		($(kam__quote_sql "$1"), '127.0.0.1', $(kam__quote_sql "$2"));"
}

kamailio_del_user() {
	if [ $# -lt 1 ]; then
		kam__say "usage: kamailio_del_user USER [NAME]"
		return 1
	fi
	kam__d=$(kam__dir "$2") || return 1
	kam__sql "$kam__d/db.sqlite" \
		"DELETE FROM subscriber WHERE username = $(kam__quote_sql "$1");"
}

kamailio_rpc() {
	kam__d=$(kam__dir) || return 1
	kam__out=$(kamcmd -s "$KAM_CTL" "$@" 2>&1)
	kam__rc=$?
	printf '%s\n' "$kam__out"
	case "$kam__out" in
	error:*) return 1 ;;
	esac
	return "$kam__rc"
}

kamailio_contacts() {
	kam__out=$(kamailio_rpc ul.lookup location "$1")
	case "$kam__out" in
	*"AOR not found"* | *"AOR has no contacts"*) return 0 ;;
	esac
	case "$kam__out" in
	error:*)
		printf '%s\n' "$kam__out" >&2
		return 1
		;;
	esac
	printf '%s\n' "$kam__out" | sed -n 's/^[[:space:]]*Address: //p'
}

kamailio_wait_contacts() {
	if [ $# -lt 2 ]; then
		kam__say "usage: kamailio_wait_contacts USER COUNT [SECONDS]"
		return 1
	fi
	kam__tries=$((${3:-5} * 10))
	while :; do
		kam__got=$(kamailio_contacts "$1" | wc -l | tr -d ' ') || return 1
		[ "$kam__got" -eq "$2" ] && return 0
		kam__tries=$((kam__tries - 1))
		if [ "$kam__tries" -le 0 ]; then
			kam__say "kamailio_wait_contacts: $1 has $kam__got contacts, not $2"
			return 1
		fi
		sleep 0.1
	done
}

kam_require_sipsak() {
	command -v sipsak >/dev/null 2>&1 ||
		test_skip_all "sipsak is not installed"
}

# kam_sipsak_send FILE URI [AUTHUSER PASSWORD]
kam_sipsak_send() {
	if [ $# -ne 2 ] && [ $# -ne 4 ]; then
		kam__say "usage: kam_sipsak_send FILE URI [AUTHUSER PASSWORD]"
		return 1
	fi
	kam__d=$(kam__dir) || return 1
	kam__sipsak_count=$((kam__sipsak_count + 1))
	kam__trace="$kam__d/sipsak.$$.$kam__sipsak_count"
	# Debian's sipsak crashes in -M mode, and -U mode garbles 5-digit
	# ports: every request is written out and sent with -f.
	if [ $# -eq 4 ]; then
		set -- "$1" "$2" -u "$3" -a "$4"
	fi
	kam__file=$1 kam__uri=$2
	shift 2
	echo "kamailio.sh: sipsak -f $kam__file -s $kam__uri $*" >>"$kam__d/sipsak.log"
	sipsak -vv -L -G -H 127.0.0.1 -f "$kam__file" \
		-s "$kam__uri" -p "127.0.0.1:$KAM_UDP_PORT" "$@" \
		</dev/null >"$kam__trace" 2>&1
	cat "$kam__trace" >>"$kam__d/sipsak.log"
	kam__code=$(sed -n 's/^SIP\/2\.0 \([2-6][0-9][0-9]\) .*/\1/p' "$kam__trace" |
		tail -n 1)
	rm -f "$kam__trace"
	[ -n "$kam__code" ] || return 1
	echo "$kam__code"
}

# kam_request METHOD URI FROM TO [HEADERS [BODY]]: print a request for
# kam_sipsak_send (no Via; CRLF line ends; Content-Length of BODY).
kam_request() {
	kam__body=${6:-}
	# Unique even across test bodies (subshells that share $$).
	kam__id=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	printf '%s %s SIP/2.0\r\n' "$1" "$2"
	printf 'From: <%s>;tag=%s\r\n' "$3" "$kam__id"
	printf 'To: <%s>\r\n' "$4"
	printf 'Call-ID: %s-%s@127.0.0.1\r\n' "$kam__id" "$$"
	printf 'CSeq: 1 %s\r\n' "$1"
	printf 'Max-Forwards: 70\r\n'
	[ -z "${5:-}" ] || printf '%s\r\n' "$5"
	printf 'Content-Length: %s\r\n\r\n' "$(printf '%s' "$kam__body" | wc -c |
		tr -d ' ')"
	printf '%s' "$kam__body"
}

kam_sipsak_options() {
	kam__d=$(kam__dir) || return 1
	kam__uri=${1:-$KAM_SIP_URI}
	kam_request OPTIONS "$kam__uri" "sip:sipsak@127.0.0.1" "$kam__uri" \
		'Accept: application/sdp' >"$kam__d/options.sip" &&
	kam_sipsak_send "$kam__d/options.sip" "$kam__uri"
}

kam_sipsak_register() {
	if [ $# -lt 2 ]; then
		kam__say "usage: kam_sipsak_register USER PASSWORD [EXPIRES]"
		return 1
	fi
	kam__d=$(kam__dir) || return 1
	kam_request REGISTER "sip:127.0.0.1" "sip:$1@127.0.0.1" \
		"sip:$1@127.0.0.1" "$(printf 'Contact: <sip:%s@127.0.0.1:$port$>\r\nExpires: %s' \
		"$1" "${3:-60}")" >"$kam__d/register.sip" &&
	kam_sipsak_send "$kam__d/register.sip" "sip:$1@127.0.0.1" "$1" "$2"
}

kam_sipsak_message() {
	if [ $# -ne 4 ]; then
		kam__say "usage: kam_sipsak_message FROM PASSWORD TO TEXT"
		return 1
	fi
	kam__d=$(kam__dir) || return 1
	kam_request MESSAGE "sip:$3@127.0.0.1" "sip:$1@127.0.0.1" \
		"sip:$3@127.0.0.1" 'Content-Type: text/plain;charset=UTF-8' \
		"$4" >"$kam__d/message.sip" &&
	kam_sipsak_send "$kam__d/message.sip" "sip:$3@127.0.0.1" "$1" "$2"
}

kam_ws_peer_start() {
	perl "$SIPWS_SOURCE/tests/kamailio/ws-sip-peer.pl" -n "$1" -t 30 \
		bob "$KAM_BOB_PASSWORD" "$KAM_WS_URL" >peer.out 2>peer.err &
	echo $! >peer.pid
	for kam__i in $(seq 50); do
		grep -q "^registered 200\$" peer.out 2>/dev/null && return 0
		sleep 0.1
	done
	echo "the peer did not register:" >&2
	cat peer.out peer.err >&2
	return 1
}

kam_ws_peer_wait() {
	wait "$(cat peer.pid)"
}
