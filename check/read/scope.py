"""What a name in student input means: a leaf, a forward name, an adjoint, or a product; and the
plain-text spellings the grammar does not know, rewritten column for column before it reads them
(numpy's `np.`, `.dot(`, `keepdims=`, masks `(h > 0)`, Leibniz `dy/dz`)."""
import re

import sympy

from derive.errors import ParseError
from derive.functions import BAR, bar, sym
from derive.limits import MAX_WRITTEN_DEPTH, MAX_WRITTEN_SIZE
from derive.names import GREEK_NAMES, MACRON, canonical, spelled
from derive.parse import MAX_CLAIM_TERMS, Comparison, Keyword, Scope, error, iverson, parse_expression
from derive.rules import PRIMES, SPELLINGS, derivative

from .classify import is_latex, numpy_adjoint
from .row import Refused

MAX_SPLIT = 12


class ClaimScope(Scope):
    """Names of a graph. Forward names stay symbols (they stand for their definitions);
    `v_bar`, `vbar`, `v̄` are adjoints; `yx` is y·x when only that reading exists."""
    max_terms = MAX_CLAIM_TERMS

    def __init__(self, graph, free=False):
        self.graph = graph
        self.free = free
        self.given = {}
        self.names = {}
        self._splits = {}
        for n in graph.names if graph is not None else ():
            self.add(n)

    def add(self, name):
        self.names.setdefault(name, name)
        self.names.setdefault(canonical(name), name)
        self._splits = {}           # the readings of a run of letters depend on the names known

    def known(self, n):
        """Is `n` a name here (the LaTeX reader asks before reading e^{x} as exp)?"""
        return self.lookup(n) is not None

    def lookup(self, n):
        hit = self.names.get(n) or self.names.get(canonical(n))
        if hit is None and len(n) > 1 and self.graph is not None:
            hit = by_case(n, self.graph.names)
        return hit

    def adjoint_base(self, n):
        if MACRON in n:
            return n.replace(MACRON, "")
        for suffix in (BAR, "bar"):
            if n.endswith(suffix) and len(n) > len(suffix):
                return n[: -len(suffix)]
        return None

    def name(self, tok):
        n = spelled(str(tok))
        if LEIBNIZ_MARK in n:
            a, b = n.split(LEIBNIZ_MARK, 1)
            return self.local(_renamed(tok, a), _renamed(tok, b))
        if (MACRON in n and not self.lookup(n) and not self.lookup(self.adjoint_base(n) or "")
                and _bar_pieces(n)):
            out = 1
            for piece in _bar_pieces(n):
                out = out * self.name(_renamed(tok, piece))
            return out
        if n in SPELLINGS:
            raise error(f"'{n}' is a function: write {n}(...)", tok)
        hit = self.lookup(n)
        splits = self.splits(n)
        if hit and splits and not self.free:
            raise error(f"'{n}' is ambiguous: the name {hit} or the product "
                        + "·".join(splits[0]) + "; write a space or * between factors", tok)
        if hit:
            return sym(hit)
        base = self.adjoint_base(n)
        if base is not None and self.lookup(base):
            return bar(self.lookup(base))
        if n == "e":
            return sympy.E          # Euler's number, unless the spec names a variable e
        adjoint = self._numpy_adjoint(n)
        if adjoint is not None:
            return bar(adjoint)
        if len(splits) == 1:
            out = 1
            for piece in splits[0]:
                out = out * sym(piece)
            return out
        if len(splits) > 1:
            raise error(f"'{n}' is ambiguous: " + " or ".join("·".join(s) for s in splits[:3]), tok)
        if self.free:
            if n.isascii() and n.isalpha() and 2 <= len(n) <= 4 and n not in GREEK_NAMES:
                out = 1
                for letter in n:
                    self.add(letter)
                    out = out * sym(letter)
                return out
            self.add(n)
            return sym(n)
        raise error(f"unknown name '{n}'; known names: {', '.join(self.graph.names)}", tok)

    def _numpy_adjoint(self, n):
        """`grad_h`, `dW1`, `dout` (the output's): numpy's names of adjoints."""
        if self.graph is None:
            return None
        if n == "dout" and not self.lookup("out"):
            return self.graph.output
        return numpy_adjoint(n, self.lookup)

    def where(self, tok, args):
        return choice(tok, args, lambda a, op, b, t: iverson(self, a, op, b, t))

    def call(self, tok, args):
        n = spelled(str(tok))
        pieces = _bar_pieces(n) if MACRON in n else None
        if pieces and pieces[-1] in SPELLINGS:
            head = 1
            for piece in pieces[:-1]:
                head = head * self.name(_renamed(tok, piece))
            return head * super().call(_renamed(tok, pieces[-1]), args)
        return super().call(tok, args)

    def prime_call(self, tok, args):
        n = spelled(str(tok))
        pieces = _bar_pieces(n) if MACRON in n else None
        if pieces and pieces[-1] in PRIMES:
            head = 1
            for piece in pieces[:-1]:
                head = head * self.name(_renamed(tok, piece))
            return head * super().prime_call(_renamed(tok, pieces[-1]), args)
        return super().prime_call(tok, args)

    def splits(self, n):
        """Ways to read `n` as a product of known names (juxtaposition); once per name (a
        multiplied-out gradient names w2 hundreds of times)."""
        if n not in self._splits:
            self._splits[n] = self._read_splits(n)
        return [list(s) for s in self._splits[n]]

    def _read_splits(self, n):
        if len(n) > MAX_SPLIT or self.graph is None and not self.free:
            return []
        names = [k for k in sorted(set(self.names.values())) if k != n]
        out = []

        def walk(rest, acc):
            if len(out) > 3:
                return
            if not rest:
                if len(acc) > 1:
                    out.append(acc)
                return
            for k in names:
                if rest.startswith(k):
                    walk(rest[len(k):], acc + [k])
        walk(n, [])
        return sorted(out)

    def definition(self, name):
        """A name's expression in the leaves (forward names expanded)."""
        return self.graph.full[name] if self.graph is not None and name in self.graph.full else sym(name)

    def expand(self, expr, line=1, col=1):
        """`expr` with every forward name replaced by its definition in the leaves; a name the
        graph does not write out (`Graph.unwritten`) is an error at line:col, since keeping it
        as a symbol would make it a constant to d/dw."""
        if self.graph is not None:
            expr = expr.xreplace({sym(n): self.graph.full[n] for n in self.graph.defs})
            self.written(expr, line, col)
        return expr.xreplace(self.given) if self.given else expr

    def written(self, expr, line=1, col=1):
        kept = sorted(s.name for s in expr.free_symbols if s.name in self.graph.unwritten)
        if kept:
            raise ParseError(f"'{kept[0]}' is too large to write out in the inputs (more than "
                             f"{MAX_WRITTEN_SIZE:,} operations or {MAX_WRITTEN_DEPTH} levels), so it cannot be "
                             "expanded or differentiated here; judge adjoint equations instead", line, col)
        return expr

    def deriv(self, tok, inner):
        """d/dv of `inner`: for an input v, of its expansion in the inputs; for a forward name v
        (`\\frac{d\\sigma(z)}{dz}`), of `inner` with the names computed from v written out down to v."""
        name = _operator_variable(str(tok))
        var = self.lookup(name) or (name if self.free else None)
        if var is None:
            raise error(f"unknown variable '{name}' in derivative operator", tok)
        if self.graph is not None and var in self.graph.defs:
            return derivative(self._down_to(inner, var), sym(var))
        return derivative(self.expand(inner, *_where(tok)), sym(var))

    def _down_to(self, expr, var):
        """`expr` with every forward name that depends on `var` replaced by its definition, until
        only `var` and names independent of it remain."""
        defs = self.graph.defs
        above = {var}
        for n in defs:
            if any(p in above for p in defs[n].parents):
                above.add(n)
        above.discard(var)
        swap = {sym(n): defs[n].expr for n in above}
        for _ in range(len(swap) + 1):
            if not swap or not (expr.free_symbols & set(swap)):
                break
            expr = expr.xreplace(swap)
        return expr

    def local(self, a, b):
        """`\\frac{da}{db}`: the local derivative of a's definition with respect to b when b is in
        that definition (the lecture's d L_reg / d R); otherwise, for an input b, the whole
        derivative ∂a/∂b through the graph."""
        na, nb = self.lookup(spelled(str(a))), self.lookup(spelled(str(b)))
        if self.graph is None or na not in self.graph.defs or nb is None:
            raise error(f"no derivative d{a}/d{b} in this graph", a)
        if nb in self.graph.defs[na].parents:
            return derivative(self.graph.defs[na].expr, sym(nb))
        if na == self.graph.output and nb in self.graph.defs:
            return bar(nb)          # ∂L/∂z with the output on top: the adjoint z̄
        if nb in self.graph.defs and self._down_to(sym(na), nb).has(sym(nb)):
            return derivative(self._down_to(sym(na), nb), sym(nb))
        if nb in self.graph.inputs:
            return derivative(self.written(self.graph.full[na], *_where(a)), sym(nb))
        raise error(f"d{na}/d{nb}: {nb} is not in the definition of {na}, nor an input", b)

    def matmul(self, a, b, tok):
        raise error("a matrix product needs a matrix spec: this spec declares no shapes", tok)

    def sum_index(self, tok, body):
        raise error("index sums (Σ_k) are for matrix specs; in this scalar spec write the terms out", tok)


_NOT = {">": "<=", ">=": "<", "<": ">=", "<=": ">", "≥": "<", "≤": ">"}


def choice(tok, args, bracket):
    """numpy's `where(c, a, b)`: a·[c] + b·[not c], entry by entry on matrices (the sum of Iverson
    brackets a two-branch `cases` makes); `bracket(a, op, b, tok)` builds the scope's bracket."""
    if len(args) != 3 or not isinstance(args[0], Comparison) or any(
            isinstance(a, (Comparison, Keyword)) for a in args[1:]):
        raise error("np.where(c, a, b) is read with a comparison c (x > 0) and two values a, b", tok)
    c, yes, no = args
    return yes * bracket(c.a, c.op, c.b, c.tok) + no * bracket(c.a, _NOT[c.op], c.b, c.tok)


LEIBNIZ_MARK = "\u03f6"       # `dy/dz` in plain text reaches the grammar as the name `y϶z`
_LEIBNIZ = re.compile(r"(?<![\w.])(?:d|∂)[ \t]*([A-Za-z\u0370-\u03ff][\w\u0304]*)[ \t]*/[ \t]*(?:d|∂)[ \t]*"
                      r"([A-Za-z\u0370-\u03ff][\w\u0304]*)")
_NP = re.compile(r"(?<![\w.])(?:np|numpy)\.(?=[A-Za-z])")
_DOT = re.compile(r"\.dot[ \t]*\(")
_NP_NAMES = {"maximum": "max", "minimum": "min", "copy": ""}
_NP_CALL = re.compile(r"(?<![\w.])(maximum|minimum|copy)(?=[ \t]*\()")
_COPY = re.compile(r"\.copy[ \t]*\([ \t]*\)")
_KEEPDIMS = re.compile(r"[ \t]*,[ \t]*keepdims[ \t]*=[ \t]*(?:True|False|1|0)")
_CMP = re.compile(r">=|<=|>|<|≥|≤")


def _renamed(tok, text):
    """A NAME token holding `text`, at `tok`'s place (or `text` itself when tok is a plain str)."""
    update = getattr(tok, "update", None)
    return update("NAME", text) if update is not None else text


def _bar_pieces(n):
    """`z̄x` -> ['z̄', 'x'], `ȳσ` -> ['ȳ', 'σ']: a name run that holds a barred letter before other
    letters, cut after each bar; None when there is nothing to cut."""
    pieces = [p for p in re.findall(r"[^\u0304]+\u0304|[^\u0304]+", n)]
    return pieces if len(pieces) > 1 else None


def by_case(n, names):
    """The one graph name that equals `n` up to letter case (`w2` for W2), else None."""
    hits = [k for k in names if k.lower() == n.lower() or canonical(k).lower() == canonical(n).lower()]
    return hits[0] if len(set(hits)) == 1 else None


def plain_spellings(text, scope):
    """Plain text with numpy's and Leibniz's spellings rewritten for the grammar, column for
    column: `np.exp` -> `exp`, `np.maximum` -> `max`, `a.dot(b)` -> `a@(b)`, `, keepdims=True`
    and `.copy()` dropped (`np.copy(a)` is `(a)`), `a.sum(axis=0)` -> `sum(a,axis=0)`, a bracket
    holding a comparison `(h > 0)` -> the mask `[h > 0]` (not a call's brackets: `np.where(h > 0,
    …)` takes the comparison itself), and `dy/dz` (a
    local derivative, when the scope knows y and z and not dy) -> the name `y϶z`."""
    if "np." in text or "numpy." in text:
        text = _NP.sub(lambda m: " " * len(m.group()), text)
        text = _NP_CALL.sub(lambda m: _NP_NAMES[m.group(1)].ljust(len(m.group(1))), text)
    if ".copy" in text:
        text = _COPY.sub(lambda m: " " * len(m.group()), text)
    if ".dot" in text:
        text = _DOT.sub(lambda m: "@" + " " * (len(m.group()) - 2) + "(", text)
    if "keepdims" in text:
        text = _KEEPDIMS.sub(lambda m: " " * len(m.group()), text)
    if ".sum" in text or ".mean" in text:
        text = _methods(text)
    if "²" in text or "³" in text or "^" in text:
        text = _powers_moved(text)
    if "(" in text and _CMP.search(text):
        text = _masks(text)
    if "/" in text and scope.takes_local():
        text = _LEIBNIZ.sub(lambda m: _leibniz(m, scope), text)
    return text


_METHOD = re.compile(r"\.(sum|mean)[ \t]*\(")


def _methods(text):
    """`a.sum(axis=0)`, `(y - t).mean()`, `h.T.sum(1)` -> `sum(a,axis=0)`, `mean((y - t))`, ...: numpy's
    reductions as methods become calls, same length (the operand a name, a dotted name or a bracket)."""
    for m in list(_METHOD.finditer(text))[::-1]:
        start = _operand_start(text, m.start())
        close = _closing_paren(text, m.end() - 1)
        if start is None or close is None:
            continue
        args = text[m.end():close]
        call = f"{m.group(1)}({text[start:m.start()]}" + ("," + args if args.strip() else "") + ")"
        text = text[:start] + call.ljust(close + 1 - start) + text[close + 1:]
    return text


def _operand_start(text, end):
    """Where the operand that ends at `end` starts: a bracket, or a name with `.T`s; None if neither."""
    if end > 0 and text[end - 1] == ")":
        depth = 0
        for i in range(end - 1, -1, -1):
            depth += (text[i] == ")") - (text[i] == "(")
            if depth == 0:
                return i
        return None
    i = end
    while i > 0 and (text[i - 1].isalnum() or text[i - 1] in "_."):
        i -= 1
    return i if i < end and not text[i].isdigit() and text[i] != "." else None


def _closing_paren(text, i):
    depth = 0
    for j in range(i, len(text)):
        depth += (text[j] == "(") - (text[j] == ")")
        if depth == 0:
            return j
    return None


_FUNC_POWER = re.compile(r"(?<![\w.])(sigma|sigmoid|σ|tanh|exp|log|ln|sin|cos|relu|softplus|sqrt|abs)"
                         r"(²|³|\^[ \t]*[0-9])(?=[ \t]*\()")


def _powers_moved(text):
    """`tanh²(z)`, `tanh^2(z)` -> `tanh(z)²`, `tanh(z)^2`: the power after the call, same length."""
    for m in list(_FUNC_POWER.finditer(text))[::-1]:
        depth, i = 0, text.index("(", m.end())
        for j in range(i, len(text)):
            depth += text[j] == "("
            depth -= text[j] == ")"
            if depth == 0:
                text = text[:m.start()] + m.group(1) + text[m.end():j + 1] + m.group(2) + text[j + 1:]
                break
    return text


def _masks(text):
    """`(h > 0)` -> `[h > 0]`: a round bracket whose top level holds a comparison, unless it is a
    call's (`where(h > 0, a, b)`: the grammar reads a comparison as an argument)."""
    chars, stack = list(text), []
    for i, ch in enumerate(text):
        if ch == "(" and _called(text, i):
            stack.append([i, None])
        elif ch in "([{":
            stack.append([i, False])
        elif ch in ")]}" and stack:
            start, has = stack.pop()
            if has and ch == ")" and text[start] == "(":
                chars[start], chars[i] = "[", "]"
        elif stack and (ch in "<>≥≤") and not (ch in "<>" and text[i + 1:i + 2] == ch) and stack[-1][1] is not None:
            stack[-1][1] = True
    return "".join(chars)


def _called(text, i):
    """Is the bracket at text[i] a call's, right after a name (`where(`, `w1(`; not `1(`)?"""
    j = i
    while j > 0 and (text[j - 1].isalnum() or text[j - 1] == "_"):
        j -= 1
    return j < i and (text[j].isalpha() or text[j] == "_")


def _leibniz(m, scope):
    a, b = m.group(1), m.group(2)
    lookup = scope.lookup
    if not lookup(spelled(a)) or not lookup(spelled(b)) or lookup(spelled("d" + a)):
        return m.group()
    return (a + LEIBNIZ_MARK + b).ljust(len(m.group()))


def balanced(text, line=1, col=1):
    """An unclosed or unmatched bracket is an error at that bracket, with where it opened
    ("unclosed '(' opened at 2:16"), before any grammar reads past it."""
    if not any(c in text for c in "()[]{}") or "\\left" in text or "\\right" in text:
        return              # sized delimiters (`\left( … \right.`): the LaTeX reader says what is wrong
    stack, i, n = [], 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and text[i + 1:i + 2] in ("{", "}", "\\"):
            i += 2
            continue
        if ch in "([{":
            stack.append(i)
        elif ch in ")]}":
            if not stack:
                raise ParseError(f"unmatched '{ch}'", *_at(text, i, line, col))
            stack.pop()
        i += 1
    if stack:
        where = _at(text, stack[-1], line, col)
        raise ParseError(f"unclosed '{text[stack[-1]]}' opened at {where[0]}:{where[1]}", *where)


def _at(text, i, line, col):
    """(line, column) in the document of text[i], `text` starting at line:col."""
    nl = text.count("\n", 0, i)
    return (line + nl, col + i if nl == 0 else i - text.rfind("\n", 0, i))


def _operator_variable(text):
    """`d/dw` or `∂/∂w` -> `w`; the LaTeX reader's DERIV token is already the bare `w`."""
    if "/" not in text:
        return spelled(text.strip())
    right = text.split("/", 1)[1].strip()
    return spelled(right[1:].strip())


def read_expression(text, scope, line=1, col=1, fmt=None):
    """One expression, plain or LaTeX (auto-detected unless `fmt` says)."""
    if isinstance(text, Refused):
        raise ParseError(text.message, line + text.lines, text.col)
    balanced(text, line, col)
    if (fmt or ("latex" if is_latex(text) else "plain")) == "latex":
        from .latex import parse_latex_expression     # the LaTeX reader loads on first LaTeX
        return parse_latex_expression(text, scope, line, col)
    return parse_expression(plain_spellings(text, scope), scope, line, col)


__all__ = ["ClaimScope", "ParseError", "read_expression", "is_latex"]


def _where(tok):
    """(line, col) of a Lark token, or 1:1 for a name built by hand."""
    return getattr(tok, "line", None) or 1, getattr(tok, "column", None) or 1
