"""Graded students kept on disk, not in memory: each result is written to a temporary file as
it arrives (in whatever order the workers finish) and read back one at a time in name order,
so writing a semester's results.json, CSV and Gradescope files holds one student at a time."""
import json
import tempfile


def student_text(res):
    """One student's results.json entry, indented as a top-level document (outputs.py shifts it)."""
    return json.dumps(res, indent=2, ensure_ascii=False)


class Spill:
    """Students by name: their results.json text on disk, their score and mistake kinds in memory
    (the summary needs them, a float and a few words per student)."""

    def __init__(self):
        self._file = tempfile.TemporaryFile()
        self._at = {}
        self.scores = {}
        self.kinds = {}

    def add(self, name, text, score, kinds):
        data = text.encode("utf-8")
        self._file.seek(0, 2)
        self._at[name] = (self._file.tell(), len(data))
        self._file.write(data)
        self.scores[name] = score
        self.kinds[name] = tuple(kinds)

    def __len__(self):
        return len(self._at)

    def text(self, name):
        offset, length = self._at[name]
        self._file.seek(offset)
        return self._file.read(length).decode("utf-8")

    def student(self, name):
        return json.loads(self.text(name))

    def close(self):
        self._file.close()
