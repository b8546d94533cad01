"""Errors of the command line itself: argparse usage errors stay in main()'s streams, and a bad
value of an option is `--option:1:COL: message` with COL counted inside the value (README,
"Errors")."""
import json
import subprocess
import sys

import pytest

from conftest import ROOT, SPECS

REGLOG = SPECS / "reglog.bp"
L2 = SPECS / "l2.bp"

USAGE = [
    ([], "barprop", "the following arguments are required: command"),
    (["--bogus"], "barprop", "the following arguments are required: command"),
    (["grade", "--exercise", "x", "subs", "--bogus"], "barprop", "unrecognized arguments: --bogus"),
    (["derive"], "barprop derive", "the following arguments are required: spec"),
    (["derive", REGLOG, "--format", "pdf"], "barprop derive", "argument --format: invalid choice: 'pdf'"),
    (["derive", REGLOG, "--wrt"], "barprop derive", "argument --wrt: expected one argument"),
    (["derive", REGLOG, "--emit", "c"], "barprop derive", "argument --emit: invalid choice: 'c'"),
    (["derive", REGLOG, "--bogus"], "barprop", "unrecognized arguments: --bogus"),
    (["check"], "barprop check", "the following arguments are required: what"),
    (["check", "hessian"], "barprop check", "argument what: invalid choice: 'hessian'"),
    (["check", "grad", REGLOG, "--claim", "1"], "barprop check grad",
     "the following arguments are required: --wrt"),
    (["check", "grad", REGLOG, "--wrt", "w", "--claim"], "barprop check grad",
     "argument --claim: expected one argument"),
    (["check", "adjoints", REGLOG], "barprop check adjoints", "the following arguments are required: submission"),
    (["check", "adjoints", REGLOG, "x.txt", "--seed"], "barprop check adjoints",
     "argument --seed: expected one argument"),
    (["check", "steps"], "barprop check steps", "the following arguments are required: derivation"),
    (["check", "steps", "d.txt", "--spec"], "barprop check steps", "argument --spec: expected one argument"),
    (["grade", "subs"], "barprop grade", "the following arguments are required: --exercise"),
    (["grade", "--exercise", "cs231n-simple", "subs", "--feedback", "all"], "barprop grade",
     "argument --feedback: invalid choice: 'all'"),
    (["exercises"], "barprop exercises", "the following arguments are required: action"),
    (["exercises", "delete"], "barprop exercises", "argument action: invalid choice: 'delete'"),
    (["exercises", "list", "extra"], "barprop", "unrecognized arguments: extra"),
    (["exercises", "show"], "barprop exercises show", "the following arguments are required: id"),
    (["exercises", "validate"], "barprop exercises validate", "the following arguments are required: path"),
]


def _id(argv):
    return " ".join(getattr(a, "name", a) for a in argv) or "barprop"


@pytest.mark.parametrize("argv, prog, message", USAGE, ids=[_id(u[0]) for u in USAGE])
def test_bad_usage_exits_2_with_usage_and_message_on_the_given_stream(cli, capsys, argv, prog, message):
    code, out, err = cli(*argv)
    assert (code, out) == (2, "")
    assert err.startswith(f"usage: {prog}")
    assert f"{prog}: error: {message}" in err and err.endswith("\n")
    assert capsys.readouterr() == ("", "")


def test_main_never_raises_system_exit_in_process():
    import io
    from check.cli import main
    for argv in (["--help"], ["derive"], ["check", "grad"], ["exercises", "show", "--help"]):
        out, err = io.StringIO(), io.StringIO()
        assert main(argv, out=out, err=err) in (0, 2)


def test_the_installed_command_exits_with_the_usage_status():
    r = subprocess.run([sys.executable, "-m", "check", "derive", "--format"], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert (r.returncode, r.stdout) == (2, "") and "argument --format: expected one argument" in r.stderr
    r = subprocess.run([sys.executable, "-m", "check", "exercises", "--help"], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert (r.returncode, r.stderr) == (0, "") and r.stdout.startswith("usage: barprop exercises")


# ---- values of options: `--option:1:COL: message` -------------------------------------------

VALUES = [
    (["derive", REGLOG, "--wrt", "q"],
     "--wrt:1:1: unknown name 'q'; known names: w, x, b, t, lambda, z, y, L, R, L_reg"),
    (["derive", REGLOG, "--wrt", "w,q"], "--wrt:1:3: unknown name 'q'"),
    (["derive", REGLOG, "--wrt", "w, b,  q"], "--wrt:1:8: unknown name 'q'"),
    (["derive", REGLOG, "--wrt", "w,,b"], "--wrt:1:3: expected a name"),
    (["derive", REGLOG, "--wrt", "w,"], "--wrt:1:3: expected a name"),
    (["derive", SPECS / "neuron.bp", "--wrt", "w0,w_{0}"], "--wrt:1:4: 'w0' is given twice"),
    (["derive", L2, "--wrt", "q,V"], "--wrt:1:3: unknown name 'V'; known names: W, x, q, f"),
    (["derive", REGLOG, "--at", "w=1,q=2"], "--at:1:5: unknown name 'q'"),
    (["derive", REGLOG, "--at", "w=1, x=fast"], "--at:1:8: a value must be a number, not 'fast'"),
    (["derive", REGLOG, "--lr", "fast"], "--lr:1:1: a value must be a number, not 'fast'"),
    (["derive", REGLOG, "--lr", "1/0"], "--lr:1:2: division by zero"),
    (["derive", REGLOG, "--lr", "0.1 +"], "--lr:1:"),
    (["check", "grad", REGLOG, "--wrt", "q", "--claim", "1"], "--wrt:1:1: unknown name 'q'; known names: w, x"),
    (["check", "grad", L2, "--wrt", "V", "--claim", "1"], "--wrt:1:1: unknown name 'V'; known names: W, x, q, f"),
    (["check", "grad", REGLOG, "--wrt", "w", "--claim", "(y - t)*sigma'(z)*q"], "--claim:1:19: unknown name 'q'"),
    (["check", "grad", REGLOG, "--wrt", "w", "--claim", "1", "--seed", "1.5"],
     "--seed:1:1: expected an integer, not '1.5'"),
    (["check", "grad", REGLOG, "--wrt", "w", "--claim", "1", "--deadline", "-1"],
     "--deadline:1:1: expected a number of seconds ≥ 0, not '-1'"),
    (["check", "adjoints", REGLOG, "x.txt", "--deadline", "nan"],
     "--deadline:1:1: expected a number of seconds ≥ 0, not 'nan'"),
    (["check", "steps", "d.txt", "--seed", " x"], "--seed:1:2: expected an integer, not 'x'"),
    (["grade", "--exercise", "cs231n-simple", "subs", "--jobs", "0"], "--jobs:1:1: expected an integer ≥ 1, not '0'"),
    (["grade", "--exercise", "cs231n-simple", "subs", "--seed", "one"], "--seed:1:1: expected an integer, not 'one'"),
    (["grade", "--exercise", "no-such-exercise", "subs"], "--exercise:1:1: unknown exercise 'no-such-exercise'"),
]


@pytest.mark.parametrize("argv, message", VALUES, ids=[_id(v[0]) for v in VALUES])
def test_a_bad_option_value_is_located_in_that_value(cli, capsys, argv, message):
    code, out, err = cli(*argv)
    assert (code, out) == (2, "")
    assert err.startswith(message) and err.count("\n") == 1, err
    assert capsys.readouterr() == ("", "")


def test_a_bad_option_value_with_json_is_the_error_document(cli):
    code, out, err = cli("check", "grad", REGLOG, "--wrt", "q", "--claim", "1", "--json")
    assert code == 2 and err.startswith("--wrt:1:1:")
    doc = json.loads(out)
    assert doc["error"]["line"] == 1 and doc["error"]["col"] == 1 and "unknown name 'q'" in doc["error"]["message"]


def test_good_values_with_spaces_and_spellings_are_read(cli):
    code, out, _ = cli("derive", SPECS / "neuron.bp", "--wrt", " w_{0} , w2", "--format", "json",
                       "--lr", " 1e-1")
    doc = json.loads(out)
    assert code == 0 and doc["wrt"] == ["w0", "w2"] and set(doc["updated"]) == {"w0", "w2"}
    code, _, _ = cli("check", "grad", REGLOG, "--wrt", "w", "--claim", "(y-t)*sigma'(z)*x + lambda*w",
                     "--seed", "7", "--deadline", "0")
    assert code == 0
