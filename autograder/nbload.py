"""Reuse an instructor notebook's functions from a script (benchmarks) without running it.

``definitions(path)`` executes only a notebook's imports, ``def``s, ``class``es and the
assignments that do not call a function the notebook defines: no training run, plot or check.
An assignment that reads a name only a skipped statement binds (``opt = Adam(model.parameters())``
after ``model = train(...)``), or that raises, is skipped too, and so are the names it binds.
"""
import ast

import nbformat

KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def definitions(path, namespace=None):
    nb = nbformat.read(path, as_version=4)
    ns = {"__name__": "__notebook__"} if namespace is None else namespace
    defined, skipped = set(), set()
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
                    skipped.discard(node.name)
            elif (isinstance(node, (ast.Assign, ast.AnnAssign)) and not _calls(node, defined)
                  and not _names(node, ast.Load) & skipped):
                try:
                    _exec(node, path, ns)
                    skipped -= _names(node, ast.Store)
                except Exception:
                    skipped |= _names(node, ast.Store)
            else:
                skipped |= _names(node, ast.Store)
    return ns


def _exec(node, path, ns):
    exec(compile(ast.Module(body=[node], type_ignores=[]), str(path), "exec"), ns)


def _names(node, context):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, context)}


def _calls(node, names):
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in names
               for n in ast.walk(node))
