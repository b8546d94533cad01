r"""A submission as the blocks its math is in, each with its format and where it starts.

- A python file (`.py`) is code, as a notebook's code cell.
- A Jupyter notebook (`.ipynb`): Markdown cells read as Markdown, code cells as plain text (numpy
  style, `#` comments; only lines with `=`), positions counted in their cell.
- A LaTeX document (`\begin{document}`, or a fragment with `\section`, `\usepackage`, `center`,
  `tikzpicture`, lists or tables at a line start): only its math counts (`$…$`, `$$…$$`, `\[…\]`,
  `\(…\)`, `equation`, `align`, ... environments); the preamble and the prose are not rows.
- Anything else is read as Markdown (markdown-it-py finds the fenced code blocks; indented code is
  not a block, so indentation means nothing): a code block is one block; in the text, every
  delimited math span or environment is a LaTeX block, and a run of lines with no math delimiter
  is one block (a paragraph of plain or raw LaTeX rows). Prose beside delimited math is dropped.
- A block's format: LaTeX when it has a backslash command or `$` outside `#` comments (a fence
  may say `latex` or `python`), else plain; `--latex`/`--plain` force it. Comments follow the
  format: `#` in plain text, `%` in LaTeX.
- Struck-out text (`~~…~~`, `\sout{…}`, `\st{…}`, `\xout{…}`) is blanked: it is not an answer.
- `# part: ID` lines (also `## part:`, `% part:`) are part markers, never rows.
"""
import json
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Optional

from derive.errors import ParseError

MARKER = re.compile(r"^[ \t]*(?:#+|%+)[ \t]*part[ \t]*:[ \t]*(\S+)", re.IGNORECASE)
MAX_CELLS = 2_000
_LATEX_CMD = re.compile(r"\\\S|\$|\^\s*\{")
_LATEX_LINE = re.compile(r"\\\S|\$|&|\^\s*\{")
_GOES_ON = re.compile(r"\s*(?:[=+\-*/^)\]}]|\\right)")
_ENV_NAMES = (r"equation\*?|align\*?|aligned|alignat\*?|alignedat|gather\*?|gathered|split|multline\*?"
              r"|flalign\*?|eqnarray\*?|displaymath|math")
_OPEN = re.compile(r"(?<!\\)(?:\\\\)*(\$\$|\$|\\\[|\\\(|\\begin\s*\{\s*(" + _ENV_NAMES + r")\s*\})")
_STRUCK = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~|\\(?:sout|st|xout)\s*\{")
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)")
_BLANK = re.compile(r"\n[ \t]*\n")
_DOCUMENT = re.compile(r"\\begin\s*\{\s*document\s*\}")
_END_DOCUMENT = re.compile(r"\\end\s*\{\s*document\s*\}")
_STRUCTURE = re.compile(r"^[ \t]*\\(?:documentclass|usepackage|(?:sub)*section\*?|maketitle|begin\s*\{\s*(?:center|tikzpicture"
                        r"|itemize|enumerate|figure|table|tabular|flushleft|abstract)\s*\})", re.M)
_FENCE_FMT = {"latex": "latex", "tex": "latex", "math": "latex", "katex": "latex", "python": "plain",
              "py": "plain", "python3": "plain", "numpy": "plain", "text": None, "txt": None, "": None}


@dataclass(frozen=True)
class Block:
    """A piece of the submission read in one format. `text` starts at line `line`, column `col`
    (in cell `cell` of a notebook); `code` marks a code cell or a python block."""
    fmt: str
    text: str
    line: int
    col: int
    cell: Optional[int] = None
    code: bool = False
    inline: bool = False      # math beside prose on its line: without `=` it is prose too
    text_run: bool = False    # lines of text without math delimiters: a row without `=` may be prose
    span: tuple = ()          # (first line, its column from 0, last line, end column) with delimiters


def blocks(text, fmt=None, name=None):
    """The blocks of a cleaned submission, in reading order."""
    if (name or "").endswith(".py"):
        return [Block(fmt or "plain", "\n".join("" if MARKER.match(l) else l for l in text.split("\n")), 1, 1,
                      code=True)]
    cells = _notebook(text, name)
    if cells is None:
        return _document(text, fmt)
    out = []
    for n, (kind, source) in enumerate(cells, 1):
        if kind == "code":
            lines = source.split("\n")
            out.append(Block(fmt or "plain", "\n".join("" if MARKER.match(l) else l for l in lines), 1, 1, n, True))
        else:
            out.extend(replace(b, cell=n) for b in _document(source, fmt))
    return out


def _notebook(text, name):
    """[(cell type, source)] of a Jupyter notebook, or None when the text is not one."""
    looks = (name or "").endswith(".ipynb") or text.lstrip().startswith("{") and '"cells"' in text
    if not looks:
        return None
    try:
        doc = json.loads(text)
    except ValueError as e:
        if not (name or "").endswith(".ipynb"):
            return None
        raise ParseError(f"not a readable notebook: {e}", getattr(e, "lineno", 1), getattr(e, "colno", 1)) from None
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if not isinstance(cells, list):
        if (name or "").endswith(".ipynb"):
            raise ParseError("not a notebook: no list of cells", 1, 1)
        return None
    if len(cells) > MAX_CELLS:
        raise ParseError(f"more than {MAX_CELLS} cells", 1, 1)
    out = []
    for c in cells:
        src = c.get("source", "") if isinstance(c, dict) else ""
        src = "".join(s for s in src if isinstance(s, str)) if isinstance(src, list) else src
        kind = c.get("cell_type") if isinstance(c, dict) else None
        out.append(("code" if kind == "code" else "markdown" if kind == "markdown" else "raw",
                    src.replace("\r\n", "\n") if isinstance(src, str) else ""))
    return [(k, s) if k != "raw" else ("markdown", "") for k, s in out]


def detect(text):
    """A block's format: LaTeX when it has a backslash command or `$` outside `#` comments."""
    return "latex" if any(_LATEX_CMD.search(line.split("#", 1)[0]) for line in text.split("\n")) else "plain"


def _struck(text):
    """`text` with struck-out spans blanked in place."""
    if "~~" not in text and "\\s" not in text and "\\xout" not in text:
        return text
    chars = list(text)
    for m in _STRUCK.finditer(text):
        if m.group(0).startswith("~~"):
            a, b = m.start(), m.end()
        else:
            depth, b = 0, None
            for k in range(m.end() - 1, len(text)):
                depth += text[k] == "{"
                depth -= text[k] == "}"
                if depth == 0:
                    b = k + 1
                    break
            if b is None:
                continue
            a = m.start()
        for k in range(a, b):
            if chars[k] != "\n":
                chars[k] = " "
    return "".join(chars)


def _document(text, fmt):
    text = _struck(text)
    lines = ["" if MARKER.match(l) else l for l in text.split("\n")]
    if _DOCUMENT.search(text) or _STRUCTURE.search(text) and fmt != "plain":
        return _latex_document(lines)
    return _markdown(lines, fmt)


def _latex_document(lines):
    """Only the math of a LaTeX document's body counts (a fragment with sections, `center` or
    `tikzpicture` is a body without its preamble)."""
    body = "\n".join(_uncomment(l) for l in lines)
    begin = _DOCUMENT.search(body)
    start = begin.end() if begin else 0
    m = _END_DOCUMENT.search(body, start)
    end = m.start() if m else len(body)
    body = _spaces(body[:start]) + body[start:end] + _spaces(body[end:])
    return _math_blocks(body, 0, len(body), "latex")[0]


def _spaces(s):
    return re.sub(r"[^\n]", " ", s)


def _uncomment(line):
    m = re.search(r"(?<!\\)%", line)
    return line if m is None else line[:m.start()] + " " * (len(line) - m.start())


@lru_cache(maxsize=1)
def _markdown_it():
    """One parser for block structure only (fences); indented code is not a block here. Built
    on first use: a text without a fence line never needs it (and the import costs 30 ms)."""
    from markdown_it import MarkdownIt
    md = MarkdownIt("commonmark")
    md.disable(["code", "inline", "text_join"])
    return md


_FENCE_LINE = re.compile(r"^[ \t]{0,3}(?:```|~~~)", re.M)


def _markdown(lines, fmt):
    text = "\n".join(lines)
    code = [False] * len(lines)
    out = []
    tokens = _markdown_it().parse(text) if _FENCE_LINE.search(text) else ()
    for tok in tokens:
        if tok.type != "fence" or not tok.map:
            continue
        a, b = tok.map
        for i in range(a, b):
            code[i] = True
        close = b - 1 if b - 1 > a and lines[b - 1].strip().startswith(tok.markup[:3]) else b
        content = "\n".join(lines[a + 1:close])
        if content.strip():
            info = tok.info.strip().split()[0].lower() if tok.info.strip() else ""
            kind = fmt or _FENCE_FMT.get(info) or detect(content)
            last = close if close < b else b - 1
            out.append((a + 2, Block(kind, content, a + 2, 1, code=info in ("python", "py", "python3", "numpy"),
                                     span=(a + 1, 0, last + 1, len(lines[last])))))
    # the text outside code blocks: delimited math, and runs of lines without any
    prose = "\n".join("" if code[i] or _tex_comment(l, fmt) else _CODE_SPAN.sub(lambda m: " " * len(m.group()), l)
                      for i, l in enumerate(lines))
    found, touched = _math_blocks(prose, 0, len(prose), fmt or "latex")
    out.extend((b.line, b) for b in found)
    run, spans = [], prose.split("\n")
    for i, line in enumerate(spans + [""]):
        if i < len(lines) and line.strip() and not code[i] and i not in touched:
            run.append(i)
            continue
        for first, chunk, kind in _runs(run, spans, fmt):
            last = first + chunk.count("\n")
            out.append((first + 1, Block(kind, chunk, first + 1, 1, text_run=True,
                                         span=(first + 1, 0, last + 1, len(spans[last])))))
        run = []
    out.sort(key=lambda p: (p[0], p[1].col))
    return [b for _, b in out]


def _tex_comment(line, fmt):
    """A whole-line `% …` is a LaTeX comment, never a row (unless the text is declared plain)."""
    return fmt != "plain" and line.lstrip().startswith("%")


def _runs(run, spans, fmt):
    """A run of text lines as blocks of one format each: a line is LaTeX when it has a backslash
    command, `$`, `&` or `\\\\`; a line that goes on from the one above
    (starting with `=`, an operator or a closing bracket) keeps that line's format."""
    out = []
    for i in run:
        line = spans[i]
        kind = fmt or ("latex" if _LATEX_LINE.search(line.split("#", 1)[0]) else "plain")
        if out and fmt is None and kind != out[-1][2] and _GOES_ON.match(line):
            kind = out[-1][2]
        if out and out[-1][2] == kind and out[-1][3] == i - 1:
            first, chunk, _, _ = out[-1]
            out[-1] = (first, chunk + "\n" + line, kind, i)
        else:
            out.append((i, line, kind, i))
    return [(first, chunk, kind) for first, chunk, kind, _ in out]


def _math_blocks(text, start, end, fmt):
    """LaTeX blocks of every delimited math span or environment in text[start:end], and the
    indices of the lines they touch."""
    out, touched, pos = [], set(), start
    while True:
        m = _OPEN.search(text, pos, end)
        if m is None:
            break
        opener = m.group(1)
        if opener.startswith("\\begin"):
            close = re.compile(r"\\end\s*\{\s*" + re.escape(m.group(2)) + r"\s*\}")
            c = close.search(text, m.end(), end)
            a, b, after = m.start(1), (c.end() if c else None), (c.end() if c else None)
        else:
            closer = {"$$": "$$", "$": "$", "\\[": "\\]", "\\(": "\\)"}[opener]
            c = _find_closer(text, m.end(), end, closer)
            a, b, after = m.end(), c, (c + len(closer) if c is not None else None)
        if b is None:
            pos = m.end()
            continue
        if text[a:b].strip():
            line = text.count("\n", 0, a) + 1
            col = a - (text.rfind("\n", 0, a) + 1) + 1
            ls, le = text.rfind("\n", 0, m.start()) + 1, text.find("\n", after)
            beside = text[ls:m.start()] + text[after:le if le >= 0 else len(text)]
            s0, s1 = m.start(1), after
            span = (text.count("\n", 0, s0) + 1, s0 - ls, text.count("\n", 0, s1) + 1,
                    s1 - (text.rfind("\n", 0, s1) + 1))
            out.append(Block(fmt, text[a:b], line, col, inline=bool(beside.strip()), span=span))
        first = text.count("\n", 0, m.start())
        last = text.count("\n", 0, after)
        touched.update(range(first, last + 1))
        pos = after
    return out, touched


def _find_closer(text, pos, end, closer):
    """Where `closer` closes a span opened before pos: `$` on the same line, `$$` before a blank
    line, `\\]` and `\\)` anywhere; an escaped `\\$` does not close."""
    limit = end
    if closer == "$":
        nl = text.find("\n", pos, end)
        limit = end if nl < 0 else nl
    elif closer == "$$":
        blank = _BLANK.search(text, pos, end)
        limit = end if blank is None else blank.start()
    i = pos
    while True:
        k = text.find(closer, i, limit)
        if k < 0:
            return None
        if k > pos and text[k - 1] == "\\" and closer in ("$", "$$"):
            i = k + 1
            continue
        return k


def markers(text, name=None):
    """The `# part: ID` markers of a cleaned submission: [((cell or 0, line), id, column of id)]."""
    cells = _notebook(text, name)
    sources = [(0, text)] if cells is None else [(n, s) for n, (_, s) in enumerate(cells, 1)]
    out = []
    for cell, source in sources:
        for no, line in enumerate(source.split("\n"), 1):
            m = MARKER.match(line)
            if m:
                out.append(((cell, no), m.group(1), m.start(1) + 1))
    return out


HINTS_SEEN = re.compile(r"^[ \t]*(?:#+|%+)[ \t]*hints-seen[ \t]*:[ \t]*(.*)$", re.IGNORECASE | re.MULTILINE)
_SEEN = re.compile(r"([A-Za-z0-9][A-Za-z0-9_.-]*)[ \t]*=[ \t]*([0-9])")


def hints_seen(text):
    """({part id: highest hint level seen}, text with those lines blanked): the web page and the
    notebook record `# hints-seen: PART=LEVEL` in the submissions they produce. In a notebook the
    lines are looked for in its cells (and left there: they are comments)."""
    cells = _notebook(text, None) if text.lstrip().startswith("{") else None
    seen = {}
    for source in [src for _, src in cells] if cells else [text]:
        for m in HINTS_SEEN.finditer(source):
            for p, level in _SEEN.findall(m.group(1)):
                seen[p] = max(seen.get(p, 0), int(level))
    return seen, text if cells else HINTS_SEEN.sub("", text)


def extract_math(text, name=None):
    """The submission with everything that is not a block blanked in place, delimiters and fences
    kept, `# part:` lines kept: a view that reads to the same rows, and whose pieces may be
    joined with other files' views (every structure in it is closed). A notebook becomes Markdown
    (its code cells fenced), a `.py` file one python block."""
    if (name or "").endswith(".py"):
        return "```python\n" + text + "\n```"
    cells = _notebook(text, name)
    if cells is not None:
        return "\n\n".join("```python\n" + src + "\n```" if kind == "code" else _view(src) for kind, src in cells)
    return _view(text)


def _view(text):
    struck = _struck(text)
    lines = struck.split("\n")
    keep = [[False] * len(line) for line in lines]
    for b in _document(text, None):
        if not b.span or b.inline and "=" not in b.text:
            continue                    # `$w$ 는 …`: math beside prose without `=` is prose
        l0, c0, l1, c1 = b.span
        for i in range(l0 - 1, l1):
            start = c0 if i == l0 - 1 else 0
            end = c1 if i == l1 - 1 else len(lines[i])
            for k in range(start, min(end, len(lines[i]))):
                keep[i][k] = True
    return "\n".join(line if MARKER.match(line) else "".join(ch if k else " " for ch, k in zip(line, keep[i])).rstrip()
                     for i, line in enumerate(lines))
