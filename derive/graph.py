"""The computational graph: leaves, then one node a forward assignment (or gate)."""
from dataclasses import dataclass, field
from functools import cached_property

import sympy

from . import functions as F
from .evaluate import evaluate, with_digits
from .functions import sym
from .limits import MAX_WRITTEN_DEPTH, MAX_WRITTEN_SIZE
from .names import canonical
from .rules import primitive



@dataclass(frozen=True)
class Node:
    """`name = expr`, where `expr` is written in the symbols of `parents`."""
    name: str
    expr: sympy.Expr
    parents: tuple
    line: int = 0
    gate: str = ""


class GraphBase:
    """What scalar and matrix graphs share: names, consumers, and which nodes backprop visits."""

    @cached_property
    def rank(self):
        return {n: i for i, n in enumerate(self.order or self.names)}

    @property
    def output(self):
        return self.nodes[-1].name

    @cached_property
    def defs(self):
        return {n.name: n for n in self.nodes}

    @property
    def names(self):
        return list(self.inputs) + [n.name for n in self.nodes]

    @cached_property
    def consumers(self):
        """name -> the nodes that use it, in forward order."""
        out = {n: [] for n in self.names}
        for node in self.nodes:
            for p in node.parents:
                out[p].append(node)
        return out

    def resolve_wrt(self, wrt=None):
        """`wrt` names as the graph spells them (w_{0}, w_0 and w0 are one variable)."""
        keys = {canonical(n): n for n in self.names}
        wrt = tuple(w if w in self.consumers else keys.get(canonical(w), w)
                    for w in (wrt or self.wrt or self.inputs))
        unknown = [w for w in wrt if w not in self.consumers]
        if unknown:
            raise ValueError(f"unknown variable(s) {', '.join(unknown)}; known: {', '.join(self.names)}")
        return wrt

    def backward_order(self, wrt):
        """(names in backprop order, live set): nodes on a path from a `wrt` variable to the output,
        and every `wrt` input (one that does not reach the output has adjoint 0)."""
        reaches = {self.output}
        for node in reversed(self.nodes):
            if node.name in reaches:
                reaches.update(node.parents)
        depends = set(wrt)
        for node in self.nodes:
            if depends.intersection(node.parents):
                depends.add(node.name)
        live = reaches & depends | {self.output}
        names = [n.name for n in reversed(self.nodes)] + [w for w in wrt if w in self.inputs]
        return [n for n in names if n in live or n in wrt], live


@dataclass(frozen=True, eq=False)
class Graph(GraphBase):
    inputs: tuple
    nodes: tuple
    wrt: tuple = ()
    at: dict = field(default_factory=dict)
    latex_names: dict = field(default_factory=dict)
    order: tuple = ()     # names in the order the spec first writes them

    @cached_property
    def unwritten(self):
        """Nodes not written out in the inputs: those whose written-out form would pass
        MAX_WRITTEN_SIZE operations or MAX_WRITTEN_DEPTH levels (40 lines of `v2 = sigma(v1) +
        v1*v1` write out to 2^40 leaves; 300 of `v2 = sigma(v1)` nest past Python's recursion
        limit), and every node built on one. Estimated from the node expressions alone, before
        SymPy is asked to build anything; backprop needs none of it."""
        info, out = {}, set()
        for node in self.nodes:
            if out.intersection(node.parents):
                out.add(node.name)
                continue
            depth, size = _measure(node.expr, info, None)
            e = node.expr
            head = info[e.name][2] if e.is_Symbol and e.name in info else type(e)
            info[node.name] = (depth, size, head)
            if depth > MAX_WRITTEN_DEPTH or size > MAX_WRITTEN_SIZE:
                out.add(node.name)
        return frozenset(out)

    @cached_property
    def full(self):
        """name -> its expression in the leaves only (the calculus-class expansion); a node in
        `unwritten` stands for itself."""
        out = {n: sym(n) for n in self.inputs}
        for node in self.nodes:
            out[node.name] = (sym(node.name) if node.name in self.unwritten
                              else node.expr.xreplace({sym(p): out[p] for p in node.parents}))
        return out

    def values(self, point):
        """Forward values at `point` ({name: number}), leaves included, at DIGITS digits."""
        env = {sym(k): v for k, v in point.items()}
        vals = {k: env[sym(k)] for k in self.inputs if sym(k) in env}
        with with_digits():
            for node in self.nodes:
                v = evaluate(node.expr, env)
                env[sym(node.name)] = vals[node.name] = v
        return vals

    def backprop(self, wrt=None):
        from .backprop import backprop
        return backprop(self, wrt)

    @classmethod
    def from_sympy(cls, expr, gates=False, output="f"):
        """A graph of `expr`; identical subexpressions become one node with fan-out.

        gates=False: one node per SymPy operation; gates=True: CS231n's elementary gates
        (binary add and mul, max, exp, 1/x, +const, *const), so a circuit appears node by node.
        """
        if not isinstance(expr, sympy.Basic):
            raise TypeError("Graph.from_sympy takes a SymPy expression; parse text with parse_spec")
        expr = _ours(expr)
        leaves = sorted(expr.free_symbols, key=lambda s: _natural(s.name))
        builder = _Builder(gates)
        top = builder.node(expr)
        if top.is_Symbol and top.name in {s.name for s in leaves}:
            top = builder.add(top, "id")
        nodes = builder.nodes
        last = nodes[-1]
        renamed = last.name
        nodes[-1] = Node(output, last.expr, last.parents, gate=last.gate)
        if renamed != output:
            nodes = [Node(n.name, n.expr.xreplace({sym(renamed): sym(output)}), n.parents, gate=n.gate)
                     for n in nodes]
        names = tuple(s.name for s in leaves)
        return cls(names, tuple(nodes), names)


def _measure(e, info, outer):
    """(depth, size) of `e` with each node name standing for its written-out form; a sum inside a
    sum and a product inside a product flatten."""
    if e.is_Symbol:
        hit = info.get(e.name)
        if hit is None:
            return 1, 1
        depth, size, head = hit
        return (depth - 1 if head is outer and head in (sympy.Add, sympy.Mul) else depth), size
    if not e.args:
        return 1, 1
    parts = [_measure(a, info, type(e)) for a in e.args]
    return 1 + max(d for d, _ in parts), 1 + sum(s for _, s in parts)


def _natural(name):
    import re
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _ours(expr):
    """SymPy's own heads that have ours: real symbols, order-keeping Max/Min."""
    expr = expr.xreplace({s: sym(s.name) for s in expr.free_symbols})
    return expr.replace(lambda e: isinstance(e, (sympy.Max, sympy.Min)) and len(e.args) == 2,
                        lambda e: (F.Max if isinstance(e, sympy.Max) else F.Min)(*e.args))


class _Builder:
    """Post-order walk that names each new subexpression `v1, v2, ...`."""

    def __init__(self, gates):
        self.gates, self.nodes, self.seen = gates, [], {}

    def add(self, expr, gate):
        if expr in self.seen:
            return self.seen[expr]
        name = f"v{len(self.nodes) + 1}"
        parents = tuple(sorted((s.name for s in expr.free_symbols), key=_natural))
        self.nodes.append(Node(name, expr, parents, gate=gate))
        self.seen[expr] = sym(name)
        return sym(name)

    def node(self, e):
        if e.is_Atom:
            return e
        if not self.gates:
            p = primitive(e)
            if p is None:
                raise ValueError(f"no derivative rule for {type(e).__name__}")
            return self.add(e.func(*(self.node(a) for a in e.args)), p.gate or type(e).__name__)
        return self.gate(e)

    def gate(self, e):
        if e.is_Add:
            const = sum(a for a in e.args if a.is_Number)
            terms = [a for a in e.as_ordered_terms() if not a.is_Number]   # printed order: w0*x0 + w1*x1 + w2
            if all(t.could_extract_minus_sign() for t in terms) and len(terms) > 1:
                out = self.add(-1 * self.chain(sympy.Add, [-t for t in terms]), "*-1")
            else:
                out = self.chain(sympy.Add, terms)
            return self.add(out + const, f"+{const}") if const else out
        if e.is_Mul:
            coeff, rest = e.as_coeff_mul()
            out = self.chain(sympy.Mul, list(rest))
            return self.add(coeff * out, f"*{coeff}") if coeff != 1 else out
        if e.is_Pow and e.exp == -1:
            return self.add(1 / self.node(e.base), "1/x")
        if e.is_Pow and e.exp.is_Number:
            return self.add(self.node(e.base) ** e.exp, f"^{e.exp}")
        p = primitive(e)
        if p is None:
            raise ValueError(f"no derivative rule for {type(e).__name__}")
        return self.add(e.func(*(self.node(a) for a in e.args)), p.gate or type(e).__name__)

    def chain(self, op, terms):
        out = self.node(terms[0])
        for t in terms[1:]:
            out = self.add(op(out, self.node(t)), "+" if op is sympy.Add else "*")
        return out
