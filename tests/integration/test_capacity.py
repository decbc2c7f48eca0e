#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""The frame store's capacity and its limits under bursts (issue 12;
include/asyncdump_abi.h "Where records live"; README "Capacity").

With the default options one process holds a million live frames and
256k tasks, nothing lost: its small maps fill and it grows into big ones.
A thousand small processes cost little kernel memory. A process that
finds no ready slot starts in the shared maps with a share of them, is
told what it lost beyond it, and moves to maps of its own as soon as one
is ready. One process's flood never costs another a frame, with 2,000
processes forked at once beside it. A task whose frames were lost says
so."""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adtest  # noqa: E402
from adtest import DAEMON, EXIT_OK, abi_define, prog, walk  # noqa: E402


FRAMES_SHARE = abi_define("AD_SHARED_FRAMES_SHARE")
MIB = 1024 * 1024


def kernel_memory():
    """Kernel memory a BPF map can take, from /proc/meminfo, in bytes:
    unreclaimable slab (hash map elements, small bucket arrays), vmalloc
    (large bucket arrays) and per-CPU memory (the maps' per-CPU caches)."""
    got = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":", 1)
            got[k] = int(v.split()[0]) * 1024
    return got["SUnreclaim"] + got["VmallocUsed"] + got.get("Percpu", 0)


class Capacity(adtest.ADTestCase):

    def run_list(self, d):
        """{pid: row} of asyncdumpd --list --format json."""
        r = subprocess.run([DAEMON, "--list", "--format", "json", "--socket", d.socket],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=adtest.DUMP_TIMEOUT)
        self.assertEqual(r.returncode, EXIT_OK, r.stderr.decode(errors="replace"))
        return {row["pid"]: row for row in json.loads(r.stdout)}

    def assert_row_whole(self, row, tasks, frames):
        lost = {k: v for k, v in row["lost"].items() if v}
        self.assertEqual(lost, {}, row)
        self.assertEqual((row["tasks"], row["frames"]), (tasks, frames), row)

    def test_a_million_frames_and_256k_tasks_by_default(self):
        """Default options: 1,048,576 live frames in 262,144 tasks of one
        process are all kept (its small maps, then a big slot, which the
        log tells), and a process of 1,000 frames beside it keeps its own,
        small maps."""
        exe = prog("store_load")
        d = self.start_daemon(attach=[exe])
        big = self.start([exe, "tasks", str(1024 * 1024), str(256 * 1024)])
        big.ready(timeout=600)
        small = self.start([exe, "frames", "1000"])
        small.ready()
        rows = self.run_list(d)
        self.assert_row_whole(rows[big.pid], 256 * 1024, 1024 * 1024)
        self.assert_row_whole(rows[small.pid], 1, 1000)
        self.assertTrue(rows[big.pid]["own_maps"])
        log = d.stderr()
        self.assertIn("process %d (store_load) filled its small maps: it grew "
                      "into a big slot" % big.pid, log)
        self.assertNotIn("process %d (store_load) filled" % small.pid, log)

    def test_lost_frames_mark_their_task(self):
        """Past its capacity a process loses frames, counted; each task
        that lost one says so, in text and JSON; a task that lost none
        does not."""
        exe = prog("store_load")
        d = self.start_daemon(attach=[exe], extra=["--max-frames", "3000"])
        p = self.start([exe, "tasks", "4000", "2"])
        p.ready()
        doc = self.dump_json(d, p.pid)
        self.assertEqual(doc["lost"]["frames_full"], 1000)
        marks = {t["id"]: t["frames_lost"] for t in doc["tasks"]}
        self.assertEqual(marks, {"0x1": True, "0x2": True})
        self.assertIn("[frames lost", self.dump_text(d, p.pid))
        q = self.start([exe, "tasks", "10", "1"])
        q.ready()
        doc = self.dump_json(d, q.pid)
        self.assert_no_losses(doc)
        self.assertEqual([t["frames_lost"] for t in doc["tasks"]], [False])
        self.assertNotIn("[frames lost", self.dump_text(d, q.pid))

    def test_share_of_the_shared_maps_then_own_maps(self):
        """With the one slot taken, new processes start in the shared maps.
        One floods them: it keeps its share and all of the pool (as large
        as all the shares: 3 processes here), and what is beyond is lost
        and counted as share_full in its own dump. Another, started
        after, still keeps every frame of its share. Once a slot is ready
        again (the first process exits), the flood's next frames go to
        maps of its own (the log tells), and its dump shows all it kept,
        in both."""
        exe = prog("store_load")
        d = self.start_daemon(attach=[exe], extra=["--max-slots", "1", "--max-procs", "3"])
        a = self.start([exe, "frames", "10"])
        a.ready()
        pool = 3 * FRAMES_SHARE
        b = self.start([exe, "frames", str(FRAMES_SHARE + pool + 36)])
        b.ready()
        doc = self.dump_json(d, b.pid)
        self.assertFalse(doc["own_maps"])
        self.assertEqual(doc["lost"]["share_full"], 36)
        self.assertEqual(doc["lost"]["frames_full"], 0)
        self.assertEqual(doc["stats"]["frames_in"], FRAMES_SHARE + pool)
        c = self.start([exe, "frames", str(FRAMES_SHARE)])
        c.ready()
        doc = self.dump_json(d, c.pid)
        self.assertFalse(doc["own_maps"])
        self.assert_no_losses(doc)
        self.assertEqual(doc["stats"]["frames_in"], FRAMES_SHARE)
        a.kill()
        deadline = time.monotonic() + 20
        while True:
            b.send("more 5")
            b.expect("DONE")
            doc = self.dump_json(d, b.pid)
            if doc["own_maps"]:
                break
            self.assertLess(time.monotonic(), deadline, "never moved to own maps")
            time.sleep(0.2)
        kept = doc["stats"]["frames_in"]
        self.assertGreaterEqual(kept, FRAMES_SHARE + pool)
        self.assertIn("process %d (store_load) found no slot ready at its first "
                      "probe" % b.pid, d.stderr())
        self.assertNotIn("process %d (store_load) found" % c.pid, d.stderr())
        b.send("more 100")
        b.expect("DONE")
        doc = self.dump_json(d, b.pid)
        self.assertTrue(doc["own_maps"])
        self.assertEqual(doc["stats"]["frames_in"], kept + 100)
        self.assertGreaterEqual(doc["lost"]["share_full"], 36)
        self.assertEqual(doc["lost"]["frames_full"], 0)
        # every frame it kept is shown, in one chain of nested frames
        chain = [f["label"] for t in doc["tasks"] for f in walk(t["frames"])]
        self.assertEqual(len(chain), kept + 100)

    def test_flood_and_fork_storm_cost_no_neighbour_a_frame(self):
        """A process flooding past its capacity, 2,000 processes forked at
        once and a neighbour started in the middle of the storm: the
        flood loses only its own frames; the neighbour and every forked
        process keep every frame."""
        exe = prog("store_load")
        d = self.start_daemon(attach=[exe], extra=["--max-frames", "200000"])
        flood = self.start([exe, "frames", "250000"])
        storm = self.start([exe, "storm", "2000", "5"])
        time.sleep(0.05)
        neighbour = self.start([exe, "frames", "500"])
        neighbour.ready(timeout=120)
        kids = [int(x) for x in storm.ready(timeout=600)]
        flood.ready(timeout=600)
        rows = self.run_list(d)
        self.assertEqual(rows[flood.pid]["lost"]["frames_full"], 50000)
        self.assertEqual(rows[flood.pid]["frames"], 200000)
        self.assert_row_whole(rows[neighbour.pid], 1, 500)
        self.assertEqual(len(kids), 2000)
        for k in kids:
            self.assertIn(k, rows, "forked process %d not observed" % k)
            self.assert_row_whole(rows[k], 1, 5)

    def test_a_thousand_small_processes_cost_little_kernel_memory(self):
        """1,000 observed processes of 100 frames each, forked at once,
        keep every frame and cost at most 256 MB of kernel memory in all,
        the observer's own maps included: against the same processes with
        no observer, measured in the same run (/proc/meminfo)."""
        exe = prog("store_load")

        def cost(observed):
            base = kernel_memory()
            d = self.start_daemon(attach=[exe]) if observed else None
            storm = self.start([exe, "storm", "1000", "100"])
            kids = storm.ready(timeout=600)
            time.sleep(1)
            used = kernel_memory() - base
            if d:
                rows = self.run_list(d)
                for k in kids:
                    self.assert_row_whole(rows[int(k)], 1, 100)
                d.stop()
            storm.close_stdin()
            storm.kill()
            storm.wait()
            time.sleep(1)
            return used

        # the observer's own maps are counted: no daemon at all for the
        # baseline. /proc/meminfo is the whole host's: another program
        # allocating meanwhile only adds, so a second pair of runs is made
        # before a figure over the target is believed, and the lower kept.
        extra = None
        for _ in range(2):
            unobserved = cost(False)
            observed = cost(True)
            got = observed - unobserved
            extra = got if extra is None else min(extra, got)
            if extra <= 256 * MIB:
                break
        print("kernel memory: observed %.1f MB, unobserved %.1f MB, the "
              "observer's share %.1f MB" % (observed / MIB, unobserved / MIB, extra / MIB),
              file=sys.stderr)
        self.assertLessEqual(extra, 256 * MIB)


if __name__ == "__main__":
    adtest.main()
