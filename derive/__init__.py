"""derive: computational graphs, local derivative rules, symbolic backprop, printers.

The public names are imported on first use (PEP 562), so `barprop --help` and the errors
module do not pay for SymPy."""
import importlib

_HOME = {"Adjoint": "backprop", "Derivation": "backprop", "Term": "backprop", "ParseError": "errors",
         "Graph": "graph", "Node": "graph", "parse_spec": "spec"}

__all__ = ["Adjoint", "Derivation", "Graph", "Node", "ParseError", "Term", "parse_spec"]


def __getattr__(name):
    if name not in _HOME:
        raise AttributeError(f"module 'derive' has no attribute '{name}'")
    value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
