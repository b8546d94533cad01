"""Jupyter: the `%%barprop` cell magic (`%load_ext check`). Verdicts and reports show
themselves as HTML (verdict.py, whose escaping the hint's HTML uses too).
`%%barprop hint SPEC` shows a hint on the cell's work and records the level seen in the cell as
`# hints-seen: PART=LEVEL` (what grading charges); `--self-check` records nothing.
"""
import argparse
import shlex
from dataclasses import dataclass
from typing import Optional

from .verdict import NO_MATH, _math, name_latex, report_html, text, verdict_html

__all__ = ["NO_MATH", "name_latex", "report_html", "verdict_html", "load_ipython_extension", "run_magic"]


class MagicError(ValueError):
    """A bad `%%barprop` line: shown as one message, never a traceback."""


class _Args(argparse.ArgumentParser):
    def error(self, message):
        raise MagicError(f"%%barprop: {message}\n{self.format_usage().strip()}")

    def exit(self, status=0, message=None):
        raise MagicError(message or self.format_usage().strip())


def magic_parser():
    p = _Args(prog="%%barprop", add_help=False,
              usage="%%barprop check SPEC --wrt w | adjoints SPEC | steps [SPEC] | hint SPEC [--level N] [--part ID] "
                    "[--self-check]  [--seed N] [--latex|--plain]")
    p.add_argument("what", choices=["check", "adjoints", "steps", "hint"])
    p.add_argument("spec", nargs="?")
    p.add_argument("--wrt")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--latex", action="store_true")
    p.add_argument("--plain", action="store_true")
    p.add_argument("--level", type=int, choices=[1, 2, 3, 4])
    p.add_argument("--part")
    p.add_argument("--self-check", action="store_true")
    return p


@dataclass(frozen=True)
class Hint:
    """A hint shown under its cell. `cell` is the cell's new text with its `# hints-seen` line
    (None in self-check mode: nothing is recorded)."""
    part: str
    target: Optional[str]
    level: int
    text: str
    latex: Optional[str]
    cell: Optional[str] = None

    def to_dict(self):
        return {"part": self.part, "target": self.target, "level": self.level, "text": self.text, "latex": self.latex}

    def __str__(self):
        return f"hint {self.level}/4: {self.text}"

    def _repr_html_(self):
        from .i18n import _
        math = f" {_math(self.latex)}" if self.latex else ""
        note = (text(_("recorded in this cell: {line}").format(line=self.cell.split("\n", 2)[1])) if self.cell
                else text(_("self-check: not recorded")))
        return (f'<div class="barprop-hint"><b>{text(_("hint {level}/4").format(level=self.level))}</b>: '
                f'{text(self.text)}{math}<div style="color:#57606a">{note}</div></div>')


def _hint(a, line, cell, spec, fmt):
    """The Hint of `%%barprop hint`: at --level, else one level past what the cell has recorded."""
    from .hints import hint, recorded
    from .read.documents import hints_seen
    seen, work = hints_seen(cell)
    h = hint(spec, work, level=a.level or 1, fmt=fmt, part=a.part)
    if a.level is None and seen.get(h["part"], 0) >= 1:
        h = hint(spec, work, level=min(4, seen[h["part"]] + 1), fmt=fmt, part=a.part)
    new = None if a.self_check else f"%%barprop {line}\n" + recorded(cell, h["part"], h["level"])
    return Hint(h["part"], h["target"], h["level"], h["text"], h["latex"], new)


def _spec(arg, user_ns):
    """SPEC: a variable of the notebook holding spec text or a Graph, a .bp path, or spec text."""
    from derive import Graph
    from .cli import load_spec
    value = user_ns.get(arg) if arg.isidentifier() else None
    if isinstance(value, Graph):
        return value
    return load_spec(value if isinstance(value, str) else arg)


def run_magic(line, cell, user_ns=None):
    """The Verdict or Report for `%%barprop LINE` over the cell's text."""
    from . import check_adjoints, check_claim, check_steps
    try:
        a = magic_parser().parse_args(shlex.split(line))
    except ValueError as e:
        raise MagicError(f"%%barprop: {e}") from None
    fmt = "latex" if a.latex else "plain" if a.plain else None
    ns = user_ns or {}
    if a.what == "check":
        if not a.spec or not a.wrt:
            raise MagicError("%%barprop check needs a SPEC and --wrt: %%barprop check reglog.bp --wrt w")
        return check_claim(_spec(a.spec, ns), a.wrt, cell, seed=a.seed, fmt=fmt)
    if a.what == "hint":
        if not a.spec:
            raise MagicError("%%barprop hint needs a SPEC: %%barprop hint reglog.bp")
        return _hint(a, line.strip(), cell, _spec(a.spec, ns), fmt)
    if a.what == "adjoints":
        if not a.spec:
            raise MagicError("%%barprop adjoints needs a SPEC: %%barprop adjoints reglog.bp")
        return check_adjoints(_spec(a.spec, ns), cell, seed=a.seed, fmt=fmt, file="<cell>")
    return check_steps(cell, _spec(a.spec, ns) if a.spec else None, seed=a.seed, fmt=fmt, file="<cell>")


def load_ipython_extension(ip):
    """`%load_ext check`: registers the `%%barprop` cell magic."""
    import sys
    from derive.errors import ParseError

    def barprop(line, cell):
        try:
            out = run_magic(line, cell, ip.user_ns)
            if isinstance(out, Hint) and out.cell is not None:
                ip.set_next_input(out.cell, replace=True)
            return out
        except MagicError as e:
            print(str(e), file=sys.stderr)
        except ParseError as e:
            print(str(e), file=sys.stderr)
        return None
    barprop.__doc__ = ("Check the cell: %%barprop check SPEC --wrt w (a claim), %%barprop adjoints SPEC "
                       "(adjoint equations), %%barprop steps [SPEC] (a derivation); %%barprop hint SPEC "
                       "(a hint on the cell's work, recorded in the cell; --self-check: not recorded).")
    ip.register_magic_function(barprop, magic_kind="cell", magic_name="barprop")
