"""numpy's in-place changes in program code (a `.py` file, a code cell, a python block), read into
the row that assigned the name above them, so that the answer is the value the code ends with:

- `dx[x <= 0] = 0` (CS231n's ReLU backward: a mask on a copy of the upstream gradient) makes
  `dx = …` read as `dx = (…)·[x > 0]`;
- `dW += reg * W`, `dW -= …`, `dx *= …`, `dx /= …` add to (subtract from, multiply, divide) it.

The extra lines join the row's right-hand side as later lines of one expression, each piece at its
own line and column (`derive.parse` keeps the columns of later lines), so an error in them points
into the student's text. Any other in-place change (`dscores[range(N), y] -= 1`, `dx[mask] = 0`,
`dW **= 2`), one indented otherwise than the assignment (in a loop or an `if` it may run any number
of times), and one with no assignment of the name above it in the same code, refuses that name's
answer at the change's line:col: the earlier value is never judged as if it were the answer. A name
that is not an adjoint is the program's business, and its rows are skipped as before."""
import re
from dataclasses import dataclass, field, replace

from .row import Refused, Row

_NAME = re.compile(r"[ \t]*([A-Za-z_]\w*)[ \t]*")
_OPS = r"\*\*|//|>>|<<|[-+*/@%&|^]"
_AUGMENTED = re.compile(r"(" + _OPS + r")=(?!=)")
_SETS = re.compile(r"[ \t]*(?:" + _OPS + r")?=(?!=)")           # after `name[…]`: an assignment
_READ = {"+": False, "-": False, "*": True, "/": True}      # the changes read, and whether they multiply
_ZERO = re.compile(r"[ \t]*=[ \t]*0(?:\.0*)?[ \t]*$")
_CMP = re.compile(r"<=|>=|<|>|≥|≤")
_NEGATED = {"<=": "> ", ">=": "< ", "<": "≥", ">": "≤", "≥": "<", "≤": ">"}
MAX_SHOWN = 40


@dataclass
class Assigned:
    """A name's assignment in this code: the index of its row and the in-place steps read into it
    [(line, text, multiplies)]."""
    index: int
    row: Row
    steps: list = field(default_factory=list)


def step(no, body, out, assigned):
    """Read line `no` (`body`, comments gone) when it changes a name in place: the row of the
    name's assignment in `out` gets it (or a refusal), and True is returned; False for any other
    line. `assigned` maps names to their `Assigned`, kept by `remember`."""
    m = _NAME.match(body)
    if m is None:
        return False
    name, rest = m.group(1), m.end()
    if body.startswith("[", rest):
        close = closing(body, rest)
        if close is None or not _SETS.match(body, close + 1):
            return False
        piece = _mask(body, rest, close) if _ZERO.match(body, close + 1) else None
        _apply(no, body, m.start(1), name, piece, True, out, assigned)
        return True
    a = _AUGMENTED.match(body, rest)
    if a is None:
        return False
    op, piece = a.group(1), None
    if op in _READ and body[a.end():].strip():
        piece = " " * a.start() + op + "(" + body[a.end():].rstrip() + ")"
    _apply(no, body, m.start(1), name, piece, _READ.get(op, False), out, assigned)
    return True


def remember(out, start, assigned):
    """The rows out[start:] of one line: a plain `name = …` is the assignment later in-place
    changes go into; any other assignment of a name (tuple unpacking) forgets it."""
    for i in range(start, len(out)):
        r = out[i]
        if not r.lhs:
            continue
        names = [n.strip() for n in r.lhs.split(",")]
        for n in names:
            assigned.pop(n, None)
        if len(names) == 1 and re.fullmatch(r"[A-Za-z_]\w*", names[0]):
            assigned[names[0]] = Assigned(i, r)


def _apply(no, body, col0, name, piece, multiplies, out, assigned):
    shown = body.strip()
    shown = shown if len(shown) <= MAX_SHOWN else shown[:MAX_SHOWN - 1] + "…"
    a = assigned.get(name)
    if a is None:
        why = f"'{shown}' changes {name} in place, but no '{name} = …' is above it in this code; write {name} = … whole"
        out.append(Row(no, col0 + 1, name, Refused("", why, 0, col0 + 1), no, col0 + 1))
        assigned[name] = Assigned(len(out) - 1, out[-1])
        return
    if isinstance(out[a.index].rhs, Refused):
        return
    if col0 != a.row.lhs_col - 1:
        why = (f"'{shown}' changes {name} in place at another indentation than '{name} = …' (in a loop or an if, "
               f"it may run any number of times); write {name} = … as one expression")
        out[a.index] = replace(out[a.index], rhs=Refused(a.row.rhs, why, no - a.row.line, col0 + 1))
        return
    chained = a.index + 1 < len(out) and out[a.index + 1].lhs is None
    if piece is None or chained:
        why = (f"'{shown}' changes {name} in place in a way barprop does not read; write {name} = … as one "
               "expression")
        out[a.index] = replace(out[a.index], rhs=Refused(a.row.rhs, why, no - a.row.line, col0 + 1))
        return
    a.steps.append((no, piece, multiplies))
    composed = _composed(a.row, a.steps)
    if composed is None:
        why = f"'{shown}': too many in-place changes to {name} to read; write {name} = … as one expression"
        out[a.index] = replace(out[a.index], rhs=Refused(a.row.rhs, why, no - a.row.line, col0 + 1))
        return
    out[a.index] = composed


def _composed(row, steps):
    """`row` with its in-place steps as later lines of its right-hand side; the value so far is
    bracketed before each step that multiplies (its brackets open left of the value, on the columns
    of `name =`). None when there are not enough columns for them."""
    text = row.rhs.lstrip()
    start = row.col + len(row.rhs) - len(text)
    wraps = sum(1 for *_, multiplies in steps if multiplies)
    if wraps >= start:
        return None
    pieces, last = ["(" * wraps + text.rstrip()], row.line
    for line, piece, multiplies in steps:
        if multiplies:
            pieces[-1] += ")"
        pieces.append("\n" * (line - last) + piece)
        last = line
    return replace(row, col=start - wraps, rhs="".join(pieces))


def _mask(body, open_, close):
    """`dx[x <= 0] = 0` as the piece ` *[x >  0]` at the same columns: times the bracket of the
    condition's complement; None unless the condition is one comparison."""
    cond = body[open_ + 1:close]
    found = [m for m in _CMP.finditer(cond)]
    if len(found) != 1 or "," in cond or "=" in cond.replace("<=", "").replace(">=", ""):
        return None
    c = found[0]
    if not cond[:c.start()].strip() or not cond[c.end():].strip():
        return None
    cond = cond[:c.start()] + _NEGATED[c.group()] + cond[c.end():]
    return " " * (open_ - 1) + "*[" + cond + "]"


def closing(text, i):
    """The index of the bracket that closes the one at `i` (any of ([{), or None."""
    depth = 0
    for j in range(i, len(text)):
        depth += text[j] in "([{"
        depth -= text[j] in ")]}"
        if depth == 0:
            return j
    return None
