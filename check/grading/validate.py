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


def report(exercise, seed=0):
    """Text lines for `exercises validate`."""
    rows = [f"OK: {exercise.id}: {len(exercise.parts)} parts, {exercise.max_score:g} points"]
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
