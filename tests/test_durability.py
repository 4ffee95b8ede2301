"""Grades that survive: resume after a kill, idempotent re-runs, identical results, the
nbgrader gradebook and the LMS export."""
import csv
import json
import os
import signal
import subprocess
import sys
import time

import nbformat
import pytest

from autograder import grade, mutants, paths
from autograder.grade import export, gradebook, journal
from conftest import ROOT, once_per_session

A = "01_divergences"


def write_class(folder, students):
    for name, nb in students.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / name / f"{A}.ipynb")
    return folder


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    def build(folder):
        solved = mutants.student_copy(A)
        blank = nbformat.read(paths.NOTEBOOKS / f"{A}.ipynb", 4)
        buggy = mutants.apply(mutants.load(A)[0], A)
        write_class(folder, {"ann": solved, "ben": blank, "cat": buggy})

    return once_per_session(tmp_path_factory, "durability-class", build)


def run_grade(subs, out, *extra):
    return subprocess.run([sys.executable, "-m", "autograder", "grade", A, str(subs), "--out", str(out), *extra],
                          cwd=ROOT, capture_output=True, text=True)


@pytest.fixture(scope="module")
def three_runs(small_class, tmp_path_factory):
    """grades.csv of the same class graded three times from scratch."""
    def build(folder):
        for i in range(3):
            result = run_grade(small_class, folder / f"run{i}", "--jobs", "2")
            assert result.returncode == 0, result.stderr

    folder = once_per_session(tmp_path_factory, "durability-runs", build)
    return [(folder / f"run{i}" / "grades.csv").read_bytes() for i in range(3)]


def test_the_same_class_graded_three_times_gives_identical_grades(three_runs):
    assert three_runs[0] == three_runs[1] == three_runs[2]


def test_a_killed_run_resumes_without_lost_or_duplicated_rows(small_class, three_runs, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade", A, str(small_class), "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and len(list((out / ".journal").glob("*.json"))) < 1:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the grader and its workers, mid-batch
    proc.wait()
    done_before = {p.stem for p in (out / ".journal").glob("*.json")}
    assert 1 <= len(done_before) < 3 and not (out / "grades.csv").exists()
    result = run_grade(small_class, out)
    assert result.returncode == 0, result.stderr
    assert sum("from the journal" in line for line in result.stdout.splitlines()) == len(done_before)
    with open(out / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    keys = [(r["student"], r["question"]) for r in rows]
    questions = grade.load_assignment(A).questions
    assert len(keys) == len(set(keys)) == 3 * len(questions)
    assert (out / "grades.csv").read_bytes() == three_runs[0], "resumed grades equal an uninterrupted run"


def test_journal_entries_are_invalidated_by_a_new_submission_or_new_tests(tmp_path):
    log = journal.Journal(tmp_path, A)
    row = grade.report.Row("ann", A, "kl_normal", 3.0, 3.0, "passed")
    log.record("ann", "digest-1", [row])
    assert log.lookup("ann", "digest-1") == [row]
    assert log.lookup("ann", "digest-2") is None, "a resubmission is regraded"
    log.grader = "other tests"
    assert log.lookup("ann", "digest-1") is None, "changed tests regrade everyone"
    (tmp_path / ".journal" / "ann.json").write_text("{half a file")
    assert log.lookup("ann", "digest-1") is None


@pytest.mark.parametrize("entry", [
    [1, 2, 3], "a string", None, 7,                                              # valid JSON, not an object
    {"student": "ann", "submission": "d", "rows": 5},                             # no grader, rows not a list
    {"rows": [1]}, {"rows": [{"bad": 1}]}, {"rows": []},                          # rows of the wrong shape
    {"rows": [{"student": "ann", "assignment": A, "question": "kl_normal", "points": "3", "max_points": 3.0,
               "status": "passed", "message": ""}]},                                # a number that is a string
    {"rows": [{"student": "ann", "assignment": A, "question": "kl_normal", "points": float("nan"),
               "max_points": 3.0, "status": "passed", "message": ""}]},
    {"rows": [{"student": "bob", "assignment": A, "question": "kl_normal", "points": 3.0, "max_points": 3.0,
               "status": "passed", "message": ""}]},                                # another student's row
])
def test_a_journal_entry_that_is_not_exactly_ours_means_grade_again(tmp_path, entry):
    log = journal.Journal(tmp_path, A)
    if isinstance(entry, dict):
        entry = {"student": "ann", "grader": log.grader, "submission": "d", **entry}
    (tmp_path / ".journal" / "ann.json").write_text(json.dumps(entry))
    assert log.lookup("ann", "d") is None


def test_a_journal_entry_with_other_questions_is_regraded(tmp_path):
    log = journal.Journal(tmp_path, A)
    log.record("ann", "d", [grade.report.Row("ann", A, "kl_normal", 3.0, 3.0, "passed")])
    assert log.lookup("ann", "d", ["kl_normal"]) is not None
    assert log.lookup("ann", "d", ["kl_normal", "js_divergence"]) is None


def test_a_damaged_journal_entry_is_regraded_and_a_killed_runs_scratch_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PRELOAD", "")
    (tmp_path / "subs" / "ann").mkdir(parents=True)
    (tmp_path / "subs" / "ann" / f"{A}.ipynb").write_bytes(b"[1]")  # invalid: no worker needed
    (tmp_path / "out" / ".journal").mkdir(parents=True)
    (tmp_path / "out" / ".journal" / "ann.json").write_text('{"student": "ann", "rows": [[1]]}')
    (tmp_path / "out" / ".scratch" / "left-by-a-killed-run").mkdir(parents=True)
    rows = grade.grade(A, tmp_path / "subs", tmp_path / "out", progress=lambda *_: None)
    assert {r.status for r in rows} == {"invalid"}
    assert not (tmp_path / "out" / ".scratch").exists()


def test_two_runs_on_one_out_dir_at_once_are_refused(tmp_path):
    import fcntl

    (tmp_path / "subs").mkdir()
    (tmp_path / "out").mkdir()
    with open(tmp_path / "out" / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(grade.SetupError, match="another grading run"):
            grade.grade(A, tmp_path / "subs", tmp_path / "out", progress=lambda *_: None)


def test_scores_land_in_the_nbgrader_gradebook_and_the_lms_export(small_class, tmp_path):
    from nbgrader.api import Gradebook

    course = tmp_path / "course"
    subprocess.run([sys.executable, "-m", "autograder", "nbgrader", str(course), A], cwd=ROOT, check=True,
                   capture_output=True)
    result = run_grade(small_class, tmp_path / "out", "--gradebook", str(course), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    db = f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(db) as gb:
        assert gb.find_submission(A, "ann").code_score == sum(grade.load_assignment(A).questions.values())
        assert gb.find_submission(A, "ben").code_score == 0
        # a TA grades a derivation by hand in formgrader
        manual = gb.find_grade("explain_mode_seeking", A, A, "ann")
        manual.manual_score = 1.5
        gb.db.commit()
    assert (course / "autograded" / "ann" / A / f"{A}.ipynb").exists(), "formgrader needs the notebook"
    # grading again (from the journal) rewrites the automatic scores and keeps the manual grade
    assert run_grade(small_class, tmp_path / "out", "--gradebook", str(course)).returncode == 0
    assert gradebook.manual_scores(course, A)["ann"] == 1.5
    lms = tmp_path / "lms.csv"
    export.export([tmp_path / "out"], lms, gradebook=course)
    with open(lms, newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    auto = sum(grade.load_assignment(A).questions.values())
    assert float(rows["ann"][A]) == auto + 1.5 == float(rows["ann"]["total"])
    assert float(rows["ben"][A]) == 0 and set(rows) == {"ann", "ben", "cat"}


def test_export_leaves_ungraded_assignments_empty(tmp_path):
    for name, students in (("a1", ["x", "y"]), ("a2", ["x"])):
        out = tmp_path / name
        out.mkdir()
        grade.report.write_csv(out / "grades.csv", [grade.report.Row(s, name, "q", 2.0, 3.0, "failed") for s in students])
    export.export([tmp_path / "a1", tmp_path / "a2"], tmp_path / "lms.csv")
    lines = (tmp_path / "lms.csv").read_text().splitlines()
    assert lines == ["student,a1,a2,total", "x,2,2,4", "y,2,,2"]
