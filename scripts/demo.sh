#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# demo.sh - on a fresh Debian 12 machine, as root: install the dependencies,
# build, start the observer, start the demo program and print its task trees.
#
#   bash scripts/demo.sh
#
# ASYNCDUMP_SKIP_DEPS=1 skips the package install (CI already did it);
# BUILD_DIR picks the build directory (default: build).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
rundir="$(mktemp -d /tmp/asyncdump-demo.XXXXXX)"
sock="$rundir/sock"
daemon_pid=""
demo_pid=""

die() { echo "demo.sh: $*" >&2; exit 1; }

# Stop only what this script started, by PID, and wait for it.
cleanup() {
	local rc=$?
	for pid in $demo_pid $daemon_pid; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null || true
			for _ in $(seq 50); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
	wait 2>/dev/null || true
	rm -rf "$rundir"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || die "must run as root (BPF and the observer's socket need it)"

if [ "${ASYNCDUMP_SKIP_DEPS:-}" != "1" ]; then
	echo "== installing dependencies"
	bash "$root/scripts/install-deps.sh"
fi

echo "== building in $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null ||
	die "build failed: rerun 'cmake --build $build' to see why"

asyncdumpd="$build/daemon/asyncdumpd"
demo="$build/examples/demo"
[ -x "$asyncdumpd" ] || die "$asyncdumpd was not built"
[ -x "$demo" ] || die "$demo was not built"

echo "== starting the observer: asyncdumpd --daemon --attach $demo --socket $sock"
"$asyncdumpd" --daemon --attach "$demo" --socket "$sock" \
	2>"$rundir/daemon.log" &
daemon_pid=$!
for _ in $(seq 300); do # up to 30 s: loading BPF takes a moment
	[ -S "$sock" ] && break
	if ! kill -0 "$daemon_pid" 2>/dev/null; then
		cat "$rundir/daemon.log" >&2
		wait "$daemon_pid" || die "the observer exited with code $? (its log is above)"
		die "the observer exited before serving (its log is above)"
	fi
	sleep 0.1
done
[ -S "$sock" ] || { cat "$rundir/daemon.log" >&2; die "the observer did not create $sock within 30 s"; }

echo "== starting the demo program"
"$demo" >"$rundir/demo.out" 2>&1 &
demo_pid=$!
for _ in $(seq 100); do # up to 10 s
	grep -q '^READY' "$rundir/demo.out" 2>/dev/null && break
	kill -0 "$demo_pid" 2>/dev/null || { cat "$rundir/demo.out" >&2; die "the demo exited early"; }
	sleep 0.1
done
grep -q '^READY' "$rundir/demo.out" || die "the demo did not print READY within 10 s"
sleep 2 # let frames age so the tree shows real waits

echo "== asyncdumpd --pid $demo_pid --socket $sock"
echo
"$asyncdumpd" --pid "$demo_pid" --socket "$sock" --verbose ||
	{ cat "$rundir/daemon.log" >&2; die "the dump failed (observer log above)"; }
echo
json="$rundir/dump.json"
"$asyncdumpd" --pid "$demo_pid" --socket "$sock" --format json >"$json" ||
	die "the JSON dump failed"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("== the same as JSON (--format json): %d tasks, %d bytes, valid JSON" % (len(d["tasks"]), int(sys.argv[2])))' \
	"$json" "$(wc -c <"$json")" || die "the JSON dump is not valid JSON"
echo
echo "== observer log"
cat "$rundir/daemon.log"
echo "demo.sh: done (stopping the demo and the observer)"
