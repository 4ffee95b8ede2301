"""A hostile class, graded in one batch through the contract: every attack earns nothing it did
not compute, every failure gets its status and reason, and nobody else's grade moves.

The cases and their expected grades are in ``adversarial.py``. Cases that would harm the
machine without a protection (a fork bomb without a pids limit, ...) are skipped where it is not
active; under CI (``CI=true``) that is a failure instead, so the sandbox cannot quietly vanish.
"""
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest

import adversarial
from autograder import paths
from autograder.sandbox import protections
from conftest import ROOT, once_per_session

A = adversarial.A
pytestmark = pytest.mark.xdist_group("adversarial")  # keep these tests together (make test: --dist loadgroup)
TIMEOUTS = ["--cell-timeout", "6", "--test-timeout", "6"]
PROTECTED = [paths.TESTS / A / "hidden.py", paths.SOLUTIONS / f"{A}.ipynb", paths.CHECKS / f"{A}.py"]


def active():
    return {p.name for p in protections().protections if p.active}


def require(needs):
    missing = sorted(set(needs) - active())
    if missing:
        message = f"sandbox protections not active on this machine: {', '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_grade(subs, out, *extra):
    return subprocess.run([sys.executable, "-m", "autograder", "grade", A, str(subs), "--out", str(out),
                           "--jobs", "2", *TIMEOUTS, *extra], cwd=ROOT, capture_output=True, text=True, timeout=900)


def read_rows(out):
    with open(out / "grades.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class, graded once per test session even when several xdist workers need it."""
    base = once_per_session(tmp_path_factory, "adversarial", _grade_class)
    saved = json.loads((base / "result.json").read_text())
    out = base / "out"
    rows = read_rows(out) if (out / "grades.csv").exists() else []
    by_student = {}
    for r in rows:
        by_student.setdefault(r["student"], {})[r["question"]] = r
    return {**saved, "rows": rows, "by": by_student, "out": out, "subs": base / "subs",
            "graded": set(saved["graded"])}


def _grade_class(base):
    cases = [c for c in adversarial.CASES if set(c.needs) <= active()]
    adversarial.write_class(base / "subs", base / "out", cases)
    before = {str(p): digest(p) for p in PROTECTED}
    result = run_grade(base / "subs", base / "out")
    saved = {"returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr,
             "before": before, "graded": [c.name for c in cases]}
    (base / "result.json").write_text(json.dumps(saved))


def test_the_batch_is_graded(graded):
    assert graded["returncode"] == 0, graded["stderr"][-3000:]
    assert set(graded["by"]) == graded["graded"]


@pytest.mark.parametrize("case", adversarial.CASES, ids=lambda c: c.name)
def test_each_submission_gets_exactly_its_grade(graded, case):
    if case.name not in graded["graded"]:
        require(case.needs)
    rows = graded["by"][case.name]
    questions = list(rows)
    if case.like:
        expected = {q: r["status"] for q, r in graded["by"][case.like].items()}
    else:
        expected = adversarial.statuses(case, questions)
    got = {q: r["status"] for q, r in rows.items()}
    assert got == expected, {q: (got[q], expected[q], rows[q]["message"][:200]) for q in got if got[q] != expected[q]}
    assert sum(float(r["points"]) for r in rows.values()) == case.total
    for question, text in case.messages.items():
        assert text in rows[question]["message"], rows[question]["message"]
    page = (graded["out"] / "feedback" / f"{case.name}.html").read_text()
    for text in case.feedback:
        assert text in page, f"{text!r} not in the feedback of {case.name}"


def test_a_fork_bomb_is_stopped_by_the_process_limit_or_the_cell_timeout(graded):
    require(("processes", "pid namespace"))
    page = (graded["out"] / "feedback" / "fork_bomb.html").read_text()
    assert "too many processes" in page or "did not finish within 6 s" in page


def test_protected_files_are_untouched_and_nothing_was_planted(graded):
    require(("filesystem",))
    assert {str(p): digest(p) for p in PROTECTED} == graded["before"]
    for folder in (graded["out"], ROOT, graded["subs"]):
        assert not (folder / "pwned.txt").exists()


def test_the_console_report_starts_with_the_protections(graded):
    lines = graded["stdout"].splitlines()
    assert lines[0].startswith("sandbox: ")
    report = (graded["out"] / "report.txt").read_text().splitlines()
    assert report == lines[:len(report)]
    names = {p.name for p in protections().protections}
    assert {"user namespace", "filesystem", "network", "seccomp", "memory", "processes"} <= names
    assert all(any(name in line for line in report) for name in names)


def test_the_same_class_graded_twice_gives_identical_grades(graded, tmp_path):
    """Determinism: regrading part of the class (crashes, tampering, invalid files included) gives
    byte-identical grades.csv rows: nothing depends on timing, scheduling or the run."""
    again = [name for name in ("light_honest", "exits", "kills_itself", "eq_always_true", "writes_answer_pipe",
                               "renamed_function", "bad_json", "missing_notebook") if name in graded["graded"]]
    for name in again:
        shutil.copytree(graded["subs"] / name, tmp_path / "subs" / name)
    result = run_grade(tmp_path / "subs", tmp_path / "out")
    assert result.returncode == 0, result.stderr[-2000:]
    first = [line for line in (graded["out"] / "grades.csv").read_text().splitlines()[1:]
             if line.split(",", 1)[0] in again]
    second = (tmp_path / "out" / "grades.csv").read_text().splitlines()[1:]
    assert second == first


def test_a_notebook_over_its_total_time_is_a_timeout_with_a_reason(tmp_path, monkeypatch):
    """No cell is too slow, the notebook is: every question says so (re-running cannot help)."""
    from autograder import grade
    from autograder.sandbox import Limits

    monkeypatch.setenv("COURSE_PRELOAD", "")
    nb = adversarial.blank()
    nb.cells = [adversarial.nbformat.v4.new_code_cell("import time")] + [
        adversarial.nbformat.v4.new_code_cell("time.sleep(1.5)") for _ in range(4)]
    (tmp_path / "subs" / "slow").mkdir(parents=True)
    adversarial.nbformat.write(nb, tmp_path / "subs" / "slow" / f"{A}.ipynb")
    rows = grade.grade(A, tmp_path / "subs", tmp_path / "out", progress=lambda *_: None,
                       limits=Limits(notebook_seconds=4, cell_seconds=3, test_seconds=5))
    assert {(r.status, r.message.split(": ", 1)[1]) for r in rows} == {
        ("timeout", "not run: the notebook did not finish within 4 s")}
    assert "the notebook did not finish within 4 s" in (tmp_path / "out" / "feedback" / "slow.html").read_text()
