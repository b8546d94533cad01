"""Values of expressions and of rewrites at the diagnosis points, counted in work units.

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
from derive.rules import PRIME_OF, TABLE
from derive.printing import Text
from derive.rules import DomainError, primitive
from derive.walk import postorder as _postorder, preorder as _preorder  # noqa: F401  (edits, rewrites)

from ..evidence import evaluate

TOL = mpmath.mpf("1e-12")
TINY = mpmath.mpf("1e-30")
_HALF_TOL = float(TOL) / 2
WRONG_FUNCTION = {prime: (head, TABLE[head].uni) for prime, head in PRIME_OF.items()}
PRIME_NAME = {prime: TABLE[prime].uni for prime in PRIME_OF}
MAX_SWAPS = 3000          # (occurrence, name) pairs tried for a wrong variable in one place
MIN_SECONDS = 0.5         # the budget of a check whose deadline is shorter (grading uses 0)
UNITS_PER_SECOND = 100_000    # work units a second of budget buys: values computed
WALL_FACTOR = 4           # the wall-clock safety net, in budgets' seconds
ERRORS = (DomainError, ZeroDivisionError, ValueError, OverflowError, TypeError, KeyError)
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


def _far(fx, fy):
    """Floats within a relative 1e-15 of two values say those values are certainly not `_close`:
    the scale is well inside the float range and far above TINY, and the relative difference is
    1000 times TOL (rounding moves it by ~1e-15). False means "ask mpmath", never "close"."""
    s = max(abs(fx), abs(fy))
    return 1e-29 < s < 1e300 and abs(fx - fy) > 1e-9 * s


def _near(fx, fy):
    """Floats within one unit in the last place of two values say those values are certainly
    `_close`: the scale is well inside the float range and far above TINY, and the difference,
    with both roundings, is within half of TOL. False means "ask mpmath", never "far"."""
    s = max(abs(fx), abs(fy))
    return 1e-29 < s < 1e300 and abs(fx - fy) + 1e-15 * s <= _HALF_TOL * s


def _float(x):
    """x as a float for `_far` and `_near`, or None."""
    try:
        return float(x)
    except (TypeError, ValueError, OverflowError):
        return None


def _close(x, y):
    fx, fy = _float(x), _float(y)
    if fx is not None and fy is not None:       # most fail by far, or agree to float's digits
        if _far(fx, fy):
            return False
        if _near(fx, fy):
            return True
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

