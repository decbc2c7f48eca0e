#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# fuzz.sh - build the libFuzzer targets (tests/fuzz) with clang, ASan and
# UBSan in a tree of their own, and run each for a bounded time, one after
# the other, on a copy of its seed corpus (tests/fuzz/corpus/<target>: the
# repository's corpus is never written).
#
#   bash scripts/fuzz.sh                          # every target
#   bash scripts/fuzz.sh fuzz_snapshot            # some of them
#   ASYNCDUMP_FUZZ_SECONDS=600 bash scripts/fuzz.sh fuzz_snapshot
#   FUZZ_BUILD_DIR=/tmp/bf bash scripts/fuzz.sh   # default: build-fuzz
#
# ASYNCDUMP_FUZZ_SECONDS (default 20) is each target's time; fuzz_snapshot,
# the slowest per input and the largest, gets twice that and
# fuzz_coro_name and fuzz_config, the smallest, half. Exits nonzero if a target crashed,
# leaked, hung or ran out of memory, after printing its log and the input
# that did it, with the command that reproduces it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
secs="${ASYNCDUMP_FUZZ_SECONDS:-20}"
all=(fuzz_request fuzz_options fuzz_elf_notes fuzz_snapshot fuzz_coro_name fuzz_config)
jobs="$(nproc 2>/dev/null || echo 2)"
[ "$jobs" -le 2 ] || jobs=2 # the machine is shared

die() { echo "fuzz.sh: $*" >&2; exit 1; }

case "$secs" in '' | *[!0-9]*) die "ASYNCDUMP_FUZZ_SECONDS must be a number of seconds, not '$secs'" ;; esac
if [ "$secs" -eq 0 ]; then # libFuzzer would take 0 for "no limit"
	echo "fuzz.sh: ASYNCDUMP_FUZZ_SECONDS=0: not fuzzing"
	exit 0
fi
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=("${all[@]}")
for t in "${targets[@]}"; do
	[ -d "$root/tests/fuzz/corpus/$t" ] || die "no such target: $t (targets: ${all[*]})"
done
for tool in clang clang++ cmake; do
	command -v "$tool" >/dev/null ||
		die "$tool not found: install the dependencies first with: bash scripts/install-deps.sh"
done

echo "== fuzz: configure and build ($build, clang, libFuzzer+ASan+UBSan)"
start=$SECONDS
mkdir -p "$build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
	-DASYNCDUMP_FUZZ=ON >"$build/configure.log" 2>&1 ||
	{ cat "$build/configure.log" >&2; die "configuring $build failed"; }
cmake --build "$build" --target fuzz -j "$jobs" >/dev/null ||
	die "building the fuzz targets failed (cmake --build $build --target fuzz)"
echo "fuzz.sh: built in $((SECONDS - start))s"

# A sanitizer report is a crash; a smaller quarantine keeps the RSS of a
# long run well under -rss_limit_mb. The caller's options come last and win.
export ASAN_OPTIONS="detect_leaks=1:quarantine_size_mb=64${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

work="$build/run"
rm -rf "$work"
failed=()
for t in "${targets[@]}"; do
	case "$t" in
	fuzz_snapshot) s=$((2 * secs)) ;;
	fuzz_coro_name | fuzz_config) s=$(((secs + 1) / 2)) ;;
	*) s=$secs ;;
	esac
	mkdir -p "$work/$t"
	cp -r "$root/tests/fuzz/corpus/$t" "$work/$t/corpus"
	seeds=$(find "$work/$t/corpus" -type f | wc -l)
	args=(-max_total_time="$s" -timeout=10 -rss_limit_mb=2048
		-print_final_stats=1 -artifact_prefix="$work/$t/")
	[ ! -f "$root/tests/fuzz/$t.dict" ] || args+=(-dict="$root/tests/fuzz/$t.dict")
	log="$work/$t/log"
	t0=$SECONDS
	rc=0
	"$build/tests/fuzz/$t" "${args[@]}" "$work/$t/corpus" >"$log" 2>&1 || rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 || true)
	now=$(find "$work/$t/corpus" -type f | wc -l)
	if [ "$rc" -eq 0 ]; then
		echo "fuzz.sh: $t: ok, ${runs:-?} inputs in $((SECONDS - t0))s, ${cov:-cov: ?}, corpus $seeds -> $now"
		continue
	fi
	failed+=("$t")
	echo "fuzz.sh: $t FAILED (exit $rc) after $((SECONDS - t0))s; the end of $log:" >&2
	tail -n 60 "$log" >&2
	for a in "$work/$t"/crash-* "$work/$t"/leak-* "$work/$t"/timeout-* "$work/$t"/oom-*; do
		[ -e "$a" ] || continue
		echo "fuzz.sh: $t: input that failed: $a" >&2
		echo "fuzz.sh:   reproduce: $build/tests/fuzz/$t $a" >&2
	done
done

echo "fuzz.sh: ${#targets[@]} targets in $((SECONDS - start))s (logs and new inputs: $work)"
[ "${#failed[@]}" -eq 0 ] || die "failed: ${failed[*]}"
