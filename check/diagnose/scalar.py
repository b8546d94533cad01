"""Name the mistake: each kind is a rewrite of the truth that the claim matches numerically.
Kinds in the order DESIGN.md fixes; the first match wins.

A rewrite may touch the whole truth (every term negated, scaled) or one additive part of it
(one path of a fan-out, one term of a sum): a sign flipped or a ½ lost in one term is still a
`sign` or `constant_factor` mistake. Variables a student may confuse are every name the points
know (leaves and forward names, and adjoints when the truth uses adjoints), and the truth is
also tried with its subexpressions folded back into forward names (`σ′(z)` for `σ′(w·x + b)`),
so `σ′(w)` written for `σ′(z)` is a wrong variable too.

Rewrites are never built as SymPy expressions: a rewrite's value comes from the values the
truth's own subexpressions already have (a part dropped, a factor divided out), or from
recomputing only the subexpressions it changes (a variable swapped), first at one point and
at the others only when that one agrees. The work is counted, one unit a value computed, and
capped: past the cap the diagnosis is `other`, the same on every machine. A wall clock (a
multiple of the time the cap takes) is the last resort.

Work saved is not work uncounted: the truth's values at a point, kept from the last claim about
the same gradient, and a rewrite computed from a plan made once (the changed nodes in the order the
walk would visit them), or looked up when the same values meet it again, cost the units the
evaluation would have, so every diagnosis, `other` past the cap included, is what it would be
without them. Most comparisons fail by far, and a float pre-check settles those without mpmath."""
import time

import mpmath
import sympy

import derive.evaluate as _plain
from derive.functions import unbar
from derive.printing import Text
from derive.rules import PRIME_OF, TABLE, DomainError, primitive

from ..evidence import evaluate

TOL = mpmath.mpf("1e-12")
TINY = mpmath.mpf("1e-30")
WRONG_FUNCTION = {prime: (head, TABLE[head].uni) for prime, head in PRIME_OF.items()}
PRIME_NAME = {prime: TABLE[prime].uni for prime in PRIME_OF}
MAX_SWAPS = 3000          # (occurrence, name) pairs tried for a wrong variable in one place
MIN_SECONDS = 0.5         # the budget of a check whose deadline is shorter (grading uses 0)
UNITS_PER_SECOND = 100_000    # work units a second of budget buys: values computed
WALL_FACTOR = 4           # the wall-clock safety net, in budgets' seconds
ERRORS = (DomainError, ZeroDivisionError, ValueError, OverflowError, TypeError, KeyError)
OTHER = {"kind": "other", "message": "differs from the true value"}
_text = Text(ascii=False)


def show(e):
    return _text.doprint(e)


class _Spent(Exception):
    """The diagnosis budget is used up."""


class _Memo(dict):
    """One point's values of subexpressions; every value computed costs a unit."""

    def __init__(self, values):
        super().__init__()
        self.values = values

    def __setitem__(self, key, value):
        self.values.spend()
        super().__setitem__(key, value)


class _Overlay:
    """A point's memo seen through a rewrite: `over` gives the rewritten nodes' values, nodes the
    rewrite leaves alone read and fill the point's memo, the others get fresh values. Every
    node visited costs a unit."""

    def __init__(self, base, over, changed, values):
        self.base, self.over, self.changed, self.values, self.fresh = base, over, changed, values, {}

    def get(self, key):
        self.values.spend()
        if key in self.over:
            return self.over[key]
        return self.fresh.get(key) if self.changed(key) else self.base.get(key)

    def __setitem__(self, key, value):
        if self.changed(key):
            self.fresh[key] = value
        else:
            self.base[key] = value


class _Values:
    """Numeric vectors of expressions and of rewrites over the diagnosis points, within a budget."""

    def __init__(self, envs, seconds):
        self.envs = envs
        self.units, self.used = int(UNITS_PER_SECOND * seconds), 0
        self.stop, self.clock = time.monotonic() + WALL_FACTOR * seconds, 0
        self.memo = [_Memo(self) for _ in envs]
        self.deps = {}

    def spend(self, n=1):
        self.used += n
        if self.used > self.units:
            raise _Spent
        if self.used >= self.clock:
            self.clock = self.used + 256
            if time.monotonic() > self.stop:
                raise _Spent

    def __call__(self, expr):
        try:
            return [evaluate(expr, env, memo) for env, memo in zip(self.envs, self.memo)]
        except ERRORS:
            return None

    def truth(self, expr):
        """self(expr) for an expression met again and again on the same points (the truth of every
        claim about one gradient): the values of its subexpressions are kept across diagnoses, and
        each one a point's memo gains from them costs the unit its evaluation would have."""
        prec, out = mpmath.mp.prec, []
        try:
            for env, memo in zip(self.envs, self.memo):
                kept = _kept(expr, env, prec)
                if kept is None:
                    out.append(evaluate(expr, env, memo))
                    _keep(expr, env, prec, memo)
                    continue
                new = [k for k in kept if k not in memo]
                self.spend(len(new))
                for k in new:
                    dict.__setitem__(memo, k, kept[k])
                out.append(kept[expr])
        except ERRORS:
            return None
        return out

    def known(self, expr, i):
        """The value of a subexpression of something already evaluated at point i."""
        hit = self.memo[i].get(expr)
        return hit if hit is not None else evaluate(expr, self.envs[i], self.memo[i])

    def hit(self, C, value):
        """Does the rewrite with values `value(i)` take the claim's values? Point 0 first."""
        for i, c in enumerate(C):
            self.spend()
            try:
                v = value(i)
            except ERRORS:
                return False
            if v is None or not _close(c, v):
                return False
        return True

    def rewritten(self, form, over, i):
        """`form`'s value at point i with the nodes in `over` ({node: function of i}) replaced."""
        deps = self.dependencies(form)
        keys = frozenset(over)
        changed = lambda e: not keys.isdisjoint(deps.get(e, ()))
        values = {k: f(i) for k, f in over.items()}
        plan = _PLANS.get((form, keys), False)
        if plan is False:
            if len(_PLANS) >= 4096:
                _PLANS.clear()
            plan = _PLANS[form, keys] = _plan(form, keys, changed)
        base = self.memo[i]
        if plan is not None and all(n in base for n in plan.reads):
            return plan.run(self, base, values)
        return _plain.evaluate(form, self.envs[i], _Overlay(base, values, changed, self))

    def dependencies(self, form):
        """{node: the symbols and derivative functions inside it} for every node of `form`."""
        hit = self.deps.get(form)
        if hit is None:
            hit = self.deps[form] = {}
            for e in _postorder(form):
                self.spend()
                own = {e} if e.is_Symbol or type(e) in WRONG_FUNCTION else set()
                hit[e] = frozenset(own.union(*(hit[a] for a in e.args)))
        return hit


_KEPT = {}                # (id(env), expr, precision) -> (env, expr's leaves, {node: value})
_KEPT_SIZE = [0]
KEPT_VALUES = 200_000     # values kept at most (then forgotten, all at once)


def _nodes(expr):
    hit = _NODES.get(expr)
    if hit is None:
        if len(_NODES) >= 4096:
            _NODES.clear()
        hit = _NODES[expr] = tuple(_postorder(expr))
    return hit


_NODES = {}


def _kept(expr, env, prec):
    """{node: value} of every node of `expr` at `env`, as an earlier evaluation left them, when the
    leaves it read still hold the very same values; else None."""
    hit = _KEPT.get((id(env), expr, prec))
    if hit is None or hit[0] is not env or any(env.get(s) is not v for s, v in hit[1]):
        return None
    return hit[2]


def _keep(expr, env, prec, memo):
    """Keep the values of every node of `expr` from a memo that evaluated it."""
    nodes = _nodes(expr)
    if not all(n in memo for n in nodes):
        return
    if _KEPT_SIZE[0] + len(nodes) > KEPT_VALUES:
        _KEPT.clear()
        _KEPT_SIZE[0] = 0
    kept = {n: dict.__getitem__(memo, n) for n in nodes}
    leaves = tuple((n, kept[n]) for n in nodes if n.is_Symbol)
    _KEPT[id(env), expr, prec] = (env, leaves, kept)
    _KEPT_SIZE[0] += len(nodes)


class _Plan:
    """How `_plain.evaluate` computes a form through an `_Overlay` whose point memo already holds
    every node the rewrite leaves alone: the same nodes recomputed in the same order from the same
    values, and the same units spent by the time of each step (one a node visited), without the
    walk. `reads`: the untouched nodes it reads from the point's memo, `keys`: the replaced ones.
    What it computes is a function of those values (and the precision) alone, so the outcome of a
    rewrite met again (the same swap in the truth of the next claim) is looked up, and costs the
    units computing it did."""
    __slots__ = ("steps", "units", "root", "reads", "keys")

    def __init__(self, steps, units, root, reads, keys):
        self.steps, self.units, self.root, self.reads, self.keys = steps, units, root, reads, keys

    def run(self, val, base, over):
        key = (self, mpmath.mp.prec, tuple(over[k] for k in self.keys), tuple(base[n] for n in self.reads))
        hit = _RESULTS.get(key)
        if hit is None:
            hit = self.compute(base, over)
            if len(_RESULTS) >= RESULTS_KEPT:
                _RESULTS.clear()
            _RESULTS[key] = hit
        units, value, error = hit
        val.spend(units)                 # the walk's units up to its end or the step that fails
        if error is not None:
            raise error[0](*error[1])
        return value

    def compute(self, base, over):
        """(units spent by the walk, value, None) or (units by the failing step, None, error)."""
        fresh = {}
        try:
            for node, refs, at, p in self.steps:
                if p is None:
                    raise DomainError(f"cannot evaluate {type(node).__name__}")
                fresh[node] = _plain.apply(node, p, [(over if k == 0 else base if k == 1 else fresh)[a]
                                                     for k, a in refs])
        except ERRORS as e:
            return at, None, (type(e), e.args)
        k, a = self.root
        return self.units, (over if k == 0 else base if k == 1 else fresh)[a], None


_RESULTS = {}             # (plan, precision, replaced values, read values) -> outcome
RESULTS_KEPT = 65536

_PLANS = {}               # (form, replaced nodes) -> _Plan or None; a plan is the form's alone
PLAN_DEPTH = 150          # deeper rewrites take the walk itself (its recursion limit included)


def _plan(form, keys, changed):
    """The `_Plan` of `form` with the nodes `keys` replaced, or None (an unusual form: the walk)."""
    steps, reads, done, units = [], {}, set(), 0
    # simulate the walk: visit(e) = one memo read; a changed node not yet computed visits its
    # arguments, then is computed; an untouched node is read from the point's memo

    def visit(e, depth):
        nonlocal units
        units += 1
        if e in keys:
            return (0, e), None
        if not changed(e):
            reads[e] = None
            return (1, e), None
        if e in done:
            return (2, e), None
        if e.is_Symbol or e.is_Number or e.is_NumberSymbol or depth > PLAN_DEPTH:
            raise _Unplanned
        p = primitive(e)
        if p is None:                  # the walk raises before visiting the arguments
            steps.append((e, (), units, None))
            raise _Stop
        return (2, e), [e, [], 0, depth, p]
    try:
        ref, frame = visit(form, 0)
        frames = [frame] if frame else []
        while frames:
            f = frames[-1]
            e, refs, k, depth, p = f
            if k < len(e.args):
                f[2] = k + 1
                r, sub = visit(e.args[k], depth + 1)
                refs.append(r)
                if sub:
                    frames.append(sub)
                continue
            frames.pop()
            steps.append((e, tuple(refs), units, p))
            done.add(e)
    except _Unplanned:
        return None
    except _Stop:
        return _Plan(steps, units, None, tuple(reads), tuple(keys))
    return _Plan(steps, units, ref, tuple(reads), tuple(keys))


class _Unplanned(Exception):
    pass


class _Stop(Exception):
    pass


def _postorder(expr):
    """Each node of `expr`'s DAG once, arguments before the node."""
    out, seen, stack = [], set(), [(expr, False)]
    while stack:
        e, done = stack.pop()
        if done:
            out.append(e)
        elif e not in seen:
            seen.add(e)
            stack.append((e, True))
            stack.extend((a, False) for a in reversed(e.args))
    return out


def _preorder(expr):
    """Each node of `expr`'s DAG once, in the order of its first occurrence in the tree."""
    out, seen, stack = [], set(), [expr]
    while stack:
        e = stack.pop()
        if e not in seen:
            seen.add(e)
            out.append(e)
            stack.extend(reversed(e.args))
    return out


def _far(fx, fy):
    """Floats within a relative 1e-15 of two values say those values are certainly not `_close`:
    the scale is well inside the float range and far above TINY, and the relative difference is
    1000 times TOL (rounding moves it by ~1e-15). False means "ask mpmath", never "close"."""
    s = max(abs(fx), abs(fy))
    return 1e-29 < s < 1e300 and abs(fx - fy) > 1e-9 * s


def _float(x):
    """x as a float for `_far`, or None."""
    try:
        return float(x)
    except (TypeError, ValueError, OverflowError):
        return None


def _close(x, y):
    fx, fy = _float(x), _float(y)
    if fx is not None and fy is not None and _far(fx, fy):    # most fail by far: no mpmath needed
        return False
    scale = max(abs(x), abs(y))
    return scale <= TINY or abs(x - y) / scale <= TOL


def _same(a, b):
    if a is None or b is None:
        return False
    return all(_close(x, y) for x, y in zip(a, b))


def _factors(e):
    return [f for f in sympy.Mul.make_args(e) if not f.is_Number]


def _without(val, t, f, i):
    """The value of t/f at point i, as the product of t's other factors (never a division)."""
    return mpmath.fprod(val.known(g, i) for g in sympy.Mul.make_args(t) if g != f)


def diagnose(claim, case, envs, seconds=MIN_SECONDS):
    """{'kind', 'message'} for an incorrect claim, within a budget of about `seconds`
    (never less than MIN_SECONDS)."""
    if not envs:
        return dict(OTHER)
    val = _Values(envs, max(seconds or 0, MIN_SECONDS))
    try:
        return _diagnose(claim, case, val)
    except (_Spent, RecursionError):
        return dict(OTHER)


def _diagnose(claim, case, val):
    C, T = val(claim), val.truth(case.truth)
    if C is None or T is None:
        return {"kind": "other", "message": "undefined where the true value is defined"}
    truth = case.truth
    parts = _parts(case)
    several = len(parts) > 1
    values = {t: val(t) for _, t in parts}
    # sign: the whole value, or one part of it
    if _same(C, [-t for t in T]):
        return {"kind": "sign", "message": "off by a factor of -1 (sign)"}
    if several:
        for label, t in parts:
            P = values[t]
            if P is not None and val.hit(C, lambda i: T[i] - 2 * P[i]):
                return {"kind": "sign", "message": f"the sign of {_which(label, t)} is flipped"}
    # constant factor: the whole value, or one part of it
    ratio = _ratio(C, T)
    if ratio is not None:
        return {"kind": "constant_factor", "message": f"off by a constant factor of {_shown(ratio)}{_half(ratio)}"}
    if several:
        for label, t in parts:
            k = _part_ratio(C, T, values[t])
            if k is not None:
                return {"kind": "constant_factor",
                        "message": f"{_which(label, t)} is off by a constant factor of {_shown(k)}{_half(k)}"}
    for sub in _preorder(truth):
        wrong = WRONG_FUNCTION.get(type(sub))
        if wrong:
            swapped = wrong[0](*sub.args)
            if val.hit(C, lambda i: val.rewritten(truth, {sub: lambda j: val.known(swapped, j)}, i)):
                arg = show(sub.args[0])
                return {"kind": "derivative_of_wrong_function",
                        "message": f"{wrong[1]}({arg}) used where {PRIME_NAME[type(sub)]}({arg}) belongs"}
    names = _names(case, val.envs)
    candidates = _candidates(parts, names)
    for label, t in parts:
        P = values[t]
        for f in _factors(t) if P is not None else ():
            if val.hit(C, lambda i: T[i] - P[i] + _without(val, t, f, i)):
                return {"kind": "missing_factor", "message": f"missing factor {show(f)}"}
    for label, t in parts:
        P = values[t]
        for f in candidates if P is not None else ():
            if val.hit(C, lambda i: T[i] - P[i] + P[i] * val.known(f, i)):
                return {"kind": "extra_factor", "message": f"extra factor {show(f)}"}
    if several:
        for label, t in parts:
            P = values[t]
            if P is not None and val.hit(C, lambda i: T[i] - P[i]):
                return {"kind": "missing_term",
                        "message": f"{label + ' is missing' if label else 'missing term'}: {show(t)}"}
    for label, t in parts:
        P = values[t]
        for f in _factors(t) if P is not None else ():
            for u in (sympy.Add.make_args(f) if f.is_Add else ()):
                if val.hit(C, lambda i: T[i] - P[i] + _without(val, t, f, i) * (val.known(f, i) - val.known(u, i))):
                    return {"kind": "missing_term", "message": f"missing term {show(u)} in {show(f)}"}
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
            return {"kind": "extra_term", "message": f"extra term {show(g())}"}
    swap = _wrong_variable(C, val, truth, names, case)
    if swap is not None:
        return {"kind": "wrong_variable", "message": f"uses {show(swap[1])} where {show(swap[0])} belongs"}
    return dict(OTHER)


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


def _extra_terms(case, parts, candidates, val):
    """(expression maker, values, None) of terms a student may have added: other paths, the
    truth's own parts, and (maker, None, ((A, float A[0]), (B, float B[0]))) for small products of
    names and factors (`λ·b` added to w̄), whose values are multiplied out only when needed."""
    singles = [(f, val(f)) for f in candidates]
    for g, G in singles:
        yield (lambda g=g: g), G, None
    for g in list(case.pool) + [t for _, t in parts]:
        yield (lambda g=g: g), val(g), None
    first = [(G, None if G is None else _float(G[0])) for _, G in singles]
    for i, (a, _) in enumerate(singles):
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
