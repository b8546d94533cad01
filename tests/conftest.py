"""Shared helpers: the lecture specs, exact points, the CLI run in-process."""
import contextlib
import io
import math
import re
import threading
import time
from pathlib import Path

import pytest
import sympy

from derive import parse_spec
from derive.functions import bar, sym

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "exercises" / "specs"


def spec_text(name):
    """A test-only spec from tests/data/specs (minibatch, regularized, tied weights, means)."""
    return (ROOT / "tests" / "data" / "specs" / f"{name}.bp").read_text(encoding="utf-8")


def spec_path(name):
    return SPECS / f"{name}.bp"


def load(name):
    return parse_spec(spec_path(name).read_text(encoding="utf-8"), file=str(spec_path(name)))


def exact(**values):
    """A point with exact rational values: exact(x=-2, w=0.7)."""
    return {k: sympy.Rational(str(v)) for k, v in values.items()}


def S(name):
    return sym(name)


def B(name):
    return bar(name)


def run_cli(*argv):
    """`barprop ARGV` in-process: (exit status, stdout, stderr)."""
    from check.cli import main
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def cli():
    return run_cli


def run_audited(folder, warm, jobs, needles, cwd):
    """All `jobs` through the CLI in one subprocess under the audit hook of tests/audited_cli.py;
    (the finished process, its results document)."""
    import json
    import subprocess
    import sys
    paths = [folder / "jobs.json", folder / "needles.json", folder / "results.json"]
    paths[0].write_text(json.dumps([[[str(a) for a in w] for w in warm]] + jobs), encoding="utf-8")
    paths[1].write_text(json.dumps(needles), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "audited_cli.py"), *map(str, paths)],
                          cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, json.loads(paths[2].read_text(encoding="utf-8"))


def in_thread(fn, timeout=60):
    """Run fn off the main thread (as a web server or notebook would); its value and seconds.
    `timeout` is for an idle machine and scaled like `budget` (a safety net, not a speed test)."""
    timeout = budget(timeout)
    box = {}

    def run():
        start = time.perf_counter()
        try:
            box["value"] = fn()
        except BaseException as e:          # pragma: no cover - re-raised below
            box["error"] = e
        box["seconds"] = time.perf_counter() - start
    t = threading.Thread(target=run)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), "the call did not return"
    if "error" in box:
        raise box["error"]
    return box["value"], box["seconds"]


def pathological_submission():
    """1,999 distinct adjoint lines of 15 σ terms each (csc321-reg-logistic), one chain `w_bar = …`,
    `= …` (every link judged; repeated `w_bar =` lines would be corrections, only the last one
    judged): tens of seconds of honest work, for the per-student time limit."""
    def line(i):
        return (("w_bar = " if i == 0 else "      = ") + f"z_bar*x*{i} + R_bar*w + "
                + "+".join(f"sigma({k}*z + {i})" for k in range(1, 16)) + "\n")
    return "# part: adjoints\n" + "".join(line(i) for i in range(1999))


IDLE_REFERENCE = 0.012      # seconds for `_reference()` on an idle core of the 2-core CI machine
MARGIN = 2.0


def _reference():
    start = time.perf_counter()
    sum(i * i for i in range(200_000))
    return time.perf_counter() - start


def slowdown():
    """How many times slower than idle this machine runs pure Python right now (at least 1).

    Time limits in the tests guard against blow-ups (a quadratic reader, a diagnosis without a
    budget); they are stated for an idle machine and multiplied by this and by MARGIN, so a loaded
    CI machine does not fail them. Speed itself is measured in bench/, never here."""
    return max(1.0, min(_reference() for _ in range(3)) / IDLE_REFERENCE)


@contextlib.contextmanager
def within(seconds):
    """Fail when the block takes longer than `seconds` on an idle machine (see `slowdown`)."""
    before = slowdown()
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    limit = seconds * MARGIN * max(before, slowdown())
    assert elapsed < limit, f"took {elapsed:.2f} s; the budget here and now is {limit:.2f} s"


_recent = [float("-inf"), 1.0]      # when slowdown() was last measured for budget(), and its value


def budget(seconds):
    """`seconds` on an idle machine as a limit here and now (for times measured elsewhere); the
    slowdown is measured again at most once a second, so checking many examples stays cheap."""
    now = time.monotonic()
    if now - _recent[0] > 1.0:
        _recent[:] = [now, slowdown()]
    return seconds * MARGIN * _recent[1]


# --- the judging rule, checked on every verdict any test makes (a meta-test over every corpus) --

_NO_COUNTEREXAMPLE = {"parse_error", "wrong_shape"}


def _finite(x):
    if isinstance(x, list):
        return bool(x) and all(_finite(y) for y in x)
    if isinstance(x, str):          # a number beyond the float range, written out
        return bool(re.fullmatch(r"-?[0-9.]+e[+-]?[0-9]+", x))
    return isinstance(x, (int, float)) and math.isfinite(x)


def judging_rule_broken(v):
    """Why a Verdict breaks the judging rule (docs/rules.md), or None: an `incorrect` judged on evidence
    needs a counterexample where the claim has a finite value (parse_error and wrong_shape
    items carry none); a named kind needs its repair."""
    if v.verdict != "incorrect" or not (v.evidence or {}).get("numeric"):
        return None
    kind = (v.diagnosis or {}).get("kind")
    if kind in _NO_COUNTEREXAMPLE:
        return None
    c = v.counterexample
    if v.evidence["numeric"].get("max_rel_error") is None and (c is None or c.get("got") is None):
        return None                 # a matrix claim whose shapes do not fit: no value as written
    if c is None or not _finite(c.get("got")) or not _finite(c.get("expected")):
        return f"{v.target}: incorrect without a finite counterexample ({kind}): {c}"
    if kind not in (None, "other") and not (v.diagnosis.get("fix") or {}).get("text"):
        return f"{v.target}: kind {kind} without a repair"
    return None


@pytest.fixture(autouse=True)
def _judging_rule(monkeypatch):
    from check import verdict as _verdict
    broken, real = [], _verdict.Verdict.__post_init__

    def checked(self):
        real(self)
        why = judging_rule_broken(self)
        if why:
            broken.append(why)
    monkeypatch.setattr(_verdict.Verdict, "__post_init__", checked)
    yield
    assert not broken, broken
