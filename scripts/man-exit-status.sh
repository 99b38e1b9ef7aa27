#!/bin/sh
# Print the roff EXIT STATUS section for a man page from lib/exitcode.h, so
# every page carries the one table (tests/unit/mandoc.c checks they do).
set -eu
top=$(dirname "$0")/..
echo ".SH EXIT STATUS"
# Join the X-macro lines, then emit .TP / .B code / description.
sed -n '/#define EXITCODE_TABLE/,/^$/p' "$top/lib/exitcode.h" |
	tr -d '\\\n' | tr -s ' \t' ' ' |
	sed 's/" "//g' | grep -o 'X([A-Z_]*, [0-9]*, "[^"]*")' |
	sed 's/X([A-Z_]*, \([0-9]*\), "\([^"]*\)")/.TP\n.B \1\n\2/'
