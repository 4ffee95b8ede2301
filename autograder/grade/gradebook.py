"""Writing automatic scores into nbgrader's gradebook, beside the manual grades.

The course directory comes from ``python -m autograder nbgrader COURSE_DIR`` (its gradebook
knows every grade cell, with the question names as grade ids). For each student this creates
the submission if needed, makes ``submitted/<student>/<A>/`` hold what was graded (after
``nbgrader collect`` it already does, with nbgrader's ``timestamp.txt`` and
``submission_secret.txt``), mirrors that folder to ``autograded/`` (where formgrader shows it
for manual grading and ``generate_feedback`` reads it), and sets the ``auto_score`` of every
autograded question. Manual grades and comments typed in formgrader are never touched. One
writer at a time: the grader calls this from its main thread only (SQLite is not safe with
concurrent writers).

The ``autograded/`` copy is the student's notebook with its nbgrader cell metadata taken from
the release, never from the submission: each release cell with a ``grade_id`` is matched to the
student's cell with the same cell id, else (grade cells) the same ``grader.check("q")`` line or
manual-question marker, and gets the release's metadata; every other cell gets none. So points or
grade ids a student edited, duplicated or deleted cannot confuse formgrader or
``generate_feedback``. Each ``grader.check`` cell shows the grader's verdict as its output (what a
student may see: hidden tests by name only). A notebook that cannot be read at all is
replaced there by a one-cell notebook that gives the reason, so formgrader and the feedback
still say why the score is 0.
"""
import json
import shutil
import warnings
from pathlib import Path

import nbformat

from ..release import markers


def record(course_dir, assignment, student, notebook, rows):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbgrader's SQLAlchemy warnings, known and harmless
        _record(Path(course_dir), assignment, student, Path(notebook), rows)


def _record(course_dir, assignment, student, notebook, rows):
    from nbgrader.api import Gradebook, MissingEntry

    submitted = course_dir / "submitted" / student / assignment
    autograded = course_dir / "autograded" / student / assignment
    if notebook.is_file() and notebook.resolve() != (submitted / f"{assignment}.ipynb").resolve():
        submitted.mkdir(parents=True, exist_ok=True)  # graded from elsewhere: keep what was graded
        shutil.copyfile(notebook, submitted / f"{assignment}.ipynb")
    with Gradebook(_db(course_dir)) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise RuntimeError(f"{course_dir} has no assignment {assignment}: run "
                               f"`python -m autograder nbgrader {course_dir} {assignment}` first") from None
        gb.update_or_create_student(student)
        timestamp = _timestamp(submitted)
        gb.update_or_create_submission(assignment, student, **({"timestamp": timestamp} if timestamp else {}))
        for row in rows:
            grade = gb.find_grade(row.question, assignment, assignment, student)
            grade.auto_score = row.points
            grade.needs_manual_grade = grade.manual_score is not None  # as nbgrader autograde: review overrides
        gb.db.commit()
    _mirror(course_dir, assignment, submitted, autograded, rows)


def _db(course_dir):
    return f"sqlite:///{Path(course_dir) / 'gradebook.db'}"


def _timestamp(folder):
    """The submission time nbgrader recorded (``timestamp.txt``), or None."""
    from nbgrader.utils import parse_utc

    try:
        return parse_utc((folder / "timestamp.txt").read_text().strip())
    except (OSError, ValueError):
        return None


def _mirror(course_dir, assignment, submitted, autograded, rows):
    if autograded.exists():
        shutil.rmtree(autograded)
    autograded.mkdir(parents=True)
    if submitted.is_dir():
        for path in submitted.iterdir():
            if path.is_file() and not path.is_symlink() and path.suffix != ".ipynb":
                shutil.copyfile(path, autograded / path.name)  # timestamp.txt, submission_secret.txt, data
    release = course_dir / "release" / assignment / f"{assignment}.ipynb"
    nb = checked_notebook(submitted / f"{assignment}.ipynb", release, rows)
    nbformat.write(nb, autograded / f"{assignment}.ipynb")


def checked_notebook(path, release_path, rows):
    """The student's notebook with nbgrader metadata only where the release has it (see above)."""
    try:
        nb = nbformat.read(path, as_version=4)
        if nb.get("nbformat") != 4:
            raise ValueError("not an nbformat 4 notebook")
    except Exception as error:  # any unreadable file: explain instead of breaking nbgrader
        reason = next((r.message for r in rows if r.status in ("invalid", "missing") and r.message),
                      f"the notebook could not be read ({type(error).__name__})")
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell(f"**This submission could not be graded:** {reason}")]
        return nb
    release = nbformat.read(release_path, as_version=4) if release_path.is_file() else nbformat.v4.new_notebook()
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    verdicts = {r.question: r for r in rows}
    taken = set()
    for ref in release.cells:
        meta = ref.metadata.get("nbgrader")
        if not meta or not meta.get("grade_id"):
            continue
        cell = _counterpart(ref, nb.cells, taken)
        if cell is None:
            continue  # deleted by the student: formgrader shows the rest
        taken.add(id(cell))
        cell.metadata["nbgrader"] = json.loads(json.dumps(meta))
        if cell.cell_type == "code" and meta["grade_id"] in verdicts:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=verdict(verdicts[meta["grade_id"]]))]
    return nb


def _counterpart(ref, cells, taken):
    """The student's cell for a release cell: the same cell id, else (for a grade cell) the
    same ``grader.check`` line or manual-question marker."""
    free = [c for c in cells if id(c) not in taken and c.cell_type == ref.cell_type]
    same_id = [c for c in free if ref.get("id") and c.get("id") == ref.get("id")]
    if same_id:
        return same_id[0]
    grade_id = ref.metadata["nbgrader"]["grade_id"]
    if ref.cell_type == "code" and markers.kind(ref) == "check":
        return next((c for c in free if markers.kind(c) == "check" and c.source.strip() == ref.source.strip()), None)
    if markers.kind(ref) == "manual":
        return next((c for c in free if (m := markers.MANUAL.search(c.source)) and m.group(1) == grade_id), None)
    return None


def verdict(row):
    """One line per graded question, as the feedback shows it under ``grader.check``."""
    line = f"{row.question}: {row.points:g} / {row.max_points:g} ({row.status})"
    return line + (f"\n{row.message}\n" if row.message else "\n")


def manual_scores(course_dir, assignment):
    """{student: points} of the manually graded questions (what formgrader recorded)."""
    return {student: sum(points.values()) for student, points in manual_grades(course_dir, assignment).items()}


def manual_grades(course_dir, assignment):
    """{student: {question: points}}: every manually graded question a TA has scored."""
    from nbgrader.api import Gradebook, MissingEntry

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(_db(course_dir)) as gb:
            try:
                submissions = gb.assignment_submissions(assignment)
            except MissingEntry:
                return out
            for sub in submissions:
                mine = out.setdefault(sub.student.id, {})
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        scored = grade.manual_score is not None or grade.auto_score is not None
                        if grade.cell.cell_type == "markdown" and scored:
                            mine[grade.cell.name] = grade.score  # manual score + extra credit
    return out
