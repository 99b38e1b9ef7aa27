#!/bin/sh
test_description='make deps waits for a package-manager lock held by another process (bounded, naming the holder) instead of failing'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"

WAIT="$SIPWS_SOURCE/scripts/apt-lock-wait.pl"
command -v perl >/dev/null 2>&1 || test_skip_all 'perl is not installed'

# hold FILE SECONDS: take a POSIX write lock on FILE as dpkg and apt do
# (fcntl F_SETLK), in the background for SECONDS; sets HOLDER to its pid
# once the lock is taken.
hold() {
	rm -f held &&
	{ perl -MFcntl -e '
		sysopen(my $fh, $ARGV[0], O_RDWR | O_CREAT) or die "$ARGV[0]: $!";
		my $fl = pack("s s x4 q q i x4", F_WRLCK, 0, 0, 0, 0);
		fcntl($fh, F_SETLK, $fl) or die "lock: $!";
		open(my $o, ">", "held") or die; print $o "$$\n"; close $o;
		sleep $ARGV[1];' "$1" "$2" & } &&
	i=0 &&
	while ! [ -s held ]; do
		i=$((i + 1)) && [ $i -lt 100 ] || return 1
		sleep 0.05
	done &&
	HOLDER=$(cat held)
}

test_expect_success 'free locks (or absent lock files) pass at once, silently' '
	: >free.lock &&
	perl "$WAIT" -t 5 free.lock "$TRASH/absent.lock" >out 2>err &&
	! [ -s out ] && ! [ -s err ]
'

test_expect_success 'a held lock is waited for, its holder named, until it is released' '
	hold busy.lock 2 &&
	perl "$WAIT" -t 30 busy.lock 2>err &&
	! kill -0 $HOLDER 2>/dev/null &&
	test_grep "^deps: waiting for busy.lock, held by process $HOLDER (perl) (0 s of 30 s)$" err
'

test_expect_success 'a lock held past the limit fails with exit 1 and names the holder' '
	hold stuck.lock 5 &&
	test_expect_code 1 perl "$WAIT" -t 1 other.lock stuck.lock 2>err &&
	kill $HOLDER &&
	test_grep "^deps: stuck.lock is still held by process $HOLDER (perl) after 1 s; try again when it has finished$" err
'

test_expect_success 'usage errors exit 2' '
	test_expect_code 2 perl "$WAIT" 2>err &&
	test_grep "^usage: apt-lock-wait.pl" err &&
	test_expect_code 2 perl "$WAIT" -t soon x.lock 2>err
'

test_expect_success 'scripts/deps.sh waits on every apt and dpkg lock before each apt-get' '
	sed -n "/apt_locks=/p" "$SIPWS_SOURCE/scripts/deps.sh" >locks &&
	for f in /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock; do
		test_grep "$f" locks || return 1
	done &&
	grep -v "^[[:space:]]*#" "$SIPWS_SOURCE/scripts/deps.sh" >code &&
	test $(grep -c "apt-lock-wait.pl" code) -eq 2 &&
	test $(grep -c "apt-get \(update\|install\)" code) -eq 2
'

# The real dpkg frontend lock, as another apt-get holds it (root only; the
# lock is held for 2 s and nothing here installs anything).
if [ "$(id -u)" -eq 0 ] && [ -d /var/lib/dpkg ]; then
	test_expect_success 'the real dpkg frontend lock held by another process is seen and waited for' '
		hold /var/lib/dpkg/lock-frontend 2 &&
		perl "$WAIT" -t 30 /var/lib/dpkg/lock-frontend 2>err &&
		test_grep "^deps: waiting for /var/lib/dpkg/lock-frontend, held by process $HOLDER (perl)" err
	'
else
	test_skip 'the real dpkg frontend lock is waited for' 'needs root'
fi

test_done
