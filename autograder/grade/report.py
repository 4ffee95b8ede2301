"""grades.csv and the students' feedback pages.

Feedback shows public checks in full; a hidden test appears only as its name, its points, its
status and the instructor's hint: never its source, its inputs or the expected values. Every
string here was made safe by ``text.clean`` when it was built; the writers below still encode
leniently and neutralise spreadsheet formulas, so no text can stop a write.
"""
import csv
import dataclasses
import html
import io
import json
import os
from pathlib import Path

from . import text

COLUMNS = ["student", "assignment", "question", "points", "max_points", "status", "message"]


@dataclasses.dataclass
class Row:
    student: str
    assignment: str
    question: str
    points: float
    max_points: float
    status: str
    message: str = ""

    def csv(self):
        return {**dataclasses.asdict(self), "points": _num(self.points), "max_points": _num(self.max_points)}


def _num(x):
    return f"{x:g}"


def atomic_write(path, content):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_bytes(content.encode("utf-8", "replace"))  # a lone surrogate cannot fail the write
    os.replace(tmp, path)


def write_csv(path, rows):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: text.csv_cell(v) for k, v in row.csv().items()})
    atomic_write(path, buffer.getvalue())


def safe_name(student):
    """The file name (without suffix) of a student's feedback, details and journal entry: one
    per student id, never shared (see ``text.file_stem``)."""
    return text.file_stem(student)


def write_feedback(path, student, assignment, rows, outcomes, cell_events):
    """One HTML page per student. ``outcomes``: per question, (test name, points, hidden, status, message)."""
    total, maximum = sum(r.points for r in rows), sum(r.max_points for r in rows)
    e = html.escape
    parts = [
        "<!doctype html><meta charset='utf-8'>",
        f"<title>{e(assignment)}: {e(student)}</title>",
        "<style>body{font:15px system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse}td,th{padding:.3em .7em;border-bottom:1px solid #ddd;text-align:left}"
        ".passed{color:#1a7f37}.failed,.error,.timeout,.missing,.invalid{color:#b42318}"
        "pre{background:#f6f8fa;padding:.5em;white-space:pre-wrap}</style>",
        f"<h1>{e(assignment)}</h1><p>Student: <b>{e(student)}</b> &nbsp; "
        f"Score: <b>{total:g} / {maximum:g}</b></p>",
        "<table><tr><th>question</th><th>points</th><th>status</th><th>message</th></tr>",
    ]
    for r in rows:
        parts.append(f"<tr><td>{e(r.question)}</td><td>{r.points:g} / {r.max_points:g}</td>"
                     f"<td class='{e(r.status)}'>{e(r.status)}</td><td>{e(r.message)}</td></tr>")
    parts.append("</table>")
    for question, tests in outcomes.items():
        if not tests:
            continue
        parts.append(f"<h2>{e(question)}</h2><ul>")
        for name, points, hidden, status, message in tests:
            label = f"{e(name)} ({points:g} pt{'s' if points != 1 else ''}{', hidden' if hidden else ''})"
            parts.append(f"<li class='{e(status)}'>{label}: {e(status)}"
                         + (f"<pre>{e(message)}</pre>" if message else "") + "</li>")
        parts.append("</ul>")
    if cell_events:
        parts.append("<h2>While running your notebook</h2><ul>")
        for ev in cell_events:
            where = f"code cell {ev.index + 1}" if ev.index >= 0 else "the notebook"
            parts.append(f"<li>{e(where)}: {e(ev.status)}: {e(ev.message)}</li>")
        parts.append("</ul>")
    atomic_write(path, "\n".join(parts) + "\n")


def write_details(path, data):
    atomic_write(path, json.dumps(data, indent=1, default=str))
