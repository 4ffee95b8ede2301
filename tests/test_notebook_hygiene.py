"""Notebooks are code: helpers live in course_utils, imported one way, never copied around."""
import ast
import collections

import nbformat

import course_utils as cu
from autograder import paths
from autograder.release import markers


def top_level_definitions(path):
    """(name, kind) of every top-level def/class in a notebook's non-test code cells."""
    found = []
    for cell in nbformat.read(path, 4).cells:
        if cell.cell_type != "code" or markers.is_tests(cell):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        found += [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    return found


def imports(path):
    out = []
    for cell in nbformat.read(path, 4).cells:
        if cell.cell_type == "code":
            try:
                out += [n for n in ast.walk(ast.parse(cell.source)) if isinstance(n, (ast.Import, ast.ImportFrom))]
            except SyntaxError:
                pass
    return out


def test_course_utils_is_imported_only_as_cu_and_no_path_hacks():
    for path in sorted(paths.SOLUTIONS.glob("*.ipynb")):
        for node in imports(path):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "course_utils":
                        assert alias.name == "course_utils" and alias.asname == "cu", f"{path.name}: import {alias.name}"
            elif node.module and node.module.split(".")[0] == "course_utils":
                raise AssertionError(f"{path.name}: from {node.module} import ... (use `import course_utils as cu`)")
        text = path.read_text()
        assert "sys.path" not in text, f"{path.name} edits sys.path"


def test_no_helper_is_defined_in_two_notebooks():
    owners = collections.defaultdict(list)
    for path in sorted(paths.SOLUTIONS.glob("*.ipynb")):
        for node in top_level_definitions(path):
            owners[node.name].append(path.stem)
    shared = {name: where for name, where in owners.items() if len(where) > 1}
    assert not shared, f"defined in several notebooks (move to course_utils): {shared}"


def test_no_notebook_shadows_a_course_utils_name():
    public = set(cu.__all__) | {n for n in dir(cu.data) if not n.startswith("_")} | \
        {n for n in dir(cu.plot) if not n.startswith("_")}
    for path in sorted(paths.SOLUTIONS.glob("*.ipynb")):
        clash = {node.name for node in top_level_definitions(path)} & public
        assert not clash, f"{path.name} redefines course_utils names: {clash}"
