"""The class report: one self-contained HTML page drawn from results.json (no script, no fetch).

Score histogram, mean and median per part, mistake kinds per part (counted as results.json's
`common_mistakes` counts them: once per student and part), the lines most students got wrong with
each mistake as a student wrote it, the students who need a person, and every student's feedback
in a `<details>`. Every piece of student text is escaped."""
import math
import os
import statistics
from html import escape

from .charts import histogram, hbars

STYLE = """
body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#24292f}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse}td,th{padding:.25rem .6rem;border-bottom:1px solid #d0d7de;text-align:left}
td.num,th.num{text-align:right}code.math{font-family:"DejaVu Serif",Georgia,serif;background:#f6f8fa;
padding:.1rem .3rem;border-radius:3px;white-space:pre-wrap}details{margin:.3rem 0}
summary{cursor:pointer}pre{background:#f6f8fa;padding:.6rem;white-space:pre-wrap}
.charts{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0}figcaption{font-weight:bold}.muted{color:#57606a}
"""


def _num(x):
    """A score as results.json rounds it (6 decimals), without trailing zeros."""
    if not isinstance(x, (int, float)):
        return "–"
    return f"{x:.6f}".rstrip("0").rstrip(".") or "0"


def mistake_kinds(doc):
    """part -> {kind: students}: each kind once per student and part, students with an error left
    out (so the parts add up to the summary's `common_mistakes`)."""
    out = {}
    for s in doc["students"]:
        if s.get("error"):
            continue
        for p in s["parts"]:
            seen = []
            for it in p["items"]:
                kind = (it.get("diagnosis") or {}).get("kind")
                if it["verdict"] == "incorrect" and kind and kind not in seen:
                    seen.append(kind)
            for kind in seen:
                part = out.setdefault(p["part"], {})
                part[kind] = part.get(kind, 0) + 1
    return out


def score_bins(doc):
    """[(label, students)] over 0..max score: one bin a point up to 20 points, else 10 bins."""
    scores = [s["score"] for s in doc["students"]]
    top = max([s["max_score"] for s in doc["students"]] + [1])
    n = int(math.ceil(top)) if top <= 20 else 10
    width = top / n
    counts = [0] * n
    for x in scores:
        counts[min(int(x / width), n - 1)] += 1
    if width == 1:
        labels = [f"{i}" if i < n - 1 else f"{i}–{n}" for i in range(n)]
    else:
        labels = [f"{i * width:g}–{(i + 1) * width:g}" for i in range(n)]
    return list(zip(labels, counts))


def part_stats(doc):
    """part -> (points, mean, median, full marks) over the graded students."""
    scores, points = {}, {}
    for s in doc["students"]:
        for p in s["parts"]:
            scores.setdefault(p["part"], []).append(p["score"])
            points[p["part"]] = p["max_score"]
    return {k: (points[k], round(statistics.fmean(v), 6), statistics.median(v),
                sum(1 for x in v if x >= points[k])) for k, v in scores.items()}


def wrong_lines(doc, sources=None, limit=10):
    """[(part, target, students wrong, [(kind, message, student, as written)])], most wrong first."""
    table = {}
    for s in doc["students"]:
        for p in s["parts"]:
            for it in p["items"]:
                if it["verdict"] != "incorrect":
                    continue
                key = (p["part"], it.get("target") or "?")
                row = table.setdefault(key, {"students": set(), "kinds": {}})
                row["students"].add(s["student"])
                d = it.get("diagnosis") or {}
                kind = d.get("kind") or "incorrect"
                if kind not in row["kinds"]:
                    row["kinds"][kind] = (d.get("message", ""), s["student"], _as_written(it, s, sources))
    rows = sorted(table.items(), key=lambda kv: (-len(kv[1]["students"]), kv[0]))
    return [(part, target, len(r["students"]), [(k, *v) for k, v in sorted(r["kinds"].items())])
            for (part, target), r in rows[:limit]]


def _as_written(item, student, sources):
    """The student's line as they wrote it (from their file), else as barprop read it."""
    path = (sources or {}).get(student["student"])
    line = item.get("line")
    if path and line:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                for no, text in enumerate(f, 1):
                    if no == line:
                        return text.strip().lstrip("\ufeff")[:400]
        except OSError:
            pass
    read = item.get("as_read") or {}
    return read.get("text") or ""


def report_html(doc, title="", sources=None):
    """The report page as one HTML string; `sources` maps a student to their file (for quotes)."""
    students = doc["students"]
    summary = doc.get("summary", {})
    scores = [s["score"] for s in students]
    h = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
         f"<title>{escape(doc.get('exercise', ''))}: class report</title><style>{STYLE}</style></head><body>"]
    h.append(f"<h1>{escape(title or doc.get('exercise', ''))}</h1>")
    h.append(f'<p class="muted">exercise {escape(str(doc.get("exercise", "")))}, seed {escape(str(doc.get("seed", "")))}; '
             f'<span id="graded">{summary.get("graded", len(students))}</span> graded, mean score '
             f'<span id="mean">{_num(summary.get("mean_score"))}</span>'
             + (f", median {_num(statistics.median(scores))}" if scores else "") + "</p>")

    h.append("<h2>Score distribution</h2>")
    h.append(histogram(score_bins(doc), "score distribution", "score"))

    stats = part_stats(doc)
    h.append("<h2>Parts</h2><table><tr><th>part</th><th class=num>points</th><th class=num>mean</th>"
             "<th class=num>median</th><th class=num>full marks</th></tr>")
    for part, (pts, mean, median, full) in stats.items():
        h.append(f'<tr class="part" data-part="{escape(part)}"><td>{escape(part)}</td><td class=num>{_num(pts)}</td>'
                 f'<td class="num mean">{_num(mean)}</td><td class="num median">{_num(median)}</td>'
                 f"<td class=num>{full}/{len(students)}</td></tr>")
    h.append("</table>")

    kinds = mistake_kinds(doc)
    h.append("<h2>Mistakes per part</h2>")
    if kinds:
        h.append('<p class="muted">Students who made each kind of mistake in a part (once per student and part).</p>'
                 '<div class="charts">')
        peak = max(c for ks in kinds.values() for c in ks.values())
        longest = max(len(k) for ks in kinds.values() for k in ks)
        for part, ks in kinds.items():
            rows = sorted(ks.items(), key=lambda kv: (-kv[1], kv[0]))
            h.append(f'<figure data-part="{escape(part)}"><figcaption>{escape(part)}</figcaption>'
                     f"{hbars(rows, 'mistakes in ' + part, peak, longest)}</figure>")
        h.append("</div>")
    else:
        h.append("<p>No mistakes.</p>")

    lines = wrong_lines(doc, sources)
    h.append("<h2>Lines most students got wrong</h2>")
    if lines:
        h.append("<table><tr><th>part</th><th>line</th><th class=num>students</th><th>mistakes, as written</th></tr>")
        for part, target, n, examples in lines:
            ex = "".join(f"<div><b>{escape(k)}</b>: {escape(m)}<br><code class=math>{escape(w)}</code> "
                         f'<span class="muted">({escape(st)})</span></div>' for k, m, st, w in examples)
            h.append(f"<tr><td>{escape(part)}</td><td>{escape(_target(target))}</td><td class=num>{n}</td>"
                     f"<td>{ex}</td></tr>")
        h.append("</table>")
    else:
        h.append("<p>None.</p>")

    review = [s for s in students if s.get("needs_review") or s.get("error")]
    h.append("<h2>Students needing review</h2>")
    if review:
        h.append("<ul>" + "".join(
            f"<li>{escape(s['student'])}: {escape('; '.join(s.get('needs_review') or []) or s.get('error') or '')}</li>"
            for s in review) + "</ul>")
    else:
        h.append("<p>None.</p>")

    h.append("<h2>Students</h2>")
    for s in students:
        feedback = "\n\n".join(p.get("feedback", "") for p in s["parts"] if p.get("feedback"))
        if s.get("error"):
            feedback = s["error"] + ("\n\n" + feedback if feedback else "")
        h.append(f"<details><summary>{escape(s['student'])}: {_num(s['score'])}/{_num(s['max_score'])}</summary>"
                 f"<pre>{escape(feedback)}</pre></details>")
    h.append("</body></html>")
    return "\n".join(h) + "\n"


def _target(t):
    """`w_bar` as w̄ for people."""
    return t[:-4] + "\u0304" if t.endswith("_bar") and "_" not in t[:-4] else t


def write_report(doc, path, title="", files=()):
    """Write the report of `doc` to `path`; `files` are the (student, path) pairs graded."""
    sources = {name: os.fspath(p) for name, p in files}
    with open(path, "w", encoding="utf-8") as f:
        f.write(report_html(doc, title, sources))
