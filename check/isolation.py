"""Work that may run away, kept away from the caller: one place for the three ways barprop does it.

- `run(fn, *args, deadline=..., memory=...)`: `fn(emit, *args)` in a forked child with a
  wall-clock deadline (SIGKILL when it passes; it works off the main thread, where signals cannot)
  and an address-space cap; every `emit(item)` reaches the parent at once, so a child stopped at
  its deadline still returns what it finished. Used by the symbolic proof and by bench/.
- `pool(jobs, memory=...)`: a process pool whose forked workers carry the memory cap (grading).
- `time_limit(seconds, exc)`: raise `exc` in the main thread after `seconds` (one student inside
  a worker).
"""
import contextlib
import multiprocessing
import os
import signal
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """What came back from a child: status "ok" | "timeout" | "error" (raised, out of memory or
    died), the items it emitted in order, and why it failed."""
    status: str
    items: tuple = ()
    error: str = ""
    seconds: float = 0.0

    @property
    def ok(self):
        return self.status == "ok"


def limit_memory(limit):
    """Cap this process's address space at `limit` bytes (where the platform allows it)."""
    if not limit:
        return
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass


def can_fork():
    return "fork" in multiprocessing.get_all_start_methods()


def _child(send, fn, args, memory, cpu, group):
    code = 0
    try:
        if group:
            os.setpgid(0, 0)
        limit_memory(memory)
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
        fn(lambda item: send.send(("item", item)), *args)
        send.send(("done", None))
    except MemoryError:
        send.send(("error", f"out of memory (address space capped at {memory / 2**30:.1f} GiB)"))
        code = 1
    except BaseException as e:       # reported to the parent, never a hang or a traceback
        try:
            send.send(("error", f"{type(e).__name__}: {e}"))
        except Exception:
            pass
        code = 1
    finally:
        send.close()
        os._exit(code)


def run(fn, *args, deadline, memory=None, cpu=None, group=False):
    """`fn(emit, *args)` in a forked child for at most `deadline` seconds (see the module doc).
    `cpu` pins the child to one CPU; `group=True` makes it lead a process group (for a child that
    starts workers of its own), and the whole group is killed at the deadline. A bare fork, not a
    multiprocessing.Process: it starts in a millisecond and works inside daemonic processes."""
    if not hasattr(os, "fork"):
        return Outcome("error", error="no fork on this platform")
    recv, send = multiprocessing.Pipe(duplex=False)
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        recv.close()
        _child(send, fn, args, memory, cpu, group)
    send.close()
    items, status, error = [], "timeout", ""
    try:
        while True:
            left = start + deadline - time.monotonic()
            if left <= 0:
                break
            if not recv.poll(min(left, 0.5)):
                continue
            try:
                kind, value = recv.recv()
            except EOFError:
                status, error = "error", "the child died"
                break
            if kind == "item":
                items.append(value)
            else:
                status, error = ("ok", "") if kind == "done" else ("error", value)
                break
    finally:
        recv.close()
        _stop(pid, group and status != "ok")
    return Outcome(status, tuple(items), error, time.monotonic() - start)


def _stop(pid, group):
    """Kill the child (and the process group it leads, with `group`) unless it has exited; reap it."""
    if group:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        if os.waitpid(pid, os.WNOHANG) != (0, 0):
            return
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def pool(jobs, memory=None):
    """A process pool of `jobs` forked workers (where fork exists), each with the memory cap."""
    from concurrent.futures import ProcessPoolExecutor
    ctx = multiprocessing.get_context("fork" if can_fork() else None)
    return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=limit_memory, initargs=(memory,))


def alarm_works():
    """SIGALRM can stop work here: the platform has interval timers and this is the main thread
    (a forked worker runs its tasks on its own main thread)."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


AGAIN = 0.25     # seconds between repeats of a time limit's signal


@contextlib.contextmanager
def time_limit(seconds, exc):
    """Raise `exc()` in this thread after `seconds` of wall clock, and again every AGAIN seconds
    until the block is left: a bare `except:` in a library (mpmath's `from_float` has one around
    `math.frexp`) can swallow one raise, and the work would then run on with no limit. No limit
    where `alarm_works()` is false (callers run such work only where it is true)."""
    if not alarm_works():
        yield
        return
    armed = [True]

    def stop(signum, frame):
        if armed[0] and frame is not None and frame.f_code not in _LEAVING:
            raise exc()
    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds, AGAIN)
    try:
        yield
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# the code of leaving a limit (its `finally`, and contextlib's __exit__ that runs it): a repeat
# that lands there must not raise, or the timer would outlive the block
_LEAVING = (time_limit.__wrapped__.__code__, contextlib._GeneratorContextManager.__exit__.__code__)
