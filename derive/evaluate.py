"""Numbers for SymPy trees without lambdify: a walk over the tree with mpmath, reading the table."""
from functools import lru_cache

import mpmath
import sympy

from .rules import TABLE, DomainError, primitive

DIGITS = 30

# exp(10^9565) is a number mpmath can write down, after minutes of work on ln 2 to ten thousand
# digits, and no one can print. A transcendental function of an argument beyond HUGE, or a power
# with such an exponent, is undefined here, like log of a negative number: a DomainError, fast.
HUGE = mpmath.mpf(10) ** 100
_TAME = tuple(h for h, p in TABLE.items() if p.cheap)


def _number(e):
    if e.is_Rational:
        return mpmath.mpf(e.p) / e.q
    if e.is_Float:
        return mpmath.mpf(str(e))
    if e is sympy.E:
        return +mpmath.e
    if e is sympy.pi:
        return +mpmath.pi
    raise DomainError(f"not a real number: {e}")


def evaluate(expr, env, memo=None):
    """The value of `expr` with symbols from `env` ({Symbol: mpf}); raises DomainError off-domain."""
    memo = {} if memo is None else memo
    hit = memo.get(expr)
    if hit is not None:
        return hit
    if expr.is_Symbol:
        try:
            out = env[expr]
        except KeyError:
            raise DomainError(f"no value for {expr}") from None
    elif expr.is_Number or expr.is_NumberSymbol:
        out = _number(expr)
    else:
        p = primitive(expr)
        if p is None:
            raise DomainError(f"cannot evaluate {type(expr).__name__}")
        out = apply(expr, p, [evaluate(a, env, memo) for a in expr.args])
    memo[expr] = out
    return out


def apply(expr, p, args):
    """The value of `expr`'s primitive `p` at its argument values `args`, with the domain checks:
    a transcendental function of a number beyond HUGE, or a complex or infinite result, is a
    DomainError."""
    if not isinstance(expr, _TAME) and not (expr.is_Pow and expr.exp.is_Number):
        if any(abs(a) > HUGE for a in (args[1:] if expr.is_Pow else args)):
            raise DomainError(f"{p.ascii or type(expr).__name__} of a number beyond 10^100")
    out = p.value(*args)
    if isinstance(out, mpmath.mpc) or not mpmath.isfinite(out):
        raise DomainError(f"{p.ascii or type(expr).__name__} is undefined here")
    return out


@lru_cache(maxsize=4096)
def _kinked(expr):
    """The distinct subexpressions of `expr` whose primitive has a kink (relu, max, |·|, ...)."""
    out, seen, stack = [], set(), [expr]
    while stack:
        sub = stack.pop()
        if sub in seen:
            continue
        seen.add(sub)
        p = primitive(sub)
        if p is not None and p.kink is not None:
            out.append(sub)
        stack.extend(sub.args)
    return tuple(out)


def kinks(expr):
    """The kinked subexpressions of `expr`, in a fixed order."""
    return tuple(sorted(_kinked(expr), key=sympy.default_sort_key))


def kink_value(sub, env, memo=None):
    """(signed kink value, 1 + largest |argument|) of one kinked subexpression: 0 on the kink."""
    args = [evaluate(a, env, memo) for a in sub.args]
    return primitive(sub).kink(*args), 1 + max(abs(a) for a in args)


def kink_distance(expr, env, memo=None):
    """How close (relative) any kink in `expr` is at this point: min |kink| / (1 + |args|)."""
    memo = {} if memo is None else memo
    best = mpmath.inf
    for sub in _kinked(expr):
        value, scale = kink_value(sub, env, memo)
        best = min(best, abs(value) / scale)
    return best


def with_digits(digits=DIGITS):
    """A context manager for the working precision."""
    return mpmath.workdps(digits)
