# SPDX-License-Identifier: BSD-2-Clause
"""perfprofile.py - a command's kernel and user time by symbol, from perf's
cpu-clock samples, grouped by what the sampled code does (bench/run.py,
section 6).

Standard library only; needs perf (Debian linux-perf) and root.
"""

import re
import subprocess

from benchlib import BenchError

# What the sampled code does, by symbol; the first match wins, and any
# other kernel symbol is the uprobe round trip itself (trap or trampoline,
# syscall, uprobe lookup, perf-event dispatch), which the floor pays too.
CATEGORIES = ("BPF programs' code", "hash map ops", "helpers",
              "uprobe round trip", "user space loop")
RULES = (
    ("BPF programs' code", r"^bpf_prog_"),
    ("hash map ops", r"htab|lookup_nulls_elem|bpf_mem_|unit_(alloc|free)|"
     r"percpu_counter|check_and_free_fields|^memcmp$|jhash|freelist"),
    ("helpers", r"^bpf_get_|ktime|read_tsc|kvm_clock|pvclock|task_storage|local_storage|"
     r"task_init_private|attach_cookie"),
)


def category(space, sym):
    """space: perf's "k" (kernel) or "." (user)."""
    if space != "k":
        return "user space loop"
    for cat, rule in RULES:
        if re.search(rule, sym):
            return cat
    return "uprobe round trip"


def perf_profile(argv, data_path, freq=20000):
    """Runs argv under `perf record -e cpu-clock`; returns (its stdout,
    [(symbol, category, share of the samples)], largest first)."""
    rec = subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", str(freq),
                          "-o", data_path, "--"] + list(argv),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if rec.returncode != 0:
        raise BenchError("perf record of %s failed (rc %d): %s"
                         % (" ".join(argv), rec.returncode,
                            rec.stderr.decode(errors="replace")[-2000:]))
    rep = subprocess.run(["perf", "report", "-i", data_path, "--stdio", "--no-children",
                          "--sort", "sym"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=300)
    samples = []
    for line in rep.stdout.decode(errors="replace").splitlines():
        m = re.match(r"^\s*([\d.]+)%\s+\[(.)\]\s+(\S+)", line)
        if m:
            space, sym = m.group(2), m.group(3)
            samples.append(("[%s] %s" % (space, sym), category(space, sym),
                            float(m.group(1)) / 100))
    if not samples:
        raise BenchError("perf report found no samples in %s: %s"
                         % (data_path, rep.stderr.decode(errors="replace")[-2000:]))
    return rec.stdout.decode(), samples


def shares_by_category(samples):
    out = {}
    for _, cat, share in samples:
        out[cat] = out.get(cat, 0.0) + share
    return out
