r"""`\begin{cases} … \end{cases}`, a piecewise derivative, as a sum of Iverson brackets:
`\begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}` is 1·[x > 0] + 0·[x ≤ 0].

Two or more branches, each `value & condition`; a condition is a comparison (`x > 0`, `x \le 0`,
`\text{if } x>0`, `z_i \geq 0,`, `x = 0`), a range (`0 \le x < 1`), a bound on an absolute value
(`|r| \le 1`), or `\text{otherwise}` / `\text{else}` / `그 외` / `나머지`. When every condition
compares one expression with numbers, the conditions must be disjoint and, with `otherwise` (the
complement of the others' union), cover every value: this is checked on the numbers, and the first
condition that overlaps an earlier one, or a value no condition covers, is refused at its column.
Two branches may also compare expressions (`x > y` and `x \le y`): then they must be complements
that can be read off the text. Nothing is guessed."""
import re
from dataclasses import dataclass
from fractions import Fraction
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
        r"\leqslant": "<=", r"\ge": ">=", r"\geq": ">=", r"\geqslant": ">=", r"\lt": "<", r"\gt": ">",
        "=": "=", "≠": "!=", r"\ne": "!=", r"\neq": "!="}
NEGATED = {">": "<=", ">=": "<", "<": ">=", "<=": ">"}
_SWAPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "=": "=", "!=": "!="}
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
MAX_BRANCHES = 50
_ONE = r"a condition of cases is one comparison (x > 0, x \le 0), a range (0 \le x < 1) or \text{otherwise}"
_ABS = re.compile(r"\s*(?:\\left\s*)?(?:\||\\lvert|\\vert)(.*?)(?:\\right\s*)?(?:\||\\rvert|\\vert)\s*", re.S)


class CasesError(ValueError):
    """Why a cases environment cannot be read, and the offset in the text it is about."""

    def __init__(self, message, pos):
        super().__init__(message)
        self.message, self.pos = message, pos


@dataclass(frozen=True)
class Test:
    """One Iverson bracket `[left op right]`: each side a text span (start, end) or a number."""
    left: object
    op: str
    right: object
    at: int


@dataclass(frozen=True)
class Branch:
    """One `value & condition` row: the text span of its value, of its condition (None for
    `otherwise`), and the condition as a sum of products of brackets (`tests`)."""
    value: tuple
    cond: Optional[tuple]
    tests: tuple = ()


@dataclass(frozen=True)
class _Cond:
    """A condition as written: its comparisons [(op, start, end)] in text[c0:c1]."""
    c0: int
    c1: int
    cmps: tuple


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
    if len(rows) > MAX_BRANCHES:
        raise CasesError(f"more than {MAX_BRANCHES} branches in one cases", pos)
    if len(rows) < 2:
        raise CasesError("cases need at least two branches, 'value & condition' each (the last may say "
                         r"\text{otherwise})", pos if not rows else _lstrip(text, rows[0][0]))
    read = [_branch(text, a, b) for a, b in rows]
    others = [k for k, (_, c) in enumerate(read) if c is None]
    if len(others) > 1:
        raise CasesError(r"more than one branch of cases says otherwise", _lstrip(text, read[others[1]][0][0]))
    numeric = [None if c is None else _interval(text, c) for _, c in read]
    if all(k in others or n is not None for k, n in enumerate(numeric)) and _one_subject(numeric):
        return _numeric(text, read, numeric), close.end()
    if len(read) == 2:
        return _complements(text, read), close.end()
    bad = next(k for k, n in enumerate(numeric) if k not in others and (n is None or not _one_subject(numeric[:k + 1])))
    raise CasesError(r"with more than two branches, every condition of cases compares one expression with "
                     r"numbers (x < 0, 0 \le x < 1, \text{otherwise})", read[bad][1].c0)


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
    """(value span, _Cond or None for otherwise) of one row."""
    pieces = _split(text, a, b, "&")
    if len(pieces) < 2 or not text[pieces[0][0]:pieces[0][1]].strip():
        raise CasesError("a branch of cases is 'value & condition'", _lstrip(text, a))
    value, (c0, c1) = pieces[0], (pieces[1][0], pieces[-1][1])
    c0 = _LEAD.match(text, c0, c1).end()
    if _plain(text[c0:c1]).rstrip(".,;").lower() in _OTHERWISE:
        return value, None
    c1 = c0 + len(_TRAIL.sub("", text[c0:c1]))
    found = tuple((_OPS.get(m.group()), m.start(), m.end()) for m in _CMP.finditer(text, c0, c1))
    sides = [c0] + [p for _, s, e in found for p in (s, e)] + [c1]
    if not 1 <= len(found) <= 2 or any(op is None for op, _, _ in found) \
            or any(not text[sides[i]:sides[i + 1]].strip() for i in range(0, len(sides), 2)):
        raise CasesError(_ONE, c0 if c0 < c1 else _lstrip(text, pieces[1][0]))
    return value, _Cond(c0, c1, found)


def _number(text, a, b):
    s = _plain(text[a:b])
    return Fraction(s) if _NUMBER.fullmatch(s) else None


def _interval(text, c):
    """(subject key, subject span, set) of a condition that compares one expression with numbers;
    a set is a membership test over the reals. None for any other condition."""
    if len(c.cmps) == 2:                    # a < x <= b, b > x >= a
        (o1, s1, e1), (o2, s2, e2) = c.cmps
        lo, hi = _number(text, c.c0, s1), _number(text, e2, c.c1)
        if lo is None or hi is None or {o1, o2} - {"<", "<="} and {o1, o2} - {">", ">="}:
            return None
        if o1 in (">", ">="):
            lo, hi, o1, o2 = hi, lo, _SWAPPED[o2], _SWAPPED[o1]
        subject = (e1, s2)
        tests = [(_SWAPPED[o1], lo), (o2, hi)]
    else:
        op, s, e = c.cmps[0]
        left, right = _number(text, c.c0, s), _number(text, e, c.c1)
        if (left is None) == (right is None):
            return None
        subject, op, bound = ((e, c.c1), _SWAPPED[op], left) if right is None else ((c.c0, s), op, right)
        tests = [(op, bound)]
    m = _ABS.fullmatch(text, *subject)
    if m:
        if len(tests) != 1:
            return None
        subject = m.span(1)
    key = _plain(text[subject[0]:subject[1]])
    if not key:
        return None
    return ("abs" if m else "", key), subject, _member(tests, bool(m))


_HOLDS = {">": lambda x, b: x > b, ">=": lambda x, b: x >= b, "<": lambda x, b: x < b, "<=": lambda x, b: x <= b,
          "=": lambda x, b: x == b, "!=": lambda x, b: x != b}


def _member(tests, absolute):
    bounds = [b for _, b in tests] + [-b for _, b in tests if absolute]
    holds = (lambda x: all(_HOLDS[op](abs(x) if absolute else x, b) for op, b in tests))
    return holds, bounds


def _one_subject(numeric):
    keys = {n[0][1] for n in numeric if n is not None}
    return len(keys) <= 1


def _numeric(text, read, numeric):
    """Branches of conditions on one expression and numbers: disjoint, and covering every value
    (`otherwise` is the complement of the others' union)."""
    points = sorted({b for n in numeric if n is not None for b in n[2][1]})
    samples = [points[0] - 1] + [x for a, b in zip(points, points[1:]) for x in (a, (a + b) / 2)] \
        + [points[-1], points[-1] + 1]
    subject = next(n[1] for n in numeric if n is not None)
    shown = _plain(text[subject[0]:subject[1]])
    two = len(read) == 2
    taken = [False] * len(samples)
    for k, n in enumerate(numeric):
        if n is None:
            continue
        mine = [n[2][0](x) for x in samples]
        both = [i for i, (a, b) in enumerate(zip(taken, mine)) if a and b]
        if both:
            raise CasesError(_not_complements() if two else
                             f"the conditions of cases overlap: two of them hold where {_where(shown, samples, both[0])}",
                             read[k][1].c0)
        taken = [a or b for a, b in zip(taken, mine)]
    other = next((k for k, n in enumerate(numeric) if n is None), None)
    left = [i for i, t in enumerate(taken) if not t]
    if other is None and left:
        last = read[-1][1].c0
        raise CasesError(_not_complements() if two else
                         f"the conditions of cases leave out {_where(shown, samples, left[0])}: add a branch or "
                         r"\text{otherwise}", last)
    if other is not None and not left:
        raise CasesError(r"\text{otherwise} is never taken: the other conditions of cases cover every value",
                         _lstrip(text, read[other][0][0]))
    out = []
    for k, (value, cond) in enumerate(read):
        if cond is None:
            runs = _runs(samples, [not t for t in taken])
            at = _lstrip(text, value[1] + 1)
        else:
            runs = _runs(samples, [numeric[k][2][0](x) for x in samples])
            at = cond.c0
        tests = tuple(tuple(Test(subject, op, b, at) if op in (">", ">=") else Test(b, _SWAPPED[op], subject, at)
                            for op, b in run) for run in runs)
        out.append(Branch(value, None if cond is None else (cond.c0, cond.c1), tests))
    return out


def _runs(samples, inside):
    """The set of samples where `inside` holds, as intervals [[(op, bound)]] (op of subject vs bound):
    samples alternate region, breakpoint, region, ..., breakpoint, region."""
    out, i, n = [], 0, len(samples)
    while i < n:
        if not inside[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and inside[j + 1]:
            j += 1
        run = []
        if i > 0:
            run.append((">=", samples[i]) if i % 2 else (">", samples[i - 1]))
        if j < n - 1:
            run.append(("<=", samples[j]) if j % 2 else ("<", samples[j + 1]))
        out.append(run)
        i = j + 1
    return out


def _where(shown, samples, i):
    """The sample place i in words: `x = 0`, `x < -1`, `0 < x < 1`."""
    if i % 2:
        return f"{shown} = {number_text(samples[i])}"
    if i == 0:
        return f"{shown} < {number_text(samples[1])}"
    if i == len(samples) - 1:
        return f"{shown} > {number_text(samples[i - 1])}"
    return f"{number_text(samples[i - 1])} < {shown} < {number_text(samples[i + 1])}"


def number_text(f):
    """A bound as a number of the grammar (bounds are read from decimals, so they are finite)."""
    if f.denominator == 1:
        return str(f.numerator)
    digits = 0
    while (f * 10 ** digits).denominator != 1:        # a decimal's denominator is 2^a 5^b
        digits += 1
    s = f"{abs(f.numerator) * 10 ** digits // f.denominator:0{digits + 1}d}"
    return ("-" if f < 0 else "") + s[:-digits] + "." + s[-digits:]


def _not_complements():
    return (r"the conditions of cases are not complements (x > 0 and x \le 0): "
            r"write one comparison and \text{otherwise}")


def _complements(text, read):
    """Two branches whose conditions compare expressions: a comparison and `otherwise`, or a
    comparison and its complement written out."""
    given = [(k, c) for k, (_, c) in enumerate(read) if c is not None]
    for _, c in given:
        if len(c.cmps) != 1 or c.cmps[0][0] not in NEGATED:
            raise CasesError(_ONE, c.c0)
    sides = {k: ((c.c0, c.cmps[0][1]), c.cmps[0][0], (c.cmps[0][2], c.c1)) for k, c in given}
    if len(given) == 2:
        (a1, o1, b1), (a2, o2, b2) = sides[0], sides[1]
        p = lambda s: _plain(text[s[0]:s[1]])      # noqa: E731
        if not ((p(a1), p(b1)) == (p(a2), p(b2)) and o2 == NEGATED[o1]
                or (p(a1), p(b1)) == (p(b2), p(a2)) and o2 == _SWAPPED[NEGATED[o1]]):
            raise CasesError(_not_complements(), read[1][1].c0)
    out = []
    for k, (value, cond) in enumerate(read):
        a, op, b = sides[k if cond is not None else 1 - k]
        test = Test(a, op, b, cond.c0) if cond is not None else Test(a, NEGATED[op], b, read[1 - k][1].c0)
        out.append(Branch(value, None if cond is None else (cond.c0, cond.c1), ((test,),)))
    return out


def _plain(s):
    """A condition's text without spacing, `\\text{…}` wrappers and `\\left`/`\\right`."""
    s = re.sub(r"\\(?:text|textrm|mathrm|mbox)\s*\{([^{}]*)\}", r"\1", s)
    s = re.sub(r"\\(?:left|right)(?![A-Za-z])|\\[,;:! ]|\s", "", s)
    return s


def _lstrip(text, pos):
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos
