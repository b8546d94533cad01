"""`barprop derive` and the command line as a whole, run in-process through check.cli.main."""
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, SPECS

REGLOG = SPECS / "reglog.bp"

COMMANDS = [[], ["derive"], ["check"], ["check", "grad"], ["check", "adjoints"], ["check", "steps"],
            ["grade"], ["exercises"], ["exercises", "list"], ["exercises", "show"], ["exercises", "validate"]]


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "barprop")
def test_every_command_has_help_on_the_given_stream(command, flag, cli, capsys):
    code, out, err = cli(*command, flag)
    assert (code, err) == (0, "")
    assert out.startswith(f"usage: barprop {' '.join(command)}".rstrip())
    assert capsys.readouterr() == ("", "")


def _parsers(p, path=()):
    yield path, p
    for action in p._actions:
        choices = action.choices if isinstance(action.choices, dict) else {}
        for name, sub in choices.items():
            if hasattr(sub, "_actions"):
                yield from _parsers(sub, path + (name,))


def test_every_command_and_option_says_what_it_is_for():
    from check.cli import parser
    found = list(_parsers(parser()))
    assert {" ".join(path) for path, _ in found} >= {" ".join(c) for c in COMMANDS}
    silent = [f"barprop {' '.join(path)} {a.option_strings or a.dest}" for path, p in found for a in p._actions
              if not a.help and not hasattr(a, "_parser_class")]
    assert silent == []


def test_usage_error_exits_2(cli, capsys):
    code, out, err = cli("derive")
    assert (code, out) == (2, "") and err.startswith("usage: barprop derive")
    assert err.endswith("barprop derive: error: the following arguments are required: spec\n")
    assert capsys.readouterr() == ("", "")


def test_derive_text_by_default(cli):
    code, out, err = cli("derive", REGLOG)
    assert (code, err) == (0, "")
    assert out.startswith("forward\n  z = w·x + b   = -0.71\n")
    assert "  w̄ = z̄·x + R̄·w   = 0.262574" in out


def test_derive_spec_text_as_argument(cli):
    code, out, _ = cli("derive", "q = x + y\nf = q*z\nat: x=-2, y=5, z=-4")
    assert code == 0 and "  f = q·z   = -12" in out and "  z̄ = f̄·q   = 3" in out


def test_at_overrides_the_specs_values(cli):
    code, out, _ = cli("derive", SPECS / "simple.bp", "--at", "x=1,y=1")
    assert code == 0 and "  f = q·z   = -8" in out and "  x̄ = q̄   = -4" in out


def test_at_reads_a_json_file(cli, tmp_path):
    (tmp_path / "v.json").write_text('{"x": 1, "y": 0.5, "z": 2}')
    code, out, _ = cli("derive", SPECS / "simple.bp", "--at", tmp_path / "v.json", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["values"]["f"] == 3.0 and doc["adjoint_values"]["z"] == 1.5


def test_wrt_selects_the_variables(cli):
    code, out, _ = cli("derive", SPECS / "neuron.bp", "--wrt", "w_{0},w2", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["wrt"] == ["w0", "w2"] and set(doc["gradients"]) == {"w0", "w2"}


def test_json_format_with_lr(cli):
    code, out, _ = cli("derive", REGLOG, "--format", "json", "--lr", "0.1")
    doc = json.loads(out)
    assert code == 0
    assert list(doc) == ["output", "inputs", "wrt", "forward", "backward", "gradients",
                         "values", "adjoint_values", "updated"]
    assert doc["updated"]["w"] == pytest.approx(0.7 - 0.1 * doc["adjoint_values"]["w"], rel=1e-15)
    assert doc["updated"]["b"] == pytest.approx(0.2 - 0.1 * doc["adjoint_values"]["b"], rel=1e-15)


def test_json_without_values_has_no_value_keys(cli):
    code, out, _ = cli("derive", "f = a*b", "--format", "json")
    assert code == 0 and set(json.loads(out)) == {"output", "inputs", "wrt", "forward", "backward", "gradients"}


def test_text_lr_prints_the_step(cli):
    code, out, _ = cli("derive", REGLOG, "--lr", "0.1")
    assert code == 0 and "gradient step (η = 1/10)\n  w ← 0.7 − 0.1·0.262574 = 0.673743\n" in out


def test_bad_lr_exits_2(cli):
    code, _, err = cli("derive", REGLOG, "--lr", "fast")
    assert code == 2 and err.startswith("--lr:1:1:")


def test_latex_and_standalone(cli):
    code, out, _ = cli("derive", REGLOG, "--format", "latex")
    assert code == 0 and out.startswith("% barprop handout") and "\\bar{z} &= \\bar{y}\\, \\sigma'\\left(z\\right)" in out
    assert "\\documentclass" not in out
    code, out, _ = cli("derive", REGLOG, "--format", "latex", "--standalone")
    assert code == 0 and out.startswith("\\documentclass") and out.endswith("\\end{document}\n")


def test_markdown(cli):
    code, out, _ = cli("derive", REGLOG, "--format", "markdown", "--expand")
    assert code == 0 and "### calculus-class full expansion" in out and "$$\n\\begin{aligned}" in out


def test_expand_prints_the_full_expansion_beside_the_adjoints(cli):
    code, out, _ = cli("derive", REGLOG, "--expand")
    assert code == 0
    block = out.split("calculus-class full expansion\n", 1)[1]
    assert "  ∂L_reg/∂w = (σ(w·x + b) - t)·σ′(w·x + b)·x + w·λ\n" in block
    assert "  operations: full expansion 19, backprop adjoints 8, forward graph 10\n" in block
    assert "  repeated 4×: w·x + b\n" in block


def test_ascii_flag(cli):
    code, out, _ = cli("derive", REGLOG, "--ascii", "--expand", "--lr", "0.1")
    assert code == 0 and out.isascii() and "  z_bar = y_bar*sigma'(z)   = -0.148134" in out


@pytest.mark.parametrize("ext", ["dot", "svg"])
def test_graph_option_writes_the_picture(cli, tmp_path, ext):
    path = tmp_path / f"out.{ext}"
    code, out, err = cli("derive", SPECS / "neuron.bp", "--graph", path)
    assert (code, err) == (0, "") and out.startswith("forward")
    data = path.read_text(encoding="utf-8").replace("&#45;", "-")
    assert "0.73" in data and "-0.59" in data


def test_graph_without_dot_binary_exits_2_with_a_clear_message(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    code, out, err = cli("derive", REGLOG, "--graph", tmp_path / "out.svg")
    assert (code, out) == (2, "")
    assert err.startswith("barprop: drawing") and "Graphviz program 'dot'" in err and "Traceback" not in err


def test_graph_with_unknown_extension_exits_2(cli, tmp_path):
    code, _, err = cli("derive", REGLOG, "--graph", tmp_path / "out.gif")
    assert code == 2 and "must end in" in err


def test_index_form_of_a_scalar_spec_exits_2(cli):
    code, _, err = cli("derive", REGLOG, "--index-form")
    assert code == 2 and "already in index form" in err


def test_emitted_numpy_of_a_scalar_spec_gives_the_lecture_gradients(cli):
    code, out, _ = cli("derive", REGLOG, "--emit", "numpy")
    namespace = {}
    exec(compile(out, "<emitted>", "exec"), namespace)   # our own generated code, not user text
    loss, grads = namespace["forward_backward"](0.7, -1.3, 0.2, 1.0, 0.1)
    assert code == 0 and abs(grads["w"] - 0.262574) < 1e-6 and abs(grads["b"] + 0.148134) < 1e-6


@pytest.mark.parametrize("fmt", ["text", "latex", "markdown", "json"])
def test_two_runs_give_byte_identical_output(cli, fmt):
    args = ("derive", REGLOG, "--format", fmt, "--expand", "--lr", "0.1")
    if fmt == "latex":
        args = ("derive", REGLOG, "--format", fmt, "--standalone")
    assert cli(*args) == cli(*args)


def test_output_does_not_depend_on_the_hash_seed(tmp_path):
    """Two processes with different hash seeds print the same bytes (no set or dict order leaks)."""
    script = ("import io, sys\nfrom check.cli import main\n"
              "for fmt in ('text', 'markdown', 'json', 'latex'):\n"
              "    out = io.StringIO()\n"
              f"    main(['derive', {str(REGLOG)!r}, '--format', fmt, '--expand', '--graph', sys.argv[1]], out)\n"
              "    sys.stdout.write(out.getvalue())\n"
              "sys.stdout.write(open(sys.argv[1]).read())\n")
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        r = subprocess.run([sys.executable, "-c", script, str(tmp_path / f"g{seed}.dot")], env=env, cwd=ROOT,
                           capture_output=True, timeout=120)
        assert r.returncode == 0, r.stderr.decode()
        runs.append(r.stdout)
    assert runs[0] == runs[1] and len(runs[0]) > 1000


def test_python_m_check_is_the_same_cli():
    r = subprocess.run([sys.executable, "-m", "check", "derive", str(SPECS / "simple.bp"), "--format", "json"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and json.loads(r.stdout)["adjoint_values"]["x"] == -4.0


def test_readme_starts_with_the_two_commands_that_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert block == [
        "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && "
        ".venv/bin/barprop derive exercises/specs/reglog.bp --expand",
        ".venv/bin/python -m pytest -q",
    ]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert all(command in ci for command in block)
    assert os.access(ROOT / ".ci" / "run", os.X_OK)

