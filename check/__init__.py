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


def hint(spec, submission, level=1, lang="en"):
    """{'part', 'target', 'level', 'text', 'latex'}: a hint on the first line that does not hold."""
    from .hints import hint as _hint
    return _hint(spec, submission, level=level, lang=lang)


def load_ipython_extension(ip):
    """`%load_ext check`: the `%%barprop` cell magic (see check.notebook)."""
    from .notebook import load_ipython_extension as load
    load(ip)


__all__ = ["ParseError", "Report", "Verdict", "check_adjoints", "check_claim", "check_steps", "grade", "hint"]


def __getattr__(name):
    if name not in _HOME:
        raise AttributeError(f"module 'check' has no attribute '{name}'")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
