"""`barprop`: a thin command line over the derive and check APIs."""
import argparse
import atexit
import functools
import gc
import json
import math
import os
import re
import sys

from derive import files
from derive.errors import DomainError, DrawError, ParseError

from .autograder import add_autograder
from .examples import attach_examples
from .version import Version

MAX_FILE = 20_000_000


from ..i18n import _, language
from .usage import UsageError


class _Exit(Exception):
    """argparse is done (help printed, or a usage error): leave main() with this status."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that writes to main()'s streams and never raises SystemExit."""

    def __init__(self, *args, streams, **kw):
        super().__init__(*args, **kw)
        self.streams = streams

    def print_help(self, file=None):
        super().print_help(file or self.streams[0])

    def print_usage(self, file=None):
        super().print_usage(file or self.streams[0])

    def error(self, message):
        self.print_usage(self.streams[1])
        self.exit(2, f"{self.prog}: error: {message}\n")

    def exit(self, status=0, message=None):
        if message:
            self.streams[1].write(message)
        raise _Exit(status)


def _argument(option, message, value, col=1):
    """A ParseError about a command-line value: `--opt:1:COL:`, COL counted inside the value."""
    return ParseError(message, 1, col + len(value[col - 1:]) - len(value[col - 1:].lstrip()), option)


NUMBERS = {"seed": (int, "an integer", None),
           "jobs": (int, "an integer ≥ 1", 1),
           "deadline": (float, "a number of seconds ≥ 0", 0)}


def _numbers(a):
    """--seed, --jobs, --deadline as numbers; a bad one is an error at its option."""
    for name, (kind, what, low) in NUMBERS.items():
        value = getattr(a, name, None)
        if not isinstance(value, str):
            continue
        try:
            number = kind(value)
        except ValueError:
            number = None
        if number is None or not math.isfinite(number) or (low is not None and number < low):
            raise _argument(f"--{name}", f"expected {what}, not '{value.strip()}'", value)
        setattr(a, name, number)


def wrt_names(graph, value):
    """The names of `--wrt w,b` as the graph spells them."""
    names, col = [], 1
    for piece in value.split(","):
        name = piece.strip()
        if not name:
            raise _argument("--wrt", "expected a name", value, col)
        if name in getattr(graph, "labels", {}):
            raise _argument("--wrt", f"'{name}' is a class label: it has no gradient", value, col)
        try:
            (resolved,) = graph.resolve_wrt([name])
        except ValueError:
            raise _argument("--wrt", f"unknown name '{name}'; known names: {', '.join(graph.names)}",
                            value, col) from None
        if resolved in names:
            raise _argument("--wrt", f"'{resolved}' is given twice", value, col)
        names.append(resolved)
        col += len(piece) + 1
    return names


def read_text(path, what="file"):
    """A user file as text (`-` is stdin); undecodable bytes are a ParseError, not a traceback."""
    if path == "-":
        return sys.stdin.read()
    return files.read_text(path, MAX_FILE, what)


def load_spec(arg, scalar=False):
    """A spec from a path, `-`, or the spec text itself; every command backpropagates, so its
    output must be a scalar (and `scalar=True` asks for a spec without matrices)."""
    from derive.spec import parse_spec
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
    from derive.spec import parse_values
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
    if "e" in graph.names:      # the spec assigns or declares e: say once that it is not Euler's number
        getattr(a, "err", sys.stderr).write(_("note: e is a variable here, not Euler's number") + "\n")
    d = graph.backprop(wrt_names(graph, a.wrt) if a.wrt is not None else None)
    point = point_of(graph, a.at)
    lr = learning_rate(a.lr) if a.lr is not None else None
    try:
        if point:
            d.values(point)       # a point outside the domain is an error about the values
        return _derive_output(a, d, graph, point, lr, out)
    except DomainError as e:
        raise ParseError(f"cannot evaluate at these values: {e}", *_values_at(a)) from None


def learning_rate(value):
    """`--lr ETA` as an exact rational."""
    from derive.parse import parse_expression
    from derive.spec import ConstScope
    try:
        eta = parse_expression(value, ConstScope(), 1, 1)
    except ParseError as e:
        raise e.located("--lr") from None
    if not eta.is_Rational:
        raise _argument("--lr", f"the learning rate must be a number, not '{value.strip()}'", value)
    return eta


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
        out.write(index_form(d, latex=a.format == "latex"))
    elif a.format == "json":
        out.write(json.dumps(d.to_json(point=point, lr=lr), indent=2) + "\n")
    elif a.format == "latex":
        from derive.handout import handout_latex, spec_title
        title = a.title if a.title is not None else spec_title(_spec_text(a.spec))
        out.write(handout_latex(d, point=point, lr=lr, expand=a.expand, standalone=a.standalone,
                                title=title, lang=a.lang or "en"))
    elif a.format == "markdown":
        out.write(d.to_markdown(point=point, lr=lr, expand=a.expand))
    else:
        out.write(d.to_text(ascii=a.ascii, point=point, lr=lr, expand=a.expand))
    return 0


def _spec_text(arg):
    """The spec's text again (for its title); stdin, already read, gives none."""
    if arg == "-":
        return ""
    return read_text(arg, "spec") if os.path.exists(arg) else arg


def _common(a):
    return {"seed": a.seed, "deadline": a.deadline, "fmt": "latex" if a.latex else "plain" if a.plain else None,
            "prove": a.prove}


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
            if e.file == "--wrt":
                raise _argument("--wrt", e.message, a.wrt) from None
            raise e.located("--claim" if a.claim is not None else a.claim_file) from None
    elif a.what == "adjoints":
        r = check_adjoints(load_spec(a.spec), read_text(a.submission, "submission"), **_common(a),
                           file=a.submission)
    else:
        spec = load_spec(a.spec, scalar=True) if a.spec else None
        r = check_steps(read_text(a.derivation, "derivation"), spec, **_common(a), file=a.derivation)
    return _report(r, a, out)


def cmd_grade(a, out):
    from .grading import grade_command
    return grade_command(a, out)


def cmd_exercises(a, out):
    from .grading import exercises_command
    return exercises_command(a, out)


def cmd_hint(a, out):
    from check.hints import hint
    h = hint(load_spec(a.spec), read_text(a.submission, "submission"), level=a.level)
    out.write(json.dumps(h, indent=2, ensure_ascii=False) + "\n" if a.json else h["text"] + "\n")
    if a.record:
        note = _record_hint(a.submission, h)
        if not a.json:
            out.write(note + "\n")
    return 0


def _record_hint(path, h):
    """Writes `# hints-seen: PART=LEVEL` into the submission file (what grading charges); the
    note that says so, or why nothing was written."""
    from check.hints import recorded
    from ..i18n import _
    if path == "-":
        return _("(not recorded: the work came from stdin)")
    if path.endswith(".ipynb"):
        return _("(not recorded: in a notebook, ask for hints with %%barprop hint)")
    raw = files.read_bytes(path, MAX_FILE, "submission").decode("utf-8")
    new = recorded(raw, h["part"], h["level"])
    try:
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(new)
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror}") from None
    return _("(recorded in {file} as '{line}': grading charges the exercise's hint cost)").format(file=path, line=new.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r"))


def cmd_serve(a, out):
    try:
        port = int(a.port)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise _argument("--port", f"expected a port number from 1 to 65535, not '{a.port.strip()}'", a.port)
    try:
        from check.web.app import serve
    except ImportError:
        raise UsageError("the web page needs Flask: pip install 'barprop[web]'") from None
    try:
        serve(a.host, port)
    except OSError as e:
        raise UsageError(f"cannot listen on {a.host}:{port}: {e.strerror or e}") from None
    except KeyboardInterrupt:
        pass
    return 0


def parser(out=None, err=None):
    """The argument parser; its help goes to `out`, its usage errors to `err`."""
    make = functools.partial(_Parser, streams=(out or sys.stdout, err or sys.stderr))
    p = make(prog="barprop", description="Derive and check backprop in bar notation.")
    p.add_argument("--version", action=Version)
    sub = p.add_subparsers(dest="command", required=True, parser_class=make)
    d = sub.add_parser("derive", help="adjoint equations of a forward spec",
                       description="Build the graph of SPEC, run reverse mode symbolically, print the adjoints.")
    d.add_argument("spec", help="a .bp file, - for stdin, or the spec text")
    d.add_argument("--wrt", help="comma-separated variables (default: the spec's wrt: or every input)")
    d.add_argument("--at", help="values x=1,y=2 or a values.json file (default: the spec's at:)")
    d.add_argument("--lr", help="learning rate: add one gradient-descent step")
    d.add_argument("--format", choices=["text", "latex", "markdown", "json"], default="text",
                   help="output format (default: text)")
    d.add_argument("--expand", action="store_true", help="also print the calculus-class full expansion")
    d.add_argument("--standalone", action="store_true", help="with --format latex: a whole document")
    d.add_argument("--title", help="with --format latex: the handout's title (default: the spec's first comment)")
    d.add_argument("--graph", help="draw the graph to out.svg, out.png or out.dot")
    d.add_argument("--index-form", action="store_true", help="index form of matrix adjoints")
    d.add_argument("--emit", choices=["numpy"], help="emit code for the forward and backward pass")
    d.add_argument("--ascii", action="store_true", help="plain ASCII text (z_bar, sigma')")
    d.add_argument("--lang", choices=["en", "ko"], help="language of messages (default en)")
    d.set_defaults(run=cmd_derive)

    c = sub.add_parser("check", help="judge a claim, adjoint equations or a derivation",
                       description="Judge student work against the true gradient.")
    cs = c.add_subparsers(dest="what", required=True, parser_class=make)

    def common(q):
        q.add_argument("--json", action="store_true", help="print one JSON document")
        q.add_argument("--seed", default=0, help="seed of the random points")
        q.add_argument("--deadline", default=1.0, help="seconds for symbolic work")
        q.add_argument("--prove", action="store_true",
                       help="reduce truth − claim symbolically until --deadline (default: a small fixed budget)")
        q.add_argument("--latex", action="store_true", help="read the input as LaTeX")
        q.add_argument("--plain", action="store_true", help="read the input as plain text")
        q.add_argument("--timings", action="store_true", help="report seconds spent")
        q.add_argument("--lang", choices=["en", "ko"], help="language of messages (default en)")
        q.set_defaults(run=cmd_check)

    g = cs.add_parser("grad", help="is EXPR the gradient of the output with respect to --wrt?",
                      description="Judge one formula for d out / d wrt.")
    g.add_argument("spec", help="a .bp file, - for stdin, or the spec text")
    g.add_argument("--wrt", required=True, help="the variable the claim differentiates by")
    g.add_argument("--claim", help="the claimed formula, plain or LaTeX")
    g.add_argument("--claim-file", help="a file holding the claim (- for stdin)")
    common(g)
    j = cs.add_parser("adjoints", help="judge adjoint equations in bar notation",
                      description="Judge a file of adjoint equations, one per line.")
    j.add_argument("spec", help="a .bp file, - for stdin, or the spec text")
    j.add_argument("submission", help="a file of adjoint equations, one per line")
    common(j)
    s = cs.add_parser("steps", help="judge a step-by-step derivation",
                      description="Judge each row of a derivation against the row before it.")
    s.add_argument("derivation", help="a file of rows: dL/dw = ... starts a chain, = ... must equal the row above")
    s.add_argument("--spec", help="the forward spec: dL/dw on a left-hand side is its true gradient, "
                                  "and forward names stand for their definitions")
    common(s)

    gr = sub.add_parser("grade", help="grade a folder of submissions",
                        description="Grade every file in SUBMISSIONS against an exercise.")
    gr.add_argument("--exercise", required=True, help="an exercise id or a path to a TOML file")
    gr.add_argument("submissions", help="a folder of submissions (or one file)")
    gr.add_argument("--out", help="write results.json here")
    gr.add_argument("--csv", help="write one CSV row per student here")
    gr.add_argument("--gradescope", help="write Gradescope's results.json here")
    gr.add_argument("--seed", default=0, help="seed of the random points (default 0)")
    gr.add_argument("--jobs", default=1, help="worker processes (default 1)")
    gr.add_argument("--lang", choices=["en", "ko"], help="language of feedback (default: the exercise's lang, else en)")
    gr.add_argument("--feedback", choices=["full", "minimal"], default="full",
                    help="minimal: verdicts, scores and mistake kinds, no counterexamples")
    gr.add_argument("--report", help="write the class report (one self-contained HTML file) here")
    gr.set_defaults(run=cmd_grade)

    e = sub.add_parser("exercises", help="list, show or validate exercises",
                       description="The exercises that ship with barprop.")
    es = e.add_subparsers(dest="action", required=True, parser_class=make)
    es.add_parser("list", help="list exercise ids").set_defaults(run=cmd_exercises)
    sh = es.add_parser("show", help="print one exercise")
    sh.add_argument("id", help="an exercise id (see exercises list)")
    sh.add_argument("--format", choices=["text", "latex", "markdown"], default="text",
                    help="text: the listing; latex or markdown: the exercise sheet")
    sh.add_argument("--solution", action="store_true", help="add the reference derivation")
    sh.add_argument("--lang", choices=["en", "ko"], help="language of the sheet's headings (default: the exercise's, else en)")
    sh.set_defaults(run=cmd_exercises)
    va = es.add_parser("validate", help="validate a teacher's TOML")
    va.add_argument("path", help="a teacher's exercise TOML file")
    va.set_defaults(run=cmd_exercises)

    h = sub.add_parser("hint", help="a hint on a submission, one level at a time",
                       description="A hint on the first line that does not hold: level 1 a nudge, 2 where, "
                                   "3 which rule, 4 the fixed line. Practice by default: SUBMISSION is only read. "
                                   "With --record the level seen is written into SUBMISSION as a first line "
                                   "'# hints-seen: PART=LEVEL', which grading charges.")
    h.add_argument("spec", help="a .bp file, - for stdin, or the spec text")
    h.add_argument("submission", help="a file of adjoint equations or a derivation")
    h.add_argument("--level", type=int, choices=[1, 2, 3, 4], default=1, help="how much to give away (default 1)")
    h.add_argument("--json", action="store_true", help="print one JSON document")
    rec = h.add_mutually_exclusive_group()
    rec.add_argument("--record", action="store_true",
                     help="write '# hints-seen: PART=LEVEL' into SUBMISSION (grading charges the hint cost)")
    rec.add_argument("--self-check", action="store_true",
                     help="practice, the default: leave SUBMISSION as it is (no record, no hint cost)")
    h.set_defaults(run=cmd_hint)

    sv = sub.add_parser("serve", help="the local web page and JSON API",
                        description="Serve the checking page and its JSON API (POST /api/check) on HOST:PORT.")
    sv.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    sv.add_argument("--port", default="8000", help="port to listen on (default 8000)")
    sv.set_defaults(run=cmd_serve)
    add_autograder(sub, make)
    attach_examples(p)
    return p


def main(argv=None, out=None, err=None):
    """Run the CLI in-process; returns the exit status."""
    if argv is None:                        # the process's own command line
        atexit.unregister(_quick_exit)
        atexit.register(_quick_exit)
    out, err = out or sys.stdout, err or sys.stderr
    p = parser(out, err)
    try:
        a = p.parse_args(_values_joined(sys.argv[1:] if argv is None else list(argv), p))
    except _Exit as e:
        return e.status
    as_json = getattr(a, "json", False)
    try:
        _numbers(a)
        with language(a.lang if getattr(a, "lang", None) and a.run is not cmd_grade else None):
            a.err = err
            return a.run(a, out)            # the language is the command's, not the process's
    except ParseError as e:
        return _fail(e.to_dict(), str(e), as_json, out, err)
    except DomainError as e:
        return _fail(None, f"barprop: cannot evaluate at this point: {e}", as_json, out, err)
    except (UsageError, DrawError) as e:
        return _fail(None, f"barprop: {e}", as_json, out, err)
    except BrokenPipeError:            # `barprop ... | head`: the reader left; say nothing more
        if out is sys.stdout:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _quick_exit():
    """At the exit of a command run as a program: the interpreter's teardown ends with a garbage
    collection that walks every object SymPy made (0.07-0.09 s, a fifth of a quick check);
    frozen, they are out of its sight. Modules are still torn down, other atexit handlers and
    buffered output still run and flush, and the memory goes back with the process."""
    gc.freeze()


def _values_joined(argv, p):
    """`--claim -t*x` as `--claim=-t*x`: an option's value that starts with '-' (and is not itself
    an option) is that option's value, for every option that takes one."""
    takes, known, todo = set(), set(), [p]
    while todo:
        for action in todo.pop()._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo.extend(action.choices.values())
            known.update(action.option_strings)
            if action.option_strings and action.nargs != 0:
                takes.update(action.option_strings)
    out, i = [], 0
    while i < len(argv):
        tok = argv[i]
        if tok == "--":
            return out + argv[i:]
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if (tok in takes and nxt is not None and nxt.startswith("-") and nxt != "-"
                and nxt.split("=", 1)[0] not in known):
            out.append(f"{tok}={nxt}")
            i += 2
            continue
        out.append(tok)
        i += 1
    return out


def _fail(doc, message, as_json, out, err):
    """Bad input: the message on stderr (and as JSON on stdout with --json); exit status 2."""
    if as_json:
        doc = doc or {"error": {"message": message.removeprefix("barprop: "), "line": 0, "col": 0}}
        out.write(json.dumps(doc) + "\n")
    err.write(message + "\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
