#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""clients.py - clients of asyncdumpd's socket, well-behaved or hostile, in
a process of their own: the tests and the benchmark run it as whichever
user the clients must be (setpriv), and its threads never share an
interpreter lock with the client whose latency is being measured.
Standard library only; commands and answers are lines on stdin/stdout.

  clients.py dumps SOCKET N PID...
      N clients at once, client i dumping PID[i % len]: READY once their
      threads wait; on "go" they connect, ask and read, all together; then
      one JSON line, [[result, seconds], ...] in client order (result
      "ok", or why not), and exit.

  clients.py hostile KIND SOCKET N [PID]
      A hostile load of KIND, kept up until "stop": READY once it runs,
      then on "stop" one JSON line {"kind", "conns", "seconds",
      "answers": {first words of each answer: count}} and exit. KIND:
        silent     N connections that send nothing (each, once dropped,
                   opened again)
        half       N connections that send half a request of PID, then
                   nothing (likewise)
        slow       N connections trickling a whole request of PID over
                   about 3 s (the daemon's limit is 5 s), then reading the
                   dump (likewise)
        oversized  N threads sending 4 KiB without a newline (the limit is
                   512 bytes), reading the answer, over and over
        garbage    N threads sending a line of random bytes, reading the
                   answer, over and over
        abandoned  N threads connecting and closing at once, over and over
        unread     N connections asking for a dump of PID and never
                   reading it (not opened again). Also "status": one line
                   of the state of each, by a peek at what has come:
                   started (OK), refused (ERR), waiting (nothing yet),
                   closed; and "close started": those started closed.
                   On "stop" each is read to its end: complete, cut or
                   the ERR line's first words.

Imported, it drives itself from the other side: Child (a clients.py
process and its lines), HOSTILE (the loads test_bounds.py and the
benchmark measure a good client beside), good_dumps (a well-behaved
client's dumps, timed) and percentile.
"""

import json
import os
import random
import select
import socket
import struct
import subprocess
import sys
import threading
import time

TIMEOUT = 120.0
TRICKLE_S = 3.0


def connect(path, wait=True, timeout=TIMEOUT):
    """A connection to path. wait: as `asyncdumpd --pid` does, waiting (up
    to timeout) for room in the daemon's listen queue when it is full;
    else, as a hostile client, failing at once with EAGAIN then."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        if wait:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                         struct.pack("ll", int(timeout), 0))
        else:
            s.settimeout(timeout)
        s.connect(path)
    except OSError:
        s.close()
        raise
    s.settimeout(timeout)
    return s


def read_all(s):
    data = bytearray()
    while True:
        try:
            chunk = s.recv(1 << 16)
        except (ConnectionResetError, BrokenPipeError):
            break
        if not chunk:
            break
        data += chunk
    return bytes(data)


def verdict(data):
    """What an answer was: "complete" (OK 2, chunks, END with their
    total), "cut" (OK 2 and less), "closed" (nothing), or the first two
    words of another line ("ERR 2")."""
    if not data:
        return "closed"
    if not data.startswith(b"OK 2\n"):
        return " ".join(data.split(b"\n", 1)[0].decode(errors="replace").split()[:2])
    pos, total = 5, 0
    while True:
        nl = data.find(b"\n", pos)
        if nl < 0:
            return "cut"
        head = data[pos:nl]
        pos = nl + 1
        if head.startswith(b"END "):
            return "complete" if int(head[4:]) == total and pos == len(data) else "cut"
        if not head.startswith(b"D "):
            return "cut"
        n = int(head[2:])
        if pos + n > len(data):
            return "cut"
        total += n
        pos += n


def request(pid):
    return b"DUMP v=2 pid=%d format=json\n" % pid


# ------------------------------------------------------------- dumps ---

def dumps(path, n, pids):
    go = threading.Event()
    results = [None] * n

    def client(i):
        go.wait()
        t0 = time.monotonic()
        try:
            s = connect(path)
            try:
                s.sendall(request(pids[i % len(pids)]))
                data = read_all(s)
            finally:
                s.close()
            v = verdict(data)
            if v == "complete":
                body = json.loads(b"".join(chunks(data)))
                v = "ok" if body["pid"] == pids[i % len(pids)] else \
                    "wrong pid %s" % body["pid"]
            results[i] = [v, time.monotonic() - t0]
        except Exception as e:  # noqa: BLE001 - reported
            results[i] = ["%s: %s" % (type(e).__name__, e), time.monotonic() - t0]

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    say("READY %d" % n)
    if sys.stdin.readline().strip() != "go":
        return 1
    go.set()
    for t in threads:
        t.join()
    say(json.dumps(results))
    return 0


def chunks(data):
    pos = 5
    while True:
        nl = data.index(b"\n", pos)
        head = data[pos:nl]
        pos = nl + 1
        if head.startswith(b"END "):
            return
        n = int(head[2:])
        yield data[pos:pos + n]
        pos += n


# ----------------------------------------------------------- hostile ---

class Load:
    def __init__(self, kind, path, n, pid):
        self.kind, self.path, self.n, self.pid = kind, path, n, pid
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.answers = {}
        self.conns = 0
        self.open = set()  # sockets a thread waits on, shut down at stop
        self.started = threading.Semaphore(0)

    def count(self, what):
        with self.lock:
            self.answers[what] = self.answers.get(what, 0) + 1

    def opened(self):
        s = connect(self.path, wait=False)
        with self.lock:
            self.conns += 1
            self.open.add(s)
        return s

    def closed(self, s):
        with self.lock:
            self.open.discard(s)
        s.close()

    def answer(self, s):
        """Waits for the daemon's answer and counts it (not at stop)."""
        data = read_all(s)
        if not self.stop.is_set():
            self.count(verdict(data))

    # one connection's worth of each kind, over and over
    def silent(self, s):
        self.started.release()
        self.answer(s)

    def half(self, s):
        s.sendall(request(self.pid)[:14])
        self.started.release()
        self.answer(s)

    def slow(self, s):
        line = request(self.pid)
        self.started.release()
        for b in line:
            if self.stop.wait(TRICKLE_S / len(line)):
                return
            s.sendall(bytes([b]))
        self.answer(s)

    def oversized(self, s):
        try:
            s.sendall(b"DUMP v=2 " + b"A" * 4087)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered and closed once it had 512 bytes
        self.answer(s)

    def garbage(self, s):
        noise = os.urandom(random.randrange(1, 200)).replace(b"\n", b"")
        s.sendall(noise + b"\n")
        self.answer(s)

    def abandoned(self, s):
        self.count("abandoned")

    def thread(self):
        once = getattr(self, self.kind)
        first = True
        while not self.stop.is_set():
            try:
                s = self.opened()
            except BlockingIOError:
                self.count("connect: queue full")  # tried again at once
                continue
            except OSError as e:
                self.count("connect: %s" % e.strerror)
                time.sleep(0.05)
                continue
            try:
                once(s)
            except OSError as e:
                if not self.stop.is_set():
                    self.count("%s" % type(e).__name__)
            finally:
                self.closed(s)
            if first and self.kind in ("oversized", "garbage", "abandoned"):
                self.started.release()
            first = False

    def run(self):
        t0 = time.monotonic()
        threads = [threading.Thread(target=self.thread, daemon=True) for _ in range(self.n)]
        for t in threads:
            t.start()
        for _ in range(self.n):
            self.started.acquire()
        say("READY %s %d" % (self.kind, self.n))
        for line in sys.stdin:
            if line.strip() == "stop":
                break
        self.stop.set()
        with self.lock:
            for s in self.open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        for t in threads:
            t.join(timeout=30)
        say(json.dumps({"kind": self.kind, "conns": self.conns,
                        "seconds": time.monotonic() - t0, "answers": self.answers}))
        return 0


def peek(s):
    """What has come on s, left unread (a socket with a timeout would wait
    for it: select first)."""
    try:
        if not select.select([s], [], [], 0)[0]:
            return "waiting"
        data = s.recv(4, socket.MSG_PEEK)
    except OSError:
        return "closed"
    if not data:
        return "closed"
    return "started" if data.startswith(b"OK") else "refused"


def unread(path, n, pid):
    t0 = time.monotonic()
    conns = []
    for _ in range(n):
        s = connect(path)
        s.sendall(request(pid))
        conns.append(s)
    say("READY unread %d" % n)
    for line in sys.stdin:
        words = line.split()
        if words == ["status"]:
            say(" ".join(peek(s) if s else "gone" for s in conns))
        elif words == ["close", "started"]:
            for i, s in enumerate(conns):
                if s and peek(s) == "started":
                    s.close()
                    conns[i] = None
            say("CLOSED")
        elif words == ["stop"]:
            break
    answers = {}
    for s in conns:
        if s:
            v = verdict(read_all(s))
            answers[v] = answers.get(v, 0) + 1
            s.close()
    say(json.dumps({"kind": "unread", "conns": n, "seconds": time.monotonic() - t0,
                    "answers": answers}))
    return 0


# ------------------------------------------- driven from the other side ---

# The hostile loads a well-behaved client is measured beside: (kind, N,
# what the row says). "unread" asks for a big process of the hostile user.
HOSTILE = (
    ("silent", 16, "16 silent connections"),
    ("half", 16, "16 half-sent requests"),
    ("slow", 16, "16 requests trickled over 3 s"),
    ("oversized", 4, "4 clients sending 4 KiB lines"),
    ("garbage", 4, "4 clients sending garbage lines"),
    ("abandoned", 4, "4 clients connecting, closing"),
    ("unread", 4, "4 never-reading clients, 60k frames"),
)


class Child:
    """clients.py ARGS run as `prefix` (e.g. setpriv's argv; python: the
    interpreter to use, script: the copy to run), spoken to by lines."""

    def __init__(self, args, prefix=(), python=sys.executable, script=__file__):
        self.p = subprocess.Popen(list(prefix) + [python, "-I", script] + list(args),
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.buf = b""

    def line(self, timeout):
        deadline = time.monotonic() + timeout
        fd = self.p.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("clients.py: no line within %.0f s (got %r)"
                                     % (timeout, self.buf))
            if select.select([fd], [], [], left)[0]:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise AssertionError("clients.py exited (rc %s): %s" % (
                        self.p.wait(), self.p.stderr.read().decode(errors="replace")))
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def send(self, line):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()

    def ask(self, line, timeout=60):
        self.send(line)
        return self.line(timeout)

    def ready(self, timeout=60):
        line = self.line(timeout)
        if not line.startswith("READY"):
            raise AssertionError("clients.py: %r, not READY" % line)

    def stop(self, timeout=60):
        """"stop": the load's summary (a dict)."""
        summary = json.loads(self.ask("stop", timeout))
        self.p.wait(timeout=timeout)
        return summary

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        for f in (self.p.stdin, self.p.stdout, self.p.stderr):
            try:
                f.close()
            except OSError:
                pass


def good_dumps(path, pid, window_s=5.0, min_samples=20, within_s=5.0):
    """A well-behaved client's JSON dumps of pid, one after the other, for
    window_s (begun a moment after a hostile load, as long as the daemon's
    5 s for a request line: the load's connections are dropped and opened
    again meanwhile), and at least min_samples of them. Returns their times; raises
    AssertionError at a dump that is not whole or takes within_s or
    longer."""
    times = []
    end = time.monotonic() + window_s
    while len(times) < min_samples or time.monotonic() < end:
        t0 = time.monotonic()
        try:
            s = connect(path, timeout=within_s)
        except OSError as e:
            raise AssertionError("dump %d of pid %d: connect: %s"
                                 % (len(times) + 1, pid, e))
        try:
            s.sendall(request(pid))
            data = read_all(s)
        except socket.timeout:
            raise AssertionError("dump %d of pid %d not answered within %.0f s"
                                 % (len(times) + 1, pid, within_s))
        finally:
            s.close()
        dt = time.monotonic() - t0
        v = verdict(data)
        if v != "complete" or json.loads(b"".join(chunks(data)))["pid"] != pid:
            raise AssertionError("dump %d of pid %d: %s" % (len(times) + 1, pid, v))
        if dt >= within_s:
            raise AssertionError("dump %d of pid %d took %.1f s" % (len(times) + 1, pid, dt))
        times.append(dt)
    return times


def percentile(xs, q):
    """The q-th percentile (0 < q <= 100), nearest rank."""
    xs = sorted(xs)
    return xs[max(0, -(-len(xs) * q // 100) - 1)]


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(argv):
    if len(argv) >= 4 and argv[0] == "dumps":
        return dumps(argv[1], int(argv[2]), [int(p) for p in argv[3:]])
    if len(argv) in (4, 5) and argv[0] == "hostile":
        kind, path, n = argv[1], argv[2], int(argv[3])
        pid = int(argv[4]) if len(argv) == 5 else 0
        if kind == "unread":
            return unread(path, n, pid)
        if kind in ("silent", "half", "slow", "oversized", "garbage", "abandoned"):
            return Load(kind, path, n, pid).run()
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
