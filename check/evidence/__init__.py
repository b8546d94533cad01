"""Evidence: random points in the domain, the true values there, finite differences of the
forward function; symbolic reduction is in symbolic.py."""
import random
from dataclasses import dataclass
from collections import OrderedDict
from functools import lru_cache

import mpmath
import sympy

import derive.evaluate as _plain
from derive.evaluate import DIGITS
from derive.functions import bar, sym
from derive.rules import TABLE, DomainError

from . import boundaries
from .symbolic import normal_form, symbolic_status  # noqa: F401  (the evidence's public names)

POINTS = 16
REL_TOL = mpmath.mpf("1e-15")
FD_TOL = 1e-6
KINK_MARGIN = 1e-3
TINY = mpmath.mpf("1e-40")
SIMPLE_VALUES = tuple(sympy.Rational(v) for v in ("1", "-1", "2", "1/2", "-2", "-1/2", "3/2", "3", "-3/2"))
SIMPLE_POINTS = 4
SIMPLE_KINK = 0.25            # a point for working by hand keeps well away from kinks
REFINE_DIGITS = 4 * DIGITS    # points carry this many digits, so a disagreement can be re-checked


# Student text can ask for exp(exp(exp(exp(exp(exp(x)))))) or sin(x^1000000000): mpmath would
# spend hours on ln 2 or π to millions of digits. A transcendental function of an argument beyond
# HUGE is undefined here (like log of a negative number), so such a claim is judged, quickly.
HUGE = mpmath.mpf(10) ** 100
_CHEAP = tuple(h for h, p in TABLE.items() if p.cheap)


@lru_cache(maxsize=4096)
def _costly(expr):
    """Subexpressions whose arguments must be checked first, innermost first, each once: a walk
    over the expression as a DAG, so a subterm shared by many factors (σ′ of every layer of a
    deep network) is not visited once per occurrence."""
    out, seen, stack = [], set(), [(expr, False)]
    while stack:
        s, done = stack.pop()
        if done:
            if (isinstance(s, sympy.Function) and not isinstance(s, _CHEAP)) or (s.is_Pow and not s.exp.is_Number):
                out.append(s)
        elif s not in seen:
            seen.add(s)
            stack.append((s, True))
            stack.extend((a, False) for a in reversed(s.args))
    return tuple(out)


def evaluate(expr, env, memo=None):
    """derive.evaluate.evaluate, refusing transcendental functions of astronomical arguments."""
    memo = {} if memo is None else memo
    for sub in _costly(expr):
        if sub not in memo:
            for a in (sub.args if not sub.is_Pow else (sub.exp,)):
                if abs(_plain.evaluate(a, env, memo)) > HUGE:
                    raise DomainError(f"{type(sub).__name__} of a number beyond 10^100")
    return _plain.evaluate(expr, env, memo)


def kink_distance(expr, env, memo=None):
    memo = {} if memo is None else memo
    evaluate(expr, env, memo)
    return _plain.kink_distance(expr, env, memo)


def rel_error(a, b):
    if not (mpmath.isfinite(a) and mpmath.isfinite(b)):
        return mpmath.mpf(0) if a == b else mpmath.inf      # never nan, which max() would drop
    scale = max(abs(a), abs(b))
    return mpmath.mpf(0) if scale < TINY else abs(a - b) / scale


def close(a, b, tol=REL_TOL):
    return rel_error(a, b) <= tol


@dataclass(frozen=True)
class Point:
    leaves: dict       # name -> mpf
    env: dict          # Symbol -> mpf: leaves, forward names, true adjoints
    output: object     # mpf


class Truth:
    """The true forward and adjoint values of a graph at `POINTS` random points (per seed)."""

    def __init__(self, graph, seed=0, n=POINTS):
        self.graph = graph
        self.seed = seed
        self.derivation = graph.backprop(wrt=graph.inputs)
        with mpmath.workdps(REFINE_DIGITS):
            self.points = self._sample(n)
        self._fd = {}
        self._simple = None
        self._kinks = None

    def simple(self):
        """Up to SIMPLE_POINTS points of small integers and halves, the same for every seed, in the
        domain and away from kinks, with their finite-difference errors per name on demand."""
        if self._simple is None:
            with mpmath.workdps(REFINE_DIGITS):
                self._simple = self._sample_simple()
        return self._simple

    def _sample_simple(self):
        names, out, seen = list(self.graph.inputs), [], set()
        exprs = self._kinked_exprs()
        for stride in (1, 2, 4):
            for offset in range(len(SIMPLE_VALUES)):
                pick = tuple(SIMPLE_VALUES[(offset + stride * j) % len(SIMPLE_VALUES)] for j in range(len(names)))
                if pick in seen:
                    continue
                seen.add(pick)
                point = self._point({n: mpmath.mpf(v.p) / v.q for n, v in zip(names, pick)}, exprs, SIMPLE_KINK)
                if point is None:
                    continue
                out.append(point)
                if len(out) == SIMPLE_POINTS:
                    return out
        return out

    def simple_fd(self, i, name):
        """fd_error at the i-th simple point."""
        return self._fd_at(("simple", i, name), self.simple()[i], name)

    def _candidates(self, rng):
        at = {k: mpmath.mpf(v.p) / v.q for k, v in self.graph.at.items()}
        if at and set(at) >= set(self.graph.inputs):
            yield at
        scales = [0.3, 1.0, 2.5, 0.7, 1.6]
        for attempt in range(400):
            s = scales[attempt % len(scales)]
            yield {n: mpmath.mpf(rng.choice((-1, 1)) * s * rng.uniform(0.25, 1.0)) for n in self.graph.inputs}

    def _kinked_exprs(self):
        """Where the graph may have kinks: every node and every local derivative."""
        return [node.expr for node in self.graph.nodes] + [t.chain for a in self.derivation.order for t in a.terms]

    def _point(self, leaves, exprs, margin):
        """The Point at `leaves` (values, true adjoints), or None where it is undefined, an adjoint
        is infinite, or an expression is within `margin` of a kink."""
        try:
            memo = {}       # one point: every node, local and σ(·) is evaluated once
            vals, adj = self._values(leaves, memo)
            env = {sym(k): v for k, v in vals.items()}
            if any(kink_distance(e, env, memo) < margin for e in exprs):
                return None
            for k, v in adj.items():
                if not mpmath.isfinite(v):
                    return None
                env[bar(k)] = v
        except (DomainError, ZeroDivisionError, OverflowError, ValueError):
            return None
        return Point(leaves, env, vals[self.graph.output])

    def _sample(self, n):
        rng = random.Random(self.seed)
        points = []
        exprs = self._kinked_exprs()
        for leaves in self._candidates(rng):
            point = self._point(leaves, exprs, KINK_MARGIN)
            if point is None:
                continue
            points.append(point)
            if len(points) == n:
                break
        return points

    def beside(self, claim, name=None):
        """((env, leaves, fd error or None, true value or None), ...): points on both sides of the
        claim's kinks that are none of the graph's (boundaries.py), where finite differences confirm
        `name`'s adjoint, the truth there (None: a forward value)."""
        mine = boundaries.scalar_kinks(claim)
        if not mine:
            return ()
        envs, leaves = [p.env for p in self.points], [p.leaves for p in self.points]
        out = []
        with mpmath.workdps(REFINE_DIGITS):
            if self._kinks is None:
                every = boundaries.scalar_kinks(sympy.Add(*self._kinked_exprs(), evaluate=False))
                self._kinks = boundaries.values(every, envs)
            for f, values in boundaries.foreign(mine, self._kinks, envs):
                for p in boundaries.beside(f, values, leaves, lambda at: self._point(at, (), 0), lambda p: p.env):
                    fd = None if name is None else self._fd_at(("beside", name, tuple(sorted(p.leaves.items()))), p, name)
                    if fd is None or fd <= FD_TOL:      # a point the truth is not confirmed at is no evidence
                        out.append((p.env, p.leaves, fd, None if name is None else p.env[bar(name)]))
        return tuple(out)

    def adjoint(self, i, name):
        return self.points[i].env[bar(name)]

    def output_with(self, i, name, value, point=None):
        """The output with `name` (a leaf or a node) held at `value`."""
        point = self.points[i] if point is None else point
        env = {sym(k): v for k, v in point.leaves.items()}
        env[sym(name)] = value
        for node in self.graph.nodes:
            if node.name != name:
                env[sym(node.name)] = evaluate(node.expr, env)
        return env[sym(self.graph.output)]

    def _values(self, leaves, memo=None):
        """Forward and adjoint values at the working precision (Derivation.values pins 30 digits;
        points keep REFINE_DIGITS so that a disagreement can be re-checked with more digits)."""
        memo = {} if memo is None else memo
        env = {sym(k): v for k, v in leaves.items()}
        vals = {k: env[sym(k)] for k in self.graph.inputs if sym(k) in env}
        for node in self.graph.nodes:
            env[sym(node.name)] = vals[node.name] = evaluate(node.expr, env, memo)
        adj = {}
        for a in self.derivation.order:
            adj[a.name] = mpmath.mpf(1) if a.output else mpmath.fsum(
                adj[t.upstream] * evaluate(t.chain, env, memo) for t in a.terms)
        return vals, adj

    def fd_error(self, i, name):
        """Relative error between backprop's ∂out/∂name and mpmath.diff of the forward function;
        a saturated unit (tanh of a large number) cancels every digit of a 30-digit difference
        quotient, so a failure is retried with more digits before the truth is called unconfirmed."""
        return self._fd_at((i, name), self.points[i], name)

    def _fd_at(self, key, point, name):
        if key not in self._fd:
            x0 = point.env[sym(name)]
            for digits in (DIGITS, REFINE_DIGITS):
                with mpmath.workdps(digits):
                    try:
                        fd = mpmath.diff(lambda t: self.output_with(None, name, t, point), x0)
                        self._fd[key] = +rel_error(fd, point.env[bar(name)])
                    except (DomainError, ZeroDivisionError, ValueError, OverflowError):
                        self._fd[key] = mpmath.inf
                if self._fd[key] <= FD_TOL:
                    break
        return self._fd[key]


_TRUTHS = OrderedDict()


def cached_truth(kind, graph, seed, size=64):
    """One Truth per (graph content, seed): a spec parsed twice shares its points and
    finite differences, so grading many submissions pays for them once."""
    key = (kind.__name__, fingerprint(graph), seed)
    hit = _TRUTHS.get(key)
    if hit is None:
        hit = _TRUTHS[key] = kind(graph, seed)
        while len(_TRUTHS) > size:
            _TRUTHS.popitem(last=False)
    else:
        _TRUTHS.move_to_end(key)
    return hit


def fingerprint(graph):
    """What a graph is, independent of the object: inputs, nodes, wrt and values."""
    at = tuple(sorted((k, _values(v)) for k, v in graph.at.items()))
    return (tuple(graph.inputs), tuple((n.name, n.expr) for n in graph.nodes), tuple(graph.wrt), at,
            tuple(sorted(getattr(graph, "shapes", {}).items())))


def _values(v):
    """A value as a hashable key: its shape and its entries (not their printed form, which for a
    128×128 point took longer than judging a claim)."""
    return (v.shape, tuple(v.ravel().tolist())) if hasattr(v, "ravel") else v


def truth_for(graph, seed):
    return cached_truth(Truth, graph, seed)
