#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""The systemd unit (deploy/asyncdumpd.service) as systemd judges it, and
its syscall filter against what the daemon really calls. systemd is not
PID 1 here, so: `systemd-analyze verify` passes, `systemd-analyze
security --offline` gives the exposure the README states (4.0 or lower),
and every system call the daemon makes through a start, dumps, a list, a
file written under its probes, a reload and a stop (traced with strace)
is one the unit's SystemCallFilter allows. Runs on the host only (the
guest of scripts/kernel-vm.sh has neither systemd nor strace); the unit's
capabilities are tested on both kernels (test_service.py, Unit)."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adtest  # noqa: E402
from adtest import prog  # noqa: E402
from test_service import (UNIT, copy_in_place, service_with_config,  # noqa: E402
                          unit_values)

README = os.path.join(adtest.ROOT, "README.md")
MAX_EXPOSURE = 4.0


def syscall_groups():
    """{"@group": set of names and @groups} from systemd-analyze."""
    out = subprocess.run(["systemd-analyze", "syscall-filter"], check=True,
                         capture_output=True, text=True).stdout
    groups, cur = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            cur = groups.setdefault(line.split()[0], set())
        elif cur is not None and line.strip() and not line.strip().startswith("#"):
            cur.add(line.strip())
    return groups


def expand(items, groups):
    out = set()
    for it in items:
        if it.startswith("@"):
            out |= expand(groups.get(it, ()), groups)
        else:
            out.add(it)
    return out


def read_text(path):
    with open(path, errors="replace") as f:
        return f.read()


def kill_quietly(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class UnitFile(adtest.ADTestCase):

    def setUp(self):
        for tool in ("systemd-analyze", "strace", "man"):
            if not shutil.which(tool):
                self.unavailable("%s not installed (scripts/install-deps.sh)" % tool)

    def installed_copy(self):
        """The unit as installed would be: its ExecStart naming this build's
        daemon, its man page findable (verify runs `man`)."""
        d = tempfile.mkdtemp(prefix="adtest.")
        self.addCleanup(shutil.rmtree, d, True)
        os.makedirs(os.path.join(d, "man", "man8"))
        shutil.copy(os.path.join(adtest.ROOT, "deploy", "asyncdumpd.8"),
                    os.path.join(d, "man", "man8"))
        with open(UNIT) as f:
            text = f.read().replace("/usr/sbin/asyncdumpd", adtest.DAEMON_PLAIN)
        path = os.path.join(d, "asyncdumpd.service")
        with open(path, "w") as f:
            f.write(text)
        return path, dict(os.environ, MANPATH=os.path.join(d, "man"))

    def test_verify(self):
        path, env = self.installed_copy()
        r = subprocess.run(["systemd-analyze", "verify", path], capture_output=True,
                           text=True, env=env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stderr.strip(), "")

    def test_security_exposure_is_the_readmes_and_at_most_4(self):
        r = subprocess.run(["systemd-analyze", "security", "--offline=true", UNIT],
                           capture_output=True, text=True, timeout=60)
        m = re.search(r"Overall exposure level for asyncdumpd.service: ([0-9.]+)",
                      r.stdout)
        self.assertIsNotNone(m, r.stdout + r.stderr)
        figure = float(m.group(1))
        self.assertLessEqual(figure, MAX_EXPOSURE, r.stdout)
        with open(README) as f:
            stated = "exposure level of %s" % m.group(1) in f.read()
        self.assertTrue(stated, "README does not state 'exposure level of %s'"
                        % m.group(1))

    def test_every_syscall_the_daemon_makes_is_allowed(self):
        groups = syscall_groups()
        allow, deny = set(), set()
        for v in unit_values("SystemCallFilter"):
            if v.startswith("~"):
                deny |= expand(v[1:].split(), groups)
            else:
                allow |= expand(v.split(), groups)
        self.assertTrue(allow)
        self.need_env()
        where = self.tmpdir()
        target, conf = service_with_config(self, where)
        trace = os.path.join(where, "trace")
        sock = os.path.join(where, "asyncdumpd.sock")
        argv = ["strace", "-f", "-qq", "-o", trace, adtest.DAEMON_PLAIN,
                "--daemon", "--config", conf, "--socket", sock,
                "--discovery", "on"]
        err = open(os.path.join(where, "stderr"), "wb")
        self.addCleanup(err.close)
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err,
                             stderr=subprocess.STDOUT)
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))
        deadline = time.monotonic() + 120
        while not os.path.exists(sock):
            self.assertIsNone(p.poll(), "the daemon exited under strace")
            self.assertLess(time.monotonic(), deadline, "no socket under strace")
            time.sleep(0.1)
        # Signals go to the daemon, not to strace.
        with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
            daemon = int(f.read().split()[0])
        self.addCleanup(kill_quietly, daemon)
        w = self.start([target, "wait"])
        w.ready()
        for args in (["--pid", str(w.pid)], ["--pid", str(w.pid), "--format", "json"],
                     ["--list"], ["--pid", "1"]):
            subprocess.run([adtest.DAEMON, "--socket", sock] + args,
                           capture_output=True, timeout=60)
        w.close_stdin()
        w.wait()
        # A program never seen, found by discovery as it starts.
        fresh = os.path.join(where, "fresh")
        shutil.copy(self.need_bin(prog("rebuilt_1")), fresh)
        f = self.start([fresh, "wait"])
        f.ready()
        deadline = time.monotonic() + 60
        while "probe sites in %s (" % fresh not in read_text(err.name):
            self.assertLess(time.monotonic(), deadline, "not found under strace")
            time.sleep(0.1)
        f.close_stdin()
        f.wait()
        copy_in_place(self.need_bin(prog("rebuilt_1")), target)
        subprocess.run([target], timeout=60)
        os.kill(daemon, signal.SIGHUP)
        time.sleep(1)
        os.kill(daemon, signal.SIGTERM)
        self.assertEqual(p.wait(timeout=120), 0)
        used = set()
        with open(trace) as f:
            for line in f:
                m = re.match(r"\d+\s+([a-z0-9_]+)\(", line)
                if m:
                    used.add(m.group(1))
        self.assertIn("bpf", used)
        self.assertIn("perf_event_open", used)
        # The uprobe and uretprobe system calls (Linux 6.11 and 6.18,
        # numbers 335 and 336, unknown to this strace and systemd) are made
        # by the kernel's uprobe trampolines, which the daemon runs when it
        # probes its own uprobes; seccomp lets them through unfiltered.
        used -= {"uprobe", "uretprobe", "syscall_0x14f", "syscall_0x150"}
        refused = sorted(s for s in used if s not in allow or s in deny)
        self.assertEqual(refused, [], "system calls the unit's filter refuses")


if __name__ == "__main__":
    adtest.main()
