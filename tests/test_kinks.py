"""A claim whose bracket sits beside the truth's kink ([z > 0.1] for relu′(z)) differs only on a thin
strip the random points can miss: the check also looks on both sides of each kink of the claim's own."""
import pytest

from check import check_adjoints, check_claim
from check.evidence import boundaries, truth_for
from derive import parse_spec
from derive.functions import IndGt, ReluPrime, sym

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


def test_kinks_that_scale_the_graphs_are_not_looked_beside():
    truth = truth_for(parse_spec(RELU), 0)
    envs = [p.env for p in truth.points]
    graph_kinks = boundaries.values(boundaries.scalar_kinks(truth.derivation.leaf_adjoints["w"]), envs)
    z = sym("w") * sym("x") + sym("b")
    scaled = boundaries.scalar_kinks(sym("x") * ReluPrime(-2 * z) * IndGt(0, z))
    assert boundaries.foreign(scaled, graph_kinks, envs) == []
    moved = IndGt(z, 0.125)
    assert len(boundaries.foreign(boundaries.scalar_kinks(moved), graph_kinks, envs)) == 1
    beside = truth.beside(moved, "w")
    assert len(beside) == 2 * len(boundaries.AWAY)
    assert {p[0][sym("z")] > 0.125 for p in beside} == {True, False}


AFFINE_RELU = open("exercises/specs/affine_relu.bp", encoding="utf-8").read()


@pytest.mark.parametrize("claim", ["X.T @ (G * (a > 0.001))", "X.T @ (G * (a > -0.001))",
                                   "X.T @ (G * (X @ W + b > 1/256))"])
def test_a_moved_mask_on_matrices_is_incorrect(claim):
    v = check_claim(AFFINE_RELU, "W", claim)
    assert v.verdict == "incorrect"
    assert v.diagnosis["fix"]["text"] == "X.T @ (G*relu'(a))"


@pytest.mark.parametrize("claim", ["X.T @ (G * (a > 0))", "X.T @ (G * (X @ W + b > 0))", "X.T @ (G * (2*a >= 0))",
                                   "X.T @ (G * (a**3 > 0))"])
def test_the_same_mask_written_otherwise_stays_correct_on_matrices(claim):
    assert check_claim(AFFINE_RELU, "W", claim).verdict == "correct"


def test_a_widened_matrix_truth_is_a_copy():
    from check.evidence.matrix import matrix_truth
    truth = matrix_truth(parse_spec(AFFINE_RELU), 0)
    before = len(truth.points)
    check_claim(AFFINE_RELU, "W", "X.T @ (G * (a**3 > 0))")
    assert len(truth.points) == before and not truth.widened
