"""Manual grading in nbgrader's formgrader, in a real browser.

The generated class of 01_divergences (graded once per session, tests/conftest.py) is recorded
in a fresh nbgrader course with ``grade --gradebook`` (every student comes from the journal, so
nothing is graded twice). Formgrader runs as the nbgrader server extension of a real JupyterLab;
Chromium, driven like a TA, opens Manual Grading, the assignment, the notebook, the student,
types a score and a comment for a derivation. Both must reach the gradebook and the LMS export,
and survive a re-run of ``grade --gradebook``.
"""
import csv
import shutil
import subprocess
import sys
import warnings

import pytest

from autograder import grade
from autograder.grade import export, gradebook
from autograder.release import nbgrader as nbgrader_course
from browser import chromium, jupyter_server, screenshot
from conftest import ROOT
from graded import graded_class

A = "01_divergences"
QUESTION = "explain_mode_seeking"
SCORE, COMMENT = 1.5, "Names the zero-forcing term; say why it picks a single mode."
pytestmark = pytest.mark.xdist_group(A)  # beside tests/test_assignments.py, which grades the class


def run(*argv):
    result = subprocess.run([sys.executable, "-m", "autograder", *map(str, argv)], cwd=ROOT,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result


def lms(out, course, path):
    export.export([out], path, gradebook=course)
    with open(path, newline="") as f:
        return {r["student"]: float(r[A]) for r in csv.DictReader(f)}


def test_a_manual_grade_typed_in_formgrader_reaches_the_gradebook_and_the_export(
        graded_classes, tmp_path_factory, tmp_path):
    subs, graded = graded_class(graded_classes, tmp_path_factory, A)
    out = tmp_path / "out"
    shutil.copytree(graded, out)  # its journal: the re-runs below grade nobody again
    (tmp_path / "exchange").mkdir()
    course = nbgrader_course.course(tmp_path / "course", [A], exchange=tmp_path / "exchange")
    recorded = run("grade", A, subs, "--out", out, "--gradebook", course)
    assert "(unchanged, from the journal)" in recorded.stdout
    auto = {s: sum(r.points for (who, _), r in graded_classes(A).items() if who == s)
            for s in {s for s, _ in graded_classes(A)}}
    assert lms(out, course, tmp_path / "before.csv") == auto

    with jupyter_server(course, app="lab") as server, chromium() as browser:
        page = browser.new_page()
        page.goto(server.url("formgrader"))
        page.get_by_role("link", name="Manual Grading").click()
        page.get_by_role("link", name=A, exact=True).click()          # the assignment
        page.get_by_role("link", name=A, exact=True).click()          # its notebook
        page.get_by_role("link", name="Submission #1", exact=True).wait_for()
        page.get_by_role("button", name="Show All Names").click()
        page.get_by_role("link", name="solution", exact=True).click()
        page.wait_for_load_state("networkidle")
        assert "kl_normal: 3 / 3 (passed)" in page.content(), "the grader's verdict shows under grader.check"
        score = page.locator(f"#{QUESTION}")
        score.scroll_into_view_if_needed()
        score.fill(str(SCORE))
        score.press("Tab")                                            # formgrader saves on change
        comment = page.locator(f"#{QUESTION}-comment")
        comment.fill(COMMENT)
        comment.press("Tab")
        for _ in range(60):                                           # until both saves have landed
            if gradebook.manual_grades(course, A).get("solution") == {QUESTION: SCORE} and _comment(course) == COMMENT:
                break
            page.wait_for_timeout(500)
        screenshot(page, "formgrader-manual-grade")

    assert gradebook.manual_grades(course, A)["solution"] == {QUESTION: SCORE}
    assert _comment(course) == COMMENT
    expected = {**auto, "solution": auto["solution"] + SCORE}
    assert lms(out, course, tmp_path / "after.csv") == expected

    again = run("grade", A, subs, "--out", out, "--gradebook", course)  # scores rewritten, manual kept
    assert "(unchanged, from the journal)" in again.stdout
    assert gradebook.manual_grades(course, A)["solution"] == {QUESTION: SCORE}
    assert _comment(course) == COMMENT
    assert lms(out, course, tmp_path / "rerun.csv") == expected
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            assert gb.find_submission(A, "solution").code_score == sum(grade.load_assignment(A).questions.values())
            assert not gb.find_grade(QUESTION, A, A, "solution").needs_manual_grade


def _comment(course):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            return gb.find_comment(QUESTION, A, A, "solution").manual_comment
