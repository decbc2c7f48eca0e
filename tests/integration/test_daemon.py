#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""The daemon itself (issue 2, section 3; README "The CLI"): its socket,
signals, attach failures, command line, permissions, malformed requests,
the wire protocol and dumps of processes that are exiting or gone. How the
server bounds each client (concurrency, per-uid limits, hostile clients,
file descriptors) is test_bounds.py."""

import fcntl
import json
import os
import re
import shutil
import signal
import socket as socketmod
import stat
import subprocess
import sys
import tempfile
import termios
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adtest  # noqa: E402
from adtest import (DAEMON, EXIT_OK, EXIT_FAILURE, EXIT_USAGE,  # noqa: E402
                    EXIT_NO_OBSERVER, EXIT_NOT_OBSERVED, EXIT_NO_PROCESS,
                    EXIT_PERMISSION, EXIT_ATTACH, connect, prog, read_all)

F_GETPIPE_SZ = getattr(fcntl, "F_GETPIPE_SZ", 1032)
DOCUMENTED_EXITS = range(0, 9)
NOBODY = 65534
# A loose bound on what must fail fast; nothing here asserts tight timings.
FAST_FAIL = 10.0
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:",
                   "UndefinedBehaviorSanitizer")


def observed_prog():
    """A probe-hitting program that prints READY and waits for EOF."""
    return prog("task_exit_open")


def run(argv, timeout=FAST_FAIL, env=None, user=None):
    """Runs argv (as uid/gid `user` if given); returns rc, stdout, stderr."""
    if user is not None:
        argv = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user,
                "--clear-groups"] + list(argv)
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout, env=env)
    return r.returncode, r.stdout.decode(errors="replace"), \
        r.stderr.decode(errors="replace")


def cli_env(sock="/nonexistent/asyncdump-test.sock"):
    env = dict(os.environ)
    env["ASYNCDUMP_SOCKET"] = sock
    return env


def is_live(path):
    try:
        connect(path, 2.0).close()  # an empty connection: a liveness check
        return True
    except OSError:
        return False


def proc_state(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def project_version():
    with open(os.path.join(adtest.ROOT, "CMakeLists.txt")) as f:
        m = re.search(r"project\(\s*asyncdump\s+VERSION\s+([0-9][0-9.]*)", f.read())
    assert m, "no project VERSION in CMakeLists.txt"
    return m.group(1)


def readme_cli():
    """Options and exit codes listed in the README's CLI tables."""
    with open(os.path.join(adtest.ROOT, "README.md")) as f:
        text = f.read()
    opts = set(re.findall(r"^\| `(--[a-z][a-z-]*)", text, re.M))
    codes = {int(c) for c in re.findall(r"^\| (\d) \|", text, re.M)}
    return opts, codes


class DaemonTest(adtest.ADTestCase):

    # Stopping a daemon takes seconds (the kernel detaches its uprobes), so
    # the tests that only need "a serving daemon" share one, started on
    # first use and checked when the class ends (exit 0, socket removed,
    # no sanitizer report). Each such test ends by checking it still serves.
    _shared = None
    _shared_err = None

    @classmethod
    def tearDownClass(cls):
        d, cls._shared = cls._shared, None
        if d is None:
            return
        rc = d.stop()
        log = d.stderr()
        left = os.path.lexists(d.socket)
        shutil.rmtree(d.dir, ignore_errors=True)
        marks = [m for m in SANITIZER_MARKS if m in log]
        if rc != EXIT_OK or left or marks:
            raise AssertionError("shared daemon: exit %s, socket left %s, "
                                 "sanitizer %s; log:\n%s" % (rc, left, marks, log))

    def shared_daemon(self):
        cls = type(self)
        if cls._shared is None and cls._shared_err is None:
            self.need_env()
            d = adtest.Daemon([self.need_bin(observed_prog()),
                               self.need_bin(prog("many_frames"))])
            err = d.wait_ready()
            if err:
                d.cleanup()
                cls._shared_err = err
            else:
                cls._shared = d
        if cls._shared_err:
            self.unavailable(cls._shared_err)
        d = cls._shared
        self.assertIsNone(d.p.poll(), "the shared daemon died (rc %s):\n%s"
                          % (d.p.returncode, d.stderr()))
        self.wait_live(d)
        return d

    # ------------------------------------------------------------ helpers

    def one_line_error(self, err, *must_contain):
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, "not one line on stderr: %r" % err)
        self.assertTrue(lines[0].startswith("asyncdumpd: "), lines[0])
        for word in must_contain:
            self.assertIn(str(word), lines[0])
        return lines[0]

    def wait_live(self, d, timeout=adtest.SOCKET_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if is_live(d.socket):
                return
            if d.p.poll() is not None:
                self.unavailable("asyncdumpd --daemon exited with %d before "
                                 "serving:\n%s" % (d.p.returncode, d.stderr()))
            time.sleep(0.02)
        self.unavailable("asyncdumpd --daemon does not serve on %s within "
                         "%.0fs:\n%s" % (d.socket, timeout, d.stderr()))

    def live_daemon_with(self, path):
        """A daemon of this test's own attached to `path`, room for
        64k frames in one process, serving."""
        d = self.start_daemon(attach=[self.need_bin(path)],
                              extra=["--max-frames", "131072"])
        self.wait_live(d)
        return d

    def live_daemon(self, socket=None, extra=()):
        d = self.start_daemon(attach=[self.need_bin(observed_prog())],
                              extra=extra, socket=socket)
        self.wait_live(d)
        return d

    def observed(self):
        p = self.start([observed_prog()])
        p.ready()
        return p

    def assert_serving(self, d, what):
        """The daemon is alive and another dump succeeds."""
        self.assertIsNone(d.p.poll(), "daemon died %s (rc %s):\n%s"
                          % (what, d.p.returncode, d.stderr()))
        p = self.observed()
        doc = self.dump_json(d, p.pid)
        self.assertEqual(adtest.shape(adtest.task_named(doc, "b")["frames"]),
                         [("b1", [])])

    def assert_clean_log(self, d):
        log = d.stderr()
        for mark in SANITIZER_MARKS:
            self.assertNotIn(mark, log, "sanitizer report in the daemon's log")

    def stop_clean(self, d, sig=signal.SIGTERM):
        """Stops d with sig: exit 0, socket gone, no sanitizer report."""
        d.p.send_signal(sig)
        try:
            rc = d.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            d.p.kill()
            d.p.wait()
            self.fail("daemon ignored %s:\n%s" % (sig.name, d.stderr()))
        self.assertEqual(rc, EXIT_OK, "%s: exit %d\n%s" % (sig.name, rc, d.stderr()))
        self.assertFalse(os.path.lexists(d.socket),
                         "socket left behind after %s" % sig.name)
        self.assert_clean_log(d)

    def daemon_fails(self, args, sock, timeout=adtest.SOCKET_TIMEOUT, env=None):
        """Runs a daemon that must fail; returns rc, stderr."""
        self.need_env()
        rc, out, err = run([DAEMON, "--daemon", "--socket", sock] + list(args),
                           timeout=timeout, env=env)
        self.assertNotEqual(rc, EXIT_OK, "daemon %r did not fail:\n%s" % (args, err))
        for mark in SANITIZER_MARKS:
            self.assertNotIn(mark, err)
        return rc, err

    # ------------------------------------------------------------- socket

    def test_socket_created_after_attach_0666_dir_made(self):
        """The socket appears only once the probes are attached, is 0666
        (every request is authorized on its own: test_access.py) even under
        umask 0, and its missing directories are created 0755."""
        self.need_env()
        top = self.tmpdir()
        sock = os.path.join(top, "run", "asyncdump", "asyncdumpd.sock")
        exe = self.need_bin(observed_prog())
        old = os.umask(0)  # the daemon must not depend on a sane umask
        try:
            d = adtest.Daemon([exe], socket=sock)
        finally:
            os.umask(old)
        self.addCleanup(d.cleanup)
        err = d.wait_ready()
        if err:
            self.unavailable(err)
        # At the moment the socket exists, the attach has been logged.
        self.assertIn(exe, d.stderr(), "socket created before the attach")
        st = os.lstat(sock)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o666, oct(st.st_mode))
        self.assertEqual((st.st_uid, st.st_gid), (0, 0))
        for dirname in (os.path.join(top, "run"), os.path.dirname(sock)):
            dst = os.stat(dirname)
            self.assertTrue(stat.S_ISDIR(dst.st_mode))
            self.assertEqual(stat.S_IMODE(dst.st_mode), 0o755, dirname)
        self.wait_live(d)
        self.assert_serving(d, "after start")
        self.stop_clean(d)

    def test_no_socket_when_an_attach_fails(self):
        """A good --attach then a bad one: exit 7, no socket (only the
        lock file, taken before attaching, stays beside where it would be),
        and the next daemon starts."""
        top = self.tmpdir()
        sock = os.path.join(top, "sub", "asyncdumpd.sock")
        missing = os.path.join(top, "missing-binary")
        rc, err = self.daemon_fails(["--attach", self.need_bin(observed_prog()),
                                     "--attach", missing], sock)
        self.assertEqual(rc, EXIT_ATTACH, err)
        self.assertIn(missing, err)
        self.assertFalse(os.path.lexists(sock), "socket made though attach failed")
        self.assertEqual(sorted(os.listdir(os.path.dirname(sock))),
                         ["asyncdumpd.sock.lock"])
        d = self.live_daemon(socket=sock)
        self.assert_serving(d, "after a failed attach")
        self.stop_clean(d)

    @adtest.host_only("the socket file and its replacement")
    def test_stale_socket_is_replaced(self):
        """A SIGKILLed daemon leaves its socket; the next one replaces it."""
        sock = os.path.join(self.tmpdir(), "asyncdumpd.sock")
        d1 = self.live_daemon(socket=sock)
        d1.p.kill()
        d1.p.wait()
        self.assertTrue(stat.S_ISSOCK(os.lstat(sock).st_mode),
                        "expected the killed daemon's socket to remain")
        self.assertFalse(is_live(sock))
        p = self.observed()
        rc, _, err = d1.dump(p.pid)
        self.assertEqual(rc, EXIT_NO_OBSERVER, err)
        self.one_line_error(err, sock)

        d2 = self.live_daemon(socket=sock)
        st = os.lstat(sock)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o666)
        self.assert_serving(d2, "after replacing a stale socket")
        self.stop_clean(d2)

    @adtest.host_only("the lock file beside the socket")
    def test_two_daemons_racing_for_a_stale_socket(self):
        """Two daemons started together on a stale socket: exactly one
        serves, the other fails with one line, and the survivor's socket is
        never unlinked by the loser (the lock beside the socket)."""
        sock = os.path.join(self.tmpdir(), "asyncdumpd.sock")
        d0 = self.live_daemon(socket=sock)
        d0.p.kill()
        d0.p.wait()
        self.assertFalse(is_live(sock))
        attach = [self.need_bin(observed_prog())]
        a = self.start_daemon(attach=attach, socket=sock)
        b = self.start_daemon(attach=attach, socket=sock)
        deadline = time.monotonic() + FAST_FAIL * 2
        while a.p.poll() is None and b.p.poll() is None:
            self.assertLess(time.monotonic(), deadline,
                            "neither racing daemon gave way:\n%s\n%s"
                            % (a.stderr(), b.stderr()))
            time.sleep(0.02)
        loser, winner = (a, b) if a.p.poll() is not None else (b, a)
        loser_rc = loser.p.wait()
        self.assertEqual(loser_rc, EXIT_FAILURE, loser.stderr())
        self.assertIn("another asyncdumpd", loser.stderr().strip().splitlines()[-1])
        # The lock is taken before attaching: the loser had no probe to
        # detach (seconds on a slow machine) before giving way.
        self.assertNotRegex(loser.stderr(), r"attached \d+ probe sites")
        self.wait_live(winner)
        self.assert_serving(winner, "after winning the race for the socket")
        self.stop_clean(winner)

    @adtest.host_only("the socket check before loading")
    def test_second_daemon_on_live_socket(self):
        """A second daemon on a live socket fails fast, with one line and a
        documented code, and the first one keeps serving on its socket."""
        d1 = self.live_daemon()
        ino = os.lstat(d1.socket).st_ino
        t0 = time.monotonic()
        rc, err = self.daemon_fails(["--attach", observed_prog()], d1.socket,
                                    timeout=FAST_FAIL)
        elapsed = time.monotonic() - t0
        self.assertIn(rc, DOCUMENTED_EXITS, err)
        self.assertEqual(rc, EXIT_FAILURE, err)
        # One line: it stopped before loading BPF (which logs a line).
        line = self.one_line_error(err, d1.socket)
        self.assertIn("another asyncdumpd", line)
        self.assertLess(elapsed, FAST_FAIL)
        self.assertEqual(os.lstat(d1.socket).st_ino, ino,
                         "the first daemon's socket was replaced")
        self.assert_serving(d1, "after a second daemon tried its socket")
        self.stop_clean(d1)

    @adtest.host_only("the socket path")
    def test_path_is_not_a_socket(self):
        """A regular file at the socket path is never removed."""
        path = os.path.join(self.tmpdir(), "not-a-socket")
        with open(path, "w") as f:
            f.write("precious\n")
        rc, err = self.daemon_fails(["--attach", self.need_bin(observed_prog())],
                                    path)
        self.assertIn(rc, DOCUMENTED_EXITS, err)
        self.assertIn(path, err.splitlines()[-1])
        with open(path) as f:
            self.assertEqual(f.read(), "precious\n")

    # ------------------------------------------------------------ signals

    def test_sigterm_and_sigint_exit_0_and_remove_the_socket(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(signal=sig.name):
                d = self.live_daemon()
                p = self.observed()
                self.dump_json(d, p.pid)
                self.stop_clean(d, sig)
                rc, _, err = d.dump(p.pid)
                self.assertEqual(rc, EXIT_NO_OBSERVER, err)
                self.one_line_error(err, "--daemon")

    def test_sigterm_during_startup_leaves_no_socket(self):
        """SIGTERM while loading or attaching: a clean exit, no socket."""
        self.need_env()
        sock = os.path.join(self.tmpdir(), "asyncdumpd.sock")
        for delay in (0.0, 0.03):
            with self.subTest(delay=delay):
                d = adtest.Daemon([self.need_bin(observed_prog())], socket=sock)
                self.addCleanup(d.cleanup)
                time.sleep(delay)
                d.p.send_signal(signal.SIGTERM)
                rc = d.p.wait(timeout=20)
                # before main() blocks the signal it is simply fatal
                self.assertIn(rc, (EXIT_OK, -signal.SIGTERM), d.stderr())
                self.assertFalse(os.path.lexists(sock), "socket left behind")
                self.assert_clean_log(d)

    def test_sighup_is_logged_and_ignored(self):
        d = self.shared_daemon()
        for _ in range(2):
            d.p.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 10
            while "SIGHUP" not in d.stderr() and time.monotonic() < deadline:
                time.sleep(0.05)
        self.assertIn("SIGHUP", d.stderr(), "SIGHUP not logged")
        self.assertTrue(os.path.exists(d.socket))
        self.assert_serving(d, "after SIGHUP")

    # ------------------------------------------------------ attach errors

    def test_attach_failures_exit_7_naming_the_path(self):
        top = self.tmpdir()
        noprobes = os.path.join(top, "noprobes")
        shutil.copy2("/bin/true", noprobes)      # an ELF without asyncdump probes
        notelf = os.path.join(top, "notelf")
        with open(notelf, "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(notelf, 0o755)
        missing = os.path.join(top, "missing")
        sock = os.path.join(top, "s", "asyncdumpd.sock")
        for path in (noprobes, notelf, missing, top):
            with self.subTest(path=path):
                rc, err = self.daemon_fails(["--attach", path], sock)
                self.assertEqual(rc, EXIT_ATTACH, err)
                last = err.splitlines()[-1]
                self.assertIn(path, last)
                self.assertFalse(os.path.lexists(sock))

    def test_attach_failure_says_which_probe_and_why(self):
        """A probe note the header never writes (an argument that is no
        register): the object is refused whole, and the message names the
        probe, its argument and what to do."""
        exe = self.need_bin(prog("bad_note"))
        sock = os.path.join(self.tmpdir(), "s", "asyncdumpd.sock")
        rc, err = self.daemon_fails(["--attach", exe], sock)
        self.assertEqual(rc, EXIT_ATTACH, err)
        last = err.splitlines()[-1]
        self.assertIn(exe, last)
        self.assertIn("asyncdump:exit", last)
        self.assertIn('"-8@(%rdx,%rsi,8)" is not a 64-bit register', last)
        self.assertIn("1 of 1 probe sites", last)
        self.assertIn("usdt/asyncdump.h", last)
        self.assertFalse(os.path.lexists(sock))

    def test_attach_pid_of_no_process(self):
        pid = unused_pid()
        sock = os.path.join(self.tmpdir(), "asyncdumpd.sock")
        rc, err = self.daemon_fails(["--attach-pid", str(pid)], sock)
        self.assertEqual(rc, EXIT_ATTACH, err)
        last = err.splitlines()[-1]
        self.assertIn(str(pid), last)
        self.assertIn("no such process", last.lower())
        self.assertFalse(os.path.lexists(sock))

    # ------------------------------------------------------- command line

    @adtest.host_only("the command line")
    def test_usage_errors_exit_2(self):
        exe = observed_prog()
        cases = [
            ("no mode", []),
            ("no mode, only a dump option", ["--format", "json"]),
            ("both modes", ["--daemon", "--attach", exe, "--pid", "1"]),
            ("unknown option", ["--pid", "1", "--bogus"]),
            ("short option", ["-p", "1"]),
            ("stray argument", ["--pid", "1", "extra"]),
            ("--stuck-after without a unit", ["--pid", "1", "--stuck-after", "10"]),
            ("--stuck-after not a number", ["--pid", "1", "--stuck-after", "abc"]),
            ("--stuck-after negative", ["--pid", "1", "--stuck-after", "-1s"]),
            ("--stuck-after unknown unit", ["--pid", "1", "--stuck-after", "5d"]),
            ("--format unknown", ["--pid", "1", "--format", "xml"]),
            ("--format missing value", ["--pid", "1", "--format"]),
            ("--pid not a number", ["--pid", "abc"]),
            ("--pid zero", ["--pid", "0"]),
            ("--pid twice", ["--pid", "1", "--pid", "2"]),
            ("--daemon with nothing to observe", ["--daemon", "--config", "/dev/null",
                                                  "--discovery", "off"]),
            ("--discovery unknown", ["--daemon", "--discovery", "maybe"]),
            ("daemon option with --pid", ["--pid", "1", "--attach", exe]),
            ("dump option with --daemon", ["--daemon", "--attach", exe,
                                           "--format", "json"]),
            ("--label-max too small", ["--daemon", "--attach", exe,
                                       "--label-max", "1"]),
        ]
        for why, args in cases:
            with self.subTest(why, args=args):
                rc, out, err = run([DAEMON] + args, env=cli_env())
                self.assertEqual(rc, EXIT_USAGE, "%r: %s" % (args, err))
                self.assertEqual(out, "")
                self.one_line_error(err, "--help")

    @adtest.host_only("the command line")
    def test_help_lists_every_option_and_exit_code(self):
        rc, out, err = run([DAEMON, "--help"], env=cli_env())
        self.assertEqual(rc, EXIT_OK, err)
        self.assertEqual(err, "")
        readme_opts, readme_codes = readme_cli()
        opts = {"--daemon", "--attach", "--attach-pid", "--socket",
                "--max-frames", "--max-tasks", "--max-procs", "--label-max",
                "--pid", "--format", "--verbose", "--stuck-after", "--help",
                "--version"} | readme_opts
        for opt in sorted(opts):
            self.assertRegex(out, r"(?m)^\s+%s\b" % re.escape(opt),
                             "--help does not describe %s" % opt)
        codes = set(DOCUMENTED_EXITS) | readme_codes
        for code in sorted(codes):
            self.assertRegex(out, r"(?m)^\s+%d\s+\S" % code,
                             "--help does not list exit code %d" % code)
        # --help wins over everything else, even a bad command line
        rc2, out2, _ = run([DAEMON, "--daemon", "--pid", "1", "--help"],
                           env=cli_env())
        self.assertEqual((rc2, out2), (EXIT_OK, out))

    def test_version(self):
        rc, out, err = run([DAEMON, "--version"], env=cli_env())
        self.assertEqual(rc, EXIT_OK, err)
        lines = out.splitlines()
        self.assertEqual(lines[0], "asyncdumpd %s" % project_version())
        # as root: what the kernel lets the daemon do, one line each
        # (test_kernel.py checks what they say)
        self.assertEqual(len(lines), 4, out)
        for ln in lines[1:]:
            self.assertRegex(ln, r"^kernel: [^:]+: \S")
        self.assertEqual(err, "")

    # -------------------------------------------------------- permissions

    def test_unprivileged_client_exit_6(self):
        """nobody may connect, but not dump root's process: exit 6, one
        line saying why (test_access.py tests every rule)."""
        d = self.shared_daemon()
        p = self.observed()
        # The socket's directory is traversable; the binary is copied
        # where nobody can run it.
        os.chmod(d.dir, 0o755)
        exe = os.path.join(d.dir, "asyncdumpd")
        shutil.copy2(DAEMON, exe)
        os.chmod(exe, 0o755)
        rc, out, err = run([exe, "--pid", str(p.pid), "--socket", d.socket],
                           user=NOBODY)
        self.assertEqual(rc, EXIT_PERMISSION, err)
        self.assertEqual(out, "")
        self.one_line_error(err, "not allowed to dump pid %d" % p.pid,
                            "owned by uid 0; you are uid %d" % NOBODY, "root")
        self.assert_serving(d, "after an unprivileged client")

    def test_unprivileged_daemon_exit_6(self):
        self.need_env()
        top = self.tmpdir()
        os.chmod(top, 0o777)
        exe = os.path.join(top, "asyncdumpd")
        shutil.copy2(DAEMON, exe)
        os.chmod(exe, 0o755)
        sock = os.path.join(top, "s", "asyncdumpd.sock")
        rc, out, err = run([exe, "--daemon", "--attach", observed_prog(),
                            "--socket", sock], user=NOBODY)
        self.assertEqual(rc, EXIT_PERMISSION, err)
        self.assertIn("root", err.splitlines()[-1])
        self.assertFalse(os.path.lexists(sock))

    # ---------------------------------------------------- hostile clients

    @adtest.host_only("the request parser")
    def test_malformed_requests_get_err_2(self):
        d = self.shared_daemon()
        p = self.observed()
        requests = [
            b"HELLO\n",
            b"DUMP\n",
            b"DUMP pid=abc format=json\n",
            b"DUMP pid=%d format=xml\n" % p.pid,
            b"DUMP pid=%d pid=%d\n" % (p.pid, p.pid),
            b"DUMP pid=%d colour=red\n" % p.pid,
            b"DUMP pid=-1\n",
            b"DUMP pid=%d\n" % p.pid,           # no protocol version
            b"DUMP v=1 pid=%d\n" % p.pid,       # another version
            b"DUMP v=2 pid=%d format=js\xc2\x9bn\n" % p.pid,  # non-ASCII
            b"\x00\xff\xfe\x1b[2J garbage\n",
            b"A" * 4096,                        # too long, no newline
            b"DUMP pid=%d" % p.pid,              # no newline, then EOF
        ]
        for req in requests:
            with self.subTest(request=req[:40]):
                s = connect(d.socket)
                try:
                    s.sendall(req)
                    if not req.endswith(b"\n"):
                        s.shutdown(socketmod.SHUT_WR)
                    answer = read_all(s)
                finally:
                    s.close()
                text = answer.decode(errors="replace")
                self.assertTrue(text.startswith("ERR 2 "), repr(text))
                self.assertEqual(text.count("\n"), 1, repr(text))
                self.assertTrue(text.endswith("\n"), repr(text))
                self.assertIsNone(d.p.poll(), d.stderr())
        self.assert_serving(d, "after malformed requests")

    # ------------------------------------------------- the wire protocol

    def test_dump_is_framed_and_ends_with_its_length(self):
        """OK 2, data chunks, END with the body's length: a client can
        tell a whole dump from a cut one."""
        d = self.shared_daemon()
        p = self.observed()
        s = connect(d.socket)
        try:
            s.sendall(b"DUMP v=2 pid=%d format=json\n" % p.pid)
            data = read_all(s)
        finally:
            s.close()
        self.assertTrue(data.startswith(b"OK 2\n"), data[:40])
        pos, body, chunks = 5, b"", 0
        while True:
            nl = data.index(b"\n", pos)
            head = data[pos:nl].decode()
            pos = nl + 1
            if head.startswith("END "):
                self.assertEqual(int(head[4:]), len(body))
                break
            self.assertRegex(head, r"^D [1-9][0-9]*$")
            n = int(head[2:])
            self.assertLessEqual(n, 1 << 20)
            body += data[pos:pos + n]
            self.assertEqual(len(data[pos:pos + n]), n, "chunk cut short")
            pos += n
            chunks += 1
        self.assertEqual(data[pos:], b"", "bytes after END")
        self.assertGreaterEqual(chunks, 1)
        self.assertEqual(json.loads(body)["pid"], p.pid)
        self.assert_serving(d, "after a raw framed dump")

    def big_dump_client(self, d, p):
        """asyncdumpd --pid writing a ~20 MB JSON dump into a pipe
        nobody reads yet."""
        c = subprocess.Popen([DAEMON, "--pid", str(p.pid), "--format", "json",
                              "--socket", d.socket],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: c.poll() is None and c.kill())
        return c

    def wait_client_stalled(self, c, timeout=120):
        """Waits until the dump's bytes fill the client's unread pipe
        (FIONREAD): the daemon has then sent what the socket holds too
        and waits for us. Not a fixed sleep: on an emulated guest the
        dump's collect alone may take seconds."""
        fd = c.stdout.fileno()
        want = fcntl.fcntl(fd, F_GETPIPE_SZ) // 2
        deadline = time.monotonic() + timeout
        while True:
            buf = fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0")
            if int.from_bytes(buf, sys.byteorder) >= want:
                break
            self.assertIsNone(c.poll(), "the client finished without reading")
            self.assertLess(time.monotonic(), deadline,
                            "the dump never filled the client's pipe")
            time.sleep(0.1)
        time.sleep(0.5)  # the rest of the pipe, then the socket
        self.assertIsNone(c.poll(), "the client finished without reading")

    def finish_client(self, c):
        """Reads the client's whole output now; (rc, bytes, stderr)."""
        out, err = c.communicate(timeout=120)
        return c.returncode, len(out), err.decode(errors="replace")

    @adtest.host_only("the client")
    def test_dump_cut_short_by_the_daemon_dying_exits_nonzero(self):
        """The daemon killed in the middle of a dump: the client says the
        dump was cut short and exits non-zero, never 0 with part of it."""
        d = self.live_daemon_with(prog("many_frames"))
        p = self.start([prog("many_frames"), "60000"])
        p.ready(timeout=60)
        c = self.big_dump_client(d, p)
        # the daemon fills the socket and the pipe, then waits for us
        self.wait_client_stalled(c)
        d.p.kill()
        rc, n, err = self.finish_client(c)
        self.assertNotEqual(rc, EXIT_OK, "a cut-short dump exited 0")
        self.assertGreater(n, 0)
        self.one_line_error(err, "cut short", "bytes")

    @adtest.host_only("the server's send deadline")
    def test_sigterm_does_not_wait_for_a_client_that_does_not_read(self):
        """SIGTERM while a worker waits for a client to take a big dump:
        the send is abandoned at once (not after the 20 s send deadline),
        the daemon exits 0, and the client says the dump was cut short."""
        d = self.live_daemon_with(prog("many_frames"))
        p = self.start([prog("many_frames"), "60000"])
        p.ready(timeout=60)
        c = self.big_dump_client(d, p)
        self.wait_client_stalled(c)  # the daemon fills both, then waits
        t0 = time.monotonic()
        d.p.send_signal(signal.SIGTERM)
        try:
            rc = d.p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.fail("SIGTERM waited for the client:\n" + d.stderr())
        took = time.monotonic() - t0
        self.assertEqual(rc, 0, d.stderr())
        rc, n, err = self.finish_client(c)
        self.assertEqual(rc, EXIT_FAILURE, err)
        self.one_line_error(err, "cut short")
        self.assertIn("the daemon is stopping", d.stderr())
        sys.stderr.write("  (SIGTERM during a dump nobody reads: exited in "
                         "%.3fs)\n" % took)

    @adtest.host_only("the server's send deadline")
    def test_reader_that_pauses_longer_than_the_deadline(self):
        """A reader that stops for longer than the daemon's send deadline
        (20 s): the daemon drops it and says so, its client exits
        non-zero saying the dump was cut short, and other clients are
        served meanwhile."""
        d = self.live_daemon_with(prog("many_frames"))
        p = self.start([prog("many_frames"), "60000"])
        p.ready(timeout=60)
        c = self.big_dump_client(d, p)
        deadline = time.monotonic() + 40
        while "did not take the dump" not in d.stderr():
            self.assertLess(time.monotonic(), deadline,
                            "never dropped; daemon:\n" + d.stderr())
            time.sleep(0.2)
        rc, n, err = self.finish_client(c)
        self.assertNotEqual(rc, EXIT_OK, "a cut-short dump exited 0")
        self.one_line_error(err, "cut short")
        self.assertRegex(d.stderr(), r"client pid=%d uid=0 dropped: it did "
                         r"not take the dump of pid=%d within 20s" % (c.pid, p.pid))
        self.assertNotIn("went away", d.stderr())
        rc, out, err = d.dump(p.pid)
        self.assertEqual(rc, EXIT_OK, err)
        self.assertEqual(json.loads(out)["stats"]["frames_in"], 60000)

    @adtest.host_only("the client")
    def test_client_output_closed_early_exits_nonzero(self):
        """`asyncdumpd --pid N | head -c 10` on a dump larger than the
        pipe: the dump was not all written, so the client says so and
        does not exit 0."""
        d = self.shared_daemon()
        p = self.start([prog("many_frames"), "30000"])
        p.ready(timeout=60)
        sh = subprocess.run(
            ["bash", "-c", "set -o pipefail; %s --pid %d --format json "
             "--socket %s | head -c 10 >/dev/null" % (DAEMON, p.pid, d.socket)],
            capture_output=True, text=True, timeout=60)
        self.assertNotEqual(sh.returncode, EXIT_OK)
        self.one_line_error(sh.stderr, "output was closed")
        self.assert_serving(d, "after a closed output")

    def test_dump_of_a_thread_id_names_its_process(self):
        d = self.live_daemon_with(prog("handoff"))
        p = self.start([prog("handoff")])
        p.ready()
        tids = [int(t) for t in os.listdir("/proc/%d/task" % p.pid)
                if int(t) != p.pid]
        self.assertTrue(tids)
        rc, out, err = d.dump(tids[0])
        self.assertEqual(rc, EXIT_USAGE, err)
        self.assertEqual(out, "")
        self.one_line_error(err, "%d is a thread of process %d" % (tids[0], p.pid))
        rc, out, err = d.dump(p.pid)
        self.assertEqual(rc, EXIT_OK, err)

    # ------------------------------------------- processes exiting or gone

    @adtest.host_only("the dumps' allocator")
    def test_dump_memory_kept_then_given_back_when_idle(self):
        """The dumps' memory stays for the next dump, then is given back
        after AD_DUMPMEM_LINGER_MS (10 s) without one, once, and logged."""
        d = self.shared_daemon()
        p = self.observed()
        line = "gave the memory no longer used back to the system"
        self.dump_json(d, p.pid)
        t0 = time.monotonic()
        before = d.stderr().count(line)
        # not while dumps may still come ...
        time.sleep(5)
        self.assertEqual(d.stderr().count(line), before,
                         "memory given back less than 10 s after a dump:\n" + d.stderr())
        # ... but once the daemon has been idle for the linger time
        while d.stderr().count(line) == before and time.monotonic() - t0 < 30:
            time.sleep(0.1)
        self.assertGreaterEqual(time.monotonic() - t0, 9.0)
        time.sleep(3)  # once, not again at every loop pass
        self.assertEqual(d.stderr().count(line), before + 1,
                         "memory not given back once within 30 s of the last dump:\n"
                         + d.stderr())
        self.assertRegex(d.stderr(), r"idle for 10 s: " + line +
                         r", resident [0-9.]+ MB -> [0-9.]+ MB")
        self.assert_serving(d, "after giving the dumps' memory back")

    @adtest.host_only("the dumps' allocator")
    def test_dump_memory_resident_until_given_back(self):
        """With the real allocator (the unsanitized daemon: ASan's ignores
        mallopt and malloc_trim), a 200k-frame dump's memory stays resident
        for the next dump and leaves once the daemon has been idle 10 s."""
        self.need_env()
        d = adtest.Daemon([self.need_bin(prog("many_frames"))],
                          extra=["--max-frames", "262144"],
                          daemon=self.need_bin(adtest.DAEMON_PLAIN))
        self.addCleanup(d.cleanup)
        err = d.wait_ready()
        if err:
            self.unavailable(err)
        self.wait_live(d)
        p = self.start([prog("many_frames"), "200000"])
        p.ready(timeout=60)
        start = vm_rss_mb(d.p.pid)
        rc, out, err = d.dump(p.pid)
        # at once: parsing 50 MB of JSON may take longer than the 10 s the
        # memory is kept for (seconds here, more on an emulated CPU)
        kept = vm_rss_mb(d.p.pid)
        self.assertEqual(rc, EXIT_OK, err)
        doc = json.loads(out)
        self.check_doc(doc, p.pid)
        self.assertEqual(doc["stats"]["frames_in"], 200000)
        self.assert_no_losses(doc)
        # glibc would have unmapped the dump's large blocks on free
        self.assertGreater(kept - start, 20,
                           "dump memory not kept: %.1f MB -> %.1f MB; daemon:\n%s"
                           % (start, kept, d.stderr()))
        line = "gave the memory no longer used back to the system"
        deadline = time.monotonic() + 30
        while line not in d.stderr() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertIn(line, d.stderr())
        after = vm_rss_mb(d.p.pid)
        self.assertLess(after, kept - 20,
                        "memory not given back: %.1f MB -> %.1f MB" % (kept, after))
        self.assertLessEqual(after, start + 5)
        self.assert_clean_log(d)

    def test_dump_of_a_reaped_process(self):
        d = self.shared_daemon()
        p = self.observed()
        self.dump_json(d, p.pid)
        p.p.kill()
        p.p.wait()
        rc, out, err = d.dump(p.pid)
        self.assertEqual(rc, EXIT_NO_PROCESS, err)
        self.assertEqual(out, "")
        self.one_line_error(err, p.pid)
        self.assert_serving(d, "after dumping a gone process")

    def test_dump_of_an_exited_unreaped_process(self):
        """A process that has exited but not been reaped (a zombie): a
        clear error or a dump, never the claim that it hit no probe."""
        d = self.shared_daemon()
        p = self.observed()
        self.dump_json(d, p.pid)
        os.kill(p.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while proc_state(p.pid) != "Z" and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(proc_state(p.pid), "Z")
        time.sleep(0.2)  # let the daemon see the exit event
        rc, out, err = d.dump(p.pid)
        if rc == EXIT_OK:
            self.assertEqual(json.loads(out)["pid"], p.pid)
        else:
            line = self.one_line_error(err, p.pid)
            self.assertEqual(rc, EXIT_NO_PROCESS,
                             "zombie %d (dumped fine before it exited) "
                             "answered: %s" % (p.pid, line))
        self.assert_serving(d, "after dumping an exited process")

    def test_dump_while_the_process_exits(self):
        """Dumps racing the exit of a process with many frames: each one a
        dump or a clear error, and the daemon survives."""
        exe = self.need_bin(prog("many_frames"))
        d = self.shared_daemon()
        results = []
        for _ in range(3):
            p = self.start([exe, "20000"])
            p.ready()
            reaped = threading.Event()

            def hammer(pid=p.pid):
                # Until a dump that began after the process was reaped has
                # been answered, however long each dump takes.
                while True:
                    after = reaped.is_set()
                    results.append(d.dump(pid) + (pid,))
                    if after:
                        break

            t = threading.Thread(target=hammer)
            t.start()
            time.sleep(0.2)
            p.p.kill()
            p.p.wait()
            reaped.set()
            t.join(timeout=4 * adtest.DUMP_TIMEOUT)
            self.assertFalse(t.is_alive())
        codes = {}
        for rc, out, err, pid in results:
            codes[rc] = codes.get(rc, 0) + 1
            self.assertIn(rc, (EXIT_OK, EXIT_NOT_OBSERVED, EXIT_NO_PROCESS),
                          "dump of exiting %d: rc %d: %s" % (pid, rc, err))
            if rc == EXIT_OK:
                self.assertEqual(json.loads(out)["pid"], pid)
            else:
                self.one_line_error(err, pid)
        self.assertIn(EXIT_NO_PROCESS, codes, codes)
        sys.stderr.write("  (exit codes of racing dumps: %r)\n" % codes)
        self.assert_serving(d, "after dumps racing exits")


def vm_rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        kb = re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1)
    return int(kb) / 1024.0


def unused_pid():
    with open("/proc/sys/kernel/pid_max") as f:
        pid_max = int(f.read())
    for pid in range(pid_max - 1, 1, -1):
        if not os.path.exists("/proc/%d" % pid):
            return pid
    raise RuntimeError("no free pid")


if __name__ == "__main__":
    adtest.main()
