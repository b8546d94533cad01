"""Graphs of matrix and vector specs, and their reverse pass in matrix form (W̄ = ȳ hᵀ)."""
from dataclasses import dataclass, field
from functools import cached_property

import mpmath
from .lazy import numpy as np
import sympy

from .evaluate import DIGITS
from .backprop import Printable
from .graph import GraphBase
from .limits import MAX_WRITTEN_SIZE
from .functions import BAR
from .labels import outputs_named
from .matrix import Op, Leaf, SCALAR, fill, lift, mevaluate, substitute, vjp, written_size


@dataclass(frozen=True)
class MNode:
    name: str
    expr: object
    parents: tuple
    line: int = 0

    @property
    def shape(self):
        return self.expr.shape


@dataclass(frozen=True)
class MTerm:
    """The contribution of one consumer to an adjoint: a matrix expression in adjoints."""
    upstream: str
    expr: object


@dataclass(frozen=True)
class MAdjoint:
    name: str
    terms: tuple
    shape: tuple
    output: bool = False

    @property
    def expr(self):
        if self.output:
            return lift(1)
        if not self.terms:
            return fill(lift(0), self.shape)
        out = self.terms[0].expr
        for t in self.terms[1:]:
            out = out + t.expr
        return out


@dataclass(frozen=True, eq=False)
class MatrixGraph(GraphBase):
    inputs: tuple
    shapes: dict          # input name -> shape
    nodes: tuple
    wrt: tuple = ()
    at: dict = field(default_factory=dict)          # name -> numpy array of Rationals
    latex_names: dict = field(default_factory=dict)
    dims: tuple = ()      # size letters
    order: tuple = ()     # names in the order the spec first writes them
    labels: dict = field(default_factory=dict)      # class-label input -> its number of classes

    is_matrix = True

    @property
    def differentiable(self):
        """The inputs that have a gradient: every one but the class labels."""
        return tuple(n for n in self.inputs if n not in self.labels)

    def resolve_wrt(self, wrt=None):
        wrt = super().resolve_wrt(wrt or self.wrt or self.differentiable)
        bad = [w for w in wrt if w in self.labels]
        if bad:
            raise ValueError(f"{bad[0]} is a class label: it has no gradient")
        return wrt

    def shape_of(self, name):
        return self.shapes[name] if name in self.shapes else self.defs[name].shape

    def leaf(self, name):
        return Leaf(name, self.shape_of(name))

    def sizes(self, point):
        """Size letters bound by the arrays of `point`."""
        sizes = {}
        for name, value in point.items():
            for d, n in zip(self.shape_of(name), np.shape(value)):
                if not d.is_Integer:
                    if sizes.setdefault(d.name, n) != n:
                        raise ValueError(f"size {d} is {sizes[d.name]} and {n} at once")
        return sizes

    def values(self, point):
        with mpmath.workdps(DIGITS):
            env = {k: _array(v) for k, v in point.items()}
            env["__sizes__"] = self.sizes(point)
            for node in self.nodes:
                env[node.name] = mevaluate(node.expr, env)
        return env

    def backprop(self, wrt=None):
        wrt = self.resolve_wrt(wrt)
        if self.defs[self.output].shape != SCALAR:
            raise ValueError(f"the output {self.output} must be a scalar to backpropagate, "
                             f"not {self.defs[self.output].shape[0]}×{self.defs[self.output].shape[1]}")
        names, live = self.backward_order(wrt)
        order = []
        for name in names:
            if name == self.output:
                order.append(MAdjoint(name, (), SCALAR, True))
                continue
            terms = []
            for c in self.consumers[name]:
                if c.name in live:
                    g = vjp(c.expr, Leaf(c.name + "_bar", c.shape), self.leaf(name))
                    if g is not None and isinstance(c.expr, Op):
                        g = outputs_named(g, c.expr, Leaf(c.name, c.shape))
                    if g is not None:
                        terms.append(MTerm(c.name, g))
            order.append(MAdjoint(name, tuple(terms), self.shape_of(name)))
        return MatrixDerivation(self, wrt, tuple(order))


def _array(v):
    a = np.array(v, dtype=object)
    if a.ndim == 0:
        a = a.reshape(1, 1)
    elif a.ndim == 1:
        a = a.reshape(-1, 1)
    return np.vectorize(_mpf, otypes=[object])(a)


def _mpf(x):
    if isinstance(x, sympy.Rational):
        return mpmath.mpf(x.p) / x.q
    return mpmath.mpf(x)


@dataclass(frozen=True, eq=False)
class MatrixDerivation(Printable):
    graph: MatrixGraph
    wrt: tuple
    order: tuple

    @cached_property
    def leaf_adjoints(self):
        """Every adjoint in the inputs only, forward names and other adjoints written out (the
        calculus-class full expansion); None for one that would exceed MAX_WRITTEN_SIZE
        operations (a residual net doubles it with every layer)."""
        table = {n.name: n.expr for n in self.graph.nodes}
        table.update({a.name + BAR: a.expr for a in self.order})
        sizes, memo = {}, {}
        return {a.name: substitute(leaf, table, memo)
                if written_size(leaf := Leaf(a.name + BAR, a.shape), table, sizes) <= MAX_WRITTEN_SIZE
                else None for a in self.order}

    @property
    def gradients(self):
        """wrt name -> ∂output/∂name in the inputs only, or in adjoints when that is too large."""
        return {w: self.leaf_adjoints[w] or self.by_name[w].expr for w in self.wrt}

    def values(self, point):
        env = self.graph.values(point)
        adj = {}
        with mpmath.workdps(DIGITS):
            for a in self.order:
                if a.output:
                    value = np.array([[mpmath.mpf(1)]], dtype=object)
                else:
                    value = mevaluate(a.expr, env)
                env[a.name + "_bar"] = adj[a.name] = value
        vals = {k: v for k, v in env.items() if k in self.graph.names}
        return vals, adj
