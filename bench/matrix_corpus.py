"""The matrix mutant corpus, labelled by construction: correct claims on the bundled matrix specs
(exercises/specs/), each with one mistake of a known kind put in by an edit of its tree. Written to
tests/data/matrix_mutants.tsv by `python bench/matrix_corpus.py`; deterministic. A mutant is kept
only when it is still a mistake (judged `incorrect` at seed 0): a transpose of a symmetric product
is no mistake, and an edit that cannot be read is a reading error, not a diagnosis."""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, ROOT)

OUT = os.path.join(ROOT, "tests", "data", "matrix_mutants.tsv")

# (spec, wrt, a correct claim): local forms (with adjoints) and written-out forms
CORRECT = [
    ("affine", "X", "out_bar @ W.T"), ("affine", "X", "G @ W.T"), ("affine", "W", "X.T @ out_bar"),
    ("affine", "W", "X.T @ G"), ("affine", "b", "sum(out_bar, axis=0)"), ("affine", "b", "sum(G, axis=0)"),
    ("affine_relu", "a", "out_bar * relu'(a)"), ("affine_relu", "a", "G * relu'(a)"),
    ("affine_relu", "X", "a_bar @ W.T"), ("affine_relu", "X", "(G * relu'(a)) @ W.T"),
    ("affine_relu", "W", "X.T @ a_bar"), ("affine_relu", "W", "X.T @ (G * relu'(a))"),
    ("affine_relu", "b", "sum(a_bar, axis=0)"), ("affine_relu", "b", "sum(G * relu'(a), axis=0)"),
    ("batchnorm", "gamma", "sum(out_bar * x_hat, axis=0)"), ("batchnorm", "gamma", "sum(G * x_hat, axis=0)"),
    ("batchnorm", "beta", "sum(out_bar, axis=0)"), ("batchnorm", "x_hat", "out_bar * gamma"),
    ("batchnorm", "xc", "2*var_bar*xc/N + x_hat_bar/std"), ("batchnorm", "mu", "sum(-xc_bar, axis=0)"),
    ("batchnorm", "X", "mu_bar/N + xc_bar"), ("batchnorm", "std", "sum(-x_hat_bar*xc/std^2, axis=0)"),
    ("layernorm", "gamma", "sum(out_bar * x_hat, axis=0)"), ("layernorm", "beta", "sum(out_bar, axis=0)"),
    ("layernorm", "x_hat", "out_bar * gamma"), ("layernorm", "xc", "2*var_bar*xc/D + x_hat_bar/std"),
    ("layernorm", "X", "mu_bar/D + xc_bar"), ("layernorm", "mu", "sum(-xc_bar, axis=1)"),
    ("dropout", "X", "out_bar * mask / p"), ("dropout", "X", "G * mask / p"),
    ("l2", "W", "2*q @ x.T"), ("l2", "W", "q_bar @ x.T"), ("l2", "x", "W.T @ q_bar"), ("l2", "x", "2*W.T @ q"),
    ("mlp", "h", "W2.T @ y_bar"), ("mlp", "h", "W2.T @ (y - t)"), ("mlp", "z", "h_bar * sigma'(z)"),
    ("mlp", "z", "h_bar * h * (1 - h)"), ("mlp", "W1", "z_bar @ x.T"), ("mlp", "x", "W1.T @ z_bar"),
    ("mlp", "W2", "y_bar @ h.T"), ("mlp", "W2", "(y - t) @ h.T"),
    ("mlp_softmax", "s", "y - onehot(t)"), ("mlp_softmax", "h", "W2.T @ s_bar"), ("mlp_softmax", "W2", "s_bar @ h.T"),
    ("mlp_softmax", "W2", "(y - onehot(t)) @ h.T"), ("mlp_softmax", "z", "h_bar * sigma'(z)"),
    ("mlp_softmax", "W1", "z_bar @ x.T"),
    ("rnn_step", "a", "h_bar * tanh'(a)"), ("rnn_step", "a", "G * (1 - h^2)"), ("rnn_step", "x", "a_bar @ W_x.T"),
    ("rnn_step", "W_x", "x.T @ a_bar"), ("rnn_step", "h_prev", "a_bar @ W_h.T"), ("rnn_step", "W_h", "h_prev.T @ a_bar"),
    ("rnn_step", "W_h", "h_prev.T @ (G * (1 - h^2))"), ("rnn_step", "b", "sum(a_bar, axis=0)"),
    ("rnn_two_steps", "h1", "G1 + a2_bar @ W_h.T"), ("rnn_two_steps", "W_h", "h0.T @ a1_bar + h1.T @ a2_bar"),
    ("rnn_two_steps", "W_x", "x1.T @ a1_bar + x2.T @ a2_bar"),
    ("rnn_two_steps", "b", "sum(a1_bar, axis=0) + sum(a2_bar, axis=0)"), ("rnn_two_steps", "a1", "h1_bar * (1 - h1^2)"),
    # fan-outs with one path written out: leaving out a path is a missing term named by its path
    ("rnn_two_steps", "h1", "G1 + (G2 * (1 - h2^2)) @ W_h.T"),
    ("rnn_two_steps", "W_h", "h0.T @ a1_bar + h1.T @ (G2 * (1 - h2^2))"),
    ("rnn_two_steps", "W_x", "x1.T @ a1_bar + x2.T @ (G2 * (1 - h2^2))"),
    ("rnn_two_steps", "b", "sum(a1_bar, axis=0) + sum(G2 * (1 - h2^2), axis=0)"),
    ("softmax", "s", "p - onehot(y)"), ("softmax", "W", "s_bar @ x.T"), ("softmax", "W", "(p - onehot(y)) @ x.T"),
    ("softmax", "x", "W.T @ s_bar"),
    ("softmax_batch", "S", "(P - onehot(y))/N"), ("softmax_batch", "W", "X.T @ S_bar + 2*lambda*W"),
    ("softmax_batch", "X", "S_bar @ W.T"),
    ("svm_vectorized", "W", "X.T @ S_bar + 2*lambda*W"), ("svm_vectorized", "X", "S_bar @ W.T"),
    ("tanh_layer", "h", "h - t"), ("tanh_layer", "z", "h_bar * (1 - h^2)"), ("tanh_layer", "z", "h_bar * tanh'(z)"),
    ("tanh_layer", "W", "z_bar @ x.T"), ("tanh_layer", "x", "W.T @ z_bar"),
    ("two_layer", "y_pred", "2*(y_pred - y)"), ("two_layer", "h", "y_pred_bar @ W2.T"),
    ("two_layer", "W2", "h.T @ y_pred_bar"), ("two_layer", "W1", "x.T @ (h_bar * sigma'(x @ W1))"),
    ("two_layer", "W1", "x.T @ (h_bar * h * (1 - h))"),
    ("two_layer_softmax", "W2", "H1.T @ S_bar + 2*lambda*W2"), ("two_layer_softmax", "b2", "sum(S_bar, axis=0)"),
    ("two_layer_softmax", "Z1", "H1_bar * relu'(Z1)"), ("two_layer_softmax", "W1", "X.T @ Z1_bar + 2*lambda*W1"),
    ("two_layer_softmax", "b1", "sum(Z1_bar, axis=0)"), ("two_layer_softmax", "H1", "S_bar @ W2.T"),
    ("word_embedding", "W", "X.T @ out_bar"), ("word_embedding", "W", "X.T @ G"),
    ("word_embedding", "X", "out_bar @ W.T"),
]

PRIMES = {"sigma'": "sigma", "relu'": "relu", "tanh'": "tanh"}
OTHER_PRIME = {"sigma'": "tanh'", "tanh'": "sigma'", "relu'": "sigma'"}
SHAPE_KINDS = {"transpose", "missing_batch_sum", "elementwise_vs_matmul"}    # the kinds that may change a shape
# ... and a path of a fan-out left out, where the other path is a row spread over the batch (X̄ = μ̄/N)
CAP = {"wrong_variable": 3, "extra_term": 2}      # mutants of one kind per correct claim (else 6)
PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2}


# --- a tree of the claim's text (our own strings, read by a small recursive descent) ----------

def tokens(s):
    return re.findall(r"axis=\d|\d+\.\d+|\d+|[A-Za-z_][A-Za-z_0-9]*'?|\.T|[-+*/@^(),]", s)


class _Reader:
    def __init__(self, s):
        self.t, self.i = tokens(s), 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else None

    def take(self):
        self.i += 1
        return self.t[self.i - 1]

    def expr(self, level=1):
        if level > 2:
            return self.unary()
        a = self.expr(level + 1)
        while self.peek() is not None and PREC.get(self.peek()) == level:
            op = self.take()
            a = ("bin", op, a, self.expr(level + 1))
        return a

    def unary(self):
        if self.peek() == "-":
            self.take()
            return ("neg", self.unary())
        return self.postfix()

    def postfix(self):
        a = self.atom()
        while self.peek() in (".T", "^"):
            if self.take() == ".T":
                a = ("T", a)
            else:
                a = ("pow", a, self.take())
        return a

    def atom(self):
        tok = self.take()
        if tok == "(":
            a = self.expr()
            self.take()
            return a
        if tok[0].isdigit():
            return ("num", tok)
        if self.peek() == "(":
            self.take()
            args = []
            while self.peek() != ")":
                args.append(("kw", self.take()) if self.peek().startswith("axis=") else self.expr())
                if self.peek() == ",":
                    self.take()
            self.take()
            return ("call", tok, tuple(args))
        return ("name", tok)


def read(s):
    return _Reader(s).expr()


def show(e, outer=0, right=False):
    k = e[0]
    if k in ("name", "num", "kw"):
        return e[1]
    if k == "call":
        return f"{e[1]}({', '.join(show(a) for a in e[2])})"
    if k == "T":
        return f"{show(e[1], 3)}.T"
    if k == "pow":
        return f"{show(e[1], 3)}^{e[2]}"
    if k == "neg":
        s = f"-{show(e[1], 2)}"
        return f"({s})" if outer >= 2 else s
    p = PREC[e[1]]
    s = f"{show(e[2], p)} {e[1]} {show(e[3], p, True)}"
    return f"({s})" if p < outer or (p == outer and right) or outer == 3 else s


def spots(e, path=()):
    yield path, e
    kids = {"bin": (2, 3), "neg": (1,), "T": (1,), "pow": (1,)}.get(e[0], ())
    if e[0] == "call":
        kids = tuple(2 + i for i in range(len(e[2])))
    for k in kids:
        sub = e[k] if e[0] != "call" else e[2][k - 2]
        yield from spots(sub, path + (k,))


def put(e, path, new):
    if not path:
        return new
    k = path[0]
    if e[0] == "call":
        args = list(e[2])
        args[k - 2] = put(args[k - 2], path[1:], new)
        return ("call", e[1], tuple(args))
    out = list(e)
    out[k] = put(e[k], path[1:], new)
    return tuple(out)


def parent_of(e, path):
    if not path:
        return None
    node = e
    for k in path[:-1]:
        node = node[k] if node[0] != "call" else node[2][k - 2]
    return node


def _numeric(e):
    return e[0] == "num" or e[0] == "neg" and _numeric(e[1])


# --- mistakes, each an edit of the tree -----------------------------------------------------

def mutants(e, shape_of, want, names, doubles=()):
    """(kind, tree) for one correct claim tree. `shape_of(name)` is a name's shape (None for an
    unknown name); `want` the claim's shape; `names` the spec's names and adjoints."""
    out = [("sign", ("neg", e)), ("constant_factor", ("bin", "*", ("num", "2"), e)),
           ("constant_factor", ("bin", "*", ("bin", "/", ("num", "1"), ("num", "2")), e)),
           ("transpose", ("T", e))]
    same = [n for n in names if shape_of(n) == want and n not in _names(e) and n not in doubles]
    for n in same[:3]:
        out.append(("extra_term", ("bin", "+", e, ("name", n))))
    out.append(("extra_term", ("bin", "+", e, ("num", "1"))))
    for path, node in spots(e):
        par = parent_of(e, path)
        if node[0] == "bin" and node[1] in "+-":
            if not _numeric(node[2]):
                out.append(("missing_term", put(e, path, node[2])))
            out.append(("missing_term", put(e, path, node[3] if node[1] == "+" else ("neg", node[3]))))
            out.append(("sign", put(e, path, ("bin", "-" if node[1] == "+" else "+", node[2], node[3]))))
            out.append(("constant_factor", put(e, path, ("bin", node[1], node[2], ("bin", "*", ("num", "2"), node[3])))))
        if node[0] == "bin" and node[1] == "*":
            for keep, drop in ((node[2], node[3]), (node[3], node[2])):
                out.append(("constant_factor" if _numeric(drop) else "missing_factor", put(e, path, keep)))
            if not _numeric(node[2]):
                out.append(("elementwise_vs_matmul", put(e, path, ("bin", "@", node[2], node[3]))))
        if node[0] == "bin" and node[1] == "/":
            out.append(("missing_factor", put(e, path, node[2])))
        if node[0] == "bin" and node[1] == "@":
            out.append(("elementwise_vs_matmul", put(e, path, ("bin", "*", node[2], node[3]))))
        if node[0] == "T" and node[1][0] == "name":
            out.append(("transpose", put(e, path, node[1])))
        if node[0] == "name" and par is not None and par[0] == "bin" and par[1] == "@":
            out.append(("transpose", put(e, path, ("T", node))))
        if node[0] == "call" and node[1] == "sum" and any(a[0] == "kw" for a in node[2]):
            out.append(("missing_batch_sum", put(e, path, node[2][0])))
        if node[0] == "call" and node[1] in PRIMES:
            out.append(("derivative_of_wrong_function", put(e, path, ("call", PRIMES[node[1]], node[2]))))
            out.append(("derivative_of_wrong_function", put(e, path, ("call", OTHER_PRIME[node[1]], node[2]))))
        if node[0] == "bin" and node[1] == "-" and node[2] == ("num", "1") and node[3][0] == "pow":
            out.append(("derivative_of_wrong_function", put(e, path, ("bin", "-", node[2], node[3][1]))))   # 1 − h for tanh′
        if node[0] == "name":
            for n in names:
                if n != node[1] and shape_of(n) == shape_of(node[1]) and n not in _names(e):
                    out.append(("wrong_variable", put(e, path, ("name", n))))
        if node[0] == "name" and par is not None and par[0] == "bin" and par[1] == "*":
            for n in names:
                if shape_of(n) == shape_of(node[1]) and n != node[1]:
                    out.append(("extra_factor", put(e, path, ("bin", "*", node, ("name", n)))))
                    break
    return out


def _names(e):
    return {n[1] for _p, n in spots(e) if n[0] == "name"}


def corpus():
    from check import check_claim
    from derive import parse_spec
    from derive.errors import ParseError
    from check.read.matrix import read_claim
    rows, seen = [], set()
    graphs = {}
    for spec, wrt, text in CORRECT:
        if spec not in graphs:
            with open(os.path.join(ROOT, "exercises", "specs", f"{spec}.bp"), encoding="utf-8") as f:
                graphs[spec] = parse_spec(f.read())
        g = graphs[spec]
        assert check_claim(g, wrt, text).verdict == "correct", (spec, wrt, text)
        adjoints = [a.name for a in g.backprop(wrt=g.differentiable).order]
        names = sorted(g.names) + sorted(n + "_bar" for n in adjoints if n != g.output)

        def shape_of(n, g=g):
            try:
                return g.shape_of(n[:-len("_bar")] if n.endswith("_bar") else n)
            except (KeyError, ValueError, AttributeError):
                return None
        taken = {}
        # names equal to the answer itself: adding one doubles it (a constant factor, not a term)
        doubles = {wrt + "_bar"} | {n for n in names if shape_of(n) == g.shape_of(wrt)
                                    and check_claim(g, wrt, n).verdict == "correct"}
        for kind, tree in mutants(read(text), shape_of, g.shape_of(wrt), names, doubles):
            claim = show(tree)
            if (spec, wrt, claim) in seen or claim == text or taken.get(kind, 0) >= CAP.get(kind, 6):
                continue
            seen.add((spec, wrt, claim))
            try:
                if check_claim(g, wrt, claim).verdict != "incorrect":
                    continue
                shaped = read_claim(claim, g, 1, 1, "plain")[0]
            except ParseError:
                continue
            if kind not in SHAPE_KINDS and (shaped is None or shaped.shape != g.shape_of(wrt)) and not (
                    kind == "missing_term" and shaped is not None and _one_path_short(g, wrt, shaped)):
                continue        # a mistake that changes the shape is a wrong shape first
            taken[kind] = taken.get(kind, 0) + 1
            rows.append(("matrix", spec, wrt, claim, kind))
    return rows


def _one_path_short(g, wrt, claim):
    """Is `claim` (of the wrong shape) right with one path of wrt's fan-out put back?"""
    from check import check_claim
    from derive.errors import ParseError
    from derive.printing import Text
    paths = g.backprop(wrt=g.differentiable).by_name[wrt].terms
    for t in paths if len(paths) > 1 else ():
        try:
            whole = claim + t.expr
        except (ParseError, ValueError, TypeError):
            continue
        if whole.shape == g.shape_of(wrt) and check_claim(g, wrt, Text(ascii=True).doprint(whole)).verdict == "correct":
            return True
    return False


def main():
    from benchlib import write_corpus
    write_corpus(OUT, corpus(), "bench/matrix_corpus.py")


if __name__ == "__main__":
    main()
