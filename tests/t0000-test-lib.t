#!/bin/sh
test_description='the shell test library itself reports what it checks'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"

test_expect_success 'test_expect_code accepts the exact status' '
	test_expect_code 3 sh -c "exit 3"
'

test_expect_success 'test_expect_code rejects another status' '
	! test_expect_code 3 sh -c "exit 4"
'

test_expect_success 'test_must_fail rejects success and crashes' '
	test_must_fail sh -c "exit 1" &&
	! test_must_fail true &&
	! test_must_fail sh -c "kill -SEGV \$\$"
'

test_expect_success 'test_cmp shows differences' '
	printf "a\n" >one && printf "b\n" >two &&
	! test_cmp one two >diff.out &&
	test_grep "^-a" diff.out
'

test_expect_success 'a failing body is reported as not ok' '
	(
		SIPWS_SOURCE=$SIPWS_SOURCE SIPWS_BUILD=$TRASH/inner sh -c "
			. \"\$SIPWS_SOURCE/tests/lib/test-lib.sh\"
			test_expect_success inner false 2>/dev/null
			test_done" >inner.out 2>/dev/null
		test $? -eq 1
	) &&
	test_grep "^not ok 1 - inner" inner.out
'

test_done
