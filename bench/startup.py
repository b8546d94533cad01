"""Start-up: a cold `barprop check grad` and `barprop --help` beside `python -c "import sympy"`.

Each command runs as a fresh process, RUNS times, the commands alternating (sympy, check, help,
check with an empty table cache, ...) so that a change in the machine's load hits them alike;
the figure is the median. Wall time and CPU time (user + system of the child, from getrusage) are
both shown: on a loaded machine the CPU time is the steadier of the two. "check, no cache" points
BARPROP_CACHE_DIR at an empty folder each run, so the grammars' LALR tables are built from
scratch as on the first run after an install; the other runs read them from the cache (written
by the first run). The package's bytecode is compiled first (compileall), as `pip install` does: without
it (PYTHONDONTWRITEBYTECODE set, a fresh checkout) every run would compile our modules from source.
`barprop` freezes the garbage collector at exit (check.cli._quick_exit) and so skips the teardown's
last collection, which `python -c "import sympy"` pays in full (about a quarter of its time). Goals (issue 18): the check ≤ 1.3× the import of SymPy, `--help` ≤ 0.15 s.

Usage: python bench/startup.py [RUNS]   (default 15; prints a markdown section)
"""
import compileall
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 15
CLAIM = "(sigma(w*x+b)-t)*sigma(w*x+b)*(1-sigma(w*x+b))*x + lambda*w"


def _script():
    script = Path(sys.executable).parent / "barprop"
    return [str(script)] if script.exists() else [sys.executable, "-m", "check"]


def commands():
    check = _script() + ["check", "grad", "exercises/specs/reglog.bp", "--wrt", "w", "--claim", CLAIM]
    return {"python -c \"import sympy\"": ([sys.executable, "-c", "import sympy"], None),
            "barprop check grad (reglog)": (check, None),
            "barprop --help": (_script() + ["--help"], None),
            "barprop check grad, no cache": (check, "empty")}


def _once(cmd, env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.decode()[-300:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(runs=RUNS):
    for package in ("check", "derive", "exercises"):
        compileall.compile_dir(ROOT / package, quiet=2, rx=re.compile(r"[/\\]samples[/\\]"))
    cmds = commands()
    times = {name: ([], []) for name in cmds}
    subprocess.run(cmds["barprop check grad (reglog)"][0], cwd=ROOT, stdout=subprocess.DEVNULL)  # tables cached
    for _ in range(runs):
        for name, (cmd, cache) in cmds.items():
            env = dict(os.environ)
            with tempfile.TemporaryDirectory(prefix="barprop-cache-") as empty:
                if cache == "empty":
                    env["BARPROP_CACHE_DIR"] = empty
                wall, cpu = _once(cmd, env)
            times[name][0].append(wall)
            times[name][1].append(cpu)
    return {name: (statistics.median(w), statistics.median(c)) for name, (w, c) in times.items()}


def main(runs=RUNS):
    m = measure(runs)
    ref_w, ref_c = m["python -c \"import sympy\""]
    lines = ["## Start-up: a quick `barprop check grad` beside `import sympy`", "",
             "| command | median wall s | × import sympy | median CPU s | × import sympy |",
             "|---|--:|--:|--:|--:|"]
    for name, (w, c) in m.items():
        lines.append(f"| `{name}` | {w:.3f} | {w / ref_w:.2f} | {c:.3f} | {c / ref_c:.2f} |")
    cw, cc = m["barprop check grad (reglog)"]
    hw, hc = m["barprop --help"]
    verdict = lambda ok: "PASS" if ok else "MISS"
    lines += ["",
              f"- goal: cold `barprop check grad` ≤ 1.3× `import sympy`: wall {cw / ref_w:.2f}× "
              f"**{verdict(cw <= 1.3 * ref_w)}**, CPU {cc / ref_c:.2f}× **{verdict(cc <= 1.3 * ref_c)}**",
              f"- goal: `barprop --help` ≤ 0.15 s: wall {hw:.3f} s **{verdict(hw <= 0.15)}**, CPU {hc:.3f} s "
              f"**{verdict(hc <= 0.15)}**",
              "", "Method: " + " ".join(__doc__.split("\n\n")[1].split()) + f" Runs per command: {runs}.",
              f"Machine load at the end: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}."]
    return lines


def section(ctx):
    return main()


if __name__ == "__main__":
    print("\n".join(main(int(sys.argv[1]) if len(sys.argv) > 1 else RUNS)))
