"""`--index-form`: matrix adjoints written entry by entry, h̄ᵢ = Σₖ ȳₖ W⁽²⁾ₖᵢ, as the lecture's
scalar form. One `_idx_<Class>` method per matrix node kind."""
from .functions import BAR
from .matrix import ONE, Leaf, slot
from .printing import Text

LETTERS = "ijklmnpqrsuv"


class Index(Text):
    """Prints a matrix expression at entry (row, col); a Σ for every summed index."""

    def __init__(self):
        super().__init__(ascii=False)
        self.used = set()

    def fresh(self):
        letter = next(c for c in LETTERS if c not in self.used)
        self.used.add(letter)
        return letter

    def at(self, e, r, c):
        return getattr(self, "_idx_" + type(e).__name__)(e, r, c)

    def sub(self, shape, r, c):
        parts = [x for x, n in ((r, shape[0]), (c, shape[1])) if n != ONE]
        return "".join(parts)

    def _idx_Leaf(self, e, r, c):
        s = self.sub(e.shape, r, c)
        return self.name(e.name) + (f"_{s}" if s else "")

    def _idx_Const(self, e, r, c):
        return self._print(e.value)

    def _idx_MatMul(self, e, r, c):
        if e.a.shape[1] == ONE:
            return f"{self.group(self.at(e.a, r, ''), e.a)} {self.group(self.at(e.b, '', c), e.b)}"
        k = self.fresh()
        return f"Σ_{k} {self.group(self.at(e.a, r, k), e.a)} {self.group(self.at(e.b, k, c), e.b)}"

    def _idx_Transpose(self, e, r, c):
        return self.at(e.a, c, r)

    def _idx_Elem(self, e, r, c):
        strings = {slot(i): self.at(a, r if a.shape[0] != ONE else "", c if a.shape[1] != ONE else "")
                   for i, a in enumerate(e.args)}
        return _Slotted(strings).doprint(e.template)

    def _idx_Reduce(self, e, r, c):
        rr = self.fresh() if e.axis in (None, 0) and e.a.shape[0] != ONE else r
        cc = self.fresh() if e.axis in (None, 1) and e.a.shape[1] != ONE else c
        sums = "".join(f"Σ_{x} " for x, y in ((rr, r), (cc, c)) if x != y)
        inner = self.at(e.a, rr, cc)
        return sums + (f"({inner})²" if e.kind == "norm2" else inner) + (
            "" if e.kind != "mean" else " / count")

    def _idx_Fill(self, e, r, c):
        return self.at(e.a, r if e.a.shape[0] != ONE else "", c if e.a.shape[1] != ONE else "")

    def group(self, s, e):
        return f"({s})" if " " in s and not s.startswith("Σ") else s


class _Slotted(Text):
    """A template printed with its placeholders replaced by already indexed strings."""

    def __init__(self, strings):
        super().__init__(ascii=False)
        self.strings = strings

    def _print_Symbol(self, e):
        return self.strings.get(e) or self.name(e.name)


def index_form(d):
    """One row per adjoint: `v̄_ij = ...` with explicit sums."""
    rows = []
    for a in d.order:
        p = Index()
        r, c = p.fresh(), p.fresh()
        lhs = p.at(Leaf(a.name + BAR, a.shape), r, c)
        rhs = "1" if a.output else " + ".join(p.at(t.expr, r, c) for t in a.terms)
        rows.append(f"{lhs} = {rhs}")
    return "\n".join(rows) + "\n"
