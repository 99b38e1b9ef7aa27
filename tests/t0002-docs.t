#!/bin/sh
test_description='help, man pages, completions, README and deps agree'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"

tools=$(cd "$SIPWS_BUILD/bin" 2>/dev/null && ls)
[ -n "$tools" ] || test_skip_all 'no tools built'

version=$(sed -n 's/^#define SIPWS_VERSION "\(.*\)"/\1/p' "$SIPWS_SOURCE/lib/version.h")

# Man page text with roff escapes removed, so "\-\-set" reads "--set".
man_text() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$SIPWS_SOURCE/man/$1.1"
}

for tool in $tools; do
	test_expect_success "$tool --version names the tool and release" "
		$tool --version >out &&
		echo '$tool (sipws) $version' >expect &&
		test_cmp expect out
	"

	test_expect_success "$tool --help starts with Usage and exits 0" "
		$tool --help >help &&
		head -n 1 help | grep '^Usage: $tool ' &&
		test_grep 'see $tool(1)' help
	"

	test_expect_success "$tool has a man page, bash, zsh and fish completions" "
		test -f '$SIPWS_SOURCE/man/$tool.1' &&
		test -f '$SIPWS_SOURCE/completions/bash/$tool' &&
		test -f '$SIPWS_SOURCE/completions/zsh/_$tool' &&
		test -f '$SIPWS_SOURCE/completions/fish/$tool.fish'
	"

	test_expect_success "$tool: every --help option is in the man page and completions" "
		$tool --help | sed -n 's/^ *\\(-., \\)\\{0,1\\}--\\([a-z0-9-]*\\).*/\\2/p' >opts &&
		test -s opts &&
		man_text $tool >man.txt &&
		missing= &&
		for o in \$(cat opts); do
			grep -q -- \"--\$o\\b\" man.txt || missing=\"\$missing man:--\$o\"
			grep -q -- \"--\$o\\b\" '$SIPWS_SOURCE/completions/bash/$tool' || missing=\"\$missing bash:--\$o\"
			grep -q -- \"--\$o\\b\" '$SIPWS_SOURCE/completions/zsh/_$tool' || missing=\"\$missing zsh:--\$o\"
			grep -q -- \"-l \$o\\b\" '$SIPWS_SOURCE/completions/fish/$tool.fish' || missing=\"\$missing fish:--\$o\"
		done &&
		echo \"missing:\$missing\" &&
		test -z \"\$missing\"
	"

	test_expect_success "$tool: man page SYNOPSIS names the tool" "
		man_text $tool >man.txt &&
		sed -n '/^\\.SH SYNOPSIS/,/^\\.SH/p' man.txt >syn &&
		test_grep '$tool' syn
	"

	test_expect_success "$tool: an unknown option is a usage error (64)" "
		test_expect_code 64 $tool --no-such-option 2>err &&
		test_grep '^$tool: unknown option' err
	"
done

test_expect_success 'README lists every package scripts/deps.sh installs' '
	sed -n "/^PACKAGES=\"/,/^\"/p" "$SIPWS_SOURCE/scripts/deps.sh" |
		grep -v "[=\"]" | sort >deps &&
	test -s deps &&
	missing= &&
	for p in $(cat deps); do
		grep -q -- "\`$p\`" "$SIPWS_SOURCE/README" || missing="$missing $p"
	done &&
	echo "missing:$missing" &&
	test -z "$missing"
'

test_done
