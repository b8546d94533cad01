"""Exercises: TOML files in this folder (data), and their loader.

An exercise file::

    id = "csc321-reg-logistic"            # lowercase letters, digits, '-' and '_'
    title = "Regularized logistic regression"
    spec_file = "specs/reglog.bp"         # or: spec = '''...forward spec text...'''
    conventions = "..."                   # optional: accepted notations, shown to students

    [[parts]]
    id = "adjoints"                       # what a submission writes after `# part:`
    kind = "adjoints"                     # "adjoints" | "claim" | "steps"
    points = 7
    prompt = "Write every adjoint ..."

    [[parts]]
    id = "grad_w"
    kind = "claim"
    wrt = "w"                             # required for a claim; optional for steps
    points = 1
    prompt = "dL_reg/dw in the inputs only"

`load(id_or_path)` returns a frozen `Exercise` or raises `ParseError` (`file:line:col: message`)
for a bad file and `ExerciseNotFound` for an id that is not shipped. `list_ids()` lists the
bundled ids. Loading checks the spec parses and every `wrt` is a variable the output depends on.
"""
import os
import re
from dataclasses import dataclass
from typing import Optional

try:
    import tomllib
except ImportError:            # Python 3.10 (Gradescope's Ubuntu 22.04 image)
    import tomli as tomllib

from derive.errors import ParseError
from derive.files import read_text

from . import rubric as _rubric

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = ("adjoints", "claim", "steps")
ID = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
PART_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
TOP_KEYS = {"id", "title", "spec", "spec_file", "conventions", "parts", "lang"}
PART_KEYS = {"id", "kind", "wrt", "points", "prompt"} | _rubric.KEYS
MAX_TOML_BYTES = 1_000_000


class ExerciseNotFound(LookupError):
    """An exercise id that is neither shipped nor a path to a file."""


@dataclass(frozen=True)
class Part:
    id: str
    kind: str                       # "adjoints" | "claim" | "steps"
    points: float
    prompt: str = ""
    wrt: Optional[str] = None       # the variable of a claim (and, optionally, of a derivation)
    rubric: _rubric.Rubric = _rubric.Rubric()   # rules, accepted alternatives, form, hints (rubric.py)


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    spec: str                       # the forward spec text
    parts: tuple
    conventions: str = ""
    spec_file: Optional[str] = None  # as written in the TOML (relative to it)
    path: Optional[str] = None      # the TOML file
    spec_line: int = 0              # line offset of an inline spec inside the TOML
    lang: Optional[str] = None      # the language of feedback: "en" or "ko" (grade --lang wins)

    @property
    def max_score(self):
        return float(sum(p.points for p in self.parts))

    def part(self, part_id):
        key = normal_part_id(part_id)
        return next((p for p in self.parts if normal_part_id(p.id) == key), None)

    @property
    def graph(self):
        """The parsed spec (parsed once per process and spec text)."""
        return spec_graph(self.spec, self.spec_origin)

    @property
    def spec_origin(self):
        if self.spec_file:
            return os.path.join(os.path.dirname(self.path or HERE), self.spec_file)
        return self.path or "<spec>"


def normal_part_id(part_id):
    return part_id.strip().lower().replace("-", "_")


_GRAPHS = {}


def spec_graph(text, origin="<spec>"):
    """One Graph object per spec text in this process, so truth caches keyed on it are hit."""
    g = _GRAPHS.get(text)
    if g is None:
        from derive import parse_spec
        g = _GRAPHS[text] = parse_spec(text, file=origin)
    return g


def list_ids():
    """Ids of the bundled exercises, sorted."""
    return sorted(f[:-5] for f in os.listdir(HERE) if f.endswith(".toml"))


def bundled_path(exercise_id):
    return os.path.join(HERE, f"{exercise_id}.toml")


def load(id_or_path):
    """An `Exercise` from a bundled id or a path to a TOML file."""
    if isinstance(id_or_path, Exercise):
        return id_or_path
    arg = os.fspath(id_or_path)
    if os.path.isfile(arg):
        return load_file(arg)
    if ID.match(arg) and os.path.isfile(bundled_path(arg)):
        return load_file(bundled_path(arg))
    if arg.endswith(".toml") or os.sep in arg or "/" in arg:
        raise ExerciseNotFound(f"no such exercise file: {arg}")
    raise ExerciseNotFound(f"unknown exercise '{arg}'; known exercises: {', '.join(list_ids())}")


def load_file(path):
    return loads(read_text(path, MAX_TOML_BYTES, "exercise"), path)


_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def loads(text, path=None):
    """An `Exercise` from TOML text; `path` names it in errors and anchors `spec_file`."""
    where = _Locator(text, path)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        msg = str(e)
        m = _TOML_AT.search(msg)
        if m:
            raise ParseError(f"TOML: {msg[: m.start()]}", int(m.group(1)), int(m.group(2)), path) from None
        raise ParseError(f"TOML: {msg}", 0, 0, path) from None
    unknown = sorted(set(doc) - TOP_KEYS)
    if unknown:
        raise where.error(f"unknown key '{unknown[0]}'; expected: {', '.join(sorted(TOP_KEYS))}", unknown[0])
    ex_id = _string(doc, "id", where)
    if not ID.match(ex_id):
        raise where.error(f"id '{ex_id}' must be lowercase letters, digits, '-' or '_'", "id")
    title = _string(doc, "title", where)
    conventions = _string(doc, "conventions", where, required=False) or ""
    spec, spec_file, spec_line = _spec(doc, where, path)
    parts = _parts(doc, where)
    lang = _string(doc, "lang", where, required=False) or None
    if lang is not None and lang not in ("en", "ko"):
        raise where.error(f"lang must be 'en' or 'ko', not '{lang}'", "lang")
    ex = Exercise(ex_id, title, spec, parts, conventions, spec_file, path, spec_line, lang)
    _check_spec(ex, where)
    return ex


def _string(doc, key, where, required=True, part=None):
    if key not in doc:
        if required:
            raise where.error(f"missing '{key}'" + (f" in part {part + 1}" if part is not None else ""),
                              None, part)
        return None
    v = doc[key]
    if not isinstance(v, str):
        raise where.error(f"'{key}' must be a string", key, part)
    if required and not v.strip():
        raise where.error(f"'{key}' is empty", key, part)
    return v


def _spec(doc, where, path):
    if ("spec" in doc) == ("spec_file" in doc):
        raise where.error("give exactly one of 'spec' (the text) or 'spec_file' (a path)", "spec_file"
                          if "spec_file" in doc else "spec")
    if "spec" in doc:
        text = _string(doc, "spec", where)
        return text, None, where.value_line("spec")
    rel = _string(doc, "spec_file", where)
    if os.path.isabs(rel):
        raise where.error("'spec_file' must be relative to the exercise file", "spec_file")
    full = os.path.join(os.path.dirname(os.path.abspath(path)) if path else os.getcwd(), rel)
    try:
        with open(full, encoding="utf-8-sig") as f:
            return f.read(), rel, 0
    except (OSError, UnicodeDecodeError) as e:
        why = getattr(e, "strerror", None) or "not UTF-8 text"
        raise where.error(f"cannot read spec_file '{rel}': {why}", "spec_file") from None


def _parts(doc, where):
    parts = doc.get("parts")
    if parts is None:
        raise where.error("missing 'parts': at least one [[parts]] table", None)
    if not isinstance(parts, list) or not parts or not all(isinstance(p, dict) for p in parts):
        raise where.error("'parts' must be a non-empty list of tables ([[parts]])", "parts")
    out, seen = [], {}
    for i, p in enumerate(parts):
        unknown = sorted(set(p) - PART_KEYS)
        if unknown:
            raise where.error(f"part {i + 1}: unknown key '{unknown[0]}'; expected: {', '.join(sorted(PART_KEYS))}",
                              unknown[0], i)
        pid = _string(p, "id", where, part=i)
        if not PART_ID.match(pid):
            raise where.error(f"part id '{pid}' must be letters, digits, '-', '_' or '.'", "id", i)
        key = normal_part_id(pid)
        if key in seen:
            raise where.error(f"part id '{pid}' is used twice (parts {seen[key] + 1} and {i + 1})", "id", i)
        seen[key] = i
        kind = _string(p, "kind", where, part=i)
        if kind not in KINDS:
            raise where.error(f"part '{pid}': unknown kind '{kind}'; expected one of: {', '.join(KINDS)}", "kind", i)
        if "points" not in p:
            raise where.error(f"part '{pid}': missing 'points'", None, i)
        points = p["points"]
        if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0 \
                or points != points or points == float("inf"):
            raise where.error(f"part '{pid}': points must be a positive number, not {points!r}", "points", i)
        wrt = _string(p, "wrt", where, required=False, part=i)
        if kind == "claim" and not wrt:
            raise where.error(f"part '{pid}': a claim needs 'wrt' (the variable of the gradient)", None, i)
        if kind == "adjoints" and wrt is not None:
            raise where.error(f"part '{pid}': 'wrt' is for claim and steps parts; an adjoints part "
                              "asks for the spec's wrt: variables", "wrt", i)
        prompt = _string(p, "prompt", where, required=False, part=i) or ""
        rules = _rubric.parse(p, kind, lambda message, key, i=i, pid=pid: where.error(f"part '{pid}': {message}", key, i))
        out.append(Part(pid, kind, float(points), prompt, wrt.strip() if wrt else None, rules))
    return tuple(out)


def _check_spec(ex, where):
    try:
        graph = spec_graph(ex.spec, ex.spec_origin)
    except ParseError as e:
        if ex.spec_file:
            raise
        raise ParseError(e.message, e.line + ex.spec_line if e.line else where.line_of("spec"),
                         e.col, ex.path) from None
    from derive.names import spelled
    for i, p in enumerate(ex.parts):
        if p.wrt is None:
            continue
        known = {spelled(n): n for n in graph.inputs}
        if spelled(p.wrt) not in known:
            raise where.error(f"part '{p.id}': wrt '{p.wrt}' is not an input of the spec; inputs: "
                              f"{', '.join(graph.inputs)}", "wrt", i)
    try:
        graph.backprop()
    except ValueError as e:
        raise where.error(f"spec: {e}", "spec_file" if ex.spec_file else "spec") from None


class _Locator:
    """Best-effort line and column of a key in the TOML text, for validation errors."""

    def __init__(self, text, path):
        self.lines = text.replace("\r\n", "\n").split("\n")
        self.path = path
        self.tables = [i for i, l in enumerate(self.lines) if re.match(r"\s*\[\[\s*parts\s*\]\]", l)]

    def _range(self, part):
        if part is None:
            end = self.tables[0] if self.tables else len(self.lines)
            return 0, end
        if part < len(self.tables):
            end = self.tables[part + 1] if part + 1 < len(self.tables) else len(self.lines)
            return self.tables[part], end
        return 0, len(self.lines)

    def find(self, key, part=None):
        if key is None:
            return None
        lo, hi = self._range(part)
        pat = re.compile(r"(?:^|[\s{,])(" + re.escape(key) + r")\s*=")
        for i in range(lo, hi):
            m = pat.search(self.lines[i])
            if m:
                return i + 1, m.start(1) + 1
        if part is not None and lo < len(self.lines) and part < len(self.tables):
            return lo + 1, 1
        return None

    def line_of(self, key, part=None):
        hit = self.find(key, part)
        return hit[0] if hit else 0

    def value_line(self, key):
        """The TOML line just before the first line of a string value (0 when not found)."""
        hit = self.find(key)
        if not hit:
            return 0
        line = self.lines[hit[0] - 1]
        m = re.search(re.escape(key) + r"\s*=\s*(\"\"\"|''')(.*)$", line)
        if m and not m.group(2).strip():
            return hit[0]          # the value starts on the next line
        return hit[0] - 1

    def error(self, message, key, part=None):
        hit = self.find(key, part)
        if hit is None and part is not None and part < len(self.tables):
            hit = (self.tables[part] + 1, 1)
        line, col = hit or (0, 0)
        return ParseError(message, line, col, self.path)


__all__ = ["Exercise", "ExerciseNotFound", "Part", "list_ids", "load", "load_file", "loads"]
