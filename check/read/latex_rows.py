r"""A LaTeX block into rows: delimiters, environments, comments, tags and prose blanked, rows split at
`\\`, line ends and separators, with their lines and columns."""
from bisect import bisect_right
import re
from derive.errors import ParseError
from .latex_names import MAX_BLOCK, _arguments_end, _read_name, _skip
from .row import Row

_ENVS = (r"aligned|align\*?|alignat\*?|alignedat|equation\*?|gather\*?|gathered|split|eqnarray\*?"
         r"|multline\*?|flalign\*?|displaymath|math")
_MARKS = re.compile(r"""
    (?P<brk>\\\\(?:\s*\[\s*-?[\d.]+\s*[a-z]{2}\s*\])?)
  | (?P<esc>\\[$%])
  | (?P<math>\$\$|\$|\\[\[\]()])
  | (?P<env>\\(?:begin|end)\s*\{\s*(?:""" + _ENVS + r""")\s*\}(?:\s*\{\s*\d*\s*\})?)
  | (?P<drop>\\(?:tag\*?|label)\s*\{[^{}\n]*\}|\\(?:nonumber|notag)(?![A-Za-z]))
  | (?P<cmt>%[^\n]*)
""", re.X)
_CLOSER = {"$$": "$$", "$": "$", r"\[": r"\]", r"\(": r"\)"}
_CASES = re.compile(r"\\(begin|end)\s*\{\s*d?cases\*?\s*\}")
_ANNOTATION = re.compile(
    r"&\s*&|\\q?quad(?![A-Za-z])\s*(?=\(\s*[\w.]{1,6}\s*\)[\s.,;]*$|\(?\s*\\(?:text|textbf|textit|textrm|mbox)"
    r"(?![A-Za-z]))|\\(?:leftarrow|Leftarrow|rightarrow|Rightarrow|longleftarrow|Longleftarrow|"
    r"longrightarrow|Longrightarrow|star|checkmark|implies|impliedby|iff|because|therefore|hfill)"
    r"(?![A-Za-z])|[∵∴]")
_TRAILER = re.compile(r"(?:\\(?:text|textbf|textit|textrm|mbox)\s*\{[^{}]*\}|[,.;]|\\[,;:! ]"
                      r"|\\q?quad(?![A-Za-z]))$")
_RELATION = re.compile(r":=|(?<![<>!=:])=(?!=)|\\(?:coloneqq|triangleq)(?![A-Za-z])"
                       r"|\\(?:overset|stackrel)\s*\{[^{}]*\}\s*\{\s*=\s*\}")
_SEPARATOR = re.compile(r"(?<!\\)[,;]|\\q?quad(?![A-Za-z])|\\(?:text|mbox)\s*\{\s*(?:and|,|;)\s*\}")
_JOIN_END = re.compile(r"(?:[-+*/=(\[{,]|\\(?:cdot|times|div|circ|odot|left\s*\S|[dtc]?frac))\s*$")
# a line with its own left-hand side and `=` starts a row of its own: an unclosed bracket or an
# empty right-hand side above it never swallows it
_NEW_EQUATION = re.compile(r"^\s*[^=&\s][^=]*(?<![<>!:\\])=(?!=)")
_JOIN_START = re.compile(r"^\s*(?:[-+*/^_)\]}]|\\(?:cdot|times|div|circ|odot|right)(?![A-Za-z]))")


def _blank(chars, start, end):
    for i in range(start, end):
        if chars[i] != "\n":
            chars[i] = " "


def _markup(text):
    """The text with delimiters, environments, comments, tags and prose blanked, and row breaks."""
    chars = [" " if c in "\r\ufeff" else c for c in text]
    inside_cases = _in_cases(text)
    marks = [m for m in _MARKS.finditer(text) if not (m.lastgroup == "brk" and inside_cases[m.start()])]
    delimited = any(m.lastgroup == "math" for m in marks)
    breaks, inside, prose = [], None, 0
    for m in marks:
        kind, a, b = m.lastgroup, m.start(), m.end()
        if kind == "math" and delimited:
            if inside is None:
                _blank(chars, prose, a)
                inside = _CLOSER.get(m.group())
            elif m.group() == inside:
                inside, prose = None, b
            else:
                continue
        elif delimited and inside is None or kind == "esc":
            continue
        if kind != "drop" and kind != "cmt":
            breaks.append(a)
        _blank(chars, a, b)
    if delimited and inside is None:
        _blank(chars, prose, len(text))
    return "".join(chars), breaks


def _in_cases(text):
    """For each character: is it inside a `cases` environment (whose `\\\\` and `&` are its own)?"""
    out, depth, pos = [False] * (len(text) + 1), 0, 0
    if "cases" not in text:
        return out
    for m in _CASES.finditer(text):
        if depth > 0:
            out[pos:m.start()] = [True] * (m.start() - pos)
        depth = max(0, depth + (1 if m.group(1) == "begin" else -1))
        pos = m.start()
    if depth > 0:
        out[pos:len(text)] = [True] * (len(text) - pos)
    return out


def _balance(line):
    cases = len(_CASES.findall(line)) and sum(1 if m.group(1) == "begin" else -1 for m in _CASES.finditer(line))
    return sum(line.count(c) for c in "{([") - sum(line.count(c) for c in "})]") + cases


def _depths(row):
    """The bracket depth before each character of a row (a `cases` environment is a bracket)."""
    depth, out = 0, []
    inside = _in_cases(row)
    for i, ch in enumerate(row):
        out.append(depth + inside[i])
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
    return out


def _rows_of(buf, start, end):
    """Spans of one break-free segment, lines joined while an expression clearly goes on."""
    spans, pos, depth, previous = [], start, 0, ""
    while pos < end:
        stop = buf.find("\n", pos, end)
        stop = end if stop < 0 else stop
        line = buf[pos:stop]
        if line.strip():
            if spans and not _NEW_EQUATION.match(line) and (depth > 0 or _JOIN_END.search(previous)
                                                            or _JOIN_START.match(line)):
                spans[-1] = (spans[-1][0], stop)
                depth += _balance(line)
            else:
                spans.append((pos, stop))
                depth = _balance(line)
            previous = line
        pos = stop + 1
    return spans


def _untrail(row):
    """The row without trailing punctuation, spacing and `\\text{...}` remarks."""
    while True:
        stripped = row.rstrip()
        m = _TRAILER.search(stripped)
        if m is None:
            return stripped
        row = stripped[:m.start()]


def _function_lhs(lhs):
    """`f(x, y, z)` on a left-hand side defines `f`: the row's lhs is then just `f`."""
    if not lhs or not lhs.rstrip().endswith(")"):
        return lhs
    try:
        name = _read_name(lhs, _skip(lhs, 0))
        end = name and _arguments_end(lhs, name.end)
    except ParseError:
        return lhs
    return lhs[:name.end] if end is not None and _skip(lhs, end) == len(lhs) else lhs


def _cut(row):
    """The row without `&&` comments, `\\quad (1)` tags, arrows and trailing punctuation."""
    depth = _depths(row)
    for m in _ANNOTATION.finditer(row):
        if depth[m.start()] == 0:
            row = row[:m.start()]
            break
    if "cases" in row:
        inside = _in_cases(row)
        return _untrail("".join(" " if ch == "&" and not inside[i] else ch for i, ch in enumerate(row)))
    return _untrail(row.replace("&", " "))


def parse_latex_rows(text):
    r"""A LaTeX block (`aligned`, `align*`, `$$`, ...) into equation rows, in input order."""
    if len(text) > MAX_BLOCK:
        raise ParseError(f"input longer than {MAX_BLOCK} characters", 1, 1)
    buf, breaks = _markup(text)
    starts = [0] + [i + 1 for i, c in enumerate(buf) if c == "\n"]

    def at(pos):
        line = bisect_right(starts, pos)
        return line, pos - starts[line - 1] + 1

    def piece(row, a, b, offset):
        s = row[a:b]
        return s.strip(), offset + a + len(s) - len(s.lstrip())

    rows, bounds = [], [0] + breaks + [len(buf)]
    for seg_start, seg_end in zip(bounds, bounds[1:]):
        for a, b in _rows_of(buf, seg_start, seg_end):
            row = _cut(buf[a:b])
            depth = _depths(row)
            rels = [m for m in _RELATION.finditer(row) if depth[m.start()] == 0]
            if not rels:
                body, p = piece(row, 0, len(row), a)
                if body:
                    rows.append(Row(*at(p), "", body, bare=True))
                continue
            left = (0, rels[0].start())
            for i, m in enumerate(rels):
                e, after = (rels[i + 1].start(), None) if i + 1 < len(rels) else (len(row), None)
                if i + 1 < len(rels):
                    # `x = -2, y = 5` and `a = 1 \quad b = 2`: a separator before the next
                    # relation starts a new equation rather than continuing this one
                    seps = [s for s in _SEPARATOR.finditer(row, m.end(), e) if depth[s.start()] == 0]
                    if seps and row[seps[-1].end():e].strip():
                        e, after = seps[-1].start(), (_skip(row, seps[-1].end()), e)
                if after is not None:
                    e = m.end() + len(_untrail(row[m.end():e]))
                rhs, rp = piece(row, m.end(), e, a)
                lhs, lp = piece(row, *left, a) if left else ("", 0)
                lhs = _function_lhs(lhs)
                rows.append(Row(*at(rp), lhs or None, rhs, *(at(lp) if lhs else (0, 0))))
                left = after
    return rows
