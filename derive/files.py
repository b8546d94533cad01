"""Reading a user's file: a size cap, UTF-8 (a BOM allowed), and errors that say where."""
from .errors import ParseError
from .names import decomposed


def read_bytes(path, cap, what="file", name=None):
    """At most `cap` bytes of `path`; too large or unreadable is a ParseError about `name`."""
    try:
        with open(path, "rb") as f:
            data = f.read(cap + 1)
    except OSError as e:
        raise ParseError(f"cannot read {what}: {e.strerror}", 0, 0, name or path) from None
    if len(data) > cap:
        raise ParseError(f"{what} larger than {cap:,} bytes", 0, 0, name or path)
    return data


def decode(data, name=None):
    """UTF-8 text with line ends as `\\n` and ȳ as y + combining macron; bad bytes say line:col."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise ParseError("not UTF-8 text", line, col, name) from None
    return decomposed(text.replace("\r\n", "\n").replace("\r", "\n"))


def read_text(path, cap, what="file", name=None):
    return decode(read_bytes(path, cap, what, name), name or path)
