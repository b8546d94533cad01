"""The matrix backend: claims judged at random matrices of several sizes against a matrix graph."""
import time
from dataclasses import dataclass

import mpmath

from derive.errors import ParseError
from derive.evaluate import DIGITS
from derive.functions import BAR
from derive.matrix import (Leaf, MExpr, show_shape)
from derive.names import spelled
from derive.printing import Text

from ..diagnose.matrix import diagnose_matrix
from ..evidence import FD_TOL, REL_TOL
from ..evidence.matrix import _arr_rel, _plain, _value, matrix_truth
from ..read.index import Lhs, ranks, split
from ..read.matrix import MatrixClaimScope, read_claim
from ..read.classify import target
from ..i18n import _
from ..judge import agrees, rule
from ..readback import as_read
from ..verdict import Verdict

_text = Text(ascii=False)


@dataclass(frozen=True)
class MatrixCase:
    name: str               # the variable whose adjoint is claimed
    truth: MExpr            # its true adjoint expression (for diagnosis)
    local: bool             # adjoints in the claim take their true values
    lhs: Lhs = None         # the line's left-hand side (its indices, for rereads)


def judge_matrix(truth, case, text, claim, row_line=None, fmt=None, line=1, col=1, why=None, deadline=1.0):
    """The verdict on one matrix claim; `claim` is None when the claim does not fit its shapes
    (`why` then says how its indices do not fit, for an index-form claim). A large spec point is
    compared in float64 first (check/evidence/matrix.py); that agreement counts only toward a
    `correct` verdict, and any other verdict is reached again with mpmath at every point."""
    start = time.perf_counter()
    g = truth.graph
    want = g.shape_of(case.name)
    fds = [truth.fd_error(i, case.name) for i in range(len(truth.points))]
    confirmed = all(f <= FD_TOL for f in fds)
    fits = claim is not None and claim.shape == want
    agree, worst, bad, fast = _compare(truth, case, claim, fds, fast=True) if fits else (False, mpmath.inf, None, {})
    verdict = rule(agree, confirmed, bad)
    if fast and verdict != "correct":
        agree, worst, bad, fast = _compare(truth, case, claim, fds, fast=False)
        verdict = rule(agree, confirmed, bad)
    if verdict == "correct":
        wider = truth.beside(claim, case.name)
        if wider is not None:
            return judge_matrix(wider, case, text, claim, row_line, fmt, line, col, why, deadline)
    if not fits:
        # shown at the checker's own sizes: the spec's at: point may be square, where Wq̄ for Wᵀq̄
        # would look defined; only when none of those is confirmed, any confirmed point
        own = [i for i, f in enumerate(fds) if f <= FD_TOL]
        bad = next((i for i in own if i >= truth.first_random), own[0] if own else None)
        verdict = rule(agree, confirmed, bad)
    evidence = {
        "numeric": {"points": len(truth.points), "max_rel_error": None if worst == mpmath.inf else float(worst),
                    "digits": DIGITS, "sizes": [dict(env["__sizes__"]) for env in truth.points[:1]] +
                    [dict(s) for s in _settings(truth)]},
        "finite_difference": {"method": "mpmath.diff along random directions",
                              "max_rel_error": _finite(max(fds, default=mpmath.inf)),
                              "status": "confirmed" if confirmed else "not confirmed"},
        "symbolic": {"status": "skipped"},
    }
    if fast:
        evidence["numeric"]["float64"] = {"points": len(fast), "max_rel_error": max(fast.values())}
        evidence["finite_difference"]["method"] += " (float64 at the spec's large point)"
    counter = diagnosis = None
    if verdict == "incorrect":
        env = truth.points[bad]
        t = env[case.name + BAR]
        c = None if claim is None else _value(claim, env)
        counter = {"at": {k: _plain(env[k], k in g.labels) for k in g.inputs}, "sizes": dict(env["__sizes__"]),
                   "expected": _plain(t), "got": _plain(c)}
        diagnosis = diagnose_matrix(truth, case, text, claim, fmt, line, col, why, deadline)
    return Verdict(case.name + BAR, verdict, evidence, counter, diagnosis, line=row_line,
                   seconds=time.perf_counter() - start, as_read=as_read(case.name + BAR, claim))


def _compare(truth, case, claim, fds, fast):
    """(agreement, worst mpmath relative error, first confirmed point of disagreement, {large
    point: float64 relative error} for the points that agreed in float64)."""
    worst, bad, agreed = mpmath.mpf(0), None, {}
    for i, env in enumerate(truth.points):
        rel = truth.agrees_fast(i, case.name, claim) if fast else None
        if rel is not None:
            agreed[i] = rel
            continue
        t = env[case.name + BAR]
        c = _value(claim, env)
        err = mpmath.inf if c is None or c.shape != t.shape else _arr_rel(c, t)
        worst = max(worst, err)
        if err > REL_TOL and fds[i] <= FD_TOL and bad is None:
            bad = i
    return agrees(len(truth.points), len(truth.points), worst), worst, bad, agreed


def _finite(v):
    return None if v == mpmath.inf else float(v)


def _settings(truth):
    seen = []
    for env in truth.points:
        s = dict(env["__sizes__"])
        if s not in seen:
            seen.append(s)
    return seen[1:] if truth.graph.at else seen


class Matrix:
    """Judging against a matrix graph (the Backend of backends/__init__.py)."""

    def __init__(self, graph, seed, deadline, fmt):
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
        expr, _, why = read_claim(row.rhs, self.graph, row.line, row.col, row.fmt or self.fmt, lhs=self.lhs)
        return row, expr, self.lhs, why

    def _lhs(self, row):
        if not row.lhs:
            return Lhs(self.last, "", _text.name(self.last + BAR)) if self.last else None
        t = row.target or target(row.lhs, row.line)
        if t.kind == "expression":
            return None
        name, letters = self.left(t.name, row.line)
        adjoint = t.kind != "name"
        shown = _text.name(name + BAR if adjoint else name)
        return Lhs(name, letters, shown + (f"_{letters}" if letters else ""), adjoint)

    def adjoint(self, name, parsed, row, whole):
        r, expr, lhs, why = parsed
        case = MatrixCase(name, self.derivation.by_name[name].expr, not whole, lhs)
        return judge_matrix(self.truth, case, r.rhs, expr, r.line if row else None, r.fmt or self.fmt, r.line, r.col, why,
                            self.deadline)

    def forward(self, name, parsed, row):
        r, expr = parsed[:2]
        ok = expr is not None and all(
            (v := _value(expr, env)) is not None and v.shape == env[name].shape and _arr_rel(v, env[name]) <= REL_TOL
            for env in self.truth.points)
        return Verdict(name, "correct" if ok else "incorrect", {}, None,
                       None if ok else {"kind": "other", "message": _("differs from the spec's {name}").format(name=name)},
                       line=row.line)

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
