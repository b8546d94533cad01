"""check_claim, check_adjoints, check_steps: student text in, Verdict or Report out."""
import functools
import random
import re
from dataclasses import replace

import mpmath
import sympy

from derive.errors import ParseError
from derive.evaluate import DIGITS
from derive.functions import sym, unbar
from derive.names import spelled
from derive.rules import DomainError, derivative

from .backends import as_graph, backend
from .backends.scalar import read_row
from .evidence import POINTS, KINK_MARGIN, evaluate, kink_distance, rel_error, truth_for
from .i18n import _, language
from .judge import Case, judge
from .read.classify import numpy_adjoint
from .read.documents import markers
from .read.rows import Target, clean, rows
from .read.scope import ClaimScope, is_latex, read_expression
from .readback import as_read
from .verdict import Report, Verdict


def detect(text):
    """One format for a whole submission: LaTeX when any of it is (so `x^T` there is a transpose)."""
    return "latex" if is_latex(text) else "plain"


def _no_adjoint(graph, name):
    if name in getattr(graph, "labels", {}):
        return f"'{name}' is a class label: it has no gradient"
    return f"the output does not depend on '{name}'"


def _in_language(check):
    """`lang=` on a check: its messages in that language ("en" or "ko")."""
    @functools.wraps(check)
    def run(*args, lang=None, **kw):
        with language(lang):
            return check(*args, **kw)
    return run


@_in_language
def check_claim(spec, wrt, claim, seed=0, deadline=1.0, fmt=None, prove=False):
    """Is `claim` ∂output/∂wrt? A left-hand side (`dL/dw =`, `w_bar =`) is optional. Symbolic
    evidence: a deterministic budget, or with `prove` the full reduction until `deadline`."""
    b, name = claim_backend(spec, wrt, seed, deadline, fmt or detect(claim), prove)
    rs = rows(clean(claim), fmt)
    if not rs:
        raise ParseError("empty claim", 1, 1)
    return judge_claim(b, name, _last_answer(rs))


def claim_backend(spec, wrt, seed, deadline, fmt, prove=False):
    """The backend of a claim about `wrt`, and the graph's name for `wrt`."""
    b = backend(spec, seed, deadline, fmt, prove)
    try:
        name = b.resolve(wrt, 0)
    except ParseError as e:
        raise ParseError(e.message, 1, 1, "--wrt") from None
    if name not in b.derivation.by_name:
        raise ParseError(_no_adjoint(b.graph, name), 1, 1, "--wrt")
    return b, name


def judge_claim(b, name, row):
    """One row as the claim ∂output/∂name (its left-hand side, if any, must be about `name`)."""
    if row.lhs:
        said = b.resolve(row.target.name, row.line)
        if said != name:
            raise ParseError(f"the left-hand side is about '{said}', not --wrt '{name}'", row.line, row.lhs_col or 1)
    v = b.adjoint(name, b.parse(row), row, True)
    return _in_cell(replace(v, line=None, first_wrong=None), row)


def _last_answer(rs):
    """The claim's row: the first, or with several answers (a correction), the last one."""
    heads = answers(rs)
    return heads[-1] if len(heads) > 1 else rs[0]


def answers(rs):
    """The rows that start an answer to a claim: a bare expression, a derivative or an adjoint."""
    return [r for r in rs if r.lhs == "" or r.lhs and r.target.kind in ("derivative", "adjoint")]


def _whole(first, file):
    """A submission none of whose lines can be read is an error (exit 2), not a verdict."""
    e, line, cell = first if len(first) == 3 else (*first, None)
    return ParseError(e.message, e.line or line, e.col or 1, file, cell)


def _parse_error_item(label, e, line):
    return Verdict(label, "incorrect", {}, None, {"kind": "parse_error", "message": e.message},
                   line=e.line or line)


@_in_language
def check_adjoints(spec, submission, seed=0, deadline=1.0, fmt=None, file=None, prove=False):
    """Judge adjoint equations line by line, each with the true values of the adjoints it uses."""
    b = backend(spec, seed, deadline, fmt or detect(submission), prove)
    try:
        text = clean(submission)
        rs = rows(text, fmt, name=file)
    except ParseError as e:
        raise e.located(file) from None
    return judge_adjoints(b, rs, file, [where for where, _, _ in markers(text, file)])


def _answers(b, rs, parts=()):
    """One answer per adjoint: the rows to judge, and the earlier answers a later one replaced.
    Answers in different `# part:`s (whose lines are `parts`) are different targets, and a
    derivative row (`dL/dw = …`, a claim or a derivation's head) replaces nothing."""
    chains, keys = [], []
    for row in rs:
        if row.lhs is not None or not chains:
            chains.append([row])
            key = None
            if row.lhs and row.target.kind != "expression":
                try:
                    kind, name = lhs_of(b, row)
                    part = sum(1 for where in parts if where < (row.cell or 0, row.line))
                    key = (kind, name, part) if kind == "adjoint" else None
                except ParseError:
                    key = None
            keys.append(key)
        else:
            chains[-1].append(row)
    last = {k: i for i, k in enumerate(keys) if k is not None}
    keep, replaced = [], []
    for i, (chain, key) in enumerate(zip(chains, keys)):
        if key is not None and last[key] != i:
            replaced.append({"target": f"{key[1]}_bar", "line": chain[0].line})
        else:
            keep.extend(chain)
    return keep, tuple(replaced)


def judge_adjoints(b, rs, file=None, parts=()):
    """check_adjoints on rows already read (grade reads the whole file once and hands each part its
    rows); `parts` are the places of `# part:` markers."""
    graph, d = b.graph, b.derivation
    rs, replaced = _answers(b, rs, parts)
    items, forward, chains, numbers, current, unreadable = [], [], {}, {}, None, []
    for row in rs:
        if row.lhs is not None:
            current = None          # a new equation: an unreadable one is not the chain above
        if row.code and _program_line(b, row):
            continue
        try:
            if row.lhs is None:
                if current is None:
                    raise ParseError("a continuation '= ...' with no equation above it", row.line, 1)
            elif row.lhs == "":
                raise ParseError("expected an equation 'v_bar = ...'", row.line, row.col)
            else:
                t = row.target
                if t.kind == "expression":
                    raise ParseError(f"the left-hand side '{t.name}' is not an adjoint like v_bar or \\bar{{v}}",
                                     row.line, row.lhs_col or 1)
                kind, name = lhs_of(b, row)
                if kind != t.kind:          # a numpy name of an adjoint: read on as that adjoint
                    row = replace(row, target=Target(kind, name))
                current = ("name", name) if kind == "name" and name in graph.defs else ("adjoint", name)
                if kind == "name" and name not in graph.defs and _NUMBER.match(row.rhs):
                    continue                # `x = -2`: the student restates the point
                if kind == "name" and name not in graph.defs:
                    raise ParseError(f"'{row.lhs.strip()}' is not an adjoint; write {name}_bar", row.line, 1)
                if current[0] == "adjoint" and name not in d.by_name:
                    raise ParseError(_no_adjoint(graph, name), row.line, 1)
                if kind == "derivative":
                    current = ("derivative", name)
            kind, name = current
            expr = b.parse(row)
            constant = row.lhs is None and isinstance(expr, sympy.Expr) and not expr.free_symbols
            if kind == "name":
                if not constant:
                    forward.append(_in_cell(b.forward(name, expr, row), row))
                continue
            if constant:            # `= -4`: a value, judged at the spec's point
                v = _numeric(b, name, expr, row)
                if v is not None:
                    numbers.setdefault(name, []).append(v)
                    items.append(_in_cell(v, row))
                continue
            v = _in_cell(b.adjoint(name, expr, row, kind == "derivative"), row)
            chains.setdefault(name, []).append((v, expr))
            items.append(v)
        except ParseError as e:
            label = f"{current[1]}_bar" if current and current[0] != "name" else f"line {row.line}"
            items.append(_in_cell(_parse_error_item(label, e, row.line), row))
            unreadable.append((e, row.line, row.cell))
            if current and current[0] != "name":
                chains.setdefault(current[1], []).append((items[-1], None))
    if not items and not forward:
        raise ParseError("no adjoint equations found", 1, 1, file)
    if len(unreadable) == len(items) and not forward:
        raise _whole(unreadable[0], file)
    items = [_share(v, chains, numbers) for v in items]
    order = [a.name for a in d.order]
    wanted = set(graph.wrt)
    missing = tuple(f"{w}_bar" for w in graph.wrt if w not in chains and w not in numbers)
    live = {a.name for a in graph.backprop().order}
    extra = tuple(f"{n}_bar" for n in chains if n not in live)
    wrong = [v for v in items if v.verdict == "incorrect" and unbar_name(v.target) in order]
    first = min(wrong, key=lambda v: order.index(unbar_name(v.target))).target if wrong else None
    return Report("adjoints", tuple(items), first, missing, extra,
                  b.global_values(chains, wanted), tuple(forward), replaced)


def lhs_of(b, row):
    """(kind, graph name) of a row's left-hand side; numpy's names of adjoints (`grad_h`, `dW1`,
    `dout`) are adjoints when the graph has no such name."""
    t = row.target
    try:
        return t.kind, b.resolve(t.name, row.line)
    except ParseError:
        if t.kind != "name":
            raise
        if t.name == "dout" and not b.scope.lookup("out"):
            return "adjoint", b.graph.output
        hit = numpy_adjoint(spelled(t.name), getattr(b.scope, "loose", b.scope.lookup))
        if hit is None:
            raise
        return "adjoint", b.resolve(hit, row.line)


_NUMBER = re.compile(r"\s*[-−]?\s*(\d+)(?:\.(\d+))?\s*$")


def _numeric(b, name, value, row):
    """A numeric continuation row (`= -4`, `= 0.2626`): it holds when it is the true value at the spec's `at:`
    point rounded to the decimals written (±1 in the last written digit). None (not judged) for
    a spec without a point or with matrices."""
    graph = b.graph
    if not graph.at or getattr(graph, "is_matrix", False):
        return None
    _, adj = _point_values(graph)
    true = adj[name]
    m = _NUMBER.match(row.rhs)
    step = mpmath.mpf(10) ** -len(m.group(2) or "") if m else mpmath.mpf(10) ** -12 * max(1, abs(true))
    try:
        with mpmath.workdps(DIGITS):
            got = evaluate(value, {})
    except DomainError as e:
        raise ParseError(_("{value} has no value: {why}").format(value=value, why=e), row.line, 1) from None
    ok = abs(got - true) <= step * (1 + mpmath.mpf(10) ** -9)
    at = {k: float(v) for k, v in graph.at.items()}
    evidence = {"numeric": {"points": 1, "max_rel_error": float(abs(got - true) / max(abs(true), 1e-300)),
                            "digits": DIGITS},
                "finite_difference": {"method": "none", "max_rel_error": 0.0, "status": "skipped"},
                "symbolic": {"status": "skipped"}}
    read = as_read(f"{name}_bar", value)
    if ok:
        return Verdict(f"{name}_bar", "correct", evidence, line=row.line, as_read=read)
    return Verdict(f"{name}_bar", "incorrect", evidence, {"at": at, "expected": float(true), "got": float(got)},
                   {"kind": "other", "message": f"the value at the spec's point is {mpmath.nstr(true, 8)}"},
                   line=row.line, as_read=read)


_VALUES = {}


def _point_values(graph):
    """(forward values, adjoint values) of a graph at its `at:` point, computed once per graph."""
    key = id(graph)
    if key not in _VALUES or _VALUES[key][0] is not graph:
        if len(_VALUES) >= 32:
            _VALUES.clear()
        _VALUES[key] = (graph, graph.backprop().values(dict(graph.at)))
    return _VALUES[key][1]


def _program_line(b, row):
    """In program code (a `.py` file, a code cell, a python block) only a line that assigns an
    adjoint is an answer: `dW1 = ...`, `grad_h = ...`, `dout = ...`, `z_bar = ...` (numpy's names
    map to adjoints, classify.numpy_adjoint), or a derivative `dL/dw = ...`. Imports, prints, the forward pass (`h =
    np.maximum(0, x.dot(w1))`), tuple unpacking, augmented and subscripted assignments, and
    variables the graph does not have are the program's own business."""
    if not row.lhs:
        return row.lhs is not None
    if row.target.kind == "expression":
        return True
    try:
        kind, _ = lhs_of(b, row)
    except ParseError:
        return True
    return kind not in ("adjoint", "derivative")


def _in_cell(v, row):
    """A verdict placed in its notebook cell."""
    return v if row.cell is None else replace(v, cell=row.cell)


def unbar_name(target):
    return target[:-4] if target.endswith("_bar") else target


def _share(v, chains, numbers=None):
    """Each adjoint earns one point, shared by the rows of its chain."""
    name = unbar_name(v.target)
    n = len(chains.get(name, [])) + len((numbers or {}).get(name, [])) or 1
    return replace(v, score=v.score / n)


@_in_language
def check_steps(derivation, spec=None, seed=0, deadline=1.0, fmt=None, file=None, prove=False):
    """Each row of a derivation must equal the row before it; report the first that does not."""
    graph = as_graph(spec) if spec is not None else None
    try:
        rs = rows(clean(derivation), fmt, name=file)
    except ParseError as e:
        raise e.located(file) from None
    return judge_steps(graph, rs, seed, deadline, fmt or detect(derivation), file, prove)


def judge_steps(graph, rs, seed=0, deadline=1.0, fmt=None, file=None, prove=False):
    """check_steps on rows already read."""
    scope = ClaimScope(graph, free=graph is None)
    if not rs:
        raise ParseError("empty derivation", 1, 1, file)
    parsed, given = [], {}
    for row in rs:
        try:
            expr = read_row(scope, row, row.fmt or fmt)
            lhs = _steps_lhs(row, scope, given, expr, row.fmt or fmt)
            written = scope.expand(expr, row.line, row.col)
            if lhs is not None and lhs[0] == "given":
                given[sym(lhs[1])] = written.xreplace(given)
                scope.given = given
            parsed.append((row, lhs, written, None))
        except ParseError as e:
            parsed.append((row, None, None, e))
    if all(err is not None for *_, err in parsed):
        raise _whole((parsed[0][3], parsed[0][0].line, parsed[0][0].cell), file)
    exprs = [e.xreplace(given) for _, _, e, err in parsed if err is None]
    points = _points(graph, seed, exprs)
    items, prev, head = [], None, None
    for row, lhs, written, err in parsed:
        label = f"line {row.line}"
        if err is not None:
            items.append(_in_cell(_parse_error_item(label, err, row.line), row))
            prev = None
            continue
        full = written.xreplace(given)
        if row.lhs:
            truth_expr, fd = lhs[2], lhs[3]
            head = (_derivative_name(row), truth_expr, fd) if lhs[0] == "derivative" and fd is not None else None
            if lhs[0] == "given":
                prev = full
                continue
        else:
            if prev is None:
                items.append(_in_cell(Verdict(label, "undecided", {}, None, {"kind": "other", "message":
                                              _("no row above to compare with")}, line=row.line), row))
                continue
            truth_expr, fd = prev, None
        fd_errors = None if fd is None else tuple(fd(env) for env, _ in points)
        case = Case(truth_expr, tuple(env for env, _ in points), tuple(leaves for _, leaves in points),
                    fd_errors, lambda e: e)
        v = judge(label, full, case, deadline, row.line, prove)
        if v.verdict == "incorrect" and not row.lhs and head is not None:
            v = _back_on_track(v, full, head, points)
        items.append(_in_cell(v, row))
        prev = full
    first = next((v.line for v in items if v.verdict == "incorrect"), None)
    return Report("steps", tuple(items), first)


def _derivative_name(row):
    t = row.target
    return f"∂{t.num}/∂{t.name}"


def _back_on_track(v, full, head, points):
    """A row that does not follow from the row above but equals the chain's true left-hand side
    undoes an earlier mistake: still incorrect as a step, and the message says so."""
    name, truth, fd = head
    case = Case(truth, tuple(env for env, _ in points), tuple(leaves for _, leaves in points),
                tuple(fd(env) for env, _ in points), None)
    if judge(v.target, full, case, 0, v.line).verdict != "correct":
        return v
    diagnosis = dict(v.diagnosis or {"kind": "other"})
    how = "" if diagnosis["kind"] == "other" else f" ({diagnosis['message']})"
    diagnosis["message"] = _("does not follow from the row above{how}, but equals the true {name}: it undoes an "
                             "earlier mistake").format(how=how, name=name)
    return replace(v, diagnosis=diagnosis)


def _steps_lhs(row, scope, given, rhs, fmt):
    """('derivative', w, truth, fd) | ('given', name, ...) | ('expression', None, truth, None)
    (an expression on the left is what its row must equal) | None for continuations."""
    if row.lhs is None:
        return None
    if row.lhs == "":
        return ("given", f"_row{row.line}", None, None)
    t = row.target
    if t.kind == "derivative":
        var = scope.lookup(spelled(t.name)) or (t.name if scope.free else None)
        if var is None:
            raise ParseError(f"unknown variable '{t.name}'", row.line, 1)
        num = scope.lookup(spelled(t.num)) or t.num
        base = given.get(sym(num))
        if base is None and scope.graph is not None and num in scope.graph.full:
            base = scope.written(scope.graph.full[num], row.line, 1)
        if base is None:
            return ("derivative", var, scope.expand(rhs, row.line, row.col).xreplace(given), None)
        base = base.xreplace(given)
        truth = derivative(base, sym(var))
        return ("derivative", var, truth, _fd_of(base, truth, var))
    if t.kind == "name":
        return ("given", spelled(t.name), None, None)
    lhs = read_expression(t.name, scope, row.line, getattr(row, "lhs_col", 1), fmt)
    return ("expression", None, scope.expand(lhs, row.line, 1).xreplace(given), None)


def _fd_of(base, truth, var):
    """Finite differences of `base` along `var` against `truth`, at one point."""
    s = sym(var)

    def err(env):
        with mpmath.workdps(DIGITS):
            try:
                fd = mpmath.diff(lambda t: evaluate(base, {**env, s: t}), env[s])
                return rel_error(fd, evaluate(truth, env))
            except (DomainError, ZeroDivisionError, ValueError, KeyError):
                return mpmath.inf
    return err


def _points(graph, seed, exprs):
    """Envs of leaves where every expression is defined and away from kinks."""
    if graph is not None:
        return [(p.env, p.leaves) for p in truth_for(graph, seed).points]
    names = sorted({s.name for e in exprs for s in e.free_symbols if unbar(s) is None})
    rng = random.Random(seed)
    out = []
    with mpmath.workdps(DIGITS):
        for attempt in range(400):
            scale = [0.3, 1.0, 2.5, 0.7, 1.6][attempt % 5]
            env = {sym(n): mpmath.mpf(rng.choice((-1, 1)) * scale * rng.uniform(0.25, 1.0)) for n in names}
            try:
                for e in exprs:
                    evaluate(e, env)
                if any(kink_distance(e, env) < KINK_MARGIN for e in exprs):
                    continue
            except (DomainError, ZeroDivisionError, ValueError, OverflowError):
                continue
            out.append((env, {s.name: v for s, v in env.items()}))
            if len(out) == POINTS:
                break
    return out
