"""A hostile class, graded in one batch through the contract: every attack earns nothing it did
not compute, every failure gets its status and reason, and nobody else's grade moves.

The cases and their expected grades are in ``adversarial.py``. Cases that would harm the
machine without a protection (a fork bomb without a pids limit, ...) are skipped where it is not
active; under CI (``CI=true``) that is a failure instead, so the sandbox cannot quietly vanish.
While the batch runs, a monitor counts the grader's workers (never more than ``--jobs``). The
finished batch is then re-run (a no-op, byte-identical grades.csv), and part of it is graded
again while being SIGKILLed at random moments (it resumes to the same rows).
"""
import ast
import csv
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import adversarial
from autograder import paths
from autograder.grade import export
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


def grade_command(subs, out, *extra):
    return [sys.executable, "-m", "autograder", "grade", A, str(subs), "--out", str(out), "--jobs", "2",
            *TIMEOUTS, *extra]


def run_grade(subs, out, *extra):
    return subprocess.run(grade_command(subs, out, *extra), cwd=ROOT, capture_output=True, text=True,
                          timeout=1800)


def grade_watching_workers(subs, out):
    """Grade ``subs`` as ``run_grade`` does, counting the live workers throughout."""
    return adversarial.run_watching_workers(grade_command(subs, out), ROOT)


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
        by_student.setdefault(r["student"].removeprefix("'"), {})[r["question"]] = r
    return {**saved, "rows": rows, "by": by_student, "out": out, "subs": base / "subs",
            "graded": set(saved["graded"])}


def _grade_class(base):
    cases = [c for c in adversarial.CASES if set(c.needs) <= active()]
    adversarial.write_class(base / "subs", base / "out", cases)
    before = {str(p): digest(p) for p in PROTECTED}
    start = time.monotonic()
    result, most = grade_watching_workers(base / "subs", base / "out")
    saved = {"returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr,
             "before": before, "graded": [c.student for c in cases], "most_workers": most,
             "seconds": round(time.monotonic() - start, 1)}
    (base / "result.json").write_text(json.dumps(saved))


def test_the_batch_is_graded(graded):
    assert graded["returncode"] == 0, graded["stderr"][-3000:]
    assert set(graded["by"]) == graded["graded"]


def test_never_more_workers_than_jobs(graded):
    """A forged message that fails a notebook's start used to leave its worker running (five
    alive with --jobs 2); none may outlive its start, its test or its student."""
    assert 1 <= graded["most_workers"] <= 2


@pytest.mark.parametrize("case", adversarial.CASES, ids=lambda c: c.name)
def test_each_submission_gets_exactly_its_grade(graded, case):
    if case.student not in graded["graded"]:
        require(case.needs)
    rows = graded["by"][case.student]
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
    page = (graded["out"] / "feedback" / case.page).read_text()
    assert f"<b>{html_escape(case.student)}</b>" in page, "the real id is inside the page"
    for text in case.feedback:
        assert text in page, f"{text!r} not in the feedback of {case.name}"
    for text in case.absent:
        assert text not in page and all(text not in r["message"] for r in rows.values()), text
    if case.cls != "round 1":
        assert all(r["message"] for r in rows.values() if r["status"] != "passed"), "every failure has a reason"


def html_escape(value):
    import html

    return html.escape(value)


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


# -- what the TA opens, and what the student receives -------------------------------------------

def by_case(graded, name):
    case = next(c for c in adversarial.CASES if c.name == name)
    return case, graded["by"][case.student]


def test_spreadsheet_formulas_in_names_are_neutralised(graded):
    with open(graded["out"] / "grades.csv", newline="") as f:
        cells = [cell for row in csv.reader(f) for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert "'=HYPERLINK(\"evil\",\"x\")" in cells and "'-2+3" in cells


def test_nothing_the_ta_reads_holds_control_characters(graded):
    raw = (graded["out"] / "grades.csv").read_bytes().decode("utf-8")  # strict: no lone surrogate either
    assert not [ch for ch in raw if ord(ch) < 32 and ch not in "\n"], "grades.csv holds control characters"
    assert "\x1b" not in graded["stdout"] and "\x07" not in graded["stdout"]
    assert "esc\\x1b[2J\\x1b]0;owned\\x07name" in graded["stdout"], "the escaped name is printed"
    for page in (graded["out"] / "feedback").glob("*.html"):
        page.read_bytes().decode("utf-8")
        assert "\x1b" not in page.read_text()


def test_names_that_differ_only_in_accents_keep_their_own_pages(graded):
    pages = {}
    for name in ("c4_zoe", "c4_zoe_diaeresis", "c4_zoe_acute"):
        case = next(c for c in adversarial.CASES if c.name == name)
        pages[case.page] = case.student
    assert len(pages) == 3
    for page, student in pages.items():
        assert f"<b>{student}</b>" in (graded["out"] / "feedback" / page).read_text()
        assert json.loads((graded["out"] / "details" / page.replace(".html", ".json")).read_text())["student"] == student


def test_messages_are_capped_so_the_files_stay_small_and_export_works(graded, tmp_path):
    _, rows = by_case(graded, "c4_huge_and_control_messages")
    assert len(rows["parallel_lines"]["message"]) < 2200
    assert (graded["out"] / "grades.csv").stat().st_size < 400_000
    assert max(p.stat().st_size for p in (graded["out"] / "feedback").glob("*.html")) < 200_000
    assert max(p.stat().st_size for p in (graded["out"] / "details").glob("*.json")) < 400_000
    assert export.export([graded["out"]], tmp_path / "lms.csv") == len(graded["graded"])


def hidden_texts():
    """Lines of the hidden tests (their source and the snippets they send) that nothing public
    contains, and the snippets spelt as identifiers (as a forged "missing" name would)."""
    hidden = (paths.TESTS / A / "hidden.py").read_text()
    public = (paths.CHECKS / f"{A}.py").read_text() + (paths.NOTEBOOKS / f"{A}.ipynb").read_text()
    lines = {line.strip() for line in hidden.splitlines()}
    snippets = [textwrap.dedent(n.value) for n in ast.walk(ast.parse(hidden))
                if isinstance(n, ast.Constant) and isinstance(n.value, str) and "result" in n.value]
    for snippet in snippets:
        lines |= {line.strip() for line in snippet.splitlines()}
    secret = {line for line in lines if len(line) > 24 and not line.startswith(("#", "@", "def ", "import", "from"))
              and line not in public}
    as_names = {"".join(ch if ch.isalnum() else "_" for ch in s).strip("_")[:40] for s in snippets}
    return secret | {n for n in as_names if len(n) > 24}


def test_no_feedback_shows_hidden_tests_or_the_checkout(graded):
    """Hidden-test source, the snippets hidden tests send, and the grader's paths reach no file a
    student receives, whatever the worker replays (cases c3_*)."""
    secrets = hidden_texts()
    assert secrets, "the hidden tests have lines to look for"
    _, rows = by_case(graded, "c3_replays_hidden_requests")
    assert "REPLAY: code=" in rows["w1_cdf"]["message"], "the replay channel works for public text"
    for page in [*(graded["out"] / "feedback").glob("*.html"), graded["out"] / "grades.csv"]:
        content = page.read_text()
        leaked = [s for s in secrets if s in content]
        assert not leaked, f"{page.name} shows hidden test text: {leaked[:2]}"
        assert str(ROOT) not in content and os.path.realpath(ROOT) not in content, f"{page.name} shows the checkout"
    assert str(ROOT) not in (graded["out"] / "report.txt").read_text()


# -- durability of the hostile batch ------------------------------------------------------------

def test_a_rerun_of_the_finished_batch_is_a_no_op(graded):
    before = (graded["out"] / "grades.csv").read_bytes()
    result = run_grade(graded["subs"], graded["out"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert sum("(unchanged, from the journal)" in line for line in result.stdout.splitlines()) == len(graded["graded"])
    assert (graded["out"] / "grades.csv").read_bytes() == before


# graded again, killed at random moments on the way: honest students, attackers of each class,
# crashes, tampering and invalid files (nothing may depend on timing, scheduling or the run)
AGAIN = ["light_honest", "control_partial", "c1_stops_reading", "c2_link_to_classmate", "c3_replays_hidden_requests",
         "c4_formula", "c5_forged_start_failures", "exits", "kills_itself", "eq_always_true", "writes_answer_pipe",
         "renamed_function", "bad_json", "missing_notebook"]


def leftover_launchers(out):
    """Launchers (one per worker) still running in ``out``'s scratch folders."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/cwd").startswith(str(out)):
                found.append(pid)
        except OSError:
            continue
    return found


def test_graded_again_and_sigkilled_at_random_moments_it_resumes_to_the_same_grades(graded, tmp_path):
    """Part of the class graded again from scratch, the grader SIGKILLed (with its workers) three
    times at random moments: the resumed run's grades.csv rows are byte-identical to the batch's."""
    cases = [c for c in adversarial.CASES if c.name in AGAIN and c.student in graded["graded"]]
    adversarial.write_class(tmp_path / "subs", tmp_path / "out", cases)
    out, rng = tmp_path / "out", random.Random(10)
    for _ in range(3):
        proc = subprocess.Popen(grade_command(tmp_path / "subs", out), cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            proc.wait(timeout=rng.uniform(1.0, 25.0))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        deadline = time.monotonic() + 10
        while leftover_launchers(out) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not leftover_launchers(out), "a worker outlived the grader that was killed"
    result = run_grade(tmp_path / "subs", out)
    assert result.returncode == 0, result.stderr[-2000:]
    students = {c.student for c in cases}
    # records, not lines: a message may span lines (a public test's code in a student's error)
    with open(graded["out"] / "grades.csv", newline="") as f:
        expected = [row for i, row in enumerate(csv.reader(f)) if i == 0 or row[0].removeprefix("'") in students]
    with open(out / "grades.csv", newline="") as f:
        assert list(csv.reader(f)) == expected
