"""Plausible wrong answers, made from the instructor notebook, to prove the tests catch them.

Each assignment's ``autograder/tests/<nb>/mutants.py`` defines ``MUTANTS``, a list of ``Mutant``:
one textual change to the solution code and the questions it must lose points in. The tests
(``tests/test_assignments.py``) grade every mutant through the contract; the demo and the
grading benchmark use them as a class of realistic submissions.
"""
import copy
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


def student_copy(solution_nb):
    """What a student who solved everything would submit: the solution without the tests cells."""
    nb = copy.deepcopy(solution_nb)
    nb.cells = [c for c in nb.cells if markers.kind(c) not in ("public-tests", "hidden-tests")]
    return nb


def apply(mutant, solution_nb):
    """The student copy of the solution with the mutant's replacements (each must match once)."""
    nb = student_copy(solution_nb)
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
