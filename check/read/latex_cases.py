r"""`\begin{cases} … \end{cases}`, a piecewise derivative, as a sum of Iverson brackets:
`\begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}` is 1·[x > 0] + 0·[x ≤ 0].

Two branches, each `value & condition`; a condition is one comparison (`x > 0`, `x \le 0`,
`\text{if } x>0`, `z_i \geq 0,`) or `\text{otherwise}` / `\text{else}` / `\text{그 외}`. The two
conditions must be a partition that can be read off the text: a comparison and `otherwise`,
or a comparison and its complement (`x > 0` and `x \le 0`, or `0 \ge x`). Anything else is
refused at the condition's column, never guessed."""
import re
from dataclasses import dataclass
from typing import Optional

CASES = re.compile(r"\\begin\s*\{\s*(d?cases\*?)\s*\}")
_BREAK = re.compile(r"\\\\(?:\s*\[\s*-?[\d.]+\s*[a-z]{2}\s*\])?")
_LEAD = re.compile(r"(?:\s|\\q?quad(?![A-Za-z])|\\[,;:! ]|,|(?:\\(?:text|textrm|mathrm|mbox)\s*\{\s*)?"
                   r"(?:if|for|when|where)(?![A-Za-z])\s*\}?)*")
_TRAIL = re.compile(r"(?:\s|[,.;]|\\q?quad(?![A-Za-z])|\\[,;:! ]|\\(?:text|textrm|mbox)\s*\{[^{}]*\})*$")
_OTHERWISE = {"otherwise", "else", "o.w.", "ow", "elsewhere", "그외", "그외의경우", "나머지", "그렇지않으면",
              "나머지경우", "ifnot"}
_CMP = re.compile(r"<=|>=|\\(?:geqslant|leqslant|geq|ge|leq|le|gt|lt|neq|ne)(?![A-Za-z])|[<>≥≤≠=]")
_OPS = {"<=": "<=", ">=": ">=", "<": "<", ">": ">", "≤": "<=", "≥": ">=", r"\le": "<=", r"\leq": "<=",
        r"\leqslant": "<=", r"\ge": ">=", r"\geq": ">=", r"\geqslant": ">=", r"\lt": "<", r"\gt": ">"}
NEGATED = {">": "<=", ">=": "<", "<": ">=", "<=": ">"}
_SWAPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">="}


class CasesError(ValueError):
    """Why a cases environment cannot be read, and the offset in the text it is about."""

    def __init__(self, message, pos):
        super().__init__(message)
        self.message, self.pos = message, pos


@dataclass(frozen=True)
class Branch:
    """One `value & condition` row: text offsets of its value and of its comparison (None for
    `otherwise`), the comparison's sides (normalized) and operator."""
    value: tuple
    cond: Optional[tuple]
    sides: tuple = ()
    op: str = ""


def cases(text, pos):
    """(branches, end offset) of the cases environment that starts at `pos`."""
    m = CASES.match(text, pos)
    close = re.compile(r"\\end\s*\{\s*" + re.escape(m.group(1)) + r"\s*\}").search(text, m.end())
    if close is None:
        raise CasesError(r"\begin{cases} without \end{cases}", pos)
    inner = CASES.search(text, m.end(), close.start())
    if inner:
        raise CasesError("cases inside cases: write the branches of one cases", inner.start())
    rows = [r for r in _split(text, m.end(), close.start(), _BREAK) if text[r[0]:r[1]].strip()]
    if len(rows) != 2:
        raise CasesError("cases need two branches, 'value & condition' each (the second may say "
                         r"\text{otherwise})", pos if not rows else _lstrip(text, rows[min(2, len(rows) - 1)][0]))
    branches = [_branch(text, a, b) for a, b in rows]
    _partition(text, branches)
    return branches, close.end()


def _split(text, a, b, sep):
    """Pieces of text[a:b] between top-level (outside braces) matches of `sep`."""
    out, depth, start, i = [], 0, a, a
    while i < b:
        ch = text[i]
        if ch == "\\" and text.startswith("\\\\", i) and depth == 0 and sep is _BREAK:
            m = _BREAK.match(text, i)
            out.append((start, i))
            start = i = m.end()
            continue
        if ch == "\\":
            i += 2
            continue
        depth += ch == "{"
        depth -= ch == "}"
        if ch == sep and depth == 0:
            out.append((start, i))
            start = i + 1
        i += 1
    out.append((start, b))
    return out


def _branch(text, a, b):
    pieces = _split(text, a, b, "&")
    if len(pieces) < 2 or not text[pieces[0][0]:pieces[0][1]].strip():
        raise CasesError("a branch of cases is 'value & condition'", _lstrip(text, a))
    value, (c0, c1) = pieces[0], (pieces[1][0], pieces[-1][1])
    c0 = _LEAD.match(text, c0, c1).end()
    if _plain(text[c0:c1].strip().rstrip(".,;")).lower() in _OTHERWISE:
        return Branch(value, None)
    c1 = c0 + len(_TRAIL.sub("", text[c0:c1]))
    core = text[c0:c1]
    found = [m for m in _CMP.finditer(core)]
    if len(found) != 1 or found[0].group() not in _OPS or not core[:found[0].start()].strip() \
            or not core[found[0].end():].strip():
        raise CasesError(r"a condition of cases is one comparison (x > 0, x \le 0) or \text{otherwise}",
                         c0 if c0 < c1 else _lstrip(text, pieces[1][0]))
    cmp = found[0]
    return Branch(value, (c0, c1), (_plain(core[:cmp.start()]), _plain(core[cmp.end():])), _OPS[cmp.group()])


def _partition(text, branches):
    first, second = branches
    if first.cond is None and second.cond is None:
        raise CasesError(r"both branches of cases say otherwise", _lstrip(text, second.value[0]))
    if first.cond is None or second.cond is None:
        return
    (a1, b1), (a2, b2) = first.sides, second.sides
    if (a1, b1) == (a2, b2) and second.op == NEGATED[first.op]:
        return
    if (a1, b1) == (b2, a2) and second.op == _SWAPPED[NEGATED[first.op]]:
        return
    raise CasesError(r"the conditions of cases are not complements (x > 0 and x \le 0): "
                     r"write one comparison and \text{otherwise}", second.cond[0])


def _plain(s):
    """A condition's text without spacing, `\\text{…}` wrappers and `\\left`/`\\right`."""
    s = re.sub(r"\\(?:text|textrm|mathrm|mbox)\s*\{([^{}]*)\}", r"\1", s)
    s = re.sub(r"\\(?:left|right)(?![A-Za-z])|\\[,;:! ]|\s", "", s)
    return s


def _lstrip(text, pos):
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos
