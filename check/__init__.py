"""check: judge hand-derived gradients (claims, adjoint equations, derivations) and grade them."""
from derive.errors import ParseError

from .api import check_adjoints, check_claim, check_steps
from .verdict import Report, Verdict


def grade(exercise, paths, seed=0, jobs=1):
    """The results.json document for `paths` graded against `exercise` (an id, path or loaded one)."""
    from .grading import grade as _grade
    return _grade(exercise, paths, seed=seed, jobs=jobs)


def hint(spec, submission, level=1, lang="en"):
    """{'part', 'target', 'level', 'text', 'latex'}: a hint on the first line that does not hold."""
    from .hints import hint as _hint
    return _hint(spec, submission, level=level, lang=lang)


def load_ipython_extension(ip):
    """`%load_ext check`: the `%%barprop` cell magic (see check.notebook)."""
    from .notebook import load_ipython_extension as load
    load(ip)


__all__ = ["ParseError", "Report", "Verdict", "check_adjoints", "check_claim", "check_steps", "grade", "hint"]
