"""The graph as a picture, CS231n style: a node per input and per assignment (or gate), the
forward value above each edge in green and, with a point, the gradient below it in red.

`.dot` writes the DOT source (no Graphviz program needed); `.svg`, `.png`, `.pdf` run `dot`.
"""
import html
import os

import mpmath

from .printing import Text, ranked

GREEN, RED = "#1a7f37", "#cf222e"
FORMATS = ("dot", "gv", "svg", "png", "pdf")


class DrawError(RuntimeError):
    """The picture cannot be made (unknown file type, no `dot` program, unwritable path)."""


def number(v):
    """A value the way the lecture slides print it: two decimals (-0.53, 0.73)."""
    v = float(mpmath.mpf(v))
    if v == 0 or 0.01 <= abs(v) < 1e5:
        return f"{v:.2f}"
    return f"{v:.2g}"


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


def digraph(d, point=None):
    """The `graphviz.Digraph` of a derivation; values and gradients when `point` is given."""
    import graphviz

    g, p = d.graph, ranked(Text(ascii=False), d.graph)
    vals, adj, local = {}, {}, {}
    if point is not None:
        vals, adj = d.values(point)
        local = d.local_values(point)
    ids = {n: f"n{i}" for i, n in enumerate(g.names)}
    dot = graphviz.Digraph("backprop", graph_attr={"rankdir": "LR", "fontname": "Helvetica"},
                           node_attr={"fontname": "Helvetica", "fontsize": "12"},
                           edge_attr={"fontname": "Helvetica", "fontsize": "11", "arrowsize": "0.7"})
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
