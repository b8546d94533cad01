"""A part's rubric applied to its judged items (exercises/rubric.py has the TOML side).

Order per item: an alternative the teacher accepts (`accepted_by`), else the first rule that
matches a wrong item (`rubric`: its message and credit); a correct adjoint line not written
through the adjoints of its consumers earns the part's `form_credit`; with `carry_degenerate`
false, a correct line that builds on a wrong line whose value is a constant earns nothing.
Formulas are compared like verdicts: equal at every evidence point of the spec (a matrix spec's
formulas are read with the matrix reader and compared at its random matrices of several sizes)."""
from dataclasses import dataclass, replace
from typing import Optional

from derive.errors import ParseError
from derive.matrix import Leaf

from ..evidence import REL_TOL, truth_for
from ..evidence.matrix import _arr_rel, _value, matrix_truth
from ..judge import Case, judge
from ..read.matrix import read_claim
from ..read.scope import ClaimScope, read_expression


@dataclass(frozen=True)
class Note:
    """What the rubric did to one item (shown in results.json and the feedback)."""
    accepted_by: Optional[str] = None
    rule: Optional[dict] = None
    message: Optional[str] = None


class Formulas:
    """Reading and comparing formulas against one spec at its evidence points."""

    def __init__(self, graph, seed):
        self.graph = graph
        self.scalar = not getattr(graph, "is_matrix", False)
        self.scope = ClaimScope(graph) if self.scalar else None
        self._truth = None
        self.seed = seed

    @property
    def truth(self):
        if self._truth is None:
            self._truth = truth_for(self.graph, self.seed) if self.scalar else matrix_truth(self.graph, self.seed)
        return self._truth

    def read(self, text):
        """The expression of a formula or of an `as_read` row (`v_bar = ...`), or None (also for a
        matrix formula whose shapes do not fit)."""
        if text is None:
            return None
        rhs = text.split(" = ", 1)[1] if " = " in text else text.lstrip("= ")
        try:
            if not self.scalar:
                return read_claim(rhs, self.graph, 1, 1, "plain")[0]
            return read_expression(rhs, self.scope, 1, 1, "plain")
        except (ParseError, RecursionError):
            return None

    def equal(self, a, b):
        if a is None or b is None:
            return False
        if not self.scalar:
            return all(_same(_value(a, env), _value(b, env)) for env in self.truth.points)
        t = self.truth
        case = Case(b, tuple(p.env for p in t.points), tuple(p.leaves for p in t.points))
        return judge("formula", a, case, 0).verdict == "correct"

    def names(self, e):
        """The names an expression uses (adjoints as `v_bar`)."""
        if self.scalar:
            return {s.name for s in e.free_symbols}
        return {leaf.name for leaf in e.leaves() if isinstance(leaf, Leaf)}


def _same(a, b):
    return a is not None and b is not None and a.shape == b.shape and _arr_rel(a, b) <= REL_TOL


def _share(items, v):
    return 1.0 / max(1, sum(1 for u in items if u.target == v.target))


def _matches_target(target, item, part):
    if target is None:
        return True
    want = target if target.endswith("_bar") else f"{target}_bar"
    return item.target == want or (part.wrt is not None and target == part.wrt)


def apply(part, items, graph, seed):
    """(items with the rubric's scores, one Note per item)."""
    rb = part.rubric
    if not (rb.rules or rb.accept or rb.form or not rb.carry_degenerate):
        return list(items), [Note() for _ in items]
    f = Formulas(graph, seed)
    mine = [f.read((v.as_read or {}).get("text")) for v in items]
    degenerate = set()
    if not rb.carry_degenerate and part.kind == "adjoints":
        degenerate = {v.target[:-4] for v, e in zip(items, mine)
                      if v.verdict == "incorrect" and e is not None and not f.names(e)}
    out, notes = [], []
    for v, e in zip(items, mine):
        share = _share(items, v)
        v, note = _one(part, v, e, share, f, graph, degenerate)
        out.append(v)
        notes.append(note)
    return out, notes


def _one(part, v, e, share, f, graph, degenerate):
    rb = part.rubric
    kind = (v.diagnosis or {}).get("kind")
    if v.verdict == "incorrect" and kind != "parse_error":
        for a in rb.accept:
            if _matches_target(a.target, v, part) and f.equal(e, f.read(a.formula)):
                return (replace(v, verdict="correct", score=share, diagnosis=None, counterexample=None),
                        Note(accepted_by=a.note))
        for r in rb.rules:
            if r.at is not None and v.target != (r.at if r.at.endswith("_bar") else f"{r.at}_bar"):
                continue
            hit = kind == r.kind if r.kind else f.equal(e, f.read(r.formula))
            if hit:
                return (replace(v, score=r.credit * share),
                        Note(rule={"when": r.when, "at": r.at, "credit": r.credit}, message=r.message))
        return v, Note()
    if v.verdict != "correct" or e is None or part.kind != "adjoints":
        return v, Note()
    name = v.target[:-4]
    used = {n[:-4] for n in f.names(e) if n.endswith("_bar")}
    carried = sorted(used & degenerate)
    if carried:
        return (replace(v, score=0.0),
                Note(rule={"when": "carry_degenerate", "at": None, "credit": 0.0}, message=f"builds on {', '.join(c + '_bar' for c in carried)}, whose line is a constant: "
                             "no credit is carried from it"))
    if rb.form == "backprop" and name != graph.output:
        consumers = {t.upstream for t in graph.backprop().by_name[name].terms}
        if consumers == {graph.output}:
            return v, Note()          # its upstream adjoint is the output's, 1 by definition
        if not used or not used <= consumers:
            through = " or ".join(sorted(c + "_bar" for c in consumers))
            return (replace(v, score=rb.form_credit * v.score),
                    Note(rule={"when": "form", "at": None, "credit": rb.form_credit},
                         message=f"correct; write it through {through} (backprop form)"))
    return v, Note()


def hint_cost(part, level):
    """The fraction of the part's points a student gives up for having seen hints up to `level`."""
    return min(1.0, part.rubric.hint_cost * min(level, part.rubric.hints))
