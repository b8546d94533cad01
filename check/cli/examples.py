"""The examples that end every command's --help (run from a checkout of barprop)."""
import argparse

EXAMPLES = {
    "barprop": """\
  barprop derive exercises/specs/reglog.bp --expand
  barprop check grad exercises/specs/reglog.bp --wrt w --claim "(sigma(w*x + b) - t)*sigma'(w*x + b)*x + lambda*w"
  barprop grade --exercise csc321-reg-logistic exercises/samples/csc321-reg-logistic/""",
    "derive": """\
  barprop derive exercises/specs/reglog.bp
  barprop derive exercises/specs/simple.bp --at x=-2,y=5,z=-4 --format latex
  barprop derive exercises/specs/neuron.bp --lr 0.1 --graph neuron.svg""",
    "check": """\
  barprop check grad exercises/specs/reglog.bp --wrt b --claim "(y - t)*sigma'(z)"
  barprop check adjoints exercises/specs/reglog.bp tests/data/contract/reglog_adjoints_wrong.txt
  barprop check steps tests/data/contract/calculus_class.txt --spec exercises/specs/reglog.bp""",
    "check grad": """\
  barprop check grad exercises/specs/reglog.bp --wrt w --claim "(sigma(w*x + b) - t)*sigma'(w*x + b)*x + lambda*w"
  barprop check grad exercises/specs/reglog.bp --wrt b --claim '\\bar{z}' --latex
  echo "(y - t)*y*(1 - y)" | barprop check grad exercises/specs/reglog.bp --wrt b --claim-file - --json""",
    "check adjoints": """\
  barprop check adjoints exercises/specs/reglog.bp tests/data/contract/reglog_adjoints.txt
  barprop check adjoints exercises/specs/reglog.bp tests/data/contract/reglog_adjoints_wrong.txt --json""",
    "check steps": """\
  barprop check steps tests/data/contract/calculus_class.txt --spec exercises/specs/reglog.bp
  barprop check steps tests/data/contract/calculus_class_wrong.txt --spec exercises/specs/reglog.bp --json""",
    "grade": """\
  barprop grade --exercise csc321-reg-logistic exercises/samples/csc321-reg-logistic/
  barprop grade --exercise csc321-reg-logistic hw2/ --out results.json --csv grades.csv
  barprop grade --exercise my_exercise.toml hw2/alice.md --feedback minimal""",
    "exercises": """\
  barprop exercises list
  barprop exercises show csc321-reg-logistic
  barprop exercises validate my_exercise.toml""",
    "exercises list": """\
  barprop exercises list
  barprop exercises list | grep cs231n""",
    "exercises show": """\
  barprop exercises show csc321-reg-logistic
  barprop exercises show cs231n-simple""",
    "exercises validate": """\
  barprop exercises validate exercises/csc321-reg-logistic.toml
  barprop exercises validate my_exercise.toml""",
    "autograder": """\
  barprop autograder gradescope --exercise csc321-reg-logistic --out autograder.zip
  barprop autograder prairielearn --exercise my_exercise.toml --out questions/backprop1""",
    "autograder gradescope": """\
  barprop autograder gradescope --exercise csc321-reg-logistic --out autograder.zip
  barprop autograder gradescope --exercise my_exercise.toml --out hw2-autograder.zip""",
    "autograder prairielearn": """\
  barprop autograder prairielearn --exercise csc321-reg-logistic --out questions/reglog
  barprop autograder prairielearn --exercise my_exercise.toml --out questions/hw2 --image me/barprop-grader:0.1""",
    "serve": """\
  barprop serve
  barprop serve --port 8080""",
    "hint": """\
  barprop hint exercises/specs/reglog.bp tests/data/contract/reglog_adjoints_wrong.txt
  barprop hint exercises/specs/reglog.bp tests/data/contract/reglog_adjoints_wrong.txt --level 2
  barprop hint exercises/specs/reglog.bp hw2/adjoints.txt --level 2""",
}


def commands(parser, path=()):
    """(command path, parser) for `parser` and every subcommand under it, depth first."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, path + (name,))


class ExamplesFormatter(argparse.HelpFormatter):
    """Descriptions wrapped as usual; the examples epilog kept line by line, as typed."""

    def _fill_text(self, text, width, indent):
        if text.startswith("examples:\n"):
            return "\n".join(indent + line for line in text.splitlines())
        return super()._fill_text(text, width, indent)


def attach_examples(parser):
    """Each command's examples as its help's epilog."""
    for path, p in commands(parser):
        text = EXAMPLES.get(" ".join(path) or "barprop")
        if text:
            p.epilog = "examples:\n" + text
            p.formatter_class = ExamplesFormatter
