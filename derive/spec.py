"""The forward spec (`*.bp`): assignments, `wrt:`, `at:`, `latex:` lines, comments."""
import re

from .lazy import numpy as np
import sympy

from .errors import ParseError
from .functions import BAR, sym
from .graph import Graph, Node
from .matrix import SCALAR, lift
from .names import canonical, spelled
from .parse import MAX_DIGITS, parse_expression
from .rules import SPELLINGS
from .specscope import ConstScope, SpecScope  # noqa: F401  (ConstScope: read from here by the CLI)

MAX_SPEC_CHARS = 200_000
MAX_AT_CHARS = 4_000_000    # `at:` lines, besides: plain decimals only beyond MAX_SPEC_CHARS (docs/spec.md)
MAX_LINES = 5_000
NAME = r"[A-Za-z_\u0370-\u03ff](?:[A-Za-z0-9_\u0370-\u03ff]|\{[A-Za-z0-9]+\})*"
HEADER = re.compile(r"\s*(wrt|at|latex)\s*:(.*)$")
AT_LINE = re.compile(r"^[ \t]*at[ \t]*:[^\r\n]*", re.M)
DECLARE = re.compile(rf"\s*({NAME})\s*:\s*(.*?)\s*$")
ASSIGN = re.compile(rf"\s*({NAME})\s*=(?!=)(.*)$")
SAFE_LATEX = re.compile(r"[A-Za-z0-9\\{}_^()' ,.]*")
UNSAFE_LATEX = re.compile(r"\\(input|include|write|openout|openin|read|catcode|def|edef|gdef|xdef|let|"
                          r"immediate|csname|usepackage|newcommand|renewcommand|providecommand|"
                          r"DeclareRobustCommand|expandafter|scantokens|special|directlua|lowercase|"
                          r"uppercase)|\^\^")   # TeX reads ^^5c as a backslash


_OPEN, _CLOSE = "([{", ")]}"
_BRACKETS = re.compile(r"[(\[{)\]}]")


def _split_top(text, sep=","):
    """Split at `sep` outside brackets, with each piece's offset (inside brackets only the
    brackets are visited: a 512×512 `at:` value has 262,143 commas)."""
    depth, start, out, i = 0, 0, [], 0
    outside = re.compile("[" + re.escape(_OPEN + _CLOSE + sep) + "]")
    while True:
        m = (outside if depth == 0 else _BRACKETS).search(text, i)
        if m is None:
            break
        ch, i = m.group(), m.end()
        depth += ch in _OPEN
        depth -= ch in _CLOSE
        if ch == sep and depth == 0:
            out.append((text[start:i - 1], start))
            start = i
    out.append((text[start:], start))
    return [(p, o) for p, o in out if p.strip()]


def _strip_comment(line):
    i = line.find("#")
    return line if i < 0 else line[:i]


def parse_spec(text, file=None):
    """Read a forward spec into a Graph; bad input raises ParseError with line and column."""
    try:
        return _parse_spec(text)
    except ParseError as e:
        raise e.located(file) from None


def _parse_spec(text):
    at_chars = sum(len(m.group()) for m in AT_LINE.finditer(text)) if len(text) > MAX_SPEC_CHARS else 0
    if len(text) - at_chars > MAX_SPEC_CHARS:
        raise ParseError(f"spec longer than {MAX_SPEC_CHARS} characters", 1, 1)
    if at_chars > MAX_AT_CHARS:
        raise ParseError(f"at: lines longer than {MAX_AT_CHARS} characters", 1, 1)
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if len(lines) > MAX_LINES:
        raise ParseError(f"spec longer than {MAX_LINES} lines", MAX_LINES + 1, 1)
    if "\x00" in text:
        i = text.index("\x00")
        raise ParseError("NUL byte in spec", text.count("\n", 0, i) + 1, i - text.rfind("\n", 0, i))
    lines = [_strip_comment(l) for l in lines]
    assigned = {}
    for no, line in enumerate(lines, 1):
        m = None if HEADER.match(line) else ASSIGN.match(line)
        if m:
            name = spelled(m.group(1))
            if name in assigned:
                raise ParseError(f"'{name}' is assigned twice (first on line {assigned[name]})",
                                 no, m.start(1) + 1)
            assigned[name] = no
    shapes, dims, classes = _declarations(lines)
    matrix = any(sh != SCALAR for sh in shapes.values()) or bool(classes)
    euler = not ("e" in assigned or "e" in shapes or "e" in classes or _named_in_headers(lines, "e"))
    if matrix:          # the matrix modules load with the first matrix spec
        from .mgraph import MatrixGraph, MNode
        from .mscope import MatrixSpecScope
    scope = MatrixSpecScope(assigned, shapes, dims, classes, euler) if matrix else SpecScope(assigned, euler)
    nodes, headers, order = [], [], []
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if HEADER.match(line):
            headers.append((no, line))
            continue
        m = ASSIGN.match(line)
        if m:
            name = spelled(m.group(1))
            if name in SPELLINGS:
                raise ParseError(f"'{name}' is a function name and cannot be assigned", no, m.start(1) + 1)
            if name.endswith(BAR):
                raise ParseError(f"names ending in '{BAR}' are kept for adjoints", no, m.start(1) + 1)
            scope.used, scope.current = [], name
            expr = parse_expression(m.group(2), scope, no, m.start(2) + 1)
            scope.defined.add(name)
            scope.current = None
            order += [n for n in scope.used + [name] if n not in order]
            if matrix:
                expr = lift(expr)
                scope.shapes[name] = expr.shape
                nodes.append(MNode(name, expr, tuple(scope.used), no))
            else:
                nodes.append(Node(name, expr, tuple(n for n in scope.used if sym(n) in expr.free_symbols), no))
            continue
        if DECLARE.match(line):
            continue
        col = len(line) - len(line.lstrip()) + 1
        raise ParseError("expected an assignment 'name = expression', or a 'wrt:', 'at:' or 'latex:' line",
                         no, col)
    if not nodes:
        raise ParseError("empty spec: no assignment", 1, 1)
    names = scope.leaves + [n.name for n in nodes]
    wrt, at, latex = (), {}, {}
    for no, line in headers:
        m = HEADER.match(line)
        kind, body, off = m.group(1), m.group(2), m.start(2)
        if kind == "wrt":
            wrt = tuple(_known(piece, o + off, no, names, scope) for piece, o in _split_top(body))
        elif kind == "at":
            at.update(_values(body, off, no, names, scope, matrix, plain=len(text) > MAX_SPEC_CHARS))
        else:
            latex.update(_latex_names(body, off, no, names, scope))
    if not matrix:
        return Graph(tuple(scope.leaves), tuple(nodes), wrt or tuple(scope.leaves), at, latex, tuple(order))
    leaves = tuple(scope.leaves)
    for name in wrt:
        if name in classes:
            raise ParseError(f"'{name}' is a class label: it has no gradient, so it cannot be in wrt:",
                             next(no for no, line in headers if HEADER.match(line).group(1) == "wrt"), 1)
    labels = {n: c for n, c in classes.items() if n in leaves}
    sized = {d for n in leaves if n not in labels for d in shapes.get(n, SCALAR)}
    for name, c in labels.items():
        if not c.is_Integer and c not in sized:
            no = next(no for no, line in enumerate(lines, 1) if DECLARE.match(line)
                      and spelled(DECLARE.match(line).group(1)) == name and not ASSIGN.match(line))
            raise ParseError(f"the number of classes {c} of '{name}' is the size of no input: score it "
                             f"(s: vector({c}) or S: matrix(N, {c}))", no, 1)
    graph = MatrixGraph(leaves, {n: shapes.get(n, SCALAR) for n in leaves}, tuple(nodes),
                        wrt or tuple(n for n in leaves if n not in labels), at, latex, tuple(sorted(dims)),
                        tuple(order), labels)
    at_line = next((no for no, line in reversed(headers) if HEADER.match(line).group(1) == "at"), 1)
    _check_shapes(graph, at, at, at_line)
    return graph


def _named_in_headers(lines, name):
    """Does a `wrt:` line list `name`, or an `at:` line give it a value?"""
    for line in lines:
        m = HEADER.match(line)
        if m and m.group(1) in ("wrt", "at"):
            for piece, _ in _split_top(m.group(2)):
                if spelled(piece.split("=", 1)[0].strip()) == name:
                    return True
    return False


def _check_shapes(graph, values, point, line):
    """Each value of a matrix spec has its variable's shape (a number for a scalar, a list for a
    vector or a matrix), and the values of `point` agree on every size letter."""
    for name, value in values.items():
        want, got = graph.shape_of(name), np.shape(value)
        if want == SCALAR:
            ok = got in ((), (1, 1))
        else:
            ok = len(got) == 2 and all(not d.is_Integer or int(d) == n for d, n in zip(want, got))
        if not ok:
            shown = "a number" if got == () else "×".join(str(n) for n in got)
            raise ParseError(f"the value of '{name}' has the wrong shape: {shown} for a "
                             f"{'scalar' if want == SCALAR else '×'.join(str(d) for d in want)}", line, 1)
    try:
        sizes = graph.sizes(point)
    except ValueError as e:
        raise ParseError(f"the values disagree on a size: {e}", line, 1) from None
    for name, value in values.items():
        if name in graph.labels:
            c = graph.labels[name]
            c = int(c) if c.is_Integer else sizes.get(c.name)
            for v in np.asarray(value, dtype=object).flat:
                if not getattr(v, "is_Integer", False) or v < 0 or c is not None and v >= c:
                    raise ParseError(f"the value of '{name}' must be a class label, a whole number 0.."
                                     f"{c - 1 if c is not None else 'C-1'}, not {v}", line, 1)




def _declarations(lines):
    """`W: matrix(H, D)`, `x: vector(D)`, `lambda: scalar`, `y: label(C)`, `y: labels(N, C)` ->
    shapes, size letters, and the number of classes of each label."""
    shapes, dims, classes = {}, set(), {}
    for no, line in enumerate(lines, 1):
        if HEADER.match(line) or ASSIGN.match(line):
            continue
        m = DECLARE.match(line)
        if not m:
            continue
        name, kind = spelled(m.group(1)), m.group(2)
        k = re.fullmatch(r"(matrix|vector)\s*\((.*)\)", kind)
        lab = re.fullmatch(r"(labels?)\s*\((.*)\)", kind)
        if lab:
            from .mscope import parse_dims
            sizes = parse_dims(lab.group(2), no, m.start(2) + 1)
            if len(sizes) != (1 if lab.group(1) == "label" else 2):
                raise ParseError("label takes the number of classes, label(C); labels takes a count and the "
                                 "number of classes, labels(N, C)", no, m.start(2) + 1)
            shapes[name] = SCALAR if len(sizes) == 1 else (sizes[0], sympy.Integer(1))
            classes[name] = sizes[-1]
            dims.update(d.name for d in sizes if not d.is_Integer)
        elif kind == "scalar":
            shapes[name] = SCALAR
        elif k:
            from .mscope import parse_dims
            sizes = parse_dims(k.group(2), no, m.start(2) + 1)
            if len(sizes) != (2 if k.group(1) == "matrix" else 1):
                raise ParseError(f"{k.group(1)} takes {2 if k.group(1) == 'matrix' else 1} size(s)",
                                 no, m.start(2) + 1)
            shapes[name] = tuple(sizes) if len(sizes) == 2 else (sizes[0], sympy.Integer(1))
            dims.update(d.name for d in sizes if not d.is_Integer)
        else:
            raise ParseError(f"unknown declaration '{kind}': expected 'scalar', 'vector(n)', 'matrix(m, n)', "
                             "'label(C)' or 'labels(N, C)'", no, m.start(2) + 1)
    return shapes, dims, classes


def _known(piece, col, no, names, scope):
    name = spelled(piece.strip())
    name = scope.keys.get(canonical(name), name)
    if name not in names:
        raise ParseError(f"unknown name '{piece.strip()}'; known: {', '.join(names)}",
                         no, col + len(piece) - len(piece.lstrip()) + 1)
    return name


def _pairs(body, off, no, names, scope, what):
    """`name = text` pieces of a header line: (name, text, column of text)."""
    for piece, o in _split_top(body):
        if "=" not in piece:
            raise ParseError(f"expected 'name = {what}'", no, off + o + 1)
        left, right = piece.split("=", 1)
        yield _known(left, off + o, no, names, scope), right, off + o + len(left) + 2


def _values(body, off, no, names, scope, matrix=False, plain=False):
    out = {}
    for name, right, col in _pairs(body, off, no, names, scope, "value"):
        if name in out:        # and a list of 100,000 values is refused at its second one
            raise ParseError(f"'{name}' is given twice", no, col)
        if right.strip().startswith("["):
            if not matrix:
                raise ParseError(f"'{name}' is a scalar; declare it as vector(n) or matrix(m, n)", no, col)
            out[name] = _literal(right, no, col, plain)
            continue
        if plain and _decimal(right.strip()) is None:
            raise ParseError(PLAIN_ONLY, no, col)
        out[name] = parse_expression(right, ConstScope(), no, col)
        if not out[name].is_Number:
            raise ParseError(f"the value of '{name}' must be a number", no, col)
    return out


DECIMAL = re.compile(r"(-?)(\d*)\.?(\d*)(?:[eE]([-+]?\d{1,3}))?")


def _decimal(t):
    """A plain decimal entry (`-0.125`, `3e-2`) as the exact rational the expression reader would
    give, without the reader (a 512×512 point has 262,144 of them); None for anything else."""
    m = DECIMAL.fullmatch(t)
    if not m or not (m.group(2) or m.group(3)) or len(m.group(2)) + len(m.group(3)) > MAX_DIGITS \
            or abs(int(m.group(4) or 0)) > 300:
        return None
    n = int(m.group(2) + m.group(3)) * (-1 if m.group(1) else 1)
    k = len(m.group(3)) - int(m.group(4) or 0)      # the value is n / 10^k
    return sympy.Rational(n, 10 ** k) if k > 0 else sympy.Integer(n * 10 ** -k)


PLAIN_ONLY = (f"a spec longer than {MAX_SPEC_CHARS} characters with its at: lines takes plain decimal "
              "numbers only in them (like -0.125 or 3e-2)")
_DEC = r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d{1,3})?"
PLAIN_ROW = re.compile(rf"\s*{_DEC}(?:\s*,\s*{_DEC})*\s*,?\s*")
PLAIN_MATRIX = re.compile(r"\s*\[\s*(?:\[[^\[\]]*\]\s*,\s*)*\[[^\[\]]*\]\s*,?\s*\]\s*")
PLAIN_VECTOR = re.compile(r"\s*\[[^\[\]]*\]\s*")
ROWS = re.compile(r"\[([^\[\]]*)\]")


def _plain_literal(text):
    """A list or a list of rows of plain decimals as a numpy array of exact rationals, read
    without the token loop (a 512×512 point has 262,144 entries); None for anything else."""
    if PLAIN_MATRIX.fullmatch(text):
        rows = ROWS.findall(text.strip()[1:-1])
    elif PLAIN_VECTOR.fullmatch(text):
        rows = None
    else:
        return None
    exact = {}
    out = []
    for row in (rows if rows is not None else [text.strip()[1:-1]]):
        if not PLAIN_ROW.fullmatch(row):
            return None
        entries = [t.strip() for t in row.split(",")]
        entries = entries[:-1] if entries and not entries[-1] else entries
        for t in entries:
            if t not in exact:
                exact[t] = _decimal(t)
                if exact[t] is None:
                    return None
        out.append([exact[t] for t in entries])
    if rows is None:
        return np.array(out[0], dtype=object).reshape(-1, 1) if out[0] else None
    if len({len(r) for r in out}) != 1 or not out[0]:
        return None
    return np.array(out, dtype=object)


def _literal(text, no, col, plain=False):
    """`[[0.1, 0.5], [-0.3, 0.8]]` or `[0.2, 0.4]` -> a numpy array of exact rationals; `plain`:
    plain decimals only (an `at:` beyond MAX_SPEC_CHARS, which the expression reader never sees)."""
    fast = _plain_literal(text)
    if fast is not None:
        return fast
    if plain:
        raise ParseError(PLAIN_ONLY, no, col)
    tokens = re.findall(r"\[|\]|,|[^\[\],\s]+|\s+", text)
    stack, cur, pos = [], None, col
    for t in tokens:
        if t == "[":
            stack.append([])
        elif t == "]":
            if not stack:
                raise ParseError("unbalanced ]", no, pos)
            done = stack.pop()
            if stack:
                stack[-1].append(done)
            else:
                cur = done
        elif t.strip() and t != ",":
            if not stack:
                raise ParseError(f"unexpected '{t}'", no, pos)
            stack[-1].append(_decimal(t) or parse_expression(t, ConstScope(), no, pos))
        pos += len(t)
    if stack or cur is None:
        raise ParseError("unbalanced [", no, col)
    try:
        arr = np.array(cur, dtype=object)
    except ValueError:
        arr = None
    if arr is None or arr.ndim not in (1, 2) or any(not getattr(x, "is_Number", False) for x in arr.flat):
        raise ParseError("a matrix value must be a list of numbers or a list of equal-length rows", no, col)
    return arr.reshape(-1, 1) if arr.ndim == 1 else arr


def _latex_names(body, off, no, names, scope):
    out = {}
    for name, right, col in _pairs(body, off, no, names, scope, "LaTeX"):
        tex = right.strip()
        if (not SAFE_LATEX.fullmatch(tex) or UNSAFE_LATEX.search(tex) or not tex or len(tex) > 200
                or _depth(tex) > 8):
            raise ParseError(f"LaTeX name for '{name}' must be a plain name like \\mathcal{{L}}_{{reg}}", no, col)
        out[name] = tex
    return out


def _depth(tex):
    depth = deepest = 0
    for ch in tex:
        depth += ch == "{"
        depth -= ch == "}"
        deepest = max(deepest, depth)
    return deepest


def parse_values(text, graph, file=None):
    """Values for `--at`: `x=1,y=2` or a JSON object; numbers become exact rationals."""
    scope = SpecScope({})
    scope.keys.update({canonical(n): n for n in graph.names})
    try:
        matrix = getattr(graph, "is_matrix", False)
        if text.lstrip().startswith("{"):
            values = _json_values(text, graph, scope)
        else:
            values = _values(text, 0, 1, graph.names, scope, matrix)
        if matrix:
            _check_shapes(graph, values, {**graph.at, **values}, 1)
        return values
    except ParseError as e:
        raise e.located(file) from None


def _json_values(text, graph, scope):
    import json

    def refuse(word):
        raise ParseError(f"{word} is not a value", 1, 1)
    try:
        data = json.loads(text, parse_constant=refuse, parse_float=str, parse_int=str)
    except json.JSONDecodeError as e:
        raise ParseError(e.msg, e.lineno, e.colno) from None
    except RecursionError:
        raise ParseError("values nested too deeply", 1, 1) from None
    if not isinstance(data, dict):
        raise ParseError("expected a JSON object of values", 1, 1)
    out = {}
    for key, value in data.items():
        name = _known(str(key), 0, 1, graph.names, scope)
        if isinstance(value, list) and getattr(graph, "is_matrix", False):
            out[name] = _literal(json.dumps(value).replace('"', ""), 1, 1)
        elif isinstance(value, str):
            out[name] = parse_expression(value, ConstScope(), 1, 1)
        else:
            raise ParseError(f"the value of '{name}' must be a number"
                             + (" or a list of numbers" if getattr(graph, "is_matrix", False) else ""), 1, 1)
    return out
