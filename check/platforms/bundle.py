"""What both platform outputs carry: barprop itself as a wheel, and the exercise.

The wheel is built from the installed packages (whatever installed them: a checkout, an
editable install, a wheel), so `barprop autograder` works without the source tree, a build
tool or the network. Its bytes depend only on the installed files (fixed timestamps, sorted
entries), so the same install writes the same bundle.
"""
import base64
import hashlib
import importlib.metadata
import json
import os
import shutil
import zipfile

import exercises as _exercises

DIST = "barprop"
PACKAGES = ("derive", "check", "exercises")
EPOCH = (1980, 1, 1, 0, 0, 0)


# the end of both grader scripts: grade, and if barprop wrote no results (it could not run at all),
# write the platform's "0, and it is not your fault" document; never fail the platform's job
GRADE = """mkdir -p "{results}"
rm -f "{results}/results.json"
"$PY" -I -m check.platforms.{platform} --exercise {exercise} --seed {seed}
if [ ! -s "{results}/results.json" ]; then
    cat > "{results}/results.json" <<'JSON'
{fallback}
JSON
fi
exit 0
"""


def grader_script(head, platform, results, exercise, seed, fallback):
    """A platform's grader script: its own `head` (what it is, where Python is), then GRADE."""
    return head + GRADE.format(platform=platform, results=results, exercise=exercise, seed=int(seed),
                               fallback=json.dumps(fallback))


def write_results(folder, doc):
    """`doc` as `folder`/results.json, the way both platforms read it."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "results.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


class BundleError(Exception):
    """barprop cannot be packed (not installed as a distribution), or the exercise not copied."""
SKIP_DIRS = {"__pycache__"}
SKIP_SUFFIXES = (".pyc", ".pyo")


def _dist():
    """The installed distribution: an installer's .dist-info before a build's stray .egg-info
    (which a checkout's working folder may hold, stale, ahead of site-packages)."""
    found = list(importlib.metadata.distributions(name=DIST))
    installed = [d for d in found if d.read_text("METADATA") is not None]
    return (installed or found or [None])[0]


def version():
    """barprop's version, from the installed distribution's metadata."""
    dist = _dist()
    return dist.version if dist is not None else "0+unknown"


def wheel_name():
    return f"{DIST}-{version()}-py3-none-any.whl"


def _package_files():
    """(path in the wheel, bytes) for every file of the three packages, sorted."""
    import importlib
    out = []
    for name in PACKAGES:
        root = os.path.dirname(importlib.import_module(name).__file__)
        for top, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
            for f in sorted(files):
                if f.endswith(SKIP_SUFFIXES) or f.startswith("."):
                    continue
                path = os.path.join(top, f)
                if os.path.islink(path):
                    continue
                rel = os.path.relpath(path, os.path.dirname(root)).replace(os.sep, "/")
                with open(path, "rb") as fh:
                    out.append((rel, fh.read()))
    return sorted(out)


def _metadata():
    """METADATA and entry_points.txt of the installed distribution."""
    dist = _dist()
    if dist is None:
        raise BundleError("barprop is not installed as a package (pip install barprop), so it cannot be "
                          "put into the bundle")
    meta = dist.read_text("METADATA") or dist.read_text("PKG-INFO")
    entry = dist.read_text("entry_points.txt") or "[console_scripts]\nbarprop = check.cli:main\n"
    return meta, entry


def _digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def write_wheel(folder):
    """A py3-none-any wheel of the installed barprop in `folder`; returns its path."""
    name = wheel_name()
    info = f"{DIST}-{version()}.dist-info"
    meta, entry = _metadata()
    wheel = ("Wheel-Version: 1.0\nGenerator: barprop autograder\nRoot-Is-Purelib: true\n"
             "Tag: py3-none-any\n")
    entries = _package_files() + [(f"{info}/METADATA", meta.encode()),
                                  (f"{info}/WHEEL", wheel.encode()),
                                  (f"{info}/entry_points.txt", entry.encode())]
    record = "".join(f"{p},{_digest(d)},{len(d)}\n" for p, d in entries) + f"{info}/RECORD,,\n"
    entries.append((f"{info}/RECORD", record.encode()))
    path = os.path.join(folder, name)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for p, d in entries:
            add(z, p, d)
    return path


def add(z, name, data, mode=0o644):
    """One zip entry with a fixed timestamp and Unix mode bits."""
    zi = zipfile.ZipInfo(name, EPOCH)
    zi.external_attr = (0o100000 | mode) << 16
    zi.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(zi, data)


def copy_exercise(exercise_arg, folder):
    """How the bundle names the exercise: its id when it ships with barprop (the wheel has it),
    else the teacher's TOML and its spec_file copied under `folder` (paths kept relative to
    each other); returns ("id", ID) or ("file", path relative to `folder`)."""
    ex = _exercises.load(exercise_arg)
    if isinstance(exercise_arg, str) and not os.path.isfile(exercise_arg) and exercise_arg == ex.id:
        return "id", ex.id
    toml = os.path.abspath(ex.path)
    spec = os.path.abspath(ex.spec_origin) if ex.spec_file else None
    base = os.path.dirname(toml) if spec is None else os.path.commonpath([os.path.dirname(toml), spec])
    rel_toml = os.path.join(os.path.relpath(os.path.dirname(toml), base), "exercise.toml")
    for src, rel in [(toml, rel_toml)] + ([(spec, os.path.relpath(spec, base))] if spec else []):
        dst = os.path.normpath(os.path.join(folder, rel))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)
    rel_toml = os.path.normpath(rel_toml)
    copied = _exercises.load(os.path.join(folder, rel_toml))
    if (copied.spec, copied.parts, copied.id) != (ex.spec, ex.parts, ex.id):
        raise BundleError(f"the exercise copied into the bundle does not read as {ex.path} does")
    return "file", rel_toml.replace(os.sep, "/")
