"""A claim whose bracket sits beside the truth's kink ([z > 0.1] for relu′(z)) differs only on a thin
strip the random points can miss: the check also looks on both sides of each kink of the claim's own."""
import pytest

from check import check_adjoints, check_claim
from check.evidence import boundaries, truth_for
from derive import parse_spec
from derive.functions import sym

RELU = "z = w*x + b\nh = relu(z)\nL = h*y\n"
SVM = open("exercises/specs/svm_naive.bp", encoding="utf-8").read()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("claim", ["y*x*[z > 0.111]", "y*x*[z > 0.01]", "y*x*[z > -0.02]",
                                   "y*x*[w*x + b > 1/64]", "x*y*relu'(z - 0.05)"])
def test_a_threshold_moved_off_the_kink_is_incorrect(claim, seed):
    v = check_claim(RELU, "w", claim, seed=seed)
    assert v.verdict == "incorrect"
    assert v.counterexample["expected"] != v.counterexample["got"]


@pytest.mark.parametrize("claim", ["y*x*relu'(z)", "y*x*[z > 0]", "y*x*[0 < z]", "y*x*[z >= 0]",
                                   "y*x*[w*x + b > 0]", "y*x*[2*z > 0]", "y*x*[z^3 > 0]", "y*x*max(0, z)/z"])
def test_the_same_kink_written_otherwise_stays_correct(claim):
    assert check_claim(RELU, "w", claim).verdict == "correct"


def test_the_hinge_margin_moved_is_incorrect_in_the_lecture_svm():
    v = check_claim(SVM, "s1", "-[s2 - s1 + 0.9 > 0] - [s3 - s1 + 1 > 0]")
    assert v.verdict == "incorrect"
    assert check_claim(SVM, "s1", "-[s2 - s1 + 1 > 0] - [s3 - s1 + 1 > 0]").verdict == "correct"


def test_an_adjoint_line_with_a_moved_threshold_is_incorrect():
    r = check_adjoints(RELU, "h_bar = y\nz_bar = h_bar*[z > 0.05]\nw_bar = z_bar*x\n")
    assert [v.verdict for v in r.items][:2] == ["correct", "incorrect"]


def test_kinks_that_scale_the_truths_are_not_looked_beside():
    truth = truth_for(parse_spec(RELU), 0)
    envs = [p.env for p in truth.points]
    true = truth.derivation.leaf_adjoints["w"]
    z = sym("w") * sym("x") + sym("b")
    from derive.functions import IndGt, ReluPrime
    assert boundaries.foreign(sym("x") * ReluPrime(-2 * z) * IndGt(0, z), true, envs) == []
    moved = boundaries.foreign(IndGt(z, 0.125), true, envs)
    assert len(moved) == 1
    beside = truth.beside(IndGt(z, 0.125), true, "w")
    assert len(beside) == 2 * len(boundaries.AWAY)
    assert {p[0][sym("z")] > 0.125 for p in beside} == {True, False}
