"""Same input and seed, same bytes (issue #8): `grade` (results JSON, CSV, Gradescope folder) with
--jobs 1, with --jobs 2 and off the main thread, `check ... --json` and `derive --format json`, in
separate processes with different PYTHONHASHSEED values, so neither set order, dict order of
hashed keys, worker scheduling nor the run itself can change a byte.

Claims here settle symbolically on the cheap path; a claim whose symbolic reduction runs near its
deadline may report `zero` on one run and `timeout` on a busier one (the verdict is the same;
grading does not run symbolic evidence at all, see check.grading.parts)."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, spec_path

SAMPLES = ROOT / "exercises" / "samples"
REGLOG, L2 = spec_path("reglog"), spec_path("l2")

DRIVER = r"""
import io, os, sys, threading
from check.cli import main
out_dir, subs = sys.argv[1], sys.argv[2]
reglog, l2, sub_file, steps_file, values = sys.argv[3:8]

def run(name, argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    with open(os.path.join(out_dir, name), "w", encoding="utf-8", newline="\n") as f:
        f.write(f"exit {code}\n{out.getvalue()}\n--- stderr\n{err.getvalue()}")

for jobs in ("1", "2"):
    for seed in ("0", "3"):
        d = os.path.join(out_dir, f"grade-j{jobs}-s{seed}")
        os.makedirs(d)
        run(f"grade-j{jobs}-s{seed}.txt", ["grade", "--exercise", "csc321-reg-logistic", subs, "--jobs", jobs,
            "--seed", seed, "--out", os.path.join(d, "results.json"), "--csv", os.path.join(d, "results.csv"),
            "--gradescope", os.path.join(d, "gradescope")])
    d = os.path.join(out_dir, f"grade-one-j{jobs}")
    os.makedirs(d)
    run(f"grade-one-j{jobs}.txt", ["grade", "--exercise", "csc321-reg-logistic", os.path.join(subs, "wrong_sign.txt"),
        "--jobs", jobs, "--out", "-", "--gradescope", os.path.join(d, "gs.json")])
d = os.path.join(out_dir, "grade-thread-s0")
os.makedirs(d)
worker = threading.Thread(target=run, args=("grade-thread-s0.txt", ["grade", "--exercise", "csc321-reg-logistic",
    subs, "--out", os.path.join(d, "results.json"), "--csv", os.path.join(d, "results.csv"),
    "--gradescope", os.path.join(d, "gradescope")]))
worker.start()
worker.join()
for seed in ("0", "5"):
    run(f"grad-ok-{seed}.json", ["check", "grad", reglog, "--wrt", "w", "--json", "--seed", seed,
        "--claim=(sigma(w*x + b) - t)*sigma(w*x + b)*(1 - sigma(w*x + b))*x + lambda*w"])
    run(f"grad-wrong-{seed}.json", ["check", "grad", reglog, "--wrt", "w", "--json", "--seed", seed,
        "--claim=(y - t)*sigma(z)*x + lambda*w"])
    run(f"grad-latex-{seed}.json", ["check", "grad", reglog, "--wrt", "b", "--json", "--seed", seed,
        "--claim=\\frac{\\partial L}{\\partial b} = (y - t)\\, y (1 - y)"])
    run(f"grad-error-{seed}.json", ["check", "grad", reglog, "--wrt", "w", "--json", "--seed", seed,
        "--claim=x.__class__"])
    run(f"adjoints-{seed}.json", ["check", "adjoints", reglog, sub_file, "--json", "--seed", seed])
    run(f"steps-{seed}.json", ["check", "steps", steps_file, "--spec", reglog, "--json", "--seed", seed])
    run(f"steps-free-{seed}.json", ["check", "steps", steps_file, "--json", "--seed", seed])
run("derive.json", ["derive", reglog, "--format", "json"])
run("derive-at.json", ["derive", reglog, "--format", "json", "--at", values, "--lr", "0.1"])
run("derive-matrix.json", ["derive", l2, "--format", "json"])
run("derive-text.txt", ["derive", reglog, "--expand"])
run("derive-latex.tex", ["derive", reglog, "--format", "latex", "--standalone"])
"""

ADJOINTS = ("L_reg_bar = 1\nR_bar = L_reg_bar*lambda\nL_bar = L_reg_bar\ny_bar = L_bar*(y - t)\n"
            "z_bar = y_bar*sigma(z)\nw_bar = z_bar*x + R_bar*w\nb_bar = 2*z_bar\nq_bar = 1\n")
STEPS = ("dL/dw = d/dw [ 1/2*(sigma(w*x + b) - t)^2 + lambda/2*w^2 ]\n"
         " = (sigma(w*x + b) - t)*d/dw [ sigma(w*x + b) ] + lambda*w\n"
         " = (sigma(w*x + b) - t)*sigma'(w*x + b)*x + lambda*w\n"
         " = (sigma(w*x + b) - t)*sigma(w*x + b)*x + lambda*w\n")


def _tree(root):
    """{relative path: bytes} of every file under root."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("determinism")
    subs = base / "subs"
    shutil.copytree(SAMPLES / "csc321-reg-logistic", subs)
    (subs / "empty.txt").write_text("", encoding="utf-8")
    (subs / "bad_utf8.txt").write_bytes(b"# part: adjoints\nw_bar = \xff\n")
    (subs / "python.txt").write_text("# part: grad_w\n__import__('os').system('touch CANARY')\n", encoding="utf-8")
    (subs / "unknown_part.txt").write_text("# part: nope\nw_bar = x\n", encoding="utf-8")
    (subs / "tower.txt").write_text("# part: grad_w\n9^9^9^9\n# part: grad_b\nlog(0)\n", encoding="utf-8")
    (subs / "greek λσ.txt").write_text("# part: grad_b\n(y - t)*σ'(z)\n", encoding="utf-8")
    (subs / "sub").mkdir()
    sub_file, steps_file, values = base / "adjoints.txt", base / "steps.txt", base / "values.json"
    sub_file.write_text(ADJOINTS, encoding="utf-8")
    steps_file.write_text(STEPS, encoding="utf-8")
    values.write_text('{"w": "0.3", "x": "-2", "b": 0.1, "t": 0, "lambda": "1/3"}', encoding="utf-8")
    procs = {}
    for seed in ("0", "1", "987654321"):
        out = base / f"hash{seed}"
        out.mkdir()
        env = dict(os.environ, PYTHONHASHSEED=seed)
        procs[seed] = (out, subprocess.Popen(
            [sys.executable, "-c", DRIVER, str(out), str(subs), str(REGLOG), str(L2), str(sub_file), str(steps_file),
             str(values)], cwd=base, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    trees = {}
    for seed, (out, p) in procs.items():
        stdout, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, stderr[-3000:]
        assert "Traceback" not in stderr, stderr[-3000:]
        trees[seed] = _tree(out)
    return trees


def test_every_output_is_written(runs):
    tree = runs["0"]
    names = set(tree)
    for jobs in ("1", "2"):
        for seed in ("0", "3"):
            assert f"grade-j{jobs}-s{seed}/results.json" in names
            assert f"grade-j{jobs}-s{seed}/results.csv" in names
            assert f"grade-j{jobs}-s{seed}/gradescope/ok_plain.txt/results.json" in names
        assert f"grade-one-j{jobs}/gs.json" in names
    doc = json.loads(tree["grade-j1-s0/results.json"])
    samples = len(list((SAMPLES / "csc321-reg-logistic").iterdir()))
    assert len(doc["students"]) == samples + 6 and doc["summary"]["skipped"] == ["sub/"]
    by = {s["student"]: s for s in doc["students"]}
    assert by["empty.txt"]["error"] and by["bad_utf8.txt"]["error"] and by["unknown_part.txt"]["error"]
    assert by["ok_plain.txt"]["score"] == by["ok_plain.txt"]["max_score"]
    for name, data in tree.items():
        assert b"Traceback" not in data, name
        if name.endswith(".json") and not name.startswith("grade-"):
            text = data.decode("utf-8")
            assert text.startswith("exit "), name
            assert '"seconds"' not in text, name


def test_byte_identical_across_hash_seeds_and_runs(runs):
    first = runs["0"]
    for seed, tree in runs.items():
        assert sorted(tree) == sorted(first), seed
        differ = [n for n in first if tree[n] != first[n]]
        assert differ == [], (seed, differ)


def test_byte_identical_across_jobs(runs):
    tree = runs["987654321"]
    for seed in ("0", "3"):
        one = {n.split("/", 1)[1]: b for n, b in tree.items() if n.startswith(f"grade-j1-s{seed}/")}
        two = {n.split("/", 1)[1]: b for n, b in tree.items() if n.startswith(f"grade-j2-s{seed}/")}
        assert one and one == two
        assert tree[f"grade-j1-s{seed}.txt"] == tree[f"grade-j2-s{seed}.txt"]
    assert tree["grade-one-j1/gs.json"] == tree["grade-one-j2/gs.json"]
    assert tree["grade-one-j1.txt"] == tree["grade-one-j2.txt"]


def test_byte_identical_when_graded_off_the_main_thread(runs):
    tree = runs["1"]
    one = {n.split("/", 1)[1]: b for n, b in tree.items() if n.startswith("grade-j1-s0/")}
    thread = {n.split("/", 1)[1]: b for n, b in tree.items() if n.startswith("grade-thread-s0/")}
    assert one and one == thread
    assert tree["grade-thread-s0.txt"] == tree["grade-j1-s0.txt"]


def test_the_seed_is_what_changes_the_points(runs):
    tree = runs["1"]
    assert tree["grad-wrong-0.json"] != tree["grad-wrong-5.json"]      # another counterexample point
    ok0, ok5 = (json.loads(tree[f"grad-ok-{s}.json"].split(b"\n", 1)[1].split(b"\n--- stderr")[0])
                for s in ("0", "5"))
    assert ok0["verdict"] == ok5["verdict"] == "correct"
