"""Jupyter: the `%%barprop` cell magic (`%load_ext check`). Verdicts and reports show
themselves as HTML (verdict.py)."""
import argparse
import shlex

from .verdict import NO_MATH, name_latex, report_html, verdict_html

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
              usage="%%barprop check SPEC --wrt w | adjoints SPEC | steps [SPEC]  [--seed N] [--latex|--plain]")
    p.add_argument("what", choices=["check", "adjoints", "steps"])
    p.add_argument("spec", nargs="?")
    p.add_argument("--wrt")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--latex", action="store_true")
    p.add_argument("--plain", action="store_true")
    return p


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
            return run_magic(line, cell, ip.user_ns)
        except MagicError as e:
            print(str(e), file=sys.stderr)
        except ParseError as e:
            print(str(e), file=sys.stderr)
        return None
    barprop.__doc__ = ("Check the cell: %%barprop check SPEC --wrt w (a claim), %%barprop adjoints SPEC "
                       "(adjoint equations), %%barprop steps [SPEC] (a derivation).")
    ip.register_magic_function(barprop, magic_kind="cell", magic_name="barprop")
