"""Feedback in the student's terms: a zero adjoint says where the variable reaches the output
and what its adjoint is; a mistake at the true class (softmax's −1, a hinge's own margin) says
so and comes with a repair of the student's own formula that is checked correct."""
import pytest

from check import check_adjoints, check_claim
from conftest import spec_path
from derive.parse import Scope, parse_expression
from derive.errors import ParseError
from test_labels import BATCH, MASKED, SOFTMAX, SVM

# CSC321's regularized logistic regression at the lecture's point
REGLOG = """\
wrt: w, b
z = w*x + b
y = sigma(z)
L = 1/2*(y - t)^2
R = 1/2*w^2
L_reg = L + lambda*R
at: w=0.7, x=-1.3, b=0.2, t=1, lambda=0.1
"""


def test_zero_adjoint_names_the_path_it_misses_and_the_right_adjoint():
    item = check_adjoints(REGLOG, "z_bar = 0").to_dict()["items"][0]
    d = item["diagnosis"]
    assert item["verdict"] == "incorrect"
    assert d["message"] == "z\u0304 is 0 here, but z reaches the output (the path through y): z\u0304 = y\u0304·σ′(z)"
    assert "constant factor" not in d["message"]
    assert d["fix"]["text"] == "y_bar*sigma'(z)"


def test_zero_gradient_names_every_path():
    d = check_claim(REGLOG, "w", "0").to_dict()["diagnosis"]
    assert d["message"].startswith("w̄ is 0 here, but w reaches the output (the path through z and the path through R)")
    assert check_claim(REGLOG, "w", d["fix"]["text"]).verdict == "correct"


def test_zero_adjoint_in_korean():
    d = check_adjoints(REGLOG, "z_bar = 0", lang="ko").to_dict()["items"][0]["diagnosis"]
    assert d["message"].startswith("z̄가 0으로 되어 있지만 z는 출력에 영향을 줍니다")


@pytest.mark.parametrize("spec, claim, kind, fix", [
    (SOFTMAX, "p", "missing_term", "p - onehot(y)"),                        # the −1 forgotten
    (BATCH, "P/N", "missing_term", "(P - onehot(y))/N"),                     # ... in a mean over N
])
def test_true_class_mistake_is_repaired_in_the_students_terms(spec, claim, kind, fix):
    wrt = "s" if spec is SOFTMAX else "S"
    d = check_claim(spec, wrt, claim).to_dict()["diagnosis"]
    assert d["kind"] == kind and "true class" in d["message"]
    assert d["fix"]["text"] == fix
    assert check_claim(spec, wrt, fix).verdict == "correct"


def test_a_doubled_true_class_term_is_a_constant_on_that_term():
    """A part scaled comes first: −2·onehot(y) for −onehot(y) is a constant factor of that term
    (also true, but less specific: one −1 too many at the true class)."""
    d = check_claim(BATCH, "S", "(P - 2*onehot(y))/N").to_dict()["diagnosis"]
    assert d["kind"] == "constant_factor" and "onehot(y)" in d["message"]
    assert d["fix"]["text"] == "(P - onehot(y))/N"


def test_hinge_counting_the_true_class_gets_a_repair_that_is_correct():
    counted = f"(({MASKED} - onehot(y) * sum([S - pick(S, y) + 1 > 0], axis=1))/N)"
    d = check_claim(SVM, "S", counted).to_dict()["diagnosis"]
    assert d["kind"] == "extra_term"
    assert "onehot(y)" in d["fix"]["text"] and "M_bar" not in d["fix"]["text"]    # the student's formula
    assert check_claim(SVM, "S", d["fix"]["text"]).verdict == "correct"


def test_true_class_message_in_korean():
    d = check_claim(SOFTMAX, "s", "p", lang="ko").to_dict()["diagnosis"]
    assert d["message"].startswith("정답 클래스(onehot(y)가 1인 곳)")


@pytest.mark.parametrize("text, message", [
    ("sum_k x", "a sum over an index is not allowed here"),
    ("[k = y]", "[k = y] compares an index with a class label"),
    ("[k == y]", "[k == y] compares an index with a class label"),
    ("a @ b", "a matrix product (@) is not allowed here"),
])
def test_a_scope_without_the_names_refuses_with_a_position(text, message):
    with pytest.raises(ParseError) as e:
        parse_expression(text, Scope(), 3, 5)
    assert e.value.message.startswith(message) and e.value.line == 3 and e.value.col >= 5


def test_zero_matrix_adjoint_names_its_path_not_a_factor_of_zero():
    d = check_claim(SOFTMAX, "s", "0*p").to_dict()["diagnosis"]
    assert d["message"].startswith("s\u0304 is 0 here, but s reaches the output (the path through p)")
    assert check_claim(SOFTMAX, "s", d["fix"]["text"]).verdict == "correct"


def test_a_repair_never_uses_the_adjoint_it_defines():
    """`w̄ = max(0,0)²` is missing both terms; its repair is written in the other adjoints, never in w̄."""
    from check import check_adjoints
    from conftest import spec_path
    rep = check_adjoints(spec_path("reglog").read_text(encoding="utf-8"), "w_bar = (max(0,0))^{2}")
    fix = rep.items[0].diagnosis["fix"]["text"]
    assert "w_bar" not in fix and "z_bar" in fix and "R_bar" in fix


@pytest.mark.parametrize("spec, wrt, claim, path, fix", [
    # CS231n rnn_forward unrolled twice: h1 feeds the loss and the second step
    ("rnn_two_steps", "h1", "G1", "the path through a2 is missing: a\u03042 W_hᵀ", "G1 + a2_bar @ W_h.T"),
    ("rnn_two_steps", "h1", "(G2 * (1 - h2^2)) @ W_h.T", "the path through L is missing: G1", None),
    ("rnn_two_steps", "W_h", "h1.T @ (G2 * (1 - h2^2))", "the path through a1 is missing: h0ᵀ a\u03041", None),
    # the softmax classifier's regularized W̄, and batchnorm's X̄ = μ̄/N + X̄c (μ̄/N alone is one row)
    ("softmax_batch", "W", "X.T @ S_bar", "the path through L is missing: 2·λ·W", "2*lambda*W + X.T @ S_bar"),
    ("batchnorm", "X", "mu_bar/N", "the path through xc is missing: xc̄", "mu_bar/N + xc_bar"),
])
def test_a_missing_fan_out_path_of_a_matrix_is_named_by_its_path(spec, wrt, claim, path, fix):
    g = spec_path(spec).read_text(encoding="utf-8")
    d = check_claim(g, wrt, claim).to_dict()["diagnosis"]
    assert d["kind"] == "missing_term" and d["message"] == path
    assert fix is None or d["fix"]["text"] == fix
    assert check_claim(g, wrt, d["fix"]["text"]).verdict == "correct"


def test_a_missing_matrix_term_that_is_no_path_is_not_named_as_one():
    d = check_claim(spec_path("softmax").read_text(encoding="utf-8"), "s", "-onehot(y)").to_dict()["diagnosis"]
    assert d["kind"] == "missing_term" and "path" not in d["message"]
