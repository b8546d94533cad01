"""The web API through Flask's test client: the `check --json` document, the rows as read, the
graph, errors and limits. Checks run in the real worker lanes (one module-wide app)."""
import json
import re

import pytest

pytest.importorskip("flask")

from check import check_adjoints, check_claim, check_steps  # noqa: E402
from check.web import service  # noqa: E402
from check.web.app import MAX_BODY, STATIC, create_app  # noqa: E402

import exercises  # noqa: E402

from conftest import ROOT, SPECS  # noqa: E402

SAMPLES = ROOT / "exercises" / "samples" / "csc321-reg-logistic"
REGLOG = (SPECS / "reglog.bp").read_text(encoding="utf-8")
RIGHT_W = "(sigma(w*x + b) - t)*sigma'(w*x + b)*x + lambda*w"
MISSING_X = "(sigma(w*x + b) - t)*sigma'(w*x + b) + lambda*w"


@pytest.fixture(scope="module")
def client():
    app = create_app(lanes=1)
    yield app.test_client()
    app.extensions["barprop_runner"]().close()


def post(client, url, **body):
    r = client.post(url, json=body)
    return r.status_code, r.get_json()


def test_check_answers_with_the_check_json_document(client):
    status, doc = post(client, "/api/check", mode="grad", spec=REGLOG, wrt="w", text=MISSING_X)
    assert status == 200
    assert doc == json.loads(json.dumps(check_claim(REGLOG, "w", MISSING_X).to_dict()))
    assert doc["verdict"] == "incorrect"
    assert doc["diagnosis"]["kind"] == "missing_factor"
    assert doc["counterexample"]["at"]["w"] == 0.7          # the lecture's point first


def test_lang_ko_gives_the_check_in_korean(client):
    en = post(client, "/api/check", mode="grad", spec=REGLOG, wrt="w", text=MISSING_X)[1]
    status, ko = post(client, "/api/check", mode="grad", spec=REGLOG, wrt="w", text=MISSING_X, lang="ko")
    assert status == 200
    assert ko == json.loads(json.dumps(check_claim(REGLOG, "w", MISSING_X, lang="ko").to_dict()))
    assert ko["diagnosis"]["kind"] == en["diagnosis"]["kind"] == "missing_factor"
    assert ko["diagnosis"]["message"] != en["diagnosis"]["message"]
    assert re.search("[\uac00-\ud7a3]", ko["diagnosis"]["message"])        # Hangul


def test_lang_ko_reaches_every_line_of_an_adjoints_report(client):
    text = (SAMPLES / "wrong_sigma.txt").read_text(encoding="utf-8")
    status, doc = post(client, "/api/check", exercise="csc321-reg-logistic", part="adjoints", text=text, lang="ko")
    wrong = [i for i in doc["items"] if i["verdict"] == "incorrect"]
    assert status == 200 and wrong
    assert all(re.search("[\uac00-\ud7a3]", i["diagnosis"]["message"]) for i in wrong)


def test_exercise_part_chooses_mode_and_variable(client):
    status, doc = post(client, "/api/check", exercise="csc321-reg-logistic", part="grad_w", text=RIGHT_W)
    assert (status, doc["target"], doc["verdict"]) == (200, "w_bar", "correct")


def test_adjoints_report_names_the_first_wrong_line(client):
    text = (SAMPLES / "wrong_sigma.txt").read_text(encoding="utf-8")
    status, doc = post(client, "/api/check", exercise="csc321-reg-logistic", part="adjoints", text=text)
    assert status == 200
    assert doc["kind"] == "adjoints" and doc["first_wrong"] == "z_bar"
    wrong = [i for i in doc["items"] if i["verdict"] == "incorrect"]
    assert [(i["target"], i["line"], i["diagnosis"]["kind"]) for i in wrong] == \
        [("z_bar", 7, "derivative_of_wrong_function")]
    section = "\n".join(text.split("\n")[:9])       # the same lines the part marker selects
    assert doc == json.loads(json.dumps(check_adjoints(REGLOG, section).to_dict()))


def test_steps_without_a_spec_judge_each_row(client):
    text = "f = (x + y)*z\n= x*z + y*z\n= x*z + y\n"
    status, doc = post(client, "/api/check", mode="steps", text=text)
    assert status == 200
    assert doc["first_wrong"] == 3
    assert doc == json.loads(json.dumps(check_steps(text).to_dict()))


def test_markdown_around_the_math_is_read_like_grading(client):
    text = "My answer:\n\n```\n" + RIGHT_W + "\n```\n"
    status, doc = post(client, "/api/check", exercise="csc321-reg-logistic", part="grad_w", text=text)
    assert (status, doc["verdict"]) == (200, "correct")


def test_same_request_same_bytes(client):
    body = dict(exercise="csc321-reg-logistic", part="grad_w", text=MISSING_X, seed=3)
    a, b = client.post("/api/check", json=body), client.post("/api/check", json=body)
    assert a.data == b.data


def test_unreadable_submission_is_400_with_its_position(client):
    status, doc = post(client, "/api/check", mode="grad", spec=REGLOG, wrt="w", text="x * (")
    assert status == 400
    assert set(doc["error"]) >= {"message", "line", "col"} and doc["error"]["line"] == 1


def test_bad_spec_is_400_at_its_line(client):
    status, doc = post(client, "/api/check", mode="grad", spec="z = w*x +\n", wrt="w", text="x")
    assert status == 400 and doc["error"]["line"] == 1


@pytest.mark.parametrize("body, field", [
    ({"mode": "nope", "spec": REGLOG, "text": "x"}, "mode"),
    ({"mode": "grad", "spec": REGLOG, "text": "x"}, "wrt"),
    ({"mode": "grad", "wrt": "w", "text": "x"}, "spec"),
    ({"exercise": "../../etc/passwd", "part": "grad_w", "text": "x"}, "exercise"),
    ({"exercise": "csc321-reg-logistic", "part": "nope", "text": "x"}, "part"),
    ({"exercise": "csc321-reg-logistic", "part": "grad_w", "mode": "adjoints", "text": "x"}, "mode"),
    ({"exercise": "csc321-reg-logistic", "spec": REGLOG, "part": "grad_w", "text": "x"}, "spec"),
    ({"exercise": "csc321-reg-logistic", "part": "grad_w", "text": "x", "seed": "1"}, "seed"),
    ({"exercise": "csc321-reg-logistic", "part": "grad_w", "text": "x", "lang": "fr"}, "lang"),
    ({"exercise": "csc321-reg-logistic", "part": "grad_w", "text": 5}, "text"),
    ({"exercise": "csc321-reg-logistic", "part": "grad_w", "text": "x", "path": "/etc"}, "path"),
])
def test_bad_requests_are_400_naming_the_field(client, body, field):
    status, doc = post(client, "/api/check", **body)
    assert status == 400
    assert doc["error"]["field"] == field


def test_a_path_as_spec_is_spec_text_not_a_file(client):
    status, doc = post(client, "/api/check", mode="grad", spec=str(SPECS / "reglog.bp"), wrt="w", text="x")
    assert status == 400 and "error" in doc


def test_body_that_is_not_json_is_400(client):
    r = client.post("/api/check", data=b"{not json", content_type="application/json")
    assert r.status_code == 400 and "error" in r.get_json()


def test_body_over_the_limit_is_413(client):
    r = client.post("/api/check", data=b" " * (MAX_BODY + 1), content_type="application/json")
    assert r.status_code == 413
    assert "larger than" in r.get_json()["error"]["message"]


def test_exercises_lists_the_bundled_ones(client):
    r = client.get("/api/exercises")
    doc = r.get_json()
    assert [e["id"] for e in doc["exercises"]] == exercises.list_ids()
    reglog = next(e for e in doc["exercises"] if e["id"] == "csc321-reg-logistic")
    assert [(p["id"], p["mode"], p["wrt"]) for p in reglog["parts"]] == \
        [("adjoints", "adjoints", None), ("grad_w", "grad", "w"), ("grad_b", "grad", "b"), ("steps", "steps", "w")]


def test_read_returns_rows_as_read(client):
    text = "z_bar = y_bar*sigma'(z)\nw_bar = z_bar*x + R_bar*w\n"
    status, doc = post(client, "/api/read", exercise="csc321-reg-logistic", part="adjoints", text=text)
    assert status == 200 and doc["format"] == "plain"
    assert [(r["line"], r["lhs"]) for r in doc["rows"]] == [(1, "z_bar"), (2, "w_bar")]
    assert doc["rows"][0]["latex"].startswith(r"\bar{z} = ")
    assert r"\bar{y}" in doc["rows"][0]["latex"] and r"\sigma" in doc["rows"][0]["latex"]
    assert doc["rows"][1]["text"].startswith("w_bar = ")


def test_read_marks_an_unreadable_row_and_keeps_the_others(client):
    status, doc = post(client, "/api/read", exercise="csc321-reg-logistic", part="adjoints",
                       text="z_bar = y_bar*(\nb_bar = z_bar\n")
    assert status == 200
    assert doc["rows"][0]["error"]["line"] == 1 and doc["rows"][0]["latex"] is None
    assert doc["rows"][1]["latex"] == r"\bar{b} = \bar{z}"


def test_graph_marks_the_edges_of_the_wrong_adjoint(client):
    status, doc = post(client, "/api/graph", exercise="csc321-reg-logistic", mark="z_bar")
    assert status == 200 and doc["svg"].startswith("<svg")
    # z feeds only y: one edge carries z̄, and it is in the picture under that title
    assert len(doc["marked"]) == 1
    assert f"<title>{doc['marked'][0].replace('->', '&#45;&gt;')}</title>" in doc["svg"]


def test_hint_levels_go_from_a_nudge_to_the_fixed_line(client):
    text = (SAMPLES / "wrong_sigma.txt").read_text(encoding="utf-8")
    hints = []
    for level in (1, 2, 3):
        status, doc = post(client, "/api/hint", exercise="csc321-reg-logistic", part="adjoints", text=text,
                           level=level)
        assert status == 200 and doc["level"] == level
        hints.append(doc)
    assert hints[0]["target"] == "z_bar" and "line 7" not in hints[0]["text"]
    assert "line 7" in hints[1]["text"]
    assert "sigma'" in hints[2]["text"] or "σ′" in hints[2]["text"]


def test_the_exercise_sets_how_far_hints_go(client):
    """csc321-reg-logistic's adjoints part allows 3 levels: level 4 (the fixed line) is not given there;
    the same text with the bare spec, outside an exercise, gets it."""
    text = (SAMPLES / "wrong_sigma.txt").read_text(encoding="utf-8")
    status, capped = post(client, "/api/hint", exercise="csc321-reg-logistic", part="adjoints", text=text, level=4)
    assert status == 200 and capped["level"] == 3
    spec = (ROOT / "exercises" / "specs" / "reglog.bp").read_text(encoding="utf-8")
    status, full = post(client, "/api/hint", mode="adjoints", spec=spec, text=text, level=4)
    assert status == 200 and full["level"] == 4 and full["text"] != capped["text"]


def test_hint_level_must_be_one_to_four(client):
    status, doc = post(client, "/api/hint", exercise="csc321-reg-logistic", part="adjoints", text="x", level=5)
    assert status == 400 and doc["error"]["field"] == "level"


def test_page_and_katex_are_served_from_the_package(client):
    page = client.get("/").get_data(as_text=True)
    assert "/static/katex/katex.min.js" in page and "/static/app.js" in page
    css = client.get("/static/katex/katex.min.css").get_data(as_text=True)
    fonts = set(re.findall(r"fonts/(KaTeX_[\w-]+\.woff2)", css))
    assert fonts and all(client.get(f"/static/katex/fonts/{f}").status_code == 200 for f in fonts)
    assert client.get("/static/katex/LICENSE").status_code == 200
    for name in ("index.html", "app.js", "style.css"):
        text = open(f"{STATIC}/{name}", encoding="utf-8").read()
        assert not re.search(r"https?://", text), f"{name} must not load anything from the internet"


def test_static_files_cannot_leave_the_static_folder(client):
    assert client.get("/static/../service.py").status_code == 404
    assert client.get("/static/%2e%2e/service.py").status_code == 404


def test_page_never_writes_user_text_as_html():
    js = open(f"{STATIC}/app.js", encoding="utf-8").read()
    assert "innerHTML" not in js and "outerHTML" not in js and "insertAdjacentHTML" not in js
    assert "trust: false" in js


def test_a_check_over_the_deadline_is_503_and_the_server_goes_on():
    app = create_app(lanes=1, seconds=0.001)
    try:
        c = app.test_client()
        status, doc = post(c, "/api/check", mode="grad", spec=REGLOG, wrt="w", text=RIGHT_W)
        assert status == 503 and "longer than" in doc["error"]["message"]
        status, doc = post(c, "/api/check", mode="grad", spec=REGLOG, wrt="w", text=RIGHT_W)
        assert status == 503          # the lane is still there and still answers
    finally:
        app.extensions["barprop_runner"]().close()


def test_service_refuses_a_mode_without_a_spec():
    req = service.parse_request({"mode": "adjoints", "text": "x_bar = 1"})
    assert service.run("check", req)["status"] == 400


AUDITED = r'''
import json, os, sys
from check.web import service
needles, bodies = json.loads(sys.argv[1]), json.loads(sys.argv[2])
service.run("check", service.parse_request({"mode": "grad", "spec": "z = w*x", "wrt": "w", "text": "x"}))
seen = []
def hook(event, args):
    if event == "compile" and isinstance(args[0], (str, bytes)):
        src = args[0].decode("utf-8", "replace") if isinstance(args[0], bytes) else args[0]
        seen.extend(n for n in needles if n in src)
    elif event == "exec":
        consts = [c for c in getattr(args[0], "co_consts", ()) if isinstance(c, str)]
        seen.extend(n for n in needles for c in consts if n in c)
    elif event == "open" and isinstance(args[0], (str, bytes)) and "CANARY" in os.fsdecode(args[0]):
        seen.append("open " + os.fsdecode(args[0]))
sys.addaudithook(hook)
statuses = []
for action, body in bodies:
    try:
        statuses.append(service.run(action, service.parse_request(body, need_text=action != "picture"))["status"])
    except service.RequestError:
        statuses.append("refused")
print(json.dumps({"seen": seen, "statuses": statuses}))
'''


def test_hostile_requests_are_never_executed_and_open_no_file(tmp_path):
    import subprocess
    import sys
    canary = tmp_path / "CANARY.bp"
    canary.write_text("z = w*x\n", encoding="utf-8")
    needles = ["__import__", "os.system", "CANARY_EVAL", "OPEN_CANARY"]
    spec = "z = w*x + b\nL = __import__('os').system('touch CANARY')\n"
    bodies = [
        ["check", {"mode": "grad", "spec": spec, "wrt": "w", "text": "x"}],
        ["check", {"mode": "grad", "spec": REGLOG, "wrt": "w", "text": "eval('CANARY_EVAL')"}],
        ["check", {"mode": "adjoints", "spec": REGLOG, "text": "w_bar = __import__('os').system('ls')"}],
        ["check", {"mode": "steps", "text": "\\input{" + str(canary) + "}\n= open('OPEN_CANARY')"}],
        ["read", {"mode": "adjoints", "spec": REGLOG, "text": "z_bar = os.system('ls')"}],
        ["picture", {"spec": str(canary)}],
        ["check", {"exercise": str(canary), "part": "grad_w", "text": "x"}],
    ]
    r = subprocess.run([sys.executable, "-c", AUDITED, json.dumps(needles), json.dumps(bodies)],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout.strip().splitlines()[-1])
    assert doc["seen"] == []
    assert doc["statuses"] == [400, 400, 400, 400, 200, 400, "refused"]


def _gone(pid, tries=300):
    """Has process `pid` exited (polled, at most `tries` times 0.1 s)?"""
    import os
    import time
    for _ in range(tries):
        try:
            os.kill(pid, 0)
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ", 1)[1].startswith("Z"):
                    return True
        except (ProcessLookupError, FileNotFoundError):
            return True
        time.sleep(0.1)
    return False


def test_closing_the_runner_stops_its_workers():
    from check.web.runner import Runner
    runner = Runner(lanes=1)
    req = service.parse_request({"mode": "grad", "spec": "z = w*x", "wrt": "w", "text": "x"})
    assert runner.run("check", req)["status"] == 200
    pids = [p.pid for lane in runner._all for p in lane._processes.values()]
    runner.close()
    assert pids and all(_gone(pid) for pid in pids)


def test_workers_end_when_the_server_is_killed():
    import signal
    import subprocess
    import sys
    script = ("import sys\nfrom check.web.runner import Runner\nfrom check.web import service\n"
              "r = Runner(lanes=1)\n"
              "r.run('check', service.parse_request({'mode': 'grad', 'spec': 'z = w*x', 'wrt': 'w', 'text': 'x'}))\n"
              "print(*[p.pid for lane in r._all for p in lane._processes.values()], flush=True)\n"
              "sys.stdin.read()\n")
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert pids and all(_gone(pid) for pid in pids)


def test_serve_on_a_taken_port_is_a_one_line_error(cli):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        code, out, err = cli("serve", "--port", port)
    assert code == 2 and out == ""
    assert err.startswith(f"barprop: cannot listen on 127.0.0.1:{port}: ") and err.count("\n") == 1


def test_serve_refuses_a_port_that_is_not_one(cli):
    assert cli("serve", "--port", "70000") == (
        2, "", "--port:1:1: expected a port number from 1 to 65535, not '70000'\n")


def test_a_whole_latex_hand_in_is_read_for_the_chosen_part(client):
    text = (SAMPLES / "ok_latex.tex").read_text(encoding="utf-8")        # '% part: ID' markers
    for part, verdict in (("adjoints", "correct"), ("grad_b", "correct"), ("steps", "correct")):
        status, doc = post(client, "/api/check", exercise="csc321-reg-logistic", part=part, text=text)
        assert (status, doc["verdict"]) == (200, verdict), (part, doc)
    status, doc = post(client, "/api/read", exercise="csc321-reg-logistic", part="grad_b", text=text)
    assert doc["format"] == "latex" and len(doc["rows"]) == 1
    assert doc["rows"][0]["latex"].startswith(r"\frac{\partial L_{reg}}{\partial b} = ")


def test_text_without_part_lines_is_the_chosen_part(client):
    status, doc = post(client, "/api/check", exercise="csc321-reg-logistic", part="grad_b",
                       text="(y - t)*y*(1 - y)")
    assert (status, doc["target"], doc["verdict"]) == (200, "b_bar", "correct")
