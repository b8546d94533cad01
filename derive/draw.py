"""The graph as a picture, CS231n style: a node per input and per assignment (or gate), the
forward value above each edge in green and, with a point, the gradient below it in red.

A matrix graph has a node per operation (@, ᵀ, an elementwise function, a sum), each with its
shape; its values and gradients are small matrices, or their norms when they are larger.

`.dot` writes the DOT source (no Graphviz program needed); `.svg`, `.png`, `.pdf` run `dot`.
"""
import html
import os

import mpmath
import sympy

from .errors import DrawError
from .evaluate import DIGITS
from .functions import BAR, sym
from .matrix import VJP, Const, Fill, Leaf, MatMul, Reduce, Transpose, mevaluate, show_shape, slot
from .mgraph import MatrixDerivation
from .printing import Text, ranked
from .rules import TABLE
from .shown import GREEN, RED, number

FORMATS = ("dot", "gv", "svg", "png", "pdf")




def _label(*rows):
    """An HTML-like label; rows are (text, colour or None, point size or None)."""
    out = []
    for text, colour, size in rows:
        s = html.escape(text)
        if size:
            s = f'<font point-size="{size}">{s}</font>'
        if colour:
            s = f'<font color="{colour}">{s}</font>'
        out.append(s)
    return "<" + "<br/>".join(out) + ">"


def _digraph():
    import graphviz

    return graphviz.Digraph("backprop", graph_attr={"rankdir": "LR", "fontname": "Helvetica"},
                            node_attr={"fontname": "Helvetica", "fontsize": "12"},
                            edge_attr={"fontname": "Helvetica", "fontsize": "11", "arrowsize": "0.7"})


def digraph(d, point=None):
    """The `graphviz.Digraph` of a derivation; values and gradients when `point` is given."""
    if isinstance(d, MatrixDerivation):
        return _MatrixPicture(d, point).draw()
    g, p = d.graph, ranked(Text(ascii=False), d.graph)
    vals, adj, local = {}, {}, {}
    if point is not None:
        vals, adj = d.values(point)
        local = d.local_values(point)
    ids = {n: f"n{i}" for i, n in enumerate(g.names)}
    dot = _digraph()
    fanout = {n for n, cs in g.consumers.items() if len(cs) > 1}

    def total(name):
        if name in fanout and name in adj:
            return [(f"{p.name(name + '_bar')} = {number(adj[name])}", RED, None)]
        return []

    for name in g.inputs:
        dot.node(ids[name], _label((p.name(name), None, None), *total(name)), shape="plaintext")
    for node in g.nodes:
        rows = ([(node.gate, None, 16), (p.name(node.name), None, 9)] if node.gate
                else [(f"{p.name(node.name)} = {p.forward(g, node)}", None, None)])
        shape = {"shape": "circle"} if node.gate else {"shape": "box", "style": "rounded"}
        dot.node(ids[node.name], _label(*rows, *total(node.name)), **shape)
    for node in g.nodes:
        for parent in node.parents:
            dot.edge(ids[parent], ids[node.name], label=_edge(parent, node.name, vals, adj, local))
    out = "output"
    dot.node(out, "", shape="point", style="invis")
    dot.edge(ids[g.output], out, label=_edge(g.output, None, vals, adj, local))
    return dot


def _edge(parent, child, vals, adj, local):
    """Forward value of `parent` above, the gradient flowing back along this edge below."""
    rows = []
    if parent in vals:
        rows.append((number(vals[parent]), GREEN, None))
    if child is None and parent in adj:
        rows.append((number(adj[parent]), RED, None))
    elif (parent, child) in local:
        lo, up = local[(parent, child)]
        rows.append((number(lo * up), RED, None))
    elif parent in adj and child in adj:
        rows.append((number(0), RED, None))
    return _label(*rows) if rows else ""


MAX_SHOWN = 3      # a value with more rows or columns than this is shown by its norm


def matrix_rows(v, colour):
    """Label rows for a value: a number, a short column as a transposed row, a small matrix row by
    row, anything larger as its (Frobenius) norm."""
    if v.size == 1:
        return [(number(v.flat[0]), colour, None)]
    if v.shape[1] == 1 and v.shape[0] <= MAX_SHOWN + 1:
        return [("[" + ", ".join(number(x) for x in v[:, 0]) + "]ᵀ", colour, None)]
    if v.shape[0] <= MAX_SHOWN and v.shape[1] <= MAX_SHOWN:
        return [("[" + "  ".join(number(x) for x in row) + "]", colour, 10) for row in v]
    norm = mpmath.sqrt(mpmath.fsum(mpmath.mpf(x) ** 2 for x in v.flat))
    return [(f"‖·‖ = {number(norm)}", colour, None)]


class _MatrixPicture:
    """A matrix derivation drawn with a node per operation of each assignment."""

    def __init__(self, d, point):
        self.d, self.g = d, d.graph
        self.p = ranked(Text(ascii=False), d.graph)
        self.dot = _digraph()
        self.ids, self.env, self.memo, self.adj = {}, None, {}, {}
        if point is not None:
            vals, self.adj = d.values(point)
            self.env = self.g.values(point)
            self.env.update({k + BAR: v for k, v in self.adj.items()})

    def value(self, e):
        if self.env is None:
            return None
        with mpmath.workdps(DIGITS):
            return mevaluate(e, self.env, self.memo)

    def draw(self):
        g, p = self.g, self.p
        for i, name in enumerate(g.inputs):
            self.ids[name] = f"n{i}"
            rows = [(p.name(name), None, None), (show_shape(g.shape_of(name)), None, 9)] + self.total(name)
            self.dot.node(self.ids[name], _label(*rows), shape="plaintext")
        self.count = len(g.inputs)
        for node in g.nodes:
            grad = Leaf(node.name + BAR, node.shape) if node.name in self.adj else None
            self.ids[node.name] = self.operation(node.expr, grad, node, {})
        out = "output"
        self.dot.node(out, "", shape="point", style="invis")
        rows = []
        if self.env is not None:
            rows = matrix_rows(self.env[g.output], GREEN) + matrix_rows(self.adj[g.output], RED)
        self.dot.edge(self.ids[g.output], out, label=_label(*rows) if rows else "")
        return self.dot

    def operation(self, e, grad, node, seen):
        """The id of the node drawing `e` (an operation of `node`, or a name it reads), its
        operands drawn first, each edge labelled with the operand's value and the gradient that
        flows back along it (`grad` is the gradient arriving at `e`, a matrix expression)."""
        if isinstance(e, Leaf) and e is not node.expr:
            return self.ids[e.name]
        if e in seen:
            return seen[e]
        nid = seen[e] = f"n{self.count}"
        self.count += 1
        top, symbol = e is node.expr, self.symbol(e)
        rows = [(symbol, None, 16 if len(symbol) <= 4 else None)]
        if top:
            rows.append((self.p.name(node.name), None, 9))
        rows.append((show_shape(e.shape), None, 9))
        if top:
            rows += self.total(node.name)
        self.dot.node(nid, _label(*rows), shape="box", style="rounded")
        for i, child in enumerate(e.children() if not isinstance(e, Leaf) else (e,)):
            label = isinstance(child, Leaf) and child.name in getattr(self.g, "labels", {})
            back = grad if isinstance(e, Leaf) or grad is None else None if label else VJP[type(e)](e, grad, i)
            cid = (self.constant(child) if isinstance(child, Const) else self.ids[child.name] if child is e
                   else self.operation(child, back, node, seen))
            labels = []
            if self.env is not None:
                labels += matrix_rows(self.value(child), GREEN)
                if back is not None:
                    labels += matrix_rows(self.value(back), RED)
            self.dot.edge(cid, nid, label=_label(*labels) if labels else "")
        return nid

    def total(self, name):
        """A name's whole adjoint, on its node, when more than one edge carries a share of it."""
        if len(self.g.consumers[name]) < 2 or name not in self.adj:
            return []
        return [(f"{self.p.name(name + BAR)} =", RED, 9)] + matrix_rows(self.adj[name], RED)

    def constant(self, c):
        nid = f"n{self.count}"
        self.count += 1
        self.dot.node(nid, _label((self.p.doprint(c.value), None, None)), shape="plaintext")
        return nid

    def symbol(self, e):
        """What an operation node says: @, ᵀ, +, ∘, σ, sum (axis 0), ‖·‖², ... or its elementwise
        formula, an operation's result written □."""
        if isinstance(e, Leaf):
            return "="
        if isinstance(e, MatMul):
            return "@"
        if isinstance(e, Transpose):
            return "ᵀ"
        if isinstance(e, Fill):
            return "spread"
        if isinstance(e, Reduce):
            if e.kind == "norm2":
                return "‖·‖²"
            return e.kind + ("" if e.axis is None else f" (axis {e.axis})")
        if not hasattr(e, "template"):          # a class-label op (softmax, pick, onehot, ...): its name
            axis = getattr(e, "axis", None)
            return type(e).__name__.lower() + ("" if axis is None else f" (axis {axis})")
        t, slots = e.template, [slot(i) for i in range(len(e.args))]
        if len(slots) > 1 and t == sympy.Add(*slots):
            return "+"
        if len(slots) > 1 and t == sympy.Mul(*slots):
            return "∘" if all(not a.is_scalar for a in e.args) else "·"
        p = TABLE.get(type(t))
        if p is not None and p.uni and t.args[:1] == (slots[0],) and len(slots) == 1:
            return p.uni
        names = {s: sym(a.name if isinstance(a, Leaf) else "□") for s, a in zip(slots, e.args)}
        return self.p.doprint(t.xreplace(names))


def draw(derivation, path, point=None):
    """Write the graph of `derivation` to `path` (.dot/.gv source, or .svg/.png/.pdf via dot)."""
    import graphviz

    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext not in FORMATS:
        raise DrawError(f"cannot draw to '{path}': the file name must end in "
                        + ", ".join("." + f for f in FORMATS))
    dot = digraph(derivation, point)
    if ext in ("dot", "gv"):
        data = dot.source.encode("utf-8")
    else:
        try:
            data = dot.pipe(format=ext)
        except graphviz.ExecutableNotFound:
            raise DrawError(f"drawing '{path}' needs the Graphviz program 'dot', which is not on PATH; "
                            "install Graphviz (Debian: apt-get install graphviz) or draw to a .dot file"
                            ) from None
        except graphviz.CalledProcessError as e:
            detail = (e.stderr or b"").decode("utf-8", "replace").strip()
            raise DrawError(f"Graphviz 'dot' failed on '{path}'" + (f": {detail}" if detail else "")) from None
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as e:
        raise DrawError(f"cannot write '{path}': {e.strerror}") from None
    return path


def node_id(graph, name):
    """The id `digraph` gives the node of `name` in a scalar graph; an edge's SVG title is
    `from->to` in these ids (the output's edge ends at `output`)."""
    return f"n{graph.names.index(name)}"
