"""The grading contract, run on a small class of honest, broken and hostile submissions.

``python -m autograder grade ASSIGNMENT SUBMISSIONS_DIR --out OUT_DIR`` -> grades.csv with
student, assignment, question, points, max_points, status, message; feedback/<student>.html.
"""
import copy
import csv
import json
import subprocess
import sys
import types

import nbformat
import pytest

from autograder import grade, mutants, paths
from autograder.sandbox import Limits
from conftest import ROOT, once_per_session

A = "01_divergences"
COLUMNS = ["student", "assignment", "question", "points", "max_points", "status", "message"]
STATUSES = {"passed", "failed", "error", "timeout", "missing", "invalid"}


def student_copy():
    return mutants.student_copy(A)


def with_cell(source, at=2):
    """The solved notebook with one extra code cell inserted."""
    nb = student_copy()
    nb.cells.insert(at, nbformat.v4.new_code_cell(source))
    return nb


def without(function_name):
    nb = student_copy()
    nb.cells = [c for c in nb.cells if f"def {function_name}(" not in c.source]
    return nb


def wrong_js():
    nb = student_copy()
    for c in nb.cells:
        c.source = c.source.replace("return 0.5 * kl_to_mixture(p, q) + 0.5 * kl_to_mixture(q, p)",
                                    "return 0.5 * kl_to_mixture(p, q)")
    return nb


CLASS = {
    "honest": student_copy(),
    "invalid_json": b'{"cells": [',
    "binary_garbage": bytes(range(256)) * 40,
    "nbformat3": b'{"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}',
    "json_list": b"[1, 2, 3]",
    "deleted_js_cell": without("js_divergence"),
    "hangs_in_a_cell": with_cell("while True:\n    pass"),
    "exits_in_a_cell": with_cell("import os\nos._exit(3)"),
    "patches_allclose_and_is_wrong": with_cell("import torch, numpy\ntorch.allclose = lambda *a, **k: True\n"
                                               "numpy.allclose = lambda *a, **k: True", at=len(student_copy().cells)),
    "wrong_js_with_liar_result": wrong_js(),
    "kl_hangs_when_called": with_cell("def kl_normal(*args):\n    while True:\n        pass",
                                      at=len(student_copy().cells)),
}
CLASS["patches_allclose_and_is_wrong"] = copy.deepcopy(CLASS["patches_allclose_and_is_wrong"])
for c in CLASS["patches_allclose_and_is_wrong"].cells:
    c.source = c.source.replace("return (torch.sort(x).values - torch.sort(y).values).abs().mean()",
                                "return torch.tensor(0.0)")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    def build(base):
        subs = base / "subs"
        for student, content in CLASS.items():
            (subs / student).mkdir(parents=True)
            target = subs / student / f"{A}.ipynb"
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                nbformat.write(content, target)
        (subs / "no_notebook").mkdir()
        (subs / "no_notebook" / "notes.txt").write_text("forgot to submit")
        result = subprocess.run([sys.executable, "-m", "autograder", "grade", A, str(subs), "--out", str(base / "out"),
                                 "--cell-timeout", "5", "--test-timeout", "20", "--jobs", "2"],
                                cwd=ROOT, capture_output=True, text=True, timeout=900)
        (base / "result.json").write_text(json.dumps(
            {"returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr}))

    base = once_per_session(tmp_path_factory, "contract", build)
    result = types.SimpleNamespace(**json.loads((base / "result.json").read_text()))
    with open(base / "out" / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return {"result": result, "rows": rows, "out": base / "out", "subs": base / "subs",
            "by": {(r["student"], r["question"]): r for r in rows}}


def total(graded, student):
    return sum(float(r["points"]) for r in graded["rows"] if r["student"] == student)


def maximum():
    return sum(grade.load_assignment(A).questions.values())


def test_contract_exit_code_columns_and_rows(graded):
    assert graded["result"].returncode == 0, graded["result"].stderr
    with open(graded["out"] / "grades.csv", newline="") as f:
        assert next(csv.reader(f)) == COLUMNS
    questions = list(grade.load_assignment(A).questions)
    students = sorted(list(CLASS) + ["no_notebook"])
    assert [(r["student"], r["question"]) for r in graded["rows"]] == [(s, q) for s in students for q in questions]
    assert {r["status"] for r in graded["rows"]} <= STATUSES
    assert all(r["assignment"] == A for r in graded["rows"])
    for s in students:
        assert (graded["out"] / "feedback" / f"{s}.html").exists()


def test_honest_submission_gets_full_marks(graded):
    assert total(graded, "honest") == maximum()


@pytest.mark.parametrize("student, status, reason", [
    ("invalid_json", "invalid", "not valid notebook JSON"),
    ("binary_garbage", "invalid", "not a notebook"),
    ("nbformat3", "invalid", "nbformat 3"),
    ("json_list", "invalid", "not a Jupyter notebook"),
    ("no_notebook", "missing", f"no {A}.ipynb"),
])
def test_unusable_submissions_get_a_reason_on_every_row(graded, student, status, reason):
    rows = [r for r in graded["rows"] if r["student"] == student]
    assert rows and all(r["status"] == status and reason in r["message"] and r["points"] == "0" for r in rows)


def test_a_deleted_cell_costs_only_its_question(graded):
    by = graded["by"]
    assert by[("deleted_js_cell", "js_divergence")]["status"] == "missing"
    assert "js_divergence" in by[("deleted_js_cell", "js_divergence")]["message"]
    assert total(graded, "deleted_js_cell") == maximum() - float(by[("honest", "js_divergence")]["max_points"])


def test_a_hanging_cell_is_skipped_and_the_rest_is_graded(graded):
    assert total(graded, "hangs_in_a_cell") == maximum()
    page = (graded["out"] / "feedback" / "hangs_in_a_cell.html").read_text()
    assert "timeout" in page and "did not finish within 5 s" in page


def test_a_process_exit_in_a_cell_is_survived(graded):
    assert total(graded, "exits_in_a_cell") == maximum()
    assert "exited with code 3" in (graded["out"] / "feedback" / "exits_in_a_cell.html").read_text()


def test_a_function_that_hangs_times_out_alone(graded):
    by = graded["by"]
    assert by[("kl_hangs_when_called", "kl_normal")]["status"] == "timeout"
    others = [r for r in graded["rows"] if r["student"] == "kl_hangs_when_called" and r["question"] != "kl_normal"]
    assert all(r["status"] == "passed" for r in others)


def test_patched_comparisons_in_the_students_process_earn_nothing(graded):
    row = graded["by"][("patches_allclose_and_is_wrong", "w1_sorted")]
    assert row["status"] == "failed" and row["points"] == "0"


def test_a_wrong_answer_is_failed_with_a_public_message(graded):
    row = graded["by"][("wrong_js_with_liar_result", "js_divergence")]
    assert row["status"] == "failed" and row["points"] == "0"
    assert "js_on_overlapping_supports" in row["message"]


def test_feedback_never_shows_hidden_test_source_or_expected_values(graded):
    hidden = (paths.TESTS / A / "hidden.py").read_text()
    secrets = [line.strip() for line in hidden.splitlines()
               if len(line.strip()) > 30 and not line.strip().startswith(("#", "@", "def ", "import", "from"))]
    for page in (graded["out"] / "feedback").glob("*.html"):
        text = page.read_text()
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{page.name} shows hidden test lines: {leaked[:2]}"
    wrong = (graded["out"] / "feedback" / "wrong_js_with_liar_result.html").read_text()
    assert "hidden test js_matches_scipy: failed" in wrong


def test_other_students_do_not_change_an_honest_grade(graded, tmp_path):
    alone = tmp_path / "alone"
    (alone / "honest").mkdir(parents=True)
    nbformat.write(CLASS["honest"], alone / "honest" / f"{A}.ipynb")
    rows = grade.grade(A, alone, tmp_path / "out", limits=Limits(cell_seconds=5, test_seconds=20),
                       progress=lambda *_: None)
    assert {(r.question, r.points, r.status) for r in rows} == {
        (r["question"], float(r["points"]), r["status"]) for r in graded["rows"] if r["student"] == "honest"}


@pytest.mark.parametrize("args, message", [
    (["no_such_assignment", "."], "unknown assignment"),
    ([A, "/nonexistent/submissions"], "does not exist"),
])
def test_grading_that_cannot_run_exits_non_zero_with_one_line(tmp_path, args, message):
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", *args, "--out", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
