#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Header safety through real BPF (issue 2, sections 1 and 6): attach
variants, the red zone, the optimized-uprobe fast path, the semaphore.
No timing is asserted anywhere; a measured cost is only printed."""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adtest  # noqa: E402
import elfnotes  # noqa: E402
from adtest import header_bin, shape  # noqa: E402

NOP5 = bytes([0x0F, 0x1F, 0x44, 0x00, 0x00])
CALL = adtest.SITE_CALL
INT3 = adtest.SITE_INT3
HITS = 100000


def site_bytes(pid, path, note):
    elf = elfnotes.Elf(path)
    addr = elfnotes.runtime_address(pid, path, elf, note.pc)
    return elfnotes.read_mem(pid, addr, 5)


def hot_sites(path):
    """The ENTER and EXIT sites of probe_hot() / leaf(): the only `enter`
    note and the `exit` nearest to it (the compiler may lay the sites,
    which sit in branches taken only while observed, out in either
    order)."""
    notes = [n for n in elfnotes.Elf(path).notes() if n.provider == "asyncdump"]
    enters = [n for n in notes if n.name == "enter"]
    assert len(enters) == 1, notes
    exits = sorted((n for n in notes if n.name == "exit"),
                   key=lambda n: abs(n.pc - enters[0].pc))
    return enters[0], exits[0]


class AttachVariants(adtest.ADTestCase):
    """Probes attach and their frames show up: PIE, non-PIE, shared
    library, and beside <sys/sdt.h> probes."""

    def check_variant(self, exe, attach, variant, inner_children=()):
        d = self.start_daemon(attach=[attach])
        p = self.start([exe])
        p.ready()
        doc = self.dump_json(d, p.pid)
        t = [t for t in doc["tasks"] if t["id"] == "tid:%d" % p.pid]
        self.assertEqual(len(t), 1, doc["tasks"])
        self.assertEqual(shape(t[0]["frames"]), [
            ("target " + variant, [("waiting in " + variant, list(inner_children))])])
        # both frames come from probe_enter()'s one ENTER_DYN site
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                               "..", "header", "probe_lib.c")) as f:
            site_line = [i + 1 for i, ln in enumerate(f)
                         if "ASYNCDUMP_ENTER_DYN(frame, label)" in ln]
        self.assertEqual(len(site_line), 1)
        for f in (t[0]["frames"][0], t[0]["frames"][0]["children"][0]):
            self.assertTrue(f["file"].endswith("probe_lib.c"), f["file"])
            self.assertEqual(f["function"], "probe_enter")
            self.assertEqual(f["line"], site_line[0])
            self.assertFalse(f["label_truncated"])
        # the main thread is running its own task: the innermost frame is current
        self.assertEqual(t[0]["state"], "running")
        self.assertEqual([f["label"] for f in adtest.walk(t[0]["frames"]) if f["current"]],
                         ["beside sdt" if inner_children else "waiting in " + variant])
        self.assert_no_losses(doc)
        return d, p

    def test_pie(self):
        exe = header_bin("hdr_pie")
        self.assertTrue(elfnotes.Elf(exe).pie_or_dyn)
        self.check_variant(exe, exe, "pie")

    def test_nopie(self):
        exe = header_bin("hdr_nopie")
        self.assertFalse(elfnotes.Elf(exe).pie_or_dyn, "hdr_nopie is PIE")
        self.check_variant(exe, exe, "nopie")

    def test_shared_library(self):
        exe = header_bin("hdr_shlib")
        lib = header_bin("libadprobes.so")
        self.assertEqual([n for n in elfnotes.Elf(exe).notes()
                          if n.provider == "asyncdump"], [],
                         "the executable must have no probes of its own")
        self.check_variant(exe, lib, "shlib")

    def test_beside_sys_sdt(self):
        exe = header_bin("hdr_sdt")
        elf = elfnotes.Elf(exe)
        providers = {n.provider for n in elf.notes()}
        self.assertEqual(providers, {"asyncdump", "adtest"})
        self.assertEqual(len(elf.sections[".stapsdt.base"]), 1)
        d, p = self.check_variant(exe, exe, "sdt", [("beside sdt", [])])
        # every asyncdump site of this binary stays usable next to sdt's
        sdt = [n for n in elf.notes() if n.provider == "adtest"]
        for n in sdt:
            self.assertNotIn("8@%rsp", n.args)

    def test_attach_pid_shared_library(self):
        """--attach-pid finds the probes of a .so a running process maps."""
        exe = header_bin("hdr_shlib")
        self.need_env()
        p = self.start([exe])
        p.ready()
        p.send("active")
        self.assertEqual(int(p.expect("ACTIVE")[0]), 0)
        d = self.start_daemon(attach_pids=[p.pid])
        # the executable has no probes: the semaphore that moved is the
        # library's, and every hit below is one of the library's probes
        p.send("active")
        self.assertNotEqual(int(p.expect("ACTIVE")[0]), 0,
                            "--attach-pid did not attach the library's probes")
        p.send("hit 10")
        p.expect("HIT")
        # observed (a process that hit no probe answers EXIT_NOT_OBSERVED)
        doc = self.dump_json(d, p.pid)
        # frames entered before the attach are unknown to the observer and
        # the ten hot pairs are gone: nothing left, and nothing lost (each
        # hot EXIT found its ENTER)
        self.assertEqual([f for t in doc["tasks"] for f in t["frames"] + t["detached"]], [])
        self.assert_no_losses(doc)


class RedZone(adtest.ADTestCase):
    """A leaf function keeping data in its red zone across attached probe
    sites is never corrupted; a site without the lea bracketing is where
    the kernel turns sites into CALLs (which proves the test detects the
    hazard), and is not where every hit traps (int3: nothing is pushed on
    the observed thread's stack)."""

    def check_leaf_uses_red_zone(self, path, expect_lea):
        out = subprocess.run(["objdump", "-d", "--no-show-raw-insn",
                              "--disassemble=leaf", path],
                             stdout=subprocess.PIPE, check=True).stdout.decode()
        body = out[out.index("<leaf>:"):]
        stores = re.findall(r"mov\s+%\w+,-0x[0-9a-f]+\(%rsp", body)
        self.assertTrue(stores, "leaf() keeps nothing below %%rsp:\n%s" % body)
        self.assertNotRegex(body, r"sub\s+\$0x[0-9a-f]+,%rsp", body)
        self.assertNotRegex(body, r"\bpush", body)
        self.assertNotRegex(body, r"\bcall", body)
        self.assertEqual("lea    -0x80(%rsp),%rsp" in body, expect_lea, body)

    def run_leaf(self, p, n=HITS):
        p.send("run %d" % n)
        bad, total = (int(x) for x in p.expect("CORRUPT", timeout=120))
        self.assertEqual(total, n)
        return bad

    def check(self, name, bracketed):
        exe = header_bin(name)
        self.check_leaf_uses_red_zone(exe, expect_lea=bracketed)
        self.need_env()
        site = adtest.attached_site_byte()
        expect_corruption = not bracketed and site == CALL
        p = self.start([exe])
        p.ready()
        # unobserved: the test itself sees no corruption
        self.assertEqual(self.run_leaf(p, 1000), 0)
        d = self.start_daemon(attach=[exe])
        bad = self.run_leaf(p)
        enter, exit_ = hot_sites(exe)
        first = site_bytes(p.pid, exe, enter)
        print("%s: %d of %d calls corrupted; site bytes %s" % (
            name, bad, HITS, first.hex()), file=sys.stderr)
        # the probe really was attached and hit (a CALL where the kernel
        # optimizes uprobes, else an int3)
        self.assertEqual(first[0], site, first.hex())
        rc, out, err = d.dump(p.pid)
        self.assertEqual(rc, adtest.EXIT_OK, err)
        if expect_corruption:
            self.assertGreater(bad, HITS // 2,
                               "the unbracketed site should clobber the red zone")
        else:
            self.assertEqual(bad, 0)

    def test_header_site_never_corrupts(self):
        self.check("hdr_redzone", bracketed=True)

    def test_unbracketed_site_corrupts_where_sites_become_calls(self):
        self.check("hdr_redzone_nolea", bracketed=False)


class FastPath(adtest.ADTestCase):
    """After a hit while attached, a kernel that optimizes uprobes (Linux
    6.18) rewrote the 5-byte nop into a CALL to its uprobe trampoline;
    others keep an int3 there (0xcc). Which one is expected is what the
    daemon found by probing itself (asyncdumpd --version)."""

    def test_sites_as_the_kernel_makes_them(self):
        exe = header_bin("hdr_pie")
        enter, exit_ = hot_sites(exe)
        self.need_env()
        site = adtest.attached_site_byte()
        p = self.start([exe])
        p.ready()
        self.assertEqual(site_bytes(p.pid, exe, enter), NOP5)
        self.assertEqual(site_bytes(p.pid, exe, exit_), NOP5)
        d = self.start_daemon(attach=[exe])
        p.send("hit %d" % HITS)
        ns = float(p.expect("HIT", timeout=120)[0])
        print("attached: %.0f ns per ENTER+EXIT pair (printed, not asserted)" % ns,
              file=sys.stderr)
        for note in (enter, exit_):
            b = site_bytes(p.pid, exe, note)
            self.assertEqual(b[0], site, "%s site is %s, not %02x (call e8, int3 cc)"
                             % (note.name, b.hex(), site))
        d.stop()
        p.send("hit 1000")
        ns = float(p.expect("HIT")[0])
        print("after detach: %.1f ns per pair" % ns, file=sys.stderr)
        for note in (enter, exit_):
            self.assertEqual(site_bytes(p.pid, exe, note), NOP5,
                             "site not restored after the observer left")


class Semaphore(adtest.ADTestCase):
    """ASYNCDUMP_ACTIVE(): 0 unobserved, nonzero while attached (also for a
    process started after attach), 0 after the daemon exits."""

    def active(self, p):
        p.send("active")
        return int(p.expect("ACTIVE")[0])

    def test_semaphore(self):
        exe = header_bin("hdr_nopie")
        self.need_env()
        a = self.start([exe])
        a.ready()
        self.assertEqual(self.active(a), 0)
        d = self.start_daemon(attach=[exe])
        self.assertNotEqual(self.active(a), 0)
        b = self.start([exe])
        b.ready()
        self.assertNotEqual(self.active(b), 0)
        self.assertEqual(d.stop(), 0, d.stderr())
        self.assertEqual(self.active(a), 0)
        self.assertEqual(self.active(b), 0)


if __name__ == "__main__":
    adtest.main()
