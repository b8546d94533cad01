"""Index-form student input for matrix specs: `h̄_i = Σ_k W2_ki ȳ_k`.

An indexed name is an `Entry` (a scalar-shaped node), `Σ_k body` an `IndexSum`, and a whole
right-hand side an `IndexClaim` with its left-hand side's indices and its target's shape, so the
matrix checker evaluates, compares and diagnoses it like any matrix claim.
"""
import re
from dataclasses import dataclass, field

import mpmath
import numpy as np
import sympy

from derive.errors import ParseError
from derive.evaluate import evaluate
from derive.rules import DomainError
from derive.printing import Text
from derive.matrix import ONE, SCALAR, Elem, Leaf, MExpr, ShapeError, mevaluate, show_shape, slot

_text = Text(ascii=False)
MAX_LETTERS = 4        # index letters alive in one product: a grid of size^4 entries to evaluate
MAX_GRID = 1_000_000   # entries of one product's grid at a point (a large `at:` matrix)
INDEX = re.compile(r"(.+)_([a-z]{1,2})")      # a matrix has two indices at most


@dataclass(frozen=True)
class Lhs:
    """The left-hand side of a line: its graph name, index letters, and how it is shown (h̄_i)."""
    name: str
    letters: str
    shown: str
    adjoint: bool = True

    def suggest(self, letters):
        return f"{self.name}{'_bar' if self.adjoint else ''}_{letters}"


class IndexMismatch(ShapeError):
    """Indices that do not fit: a letter over two sizes, a free index not on the left, ..."""


@dataclass(frozen=True)
class Entry(MExpr):
    """One entry of a named matrix, `W2_ki`; `leaf` may be read transposed (a diagnosis reread)."""
    leaf: MExpr
    indices: tuple
    shape: tuple = SCALAR

    def children(self):
        return (self.leaf,)


@dataclass(frozen=True)
class IndexSum(MExpr):
    """`Σ_index body` over the size `dim`."""
    index: str
    dim: object
    body: MExpr
    shape: tuple = SCALAR

    def children(self):
        return (self.body,)


@dataclass(frozen=True)
class IndexClaim(MExpr):
    """A right-hand side in index form: entry (r, c) of the target binds the left-hand indices."""
    body: MExpr
    indices: tuple
    shape: tuple = field(default=SCALAR)

    def children(self):
        return (self.body,)

    @property
    def axes(self):
        """The index letter of each of the target's two axes (None where the size is 1)."""
        letters = iter(self.indices)
        return tuple(next(letters) if d != ONE else None for d in self.shape)


def ranks(shape):
    """The sizes that take an index: one per dimension that is not 1."""
    return [d for d in shape if d != ONE]


def split(name):
    """`W2_ki` -> ('W2', 'ki'); None when `name` has no index suffix."""
    m = INDEX.fullmatch(name)
    return (m.group(1), m.group(2)) if m else None


def free(e):
    """The index letters of `e` that no Σ binds."""
    if isinstance(e, Entry):
        return frozenset(e.indices)
    if isinstance(e, IndexSum):
        return free(e.body) - {e.index}
    return frozenset().union(*(free(k) for k in e.children())) if isinstance(e, (Elem, IndexClaim)) else frozenset()


def indexed(e):
    """Does `e` use index form anywhere?"""
    return isinstance(e, (Entry, IndexSum, IndexClaim)) or any(indexed(k) for k in e.children())


def whole(e):
    """Names of the matrices in `e` used without indices (outside every Entry)."""
    if isinstance(e, Entry):
        return []
    if isinstance(e, Leaf):
        return [] if e.is_scalar else [e.name]
    out = []
    for k in e.children():
        out += [n for n in whole(k) if n not in out]
    return out


class Indices:
    """The letters of one index-form line: each runs over one size, first fixed where it is first
    used (the left-hand side's letters by its target's shape)."""

    def __init__(self, lhs=None, shape=SCALAR, where=(1, 1)):
        self.left, self.shape, self.where = lhs, shape, where
        self.lhs = tuple(lhs.letters) if lhs else ()
        self.shown = lhs.shown if lhs else ""
        self.dims = {}
        for letter, d in zip(self.lhs, ranks(shape)):
            self.bind(letter, d, f"{self.shown} (the left-hand side)")

    def bind(self, letter, d, where):
        if letter in self.dims and self.dims[letter][0] != d:
            prev, at = self.dims[letter]
            raise IndexMismatch(f"index {letter} runs over {prev} in {at} but over {d} in {where}")
        self.dims.setdefault(letter, (d, where))

    def entry(self, leaf, letters, shown):
        """`leaf` at `letters`, one letter for each of its sizes other than 1."""
        for letter, d in zip(letters, ranks(leaf.shape)):
            self.bind(letter, d, shown)
        return Entry(leaf, tuple(letters))

    def total(self, letters, body):
        """`Σ_letters body`, innermost letter last."""
        if not re.fullmatch(r"[a-z]+", letters):
            raise IndexMismatch(f"Σ_{letters}: an index is a lowercase letter (Σ_k)")
        for k in reversed(letters):
            if not body.is_scalar:
                raise IndexMismatch(f"Σ_{k} sums a {show_shape(body.shape)} matrix, not one number: index sums "
                                    f"need every matrix written with its indices{_without(body)}")
            if k in self.lhs:
                raise IndexMismatch(f"Σ_{k} sums over {k}, an index of the left-hand side {self.shown}")
            if k not in free(body):
                raise IndexMismatch(f"Σ_{k}: {k} does not appear in what it sums")
            if len(free(body)) > MAX_LETTERS:
                raise ParseError(f"Σ_{k} sums a product of more than {MAX_LETTERS} index letters "
                                 f"({', '.join(sorted(free(body)))}); sum in steps")
            body = IndexSum(k, self.dims[k][0], body)
        return body

    def claim(self, body):
        """The whole right-hand side: scalar, its free indices all on the left; without indices on
        the left (or no left-hand side) a free index is an error."""
        if not body.is_scalar:
            raise IndexMismatch(f"an index-form line is one entry, but this is {show_shape(body.shape)}: "
                                f"write every matrix with its indices{_without(body)}")
        loose = sorted(free(body) - set(self.lhs))
        which = f"index {loose[0]} is" if len(loose) == 1 else f"indices {', '.join(loose)} are"
        if loose and not self.lhs:
            rank = len(ranks(self.shape)) if self.left else len(loose)
            letters = "".join(loose) if len(loose) == rank else "ijkl"[:rank]
            example = self.left.suggest(letters) if self.left else f"v_bar_{letters}"
            raise ParseError(f"{which} free on the right-hand side: an index-form claim needs its left-hand "
                             f"side with indices ({example} = ...)", *self.where)
        if loose:
            raise IndexMismatch(f"{which} free on the right-hand side but not on the left-hand side {self.shown}")
        return IndexClaim(body, self.lhs, self.shape if self.lhs else SCALAR)


def _without(e):
    names = [_text.name(n) for n in whole(e)]
    return f" ({' and '.join(names)} {'has' if len(names) == 1 else 'have'} none)" if names else ""


def index_value(claim, env):
    """The target-shaped array of `claim` at `env` (mpmath entries); an index-form expression
    with no free index is one number."""
    if not isinstance(claim, IndexClaim):
        claim = IndexClaim(claim, ())
    sizes = {sympy.Symbol(d, positive=True, integer=True): mpmath.mpf(n)
             for d, n in env.get("__sizes__", {}).items()}
    letters, a = _eval(claim.body, env, sizes, {})
    axes = claim.axes
    named = tuple(l for l in axes if l)
    b = _align(letters, a, named)
    b = b.reshape([b.shape[named.index(l)] if l else 1 for l in axes])
    bound = tuple(int(d) if d.is_Integer else env["__sizes__"][d.name] for d in claim.shape)
    return np.broadcast_to(b, bound).copy()


def _eval(e, env, sizes, memo):
    """(letters, array with one axis per letter) for an index-form node."""
    if e in memo:
        return memo[e]
    if isinstance(e, Entry):
        a = mevaluate(e.leaf, env)
        a = a[tuple(slice(None) if d != ONE else 0 for d in e.leaf.shape)]
        letters = e.indices
        if len(set(letters)) < len(letters):     # W_ii: the diagonal
            a, letters = np.diagonal(a).copy(), letters[:1]
        out = (tuple(letters), a)
    elif isinstance(e, IndexSum):
        letters, a = _eval(e.body, env, sizes, memo)
        out = (tuple(l for l in letters if l != e.index), _array(a.sum(axis=letters.index(e.index))))
    elif isinstance(e, Elem):
        parts = [_eval(x, env, sizes, memo) for x in e.args]
        union = tuple(sorted(set().union(*(set(l) for l, _ in parts))))
        slots = [slot(i) for i in range(len(parts))]
        if _grid(parts, union) > MAX_GRID:
            raise DomainError(f"more than {MAX_GRID:,} entries in one index-form product")
        f = np.frompyfunc(lambda *xs: evaluate(e.template, {**sizes, **dict(zip(slots, xs))}), len(parts), 1)
        out = (union, _array(f(*[_align(l, a, union) for l, a in parts])))
    else:
        out = ((), _array(mevaluate(e, env)[0, 0]))
    memo[e] = out
    return out


def _grid(parts, union):
    sizes = {}
    for letters, a in parts:
        sizes.update(zip(letters, a.shape))
    return int(np.prod([sizes[l] for l in union], dtype=object))


def _array(x):
    if isinstance(x, np.ndarray):
        return x.astype(object)
    a = np.empty((), dtype=object)
    a[()] = x
    return a


def _align(letters, a, target):
    """`a` (axes `letters`) with its axes in `target`'s order, size 1 where a letter is missing."""
    present = [l for l in target if l in letters]
    if a.ndim:
        a = np.transpose(a, [letters.index(l) for l in present])
    return a.reshape([a.shape[present.index(l)] if l in letters else 1 for l in target])
