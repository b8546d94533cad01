"""Plain-text expressions: a Lark LALR grammar that builds SymPy objects directly.

Nothing read here ever reaches eval, exec, sympify or parse_expr. Names are handed to a
`Scope`, which decides what each name means (a leaf, a forward name, an adjoint, a product of
juxtaposed names); the spec reader and the claim reader differ only in their scope.
"""
import re
import threading
import unicodedata
from fractions import Fraction

import sympy
from lark import Transformer, Token
from lark.exceptions import UnexpectedInput, VisitError

from .errors import ParseError
from .lalr_cache import lalr
from .functions import IndGe, IndGt
from .matrix import Const, Elem, Fill, MExpr, elem, slot
from .rules import PRIME_OF, PRIMES, SPELLINGS, TABLE

MAX_CHARS = 20_000
MAX_DEPTH = 64
MAX_TOKENS = 5_000
MAX_EXPONENT = 1_000
MAX_DIGITS = 100
MAX_TERMS = 800     # operands (names, numbers, calls) in one expression of a spec or under d/dw:
                    # differentiating a product of n distinct factors builds n products of n - 1
MAX_CLAIM_TERMS = 2_500   # a claim is only evaluated (an expanded depth-4 gradient has 1300);
                          # scopes opt in with `max_terms`; long sums and products are built at once
FLAT = 8            # a chain of + and − (or * and /) longer than this is one Add (one Mul): built
                    # an operand at a time, SymPy re-sorts the whole sum each time, O(n^2 log n)
VULGAR = {"½": sympy.Rational(1, 2), "⅓": sympy.Rational(1, 3), "⅔": sympy.Rational(2, 3),
          "¼": sympy.Rational(1, 4), "¾": sympy.Rational(3, 4)}
TOKEN = re.compile(r"\w+|\S")

GRAMMAR = r"""
?start: sum
?sum: product
    | product ("+" product | MINUS product)+     -> terms
?product: unary
    | unary (MUL unary | DIV unary | power)+    -> factors
    | product sum_over           -> juxt
?unary: power
    | sum_over
    | MINUS unary                -> neg
    | "+" unary
sum_over: SUM product            -> sum_index
?power: postfix
    | postfix POW unary          -> pow
    | postfix SUP                -> sup
?postfix: atom
    | postfix TRANSPOSE          -> transpose
?atom: NUMBER                    -> number
    | VULGAR                     -> vulgar
    | NAME                       -> name
    | NAME PRIME "(" args ")"    -> prime_call
    | NAME "(" args ")"          -> call
    | DERIV "[" sum "]"          -> deriv
    | DERIV "(" sum ")"          -> deriv
    | "(" sum ")"
    | IND? "[" sum CMP sum "]"   -> iverson
    | IND "(" sum CMP sum ")"    -> iverson
    | IND? "[" NAME EQ NAME "]"  -> label_test
    | IND "(" NAME EQ NAME ")"   -> label_test
args: arg ("," arg)*
?arg: sum
    | NAME "=" sum               -> kwarg
    | sum CMP sum                -> compare_arg

SUM.3: /(Σ|sum)_(\{[a-z]+\}|[a-z]+)(?![\w\u0304])(?=[ \t]*[\w(\[\u0370-\u03ff½⅓⅔¼¾])/
DERIV.3: /(d|∂)\s*\/\s*(d|∂)\s*[A-Za-z_\u0370-\u03ff][A-Za-z0-9_\u0370-\u03ff]*/
NAME: /[A-Za-z_\u0370-\u03ff](?:[A-Za-z0-9_\u0370-\u03ff\u0304]|\{[A-Za-z0-9]+\})*/
NUMBER: /([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?/
PRIME: /['′]/
VULGAR: /[½⅓⅔¼¾]/
MINUS: /[-−–]/
MUL: /\*|·|×|∗|⋅|@/
DIV: /\/|÷/
POW: /\^|\*\*/
SUP: /[²³]/
TRANSPOSE: /\.T\b|\^T\b|ᵀ/
CMP: />=|<=|>|<|≥|≤/
EQ: /==|=|≠|!=/
IND: /𝟙/
%ignore /[ \t\f\r\n]+/
"""


class Keyword:
    """`axis=0` inside a call."""

    def __init__(self, name, value, tok):
        self.name, self.value, self.tok = name, value, tok


class Comparison:
    """`a > 0` as a call's argument (numpy's `np.where(a > 0, x, y)`): `Scope.where` takes it
    apart; any other call gets its Iverson bracket."""

    def __init__(self, a, op, b, tok):
        self.a, self.op, self.b, self.tok = a, op, b, tok


class Scope:
    """What names mean. Subclasses override `name`; calls and operators are shared. Every hook
    the readers call is declared here, with the default of a scope that has no such names: no
    known names, no index sums, no class labels, Iverson brackets over scalars (or entry by
    entry over matrices)."""
    max_terms = MAX_TERMS      # operands in one expression; claim scopes allow more
    reduces = False            # sum/mean/norm2 reduce a matrix's entries (matrix scopes)

    def name(self, tok):
        return sympy.Symbol(str(tok), real=True)

    def known(self, n):
        """Is `n` a name of this scope (so `sum_k` before it reads as a name, not an index sum)?"""
        return False

    def sum_index(self, tok, body):
        """`Σ_k body`: refused where there are no index letters."""
        raise error("a sum over an index is not allowed here", tok)

    def label_test(self, a, op, b):
        """`[k = y]` (`op` as written: =, ==, ≠ or !=): refused where there are no class labels."""
        raise error(f"[{a} {op} {b}] compares an index with a class label: it needs a spec with "
                    "labels (y: label(C))", a)

    def bracket(self, head, a, b, tok):
        """`[a > b]` as `head(a, b)`: an Iverson bracket, entry by entry over matrices."""
        if isinstance(a, MExpr) or isinstance(b, MExpr):
            return elem(head(slot(0), slot(1)), a, b)
        return head(a, b)

    def lookup(self, n):
        """The symbol the name `n` stands for; None where names are not looked up."""
        return None

    def local(self, a, b):
        r"""`\frac{da}{db}` inside a formula: refused where there is no graph to take it from."""
        raise error("a local derivative d a/d b is not allowed here", a)

    def takes_local(self):
        """Does this scope read `da/db` (Leibniz) as a local derivative?"""
        return type(self).local is not Scope.local

    def ones(self, tok):
        r"""`\mathbf{1}` alone: the number 1 where there are no shapes."""
        return sympy.Integer(1)

    def matmul(self, a, b, tok):
        """`a @ b`: refused where there are no shapes."""
        raise error("a matrix product (@) is not allowed here", tok)

    def call(self, tok, args):
        for a in args:
            if isinstance(a, Keyword):
                raise error(f"{tok} takes no keyword '{a.name}'", a.tok)
        spelled = SPELLINGS.get(str(tok))
        if spelled is None:
            if len(args) == 1:
                return self.name(tok) * args[0]
            raise error(f"unknown function '{tok}'", tok)
        head, arity, defaults = spelled
        if not arity <= len(args) <= arity + len(defaults):
            raise error(f"{tok} takes {arity}" + (f" to {arity + len(defaults)}" if defaults else "")
                        + f" argument(s), got {len(args)}", tok)
        return real(head(*args, *defaults[len(args) - arity:]), tok,
                    lambda: f"{tok}({', '.join(str(a) for a in args)})")

    def where(self, tok, args):
        """`where(c, a, b)`: a call like any other where numpy's choice is not read."""
        return self.call(tok, [bracketed(self, a) for a in args])

    def prime_call(self, tok, args):
        head = PRIMES.get(str(tok))
        if head is None:
            known = ", ".join(sorted({TABLE[h].ascii + "'" for h in PRIME_OF.values()}))
            raise error(f"no derivative function '{tok}''; known: {known}", tok)
        if len(args) != 1:
            raise error(f"{tok}' takes one argument", tok)
        return head(args[0])

    def deriv(self, tok, inner):
        raise error("a derivative operator is only allowed in a derivation", tok)

    def transpose(self, a, tok):
        """`x.T`, `x^T`, `xᵀ`. Scalars have no transpose, but `x^T` may be x to a power T."""
        if str(tok) == "^T":
            return power(a, self.name(Token.new_borrow_pos("NAME", "T", tok)), tok)
        raise error("transposes need matrix specs (declare shapes: W: matrix(H, D))", tok)

    def product(self, a, b, tok):
        """Two factors side by side (tok None) or joined by a product sign."""
        return a * b


def error(message, tok):
    return ParseError(message, getattr(tok, "line", 0) or 0, getattr(tok, "column", 0) or 0)


def number(tok):
    text = str(tok)
    m = re.fullmatch(r"(\d*)\.?(\d*)(?:[eE]([-+]?\d+))?", text)
    if len(m.group(1)) + len(m.group(2)) > MAX_DIGITS or abs(int(m.group(3) or 0)) > 300:
        raise error("number literal too large", tok)
    f = Fraction(text)
    return sympy.Rational(f.numerator, f.denominator)


def real(value, tok, shown):
    """`value`, unless it is a constant that is not a real number (log 0, sqrt(-1), (-8)^(1/3)):
    those are refused where they are written, never carried into a graph or a verdict."""
    if isinstance(value, sympy.Basic) and value.is_number and (
            value.has(sympy.zoo, sympy.nan, sympy.oo, sympy.S.NegativeInfinity, sympy.I)
            or value.is_extended_real is False):
        raise error(f"{shown()} is not a real number", tok)
    return value


def power(base, exp, tok):
    if exp.is_Number and abs(exp) > MAX_EXPONENT:
        raise error(f"exponent {exp} exceeds the cap of {MAX_EXPONENT}", tok)
    if base.is_Number and exp.is_Number and base != 0:
        digits = len(str(abs(sympy.Integer(int(base))))) if base.is_Integer else MAX_DIGITS
        if digits * abs(exp) > 20_000:
            raise error("number too large", tok)
    if base == 0 and exp.is_Number and exp < 0:
        raise error("division by zero", tok)
    return real(base ** exp, tok, lambda: f"({base})^({exp})")


def is_iverson(e):
    """Is `e` a bracket `[a op b]` (as `iverson` builds it, for scalars or entry by entry)?"""
    e = e.a if isinstance(e, Fill) else e
    inner = e.template if isinstance(e, Elem) else e.value if isinstance(e, Const) else e
    return isinstance(inner, (IndGe, IndGt))


class Build(Transformer):
    """LALR callbacks; the scope comes from the thread-local `ParseState`."""

    def __init__(self, state):
        super().__init__()
        self.state = state

    def operand(self, tok):
        """Count operands of a plain-text parse (the LaTeX reader, which reuses these callbacks,
        keeps its own count)."""
        n = self.state.operands
        if n is None:
            return
        self.state.operands = n + 1
        cap = self.state.scope.max_terms
        if n + 1 > cap:
            raise error(f"more than {cap} terms and factors in one expression", tok)

    def number(self, c):
        self.operand(c[0])
        return number(c[0])

    def vulgar(self, c):
        self.operand(c[0])
        return VULGAR[str(c[0])]

    def name(self, c):
        self.operand(c[0])
        return self.state.scope.name(c[0])

    def call(self, c):
        self.operand(c[0])
        scope = self.state.scope
        if str(c[0]) == "where":
            return scope.where(c[0], c[1])
        if any(isinstance(a, Comparison) for a in c[1]):
            return scope.call(c[0], [bracketed(scope, a) for a in c[1]])
        return scope.call(c[0], c[1])

    def compare_arg(self, c):
        return Comparison(c[0], str(c[1]), c[2], c[1])

    def prime_call(self, c):
        self.operand(c[0])
        return self.state.scope.prime_call(c[0], c[2])

    def deriv(self, c):
        if (self.state.operands or 0) > MAX_TERMS:
            raise error(f"more than {MAX_TERMS} terms and factors in front of or under a derivative", c[0])
        return self.state.scope.deriv(c[0], c[1])

    def kwarg(self, c):
        return Keyword(str(c[0]), c[1], c[0])

    def args(self, c):
        return list(c)

    def add(self, c):
        return c[0] + c[1]

    def terms(self, c):
        """`a + b − c ...`: one Add for a long chain of plain expressions, else one at a time."""
        items, negate = [], False
        for x in c:
            if isinstance(x, Token):
                negate = True
            else:
                items.append(-x if negate else x)
                negate = False
        if len(items) > FLAT and all(isinstance(x, sympy.Expr) for x in items):
            return sympy.Add(*items)
        out = items[0]
        for x in items[1:]:
            out = out + x
        return out

    def factors(self, c):
        """`a * b / c d ...` left to right: each `@` and juxtaposition as before; runs of plain
        `*` and `/` longer than FLAT as one Mul."""
        out, run, i = c[0], [], 1
        while i < len(c):
            op = c[i] if isinstance(c[i], Token) and c[i].type in ("MUL", "DIV") else None
            b = c[i + 1] if op is not None else c[i]
            i += 2 if op is not None else 1
            if op is not None and str(op) != "@" and isinstance(b, sympy.Expr) and isinstance(out, sympy.Expr):
                if op.type == "DIV" and b == 0:
                    raise error("division by zero", op)
                run.append(b if op.type == "MUL" else 1 / b)
                continue
            out = self._fold(out, run)
            run = []
            out = self.juxt([out, b]) if op is None else (self.mul if op.type == "MUL" else self.div)([out, op, b])
        return self._fold(out, run)

    @staticmethod
    def _fold(out, run):
        if len(run) > FLAT:
            return sympy.Mul(out, *run)
        for x in run:
            out = out * x
        return out

    def sub(self, c):
        return c[0] - c[2]

    def mul(self, c):
        if str(c[1]) == "@":
            return self.state.scope.matmul(c[0], c[2], c[1])
        return c[0] * c[2]

    def sum_index(self, c):
        """`Σ_k body` / `sum_k body`: the scope's index sum over k (a name the scope knows wins)."""
        tok, body, scope = c[0], c[1], self.state.scope
        if scope.known(str(tok)):
            return scope.product(scope.name(tok.update("NAME")), body, None)
        return scope.sum_index(tok.update(value=re.sub(r"^(Σ|sum)_\{?|\}$", "", str(tok))), body)

    def juxt(self, c):
        return self.state.scope.product(c[0], c[1], None)

    def div(self, c):
        if c[2] == 0:
            raise error("division by zero", c[1])
        return c[0] / c[2]

    def neg(self, c):
        return -c[1]

    def pow(self, c):
        return power(c[0], c[2], c[1])

    def sup(self, c):
        return power(c[0], sympy.Integer(2 if str(c[1]) == "²" else 3), c[1])

    def transpose(self, c):
        return self.state.scope.transpose(c[0], c[1])

    def iverson(self, c):
        c = [x for x in c if not (isinstance(x, Token) and x.type == "IND")]
        return iverson(self.state.scope, c[0], str(c[1]), c[2], c[1])

    def label_test(self, c):
        """`[k = y]`, `𝟙[j ≠ y_i]`, `𝟙(y_i = j)`: an index compared with a class label."""
        a, op, b = [x for x in c if x.type != "IND"]
        return self.state.scope.label_test(a, str(op), b)


def bracketed(scope, arg):
    """A call's argument, a comparison as its Iverson bracket."""
    return iverson(scope, arg.a, arg.op, arg.b, arg.tok) if isinstance(arg, Comparison) else arg


def iverson(scope, a, op, b, tok):
    """`[a > b]` and friends: an Iverson bracket, entry by entry in a matrix scope."""
    head, x, y = {">=": (IndGe, a, b), "≥": (IndGe, a, b), ">": (IndGt, a, b),
                  "<=": (IndGe, b, a), "≤": (IndGe, b, a), "<": (IndGt, b, a)}[op]
    return scope.bracket(head, x, y, tok)


class ParseState(threading.local):
    """The parse under way in this thread: its scope, and its operand count (None: not counted)."""
    scope = None
    operands = None


_state = ParseState()
_parser = None


def _lark():
    global _parser
    if _parser is None:
        _parser = lalr(GRAMMAR, "plain", transformer=Build(_state), maybe_placeholders=False)
    return _parser


def check_caps(text, line=1, col=1):
    """Length and nesting caps, before the grammar sees the text."""
    if len(text) > MAX_CHARS:
        raise ParseError(f"input longer than {MAX_CHARS} characters", line, col)
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ParseError(f"nesting deeper than {MAX_DEPTH}", line, col + i)
        elif ch in ")]}":
            depth -= 1
    if "\x00" in text:
        raise ParseError("NUL byte in input", line, col + text.index("\x00"))


def parse_expression(text, scope, line=1, col=1):
    """Parse `text` (one expression) into SymPy using `scope`; errors carry line and column."""
    check_caps(text, line, col)
    _state.scope = scope
    _state.operands = 0
    try:
        lark = _lark()
        if len(TOKEN.findall(text)) > MAX_TOKENS:
            raise ParseError(f"more than {MAX_TOKENS} tokens", line, col)
        return lark.parse(text)
    except ParseError as e:
        raise type(e)(e.message, *_placed(line, col, e.line, e.col)) from None
    except VisitError as e:
        inner = e.orig_exc
        if isinstance(inner, ParseError):
            raise type(inner)(inner.message, *_placed(line, col, inner.line, max(inner.col, 1))) from None
        raise ParseError(f"cannot read expression: {inner}", line, col)
    except UnexpectedInput as e:
        if e.column > 0:
            raise ParseError(_describe(e, text), *_placed(line, col, e.line, e.column)) from None
        last = text.rsplit("\n", 1)[-1]            # the end of the text
        raise ParseError(_describe(e, text), *_placed(line, col, text.count("\n") + 1, len(last) + 1)) from None
    except RecursionError:
        raise ParseError("expression too deeply nested", line, col)


def _placed(line, col, at_line, at_col):
    """(line, column) in the document of a place at_line:at_col of a text that starts at
    line:col: its later lines (the reader's numpy in-place steps) keep their own columns."""
    if not at_line or at_line <= 1:
        return line, (col - 1 + at_col) if at_col else col
    return line + at_line - 1, at_col or 1


def _describe(e, text):
    tok = getattr(e, "token", None)
    if tok is not None and tok.type == "$END":
        return "unexpected end of expression"
    if tok is not None:
        return f"unexpected '{tok}'"
    ch = text[e.pos_in_stream] if getattr(e, "pos_in_stream", None) is not None and e.pos_in_stream < len(text) else "?"
    return f"unexpected character {shown_char(ch)}"


def shown_char(ch):
    """A character for a message: quoted when it prints as itself, with its code point and name
    when it is not ASCII (a Cyrillic 'а' looks like 'a'), and only by code point and name when
    it is invisible or reorders text (a no-break space, a zero-width joiner, an RTL override)."""
    if ch.isascii() and ch.isprintable():
        return f"'{ch}'"
    name = unicodedata.name(ch, "")
    code = f"U+{ord(ch):04X}" + (f" {name}" if name else "")
    if ch.isprintable() and unicodedata.category(ch)[0] not in "CZM":
        return f"'{ch}' ({code})"
    return code
