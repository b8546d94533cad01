"""The Gradescope and PrairieLearn graders, run as the platforms run them, in simulated trees.

The real generated scripts (run_autograder from the zip, tests/run_grader from the question
folder) run under bash with barprop importable from this venv; setup.sh cannot run here (it
installs into the platform's image), so it is checked for form and its wheel is installed,
offline, into a throwaway venv and graded with.
"""
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import exercises
from check import grade
from check.platforms import gradescope, prairielearn
from conftest import ROOT, run_cli

SAMPLES = ROOT / "exercises" / "samples"
REGLOG = "csc321-reg-logistic"
OK = SAMPLES / REGLOG / "ok_plain.txt"
WRONG = SAMPLES / REGLOG / "wrong_sigma.txt"
BIN = str(Path(sys.executable).parent)


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOGRADER_", "PL_", "BARPROP_"))}
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


def _measured(script, env, cwd):
    """Run `bash script` in a child that reports its peak RSS (KiB); (process, peak)."""
    probe = ("import resource, subprocess, sys; p = subprocess.run(['bash', sys.argv[1]]); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(p.returncode)")
    proc = subprocess.run([sys.executable, "-c", probe, str(script)], env=env, capture_output=True, text=True,
                          timeout=180, cwd=cwd)
    return proc, int(proc.stderr.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def gs_zip(tmp_path_factory):
    out = tmp_path_factory.mktemp("gs") / "autograder.zip"
    code, text, err = run_cli("autograder", "gradescope", "--exercise", REGLOG, "--out", out)
    assert code == 0, err
    return out


def gs_tree(tmp, zip_path, files=None):
    """/autograder as Gradescope lays it out: source/ (the zip), run_autograder, submission/."""
    root = tmp / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    for name, data in (files or {}).items():
        path = root / "submission" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def run_gs(root, **env):
    """The real run_autograder; (results.json, process, peak RSS in KiB)."""
    proc, peak = _measured(root / "run_autograder", _env(AUTOGRADER_ROOT=str(root), **env), cwd=root)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8")), proc, peak


@pytest.fixture(scope="module")
def pl_question(tmp_path_factory):
    out = tmp_path_factory.mktemp("pl") / "reglog"
    code, text, err = run_cli("autograder", "prairielearn", "--exercise", REGLOG, "--out", out)
    assert code == 0, err
    return out


def pl_tree(tmp, question, files=None, data=None):
    """/grade as PrairieLearn lays it out: tests/ (the question's), data/data.json, student/."""
    root = tmp / "plroot"
    grade_dir = root / "grade"
    shutil.copytree(question / "tests", grade_dir / "tests")
    (grade_dir / "data").mkdir()
    (grade_dir / "data" / "data.json").write_text(json.dumps(data or {"params": {}, "submitted_answers": {}}),
                                                 encoding="utf-8")
    (grade_dir / "student").mkdir()
    for name, content in (files or {}).items():
        (grade_dir / "student" / name).write_bytes(content)
    return root


def run_pl(root, **env):
    entry = root / "grade" / "tests" / "run_grader"
    proc, peak = _measured(entry, _env(PL_ROOT=str(root), **env), cwd=root / "grade")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads((root / "grade" / "results" / "results.json").read_text(encoding="utf-8")), proc, peak


# ---------------------------------------------------------------------------------------------
# Gradescope
# ---------------------------------------------------------------------------------------------

def test_gradescope_zip_has_setup_and_run_autograder_at_its_top_executable(gs_zip):
    with zipfile.ZipFile(gs_zip) as z:
        names = z.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
    assert {"setup.sh", "run_autograder"} <= set(names)
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert [n for n in names if n.endswith(".whl")] == [f"barprop-{gradescope.bundle.version()}-py3-none-any.whl"]


def test_setup_sh_is_bash_that_installs_the_wheel_in_the_zip(gs_zip, tmp_path):
    with zipfile.ZipFile(gs_zip) as z:
        setup = z.read("setup.sh").decode()
        wheel = next(n for n in z.namelist() if n.endswith(".whl"))
        z.extract("setup.sh", tmp_path)
    assert setup.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in setup
    assert subprocess.run(["bash", "-n", str(tmp_path / "setup.sh")]).returncode == 0
    assert f'pip install "$HERE/{wheel}"' in setup
    assert "--exercise csc321-reg-logistic --check" in setup


def test_the_zip_is_the_same_bytes_when_written_twice(gs_zip, tmp_path):
    again = tmp_path / "again.zip"
    assert run_cli("autograder", "gradescope", "--exercise", REGLOG, "--out", again)[0] == 0
    assert again.read_bytes() == gs_zip.read_bytes()


def test_the_wheel_installs_offline_into_a_fresh_venv_and_grades_from_there(gs_zip, tmp_path):
    with zipfile.ZipFile(gs_zip) as z:
        wheel = next(n for n in z.namelist() if n.endswith(".whl"))
        z.extract(wheel, tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", "--no-index",
                    str(tmp_path / wheel)], check=True, env=_env())
    assert (venv / "bin" / "barprop").exists()
    # the dependencies come from this venv's site-packages, barprop itself from the wheel
    deps = next(p for p in sys.path if p.endswith("site-packages"))
    root = gs_tree(tmp_path, gs_zip, {"hw.txt": OK.read_bytes()})
    proc = subprocess.run([str(py), "-c", "import check, sys; print(check.__file__); "
                           "from check.platforms.gradescope import main; main(['--exercise', sys.argv[1]])", REGLOG],
                          env=_env(PYTHONPATH=deps, AUTOGRADER_ROOT=str(root)), capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.splitlines()[0].startswith(str(venv))
    doc = json.loads((root / "results" / "results.json").read_text())
    assert doc["score"] == 13.0


def test_gradescope_correct_submission_gets_full_marks(gs_zip, tmp_path):
    doc, proc, peak = run_gs(gs_tree(tmp_path, gs_zip, {"hw2.txt": OK.read_bytes()}))
    assert doc["score"] == 13.0
    assert [t["status"] for t in doc["tests"]] == ["passed"] * 4
    assert all(t["visibility"] == "visible" for t in doc["tests"])
    assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(doc["tests"][0])


def test_gradescope_wrong_submission_gets_partial_marks_and_the_diagnosis(gs_zip, tmp_path):
    doc, _, _ = run_gs(gs_tree(tmp_path, gs_zip, {"hw2.txt": WRONG.read_bytes()}))
    expected = grade(REGLOG, WRONG)["students"][0]["score"]
    assert doc["score"] == expected and 0 < doc["score"] < 13
    adjoints = doc["tests"][0]
    assert adjoints["status"] == "failed" and "the factor σ(z) should be σ′(z)" in adjoints["output"]


def test_gradescope_empty_submission_scores_zero_with_the_reason(gs_zip, tmp_path):
    doc, _, _ = run_gs(gs_tree(tmp_path, gs_zip))
    assert doc["score"] == 0 and "empty submission" in doc["output"]
    doc, _, _ = run_gs(gs_tree(tmp_path / "b", gs_zip, {"hw2.txt": b""}))
    assert doc["score"] == 0 and "empty submission" in doc["output"]


def test_a_students_python_module_cannot_shadow_barprop(gs_zip, tmp_path):
    root = gs_tree(tmp_path, gs_zip, {"hw2.txt": OK.read_bytes()})
    for folder in (root, root / "submission"):
        (folder / "check").mkdir()
        (folder / "check" / "__init__.py").write_text("raise SystemExit('shadowed')\n")
    proc, _ = _measured(root / "run_autograder", _env(AUTOGRADER_ROOT=str(root)), cwd=root)
    doc = json.loads((root / "results" / "results.json").read_text())
    assert doc["score"] == 13.0 and "shadowed" not in proc.stderr


def test_gradescope_hostile_submission_scores_zero_and_runs_nothing(gs_zip, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("w_bar = z_bar*x + R_bar*w\n")
    marker = tmp_path / "PWNED"
    files = {"a.txt": f"# part: adjoints\nw_bar = __import__('os').system('touch {marker}')\n".encode(),
             "b.txt": b"\xff\xfe\x00garbage" * 100,
             "c.txt": b"z_bar = " + b"(" * 5000 + b"x" + b")" * 5000 + b"\n"}
    root = gs_tree(tmp_path, gs_zip, files)
    os.symlink(secret, root / "submission" / "link.txt")
    os.mkfifo(root / "submission" / "pipe.txt")          # reading it would hang the grader
    doc, _, _ = run_gs(root)
    assert doc["score"] == 0
    assert not marker.exists()
    assert "not read: link.txt" in doc["output"] and "not read: pipe.txt" in doc["output"]
    assert "not read: b.txt" in doc["output"]                 # not UTF-8, said where


def test_gradescope_files_of_one_student_are_graded_together(gs_zip, tmp_path):
    text = OK.read_text(encoding="utf-8")
    cut = text.index("# part: grad_w")
    doc, _, _ = run_gs(gs_tree(tmp_path, gs_zip, {"1_adjoints.md": f"Adjoints:\n\n```\n{text[:cut]}```\n".encode(),
                                                  "2_rest.txt": text[cut:].encode()}))
    assert doc["score"] == 13.0
    assert "1_adjoints.md at lines" in doc["output"] and "2_rest.txt at lines" in doc["output"]


def test_a_file_without_part_lines_is_not_taken_by_another_files_last_part(gs_zip, tmp_path):
    text = OK.read_text(encoding="utf-8")
    adjoints = text[:text.index("# part: grad_w")]
    files = {"a_adjoints.txt": adjoints.encode(),
             "b_claims.txt": b"dL_reg/dw = (sigma(w*x + b) - t)*sigma'(w*x + b)*x + lambda*w\n"
                             b"dL_reg/db = (sigma(w*x + b) - t)*sigma'(w*x + b)\n"}
    doc, _, _ = run_gs(gs_tree(tmp_path, gs_zip, files))
    assert [t["score"] for t in doc["tests"]][:3] == [7, 1, 1]


def test_run_autograder_writes_a_zero_when_barprop_cannot_run(gs_zip, tmp_path):
    doc, _, _ = run_gs(gs_tree(tmp_path, gs_zip, {"hw2.txt": OK.read_bytes()}), BARPROP_PYTHON="/bin/false")
    assert doc["score"] == 0 and "autograder itself failed" in doc["output"]


def test_a_teachers_own_exercise_travels_inside_the_zip(tmp_path):
    own = tmp_path / "teacher" / "hw $1 `x`" / "mine.toml"
    own.parent.mkdir(parents=True)
    (tmp_path / "teacher" / "specs").mkdir()
    shutil.copy(ROOT / "exercises" / "specs" / "reglog.bp", tmp_path / "teacher" / "specs" / "r.bp")
    own.write_text((ROOT / "exercises" / f"{REGLOG}.toml").read_text(encoding="utf-8")
                   .replace('id = "csc321-reg-logistic"', 'id = "hw1"')
                   .replace('spec_file = "specs/reglog.bp"', 'spec_file = "../specs/r.bp"'), encoding="utf-8")
    out, question = tmp_path / "own.zip", tmp_path / "q"
    assert run_cli("autograder", "gradescope", "--exercise", own, "--out", out)[0] == 0
    assert run_cli("autograder", "prairielearn", "--exercise", own, "--out", question)[0] == 0
    shutil.rmtree(tmp_path / "teacher")               # neither may need the original files
    doc, _, _ = run_gs(gs_tree(tmp_path, out, {"hw.txt": OK.read_bytes()}))
    assert doc["score"] == 13.0
    doc, _, _ = run_pl(pl_tree(tmp_path, question, {"derivation.md": WRONG.read_bytes()}))
    assert doc["score"] == pytest.approx(grade(REGLOG, WRONG)["students"][0]["score"] / 13)


# ---------------------------------------------------------------------------------------------
# PrairieLearn
# ---------------------------------------------------------------------------------------------

def test_prairielearn_folder_has_info_question_entry_point_and_dockerfile(pl_question):
    info = json.loads((pl_question / "info.json").read_text())
    opts = info["externalGradingOptions"]
    assert info["gradingMethod"] == "External" and info["type"] == "v3"
    assert opts["enabled"] is True and opts["image"] and 0 < opts["timeout"] <= 600
    assert opts["entrypoint"] == "/grade/tests/run_grader"
    assert os.access(pl_question / "tests" / "run_grader", os.X_OK)
    html = (pl_question / "question.html").read_text()
    assert "<pl-file-editor" in html and "<pl-file-upload" in html and "<pl-external-grader-results>" in html
    assert "# part: grad_w" in html
    docker = (pl_question / "Dockerfile").read_text()
    wheel = f"barprop-{gradescope.bundle.version()}-py3-none-any.whl"
    assert f"COPY {wheel} " in docker and (pl_question / wheel).is_file()


def test_prairielearn_correct_submission_scores_one(pl_question, tmp_path):
    doc, _, peak = run_pl(pl_tree(tmp_path, pl_question, {"derivation.md": OK.read_bytes()}))
    assert doc["gradable"] is True and doc["score"] == 1.0 and doc["format_errors"] == []
    assert peak < 768 * 1024, f"{peak / 1024:.0f} MB"
    assert [t["points"] for t in doc["tests"]] == [t["max_points"] for t in doc["tests"]] == [7, 1, 1, 4]
    assert {"name", "points", "max_points", "message", "output"} <= set(doc["tests"][0])


def test_prairielearn_wrong_submission_scores_the_fraction_barprop_grade_gives(pl_question, tmp_path):
    doc, _, _ = run_pl(pl_tree(tmp_path, pl_question, {"derivation.md": WRONG.read_bytes()}))
    expected = grade(REGLOG, WRONG)["students"][0]["score"]
    assert doc["gradable"] is True and doc["score"] == pytest.approx(expected / 13)
    assert "the factor σ(z) should be σ′(z)" in doc["tests"][0]["output"]


def test_prairielearn_empty_submission_is_not_gradable_with_the_reason(pl_question, tmp_path):
    doc, _, _ = run_pl(pl_tree(tmp_path, pl_question, {"derivation.md": b"\n\n"}))
    assert doc["gradable"] is False and doc["score"] == 0
    assert doc["format_errors"] and "empty submission" in doc["format_errors"][0]


def test_prairielearn_hostile_submission_scores_zero_and_runs_nothing(pl_question, tmp_path):
    marker = tmp_path / "PWNED"
    hostile = f"# part: grad_w\nexec(\"open('{marker}', 'w')\")\n# part: adjoints\n".encode() + b"w_bar = " + b"-" * 100_000
    root = pl_tree(tmp_path, pl_question, {"derivation.md": hostile})
    (root / "grade" / "data" / "data.json").write_text("{not json")
    doc, _, _ = run_pl(root)
    assert doc["score"] == 0 and not marker.exists()
    assert doc["tests"][1]["points"] == 0


def test_prairielearn_reads_the_files_from_data_json_when_student_is_empty(pl_question, tmp_path):
    import base64
    data = {"submitted_answers": {"_files": [{"name": "../../escape.txt",
                                              "contents": base64.b64encode(OK.read_bytes()).decode()}]}}
    root = pl_tree(tmp_path, pl_question, data=data)
    doc, _, _ = run_pl(root)
    assert doc["score"] == 1.0
    assert not (tmp_path / "escape.txt").exists()


# ---------------------------------------------------------------------------------------------
# both, on every bundled exercise
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("exercise", exercises.list_ids())
def test_both_graders_score_every_bundled_sample_as_barprop_grade_does(exercise, tmp_path):
    want = {s["student"]: s["score"] for s in grade(exercise, SAMPLES / exercise)["students"]}
    ex = exercises.load(exercise)
    for sample in sorted((SAMPLES / exercise).iterdir()):
        gs_root, pl_root = tmp_path / sample.name / "gs", tmp_path / sample.name / "pl"
        (gs_root / "submission").mkdir(parents=True)
        (pl_root / "grade" / "student").mkdir(parents=True)
        shutil.copy(sample, gs_root / "submission" / sample.name)
        shutil.copy(sample, pl_root / "grade" / "student" / sample.name)
        gs = gradescope.run(exercise, root=str(gs_root))
        pl = prairielearn.run(exercise, root=str(pl_root))
        assert gs["score"] == want[sample.name], sample.name
        assert pl["score"] * ex.max_score == pytest.approx(want[sample.name], abs=1e-6), sample.name
        assert json.loads((gs_root / "results" / "results.json").read_text()) == gs


@pytest.mark.parametrize("exercise", exercises.list_ids())
def test_run_autograder_peak_memory_stays_under_768_mb(exercise, tmp_path):
    zip_path = tmp_path / "a.zip"
    assert run_cli("autograder", "gradescope", "--exercise", exercise, "--out", zip_path)[0] == 0
    biggest = max((SAMPLES / exercise).iterdir(), key=lambda p: p.stat().st_size)
    doc, _, peak = run_gs(gs_tree(tmp_path, zip_path, {biggest.name: biggest.read_bytes()}))
    assert doc["score"] == grade(exercise, biggest)["students"][0]["score"]
    assert peak < 768 * 1024, f"{peak / 1024:.0f} MB"
