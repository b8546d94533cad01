"""The class report (`grade --report report.html`): its charts and numbers are results.json's,
it needs nothing from the internet, and student text is escaped."""
import json
import re
import statistics

import pytest

from check.grading.report import mistake_kinds, report_html, score_bins
from conftest import ROOT, run_cli

SAMPLES = ROOT / "exercises" / "samples" / "csc321-reg-logistic"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    code, _, err = run_cli("grade", "--exercise", "csc321-reg-logistic", SAMPLES, "--out", out / "results.json",
                           "--report", out / "report.html")
    assert code == 0, err
    return (json.loads((out / "results.json").read_text(encoding="utf-8")),
            (out / "report.html").read_text(encoding="utf-8"))


def _bars(svg):
    return [(l, int(c)) for l, c in re.findall(r'<rect class="bar" data-label="([^"]*)" data-count="(\d+)"', svg)]


def _charts(html):
    return re.findall(r"<svg .*?</svg>", html, re.S)


def test_histogram_counts_every_student_in_the_bin_of_their_score(graded):
    doc, html = graded
    hist = _bars(_charts(html)[0])
    assert sum(c for _, c in hist) == len(doc["students"]) == len(list(SAMPLES.iterdir()))
    assert hist == score_bins(doc)
    # 13 points: one bin a point, the top bin closed ("12–13"); the samples' full marks sit there
    full = sum(1 for s in doc["students"] if s["score"] == s["max_score"])
    assert hist[-1] == ("12–13", full) and len(hist) == 13
    assert dict(hist)["6"] == sum(1 for s in doc["students"] if 6 <= s["score"] < 7)


def test_mistake_charts_add_up_to_common_mistakes(graded):
    doc, html = graded
    totals = {}
    for part, svg in re.findall(r'<figure data-part="([^"]*)"><figcaption>[^<]*</figcaption>(<svg .*?</svg>)', html, re.S):
        for kind, count in _bars(svg):
            totals[kind] = totals.get(kind, 0) + count
            assert mistake_kinds(doc)[part][kind] == count
    assert totals == doc["summary"]["common_mistakes"]
    assert totals["constant_factor"] >= 3 and totals["sign"] == 3


def test_mean_and_median_per_part_are_results_json_numbers(graded):
    doc, html = graded
    assert float(re.search(r'<span id="mean">([\d.]+)</span>', html).group(1)) == doc["summary"]["mean_score"]
    assert re.search(r'<span id="graded">(\d+)</span>', html).group(1) == str(doc["summary"]["graded"])
    for part in ("adjoints", "grad_w", "grad_b", "steps"):
        scores = [p["score"] for s in doc["students"] for p in s["parts"] if p["part"] == part]
        row = re.search(rf'<tr class="part" data-part="{part}">(.*?)</tr>', html).group(1)
        mean = re.search(r'class="num mean">([^<]*)<', row).group(1)
        median = re.search(r'class="num median">([^<]*)<', row).group(1)
        assert float(mean) == round(statistics.fmean(scores), 6)
        assert float(median) == round(statistics.median(scores), 6)


def test_wrong_lines_quote_the_student_as_written(graded):
    _, html = graded
    section = html.split("<h2>Lines most students got wrong</h2>", 1)[1].split("<h2>", 1)[0]
    # wrong_sign.txt line 5 as the student typed it, and the diagnosis beside it
    assert "<code class=math>y_bar = L_bar*(t - y)</code>" in section
    assert "off by a factor of -1 (sign)" in section
    first = re.search(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td class=num>(\d+)</td>", section)
    counts = {}
    for s in graded[0]["students"]:
        for p in s["parts"]:
            for it in p["items"]:
                if it["verdict"] == "incorrect":
                    counts[(p["part"], it["target"])] = counts.get((p["part"], it["target"]), 0) + 1
    top = max(counts.values())
    assert int(first.group(3)) == top and counts[(first.group(1), "w_bar")] == top    # the line most got wrong


def test_every_student_has_feedback_one_click_away(graded):
    doc, html = graded
    assert html.count("<details>") == len(doc["students"])
    fanout = next(s for s in doc["students"] if s["student"] == "wrong_fanout.txt")
    assert f"<summary>wrong_fanout.txt: {fanout['score']:g}/13</summary>" in html


def test_report_is_self_contained(graded):
    _, html = graded
    assert "<script" not in html and "<link" not in html and " src=" not in html
    assert set(re.findall(r"https?://[^\s\"')]+", html)) <= {"http://www.w3.org/2000/svg"}


def test_student_text_is_escaped():
    doc = {"exercise": "x", "seed": 0, "summary": {"graded": 1, "mean_score": 0, "common_mistakes": {"sign": 1}},
           "students": [{"student": "<img src=x onerror=alert(1)>.txt", "score": 0, "max_score": 1, "error": None,
                         "needs_review": ["<b>late</b>"],
                         "parts": [{"part": "p<1>", "kind": "claim", "score": 0, "max_score": 1,
                                    "feedback": "</pre><script>alert(2)</script>",
                                    "items": [{"line": 1, "target": "w_bar", "verdict": "incorrect",
                                               "as_read": {"text": "w_bar = <svg onload=alert(3)>"},
                                               "diagnosis": {"kind": "sign", "message": "<i>sign</i>"}}]}]}]}
    html = report_html(doc, "<title>")
    for raw in ("<img", "<script", "<b>late", "<svg onload", "<i>sign", "p<1>", "<title><"):
        assert raw not in html
    assert "&lt;img src=x onerror=alert(1)&gt;.txt" in html and "w_bar = &lt;svg onload=alert(3)&gt;" in html


def test_report_of_the_same_results_is_the_same_bytes(graded):
    doc, html = graded
    sources = {p.name: str(p) for p in SAMPLES.iterdir()}
    from check.grading.report import report_html as again
    title = "CSC321 lecture 6: regularized logistic regression, by calculus and by backprop"
    assert again(doc, title, sources) == html
