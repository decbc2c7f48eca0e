#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""The observer restarted under a running program (issue 14): stopped with
SIGTERM or killed with SIGKILL, a new one started at once on the same
socket. Frames entered before the restart, in the gap while no observer
ran (some exiting there) and after it: each shown right or marked
uncertain, never wrong as certain (progs/restart.c holds the truth)."""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adtest  # noqa: E402
from adtest import prog  # noqa: E402

# label -> (task, parent label or None): what restart.c did, at each step.
TRUTH_1 = {
    "main before": ("thread", None),
    "t1 before": ("T1", None),
}
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


if __name__ == "__main__":
    adtest.main()
