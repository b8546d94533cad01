"""True values of a matrix graph: random matrices at several size settings (all different,
non-square), finite differences along random directions."""
import random

import mpmath
import numpy as np

from derive.evaluate import DIGITS
from derive.functions import BAR
from derive.matrix import (mevaluate)
from derive.rules import DomainError

from . import cached_truth
from ..read.index import index_value, indexed

SIZES = ([2, 3, 4, 5, 6, 7], [3, 5, 2, 6, 4, 7], [4, 2, 5, 3, 7, 6])
PER_SETTING = (6, 5, 5)


class MatrixTruth:
    """True values of a matrix graph at 16 points spread over three size settings."""

    def __init__(self, graph, seed=0):
        self.graph = graph
        self.derivation = graph.backprop(wrt=graph.differentiable)
        rng = random.Random(seed)
        self.points = []
        with mpmath.workdps(DIGITS):
            if graph.at and set(graph.at) >= set(graph.inputs):
                self._add(dict(graph.at))
            self.first_random = len(self.points)
            for setting, count in zip(SIZES, PER_SETTING):
                sizes = dict(zip(graph.dims, setting))
                tries = 0
                while count and tries < 50:
                    tries += 1
                    if self._add(self._random(rng, sizes)):
                        count -= 1
            self.directions = [{n: _random_like(rng, p[n]) for n in self.derivation.by_name}
                               for p in self.points]
        self._fd = {}

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
        try:
            vals, adj = self.derivation.values(leaves)
        except (DomainError, ZeroDivisionError, ValueError, OverflowError):
            return False
        env = dict(vals)
        env["__sizes__"] = self.graph.sizes(leaves)
        for k, v in adj.items():
            env[k + BAR] = v
        self.points.append(env)
        return True

    def fd_error(self, i, name):
        """Directional finite difference of the output along a random direction vs ⟨v̄, U⟩."""
        key = (i, name)
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

    def _with_node(self, env, name, delta):
        e = {k: env[k] for k in self.graph.inputs}
        e["__sizes__"] = env["__sizes__"]
        for node in self.graph.nodes:
            e[node.name] = mevaluate(node.expr, e)
            if node.name == name:
                e[node.name] = e[node.name] + delta
        return e[self.graph.output][0, 0]


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
