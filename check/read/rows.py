"""The one reading pipeline of student text, for `check` and `grade` alike: document -> blocks
(documents.py: Markdown, notebooks, LaTeX documents; a format per block) -> rows (plain.py,
latex_rows.py; true line, column and notebook cell) -> left-hand side classified once
(classify.py). Expressions are read later, per row, by scope.py."""
from dataclasses import replace

from derive.errors import ParseError
from derive.names import decomposed

from .classify import target
from .documents import blocks
from .plain import is_prose, normalized, plain_rows, strip_lead, strip_trail
from .row import Row, Target

MAX_CHARS = 1_000_000
MAX_ROWS = 2_000

__all__ = ["MAX_CHARS", "MAX_ROWS", "Row", "Target", "clean", "rows", "target"]


def clean(text):
    """BOM, CRLF and CR line ends, letters typed with a macron (ȳ) as letter + macron; the size cap."""
    if len(text) > MAX_CHARS:
        raise ParseError(f"input longer than {MAX_CHARS} characters", 1, 1)
    text = decomposed(text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n"))
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ParseError("NUL byte in input", line, 1)
    return text


def rows(text, fmt=None, name=None):
    """Every row of a cleaned submission, in reading order. `fmt` forces every block's format;
    `name` (a file name) says when the text is a notebook. Rows of one delimited math block share
    its number in `block` (they move together); other rows each have their own."""
    out = []
    for k, b in enumerate(blocks(text, fmt, name)):
        body = normalized(b.text, b.fmt)
        if b.fmt == "latex":
            body = "\n".join("" if b.text_run and is_prose(line) and "=" not in line
                             else strip_trail(strip_lead(line), latex=True) for line in body.split("\n"))
            from .latex_rows import parse_latex_rows     # loaded on the first LaTeX block
            found = parse_latex_rows(body)
        else:
            found = plain_rows(body, b.code)
        for r in found:
            if r.bare and (b.inline or b.text_run and is_prose(r.rhs)):
                continue            # math without `=` beside prose is prose, and so are sentences
            out.append(_placed(r, b, k if not (b.text_run or b.code) else (k, len(out))))
            if len(out) > MAX_ROWS:
                raise ParseError(f"more than {MAX_ROWS} rows", out[-1].line, 1, cell=out[-1].cell)
    return out


def _placed(r, b, k):
    """A block's row moved to where the block starts, with its format, cell, block and target."""
    shift = b.col - 1 if r.line == 1 else 0
    lhs_shift = b.col - 1 if r.lhs_line == 1 else 0
    return replace(r, line=b.line + r.line - 1, col=r.col + shift,
                   lhs_line=b.line + r.lhs_line - 1 if r.lhs_line else 0,
                   lhs_col=r.lhs_col + lhs_shift if r.lhs_line else 0,
                   fmt=b.fmt, cell=b.cell, block=k, code=b.code, target=target(r.lhs, r.line, b.fmt) if r.lhs else None)
