# Shell test library for sipws tool tests, in the manner of git's t/: each
# script sets test_description, sources this file, runs named tests whose
# bodies chain commands with &&, and ends with test_done. Output is TAP.
#
#   test_expect_success 'title' 'commands'
#   test_expect_failure 'title' 'commands'    (known breakage: TODO)
#   test_expect_code CODE cmd args...        (inside a body: exact status)
#   test_must_fail cmd args...               (inside a body: status 1..125, not a crash)
#   test_cmp expected actual                 (inside a body: diff, shown on failure)
#   test_grep [-v] pattern file              (inside a body: grep, shown on failure)
#   test_skip_all 'reason'                   (skip the whole script)
#   test_done
#
# The environment gives SIPWS_SOURCE (project root), SIPWS_BUILD (build
# directory, its bin/ first in PATH) and SIPWS_CORPUS (shared test corpora).
# Each script runs in its own empty directory "$TRASH", the current
# directory of every test body.

: "${SIPWS_SOURCE:?run tests through make check}"
: "${SIPWS_BUILD:?run tests through make check}"

test_count=0
test_failed=0
test_name=$(basename "$0" .t)
TRASH="$SIPWS_BUILD/trash/$test_name"
rm -rf "$TRASH"
mkdir -p "$TRASH" || exit 1
cd "$TRASH" || exit 1
export TRASH
# Tests must not see the developer's own configuration.
HOME="$TRASH/home"
XDG_CONFIG_HOME="$HOME/.config"
XDG_STATE_HOME="$HOME/.local/state"
export HOME XDG_CONFIG_HOME XDG_STATE_HOME
mkdir -p "$XDG_CONFIG_HOME" "$XDG_STATE_HOME"
for v in $(env | sed -n 's/^\(SIPWS_[A-Z0-9_]*\)=.*/\1/p'); do
	case "$v" in
	SIPWS_SOURCE|SIPWS_BUILD|SIPWS_CORPUS) ;;
	*) unset "$v" ;;
	esac
done
# The system-wide file is replaced by an empty one unless a test sets it.
SIPWS_SYSTEM_CONFIG="$TRASH/etc-sipws-config"
export SIPWS_SYSTEM_CONFIG
LC_ALL=C.UTF-8
export LC_ALL

test_cleanup_cmds=
# test_when_finished 'cmd': run cmd when the script ends (servers, files).
test_when_finished() {
	test_cleanup_cmds="$1
$test_cleanup_cmds"
}
test_run_cleanup() {
	if [ -n "$test_cleanup_cmds" ]; then
		eval "$test_cleanup_cmds" >/dev/null 2>&1
		test_cleanup_cmds=
	fi
}
trap 'test_run_cleanup' EXIT
trap 'test_run_cleanup; exit 130' INT TERM

test_say_failure_log() {
	sed 's/^/#   /' "$TRASH/.test-log" >&2
	# The files a test's commands write (TEST_SHOW_ON_FAILURE, by default
	# "out err"): their ends are shown too, since a helper whose output
	# went to a file fails silently otherwise.
	for f in ${TEST_SHOW_ON_FAILURE-out err}; do
		[ -f "$TRASH/$f" ] || continue
		echo "#   --- $f (last 40 lines):" >&2
		tail -n 40 "$TRASH/$f" | sed 's/^/#   /' >&2
	done
}

test_eval_body() {
	# Run the body in a subshell so a failing "exit" cannot end the script;
	# its output goes to a log shown only when the test fails.
	(eval "$1") >"$TRASH/.test-log" 2>&1
}

test_expect_success() {
	test_count=$((test_count + 1))
	if test_eval_body "$2"; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
		echo "#   body:" >&2
		printf '%s\n' "$2" | sed 's/^/#   /' >&2
		echo "#   output:" >&2
		test_say_failure_log
	fi
}

test_expect_failure() {
	test_count=$((test_count + 1))
	if test_eval_body "$2"; then
		echo "ok $test_count - $1 # TODO known breakage vanished"
	else
		echo "not ok $test_count - $1 # TODO known breakage"
	fi
}

test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count # skip $1 ($2)"
}

test_expect_code() {
	want=$1
	shift
	"$@"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "test_expect_code: '$*' exited $got, wanted $want" >&2
		return 1
	fi
	return 0
}

test_must_fail() {
	"$@"
	got=$?
	if [ "$got" -eq 0 ]; then
		echo "test_must_fail: '$*' succeeded" >&2
		return 1
	elif [ "$got" -gt 125 ]; then
		echo "test_must_fail: '$*' died with status $got" >&2
		return 1
	fi
	return 0
}

test_cmp() {
	diff -u "$1" "$2"
}

test_grep() {
	if [ "$1" = "-v" ]; then
		shift
		if grep -e "$1" "$2" >/dev/null; then
			echo "test_grep: '$1' found in $2:" >&2
			cat "$2" >&2
			return 1
		fi
		return 0
	fi
	if ! grep -e "$1" "$2" >/dev/null; then
		echo "test_grep: '$1' not found in $2:" >&2
		cat "$2" >&2
		return 1
	fi
	return 0
}

test_skip_all() {
	echo "1..0 # skip $1"
	exit 0
}

test_done() {
	echo "1..$test_count"
	test_run_cleanup
	if [ "$test_failed" -gt 0 ]; then
		echo "# failed $test_failed of $test_count" >&2
		exit 1
	fi
	rm -rf "$TRASH"
	exit 0
}
