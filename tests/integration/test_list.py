#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""asyncdumpd --list (issue 13; README "The CLI", "Output"): one row per
observed process the client may dump, with the counts its dump shows (live
tasks, frames of live tasks, the frames it marks stuck and the oldest that
may be), since when it is observed and its losses; text and JSON, framed
like a dump (OK 2, chunks, END), in processes' own maps and in the shared
ones. Who sees which rows: test_access.py."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adtest  # noqa: E402
from adtest import (DAEMON, EXIT_OK, EXIT_NO_OBSERVER, example,  # noqa: E402
                    prog, walk, wall_ns_text, WALL_NS_RE)

ROW_KEYS = {"pid", "comm", "own_maps", "tasks", "frames", "stuck_frames",
            "oldest_age_ns", "oldest_stuck", "observed_since_ns",
            "observed_since", "observed_for_ns", "coverage", "lost"}
BPF_LOSSES = ("frames_full", "tasks_full", "strings_full", "label_unreadable",
              "exit_unknown", "task_exit_unknown", "poll_end_unknown",
              "move_unknown", "parent_unknown", "threads_full", "maps_gone",
              "share_full", "undispatched")
TEXT_HEAD = ["PID", "TASKS", "FRAMES", "STUCK", "OLDEST", "OBSERVED",
             "SINCE", "LIFE", "LOST", "COMMAND"]


def two_tasks():
    """task_exit_open: tasks a (frames a1 > a2) and b (frame b1); on a line
    task a exits with its frames still open."""
    return prog("task_exit_open")


class ListTest(adtest.ADTestCase):

    # -------------------------------------------------------------- helpers

    def run_list(self, d, fmt="json", stuck_after=None):
        argv = [DAEMON, "--list", "--format", fmt, "--socket", d.socket]
        if stuck_after:
            argv += ["--stuck-after", stuck_after]
        r = subprocess.run(argv, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=adtest.DUMP_TIMEOUT)
        return r.returncode, r.stdout.decode(errors="replace"), \
            r.stderr.decode(errors="replace")

    def list_json(self, d, stuck_after=None):
        """{pid: row} of a JSON list, every row checked against the
        schema."""
        rc, out, err = self.run_list(d, "json", stuck_after)
        self.assertEqual(rc, EXIT_OK, "list failed (rc %d): %s\ndaemon:\n%s"
                         % (rc, err, d.stderr()))
        self.assertEqual(err, "")
        rows = json.loads(out)
        self.assertIsInstance(rows, list)
        for row in rows:
            self.check_row(row)
        pids = [r["pid"] for r in rows]
        self.assertEqual(pids, sorted(set(pids)), "rows not one per pid, "
                         "by pid")
        return {r["pid"]: r for r in rows}

    def check_row(self, row):
        self.assertEqual(set(row), ROW_KEYS)
        self.assertEqual(set(row["lost"]), set(BPF_LOSSES))
        for k in ("tasks", "frames", "stuck_frames", "observed_for_ns"):
            self.assertIsInstance(row[k], int)
            self.assertGreaterEqual(row[k], 0)
        self.assertLessEqual(row["stuck_frames"], row["frames"])
        self.assertRegex(row["observed_since"], WALL_NS_RE)
        self.assertEqual(row["observed_since"],
                         wall_ns_text(row["observed_since_ns"]))
        if row["oldest_age_ns"] is None:
            self.assertFalse(row["oldest_stuck"])
        else:
            self.assertLessEqual(row["oldest_age_ns"], row["observed_for_ns"])
        self.assertEqual(row["oldest_stuck"], row["stuck_frames"] > 0)
        self.assertIn(row["coverage"], ("whole", "partial", "unknown"))

    def started(self, exe, *args):
        p = self.start([exe] + list(args))
        p.ready()
        return p

    def assert_like_dump(self, d, row, stuck_after="10s"):
        """The row says what a dump of the process, taken just after,
        says: its tasks, frames, stuck frames, times and losses."""
        doc = self.dump_json(d, row["pid"], stuck_after=stuck_after,
                             verbose=True)
        frames = [f for t in doc["tasks"]
                  for f in walk(t["frames"] + t["detached"])]
        self.assertEqual(row["comm"], doc["comm"])
        self.assertEqual(row["own_maps"], doc["own_maps"])
        self.assertEqual(row["tasks"], len(doc["tasks"]))
        self.assertEqual(row["frames"], doc["stats"]["frames_shown"])
        self.assertEqual(row["frames"], len(frames))
        self.assertEqual(row["stuck_frames"],
                         sum(1 for f in frames if f["stuck"]))
        # the same instant as wall clock time: each answer converts the
        # monotonic time with two clock reads, a few µs apart, or ms on a
        # busy or emulated machine (2.3 ms seen under qemu's TCG)
        self.assertLess(abs(row["observed_since_ns"] -
                            doc["observed_since_ns"]), 500 * 10**6)
        self.assertEqual(row["lost"],
                         {k: doc["lost"][k] for k in BPF_LOSSES})
        ages = [f["age_ns"] for f in frames if not f["long_running"]]
        if not ages:
            self.assertIsNone(row["oldest_age_ns"])
        else:
            # the dump came a moment later
            self.assertGreaterEqual(max(ages), row["oldest_age_ns"])
            self.assertLess(max(ages) - row["oldest_age_ns"], 5 * 10**9)
        return doc

    def text_rows(self, out):
        """{pid: [column, ...]} of a text list (the command last)."""
        lines = out.splitlines()
        self.assertEqual(lines[0].split(), TEXT_HEAD)
        rows = {}
        for ln in lines[1:]:
            cols = ln.split()
            if cols[4] == "!!!":  # "!!! 3.090s" is one column
                cols[4:6] = [cols[4] + " " + cols[5]]
            self.assertEqual(len(cols), len(TEXT_HEAD), ln)
            rows[int(cols[0])] = cols
        return rows

    # ---------------------------------------------------------------- tests

    def test_rows_are_what_dumps_show(self):
        exes = [two_tasks(), example("basic"), example("coro_deadlock")]
        d = self.start_daemon(attach=exes)
        two = self.started(exes[0])
        basic = self.started(exes[1])
        coro = self.started(exes[2], "deadlock")
        time.sleep(0.05)

        # nothing pending for an hour: nothing stuck
        rows = self.list_json(d, stuck_after="1h")
        self.assertTrue({two.pid, basic.pid, coro.pid} <= set(rows), rows)
        want = {two.pid: ("task_exit_open", 2, 3),
                basic.pid: ("basic", 1, 6),
                coro.pid: ("coro_deadlock", 2, 6)}
        for pid, (comm, tasks, frames) in want.items():
            row = rows[pid]
            self.assertEqual((row["comm"], row["tasks"], row["frames"]),
                             (comm, tasks, frames), row)
            self.assertTrue(row["own_maps"])
            self.assertEqual(row["stuck_frames"], 0)
            self.assertFalse(row["oldest_stuck"])
            self.assertIsNotNone(row["oldest_age_ns"])
            self.assertEqual(set(row["lost"].values()), {0})
            self.assert_like_dump(d, row, "1h")

        # 1 ms: every frame is stuck but coro_deadlock's two "holding"
        # ones, which are LONG_RUNNING
        rows = self.list_json(d, stuck_after="1ms")
        stuck = {two.pid: 3, basic.pid: 6, coro.pid: 4}
        for pid, n in stuck.items():
            self.assertEqual(rows[pid]["stuck_frames"], n, rows[pid])
            self.assertTrue(rows[pid]["oldest_stuck"])
            self.assert_like_dump(d, rows[pid], "1ms")

        # the same in text, the command last
        rc, out, err = self.run_list(d, "text", "1ms")
        self.assertEqual(rc, EXIT_OK, err)
        self.assertNotIn("\x1b", out)
        text = self.text_rows(out)
        for pid, (comm, tasks, frames) in want.items():
            cols = text[pid]
            self.assertEqual(cols[1:4], [str(tasks), str(frames),
                                         str(stuck[pid])])
            self.assertRegex(cols[4], r"^!!! \d+\.\d{3}(s|ms|µs)$")
            self.assertRegex(cols[5], r"^\d+\.\d{3}(s|ms|µs)$")
            self.assertRegex(cols[6], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            self.assertIn(cols[7], ("whole", "partial"))  # a tick: see LIFE
            self.assertEqual(cols[8], "none")
            self.assertEqual(cols[9], comm)

        # task a exits with a1 and a2 open: they are no longer counted,
        # before any sweep, as its dump no longer shows them
        two.send()
        two.ready()
        row = self.list_json(d)[two.pid]
        self.assertEqual((row["tasks"], row["frames"]), (1, 1), row)
        self.assert_like_dump(d, row)

        # a process that exits leaves the list
        two.close_stdin()
        two.wait()
        deadline = time.monotonic() + 10
        while two.pid in self.list_json(d) and time.monotonic() < deadline:
            time.sleep(0.1)
        rows = self.list_json(d)
        self.assertNotIn(two.pid, rows)
        self.assertIn(basic.pid, rows)
        log = d.stderr()
        self.assertRegex(log, r"list format=json for client pid=\d+ uid=0: "
                         r"ok, \d+ of \d+ observed processes shown")

    def test_life_as_the_dump_says(self):
        """LIFE (JSON coverage): whether each process was observed all
        its life, as its dump says."""
        target = os.path.join(self.tmpdir(), "service")
        shutil.copy(self.need_bin(prog("rebuilt_0")), target)
        before = self.started(target, "wait")
        time.sleep(0.05)  # more than a clock tick
        d = self.start_daemon(attach=[target])
        before.send()
        before.expect("LINE")
        after = self.started(target, "wait")
        rows = self.list_json(d)
        self.assertEqual(rows[before.pid]["coverage"], "partial")
        self.assertEqual(rows[after.pid]["coverage"], "whole")
        for p in (before, after):
            self.assertEqual(rows[p.pid]["coverage"],
                             self.dump_json(d, p.pid)["coverage"])
        rc, out, err = self.run_list(d, "text")
        self.assertEqual(rc, EXIT_OK, err)
        lines = {int(line.split()[0]): line.split() for line in out.splitlines()[1:]}
        self.assertIn("partial", lines[before.pid])
        self.assertIn("whole", lines[after.pid])

    def test_shared_maps_in_one_walk(self):
        """Processes in the shared maps, beside ones with maps of their
        own (at most 4 here): every row right, each its own records."""
        exe = two_tasks()
        d = self.start_daemon(attach=[exe], extra=["--max-slots", "4"])
        procs = [self.started(exe) for _ in range(12)]
        rows = self.list_json(d)
        for p in procs:
            row = rows.get(p.pid)
            self.assertIsNotNone(row, "pid %d not listed" % p.pid)
            self.assertEqual((row["tasks"], row["frames"]), (2, 3), row)
        own = [p.pid for p in procs if rows[p.pid]["own_maps"]]
        self.assertLessEqual(len(own), 4)
        shared = [p.pid for p in procs if not rows[p.pid]["own_maps"]]
        self.assertGreaterEqual(len(shared), 8)
        # one's task exits: only its row changes
        procs[-1].send()
        procs[-1].ready()
        rows = self.list_json(d)
        self.assertEqual((rows[procs[-1].pid]["tasks"],
                          rows[procs[-1].pid]["frames"]), (1, 1))
        for p in procs[:-1]:
            self.assertEqual((rows[p.pid]["tasks"], rows[p.pid]["frames"]),
                             (2, 3))
        self.assert_like_dump(d, rows[shared[0]])

    def test_every_process_in_the_shared_maps(self):
        exe = two_tasks()
        d = self.start_daemon(attach=[exe], extra=["--max-slots", "0"])
        procs = [self.started(exe) for _ in range(5)]
        rows = self.list_json(d)
        for p in procs:
            self.assertFalse(rows[p.pid]["own_maps"])
            self.assertEqual((rows[p.pid]["tasks"], rows[p.pid]["frames"]),
                             (2, 3))
            self.assert_like_dump(d, rows[p.pid])

    def test_nothing_observed(self):
        d = self.start_daemon(attach=[two_tasks()])
        self.assertEqual(self.list_json(d), {})
        rc, out, err = self.run_list(d, "text")
        self.assertEqual(rc, EXIT_OK, err)
        self.assertEqual(out.split(), TEXT_HEAD)

    def test_framed_like_a_dump(self):
        """The raw answer to a LIST line: OK 2, chunks, END with the
        body's length, the body one JSON array."""
        exe = two_tasks()
        d = self.start_daemon(attach=[exe])
        p = self.started(exe)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(d.socket)
        s.sendall(b"LIST v=2 format=json stuck_after_ns=0\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        self.assertTrue(data.startswith(b"OK 2\n"), data[:100])
        pos, body = 5, b""
        while True:
            nl = data.index(b"\n", pos)
            head = data[pos:nl].decode()
            pos = nl + 1
            m = re.fullmatch(r"D (\d+)", head)
            if m:
                body += data[pos:pos + int(m.group(1))]
                pos += int(m.group(1))
                continue
            self.assertEqual(head, "END %d" % len(body))
            self.assertEqual(pos, len(data))
            break
        rows = json.loads(body)
        self.assertEqual([r["pid"] for r in rows], [p.pid])
        self.assertEqual(rows[0]["stuck_frames"], 0)  # 0: never stuck
        # a LIST that names a process is refused, as any bad request
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(d.socket)
        s.sendall(b"LIST v=2 pid=%d\n" % p.pid)
        answer = s.recv(4096).decode()
        s.close()
        self.assertRegex(answer, r"^ERR 2 bad request: key 'pid' does not "
                         r"apply to LIST")

    def test_no_observer(self):
        self.need_env()
        sock = os.path.join(self.tmpdir(), "none.sock")
        r = subprocess.run([DAEMON, "--list", "--socket", sock],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=30)
        self.assertEqual(r.returncode, EXIT_NO_OBSERVER)
        self.assertEqual(r.stdout, b"")
        self.assertEqual(len(r.stderr.decode().splitlines()), 1)
        self.assertIn("no observer running at %s" % sock, r.stderr.decode())


if __name__ == "__main__":
    adtest.main()
