"""Reading a little wider: numpy's in-place idioms and `np.where` in code (CS231n assignments 1-2),
a positional axis, and `cases` with more than two branches (textbook piecewise functions, the
Huber loss). The corpus rows are in tests/data/reading_corpus.tsv; these tests judge whole
hand-ins, so a wrong reading shows up as a wrong verdict."""
import pathlib

import pytest

from check import ParseError, check_adjoints, check_claim
from derive.parse import Scope, parse_expression

SPECS = pathlib.Path(__file__).resolve().parents[1] / "exercises" / "specs"
REGLOG = (SPECS / "reglog.bp").read_text(encoding="utf-8")
AFFINE_RELU = (SPECS / "affine_relu.bp").read_text(encoding="utf-8")
HUBER = (SPECS / "huber.bp").read_text(encoding="utf-8")
RELU_LAYER = "x: matrix(N, D)\nG: matrix(N, D)\nwrt: x\nout = relu(x)\nL = sum(out * G)\n"
RELU = "z = w*x + b\nh = relu(z)\nL = 1/2*(h - t)^2"

RELU_BACKWARD = '''import numpy as np


def relu_backward(dout, cache):
    """CS231n assignment 2, layers.py."""
    dx, x = None, cache
    dx = dout.copy()
    dx[x <= 0] = 0
    return dx
'''


def _items(rep):
    return [(v.target, v.line, v.verdict) for v in rep.items]


def test_a_masked_copy_of_the_upstream_gradient_is_relu_backward():
    rep = check_adjoints(RELU_LAYER, RELU_BACKWARD, file="layers.py")
    assert _items(rep) == [("x_bar", 7, "correct")]
    wrong = check_adjoints(RELU_LAYER, RELU_BACKWARD.replace("x <= 0", "x > 0"), file="layers.py")
    assert _items(wrong) == [("x_bar", 7, "incorrect")]


def test_without_its_mask_line_the_copy_alone_is_judged_and_wrong():
    code = RELU_BACKWARD.replace("    dx[x <= 0] = 0\n", "")
    assert _items(check_adjoints(RELU_LAYER, code, file="layers.py")) == [("x_bar", 7, "incorrect")]


def test_an_augmented_assignment_adds_to_the_adjoint_assigned_above_it():
    """CSC321 lecture 6: w̄ = z̄ x + R̄ w, written as numpy's regularization step."""
    code = "dz = dy * y * (1 - y)\ndw = dz * x\ndw += dR * w\ndb = dz\n"
    assert [v.verdict for v in check_adjoints(REGLOG, code, file="hw.py").items] == ["correct"] * 3
    half = check_adjoints(REGLOG, code.replace("dw += dR * w\n", ""), file="hw.py")
    assert [v.verdict for v in half.items] == ["correct", "incorrect", "correct"]
    scaled = "dz = dy * y * (1 - y)\ndw = dz * x + dR * w\ndw *= 2\ndw /= 2\ndw -= 0 * w\n"
    assert [v.verdict for v in check_adjoints(REGLOG, scaled, file="hw.py").items] == ["correct", "correct"]


def test_an_augmented_assignment_in_a_notebook_cell_is_read_into_its_cell():
    import json
    nb = {"cells": [{"cell_type": "code", "source": "dz = dy * y * (1 - y)\ndw = dz * x\n\ndw += dR * w\n"}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    rep = check_adjoints(REGLOG, json.dumps(nb), file="hw.ipynb")
    assert [(v.target, v.cell, v.line, v.verdict) for v in rep.items] == [
        ("z_bar", 1, 1, "correct"), ("w_bar", 1, 2, "correct")]


def test_an_in_place_change_that_is_not_read_refuses_the_answer_at_its_line():
    code = ("da = G * (a > 0)\ndW = X.T.dot(da)\nfor i in range(3):\n    dW[:, i] -= X[i]\n"
            "db = da.sum(axis=0)\n")
    rep = check_adjoints(AFFINE_RELU, code, file="layers.py")
    by = {v.target: v for v in rep.items}
    assert by["W_bar"].diagnosis["kind"] == "parse_error" and by["W_bar"].line == 4
    assert "in place" in by["W_bar"].diagnosis["message"] and "\n" not in by["W_bar"].diagnosis["message"]
    assert by["a_bar"].verdict == "correct" and by["b_bar"].verdict == "correct"


def test_an_in_place_change_in_a_loop_or_an_if_refuses_the_answer():
    for body in ("for i in range(3):\n    dW += 0 * W\n", "if True:\n    dW *= 1\n"):
        rep = check_adjoints(AFFINE_RELU, "da = G * (a > 0)\ndW = X.T.dot(da)\n" + body, file="layers.py")
        w = rep.items[1]
        assert (w.target, w.diagnosis["kind"], w.line) == ("W_bar", "parse_error", 4), body
        assert "indentation" in w.diagnosis["message"]
    inside = "def backward(G):\n    da = G * (a > 0)\n    dW = X.T.dot(da)\n    dW += 0 * W\n    return dW\n"
    assert [v.verdict for v in check_adjoints(AFFINE_RELU, inside, file="layers.py").items] == ["correct", "correct"]


def test_an_in_place_change_with_no_assignment_above_refuses_and_other_names_are_the_programs():
    code = "loss = 0.0\nloss += 1\nda = G * (a > 0)\ndW += X.T.dot(da)\n"
    rep = check_adjoints(AFFINE_RELU, code, file="layers.py")
    assert [(v.target, v.line) for v in rep.items] == [("a_bar", 3), ("W_bar", 4)]
    assert rep.items[1].diagnosis["kind"] == "parse_error" and "dW = …" in rep.items[1].diagnosis["message"]


def test_an_unknown_name_in_an_in_place_line_is_an_error_at_its_own_line_and_column():
    code = "da = G.copy()\nda[a <= 0] = 0\nda += zz\n"
    with pytest.raises(ParseError) as e:
        check_adjoints(AFFINE_RELU, code, file="layers.py")
    assert (e.value.line, e.value.col) == (3, 7) and "zz" in e.value.message


def test_a_later_line_of_an_expression_keeps_its_own_columns():
    with pytest.raises(ParseError) as e:
        parse_expression("(a\n\n   +)", Scope(), 4, 6)
    assert (e.value.line, e.value.col) == (6, 5)
    with pytest.raises(ParseError) as e:
        parse_expression("(a +", Scope(), 4, 6)
    assert (e.value.line, e.value.col) == (4, 9)


@pytest.mark.parametrize("spec,code", [
    (RELU, "dh = h - t\ndz = np.where(z > 0, dh, 0)\n"),
    (RELU, "dh = h - t\ndz = np.where(z <= 0, 0.0, dh)\n"),
    (AFFINE_RELU, "da = np.where(a > 0, G, 0)\ndb = np.sum(da, 0)\n"),
    (AFFINE_RELU, "da = np.copy(G) * (a > 0)\ndb = da.sum(0, keepdims=True)\ndX = da.dot(W.T).copy()\n"),
])
def test_numpys_where_copy_and_positional_axis_read(spec, code):
    assert {v.verdict for v in check_adjoints(spec, code, file="a.py").items} == {"correct"}


def test_np_where_with_its_branches_swapped_is_wrong_and_without_a_comparison_is_refused():
    rep = check_adjoints(RELU, "dh = h - t\ndz = np.where(z > 0, 0, dh)\n", file="a.py")
    assert [v.verdict for v in rep.items] == ["correct", "incorrect"]
    rep = check_adjoints(AFFINE_RELU, "da = np.where(a, G, 0)\ndW = X.T.dot(G)\n", file="a.py")
    assert rep.items[0].diagnosis["kind"] == "parse_error" and "np.where" in rep.items[0].diagnosis["message"]
    wrong_axis = check_adjoints(AFFINE_RELU, "da = G * (a > 0)\ndb = da.sum(1)\n", file="a.py")
    assert wrong_axis.items[1].verdict == "incorrect"


HUBER_B = r"\begin{cases} -1 & r < -1 \\ r & |r| \le 1 \\ 1 & r > 1 \end{cases}"


def test_cases_with_three_branches_are_the_huber_gradient():
    assert check_claim(HUBER, "b", HUBER_B).verdict == "correct"
    assert check_claim(HUBER, "b", r"\begin{cases} r & |r| \le 1 \\ 1 & \text{otherwise} \end{cases}").verdict \
        == "incorrect"
    assert check_claim(HUBER, "w", r"x \begin{cases} -1 & r < -1 \\ r & -1 \le r \le 1 \\ 1 & \text{그 외} \end{cases}"
                       ).verdict == "correct"


def test_cases_branches_are_entrywise_on_matrices():
    claim = r"\begin{cases} G & a > 1 \\ G & 0 < a \le 1 \\ 0 & \text{나머지} \end{cases}"
    rep = check_adjoints(AFFINE_RELU, r"\bar{a} = " + claim)
    assert [v.verdict for v in rep.items] == ["correct"]
    rep = check_adjoints(AFFINE_RELU, r"\bar{a} = " + claim.replace("G & 0 <", "2G & 0 <"))
    assert [v.verdict for v in rep.items] == ["incorrect"]


@pytest.mark.parametrize("claim,col,what", [
    (r"\begin{cases} 1 & z > 1 \\ 2 & 0 \le z \le 1.5 \\ 0 & \text{otherwise} \end{cases}", 32, "1 < z < 1.5"),
    (r"\begin{cases} 1 & z > 1 \\ 2 & 0 < z < 1 \\ 0 & z < 0 \end{cases}", 49, "leave out z = 0"),
    (r"\begin{cases} 1 & z > 0 \\ 2 & z \le 0 \\ 0 & \text{otherwise} \end{cases}", 43, "never taken"),
    (r"\begin{cases} 1 & z > 1 \\ 2 & 0 \le z \le 1 \\ 0 & b < 0 \end{cases}", 53, "one expression with numbers"),
])
def test_cases_conditions_that_overlap_or_leave_a_gap_are_refused_at_a_condition(claim, col, what):
    with pytest.raises(ParseError) as e:
        check_claim(RELU, "w", claim)
    assert (e.value.col, what in e.value.message, "\n" in e.value.message) == (col, True, False), e.value


def test_a_cases_of_more_than_fifty_branches_is_refused_and_long_decimals_are_exact():
    branches = r" \\ ".join(f"{k} & {k} \\le z < {k + 1}" for k in range(51))
    with pytest.raises(ParseError) as e:
        check_claim(RELU, "w", r"\begin{cases} " + branches + r" \\ 0 & \text{otherwise} \end{cases}")
    assert "more than 50 branches" in e.value.message and e.value.col == 1
    bound = "0." + "1" * 40
    claim = rf"(h - t) \begin{{cases}} x & z > {bound} \\ 0 & -1 < z \le {bound} \\ 0 & \text{{otherwise}} \end{{cases}}"
    read = check_claim(RELU, "w", claim).to_dict()["as_read"]["text"]
    assert "[z > 1111111111111111111111111111111111111111/10000000000000000000000000000000000000000]" in read
