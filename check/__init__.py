"""check: judge hand-derived gradients (claims, adjoint equations, derivations) and grade them.

The public names are imported on first use (PEP 562), so the command line starts without SymPy
until a command needs it."""
import importlib

_HOME = {"ParseError": "derive.errors", "check_adjoints": "check.api", "check_claim": "check.api",
         "check_steps": "check.api", "Report": "check.verdict", "Verdict": "check.verdict"}


def grade(exercise, paths, seed=0, jobs=1):
    """The results.json document for `paths` graded against `exercise` (an id, path or loaded one)."""
    from .grading import grade as _grade
    return _grade(exercise, paths, seed=seed, jobs=jobs)


__all__ = ["ParseError", "Report", "Verdict", "check_adjoints", "check_claim", "check_steps", "grade"]


def __getattr__(name):
    if name not in _HOME:
        raise AttributeError(f"module 'check' has no attribute '{name}'")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
