"""What the web API does with a request, away from HTTP: validate the JSON, run a check, read the
rows, draw the graph. `check`, `read` and `picture` run in a worker process (see runner.py); the
request itself is validated in the server first, so a worker never sees a bad shape.

Nothing here opens a file named by a request: a spec is the request's own text or a bundled
exercise's id (looked up in `exercises.list_ids()`, never taken as a path).
"""
import re
from dataclasses import dataclass
from typing import Optional

from derive.errors import ParseError

import exercises as _exercises

MODES = ("grad", "adjoints", "steps")
FORMATS = ("auto", "plain", "latex")
LANGS = ("en", "ko")
KIND_MODE = {"adjoints": "adjoints", "claim": "grad", "steps": "steps"}
FIELDS = {"mode", "spec", "exercise", "part", "wrt", "text", "format", "seed", "lang", "mark", "level"}
MAX_SPEC = 200_000
MAX_TEXT = 1_000_000
MAX_NAME = 200
MAX_SEED = 2 ** 32 - 1
DEADLINE = 1.0               # symbolic evidence, as `barprop check` by default


class RequestError(ValueError):
    """A request the API refuses before any checking: a wrong field, type or value."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message, self.field = message, field

    def to_dict(self):
        return {"error": {"message": self.message, "line": 0, "col": 0, "field": self.field}}


@dataclass(frozen=True)
class Request:
    mode: Optional[str]
    spec: Optional[str]
    exercise: Optional[str]
    part: Optional[str]
    wrt: Optional[str]
    text: str
    fmt: Optional[str]           # None: decided from the text (format "auto")
    seed: int = 0
    lang: str = "en"
    mark: Optional[str] = None   # picture: the adjoint whose edges are marked ("z_bar")
    level: int = 1               # hint: 1 a nudge, 2 where, 3 which rule, 4 the fixed line


def _string(doc, key, limit, required=False):
    v = doc.get(key)
    if v is None:
        if required:
            raise RequestError(f"missing '{key}'", key)
        return None
    if not isinstance(v, str):
        raise RequestError(f"'{key}' must be a string", key)
    if len(v) > limit:
        raise RequestError(f"'{key}' is longer than {limit} characters", key)
    return v


def _choice(doc, key, choices, default):
    v = doc.get(key, default)
    if v is None:
        v = default
    if v not in choices:
        raise RequestError(f"'{key}' must be one of {', '.join(choices)}", key)
    return v


def parse_request(doc, need_text=True):
    """A validated `Request` from a decoded JSON body (RequestError when it is not one)."""
    if not isinstance(doc, dict):
        raise RequestError("the body must be a JSON object")
    unknown = sorted(set(doc) - FIELDS)
    if unknown:
        raise RequestError(f"unknown field '{unknown[0]}'; known fields: {', '.join(sorted(FIELDS))}", unknown[0])
    seed = doc.get("seed", 0)
    if seed is None:
        seed = 0
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise RequestError(f"'seed' must be an integer from 0 to {MAX_SEED}", "seed")
    level = doc.get("level", 1)
    if isinstance(level, bool) or level not in (1, 2, 3, 4):
        raise RequestError("'level' must be 1, 2, 3 or 4", "level")
    mode = doc.get("mode")
    if mode is not None and mode not in MODES:
        raise RequestError(f"'mode' must be one of {', '.join(MODES)}", "mode")
    req = Request(mode=mode, spec=_string(doc, "spec", MAX_SPEC), exercise=_string(doc, "exercise", MAX_NAME),
                  part=_string(doc, "part", MAX_NAME), wrt=_string(doc, "wrt", MAX_NAME),
                  text=_string(doc, "text", MAX_TEXT, required=need_text) or "",
                  fmt={"auto": None}.get(f := _choice(doc, "format", FORMATS, "auto"), f),
                  seed=seed, lang=_choice(doc, "lang", LANGS, "en"), mark=_string(doc, "mark", MAX_NAME),
                  level=level)
    if req.spec is not None and req.exercise is not None:
        raise RequestError("give either 'spec' or 'exercise', not both", "spec")
    if req.exercise is not None and req.exercise not in _exercises.list_ids():
        raise RequestError(f"unknown exercise '{req.exercise}'; known exercises: "
                           f"{', '.join(_exercises.list_ids())}", "exercise")
    if req.part is not None and req.exercise is None:
        raise RequestError("'part' needs 'exercise'", "part")
    return req


@dataclass(frozen=True)
class Task:
    """What a request asks for once the exercise and part are looked up."""
    mode: str
    spec: object                 # spec text, a Graph, or None (steps without a spec)
    wrt: Optional[str]
    hints: int = 4               # hint levels the exercise's part lets a student see


def task(req, need_mode=True):
    """The mode, spec and variable of a request; an exercise's part decides the mode and wrt."""
    mode, spec, wrt, hints = req.mode, req.spec, req.wrt, 4
    if req.exercise is not None:
        ex = _exercises.load(req.exercise)
        spec = ex.graph
        if req.part is not None:
            p = ex.part(req.part)
            if p is None:
                raise RequestError(f"exercise '{ex.id}' has no part '{req.part}'; parts: "
                                   f"{', '.join(q.id for q in ex.parts)}", "part")
            if mode is not None and mode != KIND_MODE[p.kind]:
                raise RequestError(f"part '{p.id}' is checked in mode '{KIND_MODE[p.kind]}', not '{mode}'", "mode")
            mode, wrt, hints = KIND_MODE[p.kind], wrt or p.wrt, p.rubric.hints
    if mode is None and need_mode:
        raise RequestError("missing 'mode' (grad, adjoints or steps), or an exercise 'part'", "mode")
    if mode == "grad" and not wrt:
        raise RequestError("mode 'grad' needs 'wrt' (the variable of the gradient)", "wrt")
    if mode in ("grad", "adjoints") and spec is None:
        raise RequestError(f"mode '{mode}' needs 'spec' or 'exercise'", "spec")
    return Task(mode, spec, wrt, hints)


def _math_only(text, part=None):
    """The math of a submission (Markdown around it blanked in place); with `part`, when the text
    has `# part: ID` (or `% part: ID`) lines, only that part's sections, line numbers kept.
    Without such lines the whole text is the chosen part's: the student said which part it is."""
    from ..read.documents import MARKER, extract_math
    text = extract_math(text)
    lines = text.split("\n")
    marks = [(i, MARKER.match(line)) for i, line in enumerate(lines)]
    if part is None or not any(m for _, m in marks):
        return text
    want, current, keep = _exercises.normal_part_id(part), None, []
    for i, m in marks:
        if m:
            current = _exercises.normal_part_id(m.group(1))
        keep.append(current == want and not m)
    if not any(keep):
        raise RequestError(f"the text has '# part:' lines but none for part '{part}'", "part")
    return "\n".join(line if k else "" for line, k in zip(lines, keep))


def check(req):
    """The `barprop check --json` document for a request (a ParseError for unreadable input),
    its messages in the request's `lang`."""
    from .. import api
    from ..i18n import language
    with language(req.lang):
        t = task(req)
        text = _math_only(req.text, req.part)
        kw = {"seed": req.seed, "deadline": DEADLINE, "fmt": req.fmt}
        if t.mode == "grad":
            result = api.check_claim(t.spec, t.wrt, text, **kw)
        elif t.mode == "adjoints":
            result = api.check_adjoints(t.spec, text, **kw)
        else:
            spec = t.spec
            if spec is not None and not hasattr(spec, "inputs"):
                from ..backends import as_graph
                spec = as_graph(spec)
            result = api.check_steps(text, spec, **kw)
        return result.to_dict()


def run(action, req):
    """One API action in the worker: {"status": 200|400, "body": {...}}."""
    try:
        return {"status": 200, "body": ACTIONS[action](req)}
    except RequestError as e:
        return {"status": 400, "body": e.to_dict()}
    except ParseError as e:
        return {"status": 400, "body": e.to_dict()}
    except (ArithmeticError, ValueError, RuntimeError) as e:   # outside the domain, no `dot`, ...
        return {"status": 400, "body": {"error": {"message": str(e), "line": 0, "col": 0}}}


def read(req):
    """How the rows were read: per row its line, left- and right-hand side as written, and what
    it reads as (`text` in barprop's plain syntax, `latex`), or the reason it cannot be read."""
    from ..read.rows import clean, rows
    from ..read.scope import is_latex
    t = task(req, need_mode=False)
    text = clean(_math_only(req.text, req.part))
    fmt = req.fmt or ("latex" if is_latex(text) else "plain")
    reader = _Reader(t.spec, fmt, t.mode)
    out, lhs = [], None
    for row in rows(text, fmt):
        if row.lhs:
            lhs = row.lhs
        out.append(reader.row(row, lhs))
    return {"format": fmt, "rows": out}


class _Reader:
    """Rows into SymPy and back out through derive's printers (scalar specs and free derivations)."""

    def __init__(self, spec, fmt, mode):
        from derive.printing import Latex, Text, ranked
        from ..read.scope import ClaimScope
        self.fmt, self.graph = fmt, None
        if spec is not None:
            from ..backends import as_graph
            self.graph = as_graph(spec)
        self.scalar = not getattr(self.graph, "is_matrix", False)
        if self.scalar:
            self.scope = ClaimScope(self.graph, free=self.graph is None)
            names = getattr(self.graph, "latex_names", None) if self.graph is not None else None
            self.tex = ranked(Latex(names), self.graph) if self.graph is not None else Latex()
            self.txt = ranked(Text(ascii=True), self.graph) if self.graph is not None else Text(ascii=True)

    def row(self, row, lhs):
        out = {"line": row.line, "lhs": row.lhs, "rhs": row.rhs.strip(), "text": None, "latex": None,
               "error": None}
        if not self.scalar:
            return out
        try:
            from ..backends.scalar import read_row
            expr = read_row(self.scope, row, self.fmt)
            left_tex, left_txt = self._lhs(row.lhs) if row.lhs else ("", "")
            rhs_tex, rhs_txt = self.tex.doprint(expr), self.txt.doprint(expr)
            out["latex"] = f"{left_tex} = {rhs_tex}" if left_tex else f"= {rhs_tex}" if row.lhs is None else rhs_tex
            out["text"] = f"{left_txt} = {rhs_txt}" if left_txt else f"= {rhs_txt}" if row.lhs is None else rhs_txt
        except ParseError as e:
            out["error"] = {"message": e.message, "line": e.line or row.line, "col": e.col}
        except (TypeError, ValueError, ArithmeticError) as e:
            out["error"] = {"message": str(e), "line": row.line, "col": row.col}
        return out

    def _lhs(self, lhs):
        from ..read.rows import target
        t = target(lhs, 0)
        name = t.name
        if self.graph is not None:
            hit = self.scope.lookup(name)
            name = str(hit) if hit is not None and not isinstance(hit, tuple) else name
            name = re.sub(r"_bar$", "", name)
        if t.kind == "adjoint":
            return self.tex.name(name + "_bar"), f"{name}_bar"
        if t.kind == "derivative":
            num = t.num or "L"
            return (rf"\frac{{\partial {self.tex.name(num)}}}{{\partial {self.tex.name(name)}}}",
                    f"d{num}/d{name}")
        if t.kind == "name":
            return self.tex.name(name), name
        return "", ""


def picture(req):
    """The graph of the spec as SVG (Graphviz), values at the spec's `at:` point, and the ids of
    the edges that carry the marked adjoint (`mark`: "z_bar"), for the page to colour."""
    from derive.draw import DrawError, digraph, node_id
    t = task(req, need_mode=False)
    if t.spec is None:
        raise RequestError("a picture needs 'spec' or 'exercise'", "spec")
    from ..backends import as_graph
    graph = as_graph(t.spec)
    d = graph.backprop()
    point = dict(graph.at) or None
    if point and set(point) < set(graph.inputs):
        point = None
    import graphviz
    try:
        svg = digraph(d, point).pipe(format="svg").decode("utf-8")
    except graphviz.ExecutableNotFound:
        raise DrawError("drawing needs the Graphviz program 'dot'") from None
    marked = []
    name = re.sub(r"_bar$", "", req.mark or "")
    if name and not getattr(graph, "is_matrix", False) and name in graph.names:
        consumers = graph.consumers.get(name, ())
        marked = [f"{node_id(graph, name)}->{node_id(graph, c.name)}" for c in consumers]
        if name == graph.output:
            marked.append(f"{node_id(graph, name)}->output")
    return {"svg": svg[svg.find("<svg"):], "marked": marked}


def exercise_list():
    """The bundled exercises: id, title, conventions, spec text and parts."""
    out = []
    for ex_id in _exercises.list_ids():
        ex = _exercises.load(ex_id)
        out.append({"id": ex.id, "title": ex.title, "conventions": ex.conventions.strip(), "spec": ex.spec,
                    "parts": [{"id": p.id, "kind": p.kind, "mode": KIND_MODE[p.kind], "wrt": p.wrt,
                               "points": p.points, "prompt": p.prompt} for p in ex.parts]})
    return {"exercises": out}


def hint(req):
    """`check.hint` on the request's text: {"part", "target", "level", "text", "latex"}."""
    from ..hints import hint as _hint
    t = task(req, need_mode=False)
    if t.spec is None:
        raise RequestError("a hint needs 'spec' or 'exercise'", "spec")
    if t.hints == 0:
        raise RequestError(f"part '{req.part}' of exercise '{req.exercise}' gives no hints", "level")
    return _hint(t.spec, _math_only(req.text, req.part), level=min(req.level, t.hints), lang=req.lang, fmt=req.fmt,
                 part=req.part)


ACTIONS = {"check": check, "read": read, "picture": picture, "hint": hint}
