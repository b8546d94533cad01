"""What a lexed LaTeX expression's tokens say about one another: where a bracket or a factor ends,
the readings TeX renders one way and a reader may take two ways (refused with their column), and
how a letter run cuts into known names."""
import re

_OPEN = frozenset({"_LPAR", "_LSQB", "_LCB", "_LBRACE", "ABSL", "NORML"})
_CLOSE = frozenset({"_RPAR", "_RSQB", "_RCB", "_RBRACE", "ABSR", "NORMSQ", "NORMR"})
_OPERANDS = frozenset({"NUMBER", "NAME", "ARGNAME", "EULER", "ONES", "FUNC", "SQRT", "LOCAL", "DERIV", "DERIVG",
                       "SUM", "SUMALL", "IND"})
_FACTOR = _OPEN | {"NUMBER", "NAME", "ARGNAME", "EULER", "ONES", "FUNC", "SQRT", "FRAC", "LOCAL", "DERIV", "SUMALL",
                   "DERIVG", "SUM", "IND"}


def _closing(out, i):
    """Index after the bracket that closes the one opened at out[i], or None."""
    depth = 0
    for j in range(i, len(out)):
        t = out[j].type
        if t in _OPEN:
            depth += 1
        elif t in _CLOSE:
            depth -= 1
            if depth == 0:
                return j + 1
    return None


def _unit(out, i):
    """Index after the factor that starts at out[i] (with its ^{...} and transposes), or None."""
    n = len(out)
    if i >= n:
        return None
    t = out[i].type
    if t in ("NUMBER", "NAME", "ARGNAME", "EULER", "ONES"):
        j = i + 1
    elif t in _OPEN:
        j = _closing(out, i)
    elif t == "FRAC":
        j = _closing(out, i + 1)
        j = j and _closing(out, j)
    elif t == "SQRT":
        j = _closing(out, i + 1)
    elif t == "LOCAL":
        j = i + 2
    elif t == "IND":
        j = _unit(out, i + 1)
    elif t == "FUNC":
        j = i + 1
        if j < n and out[j].type in ("_PRIME", "AXIS"):
            j += 1
        if j < n and out[j].type == "CARET":
            j = _closing(out, j + 1)
        if j is not None and j < n and out[j].type in _OPEN:
            j = _closing(out, j)
        else:
            j = _unit(out, j) if j is not None else None
    else:
        return None
    while j is not None and j < n and out[j].type in ("TRANSPOSE", "CARET"):
        j = j + 1 if out[j].type == "TRANSPOSE" else _closing(out, j + 1)
    return j


def _ambiguities(out, text, fail):
    """Refuse what TeX renders one way and a reader may take two ways:
    `\\log x y` (log(x)·y or log(xy)?) and `a / b c` ((a/b)·c or a/(bc)?). A function's bare
    one-name argument becomes ARGNAME, so the grammar can ask the scope whether it splits."""
    n = len(out)
    for i, tok in enumerate(out):
        t = tok.type
        if t == "FUNC":
            k = i + 1
            if k < n and out[k].type == "CARET" and k + 1 < n:
                k = _closing(out, k + 1)        # \tanh^2 z, \cos^{2} x: the power of the function
                if k is None:
                    continue
            if k >= n or out[k].type in ("_LPAR", "_LCB", "_PRIME", "CARET", "AXIS"):
                continue
            j = _unit(out, k)
            if j is None:
                continue
            if out[k].type == "NAME" and (j == k + 1 or out[k + 1].type == "CARET"):
                out[k] = out[k].update("ARGNAME")
            if j < n and out[j].type in _FACTOR:
                if out[k].type == "_LBRACE" and out[k + 1].type in _OPEN and _closing(out, k + 1) == j - 1:
                    continue            # \log{\left(y\right)} t: the brackets say it
                shown = text[tok.start_pos:out[j].end_pos]
                raise fail(f"ambiguous '{shown}': how far does {tok} reach? write brackets: "
                           f"{tok}(...) around its argument", tok.start_pos)
        elif t == "DIV":
            k = i + 1
            while k < n and out[k].type in ("MINUS", "_PLUS"):
                k += 1
            j = _unit(out, k)
            if j is not None and j < n and out[j].type in _FACTOR:
                shown = text[out[i - 1].start_pos if i else tok.start_pos:out[j].end_pos]
                raise fail(f"ambiguous '{shown}': is what follows '/' in the denominator or not? "
                           r"write \frac{...}{...} or brackets", tok.start_pos)
        elif t == "CARET" and i + 5 < n and out[i + 1].start_pos == out[i + 1].end_pos \
                and out[i + 2].type in ("MINUS", "_PLUS") and out[i + 5].type in _FACTOR:
            # e^-z w: TeX raises only the sign; is w in the exponent or not?
            shown = text[tok.start_pos:out[i + 5].end_pos]
            raise fail(f"ambiguous '{shown}': what is in the exponent? write ^{{...}} with braces",
                       tok.start_pos)


_ATOM = re.compile(r"[A-Za-z0-9](?:_[A-Za-z0-9])?")
MAX_RUN = 12


def _split_run(run, known):
    """A letter run the scope does not know, as the one way to cut it into known names along
    TeX's atoms (a letter or digit, with a one-character subscript): `Wx` -> W x, `w_0x_0` ->
    w_0 x_0, `xW_1` -> x W_1. None when there is no such cut or more than one (the scope then
    reports the unknown or ambiguous name), and for adjoint spellings (`zbar`) the scope reads."""
    if len(run) > MAX_RUN or run.endswith("bar") or len(run) < 2:
        return None
    atoms = _ATOM.findall(run)
    if "".join(atoms) != run or len(atoms) < 2:
        return None
    n = len(atoms)
    ways = [None] * n + [[[]]]           # ways[i]: cuts of atoms[i:], at most two kept
    for i in range(n - 1, -1, -1):
        found = []
        for j in range(i + 1, n + 1):
            if ways[j] and (j - i < n) and known("".join(atoms[i:j])):
                found += [["".join(atoms[i:j])] + rest for rest in ways[j]]
                if len(found) > 1:
                    break
        ways[i] = found[:2]
    return ways[0][0] if ways[0] and len(ways[0]) == 1 else None
