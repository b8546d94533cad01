"""Walks over a SymPy expression as a DAG: each distinct node once, in the order of its first
occurrence in the tree (arguments left to right), so a subterm shared by many factors is visited
once. The evaluator, the symbolic reduction and the diagnosis all walk in this one order."""


def postorder(expr):
    """Each node of `expr`'s DAG once, arguments before the node."""
    out, seen, stack = [], set(), [(expr, False)]
    while stack:
        e, done = stack.pop()
        if done:
            out.append(e)
        elif e not in seen:
            seen.add(e)
            stack.append((e, True))
            stack.extend((a, False) for a in reversed(e.args) if a not in seen)
    return out


def preorder(expr):
    """Each node of `expr`'s DAG once, the node before its arguments."""
    out, seen, stack = [], set(), [expr]
    while stack:
        e = stack.pop()
        if e not in seen:
            seen.add(e)
            out.append(e)
            stack.extend(reversed(e.args))
    return out
