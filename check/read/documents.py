"""A submission's document around its math: Markdown prose blanked in place (same lines and
columns), `# part: ID` markers kept."""
import re





MARKER = re.compile(r"^[ \t]*(?:#+|%+)[ \t]*part[ \t]*:[ \t]*(\S+)", re.IGNORECASE)
FENCE = re.compile(r"^[ \t]*(```+|~~~+)")
ENV = re.compile(r"\\begin\s*\{")
INLINE = re.compile(r"(?<![\\$])\$(?!\$)([^$\n]+?)(?<![\\$])\$(?!\$)")


def extract_math(text):
    """Markdown around the math blanked in place (same lines, same columns)."""
    lines = text.split("\n")
    keep = [[False] * len(l) for l in lines]
    found = False
    fence = None
    for i, line in enumerate(lines):
        m = FENCE.match(line)
        if fence is None and m:
            fence, found = m.group(1)[0] * 3, True
            continue
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            else:
                keep[i] = [True] * len(line)
    # $$ ... $$ displays outside code blocks, possibly over several lines
    inside, fence = False, None
    for i, line in enumerate(lines):
        if FENCE.match(line):
            fence = None if fence else True
            continue
        if fence:
            continue
        j = 0
        while j < len(line):
            if line[j] == "`" and not inside:          # `$$` inside inline code is prose
                k = line.find("`", j + 1)
                j = len(line) if k < 0 else k + 1
                continue
            if line.startswith("$$", j):
                inside, found = not inside, True
                j += 2
                continue
            if inside:
                keep[i][j] = True
            j += 1
    if not found and not ENV.search(text):
        for i, line in enumerate(lines):
            for m in INLINE.finditer(line):
                found = True
                for j in range(m.start(1), m.end(1)):
                    keep[i][j] = True
    if not found:
        return text
    out = []
    for i, line in enumerate(lines):
        if MARKER.match(line):
            out.append(line)
        else:
            out.append("".join(ch if k else " " for ch, k in zip(line, keep[i])).rstrip())
    return "\n".join(out)


HINTS_SEEN = re.compile(r"^[ \t]*(?:#+|%+)[ \t]*hints-seen[ \t]*:[ \t]*(.*)$", re.IGNORECASE | re.MULTILINE)
_SEEN = re.compile(r"([A-Za-z0-9][A-Za-z0-9_.-]*)[ \t]*=[ \t]*([0-9])")


def hints_seen(text):
    """({part id: highest hint level seen}, text with those lines blanked): the web page and the
    notebook record `# hints-seen: PART=LEVEL` in the submissions they produce."""
    seen = {}
    for m in HINTS_SEEN.finditer(text):
        for p, level in _SEEN.findall(m.group(1)):
            seen[p] = max(seen.get(p, 0), int(level))
    return seen, HINTS_SEEN.sub("", text)
