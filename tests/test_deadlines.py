"""Hard limits on work done for user-derived expressions (issue #8).

Symbolic reduction with `prove` runs in a forked child killed at the deadline (check.isolation), so it holds
off the main thread, where `signal.alarm` cannot help, and inside `grade --jobs` workers. A
grading batch survives a submission that runs past the per-student time limit and a worker
process that dies outright."""
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

import check.grading as grading
import check.isolation as isolation
import check.grading.workers as workers
from check import check_claim
from check.evidence import symbolic_status
from conftest import ROOT, budget, in_thread, pathological_submission

# The sigmoid chain of depth 6 and its gradient written out with exp only: correct, and far too
# much for SymPy to reduce to 0 in half a second.
CHAIN = "a0 = x\n" + "".join(f"a{k + 1} = sigma(a{k})\n" for k in range(6))


def _s(k):
    return "x" if k == 0 else f"1/(1 + exp(-({_s(k - 1)})))"


EXPANDED = "*".join(f"exp(-({_s(k)}))/(1 + exp(-({_s(k)})))^2" for k in range(6))
SLACK = 2.0




def _zombies():
    """Children of this process that were killed but never reaped."""
    me, out = str(os.getpid()), []
    for d in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[1] == me and fields[0] == "Z":
            out.append(d.name)
    return out


@pytest.mark.parametrize("deadline", [0.5, 1.0])
def test_a_hard_but_correct_claim_in_a_thread_is_correct_within_the_deadline(deadline):
    check_claim(CHAIN, "x", "x", deadline=0)            # truth and points: not the claim's cost
    v, seconds = in_thread(lambda: check_claim(CHAIN, "x", EXPANDED, deadline=deadline, prove=True))
    assert seconds < deadline + budget(SLACK)
    assert v.verdict == "correct"
    assert v.evidence["symbolic"]["status"] in ("timeout", "zero")
    assert _zombies() == []


def test_a_wrong_claim_in_a_thread_is_incorrect_whatever_the_symbolic_status():
    wrong = EXPANDED + "*(1 + x/1000)"
    v, seconds = in_thread(lambda: check_claim(CHAIN, "x", wrong, deadline=0.5))
    assert seconds < 0.5 + SLACK
    assert v.verdict == "incorrect" and v.counterexample is not None
    assert v.evidence["symbolic"]["status"] in ("timeout", "different")


def test_symbolic_status_is_killed_at_its_deadline_off_the_main_thread():
    from derive import parse_spec
    from check.read.scope import ClaimScope, read_expression
    g = parse_spec(CHAIN)
    scope = ClaimScope(g)
    diff = g.backprop().gradients["x"] - scope.expand(read_expression(EXPANDED, scope, 1, 1, "plain"))
    status, seconds = in_thread(lambda: symbolic_status(diff, 0.3, prove=True))
    assert status in ("timeout", "zero") and seconds < 0.3 + SLACK
    assert _zombies() == []


def test_without_prove_the_hard_claim_stops_at_its_work_budget_whatever_the_deadline():
    v = check_claim(CHAIN, "x", EXPANDED, deadline=1000)
    assert v.verdict == "correct" and v.evidence["symbolic"]["status"] == "budget"


def test_several_threads_at_once_each_keep_their_deadline():
    check_claim(CHAIN, "x", "x", deadline=0)
    results, threads = [], []

    def one(k):
        start = time.perf_counter()
        v = check_claim(CHAIN, "x", EXPANDED + f" + 0*x^{k + 1}", deadline=0.5, seed=0, prove=True)
        results.append((v.verdict, v.evidence["symbolic"]["status"], time.perf_counter() - start))
    for k in range(3):
        threads.append(threading.Thread(target=one, args=(k,)))
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 3
    assert all(v == "correct" and s in ("timeout", "zero") for v, s, _ in results), results
    assert time.perf_counter() - start < 0.5 + budget(2 * SLACK)
    assert _zombies() == []


# --- grading: one pathological submission in a batch ---------------------------------------------

SAMPLES = ROOT / "exercises" / "samples" / "csc321-reg-logistic"
NORMAL = ["ok_plain.txt", "wrong_sign.txt", "wrong_fanout.txt", "adjoints_only_crlf.txt"]




@pytest.fixture
def folder(tmp_path):
    for n in NORMAL:
        shutil.copy(SAMPLES / n, tmp_path / n)
    (tmp_path / "slow.txt").write_text(pathological_submission(), encoding="utf-8")
    return tmp_path


@pytest.fixture
def expected():
    """The normal students graded one at a time, in-process."""
    return {n: workers.grade_student("csc321-reg-logistic", n, str(SAMPLES / n))[0] for n in NORMAL}


def test_grade_jobs_2_survives_a_submission_past_the_time_limit(folder, expected, monkeypatch):
    monkeypatch.setattr(workers, "STUDENT_SECONDS", 1.5)    # inherited by the forked workers
    start = time.perf_counter()
    doc = grading.grade("csc321-reg-logistic", str(folder), jobs=2)
    assert time.perf_counter() - start < 1.5 + budget(8)
    by = {s["student"]: s for s in doc["students"]}
    assert sorted(by) == sorted(NORMAL + ["slow.txt"])
    slow = by["slow.txt"]
    assert slow["score"] == 0.0 and "longer than" in slow["error"] and slow["needs_review"] == ["time limit"]
    for n in NORMAL:
        assert by[n] == expected[n]
    assert doc["summary"]["graded"] == len(NORMAL) + 1


def test_grade_cli_jobs_2_writes_every_result(folder, monkeypatch, tmp_path_factory):
    import io
    import json
    from check.cli import main
    monkeypatch.setattr(workers, "STUDENT_SECONDS", 1.5)
    out_dir = tmp_path_factory.mktemp("out")
    out, err = io.StringIO(), io.StringIO()
    code = main(["grade", "--exercise", "csc321-reg-logistic", str(folder), "--jobs", "2",
                 "--out", str(out_dir / "r.json"), "--csv", str(out_dir / "r.csv")], out=out, err=err)
    assert code == 0 and "Traceback" not in err.getvalue()
    doc = json.loads((out_dir / "r.json").read_text(encoding="utf-8"))
    assert len(doc["students"]) == len(NORMAL) + 1
    assert len((out_dir / "r.csv").read_text(encoding="utf-8").strip().split("\n")) == 1 + 4 * (len(NORMAL) + 1)


def test_a_worker_that_dies_takes_only_its_own_student(folder, expected, monkeypatch):
    """A submission that kills its process (the kernel's OOM killer, a crash in C code) must not
    take the students queued in the same pool with it."""
    (folder / "slow.txt").unlink()
    (folder / "killer.txt").write_text("w_bar = x\n", encoding="utf-8")
    real = workers.grade_student

    def dying(exercise, name, path, seed=0, feedback="full"):
        if name == "killer.txt":
            os._exit(9)
        return real(exercise, name, path, seed, feedback)
    monkeypatch.setattr(workers, "grade_student", dying)
    doc = grading.grade("csc321-reg-logistic", str(folder), jobs=2)
    by = {s["student"]: s for s in doc["students"]}
    assert by["killer.txt"]["score"] == 0.0 and "process failed" in by["killer.txt"]["error"]
    for n in NORMAL:
        assert by[n] == expected[n], n


# --- diagnosis: a deep but valid network with a wrong claim ----------------------------------------

DEEP = 25
DEEP_CHAIN = "h0 = x\n" + "".join(f"h{k} = sigma(w{k}*h{k - 1} + b{k})\n" for k in range(1, DEEP + 1)) \
    + f"L = 1/2*(h{DEEP} - t)^2\n"
# ∂L/∂w1 in forward names with x written w1 at the end: a wrong variable far down the search
DEEP_WRONG = f"(h{DEEP} - t)*h{DEEP}*(1 - h{DEEP})*" \
    + "*".join(f"w{k + 1}*h{k}*(1 - h{k})" for k in range(DEEP - 1, 0, -1)) + "*w1"


@pytest.mark.parametrize("deadline", [0, 1.0])
def test_a_deep_network_with_a_wrong_claim_is_diagnosed_within_a_bound_off_the_main_thread(deadline):
    import check.diagnose.values as diagnosis
    check_claim(DEEP_CHAIN, "w1", "x", deadline=0)          # truth and points: not the claim's cost
    v, seconds = in_thread(lambda: check_claim(DEEP_CHAIN, "w1", DEEP_WRONG, deadline=deadline))
    assert v.verdict == "incorrect" and v.counterexample is not None
    assert v.diagnosis["kind"] in ("wrong_variable", "other")
    assert seconds < diagnosis.WALL_FACTOR * max(deadline, diagnosis.MIN_SECONDS) + budget(SLACK)
    again, _ = in_thread(lambda: check_claim(DEEP_CHAIN, "w1", DEEP_WRONG, deadline=deadline))
    assert again.to_dict() == v.to_dict()


class _Stop(BaseException):
    pass


def _swallowed_once(emit):
    seen = []
    try:
        with isolation.time_limit(0.05, _Stop):
            try:
                while True:
                    time.sleep(0.001)
            except BaseException:        # a library's bare `except:` (mpmath's from_float has one)
                seen.append("swallowed")
            while True:                  # without the repeat, no limit is left here
                time.sleep(0.001)
    except _Stop:
        seen.append("stopped")
    emit((seen, signal.getitimer(signal.ITIMER_REAL), signal.getsignal(signal.SIGALRM) is signal.SIG_DFL))


def test_a_time_limit_swallowed_once_is_raised_again_and_then_switched_off():
    out = isolation.run(_swallowed_once, deadline=budget(30))
    assert out.ok and out.items == ((["swallowed", "stopped"], (0.0, 0.0), True),)
