"""The derivation for people: plain text and Markdown, with numbers when there is a point."""
import mpmath
import sympy

from .functions import sym
from .limits import MAX_WRITTEN_DEPTH, MAX_WRITTEN_SIZE
from .matrix import Const, Leaf, MExpr, count_ops, preorder
from .printing import Text, ranked


SYMBOLS = {False: {"d": "∂", "x": "×", "eta": "η", "<-": "←", "-": "−"},
           True: {"d": "d", "x": "x", "eta": "eta", "<-": "<-", "-": "-"}}


def plain(v):
    """A matrix value as lists: a column vector flat, a 1×1 matrix a number."""
    if not hasattr(v, "shape"):
        return v
    if v.shape == (1, 1):
        return v[0, 0]
    return [row[0] for row in v.tolist()] if v.shape[1] == 1 else v.tolist()


def fmt(v):
    """A value as people read it: 6 significant digits, no trailing noise."""
    v = plain(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    s = mpmath.nstr(mpmath.mpf(v), 6, min_fixed=-4, max_fixed=8)
    return s[:-2] if s.endswith(".0") else s


def signed(v):
    """A value as a factor: negative ones (and matrices) in parentheses."""
    v = plain(v)
    return f"({fmt(v)})" if isinstance(v, list) or v < 0 else fmt(v)


def ops(e):
    return count_ops(e) if isinstance(e, MExpr) else int(sympy.count_ops(e))


def _written(e):
    """An expression and its subexpressions that do some work (no names, numbers or −x)."""
    if isinstance(e, MExpr):
        return (s for s in preorder(e) if not isinstance(s, (Leaf, Const)))
    return (s for s in sympy.preorder_traversal(e) if not s.is_Atom and not (s.is_Mul and s.args[0] == -1))


def repeated(exprs, limit=6):
    """Subexpressions the full expansion writes more than once (backprop computes each once)."""
    counts = {}
    for e in exprs:
        for sub in _written(e):
            if ops(sub) >= 1:
                counts[sub] = counts.get(sub, 0) + 1
    rows = sorted(((c, ops(s), s) for s, c in counts.items() if c > 1), key=lambda r: (-r[1], -r[0], str(r[2])))
    out = []
    for c, _, s in rows:
        if not any(big.has(s) and c <= cb for cb, big in out):   # not only inside a bigger one
            out.append((c, s))
    return out[:limit]


def lines(d, printer, point=None, lr=None, expand=False):
    """(section title, rows) of a derivation; shared by text and Markdown."""
    g, sy = d.graph, SYMBOLS[printer.ascii]
    vals, adj = d.values(point) if point is not None else ({}, {})
    env = {sym(k): v for k, v in vals.items()}
    from .evaluate import evaluate
    fwd = []
    for n in g.nodes:
        row = f"{printer.name(n.name)} = {printer.forward(g, n)}"
        fwd.append(row + (f"   = {fmt(vals[n.name])}" if vals else ""))
    out = [("forward", fwd)]
    back = []
    for a in d.order:
        row = f"{printer.name(a.name + '_bar')} = {printer.adjoint(a)}"
        if adj:
            row += f"   = {fmt(adj[a.name])}"
            edges = [f"{printer.name(t.upstream)}: local {fmt(evaluate(t.chain, env))} {sy['x']} upstream {fmt(adj[t.upstream])}"
                     for t in a.terms if hasattr(t, "local")]
            if edges:
                row += "   (" + "; ".join(edges) + ")"
        back.append(row)
    out.append((f"backward ({printer.name('v_bar')} = {sy['d']}{printer.name(g.output)}/{sy['d']}v)", back))
    grads = d.gradients
    too_big = {w for w in d.wrt if d.leaf_adjoints[w] is None}
    out.append(("gradients", [f"{sy['d']}{printer.name(g.output)}/{sy['d']}{printer.name(w)} = {printer.doprint(grads[w])}"
                              + (f"   = {fmt(adj[w])}" if adj else "")
                              + ("   (in adjoints: too large to write out in the inputs)" if w in too_big else "")
                              for w in d.wrt]))
    if lr is not None and adj:
        eta = mpmath.mpf(lr.p) / lr.q
        out.append((f"gradient step ({sy['eta']} = {printer.doprint(lr)})",
                    [f"{printer.name(w)} {sy['<-']} {fmt(vals[w])} {sy['-']} {fmt(eta)}{printer.times}{signed(adj[w])} = {fmt(vals[w] - eta * adj[w])}"
                     for w in d.wrt if w in vals]))
    if expand and too_big:
        out.append(("calculus-class full expansion", [
            f"not written: {', '.join(printer.name(w) for w in sorted(too_big))} would have more than "
            f"{MAX_WRITTEN_SIZE:,} operations (or {MAX_WRITTEN_DEPTH} levels) each in the inputs, which backprop computes in "
            f"{sum(ops(a.expr) for a in d.order)}"]))
    elif expand:
        adj_ops = sum(ops(a.expr) for a in d.order)
        full_ops = sum(ops(grads[w]) for w in d.wrt)
        rows = [f"{sy['d']}{printer.name(g.output)}/{sy['d']}{printer.name(w)} = {printer.doprint(grads[w])}" for w in d.wrt]
        rows.append(f"operations: full expansion {full_ops}, backprop adjoints {adj_ops}, "
                    f"forward graph {sum(ops(n.expr) for n in g.nodes)}")
        for c, s in repeated([grads[w] for w in d.wrt]):
            rows.append(f"repeated {c}{sy['x']}: {printer.doprint(s)}")
        out.append(("calculus-class full expansion", rows))
    return out


def derivation_text(d, ascii=False, point=None, lr=None, expand=False):
    blocks = lines(d, ranked(Text(ascii=ascii), d.graph), point, lr, expand)
    return "\n".join(f"{title}\n" + "\n".join("  " + r for r in rows) for title, rows in blocks) + "\n"


def derivation_markdown(d, point=None, lr=None, expand=False):
    from .latex import derivation_latex
    blocks = lines(d, ranked(Text(ascii=False), d.graph), point, lr, expand)
    body = "\n\n".join(f"### {title}\n\n" + "\n".join(f"- `{r}`" for r in rows) for title, rows in blocks)
    return body + "\n\n$$\n" + derivation_latex(d).rstrip("\n") + "\n$$\n"
