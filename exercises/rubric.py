"""A part's rubric in the exercise TOML: rules for known mistakes (with their own message and
credit), alternatives the teacher accepts, the backprop form, carried credit, and hints.

    [[parts]]
    id = "adjoints"
    kind = "adjoints"
    points = 7
    form = "backprop"          # correct but not written through upstream adjoints: form_credit
    form_credit = 0.5
    carry_degenerate = false   # no carried credit from a wrong line whose value is a constant
    hints = 3                  # hint levels a student may see (1 nudge, 2 where, 3 which rule, 4 fixed line)
    hint_cost = 0.1            # fraction of the part's points taken per level seen, when grading

    [[parts.rules]]
    when = "kind:derivative_of_wrong_function"   # or when = "formula" with formula = "..."
    at = "z_bar"                                 # optional: only on this adjoint's line
    credit = 0.5                                 # fraction of the item's points kept
    message = "σ in place of σ′: differentiate the sigmoid."

    [[parts.accept]]
    target = "w_bar"           # optional: the adjoint (or, in a claim part, the wrt) it answers
    formula = "..."
    note = "denominator layout"
"""
from dataclasses import dataclass
from typing import Optional

KEYS = {"form", "form_credit", "carry_degenerate", "hints", "hint_cost", "rules", "accept"}
RULE_KEYS = {"when", "at", "formula", "credit", "message"}
ACCEPT_KEYS = {"target", "formula", "note"}
KINDS = ("sign", "constant_factor", "derivative_of_wrong_function", "transpose", "wrong_shape", "missing_factor",
         "extra_factor", "missing_term", "extra_term", "wrong_variable", "missing_batch_sum",
         "elementwise_vs_matmul", "other", "parse_error")


@dataclass(frozen=True)
class Rule:
    when: str                    # "kind:K" or "formula"
    credit: float
    message: str
    at: Optional[str] = None     # an adjoint like "z_bar": the rule applies to that line only
    formula: Optional[str] = None

    @property
    def kind(self):
        return self.when[5:] if self.when.startswith("kind:") else None

    def describe(self):
        what = f"kind {self.kind}" if self.kind else f"formula {self.formula}"
        return what + (f" at {self.at}" if self.at else "")


@dataclass(frozen=True)
class Accept:
    formula: str
    note: str
    target: Optional[str] = None


@dataclass(frozen=True)
class Rubric:
    rules: tuple = ()
    accept: tuple = ()
    form: Optional[str] = None
    form_credit: float = 1.0
    carry_degenerate: bool = False
    hints: int = 4
    hint_cost: float = 0.0


def _fraction(v, name, fail):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
        raise fail(f"'{name}' must be a number from 0 to 1, not {v!r}", name)
    return float(v)


def _text(t, key, fail, required=True):
    v = t.get(key)
    if v is None:
        if required:
            raise fail(f"missing '{key}'", None)
        return None
    if not isinstance(v, str) or not v.strip():
        raise fail(f"'{key}' must be a non-empty string", key)
    return v.strip()


def _tables(p, key, keys, fail):
    items = p.get(key, [])
    if not isinstance(items, list) or not all(isinstance(t, dict) for t in items):
        raise fail(f"'{key}' must be a list of tables ([[parts.{key}]])", key)
    for t in items:
        unknown = sorted(set(t) - keys)
        if unknown:
            raise fail(f"[[parts.{key}]]: unknown key '{unknown[0]}'; expected: {', '.join(sorted(keys))}", unknown[0])
    return items


def parse(p, kind, fail):
    """The Rubric of one [[parts]] table `p`; `fail(message, key)` makes the located error."""
    rules = []
    for t in _tables(p, "rules", RULE_KEYS, fail):
        when = _text(t, "when", fail)
        if when != "formula" and not (when.startswith("kind:") and when[5:] in KINDS):
            raise fail(f"rule 'when' must be 'formula' or 'kind:K' with K one of {', '.join(KINDS)}; not {when!r}",
                       "when")
        formula = _text(t, "formula", fail, required=when == "formula")
        if "credit" not in t:
            raise fail("a rule needs 'credit' (the fraction of the item's points kept)", None)
        at = _text(t, "at", fail, required=False)
        if at is not None and kind != "adjoints":
            raise fail("'at' names an adjoint line: it is for adjoints parts", "at")
        rules.append(Rule(when, _fraction(t["credit"], "credit", fail), _text(t, "message", fail), at, formula))
    accept = [Accept(_text(t, "formula", fail), _text(t, "note", fail), _text(t, "target", fail, required=False))
              for t in _tables(p, "accept", ACCEPT_KEYS, fail)]
    form = p.get("form")
    if form is not None and form != "backprop":
        raise fail(f"'form' can only be \"backprop\", not {form!r}", "form")
    if form is not None and kind != "adjoints":
        raise fail("'form = \"backprop\"' is for adjoints parts", "form")
    hints = p.get("hints", 4)
    if isinstance(hints, bool) or not isinstance(hints, int) or not 0 <= hints <= 4:
        raise fail(f"'hints' must be a whole number from 0 to 4, not {hints!r}", "hints")
    carry = p.get("carry_degenerate", False)
    if not isinstance(carry, bool):
        raise fail("'carry_degenerate' must be true or false", "carry_degenerate")
    return Rubric(tuple(rules), tuple(accept), form, _fraction(p.get("form_credit", 1.0), "form_credit", fail),
                  carry, hints, _fraction(p.get("hint_cost", 0.0), "hint_cost", fail))
