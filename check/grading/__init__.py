"""Grading a batch of submissions against an exercise: `grade()` gives the results.json document
(parts.py judges one student, workers.py runs them, outputs.py writes the files)."""
import exercises as _exercises
from exercises import ExerciseNotFound

from ..evidence import truth_for
from ..i18n import current, language
from .collect import GradeError, collect
from .parts import _r
from .workers import _alarm_works, _in_workers, _work


def load_exercise(exercise):
    """An Exercise; GradeError for an unknown id, ParseError for a bad file."""
    try:
        return _exercises.load(exercise)
    except ExerciseNotFound as e:
        raise GradeError(str(e)) from None


def grade(exercise, paths, seed=0, jobs=1, feedback="full", progress=None, lang=None):
    """The results.json document (a dict) for `paths` (a folder, a file, or a list of them);
    feedback in `lang`, else the exercise's `lang`, else English."""
    ex = load_exercise(exercise)
    with language(lang or ex.lang or "en"):
        return _grade(ex, paths, seed, jobs, feedback, progress)


def _grade(ex, paths, seed, jobs, feedback, progress):
    if feedback not in ("full", "minimal"):
        raise GradeError(f"feedback must be 'full' or 'minimal', not {feedback!r}")
    if not isinstance(jobs, int) or jobs < 1:
        raise GradeError(f"jobs must be a positive integer, not {jobs!r}")
    files, skipped, _ = collect(paths)
    jobs = min(jobs, len(files)) or 1
    _warm(ex, seed)
    work = [(ex, name, path, seed, feedback, current()) for name, path in files]
    if jobs == 1 and _alarm_works():
        results = {}
        for w in work:
            results[w[1]] = _work(w)
            if progress:
                progress(w[1])
    else:                # off the main thread even one job goes to a worker, for the time limit
        results = _in_workers(ex, work, jobs, progress)
    students, kinds = [], {}
    for name, _ in files:
        res, ks = results[name]
        students.append(res)
        for k in ks:
            kinds[k] = kinds.get(k, 0) + 1
    scores = [s["score"] for s in students]
    summary = {"graded": len(students), "skipped": skipped,
               "mean_score": _r(sum(scores) / len(scores)) if scores else None,
               "common_mistakes": dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))}
    return {"exercise": ex.id, "seed": seed, "students": students, "summary": summary}


def _warm(ex, seed):
    """Truth values computed once in the parent, inherited by forked workers."""
    try:
        truth_for(ex.graph, seed)
    except Exception:
        pass
