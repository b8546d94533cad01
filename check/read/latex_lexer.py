r"""The LaTeX lexer: TeX text into the grammar's tokens, names already spelled plainly, one-character
arguments wrapped in braces, and the readings TeX leaves ambiguous refused with their column. The
token loop is here; the constructs of several tokens are in latex_constructs (a mixin), the checks
over the finished tokens in latex_tokens."""
from bisect import bisect_right
from lark import Token
from derive.errors import ParseError
from derive.names import GREEK
from derive.parse import MAX_TERMS, MAX_TOKENS
from derive.rules import SPELLINGS
from .latex_cases import CASES
from .latex_constructs import Constructs
from .latex_names import (CHARS, CMP_CMDS, DECOR, DELIMS, DIGITS, DROPPED, FONTS, FRACS, FUNC_CMDS, GREEK_CMDS, MUL_CMDS,
                          _CALL, _CMD, _EBRACE, _IND, _LETTERS, _NORMSQ, _NORMSUB, _NORM_CMDS, _NUM, _NUMSTART, _PRIME,
                          _SIZE, _TRANSPOSE, _VARGREEK, _read_base, _read_name, _skip)
from .latex_tokens import _OPERANDS, _ambiguities, _split_run

# Token(...) goes through a keyword-compatibility shim in lark 1.x; its constructor proper is cheaper
_token = getattr(Token, "_future_new", None) or (lambda *a: Token(*a[:5], end_pos=a[-1]))


class _Lexer(Constructs):
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
