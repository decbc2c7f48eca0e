#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Call sites that point at the user's code, through real BPF (issue 10,
items 2 and 3): C wrappers that take their caller's site, the scope
variants, and C++20 coroutines through usdt/asyncdump.hpp, including a
real deadlock of two coroutines on two mutexes."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adtest  # noqa: E402
from adtest import example, prog, shape, walk, find_frame, explicit_tasks, task_named  # noqa: E402


def marker_line(path, marker):
    """The line of `path` with the comment /* marker */."""
    return adtest.source_line(path, "/* %s */" % marker)


C_SRC = os.path.join(adtest.ROOT, "tests", "integration", "progs", "wrapper_sites.c")
CXX_SRC = os.path.join(adtest.ROOT, "examples", "coro_deadlock.cc")


class Wrappers(adtest.ADTestCase):

    def assert_site(self, frame, src, marker, function):
        self.assertEqual(frame["file"], src, frame)
        self.assertEqual(frame["line"], marker_line(src, marker), frame)
        self.assertIn(function, frame["function"], frame)

    def test_c_wrappers_and_scopes(self):
        path = prog("wrapper_sites")
        d = self.start_daemon(attach=[path])
        p = self.start([path])
        p.ready()
        doc = self.dump_json(d, p.pid, verbose=True)
        t = task_named(doc, "sites")
        self.assertEqual(shape(t["frames"]), [
            ("outer scope", [("dyn scope 7", [("wait for io", [("timer 10ms", [])])])])])
        outer = find_frame(t["frames"], "outer scope")
        dyn = find_frame(t["frames"], "dyn scope 7")
        wait = find_frame(t["frames"], "wait for io")
        timer = find_frame(t["frames"], "timer 10ms")
        # the scopes where they are written; the wrappers' frames where
        # the wrappers were called, not inside the wrappers
        self.assert_site(outer, C_SRC, "SCOPE F", "body")
        self.assert_site(dyn, C_SRC, "SCOPE DYN", "body")
        self.assert_site(wait, C_SRC, "WAIT IO", "body")
        self.assert_site(timer, C_SRC, "TIMER", "body")
        self.assertTrue(outer["long_running"])
        self.assertFalse(dyn["long_running"])
        self.assertTrue(timer["verbose"])
        self.assertEqual(t["state"], "idle")
        self.assert_no_losses(doc)
        self.assertEqual(doc["stats"]["uncertain"], 0)
        # without --verbose the timer is hidden, the rest as it was
        doc = self.dump_json(d, p.pid)
        self.assertEqual(shape(task_named(doc, "sites")["frames"]), [
            ("outer scope", [("dyn scope 7", [("wait for io", [])])])])
        # the scopes end with their blocks: task and frames gone
        p.send()
        p.ready()
        doc = self.dump_json(d, p.pid)
        self.assertEqual(explicit_tasks(doc), [])
        self.assert_no_losses(doc)
        p.close_stdin()
        self.assertEqual(p.wait(), 0)

    def start_coro(self, mode):
        path = example("coro_deadlock")
        d = self.start_daemon(attach=[path])
        p = self.start([path, mode])
        self.assertEqual(p.ready(), [mode])
        return d, p

    def test_coroutine_deadlock(self):
        """Two coroutines, each holding one mutex and waiting for the
        other's: the dump shows both waits, under what each holds, at the
        lines of the user's co_await, not inside the adapter or the
        mutex."""
        d, p = self.start_coro("deadlock")
        time.sleep(0.2)
        doc = self.dump_json(d, p.pid, stuck_after="100ms")
        tasks = explicit_tasks(doc)
        self.assertEqual(sorted(t["name"] for t in tasks), ["worker a", "worker b"])
        for name, first, second in (("worker a", "m1", "m2"), ("worker b", "m2", "m1")):
            t = task_named(doc, name)
            self.assertEqual(shape(t["frames"]), [
                ("take both", [("holding " + first, [("lock " + second, [])])])], name)
            self.assertEqual(t["detached"], [])
            self.assertEqual(t["state"], "idle")  # suspended, no thread runs it
            take = find_frame(t["frames"], "take both")
            hold = find_frame(t["frames"], "holding " + first)
            wait = find_frame(t["frames"], "lock " + second)
            self.assert_site(take, CXX_SRC, "TAKE BOTH", "worker")
            # GCC's name of the coroutine's body, shown as the coroutine
            self.assertEqual(take["function"], "{anonymous}::worker("
                             "async_mutex&, async_mutex&, async_barrier&)")
            self.assert_site(hold, CXX_SRC, "LOCK FIRST", "take_both")
            self.assert_site(wait, CXX_SRC, "LOCK SECOND", "take_both")
            self.assertTrue(wait["stuck"], wait)
            self.assertTrue(hold["long_running"])
            self.assertFalse(hold["stuck"])
            self.assertEqual(t["deepest"]["label"], "lock " + second)
            # the barrier's wait was entered and left: not in the tree
            self.assertIsNone(find_frame(t["frames"], "barrier"))
        self.assert_no_losses(doc)
        self.assertEqual(doc["stats"]["uncertain"], 0)
        text = self.dump_text(d, p.pid, stuck_after="100ms")
        self.assertRegex(text, r"lock m2 at \S+coro_deadlock\.cc:%d .*!!!"
                         % marker_line(CXX_SRC, "LOCK SECOND"))
        self.assertRegex(text, r"lock m1 at \S+coro_deadlock\.cc:%d .*!!!"
                         % marker_line(CXX_SRC, "LOCK SECOND"))
        p.close_stdin()
        self.assertEqual(p.wait(), 0)

    def test_coroutines_finish(self):
        """The same coroutines in one lock order: every task finishes,
        resumed on either of two threads, and leaves nothing behind."""
        d, p = self.start_coro("ok")
        doc = self.dump_json(d, p.pid)
        self.assertEqual(explicit_tasks(doc), [])
        self.assert_no_losses(doc)
        for t in doc["tasks"]:  # the executor's threads: nothing left open
            self.assertEqual(t["frames"], [], t)
        p.close_stdin()
        self.assertEqual(p.wait(), 0)


if __name__ == "__main__":
    adtest.main()
