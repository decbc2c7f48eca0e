#!/bin/sh
# compile_matrix.sh COMPILER LANGFLAGS OUTDIR SRC INCDIR [extra flags...]
# Compiles SRC with every warning as an error, links it and runs it
# (unobserved: it must exit 0). Any warning fails the test.
set -eu
cc=$1; lang=$2; out=$3; src=$4; inc=$5; shift 5
command -v "$cc" >/dev/null 2>&1 || { echo "compiler $cc not installed" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
# shellcheck disable=SC2086
"$cc" $lang -O2 -g -Wall -Wextra -Wpedantic -Werror -Wshadow -Wundef \
	-I"$inc" "$@" "$src" -o "$out"
"$out"
