"""The grading contract, run on a small class of honest, broken and hostile submissions.

``python -m autograder grade ASSIGNMENT SUBMISSIONS_DIR --out OUT_DIR`` -> grades.csv with
student, assignment, question, points, max_points, status, message; feedback/<student>.html.
"""
import copy
import csv
import json
import os
import subprocess
import sys
import types

import nbformat
import pytest

import adversarial
from autograder import grade, mutants, paths
from autograder.grade import report, submission
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
    return adversarial.wrong_js(student_copy())


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
    assert "hidden test js_matches_scipy failed: " in wrong


def test_details_keep_the_graders_own_messages_for_tas(graded):
    d = json.loads((graded["out"] / "details" / "wrong_js_with_liar_result.json").read_text())
    assert {"tests", "seconds", "cell_events", "starts", "student"} <= set(d)
    by = {t["test"]: t for t in d["tests"]}
    assert set(by["js_matches_scipy"]) >= {"question", "test", "hidden", "status", "message", "seconds"}
    assert by["js_matches_scipy"]["status"] == "failed" and "JS" in by["js_matches_scipy"]["message"]
    assert all(len(t["message"]) < 9000 for t in d["tests"])


# -- reading submissions: refused by lstat, never followed -----------------------------------------

def hard_link(outside, target):
    outside.write_text("{}")
    os.link(outside, target)


def plant(tmp_path, how):
    folder = tmp_path / "subs" / "s"
    folder.mkdir(parents=True)
    target = folder / f"{A}.ipynb"
    how(folder, target)
    return tmp_path / "subs"


@pytest.mark.parametrize("how, status, reason", [
    (lambda f, t: None, "missing", f"no {A}.ipynb"),
    (lambda f, t: t.symlink_to(paths.SOLUTIONS / f"{A}.ipynb"), "invalid", "symbolic link"),
    (lambda f, t: t.symlink_to("/proc/self/mem"), "invalid", "symbolic link"),
    (lambda f, t: t.symlink_to("/nonexistent"), "invalid", "symbolic link"),
    (lambda f, t: os.mkfifo(t), "invalid", "a FIFO"),
    (lambda f, t: t.mkdir(), "invalid", "a folder"),
    (lambda f, t: hard_link(f.parent.parent / "elsewhere.ipynb", t), "invalid", "hard link"),
    (lambda f, t: open(t, "wb").truncate(1 << 40), "invalid", "limit 64 MB"),
])
def test_a_notebook_that_is_not_a_plain_file_of_its_own_is_refused_unread(tmp_path, how, status, reason):
    subs = plant(tmp_path, how)
    with pytest.raises(submission.Unusable, match=reason) as refused:
        submission.read(subs, "s", f"{A}.ipynb")
    assert refused.value.status == status


def test_a_student_folder_that_is_a_link_is_refused(tmp_path):
    (tmp_path / "subs" / "real").mkdir(parents=True)
    (tmp_path / "subs" / "real" / f"{A}.ipynb").write_text("{}")
    (tmp_path / "subs" / "alias").symlink_to(tmp_path / "subs" / "real")
    (tmp_path / "subs" / "dangling").symlink_to(tmp_path / "nowhere")
    assert set(submission.students(tmp_path / "subs")) == {"real", "alias", "dangling"}, "links get rows too"
    assert submission.read(tmp_path / "subs", "real", f"{A}.ipynb") == b"{}"
    for link in ("alias", "dangling"):
        with pytest.raises(submission.Unusable, match="submission folder is a symbolic link"):
            submission.read(tmp_path / "subs", link, f"{A}.ipynb")


def test_student_ids_are_printable_and_unique_even_for_undecodable_names(tmp_path):
    base = os.fsencode(tmp_path)
    for name in (b"zo\xeb", b"zo\\xeb", b"esc\x1bname", b"plain", b".hidden"):
        os.mkdir(os.path.join(base, name))
    (tmp_path / "a_file").write_text("not a student")
    ids = submission.students(tmp_path)
    assert set(ids) == {"zo\\xeb", "zo\\xeb~2", "esc\\x1bname", "plain"}
    assert {os.fsencode(folder) for folder in ids.values()} == {b"zo\xeb", b"zo\\xeb", b"esc\x1bname", b"plain"}
    assert len({report.safe_name(s) for s in ids}) == 4


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


@pytest.mark.parametrize("how", [
    lambda f, t: t.symlink_to(paths.SOLUTIONS / f"{A}.ipynb"),
    lambda f, t: os.mkfifo(t),
    lambda f, t: open(t, "wb").truncate(1 << 40),
])
def test_the_gradebooks_copy_never_reads_a_refused_submission(tmp_path, how):
    """What formgrader and nbgrader's feedback show of a refused notebook is the reason, never
    what it points at (the solution, here) and never a hang (a FIFO)."""
    from autograder.grade import gradebook

    plant(tmp_path, how)
    row = report.Row("s", A, "kl_normal", 0.0, 3.0, "invalid", "the reason it was refused")
    nb = gradebook.checked_notebook(tmp_path / "subs" / "s" / f"{A}.ipynb", paths.NOTEBOOKS / f"{A}.ipynb", [row])
    assert [c.source for c in nb.cells] == ["**This submission could not be graded:** the reason it was refused"]
