"""Grading a folder of submissions against an exercise (`barprop grade`, `check.grade`): one student, part by part.

One student per regular file (the student id is the file name). Per student:

1. bytes -> text: UTF-8 with or without BOM (anything else is that student's error), CRLF/CR
   line ends -> LF.
2. Markdown: when the text has fenced code blocks (```` ``` ```` / ``~~~``) or ``$$...$$``
   displays, only their insides count (plus `# part:` lines); when it has neither but has
   inline ``$...$`` math and no LaTeX environment, the inline math counts. Everything else is
   blanked in place, so line and column numbers still point into the student's file.
3. Parts: a line ``# part: ID`` (also ``## part: ID`` or ``% part: ID``) starts the text of part
   ID (case-insensitive, ``-`` = ``_``); an unknown ID is the student's error. Text before the
   first marker -- or the whole file when it has none -- is *dispatched*:

   - with a single part in the exercise, everything goes to it;
   - an adjoint line (``w_bar =``, ``\\bar{w} =``, ``w̄ =``) goes to the adjoints part;
   - a derivative ``dL/dw = ...`` (``\\frac{\\partial L}{\\partial w} =``) followed by
     ``= ...`` rows is a derivation and goes to a steps part (the one for ``w`` first), else to
     the claim part for ``w``; a single row goes to the claim part for ``w`` first, else steps;
   - a forward line (``z = w*x + b``) goes with the derivation that follows it when that one
     goes to a steps part, else to the adjoints part (forward lines are checked, never wrong);
   - a bare expression goes to the exercise's only claim part, if it has exactly one;
   - a ``= ...`` row goes where the row above went; anything else goes to the first part.
   A LaTeX environment (``\\begin{aligned}...\\end{aligned}``) moves as one block.
4. Each part is judged: adjoints with `check_adjoints`, a claim with `check_claim` (of a chain
   ``dL/dw = ... = ...`` the last row is the answer), a derivation with `check_steps`.

Scores: adjoints: ``points / n`` per adjoint of the spec's derivation (n adjoints, output
first), times that adjoint's item score (the rows of one adjoint's chain share it); the
output's ``= 1`` may be omitted and is then credited; an adjoint that is not written earns 0.
A claim earns its points when correct. Steps: ``points`` times the fraction of judged rows that
hold; when the part names a ``wrt``, the last row of the derivation of that variable is one
more item ("final answer"): it must be the gradient, with no derivative left to carry out.
Undecided items earn 0 and are listed under ``needs_review``. A part that cannot be read at all
(a `ParseError` from the engine) scores 0 with ``file:line:col: message`` as its feedback; a
student whose file cannot be decoded, is empty, names an unknown part, or has no readable
line at all gets ``error`` and 0 -- the batch always goes on.

Each student gets a wall-clock limit (`STUDENT_SECONDS`, by SIGALRM). SIGALRM works only on the
main thread, so when grade() runs elsewhere (a web server's thread) students are graded in a
forked worker process, whose tasks run on its main thread, even with ``jobs=1``.

Results are deterministic for a seed: no timestamps, no timings, students sorted by file
name, and symbolic evidence is not run against a wall-clock deadline (its status is
``skipped`` unless the difference is literally 0), so ``--jobs`` cannot change a byte.
"""
import re
import threading
from collections import OrderedDict
from dataclasses import replace

from derive.errors import ParseError
from derive.files import read_text

import exercises as _exercises

from ..api import check_adjoints, check_claim, check_steps
from ..evidence import fingerprint
from ..read.classify import _name_key
from ..read.rows import clean, rows, target
from ..read.scope import is_latex
from ..i18n import _
from ..verdict import SHOWN, Verdict
from ..read.documents import extract_math, hints_seen
from . import rubric
from .dispatch import split_parts

MAX_BYTES = 2_000_000
DEADLINE = 0.0               # symbolic evidence in grading: see the module docstring


def _r(x):
    return float(round(x + 0.0, 6)) + 0.0


def _fmt(text):
    return "latex" if is_latex(text) else "plain"


def _chain_end(text, wrt=None):
    """The last row of a chain `lhs = ... \\n = ...`: the chain of the first row, or of the first
    row whose left-hand side is a derivative with respect to `wrt`. (Row, fmt) or None."""
    fmt = _fmt(text)
    rs = rows(clean(text), fmt)
    start = None
    for k, r in enumerate(rs):
        if wrt is None:
            start = k
            break
        if r.lhs:
            try:
                t = target(r.lhs, r.line)
            except ParseError:
                continue
            if t.kind == "derivative" and _name_key(t.name) == _name_key(wrt):
                start = k
                break
    if start is None:
        return None, fmt
    end = start
    while end + 1 < len(rs) and rs[end + 1].lhs is None:
        end += 1
    return rs[end], fmt


def _row_text(row):
    """One row as a claim: `= rhs` on the row's own line (so errors keep their line)."""
    pad = " " * max(0, row.col - 2)
    return "\n" * (row.line - 1) + pad + "=" + row.rhs


OPERATOR = re.compile(r"\bd\s*/\s*d|∂|\\partial|\\d?frac\s*\{\s*d\s*\}")


def _adjoints(exercise, part, text, seed, name):
    graph = exercise.graph
    rep = check_adjoints(graph, text, seed=seed, deadline=DEADLINE, file=name)
    items, marks = rubric.apply(part, rep.items, graph, seed)
    order = [a.name for a in graph.backprop().order]
    credit = {n: 0.0 for n in order}
    written = set()
    for v in items:
        n = v.target[:-4] if v.target.endswith("_bar") else v.target
        if n in credit:
            credit[n] += v.score
            written.add(n)
    notes = []
    if graph.output not in written:
        credit[graph.output] = 1.0
    not_written = [f"{n}_bar" for n in order if n not in written and n != graph.output]
    if not_written:
        notes.append(_("not written: {names}").format(names=", ".join(not_written)))
    score = part.points * sum(min(1.0, c) for c in credit.values()) / len(order)
    extra = {"first_wrong": rep.first_wrong, "missing": list(rep.missing), "not_written": not_written,
             "global": rep.global_values or {}, "marks": marks}
    if rep.global_values:
        wrong = [k for k, v in rep.global_values.items() if not v["correct"]]
        notes.append(_("final gradients from your own lines: all right") if not wrong else
                     _("final gradients from your own lines: wrong for {names}").format(names=", ".join(wrong)))
    if rep.first_wrong:
        notes.append(_("first wrong: {target}").format(target=rep.first_wrong))
    return items, score, notes, extra


def _claim(exercise, part, text, seed, name):
    row, fmt = _chain_end(text)
    claim = text if row is None or _first_row_only(text, row) else _row_text(row)
    try:
        v = check_claim(exercise.graph, part.wrt, claim, seed=seed, deadline=DEADLINE, fmt=fmt)
    except ParseError as e:
        raise e.located(name) from None
    if v.line is None:
        v = _with(v, line=row.line if row is not None else None)
    items, marks = rubric.apply(part, [v], exercise.graph, seed)
    return items, part.points * items[0].score, [], {"marks": marks}


def _first_row_only(text, row):
    rs = rows(clean(text), _fmt(text))
    return rs and rs[0] == row or sum(1 for r in rs if r.line == row.line) > 1


def _with(v, **kw):
    return replace(v, **kw)


def _steps(exercise, part, text, seed, name):
    rep = check_steps(text, exercise.graph, seed=seed, deadline=DEADLINE, file=name)
    items = list(rep.items)
    notes = []
    if part.wrt:
        row, fmt = _chain_end(text, wrt=part.wrt)
        label = "final answer"
        if row is None:
            final = Verdict(label, "incorrect", {}, None,
                            {"kind": "other", "message": _("no derivation of the gradient with respect to {wrt}").format(
                                wrt=part.wrt)})
        elif OPERATOR.search(row.rhs):
            final = Verdict(label, "incorrect", {}, None,
                            {"kind": "other", "message": _("the last row still has a derivative to carry out")},
                            line=row.line)
        else:
            try:
                v = check_claim(exercise.graph, part.wrt, _row_text(row), seed=seed, deadline=DEADLINE, fmt=fmt)
                final = _with(v, target=label, line=row.line)
            except ParseError as e:
                final = Verdict(label, "incorrect", {}, None, {"kind": "parse_error", "message": e.message},
                                line=e.line or row.line)
        items.append(final)
    items, marks = rubric.apply(part, items, exercise.graph, seed)
    if rep.first_wrong is not None:
        notes.append(_("first wrong: {target}").format(target=_("line {n}").format(n=rep.first_wrong)))
    total = len(items)
    score = part.points * sum(v.score for v in items) / total if total else 0.0
    return items, score, notes, {"first_wrong": rep.first_wrong, "marks": marks}


JUDGES = {"adjoints": _adjoints, "claim": _claim, "steps": _steps}


ANSWERS = 2048          # answers remembered per grading process


_ANSWERS, _LOCK = OrderedDict(), threading.Lock()


def _judged(exercise, part, text, seed, name):
    """JUDGES[part.kind], remembered per answer text in this process: a class hands in the same
    answer many times, and judging it is a function of the spec, the part, the text and the seed
    (an answer that is an error is judged again: its message names the student's file)."""
    key = (fingerprint(exercise.graph), part.id, part.kind, part.wrt, part.points, text, seed)
    with _LOCK:
        hit = _ANSWERS.get(key)
    if hit is None:
        hit = JUDGES[part.kind](exercise, part, text, seed, name)
        with _LOCK:
            _ANSWERS[key] = hit
            if len(_ANSWERS) > ANSWERS:
                _ANSWERS.popitem(last=False)
    items, score, notes, extra = hit          # Verdicts are frozen; the containers are copied
    return list(items), score, list(notes), dict(extra)


def _part_verdict(items, score, max_score, extra):
    vs = {v.verdict for v in items}
    if score >= max_score - 1e-9:
        return "correct"
    if "incorrect" in vs or extra.get("missing") or extra.get("not_written"):
        return "incorrect"
    return "undecided" if "undecided" in vs else "incorrect"


def _item_dict(v, minimal, mark=rubric.Note()):
    d = v.to_dict()
    d["score"] = _r(d["score"])
    if mark.accepted_by:
        d["accepted_by"] = mark.accepted_by
    if mark.rule:
        d["rubric"] = dict(mark.rule, message=None if minimal else mark.message)
    if minimal:
        d["counterexample"] = None
        if d.get("diagnosis"):
            d["diagnosis"] = {"kind": d["diagnosis"]["kind"]}
    return d


def _item_line(v, minimal, mark=rubric.Note()):
    where = _("line {n}: ").format(n=v.line) if v.line is not None and not v.target.startswith("line") else ""
    if mark.accepted_by:
        return f"{where}{v.target}: " + _("accepted ({by})").format(by=mark.accepted_by)
    if not minimal:
        s = v.sentence()
    else:
        s = f"{where}{v.target}: {_(SHOWN[v.verdict])}"
        if v.verdict == "incorrect" and v.diagnosis:
            s += f" ({v.diagnosis['kind']})"
    s += f" [{mark.message}]" if mark.message and not minimal else ""       # minimal: no formula shown
    return s + ("\n" + v.read_as().rstrip("\n") if v.as_read else "")


def _has_content(text):
    return any(l.strip() and not l.lstrip().startswith(("#", "%")) for l in text.split("\n"))


def grade_part(exercise, part, text, seed, name, minimal=False, hints=0):
    out = {"part": part.id, "kind": part.kind, "score": 0.0, "max_score": _r(part.points),
           "verdict": "missing", "error": None, "items": [], "feedback": ""}
    review, kinds = [], []
    if text is None or not _has_content(text):
        out["feedback"] = _("{part}: no answer (start it with a line '# part: {part}')").format(part=part.id)
        return out, review, kinds, False
    try:
        items, score, notes, extra = _judged(exercise, part, text, seed, name)
    except ParseError as e:
        msg = f"{name}:{e.line}:{e.col}: {e.message}"
        out.update(verdict="error", error=msg, feedback=f"{part.id}: 0/{part.points:g}\n{msg}")
        return out, review, kinds, False
    except RecursionError:
        msg = f"{name}: {part.id}: too deeply nested to read"
        out.update(verdict="error", error=msg, feedback=msg)
        return out, review, kinds, False
    except Exception as e:        # an engine bug must not stop the batch: a person looks at it
        msg = f"{name}: {part.id}: internal error while checking ({type(e).__name__}: {e})"
        out.update(verdict="error", error=msg, feedback=msg)
        return out, [f"{part.id}: internal error"], kinds, False
    score = min(score, part.points)
    marks = extra.pop("marks", None) or [rubric.Note()] * len(items)
    cost = rubric.hint_cost(part, hints)
    if cost:
        notes.append(f"hints seen up to level {hints}: -{cost * part.points:g}")
        score = max(0.0, score - cost * part.points)
    out["score"] = _r(score)
    out["verdict"] = _part_verdict(items, score, part.points, extra)
    for v in items:
        if v.verdict == "undecided":
            review.append(f"{part.id}: {v.target}" + (f" (line {v.line})" if v.line is not None
                                                      and not v.target.startswith("line") else ""))
        elif v.verdict == "incorrect" and v.diagnosis and v.diagnosis["kind"] not in kinds:
            kinds.append(v.diagnosis["kind"])      # each kind counts once per student and part
    out["items"] = [_item_dict(v, minimal, m) for v, m in zip(items, marks)]
    for k in ("first_wrong", "missing", "not_written"):
        if k in extra:
            out[k] = extra[k]
    if "global" in extra and not minimal:
        out["global"] = extra["global"]
    lines = [f"{part.id}: {out['score']:g}/{part.points:g}"]
    lines += [_item_line(v, minimal, m) for v, m in zip(items, marks)]
    lines += notes
    out["feedback"] = "\n".join(lines)
    readable = any(v.diagnosis is None or v.diagnosis.get("kind") != "parse_error" for v in items)
    return out, review, kinds, readable


def grade_student(exercise, name, path, seed=0, feedback="full"):
    """One student's result (a dict of results.json's `students`), plus the mistake kinds."""
    ex = _exercises.load(exercise)
    minimal = feedback == "minimal"
    res = {"student": name, "score": 0.0, "max_score": _r(ex.max_score), "error": None,
           "needs_review": [], "parts": []}
    kinds = []
    try:
        seen, raw = hints_seen(read_text(path, MAX_BYTES, "submission", name))
        text = extract_math(raw)
        if not text.strip():
            raise ParseError("empty submission", 1, 1, name)
        if "\x00" in text:
            i = text.index("\x00")
            raise ParseError("NUL byte in the submission", text.count("\n", 0, i) + 1,
                             i - text.rfind("\n", 0, i), name)
        texts = split_parts(text, ex, name)
    except ParseError as e:
        res["error"] = f"{name}:{e.line}:{e.col}: {e.message}"
        res["parts"] = [_failed_part(p, res["error"]) for p in ex.parts]
        return res, kinds
    total, readable, first_error = 0.0, False, None
    for part in ex.parts:
        level = max((n for p, n in seen.items() if ex.part(p) is part), default=0)
        out, review, k, ok = grade_part(ex, part, texts.get(part.id), seed, name, minimal, level)
        res["parts"].append(out)
        res["needs_review"] += review
        kinds += k
        total += out["score"]
        readable = readable or ok
        if first_error is None and out["error"]:
            first_error = out["error"]
    if not readable and not res["needs_review"]:
        res["error"] = first_error or next(
            (f"{name}:{it.get('line', 0)}:1: {it['diagnosis'].get('message', 'unreadable')}"
             for p in res["parts"] for it in p["items"] if it.get("diagnosis")), f"{name}:1:1: nothing readable")
        res["score"] = 0.0
        kinds = []
        return res, kinds
    res["score"] = _r(total)
    return res, kinds


def _failed_part(part, msg):
    return {"part": part.id, "kind": part.kind, "score": 0.0, "max_score": _r(part.points),
            "verdict": "error", "error": msg, "items": [], "feedback": msg}
