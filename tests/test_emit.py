"""`derive --emit numpy` (issue #7): the emitted forward/backward function runs, agrees with an
independent numerical gradient and with the CS231n notes' numpy formulas, and with derive's own
values on every matrix spec. Executing it is fine: it is our own generated code, not user text."""
import random

import numpy as np
import pytest
import sympy

from conftest import SPECS, load, spec_path, spec_text
from derive import parse_spec
from derive.emit import emit_numpy
from derive.mgraph import MatrixGraph

EXTRA = {
    "batch": spec_text("batch"),
    "reg": spec_text("reg"),
    "tied": "W: matrix(H, D)\nx: vector(D)\nh = W @ x\ny = W.T @ h\nL = 1/2*norm2(y - x)\n",
    "relu": "x: vector(D)\nh = relu(x)\nf = sum(h)\n",
    "means": spec_text("means"),
    "ones": "X: matrix(N, D)\nw: vector(D)\ns = ones(1, N) @ (X @ w)\nL = s^2 + sum(relu(X) * X)\n",
}

SIZES = {"N": 5, "D": 4, "H": 3, "K": 2, "C": 2, "M": 6, "V": 7}


def matrix_specs():
    graphs = {p.stem: parse_spec(p.read_text(encoding="utf-8")) for p in sorted(SPECS.glob("*.bp"))}
    # specs with class labels draw whole-number labels: tests/test_labels.py runs their emitted code
    out = [n for n, g in graphs.items() if isinstance(g, MatrixGraph) and not g.labels]
    return out + sorted(EXTRA)


def differentiable(graph):
    """The inputs that have a gradient (class labels have none)."""
    return [n for n in graph.inputs if n not in getattr(graph, "labels", {})]


def graph_of(name):
    return parse_spec(EXTRA[name]) if name in EXTRA else load(name)


def compiled(d):
    """The emitted source, run in a fresh namespace: its forward_backward function."""
    source = emit_numpy(d)
    ns = {}
    exec(compile(source, "<emitted>", "exec"), ns)      # our own generated code
    return ns["forward_backward"], source


def float_point(graph, rng, sizes=SIZES):
    out = {}
    for n in graph.inputs:
        if n in getattr(graph, "labels", {}):              # a class label: a class number
            out[n] = np.array([[float(rng.randrange(sizes[str(graph.labels[n])]))]])
            continue
        shape = [int(d) if d.is_Integer else sizes[d.name] for d in graph.shape_of(n)]
        a = np.array([[rng.choice((-1, 1)) * rng.uniform(0.2, 1.0) for _ in range(shape[1])]
                      for _ in range(shape[0])])
        out[n] = a
    return out


def exact(a):
    """float64 entries as exact rationals, so derive's values are of the very same point."""
    return np.vectorize(lambda x: sympy.Rational(float(x)), otypes=[object])(a)


def call(fb, graph, point):
    return fb(*[point[n] if graph.shape_of(n) != (1, 1) else float(point[n][0, 0]) for n in graph.inputs])


# --- the CS231n two-layer network of the notes ------------------------------------------------

def notes_two_layer(x, w1, w2, y):
    """The notes' numpy code, verbatim in substance."""
    h = 1 / (1 + np.exp(-x.dot(w1)))
    y_pred = h.dot(w2)
    loss = np.square(y_pred - y).sum()
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h.T.dot(grad_y_pred)
    grad_h = grad_y_pred.dot(w2.T)
    grad_w1 = x.T.dot(grad_h * h * (1 - h))
    return loss, grad_w1, grad_w2


def central_differences(f, a, eps=1e-6):
    g = np.zeros_like(a)
    for idx in np.ndindex(*a.shape):
        old = a[idx]
        a[idx] = old + eps
        up = f()
        a[idx] = old - eps
        down = f()
        a[idx] = old
        g[idx] = (up - down) / (2 * eps)
    return g


@pytest.mark.parametrize("N,D,H,C", [(8, 5, 4, 3), (64, 10, 7, 2)])
def test_two_layer_emitted_code_matches_numerical_gradient_and_the_notes(N, D, H, C):
    d = load("two_layer").backprop()
    fb, source = compiled(d)
    rng = np.random.default_rng(N + D)
    x, y = rng.standard_normal((N, D)), rng.standard_normal((N, C))
    W1, W2 = rng.standard_normal((D, H)) * 0.5, rng.standard_normal((H, C)) * 0.5
    loss, grads = fb(x, W1, W2, y)
    assert set(grads) == {"W1", "W2"}
    assert grads["W1"].shape == W1.shape and grads["W2"].shape == W2.shape
    # the notes' formulas, computed independently
    n_loss, n_w1, n_w2 = notes_two_layer(x, W1, W2, y)
    assert loss == pytest.approx(n_loss, rel=1e-12)
    np.testing.assert_allclose(grads["W1"], n_w1, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["W2"], n_w2, rtol=1e-10, atol=1e-12)
    # an independent numerical gradient: central differences of the notes' loss
    for name, a, g in (("W1", W1, grads["W1"]), ("W2", W2, grads["W2"])):
        num = central_differences(lambda: notes_two_layer(x, W1, W2, y)[0], a)
        np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-6 * max(1.0, np.abs(num).max()))


def test_two_layer_emitted_source_reads_like_the_notes():
    _, source = compiled(load("two_layer").backprop())
    body = source[source.index("def forward_backward"):]
    assert "def forward_backward(x, W1, W2, y):" in body
    assert "W1_bar = x.T @ (h_bar*sigma_prime(x @ W1))" in body
    assert "W2_bar = h.T @ y_pred_bar" in body
    assert "h_bar = y_pred_bar @ W2.T" in body
    assert "return loss, {'W1': W1_bar, 'W2': W2_bar}" in body


def test_emit_from_the_command_line_is_the_same_source(cli):
    code, out, err = cli("derive", spec_path("two_layer"), "--emit", "numpy")
    assert code == 0, err
    assert out == emit_numpy(load("two_layer").backprop())
    compile(out, "<emitted>", "exec")


# --- every matrix spec: the emitted code computes derive's own values -------------------------

@pytest.mark.parametrize("name", matrix_specs())
def test_emitted_code_equals_derives_values(name):
    g = graph_of(name)
    d = g.backprop(differentiable(g))
    fb, _ = compiled(d)
    point = float_point(g, random.Random(len(name)))
    out, grads = call(fb, g, point)
    vals, adj = d.values({k: exact(v) for k, v in point.items()})
    assert float(out) == pytest.approx(float(vals[g.output][0, 0]), rel=1e-12)
    for w in d.wrt:
        got = np.asarray(grads[w], dtype=float)
        want = np.asarray(adj[w], dtype=float)
        if want.shape == (1, 1):
            got = got.reshape(1, 1)
        assert got.shape == want.shape, (w, got.shape, want.shape)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=w)


@pytest.mark.parametrize("name", matrix_specs())
def test_emitted_code_matches_central_differences_of_itself(name):
    g = graph_of(name)
    d = g.backprop(differentiable(g))
    fb, _ = compiled(d)
    point = float_point(g, random.Random(99 + len(name)))
    _, grads = call(fb, g, point)
    for w in d.wrt:
        if g.shape_of(w) == (1, 1):
            continue
        num = central_differences(lambda: float(call(fb, g, point)[0]), point[w])
        np.testing.assert_allclose(np.asarray(grads[w], dtype=float), num, rtol=1e-6, atol=1e-7, err_msg=w)


def test_emitted_code_at_the_lectures_sizes_never_builds_the_jacobian():
    # the 4096-wide relu layer: the emitted backward pass is elementwise, O(D) memory
    fb, source = compiled(parse_spec(EXTRA["relu"]).backprop())
    assert "x_bar = h_bar*relu_prime(x)" in source
    x = np.random.default_rng(0).standard_normal((4096, 1))
    f, grads = fb(x)
    assert grads["x"].shape == (4096, 1)
    np.testing.assert_array_equal(grads["x"], (x > 0) * 1.0)


def test_emitted_python_names_are_safe():
    _, source = compiled(parse_spec(EXTRA["reg"]).backprop())
    assert "def forward_backward(W, x, t, lambda_):" in source      # `lambda` is a keyword


def test_a_size_no_input_carries_is_not_a_crash():
    # t is declared (with its own size K) but never used
    fb, source = compiled(parse_spec("x: vector(D)\nt: vector(K)\nf = sum(x*x)\n").backprop())
    assert "def forward_backward(x):" in source
    _, grads = fb(np.array([[1.0], [2.0]]))
    np.testing.assert_allclose(grads["x"], [[2.0], [4.0]])
