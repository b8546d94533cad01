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
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "part", "score", "max_score", "verdict", "diagnosis"])
    for s in doc["students"]:
        for p in s["parts"]:
            if p["verdict"] == "error":
                diag = "error"
            else:
                diag = ";".join(sorted({it["diagnosis"]["kind"] for it in p["items"]
                                        if it["verdict"] == "incorrect" and it.get("diagnosis")}))
            w.writerow([s["student"], p["part"], f"{p['score']:g}", f"{p['max_score']:g}", p["verdict"], diag])
    return buf.getvalue()


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


def _write(path, text):
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
