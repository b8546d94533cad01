"""Printers: text, ASCII, LaTeX, Markdown and JSON in the shapes of docs/json.md."""
import json
import re
import shutil
import subprocess

import pytest
import sympy

from conftest import B, S, exact, load
from derive import parse_spec
from derive.functions import BAR, sym
from derive.parse import Scope, parse_expression

EXAMPLES = ["simple", "neuron", "gates", "reglog"]
EVERY_FUNCTION = ("f = sigma(x) + exp(x) + log(y) + tanh(x) + relu(x) + leaky_relu(x, a) + elu(x, a)"
                  " + max(x, y) + min(x, y) + abs(x) + sqrt(y) + sin(x) + cos(x) + softplus(x)"
                  " + sigma'(x) + tanh'(x) + relu'(x) + x^y/y + sigmoid(-x)^2\n")


class KnownNames(Scope):
    """The reader of printed output: forward names, leaves and their `_bar` adjoints only."""

    def __init__(self, graph, adjoints=True):
        self.known = set(graph.names) | ({n + BAR for n in graph.names} if adjoints else set())

    def name(self, tok):
        if str(tok) not in self.known:
            raise AssertionError(f"printed an unknown name {tok!r}")
        return sym(str(tok))


def rows(text, title):
    """The indented rows under the section whose title starts with `title`."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    out = []
    for line in lines[start + 1:]:
        if not line.startswith("  "):
            break
        out.append(line.strip())
    return out


# --- text and ASCII ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", EXAMPLES)
def test_ascii_output_is_ascii_and_parses_back(name):
    g = load(name)
    d = g.backprop()
    text = d.to_text(ascii=True)
    assert text.isascii()
    scope = KnownNames(g)
    back = {}
    for row in rows(text, "backward"):
        lhs, rhs = row.split(" = ", 1)
        back[lhs] = parse_expression(rhs, scope)
    assert back == {a + BAR: e for a, e in d.adjoints.items()}
    fwd = dict(r.split(" = ", 1) for r in rows(text, "forward"))
    assert {k: parse_expression(v, scope) for k, v in fwd.items()} == {n.name: n.expr for n in g.nodes}
    leaves = KnownNames(type(g)(g.inputs, (), g.inputs), adjoints=False)
    for row in rows(text, "gradients"):
        lhs, rhs = row.split(" = ", 1)
        w = lhs.split("/d", 1)[1]
        assert sympy.expand(parse_expression(rhs, leaves) - d.gradients[w]) == 0


def test_ascii_output_of_every_function_and_its_derivative_parses_back():
    g = parse_spec(EVERY_FUNCTION)
    d = g.backprop()
    text = d.to_text(ascii=True)
    assert text.isascii()
    scope = KnownNames(g)
    for row in rows(text, "backward"):
        lhs, rhs = row.split(" = ", 1)
        assert parse_expression(rhs, scope) == d.adjoints[lhs[: -len(BAR)]], row


def test_sqrt_prints_without_extra_parentheses():
    text = parse_spec("f = x/sqrt(z)\n").backprop().to_text(ascii=True)
    assert "  f = x/sqrt(z)\n" in text and "  z_bar = f_bar*(-x/(2*z^(3/2)))\n" in text


@pytest.mark.parametrize("name", EXAMPLES)
def test_ascii_output_with_values_is_still_ascii(name):
    g = load(name)
    assert g.backprop().to_text(ascii=True, point=g.at, lr=sympy.Rational(1, 10), expand=True).isascii()


def test_text_shows_local_times_upstream_on_each_edge():
    g = load("reglog")
    text = g.backprop().to_text(point=g.at)
    w_row = next(r for r in rows(text, "backward") if r.startswith("w̄"))
    assert w_row.startswith("w̄ = z̄·x + R̄·w   = 0.262574")
    assert "(z: local -1.3 × upstream -0.148134; R: local 0.7 × upstream 0.1)" in w_row
    assert "z̄ = ȳ·σ′(z)" in text and "R̄ = L̄_reg·λ" in text


def test_text_puts_the_bar_on_the_letter_of_an_indexed_name():
    text = load("neuron").backprop().to_text()
    assert "w̄0 = z̄·x0" in text and "x̄1 = z̄·w1" in text


def test_text_lr_adds_one_gradient_step_per_wrt_variable():
    g = load("reglog")
    text = g.backprop().to_text(point=g.at, lr=sympy.Rational(1, 10))
    step = rows(text, "gradient step (η = 1/10)")
    assert step == ["w ← 0.7 − 0.1·0.262574 = 0.673743", "b ← 0.2 − 0.1·(-0.148134) = 0.214813"]


def test_expand_reports_the_lectures_repeated_wx_plus_b():
    d = load("reglog").backprop()
    text = d.to_text(expand=True)
    block = rows(text, "calculus-class full expansion")
    assert "repeated 4×: w·x + b" in block
    counts = next(r for r in block if r.startswith("operations:"))
    full, adjoints = map(int, re.findall(r"full expansion (\d+), backprop adjoints (\d+)", counts)[0])
    assert full > adjoints


# --- LaTeX --------------------------------------------------------------------------------------

def test_latex_is_one_aligned_row_per_node_and_adjoint():
    g = load("reglog")
    d = g.backprop()
    tex = d.to_latex()
    assert tex.startswith("\\begin{aligned}\n") and tex.endswith("\\end{aligned}\n")
    body = tex[len("\\begin{aligned}\n"):-len("\\end{aligned}\n")]
    lines = body.rstrip("\n").split(" \\\\\n")
    assert len(lines) == len(g.nodes) + len(d.order)
    assert all(line.count("&=") == 1 for line in lines)
    assert "\\bar{w} &= \\bar{z}\\, x + \\bar{R}\\, w" in lines
    assert "L_{reg} &= L + \\lambda\\, R" in lines


def test_latex_repr_for_jupyter():
    d = load("simple").backprop()
    assert d._repr_latex_() == "$$" + d.to_latex() + "$$"


def test_standalone_latex_compiles_with_pdflatex(tmp_path):
    pdflatex = shutil.which("pdflatex")
    assert pdflatex, "pdflatex is not installed (Debian: apt-get install texlive-latex-base)"
    spec = "latex: L_reg = \\mathcal{L}_{reg}, L = \\mathcal{L}\n" + load_text("reglog")
    tex = parse_spec(spec).backprop().to_latex(standalone=True)
    assert tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")
    (tmp_path / "d.tex").write_text(tex, encoding="utf-8")
    r = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "d.tex"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-2000:]
    assert (tmp_path / "d.pdf").stat().st_size > 1000
    (tmp_path / "every.tex").write_text(parse_spec(EVERY_FUNCTION).backprop().to_latex(standalone=True))
    r = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "every.tex"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-2000:]


def load_text(name):
    from conftest import spec_path
    return spec_path(name).read_text(encoding="utf-8")


# --- Markdown -----------------------------------------------------------------------------------

def test_markdown_has_sections_code_rows_and_a_latex_block():
    g = load("reglog")
    md = g.backprop().to_markdown(point=g.at)
    assert md.startswith("### forward\n\n- `z = w·x + b   = -0.71`")
    assert "### backward (v̄ = ∂L_reg/∂v)" in md and "- `w̄ = z̄·x + R̄·w   = 0.262574" in md
    assert "### gradients" in md
    assert md.rstrip().endswith("\\end{aligned}\n$$")


# --- JSON ---------------------------------------------------------------------------------------

def test_json_has_the_design_keys_and_terms():
    g = load("reglog")
    doc = g.backprop().to_json()
    assert list(doc) == ["output", "inputs", "wrt", "forward", "backward", "gradients"]
    assert doc["output"] == "L_reg" and doc["inputs"] == ["w", "x", "b", "t", "lambda"]
    assert doc["wrt"] == ["w", "b"]
    assert doc["forward"][0] == {"name": "z", "expr": "w*x + b", "latex": "z = w\\, x + b"}
    assert all(set(row) == {"name", "expr", "terms", "latex"} for row in doc["backward"])
    w = next(row for row in doc["backward"] if row["name"] == "w")
    assert w["terms"] == ["z_bar*x", "R_bar*w"] and w["expr"] == "z_bar*x + R_bar*w"
    assert w["latex"] == "\\bar{w} = \\bar{z}\\, x + \\bar{R}\\, w"
    assert set(doc["gradients"]) == {"w", "b"}
    json.dumps(doc)


def test_json_expressions_parse_back_to_the_adjoints():
    g = load("reglog")
    d = g.backprop()
    scope = KnownNames(g)
    for row in d.to_json()["backward"]:
        expr = parse_expression(row["expr"], scope)
        assert expr == d.adjoints[row["name"]]
        assert sum((parse_expression(t, scope) for t in row["terms"]), sympy.Integer(0)) == expr or row["terms"] == []


def test_json_values_only_with_a_point_and_updated_only_with_lr():
    g = load("reglog")
    d = g.backprop()
    with_point = d.to_json(point=g.at)
    assert "values" in with_point and "adjoint_values" in with_point and "updated" not in with_point
    assert with_point["values"]["z"] == -0.71 and with_point["adjoint_values"]["R"] == 0.1
    assert with_point["adjoint_values"]["w"] == pytest.approx(0.2625743945141095, rel=1e-15)
    stepped = d.to_json(point=g.at, lr=sympy.Rational(1, 10))
    assert stepped["updated"] == {"w": pytest.approx(0.7 - 0.1 * 0.2625743945141095),
                                  "b": pytest.approx(0.2 + 0.1 * 0.1481341496262381)}


def test_json_lists_every_adjoint_in_backprop_order_with_the_output_first():
    doc = load("neuron").backprop().to_json(point=exact(w0=2, x0=-1, w1=-3, x1=-2, w2=-3))
    assert [row["name"] for row in doc["backward"]][:2] == ["f", "z"]
    assert list(doc["adjoint_values"]) == [row["name"] for row in doc["backward"]]
    assert doc["backward"][0] == {"name": "f", "expr": "1", "terms": [], "latex": "\\bar{f} = 1"}


def test_terms_are_upstream_adjoint_times_local_derivative():
    d = load("gates").backprop()
    for a in d.order:
        for t in a.terms:
            assert t.expr == B(t.upstream) * t.local
    assert d.by_name["s"].terms[0].local == 2 and S("s") not in d.adjoints["s"].free_symbols
