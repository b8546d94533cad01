"""Matrix claims at D = H = 64 … 512: `check_claim` of ∂L/∂W1 on the two-layer net of
bench/matrix_claim.py (K = 10, an `at:` point of size D, H), beside a float64 numpy gradient check of the same
formula at the same point.

Each size runs in its own forked child (check.isolation, capped at 300 s and 8 GiB): the
spec text is parsed (`parse_spec`), then `check_claim(graph, "W1", claim)` is called twice (the
first builds the truth: points, values, finite differences; the second only judges). Times are
CPU seconds of the child (time.process_time: steady on a shared machine) and wall seconds.
The numpy reference computes the gradient (W2ᵀ(y − t) ∘ σ′(W1x)) xᵀ in float64 and confirms it by
central differences along one random direction, in its own child; the ratio is the check's CPU
time (parse + first check) over the reference's. The `at:` entries have 3 decimals (a row with 9
decimals at the largest size shows the lexer when hardly any entry repeats). Goals (issue 18):
the check at D = H = 128 ≤ 0.3 s, at D = H = 512 ≤ 2 s (parse + truth + judge: a teacher's one
call). The spec at D = H = 512 is 2 MB, over the spec cap: its `at:` line has a cap of its own
(docs/spec.md, large points).

Usage: python bench/matrices.py [SIZE ...]   (default 64 128 256 512; prints a markdown section)
"""
import sys
import time
from pathlib import Path

from benchlib import method_footer

HERE = Path(__file__).resolve().parent

SIZES = (64, 128, 256, 512)
GOALS = {128: 0.3, 512: 2.0}
CAP = 300.0
CLAIM = "(W2.T @ (y - t) * sigma'(W1 @ x)) @ x.T"


def _clock():
    return time.process_time(), time.perf_counter()


def _since(start):
    c, w = _clock()
    return c - start[0], w - start[1]


def _check(emit, size, digits=3):
    from matrix_claim import mlp_spec
    from derive import parse_spec
    from check import check_claim
    text = mlp_spec(size, size, 10, digits=digits)
    start = _clock()
    graph = parse_spec(text)
    emit(("parse", _since(start)))
    start = _clock()
    v = check_claim(graph, "W1", CLAIM)
    emit(("first check", _since(start), v.verdict))
    start = _clock()
    check_claim(graph, "W1", CLAIM)
    emit(("second check", _since(start)))


def _numpy(emit, size):
    import numpy as np
    rng = np.random.default_rng(0)
    W1, x = rng.uniform(-1, 1, (size, size)), rng.uniform(-1, 1, (size, 1))
    W2, t = rng.uniform(-1, 1, (10, size)), rng.uniform(-1, 1, (10, 1))
    start = _clock()
    sig = lambda z: 1 / (1 + np.exp(-z))
    loss = lambda W: 0.5 * float(np.sum((W2 @ sig(W @ x) - t) ** 2))
    h = sig(W1 @ x)
    grad = (W2.T @ (W2 @ h - t) * h * (1 - h)) @ x.T
    d = rng.standard_normal(W1.shape)
    eps = 1e-6
    fd = (loss(W1 + eps * d) - loss(W1 - eps * d)) / (2 * eps)
    ok = abs(fd - float(np.sum(grad * d))) <= 1e-6 * max(1.0, abs(fd))
    emit(("numpy", _since(start), ok))


def main(sizes=SIZES):
    import os
    from check import isolation
    lines = ["## Matrix claims: ∂L/∂W1 of the two-layer net at D = H = 64 … 512 (K = 10)", "",
             f"Machine load at the start: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}.", "",
             "| D = H | at: decimals | parse CPU s | first check CPU s | second check CPU s | parse + first check: "
             "CPU s (wall s) | verdict | float64 numpy check ms | ratio | goal |",
             "|--:|--:|--:|--:|--:|--:|---|--:|--:|---|"]
    runs = [(size, 3) for size in sizes] + ([(max(sizes), 9)] if sizes else [])
    for size, digits in runs:
        out = isolation.run(_check, size, digits, deadline=CAP, memory=8 << 30)
        ref = isolation.run(_numpy, size, deadline=60)
        got = {item[0]: item for item in out.items}
        missing = f"> {CAP:.0f} s" if out.status == "timeout" else "—"
        cell = lambda k, i=0: f"{got[k][1][i]:.2f}" if k in got else missing
        total = (got["parse"][1][0] + got["first check"][1][0], got["parse"][1][1] + got["first check"][1][1]) \
            if "first check" in got else None
        goal = GOALS.get(size) if digits == 3 else None
        judged = "—" if goal is None else (f"≤ {goal:g} s: **{'PASS' if total and total[0] <= goal else 'MISS'}**")
        numpy_s = ref.items[0][1][0] if ref.ok and ref.items else None
        numpy_ms = f"{1000 * numpy_s:.1f}" if numpy_s is not None else ref.status
        ratio = f"{total[0] / numpy_s:.0f}×" if total and numpy_s else "—"
        lines.append(f"| {size} | {digits} | {cell('parse')} | {cell('first check')} | {cell('second check')} | "
                     + (f"{total[0]:.2f} ({total[1]:.2f})" if total else f"{out.status} {out.error}".strip())
                     + f" | {got['first check'][2] if 'first check' in got else '—'} | {numpy_ms} | {ratio} | {judged} |")
    lines += method_footer(__doc__)
    return lines


def section(ctx):
    return main()


if __name__ == "__main__":
    print("\n".join(main(tuple(int(a) for a in sys.argv[1:]) or SIZES)))
