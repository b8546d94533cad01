"""The matrix mutant corpus (tests/data/matrix_mutants.tsv, made by bench/matrix_corpus.py): correct
claims on the bundled matrix specs with one mistake of a known kind put in. A sample is judged here
(the whole corpus, and every seed 0-9, in bench/feedback.py): the kind named right, the repair read
back and judged correct, the same kind at every seed."""
import os

import pytest

from check import check_claim
from conftest import spec_path
from derive import parse_spec

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "tests", "data", "matrix_mutants.tsv")
KINDS = {"sign", "constant_factor", "derivative_of_wrong_function", "transpose", "missing_batch_sum",
         "elementwise_vs_matmul", "missing_factor", "extra_factor", "missing_term", "extra_term", "wrong_variable"}
SPECS = {"l2", "mlp", "affine", "affine_relu", "softmax", "svm_vectorized", "batchnorm", "layernorm", "rnn_step",
         "rnn_two_steps", "two_layer", "two_layer_softmax"}


def corpus():
    with open(CORPUS, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if not line.startswith("#")]


_GRAPHS = {}


def graph(name):
    if name not in _GRAPHS:
        _GRAPHS[name] = parse_spec(spec_path(name).read_text(encoding="utf-8"))
    return _GRAPHS[name]


SAMPLE = corpus()[::23]          # about 50 mutants, every kind and most specs, in seconds


def test_the_matrix_corpus_is_large_and_covers_every_kind_and_spec():
    rows = corpus()
    assert len(rows) >= 400
    assert {r[4] for r in rows} == KINDS
    assert {r[1] for r in rows} >= SPECS
    assert len({(r[1], r[2], r[3]) for r in rows}) == len(rows)


@pytest.mark.parametrize("backend,spec,wrt,claim,kind", SAMPLE, ids=[f"{r[1]}-{r[2]}-{r[4]}" for r in SAMPLE])
def test_matrix_mutant_is_incorrect_and_its_repair_reads_back_correct(backend, spec, wrt, claim, kind):
    v = check_claim(graph(spec), wrt, claim)
    assert v.verdict == "incorrect"
    d = v.diagnosis
    if d.get("fix"):
        assert check_claim(graph(spec), wrt, d["fix"]["text"]).verdict == "correct", d


def test_matrix_kind_accuracy_on_the_sample_is_at_least_90_percent():
    right = sum(check_claim(graph(s), w, c).diagnosis["kind"] == k for _b, s, w, c, k in SAMPLE)
    assert right / len(SAMPLE) >= 0.9, right       # the whole corpus: bench/feedback.py (goal 95%)


def test_matrix_kinds_are_the_same_for_seeds_0_to_9():
    for _b, s, w, c, _k in corpus()[::250]:
        kinds = {check_claim(graph(s), w, c, seed=seed).diagnosis["kind"] for seed in range(10)}
        assert len(kinds) == 1, (s, w, c, kinds)


@pytest.mark.parametrize("claim,kind,fixed", [
    ("a_bar.T @ h_prev", "transpose", "(a_bar.T @ h_prev).T"),        # the square W̄_h transposed whole
    ("(G * (1 - h^2)).T @ h_prev", "transpose", None),
])
def test_a_transposed_square_rnn_weight_gradient_is_a_transpose(claim, kind, fixed):
    d = check_claim(graph("rnn_step"), "W_h", claim).diagnosis
    assert d["kind"] == kind, d
    if fixed:
        assert d["fix"]["text"] == fixed


def test_one_minus_h_for_tanh_prime_names_the_factor_and_its_fix():
    d = check_claim(graph("rnn_step"), "a", "G * (1 - h)").diagnosis
    assert d["kind"] == "derivative_of_wrong_function"
    assert d["message"] == "the factor 1 - h should be tanh′(a)"
    assert check_claim(graph("rnn_step"), "a", d["fix"]["text"]).verdict == "correct"


@pytest.mark.parametrize("spec,wrt,claim,kind,words", [
    ("softmax_batch", "W", "X.T @ S_bar + lambda*W", "constant_factor", "λ"),      # 2·reg·W on one term
    ("rnn_two_steps", "W_h", "h0.T @ a1_bar - h1.T @ a2_bar", "sign", "h1"),        # one path's sign
    ("affine", "X", "out_bar @ W.T + 1", "extra_term", "extra term 1"),
    ("batchnorm", "xc", "2 * beta * xc / N + x_hat_bar / std", "wrong_variable", "β"),
    ("mlp", "z", "h_bar * h * (1 - h) + z", "extra_term", "extra term z"),
])
def test_matrix_edits_name_the_part_that_is_wrong(spec, wrt, claim, kind, words):
    d = check_claim(graph(spec), wrt, claim).diagnosis
    assert d["kind"] == kind and words in d["message"], d
    assert check_claim(graph(spec), wrt, d["fix"]["text"]).verdict == "correct"


def test_a_batch_sum_missing_on_one_term_is_a_missing_batch_sum():
    d = check_claim(graph("rnn_two_steps"), "b", "a1_bar + sum(a2_bar, axis=0)").diagnosis
    assert d["kind"] == "missing_batch_sum"
    assert d["fix"]["text"] == "sum(a1_bar, axis=0) + sum(a2_bar, axis=0)"
