"""Teachers' rules and students' hints (issue 20): rubrics per mistake, accepted conventions, the
backprop form, no carried credit from a constant line, graded hints, and how each line was read."""
import json
import os

import pytest

import exercises
from check import check_adjoints, check_claim, hint
from check.grading import grade
from check.grading.validate import rubric_hits, samples_folder
from conftest import ROOT, spec_path
from derive.errors import ParseError

REGLOG = spec_path("reglog").read_text(encoding="utf-8")
ADJOINTS = (ROOT / "tests" / "data" / "contract" / "reglog_adjoints.txt").read_text(encoding="utf-8")
EXPANDED_W = ADJOINTS.replace("w_bar = z_bar*x + R_bar*w", "w_bar = (sigma(w*x + b) - t)*sigma'(w*x + b)*x + lambda*w")
WRONG_SIGMA = ADJOINTS.replace("z_bar = y_bar*sigma'(z)", "z_bar = y_bar*sigma(z)")
ALL = exercises.list_ids()


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _adjoints_part(tmp_path, text):
    doc = grade("csc321-reg-logistic", _write(tmp_path, "s.txt", "# part: adjoints\n" + text))
    return next(p for p in doc["students"][0]["parts"] if p["part"] == "adjoints")


def test_every_bundled_exercise_has_a_rubric_and_hints_on_its_adjoints():
    assert len(ALL) == 25
    for ex_id in ALL:
        parts = exercises.load(ex_id).parts
        assert any(p.rubric.rules or p.rubric.accept for p in parts), ex_id
    for ex_id in ("cs231n-simple", "cs231n-sigmoid-neuron", "cs231n-gates", "cs231n-vectorized-l2",
                  "cs231n-two-layer-numpy", "csc321-mlp"):
        adjoints = exercises.load(ex_id).part("adjoints").rubric
        assert adjoints.form == "backprop" and adjoints.hints == 3 and adjoints.hint_cost > 0, ex_id


@pytest.mark.parametrize("ex_id", ALL)
def test_every_rule_is_hit_by_a_sample_and_samples_score_as_labelled(ex_id, cli):
    """Every rule and accepted alternative is hit by a sample; ok_ and accepted_ samples keep full
    marks on the parts they answer; wrong_ and form_ samples lose some; `exercises validate`
    exits 0 and names each sample with the rule it hits."""
    ex = exercises.load(ex_id)
    doc, hits, unused = rubric_hits(ex, samples_folder(ex))
    assert unused == []
    assert sorted(s["student"] for s in doc["students"]) == sorted(os.listdir(samples_folder(ex)))
    for s in doc["students"]:
        answered = [p for p in s["parts"] if p["verdict"] != "missing"]
        if s["student"].startswith(("ok", "accepted")):
            assert all(p["score"] == p["max_score"] for p in answered), s["student"]
        if s["student"].startswith(("wrong", "form")):
            assert sum(p["score"] for p in answered) < sum(p["max_score"] for p in answered), s["student"]
    code, out, _ = cli("exercises", "validate", exercises.bundled_path(ex_id))
    assert code == 0 and out.startswith(f"OK: {ex_id}") and "not hit by any sample" not in out
    listed = {line.split(":", 1)[0].strip(): line for line in out.splitlines()[1:]}
    assert sorted(listed) == sorted(hits)
    for name, rows in hits.items():
        for part, target, what in rows:
            assert f"{part} {target}: {what}" in listed[name]
    for part in ex.parts:
        for r in part.rubric.rules:
            assert f"{part.id} " in out and f"rule {r.when}" + (f" at {r.at}" if r.at else "") in out


def test_backprop_form_tells_an_expanded_correct_w_bar_from_the_bar_notation_one(tmp_path):
    bar = _adjoints_part(tmp_path, ADJOINTS)
    expanded = _adjoints_part(tmp_path, EXPANDED_W)
    assert bar["score"] == 7
    w = next(it for it in expanded["items"] if it["target"] == "w_bar")
    assert w["verdict"] == "correct" and w["rubric"]["when"] == "form"
    assert expanded["score"] == 7 - 0.5                    # form_credit 0.5 of w̄'s one point
    assert "write it through R_bar or z_bar" in expanded["feedback"]


def test_a_rule_for_a_known_mistake_gives_its_credit_and_message(tmp_path):
    part = _adjoints_part(tmp_path, WRONG_SIGMA)
    z = next(it for it in part["items"] if it["target"] == "z_bar")
    assert z["verdict"] == "incorrect" and z["score"] == 0.5
    assert z["rubric"]["when"] == "kind:derivative_of_wrong_function" and "σ′(z)" in z["rubric"]["message"]


def test_a_line_built_on_a_constant_wrong_line_earns_no_carried_credit(tmp_path):
    part = _adjoints_part(tmp_path, ADJOINTS.replace("z_bar = y_bar*sigma'(z)", "z_bar = 0"))
    by = {it["target"]: it for it in part["items"]}
    assert by["w_bar"]["verdict"] == "correct" and by["w_bar"]["score"] == 0
    assert by["b_bar"]["score"] == 0 and by["y_bar"]["score"] == 1


def test_an_accepted_convention_is_correct_and_says_which_rule_accepted_it(tmp_path):
    claim = "# part: grad_w\ndL_reg/dw = 2*(sigma(w*x + b) - t)*sigma'(w*x + b)*x + lambda*w\n"
    doc = grade("csc321-reg-logistic", _write(tmp_path, "s.txt", claim))
    part = next(p for p in doc["students"][0]["parts"] if p["part"] == "grad_w")
    assert part["score"] == 1 and "½" in part["items"][0]["accepted_by"]
    assert check_claim(REGLOG, "w", claim.split("= ", 1)[1]).verdict == "incorrect"   # never a silent loosening


def test_hints_seen_cost_their_price(tmp_path):
    text = "# hints-seen: adjoints=2\n# part: adjoints\n" + WRONG_SIGMA
    doc = grade("csc321-reg-logistic", _write(tmp_path, "s.txt", text))
    part = next(p for p in doc["students"][0]["parts"] if p["part"] == "adjoints")
    assert part["score"] == pytest.approx(6.5 - 2 * 0.1 * 7)
    assert "hints seen up to level 2" in part["feedback"]


@pytest.mark.parametrize("sample", ["wrong_sigma.txt", "wrong_fanout.txt", "wrong_sign.txt", "wrong_constants.txt"])
def test_hints_levels_one_to_three_never_give_the_fixed_line(sample):
    text = (ROOT / "exercises" / "samples" / "csc321-reg-logistic" / sample).read_text(encoding="utf-8")
    adjoints = text.split("# part: adjoints", 1)[1].split("# part:", 1)[0]
    fixed = hint(REGLOG, adjoints, level=4)
    rhs = fixed["text"].split(" = ", 1)[1]
    assert fixed["level"] == 4 and check_adjoints(REGLOG, fixed["text"].split(": ", 1)[1]).items[0].verdict == "correct"
    for level in (1, 2, 3):
        h = hint(REGLOG, adjoints, level=level)
        assert h["level"] == level and h["target"] == fixed["target"]
        assert rhs not in h["text"] and (h["latex"] is None or fixed["latex"] not in h["latex"])
    assert "line" in hint(REGLOG, adjoints, level=2)["text"]


def test_hint_on_a_correct_submission_says_so():
    assert hint(REGLOG, ADJOINTS)["text"] == "every line holds: nothing to fix"


def test_hint_command_prints_json(tmp_path, cli):
    sub = _write(tmp_path, "a.txt", WRONG_SIGMA)
    code, out, _ = cli("hint", spec_path("reglog"), sub, "--level", "2", "--json")
    assert code == 0 and set(json.loads(out)) == {"part", "target", "level", "text", "latex"}
    assert json.loads(out)["target"] == "z_bar"


def test_as_read_reads_back_to_the_same_expression():
    rep = check_adjoints(REGLOG, WRONG_SIGMA)
    for item in rep.items:
        again = check_adjoints(REGLOG, item.as_read["text"] + "\n")
        assert again.items[0].as_read == item.as_read
        assert again.items[0].verdict == item.verdict
    v = check_claim(REGLOG, "w", "(y - t) yx")      # a juxtaposition: read as y*x
    assert v.as_read["text"] == "w_bar = x*y*(y - t)" and "as_read" in v.to_dict()


def test_a_bad_rule_is_a_located_error(tmp_path):
    bad = ('id = "mine"\ntitle = "t"\nspec = """\nq = a*b\nf = q + a\n"""\n\n[[parts]]\nid = "ga"\n'
           'kind = "claim"\nwrt = "a"\npoints = 2\n\n[[parts.rules]]\nwhen = "kind:nonsense"\ncredit = 0.5\n'
           'message = "m"\n')
    with pytest.raises(ParseError) as e:
        exercises.loads(bad, "mine.toml")
    assert "when" in e.value.message and e.value.line >= 14


# --- formula rules on matrix parts ----------------------------------------------------------------

def _part(ex_id, tmp_path, part, text):
    doc = grade(ex_id, _write(tmp_path, "s.txt", f"# part: {part}\n{text}\n"))
    return next(p for p in doc["students"][0]["parts"] if p["part"] == part)


def test_a_formula_rule_on_a_matrix_part_is_read_as_a_matrix_and_matched_like_a_verdict(tmp_path):
    sigma = _part("csc321-mlp", tmp_path, "grad_W1", "dL/dW1 = ((W2.T @ (y - t)) * sigma(z)) @ x.T")
    assert sigma["items"][0]["rubric"]["when"] == "formula" and "σ(z) in place of σ′(z)" in sigma["feedback"]
    # the same formula written otherwise (h for σ(z), the product regrouped) is the same matrix
    same = _part("csc321-mlp", tmp_path, "grad_W1", "dL/dW1 = (h * (W2.T @ (y - t))) @ x.T")
    assert same["items"][0]["rubric"]["when"] == "formula"
    other = _part("csc321-mlp", tmp_path, "grad_W1", "dL/dW1 = ((W2.T @ (y - t)) * h * h) @ x.T")
    assert other["items"][0]["verdict"] == "incorrect" and "rubric" not in other["items"][0]
    half = _part("csc321-mlp", tmp_path, "grad_W1", "dL/dW1 = 2*((W2.T @ (y - t)) * h * (1 - h)) @ x.T")
    assert half["score"] == 1 and "without the ½" in half["items"][0]["accepted_by"]


def test_a_matrix_formula_rule_names_the_formula_it_matched_in_validate(cli):
    code, out, _ = cli("exercises", "validate", exercises.bundled_path("cs231n-vectorized-l2"))
    assert code == 0
    assert "wrong_no_2.txt: 3.25/6  adjoints q_bar: rule kind:constant_factor at q_bar; grad_x x_bar: rule formula" in out
    assert "accepted_row_gradient.txt: 1/6  grad_x x_bar: accepted: the gradient as a row" in out


def test_backprop_form_on_a_matrix_adjoint_part(tmp_path):
    text = (ROOT / "exercises" / "samples" / "csc321-mlp" / "ok_plain.txt").read_text(encoding="utf-8")
    expanded = text.replace("b1_bar = z_bar", "b1_bar = (W2.T @ (y - t)) * sigma'(z)")
    part = _part("csc321-mlp", tmp_path, "adjoints", expanded.split("# part: adjoints\n")[1].split("# part:")[0])
    b1 = next(it for it in part["items"] if it["target"] == "b1_bar")
    assert b1["verdict"] == "correct" and b1["rubric"]["when"] == "form" and part["score"] == 8 - 0.5
    assert "write it through z_bar" in part["feedback"]


# --- hints recorded in the work, and self-check -------------------------------------------------

def test_hint_command_records_the_highest_level_seen_in_the_submission(tmp_path, cli):
    sub = _write(tmp_path, "a.txt", "# part: adjoints\n" + WRONG_SIGMA)
    code, out, _ = cli("hint", spec_path("reglog"), sub, "--level", "2", "--record")
    assert code == 0 and "first line that does not hold" in out and "recorded in" in out
    assert sub.read_text(encoding="utf-8") == "# hints-seen: adjoints=2\n# part: adjoints\n" + WRONG_SIGMA
    cli("hint", spec_path("reglog"), sub, "--level", "1", "--record")      # a lower level keeps the 2
    assert sub.read_text(encoding="utf-8").startswith("# hints-seen: adjoints=2\n# part: adjoints\n")
    part = next(p for p in grade("csc321-reg-logistic", sub)["students"][0]["parts"] if p["part"] == "adjoints")
    assert part["score"] == pytest.approx(6.5 - 2 * 0.1 * 7) and "hints seen up to level 2" in part["feedback"]


def test_self_check_shows_the_hint_and_leaves_the_submission_byte_for_byte(tmp_path, cli):
    data = ("\ufeff# part: adjoints\r\n" + WRONG_SIGMA.replace("\n", "\r\n")).encode("utf-8")
    sub = tmp_path / "a.txt"
    sub.write_bytes(data)
    for practice in ((), ("--self-check",)):                                 # the default is practice
        code, out, _ = cli("hint", spec_path("reglog"), sub, "--level", "3", *practice)
        assert code == 0 and "σ′" in out and "recorded" not in out
        assert sub.read_bytes() == data
    part = next(p for p in grade("csc321-reg-logistic", sub)["students"][0]["parts"] if p["part"] == "adjoints")
    assert part["score"] == 6.5 and "hints seen" not in part["feedback"]
    cli("hint", spec_path("reglog"), sub, "--json", "--record")               # recorded: BOM and CRLF kept
    assert sub.read_bytes() == "\ufeff# hints-seen: adjoints=1\r\n".encode("utf-8") + data[3:]


def test_a_record_in_latex_work_is_a_latex_comment_and_replaces_its_part_only():
    from check.hints import recorded
    tex = "% hints-seen: grad_w=1\n% hints-seen: adjoints=1\n\\bar{z} = \\bar{y}\\,\\sigma(z)\n"
    assert recorded(tex, "adjoints", 3) == ("% hints-seen: adjoints=3\n% hints-seen: grad_w=1\n"
                                            "\\bar{z} = \\bar{y}\\,\\sigma(z)\n")


def test_hint_from_stdin_says_it_is_not_recorded(cli, monkeypatch):
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO(WRONG_SIGMA))
    code, out, _ = cli("hint", spec_path("reglog"), "-", "--record")
    assert code == 0 and "not recorded" in out


def test_a_notebook_records_hints_in_its_cells_and_grading_charges_them(tmp_path):
    cell = "%%barprop hint reglog.bp\n# hints-seen: adjoints=2\n# part: adjoints\n" + WRONG_SIGMA
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                     "source": cell.splitlines(True)}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    sub = _write(tmp_path, "s.ipynb", json.dumps(nb, indent=1))
    part = next(p for p in grade("csc321-reg-logistic", sub)["students"][0]["parts"] if p["part"] == "adjoints")
    assert part["score"] == pytest.approx(6.5 - 2 * 0.1 * 7) and "hints seen up to level 2" in part["feedback"]


def test_validate_refuses_a_formula_that_does_not_read_against_a_matrix_spec(tmp_path, cli):
    toml = ('id = "l2-mine"\ntitle = "t"\nspec = """\nW: matrix(H, D)\nx: vector(D)\nq = W @ x\nf = norm2(q)\n"""\n\n'
            '[[parts]]\nid = "grad_W"\nkind = "claim"\nwrt = "W"\npoints = 1\n\n'
            '[[parts.rules]]\nwhen = "formula"\nformula = "2*W@x@x"\ncredit = 0\nmessage = "m"\n\n'
            '[[parts.accept]]\nformula = "2*(W@x)@x.T"\nnote = "the same"\n')
    code, out, _ = cli("exercises", "validate", _write(tmp_path, "mine.toml", toml))
    assert code == 1 and out.startswith("NOT OK: l2-mine")
    assert "cannot read: grad_W: rule formula 2*W@x@x: the formula does not read" in out
    assert "accept the same" not in out                   # 2 (W x) xᵀ fits its shapes: read, not refused


def _adjoints_section(path):
    import re
    text = path.read_text(encoding="utf-8")
    pieces = re.split(r"^[ \t]*[#%][ \t]*part[ \t]*:[ \t]*(\S+).*$", text, flags=re.M)
    return "".join(body for name, body in zip(pieces[1::2], pieces[2::2]) if name == "adjoints")


LECTURE_WRONG = [(ex, name) for ex in ("cs231n-simple", "cs231n-sigmoid-neuron", "cs231n-gates", "cs231n-vectorized-l2",
                                       "cs231n-two-layer-numpy", "csc321-mlp")
                 for name in sorted(os.listdir(ROOT / "exercises" / "samples" / ex))
                 if name.startswith("wrong_") and "part: adjoints" in
                 (ROOT / "exercises" / "samples" / ex / name).read_text(encoding="utf-8")]


@pytest.mark.parametrize("ex_id, sample", LECTURE_WRONG)
def test_lecture_hints_one_to_three_point_at_the_fixed_line_without_giving_it(ex_id, sample):
    graph = exercises.load(ex_id).graph
    work = _adjoints_section(ROOT / "exercises" / "samples" / ex_id / sample)
    fixed = hint(graph, work, level=4)
    assert fixed["level"] == 4 and fixed["target"] is not None
    rhs = fixed["text"].split(" = ", 1)[1] if " = " in fixed["text"] else None
    for level in (1, 2, 3):
        h = hint(graph, work, level=level)
        assert h["target"] == fixed["target"] and h["latex"] is None
        assert rhs is None or rhs not in h["text"], (level, h["text"])
