"""Reverse mode, symbolically: v̄ = Σⱼ v̄ⱼ ∂vⱼ/∂v, one term per outgoing edge."""
from dataclasses import dataclass
from functools import cached_property

import mpmath
import sympy

from .evaluate import evaluate, with_digits
from .functions import bar, sym
from .limits import MAX_WRITTEN_SIZE
from .rules import derivative, local_derivative


@dataclass(frozen=True)
class Term:
    """One outgoing edge of a node: `upstream`'s adjoint times the local derivative.

    `local` is the derivative as printed, in the consumer's own value where the rule table
    allows (`rules.local_derivative`); `chain` is the same derivative by the plain chain rule
    (σ′(u)), which numbers, gradients and diagnosis use: 1 − y loses every digit when σ
    saturates, σ′(u) does not."""
    upstream: str
    local: sympy.Expr
    chain: sympy.Expr = None

    def __post_init__(self):
        if self.chain is None:
            object.__setattr__(self, "chain", self.local)

    @property
    def expr(self):
        return bar(self.upstream) * self.local


@dataclass(frozen=True)
class Adjoint:
    name: str
    terms: tuple
    output: bool = False

    @property
    def expr(self):
        return sympy.Integer(1) if self.output else sympy.Add(*(t.expr for t in self.terms))


class Printable:
    """The views of a derivation, shared by scalar and matrix graphs."""

    @property
    def adjoints(self):
        return {a.name: a.expr for a in self.order}

    @cached_property
    def by_name(self):
        return {a.name: a for a in self.order}

    def to_text(self, **kw):
        from .text import derivation_text
        return derivation_text(self, **kw)

    def to_latex(self, **kw):
        from .latex import derivation_latex
        return derivation_latex(self, **kw)

    def to_handout(self, **kw):
        """The LaTeX handout (values, graph, expansion): `derive.handout.handout_latex`."""
        from .handout import handout_latex
        return handout_latex(self, **kw)

    def to_markdown(self, **kw):
        from .text import derivation_markdown
        return derivation_markdown(self, **kw)

    def to_json(self, **kw):
        from .jsonout import derivation_json
        return derivation_json(self, **kw)

    def _repr_latex_(self):
        return "$$" + self.to_latex() + "$$"


@dataclass(frozen=True, eq=False)
class Derivation(Printable):
    """The adjoint equations of a graph, output first, in backprop order."""
    graph: object
    wrt: tuple
    order: tuple   # Adjoint, output first

    @cached_property
    def leaf_adjoints(self):
        """Every adjoint in the leaves only: ∂output/∂v written out (the full expansion); None for
        one that would pass MAX_WRITTEN_SIZE operations or needs a node the graph does not write
        out (`Graph.unwritten`), and for every adjoint built on it."""
        full = self.graph.full
        written = {sym(n): full[n] for n in self.graph.defs}     # once, not once per edge
        kept = {sym(n) for n in self.graph.unwritten}
        grads, sizes = {}, {}
        for a in self.order:
            if a.output:
                grads[a.name] = sympy.Integer(1)
                continue
            if any(grads[t.upstream] is None for t in a.terms):
                grads[a.name] = None
                continue
            e = sympy.Add(*(grads[t.upstream] * t.chain.xreplace(written) for t in a.terms))
            grads[a.name] = None if e.free_symbols & kept or _tree_size(e, sizes) > MAX_WRITTEN_SIZE else e
        return grads

    @property
    def gradients(self):
        """wrt name -> ∂output/∂name in the leaves only, or in adjoints where that is too large."""
        return {w: self.leaf_adjoints[w] if self.leaf_adjoints[w] is not None else self.by_name[w].expr
                for w in self.wrt}

    def values(self, point):
        """(forward values, adjoint values) at `point`, as mpf at DIGITS digits, in backprop order."""
        vals = self.graph.values(point)
        env = {sym(k): v for k, v in vals.items()}
        adj = {}
        with with_digits():
            for a in self.order:
                adj[a.name] = mpmath.mpf(1) if a.output else mpmath.fsum(
                    adj[t.upstream] * evaluate(t.chain, env) for t in a.terms)
                env[bar(a.name)] = adj[a.name]
        return vals, adj

    def local_values(self, point):
        """Per edge (node, Term) -> (local gradient, upstream gradient) at `point`."""
        vals, adj = self.values(point)
        env = {sym(k): v for k, v in vals.items()}
        with with_digits():
            return {(a.name, t.upstream): (evaluate(t.chain, env), adj[t.upstream])
                    for a in self.order for t in a.terms}


def _tree_size(e, sizes):
    """Nodes of `e` counted as a tree (a shared subterm once per occurrence), memoized per node."""
    stack = [e]
    while stack:
        x = stack[-1]
        todo = [a for a in x.args if a not in sizes]
        if todo:
            stack.extend(todo)
            continue
        stack.pop()
        sizes[x] = 1 + sum(sizes[a] for a in x.args)
    return sizes[e]


def _term(consumer, s):
    memo = {}
    chain = derivative(consumer.expr, s, memo)
    return Term(consumer.name, local_derivative(consumer.expr, s, sym(consumer.name), memo), chain)


def backprop(graph, wrt=None):
    """Adjoints of every node that lies on a path from a `wrt` variable to the output."""
    wrt = graph.resolve_wrt(wrt)
    names, live = graph.backward_order(wrt)
    order = []
    for name in names:
        terms = tuple(_term(c, sym(name)) for c in graph.consumers[name] if c.name in live)
        order.append(Adjoint(name, tuple(t for t in terms if t.local != 0), name == graph.output))
    return Derivation(graph, wrt, tuple(order))
