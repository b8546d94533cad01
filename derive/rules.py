"""The one table of primitives: spelling, local derivative, numeric value, kink, printed names.

Backprop reads `partials`, the evaluator reads `value`, the samplers read `kink`, the printers
read the names, and the parsers read `SPELLINGS`. Like autograd's `defvjp`: one entry a primitive.
"""
from dataclasses import dataclass
from typing import Callable, Optional

import mpmath
import sympy
from sympy import Add, Mul, Pow, exp, log, tanh, sin, cos, Abs, sign

from .functions import (Sigma, SigmaPrime, TanhPrime, Relu, ReluPrime, LeakyRelu, Elu,
                        Softplus, Max, Min, IndGe, IndGt)


class DomainError(ArithmeticError):
    """A value outside a primitive's domain (log of a non-positive number, 1/0, ...)."""


@dataclass(frozen=True)
class Primitive:
    head: type
    d: Callable            # (args, i) -> ∂head(args)/∂args[i], a SymPy expression
    value: Callable        # (*mpf args) -> mpf
    ascii: str = ""
    uni: str = ""
    latex: str = ""
    gate: str = ""         # the cs231n gate label
    kink: Optional[Callable] = None   # (*args) -> number whose zero is a kink
    by_output: Optional[Callable] = None   # y -> the derivative of a unary head, in y = head(u)


def _log(x):
    if x <= 0:
        raise DomainError("log of a non-positive number")
    return mpmath.log(x)


def _pow(b, e):
    if b == 0 and e < 0:
        raise DomainError("division by zero")
    if b < 0 and not mpmath.isint(e):
        raise DomainError("fractional power of a negative number")
    return mpmath.power(b, e)


def _sigma(x):
    return 1 / (1 + mpmath.exp(-x))


def _others(args, i):
    return Mul(*(args[:i] + args[i + 1:]))


def _pow_d(args, i):
    b, e = args
    return e * b ** (e - 1) if i == 0 else b ** e * log(b)


ONE = sympy.Integer(1)
ZERO = sympy.Integer(0)

TABLE = {p.head: p for p in [
    Primitive(Add, lambda a, i: ONE, lambda *v: mpmath.fsum(v), gate="+"),
    Primitive(Mul, _others, lambda *v: mpmath.fprod(v), gate="*"),
    Primitive(Pow, _pow_d, _pow, gate="^"),
    Primitive(exp, lambda a, i: exp(a[0]), mpmath.exp, "exp", "exp", r"\exp", "exp",
              by_output=lambda y: y),
    Primitive(log, lambda a, i: 1 / a[0], _log, "log", "log", r"\log", "log"),
    Primitive(tanh, lambda a, i: TanhPrime(a[0]), mpmath.tanh, "tanh", "tanh", r"\tanh", "tanh",
              by_output=lambda y: 1 - y ** 2),
    Primitive(sin, lambda a, i: cos(a[0]), mpmath.sin, "sin", "sin", r"\sin", "sin"),
    Primitive(cos, lambda a, i: -sin(a[0]), mpmath.cos, "cos", "cos", r"\cos", "cos"),
    Primitive(Abs, lambda a, i: sign(a[0]), abs, "abs", "abs", r"\operatorname{abs}", "abs",
              kink=lambda x: x),
    Primitive(sign, lambda a, i: ZERO, mpmath.sign, "sign", "sign", r"\operatorname{sign}", "sign",
              kink=lambda x: x),
    Primitive(Sigma, lambda a, i: SigmaPrime(a[0]), _sigma, "sigma", "σ", r"\sigma", "σ",
              by_output=lambda y: y * (1 - y)),
    Primitive(SigmaPrime, lambda a, i: SigmaPrime(a[0]) * (1 - 2 * Sigma(a[0])),
              lambda x: _sigma(x) * _sigma(-x), "sigma'", "σ′", r"\sigma'", "σ′"),
    Primitive(TanhPrime, lambda a, i: -2 * tanh(a[0]) * TanhPrime(a[0]),
              lambda x: mpmath.sech(x) ** 2, "tanh'", "tanh′", r"\tanh'", "tanh′"),
    Primitive(Relu, lambda a, i: ReluPrime(a[0]), lambda x: x if x > 0 else 0 * x,
              "relu", "relu", r"\operatorname{relu}", "relu", kink=lambda x: x),
    Primitive(ReluPrime, lambda a, i: ZERO, lambda x: mpmath.mpf(1 if x > 0 else 0),
              "relu'", "relu′", r"\operatorname{relu}'", "relu′", kink=lambda x: x),
    Primitive(LeakyRelu, lambda a, i: (IndGt(a[0], 0) + a[1] * IndGe(0, a[0]) if i == 0
                                       else a[0] * IndGe(0, a[0])),
              lambda x, s: x if x > 0 else s * x, "leaky_relu", "leaky_relu",
              r"\operatorname{leaky\_relu}", "leaky_relu", kink=lambda x, s: x),
    Primitive(Elu, lambda a, i: (IndGt(a[0], 0) + a[1] * exp(a[0]) * IndGe(0, a[0]) if i == 0
                                 else (exp(a[0]) - 1) * IndGe(0, a[0])),
              lambda x, s: x if x > 0 else s * (mpmath.exp(x) - 1), "elu", "elu",
              r"\operatorname{elu}", "elu", kink=lambda x, s: x),
    Primitive(Softplus, lambda a, i: Sigma(a[0]), lambda x: mpmath.log1p(mpmath.exp(x)),
              "softplus", "softplus", r"\operatorname{softplus}", "softplus"),
    Primitive(Max, lambda a, i: IndGe(a[0], a[1]) if i == 0 else IndGt(a[1], a[0]),
              lambda x, y: x if x >= y else y, "max", "max", r"\max", "max",
              kink=lambda x, y: x - y),
    Primitive(Min, lambda a, i: IndGe(a[1], a[0]) if i == 0 else IndGt(a[0], a[1]),
              lambda x, y: x if x <= y else y, "min", "min", r"\min", "min",
              kink=lambda x, y: x - y),
    Primitive(IndGe, lambda a, i: ZERO, lambda x, y: mpmath.mpf(1 if x >= y else 0),
              kink=lambda x, y: x - y),
    Primitive(IndGt, lambda a, i: ZERO, lambda x, y: mpmath.mpf(1 if x > y else 0),
              kink=lambda x, y: x - y),
]}

# How specs and claims spell each function: name -> (head, required args, defaults of the rest).
SPELLINGS = {
    "sigma": (Sigma, 1, ()), "sigmoid": (Sigma, 1, ()), "σ": (Sigma, 1, ()),
    "exp": (exp, 1, ()), "log": (log, 1, ()), "ln": (log, 1, ()),
    "tanh": (tanh, 1, ()), "relu": (Relu, 1, ()), "ReLU": (Relu, 1, ()),
    "leaky_relu": (LeakyRelu, 1, (sympy.Rational(1, 100),)), "elu": (Elu, 1, (ONE,)),
    "max": (Max, 2, ()), "min": (Min, 2, ()), "abs": (Abs, 1, ()), "sqrt": (sympy.sqrt, 1, ()),
    "sin": (sin, 1, ()), "cos": (cos, 1, ()), "softplus": (Softplus, 1, ()),
    "sign": (sign, 1, ()),   # abs'(x), as printed
}
PRIMES = {"sigma": SigmaPrime, "sigmoid": SigmaPrime, "σ": SigmaPrime,
          "tanh": TanhPrime, "relu": ReluPrime, "ReLU": ReluPrime}


def primitive(expr):
    """The table entry of an expression's head, or None for atoms."""
    return TABLE.get(type(expr)) or next((TABLE[c] for c in type(expr).__mro__ if c in TABLE), None)


def partial(expr, i):
    """∂expr/∂expr.args[i] from the table."""
    p = primitive(expr)
    if p is None:
        raise KeyError(f"no derivative rule for {type(expr).__name__}")
    return p.d(expr.args, i)


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
