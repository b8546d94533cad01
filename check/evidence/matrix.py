"""True values of a matrix graph: random matrices at several size settings (all different,
non-square), finite differences along random directions. The spec's own point, when it is large,
is evaluated in float64 with error bounds (derive/f64.py) and in mpmath only when asked for."""
import copy
import random
from collections.abc import Mapping

import mpmath
import numpy as np

from derive.evaluate import DIGITS, kink_value, kinks
from derive.functions import BAR
from derive.f64 import bounded, fevaluate, mentions_sizes
from derive.matrix import Elem, mevaluate, slot
from derive.rules import DomainError, Unsure

from . import FD_TOL, boundaries, cached_truth
from ..read.index import index_value, indexed

SIZES = ([2, 3, 4, 5, 6, 7], [3, 5, 2, 6, 4, 7], [4, 2, 5, 3, 7, 6])
PER_SETTING = (6, 5, 5)
LARGE = 256         # a spec point with more entries than this is evaluated in float64 first
FD64_OK = 1e-7      # a float64 finite difference this close confirms; farther, mpmath decides
FD64_STEP = 1e-3    # the step of the five-point float64 difference (error ~ step⁴ + u/step)


class MatrixTruth:
    """True values of a matrix graph at 16 points spread over three size settings."""

    def __init__(self, graph, seed=0):
        self.graph, self.seed = graph, seed
        self.derivation = graph.backprop(wrt=graph.differentiable)
        rng = random.Random(seed)
        self.points = []
        self.fast = {}      # index of a large point -> its float64 values and bounds
        with mpmath.workdps(DIGITS):
            if graph.at and set(graph.at) >= set(graph.inputs):
                self._add_at(dict(graph.at))
            self.first_random = len(self.points)
            for setting, count in zip(SIZES, PER_SETTING):
                sizes = dict(zip(graph.dims, setting))
                tries = 0
                while count and tries < 50:
                    tries += 1
                    if self._add(self._random(rng, sizes)):
                        count -= 1
            self.directions = [None if i in self.fast else {n: _random_like(rng, p[n]) for n in self.derivation.by_name}
                               for i, p in enumerate(self.points)]
        self._fd = {}
        self._kinks = None
        self.widened = False     # a copy with points beside a claim's kinks

    def _add_at(self, leaves):
        """The spec's point: in float64 when it is large and float64 can vouch for its values
        (its mpmath values then computed only when asked for), else as any other point."""
        if sum(np.size(v) for v in leaves.values()) > LARGE and not self.graph.labels:
            try:
                fast = self._float_env(leaves)
            except Unsure:
                fast = None
            if fast is not None:
                self.fast[len(self.points)] = fast
                self.points.append(_Exact(self, leaves, fast["__sizes__"]))
                return True
        return self._add(leaves)

    def _float_env(self, leaves):
        env = {k: bounded(v) for k, v in leaves.items()}
        env["__sizes__"] = self.graph.sizes(leaves)
        memo = {}
        for node in self.graph.nodes:
            env[node.name] = fevaluate(node.expr, env, memo)
        for a in self.derivation.order:
            one = (np.ones((1, 1)), np.zeros((1, 1)))
            env[a.name + BAR] = one if a.output else fevaluate(a.expr, env, memo)
        return env

    def exact_env(self, leaves):
        """The mpmath values and adjoints at `leaves` (a large point's, asked for)."""
        with mpmath.workdps(DIGITS):
            vals, adj = self.derivation.values(leaves)
        env = dict(vals)
        env["__sizes__"] = self.graph.sizes(leaves)
        for k, v in adj.items():
            env[k + BAR] = v
        return env

    def agrees_fast(self, i, name, claim):
        """The relative difference between `claim` and the adjoint of `name` at the large point i
        when they agree to float64's resolution (every entry within the sum of both error
        bounds); None otherwise, for mpmath to decide: float64 never finds a claim wrong."""
        env = self.fast.get(i)
        if env is None or claim is None or indexed(claim) or mentions_sizes(claim):
            return None
        try:
            c, ec = fevaluate(claim, env)
        except (Unsure, KeyError, ValueError):
            return None
        t, et = env[name + BAR]
        if c.shape != t.shape or not np.all(np.abs(c - t) <= ec + et):
            return None
        return _fast_rel(c, t)

    def _random(self, rng, sizes):
        out = {}
        scale = rng.choice([0.5, 1.0, 2.0])
        for name in self.graph.inputs:
            shape = [int(d) if d.is_Integer else sizes[d.name] for d in self.graph.shapes[name]]
            if name in self.graph.labels:     # every point its own true classes
                c = self.graph.labels[name]
                c = int(c) if c.is_Integer else sizes[c.name]
                out[name] = np.array([[rng.randrange(c)] for _ in range(shape[0])], dtype=object)
                continue
            out[name] = np.array([[mpmath.mpf(rng.choice((-1, 1)) * scale * rng.uniform(0.25, 1.0))
                                   for _ in range(shape[1])] for _ in range(shape[0])], dtype=object)
        return out

    def _add(self, leaves):
        env = self._env_at(leaves)
        if env is None:
            return False
        self.points.append(env)
        return True

    def _env_at(self, leaves):
        """The values and true adjoints at `leaves`, or None where they are undefined."""
        try:
            vals, adj = self.derivation.values(leaves)
        except (DomainError, ZeroDivisionError, ValueError, OverflowError):
            return None
        env = dict(vals)
        env["__sizes__"] = self.graph.sizes(leaves)
        for k, v in adj.items():
            env[k + BAR] = v
        return env

    def beside(self, claim, name):
        """This truth with points added on both sides of the claim's kinks that are none of the
        graph's (boundaries.py), keeping those where finite differences confirm `name`'s adjoint;
        None when there are none. A copy: the cached truth is shared by every claim."""
        if self.widened or self.graph.labels or indexed(claim):
            return None
        mine = matrix_kinks(claim)
        if not mine:
            return None
        own = [i for i in range(len(self.points)) if i not in self.fast]
        envs = [self.points[i] for i in own]
        leaves = [{n: env[n] for n in self.graph.inputs} for env in envs]
        sizes = [env["__sizes__"] for env in envs]
        pairs = [(i, j) for i in range(len(envs)) for j in range(len(envs)) if i != j and sizes[i] == sizes[j]]
        extra = []
        with mpmath.workdps(DIGITS):
            if self._kinks is None:
                every = [k for e in [n.expr for n in self.graph.nodes] + [a.expr for a in self.derivation.order]
                         for k in matrix_kinks(e)]
                self._kinks = boundaries.values(every, envs)
            for f, values in boundaries.foreign(mine, self._kinks, envs):
                extra += boundaries.beside(f, values, leaves, self._env_at, pairs=pairs)
        if not extra:
            return None
        out = copy.copy(self)
        out.widened = True
        out.points = self.points + list(extra)
        rng = random.Random(f"{self.seed}:beside")
        out.directions = self.directions + [{n: _random_like(rng, p[n]) for n in self.derivation.by_name} for p in extra]
        out._fd = dict(self._fd)
        keep = [i for i in range(len(self.points), len(out.points)) if out.fd_error(i, name) <= FD_TOL]
        if not keep:
            return None
        out.points = self.points + [out.points[i] for i in keep]
        out.directions = self.directions + [out.directions[i] for i in keep]
        out._fd = {**self._fd, **{(len(self.points) + k, name): out._fd[i, name] for k, i in enumerate(keep)}}
        return out

    def fd_error(self, i, name):
        """Directional finite difference of the output along a random direction vs ⟨v̄, U⟩; at a
        large point first in float64, and in mpmath only when that does not confirm."""
        key = (i, name)
        if key not in self._fd and i in self.fast:
            u = _fast_direction(self.seed, name, self.fast[i][name][0].shape)
            err = self._fd_fast(i, name, u)
            if err is not None and err <= FD64_OK:
                self._fd[key] = mpmath.mpf(err)
                return self._fd[key]
            self.directions[i] = dict(self.directions[i] or {}, **{name: np.vectorize(mpmath.mpf, otypes=[object])(u)})
        if key not in self._fd:
            env, u = self.points[i], self.directions[i][name]
            with mpmath.workdps(DIGITS):
                def out(s):
                    point = {k: env[k] for k in self.graph.inputs}
                    if name in point:
                        point[name] = point[name] + s * u
                        return self.graph.values(point)[self.graph.output][0, 0]
                    return self._with_node(env, name, s * u)
                try:
                    fd = mpmath.diff(out, 0, h=mpmath.mpf("1e-12"))
                    exact = (env[name + BAR] * u).sum()
                    self._fd[key] = _rel(fd, exact)
                except (DomainError, ZeroDivisionError, ValueError):
                    self._fd[key] = mpmath.inf
        return self._fd[key]

    def _fd_fast(self, i, name, u):
        """The float64 relative error of a five-point difference quotient against ⟨v̄, U⟩."""
        env = self.fast[i]

        def out(s):
            e = {k: env[k] for k in self.graph.inputs}
            e["__sizes__"] = env["__sizes__"]
            if name in e:
                e[name] = (e[name][0] + s * u, e[name][1])
            memo = {}
            for node in self.graph.nodes:
                e[node.name] = fevaluate(node.expr, e, memo)
                if node.name == name:
                    e[node.name] = (e[node.name][0] + s * u, e[node.name][1])
            return e[self.graph.output][0][0, 0]
        h = FD64_STEP
        try:
            fd = (out(-2 * h) - 8 * out(-h) + 8 * out(h) - out(2 * h)) / (12 * h)
        except (Unsure, DomainError, ZeroDivisionError, ValueError):
            return None
        exact = float((env[name + BAR][0] * u).sum())
        scale = max(abs(fd), abs(exact))
        return 0.0 if scale < 1e-40 else _shown(abs(fd - exact) / scale)

    def _with_node(self, env, name, delta):
        e = {k: env[k] for k in self.graph.inputs}
        e["__sizes__"] = env["__sizes__"]
        for node in self.graph.nodes:
            e[node.name] = mevaluate(node.expr, e)
            if node.name == name:
                e[node.name] = e[node.name] + delta
        return e[self.graph.output][0, 0]


class _Exact(Mapping):
    """A large point's mpmath values, computed on first use (its float64 ones are in `fast`)."""

    def __init__(self, truth, leaves, sizes):
        self._truth, self._leaves, self._sizes, self._env = truth, leaves, sizes, None

    def _exact(self):
        if self._env is None:
            self._env = self._truth.exact_env(self._leaves)
        return self._env

    def __getitem__(self, key):
        return self._sizes if key == "__sizes__" else self._exact()[key]

    def __iter__(self):
        return iter(self._exact())

    def __len__(self):
        return len(self._exact())

    @property
    def computed(self):
        return self._env is not None


def _fast_direction(seed, name, shape):
    """A large point's direction for `name`: ±uniform(0.5, 1) entries from their own stream."""
    rng = np.random.default_rng([seed % 2 ** 32, *name.encode()])
    return rng.choice((-1.0, 1.0), size=shape) * rng.uniform(0.5, 1.0, size=shape)


def _fast_rel(c, t):
    scale = max(float(np.abs(c).max(initial=0.0)), float(np.abs(t).max(initial=0.0)))
    return 0.0 if scale < 1e-40 else _shown(float(np.abs(c - t).max()) / scale)


def _shown(x):
    """A float64 figure for the evidence, to 3 digits: a BLAS that sums in another order moves
    its last digits, and outputs stay byte-identical."""
    return float(f"{x:.3g}")


def _random_like(rng, a):
    return np.array([[mpmath.mpf(rng.choice((-1, 1)) * rng.uniform(0.5, 1.0)) for _ in range(a.shape[1])]
                     for _ in range(a.shape[0])], dtype=object)


def _rel(a, b):
    scale = max(abs(a), abs(b))
    return mpmath.mpf(0) if scale < mpmath.mpf("1e-40") else abs(a - b) / scale


def _arr_rel(c, t):
    scale = max(max(abs(x) for x in t.flat), max(abs(x) for x in c.flat))
    return mpmath.mpf(0) if scale < mpmath.mpf("1e-40") else max(abs(x - y) for x, y in zip(c.flat, t.flat)) / scale


def matrix_truth(graph, seed):
    return cached_truth(MatrixTruth, graph, seed, 16)


def _value(expr, env):
    try:
        with mpmath.workdps(DIGITS):
            return index_value(expr, env) if indexed(expr) else mevaluate(expr, env)
    except (DomainError, ZeroDivisionError, ValueError, OverflowError, KeyError):
        return None


def _plain(a, whole=False):
    """An array for JSON: a number, a list, or a list of rows (class labels as whole numbers)."""
    if a is None:
        return None
    if whole:
        return int(a[0, 0]) if a.shape == (1, 1) else [int(x) for x in a[:, 0]]
    if a.shape == (1, 1):
        return float(a[0, 0])
    if a.shape[1] == 1:
        return [float(x) for x in a[:, 0]]
    return [[float(x) for x in row] for row in a]


def matrix_kinks(e):
    """The kinks of a matrix expression, entry by entry: one per kinked part of each elementwise
    node's template, valued at every entry of the node's arguments."""
    out, seen, stack = [], set(), [e]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if isinstance(node, Elem):
            out += [((node, sub), lambda env, node=node, sub=sub: _entries(node, sub, env)) for sub in kinks(node.template)]
        stack.extend(reversed(node.children()))
    return out


def _entries(node, sub, env):
    args = np.broadcast_arrays(*(mevaluate(a, env) for a in node.args))
    return [kink_value(sub, {slot(i): a[k] for i, a in enumerate(args)})[0] for k in np.ndindex(args[0].shape)]
