"""Naming the mistake in a wrong scalar claim, verified like a verdict: a named kind comes with
its repair (`fix`, the claim with the mistake undone), and is given only when that repair, read
back as a student's claim, equals the truth at every point of the diagnosis (the seed-independent
probe points, the counterexample and every other evidence point). Edits of the claim come first
(edits.py: the mistake in the student's own terms), then rewrites of the truth (rewrites.py);
with neither, `other`, whose repair is the truth written with the forward names."""
from derive.printing import Latex, Text

from ..i18n import _
from . import edits, rewrites
from .values import ERRORS, MIN_SECONDS, _Spent, _Values, _same

PLAIN = Text(ascii=True)
SHOWN = Text(ascii=False)
LATEX = Latex()


def other(message=None):
    return {"kind": "other", "message": message or _("differs from the true value")}


def diagnose(claim, case, envs, seconds=MIN_SECONDS, target=None):
    """{'kind', 'message', 'fix'?} for an incorrect claim about `target` (`z_bar`), within a
    budget of about `seconds` (never less than MIN_SECONDS) counted in work units. `envs`: the
    seed-independent probe points first, then the counterexample and the other evidence points."""
    if not envs:
        return other()
    val = _Values(envs, max(seconds or 0, MIN_SECONDS))
    try:
        out = _diagnose(claim, case, val, target)
    except (_Spent, RecursionError):
        return other()
    if claim.is_zero and out["kind"] != "other" and "fix" in out and str(target).endswith("_bar") and case.terms:
        out["message"] = _zero(target, case, out["fix"]["text"])
    return out


def _diagnose(claim, case, val, target=None):
    T = val.truth(case.truth)
    try:
        C0 = val.known(claim, 0)           # the edits need the claim's value at point 0 only
    except ERRORS:
        C0 = None
    if T is None:
        return other(_("undefined where the true value is defined"))
    names = [n for n in rewrites._names(case, val.envs) if str(n) != str(target)]   # never z̄ in z̄'s own repair
    if C0 is None:         # no edit can be valued, but the truth in forward names is still a repair
        out = other(_("undefined where the true value is defined"))
        fix = repair(rewrites._fold(case.truth, val, names, case), case, val, T) or repair(case.truth, case, val, T)
        return dict(out, fix=fix) if fix is not None else out
    search = edits.Search(claim, case, val, C0, T, names, lambda: rewrites._fold(case.truth, val, names, case),
                          dict(case.defs))
    found = search.run()
    if found is not None:
        fix = repair(found.fix, case, val, T)
        if fix is not None:
            return {"kind": found.kind, "message": found.message, "fix": fix}
    fix = repair(search.folded, case, val, T) or repair(case.truth, case, val, T)
    C = val(claim)
    if C is None:
        return other(_("undefined where the true value is defined"))
    hit = rewrites.search(claim, case, val, C, T)
    if hit is not None and fix is not None:
        return dict(hit, fix=fix)
    out = other()
    if fix is not None:
        out["fix"] = fix
    return out


def _zero(target, case, fix):
    """`z̄ = 0` where z reaches the output: say so, by which paths, and what z̄ is (the repair,
    already read back once, written as the lecture writes it)."""
    right = SHOWN.doprint(case.read(fix)) if case.read is not None else fix
    name = SHOWN.name(target)
    return _("{name} is 0 here, but {var} reaches the output ({paths}): {name} = {right}").format(
        name=name, var=SHOWN.name(target[:-len("_bar")]), paths=_(" and ").join(label for label, _t in case.terms),
        right=right)


def repair(expr, case, val, T):
    """{'text', 'latex'} of `expr` when its text, read back as a claim, equals the truth at
    every point; else None."""
    if expr is None:
        return None
    text = PLAIN.doprint(expr)
    back = expr
    if case.read is not None:
        try:
            back = case.read(text)
        except (ValueError, *ERRORS):
            return None
    val.spend()
    if not _same(val(back), T):
        return None
    return {"text": text, "latex": LATEX.doprint(expr)}
