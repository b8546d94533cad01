"""The derivation as the JSON document of docs/json.md."""
import mpmath

from .evaluate import with_digits
from .printing import Latex, Text, ranked


def number(v):
    """A value for JSON: a float, or nested lists of floats (a column vector flat)."""
    from .text import plain
    v = plain(v)
    if isinstance(v, list):
        return [number(x) for x in v]
    return float(mpmath.mpf(v))


def whole(v):
    """A class label's value (or a batch's list of them) as whole numbers."""
    return [int(x) for x in v] if isinstance(v, list) else int(v)


def derivation_json(d, point=None, lr=None):
    g = d.graph
    text, tex = ranked(Text(ascii=True), g), ranked(Latex(g.latex_names), g)
    out = {
        "output": g.output,
        "inputs": list(g.inputs),
        "wrt": list(d.wrt),
        "forward": [{"name": n.name, "expr": text.forward(g, n),
                     "latex": f"{tex.name(n.name)} = {tex.forward(g, n)}"} for n in g.nodes],
        "backward": [{"name": a.name, "expr": text.adjoint(a), "terms": [text.term(t) for t in a.terms],
                      "latex": f"{tex.name(a.name + '_bar')} = {tex.adjoint(a)}"} for a in d.order],
        "gradients": {w: text.doprint(e) for w, e in d.gradients.items()},
    }
    if point is not None:
        vals, adj = d.values(point)
        labels = getattr(g, "labels", {})
        out["values"] = {k: whole(number(v)) if k in labels else number(v) for k, v in vals.items()}
        out["adjoint_values"] = {k: number(v) for k, v in adj.items()}
        if lr is not None:
            with with_digits():
                eta = mpmath.mpf(lr.p) / lr.q
                out["updated"] = {w: number(vals[w] - eta * adj[w]) for w in d.wrt if w in vals}
    return out
