r"""The LaTeX grammar (Lark LALR over `latex_lexer`'s tokens) and its callbacks into SymPy through the
`Scope` protocol: `parse_latex_expression`. The grammar is built in one place, `_lark()`."""
from lark import Token
from lark.exceptions import UnexpectedInput, VisitError
from lark.lexer import Lexer
import sympy
from derive.errors import ParseError
from derive.functions import IndGe, IndGt
from derive.labels import OneHot
from derive.matrix import Elem, Fill
from derive.lalr_cache import lalr
from derive.parse import Keyword, Build as PlainBuild, ParseState, Scope, error, is_iverson, iverson, power
from .latex_names import ELEMENTWISE, _ZERO, _caps, _fail
from .latex_lexer import _Lexer

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
    | ONES                               -> ones
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
    | FUNC CARET _LBRACE sum _RBRACE ARGNAME -> pow_call_name
    | FUNC CARET _LBRACE sum _RBRACE bare -> pow_call1
?bare: bare_atom
    | bare_atom CARET _LBRACE sum _RBRACE -> pow
args: sum (_COMMA sum)*

%declare NUMBER NAME EULER ONES FUNC SQRT FRAC LOCAL DERIV DERIVG SUM IND ABSL ABSR NORML NORMR NORMSQ AXIS ARGNAME SUMALL CARET TRANSPOSE
%declare MUL DIV MINUS CMP EQ _PLUS _PRIME _COMMA _LPAR _RPAR _LSQB _RSQB _LCB _RCB _LBRACE _RBRACE
"""


def _plain_product(scope):
    """Is the scope's product of two factors (side by side or `\\cdot`) plain multiplication?"""
    return type(scope).product is Scope.product


class _Build(PlainBuild):
    """LALR callbacks of the LaTeX grammar: the plain reader's, plus LaTeX's own forms. Each
    operand's callback calls `operand` (the plain reader's count, kept only when the expression
    has a derivative operator)."""

    def euler(self, c):
        self.operand(c[0])
        return sympy.E

    def ones(self, c):
        r"""`\mathbf{1}` without a condition: the vector of ones (a matrix scope's `ones`), else 1."""
        self.operand(c[0])
        return self.state.scope.ones(c[0])

    def local(self, c):
        self.operand(c[0])
        self.operand(c[1])
        return self.state.scope.local(c[0], c[1])

    def sum_all(self, c):
        if not self.state.scope.reduces:
            raise error(r"\sum needs an index: \sum_k", c[0])
        return self.state.scope.call(c[0].update("FUNC", "sum"), [c[1]])

    def sum_index(self, c):
        return self.state.scope.sum_index(c[0], c[1])

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
        if scope.reduces:                      # matrix scopes: the reduction norm2(...)
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

    def pow_call_name(self, c):
        """`\\tanh^2 z`: the square of tanh(z)."""
        return power(self.state.scope.call(c[0], [self._argname(c[0], c[3])]), c[2], c[1])

    def pow_call1(self, c):
        self.operand(c[0])
        return power(self.state.scope.call(c[0], [c[3]]), c[2], c[1])

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
            return self.state.scope.matmul(a, b, tok)
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
        if isinstance(a, Fill):
            return a * b        # ones(N, H) r: r spread over an N×H matrix, as the printer means
        return self.state.scope.product(a, b, tok)

    def div(self, c):
        if c[2] is _ZERO:
            raise error("division by zero", c[1])
        return c[0] / c[2]

    def frac(self, c):
        if c[2] is _ZERO:
            raise error("division by zero", c[0])
        return c[1] / c[2]

    def transpose(self, c):
        return self.state.scope.transpose(c[0], c[1])

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


_state = ParseState()
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
    previous = _state.scope, _state.operands
    _state.scope = scope
    try:
        _caps(text)
        lexer = _Lexer(text, scope.known, scope.max_terms)
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
