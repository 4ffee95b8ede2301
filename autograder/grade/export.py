"""One row per student for the LMS: id and per-assignment totals.

    python -m autograder export OUT_DIR [OUT_DIR ...] --out lms.csv [--gradebook COURSE_DIR]

Each OUT_DIR is a graded assignment (its grades.csv). With ``--gradebook``, the manual scores
recorded in formgrader are added to each assignment's automatic total. A student with no
grade for an assignment gets an empty cell (not graded), never a made-up 0.
"""
import csv
import io
from pathlib import Path

from . import SetupError, report


def totals(out_dir):
    """(assignment, {student: points}) from one grades.csv."""
    path = Path(out_dir) / "grades.csv"
    if not path.is_file():
        raise SetupError(f"no grades.csv in {out_dir}")
    points, assignment = {}, None
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            assignment = row["assignment"]
            points[row["student"]] = points.get(row["student"], 0.0) + float(row["points"])
    return assignment, points


def export(out_dirs, out, gradebook=None):
    columns, table = [], {}
    for out_dir in out_dirs:
        assignment, points = totals(out_dir)
        if assignment is None:
            continue
        if gradebook is not None:
            from .gradebook import manual_scores

            for student, extra in manual_scores(gradebook, assignment).items():
                if student in points:
                    points[student] += extra
        columns.append(assignment)
        for student, value in points.items():
            table.setdefault(student, {})[assignment] = value
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *columns, "total"])
    for student in sorted(table):
        values = [table[student].get(a) for a in columns]
        writer.writerow([student, *("" if v is None else f"{v:g}" for v in values),
                         f"{sum(v for v in values if v is not None):g}"])
    report.atomic_write(out, buffer.getvalue())
    return len(table)


def main(args):
    n = export(args.out_dirs, args.out, args.gradebook)
    print(f"wrote {args.out}: {n} students")
    return 0
