"""The CS231n assignment 2-3 and CSC321 exercises of the bank (affine, affine + ReLU, batch and
layer normalization, dropout, RNN step and two unrolled steps, word embedding, MLP with softmax):
their reference gradients against numpy central differences of forward passes written here, and
every sample graded to its expected score and mistake kinds."""
import os
from pathlib import Path

import numpy as np
import pytest

import exercises
from check.grading import grade

SAMPLES = Path(exercises.HERE) / "samples"

# --- independent numpy forward passes (the assignments' layers), each returning the loss -------


def _affine(v):
    return np.sum((v["X"] @ v["W"] + v["b"]) * v["G"])


def _affine_relu(v):
    return np.sum(np.maximum(0, v["X"] @ v["W"] + v["b"]) * v["G"])


def _norm(v, axis):
    X = v["X"]
    mu = X.mean(axis=axis, keepdims=True)
    var = X.var(axis=axis, keepdims=True)
    out = v["gamma"] * (X - mu) / np.sqrt(var + 1e-5) + v["beta"]
    return np.sum(out * v["G"])


def _dropout(v):
    return np.sum(v["X"] * v["mask"] / v["p"] * v["G"])


def _rnn_step(v):
    h = np.tanh(v["x"] @ v["W_x"] + v["h_prev"] @ v["W_h"] + v["b"])
    return np.sum(h * v["G"])


def _rnn_two_steps(v):
    h, loss = v["h0"], 0.0
    for x, G in ((v["x1"], v["G1"]), (v["x2"], v["G2"])):
        h = np.tanh(x @ v["W_x"] + h @ v["W_h"] + v["b"])
        loss += np.sum(h * G)
    return loss


def _word_embedding(v):
    return np.sum(v["X"] @ v["W"] * v["G"])


def _mlp_softmax(v):
    h = 1 / (1 + np.exp(-(v["W1"] @ v["x"] + v["b1"])))
    s = v["W2"] @ h + v["b2"]
    s = s - s.max()
    return -(s[v["t"], 0] - np.log(np.exp(s).sum()))


def _normal(*shape):
    return lambda rng, n: rng.normal(size=tuple(n[k] if isinstance(k, str) else k for k in shape))


def _mask(rng, n):
    return (rng.random((n["N"], n["D"])) < 0.6).astype(float)


def _one_hot_rows(rng, n):
    return np.eye(n["V"])[rng.integers(0, n["V"], size=n["N"])]


NORM = {"X": _normal("N", "D"), "gamma": _normal(1, "D"), "beta": _normal(1, "D"), "G": _normal("N", "D")}
AFFINE = {"X": _normal("N", "D"), "W": _normal("D", "M"), "b": _normal(1, "M"), "G": _normal("N", "M")}

# exercise -> (numpy loss, the sizes it uses, how each input is drawn)
CASES = {
    "cs231n-affine": (_affine, "NDM", AFFINE),
    "cs231n-affine-relu": (_affine_relu, "NDM", AFFINE),
    "cs231n-batchnorm": (lambda v: _norm(v, 0), "ND", NORM),
    "cs231n-layernorm": (lambda v: _norm(v, 1), "ND", NORM),
    "cs231n-dropout": (_dropout, "ND", {"X": _normal("N", "D"), "mask": _mask, "G": _normal("N", "D"),
                                        "p": lambda rng, n: 0.6}),
    "cs231n-rnn-step": (_rnn_step, "NDH", {
        "x": _normal("N", "D"), "h_prev": _normal("N", "H"), "W_x": _normal("D", "H"),
        "W_h": _normal("H", "H"), "b": _normal(1, "H"), "G": _normal("N", "H")}),
    "cs231n-rnn-two-steps": (_rnn_two_steps, "NDH", {
        "x1": _normal("N", "D"), "x2": _normal("N", "D"), "h0": _normal("N", "H"),
        "W_x": _normal("D", "H"), "W_h": _normal("H", "H"), "b": _normal(1, "H"),
        "G1": _normal("N", "H"), "G2": _normal("N", "H")}),
    "cs231n-word-embedding": (_word_embedding, "NVD", {
        "X": _one_hot_rows, "W": _normal("V", "D"), "G": _normal("N", "D")}),
    "csc321-mlp-softmax": (_mlp_softmax, "DHK", {
        "x": _normal("D", 1), "W1": _normal("H", "D"), "b1": _normal("H", 1), "W2": _normal("K", "H"),
        "b2": _normal("K", 1), "t": lambda rng, n: int(rng.integers(0, n["K"]))}),
}


def _central_difference(loss, values, name, h=1e-6):
    arr = np.asarray(values[name], dtype=float)
    num = np.zeros_like(arr)
    for idx in np.ndindex(arr.shape):
        e = np.zeros_like(arr)
        e[idx] = h
        num[idx] = (loss({**values, name: arr + e}) - loss({**values, name: arr - e})) / (2 * h)
    return num


@pytest.mark.parametrize("ex_id", sorted(CASES))
def test_reference_gradients_match_numpy_finite_differences_on_random_sizes(ex_id):
    loss, letters, draw = CASES[ex_id]
    graph = exercises.load(ex_id).graph
    assert set(draw) == set(graph.inputs)
    wrt = [p for p in graph.inputs if p in {q.wrt for q in exercises.load(ex_id).parts if q.wrt}]
    derivation = graph.backprop(wrt=sorted(set(wrt) | set(graph.wrt)))
    rng = np.random.default_rng(17)
    for _ in range(2):
        sizes = dict(zip(letters, (int(s) for s in rng.choice(np.arange(2, 7), len(letters), replace=False))))
        values = {k: f(rng, sizes) for k, f in draw.items()}
        point = {k: np.array(v, dtype=object) for k, v in values.items()}
        _, adjoints = derivation.values(point)
        for name in graph.wrt:
            ours = np.array(adjoints[name], dtype=float)
            assert np.allclose(ours, _central_difference(loss, values, name), atol=1e-5), (ex_id, name, sizes)


# --- the samples: file -> (score, {part: kinds of its incorrect items}) -------------------------

EXPECTED = {
    "cs231n-affine": {
        "ok_latex.tex": (7, {}),
        "ok_numpy_style.py": (7, {}),
        "ok_plain.txt": (7, {}),
        "wrong_no_batch_sum.txt": (5.4, {'adjoints': ['missing_batch_sum'], 'grad_b': ['missing_batch_sum']}),
        "wrong_swapped_factors.txt": (5.2, {'adjoints': ['wrong_shape'], 'grad_X': ['wrong_shape']}),
        "wrong_transpose.txt": (4.6, {'adjoints': ['transpose', 'wrong_shape'], 'grad_W': ['transpose']}),
    },
    "cs231n-affine-relu": {
        "ok_latex.tex": (7, {}),
        "ok_numpy_style.py": (7, {}),
        "ok_plain.txt": (7, {}),
        "wrong_mask_only.txt": (5.375, {'adjoints': ['missing_factor'], 'grad_W': ['missing_factor']}),
        "wrong_relu_not_derivative.txt": (4.375, {'adjoints': ['derivative_of_wrong_function'], 'grad_W': ['derivative_of_wrong_function'], 'grad_b': ['derivative_of_wrong_function']}),
        "wrong_transpose_no_sum.txt": (3.75, {'adjoints': ['missing_batch_sum', 'transpose'], 'grad_W': ['transpose'], 'grad_b': ['missing_batch_sum']}),
    },
    "cs231n-batchnorm": {
        "ok_latex.tex": (13, {}),
        "ok_numpy_style.py": (13, {}),
        "ok_plain.txt": (13, {}),
        "wrong_no_batch_sum.txt": (9.65, {'adjoints': ['missing_batch_sum', 'missing_batch_sum'], 'grad_gamma': ['missing_batch_sum'], 'grad_beta': ['missing_batch_sum']}),
        "wrong_no_mean_path.txt": (10.325, {'adjoints': ['missing_term'], 'grad_X': ['missing_term']}),
        "wrong_no_variance_path.txt": (10.325, {'adjoints': ['missing_term'], 'grad_X': ['other']}),
        "wrong_sqrt_factor.txt": (12.55, {'adjoints': ['constant_factor']}),
    },
    "cs231n-layernorm": {
        "ok_latex.tex": (12, {}),
        "ok_numpy_style.py": (12, {}),
        "ok_plain.txt": (12, {}),
        "wrong_batchnorm_axes.txt": (8.2, {'adjoints': ['wrong_shape', 'wrong_shape'], 'grad_X': ['wrong_shape']}),
        "wrong_gamma_per_example.txt": (9.2, {'adjoints': ['wrong_shape', 'wrong_shape'], 'grad_gamma': ['wrong_shape']}),
        "wrong_no_variance_path.txt": (9.325, {'adjoints': ['missing_term'], 'grad_X': ['other']}),
    },
    "cs231n-dropout": {
        "ok_latex.tex": (3, {}),
        "ok_numpy_style.py": (3, {}),
        "ok_plain.txt": (3, {}),
        "wrong_no_mask.txt": (1.5, {'adjoints': ['missing_factor'], 'grad_X': ['missing_factor']}),
        "wrong_no_scaling.txt": (1.5, {'adjoints': ['missing_factor'], 'grad_X': ['missing_factor']}),
        "wrong_times_p.txt": (1.333333, {'adjoints': ['other'], 'grad_X': ['other']}),
    },
    "cs231n-rnn-step": {
        "ok_latex.tex": (9, {}),
        "ok_numpy_style.py": (9, {}),
        "ok_plain.txt": (9, {}),
        "wrong_no_batch_sum.txt": (8.34375, {'adjoints': ['missing_batch_sum']}),
        "wrong_square_transpose.txt": (5.6875, {'adjoints': ['transpose', 'transpose'], 'grad_W_h': ['transpose'], 'grad_h_prev': ['transpose']}),
        "wrong_tanh_not_derivative.txt": (6.34375, {'adjoints': ['derivative_of_wrong_function']}),
        "wrong_tanh_prime.txt": (6.34375, {'adjoints': ['derivative_of_wrong_function'],
                                         'grad_W_h': ['derivative_of_wrong_function'],
                                         'grad_h_prev': ['derivative_of_wrong_function']}),
    },
    "cs231n-rnn-two-steps": {
        "ok_latex.tex": (9, {}),
        "ok_numpy_style.py": (9, {}),
        "ok_plain.txt": (9, {}),
        "wrong_h1_fanout.txt": (7.333333, {'adjoints': ['missing_term'], 'grad_W_h': ['other']}),
        "wrong_no_batch_sum.txt": (8.333333, {'adjoints': ['missing_batch_sum']}),
        "wrong_no_sum_over_time.txt": (6, {'adjoints': ['missing_term', 'missing_term', 'missing_term'], 'grad_W_h': ['missing_term']}),
    },
    "cs231n-word-embedding": {
        "ok_latex.tex": (3, {}),
        "ok_numpy_style.py": (3, {}),
        "ok_plain.txt": (3, {}),
        "wrong_dout_as_dW.txt": (1.333333, {'adjoints': ['wrong_shape'], 'grad_W': ['wrong_shape']}),
        "wrong_order.txt": (1.5, {'adjoints': ['transpose'], 'grad_W': ['transpose']}),
        "wrong_transpose.txt": (1.5, {'adjoints': ['transpose'], 'grad_W': ['transpose']}),
    },
    "csc321-mlp-softmax": {
        "ok_latex.tex": (11, {}),
        "ok_numpy_style.py": (11, {}),
        "ok_plain.txt": (11, {}),
        "wrong_no_minus_one.txt": (7.333333, {'adjoints': ['missing_term'], 'grad_b2': ['missing_term'], 'grad_W2': ['missing_term'], 'grad_W1': ['other']}),
        "wrong_sign.txt": (8.333333, {'adjoints': ['sign'], 'grad_b2': ['sign'], 'grad_W2': ['sign']}),
        "wrong_transpose_sigma.txt": (7.666667, {'adjoints': ['derivative_of_wrong_function', 'transpose'], 'grad_W2': ['transpose'], 'grad_W1': ['derivative_of_wrong_function']}),
    },
}


@pytest.fixture(scope="module")
def graded():
    return {ex: grade(ex, SAMPLES / ex, seed=0) for ex in EXPECTED}


def _kinds(student):
    return {p["part"]: sorted(it["diagnosis"]["kind"] for it in p["items"] if it["verdict"] == "incorrect")
            for p in student["parts"]}


@pytest.mark.parametrize("ex_id", sorted(CASES))
def test_every_sample_gets_its_score_and_mistake_kinds(graded, ex_id):
    by_name = {s["student"]: s for s in graded[ex_id]["students"]}
    assert sorted(by_name) == sorted(EXPECTED[ex_id]) == sorted(os.listdir(SAMPLES / ex_id))
    for name, (score, kinds) in EXPECTED[ex_id].items():
        s = by_name[name]
        assert s["error"] is None and s["needs_review"] == [], (name, s["error"], s["needs_review"])
        assert s["score"] == pytest.approx(score, abs=1e-6), name
        got = {part: k for part, k in _kinds(s).items() if k}
        assert got == {part: sorted(k) for part, k in kinds.items()}, name


@pytest.mark.parametrize("ex_id", sorted(CASES))
def test_samples_cover_plain_latex_numpy_and_mistakes(ex_id):
    names = os.listdir(SAMPLES / ex_id)
    assert len(names) >= 6
    assert {"ok_plain.txt", "ok_latex.tex", "ok_numpy_style.py"} <= set(names)
    assert sum(n.startswith("wrong_") for n in names) >= 3
