"""The instructor notebook's vocabulary, and how to read it.

Code cells
    ``# BEGIN SOLUTION`` ... ``# END SOLUTION``   replaced by ``# YOUR CODE HERE`` +
                                                 ``raise NotImplementedError`` (same indent)
    first line ``# TESTS``                       public tests of a question: moved to
                                                 notebooks/checks/<nb>.py (tests may use
                                                 cu, math, np and torch; import the rest)
    ``# BEGIN HIDDEN TESTS`` ... ``# END HIDDEN TESTS`` (a whole cell)
                                                 hidden tests: moved to
                                                 autograder/tests/<nb>/hidden.py
    first line ``# TEST HELPERS``                helpers that public and hidden tests share:
                                                 copied to the top of both files (they are
                                                 published, so nothing hidden belongs here)
    a cell that is exactly ``grader.check("q")``  the question's grade cell (nbgrader metadata)
Markdown cells
    ``<!-- MANUAL name points=N -->``            a manually graded answer (nbgrader/formgrader)
    ``<!-- BEGIN SOLUTION -->`` ... ``<!-- END SOLUTION -->``   replaced by an answer prompt
"""
import re

CODE_BEGIN = re.compile(r"^(\s*)#\s*BEGIN SOLUTION\s*$")
CODE_END = re.compile(r"^\s*#\s*END SOLUTION\s*$")
MD_BEGIN = re.compile(r"^\s*<!--\s*BEGIN SOLUTION\s*-->\s*$")
MD_END = re.compile(r"^\s*<!--\s*END SOLUTION\s*-->\s*$")
PUBLIC_TESTS = re.compile(r"^#\s*TESTS\s*$")
TEST_HELPERS = re.compile(r"^#\s*TEST HELPERS\s*$")
HIDDEN_BEGIN = re.compile(r"^#\s*BEGIN HIDDEN TESTS\s*$")
HIDDEN_END = re.compile(r"^#\s*END HIDDEN TESTS\s*$")
CHECK = re.compile(r"""^grader\.check\(\s*["'](\w+)["']\s*\)\s*$""")
MANUAL = re.compile(r"<!--\s*MANUAL\s+(\w+)\s+points\s*=\s*([0-9.]+)\s*-->")
ANY_MARKER = re.compile(r"BEGIN SOLUTION|END SOLUTION|BEGIN HIDDEN TESTS|END HIDDEN TESTS")

CODE_PROMPT = ["# YOUR CODE HERE", "raise NotImplementedError"]
MARKDOWN_PROMPT = "_Your answer here (Markdown and LaTeX: `$...$`)._"


TEST_KINDS = ("public-tests", "hidden-tests", "test-helpers")  # cells that leave the release notebook


class MarkerError(ValueError):
    pass


def source(cell):
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def kind(cell):
    """"public-tests", "hidden-tests", "test-helpers", "check", "solution", "manual" or "plain"."""
    text = source(cell)
    lines = [l for l in text.splitlines() if l.strip()]
    if cell["cell_type"] == "code" and lines:
        if PUBLIC_TESTS.match(lines[0]):
            return "public-tests"
        if HIDDEN_BEGIN.match(lines[0]):
            return "hidden-tests"
        if TEST_HELPERS.match(lines[0]):
            return "test-helpers"
        if len(lines) == 1 and CHECK.match(lines[0]):
            return "check"
    if cell["cell_type"] == "markdown" and MANUAL.search(text):
        return "manual"
    if ANY_MARKER.search(text):
        return "solution"
    return "plain"


def strip_solution(text, cell_type, where):
    """Replace every solution region of one cell; errors on unbalanced or nested markers."""
    begin, end = (CODE_BEGIN, CODE_END) if cell_type == "code" else (MD_BEGIN, MD_END)
    out, inside = [], None
    for number, line in enumerate(text.splitlines(), 1):
        b, e = begin.match(line), end.match(line)
        if b:
            if inside is not None:
                raise MarkerError(f"{where}, line {number}: BEGIN SOLUTION inside another solution")
            inside = b.group(1) if cell_type == "code" else ""
            out += [inside + p for p in CODE_PROMPT] if cell_type == "code" else [MARKDOWN_PROMPT]
        elif e:
            if inside is None:
                raise MarkerError(f"{where}, line {number}: END SOLUTION without BEGIN SOLUTION")
            inside = None
        elif inside is None:
            if "SOLUTION" in line and ANY_MARKER.search(line):
                raise MarkerError(f"{where}, line {number}: malformed solution marker {line.strip()!r}")
            out.append(line)
    if inside is not None:
        raise MarkerError(f"{where}: BEGIN SOLUTION is never closed")
    return "\n".join(out)


def is_tests(cell):
    """A public tests, hidden tests or test helpers cell: code for the tests files, not the notebook."""
    return kind(cell) in TEST_KINDS


def test_body(cell, where):
    """The code of a tests (or test helpers) cell without its marker lines."""
    lines = source(cell).splitlines()
    if kind(cell) == "hidden-tests":
        ends = [i for i, l in enumerate(lines) if HIDDEN_END.match(l)]
        if len(ends) != 1 or any(l.strip() for l in lines[ends[0] + 1:]):
            raise MarkerError(f"{where}: a hidden tests cell must end with '# END HIDDEN TESTS'")
        lines = lines[:ends[0]]
    body = lines[1:]
    if any(ANY_MARKER.search(l) for l in body):
        raise MarkerError(f"{where}: solution or hidden-test markers inside a tests cell")
    return "\n".join(body).strip("\n")
