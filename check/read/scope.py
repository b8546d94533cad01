"""What a name in student input means: a leaf, a forward name, an adjoint, or a product."""
from derive.errors import ParseError
from derive.functions import BAR, bar, sym
from derive.limits import MAX_WRITTEN_DEPTH, MAX_WRITTEN_SIZE
from derive.names import GREEK_NAMES, MACRON, canonical, spelled
from derive.parse import MAX_CLAIM_TERMS, Scope, error, parse_expression
from derive.rules import SPELLINGS, derivative

MAX_SPLIT = 12


class ClaimScope(Scope):
    """Names of a graph. Forward names stay symbols (they stand for their definitions);
    `v_bar`, `vbar`, `v̄` are adjoints; `yx` is y·x when only that reading exists."""
    max_terms = MAX_CLAIM_TERMS

    def __init__(self, graph, free=False):
        self.graph = graph
        self.free = free
        self.given = {}
        self.names = {}
        for n in graph.names if graph is not None else ():
            self.add(n)

    def add(self, name):
        self.names.setdefault(name, name)
        self.names.setdefault(canonical(name), name)

    def known(self, n):
        """Is `n` a name here (the LaTeX reader asks before reading e^{x} as exp)?"""
        return self.lookup(n) is not None

    def lookup(self, n):
        return self.names.get(n) or self.names.get(canonical(n))

    def adjoint_base(self, n):
        if MACRON in n:
            return n.replace(MACRON, "")
        for suffix in (BAR, "bar"):
            if n.endswith(suffix) and len(n) > len(suffix):
                return n[: -len(suffix)]
        return None

    def name(self, tok):
        n = spelled(str(tok))
        if n in SPELLINGS:
            raise error(f"'{n}' is a function: write {n}(...)", tok)
        hit = self.lookup(n)
        splits = self.splits(n)
        if hit and splits and not self.free:
            raise error(f"'{n}' is ambiguous: the name {hit} or the product "
                        + "·".join(splits[0]) + "; write a space or * between factors", tok)
        if hit:
            return sym(hit)
        base = self.adjoint_base(n)
        if base is not None and self.lookup(base):
            return bar(self.lookup(base))
        if len(splits) == 1:
            out = 1
            for piece in splits[0]:
                out = out * sym(piece)
            return out
        if len(splits) > 1:
            raise error(f"'{n}' is ambiguous: " + " or ".join("·".join(s) for s in splits[:3]), tok)
        if self.free:
            if n.isascii() and n.isalpha() and 2 <= len(n) <= 4 and n not in GREEK_NAMES:
                out = 1
                for letter in n:
                    self.add(letter)
                    out = out * sym(letter)
                return out
            self.add(n)
            return sym(n)
        raise error(f"unknown name '{n}'; known names: {', '.join(self.graph.names)}", tok)

    def splits(self, n):
        """Ways to read `n` as a product of known names (juxtaposition)."""
        if len(n) > MAX_SPLIT or self.graph is None and not self.free:
            return []
        names = [k for k in sorted(set(self.names.values())) if k != n]
        out = []

        def walk(rest, acc):
            if len(out) > 3:
                return
            if not rest:
                if len(acc) > 1:
                    out.append(acc)
                return
            for k in names:
                if rest.startswith(k):
                    walk(rest[len(k):], acc + [k])
        walk(n, [])
        return sorted(out)

    def definition(self, name):
        """A name's expression in the leaves (forward names expanded)."""
        return self.graph.full[name] if self.graph is not None and name in self.graph.full else sym(name)

    def expand(self, expr, line=1, col=1):
        """`expr` with every forward name replaced by its definition in the leaves; a name the
        graph does not write out (`Graph.unwritten`) is an error at line:col, since keeping it
        as a symbol would make it a constant to d/dw."""
        if self.graph is not None:
            expr = expr.xreplace({sym(n): self.graph.full[n] for n in self.graph.defs})
            self.written(expr, line, col)
        return expr.xreplace(self.given) if self.given else expr

    def written(self, expr, line=1, col=1):
        kept = sorted(s.name for s in expr.free_symbols if s.name in self.graph.unwritten)
        if kept:
            raise ParseError(f"'{kept[0]}' is too large to write out in the inputs (more than "
                             f"{MAX_WRITTEN_SIZE:,} operations or {MAX_WRITTEN_DEPTH} levels), so it cannot be "
                             "expanded or differentiated here; judge adjoint equations instead", line, col)
        return expr

    def deriv(self, tok, inner):
        name = _operator_variable(str(tok))
        var = self.lookup(name) or (name if self.free else None)
        if var is None:
            raise error(f"unknown variable '{name}' in derivative operator", tok)
        return derivative(self.expand(inner, *_where(tok)), sym(var))

    def local(self, a, b):
        """`\\frac{da}{db}`: the local derivative of a's definition with respect to b when b is in
        that definition (the lecture's d L_reg / d R); otherwise, for an input b, the whole
        derivative ∂a/∂b through the graph."""
        na, nb = self.lookup(spelled(str(a))), self.lookup(spelled(str(b)))
        if self.graph is None or na not in self.graph.defs or nb is None:
            raise error(f"no derivative d{a}/d{b} in this graph", a)
        if nb in self.graph.defs[na].parents:
            return derivative(self.graph.defs[na].expr, sym(nb))
        if nb in self.graph.inputs:
            return derivative(self.written(self.graph.full[na], *_where(a)), sym(nb))
        raise error(f"d{na}/d{nb}: {nb} is not in the definition of {na}, nor an input", b)

    def matmul(self, a, b, tok):
        raise error("a matrix product needs a matrix spec: this spec declares no shapes", tok)

    def sum_index(self, tok, body):
        raise error("index sums (Σ_k) are for matrix specs; in this scalar spec write the terms out", tok)


def _operator_variable(text):
    """`d/dw` or `∂/∂w` -> `w`; the LaTeX reader's DERIV token is already the bare `w`."""
    if "/" not in text:
        return spelled(text.strip())
    right = text.split("/", 1)[1].strip()
    return spelled(right[1:].strip())


def is_latex(text):
    return "\\" in text or "$" in text


def read_expression(text, scope, line=1, col=1, fmt=None):
    """One expression, plain or LaTeX (auto-detected unless `fmt` says)."""
    if (fmt or ("latex" if is_latex(text) else "plain")) == "latex":
        from .latex import parse_latex_expression
        return parse_latex_expression(text, scope, line, col)
    return parse_expression(text, scope, line, col)


__all__ = ["ClaimScope", "ParseError", "read_expression", "is_latex"]


def _where(tok):
    """(line, col) of a Lark token, or 1:1 for a name built by hand."""
    return getattr(tok, "line", None) or 1, getattr(tok, "column", None) or 1
