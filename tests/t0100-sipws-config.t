#!/bin/sh
test_description='sipws-config prints the layered configuration, masks secrets, checks values'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"

command -v sipws-config >/dev/null || test_skip_all 'sipws-config is not built'

version=$(sed -n 's/^#define SIPWS_VERSION "\(.*\)"/\1/p' "$SIPWS_SOURCE/lib/version.h")
user_file="$XDG_CONFIG_HOME/sipws/config"
mkdir -p "$XDG_CONFIG_HOME/sipws/profiles"

test_expect_success 'without any file it prints every key with its default' '
	sipws-config >out 2>err &&
	cat >expect <<-EOF &&
	websocket.servers =
	websocket.connection_recovery_min_interval = 2
	websocket.connection_recovery_max_interval = 30
	websocket.preferred_probe_interval = 60
	websocket.origin =
	user.display_name =
	user.uri =
	user.sip_auth_user =
	user.sip_auth_password =
	user.sip_auth_password_file =
	user.sip_auth_ha1 =
	user.sip_auth_ha1_algorithm = MD5
	user.sip_auth_realm =
	user.sip_auth_user_full_uri = true
	registration.expiry = 600
	registration.server =
	stun_servers =
	turn_servers =
	dialing.no_answer_timeout = 60
	session.dtmf_duration = 100
	session.require_relay_candidate = false
	session.ice_addresses =
	extra_headers =
	tls.ca_file =
	tls.insecure = false
	user_agent = sipws/$version
	EOF
	test_cmp expect out &&
	test_cmp /dev/null err
'

test_expect_success '--list-keys names the same keys in the same order' '
	sipws-config --list-keys >keys &&
	sed "s/ =.*//" expect >want &&
	test_cmp want keys
'

test_expect_success 'the system file named by SIPWS_SYSTEM_CONFIG is read' '
	printf "registration.expiry = 1200\n" >"$SIPWS_SYSTEM_CONFIG" &&
	sipws-config registration.expiry >out &&
	echo "registration.expiry = 1200" >expect &&
	test_cmp expect out
'

test_expect_success 'the user file overrides the system file' '
	cat >"$user_file" <<-\EOF &&
	# my account
	websocket.servers = wss://ws1.example.org/ws weight=10, wss://ws2.example.org:8443/sip

	[user]
	display_name = "  Bob #1 "
	uri = sip:bob@example.org
	[registration]
	expiry = 3600 # an hour
	EOF
	chmod 600 "$user_file" &&
	sipws-config registration.expiry user.uri >out &&
	cat >expect <<-\EOF &&
	registration.expiry = 3600
	user.uri = sip:bob@example.org
	EOF
	test_cmp expect out
'

test_expect_success '--show-origin names file and line, default and derived values' '
	sipws-config --show-origin websocket.servers user.display_name user.uri \
		user.sip_auth_user registration.expiry registration.server \
		session.dtmf_duration >out &&
	cat >expect <<-EOF &&
	websocket.servers = wss://ws1.example.org/ws weight=10 # from file:$user_file:2
	websocket.servers = wss://ws2.example.org:8443/sip # from file:$user_file:2
	user.display_name = "  Bob #1 " # from file:$user_file:5
	user.uri = sip:bob@example.org # from file:$user_file:6
	user.sip_auth_user = bob@example.org # from derived:user.uri
	registration.expiry = 3600 # from file:$user_file:8
	registration.server = sip:example.org # from derived:user.uri
	session.dtmf_duration = 100 # from default
	EOF
	test_cmp expect out
'

test_expect_success 'a profile goes on top of the user file' '
	cat >"$XDG_CONFIG_HOME/sipws/profiles/work" <<-\EOF &&
	[user]
	uri = sip:bob@work.example.com
	sip_auth_user_full_uri = false
	EOF
	sipws-config -p work --show-origin user.uri user.sip_auth_user registration.expiry >out &&
	cat >expect <<-EOF &&
	user.uri = sip:bob@work.example.com # from profile:$XDG_CONFIG_HOME/sipws/profiles/work:2
	user.sip_auth_user = bob # from derived:user.uri
	registration.expiry = 3600 # from file:$user_file:8
	EOF
	test_cmp expect out
'

test_expect_success 'a missing profile is a configuration error (78)' '
	test_expect_code 78 sipws-config -p nowhere >out 2>err &&
	test_cmp /dev/null out &&
	test_grep "^sipws-config: profile .*profiles/nowhere: No such file" err
'

test_expect_success 'environment variables go on top of the profile' '
	SIPWS_USER_URI=sip:carol@env.example.net SIPWS_REGISTRATION_EXPIRY=60 \
		sipws-config -p work --show-origin user.uri registration.expiry >out &&
	cat >expect <<-\EOF &&
	user.uri = sip:carol@env.example.net # from env:SIPWS_USER_URI
	registration.expiry = 60 # from env:SIPWS_REGISTRATION_EXPIRY
	EOF
	test_cmp expect out
'

test_expect_success '--set goes on top of the environment' '
	SIPWS_REGISTRATION_EXPIRY=60 sipws-config -p work \
		--set registration.expiry=90 -o "extra_headers=X-A: 1" \
		-o "extra_headers=X-B: 2, 3" --show-origin \
		registration.expiry extra_headers >out &&
	cat >expect <<-\EOF &&
	registration.expiry = 90 # from command line
	extra_headers = X-A: 1 # from command line
	extra_headers = X-B: 2, 3 # from command line
	EOF
	test_cmp expect out
'

test_expect_success '-c replaces the system and user files' '
	printf "user.display_name = other\n" >other.conf &&
	sipws-config -c other.conf --show-origin user.display_name user.uri registration.expiry >out &&
	cat >expect <<-\EOF &&
	user.display_name = other # from file:other.conf:1
	user.uri = # from default
	registration.expiry = 600 # from default
	EOF
	test_cmp expect out
'

test_expect_success 'a missing -c file is a configuration error (78)' '
	test_expect_code 78 sipws-config -c missing.conf >out 2>err &&
	echo "sipws-config: missing.conf: No such file or directory" >expect &&
	test_cmp expect err
'

test_expect_success 'passwords are masked and a readable secret file is warned about' '
	cat >secret.conf <<-\EOF &&
	user.uri = sip:bob@example.org
	user.sip_auth_password = hunter2
	turn_servers = turn:turn.example.org?transport=udp username=bob password=tp, turns:t2.example.org
	EOF
	chmod 644 secret.conf &&
	sipws-config -c secret.conf user.sip_auth_password turn_servers >out 2>err &&
	cat >expect <<-\EOF &&
	user.sip_auth_password = ********
	turn_servers = turn:turn.example.org?transport=udp username=bob password=********
	turn_servers = turns:t2.example.org
	EOF
	test_cmp expect out &&
	echo "sipws-config: warning: secret.conf holds a secret but is readable by everyone (mode 0644); chmod 600 it" >expect &&
	test_cmp expect err &&
	! grep -e hunter2 -e "password=tp" out err
'

test_expect_success 'no warning once the file is private; --get masks too' '
	chmod 600 secret.conf &&
	sipws-config -c secret.conf --get user.sip_auth_password >out 2>err &&
	echo "********" >expect &&
	test_cmp expect out &&
	test_cmp /dev/null err
'

test_expect_success 'the password from the environment is masked' '
	SIPWS_USER_SIP_AUTH_PASSWORD=s3cret sipws-config --show-origin user.sip_auth_password >out &&
	echo "user.sip_auth_password = ******** # from env:SIPWS_USER_SIP_AUTH_PASSWORD" >expect &&
	test_cmp expect out
'

test_expect_success '--set refuses a secret (78) without echoing it' '
	test_expect_code 78 sipws-config -o user.sip_auth_password=hunter2 >out 2>err &&
	test_cmp /dev/null out &&
	test_grep "^sipws-config: command line: user.sip_auth_password: secrets are not taken from the command line" err &&
	test_grep -v hunter2 err
'

test_expect_success 'a bad value exits 78 naming file, line and key' '
	printf "# first\n\n[user]\nuri = http://example.org/\n" >bad.conf &&
	test_expect_code 78 sipws-config -c bad.conf >out 2>err &&
	test_cmp /dev/null out &&
	echo "sipws-config: bad.conf:4: user.uri: not a sip: or sips: URI" >expect &&
	test_cmp expect err
'

test_expect_success 'a value out of range exits 78 (--check too)' '
	printf "session.dtmf_duration = 10\n" >range.conf &&
	test_expect_code 78 sipws-config -c range.conf --check >out 2>err &&
	test_cmp /dev/null out &&
	echo "sipws-config: range.conf:1: session.dtmf_duration: out of range (40..6000)" >expect &&
	test_cmp expect err
'

test_expect_success '--check passes a good configuration silently' '
	sipws-config --check >out 2>err &&
	test_cmp /dev/null out &&
	test_cmp /dev/null err
'

test_expect_success 'an unknown key in a file is a warning, not an error' '
	printf "colour = blue\nuser.display_name = x\n" >unknown.conf &&
	sipws-config -c unknown.conf user.display_name >out 2>err &&
	echo "user.display_name = x" >expect &&
	test_cmp expect out &&
	echo "sipws-config: warning: unknown.conf:1: unknown key '\''colour'\'' (ignored)" >expect &&
	test_cmp expect err &&
	sipws-config -q -c unknown.conf user.display_name >out 2>err &&
	test_cmp /dev/null err
'

test_expect_success '--get prints the raw value, one line per list entry' '
	sipws-config --get user.display_name >out &&
	echo "  Bob #1 " >expect &&
	test_cmp expect out &&
	sipws-config --get websocket.servers >out &&
	printf "%s\n" "wss://ws1.example.org/ws weight=10" "wss://ws2.example.org:8443/sip" >expect &&
	test_cmp expect out
'

test_expect_success '--get of a key without a value exits 1' '
	test_expect_code 1 sipws-config --get tls.ca_file >out &&
	test_cmp /dev/null out
'

test_expect_success '--json prints one object per key' '
	sipws-config --json user.uri websocket.servers tls.ca_file >out &&
	cat >expect <<-EOF &&
	{"key":"user.uri","value":"sip:bob@example.org","origin":"file:$user_file:6"}
	{"key":"websocket.servers","value":["wss://ws1.example.org/ws weight=10","wss://ws2.example.org:8443/sip"],"origin":"file:$user_file:2"}
	{"key":"tls.ca_file","value":null,"origin":"default"}
	EOF
	test_cmp expect out
'

test_expect_success 'an unknown option is a usage error (64)' '
	test_expect_code 64 sipws-config --no-such-option >out 2>err &&
	test_cmp /dev/null out &&
	test_grep "^sipws-config: unknown option" err
'

test_expect_success 'an unknown key operand is a usage error (64)' '
	test_expect_code 64 sipws-config user.url >out 2>err &&
	test_grep "unknown key '\''user.url'\''" err &&
	test_expect_code 64 sipws-config --get nope 2>err &&
	test_expect_code 64 sipws-config --get user.uri --json 2>err
'

test_expect_success '--help mirrors the synopsis and lists every option' '
	sipws-config --help >out &&
	head -n 4 out >head &&
	cat >expect <<-\EOF &&
	Usage: sipws-config [options] [KEY...]
	       sipws-config [options] --get KEY
	       sipws-config [options] --check
	       sipws-config --list-keys
	EOF
	test_cmp expect head &&
	for o in get check show-origin json list-keys config profile set verbose quiet help version; do
		test_grep "^ *\\(-., \\)\\{0,1\\}--$o\\b" out || return 1
	done
'

test_expect_success '--version' '
	sipws-config --version >out &&
	echo "sipws-config (sipws) $version" >expect &&
	test_cmp expect out
'

test_expect_success 'a write error on standard output exits 74' '
	if test -w /dev/full; then
		test_expect_code 74 sipws-config >/dev/full 2>err
	fi
'

test_done
