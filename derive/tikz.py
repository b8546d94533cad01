r"""The computational graph as a TikZ picture, CS231n style: inputs on the left, one node per
assignment, each edge with the value flowing forward above it in green and the gradient flowing
back below it in red (local × upstream at a point, the symbolic term without one).

Math is written with `\ensuremath`, never `$` or `\[`, so an adjoint reader that takes only the
math blocks of a document passes over the figure.
"""
import re
from dataclasses import dataclass

import mpmath
import numpy as np

from .evaluate import DIGITS
from .matrix import mevaluate
from .printing import Latex, ranked
from .shown import GREEN, RED, bmatrix, number, tex_number

ROW_CM = 1.7        # least vertical distance between two nodes of one layer
WIDTH_CM = 16.0     # wider pictures are scaled down to this
MIN_SCALE = 0.6     # ... but no further: a longer chain of layers goes on in a band below
HEIGHT_CM = 17.0    # and bands that would not fit on a page with its title are scaled down to this
MAX_ENTRIES = 2     # matrix values with more entries show their shape instead


@dataclass(frozen=True)
class Place:
    name: str
    x: float
    y: float
    band: int = 0


def layout(graph, widths, gap, margins=None, sweeps=4, band_cm=WIDTH_CM / MIN_SCALE):
    """name -> Place: a node one layer right of its deepest parent, an input one layer left of its
    first consumer, layers `gap` apart between their widest labels, a new band below when a row
    of layers would be wider than `band_cm`; within a layer, nodes ordered by the mean height of their neighbours (a few
    sweeps left to right and back), at least ROW_CM apart."""
    layer = {}
    for node in graph.nodes:
        layer[node.name] = 1 + max((layer.get(p, 0) for p in node.parents), default=0)
    consumers = graph.consumers
    for node in reversed(graph.nodes[:-1]):     # as late as its first consumer allows
        later = [layer[c.name] for c in consumers[node.name]]
        if later:
            layer[node.name] = min(later) - 1
    for name in graph.inputs:
        layer[name] = min((layer[c.name] for c in consumers[name]), default=1) - 1
    near = {n: [c.name for c in consumers[n]] for n in graph.names}
    for node in graph.nodes:
        near[node.name] += list(node.parents)
    layers = [[n for n in graph.names if layer[n] == k] for k in sorted(set(layer.values()))]
    height = {}
    for names in layers:
        _spread(names, {n: -i * ROW_CM for i, n in enumerate(names)}, height)
    for sweep in range(sweeps):
        for names in (layers if sweep % 2 == 0 else layers[::-1]):
            want = {n: sum(height[m] for m in near[n]) / len(near[n]) if near[n] else height[n]
                    for n in names}
            _spread(names, want, height)
    margins = margins or {}
    xs, x, prev = {}, 0.0, None
    for k, names in enumerate(layers):
        wide = max(widths[n] for n in names)
        if prev is not None:
            x += prev / 2 + gap + wide / 2 + _margin(names, margins)
        xs[k], prev = x, wide
    band, origin, b = {}, xs[0], 0
    for k, names in enumerate(layers):
        if k and xs[k] - origin + max(widths[n] for n in names) / 2 > band_cm:
            b, origin = b + 1, xs[k] - max(widths[n] for n in names) / 2 - _margin(names, margins)
        band[k] = (b, origin)
    index = {n: k for k, names in enumerate(layers) for n in names}
    offset, bottom = {}, None
    for b in sorted({v[0] for v in band.values()}):
        ys = [height[n] for n in graph.names if band[index[n]][0] == b]
        offset[b] = 0.0 if bottom is None else bottom - 2.5 * ROW_CM - max(ys)
        bottom = offset[b] + min(ys)
    return {n: Place(n, round(xs[index[n]] - band[index[n]][1], 3), round(height[n] + offset[band[index[n]][0]], 3),
                     band[index[n]][0]) for n in graph.names}


def _margin(names, margins):
    return max(margins.get(n, 0) for n in names)


def _spread(names, want, height):
    """Heights near `want`, at least ROW_CM apart, in the order of `want` (ties: spec order)."""
    ordered = sorted(names, key=lambda n: -want[n])
    out = []
    for n in ordered:
        y = want[n] if not out else min(want[n], out[-1] - ROW_CM)
        out.append(y)
    shift = (sum(want[n] for n in ordered) - sum(out)) / len(out)
    for n, y in zip(ordered, out):
        height[n] = round(y + shift, 3)


def edge_number(v):
    """A number as the slides print it (two decimals) in math mode."""
    return tex_number(number(v))


def edge_value(v):
    """A value in math mode: a number, or a small matrix as a bmatrix."""
    if not hasattr(v, "shape"):
        return edge_number(v)
    if v.shape == (1, 1):
        return edge_number(v[0, 0])
    return bmatrix(v.tolist(), edge_number)


def _small(v):
    return not hasattr(v, "shape") or int(np.prod(v.shape)) <= MAX_ENTRIES


def _shape(p, shape):
    return rf"{p.doprint(shape[0])}{{\times}}{p.doprint(shape[1])}"


def graph_tikz(d, point=None, gradients=True):
    """A `tikzpicture` of the derivation's graph; values and gradients when `point` is given;
    `gradients=False` (an exercise sheet) leaves out everything that flows back."""
    g = d.graph
    p = ranked(Latex(g.latex_names), g)
    matrix = getattr(g, "is_matrix", False)
    vals, adj, flow = {}, {}, {}
    if point is not None:
        vals, adj = d.values(point)
        flow = _flows(d, point, vals, adj)
    labels = {name: p.name(name) if name not in g.defs else f"{p.name(name)} = {p.forward(g, g.defs[name])}"
              for name in g.names}
    edges = [(parent, node.name, _above(p, g, parent, vals, matrix), _below(p, d, parent, node.name, flow))
             for node in g.nodes for parent in node.parents]
    edges.append((g.output, None, _above(p, g, g.output, vals, matrix),
                  edge_value(adj[g.output]) if g.output in adj else "1"))
    if not gradients:
        edges = [(a, b, above, "") for a, b, above, _ in edges]
        adj = {}
    fanout = {n for n, cs in g.consumers.items() if len(cs) > 1}
    totals = {n: rf"{p.name(n + '_bar')} = {edge_value(adj[n])}" for n in g.names
              if n in fanout and n in adj and _small(adj[n])}
    places = layout(g, {n: tex_width(labels[n]) for n in g.names},
                    max([tex_width(a) for *_, a, _ in edges] + [tex_width(b) for *_, b in edges]) + 0.6,
                    {n: tex_width(t) for n, t in totals.items()})
    ids = {n: f"n{i}" for i, n in enumerate(g.names)}
    gap = max(1.2, max(tex_width(e[2]) for e in edges if e[1] is None) + 0.6)
    last = places[g.output]
    right = max([last.x + tex_width(labels[g.output]) / 2 + gap]
                + [pl.x + tex_width(labels[n]) / 2 + 0.6 for n, pl in places.items()])
    left = min(pl.x - tex_width(labels[n]) / 2 - tex_width(totals.get(n, "")) - 0.6 for n, pl in places.items())
    tall = max(pl.y for pl in places.values()) - min(pl.y for pl in places.values()) + 2 * ROW_CM
    scale = min(max(MIN_SCALE, min(1.0, WIDTH_CM / (right - left))), HEIGHT_CM / tall)
    opts = [">=stealth", "font=\\small",
            "op/.style={draw, rounded corners, fill=black!4, inner sep=3pt}",
            "leaf/.style={inner sep=2pt}"]
    if scale < 1:
        opts += [f"scale={scale:.3f}", "every node/.style={transform shape}"]
    out = [r"\begin{tikzpicture}[" + ", ".join(opts) + "]",
           rf"\definecolor{{bpforward}}{{HTML}}{{{GREEN[1:]}}}\definecolor{{bpgrad}}{{HTML}}{{{RED[1:]}}}"]
    for name in g.names:
        pl = places[name]
        style = "op" if name in g.defs else "leaf"
        out.append(rf"\node[{style}] ({ids[name]}) at ({pl.x:.2f},{pl.y:.2f}) {{\ensuremath{{{labels[name]}}}}};")
        if name in totals:
            out.append(rf"\node[anchor=east, text=bpgrad] at ({ids[name]}.west) {{\ensuremath{{{totals[name]}}}}};")
    out.append(rf"\coordinate (out) at ({last.x + tex_width(labels[g.output]) / 2 + gap:.2f},{last.y:.2f});")
    for parent, child, above, below in edges:
        a, b = places[parent], places.get(child)
        if b is not None and b.band != a.band:      # down to the next band, in at the left
            lane = min(pl.y for pl in places.values() if pl.band == a.band) - 1.25 * ROW_CM
            side = b.x - tex_width(labels[child]) / 2 - 0.5
            out.append(_edge(ids[parent], ids[child], above, below,
                             route=rf"-- ++(0.4,0) |- ({side:.2f},{lane:.2f}) |-", pos=0.75))
        else:
            out.append(_edge(ids[parent], ids[child] if child else "out", above, below))
    out.append(r"\end{tikzpicture}")
    return "\n".join(out) + "\n"


def tex_width(tex):
    """A rough width in cm of math `tex` in a small font: visible characters, commands as one."""
    if not tex:
        return 0.0
    s = re.sub(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}",
               lambda m: max(m.group(1).split(r"\cr"), key=len), tex)
    s = re.sub(r"\\(?:left|right|operatorname|mathrm|mathcal|mathbf|bar|frac|top|,|;|quad|colon)(?![A-Za-z])", "", s)
    s = re.sub(r"\\[A-Za-z]+", "x", s)
    s = re.sub(r"[{}_^&\s]", "", s)
    return 0.2 * len(s) + 0.3


def _edge(a, b, above, below, route="--", pos=0.45):
    """An arrow a → b, what flows forward above it and what flows back below it."""
    labels = ""
    if above:
        labels += rf" node[pos={pos}, above, sloped, text=bpforward] {{\ensuremath{{{above}}}}}"
    if below:
        labels += rf" node[pos={pos}, below, sloped, text=bpgrad] {{\ensuremath{{{below}}}}}"
    start = f"({a}.east) " if route != "--" else f"({a}) "
    return rf"\draw[->] {start}{route}{labels} ({b});"


def _above(p, g, name, vals, matrix):
    """What flows forward along an edge: the value, or (matrices) the shape when it is large."""
    if name in vals and _small(vals[name]):
        return edge_value(vals[name])
    if matrix:
        return _shape(p, g.shape_of(name))
    return ""


def _below(p, d, parent, child, flow):
    """What flows back along parent → child: local × upstream at the point, else the term."""
    if (parent, child) in flow and _small(flow[(parent, child)]):
        return edge_value(flow[(parent, child)])
    a = d.by_name.get(parent)
    if a is None:
        return ""
    for t in a.terms:
        if t.upstream == child:
            return p.term(t)
    return "0" if parent in d.by_name else ""


def _flows(d, point, vals, adj):
    """(parent, child) -> the gradient along that edge at `point` (one term of parent's adjoint)."""
    if not getattr(d.graph, "is_matrix", False):
        return {k: lo * up for k, (lo, up) in d.local_values(point).items()}
    env = dict(d.graph.values(point))
    env.update({k + "_bar": v for k, v in adj.items()})
    out = {}
    with mpmath.workdps(DIGITS):
        for a in d.order:
            for t in a.terms:
                out[(a.name, t.upstream)] = mevaluate(t.expr, env)
    return out
