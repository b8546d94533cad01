"""The one rule table: every primitive's partials against SymPy and against finite differences."""
import random

import mpmath
import pytest
import sympy

from derive import functions as F
from derive.evaluate import evaluate
from derive.functions import sym
from derive.rules import TABLE, DomainError, derivative, local_derivative, partial, primitive

A, B_, C = sym("a"), sym("b"), sym("c")
POSITIVE_FIRST = {sympy.log, sympy.Pow}     # domains: log(a) and a^b need a > 0
UNIT = {sympy.asin, sympy.acos}             # |a| < 1


def arity(head):
    if head in (sympy.Add, sympy.Mul):
        return 3
    n = getattr(head, "nargs", None)
    if head in (sympy.Pow, F.LeakyRelu, F.Elu, F.Max, F.Min, F.IndGe, F.IndGt):
        return 2
    return 1 if n is None or 1 in n else min(n)


def application(head):
    args = (A, B_, C)[: arity(head)]
    return head(*args, evaluate=False) if head in (sympy.Add, sympy.Mul, sympy.Pow) else head(*args), args


T = sympy.Dummy("t", real=True)


def gelu_of(x):
    return x / 2 * (1 + sympy.tanh(sympy.sqrt(2 / sympy.pi) * (x + sympy.Rational(44715, 10 ** 6) * x ** 3)))


def native(e):
    """Our inert heads in SymPy's own terms, so that `sympy.diff` knows them."""
    H = sympy.Heaviside
    rewrite = {
        F.Sigma: lambda x: 1 / (1 + sympy.exp(-x)),
        F.SigmaPrime: lambda x: sympy.exp(-x) / (1 + sympy.exp(-x)) ** 2,
        F.TanhPrime: lambda x: 1 - sympy.tanh(x) ** 2,
        F.Softplus: lambda x: sympy.log(1 + sympy.exp(x)),
        F.Relu: lambda x: sympy.Max(0, x),
        F.ReluPrime: lambda x: H(x, 0),
        F.LeakyRelu: lambda x, s: sympy.Piecewise((x, x > 0), (s * x, True)),
        F.Elu: lambda x, s: sympy.Piecewise((x, x > 0), (s * (sympy.exp(x) - 1), True)),
        F.Max: lambda x, y: sympy.Max(x, y),
        F.Min: lambda x, y: sympy.Min(x, y),
        F.IndGe: lambda x, y: H(x - y, 1),
        F.IndGt: lambda x, y: H(x - y, 0),
        F.Log1p: lambda x: sympy.log(1 + x),
        F.Expm1: lambda x: sympy.exp(x) - 1,
        F.LogSigma: lambda x: sympy.log(1 / (1 + sympy.exp(-x))),
        F.Gelu: gelu_of,
        F.GeluPrime: lambda x: sympy.diff(gelu_of(T), T).subs(T, x),
        F.Swish: lambda x: x / (1 + sympy.exp(-x)),
    }
    return e.replace(lambda s: type(s) in rewrite, lambda s: rewrite[type(s)](*s.args))


def random_point(head, rng, args):
    """A point in the domain, away from kinks."""
    p = TABLE[head]
    while True:
        vals = [mpmath.mpf(rng.uniform(-2, 2)) for _ in args]
        if head in POSITIVE_FIRST:
            vals[0] = abs(vals[0]) + mpmath.mpf("0.3")
        if head in UNIT:
            vals[0] = vals[0] * mpmath.mpf("0.45")
        try:
            value = p.value(*vals)
        except DomainError:
            continue
        if isinstance(value, mpmath.mpc) or abs(vals[0]) > 0.95 and head in UNIT:
            continue
        if p.kink is None or abs(p.kink(*vals)) > 0.1:
            return vals


CASES = sorted(TABLE, key=lambda h: h.__name__)
IDS = [h.__name__ for h in CASES]


def test_every_primitive_has_a_rule_and_a_value():
    for head, p in TABLE.items():
        expr, args = application(head)
        assert primitive(expr) is p
        for i in range(len(args)):
            assert isinstance(partial(expr, i), sympy.Basic)


@pytest.mark.parametrize("head", CASES, ids=IDS)
def test_partials_agree_with_sympy_diff(head):
    expr, args = application(head)
    rng = random.Random(head.__name__)
    for i, a in enumerate(args):
        ours = native(partial(expr, i))
        theirs = sympy.diff(native(expr), a)
        if TABLE[head].kink is None:      # smooth: the difference simplifies to zero
            assert sympy.simplify((ours - theirs).rewrite(sympy.exp)) == 0, (head, i)
        for _ in range(5):                # and numerically everywhere, kinks included
            vals = random_point(head, rng, args)
            at = {s: sympy.Float(str(v), 30) for s, v in zip(args, vals)}
            got, want = ours.subs(at).evalf(30), theirs.subs(at).evalf(30)
            assert abs(got - want) < 1e-20, (head, i, vals, got, want)


@pytest.mark.parametrize("head", CASES, ids=IDS)
def test_partials_agree_with_finite_differences(head):
    expr, args = application(head)
    p = TABLE[head]
    rng = random.Random(7)
    with mpmath.workdps(30):
        for _ in range(8):
            vals = random_point(head, rng, args)
            env = dict(zip(args, vals))
            for i in range(len(args)):
                def f(t, i=i):
                    return p.value(*(t if j == i else v for j, v in enumerate(vals)))
                fd = mpmath.diff(f, vals[i])
                exact = evaluate(partial(expr, i), env)
                assert abs(fd - exact) <= mpmath.mpf(10) ** -20 * (1 + abs(exact)), (head, i, vals)


def test_kinks_follow_the_conventions():
    zero = {A: mpmath.mpf(0), B_: mpmath.mpf(0)}
    assert evaluate(partial(F.Relu(A), 0), zero) == 0                 # relu'(0) = 0
    assert evaluate(partial(sympy.Abs(A), 0), zero) == 0              # abs'(0) = 0
    tie = F.Max(A, B_)
    assert [evaluate(partial(tie, i), zero) for i in (0, 1)] == [1, 0]   # a tie: first argument
    assert [evaluate(partial(F.Min(A, B_), i), zero) for i in (0, 1)] == [1, 0]


def test_sigma_prime_stays_sigma_prime():
    d = partial(F.Sigma(A), 0)
    assert d == F.SigmaPrime(A) and not d.has(sympy.exp)


def test_value_rejects_points_outside_the_domain():
    with pytest.raises(DomainError):
        evaluate(sympy.log(A), {A: mpmath.mpf(-1)})
    with pytest.raises(DomainError):
        evaluate(1 / A, {A: mpmath.mpf(0)})


def test_chain_rule_derivative_matches_sympy_on_a_composite():
    e = F.Sigma(A * B_ + sympy.exp(A)) * sympy.tanh(A) + sympy.log(1 + A ** 2)
    ours, theirs = native(derivative(e, A)), sympy.diff(native(e), A)
    assert sympy.simplify((ours - theirs).rewrite(sympy.exp)) == 0


BY_OUTPUT = sorted((h for h, p in TABLE.items() if p.by_output), key=lambda h: h.__name__)


@pytest.mark.parametrize("head", BY_OUTPUT, ids=[h.__name__ for h in BY_OUTPUT])
def test_derivative_in_the_output_is_the_derivative(head):
    expr, (a,) = application(head)
    written = native(TABLE[head].by_output(expr))
    assert sympy.simplify((written - sympy.diff(native(expr), a)).rewrite(sympy.exp)) == 0


def test_a_composite_argument_is_differentiated_through_the_output():
    y, u = sym("y"), A * B_ + C
    assert local_derivative(F.Sigma(u), A, y) == y * (1 - y) * B_
    assert local_derivative(sympy.tanh(u), C, y) == 1 - y ** 2
    assert local_derivative(sympy.exp(u), B_, y) == y * A


def test_a_named_argument_keeps_its_prime():
    assert local_derivative(F.Sigma(A), A, sym("y")) == F.SigmaPrime(A)
    assert local_derivative(F.Sigma(A) + B_, A, sym("y")) == F.SigmaPrime(A)
