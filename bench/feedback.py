"""7. Feedback: kind accuracy on the labelled mutant corpora (tests/data/feedback_mutants.tsv, made by
bench/feedback_corpus.py; tests/data/matrix_mutants.tsv, made by bench/matrix_corpus.py), scalar and
matrix apart and together, repairs that fail their own check, kinds across seeds 0-9, and the time of
a diagnosis (p99 of a wrong claim on the lecture specs, and on the matrix specs). Measured here only,
never asserted in tests.

`python bench/feedback.py` prints the section; `--seeds N --every K` checks N seeds on every K-th
mutant (default 10 seeds on every 5th; `--every 1` is the whole corpus)."""
import argparse
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
from feedback_corpus import OUT, SCALAR, spec_text     # noqa: E402
from matrix_corpus import OUT as MATRIX_OUT           # noqa: E402

LECTURE = set(SCALAR)          # the CS231n and CSC321 examples: reglog, neuron, simple, gates
GOALS = {"accuracy": 0.95, "p99_ms": 100.0}


def corpus():
    rows = []
    for path in (OUT, MATRIX_OUT):
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
            _GRAPHS[name] = parse_spec(path.read_text(encoding="utf-8"))
        else:
            _GRAPHS[name] = parse_spec(spec_text(name))
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
        unstable, tried = [], 0
        for b, name, wrt, claim, kind in rows[::every]:
            kinds = {(check_claim(graph(b, name), wrt, claim, seed=s).diagnosis or {}).get("kind") for s in range(seeds)}
            tried += 1
            if len(kinds) > 1:
                unstable.append((name, wrt, claim, sorted(map(str, kinds))))
    return {"mutants": len(rows), "right": right, "failed_fix": failed_fix, "no_fix": no_fix,
            "confusion": confusion, "per_kind": per_kind, "lecture_total": lecture_total,
            "lecture_diag": lecture_diag, "unstable": unstable, "seed_tried": tried, "seeds": seeds,
            "count": count, "matrix_diag": matrix_diag}


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
            f"(every {every}th)",
            f"- lecture specs ({', '.join(sorted(LECTURE))}), {len(r['lecture_diag'])} wrong claims: diagnosis "
            f"p50 {ms(percentile(r['lecture_diag'], 50))} ms, p99 {p99_diag:.0f} ms (goal ≤ {GOALS['p99_ms']:.0f} ms: "
            f"{'PASS' if p99_diag <= GOALS['p99_ms'] else 'MISS'}); whole check_claim p99 "
            f"{ms(percentile(r['lecture_total'], 99))} ms",
            "- misnamed (by construction → named): " + (", ".join(f"{a} → {b} ×{n}" for (a, b), n in
                                                          r["confusion"].most_common(8)) or "none"),
            "",
            "Method: every mutant of tests/data/feedback_mutants.tsv and tests/data/matrix_mutants.tsv (a lecture "
            "spec's gradient, or a correct matrix claim on a bundled spec, with one mistake of a known kind put in) through `check.check_claim` at seed 0; a "
            "kind is right when it equals the label. Each repair's `fix.text` is judged as a claim. Seeds: "
            "the kind at seeds 0–9. Times on the lecture specs are the second run of each claim (the truth and "
            "its points cached, as in grading), one process, this machine as loaded as it is.", ""]
    for name, wrt, claim, ks in r["unstable"][:5]:
        out.append(f"  - unstable: {name} ∂/∂{wrt} `{claim}`: {ks}")
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--every", type=int, default=5)
    a = p.parse_args()
    print("\n".join(section(None, a.seeds, a.every)))
