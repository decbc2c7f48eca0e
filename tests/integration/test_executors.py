#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Executors as people write them (issue 10): polls of one task that
overlap on two threads, in every order the probes can arrive in, and a
stress executor checked against its own record of every task. A dump
shows the right tree, or marks what it cannot know uncertain; never a
wrong tree as certain."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adtest  # noqa: E402
from adtest import prog, shape, task_named, walk  # noqa: E402


def unsure(frames):
    """{label: uncertain reason or None} of every frame."""
    return {f["label"]: f["uncertain"] for f in walk(frames)}


class Handoff(adtest.ADTestCase):
    """One task, two threads, the steps of handoff.c in the test's order."""

    def setUp(self):
        self.d = self.start_daemon(attach=[prog("handoff")])
        self.p = self.start([prog("handoff")])
        self.p.ready()

    def step(self, cmd):
        self.p.send(cmd)
        self.p.ready()
        doc = self.dump_json(self.d, self.p.pid)
        return doc, task_named(doc, "T")

    def current(self, t):
        return [f["label"] for f in walk(t["frames"] + t["detached"]) if f["current"]]

    def test_woken_on_another_thread_before_the_poll_ended(self):
        """B begins polling T before A's POLL_END: until A hands its
        innermost frame over, B's current frame and what B enters are
        uncertain, never guessed; after it, everything is right."""
        doc, t = self.step("a-begin")
        self.assertEqual(shape(t["frames"]), [("root", [("await", [])])])
        self.assertEqual(self.current(t), ["await"])
        doc, t = self.step("b-begin")
        self.assertEqual(t["state"], "running")
        self.assertTrue(t["current_unknown"], t)
        self.assertEqual(self.current(t), [], "a guessed current frame")
        self.assertGreaterEqual(doc["stats"]["uncertain"], 1)
        doc, t = self.step("b-enter")
        # its parent is A's innermost frame, which BPF does not know yet
        self.assertEqual(unsure(t["frames"])["after wake"], "parent_unknown")
        self.assertEqual(unsure(t["frames"])["await"], None)
        doc, t = self.step("a-end")
        # the hand-over gave "after wake" its parent
        self.assertEqual(shape(t["frames"]),
                         [("root", [("await", [("after wake", [])])])])
        self.assertEqual(set(unsure(t["frames"]).values()), {None})
        self.assertFalse(t["current_unknown"])
        self.assertEqual(self.current(t), ["after wake"])
        self.assertEqual(doc["stats"]["uncertain"], 0)
        doc, t = self.step("b-exit")
        doc, t = self.step("b-next")
        self.assertEqual(shape(t["frames"]), [("root", [("next", [])])])
        self.assertEqual(self.current(t), ["next"])
        doc, t = self.step("b-end")
        self.assertEqual(t["state"], "idle")
        self.assertEqual(shape(t["frames"]), [("root", [("next", [])])])
        self.assert_no_losses(doc)
        text = self.dump_text(self.d, self.p.pid)
        self.assertNotIn("uncertain", text)

    def test_move_settles_a_pending_parent(self):
        """A frame entered while its parent was still another poll's
        hand-over, then moved: the move names its parent, and the late
        hand-over does not undo it."""
        for cmd in ("a-begin", "b-begin", "b-enter"):
            doc, t = self.step(cmd)
        self.assertEqual(unsure(t["frames"])["after wake"], "parent_unknown")
        doc, t = self.step("b-move")
        self.assertEqual(shape(t["frames"]),
                         [("root", [("await", []), ("after wake", [])])])
        self.assertIsNone(unsure(t["frames"])["after wake"])
        doc, t = self.step("a-end")
        self.assertEqual(shape(t["frames"]),
                         [("root", [("await", []), ("after wake", [])])])
        self.assertIsNone(unsure(t["frames"])["after wake"])
        doc, t = self.step("b-end")
        self.assertEqual(shape(t["frames"]),
                         [("root", [("await", []), ("after wake", [])])])
        self.assert_no_losses(doc)

    def test_first_exit_ends_the_wait(self):
        """B's first EXIT of a frame A entered tells B the innermost frame
        itself; A's late hand-over changes nothing."""
        for cmd in ("a-begin", "b-begin"):
            self.step(cmd)
        doc, t = self.step("b-exit")
        # after wake was never entered: EXIT of it is unknown, then EXIT
        # await pops to root
        doc, t = self.step("b-next")
        self.assertEqual(shape(t["frames"]), [("root", [("next", [])])])
        self.assertEqual(set(unsure(t["frames"]).values()), {None})
        self.assertEqual(self.current(t), ["next"])
        doc, t = self.step("a-end")
        self.assertEqual(shape(t["frames"]), [("root", [("next", [])])])
        doc, t = self.step("b-end")
        self.assertEqual(shape(t["frames"]), [("root", [("next", [])])])
        self.assertEqual(doc["lost"]["exit_unknown"], 1)  # "after wake"
        self.assert_no_losses(doc, "exit_unknown")

    def test_two_threads_running_the_task_at_once(self):
        """A enters a frame after B began: the store cannot know how the
        two threads' frames nest, so those frames are marked uncertain."""
        for cmd in ("a-begin", "b-begin", "b-enter", "a-late"):
            doc, t = self.step(cmd)
        doc, t = self.step("a-end")
        marks = unsure(t["frames"])
        self.assertEqual(marks["root"], None)
        self.assertEqual(marks["await"], None)
        self.assertEqual(marks["late"], "concurrent")
        self.assertEqual(marks["after wake"], "concurrent")
        self.assertGreaterEqual(doc["stats"]["uncertain"], 2)
        text = self.dump_text(self.d, self.p.pid)
        self.assertIn("(uncertain: two threads ran the task)", text)
        self.assertRegex(text, r"found:.*uncertain=[0-9]")


class ExplicitTasks(adtest.ADTestCase):

    def test_no_phantom_thread_task(self):
        """Threads that only enter frames into a task they name
        (ENTER_AT with a task) have no task of their own in the dump."""
        exe = prog("first_probe_race")
        d = self.start_daemon(attach=[exe])
        p = self.start([exe])
        p.ready()
        doc = self.dump_json(d, p.pid)
        self.assertEqual([t["id"] for t in doc["tasks"] if t["id"].startswith("tid:")],
                         [], "a thread task for a thread that ran none")
        self.assertEqual(len(doc["tasks"]), 1)
        self.assert_no_losses(doc)


class ThreadTaskNamespace(adtest.ADTestCase):
    """Task ids a thread's own task once shared (issue 10, item 6): a
    tagged pointer with the top bit set, the top bit over the thread's
    tid, the tid itself. Each is an ordinary task with its own frames,
    each thread's own task is separate, and a thread's exit ends its own
    task only (tagged_ids.c)."""

    def check(self, env=None):
        exe = prog("tagged_ids")
        d = self.start_daemon(attach=[exe], env=env)
        p = self.start([exe])
        tid, wtid = (int(x) for x in p.ready())
        self.assertEqual(tid, p.pid)
        top = 1 << 63
        doc = self.dump_json(d, p.pid)
        self.assert_no_losses(doc)
        byid = {t["id"]: t for t in doc["tasks"]}
        self.assertEqual(len(byid), len(doc["tasks"]), "a task id twice")
        self.assertEqual(sorted(byid), sorted([
            "tid:%d" % tid, "tid:%d" % wtid, "0x%x" % (top | tid),
            "0x8000000000001234", "0x%x" % tid, "0x%x" % wtid]))

        own = byid["tid:%d" % tid]
        self.assertEqual(own["state"], "running")
        self.assertEqual(own["tid"], tid)
        self.assertEqual(shape(own["frames"]), [
            ("own outer", [("own inner", [("moved out", []), ("own last", [])])])])
        self.assertEqual([f["label"] for f in walk(own["frames"]) if f["current"]],
                         ["own last"])

        tagged = byid["0x%x" % (top | tid)]
        self.assertEqual(tagged["name"], "tagged")
        self.assertEqual(tagged["state"], "idle")
        self.assertIsNotNone(tagged["parent_frame"])
        self.assertEqual(shape(tagged["frames"]), [
            ("tagged root", [("tagged leaf", [("moved in", [])])])])

        t1234 = byid["0x8000000000001234"]
        self.assertEqual(t1234["state"], "idle")
        self.assertEqual(shape(t1234["frames"]), [("t1234 root", [])])

        at_tid = byid["0x%x" % tid]
        self.assertIsNone(at_tid["tid"])
        self.assertEqual(shape(at_tid["frames"]), [
            ("at tid", []), ("at tid top", [("at tid inner", [])])])

        self.assertEqual(shape(byid["tid:%d" % wtid]["frames"]),
                         [("worker own", [])])
        self.assertEqual(shape(byid["0x%x" % wtid]["frames"]),
                         [("worker user", [])])
        for t in doc["tasks"]:
            self.assertEqual(t["detached"], [], t["id"])

        text = self.dump_text(d, p.pid)
        self.assertIn('\ntask "tagged" 0x%x: idle' % (top | tid), text)
        self.assertIn('\ntask "task" 0x8000000000001234: idle', text)
        self.assertIn('\ntask "task" 0x%x: never polled' % tid, text)
        self.assertIn('\ntask "task" 0x%x: never polled' % wtid, text)
        self.assertEqual(sorted(re.findall(r"\nthread ([0-9]+) \(", text)),
                         sorted([str(tid), str(wtid)]))

        # The worker's exit ends its own task, not task <its tid>.
        p.send("exit-worker")
        p.ready()
        deadline = time.monotonic() + 10
        while True:
            doc = self.dump_json(d, p.pid)
            ids = [t["id"] for t in doc["tasks"]]
            if "tid:%d" % wtid not in ids or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertNotIn("tid:%d" % wtid, ids)
        self.assertIn("0x%x" % wtid, ids)
        worker_task = [t for t in doc["tasks"] if t["id"] == "0x%x" % wtid][0]
        self.assertEqual(shape(worker_task["frames"]), [("worker user", [])])
        self.assertIn("tid:%d" % tid, ids)
        self.assert_no_losses(doc)

    def test_task_ids_never_name_a_thread(self):
        self.check()

    def test_not_sleepable_and_every_task_iterator(self):
        self.check(env=adtest.NO_OPTIONAL_FEATURES)


class Stress(adtest.ADTestCase):
    """Many workers, many tasks, wakers that re-queue a task before its
    poll ends: every dumped tree is the program's own record of the task,
    or marked uncertain."""

    def run_stress(self, workers, tasks, polls, env=None):
        exe = prog("executor_stress")
        d = self.start_daemon(attach=[exe], env=env)
        p = self.start([exe, str(workers), str(tasks), str(polls)])
        expect = {}
        while True:
            line = p.readline(timeout=600)
            if line.startswith("READY"):
                break
            _, tid, depth = line.split()
            expect["0x%x" % int(tid, 16)] = int(depth)
        doc = self.dump_json(d, p.pid)
        self.assert_no_losses(doc)
        right = wrong_certain = marked = 0
        for t in adtest.explicit_tasks(doc):
            self.assertEqual(t["state"], "idle", t)
            chain = []
            frames = t["frames"]
            any_unsure = any(f["uncertain"] for f in walk(frames + t["detached"]))
            ok = True
            while frames:
                if len(frames) != 1:
                    ok = False
                    break
                chain.append(frames[0]["label"])
                frames = frames[0]["children"]
            ok = ok and not t["detached"] and chain == [
                "level %d" % i for i in range(expect[t["id"]])]
            if ok:
                right += 1
            elif any_unsure:
                marked += 1
            else:
                wrong_certain += 1
                self.fail("task %s: program says depth %d, dump shows %r as certain"
                          % (t["id"], expect[t["id"]], shape(t["frames"])))
        self.assertEqual(right + marked, tasks)
        print("stress: %d workers, %d tasks x %d polls: %d trees right, %d marked "
              "uncertain, %d wrong" % (workers, tasks, polls, right, marked,
                                        wrong_certain), file=sys.stderr)
        return right, marked

    def test_wakers_that_resume_on_another_thread(self):
        right, marked = self.run_stress(4, 32, 2000)
        # every poll ended before the dump: every hand-over has come
        self.assertEqual(marked, 0)

    def test_not_sleepable_and_every_task_iterator(self):
        right, marked = self.run_stress(3, 16, 500, env=adtest.NO_OPTIONAL_FEATURES)
        self.assertEqual(marked, 0)


if __name__ == "__main__":
    adtest.main()
