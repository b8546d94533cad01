"""Plain lines into rows, and what a student writes around them that is not math: phone and IME
characters (full-width `＝（）`, `−`, `’`), bullets and numbering (`1)`, `(1)`, `①`, `-`), prose
labels (`수정:`, `Answer:`), prose after the math (`(곱셈 노드)`, `이므로`) and prose lines. Every
change keeps each character's column, so errors still point into the student's text."""
import re

from derive.names import GREEK_NAMES
from derive.rules import SPELLINGS

from .inplace import closing, remember, step
from .row import Row

# Characters typed on phones and with input methods, each replaced by one ASCII character
# (full-width signs and brackets too; full-width letters and digits stay errors, as does NBSP).
_ONE = {"\u3000": " ", "\u2212": "-", "\u2013": "-", "\u2019": "'", "\u2018": "'",
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
        if 0xFF01 <= o <= 0xFF5E and not chr(o - 0xFEE0).isalnum():
            ch = chr(o - 0xFEE0)
        elif 0x2080 <= o <= 0x2089:
            ch = chr(o - 0x2080 + 48)          # w₀ is w0
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
            close = closing(chars, j)
            if close is not None:
                chars[j], chars[close] = "[", "]"



_DASH = re.compile(r"[ \t]*[-*+•◦▪]\s+(?=.*=)")
_BULLET = re.compile(r"[ \t]*(?:[•◦▪]\s+|\(?[0-9]{1,3}[.)]\s+|\([0-9]{1,3}\)\s*|\(?[a-h][)]\s+"
                     r"|[\u2460-\u2473\u2776-\u277f]\s*|(?:∴|∵|=>|⇒|→)\s*"
                     r"|\\(?:therefore|because|Rightarrow|implies|Longrightarrow)(?![A-Za-z])\s*)")
_FOREIGN = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\u3040-\u30ff\u4e00-\u9fff]")
_LABEL = re.compile(r"[ \t]*(?:[^=:$\\\n]*[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\u3040-\u30ff\u4e00-\u9fff]"
                    r"[^=:$\\\n]*|(?i:answer|ans|solution|sol|correction|corrected|fixed|fix|final(?:[ \t]+answer)?"
                    r"|result|note|therefore|thus|hence|so|then|proof|step[ \t]*\d*|part[ \t]*\w{0,3}"
                    r"|problem[ \t]*\d*|q[ \t]*\d+|backward(?:[ \t]+pass)?|forward(?:[ \t]+pass)?))"
                    r"[ \t]*[:：][ \t]*(?=\S)")
_WORD = re.compile(r"[A-Za-z]{2,}")
_KNOWN_WORDS = frozenset(SPELLINGS) | frozenset(GREEK_NAMES) | {"np", "dot", "sum", "axis", "keepdims", "maximum",
                                                               "bar", "grad", "dout", "out"}
_REMARK = re.compile(r"[ \t]*\(\s*([A-Za-z][A-Za-z' ,.:;\-]*)\)[ \t.,;]*$")
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


_KO_OTHERWISE = r"(?:그\s*외(?:의\s*경우)?|나머지(?:\s*경우)?|그렇지\s*않으면)"
_OTHERWISE_KO = re.compile(_KO_OTHERWISE + r"\s*[.,]?\s*(?=\\\\|\\end\s*\{\s*d?cases|$)")
_CASES_OTHERWISE = re.compile(r"&\s*(?:\\(?:text|textrm|mbox)\s*\{\s*)?" + _KO_OTHERWISE)


def strip_trail(line, latex=False):
    """`line` without prose after its math: from the first Korean/CJK letter (with the bracket
    it opens in) and a closing remark in English words (`(fan-out)`, `(chain rule)`). In LaTeX a
    Korean `otherwise` of a cases branch (`0 & 그 외 \\end{cases}`) is the branch's, not prose."""
    m = _FOREIGN.search(line)
    while m and latex and re.search(r"&\s*$", line[:m.start()]) and _OTHERWISE_KO.match(line, m.start()):
        m = _FOREIGN.search(line, _OTHERWISE_KO.match(line, m.start()).end())
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


_LATEX_PROSE = re.compile(r"\s*\\(?:(?:sub)*section|paragraph|chapter|title|author|date|maketitle|noindent|item"
                          r"|textbf|textit|emph|text|hline|newpage|vspace|medskip|bigskip|smallskip|centering"
                          r"|(?:begin|end)\s*\{\s*(?:itemize|enumerate|center|flushleft|figure|table|tabular|abstract))"
                          r"(?![A-Za-z])")


def is_prose(body):
    """A line without `=` that is words, not math: Korean/CJK, a sentence, a heading ending in ':',
    or a LaTeX sectioning or text command (`\\section*{문제 1}`)."""
    s = body.strip()
    if not s or _LATEX_PROSE.match(s):
        return True
    if "&" in s:
        s = _CASES_OTHERWISE.sub("&", s)          # `0 & 그 외`: a branch of cases, not prose
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
    bare expression per line. In code (a notebook's code cell, a python block) only lines with `=`,
    and numpy's in-place changes go into the row that assigned the name (inplace.py)."""
    out, assigned = [], {}
    for no, raw in enumerate(text.split("\n"), 1):
        body = raw.split("#", 1)[0]
        if not body.strip() or body.strip().startswith(("```", "~~~")):
            continue
        if code and step(no, body, out, assigned):
            continue
        first = len(out)
        if top_level_eq(body) is None and not body.lstrip().startswith("=") and is_prose(body):
            continue
        body = strip_trail(strip_lead(body.replace("`", " ")))
        stripped = body.lstrip()
        indent = len(body) - len(stripped)
        if stripped.startswith("="):
            out.extend(_continued(no, body, indent + 1))
            continue
        i = top_level_eq(body)
        if i is None:
            if code or is_prose(body):
                continue
            out.append(Row(no, indent + 1, "", stripped, bare=True))
            continue
        lead = _lead_words(body[:i])
        for piece, start in _pieces(body):
            out.extend(_chain(no, piece, start, lead if start == 0 else 0))
        if code:
            remember(out, first, assigned)
    return out


def _continued(no, body, pos):
    """`= a = b` (the `=` at index pos - 1): continuation rows only."""
    out = []
    while True:
        j = top_level_eq(body[pos:])
        end = len(body) if j is None else pos + j
        out.append(Row(no, pos + 1, None, body[pos:end]))
        if j is None:
            return out
        pos = end + 1


def _links(text):
    """The pieces of `a = b = c` between top-level `=`s."""
    out = []
    while True:
        j = top_level_eq(text)
        if j is None:
            return out + [text]
        out.append(text[:j])
        text = text[j + 1:]


def _pieces(body):
    """`x = -2, y = 5; z = -4`: the equations of a line, cut at a top-level `,` or `;` after which
    the next piece has its own `=`; [(text, start)]."""
    cuts, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch in ",;" and depth == 0:
            rest = body[i + 1:]
            nxt = re.split(r"[,;]", rest, maxsplit=1)[0]
            if top_level_eq(body[start:i]) is not None and top_level_eq(nxt) is not None:
                cuts.append((body[start:i], start))
                start = i + 1
    cuts.append((body[start:], start))
    return cuts


def _chain(no, text, start, lead):
    """One equation `lhs = a = b`: the row `lhs = a` and the continuations `= b` (one row when a
    link is empty, `x = = 1`: one line, one error)."""
    out, pos, first = [], 0, True
    i = top_level_eq(text)
    lhs = text[lead:i]
    pos = i + 1
    if any(not piece.strip() for piece in _links(text[pos:])):
        return [Row(no, start + pos + 1, lhs.strip(), text[pos:], no, start + lead + len(lhs) - len(lhs.lstrip()) + 1)]
    while True:
        j = top_level_eq(text[pos:])
        end = len(text) if j is None else pos + j
        if first:
            out.append(Row(no, start + pos + 1, lhs.strip(), text[pos:end], no,
                           start + lead + len(lhs) - len(lhs.lstrip()) + 1))
            first = False
        else:
            out.append(Row(no, start + pos + 1, None, text[pos:end]))
        if j is None:
            return out
        pos = end + 1


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
