"""Plain lines into rows, and what a student writes around them that is not math: phone and IME
characters (full-width `＝（）`, `−`, `’`), bullets and numbering (`1)`, `(1)`, `①`, `-`), prose
labels (`수정:`, `Answer:`), prose after the math (`(곱셈 노드)`, `이므로`) and prose lines. Every
change keeps each character's column, so errors still point into the student's text."""
import re

from derive.names import GREEK_NAMES
from derive.rules import SPELLINGS

from .row import Row

# Characters typed on phones and with input methods, each replaced by one ASCII character.
_ONE = {"\u3000": " ", "\u00a0": " ", "\u2212": "-", "\u2013": "-", "\u2019": "'", "\u2018": "'",
        "\u2032": "'", "\u02b9": "'", "\u00b4": "'", "\u2217": "*", "\u22c5": "*", "\u201c": '"',
        "\u201d": '"'}
_PLAIN_ONE = {"\u2218": "*", "\u2299": "*", "\u00b7": "*", "\u00d7": "*"}


def normalized(text, fmt):
    """`text` with full-width forms, typographic primes and minus signs, and (in plain text) the
    product signs `·×∘⊙` as ASCII, one character for one; `𝟙(...)` is `[...]`."""
    table = _ONE if fmt == "latex" else {**_ONE, **_PLAIN_ONE}
    chars = []
    for ch in text:
        o = ord(ch)
        if 0xFF01 <= o <= 0xFF5E:
            ch = chr(o - 0xFEE0)
        chars.append(table.get(ch, ch))
    if "\U0001d7d9" in text:
        _indicators(chars)
    return "".join(chars)


def _indicators(chars):
    """`𝟙[...]` and `𝟙(...)` as Iverson brackets `[...]`."""
    for i, ch in enumerate(chars):
        if ch != "\U0001d7d9":
            continue
        chars[i] = " "
        j = i + 1
        while j < len(chars) and chars[j] == " ":
            j += 1
        if j < len(chars) and chars[j] == "(":
            close = _closing(chars, j)
            if close is not None:
                chars[j], chars[close] = "[", "]"


def _closing(chars, j):
    depth = 0
    for k in range(j, len(chars)):
        depth += chars[k] in "([{"
        depth -= chars[k] in ")]}"
        if depth == 0:
            return k
    return None


_DASH = re.compile(r"[ \t]*[-*+•◦▪]\s+(?=.*=)")
_BULLET = re.compile(r"[ \t]*(?:[•◦▪]\s+|\(?[0-9]{1,3}[.)]\s+|\([0-9]{1,3}\)\s*|\(?[a-h][)]\s+"
                     r"|[\u2460-\u2473\u2776-\u277f]\s*|(?:∴|∵|=>|⇒|→)\s*)")
_FOREIGN = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\u3040-\u30ff\u4e00-\u9fff]")
_LABEL = re.compile(r"[ \t]*(?:[^\s=:$\\()\[\]]*[\u1100-\uffef][^=:$\\]*?|[A-Za-z][A-Za-z]+(?:[ \t]+[A-Za-z0-9]+){0,3})"
                    r"[ \t]*[:：][ \t]*(?=\S)")
_WORD = re.compile(r"[A-Za-z]{2,}")
_KNOWN_WORDS = frozenset(SPELLINGS) | frozenset(GREEK_NAMES) | {"np", "dot", "sum", "axis", "keepdims", "maximum",
                                                               "bar", "grad", "dout", "out"}
_REMARK = re.compile(r"[ \t]*\(\s*([A-Za-z][A-Za-z' ,.\-]*)\)[ \t.,;]*$")
_PROSE_RUN = re.compile(r"(?<![\w.'])[A-Za-z]{2,}[ \t]+[A-Za-z]{2,}[ \t]+[A-Za-z]{2,}(?![\w(])")


def _blank(line, a, b):
    return line[:a] + " " * (b - a) + line[b:]


def strip_lead(line, latex=False):
    """`line` with a leading bullet, number, `∴` or prose label (`수정:`, `Answer:`) blanked (in
    LaTeX a leading `-` is a minus sign)."""
    for _ in range(3):
        m = _BULLET.match(line) or _LABEL.match(line) or (None if latex else _DASH.match(line))
        if m is None or m.end() == 0:
            break
        line = _blank(line, 0, m.end())
    m = re.match(r"[ \t]*(?:\S*" + _FOREIGN.pattern + r"\S*[ \t]+)+", line)
    if m and line[m.end():].strip():
        line = _blank(line, 0, m.end())
    return line


def strip_trail(line, latex=False):
    """`line` without prose after its math: from the first Korean/CJK letter (with the bracket
    it opens in) and a closing remark in English words (`(fan-out)`, `(chain rule)`)."""
    m = _FOREIGN.search(line)
    if m:
        cut, stack = m.start(), []
        for i, ch in enumerate(line[:cut]):
            if ch in "([{":
                stack.append(i)
            elif ch in ")]}" and stack:
                stack.pop()
        if not (latex and any(line[i] == "{" for i in stack)):
            line = line[:stack[0] if stack else cut]
    m = _REMARK.search(line)
    if m and _is_remark(m.group(1)):
        line = line[:m.start()]
    return line.rstrip()


def _is_remark(inner):
    words = _WORD.findall(inner)
    unknown = [w for w in words if w.lower() not in _KNOWN_WORDS]
    return bool(unknown) and (len(words) >= 2 and " " in inner.strip() or re.search(r"[A-Za-z]{2,}-[A-Za-z]{2,}", inner))


def is_prose(body):
    """A line without `=` that is words, not math: Korean/CJK, a sentence, or a heading ending in ':'."""
    s = body.strip()
    if not s:
        return True
    if _FOREIGN.search(s) or s.endswith((":", "：")):
        return True
    for m in _PROSE_RUN.finditer(s):
        if any(w.lower() not in _KNOWN_WORDS for w in m.group().split()):
            return True
    return False


def _lead_words(lhs):
    """How many characters of prose words (`so the gradient`) come before a one-name left-hand side."""
    m = re.match(r"((?:[ \t]*[A-Za-z]{2,}[ \t]+)+)(?=\S+[ \t]*$)", lhs)
    if m and all(w.lower() not in _KNOWN_WORDS for w in m.group(1).split()):
        return m.end(1)
    return 0


def plain_rows(text, code=False):
    """Rows of a plain block: `#` comments, prose and bullets dropped; `lhs = rhs`, `= rhs` or a
    bare expression per line. In code (a notebook's code cell, a python block) only lines with `=`."""
    out = []
    for no, raw in enumerate(text.split("\n"), 1):
        body = raw.split("#", 1)[0]
        if not body.strip() or body.strip().startswith(("```", "~~~")):
            continue
        body = strip_trail(strip_lead(body.replace("`", " ")))
        stripped = body.lstrip()
        indent = len(body) - len(stripped)
        if stripped.startswith("="):
            out.append(Row(no, indent + 2, None, stripped[1:]))
            continue
        i = top_level_eq(body)
        if i is None:
            if code or is_prose(body):
                continue
            out.append(Row(no, indent + 1, "", stripped, bare=True))
            continue
        lead = _lead_words(body[:i])
        lhs = body[lead:i]
        out.append(Row(no, i + 2, lhs.strip(), body[i + 1:], no, lead + len(lhs) - len(lhs.lstrip()) + 1))
    return out


def top_level_eq(s):
    """Index of the first `=` outside brackets that is not part of `<=`, `>=`, `!=`, `==`."""
    depth = 0
    for i, ch in enumerate(s):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif (ch == "=" and depth <= 0 and s[i - 1:i] not in ("<", ">", "!", "=", "+", "-", "*", "/")
              and s[i + 1:i + 2] != "="):
            return i
    return None
