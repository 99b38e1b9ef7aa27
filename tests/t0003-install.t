#!/bin/sh
test_description='make install puts tools, library, headers, sipws.pc, man pages and completions in place'
. "$SIPWS_SOURCE/tests/lib/test-lib.sh"

command -v make >/dev/null 2>&1 || test_skip_all 'make is not installed'

# Install from the build under test (BUILD is the directory make check uses).
build_rel=${SIPWS_BUILD#"$SIPWS_SOURCE"/}
root="$TRASH/root"

test_expect_success 'make install DESTDIR=... PREFIX=/usr/local succeeds' '
	make -s -C "$SIPWS_SOURCE" install BUILD="$build_rel" \
		DESTDIR="$root" PREFIX=/usr/local >install.out 2>&1
'

test_expect_success 'every tool and its man page and completions are installed' '
	for t in $(cd "$SIPWS_BUILD/bin" && ls); do
		test -x "$root/usr/local/bin/$t" &&
		test -f "$root/usr/local/share/man/man1/$t.1" &&
		test -f "$root/usr/local/share/bash-completion/completions/$t" &&
		test -f "$root/usr/local/share/zsh/vendor-completions/_$t" &&
		test -f "$root/usr/local/share/fish/vendor_completions.d/$t.fish" ||
		{ echo "missing pieces of $t"; return 1; }
	done
'

test_expect_success 'the config file page is installed in section 5' '
	test -f "$root/usr/local/share/man/man5/sipws.conf.5"
'

test_expect_success 'library and public headers are installed, private ones not' '
	test -f "$root/usr/local/lib/libsipws.a" &&
	for h in "$SIPWS_SOURCE"/lib/*.h; do
		i="$root/usr/local/include/sipws/$(basename "$h")"
		if grep -q "private: not installed" "$h"; then
			test ! -e "$i" || { echo "installed: $h"; return 1; }
		else
			test -f "$i" || { echo "missing $h"; return 1; }
		fi
	done &&
	test ! -e "$root/usr/local/include/sipws/tsx.h" &&
	test ! -e "$root/usr/local/include/sipws/loop-lws.h"
'

test_expect_success 'the umbrella header includes every installed header' '
	dir="$root/usr/local/include/sipws" &&
	(cd "$dir" && ls *.h | grep -v "^sipws\.h\$") >installed &&
	sed -n "s/^#include \"\(.*\)\"\$/\1/p" "$dir/sipws.h" >included &&
	test_cmp installed included
'

test_expect_success 'sipws.pc names the install paths' '
	PKG_CONFIG_PATH="$root/usr/local/lib/pkgconfig" \
		pkg-config --cflags --libs sipws >pc.out &&
	test_grep "^-I/usr/local/include/sipws -I/usr/local/include " pc.out &&
	test_grep " -L/usr/local/lib -lsipws " pc.out &&
	test_grep " -lwebsockets " pc.out &&
	test_grep " -lgstwebrtc-1.0 " pc.out
'

# san, cflags and libs for building against the installed tree.
installed_flags() {
	case "$SIPWS_BUILD" in
	*sanitize*) san="-fsanitize=address,undefined" ;;
	*) san= ;;
	esac &&
	cflags=$(PKG_CONFIG_PATH="$root/usr/local/lib/pkgconfig" \
		pkg-config --cflags sipws | sed "s|/usr/local|$root/usr/local|g") &&
	libs=$(PKG_CONFIG_PATH="$root/usr/local/lib/pkgconfig" \
		pkg-config --libs sipws | sed "s|/usr/local|$root/usr/local|g")
}

test_expect_success 'a program builds against the installed library' '
	cat >prog.c <<-\PROG &&
	#include <stdio.h>
	#include <string.h>
	#include "uri.h"
	int main(void)
	{
		struct uri u;
		const char *s = "sip:alice@example.org";
		if (uri_decode(&u, s, strlen(s), NULL, 0) != 0)
			return 1;
		printf("%.*s\n", (int)u.host.len, u.host.p);
		return 0;
	}
	PROG
	installed_flags &&
	cc $san $cflags -o prog prog.c $libs &&
	./prog >prog.out &&
	echo example.org >expect &&
	test_cmp expect prog.out
'

test_expect_success 'a user agent in 20 lines builds on the umbrella header alone' '
	cat >ua.c <<-\PROG &&
	#include <sipws/sipws.h>
	#include <stdio.h>
	#include <string.h>
	static struct ua *ua;
	static void on_reg(const struct reg_event *ev, void *arg)
	{
		printf("%s %u\n", ev->type == REG_REGISTERED ? "registered" : "failed", ev->status);
		ua_shutdown(ua);
	}
	int main(int argc, char **argv)
	{
		struct ua_config cfg = {.reg_h = on_reg};
		struct conf *conf;
		char reason[256];
		if (conf_alloc(&conf) || conf_parse(conf, "prog", argv[1], strlen(argv[1]), reason, sizeof(reason)) ||
		    conf_check(conf, reason, sizeof(reason)) || ua_alloc(&ua, conf, &cfg, reason, sizeof(reason)) ||
		    ua_start(ua) || ua_register(ua) || ua_run(ua))
			return fprintf(stderr, "%s\n", reason), SIPWS_EXIT_SOFTWARE;
		ua_free(ua);
		return SIPWS_EXIT_OK;
	}
	PROG
	test "$(wc -l <ua.c)" -le 22 &&
	installed_flags &&
	cc $san -Wall -Werror -Wno-unused-parameter \
		$cflags -o ua ua.c $libs &&
	port=$(perl "$SIPWS_SOURCE/tests/kamailio/free-ports.pl" 1) &&
	./ua "websocket.servers = ws://127.0.0.1:$port
	[user]
	uri = sip:alice@127.0.0.1" >ua.out 2>ua.err &&
	echo "failed 0" >expect &&
	test_cmp expect ua.out
'

test_done
