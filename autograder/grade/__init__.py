"""The grading contract::

    python -m autograder grade ASSIGNMENT SUBMISSIONS_DIR --out OUT_DIR

SUBMISSIONS_DIR/<student>/<ASSIGNMENT>.ipynb -> OUT_DIR/grades.csv (student, assignment, question,
points, max_points, status, message; one row per student per autograded question) and
OUT_DIR/feedback/<student>.html. Student code runs only in sandboxed workers; the tests run
here and see nothing but plain values. A broken submission gets rows that say why and never
stops the batch; only a grading set-up problem (unknown assignment, unreadable folder) exits
non-zero.
"""
import builtins
import concurrent.futures
import dataclasses
import fcntl
import re
import shutil
import threading
import time
import traceback
from pathlib import Path

from course_utils import checks

from .. import paths
from ..sandbox import Limits, SandboxError, report_lines
from . import gradebook as gradebook_module
from . import journal, reference, report, submission, text
from .session import CellEvent, RemoteNotebook, Session

STATUS_ORDER = ["invalid", "missing", "timeout", "error", "failed"]  # the first present wins
GENERIC_HINT = "it checks the same idea on other inputs: make sure your code is general"
INTERNAL_ERROR = ("the grader itself failed on this submission (not your code's fault); your TA has the "
                  "details and will grade it again")
BUILTIN_ERRORS = {n for n, v in vars(builtins).items() if isinstance(v, type) and issubclass(v, BaseException)}
ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
MISSING = re.compile(r"'(\w+)' is not defined in the notebook")


def stable(message):
    """The same message on every run: no memory addresses (``<object at 0x7f3a...>``)."""
    return ADDRESS.sub("0x…", message)


class SetupError(Exception):
    """Grading cannot run at all (exit non-zero with this one-line reason)."""


@dataclasses.dataclass
class Assignment:
    name: str
    tests: list
    references: reference.References = None
    public_names: set = dataclasses.field(default_factory=set)

    def __post_init__(self):
        if self.references is None:
            self.references = reference.References({}, {}, {})

    @property
    def questions(self):
        """Autograded questions in notebook order, with their points."""
        out = {}
        for t in self.tests:
            out[t.question] = out.get(t.question, 0.0) + t.points
        return out

    @property
    def order(self):
        """The order tests run in, as indices into ``tests``: every public test, then every hidden
        one (each in question order). While public tests run, the worker has seen no hidden
        test's call, so nothing a public test shows can replay one; hidden tests show fixed text."""
        return ([i for i, t in enumerate(self.tests) if not t.hidden] +
                [i for i, t in enumerate(self.tests) if t.hidden])


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
    try:
        refs = reference.load(name, tests)
    except (reference.MissingReference, OSError, ValueError) as error:
        raise SetupError(f"{name}: {error}") from None
    return Assignment(name, tests, refs, reference.public_names(paths.NOTEBOOKS / f"{name}.ipynb"))


# -- one student -------------------------------------------------------------------------------

def grade_student(assignment, student, raw, scratch, limits=None):
    """Grade one submission (its bytes). Returns (rows, per-question outcomes shown to the
    student, cell events, details for TAs)."""
    notes = []
    try:
        cells = submission.code_cells(raw, notes)
    except submission.Unusable as problem:
        return unusable(assignment, student, problem)
    limits = limits or Limits()
    main = Session(cells, Path(scratch) / "main", limits)
    main.events += [CellEvent(-1, "note", n) for n in notes]
    outcomes, failed = _run_own(assignment, main)
    # tests whose question uses a failed question's function: again, with the reference in place
    replaced = {i: assignment.references.replaced(assignment.tests[i], failed) for i in assignment.order}
    replaced = {i: names for i, names in replaced.items() if names}
    before = {i: outcomes[i] for i in replaced if i in outcomes}
    reference_starts = 0
    for k, names in enumerate(sorted(set(replaced.values()), key=sorted)):
        group = [i for i in assignment.order if replaced.get(i) == names]
        got, starts = _run_substituted(assignment, group, names, cells, main, Path(scratch) / f"reference{k}", limits)
        outcomes.update(got)
        reference_starts += starts
    shown = {i: _student_message(o, replaced.get(i), assignment.public_names) for i, o in outcomes.items()}
    rows, per_question = [], {}
    for q, max_points in assignment.questions.items():
        mine = [i for i, t in enumerate(assignment.tests) if t.question == q]
        bad = sorted((i for i in mine if outcomes[i].status != "passed"),
                     key=lambda i: STATUS_ORDER.index(outcomes[i].status))
        rows.append(report.Row(student, assignment.name, q, sum(outcomes[i].points for i in mine), max_points,
                               outcomes[bad[0]].status if bad else "passed", shown[bad[0]] if bad else ""))
        per_question[q] = [(t.name, t.points, t.hidden, outcomes[i].status, shown[i])
                           for i in mine for t in [assignment.tests[i]]]
    events = [CellEvent(e.index, e.status, text.clean(stable(e.message))) for e in main.events]
    details = {"student": student, "tests": [], "cell_events": [dataclasses.asdict(e) for e in events],
               "starts": main.starts, "reference_starts": reference_starts}
    for i, t in enumerate(assignment.tests):
        entry = {"question": t.question, "test": t.name, "hidden": t.hidden, "status": outcomes[i].status,
                 "message": _for_tas(outcomes[i]), "seconds": round(outcomes[i].seconds, 3),
                 "substituted": sorted(replaced.get(i, ()))}
        if i in before:
            entry["before_substitution"] = {"status": before[i].status, "message": _for_tas(before[i])}
        details["tests"].append(entry)
    return rows, per_question, events, details


def _for_tas(outcome):
    return text.clean(stable(outcome.message), text.DETAIL_CHARS)


def unusable(assignment, student, problem):
    """The rows of a submission that cannot be graded at all (``problem``: submission.Unusable)."""
    reason = text.clean(str(problem))
    rows = [report.Row(student, assignment.name, q, 0.0, pts, problem.status, reason)
            for q, pts in assignment.questions.items()]
    return rows, {}, [], {"student": student, "unusable": problem.status, "reason": reason, "tests": [],
                          "cell_events": [], "starts": 0}


def _run_own(assignment, session):
    """Every test (in ``assignment.order``) with the student's own functions, except those that
    use a function of a question already failed (they run later, with the reference).
    Returns ({test index: Outcome}, the questions that failed a test)."""
    nb = RemoteNotebook(session)
    outcomes, failed = {}, set()
    try:
        for i in assignment.order:
            t = assignment.tests[i]
            if assignment.references.replaced(t, failed):
                continue
            outcomes[i] = _run(t, nb, session.limits)
            if outcomes[i].status != "passed":
                failed.add(t.question)
    finally:
        session.close()
    return outcomes, failed


def _run_substituted(assignment, group, names, cells, main, scratch, limits):
    """Run the tests ``group`` (indices) in a fresh worker where the reference of each function
    in ``names`` replaces the student's. Only fixed text of these outcomes is ever shown (the
    worker held the reference). Returns ({index: Outcome}, worker starts)."""
    if main.verdict is not None:  # the notebook cannot run at all: a re-run would not either
        status, reason = main.verdict
        return {i: checks.Outcome(assignment.tests[i], status, f"not run: {reason}") for i in group}, 0
    define = [assignment.references.sources[n] for n in sorted(names)]
    session = Session(cells, scratch, limits, define=define, skip=main.skip)
    nb = RemoteNotebook(session)
    try:
        return {i: _run(assignment.tests[i], nb, limits) for i in group}, session.starts
    finally:
        session.close()


def _run(t, nb, limits):
    nb.start_test(min(t.timeout, limits.test_seconds or t.timeout))
    return checks.run_test(t, nb)


def _student_message(outcome, substituted, public_names):
    """What a student may see of one outcome. Public tests of the student's own code: in full
    (scrubbed, capped). Everything else is fixed text: the status, the instructor's hint, and
    a name only if the release itself defines it."""
    t, status = outcome.test, outcome.status
    label = f"hidden test {t.name}" if t.hidden else t.name
    if substituted:
        course = ", ".join(sorted(substituted))
        note = f"graded with the course's {course} in place of yours, which failed its own tests"
        if status == "passed":
            return f"{label}: passed ({note})"
        hint = t.hint or (GENERIC_HINT if t.hidden else f'run grader.check("{t.question}") in your notebook')
        return f"{label} {_word(outcome)} ({note}): {text.clean(hint)}"
    if status == "passed":
        return ""
    if not t.hidden:
        hint = f" (hint: {text.clean(t.hint)})" if t.hint else ""
        return f"{t.name}: {text.clean(stable(outcome.message))}{hint}"
    if status == "missing":
        named = MISSING.match(outcome.message)  # the grader's own MissingName text
        name = named.group(1) if named else None
        if name in public_names:
            return f"{label}: '{name}' is not defined in the notebook (was its cell deleted or renamed?)"
        return f"{label}: a name it needs is not defined in the notebook (was a cell deleted or renamed?)"
    if outcome.message == "NotImplementedError: not implemented yet":
        return f"{label}: not implemented yet"
    return f"{label} {_word(outcome)}: {text.clean(t.hint or GENERIC_HINT)}"


def _word(outcome):
    if outcome.status == "error":
        kind = outcome.message.split(":", 1)[0]
        return f"raised {'an' if kind[:1] in 'AEIOU' else 'a'} {kind}" if kind in BUILTIN_ERRORS else "raised an error"
    return {"failed": "failed", "timeout": "timed out", "missing": "could not find a name it needs",
            "invalid": "could not run"}.get(outcome.status, outcome.status)


def internal_error(assignment, student, error):
    """Rows for a submission the grader failed on (a bug or a surprise in the grader's own code):
    each question ``error`` with a fixed reason; the traceback goes to the TA only."""
    rows = [report.Row(student, assignment.name, q, 0.0, pts, "error", INTERNAL_ERROR)
            for q, pts in assignment.questions.items()]
    trace = "".join(traceback.format_exception(error))
    return rows, {"student": student, "internal_error": text.clean(trace, text.DETAIL_CHARS, hide_paths=False),
                  "tests": [], "cell_events": [], "starts": 0}


# -- the batch ---------------------------------------------------------------------------------

def grade(assignment_name, submissions_dir, out_dir, jobs=1, limits=None, progress=print,
          gradebook=None, regrade=False):
    """Grade every ``<student>/<assignment>.ipynb`` under ``submissions_dir``; returns the rows.

    Resumable and idempotent: students already graded (same file, same grader) are taken from
    the journal in ``out_dir`` unless ``regrade``. With ``gradebook`` (an nbgrader course
    directory), the scores also land in its gradebook. One student can never stop the batch:
    whatever goes wrong while grading one becomes that student's rows, with a reason.
    """
    assignment = load_assignment(assignment_name)
    submissions_dir, out_dir = Path(submissions_dir), Path(out_dir)
    progress = _one_line_at_a_time(progress)
    if not submissions_dir.is_dir():
        raise SetupError(f"submissions folder {text.terminal(submissions_dir)} does not exist")
    if gradebook is not None and not (Path(gradebook) / "gradebook.db").exists():
        raise SetupError(f"no nbgrader gradebook in {gradebook}: run `python -m autograder nbgrader {gradebook}`")
    try:
        students = submission.students(submissions_dir)
        for sub in ("feedback", "details"):
            (out_dir / sub).mkdir(parents=True, exist_ok=True)
        lock = open(out_dir / ".lock", "w")
    except OSError as error:
        raise SetupError(f"cannot use {text.terminal(out_dir)}: {error.strerror}") from None
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SetupError(f"another grading run is using {text.terminal(out_dir)}") from None
        return _grade_batch(assignment, submissions_dir, out_dir, students, jobs, limits, progress, gradebook,
                            regrade)
    finally:
        lock.close()


def _one_line_at_a_time(progress):
    """``progress`` for several grading threads: their lines never run into each other."""
    lock = threading.Lock()

    def say(line):
        with lock:
            progress(line)

    return say


def _grade_batch(assignment, submissions_dir, out_dir, students, jobs, limits, progress, gradebook, regrade):
    log = journal.Journal(out_dir, assignment.name, assignment.references.fingerprint, limits or Limits())
    work = out_dir / ".scratch"  # a killed run's leftovers are removed by the next run
    shutil.rmtree(work, ignore_errors=True)
    for path, placeholder in ((submissions_dir, "<submissions>"), (out_dir, "<out>"), (work, "<scratch>")):
        text.hide(path.absolute(), placeholder)
    sandbox = report_lines(limits)  # what protects this run (and what is degraded), said first
    for line in sandbox:
        progress(line)
    report.atomic_write(out_dir / "report.txt", "\n".join(text.redact(line) for line in sandbox) + "\n")
    kept = work / "submitted"  # the exact bytes graded, for the gradebook's copy
    if gradebook is not None:
        kept.mkdir(parents=True)

    def one(student):
        try:
            return _grade_one(assignment, student, submissions_dir, students[student], out_dir, work, log, limits,
                              progress, regrade, kept if gradebook is not None else None)
        except SandboxError:
            raise  # the machine cannot sandbox what it promised: stop grading (exit 2)
        except Exception as error:  # a bug or a surprise in the grader: this student's rows, not the batch
            rows, details = internal_error(assignment, student, error)
            progress(text.terminal(f"{student}: INTERNAL ERROR ({type(error).__name__}: {error}); "
                                   f"see details/{report.safe_name(student)}.json"))
            try:
                report.write_details(out_dir / "details" / f"{report.safe_name(student)}.json", details)
                report.write_feedback(out_dir / "feedback" / f"{report.safe_name(student)}.html", student,
                                      assignment.name, rows, {}, [])
            except Exception:
                pass
            return student, None, rows

    results = []
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for student, notebook, rows in pool.map(one, students):
                if gradebook is not None:  # one writer: this thread
                    _record_in_gradebook(gradebook, assignment, student, notebook, rows, kept, progress)
                results.append(rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [row for rows in results for row in rows]
    report.write_csv(out_dir / "grades.csv", rows)
    return rows


def _grade_one(assignment, student, submissions_dir, folder, out_dir, work, log, limits, progress, regrade, kept):
    """Grade one student (or take their rows from the journal) and write their files.
    Returns (student, the graded bytes' copy for the gradebook or None, rows)."""
    name = report.safe_name(student)
    filename = f"{assignment.name}.ipynb"
    try:
        raw = submission.read(submissions_dir, folder, filename)
        digest, refused = journal.digest(raw), None
    except submission.Unusable as problem:
        raw, refused = None, problem
        digest = f"{problem.status}:{journal.digest(str(problem).encode())}"
    if kept is not None and raw is not None:
        (kept / f"{name}.ipynb").write_bytes(raw)
    notebook = kept / f"{name}.ipynb" if kept is not None and raw is not None else None
    rows = None if regrade else log.lookup(student, digest, assignment.questions)
    if rows is not None:
        progress(f"{student}: {_total(rows)} (unchanged, from the journal)")
        return student, notebook, rows
    start = time.perf_counter()
    scratch = work / name
    try:
        if refused is not None:
            rows, shown, events, details = unusable(assignment, student, refused)
        else:
            rows, shown, events, details = grade_student(assignment, student, raw, scratch, limits)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    details["seconds"] = round(time.perf_counter() - start, 3)
    report.write_feedback(out_dir / "feedback" / f"{name}.html", student, assignment.name, rows, shown, events)
    report.write_details(out_dir / "details" / f"{name}.json", details)
    log.record(student, digest, rows)
    progress(f"{student}: {_total(rows)} ({details['seconds']:.1f} s)")
    return student, notebook, rows


def _record_in_gradebook(gradebook, assignment, student, notebook, rows, kept, progress):
    try:
        gradebook_module.record(gradebook, assignment.name, student, notebook or kept / "(none)", rows)
    except RuntimeError as error:  # the course has no such assignment: a set-up problem
        raise SetupError(str(error)) from None
    except Exception as error:
        progress(text.terminal(f"{student}: WARNING: not recorded in the gradebook ({type(error).__name__}: {error})"))


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
