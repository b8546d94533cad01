"""Jupyter: Verdict and Report as HTML, and the `%%barprop` cell magic (`%load_ext check`).
`%%barprop hint SPEC` shows a hint on the cell's work and records the level seen in the cell as
`# hints-seen: PART=LEVEL` (what grading charges); `--self-check` records nothing.

Math goes to the notebook's MathJax as `$…$`; everything a student wrote (and every message
that quotes it) is HTML-escaped and kept away from MathJax (`tex2jax_ignore`/`mathjax_ignore`),
so a submission cannot inject markup or math into the page.
"""
import argparse
import html
import re
import shlex
from dataclasses import dataclass
from typing import Optional

from derive.names import GREEK_NAMES, spelled

from .verdict import SHOWN, show

COLOURS = {"correct": "#1a7f37", "incorrect": "#cf222e", "undecided": "#9a6700"}
NO_MATH = "tex2jax_ignore mathjax_ignore"


def text(s):
    """Student or message text: escaped, and never read as math."""
    return f'<span class="{NO_MATH}">{html.escape(str(s))}</span>'


def name_latex(name):
    """`w_bar` -> `\\bar{w}`, `lambda` -> `\\lambda`, `w0`/`w_0` -> `w_{0}`, `L_reg_bar` ->
    `\\bar{L}_{\\mathrm{reg}}`; None for what is not a plain name (then it is shown as text)."""
    name = spelled(str(name))
    bar = name.endswith("_bar")
    if bar:
        name = name[:-4]
    m = re.fullmatch(r"([A-Za-z]+?)(?:_?(\d+)|_([A-Za-z0-9]+))?", name)
    if not m:
        return None
    base, digits, word = m.groups()
    base = "\\" + base if base in GREEK_NAMES else base if len(base) == 1 else f"\\mathrm{{{base}}}"
    if bar:
        base = f"\\bar{{{base}}}"
    if digits:
        return f"{base}_{{{digits}}}"
    if word:
        return f"{base}_{{\\mathrm{{{word}}}}}" if len(word) > 1 else f"{base}_{{{word}}}"
    return base


def _math(latex):
    return f"${html.escape(latex)}$"


def _target(t):
    latex = name_latex(t)
    return _math(latex) if latex else text(t)


def _badge(verdict):
    return (f'<span style="color:#fff;background:{COLOURS[verdict]};border-radius:3px;'
            f'padding:0 0.4em;font-weight:600">{html.escape(SHOWN[verdict])}</span>')


def _counterexample(c):
    if not c:
        return ""
    at = ", ".join(f"{_target(k)} = {html.escape(show(v, 6))}" for k, v in c["at"].items())
    if "sizes" in c:
        at = ", ".join(f"{html.escape(str(k))} = {html.escape(str(v))}" for k, v in c["sizes"].items()) + "; " + at
    got = "undefined" if c.get("got") is None else html.escape(show(c["got"], 8))
    return (f'<div style="margin-left:1.5em">counterexample: at {at}: expected '
            f'<b>{html.escape(show(c["expected"], 8))}</b>, got <b>{got}</b></div>')


def _diagnosis(d):
    if not d:
        return ""
    out = f'<div style="margin-left:1.5em">{text(d.get("kind", ""))}: {text(d.get("message", ""))}'
    fix = d.get("fix") or {}
    if fix.get("latex"):
        out += f' — fixed: {_math(fix["latex"])}'
    elif fix.get("text"):
        out += f" — fixed: {text(fix['text'])}"
    return out + "</div>"


def _row(v, first_wrong=False):
    where = f"line {v.line}: " if v.line is not None and not str(v.target).startswith("line") else ""
    style = "border-left:4px solid #cf222e;padding-left:0.4em;" if first_wrong else "padding-left:0.6em;"
    return (f'<div style="{style}margin:0.3em 0">{text(where) if where else ""}{_target(v.target)} '
            f'{_badge(v.verdict)}{_as_read(v)}' + _diagnosis(v.diagnosis) + _counterexample(v.counterexample)
            + "</div>")


def _as_read(v):
    """The row as barprop read it (barprop's own LaTeX of the parsed row), when the item has it."""
    read = getattr(v, "as_read", None)
    if isinstance(read, dict) and read.get("latex"):
        return f' <span style="margin-left:0.5em">{_math(read["latex"])}</span>'
    return ""


def verdict_html(v):
    """One checked item: target as math, the verdict in colour, diagnosis, fix, counterexample."""
    return f'<div class="barprop-verdict">{_row(v)}</div>'


def _is_first_wrong(v, first):
    if first is None:
        return False
    return v.target == first or (isinstance(first, int) and v.line == first)


def report_html(r):
    """Every item of a report, the first wrong one marked, then missing/extra and the total."""
    rows = [_row(v, _is_first_wrong(v, r.first_wrong) and v.verdict != "correct") for v in r.items]
    if r.missing:
        rows.append(f"<div>missing: {', '.join(_target(m) for m in r.missing)}</div>")
    if r.extra:
        rows.append(f"<div>extra: {', '.join(_target(m) for m in r.extra)}</div>")
    if r.global_values:
        wrong = [k for k, v in r.global_values.items() if not v["correct"]]
        rows.append("<div>final gradients from your own lines: "
                    + ("all right" if not wrong else "wrong for " + ", ".join(_target(k) for k in wrong))
                    + "</div>")
    rows.append(f'<div style="margin-top:0.4em">verdict: {_badge(r.verdict)} '
                f'({r.score:g}/{len(r.items)})</div>')
    return f'<div class="barprop-report">{"".join(rows)}</div>'


# ---------------------------------------------------------------------------------------------
# %%barprop
# ---------------------------------------------------------------------------------------------

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
