#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""gen_corpus.py - write the seed corpus of the fuzz targets
(tests/fuzz/corpus/<target>/), every file made here from scratch:

  fuzz_request    request and status lines, numbers
  fuzz_options    argv lists (NUL-separated; the first piece is
                  ASYNCDUMP_SOCKET, empty for unset)
  fuzz_elf_notes  small ELF64 and ELF32 files with asyncdump SDT notes,
                  built byte by byte, and (when gcc is there) the object
                  file of examples/basic.c without debug info
  fuzz_snapshot   snapshots in fuzz_snapshot.c's encoding
  fuzz_coro_name  function names as GCC gives C++ coroutine bodies
  fuzz_config     asyncdumpd.conf files, good and bad

Run it again after changing an encoding: `python3 tests/fuzz/gen_corpus.py`.
The fuzzers never write here (scripts/fuzz.sh runs them on a copy)."""

import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "corpus")
MAX_SIZE = 64 * 1024


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    assert len(data) < MAX_SIZE, (target, name, len(data))
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- fuzz_request -------------------------------------------------------

def requests():
    t = "fuzz_request"
    write(t, "text", "DUMP v=2 pid=1234 format=text verbose=0 stuck_after_ns=10000000000\n")
    write(t, "json_verbose", "DUMP v=2 pid=1 format=json verbose=1 stuck_after_ns=0\n")
    write(t, "reordered", "DUMP stuck_after_ns=18446744073709551615 verbose=1 pid=2147483647 format=json v=2")
    write(t, "minimal", "DUMP v=2 pid=42\n")
    write(t, "no_version", "DUMP pid=42\n")
    write(t, "ok", "OK 2\n")
    write(t, "chunk", "D 1048576\n")
    write(t, "end", "END 18446744073709551615\n")
    write(t, "err", "ERR 4 no asyncdumpd is running on /run/asyncdump/asyncdumpd.sock\n")
    write(t, "err_nomsg", "ERR 255")
    write(t, "number", "18446744073709551615")
    write(t, "bad_key", "DUMP v=2 pid=7 colour=red\n")
    write(t, "list", "LIST v=2 format=json stuck_after_ns=10000000000\n")
    write(t, "list_minimal", "LIST v=2")
    write(t, "list_pid", "LIST v=2 pid=1 verbose=0\n")


# ---- fuzz_options -------------------------------------------------------

def argv(env, *args):
    return "\0".join([env] + list(args))


def options():
    t = "fuzz_options"
    write(t, "dump", argv("", "--pid", "1234"))
    write(t, "dump_all", argv("/tmp/a.sock", "--pid", "99", "--format", "json",
                              "--verbose", "--stuck-after", "1.5s", "--socket",
                              "/run/x.sock"))
    write(t, "daemon", argv("", "--daemon", "--attach", "/usr/bin/server",
                            "--attach-pid", "4321", "--max-frames", "1000",
                            "--max-tasks", "100", "--max-procs", "8",
                            "--max-slots", "4", "--label-max", "64"))
    write(t, "equals", argv("", "--daemon", "--attach=/bin/true",
                            "--max-slots=0"))
    write(t, "help", argv("", "--help"))
    write(t, "version", argv("", "--version", "--pid", "1"))
    write(t, "durations", argv("", "--pid", "5", "--stuck-after", "250us",
                               "--stuck-after", "2m", "--stuck-after", "0"))
    write(t, "mixed", argv("", "--pid", "3", "--attach", "/x"))
    write(t, "list", argv("", "--list", "--format", "json", "--stuck-after",
                          "500ms", "--socket", "/run/x.sock"))
    write(t, "list_conflict", argv("", "--list", "--pid", "4", "--verbose"))


# ---- fuzz_elf_notes -----------------------------------------------------

PROBES = ["task_spawn", "task_spawn_dyn", "task_exit", "poll_begin",
          "poll_end", "enter", "enter_dyn", "enter_at", "exit", "move"]


def sdt_note(is64, provider, name, args="-8@%rdi"):
    fmt = "<QQQ" if is64 else "<III"
    desc = struct.pack(fmt, 0x1130, 0x2000, 0) + \
        provider.encode() + b"\0" + name.encode() + b"\0" + args.encode() + b"\0"
    owner = b"stapsdt\0"
    note = struct.pack("<III", len(owner), len(desc), 3) + owner
    note += desc + b"\0" * (-len(desc) % 4)
    return note


def elf(is64, notes):
    """A relocatable ELF with a null section, .note.stapsdt and
    .shstrtab: the least libelf and the reader need."""
    shstr = b"\0.note.stapsdt\0.shstrtab\0"
    ehsize, shentsize = (64, 64) if is64 else (52, 40)
    note_off = ehsize
    shstr_off = note_off + len(notes)
    shoff = shstr_off + len(shstr)
    shoff += -shoff % 8
    ident = b"\x7fELF" + bytes([2 if is64 else 1, 1, 1, 0]) + b"\0" * 8
    if is64:
        eh = ident + struct.pack("<HHIQQQIHHHHHH", 1, 62, 1, 0, 0, shoff, 0,
                                 ehsize, 0, 0, shentsize, 3, 2)
        sh = lambda n, ty, off, size, al: struct.pack(
            "<IIQQQQIIQQ", n, ty, 0, 0, off, size, 0, 0, al, 0)
    else:
        eh = ident + struct.pack("<HHIIIIIHHHHHH", 1, 3, 1, 0, 0, shoff, 0,
                                 ehsize, 0, 0, shentsize, 3, 2)
        sh = lambda n, ty, off, size, al: struct.pack(
            "<IIIIIIIIII", n, ty, 0, 0, off, size, 0, 0, al, 0)
    body = eh + notes + shstr
    body += b"\0" * (shoff - len(body))
    body += sh(0, 0, 0, 0, 0)
    body += sh(1, 7, note_off, len(notes), 4)  # SHT_NOTE
    body += sh(15, 3, shstr_off, len(shstr), 1)  # SHT_STRTAB
    return body


def elf_notes():
    t = "fuzz_elf_notes"
    for is64 in (True, False):
        bits = "64" if is64 else "32"
        notes = b"".join(sdt_note(is64, "asyncdump", p) for p in PROBES)
        write(t, "all_probes_elf" + bits, elf(is64, notes))
        odd = sdt_note(is64, "asyncdump", "enter") + \
            sdt_note(is64, "asyncdump", "from_the_future") + \
            sdt_note(is64, "libc", "setjmp")
        write(t, "mixed_elf" + bits, elf(is64, odd))
    write(t, "no_notes_elf64", elf(True, b""))
    gcc = shutil.which("gcc")
    if not gcc:
        print("gen_corpus.py: no gcc: no compiled ELF seed", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as tmp:
        obj = os.path.join(tmp, "basic.o")
        subprocess.run([gcc, "-O1", "-g0", "-I", os.path.join(ROOT, "usdt"),
                        "-I", os.path.join(ROOT, "include"), "-c",
                        os.path.join(ROOT, "examples", "basic.c"), "-o", obj],
                       check=True)
        subprocess.run(["strip", "--strip-debug", "-R", ".comment", obj],
                       check=True)
        with open(obj, "rb") as f:
            write(t, "basic_o", f.read())
        # Linked: program headers and .stapsdt.base, so the sites'
        # file offsets, semaphores and argument registers are read too.
        exe = os.path.join(tmp, "basic")
        subprocess.run([gcc, "-O1", "-g0", "-s", "-Wl,--build-id=none",
                        "-I", os.path.join(ROOT, "usdt"),
                        "-I", os.path.join(ROOT, "include"),
                        os.path.join(ROOT, "examples", "basic.c"),
                        os.path.join(ROOT, "examples", "executor.c"),
                        "-o", exe],
                       check=True)
        with open(exe, "rb") as f:
            write(t, "basic_exe", f.read())


# ---- fuzz_snapshot ------------------------------------------------------

def V(v):
    """A value in fuzz_snapshot.c's encoding."""
    if 0 <= v < 0xe0:
        return bytes([v])
    return b"\xe0" + struct.pack("<Q", v & (2**64 - 1))


def S(idx=1, inline=None, truncated=False, unreadable=False):
    flags = (0x40 if truncated else 0) | (0x80 if unreadable else 0)
    if inline is not None:
        return bytes([32 | flags, len(inline)]) + inline
    return bytes([idx | flags])


TF_THREAD, TF_IMPLICIT, TF_CONCURRENT = 0x1, 0x4, 0x20
FF_VERBOSE, FF_LONG = 0x2, 0x4
FF_MOVED, FF_DETACHED, FF_PENDING, FF_THREAD = 0x800, 0x1000, 0x2000, 0x4000
WALL = 1795304401 * 10**9


def header(ntasks, flags=0, now=200, stuck=50, chain=0, losses=()):
    b = bytes([flags]) + V(7) + V(now) + V(WALL) + V(10) + V(0) + V(stuck)
    b += bytes([chain, len(losses)])
    for idx, v in losses:
        b += bytes([idx]) + V(v)
    return b + bytes([ntasks])


def task(id, spawn=1, flags=0, parent_task=0, parent_frame=0, top=0,
         top_gen=0, tid=0, pgen=0, polls=0, handoff=(0, 0, 0), wait_seq=0,
         overlap=(0, 0), pending=(0, 0), name=2, thread=None):
    b = V(id) + bytes([flags | (0x80 if thread else 0)])
    b += V(parent_task) + V(parent_frame) + V(spawn) + bytes([1, 1])
    b += V(top) + V(top_gen) + V(0) + V(handoff[1]) + V(handoff[2])
    b += V(overlap[0]) + V(overlap[1]) + V(pending[0]) + V(pending[1])
    b += V(tid) + bytes([pgen]) + V(polls) + V(handoff[0]) + V(wait_seq)
    b += S(name) + S(1) + S(3) + V(12)
    if thread:
        # task, task_gen, top, top_gen, own_top, own_top_gen, own_gen,
        # pgen byte, pending
        b += b"".join(V(x) for x in thread[:7]) + bytes([thread[7]])
        b += V(thread[8])
    return b


def frame(id, task, task_gen=1, parent=0, parent_gen=0, enter=10, flags=0,
          pgen=0, label=S(2), function=S(3)):
    b = V(id) + V(task) + V(task_gen) + V(parent) + V(parent_gen) + V(enter)
    b += bytes([1, 1, pgen]) + struct.pack("<H", flags)
    return b + label + S(1) + function + V(40)


def snapshots():
    t = "fuzz_snapshot"
    # one task, a chain of three frames, and a sibling
    write(t, "tree", header(1) + task(5) +
          frame(1, 5, enter=10) + frame(2, 5, parent=1, parent_gen=10, enter=20) +
          frame(3, 5, parent=2, parent_gen=20, enter=30) +
          frame(4, 5, parent=1, parent_gen=10, enter=40, flags=FF_LONG))
    # JSON first, verbose, a verbose wrapper hiding nothing it should not
    write(t, "verbose", header(1, flags=1) + task(5) +
          frame(1, 5, enter=10, flags=FF_VERBOSE) +
          frame(2, 5, parent=1, parent_gen=10, enter=20))
    # a running task: thread 77 polls it, its state gives the current frame
    write(t, "running", header(1, flags=2) +
          task(6, spawn=3, tid=77, top=1, top_gen=10,
               thread=(6, 3, 2, 20, 0, 0, 0, 0, 0)) +
          frame(1, 6, task_gen=3, enter=10) +
          frame(2, 6, task_gen=3, parent=1, parent_gen=10, enter=20))
    # a thread's own task and a task whose id equals its tid
    write(t, "thread_task", header(2) +
          task(77, spawn=4, flags=TF_THREAD, tid=77, name=4,
               thread=(0, 0, 0, 0, 1, 10, 4, 0, 0)) + task(77, spawn=5) +
          frame(1, 77, task_gen=4, enter=10, flags=FF_THREAD) +
          frame(2, 77, task_gen=5, enter=11))
    # a child task, moved and detached frames, an orphan
    write(t, "moves", header(2) + task(5) +
          task(9, spawn=2, parent_task=5, parent_frame=1) +
          frame(1, 5, enter=10) +
          frame(2, 5, parent=1, parent_gen=10, enter=20, flags=FF_MOVED) +
          frame(3, 9, task_gen=2, enter=30, flags=FF_DETACHED) +
          frame(4, 9, task_gen=2, parent=99, parent_gen=1, enter=35))
    # a cycle made by MOVE, duplicate ids, a stale incarnation
    write(t, "cycle_dups", header(2, losses=((0, 3), (11, 2))) + task(5) +
          task(5, spawn=9) +
          frame(1, 5, parent=2, parent_gen=20, enter=10, flags=FF_MOVED) +
          frame(2, 5, parent=1, parent_gen=10, enter=20, flags=FF_MOVED) +
          frame(2, 5, enter=21) + frame(3, 5, enter=30, pgen=99))
    # overlapping polls: a frame waiting for poll 4's hand-over
    write(t, "overlap", header(1) +
          task(5, flags=TF_CONCURRENT, polls=5, handoff=(4, 1, 10),
               overlap=(15, 0), pending=(2, 20), wait_seq=4, tid=8) +
          frame(1, 5, enter=10) +
          frame(2, 5, parent_gen=4, enter=20, flags=FF_PENDING) +
          frame(3, 5, parent=1, parent_gen=10, enter=16))
    # hostile strings in every place
    write(t, "strings", header(1) + task(5, name=5) +
          frame(1, 5, label=S(7, truncated=True), function=S(15)) +
          frame(2, 5, parent=1, parent_gen=10, enter=20,
                label=S(inline=b"\x1b]0;title\x07\xff", unreadable=True),
                function=S(11)))
    # deep: a chain of 4 * 64 frames in the first task
    write(t, "chain", header(1, chain=4) + task(5) + frame(1, 5))


# ---- fuzz_coro_name -----------------------------------------------------

def coro_names():
    t = "fuzz_coro_name"
    write(t, "simple", "void ns::f(f(int)::_Z1fi.Frame*)")
    write(t, "nested", "void app::net::serve(serve(std::vector<int>, "
          "std::function<void(int)>)::_ZN3app3net5serveESt6vectorIiSaIiEESt8functionIFviEE.Frame*)")
    write(t, "member", "void Server::accept(accept(int)::_ZN6Server6acceptEi.Frame*)")
    write(t, "plain", "main")


# ---- fuzz_config --------------------------------------------------------

def configs():
    t = "fuzz_config"
    write(t, "full", "# every key\n[targets]\nattach = /usr/bin/svc\n"
          "attach = /opt/*/lib/libsvc*.so ; a glob\n\n[limits]\n"
          "max_frames = 1048576\nmax_tasks = 262144\nmax_procs = 64\n"
          "max_slots = 32\nmax_big = 2\nlabel_max = 48\n[daemon]\n"
          "socket = /run/asyncdump/asyncdumpd.sock\ndump_group = oncall\n"
          "log_level = warning\ndiscovery = on\n")
    write(t, "empty", "")
    write(t, "comments", "; a comment\n# another\n\n[targets]\n")
    write(t, "bad_number", "[limits]\nmax_frames = 1e6\n")
    write(t, "slots_over_procs", "[limits]\nmax_procs = 2\nmax_slots = 3\n")
    write(t, "twice", "[daemon]\nsocket = /a\nsocket = /b\n")
    write(t, "continued", "[targets]\nattach = /a\n  /b\n")
    write(t, "crlf", "[limits]\r\nmax_big = 1\r\n")
    write(t, "bom", "\ufeff[daemon]\nlog_level = err\n")


# Inputs a fuzzer found, kept as seeds beside the generated ones (not
# generated here: never removed).
FOUND = {"fuzz_snapshot/wall_clock_overflow"}


def main():
    for root, _, files in os.walk(OUT):
        for name in files:
            path = os.path.join(root, name)
            if os.path.relpath(path, OUT) not in FOUND:
                os.unlink(path)
    requests()
    options()
    elf_notes()
    snapshots()
    coro_names()
    configs()
    n = sum(len(files) for _, _, files in os.walk(OUT))
    print("gen_corpus.py: %d seeds in %s" % (n, OUT))


if __name__ == "__main__":
    main()
