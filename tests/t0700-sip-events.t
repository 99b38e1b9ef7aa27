#!/bin/sh
test_description='sip-events: registers, prints incoming messages and calls as
JSON lines (byte-exact bodies), filters by topic, ends on --count, --timeout
and SIGTERM (unregistering), rejects calls with --reject'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"
. "$SIPWS_SOURCE/tests/lib/kamailio.sh"
kam_require_sipsak

kamailio_start

. "$SIPWS_SOURCE/tests/lib/events.sh"

events_bob_conf "websocket.connection_recovery_min_interval = 1" \
	"websocket.connection_recovery_max_interval = 2"

sed "s/^sip_auth_password = .*/sip_auth_password = not-the-password/" \
	bob.conf >wrong.conf
chmod 600 wrong.conf

cat >sipua.pl <<'EOF'
#!/usr/bin/perl
# sipua.pl: a scripted SIP user agent over UDP for the sip-events tests.
#   sipua.pl call PORT TO FROM DISPLAY [cancel]
#       INVITE TO from "DISPLAY" <FROM> through the proxy at 127.0.0.1:PORT.
#       Prints "ringing" at the first 18x; with "cancel" it then sends a
#       CANCEL and prints "CANCEL CODE" for its answer. Prints the final
#       status of the INVITE last (a non-2xx is acknowledged). Exit 0 after
#       a final response, 1 after 15 s without.
#   sipua.pl answer PORT USER PASSWORD GOFILE
#       REGISTER USER with a contact on its own socket (MD5 digest), print
#       "registered"; answer the first INVITE with 180, and with 200 once
#       GOFILE exists; print "answered"; unregister, print "unregistered".
#       Exit 0, or 1 after 20 s.
use strict;
use warnings;
use Digest::MD5 qw(md5_hex);
use IO::Socket::INET;
use Time::HiRes qw(time sleep);

my $mode = shift // '';
my $port = shift // die "sipua.pl: no proxy port\n";
my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
	LocalAddr => '127.0.0.1', Proto => 'udp') or die "sipua.pl: socket: $!\n";
my $me = '127.0.0.1:' . $sock->sockport;
my $proxy = sockaddr_in($port, inet_aton('127.0.0.1'));
my $deadline;
$| = 1;

sub token { sprintf '%x%x', int rand 0xffffffff, int rand 0xffffffff }

# next_message(SECONDS): the next datagram, or undef at the deadline.
sub next_message {
	my ($limit) = @_;
	my $until = time + $limit;
	$until = $deadline if $deadline < $until;
	while (1) {
		my $left = $until - time;
		return undef if $left <= 0;
		my $rin = '';
		vec($rin, fileno $sock, 1) = 1;
		next unless select(my $rout = $rin, undef, undef, $left);
		my $from = recv($sock, my $data, 65535, 0);
		return wantarray ? ($data, $from) : $data if defined $from;
	}
}

sub header {
	my ($msg, $name) = @_;
	return $msg =~ /^\Q$name\E[ \t]*:[ \t]*([^\r\n]*)\r?$/mi ? $1 : undef;
}

sub status { return $_[0] =~ m{^SIP/2\.0 ([0-9]{3}) } ? $1 : undef }

my $sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
	. "t=0 0\r\nm=audio 9 RTP/AVP 0\r\na=sendrecv\r\n";

if ($mode eq 'call') {
	my ($to, $from, $display, $cancel) = @ARGV;
	$deadline = time + 15;
	my ($branch, $tag, $call_id) = ('z9hG4bK' . token(), token(), token() . '@127.0.0.1');
	my $common = "From: \"$display\" <$from>;tag=$tag\r\nTo: <$to>\r\n"
		. "Call-ID: $call_id\r\nMax-Forwards: 70\r\n";
	my $via = "Via: SIP/2.0/UDP $me;branch=$branch;rport\r\n";
	send($sock, "INVITE $to SIP/2.0\r\n$via$common"
		. "CSeq: 1 INVITE\r\nContact: <sip:caller\@$me>\r\n"
		. "Content-Type: application/sdp\r\nContent-Length: "
		. length($sdp) . "\r\n\r\n$sdp", 0, $proxy);
	my ($rang, $cancel_code, $final) = (0, undef, undef);
	while (defined(my $msg = next_message(15))) {
		my $code = status($msg) // next;
		my $cseq = header($msg, 'CSeq') // '';
		if ($cseq =~ /CANCEL/) {
			$cancel_code //= $code if $code >= 200;
			# The proxy's UDP workers may relay the 487 first.
			if (defined $final && defined $cancel_code) {
				print "CANCEL $cancel_code\n$final\n";
				exit 0;
			}
			next;
		}
		if ($code >= 180 && $code < 200 && !$rang) {
			$rang = 1;
			print "ringing\n";
			send($sock, "CANCEL $to SIP/2.0\r\n$via$common"
				. "CSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n", 0,
				$proxy) if $cancel;
		}
		next if $code < 200;
		if ($code >= 300) {
			my $to_header = header($msg, 'To');
			(my $ack = $common) =~ s/^To: [^\r]*/To: $to_header/m;
			send($sock, "ACK $to SIP/2.0\r\n$via$ack"
				. "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n", 0, $proxy);
		}
		if ($cancel && !defined $cancel_code) {
			$final = $code;	# print both once the CANCEL is answered
			next;
		}
		print "CANCEL $cancel_code\n" if $cancel;
		print "$code\n";
		exit 0;
	}
	print defined $final ? "$final\nno answer to the CANCEL\n"
		: "no final response\n";
	exit 1;
}

if ($mode eq 'answer') {
	my ($user, $password, $go) = @ARGV;
	$deadline = time + 20;
	my ($call_id, $tag, $cseq) = (token() . '@127.0.0.1', token(), 0);
	my $aor = "sip:$user\@127.0.0.1";
	# register(EXPIRES): one REGISTER, answering one digest challenge.
	my $register = sub {
		my ($expires) = @_;
		my $auth = '';
		for my $try (1, 2) {
			$cseq++;
			my $branch = 'z9hG4bK' . token();
			send($sock, "REGISTER sip:127.0.0.1 SIP/2.0\r\n"
				. "Via: SIP/2.0/UDP $me;branch=$branch;rport\r\n"
				. "From: <$aor>;tag=$tag\r\nTo: <$aor>\r\n"
				. "Call-ID: $call_id\r\nCSeq: $cseq REGISTER\r\n"
				. "Contact: <sip:$user\@$me>;expires=$expires\r\n"
				. "Max-Forwards: 70\r\n$auth"
				. "Content-Length: 0\r\n\r\n", 0, $proxy);
			while (defined(my $msg = next_message(5))) {
				my $code = status($msg) // next;
				next if $code < 200;
				return $code if $code != 401 || $try == 2;
				my $chal = header($msg, 'WWW-Authenticate') // return $code;
				my %p;
				$p{lc $1} = $2 // $3 while $chal =~ /(\w+)=(?:"([^"]*)"|([^\s,]+))/g;
				my ($cnonce, $nc) = (token(), '00000001');
				my $ha1 = md5_hex("$user:$p{realm}:$password");
				my $ha2 = md5_hex('REGISTER:sip:127.0.0.1');
				my $resp = md5_hex("$ha1:$p{nonce}:$nc:$cnonce:auth:$ha2");
				$auth = "Authorization: Digest username=\"$user\", "
					. "realm=\"$p{realm}\", nonce=\"$p{nonce}\", "
					. "uri=\"sip:127.0.0.1\", response=\"$resp\", "
					. "algorithm=MD5, qop=auth, nc=$nc, cnonce=\"$cnonce\"\r\n";
				last;
			}
		}
		return 0;
	};
	my $code = $register->(60);
	print "registered\n" if $code == 200;
	exit 1 unless $code == 200;
	my ($invite, $peer);
	while (1) {
		($invite, $peer) = next_message(20);
		exit 1 unless defined $invite;
		last if $invite =~ /^INVITE /;
	}
	my @vias = $invite =~ /^(Via[ \t]*:[^\r\n]*)\r?$/mgi;
	my @rr = $invite =~ /^(Record-Route[ \t]*:[^\r\n]*)\r?$/mgi;
	my $to_tag = token();
	my $reply = sub {
		my ($status, $body) = @_;
		my $msg = "SIP/2.0 $status\r\n" . join('', map { "$_\r\n" } @vias, @rr)
			. 'From: ' . header($invite, 'From') . "\r\n"
			. 'To: ' . header($invite, 'To') . ";tag=$to_tag\r\n"
			. 'Call-ID: ' . header($invite, 'Call-ID') . "\r\n"
			. 'CSeq: ' . header($invite, 'CSeq') . "\r\n"
			. "Contact: <sip:$user\@$me>\r\n";
		$msg .= $body ? "Content-Type: application/sdp\r\nContent-Length: "
			. length($body) . "\r\n\r\n$body" : "Content-Length: 0\r\n\r\n";
		send($sock, $msg, 0, $peer);
	};
	$reply->('180 Ringing');
	sleep 0.05 until -e $go || time > $deadline;
	exit 1 unless -e $go;
	$reply->('200 OK', $sdp);
	print "answered\n";
	# Let the ACK (if any) pass, then leave.
	next_message(0.5);
	$code = $register->(0);
	print "unregistered\n" if $code == 200;
	exit($code == 200 ? 0 : 1);
}

die "usage: sipua.pl call|answer PORT ...\n";
EOF
SIPUA="perl $TRASH/sipua.pl"

# ---- tests ------------------------------------------------------------------

test_expect_success 'usage errors exit 64 before connecting' '
	test_expect_code 64 sip-events --format xml 2>err &&
	test_grep "format" err &&
	test_expect_code 64 sip-events --count 0 2>err &&
	test_expect_code 64 sip-events --count x 2>err &&
	test_expect_code 64 sip-events --reject 200 2>err &&
	test_grep "reject" err &&
	test_expect_code 64 sip-events --reject busy 2>err &&
	test_expect_code 64 sip-events --topic , 2>err &&
	test_expect_code 64 sip-events --timeout -1 2>err &&
	test_expect_code 64 sip-events extra-operand 2>err &&
	test_grep "operand" err
'

test_expect_success '--list-topics prints the topics and needs no configuration' '
	sip-events --list-topics >topics &&
	test_grep "^message/incoming$" topics &&
	test_grep "^call/incoming$" topics &&
	test_grep "^call/end$" topics &&
	test_grep "^transport/disconnected$" topics &&
	test_grep "^ua/idle$" topics
'

test_expect_success 'a topic pattern that matches nothing known gives a warning' '
	test_expect_code 78 sip-events -c /nonexistent --topic "nosuch/*" 2>err &&
	test_grep "no known topic" err
'

test_expect_success 'a refused password at the first registration exits 6' '
	test_expect_code 6 sip-events -c wrong.conf --timeout 20 >out 2>err &&
	check_ts out &&
	events_of out >actual &&
	cat >expect <<-EOF &&
	{"topic":"transport/connected","server":"$KAM_WS_URL"}
	{"topic":"ua/idle"}
	{"topic":"registration/failed","status":401,"reason":"credentials refused"}
	EOF
	test_cmp expect actual &&
	test_grep "authentication\|credentials\|401" err &&
	kamailio_contacts bob >contacts &&
	test_cmp /dev/null contacts
'

test_expect_success 'no password at all: 6 as well' '
	test_expect_code 6 sip-events -s "$KAM_WS_URL" -u sip:bob@127.0.0.1 \
		-t registration/failed --timeout 20 >out 2>err &&
	events_of out >actual &&
	cat >expect <<-\EOF &&
	{"topic":"registration/failed","status":401,"reason":"authentication required, no credentials configured"}
	EOF
	test_cmp expect actual
'

test_expect_success 'a 403 at the first registration exits 4' '
	echo "$KAM_BOB_PASSWORD" |
	test_expect_code 4 sip-events -s "$KAM_WS_URL" -u sip:carol@127.0.0.1 \
		--auth-user bob --password-stdin -t "registration/*" \
		--timeout 20 >out 2>err &&
	events_of out >actual &&
	cat >expect <<-\EOF &&
	{"topic":"registration/failed","status":403,"reason":"Authentication User Is Not The To User"}
	EOF
	test_cmp expect actual
'

test_expect_success 'the shared options: --server, --user, --password-stdin' '
	echo "$KAM_BOB_PASSWORD" |
	sip-events -s "$KAM_WS_URL" -u sip:bob@127.0.0.1 --password-stdin \
		-t registration/ok -n 1 --timeout 20 >out 2>err &&
	events_of out >actual &&
	cat >expect <<-\EOF &&
	{"topic":"registration/ok","aor":"sip:bob@127.0.0.1","expires":600,"bindings":1}
	EOF
	test_cmp expect actual &&
	kamailio_wait_contacts bob 0
'

test_expect_success 'wss:// with the server CA registers; an untrusted server is 77 at once' '
	sip-events -c bob.conf -s "$KAM_WSS_URL" --ca-file "$KAM_CA" \
		-t "transport/*,registration/*" -n 2 --timeout 20 >out 2>err &&
	events_of out >actual &&
	cat >expect <<-EOF &&
	{"topic":"transport/connected","server":"$KAM_WSS_URL"}
	{"topic":"registration/ok","aor":"sip:bob@127.0.0.1","expires":600,"bindings":1}
	EOF
	test_cmp expect actual &&
	test_expect_code 77 timeout 20 sip-events -c bob.conf -s "$KAM_WSS_URL" \
		>out 2>err &&
	test_grep "certificate" err &&
	test_grep "\"topic\":\"transport/disconnected\"" out &&
	kamailio_wait_contacts bob 0
'

test_expect_success 'it connects and registers first: transport, idle, registered' '
	events_start a -c bob.conf &&
	wait_line a.out registration/ok &&
	kamailio_wait_contacts bob 1 &&
	test_cmp /dev/null a.err &&
	check_ts a.out &&
	events_of a.out >actual &&
	cat >expect <<-EOF &&
	{"topic":"transport/connected","server":"$KAM_WS_URL"}
	{"topic":"ua/idle"}
	{"topic":"registration/ok","aor":"sip:bob@127.0.0.1","expires":600,"bindings":1}
	EOF
	test_cmp expect actual
'

test_expect_success 'the binding carries the instance id of the profile (RFC 5626)' '
	grep -E "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\$" \
		"$XDG_STATE_HOME/sipws/default/instance-id" >id &&
	kamailio_rpc ul.lookup location bob >lookup &&
	test_grep "urn:uuid:$(cat id)" lookup &&
	test_grep "Reg-Id: 1" lookup
'

test_expect_success 'a multi-line UTF-8 MESSAGE shows up byte-exact' '
	printf "Grüße aus Köln ✓ 🎉\nzweite Zeile\r\n\n\t\"quoted\" \\\\ back\\\\slash \001 end\n\n" >body &&
	text=$(cat body; echo x) &&
	message "${text%x}" >code &&
	echo 200 >expect &&
	test_cmp expect code &&
	wait_line a.out message/incoming &&
	check_ts a.out &&
	events_of a.out message/incoming >line &&
	cat >expect <<-\EOF &&
	{"topic":"message/incoming","from":"sip:alice@127.0.0.1","display":null,"to":"sip:bob@127.0.0.1","content_type":"text/plain;charset=UTF-8","body":"Grüße aus Köln ✓ 🎉\nzweite Zeile\r\n\n\t\"quoted\" \\ back\\slash \u0001 end\n\n"}
	EOF
	test_cmp expect line &&
	body_of line >actual &&
	test_cmp body actual
'

test_expect_success 'an empty MESSAGE shows up with an empty body' '
	message "" >code &&
	echo 200 >expect &&
	test_cmp expect code &&
	wait_line a.out message/incoming 2 &&
	events_of a.out message/incoming | sed -n 2p >line &&
	cat >expect <<-\EOF &&
	{"topic":"message/incoming","from":"sip:alice@127.0.0.1","display":null,"to":"sip:bob@127.0.0.1","content_type":"text/plain;charset=UTF-8","body":""}
	EOF
	test_cmp expect line
'

test_expect_success '--topic message/* --count 1 prints one message and exits 0' '
	events_start --device b b -c bob.conf --topic "message/*" --count 1 &&
	kamailio_wait_contacts bob 2 &&
	message "for b" >code &&
	test "$(events_rc b)" = 0 &&
	events_of b.out >actual &&
	cat >expect <<-\EOF &&
	{"topic":"message/incoming","from":"sip:alice@127.0.0.1","display":null,"to":"sip:bob@127.0.0.1","content_type":"text/plain;charset=UTF-8","body":"for b"}
	EOF
	test_cmp expect actual &&
	kamailio_wait_contacts bob 1
'

test_expect_success 'topics combine: repeated, comma-separated, exact and wildcard' '
	events_start --device c c -c bob.conf -t ua/idle -t "registration/*,call/end" --count 2 &&
	test "$(events_rc c)" = 0 &&
	events_of c.out >actual &&
	cat >expect <<-\EOF &&
	{"topic":"ua/idle"}
	{"topic":"registration/ok","aor":"sip:bob@127.0.0.1","expires":600,"bindings":2}
	EOF
	test_cmp expect actual &&
	kamailio_wait_contacts bob 1
'

test_expect_success '--timeout with no event exits 75 and unregisters' '
	test_expect_code 75 events_device x \
		sip-events -c bob.conf --topic "call/*" --timeout 1.5 >out 2>err &&
	test_cmp /dev/null out &&
	kamailio_wait_contacts bob 1
'

test_expect_success 'an INVITE rings: call/incoming; the caller cancels: call/end' '
	: >a.mark && wc -l <a.out >a.before &&
	$SIPUA call "$KAM_UDP_PORT" sip:bob@127.0.0.1 sip:zoe@example.org "Zoë \\\"Z\\\" Caller" cancel >caller.out &&
	cat >expect <<-\EOF &&
	ringing
	CANCEL 200
	487
	EOF
	test_cmp expect caller.out &&
	wait_line a.out call/end &&
	tail -n +$(($(cat a.before) + 1)) a.out >new &&
	events_of new >actual &&
	call_id=$(sed -n "s/.*\"call_id\":\"\([^\"]*\)\".*/\1/p" actual | head -n 1) &&
	test -n "$call_id" &&
	cat >expect <<-EOF &&
	{"topic":"ua/incall"}
	{"topic":"call/incoming","from":"sip:zoe@example.org","display":"Zoë \"Z\" Caller","to":"sip:bob@127.0.0.1","call_id":"$call_id"}
	{"topic":"call/end","call_id":"$call_id","from":"sip:zoe@example.org","reason":"cancelled","status":487}
	{"topic":"ua/idle"}
	EOF
	test_cmp expect actual
'

test_expect_success 'another device of bob answers: call/end "answered elsewhere"' '
	wc -l <a.out >a.before &&
	rm -f go &&
	($SIPUA answer "$KAM_UDP_PORT" bob "$KAM_BOB_PASSWORD" go >answer.out 2>&1 &) &&
	wait_line answer.out "^registered" &&
	kamailio_wait_contacts bob 2 &&
	($SIPUA call "$KAM_UDP_PORT" sip:bob@127.0.0.1 sip:zoe@example.org Zoe >caller.out 2>&1 &) &&
	wait_line a.out call/incoming 2 &&
	touch go &&
	wait_line caller.out "^[2-6][0-9][0-9]$" &&
	wait_line a.out call/end 2 &&
	wait_line answer.out "^unregistered" &&
	printf "ringing\n200\n" >expect &&
	test_cmp expect caller.out &&
	tail -n +$(($(cat a.before) + 1)) a.out >new &&
	events_of new call/end >actual &&
	sed "s/\"call_id\":\"[^\"]*\"/\"call_id\":\"X\"/" actual >actual.x &&
	cat >expect <<-\EOF &&
	{"topic":"call/end","call_id":"X","from":"sip:zoe@example.org","reason":"answered elsewhere","status":487}
	EOF
	test_cmp expect actual.x
'

test_expect_success '--format text: one readable line per event' '
	events_start --device t t -c bob.conf --format text --topic "message/*,registration/*" &&
	wait_line t.out registration/ok &&
	message "$(printf "hello\nworld")" >code &&
	wait_line t.out message/incoming &&
	events_stop t &&
	grep -v -E "^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} [a-z]+/[a-z]+( |$)" t.out >bad;
	test_cmp /dev/null bad &&
	sed "s/^[^ ]* //" t.out >actual &&
	cat >expect <<-\EOF &&
	registration/ok sip:bob@127.0.0.1 for 600 s, 2 bindings
	message/incoming from sip:alice@127.0.0.1 : hello\nworld
	registration/unregistered sip:bob@127.0.0.1 : unregistered
	EOF
	test_cmp expect actual
'

test_expect_success 'SIGTERM unregisters and exits 0; the binding is gone' '
	kamailio_wait_contacts bob 1 &&
	events_stop a &&
	events_of a.out | tail -n 1 >actual &&
	cat >expect <<-\EOF &&
	{"topic":"registration/unregistered","aor":"sip:bob@127.0.0.1","reason":"unregistered"}
	EOF
	test_cmp expect actual &&
	kamailio_contacts bob >contacts &&
	test_cmp /dev/null contacts
'

test_expect_success 'SIGINT works the same' '
	events_start i -c bob.conf &&
	wait_line i.out registration/ok &&
	kill -INT "$(cat i.pid)" &&
	test "$(events_rc i)" = 0 &&
	kamailio_contacts bob >contacts &&
	test_cmp /dev/null contacts
'

# registered_with NAME N: NAME.out is one registration/ok, with N bindings
# (ours included).
registered_with() {
	events_of "$1.out" >actual &&
	echo "{\"topic\":\"registration/ok\",\"aor\":\"sip:bob@127.0.0.1\",\"expires\":600,\"bindings\":$2}" >expect &&
	test_cmp expect actual
}

test_expect_success 'a run of the same profile is the same device: it replaces the binding' '
	events_start d1 -c bob.conf -t registration/ok &&
	wait_line d1.out registration/ok &&
	events_start d2 -c bob.conf -t registration/ok &&
	wait_line d2.out registration/ok &&
	registered_with d2 1 &&
	kamailio_wait_contacts bob 1 &&
	events_stop d2 &&
	kamailio_wait_contacts bob 0 &&
	events_stop d1
'

test_expect_success '-p NAME is a device of its own: two bindings, each removes its own' '
	mkdir -p "$XDG_CONFIG_HOME/sipws/profiles" &&
	: >"$XDG_CONFIG_HOME/sipws/profiles/phone2" &&
	events_start p1 -c bob.conf -t registration/ok &&
	wait_line p1.out registration/ok &&
	events_start p2 -c bob.conf -p phone2 -t registration/ok &&
	wait_line p2.out registration/ok &&
	registered_with p2 2 &&
	test -s "$XDG_STATE_HOME/sipws/phone2/instance-id" &&
	! cmp -s "$XDG_STATE_HOME/sipws/default/instance-id" \
		"$XDG_STATE_HOME/sipws/phone2/instance-id" &&
	kamailio_wait_contacts bob 2 &&
	events_stop p2 &&
	kamailio_wait_contacts bob 1 &&
	events_stop p1 &&
	kamailio_wait_contacts bob 0
'

test_expect_success 'sip-register --stay of the same profile is the same device too' '
	sip-register -c bob.conf --stay >stay.out 2>stay.err &
	echo $! >stay.pid &&
	wait_line stay.out " ours\$" &&
	kamailio_wait_contacts bob 1 &&
	events_start e -c bob.conf -t registration/ok &&
	wait_line e.out registration/ok &&
	registered_with e 1 &&
	kamailio_wait_contacts bob 1 &&
	events_stop e &&
	kamailio_wait_contacts bob 0 &&
	kill -TERM "$(cat stay.pid)" &&
	wait "$(cat stay.pid)" &&
	rm stay.pid
'

test_expect_success '--reject 486: the caller gets 486 Busy Here' '
	events_start r -c bob.conf --reject 486 &&
	wait_line r.out registration/ok &&
	kam_request INVITE sip:bob@127.0.0.1 sip:alice@127.0.0.1 sip:bob@127.0.0.1 \
		"$(printf "Contact: <sip:alice@127.0.0.1:\$port\$>\r\nContent-Type: application/sdp")" \
		"$(printf "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n")" \
		>invite.sip &&
	kam_sipsak_send invite.sip sip:bob@127.0.0.1 alice "$KAM_ALICE_PASSWORD" >code &&
	echo 486 >expect &&
	test_cmp expect code &&
	wait_line r.out call/end &&
	events_of r.out "call/" >actual &&
	sed "s/\"call_id\":\"[^\"]*\"/\"call_id\":\"X\"/" actual >actual.x &&
	cat >expect <<-\EOF &&
	{"topic":"call/incoming","from":"sip:alice@127.0.0.1","display":null,"to":"sip:bob@127.0.0.1","call_id":"X"}
	{"topic":"call/end","call_id":"X","from":"sip:alice@127.0.0.1","reason":"rejected","status":486}
	EOF
	test_cmp expect actual.x &&
	events_stop r
'

test_expect_success '--reject 603: the caller gets 603 Decline' '
	events_start r -c bob.conf --reject 603 --topic call/end --count 1 &&
	kamailio_wait_contacts bob 1 &&
	$SIPUA call "$KAM_UDP_PORT" sip:bob@127.0.0.1 sip:zoe@example.org Zoe >caller.out &&
	tail -n 1 caller.out >actual &&
	echo 603 >expect &&
	test_cmp expect actual &&
	test "$(events_rc r)" = 0 &&
	kamailio_wait_contacts bob 0
'

test_expect_success 'SIGTERM while a call rings: the caller gets 480, call/end "shutdown"' '
	events_start g -c bob.conf --topic "call/*,registration/unregistered" &&
	kamailio_wait_contacts bob 1 &&
	($SIPUA call "$KAM_UDP_PORT" sip:bob@127.0.0.1 sip:zoe@example.org Zoe >caller.out 2>&1 &) &&
	wait_line g.out call/incoming &&
	events_stop g &&
	wait_line caller.out "^[2-6][0-9][0-9]$" &&
	printf "ringing\n480\n" >expect &&
	test_cmp expect caller.out &&
	events_of g.out >actual &&
	sed "s/\"call_id\":\"[^\"]*\"/\"call_id\":\"X\"/" actual >actual.x &&
	cat >expect <<-\EOF &&
	{"topic":"call/incoming","from":"sip:zoe@example.org","display":"Zoe","to":"sip:bob@127.0.0.1","call_id":"X"}
	{"topic":"registration/unregistered","aor":"sip:bob@127.0.0.1","reason":"unregistered"}
	{"topic":"call/end","call_id":"X","from":"sip:zoe@example.org","reason":"shutdown","status":480}
	EOF
	test_cmp expect actual.x &&
	kamailio_wait_contacts bob 0
'

test_expect_success 'registrations are refreshed: with expiry 2 s the binding stays' '
	events_start s -c bob.conf -o registration.expiry=2 &&
	wait_line s.out registration/ok &&
	sleep 5 &&
	kamailio_contacts bob >contacts &&
	test "$(wc -l <contacts)" -eq 1 &&
	message "still there" >code &&
	echo 200 >expect &&
	test_cmp expect code &&
	wait_line s.out message/incoming &&
	events_stop s &&
	events_of s.out registration/ok >actual &&
	test "$(wc -l <actual)" -eq 1
'

test_expect_success 'a reader that goes away ends it with 74, unregistered' '
	mkfifo pipe || exit 1
	{ sip-events -c bob.conf --timeout 20 >pipe 2>pipe.err; echo $? >pipe.rc; } &
	head -n 1 <pipe >first &&
	test_grep "transport/connected" first &&
	# The reader has gone: the next event cannot be written. When every
	# event so far reached the pipe before it left, a message makes one.
	i=0 &&
	while [ ! -s pipe.rc ] && [ $i -lt 30 ]; do
		sleep 0.1; i=$((i + 1))
	done &&
	if [ ! -s pipe.rc ]; then
		message "after the reader left" >status
	fi
	wait &&
	echo 74 >expect &&
	test_cmp expect pipe.rc &&
	kamailio_wait_contacts bob 0
'

test_done
