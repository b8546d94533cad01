"""derive: computational graphs, local derivative rules, symbolic backprop, printers."""
from .backprop import Adjoint, Derivation, Term
from .errors import ParseError
from .graph import Graph, Node
from .spec import parse_spec

__all__ = ["Adjoint", "Derivation", "Graph", "Node", "ParseError", "Term", "parse_spec"]
