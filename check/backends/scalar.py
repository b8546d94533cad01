"""The scalar backend: SymPy expressions over a scalar graph, mpmath points, symbolic evidence."""
import mpmath
import sympy

from derive.errors import ParseError
from derive.functions import bar, sym, unbar
from derive.names import spelled
from derive.rules import DomainError

from ..evidence import REFINE_DIGITS, evaluate, rel_error, truth_for
from ..i18n import _
from ..judge import PROBES, Case, judge
from ..read.scope import ClaimScope, read_expression
from ..verdict import Verdict


PROBE_SEED = 0          # the diagnosis looks its findings up at this seed's points, whatever --seed is


def _resolve(scope, name, line, col=1):
    hit = scope.lookup(spelled(name))
    if hit is None:
        raise ParseError(f"unknown name '{name}'; known names: {', '.join(scope.graph.names)}", line, col)
    return hit


def _full(truth, scope):
    """Claims in the leaves only: forward names and adjoints written out; None (no symbolic
    check) when the graph is too large to write out in its inputs."""
    grads = truth.derivation.leaf_adjoints
    if truth.graph.unwritten or any(g is None for g in grads.values()):
        return None
    adj = {bar(n): g for n, g in grads.items()}
    return lambda e: scope.expand(e.xreplace(adj))


def _grad_case(truth, name, scope):
    """∂output/∂name in the leaves; where that is too large to write out, in the adjoints of the
    nodes above (their values are known at every point)."""
    d = truth.derivation
    full_map = {sym(n): truth.graph.full[n] for n in truth.graph.defs}
    whole = d.leaf_adjoints

    def path(t):
        return (whole[t.upstream] * t.chain.xreplace(full_map) if whole[t.upstream] is not None
                else _chained(t))
    terms = tuple((_through(t.upstream), path(t)) for t in d.by_name[name].terms)
    truth_expr = whole[name] if whole[name] is not None else sympy.Add(*(e for _, e in terms))
    return Case(truth_expr, tuple(p.env for p in truth.points), tuple(p.leaves for p in truth.points),
                tuple(truth.fd_error(i, name) for i in range(len(truth.points))), _full(truth, scope), terms,
                values=tuple(p.env[bar(name)] for p in truth.points), **_feedback(truth, name, scope))


def _through(upstream):
    return _("the path through {name}").format(name=upstream)


def _feedback(truth, name, scope):
    """What feedback needs besides the evidence: seed-independent probe points, small-number
    points for a counterexample, forward definitions, and a reader for repairs."""
    probes = truth_for(truth.graph, PROBE_SEED)
    defs = tuple((sym(n), node.expr) for n, node in truth.graph.defs.items())
    return {"probes": tuple(p.env for p in probes.points[:PROBES]),
            "simple": lambda: tuple((p.env, p.leaves, truth.simple_fd(i, name), p.env[bar(name)])
                                    for i, p in enumerate(truth.simple())),
            "at": bool(truth.graph.at) and set(truth.graph.at) >= set(truth.graph.inputs),
            "defs": defs,
            "near": lambda claim: truth.beside(claim, name),
            "read": lambda text: read_expression(text, scope, 1, 1, "plain")}


def _chained(t):
    """An edge's term with its local derivative by the chain rule (σ′(u), not y(1−y)), so that
    diagnosis can name σ written for σ′."""
    return bar(t.upstream) * t.chain


def _local_case(truth, name, scope):
    d = truth.derivation
    a = d.by_name[name]
    pool = tuple(_chained(t) for b in d.order if b.name != name for t in b.terms)
    terms = tuple((_through(t.upstream), _chained(t)) for t in a.terms)
    return Case(a.expr if a.output else sympy.Add(*(t for _, t in terms)), tuple(p.env for p in truth.points),
                tuple(p.leaves for p in truth.points),
                tuple(truth.fd_error(i, name) for i in range(len(truth.points))), _full(truth, scope),
                terms, pool,
                tuple(p.env[bar(name)] for p in truth.points), **_feedback(truth, name, scope))


def _forward_case(truth, name, scope):
    return Case(truth.graph.full[name], tuple(p.env for p in truth.points), tuple(p.leaves for p in truth.points),
                None, None if truth.graph.unwritten else scope.expand,
                near=truth.beside)


def read_row(scope, row, fmt):
    """A row's right-hand side as a SymPy expression in `scope`."""
    return read_expression(row.rhs, scope, row.line, row.col, fmt)


class Scalar:
    """Judging against a scalar graph: SymPy expressions, mpmath points, symbolic evidence."""

    def __init__(self, graph, seed, deadline, fmt, prove=False):
        self.graph, self.deadline, self.fmt, self.prove = graph, deadline, fmt, prove
        self.scope = ClaimScope(graph)
        self.truth = truth_for(graph, seed)
        self.derivation = self.truth.derivation

    def resolve(self, name, line):
        return _resolve(self.scope, name, line)

    def parse(self, row):
        return read_row(self.scope, row, row.fmt or self.fmt)

    def adjoint(self, name, expr, row, whole):
        line = row.line if row else None
        circular = self._circular(name, expr)
        if circular:
            # the points hold the true adjoints, so `w_bar = w_bar` would agree everywhere
            return Verdict(f"{name}_bar", "incorrect", {}, None, {"kind": "other", "message": (
                _("circular: {name} is defined through {name}").format(name=f"{name}_bar") if circular == [name] else
                _("circular: uses {names}, which backprop computes from {name}").format(
                    names=", ".join(c + "_bar" for c in circular if c != name), name=f"{name}_bar"))}, line=line)
        case = (_grad_case if whole else _local_case)(self.truth, name, self.scope)
        return judge(f"{name}_bar", expr, case, self.deadline, line, self.prove)

    def _circular(self, name, expr):
        """Adjoints in `expr` of `name` itself or of the nodes it is computed from."""
        upstream, todo = {name}, [name]
        while todo:
            node = self.graph.defs.get(todo.pop())
            for p in node.parents if node is not None else ():
                if p not in upstream:
                    upstream.add(p)
                    todo.append(p)
        return sorted({unbar(s) for s in expr.free_symbols} & upstream, key=str)

    def forward(self, name, expr, row):
        return judge(name, expr, _forward_case(self.truth, name, self.scope), self.deadline, row.line,
                     self.prove)

    def global_values(self, chains, wanted):
        return _global(self.truth, chains, wanted)


def _global(truth, chains, wanted):
    """Final gradients computed from the student's own lines (true values where a line is missing),
    with the points' extra digits, so a saturated unit's tiny gradient is not lost to cancellation."""
    out = {}
    with mpmath.workdps(REFINE_DIGITS):
        worst = {w: mpmath.mpf(0) for w in wanted}
        for p in truth.points:
            # the student's adjoints are not known before their own lines compute them (so a
            # circular `w_bar = w_bar` is no value), and an unreadable last line is a wrong value
            env = {k: v for k, v in p.env.items() if unbar(k) not in chains}
            for a in truth.derivation.order:
                rows_ = chains.get(a.name)
                if rows_:
                    try:
                        env[bar(a.name)] = (mpmath.inf if rows_[-1][1] is None
                                            else evaluate(rows_[-1][1], env))
                    except (DomainError, ZeroDivisionError, ValueError):
                        env[bar(a.name)] = mpmath.inf
            for w in wanted:
                if w in chains:
                    worst[w] = max(worst[w], rel_error(env[bar(w)], p.env[bar(w)]))
        for w in sorted(wanted):
            if w in chains:
                out[f"{w}_bar"] = {"correct": bool(worst[w] <= mpmath.mpf("1e-15")),
                                   "max_rel_error": float(worst[w]) if mpmath.isfinite(worst[w]) else None}
    return out
