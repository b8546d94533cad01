"""The LaTeX handout (`derive --format latex`) and the exercise sheets (`exercises show`): what
they show, and that every bundled spec and exercise compiles with pdflatex to a page with ink."""
import re
import shutil
import subprocess

import pytest

import exercises
from conftest import SPECS, run_cli
from derive import parse_spec
from derive.handout import handout_latex, spec_title, tex_text
from exercises.sheet import sheet_latex, sheet_markdown

REGLOG = SPECS / "reglog.bp"
ALL_SPECS = sorted(SPECS.glob("*.bp"))
HAVE_TEX = shutil.which("pdflatex") and shutil.which("pdftoppm")
needs_tex = pytest.mark.skipif(not HAVE_TEX, reason="pdflatex and pdftoppm (texlive, poppler-utils) not installed")


def _has_kotex():
    kpse = shutil.which("kpsewhich")
    return bool(kpse and subprocess.run([kpse, "kotex.sty"], capture_output=True, text=True).stdout.strip())


def handout(*args):
    code, out, err = run_cli("derive", *args)
    assert code == 0, err
    return out


def _numbers(text):
    return set(re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e-?\d+)?", text))


# --- what the handout shows -----------------------------------------------------------------

def test_reglog_handout_shows_every_number_the_text_output_shows():
    text = handout(REGLOG, "--expand", "--lr", "0.1")
    tex = handout(REGLOG, "--format", "latex", "--standalone", "--expand", "--lr", "0.1")
    missing = _numbers(text) - _numbers(tex)
    assert not missing, missing
    for figure in ("-0.71", "0.329599", "0.262574", "-0.148134", "0.673743", "0.214813"):
        assert figure in tex


def test_backward_rows_carry_local_times_upstream_beside_the_value():
    tex = handout(REGLOG, "--format", "latex")
    w_row = next(l for l in tex.split("\n") if l.startswith(r"\bar{w} &="))
    # CSC321: w̄ = z̄ x + R̄ w = 0.262574, local -1.3 × upstream z̄ and local 0.7 × upstream R̄
    assert "&& = 0.262574 &&" in w_row
    assert r"z\colon\ {-1.3} \times (-0.148134)" in w_row and r"R\colon\ {0.7} \times 0.1" in w_row


def test_expansion_colours_each_repeated_subexpression_once():
    tex = handout(REGLOG, "--format", "latex", "--expand")
    expansion = tex.split("Calculus-class full expansion", 1)[1].split(r"\subsection*", 1)[0]
    colours = re.findall(r"\\definecolor\{(bprep\d)\}", expansion)
    assert len(colours) == len(set(colours)) == 3       # σ(wx+b) − t, σ′(wx+b), wx+b
    rows = expansion.split(r"\begin{array}", 1)[1].split(r"\end{array}", 1)[0]
    wx_b = [c for c in colours if r"\item \ensuremath{\color{%s}w\, x + b}" % c in expansion]
    assert len(wx_b) == 1 and rows.count(r"{\color{%s}w\, x + b}" % wx_b[0]) == 4   # the lecture's four
    assert "Operations: full expansion 19, backprop adjoints 8, forward graph 10." in expansion
    assert "written 4 times" in expansion


def test_without_expand_there_is_no_expansion():
    assert "Calculus-class" not in handout(REGLOG, "--format", "latex")


def test_graph_has_forward_values_above_in_green_and_gradients_below_in_red():
    tex = handout(REGLOG, "--format", "latex")
    pic = tex.split(r"\begin{tikzpicture}", 1)[1].split(r"\end{tikzpicture}", 1)[0]
    ids = dict(re.findall(r"\\node\[\w+\] \((n\d+)\) at \([^)]*\) \{\\ensuremath\{([^=}]+?)(?: =|\})", pic))
    by_name = {v.strip(): k for k, v in ids.items()}
    edge = next(l for l in pic.split("\n") if l.startswith(rf"\draw[->] ({by_name['w']}) --")
                and l.endswith(f"({by_name['z']});"))
    # w = 0.70 flows forward; w's share of the gradient back from z: x · z̄ = -1.3 · -0.148 = 0.19
    assert r"above, sloped, text=bpforward] {\ensuremath{0.70}}" in edge
    assert r"below, sloped, text=bpgrad] {\ensuremath{0.19}}" in edge
    assert r"\ensuremath{\bar{w} = 0.26}" in pic        # fan-out: w's total gradient beside it


def test_mlp_handout_draws_the_matrix_graph():
    tex = handout(SPECS / "mlp.bp", "--format", "latex")
    pic = tex.split(r"\begin{tikzpicture}", 1)[1].split(r"\end{tikzpicture}", 1)[0]
    assert r"{\ensuremath{z = W^{(1)}\, x + b^{(1)}}}" in pic
    assert r"text=bpforward] {\ensuremath{H{\times}D}}" in pic       # W1's shape flows forward
    assert r"text=bpgrad] {\ensuremath{\bar{z}\, x^\top}}" in pic     # W̄1 = z̄ xᵀ flows back
    assert pic.count(r"\draw[->]") == 10                               # 9 edges and the output


def test_title_is_the_spec_comment_or_the_flag():
    assert spec_title("# CSC321 lecture 6: the MLP\nz = w*x\n") == "CSC321 lecture 6: the MLP"
    assert spec_title("z = w*x\n# later\n") is None
    tex = handout(SPECS / "l2.bp", "--format", "latex")
    assert r"\section*{CS231n lecture 4: f = ||W x||\^{}2}" in tex
    tex = handout(REGLOG, "--format", "latex", "--title", "Quiz 3: 100% & {fun}_")
    assert r"\section*{Quiz 3: 100\% \& \{fun\}\_}" in tex


def test_fragment_and_standalone_hold_the_same_content():
    fragment = handout(REGLOG, "--format", "latex", "--expand")
    doc = handout(REGLOG, "--format", "latex", "--expand", "--standalone")
    assert r"\documentclass" not in fragment and r"\begin{document}" not in fragment
    body = doc.split(r"\begin{document}" + "\n", 1)[1].rsplit(r"\end{document}", 1)[0]
    assert fragment.split("\n", 1)[1] == body


def test_korean_headings_use_kotex():
    doc = handout(REGLOG, "--format", "latex", "--standalone", "--lang", "ko")
    assert r"\usepackage{kotex}" in doc and r"\subsection*{순전파}" in doc and r"\subsection*{역전파}" in doc
    assert r"\usepackage{kotex}" not in handout(REGLOG, "--format", "latex", "--standalone")


def test_prose_unicode_becomes_latex():
    assert tex_text("ȳ = σ′(z) ½") == r"\ensuremath{\bar{y}} = \ensuremath{\sigma}\ensuremath{'}(z) \ensuremath{\tfrac{1}{2}}"
    assert tex_text("역전파 #1") == r"역전파 \#1"


def test_handout_is_deterministic():
    args = (REGLOG, "--format", "latex", "--standalone", "--expand", "--lr", "0.1")
    assert handout(*args) == handout(*args)


# --- exercise sheets --------------------------------------------------------------------------

def test_sheet_has_every_part_with_points_and_room_but_no_gradients():
    ex = exercises.load("csc321-reg-logistic")
    tex = sheet_latex(ex)
    for part in ex.parts:
        assert rf"\subsection*{{Part {tex_text(part.id)} ({part.points:g} point" in tex
    assert tex.count(r"\framebox[\linewidth]") == len(ex.parts)
    assert r"L_{reg} &= L + \lambda\, R" in tex                    # the spec as equations
    assert "text=bpforward" in tex and "text=bpgrad" not in tex    # values yes, answers no
    assert r"\bar{w} &=" not in tex


def test_sheet_solution_adds_the_reference_derivation():
    ex = exercises.load("csc321-reg-logistic")
    tex = sheet_latex(ex, solution=True)
    solution = tex.split(r"\section*{Solution}", 1)[1]
    assert r"\bar{w} &= \bar{z}\, x + \bar{R}\, w" in solution and "text=bpgrad" in solution
    assert "Calculus-class full expansion" in solution


def test_markdown_sheet_has_parts_graph_and_answer_blocks():
    ex = exercises.load("csc321-mlp")
    md = sheet_markdown(ex)
    assert md.startswith(f"# {ex.title}\n") and "```mermaid\nflowchart LR" in md
    for part in ex.parts:
        assert f"# part: {part.id}\n" in md
    assert "backward" not in md and "## Solution" not in md
    assert "## Solution" in sheet_markdown(ex, solution=True)


def test_exercises_show_formats_through_the_cli():
    code, out, _ = run_cli("exercises", "show", "csc321-reg-logistic", "--format", "latex", "--solution")
    assert code == 0 and out.startswith(r"\documentclass") and r"\section*{Solution}" in out
    code, out, _ = run_cli("exercises", "show", "csc321-reg-logistic", "--format", "markdown")
    assert code == 0 and out.startswith("# CSC321")
    code, out, _ = run_cli("exercises", "show", "csc321-reg-logistic")
    assert code == 0 and out.startswith("csc321-reg-logistic: ")


# --- compiled with pdflatex, page 1 rendered ---------------------------------------------------

def _ink(pgm):
    """Share of non-white pixels in a binary PGM (P5) from `pdftoppm -gray`."""
    parts = pgm.split(maxsplit=4)
    assert parts[0] == b"P5", parts[0]
    w, h, pixels = int(parts[1]), int(parts[2]), parts[4]
    return sum(1 for b in pixels[: w * h] if b < 224) / (w * h)


def compile_first_page(tex, tmp_path, name="doc"):
    """pdflatex `tex`, render page 1 in grey at 30 dpi: the share of dark pixels."""
    (tmp_path / f"{name}.tex").write_text(tex, encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stdout[-2500:]
    page = subprocess.run(["pdftoppm", "-gray", "-r", "30", "-f", "1", "-l", "1", f"{name}.pdf"],
                          cwd=tmp_path, capture_output=True, timeout=60)
    assert page.returncode == 0, page.stderr
    return _ink(page.stdout)


def test_ink_counts_dark_pixels():
    assert _ink(b"P5\n2 2\n255\n" + bytes([0, 200, 255, 240])) == 0.5


@needs_tex
@pytest.mark.parametrize("path", ALL_SPECS, ids=[p.name for p in ALL_SPECS])
def test_every_bundled_handout_compiles_to_a_page_with_ink(path, tmp_path):
    text = path.read_text(encoding="utf-8")
    graph = parse_spec(text)
    import sympy
    tex = handout_latex(graph.backprop(), point=dict(graph.at) or None, lr=sympy.Rational(1, 10),
                        expand=True, standalone=True, title=spec_title(text))
    assert compile_first_page(tex, tmp_path) > 0.01


@needs_tex
@pytest.mark.parametrize("ex_id", exercises.list_ids())
def test_every_exercise_sheet_with_solution_compiles_to_a_page_with_ink(ex_id, tmp_path):
    assert compile_first_page(sheet_latex(exercises.load(ex_id), solution=True), tmp_path) > 0.01


@needs_tex
@pytest.mark.skipif(not _has_kotex(), reason="kotex (texlive-lang-korean) not installed")
def test_korean_handout_and_sheet_compile(tmp_path):
    doc = handout(REGLOG, "--format", "latex", "--standalone", "--expand", "--lang", "ko")
    assert compile_first_page(doc, tmp_path, "handout") > 0.01
    sheet = sheet_latex(exercises.load("csc321-reg-logistic"), solution=True, lang="ko")
    assert compile_first_page(sheet, tmp_path, "sheet") > 0.01


def test_long_chain_goes_on_in_bands_below_not_shrunk_to_nothing():
    from derive.tikz import MIN_SCALE, WIDTH_CM, graph_tikz, layout, tex_width
    spec = "h0 = w*x + b\n" + "".join(f"h{i} = sigma(h{i - 1})\n" for i in range(1, 30)) + "L = h29^2\nat: w=1, x=1, b=0\n"
    graph = parse_spec(spec)
    widths = {n: 2.0 for n in graph.names}
    places = layout(graph, widths, 1.0)
    bands = {}
    for pl in places.values():
        bands.setdefault(pl.band, []).append(pl)
    assert len(bands) > 2
    for band in bands.values():
        assert max(pl.x for pl in band) - min(pl.x for pl in band) <= WIDTH_CM / MIN_SCALE
    assert min(pl.y for pl in bands[1]) < min(pl.y for pl in bands[0]) - 1.0     # each band below the last
    pic = graph_tikz(graph.backprop(), dict(graph.at))
    scale = float(re.search(r"scale=([\d.]+)", pic).group(1))
    routed = [l for l in pic.split("\n") if "|-" in l]
    assert scale >= MIN_SCALE and len(routed) >= 2          # a chain: one edge down per band change
    assert tex_width("x") < tex_width(r"\sigma\left(z\right)")


def test_a_display_too_wide_for_any_page_keeps_its_value_and_says_its_size():
    from derive.handout import WORDS, _display
    huge = "= " + " + ".join(f"x_{{{i}}}" for i in range(2000))
    out = _display([(r"\bar{w}", huge, "= 0.25"), ("y", "= x", "")], WORDS["en"])
    assert "x_{1999}" not in out and f"({len(huge):,} characters of LaTeX" in out and "= 0.25" in out
    wide = _display([(r"\bar{w}", "= " + " + ".join(f"x_{{{i}}}" for i in range(40)), "")], WORDS["en"])
    assert wide.startswith("\\begin{center}\n\\resizebox{\\linewidth}{!}{") and "x_{39}" in wide
    assert "resizebox" not in _display([("y", "= x", "")], WORDS["en"])


def test_api_to_handout_is_what_the_cli_prints():
    import sympy
    text = REGLOG.read_text(encoding="utf-8")
    graph = parse_spec(text)
    api = graph.backprop().to_handout(point=dict(graph.at), lr=sympy.Rational(1, 10), expand=True,
                                      standalone=True, title=spec_title(text))
    assert api == handout(REGLOG, "--format", "latex", "--standalone", "--expand", "--lr", "0.1")
