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
libgstreamer1.0-dev
libgstreamer-plugins-base1.0-dev
libgstreamer-plugins-bad1.0-dev
gstreamer1.0-plugins-base
gstreamer1.0-plugins-good
gstreamer1.0-plugins-bad
gstreamer1.0-nice
libnice-dev
libsrtp2-dev
gstreamer1.0-tools
coturn
sox
pulseaudio
pulseaudio-utils
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
	# Another apt-get or unattended-upgrades may hold the package locks:
	# wait for them (bounded by DEPS_LOCK_TIMEOUT seconds, saying who holds
	# them) instead of failing. apt-get itself waits for the dpkg lock too,
	# for the moment between our check and its start; `apt-get update`
	# ignores that option for the lists lock, hence our own wait.
	wait_s=${DEPS_LOCK_TIMEOUT:-600}
	apt_locks="/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock"
	# shellcheck disable=SC2086
	$SUDO perl "$(dirname "$0")/apt-lock-wait.pl" -t "$wait_s" $apt_locks
	# A fresh machine has no package lists yet; refresh them once per run.
	$SUDO apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	$SUDO perl "$(dirname "$0")/apt-lock-wait.pl" -t "$wait_s" $apt_locks
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends \
		-o DPkg::Lock::Timeout="$wait_s" $missing >/dev/null
fi

# npm packages and the JsSIP bundle of the browser peer (quick when current).
sh "$(dirname "$0")/browser-deps.sh"
