"""1. Adjoint size vs forward size on sigmoid chains, next to SymPy `diff` of the expanded loss."""
import sys
import time

import sympy
from sympy.core.cache import clear_cache

from benchlib import (GIB, capped_cell, log, ops, chain_spec, median, ms, ranges, run_capped, table)
from derive import parse_spec
from derive.functions import sym


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


section = section_adjoint_size


if __name__ == "__main__":
    print("\n".join(section({})))
