"""6. A matrix claim at D = H = 64, its phases, and scaling."""
import time
from pathlib import Path


from benchlib import (GIB, capped_cell, log, median, ms, run_capped, secs, table)
from derive import parse_spec


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


def mlp_spec(d, h, k, seed=0, digits=3):
    """The two-layer net of issue #7 with an `at:` point of size D, H, K (nested lists, `digits` decimals)."""
    import random
    rng = random.Random(seed)

    def mat(r, c):
        return "[" + ", ".join("[" + ", ".join(f"{rng.uniform(-1, 1):.{digits}f}" for _ in range(c)) + "]"
                               for _ in range(r)) + "]"

    def vec(n):
        return "[" + ", ".join(f"{rng.uniform(-1, 1):.{digits}f}" for _ in range(n)) + "]"
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
                f"(`check.evidence.matrix.matrix_truth`: backprop, {cold['points'] if cold else '?'} points, the spec's large "
                f"one in float64 with error bounds and the others at 30 digits, directions) {ms(p['truth'])} ms; judging the claim {ms(p['judge'])} ms."]
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


section = section_matrix_claim


if __name__ == "__main__":
    print("\n".join(section({})))
