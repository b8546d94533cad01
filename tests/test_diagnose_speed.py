"""Diagnosis works by numbers within a counted budget (issue #8): rewrites of the truth are
never built as SymPy expressions, deep networks get a diagnosis or `other` in bounded time, and
the budget is work done, so the same claim gets the same diagnosis on every machine."""
import time

import pytest
import sympy

import check.diagnose.scalar as scalar_mod
import check.diagnose.values as diagnose_mod
from check.diagnose import rewrites
from check import check_claim
from check.evidence.symbolic import BUDGET, budgeted
from check.read.scope import read_expression
from derive import parse_spec
from derive.functions import Sigma, SigmaPrime, TanhPrime
from conftest import within
from derive.printing import Text


def chain(depth):
    lines = ["h0 = x"] + [f"h{i} = sigma(w{i}*h{i - 1} + b{i})" for i in range(1, depth + 1)]
    return "\n".join(lines + [f"L = 1/2*(h{depth} - t)^2"]) + "\n"


def printed(spec, wrt, edit):
    g = parse_spec(spec)
    return Text(ascii=True).doprint(edit(g.backprop().gradients[wrt], g))


def test_a_deep_chain_gets_every_simple_kind_quickly():
    spec = chain(12)
    w1, b1, x = sympy.symbols("w1 b1 x", real=True)
    z1 = lambda g: g.full["h1"].args[0]
    cases = [(lambda e, g: -e, "sign"), (lambda e, g: 2 * e, "constant_factor"),
             (lambda e, g: e.xreplace({SigmaPrime(z1(g)): Sigma(z1(g))}), "derivative_of_wrong_function"),
             (lambda e, g: e / x, "missing_factor"), (lambda e, g: e + w1, "extra_term"),
             (lambda e, g: e.xreplace({w1: b1, b1: w1}), "wrong_variable")]
    check_claim(spec, "w1", "w1", deadline=0)               # truth and points: not the diagnosis
    for edit, kind in cases:
        with within(2.0):
            v = check_claim(spec, "w1", printed(spec, "w1", edit))
        assert v.verdict == "incorrect" and v.diagnosis["kind"] == kind


def test_a_claim_matching_no_rewrite_stops_at_the_budget():
    spec = chain(20)
    claim = printed(spec, "w1", lambda e, g: 2 * e + 1)      # two mistakes (e + 1 alone is an extra term)
    check_claim(spec, "w1", "w1", deadline=0)
    with within(0.5 * diagnose_mod.WALL_FACTOR + 2.0):
        v = check_claim(spec, "w1", claim, deadline=0)
    assert v.verdict == "incorrect" and v.diagnosis["kind"] == "other"


def test_the_wall_clock_is_only_a_safety_net(monkeypatch):
    """Past the net (a clock that jumps an hour) the diagnosis is `other`; short of it the
    clock plays no part, so the kind is the work budget's."""
    spec = chain(3)
    claim = printed(spec, "w1", lambda e, g: e.xreplace({sympy.Symbol("w1", real=True): sympy.Symbol("b1", real=True)}))
    assert check_claim(spec, "w1", claim, deadline=0).diagnosis["kind"] == "wrong_variable"
    real, calls = time.monotonic, []

    def jumping():
        calls.append(1)
        return real() + (3600 if len(calls) > 1 else 0)
    monkeypatch.setattr(diagnose_mod.time, "monotonic", jumping)
    assert check_claim(spec, "w1", claim, deadline=0).diagnosis["kind"] == "other"


def test_an_exhausted_budget_is_other(monkeypatch):
    monkeypatch.setattr(diagnose_mod, "UNITS_PER_SECOND", 10)
    spec = chain(3)
    claim = printed(spec, "w1", lambda e, g: e.xreplace({sympy.Symbol("w1", real=True): sympy.Symbol("b1", real=True)}))
    assert check_claim(spec, "w1", claim, deadline=0).diagnosis["kind"] == "other"


@pytest.mark.parametrize("claim,kind", [
    ("(y-t)*sigma'(z)*b + lambda*w", "wrong_variable"),         # one spot of x written b
    ("(y-t)*sigma'(w)*x + lambda*w", "wrong_variable"),         # σ′(w) for σ′(z), the folded form
    ("(y-t)*sigma'(z)*x*w + lambda*w", "extra_factor"),
    ("y*sigma'(z)*x + lambda*w", "missing_term"),
])
def test_rewrites_evaluated_by_numbers_name_the_same_mistakes(claim, kind):
    reglog = "z = w*x + b\ny = sigma(z)\nL = 1/2*(y - t)^2\nR = 1/2*w^2\nL_reg = L + lambda*R\n"
    assert check_claim(reglog, "w", claim).diagnosis["kind"] == kind


def test_sigma_written_through_exp_reduces_to_zero_cheaply():
    def _cheap_zero(d):
        return budgeted(d, BUDGET) == "zero"
    x, w = sympy.symbols("x w", real=True)
    u = w * Sigma(x) + 1
    exp_form = sympy.exp(-u) / (1 + sympy.exp(-u)) ** 2
    assert _cheap_zero(SigmaPrime(u) * SigmaPrime(x) - exp_form * Sigma(x) * (1 - Sigma(x)))
    assert _cheap_zero(Sigma(-u) + Sigma(u) - 1)
    assert _cheap_zero(TanhPrime(u) - 1 + sympy.tanh(u) ** 2)
    assert not _cheap_zero(Sigma(u) - sympy.tanh(u))          # σ and tanh of one argument differ


REGLOG = "z = w*x + b\ny = sigma(z)\nL = 1/2*(y - t)^2\nR = 1/2*w^2\nL_reg = L + lambda*R\n"


def _diagnosed(monkeypatch, text, wrt="w"):
    """check_claim's diagnosis of `text`, with the truth, the work units it used and its points."""
    seen, real = {}, scalar_mod._diagnose

    def spy(claim, case, val, *target):
        try:
            return real(claim, case, val, *target)
        finally:
            seen.update(truth=case.truth, used=val.used, points=len(val.envs))
    monkeypatch.setattr(scalar_mod, "_diagnose", spy)
    diagnosis = check_claim(REGLOG, wrt, text).diagnosis
    monkeypatch.setattr(scalar_mod, "_diagnose", real)
    return diagnosis, seen["truth"], seen["used"], seen["points"]


def test_the_truths_values_are_kept_across_diagnoses_at_the_same_cost(monkeypatch):
    """The truth of every claim about w̄ is evaluated once per point, not once per wrong claim;
    taking its values from what was kept costs the units evaluating it would have."""
    claim = "(y-t)*sigma'(z)*b + lambda*w"
    first, truth, _, _ = _diagnosed(monkeypatch, claim)
    computed, real = [], diagnose_mod._plain.evaluate

    def counting(expr, env, memo=None):
        if isinstance(memo, diagnose_mod._Memo) and memo.get(expr) is None:   # computed in diagnosis
            computed.append(expr)
        return real(expr, env, memo)
    monkeypatch.setattr(diagnose_mod._plain, "evaluate", counting)
    kept, _, used, _ = _diagnosed(monkeypatch, f"(3*({claim}))/3")
    assert kept["kind"] == first["kind"] == "wrong_variable"
    assert computed and truth not in computed                   # the claim's values are computed
    monkeypatch.setattr(diagnose_mod, "_KEPT", {})
    afresh, _, used_afresh, points = _diagnosed(monkeypatch, f"(5*({claim}))/5")
    assert computed.count(truth) == points                       # once a point
    assert afresh == kept and used_afresh == used


def _rewrite_search(claim_text, wrt="w"):
    """The second search (rewrites of the truth) on its own: (its finding, units used)."""
    from check.backends import backend
    from check.backends.scalar import _grad_case
    b = backend(REGLOG, 0, 1.0, "plain")
    case = _grad_case(b.truth, wrt, b.scope)
    claim = read_expression(claim_text, b.scope, 1, 1, "plain")
    val = diagnose_mod._Values(list(case.envs[:6]), 0.5)
    return rewrites.search(claim, case, val, val(claim), val.truth(case.truth)), val.used


@pytest.mark.parametrize("claim", ["(y-t)*sigma'(z)*b + lambda*w", "(y-t)*sigma'(w)*x + lambda*w",
                                   "(y-t)*sigma(z)*x + lambda*w"])
def test_rewrites_are_computed_without_walking_the_form(monkeypatch, claim):
    """A rewrite (a variable swapped, σ for σ′) recomputes only the nodes it changes, from a plan
    made once per form and rewrite: no walk of the form through an overlay of the point's memo.
    The walk (forced back) gives the same diagnosis for the same units."""
    walks, real = [], diagnose_mod._plain.evaluate

    def counting(expr, env, memo=None):
        if isinstance(memo, diagnose_mod._Overlay):
            walks.append(expr)
        return real(expr, env, memo)
    monkeypatch.setattr(diagnose_mod._plain, "evaluate", counting)
    planned, used = _rewrite_search(f"(7*({claim}))/7")
    assert planned is not None and walks == []
    computed, compute = [], diagnose_mod._Plan.compute
    monkeypatch.setattr(diagnose_mod._Plan, "compute", lambda *a: computed.append(1) or compute(*a))
    again, used_again = _rewrite_search(f"(9*({claim}))/9")
    assert computed == [] and again == planned and used_again == used   # met again: looked up
    monkeypatch.setattr(diagnose_mod, "PLAN_DEPTH", -1)
    monkeypatch.setattr(diagnose_mod, "_PLANS", {})
    walked, used_walking = _rewrite_search(f"(11*({claim}))/11")
    assert walks
    assert walked == planned and used_walking == used


def test_the_float_precheck_of_close_never_decides_a_close_pair():
    """`_far` answers only when mpmath would say "not close"; near the tolerance it defers."""
    import mpmath
    with mpmath.workdps(30):
        for scale in ["1e-40", "1e-31", "3e-30", "1e-12", "0.7", "1", "1e20", "1e299", "1e310"]:
            for rel in ["0", "1e-16", "1e-13", "9.9e-13", "1e-12", "1.01e-12", "1e-11", "1e-9", "1e-6", "0.5", "3"]:
                for sign in (1, -1):
                    x = mpmath.mpf(scale)
                    y = sign * x * (1 + mpmath.mpf(rel))
                    scale_ = max(abs(x), abs(y))
                    exact = scale_ <= diagnose_mod.TINY or abs(x - y) / scale_ <= diagnose_mod.TOL
                    assert diagnose_mod._close(x, y) == exact, (scale, rel, sign)
                    if exact:
                        assert not diagnose_mod._far(float(x), float(y))


CHAIN4 = ("h0 = x\nh1 = sigma(w1*h0 + b1)\nh2 = sigma(w2*h1 + b2)\nh3 = sigma(w3*h2 + b3)\n"
          "h4 = sigma(w4*h3 + b4)\nL = 1/2*(h4 - t)^2\n")


def test_a_swapped_variable_is_looked_for_by_value_before_any_formula_is_rebuilt(monkeypatch):
    """b1 and w1 exchanged in the depth-4 chain's dL/dw1: each one-spot replacement is first valued
    along its path at one point; only a match is rebuilt as a formula (that rebuild was the cost)."""
    import check.diagnose.edits as edits
    inside, rebuilt, real_search, real_replace = [False], [0], edits.Search.wrong_variable, edits.replace_at

    def search(self):
        inside[0] = True
        try:
            return real_search(self)
        finally:
            inside[0] = False

    def replace(*args):
        rebuilt[0] += inside[0]
        return real_replace(*args)
    monkeypatch.setattr(edits.Search, "wrong_variable", search)
    monkeypatch.setattr(edits, "replace_at", replace)
    claim = ("w2*w3*w4*x*(sigma(w4*sigma(w3*sigma(w2*sigma(b1*x + w1) + b2) + b3) + b4) - t)"
             "*sigma'(w2*sigma(b1*x + w1) + b2)*sigma'(w3*sigma(w2*sigma(b1*x + w1) + b2) + b3)"
             "*sigma'(w4*sigma(w3*sigma(w2*sigma(b1*x + w1) + b2) + b3) + b4)*sigma'(b1*x + w1)")
    d = check_claim(CHAIN4, "w1", claim).diagnosis
    assert d["kind"] == "wrong_variable" and "b1" in d["message"] and "w1" in d["message"]
    assert rebuilt[0] <= 2
