"""Fuzzing every reader of user text with Hypothesis (issue #8).

Only `ParseError` may escape a reader; a checker returns a Verdict or a Report or raises
`ParseError`; the CLI returns an exit status and never a traceback, and its exit-2 messages say
`file:line:col:`. Inputs are random text and token soups close enough to the grammars to get
past the first character. Examples are few per property so the file stays well under 40 s;
symbolic evidence is skipped (deadline 0), since its deadline has tests of its own."""
import io
import os
import re
import time

from hypothesis import HealthCheck, given, settings, strategies as st

from check import ParseError, check_adjoints, check_claim, check_steps
from check.verdict import Report, Verdict
from conftest import budget, spec_path
from derive import parse_spec
from derive.spec import parse_values

REGLOG_TEXT = spec_path("reglog").read_text(encoding="utf-8")
REGLOG, L2 = str(spec_path("reglog")), str(spec_path("l2"))
LOCATED = re.compile(r"^[^\n]*?:\d+:\d+: \S")
SLOW = 5.0          # seconds: a generous bound per example, to catch hangs, not to time things


def fuzz(n):
    """Settings for a property: `n` examples (times $BARPROP_FUZZ_SCALE for a long campaign)."""
    n = max(1, int(n * float(os.environ.get("BARPROP_FUZZ_SCALE", "1"))))
    return settings(max_examples=n, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])


def soup(tokens, max_size=30):
    sep = st.sampled_from(["", " ", "", "  "])
    return st.lists(st.tuples(st.sampled_from(tokens), sep), max_size=max_size).map(
        lambda pairs: "".join(t + s for t, s in pairs))


NAMES = ["w", "x", "b", "t", "lambda", "z", "y", "L", "R", "L_reg", "λ", "σ", "q", "wx", "yx", "w_0", "w_{0}",
         "w_bar", "z_bar", "L_reg_bar", "R_bar", "y_bar", "wbar", "w\u0304", "_", "T", "e", "pi", "sigma", "exp"]
NUMBERS = ["0", "1", "2", "0.5", ".5", "1e3", "1e-3", "1e999", "9" * 120, "½", "³", "²", "1/2", "0.1"]
OPERATORS = ["+", "-", "*", "/", "^", "**", "−", "–", "·", "×", "@", "÷", "'", "′", ".T", "^T", "ᵀ", "=", ",",
             "!", "<", ">=", "≤"]
BRACKETS = ["(", ")", "[", "]", "{", "}", "(", ")"]
CALLS = ["sigma(", "sigmoid(", "exp(", "log(", "ln(", "tanh(", "relu(", "ReLU(", "max(", "min(", "abs(", "sqrt(",
         "sin(", "cos(", "softplus(", "leaky_relu(", "elu(", "sign(", "sigma'(", "tanh'(", "relu'(", "σ'(",
         "d/dw [", "d/dx [", "∂/∂w(", "sum(", "norm2(", "axis=0", "gamma(", "eval(", "__import__("]
ODD = ["\u00a0", "\u200d", "\u202e", "\u0430", "\u03bf", "\uff10", "\x00", "\t", "#", "$", "\\", "%", "\ufeff",
       "\r", "\n", "\udcff", "\U0001d465", "\u2028", "`", '"', "?", ";", ":"]
PLAIN = NAMES * 2 + NUMBERS + OPERATORS * 2 + BRACKETS * 2 + CALLS + ODD

LATEX = ["\\frac{", "\\dfrac{", "}{", "}", "{", "\\sigma", "\\sigma'", "\\bar{", "\\overline{", "\\left(",
         "\\right)", "\\left[", "\\right]", "^{", "_{", "^", "_", "\\cdot", "\\times", "\\circ", "\\odot",
         "\\lambda", "\\partial", "\\text{", "\\mathcal{", "\\mathrm{", "\\operatorname{", "\\exp", "e^{", "\\log",
         "\\ln", "\\tanh", "\\sqrt{", "\\max", "\\{", "\\}", "\\\\", "&", "$", "$$", "%", "\\sum_", "\\top",
         "\\begin{aligned}", "\\end{aligned}", "\\,", "\\;", "\\!", "\\prime", "\\input{", "\\def", "\\csname",
         "\\write18", "\\foo", "\\", "~", "^^5c", "\\varepsilon", "\\mathbf{", "\\hat{", "d", "dw", "\\mathcal{L}",
         "\\mathcal{L}_{\\text{reg}}", "\\lvert", "\\rvert", "|", "\\geq", "\\le"] + NAMES + NUMBERS + \
        ["+", "-", "=", "(", ")", "[", "]", ",", "'", "*", "/"] + ODD[:8]

ANY_TEXT = st.text(max_size=60)
KNOWN = ["w", "x", "b", "t", "lambda", "z", "y", "L", "R", "L_reg", "λ", "1", "2", "0.5", "1/2", "3"]


def plain_expr(atoms):
    """Expressions of the plain grammar, so that most examples get past the parser."""
    def grow(c):
        return st.one_of(
            st.tuples(c, st.sampled_from([" + ", " - ", "*", "/", " ", " * "]), c).map("".join),
            st.tuples(st.sampled_from(["sigma", "exp", "log", "tanh", "relu", "abs", "sqrt", "sigma'", "tanh'",
                                       "softplus", "sin", "-"]), c).map(lambda p: f"{p[0]}({p[1]})"),
            st.tuples(c, st.sampled_from(["2", "3", "-1", "1/2", "0.5", "(-2)"])).map(lambda p: f"({p[0]})^{p[1]}"),
            st.tuples(st.sampled_from(["max", "min", "leaky_relu", "elu"]), c, c).map(
                lambda p: f"{p[0]}({p[1]}, {p[2]})"),
            c.map(lambda a: f"({a})"))
    return st.recursive(st.sampled_from(atoms), grow, max_leaves=10)


def latex_expr(atoms):
    def grow(c):
        return st.one_of(
            st.tuples(c, st.sampled_from([" + ", " - ", " \\cdot ", " ", " \\times "]), c).map("".join),
            st.tuples(c, c).map(lambda p: f"\\frac{{{p[0]}}}{{{p[1]}}}"),
            st.tuples(st.sampled_from(["\\sigma", "\\sigma'", "\\exp", "\\log", "\\tanh", "\\ln"]), c).map(
                lambda p: f"{p[0]}\\left({p[1]}\\right)"),
            c.map(lambda a: f"e^{{{a}}}"), c.map(lambda a: f"\\sqrt{{{a}}}"),
            c.map(lambda a: f"\\max(0, {a})"), c.map(lambda a: f"({a})^{{2}}"), c.map(lambda a: f"({a})"))
    return st.recursive(st.sampled_from(atoms), grow, max_leaves=10)


def mutated(valid, tokens):
    """A valid expression with one token inserted, or one character deleted, somewhere."""
    def apply(p):
        text, i, tok, delete = p
        i = i % (len(text) + 1)
        return text[:i] + text[i + 1:] if delete else text[:i] + tok + text[i:]
    return st.tuples(valid, st.integers(0, 200), st.sampled_from(tokens), st.booleans()).map(apply)


PLAIN_VALID = plain_expr(KNOWN)
LATEX_VALID = latex_expr(["w", "x", "b", "t", "\\lambda", "z", "y", "1", "2", "\\frac{1}{2}"])
PLAIN_TEXT = st.one_of(PLAIN_VALID, mutated(PLAIN_VALID, PLAIN), soup(PLAIN), ANY_TEXT)
LATEX_TEXT = st.one_of(LATEX_VALID, mutated(LATEX_VALID, LATEX), soup(LATEX), ANY_TEXT.map(lambda s: "\\" + s))


def timed(fn, *args, **kw):
    start = time.perf_counter()
    try:
        return fn(*args, **kw), None
    except ParseError as e:
        assert isinstance(e.message, str) and e.message
        assert isinstance(e.line, int) and isinstance(e.col, int) and e.line >= 0 and e.col >= 0
        return None, e
    finally:
        assert time.perf_counter() - start < budget(SLOW), (fn.__name__, args[:3])


def cli(*argv):
    from check.cli import main
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    code = main([str(a) for a in argv], out=out, err=err)
    assert time.perf_counter() - start < budget(SLOW), argv
    assert "Traceback" not in out.getvalue() + err.getvalue()
    if code == 2:
        assert LOCATED.match(err.getvalue()), err.getvalue()[:300]
    return code, out.getvalue(), err.getvalue()


# --- derive.parse_spec ---------------------------------------------------------------------------

def _line():
    name = st.sampled_from(NAMES[:12] + ["h", "v1", "L_reg", "sigma", "x_bar", "W", "X"])
    return st.one_of(
        st.tuples(name, st.sampled_from([" = ", "=", " == ", " := "]), PLAIN_TEXT).map("".join),
        st.tuples(st.just("wrt: "), soup(NAMES[:8] + [", ", ","], 6)).map("".join),
        st.tuples(st.just("at: "), soup(NAMES[:8] + ["=", "=1", "=0.5", "=-2", "=nan", ", ", "=[1, 2]", "=1e999"],
                                          10)).map("".join),
        st.tuples(st.just("latex: "), st.sampled_from(NAMES[:8]), st.just(" = "), soup(LATEX, 6)).map("".join),
        st.tuples(name, st.sampled_from([": matrix(H, D)", ": vector(D)", ": scalar", ": matrix(2, 3)",
                                         ": vector(0)", ": tensor(1)", ": matrix(H)"])).map("".join),
        st.sampled_from(["# comment", "", "   ", "\ufeff", "z = w*x + b", "y = sigma(z)", "L = 1/2*(y - t)^2",
                         "f = W @ x", "f = sum(W)", "f = norm2(W @ x)"]),
        ANY_TEXT)


@st.composite
def _spec(draw):
    """A spec that mostly reads: each line uses the leaves and the names assigned above it,
    then some lines are mutated, and other kinds of line are mixed in."""
    lines, names = [], ["w", "x", "b", "t", "lambda"]
    for i in range(draw(st.integers(1, 6))):
        expr = draw(plain_expr(names + ["1", "2", "1/2"]))
        lines.append(f"v{i} = {expr}")
        names.append(f"v{i}")
    if draw(st.booleans()):
        lines.append("at: " + ", ".join(f"{n}={draw(st.sampled_from(['0.5', '-1', '2', '0', '1e-3']))}"
                                        for n in draw(st.lists(st.sampled_from(names[:5]), unique=True))))
    for _ in range(draw(st.integers(0, 2))):
        k = draw(st.integers(0, len(lines)))
        lines.insert(k, draw(_line()))
    if draw(st.booleans()):
        k = draw(st.integers(0, len(lines) - 1))
        lines[k] = draw(mutated(st.just(lines[k]), PLAIN))
    return draw(st.sampled_from(["\n", "\r\n"])).join(lines) + "\n"


SPEC_TEXT = st.one_of(_spec(), st.lists(_line(), min_size=0, max_size=8).map("\n".join))


@fuzz(250)
@given(SPEC_TEXT)
def test_parse_spec_raises_only_parse_error(text):
    g, e = timed(parse_spec, text)
    if e is None:
        try:
            d = g.backprop()
        except ValueError as v:          # a matrix spec may end in a matrix: the API says so, the CLI
            assert "must be a scalar" in str(v)       # refuses it at the output's line
            return
        assert d.adjoints


@fuzz(120)
@given(SPEC_TEXT, st.sampled_from([[], ["--format", "json"], ["--format", "latex", "--standalone"],
                                   ["--expand"], ["--format", "markdown"]]))
def test_derive_cli_on_random_specs_exits_0_or_2(tmp_path_factory, text, extra):
    p = tmp_path_factory.mktemp("spec") / "f.bp"
    p.write_bytes(text.encode("utf-8", "surrogateescape"))
    code, _, _ = cli("derive", p, *extra)
    assert code in (0, 2)


# --- claims, plain and LaTeX ---------------------------------------------------------------------

@fuzz(250)
@given(PLAIN_TEXT)
def test_plain_claims_give_a_verdict_or_a_parse_error(claim):
    v, e = timed(check_claim, REGLOG_TEXT, "w", claim, deadline=0, fmt="plain")
    assert e is not None or (isinstance(v, Verdict) and v.verdict in ("correct", "incorrect", "undecided"))


@fuzz(100)
@given(st.one_of(PLAIN_TEXT, LATEX_TEXT), st.sampled_from(["w", "b", "x", "lambda", "q"]))
def test_claims_with_detected_format_give_a_verdict_or_a_parse_error(claim, wrt):
    v, e = timed(check_claim, REGLOG_TEXT, wrt, claim, deadline=0)
    assert e is not None or isinstance(v, Verdict)


@fuzz(250)
@given(LATEX_TEXT)
def test_latex_claims_give_a_verdict_or_a_parse_error(claim):
    v, e = timed(check_claim, REGLOG_TEXT, "w", claim, deadline=0, fmt="latex")
    assert e is not None or (isinstance(v, Verdict) and v.verdict in ("correct", "incorrect", "undecided"))


@fuzz(80)
@given(st.one_of(PLAIN_TEXT, LATEX_TEXT), st.booleans())
def test_check_grad_cli_exits_with_a_status_and_no_traceback(claim, json_out):
    code, out, _ = cli("check", "grad", REGLOG, "--wrt", "w", "--deadline", "0", "--claim=" + claim,
                       *(["--json"] if json_out else []))
    assert code in (0, 1, 2, 3)
    if json_out:
        import json
        json.loads(out)


# --- adjoint equations and derivations ----------------------------------------------------------

LHS = ["w_bar = ", "b_bar = ", "z_bar = ", "y_bar = ", "L_bar = ", "R_bar = ", "L_reg_bar = ", "w̄ = ", "wbar = ",
       "\\bar{w} = ", "\\overline{z} = ", "\\bar{\\mathcal{L}}_{reg} = ", "dL/dw = ", "dL_reg/dw = ", "= ", " = ",
       "z = ", "y = ", "q_bar = ", "w_bar_bar = ", "\\frac{\\partial L}{\\partial w} = ", "", "# part: x\n",
       "x = ", "3 = "]
ROW = st.tuples(st.sampled_from(LHS), st.one_of(PLAIN_TEXT, LATEX_TEXT, st.sampled_from(
    ["z_bar*x + R_bar*w", "z_bar", "y_bar*sigma'(z)", "L_bar*(y - t)", "L_reg_bar*lambda", "1", "L_reg_bar",
     "d/dw [ w^2 ]", "2*w", "\\bar{z} x + \\bar{R} w", "w_bar"]))).map("".join)
ROWS = st.lists(ROW, max_size=8).map(lambda rs: "\n".join(rs))
ROW_SEP = st.sampled_from(["\n", "\r\n", " \\\\\n", "\n\n"])
ROWS_ANY = st.tuples(st.lists(ROW, max_size=8), ROW_SEP).map(lambda p: p[1].join(p[0]))


@fuzz(120)
@given(ROWS_ANY)
def test_check_adjoints_gives_a_report_or_a_parse_error(text):
    r, e = timed(check_adjoints, REGLOG_TEXT, text, deadline=0)
    assert e is not None or (isinstance(r, Report) and r.items is not None)


@fuzz(120)
@given(ROWS_ANY, st.booleans())
def test_check_steps_gives_a_report_or_a_parse_error(text, with_spec):
    r, e = timed(check_steps, text, REGLOG_TEXT if with_spec else None, deadline=0)
    assert e is not None or isinstance(r, Report)


@fuzz(60)
@given(ROWS, st.sampled_from(["adjoints", "steps"]))
def test_check_cli_on_random_rows_exits_with_a_status(tmp_path_factory, text, what):
    p = tmp_path_factory.mktemp("rows") / "sub.txt"
    p.write_bytes(text.encode("utf-8", "surrogateescape"))
    argv = ["check", "adjoints", REGLOG, p] if what == "adjoints" else ["check", "steps", p, "--spec", REGLOG]
    code, _, _ = cli(*argv, "--deadline", "0")
    assert code in (0, 1, 2, 3)


# --- --at values -----------------------------------------------------------------------------------

NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-10 ** 400, max_value=10 ** 400).map(str),
    st.fractions().map(str),
    st.sampled_from(["nan", "NaN", "inf", "-inf", "Infinity", "1e999", "1e-999", "1e300", "-0", "0x10", "1_000",
                     "\u0663", "\uff11", "1/0", "0^-1", "9^9^9", "2^1000", "sqrt(2)", "pi", "e", "x", "",
                     "[1, 2]", "[[1, 2], [3, 4]]", "[[[1]]]", "[" * 50 + "]" * 50]),
    PLAIN_TEXT)
AT = st.lists(st.tuples(st.sampled_from(NAMES[:8] + ["W", "", " w "]), st.sampled_from(["=", " = ", "==", ":"]),
                        NUMBER).map("".join), max_size=5).map(",".join)
JSON_AT = st.dictionaries(st.sampled_from(NAMES[:8] + ["W", "__class__"]), st.one_of(
    st.floats(allow_nan=True), st.integers(), st.text(max_size=10), st.booleans(), st.none(),
    st.lists(st.one_of(st.integers(), st.lists(st.integers(), max_size=3)), max_size=3)), max_size=4)


@fuzz(200)
@given(st.one_of(AT, ANY_TEXT, JSON_AT.map(lambda d: __import__("json").dumps(d))), st.sampled_from(["reglog", "l2"]))
def test_parse_values_gives_numbers_or_a_parse_error(text, which):
    g = parse_spec(spec_path(which).read_text(encoding="utf-8"))
    values, e = timed(parse_values, text, g, file="--at")
    if e is None:
        assert set(values) <= set(g.names)


@fuzz(120)
@given(st.one_of(AT, JSON_AT.map(lambda d: __import__("json").dumps(d))), st.sampled_from([REGLOG, L2]),
       st.sampled_from([[], ["--format", "json"]]))
def test_derive_cli_with_random_at_exits_0_or_2(at, spec, extra):
    code, _, _ = cli("derive", spec, "--at=" + at, *extra)
    assert code in (0, 2)
