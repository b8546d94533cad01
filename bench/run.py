"""barprop benchmarks: `.venv/bin/python bench/run.py` writes bench/RESULTS.md.

Not tests: numbers, measured side by side in one run on this machine, with the method written next
to each table. The whole run is meant to take well under ~5 minutes on 2 cores; every benchmark
that may blow up runs in a forked child (bench/benchlib.run_capped) with a wall-clock cap (and an
address-space cap for SymPy baselines) and is reported as "> N s" when it hits the cap.

Sections: one module each in bench/ (`section(ctx) -> list of markdown lines`, registered in
SECTIONS below; `python bench/MODULE.py` runs one alone and prints its markdown):

1. adjoint-size  Size of the adjoint equations vs the forward graph for sigmoid chains of depth
                 1..50, next to SymPy `diff` of the fully expanded loss (which swells), with times.
2. derive-time   `barprop derive --format json` on exercises/specs/*.bp: in-process median of 20
                 runs, and one cold subprocess run of the `barprop` script (startup cost).
3. check-claim   Verdict latency of `check.check_claim` (p50/p99 over ~200 correct and mutated
                 claims on the depth-1..4 chain) next to `sympy.simplify(truth - claim)`; claims/s
                 on one core; LaTeX parse speed (`check.read.latex.parse_latex_expression`). Parts whose
                 API does not exist yet print "not yet measured: needs check engine"; they are
                 guarded by import only, so they run for real once the API lands.
4. grading       `check.grading.grade("csc321-reg-logistic", [folder of 200 copies of the samples],
                 seed=0, jobs=2 and 1)` in-process (goal ≤ 10 s with jobs=2), results identical between
                 jobs settings, next to a naive grader (`simplify(truth − claim)` per adjoint line).
5. claims-per-second  `check_claim` on the reglog spec TEXT, one core: claims/s and p50/p99 for
                 correct-only, wrong-only and mixed claims (goal ≥ 300/s), and per claim form next to
                 `simplify(truth − claim)`.
6. matrix-claim  ∂L/∂W1 of a two-layer net with an `at:` point of size D = H = 64 (issue #7 goal:
                 under 1 s), phase split, wrong claims, scaling to D = 128; cProfile when it misses.
7. web           warm scalar `POST /api/check` against `barprop serve` over HTTP: p50/p99 (goal p99 ≤ 150 ms).
8. feedback      mistake kinds named right on the labelled mutant corpus, repairs read back, kinds
                 across seeds 0-9, diagnosis p99 on the lecture specs (bench/feedback.py).
9. startup       a cold `barprop check grad` and `barprop --help` against `python -c "import sympy"`.
10. verdicts     default check_claim p99 on the lecture specs' claims and a held-out-style corpus.
11. matrices     matrix claims at D = H = 64, 128 next to a float64 numpy gradient check.
12. semester     10,000 submissions of mixed exercises with --jobs 2 and 1: time, peak RSS, identity.

Every section states its method under its tables, and each goal its PASS/MISS.

Usage: .venv/bin/python bench/run.py [--out PATH] [SECTION ...]   (default: all sections)
"""
import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))

import sympy  # noqa: E402

from benchlib import log, secs, table  # noqa: E402

import adjoint_size  # noqa: E402
import check_claim  # noqa: E402
import claims_per_second  # noqa: E402
import derive_time  # noqa: E402
import grading  # noqa: E402
import matrix_claim  # noqa: E402
import web  # noqa: E402
import feedback  # noqa: E402
import matrices  # noqa: E402
import semester  # noqa: E402
import startup  # noqa: E402
import verdicts  # noqa: E402

SECTIONS = [
    ("adjoint-size", adjoint_size.section),
    ("derive-time", derive_time.section),
    ("check-claim", check_claim.section),
    ("grading", grading.section),
    ("claims-per-second", claims_per_second.section),
    ("matrix-claim", matrix_claim.section),
    ("web", web.section),
    ("feedback", feedback.section),
    ("startup", startup.section),
    ("verdicts", verdicts.section),
    ("matrices", matrices.section),
    ("semester", semester.section),        # 10,000 submissions: the longest section by far
]


def _version(mod):
    try:
        return __import__(mod).__version__
    except Exception:
        return "not installed"


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _load():
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def header():
    from importlib.metadata import version
    now = datetime.datetime.now(datetime.timezone.utc)
    rows = [
        ["date (UTC)", now.strftime("%Y-%m-%d %H:%M")],
        ["platform", platform.platform()],
        ["CPU", _cpu_model()],
        ["CPU count (os / usable)", f"{os.cpu_count()} / {len(os.sched_getaffinity(0))}"],
        ["python", platform.python_version() + f" ({platform.python_implementation()})"],
        ["sympy", sympy.__version__],
        ["mpmath", _version("mpmath")],
        ["lark", _version("lark")],
        ["barprop", version("barprop")],
        ["load average at start (1/5/15 min)", _load()],
    ]
    return ["# barprop benchmarks", "",
            "Generated by `.venv/bin/python bench/run.py` (method in its docstring and under each table). "
            "Every figure below was measured in the same run on this machine; do not edit by hand.", ""] \
        + table(["", ""], rows) + [""]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [n for n, _ in SECTIONS]
    p.add_argument("sections", nargs="*", metavar="SECTION", help=f"one of {', '.join(names)} (default: all)")
    p.add_argument("--out", default=str(HERE / "RESULTS.md"))
    a = p.parse_args(argv)
    unknown = [s for s in a.sections if s not in names]
    if unknown:
        p.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(names)}")
    chosen = [(n, f) for n, f in SECTIONS if not a.sections or n in a.sections]
    start = time.monotonic()
    lines = header()
    for name, fn in chosen:
        t0 = time.monotonic()
        log(f"section {name}")
        try:
            body = fn({})
        except Exception as e:   # one broken section must not lose the others
            body = [f"## {name}", "", f"section failed: {type(e).__name__}: {e}"]
        lines += body + ["", f"_Section time: {secs(time.monotonic() - t0)} s._", ""]
    lines += [f"Total run time: {secs(time.monotonic() - start)} s; load average at end (1/5/15 min): "
              f"{_load()}. A load above 0 at start means other processes shared the 2 cores.", ""]
    out = Path(a.out)
    tmp = out.with_suffix(".tmp")
    tmp.write_text("\n".join(lines))
    tmp.replace(out)
    log(f"wrote {out} in {secs(time.monotonic() - start)} s")


if __name__ == "__main__":
    main()
