#!/bin/sh
# Prepare the browser peer of the interop tests (tests/browser): install its
# npm packages from package-lock.json when node_modules is missing or older
# than the lock file, and bundle JsSIP for the page when the bundle is
# missing or older than its sources. Needs node and npm (scripts/deps.sh
# installs them) and the npm registry only when node_modules must change.
# Never downloads a browser: the tests use Debian's chromium.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
dir="$here/tests/browser"

for tool in node npm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "browser-deps: $tool is missing (scripts/deps.sh installs it)" >&2
		exit 1
	fi
done

PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD

# Test scripts running in parallel may call this at the same moment: one
# installs, the others wait for it.
mkdir -p "$dir/build"
exec 9>"$dir/build/.deps.lock"
if command -v flock >/dev/null 2>&1; then
	flock -w 300 9 || { echo "browser-deps: $dir/build/.deps.lock is held" >&2; exit 1; }
fi

# newer A B: A was modified after B (POSIX test has no -nt).
newer() {
	[ -n "$(find "$1" -prune -newer "$2")" ]
}

# npm records what it installed in node_modules/.package-lock.json.
installed="$dir/node_modules/.package-lock.json"
if [ ! -f "$installed" ] || newer "$dir/package-lock.json" "$installed" ||
	newer "$dir/package.json" "$installed"; then
	echo "browser-deps: npm ci in tests/browser" >&2
	# No install scripts: esbuild's only checks its binary, which npm
	# brings as a platform package anyway.
	(cd "$dir" && npm ci --prefer-offline --ignore-scripts --no-audit --no-fund \
		--loglevel=error >&2)
fi

bundle="$dir/build/page.js"
stale=
if [ ! -f "$bundle" ]; then
	stale=yes
else
	for f in "$dir"/*.mjs "$installed"; do
		if newer "$f" "$bundle"; then
			stale=yes
		fi
	done
fi
if [ -n "$stale" ]; then
	echo "browser-deps: bundling JsSIP into tests/browser/build/page.js" >&2
	node "$dir/bundle.mjs"
fi
