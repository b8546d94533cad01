"""One row of student text and what its left-hand side names: the one Row and Target types of
every reader (plain, LaTeX, Markdown, notebooks), for `check` and `grade` alike."""
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Target:
    """What a left-hand side names: an adjoint, a derivative d num / d den, or a forward name."""
    kind: str                # "adjoint" | "derivative" | "name" | "expression"
    name: str                # the variable (adjoint / name) or the denominator (derivative)
    num: Optional[str] = None


@dataclass(frozen=True)
class Row:
    """One equation: `lhs = rhs`, `= rhs` (lhs None) continuing the one above, or a bare
    expression without any `=` (lhs "", bare True). line/col locate the start of `rhs` (line
    counted in its notebook cell when `cell` is set); lhs_line/lhs_col the start of `lhs`.
    `fmt` is the format of the block the row came from, `block` that block's number (rows of one
    block move together when a submission is split into parts), `target` the classified
    left-hand side."""
    line: int
    col: int
    lhs: Optional[str]
    rhs: str
    lhs_line: int = 0
    lhs_col: int = 0
    bare: bool = False
    fmt: Optional[str] = None
    cell: Optional[int] = None
    block: object = 0
    target: Optional[Target] = None
    code: bool = False       # from program code (a code cell, a python block): other variables may be there


class Refused(str):
    """A right-hand side the reader refuses where it is read (numpy's in-place change to an answer
    that it cannot read, `dscores[range(N), y] -= 1`): `message` at the column `col` of the line
    `lines` below the row's."""

    def __new__(cls, text, message, lines, col):
        self = super().__new__(cls, text)
        self.message, self.lines, self.col = message, lines, col
        return self
