"""``python -m autograder report OUT_DIR``: what a TA needs to see about a graded class.

On the session's generated class of 01_divergences (the instructor notebook, the blank release,
every mutant; graded once, tests/conftest.py) every number on the page is checked against
grades.csv and the details, and no test of the real assignment may look broken. A small class
graded against a deliberately broken hidden test (a wrong oracle) must have that test, and only
that test, flagged.
"""
import csv
import json
import shutil
import statistics
import subprocess
import sys

import matplotlib.image
import nbformat
import numpy as np
import pytest

import adversarial
from autograder import grade, paths
from conftest import ROOT, once_per_session
from graded import graded_class

A = "01_divergences"
pytestmark = pytest.mark.xdist_group(A)  # beside tests/test_assignments.py, which grades the class


def details_of(out):
    """{student: details} (the id inside the file; older files are named after the student)."""
    found = {}
    for path in (out / "details").glob("*.json"):
        data = json.loads(path.read_text())
        found[data.get("student", path.stem)] = data
    return found


def report(out):
    result = subprocess.run([sys.executable, "-m", "autograder", "report", str(out)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads((out / "report.json").read_text()), (out / "report.html").read_text()


@pytest.fixture(scope="module")
def generated(graded_classes, tmp_path_factory):
    _, graded = graded_class(graded_classes, tmp_path_factory, A)
    out = tmp_path_factory.mktemp("report") / "out"
    shutil.copytree(graded, out)
    with open(out / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    summary, page = report(out)
    return out, rows, summary, page


def test_totals_means_and_pass_rates_match_the_grades(generated):
    out, rows, summary, page = generated
    students = sorted({r["student"] for r in rows})
    totals = {s: sum(float(r["points"]) for r in rows if r["student"] == s) for s in students}
    assert summary["students"] == len(students) and summary["totals"] == totals
    assert summary["max_total"] == sum(grade.load_assignment(A).questions.values())
    assert summary["median_total"] == statistics.median(totals.values())
    for q in summary["questions"]:
        mine = [r for r in rows if r["question"] == q["question"]]
        assert q["mean"] == pytest.approx(statistics.fmean(float(r["points"]) for r in mine))
        assert q["pass_rate"] == pytest.approx(sum(r["status"] == "passed" for r in mine) / len(mine))
        assert q["question"] in page
    assert [q["question"] for q in summary["questions"]] == list(grade.load_assignment(A).questions)


def test_failure_reasons_are_counted_per_test_with_who(generated):
    out, rows, summary, page = generated
    details = details_of(out)
    for q in summary["questions"]:
        for reason in q["failures"]:
            who = [s for s, d in details.items() for t in d["tests"]
                   if t["test"] == reason["test"] and t["status"] == reason["status"]]
            assert reason["count"] == len(who) and reason["students"] == sorted(who)
            assert reason["test"] in page
        counts = [r["count"] for r in q["failures"]]
        assert counts == sorted(counts, reverse=True)
    kl = next(q for q in summary["questions"] if q["question"] == "kl_normal")
    public = next(r for r in kl["failures"] if r["test"] == "kl_normal_known_values" and r["status"] == "failed")
    assert "mutant-kl_wrong_direction" in public["students"] and "expected" in public["examples"][0]
    assert any(r["hidden"] for q in summary["questions"] for r in q["failures"]), "hidden tests are named for TAs"


def test_every_invalid_timeout_and_error_row_is_listed_with_its_reason(generated):
    out, rows, summary, page = generated
    listed = {(p["student"], r["question"], r["status"], r["reason"]) for p in summary["problems"] for r in p["rows"]}
    expected = {(r["student"], r["question"], r["status"], r["message"]) for r in rows
                if r["status"] in ("invalid", "timeout", "error")}
    assert expected and listed == expected
    for student, question, status, reason in expected:
        assert reason.replace("'", "&#x27;") in page or reason in page


def test_the_slowest_submissions_come_from_the_details(generated):
    out, rows, summary, page = generated
    seconds = {s: d["seconds"] for s, d in details_of(out).items()}
    ranked = sorted(seconds.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    assert [(x["student"], x["seconds"]) for x in summary["slowest"]] == ranked


def test_no_test_of_the_real_assignment_looks_broken(generated):
    out, rows, summary, page = generated
    assert summary["suspicious"] == [], summary["suspicious"]
    assert "None: every test is passed by someone" in page


def test_the_figure_is_a_labelled_png_of_the_class(generated):
    out, rows, summary, page = generated
    image = matplotlib.image.imread(out / "report.png")
    assert image.ndim == 3 and image.shape[1] >= 1000 and 300 <= image.shape[0] <= 800
    assert np.isfinite(image).all() and image[..., :3].std() > 0.05, "a drawn figure, not a blank canvas"
    assert "<img src='report.png'" in page


BROKEN = '''

@cu.test("kl_normal", points=1)
def kl_normal_with_a_wrong_oracle(nb):
    t = torch.tensor
    cu.assert_close(nb.kl_normal(t(0.0), t(1.0), t(1.0), t(1.0)), 0.6, what="KL(N(0,1) || N(1,1))")  # really 0.5
'''
OTHER_WAY = """
def kl_normal(mu1, sigma1, mu2, sigma2):
    ratio = (sigma1 / sigma2) ** 2
    return 0.5 * (ratio + (mu1 - mu2) ** 2 / sigma2**2 - 1 - torch.log(ratio))
"""


def test_a_broken_test_is_flagged_and_nothing_else(tmp_path_factory, monkeypatch):
    def build(base):
        tests = base / "tests"
        shutil.copytree(paths.TESTS / A, tests / A)
        with open(tests / A / "hidden.py", "a") as f:
            f.write(BROKEN)
        monkeypatch.setattr(paths, "TESTS", tests)  # the grader loads this assignment's tests from here
        subs = base / "subs"
        for name, nb in {"right": adversarial.light(), "right_other_way": adversarial.add(adversarial.light(), OTHER_WAY),
                         "wrong_kl": adversarial.add(adversarial.light(), adversarial.WRONG_KL),
                         "blank": adversarial.blank()}.items():
            (subs / name).mkdir(parents=True)
            nbformat.write(nb, subs / name / f"{A}.ipynb")
        grade.grade(A, subs, base / "out", jobs=2, progress=lambda *_: None)

    out = once_per_session(tmp_path_factory, "report-broken-test", build) / "out"
    summary, page = report(out)
    flagged = {(x["test"], x["kind"]): (x["count"], x["of"], sorted(x["students"])) for x in summary["suspicious"]}
    assert flagged == {
        ("kl_normal_with_a_wrong_oracle", "no submission passes it"):
            (4, 4, ["blank", "right", "right_other_way", "wrong_kl"]),
        ("kl_normal_with_a_wrong_oracle", "fails code that passes every other test of the question"):
            (2, 2, ["right", "right_other_way"]),
    }
    assert "kl_normal_with_a_wrong_oracle" in page.split("<h2>Questions</h2>")[0], "flagged above the fold"
