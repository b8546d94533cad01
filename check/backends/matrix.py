"""Checking matrix claims: random matrices at several sizes (all different, non-square), finite
differences along random directions, shapes first, and matrix-specific diagnoses."""
import random
import re
import time
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy

from derive.errors import ParseError
from derive.parse import Keyword, error
from derive.evaluate import DIGITS
from derive.functions import BAR
from derive.graph import MAX_WRITTEN_SIZE
from derive.matrix import (ONE, SCALAR, Elem, Fill, Leaf, MatMul, MExpr, ShapeError, elem, lift, mevaluate,
                           rebuild, show_shape, substitute, transpose, written_size)
from derive.mscope import Dim, MatrixOps
from derive.names import canonical, spelled
from derive.printing import Text
from derive.rules import PRIME_OF, SPELLINGS, TABLE, DomainError

from .diagnose import MIN_SECONDS, OTHER, UNITS_PER_SECOND, WALL_FACTOR, _Spent
from .evidence import FD_TOL, REL_TOL, cached_truth
from .mindex import IndexClaim, IndexMismatch, Indices, Lhs, index_value, indexed, ranks, split
from .submission import target
from .verdict import Verdict

_text = Text(ascii=False)
SIZES = ([2, 3, 4, 5, 6, 7], [3, 5, 2, 6, 4, 7], [4, 2, 5, 3, 7, 6])
PER_SETTING = (6, 5, 5)
FLOAT_ENTRIES = 4_000
PROBE_UNITS = 200      # a candidate's value at one point, in the budget's units (characters reread)


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
        return self.keys.get(n) or self.keys.get(canonical(n))

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
            return self.entry(n, tok)
        return self.leaf(hit, adjoint)

    def leaf(self, hit, adjoint):
        leaf = Leaf(hit + BAR if adjoint else hit, self.graph.shape_of(hit))
        self.seen.append(leaf.name)
        return transpose(leaf) if leaf.name in self.flip else leaf

    def entry(self, n, tok):
        """An indexed name, `W2_ki`: one entry of a known matrix."""
        found = self.split_index(n)
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
        try:
            return self.indices.entry(self.leaf(hit, adjoint), letters, str(tok))
        except IndexMismatch as e:
            raise IndexMismatch(e.message, tok.line, tok.column) from None

    def call(self, tok, args):
        """`x_ki (...)`: a known name before brackets multiplies them, as in scalar specs."""
        n = spelled(str(tok))
        if len(args) == 1 and not isinstance(args[0], Keyword) and n not in SPELLINGS and self.known(n):
            return self.product(self.name(tok), args[0], None)
        return super().call(tok, args)

    def product(self, a, b, tok):
        r"""Side by side or `\cdot`: elementwise for equal shapes, else a matrix product;
        a scalar scales."""
        a_m, b_m = isinstance(a, MExpr) and not a.is_scalar, isinstance(b, MExpr) and not b.is_scalar
        if a_m and b_m and (a.shape != b.shape or tok is None and a.shape[1] == b.shape[0]):
            return self.matmul(a, b, tok)
        return a * b

    def sum_index(self, tok, body):
        """`Σ_k body`: the index-form sum over k."""
        try:
            return self.indices.total(str(tok), lift(body))
        except IndexMismatch as e:
            raise IndexMismatch(e.message, tok.line, tok.column) from None


def read_matrix(text, graph, line=1, col=1, fmt=None, flip=(), lhs=None):
    """(expression, names read); the expression is None when its shapes do not fit."""
    return read_claim(text, graph, line, col, fmt, flip, lhs)[:2]


def read_claim(text, graph, line=1, col=1, fmt=None, flip=(), lhs=None):
    """(expression or None, names read, why its indices do not fit or None). An index-form
    right-hand side becomes an IndexClaim with the shape of its left-hand side's name."""
    from .scope import read_expression
    scope = MatrixClaimScope(graph, flip, lhs, (line, col))
    try:
        e = lift(read_expression(text, scope, line, col, fmt))
        if indexed(e) or lhs and lhs.letters and e.is_scalar:
            e = scope.indices.claim(e)
        return e, scope.seen, None
    except IndexMismatch as x:
        return None, scope.seen, x.message
    except ShapeError:
        return None, scope.seen, None


class MatrixTruth:
    """True values of a matrix graph at 16 points spread over three size settings."""

    def __init__(self, graph, seed=0):
        self.graph = graph
        self.derivation = graph.backprop(wrt=graph.inputs)
        rng = random.Random(seed)
        self.points = []
        with mpmath.workdps(DIGITS):
            if graph.at and set(graph.at) >= set(graph.inputs):
                self._add(dict(graph.at))
            self.first_random = len(self.points)
            for setting, count in zip(SIZES, PER_SETTING):
                sizes = dict(zip(graph.dims, setting))
                tries = 0
                while count and tries < 50:
                    tries += 1
                    if self._add(self._random(rng, sizes)):
                        count -= 1
            self.directions = [{n: _random_like(rng, p[n]) for n in self.derivation.by_name}
                               for p in self.points]
        self._fd = {}

    def _random(self, rng, sizes):
        out = {}
        scale = rng.choice([0.5, 1.0, 2.0])
        for name in self.graph.inputs:
            shape = [int(d) if d.is_Integer else sizes[d.name] for d in self.graph.shapes[name]]
            out[name] = np.array([[mpmath.mpf(rng.choice((-1, 1)) * scale * rng.uniform(0.25, 1.0))
                                   for _ in range(shape[1])] for _ in range(shape[0])], dtype=object)
        return out

    def _add(self, leaves):
        try:
            vals, adj = self.derivation.values(leaves)
        except (DomainError, ZeroDivisionError, ValueError, OverflowError):
            return False
        env = dict(vals)
        env["__sizes__"] = self.graph.sizes(leaves)
        for k, v in adj.items():
            env[k + BAR] = v
        self.points.append(env)
        return True

    def fd_error(self, i, name):
        """Directional finite difference of the output along a random direction vs ⟨v̄, U⟩."""
        key = (i, name)
        if key not in self._fd:
            env, u = self.points[i], self.directions[i][name]
            with mpmath.workdps(DIGITS):
                def out(s):
                    point = {k: env[k] for k in self.graph.inputs}
                    if name in point:
                        point[name] = point[name] + s * u
                        return self.graph.values(point)[self.graph.output][0, 0]
                    return self._with_node(env, name, s * u)
                try:
                    fd = mpmath.diff(out, 0, h=mpmath.mpf("1e-12"))
                    exact = (env[name + BAR] * u).sum()
                    self._fd[key] = _rel(fd, exact)
                except (DomainError, ZeroDivisionError, ValueError):
                    self._fd[key] = mpmath.inf
        return self._fd[key]

    def _with_node(self, env, name, delta):
        e = {k: env[k] for k in self.graph.inputs}
        e["__sizes__"] = env["__sizes__"]
        for node in self.graph.nodes:
            e[node.name] = mevaluate(node.expr, e)
            if node.name == name:
                e[node.name] = e[node.name] + delta
        return e[self.graph.output][0, 0]


def _random_like(rng, a):
    return np.array([[mpmath.mpf(rng.choice((-1, 1)) * rng.uniform(0.5, 1.0)) for _ in range(a.shape[1])]
                     for _ in range(a.shape[0])], dtype=object)


def _rel(a, b):
    scale = max(abs(a), abs(b))
    return mpmath.mpf(0) if scale < mpmath.mpf("1e-40") else abs(a - b) / scale


def _arr_rel(c, t):
    scale = max(max(abs(x) for x in t.flat), max(abs(x) for x in c.flat))
    return mpmath.mpf(0) if scale < mpmath.mpf("1e-40") else max(abs(x - y) for x, y in zip(c.flat, t.flat)) / scale


def matrix_truth(graph, seed):
    return cached_truth(MatrixTruth, graph, seed, 16)


def _value(expr, env):
    try:
        with mpmath.workdps(DIGITS):
            return index_value(expr, env) if indexed(expr) else mevaluate(expr, env)
    except (DomainError, ZeroDivisionError, ValueError, OverflowError, KeyError):
        return None


def _plain(a):
    if a is None:
        return None
    if a.shape == (1, 1):
        return float(a[0, 0])
    if a.shape[1] == 1:
        return [float(x) for x in a[:, 0]]
    return [[float(x) for x in row] for row in a]


@dataclass(frozen=True)
class MatrixCase:
    name: str               # the variable whose adjoint is claimed
    truth: MExpr            # its true adjoint expression (for diagnosis)
    local: bool             # adjoints in the claim take their true values
    lhs: Lhs = None         # the line's left-hand side (its indices, for rereads)


def judge_matrix(truth, case, text, claim, row_line=None, fmt=None, line=1, col=1, why=None, deadline=1.0):
    """The verdict on one matrix claim; `claim` is None when the claim does not fit its shapes
    (`why` then says how its indices do not fit, for an index-form claim)."""
    start = time.perf_counter()
    g = truth.graph
    want = g.shape_of(case.name)
    fds = [truth.fd_error(i, case.name) for i in range(len(truth.points))]
    confirmed = all(f <= FD_TOL for f in fds)
    worst, bad, rows = mpmath.mpf(0), None, []
    if claim is not None and claim.shape == want:
        for i, env in enumerate(truth.points):
            t = env[case.name + BAR]
            c = _value(claim, env)
            err = mpmath.inf if c is None or c.shape != t.shape else _arr_rel(c, t)
            rows.append((t, c))
            worst = max(worst, err)
            if err > REL_TOL and fds[i] <= FD_TOL and bad is None:
                bad = i
        agree = worst <= REL_TOL and truth.points
    else:
        agree, worst = False, mpmath.inf
        # shown at the checker's own sizes: the spec's at: point may be square, where Wq̄ for Wᵀq̄
        # would look defined; only when none of those is confirmed, any confirmed point
        own = [i for i, f in enumerate(fds) if f <= FD_TOL]
        bad = next((i for i in own if i >= truth.first_random), own[0] if own else None)
        rows = [(env[case.name + BAR], None if claim is None else _value(claim, env)) for env in truth.points]
    verdict = "correct" if agree and confirmed else "incorrect" if bad is not None else "undecided"
    evidence = {
        "numeric": {"points": len(truth.points), "max_rel_error": None if worst == mpmath.inf else float(worst),
                    "digits": DIGITS, "sizes": [dict(env["__sizes__"]) for env in truth.points[:1]] +
                    [dict(s) for s in _settings(truth)]},
        "finite_difference": {"method": "mpmath.diff along random directions",
                              "max_rel_error": _finite(max(fds, default=mpmath.inf)),
                              "status": "confirmed" if confirmed else "not confirmed"},
        "symbolic": {"status": "skipped"},
    }
    counter = diagnosis = None
    if verdict == "incorrect":
        env = truth.points[bad]
        t, c = rows[bad]
        counter = {"at": {k: _plain(env[k]) for k in g.inputs}, "sizes": dict(env["__sizes__"]),
                   "expected": _plain(t), "got": _plain(c)}
        diagnosis = diagnose_matrix(truth, case, text, claim, fmt, line, col, why, deadline)
    return Verdict(case.name + BAR, verdict, evidence, counter, diagnosis, line=row_line,
                   seconds=time.perf_counter() - start)


def _finite(v):
    return None if v == mpmath.inf else float(v)


def _settings(truth):
    seen = []
    for env in truth.points:
        s = dict(env["__sizes__"])
        if s not in seen:
            seen.append(s)
    return seen[1:] if truth.graph.at else seen


def _probes(truth, n):
    """The first `n` points and the first point of every other size setting: a diagnosis that
    holds at one size only (a factor of 1/H read as the constant 1/2) must not pass."""
    seen, out = [], []
    for i, env in enumerate(truth.points):
        sizes = env["__sizes__"]
        if i < n or sizes not in seen:
            out.append(env)
        if sizes not in seen:
            seen.append(sizes)
    return out


class _Work:
    """The counted budget of one matrix diagnosis: characters reread and points evaluated, so
    the answer does not depend on the machine's speed; the wall clock is only a safety net."""

    def __init__(self, seconds):
        seconds = max(seconds or 0, MIN_SECONDS)
        self.left = int(UNITS_PER_SECOND * seconds)
        self.stop = time.monotonic() + WALL_FACTOR * seconds

    def spend(self, units):
        self.left -= units
        if self.left < 0 or time.monotonic() > self.stop:
            raise _Spent


def _same_at(work, truth, claim, expr_or_values, n=4):
    """Does `claim` equal the candidate (an MExpr, or a function env -> array) at the first points
    and at every size setting?"""
    for env in _probes(truth, n):
        work.spend(PROBE_UNITS)
        c = _value(claim, env)
        t = expr_or_values(env) if callable(expr_or_values) else _value(expr_or_values, env)
        if c is None or t is None or c.shape != t.shape or _arr_rel(c, t) > mpmath.mpf("1e-12"):
            return False
    return True


def _reread(work, text, truth, fmt, line, col, flip=(), swap=None, lhs=None):
    work.spend(len(text))
    if swap is not None:
        text = text[:swap[0]] + swap[1] + text[swap[0] + 1:]
    try:
        e, _ = read_matrix(text, truth.graph, line, col, fmt, flip, lhs)
        return e
    except ParseError:
        return None


def diagnose_matrix(truth, case, text, claim, fmt, line, col, why=None, seconds=MIN_SECONDS):
    """Kinds in DESIGN.md's order, for matrices: sign, constant factor, σ for σ′, transpose,
    wrong shape (or a missing batch sum), missing/extra factor and term, @ for ∘; 'other' when
    the budget of about `seconds` (never less than MIN_SECONDS) runs out first."""
    try:
        return _diagnose_matrix(_Work(seconds), truth, case, text, claim, fmt, line, col, why)
    except (_Spent, RecursionError):
        return dict(OTHER)


def _diagnose_matrix(work, truth, case, text, claim, fmt, line, col, why):
    g = truth.graph
    want = g.shape_of(case.name)
    target = lambda env: env[case.name + BAR]
    index_form = case.lhs is not None and bool(case.lhs.letters) or isinstance(claim, IndexClaim) or why is not None
    try:
        leaves = read_matrix(text, g, line, col, fmt, lhs=case.lhs)[1] or _names_in(text, g)
    except ParseError:
        leaves = _names_in(text, g)
    if claim is not None and claim.shape == want:
        if _same_at(work, truth, claim, lambda env: -target(env)):
            return {"kind": "sign", "message": "off by a factor of -1 (sign)"}
        env = truth.points[0]
        c, t = _value(claim, env), target(env)
        k = _ratio(c, t)
        if k is not None and _same_at(work, truth, claim, lambda env: k * target(env)):
            return {"kind": "constant_factor", "message": f"off by a constant factor of {mpmath.nstr(k, 6)}"}
        for base in (case.truth, _written_out(truth.derivation, case.truth)):
            wrong = _wrong_function(base)
            if wrong is not None and _same_at(work, truth, claim, wrong[0]):
                return {"kind": "derivative_of_wrong_function", "message": wrong[1]}
    for flip in _subsets(sorted(set(leaves))):
        e = _reread(work, text, truth, fmt, line, col, flip, lhs=case.lhs)
        if e is not None and e.shape == want and _same_at(work, truth, e, target):
            if index_form:
                return {"kind": "transpose", "message": "swap the indices of " + " and ".join(
                    _text.name(n) for n in flip) + " (a transpose)"}
            return {"kind": "transpose", "message": "transpose " + " and ".join(flip) + " (ᵀ)"}
    if index_form and case.lhs and len(case.lhs.letters) == 2:
        swapped = Lhs(case.lhs.name, case.lhs.letters[::-1], case.lhs.shown, case.lhs.adjoint)
        e = _reread(work, text, truth, fmt, line, col, lhs=swapped)
        if e is not None and e.shape == want and _same_at(work, truth, e, target):
            return {"kind": "transpose", "message": f"the whole result is transposed: the right-hand side is "
                                                    f"the entry ({case.lhs.letters[1]}, {case.lhs.letters[0]})"}
    if isinstance(claim, IndexClaim) and claim.shape != want:
        letters = "ij"[:len(ranks(want))]
        return {"kind": "wrong_shape", "message": f"every index is summed, so the claim is one number, but "
                                                  f"{_text.name(case.name + BAR)} is {show_shape(want)}: write the "
                                                  f"left-hand side with its indices ({case.name}_bar_{letters} = ...)"}
    if claim is not None and claim.shape != want:
        if transpose(claim).shape == want and _same_at(work, truth, transpose(claim), target):
            return {"kind": "transpose", "message": "the whole result is transposed"}
        for axis in (0, 1):
            s = lift(claim)
            from derive.matrix import reduce
            summed = reduce("sum", s, axis)
            if summed.shape == want and _same_at(work, truth, summed, target):
                return {"kind": "missing_batch_sum",
                        "message": f"sum over axis {axis} (the batch) is missing: got {show_shape(claim.shape)}, "
                                   f"{case.name}̄ is {show_shape(want)}"}
        return {"kind": "wrong_shape", "message": f"the claim is {show_shape(claim.shape)}, "
                                                  f"but {case.name}̄ must be {show_shape(want)}"}
    if claim is not None:
        size = _size_factor(work, truth, case, claim, target)
        if size is not None:
            return size
    for m in re.finditer(r"[*@]", "" if index_form else text):
        e = _reread(work, text, truth, fmt, line, col, swap=(m.start(), "@" if m.group() == "*" else "*"))
        if e is not None and e.shape == want and _same_at(work, truth, e, target):
            return {"kind": "elementwise_vs_matmul",
                    "message": "elementwise product and matrix product are confused"}
    if claim is None and why is not None:
        return {"kind": "wrong_shape", "message": why}
    if claim is None:
        return {"kind": "wrong_shape", "message": f"the shapes in the claim do not fit; {case.name}̄ is {show_shape(want)}"}
    terms = _terms(case.truth)
    if len(terms) > 1:
        for i, t in enumerate(terms):
            rest = _sum([u for j, u in enumerate(terms) if j != i])
            if rest.shape == want and _same_at(work, truth, claim, rest):
                return {"kind": "missing_term", "message": "a term is missing (a fan-out path?)"}
    for f in _factor_drops(case.truth):
        if f.shape == want and _same_at(work, truth, claim, f):
            return {"kind": "missing_factor", "message": "a factor is missing"}
    return {"kind": "other", "message": "differs from the true value"}


def _names_in(text, g):
    names = list(g.names) + [n + BAR for n in g.names]
    return [n for n in names if re.search(rf"(?<![\w]){re.escape(n)}(?![\w])", text)]


def _subsets(names):
    out = [(n,) for n in names]
    out += [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    return out[:40]


def _ratio(c, t):
    if c is None or t is None or c.shape != t.shape:
        return None
    i = max(range(t.size), key=lambda j: abs(t.flat[j]))
    if abs(t.flat[i]) < mpmath.mpf("1e-30"):
        return None
    k = c.flat[i] / t.flat[i]
    return None if abs(k - 1) < mpmath.mpf("1e-12") else k


def _wrong_function(e):
    swap = {prime: (head, f"{TABLE[head].uni} used where {TABLE[prime].uni} belongs")
            for prime, head in PRIME_OF.items()}
    found = []

    def walk(x):
        if isinstance(x, Elem):
            for sub in sympy.preorder_traversal(x.template):
                if type(sub) in swap:
                    found.append(swap[type(sub)][1])
                    return Elem(x.template.xreplace({sub: swap[type(sub)][0](*sub.args)}), x.args, x.shape)
        kids = x.children()
        if not kids:
            return x
        return rebuild(x, [walk(k) for k in kids])
    out = walk(e)
    return (out, found[0]) if found else None


def _written_out(derivation, e):
    """`e` with every adjoint in it replaced by its own expression, down to the output's 1, so
    that the σ′ of a layer below (inside Z̄ of W̄1 = xᵀ Z̄) is in sight of the σ-for-σ′ diagnosis;
    `e` itself when that would be too large to build."""
    table = {a.name + BAR: a.expr for a in derivation.order}
    if written_size(e, table, {}) > MAX_WRITTEN_SIZE:
        return e
    return substitute(e, table, {})


def _size_factor(work, truth, case, claim, target):
    """A size letter as a factor of the whole or of one term (a mean's 1/N left out, or one too
    many): the ratio differs between size settings, so it is not a constant factor."""
    terms = _terms(case.truth)
    parts = [None] + (terms if len(terms) > 1 else [])
    for letter in sorted(dict(truth.points[0]["__sizes__"])):
        for power, kind in ((1, "missing_factor"), (-1, "extra_factor")):
            for t in parts:
                def scaled(env, letter=letter, power=power, t=t):
                    k = mpmath.mpf(dict(env["__sizes__"])[letter]) ** power
                    if t is None:
                        return target(env) * k
                    v = _value(t, env)
                    return None if v is None else target(env) + v * (k - 1)
                if _same_at(work, truth, claim, scaled):
                    where = "" if t is None else f" in the term {_text.doprint(t)}"
                    return {"kind": kind, "message": f"{kind.split('_')[0]} factor 1/{letter}{where}"}
    return None


def _terms(e):
    if isinstance(e, Elem) and e.template.is_Add:
        return [elem(t, *e.args) for t in e.template.args]
    return [e]


def _sum(parts):
    out = parts[0]
    for p in parts[1:]:
        out = out + p
    return out


def _factor_drops(e):
    """The truth with one elementwise factor left out, wherever it has a product."""
    out = []
    if isinstance(e, MatMul) and e.a.shape[1] == ONE:
        out += [Fill(e.a, e.shape), Fill(e.b, e.shape)]      # an outer product without one side
    if isinstance(e, Elem):
        # a product, or a product inside one term of a sum (W̄ = q̄ xᵀ + R̄·W written q̄ xᵀ + W)
        for term in (e.template.args if e.template.is_Add else (e.template,)):
            if term.is_Mul:
                for f in term.args:
                    if not f.is_Number:
                        out.append(elem(e.template - term + term / f, *e.args))
    for i, k in enumerate(e.children()):
        for d in _factor_drops(k):
            kids = list(e.children())
            kids[i] = d
            try:
                out.append(rebuild(e, kids))
            except ShapeError:
                pass
    return out


class Matrix:
    """Judging against a matrix graph (the same interface as api.Scalar)."""

    def __init__(self, graph, seed, fmt, deadline=1.0):
        self.graph, self.fmt, self.deadline = graph, fmt, deadline
        self.scope = MatrixClaimScope(graph)
        self.truth = matrix_truth(graph, seed)
        self.derivation = self.truth.derivation
        self.lhs = self.last = None

    def resolve(self, name, line):
        """The graph's name for a left-hand side's `name`; `W1_ij` is W1 with indices. The last
        one resolved is what a claim without a left-hand side is about."""
        self.last = self.left(name, line)[0]
        return self.last

    def left(self, name, line):
        """(graph name, index letters) of a left-hand side's name."""
        n = spelled(name)
        hit = self.scope.lookup(n)
        if hit is not None:
            return hit, ""
        found = self.scope.split_index(n)
        if found is not None:
            return found[0], found[1]
        parts = split(n)
        base = parts and self.scope.lookup(parts[0])
        if base:
            shape = self.graph.shape_of(base)
            raise ParseError(f"the left-hand side '{name}': {base} is {show_shape(shape)}, so it takes "
                             f"{len(ranks(shape))} index letter(s)", line, 1)
        raise ParseError(f"unknown name '{name}'; known names: {', '.join(self.graph.names)}", line, 1)

    def parse(self, row):
        """(row, expression or None when its shapes do not fit, left-hand side, why not).
        A continuation row `= ...` keeps the left-hand side (and its indices) of the row above."""
        if row.lhs is not None:
            self.lhs = self._lhs(row)
        expr, _, why = read_claim(row.rhs, self.graph, row.line, row.col, self.fmt, lhs=self.lhs)
        return row, expr, self.lhs, why

    def _lhs(self, row):
        if not row.lhs:
            return Lhs(self.last, "", _text.name(self.last + BAR)) if self.last else None
        t = target(row.lhs, row.line)
        if t.kind == "expression":
            return None
        name, letters = self.left(t.name, row.line)
        adjoint = t.kind != "name"
        shown = _text.name(name + BAR if adjoint else name)
        return Lhs(name, letters, shown + (f"_{letters}" if letters else ""), adjoint)

    def adjoint(self, name, parsed, row, whole):
        r, expr, lhs, why = parsed
        case = MatrixCase(name, self.derivation.by_name[name].expr, not whole, lhs)
        return judge_matrix(self.truth, case, r.rhs, expr, r.line if row else None, self.fmt, r.line, r.col, why,
                            self.deadline)

    def forward(self, name, parsed, row):
        r, expr = parsed[:2]
        ok = expr is not None and all(
            (v := _value(expr, env)) is not None and v.shape == env[name].shape and _arr_rel(v, env[name]) <= REL_TOL
            for env in self.truth.points)
        return Verdict(name, "correct" if ok else "incorrect", {}, None,
                       None if ok else {"kind": "other", "message": f"differs from the spec's {name}"}, line=row.line)

    def global_values(self, chains, wanted):
        out = {}
        worst = {w: mpmath.mpf(0) for w in wanted}
        for env in self.truth.points:
            mine = dict(env)
            for a in self.derivation.order:
                rows_ = chains.get(a.name)
                if rows_ and rows_[-1][1] is not None:
                    # a line whose shapes do not fit has no value, and nor has what builds on it
                    # (an unreadable line, parsed None, keeps the true value as in scalar specs)
                    expr = rows_[-1][1][1]
                    usable = expr is not None and all(mine.get(l.name) is not None for l in expr.leaves()
                                                      if isinstance(l, Leaf))
                    mine[a.name + BAR] = _value(expr, mine) if usable else None
            for w in wanted:
                if w in chains:
                    v = mine.get(w + BAR)
                    ok = v is not None and v.shape == env[w + BAR].shape
                    worst[w] = max(worst[w], _arr_rel(v, env[w + BAR]) if ok else mpmath.inf)
        for w in sorted(wanted):
            if w in chains:
                out[f"{w}_bar"] = {"correct": bool(worst[w] <= REL_TOL), "max_rel_error": _finite(worst[w])}
        return out
