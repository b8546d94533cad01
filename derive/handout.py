r"""The derivation as a LaTeX handout: title, forward pass, backward pass in bar notation with
values and "local × upstream" beside each adjoint, gradients, the gradient step, the
calculus-class expansion with its repeated subexpressions coloured, and the graph in TikZ.

The forward and backward blocks are the only `\[ ... \]` math and the only `aligned`; everything
beside one of their equations follows `&&`, and the other sections are `array`s and inline math
in `\ensuremath`, so an adjoint reader that takes the math blocks of a document reads this
handout back as the plain derivation.
"""
import unicodedata

import mpmath

from .evaluate import evaluate, with_digits
from .functions import sym
from .limits import MAX_WRITTEN_DEPTH, MAX_WRITTEN_SIZE
from .names import GREEK_UNICODE
from . import shown
from .printing import Latex, ranked
from .text import fmt, ops, plain, repeated
from .tikz import graph_tikz, tex_width

PACKAGES = r"\usepackage{amsmath}" "\n" r"\usepackage{amssymb}" "\n" r"\usepackage{graphicx}" "\n" \
    r"\usepackage{xcolor}" "\n" r"\usepackage{tikz}" "\n"
LINE_CM = 16.0      # what fits on the line (A4, 2 cm margins)
MAX_SHRINK = 6      # a display is shrunk at most this much to fit
# one colour per repeated subexpression (colour-blind friendly, readable on white)
REPEAT_COLOURS = ("0969DA", "BC4C00", "8250DF", "1B7C83", "BF3989", "6E7781")

WORDS = {
    "en": {"forward": "Forward pass", "backward": "Backward pass", "gradients": "Gradients",
           "step": "Gradient step", "expansion": "Calculus-class full expansion",
           "graph": "Computational graph", "local": r"\text{local} \times \text{upstream}", "from": "from",
           "title": "Backpropagation of", "adjoint_def": "where",
           "ops": "Operations: full expansion {full}, backprop adjoints {adj}, forward graph {fwd}.",
           "repeat": "written {c} times in the expansion; backprop computes it once",
           "repeats": "Repeated subexpressions (one colour each):",
           "in_adjoints": "in adjoints: too large to write out in the inputs",
           "not_written": "Not written: {names} would have more than {size} operations (or {depth} "
                          "levels) each in the inputs, which backprop computes in {adj}.",
           "caption": "Forward values above the edges (green), gradients below (red).",
           "too_wide": "({n} characters of LaTeX: too wide for a page; the text output prints it)",
           "caption_symbolic": "Above the edges what flows forward (green), below the gradient "
                               "flowing back (red)."},
    "ko": {"forward": "순전파", "backward": "역전파", "gradients": "기울기",
           "step": "경사 하강 한 걸음", "expansion": "미적분 수업식 전개",
           "graph": "계산 그래프", "local": r"\text{국소 기울기} \times \text{상류 기울기}", "from": "경로",
           "title": "역전파:", "adjoint_def": "여기서",
           "ops": "연산 수: 전체 전개 {full}, 역전파 수반 변수 {adj}, 순전파 그래프 {fwd}.",
           "repeat": "전개에서 {c}번 쓰임; 역전파는 한 번만 계산",
           "repeats": "반복되는 부분식 (각각 한 색):",
           "in_adjoints": "수반 변수로 표기: 입력만으로 쓰기에는 너무 큼",
           "not_written": "쓰지 않음: {names}는 입력만으로 쓰면 각각 {size}개 이상의 연산(또는 {depth}단계)이 "
                          "필요하며, 역전파는 {adj}개로 계산합니다.",
           "caption": "간선 위: 순전파 값(초록), 간선 아래: 기울기(빨강).",
           "too_wide": "(LaTeX {n}자: 한 쪽에 담기에 너무 넓음; 텍스트 출력에 있음)",
           "caption_symbolic": "간선 위: 순전파로 흐르는 것(초록), 간선 아래: 거꾸로 흐르는 기울기(빨강)."},
}
LANGS = tuple(WORDS)

_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
            "^": r"\^{}", "_": r"\_", "%": r"\%", "~": r"\~{}"}


def tex_escape(text):
    """Plain text (a spec comment, a student's words) as LaTeX text that prints as written."""
    return "".join(_ESCAPES.get(c, c) for c in text)


# Unicode that lecture notes and prompts use, as math (pdflatex's utf8 does not know them)
_MATH_CHARS = {"½": r"\tfrac{1}{2}", "²": "^{2}", "×": r"\times", "ᵀ": r"^{\top}", "′": "'", "∂": r"\partial",
               "∇": r"\nabla", "−": "-", "∘": r"\circ", "·": r"\cdot", "≤": r"\leq", "≥": r"\geq",
               "≠": r"\neq", "←": r"\leftarrow", "→": r"\to", "∑": r"\sum", "√": r"\surd"}


def tex_text(text):
    """Prose with Unicode math (σ′, ∂, w̄, ½) as LaTeX text: specials escaped, symbols in math,
    a combining macron as a bar over its letter. Other characters pass through (Hangul: kotex)."""
    greek = {v: "\\" + k for k, v in GREEK_UNICODE.items()}
    out, chars = [], []
    for c in unicodedata.normalize("NFC", text):      # Hangul stays syllables; ȳ becomes y + macron
        parts = unicodedata.normalize("NFD", c)
        chars += parts if "\u0304" in parts else [c]
    for c in chars:
        if c == "\u0304" and out:
            out[-1] = rf"\ensuremath{{\bar{{{out[-1]}}}}}"
        elif c in greek or c in _MATH_CHARS:
            out.append(rf"\ensuremath{{{greek.get(c) or _MATH_CHARS[c]}}}")
        elif unicodedata.combining(c):
            continue
        else:
            out.append(_ESCAPES.get(c, c))
    return "".join(out)


def spec_title(text):
    """The spec's first comment line, without its `#`; None when it has none."""
    for line in text.split("\n"):
        s = line.strip()
        if s.startswith("#") and s.lstrip("#").strip():
            return s.lstrip("#").strip()
        if s:
            return None
    return None


def tex_number(v):
    """A value at 6 significant digits in math mode (`1.2 \\times 10^{-5}`)."""
    return shown.tex_number(fmt(v), " ")


def tex_value(v):
    r"""A number, or a matrix value as a bmatrix (a column vector as a column); rows end in `\cr`,
    not `\\`, which an adjoint reader takes for the end of an equation."""
    v = plain(v)
    if not isinstance(v, list):
        return tex_number(v)
    return shown.bmatrix(v if isinstance(v[0], list) else [[x] for x in v], tex_number)


def _factor(v):
    s = tex_value(v)
    return f"({s})" if s.startswith("-") else s


class Coloured(Latex):
    """LaTeX with chosen subexpressions in their own colour, wherever the tree writes them."""

    def __init__(self, names, colours):
        super().__init__(names)
        self.colours = colours

    def _print(self, e):
        out = super()._print(e)
        colour = self.colours.get(e) if not self.slots else None
        return rf"{{\color{{{colour}}}{out}}}" if colour else out


def _display(rows, words):
    r"""Rows (lhs, rhs, what goes beside) shown but not read back: an `array` (no reader takes it
    for equations) in `\ensuremath`, not in `\[`. A block wider than the line is shrunk to it
    (down to a sixth); a right-hand side wider than that is replaced by its size, since no page
    can show it (the text output prints it)."""
    limit = LINE_CM * MAX_SHRINK
    rows = [(lhs, rhs if tex_width(rhs) <= limit else
             r"\text{" + words["too_wide"].format(n=f"{len(rhs):,}") + "}", extra) for lhs, rhs, extra in rows]
    wide = max((tex_width(lhs + rhs + extra) for lhs, rhs, extra in rows), default=0)
    block = ("\\ensuremath{\\begin{array}{@{}r@{}l@{\\qquad}l@{}}\n"
             + " \\\\[8pt]\n".join(rf"\displaystyle {lhs} & \displaystyle {{}}{rhs} & \displaystyle {extra}"
                                     for lhs, rhs, extra in rows)
             + "\n\\end{array}}")
    if wide > LINE_CM:
        block = "\\resizebox{\\linewidth}{!}{" + block + "}"
    return "\\begin{center}\n" + block + "\n\\end{center}\n"


def _inline(tex, colour, words):
    """A subexpression in its colour in the text; shrunk to half the line, or its size when even
    a sixth of it would not fit."""
    if tex_width(tex) > LINE_CM * MAX_SHRINK:
        return words["too_wide"].format(n=f"{len(tex):,}")
    math = rf"\ensuremath{{\color{{{colour}}}{tex}}}"
    return rf"\resizebox{{0.5\linewidth}}{{!}}{{{math}}}" if tex_width(tex) > LINE_CM / 2 else math


def _block(rows):
    """Rows the adjoint reader reads: one `aligned` block in `\\[ \\]`."""
    return "\\[\n\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}\n\\]\n"


def handout_latex(d, point=None, lr=None, expand=False, standalone=False, title=None, lang="en"):
    """The handout of derivation `d` as LaTeX: a fragment, or with `standalone` a whole document."""
    w = WORDS[lang]
    g = d.graph
    p = ranked(Latex(g.latex_names), g)
    vals, adj = d.values(point) if point is not None else ({}, {})
    out_name = p.name(g.output)
    head = tex_text(title) if title else rf"{w['title']} \ensuremath{{{out_name}}}"
    parts = [rf"\section*{{{head}}}" + "\n"]

    parts.append(rf"\subsection*{{{w['graph']}}}" + "\n")
    parts.append("\\begin{center}\n" + graph_tikz(d, point) + "\\end{center}\n")
    parts.append((w["caption"] if adj else w["caption_symbolic"]) + "\n")
    parts.append(rf"\subsection*{{{w['forward']}}}" + "\n")
    parts.append(_block([f"{p.name(n.name)} &= {p.forward(g, n)}"
                         + (f" && = {tex_value(vals[n.name])}" if n.name in vals else "")
                         for n in g.nodes]))

    parts.append(rf"\subsection*{{{w['backward']}}}" + "\n"
                 + rf"{w['adjoint_def']} \ensuremath{{{p.name('v_bar')} = \partial {out_name} / \partial v}}." + "\n")
    back = []
    for a in d.order:
        row = f"{p.name(a.name + '_bar')} &= {p.adjoint(a)}"
        if adj:
            row += f" && = {tex_value(adj[a.name])}"
            if a.output and hasattr(d, "local_values"):
                row += f" && {w['local']}"
            else:
                edges = _edges(d, p, a, vals, adj, w)
                row += f" && {edges}" if edges else ""
        back.append(row)
    parts.append(_block(back))

    too_big = {x for x in d.wrt if d.leaf_adjoints[x] is None}
    grads = d.gradients
    parts.append(rf"\subsection*{{{w['gradients']}}}" + "\n")
    parts.append(_display([
        (rf"\frac{{\partial {out_name}}}{{\partial {p.name(x)}}}", f"= {p.doprint(grads[x])}",
         (f"= {tex_value(adj[x])}" if x in adj else "")
         + (rf"\quad \text{{({w['in_adjoints']})}}" if x in too_big else ""))
        for x in d.wrt], w))

    if lr is not None and adj:
        eta = mpmath.mpf(lr.p) / lr.q
        rows = [(p.name(x), rf"\leftarrow {p.name(x)} - \eta\, {p.name(x + '_bar')} = {tex_value(vals[x])} - "
                 rf"{tex_number(eta)} \cdot {_factor(adj[x])} = {tex_value(vals[x] - eta * adj[x])}", "")
                for x in d.wrt if x in vals]
        parts.append(rf"\subsection*{{{w['step']} (\ensuremath{{\eta = {p.doprint(lr)}}})}}" + "\n")
        parts.append(_display(rows, w))

    if expand:
        parts.append(rf"\subsection*{{{w['expansion']}}}" + "\n" + _expansion(d, p, w, too_big, grads))

    body = "\n".join(parts)
    if not standalone:
        return "% barprop handout: needs \\usepackage{amsmath, amssymb, graphicx, xcolor, tikz}" \
            + (" and kotex" if lang == "ko" else "") + "\n" + body
    korean = "\\usepackage{kotex}\n" if lang == "ko" else ""
    return ("\\documentclass[11pt]{article}\n\\usepackage[margin=2cm]{geometry}\n" + PACKAGES + korean
            + "\\pagestyle{empty}\n\\begin{document}\n" + body + "\\end{document}\n")


def _edges(d, p, a, vals, adj, w):
    """`from z: -1.3 × (-0.148134)` per consumer: the lecture's local gradient × upstream gradient."""
    if not hasattr(d, "local_values"):
        return ""
    env = {sym(k): v for k, v in vals.items()}
    out = []
    with with_digits():
        for t in a.terms:
            local = evaluate(t.chain, env)
            out.append(rf"\text{{{w['from']} }} {p.name(t.upstream)}\colon\ {{{tex_number(local)}}} \times "
                       rf"{_factor(adj[t.upstream])}")
    return r";\quad ".join(out)


def _expansion(d, p, w, too_big, grads):
    """The full expansion, each repeated subexpression in its own colour, and the counts."""
    g = d.graph
    adj_ops = sum(ops(a.expr) for a in d.order)
    if too_big:
        names = ", ".join(rf"\ensuremath{{{p.name(x)}}}" for x in sorted(too_big))
        return w["not_written"].format(names=names, size=f"{MAX_WRITTEN_SIZE:,}", depth=MAX_WRITTEN_DEPTH,
                                       adj=adj_ops) + "\n"
    reps = repeated([grads[x] for x in d.wrt])
    names = {s: f"bprep{i}" for i, (_, s) in enumerate(reps)}
    colours = "".join(rf"\definecolor{{bprep{i}}}{{HTML}}{{{c}}}" for i, c in enumerate(REPEAT_COLOURS[:len(reps)]))
    q = ranked(Coloured(g.latex_names, names), g)
    out = (colours + "\n") if colours else ""
    out += _display([(rf"\frac{{\partial {p.name(g.output)}}}{{\partial {p.name(x)}}}", f"= {q.doprint(grads[x])}", "")
                     for x in d.wrt], w)
    out += "\\noindent " + w["ops"].format(full=sum(ops(grads[x]) for x in d.wrt), adj=adj_ops,
                           fwd=sum(ops(n.expr) for n in g.nodes)) + "\n"
    if reps:
        out += "\n\\noindent " + w["repeats"] + "\n\\begin{itemize}\n"
        for c, s in reps:
            out += rf"\item {_inline(p.doprint(s), names[s], w)}: {w['repeat'].format(c=c)}" + "\n"
        out += "\\end{itemize}\n"
    return out


__all__ = ["LANGS", "handout_latex", "spec_title", "tex_escape", "tex_text"]
