"""Student text into rows: `lhs = rhs` or a continuation `= rhs`, plain or LaTeX, with positions."""
import re
from dataclasses import dataclass
from typing import Optional

from derive.errors import ParseError
from derive.names import MACRON, decomposed, spelled

from .scope import is_latex

MAX_CHARS = 1_000_000
MAX_ROWS = 2_000


@dataclass(frozen=True)
class Row:
    line: int
    col: int                 # where rhs starts
    lhs: Optional[str]
    rhs: str


@dataclass(frozen=True)
class Target:
    """What a left-hand side names: an adjoint, a derivative d num / d den, or a forward name."""
    kind: str                # "adjoint" | "derivative" | "name" | "expression"
    name: str                # the variable (adjoint / name) or the denominator (derivative)
    num: Optional[str] = None


def clean(text):
    """BOM, CRLF, and Markdown around the math: code blocks and $$...$$ are what count."""
    if len(text) > MAX_CHARS:
        raise ParseError(f"input longer than {MAX_CHARS} characters", 1, 1)
    text = decomposed(text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n"))
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ParseError("NUL byte in input", line, 1)
    return text


def split_parts(text):
    """`# part: ID` lines separate parts: [(id or None, text with its line numbers kept)]."""
    parts, current, lines = [], None, []
    for no, line in enumerate(text.split("\n")):
        m = re.match(r"\s*#\s*part\s*:\s*(\S+)", line)
        if m:
            if any(l.strip() for l in lines):
                parts.append((current, "\n".join(lines)))
            current, lines = m.group(1), [""] * (no + 1)
        else:
            lines.append(line)
    parts.append((current, "\n".join(lines)))
    return [(p, t) for p, t in parts if t.strip() or p is not None]


def rows(text, fmt=None):
    """Rows of equations; LaTeX when `fmt` says so or the text has a backslash command or `$`."""
    if (fmt or ("latex" if is_latex(text) else "plain")) == "latex":
        from .latex import parse_latex_rows
        out = parse_latex_rows(text)
    else:
        out = _plain_rows(text)
    if len(out) > MAX_ROWS:
        raise ParseError(f"more than {MAX_ROWS} rows", out[MAX_ROWS].line, 1)
    return out


def _plain_rows(text):
    out = []
    for no, line in enumerate(text.split("\n"), 1):
        body = line.split("#", 1)[0]
        if not body.strip() or body.strip().startswith("```"):
            continue
        stripped = body.lstrip()
        indent = len(body) - len(stripped)
        if stripped.startswith("="):
            out.append(Row(no, indent + 2, None, stripped[1:]))
            continue
        i = _top_level_eq(body)
        if i is None:
            out.append(Row(no, indent + 1, "", body))
            continue
        out.append(Row(no, i + 2, body[:i].strip(), body[i + 1:]))
    return out


def _top_level_eq(s):
    depth = 0
    for i, ch in enumerate(s):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "=" and depth == 0 and s[i - 1:i] not in ("<", ">", "!") and s[i + 1:i + 2] != "=":
            return i
    return None


CALL_LHS = re.compile(r"^([A-Za-z_\u0370-\u03ff]\w*)\s*\([^()]*\)$")   # f(x, y, z) = ... names f
BAR_INDEXED = re.compile(r"(.+?)_?bar_([a-z]+)")     # h_bar_i, W1_bar_ij: the adjoint's entries
PLAIN_DERIV = re.compile(r"\s*(?:d|∂)\s*([^\s/]+)\s*/\s*(?:d|∂)\s*(\S+)\s*$")


def target(lhs, line):
    """Classify a left-hand side (plain or LaTeX)."""
    if is_latex(lhs):
        from .latex import latex_derivative, latex_name
        d = latex_derivative(lhs)
        if d:
            return Target("derivative", d[1], d[0])
        try:
            name = latex_name(lhs)
        except ParseError:
            return Target("expression", lhs.strip())
    else:
        m = PLAIN_DERIV.match(lhs)
        if m:
            return Target("derivative", spelled(m.group(2)), spelled(m.group(1)))
        name = spelled(CALL_LHS.sub(r"\1", lhs.strip()))
        if not re.fullmatch(r"[A-Za-z_\u0370-\u03ff][\w\u0304{}']*", name):
            return Target("expression", lhs.strip())
    if MACRON in name:
        return Target("adjoint", name.replace(MACRON, ""))
    for suffix in ("_bar", "bar"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return Target("adjoint", name[: -len(suffix)])
    m = BAR_INDEXED.fullmatch(name)
    if m:
        return Target("adjoint", f"{m.group(1)}_{m.group(2)}")
    return Target("name", name)
