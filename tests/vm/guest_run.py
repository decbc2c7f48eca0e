#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""guest_run.py - run ctest's integration tests inside the test guest
(scripts/kernel-vm.sh), from the JSON `ctest --show-only=json-v1` wrote on
the host: each test's command, environment and working directory, as ctest
would run it, and with a second argument, unittest's -k PATTERN for each.
Prints each test's output and a summary; exits 1 if any test failed or
timed out. Installed in the guest as /adtest/run.py."""

import json
import os
import subprocess
import sys
import time

# Emulated (TCG), the guest runs the tests several times slower than the
# host: ctest's per-test timeout is stretched by this factor.
SLOWDOWN = 4


def prop(test, name, default=None):
    for p in test.get("properties", []):
        if p["name"] == name:
            return p["value"]
    return default


def main():
    with open(sys.argv[1]) as f:
        tests = json.load(f)["tests"]
    results = []
    print("== guest: the daemon's view of this kernel", flush=True)
    for t in tests:
        env = dict(os.environ)
        for kv in prop(t, "ENVIRONMENT", []):
            k, _, v = kv.partition("=")
            env[k] = v
        daemon = env.get("AD_DAEMON")
        if daemon:
            subprocess.run([daemon, "--version"], env=env)
            break
    for t in tests:
        cmd = list(t["command"])
        # The host's interpreter path (a pyenv shim, say) means nothing
        # here: the guest's python3 runs the harness.
        if os.path.basename(cmd[0]).startswith("python"):
            cmd[0] = "python3"
            if len(sys.argv) > 2 and sys.argv[2]:
                cmd += ["-k", sys.argv[2]]
        env = dict(os.environ)
        for kv in prop(t, "ENVIRONMENT", []):
            k, _, v = kv.partition("=")
            env[k] = v
        # adtest.py leaves out the tests marked host_only (user space
        # alone: run on the host in the same CI run), and says which.
        env["AD_ON_GUEST"] = "1"
        timeout = float(prop(t, "TIMEOUT", 1500)) * SLOWDOWN
        cwd = prop(t, "WORKING_DIRECTORY", "/")
        print("== guest: %s" % t["name"], flush=True)
        start = time.monotonic()
        try:
            rc = subprocess.run(cmd, env=env, cwd=cwd, timeout=timeout,
                                stdin=subprocess.DEVNULL).returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
        took = time.monotonic() - start
        results.append((t["name"], rc, took))
        print("== guest: %s: %s (%.0f s)" % (
            t["name"], "passed" if rc == 0 else "FAILED (%s)" % rc, took),
            flush=True)
    print("== guest: summary", flush=True)
    for name, rc, took in results:
        print("   %-32s %-14s %5.0f s" % (
            name, "passed" if rc == 0 else "FAILED (%s)" % rc, took))
    failed = [r for r in results if r[1] != 0]
    if not results:
        print("== guest: no tests ran")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
