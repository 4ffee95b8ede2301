"""Every assignment, end to end: its solution executes (fast mode, figures checked), its blank
release runs all the way to every check, and through the grading contract the instructor
notebook scores full, the blank release 0, every mutant loses points in the questions it
targets, the public checks catch every misconception, and correct variants keep full marks.

The classes are conftest's ``graded_classes``, graded once per session, with the mutants in
batches (``autograder.mutants.batches``): one submission carries several mutants that touch
different, independent questions, so a class costs about a third of one submission per mutant
while each mutant keeps its own verdict. ``benchmarks/mutants.py`` also measures the points each
bug costs outside its questions.
"""
import json
import math

import nbformat
import pytest
import torch

from autograder import demo, grade, mutants, nbload, paths
from autograder.grade import report
from graded import batch_of, graded_class

ASSIGNMENTS = paths.assignments()
MIN_MUTANTS = {"01_divergences": 8, "06_principles": 15}


def grouped(assignment):
    return pytest.param(assignment, marks=pytest.mark.xdist_group(assignment))


class Graded:
    """The session's generated class of an assignment (tests/conftest.py grades it once): the
    instructor notebook, the blank release and the mutants in batches, with their details."""

    def __init__(self, graded_classes, tmp_path_factory, assignment):
        _, self.out = graded_class(graded_classes, tmp_path_factory, assignment)
        self.rows = graded_classes(assignment)
        self.batch_of = batch_of(assignment)

    def student_rows(self, student):
        return [r for (s, _), r in self.rows.items() if s == student]

    def details(self, student):
        path = self.out / "details" / f"{report.safe_name(student)}.json"
        if not path.exists():  # a grader that names its files otherwise keeps the name inside
            path = next(p for p in (self.out / "details").glob("*.json")
                        if json.loads(p.read_text()).get("student") == student)
        return json.loads(path.read_text())


@pytest.fixture(scope="session")
def graded(graded_classes, tmp_path_factory):
    """{assignment: Graded}, built on conftest's classes (each graded once per test session)."""
    built = {}

    def get(assignment):
        if assignment not in built:
            built[assignment] = Graded(graded_classes, tmp_path_factory, assignment)
        return built[assignment]

    return get


@pytest.mark.notebook
@pytest.mark.parametrize("assignment", [grouped(a) for a in ASSIGNMENTS])
def test_solution_executes_in_fast_mode(assignment, tmp_path):
    demo.execute_solution(assignment, tmp_path / "out.ipynb", tmp_path / "cache", timeout=600, COURSE_DEVICE="cpu")
    executed = nbformat.read(tmp_path / "out.ipynb", 4)
    assert not any(o.get("output_type") == "error" for c in executed.cells for o in c.get("outputs", []))


@pytest.mark.notebook
@pytest.mark.parametrize("assignment", [grouped(a) for a in ASSIGNMENTS])
def test_blank_release_runs_all_to_every_check(assignment, tmp_path):
    """Run All on the student's release, as a student does on day one: every grader.check cell is
    reached and says "not implemented yet", no cell shows a traceback, every figure drawn is right."""
    demo.execute_notebook(paths.NOTEBOOKS / f"{assignment}.ipynb", tmp_path / "out.ipynb", tmp_path / "cache",
                          timeout=600, COURSE_DEVICE="cpu")
    cells = nbformat.read(tmp_path / "out.ipynb", 4).cells
    errors = [c.source.splitlines()[0] for c in cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"cells that show a traceback: {errors}"
    questions = list(grade.load_assignment(assignment).questions)
    said = {}
    for cell in cells:
        first = cell.source.strip()
        if cell.cell_type == "code" and first.startswith("grader.check"):
            said[first] = "\n".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs)
    for q in questions:
        assert f"{q}: not implemented yet" in said.get(f'grader.check("{q}")', ""), f"{q}: {said.get(q)!r}"
    summary = said["grader.check_all()"]
    assert f"Summary: 0/{len(questions)} questions pass every public check; not implemented yet: " in summary


@pytest.mark.parametrize("assignment", [grouped(a) for a in ASSIGNMENTS])
def test_instructor_notebook_scores_full(assignment, graded):
    rows = graded(assignment).student_rows("solution")
    bad = [(r.question, r.status, r.message) for r in rows if r.points != r.max_points]
    assert rows and not bad


@pytest.mark.parametrize("assignment", [grouped(a) for a in ASSIGNMENTS])
def test_blank_release_scores_zero(assignment, graded):
    rows = graded(assignment).student_rows("blank")
    assert rows and all(r.points == 0 for r in rows), [(r.question, r.points) for r in rows if r.points]


@pytest.mark.parametrize("assignment", [grouped(a) for a in ASSIGNMENTS])
def test_every_mutant_loses_points_where_it_should(assignment, graded):
    g = graded(assignment)
    library = mutants.load(assignment)
    assert len([m for m in library if not m.correct]) >= MIN_MUTANTS.get(assignment, 5), "too few mutants"
    survivors = []
    for m in library:
        for question in m.loses:
            r = g.rows[(g.batch_of[m.name], question)]
            if r.points >= r.max_points:
                survivors.append(f"{m.name} keeps full marks in {question}")
    assert not survivors, survivors


@pytest.mark.parametrize("assignment", [grouped(a) for a in ASSIGNMENTS])
def test_public_checks_catch_every_misconception(assignment, graded):
    """A misconception must be caught before the deadline, by ``grader.check`` in the student's
    kernel: a *public* test of its question fails (the per-test outcomes in details/)."""
    g = graded(assignment)
    missed = []
    for m in mutants.load(assignment):
        if m.misconception:
            tests = g.details(g.batch_of[m.name])["tests"]
            if not any(t["question"] in m.loses and not t["hidden"] and t["status"] != "passed" for t in tests):
                missed.append(m.name)
    assert not missed, f"misconceptions only the hidden tests catch: {missed}"


@pytest.mark.parametrize("assignment", [grouped(a) for a in ASSIGNMENTS])
def test_correct_variants_keep_full_marks(assignment, graded):
    g = graded(assignment)
    deps = mutants.Dependencies(assignment)
    variants = [m for m in mutants.load(assignment) if m.correct]
    assert variants, "write a few correct answers another way (loses=[])"
    losing = [(m.name, q, g.rows[(g.batch_of[m.name], q)].message) for m in variants for q in deps.touched(m)
              if g.rows[(g.batch_of[m.name], q)].points < g.rows[(g.batch_of[m.name], q)].max_points]
    assert not losing, losing


@pytest.mark.parametrize("assignment", [grouped(a) for a in ASSIGNMENTS])
def test_each_batch_tells_its_mutants_apart(assignment, graded):
    """A batch is graded like one student: it ran without restarts, and every question that no
    member touches and whose tests use no member's code keeps full marks. (A question that loses
    points here depends on a member's code without saying so: a missing ``uses=``.)"""
    g = graded(assignment)
    deps = mutants.Dependencies(assignment)
    problems = []
    for k, group in enumerate(mutants.batches(assignment)):
        student = f"batch-{k + 1}"
        touched = set().union(*(deps.touched(m) for m in group))
        if g.details(student).get("starts", 1) != 1:
            problems.append(f"{student} restarted: {[m.name for m in group]}")
        for r in g.student_rows(student):
            if r.question not in touched and not deps.used_by({r.question}) & touched and r.points < r.max_points:
                problems.append(f"{student} ({', '.join(m.name for m in group)}) loses points in {r.question}: {r.message}")
    assert not problems, problems


def test_every_question_has_a_misconception_mutant():
    for a in ASSIGNMENTS:
        targeted = {q for m in mutants.load(a) if m.misconception for q in m.loses}
        missing = set(grade.load_assignment(a).questions) - targeted
        assert not missing, f"{a}: no misconception mutant for {sorted(missing)}"


def test_mutants_target_real_questions():
    for a in ASSIGNMENTS:
        questions = set(grade.load_assignment(a).questions)
        for m in mutants.load(a):
            assert set(m.loses) <= questions, f"{a}/{m.name} names unknown questions {set(m.loses) - questions}"
            mutants.apply(m, a)  # each replacement matches exactly once
        for group in mutants.batches(a):
            mutants.apply_all(group, a)  # and a batch's replacements do not overlap


def test_js_divergence_is_finite_on_denormal_and_zero_probabilities():
    """The figure of 01's section 3 differentiates js_divergence between discretised Gaussians
    whose tails are 0 or denormal; halving a denormal p underflows to 0 (then log m = -inf)."""
    js = nbload.definitions(paths.SOLUTIONS / "01_divergences.ipynb")["js_divergence"]
    for dtype in (torch.float32, torch.float64):
        tiny = torch.finfo(dtype).smallest_normal * torch.finfo(dtype).eps
        p, q = torch.tensor([1.0, tiny, 0.0], dtype=dtype), torch.tensor([0.0, 0.0, 1.0], dtype=dtype)
        assert math.isclose(js(p, q).item(), math.log(2), rel_tol=1e-6), dtype
        grid = torch.linspace(-8, 8, 801, dtype=dtype)
        theta = torch.tensor(3.0, dtype=dtype, requires_grad=True)
        bump = lambda m: torch.exp(-0.5 * ((grid - m) / 0.3) ** 2) / torch.exp(-0.5 * ((grid - m) / 0.3) ** 2).sum()  # noqa: E731
        value = js(bump(torch.tensor(0.0, dtype=dtype)), bump(theta))
        (grad,) = torch.autograd.grad(value, theta)
        assert math.isfinite(value.item()) and math.isfinite(grad.item()), (dtype, value, grad)
