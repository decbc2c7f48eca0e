#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# package-test.sh - the Debian package's round trip, as root on a Debian 12
# machine (README, "Running in production"): builds the daemon without
# sanitizers in a tree of its own (ASYNCDUMP_TESTS=OFF), checks what
# `cmake --install` puts in place under a DESTDIR, makes the .deb with
# cpack, then installs it, checks it (files, the unit enabled, the example
# config and the man page, pkg-config for an application), upgrades it to
# a newer version keeping a changed config, removes and purges it, and
# checks nothing is left. Exits nonzero at the first failure.
#
#   bash scripts/package-test.sh            # PKG_BUILD_DIR=build-pkg
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${PKG_BUILD_DIR:-$root/build-pkg}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

die() { echo "package-test.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "dpkg -i needs root"
if dpkg -s asyncdump >/dev/null 2>&1; then
	die "the asyncdump package is installed already: remove it first (dpkg --purge asyncdump)"
fi

echo "== package: configure and build ($build, no sanitizers, no tests)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DASYNCDUMP_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null

echo "== package: cmake --install into a DESTDIR"
DESTDIR="$work/stage" cmake --install "$build" >/dev/null
for f in usr/sbin/asyncdumpd usr/include/asyncdump.h usr/include/asyncdump.hpp \
	usr/share/pkgconfig/asyncdump.pc usr/lib/systemd/system/asyncdumpd.service \
	usr/share/man/man8/asyncdumpd.8 etc/asyncdump/asyncdumpd.conf; do
	[ -f "$work/stage/$f" ] || die "cmake --install did not put /$f in place"
done

echo "== package: cpack -G DEB"
rm -f "$build"/asyncdump*.deb
(cd "$build" && cpack -G DEB >/dev/null)
mv "$build"/asyncdump_*_amd64.deb "$work/asyncdump.deb"
(cd "$build" && cpack -G DEB -D CPACK_PACKAGE_VERSION=99.0.0 >/dev/null)
mv "$build"/asyncdump_99.0.0_amd64.deb "$work/asyncdump-upgrade.deb"
deb="$work/asyncdump.deb"
newer="$work/asyncdump-upgrade.deb"
# Captured first: `cmd | grep -q` fails under pipefail when grep exits
# before cmd has written everything (SIGPIPE).
info="$(dpkg-deb --info "$deb")"
grep -q 'Depends:.*libbpf1' <<<"$info" ||
	die "the package does not depend on libbpf1 (dpkg-shlibdeps)"
grep -q 'conffiles' <<<"$info" || die "no conffiles in the package"

echo "== package: install"
dpkg -i "$deb" >/dev/null 2>&1 || die "dpkg -i $deb failed"
grep -q "asyncdumpd" <<<"$(/usr/sbin/asyncdumpd --version)" || die "the installed daemon does not run"
[ -L /etc/systemd/system/multi-user.target.wants/asyncdumpd.service ] ||
	die "the unit was not enabled"
man -w asyncdumpd >/dev/null || die "man asyncdumpd finds no page"
# (--cflags is empty: pkg-config leaves out the system's /usr/include.)
pkg-config --exists asyncdump || die "pkg-config does not know asyncdump"
pkg-config --cflags asyncdump >/dev/null || die "pkg-config --cflags asyncdump failed"
[ "$(pkg-config --variable=includedir asyncdump)" = /usr/include ] ||
	die "pkg-config: includedir $(pkg-config --variable=includedir asyncdump)"
cat >"$work/app.c" <<'C'
#include <asyncdump.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	int frame;

	(void)argv;
	ASYNCDUMP_ENTER(&frame, "installed header");
	if (argc > 1) /* "wait": until killed */
		pause();
	ASYNCDUMP_EXIT(&frame);
	return 0;
}
C
# shellcheck disable=SC2046
cc -Wall -Wextra -Werror $(pkg-config --cflags asyncdump) "$work/app.c" -o "$work/app" ||
	die "an application does not build with pkg-config --cflags asyncdump"
"$work/app" || die "the application built against the installed header fails"
# The example config parses (all commented out: discovery finds every
# instrumented process, the application above among them once it runs),
# and the daemon stops on SIGTERM with exit 0.
"$work/app" wait >"$work/app.out" &
app=$!
/usr/sbin/asyncdumpd --daemon --socket "$work/s.sock" >"$work/daemon.log" 2>&1 &
daemon=$!
for _ in $(seq 600); do
	grep -q "serving dumps" "$work/daemon.log" && break
	kill -0 "$daemon" 2>/dev/null || break
	sleep 0.1
done
found=0
grep -q "probe sites in $work/app (process $app)" "$work/daemon.log" && found=1
kill "$app" 2>/dev/null || true
wait "$app" 2>/dev/null || true
kill -TERM "$daemon" 2>/dev/null || true
set +e
wait "$daemon"
rc=$?
set -e
[ "$rc" -eq 0 ] && [ "$found" -eq 1 ] ||
	die "the daemon under the installed example config (exit $rc, app found: $found): $(cat "$work/daemon.log")"

echo "== package: upgrade keeps a changed config"
printf '[targets]\nattach = /usr/bin/true\n' >>/etc/asyncdump/asyncdumpd.conf
dpkg -i --force-confold "$newer" >/dev/null
grep -q '^Version: 99.0.0' <<<"$(dpkg -s asyncdump)" || die "not upgraded"
grep -q '^attach = /usr/bin/true' /etc/asyncdump/asyncdumpd.conf ||
	die "the upgrade lost the changed config"
[ -L /etc/systemd/system/multi-user.target.wants/asyncdumpd.service ] ||
	die "the upgrade disabled the unit"

echo "== package: remove, then purge"
dpkg -r asyncdump >/dev/null
[ ! -e /usr/sbin/asyncdumpd ] || die "dpkg -r left the daemon"
[ -f /etc/asyncdump/asyncdumpd.conf ] || die "dpkg -r removed the config (a conffile)"
dpkg --purge asyncdump >/dev/null
for f in /etc/asyncdump /usr/lib/systemd/system/asyncdumpd.service \
	/etc/systemd/system/asyncdumpd.service \
	/etc/systemd/system/multi-user.target.wants/asyncdumpd.service \
	/usr/share/pkgconfig/asyncdump.pc /usr/include/asyncdump.h; do
	[ ! -e "$f" ] || die "dpkg --purge left $f"
done
echo "package-test.sh: $(basename "$deb"): installs, enables, upgrades, removes and purges cleanly"
