"""A submission split into the exercise's parts: `# part: ID` markers, else by what its rows are."""

from derive.errors import ParseError


from ..read.classify import _blocks, _name_key, _row_classes
from ..read.documents import MARKER


class _Dispatch:
    def __init__(self, exercise):
        self.parts = exercise.parts
        self.first = exercise.parts[0]

    def of_kind(self, kind, wrt=None):
        ps = [p for p in self.parts if p.kind == kind]
        if wrt is not None:
            exact = [p for p in ps if p.wrt is not None and _name_key(p.wrt) == wrt]
            if kind == "claim":
                return exact[0] if exact else None
            ps = exact + [p for p in ps if p.wrt is None] + [p for p in ps if p not in exact]
        return ps[0] if ps else None

    def deriv(self, wrt, chain):
        order = (("steps", "claim", "adjoints") if chain else ("claim", "steps", "adjoints"))
        for kind in order:
            p = self.of_kind(kind, wrt)
            if p is not None:
                return p
        return self.first

    def __call__(self, lines):
        """{part id: [line index]} for unmarked lines."""
        if len(self.parts) == 1:
            return {self.first.id: [i for i, l in enumerate(lines) if l.strip()]}
        blocks = _blocks(lines)
        info = []
        for a, b in blocks:
            rows = _row_classes("\n".join(lines[a:b + 1]))
            if not rows:
                info.append(None)
                continue
            head = next((r for r in rows if r[0] in ("adj", "deriv", "expr")), None) \
                or next((r for r in rows if r[0] == "name"), None) or ("cont", None)
            info.append((head, any(r[0] == "cont" for r in rows[1:])))
        dest = [None] * len(blocks)
        claims = [p for p in self.parts if p.kind == "claim"]
        skip = {k for k, i in enumerate(info) if i is None}
        info = [i or (("none", None), False) for i in info]
        for k, ((cls, var), has_cont) in enumerate(info):
            if cls == "adj":
                dest[k] = self.of_kind("adjoints") or self.of_kind("claim", var) or self.first
            elif cls == "deriv":
                nxt = next((j for j in range(k + 1, len(info)) if j not in skip), None)
                chain = has_cont or (nxt is not None and info[nxt][0][0] == "cont")
                dest[k] = self.deriv(var, chain)
            elif cls == "expr":
                dest[k] = claims[0] if len(claims) == 1 else None
        for k, ((cls, _), _) in enumerate(info):
            if cls == "name":
                nxt = next((j for j in range(k + 1, len(info)) if info[j][0][0] not in ("name", "cont", "none")), None)
                if nxt is not None and dest[nxt] is not None and dest[nxt].kind == "steps":
                    dest[k] = dest[nxt]
                else:
                    dest[k] = self.of_kind("adjoints") or self.of_kind("steps") or self.first
        for k, ((cls, _), _) in enumerate(info):
            if dest[k] is None:
                prev = next((dest[j] for j in range(k - 1, -1, -1) if j not in skip), None)
                dest[k] = prev if cls in ("cont", "expr") and prev else self.first
        out = {}
        for k, ((a, b), p) in enumerate(zip(blocks, dest)):
            if k not in skip:
                out.setdefault(p.id, []).extend(range(a, b + 1))
        return out


def split_parts(text, exercise, name):
    """{part id: text with the student's line numbers kept} for the parts that got any text."""
    lines = text.split("\n")
    marked, unmarked, current = {}, [], None
    for i, line in enumerate(lines):
        m = MARKER.match(line)
        if m:
            part = exercise.part(m.group(1))
            if part is None:
                raise ParseError(f"unknown part '{m.group(1)}'; this exercise has parts: "
                                 + ", ".join(p.id for p in exercise.parts), i + 1, m.start(1) + 1, name)
            current = part.id
            continue
        if not line.strip():
            continue
        if current is None:
            unmarked.append(i)
        else:
            marked.setdefault(current, []).append(i)
    if unmarked:
        keep = set(unmarked)
        sub = [lines[i] if i in keep else "" for i in range(len(lines))]
        for pid, idx in _Dispatch(exercise)(sub).items():
            marked.setdefault(pid, []).extend(idx)
    out = {}
    for pid, idx in marked.items():
        keep = set(idx)
        last = max(keep)
        out[pid] = "\n".join(lines[i] if i in keep else "" for i in range(last + 1))
    return out
