"""Edits of the claim itself: the student's formula with one mistake undone, in their own terms.

A *position* is a node of the claim reached from its root through sums and products only, so
the claim is linear in it: C = C₀ + κ·u, with κ the product of the factors beside it on the
way down. Writing W for the value the node must have for the claim to be the truth,
W = u + (T − C)/κ at every point, and each kind is a statement about W:

    sign                W = −u                constant_factor   W = k·u (k a small rational)
    wrong function      W = G(a) for u = F(a) (σ for σ′, tanh′ for σ′, …)
    missing_factor      W = u·f               extra_factor      W = u/g, or W = 1 for a factor u
    missing_term        W = u ± g             extra_term        W = 0 for a term u
    wrong_variable      W = v for a name u

f, g and v are looked up by value at the first (seed-independent) point among the truth's and
the claim's subexpressions, products of two of a product's factors (the chain factor 2·x),
paths of a fan-out, and names, then confirmed at every point by building the edited claim and
evaluating it: an edit is a finding only when the edited claim equals the truth everywhere.
Names inside functions (σ′(w·x) for σ′(w·b)) are swapped occurrence by occurrence."""
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass

import mpmath
import sympy

from derive.functions import Sigma, Relu, unbar
from derive.rules import PRIME_OF, partial

from ..i18n import _
from . import kinds, search
from .kinds import Finding
from .rewrites import _at_spot, _chain
from .values import ERRORS, MAX_SWAPS, TINY, _close, _float, _preorder, _same, show

ACTIVATIONS = (Sigma, sympy.tanh, Relu, sympy.exp, sympy.log, sympy.sin, sympy.cos)
DERIVATIVES = tuple(PRIME_OF)      # σ′, tanh′, relu′, ...: the table's derivative heads
MAX_POSITIONS = 300
MAX_TABLE = 1500
MAX_MUL_ARGS = 8
REBUILD_UNITS = 10        # a whole claim rebuilt (xreplace), per node
PATH_UNITS = 2            # the nodes on one path rebuilt, per argument


@dataclass(frozen=True)
class Position:
    path: tuple          # argument indices from the root
    node: object
    parent: str          # "root", "add" or "mul"
    cofactors: tuple     # the factors beside it in the products on the way down


def positions(claim):
    """Linear positions of `claim`, root first, in preorder."""
    out, stack = [], [((), claim, "root", ())]
    while stack and len(out) < MAX_POSITIONS:
        path, node, parent, co = stack.pop()
        out.append(Position(path, node, parent, co))
        if node.is_Add or node.is_Mul:
            kids = []
            for k, a in enumerate(node.args):
                more = co + tuple(b for j, b in enumerate(node.args) if j != k) if node.is_Mul else co
                kids.append((path + (k,), a, "add" if node.is_Add else "mul", more))
            stack.extend(reversed(kids))
    return out


def replace_at(e, path, new):
    if not path:
        return new
    args = list(e.args)
    args[path[0]] = replace_at(args[path[0]], path[1:], new)
    return e.func(*args)


class Table:
    """Candidate expressions by their value at point 0: a float lookup with a relative tolerance."""

    def __init__(self):
        self.keys, self.items, self.seen = [], [], set()
        self._sorted = None

    def add(self, expr, value):
        if expr in self.seen or len(self.items) >= MAX_TABLE:
            return
        f = _float(value)
        if f is None or f != f or abs(f) < 1e-300 or abs(f) > 1e300:
            return
        self.seen.add(expr)
        self.items.append((f, len(self.items), expr))
        self._sorted = None

    def find(self, value):
        f = _float(value)
        if f is None or f != f or abs(f) < 1e-300 or abs(f) > 1e300:
            return []
        if self._sorted is None:
            self._sorted = sorted(self.items)
            self.keys = [x[0] for x in self._sorted]
        tol = 1e-9 * abs(f)
        i = bisect_left(self.keys, f - tol)
        out = []
        while i < len(self.keys) and self.keys[i] <= f + tol:
            out.append(self._sorted[i])
            i += 1
        return [e for _f, _i, e in sorted(out, key=lambda x: (_size(x[2]), x[1]))]     # the simplest first


def _value0(val, e, i=0):
    try:
        return val.known(e, i)
    except ERRORS:
        return None


def table(claim, case, val, names, folded, at=0):
    """Candidate factors and terms: the truth's subexpressions (as written and folded into
    forward names), paths of the fan-out, pairs of a product's factors, the claim's own
    subexpressions, and every name."""
    t = Table()
    sources = [case.truth] + ([folded] if folded is not None and folded != case.truth else [])
    exprs = []
    for s in sources:
        exprs += [e for e in _preorder(s) if not e.is_Number]
    exprs += [e for _label, e in case.terms] + list(case.pool)
    exprs += [e for e in _preorder(claim) if not e.is_Number]
    exprs += list(names)
    for e in exprs:
        v = _value0(val, e, at)
        if v is not None:
            t.add(e, v)
    for s in sources:
        for m in _preorder(s):
            if m.is_Mul and 2 < len(m.args) <= MAX_MUL_ARGS:
                args = m.args
                for i in range(len(args)):
                    for j in range(i + 1, len(args)):
                        _add_product(t, val, (args[i], args[j]), at)
                    _add_product(t, val, args[:i] + args[i + 1:], at)
    return t


def _add_product(t, val, factors, at=0):
    vals = [_value0(val, f, at) for f in factors]
    if any(v is None for v in vals) or all(f.is_Number for f in factors):
        return
    t.add(sympy.Mul(*factors), mpmath.fprod(vals))


class Search:
    """The edit search over one claim: values of W at point 0 first, then the edited claim
    confirmed at every point."""

    def __init__(self, claim, case, val, C0, T, names, folded, defs):
        self.claim, self.case, self.val, self.C0, self.T = claim, case, val, C0, T
        own = case.truth.free_symbols
        self.names = sorted(names, key=lambda n: (n not in own, str(n)))     # the truth's names first
        self.defs = defs
        self._fold, self._folded = folded, None
        self.pos = positions(claim)
        # units of one edited claim built and evaluated (a SymPy rebuild costs ~10 evaluations a node)
        self.cost = REBUILD_UNITS * len(_preorder(claim))
        self.w0, self.kappa = {}, {}
        self._tables, self._terms = {}, None

    @property
    def folded(self):
        """The truth with forward names folded in, made when first needed."""
        if self._folded is None:
            self._folded = self._fold()
        return self._folded

    @property
    def table(self):
        return self.table_at(0)

    def table_at(self, i):
        """The candidates by their values at point i (point 1 where a value vanishes at point 0:
        a router [w > z] that is 0 at the spec's point)."""
        if i not in self._tables:
            self._tables[i] = table(self.claim, self.case, self.val, self.names, self.folded, i)
        return self._tables[i]

    def W_at(self, p, i):
        """(u, W) at point i (point 0: W0), or None."""
        if i == 0:
            return self.W0(p)
        if len(self.val.envs) <= i:
            return None
        key = (p.path, i)
        if key not in self.w0:
            val = self.val
            self.val.spend()
            try:
                kappa = mpmath.fprod(val.known(f, i) for f in p.cofactors)
                u = val.known(p.node, i)
                c = val.known(self.claim, i)
            except ERRORS:
                kappa = None
            self.w0[key] = None if kappa is None or abs(kappa) < TINY else (u, u + (self.T[i] - c) / kappa)
        return self.w0[key]

    def W0(self, p):
        """(u, W) at point 0, or None where κ vanishes (the position cannot be told there)."""
        if p.path not in self.w0:
            val = self.val
            try:
                kappa = mpmath.fprod(val.known(f, 0) for f in p.cofactors)
                u = val.known(p.node, 0)
            except ERRORS:
                kappa = u = None
            self.val.spend()
            if kappa is None or abs(kappa) < TINY:
                self.w0[p.path] = None
            else:
                self.kappa[p.path] = kappa
                self.w0[p.path] = (u, u + (self.T[0] - self.C0) / kappa)
        return self.w0[p.path]

    def rebuild(self, path):
        """Units of rebuilding the nodes on `path` (each with all its arguments)."""
        e, n = self.claim, 1
        for k in path:
            n += len(e.args)
            e = e.args[k]
        return PATH_UNITS * n

    def confirmed(self, edited):
        """Does the edited claim equal the truth at every point? (Its new nodes' values are
        counted as they are computed; building it was counted where it was built.)"""
        return _same(self.val(edited), self.T)

    def at_first(self, edited):
        """The edited claim's value at point 0 (None where undefined)."""
        return _value0(self.val, edited)

    def edit(self, p, new):
        self.val.spend(self.rebuild(p.path))
        try:
            e = replace_at(self.claim, p.path, new)
        except (TypeError, ValueError):
            return None
        return e if e != self.claim and self.confirmed(e) else None

    def run(self):
        if self.claim.is_Number:          # a constant (z̄ = 0) has no parts to edit: the rewrites say how
            return None
        return search.first(self)

    def whole_steps(self):
        """A scalar claim has no whole-claim constants beyond its root's sign and scale."""
        return {}

    def constant_steps(self):
        """The kinds whose repair puts a constant in (search.EditSpace; kinds.py, for both backends)."""
        return kinds.Kinds(self).steps()

    def steps(self):
        """The kinds whose repair puts a sub-expression in (search.EditSpace, the second pass)."""
        return {"derivative_of_wrong_function": self.wrong_function,
                **kinds.Kinds(self).expression_steps(), "wrong_variable": self.wrong_variable}

    def _each(self):
        for p in self.pos:
            w = self.W0(p)
            if w is not None:
                yield p, w[0], w[1]

    # --- kinds.Algebra: the value tests at point 0 and the edits of one position ---------------

    def spots(self):
        return [p for p, _u, _w in self._each()]

    def role(self, p):
        return {"root": "root", "add": "term", "mul": "factor"}[p.parent]

    def is_number(self, p):
        return p.node.is_Number

    def negated(self, p):
        u, w = self.W0(p)
        return abs(u) > TINY and _close(w, -u)

    def scale(self, p):
        u, w = self.W0(p)
        if abs(u) <= TINY or abs(w) <= TINY:
            return None
        k = _rational(w / u)
        return None if k is None or k in (0, 1, -1) else k

    def is_one(self, p):
        return not p.node.is_Number and _close(self.W0(p)[1], 1)

    def vanishes(self, p):
        u, w = self.W0(p)
        return abs(w) <= mpmath.mpf("1e-9") * abs(u)     # a constant too: `+ 1` is an extra term

    def shift(self, p):
        u, w = self.W0(p)
        gap = w - u
        if abs(gap) <= TINY or self._cancels(p, u, w):
            return None
        return _rational(gap, small=True)

    def factors(self, p):
        """By value: W/u at point 0 (point 1 where the factor vanishes at point 0 only)."""
        u, w = self.W0(p)
        i = 0
        if abs(u) <= TINY or abs(w) <= TINY:
            i, uw = 1, self.W_at(p, 1)
            if uw is None or abs(uw[0]) <= TINY or abs(uw[1]) <= TINY:
                return
            u, w = uw
        for f in self.table_at(i).find(w / u):
            if not f.is_Number and f != p.node:
                yield f

    def put(self, p, how, k=None):
        new = {"neg": lambda: -p.node, "scale": lambda: k * p.node, "one": lambda: sympy.Integer(1),
               "zero": lambda: sympy.Integer(0), "plus": lambda: p.node + k, "times": lambda: p.node * k, "over": lambda: p.node / k, "minus": lambda: p.node - k,
               "lower": lambda: p.node.base ** (p.node.exp - 1), "term": lambda: p.node + k}[how]()
        fix = self.edit(p, new)
        if how == "term" and fix is not None and _size(fix) < _size(self.claim):
            return None          # a term taken away, not put in
        return fix

    def show(self, p, k=None):
        return show(p.node if k is None else k * p.node)

    def show_number(self, k):
        return show(k)

    def _alternatives(self, node):
        """(written, right) pairs: a function node or a forward name defined by one, and the
        derivatives a student may have meant in its place."""
        head, arg = node, None
        if node.is_Symbol and node in self.defs:
            head = self.defs[node]
        if isinstance(head, ACTIVATIONS) and len(head.args) == 1:
            arg = head.args[0]
            outs = [partial(head, 0)]
        elif isinstance(head, DERIVATIVES):
            arg = head.args[0]
            outs = [d(arg) for d in DERIVATIVES if not isinstance(head, d)]
        else:
            return []
        return [o for o in outs if o != node and not o.is_Number]

    def wrong_function(self):
        for p, u, w in self._each():
            for right in self._alternatives(p.node):
                v = _value0(self.val, right)
                if v is not None and _close(v, w):
                    fix = self.edit(p, right)
                    if fix is not None:
                        return Finding("derivative_of_wrong_function", _wrong_function_message(p.node, right, self.defs),
                                       fix)
        # a part written for the derivative of an activation the truth has (1 − h for tanh′(a))
        for p, u, w in self._each():
            names = p.node.free_symbols
            if not names or p.node.is_Symbol and p.node not in self.defs or isinstance(p.node, DERIVATIVES):
                continue          # an input or an adjoint stands for itself; σ′(y) for σ′(z) is a wrong name
            for right in self._derivatives():
                v = _value0(self.val, right)
                outputs = self._outputs(right)
                if v is not None and _close(v, w) and names <= outputs and not self._one_factor_short(u, w, outputs):
                    fix = self.edit(p, right)
                    if fix is not None:
                        return Finding("derivative_of_wrong_function", _wrong_function_message(p.node, right, self.defs),
                                       fix)
        # inside a function or a power: σ(z)² for σ′(z)², edited and evaluated whole
        for path, node in _spots(self.claim, lambda e: bool(self._alternatives(e))):
            if _linear(self.claim, path):
                continue
            for right in self._alternatives(node):
                self.val.spend(self.rebuild(path))
                e = replace_at(self.claim, path, right)
                v = self.at_first(e)
                if v is not None and _close(v, self.T[0]) and self.confirmed(e):
                    return Finding("derivative_of_wrong_function", _wrong_function_message(node, right, self.defs), e)
        return None

    def _outputs(self, prime):
        """The forward names whose value is the activation of `prime` (h = tanh(a) for tanh′(a)):
        the only names a part written for `prime` may use (1 − h); with another name (1 − a²,
        tanh′(b)) the mistake is the name."""
        head = PRIME_OF[type(prime)](*prime.args)
        v = _value0(self.val, head)
        return {n for n in self.defs if v is not None and _close(_value0(self.val, n) or 0, v)}

    def _one_factor_short(self, u, w, outputs):
        """Is the part the derivative with one output left out (1 − f for σ′(z) = f·(1 − f))? That
        is a missing factor, said later."""
        for n in outputs:
            f = _value0(self.val, n)
            if f is not None and _close(w, u * f):
                return True
        return False

    def _derivatives(self):
        """The activation derivatives the truth has, as written and folded (σ′(z) for σ′(w·x + b))."""
        found = {d for e in (self.case.truth, self.folded) for d in _preorder(e) if isinstance(d, DERIVATIVES)}
        return sorted(found, key=sympy.default_sort_key)

    def _cancels(self, p, u, w):
        """Does adding W − u at p take away one of the claim's own terms (an extra term, not a
        missing one)? Compared by their contributions κ·u to the claim's value at point 0."""
        if self._terms is None:
            self._terms = Table()
            for q in self.pos:
                self.val.spend()
                if q.parent == "add" and self.W0(q) is not None:
                    self._terms.add(q.path, self.kappa[q.path] * self.W0(q)[0])
        return bool(self._terms.find(-self.kappa[p.path] * (w - u)))

    def terms(self, p):
        """By value: ±(W − u) at point 0, where it takes away none of the claim's terms."""
        u, w = self.W0(p)
        gap = w - u
        if abs(gap) <= TINY or self._cancels(p, u, w):
            return
        for g, s in [(g, 1) for g in self.table.find(gap)] + [(g, -1) for g in self.table.find(-gap)]:
            yield s * g

    def power(self, p):
        node = p.node
        if not (node.is_Pow and node.exp.is_Integer and node.exp > 1 and not node.base.is_Number):
            return None
        u, w = self.W0(p)
        b = self.val.known(node.base, 0)
        return show(node.base) if abs(b) > TINY and _close(w, u / b) else None

    def divisors(self, p):
        """By value: u/W at point 0."""
        u, w = self.W0(p)
        if abs(w) <= TINY or p.node.is_Number:
            return
        for g in self.table.find(u / w):
            if not g.is_Number and g != p.node:
                yield g

    def extras(self, p):
        """By value: ±(u − W) at the root, point 0."""
        if p.parent != "root":
            return
        u, w = self.W0(p)
        gap = u - w
        for g, s in [(g, 1) for g in self.table.find(gap)] + [(g, -1) for g in self.table.find(-gap)]:
            yield s * g

    def path_of(self, term):
        for label, t in self.case.terms:
            if label and _same_value(self.val, t, term):
                return label
        return None

    def wrong_variable(self):
        names = self.names
        values = {}
        for n in names:
            v = _value0(self.val, n)
            if v is not None:
                values[n] = v
        for p, u, w in self._each():
            if not p.node.is_Symbol:
                continue
            for v in names:
                if v != p.node and v in values and _close(values[v], w):
                    fix = self.edit(p, v)
                    if fix is not None:
                        return Finding("wrong_variable", _wrong_variable_message(p.node, v), fix)
        # one occurrence anywhere (inside a function), then a name replaced or two exchanged everywhere
        spots = [(path, s) for path, s in _spots(self.claim, lambda e: e.is_Symbol) if s in values]
        if len(spots) * len(names) <= MAX_SWAPS:
            for path, a in spots:
                chain = _chain(self.claim, path)
                for b in names:
                    if a == b or b not in values:
                        continue
                    self.val.spend(self.rebuild(path))
                    try:                    # the value at point 0 first, recomputing only the path
                        quick = _at_spot(self.val, chain, path, values[b], 0)
                    except ERRORS:
                        continue
                    if quick is None or not _close(quick, self.T[0]):
                        continue
                    e = replace_at(self.claim, path, b)
                    v = self.at_first(e)
                    if v is not None and _close(v, self.T[0]) and self.confirmed(e):
                        return Finding("wrong_variable", _wrong_variable_message(a, b), e)
        counts = Counter(s for _path, s in spots)
        syms = sorted(counts, key=str)
        for a in syms:
            for b in names:
                if a == b or b not in values:
                    continue
                swaps = ([{a: b, b: a}] if b in counts else []) + ([{a: b}] if counts[a] > 1 else [])
                for swap in swaps:
                    self.val.spend(self.cost)
                    e = self.claim.xreplace(swap)
                    v = self.at_first(e)
                    if v is not None and _close(v, self.T[0]) and self.confirmed(e):
                        return Finding("wrong_variable", _wrong_variable_message(a, b), e)
        return None


def _linear(e, path):
    """Is the node at `path` reached through sums and products only?"""
    for k in path:
        if not (e.is_Add or e.is_Mul):
            return False
        e = e.args[k]
    return True


def _size(e):
    return sum(1 for _node in sympy.preorder_traversal(e))


def _spots(e, wanted, path=()):
    """(path, node) of every occurrence in `e`'s tree of a node `wanted` accepts."""
    if wanted(e):
        yield path, e
        if e.is_Symbol:
            return
    for i, a in enumerate(e.args):
        yield from _spots(a, wanted, path + (i,))


def _same_value(val, a, b):
    va, vb = _value0(val, a), _value0(val, b)
    return va is not None and vb is not None and _close(va, vb)


def _rational(k, small=False):
    """k as a small rational (denominator ≤ 12, or ≤ 1000 unless `small`), else None."""
    try:
        f = float(k)
    except (TypeError, ValueError, OverflowError):
        return None
    if f != f or abs(f) > 1e6 or abs(f) < 1e-6:
        return None
    q = sympy.Rational(f).limit_denominator(12 if small else 1000)
    if abs(mpmath.mpf(q.p) / q.q - k) > mpmath.mpf("1e-20") * max(1, abs(k)):
        return None
    if small and abs(q) > 10:
        return None
    return q


def _wrong_function_message(node, right, defs):
    if node.is_Symbol and node in defs:
        return _("the factor {name} = {written} should be {right}").format(
            name=show(node), written=show(defs[node]), right=show(right))
    return _("the factor {written} should be {right}").format(written=show(node), right=show(right))


def _wrong_variable_message(a, b):
    if unbar(a) is not None and unbar(b) is not None:
        return _("the upstream adjoint {written} should be {right}").format(written=show(a), right=show(b))
    return _("uses {written} where {right} belongs").format(written=show(a), right=show(b))
