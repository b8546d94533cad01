"""Matrix diagnoses in the order of docs/rules.md under a counted work budget: sign, constant factor,
σ for σ′, transpose, wrong shape, missing batch sum, factors and terms, @ for ∘."""
import re
import time

import mpmath
import sympy

from derive.errors import ParseError
from derive.functions import BAR
from derive.labels import LabelRef, onehot
from derive.limits import MAX_WRITTEN_SIZE
from derive.matrix import (ONE, Elem, Fill, Leaf, MatMul, ShapeError, elem, lift, rebuild, reduce, show_shape, substitute,
                           transpose, written_size)
from derive.printing import Latex, Text
from derive.rules import PRIME_OF, TABLE

from ..evidence.matrix import _arr_rel, _value, matrix_truth
from ..i18n import _
from .edits import _rational
from . import search
from .matrix_edits import MatrixEdits
from .scalar import other
from .values import MIN_SECONDS, UNITS_PER_SECOND, WALL_FACTOR, _Spent
from ..read.index import IndexClaim, Lhs, ranks
from ..read.classify import is_latex
from ..read.matrix import read_matrix

_text = Text(ascii=False)
PLAIN = Text(ascii=True)
LATEX = Latex()
PROBE_UNITS = 200      # a candidate's value at one point, in the budget's units (characters reread)
PROBE_SEED = 0         # findings are looked for at this seed's points first, whatever --seed is
PROBES = 4


def _probes(truth, n=None):
    """Every point a finding must hold at: the seed-independent probe points first (so that what
    is tried, and the budget it costs, does not depend on --seed), then every evidence point of
    every size setting, the counterexample among them."""
    return truth.checked


class _Work:
    """The counted budget of one matrix diagnosis: characters reread and points evaluated, so
    the answer does not depend on the machine's speed; the wall clock is only a safety net."""

    def __init__(self, seconds):
        seconds = max(seconds or 0, MIN_SECONDS)
        self.left = int(UNITS_PER_SECOND * seconds)
        self.stop = time.monotonic() + WALL_FACTOR * seconds
        self.memo = {}

    def value(self, expr, env):
        """An expression's value at a point, computed once per diagnosis (the claim's is needed
        for every candidate); the units are spent by the caller either way."""
        key = (id(expr), id(env))
        hit = self.memo.get(key)
        if hit is None:
            hit = self.memo[key] = (expr, _value(expr, env))
        return hit[1]

    def spend(self, units):
        self.left -= units
        if self.left < 0 or time.monotonic() > self.stop:
            raise _Spent


def _same_at(work, truth, claim, expr_or_values, n=4):
    """Does `claim` equal the candidate (an MExpr, or a function env -> array) at the first points
    and at every size setting?"""
    for env in _probes(truth, n):
        work.spend(PROBE_UNITS)
        c = work.value(claim, env)
        t = expr_or_values(env) if callable(expr_or_values) else work.value(expr_or_values, env)
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
    """Kinds in the order of docs/rules.md, for matrices: sign, constant factor, σ for σ′, transpose,
    wrong shape (or a missing batch sum), missing/extra factor and term, @ for ∘; 'other' when
    the budget of about `seconds` (never less than MIN_SECONDS) runs out first."""
    work = _Work(seconds)
    probes = matrix_truth(truth.graph, PROBE_SEED)
    truth = _Checked(truth, probes.points[:PROBES] + truth.points)
    try:
        out = _diagnose_matrix(work, truth, case, text, claim, fmt, line, col, why)
    except (_Spent, RecursionError):
        out, work = other(), _Work(seconds)      # the search's budget is spent; the truth is still a repair
    edited = out.pop("_fix", None)
    try:
        fix = _repair(work, truth, case, edited) or _repair(work, truth, case, case.truth)
    except (_Spent, RecursionError):
        fix = None
    if out["kind"] == "wrong_shape":         # no edit of the claim: the truth is the hint
        return dict(out, fix=fix) if fix is not None else out
    if fix is None:
        return out if out["kind"] == "other" else other()
    out["fix"] = fix
    return out


class _Checked:
    """A MatrixTruth seen with the points every finding is checked at."""

    def __init__(self, truth, points):
        self.graph, self.derivation, self.first_random = truth.graph, truth.derivation, truth.first_random
        self.points = truth.points
        self.checked = points


def _repair(work, truth, case, e):
    """{'text', 'latex'} of `e` when its text, read back as a claim, equals the truth at every
    point; else None."""
    if e is None:
        return None
    try:
        text = PLAIN.doprint(e)
        latex = LATEX.doprint(e)
    except Exception:        # an index-form claim has no matrix spelling
        return None
    back = _reread(work, text, truth, "plain", 1, 1)
    want = truth.graph.shape_of(case.name)
    if back is None or back.shape != want or not _same_at(work, truth, back, lambda env: env[case.name + BAR]):
        return None
    return {"text": text, "latex": latex}


def _diagnose_matrix(work, truth, case, text, claim, fmt, line, col, why):
    return search.first(MatrixSpace(work, truth, case, text, claim, fmt, line, col, why)) or other()


class MatrixSpace:
    """The edit space of one matrix claim (search.EditSpace): the edits of its tree
    (matrix_edits.py) where it has shapes that fit, and the kinds only matrices have, found by
    rereading the student's text (a name transposed, ∘ for @) or by its shape."""

    def __init__(self, work, truth, case, text, claim, fmt, line, col, why):
        self.work, self.truth, self.case, self.text, self.claim = work, truth, case, text, claim
        self.fmt, self.line, self.col, self.why = fmt, line, col, why
        self.want = truth.graph.shape_of(case.name)
        self.index_form = (case.lhs is not None and bool(case.lhs.letters) or isinstance(claim, IndexClaim)
                           or why is not None)
        self.fits = claim is not None and claim.shape == self.want
        self._found = {}
        self.edits = (MatrixEdits(work, truth, case, claim, self.confirmed, _written_out(truth.derivation, case.truth))
                      if self.fits and not isinstance(claim, IndexClaim) else None)

    def target(self, env):
        return env[self.case.name + BAR]

    def confirmed(self, repair):
        return _same_at(self.work, self.truth, repair, self.target)

    def constant_steps(self):
        """The whole claim negated or scaled, then the edits of its parts (search.EditSpace)."""
        return _joined({"sign": self.sign, "constant_factor": self.constant},
                       self.edits.constant_steps() if self.edits is not None else {})

    def whole_steps(self):
        """The whole claim off by a size letter's 1/N, or wrong only at the true class of a label."""
        return {"missing_factor": lambda: self.size_factor("missing_factor"),
                "extra_factor": lambda: self.size_factor("extra_factor"),
                "missing_term": lambda: self.true_class("missing_term"),
                "extra_term": lambda: self.true_class("extra_term")}

    def steps(self):
        mine = {"derivative_of_wrong_function": self.wrong_function,
                "transpose": [self.transpose, self.transposed_whole], "missing_batch_sum": self.batch_sum,
                "elementwise_vs_matmul": self.products, "missing_term": self.missing_path, "wrong_shape": self.shape,
                "hint": self.hint}
        return _joined(mine, self.edits.steps() if self.edits is not None else {})

    def sign(self):
        if self.fits and _same_at(self.work, self.truth, self.claim, lambda env: -self.target(env)):
            return {"kind": "sign", "message": _("off by a factor of -1 (sign)"), "_fix": -1 * self.claim}
        return None

    def constant(self):
        if not self.fits:
            return None
        env = self.truth.points[0]
        k = _ratio(_value(self.claim, env), self.target(env))
        if k is not None and _same_at(self.work, self.truth, self.claim, lambda env: k * self.target(env)):
            if k == 0:
                return {"kind": "constant_factor", "message": _zero(self.truth, self.case), "_fix": self.case.truth}
            q = _rational(k)
            return {"kind": "constant_factor", "message": _("off by a constant factor of {factor}").format(
                factor=_text.doprint(q) if q is not None else mpmath.nstr(k, 6)),
                "_fix": None if q is None else (1 / q) * self.claim}
        return None

    def wrong_function(self):
        if not self.fits:
            return None
        for base in (self.case.truth, _written_out(self.truth.derivation, self.case.truth)):
            wrong = _wrong_function(base)
            if wrong is not None and _same_at(self.work, self.truth, self.claim, wrong[0]):
                return {"kind": "derivative_of_wrong_function", "message": wrong[1], "_fix": base}
        return None

    def _reread(self, **kw):
        return _reread(self.work, self.text, self.truth, self.fmt, self.line, self.col, **kw)

    def transpose(self):
        truth, case, claim, want = self.truth, self.case, self.claim, self.want
        g = truth.graph
        try:
            leaves = read_matrix(self.text, g, self.line, self.col, self.fmt, lhs=case.lhs)[1] or _names_in(self.text, g)
        except ParseError:
            leaves = _names_in(self.text, g)
        for flip in _subsets(sorted(set(leaves))):
            e = self._reread(flip=flip, lhs=case.lhs)
            if e is not None and e.shape == want and self.confirmed(e):
                if self.index_form:
                    return {"kind": "transpose", "message": _("swap the indices of {names} (a transpose)").format(
                        names=_(" and ").join(_text.name(n) for n in flip))}
                return {"kind": "transpose", "message": _("transpose {names} (ᵀ)").format(
                    names=_(" and ").join(flip)), "_fix": e}
        if not self.index_form:
            for text, name in _one_transposed(self.text, sorted(set(leaves))):
                e = _reread(self.work, text, truth, self.fmt, self.line, self.col, lhs=case.lhs)
                if e is not None and e.shape == want and self.confirmed(e):
                    return {"kind": "transpose", "message": _("transpose {names} (ᵀ)").format(names=name), "_fix": e}
        if not self.index_form and self.fits and want[0] == want[1] and self.confirmed(transpose(claim)):
            # a square answer (W_h of an RNN) transposed whole
            return {"kind": "transpose", "message": _("the whole result is transposed"), "_fix": transpose(claim)}
        if self.index_form and case.lhs and len(case.lhs.letters) == 2:
            swapped = Lhs(case.lhs.name, case.lhs.letters[::-1], case.lhs.shown, case.lhs.adjoint)
            e = self._reread(lhs=swapped)
            if e is not None and e.shape == want and self.confirmed(e):
                return {"kind": "transpose", "message": _("the whole result is transposed: the right-hand side is "
                                                          "the entry ({i}, {j})").format(i=case.lhs.letters[1],
                                                                                         j=case.lhs.letters[0])}
        return None

    def transposed_whole(self):
        """A claim of the wrong shape that is the answer transposed whole."""
        claim, want = self.claim, self.want
        if claim is None or isinstance(claim, IndexClaim) or claim.shape == want:
            return None
        if transpose(claim).shape == want and self.confirmed(transpose(claim)):
            return {"kind": "transpose", "message": _("the whole result is transposed"), "_fix": transpose(claim)}
        return None

    def batch_sum(self):
        """A claim of the wrong shape that is right summed over the batch (whole or one operand)."""
        claim, want, case = self.claim, self.want, self.case
        if claim is None or isinstance(claim, IndexClaim) or claim.shape == want:
            return None
        for axis in (0, 1):
            for summed in [reduce("sum", lift(claim), axis)] + _summed_parts(claim, axis):
                if summed.shape != want or not self.confirmed(summed):
                    continue
                return {"kind": "missing_batch_sum",
                        "message": _("sum over axis {axis} (the batch) is missing: got {got}, {name} is {shape}").format(
                            axis=axis, got=show_shape(claim.shape), name=_text.name(case.name + BAR),
                            shape=show_shape(want)), "_fix": summed}
        return None

    def missing_path(self):
        """A claim of the wrong shape that is one path of a fan-out short (X̄ = μ̄/N without X̄c):
        the claim and the missing path's term, spread to the answer's shape."""
        claim, want = self.claim, self.want
        if claim is None or isinstance(claim, IndexClaim) or claim.shape == want:
            return None
        paths = self.truth.derivation.by_name[self.case.name].terms
        for t in paths if len(paths) > 1 else ():
            try:
                e = claim + t.expr
            except (ShapeError, ValueError, TypeError):
                continue
            if e.shape == want and self.confirmed(e):
                return {"kind": "missing_term", "message": _("{path} is missing: {term}").format(
                    path=_("the path through {name}").format(name=t.upstream), term=_text.doprint(t.expr)), "_fix": e}
        return None

    def shape(self):
        """A claim of the wrong shape, or whose shapes do not fit, with no repair found: the shapes."""
        claim, want, case = self.claim, self.want, self.case
        if isinstance(claim, IndexClaim) and claim.shape != want:
            letters = "ij"[:len(ranks(want))]
            return {"kind": "wrong_shape", "message": _("every index is summed, so the claim is one number, but "
                                                        "{name} is {shape}: write the left-hand side with its indices "
                                                        "({lhs} = ...)").format(name=_text.name(case.name + BAR),
                                                                                shape=show_shape(want),
                                                                                lhs=f"{case.name}_bar_{letters}")}
        if claim is None and self.why is not None:
            return {"kind": "wrong_shape", "message": self.why}
        if claim is None:
            return {"kind": "wrong_shape", "message": _("the shapes in the claim do not fit; {name} is {shape}").format(
                name=_text.name(self.case.name + BAR), shape=show_shape(self.want))}
        if claim.shape == want:
            return None
        return {"kind": "wrong_shape", "message": _("the claim is {got}, but {name} must be {shape}").format(
            got=show_shape(claim.shape), name=_text.name(case.name + BAR), shape=show_shape(want))}

    def products(self):
        """∘ for @ or back, by rereading the text with one operator swapped (in the spelling the
        student used)."""
        for m in re.finditer(PRODUCT_SIGNS, "" if self.index_form else self.text):
            text = self.text[:m.start()] + SWAPPED_SIGN[m.group()] + self.text[m.end():]
            e = _reread(self.work, text, self.truth, self.fmt, self.line, self.col)
            if e is not None and e.shape == self.want and self.confirmed(e):
                return {"kind": "elementwise_vs_matmul",
                        "message": _("elementwise product and matrix product are confused"), "_fix": e}
        return None

    def _once(self, key, find):
        """A whole-claim test that can name either of two kinds, run once for both."""
        if key not in self._found:
            self._found[key] = find()
        return self._found[key]

    def true_class(self, kind):
        if not self.fits:
            return None
        found = self._once("true_class", lambda: _true_class(self.work, self.truth, self.want, self.claim, self.target))
        return found if found is not None and found["kind"] == kind else None

    def size_factor(self, kind):
        if not self.fits:
            return None
        found = self._once("size_factor", lambda: _size_factor(self.work, self.truth, self.case, self.claim, self.target))
        return found if found is not None and found["kind"] == kind else None

    def hint(self):
        """Weaker true statements, with no repair of the student's formula: a term or a factor of
        the truth left out."""
        work, truth, case, claim, want = self.work, self.truth, self.case, self.claim, self.want
        terms = _terms(case.truth)
        if len(terms) > 1:
            for i, t in enumerate(terms):
                rest = _sum([u for j, u in enumerate(terms) if j != i])
                if rest.shape == want and _same_at(work, truth, claim, rest):
                    return {"kind": "missing_term", "message": _("missing term {term}").format(
                        term=_text.doprint(terms[i]))}
        for f in _factor_drops(case.truth):
            if f.shape == want and _same_at(work, truth, claim, f):
                return {"kind": "missing_factor", "message": _("a factor is missing")}
        return None


# the product signs a student writes, each with the other product in the same spelling (a LaTeX
# or Unicode matrix product is written by juxtaposition)
SWAPPED_SIGN = {"*": "@", "@": "*", "∘": " @ ", "⊙": " @ ", "\\odot": " ", "\\circ": " "}
PRODUCT_SIGNS = "|".join(re.escape(k) for k in SWAPPED_SIGN)


def _joined(first, then):
    """{kind: [steps]}: `first`'s steps of each kind, then `then`'s."""
    return {k: [*search._as_list(first.get(k)), *search._as_list(then.get(k))] for k in search.ORDER}


def _summed_parts(claim, axis):
    """The claim with one operand of its sum summed over `axis` (b̄ = Z̄₁ + sum(Z̄₂) for two sums)."""
    if not isinstance(claim, Elem):
        return []
    out = []
    for i, a in enumerate(claim.args):
        if a.shape[axis] != ONE:
            args = list(claim.args)
            args[i] = reduce("sum", a, axis)
            try:
                out.append(elem(claim.template, *args))
            except ShapeError:
                pass
    return out


def _zero(truth, case):
    """`S̄ = 0` where S reaches the output: say so, by which paths, and what S̄ is."""
    paths = [_("the path through {name}").format(name=t.upstream) for t in truth.derivation.by_name[case.name].terms]
    name = _text.name(case.name + BAR)
    return _("{name} is 0 here, but {var} reaches the output ({paths}): {name} = {right}").format(
        name=name, var=_text.name(case.name), paths=_(" and ").join(paths), right=_text.doprint(case.truth))


def _true_class(work, truth, want, claim, target):
    """Wrong only where onehot(y) is 1, at every probe (each with its own labels), by the same
    amount d: the −1 of softmax's p − onehot(y) forgotten (the claim too large there), or one −1
    too many (the true class's own margin counted in a hinge's row sum). Its repair subtracts
    d·onehot(y) from the claim, d a constant or a constant over a size letter (a mean's 1/N)."""
    hints = []
    for name, classes in truth.graph.labels.items():
        mask = onehot(LabelRef(Leaf(name, truth.graph.shape_of(name)), classes))
        if mask.shape != want:
            continue
        offs = []
        for env in _probes(truth, 4):
            work.spend(PROBE_UNITS)
            c, t, m = _value(claim, env), target(env), _value(mask, env)
            if c is None or m is None or c.shape != t.shape:
                return None
            scale = max(max(abs(x) for x in t.flat), mpmath.mpf("1e-30"))
            for ci, ti, mi in zip(c.flat, t.flat, m.flat):
                off = abs(ci - ti) > mpmath.mpf("1e-12") * scale
                if off and not mi:
                    break
                if off:
                    offs.append((ci - ti, dict(env["__sizes__"])))
            else:
                continue
            offs = None
            break
        if not offs or len({d > 0 for d, _sizes in offs}) != 1:
            continue
        words = {"label": name, "mask": f"onehot({name})"}
        if offs[0][0] > 0:
            message = _("at the true class (where {mask} is 1) the claim is too large: the term −{mask} "
                        "(−𝟙[k = {label}]) is missing").format(**words)
            kind = "missing_term"
        else:
            message = _("at the true class (where {mask} is 1) the claim is too small: the true class is "
                        "counted with the others (one −{mask} too many)").format(**words)
            kind = "extra_term"
        d = _offset(offs)
        hints.append({"kind": kind, "message": message, "_fix": None if d is None else claim - d * mask})
    return hints[0] if hints else None


def _offset(offs):
    """The one amount d of (difference, sizes) pairs: a small rational, or one over a size letter
    (1/N), the same at every point; else None."""
    first, sizes = offs[0]
    for letter in [None] + sorted(sizes):
        scale = (lambda z: 1) if letter is None else (lambda z, letter=letter: z[letter])
        c = first * scale(sizes)
        q = _rational(c)
        if q is not None and all(abs(x * scale(z) - c) <= mpmath.mpf("1e-12") * max(1, abs(c)) for x, z in offs):
            return q if letter is None else q / sympy.Symbol(letter, positive=True, integer=True)
    return None


def _names_in(text, g):
    names = list(g.names) + [n + BAR for n in g.names]
    return [n for n in names if re.search(rf"(?<![\w]){re.escape(n)}(?![\w])", text)]


TRANSPOSED = re.compile(r"\.T\b|ᵀ|\^\s*\\top\b|\^\s*\{\\top\}|\^\s*T\b|\^\s*\{T\}")


def _one_transposed(text, names):
    """(text, name): the claim's text with one occurrence of a name transposed or its transpose
    dropped (x.T @ (h̄ ∘ σ′(x @ W)) where both x were flipped by a name's flip); at most 40."""
    out = []
    latex = is_latex(text)
    for name in names:
        for m in re.finditer(r"(?<![\\A-Za-z0-9_])" + re.escape(name) + r"(?![A-Za-z0-9_'{])", text):
            rest = text[m.end():]
            t = TRANSPOSED.match(rest)
            mark = "" if t else ("^\\top " if latex else "ᵀ")
            out.append((text[:m.end()] + mark + (rest[t.end():] if t else rest), name))
    return out[:40]


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
    swap = {prime: (head, _("{head} used where {prime} belongs").format(head=TABLE[head].uni, prime=TABLE[prime].uni))
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
                    msg = (_("missing factor 1/{letter}") if power == 1 else _("extra factor 1/{letter}")).format(letter=letter)
                    if t is not None:
                        msg += _(" in the term {term}").format(term=_text.doprint(t))
                    return {"kind": kind, "message": msg}
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
