"""Start-up (issue 18): what a command imports, counted in a fresh interpreter (never timed).
`barprop --help` needs no SymPy; a scalar `barprop check grad` loads none of the modules of
matrices, labels, drawing, LaTeX, Markdown, grading, course platforms or the web page."""
import json
import subprocess
import sys

from conftest import ROOT

HEAVY = ("numpy", "rich", "markdown_it", "flask", "graphviz", "matplotlib")
OURS_OFF_THE_SCALAR_PATH = ("derive.draw", "derive.mgraph", "derive.mscope", "derive.labels", "derive.tikz",
                            "derive.handout", "derive.emit", "derive.index", "check.grading", "check.platforms",
                            "check.web", "check.notebook", "check.hints", "check.backends.matrix",
                            "check.evidence.matrix", "check.diagnose", "check.read.latex", "check.read.matrix",
                            "exercises")
CLAIM = "(sigma(w*x+b)-t)*sigma(w*x+b)*(1-sigma(w*x+b))*x + lambda*w"


def modules_after(argv, stdin=""):
    """(exit status, the sorted names in sys.modules) after `barprop ARGV` in a new interpreter."""
    code = ("import io, json, sys\n"
            "from check.cli import main\n"
            "status = main(json.loads(sys.argv[1]), io.StringIO(), io.StringIO())\n"
            "print(json.dumps([status, sorted(sys.modules)]))\n")
    p = subprocess.run([sys.executable, "-c", code, json.dumps(argv)], cwd=ROOT, input=stdin,
                       capture_output=True, text=True, check=True)
    status, names = json.loads(p.stdout.strip().splitlines()[-1])
    return status, names


def loaded(names, prefixes):
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes))


def test_help_imports_neither_sympy_nor_lark_nor_any_checking_module():
    status, names = modules_after(["--help"])
    assert status == 0
    assert loaded(names, ("sympy", "mpmath", "lark") + HEAVY + OURS_OFF_THE_SCALAR_PATH) == []
    assert loaded(names, ("check.api", "check.judge", "derive.spec", "derive.parse")) == []


def test_a_scalar_check_grad_loads_no_matrix_latex_markdown_or_grading_module():
    status, names = modules_after(["check", "grad", "exercises/specs/reglog.bp", "--wrt", "w", "--claim", CLAIM])
    assert status == 0
    assert "check.api" in names and "derive.spec" in names      # it did check the claim
    assert loaded(names, HEAVY + OURS_OFF_THE_SCALAR_PATH) == []


def test_a_wrong_scalar_claim_loads_the_diagnosis_and_still_no_matrix_module():
    status, names = modules_after(["check", "grad", "exercises/specs/reglog.bp", "--wrt", "w",
                                   "--claim", "(sigma(w*x+b)-t)*x + lambda*w"])
    assert status == 1
    assert "check.diagnose" in names
    assert loaded(names, HEAVY + ("derive.draw", "derive.mgraph", "check.backends.matrix", "check.grading")) == []


def test_a_latex_claim_loads_the_latex_reader_and_no_markdown_parser():
    status, names = modules_after(["check", "grad", "exercises/specs/reglog.bp", "--wrt", "w", "--claim",
                                   r"(\sigma(wx+b)-t)\,\sigma'(wx+b)\,x + \lambda w"])
    assert status == 0
    assert "check.read.latex" in names
    assert loaded(names, ("markdown_it", "numpy", "derive.mgraph")) == []


def test_a_matrix_spec_still_loads_the_matrix_modules_it_needs():
    spec = "x: vector(2)\nW: matrix(1, 2)\nL = sum(W @ x)\n"
    status, names = modules_after(["derive", spec, "--format", "json"])
    assert status == 0
    assert "derive.mgraph" in names and "derive.mscope" in names


def test_a_command_run_as_a_program_still_flushes_its_whole_output_and_status_with_the_collector_frozen():
    args = [sys.executable, "-m", "check", "check", "grad", "exercises/specs/reglog.bp", "--wrt", "w", "--json"]
    right = subprocess.run(args + ["--claim", CLAIM], cwd=ROOT, capture_output=True, text=True)
    wrong = subprocess.run(args + ["--claim", "(sigma(w*x+b)-t)*x + lambda*w"], cwd=ROOT, capture_output=True,
                           text=True)
    assert (right.returncode, json.loads(right.stdout)["verdict"]) == (0, "correct")
    assert (wrong.returncode, json.loads(wrong.stdout)["verdict"]) == (1, "incorrect")
    assert json.loads(wrong.stdout)["diagnosis"]["kind"] != ""
