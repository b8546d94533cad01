"""Symbolic evidence by default within a budget of work units (deterministic), in full only with
`prove`: the status reports which, and the verdict never depends on it."""
import io
import json

import sympy

from check import check_claim
from check.cli import main
from check.evidence.symbolic import BUDGET, budgeted, symbolic_status
from derive.functions import Sigma, SigmaPrime, sym

REGLOG = "z = w*x + b\ny = sigma(z)\nL = 1/2*(y - t)^2\nR = 1/2*w^2\nL_reg = L + lambda*R\n"
RIGHT = "(sigma(w*x+b)-t)*sigma(w*x+b)*(1-sigma(w*x+b))*x + lambda*w"
CHAIN = "a0 = x\n" + "".join(f"a{k + 1} = sigma(a{k})\n" for k in range(4))


def test_the_lecture_claim_reduces_to_zero_within_the_default_budget():
    v = check_claim(REGLOG, "w", RIGHT)
    assert v.verdict == "correct" and v.evidence["symbolic"]["status"] == "zero"


def test_sigma_prime_written_through_exp_is_zero_within_the_budget():
    x, w = sym("x"), sym("w")
    u = w * x + 1
    d = SigmaPrime(u) - sympy.exp(-u) / (1 + sympy.exp(-u)) ** 2
    assert budgeted(d, BUDGET) == "zero"


def test_a_polynomial_difference_is_different_because_the_reading_is_complete():
    x, y = sym("x"), sym("y")
    assert symbolic_status((x + y) ** 2 - x ** 2 - y ** 2, 1.0) == "different"


def test_a_difference_of_atoms_that_is_not_zero_is_not_called_different():
    x = sym("x")
    assert symbolic_status(Sigma(x) - sympy.tanh(x), 1.0) == "budget"      # not proven either way


def test_the_budget_counts_work_not_time_so_a_small_one_runs_out():
    x, w = sym("x"), sym("w")
    d = (Sigma(w * x) + x) ** 8 - sympy.expand((Sigma(w * x) + x) ** 8) + SigmaPrime(x) - Sigma(x) * (1 - Sigma(x))
    assert budgeted(d, 50) == "budget"
    assert budgeted(d, BUDGET) == "zero"


def test_a_deep_chain_claim_stops_at_the_budget_the_same_way_every_time():
    claims, t = [], "x"
    factors = []
    for _ in range(4):
        factors.append(f"exp(-({t}))/(1 + exp(-({t})))^2")
        t = f"1/(1 + exp(-({t})))"
    claim = "*".join(factors)
    for _ in range(2):
        v = check_claim(CHAIN, "x", claim, deadline=60)
        claims.append((v.verdict, v.evidence["symbolic"]["status"]))
    assert claims[0] == claims[1] and claims[0][0] == "correct" and claims[0][1] in ("zero", "budget")


def test_deadline_zero_skips_the_symbolic_evidence():
    v = check_claim(REGLOG, "w", RIGHT, deadline=0)
    assert v.verdict == "correct" and v.evidence["symbolic"]["status"] == "skipped"


def test_prove_on_the_command_line_reports_the_full_reduction():
    out = io.StringIO()
    code = main(["check", "grad", REGLOG, "--wrt", "w", "--claim", "x*(sigma(w*x+b) - t)*sigma'(w*x+b) + lambda*w",
                 "--prove", "--json"], out=out)
    doc = json.loads(out.getvalue())
    assert code == 0 and doc["verdict"] == "correct" and doc["evidence"]["symbolic"]["status"] == "zero"


def test_a_wrong_claim_is_incorrect_and_different_with_or_without_prove():
    for prove in (False, True):
        v = check_claim(REGLOG, "w", "(sigma(w*x+b)-t)*x + lambda*w", prove=prove)
        assert v.verdict == "incorrect" and v.evidence["symbolic"]["status"] == "different"
