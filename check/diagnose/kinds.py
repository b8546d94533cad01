"""The kinds written once for both backends: a part negated (sign) or scaled by a small rational
(constant_factor), a factor set to 1 (extra_factor), a term set to 0 (extra_term), a constant term
put in (missing_term), a factor or a term put in (missing_factor, missing_term), a factor taken
out (extra_factor: a power one lower, or a candidate divided out), a candidate term taken out
(extra_term). Each is a loop over the claim's spots
with one value test or candidate list and one edit, in the student's terms; the tests, the
candidates and the edits are the backend's `Algebra` (edits.Search for SymPy expressions, matrix_edits.MatrixEdits for matrix
trees), and a finding is kept only when its edited claim equals the truth at every point."""
from dataclasses import dataclass
from typing import Protocol

import sympy

from ..i18n import _


@dataclass(frozen=True)
class Finding:
    """A named mistake and the claim with it undone (equal to the truth at every point)."""
    kind: str
    message: str
    fix: object


class Algebra(Protocol):
    """What the kinds need from one claim on one backend. A spot is a part of the claim the
    backend can edit; the value tests are made at the first (seed-independent) point."""

    def spots(self):
        """The claim's spots, the whole claim first where it has one."""

    def role(self, spot) -> str:
        """"root", "term" (an operand of a sum) or "factor" (of a product); anything else: "part"."""

    def is_number(self, spot) -> bool:
        """Is the part a constant as written?"""

    def negated(self, spot) -> bool:
        """Would the claim be right with the part negated?"""

    def scale(self, spot):
        """k (a small rational, not 0 or ±1) with the claim right where the part is k times; or None."""

    def is_one(self, spot) -> bool:
        """Might the claim be right with this factor set to 1?"""

    def vanishes(self, spot) -> bool:
        """Would the claim be right with this term set to 0?"""

    def shift(self, spot):
        """q (a small rational) with the claim right where the part is itself + q, taking away
        none of the claim's own terms; or None."""

    def factors(self, spot):
        """Candidate factors to put in beside the part (of the truth or the claim, that fit its
        value at a point where it can be told), simplest first."""

    def terms(self, spot):
        """Candidate terms (with their sign) to put in beside the part, none of which takes
        away one of the claim's own terms, simplest first."""

    def power(self, spot):
        """The base, as written, when the part is a power the claim is right with one lower
        (G written twice: G²); else None."""

    def divisors(self, spot):
        """Candidate factors to take out of the part, simplest first."""

    def extras(self, spot):
        """Candidate terms (with their sign) to take out of the part, simplest first."""

    def path_of(self, term):
        """'the path through R' when `term` is one path of the fan-out, else None."""

    def put(self, spot, how, k=None):
        """The claim with the part edited (`how`: "neg", "scale", "one", "zero", "plus" k,
        "times" k, "over" k, "minus" k, "lower": the power one lower, "term" k: plus a term that makes the claim
        no smaller), when that equals the
        truth at every point; else None."""

    def show(self, spot, k=None) -> str:
        """The part as written (times k)."""

    def show_number(self, k) -> str:
        """A constant (or a candidate expression) as written."""


class Kinds:
    """The constant-repair kinds over one claim's algebra."""

    def __init__(self, alg: Algebra):
        self.alg = alg

    def expression_steps(self):
        """{kind: step}: the kinds that put a sub-expression in (search.EditSpace.steps)."""
        return {"missing_factor": self.missing_factor, "extra_factor": self.extra_factor,
                "missing_term": self.missing_term, "extra_term": self.extra_term}

    def steps(self):
        """{kind: step} (search.EditSpace.constant_steps)."""
        return {"sign": self.sign, "constant_factor": self.constant, "extra_factor": self.factor_one,
                "missing_term": self.constant_term, "extra_term": self.term_zero}

    def sign(self):
        a = self.alg
        for s in a.spots():
            if a.is_number(s) or not a.negated(s):
                continue
            fix = a.put(s, "neg")
            if fix is not None:
                if a.role(s) == "root":
                    return Finding("sign", _("off by a factor of -1 (sign)"), fix)
                return Finding("sign", _("the sign of {term} is flipped").format(term=a.show(s)), fix)
        return None

    def constant(self):
        a = self.alg
        for s in a.spots():
            k = a.scale(s)
            if k is None:
                continue
            fix = a.put(s, "scale", k)
            if fix is None:
                continue
            factor = a.show_number(1 / k) + _half(1 / k)
            if a.role(s) == "root":
                return Finding("constant_factor", _("off by a constant factor of {factor}").format(factor=factor), fix)
            if a.is_number(s):
                return Finding("constant_factor", _("the constant {k} should be {right}").format(
                    k=a.show(s), right=a.show(s, k)), fix)
            return Finding("constant_factor", _("{term} is off by a constant factor of {factor}").format(
                term=a.show(s), factor=factor), fix)
        return None

    def _first(self, kind, how, candidates, message):
        """The first `put(spot, how, candidate)` that is a repair, over the spots in order and each
        spot's candidates in order (None for an edit that takes none), as a Finding of `kind` with `message(spot, candidate)`."""
        a = self.alg
        for s in a.spots():
            for c in candidates(s):
                fix = a.put(s, how, c)
                if fix is not None:
                    return Finding(kind, message(s, c), fix)
        return None

    def factor_one(self):
        """A factor of the claim that should not be there: set to 1."""
        a = self.alg
        return self._first("extra_factor", "one", lambda s: (None,) if a.role(s) == "factor" and a.is_one(s) else (),
                           lambda s, _c: _("extra factor {factor}").format(factor=a.show(s)))

    def term_zero(self):
        """A term of the claim that should not be there: set to 0."""
        a = self.alg
        return self._first("extra_term", "zero", lambda s: (None,) if a.role(s) == "term" and a.vanishes(s) else (),
                           lambda s, _c: _("extra term {term}").format(term=a.show(s)))

    def constant_term(self):
        """A constant term left out (the 1 in 1 − tanh², softmax's −1), anywhere."""
        a = self.alg
        return self._first("missing_term", "plus", lambda s: _some(a.shift(s)),
                           lambda s, q: _("missing constant term {term} in {where}").format(
                               term=a.show_number(q), where=a.show(s)))

    def missing_factor(self):
        a = self.alg
        return self._first("missing_factor", "times", a.factors, lambda s, f: _missing_factor(a, s, f))

    def extra_factor(self):
        """A factor written twice (a power one too high), then a candidate factor too many."""
        a = self.alg
        return (self._first("extra_factor", "lower", lambda s: _some(a.power(s)),
                            lambda s, base: _("extra factor {factor}").format(factor=base))
                or self._first("extra_factor", "over", a.divisors,
                               lambda s, g: _("extra factor {factor}").format(factor=a.show_number(g))))

    def missing_term(self):
        """A term of the truth or the claim left out, by position."""
        a = self.alg
        return self._first("missing_term", "term", a.terms, lambda s, term: _missing_term(a, s, term))

    def extra_term(self):
        """A candidate term too many."""
        a = self.alg
        return self._first("extra_term", "minus", a.extras,
                           lambda s, term: _("extra term {term}").format(term=a.show_number(term)))


def _some(x):
    return () if x is None else (x,)

def _missing_term(a, s, term):
    path = a.path_of(term) if a.role(s) == "root" else None
    if path is not None:
        return _("{path} is missing: {term}").format(path=path, term=a.show_number(term))
    if a.role(s) == "root":
        return _("missing term {term}").format(term=a.show_number(term))
    return _("missing term {term} in {where}").format(term=a.show_number(term), where=a.show(s))


def _missing_factor(a, s, f):
    if a.role(s) == "root":
        return _("missing factor {factor}").format(factor=a.show_number(f))
    return _("missing factor {factor} in {where}").format(factor=a.show_number(f), where=a.show(s))


def _half(k):
    return _(" (the ½ convention?)") if k in (2, sympy.Rational(1, 2)) else ""
