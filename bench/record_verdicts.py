"""Every verdict of the scalar claim corpora, recorded whole (verdict, evidence, counterexample,
diagnosis, as_read) so that a change meant to be faster only can be shown to change nothing:
record before, record after, compare the files byte for byte.

Corpora: the claims/s lists of claims_per_second.py (correct, wrong, mixed), the held-out chains
of check_claim.py, the scalar rows of tests/data/feedback_mutants.tsv at seeds 0 and 3 (and at
deadline 0), and the claim mutants of tests/test_mutants.py.

Usage: python bench/record_verdicts.py OUT.json   (about a minute)
"""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [HERE, os.path.join(ROOT, "tests")]


def claims():
    """(source, spec text, wrt, claim, seed, deadline) for every recorded verdict."""
    import check_claim as cc
    import claims_per_second as cps
    import test_mutants as tm
    from feedback_corpus import spec_text
    out = []
    spec = cps.RL_SPEC.read_text()
    for kind in ("correct", "wrong", "mixed"):
        out += [("claims/s", spec, wrt, text, 0, 1.0) for wrt, text, _, _ in cps._rl_list(kind, cps.RL_PER_LIST)]
    out += [("held-out", c["spec"], "w1", c["text"], 0, 1.0) for c in cc._claims()]
    texts = {}
    with open(os.path.join(ROOT, "tests", "data", "feedback_mutants.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            backend, name, wrt, claim, _kind = line.rstrip("\n").split("\t")
            if backend == "scalar":
                text = texts.setdefault(name, spec_text(name))
                out += [("feedback", text, wrt, claim, seed, deadline) for seed in (0, 3) for deadline in (1.0, 0.0)]
    for name, wrt, claim, _kind in tm.CLAIM_MUTANTS:
        path = os.path.join(ROOT, "exercises", "specs", f"{name}.bp")
        text = tm.TANH if name == "tanh" else open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if text is not None:
            out.append(("mutants", text, wrt, claim, 0, 1.0))
    return out


def main(path):
    from check import check_claim
    start, records = time.perf_counter(), []
    for source, spec, wrt, claim, seed, deadline in claims():
        try:
            v = check_claim(spec, wrt, claim, seed=seed, deadline=deadline).to_dict()
        except Exception as e:           # recorded too: an error must stay the same error
            v = {"error": repr(e)}
        records.append({"source": source, "wrt": wrt, "claim": claim, "seed": seed, "deadline": deadline, "v": v})
    with open(path, "w", encoding="utf-8") as f:
        json.dump(records, f, sort_keys=True, indent=0, ensure_ascii=False, default=str)
    print(f"{len(records)} verdicts -> {path} ({time.perf_counter() - start:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
