"""How pictures and handouts show values: the colours of forward values and gradients, numbers as
the slides print them, and numbers and matrices in LaTeX (draw.py, tikz.py, handout.py)."""
import mpmath

GREEN, RED = "#1a7f37", "#cf222e"     # forward values, gradients


def number(v):
    """A value the way the lecture slides print it: two decimals (-0.53, 0.73)."""
    v = float(mpmath.mpf(v))
    if v == 0 or 0.01 <= abs(v) < 1e5:
        return f"{v:.2f}"
    return f"{v:.2g}"


def tex_number(s, gap=""):
    r"""A number written as `s` ("1.2e-05") in math mode: `1.2\times 10^{-5}` (`gap` before \times)."""
    if "e" in s:
        mant, exp = s.split("e")
        return rf"{mant}{gap}\times 10^{{{int(exp)}}}"
    return s


def bmatrix(rows, cell):
    r"""Rows of values as a bmatrix, each entry written by `cell`; rows end in `\cr`, not `\\`,
    which an adjoint reader takes for the end of an equation."""
    return r"\begin{bmatrix}" + r" \cr ".join(" & ".join(cell(x) for x in r) for r in rows) + r"\end{bmatrix}"
