#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Processes the observer could not take (issue 12).

With more live instrumented processes than --max-procs, a process's first
probe hit finds no room for its process record and every event of it is
dropped. Such a process must be told so in its own dump (exit code 9, the
reason and --max-procs named, never blamed on its build) and in the log,
once; the note must go with the process: a later process, with a new pid
or the same one, is observed or reported as it really is. BPF keeps the
note in the `refused` map with the process's start time, which the daemon
checks against /proc before it believes it."""

import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adtest  # noqa: E402
from adtest import example, prog  # noqa: E402

MAX_PROCS = 2  # the option's minimum is 1; 2 shows "the others" filled it


def log_lines(d, pid):
    return [line for line in d.stderr().splitlines()
            if re.search(r"process %d \(.*\) not observed" % pid, line)]


def start_boottime_ns(pid):
    """The process's start, ns since boot, as /proc/PID/stat shows it
    (field 22, clock ticks), put in the middle of its tick."""
    with open("/proc/%d/stat" % pid) as f:
        ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    tick_ns = 10**9 // os.sysconf("SC_CLK_TCK")
    return ticks * tick_ns + tick_ns // 2


def hexbytes(value, size):
    return ["0x%02x" % b for b in value.to_bytes(size, "little")]


class Refused(adtest.ADTestCase):

    def wait_log(self, d, pid, n=1, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = log_lines(d, pid)
            if len(lines) >= n:
                return lines
            time.sleep(0.05)
        self.fail("no log line about refused process %d:\n%s" % (pid, d.stderr()))

    def assert_refused(self, d, pid):
        rc, out, err = d.dump(pid)
        self.assertEqual(rc, adtest.EXIT_PROCS_FULL,
                         "dump of refused %d: rc %d: %s" % (pid, rc, err))
        self.assertEqual(out, "")
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("not observed", err)
        self.assertIn("process table is full (--max-procs %d" % MAX_PROCS, err)
        self.assertRegex(err, r"; [1-9][0-9]* of its probe events dropped since "
                         r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(")
        self.assertIn("larger --max-procs", err)
        self.assertNotIn("is it built", err)  # never blamed on the build
        return err

    def test_procs_full(self):
        exe = example("multiple")
        d = self.start_daemon(attach=[exe],
                              extra=["--max-procs", str(MAX_PROCS)])
        first = [self.start([exe]) for _ in range(MAX_PROCS)]
        for p in first:
            p.ready()
            self.dump_json(d, p.pid)
        third = self.start([exe])
        third.ready()
        err = self.assert_refused(d, third.pid)
        self.assertIn("process %d (multiple)" % third.pid, err)
        lines = self.wait_log(d, third.pid)
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("process table is full (--max-procs %d)" % MAX_PROCS,
                      lines[0])
        self.assertIn("raise --max-procs", lines[0])
        # the machine-wide count still shows in the others' dumps
        self.assertGreater(self.dump_json(d, first[0].pid)["lost"]["procs_full"], 0)
        # every probe hit of it is counted, none of them logged again: 3
        # tasks spawned, each polled once into foo -> bar -> baz
        self.assertIn("; %d of its probe events dropped" % (3 * (1 + 5)), err)
        self.assertEqual(len(log_lines(d, third.pid)), 1, d.stderr())

        # One of the first two exits: a new process finds its room, and the
        # refusal of the third is not carried over to anyone.
        first[0].close_stdin()
        self.assertEqual(first[0].wait(), 0)
        late = self.start([exe])
        late.ready()
        doc = self.dump_json(d, late.pid)
        self.assertEqual(len(doc["tasks"]), 3)
        self.assertEqual(log_lines(d, late.pid), [])

        # The refused process exits: its pid is no longer reported refused,
        # even when an uninstrumented process gets it (forced through
        # ns_last_pid): BPF forgot it at exit.
        pid = third.pid
        third.send()  # every task finishes: more events dropped, then exit
        self.assertEqual(third.wait(), 0)
        rc, _, err = d.dump(pid)
        self.assertEqual(rc, adtest.EXIT_NO_PROCESS, err)
        reuse = None
        for _ in range(50):
            with open("/proc/sys/kernel/ns_last_pid", "w") as f:
                f.write(str(pid - 1))
            cand = self.start(["/bin/sleep", "60"])
            if cand.pid == pid:
                reuse = cand
                break
            cand.kill()
        self.assertIsNotNone(reuse, "could not get PID %d again in 50 forks" % pid)
        rc, _, err = d.dump(pid)
        self.assertEqual(rc, adtest.EXIT_NOT_OBSERVED, err)
        self.assertNotIn("--max-procs", err)

    def test_exec_is_refused_anew(self):
        """exec forgets the refusal (a new image is a new process to the
        observer): still no room, it is refused and logged again."""
        exe = prog("incarnation")
        d = self.start_daemon(attach=[exe], extra=["--max-procs", "1"])
        taker = self.start([exe, "old", "1"])
        taker.ready()
        self.dump_json(d, taker.pid)
        p = self.start([exe, "old", "3"])
        p.ready()
        rc, _, err = d.dump(p.pid)
        self.assertEqual(rc, adtest.EXIT_PROCS_FULL, err)
        self.assertIn("--max-procs 1,", err)
        self.wait_log(d, p.pid, 1)
        p.send()  # exec: same pid, new image
        p.ready()
        self.wait_log(d, p.pid, 2)
        rc, _, err = d.dump(p.pid)
        self.assertEqual(rc, adtest.EXIT_PROCS_FULL, err)

    def test_identity_checked(self):
        """An entry of the refused map is believed only for the process
        that started when it says: a note left by an earlier process with
        the same pid blames nobody (written here by hand with bpftool)."""
        exe = example("multiple")
        d = self.start_daemon(attach=[exe])
        sleeper = self.start(["/bin/sleep", "60"])
        map_id = adtest.daemon_maps(d)["refused"]
        start = start_boottime_ns(sleeper.pid)

        def note(start_ns):
            # struct ad_refused: start_boottime, first_ns, dropped, reason, pad
            value = (hexbytes(start_ns, 8) + hexbytes(time.monotonic_ns(), 8)
                     + hexbytes(5, 8) + hexbytes(1, 4) + hexbytes(0, 4))
            r = subprocess.run(["bpftool", "map", "update", "id", str(map_id),
                                "key"] + hexbytes(sleeper.pid, 4) + ["value"] + value,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)

        # an earlier process's note: a second off either way
        for wrong in (start + 10**9, start - 10**9):
            note(wrong)
            rc, _, err = d.dump(sleeper.pid)
            self.assertEqual(rc, adtest.EXIT_NOT_OBSERVED, err)
            self.assertIn("has hit no asyncdump probe", err)
        # this process's own note
        note(start)
        rc, _, err = d.dump(sleeper.pid)
        self.assertEqual(rc, adtest.EXIT_PROCS_FULL, err)
        self.assertIn("; 5 of its probe events dropped", err)
        self.assertIn("(sleep)", err)


if __name__ == "__main__":
    adtest.main()
