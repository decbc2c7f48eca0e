#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Every example's tree, asserted through real BPF (issue 2, section 5)."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adtest  # noqa: E402
from adtest import example, shape, walk, find_frame, explicit_tasks, task_named  # noqa: E402


TEXT_FRAME = re.compile(r"^(.*?) at (\S+):(\d+) in (\S+) \[(!!! )?[0-9.]+(?:\u00b5s|ms|s)\]"
                        r"(  <== current)?$")


def text_tree(text, header):
    """The frame lines of the text dump under the task header line that
    starts with `header`, up to the next blank line: each reduced to its
    drawing and label, plus " !!!" if stuck and " <== current" if marked.
    Every line must be a well-formed frame or detached-marker line."""
    lines = text.splitlines()
    starts = [i for i, ln in enumerate(lines) if ln.startswith(header)]
    assert len(starts) == 1, "expected one header %r in:\n%s" % (header, text)
    out = []
    for ln in lines[starts[0] + 1:]:
        if not ln:
            break
        if ln.strip().startswith("[detached"):
            out.append(ln)
            continue
        m = TEXT_FRAME.match(ln)
        assert m, "malformed frame line %r in:\n%s" % (ln, text)
        out.append(m.group(1) + (" !!!" if m.group(5) else "")
                   + (" <== current" if m.group(6) else ""))
    return out


def byid_after(doc, tid):
    found = [t for t in doc["tasks"] if t["id"] == "tid:%d" % tid]
    assert len(found) == 1, [t["id"] for t in doc["tasks"]]
    return found[0]


def source_line(name, needle):
    """The line of examples/<name>.c containing `needle`."""
    return adtest.source_line(
        os.path.join(adtest.ROOT, "examples", name + ".c"), needle)


class Examples(adtest.ADTestCase):

    def run_example(self, name, args=()):
        path = example(name)
        d = self.start_daemon(attach=[path])
        p = self.start([path] + list(args))
        extra = p.ready()
        return d, p, extra

    def finish(self, p):
        """Release the example; it must exit cleanly."""
        p.close_stdin()
        self.assertEqual(p.wait(), 0)

    def test_multiple(self):
        d, p, _ = self.run_example("multiple")
        doc = self.dump_json(d, p.pid)
        self.assertEqual(doc["comm"], "multiple")
        tasks = explicit_tasks(doc)
        self.assertEqual([t["name"] for t in tasks],
                         ["worker 0", "worker 1", "worker 2"])  # spawn order
        for t in tasks:
            self.assertEqual(shape(t["frames"]),
                             [("foo", [("bar", [("baz", [])])])], t["name"])
            self.assertEqual(t["state"], "idle")
            self.assertIsNone(t["tid"])
            self.assertIsNone(t["parent"])
            self.assertEqual(t["detached"], [])
            for f in walk(t["frames"]):
                self.assertTrue(f["file"].endswith("examples/multiple.c"), f["file"])
                self.assertEqual(f["function"], f["label"])  # foo() enters "foo"
                self.assertEqual(f["line"], source_line(
                    "multiple", 'ASYNCDUMP_ENTER(&w->%s, "%s")' % (f["label"], f["label"])))
            for f in walk(t["frames"]):
                self.assertFalse(f["current"])  # nobody polls an idle task
                self.assertFalse(f["stuck"])     # default threshold 10 s
        ids = [f["id"] for t in tasks for f in walk(t["frames"])]
        self.assertEqual(len(ids), len(set(ids)), "frame ids not distinct")
        self.assertEqual(len({t["id"] for t in tasks}), 3)
        # plain-thread tasks (main thread) must not carry the tasks' frames
        for t in doc["tasks"]:
            if t["id"].startswith("tid:"):
                self.assertEqual(t["frames"], [])
        self.assert_no_losses(doc)

        # Text once: async-backtrace style box drawing, call sites.
        text = self.dump_text(d, p.pid)
        for t in tasks:
            self.assertEqual(text_tree(text, 'task "%s" %s: idle ' % (t["name"], t["id"])),
                             ["╼ foo", "  └╼ bar", "     └╼ baz"], text)
        self.assertEqual(text.count("└╼ baz"), 3, text)
        self.finish(p)

    def test_basic(self):
        d, p, _ = self.run_example("basic")
        doc = self.dump_json(d, p.pid)
        t = task_named(doc, "basic")
        self.assertEqual(shape(t["frames"]), [
            ("foo", [
                ("bar", [("baz in bar", [("pending in baz 3", [])])]),
                ("baz", [("pending in baz 2", [])]),
            ])])
        for label in ("pending in baz 3", "pending in baz 2"):
            f = find_frame(t["frames"], label)
            self.assertFalse(f["label_truncated"])
            self.assertEqual(f["function"], "poll_basic")
        self.assert_no_losses(doc)
        text = self.dump_text(d, p.pid)
        # foo has two children: bar is drawn with a tee and a vertical rule
        # continues past bar's subtree to baz.
        self.assertEqual(text_tree(text, 'task "basic" '), [
            "╼ foo",
            "  ├╼ bar",
            "  │  └╼ baz in bar",
            "  │     └╼ pending in baz 3",
            "  └╼ baz",
            "     └╼ pending in baz 2"], text)
        self.finish(p)

    def test_detach(self):
        d, p, _ = self.run_example("detach")
        doc = self.dump_json(d, p.pid)
        t = task_named(doc, "detach")
        self.assertEqual(shape(t["frames"]), [("work", [("rx", [])])])
        self.assertEqual(shape(t["detached"]), [("fut", [("sleep", [])])])
        self.assertIn("move", t["detached"][0]["reason"].lower())
        fut_id = t["detached"][0]["id"]
        sleep_id = t["detached"][0]["children"][0]["id"]
        self.assert_no_losses(doc)
        text = self.dump_text(d, p.pid)
        self.assertEqual(text_tree(text, 'task "detach" '), [
            "╼ work", "  └╼ rx", "  [detached: moved]", "╼ fut", "  └╼ sleep"], text)

        p.send()  # step 2: rx done, fut moved back under work
        p.ready()
        doc = self.dump_json(d, p.pid)
        t = task_named(doc, "detach")
        self.assertEqual(shape(t["frames"]), [("work", [("fut", [("sleep", [])])])])
        self.assertEqual(t["detached"], [])
        self.assertEqual(t["frames"][0]["children"][0]["id"], fut_id)
        self.assertEqual(t["frames"][0]["children"][0]["children"][0]["id"], sleep_id)
        self.assert_no_losses(doc)
        self.assertEqual(text_tree(self.dump_text(d, p.pid), 'task "detach" '),
                         ["╼ work", "  └╼ fut", "     └╼ sleep"])
        self.finish(p)

    def test_long_running(self):
        d, p, _ = self.run_example("long_running")
        time.sleep(0.3)
        doc = self.dump_json(d, p.pid, stuck_after="100ms")
        t = task_named(doc, "long_running")
        # accept loop was entered with ASYNCDUMP_ENTER_F(LONG_RUNNING): it
        # became the innermost frame, so the plain ENTER after it is its
        # child (not serve's, as it would be after an ENTER_AT).
        self.assertEqual(shape(t["frames"]),
                         [("serve", [("wait for lock", []),
                                     ("accept loop", [("wait for connection", [])])])])
        lock = find_frame(t["frames"], "wait for lock")
        accept = find_frame(t["frames"], "accept loop")
        conn = find_frame(t["frames"], "wait for connection")
        self.assertTrue(lock["stuck"])
        self.assertFalse(lock["long_running"])
        self.assertFalse(accept["stuck"])
        self.assertTrue(accept["long_running"])
        self.assertGreaterEqual(accept["age_ns"], 300 * 1000 * 1000)
        self.assertEqual(accept["function"], "poll_lr")
        # LONG_RUNNING is the frame's own: its plain child is judged alone
        self.assertFalse(conn["long_running"])
        self.assertTrue(conn["stuck"])
        self.assert_no_losses(doc)
        text = self.dump_text(d, p.pid, stuck_after="100ms")
        # serve is plain and pending > 100ms too: stuck as well
        self.assertTrue(find_frame(t["frames"], "serve")["stuck"])
        self.assertEqual(text_tree(text, 'task "long_running" '), [
            "╼ serve !!!",
            "  ├╼ wait for lock !!!",
            "  └╼ accept loop",
            "     └╼ wait for connection !!!"], text)
        # default threshold (10 s): nothing stuck yet
        doc = self.dump_json(d, p.pid)
        self.assertFalse(find_frame(task_named(doc, "long_running")["frames"],
                                    "wait for lock")["stuck"])
        self.finish(p)

    def test_verbose(self):
        d, p, _ = self.run_example("verbose")
        doc = self.dump_json(d, p.pid)
        t = task_named(doc, "verbose")
        # the hidden encode row's child takes its place
        self.assertEqual(shape(t["frames"]),
                         [("handle request", [("query db", [("send row", [])])])])
        doc = self.dump_json(d, p.pid, verbose=True)
        t = task_named(doc, "verbose")
        # encode row was entered with ASYNCDUMP_ENTER_F(VERBOSE): it became
        # the innermost frame, so the plain ENTER "send row" is its child.
        self.assertEqual(shape(t["frames"]), [
            ("handle request", [("parse headers", []),
                                ("query db", [("encode row", [("send row", [])])])])])
        for f in walk(t["frames"]):
            self.assertEqual(f["verbose"], f["label"] in ("parse headers", "encode row"),
                             f["label"])
        self.assert_no_losses(doc)
        self.assertEqual(text_tree(self.dump_text(d, p.pid), 'task "verbose" '),
                         ["╼ handle request", "  └╼ query db", "     └╼ send row"])
        self.assertEqual(
            text_tree(self.dump_text(d, p.pid, verbose=True), 'task "verbose" '),
            ["╼ handle request",
             "  ├╼ parse headers",
             "  └╼ query db",
             "     └╼ encode row",
             "        └╼ send row"])
        self.finish(p)

    def test_spawn(self):
        d, p, _ = self.run_example("spawn")
        doc = self.dump_json(d, p.pid)
        tasks = explicit_tasks(doc)
        self.assertEqual([t["name"] for t in tasks], ["parent", "child"])
        parent, child = tasks
        self.assertIsNone(parent["parent"])
        self.assertIsNone(parent["parent_frame"])
        self.assertEqual(shape(parent["frames"]), [("accept", [("join child", [])])])
        self.assertEqual(shape(child["frames"]),
                         [("handle connection", [("read request", [])])])
        self.assertEqual(child["parent"], parent["id"])
        self.assertEqual(child["parent_frame"], parent["frames"][0]["id"])
        for t in tasks:
            self.assertEqual(t["state"], "idle")
            self.assertIsNone(t["tid"])
            self.assertEqual(t["detached"], [])
        # the main thread ran the executor but entered no frame itself
        for t in doc["tasks"]:
            if t["id"].startswith("tid:"):
                self.assertEqual(t["frames"], [])
        self.assert_no_losses(doc)
        text = self.dump_text(d, p.pid)
        self.assertEqual(text_tree(text, 'task "parent" %s: idle ' % parent["id"]),
                         ["╼ accept", "  └╼ join child"], text)
        header = 'task "child" %s: idle ' % child["id"]
        self.assertEqual(text_tree(text, header),
                         ["╼ handle connection", "  └╼ read request"], text)
        child_line = [ln for ln in text.splitlines() if ln.startswith(header)][0]
        self.assertTrue(child_line.endswith(
            ', spawned by task "parent" %s at frame "accept" %s'
            % (parent["id"], parent["frames"][0]["id"])), child_line)
        self.finish(p)

    def test_threads(self):
        d, p, extra = self.run_example("threads")
        tid_alpha, tid_beta = int(extra[0]), int(extra[1])
        doc = self.dump_json(d, p.pid)
        byid = {t["id"]: t for t in doc["tasks"]}
        for tid, name in ((tid_alpha, "alpha"), (tid_beta, "beta")):
            key = "tid:%d" % tid
            self.assertIn(key, byid, "thread task %s missing: %r" % (key, list(byid)))
            t = byid[key]
            self.assertEqual(t["tid"], tid)
            self.assertEqual(t["name"], name)  # the thread's comm
            self.assertIsNone(t["parent"])
            self.assertEqual(shape(t["frames"]),
                             [("thread main", [("wait for %s" % name, [])])])
            # a plain thread is always running its own task; its innermost
            # frame is the current one
            self.assertEqual(t["state"], "running")
            self.assertIsNone(t["idle_ns"])
            self.assertEqual([f["label"] for f in walk(t["frames"]) if f["current"]],
                             ["wait for %s" % name])
        self.assertEqual(explicit_tasks(doc), [])
        self.assert_no_losses(doc)
        # main thread entered no frame: no task, or an empty one
        main = byid.get("tid:%d" % p.pid)
        self.assertTrue(main is None or main["frames"] == [])
        text = self.dump_text(d, p.pid)
        for tid, name in ((tid_alpha, "alpha"), (tid_beta, "beta")):
            self.assertEqual(
                text_tree(text, "thread %d (%s): running on tid %d, age " % (tid, name, tid)),
                ["╼ thread main", "  └╼ wait for %s <== current" % name], text)

        # beta's thread ends with its frames open: its task must vanish
        p.send()
        p.ready()
        doc = self.dump_json(d, p.pid)
        ids = [t["id"] for t in doc["tasks"]]
        self.assertNotIn("tid:%d" % tid_beta, ids)
        self.assertIn("tid:%d" % tid_alpha, ids)
        for t in doc["tasks"]:
            self.assertIsNone(find_frame(t["frames"] + t["detached"], "wait for beta"))
        self.assertEqual(shape(byid_after(doc, tid_alpha)["frames"]),
                         [("thread main", [("wait for alpha", [])])])
        self.assert_no_losses(doc)
        self.finish(p)

    def test_demo(self):
        d, p, _ = self.run_example("demo")
        time.sleep(0.2)
        doc = self.dump_json(d, p.pid)
        names = [t["name"] for t in explicit_tasks(doc)]
        self.assertEqual(names[:2], ["listener", "flusher"])
        conns = [n for n in names if n.startswith("conn 10.0.0.")]
        self.assertEqual(len(conns), 3, names)
        listener = task_named(doc, "listener")
        accept = listener["frames"][0]
        self.assertEqual(accept["label"], "accept on 0.0.0.0:8080")
        self.assertTrue(accept["long_running"])
        for t in explicit_tasks(doc):
            if t["name"].startswith("conn "):
                self.assertEqual(t["parent"], listener["id"])
                self.assertEqual(t["parent_frame"], accept["id"])
                peer = t["name"][len("conn "):]
                # runtime labels built only because an observer is attached
                # serve: ENTER_F(DYN | LONG_RUNNING); its children are
                # plain ENTER_DYNs that nest under it with no parent given
                self.assertEqual(len(t["frames"]), 1, shape(t["frames"]))
                self.assertEqual(t["detached"], [])
                serve = t["frames"][0]
                self.assertEqual(serve["label"], "serve " + peer)
                self.assertTrue(serve["long_running"])
                self.assertEqual(len(serve["children"]), 1)
                self.assertTrue(serve["children"][0]["label"].startswith(
                    ("read request from " + peer, "handle GET /api/items/")),
                    serve["children"][0]["label"])
        vdoc = self.dump_json(d, p.pid, verbose=True)
        loop = task_named(vdoc, "flusher")["frames"][0]
        self.assertEqual(loop["label"], "flush loop")
        self.assertTrue(loop["long_running"])
        tick = loop["children"][0]
        self.assertTrue(tick["verbose"])
        self.assertTrue(tick["label"].startswith("tick "), tick["label"])
        # tick: ENTER_F(DYN | VERBOSE) inside flush loop (ENTER_F, LONG_RUNNING),
        # then a plain ENTER: fsync nests under the verbose tick
        self.assertEqual(shape(tick["children"]), [("fsync journal.log", [])])
        self.assertFalse(tick["children"][0]["verbose"])
        text = self.dump_text(d, p.pid)
        self.assertIn("listener", text)
        self.assert_no_losses(doc)


if __name__ == "__main__":
    adtest.main()
