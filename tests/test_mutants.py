"""Mutants of the lectures' correct answers: every one is `incorrect`, with the kind of mistake
docs/rules.md names (first match wins: sign, constant_factor, derivative_of_wrong_function,
missing_factor, extra_factor, missing_term, extra_term, wrong_variable, other)."""
import pytest

from check import check_adjoints, check_claim, check_steps
from conftest import load
from derive import parse_spec

# a tanh unit with a squared loss, for tanh′ mistakes
TANH = "z = w*x + b\nh = tanh(z)\nL = 1/2*(h - t)^2\nat: w=0.5, x=1.5, b=-0.1, t=0.3\n"

SPECS = {}


def spec(name):
    if name not in SPECS:
        SPECS[name] = parse_spec(TANH) if name == "tanh" else load(name)
    return SPECS[name]


# (spec, wrt, claim, kind); the correct answers are, for reglog,
#   w̄ = (y − t)·σ′(z)·x + λ·w,  b̄ = (y − t)·σ′(z)
CLAIM_MUTANTS = [
    # sign
    ("reglog", "w", "-((y-t)*sigma'(z)*x + lambda*w)", "sign"),
    ("reglog", "w", "(t-y)*sigma'(z)*x - lambda*w", "sign"),
    ("reglog", "b", "(t-y)*sigma'(z)", "sign"),
    ("reglog", "w", "(t-y)*sigma'(z)*x + lambda*w", "sign"),            # one path's sign
    ("reglog", "w", "(y-t)*sigma'(z)*x - lambda*w", "sign"),            # the other path's sign
    ("neuron", "w0", "-x0*sigma'(z)", "sign"),
    ("simple", "x", "-z", "sign"),
    ("simple", "z", "x - y", "sign"),                                    # one term of a sum
    ("gates", "x", "-2*y", "sign"),
    ("tanh", "w", "(t-h)*(1-h^2)*x", "sign"),
    # constant factor, the ½ convention included
    ("reglog", "w", "2*((y-t)*sigma'(z)*x + lambda*w)", "constant_factor"),
    ("reglog", "w", "1/2*((y-t)*sigma'(z)*x + lambda*w)", "constant_factor"),
    ("reglog", "b", "2*(y-t)*sigma'(z)", "constant_factor"),             # lost ½ of L = ½(y − t)²
    ("reglog", "b", "1/2*(y-t)*sigma'(z)", "constant_factor"),
    ("reglog", "w", "2*(y-t)*sigma'(z)*x + lambda*w", "constant_factor"),  # lost ½ in L only
    ("reglog", "w", "(y-t)*sigma'(z)*x + 2*lambda*w", "constant_factor"),  # lost ½ in R = ½w²
    ("neuron", "w1", "2*x1*sigma'(z)", "constant_factor"),
    ("gates", "x", "y", "constant_factor"),                              # forgot f = 2s
    ("tanh", "w", "2*(h-t)*tanh'(z)*x", "constant_factor"),
    # derivative of the wrong function
    ("reglog", "w", "(y-t)*sigma(z)*x + lambda*w", "derivative_of_wrong_function"),
    ("reglog", "b", "(y-t)*sigma(z)", "derivative_of_wrong_function"),
    ("reglog", "b", "(y-t)*y", "derivative_of_wrong_function"),         # y = σ(z) for σ′(z)
    ("neuron", "w0", "x0*sigma(z)", "derivative_of_wrong_function"),
    ("neuron", "w2", "f", "derivative_of_wrong_function"),
    ("tanh", "w", "(h-t)*tanh(z)*x", "derivative_of_wrong_function"),
    ("tanh", "b", "(h-t)*tanh(z)", "derivative_of_wrong_function"),
    ("tanh", "b", "(h-t)*h", "derivative_of_wrong_function"),
    # missing factor (a lost λ is a missing factor, not a constant one)
    ("reglog", "w", "(y-t)*sigma'(z)*x + w", "missing_factor"),
    ("reglog", "w", "(y-t)*sigma'(z) + lambda*w", "missing_factor"),
    ("reglog", "w", "(y-t)*x + lambda*w", "missing_factor"),
    ("reglog", "b", "y - t", "missing_factor"),
    ("reglog", "b", "sigma'(z)", "missing_factor"),
    ("neuron", "w0", "sigma'(z)", "missing_factor"),
    ("gates", "z", "2", "missing_factor"),                               # the max router dropped
    ("tanh", "w", "(h-t)*(1-h^2)", "missing_factor"),
    # extra factor
    ("reglog", "w", "(y-t)*sigma'(z)*x*w + lambda*w", "extra_factor"),
    ("reglog", "b", "(y-t)*sigma'(z)*x", "extra_factor"),
    ("neuron", "w2", "x0*sigma'(z)", "extra_factor"),
    ("simple", "x", "z*q", "extra_factor"),
    ("gates", "y", "2*x*y", "extra_factor"),
    # missing term (incl. a missing fan-out path)
    ("reglog", "w", "(y-t)*sigma'(z)*x", "missing_term"),                # the path through R
    ("reglog", "w", "lambda*w", "missing_term"),                         # the path through z
    ("simple", "z", "x", "missing_term"),
    ("reglog", "b", "y*sigma'(z)", "missing_term"),                      # − t dropped in (y − t)
    # extra term
    ("reglog", "w", "(y-t)*sigma'(z)*x + lambda*w + lambda*b", "extra_term"),
    ("reglog", "b", "(y-t)*sigma'(z) + lambda*w", "extra_term"),         # R's path does not reach b
    ("reglog", "b", "(y-t)*sigma'(z) + lambda*b", "extra_term"),
    ("simple", "z", "x + y + z", "extra_term"),
    # wrong variable
    ("reglog", "w", "(y-t)*sigma'(z)*b + lambda*w", "wrong_variable"),
    ("reglog", "w", "(y-t)*sigma'(z)*x + lambda*x", "wrong_variable"),
    ("reglog", "w", "(y-t)*sigma'(z)*w + lambda*w", "wrong_variable"),
    ("reglog", "w", "(y-t)*sigma'(w)*x + lambda*w", "wrong_variable"),   # σ′(w) for σ′(z)
    ("reglog", "w", "(y-x)*sigma'(z)*x + lambda*w", "wrong_variable"),
    ("neuron", "w0", "x1*sigma'(z)", "wrong_variable"),
    ("neuron", "w0", "w0*sigma'(z)", "wrong_variable"),
    ("neuron", "x1", "x1*sigma'(z)", "wrong_variable"),
    ("simple", "x", "q", "wrong_variable"),
    ("gates", "x", "2*x", "wrong_variable"),
    ("tanh", "w", "(h-t)*(1-h)^2*x", "derivative_of_wrong_function"),    # tanh′ misremembered as (1 − h)²
    # nothing simple
    ("tanh", "w", "(h-t)*(1-h)^2*x^2", "other"),
]


@pytest.mark.parametrize("spec_name,wrt,claim,kind", CLAIM_MUTANTS,
                         ids=[f"{s}-{w}-{k}-{i}" for i, (s, w, c, k) in enumerate(CLAIM_MUTANTS)])
def test_claim_mutant_is_incorrect_with_the_right_kind(spec_name, wrt, claim, kind):
    v = check_claim(spec(spec_name), wrt, claim)
    assert v.verdict == "incorrect"
    assert v.diagnosis["kind"] == kind, (claim, v.diagnosis)
    assert v.counterexample["got"] != pytest.approx(v.counterexample["expected"], rel=1e-12)


def test_the_mutant_table_covers_every_kind_many_times():
    kinds = [k for *_, k in CLAIM_MUTANTS]
    assert len(kinds) >= 40
    for k in ["sign", "constant_factor", "derivative_of_wrong_function", "missing_factor",
              "extra_factor", "missing_term", "extra_term", "wrong_variable"]:
        assert kinds.count(k) >= 4, k


def test_diagnosis_messages_name_the_mistake():
    msg = lambda s, w, c: check_claim(spec(s), w, c).diagnosis["message"]
    assert "λ" in msg("reglog", "w", "(y-t)*sigma'(z)*x + w")
    assert "½" in msg("reglog", "b", "2*(y-t)*sigma'(z)")
    assert "through R" in msg("reglog", "w", "(y-t)*sigma'(z)*x")
    assert "σ′" in msg("reglog", "b", "(y-t)*sigma(z)")
    assert "tanh′" in msg("tanh", "b", "(h-t)*tanh(z)")
    m = msg("reglog", "w", "(y-t)*sigma'(w)*x + lambda*w")
    assert "uses w where z belongs" == m


# --- adjoint lines -------------------------------------------------------------------------------

REGLOG_ADJOINTS = [
    "L_reg_bar = 1",
    "R_bar = L_reg_bar*lambda",
    "L_bar = L_reg_bar",
    "y_bar = L_bar*(y - t)",
    "z_bar = y_bar*sigma'(z)",
    "w_bar = z_bar*x + R_bar*w",
    "b_bar = z_bar",
]

ADJOINT_MUTANTS = [
    ("R_bar = L_reg_bar", "missing_factor"),                 # λ lost
    ("R_bar = -L_reg_bar*lambda", "sign"),
    ("y_bar = L_bar*(t - y)", "sign"),
    ("y_bar = 2*L_bar*(y - t)", "constant_factor"),          # the ½ of L lost
    ("y_bar = L_bar*y", "missing_term"),
    ("z_bar = y_bar*sigma(z)", "derivative_of_wrong_function"),
    ("z_bar = y_bar*y", "derivative_of_wrong_function"),
    ("z_bar = y_bar", "missing_factor"),
    ("z_bar = y_bar*sigma'(z)*x", "extra_factor"),
    ("z_bar = y_bar*sigma'(y)", "wrong_variable"),
    ("w_bar = z_bar*x", "missing_term"),                     # the fan-out path through R
    ("w_bar = R_bar*w", "missing_term"),
    ("w_bar = z_bar*w + R_bar*w", "wrong_variable"),
    ("w_bar = z_bar*x + R_bar*x", "wrong_variable"),
    ("w_bar = z_bar*x + R_bar*w + z_bar", "extra_term"),
    ("w_bar = z_bar*x + R_bar", "missing_factor"),
    ("w_bar = z_bar*x - R_bar*w", "sign"),
    ("w_bar = 2*z_bar*x + R_bar*w", "constant_factor"),
    ("b_bar = z_bar*x", "extra_factor"),
    ("b_bar = -z_bar", "sign"),
    ("b_bar = y_bar", "wrong_variable"),
]


@pytest.mark.parametrize("line,kind", ADJOINT_MUTANTS, ids=[l for l, _ in ADJOINT_MUTANTS])
def test_adjoint_line_mutant_is_incorrect_with_the_right_kind_and_costs_one_line(line, kind):
    target = line.split(" = ")[0]
    lines = [line if l.startswith(target + " ") else l for l in REGLOG_ADJOINTS]
    r = check_adjoints(spec("reglog"), "\n".join(lines))
    wrong = [i for i in r.items if i.verdict != "correct"]
    assert [i.target for i in wrong] == [target]
    assert wrong[0].verdict == "incorrect" and wrong[0].diagnosis["kind"] == kind, wrong[0].diagnosis
    assert r.first_wrong == target and r.verdict == "incorrect"


@pytest.mark.parametrize("sub,target,kind", [
    ("z_bar = f_bar*sigma(z)\nw0_bar = z_bar*x0", "z_bar", "derivative_of_wrong_function"),
    ("w0_bar = z_bar*w0", "w0_bar", "wrong_variable"),
    ("w0_bar = z_bar*x1", "w0_bar", "wrong_variable"),
    ("w2_bar = z_bar*x0", "w2_bar", "extra_factor"),
    ("x1_bar = -z_bar*w1", "x1_bar", "sign"),
])
def test_neuron_adjoint_mutants(sub, target, kind):
    r = check_adjoints(spec("neuron"), sub)
    wrong = [i for i in r.items if i.verdict != "correct"]
    assert [i.target for i in wrong] == [target] and wrong[0].diagnosis["kind"] == kind


# --- derivation rows -----------------------------------------------------------------------------

CALC = [
    "dL_reg/dw = d/dw [ 1/2*(sigma(w*x + b) - t)^2 + lambda/2*w^2 ]",
    "          = 1/2 * d/dw [ (sigma(w*x + b) - t)^2 ] + lambda/2 * d/dw [ w^2 ]",
    "          = (sigma(w*x + b) - t) * d/dw [ sigma(w*x + b) - t ] + lambda*w",
    "          = (sigma(w*x + b) - t) * sigma'(w*x + b) * d/dw [ w*x + b ] + lambda*w",
    "          = (sigma(w*x + b) - t) * sigma'(w*x + b) * x + lambda*w",
]


def _from(line, edit):
    """The derivation with `edit` applied to row `line` (1-based) and every row after it,
    so the mistake enters at `line` and is carried consistently."""
    return "\n".join(l if i + 1 < line else edit(l) for i, l in enumerate(CALC))


STEP_MUTANTS = [
    ("dropped x", 5, lambda l: l.replace("* x + lambda", "+ lambda"), "missing_factor"),
    ("σ for σ′", 4, lambda l: l.replace("sigma'(w*x + b)", "sigma(w*x + b)"), "derivative_of_wrong_function"),
    ("lost ½", 2, lambda l: l.replace("1/2 * d/dw", "d/dw").replace("= (sigma(w*x + b) - t) *", "= 2*(sigma(w*x + b) - t) *"),
     "constant_factor"),
    ("lost ½ of λ/2", 2, lambda l: l.replace("lambda/2 * d/dw", "lambda * d/dw").replace("+ lambda*w", "+ 2*lambda*w"),
     "constant_factor"),
    ("lost λ", 3, lambda l: l.replace("+ lambda*w", "+ w"), "missing_factor"),
    ("sign of the error", 3, lambda l: l.replace("= (sigma(w*x + b) - t) *", "= (t - sigma(w*x + b)) *"), "sign"),
    ("sign of λw", 5, lambda l: l.replace("+ lambda*w", "- lambda*w"), "sign"),
    ("inner derivative dropped", 4, lambda l: l.replace(" * d/dw [ w*x + b ]", "").replace("* x + lambda", "+ lambda"),
     "missing_factor"),
    ("x for w in the chain rule", 4, lambda l: l.replace("d/dw [ w*x + b ]", "w").replace("* x + lambda", "* w + lambda"),
     "wrong_variable"),
]


@pytest.mark.parametrize("with_spec", [True, False], ids=["spec", "no-spec"])
@pytest.mark.parametrize("name,line,edit,kind", STEP_MUTANTS, ids=[m[0] for m in STEP_MUTANTS])
def test_derivation_mutant_is_caught_at_the_line_where_it_entered(name, line, edit, kind, with_spec):
    text = _from(line, edit)
    assert text != "\n".join(CALC)
    r = check_steps(text, spec("reglog") if with_spec else None)
    assert r.first_wrong == line, [(i.line, i.verdict) for i in r.items]
    wrong = [i for i in r.items if i.verdict != "correct"]
    assert [i.line for i in wrong] == [line]          # later rows follow from it correctly
    assert wrong[0].verdict == "incorrect" and wrong[0].diagnosis["kind"] == kind, wrong[0].diagnosis
