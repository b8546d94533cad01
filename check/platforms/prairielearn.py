"""PrairieLearn: a question folder with an external grader, and the grader itself.

The folder holds info.json (external grading on, the image, the entry point, a timeout),
question.html (the exercise, a file editor and an upload for the derivation), tests/run_grader
(the entry point PrairieLearn runs in the grader image; tests/ is mounted at /grade/tests),
and a Dockerfile with barprop's wheel beside it for that image. The grader reads
$PL_ROOT/grade/data/data.json and the student's files in $PL_ROOT/grade/student/ and writes
$PL_ROOT/grade/results/results.json: gradable, score in [0, 1], message, output, format_errors,
tests[] (name, points, max_points, message, output). A submission that cannot be read at all is
`gradable: false` with the reason in format_errors (PrairieLearn does not count the attempt).
"""
import argparse
import base64
import binascii
import html
import json
import os
import shlex
import shutil
import sys
import tempfile
import uuid

from . import bundle

ROOT_VAR, DEFAULT_ROOT = "PL_ROOT", "/"
ENTRY = "tests/run_grader"
TIMEOUT = 60
MAX_DATA = 5_000_000
EDITOR_FILE = "derivation.md"
UPLOADS = "*.md,*.tex,*.txt"

RUN = """#!/usr/bin/env bash
# PrairieLearn runs this in the grader image: barprop grades $PL_ROOT/grade/student/ as one
# student and writes $PL_ROOT/grade/results/results.json. If barprop itself cannot run, it writes
# a result that says so (score 0), so the student never sees a silent failure.
ROOT="${PL_ROOT:-/}"
export PL_ROOT="$ROOT"
PY="${BARPROP_PYTHON:-python3}"
"""

DOCKERFILE = """# The grader image for this question: Python with barprop {version} installed from the wheel
# beside this file. Build and push it under a name of yours, and put that name in info.json:
#   docker build -t YOU/barprop-grader:{version} . && docker push YOU/barprop-grader:{version}
FROM python:3.11-slim
COPY {wheel} /tmp/{wheel}
RUN pip install --no-cache-dir /tmp/{wheel} && rm /tmp/{wheel}
RUN python3 -c "import check, derive, exercises"
"""

FALLBACK = {"gradable": True, "score": 0.0, "message": "barprop could not grade this submission: the grader "
            "itself failed, not your work. Please tell your course staff.", "output": "",
            "format_errors": [], "tests": []}


def write_question(exercise, out, image=None, seed=0):
    """The question folder for `exercise` (an id or a TOML path) at `out`; returns `out`."""
    from ..grading import load_exercise
    ex = load_exercise(exercise)
    os.makedirs(os.path.join(out, "tests"), exist_ok=True)
    kind, ref = bundle.copy_exercise(exercise, os.path.join(out, "tests", "exercise"))
    arg = shlex.quote(ref) if kind == "id" else '"$ROOT/grade/tests/exercise/"' + shlex.quote(ref)
    wheel = os.path.basename(bundle.write_wheel(out))
    image = image or f"barprop-grader:{bundle.version()}"
    info = {"uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"barprop:exercise:{ex.id}")),
            "title": ex.title, "topic": "Backpropagation", "tags": ["barprop", ex.id], "type": "v3",
            "singleVariant": True, "gradingMethod": "External",
            "externalGradingOptions": {"enabled": True, "image": image, "entrypoint": "/grade/" + ENTRY,
                                       "timeout": TIMEOUT}}
    _write(os.path.join(out, "info.json"), json.dumps(info, indent=2, ensure_ascii=False) + "\n")
    _write(os.path.join(out, "question.html"), question_html(ex))
    _write(os.path.join(out, ENTRY), bundle.grader_script(RUN, "prairielearn", "$ROOT/grade/results", arg, seed,
                                                          FALLBACK), 0o755)
    _write(os.path.join(out, "Dockerfile"), DOCKERFILE.format(version=bundle.version(), wheel=wheel))
    return out


def question_html(ex):
    """The exercise, its spec and parts, an editor and an upload for the derivation."""
    e = html.escape
    parts = "\n".join(f"    <li><code># part: {e(p.id)}</code> ({p.points:g} point{'' if p.points == 1 else 's'})"
                      + (f": {e(p.prompt)}" if p.prompt else "") + "</li>" for p in ex.parts)
    conventions = (f"  <p>Conventions:</p>\n  <pre>{e(ex.conventions.strip())}</pre>\n"
                   if ex.conventions.strip() else "")
    return f"""<pl-question-panel>
  <h4>{e(ex.title)}</h4>
  <p>The forward computation:</p>
  <pre>{e(ex.spec.strip())}</pre>
{conventions}  <p>Answer each part, starting it with its line <code># part: ID</code>:</p>
  <ul>
{parts}
  </ul>
  <p>Write in plain text (<code>w_bar = z_bar*x + R_bar*w</code>), LaTeX or Markdown, in the
  editor or in files you upload; everything you hand in is graded together.</p>
  <pl-file-editor file-name="{EDITOR_FILE}" ace-mode="ace/mode/markdown"></pl-file-editor>
  <pl-file-upload optional-file-patterns="{UPLOADS}"></pl-file-upload>
</pl-question-panel>

<pl-submission-panel>
  <pl-external-grader-results></pl-external-grader-results>
  <pl-file-preview></pl-file-preview>
</pl-submission-panel>
"""


def _write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.chmod(path, mode)


def results(student, exercise, notes=()):
    """PrairieLearn's results.json document for one student's result."""
    tests = [{"name": f"{part.id} ({part.kind})", "points": p["score"], "max_points": p["max_score"],
              "message": part.prompt, "output": p["feedback"]} for p, part in zip(student["parts"], exercise.parts)]
    total = student["max_score"] or 1.0
    head = f"{exercise.title}: {student['score']:g}/{student['max_score']:g}"
    if student["needs_review"]:
        head += "; needs review by a person: " + "; ".join(student["needs_review"])
    errors = [student["error"]] if student["error"] else []
    output = "\n\n".join([p["feedback"] for p in student["parts"]] + (["\n".join(notes)] if notes else []))
    return {"gradable": not errors, "score": min(max(student["score"] / total, 0.0), 1.0),
            "message": head + ("\n" + errors[0] if errors else ""), "output": output,
            "format_errors": errors, "tests": tests}


def _student_folder(root, tmp):
    """$root/grade/student/, or (when PrairieLearn left it empty) the files of data.json's
    submitted_answers._files, decoded into `tmp`."""
    folder = os.path.join(root, "grade", "student")
    if os.path.isdir(folder) and any(True for _ in os.scandir(folder)):
        return folder
    data = _data(root)
    files = ((data.get("submitted_answers") or {}).get("_files") or []) if isinstance(data, dict) else []
    for f in files if isinstance(files, list) else []:
        name = os.path.basename(str(f.get("name", ""))) if isinstance(f, dict) else ""
        if not name or name.startswith("."):
            continue
        try:
            raw = base64.b64decode(str(f.get("contents", "")), validate=True)
        except (binascii.Error, ValueError):
            continue
        with open(os.path.join(tmp, name), "wb") as fh:
            fh.write(raw)
    return tmp


def _data(root):
    """data.json as PrairieLearn wrote it ({} when it is missing or not JSON)."""
    path = os.path.join(root, "grade", "data", "data.json")
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_DATA + 1)
        return json.loads(raw) if len(raw) <= MAX_DATA else {}
    except (OSError, ValueError):
        return {}


def run(exercise, seed=0, root=None):
    """Grade $root/grade/student/ into $root/grade/results/results.json; returns the document."""
    root = root or os.environ.get(ROOT_VAR) or DEFAULT_ROOT
    tmp = tempfile.mkdtemp(prefix="barprop-pl-")
    try:
        from .student import platform_document
        doc = platform_document(exercise, lambda: _student_folder(root, tmp), seed, results, FALLBACK)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    bundle.write_results(os.path.join(root, "grade", "results"), doc)
    print(doc["message"])
    return doc


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m check.platforms.prairielearn",
                                description="Grade $PL_ROOT/grade/student/ (run by tests/run_grader).")
    p.add_argument("--exercise", required=True, help="an exercise id or a path to its TOML")
    p.add_argument("--seed", type=int, default=0, help="seed of the random points")
    a = p.parse_args(argv)
    run(a.exercise, a.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
