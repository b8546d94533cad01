"""Grading a folder of submissions against an exercise (`barprop grade`, `check.grade`).

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
import contextlib
import csv
import io
import json
import math
import os
import re
import signal
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, as_completed

from derive.errors import ParseError
from derive.files import read_text
from derive.names import canonical, spelled

import exercises as _exercises
from exercises import Exercise, ExerciseNotFound

MAX_BYTES = 2_000_000
DEADLINE = 0.0               # symbolic evidence in grading: see the module docstring


class GradeError(ValueError):
    """The exercise or the submissions folder itself is bad (exit 2)."""


# ---------------------------------------------------------------------------------------------
# bytes -> text -> math only
# ---------------------------------------------------------------------------------------------

MARKER = re.compile(r"^[ \t]*(?:#+|%+)[ \t]*part[ \t]*:[ \t]*(\S+)", re.IGNORECASE)
FENCE = re.compile(r"^[ \t]*(```+|~~~+)")
ENV = re.compile(r"\\begin\s*\{")
INLINE = re.compile(r"(?<![\\$])\$(?!\$)([^$\n]+?)(?<![\\$])\$(?!\$)")


def extract_math(text):
    """Markdown around the math blanked in place (same lines, same columns)."""
    lines = text.split("\n")
    keep = [[False] * len(l) for l in lines]
    found = False
    fence = None
    for i, line in enumerate(lines):
        m = FENCE.match(line)
        if fence is None and m:
            fence, found = m.group(1)[0] * 3, True
            continue
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            else:
                keep[i] = [True] * len(line)
    # $$ ... $$ displays outside code blocks, possibly over several lines
    inside, fence = False, None
    for i, line in enumerate(lines):
        if FENCE.match(line):
            fence = None if fence else True
            continue
        if fence:
            continue
        j = 0
        while j < len(line):
            if line[j] == "`" and not inside:          # `$$` inside inline code is prose
                k = line.find("`", j + 1)
                j = len(line) if k < 0 else k + 1
                continue
            if line.startswith("$$", j):
                inside, found = not inside, True
                j += 2
                continue
            if inside:
                keep[i][j] = True
            j += 1
    if not found and not ENV.search(text):
        for i, line in enumerate(lines):
            for m in INLINE.finditer(line):
                found = True
                for j in range(m.start(1), m.end(1)):
                    keep[i][j] = True
    if not found:
        return text
    out = []
    for i, line in enumerate(lines):
        if MARKER.match(line):
            out.append(line)
        else:
            out.append("".join(ch if k else " " for ch, k in zip(line, keep[i])).rstrip())
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# splitting a submission into parts
# ---------------------------------------------------------------------------------------------

PLAIN_DERIV = re.compile(r"^(?:d|∂)\s*([^\s/]+?)\s*/\s*(?:d|∂)\s*(\S+?)$")
_BRACED = r"([^{}]*(?:\{[^{}]*\}[^{}]*)*)"
LATEX_DERIV = re.compile(r"^\\d?frac\s*\{\s*(?:\\partial|d|∂)\s*" + _BRACED + r"\}\s*\{\s*(?:\\partial|d|∂)\s*"
                         + _BRACED + r"\}$")
LATEX_ADJ = re.compile(r"\\(?:bar|overline)(?![A-Za-z])")
PLAIN_ADJ = re.compile(r"^[A-Za-z\u0370-\u03ff][\w{}]*?_?bar$")


def _name_key(text):
    """`w_{0}`, `\\lambda`, `λ`, `\\mathcal{L}_{\\text{reg}}` -> a comparable key."""
    t = re.sub(r"\\(?:mathcal|mathrm|mathbf|boldsymbol|text|operatorname)\s*", "", text)
    t = t.replace("\\", "").replace(" ", "")
    return canonical(spelled(t))


def _top_eq(s):
    depth = 0
    for i, ch in enumerate(s):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "=" and depth <= 0 and s[i - 1:i] not in ("<", ">", "!", "=") and s[i + 1:i + 2] != "=":
            return i
    return None


def _row_classes(unit):
    """(class, variable) of each row in a block: adj | deriv | name | cont | expr."""
    body = re.sub(r"\\(?:begin|end)\s*\{[^}]*\}", "\n", unit)
    out = []
    for seg in re.split(r"\\\\|\n", body):
        seg = re.sub(r"(?<!\\)%.*", "", seg) if "\\" in seg else seg.split("#", 1)[0]
        s = seg.replace("&", "").strip().strip("$").strip()
        if not s or s.startswith("```"):
            continue
        i = _top_eq(s)
        if i is None:
            out.append(("expr", None))
            continue
        lhs = s[:i].strip()
        if not lhs:
            out.append(("cont", None))
            continue
        m = LATEX_DERIV.match(lhs) or PLAIN_DERIV.match(lhs)
        if m:
            out.append(("deriv", _name_key(m.group(2))))
        elif LATEX_ADJ.search(lhs) or "\u0304" in lhs or PLAIN_ADJ.match(lhs.replace(" ", "")):
            base = re.sub(r"\\(?:bar|overline)(?![A-Za-z])|\u0304|_?bar\s*$", "", lhs)
            out.append(("adj", _name_key(base)))
        else:
            out.append(("name", None))
    return out


def _blocks(lines):
    """Line ranges that move together: a LaTeX environment, or one line."""
    out, i, n = [], 0, len(lines)
    while i < n:
        if not lines[i].strip():
            i += 1
            continue
        m = re.search(r"\\begin\s*\{([^}]*)\}", lines[i])
        if m:
            end = "\\end{" + m.group(1).replace(" ", "") + "}"
            j = i
            while j < n and end not in (lines[j][m.end():] if j == i else lines[j]).replace(" ", ""):
                j += 1
            out.append((i, min(j, n - 1)))
            i = min(j, n - 1) + 1
            continue
        out.append((i, i))
        i += 1
    return out


class _Dispatch:
    def __init__(self, exercise):
        self.parts = exercise.parts
        self.first = exercise.parts[0]

    def of_kind(self, kind, wrt=None):
        ps = [p for p in self.parts if p.kind == kind]
        if wrt is not None:
            exact = [p for p in ps if p.wrt is not None and _name_key(p.wrt) == wrt]
            if kind == "claim":
                return exact[0] if exact else None
            ps = exact + [p for p in ps if p.wrt is None] + [p for p in ps if p not in exact]
        return ps[0] if ps else None

    def deriv(self, wrt, chain):
        order = (("steps", "claim", "adjoints") if chain else ("claim", "steps", "adjoints"))
        for kind in order:
            p = self.of_kind(kind, wrt)
            if p is not None:
                return p
        return self.first

    def __call__(self, lines):
        """{part id: [line index]} for unmarked lines."""
        if len(self.parts) == 1:
            return {self.first.id: [i for i, l in enumerate(lines) if l.strip()]}
        blocks = _blocks(lines)
        info = []
        for a, b in blocks:
            rows = _row_classes("\n".join(lines[a:b + 1]))
            if not rows:
                info.append(None)
                continue
            head = next((r for r in rows if r[0] in ("adj", "deriv", "expr")), None) \
                or next((r for r in rows if r[0] == "name"), None) or ("cont", None)
            info.append((head, any(r[0] == "cont" for r in rows[1:])))
        dest = [None] * len(blocks)
        claims = [p for p in self.parts if p.kind == "claim"]
        skip = {k for k, i in enumerate(info) if i is None}
        info = [i or (("none", None), False) for i in info]
        for k, ((cls, var), has_cont) in enumerate(info):
            if cls == "adj":
                dest[k] = self.of_kind("adjoints") or self.of_kind("claim", var) or self.first
            elif cls == "deriv":
                nxt = next((j for j in range(k + 1, len(info)) if j not in skip), None)
                chain = has_cont or (nxt is not None and info[nxt][0][0] == "cont")
                dest[k] = self.deriv(var, chain)
            elif cls == "expr":
                dest[k] = claims[0] if len(claims) == 1 else None
        for k, ((cls, _), _) in enumerate(info):
            if cls == "name":
                nxt = next((j for j in range(k + 1, len(info)) if info[j][0][0] not in ("name", "cont", "none")), None)
                if nxt is not None and dest[nxt] is not None and dest[nxt].kind == "steps":
                    dest[k] = dest[nxt]
                else:
                    dest[k] = self.of_kind("adjoints") or self.of_kind("steps") or self.first
        for k, ((cls, _), _) in enumerate(info):
            if dest[k] is None:
                prev = next((dest[j] for j in range(k - 1, -1, -1) if j not in skip), None)
                dest[k] = prev if cls in ("cont", "expr") and prev else self.first
        out = {}
        for k, ((a, b), p) in enumerate(zip(blocks, dest)):
            if k not in skip:
                out.setdefault(p.id, []).extend(range(a, b + 1))
        return out


def split_parts(text, exercise, name):
    """{part id: text with the student's line numbers kept} for the parts that got any text."""
    lines = text.split("\n")
    marked, unmarked, current = {}, [], None
    for i, line in enumerate(lines):
        m = MARKER.match(line)
        if m:
            part = exercise.part(m.group(1))
            if part is None:
                raise ParseError(f"unknown part '{m.group(1)}'; this exercise has parts: "
                                 + ", ".join(p.id for p in exercise.parts), i + 1, m.start(1) + 1, name)
            current = part.id
            continue
        if not line.strip():
            continue
        if current is None:
            unmarked.append(i)
        else:
            marked.setdefault(current, []).append(i)
    if unmarked:
        keep = set(unmarked)
        sub = [lines[i] if i in keep else "" for i in range(len(lines))]
        for pid, idx in _Dispatch(exercise)(sub).items():
            marked.setdefault(pid, []).extend(idx)
    out = {}
    for pid, idx in marked.items():
        keep = set(idx)
        last = max(keep)
        out[pid] = "\n".join(lines[i] if i in keep else "" for i in range(last + 1))
    return out


# ---------------------------------------------------------------------------------------------
# judging one part
# ---------------------------------------------------------------------------------------------

def _r(x):
    return float(round(x + 0.0, 6)) + 0.0


def _fmt(text):
    from .scope import is_latex
    return "latex" if is_latex(text) else "plain"


def _chain_end(text, head_index=0, wrt=None):
    """The last row of a chain `lhs = ... \\n = ...`: the chain of the first row, or of the first
    row whose left-hand side is a derivative with respect to `wrt`. (Row, fmt) or None."""
    from .submission import clean, rows, target
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
    from .api import check_adjoints
    graph = exercise.graph
    rep = check_adjoints(graph, text, seed=seed, deadline=DEADLINE, file=name)
    order = [a.name for a in graph.backprop().order]
    credit = {n: 0.0 for n in order}
    written = set()
    for v in rep.items:
        n = v.target[:-4] if v.target.endswith("_bar") else v.target
        if n in credit:
            credit[n] += v.score
            written.add(n)
    notes = []
    if graph.output not in written:
        credit[graph.output] = 1.0
    not_written = [f"{n}_bar" for n in order if n not in written and n != graph.output]
    if not_written:
        notes.append("not written: " + ", ".join(not_written))
    score = part.points * sum(min(1.0, c) for c in credit.values()) / len(order)
    extra = {"first_wrong": rep.first_wrong, "missing": list(rep.missing), "not_written": not_written,
             "global": rep.global_values or {}}
    if rep.global_values:
        wrong = [k for k, v in rep.global_values.items() if not v["correct"]]
        notes.append("final gradients from your own lines: " + ("all right" if not wrong
                                                                  else "wrong for " + ", ".join(wrong)))
    if rep.first_wrong:
        notes.append(f"first wrong: {rep.first_wrong}")
    return list(rep.items), score, notes, extra


def _claim(exercise, part, text, seed, name):
    from .api import check_claim
    row, fmt = _chain_end(text)
    claim = text if row is None or _first_row_only(text, row) else _row_text(row)
    try:
        v = check_claim(exercise.graph, part.wrt, claim, seed=seed, deadline=DEADLINE, fmt=fmt)
    except ParseError as e:
        raise e.located(name) from None
    if v.line is None:
        v = _with(v, line=row.line if row is not None else None)
    return [v], part.points if v.verdict == "correct" else 0.0, [], {}


def _first_row_only(text, row):
    from .submission import clean, rows
    rs = rows(clean(text), _fmt(text))
    return rs and rs[0] == row or sum(1 for r in rs if r.line == row.line) > 1


def _with(v, **kw):
    from dataclasses import replace
    return replace(v, **kw)


def _steps(exercise, part, text, seed, name):
    from .api import check_claim, check_steps
    from .verdict import Verdict
    rep = check_steps(text, exercise.graph, seed=seed, deadline=DEADLINE, file=name)
    items = list(rep.items)
    good = sum(1 for v in items if v.verdict == "correct")
    total = len(items)
    notes = []
    if part.wrt:
        row, fmt = _chain_end(text, wrt=part.wrt)
        label = "final answer"
        if row is None:
            final = Verdict(label, "incorrect", {}, None,
                            {"kind": "other", "message": f"no derivation of the gradient with respect to {part.wrt}"})
        elif OPERATOR.search(row.rhs):
            final = Verdict(label, "incorrect", {}, None,
                            {"kind": "other", "message": "the last row still has a derivative to carry out"},
                            line=row.line)
        else:
            try:
                v = check_claim(exercise.graph, part.wrt, _row_text(row), seed=seed, deadline=DEADLINE, fmt=fmt)
                final = _with(v, target=label, line=row.line)
            except ParseError as e:
                final = Verdict(label, "incorrect", {}, None, {"kind": "parse_error", "message": e.message},
                                line=e.line or row.line)
        items.append(final)
        good += final.verdict == "correct"
        total += 1
    if rep.first_wrong is not None:
        notes.append(f"first wrong: line {rep.first_wrong}")
    score = part.points * good / total if total else 0.0
    return items, score, notes, {"first_wrong": rep.first_wrong}


JUDGES = {"adjoints": _adjoints, "claim": _claim, "steps": _steps}


def _part_verdict(items, score, max_score, extra):
    vs = {v.verdict for v in items}
    if score >= max_score - 1e-9:
        return "correct"
    if "incorrect" in vs or extra.get("missing") or extra.get("not_written"):
        return "incorrect"
    return "undecided" if "undecided" in vs else "incorrect"


def _item_dict(v, minimal):
    d = v.to_dict()
    d["score"] = _r(d["score"])
    if minimal:
        d["counterexample"] = None
        if d.get("diagnosis"):
            d["diagnosis"] = {"kind": d["diagnosis"]["kind"]}
    return d


def _item_line(v, minimal):
    if not minimal:
        return v.sentence()
    where = f"line {v.line}: " if v.line is not None and not v.target.startswith("line") else ""
    s = f"{where}{v.target}: {'needs review' if v.verdict == 'undecided' else v.verdict}"
    if v.verdict == "incorrect" and v.diagnosis:
        s += f" ({v.diagnosis['kind']})"
    return s


def _has_content(text):
    return any(l.strip() and not l.lstrip().startswith(("#", "%")) for l in text.split("\n"))


def grade_part(exercise, part, text, seed, name, minimal=False):
    out = {"part": part.id, "kind": part.kind, "score": 0.0, "max_score": _r(part.points),
           "verdict": "missing", "error": None, "items": [], "feedback": ""}
    review, kinds = [], []
    if text is None or not _has_content(text):
        out["feedback"] = f"{part.id}: no answer (start it with a line '# part: {part.id}')"
        return out, review, kinds, False
    try:
        items, score, notes, extra = JUDGES[part.kind](exercise, part, text, seed, name)
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
    out["score"] = _r(score)
    out["verdict"] = _part_verdict(items, score, part.points, extra)
    for v in items:
        if v.verdict == "undecided":
            review.append(f"{part.id}: {v.target}" + (f" (line {v.line})" if v.line is not None
                                                      and not v.target.startswith("line") else ""))
        elif v.verdict == "incorrect" and v.diagnosis and v.diagnosis["kind"] not in kinds:
            kinds.append(v.diagnosis["kind"])      # each kind counts once per student and part
    out["items"] = [_item_dict(v, minimal) for v in items]
    for k in ("first_wrong", "missing", "not_written"):
        if k in extra:
            out[k] = extra[k]
    if "global" in extra and not minimal:
        out["global"] = extra["global"]
    lines = [f"{part.id}: {out['score']:g}/{part.points:g}"]
    lines += [_item_line(v, minimal) for v in items]
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
        text = extract_math(read_text(path, MAX_BYTES, "submission", name))
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
        out, review, k, ok = grade_part(ex, part, texts.get(part.id), seed, name, minimal)
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


STUDENT_SECONDS = 30
WORKER_MEMORY = 4 << 30


class StudentTimeout(BaseException):
    """Not an Exception: the nets that keep an engine bug from stopping a batch must not catch
    it, or the rest of the student's parts would run with no time limit at all."""


def _alarm_works():
    """SIGALRM can stop a student here: the platform has interval timers and this is the main
    thread (a forked grading worker runs its tasks on its own main thread)."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def _time_limit(seconds):
    """A wall-clock limit on one student; grade() only runs students where `_alarm_works()`."""
    if not _alarm_works():
        yield
        return

    def stop(signum, frame):
        raise StudentTimeout()
    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _limit_memory():
    """Each grading worker gets a memory cap, so one submission cannot take the machine."""
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))
    except (ImportError, ValueError, OSError):
        pass


def _work(args):
    exercise, name, path, seed, feedback = args
    try:
        with _time_limit(STUDENT_SECONDS):
            return grade_student(exercise, name, path, seed, feedback)
    except StudentTimeout:
        return _unfinished(exercise, name, f"{name}: grading took longer than {STUDENT_SECONDS} s",
                           "time limit")
    except MemoryError:
        return _unfinished(exercise, name, f"{name}: grading ran out of memory", "memory limit")
    except Exception as e:       # never lose a student to an engine bug
        return _unfinished(exercise, name, f"{name}: internal error while grading ({type(e).__name__}: {e})",
                           "internal error")


def _alone(ex, w, ctx):
    """One student graded again in a process of its own, after a worker died: only the student
    whose submission kills a process fails, and which students fail does not depend on --jobs."""
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=_limit_memory) as pool:
        try:
            return pool.submit(_work, w).result()
        except Exception as e:
            return _unfinished(ex, w[1], f"{w[1]}: the grading process failed ({type(e).__name__})",
                               "internal error")


def _unfinished(exercise, name, msg, reason):
    ex = _exercises.load(exercise)
    return ({"student": name, "score": 0.0, "max_score": _r(ex.max_score), "error": msg,
             "needs_review": [reason], "parts": [_failed_part(p, msg) for p in ex.parts]}, [])


# ---------------------------------------------------------------------------------------------
# the batch
# ---------------------------------------------------------------------------------------------

def collect(paths):
    """([(student, path)] sorted by name, skipped names sorted, single-file?)."""
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise GradeError("no submissions given")
    files, skipped = {}, []
    for p in paths:
        if os.path.isdir(p):
            try:
                entries = sorted(os.scandir(p), key=lambda e: e.name)
            except OSError as e:
                raise GradeError(f"cannot read folder {p}: {e.strerror}") from None
            for e in entries:
                if e.is_symlink():
                    skipped.append(_shown(e.name) + ("/" if e.is_dir() else ""))
                elif e.is_dir(follow_symlinks=False):
                    skipped.append(_shown(e.name) + "/")
                elif not e.is_file(follow_symlinks=False) or e.name.startswith("."):
                    skipped.append(_shown(e.name))
                else:
                    _add(files, _shown(e.name), e.path)
        elif os.path.isfile(p):
            _add(files, _shown(os.path.basename(p)), p)
        elif os.path.lexists(p):
            raise GradeError(f"not a file or folder: {p}")
        else:
            raise GradeError(f"no such file or folder: {p}")
    single = len(paths) == 1 and not os.path.isdir(paths[0])
    return sorted(files.items()), sorted(skipped), single


def _shown(name):
    """A file name as text: bytes that are not UTF-8 shown as \\xNN."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _add(files, name, path):
    if name in files:
        raise GradeError(f"two submissions named '{name}': {files[name]} and {path}")
    files[name] = path


def load_exercise(exercise):
    """An Exercise; GradeError for an unknown id, ParseError for a bad file."""
    try:
        return _exercises.load(exercise)
    except ExerciseNotFound as e:
        raise GradeError(str(e)) from None


def grade(exercise, paths, seed=0, jobs=1, feedback="full", progress=None):
    """The results.json document (a dict) for `paths` (a folder, a file, or a list of them)."""
    ex = load_exercise(exercise)
    if feedback not in ("full", "minimal"):
        raise GradeError(f"feedback must be 'full' or 'minimal', not {feedback!r}")
    if not isinstance(jobs, int) or jobs < 1:
        raise GradeError(f"jobs must be a positive integer, not {jobs!r}")
    files, skipped, _ = collect(paths)
    jobs = min(jobs, len(files)) or 1
    _warm(ex, seed)
    work = [(ex, name, path, seed, feedback) for name, path in files]
    if jobs == 1 and _alarm_works():
        results = {}
        for w in work:
            results[w[1]] = _work(w)
            if progress:
                progress(w[1])
    else:                # off the main thread even one job goes to a worker, for the time limit
        results = _in_workers(ex, work, jobs, progress)
    students, kinds = [], {}
    for name, _ in files:
        res, ks = results[name]
        students.append(res)
        for k in ks:
            kinds[k] = kinds.get(k, 0) + 1
    scores = [s["score"] for s in students]
    summary = {"graded": len(students), "skipped": skipped,
               "mean_score": _r(sum(scores) / len(scores)) if scores else None,
               "common_mistakes": dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))}
    return {"exercise": ex.id, "seed": seed, "students": students, "summary": summary}


def _in_workers(ex, work, jobs, progress):
    """{student: result} from `jobs` forked worker processes (memory-capped, time-limited)."""
    import multiprocessing
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    results, lost = {}, []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_limit_memory) as pool:
        futures = {pool.submit(_work, w): w for w in work}
        for f in as_completed(futures):
            w = futures[f]
            try:
                results[w[1]] = f.result()
            except Exception:          # a worker died (killed, out of memory): the pool is broken
                lost.append(w)         # and every student still in it is lost with it
                continue
            if progress:
                progress(w[1])
    for w in sorted(lost, key=lambda w: w[1]):
        results[w[1]] = _alone(ex, w, ctx)
        if progress:
            progress(w[1])
    return results


def _warm(ex, seed):
    """Truth values computed once in the parent, inherited by forked workers."""
    try:
        from .evidence import truth_for
        truth_for(ex.graph, seed)
    except Exception:
        pass


# ---------------------------------------------------------------------------------------------
# output files
# ---------------------------------------------------------------------------------------------

def to_json(doc):
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def to_csv(doc):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "part", "score", "max_score", "verdict", "diagnosis"])
    for s in doc["students"]:
        for p in s["parts"]:
            if p["verdict"] == "error":
                diag = "error"
            else:
                diag = ";".join(sorted({it["diagnosis"]["kind"] for it in p["items"]
                                        if it["verdict"] == "incorrect" and it.get("diagnosis")}))
            w.writerow([s["student"], p["part"], f"{p['score']:g}", f"{p['max_score']:g}", p["verdict"], diag])
    return buf.getvalue()


def gradescope(student, exercise):
    """Gradescope's autograder results.json for one student."""
    tests = []
    for p, part in zip(student["parts"], exercise.parts):
        name = f"{part.id} ({part.kind})" + (f": {part.prompt}" if part.prompt else "")
        tests.append({"name": name, "score": p["score"], "max_score": p["max_score"],
                      "status": "passed" if p["score"] >= p["max_score"] - 1e-9 else "failed",
                      "output": p["feedback"]})
    head = f"{exercise.title}\nscore: {student['score']:g}/{student['max_score']:g}"
    if student["error"]:
        head += f"\nerror: {student['error']}"
    if student["needs_review"]:
        head += "\nneeds review by a person: " + "; ".join(student["needs_review"])
    return {"score": student["score"], "output": head, "tests": tests}


def write_outputs(doc, exercise, single, out=None, csv_path=None, gradescope_path=None):
    """Write --out, --csv and --gradescope files (UTF-8, LF)."""
    if out:
        _write(out, to_json(doc))
    if csv_path:
        _write(csv_path, to_csv(doc))
    if gradescope_path:
        if single:
            (s,) = doc["students"]
            _write(gradescope_path, to_json(gradescope(s, exercise)))
        else:
            for s in doc["students"]:
                _write(os.path.join(gradescope_path, s["student"], "results.json"), to_json(gradescope(s, exercise)))


def _write(path, text):
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------

def _usage(msg):
    from .cli import UsageError
    return UsageError(msg)


def summary_text(doc):
    rows = []
    width = max([len(s["student"]) for s in doc["students"]] + [7])
    for s in doc["students"]:
        line = f"{s['student']:<{width}}  {s['score']:g}/{s['max_score']:g}"
        if s["error"]:
            line += f"  error: {s['error']}"
        elif s["needs_review"]:
            line += "  needs review: " + "; ".join(s["needs_review"])
        rows.append(line)
    sm = doc["summary"]
    rows.append(f"graded {sm['graded']}" + (f", mean {sm['mean_score']:g}" if sm["mean_score"] is not None else "")
                + (f", skipped: {', '.join(sm['skipped'])}" if sm["skipped"] else ""))
    if sm["common_mistakes"]:
        rows.append("common mistakes: " + ", ".join(f"{k} {v}" for k, v in sm["common_mistakes"].items()))
    return "\n".join(rows) + "\n"


def grade_command(a, out):
    try:
        ex = load_exercise(a.exercise)
    except GradeError as e:
        raise ParseError(str(e), 1, 1, "--exercise") from None
    try:
        files, _, single = collect(a.submissions)
        if a.gradescope and single and os.path.isdir(a.gradescope):
            raise GradeError(f"--gradescope {a.gradescope} is a folder; for one submission give a file path")
        progress = _progress_bar(len(files)) if sys.stderr.isatty() and files else None
        try:
            doc = grade(ex, a.submissions, seed=a.seed, jobs=a.jobs, feedback=a.feedback,
                        progress=progress.step if progress else None)
        finally:
            if progress:
                progress.close()
        if a.out == "-":
            out.write(to_json(doc))
        write_outputs(doc, ex, single, None if a.out == "-" else a.out, a.csv, a.gradescope)
    except GradeError as e:
        raise _usage(str(e)) from None
    except OSError as e:
        raise _usage(f"cannot write {e.filename}: {e.strerror}") from None
    if a.out != "-":
        out.write(summary_text(doc))
    return 0


class _progress_bar:
    def __init__(self, total):
        from rich.progress import Progress
        from rich.console import Console
        self.p = Progress(console=Console(file=sys.stderr), transient=True)
        self.p.start()
        self.task = self.p.add_task("grading", total=total)

    def step(self, name):
        self.p.update(self.task, advance=1, description=name[:30])

    def close(self):
        self.p.stop()


def exercises_command(a, out):
    if a.action == "list":
        ids = _exercises.list_ids()
        width = max([len(i) for i in ids] + [2])
        for i in ids:
            out.write(f"{i:<{width}}  {_exercises.load(i).title}\n")
        return 0
    if a.action == "show":
        try:
            ex = _exercises.load(a.id)
        except ExerciseNotFound as e:
            raise _usage(str(e)) from None
        out.write(show_text(ex))
        return 0
    try:
        ex = _exercises.load(a.path)
    except ExerciseNotFound as e:
        raise _usage(str(e)) from None
    out.write(f"OK: {ex.id}: {len(ex.parts)} parts, {ex.max_score:g} points\n")
    return 0


def show_text(ex):
    rows = [f"{ex.id}: {ex.title}", ""]
    rows.append("spec" + (f" ({ex.spec_file})" if ex.spec_file else "") + ":")
    rows += ["  " + l for l in ex.spec.strip("\n").split("\n")]
    if ex.conventions.strip():
        rows += ["", "conventions:"] + ["  " + l for l in ex.conventions.strip().split("\n")]
    rows += ["", f"parts ({ex.max_score:g} points):"]
    for p in ex.parts:
        what = {"adjoints": "adjoint equations", "claim": f"gradient with respect to {p.wrt}",
                "steps": "derivation" + (f" of the gradient with respect to {p.wrt}" if p.wrt else "")}[p.kind]
        rows.append(f"  # part: {p.id}  ({p.points:g} point{'' if p.points == 1 else 's'}; {what})")
        if p.prompt:
            rows.append(f"    {p.prompt}")
    return "\n".join(rows) + "\n"


__all__ = ["GradeError", "grade", "grade_command", "exercises_command", "grade_student", "split_parts",
           "extract_math", "to_csv", "gradescope"]


class _CallableModule(type(sys)):
    """`check.grade` is both this module and, as DESIGN.md's API says, the function
    `grade(exercise, paths, seed=0, jobs=1)`: importing the submodule rebinds the package
    attribute `check.grade` to the module, so the module itself must be callable."""

    def __call__(self, exercise, paths, seed=0, jobs=1, **kw):
        return grade(exercise, paths, seed=seed, jobs=jobs, **kw)


sys.modules[__name__].__class__ = _CallableModule
