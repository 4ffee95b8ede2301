"""Run All through a half-finished notebook: one line where an answer is missing, not a traceback.

``cu.Checker(...)`` installs this in a student's IPython kernel (not under the grader). Then:

* a cell that stops on the release's ``raise NotImplementedError`` (in a function defined in the
  notebook) shows one line, "``kl_normal`` is not implemented yet...", instead of a traceback;
* the names that cell would have defined (``ae2 = ...``, ``runs[...] = ...``) are *pending*: a
  later cell that reads a pending name and fails (a ``NameError``, a ``KeyError``...) shows one
  line too, "skipped: needs ``ae2``...", and its own names become pending;
* such a cell counts as done (its reply is "ok"), so Run All goes on to every ``grader.check``,
  which says "not implemented yet" for each question still to do;
* once a cell runs without error, the names it defines are no longer pending.

Every other error shows its usual traceback. Exceptions raised in widget callbacks
(``ipywidgets.interact``) are covered too: IPython shows those through the same
``showtraceback``, which is why the hook wraps it (a custom exception handler would only see
the cells' own exceptions). In the instructor's notebook (tests defined in it) nothing is hidden.
"""
import ast
import html
import sys


class Placeholders:
    def __init__(self, shell, authoring):
        self.shell, self.authoring = shell, authoring
        self.pending = {}        # name -> the unfinished function it waits for
        self.cell = ""
        self.cut_short = None    # this cell's unfinished function, once it showed a placeholder
        self.original = shell.showtraceback
        shell.showtraceback = self.showtraceback
        shell.events.register("pre_run_cell", self.pre_run_cell)
        shell.events.register("post_run_cell", self.post_run_cell)

    def uninstall(self):
        self.shell.showtraceback = self.original
        self.shell.events.unregister("pre_run_cell", self.pre_run_cell)
        self.shell.events.unregister("post_run_cell", self.post_run_cell)
        if getattr(self.shell, "_course_placeholders", None) is self:
            del self.shell._course_placeholders

    # -- events ------------------------------------------------------------------------------
    def pre_run_cell(self, info):
        self.cell, self.cut_short = info.raw_cell, None

    def showtraceback(self, exc_tuple=None, *args, **kwargs):
        etype, value, tb = exc_tuple if exc_tuple else sys.exc_info()
        try:
            message = None if self.authoring() else self.explain(value, tb)
        except Exception:   # never let the helper hide the student's own error
            message = None
        if message is None:
            return self.original(exc_tuple, *args, **kwargs)
        _close_figures()     # a half-drawn figure would show below the line
        from IPython.display import display

        display(Placeholder(message))

    def post_run_cell(self, result):
        names = bound_names(self._tree())
        if self.cut_short is not None:
            self.pending.update(dict.fromkeys(names, self.cut_short))
            if result is not None and result.error_in_exec is not None:
                result.error_in_exec = None   # the cell counts as done: Run All goes on
        elif result is not None and result.success:
            for name in names:
                self.pending.pop(name, None)

    # -- deciding ----------------------------------------------------------------------------
    def explain(self, value, tb):
        """The placeholder line for this exception, or None to show the traceback."""
        function = self.unfinished(value, tb)
        if function is not None:
            self.cut_short = function
            return (f"{function} is not implemented yet: fill in its # YOUR CODE HERE, run that "
                    "cell, then this one again.")
        tree = self._tree()
        own = bound_names(tree)         # names this cell defines itself are not waited for
        waiting = [n for n in read_names(tree) if n in self.pending and n not in own]
        if waiting:
            self.cut_short = self.pending[waiting[0]]
            return (f"skipped: this cell needs {', '.join(waiting[:3])}, which a cell above could not "
                    f"compute yet ({self.cut_short} is not implemented).")
        return None

    def unfinished(self, value, tb):
        """The notebook function whose ``raise NotImplementedError`` this is (None otherwise)."""
        if type(value) is not NotImplementedError or value.args:
            return None               # a library's NotImplementedError says something: show it
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is None or tb.tb_frame.f_globals is not self.shell.user_ns:
            return None
        code = tb.tb_frame.f_code
        name = getattr(code, "co_qualname", code.co_name)
        return name.removesuffix(".__init__") if name != "<module>" else "an answer in this cell"

    def _tree(self):
        try:
            return ast.parse(self.shell.transform_cell(self.cell))
        except (SyntaxError, ValueError):
            return ast.Module(body=[], type_ignores=[])


class Placeholder:
    """One grey line in place of an error."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return f"⏳ {self.text}"

    def _repr_html_(self):
        return f'<div style="color:#6e7781;font-style:italic">⏳ {html.escape(self.text)}</div>'


def bound_names(tree):
    """Names a cell binds at its top level: assignments, loop and ``with`` targets, defs,
    classes, imports, and the containers it fills (``runs["ring"] = ...`` binds ``runs``)."""
    names = set()

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            return                     # a function's locals are not the notebook's
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        if isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, ast.Store):
            base = node
            while isinstance(base, (ast.Subscript, ast.Attribute)):
                base = base.value
            if isinstance(base, ast.Name):
                names.add(base.id)
        if isinstance(node, ast.Lambda):
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def read_names(tree):
    """Every name a cell reads, each once (breadth-first: the top-level statements first)."""
    found = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
    return list(dict.fromkeys(found))


def _close_figures():
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def install(authoring=lambda: False):
    """Install in the running IPython kernel, once: a later Checker (the set-up cell run again, or
    another notebook's ``grader = cu.Checker(...)`` executed by ``cu.from_notebook``) keeps the
    hook and the names still pending, and only replaces ``authoring``."""
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return None
    installed = getattr(shell, "_course_placeholders", None)
    if installed is not None and installed.shell is shell:
        installed.authoring = authoring
        return installed
    shell._course_placeholders = Placeholders(shell, authoring)
    return shell._course_placeholders
