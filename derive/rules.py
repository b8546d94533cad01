"""The one table of primitives: spelling, local derivative, numeric value, kink, printed names.

Backprop reads `partials`, the evaluator reads `value` and `cheap`, the samplers read `kink`,
the printers read the names (text, LaTeX, numpy), the parsers read `SPELLINGS` and `PRIMES`
(built from the entries' `names` and `prime`), and the diagnosis reads `prime` (σ used where σ′
belongs). Like autograd's `defvjp`: one entry a primitive.
"""
from dataclasses import dataclass, replace
from typing import Callable, Optional

import mpmath
import sympy
from mpmath.libmp import fone, mpf_mul
from sympy import (Add, Mul, Pow, exp, log, tanh, sin, cos, Abs, sign, cosh, sinh, tan, sech,
                   atan, asin, acos)

from .lazy import numpy as np
from .functions import (Head, Sigma, SigmaPrime, TanhPrime, Relu, ReluPrime, LeakyRelu, Elu,
                        Softplus, Max, Min, IndGe, IndGt, Log1p, Expm1, LogSigma, Gelu,
                        GeluPrime, Swish, gelu_inner, GELU_C, GELU_K)
from .errors import DomainError  # noqa: F401  (raised here, caught where no SymPy is imported)


@dataclass(frozen=True)
class Primitive:
    head: type
    d: Callable            # (args, i) -> ∂head(args)/∂args[i], a SymPy expression
    value: Callable        # (*mpf args) -> mpf
    ascii: str = ""        # plain text that the plain reader reads back
    uni: str = ""          # text for people
    latex: str = ""        # the LaTeX command the printer writes and the LaTeX reader reads
    gate: str = ""         # the cs231n gate label
    kink: Optional[Callable] = None   # (*args) -> number whose zero is a kink
    by_output: Optional[Callable] = None   # y -> the derivative of a unary head, in y = head(u)
    names: tuple = ()      # how specs and claims spell it: `sigma(z)`, `sigmoid(z)`, `σ(z)`
    arity: int = 1         # arguments a call must give (0: any number); `defaults` fill in the rest
    defaults: tuple = ()
    prime: Optional[type] = None   # the head of its derivative, where it has one: σ -> σ′
    numpy: str = ""        # the call in `--emit numpy` code
    numpy_def: str = ""    # the helper function that call needs, when numpy has none
    cheap: bool = False    # fast at any argument: no 10^100 guard needed before evaluating it
    latex_also: tuple = ()   # further LaTeX commands the reader takes for it (`\ln`)
    f64: Optional[Callable] = None   # (values, bounds) -> (value, bound) in float64 (derive/f64.py)


def _log(x):
    if x <= 0:
        raise DomainError("log of a non-positive number")
    return mpmath.log(x)


def _log1p(x):
    if x <= -1:
        raise DomainError("log1p of a number at or below -1")
    return mpmath.log1p(x)


def _product(*v):
    """mpmath.fprod(v), without its generic conversions: the same roundings, a third of the time."""
    prec, rnd = mpmath.mp._prec_rounding
    m = fone
    try:
        for x in v:
            m = mpf_mul(m, x._mpf_, prec, rnd)
    except AttributeError:          # a plain number among the factors
        return mpmath.fprod(v)
    return mpmath.mp.make_mpf(m)


def _pow(b, e):
    if b == 0 and e < 0:
        raise DomainError("division by zero")
    if b < 0 and not mpmath.isint(e):
        raise DomainError("fractional power of a negative number")
    return mpmath.power(b, e)


def _sigma(x):
    return 1 / (1 + mpmath.exp(-x))


def _log_sigma(x):
    return -mpmath.log1p(mpmath.exp(-x)) if x >= 0 else x - mpmath.log1p(mpmath.exp(x))


def _gelu_constants():
    """√(2/π) and 0.044715 at the working precision."""
    return mpmath.sqrt(2 / mpmath.pi), mpmath.mpf(44715) / 10 ** 6


def _gelu(x):
    c, k = _gelu_constants()
    return x / 2 * (1 + mpmath.tanh(c * (x + k * x ** 3)))


def _gelu_prime(x):
    c, k = _gelu_constants()
    t = mpmath.tanh(c * (x + k * x ** 3))
    return (1 + t) / 2 + x * (1 - t ** 2) * c * (1 + 3 * k * x ** 2) / 2


def _gelu_second(a, i):
    x = a[0]
    u = gelu_inner(x)
    du, ddu = GELU_C * (1 + 3 * GELU_K * x ** 2), 6 * GELU_C * GELU_K * x
    return TanhPrime(u) * (du + x * (ddu / 2 - tanh(u) * du ** 2))


def _others(args, i):
    return Mul(*(args[:i] + args[i + 1:]))


def _pow_d(args, i):
    b, e = args
    return e * b ** (e - 1) if i == 0 else b ** e * log(b)


def _helper(name, body):
    return f"def {name}(x):\n    {body}\n"


ONE = sympy.Integer(1)
ZERO = sympy.Integer(0)

TABLE = {p.head: p for p in [
    Primitive(Add, lambda a, i: ONE, lambda *v: mpmath.fsum(v), gate="+", arity=0, cheap=True),
    Primitive(Mul, _others, _product, gate="*", arity=0, cheap=True),
    Primitive(Pow, _pow_d, _pow, gate="^", arity=2),
    Primitive(exp, lambda a, i: exp(a[0]), mpmath.exp, "exp", "exp", r"\exp", "exp",
              by_output=lambda y: y, names=("exp",), numpy="np.exp"),
    Primitive(log, lambda a, i: 1 / a[0], _log, "log", "log", r"\log", "log", names=("log", "ln"),
              numpy="np.log", cheap=True, latex_also=(r"\ln",)),
    Primitive(tanh, lambda a, i: TanhPrime(a[0]), mpmath.tanh, "tanh", "tanh", r"\tanh", "tanh",
              by_output=lambda y: 1 - y ** 2, names=("tanh",), prime=TanhPrime, numpy="np.tanh"),
    Primitive(sin, lambda a, i: cos(a[0]), mpmath.sin, "sin", "sin", r"\sin", "sin", names=("sin",),
              numpy="np.sin"),
    Primitive(cos, lambda a, i: -sin(a[0]), mpmath.cos, "cos", "cos", r"\cos", "cos", names=("cos",),
              numpy="np.cos"),
    Primitive(Abs, lambda a, i: sign(a[0]), abs, "abs", "abs", r"\operatorname{abs}", "abs",
              kink=lambda x: x, names=("abs",), numpy="np.abs", cheap=True),
    Primitive(sign, lambda a, i: ZERO, mpmath.sign, "sign", "sign", r"\operatorname{sign}", "sign",
              kink=lambda x: x, names=("sign",), numpy="np.sign", cheap=True),   # abs'(x), as printed
    Primitive(Sigma, lambda a, i: SigmaPrime(a[0]), _sigma, "sigma", "σ", r"\sigma", "σ",
              by_output=lambda y: y * (1 - y), names=("sigma", "sigmoid", "σ"), prime=SigmaPrime,
              numpy="sigma", numpy_def=_helper("sigma", "return 1 / (1 + np.exp(-x))")),
    Primitive(SigmaPrime, lambda a, i: SigmaPrime(a[0]) * (1 - 2 * Sigma(a[0])),
              lambda x: _sigma(x) * _sigma(-x), "sigma'", "σ′", r"\sigma'", "σ′",
              numpy="sigma_prime", numpy_def=_helper("sigma_prime", "s = sigma(x)\n    return s * (1 - s)")),
    Primitive(TanhPrime, lambda a, i: -2 * tanh(a[0]) * TanhPrime(a[0]),
              lambda x: mpmath.sech(x) ** 2, "tanh'", "tanh′", r"\tanh'", "tanh′",
              numpy="tanh_prime", numpy_def=_helper("tanh_prime", "return 1 - np.tanh(x) ** 2")),
    Primitive(Relu, lambda a, i: ReluPrime(a[0]), lambda x: x if x > 0 else 0 * x,
              "relu", "relu", r"\operatorname{relu}", "relu", kink=lambda x: x, names=("relu", "ReLU"),
              prime=ReluPrime, numpy="relu", numpy_def=_helper("relu", "return np.maximum(x, 0)"),
              cheap=True),
    Primitive(ReluPrime, lambda a, i: ZERO, lambda x: mpmath.mpf(1 if x > 0 else 0),
              "relu'", "relu′", r"\operatorname{relu}'", "relu′", kink=lambda x: x,
              numpy="relu_prime", numpy_def=_helper("relu_prime", "return (x > 0) * 1.0"), cheap=True),
    Primitive(LeakyRelu, lambda a, i: (IndGt(a[0], 0) + a[1] * IndGe(0, a[0]) if i == 0
                                       else a[0] * IndGe(0, a[0])),
              lambda x, s: x if x > 0 else s * x, "leaky_relu", "leaky_relu",
              r"\operatorname{leaky\_relu}", "leaky_relu", kink=lambda x, s: x, names=("leaky_relu",),
              defaults=(sympy.Rational(1, 100),), numpy="leaky_relu",
              numpy_def="def leaky_relu(x, s):\n    return np.where(x > 0, x, s * x)\n", cheap=True),
    Primitive(Elu, lambda a, i: (IndGt(a[0], 0) + a[1] * exp(a[0]) * IndGe(0, a[0]) if i == 0
                                 else (exp(a[0]) - 1) * IndGe(0, a[0])),
              lambda x, s: x if x > 0 else s * (mpmath.exp(x) - 1), "elu", "elu",
              r"\operatorname{elu}", "elu", kink=lambda x, s: x, names=("elu",), defaults=(ONE,),
              numpy="elu",
              numpy_def="def elu(x, s):\n    return np.where(x > 0, x, s * np.expm1(np.minimum(x, 0)))\n"),
    Primitive(Softplus, lambda a, i: Sigma(a[0]), lambda x: mpmath.log1p(mpmath.exp(x)),
              "softplus", "softplus", r"\operatorname{softplus}", "softplus", names=("softplus",),
              numpy="softplus", numpy_def=_helper("softplus", "return np.logaddexp(0, x)")),
    Primitive(Max, lambda a, i: IndGe(a[0], a[1]) if i == 0 else IndGt(a[1], a[0]),
              lambda x, y: x if x >= y else y, "max", "max", r"\max", "max",
              kink=lambda x, y: x - y, names=("max",), arity=2, numpy="np.maximum", cheap=True),
    Primitive(Min, lambda a, i: IndGe(a[1], a[0]) if i == 0 else IndGt(a[0], a[1]),
              lambda x, y: x if x <= y else y, "min", "min", r"\min", "min",
              kink=lambda x, y: x - y, names=("min",), arity=2, numpy="np.minimum", cheap=True),
    Primitive(IndGe, lambda a, i: ZERO, lambda x, y: mpmath.mpf(1 if x >= y else 0),
              kink=lambda x, y: x - y, arity=2, cheap=True),
    Primitive(IndGt, lambda a, i: ZERO, lambda x, y: mpmath.mpf(1 if x > y else 0),
              kink=lambda x, y: x - y, arity=2, cheap=True),
    Primitive(cosh, lambda a, i: sinh(a[0]), mpmath.cosh, "cosh", "cosh", r"\cosh", "cosh",
              names=("cosh",), numpy="np.cosh"),
    Primitive(sinh, lambda a, i: cosh(a[0]), mpmath.sinh, "sinh", "sinh", r"\sinh", "sinh",
              names=("sinh",), numpy="np.sinh"),
    Primitive(tan, lambda a, i: 1 + tan(a[0]) ** 2, mpmath.tan, "tan", "tan", r"\tan", "tan",
              names=("tan",), numpy="np.tan"),
    Primitive(sech, lambda a, i: -sech(a[0]) * tanh(a[0]), mpmath.sech, "sech", "sech",
              r"\operatorname{sech}", "sech", names=("sech",), numpy="sech",
              numpy_def=_helper("sech", "return 1 / np.cosh(x)")),
    Primitive(atan, lambda a, i: 1 / (1 + a[0] ** 2), mpmath.atan, "arctan", "arctan", r"\arctan",
              "arctan", names=("arctan", "atan"), numpy="np.arctan"),
    Primitive(asin, lambda a, i: 1 / sympy.sqrt(1 - a[0] ** 2), mpmath.asin, "arcsin", "arcsin",
              r"\arcsin", "arcsin", names=("arcsin",), numpy="np.arcsin"),
    Primitive(acos, lambda a, i: -1 / sympy.sqrt(1 - a[0] ** 2), mpmath.acos, "arccos", "arccos",
              r"\arccos", "arccos", names=("arccos",), numpy="np.arccos"),
    Primitive(Log1p, lambda a, i: 1 / (1 + a[0]), _log1p, "log1p", "log1p", r"\operatorname{log1p}",
              "log1p", names=("log1p",), numpy="np.log1p", cheap=True),
    Primitive(Expm1, lambda a, i: exp(a[0]), mpmath.expm1, "expm1", "expm1", r"\operatorname{expm1}",
              "expm1", names=("expm1",), numpy="np.expm1"),
    Primitive(LogSigma, lambda a, i: Sigma(-a[0]), _log_sigma, "log_sigma", "log σ",
              r"\operatorname{log\_sigma}", "log σ", names=("log_sigma",),
              numpy="log_sigma", numpy_def=_helper("log_sigma", "return -np.logaddexp(0, -x)")),
    Primitive(Gelu, lambda a, i: GeluPrime(a[0]), _gelu, "gelu", "gelu", r"\operatorname{gelu}", "gelu",
              names=("gelu",), prime=GeluPrime, numpy="gelu",
              numpy_def=_helper("gelu", "return x / 2 * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))")),
    Primitive(GeluPrime, _gelu_second, _gelu_prime, "gelu'", "gelu′", r"\operatorname{gelu}'", "gelu′",
              numpy="gelu_prime",
              numpy_def=_helper("gelu_prime", "c = np.sqrt(2 / np.pi)\n    t = np.tanh(c * (x + 0.044715 * x ** 3))\n"
                                "    return (1 + t) / 2 + x * (1 - t ** 2) * c * (1 + 3 * 0.044715 * x ** 2) / 2")),
    Primitive(Swish, lambda a, i: Sigma(a[0]) + a[0] * SigmaPrime(a[0]), lambda x: x * _sigma(x),
              "swish", "swish", r"\operatorname{swish}", "swish", names=("swish", "silu"),
              numpy="swish", numpy_def=_helper("swish", "return x / (1 + np.exp(-x))")),
]}


class Unsure(ArithmeticError):
    """float64 cannot vouch for a value (a kink or a domain edge within its error bound): the
    caller evaluates it exactly instead."""


U = 2.0 ** -53      # the unit roundoff of float64


def _doubt(d, e):
    """Refuse when the sign of `d` is in doubt: within twice its error bound of zero."""
    if np.any(np.abs(d) <= 2 * e):
        raise Unsure("a value within its error bound of a kink or a domain edge")


def _smooth(fn, lip, ulps=4, edge=None):
    """A smooth unary function: its value, and as bound lip·e (lip bounds |fn′| within e of x) plus
    a few units in the last place for numpy's own rounding; `edge` is where its domain ends."""
    def f(xs, es):
        x, e = xs[0], es[0]
        if edge is not None:
            _doubt(x - edge, e)
            if np.any(x < edge):
                raise Unsure("outside the domain")
        v = fn(x)
        return v, lip(x, e) * e + ulps * U * np.abs(v)
    return f


def _step(fn):
    """A step function (relu′, sign): exact where the argument's sign is certain."""
    def f(xs, es):
        _doubt(xs[0], es[0])
        return fn(xs[0]) * 1.0, np.zeros_like(xs[0] * 1.0)
    return f


def _compare(fn):
    def f(xs, es):
        _doubt(xs[0] - xs[1], es[0] + es[1])
        return fn(xs[0], xs[1]) * 1.0, np.zeros_like(xs[0] - xs[1])
    return f


def _sum_f64(xs, es):
    v, mag = xs[0], np.abs(xs[0])
    for x in xs[1:]:
        v, mag = v + x, mag + np.abs(x)
    return v, sum(es) + len(xs) * U * mag


def _prod_f64(xs, es):
    v, e = xs[0], es[0]
    for x, ex in zip(xs[1:], es[1:]):
        v, e = v * x, (np.abs(v) + e) * ex + e * np.abs(x) + U * np.abs(v * x)
    return v, e


def _pow_f64(xs, es):
    """A power with a number as exponent (whole or half): other exponents are left to mpmath."""
    b, e, p = xs[0], es[0], float(xs[1])
    if 2 * p != int(2 * p):
        raise Unsure("an exponent that is not a whole or half number")
    if p != int(p) or p < 0:
        _doubt(b, e)
        if p != int(p) and np.any(b < 0):
            raise Unsure("outside the domain")
    v = b ** p
    if p == 0:
        return v, np.zeros_like(v)
    lo, hi = np.abs(b) - e, np.abs(b) + e
    slope = abs(p) * np.maximum(lo ** (p - 1), hi ** (p - 1)) if p < 1 else abs(p) * hi ** (p - 1)
    return v, slope * e + 4 * (abs(p) + 1) * U * np.abs(v)


def _sigma_f64(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def _sigma_prime_f64(x):
    z = np.exp(-np.abs(x))
    return z / (1 + z) ** 2


def _tanh_prime_f64(x):
    z = np.exp(-2 * np.abs(x))
    return 4 * z / (1 + z) ** 2


def _max_f64(fn):
    def f(xs, es):
        return fn(xs[0], xs[1]), np.maximum(es[0], es[1])
    return f


# float64 with error bounds, per head: where a head has none, its values are computed by mpmath.
_F64 = {
    Add: _sum_f64, Mul: _prod_f64, Pow: _pow_f64,
    exp: _smooth(lambda x: np.exp(x), lambda x, e: np.exp(x + e)),
    log: _smooth(lambda x: np.log(x), lambda x, e: 1 / (x - e), edge=0.0),
    tanh: _smooth(lambda x: np.tanh(x), lambda x, e: 1.0),
    sin: _smooth(lambda x: np.sin(x), lambda x, e: 1.0),
    cos: _smooth(lambda x: np.cos(x), lambda x, e: 1.0),
    Abs: _smooth(lambda x: np.abs(x), lambda x, e: 1.0, ulps=0),
    sign: _step(lambda x: np.sign(x)),
    Sigma: _smooth(_sigma_f64, lambda x, e: 0.25),
    SigmaPrime: _smooth(_sigma_prime_f64, lambda x, e: 0.1, ulps=8),        # |σ″| ≤ 0.097
    TanhPrime: _smooth(_tanh_prime_f64, lambda x, e: 0.8, ulps=8),          # |tanh‴| ≤ 0.77
    Relu: _smooth(lambda x: np.maximum(x, 0.0), lambda x, e: 1.0, ulps=0),
    ReluPrime: _step(lambda x: x > 0),
    Softplus: _smooth(lambda x: np.logaddexp(0.0, x), lambda x, e: 1.0),
    Max: _max_f64(lambda a, b: np.maximum(a, b)),
    Min: _max_f64(lambda a, b: np.minimum(a, b)),
    IndGe: _compare(lambda a, b: a >= b),
    IndGt: _compare(lambda a, b: a > b),
    Log1p: _smooth(lambda x: np.log1p(x), lambda x, e: 1 / (1 + x - e), edge=-1.0),
    Expm1: _smooth(lambda x: np.expm1(x), lambda x, e: np.exp(x + e)),
    cosh: _smooth(lambda x: np.cosh(x), lambda x, e: np.cosh(np.abs(x) + e)),
    sinh: _smooth(lambda x: np.sinh(x), lambda x, e: np.cosh(np.abs(x) + e)),
}
TABLE.update({h: replace(TABLE[h], f64=f) for h, f in _F64.items()})

# How specs and claims spell each function: name -> (head, required args, defaults of the rest);
# `sqrt(x)` is no head of its own but x^(1/2).
SPELLINGS = {n: (p.head, p.arity, p.defaults) for p in TABLE.values() for n in p.names}
SPELLINGS["sqrt"] = (sympy.sqrt, 1, ())
# `sigma'(z)`: a spelling of a function whose derivative has a head of its own.
PRIMES = {n: p.prime for p in TABLE.values() if p.prime is not None for n in p.names}
# The derivative heads, each with the function it is the derivative of: σ′ -> σ.
PRIME_OF = {p.prime: p.head for p in TABLE.values() if p.prime is not None}


def primitive(expr):
    """The table entry of an expression's head, or None for atoms."""
    return TABLE.get(type(expr)) or next((TABLE[c] for c in type(expr).__mro__ if c in TABLE), None)


def partial(expr, i):
    """∂expr/∂expr.args[i] from the table."""
    p = primitive(expr)
    if p is None:
        raise KeyError(f"no derivative rule for {type(expr).__name__}")
    return p.d(expr.args, i)


Head.partial = staticmethod(partial)       # SymPy's diff of our heads reads this table


def local_derivative(expr, s, out, memo=None):
    """∂expr/∂s for the node `out` = expr: a unary head of a composite argument, y = σ(w·x + b),
    has its derivative written in y (σ′ as y(1−y), CS231n's sigmoid gate), so the pre-activation
    is not written again in every adjoint; a named argument keeps σ′(z) (CSC321's z̄ = ȳ σ′(z))."""
    p = primitive(expr)
    if p is not None and p.by_output and len(expr.args) == 1 and not expr.args[0].is_Atom:
        return p.by_output(out) * derivative(expr.args[0], s, memo)
    return derivative(expr, s, memo)


def derivative(expr, s, memo=None):
    """d expr / d s by the chain rule over the table (forward mode, shared subterms once)."""
    memo = {} if memo is None else memo
    if expr in memo:
        return memo[expr]
    if expr == s:
        out = ONE
    elif not expr.has(s) or not expr.args:
        out = ZERO
    else:
        out = Add(*(partial(expr, i) * derivative(a, s, memo)
                    for i, a in enumerate(expr.args) if a.has(s)))
    memo[expr] = out
    return out
