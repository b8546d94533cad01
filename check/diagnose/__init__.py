"""Naming the mistake in a wrong claim, with its repair: edits of the claim (edits.py) and
rewrites of the truth (rewrites.py) for scalars, rereads for matrices (matrix.py), each under a
counted work budget (values.py) so the answer does not depend on the machine's speed."""
from .scalar import diagnose

__all__ = ["diagnose"]
