"""Reuse the functions of another notebook without running it.

``cu.from_notebook("03_vae.ipynb", "VAE", "fit_vae")`` executes only that notebook's imports,
``def``s, ``class``es and the assignments that call none of its own functions: no training run,
plot or check. Introduced in 06_principles, which puts *your* VAE from 03 and *your* few-label
probe from 05 beside its new models (the notebook is looked up next to the one you are in); the
benchmarks use ``definitions`` to reuse the instructor notebooks.

An assignment that reads a name only a skipped statement binds (``opt = Adam(model.parameters())``
after ``model = train(...)``), or that raises, is skipped too, and so are the names it binds.
Each cell's source is registered with ``linecache``, so ``inspect.getsource`` (and with it the
key of ``cu.cached``) sees the same code as in the notebook's own kernel: a model trained there
is read back from the cache here.
"""
import ast
import linecache
import sys
import types
from pathlib import Path

KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def from_notebook(path, *names, **given):
    """The ``names`` defined by the notebook at ``path`` (relative to the working directory),
    as attributes of a namespace. ``given`` are defined before its cells run: values that a
    function reads as globals but that only a skipped cell binds (``y_train=...``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path.name} is not next to this notebook")
    ns = definitions(path, {"__name__": "__notebook__", **given})
    missing = [n for n in names if n not in ns]
    if missing:
        raise NameError(f"{path.name} does not define {', '.join(missing)}")
    return types.SimpleNamespace(**{n: ns[n] for n in names})


def definitions(path, namespace=None):
    """Execute a notebook's definitions (see the module's docstring) into ``namespace``."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    ns = {"__name__": "__notebook__"} if namespace is None else namespace
    defined, skipped = set(), set()
    figures = _open_figures()
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and not cell.source.lstrip().startswith(("%", "!")):
                _run_definitions(cell.source, f"<{Path(path).name} cell {index}>", ns, defined, skipped)
    finally:  # ``fig, ax = plt.subplots()`` is a cheap assignment too: its figures belong to no one here
        _close_figures_since(figures)
    return ns


def _run_definitions(source, filename, ns, defined, skipped):
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return  # IPython-only syntax: not a definition anyway
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)  # no mtime: kept
    for node in tree.body:
        if isinstance(node, KEEP):
            _exec(node, filename, ns)
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                defined.add(node.name)
                skipped.discard(node.name)
        elif (isinstance(node, (ast.Assign, ast.AnnAssign)) and not _calls(node, defined)
              and not _names(node, ast.Load) & skipped):
            try:
                _exec(node, filename, ns)
                skipped -= _names(node, ast.Store)
            except Exception:
                skipped |= _names(node, ast.Store)
        else:
            skipped |= _names(node, ast.Store)


def _open_figures():
    plt = sys.modules.get("matplotlib.pyplot")
    return set(plt.get_fignums()) if plt else set()


def _close_figures_since(before):
    plt = sys.modules.get("matplotlib.pyplot")
    for number in set(plt.get_fignums()) - before if plt else ():
        plt.close(number)


def _exec(node, filename, ns):
    exec(compile(ast.Module(body=[node], type_ignores=[]), filename, "exec"), ns)


def _names(node, context):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, context)}


def _calls(node, names):
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in names
               for n in ast.walk(node))
