"""What a left-hand side names (an adjoint, a derivative d num/d den, a forward name, or an
expression), decided once per row by `target`, and the key under which two spellings of a name
are the same (`name_key`)."""
import re

from derive.errors import ParseError
from derive.names import MACRON, canonical, spelled

from .row import Target

CALL_LHS = re.compile(r"^([A-Za-z_\u0370-\u03ff]\w*)\s*\([^()]*\)$")   # f(x, y, z) = ... names f
BAR_INDEXED = re.compile(r"(.+?)_?bar_([a-z]+)")     # h_bar_i, W1_bar_ij: the adjoint's entries
PLAIN_DERIV = re.compile(r"\s*(?:d|∂)\s*([^\s/]+)\s*/\s*(?:d|∂)\s*(\S+)\s*$")
NUMPY_ADJOINT = re.compile(r"(?:grad_|d_?)(.+)")       # grad_h, grad_y_pred, dW1, d_h: numpy's adjoints
_NAME = re.compile(r"[A-Za-z_\u0370-\u03ff][\w\u0304{}']*")


def is_latex(text):
    return "\\" in text or "$" in text


def target(lhs, line=None, fmt=None):
    """Classify a left-hand side (plain or LaTeX; `fmt` says which, else it is detected)."""
    if (fmt == "latex") if fmt else is_latex(lhs):
        from .latex import latex_derivative, latex_name     # loaded on the first LaTeX row
        d = latex_derivative(lhs)
        if d:
            return Target("derivative", d[1], d[0])
        try:
            name = latex_name(lhs)
        except ParseError:
            return Target("expression", lhs.strip())
    else:
        m = PLAIN_DERIV.match(lhs)
        if m:
            return Target("derivative", spelled(m.group(2)), spelled(m.group(1)))
        name = spelled(CALL_LHS.sub(r"\1", lhs.strip()))
        if not _NAME.fullmatch(name):
            return Target("expression", lhs.strip())
    if MACRON in name:
        return Target("adjoint", name.replace(MACRON, ""))
    for suffix in ("_bar", "bar"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return Target("adjoint", name[: -len(suffix)])
    m = BAR_INDEXED.fullmatch(name)
    if m:
        return Target("adjoint", f"{m.group(1)}_{m.group(2)}")
    return Target("name", name)


def numpy_adjoint(name, known):
    """The variable whose adjoint a numpy-style name is (`grad_h`, `dW1`, `dout`), when `known`
    (a name -> graph name lookup) finds it and does not know `name` itself; else None."""
    if known(name):
        return None
    m = NUMPY_ADJOINT.fullmatch(name)
    if m and known(m.group(1)):
        return known(m.group(1))
    return None


def name_key(text):
    """`w_{0}`, `\\lambda`, `λ`, `\\mathcal{L}_{\\text{reg}}` -> a comparable key."""
    t = re.sub(r"\\(?:mathcal|mathrm|mathbf|boldsymbol|text|operatorname)\s*", "", text)
    t = t.replace("\\", "").replace(" ", "")
    return canonical(spelled(t))
