"""Matrix and vector expressions: shapes, broadcasting, and one VJP rule per matrix primitive.

Every value is a 2-D matrix (a scalar is 1×1, a vector(D) a D×1 column). Elementwise work is an
`Elem`: a scalar SymPy template over placeholders applied entry by entry, so its local
derivatives come from the scalar rule table (`rules.derivative`), not from a second table.
"""
from dataclasses import dataclass, field

import mpmath
from .lazy import numpy as np
import sympy

from .errors import ParseError
from .evaluate import evaluate
from .rules import DomainError, derivative

ONE = sympy.Integer(1)
SCALAR = (ONE, ONE)


class ShapeError(ParseError):
    """Shapes that do not fit; a ParseError in a spec, a verdict in a student's claim."""


def slot(i):
    """The i-th placeholder of an elementwise template."""
    return sympy.Symbol(f"⟨{i}⟩", real=True)


def show_shape(s):
    return f"{s[0]}×{s[1]}"


class MExpr:
    """Base of matrix expressions; Python operators build elementwise work and checked shapes."""
    is_Number = False

    def __add__(self, o):
        return elem(slot(0) + slot(1), self, o)

    def __radd__(self, o):
        return elem(slot(0) + slot(1), o, self)

    def __sub__(self, o):
        return elem(slot(0) - slot(1), self, o)

    def __rsub__(self, o):
        return elem(slot(0) - slot(1), o, self)

    def __mul__(self, o):
        return elem(slot(0) * slot(1), self, o)

    def __rmul__(self, o):
        return elem(slot(0) * slot(1), o, self)

    def __truediv__(self, o):
        return elem(slot(0) / slot(1), self, o)

    def __rtruediv__(self, o):
        return elem(slot(0) / slot(1), o, self)

    def __pow__(self, o):
        return elem(slot(0) ** slot(1), self, o)

    def __rpow__(self, o):
        return elem(slot(0) ** slot(1), o, self)

    def __neg__(self):
        return elem(-slot(0), self)

    @property
    def is_scalar(self):
        return self.shape == SCALAR

    @property
    def T(self):
        return transpose(self)

    def leaves(self):
        out = []
        for c in self.children():
            for l in c.leaves():
                if l not in out:
                    out.append(l)
        return out

    def children(self):
        return ()

    def has(self, leaf):
        return self == leaf or any(c.has(leaf) for c in self.children())


@dataclass(frozen=True)
class Leaf(MExpr):
    """A named matrix: an input, a forward name, or an adjoint (`name_bar`)."""
    name: str
    shape: tuple = SCALAR

    def leaves(self):
        return [self]


@dataclass(frozen=True)
class Const(MExpr):
    value: sympy.Expr
    shape: tuple = SCALAR


@dataclass(frozen=True)
class MatMul(MExpr):
    a: MExpr
    b: MExpr
    shape: tuple = field(default=None, compare=False)

    def children(self):
        return (self.a, self.b)


@dataclass(frozen=True)
class Transpose(MExpr):
    a: MExpr
    shape: tuple = field(default=None, compare=False)

    def children(self):
        return (self.a,)


@dataclass(frozen=True)
class Elem(MExpr):
    """`template` (over slot(0..k-1)) applied entry by entry to `args`, broadcast to `shape`."""
    template: sympy.Expr
    args: tuple
    shape: tuple = field(default=None, compare=False)

    def children(self):
        return self.args


@dataclass(frozen=True)
class Reduce(MExpr):
    """sum / mean over all entries (axis None) or one axis (dimensions kept), or norm2."""
    kind: str
    a: MExpr
    axis: object = None
    shape: tuple = field(default=None, compare=False)

    def children(self):
        return (self.a,)


@dataclass(frozen=True)
class Fill(MExpr):
    """`a` broadcast to `shape` (the backward of a sum)."""
    a: MExpr
    shape: tuple = SCALAR

    def children(self):
        return (self.a,)


class Op(MExpr):
    """A matrix primitive beyond @, ᵀ, elementwise work and sums (the class-label ops of
    derive/labels.py): it computes its own value and is rebuilt from new children; its VJP is
    an entry of VJP like every other."""

    def value(self, args, env):
        raise NotImplementedError

    def rebuild(self, kids):
        raise NotImplementedError


def is_size(s):
    """A size letter (`H` of `matrix(H, D)`): a positive integer symbol."""
    return isinstance(s, sympy.Symbol) and bool(s.is_integer) and bool(s.is_positive)


def lift(x):
    if isinstance(x, MExpr):
        return x
    if hasattr(x, "refuse"):        # a class label outside onehot/pick/cross_entropy
        x.refuse()
    x = sympy.Integer(x) if isinstance(x, int) else x
    x = x._sympy_() if hasattr(x, "_sympy_") else x      # a size letter (mscope.Dim)
    if not isinstance(x, sympy.Expr) or not all(is_size(s) for s in x.free_symbols):
        raise ParseError(f"cannot mix {x} into a matrix expression")
    return Const(x)      # a number, or a number of sizes (the 1/N of a mean)


def broadcast(shapes):
    """Broadcasting (docs/spec.md): a scalar to anything, a column to every column, a row to every row."""
    out = SCALAR
    for s in shapes:
        if s == SCALAR or s == out:
            continue
        if out == SCALAR:
            out = s
        elif s[1] == ONE and s[0] == out[0]:
            continue
        elif out[1] == ONE and out[0] == s[0]:
            out = s
        elif s[0] == ONE and s[1] == out[1]:
            continue
        elif out[0] == ONE and out[1] == s[1]:
            out = s
        else:
            raise ShapeError(f"shapes {show_shape(out)} and {show_shape(s)} do not broadcast")
    return out


def elem(template, *args):
    """An elementwise node; nested elementwise nodes, constants and broadcasts are folded in."""
    args = [lift(a) for a in args]
    out_shape = broadcast([a.shape for a in args])
    args = [a.a if isinstance(a, Fill) and broadcast([a.a.shape] + [b.shape for b in args if b is not a])
            == out_shape else a for a in args]
    flat, subs = [], {}

    def place(a):
        if a not in flat:
            flat.append(a)
        return sympy.Symbol(f"⟨⟨{flat.index(a)}⟩⟩", real=True)
    for i, a in enumerate(args):
        if isinstance(a, Const):
            subs[slot(i)] = a.value
        elif isinstance(a, Elem):
            subs[slot(i)] = a.template.xreplace({slot(j): place(b) for j, b in enumerate(a.args)})
        else:
            subs[slot(i)] = place(a)
    t = sympy.factor_terms(template.xreplace(subs))
    used = sorted((s for s in t.free_symbols if s.name.startswith("⟨⟨")), key=lambda s: int(s.name[2:-2]))
    if not used:
        return Const(t) if out_shape == SCALAR else Fill(Const(t), out_shape)
    keep = [flat[int(s.name[2:-2])] for s in used]
    t = t.xreplace({s: slot(k) for k, s in enumerate(used)})
    if t == slot(0) and keep[0].shape == out_shape:
        return keep[0]
    try:
        inner = broadcast([k.shape for k in keep])
    except ShapeError:       # a row and a column left: numpy's broadcast gives out_shape
        inner = out_shape
    if inner != out_shape:
        # the operands that spread the result (a stripped Fill's partners) dropped out of the
        # template: keep the broadcast explicit, or a later sum over that axis would miss it
        return Fill(keep[0] if t == slot(0) else Elem(t, tuple(keep), inner), out_shape)
    return Elem(t, tuple(keep), out_shape)


def matmul(a, b):
    a, b = lift(a), lift(b)
    if a.is_scalar or b.is_scalar:
        return a * b
    if a.shape[1] != b.shape[0]:
        raise ShapeError(f"@ needs matching inner sizes: {show_shape(a.shape)} @ {show_shape(b.shape)}")
    return MatMul(a, b, (a.shape[0], b.shape[1]))


def transpose(a):
    a = lift(a)
    if isinstance(a, Transpose):
        return a.a
    if a.is_scalar:
        return a
    return Transpose(a, (a.shape[1], a.shape[0]))


def reduce(kind, a, axis=None):
    a = lift(a)
    if kind == "norm2":
        return Reduce("norm2", a, None, SCALAR)
    if axis is None:
        return Reduce(kind, a, None, SCALAR)
    return Reduce(kind, a, axis, (ONE, a.shape[1]) if axis == 0 else (a.shape[0], ONE))


def fill(a, shape):
    return a if a.shape == shape else Fill(a, shape)


def rebuild(x, kids):
    """`x` with new children, through the constructors: shapes checked, elementwise work folded."""
    if isinstance(x, MatMul):
        return matmul(*kids)
    if isinstance(x, Transpose):
        return transpose(kids[0])
    if isinstance(x, Elem):
        try:
            return elem(x.template, *kids)
        except ShapeError:     # a row and a column spread to x.shape, as elem() itself keeps them
            return Elem(x.template, tuple(kids), x.shape)
    if isinstance(x, Reduce):
        return reduce(x.kind, kids[0], x.axis)
    if isinstance(x, Fill):
        return fill(kids[0], x.shape)
    if isinstance(x, Op):
        return x.rebuild(kids)
    return x


def written_size(e, table, memo):
    """Operations of `substitute(e, table, ...)` counted without building it (each name once),
    so that an expansion that would double with every layer is refused before it is built."""
    if isinstance(e, Leaf):
        if e.name not in table:
            return 0
        if e.name not in memo:
            memo[e.name] = written_size(table[e.name], table, memo)
        return memo[e.name]
    return count_ops(e, shallow=True) + sum(written_size(k, table, memo) for k in e.children())


def substitute(e, table, memo):
    """`e` with every Leaf that `table` names replaced by its expression, substituted in turn
    (each name once, through `memo`)."""
    if isinstance(e, Leaf):
        if e.name not in table:
            return e
        if e.name not in memo:
            memo[e.name] = substitute(table[e.name], table, memo)
        return memo[e.name]
    kids = e.children()
    return rebuild(e, [substitute(k, table, memo) for k in kids]) if kids else e


def count_ops(e, shallow=False):
    """Operations `e` writes as a tree: each @, ᵀ and reduction, and its templates' own
    (`shallow`: the node's own only)."""
    own = int(sympy.count_ops(e.template)) if isinstance(e, Elem) else int(
        isinstance(e, (MatMul, Transpose, Reduce, Op)))
    return own if shallow else own + sum(count_ops(k) for k in e.children())


def preorder(e):
    """`e` and every subexpression, parents first."""
    yield e
    for k in e.children():
        yield from preorder(k)


def unbroadcast(g, shape):
    """The adjoint of a broadcast operand: sum over the axes it was spread along."""
    if g.shape == shape:
        return g
    if isinstance(g, Fill) and g.a.shape in (shape, SCALAR):
        # the sum of copies is the copied value times their number: b̄ = c̄, not sum(ones·c̄/H)
        copies = (g.shape[0] * g.shape[1]) / (shape[0] * shape[1])
        return fill(elem(slot(0) * copies, g.a), shape)
    if shape == SCALAR:
        return reduce("sum", g)
    if shape[1] == ONE:
        return reduce("sum", g, 1)
    return reduce("sum", g, 0)


def _count(shape, axis):
    if axis is None:
        return shape[0] * shape[1]
    return shape[axis]


def _vjp_elem(e, g, i):
    local = derivative(e.template, slot(i))
    return unbroadcast(elem(slot(0) * local.xreplace({slot(k): slot(k + 1) for k in range(len(e.args))}),
                            g, *e.args), e.args[i].shape)


def _vjp_reduce(e, g, i):
    if e.kind == "norm2":
        return elem(2 * slot(0) * slot(1), g, e.a)
    if e.kind == "mean":
        g = elem(slot(0) / _count(e.a.shape, e.axis), g)
    return fill(g, e.a.shape)


VJP = {
    MatMul: lambda e, g, i: matmul(g, transpose(e.b)) if i == 0 else matmul(transpose(e.a), g),
    Transpose: lambda e, g, i: transpose(g),
    Elem: _vjp_elem,
    Reduce: _vjp_reduce,
    Fill: lambda e, g, i: unbroadcast(g, e.a.shape),
}


def vjp(expr, g, leaf):
    """∂(⟨g, expr⟩)/∂leaf: reverse mode through one expression, to every occurrence of `leaf`."""
    if expr == leaf:
        return g
    parts = [vjp(c, VJP[type(expr)](expr, g, i), leaf) for i, c in enumerate(expr.children()) if c.has(leaf)]
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    out = parts[0]
    for p in parts[1:]:
        out = out + p
    return out


def _entry(template, k, sizes):
    slots = [slot(i) for i in range(k)]

    def f(*xs):
        return evaluate(template, {**sizes, **dict(zip(slots, xs))})
    return np.frompyfunc(f, k, 1)


def _sizes(env):
    """Size letters as values, for templates that divide by a count (mean)."""
    return {sympy.Symbol(d, positive=True, integer=True): mpmath.mpf(n)
            for d, n in env.get("__sizes__", {}).items()}


def mevaluate(expr, env, memo=None):
    """The value of `expr` as a 2-D numpy array (object dtype, mpmath entries, or float64)."""
    memo = {} if memo is None else memo
    key = id(expr)
    if key in memo:
        return memo[key][1]
    if isinstance(expr, Leaf):
        if expr.name not in env:        # as for a scalar graph: a point without this value
            raise DomainError(f"no value for {expr.name}")
        out = env[expr.name]
    elif isinstance(expr, Const):
        out = np.array([[mpmath.mpf(expr.value.p) / expr.value.q if expr.value.is_Rational
                         else evaluate(expr.value, _sizes(env))]], dtype=object)
    elif isinstance(expr, MatMul):
        out = mevaluate(expr.a, env, memo) @ mevaluate(expr.b, env, memo)
    elif isinstance(expr, Transpose):
        out = mevaluate(expr.a, env, memo).T
    elif isinstance(expr, Elem):
        args = [mevaluate(a, env, memo) for a in expr.args]
        out = _entry(expr.template, len(args), _sizes(env))(*args)
        out = np.broadcast_to(out, _numeric_shape(args, out)).copy() if out.ndim == 2 else out
    elif isinstance(expr, Op):
        out = expr.value([mevaluate(k, env, memo) for k in expr.children()], env)
    elif isinstance(expr, Fill):
        a = mevaluate(expr.a, env, memo)
        target = _bind(expr.shape, env)
        out = np.broadcast_to(a, target).copy()
    else:
        a = mevaluate(expr.a, env, memo)
        if expr.kind == "norm2":
            out = np.array([[(a * a).sum()]], dtype=object)
        else:
            s = a.sum(axis=expr.axis, keepdims=True) if expr.axis is not None else np.array([[a.sum()]], dtype=object)
            if expr.kind == "mean":
                s = s / (a.size if expr.axis is None else a.shape[expr.axis])
            out = s
    out = np.asarray(out, dtype=object)
    if out.ndim == 0:
        out = out.reshape(1, 1)
    memo[key] = (expr, out)
    return out


def _numeric_shape(args, out):
    return np.broadcast_shapes(*[a.shape for a in args], out.shape)


def bind_size(d, env):
    """A size (a letter or a whole number) as the number it is at `env`."""
    return int(d) if d.is_Integer else env.get("__sizes__", {})[d.name]


def _bind(shape, env):
    sizes = env.get("__sizes__", {})
    return tuple(int(d) if d.is_Integer else sizes[d.name] for d in shape)
