# SPDX-License-Identifier: BSD-2-Clause
"""report.py - how bench/run.py prints: sections, rows judged against their
targets, raw samples, and a copy of everything for --out.

Standard library only. A row holds a measured value, optionally a baseline
and the ratio to it, and optionally a target on the value or the ratio;
the verdict says met or MISSED and by how much, so a reader never has to
redo the arithmetic.
"""

import statistics
import sys


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def num(x):
    """A number with about three significant digits."""
    if x is None:
        return "-"
    if x != x:  # NaN
        return "n/a"
    ax = abs(x)
    if ax >= 100:
        return "%.0f" % x
    if ax >= 10:
        return "%.1f" % x
    if ax >= 1:
        return "%.2f" % x
    return "%.3f" % x


class Target:
    """`op` is "<=" or ">="; `on` is "value" or "ratio"."""

    def __init__(self, op, limit, on="value", text=None):
        self.op, self.limit, self.on = op, limit, on
        self.text = text or "%s %s%s" % (op, num(limit), "x" if on == "ratio" else "")

    def judge(self, value, ratio):
        x = ratio if self.on == "ratio" else value
        if x is None or x != x:
            return None, "not measured"
        rel = x / self.limit - 1.0  # > 0: above the limit
        if self.op == "<=":
            met = x <= self.limit
            how = "%.0f%% under" % (-rel * 100) if met else "%.0f%% over" % (rel * 100)
        else:
            met = x >= self.limit
            how = "%.1f%% above" % (rel * 100) if met else "%.1f%% below" % (-rel * 100)
        return met, ("met (%s)" % how) if met else ("MISSED (%s)" % how)


class Report:
    """Everything printed goes to stdout and is kept for --out."""

    COLS = ("what", "value", "baseline", "ratio", "target", "result")
    WIDTHS = (48, 12, 18, 8, 18, 0)

    def __init__(self):
        self.lines = []
        self.verdicts = []  # (section, what, met, text)
        self.section = ""

    def say(self, text=""):
        for line in str(text).split("\n"):
            self.lines.append(line)
            print(line)
        sys.stdout.flush()

    def begin(self, title):
        self.section = title
        self.say("")
        self.say(title)
        self.say("-" * len(title))
        self.say(self._fmt(self.COLS))

    def _fmt(self, cells):
        out = ""
        for cell, w in zip(cells, self.WIDTHS):
            out += (cell.ljust(w) + " ") if w else cell
        return "  " + out.rstrip()

    def row(self, what, value, unit="", baseline=None, base_name="", target=None):
        """baseline: a number (ratio = value / baseline) or None."""
        ratio = None
        if baseline is not None and baseline == baseline and baseline != 0 and value == value:
            ratio = value / baseline
        base = "-" if baseline is None else ("%s %s" % (num(baseline), base_name)).strip()
        result = ""
        if target is not None:
            met, result = target.judge(value, ratio)
            self.verdicts.append((self.section, what, met, result, target.text))
        self.say(self._fmt((what, ("%s %s" % (num(value), unit)).strip(), base,
                            "-" if ratio is None else num(ratio) + "x",
                            target.text if target else "-", result)))
        return ratio

    def samples(self, label, xs, unit=""):
        self.say("    samples %s: [%s]%s" % (label, ", ".join(num(x) for x in xs),
                                              (" " + unit) if unit else ""))

    def note(self, text):
        self.say("    note: " + text)

    def summary(self):
        self.say("")
        self.say("Targets")
        self.say("-------")
        for section, what, met, result, target in self.verdicts:
            mark = "met   " if met else ("MISSED" if met is False else "n/a   ")
            self.say("  %s  %s: %s, target %s: %s" % (mark, section.split(".")[0], what,
                                                      target, result))
        n_met = sum(1 for v in self.verdicts if v[2])
        self.say("  %d of %d targets met" % (n_met, len(self.verdicts)))

    def write(self, path):
        with open(path, "w") as f:
            f.write("\n".join(self.lines) + "\n")
