"""Naming the mistake in a wrong claim, with its repair: one search (search.py, the kinds in
order) over the claim's edit space, the kinds both backends share written once (kinds.py) over
edits of a scalar claim (edits.py, then rewrites of the truth
in rewrites.py) or of a matrix claim (matrix_edits.py, with the rereads and shapes of matrix.py),
each under a counted work budget (values.py) so the answer does not depend on the machine's speed."""
from .scalar import diagnose

__all__ = ["diagnose"]
