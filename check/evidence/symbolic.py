"""Symbolic evidence: does `truth − claim` reduce to 0? Reported, never decisive.

By default the reduction runs within a budget of work units, so its answer is the same on every
machine and every run: the difference is read as a rational function of its atoms (σ, σ′, exp,
tanh of one argument as one unit symbol; then σ and tanh as atoms; then everything through
exponentials) and multiplied out term by term, each term of each product costing a unit.
- `zero`: one of those readings is identically 0;
- `different`: the difference is a rational function of plain variables and its numerator is
  not 0 (then the reading is complete: it really is not 0);
- `budget`: the units ran out, or the readings ended without settling it (σ(2x) and σ(x) are
  related in ways a reading of atoms cannot see); `prove=True` goes further.
With `prove=True` the same readings run with a larger budget, then SymPy's `simplify` in a forked
child killed at the wall-clock `deadline` (check.isolation): `zero`, `different` or `timeout`.
`deadline <= 0` skips the symbolic evidence (`skipped`)."""
from collections import OrderedDict

import sympy

from derive.functions import Sigma, SigmaPrime
from derive.rules import PRIME_OF, TABLE
from derive.walk import postorder as _postorder, preorder as _preorder

BUDGET = 20_000             # work units of the default reduction
PROVE_BUDGET = 400_000      # before the wall-clock reduction, with prove=True
MEMORY = 2 << 30            # the forked simplify's address space
MAX_POWER = 64              # an integer power multiplied out; beyond it the power is an atom


class _Spent(Exception):
    """The work units ran out."""


class _Unsettled(Exception):
    """A denominator that is identically 0: the reading says nothing."""


# The derivative heads the table writes through their function's value: σ′ as σ(1 − σ), tanh′ as 1 − tanh².
_THROUGH_OUTPUT = {prime: head for prime, head in PRIME_OF.items() if TABLE[head].by_output}


def normal_form(e):
    """σ′, tanh′ written through σ and tanh, so identities become polynomial ones."""
    for prime, head in _THROUGH_OUTPUT.items():
        e = e.replace(lambda x, prime=prime: isinstance(x, prime),
                      lambda x, head=head: TABLE[head].by_output(head(x.args[0])))
    return e


def _exponentials_as_symbols(e):
    """exp(u) as a symbol E_u and exp(-u) as 1/E_u, so σ written with e^{-z} becomes a
    rational function."""
    table = {}
    for x in e.atoms(sympy.exp):
        arg = -x.args[0] if x.args[0].could_extract_minus_sign() else x.args[0]
        s = table.setdefault(arg, sympy.Dummy("E", positive=True))
        table[x] = s if arg == x.args[0] else 1 / s
    return e.xreplace({k: v for k, v in table.items() if isinstance(k, sympy.exp)})


_SIGMOIDS = (Sigma, SigmaPrime, sympy.exp)
_TANHS = (sympy.tanh, TABLE[sympy.tanh].prime)


def _units_as_symbols(e):
    """σ(u) as a symbol S_u, σ′(u) as S_u(1 − S_u), exp(u) as S_u/(1 − S_u) (e^u = σ(u)/σ(−u)),
    tanh(u) as T_u and tanh′(u) as 1 − T_u², each u up to its sign: σ, σ′ and exp of the same
    argument become one rational function, whatever form the student chose. Arguments are taken
    as they are written, so this settles the common case in milliseconds, not every case."""
    nodes = [x for x in _preorder(e) if isinstance(x, _SIGMOIDS + _TANHS)]
    sigmoid_args = {_unsigned(x.args[0])[0] for x in nodes if isinstance(x, (Sigma, SigmaPrime))}
    table, out = {}, {}
    for x in nodes:
        u, neg = _unsigned(x.args[0])
        family = "T" if isinstance(x, _TANHS) else "S"
        s = table.setdefault((family, u), sympy.Dummy(family))
        if isinstance(x, Sigma):
            out[x] = 1 - s if neg else s
        elif isinstance(x, SigmaPrime):
            out[x] = TABLE[Sigma].by_output(s)
        elif isinstance(x, sympy.exp):
            ratio = s / (1 - s) if u in sigmoid_args else s
            out[x] = 1 / ratio if neg else ratio
        elif isinstance(x, sympy.tanh):
            out[x] = -s if neg else s
        else:
            out[x] = TABLE[sympy.tanh].by_output(s)
    return e.xreplace(out)


def _unsigned(u):
    return (-u, True) if u.could_extract_minus_sign() else (u, False)


class _Algebra:
    """Sparse polynomials with integer coefficients over atoms numbered as met, as (terms, degree):
    a monomial is one int holding each atom's power in a field of FIELD bits, so multiplying
    monomials is adding ints; rational functions are (numerator, denominator), rational
    constants split between the two. Every operation pays its units first."""

    FIELD = 32

    def __init__(self, units):
        self.left, self.atoms = units, {}

    def pay(self, n):
        self.left -= n
        if self.left < 0:
            raise _Spent()

    def atom(self, e):
        k = self.atoms.setdefault(e, len(self.atoms))
        return {1 << (self.FIELD * k): 1}, 1

    def add(self, a, b):
        self.pay(len(a[0]) + len(b[0]))
        out = dict(a[0])
        for m, c in b[0].items():
            c += out.get(m, 0)
            if c:
                out[m] = c
            else:
                out.pop(m, None)
        return out, max(a[1], b[1])

    def mul(self, a, b):
        if a is _ONE:
            return b
        if b is _ONE:
            return a
        self.pay(len(a[0]) * len(b[0]))
        degree = a[1] + b[1]
        if degree >= 1 << (self.FIELD - 1):       # a power would spill into the next atom's field
            raise _Unsettled()
        out = {}
        for ma, ca in a[0].items():
            for mb, cb in b[0].items():
                m = ma + mb
                c = out.get(m, 0) + ca * cb
                if c:
                    out[m] = c
                else:
                    out.pop(m, None)
        return out, degree


_ONE = ({0: 1}, 0)
_ZERO = ({}, 0)


def _constant(n):
    return ({0: n}, 0) if n != 1 else _ONE


def _rational(e, alg):
    """(numerator, denominator) of `e`, each node of the expression DAG read once."""
    memo = {}
    for node in _postorder(e):
        alg.pay(1)
        memo[node] = _node(node, memo, alg)
    return memo[e]


def _node(x, memo, alg):
    if x.is_Rational:
        return (_constant(int(x.p)), _constant(int(x.q))) if x != 0 else (_ZERO, _ONE)
    if x.is_Add or x.is_Mul:
        num, den = memo[x.args[0]]
        for a in x.args[1:]:
            n2, d2 = memo[a]
            if x.is_Mul:
                num, den = alg.mul(num, n2), alg.mul(den, d2)
            elif d2[0] == den[0]:
                num = alg.add(num, n2)
            else:
                num = alg.add(alg.mul(num, d2), alg.mul(n2, den))
                den = alg.mul(den, d2)
        return num, den
    if x.is_Pow and x.exp.is_Integer and abs(x.exp) <= MAX_POWER:
        num, den = memo[x.base]
        if x.exp < 0:
            if not num[0]:
                raise _Unsettled()
            num, den = den, num
        out_n, out_d = _ONE, _ONE
        for _ in range(abs(int(x.exp))):
            out_n, out_d = alg.mul(out_n, num), alg.mul(out_d, den)
        return out_n, out_d
    return alg.atom(x), _ONE


def _zero(e, alg):
    """Is `e`, read as a rational function of its atoms, identically 0?"""
    num, den = _rational(e, alg)
    if not den[0]:
        raise _Unsettled()
    return not num[0]


def _tree_size(e):
    """Nodes of `e` counted as a tree (a subterm shared n times counts n times)."""
    size = {}
    for x in _postorder(e):
        size[x] = 1 + sum(size[a] for a in x.args)
    return size[e]


def _plain(d):
    """A rational function of variables only: its reading is complete."""
    return all(x.is_Symbol or x.is_Rational or x.is_Add or x.is_Mul
               or (x.is_Pow and x.exp.is_Integer and abs(x.exp) <= MAX_POWER) for x in _preorder(d))


def budgeted(d, units):
    """'zero', 'different' or 'budget' within `units` work units (see the module doc)."""
    alg = _Algebra(units)
    try:
        alg.pay(_tree_size(d))          # SymPy's rewriting walks the tree, shared parts again
        if _zero(_units_as_symbols(d), alg):
            return "zero"
        if _plain(d):
            return "different"
        nf = normal_form(d)
        if _zero(nf, alg):
            return "zero"
        alg.pay(_tree_size(nf))
        if _zero(_exponentials_as_symbols(nf.rewrite(sympy.exp)), alg):
            return "zero"
    except (_Spent, _Unsettled):
        pass
    return "budget"


def _reduce(emit, d):
    status = budgeted(d, PROVE_BUDGET)
    if status == "budget":
        status = "zero" if sympy.simplify(normal_form(d).rewrite(sympy.exp)) == 0 else "different"
    emit(status)


def proved(d, deadline):
    """'zero', 'different' or 'timeout': the default readings here; past them, the readings with
    a larger budget and then simplify, in a child killed at `deadline`."""
    status = budgeted(d, BUDGET)
    if status != "budget":
        return status
    from check import isolation
    out = isolation.run(_reduce, d, deadline=deadline, memory=MEMORY)
    return out.items[0] if out.ok and out.items else "timeout"


_SETTLED = OrderedDict()


def symbolic_status(difference, deadline=1.0, prove=False):
    """The symbolic evidence's status for `difference` (see the module doc). Settled answers are
    remembered, so a class's common answer is reduced once."""
    if difference == 0:
        return "zero"
    if deadline <= 0:
        return "skipped"
    key = (difference, prove)
    if key in _SETTLED:
        _SETTLED.move_to_end(key)
        return _SETTLED[key]
    status = proved(difference, deadline) if prove else budgeted(difference, BUDGET)
    if status != "timeout":
        _SETTLED[key] = status
        if len(_SETTLED) > 4096:
            _SETTLED.popitem(last=False)
    return status
