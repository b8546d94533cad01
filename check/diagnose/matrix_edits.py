"""Edits of a matrix claim's tree: the student's formula with one mistake undone, tried in the
order of docs/rules.md and kept only when the edited claim equals the truth at every point of
every size setting (the counterexample among them).

A *spot* is a node of the claim (a matrix product's side, a leaf, a sum's operand) or a part of an
elementwise node's template (one term of a sum, one factor of a product, one function of a
slot). Constants are found by value at the first (seed-independent) point, the way the scalar
edits find them: with the part u set to zero the claim is R, so a claim linear in u that is right
with k·u satisfies T − R = k·(C − R) entry by entry (k = −1: a sign, k = 0: an extra term).
Factors, terms and names put in are looked for among the truth's parts (as written and written
out), the claim's parts and the graph's names of a shape that fits."""
from dataclasses import dataclass

import mpmath
import sympy

from derive.functions import BAR
from derive.matrix import (Const, Elem, Fill, Leaf, ShapeError, broadcast, elem, preorder, rebuild, slot)
from derive.printing import Text
from derive.rules import partial

from ..i18n import _
from .values import TINY
from . import kinds
from .edits import ACTIVATIONS, DERIVATIVES, _rational, positions, replace_at

_text = Text(ascii=False)
MAX_SPOTS = 40
MAX_PARTS = 24
PROBES = 4             # the seed-independent probe points come first in truth.checked (matrix.py)


@dataclass(frozen=True)
class Spot:
    """A part of the claim: `node` (an MExpr), and `put(new)`, the claim with it replaced."""
    node: object
    put: object
    role: str            # "root", "term" (an operand of a sum), "factor" or "part"
    where: object        # the node it sits in, for messages
    path_key: tuple = ()


def _show(e):
    if isinstance(e, Fill) and isinstance(e.a, Const):       # a constant spread over the matrix: as written
        e = e.a
    return _text.doprint(e)


def _show_part(template, args):
    try:
        return _show(elem(template, *args))
    except (ShapeError, ValueError, TypeError):
        return str(template)


def spots(claim):
    """Spots of `claim`, root first, then in preorder: nodes, and inside each elementwise node
    its template's terms and factors (through sums and products)."""
    out = [Spot(claim, lambda new: new, "root", claim)]
    stack = [((), claim)]
    while stack and len(out) < MAX_SPOTS:
        path, node = stack.pop(0)
        if isinstance(node, Elem):
            for p in positions(node.template)[1:]:
                if p.node.is_Number and (p.parent != "add" or node is not claim):
                    continue          # a constant is a spot only as a term of the whole claim (the + 1 too many)
                role = "term" if p.parent == "add" else "factor"
                out.append(Spot(_TemplatePart(node, p.node), _template_put(claim, path, node, p.path),
                                role, node, (path, p.path)))
        for i, k in enumerate(node.children()):
            if not isinstance(node, Elem):
                out.append(Spot(k, _node_put(claim, path + (i,)), "part", node, (path + (i,),)))
            stack.append((path + (i,), k))
    return out[:MAX_SPOTS]


@dataclass(frozen=True)
class _TemplatePart:
    """A part of an elementwise node's template, with the node's arguments."""
    elem_node: object
    template: object

    def expr(self):
        return elem(self.template, *self.elem_node.args)


def _node_put(claim, path):
    def put(new):
        return _put(claim, path, new)
    return put


def _put(e, path, new):
    if not path:
        return new
    kids = list(e.children())
    kids[path[0]] = _put(kids[path[0]], path[1:], new)
    return rebuild(e, kids)


def _template_put(claim, path, node, tpath):
    """new: a SymPy expression over the node's slots, or an MExpr put in for the part."""
    def put(new):
        args = list(node.args)
        if not isinstance(new, sympy.Basic):
            args.append(new)
            new = slot(len(args) - 1)
        t = replace_at(node.template, tpath, new)
        return _put(claim, path, elem(t, *args))
    return put


class MatrixEdits:
    """The edit search over one matrix claim; `ok(expr)` checks a repair at every point."""

    def __init__(self, work, truth, case, claim, ok, written):
        self.work, self.truth, self.case, self.claim, self.ok = work, truth, case, claim, ok
        self.env = truth.checked[0]
        self.T = self.env[case.name + BAR]
        self.C = self._at(claim)
        self.written = written
        self._spots = spots(claim)
        self._parts = None
        self._w = {}
        self._k = None
        self._terms = None
        self._own = set(preorder(claim))
        for e in list(self._own):
            self._own.update(_template_parts(e))

    def _at(self, e):
        self.work.spend(50)
        return self.work.value(e, self.env) if e is not None else None

    def _try(self, build):
        try:
            e = build()
        except (ShapeError, ValueError, TypeError, ZeroDivisionError):
            return None
        if e is None or e.shape != self.claim.shape:
            return None
        return e if self.ok(e) else None

    def constant_steps(self):
        """The kinds whose repair puts a constant in (search.EditSpace; kinds.py, for both backends)."""
        return {kind: _as_dict(step) for kind, step in kinds.Kinds(self).steps().items()}

    def steps(self):
        """The kinds whose repair puts a sub-expression in (search.EditSpace, the second pass)."""
        return {"derivative_of_wrong_function": self.wrong_function,
                **{kind: _as_dict(step) for kind, step in kinds.Kinds(self).expression_steps().items()},
                "wrong_variable": self.wrong_variable}

    def confirmed(self, repair):
        return self.ok(repair)

    def _node(self, s):
        return s.node.expr() if isinstance(s.node, _TemplatePart) else s.node

    def _zero(self, s):
        """The claim with the spot's part set to zero."""
        try:
            if isinstance(s.node, _TemplatePart):
                return s.put(sympy.Integer(0))
            return s.put(_zeros(s.node))
        except (ShapeError, ValueError, TypeError, ZeroDivisionError):
            return None

    def _ratios(self):
        """(spot, q) for every spot where T − R = q·(C − R) with q a small rational or 0: the
        claim right with the part scaled by q (−1: a sign, 0: a part too many)."""
        if self._k is None:
            self._k = []
            for s in self._spots:
                if s.role == "root":
                    continue
                R = self._at(self._zero(s))
                if R is None or self.C is None or R.shape != self.T.shape:
                    continue
                k = _entry_ratio(self.T - R, self.C - R)
                if k is None:
                    continue
                q = _rational(k, small=True) if abs(k) > mpmath.mpf("1e-12") else sympy.Integer(0)
                if q is not None and q != 1:
                    self._k.append((s, q))
        return self._k

    # --- kinds.Algebra: value tests at the first point, and the edits of one spot ---------------

    def spots(self):
        return self._spots

    def _ratio(self, s):
        return dict((id(t), q) for t, q in self._ratios()).get(id(s))

    def role(self, s):
        return s.role

    def is_number(self, s):
        node = self._node(s)
        return isinstance(node, Const) or isinstance(node, Fill) and isinstance(node.a, Const)

    def negated(self, s):
        return self._ratio(s) == -1

    def scale(self, s):
        q = self._ratio(s)
        return None if q is None or q in (0, -1) else q

    def is_one(self, s):
        return True          # tried by its edit, checked at every point

    def vanishes(self, s):
        return self._ratio(s) == 0

    def shift(self, s):
        """For a part of the claim's own template (the claim is elementwise in it): the one gap
        W − U at every entry, a small rational."""
        direct = self._direct(s)
        if direct is None or self.is_number(s):
            return None
        gaps = [w - u for u, w in zip(*direct) if w is not None]
        if not gaps or abs(gaps[0]) <= TINY or any(not _near(g, gaps[0]) for g in gaps):
            return None
        # the claim's change, entry by entry: κ·q with κ = (C − R)/U; one that takes away one of
        # the claim's own terms is an extra term, not a missing one
        U, R = direct[0], self._at(self._zero(s))
        if R is None:
            return None
        change = [None if abs(u) < TINY else (c - r) / u * gaps[0] for u, c, r in zip(U, self.C.flat, R.flat)]
        for t in self._own_terms():
            if all(x is None or _near(x, -y) for x, y in zip(change, t)):
                return None
        return _rational(gaps[0], small=True)

    def put(self, s, how, k=None):
        node = self._node(s)
        build = {"neg": lambda: self._scale(s, -1), "scale": lambda: self._scale(s, k),
                 "one": lambda: s.put(sympy.Integer(1)), "zero": lambda: self._zero(s),
                 "plus": lambda: s.put(s.node.template + k) if isinstance(s.node, _TemplatePart)
                 else s.put(elem(slot(0) + k, node)), "times": lambda: s.put(node * k),
                 "lower": lambda: s.put(s.node.template.base ** (s.node.template.exp - 1)), "over": lambda: s.put(node / k),
                 "minus": lambda: s.put(node - k),
                 "term": lambda: s.put(node + k)}[how]
        return self._try(build)

    def show(self, s, k=None):
        node = self._node(s)
        return _show(node if k is None else k * node)

    def show_number(self, k):
        return _show(k)

    def factors(self, s):
        """The truth's parts and the graph's names that fit the part's shape; for a part of the
        claim's own template, only those of the value W/U it must be multiplied by."""
        node, direct = self._node(s), self._direct(s)
        for f in self.parts():
            if f == node or not self._fits(node, f):
                continue
            if direct is not None and not self._matches(f, [None if w is None else w / u for u, w in zip(*direct)]):
                continue
            yield f

    def _scale(self, s, q):
        return s.put(elem(q * slot(0), self._node(s)))

    def wrong_function(self):
        """σ for σ′ (or tanh′ for σ′, ...) in a template, or a part of it written for the
        derivative of an activation the truth has (1 − h for tanh′(a))."""
        for s in self._spots:
            node = self._node(s)
            if not isinstance(node, Elem):
                continue
            for sub in sympy.preorder_traversal(node.template):
                for right in _alternatives(sub):
                    fix = self._try(lambda: s.put(elem(node.template.xreplace({sub: right}), *node.args))
                                    if not isinstance(s.node, _TemplatePart) else
                                    s.put(s.node.template.xreplace({sub: right})))
                    if fix is not None:
                        return {"kind": "derivative_of_wrong_function",
                                "message": _("the factor {written} should be {right}").format(
                                    written=_show_part(sub, node.args), right=_show_part(right, node.args)),
                                "_fix": fix}
        inputs = set(self.truth.graph.inputs)
        for s in self._spots:
            if s.role not in ("factor", "part", "term"):
                continue
            node = self._node(s)
            if isinstance(node, Leaf) and (node.name.endswith(BAR) or node.name in inputs):
                continue          # only a forward name (h = σ(z)) or an expression stands for a derivative
            prime = isinstance(node, Elem) and isinstance(node.template, DERIVATIVES)
            for right in self._derivatives():
                if right.shape != node.shape or right == node:
                    continue
                fix = self._try(lambda: s.put(right))
                if fix is not None and prime and type(right.template) is type(node.template) \
                        and len(node.args) == len(right.args) == 1:
                    # σ′(A) for σ′(Z): the derivative is right, its argument is a wrong name
                    return {"kind": "wrong_variable", "message": _("uses {written} where {right} belongs").format(
                        written=_show(node.args[0]), right=_show(right.args[0])), "_fix": fix}
                if fix is not None:
                    return {"kind": "derivative_of_wrong_function", "message": _("the factor {written} should be {right}").format(
                        written=_show(node), right=_show(right)), "_fix": fix}
        return None

    def _derivatives(self):
        out = []
        for e in self.parts():
            if isinstance(e, Elem) and isinstance(e.template, DERIVATIVES) and e.template.args[0] == slot(0):
                out.append(e)
        return out

    def parts(self):
        """Candidate factors and terms: the truth's parts (as written and written out), then the
        graph's names, each once, simplest first; never the claimed adjoint itself (a repair
        that writes the answer's own name says nothing)."""
        if self._parts is None:
            own = self.case.name + BAR
            seen, out = set(), []
            for src in (self.case.truth, self.written):
                for e in preorder(src):
                    for part in [e] + _template_parts(e):
                        if isinstance(part, (Const, Fill)) or part in seen or _names_of(part) & {own}:
                            continue
                        seen.add(part)
                        out.append(part)
            out.sort(key=lambda e: sum(1 for _n in preorder(e)))
            g = self.truth.graph
            for n in list(g.names) + [a.name + BAR for a in self.truth.derivation.order]:
                leaf = Leaf(n, g.shape_of(n[:-len(BAR)] if n.endswith(BAR) else n))
                if leaf not in seen and n not in (own, g.output + BAR):      # the output's adjoint is 1
                    seen.add(leaf)
                    out.append(leaf)
            self._parts = out[:MAX_PARTS]
        return self._parts

    def _fits(self, node, f):
        try:
            return broadcast([node.shape, f.shape]) == node.shape
        except ShapeError:
            return False

    def _direct(self, s):
        """(U, W) at the first point for a part of the claim's own template (the claim is
        elementwise in it, C = R + κ·U): W = U + (T − C)/κ is the value the part must have.
        None elsewhere (under a matrix product or a sum over an axis)."""
        if not (isinstance(s.node, _TemplatePart) and s.where is self.claim) or self.C is None:
            return None
        if s.path_key not in self._w:
            U, R = self._at(self._node(s)), self._at(self._zero(s))
            out = None
            if U is not None and R is not None and U.shape == self.C.shape == R.shape:
                W = [None if abs(u) < TINY or abs(c - r) < TINY else u + (t - c) * u / (c - r)
                     for u, c, r, t in zip(U.flat, self.C.flat, R.flat, self.T.flat)]
                out = (list(U.flat), W)
            self._w[s.path_key] = out
        return self._w[s.path_key]

    def _matches(self, f, want):
        """Does candidate f's value (broadcast) equal `want` (a list, None where unknown)?"""
        v = self._at(f)
        if v is None:
            return False
        try:
            v = _spread(v, self.C.shape)
        except ValueError:
            return False
        known = [(x, y) for x, y in zip(v.flat, want) if y is not None]
        return bool(known) and all(_near(x, y) for x, y in known)

    def power(self, s):
        t = s.node.template if s.role == "factor" and isinstance(s.node, _TemplatePart) else None
        if t is not None and t.is_Pow and t.exp.is_Integer and t.exp > 1:
            return _show_part(t.base, s.node.elem_node.args)
        return None

    def divisors(self, s):
        return ()            # no candidate is divided out of a matrix claim yet

    def extras(self, s):
        return ()            # no candidate term is taken out of a matrix claim yet (a part set to 0 is)

    def terms(self, s):
        """The truth's parts and the graph's names that fit, with a sign: for a part of the claim's
        own template only those of the value ±(W − U); never one that takes away a term of the
        claim (that is an extra term) or one the claim already has."""
        node, direct = self._node(s), self._direct(s)
        for g in self.parts():
            if not self._fits(node, g) or g in self._own:
                continue
            for sign in (1, -1):
                if direct is not None and not self._matches(g, [None if w is None else sign * (w - u)
                                                                for u, w in zip(*direct)]):
                    continue
                if (s.role == "root" or direct is not None and s.role == "term") and self._cancels(g, sign):
                    continue
                yield sign * g

    def path_of(self, term):
        """'the path through R' when `term` is the contribution of one consumer (one path of a
        fan-out) at every point, else None."""
        paths = self.truth.derivation.by_name[self.case.name].terms
        if len(paths) < 2:
            return None
        for t in paths:
            if self._equal(t.expr, term):
                return _("the path through {name}").format(name=t.upstream)
        return None

    def _equal(self, a, b):
        """Do two expressions agree (spread to the claim's shape) at the seed-independent probe
        points? (Which path a confirmed term is: the paths differ there.)"""
        for env in self.truth.checked[:PROBES]:
            self.work.spend(50)
            u, v = self.work.value(a, env), self.work.value(b, env)
            c = self.work.value(self.claim, env)
            if u is None or v is None or c is None:
                return False
            shape = c.shape
            try:
                u, v = _spread(u, shape), _spread(v, shape)
            except ValueError:
                return False
            if any(not _near(x, y) for x, y in zip(u.flat, v.flat)):
                return False
        return True

    def _own_terms(self):
        """The values (at the first point) of the claim's own terms, as lists of entries."""
        if self._terms is None:
            self._terms = []
            for s in self._spots:
                if s.role == "term" and s.where is self.claim:
                    R = self._at(self._zero(s))
                    if R is not None and R.shape == self.C.shape:
                        self._terms.append(list((self.C - R).flat))
        return self._terms

    def _cancels(self, g, sign):
        """Does putting in sign·g take away one of the claim's own terms (an extra term, not a
        missing one)? Compared by value at the first point."""
        terms = self._own_terms()
        v = self._at(g)
        if v is None:
            return False
        try:
            v = list(_spread(v, self.C.shape).flat)
        except ValueError:
            return False
        return any(all(_near(sign * x, -y) for x, y in zip(v, t)) for t in terms)

    def wrong_variable(self):
        g = self.truth.graph
        names = list(g.names) + [a.name + BAR for a in self.truth.derivation.order]
        for path, leaf in _leaves(self.claim):
            for n in names:
                if n == leaf.name or n == self.case.name + BAR:
                    continue
                shape = g.shape_of(n[:-len(BAR)] if n.endswith(BAR) else n)
                if shape != leaf.shape:
                    continue
                fix = self._try(lambda: _put(self.claim, path, Leaf(n, shape)))
                if fix is not None:
                    if leaf.name.endswith(BAR) and n.endswith(BAR):
                        msg = _("the upstream adjoint {written} should be {right}").format(
                            written=_text.name(leaf.name), right=_text.name(n))
                    else:
                        msg = _("uses {written} where {right} belongs").format(
                            written=_text.name(leaf.name), right=_text.name(n))
                    return {"kind": "wrong_variable", "message": msg, "_fix": fix}
        return None


def _as_dict(step):
    """A kinds.py step as a matrix finding ({'kind', 'message', '_fix'})."""
    def run():
        found = step()
        return None if found is None else {"kind": found.kind, "message": found.message, "_fix": found.fix}
    return run


def _template_parts(e):
    """The parts of an elementwise node's template: its terms and factors, and each product
    without one of its factors (the 2·λ of 2·λ·W)."""
    if not isinstance(e, Elem):
        return []
    subs = []
    for p in positions(e.template)[1:]:
        if not p.node.is_Number:
            subs.append(p.node)
        if p.node.is_Mul and 2 < len(p.node.args) <= 8:
            subs += [sympy.Mul(*(p.node.args[:i] + p.node.args[i + 1:])) for i in range(len(p.node.args))]
    out = []
    for t in subs:
        used = [i for i in range(len(e.args)) if slot(i) in t.free_symbols]
        try:
            out.append(elem(t.xreplace({slot(i): slot(k) for k, i in enumerate(used)}), *[e.args[i] for i in used]))
        except (ShapeError, ValueError, TypeError):
            pass
    return out


def _names_of(e):
    return {leaf.name for _p, leaf in _leaves(e)}


def _leaves(e, path=()):
    if isinstance(e, Leaf):
        yield path, e
        return
    for i, k in enumerate(e.children()):
        yield from _leaves(k, path + (i,))


def _zeros(node):
    return Fill(Const(sympy.Integer(0)), node.shape) if node.shape != (1, 1) else Const(sympy.Integer(0))


def _alternatives(sub):
    """Derivatives a student may have meant in place of a function node of a template."""
    if isinstance(sub, ACTIVATIONS) and len(sub.args) == 1:
        outs = [partial(sub, 0)]
    elif isinstance(sub, DERIVATIVES):
        outs = [d(sub.args[0]) for d in DERIVATIVES if not isinstance(sub, d)]
    else:
        return []
    return [o for o in outs if o != sub and not o.is_Number]


def _spread(v, shape):
    """v broadcast to `shape` (numeric sizes), as numpy does."""
    import numpy as np
    return np.broadcast_to(v, shape)


def _near(x, y):
    return abs(x - y) <= mpmath.mpf("1e-9") * max(abs(x), abs(y), mpmath.mpf("1e-30"))


def _entry_ratio(a, b):
    """k when a = k·b entry by entry (at the entry where b is largest), else None."""
    if a.shape != b.shape:
        return None
    i = max(range(b.size), key=lambda j: abs(b.flat[j]))
    if abs(b.flat[i]) < mpmath.mpf("1e-30"):
        return None
    k = a.flat[i] / b.flat[i]
    scale = max(max(abs(x) for x in a.flat), max(abs(y) for y in b.flat))
    if any(abs(x - k * y) > mpmath.mpf("1e-9") * scale for x, y in zip(a.flat, b.flat)):
        return None
    return k
