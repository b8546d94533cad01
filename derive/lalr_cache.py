"""Lark LALR parsers built once per grammar and kept in the user's cache directory.

Building a parser's tables costs 0.1-0.25 s per grammar, more than the rest of a quick
`barprop check grad`. The tables (Lark's own serialised form: dicts, lists, tuples, strings and
numbers) are stored with `marshal`, which rebuilds those literals and never runs code. A file is
named by a hash of the grammar, its options and the Lark and Python versions, so an edited
grammar or an upgrade gets a fresh file; it is written to a temporary name and renamed into place
(readers see a whole file or none), and a file that is absent, unreadable or not what we wrote
is ignored: the parser is then built from the grammar, as without a cache.
`BARPROP_CACHE_DIR` chooses the directory; `BARPROP_CACHE_DIR=""` turns the cache off."""
import hashlib
import marshal
import os
import sys
import tempfile

import lark
from lark import Lark
from lark.grammar import Rule
from lark.lexer import TerminalDef

_FORMAT = 1
_CUSTOM_LEXER = "<custom lexer>"


def cache_dir():
    """The directory of cached tables, or None when caching is off."""
    chosen = os.environ.get("BARPROP_CACHE_DIR")
    if chosen is not None:
        return chosen or None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "barprop")


def _key(grammar, options):
    shown = sorted((k, getattr(v, "__qualname__", v)) for k, v in options.items())
    text = repr((_FORMAT, grammar, shown, lark.__version__, sys.version_info[:2], marshal.version))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def lalr(grammar, name, transformer=None, **options):
    """`Lark(grammar, parser="lalr", transformer=..., **options)`, its tables read from the cache
    when a file for exactly this grammar and these options is there, and written there when not."""
    options = dict(options, parser="lalr")
    folder = cache_dir()
    path = os.path.join(folder, f"{name}-{_key(grammar, options)}.tables") if folder else None
    if path:
        parser = _load(path, transformer, options)
        if parser is not None:
            return parser
    parser = Lark(grammar, transformer=transformer, **options)
    if path:
        _save(path, parser)
    return parser


def _load(path, transformer, options):
    try:
        with open(path, "rb") as f:
            stored = marshal.loads(f.read())
        data, memo = stored["data"], stored["memo"]
        if stored.get("format") != _FORMAT:
            return None
        if data["options"].get("lexer") == _CUSTOM_LEXER:
            data["options"]["lexer"] = data["parser"]["lexer_conf"]["lexer_type"] = options["lexer"]
        return Lark._load_from_dict(data, memo, transformer=transformer)
    except Exception:        # absent, torn, from another writer or version: build it instead
        return None


def _save(path, parser):
    try:
        data, memo = parser.memo_serialize([TerminalDef, Rule])
        options = dict(data["options"], transformer=None)     # copies: the live parser's otherwise
        lexer_conf = dict(data["parser"]["lexer_conf"])
        if not isinstance(options.get("lexer"), str):
            options["lexer"] = lexer_conf["lexer_type"] = _CUSTOM_LEXER
        data = dict(data, options=options, parser=dict(data["parser"], lexer_conf=lexer_conf))
        blob = marshal.dumps({"format": _FORMAT, "data": data, "memo": memo})
        folder = os.path.dirname(path)
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tables-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except (OSError, ValueError):    # read-only home, full disk, unmarshallable: run uncached
        pass
