#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench.sh - the performance benchmark of issue 3: build a Release,
# unsanitized tree in build-bench/ and run bench/run.py, which prints one
# table (machine, kernel, date, commit; every value against its baseline and
# target). Not part of the test suite. Takes about 3.5 minutes.
#
#   bash scripts/bench.sh                       # everything
#   bash scripts/bench.sh --quick               # shorter samples, for development
#   bash scripts/bench.sh --only 2,dump --out /tmp/bench.txt
#   BUILD_DIR=/tmp/b bash scripts/bench.sh      # another build directory
#   bash scripts/bench.sh --build-only          # build, do not run (kernel-vm.sh --bench)
#
# Arguments go to bench/run.py (see its --help). Needs root: it loads BPF.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build-bench}"
jobs="$(nproc 2>/dev/null || echo 2)"

die() { echo "bench.sh: $*" >&2; exit 1; }

build_only=0
if [ "${1:-}" = "--build-only" ]; then
	build_only=1
	shift
fi
tools=(cmake pkg-config clang bpftool)
[ "$build_only" = 1 ] || tools+=(bpftrace perf python3 taskset)
for tool in "${tools[@]}"; do
	command -v "$tool" >/dev/null ||
		die "$tool not found: install the dependencies first with: bash scripts/install-deps.sh"
done

# Release and unsanitized whatever the tree was configured with before: a
# sanitizer or -O0 would measure something other than what ships.
echo "== configure ($build, Release, unsanitized)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DASYNCDUMP_SANITIZE=OFF >/dev/null
echo "== build"
cmake --build "$build" -j "$jobs" --target asyncdumpd probe_bench hold_frames bench_floor bench_opcost
[ "$build_only" = 0 ] || exit 0
if [ "$(id -u)" -ne 0 ]; then
	die "must run as root: it loads BPF programs and attaches USDT probes"
fi
echo "== run"
exec env PYTHONDONTWRITEBYTECODE=1 python3 "$root/bench/run.py" --build "$build" "$@"
