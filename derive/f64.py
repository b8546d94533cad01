"""Expressions in float64 with error bounds: each value comes with an array bounding, entry by
entry, its distance from the exact value at the exact point, so that two expressions whose values
lie within each other's bounds agree to float64's resolution without mpmath, and two whose values
lie farther apart certainly differ. Matrix expressions at a spec's large point (`fevaluate`), and
scalar SymPy expressions at many points at once (`fvalues`, one array entry a point). Anything
float64 cannot vouch for (a head without a float64 rule, an overflow, a kink or domain edge within
the bound, an argument beyond 10^100) raises Unsure: evaluate it exactly."""
import sympy

from .lazy import numpy as np
from .matrix import Const, Elem, Fill, Leaf, MatMul, Reduce, Transpose, _bind, preorder
from .rules import U, Unsure, primitive
from .walk import postorder

HUGE = 1e100            # as derive/evaluate.py: a transcendental function of more is undefined
SLACK = 1 + 1e-6        # the bounds are themselves computed in float64
FLOOR = 1e-290          # an absolute floor for underflow


def bounded(a):
    """An exact array (rationals, mpf) as float64 with its rounding bound."""
    a = np.asarray(a)
    v = np.fromiter((_float(x) for x in a.flat), float, a.size).reshape(a.shape)
    v = v.reshape(1, 1) if v.ndim == 0 else v.reshape(-1, 1) if v.ndim == 1 else v
    return v, 2 * U * np.abs(v)       # float() of a rational is within one unit in the last place


def _float(x):
    """A rational as the nearest float (Python's int / int rounds correctly)."""
    return x.p / x.q if hasattr(x, "p") and hasattr(x, "q") else float(x)


def _gamma(n):
    return n * U / (1 - n * U)


def fevaluate(expr, env, memo=None):
    """(value, bound) of `expr` as 2-D float64 arrays; `env` maps names to such pairs."""
    memo = {} if memo is None else memo
    key = id(expr)
    if key in memo:
        return memo[key][1]
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        try:
            v, e = _node(expr, env, memo)
        except (FloatingPointError, OverflowError, ZeroDivisionError) as err:
            raise Unsure(str(err)) from None
    if not (np.all(np.isfinite(v)) and np.all(np.isfinite(e))):
        raise Unsure("not finite in float64")
    v, e = np.asarray(v, dtype=float), np.asarray(e, dtype=float) * SLACK + FLOOR
    if v.ndim == 0:
        v, e = v.reshape(1, 1), e.reshape(1, 1)
    memo[key] = (expr, (v, e))
    return v, e


def _node(expr, env, memo):
    if isinstance(expr, Leaf):
        if expr.name not in env:
            raise Unsure(f"no value for {expr.name}")
        return env[expr.name]
    if isinstance(expr, Const):
        v, e = _scalar(expr.value, _sizes(env), {})
        return np.full((1, 1), v), np.full((1, 1), e)
    if isinstance(expr, MatMul):
        (a, ea), (b, eb) = fevaluate(expr.a, env, memo), fevaluate(expr.b, env, memo)
        v = a @ b
        return v, _gamma(a.shape[1]) * (np.abs(a) @ np.abs(b)) + (np.abs(a) + ea) @ eb + ea @ np.abs(b)
    if isinstance(expr, Transpose):
        a, ea = fevaluate(expr.a, env, memo)
        return a.T, ea.T
    if isinstance(expr, Elem):
        args = [fevaluate(a, env, memo) for a in expr.args]
        v, e = _scalar(expr.template, _sizes(env), {}, args)
        shape = np.broadcast_shapes(*[a[0].shape for a in args], np.shape(v))
        return np.broadcast_to(v, shape).copy(), np.broadcast_to(e, shape).copy()
    if isinstance(expr, Fill):
        a, ea = fevaluate(expr.a, env, memo)
        target = _bind(expr.shape, env)
        return np.broadcast_to(a, target).copy(), np.broadcast_to(ea, target).copy()
    if isinstance(expr, Reduce):
        a, ea = fevaluate(expr.a, env, memo)
        if expr.kind == "norm2":
            a, ea = a * a, (2 * np.abs(a) + ea) * ea + U * a * a
        axis = expr.axis
        n = a.size if axis is None else a.shape[axis]
        v = a.sum(axis=axis, keepdims=True) if axis is not None else np.array([[a.sum()]])
        mag = np.abs(a).sum(axis=axis, keepdims=True) if axis is not None else np.array([[np.abs(a).sum()]])
        err = ea.sum(axis=axis, keepdims=True) if axis is not None else np.array([[ea.sum()]])
        e = err + _gamma(n) * mag
        if expr.kind == "mean":
            v, e = v / n, e / n + U * np.abs(v / n)
        return v, e
    raise Unsure(f"no float64 rule for {type(expr).__name__}")


def mentions_sizes(expr):
    """Whether `expr` writes a size letter (`1/N`, `D - 2`): a number that differs between the
    large point and the small ones, which a claim could use to differ from the truth at the large
    point alone, by less than float64 can see."""
    for e in preorder(expr):
        t = e.value if isinstance(e, Const) else e.template if isinstance(e, Elem) else None
        if t is not None and any(not s.name.startswith("⟨") for s in t.free_symbols):
            return True
    return False


def _sizes(env):
    return {sympy.Symbol(d, positive=True, integer=True): n for d, n in env.get("__sizes__", {}).items()}


def _constant(t):
    """A number (or e, π) in float64 with its error bound: exact for integers below 2^53, else
    within two units in the last place (a rational is one correctly rounded division)."""
    if t.is_Integer:
        v = float(int(t))
        return v, 0.0 if abs(int(t)) < 2 ** 53 else U * abs(v)
    v = t.p / t.q if t.is_Rational else float(t)
    return v, 2 * U * abs(v)


def _scalar(t, sizes, memo, args=()):
    """A SymPy template over slots (⟨i⟩ -> args[i]) and size letters, in float64 with bounds."""
    if t in memo:
        return memo[t]
    if t.is_Symbol:
        if t.name.startswith("⟨") and t.name.endswith("⟩") and t.name[1:-1].isdigit() \
                and int(t.name[1:-1]) < len(args):
            out = args[int(t.name[1:-1])]
        elif t in sizes:
            out = (float(sizes[t]), 0.0)
        else:
            raise Unsure(f"no value for {t}")
    else:
        out = _applied(t, lambda a: _scalar(a, sizes, memo, args))
    memo[t] = out
    return out


def fvalues(expr, env):
    """(values, bounds) of a scalar SymPy expression as float64 arrays, one entry a point; `env`
    maps each Symbol to its (values, bounds). The domain checks are derive.evaluate's, made
    conservative: where the exact evaluation could refuse a point, this raises Unsure."""
    memo = {}
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        try:
            for node in postorder(expr):
                v, e = _fnode(node, env, memo)
                memo[node] = v, e * SLACK + FLOOR
        except (FloatingPointError, OverflowError, ZeroDivisionError) as err:
            raise Unsure(str(err)) from None
    v, e = memo[expr]
    if not (np.all(np.isfinite(v)) and np.all(np.isfinite(e))):
        raise Unsure("not finite in float64")
    return v, e


def _fnode(t, env, memo):
    if t.is_Symbol:
        if t not in env:
            raise Unsure(f"no value for {t}")
        return env[t]
    return _applied(t, memo.__getitem__)


def _applied(t, value):
    """A number or a primitive's node in float64 with its bound; `value(a)` is an argument's
    (values, bounds)."""
    if t.is_Number or t is sympy.E or t is sympy.pi:
        return _constant(t)
    p = primitive(t)
    if p is None or p.f64 is None:
        raise Unsure(f"no float64 rule for {type(t).__name__}")
    if t.is_Pow:
        if not t.exp.is_Number:
            raise Unsure("a power with a variable exponent")
        b, e = value(t.base)
        return p.f64([b, float(t.exp)], [e, 0.0])
    pairs = [value(a) for a in t.args]
    if not p.cheap and any(np.any(np.abs(x) + e > HUGE) for x, e in pairs):
        raise Unsure("an argument beyond 10^100")
    return p.f64([x for x, _ in pairs], [e for _, e in pairs])
