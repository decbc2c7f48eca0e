#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""One process's records, whatever other processes hold.

Each observed process keeps its records in BPF maps of its own (a slot,
include/asyncdump_abi.h "Where records live"), dropped whole when it exits;
a process that finds no ready slot (or every process, with --max-slots 0)
keeps them in maps shared by all, keyed by (pid, kind, id), from which a
dump selects its own and a sweep reclaims the dead. These tests fail if a
dump shows records or strings of another process or of an older
incarnation of the same PID, if a process's records land in the wrong
maps, or if the records of exited processes or exited tasks are never
reclaimed. They look at the maps themselves (bpftool) where a dump cannot
tell."""

import collections
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adtest  # noqa: E402
from adtest import abi_define, prog, shape, walk, task_named  # noqa: E402
from adtest import bpftool_json, daemon_maps  # noqa: E402

SHARED = ["--max-slots", "0"]


# Frames a process's small maps hold before it grows into big ones.
SMALL_FRAMES = abi_define("AD_SMALL_FRAMES")


def map_exists(map_id):
    return bpftool_json("map", "show", "id", str(map_id))[0] == 0


def records_by_pid(map_id):
    """Counter of the map's entries by the pid in their key (struct ad_key
    starts with the pid, little endian)."""
    rc, out, err = bpftool_json("map", "dump", "id", str(map_id))
    assert rc == 0, err
    count = collections.Counter()
    for e in json.loads(out):
        key = bytes(int(b, 16) for b in e["key"][:4])
        count[int.from_bytes(key, "little")] += 1
    return count


def slot_owner(maps, slot):
    """The pid that took slot (the slot_owner map, struct ad_slot_owner:
    pid first, little endian), 0 if none; maps = daemon_maps()."""
    rc, out, err = bpftool_json("map", "lookup", "id", str(maps["slot_owner"]),
                                "key", *[str(b) for b in slot.to_bytes(4, "little")])
    assert rc == 0, err
    value = json.loads(out)["value"]
    return int.from_bytes(bytes(int(b, 16) for b in value[:4]), "little")


def map_records(maps, name):
    """Counter of map `name`'s entries by pid: from the key of a shared map
    or of a tasks or strings map, and for a slot's frames map (keyed by the
    frame id alone, include/asyncdump_abi.h struct ad_frame) the slot's
    owner; maps = daemon_maps()."""
    map_id = maps[name]
    m = re.fullmatch(r"ad_frames([0-9]+)", name)
    if not m or m.group(1) == "0":
        return records_by_pid(map_id)
    rc, out, err = bpftool_json("map", "dump", "id", str(map_id))
    assert rc == 0, err
    n = len(json.loads(out))
    return collections.Counter({slot_owner(maps, int(m.group(1))): n} if n else {})


def maps_holding(daemon, pid, kind="frames"):
    """{map name: records of pid} over every map of that kind (shared and
    per process) that holds any."""
    got = {}
    maps = daemon_maps(daemon)
    for name in maps:
        if re.fullmatch("ad_%s[0-9]+" % kind, name):
            n = map_records(maps, name)[pid]
            if n:
                got[name] = n
    return got


def labels(doc):
    return [f["label"] for t in doc["tasks"] for f in walk(t["frames"] + t["detached"])]


class PerProcess(adtest.ADTestCase):

    def setUp(self):
        if subprocess.run(["bpftool", "version"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode != 0:
            self.unavailable("bpftool not found")

    def wait_for(self, what, check, timeout=20.0):
        deadline = time.monotonic() + timeout
        while True:
            got = check()
            if got:
                return got
            self.assertLess(time.monotonic(), deadline, "timed out: " + what)
            time.sleep(0.2)

    def check_same_ids(self, extra, own_maps):
        exe = prog("same_ids")
        d = self.start_daemon(attach=[exe, prog("many_frames")], extra=extra)
        big = self.start([prog("many_frames"), "20000"])
        big.ready(timeout=60)
        a = self.start([exe, "A", "300"])
        a.ready()
        b = self.start([exe, "B", "500"])
        b.ready()
        for p, tag, n in ((a, "A", 300), (b, "B", 500)):
            doc = self.dump_json(d, p.pid)
            self.assert_no_losses(doc)
            self.assertIs(doc["own_maps"], own_maps)
            self.assertEqual(doc["stats"]["frames_in"], n, doc["stats"])
            self.assertEqual(doc["stats"]["duplicate_frames"], 0)
            self.assertEqual(doc["lost"]["stale_records"], 0)
            t = task_named(doc, "task-" + tag)
            self.assertEqual(t["id"], "0x1")
            self.assertEqual([f["label"] for f in t["frames"]],
                             ["%s-%d" % (tag, i) for i in range(1, n + 1)])
            self.assertEqual([f["id"] for f in t["frames"]],
                             ["0x%x" % i for i in range(1, n + 1)])
            # task 1 of this process only (the thread names its task in
            # every ENTER_AT: it has no task of its own)
            self.assertEqual(sorted(x["id"] for x in doc["tasks"]), ["0x1"])
        doc = self.dump_json(d, big.pid)
        self.assertEqual(doc["stats"]["frames_in"], 20000)
        self.assertNotIn("task-A", [t["name"] for t in doc["tasks"]])
        return d, a, b, big

    def test_same_ids_in_own_maps(self):
        """Two processes use the same task and frame ids, with different
        _DYN names and labels, beside a third holding many more records:
        each has maps of its own, holding exactly its records; each dump
        shows exactly its own records and strings."""
        d, a, b, big = self.check_same_ids([], True)
        held = {}
        for p, n in ((a, 300), (b, 500), (big, 20000)):
            frames = maps_holding(d, p.pid, "frames")
            for name in frames:
                self.assertRegex(name, r"^ad_frames[1-9][0-9]*$")
                # nobody else's records in that map
                self.assertEqual(set(map_records(daemon_maps(d), name)), {p.pid})
            self.assertEqual(sum(frames.values()), n)
            if n <= SMALL_FRAMES:
                self.assertEqual(len(frames), 1, frames)
            else:
                # its small maps full, the rest in a big slot, numbered
                # after the small ones (--max-slots: 4096 by default)
                self.assertEqual(sorted(frames.values()),
                                 sorted([SMALL_FRAMES, n - SMALL_FRAMES]), frames)
                slots = sorted(int(x[len("ad_frames"):]) for x in frames)
                self.assertLessEqual(slots[0], 4096)
                self.assertGreater(slots[1], 4096)
            held[p.pid] = set(frames)
        self.assertFalse(held[a.pid] & held[b.pid] or held[a.pid] & held[big.pid]
                         or held[b.pid] & held[big.pid], held)
        (name,) = held[a.pid]
        self.assertEqual(maps_holding(d, a.pid, "strings"),
                         {name.replace("frames", "strings"): 301})

    def test_same_ids_in_shared_maps(self):
        """The same with --max-slots 0: every record in the shared maps,
        and each dump still selects exactly its own process's."""
        d, a, b, _ = self.check_same_ids(SHARED, False)
        self.assertEqual(maps_holding(d, a.pid, "frames"), {"ad_frames0": 300})
        self.assertEqual(maps_holding(d, b.pid, "strings"), {"ad_strings0": 501})

    def test_no_ready_slot_falls_back_to_shared(self):
        """With one slot, the first process takes it and the next one,
        finding none, keeps its records in the shared maps: both dump
        whole, nothing lost; once the first exits its slot is made ready
        again and a third process takes it."""
        exe = prog("same_ids")
        d = self.start_daemon(attach=[exe], extra=["--max-slots", "1"])
        a = self.start([exe, "A", "30"])
        a.ready()
        b = self.start([exe, "B", "40"])
        b.ready()
        da, db = self.dump_json(d, a.pid), self.dump_json(d, b.pid)
        self.assertTrue(da["own_maps"])
        self.assertFalse(db["own_maps"])
        for doc, tag, n in ((da, "A", 30), (db, "B", 40)):
            self.assert_no_losses(doc)
            self.assertEqual(labels(doc), ["%s-%d" % (tag, i) for i in range(1, n + 1)])
        self.assertEqual(maps_holding(d, a.pid), {"ad_frames1": 30})
        self.assertEqual(maps_holding(d, b.pid), {"ad_frames0": 40})
        old_id = daemon_maps(d)["ad_frames1"]
        a.kill()
        # the slot is dropped and a fresh one made: ad_frames1 is new
        self.wait_for("slot 1 made ready again",
                      lambda: daemon_maps(d).get("ad_frames1", old_id) != old_id)
        c = self.start([exe, "C", "5"])
        c.ready()
        dc = self.dump_json(d, c.pid)
        self.assertTrue(dc["own_maps"])
        self.assertEqual(labels(dc), ["C-%d" % i for i in range(1, 6)])
        self.assertEqual(maps_holding(d, c.pid), {"ad_frames1": 5})

    def test_capacity_is_per_process(self):
        """--max-frames bounds each process on its own: one that enters
        more loses exactly the excess, counted and shown; another beside
        it keeps all of its frames."""
        exe = prog("same_ids")
        d = self.start_daemon(attach=[exe], extra=["--max-frames", "1000"])
        big = self.start([exe, "big", "1500"])
        big.ready()
        small = self.start([exe, "small", "900"])
        small.ready()
        doc = self.dump_json(d, big.pid)
        self.assertEqual(doc["lost"]["frames_full"], 500)
        self.assertEqual(doc["stats"]["frames_in"], 1000)
        self.assertEqual(labels(doc), ["big-%d" % i for i in range(1, 1001)])
        doc = self.dump_json(d, small.pid)
        self.assert_no_losses(doc)
        self.assertEqual(doc["stats"]["frames_in"], 900)

    def test_exec_gets_fresh_maps(self):
        """After an exec, the new image (same PID, new incarnation) takes a
        new slot: dumps show only its frame from the start, with no stale
        records, and the old image's maps are dropped."""
        exe = prog("incarnation")
        n = 150000
        d = self.start_daemon(attach=[exe], extra=["--max-frames", "200000"])
        p = self.start([exe, "old", str(n)])
        p.ready(timeout=60)
        doc = self.dump_json(d, p.pid)
        self.assertEqual(doc["stats"]["frames_in"], n)
        self.assert_no_losses(doc)
        old = maps_holding(d, p.pid)
        self.assertEqual(sum(old.values()), n)
        self.assertEqual(len(old), 2, old)  # its small maps and big ones
        old_ids = [daemon_maps(d)[name] for name in old]
        p.send()
        p.ready()
        doc = self.dump_json(d, p.pid)
        self.assertTrue(doc["own_maps"])
        self.assertEqual(labels(doc), ["new"])
        self.assertEqual(doc["stats"]["frames_in"], 1, doc["stats"])
        self.assertEqual(doc["lost"]["stale_records"], 0)
        self.wait_for("the old image's maps dropped",
                      lambda: not any(map_exists(i) for i in old_ids))
        self.assertEqual(list(maps_holding(d, p.pid).values()), [1])

    def test_stale_incarnation_in_shared_maps(self):
        """In the shared maps, the records of the old image (same PID,
        older incarnation, same keys in part) stay until the daemon
        reclaims them, which takes a while for many of them: dumps made
        meanwhile show only the new image's frame and count the old
        records as stale_records; once reclaimed, none is left."""
        exe = prog("incarnation")
        n = 150000
        d = self.start_daemon(attach=[exe], extra=SHARED + ["--max-frames", "400000"])
        p = self.start([exe, "old", str(n)])
        p.ready(timeout=60)
        doc = self.dump_json(d, p.pid)
        self.assertFalse(doc["own_maps"])
        self.assertEqual(doc["stats"]["frames_in"], n)
        p.send()
        p.ready()
        stale_seen = []
        deadline = time.monotonic() + 30
        while True:
            doc = self.dump_json(d, p.pid)
            t = [x for x in doc["tasks"] if x["id"] == "tid:%d" % p.pid]
            self.assertEqual(len(t), 1, doc["tasks"])
            self.assertEqual(shape(t[0]["frames"]), [("new", [])])
            self.assertEqual(labels(doc), ["new"])
            self.assertEqual(doc["stats"]["frames_in"], 1, doc["stats"])
            stale = doc["lost"]["stale_records"]
            self.assertLessEqual(stale, n)
            if stale == 0:
                break
            stale_seen.append(stale)
            self.assertLess(time.monotonic(), deadline,
                            "old records never reclaimed: %d left" % stale)
        self.assertTrue(stale_seen,
                        "no dump ran before the old incarnation was reclaimed; "
                        "daemon log:\n" + d.stderr())
        # counts only go down while the sweep deletes them
        self.assertEqual(stale_seen, sorted(stale_seen, reverse=True))

    def test_exited_process_maps_dropped(self):
        """A process killed with frames, tasks and _DYN strings open: its
        own maps are dropped (the kernel frees every record in them),
        while another process's records stay."""
        exe = prog("same_ids")
        d = self.start_daemon(attach=[exe])
        keep = self.start([exe, "K", "50"])
        keep.ready()
        gone = self.start([exe, "G", "200"])
        gone.ready()
        maps = daemon_maps(d)
        (frames, n), = maps_holding(d, gone.pid, "frames").items()
        self.assertEqual(n, 200)
        self.assertEqual(maps_holding(d, gone.pid, "strings"),
                         {frames.replace("frames", "strings"): 201})
        ids = [maps[frames.replace("frames", k)] for k in ("frames", "tasks", "strings")]
        gone.kill()
        self.wait_for("the killed process's maps dropped",
                      lambda: not any(map_exists(i) for i in ids))
        self.assertEqual(sum(maps_holding(d, keep.pid, "frames").values()), 50)
        self.assertEqual(sum(maps_holding(d, keep.pid, "strings").values()), 51)
        self.assertEqual(sum(maps_holding(d, keep.pid, "tasks").values()), 1)
        self.assertEqual(shape(task_named(self.dump_json(d, keep.pid), "task-K")["frames"]),
                         [("K-%d" % i, []) for i in range(1, 51)])

    def test_exited_process_records_reclaimed_from_shared_maps(self):
        """The same in the shared maps: every record with the killed
        process's pid leaves the frames, tasks and strings maps (exit
        event, sweep), while another process's records stay."""
        exe = prog("same_ids")
        d = self.start_daemon(attach=[exe], extra=SHARED)
        keep = self.start([exe, "K", "50"])
        keep.ready()
        gone = self.start([exe, "G", "200"])
        gone.ready()
        maps = {k: daemon_maps(d)["ad_%s0" % k] for k in ("frames", "tasks", "strings")}
        self.assertEqual(records_by_pid(maps["frames"])[gone.pid], 200)
        self.assertEqual(records_by_pid(maps["strings"])[gone.pid], 201)
        pid = gone.pid
        gone.kill()

        def reclaimed():
            counts = {m: records_by_pid(maps[m]) for m in ("frames", "tasks", "strings")}
            return all(c[pid] == 0 for c in counts.values()) and counts
        counts = self.wait_for("records of the killed process reclaimed", reclaimed)
        self.assertEqual(counts["frames"][keep.pid], 50)
        self.assertEqual(counts["strings"][keep.pid], 51)
        self.assertEqual(counts["tasks"][keep.pid], 1)  # task 1 only
        self.assertEqual(shape(task_named(self.dump_json(d, keep.pid), "task-K")["frames"]),
                         [("K-%d" % i, []) for i in range(1, 51)])

    def check_exited_task_frames(self, extra):
        exe = prog("task_exit_open")
        d = self.start_daemon(attach=[exe], extra=extra)
        p = self.start([exe])
        p.ready()
        self.assertEqual(sum(maps_holding(d, p.pid).values()), 3)
        p.send()  # TASK_EXIT(a) with a1 -> a2 open
        p.ready()
        doc = self.dump_json(d, p.pid)
        self.assertEqual(labels(doc), ["b1"])
        self.wait_for("frames of the exited task reclaimed",
                      lambda: sum(maps_holding(d, p.pid).values()) == 1,
                      timeout=3 * 5 + 5)  # a few periodic sweeps (server.h)
        doc = self.dump_json(d, p.pid)
        self.assertEqual(labels(doc), ["b1"])
        self.assert_no_losses(doc)

    def test_exited_task_frames_reclaimed(self):
        """A task that exits with frames open: the frames leave the dump at
        once and the process's frames map at the next full sweep; the
        other task's frame stays."""
        self.check_exited_task_frames([])

    def test_exited_task_frames_reclaimed_from_shared_maps(self):
        """The same in the shared maps."""
        self.check_exited_task_frames(SHARED)


if __name__ == "__main__":
    adtest.main()
