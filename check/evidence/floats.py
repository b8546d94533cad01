"""Where a wrong claim certainly differs, from float64: the claim at every point at once, with
error bounds (derive/f64.py), gives each point's relative error within bounds, so that judging a
wrong claim computes 30-digit values only where they are shown or decide something (the first
point of disagreement, the largest relative error). float64 only ever skips work: every verdict,
counterexample and figure is the 30-digit one."""
import sys

from derive.rules import U, Unsure

WARM = 2        # float64 needs numpy, whose import (0.2 s) pays off in a process judging many
_wrong = [0]    # claims: it is used once numpy is loaded, or from the WARM-th wrong claim on
SLACK = 1e-12   # the 30-digit relative error is itself rounded


def error_bounds(claim, envs, values):
    """[(lo, hi)] per point: bounds of the relative error between the claim's 30-digit value and
    the true value there (None where the truth is undefined); None when float64 cannot vouch."""
    _wrong[0] += 1
    if "numpy" not in sys.modules and _wrong[0] < WARM:
        return None
    from derive.f64 import fvalues
    from derive.lazy import numpy as np
    at = [i for i, t in enumerate(values) if t is not None]
    if not at:
        return None
    env = {}
    try:
        for s in claim.free_symbols:
            v = np.array(_floats(envs[i][s] for i in at))
            env[s] = v, 2 * U * np.abs(v) + 1e-300
        c, ec = fvalues(claim, env)
    except (Unsure, KeyError, TypeError, ValueError, OverflowError):
        return None
    t = np.array(_floats(values[i] for i in at))
    # the 30-digit value is within ec of the exact one, as the float64 value is: 2·ec between them
    slack = 2 * ec + 2 * U * np.abs(t) + 1e-300
    d, scale = np.abs(c - t), np.maximum(np.abs(c), np.abs(t))
    lo = np.maximum(d - slack, 0) / (scale + slack) * (1 - SLACK)
    with np.errstate(divide="ignore"):
        hi = np.where(scale - slack > 1e-39, (d + slack) / (scale - slack), np.inf) * (1 + SLACK)
    lo = np.where(scale - slack > 1e-39, lo, 0.0)
    out = [None] * len(values)
    for k, i in enumerate(at):
        out[i] = (float(lo[k]), float(hi[k]))
    return out


_FLOATS = {}            # id(value) -> (value, float): the points' values, met again by every claim
FLOATS_KEPT = 100_000


def _floats(xs):
    """The values as floats; a value is converted once (it is kept, so its id stays its own)."""
    out = []
    for x in xs:
        hit = _FLOATS.get(id(x))
        if hit is None or hit[0] is not x:
            if len(_FLOATS) >= FLOATS_KEPT:
                _FLOATS.clear()
            hit = _FLOATS[id(x)] = (x, float(x))
        out.append(hit[1])
    return out
