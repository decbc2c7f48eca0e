#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""The observer restarted under a running program (issue 14): stopped with
SIGTERM or killed with SIGKILL, a new one started at once on the same
socket. Frames entered before the restart, in the gap while no observer
ran (some exiting there) and after it: each shown right or marked
uncertain, never wrong as certain (progs/restart.c holds the truth)."""

import ctypes
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adtest  # noqa: E402
from adtest import prog  # noqa: E402

# The bpf(2) system call, for the pinned dispatch tables: which program
# each entry holds (a program array looked up from user space gives its
# program's id).
BPF_SYSCALL = {"x86_64": 321, "aarch64": 280}[os.uname().machine]
BPF_MAP_LOOKUP_ELEM, BPF_OBJ_GET = 1, 7
# The ABI header's probe numbers of ENTER and EXIT (AD_PROBE_*).
AD_PROBE_ENTER, AD_PROBE_EXIT = 5, 8


def bpf(cmd, attr):
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(bytes(attr), 128)
    r = libc.syscall(BPF_SYSCALL, cmd, buf, 128)
    if r < 0:
        raise OSError(ctypes.get_errno(), "bpf(%d)" % cmd)
    return r


def dispatched(path, key):
    """The id of the program at `key` of the program array pinned at path."""
    name = ctypes.create_string_buffer(path.encode())
    fd = bpf(BPF_OBJ_GET, struct.pack("=QII", ctypes.addressof(name), 0, 0))
    try:
        k, v = ctypes.c_uint32(key), ctypes.c_uint32(0)
        bpf(BPF_MAP_LOOKUP_ELEM,
            struct.pack("=IIQQQ", fd, 0, ctypes.addressof(k),
                        ctypes.addressof(v), 0))
        return v.value
    finally:
        os.close(fd)


def prog_ids(pid):
    """The ids of the BPF programs process pid holds open."""
    ids = set()
    for fd in os.listdir("/proc/%d/fdinfo" % pid):
        try:
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                for line in f:
                    if line.startswith("prog_id:"):
                        ids.add(int(line.split()[1]))
        except OSError:
            pass
    return ids


# label -> (task, parent label or None): what restart.c did, at each step.
TRUTH_1 = {
    "main before": ("thread", None),
    "t1 before": ("T1", None),
}
TRUTH_2 = dict(TRUTH_1, **{"t1 gap": ("T1", "t1 before")})
TRUTH_3 = {
    "main before": ("thread", None),
    "new thread root": ("new thread", None),
    "t1 before": ("T1", None),
    "t1 gap": ("T1", "t1 before"),
    "t1 after": ("T1", "t1 gap"),
    "t1 after inner": ("T1", "t1 after"),
    "t1 at": ("T1", "t1 before"),
}
TRUTH_4 = {
    "main before": ("thread", None),
    "new thread root": ("new thread", None),
    "main after": ("thread", "main before"),
    "t2 root": ("T2", None),
    "t2 child": ("T2", "t2 root"),
    "t3 frame": ("T3", None),
}


def task_of(t, ids):
    if t["id"] == "tid:%d" % ids["pid"]:
        return "thread"
    if t["id"].startswith("tid:"):
        return "new thread"
    return ids.get(t["id"], t["id"])


def task_called(doc, ids, name):
    found = [t for t in doc["tasks"] if task_of(t, ids) == name]
    assert len(found) == 1, (name, doc["tasks"])
    return found[0]


def shown(doc, ids):
    """[(label, task, parent label or None, uncertain, detach reason)]."""
    out = []

    def visit(frames, task, parent, reason):
        for f in frames:
            out.append((f["label"], task, parent, f["uncertain"],
                        f.get("reason") if parent is None else None))
            visit(f["children"], task, f["label"], None)

    for t in doc["tasks"]:
        visit(t["frames"], task_of(t, ids), None, None)
        visit(t["detached"], task_of(t, ids), None, "detached")
    return out


class Restart(adtest.ADTestCase):

    def wait_serving(self, d, timeout=60.0):
        deadline = time.monotonic() + timeout
        while "serving dumps on" not in d.stderr():
            if d.p.poll() is not None or time.monotonic() > deadline:
                self.fail("the new observer does not serve:\n" + d.stderr())
            time.sleep(0.05)

    def check_truth(self, doc, truth):
        """Every frame shown as certain is where the program put it; every
        frame shown is one the program has open."""
        for label, task, parent, unsure, reason in shown(doc, self.ids):
            self.assertIn(label, truth, "a frame the program does not have open")
            if unsure is None:
                self.assertIsNone(reason, "%s: certain, yet detached (%s)"
                                  % (label, reason))
                self.assertEqual((task, parent), truth[label],
                                 "%s shown wrong as certain" % label)

    def restart(self, sig):
        exe = prog("restart")
        a = self.start_daemon(attach=[exe])
        # More than a clock tick: /proc rounds the start down to one, and
        # a start within the attach's tick shows as partial.
        time.sleep(0.05)
        p = self.start([exe])
        t1, t2, t3 = p.ready()
        self.ids = {t1: "T1", t2: "T2", t3: "T3", "pid": p.pid}
        doc = self.dump_json(a, p.pid)
        self.assertEqual(doc["coverage"], "whole")
        self.check_truth(doc, TRUTH_1)
        self.assertEqual(doc["stats"]["uncertain"], 0)
        self.assertEqual(len(shown(doc, self.ids)), 2)

        # The observer goes; the program goes on without one.
        a.p.send_signal(sig)
        a.p.wait(timeout=60)
        p.send()
        p.ready()

        # On the same socket: after SIGKILL the old one is still there.
        b = self.start_daemon(attach=[exe], socket=a.socket)
        self.wait_serving(b)
        # The thread started next must start a clock tick after the
        # attach for /proc to show it (its start is rounded down to one).
        time.sleep(0.05)
        p.send()
        p.ready()
        doc = self.dump_json(b, p.pid)
        self.assertEqual(doc["coverage"], "partial")
        self.check_truth(doc, TRUTH_3)
        frames = {s[0]: s for s in shown(doc, self.ids)}
        # Entered in T1's poll, begun before: the thread's, uncertain.
        self.assertEqual(frames["t1 after"][3], "before_observation")
        # and so is what it entered: its task may be another too
        self.assertEqual(frames["t1 after inner"][3], "before_observation")
        # Named a parent entered before: not "parent exited".
        self.assertEqual(frames["t1 at"][4], "parent_unseen")
        self.assertEqual(frames["t1 at"][3], "before_observation")
        # A thread started after the restart did nothing unseen.
        self.assertIsNone(frames["new thread root"][3])
        t1 = task_called(doc, self.ids, "T1")
        self.assertEqual(t1["state"], "unknown", "T1 runs: never idle")
        self.assertEqual(doc["stats"]["uncertain"], 4)  # three frames, T1
        text = self.dump_text(b, p.pid)
        self.assertIn("t1 after at", text)
        self.assertIn("(uncertain: may be under a frame, or in a task, "
                      "begun before observation)", text)
        self.assertIn("t1 after inner at", text)
        self.assertIn("(uncertain, as above)", text)
        self.assertIn("[detached: parent not seen]", text)
        self.assertIn("not seen polled since observation began (may be "
                      "running)", text)
        self.assertNotIn("never polled", text)
        self.assertNotIn("parent exited", text)

        # T1's frames exit (two of them entered before: exit_unknown),
        # its poll ends (begun before: poll_end_unknown); T2 begins
        # under observation and is certain.
        p.send()
        p.ready()
        doc = self.dump_json(b, p.pid)
        self.check_truth(doc, TRUTH_4)
        frames = {s[0]: s for s in shown(doc, self.ids)}
        self.assertEqual(frames["main after"][3], "before_observation")
        self.assertIsNone(frames["t2 root"][3])
        self.assertIsNone(frames["t2 child"][3])
        self.assertEqual(task_called(doc, self.ids, "T2")["state"], "running")
        self.assertEqual(task_called(doc, self.ids, "T1")["state"], "idle")
        # first seen at a poll after the restart: its top is uncertain,
        # its state (seen polled) is not
        self.assertEqual(frames["t3 frame"][3], "before_observation")
        self.assertEqual(task_called(doc, self.ids, "T3")["state"], "idle")
        self.assertEqual(doc["stats"]["uncertain"], 2)
        text = self.dump_text(b, p.pid)
        self.assertRegex(text, r'task "T2" 0x[0-9a-f]+: running on tid \d+, '
                         r'age [^,]+, spawned at frame "main after"')
        self.assertEqual(doc["lost"]["exit_unknown"], 2)
        self.assertEqual(doc["lost"]["poll_end_unknown"], 1)
        p.close_stdin()
        self.assertEqual(p.wait(), 0)

    def test_sigterm(self):
        self.restart(signal.SIGTERM)

    def test_forked_without_exec(self):
        """A worker forked without exec runs inside its parent's frames,
        which its record does not hold: observed from its fork, its
        forking thread's tops are uncertain; a thread it starts is not."""
        exe = prog("forked")
        d = self.start_daemon(attach=[exe])
        # More than a clock tick: /proc rounds the start down to one, and
        # a start within the attach's tick shows as partial.
        time.sleep(0.05)
        p = self.start([exe])
        p.ready()
        doc = self.dump_json(d, p.pid)
        self.assertEqual((doc["coverage"], doc["forked"]), ("whole", False))
        self.assertEqual(doc["stats"]["uncertain"], 0)
        # A clock tick after the attach, for /proc to show the child's
        # thread started after it.
        time.sleep(0.05)
        p.send()
        child = int(p.expect("CHILD")[0])
        doc = self.dump_json(d, child)
        self.assertEqual((doc["coverage"], doc["forked"]), ("partial", True))
        ids = {"pid": child}
        frames = {s[0]: s for s in shown(doc, ids)}
        self.assertEqual(sorted(frames), ["child frame", "child thread frame"])
        self.assertEqual(frames["child frame"][3], "before_observation")
        self.assertIsNone(frames["child thread frame"][3])
        self.assertEqual(frames["child thread frame"][1], "new thread")
        self.assertIn("(forked without exec: frames its parent had open at "
                      "the fork are not shown)", self.dump_text(d, child))
        p.close_stdin()
        self.assertEqual(p.wait(), 0)

    def test_sigkill(self):
        """Killed, it leaves nothing that stops the next one starting on
        its socket."""
        self.restart(signal.SIGKILL)

    # ---------------------------------------------------- a pinned store

    def state_dir(self):
        """A store directory of this test's own in the BPF filesystem,
        removed (every pin: the links detach) when the test ends."""
        path = "/sys/fs/bpf/adtest-%d-%s" % (os.getpid(), self.id().split(".")[-1])
        self.addCleanup(shutil.rmtree, path, True)
        return path

    def start_pinned(self, exe):
        """A daemon pinning its store in a directory of the test's own,
        attached to exe, and exe started under it: (dir, daemon, proc)."""
        sd = self.state_dir()
        d = self.start_daemon(attach=[exe], extra=["--state-dir", sd])
        self.assertIn("store pinned under %s/v2: new" % sd, d.stderr())
        # more than a clock tick: /proc rounds the start down to one
        time.sleep(0.05)
        p = self.start([exe])
        return sd, d, p

    def check_exact(self, doc, truth):
        """Every frame the program has open shown, where it put it, as
        certain: nothing was missed while no observer ran."""
        got = {s[0]: s for s in shown(doc, self.ids)}
        self.assertEqual(sorted(got), sorted(truth), "frames shown")
        for label, (task, parent, unsure, reason) in (
                (k, v[1:]) for k, v in got.items()):
            self.assertIsNone(unsure, "%s marked %s" % (label, unsure))
            self.assertIsNone(reason, "%s detached (%s)" % (label, reason))
            self.assertEqual((task, parent), truth[label], label)
        self.assertEqual(doc["coverage"], "whole")
        self.assertEqual(doc["stats"]["uncertain"], 0)
        self.assertEqual([k for k, v in doc["lost"].items() if v], [],
                         "losses")

    def restart_pinned(self, sig):
        exe = prog("restart")
        sd, a, p = self.start_pinned(exe)
        t1, t2, t3 = p.ready()
        self.ids = {t1: "T1", t2: "T2", t3: "T3", "pid": p.pid}
        self.check_exact(self.dump_json(a, p.pid), TRUTH_1)

        # The observer goes: its probes stay, pinned, and record on.
        began = time.monotonic()
        a.p.send_signal(sig)
        a.p.wait(timeout=60)
        took = time.monotonic() - began
        sys.stderr.write("  (%s: gone in %.3f s)\n" % (sig.name, took))
        if sig == signal.SIGTERM:
            self.assertLess(took, 1.0, "SIGTERM: exit within 1 s")
            self.assertIn("stay pinned for the next daemon", a.stderr())
        p.send()
        p.ready()

        b = self.start_daemon(attach=[exe], socket=a.socket,
                              extra=["--state-dir", sd])
        self.wait_serving(b)
        self.assertRegex(b.stderr(), r"store pinned under %s/v2 adopted: "
                         r"\d+ processes, \d+ probe sites of 1 files"
                         % re.escape(sd))
        time.sleep(0.05)
        p.send()
        p.ready()
        doc = self.dump_json(b, p.pid)
        self.check_exact(doc, TRUTH_3)
        self.assertEqual(task_called(doc, self.ids, "T1")["state"], "running")
        p.send()
        p.ready()
        doc = self.dump_json(b, p.pid)
        self.check_exact(doc, TRUTH_4)
        self.assertEqual(task_called(doc, self.ids, "T1")["state"], "idle")
        p.close_stdin()
        self.assertEqual(p.wait(), 0)

    def test_pinned_sigterm(self):
        """With --state-dir, SIGTERM leaves the probes and the store
        pinned: the daemon exits within 1 s, the program's events go on
        being recorded with no daemon, and the next daemon adopts it all:
        every frame exact and certain, nothing lost."""
        self.restart_pinned(signal.SIGTERM)

    def test_pinned_sigkill(self):
        """The same after SIGKILL: the next daemon picks the state up."""
        self.restart_pinned(signal.SIGKILL)

    def test_pinned_handover_under_load(self):
        """Three restarts (SIGTERM, SIGKILL, SIGTERM) while two threads
        make ENTER/EXIT pairs as fast as they can: no event lost or
        doubled. Each would leave a trace: an EXIT lost a frame open, an
        ENTER lost or an EXIT doubled an exit_unknown."""
        exe = prog("pairs")
        sd, d, p = self.start_pinned(exe)
        p.ready()
        pid, began = p.pid, time.monotonic()
        for sig in (signal.SIGTERM, signal.SIGKILL, signal.SIGTERM):
            time.sleep(0.3)
            old = prog_ids(d.p.pid)
            d.p.send_signal(sig)
            d.p.wait(timeout=60)
            d = self.start_daemon(attach=[exe], socket=d.socket,
                                  extra=["--state-dir", sd])
            self.wait_serving(d)
            # Its handlers took over the sites in one step each.
            new = prog_ids(d.p.pid)
            for table, key in (("dispatch", AD_PROBE_ENTER),
                               ("dispatch", AD_PROBE_EXIT),
                               ("dispatch_exit", 0), ("dispatch_exec", 0)):
                held = dispatched("%s/v2/%s" % (sd, table), key)
                self.assertIn(held, new, "%s[%d]" % (table, key))
                self.assertNotIn(held, old, "%s[%d]" % (table, key))
            self.assertRegex(d.stderr(), r"\d+ of 10 probes and the "
                             r"exit/exec hooks now run this daemon's")
        time.sleep(0.3)
        p.send()
        pairs = int(p.expect("STOPPED")[0])
        took = time.monotonic() - began
        sys.stderr.write("  (%d pairs in %.1f s through 3 restarts: %.0f "
                         "a second)\n" % (pairs, took, pairs / took))
        doc = self.dump_json(d, pid)
        got = sorted(f[:3] for f in shown(doc, {"pid": pid}))
        self.assertEqual(got, [("hold", "new thread", None)] * 2)
        self.assertEqual(doc["coverage"], "whole")
        self.assertEqual(doc["stats"]["uncertain"], 0)
        self.assertEqual([k for k, v in doc["lost"].items() if v], [])
        p.close_stdin()
        self.assertEqual(p.wait(), 0)

    def test_pinned_layout_mismatch(self):
        """A store pinned with other settings is never read: the next
        daemon says it dropped it, and observes afresh (late, marked)."""
        exe = prog("restart")
        sd, a, p = self.start_pinned(exe)
        t1, t2, t3 = p.ready()
        self.ids = {t1: "T1", t2: "T2", t3: "T3", "pid": p.pid}
        a.p.send_signal(signal.SIGTERM)
        a.p.wait(timeout=60)
        b = self.start_daemon(attach=[exe], socket=a.socket,
                              extra=["--state-dir", sd, "--label-max", "32"])
        self.wait_serving(b)
        self.assertIn("the store pinned at %s/v2 was made with other "
                      "settings or another version: dropped, with every "
                      "frame and task it held" % sd, b.stderr())
        self.assertIn("store pinned under %s/v2: new" % sd, b.stderr())
        self.assertNotRegex(b.stderr(), r"dropped, with every frame and task "
                            r"it held \(0 pins")
        time.sleep(0.05)
        p.send()
        p.ready()
        doc = self.dump_json(b, p.pid)
        self.assertEqual(doc["coverage"], "partial")
        self.check_truth(doc, TRUTH_2)
        # Only what was entered since: the old store's frames are gone,
        # and the new one is marked as entered in a poll begun before.
        self.assertEqual([(f[0], f[3]) for f in shown(doc, self.ids)],
                         [("t1 gap", "before_observation")])
        p.close_stdin()
        self.assertEqual(p.wait(), 0)

    def refused_start(self, socket, state_dir):
        """A daemon started on state_dir, expected to exit at once."""
        return subprocess.run([adtest.DAEMON, "--daemon", "--socket", socket,
                               "--attach", prog("restart"),
                               "--state-dir", state_dir],
                              stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=120)

    def test_state_dir_checked(self):
        """A state directory outside the BPF filesystem is refused before
        anything in it is touched; in one, only other versions' stores
        ("vN") are dropped, and anything else there is left alone."""
        tmp = self.tmpdir()
        open(os.path.join(tmp, "keep"), "w").close()
        os.mkdir(os.path.join(tmp, "v0"))
        r = self.refused_start(os.path.join(tmp, "s.sock"), tmp)
        self.assertEqual(r.returncode, adtest.EXIT_KERNEL, r.stderr)
        self.assertIn("the state directory %s is not in a BPF filesystem"
                      % tmp, r.stderr)
        self.assertTrue(os.path.isdir(os.path.join(tmp, "v0")))
        self.assertTrue(os.path.exists(os.path.join(tmp, "keep")))

        sd = self.state_dir()
        os.makedirs(os.path.join(sd, "v0"))
        os.makedirs(os.path.join(sd, "other"))
        d = self.start_daemon(attach=[prog("restart")],
                              extra=["--state-dir", sd])
        self.assertIn("the store pinned at %s/v0, of another version, was "
                      "dropped" % sd, d.stderr())
        self.assertEqual(sorted(os.listdir(sd)), ["other", "v2"])
        # One daemon a store: a second, on another socket, is refused.
        r = self.refused_start(os.path.join(tmp, "t.sock"), sd)
        self.assertNotEqual(r.returncode, adtest.EXIT_OK, r.stderr)
        self.assertIn("the state directory %s is in use by another "
                      "asyncdumpd" % sd, r.stderr)
        self.wait_serving(d)

    def test_pinned_exit_in_gap(self):
        """A process that exits while no daemon runs is reclaimed: the
        next daemon does not list it, and its maps are given back."""
        exe = prog("restart")
        sd, a, p = self.start_pinned(exe)
        p.ready()
        gone = p.pid
        a.p.send_signal(signal.SIGTERM)
        a.p.wait(timeout=60)
        p.close_stdin()
        self.assertEqual(p.wait(), 0)
        b = self.start_daemon(attach=[exe], socket=a.socket,
                              extra=["--state-dir", sd])
        self.wait_serving(b)
        r = subprocess.run([adtest.DAEMON, "--list", "--format", "json",
                            "--socket", b.socket], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=adtest.DUMP_TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(gone, [row["pid"] for row in json.loads(r.stdout)])


if __name__ == "__main__":
    adtest.main()
