#!/usr/bin/perl
# ws-sip-peer.pl [-n COUNT] [-t SECONDS] USER PASSWORD WS-URL: a minimal SIP
# user agent over plain WebSocket (RFC 7118) that proves the test Kamailio
# routes to WebSocket clients. It registers USER (MD5 digest, qop=auth) and
# prints "registered CODE"; then it answers each MESSAGE with 200 and prints
# "MESSAGE FROM-URI BODY", answers OPTIONS with 200, answers WebSocket pings,
# and exits 0 after COUNT messages (default 1), or 1 after SECONDS (10).
# Only for the harness test: the project's own tools are the real clients.
use strict;
use warnings;
use Digest::MD5 qw(md5_hex);
use Getopt::Std;
use IO::Socket::INET;
use Time::HiRes qw(time);

# Exit status 1 on every failure (die would exit with errno).
sub fail {
	print STDERR @_;
	exit 1;
}

my %opt;
getopts('n:t:', \%opt) && @ARGV == 3
	or fail "usage: ws-sip-peer.pl [-n count] [-t seconds] user password ws-url\n";
my ($user, $password, $url) = @ARGV;
my $count = $opt{n} // 1;
my $deadline = time + ($opt{t} // 10);
my ($host, $port, $path) = $url =~ m{^ws://([^/:]+):([0-9]+)(/.*)?$}
	or fail "ws-sip-peer.pl: want ws://HOST:PORT/PATH: $url\n";
$path //= '/';
$| = 1;

my $sock = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port,
	Proto => 'tcp') or fail "ws-sip-peer.pl: connect $host:$port: $!\n";
print {$sock} "GET $path HTTP/1.1\r\nHost: $host:$port\r\n"
	. "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	. "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	. "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n";
my $buffer = '';
until ($buffer =~ /\r\n\r\n/) {
	read_more() or fail "ws-sip-peer.pl: no handshake answer\n";
}
$buffer =~ s{^HTTP/1\.1 101 [^\r]*\r\n.*?\r\n\r\n}{}s
	or fail "ws-sip-peer.pl: handshake refused\n";

# read_more: append what the socket has to $buffer; false on EOF or after
# the deadline.
sub read_more {
	my $left = $deadline - time;
	return 0 if $left <= 0;
	my $rin = '';
	vec($rin, fileno $sock, 1) = 1;
	return 0 unless select(my $rout = $rin, undef, undef, $left);
	my $n = sysread $sock, $buffer, 65536, length $buffer;
	return $n ? 1 : 0;
}

sub send_frame {
	my ($opcode, $payload) = @_;
	my $len = length $payload;
	my $head = chr(0x80 | $opcode);
	if ($len < 126) {
		$head .= chr(0x80 | $len);
	} elsif ($len < 65536) {
		$head .= chr(0x80 | 126) . pack('n', $len);
	} else {
		$head .= chr(0x80 | 127) . pack('Q>', $len);
	}
	my $mask = pack 'N', int rand 0xffffffff;
	my $masked = $payload ^ substr($mask x (int($len / 4) + 1), 0, $len);
	syswrite $sock, $head . $mask . $masked;
}

# next_message: the next SIP message (one text frame); undef on EOF,
# close or deadline. Answers pings on the way.
sub next_message {
	while (1) {
		if (length $buffer >= 2) {
			my ($b0, $b1) = unpack 'CC', $buffer;
			my ($len, $off) = ($b1 & 0x7f, 2);
			if ($len == 126 && length $buffer >= 4) {
				($len, $off) = (unpack('x2 n', $buffer), 4);
			} elsif ($len == 127 && length $buffer >= 10) {
				($len, $off) = (unpack('x2 Q>', $buffer), 10);
			}
			if ($len < 126 || $off > 2) {
				if (length $buffer >= $off + $len) {
					my $payload = substr $buffer, $off, $len;
					substr($buffer, 0, $off + $len) = '';
					my $opcode = $b0 & 0x0f;
					return $payload if $opcode == 1 || $opcode == 2;
					send_frame(10, $payload) if $opcode == 9;
					return undef if $opcode == 8;
					next;
				}
			}
		}
		read_more() or return undef;
	}
}

my $tag = sprintf 'wp%d', $$;
my $call_id = sprintf 'wp-%d-%d@127.0.0.1', $$, int rand 1e9;
my $contact = "<sip:$user\@wspeer$$.invalid;transport=ws>";

sub register {
	my ($cseq, $authorization) = @_;
	my $branch = sprintf 'z9hG4bK-wp-%d', int rand 1e9;
	send_frame(1, "REGISTER sip:127.0.0.1 SIP/2.0\r\n"
		. "Via: SIP/2.0/WS wspeer$$.invalid;branch=$branch;rport\r\n"
		. "From: <sip:$user\@127.0.0.1>;tag=$tag\r\n"
		. "To: <sip:$user\@127.0.0.1>\r\n"
		. "Call-ID: $call_id\r\nCSeq: $cseq REGISTER\r\n"
		. "Contact: $contact;expires=60\r\nMax-Forwards: 70\r\n"
		. ($authorization ? "Authorization: $authorization\r\n" : '')
		. "Content-Length: 0\r\n\r\n");
	while (defined(my $m = next_message())) {
		my ($code) = $m =~ m{^SIP/2\.0 ([0-9]{3}) } or next;
		return ($code, $m) if $code >= 200;
	}
	fail "ws-sip-peer.pl: no answer to REGISTER\n";
}

my ($code, $answer) = register(1);
if ($code == 401) {
	my ($challenge) = $answer =~ /^WWW-Authenticate:\s*Digest\s+([^\r\n]*)/mi;
	my %p;
	while (($challenge // '') =~ /\G\s*([A-Za-z-]+)=("([^"]*)"|[^\s,]*)\s*,?/g) {
		$p{lc $1} = defined $3 ? $3 : $2;
	}
	my $cnonce = sprintf '%08x', int rand 0xffffffff;
	my $ha1 = md5_hex("$user:$p{realm}:$password");
	my $ha2 = md5_hex('REGISTER:sip:127.0.0.1');
	my $response = md5_hex("$ha1:$p{nonce}:00000001:$cnonce:auth:$ha2");
	($code) = register(2, qq{Digest username="$user", realm="$p{realm}", }
		. qq{nonce="$p{nonce}", uri="sip:127.0.0.1", response="$response", }
		. qq{algorithm=MD5, qop=auth, nc=00000001, cnonce="$cnonce"});
}
print "registered $code\n";
exit 1 if $code != 200;

while ($count > 0) {
	my $m = next_message() // exit 1;
	my ($method) = $m =~ /^([A-Z]+) \S+ SIP\/2\.0\r\n/ or next;
	my ($head, $body) = split /\r\n\r\n/, $m, 2;
	my @vias = $head =~ /^(Via:[^\r\n]*)/mig;
	my ($from) = $head =~ /^(From:[^\r\n]*)/mi;
	my ($to) = $head =~ /^(To:[^\r\n]*)/mi;
	my ($cid) = $head =~ /^(Call-ID:[^\r\n]*)/mi;
	my ($cseq) = $head =~ /^(CSeq:[^\r\n]*)/mi;
	send_frame(1, "SIP/2.0 200 OK\r\n" . join("\r\n", @vias) . "\r\n"
		. "$from\r\n$to;tag=$tag\r\n$cid\r\n$cseq\r\n"
		. "Content-Length: 0\r\n\r\n");
	next unless $method eq 'MESSAGE';
	my ($uri) = $from =~ /<([^>]*)>/;
	print "MESSAGE $uri ", $body // '', "\n";
	$count--;
}
exit 0;
