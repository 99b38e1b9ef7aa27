#!/usr/bin/perl
# apt-lock-wait.pl [-t SECONDS] LOCKFILE...: wait until no process holds a
# POSIX (fcntl) lock on any LOCKFILE, as dpkg and apt take them, so that
# scripts/deps.sh waits for another apt-get or unattended-upgrades instead
# of failing with "Unable to acquire the dpkg frontend lock". Says once
# every 10 s who holds which lock. Exit 0 when all are free, 1 after
# SECONDS (default 600) with the holder named, 2 on a usage error.
use strict;
use warnings;
use Fcntl qw(F_GETLK F_WRLCK F_UNLCK O_RDONLY);
use Getopt::Std;

my %opt;
getopts('t:', \%opt) && @ARGV && (!defined $opt{t} || $opt{t} =~ /^[0-9]+$/)
	or do { print STDERR "usage: apt-lock-wait.pl [-t seconds] lockfile...\n"; exit 2 };
my $limit = $opt{t} // 600;

# struct flock on Linux LP64 (x86_64, aarch64): short l_type, short
# l_whence, off_t l_start, off_t l_len, pid_t l_pid, padded to 32 bytes.
sub holder {
	my ($file) = @_;
	sysopen(my $fh, $file, O_RDONLY) or return 0;	# no file: nobody holds it
	my $fl = pack('s s x4 q q i x4', F_WRLCK, 0, 0, 0, 0);
	fcntl($fh, F_GETLK, $fl) or return 0;
	my ($type, undef, undef, undef, $pid) = unpack('s s x4 q q i x4', $fl);
	return $type == F_UNLCK ? 0 : $pid;
}

sub command_of {
	my ($pid) = @_;
	open(my $fh, '<', "/proc/$pid/comm") or return '?';
	my $c = <$fh> // '?';
	chomp $c;
	return $c;
}

my ($start, $said) = (time, -10);
while (1) {
	my ($file, $pid);
	for (@ARGV) {
		$pid = holder($_) and do { $file = $_; last };
	}
	exit 0 unless $pid;
	my $waited = time - $start;
	if ($waited >= $limit) {
		printf STDERR "deps: %s is still held by process %d (%s) after %d s; "
			. "try again when it has finished\n", $file, $pid, command_of($pid), $waited;
		exit 1;
	}
	if ($waited - $said >= 10) {
		printf STDERR "deps: waiting for %s, held by process %d (%s) (%d s of %d s)\n",
			$file, $pid, command_of($pid), $waited, $limit;
		$said = $waited;
	}
	sleep 1;
}
