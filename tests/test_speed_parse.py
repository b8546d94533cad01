"""Long sums and products are read in linear time (issue #8): a claim may have 2500 operands,
so the multiplied-out gradient of a depth-4 sigmoid chain is judged; what is differentiated (a
spec, a d/dw operand) keeps the 800-operand cap."""

import pytest
import sympy

from check import ParseError, check_claim, check_steps
from derive import parse_spec
from derive.functions import Sigma, SigmaPrime
from derive.parse import FLAT, MAX_TERMS, Scope, parse_expression
from conftest import within
from derive.printing import Text


def chain(depth):
    lines = ["h0 = x"] + [f"h{i} = sigma(w{i}*h{i - 1} + b{i})" for i in range(1, depth + 1)]
    return "\n".join(lines + [f"L = 1/2*(h{depth} - t)^2"]) + "\n"


x, y = sympy.symbols("x y", real=True)
POWERS = [x ** j for j in range(1, 40)]
SIGMAS = [Sigma(j * x) for j in range(1, 20)]
FACTORS = [x + j for j in range(1, 30)]


def fold(items, op):
    out = items[0]
    for e in items[1:]:
        out = op(out, e)
    return out


@pytest.mark.parametrize("text,expected", [
    ("+".join(f"x^{j}" for j in range(1, 40)) + " - y - 2*x", fold(POWERS + [-y, -2 * x], lambda a, b: a + b)),
    ("*".join(f"(x+{j})" for j in range(1, 30)) + "/y/2", fold(FACTORS + [1 / y, sympy.Rational(1, 2)], lambda a, b: a * b)),
    ("2*" + "*".join(f"sigma({j}*x)" for j in range(1, 20)) + "*(x + y)",
     fold([sympy.Integer(2)] + SIGMAS + [x + y], lambda a, b: a * b)),
])
def test_a_long_chain_is_the_expression_of_the_operand_at_a_time_fold(text, expected):
    assert parse_expression(text, Scope()) == expected


def test_short_chains_are_built_as_before():
    assert FLAT >= 4
    assert parse_expression("2*(x + y)", Scope()) == 2 * x + 2 * y          # SymPy distributes
    assert parse_expression("x - y + x", Scope()) == 2 * x - y


def test_six_hundred_distinct_factors_read_in_well_under_a_second():
    from check.read.scope import ClaimScope
    text = "*".join(f"sigma(x+{j})" for j in range(1, 601))
    with within(1.0):
        e = parse_expression(text, ClaimScope(parse_spec("f = x\n")))
    assert len(e.args) == 600


def test_the_multiplied_out_depth_4_gradient_is_judged_correct():
    spec = chain(4)
    g = parse_spec(spec)
    truth = g.backprop().gradients["w1"]
    expanded = sympy.expand(truth.replace(lambda e: isinstance(e, SigmaPrime),
                                          lambda e: Sigma(e.args[0]) * (1 - Sigma(e.args[0]))))
    text = Text(ascii=True).doprint(expanded)
    assert text.count("sigma") > 300
    assert check_claim(spec, "w1", text).verdict == "correct"


def test_specs_keep_the_800_operand_cap():
    with pytest.raises(ParseError, match=f"more than {MAX_TERMS}"):
        parse_spec("f = " + "+".join(f"sigma({j}*x)" for j in range(1, 400)) + "\n")


def test_a_derivative_operator_keeps_the_800_operand_cap():
    rows = "f = d/dx [ " + "*".join(f"(x+{j})" for j in range(1, 500)) + " ]\n  = 1\n"
    with within(2.0):
        item = check_steps(rows).items[0]
    assert item.diagnosis["kind"] == "parse_error" and "under a derivative" in item.diagnosis["message"]
