"""5. Scalar claims per second on one core (the reglog spec text)."""
import os
import time

import sympy

from benchlib import (ROOT, GIB, capped_cell, log, ms, percentile, run_capped, table)
from derive import parse_spec


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


# untimed wrong claims: the diagnosis is loaded on the first, numpy (float64 evidence) on the second
WARM_WRONG = ("x", "2*x")


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
    t2 = time.perf_counter()
    for wrong in WARM_WRONG:
        check_claim(spec, "w", wrong, seed=0)
    emit({"first": t1 - t0, "first_latex": t2 - t1, "first_wrong": time.perf_counter() - t2})
    for label, claims, deadline in lists:
        times, agree, forms, share, start, cpu = [], 0, {}, {}, time.perf_counter(), time.process_time()
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
              "cpu": time.process_time() - cpu,
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
        cpu = f"{len(t) / r['cpu']:.0f}" if t and r.get("cpu") else "—"
        rows.append([r["label"], f"{len(t)}/{r['n']}", f"{r['deadline']:g}", f"{rate:.0f}", others, cpu,
                     "**PASS**" if rate >= RL_GOAL else "**MISS**", ms(percentile(t, 50)) if t else "—",
                     ms(percentile(t, 99)) if t else "—", ms(max(t)) if t else "—", f"{r['agree']}/{len(t)}"])
    out += table(["claims", "timed", "deadline s", "claims/s (best run)", "claims/s per run",
                  "claims/s of CPU time (best run)", f"≥ {RL_GOAL:g}/s",
                  "p50 ms", "p99 ms", "max ms", "verdict as labelled"], rows)
    for k, run in enumerate(runs, 1):
        if run.status != "ok":
            out += ["", f"run {k} stopped early: {run.status} {run.error}".rstrip()]
    verdict = "—" if mixed is None else ("**PASS**" if mixed >= RL_GOAL else "**MISS**")
    out += ["", f"Goal: ≥ {RL_GOAL:g} claims/s on one core for a mix of correct and wrong claims (default "
            f"deadline): {verdict} ({'—' if mixed is None else f'{mixed:.0f}'} claims/s). Untimed first calls "
            f"in the process: a plain claim (parses the spec, builds the truth at 16 points) "
            f"{'—' if first is None else ms(first['first']) + ' ms'}, then a LaTeX claim (builds the LaTeX "
            f"reader) {'—' if first is None else ms(first['first_latex']) + ' ms'}, then {len(WARM_WRONG)} wrong "
            f"claims (load the diagnosis, then numpy for the float64 evidence) "
            f"{'—' if first is None else ms(first['first_wrong']) + ' ms'} together.", ""]
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
            f"by the symbolic check's child), after untimed first calls (plain, LaTeX, two wrong ones); claims/s = claims timed / Σ "
            f"per-claim wall time (the goal is judged on it), and beside it claims timed / the list's CPU "
            f"time (time.process_time: what the claims cost when other work shares the CPU); p50/p99 "
            f"nearest-rank, of the faster run; each list capped at {RL_LIST_CAP:g} s. "
            f"The whole child runs {RL_RUNS} times (fresh fork each time, same claims) because other work on "
            f"the machine shifts single runs by up to 2×. Naive: per "
            f"distinct form, the claim read with our readers, forward names and adjoints expanded to the "
            f"leaves (*read*), then `sympy.simplify((truth − claim).rewrite(exp)) == 0`; after one untimed read "
            f"that builds the reader's grammar; in a forked child on the same CPU, SymPy cache not cleared, "
            f"capped at {RL_NAIVE_CAP:g} s for all forms. The per-form check_claim time is the first occurrence "
            f"in the correct-only / wrong-only lists (default deadline)."]
    return out


section = section_claims_per_second


if __name__ == "__main__":
    print("\n".join(section({})))
