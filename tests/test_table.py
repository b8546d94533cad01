"""Meta-tests over the one rule table: every function in it prints as text, LaTeX and numpy,
reads back (plain reader, LaTeX reader) to the same value, is judged right as a claim, and is
emitted by `--emit numpy` into code that runs and agrees with central differences, in scalar
and in matrix (elementwise) specs. Partials against `sympy.diff` and finite differences for every
entry: tests/test_rules.py. Executing emitted code is fine: it is our own generated code."""
import random

import mpmath
import numpy as np
import pytest
import sympy

from check import check_claim
from check.read.latex import parse_latex_expression
from derive import parse_spec
from derive.emit import Numpy, emit_numpy
from derive.evaluate import evaluate
from derive.functions import sym
from derive.parse import Scope, parse_expression
from derive.printing import Latex, Text
from derive.rules import PRIME_OF, PRIMES, SPELLINGS, TABLE, partial

A, B = sym("a"), sym("b")
FUNCTIONS = sorted((p for p in TABLE.values() if p.names), key=lambda p: p.ascii)
PRIMED = sorted((TABLE[h] for h in PRIME_OF), key=lambda p: p.ascii)
IDS = [p.ascii for p in FUNCTIONS]
NEW = ("cosh", "sinh", "tan", "sech", "arctan", "atan", "arcsin", "arccos", "log1p", "expm1",
       "log_sigma", "gelu", "swish", "silu")
# Where each function is defined and smooth enough for a difference quotient: (low, high)
DOMAIN = {"log": (0.3, 2.0), "arcsin": (-0.8, 0.8), "arccos": (-0.8, 0.8), "log1p": (-0.7, 2.0),
          "tan": (-1.2, 1.2)}


class Names(Scope):
    """A scope in which every name is a variable (for the LaTeX reader too)."""

    def known(self, name):
        return name in ("a", "b")


def args_of(p):
    return (A, B)[: (2 if p.arity == 2 or p.defaults else 1)]


def applied(p):
    args = args_of(p)
    return p.head(*args), args


def point(p, rng):
    """Values of a and b in the domain, away from kinks (relu at 0, max at a = b)."""
    low, high = DOMAIN.get(p.ascii, (-2.0, 2.0))
    while True:
        vals = [mpmath.mpf(rng.uniform(low, high)), mpmath.mpf(rng.uniform(0.05, 0.9))]
        vals = vals[: len(args_of(p))]
        if p.kink is None or abs(p.kink(*vals)) > 0.1:
            return dict(zip(args_of(p), vals))


def value(e, env):
    with mpmath.workdps(30):
        return evaluate(e, env)


def test_the_new_functions_are_table_entries_with_every_fact():
    for name in NEW:
        head = SPELLINGS[name][0]
        p = TABLE[head]
        assert p.ascii and p.uni and p.latex and p.numpy, name
        assert p.d((A,), 0) is not None


@pytest.mark.parametrize("p", FUNCTIONS + PRIMED, ids=IDS + [p.ascii for p in PRIMED])
def test_every_function_prints_as_text_latex_and_numpy(p):
    e = p.head(*args_of(p)) if p in FUNCTIONS else p.head(A)
    assert Text(ascii=True).doprint(e).startswith(p.ascii + "(")
    assert Text(ascii=False).doprint(e).startswith(p.uni + "(")
    assert Latex().doprint(e).startswith(p.latex + r"\left(")
    assert Numpy().doprint(e).startswith(p.numpy + "(")


@pytest.mark.parametrize("p", FUNCTIONS, ids=IDS)
def test_function_and_its_rule_read_back_from_text_and_latex(p):
    e, args = applied(p)
    rng = random.Random(p.ascii)
    forms = [e] + [partial(e, i) for i in range(len(args))]
    for form in forms:
        if form.has(sympy.pi):
            continue            # GELU's second derivative writes π, which names no variable
        text, tex = Text(ascii=True).doprint(form), Latex().doprint(form)
        plain = parse_expression(text, Names())
        latex = parse_latex_expression(tex, Names())
        for _ in range(3):
            env = point(p, rng)
            want = value(form, env)
            assert abs(value(plain, env) - want) <= 1e-25 * (1 + abs(want)), (text, env)
            assert abs(value(latex, env) - want) <= 1e-25 * (1 + abs(want)), (tex, env)


@pytest.mark.parametrize("p", PRIMED, ids=[p.ascii for p in PRIMED])
def test_derivative_heads_read_back(p):
    e = p.head(A)
    assert parse_expression(Text(ascii=True).doprint(e), Names()) == e
    assert parse_latex_expression(Latex().doprint(e), Names()) == e
    assert PRIMES[TABLE[PRIME_OF[p.head]].ascii] is p.head


@pytest.mark.parametrize("name", ["cosh", "sinh", "tan", "arctan", "arcsin", "arccos"])
def test_latex_function_commands_read_as_the_function(name):
    head = SPELLINGS[name][0]
    assert parse_latex_expression(rf"\{name}(a)", Names()) == head(A)
    assert parse_latex_expression(rf"\{name} a", Names()) == head(A)


@pytest.mark.parametrize("tex, name", [(r"\operatorname{sech}(a)", "sech"), (r"\operatorname{log1p}(a)", "log1p"),
                                       (r"\operatorname{expm1}(a)", "expm1"), (r"\operatorname{gelu}(a)", "gelu"),
                                       (r"\operatorname{swish}(a)", "swish"), (r"\operatorname{silu}(a)", "silu"),
                                       (r"\operatorname{log\_sigma}(a)", "log_sigma")])
def test_operatorname_functions_read_as_the_function(tex, name):
    assert parse_latex_expression(tex, Names()) == SPELLINGS[name][0](A)


@pytest.mark.parametrize("p", FUNCTIONS, ids=IDS)
def test_a_claim_using_the_function_is_judged_right_in_plain_and_latex(p):
    spec = f"h = {p.ascii}(x)\nf = w*h\n" if len(args_of(p)) == 1 else f"h = {p.ascii}(x, v)\nf = w*h\n"
    d = parse_spec(spec).backprop(["x"])
    right = d.gradients["x"]
    claim_text = Text(ascii=True).doprint(right)
    claim_tex = Latex().doprint(right)
    assert check_claim(spec, "x", claim_text).verdict == "correct", claim_text
    assert check_claim(spec, "x", f"$${claim_tex}$$").verdict == "correct", claim_tex
    wrong = check_claim(spec, "x", f"2*({claim_text}) + x")
    assert wrong.verdict == "incorrect", claim_text


def central(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        g[idx] = (f(up) - f(down)) / (2 * eps)
    return g


def run(source):
    ns = {}
    exec(compile(source, "<emitted>", "exec"), ns)      # our own generated code
    return ns["forward_backward"]


def _entries(p, rng, shape):
    low, high = DOMAIN.get(p.ascii, (-2.0, 2.0))
    out = np.zeros(shape)
    for idx in np.ndindex(*shape):
        while True:
            v = rng.uniform(low, high)
            if abs(v) > 0.1:
                out[idx] = v
                break
    return out


@pytest.mark.parametrize("p", FUNCTIONS, ids=IDS)
def test_emitted_numpy_runs_and_matches_central_differences(p):
    """A scalar spec and a matrix spec (the function elementwise) through `--emit numpy`."""
    rng = random.Random(p.ascii)
    two = len(args_of(p)) == 2
    call = f"{p.ascii}(x, v)" if two else f"{p.ascii}(x)"
    scalar = parse_spec(f"h = {call}\nf = w*h\n").backprop()
    fb = run(emit_numpy(scalar))
    for _ in range(3):
        x, w, v = _entries(p, rng, (1,))[0], rng.uniform(0.5, 1.5), rng.uniform(0.05, 0.9)
        if two and p.kink is not None and abs(p.kink(x, v)) < 0.1:
            continue
        inputs = {"x": x, "w": w, "v": v}
        names = scalar.graph.inputs
        out, grads = fb(*[inputs[n] for n in names])
        fx = lambda t: fb(*[t[0] if n == "x" else inputs[n] for n in names])[0]
        assert np.allclose(grads["x"], central(fx, np.array([x]))[0], rtol=1e-5, atol=1e-7), (p.ascii, x)
    matrix = parse_spec("x: vector(D)\nW: matrix(D, D)\n" + ("v: vector(D)\n" if two else "")
                        + f"h = {call}\nf = sum(W @ h)\n").backprop()
    fb = run(emit_numpy(matrix))
    x = _entries(p, rng, (3, 1))
    W = np.array([[rng.uniform(-1, 1) for _ in range(3)] for _ in range(3)])
    v = np.array([[rng.uniform(0.05, 0.9)] for _ in range(3)])
    if two and p.kink is not None and any(abs(p.kink(a, b)) < 0.1 for a, b in zip(x.flat, v.flat)):
        v = x - 0.5          # max(x, v), min(x, v): away from the tie
    inputs = {"x": x, "W": W, "v": v}
    names = matrix.graph.inputs
    out, grads = fb(*[inputs[n] for n in names])
    fx = lambda t: fb(*[t if n == "x" else inputs[n] for n in names])[0]
    assert np.allclose(grads["x"], central(fx, x), rtol=1e-5, atol=1e-7), p.ascii


def test_emit_numpy_writes_a_helper_only_when_the_code_calls_it():
    src = emit_numpy(parse_spec("h = elu(x)\nf = w*h\n").backprop())
    assert "def elu(x, s):" in src and "def gelu(" not in src and "def sigma(x):" in src


@pytest.mark.parametrize("p", FUNCTIONS, ids=IDS)
def test_a_matrix_claim_using_the_function_elementwise_is_judged_right(p):
    call = f"{p.ascii}(x, v)" if len(args_of(p)) == 2 else f"{p.ascii}(x)"
    spec = "x: vector(D)\n" + ("v: vector(D)\n" if "v)" in call else "") + f"h = {call}\nL = sum(h)\n"
    d = parse_spec(spec).backprop(["x"])
    claim = Text(ascii=True).doprint(d.gradients["x"])
    assert check_claim(spec, "x", claim).verdict == "correct", claim
    assert check_claim(spec, "x", f"$${Latex().doprint(d.gradients['x'])}$$").verdict == "correct"
    assert check_claim(spec, "x", f"2*({claim}) + x").verdict == "incorrect", claim


@pytest.mark.parametrize("spec", ["h = gelu(x)\nf = w*h\n", "x: vector(D)\nh = gelu(x)\nf = sum(h)\n"],
                         ids=["scalar", "matrix"])
def test_a_function_written_for_its_derivative_head_is_diagnosed_from_the_table(spec):
    """The table's derivative heads (σ → σ′, tanh → tanh′, relu → relu′, gelu → gelu′) drive the
    `derivative_of_wrong_function` diagnosis, for the new gelu′ as for σ′."""
    claim = "w*gelu(x)" if "vector" not in spec else "gelu(x)"
    v = check_claim(spec, "x", claim)
    assert v.verdict == "incorrect" and v.diagnosis["kind"] == "derivative_of_wrong_function"
    assert "gelu" in v.diagnosis["message"] and "gelu′" in v.diagnosis["message"]
