"""The held-out mutant corpus (tests/data/heldout_mutants.tsv, made by bench/heldout_corpus.py):
new specs and student spellings, labelled by construction; measured in bench/feedback.py only."""
import os
import sys

import pytest

from check import check_claim
from derive import parse_spec

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "tests", "data", "heldout_mutants.tsv")
SPECS = os.path.join(ROOT, "tests", "data", "heldout_specs")


def corpus():
    with open(CORPUS, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if not line.startswith("#")]


def _graph(name, cache={}):
    if name not in cache:
        with open(os.path.join(SPECS, f"{name}.bp"), encoding="utf-8") as f:
            cache[name] = parse_spec(f.read())
    return cache[name]


def test_the_heldout_corpus_has_400_scalar_and_300_matrix_mutants_of_every_kind():
    rows = corpus()
    assert sum(r[0] == "scalar" for r in rows) >= 400
    assert sum(r[0] == "matrix" for r in rows) >= 300
    assert {"sign", "constant_factor", "derivative_of_wrong_function", "missing_factor", "extra_factor",
            "missing_term", "extra_term", "wrong_variable", "transpose", "elementwise_vs_matmul",
            "missing_batch_sum"} <= {r[4] for r in rows}


def test_the_heldout_claims_come_in_ascii_unicode_and_latex_spellings():
    claims = [r[3] for r in corpus()]
    assert sum("\\" in c for c in claims) >= 200                              # \frac, \sigma, \bar{z}
    assert sum(any(ch in c for ch in "σ′ᵀ·∘") for c in claims) >= 200
    assert sum(c.isascii() for c in claims) >= 200


def test_the_heldout_specs_are_not_the_tuned_ones():
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    from feedback_corpus import EXTRA, SCALAR
    tuned = set(SCALAR) | set(EXTRA) | {p[:-3] for p in os.listdir(os.path.join(ROOT, "exercises", "specs"))}
    assert not {r[1] for r in corpus()} & tuned


SAMPLE = corpus()[::60]


@pytest.mark.parametrize("backend,spec,wrt,claim,kind", SAMPLE,
                         ids=[f"{r[1]}-{r[2]}-{r[4]}-{i}" for i, r in enumerate(SAMPLE)])
def test_a_heldout_mutant_is_judged_incorrect_with_a_counterexample(backend, spec, wrt, claim, kind):
    v = check_claim(_graph(spec), wrt, claim)
    assert v.verdict == "incorrect"
    assert v.counterexample["at"]
