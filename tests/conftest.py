"""Shared fixtures: the repository's paths and graded demo classes (one per assignment)."""
import csv
import fcntl
import os
import shutil

# Two xdist workers share two cores: one CPU thread per process (notebooks, otter runs), or
# OpenMP's spinning threads fight (two papermill runs side by side: 392 s with 2 threads, 16 s with 1).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest

from autograder import grade, mutants, paths
from autograder.grade import report

os.environ.setdefault("MPLBACKEND", "Agg")
ROOT = paths.ROOT


def pytest_configure(config):
    config.addinivalue_line("markers", "notebook: executes whole notebooks (minutes)")


def make_class(folder, assignment, extra=()):
    """Write a class of submissions: the instructor notebook ("solution"), the blank release
    ("blank"), every mutant in batches ("batch-<k>", ``autograder.mutants.batches``: mutants of
    independent questions share a submission and keep their own verdicts; ``tests/graded.py``'s
    ``student_of`` says which), plus ``extra`` (student, notebook-or-bytes) pairs."""
    return mutants.write_class(assignment, folder, extra=extra, batched=True)


def once_per_session(tmp_path_factory, name, build):
    """The folder ``name``, filled by ``build(folder)`` once per test session: xdist's workers
    share it (the first builds it under a lock, the others wait and reuse it), so an expensive
    class is graded once whichever worker its tests land on."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the session's folder, common to all workers
    folder = shared / name
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".built").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            (folder / ".built").touch()
    return folder


@pytest.fixture(scope="session")
def graded_classes(tmp_path_factory):
    """{assignment: {(student, question): Row}}, each class graded once per test session."""

    def get(assignment):
        def build(base):
            subs = make_class(base / "submissions", assignment)
            grade.grade(assignment, subs, base / "out", jobs=1, progress=lambda *_: None)

        base = once_per_session(tmp_path_factory, f"class-{assignment}", build)
        with open(base / "out" / "grades.csv", newline="") as f:
            rows = [report.Row(**{**r, "points": float(r["points"]), "max_points": float(r["max_points"])})
                    for r in csv.DictReader(f)]
        return {(r.student, r.question): r for r in rows}

    return get
