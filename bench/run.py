#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""run.py - the asyncdump performance benchmark (issue 3), in one run.

    python3 bench/run.py [--build DIR] [--out FILE] [--quick] [--only S[,S...]]
                         [--without-bpftrace] [--emulated NOTE]

Normally started by scripts/bench.sh, which builds DIR (default build-bench/,
Release, unsanitized) first; scripts/kernel-vm.sh --bench runs sections 1
and 2 inside Debian 12's own kernel under qemu (--emulated: its times are
an emulated CPU's). Needs root (BPF), bpftool, taskset; bpftrace for section
2 (unless --without-bpftrace), perf for section 6; section 8 writes
/proc/sys/kernel/bpf_stats_enabled.

Sections (--only takes their numbers or names):
  1 unobserved  ns per probe, ASYNCDUMP_ENTER/EXIT vs empty loop and <sys/sdt.h>
  2 observed    ns per enter+exit pair: asyncdumpd vs empty-program floor vs
                bpftrace script, the least a hash map store does (one insert,
                one delete) and an in-process registry for context; 1 and 2
                threads
  3 dump        wall time of a JSON dump of 10k/100k/1M live frames; linearity;
                a 1k-frame process beside 1M frames of another process
  4 throughput  the observed program's rate while dumped every 10 ms vs undumped
  5 memory      kernel bytes per live frame from the maps' own accounting
  6 profile     where an observed pair's time goes (perf, cpu-clock samples):
                the uprobe round trip, the BPF programs' code, hash map
                operations, helpers; asyncdumpd against the floor; and what
                one hash insert+delete, lookup or helper call costs inside the
                kernel, without a uprobe (bench_opcost)
  7 hostile     a well-behaved client's dumps of a 1k-frame process, p50 and
                p99, idle and beside each kind of hostile client of another
                user (nobody): silent, half-sent, trickled, oversized and
                garbage requests, connections opened and closed, clients
                that never read a big dump (tests/integration/clients.py,
                which test_bounds.py runs too)
  8 programs    the BPF programs' own time (kernel.bpf_stats_enabled, set for
                the section and restored): ns per run of asyncdumpd's
                ENTER, EXIT, POLL_BEGIN and POLL_END dispatchers (ad_to_*:
                each with its tail call and handler in it), of the
                empty programs and of the least hash store, and per
                ENTER+EXIT and POLL_BEGIN+POLL_END pair

Most values are the median of several samples (printed raw under their
row); the first dump of each size and section 6's profile are single runs,
bench_opcost's costs the median of its own runs. Each row shows its
baseline, the ratio, the target and met/MISSED by how much. Nothing here
asserts: the numbers are reported as measured.
"""

import argparse
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from benchlib import (BPF_STATS, BenchError, Bpftrace, Daemon, Floor, Procs,  # noqa: E402
                      bpf_stats_enabled, maps_memlock, probe_bench, prog_stats,
                      ready_program)
from perfprofile import CATEGORIES as PROFILE_CATEGORIES  # noqa: E402
from perfprofile import perf_profile, shares_by_category  # noqa: E402
from report import Report, Target, median  # noqa: E402
import clients  # noqa: E402

SECTIONS = ["unobserved", "observed", "dump", "throughput", "memory", "profile", "hostile",
            "programs"]
NOBODY = 65534  # section 7's hostile user (and group)
# Section 8: what each observer attaches to the probes of each probe_bench
# mode; a pair's programs, first probe first (bench_floor --store has no
# poll programs).
# asyncdumpd's links run dispatchers (ad_to_*), which tail-call the
# handlers: the kernel counts a run, the tail call and the handler in it,
# to the dispatcher alone.
PROGRAMS = (("asyncdumpd", "asyncdump", ("ad_to_enter", "ad_to_exit")),
            ("asyncdumpd", "poll", ("ad_to_poll_begin", "ad_to_poll_end")),
            ("floor", "asyncdump", ("floor_enter", "floor_exit")),
            ("floor", "poll", ("floor_poll_beg", "floor_poll_end")),
            ("store", "asyncdump", ("store_enter", "store_exit")))


class Bench:
    def __init__(self, args, rep):
        self.args, self.rep = args, rep
        self.procs = Procs()
        b = args.build
        self.daemon = os.path.join(b, "daemon", "asyncdumpd")
        self.probe = os.path.join(b, "bench", "probe_bench")
        self.hold = os.path.join(b, "bench", "hold_frames")
        self.floor = os.path.join(b, "bench", "bench_floor")
        self.opcost = os.path.join(b, "bench", "bench_opcost")
        self.floor_1t = None  # section 2's empty-program floor, ns per pair
        self.script = os.path.join(HERE, "bookkeeping.bt")
        self.reps = 3 if args.quick else 5
        self.top_symbols = []
        self.first_dumps = {}  # label: wall time of the first dump of it

    # -------------------------------------------------------- header ---
    def header(self):
        r = self.rep
        model = "unknown"
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
            if m:
                model = m.group(1).strip()
        commit = git("rev-parse", "--short=12", "HEAD")
        if commit and git("status", "--porcelain", "--untracked-files=no"):
            commit += " + uncommitted changes"
        # where there is no git (kernel-vm.sh's guest), as the host said
        commit = commit or os.environ.get("AD_BENCH_COMMIT") or "unknown"
        r.say("asyncdump benchmark (bench/run.py%s)" % (" --quick" if self.args.quick else ""))
        r.say("  machine: %s, %d cores (%s)" % (model, os.cpu_count(), platform.machine()))
        r.say("  kernel:  %s" % platform.release())
        r.say("  date:    %s" % time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()))
        r.say("  commit:  %s" % commit)
        r.say("  build:   %s (Release, unsanitized, bench binaries -O2)" % self.args.build)
        r.say("  tools:   %s; %s" % (first_line(["cc", "--version"]),
                                     first_line(["bpftrace", "--version"])))
        r.say("  load:    %s (1/5/15 min, at start)" % loadavg())
        if self.args.emulated:
            r.say("  EMULATED: %s; absolute times are not those of real hardware, "
                  "only ratios within this run compare" % self.args.emulated)
        r.say("  samples: median of %d; raw samples below each row" % self.reps)

    # ------------------------------------------------- 1. unobserved ---
    def unobserved(self):
        r = self.rep
        r.begin("1. Not observed: ns per probe (a pair is one ENTER + one EXIT)")
        pairs = 50_000_000 if self.args.quick else 500_000_000
        modes = ("loop", "asyncdump", "sdt")
        got = {m: [] for m in modes}
        for _ in range(self.reps):  # interleaved, so drift hits every mode alike
            for m in modes:
                ns, _, active = probe_bench(self.probe, m, pairs)
                if active:
                    raise BenchError("probe_bench's probes are attached (semaphore %d): "
                                     "stop every observer of %s first" % (active, self.probe))
                got[m].append(ns / 2)
        loop, ad, sdt = (median(got[m]) for m in modes)
        r.row("empty loop, ns per half iteration", loop, "ns")
        r.row("sys/sdt.h DTRACE_PROBE, same args, ns/probe", sdt, "ns", loop, "loop")
        r.row("ASYNCDUMP_ENTER/EXIT vs sdt, ns/probe", ad, "ns", sdt, "sdt",
              Target("<=", 1.5, "ratio", "<= 1.5x sdt"))
        r.row("ASYNCDUMP_ENTER/EXIT, ns/probe", ad, "ns", loop, "loop",
              Target("<=", 3.0, "value", "<= 3 ns"))
        r.row("ASYNCDUMP_ENTER/EXIT minus empty loop, ns/probe", ad - loop, "ns")
        for m in modes:
            r.samples(m, got[m], "ns per probe")
        r.note("%d pairs per sample; per probe = per pair / 2; the loop's own cost is "
               "included (ratios to the empty loop show it)" % pairs)

    # --------------------------------------------------- 2. observed ---
    def observed(self):
        r = self.rep
        r.begin("2. Observed: ns per enter+exit pair")
        pairs = 200_000 if self.args.quick else 500_000
        kinds = ("asyncdumpd", "floor", "bpftrace", "shared", "store")
        if self.args.without_bpftrace:
            kinds = tuple(k for k in kinds if k != "bpftrace")
        got = {(k, t): [] for k in kinds for t in (1, 2)}
        verified = None
        for _ in range(self.reps):  # rounds: each observer measured close in time
            for kind in kinds:
                obs = self.start_observer(kind)
                try:
                    for threads in (1, 2):
                        ns, _, active = probe_bench(self.probe, "asyncdump", pairs,
                                                    threads, pin=True)
                        if not active:
                            raise BenchError("%s: the probes never fired (semaphore 0)" % kind)
                        got[(kind, threads)].append(ns)
                    if kind == "bpftrace" and verified is None:
                        verified = self.verify_bpftrace(obs)
                finally:
                    obs.stop()
        reg = {1: [], 2: []}
        for _ in range(self.reps):
            for threads in (1, 2):
                reg[threads].append(probe_bench(self.probe, "registry", pairs * 10, threads,
                                                 pin=True)[0])
        m = {key: median(v) for key, v in got.items()}
        ad1, fl1 = m[("asyncdumpd", 1)], m[("floor", 1)]
        self.floor_1t = fl1
        r.row("empty-program floor, 1 thread", fl1, "ns")
        r.row("asyncdumpd vs floor, 1 thread", ad1, "ns", fl1, "floor",
              Target("<=", 1.10, "ratio", "<= 1.10x floor"))
        if "bpftrace" in kinds:
            r.row("asyncdumpd vs bpftrace script, 1 thread", ad1, "ns",
                  m[("bpftrace", 1)], "bt", Target("<=", 0.5, "ratio", "<= 0.5x bpftrace"))
        r.row("asyncdumpd, 2 threads (median per thread) vs 1", m[("asyncdumpd", 2)], "ns",
              ad1, "1 thr", Target("<=", 1.3, "ratio", "<= 1.3x 1 thread"))
        r.row("floor, 2 threads vs 1", m[("floor", 2)], "ns", fl1, "1 thr")
        r.row("asyncdumpd vs floor, 2 threads", m[("asyncdumpd", 2)], "ns",
              m[("floor", 2)], "floor")
        if "bpftrace" in kinds:
            r.row("bpftrace script, 2 threads vs 1", m[("bpftrace", 2)], "ns",
                  m[("bpftrace", 1)], "1 thr")
        r.row("asyncdumpd, shared maps (--max-slots 0) vs own", m[("shared", 1)], "ns",
              ad1, "own")
        r.row("least hash store (1 insert + 1 delete) vs floor", m[("store", 1)], "ns",
              fl1, "floor")
        r.row("asyncdumpd vs least hash store, 1 thread", ad1, "ns", m[("store", 1)], "store")
        r.row("in-process registry (unobserved), 1 thread", median(reg[1]), "ns", ad1, "ad")
        r.row("in-process registry (unobserved), 2 threads", median(reg[2]), "ns",
              median(reg[1]), "1 thr")
        for (kind, threads), xs in got.items():
            r.samples("%s %dt" % (kind, threads), xs, "ns per pair")
        r.samples("registry 1t", reg[1], "ns per pair")
        r.samples("registry 2t", reg[2], "ns per pair")
        r.note("%d pairs per thread per sample after a warm-up (registry: 10x), thread i "
               "pinned to CPU i; every observed sample's probe semaphore was nonzero "
               "(observer attached)" % pairs)
        if "bpftrace" in kinds:
            r.note("bpftrace script verified: " + verified)
        else:
            r.note("bpftrace not measured (--without-bpftrace)")
        r.note("least hash store: bench/floor.bpf.c's store_enter/store_exit, one insert "
               "under (tgid, frame id) with the enter time and one delete, in a map like "
               "asyncdumpd's frames map: what keeping each frame in a BPF hash map costs "
               "before any bookkeeping (no thread state, parent or loss counting)")

    def start_observer(self, kind):
        if kind == "asyncdumpd":
            return Daemon(self.procs, self.daemon, [self.probe])
        if kind == "shared":
            return Daemon(self.procs, self.daemon, [self.probe], ["--max-slots", "0"])
        if kind in ("floor", "store"):
            return Floor(self.procs, self.floor, self.probe, store=kind == "store")
        return Bpftrace(self.procs, self.script, self.probe)

    def verify_bpftrace(self, bt):
        """Hold 100 nested frames, stop bpftrace, and read its maps: 100
        frames of that pid, chained parent to child, must be there. Stops bt."""
        n = 100
        prog = ready_program(self.procs, [self.probe, "rate", "--hold", str(n)])
        try:
            out = bt.stop()
        finally:
            prog.finish()
        parents = dict(re.findall(r"^@parent\[%d, (\d+)\]: (\d+)$" % prog.pid, out, re.M))
        roots = [f for f, p in parents.items() if p == "0"]
        chained = all(p == "0" or p in parents for p in parents.values())
        if len(parents) != n or len(roots) != 1 or not chained:
            raise BenchError("bookkeeping.bt did not record the %d held frames as a chain "
                             "(found %d, roots %d); its output:\n%s"
                             % (n, len(parents), len(roots), out[:3000]))
        return "its maps held the %d frames a probe_bench held, as one chain" % n

    # ------------------------------------------------------- 3. dump ---
    def dump(self):
        r = self.rep
        r.begin("3. Dump: wall time of asyncdumpd --pid N --format json >/dev/null")
        sizes = (10_000, 100_000, 1_000_000)
        d = Daemon(self.procs, self.daemon, [self.hold],
                   ["--max-frames", "1100000", "--max-tasks", "20000"])
        times, checks, big = {}, [], None
        try:
            small_alone = self.dump_series(d, 1000, checks, label="1k alone")
            for n in sizes:
                prog = self.hold_frames(n)
                times[n] = self.dump_series(d, n, checks, prog)
                if n == sizes[-1]:
                    big = prog
                else:
                    prog.finish()
            beside = self.dump_series(d, 1000, checks, label="1k beside 1M")
        finally:
            if big:
                big.finish()
            d.stop()
        # For contrast, the fallback this design avoids: every process in
        # the shared maps, where a dump walks every process's records.
        d = Daemon(self.procs, self.daemon, [self.hold],
                   ["--max-frames", "1100000", "--max-tasks", "20000", "--max-slots", "0"])
        big = None
        try:
            big = self.hold_frames(1_000_000)
            shared = self.dump_series(d, 1000, checks, label="1k beside 1M, shared maps")
        finally:
            if big:
                big.finish()
            d.stop()
        for n in sizes:
            r.row("%s frames" % kfmt(n), median(times[n]) * 1e3, "ms",
                  target=Target("<=", 800, "value", "<= 800 ms") if n == 1_000_000 else None)
        # The first dump has its own target (issue 12: 1.0 s, later ones
        # 0.8 s): a wedged process is often dumped just once.
        r.row("1M frames, first dump (daemon's heap grows)", self.first_dumps["1M"] * 1e3,
              "ms", median(times[sizes[-1]]) * 1e3, "next",
              Target("<=", 1000, "value", "<= 1000 ms"))
        for n in sizes:
            r.row("%s frames, per frame" % kfmt(n), median(times[n]) / n * 1e9, "ns")
        slopes = []
        for a, b in zip(sizes, sizes[1:]):
            # log-log slope: 1 = linear; per-frame cost up 25% per 10x = 1.1
            s = (math.log10(median(times[b])) - math.log10(median(times[a]))) / math.log10(b / a)
            slopes.append(s)
            r.row("growth %s -> %s (log-log slope)" % (kfmt(a), kfmt(b)), s, "",
                  target=Target("<=", 1.1, "value", "<= 1.1"))
        r.row("1k frames beside 1M of another process", median(beside) * 1e3, "ms",
              median(small_alone) * 1e3, "alone", Target("<=", 50, "value", "<= 50 ms"))
        r.row("same, both in the shared maps (--max-slots 0)", median(shared) * 1e3, "ms",
              median(beside) * 1e3, "own")
        for n in sizes:
            r.samples(kfmt(n), [t * 1e3 for t in times[n]], "ms")
        r.samples("1k alone", [t * 1e3 for t in small_alone], "ms")
        r.samples("1k beside 1M", [t * 1e3 for t in beside], "ms")
        r.samples("1k beside 1M, shared", [t * 1e3 for t in shared], "ms")
        r.note("linear = the log-log slope of time against frames is <= 1.1 at every 10x "
               "step (per-frame cost grows < 26% per 10x); a slope < 1 is a fixed cost "
               "(client start, connect) amortized")
        r.note("each size's first dump is timed apart: the daemon keeps its dumps' memory "
               "for the next dump (10 s, daemon/dumpmem.h), so the first dump of a larger "
               "process also pays the page faults of the memory it adds; first dumps: %s"
               % ", ".join("%s %.1f ms" % (k, v * 1e3) for k, v in self.first_dumps.items()))
        r.note("shape: N/100 tasks, each a root with chains of 8 under it (hold_frames.c); "
               "each size checked by one read-through dump: " + "; ".join(checks))

    def hold_frames(self, n, dyn=False):
        argv = [self.hold, str(n)] + (["--dyn"] if dyn else [])
        return ready_program(self.procs, argv, timeout=60 + n * 5e-5)

    def dump_series(self, d, n, checks, prog=None, label=None):
        """Times reps dumps of a hold_frames process of n frames (started
        here unless given; then left running)."""
        own = prog is None
        if own:
            prog = self.hold_frames(n)
        try:
            first = d.dump_time(prog.pid)  # the daemon's heap not yet this size
            head, nbytes = d.dump_head(prog.pid)
            m = re.search(r'"frames_in":(\d+)', head)
            got = int(m.group(1)) if m else -1
            lost = re.search(r'"lost":\{([^}]*)\}', head)
            lost = [kv for kv in (lost.group(1).split(",") if lost else [])
                    if not kv.endswith(":0")]
            if got != n or lost:
                raise BenchError("dump of %d frames holds frames_in %d, losses %s"
                                 % (n, got, lost or "none"))
            checks.append("%s: %d frames, %.1f MB" % (label or kfmt(n), got, nbytes / 1e6))
            self.first_dumps[label or kfmt(n)] = first
            return [d.dump_time(prog.pid) for _ in range(self.reps)]
        finally:
            if own:
                prog.finish()

    # ------------------------------------------------- 4. throughput ---
    def throughput(self):
        r = self.rep
        r.begin("4. No in-process cost: observed program's rate, dumped every 10 ms vs not")
        window = 1.0 if self.args.quick else 2.0
        pinned = (os.cpu_count() or 1) >= 2
        saved = os.sched_getaffinity(0)
        if pinned:  # the daemon and the dumps (children of this thread) on CPU 0
            os.sched_setaffinity(0, {0})
        try:
            d = Daemon(self.procs, self.daemon, [self.probe])
            try:
                prefix = ["taskset", "-c", "1"] if pinned else []
                prog = ready_program(self.procs, prefix + [self.probe, "rate", "--hold", "1000"])
                try:
                    got, dumps = self.windows(d, prog, window)
                finally:
                    prog.finish()
            finally:
                d.stop()
        finally:
            os.sched_setaffinity(0, saved)
        und, dum, spin, exe = (got[m] for m in ("none", "dump", "spin", "exec"))
        r.row("pairs/s undumped (observed by asyncdumpd)", median(und), "/s")
        r.row("pairs/s dumped every 10 ms vs undumped", median(dum), "/s", median(und),
              "undumped", Target(">=", 0.99, "ratio", ">= 0.99x"))
        r.row("control: CPU 0 spinning, no dump, vs undumped", median(spin), "/s",
              median(und), "undumped")
        r.row("control: /bin/true started every 10 ms, vs undumped", median(exe), "/s",
              median(und), "undumped")
        r.row("dumped vs the /bin/true control", median(dum), "/s", median(exe), "exec",
              Target(">=", 0.99, "ratio", ">= 0.99x (issue 12)"))
        for m in ("none", "dump", "spin", "exec"):
            r.samples(m, got[m], "pairs/s")
        r.note("%d windows of %.0f s each, the four kinds interleaved; %s dumps of the "
               "1000-frame process (every 10 ms, or back to back when one took longer), "
               "median %.1f ms" % (sum(len(v) for v in got.values()), window, len(dumps),
                                    median(dumps) * 1e3))
        r.note("the controls do nothing to the observed program: they show what any work "
               "on the other CPU, and any process start at the dumps' rate, costs it on "
               "this machine")
        r.note("pinned: observed program on CPU 1, asyncdumpd and the dumping client on CPU 0"
               if pinned else "not pinned: fewer than 2 CPUs")

    def windows(self, d, prog, window):
        """The observed program's rate in windows of each kind, interleaved
        so that drift hits every kind alike: none (undumped), dump (a dump
        every 10 ms), and two controls that never touch the program: spin
        (CPU 0 busy) and exec (/bin/true started every 10 ms)."""
        prog.send("run 0.5")  # warm-up: first hits, BPF thread state
        prog.expect("RATE", 30)
        kinds = ("none", "dump", "spin", "exec")
        got, dumps = {k: [] for k in kinds}, []
        for i in range(self.reps):
            for kind in (kinds if i % 2 == 0 else kinds[::-1]):
                stop = threading.Event()
                th = None
                if kind == "dump":
                    th = threading.Thread(target=dumper, args=(d, prog.pid, stop, dumps),
                                          daemon=True)
                elif kind != "none":
                    th = threading.Thread(target=CONTROLS[kind], args=(stop,), daemon=True)
                if th:
                    th.start()
                try:
                    prog.send("run %.3f" % window)
                    rate = float(prog.expect("RATE", window + 60)[0])
                finally:
                    stop.set()
                    if th:
                        th.join(60)
                got[kind].append(rate)
        if not dumps or any(x is None for x in dumps):
            raise BenchError("the dumper's dumps failed during the dumped windows")
        return got, dumps

    # ----------------------------------------------------- 5. memory ---
    def memory(self):
        r = self.rep
        r.begin("5. Memory: kernel bytes per live frame (maps' bytes_memlock)")
        n = 100_000
        d = Daemon(self.procs, self.daemon, [self.hold])
        per = {False: [], True: []}
        detail, fixed = {}, {}
        try:
            for _ in range(self.reps):
                for dyn in (False, True):
                    before = maps_memlock(d.map_ids())
                    prog = self.hold_frames(n, dyn)
                    try:
                        held = maps_memlock(d.map_ids())
                    finally:
                        prog.finish()
                    slot, grown, ids = self.own_maps(before, held)
                    per[dyn].append(sum(grown.values()) / n)
                    detail[dyn] = grown
                    # the same maps empty: the process's fixed cost
                    fixed = {name[3:-len(slot)]: b for name, b in before.values()
                             if re.fullmatch(r"ad_(frames|tasks|strings)" + slot, name)}
                    self.wait_dropped(d, ids)
        finally:
            d.stop()
        r.row("static label (frames+tasks+strings)", median(per[False]), "B",
              target=Target("<=", 128, "value", "<= 128 B"))
        r.row("_DYN label (frames+tasks+strings)", median(per[True]), "B",
              median(per[False]), "static")
        for dyn in (False, True):
            r.say("    %s, per frame: %s" % ("_DYN" if dyn else "static", ", ".join(
                "%s %.1f B" % (k, v / n) for k, v in sorted(detail[dyn].items()))))
        r.samples("static", per[False], "B per frame")
        r.samples("_DYN", per[True], "B per frame")
        r.note("%s frames in %d tasks held vs none, counted in the maps that grew: the "
               "process's own (its small slot, then the big slot it grew into). The "
               "fixed cost of its small maps empty (hash buckets, 16 B each, AD_SMALL_*): "
               "%s (%.2f MB per observed process, and per ready small slot; a big slot's "
               "follows --max-frames/--max-tasks, README \"Capacity\")"
               % (kfmt(n), n // 100, ", ".join(
                   "%s %.2f MB" % (k, v / 1e6) for k, v in sorted(fixed.items())),
                  sum(fixed.values()) / 1e6))

    @staticmethod
    def own_maps(before, held):
        """(slot, {kind: bytes grown}, map ids) of the maps that grew between
        the two snapshots: one process's own maps, all of one slot."""
        grown, ids = {}, set()
        slots = set()
        for i, (name, b) in before.items():
            # record maps only: procs, threads etc. grow per process/thread
            m = re.fullmatch(r"ad_(frames|tasks|strings)([0-9]+)", name)
            if m and i in held and held[i][1] > b:
                if m.group(2) == "0":
                    raise BenchError("the shared map %s grew: hold_frames' records "
                                     "are not in maps of its own" % name)
                ids.add(i)
                grown[m.group(1)] = grown.get(m.group(1), 0) + held[i][1] - b
                slots.add(m.group(2))
        # one process's sets: its small slot, and its big one once those
        # filled (include/asyncdump_abi.h, "Where records live")
        if not 1 <= len(slots) <= 2 or not {"frames", "tasks"} <= set(grown):
            raise BenchError("the maps that grew are not one process's: %s"
                             % sorted(slots))
        return min(slots, key=int), grown, ids

    def wait_dropped(self, d, ids):
        """Until the daemon has dropped the maps of an exited hold_frames
        (when its exit event arrives), so the next sample starts from the
        same state."""
        deadline = time.monotonic() + 30
        while ids & d.map_ids():
            if time.monotonic() > deadline:
                raise BenchError("the maps of an exited hold_frames were not dropped: "
                                 "ids %s" % sorted(ids & d.map_ids()))
            time.sleep(0.05)


    # ---------------------------------------------------- 6. profile ---
    def profile(self):
        """Not timing but attribution: the kernel's cpu-clock samples of one
        probe_bench run under the floor and one under asyncdumpd, grouped
        by what the sampled code does, as ns per pair (share of the samples
        times the pair cost measured in the same, profiled, run)."""
        r = self.rep
        r.begin("6. Profile: where an observed pair's time goes (perf samples, in-kernel op costs)")
        pairs = 500_000 if self.args.quick else 2_000_000
        got = {}
        for kind in ("floor", "asyncdumpd"):
            obs = self.start_observer(kind)
            try:
                got[kind] = self.perf_pairs(pairs)
            finally:
                obs.stop()
        (fl_ns, fl), (ad_ns, ad) = got["floor"], got["asyncdumpd"]
        r.row("whole pair under perf, asyncdumpd vs floor", ad_ns, "ns", fl_ns, "floor")
        for cat in PROFILE_CATEGORIES:
            r.row("%s, asyncdumpd vs floor" % cat, ad.get(cat, 0.0) * ad_ns, "ns",
                  fl.get(cat, 0.0) * fl_ns, "floor")
        added = ad_ns - fl_ns
        for cat in PROFILE_CATEGORIES:
            r.row("%s: of what asyncdumpd adds" % cat,
                  ad.get(cat, 0.0) * ad_ns - fl.get(cat, 0.0) * fl_ns, "ns", added, "added")
        r.say("    top symbols under asyncdumpd (share of its samples):")
        for sym, share in self.top_symbols[:16]:
            r.say("      %5.1f%%  %s" % (share * 100, sym))
        r.note("%d pairs, 1 thread (on CPU 1 if there are 2), perf record -e cpu-clock -F "
               "20000, one run per observer; ns = share of the run's samples x its ns per "
               "pair (perf's own cost included, so pairs cost more than in section 2); the "
               "samples cover the whole probe_bench run, its start, warm-up and exit too "
               "(a few percent), and every kernel symbol not matched counts as the uprobe "
               "round trip; samples taken with interrupts off land where they are turned "
               "back on, so a spin lock's critical section counts toward its unlock" % pairs)
        r.note("helpers: bpf_get_current_pid_tgid, bpf_ktime_get_ns, bpf_get_current_task_btf, "
               "bpf_task_storage_get, bpf_get_attach_cookie and what they call; hash map ops: "
               "update, lookup, delete and the element allocator; the floor's programs are "
               "empty, so what it shows there is sampling skew")
        self.op_costs()

    def op_costs(self):
        """bench_opcost: each operation repeated in a bpf_loop inside the
        kernel, less the empty iteration; beside the budget the 1.25x-floor
        target leaves for all of a pair's bookkeeping."""
        r = self.rep
        out = subprocess.run([self.opcost, "--reps", "3" if self.args.quick else "11"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
        ops = dict((k, float(v)) for k, v in
                   re.findall(r"^OP (\S+) (\S+)$", out.stdout.decode(), re.M))
        if out.returncode != 0 or "empty" not in ops:
            raise BenchError("bench_opcost failed (rc %d): %s"
                             % (out.returncode, out.stderr.decode(errors="replace").strip()))
        budget = None if self.floor_1t is None else 0.25 * self.floor_1t
        what = {"hash_insert_delete": "in-kernel: hash insert + delete (as frames map)",
                "hash_insert_delete_prealloc": "in-kernel: same, preallocated map",
                "hash_lookup": "in-kernel: hash lookup, found",
                "ktime_get_ns": "in-kernel: bpf_ktime_get_ns",
                "get_current_pid_tgid": "in-kernel: bpf_get_current_pid_tgid"}
        for op, label in what.items():
            r.row(label, ops[op] - ops["empty"], "ns", budget, "budget")
        r.note("in-kernel: bench_opcost runs each operation in a bpf_loop in a syscall "
               "program (BPF_PROG_TEST_RUN), no uprobe, less the empty iteration (%.1f ns); "
               "budget: what the <= 1.25x floor target leaves for all of a pair's "
               "bookkeeping, 0.25 x section 2's floor%s" % (
                   ops["empty"], "" if budget is not None else
                   " (not measured: run section 2 with this one)"))

    def perf_pairs(self, pairs):
        """(ns per pair, {category: share}) of one probe_bench run under
        perf; its symbols, largest share first, go to self.top_symbols."""
        pin = ["taskset", "-c", "1"] if (os.cpu_count() or 1) >= 2 else []
        argv = pin + [self.probe, "asyncdump", "--pairs", str(pairs)]
        text, samples = perf_profile(argv, os.path.join(self.procs.tmpdir(), "perf.data"))
        m = re.search(r"^NS_PER_PAIR (\S+)", text, re.M)
        active = re.search(r"^ACTIVE (\d+)", text, re.M)
        if not m or not active or active.group(1) == "0":
            raise BenchError("probe_bench under perf printed no cost, or its probes were "
                             "not attached: " + text[-2000:])
        self.top_symbols = [("%s (%s)" % (sym, cat), share) for sym, cat, share in samples]
        return float(m.group(1)), shares_by_category(samples)


    # ------------------------------------------------- 7. hostile ---
    def hostile(self):
        r = self.rep
        r.begin("7. A good client beside hostile ones: ms per dump of a 1k-frame process")
        window = 2.0 if self.args.quick else 5.0
        # What the hostile user runs, where it may: copies in a 0755
        # directory; ptrace_scope 0 whatever this machine's is (nobody
        # dumps its own processes).
        pub = self.procs.tmpdir()
        os.chmod(pub, 0o755)
        hold, script = os.path.join(pub, "hold_frames"), os.path.join(pub, "clients.py")
        shutil.copy2(self.hold, hold)
        shutil.copy2(clients.__file__, script)
        for f in (hold, script):
            os.chmod(f, 0o755)
        scope = os.path.join(pub, "ptrace_scope")
        with open(scope, "w") as f:
            f.write("0\n")
        d = Daemon(self.procs, self.daemon, [hold], ["--max-frames", "131072"],
                   prefix=("env", "ASYNCDUMP_PTRACE_SCOPE_FILE=" + scope))
        os.chmod(d.dir, 0o755)  # the socket (0666) within reach of nobody
        nobody = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"]
        python = shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin") or sys.executable

        def dumps(what):
            try:
                return clients.good_dumps(d.socket, good.pid, window)
            except AssertionError as e:
                raise BenchError("the good client beside %s: %s" % (what, e))

        good = ready_program(self.procs, [hold, "1000"])
        idle = dumps("nothing")
        rows, notes = [], []
        for kind, n, what in clients.HOSTILE:
            target = None
            if kind == "unread":
                target = ready_program(self.procs, nobody + [hold, "60000"], timeout=120)
            elif kind in ("half", "slow"):
                target = ready_program(self.procs, nobody + [hold, "100"])
            h = clients.Child(["hostile", kind, d.socket, str(n),
                               str(target.pid if target else 0)],
                              prefix=nobody, python=python, script=script)
            try:
                h.ready()
                if kind == "unread":  # its dumps hold 2 workers (its limit)
                    deadline = time.monotonic() + 60
                    while h.ask("status").split().count("started") < 2:
                        if time.monotonic() > deadline:
                            raise BenchError("the never-reading clients' dumps did not start")
                        time.sleep(0.1)
                else:
                    time.sleep(0.5)  # the daemon has accepted them
                times = dumps(what)
                summary = h.stop()
            except AssertionError as e:
                raise BenchError("hostile load %s: %s" % (kind, e))
            finally:
                h.kill()
                if target:
                    target.finish()
            rows.append((what, times))
            notes.append("%s: %d dumps; %d hostile connections, answered %s"
                         % (what, len(times), summary["conns"],
                            ", ".join("%s %d" % kv for kv in sorted(summary["answers"].items()))
                            or "nothing yet"))
        d.stop()
        p50, p99 = clients.percentile(idle, 50), clients.percentile(idle, 99)
        r.row("idle, p50", p50 * 1e3, "ms")
        r.row("idle, p99", p99 * 1e3, "ms")
        for what, times in rows:
            r.row(what + ", p50", clients.percentile(times, 50) * 1e3, "ms", p50 * 1e3, "idle")
            r.row(what + ", p99", clients.percentile(times, 99) * 1e3, "ms", p99 * 1e3, "idle")
        r.note("a raw client (clients.good_dumps) dumping back to back for %.0f s a case, "
               "%d dumps idle; the hostile clients run as uid %d in a process of their "
               "own, and every dump of the good client was whole" % (window, len(idle), NOBODY))
        for line in notes:
            r.note(line)

    # -------------------------------------------------- 8. programs ---
    def programs(self):
        """The BPF programs' own run time, as the kernel times each run
        while kernel.bpf_stats_enabled is 1: no uprobe round trip in it,
        only what the programs do (and the stats' own clock reads)."""
        r = self.rep
        r.begin("8. BPF programs' own time (kernel.bpf_stats_enabled): ns per run and per pair")
        pairs = 200_000 if self.args.quick else 500_000
        runs, counts = {}, []  # program: [ns per run, a sample]; run counts
        wall = {}  # (observer, mode): [ns per whole pair, a sample]
        with bpf_stats_enabled() as prev:
            for _ in range(self.reps):  # rounds: each observer measured close in time
                for kind in ("asyncdumpd", "floor", "store"):
                    obs = self.start_observer(kind)
                    try:
                        for k, mode, names in PROGRAMS:
                            if k == kind:
                                ns = self.program_runs(obs, mode, names, pairs, runs, counts)
                                wall.setdefault((kind, mode), []).append(ns)
                    finally:
                        obs.stop()
        with open(BPF_STATS) as f:
            after = f.read().strip()
        m = {name: median(xs) for name, xs in runs.items()}
        pair = {}  # (kind, mode): [ns per pair of its two programs], per sample
        for kind, mode, (first, second) in PROGRAMS:
            pair[(kind, mode)] = [a + b for a, b in zip(runs[first], runs[second])]
        mp = {key: median(xs) for key, xs in pair.items()}
        for ad, empty in (("ad_to_enter", "floor_enter"), ("ad_to_exit", "floor_exit"),
                          ("ad_to_poll_begin", "floor_poll_beg"),
                          ("ad_to_poll_end", "floor_poll_end"),
                          ("store_enter", "floor_enter"), ("store_exit", "floor_exit")):
            r.row("%s vs %s, ns per run" % (ad, empty), m[ad], "ns", m[empty], "empty")
        for what, mode in (("ENTER+EXIT", "asyncdump"), ("POLL_BEGIN+POLL_END", "poll")):
            empty, ad = mp[("floor", mode)], mp[("asyncdumpd", mode)]
            r.row("empty programs, %s pair" % what, empty, "ns")
            r.row("asyncdumpd, %s pair vs empty" % what, ad, "ns", empty, "empty",
                  Target("<=", 2.0, "ratio", "<= 2.0x empty"))
            r.row("asyncdumpd, %s pair minus empty" % what, ad - empty, "ns")
        r.row("least hash store, ENTER+EXIT pair vs empty", mp[("store", "asyncdump")], "ns",
              mp[("floor", "asyncdump")], "empty")
        r.row("asyncdumpd, ENTER+EXIT pair vs least store", mp[("asyncdumpd", "asyncdump")],
              "ns", mp[("store", "asyncdump")], "store")
        for what, mode in (("ENTER+EXIT", "asyncdump"), ("POLL_BEGIN+POLL_END", "poll")):
            r.row("%s: ad's programs vs whole pair" % what, mp[("asyncdumpd", mode)],
                  "ns", median(wall[("asyncdumpd", mode)]), "whole")
        for _, _, names in PROGRAMS:
            for name in names:
                r.samples(name, runs[name], "ns per run")
        for (kind, mode), xs in pair.items():
            r.samples("%s %s pair" % (kind, mode), xs, "ns per pair")
        for (kind, mode), xs in wall.items():
            r.samples("%s %s whole pair" % (kind, mode), xs, "ns per pair (wall)")
        r.note("each sample: one probe_bench run of %d pairs (1 thread on CPU 0) under the "
               "observer, and each program's run_time_ns and run_cnt (bpftool prog show -j) "
               "before and after it; ns per run = the differences' quotient, over the run's "
               "warm-up too (%s runs per program and sample); a pair = its two programs' ns "
               "per run" % (pairs, "%d" % min(counts) if min(counts) == max(counts)
                                   else "%d-%d" % (min(counts), max(counts))))
        r.note("the kernel times each run with two sched_clock() reads around the program: "
               "the stats' own cost lies inside every figure, the empty programs' and "
               "asyncdumpd's alike (the empty programs' time is mostly it), and the whole "
               "pairs (wall, probe_bench's own clock) are dearer than section 2's by it")
        r.note("poll mode: POLL_BEGIN(&task); POLL_END(&task) of one task, spawned before "
               "the loop and exited after it; the least hash store (bench_floor --store) "
               "has no poll programs")
        r.note("kernel.bpf_stats_enabled was %s before the section and is %s again after it"
               % (prev, after))

    def program_runs(self, obs, mode, names, pairs, runs, counts):
        """One probe_bench run under obs: appends each program's ns per run
        to runs[name] and its run count to counts; returns the run's ns
        per pair."""
        ids = obs.prog_ids()
        before = prog_stats(ids)
        ns, _, active = probe_bench(self.probe, mode, pairs, pin=True)
        after = prog_stats(ids)
        if not active:
            raise BenchError("probe_bench %s: the probes never fired (semaphore 0)" % mode)
        for name in names:
            took = [(after[i][1] - b[1], after[i][2] - b[2])
                    for i, b in before.items()
                    if b[0] in (name, name[:15]) and i in after]  # 15: the kernel's
            n = sum(c for _, c in took)
            if n < pairs:
                raise BenchError("%s ran %d times for %d pairs of probe_bench %s: not "
                                 "attached, or not counted (kernel.bpf_stats_enabled)"
                                 % (name, n, pairs, mode))
            runs.setdefault(name, []).append(sum(t for t, _ in took) / n)
            counts.append(n)
        return ns


def every_10ms(stop, work):
    """work() started every 10 ms until stop (back to back when one call
    takes longer)."""
    nxt = time.monotonic()
    while not stop.is_set():
        work()
        nxt += 0.010
        wait = nxt - time.monotonic()
        if wait > 0:
            stop.wait(wait)
        else:
            nxt = time.monotonic()


def dumper(d, pid, stop, out):
    """A dump started every 10 ms until stop; appends each one's wall time
    (None for a failed dump)."""
    def one():
        t0 = time.monotonic()
        try:
            r = subprocess.run(d.dump_argv(pid), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=60)
            out.append(time.monotonic() - t0 if r.returncode == 0 else None)
        except subprocess.TimeoutExpired:
            out.append(None)
    every_10ms(stop, one)


def spin(stop):
    """Control: keep this CPU busy, touching nothing of the program's."""
    x = 0
    while not stop.is_set():
        for _ in range(10000):
            x += 1


def exec_true(stop):
    """Control: start a process every 10 ms, as the dumper does."""
    every_10ms(stop, lambda: subprocess.run(["/bin/true"]))


CONTROLS = {"spin": spin, "exec": exec_true}


def kfmt(n):
    return "%dM" % (n // 1_000_000) if n >= 1_000_000 else "%dk" % (n // 1000)


def git(*args):
    try:
        r = subprocess.run(["git", "-C", ROOT] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return r.stdout.decode().strip() if r.returncode == 0 else ""


def first_line(argv):
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
        return r.stdout.decode().splitlines()[0].strip()
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "%s: not found" % argv[0]


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.environ.get("AD_BENCH_BUILD",
                                                      os.path.join(ROOT, "build-bench")),
                    help="build directory (default: build-bench/)")
    ap.add_argument("--out", help="also write the whole output to this file")
    ap.add_argument("--quick", action="store_true", help="fewer, shorter samples")
    ap.add_argument("--only", help="sections to run, by number or name, comma-separated: "
                    + ", ".join("%d %s" % (i + 1, s) for i, s in enumerate(SECTIONS)))
    ap.add_argument("--without-bpftrace", action="store_true",
                    help="section 2 without the bpftrace comparison (where it is not installed)")
    ap.add_argument("--emulated", metavar="NOTE",
                    help="say in the header that the CPU is emulated, and how")
    args = ap.parse_args()
    args.sections = list(SECTIONS)
    if args.only:
        args.sections = []
        for s in args.only.split(","):
            s = s.strip()
            name = SECTIONS[int(s) - 1] if s.isdigit() and 1 <= int(s) <= len(SECTIONS) else s
            if name not in SECTIONS:
                ap.error("unknown section %r" % s)
            if name not in args.sections:
                args.sections.append(name)
        # in their order, whatever the order given: section 6 uses 2's floor
        args.sections.sort(key=SECTIONS.index)
    return args


def preflight(args):
    if os.geteuid() != 0:
        sys.exit("run.py: must run as root (BPF and USDT attach need root)")
    tools = ["bpftool", "taskset"]
    if "observed" in args.sections and not args.without_bpftrace:
        tools.append("bpftrace")
    if "profile" in args.sections:
        tools.append("perf")
    if "hostile" in args.sections:
        tools.append("setpriv")
    for tool in tools:
        if subprocess.run(["sh", "-c", "command -v " + tool], stdout=subprocess.DEVNULL).returncode:
            sys.exit("run.py: %s not found: install it with: bash scripts/install-deps.sh" % tool)
    for b in ("daemon/asyncdumpd", "bench/probe_bench", "bench/hold_frames", "bench/bench_floor",
              "bench/bench_opcost"):
        if not os.access(os.path.join(args.build, b), os.X_OK):
            sys.exit("run.py: %s/%s not built: run scripts/bench.sh (it builds first)"
                     % (args.build, b))


def main():
    args = parse_args()
    preflight(args)
    rep = Report()
    bench = Bench(args, rep)

    # SIGTERM and SIGHUP unwind like Ctrl-C, through the finally below.
    def interrupted(signum, frame):
        raise KeyboardInterrupt
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupted)
    t0 = time.monotonic()
    failed = []
    try:
        bench.header()
        for name in args.sections:
            try:
                getattr(bench, name)()
            except (BenchError, subprocess.TimeoutExpired) as e:
                failed.append(name)
                rep.say("  FAILED: %s" % e)
            finally:
                bench.procs.stop_all()
        rep.summary()
        if failed:
            rep.say("  sections that could not be measured: " + ", ".join(failed))
        rep.say("  load at end: %s; whole run took %.0f s" % (loadavg(), time.monotonic() - t0))
    except KeyboardInterrupt:
        rep.say("\ninterrupted: stopping every process this run started")
        return 130
    finally:
        bench.procs.stop_all()
        if args.out:
            rep.write(args.out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
