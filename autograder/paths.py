"""Where things live in the course repository."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"      # instructor notebooks: the single source
NOTEBOOKS = ROOT / "notebooks"      # the student release (generated)
CHECKS = NOTEBOOKS / "checks"       # public checks, shipped with the release (generated)
TESTS = ROOT / "autograder" / "tests"  # per assignment: hidden.py (generated), mutants.py


def assignments():
    return sorted(p.stem for p in SOLUTIONS.glob("*.ipynb"))
