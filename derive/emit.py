"""`--emit numpy`: the forward and backward pass as a small, readable numpy function."""
import keyword
import re

from .functions import BAR
from .matrix import SCALAR
from .printing import ATOM, MUL, Text, ranked

PRELUDE = '''import numpy as np


def sigma(x):
    return 1 / (1 + np.exp(-x))


def sigma_prime(x):
    s = sigma(x)
    return s * (1 - s)


def tanh_prime(x):
    return 1 - np.tanh(x) ** 2


def relu(x):
    return np.maximum(x, 0)


def relu_prime(x):
    return (x > 0) * 1.0


def softplus(x):
    return np.logaddexp(0, x)
'''

LABEL_PRELUDE = '''

def onehot(y, C):
    """A C×1 column for one label, N×C rows for N labels."""
    if np.ndim(y) == 0:
        return np.eye(C)[:, [int(y)]]
    return np.eye(C)[np.ravel(y).astype(int)]


def pick(S, y):
    """The true class's score: S[y] of a column, S[range(N), y] of N rows (N×1)."""
    if np.ndim(y) == 0:
        return S[int(y), 0]
    y = np.ravel(y).astype(int)
    return S[np.arange(len(y)), y].reshape(-1, 1)


def logsumexp(S, axis=0):
    m = S.max(axis=axis, keepdims=True)
    return m + np.log(np.exp(S - m).sum(axis=axis, keepdims=True))


def softmax(S, axis=0):
    e = np.exp(S - S.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(S, axis=0):
    return S - logsumexp(S, axis)


def cross_entropy(S, y):
    return -np.sum(pick(log_softmax(S, 0 if np.ndim(y) == 0 else 1), y))
'''

CALLS = {"sigma": "sigma", "sigma'": "sigma_prime", "tanh'": "tanh_prime", "relu": "relu",
         "relu'": "relu_prime", "exp": "np.exp", "log": "np.log", "tanh": "np.tanh", "sin": "np.sin",
         "cos": "np.cos", "abs": "np.abs", "sign": "np.sign", "max": "np.maximum", "min": "np.minimum",
         "softplus": "softplus"}


def py_name(name):
    return name + "_" if keyword.iskeyword(name) else name


class Numpy(Text):
    """Python source: `@`, `.T`, `**`, numpy functions; names made safe for Python."""

    def __init__(self):
        super().__init__(ascii=True)

    def name(self, name):
        return py_name(name)

    def _print_Pow(self, e):
        if e.exp.is_Number and e.exp < 0:
            return self._print_Mul(e)
        return f"{self.paren(e.base, ATOM)} ** {self.paren(e.exp, ATOM)}"

    def call(self, p, args):
        if p.ascii not in CALLS:
            raise ValueError(f"no numpy spelling for {p.ascii}")
        return f"{CALLS[p.ascii]}({', '.join(self._print(a) for a in args)})"

    def _print_IndGe(self, e):
        return f"(({self._print(e.args[0])} >= {self._print(e.args[1])}) * 1.0)"

    def _print_IndGt(self, e):
        return f"(({self._print(e.args[0])} > {self._print(e.args[1])}) * 1.0)"

    def reduce(self, kind, arg, axis):
        if kind == "norm2":
            return f"np.sum(({arg}) ** 2)"
        fn = "np.sum" if kind == "sum" else "np.mean"
        return f"{fn}({arg})" if axis is None else f"{fn}({arg}, axis={axis}, keepdims=True)"

    def _print_MatMul(self, e):
        s = super()._print_MatMul(e)
        return f"({s}).item()" if e.shape == SCALAR else s      # a 1×1 result is a scalar

    def _print_OneHot(self, e):
        return f"onehot({self._print(e.label)}, {self._print(e.classes)})"

    def axis_call(self, name, arg, axis):
        return f"{name}({arg}, axis={1 if axis else 0})"

    def _print_Fill(self, e):
        return f"np.broadcast_to({self.paren(e.a, MUL)}, ({self._print(e.shape[0])}, {self._print(e.shape[1])}))"


def emit_numpy(d):
    """Source of `forward_backward(inputs...) -> (output, {wrt: gradient})`."""
    g, p = d.graph, ranked(Numpy(), d.graph)
    params, sizes, body = [py_name(n) for n in g.inputs], [], []
    body += [f"{py_name(n.name)} = {p.forward(g, n)}" for n in g.nodes]
    for a in d.order:
        rhs = "1.0" if a.output else " + ".join(p.term(t) for t in a.terms) or "0.0"
        body.append(f"{py_name(a.name + BAR)} = {rhs}")
    for dim in getattr(g, "dims", ()):
        where = next(((n, i) for n in g.inputs for i, s in enumerate(g.shapes[n])
                      if getattr(s, "name", None) == dim), None)
        if where is not None:
            sizes.append(f"{dim} = {py_name(where[0])}.shape[{where[1]}]")
        elif re.search(rf"\b{re.escape(dim)}\b", "\n".join(body)):
            params.append(py_name(dim))     # a size no input has (`ones(K, 1)` alone): the caller's
    args = ", ".join(params)
    body = sizes + body
    grads = ", ".join(f"{w!r}: {py_name(w + BAR)}" for w in d.wrt)
    body.append(f"return {py_name(g.output)}, {{{grads}}}")
    doc = f'    """Forward pass to {g.output}, then backprop; the gradients of {", ".join(d.wrt)}."""\n'
    prelude = PRELUDE + (LABEL_PRELUDE if getattr(g, "labels", None) else "")
    return (prelude + f"\n\ndef forward_backward({args}):\n" + doc
            + "".join(f"    {line}\n" for line in body))
