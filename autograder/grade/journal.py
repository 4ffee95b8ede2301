"""Grading that survives being killed: one journal entry per student, written atomically.

``OUT_DIR/.journal/<student>.json`` holds a student's rows with the fingerprints of what
produced them: the submitted file and the grader's tests and worker. A re-run reuses every
entry whose fingerprints still match, grades the rest, and rebuilds grades.csv from all of
them, so a run killed halfway resumes without lost or duplicated rows, and re-running a
finished batch changes nothing.
"""
import hashlib
import json
from pathlib import Path

from .. import paths
from ..sandbox import WORKER
from . import report


def file_digest(path):
    path = Path(path)
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "absent"


def grader_digest(assignment):
    """Changes whenever the tests or the worker change (then every student is regraded)."""
    digest = hashlib.sha256()
    for path in (paths.CHECKS / f"{assignment}.py", paths.TESTS / assignment / "hidden.py", WORKER):
        digest.update(file_digest(path).encode())
    return digest.hexdigest()


class Journal:
    def __init__(self, out_dir, assignment):
        self.folder = Path(out_dir) / ".journal"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.grader = grader_digest(assignment)

    def _path(self, student):
        return self.folder / f"{report.safe_name(student)}.json"

    def lookup(self, student, submission_digest):
        """The rows recorded for this exact submission and grader, or None."""
        try:
            entry = json.loads(self._path(student).read_text())
        except (OSError, ValueError):
            return None
        if entry.get("student") != student or entry.get("grader") != self.grader \
                or entry.get("submission") != submission_digest:
            return None
        return [report.Row(**row) for row in entry["rows"]]

    def record(self, student, submission_digest, rows):
        entry = {"student": student, "grader": self.grader, "submission": submission_digest,
                 "rows": [r.__dict__ for r in rows]}
        report.atomic_write(self._path(student), json.dumps(entry, indent=1))
