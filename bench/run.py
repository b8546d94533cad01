"""barprop benchmarks: `.venv/bin/python bench/run.py` writes bench/RESULTS.md.

Not tests: numbers, measured side by side in one run on this machine, with the method written next
to each table. The whole run is meant to take well under ~5 minutes on 2 cores; every benchmark
that may blow up runs in a forked child (bench/benchlib.run_capped) with a wall-clock cap (and an
address-space cap for SymPy baselines) and is reported as "> N s" when it hits the cap.

Sections (each a function `section_*(ctx) -> list of markdown lines`, registered in SECTIONS; a
later issue adds its benchmark by writing one more function and appending it there):

1. adjoint-size  Size of the adjoint equations vs the forward graph for sigmoid chains of depth
                 1..50, next to SymPy `diff` of the fully expanded loss (which swells), with times.
2. derive-time   `barprop derive --format json` on exercises/specs/*.bp: in-process median of 20
                 runs, and one cold subprocess run of the `barprop` script (startup cost).
3. check-claim   Verdict latency of `check.check_claim` (p50/p99 over ~200 correct and mutated
                 claims on the depth-1..4 chain) next to `sympy.simplify(truth - claim)`; claims/s
                 on one core; LaTeX parse speed (`check.read.latex.parse_latex_expression`). Parts whose
                 API does not exist yet print "not yet measured: needs check engine"; they are
                 guarded by import only, so they run for real once the API lands.
4. grading       `check.grading.grade("csc321-reg-logistic", [folder of 200 copies of the samples],
                 seed=0, jobs=2 and 1)` in-process (goal ≤ 10 s with jobs=2), results identical between
                 jobs settings, next to a naive grader (`simplify(truth − claim)` per adjoint line).
5. claims-per-second  `check_claim` on the reglog spec TEXT, one core: claims/s and p50/p99 for
                 correct-only, wrong-only and mixed claims (goal ≥ 300/s), and per claim form next to
                 `simplify(truth − claim)`.
6. matrix-claim  ∂L/∂W1 of a two-layer net with an `at:` point of size D = H = 64 (issue #7 goal:
                 under 1 s), phase split, wrong claims, scaling to D = 128; cProfile when it misses.

Every section states its method under its tables, and each goal its PASS/MISS.

Usage: .venv/bin/python bench/run.py [--out PATH] [SECTION ...]   (default: all sections)
"""
import argparse
import datetime
import io
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))

import sympy  # noqa: E402
from sympy.core.cache import clear_cache  # noqa: E402

from benchlib import (chain_spec, median, ms, percentile, ranges, run_capped, secs,  # noqa: E402
                      table)
from derive import parse_spec  # noqa: E402
from derive.functions import Sigma, SigmaPrime, sym  # noqa: E402
from derive.printing import Text  # noqa: E402

GIB = 2 ** 30
SPECS = sorted((ROOT / "exercises" / "specs").glob("*.bp"))
BARPROP = ROOT / ".venv" / "bin" / "barprop"


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def ops(e):
    return int(sympy.count_ops(e))


def capped_cell(res, value, cap):
    """A table cell for a capped measurement: the value, "> N s" on timeout, or the error."""
    if res.status == "timeout":
        return f"> {cap:g} s"
    if res.status == "error":
        return "error: " + res.error.split(":", 1)[0]
    return value


# --------------------------------------------------------------------------------------------
# 1. Adjoint size vs forward size on sigmoid chains
# --------------------------------------------------------------------------------------------

CHAIN_TABLE_DEPTHS = (1, 2, 3, 4, 5, 10, 20, 30, 40, 50)
CHAIN_MAX_DEPTH = 50
CHAIN_REPS = 3
CHAIN_CAP = 60.0          # seconds per depth, per side (ours / SymPy)
SIZE_GOAL = 4.0
RAISED_RECURSION_LIMIT = 20_000


def _chain_sizes(depth):
    g = parse_spec(chain_spec(depth))
    d = g.backprop()
    exprs = [a.expr for a in d.order]
    fwd = sum(ops(n.expr) for n in g.nodes)
    adj = sum(ops(e) for e in exprs)
    rep, red = sympy.cse(exprs)
    cse = sum(ops(e) for _, e in rep) + sum(ops(e) for e in red)
    return {"forward": fwd, "adjoint": adj, "cse": cse, "ratio": adj / fwd, "adjoints": len(exprs)}


def _time_ours(emit, depth, reps):
    text = chain_spec(depth)
    parse_t, bp_t = [], []
    for _ in range(reps):
        clear_cache()
        t0 = time.perf_counter()
        g = parse_spec(text)
        t1 = time.perf_counter()
        g.backprop()
        t2 = time.perf_counter()
        parse_t.append(t1 - t0)
        bp_t.append(t2 - t1)
    emit({"parse": median(parse_t), "backprop": median(bp_t)})


def _time_sympy_diff(emit, depth, reps):
    """SymPy diff of the expanded loss. With a cold cache SymPy's recursion outgrows Python's default
    limit (1000) on deep chains; then the run is repeated with the limit raised, and flagged."""
    text, w1 = chain_spec(depth), sym("w1")
    expand_t, diff_t, result, raised = [], [], None, False
    for _ in range(reps):
        while True:
            g = parse_spec(text)
            clear_cache()
            try:
                t0 = time.perf_counter()
                full = g.full[g.output]
                t1 = time.perf_counter()
                result = sympy.diff(full, w1)
                t2 = time.perf_counter()
                break
            except RecursionError:
                if raised:
                    raise
                raised = True
                sys.setrecursionlimit(RAISED_RECURSION_LIMIT)
        expand_t.append(t1 - t0)
        diff_t.append(t2 - t1)
    emit({"expand": median(expand_t), "diff": median(diff_t), "ops": ops(result),
          "full_ops": ops(full), "raised": raised})


def section_adjoint_size(ctx):
    out = ["## 1. Adjoint size vs forward size: sigmoid chains", ""]
    sizes = {}
    for depth in range(1, CHAIN_MAX_DEPTH + 1):
        sizes[depth] = _chain_sizes(depth)
    rows, raised_at = [], {}
    for depth in CHAIN_TABLE_DEPTHS:
        log(f"chain depth {depth}")
        s = sizes[depth]
        ours = run_capped(_time_ours, depth, CHAIN_REPS, timeout=CHAIN_CAP, mem_bytes=8 * GIB)
        theirs = run_capped(_time_sympy_diff, depth, CHAIN_REPS, timeout=CHAIN_CAP, mem_bytes=8 * GIB)
        o = ours.items[0] if ours.ok else {}
        t = theirs.items[0] if theirs.ok else {}
        raised_at[depth] = t.get("raised", False)
        rows.append([
            depth, s["forward"], s["adjoint"], f"{s['ratio']:.2f}",
            "yes" if s["ratio"] <= SIZE_GOAL else "**no**",
            s["cse"], f"{s['cse'] / s['forward']:.2f}",
            capped_cell(ours, ms(o.get("parse", 0)), CHAIN_CAP),
            capped_cell(ours, ms(o.get("backprop", 0)), CHAIN_CAP),
            capped_cell(theirs, f"{t['ops']}{' †' if t['raised'] else ''}" if t else "", CHAIN_CAP),
            capped_cell(theirs, f"{t['ops'] / s['adjoint']:.2f}" if t else "", CHAIN_CAP),
            capped_cell(theirs, ms(t.get("expand", 0)), CHAIN_CAP),
            capped_cell(theirs, ms(t.get("diff", 0)), CHAIN_CAP),
        ])
    out += table(["depth", "forward ops", "adjoint ops", "adjoint / forward", f"≤ {SIZE_GOAL:g}×",
                  "adjoint ops after CSE", "CSE / forward", "parse ms", "backprop ms",
                  "SymPy diff ops (∂L/∂w1)", "diff ops / adjoint ops", "expand ms", "SymPy diff ms"],
                 rows)
    raised = [d for d, r in raised_at.items() if r]
    ratios = {d: s["ratio"] for d, s in sizes.items()}
    over = [d for d, r in ratios.items() if r > SIZE_GOAL]
    worst = max(ratios, key=ratios.get)
    out += ["",
            f"Adjoint/forward ratio over every depth 1..{CHAIN_MAX_DEPTH}: min {min(ratios.values()):.2f} "
            f"(depth {min(ratios, key=ratios.get)}), max {ratios[worst]:.2f} (depth {worst}); "
            f"goal ≤ {SIZE_GOAL:g}× met at every depth: **{'yes' if not over else 'no'}**"
            + ("" if not over else f" (exceeded at depths {ranges(over)})") + ".",
            "",
            (f"† SymPy diff raised RecursionError at Python's default recursion limit (1000) at depths "
             f"{', '.join(map(str, raised))}; those figures are from a rerun with "
             f"`sys.setrecursionlimit({RAISED_RECURSION_LIMIT})`." if raised else
             "SymPy diff ran within Python's default recursion limit at every depth."),
            "",
            "Ratio per depth 1..50: " + " ".join(f"{ratios[d]:.2f}" for d in sorted(ratios)),
            "",
            "Method: the spec text is built programmatically (`h0 = x`, `h_i = sigma(w_i*h_{i-1} + b_i)`, "
            "`L = 1/2*(h_D - t)^2`), read with `derive.parse_spec` and differentiated with "
            "`Graph.backprop()` (wrt = every input: x, w_i, b_i, t). *forward ops* = Σ `sympy.count_ops` "
            "of the node expressions; *adjoint ops* = Σ `count_ops(a.expr)` over `Derivation.order` "
            "(every adjoint, in forward names and bar symbols, as `derive` prints them: σ of an unnamed "
            "pre-activation is differentiated through its output, `h̄_{i-1} = h̄_i·w_i·h_i·(1 - h_i)`, "
            "`derive.rules.local_derivative`); *after CSE* = the same adjoints after "
            "`sympy.cse` (replacements + reduced expressions), i.e. if shared subexpressions such as "
            "h_i·(1 - h_i) were named once. *SymPy diff* = `sympy.diff(Graph.full[output], w1)`, "
            "the calculus-class derivative of the fully expanded loss, for ONE parameter (our adjoints "
            "cover all 2·D+2 inputs); *expand ms* is building `Graph.full` (not included in diff ms). "
            f"Times: median of {CHAIN_REPS} runs, each after `sympy.core.cache.clear_cache()`, in a forked "
            f"child capped at {CHAIN_CAP:g} s and 8 GiB per depth and side; parse ms excludes building the "
            "Lark grammar (done once per process)."]
    return out


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


# --------------------------------------------------------------------------------------------
# 3. check engine: verdict latency vs simplify, throughput, LaTeX parse speed
# --------------------------------------------------------------------------------------------

CLAIM_DEPTHS = (1, 2, 3, 4)
CLAIMS_PER_DEPTH = 50
SIMPLIFY_CAP = 120.0       # seconds per depth (all forms of that depth together)
LATENCY_CAP = 90.0         # seconds for the latency pass over all claims
THROUGHPUT_CAP = 30.0      # seconds for the throughput pass
LATEX_CAP = 30.0
LATEX_LINES = 10_000
DEADLINE = 1.0
BASELINE_FORMS = ("printed", "expanded σ(1−σ)", "σ for σ′ (layer 1)")


def _probe(emit):
    found = {}
    try:
        from check import check_claim  # noqa: F401
        found["check_claim"] = ""
    except Exception as e:
        found["check_claim"] = f"{type(e).__name__}: {e}"
    try:
        from check.read.latex import parse_latex_expression  # noqa: F401
        found["latex"] = ""
    except Exception as e:
        found["latex"] = f"{type(e).__name__}: {e}"
    emit(found)


def _forms(depth):
    """(truth, [(form, expected verdict, SymPy claim)]) for ∂L/∂w1 of the depth-D chain."""
    g = parse_spec(chain_spec(depth))
    truth = g.backprop().gradients["w1"]
    z = {j: g.full[f"h{j}"].args[0] for j in range(1, depth + 1)}   # pre-activation of layer j
    w1, b1, x = sym("w1"), sym("b1"), sym("x")
    sig = truth.replace(lambda e: isinstance(e, SigmaPrime), lambda e: Sigma(e.args[0]) * (1 - Sigma(e.args[0])))
    correct = [
        ("printed", truth),
        ("σ(1−σ)", sig),
        ("exp form", truth.replace(lambda e: isinstance(e, SigmaPrime),
                                   lambda e: sympy.exp(-e.args[0]) / (1 + sympy.exp(-e.args[0])) ** 2)),
        ("expanded σ(1−σ)", sympy.expand(sig)),
    ]
    wrong = [("sign", -truth), ("factor 2", 2 * truth), ("factor ½", truth / 2)]
    wrong += [(f"σ for σ′ (layer {j})", truth.xreplace({SigmaPrime(z[j]): Sigma(z[j])}))
              for j in range(1, depth + 1)]
    wrong += [("missing factor x", truth / x), ("extra term + w1", truth + w1),
              ("w1 ↔ b1", truth.xreplace({w1: b1, b1: w1}))]
    return truth, [(f, "correct", e) for f, e in correct] + [(f, "incorrect", e) for f, e in wrong]


def _claims():
    """~200 claim texts: per depth, correct and mutated forms alternately; repeats are re-written
    as `(k*(claim))/k` so that no claim text occurs twice."""
    printer, claims = Text(ascii=True), []
    for depth in CLAIM_DEPTHS:
        _, forms = _forms(depth)
        good = [f for f in forms if f[1] == "correct"]
        bad = [f for f in forms if f[1] == "incorrect"]
        for i in range(CLAIMS_PER_DEPTH):
            pool = good if i % 2 == 0 else bad
            n = i // 2
            form, expected, e = pool[n % len(pool)]
            text = printer.doprint(e)
            if n >= len(pool):
                k = n + 2
                text = f"({k}*({text}))/{k}"
            claims.append({"depth": depth, "spec": chain_spec(depth), "form": form, "expected": expected,
                           "text": text, "plain": n < len(pool)})
    return claims


def _simplify_baseline(emit, depth):
    truth, forms = _forms(depth)
    for form, _, claim in forms:
        if form not in BASELINE_FORMS:
            continue
        clear_cache()
        t0 = time.perf_counter()
        r = sympy.simplify((truth - claim).rewrite(sympy.exp))
        emit({"form": form, "seconds": time.perf_counter() - t0, "zero": r == 0})


def _verdicts(emit, claims, latency_cap, throughput_cap, deadline):
    from check import check_claim
    start = time.perf_counter()
    for i, c in enumerate(claims):
        if time.perf_counter() - start > latency_cap:
            break
        t0 = time.perf_counter()
        try:
            verdict = check_claim(c["spec"], "w1", c["text"], seed=0, deadline=deadline).verdict
        except Exception as e:
            verdict = f"error ({type(e).__name__})"
        emit({"pass": "latency", "i": i, "seconds": time.perf_counter() - t0, "verdict": verdict})
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < throughput_cap and n < len(claims):
        try:
            check_claim(claims[n]["spec"], "w1", claims[n]["text"], seed=0, deadline=deadline)
        except Exception:
            pass
        n += 1
    emit({"pass": "throughput", "n": n, "seconds": time.perf_counter() - t0})


def _latex_rows():
    rows = []
    for spec in [p.read_text() for p in SPECS] + [chain_spec(d) for d in CLAIM_DEPTHS]:
        g = parse_spec(spec)
        tex = g.backprop().to_latex()
        for line in tex.splitlines():
            line = line.strip().removesuffix("\\\\").strip()
            if "&=" in line:
                rows.append((spec, line.split("&=", 1)[1].strip()))
    return rows


def _latex_speed(emit, rows, target, cap):
    import inspect
    from check.read.latex import parse_latex_expression as parse
    required = [p for p in inspect.signature(parse).parameters.values()
                if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    scopes = {}
    if len(required) > 1:
        from check.read.scope import ClaimScope
        try:
            from check.read.matrix import MatrixClaimScope
        except ImportError:
            MatrixClaimScope = None

        def scope_of(spec):       # matrix specs are read with the matrix scope, as check_claim does
            g = parse_spec(spec)
            return MatrixClaimScope(g) if MatrixClaimScope and getattr(g, "is_matrix", False) else ClaimScope(g)
        scopes = {spec: scope_of(spec) for spec, _ in rows}
    for spec, rhs in rows:             # untimed warm-up: builds the grammar, fills caches
        try:
            parse(rhs, scopes[spec]) if scopes else parse(rhs)
        except Exception:
            pass
    failures, done, first_error, failing = 0, 0, "", {}
    t0 = time.perf_counter()
    while done < target and time.perf_counter() - t0 < cap:
        for spec, rhs in rows:
            try:
                parse(rhs, scopes[spec]) if scopes else parse(rhs)
            except Exception as e:
                failures += 1
                first_error = first_error or f"{type(e).__name__}: {e}"
                failing.setdefault(rhs, f"{type(e).__name__}: {e}")
            done += 1
    emit({"lines": done, "seconds": time.perf_counter() - t0, "failures": failures,
          "distinct": len(rows), "first_error": first_error, "scope": bool(scopes), "failing": failing})


def _claim_goals(claims, lat, base, latex_rate):
    """The issue's goals for section 3, each judged on this run's figures."""
    def passed(ok):
        return "**PASS**" if ok else "**MISS**"

    deepest = max(CLAIM_DEPTHS)
    ratios = []
    for form in BASELINE_FORMS[1:]:          # the printed form is the truth itself: simplify has no work
        ours = [r for r in lat if claims[r["i"]]["depth"] == deepest and claims[r["i"]]["form"] == form
                and claims[r["i"]]["plain"]]
        theirs = next((r for r in base[deepest].items if r["form"] == form), None)
        if ours and theirs:
            ratios.append((form, theirs["seconds"] / ours[0]["seconds"]))
        elif ours and base[deepest].status != "ok":
            ratios.append((form, SIMPLIFY_CAP / ours[0]["seconds"]))
    lines = []
    if ratios:
        worst = min(v for _, v in ratios)
        lines.append(f"Goal: ≥ 100× faster than simplify at depth {deepest}: {passed(worst >= 100)} ("
                     + "; ".join(f"{form}: {v:.0f}×" for form, v in ratios)
                     + "; the printed form is the truth itself, so simplify has no work there and it is not counted).")
    p99 = {}
    for depth in CLAIM_DEPTHS:
        secs_ = [r["seconds"] for r in lat if claims[r["i"]]["depth"] == depth]
        if secs_:
            p99[depth] = percentile(secs_, 99)
    if p99:
        lines.append(f"Goal: p99 ≤ 100 ms per claim at every depth: {passed(max(p99.values()) <= 0.1)} (worst "
                     f"p99 {ms(max(p99.values()))} ms at depth {max(p99, key=p99.get)}).")
    if latex_rate is not None:
        lines.append(f"Goal: LaTeX parse ≥ 2,000 lines/s: {passed(latex_rate >= 2000)} ({latex_rate:.0f} lines/s).")
    if lines:
        lines += ["", "The ≥ 300 claims/s goal is judged on the scalar claims of section 5; these depth-1..4 "
                      "chain claims are larger (up to 4 layers, 10 inputs) and are reported for comparison."]
    return lines


def section_check_claim(ctx):
    out = ["## 3. Check engine: verdict time vs `sympy.simplify`, throughput, LaTeX parse speed", ""]
    probe = run_capped(_probe, timeout=60)
    found = probe.items[0] if probe.ok else {"check_claim": probe.error or "probe timed out",
                                             "latex": probe.error or "probe timed out"}
    have_check = found["check_claim"] == ""
    claims = _claims()
    if not have_check:
        out += [f"not yet measured: needs check engine (`from check import check_claim` failed: "
                f"{found['check_claim']})", ""]

    base = {}
    for depth in CLAIM_DEPTHS:
        log(f"simplify baseline depth {depth}")
        res = run_capped(_simplify_baseline, depth, timeout=SIMPLIFY_CAP, mem_bytes=8 * GIB)
        base[depth] = res

    lat, thr = [], None
    if have_check:
        log(f"check_claim on {len(claims)} claims (pinned to one CPU)")
        res = run_capped(_verdicts, claims, LATENCY_CAP, THROUGHPUT_CAP, DEADLINE,
                         timeout=LATENCY_CAP + THROUGHPUT_CAP + 120, mem_bytes=8 * GIB,
                         cpu=sorted(os.sched_getaffinity(0))[0])
        lat = [r for r in res.items if r["pass"] == "latency"]
        thr = next((r for r in res.items if r["pass"] == "throughput"), None)
        if res.status != "ok":
            out += [f"check_claim run stopped early: {res.status} {res.error}".strip(), ""]

    def verdict_cell(depth, form):
        if not have_check:
            return "not yet measured"
        hits = [r for r in lat if claims[r["i"]]["depth"] == depth and claims[r["i"]]["form"] == form
                and claims[r["i"]]["plain"]]
        return f"{ms(hits[0]['seconds'])} ({hits[0]['verdict']})" if hits else "—"

    def simplify_cell(depth, form):
        res = base[depth]
        hit = next((r for r in res.items if r["form"] == form), None)
        if hit:
            return f"{secs(hit['seconds'])} ({'0' if hit['zero'] else 'not 0'})"
        return capped_cell(res, "—", SIMPLIFY_CAP) if res.status != "ok" else "—"

    out += ["### Side by side: one claim ∂L/∂w1, check_claim vs simplify(truth − claim)", ""]
    rows = []
    for depth in CLAIM_DEPTHS:
        row = [depth]
        for form in BASELINE_FORMS:
            row += [verdict_cell(depth, form), simplify_cell(depth, form)]
        rows.append(row)
    header = ["depth"]
    for form in BASELINE_FORMS:
        header += [f"check_claim ms: {form}", f"simplify s: {form}"]
    out += table(header, rows)

    out += ["", f"### Verdict latency over {len(claims)} claims (deadline {DEADLINE:g} s)", ""]
    rows = []
    for depth in list(CLAIM_DEPTHS) + ["all"]:
        mine = [r for r in lat if depth == "all" or claims[r["i"]]["depth"] == depth]
        n = sum(1 for c in claims if depth == "all" or c["depth"] == depth)
        if not have_check:
            rows.append([depth, n, "not yet measured", "not yet measured", "—", "—"])
            continue
        secs_ = [r["seconds"] for r in mine]
        agree = sum(1 for r in mine if r["verdict"] == claims[r["i"]]["expected"])
        undecided = sum(1 for r in mine if r["verdict"] == "undecided")
        rows.append([depth, f"{len(mine)}/{n}", ms(percentile(secs_, 50)) if secs_ else "—",
                     ms(percentile(secs_, 99)) if secs_ else "—", f"{agree}/{len(mine)}", undecided])
    out += table(["depth", "claims timed", "p50 ms", "p99 ms", "verdict as labelled", "undecided"], rows)

    out += ["", "### Throughput and LaTeX parse speed", ""]
    if thr:
        tput = f"{thr['n'] / thr['seconds']:.1f} claims/s ({thr['n']} claims in {secs(thr['seconds'])} s)"
    else:
        tput = "not yet measured: needs check engine" if not have_check else "not measured (run stopped)"
    if lat:
        total = sum(r["seconds"] for r in lat)
        first = f"{len(lat) / total:.1f} claims/s ({len(lat)} claims in {secs(total)} s)"
    else:
        first = tput if not have_check else "not measured (run stopped)"
    latex_rate = None
    if found["latex"] == "":
        log("LaTeX parse speed")
        res = run_capped(_latex_speed, _latex_rows(), LATEX_LINES, LATEX_CAP, timeout=LATEX_CAP + 60)
        if res.ok:
            r = res.items[0]
            latex_rate = r["lines"] / r["seconds"]
            latex = (f"{r['lines'] / r['seconds']:.0f} lines/s ({r['lines']} right-hand sides, {r['distinct']} "
                     f"distinct, {r['failures']} raised" + (
                         "; distinct rows that raise: " + "; ".join(f"`{k}` → {v[:90]}" for k, v in
                                                                 r["failing"].items()) if r["failures"]
                         else "") + ")").replace("|", "\\|")
        else:
            latex = capped_cell(res, "", LATEX_CAP + 60)
    else:
        latex = f"not yet measured: needs check engine (`check.read.latex.parse_latex_expression`: {found['latex']})"
    out += table(["measure", "result"], [["check_claim throughput, one core, first pass", first],
                                        ["check_claim throughput, one core, second pass", tput],
                                        ["LaTeX parse speed", latex]])
    out += [""] + _claim_goals(claims, lat, base, latex_rate)
    counts = {}
    for c in claims:
        counts[c["expected"]] = counts.get(c["expected"], 0) + 1
    out += ["",
            f"Method: claims are ∂L/∂w1 of the depth-1..4 sigmoid chain (section 1's spec), "
            f"{CLAIMS_PER_DEPTH} per depth ({counts.get('correct', 0)} correct, {counts.get('incorrect', 0)} "
            "mutated in all), printed with `derive.printing.Text(ascii=True)`. Correct forms: the printed "
            "`Derivation.gradients['w1']` (σ′), σ′ written σ(1−σ), σ′ written exp(−z)/(1+exp(−z))², and "
            "the σ(1−σ) form multiplied out (`sympy.expand`). Mutations: sign, factor 2, factor ½, σ for σ′ "
            "at each layer, missing factor x, extra term + w1, w1 and b1 swapped. Forms repeat as "
            "`(k*(claim))/k` so no text occurs twice. check_claim(spec_text, 'w1', claim, seed=0, "
            f"deadline={DEADLINE:g}) runs in one forked child pinned to one CPU (affinity, inherited by any "
            f"worker it starts): a latency pass (per-claim wall time, capped at {LATENCY_CAP:g} s; p50/p99 "
            f"nearest-rank), then a throughput pass over the same claims (warm per-spec caches, capped at "
            f"{THROUGHPUT_CAP:g} s). Baseline: `sympy.simplify((truth − claim).rewrite(exp))` on the SymPy "
            "claim (what parsing its text yields; the rewrite is needed for SymPy to relate σ′ to σ), after "
            f"`clear_cache()`, in a forked child capped at {SIMPLIFY_CAP:g} s and 8 GiB per depth (all three "
            "forms share the cap); '0' means simplify proved the difference zero. The printed form is "
            "structurally identical to the truth, so its difference is 0 before simplify starts. LaTeX: "
            "right-hand sides of the `derive --format latex` rows of exercises/specs/*.bp and the depth-1..4 "
            f"chains, one untimed warm-up pass, then repeated to {LATEX_LINES} lines (cap {LATEX_CAP:g} s); with a `ClaimScope` of the spec "
            "(`check.read.matrix.MatrixClaimScope` for matrix specs) when the parser takes a scope."]
    return out


# --------------------------------------------------------------------------------------------
# 4. Batch grading throughput (`check.grading.grade`) vs a naive simplify grader
# --------------------------------------------------------------------------------------------

GRADE_EXERCISE = "csc321-reg-logistic"
GRADE_SAMPLES = ROOT / "exercises" / "samples" / GRADE_EXERCISE
GRADE_STUDENTS = 200
GRADE_GOAL = 10.0          # seconds for 200 students with jobs=2 on 2 cores
GRADE_ORDER = (2, 1, 2, 1)  # jobs per run, alternating, each run in a fresh forked child
GRADE_CAP = 120.0
NAIVE_CAP = 60.0


def _grading_folder(folder):
    """GRADE_STUDENTS files cycling the bundled samples: [(student file, sample it copies)]."""
    src = sorted(p for p in GRADE_SAMPLES.iterdir() if p.is_file())
    out = []
    for i in range(GRADE_STUDENTS):
        s = src[i % len(src)]
        name = f"student{i:03d}{s.suffix}"
        shutil.copyfile(s, Path(folder) / name)
        out.append((name, s.name))
    return out


def _grade_run(emit, folder, jobs):
    import json
    from check.grading import grade
    t0 = time.perf_counter()
    doc = grade(GRADE_EXERCISE, [folder], seed=0, jobs=jobs)
    seconds = time.perf_counter() - t0
    emit({"jobs": jobs, "seconds": seconds, "json": json.dumps(doc, sort_keys=True),
          "graded": doc["summary"]["graded"], "mean": doc["summary"]["mean_score"],
          "unfinished": sum(1 for st in doc["students"] if st.get("error"))})


def _naive_lines(ex, text, name, graph, d, scope):
    """[(truth, claim)] for every adjoint line and every claim part of one submission, both
    SymPy, built with our own readers; (pairs, lines that could not be read)."""
    from derive.errors import ParseError
    from derive.functions import bar
    from check.grading.dispatch import split_parts
    from check.read.scope import is_latex, read_expression
    from check.read.rows import clean, rows, target
    one = {bar(graph.output): sympy.Integer(1)}
    leaf = {bar(n): e for n, e in d.leaf_adjoints.items()}

    def local(e):        # adjoints of other nodes stay symbols; the output's is 1
        return scope.expand(sympy.sympify(e).xreplace(one)).rewrite(sympy.exp)

    def whole(e):        # everything in the leaves
        return scope.expand(sympy.sympify(e).xreplace(leaf)).rewrite(sympy.exp)
    pairs, unread = [], 0
    try:
        parts = split_parts(text, ex, name)
    except ParseError:
        return pairs, 1
    for pid, body in parts.items():
        part = ex.part(pid)
        if part.kind not in ("adjoints", "claim"):
            continue
        fmt = "latex" if is_latex(body) else "plain"
        try:
            rs = rows(clean(body), fmt)
        except ParseError:
            unread += 1
            continue
        if part.kind == "claim":
            rs = rs[-1:]
        current = None
        for r in rs:
            try:
                if part.kind == "claim":
                    kind, var = "derivative", part.wrt
                else:
                    if r.lhs:
                        t = target(r.lhs, r.line)
                        current = (t.kind, scope.lookup(t.name))
                    if current is None or current[0] == "name" or current[1] not in d.by_name:
                        continue
                    kind, var = current
                claim = read_expression(r.rhs, scope, r.line, r.col, fmt)
                if kind == "derivative":
                    pairs.append((whole(d.leaf_adjoints[var]), whole(claim)))
                else:
                    pairs.append((local(d.by_name[var].expr), local(claim)))
            except ParseError:
                unread += 1
    return pairs, unread


def _naive_grade(emit, folder, files):
    """The naive grader: `sympy.simplify(truth - claim) == 0` per line, one file after another."""
    import exercises
    from check.read.documents import extract_math
    from check.read.scope import ClaimScope
    from derive.files import decode
    ex = exercises.load(GRADE_EXERCISE)
    graph = ex.graph
    d = graph.backprop(wrt=graph.inputs)
    scope = ClaimScope(graph)
    for name, sample in files:
        t0 = time.perf_counter()
        text = extract_math(decode((Path(folder) / name).read_bytes(), name))
        pairs, unread = _naive_lines(ex, text, name, graph, d, scope)
        zero = sum(1 for truth, claim in pairs if sympy.simplify(truth - claim) == 0)
        emit({"file": name, "sample": sample, "seconds": time.perf_counter() - t0, "calls": len(pairs),
              "zero": zero, "unread": unread})


def section_grading(ctx):
    import tempfile
    out = [f"## 4. Batch grading: {GRADE_STUDENTS} submissions of `{GRADE_EXERCISE}`, "
           "`check.grading.grade` vs a naive simplify grader", ""]
    parse_spec("f = x\n")
    runs, naive = [], None
    with tempfile.TemporaryDirectory(prefix="barprop-bench-") as folder:
        files = _grading_folder(folder)
        for jobs in GRADE_ORDER:
            log(f"grade {GRADE_STUDENTS} students, jobs={jobs}")
            runs.append((jobs, run_capped(_grade_run, folder, jobs, timeout=GRADE_CAP, group=True)))
        log("naive simplify grader")
        naive = run_capped(_naive_grade, folder, files, timeout=NAIVE_CAP, mem_bytes=8 * GIB)
    rows, best, docs = [], {}, {}
    for k, (jobs, res) in enumerate(runs, 1):
        r = res.items[0] if res.ok and res.items else None
        if r:
            best[jobs] = min(best.get(jobs, float("inf")), r["seconds"])
            docs.setdefault(jobs, []).append(r["json"])
        rows.append([k, jobs, capped_cell(res, secs(r["seconds"]) if r else "", GRADE_CAP),
                     f"{GRADE_STUDENTS / r['seconds']:.1f}" if r else "—",
                     ms(r["seconds"] / GRADE_STUDENTS) if r else "—",
                     f"{r['graded']}" if r else "—", f"{r['mean']}" if r else "—",
                     r["unfinished"] if r else "—"])
    out += table(["run", "jobs", "wall s", "students/s", "ms per student", "graded", "mean score",
                  "students with error"], rows)
    all_docs = [j for js in docs.values() for j in js]
    identical = len(all_docs) == len(runs) and len(set(all_docs)) == 1
    if identical:
        same = f"**yes**: all {len(all_docs)} results.json documents are byte-identical (json.dumps sort_keys)"
    elif len(all_docs) < 2:
        same = "not compared (fewer than two runs finished)"
    else:
        import json as _json
        a, b = (_json.loads(x) for x in (docs.get(1, all_docs)[0], docs.get(2, all_docs[-1:])[0]))
        diff = [s1["student"] for s1, s2 in zip(a["students"], b["students"]) if s1 != s2]
        same = (f"**no**: {len(set(all_docs))} different documents; first students that differ: "
                f"{', '.join(diff[:5]) or '(summary only)'}")
    verdict = "—" if 2 not in best else ("**PASS**" if best[2] <= GRADE_GOAL else "**MISS**")
    speedup = f"; speed-up {best[1] / best[2]:.2f}×" if 1 in best and 2 in best else ""
    out += ["",
            f"Goal: {GRADE_STUDENTS} students graded in ≤ {GRADE_GOAL:g} s with jobs=2 on 2 cores: {verdict} "
            f"(best jobs=2 run {secs(best[2]) + ' s' if 2 in best else '—'}; best jobs=1 run "
            f"{secs(best[1]) + ' s' if 1 in best else '—'}{speedup}).",
            "",
            f"Same results with jobs=1 and jobs=2: {same}.", ""]

    # the naive grader
    items = naive.items if naive else []
    done = len(items)
    calls = sum(i["calls"] for i in items)
    zero = sum(i["zero"] for i in items)
    spent = sum(i["seconds"] for i in items)
    ok_files = [i for i in items if i["sample"].startswith(("ok_", "adjoints_"))]
    false_alarm = sum(i["calls"] - i["zero"] for i in ok_files)
    if done:
        per_file = spent / done
        est = per_file * GRADE_STUDENTS
        measured = done == GRADE_STUDENTS
        naive_total = (f"{secs(spent)} s measured over all {done} files" if measured else
                       f"≈ {secs(est)} s extrapolated ({done} of {GRADE_STUDENTS} files in {secs(spent)} s before "
                       f"the {NAIVE_CAP:g} s cap × {GRADE_STUDENTS}/{done})")
        rows = [["ours: `grade(..., jobs=1)` (best run)", secs(best[1]) if 1 in best else "—",
                 "every part: adjoints, claims, steps; numeric + finite differences, diagnosis, feedback"],
                ["ours: `grade(..., jobs=2)` (best run)", secs(best[2]) if 2 in best else "—", "same, 2 workers"],
                ["naive: `simplify(truth − claim)` per line, 1 process", naive_total,
                 f"adjoint lines and claim parts only ({calls} simplify calls, {ms(spent / max(calls, 1))} ms "
                 "each on average); steps parts not judged"]]
        out += table(["grader", "200 students, s", "what it does"], rows, align="lll")
        worst = max(items, key=lambda i: i["seconds"])
        cycle = len({i["sample"] for i in items})
        first_cycle = sum(i["seconds"] for i in items[:cycle])
        out += ["",
                f"Naive verdicts: {zero} of {calls} differences simplified to 0; on the files copied from "
                f"correct samples (`ok_*`, `adjoints_*`) {false_alarm} line(s) did not simplify to 0 (a naive "
                f"grader would mark them wrong); unreadable lines or parts: {sum(i['unread'] for i in items)}. "
                f"Slowest file: {worst['file']} (copy of `{worst['sample']}`) {ms(worst['seconds'])} ms. The "
                f"first {cycle} files (one per distinct sample) took {secs(first_cycle)} s, i.e. "
                f"{ms(first_cycle / cycle)} ms per file before SymPy's cache has seen the expressions "
                f"(≈ {secs(first_cycle / cycle * GRADE_STUDENTS)} s for {GRADE_STUDENTS} all-different "
                "files at that rate, an extrapolation); later copies are cheaper."
                + ("" if naive.ok else f" Run status: {naive.status} {naive.error}".rstrip() + ".")]
    else:
        out += [f"Naive grader: {capped_cell(naive, 'no file finished', NAIVE_CAP)}"
                + (f" ({naive.error})" if naive.error else "") + "."]
    out += ["",
            f"Method: a temporary folder holds {GRADE_STUDENTS} files `student000…{GRADE_STUDENTS - 1:03d}` with "
            f"the suffix of their source, copied by cycling the {len(list(GRADE_SAMPLES.iterdir()))} files of "
            f"exercises/samples/{GRADE_EXERCISE}/ in name order (correct, partly wrong, unreadable; plain, "
            "Unicode, LaTeX, Markdown, CRLF, BOM). Each run is `check.grading.grade(\"" + GRADE_EXERCISE
            + "\", [folder], seed=0, jobs=N)` timed in-process (wall clock, including loading the exercise, "
            "the truth and the worker pool) in its own freshly forked child of the bench process (modules "
            "imported, Lark grammar built, no check caches), runs alternating jobs "
            + ", ".join(map(str, GRADE_ORDER)) + f", each capped at {GRADE_CAP:g} s; not pinned, the "
            "machine's 2 cores are shared with whatever else runs (load average in the header). Identical = "
            "`json.dumps(doc, sort_keys=True)` equal across all runs. Naive grader: per file, the same "
            "decoding, Markdown extraction and part splitting (`check.grading`), rows and right-hand sides read "
            "with our own readers (`check.read.rows.rows`, `check.read.scope.read_expression` with a "
            "`ClaimScope`); then per adjoint line `sympy.simplify(truth − claim) == 0` with truth = the "
            "spec's adjoint of that line, forward names expanded, other adjoints kept as symbols, L̄_reg = 1, "
            "and per claim part the gradient in the leaves; both sides `.rewrite(exp)` (without it SymPy "
            "cannot relate σ′ to σ). It runs in one forked child, one file after another, SymPy's cache "
            f"kept (as one naive grading process would), capped at {NAIVE_CAP:g} s and 8 GiB; when the cap "
            "hits, the total is extrapolated from the files done (stated in the table)."]
    return out


# --------------------------------------------------------------------------------------------
# 5. Scalar claims per second on one core (reglog spec text)
# --------------------------------------------------------------------------------------------

RL_SPEC = ROOT / "exercises" / "specs" / "reglog.bp"
RL_GOAL = 300.0            # claims/s on one core
RL_PER_LIST = 150
RL_RUNS = 2                # fresh children; the table shows the faster run per list, and both rates
RL_LIST_CAP = 30.0         # seconds per list (the rest of the list is skipped)
RL_NAIVE_CAP = 90.0
# (wrt, claim, format) -- correct forms as students write them
RL_CORRECT = [
    ("w", "(sigma(w*x + b) - t)*sigma'(w*x + b)*x + lambda*w", "plain"),
    ("w", "(y - t)*sigma'(z)*x + lambda*w", "plain"),
    ("w", "(y - t)*y*(1 - y)*x + lambda*w", "plain"),
    ("w", "x*(sigma(z) - t)*sigma(z)*(1 - sigma(z)) + w*lambda", "plain"),
    ("w", "dL_reg/dw = (y-t)*sigma'(w*x+b)*x + lambda*w", "plain"),
    ("w", "w_bar = z_bar*x + R_bar*w", "plain"),
    ("w", "(exp(-z)/(1+exp(-z))^2)*(y-t)*x + lambda*w", "plain"),
    ("w", r"\left(\sigma(wx + b) - t\right) \sigma'(wx + b)\, x + \lambda w", "latex"),
    ("w", r"\frac{\partial \mathcal{L}_{reg}}{\partial w} = (y - t)\,y\,(1 - y)\,x + \lambda w", "latex"),
    ("b", "(sigma(w*x + b) - t)*sigma'(w*x + b)", "plain"),
    ("b", "(y - t)*y*(1 - y)", "plain"),
    ("b", "z_bar", "plain"),
    ("b", "(sigma(z)-t)*sigma'(z)", "plain"),
    ("b", r"\overline{z}", "latex"),
]
# the mistakes of the bundled wrong samples and a few more
RL_WRONG = [
    ("w", "(t - sigma(w*x + b))*sigma'(w*x + b)*x + lambda*w", "plain"),
    ("w", "(y - t)*sigma'(z)*x", "plain"),
    ("w", "(y - t)*sigma'(z) + lambda*w", "plain"),
    ("w", "2*(y - t)*sigma'(z)*x + lambda*w", "plain"),
    ("w", "(y - t)*sigma(z)*x + lambda*w", "plain"),
    ("w", "(y - t)*sigma'(z)*x + 1/2*lambda*w", "plain"),
    ("w", "(y - t)*sigma'(z)*x + 2*lambda*w", "plain"),
    ("w", "(y - t)*sigma'(z)*b + lambda*w", "plain"),
    ("w", "(y - t)*sigma'(z)*x - lambda*w", "plain"),
    ("w", r"(y - t)\,\sigma(z)\,x + \lambda w", "latex"),
    ("b", "(t - y)*sigma'(z)", "plain"),
    ("b", "2*(y-t)*sigma'(z)", "plain"),
    ("b", "(y-t)*sigma(z)", "plain"),
    ("b", "(y-t)*sigma'(z)*x", "plain"),
    ("b", "(y-t)*sigma'(z) + lambda*b", "plain"),
]


def _rl_text(form, k):
    """Repeat k (0 = as written) of a claim, as a different text: (k+1)·(claim)/(k+1)."""
    _, text, fmt = form
    if k == 0:
        return text
    rhs = text.split("=", 1)[1] if "=" in text else text
    m = k + 1
    return f"\\frac{{{m}\\left({rhs}\\right)}}{{{m}}}" if fmt == "latex" else f"({m}*({rhs}))/{m}"


def _rl_list(kind, n):
    """n claims: [(wrt, text, expected, form index)]; mixed alternates correct and wrong."""
    out = []
    for i in range(n):
        if kind == "mixed":
            pool, expected, j = (RL_CORRECT, "correct", i // 2) if i % 2 == 0 else (RL_WRONG, "incorrect", i // 2)
        else:
            pool, expected, j = (RL_CORRECT, "correct", i) if kind == "correct" else (RL_WRONG, "incorrect", i)
        form = pool[j % len(pool)]
        out.append((form[0], _rl_text(form, j // len(pool)), expected, (expected, j % len(pool))))
    return out


def _rl_rates(emit, spec, lists, list_cap):
    from check import check_claim
    t0 = time.perf_counter()
    check_claim(spec, "w", "z_bar*x + R_bar*w", seed=0)
    t1 = time.perf_counter()
    check_claim(spec, "b", r"\bar{z}", seed=0)
    emit({"first": t1 - t0, "first_latex": time.perf_counter() - t1})
    for label, claims, deadline in lists:
        times, agree, forms, share, start = [], 0, {}, {}, time.perf_counter()
        for wrt, text, expected, form in claims:
            if time.perf_counter() - start > list_cap:
                break
            t0 = time.perf_counter()
            try:
                verdict = check_claim(spec, wrt, text, seed=0, deadline=deadline).verdict
            except Exception as e:
                verdict = f"error ({type(e).__name__})"
            dt = time.perf_counter() - t0
            times.append(dt)
            agree += verdict == expected
            forms.setdefault(form, (dt, verdict))
            n, total = share.get(form, (0, 0.0))
            share[form] = (n + 1, total + dt)
        emit({"label": label, "times": times, "n": len(claims), "agree": agree, "deadline": deadline,
              "wall": time.perf_counter() - start, "forms": forms, "share": share})


def _rl_naive(emit, spec):
    from derive.functions import bar
    from check.read.scope import ClaimScope, read_expression
    from check.read.rows import clean, rows
    g = parse_spec(spec)
    d = g.backprop(wrt=g.inputs)
    scope = ClaimScope(g)
    leaf = {bar(n): e for n, e in d.leaf_adjoints.items()}
    for expected, pool in (("correct", RL_CORRECT), ("incorrect", RL_WRONG)):
        for j, (wrt, text, fmt) in enumerate(pool):
            read_expression("x", scope, fmt=fmt)      # untimed: builds the reader's grammar
            t0 = time.perf_counter()
            row = rows(clean(text), fmt)[0]
            claim = scope.expand(sympy.sympify(read_expression(row.rhs, scope, fmt=fmt)).xreplace(leaf))
            truth = scope.expand(d.leaf_adjoints[wrt])
            t1 = time.perf_counter()
            zero = sympy.simplify((truth - claim).rewrite(sympy.exp)) == 0
            t2 = time.perf_counter()
            emit({"form": (expected, j), "read": t1 - t0, "simplify": t2 - t1, "total": t2 - t0, "zero": zero})


def section_claims_per_second(ctx):
    out = ["## 5. Scalar claims per second on one core: `check_claim` on the reglog spec text", ""]
    spec = RL_SPEC.read_text()
    parse_spec("f = x\n")
    lists = [("correct only", _rl_list("correct", RL_PER_LIST), 1.0),
             ("wrong only", _rl_list("wrong", RL_PER_LIST), 1.0),
             ("mixed ½ / ½", _rl_list("mixed", RL_PER_LIST), 1.0),
             ("mixed ½ / ½, deadline=0 (as `grade` runs it)", _rl_list("mixed", RL_PER_LIST), 0.0)]
    cpu = sorted(os.sched_getaffinity(0))[0]
    runs = []
    for k in range(RL_RUNS):
        log(f"check_claim rates on reglog, run {k + 1}/{RL_RUNS} ({sum(len(c) for _, c, _ in lists)} claims, "
            f"pinned to CPU {cpu})")
        runs.append(run_capped(_rl_rates, spec, lists, RL_LIST_CAP, timeout=len(lists) * RL_LIST_CAP + 60,
                               mem_bytes=8 * GIB, cpu=cpu))
    log("naive simplify per claim")
    naive = run_capped(_rl_naive, spec, timeout=RL_NAIVE_CAP, mem_bytes=8 * GIB, cpu=cpu)
    res = runs[0]
    first = next((r for r in res.items if "first" in r), None)

    def rate_of(r):
        return len(r["times"]) / sum(r["times"]) if r["times"] else 0.0
    by_label = {}
    for k, run in enumerate(runs):
        for r in run.items:
            if "label" in r:
                by_label.setdefault(r["label"], []).append(r)
    done = [max(rs, key=rate_of) for rs in by_label.values()]
    rows, mixed = [], None
    for r in done:
        t = r["times"]
        rate = rate_of(r)
        if r["label"] == "mixed ½ / ½":
            mixed = rate
        others = ", ".join(f"{rate_of(o):.0f}" for o in by_label[r["label"]])
        rows.append([r["label"], f"{len(t)}/{r['n']}", f"{r['deadline']:g}", f"{rate:.0f}", others,
                     "**PASS**" if rate >= RL_GOAL else "**MISS**", ms(percentile(t, 50)) if t else "—",
                     ms(percentile(t, 99)) if t else "—", ms(max(t)) if t else "—", f"{r['agree']}/{len(t)}"])
    out += table(["claims", "timed", "deadline s", "claims/s (best run)", "claims/s per run", f"≥ {RL_GOAL:g}/s",
                  "p50 ms", "p99 ms", "max ms", "verdict as labelled"], rows)
    for k, run in enumerate(runs, 1):
        if run.status != "ok":
            out += ["", f"run {k} stopped early: {run.status} {run.error}".rstrip()]
    verdict = "—" if mixed is None else ("**PASS**" if mixed >= RL_GOAL else "**MISS**")
    out += ["", f"Goal: ≥ {RL_GOAL:g} claims/s on one core for a mix of correct and wrong claims (default "
            f"deadline): {verdict} ({'—' if mixed is None else f'{mixed:.0f}'} claims/s). Untimed first calls "
            f"in the process: a plain claim (parses the spec, builds the truth at 16 points) "
            f"{'—' if first is None else ms(first['first']) + ' ms'}, then a LaTeX claim (builds the LaTeX "
            f"reader) {'—' if first is None else ms(first['first_latex']) + ' ms'}.", ""]
    forms_by_key = {(e, j): f for e, pool in (("correct", RL_CORRECT), ("incorrect", RL_WRONG))
                    for j, f in enumerate(pool)}
    for r in done:
        if not r["label"].startswith("mixed") or not r["share"]:
            continue
        total = sum(t for _, t in r["share"].values())
        top = sorted(r["share"].items(), key=lambda kv: -kv[1][1])[:3]
        out += [f"Where the time of *{r['label']}* goes (Σ {ms(total)} ms over {len(r['times'])} claims): "
                + "; ".join(f"`{forms_by_key[k][1]}` ({k[0]}) {n}× = {ms(t)} ms ({100 * t / total:.0f} %)"
                            for k, (n, t) in top) + ".", ""]

    # per form, side by side with the naive simplify
    ours = {}
    for r in done:
        if r["deadline"] == 1.0 and "mixed" not in r["label"]:
            ours.update(r["forms"])
    theirs = {r["form"]: r for r in naive.items}
    rows, tot_ours, tot_theirs, n_both = [], 0.0, 0.0, 0
    for expected, pool in (("correct", RL_CORRECT), ("incorrect", RL_WRONG)):
        for j, (wrt, text, fmt) in enumerate(pool):
            o, t = ours.get((expected, j)), theirs.get((expected, j))
            if o and t:
                tot_ours += o[0]
                tot_theirs += t["total"]
                n_both += 1
            rows.append([f"`{text}`".replace("|", "\\|"), wrt, expected,
                         f"{ms(o[0])} ({o[1]})" if o else "—",
                         f"{ms(t['total'])} = {ms(t['read'])} + {ms(t['simplify'])} ({'0' if t['zero'] else 'not 0'})"
                         if t else capped_cell(naive, "—", RL_NAIVE_CAP) if naive.status != "ok" else "—",
                         f"{t['total'] / o[0]:.1f}×" if o and t and o[0] > 0 else "—"])
    out += ["### Per claim form, first occurrence: check_claim vs `simplify(truth − claim)`", ""]
    out += table(["claim", "wrt", "label", "check_claim ms (verdict)", "naive ms = read + simplify (result)",
                  "naive / check"],
                 rows, align="lllrrr")
    naive_wrong = sum(1 for r in naive.items if (r["form"][0] == "correct") != r["zero"])
    out += ["",
            (f"Over the {n_both} forms both finished: check_claim {ms(tot_ours / n_both)} ms per claim on average "
             f"(= {n_both / tot_ours:.0f} claims/s), naive read + simplify {ms(tot_theirs / n_both)} ms "
             f"(= {n_both / tot_theirs:.1f} claims/s): the naive way takes {tot_theirs / tot_ours:.2f}× as long. "
             f"Simplify's result disagreed with the label on {naive_wrong} of {len(naive.items)} forms."
             if n_both else "No form finished on both sides.")
            + ("" if naive.ok else f" Naive run: {naive.status} {naive.error}".rstrip() + "."),
            "",
            f"Method: `check_claim(spec_text, wrt, claim, seed=0, deadline=D)` with the TEXT of "
            f"exercises/specs/reglog.bp (the engine caches parsed specs by text and the truth by graph "
            f"content, so every call reads the claim and judges it, the spec and its 16 points are reused). "
            f"{len(RL_CORRECT)} correct forms (σ′, σ(1−σ), y(1−y), exp form, adjoint names, with a "
            f"left-hand side, LaTeX) and {len(RL_WRONG)} wrong ones (sign, missing term/factor, factor 2 or ½, "
            f"σ for σ′, b for x, LaTeX) for ∂L_reg/∂w and ∂L_reg/∂b; each list has {RL_PER_LIST} claims cycling "
            f"its forms, repeats written as `(k*(claim))/k` (LaTeX `\\frac{{k\\left(…\\right)}}{{k}}`) so no "
            f"text repeats (the parsed expressions do, so SymPy's own cache may help repeats). Mixed alternates "
            f"correct and wrong. Wrong claims cost more on the numeric side (diagnosis); with a deadline > 0 "
            f"correct claims whose difference is not literally 0 also get the symbolic check, in a forked "
            f"child (`check.evidence`). All lists run in one forked child pinned to one CPU (affinity, inherited "
            f"by the symbolic check's child), after two untimed first calls (plain, LaTeX); claims/s = claims timed / Σ "
            f"per-claim wall time; p50/p99 nearest-rank, of the faster run; each list capped at {RL_LIST_CAP:g} s. "
            f"The whole child runs {RL_RUNS} times (fresh fork each time, same claims) because other work on "
            f"the machine shifts single runs by up to 2×. Naive: per "
            f"distinct form, the claim read with our readers, forward names and adjoints expanded to the "
            f"leaves (*read*), then `sympy.simplify((truth − claim).rewrite(exp)) == 0`; after one untimed read "
            f"that builds the reader's grammar; in a forked child on the same CPU, SymPy cache not cleared, "
            f"capped at {RL_NAIVE_CAP:g} s for all forms. The per-form check_claim time is the first occurrence "
            f"in the correct-only / wrong-only lists (default deadline)."]
    return out


# --------------------------------------------------------------------------------------------
# 6. Matrix claim at D = H = 64 (issue #7)
# --------------------------------------------------------------------------------------------

MX_D = 64
MX_K = 10
MX_GOAL = 1.0
MX_SCALING = (16, 32, 64, 128)
MX_WARM_REPS = 3
MX_COLD_RUNS = 3           # fresh children timing the first call; the goal is judged on their median
MX_CAP = 120.0
MX_CLAIM = "(W2.T @ (y - t) * sigma'(W1 @ x)) @ x.T"
MX_WRONG = [("σ for σ′", "(W2.T @ (y - t) * sigma(W1 @ x)) @ x.T"),
            ("transposed", "x @ (W2.T @ (y - t) * sigma'(W1 @ x)).T"),
            ("factor 2", "2*(W2.T @ (y - t) * sigma'(W1 @ x)) @ x.T"),
            ("missing σ′ factor", "(W2.T @ (y - t)) @ x.T"),
            ("W2 for W2.T (shapes)", "(W2 @ (y - t) * sigma'(W1 @ x)) @ x.T")]


def mlp_spec(d, h, k, seed=0):
    """The two-layer net of issue #7 with an `at:` point of size D, H, K (nested lists, 3 decimals)."""
    import random
    rng = random.Random(seed)

    def mat(r, c):
        return "[" + ", ".join("[" + ", ".join(f"{rng.uniform(-1, 1):.3f}" for _ in range(c)) + "]"
                               for _ in range(r)) + "]"

    def vec(n):
        return "[" + ", ".join(f"{rng.uniform(-1, 1):.3f}" for _ in range(n)) + "]"
    return ("W1: matrix(H, D)\nx: vector(D)\nW2: matrix(K, H)\nt: vector(K)\n"
            "h = sigma(W1 @ x)\ny = W2 @ h\nL = 1/2*sum((y - t)^2)\n"
            f"at: W1={mat(h, d)}, x={vec(d)}, W2={mat(k, h)}, t={vec(k)}\n")


def _mx_claims(emit, text, reps):
    from check import check_claim
    t0 = time.perf_counter()
    v = check_claim(text, "W1", MX_CLAIM)
    emit({"kind": "cold", "seconds": time.perf_counter() - t0, "verdict": v.verdict,
          "sizes": v.evidence.get("numeric", {}).get("sizes"), "points": v.evidence.get("numeric", {}).get("points")})
    warm = []
    for _ in range(reps):
        t0 = time.perf_counter()
        check_claim(text, "W1", MX_CLAIM)
        warm.append(time.perf_counter() - t0)
    emit({"kind": "warm", "seconds": median(warm)})
    for label, claim in MX_WRONG:
        t0 = time.perf_counter()
        try:
            v = check_claim(text, "W1", claim)
            verdict = v.verdict + (f", {v.diagnosis['kind']}" if v.diagnosis else "")
        except Exception as e:
            verdict = f"{type(e).__name__}: {str(e)[:60]}"
        emit({"kind": "wrong", "label": label, "seconds": time.perf_counter() - t0, "verdict": verdict})


def _mx_cold(emit, text):
    from check import check_claim
    t0 = time.perf_counter()
    check_claim(text, "W1", MX_CLAIM)
    emit(time.perf_counter() - t0)


def _mx_phases(emit, text):
    from check import check_claim
    from check.evidence.matrix import matrix_truth
    t0 = time.perf_counter()
    g = parse_spec(text)
    t1 = time.perf_counter()
    matrix_truth(g, 0)
    t2 = time.perf_counter()
    check_claim(g, "W1", MX_CLAIM)
    t3 = time.perf_counter()
    emit({"parse": t1 - t0, "truth": t2 - t1, "judge": t3 - t2})


def _mx_profile(emit, text, top):
    import cProfile
    import pstats
    from check import check_claim
    prof = cProfile.Profile()
    prof.enable()
    check_claim(text, "W1", MX_CLAIM)
    prof.disable()
    st = pstats.Stats(prof)
    rows = []
    for (file, line, fn), (cc, nc, tt, ct, _) in st.stats.items():
        rows.append((ct, tt, nc, f"{Path(file).name}:{line}({fn})"))
    emit({"cumulative": sorted(rows, reverse=True)[:top],
          "tottime": sorted(rows, key=lambda r: r[1], reverse=True)[:top], "total": st.total_tt})


def section_matrix_claim(ctx):
    out = [f"## 6. Matrix claim at D = H = {MX_D}, K = {MX_K}: two-layer net, ∂L/∂W1 (issue #7)", ""]
    parse_spec("f = x\n")
    text = mlp_spec(MX_D, MX_D, MX_K)
    log(f"matrix claim D=H={MX_D}")
    res = run_capped(_mx_claims, text, MX_WARM_REPS, timeout=MX_CAP, mem_bytes=8 * GIB)
    phases = run_capped(_mx_phases, text, timeout=MX_CAP, mem_bytes=8 * GIB)
    cold = next((r for r in res.items if r["kind"] == "cold"), None)
    warm = next((r for r in res.items if r["kind"] == "warm"), None)
    firsts = [cold["seconds"]] if cold else []
    for _ in range(MX_COLD_RUNS - 1):
        r = run_capped(_mx_cold, text, timeout=MX_CAP, mem_bytes=8 * GIB)
        firsts += r.items
    if cold:
        cold = dict(cold, seconds=median(firsts))
    rows = [[f"`{MX_CLAIM}` (correct), first call: parse spec + truth + judge; median of {len(firsts)} fresh "
             f"children ({', '.join(ms(f) for f in firsts)})",
             capped_cell(res, ms(cold["seconds"]) if cold else "—", MX_CAP), cold["verdict"] if cold else "—"],
            [f"same claim again, median of {MX_WARM_REPS} (spec and truth cached)",
             ms(warm["seconds"]) if warm else "—", ""]]
    for r in res.items:
        if r["kind"] == "wrong":
            rows.append([f"{r['label']}: `{next(c for l, c in MX_WRONG if l == r['label'])}` (cached)",
                         ms(r["seconds"]), r["verdict"]])
    out += table(["claim", "ms", "verdict"], rows, align="lrl")
    if res.status != "ok":
        out += ["", f"run stopped: {res.status} {res.error}".rstrip()]
    if phases.ok:
        p = phases.items[0]
        out += ["", f"Where the first call's time goes (separate fresh child): `parse_spec` of the "
                f"{len(text) / 1000:.0f} kB spec text (the `at:` lists) {ms(p['parse'])} ms; the truth "
                f"(`check.evidence.matrix.matrix_truth`: backprop, {cold['points'] if cold else '?'} points at 30 digits, "
                f"directions) {ms(p['truth'])} ms; judging the claim {ms(p['judge'])} ms."]
    else:
        out += ["", f"Phase breakdown: {capped_cell(phases, '', MX_CAP)}"]
    if cold and cold.get("sizes"):
        out += ["", "Sizes the claim was evaluated at: " + "; ".join(
            ", ".join(f"{k}={v}" for k, v in s.items()) for s in cold["sizes"]) + "."]
    verdict = "—" if cold is None else ("**PASS**" if cold["seconds"] < MX_GOAL else "**MISS**")
    out += ["", f"Goal (issue #7): the check of this claim at D = H = {MX_D} under {MX_GOAL:g} s: {verdict} "
            f"(first call {ms(cold['seconds']) + ' ms' if cold else '—'}, median of {len(firsts)}; the goal is judged "
            "on the first call, which includes parsing the spec text and computing the truth)."]
    if cold and cold["seconds"] >= MX_GOAL:
        log("profiling the matrix claim")
        prof = run_capped(_mx_profile, text, 15, timeout=MX_CAP * 2, mem_bytes=8 * GIB)
        if prof.ok:
            pr = prof.items[0]
            out += ["", f"cProfile of the first call ({secs(pr['total'])} s under the profiler), top 15 by "
                    "cumulative time:", ""]
            out += table(["function", "calls", "cumulative s", "own s"],
                         [[f"`{f}`", n, f"{c:.3f}", f"{t:.3f}"] for c, t, n, f in pr["cumulative"]], align="lrrr")
            out += ["", "Top 15 by own time:", ""]
            out += table(["function", "calls", "own s", "cumulative s"],
                         [[f"`{f}`", n, f"{t:.3f}", f"{c:.3f}"] for c, t, n, f in pr["tottime"]], align="lrrr")
        else:
            out += ["", f"profile: {capped_cell(prof, '', MX_CAP * 2)}"]

    rows = []
    for d in MX_SCALING:
        log(f"matrix claim scaling D=H={d}")
        r = run_capped(_mx_phases, mlp_spec(d, d, MX_K), timeout=MX_CAP, mem_bytes=8 * GIB)
        p = r.items[0] if r.ok else None
        rows.append([d, f"{len(mlp_spec(d, d, MX_K)) / 1000:.1f}",
                     capped_cell(r, ms(p["parse"]) if p else "", MX_CAP), ms(p["truth"]) if p else "—",
                     ms(p["judge"]) if p else "—", ms(p["parse"] + p["truth"] + p["judge"]) if p else "—"])
    out += ["", "Scaling (each size in a fresh child, phases as above):", ""]
    out += table(["D = H", "spec kB", "parse_spec ms", "truth ms", "judge ms", "total ms"], rows)
    out += ["",
            "Method: the spec `W1: matrix(H, D)`, `x: vector(D)`, `W2: matrix(K, H)`, `t: vector(K)`, "
            "`h = sigma(W1 @ x)`, `y = W2 @ h`, `L = 1/2*sum((y - t)^2)` with an `at:` line of nested lists "
            "(uniform(−1, 1) with 3 decimals, `random.Random(0)`), so the at-point of size D = H = "
            f"{MX_D}, K = {MX_K} is one of the points the engine evaluates, next to its random small size "
            "settings. `check_claim(spec_text, \"W1\", claim)` with default seed 0 and deadline, timed in a "
            "freshly forked child (modules imported and the Lark grammar built before forking, no check "
            "caches): the first call, then the same claim again (median of "
            f"{MX_WARM_REPS}), then wrong claims (truth cached); the first call is timed in {MX_COLD_RUNS} fresh "
            "children in all (median reported). The phase split runs `parse_spec`, "
            "`check.evidence.matrix.matrix_truth(graph, 0)` and `check_claim(graph, …)` one after the other in "
            f"another fresh child; each child capped at {MX_CAP:g} s and 8 GiB. A cProfile is printed only "
            "when the first call misses the goal."]
    return out


# --------------------------------------------------------------------------------------------

SECTIONS = [
    ("adjoint-size", section_adjoint_size),
    ("derive-time", section_derive_time),
    ("check-claim", section_check_claim),
    ("grading", section_grading),
    ("claims-per-second", section_claims_per_second),
    ("matrix-claim", section_matrix_claim),
]


def _version(mod):
    try:
        return __import__(mod).__version__
    except Exception:
        return "not installed"


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _load():
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def header():
    from importlib.metadata import version
    now = datetime.datetime.now(datetime.timezone.utc)
    rows = [
        ["date (UTC)", now.strftime("%Y-%m-%d %H:%M")],
        ["platform", platform.platform()],
        ["CPU", _cpu_model()],
        ["CPU count (os / usable)", f"{os.cpu_count()} / {len(os.sched_getaffinity(0))}"],
        ["python", platform.python_version() + f" ({platform.python_implementation()})"],
        ["sympy", sympy.__version__],
        ["mpmath", _version("mpmath")],
        ["lark", _version("lark")],
        ["barprop", version("barprop")],
        ["load average at start (1/5/15 min)", _load()],
    ]
    return ["# barprop benchmarks", "",
            "Generated by `.venv/bin/python bench/run.py` (method in its docstring and under each table). "
            "Every figure below was measured in the same run on this machine; do not edit by hand.", ""] \
        + table(["", ""], rows) + [""]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [n for n, _ in SECTIONS]
    p.add_argument("sections", nargs="*", metavar="SECTION", help=f"one of {', '.join(names)} (default: all)")
    p.add_argument("--out", default=str(HERE / "RESULTS.md"))
    a = p.parse_args(argv)
    unknown = [s for s in a.sections if s not in names]
    if unknown:
        p.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(names)}")
    chosen = [(n, f) for n, f in SECTIONS if not a.sections or n in a.sections]
    start = time.monotonic()
    lines = header()
    for name, fn in chosen:
        t0 = time.monotonic()
        log(f"section {name}")
        try:
            body = fn({})
        except Exception as e:   # one broken section must not lose the others
            body = [f"## {name}", "", f"section failed: {type(e).__name__}: {e}"]
        lines += body + ["", f"_Section time: {secs(time.monotonic() - t0)} s._", ""]
    lines += [f"Total run time: {secs(time.monotonic() - start)} s; load average at end (1/5/15 min): "
              f"{_load()}. A load above 0 at start means other processes shared the 2 cores.", ""]
    out = Path(a.out)
    tmp = out.with_suffix(".tmp")
    tmp.write_text("\n".join(lines))
    tmp.replace(out)
    log(f"wrote {out} in {secs(time.monotonic() - start)} s")


if __name__ == "__main__":
    main()
