"""Writing automatic scores into nbgrader's gradebook, beside the manual grades.

The course directory comes from ``python -m autograder nbgrader COURSE_DIR`` (its gradebook
knows every grade cell, with the question names as grade ids). For each student this creates
the submission if needed, copies the notebook to ``submitted/`` and ``autograded/`` (where
formgrader shows it for manual grading), and sets the ``auto_score`` of every autograded
question. Manual grades typed in formgrader are never touched. One writer at a time: the
grader calls this from its main thread only (SQLite is not safe with concurrent writers).
"""
import shutil
import warnings
from pathlib import Path


def record(course_dir, assignment, student, notebook, rows):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbgrader's SQLAlchemy warnings, known and harmless
        _record(course_dir, assignment, student, notebook, rows)


def _record(course_dir, assignment, student, notebook, rows):
    from nbgrader.api import Gradebook, MissingEntry

    course_dir = Path(course_dir)
    db = f"sqlite:///{course_dir / 'gradebook.db'}"
    for stage in ("submitted", "autograded"):
        target = course_dir / stage / student / assignment / f"{assignment}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        if Path(notebook).is_file():
            shutil.copyfile(notebook, target)
    with Gradebook(db) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise RuntimeError(f"{course_dir} has no assignment {assignment}: run "
                               f"`python -m autograder nbgrader {course_dir} {assignment}` first") from None
        gb.update_or_create_student(student)
        gb.update_or_create_submission(assignment, student)
        for row in rows:
            grade = gb.find_grade(row.question, assignment, assignment, student)
            grade.auto_score = row.points
        gb.db.commit()


def manual_scores(course_dir, assignment):
    """{student: points} of the manually graded questions (what formgrader recorded)."""
    from nbgrader.api import Gradebook, MissingEntry

    out = {}
    with Gradebook(f"sqlite:///{Path(course_dir) / 'gradebook.db'}") as gb:
        try:
            submissions = gb.assignment_submissions(assignment)
        except MissingEntry:
            return out
        for sub in submissions:
            total = 0.0
            for nb in sub.notebooks:
                for grade in nb.grades:
                    if grade.cell.cell_type == "markdown":
                        total += grade.score or 0.0
            out[sub.student.id] = total
    return out
