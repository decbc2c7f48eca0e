#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""The kernel the daemon runs on (issue 8): what it probes and reports,
what it refuses, and the BPF store's parts that differ between kernels
(the ready-slot table every program may use, sleepable ones included).
Runs on the host kernel and on Debian 12's own 6.1 (scripts/kernel-vm.sh);
the fallbacks a kernel without a feature gets are forced with
ASYNCDUMP_DISABLE_FEATURES and checked on both."""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adtest  # noqa: E402
from adtest import DAEMON, prog  # noqa: E402

CHOICES = ("_DYN string copies", "thread states for a dump", "attached probe sites")


class KernelFeatures(adtest.ADTestCase):

    def test_version_names_every_choice(self):
        self.need_env()
        feats = adtest.kernel_features()
        self.assertEqual(sorted(feats), sorted(CHOICES), feats)
        for what, variant in feats.items():
            self.assertNotEqual(variant.strip(), "", what)
        forced = adtest.kernel_features(adtest.NO_OPTIONAL_FEATURES)
        self.assertRegex(forced["_DYN string copies"],
                         r"^not sleepable \(ASYNCDUMP_DISABLE_FEATURES\)")
        self.assertRegex(forced["thread states for a dump"],
                         r"^task iterator over every task \(ASYNCDUMP_DISABLE_FEATURES\)")
        self.assertEqual(forced["attached probe sites"], feats["attached probe sites"])

    def test_version_unprivileged_probes_nothing(self):
        r = subprocess.run([DAEMON, "--version"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, user="nobody")
        self.assertEqual(r.returncode, adtest.EXIT_OK, r.stderr)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(len(lines), 2, lines)
        self.assertIn("not probed", lines[1])

    def test_daemon_logs_what_it_chose(self):
        d = self.start_daemon(attach=[prog("current_frame")])
        log = d.stderr()
        for what in CHOICES:
            self.assertIn("kernel: %s: " % what, log)

    def test_unknown_feature_name_is_a_usage_error(self):
        self.need_env()
        d = adtest.Daemon([prog("current_frame")],
                          env={"ASYNCDUMP_DISABLE_FEATURES": "sleepable,warp-drive"})
        self.addCleanup(d.cleanup)
        self.assertIsNotNone(d.wait_ready())
        self.assertEqual(d.p.wait(timeout=30), adtest.EXIT_USAGE)
        self.assertIn("unknown feature 'warp-drive'", d.stderr())
        self.assertFalse(os.path.exists(d.socket))

    def test_kernel_without_btf_is_refused(self):
        """A kernel that lacks a required feature gets one clear error naming
        it and the oldest kernel that has it, and exit code 8. Shown here by
        hiding the kernel's BTF in a mount namespace of the daemon's own."""
        self.need_env()
        sock = os.path.join(self.tmpdir(), "s.sock")
        script = ("mount -t tmpfs none /sys/kernel/btf && exec \"$@\"")
        r = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", DAEMON,
                            "--daemon", "--attach", prog("current_frame"),
                            "--socket", sock],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        err = r.stderr.decode()
        self.assertEqual(r.returncode, adtest.EXIT_KERNEL, err)
        last = err.strip().splitlines()[-1]
        self.assertRegex(last, r"lacks BTF type information .*: run Linux 5\.5 or later$")
        self.assertFalse(os.path.exists(sock))


class ReadySlots(adtest.ADTestCase):
    """Slots (a process's own maps) are handed to BPF through a table every
    program may use, sleepable ones included: Linux 6.1 refuses a queue map
    there, and a process's first probe may be a sleepable _DYN one."""

    def run_racers(self, d, n):
        for _ in range(n):
            p = self.start([prog("first_probe_race")])
            p.ready()
            doc = self.dump_json(d, p.pid)
            self.assertTrue(doc["own_maps"], "a racing first probe fell back "
                            "to the shared maps:\n%s" % d.stderr())
            self.assert_no_losses(doc)
            shared = [t for t in doc["tasks"] if t["frames"]]
            self.assertEqual(len(shared), 1, doc["tasks"])
            labels = sorted(f["label"] for f in shared[0]["frames"])
            self.assertEqual(labels, ["racer %d" % i for i in range(8)])
            p.close_stdin()
            self.assertEqual(p.wait(), 0)
            # its slot is given back when the daemon reads its exit
            self.wait_slots_free(d)

    def wait_slots_free(self, d, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            probe = self.start([prog("current_frame")])
            probe.ready()
            doc = self.dump_json(d, probe.pid)
            probe.kill()
            if doc["own_maps"]:
                return
            time.sleep(0.2)
        self.fail("no slot came back:\n%s" % d.stderr())

    def test_first_probes_racing_in_threads(self):
        """Eight threads' first probes at once, into one new task, twenty
        processes in a row, with only four slots: every process gets its
        own maps (a slot a losing thread took is given back, none is
        leaked), every frame is recorded in the one task and nothing is
        counted lost (the losers' "exists already" is not a full map, on
        6.1 too)."""
        d = self.start_daemon(attach=[prog("first_probe_race"), prog("current_frame")],
                              extra=["--max-slots", "4"])
        self.run_racers(d, 20)

    def test_first_probes_racing_not_sleepable(self):
        """The same with the non-sleepable _DYN programs (forced)."""
        d = self.start_daemon(attach=[prog("first_probe_race"), prog("current_frame")],
                              extra=["--max-slots", "4"], env=adtest.NO_OPTIONAL_FEATURES)
        self.run_racers(d, 5)


if __name__ == "__main__":
    adtest.main()
