"""2. `barprop derive` wall time on the bundled examples (in-process and a cold process)."""
import io
import subprocess
import sys
import time
from pathlib import Path

from sympy.core.cache import clear_cache

from benchlib import (ROOT, BARPROP, SPECS, capped_cell, log, median, ms, run_capped, table)
from derive import parse_spec


# --------------------------------------------------------------------------------------------
# 2. `barprop derive` wall time on the bundled examples
# --------------------------------------------------------------------------------------------

DERIVE_RUNS = 20
DERIVE_CAP = 120.0
COLD_CAP = 60.0


def _derive_in_process(emit, paths, runs):
    from check.cli import main
    clear_cache()
    for path in paths:
        times, codes = [], set()
        for _ in range(runs):
            buf = io.StringIO()
            t0 = time.perf_counter()
            codes.add(main(["derive", str(path), "--format", "json"], out=buf, err=io.StringIO()))
            times.append(time.perf_counter() - t0)
        emit({"path": str(path), "first": times[0], "median": median(times), "min": min(times),
              "codes": sorted(codes), "bytes": len(buf.getvalue())})


def _cold(cmd):
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=COLD_CAP, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return None, None
    return time.perf_counter() - t0, p.returncode


def section_derive_time(ctx):
    out = ["## 2. `barprop derive --format json` wall time on exercises/specs/*.bp", ""]
    log("derive in-process")
    parse_spec("f = x\n")   # build the Lark grammar once, before forking, so no run pays for it
    res = run_capped(_derive_in_process, SPECS, DERIVE_RUNS, timeout=DERIVE_CAP)
    inproc = {r["path"]: r for r in res.items}
    script = [str(BARPROP)] if BARPROP.exists() else [sys.executable, "-m", "check"]
    rows = []
    for path in SPECS:
        log(f"derive cold {path.name}")
        cold, rc = _cold(script + ["derive", str(path), "--format", "json"])
        r = inproc.get(str(path))
        rows.append([f"`{path.name}`",
                     ms(r["median"]) if r else capped_cell(res, "", DERIVE_CAP),
                     ms(r["min"]) if r else "—",
                     ms(r["first"]) if r else "—",
                     ",".join(map(str, r["codes"])) if r else "—",
                     f"> {COLD_CAP:g} s" if cold is None else ms(cold),
                     "—" if rc is None else rc])
    out += table(["spec", "in-process median ms", "min ms", "first run ms", "exit", "cold subprocess ms",
                  "exit (cold)"], rows)
    ref = []
    for label, cmd in [("`python -c pass`", [sys.executable, "-c", "pass"]),
                       ("`python -c 'import sympy'`", [sys.executable, "-c", "import sympy"]),
                       ("`python -c 'import check.cli'`", [sys.executable, "-c", "import check.cli"])]:
        t, rc = _cold(cmd)
        ref.append([label, f"> {COLD_CAP:g} s" if t is None else ms(t)])
    out += ["", "Startup references (one cold run each):", ""]
    out += table(["command", "ms"], ref)
    out += ["",
            f"Method: in-process = `check.cli.main([\"derive\", path, \"--format\", \"json\"], out=io.StringIO())` "
            f"called {DERIVE_RUNS} times per spec in one forked child (modules already imported, SymPy cache "
            "cleared once at the start, so *first run* includes SymPy's cold cache but not the Lark "
            "grammar build, done before); median and min of the "
            f"{DERIVE_RUNS}. Cold = one `subprocess.run` of `{' '.join(Path(s).name for s in script)} derive "
            "SPEC --format json` (new interpreter: imports + derive + JSON), wall clock, OS file cache warm."]
    return out


section = section_derive_time


if __name__ == "__main__":
    print("\n".join(section({})))
