"""The scopes of a spec's own text: names (assigned once defined, else leaf inputs) and the
numbers of `at:`. Both spec.py and mscope.py (matrix specs) build on them."""
import sympy

from .functions import BAR, sym
from .names import canonical, spelled
from .parse import Scope, error
from .rules import SPELLINGS

FUNCTIONS = sorted(n for n in SPELLINGS if n.isascii())


class SpecScope(Scope):
    """Names in a spec: assigned names once defined, everything else is a leaf input; `e` is
    Euler's number unless the spec names a variable `e` (`euler` False)."""

    def __init__(self, assigned, euler=True):
        self.assigned, self.defined, self.leaves, self.used = assigned, set(), [], []
        self.current, self.euler = None, euler
        self.keys = {canonical(n): n for n in assigned}

    def resolve(self, tok):
        n = spelled(str(tok))
        if n in SPELLINGS:
            raise error(f"'{n}' is a function: call it as {n}(...)", tok)
        n = self.keys.get(canonical(n), n)
        if n.endswith(BAR):
            raise error(f"names ending in '{BAR}' are kept for adjoints: '{n}'", tok)
        if n == self.current:
            raise error(f"'{n}' is defined in terms of itself (a cycle)", tok)
        if n in self.assigned and n not in self.defined:
            raise error(f"'{n}' is used before it is assigned (line {self.assigned[n]})", tok)
        if n not in self.assigned and n not in self.leaves:
            self.leaves.append(n)
            self.keys.setdefault(canonical(n), n)
        if n not in self.used:
            self.used.append(n)
        return n

    def name(self, tok):
        if self.euler and str(tok) == "e":
            return sympy.E
        return sym(self.resolve(tok))

    def call(self, tok, args):
        if str(tok) not in SPELLINGS:   # a typo must not become a leaf times its argument
            from .labels import FUNCTIONS as LABEL_FUNCTIONS     # none of them is in SPELLINGS
            if str(tok) in LABEL_FUNCTIONS:
                raise error(f"{tok} works on vectors and matrices: declare their shapes (s: vector(C), "
                            "y: label(C))", tok)
            raise error(f"unknown function '{tok}'; known: {', '.join(FUNCTIONS)}"
                        f" (write '{tok}*(...)' for a product)", tok)
        return super().call(tok, args)

    def matmul(self, a, b, tok):
        raise error("a matrix product needs shapes: declare the operands first (`W: matrix(m, n)`, `x: vector(n)`)", tok)


class ConstScope(Scope):
    """Values in `at:` are numbers only."""

    def name(self, tok):
        raise error(f"a value must be a number, not '{tok}'", tok)
