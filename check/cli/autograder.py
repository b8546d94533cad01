"""`barprop autograder gradescope|prairielearn`: what a course platform needs to grade an exercise."""
from derive.errors import ParseError

from .usage import UsageError


def add_autograder(sub, make):
    """The `autograder` command and its two platforms, on the CLI's subparsers `sub`."""
    a = sub.add_parser("autograder", help="write a Gradescope or PrairieLearn autograder for an exercise",
                       description="Write what a course platform needs to grade an exercise with barprop.")
    plat = a.add_subparsers(dest="platform", required=True, parser_class=make)
    g = plat.add_parser("gradescope", help="the autograder zip Gradescope takes",
                        description="Write autograder.zip: setup.sh installs barprop from the wheel inside, "
                                    "run_autograder grades /autograder/submission/ as one student into "
                                    "/autograder/results/results.json.")
    g.add_argument("--exercise", required=True, help="an exercise id or a path to a TOML file")
    g.add_argument("--out", required=True, help="the zip to write (autograder.zip)")
    g.set_defaults(run=cmd_autograder)
    p = plat.add_parser("prairielearn", help="a PrairieLearn question folder with its external grader",
                        description="Write a question folder: info.json, question.html, tests/run_grader "
                                    "(the grader entry point) and a Dockerfile for the grader image.")
    p.add_argument("--exercise", required=True, help="an exercise id or a path to a TOML file")
    p.add_argument("--out", required=True, help="the question folder to write")
    p.add_argument("--image", help="the grader image named in info.json (default barprop-grader:VERSION)")
    p.set_defaults(run=cmd_autograder)


def cmd_autograder(a, out):
    from exercises import ExerciseNotFound, load
    from ..platforms.bundle import BundleError
    try:
        load(a.exercise)
    except ExerciseNotFound as e:
        raise ParseError(str(e), 1, 1, "--exercise") from None
    try:
        if a.platform == "gradescope":
            from ..platforms.gradescope import write_zip
            write_zip(a.exercise, a.out)
            out.write(f"wrote {a.out}: upload it as the autograder of a Gradescope programming assignment\n")
        else:
            from ..platforms.prairielearn import write_question
            write_question(a.exercise, a.out, image=a.image)
            out.write(f"wrote {a.out}: put it under your course's questions/, build the grader image "
                      f"from its Dockerfile and name it in info.json\n")
    except OSError as e:
        raise UsageError(f"cannot write {e.filename or a.out}: {e.strerror}") from None
    except BundleError as e:
        raise UsageError(str(e)) from None
    return 0
