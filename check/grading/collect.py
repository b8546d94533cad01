"""The submissions to grade: every regular file of a folder (one student each), never a link or
a subfolder."""
import os





class GradeError(ValueError):
    """The exercise or the submissions folder itself is bad (exit 2)."""


def collect(paths):
    """([(student, path)] sorted by name, skipped names sorted, single-file?)."""
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise GradeError("no submissions given")
    files, skipped = {}, []
    for p in paths:
        if os.path.isdir(p):
            try:
                entries = sorted(os.scandir(p), key=lambda e: e.name)
            except OSError as e:
                raise GradeError(f"cannot read folder {p}: {e.strerror}") from None
            for e in entries:
                if e.is_symlink():
                    skipped.append(_shown(e.name) + ("/" if e.is_dir() else ""))
                elif e.is_dir(follow_symlinks=False):
                    skipped.append(_shown(e.name) + "/")
                elif not e.is_file(follow_symlinks=False) or e.name.startswith("."):
                    skipped.append(_shown(e.name))
                else:
                    _add(files, _shown(e.name), e.path)
        elif os.path.isfile(p):
            _add(files, _shown(os.path.basename(p)), p)
        elif os.path.lexists(p):
            raise GradeError(f"not a file or folder: {p}")
        else:
            raise GradeError(f"no such file or folder: {p}")
    single = len(paths) == 1 and not os.path.isdir(paths[0])
    return sorted(files.items()), sorted(skipped), single


def _shown(name):
    """A file name as text: bytes that are not UTF-8 shown as \\xNN."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _add(files, name, path):
    if name in files:
        raise GradeError(f"two submissions named '{name}': {files[name]} and {path}")
    files[name] = path
