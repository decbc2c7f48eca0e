#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Who may dump what (issue 11; README "Who may dump what"): the socket is
open to every local user, and each request is checked, when the dump is
made, against the process it names; --list shows each user only the
processes it may dump. Real users are created for the test
(and removed after it, whatever happened); the instrumented programs and
the client are copied to a directory every user can reach."""

import json
import os
import grp
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adtest  # noqa: E402
from adtest import (DAEMON, EXIT_OK, EXIT_NO_PROCESS,  # noqa: E402
                    EXIT_PERMISSION, EXIT_USAGE, example, prog)

YAMA = "/proc/sys/kernel/yama/ptrace_scope"

# Run as a user: starts `exe`, waits for its READY line, then becomes the
# client (exec), so the process dumped is a child of the one asking, as
# ptrace_scope 1 wants. The child keeps its stdin open through the client
# and ends when the client does.
EXEC_CLIENT = r"""
import os, subprocess, sys
exe, client, sock = sys.argv[1:4]
p = subprocess.Popen([exe], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
line = p.stdout.readline()
if not line.startswith(b"READY"):
    sys.exit("no READY from %s: %r" % (exe, line))
os.set_inheritable(p.stdin.fileno(), True)
os.set_inheritable(p.stdout.fileno(), True)
os.execv(client, [client, "--pid", str(p.pid), "--socket", sock,
                  "--format", "json"])
"""


class AccessTest(adtest.SharedEnvCase):

    # ---------------------------------------------------------------- setup

    @classmethod
    def make_env(cls):
        """Users A, B (no home, no login), a group G, a 0755 directory with
        the client and programs, and a daemon attached to them with
        --dump-group G. Everything is undone by doClassCleanups."""
        tag = "adt%x" % (os.getpid() & 0xffffff)
        env = {"users": {}}
        for who in ("a", "b"):
            env["users"][who] = adtest.add_user(tag + who, cls.addClassCleanup)
        gname = tag + "g"
        rc, out = adtest.sh(["groupadd", gname])
        if rc:
            raise RuntimeError("groupadd %s: %s" % (gname, out))
        cls.addClassCleanup(adtest.sh, ["groupdel", gname])
        env["group"] = (gname, grp.getgrnam(gname).gr_gid)

        # The build tree may not be reachable by other users: copies.
        d, copies = adtest.public_copies(
            {"asyncdumpd": DAEMON, "basic": example("basic"),
             "nondumpable": prog("nondumpable")}, cls.addClassCleanup)
        env.update(copies)
        env["dir"] = d

        # ptrace_scope: a file the daemon is pointed at, so every scope
        # (3 too, which a kernel cannot undo without a reboot) is tested
        # without changing what this machine allows; the kernel's own
        # sysctl is read in test_kernel_ptrace_scope.
        denv = {}
        env["scope_file"] = os.path.join(d, "ptrace_scope")
        cls.write_scope_file(env["scope_file"], "0")
        denv["ASYNCDUMP_PTRACE_SCOPE_FILE"] = env["scope_file"]
        env["yama"] = os.path.exists(YAMA)

        daemon = adtest.Daemon([env["basic"], env["nondumpable"]],
                               extra=["--dump-group", gname],
                               socket=os.path.join(d, "asyncdumpd.sock"),
                               env=denv)
        cls.addClassCleanup(daemon.cleanup)
        err = daemon.wait_ready()
        if err:
            raise adtest.EnvUnavailable(err)
        env["daemon"] = daemon
        return env

    @staticmethod
    def write_scope_file(path, value):
        with open(path, "w") as f:
            f.write(value + "\n")

    # -------------------------------------------------------------- helpers

    def uid(self, who):
        return self.env["users"][who][1]

    def creds(self, who, gid=None, groups=None, caps=None):
        """setpriv arguments running as user `who` (gid: its own unless
        given; groups: supplementary gids, none unless given)."""
        _, uid, ugid = self.env["users"][who]
        argv = adtest.as_user(uid, ugid if gid is None else gid, groups)
        if caps:
            argv += ["--inh-caps=+" + caps, "--ambient-caps=+" + caps]
        return argv

    def run_as(self, who, argv, **kw):
        argv = (self.creds(who, **kw) if who else []) + list(argv)
        r = subprocess.run(argv, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=adtest.DUMP_TIMEOUT, cwd=self.env["dir"])
        return r.returncode, r.stdout.decode(errors="replace"), \
            r.stderr.decode(errors="replace")

    def dump_as(self, who, pid, **kw):
        """The copied client, as `who` (None: root); rc, stdout, stderr."""
        return self.run_as(who, [self.env["asyncdumpd"], "--pid", str(pid),
                                 "--socket", self.d.socket, "--format",
                                 "json"], **kw)

    def start_as(self, who, name="basic", **kw):
        argv = (self.creds(who, **kw) if who else []) + [self.env[name]]
        p = self.start(argv)
        p.ready()
        return p

    def assert_dumped(self, rc, out, err, pid, label="foo"):
        self.assertEqual(rc, EXIT_OK, "dump of %d failed (rc %d): %s\n"
                         "daemon:\n%s" % (pid, rc, err, self.d.stderr()))
        doc = json.loads(out)
        self.check_doc(doc, pid)
        frames = [f for t in doc["tasks"] for f in t["frames"]]
        self.assertIsNotNone(adtest.find_frame(frames, label),
                             "no frame %r in the dump: %s" % (label, out))
        return doc

    def assert_refused(self, rc, out, err, pid, owner, asker, *words):
        self.assertEqual(rc, EXIT_PERMISSION, "not refused (rc %d): %s%s"
                         % (rc, out[:300], err))
        self.assertEqual(out, "")
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, "not one line: %r" % err)
        self.assertTrue(lines[0].startswith(
            "asyncdumpd: not allowed to dump pid %d (owned by uid %d; you "
            "are uid %d): " % (pid, owner, asker)), lines[0])
        for w in words:
            self.assertIn(w, lines[0])
        log = self.d.stderr()
        self.assertIn("dump pid=%d (uid %d) for client pid=" % (pid, owner),
                      log)
        self.assertIn("uid=%d: refused" % asker, log)
        return lines[0]

    def set_scope(self, value):
        path = self.env["scope_file"]
        with open(path) as f:
            saved = f.read().strip()
        self.addCleanup(self.write_scope_file, path, saved)
        self.write_scope_file(path, str(value))

    # ---------------------------------------------------------------- tests

    def test_socket_open_to_all(self):
        st = os.stat(self.d.socket)
        self.assertEqual(st.st_mode & 0o777, 0o666)

    def test_owner_dumps_own_process(self):
        p = self.start_as("a")
        self.assert_dumped(*self.dump_as("a", p.pid), p.pid)
        self.assertIn("uid=%d: ok" % self.uid("a"), self.d.stderr())

    def test_other_user_refused(self):
        p = self.start_as("a")
        line = self.assert_refused(*self.dump_as("b", p.pid), p.pid,
                                   self.uid("a"), self.uid("b"),
                                   "another user")
        self.assertNotIn("foo", line)

    def test_root_dumps_everyone(self):
        pa = self.start_as("a")
        pr = self.start_as(None)
        self.assert_dumped(*self.dump_as(None, pa.pid), pa.pid)
        self.assert_dumped(*self.dump_as(None, pr.pid), pr.pid)
        # and a user may not dump root's
        self.assert_refused(*self.dump_as("a", pr.pid), pr.pid, 0,
                            self.uid("a"))

    def test_no_such_process(self):
        pid = 4194304 - 7  # above every default pid_max but the largest
        while os.path.exists("/proc/%d" % pid):
            pid -= 1
        rc, out, err = self.dump_as("a", pid)
        self.assertEqual(rc, EXIT_NO_PROCESS, err)
        self.assertEqual(err, "asyncdumpd: no process %d: check the PID "
                         "(ps -e)\n" % pid)

    def test_not_dumpable(self):
        p = self.start_as("a", "nondumpable")
        # how the kernel shows it (the directory stays the euid's, for ps)
        self.assertEqual(os.stat("/proc/%d/status" % p.pid).st_uid, 0)
        self.assert_refused(*self.dump_as("a", p.pid), p.pid, self.uid("a"),
                            self.uid("a"), "not dumpable")
        self.assert_dumped(*self.dump_as(None, p.pid), p.pid, "secret")

    def test_dump_group(self):
        gname, gid = self.env["group"]
        pr = self.start_as(None)
        # supplementary group, then primary group
        self.assert_dumped(*self.dump_as("b", pr.pid, groups=[gid]), pr.pid)
        self.assert_dumped(*self.dump_as("b", pr.pid, gid=gid), pr.pid)
        self.assertIn("allowed as member of --dump-group %s" % gname,
                      self.d.stderr())
        # the group named in a refusal, as a way in
        self.assert_refused(*self.dump_as("b", pr.pid), pr.pid, 0,
                            self.uid("b"), "group " + gname)

    def test_cap_sys_ptrace(self):
        pr = self.start_as(None)
        rc, out, err = self.run_as("b", ["grep", "CapEff", "/proc/self/status"],
                                   caps="sys_ptrace")
        if rc or not int(out.split()[1], 16) & (1 << 19):
            self.skipTest("setpriv cannot give an ambient CAP_SYS_PTRACE: "
                          "%s%s" % (out, err))
        self.assert_dumped(*self.dump_as("b", pr.pid, caps="sys_ptrace"),
                           pr.pid)
        self.assertIn("allowed as CAP_SYS_PTRACE", self.d.stderr())

    def test_ptrace_scope_1_descendants_only(self):
        self.set_scope(1)
        p = self.start_as("a")
        self.assert_refused(*self.dump_as("a", p.pid), p.pid, self.uid("a"),
                            self.uid("a"), "ptrace_scope is 1",
                            "descendants")
        # a child of the very process asking may be dumped
        rc, out, err = self.run_as("a", [
            adtest.PYTHON, "-I", "-c", EXEC_CLIENT, self.env["basic"],
            self.env["asyncdumpd"], self.d.socket])
        self.assertEqual(rc, EXIT_OK, err + self.d.stderr())
        doc = json.loads(out)
        self.assertIsNotNone(adtest.find_frame(
            [f for t in doc["tasks"] for f in t["frames"]], "foo"), out)
        # root still may dump anything
        self.assert_dumped(*self.dump_as(None, p.pid), p.pid)

    def test_ptrace_scope_2_privileged_only(self):
        gname, gid = self.env["group"]
        self.set_scope(2)
        p = self.start_as("a")
        self.assert_refused(*self.dump_as("a", p.pid), p.pid, self.uid("a"),
                            self.uid("a"), "ptrace_scope is 2")
        self.assert_dumped(*self.dump_as("b", p.pid, groups=[gid]), p.pid)
        self.assert_dumped(*self.dump_as(None, p.pid), p.pid)

    def test_ptrace_scope_3_root_only(self):
        gname, gid = self.env["group"]
        self.set_scope(3)
        p = self.start_as("a")
        self.assert_refused(*self.dump_as("a", p.pid), p.pid, self.uid("a"),
                            self.uid("a"), "ptrace_scope is 3")
        self.assert_refused(*self.dump_as("b", p.pid, groups=[gid]), p.pid,
                            self.uid("a"), self.uid("b"), "ptrace_scope is 3")
        self.assert_dumped(*self.dump_as(None, p.pid), p.pid)

    def test_kernel_ptrace_scope(self):
        """A daemon not pointed at a file reads the kernel's own
        kernel.yama.ptrace_scope; without Yama, the classic rules."""
        d = adtest.Daemon([self.env["basic"]],
                          socket=os.path.join(self.env["dir"], "k.sock"))
        self.addCleanup(d.cleanup)
        err = d.wait_ready()
        if err:
            self.unavailable(err)
        p = self.start_as("a")
        # LeakSanitizer (the test build's client) needs ptrace at exit,
        # which scope 2 denies an unprivileged user.
        argv = [self.env["asyncdumpd"], "--pid", str(p.pid), "--socket",
                d.socket, "--format", "json"]
        if not self.env["yama"]:
            self.assert_dumped(*self.run_as("a", argv), p.pid)
            return
        with open(YAMA) as f:
            saved = f.read().strip()
        self.addCleanup(self.write_scope_file, YAMA, saved)
        self.write_scope_file(YAMA, "2")
        rc, out, err = self.run_as("a", ["env", "ASAN_OPTIONS=detect_leaks=0"]
                                   + argv)
        self.assertEqual(rc, EXIT_PERMISSION, err)
        self.assertIn("ptrace_scope is 2", err)
        self.write_scope_file(YAMA, "0")
        self.assert_dumped(*self.run_as("a", argv), p.pid)

    def list_as(self, who, fmt="json", **kw):
        """The copied client's --list, as `who` (None: root): rc, stdout,
        stderr; rows by pid for JSON."""
        rc, out, err = self.run_as(who, [self.env["asyncdumpd"], "--list",
                                         "--socket", self.d.socket,
                                         "--format", fmt], **kw)
        self.assertEqual(rc, EXIT_OK, "list as %s failed (rc %d): %s\n"
                         "daemon:\n%s" % (who, rc, err, self.d.stderr()))
        if fmt != "json":
            return out
        return {r["pid"]: r for r in json.loads(out)}

    def test_list_shows_only_what_may_be_dumped(self):
        """--list shows a user only the processes it may dump, by the very
        rules of a dump, and says nothing of the others; root sees all."""
        gname, gid = self.env["group"]
        pa = self.start_as("a")
        pa_secret = self.start_as("a", "nondumpable")
        pb = self.start_as("b")
        pr = self.start_as(None)
        everyone = {pa.pid, pa_secret.pid, pb.pid, pr.pid}

        rows = self.list_as("a")
        self.assertEqual(set(rows), {pa.pid})  # not its non-dumpable one
        self.assertEqual((rows[pa.pid]["tasks"], rows[pa.pid]["frames"]),
                         (1, 6))
        self.assertEqual(set(self.list_as("b")), {pb.pid})
        self.assertTrue(everyone <= set(self.list_as(None)))
        # a member of the dump group sees all, as it may dump all
        self.assertTrue(everyone <= set(self.list_as("b", groups=[gid])))
        # the others' pids, commands and count appear nowhere
        text = self.list_as("a", "text")
        lines = text.splitlines()
        self.assertEqual(len(lines), 2, text)
        self.assertTrue(lines[1].split()[0] == str(pa.pid), text)
        for pid in everyone - {pa.pid}:
            self.assertNotIn(str(pid), text)
        self.assertNotIn("nondumpable", text)
        # one log line per list: who asked and how many rows it got
        self.assertRegex(self.d.stderr(),
                         r"list format=text for client pid=\d+ uid=%d: ok, "
                         r"1 of \d+ observed processes shown" % self.uid("a"))

    def test_list_honours_ptrace_scope(self):
        """ptrace_scope 1: a shell's --list shows a user none of its own
        processes (they are not the client's descendants); 3: only root
        sees any."""
        pa = self.start_as("a")
        self.set_scope(1)
        self.assertEqual(self.list_as("a"), {})
        self.assertIn(pa.pid, self.list_as(None))
        self.set_scope(3)
        self.assertEqual(self.list_as("a"), {})
        self.assertIn(pa.pid, self.list_as(None))

    def test_unknown_dump_group(self):
        sock = os.path.join(self.tmpdir(), "s.sock")
        rc, out, err = self.run_as(None, [
            DAEMON, "--daemon", "--attach", self.env["basic"], "--socket",
            sock, "--dump-group", "no-such-group-adt"])
        self.assertEqual(rc, EXIT_USAGE, err)
        self.assertIn("--dump-group no-such-group-adt: no such group",
                      out + err)
        self.assertFalse(os.path.exists(sock))


if __name__ == "__main__":
    adtest.main()
