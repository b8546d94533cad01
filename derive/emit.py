"""`--emit numpy`: the forward and backward pass as a small, readable numpy function."""
import keyword
import re

from .functions import BAR
from .matrix import SCALAR
from .printing import ATOM, MUL, Text, ranked
from .rules import TABLE

# The lecture's activations head every emitted module; other helpers only when the code calls them.
ALWAYS = ("sigma", "sigma_prime", "tanh_prime", "relu", "relu_prime", "softplus")
HELPERS = {p.numpy: p.numpy_def for p in TABLE.values() if p.numpy_def}


def prelude(body):
    """`import numpy as np` and the helper functions (from the rule table) that `body` needs."""
    used = [n for n in HELPERS if n in ALWAYS or re.search(rf"\b{n}\(", body)]
    return "import numpy as np\n" + "".join("\n\n" + HELPERS[n] for n in used)


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
        if not p.numpy:
            raise ValueError(f"no numpy spelling for {p.ascii}")
        return f"{p.numpy}({', '.join(self._print(a) for a in args)})"

    def _print_Exp1(self, e):
        return "np.e"

    def _print_Pi(self, e):
        return "np.pi"

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
    code = f"\n\ndef forward_backward({args}):\n" + doc + "".join(f"    {line}\n" for line in body)
    return prelude(code) + (LABEL_PRELUDE if getattr(g, "labels", None) else "") + code
