"""One student's notebook, running in a sandboxed worker, as the tests see it.

``Session`` executes the notebook's code cells in a worker. A cell that hangs or kills the
process is recorded and skipped on the next start, so one bad cell costs only what depends
on it. ``RemoteNotebook`` is the ``nb`` that tests receive: every call is a request to the
worker with a deadline, and every answer is decoded and validated as plain data.

Nothing the worker sends is trusted: student code can reach the worker's own ``send`` (through
frames) and forge any message with the right request id, so every event is checked for its
shape and types before use (a cell index is an int of this notebook, a message a string), and
anything else ends the worker as a crash. A worker that fails to start for any reason is
killed before the exception goes on: none outlives its start.
"""
import dataclasses
import itertools
import math
import time

from course_utils import checks, wire

from ..sandbox import Limits, Worker, WorkerDied, WorkerTimeout


@dataclasses.dataclass
class CellEvent:
    index: int
    status: str          # "error", "timeout", "crashed", or "note" (a repaired defect)
    message: str


class Session:
    """``define``: code run in the notebook's namespace after its cells (the reference functions
    of a substituted test); ``skip``: cells already known to hang or crash."""

    def __init__(self, cells, scratch, limits=None, seed=0, define=(), skip=()):
        self.cells, self.scratch, self.limits, self.seed = cells, scratch, limits or Limits(), seed
        self.define = list(define)
        self.skip = set(skip)
        self.events = []          # what went wrong while executing cells (first start only)
        self.starts = 0
        self.worker = None
        self.cell_seconds = {}
        self.verdict = None       # (status, reason) once a re-run cannot help
        self._counter = itertools.count()

    # -- lifecycle -----------------------------------------------------------------------
    def ensure_started(self):
        while self.worker is None:
            if self.starts > self.limits.restarts:
                status, reason = self.verdict or ("error", f"the notebook hung or crashed {self.starts} times")
                raise (Timeout if status == "timeout" else checks.Problem)(f"not run: {reason}")
            self._start()

    def _start(self):
        first = self.starts == 0
        self.starts += 1
        worker = Worker(self.scratch / f"run{next(self._counter)}", self.limits)
        try:
            trouble = self._execute(worker, first)
        except BaseException:
            worker.kill()  # whatever went wrong, this worker is not left running
            raise
        if trouble is None:
            self.worker = worker
            return
        worker.kill()
        self._give_up_on(*trouble)

    def _execute(self, worker, first):
        """Run the cells in ``worker``: None once it is ready, else (current cell, status, reason)."""
        deadline = time.monotonic() + self.limits.notebook_seconds
        current = None
        try:
            worker.send({"op": "start", "cells": self.cells, "skip": sorted(self.skip), "seed": self.seed,
                         "define": self.define}, timeout=self.limits.notebook_seconds)
            while True:
                cell_deadline = deadline if current is None else min(deadline, current[1])
                event, index, seconds, error = _cell_event(worker.receive(cell_deadline - time.monotonic()),
                                                           len(self.cells))
                if event == "cell_start":
                    current = (index, time.monotonic() + self.limits.cell_seconds)
                elif event == "cell_end":
                    self.cell_seconds[index] = seconds
                    if error and first:
                        self.events.append(CellEvent(index, "error", error))
                    current = None
                else:  # ready
                    return None
        except WorkerTimeout:
            if current is not None and current[1] <= deadline:
                return current, "timeout", f"did not finish within {self.limits.cell_seconds:g} s"
            # the whole notebook ran out of time: a re-run without one cell would too
            return None, "timeout", f"the notebook did not finish within {self.limits.notebook_seconds:g} s"
        except WorkerDied as error:
            return current, "crashed", str(error) or "the notebook's process died"
        except wire.WireError:
            return current, "crashed", "the notebook's process sent a malformed message (the grader stopped it)"

    def _give_up_on(self, current, status, message):
        if current is None:  # not inside a cell: nothing to skip, so a retry would do the same
            self.starts = self.limits.restarts + 1
            self.verdict = (status, message)
            self.events.append(CellEvent(-1, status, message))
            return
        index = current[0]
        self.skip.add(index)
        self.events.append(CellEvent(index, status, message))

    def close(self):
        if self.worker is not None:
            try:
                self.worker.send({"op": "exit"}, timeout=1.0)
            except (WorkerDied, WorkerTimeout):
                pass
            finally:
                self.worker.kill()
                self.worker = None

    # -- requests ------------------------------------------------------------------------
    def request(self, message, deadline):
        self.ensure_started()
        message = {**message, "seed": self.seed}
        try:
            self.worker.send(message, timeout=deadline - time.monotonic())
            return self.worker.receive(deadline - time.monotonic())
        except WorkerTimeout:
            self._drop()
            raise Timeout() from None
        except WorkerDied as error:
            self._drop()
            raise checks.Problem(f"the notebook's process crashed: {error}") from None
        except wire.WireError as error:
            self._drop()
            raise checks.Problem(f"the notebook's process sent a message that is not an answer ({error})") from None
        except BaseException:
            self._drop()
            raise

    def _drop(self):
        if self.worker is not None:
            self.worker.kill()
            self.worker = None


def _cell_event(message, n_cells):
    """(event, cell index, seconds, error text) of a start-up message, checked; WireError if
    it is not exactly what the worker sends."""
    if not isinstance(message, dict) or message.get("event") not in ("cell_start", "cell_end", "ready"):
        raise wire.WireError("unexpected message")
    event = message["event"]
    if event == "ready":
        return event, None, 0.0, None
    index = message.get("index")
    if type(index) is not int or not 0 <= index < n_cells:
        raise wire.WireError("a cell event for a cell that does not exist")
    if event == "cell_start":
        return event, index, 0.0, None
    seconds, error = message.get("seconds"), message.get("error")
    if type(seconds) not in (int, float) or not math.isfinite(seconds) or seconds < 0:
        raise wire.WireError("a cell event with a malformed time")
    if error is None:
        return event, index, float(seconds), None
    if not isinstance(error, dict) or not isinstance(error.get("type"), str) \
            or not isinstance(error.get("message"), str):
        raise wire.WireError("a cell event with a malformed error")
    return event, index, float(seconds), f"{error['type'][:100]}: {error['message'][:1000]}"


class Timeout(checks.Problem):
    status = "timeout"


class RemoteNotebook:
    """``nb`` for tests run by the grader: the same interface as ``checks.LocalNotebook``."""

    def __init__(self, session):
        self._session = session
        self._deadline = float("inf")
        self._timeout = None

    def start_test(self, seconds):
        self._timeout = seconds
        self._deadline = None  # set at the first request, once the notebook runs: executing it is not the test's time

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)

    def call(self, name, *args, **kwargs):
        return self._ask({"op": "call", "name": name, "args": wire.encode(list(args)),
                          "kwargs": wire.encode(kwargs)})

    def get(self, name):
        return self._ask({"op": "get", "name": name})

    def run(self, code, **inputs):
        import textwrap

        return self._ask({"op": "run", "code": textwrap.dedent(code), "inputs": wire.encode(inputs)})

    def has(self, name):
        return self._ask({"op": "has", "name": name}) is True

    def _ask(self, message):
        self._session.ensure_started()  # under the notebook's own limits, outside the test's clock
        if self._deadline is None:
            self._deadline = time.monotonic() + self._timeout
        try:
            answer = self._session.request(message, self._deadline)
        except Timeout:
            raise Timeout(f"timed out after {self._timeout:g} s") from None
        if not isinstance(answer, dict):
            raise wire.WireError("malformed answer from the notebook")
        if answer.get("ok") is True:
            return wire.decode(answer.get("value"))
        kind = answer.get("kind")
        error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
        if kind == "missing":
            if message["op"] != "run":  # the grader knows which name it asked for
                raise checks.MissingName(message["name"])
            name = answer.get("name")  # a snippet's NameError: only a plain identifier is believed
            if isinstance(name, str) and name.isidentifier() and len(name) <= 64:
                raise checks.MissingName(name)
            raise UnnamedMissing()
        if kind == "wire":
            raise wire.WireError(_text(error.get("message"), 500))
        type_name = _text(error.get("type"), 100) or "Error"
        if type_name == "NotImplementedError":
            raise checks.StudentError("NotImplementedError", "not implemented yet")
        raise checks.StudentError(type_name, _text(error.get("message"), 1000), _text(error.get("traceback"), 4000))


class UnnamedMissing(checks.MissingName):
    """A snippet met a name that is not defined, and the worker's answer did not say which."""

    def __init__(self):
        checks.Problem.__init__(self, "a name the check needs is not defined in the notebook")
        self.name = None


def _text(value, limit):
    return value[:limit] if isinstance(value, str) else ""
