"""The one diagnosis search over both backends: the kinds in the order of docs/rules.md, each step
proposed by the claim's edit space and kept only when its repair equals the truth at every point
(the counterexample included; every size setting for matrices).

Passes over ORDER, the same for both backends, the simpler repair first; each pass tries its kinds
in ORDER:
1. the claim or a part of it negated or scaled by a small rational (sign, constant_factor);
2. the whole claim off by a constant factor or term (whole_steps; matrices only: a size letter's
   1/N, or a label's one-hot mask at the true class: softmax's −1, a hinge's own margin);
3. a part of the claim removed or a constant term put in (a term set to 0, a factor set to 1);
4. a sub-expression put in (σ′ for σ, a factor, a term or a name of the truth or the claim) and
   the kinds only matrices have; last the statements with no repair (wrong_shape, hint).
A repair by a constant wins over any repair by an expression that is also true; a statement
about the whole claim over one that changes a part.

A space offers the kinds it has: scalar claims (edits.Search, SymPy expressions) the edits of a
formula; matrix claims (matrix.MatrixSpace over matrix_edits.MatrixEdits) those too, and the kinds
only matrices have: transpose, missing_batch_sum, elementwise_vs_matmul (∘ for @), wrong_shape (the
shapes, with no repair) and `hint` (a weaker statement with no repair). The kinds both have are
written once in kinds.py (sign, constant_factor, missing_factor, extra_factor, missing_term,
extra_term) over the algebra each backend supplies (matrices supply no candidate to divide out or
take away yet); derivative_of_wrong_function and wrong_variable are still one implementation per
backend."""
from typing import Protocol

ORDER = ("sign", "constant_factor", "derivative_of_wrong_function", "transpose", "missing_batch_sum",
         "elementwise_vs_matmul", "missing_factor", "extra_factor", "missing_term", "extra_term", "wrong_variable",
         "wrong_shape", "hint")


class EditSpace(Protocol):
    """What the search needs from one claim on one backend."""

    def constant_steps(self) -> dict:
        """{kind: step}: the steps whose repair puts a constant in (passes 1 and 3)."""

    def whole_steps(self) -> dict:
        """{kind: step}: the whole claim off by a constant factor or term (pass 2); may be empty."""

    def steps(self) -> dict:
        """{kind: step}: a step (no arguments) returns the first finding of its kind, with its
        repair checked at every point, or None; kinds the backend has no edits for are absent."""

    def confirmed(self, repair) -> bool:
        """Does `repair` equal the truth at every point?"""


SCALING = ("sign", "constant_factor")


def first(space: EditSpace):
    """The first finding, pass by pass, in the order of the kinds; or None."""
    constants = space.constant_steps()
    passes = ({k: constants.get(k) for k in SCALING}, space.whole_steps(),
              {k: v for k, v in constants.items() if k not in SCALING}, space.steps())
    for steps in passes:
        for kind in ORDER:
            for step in _as_list(steps.get(kind)):
                found = step()
                if found is not None:
                    return found
    return None


def _as_list(step):
    if step is None:
        return ()
    return tuple(step) if isinstance(step, (list, tuple)) else (step,)
