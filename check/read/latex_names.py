r"""LaTeX names and derivative fractions: the TeX scanning every LaTeX reader shares (groups,
braces, spacing), a name's plain spelling (`\bar{\mathcal{L}}_{reg}` is `L_reg_bar`), and
`\frac{\partial a}{\partial b}` read as (a, b). See check/read/latex.py for the readings chosen."""
from dataclasses import dataclass
from typing import Optional
import re
import sympy
from derive.errors import ParseError
from derive.names import GREEK, GREEK_NAMES, MACRON
from derive.parse import MAX_CHARS, MAX_DEPTH
from derive.rules import TABLE

_ZERO = sympy.S.Zero
MAX_BLOCK = 1_000_000
# Operands (names, numbers, calls) in one expression: the scope's `max_terms`, as in the plain
# reader (2,500 for a claim, MAX_TERMS = 800 otherwise), and MAX_TERMS in front of or under a
# derivative operator; long sums and products are built at once (derive.parse.FLAT)
DIGITS = frozenset("0123456789")

GREEK_CMDS = frozenset(GREEK_NAMES | {"varpi", "varsigma", "varkappa", "Upsilon", "ell"})
FONTS = frozenset({"mathcal", "mathrm", "mathbf", "mathit", "mathsf", "mathtt", "mathscr",
                   "mathfrak", "mathnormal", "mathbb", "boldsymbol", "bm", "pmb", "vec"})
DECOR = {"bar": "_bar", "overline": "_bar", "hat": "_hat", "widehat": "_hat",
         "tilde": "_tilde", "widetilde": "_tilde"}
TEXTS = frozenset({"text", "textrm", "textit", "textbf", "textsf", "texttt", "textnormal",
                   "mbox", "hbox"})
DROPPED = TEXTS | {"label", "tag", "hspace", "vspace", "phantom", "hphantom", "vphantom"}
# Function commands (`\tanh`, `\arctan`, `\ln`): the rule table's LaTeX commands that are not Greek letters.
FUNC_CMDS = frozenset(m.group(1) for p in TABLE.values() for tex in (p.latex, *p.latex_also)
                      if (m := re.fullmatch(r"\\([A-Za-z]+)", tex)) and m.group(1) not in GREEK_CMDS)
FRACS = frozenset({"frac", "dfrac", "tfrac", "cfrac"})
MUL_CMDS = frozenset({"cdot", "times", "ast", "circ", "odot"})
ELEMENTWISE = frozenset({r"\circ", r"\odot", "∘", "⊙"})
CMP_CMDS = {"geq": ">=", "ge": ">=", "geqslant": ">=", "leq": "<=", "le": "<=",
            "leqslant": "<=", "gt": ">", "lt": "<"}
CHARS = {"(": "_LPAR", ")": "_RPAR", "[": "_LSQB", "]": "_RSQB", ",": "_COMMA",
         "+": "_PLUS", "-": "MINUS", "−": "MINUS", "–": "MINUS", "*": "MUL", "·": "MUL",
         "×": "MUL", "⋅": "MUL", "∘": "MUL", "⊙": "MUL", "@": "MUL", "/": "DIV", "÷": "DIV",
         "'": "_PRIME", "′": "_PRIME", "’": "_PRIME"}
DELIMS = {"(": "_LPAR", ")": "_RPAR", "[": "_LSQB", "]": "_RSQB", r"\{": "_LCB", r"\}": "_RCB",
          r"\lbrace": "_LCB", r"\rbrace": "_RCB", r"\lbrack": "_LSQB", r"\rbrack": "_RSQB",
          r"\lvert": "ABSL", r"\rvert": "ABSR"}

_WS = re.compile(r"(?:\s|~|\\[,;:! ]|\\(?:q?quad|enspace|thinspace|medspace|thickspace|"
                 r"negthinspace|negmedspace|negthickspace|displaystyle|textstyle|scriptstyle|"
                 r"limits|nolimits|nonumber|notag)(?![A-Za-z]))+")
_SP = re.compile(r"\s+")
_CMD = re.compile(r"\\([A-Za-z]+|[^A-Za-z])")
_RUN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*")
_ALNUM = re.compile(r"[A-Za-z0-9]+")
_NUM = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")
_LABEL = re.compile(r"\^\s*\{\s*\(\s*([0-9]+)\s*\)\s*(T|\\top(?![A-Za-z])|\\intercal(?![A-Za-z]))?\s*\}")
_TRANSPOSE = re.compile(r"\^\s*(?:\{\s*(?:T|\\top|\\intercal|\\math(?:sf|rm)\s*\{\s*T\s*\})\s*\}"
                        r"|T|\\top(?![A-Za-z])|\\intercal(?![A-Za-z]))")
_PRIME = re.compile(r"\^\s*(?:\\prime(?![A-Za-z])|\{\s*(?:\\prime|')\s*\})")
_CALL = re.compile(r"(?:\^\s*(?:\{[^{}]*\}|[0-9])\s*)?(?:\\(?:left|[bB]igg?l?)\s*)?(?:\(|\\\{|\\lbrace(?![A-Za-z]))"
                   r"|['′’]|\^\s*(?:\\prime(?![A-Za-z])|\{\s*(?:\\prime|')\s*\})")
_OPENER = re.compile(r"[(\[{]|\\(?:left|[bB]igg?l?)(?![A-Za-z])|\\\{|\\l(?:brace|brack)(?![A-Za-z])")
_SIZED = re.compile(r"\\(left|right|middle|[bB]igg?[lrm]?)(?![A-Za-z])\s*"
                    r"(\\[{}|]|\\[A-Za-z]+|[()\[\]|.])?")
_IND = re.compile(r"\\(?:(?:mathbb|mathds|mathbbm)\s*(?:\{\s*[1I]\s*\}|[1I])"
                  r"|(?:mathbf|boldsymbol|bm)\s*(?:\{\s*1\s*\}|1))")
_DPREFIX = re.compile(r"\\partial(?![A-Za-z])|∂|\\delta(?![A-Za-z])|\\(?:mathrm|operatorname|text)\s*\{\s*d\s*\}|d")
_FRAC = re.compile(r"\\[dtc]?frac(?![A-Za-z])")
_DECORATED = frozenset("_^ \t\n\r")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NUMSTART = frozenset("0123456789.")
_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_EBRACE = re.compile(r"\{\s*e\s*\}(?=\s*\^)")
_VARGREEK = re.compile(r"(?<![A-Za-z])var(epsilon|theta|phi|rho|sigma|pi|kappa)(?![a-z])")
_LEAD = re.compile(r"(?:\s|\\[,;:! ]|\\(?:text|textbf|textit|textrm|mbox)\s*\{[^{}]*\}\s*:?)*")
_NABLA = re.compile(r"\\nabla(?![A-Za-z])\s*_")
_LPAREN = re.compile(r"(?:\\left\s*)?\(")
_RPAREN = re.compile(r"(?:\\right\s*)?\)")
_PARTIAL = re.compile(r"\\partial(?![A-Za-z])")
_SIZE = re.compile(r"[bB]igg?[lrm]?")
_AXIS = re.compile(r"\s*_\s*(?:\{\s*([01])\s*\}|([01]))")
_FILL = re.compile(r"\s*_\s*\{\s*([A-Za-z])\s*\\times(?![A-Za-z])\s*([A-Za-z])\s*\}")
_NORM_CMDS = {"|": None, "Vert": None, "lVert": "l", "rVert": "r"}
_NORMSUB = re.compile(r"(?:(?:\s|\\[,;:! ])*_\s*(?:\{\s*(?:2|F|\\math(?:rm|sf)\s*\{\s*F\s*\})\s*\}|[2F]))?")
_NORMSQ = re.compile(r"(?:\s|\\[,;:! ])*(?:_\s*(?:\{\s*(?:2|F|\\math(?:rm|sf)\s*\{\s*F\s*\})\s*\}|[2F])\s*)?"
                     r"(?:\^\s*(?:\{\s*2\s*\}|2(?![0-9]))|²)")


def _skip(text, pos):
    """Past whitespace and TeX spacing commands."""
    m = _WS.match(text, pos)
    return m.end() if m else pos


def _skip_sp(text, pos):
    m = _SP.match(text, pos)
    return m.end() if m else pos


def _where(text, pos):
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _fail(text, pos, message):
    return ParseError(message, *_where(text, pos))


def _caps(text):
    """Length, NUL and nesting caps before any reading; positions relative to `text`."""
    if len(text) > MAX_CHARS:
        raise ParseError(f"input longer than {MAX_CHARS} characters", 1, 1)
    if "\x00" in text:
        raise _fail(text, text.index("\x00"), "NUL byte in input")
    if text.count("(") + text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _fail(text, i, f"nesting deeper than {MAX_DEPTH}")
        elif ch in ")]}":
            depth -= 1


def _match_brace(text, pos):
    """Index of the `}` closing the `{` at pos, or None."""
    depth, i, n = 0, pos, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _group(text, pos):
    """A TeX argument at pos: (start, end) of its content and the position after it, or None."""
    p = _skip_sp(text, pos)
    if p >= len(text):
        return None
    if text[p] == "{":
        close = _match_brace(text, p)
        return None if close is None else (p + 1, close, close + 1)
    m = _CMD.match(text, p)
    end = m.end() if m else p + 1
    return p, end, end


@dataclass(frozen=True)
class _Name:
    plain: str
    end: int
    simple: bool               # a bare letter run, Greek letter or font-wrapped word
    transpose: Optional[int]   # position of a `T` in `W^{(2)T}`


_NE = re.compile(r"\s*(?:\\neq?(?![A-Za-z])|≠)\s*")


def _sum_condition(text, pos, close):
    """`k \\ne y_i` under a sum (after its index): (the ≠ match, the label's name), or None."""
    ne = _NE.match(text, pos, close)
    if ne is None:
        return None
    label = _read_name(text, ne.end(), 0)
    return (ne, label) if label is not None and _skip(text, label.end) == close else None


def _read_base(text, pos, single, depth):
    """The core of a name: a letter run (one letter if `single`), Greek, or font-wrapped."""
    if pos >= len(text):
        return None
    ch = text[pos]
    if ch == "\\":
        m = _CMD.match(text, pos)
        cmd = m.group(1) if m else ""
        if cmd in GREEK_CMDS:
            return cmd, m.end(), True
        if cmd not in FONTS and cmd not in TEXTS:
            return None
        p = _skip_sp(text, m.end())
        if not text.startswith("{", p):
            base = _read_base(text, p, True, depth + 1)
            if base is None:
                raise _fail(text, p, f"\\{cmd} needs a name")
            return base
        inner = _read_name(text, _skip_sp(text, p + 1), depth + 1)
        q = _skip_sp(text, inner.end) if inner else p + 1
        if inner is None or not text.startswith("}", q):
            raise _fail(text, p, f"\\{cmd}{{...}} must hold one name")
        return inner.plain, q + 1, inner.simple
    if ch in GREEK:
        return GREEK[ch], pos + 1, True
    if ch.isascii() and ch.isalpha():
        if text.startswith(MACRON, pos + 1):
            return ch + "_bar", pos + 2, False
        if single:
            return ch, pos + 1, True
        m = _RUN.match(text, pos)
        return m.group(), m.end(), True
    return None


def _subtext(text, start, end):
    """The plain spelling of a subscript's content: `\\text{reg}` -> `reg`, `k, i` -> `k_i`."""
    out, p, apart = [], start, False
    while True:
        q = _skip(text, p)
        apart, p = apart or q > p, q
        if p >= end:
            break
        ch, piece = text[p], None
        m = _ALNUM.match(text, p, end)
        if m:
            piece, p = m.group(), m.end()
        elif ch == ",":
            apart, p = True, p + 1
        elif ch == "{":
            close = _match_brace(text, p)
            if close is None or close >= end:
                raise _fail(text, p, "unclosed '{' in a subscript")
            piece, p = _subtext(text, p + 1, close), close + 1
        elif text.startswith(r"\_", p) or ch == "_":      # S_{i y_i}: the true class's score
            piece, p = "_", p + (1 if ch == "_" else 2)
        elif ch == "\\":
            m = _CMD.match(text, p)
            cmd = m.group(1)
            if cmd in GREEK_CMDS:
                piece, p = cmd, m.end()
            elif cmd in TEXTS or cmd in FONTS or cmd == "operatorname":
                g = _group(text, m.end())
                if g is None or g[2] > end:
                    raise _fail(text, p, f"\\{cmd} needs {{...}}")
                piece, p = _subtext(text, g[0], g[1]), g[2]
            else:
                raise _fail(text, p, f"cannot read '\\{cmd}' in a subscript")
        else:
            raise _fail(text, p, f"cannot read '{ch}' in a subscript")
        if piece:
            out.append("_" + piece if out and apart else piece)
            apart = False
    return "".join(out)


def _subscript(text, pos):
    """The subscript after a `_` at pos - 1: its spelling and the position after it."""
    p = _skip_sp(text, pos)
    if text.startswith("{", p):
        close = _match_brace(text, p)
        if close is None:
            raise _fail(text, p, "unclosed '{'")
        sub = _subtext(text, p + 1, close)
        if not sub:
            raise _fail(text, p, "empty subscript")
        return sub, close + 1
    m = _CMD.match(text, p)
    if m:
        g = _group(text, m.end()) if m.group(1) in TEXTS or m.group(1) in FONTS else None
        end = g[2] if g else m.end()
        return _subtext(text, p, end), end
    m = _ALNUM.match(text, p)
    if m is None:
        raise _fail(text, p, "a subscript needs a letter, a digit or {...}")
    return m.group(), m.end()


def _decorations(text, base, end):
    """Subscript and `^{(2)}` layer label after a name's core."""
    if text[end:end + 1] not in _DECORATED:     # the common case: nothing follows the name
        return base, end, None
    sub = label = tpos = None
    while True:
        p = _skip_sp(text, end)
        if sub is None and text.startswith("_", p):
            sub, end = _subscript(text, p + 1)
            continue
        m = _LABEL.match(text, p) if label is None else None
        if m is None:
            break
        label, end = m.group(1), m.end()
        tpos = m.start(2) if m.group(2) else None
    head, sep, rest = base.partition("_")
    return head + (label or "") + sep + rest + ("_" + sub if sub else ""), end, tpos


def _read_name(text, pos, depth=0):
    """The name starting at pos, or None when none starts there."""
    if depth > MAX_DEPTH:
        raise _fail(text, pos, f"nesting deeper than {MAX_DEPTH}")
    m = _CMD.match(text, pos) if text.startswith("\\", pos) else None
    if m and m.group(1) in DECOR:
        p = _skip_sp(text, m.end())
        if text.startswith("{", p):
            inner = _read_name(text, _skip_sp(text, p + 1), depth + 1)
            q = _skip_sp(text, inner.end) if inner else p + 1
            if inner is None or not text.startswith("}", q):
                raise _fail(text, p, f"\\{m.group(1)}{{...}} must hold one name")
            base, end, tpos = inner.plain, q + 1, inner.transpose
        else:
            core = _read_base(text, p, True, depth + 1)
            if core is None:
                raise _fail(text, p, f"\\{m.group(1)} needs a name")
            base, end, tpos = core[0], core[1], None
        plain, end, later = _decorations(text, base, end)
        return _Name(plain + DECOR[m.group(1)], end, False, later if later is not None else tpos)
    core = _read_base(text, pos, False, depth)
    if core is None:
        return None
    plain, end, tpos = _decorations(text, core[0], core[1])
    return _Name(plain, end, core[2] and end == core[1], tpos)


@dataclass(frozen=True)
class _Deriv:
    var: _Name
    var_pos: int
    of: Optional[_Name]        # None for the operator d/dw
    of_pos: int
    end: int


def _dside(text, start, end):
    """`d` or `\\partial`, then an optional name, filling start..end: (name or None, its pos)."""
    m = _DPREFIX.match(text, _skip(text, start), end)
    if m is None:
        return None
    p = _skip(text, m.end())
    if p >= end:
        return None, p
    try:
        name = _read_name(text, p)
    except ParseError:
        return None
    if name is None or name.transpose is not None or _skip(text, name.end) != end:
        return None
    return name, p


def _derivative_frac(text, pos):
    """`{d a}{d b}` or `{d}{d b}` after a `\\frac` ending at pos, or None."""
    num = _group(text, pos)
    den = _group(text, num[2]) if num else None
    if den is None:
        return None
    top, bottom = _dside(text, num[0], num[1]), _dside(text, den[0], den[1])
    if top is None or bottom is None or bottom[0] is None:
        return None
    return _Deriv(bottom[0], bottom[1], top[0], top[1], den[2])



def _lead(text):
    """Past leading spacing and `\\text{...}` annotations (`\\text{Chain rule: } \\frac{..}{..}`)."""
    return _LEAD.match(text).end()


def _arguments_end(text, pos):
    """`f(x, y, z)` on a left-hand side: the end of the argument list of names at pos, or None."""
    p = _skip(text, pos)
    m = _LPAREN.match(text, p)
    if m is None:
        return None
    p = m.end()
    while True:
        name = _read_name(text, _skip(text, p))
        if name is None:
            return None
        p = _skip(text, name.end)
        if text.startswith((",", ";"), p):
            p += 1
            continue
        m = _RPAREN.match(text, p)
        return m.end() if m else None


def latex_name(text):
    r"""The plain spelling of a LaTeX name: `\bar{\mathcal{L}}_{reg}` -> `L_reg_bar`; a left-hand side
    `f(x, y, z)` names `f`."""
    _caps(text)
    for p in dict.fromkeys((_skip(text, 0), _lead(text))):
        try:
            name = _read_name(text, p)
        except ParseError:
            name = None
        end = name and _skip(text, name.end)
        if name is not None and end != len(text):
            end = _skip(text, _arguments_end(text, name.end) or end)
        if name is not None and name.transpose is None and end == len(text):
            return _VARGREEK.sub(r"\1", name.plain)
    raise _fail(text, _skip(text, 0), f"not a name: '{text.strip()}'")


def latex_derivative(text):
    r"""`\frac{\partial a}{\partial b}`, `\partial a / \partial b`, `da/db` -> (a, b); else None."""
    if len(text) > 2_000:
        return None
    try:
        p = _lead(text)
        m = _NABLA.match(text, p)
        if m:           # \nabla_W f, \nabla_{W^{(1)}} L
            q = _skip_sp(text, m.end())
            inner = _read_name(text, _skip(text, q + 1)) if text.startswith("{", q) else None
            if inner is not None and text.startswith("}", _skip(text, inner.end)):
                var, end = inner.plain, _skip(text, inner.end) + 1
            else:
                var, end = _subscript(text, m.end())
            of = _read_name(text, _skip(text, end))
            return (of.plain, var) if of and _skip(text, of.end) == len(text) else None
        m = _FRAC.match(text, p)
        if m:
            d = _derivative_frac(text, m.end())
            if d is None:
                return None
            of, end = d.of, d.end
            if of is None:
                of = _read_name(text, _skip(text, end))
                end = of.end if of else end
            return (of.plain, d.var.plain) if of and _skip(text, end) == len(text) else None
        slash = text.find("/")
        if slash < 0:
            return None
        top, bottom = _dside(text, p, slash), _dside(text, slash + 1, len(text))
        if top is None or bottom is None or None in (top[0], bottom[0]):
            return None
        return top[0].plain, bottom[0].plain
    except ParseError:
        return None
