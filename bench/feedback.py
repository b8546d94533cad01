"""Feedback benchmark: kind accuracy on the labelled mutant corpus (tests/data/feedback_mutants.tsv),
repairs that fail their own check, kinds across seeds, and diagnosis time (p99 of a wrong claim).
Measured here only, never asserted in tests. `python bench/feedback.py [--seeds N] [--limit N]`."""
import argparse
import os
import sys
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from check import check_claim                      # noqa: E402
from feedback_corpus import OUT, spec_text  # noqa: E402
from derive import parse_spec                       # noqa: E402


def corpus(limit=None):
    rows = []
    with open(OUT, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                rows.append(line.rstrip("\n").split("\t"))
    return rows[:limit] if limit else rows


def graph(backend, name, cache={}):
    if name not in cache:
        if backend == "matrix":
            with open(os.path.join(HERE, "..", "tests", "data", "specs", f"{name}.bp"), encoding="utf-8") as f:
                cache[name] = parse_spec(f.read())
        else:
            cache[name] = parse_spec(spec_text(name))
    return cache[name]


def run(seeds=1, limit=None):
    rows = corpus(limit)
    right, wrong_fix, unstable, times, confusion = 0, 0, 0, [], Counter()
    for backend, name, wrt, claim, kind in rows:
        g = graph(backend, name)
        kinds = []
        for seed in range(seeds):
            start = time.perf_counter()
            v = check_claim(g, wrt, claim, seed=seed)
            if seed == 0:
                times.append(time.perf_counter() - start)
            d = v.diagnosis or {}
            kinds.append(d.get("kind"))
            fix = d.get("fix")
            if seed == 0 and fix and check_claim(g, wrt, fix["text"]).verdict != "correct":
                wrong_fix += 1
        right += kinds[0] == kind
        if kinds[0] != kind:
            confusion[(kind, kinds[0])] += 1
        unstable += len(set(kinds)) > 1
    times.sort()
    p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
    return {"mutants": len(rows), "kind_accuracy": right / len(rows), "failed_repairs": wrong_fix,
            "seed_unstable": unstable, "p99_ms": 1000 * p99, "median_ms": 1000 * times[len(times) // 2],
            "confusion": confusion.most_common(12)}


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--limit", type=int)
    a = p.parse_args()
    r = run(a.seeds, a.limit)
    for k, v in r.items():
        print(f"{k}: {v}")
