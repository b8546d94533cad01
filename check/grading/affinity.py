"""Students who hand in the same answer go to the same worker, together: a class repeats its
answers, and a worker remembers the answers it has judged (parts.py), so each answer is judged
once per run instead of once per worker. The grouping decides only who grades whom, never a
result: any student may land anywhere and gets the same bytes."""
import hashlib
import re

GROUP = 256          # students at most in one task (a task's results travel back together)
READ_BYTES = 1 << 16  # enough of a file to tell answers apart; the rest only makes keys unique

_COMMENT = re.compile(rb"\s*(#|%|<!--|//)")
_MARKER = re.compile(rb"part\s*:", re.I)


def answer_key(path):
    """A digest of the file with comment-only lines blanked (they are not rows; `# part: ID` is
    kept), so two students who differ only by a comment naming themselves share a key."""
    try:
        with open(path, "rb") as f:
            data = f.read(READ_BYTES + 1)
    except OSError:
        return b"unreadable:" + str(path).encode("utf-8", "backslashreplace")
    if len(data) > READ_BYTES:
        return b"long:" + str(path).encode("utf-8", "backslashreplace")
    lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    kept = [b"" if _COMMENT.match(l) and not _MARKER.search(l) else l.rstrip() for l in lines]
    while kept and not kept[-1]:
        kept.pop()
    return hashlib.blake2b(b"\n".join(kept), digest_size=16).digest()


def tasks(work, path_of, size=None):
    """`work` cut into tasks: the students of one key together (at most `size` a task), every
    key's first task before any key's second, keys in the order of their first student."""
    size = size or GROUP
    groups = {}
    for w in work:
        groups.setdefault(answer_key(path_of(w)), []).append(w)
    chunked = [[g[i:i + size] for i in range(0, len(g), size)] for g in groups.values()]
    return [c[k] for k in range(max(map(len, chunked), default=0)) for c in chunked if k < len(c)]
