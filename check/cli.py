"""`barprop`: a thin command line over the derive and check APIs."""
import argparse
import json
import os
import re
import sys

from derive import ParseError, files, parse_spec
from derive.draw import DrawError
from derive.rules import DomainError
from derive.spec import parse_values

MAX_FILE = 20_000_000


class UsageError(Exception):
    pass


def read_text(path, what="file"):
    """A user file as text (`-` is stdin); undecodable bytes are a ParseError, not a traceback."""
    if path == "-":
        return sys.stdin.read()
    return files.read_text(path, MAX_FILE, what)


def load_spec(arg, scalar=False):
    """A spec from a path, `-`, or the spec text itself; every command backpropagates, so its
    output must be a scalar (and `scalar=True` asks for a spec without matrices)."""
    if arg != "-" and not os.path.exists(arg) and ("=" in arg or "\n" in arg):
        graph, file = parse_spec(arg, file="<spec>"), "<spec>"
    else:
        graph, file = parse_spec(read_text(arg, "spec"), file=arg), arg
    out = graph.defs[graph.output]
    if getattr(graph, "is_matrix", False):
        if scalar:
            raise ParseError("this command checks against scalar specs; this one declares matrices", 1, 1, file)
        if out.expr.shape[0] != 1 or out.expr.shape[1] != 1:
            raise ParseError(f"the output '{out.name}' (the last assignment) must be a scalar to backpropagate, "
                             f"not {out.expr.shape[0]}×{out.expr.shape[1]}", out.line, 1, file)
    return graph


def point_of(graph, at):
    if at is None:
        return dict(graph.at) or None
    text = read_text(at, "values") if at.endswith(".json") else at
    if at.endswith(".json") and not text.lstrip().startswith("{"):
        raise ParseError("expected a JSON object of values", 1, 1, at)
    point = dict(graph.at)
    point.update(parse_values(text, graph, file="--at"))
    return point


def cmd_derive(a, out):
    graph = load_spec(a.spec)
    wrt = [w.strip() for w in a.wrt.split(",")] if a.wrt else None
    try:
        d = graph.backprop(wrt)
    except ValueError as e:              # an unknown --wrt name (the output's shape is checked on load)
        raise UsageError(str(e)) from None
    point = point_of(graph, a.at)
    lr = None
    if a.lr is not None:
        lr = parse_values(f"{graph.inputs[0]}={a.lr}", graph, file="--lr")[graph.inputs[0]]
    try:
        if point:
            d.values(point)       # a point outside the domain is an error about the values
        return _derive_output(a, d, graph, point, lr, out)
    except DomainError as e:
        raise ParseError(f"cannot evaluate at these values: {e}", *_values_at(a)) from None


def _values_at(a):
    """(line, col, file) of the values a derive used: --at, or the spec's last `at:` line."""
    if a.at is not None:
        return 1, 1, a.at if a.at.endswith(".json") else "--at"
    text, file = a.spec, "<spec>"
    if a.spec == "-":
        return 1, 1, a.spec
    if os.path.exists(a.spec):
        try:
            text, file = read_text(a.spec, "spec"), a.spec
        except ParseError:
            return 1, 1, a.spec
    lines = [i for i, l in enumerate(text.split("\n"), 1) if re.match(r"\s*at\s*:", l)]
    return (lines[-1] if lines else 1), 1, file


def _derive_output(a, d, graph, point, lr, out):
    if a.graph:
        from derive.draw import draw
        draw(d, a.graph, point)
    if a.emit:
        from derive.emit import emit_numpy
        out.write(emit_numpy(d))
    elif a.index_form:
        if not getattr(graph, "is_matrix", False):
            raise UsageError("--index-form is for matrix specs; a scalar spec is already in index form")
        from derive.index import index_form
        out.write(index_form(d))
    elif a.format == "json":
        out.write(json.dumps(d.to_json(point=point, lr=lr), indent=2) + "\n")
    elif a.format == "latex":
        out.write(d.to_latex(standalone=a.standalone))
    elif a.format == "markdown":
        out.write(d.to_markdown(point=point, lr=lr, expand=a.expand))
    else:
        out.write(d.to_text(ascii=a.ascii, point=point, lr=lr, expand=a.expand))
    return 0


def _common(a):
    return {"seed": a.seed, "deadline": a.deadline, "fmt": "latex" if a.latex else "plain" if a.plain else None}


def _report(result, a, out):
    if a.json:
        out.write(json.dumps(result.to_dict(timings=a.timings), indent=2) + "\n")
    else:
        out.write(result.to_text())
    return result.exit_code


def cmd_check(a, out):
    from check import check_adjoints, check_claim, check_steps
    if a.what == "grad":
        if (a.claim is None) == (a.claim_file is None):
            raise UsageError("give exactly one of --claim EXPR or --claim-file F")
        claim = a.claim if a.claim is not None else read_text(a.claim_file, "claim")
        graph = load_spec(a.spec)
        try:
            r = check_claim(graph, a.wrt, claim, **_common(a))
        except ParseError as e:
            raise e.located("--claim" if a.claim is not None else a.claim_file) from None
    elif a.what == "adjoints":
        r = check_adjoints(load_spec(a.spec), read_text(a.submission, "submission"), **_common(a),
                           file=a.submission)
    else:
        spec = load_spec(a.spec, scalar=True) if a.spec else None
        r = check_steps(read_text(a.derivation, "derivation"), spec, **_common(a), file=a.derivation)
    return _report(r, a, out)


def cmd_grade(a, out):
    from check.grade import grade_command
    return grade_command(a, out)


def cmd_exercises(a, out):
    from check.grade import exercises_command
    return exercises_command(a, out)


def parser():
    p = argparse.ArgumentParser(prog="barprop", description="Derive and check backprop in bar notation.")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("derive", help="adjoint equations of a forward spec",
                       description="Build the graph of SPEC, run reverse mode symbolically, print the adjoints.")
    d.add_argument("spec", help="a .bp file, - for stdin, or the spec text")
    d.add_argument("--wrt", help="comma-separated variables (default: the spec's wrt: or every input)")
    d.add_argument("--at", help="values x=1,y=2 or a values.json file (default: the spec's at:)")
    d.add_argument("--lr", help="learning rate: add one gradient-descent step")
    d.add_argument("--format", choices=["text", "latex", "markdown", "json"], default="text")
    d.add_argument("--expand", action="store_true", help="also print the calculus-class full expansion")
    d.add_argument("--standalone", action="store_true", help="with --format latex: a whole document")
    d.add_argument("--graph", help="draw the graph to out.svg, out.png or out.dot")
    d.add_argument("--index-form", action="store_true", help="index form of matrix adjoints")
    d.add_argument("--emit", choices=["numpy"], help="emit code for the forward and backward pass")
    d.add_argument("--ascii", action="store_true", help="plain ASCII text (z_bar, sigma')")
    d.set_defaults(run=cmd_derive)

    c = sub.add_parser("check", help="judge a claim, adjoint equations or a derivation",
                       description="Judge student work against the true gradient.")
    cs = c.add_subparsers(dest="what", required=True)

    def common(q):
        q.add_argument("--json", action="store_true", help="print one JSON document")
        q.add_argument("--seed", type=int, default=0, help="seed of the random points")
        q.add_argument("--deadline", type=float, default=1.0, help="seconds for symbolic work")
        q.add_argument("--latex", action="store_true", help="read the input as LaTeX")
        q.add_argument("--plain", action="store_true", help="read the input as plain text")
        q.add_argument("--timings", action="store_true", help="report seconds spent")
        q.set_defaults(run=cmd_check)

    g = cs.add_parser("grad", help="is EXPR the gradient of the output with respect to --wrt?",
                      description="Judge one formula for d out / d wrt.")
    g.add_argument("spec")
    g.add_argument("--wrt", required=True)
    g.add_argument("--claim")
    g.add_argument("--claim-file")
    common(g)
    j = cs.add_parser("adjoints", help="judge adjoint equations in bar notation",
                      description="Judge a file of adjoint equations, one per line.")
    j.add_argument("spec")
    j.add_argument("submission")
    common(j)
    s = cs.add_parser("steps", help="judge a step-by-step derivation",
                      description="Judge each row of a derivation against the row before it.")
    s.add_argument("derivation")
    s.add_argument("--spec")
    common(s)

    gr = sub.add_parser("grade", help="grade a folder of submissions",
                        description="Grade every file in SUBMISSIONS against an exercise.")
    gr.add_argument("--exercise", required=True, help="an exercise id or a path to a TOML file")
    gr.add_argument("submissions")
    gr.add_argument("--out")
    gr.add_argument("--csv")
    gr.add_argument("--gradescope")
    gr.add_argument("--seed", type=int, default=0)
    gr.add_argument("--jobs", type=int, default=1)
    gr.add_argument("--feedback", choices=["full", "minimal"], default="full")
    gr.set_defaults(run=cmd_grade)

    e = sub.add_parser("exercises", help="list, show or validate exercises",
                       description="The exercises that ship with barprop.")
    es = e.add_subparsers(dest="action", required=True)
    es.add_parser("list", help="list exercise ids").set_defaults(run=cmd_exercises)
    sh = es.add_parser("show", help="print one exercise")
    sh.add_argument("id")
    sh.set_defaults(run=cmd_exercises)
    va = es.add_parser("validate", help="validate a teacher's TOML")
    va.add_argument("path")
    va.set_defaults(run=cmd_exercises)
    return p


def main(argv=None, out=None, err=None):
    """Run the CLI in-process; returns the exit status."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        a = parser().parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    as_json = getattr(a, "json", False)
    try:
        return a.run(a, out)
    except ParseError as e:
        return _fail(e.to_dict(), str(e), as_json, out, err)
    except DomainError as e:
        return _fail(None, f"barprop: cannot evaluate at this point: {e}", as_json, out, err)
    except (UsageError, DrawError) as e:
        return _fail(None, f"barprop: {e}", as_json, out, err)


def _fail(doc, message, as_json, out, err):
    """Bad input: the message on stderr (and as JSON on stdout with --json); exit status 2."""
    if as_json:
        doc = doc or {"error": {"message": message.removeprefix("barprop: "), "line": 0, "col": 0}}
        out.write(json.dumps(doc) + "\n")
    err.write(message + "\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
