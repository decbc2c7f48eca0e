#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""discovery_scan.py - what asyncdumpd's start-up scan of every process
costs (observer/discover.h), on a host with N more processes.

    python3 bench/discovery_scan.py [--build DIR] [--procs N] [--runs R]

Starts N idle processes (`sleep`, each mapping its program, libc and
ld.so), then R times `asyncdumpd --daemon --discovery on` on a private
socket, and reads the scan's own line ("read the maps of P processes and
the notes of F files in T ms"). The baseline, in the same run: reading
every process's /proc/PID/maps and nothing else (Python), so the ratio
says what deciding about the files adds. Root (BPF)."""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINE = re.compile(r"discovery: read the maps of (\d+) processes and the notes "
                  r"of (\d+) files in ([\d.]+) ms")


def read_all_maps():
    t0 = time.monotonic()
    n = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/maps" % name, "rb") as f:
                f.read()
            n += 1
        except OSError:
            pass
    return n, (time.monotonic() - t0) * 1000


def one_scan(daemon):
    d = tempfile.mkdtemp(prefix="adbench.")
    sock = os.path.join(d, "s.sock")
    p = subprocess.Popen([daemon, "--daemon", "--discovery", "on", "--socket", sock],
                         stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    out = ""
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = p.stderr.readline()
            if not line:
                break
            out += line
            m = LINE.search(line)
            if m:
                return int(m.group(1)), int(m.group(2)), float(m.group(3))
        sys.exit("no scan line from the daemon:\n" + out)
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    ap.add_argument("--procs", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    daemon = os.path.join(a.build, "daemon", "asyncdumpd")
    if not os.access(daemon, os.X_OK):
        sys.exit("not built: %s" % daemon)
    idle = [subprocess.Popen(["sleep", "3600"]) for _ in range(a.procs)]
    try:
        time.sleep(1)
        print("discovery scan, %d idle processes added" % a.procs)
        print("%8s %8s %10s %12s %7s" % ("procs", "files", "scan ms",
                                         "maps-only ms", "ratio"))
        for _ in range(a.runs):
            n, base = read_all_maps()
            procs, files, ms = one_scan(daemon)
            print("%8d %8d %10.1f %12.1f %6.1fx" % (procs, files, ms, base,
                                                    ms / base if base else 0))
    finally:
        for q in idle:
            q.kill()
        for q in idle:
            q.wait()


if __name__ == "__main__":
    main()
