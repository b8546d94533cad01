"""Matrix claims at a large spec point (issue #18): judged in float64 with error bounds where that
decides a `correct` verdict, in mpmath everywhere else, with the verdicts of mpmath alone; and the
`at:` lines of such a spec, which have their own cap."""
import json
from fractions import Fraction
import random
from collections import OrderedDict

import mpmath
import numpy as np
import pytest
import sympy

import check.evidence as evidence
import check.evidence.matrix as evidence_matrix
import derive.matrix
import derive.mgraph
from check import check_claim
from derive import ParseError, parse_spec
from derive.evaluate import evaluate
from derive.f64 import fevaluate, bounded
from derive.matrix import Leaf
from derive.rules import TABLE, Unsure
from derive.spec import MAX_SPEC_CHARS, PLAIN_ONLY

CLAIM = "(W2.T @ (y - t) * sigma'(W1 @ x)) @ x.T"
WRONG = ["(W2.T @ (y - t) * sigma(W1 @ x)) @ x.T", "x @ (W2.T @ (y - t) * sigma'(W1 @ x)).T",
         "2*(W2.T @ (y - t) * sigma'(W1 @ x)) @ x.T", "(W2.T @ (y - t)) @ x.T",
         "(W2 @ (y - t) * sigma'(W1 @ x)) @ x.T"]
INDEXED = ["W1_bar_ij = h_bar_i*h_i*(1 - h_i)*x_j", "W1_bar_ij = h_bar_i*h_i*x_j"]
NEAR = [CLAIM + " * (1 + 10^-13)", CLAIM + " * (1 + 2*10^-15)", CLAIM + " * (1 + 10^-17)",
        CLAIM + " + 10^-16*(D - 2)*(D - 3)*(D - 4)*(D - 5)"]


def mlp(d, h, k=10, seed=0, digits=3):
    """The two-layer net of the lectures with an `at:` point of size D, H, K."""
    rng = random.Random(seed)

    def rows(r, c):
        return "[" + ", ".join("[" + ", ".join(f"{rng.uniform(-1, 1):.{digits}f}" for _ in range(c)) + "]"
                               for _ in range(r)) + "]"
    vec = lambda n: "[" + ", ".join(f"{rng.uniform(-1, 1):.{digits}f}" for _ in range(n)) + "]"
    return ("W1: matrix(H, D)\nx: vector(D)\nW2: matrix(K, H)\nt: vector(K)\n"
            "h = sigma(W1 @ x)\ny = W2 @ h\nL = 1/2*sum((y - t)^2)\n"
            f"at: W1={rows(h, d)}, x={vec(d)}, W2={rows(k, h)}, t={vec(k)}\n")


@pytest.fixture
def fresh(monkeypatch):
    """No truth cached from another test: each check here builds its own."""
    monkeypatch.setattr(evidence, "_TRUTHS", OrderedDict())


def _outcome(v):
    return v.verdict, json.dumps(v.counterexample, sort_keys=True), json.dumps(v.diagnosis, sort_keys=True)


def _exact(monkeypatch):
    monkeypatch.setattr(evidence_matrix, "LARGE", 10 ** 9)
    monkeypatch.setattr(evidence, "_TRUTHS", OrderedDict())


def test_correct_claim_at_d32_leaves_the_large_point_to_float64(fresh, monkeypatch):
    big, small, diffs = [], [], []

    def counting(real):
        def mevaluate(expr, env, memo=None):
            out = real(expr, env, memo)
            (big if 32 in out.shape else small).append(out.size)
            return out
        return mevaluate
    real = derive.matrix.mevaluate
    for module in (derive.matrix, derive.mgraph, evidence_matrix):
        monkeypatch.setattr(module, "mevaluate", counting(real))
    real_diff = mpmath.diff
    monkeypatch.setattr(mpmath, "diff", lambda *a, **k: diffs.append(1) or real_diff(*a, **k))
    g = parse_spec(mlp(32, 32))
    v = check_claim(g, "W1", CLAIM)
    assert v.verdict == "correct"
    assert v.evidence["numeric"]["float64"]["points"] == 1 and v.evidence["numeric"]["points"] == 17
    assert sum(big) == 0                      # no mpmath value of a 32-sized array
    assert len(diffs) == 16                   # mpmath finite differences at the small points only
    assert not evidence_matrix.matrix_truth(g, 0).points[0].computed
    mpmath_entries = sum(small)
    # the same check without float64 computes the large point in mpmath: more than all the rest
    _exact(monkeypatch)
    small.clear()
    assert check_claim(parse_spec(mlp(32, 32)), "W1", CLAIM).verdict == "correct"
    assert sum(big) > 2 * mpmath_entries


@pytest.mark.parametrize("claim", [CLAIM] + WRONG + NEAR + INDEXED)
def test_verdicts_at_a_large_point_are_those_of_mpmath(claim, fresh, monkeypatch):
    text = mlp(18, 16)
    fast = check_claim(parse_spec(text), "W1", claim)
    _exact(monkeypatch)
    slow = check_claim(parse_spec(text), "W1", claim)
    assert _outcome(fast) == _outcome(slow)
    assert slow.evidence["numeric"].get("float64") is None


def test_size_letters_in_a_claim_are_judged_in_mpmath(fresh):
    g = parse_spec(mlp(18, 16))
    v = check_claim(g, "W1", NEAR[-1])
    assert v.verdict == "incorrect" and "float64" not in v.evidence["numeric"]


def test_a_kink_at_the_large_point_is_left_to_mpmath(fresh, monkeypatch):
    d = 20
    w = [[0.0] * d] + [[round(0.1 * ((i * d + j) % 7 - 3), 1) for j in range(d)] for i in range(1, d)]
    text = ("W: matrix(H, D)\nx: vector(D)\nh = relu(W @ x)\nL = sum(h)\n"
            f"at: W={w}, x={[round(0.1 * (j % 5 + 1), 1) for j in range(d)]}\n")
    g = parse_spec(text)
    fast = check_claim(g, "W", "relu'(W @ x) @ x.T")
    assert evidence_matrix.matrix_truth(g, 0).fast == {}      # relu′(0): float64 cannot tell the side
    _exact(monkeypatch)
    assert _outcome(fast) == _outcome(check_claim(parse_spec(text), "W", "relu'(W @ x) @ x.T"))


HEADS = [h for h, p in TABLE.items() if p.f64 is not None and h not in (sympy.Add, sympy.Mul, sympy.Pow)]


@pytest.mark.parametrize("head", HEADS, ids=lambda h: h.__name__)
def test_float64_rule_bounds_hold_the_exact_value(head):
    rng = random.Random(7)
    a, b = sympy.Symbol("a", real=True), sympy.Symbol("b", real=True)
    arity = TABLE[head].arity or 2
    expr = head(a, b) if arity == 2 else head(a)
    checked = 0
    for _ in range(200):
        xs = [sympy.Rational(rng.randint(-4000, 4000), rng.choice([7, 100, 1024])) for _ in range(arity)]
        env = {"a": bounded(np.array([[xs[0]]])), "b": bounded(np.array([[xs[-1]]]))}
        slots = derive.matrix.elem(expr.xreplace({a: derive.matrix.slot(0), b: derive.matrix.slot(1)}),
                                   Leaf("a"), Leaf("b")) if arity == 2 else \
            derive.matrix.elem(expr.xreplace({a: derive.matrix.slot(0)}), Leaf("a"))
        try:
            v, e = fevaluate(slots, env)
        except Unsure:
            continue
        with mpmath.workdps(40):
            try:
                exact = evaluate(expr, {a: mpmath.mpf(xs[0].p) / xs[0].q, b: mpmath.mpf(xs[-1].p) / xs[-1].q})
            except Exception:
                pytest.fail(f"float64 vouched for {expr} at {xs}, where it is undefined")
            assert abs(exact - mpmath.mpf(v[0, 0])) <= e[0, 0], (expr, xs)
        checked += 1
    assert checked >= 50


A, B = sympy.Symbol("a", real=True), sympy.Symbol("b", real=True)
ARITHMETIC = [A ** 2, A ** 3, A ** -1, A ** -2, sympy.sqrt(A), A ** sympy.Rational(-3, 2), A * B + A - B / 3,
              (A + B) ** -2, sympy.exp(A) * B - sympy.tanh(A * B) ** 2, A ** 7 - 3 * A * B ** 2]


@pytest.mark.parametrize("expr", ARITHMETIC, ids=str)
def test_float64_sums_products_and_powers_bound_the_exact_value(expr):
    rng = random.Random(11)
    checked = 0
    for _ in range(200):
        xs = [sympy.Rational(rng.randint(-4000, 4000), rng.choice([7, 100, 1024])) for _ in range(2)]
        env = {"a": bounded(np.array([[xs[0]]])), "b": bounded(np.array([[xs[1]]]))}
        e2 = derive.matrix.elem(expr.xreplace({A: derive.matrix.slot(0), B: derive.matrix.slot(1)}),
                                Leaf("a"), Leaf("b"))
        try:
            v, e = fevaluate(e2, env)
        except Unsure:
            continue
        with mpmath.workdps(40):
            exact = evaluate(expr, {A: mpmath.mpf(xs[0].p) / xs[0].q, B: mpmath.mpf(xs[1].p) / xs[1].q})
            assert abs(exact - mpmath.mpf(v[0, 0])) <= e[0, 0], (expr, xs)
        checked += 1
    assert checked >= 50


def test_a_large_point_beyond_the_spec_cap_is_read_from_plain_decimals():
    text = mlp(200, 200)
    assert len(text) > MAX_SPEC_CHARS
    g = parse_spec(text)
    assert g.at["W1"].shape == (200, 200) and g.at["W1"][0, 0] == Fraction(text.split("W1=[[")[1].split(",")[0])


def test_a_large_at_line_refuses_what_is_not_a_plain_decimal():
    text = mlp(200, 200).replace("x=[", "x=[1/3, ", 1)
    with pytest.raises(ParseError, match="plain decimal") as e:
        parse_spec(text)
    assert e.value.line == 8 and PLAIN_ONLY in str(e.value)


def test_the_spec_cap_still_holds_outside_at_lines():
    for text in ("f = x\n# " + "x" * 200_001 + "\nat: x=1\n",
                 "at: x=1\rf = x + " + "x + " * 60_000 + "x\n"):      # a bare CR ends the at: line
        with pytest.raises(ParseError, match="spec longer than 200000"):
            parse_spec(text)


def _lecture_claims():
    import test_matrix_mutants as corpus
    at = {k for k, s in corpus.SPECS.items() if parse_spec(s).at}
    wrong = [(s, w, t, k) for s, w, t, k in corpus.MUTANTS if w and s in at]
    right = [(s, w, t, None) for s, w, t in corpus.CORRECT if w and s in at]
    return [(corpus.SPECS[s], w, t, k) for s, w, t, k in wrong + right]


@pytest.mark.parametrize("spec,wrt,claim,kind", _lecture_claims(), ids=lambda x: str(x)[:30])
def test_lecture_claims_with_every_spec_point_in_float64(spec, wrt, claim, kind, fresh, monkeypatch):
    """The lecture specs' own (small) `at:` points forced through float64: the corpus's verdicts
    and kinds stand, and a correct one says it used float64."""
    monkeypatch.setattr(evidence_matrix, "LARGE", 0)
    v = check_claim(spec, wrt, claim)
    if kind is None:
        assert v.verdict == "correct" and v.evidence["numeric"]["float64"]["points"] == 1
    else:
        assert v.verdict == "incorrect" and v.diagnosis["kind"] == kind
