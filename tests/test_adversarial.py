"""The adversarial corpus (issue #8): tests/data/adversarial.tsv, one hostile input a line.

Every case runs through the in-process CLI (`check.cli.main([...], out=..., err=...)`) and must
end within 2 s with the outcome class the corpus names: exit 2 with a `file:line:col: message`
on stderr, or a verdict. No traceback may reach the user. A subprocess then runs the code-like
cases again under a Python audit hook (`sys.addaudithook`): a `compile`/`exec` of source that
contains the user's text, a process spawn, or an `open` of the files the inputs name fails the
test, and the canary file the inputs try to create must not exist afterwards.

The corpus format (columns, `where`, `expect`, input macros) is described at the top of the
TSV file itself.
"""
import io
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT, budget, run_audited, spec_path

DATA = Path(__file__).resolve().parent / "data" / "adversarial.tsv"
REGLOG, L2 = str(spec_path("reglog")), str(spec_path("l2"))
LIMIT = 2.0
LOCATED = re.compile(r"^(?P<file>[^\n]*?):(?P<line>\d+):(?P<col>\d+): \S")

WHERES = {"claim", "claim-json", "claim-file", "latex", "adjoints", "adjoints-json", "steps", "steps-spec",
          "spec", "spec-json", "spec-latex", "at", "at-json", "matrix-at", "spec-at", "spec-grad"}
PIECES = {"spec-at": 2, "spec-grad": 3}
EXPECTS = {"error", "ok", "correct", "incorrect", "undecided", "verdict"}
NAMED = {"NUL": "\x00", "BOM": "\ufeff", "LF": "\n", "CR": "\r", "TAB": "\t", "NBSP": "\u00a0",
         "ZWJ": "\u200d", "ZWSP": "\u200b", "RLO": "\u202e"}


# --- reading the corpus -------------------------------------------------------------------------

def expand(text):
    """The corpus's input macros (see the TSV header) -> the input as a str; a raw byte «xHH»
    above 0x7f is kept as a surrogate escape, so `encode('utf-8', 'surrogateescape')` restores it."""
    out, i = [], 0
    while i < len(text):
        j = text.find("«", i)
        if j < 0:
            out.append(text[i:])
            break
        out.append(text[i:j])
        depth, k = 0, j
        while True:
            if text[k] == "«":
                depth += 1
            elif text[k] == "»":
                depth -= 1
                if depth == 0:
                    break
            k += 1
        out.append(_macro(text[j + 1:k]))
        i = k + 1
    return "".join(out)


def _macro(body):
    m = re.fullmatch(r"(\d+)([*%])(.*)", body, re.S)
    if m:
        n, inner = int(m.group(1)), expand(m.group(3))
        if m.group(2) == "*":
            return inner * n
        return "".join(inner.replace("{i}", str(i)).replace("{j}", str(i + 1)) for i in range(n))
    if re.fullmatch(r"U\+[0-9A-F]{4,6}", body):
        return chr(int(body[2:], 16))
    if re.fullmatch(r"x[0-9A-F]{2}", body):
        b = int(body[1:], 16)
        return chr(b) if b < 0x80 else chr(0xDC00 + b)
    return NAMED[body]


@dataclass(frozen=True)
class Case:
    id: str
    where: str
    expect: str
    raw: str
    note: str
    lineno: int

    @property
    def pieces(self):
        return [expand(p) for p in self.raw.split("«|»")]


def load_corpus(path=DATA):
    cases = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        assert 4 <= len(fields) <= 5, f"{path.name}:{lineno}: expected 4 or 5 tab-separated fields"
        cases.append(Case(*fields[:4], fields[4] if len(fields) == 5 else "", lineno))
    return cases


CORPUS = load_corpus()


def argv_for(case, tmp):
    """The `barprop` command line that feeds `case` to the product (files written to `tmp`)."""
    p = case.pieces
    assert len(p) == PIECES.get(case.where, 1), case

    def file(text, ext=".txt"):
        path = Path(tmp) / f"{case.id}{ext}"
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
        return str(path)

    grad = ["check", "grad", REGLOG, "--wrt", "w"]
    return {
        "claim": lambda: grad + ["--claim=" + p[0]],
        "claim-json": lambda: grad + ["--json", "--claim=" + p[0]],
        "claim-file": lambda: grad + ["--claim-file", file(p[0])],
        "latex": lambda: grad + ["--latex", "--claim=" + p[0]],
        "adjoints": lambda: ["check", "adjoints", REGLOG, file(p[0])],
        "adjoints-json": lambda: ["check", "adjoints", REGLOG, file(p[0]), "--json"],
        "steps": lambda: ["check", "steps", file(p[0])],
        "steps-spec": lambda: ["check", "steps", file(p[0]), "--spec", REGLOG],
        "spec": lambda: ["derive", file(p[0], ".bp")],
        "spec-json": lambda: ["derive", file(p[0], ".bp"), "--format", "json"],
        "spec-latex": lambda: ["derive", file(p[0], ".bp"), "--format", "latex", "--standalone"],
        "at": lambda: ["derive", REGLOG, "--at=" + p[0]],
        "at-json": lambda: ["derive", REGLOG, "--at", file(p[0], ".json")],
        "matrix-at": lambda: ["derive", L2, "--at=" + p[0]],
        "spec-at": lambda: ["derive", file(p[0], ".bp"), "--at=" + p[1]],
        "spec-grad": lambda: ["check", "grad", file(p[0], ".bp"), "--wrt", p[1], "--claim=" + p[2]],
    }[case.where]()


def run(argv):
    """(exit status, stdout, stderr, seconds) of `barprop ARGV` in-process."""
    from check.cli import main
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue(), time.perf_counter() - start


def problems(case, code, out, err, seconds):
    """What is wrong with one run (an empty list when the case behaves)."""
    bad = []
    if seconds > budget(LIMIT):
        bad.append(f"took {seconds:.2f} s")
    if "Traceback" in out or "Traceback" in err:
        bad.append("a traceback reached the user")
    expect = case.expect
    if expect == "error":
        m = LOCATED.match(err)
        if code != 2:
            bad.append(f"exit {code}, not 2")
        elif not m:
            bad.append("stderr is not file:line:col: message")
        elif int(m.group("line")) < 1 or int(m.group("col")) < 1:
            bad.append(f"position {m.group('line')}:{m.group('col')} is not a line and column")
        if case.where in ("claim-json", "adjoints-json") and code == 2:
            try:
                e = json.loads(out)["error"]
                assert e["line"] >= 1 and e["col"] >= 1 and e["message"]
            except (ValueError, KeyError, TypeError, AssertionError):
                bad.append(f"--json printed no JSON error document with a position: {out[:200]!r}")
    elif expect == "ok":
        if code != 0:
            bad.append(f"exit {code}, not 0")
    elif expect == "verdict":
        if code not in (0, 1, 3):
            bad.append(f"exit {code}, not a verdict")
    else:
        want = {"correct": 0, "incorrect": 1, "undecided": 3}[expect]
        word = {"correct": "correct", "incorrect": "incorrect", "undecided": "needs review"}[expect]
        if code != want or word not in out:
            bad.append(f"exit {code}, not {want} ({expect})")
    return bad


def show(case, code, out, err, seconds):
    return (f"{case.id} ({DATA.name}:{case.lineno}, {case.where}, expect {case.expect}): exit {code} "
            f"in {seconds:.2f} s\n  stderr: {err[:300]!r}\n  stdout: {out[:300]!r}")


@pytest.fixture(scope="module", autouse=True)
def warm():
    """Imports and grammars are built once, so no case is charged for them."""
    for argv in (["check", "grad", REGLOG, "--wrt", "w", "--claim=x*w"],
                 ["check", "grad", REGLOG, "--wrt", "w", "--latex", "--claim=\\lambda w"],
                 ["derive", REGLOG, "--format", "json"], ["derive", L2, "--at=W=[[1, 2], [3, 4]]"]):
        run(argv)


# --- the corpus itself --------------------------------------------------------------------------

def test_corpus_is_well_formed_and_large_enough():
    ids = [c.id for c in CORPUS]
    assert len(CORPUS) >= 200
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for c in CORPUS:
        assert c.where in WHERES, c
        assert c.expect in EXPECTS, c
        assert len(c.pieces) == PIECES.get(c.where, 1), c


def test_corpus_covers_what_issue_8_lists():
    texts = {c.id: "".join(c.pieces) for c in CORPUS}
    every = "\n".join(texts.values())
    for needle in ["__import__('os').system('touch CANARY')", "().__class__.__mro__", "lambda x: x",
                   "x.__class__", 'f"{x}"', 'exec("', "eval(", "open('/etc/passwd')", "9^9^9^9", "10^10^10",
                   "2^(2^(2^(2^(2^9))))", "x!", "gamma(1000)", "(" * 100_000, "\x00", "\ufeff", "\r\n",
                   "\u0430", "\u03bf", "\uff10\uff11", "\u00a0", "\u200d", "\u202e", "x+" * 100_000, "nan",
                   "inf", "1e999", "\\input{/etc/passwd}", "\\write18", "\\def", "\\csname", "{" * 100_000,
                   "x^{99999}", "sigma(" * 1000]:
        assert needle in every, needle
    assert any(len(t.encode("utf-8", "surrogateescape")) >= 10_000_000 for t in texts.values())
    assert any("\udcff" in t for t in texts.values())                      # invalid UTF-8
    wheres = {c.where for c in CORPUS}
    assert {"claim", "claim-file", "latex", "adjoints", "steps", "spec", "at", "at-json"} <= wheres
    assert {"", "# only a comment\n"} & {t for t in texts.values()}


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_case(case, tmp_path):
    argv = argv_for(case, tmp_path)
    code, out, err, seconds = run(argv)
    bad = problems(case, code, out, err, seconds)
    assert not bad, "; ".join(bad) + "\n" + show(case, code, out, err, seconds)


def test_errors_point_at_the_offending_character(tmp_path):
    by = {c.id: c for c in CORPUS}
    where = {}
    for cid in ["uni-cyrillic-a", "enc-nul-adj", "enc-utf8-adj", "num-tower-9", "uni-rlo",
                "big-parens-1000", "enc-crlf-error-line", "uni-nbsp", "at-nul"]:
        code, out, err, _ = run(argv_for(by[cid], tmp_path))
        assert code == 2, (cid, err)
        m = LOCATED.match(err)
        where[cid] = (int(m.group("line")), int(m.group("col")), err)
    assert where["uni-cyrillic-a"][:2] == (1, 22) and "\u0430" in where["uni-cyrillic-a"][2]
    assert where["enc-nul-adj"][0] == 2
    assert where["enc-utf8-adj"][:2] == (2, 9)
    assert where["num-tower-9"][0] == 1 and "exponent" in where["num-tower-9"][2]
    assert where["uni-rlo"][:2] == (1, 3)
    assert where["enc-crlf-error-line"][0] == 2
    assert where["uni-nbsp"][:2] == (1, 18)
    # the message names an invisible character instead of printing it
    assert "\u202e" not in where["uni-rlo"][2] and "U+202E" in where["uni-rlo"][2]
    assert "U+00A0" in where["uni-nbsp"][2]


# --- nothing the user wrote is executed (a subprocess with an audit hook) -------------------------

CODE_LIKE = [c for c in CORPUS if c.id.startswith(("py-", "tex-"))]
SELFTEST = "0 if 'selftest needle' else 1"


@pytest.fixture(scope="module")
def hooked(tmp_path_factory):
    d = tmp_path_factory.mktemp("hooked")
    work = d / "work"
    work.mkdir()
    jobs = [argv_for(c, d) for c in CODE_LIKE] + [["__selftest__", SELFTEST]]
    warm = [["check", "grad", REGLOG, "--wrt", "w", "--claim=x*w"],
            ["check", "grad", REGLOG, "--wrt", "w", "--claim=x.y"],
            ["check", "grad", REGLOG, "--wrt", "w", "--latex", "--claim=\\lambda w"],
            ["check", "grad", REGLOG, "--wrt", "w", "--json", "--claim=(y-t)*sigma(z)*x"],
            ["derive", REGLOG, "--format", "latex", "--standalone"],
            ["derive", REGLOG, "--format", "json"], ["derive", REGLOG, "--at", "w=1"]]
    needles = sorted({p for c in CODE_LIKE for p in c.pieces if len(p) >= 6}
                     | {"touch CANARY", "__subclasses__", "__mro__", "selftest needle"})
    proc, doc = run_audited(d, warm, jobs, needles, cwd=work)
    n = len(CODE_LIKE)
    return {"results": doc["results"][:n], "selftest": [v for v in doc["violations"] if v[0] == n],
            "violations": [v for v in doc["violations"] if v[0] != n], "stderr": proc.stderr,
            "work": work, "dir": d}


def test_the_audit_hook_sees_a_compile_of_user_text(hooked):
    assert hooked["selftest"] and hooked["selftest"][0][1] == "compile"


def test_no_user_text_is_compiled_executed_opened_or_spawned(hooked):
    named = [(CODE_LIKE[v[0]].id, *v[1:]) for v in hooked["violations"]]
    assert named == []
    assert "Traceback" not in hooked["stderr"]


def test_the_canary_is_never_created(hooked):
    for where in (hooked["work"], hooked["dir"], ROOT, Path.cwd()):
        assert not (where / "CANARY").exists(), where


@pytest.mark.parametrize("index", range(len(CODE_LIKE)), ids=[c.id for c in CODE_LIKE])
def test_code_like_case_in_a_fresh_process(hooked, index):
    case, r = CODE_LIKE[index], hooked["results"][index]
    assert r["code"] != "exception", r["err"]
    bad = problems(case, r["code"], r["out"], r["err"], r["seconds"])
    assert not bad, "; ".join(bad) + "\n" + show(case, r["code"], r["out"], r["err"], r["seconds"])


if __name__ == "__main__":          # python tests/test_adversarial.py [ID-PREFIX]: a quick report
    import tempfile
    sys.stdout.reconfigure(errors="backslashreplace")
    with tempfile.TemporaryDirectory() as tmp:
        run(["check", "grad", REGLOG, "--wrt", "w", "--claim=x*w"])
        for c in CORPUS:
            if len(sys.argv) > 1 and not c.id.startswith(sys.argv[1]):
                continue
            try:
                code, out, err, seconds = run(argv_for(c, tmp))
            except BaseException as e:
                code, out, err, seconds = "exception", "", f"{type(e).__name__}: {e}"[:300], 0.0
            bad = problems(c, code, out, err, seconds)
            if bad:
                print("FAIL", "; ".join(bad), "::", show(c, code, out, err, seconds).replace("\n", " "))
