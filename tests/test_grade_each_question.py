"""Each question graded on its own, hints, and a grader that survives its own bugs, on a tiny
assignment of our own (``99_tiny``, built through the real release in a temporary course).

``square`` is one question; ``sum_of_squares`` another, whose answer calls ``square`` (its tests
declare ``uses=["square"]``). When a student's ``square`` fails its own tests, the tests of
``sum_of_squares`` run again in a fresh worker with the instructor's ``square`` in its place,
so the bug costs points once. The reference that enters that worker must reach nothing the
student receives, whatever the student's code does to steal it.
"""
import csv
import json

import nbformat
import pytest

from autograder import grade, paths, release
from autograder.grade import journal, reference
from autograder.sandbox import Limits

pytestmark = pytest.mark.xdist_group("tiny")
A = "99_tiny"
SECRET_DOC, SECRET_NUMBER = "REFERENCE-ONLY-3e1f", 987654321


def code(src):
    return nbformat.v4.new_code_cell(src)


INSTRUCTOR = [
    code("class _Grader:  # the course's real Checker imports torch: not needed here\n"
         "    def check(self, question):\n        pass\n\ngrader = _Grader()"),
    code(f'def square(x):\n    """{SECRET_DOC}"""\n    # BEGIN SOLUTION\n    return x * x + 0 * {SECRET_NUMBER}\n'
         "    # END SOLUTION"),
    code('# TESTS\n@cu.test("square", points=1)\ndef square_of_three(nb):\n    assert nb.square(3) == 9, "square(3)"'),
    code('# BEGIN HIDDEN TESTS\n@cu.test("square", points=1, hint="does it work for negative numbers?")\n'
         "def square_of_negatives(nb):\n    assert nb.square(-4) == 16\n# END HIDDEN TESTS"),
    code('grader.check("square")'),
    code("def sum_of_squares(xs):\n    # BEGIN SOLUTION\n    return sum(square(x) for x in xs)\n    # END SOLUTION"),
    code('# TESTS\n@cu.test("sum_of_squares", points=1, uses=["square"])\ndef sum_small(nb):\n'
         '    assert nb.sum_of_squares([1, 2]) == 5, "sum_of_squares([1, 2])"'),
    code('# BEGIN HIDDEN TESTS\n@cu.test("sum_of_squares", points=2, uses=["square"], '
         'hint="does it add the square of every element?")\n'
         "def sum_longer(nb):\n    assert nb.sum_of_squares([-1, 2, 3]) == 14\n# END HIDDEN TESTS"),
    code('grader.check("sum_of_squares")'),
]

SETUP = "class _Grader:\n    def check(self, question):\n        pass\n\ngrader = _Grader()"
RIGHT_SQUARE = "def square(x):\n    return x ** 2"
RIGHT_SUM = "def sum_of_squares(xs):\n    total = 0\n    for x in xs:\n        total += square(x)\n    return total"
STEAL = """
import dis, io
def stolen():
    out = io.StringIO()
    dis.dis(square, file=out)
    return f"{square.__doc__} {square.__code__.co_consts} {out.getvalue()}"
"""
STUDENTS = {
    "right": [RIGHT_SQUARE, RIGHT_SUM],
    "wrong_square": ["def square(x):\n    return x + x", RIGHT_SUM],
    "positives_only": ["def square(x):\n    return x * abs(x)", RIGHT_SUM],   # passes public, fails hidden
    "wrong_both": ["def square(x):\n    return x + x", "def sum_of_squares(xs):\n    return len(xs)"],
    # with the reference in place, every way out: an error, a returned string, a "missing" name
    "steals_by_error": ["def square(x):\n    return 0", STEAL + "def sum_of_squares(xs):\n    raise ValueError(stolen())"],
    "steals_by_value": ["def square(x):\n    return 0", STEAL + "def sum_of_squares(xs):\n    return stolen()"],
    "steals_by_name": ["def square(x):\n    return 0", STEAL + "def sum_of_squares(xs):\n"
                       "    raise NameError('x', name=''.join(c if c.isalnum() else '_' for c in stolen())[:60])"],
}


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A course holding only 99_tiny (solution, release, checks, hidden tests) and its class."""
    for name, sub in (("SOLUTIONS", "solutions"), ("NOTEBOOKS", "notebooks"), ("TESTS", "autograder/tests")):
        monkeypatch.setattr(paths, name, tmp_path / "course" / sub)
    monkeypatch.setattr(paths, "CHECKS", paths.NOTEBOOKS / "checks")
    monkeypatch.setenv("COURSE_PRELOAD", "")  # these workers need no torch
    paths.SOLUTIONS.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=INSTRUCTOR), paths.SOLUTIONS / f"{A}.ipynb")
    for path, content in release.build(paths.SOLUTIONS / f"{A}.ipynb").items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    for student, answers in STUDENTS.items():
        nb = nbformat.v4.new_notebook(cells=[code(SETUP)] + [code(a) for a in answers])
        (tmp_path / "subs" / student).mkdir(parents=True)
        nbformat.write(nb, tmp_path / "subs" / student / f"{A}.ipynb")
    return tmp_path


def run(tiny, **kwargs):
    rows = grade.grade(A, tiny / "subs", tiny / "out", jobs=2, progress=lambda *_: None,
                       limits=Limits(cell_seconds=20, test_seconds=20), **kwargs)
    return {(r.student, r.question): r for r in rows}


def details(tiny, student):
    return json.loads((tiny / "out" / "details" / f"{student}.json").read_text())


def test_a_bug_costs_points_once_where_it_is(tiny):
    by = run(tiny)
    assert (by["right", "square"].points, by["right", "sum_of_squares"].points) == (2, 3)
    assert details(tiny, "right")["reference_starts"] == 0, "no dependency failed: no extra worker"
    # square is wrong; sum_of_squares is right, and is graded with the course's square
    assert (by["wrong_square", "square"].points, by["wrong_square", "sum_of_squares"].points) == (0, 3)
    d = details(tiny, "wrong_square")
    assert d["reference_starts"] == 1
    assert {t["test"]: t["substituted"] for t in d["tests"]} == {
        "square_of_three": [], "square_of_negatives": [], "sum_small": ["square"], "sum_longer": ["square"]}
    page = (tiny / "out" / "feedback" / "wrong_square.html").read_text()
    assert "graded with the course&#x27;s square in place of yours" in page
    assert "hidden test square_of_negatives failed: does it work for negative numbers?" in page
    # both wrong: sum_of_squares still fails, with fixed text only (status and the hint)
    assert by["wrong_both", "sum_of_squares"].points == 0
    page = (tiny / "out" / "feedback" / "wrong_both.html").read_text()
    assert ("hidden test sum_longer failed (graded with the course&#x27;s square in place of yours, which failed "
            "its own tests): does it add the square of every element?") in page


def test_a_question_found_wrong_later_regrades_what_already_used_it(tiny):
    """square passes its public test and fails its hidden one: sum_small, which ran with the
    student's square, runs again with the reference (own tests first, then the dependent ones)."""
    by = run(tiny)
    assert (by["positives_only", "square"].points, by["positives_only", "sum_of_squares"].points) == (1, 3)
    tests = {t["test"]: t for t in details(tiny, "positives_only")["tests"]}
    assert tests["sum_small"]["substituted"] == ["square"]
    assert tests["sum_small"]["before_substitution"]["status"] == "passed"
    assert "before_substitution" not in tests["sum_longer"], "it waited for square's verdict"


def test_the_reference_reaches_nothing_a_student_receives(tiny):
    by = run(tiny)
    student_files = [tiny / "out" / "grades.csv", *(tiny / "out" / "feedback").glob("*.html")]
    assert all(by[s, "sum_of_squares"].points == 0 for s in STUDENTS if s.startswith("steals"))
    for path in student_files:
        text = path.read_text()
        for secret in (SECRET_DOC, str(SECRET_NUMBER), "REFERENCE_ONLY", "987654321"):
            assert secret not in text, f"{path.name} shows the reference ({secret})"
    # the stealing worked inside the worker: the TA's details say what the student's code returned
    assert any(SECRET_DOC in t["message"] for t in details(tiny, "steals_by_error")["tests"])


def test_the_reference_is_read_from_the_instructor_notebook_and_fingerprinted(tiny):
    refs = reference.load(A, grade.load_assignment(A).tests)
    assert refs.owner == {"square": "square"}
    assert SECRET_DOC in refs.sources["square"] and "BEGIN SOLUTION" in refs.sources["square"]
    before = journal.Journal(tiny / "j", A, refs.fingerprint).grader
    nb = nbformat.read(paths.SOLUTIONS / f"{A}.ipynb", 4)
    nb.cells[1].source = nb.cells[1].source.replace("x * x", "x ** 2")
    nbformat.write(nb, paths.SOLUTIONS / f"{A}.ipynb")
    after = reference.load(A, grade.load_assignment(A).tests).fingerprint
    assert journal.Journal(tiny / "j", A, after).grader != before, "a changed reference regrades everyone"


def test_one_answer_cell_may_hold_several_questions_functions(tmp_path):
    """01's w1_sorted and w1_cdf, 03's log_marginal, true_posterior and elbo_gaussian: one cell,
    then one check per question. Each function belongs to the question it is named after; a
    helper beside them, to the first check that follows."""
    code = nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook(cells=[
        code("def _helper():\n    return 1\n\n\ndef first(x):\n    return x\n\n\ndef second(x):\n    return x\n"),
        code('grader.check("first")'), code('grader.check("second")'),
        code("def third(x):\n    return second(x)\n"), code('grader.check("third")')])
    path = tmp_path / "99_layout.ipynb"
    nbformat.write(nb, path)
    owners = {n: d.question for n, d in reference.definitions(path).items()}
    assert owners == {"_helper": "first", "first": "first", "second": "second", "third": "third"}


def test_an_unknown_uses_name_is_a_setup_error(tiny):
    hidden = paths.TESTS / A / "hidden.py"
    hidden.write_text(hidden.read_text().replace('uses=["square"]', 'uses=["cube"]'))
    with pytest.raises(grade.SetupError, match="cube"):
        grade.load_assignment(A)


def test_a_crash_in_the_graders_own_code_costs_only_that_student(tiny, monkeypatch):
    real = grade.grade_student

    def sometimes_broken(assignment, student, raw, scratch, limits=None):
        if student == "wrong_both":
            raise KeyError("a bug in the grader")
        return real(assignment, student, raw, scratch, limits)

    monkeypatch.setattr(grade, "grade_student", sometimes_broken)
    by = run(tiny)
    assert {by["wrong_both", q].status for q in ("square", "sum_of_squares")} == {"error"}
    assert by["wrong_both", "square"].message == grade.INTERNAL_ERROR
    assert "KeyError" in details(tiny, "wrong_both")["internal_error"]
    assert by["right", "square"].points == 2 and by["wrong_square", "sum_of_squares"].points == 3
    with open(tiny / "out" / "grades.csv", newline="") as f:
        assert len(list(csv.DictReader(f))) == 2 * len(STUDENTS)
    monkeypatch.setattr(grade, "grade_student", real)
    again = run(tiny)  # an internal error is not journaled: the next run grades that student
    assert again["wrong_both", "square"].status == "failed"


def test_hidden_feedback_is_fixed_text_whatever_the_worker_said():
    from course_utils import checks

    hidden = checks.Test("q", "probe", 1.0, None, hidden=True, hint="")
    for status, message in (("failed", "expected 0.1234 from SECRET input"), ("error", "ValueError: SECRET"),
                            ("missing", "'SECRET_helper' is not defined in the notebook"),
                            ("error", "MadeUpError: SECRET"), ("timeout", "SECRET")):
        shown = grade._student_message(checks.Outcome(hidden, status, message), None, {"kl_normal"})
        assert "SECRET" not in shown and shown.startswith("hidden test probe")
    shown = grade._student_message(checks.Outcome(hidden, "failed", "x"), None, set())
    assert shown == f"hidden test probe failed: {grade.GENERIC_HINT}"
    named = grade._student_message(checks.Outcome(hidden, "missing", "'kl_normal' is not defined in the notebook"),
                                   None, {"kl_normal"})
    assert "'kl_normal' is not defined" in named
    assert "a ValueError" in grade._student_message(checks.Outcome(hidden, "error", "ValueError: x"), None, set())
    public = checks.Test("q", "check", 1.0, None, hint="is the sign right?")
    assert grade._student_message(checks.Outcome(public, "failed", "got -0.5, expected 0.5"), None, set()) == \
        "check: got -0.5, expected 0.5 (hint: is the sign right?)"
