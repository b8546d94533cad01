"""4. Batch grading throughput (`check.grading.grade`) vs a naive simplify grader."""
import shutil
import time
from pathlib import Path

import sympy

from benchlib import (ROOT, GIB, capped_cell, log, ms, run_capped, secs, table)
from derive import parse_spec


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


section = section_grading


if __name__ == "__main__":
    print("\n".join(section({})))
