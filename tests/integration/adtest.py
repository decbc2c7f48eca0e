# SPDX-License-Identifier: BSD-2-Clause
"""adtest - shared harness of the asyncdump integration tests.

Standard library only. Every test starts its own `asyncdumpd --daemon` on a
private socket in a temporary directory, attached to the binaries it needs,
runs the program under test, and dumps it with `asyncdumpd --pid`.

Environment (set by CMake through ctest; defaults suit a build in ./build):
  AD_DAEMON       path of asyncdumpd
  AD_DAEMON_PLAIN path of asyncdumpd built without sanitizers (default:
                  AD_DAEMON), for tests of what it does with its memory
  AD_EXAMPLES     directory of the example binaries
  AD_HEADER       directory of the header-safety binaries
  AD_PROGS        directory of the bad-input test programs
  CI=true (or ASYNCDUMP_REQUIRE_BPF=1)  a test that cannot load/attach BPF
                  FAILS instead of skipping
"""

import json
import os
import pwd
import re
import resource
import select
import shutil
import signal
import socket as socketmod
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("AD_BUILD_DIR", os.path.join(ROOT, "build"))
DAEMON = os.environ.get("AD_DAEMON", os.path.join(BUILD, "daemon", "asyncdumpd"))
# The daemon built without sanitizers (the same one in an unsanitized tree).
DAEMON_PLAIN = os.environ.get("AD_DAEMON_PLAIN", DAEMON)
EXAMPLES = os.environ.get("AD_EXAMPLES", os.path.join(BUILD, "examples"))
HEADER = os.environ.get("AD_HEADER", os.path.join(BUILD, "tests", "header"))
PROGS = os.environ.get("AD_PROGS", os.path.join(BUILD, "tests", "integration", "progs"))
IN_CI = (os.environ.get("CI", "").lower() == "true"
         or os.environ.get("ASYNCDUMP_REQUIRE_BPF") == "1")

# Exit codes of `asyncdumpd` (daemon/core/exit_codes.h).
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_NO_OBSERVER = 3
EXIT_NOT_OBSERVED = 4
EXIT_NO_PROCESS = 5
EXIT_PERMISSION = 6
EXIT_ATTACH = 7
EXIT_KERNEL = 8
EXIT_PROCS_FULL = 9

SOCKET_TIMEOUT = 60.0
READY_TIMEOUT = 20.0
DUMP_TIMEOUT = 60.0


# The fallbacks the daemon takes where a kernel lacks a feature, forced on
# a kernel that has them (daemon/kernel_features.h).
NO_OPTIONAL_FEATURES = {"ASYNCDUMP_DISABLE_FEATURES": "sleepable,task-iter-pid"}

# What `asyncdumpd --version` says an attached 5-byte nop becomes.
SITE_CALL = 0xE8
SITE_INT3 = 0xCC


def kernel_features(env=None):
    """{what: variant} from the "kernel: <what>: <variant>" lines of
    `asyncdumpd --version` (run as root)."""
    out = subprocess.run([DAEMON, "--version"], stdout=subprocess.PIPE,
                         check=True, env=dict(os.environ, **(env or {})))
    feats = {}
    for line in out.stdout.decode().splitlines()[1:]:
        assert line.startswith("kernel: "), line
        what, _, variant = line[len("kernel: "):].partition(": ")
        feats[what] = variant
    return feats


def attached_site_byte():
    """The first byte of an attached, hit 5-byte nop probe site on this
    kernel, by the daemon's own probe: a CALL where the kernel optimizes
    uprobes (Linux 6.18), an int3 elsewhere."""
    site = kernel_features()["attached probe sites"]
    if site.startswith("a call"):
        return SITE_CALL
    assert site.startswith("a breakpoint"), site
    return SITE_INT3


WALL_NS_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$"


def wall_ns_text(ns):
    """ns since the epoch as the dump writes it: RFC 3339, UTC, to the ns."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + \
        ".%09dZ" % (ns % 10**9)


def source_line(path, needle):
    """The line number of the one line of `path` containing `needle`:
    where a frame's call site must point."""
    with open(path) as f:
        hits = [i + 1 for i, ln in enumerate(f) if needle in ln]
    assert len(hits) == 1, "%r in %s: lines %r" % (needle, path, hits)
    return hits[0]


def example(name):
    return os.path.join(EXAMPLES, name)


# A python3 every user can run (the test's own may be under /root).
PYTHON = shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin") or sys.executable
SETPRIV = shutil.which("setpriv") or "/usr/bin/setpriv"


def header_bin(name):
    return os.path.join(HEADER, name)


def abi_define(name):
    """A numeric #define of include/asyncdump_abi.h: the tests' view of
    the store's sizes follows the header, never a copy of it."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                        "include", "asyncdump_abi.h")
    with open(path) as f:
        m = re.search(r"^#define %s \(?([0-9]+)u" % name, f.read(), re.M)
    assert m, name
    return int(m.group(1))


# More than the clock tick /proc counts a process's start in (USER_HZ 100).
CLOCK_TICK_S = 0.02


def prog(name):
    return os.path.join(PROGS, name)


# ---------------------------------------------------------------- trees ---

def shape(frames):
    """[(label, shape(children)), ...]: the topology of a frame list."""
    return [(f["label"], shape(f["children"])) for f in frames]


def walk(frames):
    """Every frame of a list and of their subtrees, depth first (iterative)."""
    stack = list(reversed(frames))
    while stack:
        f = stack.pop()
        yield f
        stack.extend(reversed(f["children"]))


def find_frame(frames, label):
    for f in walk(frames):
        if f["label"] == label:
            return f
    return None


def explicit_tasks(doc):
    """Tasks that have an explicit id (not a plain thread's tid:N task)."""
    return [t for t in doc["tasks"] if not t["id"].startswith("tid:")]


def task_named(doc, name):
    found = [t for t in doc["tasks"] if t["name"] == name]
    assert len(found) == 1, "expected one task named %r, tasks: %r" % (
        name, [(t["id"], t["name"]) for t in doc["tasks"]])
    return found[0]


# -------------------------------------------------------- raw protocol ---

def connect(path, timeout=10.0):
    s = socketmod.socket(socketmod.AF_UNIX, socketmod.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        s.connect(path)
    except OSError:
        s.close()
        raise
    return s


def read_all(s):
    """Everything the daemon sends until it closes (a reset after its
    answer, when it closed with our excess bytes unread, counts as close)."""
    data = bytearray()
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return bytes(data)


def unframe(data):
    """The body of a whole answer "OK 2", "D <n>" chunks, "END <total>";
    raises AssertionError for anything else (an ERR line, a cut dump)."""
    if not data.startswith(b"OK 2\n"):
        raise AssertionError("not OK: %r" % data[:200])
    pos, body = 5, b""
    while True:
        nl = data.find(b"\n", pos)
        if nl < 0:
            raise AssertionError("cut short after %d bytes" % len(body))
        head = data[pos:nl].decode(errors="replace")
        pos = nl + 1
        if head.startswith("END "):
            if int(head[4:]) != len(body):
                raise AssertionError("END %s after %d bytes" % (head, len(body)))
            return body
        if not head.startswith("D "):
            raise AssertionError("bad framing line %r" % head)
        n = int(head[2:])
        body += data[pos:pos + n]
        pos += n


def raw_dump(path, pid, timeout=30.0):
    """One JSON dump of pid over a raw connection: (seconds, document).
    Raises AssertionError unless the answer is OK 2, chunks and an END
    with the body's length."""
    t0 = time.monotonic()
    s = connect(path, timeout)
    try:
        s.sendall(b"DUMP v=2 pid=%d format=json\n" % pid)
        data = read_all(s)
    finally:
        s.close()
    elapsed = time.monotonic() - t0
    return elapsed, json.loads(unframe(data))


def proc_cpu_s(pid):
    """User plus system CPU seconds process pid has used."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------- users ---

def sh(argv, timeout=30.0):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace")


def add_user(name, cleanup):
    """A real user `name` for the test (no home, no login shell, in the
    default group); `cleanup(fn, *args)` (e.g. a class's addClassCleanup)
    is given its removal. Returns (name, uid, gid)."""
    rc, out = sh(["useradd", "-M", "-N", "-s", "/usr/sbin/nologin", name])
    if rc:
        raise RuntimeError("useradd %s: %s" % (name, out))
    cleanup(sh, ["userdel", "-f", name])
    pw = pwd.getpwnam(name)
    return name, pw.pw_uid, pw.pw_gid


def as_user(uid, gid, groups=None):
    """setpriv's argv prefix that runs a command as uid/gid (supplementary
    groups: none unless given)."""
    argv = [SETPRIV, "--reuid=%d" % uid, "--regid=%d" % gid]
    if groups:
        argv.append("--groups=" + ",".join(str(g) for g in groups))
    else:
        argv.append("--clear-groups")
    return argv


def public_copies(files, cleanup):
    """A 0755 directory holding 0755 copies of files ({name: path}), which
    every user can run (the build tree may not be reachable by them);
    `cleanup` is given its removal. Returns (directory, {name: copy})."""
    d = tempfile.mkdtemp(prefix="adpublic.")
    cleanup(shutil.rmtree, d, True)
    os.chmod(d, 0o755)
    copies = {}
    for name, src in files.items():
        dst = os.path.join(d, name)
        shutil.copy2(src, dst)
        os.chmod(dst, 0o755)
        copies[name] = dst
    return d, copies


# ------------------------------------------------------------ BPF maps ---

def bpftool_json(*args):
    r = subprocess.run(["bpftool", "-j"] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return r.returncode, r.stdout, r.stderr.decode(errors="replace")


def daemon_maps(daemon):
    """{name: map id} of the BPF maps the daemon holds open: the record
    maps are ad_<kind><slot>, the shared ones slot 0."""
    ids = set()
    fdinfo = "/proc/%d/fdinfo" % daemon.p.pid
    for fd in os.listdir(fdinfo):
        try:
            with open(os.path.join(fdinfo, fd)) as f:
                m = re.search(r"^map_id:\s+(\d+)$", f.read(), re.M)
        except OSError:
            continue
        if m:
            ids.add(int(m.group(1)))
    # One bpftool for every map of the host, not one per map: each run
    # costs a second on the emulated guest.
    rc, out, err = bpftool_json("map", "show")
    assert rc == 0, err
    return {m["name"]: m["id"] for m in json.loads(out) if m["id"] in ids}


# ------------------------------------------------------------ processes ---

class Proc:
    """A program under test: stdin/stdout pipes, READY lines, always reaped."""

    def __init__(self, argv, env=None):
        self.argv = list(argv)
        self.p = subprocess.Popen(self.argv, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=env)
        self.pid = self.p.pid
        self._buf = b""

    def readline(self, timeout=READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        fd = self.p.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("%s: no output line within %.0fs (got %r)"
                                     % (self.argv[0], timeout, self._buf))
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    err = self.p.stderr.read().decode(errors="replace")
                    raise AssertionError("%s exited (rc %s) before a line; "
                                         "stderr: %s" % (self.argv[0], self.p.wait(), err))
                self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line.decode()

    def expect(self, word, timeout=READY_TIMEOUT):
        """Read a line starting with `word`; return its other words."""
        line = self.readline(timeout)
        parts = line.split()
        assert parts and parts[0] == word, "%s: expected %s, got %r" % (
            self.argv[0], word, line)
        return parts[1:]

    def ready(self, timeout=READY_TIMEOUT):
        rest = self.expect("READY", timeout)
        assert int(rest[0]) == self.pid, "READY pid %s != %d" % (rest[0], self.pid)
        return rest[1:]

    def send(self, line="go"):
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()

    def close_stdin(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass

    def wait(self, timeout=20):
        return self.p.wait(timeout=timeout)

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for f in (self.p.stdin, self.p.stdout, self.p.stderr):
            try:
                f.close()
            except OSError:
                pass


class Daemon:
    """`asyncdumpd --daemon` on a private socket, attached to `attach`.

    `socket` overrides the socket path (default: in the private directory);
    `daemon` the binary (default DAEMON); `env` adds to its environment
    (e.g. ASYNCDUMP_DISABLE_FEATURES); `nofile` (soft, hard) is the limit
    on open files it starts with."""

    def __init__(self, attach=(), attach_pids=(), extra=(), socket=None, daemon=None,
                 env=None, nofile=None):
        self.dir = tempfile.mkdtemp(prefix="adtest.")
        self.socket = socket or os.path.join(self.dir, "asyncdumpd.sock")
        self.errpath = os.path.join(self.dir, "daemon.stderr")
        argv = [daemon or DAEMON, "--daemon", "--socket", self.socket]
        for path in attach:
            argv += ["--attach", path]
        for pid in attach_pids:
            argv += ["--attach-pid", str(pid)]
        argv += list(extra)
        self.argv = argv
        self.err = open(self.errpath, "wb")

        def limits():
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, nofile)
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                  stdout=self.err, stderr=subprocess.STDOUT,
                                  env=dict(os.environ, **(env or {})),
                                  preexec_fn=limits if nofile else None)

    def stderr(self):
        try:
            with open(self.errpath, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def wait_ready(self, timeout=SOCKET_TIMEOUT):
        """Returns None once the socket exists, else an error message."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(self.socket):
                return None
            rc = self.p.poll()
            if rc is not None:
                return "asyncdumpd --daemon exited with %d before creating its " \
                       "socket:\n%s" % (rc, self.stderr())
            time.sleep(0.02)
        return "asyncdumpd --daemon made no socket within %.0fs:\n%s" % (
            timeout, self.stderr())

    def dump(self, pid, fmt="json", verbose=False, stuck_after=None, extra=()):
        argv = [DAEMON, "--pid", str(pid), "--format", fmt, "--socket", self.socket]
        if verbose:
            argv.append("--verbose")
        if stuck_after:
            argv += ["--stuck-after", stuck_after]
        argv += list(extra)
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=DUMP_TIMEOUT)
        return r.returncode, r.stdout.decode(errors="replace"), \
            r.stderr.decode(errors="replace")

    def stop(self):
        """SIGTERM; returns the exit code (killed after 10 s)."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.err.close()
        return self.p.returncode

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class ADTestCase(unittest.TestCase):
    """Base class: daemons and programs are torn down after each test."""

    maxDiff = None

    def unavailable(self, why):
        """Cannot test: fail in CI, skip elsewhere."""
        if IN_CI:
            self.fail("CI=true and " + why)
        self.skipTest(why)

    def need_env(self):
        if os.geteuid() != 0:
            self.unavailable("not root: BPF and USDT attach need root")
        if not os.access(DAEMON, os.X_OK):
            self.unavailable("asyncdumpd not built at %s" % DAEMON)

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="adtest.")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def need_bin(self, path):
        self.assertTrue(os.access(path, os.X_OK), "not built: %s" % path)
        return path

    def start_daemon(self, attach=(), attach_pids=(), extra=(), socket=None, env=None,
                     nofile=None):
        self.need_env()
        for path in attach:
            self.assertTrue(os.path.exists(path), "not built: %s" % path)
        d = Daemon(attach, attach_pids, extra, socket, env=env, nofile=nofile)
        self.addCleanup(d.cleanup)
        err = d.wait_ready()
        if err:
            # Could not load or attach BPF: never a silent pass.
            self.unavailable(err)
        # /proc gives a process's start in clock ticks (10 ms), rounded
        # down: a program started within a tick of the attach would show
        # as started before it (coverage partial, its tops uncertain).
        # Every program a test starts from here on starts a tick later.
        time.sleep(CLOCK_TICK_S)
        return d

    def start(self, argv, env=None):
        self.need_bin(argv[0])
        p = Proc(argv, env)
        self.addCleanup(p.kill)
        return p

    def dump_json(self, d, pid, **kw):
        rc, out, err = d.dump(pid, "json", **kw)
        self.assertEqual(rc, EXIT_OK, "dump of %d failed (rc %d): %s\ndaemon:\n%s"
                         % (pid, rc, err, d.stderr()))
        try:
            doc = json.loads(out)
        except ValueError as e:
            self.fail("dump is not JSON (%s): %r" % (e, out[:2000]))
        self.check_doc(doc, pid)
        return doc

    def dump_text(self, d, pid, **kw):
        rc, out, err = d.dump(pid, "text", **kw)
        self.assertEqual(rc, EXIT_OK, "text dump of %d failed (rc %d): %s"
                         % (pid, rc, err))
        self.assertNotIn("\x1b", out, "raw escape sent to the terminal")
        return out

    def check_doc(self, doc, pid):
        """The schema every dump must follow (README "JSON")."""
        for key in ("pid", "comm", "own_maps", "observed_since_ns", "now_ns",
                    "observed_since", "now", "coverage", "forked", "process_started_ns",
                    "attached_ns", "lost", "tasks"):
            self.assertIn(key, doc, "top-level key %s missing" % key)
        self.assertEqual(doc["pid"], pid)
        self.assertIsInstance(doc["lost"], dict)
        for name in ("frames_full", "tasks_full", "strings_full",
                     "label_unreadable", "exit_unknown", "task_exit_unknown",
                     "poll_end_unknown", "move_unknown", "parent_unknown",
                     "threads_full", "maps_gone", "share_full",
                     "undispatched"):
            self.assertIn(name, doc["lost"], "lost counter %s missing" % name)
        self.assertLessEqual(doc["observed_since_ns"], doc["now_ns"])
        self.assertIn(doc["coverage"], ("whole", "partial", "unknown"))
        if doc["coverage"] != "unknown":
            self.assertIsInstance(doc["process_started_ns"], int)
            self.assertIsInstance(doc["attached_ns"], int)
        # wall clock times also as strings, to the ns (53-bit parsers)
        self.assertEqual(doc["now"], wall_ns_text(doc["now_ns"]))
        self.assertEqual(doc["observed_since"], wall_ns_text(doc["observed_since_ns"]))
        for t in doc["tasks"]:
            for key in ("id", "name", "parent", "parent_frame", "state", "tid",
                        "age_ns", "spawned", "current_unknown", "frames",
                        "detached", "deepest"):
                self.assertIn(key, t, "task key %s missing in %r" % (key, t.get("id")))
            self.assertIn(t["state"], ("running", "idle", "unknown"))
            self.assertRegex(t["spawned"], WALL_NS_RE)
            self.check_deepest(t)
            self.assertRegex(t["id"], r"^(0x[0-9a-f]+|tid:[0-9]+)$")
            for f in walk(t["frames"] + t["detached"]):
                for key in ("id", "label", "label_truncated", "file", "line",
                            "function", "age_ns", "verbose", "long_running",
                            "stuck", "current", "uncertain", "children"):
                    self.assertIn(key, f, "frame key %s missing" % key)
                self.assertRegex(f["id"], r"^0x[0-9a-f]+$")
            for f in t["detached"]:
                self.assertIn("reason", f)

    def check_deepest(self, t):
        """"deepest": the first frame (depth first, top-level frames then
        detached ones) at the task's greatest depth, or null."""
        best = None
        stack = [(f, 0) for f in reversed(t["frames"] + t["detached"])]
        while stack:
            f, level = stack.pop()
            if best is None or level > best[1]:
                best = (f, level)
            stack.extend((k, level + 1) for k in reversed(f["children"]))
        if best is None:
            self.assertIsNone(t["deepest"])
        else:
            self.assertEqual(t["deepest"], {"id": best[0]["id"],
                                            "label": best[0]["label"],
                                            "depth": best[1]})

    def assert_no_losses(self, doc, *except_names):
        """A correct program loses nothing and is told it lost nothing."""
        lost = {k: v for k, v in doc["lost"].items()
                if v and k not in except_names}
        hint = ""
        if "label_unreadable" in lost:
            shown = [f for t in doc["tasks"] for f in walk(t["frames"] + t["detached"])]
            if not any(f.get("label_unreadable") for f in shown):
                hint = (" (every label is shown correctly: BPF could not copy a "
                        "_DYN string from a page not yet resident, typically a "
                        "literal in .rodata, and counted it as a loss)")
        self.assertEqual(lost, {}, "unexpected losses" + hint)


# Set by tests/vm/guest_run.py: the tests run again on Debian 12's 6.1
# booted under qemu (scripts/kernel-vm.sh), after the same CI run ran them
# all on the host.
ON_GUEST = os.environ.get("AD_ON_GUEST") == "1"


def host_only(reason):
    """Marks a test whose subject is user space alone (the server's socket,
    lock, protocol, memory or clients; no BPF program, map or probe behaves
    differently on another kernel): it runs on the host, and is not run
    again on the emulated 6.1 guest, where each test costs minutes. The
    guest's log names every test left out and why."""
    def mark(f):
        f.ad_host_only = reason
        return f
    return mark


class _Loader(unittest.TestLoader):
    """On the guest, leaves out the tests marked host_only, saying so."""

    def getTestCaseNames(self, testCaseClass):
        names = super().getTestCaseNames(testCaseClass)
        if not ON_GUEST:
            return names
        keep = []
        for name in names:
            why = getattr(getattr(testCaseClass, name), "ad_host_only", None)
            if why:
                print("host only, not run on this kernel: %s.%s (%s)"
                      % (testCaseClass.__name__, name, why), flush=True)
            else:
                keep.append(name)
        return keep


class _TimedResult(unittest.TextTestResult):
    """Prints each test's duration after its verdict, so the slow ones of a
    run (on the 6.1 guest above all) can be found from its log."""

    def startTest(self, test):
        self._started = time.monotonic()
        super().startTest(test)

    def stopTest(self, test):
        super().stopTest(test)
        self.stream.writeln("    (%.1f s)" % (time.monotonic() - self._started))
        self.stream.flush()


def main():
    runner = unittest.TextTestRunner(verbosity=2, resultclass=_TimedResult)
    unittest.main(module="__main__", testRunner=runner, testLoader=_Loader())


if __name__ == "__main__":
    sys.exit("import this module from a test file")


class EnvUnavailable(Exception):
    """The shared daemon could not start (no BPF): the tests are unavailable."""


class SharedEnvCase(ADTestCase):
    """Tests sharing one environment (users, copies, a daemon) that the
    class's make_env() builds at the first test and registers for undoing
    with addClassCleanup. EnvUnavailable from it makes every test
    unavailable (a failure in CI); anything else is a failure. Each test
    gets self.env and self.d (env["daemon"], checked alive)."""
    _env = None       # class-wide
    _env_err = None   # EnvUnavailable's message
    _env_fail = None  # any other failure's

    @classmethod
    def make_env(cls):
        raise NotImplementedError

    def setUp(self):
        self.need_env()
        cls = type(self)
        if cls._env is None and cls._env_err is None and cls._env_fail is None:
            try:
                cls._env = cls.make_env()
            except EnvUnavailable as e:
                cls._env_err = str(e)
            except Exception as e:  # noqa: BLE001 - reported by every test
                cls._env_fail = "setting up users and files failed: %r" % e
        if cls._env_fail:
            self.fail(cls._env_fail)
        if cls._env_err:
            self.unavailable(cls._env_err)
        self.env = cls._env
        self.d = self.env["daemon"]
        self.assertIsNone(self.d.p.poll(), "daemon died:\n%s" % self.d.stderr())
