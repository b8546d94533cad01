"""7. Feedback: kind accuracy on the labelled mutant corpora (tests/data/feedback_mutants.tsv, made by
bench/feedback_corpus.py; tests/data/matrix_mutants.tsv, made by bench/matrix_corpus.py), scalar and
matrix apart and together, repairs that fail their own check, kinds across seeds 0-9, and the time of
a diagnosis (p99 of a wrong claim on the lecture specs, and on the matrix specs). Measured here only,
never asserted in tests.

The held-out corpus (tests/data/heldout_mutants.tsv, made by bench/heldout_corpus.py from specs and
mistakes the search was not tuned on) is reported on lines of its own.

`python bench/feedback.py` prints the section; `--seeds N --every K` checks N seeds on every K-th
mutant of all three corpora (default 10 seeds on every 5th; `--every 1` is every mutant), in a pool
of 2 worker processes; `--accuracy` prints only the kind accuracy of the three corpora."""
import argparse
import multiprocessing
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))

import check.backends.matrix as matrix_backend         # noqa: E402
import check.diagnose as diagnose_mod                 # noqa: E402
from benchlib import log, ms, percentile, table      # noqa: E402
from check import check_claim                          # noqa: E402
from derive import parse_spec                          # noqa: E402
from feedback_corpus import EXTRA, OUT, SCALAR, spec_text  # noqa: E402
from heldout_corpus import OUT as HELDOUT_OUT         # noqa: E402
from matrix_corpus import OUT as MATRIX_OUT           # noqa: E402

LECTURE = set(SCALAR)          # the CS231n and CSC321 examples: reglog, neuron, simple, gates
GOALS = {"accuracy": 0.95, "p99_ms": 100.0}
HELDOUT_SPECS = ROOT / "tests" / "data" / "heldout_specs"


def corpus(paths=(OUT, MATRIX_OUT)):
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            rows += [line.rstrip("\n").split("\t") for line in f if not line.startswith("#")]
    return rows


_GRAPHS = {}


def graph(backend, name):
    if name not in _GRAPHS:
        if backend == "matrix":
            path = ROOT / "exercises" / "specs" / f"{name}.bp"
            if not path.exists():
                path = ROOT / "tests" / "data" / "specs" / f"{name}.bp"
            if not path.exists():
                path = HELDOUT_SPECS / f"{name}.bp"
            _GRAPHS[name] = parse_spec(path.read_text(encoding="utf-8"))
        elif name in SCALAR or name in EXTRA:
            _GRAPHS[name] = parse_spec(spec_text(name))
        else:
            _GRAPHS[name] = parse_spec((HELDOUT_SPECS / f"{name}.bp").read_text(encoding="utf-8"))
    return _GRAPHS[name]


class _Timed:
    """Seconds spent inside the diagnosis of each judged claim (scalar: check.diagnose.diagnose,
    imported by the judge on the first wrong claim; matrix: the backend's diagnose_matrix)."""

    def __init__(self, owner, name):
        self.owner, self.name = owner, name
        self.real, self.last = getattr(owner, name), 0.0

    def __call__(self, *args, **kw):
        start = time.perf_counter()
        try:
            return self.real(*args, **kw)
        finally:
            self.last = time.perf_counter() - start

    def __enter__(self):
        setattr(self.owner, self.name, self)
        return self

    def __exit__(self, *exc):
        setattr(self.owner, self.name, self.real)


def measure(seeds=10, every=5):
    rows = corpus()
    with _Timed(diagnose_mod, "diagnose") as scalar_t, _Timed(matrix_backend, "diagnose_matrix") as matrix_t:
        right, failed_fix, no_fix, confusion = Counter(), 0, 0, Counter()
        count, matrix_diag = Counter(), []
        per_kind, lecture_total, lecture_diag = Counter(), [], []
        for b, name, wrt, claim, kind in rows:
            g = graph(b, name)
            timed = matrix_t if b == "matrix" else scalar_t
            for _ in range(2 if name in LECTURE else 1):      # the second run: truths cached, as in grading
                timed.last = 0.0
                start = time.perf_counter()
                v = check_claim(g, wrt, claim)
                total = time.perf_counter() - start
            d = v.diagnosis or {}
            per_kind[kind, d.get("kind") == kind] += 1
            right[b] += d.get("kind") == kind
            count[b] += 1
            if b == "matrix":
                matrix_diag.append(timed.last)
            if d.get("kind") != kind:
                confusion[kind, d.get("kind")] += 1
            fix = d.get("fix")
            if not fix:
                no_fix += 1
            elif check_claim(g, wrt, fix["text"]).verdict != "correct":
                failed_fix += 1
            if name in LECTURE and b == "scalar":
                lecture_total.append(total)
                lecture_diag.append(timed.last)
        unstable, tried = seed_check(rows + corpus((HELDOUT_OUT,)), seeds, every)
    return {"mutants": len(rows), "right": right, "failed_fix": failed_fix, "no_fix": no_fix,
            "confusion": confusion, "per_kind": per_kind, "lecture_total": lecture_total,
            "lecture_diag": lecture_diag, "unstable": unstable, "seed_tried": tried, "seeds": seeds,
            "count": count, "matrix_diag": matrix_diag}


def _judged(row):
    """(label, named kind, fix status) of one mutant at seed 0; the status is "ok" when fix.text
    is judged correct, "failed" when not, "none" without a fix."""
    b, name, wrt, claim, kind = row
    g = graph(b, name)
    d = check_claim(g, wrt, claim).diagnosis or {}
    fix = d.get("fix")
    status = "none" if not fix else "ok" if check_claim(g, wrt, fix["text"]).verdict == "correct" else "failed"
    return kind, d.get("kind"), status


def _kinds(row, seeds):
    b, name, wrt, claim, _kind = row
    return tuple(sorted({str((check_claim(graph(b, name), wrt, claim, seed=s).diagnosis or {}).get("kind"))
                         for s in range(seeds)}))


def _kinds_of(row, seeds=10):
    return _kinds(row, seeds)


def _pool(procs):
    return multiprocessing.get_context("fork").Pool(procs)


def seed_check(rows, seeds=10, every=5, procs=2):
    """The mutants (every `every`-th) whose kind differs between seeds 0..seeds-1, and how many were tried."""
    picked = rows[::every]
    with _pool(procs) as pool:
        found = pool.starmap(_kinds, [(r, seeds) for r in picked], chunksize=4)
    unstable = [(r[1], r[2], r[3], list(ks)) for r, ks in zip(picked, found) if len(ks) > 1]
    return unstable, len(picked)


def accuracy(rows, procs=2):
    """Kind accuracy per backend, misnamed pairs, repairs failing their check, claims without a fix."""
    with _pool(procs) as pool:
        judged = pool.map(_judged, rows, chunksize=4)
    right, count, confusion, status = Counter(), Counter(), Counter(), Counter()
    for (b, *_rest), (kind, named, st) in zip(rows, judged):
        count[b] += 1
        right[b] += named == kind
        if named != kind:
            confusion[kind, named] += 1
        status[st] += 1
    return {"right": right, "count": count, "confusion": confusion, "failed_fix": status["failed"],
            "no_fix": status["none"], "judged": judged}


def heldout_lines(procs=2):
    """The held-out corpus's own lines of the section."""
    h = accuracy(corpus((HELDOUT_OUT,)), procs)
    out = []
    for b in ("scalar", "matrix"):
        a = h["right"][b] / max(h["count"][b], 1)
        out.append(f"- held-out kind accuracy, {b}: {h['right'][b]}/{h['count'][b]} = {100 * a:.1f}%")
    out += [f"- held-out repairs that fail their own check: {h['failed_fix']}; wrong claims without a fix: "
            f"{h['no_fix']}",
            "- held-out misnamed (by construction → named): " + (", ".join(
                f"{a} → {b} ×{n}" for (a, b), n in h["confusion"].most_common(10)) or "none")]
    return out


def section(ctx=None, seeds=10, every=5):
    log("feedback corpus")
    r = measure(seeds, every)
    acc = sum(r["right"].values()) / r["mutants"]
    kinds = sorted({k for k, _ in r["per_kind"]})
    p99_diag = 1000 * percentile(r["lecture_diag"], 99)
    out = ["## 7. Feedback: mistake kinds, repairs, seeds, diagnosis time", ""]
    out += table(["kind (by construction)", "mutants", "named right"],
                 [(k, r["per_kind"][k, True] + r["per_kind"][k, False], r["per_kind"][k, True]) for k in kinds])
    out += [""]
    for b in ("scalar", "matrix"):
        a = r["right"][b] / max(r["count"][b], 1)
        out.append(f"- kind accuracy, {b}: {r['right'][b]}/{r['count'][b]} = {100 * a:.1f}% "
                   f"(goal ≥ {100 * GOALS['accuracy']:.0f}%: {'PASS' if a >= GOALS['accuracy'] else 'MISS'})")
    p99_matrix = 1000 * percentile(r["matrix_diag"], 99) if r["matrix_diag"] else 0.0
    out += [f"- kind accuracy, together: {sum(r['right'].values())}/{r['mutants']} = {100 * acc:.1f}% "
            f"(goal ≥ {100 * GOALS['accuracy']:.0f}%: {'PASS' if acc >= GOALS['accuracy'] else 'MISS'})",
            f"- matrix specs, {len(r['matrix_diag'])} wrong claims: diagnosis p50 "
            f"{ms(percentile(r['matrix_diag'], 50)) if r['matrix_diag'] else 0} ms, p99 {p99_matrix:.0f} ms",
            f"- repairs that fail their own check (fix.text read back and judged): {r['failed_fix']}; "
            f"wrong claims without a fix: {r['no_fix']}",
            f"- kinds that differ between seeds 0–{r['seeds'] - 1}: {len(r['unstable'])} of {r['seed_tried']} mutants "
            f"of the three corpora (every {every}th)",
            f"- lecture specs ({', '.join(sorted(LECTURE))}), {len(r['lecture_diag'])} wrong claims: diagnosis "
            f"p50 {ms(percentile(r['lecture_diag'], 50))} ms, p99 {p99_diag:.0f} ms (goal ≤ {GOALS['p99_ms']:.0f} ms: "
            f"{'PASS' if p99_diag <= GOALS['p99_ms'] else 'MISS'}); whole check_claim p99 "
            f"{ms(percentile(r['lecture_total'], 99))} ms",
            "- misnamed (by construction → named): " + (", ".join(f"{a} → {b} ×{n}" for (a, b), n in
                                                          r["confusion"].most_common(8)) or "none")]
    out += heldout_lines()
    out += ["",
            "Method: every mutant of tests/data/feedback_mutants.tsv and tests/data/matrix_mutants.tsv (a lecture "
            "spec's gradient, or a correct matrix claim on a bundled spec, with one mistake of a known kind put in) through `check.check_claim` at seed 0; a "
            "kind is right when it equals the label. Each repair's `fix.text` is judged as a claim. The held-out "
            "lines: tests/data/heldout_mutants.tsv (bench/heldout_corpus.py: new specs, student spellings), measured "
            "the same way. Seeds: the kind at seeds 0–9 on the three corpora. Times on the lecture specs are the second run of each claim (the truth and "
            "its points cached, as in grading), one process, this machine as loaded as it is.", ""]
    for name, wrt, claim, ks in r["unstable"][:5]:
        out.append(f"  - unstable: {name} ∂/∂{wrt} `{claim}`: {ks}")
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--every", type=int, default=5)
    p.add_argument("--accuracy", action="store_true",
                   help="only the kind accuracy, repairs and misnamed pairs of the three corpora (no timing, no seeds)")
    a = p.parse_args()
    if a.accuracy:
        for label, paths in (("tuned", (OUT, MATRIX_OUT)), ("held-out", (HELDOUT_OUT,))):
            r = accuracy(corpus(paths))
            for b in ("scalar", "matrix"):
                print(f"{label} {b}: {r['right'][b]}/{r['count'][b]} = {100 * r['right'][b] / max(r['count'][b], 1):.1f}%")
            print(f"{label}: repairs failing {r['failed_fix']}, without a fix {r['no_fix']}; misnamed: "
                  + ", ".join(f"{k} → {n} ×{c}" for (k, n), c in r["confusion"].most_common(12)))
    else:
        print("\n".join(section(None, a.seeds, a.every)))
