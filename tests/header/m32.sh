#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# m32.sh INCDIR - where pointers are not 64-bit (-m32) the probes cannot
# work: the header must refuse with one clear error naming the way out
# (gcc and clang alike), and compile to nothing with -DASYNCDUMP_DISABLE.
# Syntax only: no 32-bit C library is needed.
set -eu
inc=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/m32.c" <<'SRC'
#include "asyncdump.h"
int f(void);
int f(void)
{
	char frame;

	ASYNCDUMP_ENTER(&frame, "a");
	ASYNCDUMP_EXIT(&frame);
	return 0;
}
SRC
for cc in gcc clang; do
	if "$cc" -m32 -fsyntax-only -Wall -Werror -I"$inc" "$tmp/m32.c" 2>"$tmp/err"; then
		echo "$cc -m32 compiled the probes" >&2
		exit 1
	fi
	grep -q "need 64-bit pointers.*ASYNCDUMP_DISABLE" "$tmp/err" || {
		echo "$cc -m32 failed without the header's message:" >&2
		cat "$tmp/err" >&2
		exit 1
	}
	"$cc" -m32 -fsyntax-only -Wall -Werror -DASYNCDUMP_DISABLE -I"$inc" "$tmp/m32.c"
done
echo "-m32: refused with the header's message, compiled out with ASYNCDUMP_DISABLE"
