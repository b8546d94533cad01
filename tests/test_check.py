"""check: the lectures' correct answers, written every way a student may write them, are correct;
adjoint submissions are judged line by line with error carried forward; derivations are judged
row by row; the CLI's exit codes, JSON shapes and error messages are the ones docs/json.md and docs/cli.md describe."""
import json
import random

import pytest

from check import ParseError, check_adjoints, check_claim, check_steps
from derive import parse_spec
from conftest import ROOT, load, run_cli, spec_path, within

CONTRACT = ROOT / "tests" / "data" / "contract"

# --- the lectures' examples, as text ------------------------------------------------------------

REGLOG_ADJOINTS = (CONTRACT / "reglog_adjoints.txt").read_text(encoding="utf-8")

# seed 004's calculus-class derivation of w̄ (a copy of shared/contract/examples/calculus_class.txt)
CALCULUS_CLASS = (CONTRACT / "calculus_class.txt").read_text(encoding="utf-8")

# seed 004's derivation of b̄, the same steps in plain text
CALCULUS_CLASS_B = """\
dL_reg/db = d/db [ 1/2*(sigma(w*x + b) - t)^2 + lambda/2*w^2 ]
          = 1/2 * d/db [ (sigma(w*x + b) - t)^2 ] + lambda/2 * d/db [ w^2 ]
          = (sigma(w*x + b) - t) * d/db [ sigma(w*x + b) - t ] + 0
          = (sigma(w*x + b) - t) * sigma'(w*x + b) * d/db [ w*x + b ]
          = (sigma(w*x + b) - t) * sigma'(w*x + b)
"""


def text(name):
    return spec_path(name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def reglog():
    return load("reglog")


# --- claims: equivalent forms are all correct ---------------------------------------------------

REGLOG_W = [
    "(sigma(w*x+b)-t)*sigma'(w*x+b)*x + lambda*w",          # the lecture's line
    "(y - t)*sigma'(z)*x + lambda*w",                        # forward names
    "(y - t)*y*(1 - y)*x + lambda*w",                        # σ′ = y(1 − y)
    "(sigma(z) - t)*sigma(z)*(1 - sigma(z))*x + lambda*w",   # σ′ = σ(1 − σ)
    "(σ(z) - t)*σ′(z)*x + λ*w",                              # Unicode σ, ′, λ
    "(sigmoid(w*x + b) - t)*sigmoid'(w*x + b)*x + λw",       # sigmoid spelling, λw juxtaposed
    "(sigma(wx+b)-t)*sigma'(wx+b)*x + lambda*w",             # juxtaposition wx
    "(y-t) sigma'(z) x + lambda w",                          # juxtaposition with spaces
    "2*1/2*(y - t)*sigma'(z)*x + lambda*w",                  # the ½ and its 2 left in
    "2*1/2*(y-t)*sigma'(z)*x + 2*lambda/2*w",
    "x*sigma'(z)*(y - t) + w*lambda",                        # factors in any order
    "lambda*w - (t - y)*sigma'(z)*x",                        # sign moved around
    "(y*x - t*x)*sigma'(z) + lambda*w",                      # distributed
    "(y - t)*sigma'(z)*x + lambda*w^2/w",                    # an unsimplified quotient
    "(y - t)*sigma'(z)*x + lambda*R*2/w",                    # through R = ½w²
    "dL_reg/dw = (y - t)*sigma'(z)*x + lambda*w",            # with a left-hand side
    "w_bar = (y - t)*sigma'(z)*x + lambda*w",
    "w̄ = (y - t)*sigma'(z)*x + lambda*w",
    "∂L_reg/∂w = (y - t)*sigma'(z)*x + lambda*w",
    "(y − t)·σ′(z)·x + λ·w",                                 # Unicode minus and dots
]


@pytest.mark.parametrize("claim", REGLOG_W)
def test_reglog_w_claim_written_many_equivalent_ways_is_correct(reglog, claim):
    v = check_claim(reglog, "w", claim)
    assert v.verdict == "correct", (claim, v.to_dict())
    assert v.diagnosis is None and v.counterexample is None
    assert v.evidence["numeric"]["points"] >= 16 and v.evidence["numeric"]["digits"] >= 30
    assert v.evidence["finite_difference"]["status"] == "confirmed"


@pytest.mark.parametrize("claim", [
    "(sigma(w*x+b)-t)*sigma'(w*x+b)",
    "(y - t)*sigma'(z)",
    "(y - t)*y*(1 - y)",
    "(σ(z) - t)*σ′(z)",
    "(sigma(wx + b) - t)*sigma(wx + b)*(1 - sigma(wx + b))",
    "2*1/2*(y - t)*sigma'(z)",
    "dL_reg/db = (y - t)*sigma'(z) + 0",
    "b_bar = (y - t)*sigma'(z)",
])
def test_reglog_b_claim_written_many_equivalent_ways_is_correct(reglog, claim):
    assert check_claim(reglog, "b", claim).verdict == "correct"


@pytest.mark.parametrize("wrt,claim", [
    ("w0", "x0*sigma'(z)"), ("w0", "x0*f*(1 - f)"), ("w0", "x0*sigma'(w0*x0 + w1*x1 + w2)"),
    ("w0", "x_0*σ′(z)"), ("w0", "x_{0}*sigma(z)*(1 - sigma(z))"),
    ("x0", "w0*sigma'(z)"), ("x0", "w0*f*(1-f)"),
    ("w1", "x1*sigma'(z)"), ("x1", "w1*sigma'(z)"),
    ("w2", "sigma'(z)"), ("w2", "f*(1 - f)"), ("w2", "exp(-z)/(1 + exp(-z))^2"),
    ("w_0", "x0*sigma'(z)"), ("w_{0}", "x0*sigma'(z)"),
])
def test_sigmoid_neuron_claims_per_weight_are_correct(wrt, claim):
    v = check_claim(load("neuron"), wrt, claim)
    assert v.verdict == "correct", (wrt, claim, v.to_dict())


@pytest.mark.parametrize("wrt,claim", [
    ("x", "z"), ("y", "z"), ("z", "q"), ("z", "x + y"), ("x", "df/dx = z"), ("q", "z"),
])
def test_simple_circuit_claims_are_correct(wrt, claim):
    assert check_claim(load("simple"), wrt, claim).verdict == "correct"


def test_gates_truth_is_a_router_so_the_indicator_claims_are_correct():
    g = load("gates")
    d = g.backprop()
    assert str(d.gradients["z"]) == "2*IndGe(z, w)" and str(d.gradients["w"]) == "2*IndGt(w, z)"
    for wrt, claim in [("x", "2*y"), ("y", "2*x"), ("z", "2*[z >= w]"), ("z", "2*[w <= z]"),
                       ("w", "2*[w > z]"), ("w", "2*[z < w]"), ("z", "2*[z ≥ w]")]:
        assert check_claim(g, wrt, claim).verdict == "correct", (wrt, claim)
    # at the lecture's point z wins the max, but random points send the gradient either way,
    # so the constants the slide shows are not the gradient
    assert check_claim(g, "z", "2").verdict == "incorrect"
    assert check_claim(g, "w", "0").verdict == "incorrect"


# --- adjoint submissions ------------------------------------------------------------------------

def _lines():
    return REGLOG_ADJOINTS.strip().split("\n")


def _all_correct(report):
    bad = [(i.target, i.verdict, i.diagnosis) for i in report.items if i.verdict != "correct"]
    assert not bad and report.verdict == "correct" and report.first_wrong is None, bad
    assert report.missing == () and report.exit_code == 0


@pytest.mark.parametrize("order", ["as_written", "reversed", "shuffled_1", "shuffled_2", "shuffled_3"])
def test_reglog_adjoints_in_any_order_are_correct(reglog, order):
    lines = _lines()
    if order == "reversed":
        lines.reverse()
    elif order.startswith("shuffled"):
        random.Random(int(order[-1])).shuffle(lines)
    r = check_adjoints(reglog, "\n".join(lines))
    _all_correct(r)
    assert len(r.items) == 7 and r.score == 7
    assert all(v["correct"] for v in r.global_values.values()) and set(r.global_values) == {"w_bar", "b_bar"}


def test_adjoints_without_the_output_line_are_correct(reglog):
    r = check_adjoints(reglog, "\n".join(_lines()[1:]))
    _all_correct(r)
    assert "L_reg_bar" not in {i.target for i in r.items}


def test_adjoints_may_skip_intermediate_adjoints(reglog):
    r = check_adjoints(reglog, "w_bar = y_bar*sigma'(z)*x + R_bar*w\nb_bar = y_bar*sigma'(z)\n")
    _all_correct(r)
    r = check_adjoints(reglog, "y_bar = y - t\nw_bar = y_bar*sigma'(z)*x + lambda*w\nb_bar = (y - t)*sigma'(z)\n")
    _all_correct(r)


def test_adjoints_with_continuation_rows_judge_every_right_hand_side(reglog):
    sub = ("R_bar = L_reg_bar*lambda\n"
           "      = lambda\n"
           "z_bar = y_bar*sigma'(z)\n"
           "      = y_bar*y*(1 - y)\n"
           "      = (y - t)*y*(1 - y)\n"
           "w_bar = z_bar*x + R_bar*w\n"
           "b_bar = z_bar\n")
    r = check_adjoints(reglog, sub)
    _all_correct(r)
    assert [i.line for i in r.items] == [1, 2, 3, 4, 5, 6, 7]
    assert r.score == pytest.approx(4.0)        # one point an adjoint, shared by its rows


def test_adjoint_spellings_are_all_accepted(reglog):
    sub = ("zbar = ybar*sigma'(z)\n"
           "w̄ = z̄*x + R̄*w\n"
           "b_bar = z_bar\n"
           "ȳ = y - t\n"
           "R_bar = λ\n")
    _all_correct(check_adjoints(reglog, sub))


def test_forward_lines_in_a_submission_are_checked_not_errors(reglog):
    sub = "z = w*x + b\ny = sigma(z)\nL = 1/2*(y - t)^2\nR = 1/2*w^2\nL_reg = L + lambda*R\n" + REGLOG_ADJOINTS
    r = check_adjoints(reglog, sub)
    _all_correct(r)
    assert [f.target for f in r.forward] == ["z", "y", "L", "R", "L_reg"]
    assert all(f.verdict == "correct" for f in r.forward)
    wrong = check_adjoints(reglog, "z = w*x - b\n" + REGLOG_ADJOINTS)
    assert wrong.forward[0].verdict == "incorrect"


def test_missing_lists_wrt_variables_without_an_equation(reglog):
    r = check_adjoints(reglog, "y_bar = L_bar*(y - t)\nz_bar = y_bar*sigma'(z)\n")
    assert r.missing == ("w_bar", "b_bar")
    assert r.verdict == "incorrect" and r.exit_code == 1
    assert all(i.verdict == "correct" for i in r.items)
    r = check_adjoints(reglog, "w_bar = z_bar*x + R_bar*w\n")
    assert r.missing == ("b_bar",)


def test_every_seed_adjoint_set_is_correct_for_the_neuron_and_the_circuits():
    _all_correct(check_adjoints(load("neuron"), "f_bar = 1\nz_bar = f_bar*f*(1 - f)\nw0_bar = z_bar*x0\n"
                                "x0_bar = z_bar*w0\nw1_bar = z_bar*x1\nx1_bar = z_bar*w1\nw2_bar = z_bar\n"))
    _all_correct(check_adjoints(load("simple"), "f_bar = 1\nq_bar = z\nz_bar = q\nx_bar = q_bar\ny_bar = q_bar\n"))
    _all_correct(check_adjoints(load("gates"), "s_bar = 2\np_bar = s_bar\nm_bar = s_bar\nx_bar = p_bar*y\n"
                                "y_bar = p_bar*x\nz_bar = m_bar*[z >= w]\nw_bar = m_bar*[w > z]\n"))


# --- error carried forward ---------------------------------------------------------------------

def test_error_carried_forward_one_mistake_costs_one_line(reglog):
    lines = _lines()
    lines[4] = "z_bar = y_bar*sigma(z)"            # σ for σ′
    r = check_adjoints(reglog, "\n".join(lines))
    verdicts = {i.target: i.verdict for i in r.items}
    assert verdicts["z_bar"] == "incorrect"
    assert verdicts["w_bar"] == "correct" and verdicts["b_bar"] == "correct"   # built on z̄ correctly
    assert r.first_wrong == "z_bar"
    assert r.global_values["w_bar"]["correct"] is False and r.global_values["b_bar"]["correct"] is False
    assert r.score == 6


def test_first_wrong_is_the_earliest_in_backprop_order_not_in_the_file(reglog):
    lines = _lines()
    lines[5] = "w_bar = z_bar*w + R_bar*w"
    lines[3] = "y_bar = L_bar*(t - y)"
    r = check_adjoints(reglog, "\n".join(reversed(lines)))
    assert r.first_wrong == "y_bar"
    assert r.global_values["w_bar"]["correct"] is False


def test_a_wrong_fan_out_line_only_breaks_its_own_gradient(reglog):
    lines = _lines()
    lines[5] = "w_bar = z_bar*x"                  # the path through R is missing
    r = check_adjoints(reglog, "\n".join(lines))
    assert r.first_wrong == "w_bar"
    assert r.global_values["w_bar"]["correct"] is False and r.global_values["b_bar"]["correct"] is True


# --- derivations --------------------------------------------------------------------------------

@pytest.mark.parametrize("with_spec", [True, False])
def test_calculus_class_derivation_is_correct(reglog, with_spec):
    r = check_steps(CALCULUS_CLASS, reglog if with_spec else None)
    assert r.verdict == "correct" and r.first_wrong is None
    assert [i.line for i in r.items] == [1, 2, 3, 4, 5]
    assert [i.target for i in r.items] == [f"line {n}" for n in range(1, 6)]


@pytest.mark.parametrize("with_spec", [True, False])
def test_seed_b_derivation_in_plain_text_is_correct(reglog, with_spec):
    r = check_steps(CALCULUS_CLASS_B, reglog if with_spec else None)
    assert r.verdict == "correct" and r.first_wrong is None and len(r.items) == 5


def test_derivation_that_drops_x_is_caught_at_the_last_line(reglog):
    wrong = CALCULUS_CLASS.replace("sigma'(w*x + b) * x + lambda*w", "sigma'(w*x + b) + lambda*w")
    r = check_steps(wrong, reglog)
    assert r.first_wrong == 5 and r.items[-1].diagnosis["kind"] == "missing_factor"


def test_derivation_with_a_given_row_and_continuations():
    r = check_steps("L = 1/2*(y - t)^2\ndL/dy = d/dy [ 1/2*(y - t)^2 ]\n = y - t\n")
    assert r.verdict == "correct"


# --- CLI exit codes -----------------------------------------------------------------------------

def test_exit_0_when_correct():
    code, out, err = run_cli("check", "grad", spec_path("reglog"), "--wrt", "w",
                             "--claim", "(y-t)*sigma'(z)*x + lambda*w")
    assert code == 0 and "correct" in out and err == ""


def test_exit_1_when_incorrect(tmp_path):
    code, out, _ = run_cli("check", "grad", spec_path("reglog"), "--wrt", "w", "--claim", "(y-t)*sigma'(z)*x")
    assert code == 1 and "incorrect" in out
    sub = tmp_path / "wrong.txt"
    sub.write_text(REGLOG_ADJOINTS.replace("sigma'(z)", "sigma(z)"), encoding="utf-8")
    code, out, _ = run_cli("check", "adjoints", spec_path("reglog"), sub)
    assert code == 1 and "first wrong: z_bar" in out


def test_exit_1_when_an_adjoint_is_missing(tmp_path):
    sub = tmp_path / "partial.txt"
    sub.write_text("b_bar = (y - t)*sigma'(z)\n", encoding="utf-8")
    code, out, _ = run_cli("check", "adjoints", spec_path("reglog"), sub)
    assert code == 1 and "missing: w_bar" in out


def test_exit_2_on_bad_input_and_usage(tmp_path):
    code, out, err = run_cli("check", "grad", spec_path("reglog"), "--wrt", "w", "--claim", "(y - t")
    assert code == 2 and out == "" and err.startswith("--claim:1:")
    code, _, _ = run_cli("check", "grad", spec_path("reglog"), "--wrt", "w")            # no claim
    assert code == 2
    code, _, err = run_cli("check", "grad", spec_path("reglog"), "--wrt", "nosuch", "--claim", "1")
    assert code == 2 and "nosuch" in err
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    code, _, err = run_cli("check", "adjoints", spec_path("reglog"), empty)
    assert code == 2 and f"{empty}:" in err


def test_exit_3_when_undecided(tmp_path):
    d = tmp_path / "d.txt"
    d.write_text("= x + 1\n", encoding="utf-8")       # nothing above to compare with
    code, out, _ = run_cli("check", "steps", d)
    assert code == 3 and "needs review" in out and "correct" not in out.replace("incorrect", "")


def test_steps_exit_codes(tmp_path):
    ok, bad = tmp_path / "ok.txt", tmp_path / "bad.txt"
    ok.write_text(CALCULUS_CLASS, encoding="utf-8")
    bad.write_text(CALCULUS_CLASS.replace("+ lambda*w\n", "- lambda*w\n"), encoding="utf-8")
    assert run_cli("check", "steps", ok, "--spec", spec_path("reglog"))[0] == 0
    assert run_cli("check", "steps", ok)[0] == 0
    code, out, _ = run_cli("check", "steps", bad, "--spec", spec_path("reglog"), "--json")
    assert code == 1 and json.loads(out)["first_wrong"] == 3


# --- JSON shapes ---------------------------------------------------------------------------------

ITEM_KEYS = {"target", "verdict", "evidence", "counterexample", "diagnosis", "first_wrong", "score", "as_read"}


def _check_item(item):
    assert ITEM_KEYS <= set(item) and set(item) <= ITEM_KEYS | {"line"}
    assert item["verdict"] in {"correct", "incorrect", "undecided"}
    ev = item["evidence"]
    if item.get("diagnosis", {}) and item["diagnosis"]["kind"] == "parse_error":
        return
    assert {"numeric", "finite_difference", "symbolic"} <= set(ev)
    assert {"points", "max_rel_error", "digits"} <= set(ev["numeric"])
    assert {"method", "max_rel_error"} <= set(ev["finite_difference"])
    assert "status" in ev["symbolic"]
    if item["verdict"] == "incorrect":
        assert set(item["counterexample"]) == {"at", "expected", "got"}
        assert {"kind", "message"} <= set(item["diagnosis"]) <= {"kind", "message", "fix"}
    else:
        assert item["counterexample"] is None and item["diagnosis"] is None


def test_claim_json_has_the_design_shape():
    code, out, _ = run_cli("check", "grad", spec_path("reglog"), "--wrt", "w", "--claim",
                           "-((y-t)*sigma'(z)*x + lambda*w)", "--json")
    item = json.loads(out)
    _check_item(item)
    assert code == 1 and item["target"] == "w_bar" and item["diagnosis"]["kind"] == "sign"
    assert set(item["counterexample"]["at"]) == {"w", "x", "b", "t", "lambda"}
    assert item["counterexample"]["got"] == pytest.approx(-item["counterexample"]["expected"])
    assert "seconds" not in out
    _, out, _ = run_cli("check", "grad", spec_path("reglog"), "--wrt", "w", "--claim",
                        "(y-t)*sigma'(z)*x + lambda*w", "--json", "--timings")
    assert "seconds" in json.loads(out)


def test_adjoints_json_has_the_design_shape(tmp_path):
    sub = tmp_path / "s.txt"
    sub.write_text(REGLOG_ADJOINTS.replace("y_bar*sigma'(z)", "y_bar*sigma(z)") + "garbage = = 1\n",
                   encoding="utf-8")
    code, out, _ = run_cli("check", "adjoints", spec_path("reglog"), sub, "--json")
    doc = json.loads(out)
    assert code == 1
    assert {"items", "first_wrong", "missing", "extra"} <= set(doc)
    assert doc["first_wrong"] == "z_bar" and doc["missing"] == [] and doc["extra"] == []
    assert set(doc["global"]) == {"w_bar", "b_bar"}
    for item in doc["items"]:
        _check_item(item)
        assert isinstance(item["line"], int)
    kinds = [i["diagnosis"]["kind"] for i in doc["items"] if i["diagnosis"]]
    assert kinds == ["derivative_of_wrong_function", "parse_error"]


def test_steps_json_has_the_design_shape(tmp_path):
    d = tmp_path / "d.txt"
    d.write_text(CALCULUS_CLASS.replace("* x + lambda*w", "+ lambda*w"), encoding="utf-8")
    code, out, _ = run_cli("check", "steps", d, "--spec", spec_path("reglog"), "--json")
    doc = json.loads(out)
    assert code == 1 and doc["first_wrong"] == 5
    assert [i["line"] for i in doc["items"]] == [1, 2, 3, 4, 5]
    assert doc["items"][3]["target"] == "line 4"
    for item in doc["items"]:
        _check_item(item)


def test_error_json_has_the_design_shape():
    code, out, err = run_cli("check", "grad", spec_path("reglog"), "--wrt", "w", "--claim", "x*q", "--json")
    assert code == 2
    doc = json.loads(out)
    assert set(doc) == {"error"} and set(doc["error"]) == {"message", "line", "col"}
    assert doc["error"]["line"] == 1 and doc["error"]["col"] == 3


# --- determinism --------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ("check", "grad", spec_path("reglog"), "--wrt", "w", "--claim", "(y-t)*sigma(z)*x + lambda*w"),
    ("check", "grad", spec_path("neuron"), "--wrt", "w1", "--claim", "x1*sigma'(z)"),
    ("check", "steps", "CALC", "--spec", spec_path("reglog")),
    ("check", "adjoints", spec_path("reglog"), "ADJ"),
])
def test_same_seed_gives_byte_identical_json(tmp_path, argv):
    calc, adj = tmp_path / "calc.txt", tmp_path / "adj.txt"
    calc.write_text(CALCULUS_CLASS.replace("lambda*w\n", "2*lambda*w\n"), encoding="utf-8")
    adj.write_text(REGLOG_ADJOINTS.replace("R_bar*w", "R_bar*x"), encoding="utf-8")
    argv = [calc if a == "CALC" else adj if a == "ADJ" else a for a in argv]
    runs = [run_cli(*argv, "--json", "--seed", "7") for _ in range(2)]
    assert runs[0] == runs[1]
    json.loads(runs[0][1])


def test_different_seeds_move_the_random_points():
    from check.evidence import truth_for
    g = load("reglog")
    a = [p.leaves for p in truth_for(g, 1).points]
    b = [p.leaves for p in truth_for(g, 2).points]
    assert a[0] == b[0]            # the spec's own `at:` point comes first
    assert a[1:] != b[1:]


# --- tolerance ----------------------------------------------------------------------------------

@pytest.mark.parametrize("claim", [
    "(y-t)*sigma'(z)*x + lambda*w + 1e-9",                  # absolute
    "(y-t)*sigma'(z)*x + lambda*w - 0.000000001",
    "(1 + 1e-9)*((y-t)*sigma'(z)*x + lambda*w)",            # relative
    "(y-t)*sigma'(z)*x + lambda*w*(1 - 1e-9)",              # one term, relative
    "(y-t)*sigma'(z)*x + 0.1000000001*w",                   # λ mistyped in the 10th digit
])
def test_a_claim_off_by_1e_9_is_incorrect(reglog, claim):
    v = check_claim(reglog, "w", claim)
    assert v.verdict == "incorrect"
    assert v.counterexample is not None and v.counterexample["got"] != v.counterexample["expected"]


# --- names: unknown, ambiguous ------------------------------------------------------------------

def test_unknown_name_is_exit_2_listing_known_names_and_the_column():
    code, out, err = run_cli("check", "grad", spec_path("reglog"), "--wrt", "w",
                             "--claim", "(y - t)*sigma'(z)*q + lambda*w")
    assert code == 2 and out == ""
    assert err.startswith("--claim:1:19:"), err
    assert "'q'" in err
    for name in ["w", "x", "b", "t", "lambda", "z", "y", "L", "R", "L_reg"]:
        assert name in err.split("known names:")[1]
    assert "Traceback" not in err


def test_unknown_name_in_an_adjoint_file_gives_its_line_and_column(tmp_path, reglog):
    r = check_adjoints(reglog, "z_bar = y_bar*sigma'(z)\nw_bar = z_bar*x + R_bar*mu\nb_bar = z_bar\n")
    bad = [i for i in r.items if i.verdict != "correct"]
    assert len(bad) == 1 and bad[0].diagnosis["kind"] == "parse_error" and bad[0].line == 2
    assert "'mu'" in bad[0].diagnosis["message"] and "known names" in bad[0].diagnosis["message"]
    assert bad[0].target == "w_bar"


def test_unknown_name_in_the_claims_api_is_a_parse_error_with_position(reglog):
    with pytest.raises(ParseError) as e:
        check_claim(reglog, "w", "x*mu")
    assert e.value.line == 1 and e.value.col == 3 and "known names" in e.value.message


AB_SPEC = "# names a, b and ab\nab = a*b\nf = ab + a\n"


def test_name_and_product_reading_both_existing_is_an_ambiguity_error_with_the_column():
    with pytest.raises(ParseError) as e:
        check_claim(AB_SPEC, "a", "1 + ab")
    assert "ambiguous" in e.value.message and "ab" in e.value.message and "a·b" in e.value.message
    assert (e.value.line, e.value.col) == (1, 5)


def test_ambiguity_is_resolved_by_writing_the_operator(tmp_path):
    assert check_claim(AB_SPEC, "a", "b + 1").verdict == "correct"
    assert check_claim(AB_SPEC, "a", "b*1 + 1").verdict == "correct"
    spec = tmp_path / "ab.bp"
    spec.write_text(AB_SPEC, encoding="utf-8")
    code, _, err = run_cli("check", "grad", spec, "--wrt", "a", "--claim", "ab")
    assert code == 2 and err.startswith("--claim:1:1:") and "ambiguous" in err


def test_juxtaposition_means_a_product_when_only_that_reading_exists(reglog):
    assert check_claim(reglog, "b", "(sigma(wx + b) - t)*sigma'(xw + b)").verdict == "correct"


def test_left_hand_side_about_another_variable_is_an_error(reglog):
    with pytest.raises(ParseError, match="not --wrt"):
        check_claim(reglog, "w", "dL_reg/db = (y - t)*sigma'(z)")


def test_precomposed_macron_letters_mean_the_adjoint(reglog):
    # ȳ (U+0233) and ā-style letters, as keyboards type them, are the same as y + U+0304
    r = check_adjoints(reglog, "\u0233 = y - t\nz_bar = \u0233*sigma'(z)\nw_bar = z_bar*x + R_bar*w\nb_bar = z_bar\n")
    _all_correct(r)
    assert r.items[0].target == "y_bar"


def test_an_unreadable_equation_is_not_charged_to_the_chain_above(reglog):
    r = check_adjoints(reglog, REGLOG_ADJOINTS + "3x = 1\nmu_bar = 2\n")
    by_line = {i.line: i for i in r.items}
    assert by_line[7].target == "b_bar" and by_line[7].verdict == "correct" and by_line[7].score == 1.0
    assert by_line[8].target == "line 8" and by_line[8].diagnosis["kind"] == "parse_error"
    assert by_line[9].target == "line 9" and "mu" in by_line[9].diagnosis["message"]
    assert r.first_wrong is None and r.score == 7


# --- saturated units: cancellation is not a mistake ---------------------------------------------

@pytest.mark.parametrize("spec,claim", [
    ("f = tanh(30*x)\n", "30*tanh'(30*x)"),
    ("f = tanh(30*x)\n", "30*(1 - tanh(30*x)^2)"),
    ("z = 30*x\nh = tanh(z)\nf = h\n", "30*(1 - h^2)"),          # forward names carry the digits too
    ("f = sigma(40*x)\n", "40*sigma'(40*x)"),
    ("f = sigma(40*x)\n", "40*sigma(40*x)*sigma(-40*x)"),
    ("f = sigma(40*x)\n", "40*exp(-40*x)/(1 + exp(-40*x))^2"),
])
def test_saturated_units_are_judged_with_enough_digits(spec, claim):
    v = check_claim(spec, "x", claim)
    assert v.verdict == "correct", v.to_dict()
    assert v.evidence["finite_difference"]["status"] == "confirmed"


@pytest.mark.parametrize("spec,claim", [
    ("f = tanh(30*x)\n", "31*(1 - tanh(30*x)^2)"),
    ("f = tanh(30*x)\n", "30*(1 - tanh(30*x)^2)*(1 + 1e-9)"),
    ("f = sigma(40*x)\n", "40*sigma(40*x)*sigma(40*x)"),
])
def test_saturated_units_still_catch_wrong_claims(spec, claim):
    assert check_claim(spec, "x", claim).verdict == "incorrect"


def test_saturated_chain_global_values_are_right():
    g = "v1 = x0^2\nv2 = exp(v1)\nv3 = tanh(v2)\nf = v3\n"
    sub = "f_bar = 1\nv3_bar = f_bar\nv2_bar = v3_bar*(1 - v3^2)\nv1_bar = v2_bar*v2\nx0_bar = v1_bar*2*x0\n"
    r = check_adjoints(g, sub)
    _all_correct(r)
    assert r.global_values["x0_bar"]["correct"] is True


@pytest.mark.parametrize("claim", [
    "exp(exp(exp(exp(exp(exp(x))))))",
    "sin(((x^1000)^1000)^1000)",
    "sigma(-exp(exp(exp(exp(exp(x))))))",
])
def test_astronomical_claims_are_judged_quickly(reglog, claim):
    with within(2.0):
        v = check_claim(reglog, "w", claim)
    assert v.verdict == "incorrect"


# --- circular lines and unreadable last lines earn nothing -------------------------------------

def test_a_line_defined_through_itself_is_not_correct(reglog):
    r = check_adjoints(reglog, "w_bar = w_bar\nb_bar = z_bar\n")
    w = next(i for i in r.items if i.target == "w_bar")
    assert w.verdict == "incorrect" and "circular" in w.diagnosis["message"] and w.score == 0
    assert r.global_values["w_bar"]["correct"] is False
    assert check_claim(reglog, "w", "w_bar").verdict == "incorrect"


def test_a_line_through_an_adjoint_computed_from_it_is_circular(reglog):
    r = check_adjoints(reglog, "z_bar = (w_bar - R_bar*w)/x\nw_bar = z_bar*x + R_bar*w\nb_bar = z_bar\n")
    z = r.items[0]
    assert z.target == "z_bar" and z.verdict == "incorrect" and "w_bar" in z.diagnosis["message"]
    assert r.first_wrong == "z_bar"


def test_global_values_count_an_unreadable_last_line_as_wrong(reglog):
    r = check_adjoints(reglog, "w_bar = z_bar*x + R_bar*w\nb_bar = z_bar +\n")
    assert r.global_values["w_bar"]["correct"] is True
    assert r.global_values["b_bar"]["correct"] is False and r.global_values["b_bar"]["max_rel_error"] is None


def test_skipped_intermediate_adjoints_reduce_symbolically_too(reglog):
    r = check_adjoints(reglog, "w_bar = y_bar*sigma'(z)*x + R_bar*w\nb_bar = (y - t)*y*(1 - y)\n")
    assert [i.evidence["symbolic"]["status"] for i in r.items] == ["zero", "zero"]


# --- the contract examples (copies in tests/data/contract) ------------------------------------


def test_contract_examples_are_judged_as_their_names_say():
    spec = (CONTRACT / "reglog.bp").read_text(encoding="utf-8")
    assert check_adjoints(spec, (CONTRACT / "reglog_adjoints.txt").read_text(encoding="utf-8")).verdict == "correct"
    wrong = check_adjoints(spec, (CONTRACT / "reglog_adjoints_wrong.txt").read_text(encoding="utf-8"))
    assert wrong.verdict == "incorrect" and wrong.first_wrong == "z_bar"
    assert check_steps((CONTRACT / "calculus_class.txt").read_text(encoding="utf-8"), spec).verdict == "correct"
    r = check_steps((CONTRACT / "calculus_class_wrong.txt").read_text(encoding="utf-8"), spec)
    assert r.first_wrong == 5 and r.items[-1].diagnosis["kind"] == "missing_factor"
    for name in ["reglog", "neuron", "gates", "simple"]:
        assert (CONTRACT / f"{name}.bp").read_text(encoding="utf-8") == text(name)


def test_sigma_for_sigma_prime_is_named_when_the_truth_is_written_through_the_output():
    """derive writes w̄0 = f̄ x0 f(1 − f) for f = σ(w0 x0 + w1 x1 + w2); σ′ of the sum, f(1 − f)
    and σ(1 − σ) are all correct, and σ of the sum is still the wrong function, not a factor."""
    spec = "f = sigma(w0*x0 + w1*x1 + w2)\nat: w0=2, x0=-1, w1=-3, x1=-2, w2=-3\n"
    rep = check_adjoints(spec, "w0_bar = f_bar*sigma(w0*x0 + w1*x1 + w2)*x0\n"
                               "x0_bar = f_bar*f*(1-f)*w0\n"
                               "w1_bar = f_bar*sigma'(w0*x0 + w1*x1 + w2)*x1\n"
                               "x1_bar = f_bar*sigma(w0*x0 + w1*x1 + w2)*(1 - sigma(w0*x0 + w1*x1 + w2))*w1\n"
                               "w2_bar = f_bar*f\n")
    got = {i.target: (i.verdict, i.diagnosis and i.diagnosis["kind"]) for i in rep.items}
    assert got == {"w0_bar": ("incorrect", "derivative_of_wrong_function"), "x0_bar": ("correct", None),
                   "w1_bar": ("correct", None), "x1_bar": ("correct", None),
                   "w2_bar": ("incorrect", "derivative_of_wrong_function")}


def test_a_row_that_undoes_an_earlier_mistake_is_wrong_as_a_step_and_says_it_is_back_on_track():
    wrong = CALCULUS_CLASS.replace("sigma'(w*x + b) * d/dw", "sigma(w*x + b) * d/dw")
    rep = check_steps(wrong, spec=spec_path("reglog").read_text(encoding="utf-8"))
    assert rep.first_wrong == 4
    last = rep.items[-1]
    assert last.verdict == "incorrect" and "equals the true ∂L_reg/∂w" in last.diagnosis["message"]
    assert "equals the true" not in rep.items[-2].diagnosis["message"]


def test_truth_evaluates_each_sigmoid_once_per_point(monkeypatch):
    """A product of n sigmoids has n adjoints of n-1 factors each; the points share one memo, so
    σ is computed about n times per point, not n² (a 266-factor spec took 50 s before)."""
    import mpmath

    from check.evidence import POINTS, Truth
    from derive import parse_spec
    n = 30
    graph = parse_spec("".join(f"x{k}: scalar\n" for k in range(n))
                       + "L = " + "*".join(f"sigma(x{k})" for k in range(n)) + "\n")
    calls, real = [0], mpmath.exp
    monkeypatch.setattr(mpmath, "exp", lambda x: (calls.__setitem__(0, calls[0] + 1), real(x))[1])
    truth = Truth(graph, seed=0)
    assert len(truth.points) == POINTS
    assert calls[0] <= 3 * n * POINTS          # σ(x_k) once, σ′(x_k) = σ(x)σ(−x) once: 3n exps


def test_a_network_too_large_to_write_out_is_judged_through_its_adjoints():
    from test_derive_graph import wide_net
    spec = wide_net(8, 3)
    right = check_claim(spec, "w1_0_0", "h1_0_bar*h1_0*(1 - h1_0)*x0")
    wrong = check_claim(spec, "w1_0_0", "h1_0_bar*h1_0*x0")
    assert right.verdict == "correct" and right.evidence["symbolic"]["status"] == "skipped"
    assert wrong.verdict == "incorrect" and wrong.diagnosis["kind"] == "derivative_of_wrong_function"
    lines = parse_spec(spec).backprop().to_text(ascii=True).split("backward")[1].split("gradients")[0]
    report = check_adjoints(spec, "\n".join(l.split("   =")[0] for l in lines.splitlines()[1:] if "_bar" in l))
    assert report.first_wrong is None and len(report.items) > 50


def test_a_derivative_of_a_node_too_large_to_write_out_is_an_error_not_a_wrong_truth():
    from test_derive_graph import wide_net
    spec = wide_net(8, 3)
    with pytest.raises(ParseError, match="too large to write out"):
        check_claim(spec, "x0", "d/dx0 [ L ]")
    with pytest.raises(ParseError, match="^<input>:1:1: 'L' is too large to write out"):
        check_steps("dL/dx0 = x0\n", spec=spec)
    report = check_steps("dL/dx0 = x0\n = 2*x0\n = x0 + x0\n", spec=spec)
    assert report.items[0].diagnosis["kind"] == "parse_error" and "too large" in report.items[0].diagnosis["message"]
    assert report.first_wrong == 1


def test_numeric_row_is_judged_by_its_value_whatever_its_form():
    """`= \\sqrt{\\max(0, 1)}` is the number 1 (SymPy leaves it unevaluated); `= \\sqrt{\\max(0, -1)}` is 0."""
    spec = (CONTRACT / "reglog.bp").read_text(encoding="utf-8")
    for rhs in (r"\sqrt{\max(0, 1)}", r"\sqrt{\max(0, -1)}", r"\log(\max(1, 2))"):
        rep = check_adjoints(spec, "\\bar{w} = \\bar{z} x + \\bar{R} w\n = " + rhs)
        row = rep.items[-1]
        assert row.line == 2 and row.verdict == "incorrect"
        assert row.counterexample["got"] != row.counterexample["expected"]
