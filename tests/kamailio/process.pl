#!/usr/bin/perl
# process.pl: process chores for tests/lib/kamailio.sh that POSIX sh does
# not do well (Linux /proc based).
#
#   process.pl spawn CMD ARGS...   exec CMD as leader of a new process group,
#                                  so that its pid is also its group id
#   process.pl alive PID           exit 0 if PID runs (a zombie is dead)
#   process.pl group-alive PGID    exit 0 if any process of group PGID runs
#   process.pl kill-group PGID     SIGKILL every process of group PGID and
#                                  wait (5 s at most) until none runs
#   process.pl stop PID            SIGTERM the leader PID of a group, wait
#                                  5 s for the group to end, then kill-group
#   process.pl wait-gone PGID SECONDS
#                                  wait until no process of group PGID runs:
#                                  exit 0, or 1 after SECONDS
#   process.pl wait-ready PID SECONDS PORT...
#                                  wait until every TCP PORT on 127.0.0.1
#                                  accepts a connection: exit 0; exit 2 if PID
#                                  died first, 1 after SECONDS
#   process.pl watchdog OWNER PGID kill group PGID with SIGKILL once process
#                                  OWNER is gone; return when the group
#                                  leader PGID is gone
use strict;
use warnings;
use IO::Socket::INET;
use Time::HiRes qw(sleep time);

# Exit status 1 on every failure (die would exit with errno).
sub fail {
	print STDERR @_;
	exit 1;
}

# state(PID): (state letter, process group) from /proc/PID/stat, or ().
sub state {
	my ($pid) = @_;
	open my $fh, '<', "/proc/$pid/stat" or return ();
	my $stat = <$fh> // return ();
	# The command name is in parentheses and may itself hold ") ".
	return $stat =~ /^\d+ \(.*\) (\S) \d+ (\d+) /s ? ($1, $2) : ();
}

sub alive {
	my ($state) = state($_[0]);
	return defined $state && $state ne 'Z';
}

# members(PGID): the running (not zombie) processes of group PGID.
sub members {
	my ($pgid) = @_;
	opendir my $dh, '/proc' or fail "process.pl: /proc: $!\n";
	return grep {
		my ($state, $group) = state($_);
		defined $state && $state ne 'Z' && $group == $pgid;
	} grep { /^[0-9]+$/ } readdir $dh;
}

# wait_gone(PGID, SECONDS): true once no process of group PGID runs. A
# dying group gains no members, so only those found at first are polled.
sub wait_gone {
	my ($pgid, $seconds) = @_;
	my $deadline = time + $seconds;
	my @left = members($pgid);
	while (@left) {
		return 0 if time > $deadline;
		sleep 0.02;
		@left = grep { alive($_) } @left;
	}
	return 1;
}

sub kill_group {
	my ($pgid) = @_;
	kill 'KILL', -$pgid if members($pgid);
	return wait_gone($pgid, 5);
}

sub number {
	my ($what, $value) = @_;
	fail "process.pl: $what must be a number\n"
		unless defined $value && $value =~ /^[0-9]+$/;
	return $value;
}

my $command = shift // '';
if ($command eq 'spawn') {
	@ARGV or fail "usage: process.pl spawn cmd args...\n";
	setpgrp(0, 0) or fail "process.pl: setpgrp: $!\n";
	exec { $ARGV[0] } @ARGV or fail "process.pl: exec $ARGV[0]: $!\n";
} elsif ($command eq 'alive') {
	exit(alive(number('pid', $ARGV[0])) ? 0 : 1);
} elsif ($command eq 'group-alive') {
	exit(members(number('pgid', $ARGV[0])) ? 0 : 1);
} elsif ($command eq 'kill-group') {
	exit(kill_group(number('pgid', $ARGV[0])) ? 0 : 1);
} elsif ($command eq 'stop') {
	my $pid = number('pid', $ARGV[0]);
	# The leader stops the rest of its group itself.
	kill 'TERM', $pid if alive($pid);
	if (!wait_gone($pid, 5)) {
		warn "process.pl: group $pid ignored SIGTERM for 5 s\n";
	}
	exit(kill_group($pid) ? 0 : 1);
} elsif ($command eq 'wait-gone') {
	exit(wait_gone(number('pgid', $ARGV[0]), number('seconds', $ARGV[1]))
		? 0 : 1);
} elsif ($command eq 'wait-ready') {
	my ($pid, $seconds, @ports) = @ARGV;
	number('pid', $pid);
	number('seconds', $seconds);
	number('port', $_) for @ports;
	my $deadline = time + $seconds;
	while (1) {
		exit 2 unless alive($pid);
		my $ready = 1;
		for my $port (@ports) {
			my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
				PeerPort => $port, Proto => 'tcp', Timeout => 1);
			if (!$s) {
				$ready = 0;
				last;
			}
			close $s;
		}
		exit 0 if $ready;
		exit 1 if time > $deadline;
		sleep 0.05;
	}
} elsif ($command eq 'watchdog') {
	my ($owner, $pgid) = (number('owner', $ARGV[0]), number('pgid', $ARGV[1]));
	# Watching the group leader alone keeps this cheap; whoever stops the
	# leader also takes care of the rest of its group.
	while (alive($pgid)) {
		if (!alive($owner)) {
			kill 'KILL', -$pgid;
			last;
		}
		sleep 0.5;
	}
	exit 0;
} else {
	fail "usage: process.pl spawn|alive|group-alive|kill-group|stop|wait-gone|wait-ready|watchdog ...\n";
}
