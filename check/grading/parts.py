"""Grading a folder of submissions against an exercise (`barprop grade`, `check.grade`): one student, part by part.

One student per regular file (the student id is the file name). Per student:

1. bytes -> text: UTF-8 with or without BOM (anything else is that student's error), CRLF/CR
   line ends -> LF.
2. Reading: the same reader as `check` (check/read/rows.py): Markdown, notebooks and LaTeX
   documents cut into blocks, a format per block, rows with the student's own lines and columns
   (and notebook cells); prose, bullets and struck-out text are not rows.
3. Parts: a line ``# part: ID`` (also ``## part: ID`` or ``% part: ID``) starts the rows of part
   ID (case-insensitive, ``-`` = ``_``); an unknown ID is the student's error. Rows before the
   first marker -- or the whole file when it has none -- are *dispatched*:

   - with a single part in the exercise, everything goes to it;
   - an adjoint line (``w_bar =``, ``\\bar{w} =``, ``w̄ =``) goes to the adjoints part;
   - a derivative ``dL/dw = ...`` (``\\frac{\\partial L}{\\partial w} =``) followed by
     ``= ...`` rows is a derivation and goes to a steps part (the one for ``w`` first), else to
     the claim part for ``w``; a single row goes to the claim part for ``w`` first, else steps;
   - a forward line (``z = w*x + b``) goes with the derivation that follows it when that one
     goes to a steps part, else to the adjoints part (forward lines are checked, never wrong);
   - a bare expression goes to the exercise's only claim part, if it has exactly one;
   - a ``= ...`` row goes where the row above went; anything else goes to the first part.
   The rows of one delimited math block (``$$...$$``, ``\\begin{aligned}...``) move together.
4. Each part's rows are judged as `check` judges them (`judge_adjoints`, `judge_claim` -- of a
   chain ``dL/dw = ... = ...`` the last row is the answer, of two answers the later --,
   `judge_steps`).

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
import threading
from collections import OrderedDict
from dataclasses import replace
import re

from derive.errors import ParseError
from derive.files import read_text

import exercises as _exercises

from ..api import answers, claim_backend, judge_adjoints, judge_claim, judge_steps
from ..backends import as_graph, backend
from ..evidence import fingerprint
from ..read.classify import name_key
from ..read.rows import clean, rows
from ..read.documents import hints_seen
from ..verdict import SHOWN, Verdict
from ..i18n import _, current
from . import rubric
from .dispatch import split_parts

MAX_BYTES = 2_000_000
DEADLINE = 0.0               # symbolic evidence in grading: see the module docstring


def _r(x):
    return float(round(x + 0.0, 6)) + 0.0


def _chain_end(rs, wrt=None):
    """The last row of a chain `lhs = ... \\n = ...`: of the (last) answer, or of the last row whose
    left-hand side is a derivative with respect to `wrt`. (head row, end row), or (None, None)."""
    if wrt is None:
        heads = answers(rs)
        start = rs.index(heads[-1]) if len(heads) > 1 else 0 if rs else None
    else:
        start = None
        for k, r in enumerate(rs):
            if r.lhs and r.target.kind == "derivative" and name_key(r.target.name) == name_key(wrt):
                start = k
    if start is None:
        return None, None
    end = start
    while end + 1 < len(rs) and rs[end + 1].lhs is None:
        end += 1
    return rs[start], rs[end]


def _as_continuation(row):
    """A chain's last row as the claim itself (`= rhs`, no left-hand side to check)."""
    return replace(row, lhs=None, target=None)


OPERATOR = re.compile(r"\bd\s*/\s*d|∂|\\partial|\\d?frac\s*\{\s*d\s*\}")


_LOCK = threading.Lock()
ROWS = 8192            # verdicts on single adjoint rows remembered per grading process
_ROWS = OrderedDict()


class _Remembering:
    """A backend whose verdicts on single adjoint rows are remembered in this process: students
    who differ by a line or two share the verdicts on all their other lines. A verdict is a
    function of the spec, the seed, the row (its text and place), what the row was read as, and
    the language of its messages."""

    def __init__(self, b, key):
        self._b, self._key = b, key

    def __getattr__(self, attr):
        return getattr(self._b, attr)

    def adjoint(self, name, parsed, row, whole):
        return _remembered((self._key, current(), name, row, parsed, whole),
                           lambda: self._b.adjoint(name, parsed, row, whole))

    def global_values(self, chains, wanted):
        """The final gradients from a student's own lines depend only on the last reading of each
        adjoint's chain (an empty chain still counts as written)."""
        last = tuple(sorted((n, (rs[-1][1],) if rs else ()) for n, rs in chains.items()))
        hit = _remembered((self._key, "global", last, tuple(sorted(wanted))),
                          lambda: self._b.global_values(chains, wanted))
        return {k: dict(v) for k, v in hit.items()}


def _remembered(key, judge):
    try:
        with _LOCK:
            hit = _ROWS.get(key)
    except TypeError:             # a reading that cannot be a key: judged every time
        return judge()
    if hit is None:
        hit = judge()
        with _LOCK:
            _ROWS[key] = hit
            if len(_ROWS) > ROWS:
                _ROWS.popitem(last=False)
    return hit


def _adjoints(exercise, part, rs, seed, name):
    graph = exercise.graph
    b = _Remembering(backend(graph, seed, DEADLINE, "plain"), (fingerprint(graph), seed))
    rep = judge_adjoints(b, rs, name)
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


def _claim(exercise, part, rs, seed, name):
    head, row = _chain_end(rs)
    try:
        b, wrt = claim_backend(exercise.graph, part.wrt, seed, DEADLINE, "plain")
        v = judge_claim(b, wrt, row if row is head else _as_continuation(row))
    except ParseError as e:
        raise e.located(name) from None
    if v.line is None:
        v = _with(v, line=row.line)
    items, marks = rubric.apply(part, [v], exercise.graph, seed)
    return items, part.points * items[0].score, [], {"marks": marks}


def _with(v, **kw):
    return replace(v, **kw)


def _steps(exercise, part, rs, seed, name):
    rep = judge_steps(as_graph(exercise.graph), rs, seed, DEADLINE, "plain", name)
    items = list(rep.items)
    notes = []
    if part.wrt:
        row = _chain_end(rs, wrt=part.wrt)[1]
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
                b, wrt = claim_backend(exercise.graph, part.wrt, seed, DEADLINE, "plain")
                v = judge_claim(b, wrt, _as_continuation(row))
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


_ANSWERS = OrderedDict()


def _judged(exercise, part, rs, seed, name):
    """JUDGES[part.kind], remembered per answer (its rows) in this process: a class hands in the
    same answer many times, and judging it is a function of the spec, the part, the rows, the
    seed and the language (an answer that is an error is judged again: its message names the student's file)."""
    key = (fingerprint(exercise.graph), part, tuple(rs), seed, current())
    with _LOCK:
        hit = _ANSWERS.get(key)
    if hit is None:
        hit = JUDGES[part.kind](exercise, part, rs, seed, name)
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


def grade_part(exercise, part, rs, seed, name, minimal=False, hints=0):
    out = {"part": part.id, "kind": part.kind, "score": 0.0, "max_score": _r(part.points),
           "verdict": "missing", "error": None, "items": [], "feedback": ""}
    review, kinds = [], []
    if not rs:
        out["feedback"] = _("{part}: no answer (start it with a line '# part: {part}')").format(part=part.id)
        return out, review, kinds, False
    try:
        items, score, notes, extra = _judged(exercise, part, rs, seed, name)
    except ParseError as e:
        msg = str(ParseError(e.message, e.line, e.col, name, e.cell))
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
        seen, text = hints_seen(read_text(path, MAX_BYTES, "submission", name))
        if not text.strip():
            raise ParseError("empty submission", 1, 1, name)
        if "\x00" in text:
            i = text.index("\x00")
            raise ParseError("NUL byte in the submission", text.count("\n", 0, i) + 1,
                             i - text.rfind("\n", 0, i), name)
        text = clean(text)
        texts = split_parts(text, _rows(text, name), ex, name, name)
    except ParseError as e:
        res["error"] = str(ParseError(e.message, e.line, e.col, name, e.cell))
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


def _rows(text, name):
    """The student's rows: the same reading as `check` (read/rows.py)."""
    try:
        return rows(text, None, name=name)
    except ParseError as e:
        raise e.located(name) from None


def _failed_part(part, msg):
    return {"part": part.id, "kind": part.kind, "score": 0.0, "max_score": _r(part.points),
            "verdict": "error", "error": msg, "items": [], "feedback": msg}
