"""Reading a claim against a matrix graph: names with shapes, adjoints, index-form entries."""

import re

import sympy

from derive.errors import ParseError
from derive.parse import Keyword, error, iverson
from derive.functions import BAR
from derive.matrix import (SCALAR, Leaf, MExpr, ShapeError, fill, lift, preorder, rebuild, reduce, show_shape, transpose)
from derive.labels import LabelRef, onehot, pick
from derive.mscope import Dim, MatrixOps
from derive.names import canonical, spelled
from derive.rules import SPELLINGS

from .index import Entry, IndexMismatch, Indices, free, indexed, ranks, split
from .classify import numpy_adjoint
from .scope import by_case, choice, read_expression


class MatrixClaimScope(MatrixOps):
    """Names of a matrix graph with their shapes; `v_bar` is the adjoint with v's shape, `W2_ki`
    an entry (index form, with the line's left-hand side `lhs`, an mindex.Lhs).
    `flip` names leaves read transposed (the transpose diagnosis re-reads a claim that way)."""

    def __init__(self, graph, flip=(), lhs=None, where=(1, 1)):
        self.graph, self.flip = graph, set(flip)
        self.keys = {}
        for n in graph.names:
            self.keys.setdefault(n, n)
            self.keys.setdefault(canonical(n), n)
        self.seen = []
        self.indices = Indices(lhs, graph.shape_of(lhs.name) if lhs else SCALAR, where)

    def lookup(self, n):
        hit = self.keys.get(n) or self.keys.get(canonical(n))
        if hit is None and len(n) > 1:
            hit = by_case(n, self.graph.names)
        return hit

    def loose(self, n):
        """`lookup`, and a lone lowercase letter for the one name it is up to case: numpy's `x`,
        `w`, `dx` for the spec's X, W, X̄ (the assignments write data and weights in lowercase).
        Not in `lookup`: a lowercase letter there is free to be an index (`Σ_m S_im` beside M)."""
        hit = self.lookup(n)
        if hit is None and len(n) == 1 and n.islower():
            hit = by_case(n, self.graph.names)
        return hit

    def known(self, n):
        return self.lookup(n) is not None or self.split_index(n) is not None

    def unbarred(self, n):
        """`n` without its adjoint mark, in every way it may carry one."""
        return [n.replace(s, "") for s in ("\u0304", BAR, "bar") if s in n]

    def split_index(self, n):
        """`W2_ki` -> ('W2', 'ki', False), `ȳ_k` -> ('y', 'k', True): a known name (or its adjoint)
        with one lowercase letter per size of its shape other than 1; None otherwise."""
        for text, adjoint in [(n, False)] + [(u, True) for u in self.unbarred(n)]:
            parts = split(text)
            hit = parts and self.lookup(parts[0])
            if hit and len(parts[1]) == len(ranks(self.graph.shape_of(hit))):
                return hit, parts[1], adjoint
        return None

    def name(self, tok):
        n = spelled(str(tok))
        if n in self.graph.dims:
            return Dim(sympy.Symbol(n, positive=True, integer=True))
        hit = self.lookup(n)
        adjoint = False
        if hit is None:
            for u in self.unbarred(n):
                if self.lookup(u):
                    hit, adjoint = self.lookup(u), True
                    break
        if hit is None:
            hit = numpy_adjoint(n, self.loose)
            if hit is None and n == "dout":          # the upstream gradient: the output's adjoint
                hit = self.graph.output
            adjoint = hit is not None
        if hit is None and self.split_index(n) is None and self.loose(n):
            hit = self.loose(n)
        if hit is None:
            return self.entry(n, tok)
        return self.leaf(hit, adjoint)

    def leaf(self, hit, adjoint):
        leaf = Leaf(hit + BAR if adjoint else hit, self.graph.shape_of(hit))
        self.seen.append(leaf.name)
        if hit in self.graph.labels:
            if adjoint:
                raise ParseError(f"{hit} is a class label: it has no adjoint")
            return LabelRef(leaf, self.graph.labels[hit])
        return transpose(leaf) if leaf.name in self.flip else leaf

    def entry(self, n, tok):
        """An indexed name, `W2_ki`: one entry of a known matrix."""
        found = self.split_index(n)
        picked = self.true_score(n, tok) if found is None else None
        if picked is not None:
            return picked
        if found is None:
            for text in [n] + self.unbarred(n):
                parts = split(text)
                if parts and self.lookup(parts[0]):
                    shape = self.graph.shape_of(self.lookup(parts[0]))
                    k = len(ranks(shape))
                    raise error(f"'{str(tok)}': {parts[0]} is {show_shape(shape)}, so it takes "
                                + ("no index" if not k else "one index" if k == 1 else f"{k} indices"), tok)
            raise error(f"unknown name '{n}'; known names: {', '.join(self.graph.names)}", tok)
        hit, letters, adjoint = found
        if letters in self.graph.labels and self.graph.shape_of(letters) == SCALAR:
            return pick(self.leaf(hit, adjoint), LabelRef(Leaf(letters, SCALAR), self.graph.labels[letters]))
        if hit in self.graph.labels:
            raise error(f"'{str(tok)}' is a class label: compare it with an index, 𝟙[j = {str(tok)}]", tok)
        try:
            return self.indices.entry(self.leaf(hit, adjoint), letters, str(tok))
        except IndexMismatch as e:
            raise IndexMismatch(e.message, tok.line, tok.column) from None

    def true_score(self, n, tok):
        """`S_iy_i` (LaTeX `S_{i y_i}`, `S_{i,y_i}`): row i's entry at its true class, pick(S, y)_i."""
        m = re.fullmatch(r"(.+?)_([a-z])_?([^_]+)_([a-z])", n)
        if not m or m.group(2) != m.group(4):
            return None
        hit, label = self.lookup(m.group(1)), self.lookup(m.group(3))
        if hit is None or label not in self.graph.labels or self.graph.shape_of(label) == SCALAR:
            return None
        ref = LabelRef(Leaf(label, self.graph.shape_of(label)), self.graph.labels[label])
        try:
            return self.indices.entry(pick(self.leaf(hit, False), ref), m.group(2), str(tok))
        except ShapeError as e:
            raise error(f"'{str(tok)}': {e.message}", tok) from None

    def label_test(self, a, op, b):
        """`[k = y]` (an index letter and a label): entry k of onehot(y); `[j = y_i]` entry (i, j)
        of a batch's onehot(y); with ≠, one minus it."""
        equal = op in ("=", "==")
        for idx, lab in ((a, b), (b, a)):
            found = self.label_index(str(lab))
            if found and re.fullmatch(r"[a-z]", str(idx)) and not self.lookup(str(idx)):
                name, row = found
                ref = LabelRef(Leaf(name, self.graph.shape_of(name)), self.graph.labels[name])
                try:
                    e = self.indices.entry(onehot(ref), row + str(idx), f"[{a} = {b}]")
                except IndexMismatch as x:
                    raise IndexMismatch(x.message, a.line, a.column) from None
                return e if equal else 1 - e
        raise error(f"[{a} = {b}]: write an index letter and a class label, as in 𝟙[k = y] or 𝟙[j = y_i]", a)

    def label_index(self, text):
        """(label name, its index letter or '') of `y` or `y_i`; None for anything else."""
        n = spelled(text)
        hit = self.lookup(n)
        if hit in self.graph.labels:
            return (hit, "") if self.graph.shape_of(hit) == SCALAR else None
        parts = split(n)
        hit = parts and self.lookup(parts[0])
        if hit in self.graph.labels and len(parts[1]) == 1 and self.graph.shape_of(hit) != SCALAR:
            return hit, parts[1]
        return None

    def call(self, tok, args):
        """`x_ki (...)`: a known name before brackets multiplies them, as in scalar specs."""
        n = spelled(str(tok))
        if n == "dot" and len(args) == 2 and not self.known(n):
            return self.matmul(args[0], args[1], tok)           # numpy's np.dot(a, b)
        if len(args) == 1 and not isinstance(args[0], Keyword) and n not in SPELLINGS and self.known(n):
            return self.product(self.name(tok), args[0], None)
        return super().call(tok, args)

    def where(self, tok, args):
        return choice(tok, args, lambda a, op, b, t: iverson(self, a, op, b, t))

    def reduction(self, name, tok, args, kwargs):
        """numpy's positional axis, `a.sum(0)`, `np.sum(a, 1)`, is `axis=`."""
        if len(args) == 2 and "axis" not in kwargs and args[1] in (0, 1) and getattr(args[1], "is_Integer", False):
            kwargs = {**kwargs, "axis": Keyword("axis", args[1], tok)}
            args = args[:1]
        return super().reduction(name, tok, args, kwargs)

    def ones(self, tok):
        r"""`\mathbf{1}`: a column of ones whose length is its neighbour's."""
        return Ones(False, sympy.Integer(1), tok)

    def transpose(self, a, tok):
        r"""`1ᵀ`, `\mathbf{1}^T`: a row of ones (the number 1 has no other transpose)."""
        if isinstance(a, Ones):
            return Ones(not a.row, a.scale, a.tok)
        if isinstance(a, sympy.Integer) and a == 1:
            return Ones(True, a, tok)
        return super().transpose(a, tok)

    def matmul(self, a, b, tok):
        if isinstance(a, Ones) or isinstance(b, Ones):
            return ones_product(a, b, tok)
        return super().matmul(a, b, tok)

    def product(self, a, b, tok):
        r"""Side by side or `\cdot`: elementwise for equal shapes, else a matrix product;
        a scalar scales."""
        if isinstance(a, Ones) or isinstance(b, Ones):
            return ones_product(a, b, tok)
        a_m, b_m = isinstance(a, MExpr) and not a.is_scalar, isinstance(b, MExpr) and not b.is_scalar
        if a_m and b_m and (a.shape != b.shape or tok is None and a.shape[1] == b.shape[0]):
            return self.matmul(a, b, tok)
        return a * b

    def sum_index(self, tok, body):
        """`Σ_k body`: the index-form sum over k; in a claim without index letters on the left,
        `Σ_j e^{s_j}` over one vector's entries is that vector's `sum` (a softmax's denominator)."""
        body = lift(body)
        letter = str(tok)
        if not self.indices.lhs and free(body) == {letter} and _vector_entries(body, letter):
            return self.call(tok.update("NAME", "sum") if hasattr(tok, "update") else "sum",
                             [_devectorized(body, letter)])
        try:
            return self.indices.total(letter, body)
        except IndexMismatch as e:
            raise IndexMismatch(e.message, tok.line, tok.column) from None


class Ones:
    r"""`\mathbf{1}` (a column, `row` False) or `\mathbf{1}^T`, `1^T` (a row) of ones, times
    `scale`, whose length is what it multiplies: 1ᵀA sums A's columns (1ᵀx a vector's entries),
    A1 its rows. A column of ones anywhere else is the number 1 spread to the shape it meets
    (`_sympy_`); a row of ones must stand before what it sums."""

    def __init__(self, row, scale, tok):
        self.row, self.scale, self.tok = row, scale, tok

    def _sympy_(self):
        if self.row:
            raise error("1ᵀ (a row of ones) sums what stands right of it: write 1ᵀ A", self.tok)
        return self.scale

    def _value(self):
        return self._sympy_()

    def __neg__(self):
        return Ones(self.row, -self.scale, self.tok)

    def __mul__(self, o):
        return ones_product(self, o, self.tok)

    def __rmul__(self, o):
        return ones_product(o, self, self.tok)

    def __add__(self, o):
        return self._value() + o

    def __radd__(self, o):
        return o + self._value()

    def __sub__(self, o):
        return self._value() - o

    def __rsub__(self, o):
        return o - self._value()

    def __truediv__(self, o):
        return Ones(self.row, self.scale / o, self.tok) if _scalar(o) else self._value() / o

    def __rtruediv__(self, o):
        return o / self._value()

    def __pow__(self, o):
        return self._value() ** o


def _scalar(x):
    return isinstance(x, sympy.Expr) or isinstance(x, MExpr) and x.is_scalar


def ones_product(a, b, tok):
    """A product with a vector of ones: 1ᵀA is sum(A, axis=0), A1 is sum(A, axis=1), a scalar
    scales the ones; a column of ones before a matrix (or a row after one) has no length to take."""
    if isinstance(a, Ones) and isinstance(b, Ones):
        raise error("1 1ᵀ: a matrix of ones has no size here; write ones(N, H)", tok or a.tok)
    if isinstance(a, Ones):
        if _scalar(b):
            return Ones(a.row, a.scale * b, a.tok)
        if a.row:
            return a.scale * reduce("sum", lift(b), 0)
        raise error(r"a column of ones before a matrix: write 1ᵀ A for its column sums", a.tok)
    if _scalar(a):
        return Ones(b.row, a * b.scale, b.tok)
    if not b.row:
        return reduce("sum", lift(a), 1) * b.scale
    raise error(r"a row of ones after a matrix: write A 1 for its row sums", b.tok)


def _vector_entries(e, letter):
    """Is every Entry in `e` one vector's entry at `letter`, all of one length?"""
    found = [x for x in preorder(e) if isinstance(x, Entry)]
    return bool(found) and all(x.indices == (letter,) and len(ranks(x.leaf.shape)) == 1 for x in found) and \
        len({x.leaf.shape for x in found}) == 1


def _devectorized(e, letter):
    """`e` with each entry `v_letter` replaced by the whole vector v."""
    if isinstance(e, Entry):
        return e.leaf
    kids = e.children()
    return rebuild(e, [_devectorized(k, letter) for k in kids]) if kids else e


def read_matrix(text, graph, line=1, col=1, fmt=None, flip=(), lhs=None):
    """(expression, names read); the expression is None when its shapes do not fit."""
    return read_claim(text, graph, line, col, fmt, flip, lhs)[:2]


def read_claim(text, graph, line=1, col=1, fmt=None, flip=(), lhs=None):
    """(expression or None, names read, why its indices do not fit or None). An index-form
    right-hand side becomes an IndexClaim with the shape of its left-hand side's name."""
    scope = MatrixClaimScope(graph, flip, lhs, (line, col))
    try:
        e = read_expression(text, scope, line, col, fmt)
        if isinstance(e, Ones) and not e.row and lhs and not lhs.letters:
            e = fill(lift(e.scale), graph.shape_of(lhs.name))    # `x̄ = \mathbf{1}`: ones of x's shape
        if isinstance(e, Ones) and e.row:            # `\bar{b} = \mathbf{1}^T`: nothing to sum
            tok = e.tok
            where = (line, col + tok.column - 1) if tok.line == 1 else (line + tok.line - 1, tok.column)
            raise ParseError("1ᵀ (a row of ones) sums what stands right of it: write 1ᵀ A", *where)
        e = lift(e._value() if isinstance(e, Ones) else e)
        if indexed(e) or lhs and lhs.letters and e.is_scalar:
            e = scope.indices.claim(e)
        return e, scope.seen, None
    except IndexMismatch as x:
        return None, scope.seen, x.message
    except ShapeError:
        return None, scope.seen, None
