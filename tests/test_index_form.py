"""Index-form student input for matrix specs: the CSC321 MLP's `h̄_i = Σ_k W2_ki ȳ_k` in Unicode,
plain ASCII and LaTeX, judged like any matrix line (correct, or incorrect with a diagnosis), and
the text of `derive --index-form` read back as a correct submission."""
import glob
import json
import unicodedata

import pytest

from check import ParseError, check_adjoints, check_claim
from conftest import ROOT, spec_path, spec_text
from derive import parse_spec
from derive.index import index_form

MLP = spec_path("mlp").read_text(encoding="utf-8")
BATCH = spec_text("batch")

LECTURE = """\
L̄ = 1
ȳ_i = L̄·(y_i - t_i)
h̄_i = Σ_k W2_ki ȳ_k
z̄_i = h̄_i·σ′(z_i)
W̄1_ij = z̄_i x_j
b̄1_i = z̄_i
W̄2_ij = ȳ_i h_j
b̄2_i = ȳ_i
"""

PLAIN = """\
L_bar = 1
y_bar_i = L_bar*(y_i - t_i)
h_bar_i = sum_k W2_ki*y_bar_k
z_bar_i = h_bar_i*sigma'(z_i)
W1_bar_ij = z_bar_i*x_j
b1_bar_i = z_bar_i
W2_bar_ij = y_bar_i*h_j
b2_bar_i = y_bar_i
"""

LATEX = r"""
\bar{\mathcal{L}} = 1
\bar{y}_i = \bar{\mathcal{L}} (y_i - t_i)
\bar{h}_i = \sum_k W^{(2)}_{ki} \bar{y}_k
\bar{z}_i = \bar{h}_i \sigma'(z_i)
\bar{W}^{(1)}_{ij} = \bar{z}_i x_j
\bar{b}^{(1)}_{i} = \bar{z}_i
\bar{W}^{(2)}_{ij} = \bar{y}_i h_j
\bar{b}^{(2)}_{i} = \bar{y}_i
"""

MATRIX_SPECS = sorted([str(spec_path(n)) for n in ("mlp", "l2", "two_layer")]
                      + glob.glob(str(ROOT / "tests" / "data" / "specs" / "*.bp")))


def nfc(text):
    return unicodedata.normalize("NFC", text)


def verdicts(report):
    return {v.target: (v.verdict, (v.diagnosis or {}).get("kind")) for v in report.items}


def line(spec, text):
    """The verdict on a one-line submission."""
    report = check_adjoints(spec, text)
    assert len(report.items) == 1
    return report.items[0]


# --- the lecture's index form, three spellings -------------------------------------------------

@pytest.mark.parametrize("text", [LECTURE, PLAIN, LATEX], ids=["unicode", "plain", "latex"])
def test_the_lecture_mlp_index_form_is_correct(text):
    report = check_adjoints(MLP, text)
    assert {v for v, _ in verdicts(report).values()} == {"correct"}
    assert len(report.items) == 8 and report.first_wrong is None and report.missing == ()
    assert all(g["correct"] for g in report.to_dict()["global"].values())


@pytest.mark.parametrize("text", [
    "h̄_i = Σ_k W2_ki ȳ_k",
    "h̄_i = Σ_{k} W2_ki ȳ_k",
    "h_bar_i = Σ_k W2_ki*y_bar_k",
    "hbar_i = sum_k W2_ki y_bar_k",
    "h_i_bar = sum_k y_bar_k*W2_ki",
    r"\bar{h}_i = \sum_k W^{(2)}_{ki} \bar{y}_k",
    r"\bar{h}_{i} = \sum_{k} W^{(2)}_{ki}\, \bar{y}_{k}",
    r"\bar{h}_i = \sum_{k=1}^{K} W^{(2)}_{ki} \bar{y}_k",
    r"\overline{h}_i = \sum_k \bar{y}_k W^{(2)}_{ki}",
])
def test_the_backprop_sum_through_w2_in_every_spelling(text):
    v = line(MLP, text)
    assert (v.target, v.verdict) == ("h_bar", "correct")


def test_the_minibatch_sums_over_examples():
    report = check_adjoints(BATCH, "W̄1_ij = Σ_k X_ki Z̄_kj\nb̄1_j = Σ_k Z̄_kj\nb1_bar_j = sum_n Z_bar_nj")
    assert {v for v, _ in verdicts(report).values()} == {"correct"}
    assert line(BATCH, r"\bar{b}_{1,j} = \sum_{n} \bar{Z}_{nj}").verdict == "correct"


def test_a_whole_matrix_formula_under_an_indexed_left_hand_side_is_read_as_a_matrix():
    assert line(MLP, "h̄_i = W2.T @ ȳ").verdict == "correct"


def test_a_continuation_row_keeps_the_indices_of_its_equation():
    report = check_adjoints(MLP, "h̄_i = Σ_k W2_ki ȳ_k\n  = Σ_k ȳ_k W2_ki\n")
    assert [v.verdict for v in report.items] == ["correct", "correct"]


# --- mistakes and their diagnoses --------------------------------------------------------------

@pytest.mark.parametrize("text, kind", [
    ("h̄_i = Σ_k W2_ik ȳ_k", "transpose"),
    (r"\bar{h}_i = \sum_k W^{(2)}_{ik} \bar{y}_k", "transpose"),
    ("W̄1_ij = z̄_j x_i", "transpose"),
    ("z̄_i = h̄_i σ(z_i)", "derivative_of_wrong_function"),
    (r"\bar{z}_i = \bar{h}_i \sigma(z_i)", "derivative_of_wrong_function"),
    ("ȳ_i = t_i - y_i", "sign"),
    ("z̄_i = -h̄_i σ′(z_i)", "sign"),
    ("z̄_i = 2 h̄_i σ′(z_i)", "constant_factor"),
    ("z̄_i = h̄_i", "missing_factor"),
    ("W̄1_ij = z̄_i", "missing_factor"),
])
def test_mlp_mutants_in_index_form(text, kind):
    v = line(MLP, text)
    assert (v.verdict, v.diagnosis["kind"]) == ("incorrect", kind), v.diagnosis


def test_swapped_indices_of_w2_are_named():
    assert "W2" in line(MLP, "h̄_i = Σ_k W2_ik ȳ_k").diagnosis["message"]


@pytest.mark.parametrize("text, said", [
    ("h̄_i = Σ_k W2_ki ȳ_i", "index i runs over H in h̄_i (the left-hand side) but over K in ȳ_i"),
    ("h̄_i = Σ_k W2_kj ȳ_k", "index j is free on the right-hand side but not on the left-hand side h̄_i"),
    ("h̄_i = Σ_i W2_ki ȳ_k", "Σ_i sums over i, an index of the left-hand side h̄_i"),
    ("h̄_i = Σ_k W2 ȳ_k", "index sums need every matrix written with its indices (W2 has none)"),
    ("h̄_i = Σ_j W2_ki ȳ_k", "Σ_j: j does not appear in what it sums"),
])
def test_indices_that_do_not_fit_are_a_wrong_shape_with_the_reason(text, said):
    v = line(MLP, text)
    assert (v.verdict, v.diagnosis["kind"]) == ("incorrect", "wrong_shape")
    assert nfc(said) in nfc(v.diagnosis["message"])


def test_an_index_sum_in_a_wrong_line_costs_only_that_line():
    report = check_adjoints(MLP, LECTURE.replace("Σ_k W2_ki ȳ_k", "Σ_k W2_ik ȳ_k"))
    assert report.first_wrong == "h_bar"
    assert [t for t, (v, _) in verdicts(report).items() if v != "correct"] == ["h_bar"]


def test_a_name_with_the_wrong_number_of_indices_is_unreadable():
    v = check_adjoints(MLP, "h̄_i = Σ_k W2_k ȳ_k\nb̄2_i = ȳ_i").items[0]
    assert v.diagnosis["kind"] == "parse_error" and "W2 is K×H, so it takes 2 indices" in v.diagnosis["message"]
    with pytest.raises(ParseError, match="takes 2 index letter"):
        check_adjoints(MLP, "W̄1_i = z̄_i")


def test_exact_names_win_over_an_index_reading():
    spec = "x: vector(D)\nb_1: vector(D)\nh = x + b_1\nL = sum(h^2)\n"
    assert line(spec, "b̄_1 = 2*h").verdict == "correct"
    assert line(spec, "b̄_1_i = 2 h_i").verdict == "correct"


# --- claims ------------------------------------------------------------------------------------

@pytest.mark.parametrize("claim", ["W1_bar_ij = z_bar_i*x_j", "W̄1_ij = z̄_i x_j",
                                   r"\bar{W}^{(1)}_{ij} = \bar{z}_i x_j",
                                   "b1_bar_i = sum_k W2_ki*y_bar_k*sigma'(z_i)"])
def test_an_index_form_claim(claim):
    wrt = "b1" if claim.startswith("b1") else "W1"
    assert check_claim(MLP, wrt, claim).verdict == "correct"


def test_an_index_form_claim_needs_its_indices_on_the_left():
    with pytest.raises(ParseError, match=r"needs its left-hand side with indices \(W1_bar_ij = ...\)"):
        check_claim(MLP, "W1", "z_bar_i*x_j")
    with pytest.raises(ParseError, match=r"needs its left-hand side with indices \(h_bar_i = ...\)"):
        check_adjoints(MLP, "h̄ = Σ_k W2_ki ȳ_k")


def test_an_index_form_claim_about_another_variable_is_an_error():
    with pytest.raises(ParseError, match="about 'h', not --wrt 'W1'"):
        check_claim(MLP, "W1", "h_bar_i = z_bar_i")


def test_a_scalar_spec_refuses_index_sums_plainly():
    spec = (ROOT / "exercises" / "specs" / "reglog.bp").read_text(encoding="utf-8")
    with pytest.raises(ParseError, match="index sums .* are for matrix specs"):
        check_claim(spec, "w", "sum_k z_bar*x")


# --- round trips of derive --index-form --------------------------------------------------------

@pytest.mark.parametrize("latex", [False, True], ids=["unicode", "latex"])
@pytest.mark.parametrize("path", MATRIX_SPECS, ids=lambda p: p.rsplit("/", 1)[-1])
def test_derive_index_form_reads_back_as_a_correct_submission(path, latex):
    spec = open(path, encoding="utf-8").read()
    d = parse_spec(spec).backprop()
    report = check_adjoints(spec, index_form(d, latex=latex))
    assert len(report.items) == len(d.order)
    assert {v for v, _ in verdicts(report).values()} == {"correct"}, verdicts(report)


def test_the_latex_index_form_uses_the_specs_latex_names():
    text = index_form(parse_spec(MLP).backprop(), latex=True)
    assert r"\bar{h}_{i} &= \sum_{k} W^{(2)}_{ki}\, \bar{y}_{k}" in text
    assert r"\bar{W}^{(1)}_{ij} &= \bar{z}_{i}\, x_{j}" in text
    assert text.startswith("\\begin{aligned}\n") and "Σ" not in text


# --- the command line --------------------------------------------------------------------------

def test_check_adjoints_reads_the_lecture_index_form(cli, tmp_path):
    sub = tmp_path / "mlp_index.txt"
    sub.write_text(LECTURE, encoding="utf-8")
    code, out, err = cli("check", "adjoints", spec_path("mlp"), sub, "--json")
    assert code == 0, err
    assert [i["verdict"] for i in json.loads(out)["items"]] == ["correct"] * 8


def test_check_grad_takes_an_index_form_claim(cli):
    code, out, err = cli("check", "grad", spec_path("mlp"), "--wrt", "W1", "--claim", "W1_bar_ij = z_bar_i*x_j")
    assert code == 0, err
    code, out, err = cli("check", "grad", spec_path("mlp"), "--wrt", "W1", "--claim", "W1_bar_ij = z_bar_j*x_i",
                         "--json")
    assert code == 1 and json.loads(out)["diagnosis"]["kind"] == "transpose"
    code, _, err = cli("check", "grad", spec_path("mlp"), "--wrt", "W1", "--claim", "z_bar_i*x_j")
    assert code == 2 and "left-hand side with indices" in err


def test_a_product_of_too_many_index_letters_is_refused():
    spec = "A: matrix(H, H)\nx: vector(H)\nf = sum(A @ A @ A @ A @ x)\n"
    text = "x̄_i = Σ_a Σ_b Σ_c Σ_d A_ab A_bc A_cd A_di\nĀ_ij = 1"
    v = check_adjoints(spec, text).items[0]
    assert v.diagnosis["kind"] == "parse_error" and "more than 4 index letters" in v.diagnosis["message"]
