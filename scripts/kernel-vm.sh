#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# kernel-vm.sh - run the integration tests on Debian 12's own kernel (6.1,
# package linux-image-amd64) booted under qemu, and fail if any fails.
#
#   bash scripts/kernel-vm.sh                 # after scripts/run-tests.sh built build-ci
#   BUILD_DIR=/tmp/b bash scripts/kernel-vm.sh
#   bash scripts/kernel-vm.sh -R header       # only tests whose name matches
#   bash scripts/kernel-vm.sh -R daemon -k memory   # and of those, test methods matching
#   bash scripts/kernel-vm.sh --refresh       # rebuild the cached root filesystem
#   bash scripts/kernel-vm.sh --bench         # the benchmark's sections 1 and 2 instead
#   bash scripts/kernel-vm.sh --bench-args "--only 1 --quick"   # other bench/run.py arguments
#   bash scripts/kernel-vm.sh --run 'ASYNCDUMP_DEBUG=1 build-ci/daemon/asyncdumpd --version'
#                                             # any shell command, from the checkout
#
# The guest is a minimal bookworm root filesystem made with debootstrap,
# with the kernel, python3 and the run-time libraries installed from
# Debian's archive (bookworm-security included, so it is the kernel a
# Debian 12 machine runs today). It is cached in $ASYNCDUMP_VM_CACHE
# (default /var/cache/asyncdump-vm) and rebuilt when this recipe changes.
# Each run copies the checkout and the already-built tree into a fresh disk
# image at the same paths, boots the guest's own kernel and initramfs
# (qemu's TCG: no KVM needed), runs every ctest test labelled
# "integration" as ctest would (same command, environment, working
# directory), prints their output here and powers off. With --bench it
# builds the benchmark's Release tree (build-bench/, scripts/bench.sh) and
# runs bench/run.py there instead, labelled as emulated. Runs as root.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build-ci}"
cache="${ASYNCDUMP_VM_CACHE:-/var/cache/asyncdump-vm}"
mirror="${ASYNCDUMP_VM_MIRROR:-http://deb.debian.org/debian}"
security="${ASYNCDUMP_VM_SECURITY:-http://deb.debian.org/debian-security}"
# Whole run, boot to power-off; the suite takes about ten times as long
# as on the host under TCG (about 45 minutes since the capacity tests of
# issue 12: a bound with room, not a budget).
timeout_min="${ASYNCDUMP_VM_TIMEOUT_MIN:-70}"
filter=""
methods=""
refresh=0
bench=""
run=""

die() { echo "kernel-vm.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case "$1" in
	-R) [ $# -ge 2 ] || die "-R needs a pattern"; filter="$2"; shift 2 ;;
	-k) [ $# -ge 2 ] || die "-k needs a pattern"; methods="$2"; shift 2 ;;
	--refresh) refresh=1; shift ;;
	--bench) bench="--only 1,2"; shift ;;
	--run) [ $# -ge 2 ] || die "--run needs a command"; run="$2"; shift 2 ;;
	--bench-args) [ $# -ge 2 ] || die "--bench-args needs bench/run.py's arguments"
		bench="$2"; shift 2 ;;
	-h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, and BPF in the guest)"
if [ -n "$bench" ]; then
	build="${BUILD_DIR:-$root/build-bench}"
	BUILD_DIR="$build" bash "$root/scripts/bench.sh" --build-only
fi
for tool in qemu-system-x86_64 debootstrap mkfs.ext4 ctest python3; do
	command -v "$tool" >/dev/null ||
		die "$tool not found: install the dependencies first with: bash scripts/install-deps.sh"
done
[ -x "$build/daemon/asyncdumpd" ] ||
	die "no build in $build: run bash scripts/run-tests.sh (or set BUILD_DIR) first"

# ---- the root filesystem (cached) ---------------------------------------

# What the guest needs to run the integration tests: the kernel (with its
# initramfs, which has the virtio disk driver), python3 for the harness,
# the libraries the built binaries link (ASan/UBSan runtimes included),
# objdump and bpftool for the tests that use them, libuv for the libuv
# example server's test, iproute2 for the guest's init to bring the
# loopback up (that test connects to 127.0.0.1).
packages=(linux-image-amd64 initramfs-tools python3 libbpf1 libelf1 zlib1g
	libsystemd0 libjson-c5 libinih1 libasan8 libubsan1 libuv1 binutils bpftool procps
	kmod iproute2)
recipe="bookworm ${packages[*]} v1"
key="$(printf '%s' "$recipe" | sha256sum | cut -c1-12)"
rootfs="$cache/rootfs-$key"

build_rootfs() {
	local tmp="$rootfs.tmp"
	echo "== building the guest root filesystem in $rootfs (debootstrap, a few minutes)"
	rm -rf "$tmp"
	mkdir -p "$cache"
	debootstrap --variant=minbase bookworm "$tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
		{ tail -20 "$cache/debootstrap.log" >&2; die "debootstrap failed (log: $cache/debootstrap.log)"; }
	cat >"$tmp/etc/apt/sources.list" <<-EOF
	deb $mirror bookworm main
	deb $mirror bookworm-updates main
	deb $security bookworm-security main
	EOF
	mount -t proc proc "$tmp/proc"
	trap 'umount "$tmp/proc" 2>/dev/null || true' RETURN
	if ! { chroot "$tmp" apt-get update -q &&
		DEBIAN_FRONTEND=noninteractive chroot "$tmp" apt-get install -y -q \
			--no-install-recommends "${packages[@]}"; } >"$cache/apt.log" 2>&1; then
		tail -20 "$cache/apt.log" >&2
		die "installing the guest's packages failed (log: $cache/apt.log)"
	fi
	chroot "$tmp" apt-get clean
	umount "$tmp/proc"
	ls "$tmp"/boot/vmlinuz-* "$tmp"/boot/initrd.img-* >/dev/null ||
		die "the guest has no kernel or initramfs in /boot"
	rm -rf "$rootfs"
	mv "$tmp" "$rootfs"
}

if [ "$refresh" = 1 ] || [ ! -d "$rootfs" ]; then
	rootfs_start=$SECONDS
	build_rootfs
	echo "== guest root filesystem built in $((SECONDS - rootfs_start))s"
fi
kernel="$(ls "$rootfs"/boot/vmlinuz-* | sort -V | tail -1)"
initrd="$(ls "$rootfs"/boot/initrd.img-* | sort -V | tail -1)"

# ---- this run's disk image ----------------------------------------------

work="$(mktemp -d /tmp/asyncdump-vm.XXXXXX)"
trap 'rm -rf "$work"' EXIT
stage="$work/stage"
# Hard links: the image is made from the tree, the cache is never written.
cp -al "$rootfs" "$stage"
# The checkout and the build at the paths ctest knows them by; other
# build trees and git's objects stay out.
mkdir -p "$stage$root"
tar -C "$root" --exclude=./.git --exclude='./build*' -cf - . | tar -C "$stage$root" -xf -
mkdir -p "$stage$build"
tar -C "$build" -cf - . | tar -C "$stage$build" -xf -

mkdir -p "$stage/adtest"
cp "$root/tests/vm/guest-init.sh" "$stage/adtest/init"
cp "$root/tests/vm/guest_run.py" "$stage/adtest/run.py"
chmod 0755 "$stage/adtest/init"
if [ -n "$run" ]; then
	printf 'cd %q && %s\n' "$root" "$run" >"$stage/adtest/command"
elif [ -n "$bench" ]; then
	commit="$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
	[ -z "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ] ||
		commit="$commit + uncommitted changes"
	printf 'AD_BENCH_COMMIT=%q python3 %q --build %q --without-bpftrace --emulated %q %s\n' \
		"$commit" "$root/bench/run.py" "$build" \
		"qemu $(qemu-system-x86_64 --version | head -1 | awk '{print $4}') TCG, -cpu max, 2 vCPUs on this host" \
		"$bench" >"$stage/adtest/command"
else
	# Every integration test as ctest would run it (but those that need
	# the host's systemd tools).
	args=(--test-dir "$build" -L integration -LE host_only --show-only=json-v1)
	[ -n "$filter" ] && args+=(-R "$filter")
	ctest "${args[@]}" >"$stage/adtest/tests.json"
	# unittest's -k, passed to each test program
	printf '%s' "$methods" >"$stage/adtest/methods"
fi

image="$work/disk.ext4"
mkfs.ext4 -q -F -L adroot -d "$stage" "$image" 4G
rm -rf "$stage"

# ---- boot ----------------------------------------------------------------

log="$work/console.log"
echo "== booting $(basename "$kernel") under qemu (TCG, 2 CPUs, 4 GB)"
start=$SECONDS
set +e
timeout --foreground "${timeout_min}m" qemu-system-x86_64 \
	-machine q35 -accel tcg,thread=multi -cpu max -smp 2 -m 4G \
	-nographic -no-reboot -nic none \
	-kernel "$kernel" -initrd "$initrd" \
	-drive "file=$image,format=raw,if=virtio,cache=unsafe" \
	-append "root=/dev/vda rw rootfstype=ext4 console=ttyS0 quiet loglevel=3 panic=-1 init=/adtest/init" \
	</dev/null 2>&1 | sed -u 's/\r$//' | tee "$log"
qrc=${PIPESTATUS[0]}
set -e
echo "== qemu exited ($qrc) after $((SECONDS - start))s"

result="$(grep -a '^ASYNCDUMP-VM-RESULT ' "$log" | tail -1 | cut -d' ' -f2)"
[ -n "$result" ] ||
	die "the guest did not report a result (qemu exit $qrc; timeout ${timeout_min} min): see the console output above"
if [ -n "$run" ]; then
	echo "kernel-vm.sh: the command exited $result on $(basename "$kernel")"
	exit "$result"
fi
if [ -n "$bench" ]; then
	[ "$result" = 0 ] || die "the benchmark failed on the guest kernel (see above)"
	echo "kernel-vm.sh: benchmark done on $(basename "$kernel")"
	exit 0
fi
[ "$result" = 0 ] || die "integration tests failed on the guest kernel (see above)"
echo "kernel-vm.sh: all integration tests passed on $(basename "$kernel")"
