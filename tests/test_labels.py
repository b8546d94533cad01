"""Class labels (issue #17): `label(C)`/`labels(N, C)`, pick, onehot, softmax and friends,
cross-entropy and the SVM hinge loss, judged as CS231n's softmax and SVM gradients are written,
with labels drawn at random at every evidence point and an independent numpy check."""

import numpy as np
import pytest

from check import check_adjoints, check_claim
from check.evidence.matrix import MatrixTruth
from derive import ParseError, parse_spec
from derive.emit import emit_numpy
from derive.index import index_form
from derive.labels import Softmax
from derive.matrix import Leaf, preorder

# the contract's spec: CS231n's softmax classifier on one example
SOFTMAX = """\
s: vector(C)
y: label(C)
p = softmax(s)
L = -log(pick(p, y))
at: s=[1, 2, 0.5], y=1
"""

# a batch of N examples, one row of scores each, averaged (CS231n assignment 1, vectorized)
BATCH = """\
X: matrix(N, D)
W: matrix(D, C)
y: labels(N, C)
S = X @ W
P = softmax(S, axis=1)
L = -sum(log(pick(P, y)))/N
"""

# CS231n's multiclass SVM with margin Δ = 1 and L2 regularization, the true class masked out
SVM = """\
X: matrix(N, D)
W: matrix(D, C)
y: labels(N, C)
S = X @ W
M = max(0, S - pick(S, y) + 1)
L = sum((1 - onehot(y)) * M)/N + lambda*norm2(W)
"""

MASKED = "(1 - onehot(y)) * [S - pick(S, y) + 1 > 0]"
SVM_GRAD = f"X.T @ (({MASKED} - onehot(y) * sum({MASKED}, axis=1))/N) + 2*lambda*W"
# the classic slip: the true class (whose margin is always 1 > 0) counted in the row sum
SVM_COUNTS_TRUE_CLASS = f"X.T @ (({MASKED} - onehot(y) * sum([S - pick(S, y) + 1 > 0], axis=1))/N) + 2*lambda*W"


def verdict(spec, wrt, claim):
    return check_claim(spec, wrt, claim).to_dict()


def flat(values):
    return [float(v) for v in np.asarray(values, dtype=object).flat]


# --- derive: the lecture's numbers, the rule, the notation ---------------------------------------

def test_softmax_cross_entropy_gradient_has_the_contract_numbers():
    d = parse_spec(SOFTMAX).backprop().to_json(point=parse_spec(SOFTMAX).at)
    assert flat(d["adjoint_values"]["s"]) == pytest.approx([0.2312239, -0.3714683, 0.1402444], abs=1e-7)
    assert flat(d["values"]["p"]) == pytest.approx([0.2312239, 0.6285317, 0.1402444], abs=1e-7)
    assert d["values"]["y"] == 1


def test_labels_are_never_in_the_default_wrt():
    assert parse_spec(SOFTMAX).wrt == ("s",)
    assert parse_spec(BATCH).wrt == ("X", "W")
    with pytest.raises(ValueError, match="class label"):
        parse_spec(SOFTMAX).backprop(wrt=["y"])


def test_softmax_backward_is_the_rule_in_its_output_not_expanded_exponentials():
    d = parse_spec(SOFTMAX).backprop()
    s_bar = d.by_name["s"].expr
    names = {e.name for e in preorder(s_bar) if isinstance(e, Leaf)}
    assert names == {"p", "p_bar"}                     # p ∘ (p̄ − Σ p ∘ p̄)
    assert not any(isinstance(e, Softmax) for e in preorder(s_bar))
    assert "exp" not in d.to_text()


def test_index_form_writes_the_true_class_as_an_indicator():
    text = index_form(parse_spec(SOFTMAX).backprop())
    assert "𝟙[i = y]" in text and "p_y" in text
    tex = index_form(parse_spec(BATCH).backprop(), latex=True)
    assert r"\mathbb{1}\left[j = y_{i}\right]" in tex


SPREAD = """\
S: matrix(C, N)
L = sum(softmax(S, axis=0)*S) - sum(log_softmax(S, axis=0)) + sum(logsumexp(S, axis=0))
"""


@pytest.mark.parametrize("spec", ["SOFTMAX", "BATCH", "SVM", "LSE", "SPREAD"])
@pytest.mark.parametrize("form", ["latex", "index", "index-latex"])
def test_derive_output_reads_back_as_a_correct_submission(spec, form):
    spec = globals()[spec]
    d = parse_spec(spec).backprop()
    text = d.to_latex() if form == "latex" else index_form(d, latex=form == "index-latex")
    report = check_adjoints(spec, text).to_dict()
    assert [i["verdict"] for i in report["items"]] == ["correct"] * len(report["items"])
    assert report["missing"] == []


# --- check: the CS231n softmax gradient ----------------------------------------------------------

def test_claim_p_minus_onehot_is_correct():
    assert verdict(SOFTMAX, "s", "p - onehot(y)")["verdict"] == "correct"
    assert verdict(SOFTMAX, "s", "softmax(s) - onehot(y)")["verdict"] == "correct"


@pytest.mark.parametrize("claim", ["s_bar_k = p_k - 𝟙[k = y]", "s_bar_k = p_k - [k = y]",
                                   r"\bar{s}_k = p_k - \mathbb{1}[k = y]", r"\bar{s}_k = p_k - \mathbb{1}(y = k)",
                                   r"\bar{s}_{k} = p_{k} - \mathbb{1}\left[k = y\right]"])
def test_index_form_with_an_indicator_is_correct(claim):
    assert verdict(SOFTMAX, "s", claim)["verdict"] == "correct"


def test_forgetting_the_minus_one_on_the_true_class_is_incorrect():
    v = verdict(SOFTMAX, "s", "p")
    assert v["verdict"] == "incorrect"
    assert v["diagnosis"]["kind"] == "missing_term"
    assert "true class" in v["diagnosis"]["message"]
    assert v["counterexample"]["at"]["y"] == 1          # the spec's point, its label a whole number
    assert verdict(SOFTMAX, "s", "s_bar_k = p_k - [k ≠ y]")["verdict"] == "incorrect"


def test_a_claim_right_only_when_the_true_class_scores_highest_is_incorrect():
    # at the spec's point y = 1 has the top score, so [s >= s_y] is onehot(y) there; random
    # labels at the other points expose it
    v = verdict(SOFTMAX, "s", "p - [s >= pick(s, y)]")
    assert v["verdict"] == "incorrect"
    assert v["counterexample"]["at"] != {"s": [1.0, 2.0, 0.5], "y": 1}


def test_every_evidence_point_draws_its_own_labels_at_several_class_counts():
    truth = MatrixTruth(parse_spec(BATCH), 0)
    labels = [tuple(int(v) for v in env["y"].flat) for env in truth.points]
    classes = {env["__sizes__"]["C"] for env in truth.points}
    assert len(classes) >= 3
    assert len(set(labels)) > len(labels) // 2          # drawn afresh, not one vector reused
    for env in truth.points:
        c = env["__sizes__"]["C"]
        assert all(0 <= k < c for k in (int(v) for v in env["y"].flat))
    # not one fixed class: every class count's points use more than one class between them
    for c in classes:
        used = {k for env in truth.points if env["__sizes__"]["C"] == c for k in (int(v) for v in env["y"].flat)}
        assert len(used) > 1


def test_batch_softmax_gradient_cs231n_vectorized():
    assert verdict(BATCH, "W", "X.T @ (P - onehot(y))/N")["verdict"] == "correct"
    assert verdict(BATCH, "W", "W_bar = X.T @ ((P - onehot(y))/N)")["verdict"] == "correct"
    wrong = verdict(BATCH, "W", "X.T @ (P - onehot(y))")
    assert wrong["verdict"] == "incorrect" and wrong["diagnosis"]["kind"] == "missing_factor"
    assert verdict(BATCH, "W", "X.T @ P/N")["verdict"] == "incorrect"


@pytest.mark.parametrize("claim", ["S_bar_ij = (P_ij - 𝟙[j = y_i])/N",
                                   r"\bar{S}_{ij} = \frac{1}{N}\left(P_{ij} - \mathbb{1}(y_i = j)\right)",
                                   "(P - onehot(y))/N"])
def test_batch_score_gradient_in_every_spelling(claim):
    assert verdict(BATCH, "S", claim)["verdict"] == "correct"


def test_batch_indices_swapped_are_a_shape_mistake_not_correct():
    v = verdict(BATCH, "S", "S_bar_ij = (P_ij - 𝟙[i = y_j])/N")
    assert v["verdict"] == "incorrect"


def test_cross_entropy_primitive_is_the_summed_negative_log_softmax():
    spec = "S: matrix(N, C)\ny: labels(N, C)\nL = cross_entropy(S, y)/N\n"
    same = "S: matrix(N, C)\ny: labels(N, C)\nL = -sum(pick(log_softmax(S, axis=1), y))/N\n"
    assert verdict(spec, "S", "(softmax(S, axis=1) - onehot(y))/N")["verdict"] == "correct"
    assert verdict(same, "S", "(softmax(S, axis=1) - onehot(y))/N")["verdict"] == "correct"
    assert verdict(spec, "S", "softmax(S, axis=1)/N")["verdict"] == "incorrect"


# --- check: the CS231n SVM hinge loss ------------------------------------------------------------

def test_svm_hinge_gradient_cs231n_vectorized_is_correct():
    assert verdict(SVM, "W", SVM_GRAD)["verdict"] == "correct"
    relu_spelling = ("X.T @ ((relu'(S - pick(S, y) + 1) - onehot(y) * sum(relu'(S - pick(S, y) + 1), axis=1))/N)"
                     " + 2*lambda*W")
    assert verdict(SVM, "W", relu_spelling)["verdict"] == "correct"


def test_svm_true_class_counted_in_the_row_sum_is_incorrect():
    assert verdict(SVM, "W", SVM_COUNTS_TRUE_CLASS)["verdict"] == "incorrect"
    v = verdict(SVM, "S", f"({MASKED} - onehot(y) * sum([S - pick(S, y) + 1 > 0], axis=1))/N")
    assert v["verdict"] == "incorrect" and v["diagnosis"]["kind"] == "extra_term"


def test_svm_regularization_factor_lambda_for_two_lambda_is_incorrect():
    claim = f"X.T @ (({MASKED} - onehot(y) * sum({MASKED}, axis=1))/N) + lambda*W"
    assert verdict(SVM, "W", claim)["verdict"] == "incorrect"


# CS231n notes' single-example SVM: L_i = Σ_{j≠y_i} max(0, s_j − s_{y_i} + Δ), Δ = 1
HINGE = """\
s: vector(C)
y: label(C)
L = sum((1 - onehot(y)) * max(0, s - pick(s, y) + 1))
"""
HINGE_BATCH = """\
S: matrix(N, C)
y: labels(N, C)
L = sum((1 - onehot(y)) * max(0, S - pick(S, y) + 1))/N
"""


@pytest.mark.parametrize("claim", [
    "s_bar_j = [j ≠ y]*[s_j - s_y + 1 > 0] - [j = y]*Σ_k [k ≠ y]*[s_k - s_y + 1 > 0]",
    "s_bar_j = [j ≠ y]*[s_j - s_y + 1 > 0] - [j = y]*Σ_k 𝟙[k ≠ y]*[s_k - s_y + 1 > 0]",
    r"\bar{s}_j = \mathbb{1}[j \ne y]\,\mathbb{1}(s_j - s_y + 1 > 0) - \mathbb{1}[j = y]\sum_{k \ne y} \mathbb{1}(s_k - s_y + 1 > 0)",
    r"\bar{s}_j = \mathbb{1}[j \neq y]\,\mathbb{1}(s_j - s_{y} + 1 > 0) - \mathbb{1}[j = y]\sum_{k} \mathbb{1}[k \neq y]\,\mathbb{1}(s_k - s_{y} + 1 > 0)",
    "(1 - onehot(y))*[s - pick(s, y) + 1 > 0] - onehot(y)*sum((1 - onehot(y))*[s - pick(s, y) + 1 > 0])",
])
def test_hinge_gradient_of_the_notes_in_every_spelling(claim):
    assert verdict(HINGE, "s", claim)["verdict"] == "correct"


def test_hinge_sum_over_every_class_counts_the_true_class():
    v = verdict(HINGE, "s", r"\bar{s}_j = \mathbb{1}[j \ne y]\,\mathbb{1}(s_j - s_y + 1 > 0) - \mathbb{1}[j = y]\sum_{k} "
                            r"\mathbb{1}(s_k - s_y + 1 > 0)")
    assert v["verdict"] == "incorrect" and v["diagnosis"]["kind"] == "extra_term"


@pytest.mark.parametrize("claim, want", [
    (r"\bar{S}_{ij} = \frac{1}{N}\left(\mathbb{1}[j \ne y_i]\,\mathbb{1}(S_{ij} - S_{i y_i} + 1 > 0) - "
     r"\mathbb{1}[j = y_i]\sum_{k \ne y_i}\mathbb{1}(S_{ik} - S_{i,y_i} + 1 > 0)\right)", "correct"),
    ("S_bar_ij = ([j ≠ y_i]*[S_ij - S_iy_i + 1 > 0] - [j = y_i]*Σ_k [k ≠ y_i]*[S_ik - S_iy_i + 1 > 0])/N", "correct"),
    ("S_bar_ij = ([j ≠ y_i]*[S_ij - S_iy_i + 1 > 0] - [j = y_i]*Σ_k [S_ik - S_iy_i + 1 > 0])/N", "incorrect"),
])
def test_batch_hinge_in_index_form_with_the_true_class_score(claim, want):
    assert verdict(HINGE_BATCH, "S", claim)["verdict"] == want


# --- an independent numpy finite-difference check -------------------------------------------

def _np_log_softmax(S, axis):
    m = S.max(axis=axis, keepdims=True)
    return S - m - np.log(np.exp(S - m).sum(axis=axis, keepdims=True))


def _np_softmax_loss(X, W, y, lam):
    S = X @ W
    return -np.mean(_np_log_softmax(S, 1)[np.arange(len(y)), y])


def _np_svm_loss(X, W, y, lam):
    S = X @ W
    margins = np.maximum(0, S - S[np.arange(len(y)), y][:, None] + 1)
    margins[np.arange(len(y)), y] = 0
    return margins.sum() / len(y) + lam * np.sum(W * W)


def _np_lse_loss(X, W, y, lam):
    S = X @ W
    m = S.max(axis=0, keepdims=True)
    lse = m + np.log(np.exp(S - m).sum(axis=0, keepdims=True))
    logp = _np_log_softmax(S, 1)
    return np.sum(lse ** 2) + lam * np.sum(logp * S) - np.sum(logp[np.arange(len(y)), y])


LSE = """\
X: matrix(N, D)
W: matrix(D, C)
y: labels(N, C)
S = X @ W
L = sum(logsumexp(S, axis=0)^2) + lambda*sum(log_softmax(S, axis=1)*S) - sum(pick(log_softmax(S, axis=1), y))
"""


@pytest.mark.parametrize("spec, loss", [(BATCH, _np_softmax_loss), (SVM, _np_svm_loss), (LSE, _np_lse_loss)])
def test_gradients_match_numpy_finite_differences_on_random_sizes(spec, loss):
    graph = parse_spec(spec)
    d = graph.backprop(wrt=["W", "X"])
    source = emit_numpy(d)
    emitted = {}
    exec(compile(source, "<emitted>", "exec"), emitted)     # our own generated code, not user text
    rng = np.random.default_rng(7)
    for _ in range(3):
        N, D, C = (int(v) for v in rng.choice(np.arange(2, 8), 3, replace=False))
        X, W = rng.normal(size=(N, D)), rng.normal(size=(D, C))
        y, lam = rng.integers(0, C, size=N), 0.3
        point = {"X": X.tolist(), "W": W.tolist(), "y": y.tolist(), "lambda": lam}
        point = {k: np.array(v, dtype=object) for k, v in point.items() if k in graph.inputs}
        _, adj = d.values(point)
        h = 1e-6
        for name, arr in (("W", W), ("X", X)):
            num = np.zeros_like(arr)
            for idx in np.ndindex(arr.shape):
                e = np.zeros_like(arr)
                e[idx] = h
                args = (X + e, W, y, lam) if name == "X" else (X, W + e, y, lam)
                minus = (X - e, W, y, lam) if name == "X" else (X, W - e, y, lam)
                num[idx] = (loss(*args) - loss(*minus)) / (2 * h)
            ours = np.array([[float(v) for v in row] for row in adj[name]])
            assert np.allclose(ours, num, atol=1e-6), (name, N, D, C)
            kwargs = {"X": X, "W": W, "y": y.reshape(-1, 1)}
            if "lambda" in graph.inputs:
                kwargs["lambda_"] = lam
            _, grads = emitted["forward_backward"](**kwargs)
            assert np.allclose(grads[name], num, atol=1e-6), (name, N, D, C)


# --- bad input ----------------------------------------------------------------------------------

def test_softmax_of_a_matrix_without_its_axis_is_an_error_at_its_column():
    with pytest.raises(ParseError) as e:
        parse_spec("S: matrix(N, C)\ny: labels(N, C)\nP = softmax(S)\nL = sum(P)\n")
    assert (e.value.line, e.value.col) == (3, 5) and "axis" in e.value.message


@pytest.mark.parametrize("text, where, words", [
    ("s: vector(C)\ny: label(C)\nL = sum(s*y)\n", 3, "class label"),
    ("s: vector(C)\ny: label(C)\nL = sum(relu'(y))\n", 3, "class label"),
    ("s: vector(C)\ny: label(C)\nL = sum([y > 0]*s)\n", 3, "class label"),
    ("s: vector(C)\ny: label(C)\nL = sum(s^y)\n", 3, "class label"),
    ("p = softmax(s)\nL = -log(p)\n", 1, "declare"),
    ("y: label(C)\nx: vector(D)\nL = sum(onehot(y))*sum(x)\n", 1, "size of no input"),
    ("s: vector(C)\ny: label(C)\nL = cross_entropy(s.T, y)\n", 3, "C×1"),
    ("s: vector(C)\ny: labels(C)\nL = pick(s, y)\n", 2, "labels(N, C)"),
    ("s: vector(C)\ny: label(C)\nL = -log(pick(softmax(s), y))\nwrt: y\n", 4, "class label"),
    ("s: vector(C)\ny: label(C)\nL = -log(pick(softmax(s), y))\nat: s=[1, 2], y=2\n", 4, "0..1"),
    ("S: matrix(N, C)\ny: labels(N, C)\nL = cross_entropy(S, y)\nat: S=[[1, 2], [0, 1]], y=[0, 0.5]\n", 4,
     "whole number"),
])
def test_labels_misused_are_errors_with_their_line(text, where, words):
    with pytest.raises(ParseError) as e:
        parse_spec(text)
    assert e.value.line == where and words in e.value.message


def test_a_class_label_has_no_gradient_to_claim(cli, tmp_path):
    spec = tmp_path / "softmax.bp"
    spec.write_text(SOFTMAX, encoding="utf-8")
    code, out, err = cli("check", "grad", spec, "--wrt", "y", "--claim", "0")
    assert code == 2 and "class label" in err and "Traceback" not in err
    code, out, err = cli("check", "grad", spec, "--wrt", "s", "--claim", "p - y")
    assert code == 2 and "class label" in err


def test_labels_in_at_are_a_list_for_a_batch():
    g = parse_spec(BATCH + "at: X=[[1, 0], [0, 1], [1, 1]], W=[[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]], y=[0, 2, 1]\n")
    d = g.backprop().to_json(point=g.at)
    assert d["values"]["y"] == [0, 2, 1]
    expected = np.zeros((2, 3))
    X, W, y = np.array([[1, 0], [0, 1], [1, 1.]]), np.array([[.1, .2, .3], [.3, .2, .1]]), [0, 2, 1]
    P = np.exp(X @ W) / np.exp(X @ W).sum(axis=1, keepdims=True)
    P[np.arange(3), y] -= 1          # CS231n: dscores[range(N), y] -= 1
    expected = X.T @ P / 3
    assert np.allclose(np.array(d["adjoint_values"]["W"], dtype=float), expected)
