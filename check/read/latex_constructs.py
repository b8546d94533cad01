r"""The LaTeX constructs that are more than one token: fractions and Leibniz derivatives, sums,
`\partial`, `\operatorname`, sized delimiters, `\text`-like commands, ones vectors and indicators,
and `cases`. A mixin of the lexer (`latex_lexer._Lexer`): each method reads its construct
at `pos` through the lexer's `emit`, `fail`, `arg` and `step`, and returns the position after it."""
import re

from derive.rules import SPELLINGS

from .latex_cases import CasesError, cases, number_text
from .latex_names import (_AXIS, _CALL, _DPREFIX, _FILL, _IDENT, _IND, _NORM_CMDS, _OPENER, _PARTIAL, _SIZED,
                          _TRANSPOSE, DELIMS, TEXTS, _derivative_frac, _dside, _group, _match_brace, _read_base,
                          _read_name, _skip, _skip_sp, _sum_condition)

_ONES_SIZE = re.compile(r"\s*_\s*(?:[A-Za-z0-9]|\{\s*[A-Za-z0-9]+\s*\})")   # \mathbf{1}_N: its length


class Constructs:
    """The lexer's readers of multi-token constructs (mixed into `_Lexer`)."""

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
        r"""`\begin{cases} a & x > 0 \\ b & \text{otherwise} \end{cases}`: (a)∘([x > 0]) + (b)∘([0 >= x]);
        a condition that is a range or a union of ranges is a sum of products of brackets."""
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
            self.emit("_LPAR", "(", b.value[1])
            for i, run in enumerate(b.tests):
                if i:
                    self.emit("_PLUS", "+", run[0].at)
                for j, test in enumerate(run):
                    if j:
                        self.emit("MUL", "\\circ", test.at)
                    self.emit("_LSQB", "[", test.at)
                    self.side(test.left, test.at)
                    self.emit("CMP", test.op, test.at)
                    self.side(test.right, test.at)
                    self.emit("_RSQB", "]", test.at)
            self.emit("_RPAR", ")", b.value[1])
        self.emit("_RPAR", ")", end)
        return end

    def side(self, side, at):
        """One side of a bracket of cases: a span of the text, or a number."""
        if isinstance(side, tuple):
            self.range(*side)
            return
        if side < 0:
            self.emit("MINUS", "-", at)
        self.emit("NUMBER", number_text(abs(side)), at)

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
