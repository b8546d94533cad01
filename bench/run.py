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
                 on one core; LaTeX parse speed (`check.latex.parse_latex_expression`). Parts whose
                 API does not exist yet print "not yet measured: needs check engine"; they are
                 guarded by import only, so they run for real once the API lands.

Usage: .venv/bin/python bench/run.py [--out PATH] [SECTION ...]   (default: all sections)
"""
import argparse
import datetime
import io
import os
import platform
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
            "(every adjoint, in forward names and bar symbols); *after CSE* = the same adjoints after "
            "`sympy.cse` (replacements + reduced expressions), i.e. if shared subexpressions such as the "
            "pre-activation inside σ′ were named once. *SymPy diff* = `sympy.diff(Graph.full[output], w1)`, "
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
        from check.latex import parse_latex_expression  # noqa: F401
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
    from check.latex import parse_latex_expression as parse
    required = [p for p in inspect.signature(parse).parameters.values()
                if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    scopes = {}
    if len(required) > 1:
        from check.scope import ClaimScope
        scopes = {spec: ClaimScope(parse_spec(spec)) for spec, _ in rows}
    for spec, rhs in rows:             # untimed warm-up: builds the grammar, fills caches
        try:
            parse(rhs, scopes[spec]) if scopes else parse(rhs)
        except Exception:
            pass
    failures, done, first_error = 0, 0, ""
    t0 = time.perf_counter()
    while done < target and time.perf_counter() - t0 < cap:
        for spec, rhs in rows:
            try:
                parse(rhs, scopes[spec]) if scopes else parse(rhs)
            except Exception as e:
                failures += 1
                first_error = first_error or f"{type(e).__name__}: {e}"
            done += 1
    emit({"lines": done, "seconds": time.perf_counter() - t0, "failures": failures,
          "distinct": len(rows), "first_error": first_error, "scope": bool(scopes)})


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
    if found["latex"] == "":
        log("LaTeX parse speed")
        res = run_capped(_latex_speed, _latex_rows(), LATEX_LINES, LATEX_CAP, timeout=LATEX_CAP + 60)
        if res.ok:
            r = res.items[0]
            latex = (f"{r['lines'] / r['seconds']:.0f} lines/s ({r['lines']} right-hand sides, {r['distinct']} "
                     f"distinct, {r['failures']} raised" + (f"; first: {r['first_error'][:80]}" if r["failures"]
                                                              else "") + ")")
        else:
            latex = capped_cell(res, "", LATEX_CAP + 60)
    else:
        latex = f"not yet measured: needs check engine (`check.latex.parse_latex_expression`: {found['latex']})"
    out += table(["measure", "result"], [["check_claim throughput, one core, first pass", first],
                                        ["check_claim throughput, one core, second pass", tput],
                                        ["LaTeX parse speed", latex]])
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
            "when the parser takes a scope."]
    return out


# --------------------------------------------------------------------------------------------

SECTIONS = [
    ("adjoint-size", section_adjoint_size),
    ("derive-time", section_derive_time),
    ("check-claim", section_check_claim),
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
