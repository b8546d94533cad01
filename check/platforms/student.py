"""One student's hand-in as a folder of files (how the platforms deliver it), graded as one.

A platform copies whatever the student uploaded into a folder. One regular file is graded
exactly as `barprop grade FILE` grades it. Several files are graded together: each file's math
is read as `grade` reads it (`extract_math`: what is not math blanked, every fence and
delimiter it opens closed), and the pieces are joined into one submission, a blank line apart: first the files without `# part:` lines (their lines are dispatched by
what they are), then the others, each group in file name order. Symlinks, hidden files, special files and folders such as
`__MACOSX` are never read; they are listed in the feedback as skipped.
"""
import os
import sys
import tempfile
from dataclasses import dataclass

from derive.errors import ParseError
from derive.files import read_text

from ..grading import grade, load_exercise
from ..grading.parts import MAX_BYTES, _failed_part, _r
from ..read.documents import MARKER, extract_math

MAX_FILES = 20
IGNORED_DIRS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints"}


@dataclass(frozen=True)
class HandIn:
    """The files found in a submission folder (paths relative to it) and what was skipped."""
    files: tuple
    skipped: tuple


def find_files(folder):
    """The regular files under `folder` (sorted, relative, at most MAX_FILES), and the rest."""
    files, skipped = [], []
    if not os.path.isdir(folder) or os.path.islink(folder):
        return HandIn((), ())
    for top, dirs, names in os.walk(folder, followlinks=False):
        rel_top = os.path.relpath(top, folder)
        keep = []
        for d in sorted(dirs):
            path = os.path.join(top, d)
            if d in IGNORED_DIRS or d.startswith(".") or os.path.islink(path):
                skipped.append(_rel(rel_top, d) + "/")
            else:
                keep.append(d)
        dirs[:] = keep
        for n in sorted(names):
            path, rel = os.path.join(top, n), _rel(rel_top, n)
            if n.startswith(".") or os.path.islink(path) or not os.path.isfile(path):
                skipped.append(rel)
            else:
                files.append(rel)
    files.sort()
    if len(files) > MAX_FILES:
        skipped += [f"{f} (more than {MAX_FILES} files)" for f in files[MAX_FILES:]]
        files = files[:MAX_FILES]
    return HandIn(tuple(files), tuple(sorted(skipped)))


def _rel(top, name):
    return name if top == "." else os.path.join(top, name)


def grade_folder(exercise, folder, seed=0):
    """(student result as in results.json, notes for the student): the folder graded as one."""
    ex = load_exercise(exercise)
    found = find_files(folder)
    notes = [f"not read: {s}" for s in found.skipped[:MAX_FILES]]
    if len(found.skipped) > MAX_FILES:
        notes.append(f"not read: {len(found.skipped) - MAX_FILES} more")
    if not found.files:
        return _nothing(ex, "empty submission: no file was handed in"), notes
    if len(found.files) == 1:
        doc = grade(ex, os.path.join(folder, found.files[0]), seed=seed)
        return doc["students"][0], notes
    text, where, problems = _joined(folder, found.files)
    notes += problems
    if not where:
        return _nothing(ex, problems[0] if problems else "empty submission: every file is empty"), notes
    with tempfile.TemporaryDirectory(prefix="barprop-") as tmp:
        path = os.path.join(tmp, "submission.md")
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        student = grade(ex, path, seed=seed)["students"][0]
    notes.append("your files were graded together as submission.md: "
                 + "; ".join(f"{name} at lines {a}-{b}" for name, a, b in where))
    return student, notes


def platform_document(exercise, folder, seed, results, fallback):
    """`results(student, exercise, notes)` for the hand-in in `folder()`; `fallback` (a 0 that
    says barprop failed, the reason on stderr for staff) when grading fails: a platform's job
    never fails."""
    try:
        ex = load_exercise(exercise)
        student, notes = grade_folder(ex, folder(), seed)
        return results(student, ex, notes)
    except Exception as e:
        print(f"barprop: internal error: {type(e).__name__}: {e}", file=sys.stderr)
        return dict(fallback)


def _joined(folder, files):
    """The math of every file in a fence of its own; (file, first line, last line) of each;
    the files that could not be read, with the reason. Files with no `# part:` line come first,
    so their lines are dispatched by what they are, not taken by another file's last part."""
    pieces, problems = [], []
    for name in files:
        try:
            raw = read_text(os.path.join(folder, name), MAX_BYTES, "submission", name)
        except ParseError as e:
            problems.append(f"not read: {name}:{e.line}:{e.col}: {e.message}")
            continue
        body = extract_math(raw, name).strip("\n")
        if body.strip():
            lines = body.split("\n")
            pieces.append((any(MARKER.match(l) for l in lines), name, lines))
    rows, where = [], []
    for _, name, lines in sorted(pieces, key=lambda p: p[0]):
        where.append((name, len(rows) + 1, len(rows) + len(lines)))
        rows += lines
        rows.append("")             # a view closes all it opens: a blank line keeps files apart
    return "\n".join(rows) + "\n", where, problems


def _nothing(ex, message):
    return {"student": "submission", "score": 0.0, "max_score": _r(ex.max_score), "error": message,
            "needs_review": [], "parts": [_failed_part(p, message) for p in ex.parts]}
