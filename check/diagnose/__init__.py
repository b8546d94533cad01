"""Naming the mistake in a wrong claim: scalar rewrites (scalar.py) and matrix ones (matrix.py),
each under a counted work budget so the answer does not depend on the machine's speed."""
from .scalar import diagnose

__all__ = ["diagnose"]
