"""Gradescope: the autograder zip, and the grader that `run_autograder` calls in the container.

Gradescope unpacks the zip into /autograder/source, runs `setup.sh` once when it builds the
image, and `run_autograder` once per submission with the student's files in
/autograder/submission; whatever the student should see goes into
/autograder/results/results.json (score, output, tests[] with name, score, max_score, status,
output, visibility). `AUTOGRADER_ROOT` moves /autograder (tests run the real scripts in a
temporary tree). The grader always writes results.json: a broken, empty or hostile submission
scores 0 with the reason, and if barprop itself fails, `run_autograder` writes a 0 that says so.
"""
import argparse
import os
import shlex
import sys
import tempfile
import zipfile

from . import bundle

ROOT_VAR, DEFAULT_ROOT = "AUTOGRADER_ROOT", "/autograder"
VENV = "barprop-venv"

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image: it installs barprop
# {version} (the wheel in this zip) and its dependencies into a virtual environment.
set -euo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
HERE="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null || ! python3 -c 'import ensurepip' 2>/dev/null; then
    apt-get install -y --no-install-recommends python3 python3-venv python3-pip
fi
python3 -c 'import sys; assert sys.version_info >= (3, 10), "barprop needs Python 3.10 or newer"'
python3 -m venv "$ROOT/{venv}"
"$ROOT/{venv}/bin/python" -m pip install --upgrade pip
"$ROOT/{venv}/bin/python" -m pip install "$HERE/{wheel}"
"$ROOT/{venv}/bin/python" -m check.platforms.gradescope --exercise {exercise} --check
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this once per submission: barprop grades every file in $ROOT/submission/ as
# one student and writes $ROOT/results/results.json. It never fails the autograder: if barprop
# itself cannot run, the student gets a 0 that says so (and the reason is in stdout for staff).
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
export AUTOGRADER_ROOT="$ROOT"
PY="${{BARPROP_PYTHON:-}}"
if [ -z "$PY" ]; then
    if [ -x "$ROOT/{venv}/bin/python" ]; then PY="$ROOT/{venv}/bin/python"; else PY=python3; fi
fi
"""

FALLBACK = {"score": 0.0, "output": "barprop could not grade this submission: the autograder itself failed, "
            "not your work. Please tell your course staff.", "tests": []}


def write_zip(exercise, out, seed=0):
    """The autograder zip for `exercise` (an id or a TOML path) at `out`."""
    with tempfile.TemporaryDirectory(prefix="barprop-gs-") as tmp:
        kind, ref = bundle.copy_exercise(exercise, os.path.join(tmp, "exercise"))
        arg = shlex.quote(ref) if kind == "id" else '"$ROOT/source/exercise/"' + shlex.quote(ref)
        check = shlex.quote(ref) if kind == "id" else '"$HERE/exercise/"' + shlex.quote(ref)
        wheel = bundle.write_wheel(tmp)
        setup = SETUP.format(version=bundle.version(), venv=VENV, wheel=os.path.basename(wheel), exercise=check)
        run = bundle.grader_script(RUN.format(venv=VENV), "gradescope", "$ROOT/results", arg, seed, FALLBACK)
        files = [("setup.sh", setup.encode(), 0o755), ("run_autograder", run.encode(), 0o755)]
        for top, _, names in sorted(os.walk(tmp)):
            for n in sorted(names):
                path = os.path.join(top, n)
                with open(path, "rb") as f:
                    files.append((os.path.relpath(path, tmp).replace(os.sep, "/"), f.read(), 0o644))
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data, mode in files:
                bundle.add(z, name, data, mode)
    return out


def results(student, exercise, notes=()):
    """Gradescope's results.json document for one student's result."""
    from ..grading.outputs import gradescope
    doc = gradescope(student, exercise)
    for t in doc["tests"]:
        t["visibility"] = "visible"
    if notes:
        doc["output"] += "\n" + "\n".join(notes)
    doc["visibility"] = "visible"
    return doc


def run(exercise, seed=0, root=None):
    """Grade $root/submission/ into $root/results/results.json; returns the document."""
    root = root or os.environ.get(ROOT_VAR) or DEFAULT_ROOT
    from .student import platform_document
    doc = platform_document(exercise, lambda: os.path.join(root, "submission"), seed, results, FALLBACK)
    bundle.write_results(os.path.join(root, "results"), doc)
    print(doc["output"])
    return doc


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m check.platforms.gradescope",
                                description="Grade $AUTOGRADER_ROOT/submission/ (run by run_autograder).")
    p.add_argument("--exercise", required=True, help="an exercise id or a path to its TOML")
    p.add_argument("--seed", type=int, default=0, help="seed of the random points")
    p.add_argument("--check", action="store_true", help="only check that the exercise loads (setup.sh)")
    a = p.parse_args(argv)
    if a.check:
        from ..grading import load_exercise
        print(f"barprop {bundle.version()}: exercise {load_exercise(a.exercise).id} loads")
        return 0
    run(a.exercise, a.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
