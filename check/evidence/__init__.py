"""Evidence: random points in the domain, the true values there, finite differences of the
forward function, and symbolic reduction under a hard deadline (in a forked child)."""
import os
import random
import select
import signal
from dataclasses import dataclass
from collections import OrderedDict
from functools import lru_cache

import mpmath
import sympy

import derive.evaluate as _plain
from derive.evaluate import DIGITS
from derive.functions import (IndGe, IndGt, LeakyRelu, Max, Min, Relu, ReluPrime, SigmaPrime, Sigma,
                              TanhPrime, bar, sym)
from derive.rules import DomainError

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
_CHEAP = (sympy.Abs, sympy.sign, sympy.log, Max, Min, Relu, ReluPrime, LeakyRelu, IndGe, IndGt)


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

    def simple(self):
        """Up to SIMPLE_POINTS points of small integers and halves, the same for every seed, in the
        domain and away from kinks, with their finite-difference errors per name on demand."""
        if self._simple is None:
            with mpmath.workdps(REFINE_DIGITS):
                self._simple = self._sample_simple()
        return self._simple

    def _sample_simple(self):
        names, out, seen = list(self.graph.inputs), [], set()
        locals_ = [t.chain for a in self.derivation.order for t in a.terms]
        exprs = [node.expr for node in self.graph.nodes] + locals_
        for stride in (1, 2, 4):
            for offset in range(len(SIMPLE_VALUES)):
                pick = tuple(SIMPLE_VALUES[(offset + stride * j) % len(SIMPLE_VALUES)] for j in range(len(names)))
                if pick in seen:
                    continue
                seen.add(pick)
                leaves = {n: mpmath.mpf(v.p) / v.q for n, v in zip(names, pick)}
                try:
                    memo = {}
                    vals, adj = self._values(leaves, memo)
                    env = {sym(k): v for k, v in vals.items()}
                    if any(kink_distance(e, env, memo) < SIMPLE_KINK for e in exprs):
                        continue
                    for k, v in adj.items():
                        if not mpmath.isfinite(v):
                            raise DomainError("infinite gradient")
                        env[bar(k)] = v
                except (DomainError, ZeroDivisionError, OverflowError, ValueError):
                    continue
                out.append(Point(leaves, env, vals[self.graph.output]))
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

    def _sample(self, n):
        rng = random.Random(self.seed)
        points = []
        locals_ = [t.chain for a in self.derivation.order for t in a.terms]
        exprs = [node.expr for node in self.graph.nodes] + locals_
        for leaves in self._candidates(rng):
            try:
                memo = {}       # one point: every node, local and σ(·) is evaluated once
                vals, adj = self._values(leaves, memo)
                env = {sym(k): v for k, v in vals.items()}
                if any(kink_distance(e, env, memo) < KINK_MARGIN for e in exprs):
                    continue
                for k, v in adj.items():
                    if not mpmath.isfinite(v):
                        raise DomainError("infinite gradient")
                    env[bar(k)] = v
            except (DomainError, ZeroDivisionError, OverflowError, ValueError):
                continue
            points.append(Point(leaves, env, vals[self.graph.output]))
            if len(points) == n:
                break
        return points

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
    at = tuple(sorted((k, str(getattr(v, "tolist", lambda: v)())) for k, v in graph.at.items()))
    return (tuple(graph.inputs), tuple((n.name, n.expr) for n in graph.nodes), tuple(graph.wrt), at,
            tuple(sorted(getattr(graph, "shapes", {}).items())))


def truth_for(graph, seed):
    return cached_truth(Truth, graph, seed)


def normal_form(e):
    """σ′, tanh′ written through σ and tanh, so identities become polynomial ones."""
    return e.replace(lambda x: isinstance(x, SigmaPrime), lambda x: Sigma(x.args[0]) * (1 - Sigma(x.args[0]))) \
            .replace(lambda x: isinstance(x, TanhPrime), lambda x: 1 - sympy.tanh(x.args[0]) ** 2)


def _small(e):
    return sympy.count_ops(e) <= 80 and all(abs(p.exp) <= 4 for p in e.atoms(sympy.Pow) if p.exp.is_Number)


def _exponentials_as_symbols(e):
    """exp(u) as a symbol E_u and exp(-u) as 1/E_u, so σ written with e^{-z} becomes a
    rational function that `cancel` settles."""
    table = {}
    for x in e.atoms(sympy.exp):
        arg = -x.args[0] if x.args[0].could_extract_minus_sign() else x.args[0]
        s = table.setdefault(arg, sympy.Dummy("E", positive=True))
        table[x] = s if arg == x.args[0] else 1 / s
    return e.xreplace({k: v for k, v in table.items() if isinstance(k, sympy.exp)})


_SIGMOIDS = (Sigma, SigmaPrime, sympy.exp)
_TANHS = (sympy.tanh, TanhPrime)


def _units_as_symbols(e):
    """σ(u) as a symbol S_u, σ′(u) as S_u(1 − S_u), exp(u) as S_u/(1 − S_u) (e^u = σ(u)/σ(−u)),
    tanh(u) as T_u and tanh′(u) as 1 − T_u², each u up to its sign: σ, σ′ and exp of the same
    argument become one rational function, whatever form the student chose. Arguments are taken
    as they are written, so this settles the common case in milliseconds, not every case."""
    nodes = [x for x in _preorder(e) if isinstance(x, _SIGMOIDS + _TANHS)]
    sigmoid_args = {_unsigned(x.args[0])[0] for x in nodes if isinstance(x, (Sigma, SigmaPrime))}
    table, out = {}, {}
    for x in nodes:
        u, neg = _unsigned(x.args[0])
        family = "T" if isinstance(x, _TANHS) else "S"
        s = table.setdefault((family, u), sympy.Dummy(family))
        if isinstance(x, Sigma):
            out[x] = 1 - s if neg else s
        elif isinstance(x, SigmaPrime):
            out[x] = s * (1 - s)
        elif isinstance(x, sympy.exp):
            ratio = s / (1 - s) if u in sigmoid_args else s
            out[x] = 1 / ratio if neg else ratio
        elif isinstance(x, sympy.tanh):
            out[x] = -s if neg else s
        else:
            out[x] = 1 - s ** 2
    return e.xreplace(out)


def _unsigned(u):
    return (-u, True) if u.could_extract_minus_sign() else (u, False)


def _preorder(e):
    out, seen, stack = [], set(), [e]
    while stack:
        x = stack.pop()
        if x not in seen:
            seen.add(x)
            out.append(x)
            stack.extend(x.args)
    return out


def _rational_zero(r):
    """Is the rational function r identically 0? Expanded when it is a polynomial, else its
    numerator over one denominator, expanded (three times the work on a polynomial)."""
    if not any(p.exp.is_negative and not p.base.is_Number for p in r.atoms(sympy.Pow)):
        return sympy.expand(r) == 0
    return sympy.expand(sympy.together(r).as_numer_denom()[0]) == 0


def _cheap_zero(d):
    """Reductions that stay fast on small expressions: rational in σ, tanh and exp of the
    arguments as written, polynomial in σ and tanh, then rational in the exponentials."""
    if _rational_zero(_units_as_symbols(d)):
        return True
    if sympy.expand(normal_form(d)) == 0:
        return True
    r = _exponentials_as_symbols(normal_form(d).rewrite(sympy.exp))
    return sympy.cancel(r) == 0


def _reduce(d):
    if _cheap_zero(d):
        return True
    return sympy.simplify(normal_form(d).rewrite(sympy.exp)) == 0


_SETTLED = OrderedDict()


def symbolic_status(difference, deadline):
    """'zero' when `difference` reduces to 0, 'different' when it does not, 'timeout' past the
    deadline. Beyond the cheap cases it runs in a forked child that is killed at the deadline.
    Settled answers are remembered, so a class's common answer is reduced once."""
    if difference == 0:
        return "zero"
    if deadline <= 0:
        return "skipped"
    if difference in _SETTLED:
        return _SETTLED[difference]
    status = "zero" if _small(difference) and _cheap_zero(difference) else _forked(difference, deadline)
    if status in ("zero", "different"):
        _SETTLED[difference] = status
        if len(_SETTLED) > 4096:
            _SETTLED.popitem(last=False)
    return status


def _forked(difference, deadline):
    if not hasattr(os, "fork"):
        return "skipped"
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        code = b"e"
        try:
            import resource
            resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
            code = b"z" if _reduce(difference) else b"d"
        except BaseException:
            code = b"e"
        finally:
            os.write(w, code)
            os._exit(0)
    os.close(w)
    try:
        ready, _, _ = select.select([r], [], [], deadline)
        data = os.read(r, 1) if ready else b""
    finally:
        os.close(r)
        if not data:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    return {b"z": "zero", b"d": "different", b"e": "error"}.get(data, "timeout")
