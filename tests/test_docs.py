"""Every command shown in README.md and docs/*.md is run, and its shown output compared.

Two kinds of blocks:

- a ```console block: `$ command` lines, each followed by its output (stdout, then stderr). An
  output line `...` stands for any number of lines. `barprop ...` commands run in-process
  (the CLI's `main`); anything else runs in bash.
- a ```sh block: one bash script (`set -e`) that must succeed (it writes the files the commands
  after it use).

Each document runs in a fresh folder of its own, with `exercises/` of the repository in it, so
paths in the docs are the ones a user of a clone types. A block preceded by
`<!-- not run: REASON -->` is not run (a server, an install, a platform upload); the README's
first block is checked against .ci/run instead.

After a deliberate change of output, `python tests/test_docs.py PAGE.md ...` rewrites the shown
output of those pages' console blocks (blocks with `...` are left as they are); review the diff.
"""
import io
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

DOCS = sorted((ROOT / "docs").glob("**/*.md"))
PAGES = [ROOT / "README.md"] + DOCS
FENCE = re.compile(r"(?:<!--\s*not run:\s*(?P<why>.*?)\s*-->\s*\n)?^```(?P<kind>[\w-]*)[^\n]*\n(?P<body>.*?)^```\s*$",
                   re.S | re.M)
SHELL = re.compile(r"[|<>;&`$]|\*")


def blocks(path):
    """(line, kind, body, reason not run or None) of every fenced block."""
    text = path.read_text(encoding="utf-8")
    for m in FENCE.finditer(text):
        yield text[: m.start("body")].count("\n") + 1, m.group("kind"), m.group("body"), m.group("why")


def console_steps(body):
    """[(command, expected output lines)] of a console block."""
    steps = []
    lines = body.rstrip("\n").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        assert line.startswith("$ "), f"a console block must start with '$ ': {line!r}"
        cmd = line[2:]
        while cmd.endswith("\\"):
            i += 1
            cmd = cmd[:-1] + lines[i].strip()
        out = []
        i += 1
        while i < len(lines) and not lines[i].startswith("$ "):
            out.append(lines[i])
            i += 1
        steps.append((cmd, out))
    return steps


def matches(expected, got):
    """Lines equal, with `...` standing for any run of lines."""
    if not expected:
        return not got
    if expected[0] == "...":
        return any(matches(expected[1:], got[k:]) for k in range(len(got) + 1))
    return bool(got) and got[0] == expected[0] and matches(expected[1:], got[1:])


def run(cmd, cwd):
    """(stdout + stderr) of one shown command."""
    if cmd.startswith("barprop ") and not SHELL.search(cmd.replace("$ ", "")):
        from check.cli import main
        out, err = io.StringIO(), io.StringIO()
        old = os.getcwd()
        os.chdir(cwd)
        try:
            main(shlex.split(cmd)[1:], out, err)
        finally:
            os.chdir(old)
        return out.getvalue() + err.getvalue()
    r = subprocess.run(["bash", "-c", cmd], cwd=cwd, capture_output=True, text=True, timeout=300, env=_env())
    return r.stdout + r.stderr


def sh_steps(body):
    """A sh block as steps: each `barprop ...` command (quotes may span lines) on its own, and
    the other lines (heredocs, sed, ...) in runs for bash."""
    steps, lines, i = [], body.split("\n"), 0
    shell = []
    while i < len(lines):
        if lines[i].startswith("barprop "):
            if shell:
                steps.append("\n".join(shell))
                shell = []
            cmd = lines[i]
            while True:
                try:
                    shlex.split(cmd, comments=True)
                    break
                except ValueError:
                    i += 1
                    cmd += "\n" + lines[i]
            steps.append(cmd)
        else:
            shell.append(lines[i])
        i += 1
    if any(s.strip() for s in shell):
        steps.append("\n".join(shell))
    return steps


def run_script(script, cwd):
    """(status, output) of one sh step: `barprop ... [> FILE]` in-process, anything else in bash."""
    if script.startswith("barprop "):
        words = shlex.split(script, comments=True)
        target = None
        if ">" in words:
            k = words.index(">")
            words, target = words[:k], words[k + 1]
        if not any(w in ("|", "<", ";", "&&", "||", ">>", "2>") for w in words):
            from check.cli import main
            out, err = io.StringIO(), io.StringIO()
            old = os.getcwd()
            os.chdir(cwd)
            try:
                status = main(words[1:], out, err)
                if target:
                    Path(target).write_text(out.getvalue(), encoding="utf-8")
            finally:
                os.chdir(old)
            return status, err.getvalue() if target else out.getvalue() + err.getvalue()
    r = subprocess.run(["bash", "-ec", script], cwd=cwd, capture_output=True, text=True, timeout=300, env=_env())
    return r.returncode, r.stdout + r.stderr


def _env():
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _rel(path):
    return path.relative_to(ROOT)


@pytest.mark.parametrize("page", PAGES, ids=[str(_rel(p)) for p in PAGES])
def test_shown_commands_give_the_shown_output(page, tmp_path):
    (tmp_path / "exercises").symlink_to(ROOT / "exercises")
    ran = 0
    for k, (line, kind, body, why) in enumerate(blocks(page)):
        if page.name == "README.md" and k == 0:
            continue                      # install + tests: .ci/run runs exactly these
        if why is not None:
            assert why, f"{_rel(page)}:{line}: say why a block is not run"
            continue
        if kind == "sh":
            for script in sh_steps(body):
                status, output = run_script(script, tmp_path)
                assert status == 0, f"{_rel(page)}:{line}: `{script.strip()[:80]}` failed:\n{output}"
            ran += 1
        elif kind == "console":
            for cmd, expected in console_steps(body):
                got = run(cmd, tmp_path).rstrip("\n").split("\n")
                got = [] if got == [""] else got
                assert matches(expected, got), (f"{_rel(page)}:{line}: `{cmd}` printed\n" + "\n".join(got)
                                                + "\n--- the page shows ---\n" + "\n".join(expected))
                ran += 1
    shown = [k for k, (_, kind, _, why) in enumerate(blocks(page)) if kind in ("sh", "console") and why is None]
    assert ran >= len([k for k in shown if k or page.name != "README.md"])


def test_readme_first_block_is_what_ci_runs():
    line, kind, body, _ = next(blocks(ROOT / "README.md"))
    assert kind == "sh"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert body.strip().splitlines() and all(c in ci for c in body.strip().splitlines())


def test_mkdocs_nav_names_existing_pages_and_the_getting_started_ones():
    nav = re.findall(r":\s*([\w/.-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.M)
    assert all((ROOT / "docs" / page).exists() for page in nav)
    assert {"index.md", "students.md", "teachers.md", "cli.md", "spec.md", "notation.md", "reading.md",
            "rules.md", "exercises.md", "json.md", "web.md"} <= set(nav)


def test_mkdocs_builds_the_site_strictly(tmp_path):
    pytest.importorskip("mkdocs")
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (tmp_path / "site" / "students" / "index.html").exists()
    assert (tmp_path / "site" / "images" / "web.png").exists()


def test_links_between_pages_point_at_existing_files():
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue
            assert (page.parent / target).exists(), f"{_rel(page)}: broken link {target}"


def test_the_matcher_needs_every_shown_line():
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert matches(["a", "..."], ["a"])
    assert not matches(["a", "d"], ["a", "b", "d"])
    assert not matches(["a"], ["a", "b"])


def update(paths):
    """Rewrite the output of every console block of `paths` (blocks with `...` kept)."""
    import tempfile
    for p in paths:
        path = Path(p).resolve()
        text = path.read_text(encoding="utf-8")
        cwd = Path(tempfile.mkdtemp())
        (cwd / "exercises").symlink_to(ROOT / "exercises")
        out, last = [], 0
        for k, m in enumerate(FENCE.finditer(text)):
            kind, body, why = m.group("kind"), m.group("body"), m.group("why")
            if why is not None or (path.name == "README.md" and k == 0):
                continue
            if kind == "sh":
                for script in sh_steps(body):
                    run_script(script, cwd)
            elif kind == "console":
                steps = console_steps(body)
                fresh = "".join(f"$ {cmd}\n" + run(cmd, cwd).rstrip("\n") + "\n" for cmd, _ in steps)
                if any("..." in expected for _, expected in steps):
                    continue
                out.append(text[last:m.start("body")] + fresh)
                last = m.end("body")
        out.append(text[last:])
        path.write_text("".join(out), encoding="utf-8")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    update(sys.argv[1:])
