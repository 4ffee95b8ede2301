"""The same assignment as an nbgrader course, generated from the single source.

    python -m autograder nbgrader COURSE_DIR [ASSIGNMENT ...]

writes ``COURSE_DIR/nbgrader_config.py`` and ``COURSE_DIR/source/<nb>/<nb>.ipynb`` (+ the public
checks file), then runs ``nbgrader generate_assignment`` so the gradebook knows every grade cell.
Each ``grader.check(q)`` cell becomes an nbgrader autograder-tests cell: the visible
``grader.check(q)`` line, then a ``### BEGIN HIDDEN TESTS`` region with the question's public and
hidden tests, run in the kernel, whose last expression is the points earned (nbgrader's partial
credit). ``generate_assignment`` strips that region, so nbgrader's release equals ``notebooks/``.
Use it for the JupyterHub exchange (release/collect), formgrader's manual grading, and to
compare with ``nbgrader autograde``; the course's own grader (``python -m autograder grade``) is
the trusted one: nbgrader runs tests inside the student's kernel, where they can be patched.
"""
import copy
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from .. import paths
from . import build, markers

COURSE_ID = "genmod"  # nbgrader's --course; override with --course-id

CONFIG = '''import os

# kernels started by nbgrader (autograde) are grading kernels: checks in the notebook stay quiet
os.environ["COURSE_GRADING"] = "1"
os.environ.setdefault("COURSE_FAST", "1")
os.environ.setdefault("COURSE_DEVICE", "cpu")

c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.db_url = "sqlite:///{root}/gradebook.db"
{exchange}c.Execute.timeout = 120
c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"
c.ClearSolutions.code_stub = {{"python": {code_stub!r}}}
c.ClearSolutions.text_stub = {text_stub!r}
'''

RUNNER = '''import contextlib as _contextlib, io as _io, warnings as _warnings
from course_utils import checks as _checks
with _warnings.catch_warnings(), _contextlib.redirect_stderr(_io.StringIO()):
    _warnings.simplefilter("ignore")  # nbgrader gives 0 to a test cell that writes to stderr
    _outcomes = [_checks.run_test(_t.__course_test__, _checks.LocalNotebook(globals())) for _t in [{tests}]]
for _o in _outcomes:
    print(f"{{_o.test.name}}: {{_o.status}} {{_o.message}}"[:300])
sum(_o.points for _o in _outcomes)
'''


def source_notebook(name):
    """The nbgrader source version of ``solutions/<name>.ipynb``."""
    solution = nbformat.read(paths.SOLUTIONS / f"{name}.ipynb", as_version=4)
    files = build(paths.SOLUTIONS / f"{name}.ipynb")
    release = nbformat.reads(files[paths.NOTEBOOKS / f"{name}.ipynb"], as_version=4)
    public, hidden = files[paths.CHECKS / f"{name}.py"], files[paths.TESTS / name / "hidden.py"]
    from course_utils import checks

    tests = {}
    for text, is_hidden in ((public, False), (hidden, True)):
        scope = {}
        exec(compile(text, name, "exec"), scope)
        for t in checks.collect(scope, is_hidden):
            tests.setdefault(t.question, []).append(t.name)
    definitions = public + "\n" + hidden
    out = copy.deepcopy(release)
    first = True
    solutions = iter(c for c in solution.cells if not markers.is_tests(c))
    for i, cell in enumerate(out.cells):
        original = next(solutions)
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            cell.source = original.source  # nbgrader strips the solution itself
        if meta.get("grade") and not meta.get("solution"):
            q = meta["grade_id"]
            body = (definitions if first else "") + RUNNER.format(tests=", ".join(tests[q]))
            cell.source = f"{cell.source}\n### BEGIN HIDDEN TESTS\n{body}### END HIDDEN TESTS"
            first = False
    return out


def course(course_dir, names=None, generate=True, course_id=COURSE_ID, exchange=None):
    course_dir = Path(course_dir).resolve()
    course_dir.mkdir(parents=True, exist_ok=True)
    (course_dir / "nbgrader_config.py").write_text(CONFIG.format(
        root=str(course_dir), course_id=course_id, exchange=_exchange_line(exchange),
        code_stub="\n".join(markers.CODE_PROMPT), text_stub=markers.MARKDOWN_PROMPT))
    for name in names or paths.assignments():
        folder = course_dir / "source" / name
        (folder / "checks").mkdir(parents=True, exist_ok=True)
        nbformat.write(source_notebook(name), folder / f"{name}.ipynb")
        shutil.copy(paths.CHECKS / f"{name}.py", folder / "checks" / f"{name}.py")
        if generate:
            subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force"],
                           cwd=course_dir, check=True, capture_output=True, text=True)
    return course_dir


def _exchange_line(exchange):
    return "" if exchange is None else f"c.Exchange.root = {str(Path(exchange).resolve())!r}\n"


def student_config(course_id=COURSE_ID, exchange=None):
    """What every student's nbgrader needs (a JupyterHub puts it in /etc/jupyter/nbgrader_config.py)."""
    return f"c = get_config()\nc.CourseDirectory.course_id = {course_id!r}\n" + _exchange_line(exchange)


def main(args):
    course(args.course_dir, args.assignments or None, course_id=args.course_id, exchange=args.exchange)
    print(f"nbgrader course {args.course_id!r} written to {args.course_dir}")
    print("students' nbgrader_config.py (e.g. /etc/jupyter/nbgrader_config.py on the hub):")
    print(student_config(args.course_id, args.exchange), end="")
    return 0
