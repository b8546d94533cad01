"""Mutant corpora for feedback, labelled by construction: each mutant is a lecture spec's true
gradient (scalar) or a correct matrix claim with one mistake of a known kind put in. Written to
tests/data/feedback_mutants.tsv by `python bench/feedback_corpus.py`; deterministic."""
import os
import sys

import sympy

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from derive import parse_spec                      # noqa: E402
from derive.functions import Sigma, SigmaPrime, TanhPrime, sym  # noqa: E402
from derive.printing import Text                   # noqa: E402

PLAIN = Text(ascii=True)
OUT = os.path.join(HERE, "..", "tests", "data", "feedback_mutants.tsv")
SCALAR = {
    "reglog": "contract/reglog.bp", "neuron": "contract/neuron.bp", "simple": "contract/simple.bp",
    "gates": "contract/gates.bp",
}
EXTRA = {
    "tanh": "z = w*x + b\nh = tanh(z)\nL = 1/2*(h - t)^2\nat: w=0.5, x=1.5, b=-0.1, t=0.3\n",
    "chain": "u = w1*x\nv = u^2\nq = gamma*v + w2*v\nL = sigma(q)\nat: w1=0.6, x=1.5, gamma=0.3, w2=-0.4\n",
    "mlp1": "a = w1*x + b1\nh = tanh(a)\no = w2*h + b2\nL = 1/2*(o - t)^2\nat: w1=0.5, x=-1.5, b1=0.2, w2=0.8, b2=-0.1, t=1\n",
}
MATRIX = [
    ("reg", "W", "(W @ x - t) @ x.T + lambda*W"),
    ("reg", "x", "W.T @ (W @ x - t)"),
    ("batch", "W2", "A.T @ (Y - T)"),
    ("batch", "b2", "ones(N, 1).T @ (Y - T)"),
]


def spec_text(name):
    if name in EXTRA:
        return EXTRA[name]
    with open(os.path.join(HERE, "..", "tests", "data", SCALAR[name]), encoding="utf-8") as f:
        return f.read()


def folded_gradient(g, w):
    """∂out/∂w written with forward names where a student would write them."""
    d = g.backprop(wrt=g.inputs)
    full = {sym(n): g.full[n] for n in g.defs}
    e = d.gradients[w]
    inverse = sorted(((v, k) for k, v in full.items() if not v.is_Symbol), key=lambda kv: -sympy.count_ops(kv[0]))
    for v, k in inverse:
        e = e.xreplace({v: k})
    return e


def mutants(e, names):
    """(kind, mutant) pairs of `e`, each by construction."""
    terms = sympy.Add.make_args(e)
    out = [("sign", -e)]
    for k in (2, sympy.Rational(1, 2), 3):
        out.append(("constant_factor", k * e))
    if len(terms) > 1:
        for t in terms:
            out.append(("sign", e - 2 * t))
            out.append(("constant_factor", e + t))
            out.append(("missing_term", e - t))
    for f in e.atoms(SigmaPrime):
        out.append(("derivative_of_wrong_function", e.xreplace({f: Sigma(f.args[0])})))
    for f in e.atoms(TanhPrime):
        out.append(("derivative_of_wrong_function", e.xreplace({f: sympy.tanh(f.args[0])})))
    for t in terms:
        for f in sympy.Mul.make_args(t):
            if not f.is_Number:
                out.append(("missing_factor", e - t + t / f))
        for n in names:
            out.append(("extra_factor", e - t + t * n))
    for n in names:
        for m in names:
            if str(n) <= str(m):
                out.append(("extra_term", e + n * m))
    for a in sorted(e.free_symbols, key=str):
        for b in names:
            if b != a:
                out.append(("wrong_variable", e.xreplace({a: b})))
    return out


def scalar_corpus():
    rows = []
    for name in list(SCALAR) + list(EXTRA):
        g = parse_spec(spec_text(name))
        names = [sym(n) for n in g.inputs]
        for w in g.inputs:
            e = folded_gradient(g, w)
            if e == 0:
                continue
            seen = {e}
            for kind, m in mutants(e, names):
                if m in seen or m == 0 or m.is_Number:
                    continue
                seen.add(m)
                rows.append(("scalar", name, w, PLAIN.doprint(m), kind))
    return rows


def matrix_corpus():
    rows = []
    for spec, w, text in MATRIX:
        rows += [("matrix", spec, w, f"-({text})", "sign"), ("matrix", spec, w, f"2*({text})", "constant_factor"),
                 ("matrix", spec, w, f"1/2*({text})", "constant_factor")]
    return rows


def main():
    from benchlib import write_corpus
    write_corpus(OUT, scalar_corpus() + matrix_corpus(), "bench/feedback_corpus.py")


if __name__ == "__main__":
    main()
