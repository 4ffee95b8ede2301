"""Instant checks: the test format, the in-kernel notebook proxy and the Checker."""
import math

import numpy as np
import pytest
import torch

import course_utils as cu
from course_utils import checks


def namespace(**values):
    ns = {"torch": torch}
    ns.update(values)
    return ns


@cu.test("square", points=2)
def squares_three(nb):
    assert nb.square(3) == 9, "square(3) should be 9"


def test_decorator_registers_question_points_and_name():
    spec = squares_three.__course_test__
    assert (spec.question, spec.name, spec.points) == ("square", "squares_three", 2.0)
    with pytest.raises(ValueError):
        cu.test("not an identifier")


@pytest.mark.parametrize("square, status", [
    (lambda x: x * x, "passed"),
    (lambda x: x + x, "failed"),
    (lambda x: 1 / 0, "error"),
    (lambda x: (_ for _ in ()).throw(NotImplementedError()), "error"),
    (lambda x: object(), "failed"),
])
def test_outcomes_are_classified(square, status):
    outcome = checks.run_test(squares_three.__course_test__, checks.LocalNotebook(namespace(square=square)))
    assert outcome.status == status
    assert outcome.points == (2.0 if status == "passed" else 0.0)


def test_a_missing_function_is_reported_as_missing():
    outcome = checks.run_test(squares_three.__course_test__, checks.LocalNotebook(namespace()))
    assert outcome.status == "missing" and "'square' is not defined" in outcome.message


def test_an_object_that_equals_everything_earns_nothing():
    class Liar:
        def __eq__(self, other):
            return True

    outcome = checks.run_test(squares_three.__course_test__, checks.LocalNotebook(namespace(square=lambda x: Liar())))
    assert outcome.status == "failed" and "cannot be checked" in outcome.message


def test_run_returns_result_and_sees_inputs():
    nb = checks.LocalNotebook(namespace(offset=10))
    assert nb.run("result = offset + k", k=5) == 15
    assert nb.get("offset") == 10 and nb.has("offset") and not nb.has("nothing")
    with pytest.raises(checks.StudentError, match="ZeroDivisionError"):
        nb.run("result = 1 / 0")


def test_local_calls_do_not_disturb_the_students_random_streams():
    cu.seed_everything(0)
    expected = torch.rand(1)
    cu.seed_everything(0)
    checks.LocalNotebook(namespace(draw=lambda: torch.rand(3))).draw()
    assert torch.equal(torch.rand(1), expected)


def test_calls_are_seeded_so_checks_repeat():
    nb = checks.LocalNotebook(namespace(draw=lambda: torch.rand(3)))
    assert torch.equal(nb.draw(), nb.draw())


def test_assert_close_messages_name_the_value_and_index():
    cu.assert_close(torch.tensor([1.0, 2.0]), np.array([1.0, 2.0]))
    with pytest.raises(AssertionError, match=r"KL at index \(1,\) is 2.5, expected 2"):
        cu.assert_close(torch.tensor([1.0, 2.5]), [1.0, 2.0], what="KL")
    with pytest.raises(AssertionError, match="shape"):
        cu.assert_close(torch.ones(3), torch.ones(2))
    with pytest.raises(AssertionError, match="number or an array"):
        cu.assert_close("0.5", 0.5)


def test_approx_compares_only_numbers():
    assert 0.5000001 == cu.approx(0.5)
    assert not ("0.5" == cu.approx(0.5))
    assert math.inf == cu.approx(math.inf) and not (1e308 == cu.approx(math.inf))


def test_checker_runs_file_checks_and_reports(tmp_path, monkeypatch):
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "demo.py").write_text(
        "import course_utils as cu\n\n"
        "@cu.test('double', points=1)\n"
        "def doubles(nb):\n"
        "    assert nb.double(2) == 4, 'double(2) should be 4'\n")
    monkeypatch.chdir(tmp_path)
    ns = {"double": lambda x: x * 3}
    grader = cu.Checker("demo", namespace=ns)
    report = grader.check("double")
    assert not report.passed and "double(2) should be 4" in repr(report)
    assert "def doubles(nb)" in repr(report), "a failing public check shows its source"
    assert "border-left" in report._repr_html_()
    ns["double"] = lambda x: x * 2
    assert grader.check("double").passed
    monkeypatch.setenv("COURSE_GRADING", "1")
    assert grader.check("double") is None, "under the grader, checks are the grader's job"


def test_checker_in_the_instructor_notebook_raises_on_a_failing_solution():
    ns = {"square": lambda x: x + x, "squares_three": squares_three}
    with pytest.raises(AssertionError, match="fails its own tests"):
        cu.Checker("demo", namespace=ns).check("square")


def test_wire_is_used_for_arguments():
    seen = {}

    def capture(x):
        seen["type"] = type(x)
        return x

    checks.LocalNotebook(namespace(capture=capture)).capture(np.float32(1.5))
    assert seen["type"] is float
