#!/usr/bin/perl
# digest-register.pl USER PASSWORD PORT [EXPIRES]: REGISTER USER at the
# test Kamailio on 127.0.0.1:PORT over UDP, answering one digest challenge
# (RFC 8760: MD5 or SHA-256, qop=auth or none). Prints one line per final
# response: "CODE ALGORITHM QOP" for a challenge (ALGORITHM "-" when the
# challenge names none), then "CODE" for the answer to the authenticated
# request. Exit 0 when a final response ended the exchange, 1 otherwise.
# It exists because sipsak knows MD5 only.
use strict;
use warnings;
use Digest::MD5 qw(md5_hex);
use Digest::SHA qw(sha256_hex);
use IO::Socket::INET;
use Time::HiRes qw(time);

# Exit status 1 on every failure (die would exit with errno).
sub fail {
	print STDERR @_;
	exit 1;
}

@ARGV == 3 || @ARGV == 4
	or fail "usage: digest-register.pl user password port [expires]\n";
my ($user, $password, $port, $expires) = @ARGV;
$expires //= 60;
my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
	Proto => 'udp') or fail "digest-register.pl: socket: $!\n";
my $local_port = $sock->sockport;
my $call_id = sprintf 'dr-%d-%d@127.0.0.1', $$, int rand 1e9;
my $uri = 'sip:127.0.0.1';

sub request {
	my ($cseq, $authorization) = @_;
	my $branch = sprintf 'z9hG4bK-dr-%d-%d', $$, int rand 1e9;
	return "REGISTER $uri SIP/2.0\r\n"
		. "Via: SIP/2.0/UDP 127.0.0.1:$local_port;branch=$branch;rport\r\n"
		. "From: <sip:$user\@127.0.0.1>;tag=dr$$\r\n"
		. "To: <sip:$user\@127.0.0.1>\r\n"
		. "Call-ID: $call_id\r\n"
		. "CSeq: $cseq REGISTER\r\n"
		. "Contact: <sip:$user\@127.0.0.1:$local_port>\r\n"
		. "Expires: $expires\r\n"
		. "Max-Forwards: 70\r\n"
		. ($authorization ? "Authorization: $authorization\r\n" : '')
		. "Content-Length: 0\r\n\r\n";
}

# exchange(REQUEST): send it, resend on silence (UDP), return the first
# final response as (code, full text), or () after about 4 s.
sub exchange {
	my ($message) = @_;
	for my $wait (0.5, 1, 2) {
		$sock->send($message) or fail "digest-register.pl: send: $!\n";
		my $deadline = time + $wait;
		while (1) {
			my $rin = '';
			vec($rin, fileno $sock, 1) = 1;
			my $left = $deadline - time;
			last if $left <= 0 || !select(my $rout = $rin, undef, undef, $left);
			defined $sock->recv(my $answer, 65535) or last;
			my ($code) = $answer =~ m{^SIP/2\.0 ([0-9]{3}) } or next;
			return ($code, $answer) if $code >= 200;
		}
	}
	return ();
}

my ($code, $answer) = exchange(request(1));
defined $code or fail "digest-register.pl: no final response\n";
if ($code != 401) {
	print "$code\n";
	exit 0;
}
my ($challenge) = $answer =~ /^WWW-Authenticate:\s*Digest\s+([^\r\n]*)/mi
	or fail "digest-register.pl: 401 without a Digest challenge\n";
my %param;
while ($challenge =~ /\G\s*([A-Za-z-]+)=("((?:[^"\\]|\\.)*)"|[^\s,]*)\s*,?/g) {
	$param{lc $1} = defined $3 ? $3 : $2;
}
my $algorithm = $param{algorithm} // '-';
my $qop = defined $param{qop} && grep({ $_ eq 'auth' } split /\s*,\s*/,
	$param{qop}) ? 'auth' : '-';
print "$code $algorithm $qop\n";

my $hash;
if ($algorithm eq '-' || uc $algorithm eq 'MD5') {
	$hash = \&md5_hex;
} elsif (uc $algorithm eq 'SHA-256') {
	$hash = \&sha256_hex;
} else {
	fail "digest-register.pl: unsupported algorithm $algorithm\n";
}
my $ha1 = $hash->("$user:$param{realm}:$password");
my $ha2 = $hash->("REGISTER:$uri");
my $cnonce = sprintf '%08x', int rand 0xffffffff;
my $response = $qop eq 'auth'
	? $hash->("$ha1:$param{nonce}:00000001:$cnonce:auth:$ha2")
	: $hash->("$ha1:$param{nonce}:$ha2");
my $authorization = qq{Digest username="$user", realm="$param{realm}", }
	. qq{nonce="$param{nonce}", uri="$uri", response="$response"}
	. ($algorithm eq '-' ? '' : ", algorithm=$algorithm")
	. ($qop eq 'auth' ? qq{, qop=auth, nc=00000001, cnonce="$cnonce"} : '')
	. (defined $param{opaque} ? qq{, opaque="$param{opaque}"} : '');
($code) = exchange(request(2, $authorization));
defined $code or fail "digest-register.pl: no final response to the credentials\n";
print "$code\n";
exit 0;
