"""Points beside a claim's own kinks. The random points can all miss the strip between the
truth's kink and a shifted one in the claim ([z > 0.1] written for [z > 0], a hinge margin
dropped), and the claim would agree everywhere it is looked at. So a claim that agrees is also
valued just on both sides of each kink of its own that no kink of the truth explains: the kink is
found by bisection on the segment between two evidence points where it has opposite signs."""
import mpmath

from derive.evaluate import kink_value, kinks
from derive.rules import DomainError

MAX_KINKS = 4          # kinks of the claim looked at, in a fixed order
STEPS = 40             # bisection steps: the kink is found within 2^-40 of the segment
AWAY = (mpmath.mpf(1) / 8, mpmath.mpf(2) ** -10, mpmath.mpf(2) ** -20, 0)   # on each side, farthest first
SAME = mpmath.mpf("1e-9")
ERRORS = (DomainError, ZeroDivisionError, ValueError, OverflowError, TypeError)


def foreign(claim, truth, envs):
    """The kinks of `claim` whose values at the points are not a constant multiple of the values
    of one of the truth's kinks (a multiple has the same kink set: 2z and z, or z − x and x − z)."""
    mine = kinks(claim)
    if not mine:
        return []
    own = [_signed(sub, envs) for sub in kinks(truth)]
    out = []
    for sub in mine:
        values = _signed(sub, envs)
        if values is not None and not any(t is not None and _proportional(values, t) for t in own):
            out.append((sub, values))
        if len(out) == MAX_KINKS:
            break
    return out


def beside(sub, values, leaves, point_at):
    """Points on either side of `sub`'s kink, farthest first (a counterexample a student can redo is
    not a hair from the kink), on the segment between the first evidence point
    where its value is positive and the first where it is negative; () where there is none, or the
    segment leaves the domain. `point_at(leaves)` is the truth's point there, or None."""
    up = next((i for i, v in enumerate(values) if v > 0), None)
    down = next((i for i, v in enumerate(values) if v < 0), None)
    if up is None or down is None:
        return ()
    a, b = leaves[up], leaves[down]
    lo, hi = mpmath.mpf(0), mpmath.mpf(1)
    for _ in range(STEPS):
        mid = (lo + hi) / 2
        p = point_at(_between(a, b, mid))
        if p is None:
            return ()
        try:
            value, _scale = kink_value(sub, p.env)
        except ERRORS:
            return ()
        lo, hi = (mid, hi) if value > 0 else (lo, mid)
    ts = [lo * (1 - f) for f in AWAY] + [hi + f * (1 - hi) for f in AWAY]
    return tuple(p for p in map(point_at, (_between(a, b, t) for t in ts)) if p is not None)


def _between(a, b, t):
    return {n: a[n] + t * (b[n] - a[n]) for n in a}


def _signed(sub, envs):
    try:
        return [kink_value(sub, env)[0] for env in envs]
    except (KeyError, *ERRORS):
        return None


def _proportional(xs, ys):
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
