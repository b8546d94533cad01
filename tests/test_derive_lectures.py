"""Every number of the lecture examples (shared/seeds: CS231n lecture 4, CSC321 lecture 6)."""
import mpmath
import pytest
import sympy

from conftest import B, S, exact, load
from derive import Graph, parse_spec
from derive.functions import Sigma, SigmaPrime


def r2(v):
    """Rounded as the slides print it."""
    return round(float(v), 2)


# --- CS231n: f = (x + y) z at x = -2, y = 5, z = -4 ---------------------------------------

def test_simple_circuit_forward_values_are_the_lectures():
    vals = load("simple").values(exact(x=-2, y=5, z=-4))
    assert vals["q"] == 3 and vals["f"] == -12


def test_simple_circuit_gradients_are_the_lectures():
    d = load("simple").backprop()
    _, adj = d.values(exact(x=-2, y=5, z=-4))
    assert adj == {"f": 1, "q": -4, "z": 3, "x": -4, "y": -4}


def test_simple_circuit_adjoints_are_local_times_upstream():
    d = load("simple").backprop()
    assert d.adjoints == {"f": 1, "q": B("f") * S("z"), "x": B("q"), "y": B("q"), "z": B("f") * S("q")}
    edges = d.local_values(exact(x=-2, y=5, z=-4))
    assert edges[("q", "f")] == (-4, 1)      # ∂f/∂q = z = -4, upstream 1
    assert edges[("x", "q")] == (1, -4)      # ∂q/∂x = 1, upstream q̄ = -4


# --- CS231n: the sigmoid neuron, w0=2, x0=-1, w1=-3, x1=-2, w2=-3 -------------------------

NEURON = exact(w0=2, x0=-1, w1=-3, x1=-2, w2=-3)
NEURON_GRADS = {"w0": -0.20, "x0": 0.39, "w1": -0.39, "x1": -0.59, "w2": 0.20}


def test_sigmoid_neuron_output_and_gradients_are_the_lectures():
    g = load("neuron")
    assert g.at == NEURON                 # the spec's at: line holds the lecture's point
    vals, adj = g.backprop().values(NEURON)
    assert r2(vals["f"]) == 0.73
    assert {w: r2(adj[w]) for w in NEURON_GRADS} == NEURON_GRADS


def test_sigmoid_neuron_keeps_sigma_prime_in_the_adjoint():
    d = load("neuron").backprop()
    assert d.adjoints["z"] == B("f") * SigmaPrime(S("z"))
    assert d.adjoints["w0"] == B("z") * S("x0")


def test_sigmoid_of_an_unnamed_sum_is_differentiated_through_its_output():
    """CS231n's sigmoid gate: local gradient (1 − f) f = 0.73 · 0.27 ≈ 0.20, the pre-activation
    not written again in every adjoint; the gradients keep σ′ of the sum."""
    g = parse_spec("f = sigma(w0*x0 + w1*x1 + w2)")
    d = g.backprop()
    f = S("f")
    assert d.adjoints["w0"] == B("f") * f * (1 - f) * S("x0")
    assert d.adjoints["w2"] == B("f") * f * (1 - f)
    assert d.gradients["w2"] == SigmaPrime(S("w0") * S("x0") + S("w1") * S("x1") + S("w2"))
    edges = d.local_values(NEURON)
    assert r2(edges[("w2", "f")][0]) == 0.20
    _, adj = d.values(NEURON)
    assert {w: r2(adj[w]) for w in NEURON_GRADS} == NEURON_GRADS


def test_a_saturated_sigmoid_keeps_its_digits():
    """f(1 − f) at 30 digits is 0 once σ(u) rounds to 1; the numbers use σ′(u) instead."""
    d = parse_spec("f = sigma(w*x)").backprop()
    _, adj = d.values(exact(w=100, x=1))
    with mpmath.workdps(40):
        want = 1 / (2 * mpmath.cosh(50)) ** 2
        assert adj["w"] != 0 and abs(adj["w"] - want) < 1e-20 * want


# --- CS231n: the same neuron gate by gate ---------------------------------------------------

@pytest.fixture(scope="module")
def circuit():
    w0, x0, w1, x1, w2 = (S(n) for n in ("w0", "x0", "w1", "x1", "w2"))
    g = Graph.from_sympy(1 / (1 + sympy.exp(-(w0 * x0 + w1 * x1 + w2))), gates=True)
    d = g.backprop()
    vals, adj = d.values(NEURON)
    return g, d, vals, adj


def test_gate_circuit_has_the_lectures_gates_in_order(circuit):
    g = circuit[0]
    assert [n.gate for n in g.nodes] == ["*", "*", "+", "+", "*-1", "exp", "+1", "1/x"]
    assert g.output == "f"


def test_gate_circuit_forward_values_are_the_lectures(circuit):
    g, _, vals, _ = circuit
    assert [r2(vals[n.name]) for n in g.nodes] == [-2, 6, 4, 1, -1, 0.37, 1.37, 0.73]


def test_gate_circuit_gradients_at_each_gate_input_are_the_lectures(circuit):
    g, d, vals, adj = circuit
    # the gradient arriving at each gate's input, from the output back: 1/x, +1, exp, *-1, +, +
    assert [r2(adj[n.parents[0]]) for n in reversed(g.nodes[2:])] == [-0.53, -0.53, -0.20, 0.20, 0.20, 0.20]
    recip = g.nodes[-1]
    local, upstream = d.local_values(NEURON)[(recip.parents[0], "f")]
    assert r2(local) == r2(-1 / 1.37 ** 2) == -0.53 and upstream == 1
    assert {w: r2(adj[w]) for w in NEURON_GRADS} == NEURON_GRADS


def test_gate_circuit_agrees_with_the_sigma_node_neuron(circuit):
    _, _, _, adj = circuit
    _, adj2 = load("neuron").backprop().values(NEURON)
    assert all(abs(adj[w] - adj2[w]) < 1e-25 for w in NEURON_GRADS)


# --- CS231n: patterns in backward flow, f = 2(xy + max(z, w)) -------------------------------

def test_gates_example_values_and_gradients():
    g = load("gates")
    vals, adj = g.backprop().values(g.at)
    assert vals["f"] == -20
    assert {v: adj[v] for v in ("x", "y", "z", "w")} == {"x": -8, "y": 6, "z": 2, "w": 0}


def test_add_gate_distributes_the_upstream_gradient():
    d = load("gates").backprop()
    assert d.adjoints["p"] == B("s") and d.adjoints["m"] == B("s")


def test_max_gate_routes_the_gradient_to_the_larger_input():
    g = load("gates")
    _, adj = g.backprop().values(g.at)
    assert adj["z"] == adj["m"] == 2 and adj["w"] == 0


def test_max_gate_tie_sends_the_gradient_to_the_first_argument():
    g = load("gates")
    _, adj = g.backprop().values({**g.at, **exact(z=1, w=1)})
    assert (adj["z"], adj["w"]) == (adj["m"], 0)


def test_mul_gate_switches_its_inputs():
    d = load("gates").backprop()
    assert d.adjoints["x"] == B("p") * S("y") and d.adjoints["y"] == B("p") * S("x")


# --- CSC321 lecture 6: regularized logistic regression --------------------------------------

def reglog_truth():
    L_reg, R, L, y, z, w, x, b, t, lam = (S(n) for n in "L_reg R L y z w x b t lambda".split())
    return {
        "L_reg": sympy.Integer(1),
        "R": B("L_reg") * lam,
        "L": B("L_reg"),
        "y": B("L") * (y - t),
        "z": B("y") * SigmaPrime(z),
        "w": B("z") * x + B("R") * w,
        "b": B("z"),
    }


def test_reglog_adjoints_are_the_notes_in_backprop_order():
    d = load("reglog").backprop()
    truth = reglog_truth()
    assert list(d.adjoints) == list(truth)
    for name, expr in truth.items():
        assert sympy.expand(d.adjoints[name] - expr) == 0, name


def test_reglog_terms_are_one_per_outgoing_edge_in_forward_order():
    d = load("reglog").backprop()
    terms = {a.name: [(t.upstream, t.local) for t in a.terms] for a in d.order}
    assert terms == {
        "L_reg": [],
        "R": [("L_reg", S("lambda"))],
        "L": [("L_reg", 1)],
        "y": [("L", S("y") - S("t"))],
        "z": [("y", SigmaPrime(S("z")))],
        "w": [("z", S("x")), ("R", S("w"))],     # fan-out: z first, as in the forward pass
        "b": [("z", 1)],
    }


def test_reglog_gradients_are_the_calculus_class_result():
    d = load("reglog").backprop()
    w, x, b, t, lam = (S(n) for n in "w x b t lambda".split())
    s = Sigma(w * x + b)
    assert sympy.expand(d.gradients["w"] - ((s - t) * SigmaPrime(w * x + b) * x + lam * w)) == 0
    assert sympy.expand(d.gradients["b"] - (s - t) * SigmaPrime(w * x + b)) == 0
    assert list(d.gradients) == ["w", "b"]


def test_reglog_with_latex_names_prints_the_notes_adjoints():
    spec = (
        "wrt: w, b\n"
        "latex: L_reg = \\mathcal{L}_{reg}, L = \\mathcal{L}, R = \\mathcal{R}\n"
        "z = w*x + b\ny = sigma(z)\nL = 1/2*(y - t)^2\nR = 1/2*w^2\nL_reg = L + lambda*R\n"
    )
    tex = parse_spec(spec).backprop().to_latex()
    assert r"\bar{\mathcal{L}}_{reg} &= 1" in tex
    assert r"\bar{\mathcal{R}} &= \bar{\mathcal{L}}_{reg}\, \lambda" in tex
    assert r"\bar{w} &= \bar{z}\, x + \bar{\mathcal{R}}\, w" in tex
    assert r"\bar{z} &= \bar{y}\, \sigma'\left(z\right)" in tex
