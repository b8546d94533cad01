r"""LaTeX student input, by concern: `latex_names` (TeX scanning, names, derivative fractions),
`latex_lexer` (TeX into grammar tokens; its multi-token constructs in `latex_constructs`, its
checks over the finished tokens in `latex_tokens`), `latex_parse` (the grammar into SymPy), `latex_rows` (a
block into rows). This module is their public face.

A hand-written lexer turns LaTeX into grammar tokens: names arrive already spelled plainly
(`\bar{\mathcal{L}}_{reg}` is one NAME token `L_reg_bar`), `\frac{d}{dw}` and
`\frac{\partial a}{\partial b}` arrive as operator tokens, and one-character TeX arguments
(`x^2`, `\frac12`) arrive wrapped in braces. A Lark LALR grammar over those tokens builds SymPy
objects through the `Scope` protocol of `derive.parse`. Nothing read here reaches eval, exec,
sympify, parse_expr or SymPy's LaTeX parser.

Readings chosen where TeX is silent:
- a run of letters (`xy`, `wx`, `L_reg`) is one name when the scope knows it, else the one way to
  cut it along TeX's atoms into known names (`Wx` is W x, `w_0x_0` is w_0 x_0: a bare `_` takes one
  character); otherwise it goes to the scope whole, which splits it, or reports it unknown or
  ambiguous (`scope.known(name)`, else `scope.lookup(name)`, says what is known);
- a derivative operator or `\sum_k` takes the rest of the product (`\frac{d}{dw} \lambda w^2`),
  or only the bracket that follows it (`\frac{d}{dw}(wx + b) x` is `x` times the derivative);
  the grammar has deliberate shift/reduce conflicts there, resolved by shift; `\partial`, `d`,
  `\mathrm{d}`, `\delta` and `∂` all spell the d of a derivative;
- a function command takes a bracketed argument list, or else one factor: `\log x^2` is log(x²);
- `w_{ij}^{(1)}` is `w1_ij`: a parenthesised numeric superscript is a layer label;
- `e^{...}` (and `{e}^{...}`) is the exponential unless the scope knows a variable `e`;
- juxtaposition, `*`, `\cdot`, `\times` multiply, or call `scope.product(a, b, tok)` when the
  scope has it (tok is None for juxtaposition); `\circ`, `\odot` always multiply elementwise, and
  so does a spread constant (`\operatorname{ones}(N, H)\, r`, `\mathbf{1}_{N \times H} r`);
- `\lVert x \rVert^2`, `\|x\|_2^2`, `||x||^2` are norm2(x) (a scalar's square in a scalar scope),
  a bare `\|x\|` its square root; `\operatorname{sum}_{0}(A)` is sum(A, axis=0); `\sum` without
  an index sums every entry (matrix scopes only);
- `\varepsilon`, `\vartheta`, ... are the letters epsilon, theta, ... unless the scope knows
  `varepsilon`; `\text{loss}` naming a known variable is that variable, else an annotation.

Refused as ambiguous (an error naming the text and its column), because TeX shows them one way
and a reader may take them two: a one-character TeX argument running on (`x^23`, `\frac123`,
`e^-2z`, `e^2x`, `e^-z w`), two numbers side by side (`2 3`), a bracketless function argument
followed by another factor (`\log y t`, `\log xy` when xy is a product), `a / b c`, and
`\sigma^{-1}(z)` (inverse or reciprocal?).
"""
from .latex_lexer import _Lexer
from .latex_tokens import _OPERANDS
from .latex_names import latex_derivative, latex_name
from .latex_parse import GRAMMAR, parse_latex_expression
from .latex_rows import parse_latex_rows
from .row import Row

__all__ = ["GRAMMAR", "Row", "latex_derivative", "latex_name", "parse_latex_expression", "parse_latex_rows",
           "_Lexer", "_OPERANDS"]
