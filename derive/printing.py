"""Expression printers: one `_print_<Class>` method per node kind, one dispatch (as SymPy's).

`Text` prints plain text (ASCII that the plain reader parses back, or Unicode for people);
`Latex` prints LaTeX that the LaTeX reader parses back. Names come from one function each.
"""
import re

import sympy

from .functions import BAR, IndGe, IndGt
from .names import GREEK_NAMES, GREEK_UNICODE
from .rules import primitive

ADD, MUL, NEG, POW, ATOM = 10, 20, 25, 30, 100


def precedence(e):
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


def ordered_terms(e):
    return sorted(e.as_ordered_terms(),
                  key=lambda t: (t.is_Number, t.could_extract_minus_sign(), -sympy.count_ops(t)))


def split_mul(e):
    """(sign, numeric coefficient, numerator factors, denominator factors) of a product."""
    coeff, factors = e.as_coeff_mul()
    num, den = [], []
    for f in sympy.Mul(*factors).as_ordered_factors():
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


class Printer:
    times = "*"

    def doprint(self, e):
        return self._print(sympy.Integer(e) if isinstance(e, int) else e)

    def term(self, t):
        """One edge of an adjoint: upstream adjoint × local derivative, upstream first."""
        up = self.name(t.upstream + BAR)
        if t.local == 1:
            return up
        level = ATOM if t.local.could_extract_minus_sign() else MUL
        return up + self.times + self.paren(t.local, level)

    def adjoint(self, a):
        return "1" if a.output else " + ".join(self.term(t) for t in a.terms) or "0"

    def _print(self, e):
        for cls in type(e).__mro__:
            method = getattr(self, "_print_" + cls.__name__, None)
            if method is not None:
                return method(e)
        raise TypeError(f"cannot print {type(e).__name__}")

    def paren(self, e, level):
        s = self._print(e)
        return self.wrap(s) if precedence(e) < level else s

    def _print_Add(self, e):
        out = ""
        for i, t in enumerate(ordered_terms(e)):
            if t.could_extract_minus_sign():
                s = self.paren(-t, MUL)
                out += ("-" if i == 0 else " - ") + s
            else:
                out += ("" if i == 0 else " + ") + self.paren(t, MUL)
        return out

    def _print_Integer(self, e):
        return str(e.p)

    def _print_Exp1(self, e):
        return "e"

    def _print_Function(self, e):
        p = primitive(e)
        return self.call(p, e.args)


class Text(Printer):
    """Plain text. ascii=True parses back; ascii=False is for people (λ, σ′, z̄, ·)."""

    def __init__(self, ascii=True):
        self.ascii = ascii
        self.times = "*" if ascii else "·"

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

    def _print_Symbol(self, e):
        return self.name(e.name)

    def _print_Rational(self, e):
        return f"{e.p}/{e.q}"

    def _print_Float(self, e):
        return sympy.sstr(e)

    def _print_Mul(self, e):
        sign, num, den = split_mul(e)
        top = self.times.join(self.paren(f, MUL) for f in num) if num else "1"
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

    def __init__(self, names=None):
        self.names = names or {}

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

    def _print_Symbol(self, e):
        return self.name(e.name)

    def _print_Rational(self, e):
        return rf"\frac{{{e.p}}}{{{e.q}}}"

    def _print_Float(self, e):
        return sympy.sstr(e)

    def _print_Mul(self, e):
        sign, num, den = split_mul(e)
        top = self.product(num)
        if not den:
            return sign + top
        return rf"{sign}\frac{{{top}}}{{{self.product(den)}}}"

    def product(self, factors):
        if not factors:
            return "1"
        parts = [self.paren(f, MUL) for f in factors]
        out = parts[0]
        for prev, part in zip(factors, parts[1:]):
            out += (r" \cdot " if prev.is_Number and part[:1].isdigit() else r"\, ") + part
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
