"""Names and calls in matrix specs: shapes declared up front, `@`, `.T`, sum/mean/norm2."""
import sympy

from . import labels
from .matrix import (SCALAR, Leaf, MExpr, ShapeError, elem, fill, lift, matmul, reduce, slot,
                     transpose)
from .parse import Keyword, Scope, error
from .specscope import SpecScope
from .rules import SPELLINGS, PRIMES

REDUCTIONS = ("sum", "mean", "norm2")


class Dim:
    """A size letter: an argument of `ones(H, N)`, or a number in arithmetic (`sum(A)/N`)."""
    is_Number = False

    def __init__(self, symbol):
        self.symbol = symbol

    def _sympy_(self):
        return self.symbol


def _dim_op(op):
    def f(self, other):
        other = other.symbol if isinstance(other, Dim) else other
        return op(self.symbol, other)
    return f


for _name, _op in {"__add__": lambda a, b: a + b, "__radd__": lambda a, b: b + a,
                   "__sub__": lambda a, b: a - b, "__rsub__": lambda a, b: b - a,
                   "__mul__": lambda a, b: a * b, "__rmul__": lambda a, b: b * a,
                   "__truediv__": lambda a, b: a / b, "__rtruediv__": lambda a, b: b / a,
                   "__pow__": lambda a, b: a ** b, "__rpow__": lambda a, b: b ** a}.items():
    setattr(Dim, _name, _dim_op(_op))
Dim.__neg__ = lambda self: -self.symbol


def _size(a):
    """A size argument of `ones(...)`: a size letter or a positive whole number (`ones(D, 1)`)."""
    if isinstance(a, Dim):
        return a.symbol
    if isinstance(a, sympy.Integer) and a > 0:
        return a
    return None


def _shape_error(e, tok):
    return ShapeError(e.message, getattr(tok, "line", 0) or 0, getattr(tok, "column", 0) or 0)


class MatrixOps(Scope):
    """Calls and operators over matrix expressions; `leaf_shape(name)` comes from the subclass."""

    def call(self, tok, args):
        name = str(tok)
        kwargs = {a.name: a for a in args if isinstance(a, Keyword)}
        args = [a for a in args if not isinstance(a, Keyword)]
        try:
            if name in labels.FUNCTIONS:
                return labels.call(name, lambda m: error(m, tok), args, kwargs)
            if any(isinstance(a, labels.LabelRef) for a in args):
                raise error(f"{name} does not take a class label; onehot, pick and cross_entropy do", tok)
            if name in REDUCTIONS:
                return self.reduction(name, tok, args, kwargs)
            if name == "ones" and len(args) == 2 and all(_size(a) is not None for a in args):
                return fill(lift(1), (_size(args[0]), _size(args[1])))
            if name == "ones" and len(args) == 2:
                raise error("ones takes two sizes: size letters or positive whole numbers", tok)
            if kwargs:
                a = next(iter(kwargs.values()))
                raise error(f"{name} takes no keyword '{a.name}'", a.tok)
            if not any(isinstance(a, MExpr) for a in args):
                return super().call(tok, args)
            spelled = SPELLINGS.get(name)
            if spelled is None:
                raise error(f"unknown function '{name}'", tok)
            head, arity, defaults = spelled
            template = head(*[slot(i) for i in range(len(args))], *defaults[len(args) - arity:])
            return elem(template, *args)
        except ShapeError as e:
            raise _shape_error(e, tok) from None

    reduces = True

    def reduction(self, name, tok, args, kwargs):
        if len(args) != 1:
            raise error(f"{name} takes one matrix argument", tok)
        axis = None
        if "axis" in kwargs:
            v = kwargs.pop("axis").value
            if not (v in (0, 1)) or name == "norm2":
                raise error(f"{name}: axis must be 0 or 1", tok)
            axis = int(v)
        if kwargs:
            raise error(f"{name} takes only axis=", tok)
        return reduce(name, lift(args[0]), axis)

    def prime_call(self, tok, args):
        if any(isinstance(a, labels.LabelRef) for a in args):
            raise error(f"{tok}' does not take a class label; onehot, pick and cross_entropy do", tok)
        if len(args) == 1 and isinstance(args[0], MExpr):
            head = PRIMES.get(str(tok))
            if head is None:
                raise error(f"no derivative function '{tok}''", tok)
            return elem(head(slot(0)), args[0])
        return super().prime_call(tok, args)

    def bracket(self, head, a, b, tok):
        """`[S - pick(S, y) + 1 > 0]`: an Iverson bracket entry by entry."""
        if isinstance(a, labels.LabelRef) or isinstance(b, labels.LabelRef):
            raise error("a class label is compared with an index letter, [k = y], not with '<' or '>'", tok)
        if not isinstance(a, MExpr) and not isinstance(b, MExpr):
            return head(a, b)
        try:
            return elem(head(slot(0), slot(1)), a, b)
        except ShapeError as e:
            raise _shape_error(e, tok) from None

    def matmul(self, a, b, tok):
        try:
            return matmul(a, b)
        except ShapeError as e:
            raise _shape_error(e, tok) from None

    def transpose(self, a, tok):
        return transpose(a)


def parse_dims(text, tok_line, col):
    """`H, D` or `3, 2` -> sizes (SymPy symbols or integers)."""
    from .errors import ParseError
    out = []
    for piece in text.split(","):
        p = piece.strip()
        if p.isdigit() and 0 < int(p) <= 10_000:
            out.append(sympy.Integer(int(p)))
        elif p.isidentifier() and p.isascii():
            out.append(sympy.Symbol(p, positive=True, integer=True))
        else:
            raise ParseError(f"a size must be a letter or a positive whole number, not '{p}'", tok_line, col)
    return out


class MatrixSpecScope(MatrixOps, SpecScope):
    """Spec names with shapes: declared ones, forward names' computed ones, scalars otherwise."""

    def __init__(self, assigned, shapes, dims, classes=None, euler=True):
        super().__init__(assigned, euler)
        self.shapes, self.dims, self.classes = dict(shapes), dims, dict(classes or {})

    def name(self, tok):
        if self.euler and str(tok) == "e":
            return sympy.E
        if str(tok) in self.dims:
            return Dim(sympy.Symbol(str(tok), positive=True, integer=True))
        n = self.resolve(tok)
        leaf = Leaf(n, self.shapes.get(n, SCALAR))
        return labels.LabelRef(leaf, self.classes[n]) if n in self.classes else leaf
