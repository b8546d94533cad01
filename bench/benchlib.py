"""Helpers for bench/run.py: capped child processes, timing statistics, spec builders, formatting.

`run_capped(fn, *args, timeout=...)` runs `fn(emit, *args)` in a forked child through
check.isolation.run (the one runner of the project): every `emit(item)` is streamed back at once,
so a child that times out still returns what it finished; the child is killed (SIGKILL) on
timeout; its address space can be capped (RLIMIT_AS) and it can be pinned to one CPU. A child that
starts worker processes of its own (a process pool) needs `group=True`: it then leads its own
process group, and on timeout the whole group is killed.
"""
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import sympy


@dataclass
class Capped:
    status: str                      # "ok" | "timeout" | "error"
    items: list = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0
    timeout: float = 0.0

    @property
    def ok(self):
        return self.status == "ok"


def run_capped(fn, *args, timeout, mem_bytes=None, cpu=None, group=False):
    """Run `fn(emit, *args)` in a forked child for at most `timeout` seconds (check.isolation.run)."""
    from check import isolation
    out = isolation.run(fn, *args, deadline=timeout, memory=mem_bytes, cpu=cpu, group=group)
    return Capped(out.status, list(out.items), out.error, out.seconds, timeout)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def percentile(xs, q):
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    s = sorted(xs)
    k = max(1, -(-len(s) * q // 100))
    return s[int(k) - 1]


def chain_spec(depth):
    """The depth-D sigmoid chain: h0 = x, h_i = sigma(w_i*h_{i-1} + b_i), L = 1/2*(h_D - t)^2."""
    lines = ["h0 = x"]
    lines += [f"h{i} = sigma(w{i}*h{i - 1} + b{i})" for i in range(1, depth + 1)]
    lines.append(f"L = 1/2*(h{depth} - t)^2")
    return "\n".join(lines) + "\n"


def ms(seconds):
    """Milliseconds with 3 significant figures (no scientific notation)."""
    v = seconds * 1000
    if v != v:
        return "—"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    if v >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def secs(seconds):
    if seconds >= 10:
        return f"{seconds:.1f}"
    if seconds >= 1:
        return f"{seconds:.2f}"
    return f"{seconds:.3f}"


def table(header, rows, align=None):
    """A markdown table; `align` is a string of 'l'/'r' per column (default: first l, rest r)."""
    align = align or "l" + "r" * (len(header) - 1)
    sep = ["---" if a == "l" else "--:" for a in align]
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def ranges(numbers):
    """[5, 6, 7, 9] -> '5–7, 9'."""
    out, nums = [], sorted(numbers)
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[i]) if i == j else f"{nums[i]}–{nums[j]}")
        i = j + 1
    return ", ".join(out) or "none"


ROOT = Path(__file__).resolve().parent.parent
GIB = 2 ** 30
SPECS = sorted((ROOT / "exercises" / "specs").glob("*.bp"))
BARPROP = ROOT / ".venv" / "bin" / "barprop"


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def ops(e):
    return int(sympy.count_ops(e))


def capped_cell(res, value, cap):
    """A table cell for a capped measurement: the value, "> N s" on timeout, or the error."""
    if res.status == "timeout":
        return f"> {cap:g} s"
    if res.status == "error":
        return "error: " + res.error.split(":", 1)[0]
    return value


def method_footer(doc):
    """The closing lines of a section: its method (the second paragraph of its module docstring)
    and the machine's load when it ended."""
    return ["", "Method: " + " ".join(doc.split("\n\n")[1].split()),
            f"Machine load at the end: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}."]


def write_corpus(path, rows, made_by):
    """A labelled mutant corpus as TSV (backend, spec, wrt, claim, kind), headed by the script that made it."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"# backend\tspec\twrt\tclaim\tkind (labelled by construction; {made_by})\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    print(len(rows), "mutants ->", path)
