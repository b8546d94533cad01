"""A semester through `grade` (issue #18): the exercise's truths are built once before the
workers fork, each repeated answer is judged once per run whatever --jobs is, results stream to
disk instead of piling up in memory, and --jobs 1 and --jobs 2 write the same bytes."""
import gc
import json
import os
from collections import OrderedDict

import pytest

import check.evidence as evidence
import check.evidence.matrix as matrix_evidence
import check.grading as grading
import check.grading.affinity as affinity
import check.grading.parts as parts
import check.grading.workers as workers
from check.grading.outputs import to_csv, to_json
from conftest import ROOT, run_cli

SAMPLES = ROOT / "exercises" / "samples"
REGLOG = "csc321-reg-logistic"
# lecture answers that judge without a read error (a raised read error is judged per student)
REGLOG_ANSWERS = ["ok_plain.txt", "wrong_sigma.txt", "wrong_sign.txt", "wrong_fanout.txt", "adjoints_only_crlf.txt"]


def _class(folder, exercise, samples, copies):
    """`copies` students per sample, each file the sample plus a comment naming the student."""
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(copies):
        for s in samples:
            src = SAMPLES / exercise / s
            mark = "% " if src.suffix == ".tex" else "# "
            (folder / f"s{k:02d}-{s}").write_bytes(src.read_bytes() + f"\n{mark}student {k}\n".encode())
    return folder


@pytest.fixture
def fresh(monkeypatch):
    """No truth and no judged answer or line left over from other tests in this process."""
    monkeypatch.setattr(evidence, "_TRUTHS", OrderedDict())
    monkeypatch.setattr(parts, "_ANSWERS", OrderedDict())
    monkeypatch.setattr(parts, "_ROWS", OrderedDict())


def _logged(monkeypatch, owner, attr, log):
    """Wrap owner.attr so that every call appends this process's id to `log` (forked workers too)."""
    table = isinstance(owner, dict)
    real = owner[attr] if table else getattr(owner, attr)

    def wrapper(*args, **kw):
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()}\n")
        return real(*args, **kw)
    (monkeypatch.setitem if table else monkeypatch.setattr)(owner, attr, wrapper)


def _lines(log):
    return log.read_text(encoding="utf-8").split() if log.exists() else []


@pytest.mark.parametrize("exercise, samples, seed, builds", [
    (REGLOG, REGLOG_ANSWERS, 0, 1),
    (REGLOG, REGLOG_ANSWERS, 3, 2),          # the seed's points and the diagnosis' probe points
    ("cs231n-affine", ["ok_plain.txt", "wrong_transpose.txt", "wrong_no_batch_sum.txt"], 0, 1),
])
def test_truth_is_built_once_per_exercise_before_the_workers_fork(tmp_path, monkeypatch, fresh, exercise,
                                                                   samples, seed, builds):
    log = tmp_path / "built.log"
    _logged(monkeypatch, evidence.Truth, "__init__", log)
    _logged(monkeypatch, matrix_evidence.MatrixTruth, "__init__", log)
    grading.grade(exercise, _class(tmp_path / "small", exercise, samples, 2), seed=seed, jobs=2)
    assert _lines(log) == [str(os.getpid())] * builds          # in this process, none in a worker
    monkeypatch.setattr(evidence, "_TRUTHS", OrderedDict())
    log.unlink()
    grading.grade(exercise, _class(tmp_path / "big", exercise, samples, 6), seed=seed, jobs=2)
    assert _lines(log) == [str(os.getpid())] * builds          # three times the class, the same work


def test_each_repeated_answer_is_judged_once_per_run_with_two_workers(tmp_path, monkeypatch, fresh):
    log = tmp_path / "judged.log"
    for kind in list(parts.JUDGES):
        _logged(monkeypatch, parts.JUDGES, kind, log)
    once = grading.grade(REGLOG, _class(tmp_path / "once", REGLOG, REGLOG_ANSWERS, 1), jobs=1)
    alone = len(_lines(log))
    monkeypatch.setattr(parts, "_ANSWERS", OrderedDict())
    log.unlink()
    doc = grading.grade(REGLOG, _class(tmp_path / "class", REGLOG, REGLOG_ANSWERS, 6), jobs=2)
    assert alone > len(REGLOG_ANSWERS) and len(_lines(log)) == alone        # 30 students, 5 answers
    scores = {s["student"][4:]: s["score"] for s in doc["students"]}
    assert scores == {s["student"][4:]: s["score"] for s in once["students"]}


def test_no_student_result_stays_in_memory_after_grading(tmp_path, fresh):
    folder = _class(tmp_path / "class", REGLOG, REGLOG_ANSWERS, 4)
    for jobs in (1, 2):
        batch = grading.grade_batch(REGLOG, folder, jobs=jobs)
        gc.collect()
        mine = set(os.listdir(folder))         # results of this class only (another test's thread may still run)
        held = [o for o in gc.get_objects()
                if isinstance(o, dict) and "parts" in o and isinstance(o.get("student"), str) and o["student"] in mine]
        assert held == [] and len(batch.spill) == 20 == len(batch.names)
        assert [s["student"] for s in batch.students()] == sorted(os.listdir(folder))
        batch.spill.close()


def test_tasks_in_flight_stay_bounded_whatever_the_class_size(tmp_path, monkeypatch, fresh):
    monkeypatch.setattr(affinity, "GROUP", 1)           # one student a task: 20 and 40 tasks
    peaks = []
    for copies in (4, 8):
        monkeypatch.setitem(workers.PEAK, "in_flight", 0)
        grading.grade(REGLOG, _class(tmp_path / f"c{copies}", REGLOG, REGLOG_ANSWERS, copies), jobs=2)
        peaks.append(workers.PEAK["in_flight"])
    assert peaks[0] == peaks[1] == 2 * (1 + workers.IN_FLIGHT)


def _outputs(tmp_path, folder, jobs, *extra):
    out = tmp_path / f"jobs{jobs}"
    code, stdout, err = run_cli("grade", "--exercise", REGLOG, folder, "--jobs", jobs, "--seed", 5,
                                "--out", out / "r.json", "--csv", out / "r.csv", "--gradescope", out / "gs", *extra)
    assert code == 0 and "Traceback" not in err
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    return files, stdout


def test_jobs_1_and_jobs_2_write_the_same_bytes_as_the_document_in_memory(tmp_path, fresh):
    folder = _class(tmp_path / "class", REGLOG, REGLOG_ANSWERS + ["ok_latex.tex", "wrong_unreadable_line.txt"], 3)
    (folder / "bad_bytes.txt").write_bytes(b"\xff\xfe w_bar = (")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "unknown_part.txt").write_text("# part: nope\nw_bar = 1\n", encoding="utf-8")
    one, stdout1 = _outputs(tmp_path, folder, 1)
    two, stdout2 = _outputs(tmp_path, folder, 2)
    assert one == two and stdout1 == stdout2 and len(one) == 2 + 24
    doc = grading.grade(REGLOG, folder, seed=5)
    assert one["r.json"].decode("utf-8") == to_json(doc) and one["r.csv"].decode("utf-8") == to_csv(doc)
    assert json.loads(one["gs/empty.txt/results.json"])["score"] == 0.0


def test_an_empty_folder_writes_the_same_document_as_before(tmp_path):
    (tmp_path / "none").mkdir()
    code, stdout, _ = run_cli("grade", "--exercise", REGLOG, tmp_path / "none", "--out", "-")
    assert code == 0 and stdout == to_json(grading.grade(REGLOG, tmp_path / "none"))


def test_a_worker_killed_inside_a_task_costs_only_its_own_student(tmp_path, monkeypatch, fresh):
    """The killer hands in the same answer as three classmates, so it shares their task."""
    folder = _class(tmp_path / "class", REGLOG, ["ok_plain.txt", "wrong_sign.txt"], 3)
    (folder / "killer.txt").write_bytes((SAMPLES / REGLOG / "ok_plain.txt").read_bytes())
    real = workers.grade_student

    def dying(exercise, name, path, seed=0, feedback="full"):
        if name == "killer.txt":
            os._exit(9)
        return real(exercise, name, path, seed, feedback)
    expected = {n: real(REGLOG, n, str(folder / n))[0] for n in sorted(os.listdir(folder)) if n != "killer.txt"}
    monkeypatch.setattr(workers, "grade_student", dying)
    doc = grading.grade(REGLOG, folder, jobs=2)
    by = {s["student"]: s for s in doc["students"]}
    assert "process failed" in by.pop("killer.txt")["error"] and by == expected


def test_students_who_differ_by_a_comment_share_an_answer_key(tmp_path):
    text = "# part: adjoints\nw_bar = z_bar*x\n"
    paths = {}
    for name, body in [("a", text + "# alice\n"), ("b", text.replace("\n", "\r\n") + "% bob  \r\n\r\n"),
                       ("c", text.replace("adjoints", "grad_w")), ("d", text.replace("x", "w"))]:
        paths[name] = tmp_path / name
        paths[name].write_text(body, encoding="utf-8", newline="")
    keys = {n: affinity.answer_key(p) for n, p in paths.items()}
    assert keys["a"] == keys["b"] and len({keys["a"], keys["c"], keys["d"]}) == 3


def test_every_answers_first_task_comes_before_any_second_one(tmp_path):
    for k in range(5):
        (tmp_path / f"a{k}").write_text("w_bar = 1\n", encoding="utf-8")
    (tmp_path / "b0").write_text("w_bar = 2\n", encoding="utf-8")
    work = sorted(os.listdir(tmp_path))
    tasks = affinity.tasks(work, lambda n: tmp_path / n, size=2)
    assert tasks == [["a0", "a1"], ["b0"], ["a2", "a3"], ["a4"]]


def test_students_who_differ_by_one_adjoint_line_share_the_verdicts_on_the_others(tmp_path, monkeypatch, fresh):
    from check.backends.scalar import Scalar
    calls = []
    real = Scalar.adjoint
    monkeypatch.setattr(Scalar, "adjoint", lambda self, *a: calls.append(a[0]) or real(self, *a))
    text = (SAMPLES / REGLOG / "ok_plain.txt").read_text(encoding="utf-8").split("# part: grad_w")[0]
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "b.txt").write_text(text.replace("b_bar = z_bar", "b_bar = z_bar*x"), encoding="utf-8")
    doc = grading.grade(REGLOG, tmp_path)
    assert sorted(calls) == sorted(["L_reg", "R", "L", "y", "z", "w", "b", "b"])     # 7 lines + b.txt's own
    a, b = (s["parts"][0] for s in doc["students"])
    assert a["verdict"] == "correct" and b["items"][:-1] == a["items"][:-1]
    assert [it["verdict"] for it in b["items"]] == ["correct"] * 6 + ["incorrect"]
