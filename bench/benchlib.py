# SPDX-License-Identifier: BSD-2-Clause
"""benchlib.py - the processes bench/run.py starts: programs that print
READY, the three observers (asyncdumpd, the empty-program floor, the
bpftrace script), dumps, the kernel's accounting of map memory, and its
run time statistics of BPF programs (kernel.bpf_stats_enabled).

Standard library only. Every long-lived child is registered in one Procs
so that run.py can end them all, in reverse order, whatever happens
(error, Ctrl-C, SIGTERM): no daemon, loader or bpftrace is left behind.
"""

import contextlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time


class BenchError(Exception):
    """A measurement could not be made; the message says why."""


class Procs:
    """Every long-lived child process and temporary directory."""

    def __init__(self):
        self.live = []
        self.dirs = []

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="adbench.")
        self.dirs.append(d)
        return d

    def popen(self, argv, **kw):
        p = subprocess.Popen(argv, **kw)
        self.live.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM, timeout=15):
        """Signal p, wait, kill it if it does not go; returns its exit code."""
        if p.poll() is None:
            try:
                p.send_signal(sig)
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for f in (p.stdin, p.stdout, p.stderr):
            if f:
                try:
                    f.close()
                except OSError:
                    pass
        if p in self.live:
            self.live.remove(p)
        return p.returncode

    def stop_all(self):
        for p in reversed(list(self.live)):
            self.stop(p, timeout=5)
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)
        self.dirs = []


class Program:
    """A child with line-based stdin/stdout (READY <pid>, commands)."""

    def __init__(self, procs, argv, stderr_path=None):
        self.procs, self.argv = procs, list(argv)
        self.err_path = stderr_path or os.devnull
        self.err = open(self.err_path, "ab")
        self.p = procs.popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=self.err)
        self.pid = self.p.pid
        self.buf = b""

    def stderr_text(self):
        if self.err_path == os.devnull:
            return ""
        with open(self.err_path, "rb") as f:
            return f.read().decode(errors="replace").strip()

    def readline(self, timeout):
        deadline = time.monotonic() + timeout
        fd = self.p.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError("%s: no output within %.0f s (got %r) %s" % (
                    os.path.basename(self.argv[0]), timeout, self.buf, self.stderr_text()))
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise BenchError("%s exited (rc %s) before a line; stderr: %s" % (
                        " ".join(self.argv), self.p.wait(), self.stderr_text()))
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace")

    def expect(self, word, timeout=30):
        """Skips other lines until one starting with `word`; its other words."""
        while True:
            parts = self.readline(timeout).split()
            if parts and parts[0] == word:
                return parts[1:]

    def send(self, line):
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()

    def finish(self, timeout=120):
        """Close stdin (the programs exit on EOF) and wait."""
        try:
            self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        self.procs.stop(self.p)
        self.err.close()


def ready_program(procs, argv, timeout=30, stderr_path=None):
    prog = Program(procs, argv, stderr_path)
    rest = prog.expect("READY", timeout)
    if not rest or int(rest[0]) != prog.pid:
        raise BenchError("%s: READY %s is not its pid %d" % (argv[0], rest, prog.pid))
    return prog


class Daemon:
    """`asyncdumpd --daemon` on a private socket."""

    def __init__(self, procs, daemon, attach, extra=(), prefix=()):
        self.procs, self.daemon = procs, daemon
        self.dir = procs.tmpdir()
        self.socket = os.path.join(self.dir, "asyncdumpd.sock")
        self.err_path = os.path.join(self.dir, "daemon.log")
        argv = list(prefix) + [daemon, "--daemon", "--socket", self.socket]
        for path in attach:
            argv += ["--attach", path]
        argv += list(extra)
        with open(self.err_path, "wb") as err:
            self.p = procs.popen(argv, stdin=subprocess.DEVNULL, stdout=err,
                                 stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not os.path.exists(self.socket):
            if self.p.poll() is not None:
                raise BenchError("asyncdumpd --daemon exited (rc %d): %s" % (
                    self.p.returncode, self.log()))
            if time.monotonic() > deadline:
                raise BenchError("asyncdumpd --daemon made no socket in 60 s: " + self.log())
            time.sleep(0.02)

    def log(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode(errors="replace").strip()

    def dump_argv(self, pid, prefix=()):
        return list(prefix) + [self.daemon, "--socket", self.socket, "--pid", str(pid),
                               "--format", "json"]

    def dump_time(self, pid, timeout=300, prefix=()):
        """Wall time of one `asyncdumpd --pid N --format json >/dev/null`."""
        t0 = time.monotonic()
        r = subprocess.run(self.dump_argv(pid, prefix), stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=timeout)
        dt = time.monotonic() - t0
        if r.returncode != 0:
            raise BenchError("dump of %d failed (rc %d): %s" % (
                pid, r.returncode, r.stderr.decode(errors="replace").strip()))
        return dt

    def dump_head(self, pid, timeout=300):
        """One dump read through: (document head, total bytes). The head
        holds "lost" and "stats", which come before the tasks."""
        p = subprocess.Popen(self.dump_argv(pid), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            head, total = b"", 0
            deadline = time.monotonic() + timeout
            while True:
                chunk = p.stdout.read(1 << 20)
                if not chunk:
                    break
                if len(head) < 8192:
                    head += chunk[:8192]
                total += len(chunk)
                if time.monotonic() > deadline:
                    raise BenchError("dump of %d took over %d s" % (pid, timeout))
            err = p.stderr.read().decode(errors="replace").strip()
            if p.wait() != 0:
                raise BenchError("dump of %d failed (rc %d): %s" % (pid, p.returncode, err))
            return head.decode(errors="replace"), total
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()
            p.stderr.close()

    def map_ids(self):
        """Ids of the BPF maps this daemon holds open."""
        return fdinfo_ids(self.p.pid, "map_id")

    def prog_ids(self):
        """Ids of the BPF programs this daemon holds open."""
        return fdinfo_ids(self.p.pid, "prog_id")

    def stop(self):
        rc = self.procs.stop(self.p)
        if rc not in (0, -signal.SIGTERM):
            raise BenchError("asyncdumpd --daemon exited %s: %s" % (rc, self.log()))


def fdinfo_ids(pid, field):
    """Ids of the BPF objects process pid holds open, from its fdinfo;
    field: "map_id" or "prog_id" (a link's fd names its program too)."""
    ids = set()
    fddir = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(fddir):
        try:
            with open(os.path.join(fddir, fd)) as f:
                m = re.search(r"^%s:\s*(\d+)" % field, f.read(), re.M)
        except OSError:
            continue
        if m:
            ids.add(int(m.group(1)))
    return ids


def bpftool_show(kind):
    """`bpftool KIND show -j`, parsed: one dict per map or program."""
    r = subprocess.run(["bpftool", kind, "show", "-j"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    if r.returncode != 0:
        raise BenchError("bpftool %s show -j failed: %s"
                         % (kind, r.stderr.decode(errors="replace")))
    return json.loads(r.stdout)


def maps_memlock(ids):
    """{id: (name, bytes_memlock)} of the maps with these ids (bpftool's
    view of the kernel's own accounting)."""
    return {m["id"]: (m.get("name", ""), int(m["bytes_memlock"]))
            for m in bpftool_show("map") if m.get("id") in ids}


def prog_stats(ids):
    """{id: (name, run_time_ns, run_cnt)} of the programs with these ids:
    the kernel's totals, counted while kernel.bpf_stats_enabled is 1
    (bpftool leaves both out while they are 0)."""
    return {p["id"]: (p.get("name", ""), int(p.get("run_time_ns", 0)), int(p.get("run_cnt", 0)))
            for p in bpftool_show("prog") if p.get("id") in ids}


BPF_STATS = "/proc/sys/kernel/bpf_stats_enabled"


@contextlib.contextmanager
def bpf_stats_enabled():
    """kernel.bpf_stats_enabled = 1 inside the with block, and the value it
    had before written back whatever ends it (an error, Ctrl-C, or the
    SIGTERM and SIGHUP run.py turns into KeyboardInterrupt). Yields that
    previous value."""
    try:
        with open(BPF_STATS) as f:
            prev = f.read().strip()
    except OSError as e:
        raise BenchError("cannot read %s (kernel 5.8 or later has it): %s" % (BPF_STATS, e))
    write_sysctl("1")
    try:
        yield prev
    finally:
        write_sysctl(prev)


def write_sysctl(value):
    try:
        with open(BPF_STATS, "w") as f:
            f.write(value + "\n")
    except OSError as e:
        raise BenchError("cannot write %s to %s: %s" % (value, BPF_STATS, e))


class Floor:
    """bench_floor: the empty programs on the same probe sites, or (store)
    the least a hash map store of frames does there."""

    def __init__(self, procs, floor_bin, target, store=False):
        argv = [floor_bin] + (["--store"] if store else []) + [target]
        self.prog = ready_program(procs, argv, timeout=60)

    def prog_ids(self):
        """Ids of the BPF programs it holds open (those attached)."""
        return fdinfo_ids(self.prog.pid, "prog_id")

    def stop(self):
        self.prog.finish(timeout=15)


class Bpftrace:
    """bpftrace running bench/bookkeeping.bt on a binary. Its BEGIN prints
    READY once every probe is attached; SIGINT makes it print its maps."""

    def __init__(self, procs, script, target):
        self.procs = procs
        self.dir = procs.tmpdir()
        self.prog = Program(procs, ["bpftrace", script, target],
                            os.path.join(self.dir, "bpftrace.err"))
        self.prog.expect("READY", timeout=120)
        self.out = None

    def stop(self):
        """SIGINT; returns what it printed on the way out (its maps)."""
        if self.out is not None:
            return self.out
        p = self.prog.p
        p.send_signal(signal.SIGINT)
        out = self.prog.buf
        deadline = time.monotonic() + 60
        fd = p.stdout.fileno()
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 1.0)
            if r:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                out += chunk
        self.procs.stop(p, sig=signal.SIGINT)
        self.prog.err.close()
        self.out = out.decode(errors="replace")
        return self.out


def probe_bench(binary, mode, pairs, threads=1, pin=False):
    """One probe_bench run: (ns per pair, [per thread], ACTIVE)."""
    argv = [binary, mode, "--pairs", str(pairs), "--threads", str(threads)]
    if pin:
        argv.append("--pin")
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120 + pairs * threads * 2e-5)
    text = r.stdout.decode()
    if r.returncode != 0:
        raise BenchError("%s failed (rc %d): %s" % (" ".join(argv), r.returncode,
                                                    r.stderr.decode(errors="replace")))
    ns = float(re.search(r"^NS_PER_PAIR (\S+)", text, re.M).group(1))
    per = [float(x) for x in re.findall(r"^NS_PER_PAIR_THREAD \d+ (\S+)", text, re.M)]
    active = int(re.search(r"^ACTIVE (\d+)", text, re.M).group(1))
    return ns, per, active
