"""Results: a Verdict per checked item, a Report for a submission or a derivation, each shown
as text and (in Jupyter) as HTML.

In HTML, math goes to the notebook's MathJax as `$…$`; everything a student wrote (and every
message that quotes it) is HTML-escaped and kept away from MathJax (`tex2jax_ignore`/
`mathjax_ignore`), so a submission cannot inject markup or math into the page.
"""
import html
import re
from dataclasses import dataclass, field
from typing import Optional

from derive.names import GREEK_NAMES, spelled

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
        return report_html(self)


COLOURS = {"correct": "#1a7f37", "incorrect": "#cf222e", "undecided": "#9a6700"}
NO_MATH = "tex2jax_ignore mathjax_ignore"


def text(s):
    """Student or message text: escaped, and never read as math."""
    return f'<span class="{NO_MATH}">{html.escape(str(s))}</span>'


def name_latex(name):
    """`w_bar` -> `\\bar{w}`, `lambda` -> `\\lambda`, `w0`/`w_0` -> `w_{0}`, `L_reg_bar` ->
    `\\bar{L}_{\\mathrm{reg}}`; None for what is not a plain name (then it is shown as text)."""
    name = spelled(str(name))
    bar = name.endswith("_bar")
    if bar:
        name = name[:-4]
    m = re.fullmatch(r"([A-Za-z]+?)(?:_?(\d+)|_([A-Za-z0-9]+))?", name)
    if not m:
        return None
    base, digits, word = m.groups()
    base = "\\" + base if base in GREEK_NAMES else base if len(base) == 1 else f"\\mathrm{{{base}}}"
    if bar:
        base = f"\\bar{{{base}}}"
    if digits:
        return f"{base}_{{{digits}}}"
    if word:
        return f"{base}_{{\\mathrm{{{word}}}}}" if len(word) > 1 else f"{base}_{{{word}}}"
    return base


def _math(latex):
    return f"${html.escape(latex)}$"


def _target(t):
    latex = name_latex(t)
    return _math(latex) if latex else text(t)


def _badge(verdict):
    return (f'<span style="color:#fff;background:{COLOURS[verdict]};border-radius:3px;'
            f'padding:0 0.4em;font-weight:600">{html.escape(SHOWN[verdict])}</span>')


def _counterexample(c):
    if not c:
        return ""
    at = ", ".join(f"{_target(k)} = {html.escape(show(v, 6))}" for k, v in c["at"].items())
    if "sizes" in c:
        at = ", ".join(f"{html.escape(str(k))} = {html.escape(str(v))}" for k, v in c["sizes"].items()) + "; " + at
    got = "undefined" if c.get("got") is None else html.escape(show(c["got"], 8))
    return (f'<div style="margin-left:1.5em">counterexample: at {at}: expected '
            f'<b>{html.escape(show(c["expected"], 8))}</b>, got <b>{got}</b></div>')


def _diagnosis(d):
    if not d:
        return ""
    out = f'<div style="margin-left:1.5em">{text(d.get("kind", ""))}: {text(d.get("message", ""))}'
    fix = d.get("fix") or {}
    if fix.get("latex"):
        out += f' — fixed: {_math(fix["latex"])}'
    elif fix.get("text"):
        out += f" — fixed: {text(fix['text'])}"
    return out + "</div>"


def _row(v, first_wrong=False):
    where = f"line {v.line}: " if v.line is not None and not str(v.target).startswith("line") else ""
    style = "border-left:4px solid #cf222e;padding-left:0.4em;" if first_wrong else "padding-left:0.6em;"
    return (f'<div style="{style}margin:0.3em 0">{text(where) if where else ""}{_target(v.target)} '
            f'{_badge(v.verdict)}{_as_read(v)}' + _diagnosis(v.diagnosis) + _counterexample(v.counterexample)
            + "</div>")


def _as_read(v):
    """The row as barprop read it (barprop's own LaTeX of the parsed row), when the item has it."""
    read = getattr(v, "as_read", None)
    if isinstance(read, dict) and read.get("latex"):
        return f' <span style="margin-left:0.5em">{_math(read["latex"])}</span>'
    return ""


def verdict_html(v):
    """One checked item: target as math, the verdict in colour, diagnosis, fix, counterexample."""
    return f'<div class="barprop-verdict">{_row(v)}</div>'


def _is_first_wrong(v, first):
    if first is None:
        return False
    return v.target == first or (isinstance(first, int) and v.line == first)


def report_html(r):
    """Every item of a report, the first wrong one marked, then missing/extra and the total."""
    rows = [_row(v, _is_first_wrong(v, r.first_wrong) and v.verdict != "correct") for v in r.items]
    if r.missing:
        rows.append(f"<div>missing: {', '.join(_target(m) for m in r.missing)}</div>")
    if r.extra:
        rows.append(f"<div>extra: {', '.join(_target(m) for m in r.extra)}</div>")
    if r.global_values:
        wrong = [k for k, v in r.global_values.items() if not v["correct"]]
        rows.append("<div>final gradients from your own lines: "
                    + ("all right" if not wrong else "wrong for " + ", ".join(_target(k) for k in wrong))
                    + "</div>")
    rows.append(f'<div style="margin-top:0.4em">verdict: {_badge(r.verdict)} '
                f'({r.score:g}/{len(r.items)})</div>')
    return f'<div class="barprop-report">{"".join(rows)}</div>'
