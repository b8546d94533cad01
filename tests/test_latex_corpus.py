r"""A corpus of LaTeX lines as students write them (tests/data/latex_corpus.tsv), read through the
scopes the product uses: `ClaimScope` over a parsed spec, `MatrixClaimScope` for matrix specs.

File format: `#spec: NAME` picks the spec for the lines below it; other `#` lines are comments;
each data line is `LaTeX <TAB> expected`. `expected` is plain text the way `check` reads it
(rows separated by ` ;; `, a continuation row starts with `=`), or `ERROR:substring` /
`ERROR@col:substring` when the line must be refused with a message containing `substring`
(case-insensitive), at column `col` of the LaTeX when given.

A line *reads* when the LaTeX gives the same rows as the plain text: the same left-hand sides
(adjoint, derivative or name, resolved in the scope) and right-hand sides that agree at the
checker's 16 random points, at 30 digits. A line that reads to anything else is a misread,
and so is an ERROR line that reads at all; there must be none. Unread (refused) non-ERROR
lines are allowed up to 2%.
"""
import pathlib
import time

import mpmath
import pytest

from check.evidence import truth_for
from check.read.latex import parse_latex_expression
from check.evidence.matrix import MatrixTruth
from check.read.matrix import MatrixClaimScope
from check.read.index import index_value, indexed
from check.read.scope import ClaimScope, read_expression
from check.read.rows import clean, rows, target
from derive import parse_spec
from derive.errors import ParseError
from derive.evaluate import DIGITS, evaluate
from derive.matrix import lift, mevaluate
from derive.names import spelled

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "latex_corpus.tsv"
SPECS = {p.stem: p.read_text() for p in (ROOT / "exercises" / "specs").glob("*.bp")}
# CSC321 lecture 6's multilayer perceptron in scalar index form (one entry of each vector)
SPECS["mlp_index"] = """z_i = w1_ij*x_j + b1_i
h_i = sigma(z_i)
y_k = w2_ki*h_i + b2_k
L = 1/2*(y_k - t_k)^2
"""
# a node named xy: `xy` is the name or the product x·y
SPECS["prod"] = """xy = x*y
f = sigma(xy) + log(x)
"""
# CSC321: logistic regression with the cross-entropy loss
SPECS["xent"] = """z = w*x + b
y = sigma(z)
L = -t*log(y + epsilon) - (1 - t)*log(1 - y + epsilon)
"""
# CS231n lecture 4's f = W2 max(0, W1 x) with one unit: ReLU, its derivative, max{0, m}
SPECS["relu"] = """h = max(0, w1*x)
f = w2*h
"""
TOL = mpmath.mpf(10) ** -20


def value(e, env):
    """A matrix reading's value; an index-form one (Σ_k y_k) through its entries."""
    return index_value(e, env) if indexed(e) else mevaluate(e, env)


class Context:
    """A spec's graph, the scope a student's line is read in, and points to compare values at."""

    def __init__(self, name):
        self.graph = parse_spec(SPECS[name])
        self.matrix = getattr(self.graph, "is_matrix", False)
        if self.matrix:
            self.points = MatrixTruth(self.graph, 0).points
        else:
            self.points = [p.env for p in truth_for(self.graph, 0).points]
        assert len(self.points) >= 12, f"{name}: too few points to compare readings at"

    def scope(self):
        return MatrixClaimScope(self.graph) if self.matrix else ClaimScope(self.graph)

    def resolve(self, name, line):
        hit = self.scope().lookup(spelled(name))
        if hit is None:
            raise ParseError(f"unknown name '{name}'", line, 1)
        return hit

    def side(self, lhs, line):
        """A left-hand side as the checker sees it: (kind, variable, numerator)."""
        if lhs is None or lhs == "":
            return lhs
        t = target(lhs, line)
        if t.kind == "expression":
            raise ParseError(f"not a name: '{t.name}'", line, 1)
        return t.kind, self.resolve(t.name, line), t.num and self.resolve(t.num, line)

    def read(self, text, fmt):
        """[(lhs, value)] for every row, as check_adjoints / check_steps read them."""
        out = []
        for row in rows(clean(text), fmt):
            lhs = self.side(row.lhs, row.line)
            value = read_expression(row.rhs, self.scope(), row.line, row.col, fmt)
            out.append((lhs, lift(value) if self.matrix else value))
        if not out:
            raise ParseError("no rows", 1, 1)
        return out

    def same(self, a, b):
        if self.matrix:
            a, b = lift(a), lift(b)
            if a.shape != b.shape:
                return False
            with mpmath.workdps(DIGITS):
                for env in self.points:
                    x, y = value(a, env), value(b, env)
                    if x.shape != y.shape or any(abs(p - q) > TOL * (1 + abs(q)) for p, q in zip(x.flat, y.flat)):
                        return False
            return True
        if a == b:
            return True
        with mpmath.workdps(DIGITS):
            for env in self.points:
                x, y = evaluate(a, env), evaluate(b, env)
                if abs(x - y) > TOL * (1 + abs(y)):
                    return False
        return True


def load():
    """[(line number in the file, spec, latex, expected)]."""
    out, spec = [], None
    for no, raw in enumerate(CORPUS.read_text(encoding="utf-8").split("\n"), 1):
        if raw.startswith("#spec:"):
            spec = raw.split(":", 1)[1].strip()
            continue
        if not raw.strip() or raw.startswith("#"):
            continue
        tex, sep, expected = raw.partition("\t")
        assert sep and expected.strip(), f"line {no}: expected 'latex<TAB>expected'"
        assert spec in SPECS, f"line {no}: no '#spec:' above"
        out.append((no, spec, tex, expected.strip()))
    return out


ENTRIES = load()
_CONTEXTS = {}


def context(spec):
    if spec not in _CONTEXTS:
        _CONTEXTS[spec] = Context(spec)
    return _CONTEXTS[spec]


def judge(spec, tex, expected):
    """'read' | 'refused' | 'misread: ...' | 'error ok' | 'wrong error: ...'."""
    ctx = context(spec)
    try:
        got = ctx.read(tex, "latex")
    except ParseError as e:
        if not expected.startswith("ERROR"):
            return f"refused: {e}"
        head, _, want = expected.partition(":")
        if want.lower() not in e.message.lower():
            return f"wrong error: {e} (wanted '{want}')"
        if "@" in head and int(head.split("@")[1]) != e.col:
            return f"wrong error column: {e} (wanted col {head.split('@')[1]})"
        return "error ok"
    if expected.startswith("ERROR"):
        return f"misread: read {got} where the corpus wants {expected}"
    want = ctx.read(expected.replace(" ;; ", "\n"), "plain")
    if len(got) != len(want):
        return f"misread: {len(got)} rows, expected {len(want)}: {got} vs {want}"
    for (gl, gv), (wl, wv) in zip(got, want):
        if gl != wl:
            return f"misread: left-hand side {gl}, expected {wl}"
        if not ctx.same(gv, wv):
            return f"misread: {gv} is not {wv}"
    return "read"


def test_corpus_is_large_and_covers_every_seed_example():
    assert len(ENTRIES) >= 300
    specs = {spec for _, spec, _, _ in ENTRIES}
    assert specs >= {"simple", "neuron", "gates", "reglog", "mlp_index", "mlp", "l2", "two_layer", "relu"}
    errors = [e for e in ENTRIES if e[3].startswith("ERROR")]
    assert len(errors) >= 30
    assert any("ambiguous" in e[3].lower() for e in errors)


def test_corpus_reads_with_no_misreads():
    results = [(no, spec, tex, expected, judge(spec, tex, expected)) for no, spec, tex, expected in ENTRIES]
    misread = [r for r in results if r[4].startswith(("misread", "wrong error"))]
    assert not misread, "\n".join(f"corpus line {no} [{spec}] {tex!r}: {v}" for no, spec, tex, _, v in misread)
    plain = [r for r in results if not r[3].startswith("ERROR")]
    refused = [r for r in plain if r[4].startswith("refused")]
    rate = 1 - len(refused) / len(plain)
    assert rate >= 0.98, "\n".join(f"corpus line {no} {tex!r}: {v}" for no, _, tex, _, v in refused)


@pytest.mark.parametrize("no, spec, tex, expected", [e for e in ENTRIES if e[3].startswith("ERROR@")],
                         ids=[str(e[0]) for e in ENTRIES if e[3].startswith("ERROR@")])
def test_refusals_name_their_column(no, spec, tex, expected):
    assert judge(spec, tex, expected) == "error ok"


def _corrupted(expected):
    """The expectation with its last right-hand side changed: `... = e` -> `... = (e) + 1`."""
    rows_ = expected.split(" ;; ")
    last = rows_[-1]
    lhs, eq, rhs = ("", "= ", last[2:]) if last.startswith("= ") else last.partition(" = ")
    rows_[-1] = f"{lhs}{eq.strip()} ({rhs.strip()}) + 1" if eq else f"({last}) + 1"
    return " ;; ".join(rows_)


def test_a_wrong_expectation_is_caught_as_a_misread():
    """The comparison has teeth: every 4th line that reads, checked against a corrupted twin."""
    for no, spec, tex, expected in ENTRIES[::4]:
        if expected.startswith("ERROR"):
            continue
        verdict = judge(spec, tex, _corrupted(expected))
        assert verdict.startswith("misread"), (no, tex, verdict)


def rhs_lines():
    """(right-hand side, scope) pairs of the corpus lines that read: what the speed test parses."""
    out = []
    for _, spec, tex, expected in ENTRIES:
        if expected.startswith("ERROR"):
            continue
        ctx = context(spec)
        for row in rows(clean(tex), "latex"):
            out.append((row.rhs, ctx.scope()))
    return out


def test_parse_speed_on_the_corpus():
    """≥2,000 right-hand sides a second on one core (process time, best of 3)."""
    lines = rhs_lines()
    best = 0.0
    for _ in range(3):
        start = time.process_time()
        for text, scope in lines:
            parse_latex_expression(text, scope)
        best = max(best, len(lines) / max(time.process_time() - start, 1e-9))
    assert best >= 2000, f"{best:.0f} lines/s"
