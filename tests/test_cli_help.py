"""Every command's --help ends with examples that run as shown; `barprop --version`."""
import importlib.metadata
import shlex

import pytest

from check.cli import parser
from check.cli.examples import commands
from conftest import ROOT, run_cli

PATHS = [path for path, _ in commands(parser())]
WRITES = ("--out", "--csv", "--graph", "hw2/", "my_exercise")
SERVES = ("barprop serve",)          # runs until stopped: tests/test_web_browser.py runs it


def _examples(help_text):
    head, _, tail = help_text.rpartition("\nexamples:\n")
    return [l.strip() for l in tail.splitlines() if l.strip()] if head else []


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "barprop")
def test_every_command_help_ends_with_two_or_three_examples(path):
    code, out, err = run_cli(*path, "--help")
    assert code == 0, err
    examples = _examples(out)
    assert 2 <= len(examples) <= 3, out
    assert all("barprop " + " ".join(path) in e for e in examples), examples
    assert out.endswith(examples[-1] + "\n")


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "barprop")
def test_examples_that_only_read_run_as_shown_from_a_checkout(path, monkeypatch):
    monkeypatch.chdir(ROOT)
    for example in _examples(run_cli(*path, "--help")[1]):
        if any(w in example for w in WRITES + SERVES) or "|" in example:
            continue
        argv = shlex.split(example)
        assert argv[0] == "barprop"
        code, out, err = run_cli(*argv[1:])
        assert code in (0, 1), f"{example}: exit {code}: {err}"


def test_version_is_the_installed_distributions():
    code, out, err = run_cli("--version")
    assert (code, out, err) == (0, f"barprop {importlib.metadata.version('barprop')}\n", "")


def test_autograder_for_an_unknown_exercise_is_an_error_at_the_option(tmp_path):
    code, out, err = run_cli("autograder", "gradescope", "--exercise", "no-such", "--out", tmp_path / "a.zip")
    assert code == 2 and err.startswith("--exercise:1:1: unknown exercise 'no-such'")
    assert not (tmp_path / "a.zip").exists()


def test_autograder_into_a_missing_folder_is_an_error_not_a_traceback(tmp_path):
    code, out, err = run_cli("autograder", "gradescope", "--exercise", "cs231n-simple",
                             "--out", tmp_path / "no" / "a.zip")
    assert code == 2 and err.startswith("barprop: cannot write ") and "No such file or directory" in err
