"""Checks run in long-lived worker processes under a per-request deadline.

Each lane is a one-process pool (grading's worker set-up: memory cap, SIGALRM limit on the
worker's main thread), so a worker keeps its caches (the truth, points and finite differences
of a spec) from one request to the next, and a request that overruns is stopped inside the
worker; a worker stuck where SIGALRM cannot reach (C code) is killed with its lane and the lane
is replaced. Workers come from a fork server that has the checker imported: forking the
threaded web server itself is not safe.
"""
import multiprocessing
import os
import queue
import threading
import time
from concurrent.futures import ProcessPoolExecutor, TimeoutError as FutureTimeout

from ..grading.workers import StudentTimeout, _limit_memory, _time_limit

REQUEST_SECONDS = 20.0
GRACE = 2.0              # how long past the deadline the lane waits before killing the worker


class Overrun(Exception):
    """The request took longer than its deadline (or no worker became free in that time)."""


def _start_worker(server_pid):
    """A lane's worker: grading's memory cap, and a watchdog that ends the worker when the
    server is gone (a killed server cannot shut its pools down, and the fork server lives as
    long as any worker does)."""
    _limit_memory()

    def watch():
        while True:
            time.sleep(1.0)
            try:
                os.kill(server_pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass
    threading.Thread(target=watch, name="server-watchdog", daemon=True).start()


def _serve(action, req, seconds):
    from . import service
    try:
        with _time_limit(seconds):
            return service.run(action, req)
    except StudentTimeout:
        return {"status": 503, "body": {"error": {"message": f"the check took longer than {seconds:g} s",
                                                  "line": 0, "col": 0}}}
    except MemoryError:
        return {"status": 503, "body": {"error": {"message": "the check ran out of memory", "line": 0, "col": 0}}}


def _context():
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["check.web.service", "check.api", "derive.draw"])
        return ctx
    return multiprocessing.get_context("spawn")


class Runner:
    """`lanes` workers; `run(action, req)` -> {"status", "body"} within `seconds`."""

    def __init__(self, lanes=2, seconds=REQUEST_SECONDS):
        self.seconds = seconds
        self._ctx = _context()
        self._free = queue.Queue()
        self._lock = threading.Lock()
        self._all = set()
        for _ in range(lanes):
            self._free.put(self._lane())

    def _lane(self):
        lane = ProcessPoolExecutor(max_workers=1, mp_context=self._ctx, initializer=_start_worker,
                                   initargs=(os.getpid(),))
        with self._lock:
            self._all.add(lane)
        return lane

    def run(self, action, req):
        try:
            lane = self._free.get(timeout=self.seconds)
        except queue.Empty:
            raise Overrun(f"the server is busy; no worker was free for {self.seconds:g} s") from None
        try:
            future = lane.submit(_serve, action, req, self.seconds)
            result = future.result(timeout=self.seconds + GRACE)
        except FutureTimeout:
            self._kill(lane)
            lane = self._lane()
            raise Overrun(f"the check took longer than {self.seconds:g} s") from None
        except Exception:               # the worker died (killed, out of memory): a fresh lane
            self._kill(lane)
            lane = self._lane()
            raise Overrun("the worker checking this request failed") from None
        finally:
            self._free.put(lane)
        return result

    def _kill(self, lane):
        for p in list(getattr(lane, "_processes", {}).values()):
            p.kill()
        lane.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            self._all.discard(lane)

    def close(self):
        """Stop every worker now (a request still running in one is lost)."""
        with self._lock:
            lanes = list(self._all)
        for lane in lanes:
            self._kill(lane)
