"""Shared fixtures: the repository's paths and graded demo classes (one per assignment)."""
import os
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder import grade, mutants, paths

os.environ.setdefault("MPLBACKEND", "Agg")
ROOT = paths.ROOT


def pytest_configure(config):
    config.addinivalue_line("markers", "notebook: executes whole notebooks (minutes)")


def make_class(folder, assignment, extra=()):
    """Write a class of submissions: the instructor notebook, the blank release, every mutant,
    plus ``extra`` (student, notebook-or-bytes) pairs."""
    folder = Path(folder)
    sol = mutants.solution(assignment)
    entries = [("solution", sol), ("blank", nbformat.read(paths.NOTEBOOKS / f"{assignment}.ipynb", 4))]
    entries += [(f"mutant-{m.name}", mutants.apply(m, assignment)) for m in mutants.load(assignment)]
    entries += list(extra)
    for student, content in entries:
        target = folder / student / f"{assignment}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        elif content is not None:
            nbformat.write(content, target)
    return folder


@pytest.fixture(scope="session")
def graded_classes(tmp_path_factory):
    """{assignment: {(student, question): Row}}, each class graded once per test session."""
    cache = {}

    def get(assignment):
        if assignment not in cache:
            base = tmp_path_factory.mktemp(f"class-{assignment}")
            subs = make_class(base / "submissions", assignment)
            rows = grade.grade(assignment, subs, base / "out", jobs=1, progress=lambda *_: None)
            cache[assignment] = {(r.student, r.question): r for r in rows}
        return cache[assignment]

    return get
