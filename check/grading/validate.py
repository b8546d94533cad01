"""An exercise's rubric held against its own samples: which rule (or accepted alternative) each
sample hits, and which rules no sample hits (`barprop exercises validate`)."""
import os

import exercises as _exercises

from . import grade


def samples_folder(exercise):
    """The samples of an exercise: exercises/samples/ID for a bundled one, else samples/ID beside its TOML."""
    base = os.path.dirname(os.path.abspath(exercise.path)) if exercise.path else _exercises.HERE
    folder = os.path.join(base, "samples", exercise.id)
    return folder if os.path.isdir(folder) else None


def rubric_hits(exercise, folder, seed=0):
    """(graded results.json document, {sample: [(part, target, what hit)]}, [rules no sample hits])."""
    doc = grade(exercise, folder, seed=seed)
    hits, seen = {}, set()
    for s in doc["students"]:
        rows = hits.setdefault(s["student"], [])
        for p in s["parts"]:
            for it in p["items"]:
                if it.get("accepted_by"):
                    rows.append((p["part"], it["target"], f"accepted: {it['accepted_by']}"))
                    seen.add((p["part"], "accept", it["accepted_by"]))
                if it.get("rubric"):
                    r = it["rubric"]
                    rows.append((p["part"], it["target"], f"rule {r['when']}" + (f" at {r['at']}" if r["at"] else "")))
                    seen.add((p["part"], r["when"], r["at"], r.get("message")))
    unused = []
    for part in exercise.parts:
        for r in part.rubric.rules:
            if (part.id, r.when, r.at, r.message) not in seen:
                unused.append(f"{part.id}: rule {r.describe()}")
        for a in part.rubric.accept:
            if (part.id, "accept", a.note) not in seen:
                unused.append(f"{part.id}: accept {a.note}")
    return doc, hits, unused


def unreadable_formulas(exercise, seed=0):
    """The rules' and accepted alternatives' formulas that do not read against the exercise's spec
    (an unknown name, a syntax error, or on a matrix spec shapes that do not fit): they would
    match nothing."""
    from .rubric import Formulas
    f = Formulas(exercise.graph, seed)
    out = []
    for part in exercise.parts:
        for what, formula in ([(f"rule {r.describe()}", r.formula) for r in part.rubric.rules if r.formula]
                              + [(f"accept {a.note}", a.formula) for a in part.rubric.accept]):
            if f.read(formula) is None:
                out.append(f"{part.id}: {what}: the formula does not read against the spec "
                           "(an unknown name, a syntax error, or shapes that do not fit), so it matches nothing")
    return out


def report(exercise, seed=0):
    """Text lines for `exercises validate`."""
    bad = unreadable_formulas(exercise, seed)
    rows = [f"{'NOT OK' if bad else 'OK'}: {exercise.id}: {len(exercise.parts)} parts, {exercise.max_score:g} points"]
    rows += [f"cannot read: {u}" for u in bad]
    if not any(p.rubric.rules or p.rubric.accept for p in exercise.parts):
        return rows
    folder = samples_folder(exercise)
    if folder is None:
        return rows + ["no samples folder to check the rubric against (samples/ID beside the TOML)"]
    doc, hits, unused = rubric_hits(exercise, folder, seed)
    for s in doc["students"]:
        what = "; ".join(f"{part} {target}: {h}" for part, target, h in hits[s["student"]]) or "no rule"
        rows.append(f"  {s['student']}: {s['score']:g}/{s['max_score']:g}  {what}")
    rows += [f"not hit by any sample: {u}" for u in unused]
    return rows
