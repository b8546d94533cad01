"""Students graded under a wall-clock limit each, in forked worker processes with a memory cap;
a worker that dies costs only the student whose submission killed it. Students reach the
workers in tasks of students with the same answer (affinity.py), a few tasks in flight per
worker, and each result goes to `emit` as it arrives: nothing waits in memory for the rest."""
from concurrent.futures import FIRST_COMPLETED, wait

import exercises as _exercises

from .. import isolation
from ..i18n import language
from . import affinity
from .parts import _failed_part, _r, grade_student
from .spill import student_text


STUDENT_SECONDS = 30
WORKER_MEMORY = 4 << 30
IN_FLIGHT = 2           # tasks queued per worker beyond the one it runs
PEAK = {"in_flight": 0}  # the most tasks this process had handed out and not yet collected


class StudentTimeout(BaseException):
    """Not an Exception: the nets that keep an engine bug from stopping a batch must not catch
    it, or the rest of the student's parts would run with no time limit at all."""


_alarm_works = isolation.alarm_works


def _work(args):
    """(result, mistake kinds) of one student; with the work's `text` flag the result is its
    results.json text (encoded in the worker, where the cores are)."""
    res, kinds = _graded(args[:6])
    return (student_text(res), res["score"], kinds) if len(args) > 6 and args[6] else (res, kinds)


def _graded(args):
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


def _work_task(task):
    """The students of one task, in order: [(student, result)]."""
    return [(w[1], _work(w)) for w in task]


def _alone(ex, w):
    """One student graded again in a process of its own, after a worker died: only the student
    whose submission kills a process fails, and which students fail does not depend on --jobs."""
    with isolation.pool(1, WORKER_MEMORY) as pool:
        try:
            return pool.submit(_work, w).result()
        except Exception as e:
            res, kinds = _unfinished(ex, w[1], f"{w[1]}: the grading process failed ({type(e).__name__})",
                                     "internal error")
            return (student_text(res), res["score"], kinds) if len(w) > 6 and w[6] else (res, kinds)


def _unfinished(exercise, name, msg, reason):
    ex = _exercises.load(exercise)
    return ({"student": name, "score": 0.0, "max_score": _r(ex.max_score), "error": msg,
             "needs_review": [reason], "parts": [_failed_part(p, msg) for p in ex.parts]}, [])


def _in_workers(ex, work, jobs, progress, emit=None):
    """Every student of `work` graded in `jobs` forked worker processes (memory-capped,
    time-limited); each result goes to `emit(student, result)` as it arrives, or without `emit`
    into the {student: result} returned. A worker that dies breaks its pool: the students it
    held are graded again one process each, the rest go on in a new pool."""
    results = {}
    emit = emit or results.__setitem__
    todo = affinity.tasks(work, lambda w: w[2])[::-1]
    lost = []
    while todo:
        lost += _pool_run(todo, jobs, progress, emit)
    for w in sorted(lost, key=lambda w: w[1]):
        emit(w[1], _alone(ex, w))
        if progress:
            progress(w[1])
    return results


def _pool_run(todo, jobs, progress, emit):
    """Tasks popped from `todo` until it is empty or the pool breaks; the students lost with it."""
    lost = []
    with isolation.pool(jobs, WORKER_MEMORY) as pool:
        running = {}
        while todo or running:
            while todo and len(running) < jobs * (1 + IN_FLIGHT) and not lost:
                task = todo.pop()
                running[pool.submit(_work_task, task)] = task
            PEAK["in_flight"] = max(PEAK["in_flight"], len(running))
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for f in sorted(done, key=lambda f: running[f][0][1]):
                task = running.pop(f)
                try:
                    out = f.result()
                except Exception:       # a worker died (killed, out of memory): the pool is broken
                    lost += task        # and every task still in it is lost with it
                    continue
                for name, res in out:
                    emit(name, res)
                    if progress:
                        progress(name)
    return lost
