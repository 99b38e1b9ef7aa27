#!/usr/bin/perl
# free-ports.pl N: print N distinct port numbers that are free on 127.0.0.1
# for both TCP and UDP right now, one per line. Used by tests/lib/kamailio.sh.
#
# Ports are drawn at random below the kernel's ephemeral range, so they do
# not collide with the source ports of outgoing connections, and each is
# bind-tested. All sockets stay open until every port is chosen, so the N
# ports differ from each other. Another program can still take a port
# before the caller binds it: the caller retries on "Address in use".
use strict;
use warnings;
use Socket qw(PF_INET SOCK_STREAM SOCK_DGRAM INADDR_LOOPBACK
	pack_sockaddr_in);

# Exit status 1 on every failure (die would exit with errno).
sub fail {
	print STDERR @_;
	exit 1;
}

my $count = shift // 1;
fail "usage: free-ports.pl [N]\n" unless $count =~ /^[1-9][0-9]*$/ && !@ARGV;

my ($low, $high) = (10000, 32767);
if (open my $fh, '<', '/proc/sys/net/ipv4/ip_local_port_range') {
	my ($eph_low) = split ' ', (<$fh> // '');
	$high = $eph_low - 1 if defined $eph_low && $eph_low =~ /^\d+$/
		&& $eph_low - 1 - $low >= 1000;
}

# bind_port(TYPE, PORT): an open socket bound to 127.0.0.1:PORT, or undef.
sub bind_port {
	my ($type, $port) = @_;
	socket(my $s, PF_INET, $type, 0) or fail "free-ports.pl: socket: $!\n";
	return bind($s, pack_sockaddr_in($port, INADDR_LOOPBACK)) ? $s : undef;
}

my (@held, @ports, %seen);
for (my $tries = 0; @ports < $count; $tries++) {
	fail "free-ports.pl: no free ports found\n" if $tries > 1000;
	my $port = $low + int(rand($high - $low + 1));
	next if $seen{$port}++;
	my $tcp = bind_port(SOCK_STREAM, $port) or next;
	my $udp = bind_port(SOCK_DGRAM, $port) or next;
	push @held, $tcp, $udp;
	push @ports, $port;
}
print "$_\n" for @ports;
