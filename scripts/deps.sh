#!/bin/sh
# Install every Debian package that building and testing sipws need,
# skipping what is already present. Run by `make deps`, `make check`,
# `make demo`, `make fuzz` and `make bench`. Needs root (or sudo) only when
# something is missing. The README lists the same packages; a test checks
# that the two lists agree.
set -eu

PACKAGES="
build-essential
pkg-config
perl
libssl-dev
libwebsockets-dev
libwebsockets-evlib-glib
libglib2.0-dev
clang
libclang-rt-14-dev
kamailio
kamailio-websocket-modules
kamailio-tls-modules
kamailio-sqlite-modules
sqlite3
openssl
sipsak
chromium
bash-completion
zsh
fish
"
# The browser peer of the interop tests (tests/browser) runs on node and
# npm. A machine may have them from elsewhere (NodeSource's nodejs carries
# its own npm and conflicts with Debian's): take Debian's only when absent.
if ! command -v node >/dev/null 2>&1; then
	PACKAGES="$PACKAGES nodejs npm"
elif ! command -v npm >/dev/null 2>&1; then
	PACKAGES="$PACKAGES npm"
fi

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	echo "deps: installing:$missing" >&2
	if [ "$(id -u)" -eq 0 ]; then
		SUDO=""
	elif command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "deps: missing packages:$missing (run as root to install them)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	# A fresh machine has no package lists yet; refresh them once per run.
	$SUDO apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# npm packages and the JsSIP bundle of the browser peer (quick when current).
sh "$(dirname "$0")/browser-deps.sh"
