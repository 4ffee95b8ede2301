"""Grading nbgrader's collected tree as it lies.

``nbgrader collect`` writes ``COURSE_DIR/submitted/<student>/<A>/<A>.ipynb``; the grader reads
``SUBMISSIONS/<student>/<A>.ipynb``. The ``grade`` verb takes either layout, student by student:
when a student's folder holds nbgrader's ``<A>/<A>.ipynb`` (and no ``<A>.ipynb``), the grader is
shown a folder of links to the collected notebooks, so every grade, journal entry and feedback
page is the same as for the flat layout, and ``--gradebook`` finds nbgrader's ``timestamp.txt``
beside the graded notebook::

    nbgrader collect 01_divergences
    python -m autograder grade 01_divergences COURSE_DIR/submitted --out OUT --gradebook COURSE_DIR
"""
import argparse
import os
import tempfile
from pathlib import Path

from . import SetupError, main as grade_main  # noqa: F401 (SetupError: the cli's exit-2 errors)


def notebook_of(folder, assignment):
    """A student's notebook in either layout (the flat one wins), or None."""
    for path in (folder / f"{assignment}.ipynb", folder / assignment / f"{assignment}.ipynb"):
        if path.is_file():
            return path
    return None


def is_collected(submissions, assignment):
    """True when some student's notebook is only in nbgrader's ``<A>/<A>.ipynb``."""
    return any(not (d / f"{assignment}.ipynb").exists() and (d / assignment / f"{assignment}.ipynb").is_file()
               for d in _students(submissions))


def _students(submissions):
    try:
        return [d for d in sorted(Path(submissions).iterdir()) if d.is_dir() and not d.name.startswith(".")]
    except OSError:
        return []


def flat_view(submissions, assignment, into):
    """``into/<student>/<A>.ipynb`` links to each student's notebook (an empty folder: none)."""
    into = Path(into)
    for folder in _students(submissions):
        (into / folder.name).mkdir(parents=True)
        found = notebook_of(folder, assignment)
        if found is not None:
            os.symlink(found.resolve(), into / folder.name / f"{assignment}.ipynb")
    return into


def main(args):
    if not is_collected(args.submissions, args.assignment):
        return grade_main(args)
    with tempfile.TemporaryDirectory(prefix="collected-") as tmp:
        view = flat_view(args.submissions, args.assignment, Path(tmp) / "submissions")
        return grade_main(argparse.Namespace(**{**vars(args), "submissions": str(view)}))
