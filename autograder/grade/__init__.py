"""The grading contract::

    python -m autograder grade ASSIGNMENT SUBMISSIONS_DIR --out OUT_DIR

SUBMISSIONS_DIR/<student>/<ASSIGNMENT>.ipynb -> OUT_DIR/grades.csv (student, assignment, question,
points, max_points, status, message; one row per student per autograded question) and
OUT_DIR/feedback/<student>.html. Student code runs only in sandboxed workers; the tests run
here and see nothing but plain values. A broken submission gets rows that say why and never
stops the batch; only a grading set-up problem (unknown assignment, unreadable folder) exits
non-zero.
"""
import concurrent.futures
import dataclasses
import re
import shutil
import tempfile
import time
from pathlib import Path

from course_utils import checks

from .. import paths
from ..sandbox import Limits, SandboxError, report_lines
from . import gradebook as gradebook_module
from . import journal, report, submission
from .session import CellEvent, RemoteNotebook, Session

STATUS_ORDER = ["invalid", "missing", "timeout", "error", "failed"]  # the first present wins


ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")


def stable(message):
    """The same message on every run: no memory addresses (``<object at 0x7f3a...>``)."""
    return ADDRESS.sub("0x…", message)


class SetupError(Exception):
    """Grading cannot run at all (exit non-zero with this one-line reason)."""


@dataclasses.dataclass
class Assignment:
    name: str
    tests: list

    @property
    def questions(self):
        """Autograded questions in notebook order, with their points."""
        out = {}
        for t in self.tests:
            out[t.question] = out.get(t.question, 0.0) + t.points
        return out


def load_assignment(name):
    public, hidden = paths.CHECKS / f"{name}.py", paths.TESTS / name / "hidden.py"
    if not public.exists() and not hidden.exists():
        known = ", ".join(paths.assignments()) or "none"
        raise SetupError(f"unknown assignment {name!r} (known: {known}); run `python -m autograder release`?")
    tests = []
    for path, is_hidden in ((public, False), (hidden, True)):
        if path.exists():
            try:
                tests += checks.load_tests(path, hidden=is_hidden)
            except Exception as error:
                raise SetupError(f"cannot load {path}: {type(error).__name__}: {error}") from None
    order = list(dict.fromkeys(t.question for t in tests))  # public tests first define the order
    tests.sort(key=lambda t: order.index(t.question))
    return Assignment(name, tests)


def grade_student(assignment, student, notebook, scratch, limits=None):
    """Grade one submission. Returns (rows, per-question outcomes, cell events, details)."""
    questions = assignment.questions
    notes = []
    try:
        cells = submission.code_cells(notebook, notes)
    except submission.Unusable as problem:
        rows = [report.Row(student, assignment.name, q, 0.0, pts, problem.status, str(problem))
                for q, pts in questions.items()]
        return rows, {}, [], {"unusable": problem.status, "reason": str(problem)}
    limits = limits or Limits()
    session = Session(cells, Path(scratch), limits)
    session.events += [CellEvent(-1, "note", n) for n in notes]
    nb = RemoteNotebook(session)
    outcomes = []
    try:
        for t in assignment.tests:
            nb.start_test(min(t.timeout, limits.test_seconds or t.timeout))
            outcomes.append(checks.run_test(t, nb))
    finally:
        session.close()
    rows, shown = [], {}
    for q, max_points in questions.items():
        mine = [o for o in outcomes if o.test.question == q]
        points = sum(o.points for o in mine)
        bad = sorted((o for o in mine if o.status != "passed"), key=lambda o: STATUS_ORDER.index(o.status))
        status = bad[0].status if bad else "passed"
        message = _student_message(bad[0]) if bad else ""
        rows.append(report.Row(student, assignment.name, q, points, max_points, status, message))
        shown[q] = [(o.test.name, o.test.points, o.test.hidden, o.status, _student_message(o))
                    for o in mine]
    details = {"tests": [{"question": o.test.question, "test": o.test.name, "hidden": o.test.hidden,
                          "status": o.status, "message": o.message, "seconds": round(o.seconds, 3)}
                         for o in outcomes],
               "cell_events": [dataclasses.asdict(e) for e in session.events],
               "starts": session.starts}
    return rows, shown, session.events, details


def _student_message(outcome):
    """What a student may see: public tests in full; hidden ones generically."""
    t = outcome.test
    if outcome.status == "passed":
        return ""
    if not t.hidden or outcome.status == "missing":
        return f"{t.name}: {stable(outcome.message)}"
    generic = {"failed": "failed", "timeout": "timed out", "error": "your code raised an error"}
    return f"hidden test {t.name}: {generic.get(outcome.status, outcome.status)}"


def grade(assignment_name, submissions_dir, out_dir, jobs=1, limits=None, progress=print,
          gradebook=None, regrade=False):
    """Grade every ``<student>/<assignment>.ipynb`` under ``submissions_dir``; returns the rows.

    Resumable and idempotent: students already graded (same file, same tests) are taken from
    the journal in ``out_dir`` unless ``regrade``. With ``gradebook`` (an nbgrader course
    directory), the scores also land in its gradebook.
    """
    assignment = load_assignment(assignment_name)
    submissions_dir, out_dir = Path(submissions_dir), Path(out_dir)
    if not submissions_dir.is_dir():
        raise SetupError(f"submissions folder {submissions_dir} does not exist")
    if gradebook is not None and not (Path(gradebook) / "gradebook.db").exists():
        raise SetupError(f"no nbgrader gradebook in {gradebook}: run `python -m autograder nbgrader {gradebook}`")
    students = sorted(p.name for p in submissions_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    try:
        for sub in ("feedback", "details"):
            (out_dir / sub).mkdir(parents=True, exist_ok=True)
        log = journal.Journal(out_dir, assignment.name)
    except OSError as error:
        raise SetupError(f"cannot write to {out_dir}: {error}") from None
    sandbox = report_lines(limits)  # what protects this run (and what is degraded), said first
    for line in sandbox:
        progress(line)
    report.atomic_write(out_dir / "report.txt", "\n".join(sandbox) + "\n")
    work = Path(tempfile.mkdtemp(prefix="grading-"))

    def one(student):
        notebook = submissions_dir / student / f"{assignment.name}.ipynb"
        digest = journal.file_digest(notebook)
        rows = None if regrade else log.lookup(student, digest)
        if rows is not None:
            progress(f"{student}: {_total(rows)} (unchanged, from the journal)")
            return student, notebook, rows
        start = time.perf_counter()
        scratch = work / report.safe_name(student)
        try:
            rows, shown, events, details = grade_student(assignment, student, notebook, scratch, limits)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        details["seconds"] = round(time.perf_counter() - start, 3)
        name = report.safe_name(student)
        report.write_feedback(out_dir / "feedback" / f"{name}.html", student, assignment.name, rows, shown, events)
        report.write_details(out_dir / "details" / f"{name}.json", details)
        log.record(student, digest, rows)
        progress(f"{student}: {_total(rows)} ({details['seconds']:.1f} s)")
        return student, notebook, rows

    results = []
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for student, notebook, rows in pool.map(one, students):
                if gradebook is not None:  # one writer: this thread
                    gradebook_module.record(gradebook, assignment.name, student, notebook, rows)
                results.append(rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [row for rows in results for row in rows]
    report.write_csv(out_dir / "grades.csv", rows)
    return rows


def _total(rows):
    return f"{sum(r.points for r in rows):g}/{sum(r.max_points for r in rows):g}"


def main(args):
    limits = Limits(**{k: v for k, v in (("notebook_seconds", args.notebook_timeout),
                                        ("cell_seconds", args.cell_timeout),
                                        ("test_seconds", args.test_timeout)) if v})
    try:
        rows = grade(args.assignment, args.submissions, args.out, jobs=args.jobs, limits=limits,
                     gradebook=args.gradebook, regrade=args.regrade)
    except SandboxError as error:
        raise SetupError(str(error)) from None
    print(table(rows))
    return 0


def table(rows):
    """A plain-text grade table: one line per student, one column per question."""
    questions = list(dict.fromkeys(r.question for r in rows))
    students = list(dict.fromkeys(r.student for r in rows))
    by = {(r.student, r.question): r for r in rows}
    width = max([7] + [len(s) for s in students])
    qw = [max(7, len(q)) for q in questions]
    head = "student".ljust(width) + "  " + "  ".join(q.rjust(w) for q, w in zip(questions, qw)) + "   total"
    lines = [head, "-" * len(head)]
    for s in students:
        cells = []
        for q, w in zip(questions, qw):
            r = by[(s, q)]
            cells.append((f"{r.points:g}" if r.status in ("passed", "failed") or r.points else r.status[:w]).rjust(w))
        total = sum(by[(s, q)].points for q in questions)
        maximum = sum(by[(s, q)].max_points for q in questions)
        lines.append(s.ljust(width) + "  " + "  ".join(cells) + f"   {total:g}/{maximum:g}")
    return "\n".join(lines)
