"""Name the mistake: each kind is a rewrite of the truth that the claim matches numerically.
Kinds in the order DESIGN.md fixes; the first match wins."""
import mpmath
import sympy

from derive.evaluate import evaluate
from derive.functions import Sigma, SigmaPrime, TanhPrime, Relu, ReluPrime
from derive.printing import Text
from derive.rules import DomainError

TOL = mpmath.mpf("1e-12")
WRONG_FUNCTION = {SigmaPrime: (Sigma, "σ"), TanhPrime: (sympy.tanh, "tanh"), ReluPrime: (Relu, "relu")}
PRIME_NAME = {SigmaPrime: "σ′", TanhPrime: "tanh′", ReluPrime: "relu′"}
_text = Text(ascii=False)


def show(e):
    return _text.doprint(e)


class _Values:
    """Numeric vectors of expressions over the diagnosis points."""

    def __init__(self, envs):
        self.envs = envs
        self.memo = [dict() for _ in envs]

    def __call__(self, expr):
        try:
            return [evaluate(expr, env, memo) for env, memo in zip(self.envs, self.memo)]
        except (DomainError, ZeroDivisionError, ValueError, OverflowError):
            return None


def _same(a, b):
    if a is None or b is None:
        return False
    for x, y in zip(a, b):
        scale = max(abs(x), abs(y))
        if scale > mpmath.mpf("1e-30") and abs(x - y) / scale > TOL:
            return False
    return True


def _factors(e):
    return [f for f in sympy.Mul.make_args(e) if not f.is_Number]


def diagnose(claim, case, envs):
    """{'kind', 'message'} for an incorrect claim."""
    if not envs:
        return {"kind": "other", "message": "differs from the true value"}
    val = _Values(envs)
    C, T = val(claim), val(case.truth)
    if C is None or T is None:
        return {"kind": "other", "message": "undefined where the true value is defined"}
    if _same(C, [-t for t in T]):
        return {"kind": "sign", "message": "off by a factor of -1 (sign)"}
    ratio = _ratio(C, T)
    if ratio is not None:
        half = " (the ½ convention?)" if ratio in (2, sympy.Rational(1, 2)) else ""
        return {"kind": "constant_factor", "message": f"off by a constant factor of {show(ratio)}{half}"}
    for sub in sympy.preorder_traversal(case.truth):
        wrong = WRONG_FUNCTION.get(type(sub))
        if wrong and _same(C, val(case.truth.xreplace({sub: wrong[0](*sub.args)}))):
            arg = show(sub.args[0])
            return {"kind": "derivative_of_wrong_function",
                    "message": f"{wrong[1]}({arg}) used where {PRIME_NAME[type(sub)]}({arg}) belongs"}
    terms = _terms(case)
    candidates = _candidates(case)
    for label, t in terms:
        for f in _factors(t):
            if _same(C, val(case.truth - t + t / f)):
                return {"kind": "missing_factor", "message": f"missing factor {show(f)}"}
    for label, t in terms:
        for f in candidates:
            if _same(C, val(case.truth - t + t * f)):
                return {"kind": "extra_factor", "message": f"extra factor {show(f)}"}
    if len(terms) > 1:
        for label, t in terms:
            if _same(C, val(case.truth - t)):
                return {"kind": "missing_term",
                        "message": f"{label + ' is missing' if label else 'missing term'}: {show(t)}"}
    D = [c - t for c, t in zip(C, T)]
    for g in list(case.pool) + [t for _, t in terms]:
        G = val(g)
        if _same(D, G) or (G is not None and _same(D, [-x for x in G])):
            return {"kind": "extra_term", "message": f"extra term {show(g)}"}
    names = sorted(case.truth.free_symbols, key=str)
    others = sorted(set().union(*(c.free_symbols for c in candidates)) | set(names), key=str) if candidates else names
    for a in names:
        for b in others:
            if a != b and (_same(C, val(case.truth.xreplace({a: b})))
                           or _same(C, val(case.truth.xreplace({a: b, b: a})))):
                return {"kind": "wrong_variable", "message": f"uses {show(b)} where {show(a)} belongs"}
    return {"kind": "other", "message": "differs from the true value"}


def _terms(case):
    return list(case.terms) or [("", t) for t in sympy.Add.make_args(case.truth)]


def _ratio(C, T):
    """A constant k ≠ 1 with C = k·T at every point, as a small rational when it is one."""
    if not T or abs(T[0]) < mpmath.mpf("1e-30"):
        return None
    k = C[0] / T[0]
    if not _same(C, [k * t for t in T]) or abs(k - 1) < TOL:
        return None
    q = sympy.nsimplify(sympy.Float(mpmath.nstr(k, 25), 25), rational=True, tolerance=1e-20)
    return q if q.is_Rational and q.q <= 1000 else sympy.Float(mpmath.nstr(k, 6), 6)


def _candidates(case):
    """Factors a student may have added: factors of the truth's terms, and its symbols."""
    out = []
    for _, t in _terms(case):
        out += _factors(t)
    out += sorted(case.truth.free_symbols, key=str)
    seen, uniq = set(), []
    for f in out:
        if f not in seen:
            seen.add(f)
            uniq.append(f)
    return uniq
