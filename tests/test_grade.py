"""`barprop grade`: sample submissions, a broken file in the batch, determinism, output files."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import exercises
from check import grade
from check.grading.dispatch import split_parts
from check.grading.outputs import to_csv
from check.read.rows import clean, rows

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "exercises" / "samples"
CONTRACT = ROOT / "tests" / "data" / "contract"       # copies of shared/contract/examples

SWAP = "wrong_variable"          # q_bar = f_bar*q where f_bar*z belongs: the mul gate not swapped

# file -> (total score, {part: the diagnosis kinds of its incorrect items}); parts not named
# must have no incorrect item.
EXPECTED = {
    "csc321-reg-logistic": {
        "ok_plain.txt": (13, {}),
        "ok_latex.tex": (13, {}),
        "ok_unicode.txt": (13, {}),
        "ok_y_one_minus_y.txt": (13, {}),
        "ok_markdown.md": (13, {}),
        "ok_no_markers.txt": (13, {}),
        "adjoints_only_crlf.txt": (7, {}),
        "adjoints_lecture_bom.tex": (7, {}),
        # the rubric of the TOML: a sign keeps 1/4 of its line, σ for σ′ at z̄ 1/2, the fan-out at w̄ 1/4
        "wrong_sign.txt": (6 + 0.25, {"adjoints": {"sign"}, "grad_w": {"sign"}, "grad_b": {"sign"}}),
        "wrong_sigma.txt": (6 + 0.5, {"adjoints": {"derivative_of_wrong_function"},
                                      "grad_b": {"derivative_of_wrong_function"}}),
        "wrong_fanout.txt": (6 + 0.25, {"adjoints": {"missing_term"}, "grad_w": {"missing_term"}}),
        "form_expanded.txt": (7 - 2 * 0.5, {}),              # w̄, b̄ written out: half credit each
        "accepted_no_half.txt": (1, {}),                      # the teacher's accepted convention
        "wrong_no_regularizer.txt": (0, {"grad_w": {"missing_term"}}),
        "wrong_degenerate.txt": (4, {"adjoints": {"constant_factor"}}),   # z̄ = 0: no carried credit for w̄, b̄
        "wrong_missing_x.txt": (1 + 4 * 4 / 6, {"grad_w": {"missing_factor"}, "steps": {"missing_factor"}}),
        "wrong_constants.txt": (5, {"adjoints": {"missing_factor", "constant_factor"},
                                    "grad_b": {"constant_factor"}, "grad_w": {"constant_factor"}}),
        "wrong_unreadable_line.txt": (6, {"adjoints": {"parse_error"}}),
    },
    "cs231n-simple": {
        "ok_plain.txt": (8, {}),
        "ok_latex.tex": (8, {}),
        "ok_unicode_no_markers.txt": (8, {}),
        "ok_markdown.md": (8, {}),
        # the rubric: a gate's slip keeps 1/4 of its line, the claims' rules keep nothing
        "wrong_sign.txt": (5 + 0.25, {"adjoints": {"sign"}, "grad_y": {"sign"}}),
        "wrong_swap.txt": (3 + 2 * 0.25, {"adjoints": {SWAP}, "grad_x": {SWAP}, "grad_z": {SWAP}}),
        "wrong_mul_as_add.txt": (4 + 0.25, {"adjoints": {"missing_factor"}, "grad_x": {"missing_factor"}}),
        "form_expanded.txt": (5 - 2 * 0.5, {}),             # x̄, ȳ written out, not through q̄
    },
    "cs231n-sigmoid-neuron": {
        "ok_plain.txt": (10, {}),
        "ok_f_one_minus_f.txt": (10, {}),
        "ok_latex.tex": (10, {}),
        "wrong_sigma.txt": (6 + 0.25, {"adjoints": {"derivative_of_wrong_function"},
                                       "grad_w2": {"derivative_of_wrong_function"}}),
        "wrong_variable.txt": (7 + 0.5, {"adjoints": {SWAP}, "grad_w0": {"missing_factor"}}),
        "wrong_one_minus_f.txt": (6 + 0.25, {"adjoints": {"missing_factor"}, "grad_w1": {"missing_factor"}}),
        "form_expanded.txt": (7 - 2 * 0.5, {}),
    },
    "cs231n-vectorized-l2": {
        "ok_plain.txt": (6, {}),
        "ok_latex.md": (6, {}),
        "wrong_transpose.txt": (3 + 2 * 0.25, {"adjoints": {"transpose"}, "grad_W": {"transpose"}}),
        "wrong_no_2.txt": (3 + 0.25, {"adjoints": {"constant_factor"}, "grad_x": {"constant_factor"}}),
        "accepted_row_gradient.txt": (1, {}),                 # numerator layout, accepted
        "form_expanded.txt": (4 - 2 * 0.5, {}),
    },
    "csc321-mlp": {
        "ok_plain.txt": (9, {}),
        "ok_lecture.tex": (9, {}),
        "wrong_mlp.txt": (6 + 2 * 0.25, {"adjoints": {"transpose"}}),
        "ok_index.txt": (9, {}),
        "wrong_index.txt": (7 + 2 * 0.25, {"adjoints": {"transpose", "derivative_of_wrong_function"}}),
        "wrong_grad_sigma.txt": (0, {"grad_W1": {"derivative_of_wrong_function"}}),
        "accepted_no_half.txt": (1, {}),                      # the loss without the ½, accepted
        "form_expanded.txt": (8 - 0.5, {}),
    },
    "cs231n-two-layer-numpy": {
        "ok_numpy.py": (6, {}),
        "adjoints_only_latex.tex": (5, {}),
        "wrong_numpy.py": (3 + 2 * 0.25, {"adjoints": {"constant_factor", "transpose"}, "grad_W1": {"wrong_shape"}}),
        "wrong_sigma.py": (4 + 0.25, {"adjoints": {"derivative_of_wrong_function"}}),
        "form_expanded.py": (5 - 0.5, {}),
    },
    "cs231n-gates": {
        "ok_plain.txt": (10, {}),
        "ok_relu_prime.txt": (10, {}),
        "ok_latex.tex": (10, {}),
        "wrong_max_both.txt": (6 + 2 * 0.25, {"adjoints": {"missing_factor"}, "grad_w": {"missing_factor"}}),
        "wrong_gates.txt": (6 + 2 * 0.25, {"adjoints": {"constant_factor", SWAP}, "grad_z": {"constant_factor"}}),
        "form_expanded.txt": (8 - 2 * 0.5, {}),
    },
}


@pytest.fixture(scope="module")
def graded():
    return {ex: grade(ex, SAMPLES / ex, seed=0) for ex in EXPECTED}


def _kinds_match(got, want):
    """Each wanted kind (or tuple of acceptable kinds) matches one got kind, and nothing is left."""
    got = sorted(got)
    if len(got) != len(want):
        return False
    rest = list(got)
    for w in want:
        options = w if isinstance(w, tuple) else (w,)
        hit = next((g for g in rest if g in options), None)
        if hit is None:
            return False
        rest.remove(hit)
    return True


@pytest.mark.parametrize("ex_id", sorted(EXPECTED))
def test_every_sample_gets_its_score_and_diagnoses(graded, ex_id):
    doc = graded[ex_id]
    assert doc["exercise"] == ex_id
    by_name = {s["student"]: s for s in doc["students"]}
    assert sorted(by_name) == sorted(os.listdir(SAMPLES / ex_id))
    for name, (score, kinds) in EXPECTED[ex_id].items():
        s = by_name[name]
        assert s["error"] is None, (name, s["error"])
        assert s["needs_review"] == [], (name, s["needs_review"])
        assert s["score"] == pytest.approx(score, abs=1e-6), (name, [(p["part"], p["score"]) for p in s["parts"]])
        for p in s["parts"]:
            got = {it["diagnosis"]["kind"] for it in p["items"] if it["verdict"] == "incorrect"}
            assert _kinds_match(got, kinds.get(p["part"], set())), (name, p["part"], got)


def test_correct_samples_score_full_marks_in_every_notation(graded):
    for ex_id, doc in graded.items():
        full = exercises.load(ex_id).max_score
        for s in doc["students"]:
            if s["student"].startswith("ok_"):
                assert s["score"] == full and all(p["verdict"] == "correct" for p in s["parts"]), s["student"]


def test_results_document_has_the_designed_shape(graded):
    doc = graded["csc321-reg-logistic"]
    assert list(doc) == ["exercise", "seed", "students", "summary"]
    s = doc["students"][0]
    assert list(s)[:6] == ["student", "score", "max_score", "error", "needs_review", "parts"]
    p = s["parts"][0]
    for key in ("part", "score", "max_score", "items", "feedback"):
        assert key in p
    sm = doc["summary"]
    assert sm["graded"] == len(EXPECTED["csc321-reg-logistic"]) and sm["skipped"] == []
    assert sm["mean_score"] == pytest.approx(sum(x["score"] for x in doc["students"]) / sm["graded"], abs=1e-6)
    assert sm["common_mistakes"]["sign"] == 3 and sm["common_mistakes"]["missing_factor"] == 3
    assert list(sm["common_mistakes"].values()) == sorted(sm["common_mistakes"].values(), reverse=True)


def test_adjoint_lines_earn_credit_with_error_carried_forward(graded):
    s = next(x for x in graded["csc321-reg-logistic"]["students"] if x["student"] == "wrong_sigma.txt")
    adj = s["parts"][0]
    assert adj["first_wrong"] == "z_bar"
    assert [it["target"] for it in adj["items"] if it["verdict"] == "incorrect"] == ["z_bar"]
    assert "the factor σ(z) should be σ′(z)" in adj["feedback"]


def _batch(tmp_path):
    d = tmp_path / "subs"
    d.mkdir()
    for name in ("reglog_adjoints.txt", "reglog_adjoints_wrong.txt", "reglog_adjoints.tex"):
        shutil.copy(CONTRACT / name, d)
    (d / "broken.txt").write_bytes(b"\xff\xfe\x00 w_bar = = (")
    return d


def test_a_broken_file_scores_zero_with_an_error_and_the_batch_goes_on(tmp_path, cli):
    d = _batch(tmp_path)
    (d / "sub").mkdir()
    (d / "sub" / "hidden.txt").write_text("w_bar = 1\n")
    os.symlink(d / "reglog_adjoints.txt", d / "link.txt")
    out = tmp_path / "results.json"
    code, stdout, err = cli("grade", "--exercise", "csc321-reg-logistic", d, "--out", out, "--seed", "1")
    assert code == 0, err
    doc = json.loads(out.read_text(encoding="utf-8"))
    students = {s["student"]: s for s in doc["students"]}
    assert sorted(students) == ["broken.txt", "reglog_adjoints.tex", "reglog_adjoints.txt", "reglog_adjoints_wrong.txt"]
    broken = students["broken.txt"]
    assert broken["score"] == 0 and broken["error"] == "broken.txt:1:1: not UTF-8 text"
    assert all(p["verdict"] == "error" for p in broken["parts"])
    assert students["reglog_adjoints_wrong.txt"]["score"] < students["reglog_adjoints.txt"]["score"] == 7
    assert doc["summary"]["skipped"] == ["link.txt", "sub/"]
    assert doc["seed"] == 1
    assert "broken.txt" in stdout and "not UTF-8 text" in stdout


@pytest.mark.parametrize("data, message", [
    (b"", "empty submission"),
    (b"   \n\n", "empty submission"),
    (b"# part: adjoints\nR_bar = lambda\n# part: grad_q\n1\n", "unknown part 'grad_q'"),
    (b"w_bar = = (\nb_bar = ) (\n", ""),
    (b"ok\xc3(", "not UTF-8 text"),
])
def test_unreadable_submissions_are_errors_for_that_student_only(tmp_path, data, message):
    d = tmp_path / "d"
    d.mkdir()
    (d / "bad.txt").write_bytes(data)
    shutil.copy(SAMPLES / "csc321-reg-logistic" / "ok_plain.txt", d / "good.txt")
    doc = grade("csc321-reg-logistic", d)
    bad, good = doc["students"]
    assert bad["score"] == 0 and bad["error"].startswith("bad.txt:") and message in bad["error"]
    assert good["score"] == 13 and good["error"] is None


def test_one_unreadable_part_costs_only_that_part(tmp_path):
    f = tmp_path / "alice.txt"
    f.write_text("# part: adjoints\nR_bar = L_reg_bar*lambda\n# part: grad_w\ndL_reg/dw = foo*w\n", encoding="utf-8")
    s = grade("csc321-reg-logistic", f)["students"][0]
    assert s["error"] is None
    adj, gw = s["parts"][0], s["parts"][1]
    assert adj["score"] == pytest.approx(2.0)            # R_bar, and the omitted L_reg_bar = 1
    assert adj["not_written"] == ["L_bar", "y_bar", "z_bar", "w_bar", "b_bar"]
    assert gw["verdict"] == "error" and gw["error"].startswith("alice.txt:4:") and "unknown name 'foo'" in gw["error"]


def _run_all(tmp_path, tag, jobs, extra=()):
    d = _batch(tmp_path) if not (tmp_path / "subs").exists() else tmp_path / "subs"
    out = tmp_path / tag
    from tests.conftest import run_cli
    code, _, err = run_cli("grade", "--exercise", "csc321-reg-logistic", d, "--jobs", jobs, "--seed", "3",
                           "--out", out / "results.json", "--csv", out / "grades.csv",
                           "--gradescope", out / "gs", *extra)
    assert code == 0, err
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_results_are_byte_identical_for_any_jobs(tmp_path):
    one = _run_all(tmp_path, "one", 1)
    two = _run_all(tmp_path, "two", 2)
    assert one == two
    assert sorted(one) == sorted(["gs/broken.txt/results.json", "gs/reglog_adjoints.tex/results.json",
                           "gs/reglog_adjoints.txt/results.json", "gs/reglog_adjoints_wrong.txt/results.json",
                           "grades.csv", "results.json"])
    assert b"seconds" not in one["results.json"]


def test_a_separate_run_with_another_hash_seed_writes_the_same_bytes(tmp_path):
    d = tmp_path / "subs"
    d.mkdir()
    shutil.copy(SAMPLES / "csc321-reg-logistic" / "wrong_fanout.txt", d)
    shutil.copy(SAMPLES / "cs231n-simple" / "ok_latex.tex", d)
    from tests.conftest import run_cli
    here = tmp_path / "here.json"
    assert run_cli("grade", "--exercise", "csc321-reg-logistic", d, "--out", here)[0] == 0
    there = tmp_path / "there.json"
    env = dict(os.environ, PYTHONHASHSEED="12345")
    p = subprocess.run([sys.executable, "-m", "check", "grade", "--exercise", "csc321-reg-logistic", str(d),
                        "--out", str(there), "--jobs", "2"], capture_output=True, text=True, env=env, cwd=ROOT,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    assert here.read_bytes() == there.read_bytes()


def test_csv_has_one_row_per_student_and_part(graded):
    text = to_csv(graded["cs231n-simple"])
    rows = text.splitlines()
    assert rows[0] == "student,part,score,max_score,verdict,diagnosis"
    assert len(rows) == 1 + len(EXPECTED["cs231n-simple"]) * 4
    assert "wrong_sign.txt,adjoints,4.25,5,incorrect,sign" in rows      # the sign rule keeps 1/4 of ȳ
    assert "ok_plain.txt,grad_z,1,1,correct," in rows


def test_gradescope_for_one_file_and_for_a_folder(tmp_path, cli):
    f = SAMPLES / "csc321-reg-logistic" / "wrong_sign.txt"
    gs = tmp_path / "results.json"
    code, _, err = cli("grade", "--exercise", "csc321-reg-logistic", f, "--gradescope", gs)
    assert code == 0, err
    g = json.loads(gs.read_text(encoding="utf-8"))
    assert g["score"] == 6.25 and "score: 6.25/13" in g["output"]           # the rubric keeps 1/4 of a sign
    assert [(t["score"], t["max_score"], t["status"]) for t in g["tests"]] == [
        (6.25, 7, "failed"), (0, 1, "failed"), (0, 1, "failed"), (0, 4, "failed")]
    assert all(set(t) == {"name", "score", "max_score", "status", "output"} for t in g["tests"])
    folder = tmp_path / "gs"
    code, _, _ = cli("grade", "--exercise", "cs231n-simple", SAMPLES / "cs231n-simple", "--gradescope", folder)
    assert code == 0
    assert sorted(os.listdir(folder)) == sorted(EXPECTED["cs231n-simple"])
    ok = json.loads((folder / "ok_plain.txt" / "results.json").read_text(encoding="utf-8"))
    assert ok["score"] == 8 and {t["status"] for t in ok["tests"]} == {"passed"}


def test_minimal_feedback_names_wrong_lines_and_kinds_only(tmp_path):
    f = SAMPLES / "csc321-reg-logistic" / "wrong_sigma.txt"
    full = grade("csc321-reg-logistic", f)["students"][0]
    from check.grading import grade as grade_all
    mini = grade_all("csc321-reg-logistic", f, feedback="minimal")["students"][0]
    assert mini["score"] == full["score"]
    fb = mini["parts"][0]["feedback"]
    assert "line 7: z_bar: incorrect (derivative_of_wrong_function)" in fb
    assert "σ′" not in fb and "expected" not in fb
    item = next(it for it in mini["parts"][0]["items"] if it["verdict"] == "incorrect")
    assert item["counterexample"] is None and item["diagnosis"] == {"kind": "derivative_of_wrong_function"}
    assert "expected" in full["parts"][0]["feedback"]


def test_bad_exercise_or_folder_exits_2_and_students_never_do(tmp_path, cli):
    code, _, err = cli("grade", "--exercise", "no-such-exercise", tmp_path)
    assert code == 2 and "unknown exercise" in err
    code, _, err = cli("grade", "--exercise", "cs231n-simple", tmp_path / "missing")
    assert code == 2 and "no such file or folder" in err
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\ntitle = "t"\nspec = "f = a*b"\n[[parts]]\nid = "p"\nkind = "claim"\npoints = 1\n')
    code, _, err = cli("grade", "--exercise", bad, tmp_path)
    assert code == 2 and err.startswith(f"{bad}:4:1:")
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "x.txt").write_bytes(b"\x00\x01\x02")
    code, out, _ = cli("grade", "--exercise", "cs231n-simple", tmp_path / "s")
    assert code == 0 and "x.txt" in out


def test_a_teachers_toml_grades_a_bare_claim(tmp_path):
    ex = tmp_path / "mine.toml"
    ex.write_text('id = "mine"\ntitle = "t"\nspec = """\nq = a*b\nf = sigma(q)\n"""\n'
                  '[[parts]]\nid = "ga"\nkind = "claim"\nwrt = "a"\npoints = 2.5\n', encoding="utf-8")
    d = tmp_path / "d"
    d.mkdir()
    (d / "ok.txt").write_text("b*sigma'(a*b)\n")
    (d / "wrong.txt").write_text("b*sigma(q)\n")
    doc = grade(str(ex), d)
    assert [(s["student"], s["score"]) for s in doc["students"]] == [("ok.txt", 2.5), ("wrong.txt", 0.0)]
    assert doc["summary"]["common_mistakes"] == {"derivative_of_wrong_function": 1}


# ---- the pieces -------------------------------------------------------------------------------

def _read(text):
    return [(r.line, r.col, r.lhs, r.rhs.strip()) for r in rows(clean(text))]


def _lines(parts):
    return {p: [r.line for r in rs] for p, rs in parts.items()}


def test_markdown_keeps_only_code_blocks_and_displays_in_place():
    md = "Intro with `$$` in code\n```\nw_bar = z_bar*x\n```\nand $$\\bar{b} = \\bar{z}$$ here\n"
    got = _read(md)
    assert [r[:1] + r[2:] for r in got] == [(3, "w_bar", "z_bar*x"), (5, "\\bar{b}", "\\bar{z}")]
    rhs_col = md.split("\n")[4].index("= \\bar{z}") + 3           # 1-based, past "= "
    assert got[1][1] == rhs_col                                                 # same columns
    assert _read("w_bar = 1\n") == [(1, 8, "w_bar", "1")]
    assert [r[2:] for r in _read("- $\\bar{w} = 1$ and text\n")] == [("\\bar{w}", "1")]


def _split(text, ex):
    text = clean(text)
    return split_parts(text, rows(text), ex, "s")


def test_text_without_part_markers_is_dispatched_by_what_each_line_is():
    ex = exercises.load("csc321-reg-logistic")
    text = ("z = w*x + b\nw_bar = z_bar*x + R_bar*w\ndL_reg/db = (y - t)*sigma'(z)\n"
            "dL_reg/dw = d/dw [ L_reg ]\n   = (y - t)*sigma'(z)*x + lambda*w\n\\bar{b} = \\bar{z}\n")
    assert _lines(_split(text, ex)) == {"adjoints": [1, 2, 6], "grad_b": [3], "steps": [4, 5]}
    one = exercises.load("cs231n-simple")
    assert _lines(_split("df/dx = z\n", one)) == {"grad_x": [1]}
    assert _lines(_split("df/dx = z\n= q_bar\n", one)) == {"grad_x": [1, 2]}


def test_part_markers_keep_line_numbers_and_accept_spellings():
    ex = exercises.load("csc321-reg-logistic")
    parts = _split("% part: Grad-W\n\\frac{\\partial L}{\\partial w} = 1\n## part: adjoints\nb_bar = z_bar\n", ex)
    assert _lines(parts) == {"grad_w": [2], "adjoints": [4]}
    assert parts["grad_w"][0].lhs == "\\frac{\\partial L}{\\partial w}" and parts["adjoints"][0].lhs == "b_bar"


def test_a_claim_written_as_a_chain_is_judged_by_its_last_row(tmp_path):
    f = tmp_path / "c.txt"
    f.write_text("# part: grad_b\ndL_reg/db = (y - t)*d/db[ y ]\n          = (y - t)*sigma'(z)\n", encoding="utf-8")
    s = grade("csc321-reg-logistic", f)["students"][0]
    gb = s["parts"][2]
    assert gb["score"] == 1 and gb["items"][0]["line"] == 3


def test_a_derivation_must_end_at_the_gradient(tmp_path):
    f = tmp_path / "s.txt"
    f.write_text("# part: steps\ndL_reg/dw = d/dw [ 1/2*(sigma(w*x + b) - t)^2 + lambda/2*w^2 ]\n", encoding="utf-8")
    steps = grade("csc321-reg-logistic", f)["students"][0]["parts"][3]
    assert steps["score"] == 2.0                       # the row holds; the final answer is not reached
    assert steps["items"][-1]["target"] == "final answer" and steps["items"][-1]["verdict"] == "incorrect"


def test_the_api_grade_is_the_results_document(tmp_path):
    from check import grade as api_grade
    doc = api_grade("cs231n-simple", [SAMPLES / "cs231n-simple" / "ok_plain.txt"], seed=0, jobs=1)
    assert doc["students"][0]["score"] == 8 and doc["summary"]["graded"] == 1
    json.dumps(doc)


def test_comment_lines_alone_are_no_answer_not_an_error(tmp_path):
    f = tmp_path / "c.txt"
    f.write_text("# my homework\n# part: adjoints\nb_bar = z_bar\n# part: grad_w\n# no idea\n", encoding="utf-8")
    s = grade("csc321-reg-logistic", f)["students"][0]
    assert s["error"] is None
    assert [p["verdict"] for p in s["parts"]] == ["incorrect", "missing", "missing", "missing"]


def test_an_adjoint_line_answers_the_claim_when_there_is_no_adjoints_part(tmp_path):
    ex = tmp_path / "claims.toml"
    ex.write_text('id = "claims"\ntitle = "t"\nspec = "f = a*b"\n[[parts]]\nid = "ga"\nkind = "claim"\nwrt = "a"\n'
                  'points = 1\n[[parts]]\nid = "gb"\nkind = "claim"\nwrt = "b"\npoints = 1\n', encoding="utf-8")
    f = tmp_path / "s.txt"
    f.write_text("# answers\n\\bar{b} = a\na_bar = b\n", encoding="utf-8")
    s = grade(str(ex), f)["students"][0]
    assert [(p["part"], p["score"]) for p in s["parts"]] == [("ga", 1.0), ("gb", 1.0)]


def test_out_dash_prints_the_json_document_only(cli):
    code, out, _ = cli("grade", "--exercise", "cs231n-simple", SAMPLES / "cs231n-simple" / "ok_plain.txt", "--out", "-")
    assert code == 0 and json.loads(out)["students"][0]["score"] == 8
