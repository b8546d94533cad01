"""The derivation as LaTeX: forward lines, then one adjoint a row, inside `aligned`."""
from .printing import Latex, ranked

PREAMBLE = r"""\documentclass{article}
\usepackage{amsmath}
\usepackage{amssymb}
\begin{document}
"""


def derivation_latex(d, standalone=False):
    """`aligned` rows (the reader reads them back); `standalone` wraps a document for pdflatex."""
    p = ranked(Latex(d.graph.latex_names), d.graph)
    rows = [f"{p.name(n.name)} &= {p.forward(d.graph, n)}" for n in d.graph.nodes]
    rows += [f"{p.name(a.name + '_bar')} &= {p.adjoint(a)}" for a in d.order]
    body = "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"
    if not standalone:
        return body + "\n"
    return PREAMBLE + "\\[\n" + body + "\n\\]\n\\end{document}\n"
