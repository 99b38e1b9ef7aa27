#!/usr/bin/perl
# hostile-ws.pl [-c CONNECTIONS] [-D] [-R] ATTACK: a scripted raw-socket
# WebSocket server (RFC 6455 by hand) that attacks its client, for
# tests/t0800-hostile-server.t. It listens on a free port of 127.0.0.1 and
# prints "port N" first, then one line per thing it sees:
#   upgrade N            the N-th connection's upgrade (answered 101, sip)
#   request METHOD       a SIP request in a text frame
#   close CODE           the client's Close frame and its status code
#   eof | timeout        the connection ended (15 s at most each)
#   no connection        nobody came within 20 s
# The first connection is attacked when the first SIP request arrives;
# with -R, only after a REGISTER was answered 200 (the client is then
# registered). With -D it is deaf to the client's Close: no answer, no
# hang-up, it waits for the client to hang up. Later connections (up to CONNECTIONS, default 1) are served
# politely: every request answered 200. Attacks (each as one frame unless
# said otherwise):
#   big65537 big70000 big10m  a text frame of that many bytes
#   endless       a text frame without FIN, then 64 KiB continuation
#                 frames until the client gives up
#   len63         a 64-bit length of 2^63-1, then 100 KiB
#   headers100k   a SIP response with 100,000 header lines
#   message70000  a SIP MESSAGE with a 70,000-byte body
#   masked        the SIP response in a masked frame
#   badutf8       the SIP response with invalid UTF-8 in its reason phrase
#   control       a text frame of control bytes, then the 200 response
use strict;
use warnings;
use Digest::SHA qw(sha1_base64);
use Getopt::Std;
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time);

$SIG{PIPE} = 'IGNORE';
$| = 1;
my %opt;
getopts('c:DR', \%opt) && @ARGV == 1
	or die "usage: hostile-ws.pl [-c connections] [-D] [-R] attack\n";
my $attack = $ARGV[0];
my $connections = $opt{c} // 1;
my %attacks = map { $_ => 1 } qw(big65537 big70000 big10m endless len63
	headers100k message70000 masked badutf8 control);
$attacks{$attack} or die "hostile-ws.pl: unknown attack $attack\n";

my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
	Listen => 4, ReuseAddr => 1) or die "hostile-ws.pl: listen: $!\n";
print "port ", $listen->sockport, "\n";

for my $n (1 .. $connections) {
	unless (IO::Select->new($listen)->can_read(20)) {
		print "no connection\n";
		exit 1;
	}
	my $c = $listen->accept or die "hostile-ws.pl: accept: $!\n";
	serve($c, $n, $n == 1);
	close $c;
}
exit 0;

# A server frame: FIN, opcode, unmasked unless a mask key is given.
sub frame {
	my ($op, $payload, $fin, $mask) = @_;
	my $len = length $payload;
	my $h = chr(($fin // 1 ? 0x80 : 0) | $op);
	my $m = defined $mask ? 0x80 : 0;
	if ($len < 126) {
		$h .= chr($m | $len);
	} elsif ($len < 65536) {
		$h .= chr($m | 126) . pack('n', $len);
	} else {
		$h .= chr($m | 127) . pack('Q>', $len);
	}
	if (defined $mask) {
		my $key = pack('N', $mask);
		my $k = substr($key x (int($len / 4) + 1), 0, $len);
		return $h . $key . ($payload ^ $k);
	}
	return $h . $payload;
}

# One masked client frame off the front of $$buf: (opcode, payload), or
# () while incomplete.
sub client_frame {
	my ($buf) = @_;
	return () if length $$buf < 2;
	my ($b0, $b1) = unpack('CC', $$buf);
	my $len = $b1 & 0x7f;
	my $at = 2;
	if ($len == 126) {
		return () if length $$buf < 4;
		$len = unpack('n', substr($$buf, 2, 2));
		$at = 4;
	} elsif ($len == 127) {
		return () if length $$buf < 10;
		$len = unpack('Q>', substr($$buf, 2, 8));
		$at = 10;
	}
	my $masked = $b1 & 0x80;
	my $need = $at + ($masked ? 4 : 0) + $len;
	return () if length $$buf < $need;
	my $payload = substr($$buf, $at + ($masked ? 4 : 0), $len);
	if ($masked) {
		my $key = substr($$buf, $at, 4);
		$payload ^= substr($key x (int($len / 4) + 1), 0, $len);
	}
	substr($$buf, 0, $need) = '';
	return ($b0 & 0x0f, $payload);
}

# A 200 (or another status) to a SIP request, its dialog headers copied.
sub response {
	my ($req, $status, $reason) = @_;
	my @via = $req =~ /^(Via:[^\r\n]*)/mgi;
	my ($from) = $req =~ /^(From:[^\r\n]*)/mi;
	my ($to) = $req =~ /^(To:[^\r\n]*)/mi;
	my ($cid) = $req =~ /^(Call-ID:[^\r\n]*)/mi;
	my ($cseq) = $req =~ /^(CSeq:[^\r\n]*)/mi;
	my ($contact) = $req =~ /^Contact:\s*([^\r\n]*)/mi;
	$to .= ';tag=hostile' unless $to =~ /;\s*tag=/i;
	my $r = "SIP/2.0 $status $reason\r\n" . join('', map { "$_\r\n" } @via)
		. "$from\r\n$to\r\n$cid\r\n$cseq\r\n";
	if ($req =~ /^REGISTER /) {
		my ($exp) = $req =~ /^Expires:\s*([0-9]+)/mi;
		$exp //= 600;
		$r .= "Contact: $contact" . ($contact =~ /;\s*expires=/i ? '' :
			";expires=$exp") . "\r\n" if defined $contact &&
			$contact ne '*';
	}
	return "$r" . "Content-Length: 0\r\n\r\n";
}

# What the attack puts on the wire after request $req.
sub attack_bytes {
	my ($req) = @_;
	my $ok = response($req, 200, 'OK');
	if ($attack =~ /^big(\d+)(m?)$/) {
		my $n = $2 ? $1 * 1024 * 1024 : $1;
		return frame(1, 'x' x $n);
	}
	return "\x81\x7f" . pack('NN', 0x7fffffff, 0xffffffff) . ('x' x (100 * 1024))
		if $attack eq 'len63';
	return frame(1, "SIP/2.0 200 OK\r\n" . ("X-H: v\r\n" x 100000)
		. "Content-Length: 0\r\n\r\n") if $attack eq 'headers100k';
	if ($attack eq 'message70000') {
		my ($to) = $req =~ /^From:\s*[^<\r\n]*<([^>\r\n]*)>/mi;
		$to //= 'sip:bob@127.0.0.1';
		return frame(1, "MESSAGE $to SIP/2.0\r\n"
			. "Via: SIP/2.0/WS hostile.invalid;branch=z9hG4bKhostile\r\n"
			. "Max-Forwards: 70\r\nFrom: <sip:eve\@127.0.0.1>;tag=e1\r\n"
			. "To: <$to>\r\nCall-ID: hostile-1\r\nCSeq: 1 MESSAGE\r\n"
			. "Content-Type: text/plain\r\nContent-Length: 70000\r\n\r\n"
			. ('m' x 70000));
	}
	return frame(1, $ok, 1, 0x37fa213d) if $attack eq 'masked';
	if ($attack eq 'badutf8') {
		(my $bad = $ok) =~ s/^SIP\/2\.0 200 OK/SIP\/2.0 200 O\xc0\xafK/;
		return frame(1, $bad);
	}
	return frame(1, join('', map { chr } 0 .. 31, 127)) . frame(1, $ok)
		if $attack eq 'control';
	return '';
}

sub serve {
	my ($c, $n, $hostile) = @_;
	my ($in, $out, $head, $attacked, $endless) = ('', '', 1, 0, 0);
	my $deadline = time + 15;
	$c->blocking(0);
	my $sel = IO::Select->new($c);
	while (1) {
		my $left = $deadline - time;
		if ($left <= 0) {
			print "timeout\n";
			return;
		}
		# endless: another 64 KiB continuation whenever the last went
		$out .= frame(0, 'c' x 65536, 0) if $endless && length $out < 65536;
		my ($r, $w) = IO::Select->select($sel, length $out ? $sel : undef,
			undef, $left);
		if ($w && @$w) {
			my $k = syswrite($c, $out, 262144);
			substr($out, 0, $k) = '' if $k;
			# the client hung up: what it said is still to be read
			$out = '', $endless = 0 if !defined $k && !$!{EAGAIN};
		}
		next unless $r && @$r;
		my $k = sysread($c, my $buf, 65536);
		next if !defined $k && $!{EAGAIN};
		if (!$k) {
			print "eof\n";
			return;
		}
		$in .= $buf;
		if ($head) {
			next unless $in =~ s/^(.*?\r\n\r\n)//s;
			my $req = $1;
			my ($key) = $req =~ /^Sec-WebSocket-Key:\s*(\S+)/mi;
			my $accept = sha1_base64($key .
				'258EAFA5-E914-47DA-95CA-C5AB0DC85B11') . '=';
			$out .= "HTTP/1.1 101 Switching Protocols\r\n"
				. "Upgrade: websocket\r\nConnection: Upgrade\r\n"
				. "Sec-WebSocket-Accept: $accept\r\n"
				. "Sec-WebSocket-Protocol: sip\r\n\r\n";
			print "upgrade $n\n";
			$head = 0;
		}
		while (my ($op, $payload) = client_frame(\$in)) {
			if ($op == 8) {
				printf "close %d\n", length $payload >= 2 ?
					unpack('n', $payload) : 0;
				next if $opt{D} && $hostile;
				# answer, then hang up: the client's part is done
				syswrite($c, frame(8, substr($payload, 0, 2)));
				return;
			}
			if ($op == 9) {
				$out .= frame(10, $payload);
				next;
			}
			next unless $op == 1 && $payload =~ /^([A-Z]+) \S+ SIP\/2\.0\r\n/;
			my $method = $1;
			print "request $method\n";
			if (!$hostile || $attacked ||
			    ($opt{R} && $method eq 'REGISTER')) {
				$out .= frame(1, response($payload, 200, 'OK'));
				next unless $hostile && !$attacked &&
					$opt{R} && $method eq 'REGISTER';
			}
			next if $attacked || !$hostile;
			$attacked = 1;
			$out .= attack_bytes($payload);
			if ($attack eq 'endless') {
				$out .= frame(1, 'f' x 16, 0);
				$endless = 1;
			}
		}
	}
}
