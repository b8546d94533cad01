"""Properties over random scalar graphs (random DAGs with fan-out over + − * / σ tanh exp log
relu max): barprop's gradients are the derivative of the full expansion (independent SymPy
`diff` of standard functions, and finite differences); every derivation barprop prints is judged
correct; single-edit mutants that change a value are never judged correct."""
import random

import mpmath
import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from check import check_adjoints, check_claim
from check.evidence import truth_for
from derive import parse_spec
from derive.evaluate import evaluate, kink_distance
from derive.functions import sym
from derive.printing import Text

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# op: (arity, spec text, independent SymPy with standard functions only, bound of |value|)
OPS = {
    "add": (2, "{0} + {1}", lambda a, b: a + b, lambda a, b: a + b),
    "sub": (2, "{0} - {1}", lambda a, b: a - b, lambda a, b: a + b),
    "mul": (2, "{0}*{1}", lambda a, b: a * b, lambda a, b: a * b),
    "div": (2, "{0}/(1 + {1}^2)", lambda a, b: a / (1 + b ** 2), lambda a, b: a),
    "sigma": (1, "sigma({0})", lambda a: 1 / (1 + sympy.exp(-a)), lambda a: 1),
    "tanh": (1, "tanh({0})", sympy.tanh, lambda a: 1),
    "exp": (1, "exp({0})", sympy.exp, lambda a: mpmath.e ** a),
    "log": (1, "log(1 + exp({0}))", lambda a: sympy.log(1 + sympy.exp(a)), lambda a: a + 1),
    "relu": (1, "relu({0})", lambda a: sympy.Max(0, a), lambda a: a),
    "max": (2, "max({0}, {1})", sympy.Max, max),
    "square": (1, "{0}^2", lambda a: a ** 2, lambda a: a * a),
}
LEAF_BOUND = 2.5


@st.composite
def graphs(draw):
    """(spec text, leaves, {name: independent SymPy expression in the leaves})."""
    k = draw(st.integers(1, 3))
    leaves = [f"x{i}" for i in range(k)]
    n = draw(st.integers(1, 6))
    names, exprs, bound, used = list(leaves), {x: sympy.Symbol(x, real=True) for x in leaves}, \
        {x: LEAF_BOUND for x in leaves}, set()
    lines = []
    for i in range(1, n + 1):
        op = draw(st.sampled_from(sorted(OPS)))
        arity, fmt, f, b = OPS[op]
        unused = [x for x in names if x not in used]
        first = draw(st.sampled_from(unused)) if unused and draw(st.booleans()) else draw(st.sampled_from(names))
        args = [first]
        if arity == 2:
            rest = [x for x in names if x != first]
            if not rest:
                op, (arity, fmt, f, b) = "square", OPS["square"]
            else:
                args.append(draw(st.sampled_from(rest)))
        if op == "exp" and bound[args[0]] > 20:        # keep exp towers finite
            op, (arity, fmt, f, b) = "tanh", OPS["tanh"]
        name = f"v{i}"
        lines.append(f"{name} = " + fmt.format(*args))
        exprs[name] = f(*(exprs[a] for a in args))
        bound[name] = float(min(b(*(bound[a] for a in args)), 1e30))
        used.update(args)
        names.append(name)
    sinks = [x for x in names if x not in used and x not in leaves] or [names[-1]]
    sinks += [x for x in leaves if x not in used]
    lines.append("f = " + " + ".join(sinks))
    exprs["f"] = sum((exprs[s] for s in sinks), sympy.Integer(0))
    return "\n".join(lines) + "\n", leaves, exprs


def _points(graph, rng, count=3):
    """Points away from every kink (relu, max), with values from the spec's own evaluator."""
    out = []
    with mpmath.workdps(30):
        for _ in range(200):
            leaves = {x: mpmath.mpf(rng.uniform(-LEAF_BOUND, LEAF_BOUND)) for x in graph.inputs}
            env = {sym(k): v for k, v in leaves.items()}
            try:
                for node in graph.nodes:
                    env[sym(node.name)] = evaluate(node.expr, env)
                if any(kink_distance(graph.full[n.name], env) < 1e-3 for n in graph.nodes):
                    continue
            except (ArithmeticError, ValueError):
                continue
            out.append(leaves)
            if len(out) == count:
                break
    return out


@SETTINGS
@given(graphs(), st.integers(0, 2 ** 16))
def test_gradients_equal_sympy_diff_of_the_full_expansion_and_finite_differences(g, seed):
    text, leaves, exprs = g
    graph = parse_spec(text)
    d = graph.backprop()
    full = exprs["f"]
    xs = [sympy.Symbol(x, real=True) for x in graph.inputs]
    f_num = sympy.lambdify(xs, full, modules="mpmath")
    points = _points(graph, random.Random(seed))
    assume(points)
    with mpmath.workdps(30):
        for p in points:
            subs = {sympy.Symbol(k, real=True): sympy.Float(str(v), 30) for k, v in p.items()}
            env = {sym(k): v for k, v in p.items()}
            for i, w in enumerate(graph.inputs):
                ours = evaluate(d.gradients[w], env)
                theirs = mpmath.mpf(str(sympy.diff(full, xs[i]).evalf(30, subs=subs)))
                assert abs(ours - theirs) <= mpmath.mpf("1e-20") * (1 + abs(theirs)), (text, w, p)
                args = [p[x] for x in graph.inputs]

                def along(t, i=i, args=args):
                    return f_num(*(args[:i] + [t] + args[i + 1:]))
                fd = mpmath.diff(along, args[i])
                assert abs(ours - fd) <= mpmath.mpf("1e-12") * (1 + abs(fd)), (text, w, p)


def _printed_lines(d):
    """What `derive` prints as ASCII text, without its section headers: forward lines,
    adjoint lines, and the gradients as `df/dw = ...` claims."""
    body = []
    for line in d.to_text(ascii=True).splitlines():
        if line.startswith("  "):
            body.append(line.strip())
    return body


@SETTINGS
@given(graphs())
def test_every_derivation_barprop_prints_is_judged_correct(g):
    text, _, _ = g
    graph = parse_spec(text)
    d = graph.backprop()
    printed = _printed_lines(d)
    r = check_adjoints(graph, "\n".join(printed), deadline=0.5)
    if len(truth_for(graph, 0).points) < 8:
        # every point sits on a kink (max(v, relu(v)) of a positive v is always a tie)
        assert r.verdict == "undecided"
        return
    assert r.verdict == "correct", (text, [(i.line, i.target, i.verdict, i.diagnosis) for i in r.items])
    assert r.missing == () and r.first_wrong is None
    assert all(f.verdict == "correct" for f in r.forward)
    # the JSON `backward` entries as `name_bar = expr` lines, in reverse (any order is fine)
    text_json = "\n".join(f"{b['name']}_bar = {b['expr']}" for b in reversed(d.to_json()["backward"]))
    r = check_adjoints(graph, text_json, deadline=0.5)
    assert r.verdict == "correct" and len(r.items) == len(d.order)
    assert all(v["correct"] for v in r.global_values.values())
    # each adjoint printed by Text(ascii=True) straight from the Derivation
    p = Text(ascii=True)
    for a in d.order:
        line = f"{a.name}_bar = {p.doprint(a.expr)}"
        assert check_adjoints(graph, line, deadline=0.5).items[0].verdict == "correct", line


MUTATIONS = ["double_term", "negate_term", "negate_all", "drop_term", "add_one"]


def _mutate(expr, how, which):
    terms = list(sympy.Add.make_args(expr))
    t = terms[which % len(terms)]
    if how == "double_term":
        return expr + t
    if how == "negate_term":
        return expr - 2 * t
    if how == "negate_all":
        return -expr
    if how == "drop_term":
        return expr - t
    return expr + 1


def _differs(graph, truth_expr, mutant, seed=0):
    with mpmath.workdps(30):
        for p in truth_for(graph, seed).points:
            try:
                a, b = evaluate(truth_expr, p.env), evaluate(mutant, p.env)
            except (ArithmeticError, ValueError):
                continue
            if abs(a - b) > mpmath.mpf("1e-10") * (1 + abs(a)):
                return True
    return False


@SETTINGS
@given(graphs(), st.sampled_from(MUTATIONS), st.integers(0, 50), st.integers(0, 50))
def test_single_edit_mutants_that_change_a_value_are_never_correct(g, how, pick, which):
    text, _, _ = g
    graph = parse_spec(text)
    d = graph.backprop()
    p = Text(ascii=True)
    a = d.order[pick % len(d.order)]
    mutant = _mutate(a.expr, how, which)
    changed = _differs(graph, a.expr, mutant)
    lines = [f"{b.name}_bar = {p.doprint(mutant if b is a else b.expr)}" for b in d.order]
    r = check_adjoints(graph, "\n".join(lines), deadline=0.3)
    item = next(i for i in r.items if i.target == f"{a.name}_bar")
    if changed:
        assert item.verdict == "incorrect", (text, lines)
        assert r.verdict != "correct" and r.first_wrong is not None
        assert item.counterexample is not None and item.diagnosis["kind"]
    elif len(truth_for(graph, 0).points) >= 8:
        assert item.verdict == "correct"      # e.g. a term that is 0 wherever relu is off
    # the same edit on a final gradient, as a claim
    w = graph.inputs[pick % len(graph.inputs)]
    claim = _mutate(d.gradients[w], how, which)
    v = check_claim(graph, w, p.doprint(claim), deadline=0.3)
    if _differs(graph, d.gradients[w], claim):
        assert v.verdict == "incorrect", (text, w, p.doprint(claim))
    elif len(truth_for(graph, 0).points) >= 8:
        assert v.verdict == "correct"


@pytest.mark.parametrize("text", [
    "a = x0*x1\nb = sigma(a) + relu(x2 - a)\nc = max(b, x0)/(1 + x1^2)\nd = log(1 + exp(c))*tanh(a)\nf = d + b*c\n",
    "v1 = x0*x0\nv2 = tanh(v1) + v1\nv3 = v2*v1\nf = v3 + v2\n",
])
def test_hand_written_fan_out_graphs_round_trip(text):
    graph = parse_spec(text)
    r = check_adjoints(graph, "\n".join(_printed_lines(graph.backprop())))
    assert r.verdict == "correct"
