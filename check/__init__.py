"""check: judge hand-derived gradients (claims, adjoint equations, derivations) and grade them."""
from derive.errors import ParseError

from .api import check_adjoints, check_claim, check_steps
from .verdict import Report, Verdict


def grade(exercise, paths, seed=0, jobs=1):
    """The results.json document for `paths` graded against `exercise` (an id, path or loaded one)."""
    from .grading import grade as _grade
    return _grade(exercise, paths, seed=seed, jobs=jobs)


__all__ = ["ParseError", "Report", "Verdict", "check_adjoints", "check_claim", "check_steps", "grade"]
