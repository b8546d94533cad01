"""SymPy heads for the activations of the lectures that SymPy lacks, or keeps in an unusable form.

Every class here is inert: it never rewrites itself on construction, so `sigma'(z)` stays
`sigma'(z)` in printed adjoints. Their derivatives live in `rules.py`, not here.
SymPy's own `Max`/`Min` sort their arguments; ours keep the order, because a tie sends the
gradient to the first argument.
"""
import sympy


class Head(sympy.Function):
    """An inert function application; `fdiff` defers to the rule table."""

    is_real = True

    def fdiff(self, argindex=1):
        from .rules import partial
        return partial(self, argindex - 1)


class Sigma(Head):
    nargs = 1

    def _eval_rewrite_as_exp(self, x, **kw):
        return 1 / (1 + sympy.exp(-x))


class SigmaPrime(Head):
    nargs = 1

    def _eval_rewrite_as_exp(self, x, **kw):
        s = 1 / (1 + sympy.exp(-x))
        return s * (1 - s)


class TanhPrime(Head):
    nargs = 1

    def _eval_rewrite_as_exp(self, x, **kw):
        return 1 - sympy.tanh(x).rewrite(sympy.exp) ** 2


class Relu(Head):
    nargs = 1


class ReluPrime(Head):
    """relu'(x) = [x > 0]; relu'(0) = 0."""
    nargs = 1


class LeakyRelu(Head):
    nargs = 2


class Elu(Head):
    nargs = 2


class Softplus(Head):
    nargs = 1

    def _eval_rewrite_as_exp(self, x, **kw):
        return sympy.log(1 + sympy.exp(x))


class Max(Head):
    nargs = 2


class Min(Head):
    nargs = 2


class IndGe(Head):
    """Iverson bracket [a >= b]: the router of a max gate."""
    nargs = 2


class IndGt(Head):
    """Iverson bracket [a > b]."""
    nargs = 2


def sym(name):
    """The one way a named scalar becomes a SymPy symbol, so equal names are equal symbols."""
    return sympy.Symbol(name, real=True)


BAR = "_bar"


def bar(name):
    """The adjoint symbol of a forward name: `z` -> `z_bar`."""
    return sym(name + BAR)


def unbar(symbol):
    """The forward name of an adjoint symbol, or None."""
    n = symbol.name
    return n[: -len(BAR)] if n.endswith(BAR) else None
