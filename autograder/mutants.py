"""Plausible wrong answers, made from the instructor notebook, to prove the tests catch them.

Each assignment's ``autograder/tests/<nb>/mutants.py`` defines ``MUTANTS``, a list of ``Mutant``:
one textual change to the solution code and the questions it must lose points in (only the
questions whose code it changes: a question that calls the mutated function declares it with
``uses=`` and is graded with the reference in its place). A mutant marked
``misconception=True`` is a question's central misconception, which the public checks (what
``grader.check`` runs in the student's kernel) must catch before the deadline, not only the
hidden tests after it. A mutant with ``loses=[]`` is a *correct variant*: a right answer
written another way (``torch.distributions`` instead of the closed form, a loop instead of
vectorised code), which must keep full marks everywhere. The tests
(``tests/test_assignments.py``) grade every mutant through the contract; the demo, the grading
benchmark and ``benchmarks/mutants.py`` use them as a class of realistic submissions.
"""
import copy
import dataclasses
import importlib.util
from pathlib import Path

import nbformat

from course_utils import checks

from . import paths
from .grade import reference
from .release import markers


@dataclasses.dataclass
class Mutant:
    name: str
    description: str
    replace: dict          # {exact text in the solution's code cells: replacement}
    loses: list            # questions that must lose points
    misconception: bool = False  # a question's central misconception: the *public* checks must catch it

    @property
    def correct(self):
        """A right answer written another way (``loses=[]``): it must keep full marks."""
        return not self.loses


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


def apply(mutant, assignment, nb=None):
    """The student copy (or a copy of ``nb``) with the mutant's replacements (each must match
    exactly once)."""
    nb = copy.deepcopy(nb) if nb is not None else student_copy(assignment)
    for old, new in mutant.replace.items():
        hits = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
        count = sum(c.source.count(old) for c in hits)
        if count != 1:
            raise ValueError(f"mutant {mutant.name}: {old!r} found {count} times in the solution (need 1)")
        hits[0].source = hits[0].source.replace(old, new)
    return nb


def apply_all(group, assignment):
    """The student copy with every mutant of ``group`` applied (a batch, see ``batches``)."""
    nb = student_copy(assignment)
    for mutant in group:
        nb = apply(mutant, assignment, nb)
    return nb


class Dependencies:
    """Which questions a mutant touches, and which questions' tests use which questions' code."""

    def __init__(self, assignment):
        self.nb = student_copy(assignment)
        self.owner = _question_of_cells(self.nb)
        # function or class -> its question: the grader's own map (grade/reference.py)
        defines = {n: d.question for n, d in reference.definitions(paths.SOLUTIONS / f"{assignment}.ipynb").items()}
        self.uses = {}                     # question -> questions whose functions its tests call
        for path, hidden in ((paths.CHECKS / f"{assignment}.py", False),
                             (paths.TESTS / assignment / "hidden.py", True)):
            if path.exists():
                for t in checks.load_tests(path, hidden=hidden):
                    used = {defines.get(u) for u in t.uses} - {None, t.question}
                    self.uses.setdefault(t.question, set()).update(used)

    def touched(self, mutant):
        """The questions whose code the mutant changes, and those it must lose points in."""
        cells = [i for old in mutant.replace for i, c in enumerate(self.nb.cells)
                 if c.cell_type == "code" and old in c.source]
        return ({self.owner.get(i) for i in cells} | set(mutant.loses)) - {None}

    def used_by(self, questions):
        """The questions whose code the tests of ``questions`` call."""
        return set().union(*(self.uses.get(q, set()) for q in questions))

    def clash(self, a, b):
        qa, qb = self.touched(a), self.touched(b)
        return bool(qa & qb or qa & self.used_by(qb) or qb & self.used_by(qa))


def batches(assignment, library=None):
    """The mutants grouped into submissions that are graded together and still tell each
    mutant's verdict apart: within a group no two mutants touch the same question, and no
    question a member touches is used (``uses=``) by the tests of another member's question.
    Returns a list of lists of mutants, in library order."""
    library = load(assignment) if library is None else library
    deps = Dependencies(assignment)
    groups = []
    for m in library:
        home = next((g for g in groups if not any(deps.clash(m, other) for other in g)), None)
        if home is None:
            groups.append([m])
        else:
            home.append(m)
    return groups


def _question_of_cells(nb):
    """{cell index: the question whose grader.check cell comes next} (its answer and plots)."""
    owner, waiting = {}, []
    for i, cell in enumerate(nb.cells):
        waiting.append(i)
        match = markers.CHECK.match(markers.source(cell).strip()) if cell.cell_type == "code" else None
        if match:
            owner.update(dict.fromkeys(waiting, match.group(1)))
            waiting = []
    return owner


def write_class(assignment, folder, blank=True, extra=(), batched=False):
    """``folder/<student>/<assignment>.ipynb`` for the instructor notebook ("solution"), the blank
    release ("blank", unless ``blank=False``), every mutant ("mutant-<name>"; with ``batched``,
    one "batch-<k>" per group of ``batches``) and ``extra`` (student, notebook-or-bytes) pairs.
    Returns ``folder``."""
    folder = Path(folder)
    entries = [("solution", solution(assignment))]
    if blank:
        entries.append(("blank", nbformat.read(paths.NOTEBOOKS / f"{assignment}.ipynb", as_version=4)))
    entries += [(f"mutant-{m.name}", apply(m, assignment)) for m in load(assignment)] if not batched else \
        [(f"batch-{k + 1}", apply_all(group, assignment)) for k, group in enumerate(batches(assignment))]
    for student, content in [*entries, *extra]:
        target = folder / student / f"{assignment}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        elif content is not None:
            nbformat.write(content, target)
    return folder


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
