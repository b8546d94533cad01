"""Expression printers: one `_print_<Class>` method per node kind, one dispatch (as SymPy's).

`Text` prints plain text (ASCII that the plain reader parses back, or Unicode for people);
`Latex` prints LaTeX that the LaTeX reader parses back. Names come from one function each.
"""
import re
from collections import Counter
from functools import lru_cache

import sympy

from .functions import BAR
from .matrix import Const, Elem, Fill, MatMul, MExpr, slot
from .names import GREEK_NAMES, GREEK_UNICODE
from .rules import primitive

ADD, MUL, NEG, POW, ATOM = 10, 20, 25, 30, 100


def precedence(e):
    if isinstance(e, MExpr):
        if isinstance(e, Elem):
            return precedence(e.template)
        if isinstance(e, Const):
            return precedence(e.value)
        return MUL - 1 if isinstance(e, (MatMul, Fill)) else ATOM
    if e.is_Add:
        return ADD
    if e.is_Mul:
        return NEG if e.could_extract_minus_sign() else MUL
    if e.is_Rational and not e.is_Integer:
        return MUL if e > 0 else NEG
    if e.is_Number and e < 0:
        return NEG
    if e.is_Pow:
        return ATOM if e.exp == sympy.S.Half else MUL if e.exp.is_negative else POW   # sqrt(x) is atomic
    return ATOM


def position(e, rank):
    """Where `e` first appears in the spec: the earliest of its names."""
    return min((rank.get(s.name, len(rank)) for s in e.free_symbols), default=len(rank))


def ordered_terms(e, rank=None):
    """Terms as the spec writes them (names in order of appearance), minus and constants last:
    `w·x + b + 1`, `1 - y`; the larger term first among those that tie (its size is counted only
    for those: counting every term of a multiplied-out gradient cost more than printing it)."""
    rank = rank or {}
    terms = sympy.Add.make_args(e)
    heads = [(t.could_extract_minus_sign(), t.is_Number, position(t, rank)) for t in terms]
    ties = Counter(heads)
    keys = [h + ((-_ops(t),) if ties[h] > 1 else (0,)) for h, t in zip(heads, terms)]
    if len(set(keys)) < len(keys):      # SymPy's own order of the terms breaks the ties left
        order = {t: k for t, k in zip(terms, keys)}
        terms = e.as_ordered_terms()
        keys = [order[t] for t in terms]
    return [t for _, t in sorted(zip(keys, terms), key=lambda p: p[0])]


@lru_cache(maxsize=4096)
def _ops(t):
    """sympy.count_ops of a term, once per term (a readback prints each sum twice: text and LaTeX)."""
    return sympy.count_ops(t)


def split_mul(e, rank=None):
    """(sign, numerator factors, denominator factors) of a product, factors in spec order."""
    coeff, factors = e.as_coeff_mul()
    num, den = [], []
    rank = rank or {}
    for f in sorted(sympy.Mul(*factors).as_ordered_factors(), key=lambda f: position(f, rank)):
        if f.is_Pow and f.exp.is_Number and f.exp < 0:
            den.append(f.base ** -f.exp)
        else:
            num.append(f)
    sign = "-" if coeff < 0 else ""
    coeff = abs(coeff)
    if coeff.q != 1 and num and not den:
        return sign, [coeff] + num, []
    if coeff.q != 1:
        den.insert(0, sympy.Integer(coeff.q))
    if coeff.p != 1:
        num.insert(0, sympy.Integer(coeff.p))
    return sign, num, den


def ranked(printer, graph):
    """`printer` writing terms and factors in the order the graph's spec first names them."""
    printer.rank = getattr(graph, "rank", {})
    return printer


class Printer:
    times = "*"
    hadamard = "*"
    slots = {}
    rank = {}

    _memo = None

    def doprint(self, e):
        """`e` printed; a subexpression the tree repeats (the full expansion of a deep chain
        writes each layer many times) is printed once per call."""
        outer, self._memo = self._memo, {}
        try:
            return self._print(sympy.Integer(e) if isinstance(e, int) else e)
        finally:
            self._memo = outer

    def forward(self, graph, node):
        """A node's expression with its names in the order its own line writes them."""
        outer = self.rank
        own = {p: i for i, p in enumerate(node.parents)}
        self.rank = {**{k: v + len(own) for k, v in outer.items()}, **own}
        try:
            return self.doprint(node.expr)
        finally:
            self.rank = outer

    def term(self, t):
        """One edge of an adjoint: upstream adjoint × local derivative, upstream first.
        A matrix term is already one expression (ȳ hᵀ, W⁽²⁾ᵀ ȳ)."""
        if not hasattr(t, "local"):
            return self._print(t.expr)
        up = self.name(t.upstream + BAR)
        if t.local == 1:
            return up
        level = ATOM if t.local.could_extract_minus_sign() else MUL
        return up + self.times + self.paren(t.local, level)

    def adjoint(self, a):
        if a.output:
            return "1"
        out = ""
        for t in a.terms:
            s = self.term(t)
            out += (" - " + s[1:] if s.startswith("-") else " + " + s) if out else s
        return out or "0"

    def _print(self, e):
        memo = self._memo if not self.slots and isinstance(e, sympy.Basic) else None
        if memo is not None and e in memo:
            return memo[e]
        for cls in type(e).__mro__:
            method = getattr(self, "_print_" + cls.__name__, None)
            if method is not None:
                out = method(e)
                if memo is not None:
                    memo[e] = out
                return out
        raise TypeError(f"cannot print {type(e).__name__}")

    def paren(self, e, level):
        s = self._print(e)
        return self.wrap(s) if precedence(self.slots.get(e, e)) < level else s

    def _print_Symbol(self, e):
        arg = self.slots.get(e)
        if arg is None:
            return self.name(e.name)
        outer, self.slots = self.slots, {}
        try:
            return self._print(arg)
        finally:
            self.slots = outer

    def sep(self, a, b):
        """What stands between two factors: × for scalars, ∘ between two matrices."""
        def matrix(f):
            return any(not self.slots[s].is_scalar for s in getattr(f, "free_symbols", ()) if s in self.slots)
        return self.hadamard if matrix(a) and matrix(b) else self.times

    def join(self, factors, level):
        out = self.paren(factors[0], level)
        for prev, f in zip(factors, factors[1:]):
            out += self.sep(prev, f) + self.paren(f, level)
        return out

    def _print_Leaf(self, e):
        return self.name(e.name)

    def _print_Const(self, e):
        return self._print(e.value)

    def _print_Elem(self, e):
        outer, self.slots = self.slots, {slot(i): a for i, a in enumerate(e.args)}
        try:
            return self._print(e.template)
        finally:
            self.slots = outer

    def _print_MatMul(self, e):
        left = self._print(e.a) if isinstance(e.a, MatMul) else self.paren(e.a, MUL + 1)
        right = self.paren(e.b, MUL + 1)
        return left + self.matmul + (self.wrap(right) if right.startswith("-") else right)

    def _print_Transpose(self, e):
        base = self.paren(e.a, ATOM)
        return self.group(base) + self.transposed if "^" in base else base + self.transposed

    def group(self, s):
        return s

    def _print_Reduce(self, e):
        return self.reduce(e.kind, self._print(e.a), e.axis)

    def _print_Fill(self, e):
        return (self.call_name("ones") + self.wrap(f"{self._print(e.shape[0])}, {self._print(e.shape[1])}")
                + self.times + self.paren(e.a, MUL))

    def call_name(self, name):
        return name

    def _print_OneHot(self, e):
        return self.call_name("onehot") + self.wrap(self._print(e.label))

    def _print_Pick(self, e):
        return self.call_name("pick") + self.wrap(f"{self._print(e.a)}, {self._print(e.label)}")

    def _print_CrossEntropy(self, e):
        return self.call_name("cross_entropy") + self.wrap(f"{self._print(e.a)}, {self._print(e.label)}")

    def along(self, name, e):
        """softmax / log_softmax / logsumexp: the axis written unless it is a column's 0."""
        return self.axis_call(name, self._print(e.a), None if e.a.shape[1] == 1 else e.axis)

    def _print_Softmax(self, e):
        return self.along("softmax", e)

    def _print_LogSoftmax(self, e):
        return self.along("log_softmax", e)

    def _print_LogSumExp(self, e):
        return self.along("logsumexp", e)

    def axis_call(self, name, arg, axis):
        return self.call_name(name) + self.wrap(arg if axis is None else f"{arg}, axis={axis}")

    def _print_Add(self, e):
        out = ""
        for i, t in enumerate(ordered_terms(e, self.rank)):
            if t.could_extract_minus_sign():
                s = self.paren(-t, ADD + 1)
                out += ("-" if i == 0 else " - ") + s
            else:
                out += ("" if i == 0 else " + ") + self.paren(t, ADD + 1)
        return out

    def _print_Integer(self, e):
        return str(e.p)

    def _print_Exp1(self, e):
        return "e"

    def _print_Pi(self, e):
        return "pi"

    def _print_Function(self, e):
        p = primitive(e)
        return self.call(p, e.args)


class Text(Printer):
    """Plain text. ascii=True parses back; ascii=False is for people (λ, σ′, z̄, ·)."""

    def __init__(self, ascii=True):
        self.ascii = ascii
        self.times = "*" if ascii else "·"
        self.hadamard = "*" if ascii else " ∘ "
        self.matmul = " @ " if ascii else " "
        self.transposed = ".T" if ascii else "ᵀ"

    def reduce(self, kind, arg, axis):
        return f"{kind}({arg}" + (f", axis={axis})" if axis is not None else ")")

    def wrap(self, s):
        return f"({s})"

    def name(self, name):
        if self.ascii:
            return name
        adjoint = name.endswith(BAR)
        base = name[: -len(BAR)] if adjoint else name
        head, sep, sub = base.partition("_")
        digits = re.fullmatch(r"([A-Za-z]+?)(\d+)", head) if not sep else None
        if digits:   # w0: the bar goes on the w
            head, sub = digits.groups()
        head = GREEK_UNICODE.get(head, head)
        return head + ("\u0304" if adjoint else "") + ("_" + sub if sep else sub)

    def _print_Rational(self, e):
        return f"{e.p}/{e.q}"

    def _print_Pi(self, e):
        return "pi" if self.ascii else "π"

    def _print_Float(self, e):
        return sympy.sstr(e)

    def _print_Mul(self, e):
        sign, num, den = split_mul(e, self.rank)
        top = self.join(num, MUL) if num else "1"
        if not den:
            return sign + top
        bottom = self.times.join(self.paren(f, POW) for f in den)
        return f"{sign}{top}/{self.wrap(bottom) if len(den) > 1 else bottom}"

    def _print_Pow(self, e):
        if e.exp == sympy.S.Half:
            return f"sqrt({self._print(e.base)})"
        if e.exp.is_Number and e.exp < 0:
            return self._print_Mul(e)
        base = self.paren(e.base, POW + 1)
        return f"{base}^{self.paren(e.exp, POW + 1)}"

    def call(self, p, args):
        name = p.ascii if self.ascii else p.uni
        return f"{name}({', '.join(self._print(a) for a in args)})"

    def _print_IndGe(self, e):
        return f"[{self._print(e.args[0])} {'>=' if self.ascii else '≥'} {self._print(e.args[1])}]"

    def _print_IndGt(self, e):
        return f"[{self._print(e.args[0])} > {self._print(e.args[1])}]"


class Latex(Printer):
    """LaTeX; `names` maps a name to its LaTeX (the spec's `latex:` line)."""

    times = r"\, "
    hadamard = r" \circ "
    matmul = r"\, "
    transposed = r"^\top"

    def __init__(self, names=None):
        self.names = names or {}

    def group(self, s):
        return "{" + s + "}"

    def call_name(self, name):
        escaped = name.replace("_", r"\_")
        return rf"\operatorname{{{escaped}}}"

    def axis_call(self, name, arg, axis):
        sub = f"_{{{axis}}}" if axis is not None else ""
        return rf"{self.call_name(name)}{sub}\left({arg}\right)"

    def reduce(self, kind, arg, axis):
        if kind == "norm2":
            return rf"\left\lVert {arg} \right\rVert^{{2}}"
        sub = f"_{{{axis}}}" if axis is not None else ""
        return rf"\operatorname{{{kind}}}{sub}\left({arg}\right)"

    def wrap(self, s):
        return rf"\left({s}\right)"

    def name(self, name):
        adjoint = name.endswith(BAR)
        base = name[: -len(BAR)] if adjoint else name
        tex = self.names.get(base) or default_latex(base)
        if not adjoint:
            return tex
        head, rest = split_latex_base(tex)
        return rf"\bar{{{head}}}{rest}"

    def _print_Rational(self, e):
        return rf"\frac{{{e.p}}}{{{e.q}}}"

    def _print_Pi(self, e):
        return r"\pi"

    def _print_Float(self, e):
        return sympy.sstr(e)

    def _print_Mul(self, e):
        sign, num, den = split_mul(e, self.rank)
        top = self.product(num)
        if not den:
            return sign + top
        return rf"{sign}\frac{{{top}}}{{{self.product(den)}}}"

    def product(self, factors):
        if not factors:
            return "1"
        parts = [self.paren(f, MUL) for f in factors]
        out = parts[0]
        for prev, f, part in zip(factors, factors[1:], parts[1:]):
            out += (r" \cdot " if prev.is_Number and part[:1].isdigit() else self.sep(prev, f)) + part
        return out

    def _print_Pow(self, e):
        if e.exp == sympy.S.Half:
            return rf"\sqrt{{{self._print(e.base)}}}"
        if e.exp.is_Number and e.exp < 0:
            return self._print_Mul(e)
        return f"{self.paren(e.base, POW + 1)}^{{{self._print(e.exp)}}}"

    def call(self, p, args):
        return rf"{p.latex}\left({', '.join(self._print(a) for a in args)}\right)"

    def _print_IndGe(self, e):
        return rf"\left[{self._print(e.args[0])} \geq {self._print(e.args[1])}\right]"

    def _print_IndGt(self, e):
        return rf"\left[{self._print(e.args[0])} > {self._print(e.args[1])}\right]"


def default_latex(name):
    """`w0` -> `w_{0}`, `L_reg` -> `L_{reg}`, `lambda` -> `\\lambda`, `W_1_2` -> `W_{1,2}`."""
    m = re.fullmatch(r"([A-Za-z]+?)(\d+)", name)
    head, sub = (m.group(1), m.group(2)) if m and "_" not in name else (name.split("_")[0], ",".join(name.split("_")[1:]))
    head = "\\" + head if head in GREEK_NAMES else head if len(head) == 1 else rf"\mathrm{{{head}}}"
    return head + (f"_{{{sub}}}" if sub else "")


def split_latex_base(tex):
    """`\\mathcal{L}_{reg}` -> (`\\mathcal{L}`, `_{reg}`): where a bar goes."""
    depth = 0
    for i, ch in enumerate(tex):
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 0 and ch in "_^" and i:
            return tex[:i], tex[i:]
    return tex, ""
