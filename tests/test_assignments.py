"""Every assignment, end to end: its solution executes (fast mode), and through the grading
contract the instructor notebook scores full, the blank release 0, and every mutant loses points
in the questions it targets."""
import nbformat
import pytest

from autograder import demo, grade, mutants, paths

ASSIGNMENTS = paths.assignments()
MIN_MUTANTS = {"01_divergences": 8, "06_principles": 15}


def grouped(assignment):
    return pytest.param(assignment, marks=pytest.mark.xdist_group(assignment))


@pytest.mark.notebook
@pytest.mark.parametrize("assignment", [grouped(a) for a in ASSIGNMENTS])
def test_solution_executes_in_fast_mode(assignment, tmp_path):
    demo.execute_solution(assignment, tmp_path / "out.ipynb", tmp_path / "cache", timeout=600, COURSE_DEVICE="cpu")
    executed = nbformat.read(tmp_path / "out.ipynb", 4)
    assert not any(o.get("output_type") == "error" for c in executed.cells for o in c.get("outputs", []))


@pytest.mark.parametrize("assignment", [grouped(a) for a in ASSIGNMENTS])
def test_instructor_notebook_scores_full(assignment, graded_classes):
    rows = [r for (s, _), r in graded_classes(assignment).items() if s == "solution"]
    bad = [(r.question, r.status, r.message) for r in rows if r.points != r.max_points]
    assert rows and not bad


@pytest.mark.parametrize("assignment", [grouped(a) for a in ASSIGNMENTS])
def test_blank_release_scores_zero(assignment, graded_classes):
    rows = [r for (s, _), r in graded_classes(assignment).items() if s == "blank"]
    assert rows and all(r.points == 0 for r in rows), [(r.question, r.points) for r in rows if r.points]


@pytest.mark.parametrize("assignment", [grouped(a) for a in ASSIGNMENTS])
def test_every_mutant_loses_points_where_it_should(assignment, graded_classes):
    rows = graded_classes(assignment)
    library = mutants.load(assignment)
    assert len(library) >= MIN_MUTANTS.get(assignment, 5), "too few mutants"
    survivors = []
    for m in library:
        for question in m.loses:
            r = rows[(f"mutant-{m.name}", question)]
            if r.points >= r.max_points:
                survivors.append(f"{m.name} keeps full marks in {question}")
    assert not survivors, survivors


def test_mutants_target_real_questions():
    for a in ASSIGNMENTS:
        questions = set(grade.load_assignment(a).questions)
        for m in mutants.load(a):
            assert set(m.loses) <= questions, f"{a}/{m.name} names unknown questions {set(m.loses) - questions}"
            mutants.apply(m, a)  # each replacement matches exactly once
