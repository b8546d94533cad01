"""Points beside a claim's own kinks. The random points can all miss the strip between the
truth's kink and a shifted one in the claim ([z > 0.1] written for [z > 0], a hinge margin
dropped), and the claim would agree everywhere it is looked at. So a claim that agrees is also
valued just on both sides of each kink of its own that no kink of the truth explains: the kink is
found by bisection on the segment between two evidence points where it has opposite signs.
A kink is a list of signed numbers per point (one for a scalar, one per entry for a matrix:
evidence/matrix.py's `matrix_kinks`)."""
import mpmath

from derive.evaluate import kink_value, kinks
from derive.rules import DomainError

MAX_KINKS = 4          # kinks of the claim looked at, in a fixed order
STEPS = 40             # bisection steps: the kink is found within 2^-40 of the segment
AWAY = (mpmath.mpf(1) / 8, mpmath.mpf(2) ** -10, mpmath.mpf(2) ** -20, 0)   # on each side, farthest first
SAME = mpmath.mpf("1e-9")
ERRORS = (DomainError, ZeroDivisionError, ValueError, OverflowError, TypeError, KeyError)


def scalar_kinks(e):
    """The kinks of a SymPy expression: (key, env -> [signed value])."""
    return [(sub, lambda env, sub=sub: [kink_value(sub, env)[0]]) for sub in kinks(e)]


def values(kinks_, envs):
    """Each kink's values at the points (None where one cannot be valued)."""
    return [_at(f, envs) for _key, f in kinks_]


def foreign(mine, own, envs):
    """The kinks of the claim (`mine`) whose values at the points are not a constant multiple of
    those of one of the graph's kinks (`own`, their values): 2z and z, or z − x and x − z, are one
    kink set. [(kink, its values per point)], at most MAX_KINKS."""
    out = []
    for _key, f in mine:
        values = _at(f, envs)
        if values is not None and not any(t is not None and _proportional(values, t) for t in own):
            out.append((f, values))
        if len(out) == MAX_KINKS:
            break
    return out


def beside(f, values, leaves, point_at, env_of=lambda p: p, pairs=None):
    """Points on either side of kink `f`, farthest first (a counterexample a student can redo is
    not a hair from the kink), on the segment between the first two evidence points (of the same
    sizes, `pairs`) where one of its values changes sign; () where there is none, or the segment
    leaves the domain. `point_at(leaves)` is the truth's point there, or None."""
    found = _crossing(values, pairs or [(i, j) for i in range(len(values)) for j in range(len(values)) if i != j])
    if found is None:
        return ()
    i, j, k = found
    a, b = leaves[i], leaves[j]

    def value(t):
        p = point_at(_between(a, b, t))
        if p is None:
            return None
        try:
            return f(env_of(p))[k]
        except ERRORS:
            return None
    lo, hi = mpmath.mpf(0), mpmath.mpf(1)
    ends = value(lo), value(hi)
    if None in ends or not (ends[0] > 0 > ends[1]):
        return ()
    for _ in range(STEPS):
        mid = (lo + hi) / 2
        v = value(mid)
        if v is None:
            return ()
        lo, hi = (mid, hi) if v > 0 else (lo, mid)
    ts = [lo * (1 - f) for f in AWAY] + [hi + f * (1 - hi) for f in AWAY]
    return tuple(p for p in map(point_at, (_between(a, b, t) for t in ts)) if p is not None)


def _crossing(values, pairs):
    for i, j in pairs:
        for k, (x, y) in enumerate(zip(values[i], values[j])):
            if x > 0 > y:
                return i, j, k
    return None


def _between(a, b, t):
    return {n: a[n] + t * (b[n] - a[n]) for n in a}


def _at(f, envs):
    try:
        return [f(env) for env in envs]
    except ERRORS:
        return None


def _proportional(xs, ys):
    xs, ys = _flat(xs), _flat(ys)
    if len(xs) != len(ys):
        return False
    ratio = None
    for x, y in zip(xs, ys):
        if abs(y) <= SAME * (1 + abs(x)):
            if abs(x) > SAME:
                return False
            continue
        r = x / y
        if ratio is None:
            ratio = r
        elif abs(r - ratio) > SAME * (1 + abs(ratio)):
            return False
    return ratio is not None and ratio != 0


def _flat(values):
    return [v for point in values for v in point]
