# Run the test script inside a network namespace that has only lo, so that
# ICE finds nothing but loopback (TESTING.md). Source it first, before
# test-lib.sh: the script runs itself again inside the namespace (root,
# unshare(1) and ip(8) needed) with TEST_NETNS=1; where it cannot,
# TEST_NETNS=none and the script goes on outside, to skip:
#
#   . "$SIPWS_SOURCE/tests/lib/netns.sh"
#   . "$SIPWS_SOURCE/tests/lib/test-lib.sh"
#   [ "$TEST_NETNS" = 1 ] || test_skip_all 'needs root, unshare(1) and ip(8) ...'
if [ -z "${TEST_NETNS:-}" ]; then
	if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null 2>&1 &&
	   command -v ip >/dev/null 2>&1; then
		TEST_NETNS=1 exec unshare --net sh -c \
			'ip link set lo up && exec sh "$0" "$@"' "$0" "$@"
	fi
	TEST_NETNS=none
fi
