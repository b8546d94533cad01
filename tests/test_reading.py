"""The one reader of student text: a corpus of what students write (tests/data/reading_corpus.tsv,
lines in the lectures', notes', assignments' and textbooks' notations) and whole hand-ins
(tests/data/reading_corpus/: Markdown, notebooks, LaTeX documents, numpy code), read as meant;
every refusal one line at the right place; `check` and `grade` read a file the same way."""
import json
import pathlib
import random

import mpmath
import pytest

from check import ParseError, check_adjoints, check_claim, check_steps, grade
from check.cli import main
from check.evidence import evaluate
from check.grading.dispatch import split_parts
from check.evidence.matrix import _arr_rel, _value, matrix_truth
from check.read.classify import numpy_adjoint
from check.read.matrix import MatrixClaimScope, read_claim
from check.read.rows import clean, rows
from check.read.scope import ClaimScope, read_expression
from derive import parse_spec
from derive.functions import sym
from derive.names import spelled

DATA = pathlib.Path(__file__).resolve().parent / "data"
SPECS = pathlib.Path(__file__).resolve().parents[1] / "exercises" / "specs"
HANDINS = DATA / "reading_corpus"
INLINE = {
    "tanh": "z = w*x\nL = tanh(z)",
    "relu": "z = w*x + b\nh = relu(z)\nL = 1/2*(h - t)^2",
    "exp2": "z = w*x\nL = exp(z^2)",
    "cos2": "z = w*x\nL = cos(z)^2",
    "log": "z = w*x + b\nL = -log(sigma(z))",
    "softplus": "z = w*x + b\nL = softplus(z)",
}


def _spec_text(name):
    return INLINE[name] if name in INLINE else (SPECS / f"{name}.bp").read_text(encoding="utf-8")


def _entries():
    spec, out = None, []
    for no, line in enumerate((DATA / "reading_corpus.tsv").read_text(encoding="utf-8").split("\n"), 1):
        if line.startswith("#spec:"):
            spec = line.split(":", 1)[1].strip()
            continue
        if not line.strip() or line.startswith("#") and "\t" not in line:
            continue
        written, meant = line.split("\t")
        out.append((no, spec, written.replace("«LF»", "\n"), meant))
    return out


ENTRIES = _entries()
GRAPHS = {}


def _graph(spec):
    if spec == "free":                  # textbook calculus: no spec, every name free
        return None
    if spec not in GRAPHS:
        GRAPHS[spec] = parse_spec(_spec_text(spec))
    return GRAPHS[spec]


def _target(row, scope):
    """(kind, graph name[, numerator]) of a row's left-hand side; None for a continuation or a bare row."""
    if not row.lhs:
        return None if row.lhs is None else ("bare",)
    t = row.target
    if t.kind == "expression":
        return ("expression",)
    if getattr(scope, "free", False):
        return (t.kind, spelled(t.name)) + ((spelled(t.num),) if t.num else ())
    name = scope.lookup(spelled(t.name))
    if name is None and t.kind == "name":
        hit = numpy_adjoint(spelled(t.name), getattr(scope, "loose", scope.lookup))
        if hit is not None:
            return ("adjoint", hit)
    if name is None:
        raise ParseError(f"unknown name '{t.name}'", row.lhs_line or row.line, row.lhs_col or 1)
    if t.kind == "derivative":
        return ("derivative", name, scope.lookup(spelled(t.num)) or t.num)
    return (t.kind, name)


def read(text, spec, fmt=None):
    """What barprop reads in `text`: [(target, expression in the leaves and adjoints)]."""
    if getattr(_graph(spec), "is_matrix", False):
        return _read_matrix(text, _graph(spec), fmt)
    scope = ClaimScope(_graph(spec), free=spec == "free")
    out = []
    for row in rows(clean(text), fmt):
        expr = read_expression(row.rhs, scope, row.line, row.col, row.fmt)
        target = _target(row, scope)
        if target and target[0] == "expression":     # `d/dx [x^2] = 2x`: the left side is compared too
            lhs = read_expression(row.lhs, scope, row.lhs_line or row.line, row.lhs_col or 1, row.fmt)
            out.append((("lhs",), scope.expand(lhs, row.line, row.col)))
        out.append((target, scope.expand(expr, row.line, row.col)))
    return out


def _read_matrix(text, graph, fmt):
    """A matrix spec's rows: [(target, matrix expression)]; shapes that do not fit are a refusal."""
    scope = MatrixClaimScope(graph)
    out = []
    for row in rows(clean(text), fmt):
        e, _, why = read_claim(row.rhs, graph, row.line, row.col, row.fmt)
        if e is None:
            raise ParseError(why or "the shapes do not fit", row.line, row.col)
        out.append((_target(row, scope), e))
    return out


def _same_matrix(graph, a, b):
    """Equal at the checker's 16 random points (random sizes, too)."""
    for env in matrix_truth(graph, 0).points:
        x, y = _value(a, env), _value(b, env)
        if x is None or y is None or x.shape != y.shape or _arr_rel(x, y) > mpmath.mpf(10) ** -20:
            return False
    return True


def _same_value(a, b, rng):
    """Equal at three random points where both are defined (and undefined at the same points)."""
    names = sorted({s.name for e in (a, b) for s in e.free_symbols})
    agreed = 0
    with mpmath.workdps(30):
        for _ in range(30):
            env = {sym(n): mpmath.mpf(rng.choice((-1, 1)) * rng.uniform(0.3, 1.7)) for n in names}
            values = []
            for e in (a, b):
                try:
                    values.append(evaluate(e, env))
                except (ValueError, ZeroDivisionError, ArithmeticError):
                    values.append(None)
            if values[0] is None or values[1] is None:
                if (values[0] is None) != (values[1] is None):
                    return False
                continue
            x, y = values
            if abs(x - y) > mpmath.mpf(10) ** -20 * (1 + abs(y)):
                return False
            agreed += 1
            if agreed == 3:
                return True
    return False


def judge(spec, written, meant):
    """'ok', or why the line was not read as meant."""
    try:
        got = read(written, spec)
    except ParseError as e:
        if meant == "PROSE_OR_ERROR":         # not in barprop's notation: dropped or refused, never misread
            return "ok" if "\n" not in e.message else "a refusal of more than one line"
        if meant.startswith("ERROR@"):
            line, col, what = meant[len("ERROR@"):].split(":", 2)
            if (e.line, e.col) != (int(line), int(col)) or what not in e.message:
                return f"wrong error {e.line}:{e.col}: {e.message} (wanted {meant})"
            return "ok" if "\n" not in e.message else "a refusal of more than one line"
        return f"refused: {e.line}:{e.col}: {e.message}"
    if meant.startswith("ERROR@"):
        return f"read {got} where a refusal was wanted"
    if meant in ("PROSE", "PROSE_OR_ERROR"):
        return "ok" if not got else f"prose read as rows: {got}"
    want = read(meant.replace(" ;; ", "\n"), spec, "plain")
    if [t for t, _ in got] != [t for t, _ in want]:
        return f"misread: targets {[t for t, _ in got]}, wanted {[t for t, _ in want]}"
    rng = random.Random(7)
    graph = _graph(spec)
    for (_, a), (_, b) in zip(got, want):
        if getattr(graph, "is_matrix", False):
            if not _same_matrix(graph, a, b):
                return f"misread: {a} where {b} was meant"
        elif not _same_value(a, b, rng):
            return f"misread: {a} where {b} was meant"
    return "ok"


def test_the_corpus_holds_at_least_500_lines_in_several_notations():
    assert len(ENTRIES) >= 500
    assert sum(1 for *_, w, _ in ENTRIES if "cases}" in w) >= 15
    assert sum(1 for spec, *_ in ((e[1],) for e in ENTRIES) if getattr(_graph(spec), "is_matrix", False)) >= 40
    assert sum(1 for *_, m in ENTRIES if m == "PROSE") >= 15
    assert sum(1 for *_, m in ENTRIES if m.startswith("ERROR@")) >= 15


def test_the_corpus_reads_as_meant():
    """≥99% of what students write is read as they meant it, and every refusal is the one wanted."""
    bad = [(no, spec, w, m, why) for no, spec, w, m in ENTRIES if (why := judge(spec, w, m)) != "ok"]
    assert len(bad) <= len(ENTRIES) // 100, bad
    assert not [b for b in bad if "misread" in b[-1] or "prose read" in b[-1] or "where a refusal" in b[-1]], bad


def test_a_wrong_meaning_is_caught():
    """The comparison has teeth: a line compared with a different meaning is a misread."""
    for no, spec, written, meant in ENTRIES[::5]:
        if meant.startswith("ERROR") or meant == "PROSE" or " ;; " in meant:
            continue
        lhs, eq, rhs = meant.partition(" = ")
        wrong = f"{lhs} = ({rhs}) + 1" if eq else f"({meant}) + 1"
        assert judge(spec, written, wrong) != "ok", (no, written)


# ---- whole hand-ins --------------------------------------------------------------------------

def _handins():
    out = []
    for path in sorted(HANDINS.iterdir()):
        if path.suffix == ".json":
            continue
        meta = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))
        out.append((path, meta))
    return out


HANDIN = _handins()


def _adjoint_exercise(tmp_path, spec):
    toml = tmp_path / f"{spec}.toml"
    body = (SPECS / f"{spec}.bp").read_text(encoding="utf-8")
    toml.write_text(f'id = "{spec}-adjoints"\ntitle = "t"\nspec = """\n{body}"""\n'
                    '[[parts]]\nid = "adjoints"\nkind = "adjoints"\npoints = 1\n', encoding="utf-8")
    return str(toml)


@pytest.mark.parametrize("path,meta", HANDIN, ids=[p.name for p, _ in HANDIN])
def test_a_hand_in_reads_as_its_student_meant(path, meta):
    text = path.read_text(encoding="utf-8")
    spec = (SPECS / f"{meta['spec']}.bp").read_text(encoding="utf-8")
    rep = check_adjoints(spec, text, file=path.name)
    got = {(v.target, v.verdict) for v in rep.items}
    assert got == {tuple(x) for x in meta["items"]}, got
    assert list(rep.missing) == meta.get("missing", [])
    assert [r["line"] for r in rep.replaced] == meta.get("replaced", [])
    if path.suffix == ".ipynb":
        assert all(v.cell is not None for v in rep.items)


@pytest.mark.parametrize("path,meta", HANDIN, ids=[p.name for p, _ in HANDIN])
def test_grade_and_check_read_a_hand_in_the_same_way(path, meta, tmp_path):
    text = path.read_text(encoding="utf-8")
    spec = (SPECS / f"{meta['spec']}.bp").read_text(encoding="utf-8")
    rep = check_adjoints(spec, text, file=path.name)
    doc = grade(_adjoint_exercise(tmp_path, meta["spec"]), path)
    items = doc["students"][0]["parts"][0]["items"]
    assert [(it["target"], it.get("cell"), it["line"], it["verdict"]) for it in items] == \
        [(v.target, v.cell, v.line, v.verdict) for v in rep.items]


def test_grade_and_check_read_every_corpus_line_the_same_way():
    import exercises
    ex = exercises.load("csc321-reg-logistic")
    for _, _, written, _ in ENTRIES:
        text = clean(written)
        try:
            mine = rows(text)
        except ParseError:
            continue
        parts = split_parts(text, mine, ex, "s")
        assert sorted((r for rs in parts.values() for r in rs), key=lambda r: (r.line, r.col)) == \
            sorted(mine, key=lambda r: (r.line, r.col))


# ---- errors, corrections, numbers, the command line ------------------------------------------

REGLOG = (SPECS / "reglog.bp").read_text(encoding="utf-8")


def test_an_unclosed_bracket_is_an_error_on_its_own_line_and_the_next_lines_are_judged():
    text = "y_bar = L_bar*(y - t\nz_bar = y_bar*sigma'(z)\nw_bar = z_bar*x + R_bar*w\nb_bar = z_bar\n"
    rep = check_adjoints(REGLOG, text)
    by = {v.target: v for v in rep.items}
    assert by["y_bar"].diagnosis["kind"] == "parse_error" and by["y_bar"].line == 1
    assert "'('" in by["y_bar"].diagnosis["message"] and "\n" not in by["y_bar"].diagnosis["message"]
    assert [by[n].verdict for n in ("z_bar", "w_bar", "b_bar")] == ["correct"] * 3
    assert rep.missing == ()


def test_an_empty_right_hand_side_does_not_swallow_the_next_line():
    text = "\\bar{z} =\n\\bar{w} = \\bar{z} x + \\bar{R} w\n\\bar{b} = \\bar{z}\n"
    rep = check_adjoints(REGLOG, text)
    by = {v.target: v for v in rep.items}
    assert by["z_bar"].diagnosis["kind"] == "parse_error" and by["z_bar"].line == 1
    assert by["w_bar"].verdict == "correct" and by["b_bar"].verdict == "correct"
    assert "circular" not in json.dumps(rep.to_dict())


def test_rows_of_a_one_line_aligned_block_keep_their_columns():
    text = r"\begin{aligned} \bar{b} &= \bar{z} \\ \bar{w} &= \bar{z} x + \bar{R} w \end{aligned}"
    rs = rows(clean(text))
    assert [r.line for r in rs] == [1, 1] and rs[0].col < rs[1].col
    assert text[rs[1].col - 1:].startswith(r"\bar{z} x")


def test_the_last_answer_not_struck_out_counts_and_the_earlier_is_replaced():
    text = "b_bar = z_bar*x\nw_bar = z_bar*x + R_bar*w\n수정: b_bar = z_bar\n~~w_bar = 0~~\n"
    rep = check_adjoints(REGLOG, text)
    assert [(v.target, v.verdict, v.line) for v in rep.items] == [("w_bar", "correct", 2), ("b_bar", "correct", 3)]
    assert rep.replaced == ({"target": "b_bar", "line": 1},)
    assert rep.to_dict()["replaced"] == [{"target": "b_bar", "line": 1}]


def test_a_markdown_file_reads_the_same_for_check_adjoints_and_grade_prose_is_not_a_row():
    md = "# My answer\n\nThe sigmoid is used here.\n\n$$\\bar{b} = \\bar{z}$$\n\n```\nw_bar = z_bar*x + R_bar*w\n```\n"
    rep = check_adjoints(REGLOG, md)
    assert [(v.target, v.verdict) for v in rep.items] == [("b_bar", "correct"), ("w_bar", "correct")]


def test_a_comment_with_a_backslash_leaves_a_plain_block_plain():
    text = "y_bar = L_bar*(y - t)   # d/dy of \\frac12 (y-t)^2\nz_bar = y_bar*y*(1 - y)\n"
    rep = check_adjoints(REGLOG, text)
    assert [v.verdict for v in rep.items] == ["correct", "correct"]


def test_a_latex_document_reads_only_its_math():
    tex = ("\\documentclass{article}\n\\usepackage{amsmath,kotex}\n\\begin{document}\n\\section*{문제 1}\n"
           "The adjoints:\n\\begin{align*}\n\\bar{w} &= \\bar{z} x + \\bar{R} w \\\\\n\\bar{b} &= \\bar{z}\n"
           "\\end{align*}\n\\end{document}\n")
    rep = check_adjoints(REGLOG, tex)
    assert [(v.target, v.verdict, v.line) for v in rep.items] == [("w_bar", "correct", 7), ("b_bar", "correct", 8)]
    assert check_steps("\\documentclass{article}\n\\begin{document}\n$$\\frac{d}{dx} x^2 = 2x$$\n"
                       "\\end{document}\n").verdict == "correct"


def test_a_notebook_item_says_its_cell_and_line():
    nb = {"cells": [{"cell_type": "markdown", "source": ["# 풀이\n", "$\\bar{b} = \\bar{z}$"]},
                    {"cell_type": "code", "source": ["import numpy as np\n", "w_bar = z_bar*x + R_bar*q\n"]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    rep = check_adjoints(REGLOG, json.dumps(nb), file="hw.ipynb")
    assert [(v.target, v.cell, v.line) for v in rep.items] == [("b_bar", 1, 2), ("w_bar", 2, 2)]
    assert rep.items[1].diagnosis["kind"] == "parse_error"
    assert rep.items[1].to_dict()["cell"] == 2
    assert rep.items[1].sentence().startswith("cell 2, line 2: w_bar")


def test_e_is_eulers_number_unless_the_spec_names_it():
    assert check_claim("z = w*x\nL = exp(z)", "w", "e^(w*x)*x").verdict == "correct"
    for spec in ("z = w*x + e\nwrt: w, e\nL = z^2", "e: scalar\nz = w*x + e\nL = z^2",
                 "z = w*x + e\nL = z^2\nat: w=1, x=2, e=3"):
        assert check_claim(spec, "w", "2*(w*x + e)*x").verdict == "correct"
        assert check_claim(spec, "e", "2*(w*x + e)").verdict == "correct"


def test_an_undefined_e_in_a_spec_is_eulers_number_and_gets_no_adjoint():
    g = parse_spec("z = w*x + e\nL = z^2\n")
    assert "e" not in g.names and g.inputs == ("w", "x")
    assert check_claim("z = w*x + e\nL = z^2", "w", "2*(w*x + 2.718281828459045)*x").verdict != "correct"
    assert check_claim("z = w*x + e\nL = z^2", "w", "2*(w*x + exp(1))*x").verdict == "correct"
    assert check_claim("z = w*x\nL = e^z", "w", "exp(z)*x").verdict == "correct"


def test_derive_says_once_that_a_declared_e_is_a_variable(tmp_path, capsys):
    spec = tmp_path / "e.bp"
    spec.write_text("e: scalar\nz = w*x + e\nL = z^2\n", encoding="utf-8")
    assert main(["derive", str(spec)]) == 0
    out, err = capsys.readouterr()
    assert err.count("e is a variable here, not Euler's number") == 1 and "∂L/∂e" in out
    spec.write_text("z = w*x + e\nL = z^2\n", encoding="utf-8")
    assert main(["derive", str(spec)]) == 0
    out, err = capsys.readouterr()
    assert "Euler" not in err and "∂L/∂e" not in out


def test_numpy_names_are_the_adjoints_they_stand_for():
    spec = (SPECS / "two_layer.bp").read_text(encoding="utf-8")
    code = ("grad_y_pred = 2.0 * (y_pred - y)\ngrad_w2 = h.T.dot(grad_y_pred)\n"
            "grad_h = grad_y_pred.dot(w2.T)\ngrad_w1 = x.T.dot(grad_h * h * (1 - h))\n")
    rep = check_adjoints(spec, code)
    assert [(v.target, v.verdict) for v in rep.items] == [
        ("y_pred_bar", "correct"), ("W2_bar", "correct"), ("h_bar", "correct"), ("W1_bar", "correct")]
    other = ("dy_pred = 2 * (y_pred - y)\ndW2 = h.T @ dy_pred\ndh = dy_pred @ W2.T\n"
             "dW1 = np.dot(x.T, dh * h * (1 - h))\n")
    assert check_adjoints(spec, other).verdict == "correct"
    with pytest.raises(ParseError) as e:
        check_adjoints(spec, "grad_q = 2 * (y_pred - y)\n")
    assert "known names" in e.value.message


def test_numpy_reductions_and_masks_read():
    spec = "X: matrix(N, D)\nW: matrix(D, H)\nb: matrix(1, H)\nwrt: W, b\nh = relu(X @ W + b)\nL = 1/2*sum(h^2)\n"
    rep = check_adjoints(spec, "dh = h\ndb = np.sum(dh * (h > 0), axis=0, keepdims=True)\n"
                               "dW = X.T.dot(dh * (h > 0))\n")
    assert {v.target: v.verdict for v in rep.items} == {"h_bar": "correct", "b_bar": "correct", "W_bar": "correct"}


def test_a_claim_that_starts_with_a_minus_is_read_on_the_command_line(capsys):
    code = main(["check", "grad", "z = w*x\nL = -t*z", "--wrt", "w", "--claim", "-t*x", "--json"])
    out = capsys.readouterr().out
    assert code == 0 and json.loads(out)["verdict"] == "correct"
    code = main(["check", "grad", "z = w*x\nL = -t*z", "--wrt", "w", "--claim", "-t*x*x"])
    assert code == 1


def test_no_input_makes_a_traceback():
    texts = ["$", "$$", "\\begin{aligned}", "```", "~~", "\\sout{", "{\"cells\": 3}", "{\"cells\": [1, 2]}",
             "①", "수정:", "- ", "(1)", "\\(", "\\[", "= =", "dy/dz/dw", "np.", ".dot(", "(h > 0", "z̄̄x",
             "\U0001d7d9(", "\\frac{d}{d}", "\\frac{d\\sigma(}{dx}", "\\tanh^2", "\\cos^{2}",
             "\\begin{cases}", "\\begin{cases} & \\end{cases}", "\\begin{cases} x & \\\\ & \\end{cases}",
             "\\begin{cases} (x & z > 0 \\\\ 0 & \\text{otherwise} \\end{cases}", "\\end{cases}",
             "\\mathbf{1}^T^T", "1^T 1^T", "\\mathbf{1}_{", "\\mathbf{1}\\mathbf{1}^T", "x.sum(", ").sum(axis=0)",
             "(.mean()", "e^{"]
    for t in texts:
        for fn in (lambda s: check_adjoints(REGLOG, s), lambda s: check_steps(s),
                   lambda s: check_claim(REGLOG, "w", s), lambda s: check_adjoints(RELU_BATCH, s, file="a.py"),
                   lambda s: check_claim(RELU_BATCH, "b", s)):
            try:
                fn(t)
            except ParseError as e:
                assert "\n" not in e.message


def test_a_sum_over_a_vectors_entries_in_a_vector_claim_is_its_sum():
    spec = "s: vector(C)\nL = log(sum(exp(s)))\n"
    for claim in (r"\frac{e^{s}}{\sum_j e^{s_j}}", r"\frac{\exp(s)}{\sum_{j} \exp(s_j)}"):
        assert check_claim(spec, "s", claim).verdict == "correct"
    assert check_claim(spec, "s", r"\frac{e^{s}}{\sum_j e^{2 s_j}}").verdict == "incorrect"


def test_an_indicator_on_matrices_is_an_elementwise_mask():
    spec = "X: matrix(N, D)\nW: matrix(D, H)\nwrt: W\nz = X @ W\nh = relu(z)\nL = 1/2*sum(h^2)\n"
    for line in (r"\bar{z} = \bar{h} \circ \mathbb{1}(z > 0)", r"\bar{z} = \bar{h} \odot \mathbb{1}[z > 0]",
                 "z_bar = h_bar * (z > 0)", r"\bar{W} = X^T (\bar{h} \circ \mathbb{1}(z > 0))"):
        rep = check_adjoints(spec, "h_bar = h\n" + line)
        assert [v.verdict for v in rep.items] == ["correct", "correct"], line
    rep = check_adjoints(spec, "h_bar = h\nz_bar = h_bar * (z < 0)\n")
    assert rep.items[1].verdict == "incorrect"


AFFINE = (SPECS / "affine.bp").read_text(encoding="utf-8")
AFFINE_RELU = (SPECS / "affine_relu.bp").read_text(encoding="utf-8")


def test_in_python_code_only_lines_that_assign_an_adjoint_are_answers():
    """CS231n assignment 2's layer code: the forward pass, the cache unpacking, prints and
    returns are the program's; `dX`, `dW`, `db`, `da` are the adjoints X̄, W̄, b̄, ā."""
    code = ("import numpy as np\n\ndef affine_relu_backward(dout, cache):\n    X, W, b = cache\n"
            "    N = X.shape[0]\n    a = X.dot(W) + b\n    out = np.maximum(0, a)\n    print(out.shape)\n"
            "    da = G * (a > 0)\n    dX = da.dot(W.T)\n    dW = X.T.dot(da)\n"
            "    db = np.sum(da, axis=0, keepdims=True)\n    return dX, dW, db\n")
    rep = check_adjoints(AFFINE_RELU, code, file="layers.py")
    assert [(v.target, v.line, v.verdict) for v in rep.items] == [
        ("a_bar", 9, "correct"), ("X_bar", 10, "correct"), ("W_bar", 11, "correct"), ("b_bar", 12, "correct")]
    assert rep.forward == ()
    wrong = check_adjoints(AFFINE_RELU, code.replace("X.T.dot(da)", "da.dot(X.T)"), file="layers.py")
    assert [v.verdict for v in wrong.items] == ["correct", "correct", "incorrect", "correct"]


def test_numpy_lowercase_data_and_weights_and_dout_name_the_specs_matrices():
    code = "out = x.dot(w) + b\ndx = dout.dot(w.T)\ndw = x.T.dot(dout)\ndb = dout.sum(axis=0)\n"
    rep = check_adjoints(AFFINE, code, file="affine.py")
    assert [(v.target, v.verdict) for v in rep.items] == [("X_bar", "correct"), ("W_bar", "correct"),
                                                          ("b_bar", "correct")]


def test_a_forward_line_in_a_code_cell_is_not_an_answer_but_the_same_line_in_text_is_checked():
    spec = (SPECS / "two_layer.bp").read_text(encoding="utf-8")
    wrong_forward = "h = np.maximum(0, x.dot(w1))\ngrad_h = 2.0 * (y_pred - y)\n"
    nb = {"cells": [{"cell_type": "code", "source": wrong_forward}], "metadata": {}, "nbformat": 4,
          "nbformat_minor": 5}
    rep = check_adjoints(spec, json.dumps(nb), file="hw.ipynb")
    assert rep.forward == () and [(v.target, v.cell, v.line) for v in rep.items] == [("h_bar", 1, 2)]
    assert len(check_adjoints(spec, wrong_forward).forward) == 1


def test_a_notebook_none_of_whose_lines_read_names_the_cell_and_its_line(capsys, tmp_path):
    nb = {"cells": [{"cell_type": "markdown", "source": "# 풀이\n"},
                    {"cell_type": "code", "source": "import numpy as np\nw_bar = z_bar*x + (R_bar*w\n"}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "hw.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    with pytest.raises(ParseError) as e:
        check_adjoints(REGLOG, path.read_text(encoding="utf-8"), file="hw.ipynb")
    assert str(e.value).startswith("hw.ipynb: cell 2, line 2: ") and "\n" not in str(e.value)
    spec = tmp_path / "reglog.bp"
    spec.write_text(REGLOG, encoding="utf-8")
    assert main(["check", "adjoints", str(spec), str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: cell 2, line 2: ") and err.count("\n") == 1
    assert main(["check", "adjoints", str(spec), str(path), "--json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["error"]["cell"] == 2 and doc["error"]["line"] == 2
    graded = grade(_adjoint_exercise(tmp_path, "reglog"), path)["students"][0]["parts"][0]
    assert graded["verdict"] == "error" and graded["error"].startswith("hw.ipynb: cell 2, line 2: ")


RELU_BATCH = "X: matrix(N, D)\nW: matrix(D, H)\nb: matrix(1, H)\nwrt: W, b\nz = X @ W + b\nh = relu(z)\nL = 1/2*sum(h^2)\n"


def test_a_ones_row_before_a_matrix_is_its_column_sum_and_after_it_a_row_sum():
    for line in (r"\bar{b} = \mathbf{1}^T \bar{z}", r"\bar{b} = \mathbf{1}^\top \bar{z}", "b_bar = 1^T z_bar",
                 "b_bar = 1ᵀ z_bar", r"\bar{b} = \mathbf{1}_N^T \bar{z}", r"\bar{b} = (\bar{z}^T \mathbf{1})^T"):
        rep = check_adjoints(RELU_BATCH, "z_bar = h*(z > 0)\n" + line)
        assert [v.verdict for v in rep.items] == ["correct", "correct"], line
    rep = check_adjoints(RELU_BATCH, "z_bar = h*(z > 0)\n" + r"\bar{b} = 2\,\mathbf{1}^T \bar{z}")
    assert rep.items[1].verdict == "incorrect" and rep.items[1].diagnosis["kind"] != "parse_error"


def test_a_ones_column_alone_is_the_ones_of_the_gradients_shape():
    spec = "x: vector(D)\nL = sum(x)\n"
    assert check_claim(spec, "x", r"\mathbf{1}").verdict == "correct"
    assert check_claim(spec, "x", r"2\mathbf{1}").verdict == "incorrect"
    assert check_claim("x: vector(D)\nw: vector(D)\nL = sum(w * x)\n", "w", r"\mathbf{1}^T x").verdict == "incorrect"


def test_a_ones_vector_with_no_length_to_take_is_refused_at_its_column():
    for line, col in ((r"\bar{b} = \mathbf{1} \bar{z}", 11), (r"\bar{b} = \bar{z} \mathbf{1}^T", 19),
                      (r"\bar{b} = \mathbf{1}^T", 11)):
        rep = check_adjoints(RELU_BATCH, "z_bar = h*(z > 0)\n" + line)
        d = rep.items[1].diagnosis
        assert d["kind"] == "parse_error" and "ones" in d["message"] and "\n" not in d["message"], line
    with pytest.raises(ParseError) as e:
        check_claim(RELU_BATCH, "b", r"\mathbf{1}^T")
    assert "ones" in e.value.message and e.value.col == 1


def test_cases_are_a_sum_of_iverson_brackets():
    spec = _spec_text("relu")
    for claim in (r"\begin{cases} x & wx + b > 0 \\ 0 & \text{otherwise} \end{cases}",
                  r"\begin{cases} x & \text{if } w x + b > 0 \\ 0 & w x + b \le 0 \end{cases}",
                  r"\begin{cases} 0 & wx + b \leq 0 \\ x & wx + b > 0 \end{cases}"):
        assert check_claim(spec, "w", r"(h - t) " + claim).verdict == "correct", claim
    wrong = r"(h - t) \begin{cases} 0 & wx + b > 0 \\ x & \text{otherwise} \end{cases}"
    assert check_claim(spec, "w", wrong).verdict == "incorrect"


def test_cases_in_a_matrix_claim_mask_entry_by_entry_over_several_lines():
    text = ("$$\n\\bar{z} = \\begin{cases}\n  \\bar{h} & \\text{if } z > 0 \\\\\n  0 & \\text{otherwise}\n"
            "\\end{cases}\n$$\n\n$$\\bar{W} = X^T \\bar{z}$$\n")
    rep = check_adjoints(RELU_BATCH, "h_bar = h\n\n" + text)
    assert [(v.target, v.line, v.verdict) for v in rep.items] == [
        ("h_bar", 1, "correct"), ("z_bar", 4, "correct"), ("W_bar", 10, "correct")]


def test_cases_whose_conditions_are_not_a_partition_are_refused_at_the_condition():
    spec = _spec_text("relu")
    for claim, col, what in ((r"\begin{cases} x & z > 0 \\ 0 & z < 0 \end{cases}", 32, "complements"),
                             (r"\begin{cases} x & z > 0 \\ 0 & z \ge 0 \end{cases}", 32, "complements"),
                             (r"\begin{cases} x & z > 0, b > 0 \\ 0 & \text{otherwise} \end{cases}", 19, "one comparison"),
                             (r"\begin{cases} x & z > 0 \end{cases}", 15, "two branches")):
        with pytest.raises(ParseError) as e:
            check_claim(spec, "w", claim)
        assert (e.value.col, what in e.value.message, "\n" in e.value.message) == (col, True, False), claim


def test_a_whole_line_percent_comment_in_latex_work_is_not_a_row():
    """`% …` on its own line in a LaTeX fragment is a comment, as LaTeX reads it."""
    work = ("% 시그모이드 게이트\n\\bar{z} = \\bar{y}\\,\\sigma'(z)\n  % indented\n"
            "\\bar{w} = \\bar{z} x + \\bar{R} w\n\\bar{b} = \\bar{z}\n")
    rep = check_adjoints((SPECS / "reglog.bp").read_text(encoding="utf-8"), work)
    assert [(i.line, i.verdict) for i in rep.items] == [(2, "correct"), (4, "correct"), (5, "correct")]
