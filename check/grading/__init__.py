"""Grading a batch of submissions against an exercise: `grade()` gives the results.json document
(parts.py judges one student, workers.py runs them, outputs.py writes the files); `grade_batch()`
gives the same students kept on disk (spill.py), for a semester that should not live in memory."""
from dataclasses import dataclass

import exercises as _exercises
from exercises import ExerciseNotFound

from ..evidence import truth_for
from ..i18n import current, language
from .collect import GradeError, collect
from .parts import DEADLINE, _r
from .spill import Spill
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
        files, skipped = _files(paths, jobs, feedback)
        results = {}
        _run(ex, files, seed, jobs, feedback, progress, results.__setitem__, False)
        students = [results[name][0] for name, _ in files]
        summary = _summary([s["score"] for s in students], [results[name][1] for name, _ in files], skipped)
        return {"exercise": ex.id, "seed": seed, "students": students, "summary": summary}


@dataclass(frozen=True)
class Batch:
    """A graded batch whose students are on disk: `student(name)` / `text(name)` read one back."""
    exercise: str
    seed: int
    names: tuple            # students in results.json order (by file name)
    summary: dict
    spill: Spill

    def students(self):
        return (self.spill.student(n) for n in self.names)

    def doc(self):
        """The whole results.json document in memory (for the class report)."""
        return {"exercise": self.exercise, "seed": self.seed, "students": list(self.students()),
                "summary": self.summary}


def grade_batch(exercise, paths, seed=0, jobs=1, feedback="full", progress=None, lang=None):
    """grade() with the students streamed to a spill file as they are graded: memory does not
    grow with the batch. The caller closes `batch.spill`."""
    ex = load_exercise(exercise)
    with language(lang or ex.lang or "en"):
        files, skipped = _files(paths, jobs, feedback)
        spill = Spill()
        _run(ex, files, seed, jobs, feedback, progress,
             lambda name, r: spill.add(name, r[0], r[1], r[2]), True)
        names = tuple(name for name, _ in files)
        summary = _summary([spill.scores[n] for n in names], [spill.kinds[n] for n in names], skipped)
        return Batch(ex.id, seed, names, summary, spill)


def _files(paths, jobs, feedback):
    if feedback not in ("full", "minimal"):
        raise GradeError(f"feedback must be 'full' or 'minimal', not {feedback!r}")
    if not isinstance(jobs, int) or jobs < 1:
        raise GradeError(f"jobs must be a positive integer, not {jobs!r}")
    files, skipped, _ = collect(paths)
    return files, skipped


def _run(ex, files, seed, jobs, feedback, progress, emit, text):
    """Every student of `files` graded, `emit(student, result)` called as each one finishes."""
    jobs = min(jobs, len(files)) or 1
    _warm(ex, seed)
    work = [(ex, name, path, seed, feedback, current(), text) for name, path in files]
    if jobs == 1 and _alarm_works():
        for w in work:
            emit(w[1], _work(w))
            if progress:
                progress(w[1])
    else:                # off the main thread even one job goes to a worker, for the time limit
        _in_workers(ex, work, jobs, progress, emit)


def _summary(scores, kinds_per_student, skipped):
    kinds = {}
    for ks in kinds_per_student:
        for k in ks:
            kinds[k] = kinds.get(k, 0) + 1
    return {"graded": len(scores), "skipped": skipped,
            "mean_score": _r(sum(scores) / len(scores)) if scores else None,
            "common_mistakes": dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))}


def _warm(ex, seed):
    """What judging any answer computes about the exercise itself -- the true values at the
    points, finite differences of every name, the diagnosis' probe and simple points -- computed
    once here, before workers fork and inherit it, instead of once per worker."""
    try:
        from ..backends import backend
        from ..backends.scalar import PROBE_SEED
        b = backend(ex.graph, seed, DEADLINE, "plain")
    except Exception:
        return
    truth = b.truth
    for name in b.derivation.by_name:
        for i in range(len(truth.points)):
            _quietly(truth.fd_error, i, name)
    if hasattr(truth, "simple"):
        _quietly(truth_for, ex.graph, PROBE_SEED)
        for i in range(len(_quietly(truth.simple) or ())):
            for name in b.derivation.by_name:
                _quietly(truth.simple_fd, i, name)


def _quietly(fn, *args):
    try:
        return fn(*args)
    except Exception:
        return None
