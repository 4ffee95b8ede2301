"""Instant checks in the notebook, and the test format the grader shares.

In a notebook::

    grader = cu.Checker("01_divergences")
    ...
    grader.check("kl_normal")        # runs the public checks of that question

A test is a function of one argument, ``nb``: the notebook under test. It reaches the
student's code only through ``nb`` and asserts on the plain values that come back::

    @cu.test("kl_normal", points=1)
    def known_value(nb):
        assert nb.kl_normal(0.0, 1.0, 1.0, 1.0) == approx(0.5)

``nb.name(*args)`` calls a function defined in the notebook, ``nb.get(name)`` reads a value,
``nb.run(code, **inputs)`` runs a snippet there and returns its variable ``result``. Arguments
and results cross as plain data (``course_utils.wire``). Here, ``nb`` is your own kernel; in the
grader it is a separate sandboxed process and the test runs in the trusted grader.
"""
import dataclasses
import importlib.util
import inspect
import math
import os
import sys
import textwrap
import time
import traceback
from pathlib import Path

from . import wire
from .seed import seeded

STATUSES = ("passed", "failed", "error", "timeout", "missing", "invalid")


@dataclasses.dataclass
class Test:
    question: str
    name: str
    points: float
    fn: object
    hidden: bool = False
    timeout: float = 60.0
    hint: str = ""          # the idea a failure points to (shown to students; never inputs or values)
    uses: tuple = ()        # other questions' functions this test calls through the student's code


def test(question, points=1, timeout=60.0, hint="", uses=()):
    """Mark a function ``f(nb)`` as a test of ``question`` worth ``points``.

    ``hint``: what idea a failure points to, written for the student ("does your estimate use
    samples of p?"); hidden tests must have one. ``uses``: names of functions of *other*
    questions that the student's answer calls (``uses=["kl_standard_normal"]``); when one of
    them fails its own tests, the grader runs this test with the reference implementation in
    its place, so a bug costs points only where it is.
    """
    if not isinstance(question, str) or not question.isidentifier():
        raise ValueError(f"question names are identifiers, got {question!r}")
    uses = (uses,) if isinstance(uses, str) else tuple(uses)
    if not all(isinstance(u, str) and u.isidentifier() for u in uses):
        raise ValueError(f"uses= takes function names, got {uses!r}")

    def mark(fn):
        fn.__course_test__ = Test(question, fn.__name__, float(points), fn, timeout=float(timeout),
                                  hint=str(hint), uses=uses)
        return fn

    return mark


def collect(namespace, hidden=False):
    """The tests defined in a namespace (a module's or notebook's globals), in order."""
    found = []
    for value in list(namespace.values()):
        spec = getattr(value, "__course_test__", None)
        if isinstance(spec, Test):
            found.append(dataclasses.replace(spec, hidden=hidden))
    return found


def load_tests(path, hidden=False):
    """Import a tests file as a fresh module and collect its tests."""
    spec = importlib.util.spec_from_file_location(f"_course_tests_{Path(path).stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return collect(vars(module), hidden=hidden)


# --- what a check can report ---------------------------------------------------------------

class Problem(Exception):
    """Something other than a wrong answer; ``status`` is its grades.csv status."""
    status = "error"


class MissingName(Problem):
    status = "missing"

    def __init__(self, name):
        super().__init__(f"'{name}' is not defined in the notebook (was its cell deleted or renamed?)")
        self.name = name


NOT_IMPLEMENTED_MESSAGE = "NotImplementedError: not implemented yet"


class StudentError(Problem):
    """The student's code raised; carries the exception's type, message and traceback."""

    def __init__(self, type_name, message, trace=""):
        super().__init__(f"{type_name}: {message}" if message else type_name)
        self.type_name, self.trace = type_name, trace


@dataclasses.dataclass
class Outcome:
    test: Test
    status: str
    message: str = ""
    seconds: float = 0.0
    not_implemented: bool = False   # the student's code still raises the release's NotImplementedError

    @property
    def points(self):
        return self.test.points if self.status == "passed" else 0.0


def run_test(t, nb):
    """Run one test against ``nb`` and classify what happened (never raises)."""
    start = time.perf_counter()
    try:
        t.fn(nb)
        status, message = "passed", ""
    except AssertionError as error:
        status, message = "failed", _assertion_message(error)
    except wire.WireError as error:
        status, message = "failed", f"your result cannot be checked: {error}"
    except Problem as error:
        status, message = error.status, str(error)
    except Exception as error:  # the test could not use the value it got back
        status, message = "failed", f"the check could not use your result ({type(error).__name__}: {error})"
    todo = status == "error" and message == NOT_IMPLEMENTED_MESSAGE
    return Outcome(t, status, message, time.perf_counter() - start, not_implemented=todo)


def _assertion_message(error):
    if str(error):
        return str(error)
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.line]
    return f"assertion failed: {frames[-1].line}" if frames else "assertion failed"


# --- comparing numbers -----------------------------------------------------------------------

def describe(x):
    """A value's type as a message says it: "a float", "a 0-d Tensor", "a Tensor of shape (3, 1)"."""
    import numpy as np

    if x is None:
        return "None"
    if type(x) is bool:
        return f"a bool ({x})"
    if type(x) in (int, float, str):
        return {"int": "an int", "float": "a float", "str": "a string"}[type(x).__name__]
    if hasattr(x, "detach") and hasattr(x, "shape"):
        return "a 0-d Tensor" if len(x.shape) == 0 else f"a Tensor of shape {tuple(x.shape)}"
    if isinstance(x, np.ndarray):
        return "a 0-d NumPy array" if x.ndim == 0 else f"a NumPy array of shape {x.shape}"
    if isinstance(x, np.generic):
        return f"a NumPy {type(x).__name__}"
    if isinstance(x, (list, tuple, dict)):
        return f"a {type(x).__name__} of {len(x)} item{'s' if len(x) != 1 else ''}"
    return f"a {type(x).__name__}"


def assert_float(got, expected=None, rtol=1e-6, atol=1e-12, what="value"):
    """Assert that ``got`` is a Python float (an int will do) and, given ``expected``, close to it.

    A 0-d tensor where a float is asked gets its own message ("expected a float, got a 0-d
    Tensor"), not a confusing "JS should be 0.693, got 0.693"."""
    if type(got) not in (int, float):
        scalar = hasattr(got, "shape") and len(getattr(got, "shape", (0,))) == 0
        hint = " (convert it with float(...) or .item())" if scalar else ""
        raise AssertionError(f"{what}: expected a float, got {describe(got)}{hint}")
    if expected is None:
        return
    if math.isinf(expected) or math.isnan(expected):
        if not (got == expected or (math.isnan(expected) and math.isnan(got))):
            raise AssertionError(f"{what} is {got:.6g}, expected {expected}")
        return
    assert_close(got, expected, rtol=rtol, atol=atol, what=what)


def assert_int(got, expected=None, what="value"):
    """Assert that ``got`` is a Python int (not a tensor, not a float) and, given ``expected``, equal to it."""
    if type(got) is not int:
        scalar = hasattr(got, "shape") and len(getattr(got, "shape", (0,))) == 0
        hint = " (convert it with int(...) or .item())" if scalar or type(got) is float else ""
        raise AssertionError(f"{what}: expected an int, got {describe(got)}{hint}")
    if expected is not None and got != expected:
        raise AssertionError(f"{what} is {got}, expected {expected}")


def assert_shape(got, expected, what="value"):
    """Assert that the array or tensor ``got`` has the shape ``expected`` ("expected shape (5,), got
    (5, 1)", with a hint); something that is not an array gets its own message."""
    shape = getattr(got, "shape", None)
    if shape is None or isinstance(got, (str, bytes)):
        raise AssertionError(f"{what}: expected an array of shape {tuple(expected)}, got {describe(got)}")
    if tuple(shape) != tuple(expected):
        raise AssertionError(f"{what}: expected shape {tuple(expected)}, got {tuple(shape)}"
                             + _shape_hint(tuple(shape), tuple(expected)))


def assert_close(got, expected, rtol=1e-5, atol=1e-8, what="value"):
    """Assert that numbers/arrays/tensors ``got`` and ``expected`` agree, with a readable message.

    A wrong shape gets its own message ("expected shape (4,), got (4, 1)"), with a hint when
    only a dimension of size 1 is missing or extra."""
    import numpy as np

    g, e = _as_array(got, what), _as_array(expected, "expected")
    if g.shape != e.shape:
        raise AssertionError(f"{what}: expected shape {tuple(e.shape)}, got {tuple(g.shape)}"
                             + _shape_hint(g.shape, e.shape))
    if not np.allclose(g, e, rtol=rtol, atol=atol, equal_nan=False):
        bad = ~np.isclose(g, e, rtol=rtol, atol=atol)
        i = np.argwhere(bad)[0] if g.ndim else ()
        where = f" at index {tuple(int(k) for k in i)}" if g.ndim else ""
        raise AssertionError(f"{what}{where} is {g[tuple(i)]:.6g}, expected {e[tuple(i)]:.6g} "
                             f"(tolerance {rtol:g} relative, {atol:g} absolute)")


def _shape_hint(got, expected):
    if tuple(d for d in got if d != 1) == tuple(d for d in expected if d != 1):
        return " (a dimension of size 1 too many or too few: check keepdim=, .squeeze(), .unsqueeze())"
    if math.prod(got) == math.prod(expected):
        return " (the right number of entries, arranged differently: a transpose or a reshape?)"
    return ""


def _as_array(x, what):
    import numpy as np

    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    if isinstance(x, (str, bytes)) or x is None or (isinstance(x, np.ndarray) and x.dtype.kind not in "biuf"):
        raise AssertionError(f"{what} should be a number or an array of numbers, got {describe(x)}")
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise AssertionError(f"{what} should be a number or an array of numbers, got {describe(x)}")
    return arr


class approx:
    """``got == approx(0.5)``: a scalar within ``rel`` relative or ``abs`` absolute tolerance.

    Only plain ints and floats compare equal; anything else (a string, an array) does not.
    """

    def __init__(self, expected, rel=1e-6, abs=1e-12):
        self.expected, self.rel, self.abs = float(expected), rel, abs

    def __eq__(self, other):
        if type(other) not in (int, float):
            return False
        if math.isinf(self.expected):
            return other == self.expected
        return math.isclose(other, self.expected, rel_tol=self.rel, abs_tol=self.abs)

    def __repr__(self):
        return f"{self.expected:.6g} ± {max(self.rel * abs(self.expected), self.abs):.1g}"


# --- the notebook as seen by a test, inside the kernel ----------------------------------------

class LocalNotebook:
    """``nb`` for tests that run in the student's own kernel (the public checks).

    Values still go through ``wire.roundtrip``, so the checks see exactly what the grader will.
    """

    def __init__(self, namespace, seed=0):
        self._ns, self._seed = namespace, seed

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)

    def call(self, name, *args, **kwargs):
        fn = self._lookup(name)
        args, kwargs = wire.roundtrip(list(args)), wire.roundtrip(kwargs)
        return self._guard(lambda: fn(*args, **kwargs))

    def get(self, name):
        return self._guard(lambda: self._lookup(name))

    def run(self, code, **inputs):
        scope = dict(self._ns)
        scope.update(wire.roundtrip(inputs))
        self._guard(lambda: exec(compile(textwrap.dedent(code), "<check>", "exec"), scope))
        return wire.roundtrip(scope.get("result"))

    def has(self, name):
        return name in self._ns

    def _lookup(self, name):
        if name not in self._ns:
            raise MissingName(name)
        return self._ns[name]

    def _guard(self, thunk):
        with seeded(self._seed):
            try:
                value = thunk()
            except NotImplementedError:
                raise StudentError("NotImplementedError", "not implemented yet") from None
            except Problem:
                raise
            except Exception as error:
                raise StudentError(type(error).__name__, str(error),
                                   traceback.format_exc(limit=-3)) from None
        return wire.roundtrip(value)


# --- the object students call -----------------------------------------------------------------

class Checker:
    """``grader = cu.Checker("01_divergences")``; then ``grader.check("question")``.

    Public checks come from ``checks/<assignment>.py`` next to the notebook (or in the course's
    ``notebooks/checks``). Tests defined in the notebook itself (the instructor's version) take
    their place. Under the grader (``COURSE_GRADING=1``) checks do nothing: the grader runs its
    own, in its own process.
    """

    def __init__(self, assignment, namespace=None):
        self.assignment = assignment
        self.namespace = namespace if namespace is not None else sys.modules["__main__"].__dict__
        if os.environ.get("COURSE_GRADING") != "1" and namespace is None:
            from . import placeholders

            placeholders.install(authoring=self._authoring)  # Run All goes past unfinished answers

    def tests(self, question=None):
        local = collect(self.namespace)
        pool = local if local else self._file_tests()
        return [t for t in pool if question is None or t.question == question]

    def check(self, question):
        if os.environ.get("COURSE_GRADING") == "1":
            return None
        tests = self.tests(question)
        if not tests:
            raise ValueError(f"no checks for question {question!r} in {self.assignment}")
        report = Report(question, [run_test(t, LocalNotebook(self.namespace)) for t in tests])
        if self._authoring() and not report.passed:
            raise AssertionError("the solution fails its own tests:\n" + repr(report))
        return report

    def check_all(self):
        """Every question's box, as ``check`` shows it, and a summary line."""
        if os.environ.get("COURSE_GRADING") == "1":  # the grader runs its own tests, in its own process
            return []
        questions = list(dict.fromkeys(t.question for t in self.tests()))
        return Summary([self.check(q) for q in questions])

    def _authoring(self):
        """True in the instructor's notebook, where the tests are defined in the notebook itself."""
        return bool(collect(self.namespace))

    def _file_tests(self):
        for folder in (Path.cwd() / "checks", Path(__file__).resolve().parent.parent / "notebooks" / "checks"):
            path = folder / f"{self.assignment}.py"
            if path.exists():
                return load_tests(path)
        raise FileNotFoundError(f"checks/{self.assignment}.py not found next to the notebook")


class Report:
    """What ``grader.check`` shows: one line per check, and why a check failed."""

    def __init__(self, question, outcomes):
        self.question, self.outcomes = question, outcomes
        self.passed = all(o.status == "passed" for o in outcomes)
        self.not_implemented = bool(outcomes) and all(o.not_implemented for o in outcomes)

    def lines(self):
        if self.not_implemented:
            return [f"{self.question}: not implemented yet. Fill in its # YOUR CODE HERE above, "
                    "then run this cell again."]
        n_ok = sum(o.status == "passed" for o in self.outcomes)
        head = f"{self.question}: {n_ok}/{len(self.outcomes)} checks passed"
        out = [head + (" ✓" if self.passed else "")]
        for o in self.outcomes:
            mark = "✓" if o.status == "passed" else "✗"
            label = o.test.name + (" (hidden)" if o.test.hidden else "")
            message = "not implemented yet" if o.not_implemented else o.message
            out.append(f"  {mark} {label}" + ("" if o.status == "passed" else f": {message}"))
            if o.status == "failed" and not o.test.hidden:
                out.append(textwrap.indent(_source(o.test.fn), "      | "))
        return out

    def colour(self):
        return "#1a7f37" if self.passed else "#6e7781" if self.not_implemented else "#b42318"

    def __repr__(self):
        return "\n".join(self.lines())

    def _repr_html_(self):
        return _box("\n".join(self.lines()), self.colour())


class Summary(list):
    """What ``grader.check_all()`` shows: every question's box, then one summary line."""

    def summary(self):
        passed = [r.question for r in self if r.passed]
        todo = [r.question for r in self if r.not_implemented]
        failing = [r.question for r in self if not r.passed and not r.not_implemented]
        parts = [f"{len(passed)}/{len(self)} questions pass every public check"]
        if todo:
            parts.append(f"not implemented yet: {', '.join(todo)}")
        if failing:
            parts.append(f"failing: {', '.join(failing)}")
        return "Summary: " + "; ".join(parts) + (
            ". (The grade also counts hidden tests on other inputs.)" if not failing and not todo else ".")

    @property
    def passed(self):
        return all(r.passed for r in self)

    def __repr__(self):
        return "\n\n".join([repr(r) for r in self] + [self.summary()])

    def _repr_html_(self):
        colour = "#1a7f37" if self.passed else "#b42318"
        return "".join(r._repr_html_() for r in self) + _box(self.summary(), colour, bold=True)


def _box(text, colour, bold=False):
    import html

    weight = ";font-weight:600" if bold else ""
    return (f'<pre style="border-left:4px solid {colour};padding:6px 10px;'
            f'background:#f6f8fa;white-space:pre-wrap{weight}">{html.escape(text)}</pre>')


def _source(fn):
    try:
        return textwrap.dedent(inspect.getsource(fn)).strip()
    except (OSError, TypeError):
        return ""
