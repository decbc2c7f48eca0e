#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# run-tests.sh - build everything with ASan/UBSan and warnings as errors, then
# run every test: cmocka unit tests, header-safety tests and the integration
# tests that load real BPF (those need root), on this machine's kernel; then
# fuzz the parsers for a bounded time (scripts/fuzz.sh, a clang tree of its
# own); then the Debian package's round trip (scripts/package-test.sh:
# installs and purges the package asyncdump); then the integration tests
# on Debian 12's own 6.1 booted under qemu (scripts/kernel-vm.sh).
#
#   bash scripts/run-tests.sh            # from anywhere in the checkout
#   BUILD_DIR=/tmp/b bash scripts/run-tests.sh
#   CTEST_ARGS="-R unit" bash scripts/run-tests.sh   # a subset (no guest)
#   ASYNCDUMP_VM=0 bash scripts/run-tests.sh   # this kernel only (not in CI)
#   ASYNCDUMP_FUZZ_SECONDS=60 bash scripts/run-tests.sh  # fuzz longer (0: skip)
#   ASYNCDUMP_PACKAGE=0 bash scripts/run-tests.sh  # no package round trip (not in CI)
#
# Exits nonzero if the build or any test fails. With CI=true a test that did
# not run (skipped, e.g. because it could not attach) is a failure too: in
# CI every integration test must really run, on both kernels.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build-ci}"
jobs="$(nproc 2>/dev/null || echo 2)"

die() { echo "run-tests.sh: $*" >&2; exit 1; }

# The guest stage's tools only when it runs (not for a subset, not with
# ASYNCDUMP_VM=0).
tools=(cmake ctest pkg-config clang clang-format bpftool)
if [ -z "${CTEST_ARGS:-}" ] && [ "${ASYNCDUMP_VM:-1}" != "0" ]; then
	tools+=(qemu-system-x86_64 debootstrap)
fi
for tool in "${tools[@]}"; do
	command -v "$tool" >/dev/null ||
		die "$tool not found: install the dependencies first with: bash scripts/install-deps.sh"
done
if [ "$(id -u)" -ne 0 ]; then
	die "the integration tests load BPF programs and must run as root"
fi

echo "== format"
bash "$root/scripts/check-format.sh"

echo "== configure ($build, ASan+UBSan, -Werror)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DASYNCDUMP_SANITIZE=ON

echo "== build"
cmake --build "$build" -j "$jobs"

# Sanitizer reports must fail the test that triggered them.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# Tells the integration tests that skipping is not allowed (CI, or asked).
if [ "${CI:-}" = "true" ]; then
	export ASYNCDUMP_REQUIRE_BPF=1
fi

echo "== test"
log="$build/ctest.log"
set +e
# Serial by default: the integration tests time probe hits and share the
# machine's 2 cores; CTEST_PARALLEL_LEVEL overrides.
(cd "$build" && ctest --output-on-failure --no-tests=error \
	--timeout 600 ${CTEST_ARGS:-}) 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
	die "ctest failed (exit $rc): see the output above or $log"
fi
if [ "${ASYNCDUMP_REQUIRE_BPF:-}" = "1" ] &&
	grep -Eq '\*\*\*Skipped|Not Run|The following tests did not run' "$log"; then
	die "some tests were skipped; in CI every test must run (see $log)"
fi
echo "run-tests.sh: all tests passed on $(uname -r)"

# Each libFuzzer target for a bounded time (ASYNCDUMP_FUZZ_SECONDS each,
# default 20: the stage takes under 3 minutes on 2 cores), in a clang
# tree beside this one.
if [ -n "${CTEST_ARGS:-}" ]; then
	echo "run-tests.sh: a subset was asked for (CTEST_ARGS): not fuzzing"
elif [ "${ASYNCDUMP_FUZZ_SECONDS:-20}" = "0" ]; then
	[ "${CI:-}" != "true" ] || die "ASYNCDUMP_FUZZ_SECONDS=0 is not allowed in CI: the parsers are fuzzed there"
	echo "run-tests.sh: ASYNCDUMP_FUZZ_SECONDS=0: not fuzzing"
else
	echo "== fuzz (scripts/fuzz.sh)"
	fuzz_start=$SECONDS
	FUZZ_BUILD_DIR="${build}-fuzz" bash "$root/scripts/fuzz.sh" ||
		die "fuzzing found a failure: see the output above"
	echo "run-tests.sh: fuzzing found nothing (stage: $((SECONDS - fuzz_start))s)"
fi

# The Debian package's round trip (installs it, then purges it).
if [ -n "${CTEST_ARGS:-}" ]; then
	echo "run-tests.sh: a subset was asked for (CTEST_ARGS): not testing the package"
elif [ "${ASYNCDUMP_PACKAGE:-1}" = "0" ]; then
	[ "${CI:-}" != "true" ] || die "ASYNCDUMP_PACKAGE=0 is not allowed in CI: the package is tested there"
	echo "run-tests.sh: ASYNCDUMP_PACKAGE=0: not testing the package"
else
	echo "== the Debian package (scripts/package-test.sh)"
	pkg_start=$SECONDS
	PKG_BUILD_DIR="${build}-pkg" bash "$root/scripts/package-test.sh"
	echo "run-tests.sh: package stage: $((SECONDS - pkg_start))s"
fi

# The same integration tests on the kernel Debian 12 users run.
if [ -n "${CTEST_ARGS:-}" ]; then
	echo "run-tests.sh: a subset was asked for (CTEST_ARGS): not running the guest kernel"
elif [ "${ASYNCDUMP_VM:-1}" = "0" ]; then
	[ "${CI:-}" != "true" ] || die "ASYNCDUMP_VM=0 is not allowed in CI: both kernels are tested there"
	echo "run-tests.sh: ASYNCDUMP_VM=0: not running the guest kernel"
else
	echo "== integration tests on Debian 12's own kernel (qemu)"
	vm_start=$SECONDS
	BUILD_DIR="$build" bash "$root/scripts/kernel-vm.sh"
	echo "run-tests.sh: all tests passed on both kernels (guest stage: $((SECONDS - vm_start))s)"
fi
