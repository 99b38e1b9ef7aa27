#!/usr/bin/perl
# ws-handshake.pl [-C CAFILE] [-k KEY] [-p PROTOCOL] URL: send one WebSocket
# upgrade request (RFC 6455) to a ws:// or wss:// URL and print the HTTP
# response head, one line per header with CR removed, up to the empty line.
# wss:// goes through `openssl s_client`, which verifies the server
# certificate against CAFILE and the URL's host. Exit 0 once a response head
# was read, 1 on any failure (message on stderr). A test helper, not a client.
use strict;
use warnings;
use Getopt::Std;
use IO::Socket::INET;
use IPC::Open2;

my $pid;	# of openssl s_client, for wss://

# Exit status 1 on every failure (die would exit with errno).
sub fail {
	print STDERR @_;
	kill 'TERM', $pid if $pid;
	exit 1;
}

my %opt;
getopts('C:k:p:', \%opt) && @ARGV == 1
	or fail "usage: ws-handshake.pl [-C cafile] [-k key] [-p protocol] url\n";
my $key = $opt{k} // 'dGhlIHNhbXBsZSBub25jZQ==';
my $protocol = $opt{p} // 'sip';
my ($scheme, $host, $port, $path) =
	$ARGV[0] =~ m{^(wss?)://([^/:]+):([0-9]+)(/.*)?$}
	or fail "ws-handshake.pl: want ws://HOST:PORT/PATH or wss://...: $ARGV[0]\n";
$path //= '/';

$SIG{ALRM} = sub { fail "ws-handshake.pl: no complete answer within 5 s\n" };
alarm 5;

my ($in, $out);
if ($scheme eq 'ws') {
	my $s = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port,
		Proto => 'tcp') or fail "ws-handshake.pl: connect $host:$port: $!\n";
	($in, $out) = ($s, $s);
} else {
	defined $opt{C} or fail "ws-handshake.pl: wss:// needs -C cafile\n";
	my @verify = $host =~ /^[0-9.]+$/ ? ('-verify_ip', $host)
		: ('-verify_hostname', $host, '-servername', $host);
	# -quiet keeps stdout for the HTTP answer alone.
	$pid = open2($in, $out, 'openssl', 's_client', '-quiet',
		'-connect', "$host:$port", '-CAfile', $opt{C},
		'-verify_return_error', @verify);
}

my $request = "GET $path HTTP/1.1\r\n"
	. "Host: $host:$port\r\n"
	. "Upgrade: websocket\r\n"
	. "Connection: Upgrade\r\n"
	. "Sec-WebSocket-Key: $key\r\n"
	. "Sec-WebSocket-Version: 13\r\n"
	. ($protocol eq '' ? '' : "Sec-WebSocket-Protocol: $protocol\r\n")
	. "\r\n";
$out->autoflush(1);
print {$out} $request or fail "ws-handshake.pl: write: $!\n";

my (@head, $complete);
while (defined(my $line = <$in>)) {
	$line =~ s/\r?\n\z//;
	if ($line eq '') {
		$complete = 1;
		last;
	}
	push @head, $line;
}
alarm 0;
if ($pid) {
	kill 'TERM', $pid;
	waitpid $pid, 0;
	undef $pid;
}
fail "ws-handshake.pl: connection closed before a complete answer\n"
	unless $complete;
print "$_\n" for @head;
exit 0;
