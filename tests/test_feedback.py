"""Feedback a student can act on: a diagnosis verified by its repair (`fix`, read back and judged
correct), the same kind for every seed, the mistake named in the student's own terms, a
counterexample to redo by hand, and every message in Korean with --lang ko."""
import gettext
import json
import os
import re
import subprocess
import sys

import pytest

from check import check_adjoints, check_claim
from check.i18n import DOMAIN, LOCALE_DIR
from conftest import load
from derive import parse_spec
from derive.printing import Text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "tests", "data", "feedback_mutants.tsv")
TANH = "z = w*x + b\nh = tanh(z)\nL = 1/2*(h - t)^2\nat: w=0.5, x=1.5, b=-0.1, t=0.3\n"
REG2 = "e1 = w*x - t\nL = e1^2 + lambda*w^2\n"           # no at: point, so small numbers are chosen
HANGUL = re.compile("[\uac00-\ud7a3]")


def _graph(backend, name, cache={}):
    if name not in cache:
        sys.path.insert(0, os.path.join(ROOT, "bench"))
        from feedback_corpus import spec_text
        text = (open(os.path.join(ROOT, "tests", "data", "specs", f"{name}.bp"), encoding="utf-8").read()
                if backend == "matrix" else spec_text(name))
        cache[name] = parse_spec(text)
    return cache[name]


def corpus():
    with open(CORPUS, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if not line.startswith("#")]


def test_the_corpus_is_large_labelled_and_covers_scalar_and_matrix_kinds():
    rows = corpus()
    assert len(rows) >= 1000
    kinds = {r[4] for r in rows}
    assert {"sign", "constant_factor", "derivative_of_wrong_function", "missing_factor", "extra_factor",
            "missing_term", "extra_term", "wrong_variable"} <= kinds
    assert {r[0] for r in rows} == {"scalar", "matrix"}


SAMPLE = corpus()[::25]        # about 50 mutants of every kind and spec, in seconds


@pytest.mark.parametrize("backend,spec,wrt,claim,kind", SAMPLE, ids=[f"{r[1]}-{r[2]}-{r[4]}-{i}" for i, r in
                                                                      enumerate(SAMPLE)])
def test_mutant_kind_and_its_repair_reads_back_correct(backend, spec, wrt, claim, kind):
    g = _graph(backend, spec)
    v = check_claim(g, wrt, claim)
    assert v.verdict == "incorrect"
    d = v.diagnosis
    assert d["fix"], d                                       # every wrong claim gets a repair
    assert check_claim(g, wrt, d["fix"]["text"]).verdict == "correct", d
    assert d["fix"]["latex"]


def test_kind_accuracy_on_the_sample_is_at_least_95_percent():
    right = sum(check_claim(_graph(b, s), w, c).diagnosis["kind"] == k for b, s, w, c, k in SAMPLE)
    assert right >= 0.95 * len(SAMPLE), right


def test_kinds_are_the_same_for_seeds_0_to_9():
    for b, s, w, c, k in SAMPLE[::4]:
        g = _graph(b, s)
        kinds = {check_claim(g, w, c, seed=seed).diagnosis["kind"] for seed in range(10)}
        assert len(kinds) == 1, (c, kinds)


def test_sigma_for_sigma_prime_names_the_factor_and_its_fix_is_correct():
    g = load("reglog")
    v = check_claim(g, "w", "(sigma(w*x + b) - t)*sigma(w*x + b)*x + lambda*w")
    d = v.diagnosis
    assert d["kind"] == "derivative_of_wrong_function"
    assert d["message"] == "the factor σ(w·x + b) should be σ′(w·x + b)"
    assert d["fix"]["text"] == "x*(sigma(w*x + b) - t)*sigma'(w*x + b) + lambda*w"
    assert check_claim(g, "w", d["fix"]["text"]).verdict == "correct"


def test_wrong_variable_names_the_direction_the_student_swapped():
    # CS231n's neuron: ∂f/∂w0 = x0·σ′(z); the student wrote w0 where x0 belongs
    v = check_claim(load("neuron"), "w0", "sigma'(z)*w0")
    assert v.diagnosis["kind"] == "wrong_variable"
    assert v.diagnosis["message"] == "uses w0 where x0 belongs"


def test_missing_fan_out_path_is_named_by_the_path():
    v = check_claim(load("reglog"), "w", "(y-t)*sigma'(z)*x")
    assert v.diagnosis["kind"] == "missing_term"
    assert v.diagnosis["message"].startswith("the path through R is missing")


def test_the_one_in_one_minus_tanh_squared_is_a_missing_constant_term():
    v = check_claim(parse_spec(TANH), "w", "(h-t)*(-h^2)*x")
    assert v.diagnosis["kind"] == "missing_term"
    assert "constant term" in v.diagnosis["message"]


def test_a_constant_factor_on_one_term_only():
    v = check_claim(parse_spec(REG2), "w", "2*(w*x-t)*x + lambda*w")
    assert v.diagnosis["kind"] == "constant_factor"
    assert v.diagnosis["message"].startswith("λ·w is off by a constant factor of 1/2")


def test_upstream_adjoint_wrong_in_an_adjoint_line_is_named():
    lines = ["L_reg_bar = 1", "R_bar = L_reg_bar*lambda", "L_bar = L_reg_bar", "y_bar = L_bar*(y - t)",
             "z_bar = y_bar*sigma'(z)", "w_bar = y_bar*x + R_bar*w", "b_bar = z_bar"]
    r = check_adjoints(load("reglog"), "\n".join(lines))
    w = next(i for i in r.items if i.target == "w_bar")
    assert w.diagnosis["kind"] == "wrong_variable"
    shown = Text(ascii=False).name
    assert w.diagnosis["message"] == f"the upstream adjoint {shown('y_bar')} should be {shown('z_bar')}"


def test_counterexample_is_the_spec_point_when_it_differs_there():
    v = check_claim(load("reglog"), "w", "(y-t)*sigma(z)*x + lambda*w")
    assert v.counterexample["at"] == {"w": 0.7, "x": -1.3, "b": 0.2, "t": 1.0, "lambda": 0.1}


def test_counterexample_without_a_spec_point_is_small_integers_and_halves():
    for seed in (0, 3):
        v = check_claim(parse_spec(REG2), "w", "2*(w*x-t)*x + lambda*w", seed=seed)
        at = v.counterexample["at"]
        assert all((2 * x).is_integer() and abs(x) <= 3 for x in at.values()), at
        assert abs(v.counterexample["expected"] - v.counterexample["got"]) > 1e-3 * abs(v.counterexample["expected"])


def test_counterexample_prints_enough_digits_to_see_the_difference_and_no_more():
    v = check_claim(load("reglog"), "w", "(y-t)*sigma(z)*x + lambda*w")
    assert "expected 0.263, got 0.357" in v.sentence()


def test_a_claim_that_cannot_be_evaluated_where_it_differs_is_never_incorrect():
    # log of a negative number at every point where the truth is defined: no finite counterexample
    v = check_claim(load("reglog"), "w", "log(-(w^2) - 1)")
    assert v.verdict == "undecided"
    assert v.counterexample is None


# --- Korean -------------------------------------------------------------------------------------

def _catalogue():
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=["ko"])


def _source_messages():
    """Every message marked in the source, as Babel extracts it."""
    from babel.messages.extract import extract_from_dir
    method_map = [("check/**.py", "python")]
    return {m[2] for m in extract_from_dir(os.path.join(ROOT), method_map, keywords={"_": None, "N_": None})
            if m[2]}


def test_every_message_in_the_source_has_a_korean_translation():
    ko = _catalogue()
    untranslated = sorted(m for m in _source_messages() if ko.gettext(m) == m)
    assert not untranslated, untranslated


def test_the_shipped_mo_matches_the_po():
    from babel.messages.pofile import read_po
    with open(os.path.join(LOCALE_DIR, "ko", "LC_MESSAGES", f"{DOMAIN}.po"), "rb") as f:
        po = read_po(f)
    ko = _catalogue()
    for m in po:
        if m.id:
            assert ko.gettext(m.id) == m.string, m.id


def test_korean_keeps_placeholders():
    ko = _catalogue()
    for m in _source_messages():
        assert set(re.findall(r"{\w*}", ko.gettext(m))) == set(re.findall(r"{\w*}", m)), m


def test_lang_ko_in_the_api_speaks_korean_and_keeps_kinds_english():
    v = check_claim(load("reglog"), "w", "(y-t)*sigma(z)*x + lambda*w", lang="ko")
    assert v.diagnosis["kind"] == "derivative_of_wrong_function"
    assert HANGUL.search(v.diagnosis["message"])
    en = check_claim(load("reglog"), "w", "(y-t)*sigma(z)*x + lambda*w")
    assert not HANGUL.search(en.diagnosis["message"])


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "check", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "LANG": "ko_KR.UTF-8", "LANGUAGE": "ko"})


def test_cli_lang_ko_text_and_json():
    spec = os.path.join(ROOT, "tests", "data", "contract", "reglog.bp")
    claim = "(y-t)*sigma(z)*x + lambda*w"
    p = _cli("check", "grad", spec, "--wrt", "w", "--claim", claim, "--lang", "ko")
    assert p.returncode == 1 and HANGUL.search(p.stdout) and "오답" in p.stdout
    q = _cli("check", "grad", spec, "--wrt", "w", "--claim", claim, "--json", "--lang", "ko")
    doc = json.loads(q.stdout)
    assert doc["verdict"] == "incorrect" and doc["diagnosis"]["kind"] == "derivative_of_wrong_function"
    # the environment's LANG is not read: English without --lang
    e = _cli("check", "grad", spec, "--wrt", "w", "--claim", claim)
    assert not HANGUL.search(e.stdout)
