#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# guest-init.sh - PID 1 of the test guest (scripts/kernel-vm.sh): mount what
# the tests need, run them (run.py) or the command kernel-vm.sh left in
# /adtest/command (the benchmark), report the result on the console and
# power off. Installed in the guest as /adtest/init.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 CI=true ASYNCDUMP_REQUIRE_BPF=1
mount -t proc proc /proc
mount -t sysfs sys /sys 2>/dev/null
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# /tmp stays on the guest's disk: the checkout may be under /tmp, at the
# same path as on the host.
mount -t tmpfs tmpfs /run
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
hostname adtest-guest
# The loopback starts down; tests connect to 127.0.0.1 (iproute2's ip).
ip link set lo up || echo "== guest: the loopback is down: tests over 127.0.0.1 will fail"

echo "== guest: $(uname -srv)"
if [ -f /adtest/command ]; then
	sh /adtest/command
else
	python3 /adtest/run.py /adtest/tests.json "$(cat /adtest/methods)"
fi
rc=$?
echo "ASYNCDUMP-VM-RESULT $rc"
sync
echo o >/proc/sysrq-trigger
sleep 30
