# Source first, before test-lib.sh: the script runs itself again inside a
# network namespace with only lo (root, unshare(1) and ip(8) needed), so
# that ICE finds no address but loopback (shared TESTING.md). Then
# MEDIA_TEST_NETNS is 1 inside the namespace, "none" where there is none;
# a script that needs it skips with
#   [ "$MEDIA_TEST_NETNS" = 1 ] || test_skip_all "$MEDIA_TEST_NETNS_WHY"
MEDIA_TEST_NETNS_WHY='needs root, unshare(1) and ip(8) for a loopback-only network namespace'
if [ -z "${MEDIA_TEST_NETNS:-}" ]; then
	if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null 2>&1 &&
	   command -v ip >/dev/null 2>&1; then
		MEDIA_TEST_NETNS=1 exec unshare --net sh -c \
			'ip link set lo up && exec sh "$0" "$@"' "$0" "$@"
	fi
	MEDIA_TEST_NETNS=none
fi
