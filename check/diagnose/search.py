"""The one diagnosis search over both backends: the kinds in the order of docs/rules.md, each step
proposed by the claim's edit space and kept only when its repair equals the truth at every point
(the counterexample included; every size setting for matrices). A space offers the kinds it has:
scalar claims (edits.Search, SymPy expressions) the edits of a formula; matrix claims
(matrix.MatrixSpace over matrix_edits.MatrixEdits) those too, and the kinds only matrices have
(transpose, wrong shape, a missing batch sum, ∘ for @)."""
from typing import Callable, Protocol

ORDER = ("sign", "constant_factor", "derivative_of_wrong_function", "transpose", "wrong_shape",
         "elementwise_vs_matmul", "missing_factor", "extra_factor", "missing_term", "extra_term",
         "wrong_variable", "hint")


class EditSpace(Protocol):
    """What the search needs from one claim on one backend."""

    def steps(self) -> dict:
        """{kind: step}: a step (no arguments) returns the first finding of its kind, with its
        repair checked at every point, or None; kinds the backend has no edits for are absent."""

    def confirmed(self, repair) -> bool:
        """Does `repair` equal the truth at every point?"""


def first(space: EditSpace):
    """The first finding in the order of the kinds, or None."""
    steps: dict[str, Callable] = space.steps()
    for kind in ORDER:
        for step in _as_list(steps.get(kind)):
            found = step()
            if found is not None:
                return found
    return None


def _as_list(step):
    if step is None:
        return ()
    return step if isinstance(step, (list, tuple)) else (step,)
