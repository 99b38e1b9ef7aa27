#!/bin/sh
test_description='bash, zsh and fish completions load and offer every --help option'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"

tools=$(cd "$SIPWS_BUILD/bin" 2>/dev/null && ls)
[ -n "$tools" ] || test_skip_all 'no tools built'
comp="$SIPWS_SOURCE/completions"
bash_completion=/usr/share/bash-completion/bash_completion

for tool in $tools; do
	"$tool" --help | sed -n 's/^ *\(-., \)\{0,1\}\(--[a-z0-9-]*\).*/\2/p' |
		sort -u >"$tool.opts"

	if [ -f "$bash_completion" ] && command -v bash >/dev/null 2>&1; then
		test_expect_success "bash: $tool completes every long option after --" "
			bash -c '
				. $bash_completion
				. \"$comp/bash/$tool\"
				fn=\$(complete -p $tool | sed -n \"s/.*-F \\([^ ]*\\) .*/\\1/p\")
				test -n \"\$fn\" || exit 1
				COMP_WORDS=($tool --)
				COMP_CWORD=1
				COMP_LINE=\"$tool --\"
				COMP_POINT=\${#COMP_LINE}
				\$fn $tool -- $tool
				printf \"%s\\n\" \"\${COMPREPLY[@]}\"
			' | sort -u >bash.$tool &&
			comm -23 $tool.opts bash.$tool >missing &&
			test_cmp /dev/null missing
		"
	else
		test_skip "bash: $tool completes every long option" 'bash-completion is not installed'
	fi

	if command -v fish >/dev/null 2>&1; then
		test_expect_success "fish: $tool completes every long option after --" "
			fish --no-config -c 'source $comp/fish/$tool.fish; complete -C \"$tool --\"' |
				cut -f1 | sort -u >fish.$tool &&
			comm -23 $tool.opts fish.$tool >missing &&
			test_cmp /dev/null missing
		"
	else
		test_skip "fish: $tool completes every long option" 'fish is not installed'
	fi

	if command -v zsh >/dev/null 2>&1; then
		test_expect_success "zsh: the $tool completion parses" "
			zsh -n '$comp/zsh/_$tool'
		"
	else
		test_skip "zsh: the $tool completion parses" 'zsh is not installed'
	fi
done

test_done
