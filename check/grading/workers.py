"""Students graded under a wall-clock limit each, in forked worker processes with a memory cap;
a worker that dies costs only the student whose submission killed it."""
from concurrent.futures import as_completed


import exercises as _exercises

from .. import isolation
from ..i18n import language
from .parts import _failed_part, _r, grade_student


STUDENT_SECONDS = 30
WORKER_MEMORY = 4 << 30


class StudentTimeout(BaseException):
    """Not an Exception: the nets that keep an engine bug from stopping a batch must not catch
    it, or the rest of the student's parts would run with no time limit at all."""


_alarm_works = isolation.alarm_works


def _work(args):
    exercise, name, path, seed, feedback, lang = args
    try:
        with isolation.time_limit(STUDENT_SECONDS, StudentTimeout), language(lang):
            return grade_student(exercise, name, path, seed, feedback)
    except StudentTimeout:
        return _unfinished(exercise, name, f"{name}: grading took longer than {STUDENT_SECONDS} s",
                           "time limit")
    except MemoryError:
        return _unfinished(exercise, name, f"{name}: grading ran out of memory", "memory limit")
    except Exception as e:       # never lose a student to an engine bug
        return _unfinished(exercise, name, f"{name}: internal error while grading ({type(e).__name__}: {e})",
                           "internal error")


def _alone(ex, w):
    """One student graded again in a process of its own, after a worker died: only the student
    whose submission kills a process fails, and which students fail does not depend on --jobs."""
    with isolation.pool(1, WORKER_MEMORY) as pool:
        try:
            return pool.submit(_work, w).result()
        except Exception as e:
            return _unfinished(ex, w[1], f"{w[1]}: the grading process failed ({type(e).__name__})",
                               "internal error")


def _unfinished(exercise, name, msg, reason):
    ex = _exercises.load(exercise)
    return ({"student": name, "score": 0.0, "max_score": _r(ex.max_score), "error": msg,
             "needs_review": [reason], "parts": [_failed_part(p, msg) for p in ex.parts]}, [])


def _in_workers(ex, work, jobs, progress):
    """{student: result} from `jobs` forked worker processes (memory-capped, time-limited)."""
    results, lost = {}, []
    with isolation.pool(jobs, WORKER_MEMORY) as pool:
        futures = {pool.submit(_work, w): w for w in work}
        for f in as_completed(futures):
            w = futures[f]
            try:
                results[w[1]] = f.result()
            except Exception:          # a worker died (killed, out of memory): the pool is broken
                lost.append(w)         # and every student still in it is lost with it
                continue
            if progress:
                progress(w[1])
    for w in sorted(lost, key=lambda w: w[1]):
        results[w[1]] = _alone(ex, w)
        if progress:
            progress(w[1])
    return results
