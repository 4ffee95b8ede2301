"""The instructor's own functions, for grading each question on its own.

A test declares ``uses=["kl_standard_normal"]`` when the student's answer to its question calls
a function of another question. When that other question failed any of its own tests, the
grader runs the test again with the reference implementation in the student's namespace, so a
bug costs points once, where it is. The reference is read here, by the trusted grader, from
``solutions/<A>.ipynb``: each named top-level ``def``/``class`` of its code cells (found with
``ast``, decorators included). A function named after a question belongs to that question;
any other to the question of the first ``grader.check(q)`` cell after the cell that defines it
(the instructor notebook's layout: answer, tests, check; one answer cell may hold the functions
of several questions, as 01's ``w1_sorted`` and ``w1_cdf`` do). This is the course's one map
from functions to questions: the mutant batches (``autograder/mutants.py``) use it too.
"""
import ast
import dataclasses
import hashlib

import nbformat

from .. import paths
from ..release import markers


class MissingReference(ValueError):
    pass


@dataclasses.dataclass
class Definition:
    name: str
    question: str   # the question whose answer defines it
    source: str     # the code that defines it, as in the instructor notebook


def definitions(solution_path):
    """{name: Definition} for every top-level function and class of an instructor notebook."""
    nb = nbformat.read(solution_path, as_version=4)
    questions = {markers.CHECK.match(markers.source(c).strip()).group(1)
                 for c in nb.cells if c.cell_type == "code" and markers.kind(c) == "check"}
    found, pending = {}, {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kind = markers.kind(cell)
        code = markers.source(cell)
        if kind == "check":
            question = markers.CHECK.match(code.strip()).group(1)
            for name, source in pending.items():
                found.setdefault(name, Definition(name, name if name in questions else question, source))
            pending = {}
        elif kind not in markers.TEST_KINDS:
            pending.update(top_level_definitions(code))
    return found


def top_level_definitions(code):
    """{name: source} of the top-level ``def``/``class`` statements of one cell (IPython lines
    such as ``%matplotlib inline`` are blanked first; a cell that does not parse has none)."""
    lines = code.splitlines()
    python = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)
    try:
        tree = ast.parse(python)
    except SyntaxError:
        return {}
    out = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            out[node.name] = "\n".join(lines[first - 1:node.end_lineno]) + "\n"
    return out


def public_names(release_path):
    """Top-level names the student release itself defines (its functions, classes and
    assignments): the only names a hidden test's "not defined" message may show."""
    if not release_path.exists():
        return set()
    nb = nbformat.read(release_path, as_version=4)
    names = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        names |= set(top_level_definitions(markers.source(cell)))
        try:
            tree = ast.parse("\n".join("" if l.lstrip().startswith(("%", "!")) else l
                                       for l in markers.source(cell).splitlines()))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Assign):
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


@dataclasses.dataclass
class References:
    """What the grader may substitute for one assignment."""
    owner: dict          # function name -> its question
    sources: dict        # function name -> reference source
    uses_of: dict        # question -> names its tests declare in uses=

    @property
    def fingerprint(self):
        h = hashlib.sha256()
        for name in sorted(self.sources):
            h.update(f"{name}\0{self.owner[name]}\0{self.sources[name]}\0".encode())
        return h.hexdigest() if self.sources else ""

    def replaced(self, test, failed):
        """The functions to replace by their reference when running ``test``, given the
        questions that ``failed``: those it uses (directly, or through the functions it uses)
        whose question failed, never one of its own question."""
        out, seen, todo = set(), set(), list(test.uses)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            question = self.owner[name]
            if question == test.question:
                continue
            if question in failed:
                out.add(name)
            todo += self.uses_of.get(question, [])
        return frozenset(out)


def load(assignment, tests):
    """The references ``tests`` may need (none if no test declares ``uses``)."""
    uses_of = {}
    for t in tests:
        uses_of.setdefault(t.question, [])
        uses_of[t.question] += [u for u in t.uses if u not in uses_of[t.question]]
    wanted = {u for t in tests for u in t.uses}
    if not wanted:
        return References({}, {}, uses_of)
    path = paths.SOLUTIONS / f"{assignment}.ipynb"
    if not path.exists():
        raise MissingReference(f"tests declare uses= {sorted(wanted)} but {path.name} is not in solutions/")
    defs = definitions(path)
    missing = sorted(wanted - set(defs))
    if missing:
        raise MissingReference(f"tests declare uses= {missing}, which {path.name} does not define at top level "
                             "before a grader.check cell")
    # the closure: a substituted function may itself call others' functions through its question's uses
    names, todo = set(), list(wanted)
    while todo:
        name = todo.pop()
        if name not in names:
            names.add(name)
            todo += uses_of.get(defs[name].question, [])
    return References({n: defs[n].question for n in names}, {n: defs[n].source for n in names}, uses_of)
