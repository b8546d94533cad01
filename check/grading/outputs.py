"""The files a grading run writes: results.json, the CSV, Gradescope's results.json."""
import csv
import io
import json
import os

from ..i18n import _





def to_json(doc):
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def to_csv(doc):
    buf = io.StringIO()
    _csv(doc["students"], buf)
    return buf.getvalue()


def _csv(students, f):
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["student", "part", "score", "max_score", "verdict", "diagnosis"])
    for s in students:
        for p in s["parts"]:
            if p["verdict"] == "error":
                diag = "error"
            else:
                diag = ";".join(sorted({it["diagnosis"]["kind"] for it in p["items"]
                                        if it["verdict"] == "incorrect" and it.get("diagnosis")}))
            w.writerow([s["student"], p["part"], f"{p['score']:g}", f"{p['max_score']:g}", p["verdict"], diag])


def gradescope(student, exercise):
    """Gradescope's autograder results.json for one student."""
    tests = []
    for p, part in zip(student["parts"], exercise.parts):
        name = f"{part.id} ({part.kind})" + (f": {part.prompt}" if part.prompt else "")
        tests.append({"name": name, "score": p["score"], "max_score": p["max_score"],
                      "status": "passed" if p["score"] >= p["max_score"] - 1e-9 else "failed",
                      "output": p["feedback"]})
    head = exercise.title + "\n" + _("score: {score}/{total}").format(score=f"{student['score']:g}",
                                                                     total=f"{student['max_score']:g}")
    if student["error"]:
        head += "\n" + _("error: {message}").format(message=student["error"])
    if student["needs_review"]:
        head += "\n" + _("needs review by a person: {items}").format(items="; ".join(student["needs_review"]))
    return {"score": student["score"], "output": head, "tests": tests}


def write_outputs(doc, exercise, single, out=None, csv_path=None, gradescope_path=None):
    """Write --out, --csv and --gradescope files (UTF-8, LF)."""
    if out:
        _write(out, to_json(doc))
    if csv_path:
        _write(csv_path, to_csv(doc))
    if gradescope_path:
        if single:
            (s,) = doc["students"]
            _write(gradescope_path, to_json(gradescope(s, exercise)))
        else:
            for s in doc["students"]:
                _write(os.path.join(gradescope_path, s["student"], "results.json"), to_json(gradescope(s, exercise)))


def write_batch(batch, exercise, single, out=None, csv_path=None, gradescope_path=None):
    """write_outputs for a Batch (grading.grade_batch), the same bytes, one student in memory at
    a time: results.json is written around the students' own texts."""
    if out:
        with _open(out) as f:
            stream_json(batch, f)
    if csv_path:
        with _open(csv_path) as f:
            _csv(batch.students(), f)
    if gradescope_path:
        if single:
            (s,) = batch.students()
            _write(gradescope_path, to_json(gradescope(s, exercise)))
        else:
            for s in batch.students():
                _write(os.path.join(gradescope_path, s["student"], "results.json"), to_json(gradescope(s, exercise)))


_STUDENTS = '"students": []'


def stream_json(batch, f):
    """to_json of the batch's document: its skeleton with an empty list of students, the list
    filled in with each student's text shifted to its depth (strings hold no raw newline)."""
    skeleton = to_json({"exercise": batch.exercise, "seed": batch.seed, "students": [], "summary": batch.summary})
    head, tail = skeleton.split(_STUDENTS, 1)
    if not batch.names:
        f.write(skeleton)
        return
    f.write(head + '"students": [')
    for k, name in enumerate(batch.names):
        f.write(("," if k else "") + "\n    " + batch.spill.text(name).replace("\n", "\n    "))
    f.write("\n  ]" + tail)


def _open(path):
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    return open(path, "w", encoding="utf-8", newline="\n")


def _write(path, text):
    with _open(path) as f:
        f.write(text)
