"""Class labels: `onehot`, `pick`, `softmax`, `log_softmax`, `logsumexp`, `cross_entropy`.

A label `y: label(C)` is one integer 0..C-1 (a 1×1 value), `y: labels(N, C)` is N of them (N×1).
The class axis is 0 for a C×1 score column and 1 for an N×C batch of score rows (CS231n's
`scores[range(N), y]`). Each node computes its own value; its vector-Jacobian product is an entry
of the one matrix VJP table (`matrix.VJP`), written with the node's own output, so softmax's
backward is the rule p ∘ (ḡ − Σ p ∘ ḡ), not a derivative of expanded exponentials.
"""
from dataclasses import dataclass, field

import mpmath
from .lazy import numpy as np

from .errors import ParseError
from .evaluate import HUGE
from .matrix import (ONE, SCALAR, VJP, Leaf, MExpr, Op, ShapeError, bind_size, elem, rebuild, reduce,
                     show_shape, slot, unbroadcast)
from .rules import DomainError

FUNCTIONS = ("onehot", "pick", "softmax", "log_softmax", "logsumexp", "cross_entropy")


class LabelRef:
    """A class label as read from a spec or a claim: only the label functions take it."""

    is_Number = False

    def __init__(self, leaf, classes):
        self.leaf, self.classes = leaf, classes

    def refuse(self, *_):
        raise ParseError(f"'{self.leaf.name}' is a class label: use it in onehot({self.leaf.name}), "
                         f"pick(v, {self.leaf.name}) or cross_entropy(S, {self.leaf.name})")

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = refuse
    __truediv__ = __rtruediv__ = __pow__ = __rpow__ = __neg__ = __matmul__ = refuse


def _mpf_array(rows):
    return np.array(rows, dtype=object)


def _labels(y, classes):
    """The label values of `y` (an array of one or N entries) as ints, each checked against C."""
    out = []
    for v in y[:, 0]:
        k = int(v)
        if k != v or not 0 <= k < classes:
            raise DomainError(f"a class label must be a whole number 0..{classes - 1}, not {v}")
        out.append(k)
    return out


def _along(a, axis, f):
    """`f` applied to every column (axis 0) or row (axis 1) of `a`, each a list of entries."""
    if axis == 0:
        cols = [f(list(a[:, j])) for j in range(a.shape[1])]
        return _mpf_array([[c[i] for c in cols] for i in range(len(cols[0]))])
    return _mpf_array([f(list(a[i, :])) for i in range(a.shape[0])])


def _tame(xs):
    """Scores beyond 10^100 are off the domain, as for exp itself (evaluate.HUGE)."""
    if any(abs(x) > HUGE for x in xs):
        raise DomainError("softmax of a score beyond 10^100")
    return max(xs)


def _softmax(xs):
    m = _tame(xs)
    e = [mpmath.exp(x - m) for x in xs]
    s = mpmath.fsum(e)
    return [v / s for v in e]


def _log_softmax(xs):
    m = _tame(xs)
    lse = m + mpmath.log(mpmath.fsum(mpmath.exp(x - m) for x in xs))
    return [x - lse for x in xs]


def _logsumexp(xs):
    m = _tame(xs)
    return [m + mpmath.log(mpmath.fsum(mpmath.exp(x - m) for x in xs))]


def class_axis(label):
    """The class axis of the scores that go with `label`: 0 for one label, 1 for a batch."""
    return 0 if label.shape == SCALAR else 1


@dataclass(frozen=True)
class OneHot(Op):
    """onehot(y): C×1 for one label, N×C for N labels."""
    label: Leaf
    classes: object
    shape: tuple = field(default=None, compare=False)

    def children(self):
        return (self.label,)

    def value(self, args, env):
        c = bind_size(self.classes, env)
        ks = _labels(args[0], c)
        if self.label.shape == SCALAR:
            return _mpf_array([[mpmath.mpf(int(i == ks[0]))] for i in range(c)])
        return _mpf_array([[mpmath.mpf(int(j == k)) for j in range(c)] for k in ks])

    def rebuild(self, kids):
        return self


@dataclass(frozen=True)
class Pick(Op):
    """pick(v, y): the true class's entry, 1×1 (or N×1, one per row of an N×C batch)."""
    a: MExpr
    label: Leaf
    classes: object
    shape: tuple = field(default=None, compare=False)

    def children(self):
        return (self.a, self.label)

    def value(self, args, env):
        a, y = args
        ks = _labels(y, a.shape[class_axis(self.label)])
        if self.label.shape == SCALAR:
            return _mpf_array([[a[ks[0], 0]]])
        return _mpf_array([[a[i, k]] for i, k in enumerate(ks)])

    def rebuild(self, kids):
        return pick(kids[0], LabelRef(self.label, self.classes))


@dataclass(frozen=True)
class _AlongAxis(Op):
    """A function of each column (axis 0) or row (axis 1) of the scores: `per_line` maps one
    column's or row's entries to the result's; `shaped` is the result's shape."""
    a: MExpr
    axis: int
    shape: tuple = field(default=None, compare=False)

    @staticmethod
    def shaped(a, axis):
        return a.shape

    def children(self):
        return (self.a,)

    def value(self, args, env):
        return _along(args[0], self.axis, self.per_line)

    def rebuild(self, kids):
        return type(self)(kids[0], self.axis, self.shaped(kids[0], self.axis))


@dataclass(frozen=True)
class Softmax(_AlongAxis):
    per_line = staticmethod(_softmax)


@dataclass(frozen=True)
class LogSoftmax(_AlongAxis):
    per_line = staticmethod(_log_softmax)


@dataclass(frozen=True)
class LogSumExp(_AlongAxis):
    """log Σ exp along an axis, dimensions kept (like `sum`)."""
    per_line = staticmethod(_logsumexp)

    @staticmethod
    def shaped(a, axis):
        return (ONE, a.shape[1]) if axis == 0 else (a.shape[0], ONE)


@dataclass(frozen=True)
class CrossEntropy(Op):
    """Σ −log softmax of the true classes (summed over a batch, not averaged)."""
    a: MExpr
    label: Leaf
    classes: object
    shape: tuple = field(default=SCALAR, compare=False)

    def children(self):
        return (self.a, self.label)

    def value(self, args, env):
        a, y = args
        axis = class_axis(self.label)
        ks = _labels(y, a.shape[axis])
        logp = _along(a, axis, _log_softmax)
        picked = [logp[ks[0], 0]] if axis == 0 else [logp[i, k] for i, k in enumerate(ks)]
        return _mpf_array([[-mpmath.fsum(picked)]])

    def rebuild(self, kids):
        return cross_entropy(kids[0], LabelRef(self.label, self.classes))


def _check_scores(a, ref, what):
    """The scores that go with label(s) `ref`: a C×1 column for one label, N×C for N labels."""
    if not isinstance(a, MExpr):
        raise ShapeError(f"{what} takes a score vector or matrix first")
    want = (ref.classes, ONE) if ref.leaf.shape == SCALAR else (ref.leaf.shape[0], ref.classes)
    if a.shape != want:
        raise ShapeError(f"{what}: the scores are {show_shape(a.shape)}, but with "
                         f"{'the label' if ref.leaf.shape == SCALAR else 'the labels'} {ref.leaf.name} they must be "
                         f"{show_shape(want)}")


def onehot(ref):
    shape = (ref.classes, ONE) if ref.leaf.shape == SCALAR else (ref.leaf.shape[0], ref.classes)
    return OneHot(ref.leaf, ref.classes, shape)


def pick(a, ref):
    _check_scores(a, ref, "pick")
    return Pick(a, ref.leaf, ref.classes, SCALAR if ref.leaf.shape == SCALAR else ref.leaf.shape)


def cross_entropy(a, ref):
    _check_scores(a, ref, "cross_entropy")
    return CrossEntropy(a, ref.leaf, ref.classes, SCALAR)


def softmax(a, axis):
    return Softmax(a, axis, a.shape)


def log_softmax(a, axis):
    return LogSoftmax(a, axis, a.shape)


def logsumexp(a, axis):
    return LogSumExp(a, axis, LogSumExp.shaped(a, axis))


AXIS_BUILDERS = {"softmax": softmax, "log_softmax": log_softmax, "logsumexp": logsumexp}


def default_axis(a, name):
    """The axis of a column (0) or a row (1); a matrix must say which."""
    if a.shape[1] == ONE:
        return 0
    if a.shape[0] == ONE:
        return 1
    raise ShapeError(f"{name} of a matrix ({show_shape(a.shape)}) needs its class axis: {name}(..., axis=1) "
                     f"for one row of scores per example")


def _no_gradient(e, g, i):
    raise ValueError("a class label has no gradient")


def _vjp_softmax(e, g, i):
    # p ∘ (ḡ − Σ_axis p ∘ ḡ): the Jacobian-vector product of softmax, written in its output
    return elem(slot(0) * (slot(1) - slot(2)), e, g, reduce("sum", elem(slot(0) * slot(1), e, g), e.axis))


def _vjp_log_softmax(e, g, i):
    # ḡ − softmax(a) ∘ Σ_axis ḡ; a spread ḡ (the backward of a sum) sums to its value times the count
    total = unbroadcast(g, (ONE, e.shape[1]) if e.axis == 0 else (e.shape[0], ONE))
    return elem(slot(0) - slot(1) * slot(2), g, softmax(e.a, e.axis), total)


VJP.update({
    OneHot: _no_gradient,
    Pick: lambda e, g, i: elem(slot(0) * slot(1), g, onehot(LabelRef(e.label, e.classes))) if i == 0
    else _no_gradient(e, g, i),
    Softmax: _vjp_softmax,
    LogSoftmax: _vjp_log_softmax,
    LogSumExp: lambda e, g, i: elem(slot(0) * slot(1), g, softmax(e.a, e.axis)),
    CrossEntropy: lambda e, g, i: elem(slot(0) * (slot(1) - slot(2)), g,
                                       softmax(e.a, class_axis(e.label)), onehot(LabelRef(e.label, e.classes)))
    if i == 0 else _no_gradient(e, g, i),
})


def outputs_named(g, expr, leaf):
    """`g` with every occurrence of the consumer's own expression written as its name (p for
    softmax(s) in s̄ = p ∘ (p̄ − Σ p ∘ p̄)), as the scalar rules write σ′ in the gate's output."""
    if g == expr:
        return leaf
    kids = g.children()
    if not kids:
        return g
    new = [outputs_named(k, expr, leaf) for k in kids]
    if all(a is b for a, b in zip(new, kids)):
        return g
    return rebuild(g, new)


def call(name, tok_error, args, kwargs):
    """`name(args, axis=...)` over matrix expressions and label references; `tok_error(message)`
    makes the error at the call's position."""
    labels = [a for a in args if isinstance(a, LabelRef)]
    if name == "onehot":
        if len(args) != 1 or not labels or kwargs:
            raise tok_error("onehot takes one class label: onehot(y)")
        return onehot(args[0])
    if name in ("pick", "cross_entropy"):
        if len(args) != 2 or not isinstance(args[1], LabelRef) or isinstance(args[0], LabelRef) or kwargs:
            raise tok_error(f"{name} takes scores and a class label: {name}(s, y)")
        return (pick if name == "pick" else cross_entropy)(args[0], args[1])
    if len(args) != 1 or labels or not isinstance(args[0], MExpr):
        raise tok_error(f"{name} takes one score vector or matrix (and axis=0 or axis=1)")
    a = args[0]
    axis = None
    if "axis" in kwargs:
        v = kwargs.pop("axis").value
        if v not in (0, 1):
            raise tok_error(f"{name}: axis must be 0 or 1")
        axis = int(v)
    if kwargs:
        raise tok_error(f"{name} takes only axis=")
    if axis is None:
        axis = default_axis(a, name)
    return AXIS_BUILDERS[name](a, axis)
