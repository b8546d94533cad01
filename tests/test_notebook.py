"""Jupyter: Verdict/Report as HTML and the `%%barprop` cell magic, through IPython's own shell."""
import pytest

from check import Verdict, check_adjoints, check_claim
from check.notebook import NO_MATH, name_latex
from conftest import ROOT, spec_path

IPython = pytest.importorskip("IPython")
REGLOG = str(spec_path("reglog"))
REGLOG_TEXT = spec_path("reglog").read_text(encoding="utf-8")
GOOD_W = "(sigma(w*x + b) - t)*sigma'(w*x + b)*x + lambda*w"
SIGMA_FOR_PRIME = "(sigma(w*x + b) - t)*sigma(w*x + b)*x + lambda*w"


@pytest.fixture(scope="module")
def ip():
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "check")
    return shell


def html_of(shell, obj):
    """What the notebook front end is sent for `obj` (IPython's display formatter)."""
    data, _ = shell.display_formatter.format(obj)
    return data["text/html"]


def test_load_ext_check_registers_the_barprop_cell_magic(ip):
    assert "barprop" in ip.magics_manager.magics["cell"]


def test_cell_magic_check_judges_the_cell_as_a_claim(ip):
    good = ip.run_cell_magic("barprop", f"check {REGLOG} --wrt w", GOOD_W)
    bad = ip.run_cell_magic("barprop", f"check {REGLOG} --wrt w", SIGMA_FOR_PRIME)
    assert good.verdict == "correct" and bad.verdict == "incorrect"
    assert bad.diagnosis["kind"] == "derivative_of_wrong_function"


def test_cell_magic_adjoints_marks_the_lecture_mistake_first_wrong(ip):
    cell = (ROOT / "tests" / "data" / "contract" / "reglog_adjoints_wrong.txt").read_text(encoding="utf-8")
    r = ip.run_cell_magic("barprop", f"adjoints {REGLOG}", cell)
    assert r.first_wrong == "z_bar"
    html = html_of(ip, r)
    marked = html.split("border-left:4px solid")[1]
    assert marked.index("\\bar{z}") < marked.index("incorrect") < marked.index("counterexample")
    assert "final gradients from your own lines: wrong for $\\bar{b}$, $\\bar{w}$" in html


def test_cell_magic_steps_reads_a_spec_from_a_notebook_variable(ip):
    ip.user_ns["reglog"] = spec_path("reglog").read_text(encoding="utf-8")
    r = ip.run_cell_magic("barprop", "steps reglog", f"dL_reg/dw = {GOOD_W}\n= {SIGMA_FOR_PRIME}\n")
    assert [i.verdict for i in r.items] == ["correct", "incorrect"] and r.first_wrong == 2


def test_cell_magic_bad_line_or_spec_prints_one_message_and_no_traceback(ip, capsys):
    assert ip.run_cell_magic("barprop", f"check {REGLOG}", GOOD_W) is None
    assert ip.run_cell_magic("barprop", "adjoints no_such_spec.bp", "w_bar = 1") is None
    assert ip.run_cell_magic("barprop", "derive x", "w") is None
    err = capsys.readouterr().err
    assert "needs a SPEC and --wrt" in err and "no_such_spec.bp:0:0: cannot read spec" in err
    assert "invalid choice: 'derive'" in err and "Traceback" not in err


def test_verdict_html_has_the_math_colours_and_counterexample():
    v = check_claim(REGLOG_TEXT, "w", SIGMA_FOR_PRIME)
    html = v._repr_html_()
    assert "$\\bar{w}$" in html and "#cf222e" in html
    c = v.counterexample
    assert "counterexample" in html and f"$\\lambda$ = {c['at']['lambda']:.6g}" in html
    assert "the factor σ(w·x + b) should be σ′(w·x + b)" in html
    assert "#1a7f37" in check_claim(REGLOG_TEXT, "w", GOOD_W)._repr_html_()


def test_report_html_counts_and_colours_every_line():
    cell = (ROOT / "tests" / "data" / "contract" / "reglog_adjoints.txt").read_text(encoding="utf-8")
    r = check_adjoints(REGLOG_TEXT, cell)
    html = r._repr_html_()
    assert html.count("#1a7f37") == len(r.items) + 1 and "#cf222e" not in html
    assert f"({len(r.items)}/{len(r.items)})" in html


def test_student_text_is_escaped_and_kept_from_mathjax():
    hostile = "<script>alert(1)</script> $\\href{javascript:alert(1)}{x}$"
    v = Verdict(target="<img src=x onerror=alert(1)>", verdict="incorrect", evidence={},
                diagnosis={"kind": "parse_error", "message": hostile}, line=3)
    html = v._repr_html_()
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x" in html
    for piece in ("&lt;script&gt;", "&lt;img"):
        span_start = html.rindex("<span", 0, html.index(piece))
        assert NO_MATH in html[span_start:html.index(piece)]


@pytest.mark.parametrize("name, latex", [("w_bar", "\\bar{w}"), ("L_reg_bar", "\\bar{L}_{\\mathrm{reg}}"),
                                         ("lambda", "\\lambda"), ("w0", "w_{0}"), ("λ_bar", "\\bar{\\lambda}"),
                                         ("line 3", None)])
def test_names_are_shown_as_the_lectures_write_them(name, latex):
    assert name_latex(name) == latex


def test_cell_magic_hint_goes_one_level_further_each_run_and_records_it_in_the_cell(ip):
    from check.notebook import Hint
    work = (ROOT / "tests" / "data" / "contract" / "reglog_adjoints_wrong.txt").read_text(encoding="utf-8")
    ip.rl_next_input = None
    first = ip.run_cell_magic("barprop", f"hint {REGLOG}", work)
    assert isinstance(first, Hint) and (first.level, first.target) == (1, "z_bar")
    assert ip.rl_next_input == f"%%barprop hint {REGLOG}\n# hints-seen: adjoints=1\n" + work
    second = ip.run_cell_magic("barprop", f"hint {REGLOG}", ip.rl_next_input.split("\n", 1)[1])
    assert second.level == 2 and "first line that does not hold" in second.text
    assert ip.rl_next_input.startswith(f"%%barprop hint {REGLOG}\n# hints-seen: adjoints=2\n")
    assert "recorded in this cell: # hints-seen: adjoints=2" in html_of(ip, second)


def test_cell_magic_hint_in_self_check_mode_records_nothing(ip):
    work = (ROOT / "tests" / "data" / "contract" / "reglog_adjoints_wrong.txt").read_text(encoding="utf-8")
    ip.rl_next_input = None
    h = ip.run_cell_magic("barprop", f"hint {REGLOG} --level 3 --self-check", work)
    assert h.level == 3 and h.cell is None and ip.rl_next_input is None
    assert "self-check: not recorded" in html_of(ip, h)
