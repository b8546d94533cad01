"""Exercise TOML files: the bundled ones load, a teacher's bad file gets `file:line:col` errors."""
import pytest

import exercises
from derive.errors import ParseError
from exercises import ExerciseNotFound

SHIPPED = {"cs231n-simple", "cs231n-sigmoid-neuron", "cs231n-gates", "csc321-reg-logistic",
           "cs231n-vectorized-l2", "csc321-mlp", "cs231n-two-layer-numpy"}
SHIPPED |= {"huber-regression", "logistic-cross-entropy", "reg-l1-l2", "tanh-layer", "cs231n-svm-naive",
            "cs231n-svm-vectorized", "cs231n-softmax", "cs231n-softmax-batch", "cs231n-two-layer-softmax"}
SHIPPED |= {"cs231n-affine", "cs231n-affine-relu", "cs231n-batchnorm", "cs231n-layernorm", "cs231n-dropout",
            "cs231n-rnn-step", "cs231n-rnn-two-steps", "cs231n-word-embedding", "csc321-mlp-softmax"}


def test_bundled_exercises_are_listed_and_load():
    assert set(exercises.list_ids()) == SHIPPED
    for ex_id in exercises.list_ids():
        ex = exercises.load(ex_id)
        assert ex.id == ex_id and ex.title and ex.parts
        assert ex.max_score == sum(p.points for p in ex.parts)
        assert ex.graph.output                      # the spec parses


def test_reg_logistic_has_the_four_parts_of_the_lecture():
    ex = exercises.load("csc321-reg-logistic")
    assert [(p.id, p.kind, p.wrt, p.points) for p in ex.parts] == [
        ("adjoints", "adjoints", None, 7.0), ("grad_w", "claim", "w", 1.0),
        ("grad_b", "claim", "b", 1.0), ("steps", "steps", "w", 4.0)]
    assert ex.spec_file == "specs/reglog.bp"
    assert len(ex.graph.backprop().order) == 7      # one point per adjoint


def test_matrix_exercises_use_the_bundled_matrix_specs():
    mlp = exercises.load("csc321-mlp")
    assert mlp.spec_file == "specs/mlp.bp" and [p.id for p in mlp.parts] == ["adjoints", "grad_W1"]
    assert len(mlp.graph.backprop().order) == 8
    assert exercises.load("cs231n-vectorized-l2").spec_file == "specs/l2.bp"
    assert exercises.load("cs231n-two-layer-numpy").graph.wrt == ("W1", "W2")


def test_exercise_is_frozen_and_parts_are_found_by_normalized_id():
    ex = exercises.load("csc321-reg-logistic")
    with pytest.raises(Exception):
        ex.id = "x"
    assert ex.part("GRAD-W").id == "grad_w"
    assert ex.part("nope") is None


def test_load_takes_a_path_and_an_exercise(tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text(GOOD, encoding="utf-8")
    ex = exercises.load(str(p))
    assert ex.id == "mine" and exercises.load(ex) is ex
    assert ex.parts[0].wrt == "a"


def test_unknown_id_lists_the_known_ones():
    with pytest.raises(ExerciseNotFound) as e:
        exercises.load("cs231n-no-such-exercise")
    assert "csc321-reg-logistic" in str(e.value)


GOOD = 'id = "mine"\ntitle = "t"\nspec = """\nq = a*b\nf = q + a\n"""\n\n[[parts]]\nid = "ga"\nkind = "claim"\nwrt = "a"\npoints = 2\n'


@pytest.mark.parametrize("text, line, col, words", [
    ('id = "x"\ntitle = "t\n', 2, 11, "TOML"),
    (GOOD.replace('kind = "claim"', 'kind = "claims"'), 10, 1, "unknown kind 'claims'"),
    (GOOD.replace('wrt = "a"\n', ''), 8, 1, "needs 'wrt'"),
    (GOOD.replace('wrt = "a"', 'wrt = "zz"'), 11, 1, "not an input"),
    (GOOD.replace('points = 2', 'points = 0'), 12, 1, "points must be a positive number"),
    (GOOD.replace('points = 2', 'points = -1.5'), 12, 1, "points must be a positive number"),
    (GOOD.replace('points = 2', 'points = "2"'), 12, 1, "points must be a positive number"),
    (GOOD.replace('points = 2\n', ''), 8, 1, "missing 'points'"),
    (GOOD.replace('f = q + a', 'f = q + '), 5, 7, "unexpected end"),
    (GOOD.replace('title = "t"\n', ''), 0, 0, "missing 'title'"),
    (GOOD.replace('id = "mine"', 'id = "Mine Two"'), 1, 1, "lowercase"),
    (GOOD + '\n[[parts]]\nid = "GA"\nkind = "adjoints"\npoints = 1\n', 15, 1, "used twice"),
    (GOOD.replace('points = 2', 'points = 2\npoint = 3'), 13, 1, "unknown key 'point'"),
    (GOOD.split("[[parts]]")[0], 0, 0, "missing 'parts'"),
    (GOOD.replace('spec = """', 'spec_file = "nope.bp"\nspec = """'), 3, 1, "exactly one of"),
])
def test_a_bad_exercise_names_the_line_and_what_is_wrong(tmp_path, text, line, col, words):
    p = tmp_path / "bad.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ParseError) as e:
        exercises.load(str(p))
    err = e.value
    assert words in err.message
    assert (err.line, err.col) == (line, col), str(err)
    assert str(err).startswith(f"{p}:{line}:{col}: ")


def test_spec_file_is_relative_to_the_exercise(tmp_path):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "s.bp").write_text("f = a*b\n", encoding="utf-8")
    p = tmp_path / "t.toml"
    p.write_text('id = "t"\ntitle = "t"\nspec_file = "specs/s.bp"\n[[parts]]\nid = "a"\nkind = "adjoints"\npoints = 1\n')
    assert exercises.load(str(p)).graph.inputs == ("a", "b")
    p.write_text('id = "t"\ntitle = "t"\nspec_file = "specs/missing.bp"\n[[parts]]\nid = "a"\nkind = "adjoints"\npoints = 1\n')
    with pytest.raises(ParseError) as e:
        exercises.load(str(p))
    assert e.value.line == 3 and "cannot read spec_file" in e.value.message


def test_cli_lists_shows_and_validates(cli, tmp_path):
    code, out, _ = cli("exercises", "list")
    assert code == 0
    assert [l.split()[0] for l in out.splitlines()] == sorted(SHIPPED)
    code, out, _ = cli("exercises", "show", "csc321-reg-logistic")
    assert code == 0
    assert "L_reg = L + lambda*R" in out and "# part: grad_w" in out and "13 points" in out
    code, out, _ = cli("exercises", "validate", str(exercises.bundled_path("cs231n-gates")))
    assert code == 0 and out.startswith("OK: cs231n-gates")
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace('kind = "claim"', 'kind = "grad"'), encoding="utf-8")
    code, out, err = cli("exercises", "validate", str(bad))
    assert code == 2 and out == ""
    assert err.strip() == f"{bad}:10:1: part 'ga': unknown kind 'grad'; expected one of: adjoints, claim, steps"
    code, _, err = cli("exercises", "show", "nope")
    assert code == 2 and "unknown exercise 'nope'" in err
