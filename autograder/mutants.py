"""Plausible wrong answers, made from the instructor notebook, to prove the tests catch them.

Each assignment's ``autograder/tests/<nb>/mutants.py`` defines ``MUTANTS``, a list of ``Mutant``:
one textual change to the solution code and the questions it must lose points in. A mutant
marked ``misconception=True`` is a question's central misconception, which the public checks
(what ``grader.check`` runs in the student's kernel) must catch before the deadline, not only
the hidden tests after it. The tests
(``tests/test_assignments.py``) grade every mutant through the contract; the demo and the
grading benchmark use them as a class of realistic submissions.
"""
import dataclasses
import importlib.util

import nbformat

from . import paths
from .release import markers


@dataclasses.dataclass
class Mutant:
    name: str
    description: str
    replace: dict          # {exact text in the solution's code cells: replacement}
    loses: list            # questions that must lose points
    misconception: bool = False  # a question's central misconception: the *public* checks must catch it


def student_copy(assignment):
    """What a student who solved everything would submit: the released notebook (with its
    nbgrader metadata), each answer cell filled in with the solution's code."""
    answers = {c.get("id"): c.source for c in solution(assignment).cells}
    nb = nbformat.read(paths.NOTEBOOKS / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.get("id") in answers:
            cell.source = "\n".join(line for line in answers[cell.id].splitlines()
                                    if not markers.ANY_MARKER.search(line))
    return nb


def apply(mutant, assignment):
    """The student copy with the mutant's replacements (each must match exactly once)."""
    nb = student_copy(assignment)
    for old, new in mutant.replace.items():
        hits = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
        count = sum(c.source.count(old) for c in hits)
        if count != 1:
            raise ValueError(f"mutant {mutant.name}: {old!r} found {count} times in the solution (need 1)")
        hits[0].source = hits[0].source.replace(old, new)
    return nb


def load(assignment):
    """The MUTANTS list of an assignment ([] if it has none)."""
    path = paths.TESTS / assignment / "mutants.py"
    if not path.exists():
        return []
    spec = importlib.util.spec_from_file_location(f"_mutants_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.MUTANTS)


def solution(assignment):
    return nbformat.read(paths.SOLUTIONS / f"{assignment}.ipynb", as_version=4)
