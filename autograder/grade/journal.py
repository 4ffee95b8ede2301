"""Grading that survives being killed: one journal entry per student, written atomically.

``OUT_DIR/.journal/<student>.json`` holds a student's rows with the fingerprints of what
produced them: the submitted bytes and the grader (its tests, the reference code it may
substitute, its own code and its limits). A re-run reuses every entry whose fingerprints still match,
grades the rest, and rebuilds grades.csv from all of them, so a run killed halfway resumes
without lost or duplicated rows, and re-running a finished batch changes nothing. An entry is
trusted only if it is exactly what ``record`` writes: anything else (half a file, valid JSON of
another shape, rows of the wrong types or questions) means "grade this student again".
"""
import dataclasses
import hashlib
import json
import math
from pathlib import Path

from .. import paths
from ..sandbox import WORKER
from . import report

MAX_ENTRY_BYTES = 1 << 20
HERE = Path(__file__).parent
# the code that decides a grade (not the gradebook, the export or the sandbox's launcher)
GRADER_CODE = [HERE / f"{name}.py" for name in ("__init__", "journal", "reference", "report", "session",
                                                 "submission", "text")] + [
    WORKER, paths.ROOT / "course_utils" / "wire.py", paths.ROOT / "course_utils" / "checks.py"]


def digest(raw):
    """The fingerprint of a submission's bytes (``None``: there was none to read)."""
    return hashlib.sha256(raw).hexdigest() if raw is not None else "absent"


def _file(path):
    path = Path(path)
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "absent"


def grader_digest(assignment, reference="", limits=None):
    """Changes whenever the tests, the reference code they may substitute (``reference``: its
    fingerprint), the grader's own code or the limits (``limits``: timeouts decide grades too)
    change: then every student is regraded."""
    h = hashlib.sha256()
    for path in (paths.CHECKS / f"{assignment}.py", paths.TESTS / assignment / "hidden.py", *GRADER_CODE):
        h.update(path.name.encode() + _file(path).encode())
    h.update(reference.encode())
    h.update(json.dumps(dataclasses.asdict(limits) if limits is not None else None, sort_keys=True).encode())
    return h.hexdigest()


class Journal:
    def __init__(self, out_dir, assignment, reference="", limits=None):
        self.folder = Path(out_dir) / ".journal"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.grader = grader_digest(assignment, reference, limits)

    def _path(self, student):
        return self.folder / f"{report.safe_name(student)}.json"

    def lookup(self, student, submission_digest, questions=None):
        """The rows recorded for this exact submission and grader, or None (regrade)."""
        try:
            with open(self._path(student), "rb") as f:
                raw = f.read(MAX_ENTRY_BYTES + 1)
            entry = json.loads(raw) if len(raw) <= MAX_ENTRY_BYTES else None
        except (OSError, ValueError, RecursionError):
            return None
        if not isinstance(entry, dict) or entry.get("student") != student or entry.get("grader") != self.grader \
                or entry.get("submission") != submission_digest or not isinstance(entry.get("rows"), list):
            return None
        rows = [_row(r, student) for r in entry["rows"]]
        if not rows or None in rows:
            return None
        if questions is not None and [r.question for r in rows] != list(questions):
            return None
        return rows

    def record(self, student, submission_digest, rows):
        entry = {"student": student, "grader": self.grader, "submission": submission_digest,
                 "rows": [dataclasses.asdict(r) for r in rows]}
        report.atomic_write(self._path(student), json.dumps(entry, indent=1))


def _row(data, student):
    """A Row from a journal entry's row, or None unless it has exactly the right fields and types."""
    fields = {f.name: f.type for f in dataclasses.fields(report.Row)}
    if not isinstance(data, dict) or set(data) != set(fields) or data.get("student") != student:
        return None
    for key in ("points", "max_points"):
        value = data[key]
        if type(value) not in (int, float) or not math.isfinite(value):
            return None
    if not all(type(data[k]) is str for k in ("student", "assignment", "question", "status", "message")):
        return None
    return report.Row(**data)
