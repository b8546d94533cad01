"""The graph and the reverse pass: fan-out, shared subexpressions, cost, agreement with diff."""
import pytest
import sympy

from conftest import B, S, exact, load
from derive import Graph, parse_spec
from derive.functions import SigmaPrime
from test_rules import native

EXAMPLES = ["simple", "neuron", "gates", "reglog"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_gradients_equal_sympy_diff_of_the_full_expansion(name):
    g = load(name)
    d = g.backprop()
    full = native(g.full[g.output])
    for w in d.wrt:
        ours = native(d.gradients[w])
        theirs = sympy.diff(full, S(w))
        if name == "gates":    # max: compare at the lecture's point (away from the tie)
            at = {S(k): v for k, v in g.at.items()}
            assert ours.subs(at) == theirs.subs(at), w
        else:
            assert sympy.simplify((ours - theirs).rewrite(sympy.exp)) == 0, w


@pytest.mark.parametrize("name", EXAMPLES)
def test_adjoint_values_equal_the_gradients_at_the_point(name):
    g = load(name)
    d = g.backprop()
    _, adj = d.values(g.at)
    at = {S(k): v for k, v in g.at.items()}
    for w in d.wrt:
        assert abs(adj[w] - native(d.gradients[w]).subs(at).evalf(30)) < 1e-25


def test_fanout_adds_gradients():
    g = parse_spec("a = 3*x\nb = x^2\nf = a*b\n")
    d = g.backprop()
    x = d.by_name["x"]
    assert [t.upstream for t in x.terms] == ["a", "b"]          # one term per outgoing edge
    assert d.adjoints["x"] == B("a") * 3 + B("b") * 2 * S("x")
    _, adj = d.values(exact(x=2))
    assert adj["x"] == adj["a"] * 3 + adj["b"] * 4 == sympy.diff(3 * S("x") ** 3, S("x")).subs(S("x"), 2)


def test_fanout_of_an_intermediate_adds_gradients():
    g = parse_spec("h = x + 1\nu = h^2\nv = 2*h\nf = u + v\n")
    d = g.backprop()
    assert d.adjoints["h"] == B("u") * 2 * S("h") + B("v") * 2
    assert sympy.expand(d.gradients["x"] - sympy.diff((S("x") + 1) ** 2 + 2 * (S("x") + 1), S("x"))) == 0


@pytest.mark.parametrize("gates", [False, True])
def test_from_sympy_merges_identical_subexpressions_into_one_node(gates):
    w, x, b = S("w"), S("x"), S("b")
    z = w * x + b
    g = Graph.from_sympy(sympy.exp(z) + z ** 2 + sympy.tanh(z), gates=gates)
    nodes = [n for n in g.nodes if n.expr.xreplace({S(p): g.full[p] for p in n.parents}) == z]
    assert len(nodes) == 1
    consumers = g.consumers[nodes[0].name]
    assert len(consumers) == 3                                   # exp, square, tanh share it
    d = g.backprop()
    assert len(d.by_name[nodes[0].name].terms) == 3
    for v in (w, x, b):
        assert sympy.expand(native(d.gradients[v.name]) - sympy.diff(sympy.exp(z) + z ** 2 + sympy.tanh(z), v)) == 0


def test_from_sympy_of_the_calculus_class_loss_computes_wx_plus_b_once():
    w, x, b, t, lam = (S(n) for n in "w x b t lambda".split())
    from derive.functions import Sigma
    g = Graph.from_sympy(sympy.Rational(1, 2) * (Sigma(w * x + b) - t) ** 2 + lam / 2 * w ** 2)
    assert sum(1 for n in g.nodes if g.full[n.name] == w * x + b) == 1
    d = g.backprop(["w", "b"])
    assert any(a.expr.has(SigmaPrime) for a in d.order)


def test_from_sympy_gate_labels_and_output_name():
    x, y = S("x"), S("y")
    g = Graph.from_sympy(2 * sympy.Max(x, y) + 1, gates=True, output="out")
    assert g.output == "out"
    assert [n.gate for n in g.nodes] == ["max", "*2", "+1"]


def test_from_sympy_refuses_text():
    with pytest.raises(TypeError):
        Graph.from_sympy("x + y")


def chain(depth):
    lines = [f"z{i} = w{i}*h{i - 1} + b{i}\nh{i} = sigma(z{i})" for i in range(1, depth + 1)]
    return parse_spec("\n".join(lines).replace("h0", "x") + "\n")


def ops(exprs):
    return sum(int(sympy.count_ops(e)) for e in exprs)


def test_adjoint_op_count_grows_linearly_on_a_sigmoid_chain():
    counts = []
    for depth in range(1, 51):
        g = chain(depth)
        d = g.backprop()
        forward, backward = ops(n.expr for n in g.nodes), ops(d.adjoints.values())
        assert backward <= 4 * forward, depth
        counts.append(backward)
    steps = {b - a for a, b in zip(counts, counts[1:])}
    assert len(steps) == 1, steps                                # the same cost for every layer


def test_full_expansion_of_a_deep_chain_repeats_what_backprop_shares():
    g = chain(4)
    d = g.backprop(["w1"])
    assert ops([d.gradients["w1"]]) > ops(d.adjoints.values())


def test_backprop_skips_nodes_off_the_path_and_rejects_unknown_names():
    g = parse_spec("a = x*y\nc = 2*y\nf = a + c\n")
    d = g.backprop(["x"])
    assert list(d.adjoints) == ["f", "a", "x"]
    with pytest.raises(ValueError, match="unknown variable"):
        g.backprop(["nope"])


def test_values_are_exact_to_thirty_digits():
    g = load("reglog")
    vals, adj = g.backprop().values(g.at)
    assert float(vals["z"]) == -0.71 and float(adj["R"]) == 0.1


def wide_net(layers, units):
    """A scalar network `units` wide and `layers` deep: each unit reads every unit below."""
    lines = [f"x{i}: scalar" for i in range(units)]
    below = [f"x{i}" for i in range(units)]
    for layer in range(1, layers + 1):
        here = []
        for u in range(units):
            lines.append(f"h{layer}_{u} = sigma(" + " + ".join(f"w{layer}_{u}_{k}*{b}" for k, b in enumerate(below))
                         + f" + b{layer}_{u})")
            here.append(f"h{layer}_{u}")
        below = here
    lines.append("L = 1/2*(" + " + ".join(below) + " - t)^2")
    return "\n".join(lines) + "\n"


def test_a_wide_deep_network_is_derived_with_its_gradients_left_in_adjoints():
    """8 layers of 3 units write out to 3^8-fold copies in the inputs; backprop does not care:
    the top layer and the loss stay names, the gradients stay in adjoints, and the numbers agree
    with finite differences of the forward pass."""
    import mpmath
    g = parse_spec(wide_net(8, 3))
    assert {"h8_0", "h8_1", "h8_2", "L"} <= g.unwritten and "h1_0" not in g.unwritten
    d = g.backprop()
    assert d.leaf_adjoints["w1_0_0"] is None and d.gradients["w1_0_0"] == d.by_name["w1_0_0"].expr
    point = {n: sympy.Rational(k % 7 - 3, 10) for k, n in enumerate(g.inputs)}
    _, adj = d.values(point)
    h = sympy.Rational(1, 10**8)
    up, down = (g.values({**point, "w1_0_0": point["w1_0_0"] + s})["L"] for s in (h, -h))
    fd = (up - down) / (2 * mpmath.mpf(h))
    assert adj["w1_0_0"] != 0 and abs(fd - adj["w1_0_0"]) <= mpmath.mpf("1e-6") * abs(fd)


def test_a_small_network_is_still_written_out_in_its_inputs():
    g = parse_spec(wide_net(2, 2))
    d = g.backprop()
    assert g.unwritten == frozenset()
    assert not (d.gradients["w1_0_0"].free_symbols & {S(n.name) for n in g.nodes})
