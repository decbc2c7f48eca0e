#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""asyncdumpd as the host's service (issue 13): attached files that are
replaced while the daemon runs. A new build copied over an attached
executable in place (same inode) must never crash its next start: the
daemon detaches the old probes before the exec runs and attaches the new
contents' (observer/watch.h). A new file under an attached path (a new
inode, as `gcc -o`, `install` and package upgrades make) is attached and
logged. The config file (core/config.h): every error refuses the start
with FILE:LINE, targets and globs from it are attached, the command line
wins over it, and SIGHUP attaches added targets and detaches removed ones
with the observed state kept (a bad file keeps the settings in effect).
The unit (deploy/asyncdumpd.service), systemd not being PID 1 here: its
ExecStart line run with only its capability bounding set, its readiness
read from a test NOTIFY_SOCKET."""

import errno
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adtest  # noqa: E402
from adtest import prog, walk  # noqa: E402
from elfnotes import Elf  # noqa: E402

STARTS = 200


def copy_in_place(src, target, timeout=10.0):
    """shutil.copyfile (O_TRUNC: the same inode), again while the kernel
    says ETXTBSY: the last start's exit may still be releasing its memory
    (on 6.1 the daemon's re-attach, walking the processes that map the
    file, can hold the last reference for a moment)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            shutil.copyfile(src, target)
            return
        except OSError as e:
            if e.errno != errno.ETXTBSY or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def probe_pcs(path):
    return sorted(n.pc for n in Elf(path).notes() if n.provider == "asyncdump")


def labels(doc):
    return sorted(f["label"] for t in doc["tasks"] for f in walk(t["frames"]))


class ReplacedFiles(adtest.ADTestCase):

    def builds(self):
        a, b = self.need_bin(prog("rebuilt_0")), self.need_bin(prog("rebuilt_1"))
        # The point of the two builds: the same probes at other offsets.
        self.assertNotEqual(probe_pcs(a), probe_pcs(b))
        return a, b

    def wait_log(self, d, text, timeout=10.0):
        deadline = time.monotonic() + timeout
        while text not in d.stderr():
            if time.monotonic() > deadline:
                self.fail("the daemon never logged %r:\n%s" % (text, d.stderr()))
            time.sleep(0.02)

    def assert_observed(self, d, target):
        p = self.start([target, "wait"])
        p.ready()
        doc = self.dump_json(d, p.pid)
        self.assertEqual(labels(doc), ["rebuilt inner", "rebuilt outer"],
                         "the new build's frames\ndaemon:\n" + d.stderr())
        self.assert_no_losses(doc)
        p.close_stdin()
        p.wait()

    def test_new_build_copied_over_in_place_never_crashes(self):
        a, b = self.builds()
        target = os.path.join(self.tmpdir(), "service")
        shutil.copy(a, target)
        ino = os.stat(target).st_ino
        d = self.start_daemon(attach=[target])
        self.assertNotIn("cannot watch", d.stderr())
        builds = (b, a)
        for i in range(STARTS):
            src = builds[i % 2]
            copy_in_place(src, target)
            r = subprocess.run([target], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, timeout=20)
            self.assertEqual(
                r.returncode, 10 + (i + 1) % 2,
                "start %d after copying %s over the attached file: rc %d "
                "(negative: killed by that signal)\ndaemon:\n%s"
                % (i, os.path.basename(src), r.returncode, d.stderr()))
        self.assertEqual(os.stat(target).st_ino, ino, "not rewritten in place")
        self.assertIsNone(d.p.poll(), "the daemon exited:\n" + d.stderr())
        log = d.stderr()
        self.assertIn("was written to: its", log)
        self.assertIn("re-attached", log)
        # Still observed, at the last build's offsets.
        self.assert_observed(d, target)

    def test_new_file_under_the_path_is_attached(self):
        a, b = self.builds()
        target = os.path.join(self.tmpdir(), "service")
        shutil.copy(a, target)
        d = self.start_daemon(attach=[target])
        old = self.start([target, "wait"])
        old.ready()
        # As dpkg and install do: a new file renamed over the old name.
        shutil.copy(b, target + ".new")
        os.rename(target + ".new", target)
        self.wait_log(d, "%s is a new file: attached" % os.path.realpath(target))
        self.assert_observed(d, target)
        # The old inode stays attached for the process still running it.
        doc = self.dump_json(d, old.pid)
        self.assertEqual(labels(doc), ["rebuilt inner", "rebuilt outer"])
        # And as `gcc -o` does: the old name unlinked, a new file written.
        os.unlink(target)
        shutil.copy(a, target)
        deadline = time.monotonic() + 10
        while d.stderr().count("is a new file: attached") < 2:
            self.assertLess(time.monotonic(), deadline,
                            "the second new file was not attached:\n" + d.stderr())
            time.sleep(0.02)
        self.assert_observed(d, target)
        old.close_stdin()
        self.assertEqual(old.wait(), 10)

    def test_rewritten_without_probes_is_said_and_harmless(self):
        a, _ = self.builds()
        target = os.path.join(self.tmpdir(), "service")
        shutil.copy(a, target)
        d = self.start_daemon(attach=[target])
        copy_in_place("/bin/true", target)
        r = subprocess.run([target], timeout=20)
        self.assertEqual(r.returncode, 0)
        self.wait_log(d, "cannot be attached again")
        self.assertIn("has no asyncdump probes", d.stderr())
        # A build with probes again: attached again.
        copy_in_place(a, target)
        self.assertEqual(subprocess.run([target], timeout=20).returncode, 10)
        self.wait_log(d, "re-attached")
        self.assert_observed(d, target)


class ConfigFile(adtest.ADTestCase):

    def conf(self, text):
        path = os.path.join(self.tmpdir(), "asyncdumpd.conf")
        self.write(path, text)
        return path

    @staticmethod
    def write(path, text):
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.rename(path + ".tmp", path)

    def copy_of(self, name, where):
        path = os.path.join(where, name)
        shutil.copy(self.need_bin(prog(name)), path)
        return path

    def wait_log(self, d, text, count=1, timeout=10.0):
        deadline = time.monotonic() + timeout
        while d.stderr().count(text) < count:
            if time.monotonic() > deadline:
                self.fail("the daemon never logged %r (%d times):\n%s"
                          % (text, count, d.stderr()))
            time.sleep(0.02)

    def observed(self, d, path):
        """Starts path (a rebuilt build): its frames, or None if the
        daemon does not observe it. Leaves it running."""
        p = self.start([path, "wait"])
        p.ready()
        rc, out, err = d.dump(p.pid)
        if rc == adtest.EXIT_NOT_OBSERVED:
            return p, None
        self.assertEqual(rc, adtest.EXIT_OK, err)
        return p, labels(json.loads(out))

    def test_every_error_refuses_the_start_naming_file_and_line(self):
        self.need_env()
        exe = self.need_bin(prog("rebuilt_0"))
        cases = [
            ("[limits]\nmax_frames = 12\nmax_tasks = many\n", 3,
             "max_tasks: 'many' is not a number"),
            ("[targets]\nattach = %s\n\n[limit]\nmax_big = 1\n" % exe, 5,
             "unknown section [limit]"),
            ("[daemon]\nsockett = /x\n", 2, "unknown key sockett in [daemon]"),
            ("[targets]\nattach = bin/service\n", 2, "not an absolute path"),
            ("[daemon]\nlog_level = debug\n", 2, "not err, warning or info"),
            ("[targets]\nattach = %s\n%s\n" % (exe, "x" * 300), 3,
             "longer than 190 bytes"),
            ("[limits]\nmax_procs = 4\nmax_procs = 5\n", 3, "given twice"),
            ("[targets]\nattach %s\n" % exe, 2, "not a [section], key = value"),
            ("[daemon]\ndiscovery = maybe\n", 2, "'maybe' is not auto, on or off"),
        ]
        for text, line, why in cases:
            with self.subTest(why):
                path = self.conf(text)
                r = subprocess.run([adtest.DAEMON, "--daemon", "--config", path,
                                    "--socket", path + ".sock"],
                                   stdin=subprocess.DEVNULL, capture_output=True,
                                   text=True, timeout=30)
                self.assertEqual(r.returncode, adtest.EXIT_USAGE, r.stderr)
                self.assertEqual(r.stdout, "")
                self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
                self.assertIn("%s:%d: " % (path, line), r.stderr)
                self.assertIn(why, r.stderr)
                self.assertFalse(os.path.exists(path + ".sock"))
        # A file --config names must be there; the default one need not.
        r = subprocess.run([adtest.DAEMON, "--daemon", "--config", "/nonexistent.conf"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, adtest.EXIT_USAGE, r.stderr)
        self.assertIn("cannot read /nonexistent.conf: No such file", r.stderr)
        # Nothing to observe anywhere: discovery off, nothing named.
        r = subprocess.run([adtest.DAEMON, "--daemon", "--config",
                            self.conf("[daemon]\ndiscovery = off\n")],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, adtest.EXIT_USAGE, r.stderr)
        self.assertIn("nothing to observe", r.stderr)

    def test_targets_and_globs_from_the_file_under_the_command_line(self):
        where = self.tmpdir()
        a = self.copy_of("rebuilt_0", where)
        b = self.copy_of("rebuilt_1", where)
        junk = os.path.join(where, "rebuilt_notes.txt")
        self.write(junk, "not an ELF file\n")
        conf = self.conf("[targets]\nattach = %s/rebuilt_*\nattach = %s\n"
                         "attach = %s/missing*\n"
                         "[limits]\nmax_frames = 1000\nmax_tasks = 500\n"
                         % (where, a, where))
        d = self.start_daemon(extra=["--config", conf, "--max-frames", "2000"])
        log = d.stderr()
        self.assertIn("max_frames=2000 max_tasks=500", log)
        # Each file once, though two lines name a.
        self.assertEqual(log.count("probe sites of %s " % a), 1, log)
        self.assertIn("probe sites of %s " % b, log)
        self.assertIn("cannot attach to %s (a target in %s)" % (junk, conf), log)
        self.assertIn("missing* names no file now", log)
        for path in (a, b):
            p, got = self.observed(d, path)
            self.assertEqual(got, ["rebuilt inner", "rebuilt outer"], d.stderr())
            p.close_stdin()
            p.wait()

    def test_log_level(self):
        where = self.tmpdir()
        a = self.copy_of("rebuilt_0", where)
        d = self.start_daemon(extra=["--config", self.conf(
            "[targets]\nattach = %s\n[daemon]\nlog_level = warning\n" % a)])
        p, got = self.observed(d, a)
        self.assertEqual(got, ["rebuilt inner", "rebuilt outer"])
        self.assertEqual(d.stderr(), "", "info lines at log_level = warning")

    def test_stuck_after_for_requests_without_one(self):
        """stuck_after: what a dump or list without --stuck-after marks
        stuck; a client's --stuck-after wins; SIGHUP changes it."""
        where = self.tmpdir()
        a = self.copy_of("rebuilt_0", where)
        conf = os.path.join(where, "asyncdumpd.conf")
        self.write(conf, "[targets]\nattach = %s\n[daemon]\nstuck_after = 1ms\n" % a)
        d = self.start_daemon(extra=["--config", conf])
        p, _ = self.observed(d, a)
        time.sleep(0.05)

        def stuck(**kw):
            rc, out, err = d.dump(p.pid, **kw)
            self.assertEqual(rc, adtest.EXIT_OK, err)
            return sorted(f["label"] for t in json.loads(out)["tasks"]
                          for f in walk(t["frames"]) if f["stuck"])

        self.assertEqual(stuck(), ["rebuilt inner", "rebuilt outer"])
        self.assertEqual(stuck(stuck_after="1h"), [])
        self.write(conf, "[targets]\nattach = %s\n[daemon]\nstuck_after = 1h\n" % a)
        d.p.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while stuck():
            self.assertLess(time.monotonic(), deadline, d.stderr())
            time.sleep(0.05)
        self.assertEqual(stuck(stuck_after="1ms"),
                         ["rebuilt inner", "rebuilt outer"])

    def test_reload_adds_and_removes_targets_keeping_state(self):
        where = self.tmpdir()
        a = self.copy_of("rebuilt_0", where)
        b = self.copy_of("rebuilt_1", where)
        conf = self.conf("[targets]\nattach = %s\n" % a)
        d = self.start_daemon(extra=["--config", conf])
        pa, got = self.observed(d, a)
        self.assertEqual(got, ["rebuilt inner", "rebuilt outer"])
        pb, got = self.observed(d, b)
        self.assertIsNone(got, "b observed before it is a target")

        # b added, a removed.
        self.write(conf, "[targets]\nattach = %s\n[limits]\nmax_frames = 99\n" % b)
        d.p.send_signal(signal.SIGHUP)
        self.wait_log(d, "attached 6 probe sites of %s" % b)
        log = d.stderr()
        self.assertIn("detached 6 probe sites of %s (no longer a target" % a, log)
        self.assertIn("max_frames is now 99: takes effect at the next start", log)
        # What was observed of a's process is kept.
        doc = self.dump_json(d, pa.pid)
        self.assertEqual(labels(doc), ["rebuilt inner", "rebuilt outer"])
        pb2, got = self.observed(d, b)
        self.assertEqual(got, ["rebuilt inner", "rebuilt outer"], d.stderr())
        pa2, got = self.observed(d, a)
        self.assertIsNone(got, "a still observed after it was removed")

        # A bad file: said, and nothing changes.
        self.write(conf, "[targets]\nattach = %s\nattach = %s\nnonsense\n" % (a, b))
        d.p.send_signal(signal.SIGHUP)
        self.wait_log(d, "%s:4: not a [section]" % conf)
        self.assertIn("the settings in effect are kept", d.stderr())
        pb3, got = self.observed(d, b)
        self.assertEqual(got, ["rebuilt inner", "rebuilt outer"])
        pa3, got = self.observed(d, a)
        self.assertIsNone(got)
        self.assertIsNone(d.p.poll(), d.stderr())
        for p in (pa, pb, pb2, pa2, pb3, pa3):
            p.close_stdin()
            p.wait()


class Coverage(adtest.ADTestCase):
    """Every dump says whether the process was observed all its life."""

    def test_started_before_or_after_the_attach(self):
        where = self.tmpdir()
        target = os.path.join(where, "service")
        shutil.copy(self.need_bin(prog("rebuilt_0")), target)
        before = self.start([target, "wait"])
        before.ready()
        time.sleep(0.05)  # more than a clock tick: its start is before
        d = self.start_daemon(attach=[target])
        before.send()
        before.expect("LINE")
        after = self.start([target, "wait"])
        after.ready()
        doc = self.dump_json(d, before.pid)
        self.assertEqual(doc["coverage"], "partial")
        self.assertLess(doc["process_started_ns"], doc["attached_ns"])
        # Only the frame entered after the attach is there.
        self.assertEqual(labels(doc), ["rebuilt line"])
        text = self.dump_text(d, before.pid)
        self.assertRegex(text.splitlines()[0],
                         r"observed for \S+ of the process's \S+ \(frames "
                         r"entered before \S+Z are not shown\)")
        doc = self.dump_json(d, after.pid)
        self.assertEqual(doc["coverage"], "whole")
        self.assertGreater(doc["process_started_ns"], doc["attached_ns"])
        self.assertEqual(labels(doc), ["rebuilt inner", "rebuilt outer"])
        self.assertIn(", all its life, ", self.dump_text(d, after.pid).splitlines()[0])
        for p in (before, after):
            p.close_stdin()
            p.wait()
        # One line as each started being observed and as each went.
        deadline = time.monotonic() + 20
        for p in (before, after):
            seen = "observing process %d (service): probes in %s" % (p.pid, target)
            gone = re.compile(r"process %d \(service\) exited or exec'd after \S+ "
                              r"observed: \d+ frames? and \d+ tasks? left in its "
                              r"maps, dropped" % p.pid)
            while not (seen in d.stderr() and gone.search(d.stderr())):
                self.assertLess(time.monotonic(), deadline, d.stderr())
                time.sleep(0.05)


class Discovery(adtest.ADTestCase):
    """asyncdumpd --daemon naming nothing observes every instrumented
    process of the host (observer/discover.h): those running when it
    starts, programs exec'd later, libraries dlopen'd later. Each file is
    logged as found and attached for every process; files without probes
    are not attached."""

    def wait_log(self, d, pattern, timeout=20.0):
        deadline = time.monotonic() + timeout
        while not re.search(pattern, d.stderr()):
            if time.monotonic() > deadline:
                self.fail("the daemon never logged %r:\n%s" % (pattern, d.stderr()))
            time.sleep(0.02)

    def fresh(self, name):
        """A copy of a test program at a path (and inode) never seen."""
        path = os.path.join(self.tmpdir(), name)
        shutil.copy(self.need_bin(prog(name)), path)
        return path

    def found_line(self, path, pid):
        return (r"found \d+ asyncdump probe sites in %s \(process %d\): "
                r"attached for every process" % (re.escape(path), pid))


    def test_running_before_the_daemon_and_execd_after(self):
        before_exe = self.fresh("rebuilt_0")
        before = self.start([before_exe, "wait"])
        before.ready()
        # Many processes without probes around: scanned, none attached.
        idle = [subprocess.Popen(["sleep", "600"]) for _ in range(200)]
        for q in idle:
            self.addCleanup(q.wait)
            self.addCleanup(q.kill)
        d = self.start_daemon()
        self.wait_log(d, self.found_line(before_exe, before.pid))
        m = re.search(r"discovery: read the maps of (\d+) processes and the "
                      r"notes of (\d+) files in \S+ ms: (\d+) files with "
                      r"probes attached", d.stderr())
        self.assertIsNotNone(m, d.stderr())
        self.assertGreaterEqual(int(m.group(1)), 201)
        # only our program has probes; sleep, libc and ld.so read once each
        self.assertEqual(int(m.group(3)), 1, d.stderr())
        self.assertLess(int(m.group(2)), 100, "files read more than once?")
        self.assertNotIn("/sleep", re.sub(r"notes of.*", "", d.stderr()))
        before.send()
        before.expect("LINE")
        doc = self.dump_json(d, before.pid)
        self.assertEqual(labels(doc), ["rebuilt line"])
        self.assertEqual(doc["coverage"], "partial")
        # A program never seen, exec'd after the start: found as it
        # starts; what it enters once attached is shown.
        after_exe = self.fresh("rebuilt_1")
        after = self.start([after_exe, "wait"])
        after.ready()
        self.wait_log(d, self.found_line(after_exe, after.pid))
        after.send()
        after.expect("LINE")
        doc = self.dump_json(d, after.pid)
        self.assertIn("rebuilt line", labels(doc))
        # Its next start is covered from its first instruction.
        again = self.start([after_exe, "wait"])
        again.ready()
        doc = self.dump_json(d, again.pid)
        self.assertEqual(labels(doc), ["rebuilt inner", "rebuilt outer"])
        self.assertEqual(doc["coverage"], "whole")
        self.assertEqual(d.stderr().count("probe sites in %s (" % after_exe), 1,
                         "attached again at its second start")

    def test_library_dlopened_after(self):
        lib = os.path.join(self.tmpdir(), "liblate_lib.so")
        shutil.copy(self.need_bin(prog("liblate_lib.so")), lib)
        p = self.start([prog("dlopen_late"), lib])
        p.ready()
        d = self.start_daemon()
        rc, _, err = d.dump(p.pid)
        self.assertEqual(rc, adtest.EXIT_NOT_OBSERVED, err)
        p.send()
        p.expect("OPENED")
        self.wait_log(d, self.found_line(lib, p.pid))
        p.send()
        p.expect("ENTERED")
        doc = self.dump_json(d, p.pid)
        self.assertEqual(labels(doc), ["late library frame"])
        self.assertEqual(doc["coverage"], "partial")

    def test_off_and_named(self):
        """Discovery is off when something is named (auto) or when asked;
        on when asked beside named targets."""
        exe = self.fresh("rebuilt_0")
        other = self.fresh("rebuilt_1")
        q = self.start([other, "wait"])
        q.ready()
        d = self.start_daemon(attach=[exe])
        self.assertNotIn("discovery:", d.stderr())
        rc, _, err = d.dump(q.pid)
        self.assertEqual(rc, adtest.EXIT_NOT_OBSERVED, err)
        d2 = self.start_daemon(attach=[exe], extra=["--discovery", "on"],
                               socket=os.path.join(self.tmpdir(), "s2.sock"))
        self.wait_log(d2, self.found_line(other, q.pid))


UNIT = os.path.join(adtest.ROOT, "deploy", "asyncdumpd.service")


def unit_values(key):
    """The values of a [Service] key of the unit, in order."""
    out = []
    with open(UNIT) as f:
        for line in f:
            line = line.strip()
            if line.startswith(key + "="):
                out.append(line[len(key) + 1:])
    return out


def service_with_config(test, where):
    """A copy of rebuilt_0 in where and a config file naming it."""
    target = os.path.join(where, "service")
    shutil.copy(test.need_bin(prog("rebuilt_0")), target)
    conf = os.path.join(where, "asyncdumpd.conf")
    with open(conf, "w") as f:
        f.write("[targets]\nattach = %s\n" % target)
    return target, conf


class Unit(adtest.ADTestCase):

    def notify_socket(self):
        path = os.path.join(self.tmpdir(), "notify")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(path)
        self.addCleanup(s.close)
        return s, path

    @staticmethod
    def expect_notify(s, word, timeout=120.0):
        """The notifications up to one holding word (else the test fails)."""
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                msg = s.recv(4096).decode()
            except socket.timeout:
                break
            seen.append(msg)
            if word in msg.split("\n"):
                return seen
        raise AssertionError("no %s notification; got %r" % (word, seen))

    def test_exec_start_with_the_units_capabilities_only(self):
        self.need_env()
        caps = unit_values("CapabilityBoundingSet")
        self.assertEqual(len(caps), 1)
        bounding = ",".join("+" + c[len("CAP_"):].lower() for c in caps[0].split())
        argv = shlex.split(unit_values("ExecStart")[0])
        self.assertEqual(argv, ["/usr/sbin/asyncdumpd", "--daemon",
                                "--state-dir", "/sys/fs/bpf/asyncdump"])
        # The store pinned as the unit would, in a directory of the test's
        # own (the command line's last --state-dir wins).
        state = "/sys/fs/bpf/adtest-%d-service" % os.getpid()
        self.addCleanup(shutil.rmtree, state, True)
        self.assertEqual(unit_values("Type"), ["notify"])
        where = self.tmpdir()
        target, conf = service_with_config(self, where)
        sock = os.path.join(where, "asyncdumpd.sock")
        ns, npath = self.notify_socket()
        errpath = os.path.join(where, "stderr")
        with open(errpath, "wb") as err:
            d = subprocess.Popen(
                ["setpriv", "--bounding-set=-all," + bounding, "--",
                 adtest.DAEMON] + argv[1:] + ["--config", conf, "--socket", sock,
                                              "--state-dir", state],
                stdin=subprocess.DEVNULL, stdout=err, stderr=subprocess.STDOUT,
                env=dict(os.environ, NOTIFY_SOCKET=npath))

        def log():
            with open(errpath, errors="replace") as f:
                return f.read()

        def stop():
            if d.poll() is None:
                d.kill()
                d.wait()
        self.addCleanup(stop)
        try:
            self.expect_notify(ns, "READY=1")
        except AssertionError as e:
            if d.poll() is not None:
                self.fail("the daemon under the unit's capabilities "
                          "exited %d:\n%s" % (d.returncode, log()))
            raise AssertionError("%s\n%s" % (e, log()))
        with open("/proc/%d/status" % d.pid) as f:
            bnd = [ln for ln in f if ln.startswith("CapBnd:")][0]
        self.assertNotEqual(bnd.split()[1], "000001ffffffffff", "not bounded")
        # A dump: the process's maps and memory read with these
        # capabilities only.
        p = self.start([target, "wait"])
        p.ready()
        r = subprocess.run([adtest.DAEMON, "--pid", str(p.pid), "--format", "json",
                            "--socket", sock], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr + log())
        self.assertEqual(labels(json.loads(r.stdout)), ["rebuilt inner", "rebuilt outer"])
        p.close_stdin()
        p.wait()
        # fanotify (a write detaches) and a reload.
        copy_in_place(self.need_bin(prog("rebuilt_1")), target)
        d.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while "SIGHUP: reading" not in log() or "was written to" not in log():
            self.assertLess(time.monotonic(), deadline, log())
            time.sleep(0.05)
        self.assertEqual(subprocess.run([target], timeout=20).returncode, 11)
        d.send_signal(signal.SIGTERM)
        self.expect_notify(ns, "STOPPING=1", timeout=30)
        self.assertEqual(d.wait(timeout=60), 0, log())
        self.assertIn("stopped after 1 dumps", log())
        self.assertIn("stay pinned for the next daemon", log())
        self.assertNotIn("Operation not permitted", log())


if __name__ == "__main__":
    adtest.main()
