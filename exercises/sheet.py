r"""Exercise sheets: the title, the spec as equations, the graph with its forward values (no
gradients), one section per part with its prompt, points and room for the answer; with
`solution`, the reference derivation as the derive handout prints it."""
from derive.handout import LANGS, PACKAGES, handout_latex, tex_text
from derive.printing import Latex, ranked
from derive.tikz import graph_tikz

WORDS = {
    "en": {"part": "Part", "point": "point", "points": "points", "spec": "The model",
           "inputs": "Inputs", "values": "Values", "conventions": "Conventions", "graph": "Computational graph",
           "solution": "Solution", "answer": "Answer", "total": "Total",
           "kind": {"adjoints": "adjoint equations", "claim": "the gradient with respect to {wrt}",
                    "steps": "a derivation"},
           "start": "Start your answer with the line"},
    "ko": {"part": "문항", "point": "점", "points": "점", "spec": "모델",
           "inputs": "입력", "values": "값", "conventions": "표기 규칙", "graph": "계산 그래프",
           "solution": "풀이", "answer": "답", "total": "총점",
           "kind": {"adjoints": "수반 변수 식", "claim": "{wrt}에 대한 기울기", "steps": "유도 과정"},
           "start": "답의 첫 줄:"},
}
ROOM_CM = {"adjoints": 7, "claim": 2.5, "steps": 7}


def _points(p, w):
    return f"{p.points:g} " + (w["point"] if p.points == 1 else w["points"])


def _spec_rows(ex, p):
    g = ex.graph
    return [f"{p.name(n.name)} &= {p.forward(g, n)}" for n in g.nodes]


def _inputs(ex, p):
    g = ex.graph
    if getattr(g, "is_matrix", False):
        return ", ".join(rf"{p.name(n)} \in \mathbb{{R}}^{{{p.doprint(g.shapes[n][0])} \times "
                         rf"{p.doprint(g.shapes[n][1])}}}" for n in g.inputs)
    return ", ".join(p.name(n) for n in g.inputs)


def _values(ex, p):
    from derive.handout import tex_value
    g = ex.graph
    if not g.at:
        return ""
    vals = g.values(dict(g.at))
    return ",\\quad ".join(f"{p.name(n)} = {tex_value(vals[n])}" for n in g.inputs if n in g.at)


def sheet_latex(ex, solution=False, lang="en"):
    """The sheet as a whole LaTeX document (pdflatex; kotex for Korean)."""
    w = WORDS[lang]
    g = ex.graph
    p = ranked(Latex(g.latex_names), g)
    d = g.backprop()
    point = dict(g.at) or None
    body = [rf"\section*{{{tex_text(ex.title)}}}",
            rf"\noindent\textbf{{{w['total']}}}: {ex.max_score:g} {w['points']}\quad(\texttt{{{tex_text(ex.id)}}})", "",
            rf"\subsection*{{{w['spec']}}}",
            rf"{w['inputs']}: \ensuremath{{{_inputs(ex, p)}}}.",
            "\\begin{center}\n\\ensuremath{\\displaystyle\\begin{aligned}\n" + " \\\\\n".join(_spec_rows(ex, p))
            + "\n\\end{aligned}}\n\\end{center}"]
    values = _values(ex, p)
    if values:
        body.append(rf"{w['values']}: \ensuremath{{{values}}}.")
    body += [rf"\subsection*{{{w['graph']}}}", "\\begin{center}\n" + graph_tikz(d, point, gradients=False)
             + "\\end{center}"]
    if ex.conventions.strip():
        body += [rf"\subsection*{{{w['conventions']}}}", tex_text(ex.conventions.strip()).replace("\n", " ")]
    for part in ex.parts:
        what = w["kind"][part.kind].format(wrt=rf"\ensuremath{{{p.name(part.wrt)}}}" if part.wrt else "")
        body += [rf"\subsection*{{{w['part']} {tex_text(part.id)} ({_points(part, w)}; {what})}}",
                 tex_text(part.prompt), "",
                 rf"\noindent {w['start']} \texttt{{\# part: {tex_text(part.id)}}}", "",
                 rf"\noindent\framebox[\linewidth]{{\rule{{0pt}}{{{ROOM_CM[part.kind]}cm}}}}"]
    if solution:
        body += ["\\newpage", handout_latex(d, point=point, lr=None, expand=True, title=w["solution"],
                                           lang=lang).split("\n", 1)[1]]
    korean = "\\usepackage{kotex}\n" if lang == "ko" else ""
    return ("\\documentclass[11pt]{article}\n\\usepackage[margin=2cm]{geometry}\n" + PACKAGES + korean
            + "\\pagestyle{empty}\n\\begin{document}\n" + "\n".join(body) + "\n\\end{document}\n")


def sheet_markdown(ex, solution=False, lang="en"):
    """The sheet in Markdown: the spec as a math block, the graph as a Mermaid flowchart."""
    w = WORDS[lang]
    g = ex.graph
    p = ranked(Latex(g.latex_names), g)
    d = g.backprop()
    point = dict(g.at) or None
    out = [f"# {ex.title}", "", f"**{w['total']}**: {ex.max_score:g} {w['points']} (`{ex.id}`)", "",
           f"## {w['spec']}", "", f"{w['inputs']}: ${_inputs(ex, p)}$", "",
           "$$\n\\begin{aligned}\n" + " \\\\\n".join(_spec_rows(ex, p)) + "\n\\end{aligned}\n$$", ""]
    values = _values(ex, p)
    if values:
        out += [f"{w['values']}: ${values}$", ""]
    out += [f"## {w['graph']}", "", "```mermaid", mermaid(d, point), "```", ""]
    if ex.conventions.strip():
        out += [f"## {w['conventions']}", "", ex.conventions.strip(), ""]
    for part in ex.parts:
        what = w["kind"][part.kind].format(wrt=f"${p.name(part.wrt)}$" if part.wrt else "")
        out += [f"## {w['part']} {part.id} ({_points(part, w)}; {what})", "", part.prompt, "",
                "```", f"# part: {part.id}", "", "", "```", ""]
    if solution:
        out += [f"## {w['solution']}", "", d.to_markdown(point=point, expand=True).replace("### ", "#### ")]
    return "\n".join(out).rstrip("\n") + "\n"


def mermaid(d, point=None):
    """The graph as a Mermaid flowchart, forward values on the edges."""
    from derive.draw import number
    from derive.printing import Text
    g = d.graph
    t = ranked(Text(ascii=False), g)
    vals = d.values(point)[0] if point else {}
    ids = {n: f"n{i}" for i, n in enumerate(g.names)}
    rows = ["flowchart LR"]
    for n in g.names:
        label = t.name(n) if n not in g.defs else f"{t.name(n)} = {t.forward(g, g.defs[n])}"
        label = label.replace('"', "'")
        rows.append(f'  {ids[n]}["{label}"]' if n in g.defs else f'  {ids[n]}(["{label}"])')
    for node in g.nodes:
        for parent in node.parents:
            v = vals.get(parent)
            edge = f"|{number(v)}|" if v is not None and not hasattr(v, "shape") else ""
            rows.append(f"  {ids[parent]} -->{edge} {ids[node.name]}")
    return "\n".join(rows)


__all__ = ["LANGS", "sheet_latex", "sheet_markdown"]
