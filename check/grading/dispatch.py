"""A submission's rows split into the exercise's parts: `# part: ID` markers, else by what its rows are."""
from derive.errors import ParseError

from ..read.classify import name_key
from ..read.documents import markers


class _Dispatch:
    def __init__(self, exercise):
        self.parts = exercise.parts
        self.first = exercise.parts[0]

    def of_kind(self, kind, wrt=None):
        ps = [p for p in self.parts if p.kind == kind]
        if wrt is not None:
            exact = [p for p in ps if p.wrt is not None and name_key(p.wrt) == wrt]
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

    def __call__(self, rows):
        """{part id: [row]} for unmarked rows. The rows of one LaTeX block move together."""
        if len(self.parts) == 1:
            return {self.first.id: list(rows)}
        units = []
        for r in rows:
            if units and r.fmt == "latex" and units[-1][-1].block == r.block:
                units[-1].append(r)
            else:
                units.append([r])
        info = []
        for unit in units:
            classes = [_class(r) for r in unit]
            head = next((c for c in classes if c[0] in ("adj", "deriv", "expr")), None) \
                or next((c for c in classes if c[0] == "name"), None) or ("cont", None)
            info.append((head, any(c[0] == "cont" for c in classes[1:])))
        dest = [None] * len(units)
        claims = [p for p in self.parts if p.kind == "claim"]
        for k, ((cls, var), has_cont) in enumerate(info):
            if cls == "adj":
                dest[k] = self.of_kind("adjoints") or self.of_kind("claim", var) or self.first
            elif cls == "deriv":
                chain = has_cont or (k + 1 < len(info) and info[k + 1][0][0] == "cont")
                dest[k] = self.deriv(var, chain)
            elif cls == "expr":
                dest[k] = claims[0] if len(claims) == 1 else None
        for k, ((cls, _), _) in enumerate(info):
            if cls == "name":
                nxt = next((j for j in range(k + 1, len(info)) if info[j][0][0] not in ("name", "cont")), None)
                if nxt is not None and dest[nxt] is not None and dest[nxt].kind == "steps":
                    dest[k] = dest[nxt]
                else:
                    dest[k] = self.of_kind("adjoints") or self.of_kind("steps") or self.first
        for k, ((cls, _), _) in enumerate(info):
            if dest[k] is None:
                prev = dest[k - 1] if k > 0 else None
                dest[k] = prev if cls in ("cont", "expr") and prev else self.first
        out = {}
        for unit, p in zip(units, dest):
            out.setdefault(p.id, []).extend(unit)
        return out


def _class(row):
    """(class, variable) of a row: adj | deriv | name | cont | expr."""
    if row.lhs is None:
        return ("cont", None)
    if row.lhs == "":
        return ("expr", None)
    t = row.target
    if t.kind == "derivative":
        return ("deriv", name_key(t.name))
    if t.kind == "adjoint":
        return ("adj", name_key(t.name))
    return ("name", None)


def split_parts(text, rows, exercise, name, file_name=None):
    """{part id: [row]} for the parts that got any rows: rows after a `# part: ID` marker go to
    that part, the others are dispatched by what they are."""
    marks = []
    for where, part_id, col in markers(text, file_name):
        part = exercise.part(part_id)
        if part is None:
            raise ParseError(f"unknown part '{part_id}'; this exercise has parts: "
                             + ", ".join(p.id for p in exercise.parts), where[1], col, name)
        marks.append((where, part.id))
    marked, unmarked = {}, []
    for r in rows:
        at = (r.cell or 0, r.line)
        current = None
        for where, pid in marks:
            if where < at:
                current = pid
        if current is None:
            unmarked.append(r)
        else:
            marked.setdefault(current, []).append(r)
    if unmarked:
        for pid, rs in _Dispatch(exercise)(unmarked).items():
            marked.setdefault(pid, []).extend(rs)
    return {pid: sorted(rs, key=lambda r: (r.cell or 0, r.line, r.col)) for pid, rs in marked.items()}
