#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# install-deps.sh - install every Debian 12 package asyncdump needs to build,
# run and test. Run as root on a fresh machine; safe to run again.
#
# Why each package is there: README.md, "Dependencies and why each is there".
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: must run as root (apt-get install); try: sudo bash $0" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive

packages=(
	build-essential gcc g++ make binutils pkg-config cmake
	clang llvm bpftool
	libclang-rt-14-dev # libFuzzer and the sanitizers' runtimes for clang (scripts/fuzz.sh)
	clang-format # the C style (.clang-format), checked by scripts/run-tests.sh
	libbpf-dev libelf-dev zlib1g-dev
	libcmocka-dev libjson-c-dev libsystemd-dev
	libinih-dev # asyncdumpd.conf (daemon/core/config.c)
	systemtap-sdt-dev
	libuv1-dev # the libuv example server (examples/uv_server.c) and its test
	bpftrace # the comparison point of the benchmark (bench/bookkeeping.bt)
	linux-perf # the benchmark's profile of an observed pair (section 6)
	python3 procps
	# the unit's tests: systemd-analyze verify and security, its syscall
	# filter against an strace of the daemon, its capability set (setpriv),
	# its man page (verify runs man); the package's round trip
	systemd strace util-linux man-db dpkg-dev fakeroot
	# the tests on Debian 12's own kernel (scripts/kernel-vm.sh)
	qemu-system-x86 debootstrap e2fsprogs
)

# Skip the (slow) index update when everything is already there, as on a
# developer machine that ran this before; a fresh machine always updates.
missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ "${#missing[@]}" -eq 0 ]; then
	echo "install-deps.sh: all ${#packages[@]} packages already installed"
	exit 0
fi

echo "install-deps.sh: installing: ${missing[*]}"
apt-get update -q
apt-get install -y -q "${packages[@]}"
