"""How a row was read (`as_read`): the left-hand side and the expression barprop understood,
printed back in its own plain syntax (which reads back to the same expression) and in LaTeX, so
a student sees whether `yx` or `\\frac{d\\sigma}{dx}` was taken as meant."""
from derive.functions import BAR
from derive.printing import Latex, Text

_text, _latex = Text(ascii=True), Latex()


def as_read(target, expr):
    """{'text', 'latex'} of the row `target = expr`; a target like 'line 4' (a row of a
    derivation) has no left-hand side of its own and prints as `= expr`. None when nothing was read."""
    if expr is None:
        return None
    try:
        rhs_text, rhs_latex = _text.doprint(expr), _latex.doprint(expr)
    except (TypeError, ValueError, AttributeError, RecursionError):
        return None
    if target.startswith("line ") or target == "final answer":
        return {"text": f"= {rhs_text}", "latex": f"= {rhs_latex}"}
    name = target[:-len(BAR)] + BAR if target.endswith(BAR) else target
    return {"text": f"{_text.name(name)} = {rhs_text}", "latex": f"{_latex.name(name)} = {rhs_latex}"}
