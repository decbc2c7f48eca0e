#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# compile_matrix.sh COMPILER LANGFLAGS OUTDIR SRC INCDIR [extra flags...]
# Compiles SRC with every warning as an error, links it and runs it
# (unobserved: it must exit 0). Any warning fails the test. LANGFLAGS come
# after the default -O2, so an entry may pick another optimization level.
#
# Then checks the probes the binary really carries (readelf -n):
#   with -DASYNCDUMP_DISABLE: no asyncdump note at all;
#   otherwise: a note for every probe kind SRC uses, each with a semaphore
#   and register-only operands (libbpf 1.1.2 cannot parse some memory
#   operands), so a header that silently emitted nothing, or a compiler
#   that turned an operand into a memory reference, fails here.
set -eu
cc=$1; lang=$2; out=$3; src=$4; inc=$5; shift 5
command -v "$cc" >/dev/null 2>&1 || { echo "compiler $cc not installed" >&2; exit 1; }
command -v readelf >/dev/null 2>&1 || { echo "readelf not installed (binutils)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
disabled=0
for flag in "$@"; do
	[ "$flag" = "-DASYNCDUMP_DISABLE" ] && disabled=1
done
# shellcheck disable=SC2086
"$cc" -O2 $lang -g -Wall -Wextra -Wpedantic -Werror -Wshadow -Wundef \
	-I"$inc" "$@" "$src" -o "$out"
"$out"

# One line per asyncdump note: "<name> <semaphore> <arguments...>".
notes=$(readelf -n "$out" | awk '
	/Provider:/ { prov = $2 }
	/Name:/ { name = $2 }
	/Semaphore:/ { sem = $NF }
	/Arguments:/ {
		if (prov == "asyncdump") {
			$1 = ""; print name, sem, $0
		}
		prov = ""
	}')
count=$(printf '%s' "$notes" | grep -c . || true)

if [ "$disabled" = 1 ]; then
	if [ "$count" -ne 0 ]; then
		echo "ASYNCDUMP_DISABLE still emitted $count asyncdump probe(s):" >&2
		printf '%s\n' "$notes" >&2
		exit 1
	fi
	exit 0
fi

for name in task_spawn task_spawn_dyn task_exit poll_begin poll_end enter \
	enter_dyn enter_at exit move; do
	printf '%s\n' "$notes" | grep -q "^$name " || {
		echo "no asyncdump:$name probe in $out; notes:" >&2
		printf '%s\n' "$notes" >&2
		exit 1
	}
done
bad=$(printf '%s\n' "$notes" | awk '
	$2 !~ /^0x0*[1-9a-f][0-9a-f]*$/ { print "no semaphore: " $0; next }
	{ for (i = 3; i <= NF; i++)
		if ($i !~ /^-?[0-9]+@%[a-z0-9]+$/) { print "operand " $i ": " $0; next } }')
if [ -n "$bad" ]; then
	echo "probe notes that libbpf cannot attach to:" >&2
	printf '%s\n' "$bad" >&2
	exit 1
fi
echo "$count asyncdump probes, all with a semaphore and register operands"
