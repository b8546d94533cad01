"""What a row of a block is (an adjoint, a derivative, a forward name, a continuation, an
expression), read cheaply from its left-hand side: used to send unmarked text to a part."""
import re

from derive.names import canonical, spelled




PLAIN_DERIV = re.compile(r"^(?:d|∂)\s*([^\s/]+?)\s*/\s*(?:d|∂)\s*(\S+?)$")
_BRACED = r"([^{}]*(?:\{[^{}]*\}[^{}]*)*)"
LATEX_DERIV = re.compile(r"^\\d?frac\s*\{\s*(?:\\partial|d|∂)\s*" + _BRACED + r"\}\s*\{\s*(?:\\partial|d|∂)\s*"
                         + _BRACED + r"\}$")
LATEX_ADJ = re.compile(r"\\(?:bar|overline)(?![A-Za-z])")
PLAIN_ADJ = re.compile(r"^[A-Za-z\u0370-\u03ff][\w{}]*?_?bar$")


def _name_key(text):
    """`w_{0}`, `\\lambda`, `λ`, `\\mathcal{L}_{\\text{reg}}` -> a comparable key."""
    t = re.sub(r"\\(?:mathcal|mathrm|mathbf|boldsymbol|text|operatorname)\s*", "", text)
    t = t.replace("\\", "").replace(" ", "")
    return canonical(spelled(t))


def _top_eq(s):
    depth = 0
    for i, ch in enumerate(s):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "=" and depth <= 0 and s[i - 1:i] not in ("<", ">", "!", "=") and s[i + 1:i + 2] != "=":
            return i
    return None


def _row_classes(unit):
    """(class, variable) of each row in a block: adj | deriv | name | cont | expr."""
    body = re.sub(r"\\(?:begin|end)\s*\{[^}]*\}", "\n", unit)
    out = []
    for seg in re.split(r"\\\\|\n", body):
        seg = re.sub(r"(?<!\\)%.*", "", seg) if "\\" in seg else seg.split("#", 1)[0]
        s = seg.replace("&", "").strip().strip("$").strip()
        if not s or s.startswith("```"):
            continue
        i = _top_eq(s)
        if i is None:
            out.append(("expr", None))
            continue
        lhs = s[:i].strip()
        if not lhs:
            out.append(("cont", None))
            continue
        m = LATEX_DERIV.match(lhs) or PLAIN_DERIV.match(lhs)
        if m:
            out.append(("deriv", _name_key(m.group(2))))
        elif LATEX_ADJ.search(lhs) or "\u0304" in lhs or PLAIN_ADJ.match(lhs.replace(" ", "")):
            base = re.sub(r"\\(?:bar|overline)(?![A-Za-z])|\u0304|_?bar\s*$", "", lhs)
            out.append(("adj", _name_key(base)))
        else:
            out.append(("name", None))
    return out


def _blocks(lines):
    """Line ranges that move together: a LaTeX environment, or one line."""
    out, i, n = [], 0, len(lines)
    while i < n:
        if not lines[i].strip():
            i += 1
            continue
        m = re.search(r"\\begin\s*\{([^}]*)\}", lines[i])
        if m:
            end = "\\end{" + m.group(1).replace(" ", "") + "}"
            j = i
            while j < n and end not in (lines[j][m.end():] if j == i else lines[j]).replace(" ", ""):
                j += 1
            out.append((i, min(j, n - 1)))
            i = min(j, n - 1) + 1
            continue
        out.append((i, i))
        i += 1
    return out
