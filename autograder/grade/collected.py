"""Grading nbgrader's collected tree as it lies.

``nbgrader collect`` writes ``COURSE_DIR/submitted/<student>/<A>/<A>.ipynb``; the grader reads
``SUBMISSIONS/<student>/<A>.ipynb`` or, when a student's folder has no such file, nbgrader's
``<A>/<A>.ipynb`` (``submission.read``: the same refusals of links, FIFOs, devices and
over-size files in both layouts), so every grade, journal entry and feedback page is the same as
for the flat layout, and ``--gradebook`` finds nbgrader's ``timestamp.txt`` in the course::

    nbgrader collect 01_divergences
    python -m autograder grade 01_divergences COURSE_DIR/submitted --out OUT --gradebook COURSE_DIR
"""
import os
import stat

from . import SetupError, main  # noqa: F401 (the grade verb: SetupError is the cli's exit-2 error)


def notebook_of(folder, assignment):
    """A student's notebook path in either layout (the flat one wins, whatever it is), or None.
    Decided by ``lstat``: nothing is followed (``submission.read_path`` then refuses a link)."""
    for path in (folder / f"{assignment}.ipynb", folder / assignment / f"{assignment}.ipynb"):
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            continue
        if not stat.S_ISDIR(mode):
            return path
    return None
