"""The course's autograder: release, grading and the demo, one subpackage per verb.

    python -m autograder release [--check]
    python -m autograder grade ASSIGNMENT SUBMISSIONS_DIR --out OUT_DIR [--jobs N]
    python -m autograder demo

See autograder/README.md for the design (what runs where, and why).
"""
import os
import sys

# nbgrader's Gradebook shells out to `alembic` by name: put the tools installed beside this
# Python first on PATH, so `.venv/bin/python -m autograder ...` works without activating the venv.
_bin = os.path.dirname(sys.executable)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")
