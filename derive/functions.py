"""SymPy heads for the activations of the lectures that SymPy lacks, or keeps in an unusable form.

Every class here is inert: it never rewrites itself on construction, so `sigma'(z)` stays
`sigma'(z)` in printed adjoints. Their derivatives live in `rules.py`, not here.
SymPy's own `Max`/`Min` sort their arguments; ours keep the order, because a tie sends the
gradient to the first argument.
"""
import sympy


class Head(sympy.Function):
    """An inert function application; `fdiff` defers to the rule table, which rules.py hands
    in as `Head.partial` when it builds the table (this module imports nothing of derive)."""

    is_real = True
    partial = None

    def fdiff(self, argindex=1):
        return Head.partial(self, argindex - 1)


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


class Log1p(Head):
    """log(1 + x), kept whole: it is what numpy's log1p computes near 0."""
    nargs = 1

    def _eval_rewrite_as_exp(self, x, **kw):
        return sympy.log(1 + x)


class Expm1(Head):
    """exp(x) − 1, kept whole."""
    nargs = 1

    def _eval_rewrite_as_exp(self, x, **kw):
        return sympy.exp(x) - 1


class LogSigma(Head):
    """log σ(x), the log-likelihood of a logistic unit."""
    nargs = 1

    def _eval_rewrite_as_exp(self, x, **kw):
        return -sympy.log(1 + sympy.exp(-x))


GELU_C = sympy.sqrt(2) / sympy.sqrt(sympy.pi)
GELU_K = sympy.Rational(44715, 10 ** 6)


def gelu_inner(x):
    """The argument of tanh in GELU's tanh form: √(2/π)(x + 0.044715 x³)."""
    return GELU_C * (x + GELU_K * x ** 3)


class Gelu(Head):
    """GELU in its tanh form: x/2 (1 + tanh(√(2/π)(x + 0.044715 x³)))."""
    nargs = 1

    def _eval_rewrite_as_exp(self, x, **kw):
        return (x / 2 * (1 + sympy.tanh(gelu_inner(x)))).rewrite(sympy.exp)


class GeluPrime(Head):
    nargs = 1

    def _eval_rewrite_as_exp(self, x, **kw):
        t = sympy.Dummy("t", real=True)
        return sympy.diff(t / 2 * (1 + sympy.tanh(gelu_inner(t))), t).subs(t, x).rewrite(sympy.exp)


class Swish(Head):
    """swish (SiLU): x σ(x)."""
    nargs = 1

    def _eval_rewrite_as_exp(self, x, **kw):
        return x / (1 + sympy.exp(-x))


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
