"""`--index-form`: matrix adjoints written entry by entry, h̄ᵢ = Σₖ ȳₖ W⁽²⁾ₖᵢ, as the lecture's
scalar form, in Unicode text or LaTeX. One `_idx_<Class>` method per matrix node kind."""
import re

from .functions import BAR
from .matrix import ONE, Leaf, slot
from .printing import ATOM, MUL, Latex, Text, precedence, ranked

LETTERS = "ijklmnpqrsuv"


class IndexForm:
    """Prints a matrix expression at entry (row, col); a sum for every summed index. The text or
    LaTeX printer it is mixed into gives names and numbers; `SUM`, `SPACE` and `entry` the rest."""

    def start(self):
        self.used = set()

    def fresh(self):
        letter = next(c for c in LETTERS if c not in self.used)
        self.used.add(letter)
        return letter

    def at(self, e, r, c):
        return getattr(self, "_idx_" + type(e).__name__)(e, r, c)

    def sub(self, shape, r, c):
        return "".join(x for x, n in ((r, shape[0]), (c, shape[1])) if n != ONE)

    def summed(self, k):
        return self.SUM.format(k)

    def is_sum(self, s):
        return s.startswith(self.SUM.split("{")[0])

    def _idx_Leaf(self, e, r, c):
        return self.entry(self.name(e.name), self.sub(e.shape, r, c))

    def _idx_Const(self, e, r, c):
        return self._print(e.value)

    def _idx_MatMul(self, e, r, c):
        if e.a.shape[1] == ONE:
            return self.bracket(self.at(e.a, r, "")) + self.SPACE + self.bracket(self.at(e.b, "", c))
        k = self.fresh()
        return self.summed(k) + self.bracket(self.at(e.a, r, k)) + self.SPACE + self.bracket(self.at(e.b, k, c))

    def _idx_Transpose(self, e, r, c):
        return self.at(e.a, c, r)

    def _idx_Elem(self, e, r, c):
        strings = {slot(i): self.at(a, r if a.shape[0] != ONE else "", c if a.shape[1] != ONE else "")
                   for i, a in enumerate(e.args)}
        return self.slotted(strings).doprint(e.template)

    def _idx_Reduce(self, e, r, c):
        rr = self.fresh() if e.axis in (None, 0) and e.a.shape[0] != ONE else r
        cc = self.fresh() if e.axis in (None, 1) and e.a.shape[1] != ONE else c
        sums = "".join(self.summed(x) for x, y in ((rr, r), (cc, c)) if x != y)
        inner = self.at(e.a, rr, cc)
        if sums and inner.startswith("-"):      # Σ_k (-x_k): a sum sign needs a term after it
            inner = self.wrap(inner)
        if e.kind == "norm2":
            return sums + self.squared(inner)
        if e.kind == "mean":
            count = e.a.shape[0] * e.a.shape[1] if e.axis is None else e.a.shape[e.axis]
            return sums + self.over(inner, count)
        return sums + inner

    def _idx_Fill(self, e, r, c):
        return self.at(e.a, r if e.a.shape[0] != ONE else "", c if e.a.shape[1] != ONE else "")

    def _idx_OneHot(self, e, r, c):
        """𝟙[k = y] of one label, 𝟙[j = y_i] of a batch."""
        y = self.name(e.label.name)
        if e.label.shape == (ONE, ONE):
            return self.indicator(r, y)
        return self.indicator(c, self.entry(y, r))

    def _idx_Pick(self, e, r, c):
        """p_y: the true class's entry of a column; S_{i y_i} of a batch as Σ_k S_ik 𝟙[k = y_i]."""
        y = self.name(e.label.name)
        if e.label.shape == (ONE, ONE):
            if isinstance(e.a, Leaf):
                return self.entry(self.name(e.a.name), y)
            return self._idx_Op(e, r, c)
        k = self.fresh()
        return self.summed(k) + self.bracket(self.at(e.a, r, k)) + self.SPACE + self.indicator(k, self.entry(y, r))

    def _idx_Op(self, e, r, c):
        """A class-label op other than these: its value, entry (r, c)."""
        return self.entry(self.wrap(self._print(e)), self.sub(e.shape, r, c))

    _idx_CrossEntropy = _idx_Op

    def _lse(self, e, r, c):
        """log Σ_k exp(a_k) along e's axis, for entry (r, c): the notes' normalizer."""
        k = self.fresh()
        inner = self.at(e.a, r, k) if e.axis == 1 else self.at(e.a, k, c)
        return self.summed(k) + self.function("exp", inner)

    def _idx_Softmax(self, e, r, c):
        """p_k = exp(s_k) / Σ_j exp(s_j)."""
        return self.ratio(self.function("exp", self.at(e.a, r, c)), self._lse(e, r, c))

    def _idx_LogSoftmax(self, e, r, c):
        return self.wrap(self.at(e.a, r, c) + " - " + self.function("log", self._lse(e, r, c)))

    def _idx_LogSumExp(self, e, r, c):
        return self.function("log", self._lse(e, r, c))

    def bracket(self, s):
        """A factor of a product: bracketed when it is more than one term or factor (a sum sign
        takes the rest of the product, so Σ stays bare)."""
        return self.wrap(s) if " " in s and not self.is_sum(s) else s


class Index(IndexForm, Text):
    """Unicode index form: `h̄_i = Σ_k W2_ki ȳ_k`."""
    SUM = "Σ_{} "
    SPACE = " "

    def __init__(self):
        super().__init__(ascii=False)
        self.start()

    def entry(self, name, sub):
        return name + (f"_{sub}" if sub else "")

    def squared(self, s):
        return f"({s})²"

    def indicator(self, k, y):
        return f"𝟙[{k} = {y}]"

    def function(self, name, s):
        return f"{name}({s})"

    def ratio(self, a, b):
        return f"{self.bracket(a)}/({b})"

    def over(self, s, count):
        return f"{self.bracket(s)}/{self.paren(count, ATOM)}"

    def slotted(self, strings):
        return _TextSlots(strings)


class LatexIndex(IndexForm, Latex):
    r"""LaTeX index form with the spec's `latex:` names: `\bar{h}_{i} = \sum_{k} W^{(2)}_{ki}\, \bar{y}_{k}`."""
    SUM = r"\sum_{{{}}} "
    SPACE = r"\, "

    def __init__(self, names=None):
        super().__init__(names)
        self.start()

    def entry(self, tex, sub):
        """`W^{(2)}` -> `W^{(2)}_{ki}`; a name with a subscript gets the indices after a comma."""
        if not sub:
            return tex
        m = re.search(r"_\{([^{}]*)\}$", tex)
        return f"{tex[:m.start()]}_{{{m.group(1)},{sub}}}" if m else f"{tex}_{{{sub}}}"

    def squared(self, s):
        return rf"\left({s}\right)^{{2}}"

    def indicator(self, k, y):
        return rf"\mathbb{{1}}\left[{k} = {y}\right]"

    def function(self, name, s):
        return rf"\{name}\left({s}\right)"

    def ratio(self, a, b):
        return rf"\frac{{{a}}}{{{b}}}"

    def over(self, s, count):
        return rf"\frac{{{s}}}{{{self._print(count)}}}"

    def slotted(self, strings):
        return _LatexSlots(strings, self.names)


class _Slots:
    """A template printed with its placeholders replaced by already indexed strings; a string of
    more than one factor binds like a product."""

    def _print_Symbol(self, e):
        return self.strings.get(e) or self.name(e.name)

    def paren(self, e, level):
        s = self._print(e)
        prec = (MUL if " " in s else ATOM) if e in self.strings else precedence(e)
        return self.wrap(s) if prec < level else s


class _TextSlots(_Slots, Text):
    def __init__(self, strings):
        super().__init__(ascii=False)
        self.strings = strings


class _LatexSlots(_Slots, Latex):
    def __init__(self, strings, names):
        super().__init__(names)
        self.strings = strings


def index_form(d, latex=False):
    """One row per adjoint, `v̄_ij = ...` with explicit sums; LaTeX rows in `aligned`, as
    `derive --format latex` writes them, so that either reads back as a submission."""
    rows = []
    for a in d.order:
        p = ranked(LatexIndex(d.graph.latex_names), d.graph) if latex else Index()
        r, c = p.fresh(), p.fresh()
        lhs = p.at(Leaf(a.name + BAR, a.shape), r, c)
        rhs = "1" if a.output else " + ".join(p.at(t.expr, r, c) for t in a.terms)
        rows.append(f"{lhs} {'&' if latex else ''}= {rhs}")
    if latex:
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}\n"
    return "\n".join(rows) + "\n"
