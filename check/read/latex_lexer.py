r"""The LaTeX lexer: TeX text into the grammar's tokens, names already spelled plainly, one-character
arguments wrapped in braces, and the readings TeX leaves ambiguous refused with their column."""
from bisect import bisect_right
import re
from lark import Token
from derive.errors import ParseError
from derive.names import GREEK
from derive.parse import MAX_TERMS, MAX_TOKENS
from derive.rules import SPELLINGS
from .latex_cases import CASES, NEGATED, CasesError, cases
from .latex_names import _DPREFIX, _dside, _sum_condition, CHARS, CMP_CMDS, DECOR, DELIMS, DIGITS, DROPPED, FONTS, FRACS, FUNC_CMDS, GREEK_CMDS, MUL_CMDS, TEXTS, _AXIS, _CALL, _CMD, _EBRACE, _FILL, _IDENT, _IND, _LETTERS, _NORMSQ, _NORMSUB, _NORM_CMDS, _NUM, _NUMSTART, _OPENER, _PARTIAL, _PRIME, _SIZE, _SIZED, _TRANSPOSE, _VARGREEK, _derivative_frac, _group, _match_brace, _read_base, _read_name, _skip, _skip_sp

_ONES_SIZE = re.compile(r"\s*_\s*(?:[A-Za-z0-9]|\{\s*[A-Za-z0-9]+\s*\})")   # \mathbf{1}_N: its length
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


# Token(...) goes through a keyword-compatibility shim in lark 1.x; its constructor proper is cheaper
_token = getattr(Token, "_future_new", None) or (lambda *a: Token(*a[:5], end_pos=a[-1]))


class _Lexer:
    """LaTeX text -> grammar tokens, names already in their plain spelling."""

    def __init__(self, text, known, cap=MAX_TERMS):
        self.text, self.known, self.cap = text, known, cap
        self.out, self.braces, self.open_abs, self.open_norm = [], [], 0, 0
        self.derivs = False             # a derivative operator was read (its operand keeps MAX_TERMS)
        self.oneline = "\n" not in text
        self.starts = [0] if self.oneline else [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def fail(self, message, pos):
        line = bisect_right(self.starts, pos)
        return ParseError(message, line, pos - self.starts[line - 1] + 1)

    def emit(self, kind, value, pos, end=None):
        if self.oneline:
            line, col = 1, pos + 1
        else:
            line = bisect_right(self.starts, pos)
            col = pos - self.starts[line - 1] + 1
        out = self.out
        out.append(_token(kind, value, pos, line, col, None, None, pos if end is None else end))
        if kind == "ABSL" or kind == "ABSR":
            self.open_abs += 1 if kind == "ABSL" else -1
        if len(out) > MAX_TOKENS:
            raise self.fail(f"more than {MAX_TOKENS} tokens", pos)

    def run(self):
        pos, n = 0, len(self.text)
        while True:
            pos = _skip(self.text, pos)
            if pos >= n:
                break
            pos = self.step(pos)
        cap = self.cap
        if len(self.out) > cap:
            operands = [t for t in self.out if t.type in _OPERANDS]
            if len(operands) > cap:
                raise self.fail(f"more than {cap} terms and factors in one expression",
                                operands[cap].start_pos)
        _ambiguities(self.out, self.text, self.fail)
        return self.out

    def step(self, pos):
        text, ch = self.text, self.text[pos]
        if ch == "\\":
            return self.command(pos)
        if ch in _LETTERS:
            return self.word(pos)
        m = _NUM.match(text, pos) if ch in _NUMSTART else None
        if m:
            if self.out and self.out[-1].type == "NUMBER":
                last = self.out[-1]
                raise self.fail(f"ambiguous '{text[last.start_pos:m.end()]}': two numbers side by side "
                                "(TeX shows them as one); write \\cdot between them or one number",
                                last.start_pos)
            self.emit("NUMBER", m.group(), pos, m.end())
            return m.end()
        if ch in CHARS:
            self.emit(CHARS[ch], ch, pos, pos + 1)
            return pos + 1
        if ch == "{":
            m = _EBRACE.match(text, pos)
            if m and not self.known("e"):         # {e}^{-x}: the exponential
                self.emit("EULER", "e", pos, m.end())
                return m.end()
            self.emit("_LBRACE", ch, pos, pos + 1)
            self.braces.append(None)
            return pos + 1
        if ch == "}":
            self.emit("_RBRACE", ch, pos, pos + 1)
            if self.braces and self.braces.pop() == "frac":
                return self.arg(pos + 1, None, r"\frac")
            return pos + 1
        if ch == "^":
            return self.caret(pos)
        if ch == "|":
            if text.startswith("||", pos) and self.open_abs == 0:
                return self.norm(pos, pos + 2, None)
            return self.bar(pos, pos + 1)
        if ch in "<>≥≤":
            return self.compare(pos)
        if ch in "²³":
            self.emit("CARET", "^", pos, pos + 1)
            self.emit("_LBRACE", "{", pos)
            self.emit("NUMBER", "2" if ch == "²" else "3", pos, pos + 1)
            self.emit("_RBRACE", "}", pos)
            return pos + 1
        if ch in "&$":
            return pos + 1
        if ch == "=" and self.bracketed() or ch == "≠":      # 𝟙[k = y], [j ≠ y_i]
            self.emit("EQ", ch, pos, pos + 1)
            return pos + 1
        if ch == "=":
            raise self.fail("'=' inside an expression", pos)
        if ch == "_":
            raise self.fail("a subscript must follow a name", pos)
        if ch in GREEK or (ch.isascii() and ch.isalpha()):
            return self.word(pos)
        raise self.fail(f"unexpected character '{ch}'", pos)

    def command(self, pos):
        text = self.text
        m = _CMD.match(text, pos)
        if m is None:
            raise self.fail("a lone backslash", pos)
        name, end = m.group(1), m.end()
        if name in ("{", "}"):
            self.emit("_LCB" if name == "{" else "_RCB", name, pos, end)
        elif name == "begin" and CASES.match(text, pos):
            return self.cases(pos)
        elif name == "\\":
            raise self.fail(r"a line break '\\' inside an expression", pos)
        elif name in ("left", "right", "middle") or _SIZE.fullmatch(name):
            return self.sized(pos)
        elif name in DROPPED:
            return self.dropped(pos, name, end)
        elif name in FRACS:
            return self.frac(pos, end)
        elif name == "sqrt":
            if text.startswith("[", _skip(text, end)):
                raise self.fail(r"\sqrt[n]{...} is not supported", pos)
            self.emit("SQRT", "sqrt", pos, end)
            return self.arg(end, None, r"\sqrt")
        elif name == "sum":
            return self.sum(pos, end)
        elif name == "partial":
            return self.partial(pos, end)
        elif name == "operatorname":
            return self.operatorname(pos, end)
        elif name in FUNC_CMDS:
            self.emit("FUNC", name, pos, end)
        elif name in MUL_CMDS:
            self.emit("MUL", "\\" + name, pos, end)
        elif name == "div":
            self.emit("DIV", "/", pos, end)
        elif name in CMP_CMDS:
            self.emit("CMP", CMP_CMDS[name], pos, end)
        elif name in ("ne", "neq"):
            self.emit("EQ", "≠", pos, end)
        elif "\\" + name in DELIMS:
            self.emit(DELIMS["\\" + name], "\\" + name, pos, end)
        elif name == "vert":
            return self.bar(pos, end)
        elif name in _NORM_CMDS:
            return self.norm(pos, end, _NORM_CMDS[name])
        elif name == "prime":
            self.emit("_PRIME", "'", pos, end)
        elif _IND.match(text, pos):
            return self.indicator(pos)
        elif name in GREEK_CMDS or name in FONTS or name in DECOR:
            return self.word(pos)
        else:
            raise self.fail(f"unknown LaTeX command '\\{name}'", pos)
        return end

    def word(self, pos):
        text = self.text
        name = _read_name(text, pos)
        if name is None:
            raise self.fail(f"unexpected '{text[pos]}'", pos)
        after = _skip(text, name.end)
        if name.simple and name.plain in SPELLINGS and _CALL.match(text, after):
            self.emit("FUNC", name.plain, pos, name.end)
            return name.end
        if name.simple and text.startswith("^", after) and self.exponential(name, pos):
            return name.end
        plain = name.plain
        if "var" in plain:
            if not self.known(plain):       # \varepsilon is the letter epsilon
                plain = _VARGREEK.sub(r"\1", plain)
        elif name.simple and len(plain) > 1 and not self.known(plain) and text[pos:name.end] == plain:
            pieces = _split_run(plain, self.known)
            if pieces:
                for piece in pieces:
                    self.emit("NAME", piece, pos, pos + len(piece))
                    pos += len(piece)
                return name.end
        self.emit("NAME", plain, pos, name.end)
        if name.transpose is not None:
            self.emit("TRANSPOSE", "T", name.transpose, name.transpose + 1)
        return name.end

    def exponential(self, name, pos):
        """`e^{...}`, also ending a letter run (`xe^{x}`), when the scope has no variable `e`."""
        plain = name.plain
        if not plain.endswith("e") or self.known("e"):
            return False
        if plain == "e":
            self.emit("EULER", "e", pos, name.end)
            return True
        if plain.isalpha() and self.text[pos:name.end] == plain and not self.known(plain):
            self.emit("NAME", plain[:-1], pos, name.end - 1)
            self.emit("EULER", "e", name.end - 1, name.end)
            return True
        return False

    def arg(self, pos, kind, owner, start=None, euler=False):
        """One TeX argument: a braced group, or one token that gets braces around it. A one-character
        argument that runs straight on (`x^23`, `\\frac123`, `e^-2z`, `e^2x`) is refused: TeX raises
        one character, but the writer may well have meant all of them."""
        text = self.text
        p = _skip(text, pos)
        if text.startswith("{", p):
            self.emit("_LBRACE", "{", p, p + 1)
            self.braces.append(kind)
            return p + 1
        self.emit("_LBRACE", "{", p)
        signed = p < len(text) and text[p] in "+-−"
        if signed:
            self.emit("_PLUS" if text[p] == "+" else "MINUS", text[p], p, p + 1)
            p = _skip(text, p + 1)
        digit = text[p:p + 1] in DIGITS
        if digit:
            self.emit("NUMBER", text[p], p, p + 1)
            end = p + 1
        elif (core := _read_base(text, p, True, 0)) is not None:
            self.emit("NAME", core[0], p, core[1])
            end = core[1]
        else:
            raise self.fail(f"{owner} needs an argument", p)
        after = text[end:end + 1]
        if kind != "frac" and after and (after in DIGITS and (digit or signed) or after.isalpha() and after.isascii()
                      and (signed or euler)):
            start = pos if start is None else start
            raise self.fail(f"ambiguous '{text[start:end + 1]}': TeX takes only '{text[p:end]}' as the "
                            f"argument of {owner}; write braces {{...}} around what belongs to it", start)
        self.emit("_RBRACE", "}", end)
        return self.arg(end, None, owner, start) if kind == "frac" else end

    def caret(self, pos):
        m = _TRANSPOSE.match(self.text, pos)
        if m:
            self.emit("TRANSPOSE", "T", pos, m.end())
            return m.end()
        m = _PRIME.match(self.text, pos)
        if m:
            self.emit("_PRIME", "'", pos, m.end())
            return m.end()
        euler = bool(self.out) and self.out[-1].type == "EULER"
        self.emit("CARET", "^", pos, pos + 1)
        return self.arg(pos + 1, None, "'^'", pos, euler)

    def bar(self, pos, end):
        last = self.out[-1].type if self.out else None
        opening = self.open_abs == 0 or last in (None, "_PLUS", "MINUS", "MUL", "DIV", "_LPAR", "_LSQB",
                                                 "_LCB", "_LBRACE", "_COMMA", "CMP", "ABSL", "CARET")
        self.emit("ABSL" if opening else "ABSR", "abs", pos, end)
        return end

    def norm(self, pos, end, side):
        """`\\lVert x \\rVert^2`, `\\|x\\|_2^2`: the squared L2 norm; `\\|x\\|` its square root."""
        if side == "l" or side is None and self.open_norm == 0:
            self.open_norm += 1
            self.emit("NORML", "norm2", pos, end)
            return end
        self.open_norm -= 1
        m = _NORMSQ.match(self.text, end)
        if m is not None:
            self.emit("NORMSQ", "norm2", pos, m.end())
            return m.end()
        m = _NORMSUB.match(self.text, end)
        self.emit("NORMR", "norm", pos, m.end())
        return m.end()

    def bracketed(self):
        """Is a bracket open (an `=` there compares an index with a class label)?"""
        depth = 0
        for t in self.out:
            depth += t.type in ("_LPAR", "_LSQB", "_LCB", "_LBRACE")
            depth -= t.type in ("_RPAR", "_RSQB", "_RCB", "_RBRACE")
        return depth > 0

    def compare(self, pos):
        ch, end = self.text[pos], pos + 1
        op = {"≥": ">=", "≤": "<="}.get(ch, ch)
        if ch in "<>" and self.text.startswith("=", end):
            op, end = ch + "=", end + 1
        self.emit("CMP", op, pos, end)
        return end

    def sized(self, pos):
        m = _SIZED.match(self.text, pos)
        size, delim = m.group(1), m.group(2)
        if delim == "." or size == "middle":
            raise self.fail(f"\\{size}{delim or ''} is not supported", pos)
        if delim in (r"\|", r"\Vert", r"\lVert", r"\rVert"):
            side = "l" if size == "left" or size.endswith("l") else "r" if size == "right" or size.endswith("r") else None
            return self.norm(pos, m.end(), _NORM_CMDS[delim[1:]] or side)
        if delim in ("|", r"\vert"):
            if size == "left" or size.endswith("l"):
                self.emit("ABSL", "abs", pos, m.end())
            elif size == "right" or size.endswith("r"):
                self.emit("ABSR", "abs", pos, m.end())
            else:
                return self.bar(pos, m.end())
            return m.end()
        if delim not in DELIMS:
            raise self.fail(f"\\{size} needs a delimiter such as ( [ \\{{", pos)
        self.emit(DELIMS[delim], delim, pos, m.end())
        return m.end()

    def dropped(self, pos, name, end):
        text = self.text
        if text.startswith("*", end):
            end += 1
        g = _group(text, end)
        if g is None or not text.startswith("{", _skip_sp(text, end)):
            raise self.fail(f"\\{name} needs {{...}}", pos)
        word = text[g[0]:g[1]].strip()
        if name in TEXTS and word in SPELLINGS and _CALL.match(text, _skip(text, g[2])):
            self.emit("FUNC", word, pos, g[2])
        elif name in TEXTS and _IDENT.fullmatch(word) and self.known(word):
            self.emit("NAME", word, pos, g[2])      # \text{loss} names the variable loss
        return g[2]

    def frac(self, pos, end):
        d = _derivative_frac(self.text, end)
        if d is None:
            lead = self.leibniz(end)
            if lead is not None:
                return lead
            self.emit("FRAC", "\\frac", pos, end)
            return self.arg(end, "frac", r"\frac", pos)
        if d.of is not None:
            self.emit("LOCAL", d.of.plain, d.of_pos, d.of.end)
            self.emit("NAME", d.var.plain, d.var_pos, d.var.end)
        else:
            grouped = _OPENER.match(self.text, _skip(self.text, d.end))
            self.emit("DERIVG" if grouped else "DERIV", d.var.plain, d.var_pos, d.var.end)
            self.derivs = True
        return d.end

    def leibniz(self, end):
        """`\\frac{d\\sigma(x)}{dx}`: d/dx of the expression after the numerator's d, as the
        operator `\\frac{d}{dx}` applied to it in brackets; the position after it, or None."""
        text = self.text
        num = _group(text, end)
        den = _group(text, num[2]) if num and text.startswith("{", _skip_sp(text, end)) else None
        if den is None:
            return None
        bottom = _dside(text, den[0], den[1])
        m = _DPREFIX.match(text, _skip(text, num[0]), num[1])
        if bottom is None or bottom[0] is None or m is None or not text[m.end():num[1]].strip():
            return None
        if m.group() == "d" and text[m.end():m.end() + 1].isalpha():
            return None                 # `dx` is a name here, not d x
        self.emit("DERIVG", bottom[0].plain, bottom[1], bottom[0].end)
        self.derivs = True
        self.emit("_LPAR", "(", m.end())
        p = m.end()
        while True:
            p = _skip(text, p)
            if p >= num[1]:
                break
            p = self.step(p)
        self.emit("_RPAR", ")", num[1])
        return den[2]

    def sum(self, pos, end):
        text = self.text
        p = _skip(text, end)
        if not text.startswith("_", p):
            self.emit("SUMALL", "sum", pos, end)     # \sum (A - Y)^2: every entry of a matrix
            return end
        p = _skip_sp(text, p + 1)
        if text.startswith("{", p):
            close = _match_brace(text, p)
            q = _skip(text, p + 1)
            index = _read_base(text, q, False, 0) if close is not None else None
            end = None if index is None else close + 1
        else:
            q = p
            index = _read_base(text, q, True, 0)
            end = None if index is None else index[1]
        if index is None:
            raise self.fail(r"\sum needs an index: \sum_k", pos)
        cond = _sum_condition(text, index[1], close) if text.startswith("{", p) and close is not None else None
        p = _skip(text, end)
        if text.startswith("^", p):
            g = _group(text, p + 1)
            if g is None:
                raise self.fail(r"\sum^ needs an upper limit", p)
            end = g[2]
        self.emit("SUM", index[0], q, index[1])
        if cond is not None:        # \sum_{k \ne y}: the sum of [k ≠ y] times the summand
            ne, label = cond
            self.emit("_LSQB", "[", ne.start())
            self.emit("NAME", index[0], q, index[1])
            self.emit("EQ", "≠", ne.start(), ne.end())
            self.emit("NAME", label.plain, ne.end(), label.end)
            self.emit("_RSQB", "]", label.end)
        return end

    def partial(self, pos, end):
        text = self.text
        a = _read_name(text, _skip(text, end))
        p = _skip(text, a.end) if a else end
        if a and text.startswith("/", p):
            p = _skip(text, p + 1)
            m = _PARTIAL.match(text, p)
            q = _skip(text, m.end()) if m else p
            b = _read_name(text, q) if m else None
            if b is not None:
                self.emit("LOCAL", a.plain, _skip(text, end), a.end)
                self.emit("NAME", b.plain, q, b.end)
                return b.end
        raise self.fail(r"'\partial' outside a derivative; write \frac{\partial a}{\partial b}", pos)

    def operatorname(self, pos, end):
        text = self.text
        if text.startswith("*", end):
            end += 1
        g = _group(text, end)
        word = text[g[0]:g[1]].replace(r"\_", "_").replace(" ", "") if g else ""
        if not _IDENT.fullmatch(word):
            raise self.fail(r"\operatorname needs a function name in {...}", pos)
        self.emit("FUNC", word, pos, g[2])
        m = _AXIS.match(text, g[2]) if word in ("sum", "mean", "softmax", "log_softmax", "logsumexp") else None
        if m:       # the printer's `\operatorname{sum}_{0}(A)`: sum(A, axis=0)
            self.emit("AXIS", m.group(1) or m.group(2), m.start(), m.end())
            return m.end()
        return g[2]

    def cases(self, pos):
        r"""`\begin{cases} a & x > 0 \\ b & \text{otherwise} \end{cases}`: (a)∘[x > 0] + (b)∘[x ≤ 0]."""
        try:
            branches, end = cases(self.text, pos)
        except CasesError as e:
            raise self.fail(e.message, e.pos) from None
        self.emit("_LPAR", "(", pos)
        for k, b in enumerate(branches):
            if k:
                self.emit("_PLUS", "+", b.value[0])
            self.emit("_LPAR", "(", b.value[0])
            self.range(*b.value)
            self.emit("_RPAR", ")", b.value[1])
            self.emit("MUL", "\\circ", b.value[1])
            cond = b.cond or branches[1 - k].cond
            self.emit("_LSQB", "[", cond[0])
            first = len(self.out)
            self.range(*cond)
            if b.cond is None:          # otherwise: the other branch's comparison, negated
                for i in range(first, len(self.out)):
                    t = self.out[i]
                    if t.type == "CMP":
                        self.out[i] = t.update(value=NEGATED[str(t)])
            self.emit("_RSQB", "]", cond[1])
        self.emit("_RPAR", ")", end)
        return end

    def range(self, a, b):
        """Tokens of text[a:b] (a piece of a cases environment)."""
        pos = _skip(self.text, a)
        while pos < b:
            pos = self.step(pos)
            if pos > b:
                raise self.fail("this piece of cases runs past its '&' or '\\\\'", a)
            pos = _skip(self.text, pos)

    def indicator(self, pos):
        m = _IND.match(self.text, pos)
        fill = _FILL.match(self.text, m.end())
        if fill:    # the printer's `\mathbf{1}_{N \times H}\, a`: a spread over an N×H matrix
            self.emit("FUNC", "ones", pos, m.end())
            self.emit("_LPAR", "(", m.end())
            self.emit("NAME", fill.group(1), fill.start(1), fill.end(1))
            self.emit("_COMMA", ",", fill.end(1))
            self.emit("NAME", fill.group(2), fill.start(2), fill.end(2))
            self.emit("_RPAR", ")", fill.end())
            return fill.end()
        size = _ONES_SIZE.match(self.text, m.end())
        end = size.end() if size else m.end()
        after = _skip(self.text, end)
        if _TRANSPOSE.match(self.text, end) or not (_OPENER.match(self.text, after) or self.text.startswith("_", after)):
            self.emit("ONES", "1", pos, end)     # no condition follows: the vector of ones, 1ᵀ A
            return end
        self.emit("IND", "1", pos, m.end())
        p = _skip(self.text, m.end())
        return p + 1 if self.text.startswith("_", p) else m.end()
