"""Runs `check.cli.main` on every job under a Python audit hook (a test helper, not a test).

argv: jobs.json ([warm-up argvs] + argvs), needles.json (fragments of the user's text),
results.json (written: per job code/out/err/seconds, and the violations the hook saw: a compile or
exec of source holding a needle, an open of /etc/passwd or CANARY, any process spawn).
"""
import io, json, os, sys, time, traceback
jobs, needles, out_path = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
violations, current = [], [None]
SPAWN = ("os.system", "os.exec", "os.spawn", "os.posix_spawn", "subprocess.Popen", "pty.spawn")
FORBIDDEN = ("/etc/passwd", "CANARY")

def strings(code, depth=0):
    for c in getattr(code, "co_consts", ()):
        if isinstance(c, str):
            yield c
        elif hasattr(c, "co_consts") and depth < 5:
            yield from strings(c, depth + 1)

def hook(event, args):
    if event == "compile":
        src, fname = args[0], args[1] if len(args) > 1 else ""
        if isinstance(src, bytes):
            src = src.decode("utf-8", "replace")
        if not isinstance(src, str):
            return
        if isinstance(fname, str) and fname.endswith(".py") and os.path.exists(fname):
            return                      # a library module being compiled on import
        for n in needles:
            if n in src:
                violations.append([current[0], event, n[:80], str(fname)[:100]])
    elif event == "exec":
        consts = "\n".join(strings(args[0]))
        for n in needles:
            if n in consts:
                violations.append([current[0], event, n[:80], str(getattr(args[0], "co_filename", ""))])
    elif event == "open":
        path = args[0]
        if isinstance(path, (str, bytes)) and any(f in os.fsdecode(path) for f in FORBIDDEN):
            violations.append([current[0], event, os.fsdecode(path)[:200], ""])
    elif event.startswith(SPAWN):
        violations.append([current[0], event, repr(args)[:200], ""])

from check.cli import main
for argv in jobs.pop(0):                # lazily imported modules load before the hook
    main(argv, out=io.StringIO(), err=io.StringIO())
sys.addaudithook(hook)
results = []
for index, argv in enumerate(jobs):
    current[0] = index
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    try:
        if argv[0] == "__selftest__":   # proves the hook sees a compile of user text
            code = eval(compile(argv[1], "<user>", "eval"), {"__builtins__": {}})
        else:
            code = main(argv, out=out, err=err)
    except BaseException:
        code = "exception"
        err.write(traceback.format_exc())
    results.append({"argv": argv, "code": code, "out": out.getvalue()[:3000],
                    "err": err.getvalue()[:3000], "seconds": time.perf_counter() - start})
with open(out_path, "w") as f:
    json.dump({"results": results, "violations": violations}, f)
