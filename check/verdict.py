"""Results: a Verdict per checked item, a Report for a submission or a derivation."""
from dataclasses import dataclass, field
from typing import Optional

from .i18n import N_, _

EXIT = {"correct": 0, "incorrect": 1, "undecided": 3}
SHOWN = {"correct": N_("correct"), "incorrect": N_("incorrect"), "undecided": N_("needs review")}


def show(v, digits):
    """A number or a (nested) list of numbers at `digits` significant digits."""
    if isinstance(v, list):
        return "[" + ", ".join(show(x, digits) for x in v) + "]"
    if isinstance(v, str):          # beyond the float range, written out
        return v
    return f"{v:.{digits}g}"


@dataclass(frozen=True)
class Verdict:
    target: str
    verdict: str
    evidence: dict
    counterexample: Optional[dict] = None
    diagnosis: Optional[dict] = None
    first_wrong: Optional[object] = None
    line: Optional[int] = None
    seconds: float = 0.0
    score: float = field(default=None)
    as_read: Optional[dict] = None      # {'text', 'latex'}: the row as barprop understood it
    cell: Optional[int] = None          # the notebook cell of `line` (from 1), None outside notebooks

    def __post_init__(self):
        if self.score is None:
            object.__setattr__(self, "score", 1.0 if self.verdict == "correct" else 0.0)

    @property
    def exit_code(self):
        return EXIT[self.verdict]

    def to_dict(self, timings=False):
        out = {}
        if self.cell is not None:
            out["cell"] = self.cell
        if self.line is not None:
            out["line"] = self.line
        out.update({"target": self.target, "verdict": self.verdict, "evidence": self.evidence,
                    "counterexample": self.counterexample, "diagnosis": self.diagnosis,
                    "first_wrong": self.first_wrong, "score": self.score, "as_read": self.as_read})
        if timings:
            out["seconds"] = round(self.seconds, 6)
        return out

    def sentence(self):
        where = _("line {n}: ").format(n=self.line) if self.line is not None and not self.target.startswith("line") else ""
        if self.cell is not None and self.line is not None:
            where = _("cell {c}, ").format(c=self.cell) + (where or _("line {n}: ").format(n=self.line))
        target = _("line {n}").format(n=self.target[5:]) if self.target.startswith("line ") else self.target
        s = f"{where}{target}: {_(SHOWN[self.verdict])}"
        if self.diagnosis:
            s += f" — {self.diagnosis['message']}"
        if self.counterexample:
            c = self.counterexample
            at = ", ".join(f"{k}={show(v, 6)}" for k, v in c["at"].items())
            if "sizes" in c:
                at = ", ".join(f"{k}={v}" for k, v in c["sizes"].items()) + "; " + at
            digits = next((n for n in range(3, 18) if c["got"] is None
                           or show(c["got"], n) != show(c["expected"], n)), 17)
            got = _("undefined") if c["got"] is None else show(c["got"], digits)
            s += _(" (at {at}: expected {expected}, got {got})").format(at=at, expected=show(c["expected"], digits),
                                                                       got=got)
        fix = (self.diagnosis or {}).get("fix")
        if fix:
            s += "\n  " + _("fix: {text}").format(text=fix["text"])
        return s

    def read_as(self):
        """How the line was read, for people (`  read as: z_bar = y_bar*sigma(z)`); '' when unread."""
        return f"  read as: {self.as_read['text']}\n" if self.as_read else ""

    def to_text(self):
        ev = self.evidence
        num, fd, sym = ev.get("numeric", {}), ev.get("finite_difference", {}), ev.get("symbolic", {})
        fast = num.get("float64", {}).get("points", 0)
        said = _("evidence: {points} points at {digits} digits and {fast} in float64 with error bounds, finite "
                 "differences {fd}, symbolic {sym}") if fast else \
            _("evidence: {points} points at {digits} digits, finite differences {fd}, symbolic {sym}")
        return (self.sentence() + "\n" + self.read_as() + "  "
                + said.format(points=num.get('points', 0) - fast, digits=num.get('digits', 0), fast=fast,
                              fd=_(fd.get('status', 'n/a')), sym=_(sym.get('status', 'n/a'))) + "\n")

    def _repr_html_(self):
        from .notebook import verdict_html
        return verdict_html(self)


@dataclass(frozen=True)
class Report:
    kind: str
    items: tuple
    first_wrong: Optional[object] = None
    missing: tuple = ()
    extra: tuple = ()
    global_values: Optional[dict] = None
    forward: tuple = ()
    replaced: tuple = ()       # ({"target": "b_bar", "line": 4}, ...): earlier answers a later one replaced

    @property
    def verdict(self):
        vs = {i.verdict for i in self.items}
        if "incorrect" in vs or self.missing:
            return "incorrect"
        return "undecided" if "undecided" in vs else "correct"

    @property
    def exit_code(self):
        return EXIT[self.verdict]

    @property
    def score(self):
        return sum(i.score for i in self.items)

    def to_dict(self, timings=False):
        out = {"kind": self.kind, "verdict": self.verdict,
               "items": [i.to_dict(timings) for i in self.items], "first_wrong": self.first_wrong}
        if self.kind == "adjoints":
            out["missing"] = list(self.missing)
            out["extra"] = list(self.extra)
            out["global"] = self.global_values or {}
            out["forward"] = [i.to_dict(timings) for i in self.forward]
            if self.replaced:
                out["replaced"] = [dict(r) for r in self.replaced]
        out["score"] = self.score
        out["max_score"] = float(len(self.items))
        return out

    def to_text(self):
        rows = [i.sentence() + ("\n" + i.read_as().rstrip("\n") if i.as_read else "") for i in self.items]
        if self.missing:
            rows.append(_("missing: {names}").format(names=", ".join(self.missing)))
        if self.extra:
            rows.append(_("extra: {names}").format(names=", ".join(self.extra)))
        if self.replaced:
            rows.append(_("replaced: {items}").format(items=", ".join(
                f"{r['target']} ({_('line {n}').format(n=r['line'])})" for r in self.replaced)))
        if self.global_values:
            wrong = [k for k, v in self.global_values.items() if not v["correct"]]
            rows.append(_("final gradients from your own lines: all right") if not wrong else
                        _("final gradients from your own lines: wrong for {names}").format(names=", ".join(wrong)))
        if self.first_wrong is not None:
            rows.append(_("first wrong: {target}").format(target=self.first_wrong))
        rows.append(_("verdict: {verdict} ({score}/{total})").format(verdict=_(SHOWN[self.verdict]),
                                                                     score=f"{self.score:g}", total=len(self.items)))
        return "\n".join(rows) + "\n"

    def _repr_html_(self):
        from .notebook import report_html
        return report_html(self)
