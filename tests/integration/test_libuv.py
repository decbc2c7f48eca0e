#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""The libuv example server (examples/uv_server.c), driven over real TCP
connections, its trees asserted through real BPF (issue 10, item 3):
connections, requests, a pending timer, threadpool work running and queued,
the call sites of frames entered through wrappers, then the tasks gone
after close."""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adtest  # noqa: E402
from adtest import example, shape, walk, explicit_tasks, task_named  # noqa: E402
from test_examples import text_tree  # noqa: E402

SOURCE = os.path.join(adtest.ROOT, "examples", "uv_server.c")
# Generous: the suite also runs emulated (qemu TCG) on Debian 12's kernel.
TIMEOUT = 60.0
LONG_SLEEP_MS = 600000  # never fires: cancelled at shutdown
# No frame here is stuck, however slow the machine (the default threshold
# is 10 s, which the emulated run could pass).
STUCK_AFTER = "1h"


class Client:
    """One TCP connection to the server, line by line."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.buf = b""
        # the server names the connection's task after its peer: us
        self.task_name = "conn 127.0.0.1:%d" % self.s.getsockname()[1]

    def send(self, line):
        self.s.sendall(line.encode() + b"\n")

    def readline(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(4096)
            if not chunk:
                raise AssertionError("%s: EOF before a line (got %r)"
                                     % (self.task_name, self.buf))
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def request(self, line):
        self.send(line)
        return self.readline()

    def at_eof(self):
        """True once the server has closed the connection (reads until
        then; fails on data)."""
        data = self.s.recv(4096)
        assert data == b"", "%s: unexpected data %r" % (self.task_name, data)
        return True

    def close(self):
        self.s.close()


class Libuv(adtest.ADTestCase):

    def wait_dump(self, d, pid, want, what):
        """Dumps until want(doc) holds (the server gets there
        asynchronously); fails with the last trees after TIMEOUT."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            doc = self.dump_json(d, pid, stuck_after=STUCK_AFTER)
            if want(doc):
                return doc
            if time.monotonic() > deadline:
                self.fail("%s: not within %.0fs; last dump's trees: %r" % (
                    what, TIMEOUT, self.trees(doc)))
            time.sleep(0.05)

    @staticmethod
    def trees(doc):
        """{task name: shape of its frames} of the explicit tasks, plus
        each task's detached frames (none is expected)."""
        return {t["name"]: (shape(t["frames"]), shape(t["detached"]))
                for t in explicit_tasks(doc)}

    def assert_clean(self, doc):
        """Nothing lost, nothing uncertain, no orphan, every frame of the
        maps shown in a tree, plain threads without frames."""
        self.assert_no_losses(doc)
        self.assertEqual({k: v for k, v in doc["lost"].items() if v}, {})
        st = doc["stats"]
        for key in ("duplicate_frames", "duplicate_tasks", "orphans", "cycles",
                    "frames_of_dead_tasks", "stale", "uncertain", "frames_hidden"):
            self.assertEqual(st[key], 0, "stats.%s: %r" % (key, st))
        frames = [f for t in doc["tasks"] for f in walk(t["frames"] + t["detached"])]
        self.assertEqual(st["frames_in"], len(frames), st)
        self.assertEqual(st["frames_shown"], len(frames), st)
        ids = [f["id"] for f in frames]
        self.assertEqual(len(ids), len(set(ids)), "frame ids not distinct")
        for t in doc["tasks"]:
            self.assertFalse(t["current_unknown"], t["name"])
            self.assertEqual(t["detached"], [], t["name"])
            if t["id"].startswith("tid:"):
                self.assertEqual(t["frames"], [], "a thread's own task has frames")
        for f in frames:
            self.assertIsNone(f["uncertain"], f["label"])
            self.assertFalse(f["label_truncated"], f["label"])
            self.assertFalse(f["label_unreadable"], f["label"])
            self.assertFalse(f["stuck"], f["label"])

    def assert_site(self, frame, function, needle):
        self.assertTrue(frame["file"].endswith("examples/uv_server.c"), frame["file"])
        self.assertEqual((frame["function"], frame["line"]),
                         (function, adtest.source_line(SOURCE, needle)), frame["label"])

    def test_server(self):
        path = example("uv_server")
        d = self.start_daemon(attach=[path])
        # one pool thread: a second job waits in the queue
        p = self.start([path], env=dict(os.environ, UV_THREADPOOL_SIZE="1"))
        port = int(p.ready()[0])

        a, b, c, q = Client(port), Client(port), Client(port), Client(port)
        for cl in (a, b, c, q):
            self.addCleanup(cl.close)
        # requests that complete: synchronously, and after a timer fires
        self.assertEqual(a.request("echo hello there"), "hello there")
        self.assertEqual(a.request("sleep 20"), "slept 20")
        # b waits in a timer, c in threadpool work running on the pool
        # thread, q in work queued behind it, a for its next request
        b.send("sleep %d" % LONG_SLEEP_MS)
        c.send("work alpha")
        accept_label = "accept on 127.0.0.1:%d" % port
        want = {
            "listener": ([(accept_label, [])], []),
            a.task_name: ([("read request", [])], []),
            b.task_name: ([("sleep %d" % LONG_SLEEP_MS,
                            [("timer %dms" % LONG_SLEEP_MS, [])])], []),
            c.task_name: ([("work alpha", [("threadpool: alpha", [])])], []),
            q.task_name: ([("read request", [])], []),
            "job alpha": ([("wait for release", [])], []),
        }

        def running(name):
            def check(doc):
                jobs = [t for t in doc["tasks"] if t["name"] == name]
                return self.trees(doc) == want and jobs[0]["state"] == "running"
            return check

        self.wait_dump(d, p.pid, running("job alpha"), "b in its timer, c's job running")
        q.send("work beta")
        want[q.task_name] = ([("work beta", [("threadpool: beta", [])])], [])
        want["job beta"] = ([], [])
        doc = self.wait_dump(d, p.pid, running("job alpha"), "q's job queued")
        self.assertEqual(doc["comm"], "uv_server")
        # spawn order: the listener, the connections as accepted, the jobs
        self.assertEqual([t["name"] for t in explicit_tasks(doc)],
                         ["listener", a.task_name, b.task_name, c.task_name,
                          q.task_name, "job alpha", "job beta"])
        self.assert_clean(doc)

        listener = task_named(doc, "listener")
        accept = listener["frames"][0]
        self.assertIsNone(listener["parent"])
        self.assertTrue(accept["long_running"])
        self.assert_site(accept, "main", "ASYNCDUMP_ENTER_AT(&listener, &listener.accept")
        for cl in (a, b, c, q):
            t = task_named(doc, cl.task_name)
            self.assertEqual(t["parent"], listener["id"], cl.task_name)
            self.assertEqual(t["parent_frame"], accept["id"], cl.task_name)
            # between callbacks: no thread runs it
            self.assertEqual(t["state"], "idle", cl.task_name)
            self.assertIsNone(t["tid"], cl.task_name)
            self.assertIsNotNone(t["idle_ns"], cl.task_name)
            for f in walk(t["frames"]):
                self.assertFalse(f["current"], f["label"])

        # Every frame entered through a uvd_ wrapper has the site of the
        # server code that called it (ASYNCDUMP_HERE() in the wrapper's
        # macro), not one in the wrapper.
        ta = task_named(doc, a.task_name)
        self.assert_site(ta["frames"][0], "conn_next", "= UVD_READ_START(c, ")
        tb = task_named(doc, b.task_name)
        req_b, timer = tb["frames"][0], tb["frames"][0]["children"][0]
        self.assert_site(req_b, "handle_request", "ASYNCDUMP_ENTER_AT(c, &c->request")
        self.assert_site(timer, "start_sleep", "= UVD_TIMER_START(c, ")
        tc = task_named(doc, c.task_name)
        req_c, pool = tc["frames"][0], tc["frames"][0]["children"][0]
        self.assert_site(req_c, "handle_request", "ASYNCDUMP_ENTER_AT(c, &c->request")
        self.assert_site(pool, "start_work", "= UVD_QUEUE_WORK(c, ")
        self.assertFalse(pool["long_running"])

        # The job: a task of its own, spawned by c's task at its threadpool
        # frame (which is under c's request frame), running on a pool
        # thread, its frame entered there with a plain ASYNCDUMP_SCOPE.
        job = task_named(doc, "job alpha")
        self.assertEqual(job["parent"], tc["id"])
        self.assertEqual(job["parent_frame"], pool["id"])
        self.assertEqual(job["state"], "running")
        self.assertIsInstance(job["tid"], int)
        self.assertNotEqual(job["tid"], p.pid)  # not the loop thread
        self.assertTrue(os.path.isdir("/proc/%d/task/%d" % (p.pid, job["tid"])),
                        "the job's tid is no thread of the server")
        wait = job["frames"][0]
        self.assert_site(wait, "job_run", 'ASYNCDUMP_SCOPE("wait for release")')
        self.assertTrue(wait["current"])
        self.assertEqual(job["deepest"]["id"], wait["id"])
        # Queued: spawned under q's threadpool frame, never polled yet.
        tq = task_named(doc, q.task_name)
        queued = task_named(doc, "job beta")
        self.assertEqual(queued["parent"], tq["id"])
        self.assertEqual(queued["parent_frame"], tq["frames"][0]["children"][0]["id"])
        self.assertEqual((queued["state"], queued["tid"], queued["idle_ns"]),
                         ("idle", None, None))

        # Text once: the same trees, the job running on its pool thread.
        text = self.dump_text(d, p.pid, stuck_after=STUCK_AFTER)
        self.assertEqual(text_tree(text, 'task "%s" %s: idle ' % (c.task_name, tc["id"])),
                         ["╼ work alpha", "  └╼ threadpool: alpha"], text)
        self.assertEqual(text_tree(text, 'task "%s" %s: idle ' % (b.task_name, tb["id"])),
                         ["╼ sleep %d" % LONG_SLEEP_MS,
                          "  └╼ timer %dms" % LONG_SLEEP_MS], text)
        self.assertEqual(
            text_tree(text, 'task "job alpha" %s: running on tid %d, ' % (job["id"], job["tid"])),
            ["╼ wait for release <== current"], text)
        self.assertIn(', spawned by task "%s" %s at frame "threadpool: alpha" %s'
                      % (c.task_name, tc["id"], pool["id"]), text)

        # Released from another connection: the job ends, c replies and
        # waits for its next request, q's job runs; b still waits in its
        # timer.
        self.assertEqual(a.request("release alpha"), "released alpha 1")
        self.assertEqual(c.readline(), "worked alpha")
        del want["job alpha"]
        want[c.task_name] = ([("read request", [])], [])
        want["job beta"] = ([("wait for release", [])], [])
        doc = self.wait_dump(d, p.pid, running("job beta"),
                             "alpha's job gone, c reading, beta's job running")
        self.assert_clean(doc)
        self.assertEqual(task_named(doc, "job beta")["id"], queued["id"])
        self.assertEqual(task_named(doc, "job beta")["tid"], job["tid"])  # the one pool thread
        self.assertEqual(a.request("release beta"), "released beta 1")
        self.assertEqual(q.readline(), "worked beta")
        del want["job beta"]
        want[q.task_name] = ([("read request", [])], [])
        doc = self.wait_dump(d, p.pid, lambda doc: self.trees(doc) == want,
                             "the jobs gone, c and q reading")
        self.assert_clean(doc)
        self.assertEqual(task_named(doc, c.task_name)["id"], tc["id"])
        self.assertEqual(task_named(doc, b.task_name)["frames"][0]["id"], req_b["id"])
        self.assert_site(task_named(doc, c.task_name)["frames"][0], "conn_next",
                         "= UVD_READ_START(c, ")

        # The clients of a, c and q hang up: their tasks end.
        for cl in (a, c, q):
            cl.close()
            del want[cl.task_name]
        doc = self.wait_dump(d, p.pid, lambda doc: self.trees(doc) == want,
                             "a's, c's and q's tasks gone")
        self.assert_clean(doc)
        self.assertEqual([t["name"] for t in explicit_tasks(doc)],
                         ["listener", b.task_name])

        # stdin closes: b's timer is cancelled, b closed, the server exits 0.
        p.close_stdin()
        self.assertTrue(b.at_eof())
        self.assertEqual(p.wait(timeout=TIMEOUT), 0)


if __name__ == "__main__":
    adtest.main()
