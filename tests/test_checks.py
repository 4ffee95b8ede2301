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


# --- type and shape messages ------------------------------------------------------------------

def test_a_tensor_where_a_float_is_asked_gets_its_own_message():
    cu.assert_float(0.5, 0.5)
    cu.assert_float(2, 2.0)                      # an int will do
    with pytest.raises(AssertionError, match=r"JS: expected a float, got a 0-d Tensor \(convert it with float"):
        cu.assert_float(torch.tensor(math.log(2)), math.log(2), what="JS")
    with pytest.raises(AssertionError, match="expected a float, got a bool"):
        cu.assert_float(True)
    with pytest.raises(AssertionError, match=r"got a Tensor of shape \(2,\)"):
        cu.assert_float(torch.ones(2))
    with pytest.raises(AssertionError, match="KL is 1, expected inf"):
        cu.assert_float(1.0, math.inf, what="KL")
    cu.assert_float(math.inf, math.inf)
    with pytest.raises(AssertionError, match="mu is 0.5, expected 0.4"):
        cu.assert_float(0.5, 0.4, what="mu")


def test_ints_and_shapes_get_their_own_messages():
    cu.assert_int(3, 3)
    with pytest.raises(AssertionError, match=r"count: expected an int, got a 0-d Tensor \(convert it with int"):
        cu.assert_int(torch.tensor(3), 3, what="count")
    with pytest.raises(AssertionError, match="expected an int, got a float"):
        cu.assert_int(3.0)
    cu.assert_shape(torch.zeros(4, 2), (4, 2))
    with pytest.raises(AssertionError, match=r"z: expected shape \(4,\), got \(4, 1\) \(a dimension of size 1"):
        cu.assert_shape(torch.zeros(4, 1), (4,), what="z")
    with pytest.raises(AssertionError, match=r"expected shape \(2, 3\), got \(3, 2\) \(the right number of entries"):
        cu.assert_shape(np.zeros((3, 2)), (2, 3))
    with pytest.raises(AssertionError, match="expected an array of shape"):
        cu.assert_shape([1, 2], (2,))
    with pytest.raises(AssertionError, match=r"KL: expected shape \(3,\), got \(3, 1\) \(a dimension of size 1"):
        cu.assert_close(torch.ones(3, 1), [1.0, 1.0, 1.0], what="KL")


def test_describe_names_types_as_a_student_reads_them():
    assert cu.describe(torch.tensor(1.0)) == "a 0-d Tensor"
    assert cu.describe(torch.ones(2, 3)) == "a Tensor of shape (2, 3)"
    assert cu.describe(np.float32(1)) == "a NumPy float32"
    assert cu.describe([1, 2]) == "a list of 2 items" and cu.describe(None) == "None" and cu.describe(1.0) == "a float"


# --- what check and check_all show --------------------------------------------------------------

def stub(*args):
    raise NotImplementedError


def test_an_unimplemented_question_gets_one_friendly_line():
    outcomes = [checks.run_test(squares_three.__course_test__, checks.LocalNotebook(namespace(square=stub)))]
    assert outcomes[0].not_implemented and outcomes[0].status == "error" and outcomes[0].points == 0
    box = checks.Report("square", outcomes)
    assert box.not_implemented and not box.passed
    assert box.lines() == ["square: not implemented yet. Fill in its # YOUR CODE HERE above, then run this cell again."]
    assert "Traceback" not in repr(box) and "#6e7781" in box._repr_html_()


def test_check_all_shows_every_box_and_a_summary(tmp_path, monkeypatch):
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "demo.py").write_text(
        "import course_utils as cu\n\n"
        "@cu.test('double', points=1)\ndef doubles(nb):\n    assert nb.double(2) == 4, 'double(2) should be 4'\n\n"
        "@cu.test('half', points=1)\ndef halves(nb):\n    assert nb.half(4) == 2\n\n"
        "@cu.test('third', points=1)\ndef thirds(nb):\n    assert nb.third(9) == 3\n")
    monkeypatch.chdir(tmp_path)
    summary = cu.Checker("demo", namespace={"double": lambda x: 2 * x, "half": stub, "third": lambda x: x}).check_all()
    text = repr(summary)
    assert "double: 1/1 checks passed ✓" in text and "half: not implemented yet" in text and "third: 0/1" in text
    assert text.splitlines()[-1] == ("Summary: 1/3 questions pass every public check; not implemented yet: half; "
                                     "failing: third.")
    assert len(summary) == 3 and not summary.passed and summary[0].question == "double"   # still a list of reports
    assert summary._repr_html_().count("<pre") == 4
    monkeypatch.setenv("COURSE_GRADING", "1")
    assert cu.Checker("demo", namespace={}).check_all() == []
