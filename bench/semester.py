"""A semester: `barprop grade --jobs 2` over 10,000 submissions of mixed exercises.

Every bundled exercise gets an equal share of the students; student k of an exercise hands in the
exercise's bundled sample number k mod (number of samples), with a last line of its own (a comment
naming the student), so no two files are the same text and the classes' answers repeat as they do
in a real class. Each exercise folder is graded by one `barprop grade` process (the installed
script, as a teacher runs it): with `--jobs 2`, then with `--jobs 1` on the same folders, and the
two results.json files must be byte-identical. Memory: the peak resident set of the largest
process of each run (the `barprop` parent or a worker: `ru_maxrss` of the waited-for children),
at 1/10 of the students and at all of them, to show it does not grow with the batch.
Reference in the same run: one float64 numpy gradient check and `python -c "import sympy"`.

Usage: python bench/semester.py [STUDENTS]   (default 10,000; prints a markdown section)
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import method_footer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STUDENTS = 10_000
GOAL_SECONDS = 180.0
FLAT = 1.2               # peak RSS at all the students / at a tenth of them
COMMENT = {".tex": "% ", ".py": "# ", ".md": "<!-- ", ".txt": "# "}


def barprop():
    script = Path(sys.executable).parent / "barprop"
    return [str(script)] if script.exists() else [sys.executable, "-m", "check"]


def build(folder, students):
    """{exercise id: folder of its students}; `students` shared out evenly."""
    import exercises
    ids = exercises.list_ids()
    out = {}
    for j, ex in enumerate(ids):
        share = students // len(ids) + (j < students % len(ids))
        samples = sorted(p for p in (ROOT / "exercises" / "samples" / ex).iterdir() if p.is_file())
        target = Path(folder) / ex
        target.mkdir(parents=True)
        for k in range(share):
            s = samples[k % len(samples)]
            mark = COMMENT.get(s.suffix, "# ")
            tail = f"\n{mark}student {k:05d}{' -->' if mark == '<!-- ' else ''}\n"
            (target / f"s{k:05d}{s.suffix}").write_bytes(s.read_bytes() + tail.encode())
        out[ex] = target
    return out


def grade_all(folders, jobs, outdir):
    """(seconds, peak RSS in MiB of the largest process, {exercise: results.json bytes}, CPU seconds
    of every process)."""
    docs, peak, seconds, cpu = {}, 0.0, 0.0, 0.0
    for ex, folder in folders.items():
        out = Path(outdir) / f"{ex}-{jobs}.json"
        p = subprocess.run([sys.executable, "-c", _MEASURED] + barprop() + [
            "grade", "--exercise", ex, str(folder), "--jobs", str(jobs), "--out", str(out)],
            capture_output=True, cwd=ROOT, text=True)
        status, wall, rss, used = p.stdout.split()[-4:]
        if int(status) not in (0, 1) or not out.exists():
            raise RuntimeError(f"grade {ex} exited {status}: {p.stderr[-400:]}")
        docs[ex] = out.read_bytes()
        print(f"semester: {ex} --jobs {jobs}: {len(list(Path(folder).iterdir()))} files, {float(wall):.1f} s, "
              f"peak RSS {int(rss) / 1024:.0f} MiB", file=sys.stderr, flush=True)
        seconds += float(wall)
        cpu += float(used)
        peak = max(peak, int(rss) / 1024)
    return seconds, peak, docs, cpu


# One command run from a fresh process: its exit status, wall seconds, the peak RSS (KiB) of the
# largest process in its tree (the command or a worker it waited for), and their CPU seconds.
_MEASURED = """import resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(p.returncode, time.perf_counter() - t, r.ru_maxrss, r.ru_utime + r.ru_stime)
"""


def _numpy_reference():
    """A float64 numpy gradient check of the reglog spec at 10,000 points (vectorised)."""
    import numpy as np
    rng = np.random.default_rng(0)
    w, x, b, t, lam = (rng.normal(size=10_000) for _ in range(5))
    t0 = time.perf_counter()
    s = 1 / (1 + np.exp(-(w * x + b)))
    grad = (s - t) * s * (1 - s) * x + lam * w
    h = 1e-6
    f = lambda w: 0.5 * (1 / (1 + np.exp(-(w * x + b))) - t) ** 2 + lam * 0.5 * w ** 2
    fd = (f(w + h) - f(w - h)) / (2 * h)
    ok = np.allclose(grad, fd, rtol=1e-5, atol=1e-8)
    return time.perf_counter() - t0, ok


def _sympy_import():
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sympy"], check=True)
    return time.perf_counter() - t0


def main(students=STUDENTS):
    load = os.getloadavg()
    lines = [f"## A semester: {students:,} submissions of mixed exercises, `barprop grade --jobs 2`", ""]
    with tempfile.TemporaryDirectory(prefix="barprop-semester-") as tmp:
        small = build(Path(tmp) / "small", max(1, students // 10))
        full = build(Path(tmp) / "full", students)
        outdir = Path(tmp) / "out"
        outdir.mkdir()
        s2, rss2, docs2, cpu2 = grade_all(full, 2, outdir)
        s1, rss1, docs1, cpu1 = grade_all(full, 1, outdir)
        s_small, rss_small, _, cpu_small = grade_all(small, 2, outdir)
        same = docs1 == docs2
        shutil.rmtree(outdir)
    np_s, np_ok = _numpy_reference()
    imp = _sympy_import()
    rows = [("--jobs 2", f"{students // 10:,}", f"{s_small:.1f}", f"{cpu_small:.1f}", f"{rss_small:.0f}"),
            ("--jobs 2", f"{students:,}", f"{s2:.1f}", f"{cpu2:.1f}", f"{rss2:.0f}"),
            ("--jobs 1", f"{students:,}", f"{s1:.1f}", f"{cpu1:.1f}", f"{rss1:.0f}")]
    lines += ["| run | submissions | wall s | CPU s (all processes) | peak RSS MiB (largest process) |",
              "|---|--:|--:|--:|--:|"]
    lines += [f"| {' | '.join(r)} |" for r in rows]
    lines += ["", f"- results.json of `--jobs 1` and `--jobs 2` byte-identical for every exercise: "
                  f"**{'yes' if same else 'NO'}**",
              f"- goal: {students:,} submissions in ≤ {GOAL_SECONDS:.0f} s with `--jobs 2`: "
              f"**{'PASS' if s2 <= GOAL_SECONDS and students >= STUDENTS else 'MISS'}** ({s2:.1f} s, "
              f"{1000 * s2 / students:.1f} ms per submission)",
              f"- memory flat: peak RSS at {students // 10:,} → {students:,} submissions: {rss_small:.0f} → "
              f"{rss2:.0f} MiB ({rss2 / rss_small:.2f}×): **{'PASS' if rss2 <= FLAT * rss_small else 'MISS'}** "
              f"(≤ {FLAT}×)",
              f"- same-run references: `python -c \"import sympy\"` {imp:.2f} s; a float64 numpy gradient "
              f"check of the reglog gradient at 10,000 points {1000 * np_s:.1f} ms (agrees: {np_ok})",
              f"- machine load (1/5/15 min) at the start: {' / '.join(f'{x:.2f}' for x in load)} "
              "(other work on the same 2 cores slows every figure here)"]
    return lines + method_footer(__doc__)


def section(ctx):
    return main()


if __name__ == "__main__":
    print("\n".join(main(int(sys.argv[1]) if len(sys.argv) > 1 else STUDENTS)))
