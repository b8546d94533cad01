"""The forward spec reader: names, numbers, and bad input located as file:line:col."""
import os
import subprocess
import sys
import textwrap

import pytest
import sympy

from conftest import ROOT, S
from derive import ParseError, parse_spec


# --- names and numbers ----------------------------------------------------------------------

@pytest.mark.parametrize("body", ["f = w_0*x\nat: w0=2, x=3",
                                  "f = w_{0}*x\nat: w_0=2, x=3",
                                  "f = w0*x\nat: w_{0}=2, x=3"])
def test_w_0_w_brace_0_and_w0_name_the_same_variable(body):
    g = parse_spec(body)
    assert len(g.inputs) == 2
    (w,) = [n for n in g.inputs if n != "x"]
    assert g.values(g.at)["f"] == 6
    assert g.backprop([w]).gradients[w] == S("x")


def test_one_spec_mixing_spellings_has_one_variable():
    g = parse_spec("f = w_0 + w0 + w_{0}\n")
    assert g.inputs == ("w_0",)
    assert g.nodes[0].expr == 3 * S("w_0")


def test_wrt_accepts_another_spelling_of_the_same_name():
    g = parse_spec("wrt: w0\nf = w_{0}*x\n")
    assert g.wrt == ("w_0",)


def test_unicode_greek_is_the_spelled_out_name():
    a = parse_spec("L = (y - t)^2 + λ*w^2\nat: λ=0.1, y=1, t=0, w=2\n")
    b = parse_spec("L = (y - t)^2 + lambda*w^2\nat: lambda=0.1, y=1, t=0, w=2\n")
    assert a.inputs == b.inputs and "lambda" in a.inputs
    assert a.nodes[0].expr == b.nodes[0].expr
    assert a.at == b.at
    assert parse_spec("y = σ(z)\n").nodes[0].expr == parse_spec("y = sigma(z)\n").nodes[0].expr


def test_numbers_are_exact_rationals():
    g = parse_spec("f = 0.1*x + 1e-3 + 2.5e2*y\nat: x=0.1, y=1e-3\n")
    assert g.nodes[0].expr == sympy.Rational(1, 10) * S("x") + sympy.Rational(1, 1000) + 250 * S("y")
    assert g.at == {"x": sympy.Rational(1, 10), "y": sympy.Rational(1, 1000)}
    assert sympy.Rational(1, 10) == parse_spec("f = 0.1\n").nodes[0].expr
    assert not any(a.is_Float for a in sympy.preorder_traversal(g.nodes[0].expr))


def test_comments_blank_lines_crlf_and_bom_are_ignored():
    g = parse_spec("\ufeff# a comment\r\n\r\nq = x + y   # inline\r\nf = q*z\r\n")
    assert [n.name for n in g.nodes] == ["q", "f"] and g.output == "f"


def test_the_last_assignment_is_the_output_and_inputs_keep_first_use_order():
    g = parse_spec("z = w*x + b\ny = sigma(z)\n")
    assert g.output == "y" and g.inputs == ("w", "x", "b")


def test_default_wrt_is_every_input():
    assert parse_spec("f = a*b\n").backprop().wrt == ("a", "b")


# --- bad input: file:line:col ---------------------------------------------------------------

BAD = [
    ("unknown_function", "z = x\nf = sigmoidd(z)\n", 2, 5, "unknown function 'sigmoidd'"),
    ("unknown_function_two_args", "f = foo(x, y)\n", 1, 5, "unknown function 'foo'"),
    ("used_before_assignment", "y = 2*z\nz = x + 1\n", 1, 7, "'z' is used before it is assigned (line 2)"),
    ("reassignment", "z = x\nz = 2*x\n", 2, 1, "'z' is assigned twice (first on line 1)"),
    ("cycle", "a = b + 1\nb = a + 1\n", 1, 5, "'b' is used before it is assigned (line 2)"),
    ("self_reference", "a = a + 1\n", 1, 5, "'a' is defined in terms of itself"),
    ("empty", "", 1, 1, "empty spec"),
    ("only_comments", "# nothing here\n\n", 1, 1, "empty spec"),
    ("division_by_literal_zero", "f = x/0\n", 1, 6, "division by zero"),
    ("division_by_zero_expression", "f = x/(1 - 1)\n", 1, 6, "division by zero"),
    ("huge_exponent", "f = 9^9^9^9\n", 1, 8, "exceeds the cap"),
    ("huge_power_of_a_variable", "f = x^100000\n", 1, 6, "exceeds the cap"),
    ("import", "f = __import__('os')\n", 1, 16, "unexpected"),
    ("attribute", "f = x.__class__\n", 1, 6, "unexpected"),
    ("lambda_call", "f = (lambda: 1)()\n", 1, 12, "unexpected"),
    ("nul_byte", "z = x\nf = z\x00 + 1\n", 2, 6, "NUL byte"),
    ("too_deep", "f = " + "(" * 100 + "x" + ")" * 100 + "\n", 1, 4 + 65, "nesting deeper than 64"),
    ("line_too_long", "f = " + " + ".join(["x"] * 7000) + "\n", 1, 4, "longer than 20000"),
    ("spec_too_long", "# " + "x" * 200_001 + "\nf = x\n", 1, 1, "spec longer than 200000"),
    ("garbage_line", "f = x\nthis is not a spec\n", 2, 1, "expected an assignment"),
    ("bar_name", "z_bar = x\n", 1, 1, "kept for adjoints"),
    ("function_as_name", "sigma = x\n", 1, 1, "function name"),
    ("unknown_wrt", "wrt: q\nf = x\n", 1, 6, "unknown name 'q'"),
    ("non_number_value", "f = x\nat: x=y\n", 2, 7, "must be a number"),
    ("shape_mismatch", "W: matrix(H, D)\nx: vector(H)\nf = sum(W @ x)\n", 3, 11, "inner sizes"),
]


@pytest.mark.parametrize("case,text,line,col,message", BAD, ids=[b[0] for b in BAD])
def test_bad_spec_is_a_located_parse_error(case, text, line, col, message):
    with pytest.raises(ParseError) as e:
        parse_spec(text, file="bad.bp")
    assert (e.value.line, e.value.col) == (line, col), str(e.value)
    assert message in e.value.message
    assert str(e.value).startswith(f"bad.bp:{line}:{col}: ")


@pytest.mark.parametrize("case,text,line,col,message", BAD, ids=[b[0] for b in BAD])
def test_bad_spec_exits_2_with_file_line_col(case, text, line, col, message, tmp_path, cli):
    path = tmp_path / "bad.bp"
    path.write_text(text, encoding="utf-8")
    code, out, err = cli("derive", path)
    assert code == 2 and out == ""
    assert err.startswith(f"{path}:{line}:{col}: ") and message in err
    assert "Traceback" not in err


def test_invalid_utf8_file_exits_2_with_its_position(tmp_path, cli):
    path = tmp_path / "latin1.bp"
    path.write_bytes(b"z = x\nf = z + \xe9t\xe9\n")
    code, out, err = cli("derive", path)
    assert (code, out) == (2, "")
    assert err == f"{path}:2:9: not UTF-8 text\n"


def test_missing_file_exits_2(tmp_path, cli):
    code, _, err = cli("derive", tmp_path / "nope.bp")
    assert code == 2 and "cannot read spec" in err


def test_bad_at_value_exits_2_with_its_position(cli):
    code, _, err = cli("derive", ROOT / "exercises/specs/simple.bp", "--at", "x=1,q9=2")
    assert code == 2 and err.startswith("--at:1:") and "unknown name 'q9'" in err


def test_no_user_text_is_ever_compiled_or_executed():
    """Under an audit hook, parsing hostile specs triggers no exec/compile event."""
    script = textwrap.dedent(r"""
        import sys
        from derive import parse_spec, ParseError
        parse_spec("f = sigma(x)\n").backprop().to_text()          # warm up lazy imports
        events = []

        def hook(event, args):   # imports of library modules (files ending in .py) are fine
            if event == "exec":
                name = getattr(args[0], "co_filename", "")
            elif event == "compile":
                name = str(args[1])
            else:
                return
            if not name.endswith(".py"):
                events.append((event, name, str(args[0])[:80]))

        sys.addaudithook(hook)
        hostile = ["f = __import__('os').system('echo pwned')", "f = eval('1')", "f = exec('x=1')",
                   "f = x.__class__", "f = sigma(x)\nat: x=__import__('os')", "f = (lambda: 1)()",
                   "f = open('/etc/passwd')", "latex: f = \\input{/etc/passwd}\nf = x"]
        for text in hostile:
            try:
                parse_spec(text)
            except ParseError:
                pass
        g = parse_spec("z = w*x + b\ny = sigma(z)\nat: w=1, x=2, b=3\n")
        g.backprop().to_text(point=g.at, expand=True)
        print(events)
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60,
                       env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
    assert "pwned" not in r.stdout
