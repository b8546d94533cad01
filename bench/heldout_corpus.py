"""The held-out mutant corpus, labelled by construction and made apart from the tuned corpora:
new small specs (tests/data/heldout_specs/: softplus, swish, a tanh RNN, log-cosh, pseudo-Huber, two-class
cross-entropy, L1+L2 regression, a ReLU net with biases, a batch MSE, attention scores, a product of
three, exp·sin, log(1 + r²), the CSC321 net in scalars), correct answers as students write them
(forward names, adjoints, written out), and one student mistake put into each, printed in one of
three spellings (ASCII `sigma'(z)*x`, Unicode `σ′(z)·x`/`Wᵀ`/`∘`, LaTeX `\\sigma'(z)`/`\\frac`/`\\bar{z}`).
Written to tests/data/heldout_mutants.tsv by `python bench/heldout_corpus.py`; deterministic.

The mistakes: a sign flipped (the whole or one term), a dropped ½ or 2 or a factor 2 on one term
(`constant_factor`), σ for σ′, relu for relu′, tanh′ written 1 − tanh or 1 − h
(`derivative_of_wrong_function`), a chain factor or a denominator forgotten (`missing_factor`; a
dropped 1/N counts here, N being a size and not a number), a factor written twice or a stray
leaf multiplied in (`extra_factor`), a fan-out path, a regularisation term or the constant of
`p − 1` left out (`missing_term`), a stray name or constant added (`extra_term`; `+ 1` is an extra
term), one name for another (`wrong_variable`, the variable differentiated for another and back),
and for matrices a transpose added or dropped, `*` for `@` or back, a `sum(·, axis=0)` left out.

Labels where two names are true follow docs/rules.md's order (first match wins): a mutant equal to
−1 times the truth is `sign`, one equal to a number times the truth is `constant_factor`, whatever
edit made it (these are found by judging `k*(mutant)` for the k its counterexample shows), and a
matrix mutant of another shape than the gradient's is `wrong_shape` unless its edit was a transpose
or a dropped batch sum (those come first, or are what the shape says). A mutant whose shapes do not
fit at all keeps the name of its edit (a ∘ for @, a transpose): it has no shape to be wrong. A mutant is kept only when it
is judged `incorrect` at seed 0, and a spelling only when it reads as the same function as the
ASCII one (the same counterexample and the same largest relative error over the evidence)."""
import multiprocessing
import os
import re
import sys

import sympy

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

from matrix_corpus import PREC, parent_of, put, read, show, spots   # noqa: E402  (the tiny claim reader)

OUT = os.path.join(ROOT, "tests", "data", "heldout_mutants.tsv")
SPECS = os.path.join(ROOT, "tests", "data", "heldout_specs")

SCALAR = [
    ("softplus_reg", "w", "(y - t)*sigma(z)*x"), ("softplus_reg", "w", "z_bar*x"),
    ("softplus_reg", "b", "(y - t)*sigma(z)"), ("softplus_reg", "x", "(y - t)*sigma(z)*w"),
    ("swish", "w", "(s - t)*(sigma(z) + z*sigma'(z))*x"),
    ("swish", "w", "(s - t)*(sigma(z) + z*sigma(z)*(1 - sigma(z)))*x"),
    ("swish", "b", "s_bar*(sigma(z) + z*sigma'(z))"),
    ("rnn_scalar", "u", "(h2 - t)*(1 - h2^2)*(x2 + v*(1 - h1^2)*x1)"),
    ("rnn_scalar", "v", "(h2 - t)*(1 - h2^2)*h1 + (h2 - t)*(1 - h2^2)*v*(1 - h1^2)*h0"),
    ("rnn_scalar", "b", "(h2 - t)*(1 - h2^2) + (h2 - t)*(1 - h2^2)*v*(1 - h1^2)"),
    ("rnn_scalar", "h0", "(h2 - t)*tanh'(u*x2 + v*h1 + b)*v*tanh'(u*x1 + v*h0 + b)*v"),
    ("logcosh", "w", "tanh(r)*x"), ("logcosh", "w", "(exp(r) - exp(-r))/(exp(r) + exp(-r))*x"),
    ("logcosh", "b", "(exp(r) - exp(-r))/(2*c)"),
    ("pseudo_huber", "w", "r*x/sqrt(1 + (r/d)^2)"), ("pseudo_huber", "t", "-r/sqrt(1 + r^2/d^2)"),
    ("pseudo_huber", "x", "w*r/sqrt(1 + (r/d)^2)"),
    ("xent2", "w1", "(p - 1)*x"), ("xent2", "w2", "(1 - p)*x"), ("xent2", "x", "(p - 1)*w1 + (1 - p)*w2"),
    ("elastic", "w", "r*x + alpha*sign(w) + 2*beta*w"), ("elastic", "b", "r"), ("elastic", "x", "r*w"),
    ("relu_net", "w1", "(y - t)*w2*relu'(z)*x"), ("relu_net", "w1", "h_bar*relu'(z)*x"),
    ("relu_net", "b1", "(y - t)*w2*relu'(z)"), ("relu_net", "w2", "(y - t)*h"),
    ("relu_net", "x", "(y - t)*w2*relu'(z)*w1"),
    ("mse3", "w", "2*(e1*x1 + e2*x2 + e3*x3)/3"), ("mse3", "w", "2/3*e1*x1 + 2/3*e2*x2 + 2/3*e3*x3"),
    ("mse3", "b", "2*(e1 + e2 + e3)/3"), ("mse3", "x2", "2/3*e2*w"),
    ("attn_scalar", "a1", "(g - 1)*b1/sqrt(d)"), ("attn_scalar", "a2", "-(1 - g)*b2/sqrt(d)"),
    ("attn_scalar", "b2", "(g - 1)*a2/sqrt(d)"),
    ("prod3", "x", "2*(f - t)*y*z"), ("prod3", "y", "2*(f - t)*x*z"), ("prod3", "z", "2*(x*y*z - t)*x*y"),
    ("prod3", "t", "-2*(f - t)"),
    ("expsin", "w", "exp(u)*(sin(u) + cos(u))*x"), ("expsin", "w", "x*exp(u)*sin(u) + x*exp(u)*cos(u)"),
    ("expsin", "x", "exp(u)*(sin(u) + cos(u))*w"),
    ("log1p_sq", "w", "2*r*x/(1 + r^2)"), ("log1p_sq", "t", "-2*r/(1 + r^2)"), ("log1p_sq", "x", "2*r*w/(1 + r^2)"),
    ("csc321_net", "w11", "(y - t)*v1*sigma'(z1)*x1"), ("csc321_net", "w11", "(y - t)*v1*h1*(1 - h1)*x1"),
    ("csc321_net", "w22", "(y - t)*v2*h2*(1 - h2)*x2"), ("csc321_net", "b1", "(y - t)*v1*sigma'(z1)"),
    ("csc321_net", "v2", "(y - t)*h2"), ("csc321_net", "w21", "z2_bar*x1"),
    ("csc321_net", "x1", "(y - t)*v1*sigma'(z1)*w11 + (y - t)*v2*sigma'(z2)*w21"),
    ("csc321_net", "x2", "(y - t)*(v1*h1*(1 - h1)*w12 + v2*h2*(1 - h2)*w22)"),
]
MATRIX = [
    ("mse_batch", "W", "2*X.T @ (Y - T)/N"), ("mse_batch", "W", "X.T @ Y_bar"),
    ("mse_batch", "b", "sum(2*(Y - T)/N, axis=0)"), ("mse_batch", "X", "2*(Y - T) @ W.T/N"),
    ("ridge_lasso", "w", "X.T @ r + alpha*sign(w) + 2*beta*w"),
    ("ridge_lasso", "w", "X.T @ (X @ w - t) + alpha*sign(w) + 2*beta*w"), ("ridge_lasso", "X", "r @ w.T"),
    ("attn_score", "Q", "G @ K/sqrt(D)"), ("attn_score", "Q", "S_bar @ K/sqrt(D)"), ("attn_score", "K", "G.T @ Q/sqrt(D)"),
    ("swish_layer", "X", "(G*(sigma(Z) + Z*sigma'(Z))) @ W.T"),
    ("swish_layer", "W", "X.T @ (G*(sigma(Z) + Z*sigma(Z)*(1 - sigma(Z))))"), ("swish_layer", "W", "X.T @ Z_bar"),
    ("swish_layer", "b", "sum(G*(sigma(Z) + Z*sigma'(Z)), axis=0)"),
    ("rnn_col", "W_h", "((h - t)*(1 - h^2)) @ h0.T"), ("rnn_col", "W_h", "a_bar @ h0.T"),
    ("rnn_col", "W_x", "((h - t)*tanh'(a)) @ x.T"), ("rnn_col", "h0", "W_h.T @ ((h - t)*(1 - h^2))"),
    ("rnn_col", "x", "W_x.T @ a_bar"), ("rnn_col", "b", "(h - t)*(1 - h^2)"),
    ("relu_col", "W1", "(W2.T @ (y - t)*relu'(z)) @ x.T"), ("relu_col", "W1", "z_bar @ x.T"),
    ("relu_col", "b1", "W2.T @ (y - t)*relu'(z)"), ("relu_col", "W2", "(y - t) @ h.T"),
    ("relu_col", "b2", "y - t"), ("relu_col", "x", "W1.T @ (W2.T @ (y - t)*relu'(z))"),
    ("logreg_batch", "w", "X.T @ (p - t)/N"), ("logreg_batch", "X", "(p - t) @ w.T/N"),
    ("softmax_bias", "W", "X.T @ (P - onehot(y))/N"), ("softmax_bias", "b", "sum(P - onehot(y), axis=0)/N"),
    ("softmax_bias", "X", "(P - onehot(y)) @ W.T/N"),
    ("softplus_layer", "X", "(G*sigma(X @ W)) @ W.T"), ("softplus_layer", "W", "X.T @ (G*sigma(X @ W))"),
]
CAP = {"wrong_variable": 4, "extra_term": 3, "extra_factor": 3, "missing_factor": 5, "constant_factor": 4,
       "sign": 4, "missing_term": 4, "transpose": 4, "elementwise_vs_matmul": 3}
SIZES = {"N", "D", "H", "K", "M", "C"}


# --- three spellings of one tree --------------------------------------------------------------

GREEK = {"lambda": ("λ", r"\lambda"), "alpha": ("α", r"\alpha"), "beta": ("β", r"\beta"),
         "gamma": ("γ", r"\gamma")}
FUNCS = {"sigma": ("σ", r"\sigma"), "sigma'": ("σ′", r"\sigma'"), "tanh": ("tanh", r"\tanh"),
         "tanh'": ("tanh′", r"\tanh'"), "relu'": ("relu′", r"\mathrm{relu}'"), "relu": ("relu", r"\mathrm{relu}"),
         "exp": ("exp", r"\exp"), "log": ("log", r"\log"), "sin": ("sin", r"\sin"), "cos": ("cos", r"\cos"),
         "sign": ("sign", r"\operatorname{sign}"), "onehot": ("onehot", r"\operatorname{onehot}")}


def _uname(n):
    if n.endswith("_bar"):
        return _uname(n[:-4]) + "\u0304"
    return GREEK.get(n, (n,))[0]


def _lname(n):
    if n.endswith("_bar"):
        return r"\bar{" + _lname(n[:-4]) + "}"
    if n in GREEK:
        return GREEK[n][1]
    base = n.rstrip("0123456789")
    if base != n and "_" not in n:
        return f"{base}_{{{n[len(base):]}}}"
    if "_" in n:
        b, s = n.split("_", 1)
        return f"{b}_{{{s}}}"
    return n


class Printer:
    """Unicode (`style="u"`) or LaTeX (`"l"`) text of a claim tree; `scalar(e)` says whether a
    subtree is a scalar (then `*` is a product sign, else elementwise ∘ / \\odot)."""

    def __init__(self, style, scalar):
        self.style, self.scalar = style, scalar

    def name(self, n):
        return _uname(n) if self.style == "u" else _lname(n)

    def mul(self, a, b):
        if self.style == "u":
            return "·" if self.scalar(a) or self.scalar(b) else " ∘ "
        return r" \cdot " if self.scalar(a) or self.scalar(b) else r" \odot "

    def show(self, e, outer=0, right=False):
        k, u = e[0], self.style == "u"
        if k == "num":
            return e[1]
        if k == "name":
            return self.name(e[1])
        if k == "call":
            if e[1] == "sum":
                inner = self.show(e[2][0])
                return f"1ᵀ({inner})" if u else rf"\mathbf{{1}}^\top \left({inner}\right)"
            if e[1] == "sqrt":
                return f"sqrt({self.show(e[2][0])})" if u else rf"\sqrt{{{self.show(e[2][0])}}}"
            f = FUNCS[e[1]][0 if u else 1]
            return f"{f}({self.show(e[2][0])})" if u else rf"{f}\left({self.show(e[2][0])}\right)"
        if k == "T":
            return self.show(e[1], 3) + ("ᵀ" if u else r"^\top")
        if k == "pow":
            if u:
                return self.show(e[1], 3) + {"2": "²", "3": "³"}.get(e[2], "^" + e[2])
            return f"{self.show(e[1], 3)}^{{{e[2]}}}"
        if k == "neg":
            s = ("−" if u else "-") + self.show(e[1], 2)
            return f"({s})" if outer >= 2 else s
        op = e[1]
        if op == "/" and not u:
            return rf"\frac{{{self.show(e[2])}}}{{{self.show(e[3])}}}"
        p = PREC[op]
        sym = {"+": " + ", "-": " − " if u else " - ", "@": " ", "/": "/"}.get(op) or self.mul(e[2], e[3])
        s = f"{self.show(e[2], p)}{sym}{self.show(e[3], p, True)}"
        return f"({s})" if p < outer or (p == outer and right) or outer == 3 else s


# --- mistakes ---------------------------------------------------------------------------------

def _num(e):
    return e[0] == "num" or e[0] == "neg" and _num(e[1]) or e[0] == "bin" and e[1] == "/" and _num(e[2]) and _num(e[3])


def _names(e):
    return [n[1] for _p, n in spots(e) if n[0] == "name"]


def _top(e, path):
    """Whether the node at `path` is a term of the whole claim (only sums and negations above it)."""
    node = e
    for k in path:
        if not (node[0] == "neg" or node[0] == "bin" and node[1] in "+-"):
            return False
        node = node[k]
    return True


def mutants(e, wrt, names, shape_of, matrix, partners):
    """(kind, tree) pairs: one student mistake each, in a fixed order. `names` are the names a
    student may write (inputs, forward names, adjoints); `partners[n]` the names on a spec line
    with n, the ones a student confuses n with first."""
    out = [("sign", ("neg", e))]
    if not any(n[0] == "num" for _p, n in spots(e)):
        out.append(("constant_factor", ("bin", "*", ("bin", "/", ("num", "1"), ("num", "2")), e)))
    out.append(("constant_factor", ("bin", "*", ("num", "2"), e)))
    present, swaps = _names(e), []
    for path, node in spots(e):
        par = parent_of(e, path)
        top = _top(e, path)
        if node[0] == "neg" and top:
            out.append(("sign", put(e, path, node[1])))
        if node[0] == "bin" and node[1] in "+-":
            if top:
                out.append(("sign", put(e, path, ("bin", "-" if node[1] == "+" else "+", node[2], node[3]))))
            if top or _num(node[2]):
                out.append(("missing_term", put(e, path, node[3] if node[1] == "+" else ("neg", node[3]))))
            if top or _num(node[3]):
                out.append(("missing_term", put(e, path, node[2])))
            if top and not _num(node[3]) and not _num(node[2]):
                out.append(("constant_factor", put(e, path, ("bin", node[1], node[2], ("bin", "*", ("num", "2"), node[3])))))
        if node[0] == "bin" and node[1] == "*":
            for keep, drop in ((node[2], node[3]), (node[3], node[2])):
                if _num(drop):
                    out.append(("constant_factor", put(e, path, keep)))
                elif not (drop[0] == "bin" and drop[1] in "*/"):           # one factor forgotten, not a chain
                    out.append(("missing_factor", put(e, path, keep)))
            if matrix and not _num(node[2]) and not shape_of(node[2]) == (1, 1):
                out.append(("elementwise_vs_matmul", put(e, path, ("bin", "@", node[2], node[3]))))
            for side in (node[2], node[3]):
                if side[0] == "name" and (not matrix or shape_of(side) == shape_of(node)):
                    out.append(("extra_factor", put(e, path, ("bin", "*", node, side))))      # written twice
        if node[0] == "bin" and node[1] == "/":
            out.append(("constant_factor" if _num(node[3]) else "missing_factor", put(e, path, node[2])))
        if node[0] == "bin" and node[1] == "@":
            out.append(("elementwise_vs_matmul", put(e, path, ("bin", "*", node[2], node[3]))))
        if node[0] == "T":
            out.append(("transpose", put(e, path, node[1])))
        if matrix and node[0] == "name" and par is not None and par[0] == "bin" and par[1] == "@":
            out.append(("transpose", put(e, path, ("T", node))))
        if node[0] == "call" and node[1] == "sum":
            out.append(("missing_batch_sum", put(e, path, node[2][0])))
        if node[0] == "call" and node[1] in ("sigma'", "relu'"):
            out.append(("derivative_of_wrong_function", put(e, path, ("call", node[1][:-1], node[2]))))
        if node[0] == "call" and node[1] == "tanh'":
            out.append(("derivative_of_wrong_function",
                        put(e, path, ("bin", "-", ("num", "1"), ("call", "tanh", node[2])))))
        if node[0] == "bin" and node[1] == "-" and node[2] == ("num", "1") and node[3][0] == "pow":
            out.append(("derivative_of_wrong_function", put(e, path, ("bin", "-", node[2], node[3][1]))))
        if node[0] == "name" and node[1] in names:
            bar = node[1].endswith("_bar")
            for n in names:
                sibling = par is not None and par[0] == "bin" and ("name", n) in par[2:]
                if n != node[1] and n.endswith("_bar") == bar and not sibling and shape_of(("name", n)) == shape_of(node):
                    rank = (n not in partners.get(node[1], ()), wrt not in (n, node[1]), n in present, n)
                    swaps.append((rank, put(e, path, ("name", n))))
    out += [("wrong_variable", tree) for _r, tree in sorted(swaps, key=lambda s: s[0])]
    want = shape_of(e)
    for n in [wrt] + [n for n in names if n not in present and n != wrt]:
        if shape_of(("name", n)) == want and not n.endswith("_bar"):
            out.append(("extra_term", ("bin", "+", e, ("name", n))))
    out.append(("extra_term", ("bin", "+", e, ("num", "1"))))
    if not matrix:
        for n in sorted(set(present) - SIZES):
            out.append(("extra_factor", ("bin", "*", e, ("name", n))))
    return out


_GRAPHS = {}


def _graph(spec):
    from derive import parse_spec
    if spec not in _GRAPHS:
        with open(os.path.join(SPECS, f"{spec}.bp"), encoding="utf-8") as f:
            _GRAPHS[spec] = parse_spec(f.read())
    return _GRAPHS[spec]


def _partners(spec):
    """For each name, the names written on one spec line with it."""
    out = {}
    with open(os.path.join(SPECS, f"{spec}.bp"), encoding="utf-8") as f:
        for line in f:
            if ":" in line or line.startswith("#"):
                continue
            ns = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", line))
            for n in ns:
                out.setdefault(n, set()).update(ns - {n})
    return out


def item_rows(item):
    """The labelled rows of one correct claim (backend, spec, wrt, text)."""
    from check import check_claim
    from derive.errors import ParseError
    backend, spec, wrt, text = item
    g = _graph(spec)
    assert check_claim(g, wrt, text).verdict == "correct", (spec, wrt, text)
    adjoints = [a.name for a in g.backprop(wrt=getattr(g, "differentiable", g.inputs)).order]
    names = sorted(n for n in g.names if n != g.output) + sorted(n + "_bar" for n in adjoints if n != g.output)
    partners = _partners(spec)
    shape_of = _shapes(g, backend == "matrix")
    spell = [None, Printer("u", lambda x: shape_of(x) == (1, 1)), Printer("l", lambda x: shape_of(x) == (1, 1))]
    rows, taken, seen = [], {}, {text}
    for kind, tree in mutants(read(text), wrt, names, shape_of, backend == "matrix", partners):
        claim = show(tree)
        if claim in seen or taken.get(kind, 0) >= CAP.get(kind, 6) or _num(tree):
            continue
        seen.add(claim)
        try:
            v = check_claim(g, wrt, claim)
        except ParseError:
            continue
        if v.verdict != "incorrect":
            continue
        kind = _by_order(check_claim, g, wrt, claim, kind, v.counterexample)
        shape = shape_of(tree)
        if backend == "matrix" and shape is not None and shape != shape_of(("name", wrt)) \
                and kind not in ("transpose", "missing_batch_sum"):
            kind = "wrong_shape"           # before every kind but sign, constant factor, σ′ and transpose
        taken[kind] = taken.get(kind, 0) + 1
        printed = _spelled(check_claim, ParseError, g, wrt, tree, claim, v, spell, len(rows) + len(seen))
        rows.append((backend, spec, wrt, printed or claim, kind))
    return rows


def corpus(procs=2):
    items = [("scalar",) + i for i in SCALAR] + [("matrix",) + i for i in MATRIX]
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        return [r for rows in pool.map(item_rows, items, chunksize=1) for r in rows]


def _shapes(g, matrix):
    if not matrix:
        return lambda e: (1, 1)
    from check.read.matrix import read_claim

    def shape_of(e):
        try:
            m = read_claim(show(e), g, 1, 1, "plain")[0]
            return None if m is None else tuple(m.shape)
        except Exception:       # a piece that cannot stand alone (a size letter, a bare label)
            return None
    return shape_of


def _ratio(cx):
    """got/expected at the counterexample when it is one number for every entry, else None."""
    flat = lambda v: [x for row in v for x in flat(row)] if isinstance(v, list) else [v]   # noqa: E731
    try:
        pairs = [(float(e), float(g)) for e, g in zip(flat(cx["expected"]), flat(cx["got"])) if float(e) != 0]
    except (TypeError, ValueError, KeyError):
        return None
    ks = {round(g / e, 9) for e, g in pairs}
    return ks.pop() if len(ks) == 1 else None


def _by_order(check_claim, g, wrt, claim, kind, cx):
    """docs/rules.md's first match: a multiple of the truth is a sign or a constant factor (tried
    where the counterexample's values are one multiple of the truth's)."""
    k = _ratio(cx) if cx else None
    if k is None or k == 0:
        return kind
    inverse = sympy.nsimplify(1 / k, rational=True)
    if abs(float(inverse) - 1 / k) > 1e-9 or check_claim(g, wrt, f"{inverse}*({claim})").verdict != "correct":
        return kind
    return "sign" if k == -1 else "constant_factor"


def _spelled(check_claim, ParseError, g, wrt, tree, claim, v, spell, i):
    """The mutant in spelling i mod 3, or the next one that reads as the same function."""
    for j in range(3):
        p = spell[(i + j) % 3]
        if p is None:
            return claim
        text = p.show(tree)
        try:
            w = check_claim(g, wrt, text)
        except ParseError:
            continue
        if w.counterexample == v.counterexample and w.evidence.get("numeric") == v.evidence.get("numeric"):
            return text
    return None


def main():
    from benchlib import write_corpus
    write_corpus(OUT, corpus(), "bench/heldout_corpus.py")


if __name__ == "__main__":
    main()
