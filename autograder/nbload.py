"""Reuse an instructor notebook's functions from a script (benchmarks) without running it.

``definitions(path)`` executes only a notebook's imports, ``def``s, ``class``es and the
assignments that do not call a function the notebook defines (an assignment that fails, because
it uses a value a skipped statement would have made, is skipped too): no training run, plot or check.
"""
import ast

import nbformat

KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def definitions(path, namespace=None):
    nb = nbformat.read(path, as_version=4)
    ns = {"__name__": "__notebook__"} if namespace is None else namespace
    defined = set()
    for cell in nb.cells:
        if cell.cell_type != "code" or cell.source.lstrip().startswith(("%", "!")):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue  # IPython-only syntax: not a definition anyway
        for node in tree.body:
            if isinstance(node, KEEP):
                _exec(node, path, ns)
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    defined.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and not _calls(node, defined):
                try:
                    _exec(node, path, ns)
                except Exception:
                    pass  # it uses a result of a skipped statement (a trained model): skip it too
    return ns


def _exec(node, path, ns):
    exec(compile(ast.Module(body=[node], type_ignores=[]), str(path), "exec"), ns)


def _calls(node, names):
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in names
               for n in ast.walk(node))
