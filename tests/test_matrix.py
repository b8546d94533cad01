"""Matrix and vector specs (issue #7): shapes, broadcasting, matrix-form adjoints with the
lectures' results (CS231n ||Wx||², CSC321 MLP, minibatch bias sums), the CS231n numbers, the
index form, agreement with the scalar graph, and the diagonal ReLU Jacobian that is never built."""
import json
import random
import re

import mpmath
import numpy as np
import pytest
import sympy

from check import check_claim
from check.read.matrix import read_matrix
from conftest import SPECS, budget, load, spec_path, spec_text
from derive import ParseError, parse_spec
from derive.matrix import Elem, MatMul, mevaluate
from derive.mgraph import MatrixGraph

# --- specs used here besides the bundled ones ------------------------------------------------

BATCH = spec_text("batch")

# columns are examples: a column bias over the batch, reductions along both axes, mean, norm2
OPS = """\
W: matrix(H, D)
X: matrix(D, N)
b: vector(H)
V: matrix(3, 2)
u: vector(2)
lambda: scalar
Z = W @ X + b
A = tanh(Z)*2 - exp(-Z)/3 + relu(Z)^2
s = sum(A, axis=1)
m = mean(A, axis=0)
r = V @ u
p = (W.T @ A).T
f = norm2(s) + sum(m)*mean(A) + lambda*sum(r*r) + sum(sigma(p)/(1 + X.T^2)) + mean(W*W)
"""

REG = spec_text("reg")

TIED = spec_text("tied")

RELU = """\
x: vector(D)
h = relu(x)
f = sum(h)
"""

# means over symbolic sizes, a bias spread over columns and averaged back, sizes as numbers
MEANS = spec_text("means")

EXTRA = {"batch": BATCH, "ops": OPS, "reg": REG, "tied": TIED, "relu": RELU, "means": MEANS}


def bundled_matrix_specs():
    out = []
    for path in sorted(SPECS.glob("*.bp")):
        g = parse_spec(path.read_text(encoding="utf-8"), file=str(path))
        if isinstance(g, MatrixGraph) and not g.labels:      # labels: tests/test_labels.py
            out.append(path.stem)
    return out


BUNDLED = bundled_matrix_specs()


def graph_of(name):
    return parse_spec(EXTRA[name]) if name in EXTRA else load(name)


def ALL_SPECS():
    return BUNDLED + sorted(EXTRA)


# --- helpers -------------------------------------------------------------------------------

SIZES = {"H": 3, "D": 2, "N": 4, "K": 5, "C": 2, "M": 6, "V": 7}    # all different: nothing square by accident


def numeric_shape(graph, name, sizes=SIZES):
    return tuple(int(d) if d.is_Integer else sizes[d.name] for d in graph.shape_of(name))


def differentiable(graph):
    """The inputs that have a gradient (class labels have none)."""
    return [n for n in graph.inputs if n not in getattr(graph, "labels", {})]


def random_point(graph, rng, sizes=SIZES):
    """Exact rationals away from 0 (relu's kink) for every input."""
    def entry():
        return sympy.Rational(rng.choice((-1, 1)) * rng.randint(10, 90), 61)
    out = {}
    for n in graph.inputs:
        if n in getattr(graph, "labels", {}):              # a class label: a class number
            out[n] = np.array([[sympy.Integer(rng.randrange(sizes[str(graph.labels[n])]))]], dtype=object)
            continue
        r, c = numeric_shape(graph, n, sizes)
        out[n] = np.array([[entry() for _ in range(c)] for _ in range(r)], dtype=object)
    return out


def as_array(v):
    a = np.array(v, dtype=object)
    return a.reshape(1, 1) if a.ndim == 0 else a.reshape(-1, 1) if a.ndim == 1 else a


def close(a, b, tol=1e-12):
    a, b = as_array(a), as_array(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    scale = max([1.0] + [abs(float(x)) for x in b.flat])
    err = max(abs(float(x) - float(y)) for x, y in zip(a.flat, b.flat))
    assert err <= tol * scale, (a, b)


def same_meaning(graph, a, b, trials=3):
    """`a` and `b` (text, read with check's matrix scope) are the same matrix function of the
    names they use: every forward name and adjoint is an independent random matrix."""
    ea, _ = read_matrix(a, graph)
    eb, _ = read_matrix(b, graph)
    assert ea.shape == eb.shape, (a, ea.shape, b, eb.shape)
    rng = random.Random(7)
    for _ in range(trials):
        env = {"__sizes__": dict(SIZES)}
        for n in graph.names:
            r, c = numeric_shape(graph, n)
            for key in (n, n + "_bar"):
                env[key] = np.array([[mpmath.mpf(rng.uniform(-2, 2)) for _ in range(c)] for _ in range(r)],
                                    dtype=object)
        with mpmath.workdps(30):
            va, vb = mevaluate(ea, env), mevaluate(eb, env)
        close(va, vb, 1e-20)
    return True


def backward(graph, wrt=None):
    """{name: printed ASCII adjoint} as `derive --format json` writes it."""
    d = graph.backprop(wrt)
    return {b["name"]: b["expr"] for b in d.to_json()["backward"]}


def fd_gradient(graph, point, name, h=mpmath.mpf("1e-12")):
    """Central differences of the output, entry by entry, at 30 digits."""
    base = {k: np.vectorize(lambda x: mpmath.mpf(x.p) / x.q, otypes=[object])(v) for k, v in point.items()}
    out = np.empty(base[name].shape, dtype=object)
    with mpmath.workdps(30):
        for idx in np.ndindex(*base[name].shape):
            vals = []
            for s in (1, -1):
                p = {k: v.copy() for k, v in base.items()}
                p[name][idx] = p[name][idx] + s * h
                vals.append(graph.values(p)[graph.output][0, 0])
            out[idx] = (vals[0] - vals[1]) / (2 * h)
    return out


def walk(e):
    yield e
    for c in e.children():
        yield from walk(c)


# --- shape declarations, operations, shapes ---------------------------------------------------

def test_declarations_take_size_letters_and_numbers():
    g = parse_spec(OPS)
    H, D, N = (sympy.Symbol(s, positive=True, integer=True) for s in "HDN")
    one = sympy.Integer(1)
    assert g.shapes["W"] == (H, D) and g.shapes["X"] == (D, N) and g.shapes["b"] == (H, one)
    assert g.shapes["V"] == (sympy.Integer(3), sympy.Integer(2)) and g.shapes["u"] == (sympy.Integer(2), one)
    assert g.shapes["lambda"] == (one, one)
    assert set(g.dims) == {"H", "D", "N"}
    assert g.shape_of("Z") == (H, N)          # H×D @ D×N + an H×1 column on every column
    assert g.shape_of("s") == (H, one)         # sum over axis 1 keeps the dimension
    assert g.shape_of("m") == (one, N)         # mean over axis 0
    assert g.shape_of("r") == (sympy.Integer(3), one)
    assert g.shape_of("p") == (N, D)           # (Wᵀ A)ᵀ
    assert g.shape_of("f") == (one, one)


SHAPES = [
    ("matmul", "A: matrix(H, D)\nB: matrix(D, N)\nC = A @ B\n", ("H", "N")),
    ("transpose", "A: matrix(H, D)\nC = A.T\n", ("D", "H")),
    ("gram", "A: matrix(H, D)\nC = A.T @ A\n", ("D", "D")),
    ("inner_is_scalar", "x: vector(D)\nC = x.T @ x\n", (1, 1)),
    ("outer", "x: vector(D)\ny: vector(H)\nC = y @ x.T\n", ("H", "D")),
    ("elementwise", "A: matrix(H, D)\nB: matrix(H, D)\nC = A*B/(B + 2) - A^2\n", ("H", "D")),
    ("functions", "A: matrix(H, D)\nC = sigma(A) + tanh(A)*exp(A) - relu(A) + log(1 + A^2)\n", ("H", "D")),
    ("prime", "A: matrix(H, D)\nC = sigma'(A)\n", ("H", "D")),
    ("scalar_times", "A: matrix(H, D)\nC = lambda*A + 3\n", ("H", "D")),
    ("column_bias_over_batch", "A: matrix(H, N)\nb: vector(H)\nC = A + b\n", ("H", "N")),
    ("row_bias_over_batch", "A: matrix(N, H)\nb: matrix(1, H)\nC = b + A\n", ("N", "H")),
    ("sum", "A: matrix(N, H)\nC = sum(A)\n", (1, 1)),
    ("sum_axis0", "A: matrix(N, H)\nC = sum(A, axis=0)\n", (1, "H")),
    ("sum_axis1", "A: matrix(N, H)\nC = sum(A, axis=1)\n", ("N", 1)),
    ("mean", "A: matrix(N, H)\nC = mean(A)\n", (1, 1)),
    ("mean_axis0", "A: matrix(N, H)\nC = mean(A, axis=0)\n", (1, "H")),
    ("norm2", "A: matrix(N, H)\nC = norm2(A)\n", (1, 1)),
    ("numeric_sizes", "A: matrix(3, 2)\nB: matrix(2, 4)\nC = A @ B\n", (3, 4)),
    ("ones", "A: matrix(N, H)\nC = ones(1, N) @ A\n", (1, "H")),
]


@pytest.mark.parametrize("case,text,shape", SHAPES, ids=[s[0] for s in SHAPES])
def test_each_operation_has_its_shape(case, text, shape):
    g = parse_spec(text)
    want = tuple(sympy.Integer(d) if isinstance(d, int) else sympy.Symbol(d, positive=True, integer=True)
                 for d in shape)
    assert g.shape_of("C") == want


@pytest.mark.parametrize("case,text,shape", SHAPES, ids=[s[0] for s in SHAPES])
def test_each_operation_computes_what_numpy_computes(case, text, shape):
    g = parse_spec(text + ("f = sum(C)\n" if case not in ("sum", "mean", "norm2", "inner_is_scalar") else ""))
    rng = random.Random(3)
    point = random_point(g, rng)
    env = {k: v.astype(float) for k, v in point.items()}
    vals = g.values(point)

    def sigma(x):
        return 1 / (1 + np.exp(-x))
    np_ = {
        "matmul": lambda e: e["A"] @ e["B"], "transpose": lambda e: e["A"].T, "gram": lambda e: e["A"].T @ e["A"],
        "inner_is_scalar": lambda e: e["x"].T @ e["x"], "outer": lambda e: e["y"] @ e["x"].T,
        "elementwise": lambda e: e["A"] * e["B"] / (e["B"] + 2) - e["A"] ** 2,
        "functions": lambda e: sigma(e["A"]) + np.tanh(e["A"]) * np.exp(e["A"]) - np.maximum(e["A"], 0)
        + np.log(1 + e["A"] ** 2),
        "prime": lambda e: sigma(e["A"]) * (1 - sigma(e["A"])),
        "scalar_times": lambda e: e["lambda"] * e["A"] + 3,
        "column_bias_over_batch": lambda e: e["A"] + e["b"], "row_bias_over_batch": lambda e: e["b"] + e["A"],
        "sum": lambda e: np.sum(e["A"]), "sum_axis0": lambda e: e["A"].sum(axis=0, keepdims=True),
        "sum_axis1": lambda e: e["A"].sum(axis=1, keepdims=True), "mean": lambda e: np.mean(e["A"]),
        "mean_axis0": lambda e: e["A"].mean(axis=0, keepdims=True), "norm2": lambda e: np.sum(e["A"] ** 2),
        "numeric_sizes": lambda e: e["A"] @ e["B"], "ones": lambda e: np.ones((1, e["A"].shape[0])) @ e["A"],
    }[case]
    close(vals["C"].astype(float), np_(env), 1e-12)


SHAPE_ERRORS = [
    ("matmul_inner", "W: matrix(H, D)\nx: vector(H)\nq = W @ x\nf = sum(q)\n", 3, 7, ["H×D", "H×1"]),
    ("matmul_numeric", "A: matrix(3, 2)\nB: matrix(3, 2)\n\nf = sum(A @ B)\n", 4, 11, ["3×2", "3×2"]),
    ("matmul_after_transpose", "A: matrix(N, D)\nB: matrix(D, H)\nC = A @ B\nf = sum(C @ B.T @ A)\n", 4, 17,
     ["N×D @ N×D"]),
    ("bias_wrong_width", "X: matrix(N, D)\nb: matrix(1, H)\nZ = X + b\nf = sum(Z)\n", 3, None, ["N×D", "1×H"]),
    ("column_on_rows", "X: matrix(N, H)\nb: vector(H)\nZ = X + b\nf = sum(Z)\n", 3, None, ["N×H", "H×1"]),
    ("elementwise_transposed", "A: matrix(N, D)\nB: matrix(N, D)\nf = sum(A * B.T)\n", 3, None, ["N×D", "D×N"]),
    ("function_of_bad_sum", "A: matrix(N, D)\nB: matrix(D, N)\n# c\nf = sum(exp(A - B))\n", 4, None,
     ["N×D", "D×N"]),
]


@pytest.mark.parametrize("case,text,line,col,shapes", SHAPE_ERRORS, ids=[s[0] for s in SHAPE_ERRORS])
def test_shape_mismatch_is_a_parse_time_error_naming_both_shapes(case, text, line, col, shapes, tmp_path, cli):
    path = tmp_path / "bad.bp"
    path.write_text(text, encoding="utf-8")
    code, out, err = cli("derive", path)
    assert code == 2 and out == "" and "Traceback" not in err
    m = re.match(rf"{re.escape(str(path))}:(\d+):(\d+): (.*)$", err.strip())
    assert m, err
    assert int(m.group(1)) == line
    if col is not None:                       # a product is placed at its `@`
        assert int(m.group(2)) == col
    for s in shapes:
        assert s in m.group(3)
    with pytest.raises(ParseError):
        parse_spec(text)


def test_bad_declarations_and_values_are_located(tmp_path, cli):
    for text, line, words in [("x: vector(H, D)\nf = sum(x)\n", 1, "vector takes 1"),
                              ("x: tensor(3)\nf = sum(x)\n", 1, "unknown declaration"),
                              ("x: vector(0)\nf = sum(x)\n", 1, "positive whole number"),
                              ("x: vector(D)\nf = sum(x, axis=2)\n", 2, "axis must be 0 or 1"),
                              ("x: vector(D)\nf = norm2(x, axis=0)\n", 2, "axis must be 0 or 1")]:
        path = tmp_path / "bad.bp"
        path.write_text(text, encoding="utf-8")
        code, out, err = cli("derive", path)
        assert code == 2 and err.startswith(f"{path}:{line}:") and words in err, (text, err)


def test_a_non_scalar_output_cannot_be_backpropagated(tmp_path, cli):
    path = tmp_path / "bad.bp"
    path.write_text("A: matrix(N, D)\nf = A @ A.T\n", encoding="utf-8")
    code, out, err = cli("derive", path)
    assert code == 2 and "N×N" in err and "scalar" in err


# --- adjoints in matrix form: the lectures' results -------------------------------------------

def test_l2_adjoints_are_the_lecture_formulas():
    g = load("l2")
    b = backward(g)
    assert list(b) == ["f", "q", "W", "x"]
    assert same_meaning(g, b["q"], "2*q*f_bar")
    assert same_meaning(g, b["W"], "q_bar @ x.T")
    assert same_meaning(g, b["x"], "W.T @ q_bar")
    # the printed forms are the lecture's, not only equal to them
    assert b["W"] == "q_bar @ x.T" and b["x"] == "W.T @ q_bar"


def test_mlp_adjoints_are_the_lecture_formulas():
    g = load("mlp")
    b = backward(g)
    assert list(b) == ["L", "y", "h", "z", "W1", "b1", "W2", "b2"]
    assert same_meaning(g, b["y"], "L_bar*(y - t)")
    assert same_meaning(g, b["W2"], "y_bar @ h.T")
    assert same_meaning(g, b["b2"], "y_bar")
    assert same_meaning(g, b["h"], "W2.T @ y_bar")
    assert same_meaning(g, b["z"], "h_bar * sigma'(z)")
    assert same_meaning(g, b["W1"], "z_bar @ x.T")
    assert same_meaning(g, b["b1"], "z_bar")


def test_mlp_latex_output_is_the_lecture_notation():
    tex = load("mlp").backprop().to_latex()
    assert r"\bar{W}^{(1)} &= \bar{z}\, x^\top" in tex
    assert r"\bar{h} &= W^{(2)\top}\, \bar{y}" in tex or r"\bar{h} &= {W^{(2)}}^\top\, \bar{y}" in tex
    assert r"\bar{z} &= \bar{h} \circ \sigma'\left(z\right)" in tex


def test_minibatch_bias_adjoint_sums_over_the_batch():
    g = parse_spec(BATCH)
    b = backward(g)
    assert same_meaning(g, b["b1"], "sum(Z_bar, axis=0)")
    assert same_meaning(g, b["b2"], "sum(Y_bar, axis=0)")
    assert same_meaning(g, b["W1"], "X.T @ Z_bar")
    assert same_meaning(g, b["W2"], "A.T @ Y_bar")
    assert same_meaning(g, b["A"], "Y_bar @ W2.T")
    assert same_meaning(g, b["Z"], "A_bar * sigma'(Z)")
    one = sympy.Integer(1)
    d = g.backprop()
    assert d.by_name["b1"].expr.shape == (one, sympy.Symbol("H", positive=True, integer=True))
    # and numerically: b̄1 is the column sums of Z̄, at a point with N = 4 examples
    vals, adj = d.values(random_point(g, random.Random(1)))
    close(adj["b1"], adj["Z"].sum(axis=0, keepdims=True))
    assert adj["b1"].shape == (1, SIZES["H"]) and adj["Z"].shape == (SIZES["N"], SIZES["H"])


def test_fan_out_adds_one_term_per_consumer():
    g = parse_spec(REG)
    assert same_meaning(g, backward(g)["W"], "q_bar @ x.T + R_bar*W")
    g = parse_spec(TIED)
    assert same_meaning(g, backward(g)["W"], "h @ y_bar.T + h_bar @ x.T")


def test_a_bias_averaged_back_gets_its_adjoint_whole():
    # c = mean(tanh(A) + b, axis=1): b is spread over H columns and averaged back, so b̄ = c̄
    g = parse_spec("A: matrix(N, H)\nb: vector(N)\nc = mean(tanh(A) + b, axis=1)\nL = norm2(c)\n")
    assert same_meaning(g, backward(g)["b"], "c_bar")
    assert same_meaning(g, backward(g)["A"], "c_bar * tanh'(A) / H")
    g = parse_spec("A: matrix(N, H)\nb: matrix(1, H)\nL = mean(A + b)\n")
    assert same_meaning(g, backward(g)["b"], "ones(1, H) * L_bar / H")


def test_sizes_are_numbers_in_expressions():
    g = parse_spec("A: matrix(N, H)\nL = sum(A)/N + mean(A)*H\nat: A=[[1, 2], [3, 4], [5, 6]]\n")
    vals, adj = g.backprop().values(g.at)
    assert float(vals["L"][0, 0]) == pytest.approx(21 / 3 + 3.5 * 2)
    close(adj["A"], np.full((3, 2), 1 / 3 + 2 / 6, dtype=object))


@pytest.mark.parametrize("name", ALL_SPECS())
def test_every_adjoint_has_its_variables_shape(name):
    g = graph_of(name)
    d = g.backprop(differentiable(g))
    assert d.order[0].output
    for a in d.order:
        assert a.shape == g.shape_of(a.name), a.name
        assert a.expr.shape == g.shape_of(a.name) or a.output, a.name
        for t in a.terms:
            assert t.expr.shape == g.shape_of(a.name), (a.name, t.upstream)
    vals, adj = d.values(random_point(g, random.Random(5)))
    for a in d.order:
        assert adj[a.name].shape == numeric_shape(g, a.name), a.name
        assert vals[a.name].shape == adj[a.name].shape


@pytest.mark.parametrize("name", ALL_SPECS())
def test_adjoints_agree_with_central_differences(name):
    g = graph_of(name)
    point = random_point(g, random.Random(11))
    _, adj = g.backprop(differentiable(g)).values(point)
    for n in differentiable(g):
        close(adj[n], fd_gradient(g, point, n), 1e-12)


@pytest.mark.parametrize("name", ALL_SPECS())
def test_gradients_are_written_in_the_inputs_and_equal_the_adjoints(name):
    g = graph_of(name)
    d = g.backprop(differentiable(g))
    point = random_point(g, random.Random(3))
    _, adj = d.values(point)
    env = {k: v for k, v in g.values(point).items() if k in g.inputs or k == "__sizes__"}
    for w, e in d.gradients.items():
        assert {leaf.name for leaf in e.leaves()} <= set(g.inputs), w
        assert e.shape == g.shape_of(w)
        with mpmath.workdps(30):
            close(mevaluate(e, env), adj[w], 1e-13)


def test_matrix_expand_counts_operations_and_names_the_repeats(cli):
    code, out, _ = cli("derive", spec_path("mlp"), "--expand")
    assert code == 0
    block = out.split("calculus-class full expansion\n", 1)[1]
    full, adjoints = map(int, re.search(r"full expansion (\d+), backprop adjoints (\d+)", block).groups())
    assert full > 3 * adjoints
    assert "repeated 5×: σ(W1 x + b1)" in block
    assert "∂L/∂W1 = ((W2ᵀ (W2 σ(W1 x + b1) + b2 - t)) ∘ σ′(W1 x + b1)) xᵀ" in block


def test_bundled_matrix_specs_are_found():
    assert {"l2", "mlp", "two_layer"} <= set(BUNDLED)


# --- the CS231n numbers ----------------------------------------------------------------------

CS231N = {"q": [0.22, 0.26], "f": 0.116}
CS231N_ADJ = {"f": 1.0, "q": [0.44, 0.52], "W": [[0.088, 0.176], [0.104, 0.208]], "x": [-0.112, 0.636]}


def _assert_cs231n(doc):
    for k, v in CS231N.items():
        assert doc["values"][k] == pytest.approx(v, abs=1e-12)
    for k, v in CS231N_ADJ.items():
        got = doc["adjoint_values"][k]
        assert np.shape(got) == np.shape(v), k            # vectors come out as flat lists
        assert np.allclose(got, v, atol=1e-12), (k, got)
    assert doc["values"]["W"] == [[0.1, 0.5], [-0.3, 0.8]] and doc["values"]["x"] == [0.2, 0.4]


def test_cs231n_numbers_from_derive_json(cli):
    code, out, err = cli("derive", spec_path("l2"), "--format", "json")
    assert code == 0, err
    _assert_cs231n(json.loads(out))


def test_cs231n_numbers_in_the_text_output(cli):
    code, out, _ = cli("derive", spec_path("l2"))
    assert code == 0
    assert "[0.22, 0.26]" in out and "0.116" in out and "[0.44, 0.52]" in out
    assert "[[0.088, 0.176], [0.104, 0.208]]" in out and "[-0.112, 0.636]" in out


L2_NO_AT = "W: matrix(H, D)\nx: vector(D)\nq = W @ x\nf = norm2(q)\n"


def test_cs231n_numbers_via_at_values_json(tmp_path, cli):
    spec = tmp_path / "l2.bp"
    spec.write_text(L2_NO_AT, encoding="utf-8")
    values = tmp_path / "values.json"
    values.write_text(json.dumps({"W": [[0.1, 0.5], [-0.3, 0.8]], "x": [0.2, 0.4]}), encoding="utf-8")
    code, out, err = cli("derive", spec, "--at", values, "--format", "json")
    assert code == 0, err
    _assert_cs231n(json.loads(out))
    # --at overrides the spec's own at: values, here with other sizes (H=3, D=2)
    values.write_text(json.dumps({"W": [[1, 0], [0, 1], [1, 1]], "x": [1, 2]}), encoding="utf-8")
    code, out, err = cli("derive", spec_path("l2"), "--at", values, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["values"]["f"] == pytest.approx(1 + 4 + 9)


def test_cs231n_numbers_via_inline_at(tmp_path, cli):
    spec = tmp_path / "l2.bp"
    spec.write_text(L2_NO_AT, encoding="utf-8")
    code, out, err = cli("derive", spec, "--at", "W=[[0.1, 0.5], [-0.3, 0.8]], x=[0.2, 0.4]", "--format", "json")
    assert code == 0, err
    _assert_cs231n(json.loads(out))


def test_cs231n_numbers_via_the_api_with_a_values_point():
    g = parse_spec(L2_NO_AT)
    point = {"W": [[sympy.Rational("0.1"), sympy.Rational("0.5")], [sympy.Rational("-0.3"), sympy.Rational("0.8")]],
             "x": [sympy.Rational("0.2"), sympy.Rational("0.4")]}
    _assert_cs231n(g.backprop().to_json(point=point))


# --- index form ------------------------------------------------------------------------------

def test_index_form_of_the_mlp_has_the_lecture_sums(cli):
    code, out, err = cli("derive", spec_path("mlp"), "--index-form")
    assert code == 0, err
    rows = {r.split(" = ")[0]: r.split(" = ", 1)[1] for r in out.strip().splitlines()}
    h = rows["h\u0304_i"]
    assert re.fullmatch(r"Σ_(\w) (W2_\1i ȳ_\1|ȳ_\1 W2_\1i)", h.replace("y\u0304", "ȳ")), h
    assert rows["W\u03041_ij"] == "z\u0304_i x_j" and "Σ" not in rows["W\u03041_ij"]
    assert rows["W\u03042_ij"] == "y\u0304_i h_j"
    assert "Σ" not in rows["z\u0304_i"] and "σ′(z_i)" in rows["z\u0304_i"]
    assert rows["b\u03041_i"] == "z\u0304_i"


def test_index_form_in_latex_reads_back_as_a_correct_submission(cli, tmp_path):
    code, out, err = cli("derive", spec_path("mlp"), "--index-form", "--format", "latex")
    assert code == 0, err
    assert r"\bar{h}_{i} &= \sum_{k} W^{(2)}_{ki}\, \bar{y}_{k}" in out
    sub = tmp_path / "index.tex"
    sub.write_text(out, encoding="utf-8")
    code, out, err = cli("check", "adjoints", spec_path("mlp"), sub, "--json")
    doc = json.loads(out)
    assert code == 0 and all(i["verdict"] == "correct" for i in doc["items"]) and len(doc["items"]) == 8


def test_index_form_of_l2_and_the_minibatch_sum(cli):
    code, out, _ = cli("derive", spec_path("l2"), "--index-form")
    rows = dict(r.split(" = ", 1) for r in out.strip().splitlines())
    assert rows["x\u0304_i"].startswith("Σ_") and rows["W\u0304_ij"] == "q\u0304_i x_j"
    from derive.index import index_form
    rows = dict(r.split(" = ", 1) for r in index_form(parse_spec(BATCH).backprop()).strip().splitlines())
    b1 = [v for k, v in rows.items() if k.startswith("b\u03041")][0]
    assert b1.startswith("Σ_") and "Z\u0304_" in b1          # b̄1_j = Σ_n Z̄_nj


def test_index_form_is_for_matrix_specs_only(cli):
    code, _, err = cli("derive", spec_path("reglog"), "--index-form")
    assert code == 2 and "matrix" in err


# --- the matrix MLP equals the scalar graph of the same network --------------------------------

def scalar_mlp(D, H, K):
    """The MLP written out entry by entry: p_ij = W1[i, j], c_i = b1[i], q_kj = W2[k, j], d_k = b2[k]."""
    lines = []
    for i in range(1, H + 1):
        lines.append(f"z{i} = " + " + ".join(f"p{i}{j}*x{j}" for j in range(1, D + 1)) + f" + c{i}")
        lines.append(f"h{i} = sigma(z{i})")
    for k in range(1, K + 1):
        lines.append(f"y{k} = " + " + ".join(f"q{k}{j}*h{j}" for j in range(1, H + 1)) + f" + d{k}")
    lines.append("L = 1/2*(" + " + ".join(f"(y{k} - t{k})^2" for k in range(1, K + 1)) + ")")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("D,H,K", [(3, 2, 2), (2, 4, 3)])
def test_mlp_adjoints_equal_the_scalar_graph_entry_by_entry(D, H, K):
    rng = random.Random(D * 100 + H * 10 + K)
    sizes = {"D": D, "H": H, "K": K}
    m = load("mlp")
    point = random_point(m, rng, sizes)
    _, madj = m.backprop(m.inputs).values(point)
    s = parse_spec(scalar_mlp(D, H, K))
    names = {"W1": "p", "b1": "c", "W2": "q", "b2": "d", "x": "x", "t": "t"}
    spoint = {}
    for mat, letter in names.items():
        for (r, c), v in np.ndenumerate(point[mat]):
            spoint[f"{letter}{r + 1}{c + 1}" if point[mat].shape[1] > 1 else f"{letter}{r + 1}"] = v
    assert set(spoint) == set(s.inputs)
    _, sadj = s.backprop(s.inputs).values(spoint)
    compared = 0
    with mpmath.workdps(30):
        for mat, letter in list(names.items()) + [("z", "z"), ("h", "h"), ("y", "y")]:
            for (r, c), v in np.ndenumerate(madj[mat]):
                key = f"{letter}{r + 1}{c + 1}" if madj[mat].shape[1] > 1 else f"{letter}{r + 1}"
                assert abs(mpmath.mpf(sadj[key]) - v) <= mpmath.mpf("1e-25") * (1 + abs(v)), (mat, key)
                compared += 1
    assert compared == H * D + H + K * H + K + D + K + H + H + K
    # and as `derive --format json` reports them (adjoint_values; vectors as flat lists)
    doc = m.backprop(m.inputs).to_json(point=point)["adjoint_values"]
    sdoc = s.backprop(s.inputs).to_json(point=spoint)["adjoint_values"]
    for (r, c), v in np.ndenumerate(np.array(doc["W1"], dtype=float).reshape(H, D)):
        assert v == pytest.approx(sdoc[f"p{r + 1}{c + 1}"], rel=1e-12, abs=1e-15)
    for r, v in enumerate(np.array(doc["b2"], dtype=float).reshape(-1)):
        assert v == pytest.approx(sdoc[f"d{r + 1}"], rel=1e-12, abs=1e-15)


# --- the 4096×4096 Jacobian question ---------------------------------------------------------

def test_relu_adjoint_is_elementwise_and_no_d_by_d_matrix_is_built():
    g = parse_spec(RELU)
    D = sympy.Symbol("D", positive=True, integer=True)
    d = g.backprop()
    xbar = d.by_name["x"].expr
    assert isinstance(xbar, Elem)
    assert same_meaning(g, backward(g)["x"], "h_bar * relu'(x)")
    for name, a in d.by_name.items():
        for node in walk(a.expr):
            assert node.shape != (D, D), (name, node)
            assert not isinstance(node, MatMul), (name, node)
    # the printed adjoint is h̄ ∘ relu′(x), in the text and the LaTeX
    assert "x̄ = h̄ ∘ relu′(x)" in d.to_text()
    assert r"\bar{x} &= \bar{h} \circ \operatorname{relu}'\left(x\right)" in d.to_latex()


def test_relu_jacobian_is_diagonal_by_finite_differences():
    g = parse_spec("x: vector(D)\nh = relu(x)\nf = sum(h)\n")
    rng = random.Random(4096)
    D = 7
    x = np.array([[mpmath.mpf(rng.choice((-1, 1)) * rng.uniform(0.1, 1))] for _ in range(D)], dtype=object)
    J = np.empty((D, D), dtype=object)
    with mpmath.workdps(30):
        step = mpmath.mpf("1e-8")
        for j in range(D):
            e = np.zeros((D, 1), dtype=object)
            e[j, 0] = step
            hp, hm = g.values({"x": x + e})["h"], g.values({"x": x - e})["h"]
            J[:, j] = ((hp - hm) / (2 * step))[:, 0]
    off = [abs(J[i, j]) for i in range(D) for j in range(D) if i != j]
    assert max(off) == 0
    for i in range(D):
        assert abs(J[i, i] - (1 if x[i, 0] > 0 else 0)) < mpmath.mpf("1e-20")
    assert {int(J[i, i] + mpmath.mpf("0.5")) for i in range(D)} == {0, 1}   # both kinds of entry seen
    # and the adjoint the tool derives is that diagonal applied entry by entry: x̄ = h̄ ∘ relu′(x)
    _, adj = g.backprop().values({"x": x})
    close(adj["x"], np.array([[J[i, i]] for i in range(D)], dtype=object), 1e-20)


def test_a_residual_net_too_large_to_write_out_keeps_its_gradients_in_adjoints(cli, tmp_path):
    """Each residual layer doubles the written-out gradient; 30 layers stay in adjoint form,
    counted before anything is built, instead of taking minutes."""
    rows = ["x: vector(D)", "W: matrix(D, D)"] + [
        f"h{i} = tanh(W @ {'x' if i == 1 else f'h{i - 1}'}) + {'x' if i == 1 else f'h{i - 1}'}" for i in range(1, 31)]
    spec = tmp_path / "res.bp"
    spec.write_text("\n".join(rows + ["L = sum(h30*h30)"]) + "\n", encoding="utf-8")
    d = parse_spec(spec.read_text(encoding="utf-8")).backprop()
    assert d.leaf_adjoints["W"] is None and d.gradients["W"] == d.by_name["W"].expr
    code, out, _ = cli("derive", spec, "--expand")
    assert code == 0 and "more than 20,000 operations" in out.split("calculus-class full expansion")[1]


def test_a_huge_matrix_claim_is_diagnosed_within_its_budget():
    """790 elementwise factors: every `*`-for-`@` reread costs a parse of the whole text (it took
    40 s before the diagnosis had a counted budget); the factor W2⁷⁹⁰ set to 1, a repair by a
    constant, is tried before any reread and found within the budget."""
    claim = "y_bar @ h^T" + " * W2" * 790
    first = check_claim(spec_path("mlp").read_text(encoding="utf-8"), "W2", claim, deadline=0.5)
    again = check_claim(spec_path("mlp").read_text(encoding="utf-8"), "W2", claim, deadline=0.5)
    assert first.verdict == "incorrect"
    assert first.diagnosis["kind"] == "extra_factor" and first.diagnosis["fix"]["text"] == "y_bar @ h.T"
    assert first.seconds < budget(10)
    assert again.diagnosis == first.diagnosis and again.counterexample == first.counterexample
