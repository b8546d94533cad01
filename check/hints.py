"""Graded hints on a submission: 1 a nudge (which part), 2 where (the first wrong line), 3 which
rule (the chain rule through a consumer, σ′ not σ, ...), 4 the fixed line. Levels 1-3 never
state the correct formula. The levels a student saw are recorded in the work as a line
`# hints-seen: PART=LEVEL` (`recorded`), which grading charges; self-check mode records nothing."""
import re

from derive.printing import Latex, Text

from .api import check_adjoints, check_steps
from .backends import as_graph
from .i18n import N_, _, language
from derive.errors import ParseError
from .read.documents import HINTS_SEEN, hints_seen

_text, _latex = Text(ascii=True), Latex()

RULES = {
    "sign": N_("check the sign of each local derivative: d(a - b)/db is -1"),
    "constant_factor": N_("check the constants: the 1/2 in front of a square cancels the 2 from its derivative"),
    "derivative_of_wrong_function": N_("an activation's local derivative is its derivative (σ′, tanh′, relu′), "
                                    "not the activation itself"),
    "transpose": N_("a gradient has the shape of its variable: check which factor is transposed"),
    "wrong_shape": N_("a gradient has the shape of its variable: check the shapes of your factors"),
    "missing_factor": N_("the chain rule multiplies the upstream adjoint by the local derivative: a factor is missing"),
    "extra_factor": N_("the chain rule multiplies the upstream adjoint by the local derivative once: a factor is extra"),
    "missing_term": N_("fan-out: a variable used by several nodes collects one term per consumer, "
                    "v̄ = Σ over consumers u of ū ∂u/∂v"),
    "extra_term": N_("only the nodes that use a variable contribute to its adjoint: a term is extra"),
    "wrong_variable": N_("the local derivative of a product with respect to one factor is the other factor"),
    "missing_batch_sum": N_("a parameter shared by every example collects the sum over the batch"),
    "elementwise_vs_matmul": N_("elementwise products (∘) and matrix products (@) have different backward rules"),
    "parse_error": N_("the line could not be read: check its notation"),
}
GENERAL = N_("write the adjoint as (upstream adjoint) × (local derivative), one term per consumer")


def _report(graph, submission, fmt):
    try:
        return check_adjoints(graph, submission, fmt=fmt), "adjoints"
    except ParseError as e:
        if "no adjoint equations" not in e.message:
            raise
    return check_steps(submission, graph, fmt=fmt), "steps"


def _first(report):
    wrong = [v for v in report.items if v.verdict == "incorrect"]
    if report.kind == "adjoints" and report.first_wrong:
        return next(v for v in wrong if v.target == report.first_wrong)
    return wrong[0] if wrong else None


def _shown(target):
    return _text.name(target) if target.endswith("_bar") else target


def hint(spec, submission, level=1, lang="en", fmt=None, part=None):
    """{'part', 'target', 'level', 'text', 'latex'}: the hint of `level` (1-4) on the first problem,
    in `lang`."""
    with language(lang):
        return _hint(spec, submission, level, fmt, part)


def _hint(spec, submission, level, fmt, part):
    if level not in (1, 2, 3, 4):
        raise ValueError(f"hint level must be 1, 2, 3 or 4, not {level!r}")
    graph = as_graph(spec)
    report, kind = _report(graph, submission, fmt)
    part = part or kind
    v = _first(report)
    if v is None:
        missing = list(getattr(report, "missing", ()))
        text = (_("every line holds; still to write: {names}").format(names=", ".join(missing)) if missing
                else _("every line holds: nothing to fix"))
        return {"part": part, "target": missing[0] if missing else None, "level": level, "text": text,
                "latex": None}
    where = _("line {n}").format(n=v.line) if v.line is not None else v.target
    name = v.target if v.target.endswith("_bar") else None
    texts = {
        1: _("look again at the {part} part: one of its lines does not hold").format(part=part),
        2: _("{where} is the first line that does not hold").format(where=where) + (f" ({_shown(name)})" if name else ""),
        3: f"{where}: " + _(RULES.get((v.diagnosis or {}).get("kind"), GENERAL)) + _consumers(graph, name),
    }
    if level < 4:
        return {"part": part, "target": v.target, "level": level, "text": texts[level], "latex": None}
    fix = (v.diagnosis or {}).get("fix")
    if fix:
        lhs = (_text.name(name) + " = ", _latex.name(name) + " = ") if name else ("", "")
        return {"part": part, "target": v.target, "level": 4, "text": f"{where}: {lhs[0]}{fix['text']}",
                "latex": lhs[1] + fix["latex"] if fix.get("latex") else None}
    if name is not None and not getattr(graph, "is_matrix", False):
        expr = graph.backprop().by_name[name[:-4]].expr
        return {"part": part, "target": v.target, "level": 4,
                "text": f"{where}: {_text.name(name)} = {_text.doprint(expr)}",
                "latex": f"{_latex.name(name)} = {_latex.doprint(expr)}"}
    return {"part": part, "target": v.target, "level": 4, "text": texts[3], "latex": None}


def _consumers(graph, name):
    if name is None:
        return ""
    node = graph.backprop().by_name.get(name[:-4])
    ups = [t.upstream for t in node.terms] if node is not None else []
    if not ups:
        return ""
    return "; " + _("{name} is used by {users}").format(name=name[:-4], users=", ".join(ups)) + (
        _(", so it needs a term through each") if len(ups) > 1 else "")


_LATEX_WORK = re.compile(r"\\[A-Za-z]|\$")
_ENTRY = re.compile(r"([A-Za-z0-9][A-Za-z0-9_.-]*)[ \t]*=[ \t]*([0-9])")


def recorded(text, part, level):
    """`text` with `# hints-seen: PART=LEVEL` (`%` in LaTeX) as its first line, in place of an
    earlier record of that part alone, at the highest level seen; the rest kept byte for byte."""
    level = max(level, hints_seen(text)[0].get(part, 0))
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom):]
    nl = "\r\n" if "\r\n" in body else "\n"
    kept = [line for line in re.split(r"(?<=\n)", body) if not _records_only(line, part)]
    mark = "%" if _LATEX_WORK.search(body) else "#"
    return f"{bom}{mark} hints-seen: {part}={level}{nl}" + "".join(kept)


def _records_only(line, part):
    m = HINTS_SEEN.fullmatch(line.rstrip("\r\n"))
    return bool(m) and [p for p, _ in _ENTRY.findall(m.group(1))] == [part]
