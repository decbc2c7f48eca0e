#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""check_layout.py - the daemon's layout shows its architecture
(ARCHITECTURE.md), and this keeps it so:

  rooms   daemon/core (pure), daemon/observer, daemon/server, and main.c /
          client.c at the top; a file includes headers of its own room or
          of rooms before it, never after (core < observer < server < top).
  names   every header is implemented by the source of the same name,
          except headers of types or inline code only (HEADER_ONLY).
  circles no include cycle among headers, and none among modules (a
          module is X.c with X.h; X uses Y when either includes Y.h).

Prints every violation and exits 1 if there is one."""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DAEMON = os.path.join(ROOT, "daemon")
ROOMS = ["core", "observer", "server", ""]  # "" is the top: main.c, client.c
# Headers with nothing to implement: types, or static inline code.
HEADER_ONLY = {
    "core/grow.h": "one inline helper",
    "observer/store.h": "the observer's state, types only",
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def files():
    out = []
    for room in ROOMS:
        d = os.path.join(DAEMON, room)
        for f in sorted(os.listdir(d)):
            if f.endswith((".c", ".h")) and os.path.isfile(os.path.join(d, f)):
                out.append(os.path.join(room, f) if room else f)
    return out


def room_of(rel):
    return rel.split("/")[0] if "/" in rel else ""


def includes(rel):
    with open(os.path.join(DAEMON, rel)) as f:
        text = f.read()
    # only the project's own daemon headers ("room/x.h" or a top header)
    return [i for i in INCLUDE.findall(text)
            if os.path.isfile(os.path.join(DAEMON, i))]


def find_cycle(graph):
    """A cycle in {node: set(nodes)} as a list, or None (iterative DFS)."""
    color = {}
    for start in sorted(graph):
        if color.get(start):
            continue
        stack = [(start, iter(sorted(graph[start])))]
        color[start] = 1
        path = [start]
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                color[node] = 2
                stack.pop()
                path.pop()
                continue
            if color.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if not color.get(nxt):
                color[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(sorted(graph.get(nxt, ())))))
    return None


def main():
    errors = []
    all_files = files()
    names = set(all_files)
    for rel in all_files:
        r = ROOMS.index(room_of(rel))
        for inc in includes(rel):
            if ROOMS.index(room_of(inc)) > r:
                errors.append("%s includes %s: a room may use only the rooms "
                              "before it (%s)" % (rel, inc, " < ".join(
                                  x or "top" for x in ROOMS)))
        if rel.endswith(".h") and rel not in HEADER_ONLY:
            if rel[:-2] + ".c" not in names:
                errors.append("%s has no %s implementing it" % (rel, rel[:-2] + ".c"))
    for h in HEADER_ONLY:
        if h not in names:
            errors.append("HEADER_ONLY names %s, which does not exist" % h)
    hgraph = {rel: set(includes(rel)) for rel in all_files if rel.endswith(".h")}
    cyc = find_cycle(hgraph)
    if cyc:
        errors.append("headers include each other in a circle: " + " -> ".join(cyc))
    mgraph = {}
    for rel in all_files:
        mod = rel[:-2]
        mgraph.setdefault(mod, set()).update(
            i[:-2] for i in includes(rel) if i[:-2] != mod)
    cyc = find_cycle(mgraph)
    if cyc:
        errors.append("modules use each other in a circle: " + " -> ".join(cyc))
    for e in errors:
        print("check_layout: " + e)
    if not errors:
        print("check_layout: %d files in rooms %s: no room used before its time, "
              "every header implemented by its namesake, no circles"
              % (len(all_files), ", ".join(x or "top" for x in ROOMS)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
