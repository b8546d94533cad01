"""grade() called off the main thread (a web server's request thread), where SIGALRM cannot
limit a student: students go to a worker process, and the results are the same bytes."""
import json
import shutil
import time

import pytest

import check.grading as grading
import check.grading.workers as workers
from check.grading.outputs import to_json
from conftest import ROOT, budget, in_thread, pathological_submission

SAMPLES = ROOT / "exercises" / "samples" / "csc321-reg-logistic"
NORMAL = ["ok_plain.txt", "wrong_sigma.txt", "adjoints_only_crlf.txt"]


@pytest.fixture
def folder(tmp_path):
    for n in NORMAL:
        shutil.copy(SAMPLES / n, tmp_path / n)
    return tmp_path


def test_grade_in_a_thread_keeps_the_time_limit_of_a_slow_student(folder, monkeypatch):
    (folder / "slow.txt").write_text(pathological_submission(), encoding="utf-8")
    monkeypatch.setattr(workers, "STUDENT_SECONDS", 1.0)          # inherited by the forked worker
    start = time.perf_counter()
    doc, _ = in_thread(lambda: grading.grade("csc321-reg-logistic", str(folder), jobs=1))
    assert time.perf_counter() - start < 1.0 + budget(8)
    by = {s["student"]: s for s in doc["students"]}
    assert sorted(by) == sorted(NORMAL + ["slow.txt"])
    slow = by["slow.txt"]
    assert slow["score"] == 0.0 and "longer than" in slow["error"] and slow["needs_review"] == ["time limit"]
    for n in NORMAL:
        assert by[n] == workers.grade_student("csc321-reg-logistic", n, str(SAMPLES / n))[0], n


@pytest.mark.parametrize("jobs", [1, 2])
def test_grade_in_a_thread_gives_the_same_bytes_as_on_the_main_thread(folder, jobs):
    (folder / "broken.txt").write_bytes(b"\xff w_bar = (")
    here = to_json(grading.grade("csc321-reg-logistic", str(folder), seed=4))
    there, _ = in_thread(lambda: to_json(grading.grade("csc321-reg-logistic", str(folder), seed=4, jobs=jobs)))
    assert here == there and json.loads(here)["summary"]["graded"] == len(NORMAL) + 1


def test_grade_in_a_thread_shows_progress_for_every_student(folder):
    seen = []
    in_thread(lambda: grading.grade("csc321-reg-logistic", str(folder), progress=seen.append))
    assert sorted(seen) == sorted(NORMAL)


def test_grade_on_the_main_thread_stays_in_process(folder, monkeypatch):
    def no_workers(*args):
        raise AssertionError("a worker process was started")
    monkeypatch.setattr(grading, "_in_workers", no_workers)
    doc = grading.grade("csc321-reg-logistic", str(folder))
    assert [s["student"] for s in doc["students"]] == sorted(NORMAL)
