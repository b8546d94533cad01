r"""LaTeX student input: blocks split into rows, left-hand-side names, and expressions into SymPy.

A hand-written lexer turns LaTeX into grammar tokens: names arrive already spelled plainly
(`\bar{\mathcal{L}}_{reg}` is one NAME token `L_reg_bar`), `\frac{d}{dw}` and
`\frac{\partial a}{\partial b}` arrive as operator tokens, and one-character TeX arguments
(`x^2`, `\frac12`) arrive wrapped in braces. A Lark LALR grammar over those tokens builds SymPy
objects through the `Scope` protocol of `derive.parse`. Nothing read here reaches eval, exec,
sympify, parse_expr or SymPy's LaTeX parser.

Readings chosen where TeX is silent:
- a run of letters (`xy`, `wx`, `L_reg`) is one name when the scope knows it, else the one way to
  cut it along TeX's atoms into known names (`Wx` is W x, `w_0x_0` is w_0 x_0: a bare `_` takes one
  character); otherwise it goes to the scope whole, which splits it, or reports it unknown or
  ambiguous (`scope.known(name)`, else `scope.lookup(name)`, says what is known);
- a derivative operator or `\sum_k` takes the rest of the product (`\frac{d}{dw} \lambda w^2`),
  or only the bracket that follows it (`\frac{d}{dw}(wx + b) x` is `x` times the derivative);
  the grammar has deliberate shift/reduce conflicts there, resolved by shift; `\partial`, `d`,
  `\mathrm{d}`, `\delta` and `∂` all spell the d of a derivative;
- a function command takes a bracketed argument list, or else one factor: `\log x^2` is log(x²);
- `w_{ij}^{(1)}` is `w1_ij`: a parenthesised numeric superscript is a layer label;
- `e^{...}` (and `{e}^{...}`) is the exponential unless the scope knows a variable `e`;
- juxtaposition, `*`, `\cdot`, `\times` multiply, or call `scope.product(a, b, tok)` when the
  scope has it (tok is None for juxtaposition); `\circ`, `\odot` always multiply elementwise, and
  so does a spread constant (`\operatorname{ones}(N, H)\, r`, `\mathbf{1}_{N \times H} r`);
- `\lVert x \rVert^2`, `\|x\|_2^2`, `||x||^2` are norm2(x) (a scalar's square in a scalar scope),
  a bare `\|x\|` its square root; `\operatorname{sum}_{0}(A)` is sum(A, axis=0); `\sum` without
  an index sums every entry (matrix scopes only);
- `\varepsilon`, `\vartheta`, ... are the letters epsilon, theta, ... unless the scope knows
  `varepsilon`; `\text{loss}` naming a known variable is that variable, else an annotation.

Refused as ambiguous (an error naming the text and its column), because TeX shows them one way
and a reader may take them two: a one-character TeX argument running on (`x^23`, `\frac123`,
`e^-2z`, `e^2x`, `e^-z w`), two numbers side by side (`2 3`), a bracketless function argument
followed by another factor (`\log y t`, `\log xy` when xy is a product), `a / b c`, and
`\sigma^{-1}(z)` (inverse or reciprocal?).
"""
import re
import threading
from bisect import bisect_right
from dataclasses import dataclass
from typing import Optional

import sympy
from lark import Token
from lark.exceptions import UnexpectedInput, VisitError
from lark.lexer import Lexer

from derive.errors import ParseError
from derive.lalr_cache import lalr
from derive.functions import IndGe, IndGt
from derive.labels import OneHot
from derive.matrix import Elem, Fill
from derive.names import GREEK, GREEK_NAMES, MACRON
from derive.parse import MAX_CHARS, MAX_DEPTH, MAX_TERMS, MAX_TOKENS, Keyword, Scope, error, is_iverson, iverson, power
from derive.parse import Build as PlainBuild
from derive.rules import SPELLINGS, TABLE

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
    """`k \ne y_i` under a sum (after its index): (the ≠ match, the label's name), or None."""
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


_OPEN = frozenset({"_LPAR", "_LSQB", "_LCB", "_LBRACE", "ABSL", "NORML"})
_CLOSE = frozenset({"_RPAR", "_RSQB", "_RCB", "_RBRACE", "ABSR", "NORMSQ", "NORMR"})
_OPERANDS = frozenset({"NUMBER", "NAME", "ARGNAME", "EULER", "FUNC", "SQRT", "LOCAL", "DERIV", "DERIVG",
                       "SUM", "SUMALL", "IND"})
_FACTOR = _OPEN | {"NUMBER", "NAME", "ARGNAME", "EULER", "FUNC", "SQRT", "FRAC", "LOCAL", "DERIV", "SUMALL",
                   "DERIVG", "SUM", "IND"}


def _closing(out, i):
    """Index after the bracket that closes the one opened at out[i], or None."""
    depth = 0
    for j in range(i, len(out)):
        t = out[j].type
        if t in _OPEN:
            depth += 1
        elif t in _CLOSE:
            depth -= 1
            if depth == 0:
                return j + 1
    return None


def _unit(out, i):
    """Index after the factor that starts at out[i] (with its ^{...} and transposes), or None."""
    n = len(out)
    if i >= n:
        return None
    t = out[i].type
    if t in ("NUMBER", "NAME", "ARGNAME", "EULER"):
        j = i + 1
    elif t in _OPEN:
        j = _closing(out, i)
    elif t == "FRAC":
        j = _closing(out, i + 1)
        j = j and _closing(out, j)
    elif t == "SQRT":
        j = _closing(out, i + 1)
    elif t == "LOCAL":
        j = i + 2
    elif t == "IND":
        j = _unit(out, i + 1)
    elif t == "FUNC":
        j = i + 1
        if j < n and out[j].type in ("_PRIME", "AXIS"):
            j += 1
        if j < n and out[j].type == "CARET":
            j = _closing(out, j + 1)
        if j is not None and j < n and out[j].type in _OPEN:
            j = _closing(out, j)
        else:
            j = _unit(out, j) if j is not None else None
    else:
        return None
    while j is not None and j < n and out[j].type in ("TRANSPOSE", "CARET"):
        j = j + 1 if out[j].type == "TRANSPOSE" else _closing(out, j + 1)
    return j


def _ambiguities(out, text, fail):
    """Refuse what TeX renders one way and a reader may take two ways:
    `\\log x y` (log(x)·y or log(xy)?) and `a / b c` ((a/b)·c or a/(bc)?). A function's bare
    one-name argument becomes ARGNAME, so the grammar can ask the scope whether it splits."""
    n = len(out)
    for i, tok in enumerate(out):
        t = tok.type
        if t == "FUNC":
            k = i + 1
            if k >= n or out[k].type in ("_LPAR", "_LCB", "_PRIME", "CARET", "AXIS"):
                continue
            j = _unit(out, k)
            if j is None:
                continue
            if out[k].type == "NAME" and (j == k + 1 or out[k + 1].type == "CARET"):
                out[k] = out[k].update("ARGNAME")
            if j < n and out[j].type in _FACTOR:
                if out[k].type == "_LBRACE" and out[k + 1].type in _OPEN and _closing(out, k + 1) == j - 1:
                    continue            # \log{\left(y\right)} t: the brackets say it
                shown = text[tok.start_pos:out[j].end_pos]
                raise fail(f"ambiguous '{shown}': how far does {tok} reach? write brackets: "
                           f"{tok}(...) around its argument", tok.start_pos)
        elif t == "DIV":
            k = i + 1
            while k < n and out[k].type in ("MINUS", "_PLUS"):
                k += 1
            j = _unit(out, k)
            if j is not None and j < n and out[j].type in _FACTOR:
                shown = text[out[i - 1].start_pos if i else tok.start_pos:out[j].end_pos]
                raise fail(f"ambiguous '{shown}': is what follows '/' in the denominator or not? "
                           r"write \frac{...}{...} or brackets", tok.start_pos)
        elif t == "CARET" and i + 5 < n and out[i + 1].start_pos == out[i + 1].end_pos \
                and out[i + 2].type in ("MINUS", "_PLUS") and out[i + 5].type in _FACTOR:
            # e^-z w: TeX raises only the sign; is w in the exponent or not?
            shown = text[tok.start_pos:out[i + 5].end_pos]
            raise fail(f"ambiguous '{shown}': what is in the exponent? write ^{{...}} with braces",
                       tok.start_pos)


_ATOM = re.compile(r"[A-Za-z0-9](?:_[A-Za-z0-9])?")
MAX_RUN = 12


def _split_run(run, known):
    """A letter run the scope does not know, as the one way to cut it into known names along
    TeX's atoms (a letter or digit, with a one-character subscript): `Wx` -> W x, `w_0x_0` ->
    w_0 x_0, `xW_1` -> x W_1. None when there is no such cut or more than one (the scope then
    reports the unknown or ambiguous name), and for adjoint spellings (`zbar`) the scope reads."""
    if len(run) > MAX_RUN or run.endswith("bar") or len(run) < 2:
        return None
    atoms = _ATOM.findall(run)
    if "".join(atoms) != run or len(atoms) < 2:
        return None
    n = len(atoms)
    ways = [None] * n + [[[]]]           # ways[i]: cuts of atoms[i:], at most two kept
    for i in range(n - 1, -1, -1):
        found = []
        for j in range(i + 1, n + 1):
            if ways[j] and (j - i < n) and known("".join(atoms[i:j])):
                found += [["".join(atoms[i:j])] + rest for rest in ways[j]]
                if len(found) > 1:
                    break
        ways[i] = found[:2]
    return ways[0][0] if ways[0] and len(ways[0]) == 1 else None


def _known(scope):
    """The scope's `known(name)`, else its `lookup(name)`, else nothing is known."""
    known = getattr(scope, "known", None)
    if callable(known):
        return known
    lookup = getattr(scope, "lookup", None)
    if callable(lookup):
        return lambda n: lookup(n) is not None
    return lambda n: False


# Token(...) goes through a keyword-compatibility shim in lark 1.x; its constructor proper is cheaper
_token = getattr(Token, "_future_new", None) or (lambda *a: Token(*a[:5], end_pos=a[-1]))


class _Lexer:
    """LaTeX text -> grammar tokens, names already in their plain spelling."""

    def __init__(self, text, known, cap=MAX_TERMS):
        self.text, self.known, self.cap = text, known, cap
        self.out, self.braces, self.open_abs, self.open_norm = [], [], 0, 0
        self.derivs = False             # a derivative operator was read (its operand keeps MAX_TERMS)
        self.oneline = "\n" not in text
        self.starts = [0] if self.oneline else [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def fail(self, message, pos):
        line = bisect_right(self.starts, pos)
        return ParseError(message, line, pos - self.starts[line - 1] + 1)

    def emit(self, kind, value, pos, end=None):
        if self.oneline:
            line, col = 1, pos + 1
        else:
            line = bisect_right(self.starts, pos)
            col = pos - self.starts[line - 1] + 1
        out = self.out
        out.append(_token(kind, value, pos, line, col, None, None, pos if end is None else end))
        if kind == "ABSL" or kind == "ABSR":
            self.open_abs += 1 if kind == "ABSL" else -1
        if len(out) > MAX_TOKENS:
            raise self.fail(f"more than {MAX_TOKENS} tokens", pos)

    def run(self):
        pos, n = 0, len(self.text)
        while True:
            pos = _skip(self.text, pos)
            if pos >= n:
                break
            pos = self.step(pos)
        cap = self.cap
        if len(self.out) > cap:
            operands = [t for t in self.out if t.type in _OPERANDS]
            if len(operands) > cap:
                raise self.fail(f"more than {cap} terms and factors in one expression",
                                operands[cap].start_pos)
        _ambiguities(self.out, self.text, self.fail)
        return self.out

    def step(self, pos):
        text, ch = self.text, self.text[pos]
        if ch == "\\":
            return self.command(pos)
        if ch in _LETTERS:
            return self.word(pos)
        m = _NUM.match(text, pos) if ch in _NUMSTART else None
        if m:
            if self.out and self.out[-1].type == "NUMBER":
                last = self.out[-1]
                raise self.fail(f"ambiguous '{text[last.start_pos:m.end()]}': two numbers side by side "
                                "(TeX shows them as one); write \\cdot between them or one number",
                                last.start_pos)
            self.emit("NUMBER", m.group(), pos, m.end())
            return m.end()
        if ch in CHARS:
            self.emit(CHARS[ch], ch, pos, pos + 1)
            return pos + 1
        if ch == "{":
            m = _EBRACE.match(text, pos)
            if m and not self.known("e"):         # {e}^{-x}: the exponential
                self.emit("EULER", "e", pos, m.end())
                return m.end()
            self.emit("_LBRACE", ch, pos, pos + 1)
            self.braces.append(None)
            return pos + 1
        if ch == "}":
            self.emit("_RBRACE", ch, pos, pos + 1)
            if self.braces and self.braces.pop() == "frac":
                return self.arg(pos + 1, None, r"\frac")
            return pos + 1
        if ch == "^":
            return self.caret(pos)
        if ch == "|":
            if text.startswith("||", pos) and self.open_abs == 0:
                return self.norm(pos, pos + 2, None)
            return self.bar(pos, pos + 1)
        if ch in "<>≥≤":
            return self.compare(pos)
        if ch in "²³":
            self.emit("CARET", "^", pos, pos + 1)
            self.emit("_LBRACE", "{", pos)
            self.emit("NUMBER", "2" if ch == "²" else "3", pos, pos + 1)
            self.emit("_RBRACE", "}", pos)
            return pos + 1
        if ch in "&$":
            return pos + 1
        if ch == "=" and self.bracketed() or ch == "≠":      # 𝟙[k = y], [j ≠ y_i]
            self.emit("EQ", ch, pos, pos + 1)
            return pos + 1
        if ch == "=":
            raise self.fail("'=' inside an expression", pos)
        if ch == "_":
            raise self.fail("a subscript must follow a name", pos)
        if ch in GREEK or (ch.isascii() and ch.isalpha()):
            return self.word(pos)
        raise self.fail(f"unexpected character '{ch}'", pos)

    def command(self, pos):
        text = self.text
        m = _CMD.match(text, pos)
        if m is None:
            raise self.fail("a lone backslash", pos)
        name, end = m.group(1), m.end()
        if name in ("{", "}"):
            self.emit("_LCB" if name == "{" else "_RCB", name, pos, end)
        elif name == "\\":
            raise self.fail(r"a line break '\\' inside an expression", pos)
        elif name in ("left", "right", "middle") or _SIZE.fullmatch(name):
            return self.sized(pos)
        elif name in DROPPED:
            return self.dropped(pos, name, end)
        elif name in FRACS:
            return self.frac(pos, end)
        elif name == "sqrt":
            if text.startswith("[", _skip(text, end)):
                raise self.fail(r"\sqrt[n]{...} is not supported", pos)
            self.emit("SQRT", "sqrt", pos, end)
            return self.arg(end, None, r"\sqrt")
        elif name == "sum":
            return self.sum(pos, end)
        elif name == "partial":
            return self.partial(pos, end)
        elif name == "operatorname":
            return self.operatorname(pos, end)
        elif name in FUNC_CMDS:
            self.emit("FUNC", name, pos, end)
        elif name in MUL_CMDS:
            self.emit("MUL", "\\" + name, pos, end)
        elif name == "div":
            self.emit("DIV", "/", pos, end)
        elif name in CMP_CMDS:
            self.emit("CMP", CMP_CMDS[name], pos, end)
        elif name in ("ne", "neq"):
            self.emit("EQ", "≠", pos, end)
        elif "\\" + name in DELIMS:
            self.emit(DELIMS["\\" + name], "\\" + name, pos, end)
        elif name == "vert":
            return self.bar(pos, end)
        elif name in _NORM_CMDS:
            return self.norm(pos, end, _NORM_CMDS[name])
        elif name == "prime":
            self.emit("_PRIME", "'", pos, end)
        elif _IND.match(text, pos):
            return self.indicator(pos)
        elif name in GREEK_CMDS or name in FONTS or name in DECOR:
            return self.word(pos)
        else:
            raise self.fail(f"unknown LaTeX command '\\{name}'", pos)
        return end

    def word(self, pos):
        text = self.text
        name = _read_name(text, pos)
        if name is None:
            raise self.fail(f"unexpected '{text[pos]}'", pos)
        after = _skip(text, name.end)
        if name.simple and name.plain in SPELLINGS and _CALL.match(text, after):
            self.emit("FUNC", name.plain, pos, name.end)
            return name.end
        if name.simple and text.startswith("^", after) and self.exponential(name, pos):
            return name.end
        plain = name.plain
        if "var" in plain:
            if not self.known(plain):       # \varepsilon is the letter epsilon
                plain = _VARGREEK.sub(r"\1", plain)
        elif name.simple and len(plain) > 1 and not self.known(plain) and text[pos:name.end] == plain:
            pieces = _split_run(plain, self.known)
            if pieces:
                for piece in pieces:
                    self.emit("NAME", piece, pos, pos + len(piece))
                    pos += len(piece)
                return name.end
        self.emit("NAME", plain, pos, name.end)
        if name.transpose is not None:
            self.emit("TRANSPOSE", "T", name.transpose, name.transpose + 1)
        return name.end

    def exponential(self, name, pos):
        """`e^{...}`, also ending a letter run (`xe^{x}`), when the scope has no variable `e`."""
        plain = name.plain
        if not plain.endswith("e") or self.known("e"):
            return False
        if plain == "e":
            self.emit("EULER", "e", pos, name.end)
            return True
        if plain.isalpha() and self.text[pos:name.end] == plain and not self.known(plain):
            self.emit("NAME", plain[:-1], pos, name.end - 1)
            self.emit("EULER", "e", name.end - 1, name.end)
            return True
        return False

    def arg(self, pos, kind, owner, start=None, euler=False):
        """One TeX argument: a braced group, or one token that gets braces around it. A one-character
        argument that runs straight on (`x^23`, `\\frac123`, `e^-2z`, `e^2x`) is refused: TeX raises
        one character, but the writer may well have meant all of them."""
        text = self.text
        p = _skip(text, pos)
        if text.startswith("{", p):
            self.emit("_LBRACE", "{", p, p + 1)
            self.braces.append(kind)
            return p + 1
        self.emit("_LBRACE", "{", p)
        signed = p < len(text) and text[p] in "+-−"
        if signed:
            self.emit("_PLUS" if text[p] == "+" else "MINUS", text[p], p, p + 1)
            p = _skip(text, p + 1)
        digit = text[p:p + 1] in DIGITS
        if digit:
            self.emit("NUMBER", text[p], p, p + 1)
            end = p + 1
        elif (core := _read_base(text, p, True, 0)) is not None:
            self.emit("NAME", core[0], p, core[1])
            end = core[1]
        else:
            raise self.fail(f"{owner} needs an argument", p)
        after = text[end:end + 1]
        if kind != "frac" and after and (after in DIGITS and (digit or signed) or after.isalpha() and after.isascii()
                      and (signed or euler)):
            start = pos if start is None else start
            raise self.fail(f"ambiguous '{text[start:end + 1]}': TeX takes only '{text[p:end]}' as the "
                            f"argument of {owner}; write braces {{...}} around what belongs to it", start)
        self.emit("_RBRACE", "}", end)
        return self.arg(end, None, owner, start) if kind == "frac" else end

    def caret(self, pos):
        m = _TRANSPOSE.match(self.text, pos)
        if m:
            self.emit("TRANSPOSE", "T", pos, m.end())
            return m.end()
        m = _PRIME.match(self.text, pos)
        if m:
            self.emit("_PRIME", "'", pos, m.end())
            return m.end()
        euler = bool(self.out) and self.out[-1].type == "EULER"
        self.emit("CARET", "^", pos, pos + 1)
        return self.arg(pos + 1, None, "'^'", pos, euler)

    def bar(self, pos, end):
        last = self.out[-1].type if self.out else None
        opening = self.open_abs == 0 or last in (None, "_PLUS", "MINUS", "MUL", "DIV", "_LPAR", "_LSQB",
                                                 "_LCB", "_LBRACE", "_COMMA", "CMP", "ABSL", "CARET")
        self.emit("ABSL" if opening else "ABSR", "abs", pos, end)
        return end

    def norm(self, pos, end, side):
        """`\\lVert x \\rVert^2`, `\\|x\\|_2^2`: the squared L2 norm; `\\|x\\|` its square root."""
        if side == "l" or side is None and self.open_norm == 0:
            self.open_norm += 1
            self.emit("NORML", "norm2", pos, end)
            return end
        self.open_norm -= 1
        m = _NORMSQ.match(self.text, end)
        if m is not None:
            self.emit("NORMSQ", "norm2", pos, m.end())
            return m.end()
        m = _NORMSUB.match(self.text, end)
        self.emit("NORMR", "norm", pos, m.end())
        return m.end()

    def bracketed(self):
        """Is a bracket open (an `=` there compares an index with a class label)?"""
        depth = 0
        for t in self.out:
            depth += t.type in ("_LPAR", "_LSQB", "_LCB", "_LBRACE")
            depth -= t.type in ("_RPAR", "_RSQB", "_RCB", "_RBRACE")
        return depth > 0

    def compare(self, pos):
        ch, end = self.text[pos], pos + 1
        op = {"≥": ">=", "≤": "<="}.get(ch, ch)
        if ch in "<>" and self.text.startswith("=", end):
            op, end = ch + "=", end + 1
        self.emit("CMP", op, pos, end)
        return end

    def sized(self, pos):
        m = _SIZED.match(self.text, pos)
        size, delim = m.group(1), m.group(2)
        if delim == "." or size == "middle":
            raise self.fail(f"\\{size}{delim or ''} is not supported", pos)
        if delim in (r"\|", r"\Vert", r"\lVert", r"\rVert"):
            side = "l" if size == "left" or size.endswith("l") else "r" if size == "right" or size.endswith("r") else None
            return self.norm(pos, m.end(), _NORM_CMDS[delim[1:]] or side)
        if delim in ("|", r"\vert"):
            if size == "left" or size.endswith("l"):
                self.emit("ABSL", "abs", pos, m.end())
            elif size == "right" or size.endswith("r"):
                self.emit("ABSR", "abs", pos, m.end())
            else:
                return self.bar(pos, m.end())
            return m.end()
        if delim not in DELIMS:
            raise self.fail(f"\\{size} needs a delimiter such as ( [ \\{{", pos)
        self.emit(DELIMS[delim], delim, pos, m.end())
        return m.end()

    def dropped(self, pos, name, end):
        text = self.text
        if text.startswith("*", end):
            end += 1
        g = _group(text, end)
        if g is None or not text.startswith("{", _skip_sp(text, end)):
            raise self.fail(f"\\{name} needs {{...}}", pos)
        word = text[g[0]:g[1]].strip()
        if name in TEXTS and word in SPELLINGS and _CALL.match(text, _skip(text, g[2])):
            self.emit("FUNC", word, pos, g[2])
        elif name in TEXTS and _IDENT.fullmatch(word) and self.known(word):
            self.emit("NAME", word, pos, g[2])      # \text{loss} names the variable loss
        return g[2]

    def frac(self, pos, end):
        d = _derivative_frac(self.text, end)
        if d is None:
            self.emit("FRAC", "\\frac", pos, end)
            return self.arg(end, "frac", r"\frac", pos)
        if d.of is not None:
            self.emit("LOCAL", d.of.plain, d.of_pos, d.of.end)
            self.emit("NAME", d.var.plain, d.var_pos, d.var.end)
        else:
            grouped = _OPENER.match(self.text, _skip(self.text, d.end))
            self.emit("DERIVG" if grouped else "DERIV", d.var.plain, d.var_pos, d.var.end)
            self.derivs = True
        return d.end

    def sum(self, pos, end):
        text = self.text
        p = _skip(text, end)
        if not text.startswith("_", p):
            self.emit("SUMALL", "sum", pos, end)     # \sum (A - Y)^2: every entry of a matrix
            return end
        p = _skip_sp(text, p + 1)
        if text.startswith("{", p):
            close = _match_brace(text, p)
            q = _skip(text, p + 1)
            index = _read_base(text, q, False, 0) if close is not None else None
            end = None if index is None else close + 1
        else:
            q = p
            index = _read_base(text, q, True, 0)
            end = None if index is None else index[1]
        if index is None:
            raise self.fail(r"\sum needs an index: \sum_k", pos)
        cond = _sum_condition(text, index[1], close) if text.startswith("{", p) and close is not None else None
        p = _skip(text, end)
        if text.startswith("^", p):
            g = _group(text, p + 1)
            if g is None:
                raise self.fail(r"\sum^ needs an upper limit", p)
            end = g[2]
        self.emit("SUM", index[0], q, index[1])
        if cond is not None:        # \sum_{k \ne y}: the sum of [k ≠ y] times the summand
            ne, label = cond
            self.emit("_LSQB", "[", ne.start())
            self.emit("NAME", index[0], q, index[1])
            self.emit("EQ", "≠", ne.start(), ne.end())
            self.emit("NAME", label.plain, ne.end(), label.end)
            self.emit("_RSQB", "]", label.end)
        return end

    def partial(self, pos, end):
        text = self.text
        a = _read_name(text, _skip(text, end))
        p = _skip(text, a.end) if a else end
        if a and text.startswith("/", p):
            p = _skip(text, p + 1)
            m = _PARTIAL.match(text, p)
            q = _skip(text, m.end()) if m else p
            b = _read_name(text, q) if m else None
            if b is not None:
                self.emit("LOCAL", a.plain, _skip(text, end), a.end)
                self.emit("NAME", b.plain, q, b.end)
                return b.end
        raise self.fail(r"'\partial' outside a derivative; write \frac{\partial a}{\partial b}", pos)

    def operatorname(self, pos, end):
        text = self.text
        if text.startswith("*", end):
            end += 1
        g = _group(text, end)
        word = text[g[0]:g[1]].replace(r"\_", "_").replace(" ", "") if g else ""
        if not _IDENT.fullmatch(word):
            raise self.fail(r"\operatorname needs a function name in {...}", pos)
        self.emit("FUNC", word, pos, g[2])
        m = _AXIS.match(text, g[2]) if word in ("sum", "mean", "softmax", "log_softmax", "logsumexp") else None
        if m:       # the printer's `\operatorname{sum}_{0}(A)`: sum(A, axis=0)
            self.emit("AXIS", m.group(1) or m.group(2), m.start(), m.end())
            return m.end()
        return g[2]

    def indicator(self, pos):
        m = _IND.match(self.text, pos)
        fill = _FILL.match(self.text, m.end())
        if fill:    # the printer's `\mathbf{1}_{N \times H}\, a`: a spread over an N×H matrix
            self.emit("FUNC", "ones", pos, m.end())
            self.emit("_LPAR", "(", m.end())
            self.emit("NAME", fill.group(1), fill.start(1), fill.end(1))
            self.emit("_COMMA", ",", fill.end(1))
            self.emit("NAME", fill.group(2), fill.start(2), fill.end(2))
            self.emit("_RPAR", ")", fill.end())
            return fill.end()
        self.emit("IND", "1", pos, m.end())
        p = _skip(self.text, m.end())
        return p + 1 if self.text.startswith("_", p) else m.end()


GRAMMAR = r"""
?start: sum
?sum: product
    | product (_PLUS product | MINUS product)+      -> terms
?product: unary
    | unary (MUL unary | DIV unary | power | opapp)+ -> factors
?unary: power
    | opapp
    | MINUS unary                        -> neg
    | _PLUS unary
opapp: DERIV product                     -> deriv
    | SUM product                        -> sum_index
    | SUMALL product                     -> sum_all
?power: postfix
    | postfix CARET _LBRACE sum _RBRACE  -> pow
?postfix: atom
    | postfix TRANSPOSE                  -> transpose
?atom: bare_atom
    | _LPAR sum _RPAR
    | _LSQB sum _RSQB
    | _LCB sum _RCB
    | _LPAR sum CMP sum _RPAR            -> iverson
    | _LSQB sum CMP sum _RSQB            -> iverson
    | _LCB sum CMP sum _RCB              -> iverson
    | _LBRACE sum CMP sum _RBRACE        -> iverson
    | _LSQB NAME EQ NAME _RSQB           -> label_test
    | _LPAR NAME EQ NAME _RPAR           -> label_test
    | _LCB NAME EQ NAME _RCB             -> label_test
    | LOCAL NAME                         -> local
    | DERIVG power                       -> deriv
    | IND atom                           -> indicator
    | ABSL sum ABSR                      -> abs
    | NORML sum NORMSQ                   -> norm2
    | NORML sum NORMR                    -> norm
?bare_atom: NUMBER                       -> number
    | NAME                               -> name
    | EULER                              -> euler
    | _LBRACE sum _RBRACE
    | FRAC _LBRACE sum _RBRACE _LBRACE sum _RBRACE -> frac
    | SQRT _LBRACE sum _RBRACE           -> sqrt
    | FUNC _LPAR args _RPAR              -> call
    | FUNC _LCB args _RCB                -> call
    | FUNC _PRIME _LPAR args _RPAR       -> prime_call
    | FUNC AXIS _LPAR args _RPAR         -> call_axis
    | FUNC CARET _LBRACE sum _RBRACE _LPAR args _RPAR -> call_pow
    | FUNC CARET _LBRACE sum _RBRACE _LBRACE args _RBRACE -> call_pow
    | FUNC bare                          -> call1
    | FUNC ARGNAME                       -> call_name
    | FUNC ARGNAME CARET _LBRACE sum _RBRACE -> call_name_pow
?bare: bare_atom
    | bare_atom CARET _LBRACE sum _RBRACE -> pow
args: sum (_COMMA sum)*

%declare NUMBER NAME EULER FUNC SQRT FRAC LOCAL DERIV DERIVG SUM IND ABSL ABSR NORML NORMR NORMSQ AXIS ARGNAME SUMALL CARET TRANSPOSE
%declare MUL DIV MINUS CMP EQ _PLUS _PRIME _COMMA _LPAR _RPAR _LSQB _RSQB _LCB _RCB _LBRACE _RBRACE
"""


def _plain_product(scope):
    """Is the scope's product of two factors (side by side or `\\cdot`) plain multiplication?"""
    f = getattr(scope, "product", None)
    return f is None or getattr(f, "__func__", None) is Scope.product


def _hook(scope, method, tok, what):
    f = getattr(scope, method, None)
    if f is None:
        raise error(f"{what} is not allowed here", tok)
    return f


class _Build(PlainBuild):
    """LALR callbacks of the LaTeX grammar: the plain reader's, plus LaTeX's own forms. Each
    operand's callback calls `operand` (the plain reader's count, kept only when the expression
    has a derivative operator)."""

    def euler(self, c):
        self.operand(c[0])
        return sympy.E

    def local(self, c):
        self.operand(c[0])
        self.operand(c[1])
        return _hook(self.state.scope, "local", c[0], "a local derivative d a/d b")(c[0], c[1])

    def sum_all(self, c):
        if not hasattr(self.state.scope, "reduction"):
            raise error(r"\sum needs an index: \sum_k", c[0])
        return self.state.scope.call(c[0].update("FUNC", "sum"), [c[1]])

    def sum_index(self, c):
        return _hook(self.state.scope, "sum_index", c[0], "a sum over an index")(c[0], c[1])

    def call_axis(self, c):
        self.operand(c[0])
        return self.state.scope.call(c[0], c[2] + [Keyword("axis", sympy.Integer(int(c[1])), c[1])])

    def call1(self, c):
        self.operand(c[0])
        return self.state.scope.call(c[0], [c[1]])

    sqrt = call1

    def abs(self, c):
        self.operand(c[0])
        return self.state.scope.call(c[0].update("FUNC", "abs"), [c[1]])

    def norm(self, c):
        return self.state.scope.call(c[0].update("FUNC", "sqrt"), [self.norm2(c)])

    def norm2(self, c):
        self.operand(c[0])
        scope = self.state.scope
        if hasattr(scope, "reduction"):        # matrix scopes: the reduction norm2(...)
            return scope.call(c[0].update("FUNC", "norm2"), [c[1]])
        return power(c[1], sympy.Integer(2), c[0])   # a scalar's squared norm is its square

    def prime_call(self, c):
        self.operand(c[0])
        return self.state.scope.prime_call(c[0], c[1])

    def call_pow(self, c):
        self.operand(c[0])
        if c[2].is_Number and c[2] < 0:
            raise error(f"ambiguous '{c[0]}^{{{c[2]}}}(...)': the inverse function, or a power of "
                        f"{c[0]}(...)? write ({c[0]}(...))^{{{c[2]}}} or 1/{c[0]}(...)", c[0])
        return power(self.state.scope.call(c[0], c[3]), c[2], c[1])

    def call_name(self, c):
        return self.state.scope.call(c[0], [self._argname(c[0], c[1])])

    def call_name_pow(self, c):
        return self.state.scope.call(c[0], [power(self._argname(c[0], c[1]), c[3], c[2])])

    def _argname(self, func, tok):
        """A bare argument `\\log xy` that the scope reads as a product is ambiguous."""
        self.operand(func)
        self.operand(tok)
        value = self.state.scope.name(tok)
        if isinstance(value, sympy.Mul) and sum(1 for a in value.args if not a.is_Number) > 1:
            raise error(f"ambiguous '{func} {tok}': {func}({tok}) or {func}(...) times the rest? "
                        f"write brackets: {func}(...)", tok)
        return value

    def mul(self, c):
        a, tok, b = c
        if tok == "@":
            return _hook(self.state.scope, "matmul", tok, "matrix product")(a, b, tok)
        if tok in ELEMENTWISE:
            return a * b
        return self._product(a, b, tok)

    def juxt(self, c):
        return self._product(c[0], c[1], None)

    def factors(self, c):
        r"""`a b \cdot c / d ...` left to right, as `juxt`, `mul` and `div` one at a time; a run
        longer than FLAT of expressions multiplied plainly (`\circ`, `/`, and side by side or
        `\cdot` when the scope's `product` is plain multiplication) is one Mul (`Build._fold`):
        built a factor at a time, SymPy re-sorts the whole product each time."""
        plain = _plain_product(self.state.scope)
        out, run, i, n = c[0], [], 1, len(c)
        while i < n:
            op = c[i] if isinstance(c[i], Token) else None
            b = c[i + 1] if op is not None else c[i]
            i += 2 if op is not None else 1
            if (isinstance(b, sympy.Expr) and isinstance(out, sympy.Expr)
                    and (plain and op != "@" or op is not None and (op.type == "DIV" or op in ELEMENTWISE))):
                if op is not None and op.type == "DIV":
                    if b is _ZERO:
                        raise error("division by zero", op)
                    b = 1 / b
                run.append(b)
                continue
            out = self._fold(out, run)
            run = []
            out = self.juxt([out, b]) if op is None else (self.mul if op.type == "MUL" else self.div)([out, op, b])
        return self._fold(out, run)

    def _product(self, a, b, tok):
        f = getattr(self.state.scope, "product", None)
        if f is None or isinstance(a, Fill):
            return a * b        # ones(N, H) r: r spread over an N×H matrix, as the printer means
        return f(a, b, tok)

    def div(self, c):
        if c[2] is _ZERO:
            raise error("division by zero", c[1])
        return c[0] / c[2]

    def frac(self, c):
        if c[2] is _ZERO:
            raise error("division by zero", c[0])
        return c[1] / c[2]

    def transpose(self, c):
        return _hook(self.state.scope, "transpose", c[1], "a transpose")(c[0], c[1])

    def iverson(self, c):
        a, op, b = c
        return iverson(self.state.scope, a, str(op), b, op)

    def indicator(self, c):
        if not is_iverson(c[1]) and not _bracketed(c[1]) and not _label_test(c[1]):
            raise error(r"\mathbb{1} needs a condition such as [z \geq w]", c[0])
        return c[1]


def _bracketed(e):
    """An Iverson bracket over matrices: [S − s_y + 1 > 0] entry by entry."""
    return isinstance(e, Elem) and isinstance(e.template, (IndGe, IndGt))


def _label_test(e):
    """`[k = y]` as read (an entry of onehot(y)), or `[k ≠ y]` (one minus it)."""
    if isinstance(e, Elem) and len(e.args) == 1:
        e = e.args[0]
    return isinstance(getattr(e, "leaf", None), OneHot)


class _Tokens(Lexer):
    """The grammar's lexer: the token list is made beforehand by `_Lexer`."""

    def __init__(self, conf):
        pass

    def lex(self, data):
        return iter(data)


_state = threading.local()
_parser = None
_table = None


def _lark():
    global _parser
    if _parser is None:
        _parser = lalr(GRAMMAR, "latex", lexer=_Tokens, transformer=_Build(_state), maybe_placeholders=False)
    return _parser


class _Table:
    """Lark's LALR table with each reduction resolved once to (size, goto name, callback), so the
    loop in `_drive` does no per-token hashing of grammar rules (Lark's `feed_token` hashes and
    compares a Rule object on every reduction; that was a third of the reading time)."""

    def __init__(self, lark):
        from lark.parsers.lalr_analysis import Shift
        inner = lark.parser.parser.parser
        table = inner.parse_table
        self.start, self.end = table.start_states["start"], table.end_states["start"]
        self.actions = {}
        for state, acts in table.states.items():
            row = {}
            for name, (action, arg) in acts.items():
                row[str(name)] = arg if action is Shift else (len(arg.expansion), str(arg.origin.name),
                                                              inner.callbacks[arg])
            self.actions[state] = row


def _parse(tokens, text):
    """Tokens to the value the grammar's callbacks build; lark's own loop if its internals moved."""
    global _table
    if _table is None:
        try:
            _table = _Table(_lark())
        except (AttributeError, KeyError, ImportError, TypeError):
            _table = False
    if _table is False:
        return _lark().parse(tokens)
    actions = _table.actions
    states, values = [_table.start], []
    for tok in tokens:
        kind = tok.type
        while True:
            act = actions[states[-1]].get(kind)
            if act is None:
                raise _unexpected_token(tok, text)
            if act.__class__ is int:
                states.append(act)
                values.append(tok)
                break
            size, origin, callback = act
            args = values[-size:]
            del values[-size:], states[-size:]
            values.append(callback(args))
            states.append(actions[states[-1]][origin])
    end = _table.end
    while True:
        act = actions[states[-1]].get("$END")
        if act is None or act.__class__ is int:
            raise _unexpected_token(None, text)
        size, origin, callback = act
        args = values[-size:]
        del values[-size:], states[-size:]
        values.append(callback(args))
        states.append(actions[states[-1]][origin])
        if states[-1] == end:
            return values[-1]


def _placed(e, line, col):
    """A ParseError located in `text` moved to where `text` starts in the input."""
    if not e.line:
        return type(e)(e.message, line, col)
    return type(e)(e.message, line + e.line - 1, col - 1 + e.col if e.line == 1 else e.col)


def _unexpected(e, text):
    return _unexpected_token(getattr(e, "token", None), text)


def _unexpected_token(tok, text):
    if tok is None or tok.type == "$END":
        return _fail(text, len(text.rstrip()), "unexpected end of expression")
    shown = text[tok.start_pos:tok.end_pos] or str(tok)
    return ParseError(f"unexpected '{shown}'", tok.line, tok.column)


def parse_latex_expression(text, scope, line=1, col=1):
    """One LaTeX expression into SymPy through `scope`; errors point into the input. At most
    `scope.max_terms` operands, as in the plain reader; with a derivative operator, the plain
    reader's running count (`Build.operand`) keeps MAX_TERMS in front of or under it."""
    previous = getattr(_state, "scope", None), getattr(_state, "operands", None)
    _state.scope = scope
    try:
        _caps(text)
        lexer = _Lexer(text, _known(scope), getattr(scope, "max_terms", MAX_TERMS))
        tokens = lexer.run()
        if not tokens:
            raise ParseError("empty expression", 1, 1)
        _state.operands = 0 if lexer.derivs else None
        return _parse(tokens, text)
    except ParseError as e:
        raise _placed(e, line, col) from None
    except VisitError as e:
        inner = e.orig_exc
        if isinstance(inner, ParseError):
            raise _placed(inner, line, col) from None
        raise ParseError(f"cannot read expression: {inner}", line, col) from None
    except UnexpectedInput as e:
        raise _placed(_unexpected(e, text), line, col) from None
    except RecursionError:
        raise ParseError("expression too deeply nested", line, col) from None
    except (TypeError, ValueError, ArithmeticError) as e:
        raise ParseError(f"cannot read expression: {e}", line, col) from None
    finally:
        _state.scope, _state.operands = previous


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


@dataclass(frozen=True)
class Row:
    """One equation of a block: `lhs = rhs`, `= rhs` (lhs None) continuing the one above, or a
    bare expression without any `=` (lhs "", bare True). line/col locate the start of `rhs`."""
    line: int
    col: int
    lhs: Optional[str]
    rhs: str
    lhs_line: int = 0
    lhs_col: int = 0
    bare: bool = False


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
_ANNOTATION = re.compile(
    r"&\s*&|\\q?quad(?![A-Za-z])\s*(?=\(\s*[\w.]{1,6}\s*\)[\s.,;]*$|\\(?:text|textbf|textit|textrm|mbox)"
    r"(?![A-Za-z]))|\\(?:leftarrow|Leftarrow|rightarrow|Rightarrow|longleftarrow|Longleftarrow|"
    r"longrightarrow|Longrightarrow|star|checkmark|implies|impliedby|iff|because|therefore|hfill)"
    r"(?![A-Za-z])")
_TRAILER = re.compile(r"(?:\\(?:text|textbf|textit|textrm|mbox)\s*\{[^{}]*\}|[,.;]|\\[,;:! ]"
                      r"|\\q?quad(?![A-Za-z]))$")
_RELATION = re.compile(r":=|(?<![<>!=:])=(?!=)|\\(?:coloneqq|triangleq)(?![A-Za-z])"
                       r"|\\(?:overset|stackrel)\s*\{[^{}]*\}\s*\{\s*=\s*\}")
_SEPARATOR = re.compile(r"(?<!\\)[,;]|\\q?quad(?![A-Za-z])|\\(?:text|mbox)\s*\{\s*(?:and|,|;)\s*\}")
_JOIN_END = re.compile(r"(?:[-+*/=(\[{,]|\\(?:cdot|times|div|circ|odot|left\s*\S|[dtc]?frac))\s*$")
_JOIN_START = re.compile(r"^\s*(?:[-+*/^_)\]}]|\\(?:cdot|times|div|circ|odot|right)(?![A-Za-z]))")


def _blank(chars, start, end):
    for i in range(start, end):
        if chars[i] != "\n":
            chars[i] = " "


def _markup(text):
    """The text with delimiters, environments, comments, tags and prose blanked, and row breaks."""
    chars = [" " if c in "\r\ufeff" else c for c in text]
    marks = list(_MARKS.finditer(text))
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


def _balance(line):
    return sum(line.count(c) for c in "{([") - sum(line.count(c) for c in "})]")


def _depths(row):
    """The bracket depth before each character of a row."""
    depth, out = 0, []
    for ch in row:
        out.append(depth)
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
            if spans and (depth > 0 or _JOIN_END.search(previous) or _JOIN_START.match(line)):
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
