"""Every `derive` option and every `check` mode on every bundled spec, in-process: an exit
status of 0, 1 or 2 and never a traceback. An option that means nothing for a spec
(`--index-form` on a scalar spec) is a clean exit-2 message. Where derive's own output is the
submission (its gradient as a claim, its LaTeX as adjoints, its gradient twice as steps), the
verdict is `correct` (exit 0); `check steps` on a matrix spec is a clean exit 2."""
import shutil

import pytest

from conftest import SPECS, load
from derive.printing import Text

ALL = sorted(p.stem for p in SPECS.glob("*.bp"))
DERIVE = [["--format", "text"], ["--format", "latex"], ["--format", "markdown"], ["--format", "json"],
          ["--graph", "GRAPH.svg"], ["--graph", "GRAPH.dot"], ["--expand"], ["--index-form"],
          ["--emit", "numpy"], ["--lr", "0.1"], ["--standalone"], ["--format", "latex", "--standalone"],
          ["--ascii"], ["--expand", "--format", "markdown", "--lr", "0.1"]]


def clean(code, out, err):
    assert code in (0, 1, 2)
    assert "Traceback" not in out + err and 'File "' not in err
    if code == 2:
        assert err.strip() and len(err.strip().splitlines()) <= 3, err


@pytest.mark.parametrize("options", DERIVE, ids=lambda o: " ".join(o))
@pytest.mark.parametrize("spec", ALL)
def test_every_derive_option_on_every_spec_exits_cleanly(spec, options, cli, tmp_path):
    if "GRAPH.svg" in options and shutil.which("dot") is None:
        pytest.skip("no Graphviz 'dot' program")
    argv = [str(tmp_path / o.replace("GRAPH", spec)) if o.startswith("GRAPH") else o for o in options]
    code, out, err = cli("derive", SPECS / f"{spec}.bp", *argv)
    clean(code, out, err)
    matrix = getattr(load(spec), "is_matrix", False)
    if "--index-form" in options and not matrix:
        assert code == 2 and "--index-form is for matrix specs" in err
    else:
        assert (code, err) == (0, ""), err
    if "--graph" in options:
        assert (tmp_path / argv[1]).stat().st_size > 0


def _gradient(spec):
    graph = load(spec)
    d = graph.backprop()
    w = d.wrt[0]
    return graph, w, Text(ascii=True).doprint(d.gradients[w])


@pytest.mark.parametrize("spec", ALL)
def test_check_grad_with_derives_own_gradient_is_correct(spec, cli):
    _, w, claim = _gradient(spec)
    code, out, err = cli("check", "grad", SPECS / f"{spec}.bp", "--wrt", w, "--claim", claim)
    clean(code, out, err)
    assert code == 0, out + err
    code, out, err = cli("check", "grad", SPECS / f"{spec}.bp", "--wrt", w, "--claim", f"3*({claim})", "--json")
    clean(code, out, err)
    assert code == 1, out + err


@pytest.mark.parametrize("spec", ALL)
def test_check_adjoints_with_derives_own_latex_is_correct(spec, cli, tmp_path):
    code, tex, err = cli("derive", SPECS / f"{spec}.bp", "--format", "latex")
    assert code == 0, err
    (tmp_path / "adjoints.tex").write_text(tex, encoding="utf-8")
    for extra in ([], ["--json"]):
        code, out, err = cli("check", "adjoints", SPECS / f"{spec}.bp", tmp_path / "adjoints.tex", *extra)
        clean(code, out, err)
        assert code == 0, out + err


@pytest.mark.parametrize("spec", ALL)
def test_check_steps_with_derives_own_gradient_is_correct(spec, cli, tmp_path):
    graph, w, claim = _gradient(spec)
    (tmp_path / "steps.txt").write_text(f"d{graph.output}/d{w} = {claim}\n  = {claim}\n", encoding="utf-8")
    code, out, err = cli("check", "steps", tmp_path / "steps.txt", "--spec", SPECS / f"{spec}.bp")
    clean(code, out, err)
    if getattr(graph, "is_matrix", False):     # steps are scalar-only: said so, cleanly
        assert code == 2 and "checks against scalar specs" in err
    else:
        assert code == 0, out + err


@pytest.mark.parametrize("claim, code", [("[x > 0] + [x >= v]", 0), ("2*[x >= v]", 1),
                                         (r"$\mathbb{1}(x > 0) + \mathbb{1}[x \geq v]$", 0),
                                         (r"$\mathbb{1}(x)$", 2)])
def test_an_iverson_bracket_in_a_matrix_claim_is_read_entry_by_entry(claim, code, cli):
    spec = "x: vector(D)\nv: vector(D)\nh = max(x, v) + relu(x)\nL = sum(h)\n"
    got, out, err = cli("check", "grad", spec, "--wrt", "x", "--claim", claim)
    clean(got, out, err)
    assert got == code, out + err
