"""One student's notebook, running in a sandboxed worker, as the tests see it.

``Session`` executes the notebook's code cells in a worker. A cell that hangs or kills the
process is recorded and skipped on the next start, so one bad cell costs only what depends
on it. ``RemoteNotebook`` is the ``nb`` that tests receive: every call is a request to the
worker with a deadline, and every answer is decoded and validated as plain data.
"""
import dataclasses
import itertools
import time

from course_utils import checks, wire

from ..sandbox import Limits, Worker, WorkerDied, WorkerTimeout


@dataclasses.dataclass
class CellEvent:
    index: int
    status: str          # "error", "timeout", "crashed", or "note" (a repaired defect)
    message: str


class Session:
    def __init__(self, cells, scratch, limits=None, seed=0):
        self.cells, self.scratch, self.limits, self.seed = cells, scratch, limits or Limits(), seed
        self.skip = set()
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
        worker.send({"op": "start", "cells": self.cells, "skip": sorted(self.skip), "seed": self.seed})
        deadline = time.monotonic() + self.limits.notebook_seconds
        current = None
        try:
            while True:
                cell_deadline = deadline if current is None else min(deadline, current[1])
                message = worker.receive(cell_deadline - time.monotonic())
                event = message.get("event")
                if event == "cell_start":
                    current = (message["index"], time.monotonic() + self.limits.cell_seconds)
                elif event == "cell_end":
                    index, error = message["index"], message.get("error")
                    self.cell_seconds[index] = message.get("seconds", 0.0)
                    if error and first:
                        self.events.append(CellEvent(index, "error", f"{error['type']}: {error['message']}"[:500]))
                    current = None
                elif event == "ready":
                    self.worker = worker
                    return
                else:
                    raise wire.WireError(f"unexpected message from the notebook: {str(message)[:100]}")
        except WorkerTimeout:
            worker.kill()
            if current is not None and current[1] <= deadline:
                self._give_up_on(current, "timeout", f"did not finish within {self.limits.cell_seconds:g} s")
            else:  # the whole notebook ran out of time: a re-run without one cell would too
                self._give_up_on(None, "timeout",
                                 f"the notebook did not finish within {self.limits.notebook_seconds:g} s")
        except (WorkerDied, wire.WireError) as error:
            worker.kill()
            self._give_up_on(current, "crashed", str(error) or "the notebook's process died")

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
                self.worker.send({"op": "exit"})
            except WorkerDied:
                pass
            self.worker.kill()
            self.worker = None

    # -- requests ------------------------------------------------------------------------
    def request(self, message, deadline):
        self.ensure_started()
        message = {**message, "seed": self.seed}
        try:
            self.worker.send(message)
            return self.worker.receive(deadline - time.monotonic())
        except WorkerTimeout:
            self._drop()
            raise Timeout() from None
        except (WorkerDied, wire.WireError) as error:
            self._drop()
            raise checks.Problem(f"the notebook's process crashed: {error}") from None

    def _drop(self):
        self.worker.kill()
        self.worker = None


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
        kind, error = answer.get("kind"), answer.get("error") or {}
        if kind == "missing":
            raise checks.MissingName(str(answer.get("name"))[:100])
        if kind == "wire":
            raise wire.WireError(str(error.get("message", ""))[:500])
        type_name = str(error.get("type", "Error"))[:100]
        if type_name == "NotImplementedError":
            raise checks.StudentError("NotImplementedError", "not implemented yet")
        raise checks.StudentError(type_name, str(error.get("message", ""))[:1000],
                                  str(error.get("traceback", ""))[:4000])
