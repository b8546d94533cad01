"""Judging matrix claims and adjoint submissions (issue #7): random matrices at several sizes,
so a claim that only works for square matrices fails; a table of wrong forms, each incorrect with
the right diagnosis; correct forms written several ways, plain and LaTeX."""
import json

import pytest

from check import check_adjoints, check_claim
from conftest import spec_path, spec_text

L2 = spec_path("l2").read_text(encoding="utf-8")
MLP = spec_path("mlp").read_text(encoding="utf-8")
TWO = spec_path("two_layer").read_text(encoding="utf-8")

BATCH = spec_text("batch")

REG = spec_text("reg")

TIED = spec_text("tied")

MEAN = """\
X: matrix(N, D)
w: vector(D)
s = X @ w
L = mean(s^2)
"""

RELU_MEAN = spec_text("relu_mean")

SPECS = {"l2": L2, "mlp": MLP, "two_layer": TWO, "batch": BATCH, "reg": REG, "tied": TIED, "mean": MEAN,
         "relu_mean": RELU_MEAN}


def adjoint_item(spec, line):
    report = check_adjoints(SPECS[spec], line).to_dict()
    assert len(report["items"]) == 1, report
    return report["items"][0]


def claim_item(spec, wrt, text):
    return check_claim(SPECS[spec], wrt, text).to_dict()


# (spec, "adjoint" line or claim for wrt, text, kind)
MUTANTS = [
    # sign
    ("l2", None, "q_bar = -2*q", "sign"),
    ("l2", "x", "-2*W.T @ W @ x", "sign"),
    ("mlp", None, "y_bar = t - y", "sign"),
    # constant factor (incl. the ½ convention)
    ("l2", None, "q_bar = q", "constant_factor"),
    ("l2", "W", "4*W @ x @ x.T", "constant_factor"),
    ("mlp", None, "y_bar = 2*(y - t)", "constant_factor"),
    ("two_layer", None, "y_pred_bar = y_pred - y", "constant_factor"),
    # σ for σ′
    ("mlp", None, "z_bar = h_bar * sigma(z)", "derivative_of_wrong_function"),
    ("mlp", None, r"\bar{z} = \bar{h} \circ \sigma(z)", "derivative_of_wrong_function"),
    ("batch", None, "Z_bar = A_bar * sigma(Z)", "derivative_of_wrong_function"),
    ("two_layer", None, "W1_bar = x.T @ (h_bar * h)", "derivative_of_wrong_function"),
    # transpose
    ("l2", None, "x_bar = W @ q_bar", "transpose"),
    ("l2", None, "W_bar = x @ q_bar.T", "transpose"),
    ("l2", "x", "2*W @ q", "transpose"),
    ("mlp", None, "h_bar = W2 @ y_bar", "transpose"),
    ("mlp", None, "W1_bar = x @ z_bar.T", "transpose"),
    ("mlp", None, r"\bar{W}^{(1)} = x \bar{z}^\top", "transpose"),
    ("batch", None, "W1_bar = Z_bar.T @ X", "transpose"),
    ("batch", None, "A_bar = Y_bar @ W2", "transpose"),
    ("two_layer", None, "W2_bar = h @ y_pred_bar", "transpose"),
    ("reg", None, "W_bar = q_bar @ x.T + R_bar*W.T", "transpose"),
    # wrong shape
    ("l2", None, "W_bar = q_bar", "wrong_shape"),
    ("mlp", None, "W1_bar = z_bar * x", "wrong_shape"),
    ("batch", None, "b1_bar = sum(Z_bar)", "wrong_shape"),
    ("batch", None, "b1_bar = sum(Z_bar, axis=1)", "wrong_shape"),
    # the bias of a minibatch: its adjoint sums over the examples
    ("batch", None, "b1_bar = Z_bar", "missing_batch_sum"),
    ("batch", None, "b2_bar = Y_bar", "missing_batch_sum"),
    ("batch", None, r"\bar{b}_1 = \bar{Z}", "missing_batch_sum"),
    ("batch", "b2", "Y - T", "missing_batch_sum"),
    # ∘ for @ and @ for ∘
    ("l2", None, "W_bar = q_bar * x.T", "elementwise_vs_matmul"),
    ("mlp", None, "z_bar = h_bar @ sigma'(z)", "elementwise_vs_matmul"),
    ("mlp", None, "W2_bar = y_bar * h.T", "elementwise_vs_matmul"),
    ("batch", None, "W2_bar = A.T * Y_bar", "elementwise_vs_matmul"),
    # a fan-out path left out
    ("reg", None, "W_bar = q_bar @ x.T", "missing_term"),
    ("reg", None, "W_bar = R_bar*W", "missing_term"),
    ("reg", "W", "(W @ x - t) @ x.T", "missing_term"),
    ("tied", None, "W_bar = h_bar @ x.T", "missing_term"),
    ("tied", None, "W_bar = h @ y_bar.T", "missing_term"),
    # a factor left out
    ("mlp", None, "z_bar = h_bar", "missing_factor"),
    ("mlp", None, "z_bar = sigma'(z)", "missing_factor"),
    ("two_layer", None, "W1_bar = x.T @ h_bar", "missing_factor"),
    ("reg", None, "W_bar = q_bar @ x.T + W", "missing_factor"),
    ("mean", None, "s_bar = 2*s", "missing_factor"),         # the 1/N of the mean: not a constant factor
    # a batch size as a factor: of the whole claim or of one term, whatever N is
    ("relu_mean", "b1", "sum((S - Y) @ W2.T * relu'(Z), axis=0)", "missing_factor"),
    ("relu_mean", "W1", "X.T @ ((S - Y) @ W2.T * relu'(Z)) + lambda*W1", "missing_factor"),
    ("relu_mean", "W1", "X.T @ ((S - Y)/N @ W2.T * relu'(Z)) + lambda*W1/N", "extra_factor"),
    # σ for σ′ (relu for relu′) a layer below, inside an adjoint the claim writes out
    ("relu_mean", "W1", "X.T @ ((S - Y)/N @ W2.T * relu(Z)) + lambda*W1", "derivative_of_wrong_function"),
    ("batch", "W1", "X.T @ ((Y - T) @ W2.T * sigma(Z))", "derivative_of_wrong_function"),
]


def _id(m):
    return f"{m[0]}-{m[3]}-{m[2]}"


def test_the_table_is_large_and_covers_every_matrix_kind():
    assert len(MUTANTS) >= 20
    assert {m[3] for m in MUTANTS} == {
        "sign", "constant_factor", "derivative_of_wrong_function", "transpose", "wrong_shape",
        "missing_batch_sum", "elementwise_vs_matmul", "missing_term", "missing_factor", "extra_factor"}


@pytest.mark.parametrize("spec,wrt,text,kind", MUTANTS, ids=[_id(m) for m in MUTANTS])
def test_mutant_is_incorrect_with_its_kind(spec, wrt, text, kind):
    item = claim_item(spec, wrt, text) if wrt else adjoint_item(spec, text)
    assert item["verdict"] == "incorrect", item
    assert item["diagnosis"]["kind"] == kind, item["diagnosis"]
    assert item["evidence"]["finite_difference"]["status"] == "confirmed"
    ce = item["counterexample"]
    assert ce is not None and ce["sizes"] and ce["expected"] is not None
    assert item["score"] == 0


CORRECT = [
    ("l2", "W", "2*W@x@x.T"),
    ("l2", "W", "2*(W @ x) @ x.T"),
    ("l2", "W", "q_bar @ x.T"),
    ("l2", "W", "(x @ q_bar.T).T"),
    ("l2", "W", r"\bar{q} x^\top"),
    ("l2", "W", r"\bar{q}\, x^{\top}"),
    ("l2", "W", r"2 \, q \, x^T"),
    ("l2", "W", "W_bar = 2*q @ x.T"),
    ("l2", "W", r"\frac{\partial f}{\partial W} = 2 \, W x x^\top"),
    ("l2", "x", r"W^\top \bar{q}"),
    ("l2", "x", r"W^T \bar{q}"),
    ("l2", "x", "W.T @ q_bar"),
    ("l2", "x", "2*W.T @ W @ x"),
    ("l2", "x", "W.T @ (2*q)"),
    ("l2", "x", "(q_bar.T @ W).T"),
    ("l2", "x", "dL/dx = 2*W.T@q"),
    ("mlp", "z", "h_bar * sigma'(z)"),
    ("mlp", "z", "h_bar * h * (1 - h)"),
    ("mlp", "z", "(W2.T @ y_bar) * sigma(z) * (1 - sigma(z))"),
    ("mlp", "z", r"\bar{h} \circ \sigma'(z)"),
    ("mlp", "z", r"\bar{h} \odot h \odot (1 - h)"),
    ("mlp", "z", r"\bar{h} \cdot \sigma'(z)"),
    ("mlp", "h", r"W^{(2)\top} \bar{y}"),
    ("mlp", "h", r"(W^{(2)})^T \bar{y}"),
    ("mlp", "W1", r"\bar{W}^{(1)} = \bar{z} x^\top"),
    ("mlp", "W1", "((W2.T @ (y - t)) * sigma'(z)) @ x.T"),
    ("mlp", "W1", r"(\bar{h} \circ \sigma'(z)) x^T"),
    ("mlp", "W2", r"\bar{W}^{(2)} = \bar{y} h^\top"),
    ("mlp", "b1", "z_bar"),
    ("batch", "b1", "sum(Z_bar, axis=0)"),
    ("batch", "b1", "ones(1, N) @ Z_bar"),
    ("batch", "b1", "ones(N, 1).T @ Z_bar"),
    ("batch", "W1", "X.T @ Z_bar"),
    ("batch", "W1", "X.T @ ((Y - T) @ W2.T * A * (1 - A))"),
    ("two_layer", "W1", "x.T @ (h_bar * h * (1 - h))"),
    ("two_layer", "W1", "x.T @ ((2*(y_pred - y) @ W2.T) * h * (1 - h))"),
    ("two_layer", "W2", "h.T @ y_pred_bar"),
    ("reg", "W", "(W @ x - t) @ x.T + lambda*W"),
    ("tied", "W", "h @ y_bar.T + h_bar @ x.T"),
    ("tied", "W", "W @ ((W.T @ W @ x - x) @ x.T + x @ (W.T @ W @ x - x).T)"),
    ("mean", "w", "2/N * X.T @ s"),
    ("mean", "w", "X.T @ (2*s/N)"),
    ("mean", "w", r"\frac{2}{N} X^\top s"),
    ("mean", "X", "2*s @ w.T / N"),
    ("relu_mean", "W1", "X.T @ ((S - Y)/N @ W2.T * relu'(Z)) + lambda*W1"),
    ("relu_mean", "W1", r"\frac{1}{N} X^\top \left((S - Y) W_2^\top \circ \operatorname{relu}'(Z)\right) + \lambda W_1"),
    ("relu_mean", "b1", "sum(A_bar * relu'(Z), axis=0)"),
    ("relu_mean", "W2", "A.T @ (S - Y) / N + lambda*W2"),
]


@pytest.mark.parametrize("spec,wrt,text", CORRECT, ids=[f"{c[0]}-{c[2]}" for c in CORRECT])
def test_correct_form_is_correct(spec, wrt, text):
    item = claim_item(spec, wrt, text)
    assert item["verdict"] == "correct", item
    assert item["diagnosis"] is None and item["score"] == 1


# --- several sizes: a claim that works only for square matrices fails -------------------------

def test_claims_are_judged_at_several_non_square_sizes():
    item = claim_item("l2", "x", "W.T @ q_bar")
    sizes = item["evidence"]["numeric"]["sizes"]
    random_settings = sizes[1:]                    # the first is the spec's own (square) at: point
    assert len(random_settings) >= 3
    assert all(s["H"] != s["D"] for s in random_settings)
    assert len({(s["H"], s["D"]) for s in random_settings}) == len(random_settings)
    assert item["evidence"]["numeric"]["points"] >= 16


def test_a_claim_that_works_only_for_square_matrices_fails():
    # at the lecture's point W is 2×2, and Wq̄ happens to have the right shape there ...
    import numpy as np
    W = np.array([[0.1, 0.5], [-0.3, 0.8]])
    qbar = np.array([0.44, 0.52])
    assert (W @ qbar).shape == (W.T @ qbar).shape
    # ... but the checker also uses H ≠ D, where it is not even a D-vector: transpose
    item = claim_item("l2", "x", "x_bar = W @ q_bar")
    assert item["verdict"] == "incorrect" and item["diagnosis"]["kind"] == "transpose"
    assert "W" in item["diagnosis"]["message"]
    sizes = item["counterexample"]["sizes"]            # shown where the mistake shows
    assert sizes["H"] != sizes["D"]
    assert len(item["counterexample"]["at"]["W"]) == sizes["H"]
    item = adjoint_item("l2", "x_bar = W @ q_bar")
    assert item["verdict"] == "incorrect" and item["diagnosis"]["kind"] == "transpose"


def test_a_square_only_identity_fails_on_a_square_spec_too():
    # all sizes of a square matrix are square, yet Wᵀ ≠ W: values, not shapes, tell them apart
    spec = "W: matrix(D, D)\nx: vector(D)\nq = W @ x\nf = norm2(q)\n"
    item = check_claim(spec, "x", "W @ q_bar").to_dict()
    assert item["verdict"] == "incorrect" and item["diagnosis"]["kind"] == "transpose"


# --- whole submissions ----------------------------------------------------------------------

MLP_PLAIN = """\
L_bar = 1
y_bar = L_bar*(y - t)
W2_bar = y_bar @ h.T
b2_bar = y_bar
h_bar = W2.T @ y_bar
z_bar = h_bar * sigma'(z)
W1_bar = z_bar @ x.T
b1_bar = z_bar
"""

MLP_LATEX = r"""
\begin{aligned}
\bar{y} &= \bar{\mathcal{L}} (y - t) \\
\bar{W}^{(2)} &= \bar{y} h^\top \\
\bar{b}^{(2)} &= \bar{y} \\
\bar{h} &= W^{(2)\top} \bar{y} \\
\bar{z} &= \bar{h} \circ \sigma'(z) \\
\bar{W}^{(1)} &= \bar{z} x^\top \\
\bar{b}^{(1)} &= \bar{z}
\end{aligned}
"""


@pytest.mark.parametrize("text", [MLP_PLAIN, MLP_LATEX], ids=["plain", "latex"])
def test_mlp_submission_is_all_correct(text):
    r = check_adjoints(MLP, text).to_dict()
    assert all(it["verdict"] == "correct" for it in r["items"]), r["items"]
    assert r["first_wrong"] is None and r["missing"] == [] and r["score"] == r["max_score"]
    assert all(v["correct"] for v in r["global"].values())


def test_derive_latex_output_of_the_mlp_is_a_correct_submission():
    from derive import parse_spec
    r = check_adjoints(MLP, parse_spec(MLP).backprop().to_latex()).to_dict()
    assert all(it["verdict"] == "correct" for it in r["items"]), r["items"]


def test_one_wrong_line_costs_one_line_error_carried_forward():
    text = MLP_PLAIN.replace("h_bar = W2.T @ y_bar", "h_bar = W2 @ y_bar")
    r = check_adjoints(MLP, text).to_dict()
    by = {it["target"]: it for it in r["items"]}
    assert r["first_wrong"] == "h_bar"
    assert by["h_bar"]["verdict"] == "incorrect" and by["h_bar"]["diagnosis"]["kind"] == "transpose"
    assert by["z_bar"]["verdict"] == "correct" and by["W1_bar"]["verdict"] == "correct"
    assert r["global"]["W1_bar"]["correct"] is False and r["global"]["W2_bar"]["correct"] is True


def test_missing_adjoints_are_listed():
    r = check_adjoints(MLP, "W2_bar = y_bar @ h.T\n").to_dict()
    assert set(r["missing"]) == {"W1_bar", "b1_bar", "b2_bar"}


# --- the command line ------------------------------------------------------------------------

def test_cli_check_grad_reports_the_transpose(cli):
    code, out, err = cli("check", "grad", spec_path("l2"), "--wrt", "x", "--claim", "W @ q_bar", "--json")
    assert code == 1, err
    doc = json.loads(out)
    assert doc["verdict"] == "incorrect" and doc["diagnosis"]["kind"] == "transpose"


def test_cli_check_adjoints_of_a_latex_file(cli, tmp_path):
    sub = tmp_path / "mlp.tex"
    sub.write_text(MLP_LATEX, encoding="utf-8")
    code, out, err = cli("check", "adjoints", spec_path("mlp"), sub, "--json")
    assert code == 0, out + err
    assert json.loads(out)["first_wrong"] is None


def test_cli_claim_with_bad_shapes_in_a_spec_is_exit_2(cli, tmp_path):
    spec = tmp_path / "bad.bp"
    spec.write_text("W: matrix(H, D)\nx: vector(H)\nf = sum(W @ x)\n", encoding="utf-8")
    code, _, err = cli("check", "grad", spec, "--wrt", "x", "--claim", "W.T")
    assert code == 2 and err.startswith(f"{spec}:3:") and "H×D" in err and "H×1" in err


# --- LaTeX rows: one format for the whole submission; shapes that do not fit are judged ---

def test_latex_row_without_a_backslash_on_the_right():
    item = adjoint_item("l2", r"\bar{W} = 2 q x^T")
    assert item["verdict"] == "correct", item


def test_latex_line_with_shapes_that_do_not_fit_is_judged():
    item = adjoint_item("mlp", r"\bar{h} = W^{(2)} \bar{y}")
    assert item["verdict"] == "incorrect" and item["diagnosis"]["kind"] == "transpose", item
