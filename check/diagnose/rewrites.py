"""Rewrites of the truth that the claim matches numerically, kinds in the order docs/rules.md gives.

A rewrite may touch the whole truth (every term negated, scaled) or one additive part of it
(one path of a fan-out, one term of a sum): a sign flipped or a ½ lost in one term is still a
`sign` or `constant_factor` mistake. Variables a student may confuse are every name the points
know (leaves and forward names, and adjoints when the truth uses adjoints), and the truth is
also tried with its subexpressions folded back into forward names (`σ′(z)` for `σ′(w·x + b)`),
so `σ′(w)` written for `σ′(z)` is a wrong variable too. This is the second search: edits of the
claim itself (edits.py) come first, since they name the mistake in the student's own terms."""
import mpmath
import sympy

import derive.evaluate as _plain
from derive.functions import unbar

from ..i18n import _
from .values import (MAX_SWAPS, PRIME_NAME, TINY, TOL, WRONG_FUNCTION, _close, _factors, _far, _float,
                     _postorder, _preorder, _same, _without, show)

def search(claim, case, val, C, T):
    """{'kind', 'message'} of a rewrite of the truth the claim equals at every point, or None."""
    truth = case.truth
    parts = _parts(case)
    several = len(parts) > 1
    values = {t: val(t) for _label, t in parts}
    # sign: the whole value, or one part of it
    if _same(C, [-t for t in T]):
        return {"kind": "sign", "message": _("off by a factor of -1 (sign)")}
    if several:
        for label, t in parts:
            P = values[t]
            if P is not None and val.hit(C, lambda i: T[i] - 2 * P[i]):
                return {"kind": "sign", "message": _("the sign of {term} is flipped").format(term=_which(label, t))}
    # constant factor: the whole value, or one part of it
    ratio = _ratio(C, T)
    if ratio is not None:
        return {"kind": "constant_factor", "message": _("off by a constant factor of {factor}").format(factor=_shown(ratio) + _half(ratio))}
    if several:
        for label, t in parts:
            k = _part_ratio(C, T, values[t])
            if k is not None:
                return {"kind": "constant_factor",
                        "message": _("{term} is off by a constant factor of {factor}").format(term=_which(label, t), factor=_shown(k) + _half(k))}
    for sub in _preorder(truth):
        wrong = WRONG_FUNCTION.get(type(sub))
        if wrong:
            swapped = wrong[0](*sub.args)
            if val.hit(C, lambda i: val.rewritten(truth, {sub: lambda j: val.known(swapped, j)}, i)):
                arg = show(sub.args[0])
                return {"kind": "derivative_of_wrong_function",
                        "message": _("the factor {written} should be {right}").format(written=f"{wrong[1]}({arg})", right=f"{PRIME_NAME[type(sub)]}({arg})")}
    names = _names(case, val.envs)
    candidates = _candidates(parts, names)
    for label, t in parts:
        P = values[t]
        for f in _factors(t) if P is not None else ():
            if val.hit(C, lambda i: T[i] - P[i] + _without(val, t, f, i)):
                return {"kind": "missing_factor", "message": _("missing factor {factor}").format(factor=show(f))}
    for label, t in parts:
        P = values[t]
        for f in candidates if P is not None else ():
            if val.hit(C, lambda i: T[i] - P[i] + P[i] * val.known(f, i)):
                return {"kind": "extra_factor", "message": _("extra factor {factor}").format(factor=show(f))}
    if several:
        for label, t in parts:
            P = values[t]
            if P is not None and val.hit(C, lambda i: T[i] - P[i]):
                return {"kind": "missing_term",
                        "message": (_("{path} is missing: {term}").format(path=label, term=show(t)) if label
                                else _("missing term {term}").format(term=show(t)))}
    for label, t in parts:
        P = values[t]
        for f in _factors(t) if P is not None else ():
            for u in (sympy.Add.make_args(f) if f.is_Add else ()):
                if val.hit(C, lambda i: T[i] - P[i] + _without(val, t, f, i) * (val.known(f, i) - val.known(u, i))):
                    return {"kind": "missing_term", "message": _("missing term {term} in {where}").format(term=show(u), where=show(f))}
    D = [c - t for c, t in zip(C, T)]
    d0 = _float(D[0])
    for g, G, pair in _extra_terms(case, parts, candidates, val):
        val.spend()
        if pair is not None:               # a product: its values only once point 0 agrees
            (A, fa), (B, fb) = pair
            if A is None or B is None:
                continue
            if d0 is not None and fa is not None and fb is not None and _far(d0, fa * fb) and _far(d0, -fa * fb):
                continue
            G0 = A[0] * B[0]
        elif G is None:
            continue
        else:
            G0 = G[0]
        if not (_close(D[0], G0) or _close(D[0], -G0)):
            continue
        if pair is not None:
            G = [x * y for x, y in zip(A, B)]
        if any(abs(x) > TINY for x in G) and (_same(D, G) or _same(D, [-x for x in G])):
            return {"kind": "extra_term", "message": _("extra term {term}").format(term=show(g()))}
    swap = _wrong_variable(C, val, truth, names, case)
    if swap is not None:
        return {"kind": "wrong_variable", "message": _("uses {written} where {right} belongs").format(written=show(swap[1]), right=show(swap[0]))}
    return None


def _which(label, t):
    return label or _("the term {term}").format(term=show(t))


def _shown(k):
    return k if isinstance(k, str) else show(k)


def _half(k):
    return _(" (the ½ convention?)") if k in (2, sympy.Rational(1, 2)) else ""


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
    for _label, t in parts:
        out += _factors(t)
    out += names
    seen, uniq = set(), []
    for f in out:
        if f not in seen:
            seen.add(f)
            uniq.append(f)
    return uniq


def _extra_terms(case, parts, candidates, val):
    """(expression maker, values, None) of terms a student may have added: other paths, the
    truth's own parts, and (maker, None, ((A, float A[0]), (B, float B[0]))) for small products of
    names and factors (`λ·b` added to w̄), whose values are multiplied out only when needed."""
    singles = [(f, val(f)) for f in candidates]
    for g, G in singles:
        yield (lambda g=g: g), G, None
    for g in list(case.pool) + [t for _label, t in parts]:
        yield (lambda g=g: g), val(g), None
    first = [(G, None if G is None else _float(G[0])) for _g, G in singles]
    for i, (a, _vals) in enumerate(singles):
        for j in range(i, len(singles)):
            yield (lambda a=a, b=singles[j][0]: a * b), None, (first[i], first[j])


def _wrong_variable(C, val, truth, names, case):
    """(a, b): the claim is the truth with b written for a — everywhere, swapped, or in one place."""
    forms = [truth]
    folded = _fold(truth, val, names, case)
    if folded != truth and val(folded) is not None:
        forms.append(folded)
    env = lambda s: lambda i: val.envs[i][s]
    for form in forms:
        syms = sorted((s for s in val.dependencies(form)[form] if s.is_Symbol), key=str)
        for a in syms:
            for b in names:
                if a != b and (val.hit(C, lambda i: val.rewritten(form, {a: env(b)}, i))
                               or (b in syms and val.hit(C, lambda i: val.rewritten(form, {a: env(b), b: env(a)}, i)))):
                    return a, b
    for form in forms:
        counts = _occurrences(form, val)
        spots = sum(n for n in counts.values() if n > 1)       # a symbol met once: tried above
        if spots * len(names) > MAX_SWAPS:
            continue
        for path, a in _symbol_spots(form):
            if counts[a] < 2:
                continue
            chain = _chain(form, path)
            for b in names:
                if a != b and val.hit(C, lambda i: _at_spot(val, chain, path, val.envs[i][b], i)):
                    return a, b
    return None


def _occurrences(form, val):
    """{symbol: how many times it occurs in `form`'s tree}, counted over the DAG."""
    counts = {}
    for e in _postorder(form):
        val.spend()
        if e.is_Symbol:
            counts[e] = {e: 1}
        else:
            total = {}
            for a in e.args:
                for s, n in counts[a].items():
                    total[s] = total.get(s, 0) + n
            counts[e] = total
    return counts[form]


def _chain(form, path):
    """The nodes from `form` down to the parent of the spot at `path`."""
    out, e = [], form
    for k in path:
        out.append(e)
        e = e.args[k]
    return out


def _at_spot(val, chain, path, value, i):
    """The value at point i of the form whose node at `path` is replaced by `value`: only the
    nodes on the path are recomputed, each from its other arguments' values."""
    env = val.envs[i]
    for node, k in zip(reversed(chain), reversed(path)):
        args = node.args
        memo = {a: val.known(a, i) for j, a in enumerate(args) if j != k}
        if args[k] in memo:              # x^x: the replaced argument's twin keeps its value
            spot = sympy.Dummy()
            node = node.func(*(spot if j == k else a for j, a in enumerate(args)))
            memo[spot] = value
        else:
            memo[args[k]] = value
        value = _plain.evaluate(node, env, memo)
        val.spend()
    return value


def _fold(truth, val, names, case):
    """The truth with each subexpression that equals a forward name (at every point) folded
    into that name, largest first: x·(σ(w·x + b) − t)·σ′(w·x + b) -> x·(y − t)·σ′(z)."""
    leaves = set(case.leaves[0]) if case.leaves else set()
    forward = [s for s in names if s.name not in leaves and unbar(s) is None]
    if not forward:
        return truth
    values = [(s, val(s)) for s in forward]
    done = {}

    def fold(e):
        if not e.args or e.is_Number:
            return e
        if e in done:
            return done[e]
        v = val(e)
        out = None
        if v is not None and any(abs(x) > TINY for x in v):
            val.spend(len(values))
            out = next((s for s, sv in values if _same(v, sv)), None)
        if out is None:
            val.spend()
            out = e.func(*(fold(a) for a in e.args))
        done[e] = out
        return out
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

