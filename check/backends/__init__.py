"""Backends: what the three checks need from a graph, declared once (`Backend`), with one
implementation for scalar graphs (scalar.py) and one for matrix graphs (matrix.py)."""
import sys
from functools import lru_cache
from typing import Protocol

from derive import Graph, parse_spec


class Backend(Protocol):
    """Judging rows of student text against one graph at one seed."""

    graph: object
    derivation: object

    def resolve(self, name, line):
        """The graph's name for a name written by a student (ParseError when unknown)."""

    def parse(self, row):
        """A row's right-hand side, read in this graph's scope."""

    def adjoint(self, name, parsed, row, whole):
        """The Verdict on a claim for `name`'s adjoint: `whole` judges it as ∂out/∂name, else
        locally (the adjoints it uses take their true values: error carried forward)."""

    def forward(self, name, parsed, row):
        """The Verdict on a forward-pass line `name = ...`."""

    def global_values(self, chains, wanted):
        """{'w_bar': {correct, max_rel_error}}: final gradients from the student's own lines."""


def _is_matrix(graph):
    """A MatrixGraph? (Without importing the matrix modules: none exists until they are loaded.)"""
    mgraph = sys.modules.get("derive.mgraph")
    return mgraph is not None and isinstance(graph, mgraph.MatrixGraph)


def as_graph(spec):
    return spec if isinstance(spec, Graph) or _is_matrix(spec) else _parsed(spec)


@lru_cache(maxsize=64)
def _parsed(text):
    """Specs are immutable once read, so a text parsed once serves every later check."""
    return parse_spec(text)


def backend(spec, seed, deadline, fmt, prove=False) -> Backend:
    """The backend for `spec` (text or graph); `prove` asks for the full symbolic reduction."""
    graph = as_graph(spec)
    if _is_matrix(graph):
        from .matrix import Matrix
        return Matrix(graph, seed, deadline, fmt)
    from .scalar import Scalar
    return Scalar(graph, seed, deadline, fmt, prove)
