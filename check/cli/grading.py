"""The `grade` and `exercises` commands."""
import os
import sys

from derive.errors import ParseError

import exercises as _exercises
from exercises import ExerciseNotFound

from ..i18n import _, language
from .usage import UsageError
from ..grading import GradeError, grade_batch, load_exercise
from ..grading.collect import collect
from ..grading.outputs import stream_json, write_batch


def _usage(msg):
    return UsageError(msg)


def summary_text(doc):
    return "".join(summary_lines(doc["students"], [s["student"] for s in doc["students"]], doc["summary"]))


def summary_lines(students, names, sm):
    """summary_text line by line, for students read back one at a time."""
    width = max([len(n) for n in names] + [7])
    for s in students:
        line = f"{s['student']:<{width}}  {s['score']:g}/{s['max_score']:g}"
        if s["error"]:
            line += "  " + _("error: {message}").format(message=s["error"])
        elif s["needs_review"]:
            line += "  " + _("needs review: {items}").format(items="; ".join(s["needs_review"]))
        yield line + "\n"
    rows = [_("graded {n}").format(n=sm['graded'])
                + (_(", mean {mean}").format(mean=f"{sm['mean_score']:g}") if sm["mean_score"] is not None else "")
                + (_(", skipped: {names}").format(names=", ".join(sm["skipped"])) if sm["skipped"] else "")]
    if sm["common_mistakes"]:
        rows.append(_("common mistakes: {kinds}").format(
            kinds=", ".join(f"{k} {v}" for k, v in sm["common_mistakes"].items())))
    yield "\n".join(rows) + "\n"


def grade_command(a, out):
    try:
        ex = load_exercise(a.exercise)
    except GradeError as e:
        raise ParseError(str(e), 1, 1, "--exercise") from None
    with language(a.lang or ex.lang or "en"):
        return _grade_command(a, out, ex)


def _grade_command(a, out, ex):
    try:
        files, _, single = collect(a.submissions)
        if a.gradescope and single and os.path.isdir(a.gradescope):
            raise GradeError(f"--gradescope {a.gradescope} is a folder; for one submission give a file path")
        progress = _progress_bar(len(files)) if sys.stderr.isatty() and files else None
        try:
            batch = grade_batch(ex, a.submissions, seed=a.seed, jobs=a.jobs, feedback=a.feedback, lang=a.lang,
                                progress=progress.step if progress else None)
        finally:
            if progress:
                progress.close()
        try:
            _write_batch(a, out, ex, batch, single, files)
        finally:
            batch.spill.close()
    except GradeError as e:
        raise _usage(str(e)) from None
    except OSError as e:
        raise _usage(f"cannot write {e.filename}: {e.strerror}") from None
    return 0


def _write_batch(a, out, ex, batch, single, files):
    if a.out == "-":
        stream_json(batch, out)
    write_batch(batch, ex, single, None if a.out == "-" else a.out, a.csv, a.gradescope)
    if getattr(a, "report", None):
        from ..grading.report import write_report
        write_report(batch.doc(), a.report, ex.title, files)
    if a.out != "-":
        for line in summary_lines(batch.students(), batch.names, batch.summary):
            out.write(line)


class _progress_bar:
    def __init__(self, total):
        from rich.progress import Progress
        from rich.console import Console
        self.p = Progress(console=Console(file=sys.stderr), transient=True)
        self.p.start()
        self.task = self.p.add_task("grading", total=total)

    def step(self, name):
        self.p.update(self.task, advance=1, description=name[:30])

    def close(self):
        self.p.stop()


def exercises_command(a, out):
    if a.action == "list":
        ids = _exercises.list_ids()
        width = max([len(i) for i in ids] + [2])
        for i in ids:
            out.write(f"{i:<{width}}  {_exercises.load(i).title}\n")
        return 0
    if a.action == "show":
        try:
            ex = _exercises.load(a.id)
        except ExerciseNotFound as e:
            raise _usage(str(e)) from None
        out.write(show_sheet(ex, getattr(a, "format", "text"), getattr(a, "solution", False),
                             getattr(a, "lang", None) or getattr(ex, "lang", None) or "en"))
        return 0
    try:
        ex = _exercises.load(a.path)
    except ExerciseNotFound as e:
        raise _usage(str(e)) from None
    from ..grading.validate import report, unreadable_formulas
    out.write("\n".join(report(ex)) + "\n")
    return 1 if unreadable_formulas(ex) else 0


def show_sheet(ex, fmt="text", solution=False, lang="en"):
    """`exercises show`: the plain listing, or the sheet in LaTeX or Markdown (with the solution)."""
    if fmt == "text":
        if not solution:
            return show_text(ex)
        g = ex.graph
        return show_text(ex) + "\nsolution:\n" + g.backprop().to_text(point=dict(g.at) or None, expand=True)
    from exercises.sheet import sheet_latex, sheet_markdown
    return (sheet_latex if fmt == "latex" else sheet_markdown)(ex, solution=solution, lang=lang)


def show_text(ex):
    rows = [f"{ex.id}: {ex.title}", ""]
    rows.append("spec" + (f" ({ex.spec_file})" if ex.spec_file else "") + ":")
    rows += ["  " + l for l in ex.spec.strip("\n").split("\n")]
    if ex.conventions.strip():
        rows += ["", "conventions:"] + ["  " + l for l in ex.conventions.strip().split("\n")]
    rows += ["", f"parts ({ex.max_score:g} points):"]
    for p in ex.parts:
        what = {"adjoints": "adjoint equations", "claim": f"gradient with respect to {p.wrt}",
                "steps": "derivation" + (f" of the gradient with respect to {p.wrt}" if p.wrt else "")}[p.kind]
        rows.append(f"  # part: {p.id}  ({p.points:g} point{'' if p.points == 1 else 's'}; {what})")
        if p.prompt:
            rows.append(f"    {p.prompt}")
    return "\n".join(rows) + "\n"
