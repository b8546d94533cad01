"""Diagnoses of mistakes found on the held-out corpus (bench/heldout_corpus.py): each names the
mistake and carries a repair that is judged correct."""
import os

from check import check_claim
from derive import parse_spec

SPECS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "heldout_specs")


def _spec(name):
    with open(os.path.join(SPECS, f"{name}.bp"), encoding="utf-8") as f:
        return parse_spec(f.read())


def _named(spec, wrt, claim, kind):
    g = _spec(spec)
    v = check_claim(g, wrt, claim)
    assert v.verdict == "incorrect"
    d = v.diagnosis
    assert d["kind"] == kind, d
    assert check_claim(g, wrt, d["fix"]["text"]).verdict == "correct", d
    return d


def test_latex_odot_for_a_matrix_product_is_elementwise_vs_matmul():
    _named("relu_col", "W2", r"(y - t) \odot h^\top", "elementwise_vs_matmul")


def test_unicode_circ_for_a_matrix_product_is_elementwise_vs_matmul():
    _named("softplus_layer", "X", "G ∘ σ(X W) ∘ Wᵀ", "elementwise_vs_matmul")


def test_an_extra_constant_term_is_an_extra_term():
    d = _named("softplus_reg", "w", "(y - t)*sigma(z)*x + 1", "extra_term")
    assert d["fix"]["text"] == "x*(y - t)*sigma(z)"


def test_one_minus_h_for_tanh_prime_in_one_term_is_the_derivative_of_the_wrong_function():
    d = _named("rnn_scalar", "b", "(h2 - t)*(1 - h2) + (h2 - t)*(1 - h2^2)*v*(1 - h1^2)",
               "derivative_of_wrong_function")
    assert "1 - h2" in d["message"]


def test_a_claim_undefined_at_the_probe_point_still_gets_a_true_repair():
    g = _spec("attn_scalar")
    d = check_claim(g, "a1", "(g - 1)*b1/sqrt(a2)").diagnosis
    assert check_claim(g, "a1", d["fix"]["text"]).verdict == "correct"


def test_one_occurrence_of_a_name_left_untransposed_is_a_transpose_with_a_fix():
    d = _named("ridge_lasso", "w", "X @ (X @ w - t) + alpha*sign(w) + 2*beta*w", "transpose")
    assert d["fix"]["text"].count("X.T") == 1


def test_relu_prime_of_the_bias_alone_is_incorrect_at_every_seed():
    g = _spec("relu_net")
    verdicts = {check_claim(g, "b1", "(y - t)*w2*relu'(b1)", seed=s).verdict for s in range(10)}
    assert verdicts == {"incorrect"}


def test_an_activation_derivative_at_the_wrong_argument_is_a_wrong_variable():
    d = _named("relu_col", "x", "W1.T @ (W2.T @ (y - t) * relu'(b1))", "wrong_variable")
    assert "b1" in d["message"]
