"""One rule for every verdict (docs/rules.md): numeric agreement at every point and
finite differences confirming the truth make `correct`; a confirmed point of disagreement makes
`incorrect`; anything else is `undecided`. Symbolic reduction is reported, never decisive."""
import time
from dataclasses import dataclass, replace

import mpmath

from derive.evaluate import DIGITS
from derive.rules import DomainError

from .evidence import FD_TOL, REFINE_DIGITS, REL_TOL, evaluate, rel_error, symbolic_status
from .evidence.floats import error_bounds
from .i18n import _
from .readback import as_read
from .verdict import Verdict


@dataclass(frozen=True)
class Case:
    """What one item is judged against: the true expression, and where it is evaluated."""
    truth: object            # SymPy expression in the same names as the claim
    envs: tuple              # per point: {Symbol: mpf}
    leaves: tuple            # per point: {name: mpf}, shown in a counterexample
    fd: tuple = None         # per point: relative error of finite differences vs truth, or None
    full: object = None      # callable expr -> expr in the leaves only, for the symbolic check
    terms: tuple = ()        # (label, expr) additive parts of the truth, for diagnosis
    pool: tuple = ()         # other expressions a student may have mixed in
    values: tuple = None     # per point: the truth's value, when already known
    probes: tuple = ()       # seed-independent points the diagnosis looks things up at first
    simple: object = None    # () -> ((env, leaves, fd error or None, true value), ...): small numbers
    at: bool = False         # envs[0] is the spec's at: point
    defs: tuple = ()         # (forward Symbol, its definition): σ(z) behind a name y
    read: object = None      # text -> expression in the claim's scope (repairs are read back)
    near: object = None      # claim -> points beside its kinks that are none of the graph's, as `simple` gives them


def _value(expr, env):
    try:
        return evaluate(expr, env)
    except (DomainError, ZeroDivisionError, ValueError, OverflowError):
        return None


def _refined(truth, claim, env, t, c, err):
    """A disagreement at 30 digits may be cancellation (1 − tanh²(z) at a large z, in the truth or
    in the claim): re-evaluate both with more digits before believing it."""
    with mpmath.workdps(REFINE_DIGITS):
        t2, c2 = _refined_truth(truth, env), _value(claim, env)
        if t2 is None or c2 is None:
            return t, c, err
        err2 = rel_error(c2, t2)
    return +t2, +c2, +err2


_TRUTHS = {}        # (truth, id(env)) -> (env, its value at REFINE_DIGITS)


def _refined_truth(truth, env):
    """The truth at REFINE_DIGITS at a point: the same for every wrong claim refined there (most
    at the first point), so it is computed once."""
    hit = _TRUTHS.get((truth, id(env)))
    if hit is None or hit[0] is not env:
        if len(_TRUTHS) >= 4096:
            _TRUTHS.clear()
        hit = _TRUTHS[truth, id(env)] = (env, _value(truth, env))
    return hit[1]


def agrees(usable, points, worst):
    """Numeric agreement: the claim matched the truth at every usable point, and enough of the
    points were usable (at least 8, or all of them when there are fewer)."""
    return usable > 0 and usable >= min(8, points) and worst <= REL_TOL


def rule(agree, confirmed, bad):
    """The verdict: `correct` needs agreement and confirmed finite differences; `incorrect` needs a
    confirmed point of disagreement (`bad`, its index); anything else is `undecided`."""
    return "correct" if agree and confirmed else "incorrect" if bad is not None else "undecided"


def judge(target, claim, case, deadline=1.0, line=None, prove=False):
    start = time.perf_counter()
    with mpmath.workdps(DIGITS):
        worst, bad, usable, undefined = mpmath.mpf(0), None, 0, False
        rows, bounds, later = [], None, []
        for i, env in enumerate(case.envs):
            t = case.values[i] if case.values is not None else _value(case.truth, env)
            if t is None:
                rows.append(None)
                continue
            if bad is not None and bounds is None and case.values is not None:
                bounds = error_bounds(claim, case.envs, case.values) or ()
            fd_ok = case.fd is None or case.fd[i] <= FD_TOL
            if bounds and bounds[i][0] > REL_TOL:
                # certainly wrong here, past the point shown: its value only counts if it may be the largest
                rows.append((t, _UNSEEN, None, fd_ok))
                later.append(i)
                usable += 1
                continue
            c = _value(claim, env)
            err = mpmath.inf if c is None else rel_error(c, t)
            if err > REL_TOL and bad is None:
                t, c, err = _refined(case.truth, claim, env, t, c, err)
            rows.append((t, c, err, fd_ok))
            usable += 1
            worst = max(worst, err)
            if err > REL_TOL and fd_ok and c is None:
                undefined = True
            if err > REL_TOL and fd_ok and bad is None and c is not None and mpmath.isfinite(c):
                bad = i
        worst = _largest(claim, case, rows, bounds, later, worst)
        fd_worst = None if case.fd is None else max((case.fd[i] for i, r in enumerate(rows) if r), default=mpmath.inf)
        agree = agrees(usable, len(case.envs), worst)
        confirmed = case.fd is None or (fd_worst is not None and fd_worst <= FD_TOL)
        verdict = rule(agree, confirmed, bad)
        if verdict == "correct" and case.near is not None:
            extra = case.near(claim)
            if extra:
                return judge(target, claim, _beside(case, extra), deadline, line, prove)
        if verdict == "incorrect":
            status = "different"
        elif case.full is not None and agree and deadline > 0:
            status = symbolic_status(case.full(case.truth) - case.full(claim), deadline, prove)
        else:
            status = "skipped"
        evidence = {
            "numeric": {"points": usable, "max_rel_error": _float(worst), "digits": DIGITS},
            "finite_difference": ({"method": "mpmath.diff", "max_rel_error": _float(fd_worst),
                                   "status": "confirmed" if confirmed else "not confirmed"}
                                  if case.fd is not None else {"method": "none", "max_rel_error": None, "status": "n/a"}),
            "symbolic": {"status": status},
        }
        counter = diagnosis = None
        if verdict == "incorrect":
            env, leaves, t, c = _counterexample(claim, case, rows, bad)
            counter = {"at": {k: float(v) for k, v in leaves.items()}, "expected": _number(t), "got": _number(c)}
            from .diagnose import diagnose       # loaded on the first wrong claim
            diagnosis = diagnose(claim, case, _diagnosis_envs(claim, case, rows, env), deadline, target)
        elif verdict == "undecided" and undefined:
            diagnosis = {"kind": "other", "message": _("cannot be evaluated where the true value is defined")}
    return Verdict(target, verdict, evidence, counter, diagnosis, line=line,
                   seconds=time.perf_counter() - start, as_read=as_read(target, claim))


_UNSEEN = object()      # a claim's value not computed: defined (float64 vouched for it), never shown


def _largest(claim, case, rows, bounds, later, worst):
    """The largest relative error, with the points float64 found certainly wrong: each computed
    at 30 digits only if its upper bound reaches the largest lower bound."""
    if not later:
        return worst
    top = max(worst, max(bounds[i][0] for i in later))
    for i in later:
        if bounds[i][1] >= top:
            t, _c, _err, fd_ok = rows[i]
            c = _value(claim, case.envs[i])
            err = mpmath.inf if c is None else rel_error(c, t)
            rows[i] = (t, c, err, fd_ok)
            worst = max(worst, err)
    return worst


def _beside(case, extra):
    """`case` with the points beside the claim's kinks added to its evidence points."""
    envs, leaves, fds, values = zip(*extra)
    return replace(case, envs=case.envs + envs, leaves=case.leaves + leaves,
                   fd=None if case.fd is None else case.fd + fds,
                   values=None if case.values is None else case.values + values, near=None)


CLEAR = mpmath.mpf("1e-3")    # a counterexample shown by hand: the values differ in the 3rd digit
PROBES = 16                   # all of the probe seed's points: a kink's both sides are among them
SIMPLE_TRIES = 2              # small-number points tried for a counterexample (each evaluates the claim)


def _counterexample(claim, case, rows, bad):
    """(env, leaves, expected, got) at the simplest confirmed point where the claim is finite and
    differs: the spec's at: point, else a point of small integers and halves, else the first
    random point that differs."""
    if case.at and rows[0] is not None and bad is not None:
        t, c, err, fd_ok = rows[0]
        if fd_ok and c is not None and mpmath.isfinite(c) and err > CLEAR:
            return case.envs[0], case.leaves[0], t, c
    for env, leaves, fd, t in (case.simple() if case.simple is not None else ())[:SIMPLE_TRIES]:
        if fd is not None and fd > FD_TOL:
            continue
        c = _value(claim, env)
        if t is not None and c is not None and mpmath.isfinite(c) and rel_error(c, t) > CLEAR:
            return env, leaves, t, c
    t, c, _err, _fd = rows[bad]
    return case.envs[bad], case.leaves[bad], t, c


def _diagnosis_envs(claim, case, rows, counter):
    """The probe points (the same for every seed; the truth's own points, so in its domain), the
    counterexample, then every other confirmed point where the claim has a value."""
    out = list(case.probes[:PROBES])
    seen = {id(env) for env in out}
    for env in [counter] + [case.envs[i] for i, r in enumerate(rows) if r and r[3] and r[1] is not None]:
        if id(env) not in seen:          # at seed 0 the probes are the evidence points themselves
            seen.add(id(env))
            out.append(env)
    return out


def _number(v):
    """A float, or beyond the float range (10^1000) the number written out as a string."""
    f = float(v)
    return f if abs(f) != float("inf") else mpmath.nstr(v, 6)


def _float(v):
    if v is None:
        return None
    v = float(v)
    return v if v != float("inf") else None
