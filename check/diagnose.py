"""Name the mistake: each kind is a rewrite of the truth that the claim matches numerically.
Kinds in the order DESIGN.md fixes; the first match wins.

A rewrite may touch the whole truth (every term negated, scaled) or one additive part of it
(one path of a fan-out, one term of a sum): a sign flipped or a ½ lost in one term is still a
`sign` or `constant_factor` mistake. Variables a student may confuse are every name the points
know (leaves and forward names, and adjoints when the truth uses adjoints), and the truth is
also tried with its subexpressions folded back into forward names (`σ′(z)` for `σ′(w·x + b)`),
so `σ′(w)` written for `σ′(z)` is a wrong variable too."""
import mpmath
import sympy

from derive.functions import Sigma, SigmaPrime, TanhPrime, Relu, ReluPrime, unbar
from derive.printing import Text
from derive.rules import DomainError

from .evidence import evaluate

TOL = mpmath.mpf("1e-12")
TINY = mpmath.mpf("1e-30")
WRONG_FUNCTION = {SigmaPrime: (Sigma, "σ"), TanhPrime: (sympy.tanh, "tanh"), ReluPrime: (Relu, "relu")}
PRIME_NAME = {SigmaPrime: "σ′", TanhPrime: "tanh′", ReluPrime: "relu′"}
MAX_SWAPS = 3000          # (occurrence, name) pairs tried for a wrong variable in one place
_text = Text(ascii=False)


def show(e):
    return _text.doprint(e)


class _Values:
    """Numeric vectors of expressions over the diagnosis points (shared subtrees evaluated once)."""

    def __init__(self, envs):
        self.envs = envs
        self.memo = [dict() for _ in envs]

    def __call__(self, expr):
        try:
            return [evaluate(expr, env, memo) for env, memo in zip(self.envs, self.memo)]
        except (DomainError, ZeroDivisionError, ValueError, OverflowError, TypeError):
            return None

    def first(self, expr):
        try:
            return evaluate(expr, self.envs[0], self.memo[0])
        except (DomainError, ZeroDivisionError, ValueError, OverflowError, TypeError):
            return None


def _close(x, y):
    scale = max(abs(x), abs(y))
    return scale <= TINY or abs(x - y) / scale <= TOL


def _same(a, b):
    if a is None or b is None:
        return False
    return all(_close(x, y) for x, y in zip(a, b))


def _factors(e):
    return [f for f in sympy.Mul.make_args(e) if not f.is_Number]


def _matches(C, val, expr):
    """Does `expr` take the claim's values? Screened at the first point before the rest."""
    v = val.first(expr)
    return v is not None and _close(C[0], v) and _same(C, val(expr))


def diagnose(claim, case, envs):
    """{'kind', 'message'} for an incorrect claim."""
    if not envs:
        return {"kind": "other", "message": "differs from the true value"}
    val = _Values(envs)
    C, T = val(claim), val(case.truth)
    if C is None or T is None:
        return {"kind": "other", "message": "undefined where the true value is defined"}
    truth = case.truth
    parts = _parts(case)
    several = len(parts) > 1
    # sign: the whole value, or one part of it
    if _same(C, [-t for t in T]):
        return {"kind": "sign", "message": "off by a factor of -1 (sign)"}
    if several:
        for label, t in parts:
            if _matches(C, val, truth - 2 * t):
                return {"kind": "sign", "message": f"the sign of {_which(label, t)} is flipped"}
    # constant factor: the whole value, or one part of it
    ratio = _ratio(C, T)
    if ratio is not None:
        return {"kind": "constant_factor", "message": f"off by a constant factor of {_shown(ratio)}{_half(ratio)}"}
    if several:
        for label, t in parts:
            k = _part_ratio(C, T, val(t))
            if k is not None:
                return {"kind": "constant_factor",
                        "message": f"{_which(label, t)} is off by a constant factor of {_shown(k)}{_half(k)}"}
    for sub in sympy.preorder_traversal(truth):
        wrong = WRONG_FUNCTION.get(type(sub))
        if wrong and _same(C, val(truth.xreplace({sub: wrong[0](*sub.args)}))):
            arg = show(sub.args[0])
            return {"kind": "derivative_of_wrong_function",
                    "message": f"{wrong[1]}({arg}) used where {PRIME_NAME[type(sub)]}({arg}) belongs"}
    names = _names(case, envs)
    candidates = _candidates(parts, names)
    for label, t in parts:
        for f in _factors(t):
            if _matches(C, val, truth - t + t / f):
                return {"kind": "missing_factor", "message": f"missing factor {show(f)}"}
    for label, t in parts:
        for f in candidates:
            if _matches(C, val, truth - t + t * f):
                return {"kind": "extra_factor", "message": f"extra factor {show(f)}"}
    if several:
        for label, t in parts:
            if _matches(C, val, truth - t):
                return {"kind": "missing_term",
                        "message": f"{label + ' is missing' if label else 'missing term'}: {show(t)}"}
    for label, t in parts:
        for f in _factors(t):
            for u in (sympy.Add.make_args(f) if f.is_Add else ()):
                if _matches(C, val, truth - t + t / f * (f - u)):
                    return {"kind": "missing_term", "message": f"missing term {show(u)} in {show(f)}"}
    D = [c - t for c, t in zip(C, T)]
    for g in _extra_terms(case, parts, candidates):
        g0 = val.first(g)
        if g0 is None or not (_close(D[0], g0) or _close(D[0], -g0)):
            continue
        G = val(g)
        if G is not None and any(abs(x) > TINY for x in G) \
                and (_same(D, G) or _same(D, [-x for x in G])):
            return {"kind": "extra_term", "message": f"extra term {show(g)}"}
    swap = _wrong_variable(C, val, truth, names, envs, case)
    if swap is not None:
        return {"kind": "wrong_variable", "message": f"uses {show(swap[1])} where {show(swap[0])} belongs"}
    return {"kind": "other", "message": "differs from the true value"}


def _which(label, t):
    return label or f"the term {show(t)}"


def _shown(k):
    return k if isinstance(k, str) else show(k)


def _half(k):
    return " (the ½ convention?)" if k in (2, sympy.Rational(1, 2)) else ""


def _parts(case):
    """Additive parts of the truth: the labelled paths, then the terms of the sum (each once)."""
    out, seen = [], set()
    for label, t in list(case.terms) + [("", t) for t in sympy.Add.make_args(case.truth)]:
        if t not in seen and not t.is_Number:
            seen.add(t)
            out.append((label, t))
    return out


def _names(case, envs):
    """Symbols a student may write: leaves and forward names; adjoints when the truth has them."""
    with_bars = any(unbar(s) is not None for s in case.truth.free_symbols)
    syms = set(case.truth.free_symbols)
    for s in envs[0]:
        if isinstance(s, sympy.Symbol) and (with_bars or unbar(s) is None):
            syms.add(s)
    return sorted(syms, key=str)


def _ratio(C, T):
    """A constant k ≠ 1 with C = k·T at every point, as a small rational when it is one."""
    if not T or abs(T[0]) < TINY:
        return None
    k = C[0] / T[0]
    if not _same(C, [k * t for t in T]) or abs(k - 1) < TOL:
        return None
    return _constant(k)


def _part_ratio(C, T, P):
    """A constant k ∉ {0, 1, -1} with C = T - p + k·p at every point (p one part of the truth)."""
    if P is None:
        return None
    i = next((i for i, p in enumerate(P) if abs(p) > TINY), None)
    if i is None:
        return None
    k = (C[i] - T[i] + P[i]) / P[i]
    if abs(k) < TOL or abs(k - 1) < TOL or abs(k + 1) < TOL:
        return None
    if not _same(C, [t - p + k * p for t, p in zip(T, P)]):
        return None
    return _constant(k)


def _constant(k):
    q = sympy.nsimplify(sympy.Float(mpmath.nstr(k, 25), 25), rational=True, tolerance=1e-20)
    if q.is_Rational and q.q <= 1000:
        return q
    return mpmath.nstr(k, 15)


def _candidates(parts, names):
    """Factors a student may have added: factors of the truth's parts, and every known name."""
    out = []
    for _, t in parts:
        out += _factors(t)
    out += names
    seen, uniq = set(), []
    for f in out:
        if f not in seen:
            seen.add(f)
            uniq.append(f)
    return uniq


def _extra_terms(case, parts, candidates):
    """Terms a student may have added: other paths, the truth's own parts, and small products
    of names and factors (`λ·b` added to w̄)."""
    yield from candidates
    yield from case.pool
    for _, t in parts:
        yield t
    for i, a in enumerate(candidates):
        for b in candidates[i:]:
            yield a * b


def _wrong_variable(C, val, truth, names, envs, case):
    """(a, b): the claim is the truth with b written for a — everywhere, swapped, or in one place."""
    forms = [truth]
    folded = _fold(truth, val, names, case, envs)
    if folded != truth:
        forms.append(folded)
    for form in forms:
        syms = sorted(form.free_symbols, key=str)
        for a in syms:
            for b in names:
                if a != b and (_matches(C, val, form.xreplace({a: b}))
                               or (b in syms and _matches(C, val, form.xreplace({a: b, b: a})))):
                    return a, b
    for form in forms:
        spots = list(_symbol_spots(form))
        counts = {}
        for _, a in spots:
            counts[a] = counts.get(a, 0) + 1
        spots = [(path, a) for path, a in spots if counts[a] > 1]   # once: tried above
        if len(spots) * len(names) > MAX_SWAPS:
            continue
        for path, a in spots:
            for b in names:
                if a != b and _matches(C, val, _replace_at(form, path, b)):
                    return a, b
    return None


def _fold(truth, val, names, case, envs):
    """The truth with each subexpression that equals a forward name (at every point) folded
    into that name, largest first: x·(σ(w·x + b) − t)·σ′(w·x + b) -> x·(y − t)·σ′(z)."""
    leaves = set(case.leaves[0]) if case.leaves else set()
    forward = [s for s in names if s.name not in leaves and unbar(s) is None]
    if not forward:
        return truth
    values = [(s, val(s)) for s in forward]

    def fold(e):
        if not e.args or e.is_Number:
            return e
        v = val(e)
        if v is not None and any(abs(x) > TINY for x in v):
            for s, sv in values:
                if _same(v, sv):
                    return s
        return e.func(*(fold(a) for a in e.args))
    try:
        return fold(truth)
    except (TypeError, ValueError):
        return truth


def _symbol_spots(e, path=()):
    """(path, symbol) for every occurrence of a symbol in `e`'s tree."""
    if e.is_Symbol:
        yield path, e
        return
    for i, a in enumerate(e.args):
        yield from _symbol_spots(a, path + (i,))


def _replace_at(e, path, new):
    if not path:
        return new
    args = list(e.args)
    args[path[0]] = _replace_at(args[path[0]], path[1:], new)
    return e.func(*args)
