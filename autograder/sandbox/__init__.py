"""Starting and talking to a sandboxed worker process (``worker.py``).

``Worker`` starts ``launch.py``, which puts the worker in its sandbox (see ``plan.py`` for what
that is on this machine and how it is verified, ``launch.py`` for how) and execs it; the
worker then runs only the student's code and answers requests. Messages are length-prefixed
JSON on two pipes; every read *and every write* has a deadline (a worker that stops reading
its requests cannot block the grader), and an answer is refused by its announced size before
it is read. ``protections()`` says what is in force.
"""
import dataclasses
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import time
from pathlib import Path

from course_utils import wire

from . import accounts, cgroups, plan

WORKER = plan.WORKER
ROOT = plan.ROOT  # the directory that holds course_utils/


@dataclasses.dataclass
class Limits:
    notebook_seconds: float = 300.0   # executing all of a notebook's cells
    cell_seconds: float = 120.0       # one cell
    memory_bytes: int = 4 << 30       # address space of each process, and (cgroup) of the whole tree
    output_bytes: int = 16 << 20      # any one file it writes, stdout included
    restarts: int = 3                 # re-runs after a hang or crash, per submission
    test_seconds: float = None        # caps every test's own timeout (None: the test's value)
    processes: int = 64               # tasks (processes and threads) of the whole tree
    disk_bytes: int = 256 << 20       # the scratch tmpfs (cwd, HOME, TMPDIR) inside the sandbox
    cpus: float = 1.0                 # CPU quota of the whole tree (cgroup)


class SandboxError(RuntimeError):
    """The sandbox promised by the probe could not be set up: a grading problem, not the student's."""


def protections(limits=None):
    """What is in force on this machine (probed once per process): a ``plan.Plan``."""
    return plan.current(limits or Limits())


def report_lines(limits=None):
    """The protections as the lines the grade command prints first and writes to report.txt."""
    return protections(limits).report()


class WorkerDied(Exception):
    pass


class WorkerTimeout(Exception):
    pass


class Worker:
    """One worker process. ``send`` a request, ``receive`` with a deadline, ``kill`` when done."""

    def __init__(self, scratch, limits, sandbox=None):
        """``sandbox``: a ``plan.Plan`` to use instead of this machine's (benchmarks compare modes)."""
        self.scratch, self.limits = Path(scratch), limits
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.plan = sandbox or plan.current(limits)
        self.account = self.group = None
        self._fds = []
        try:
            self._start()
        except BaseException:
            self._release()
            raise
        self._buffer = bytearray()
        self._id = None

    def _start(self):
        mode = self.plan.mode
        if self.plan.namespaces and self.plan.privileged:
            self.account = accounts.acquire()
        if self.plan.cgroups:
            self.group = cgroups.Group(self.plan.cgroups, self.limits)
        req_r, self._req_w = os.pipe()
        self._ans_r, ans_w = os.pipe()
        self._status_r, status_w = os.pipe()
        self._fds = [self._req_w, self._ans_r, self._status_r]
        os.set_blocking(self._req_w, False)  # writes wait in select(), with a deadline
        env = plan.worker_env(mode, self.scratch, self.limits)
        env["COURSE_WORKER_FDS"] = f"{req_r},{ans_w}"  # pass_fds keeps these numbers in the child
        seed = plan.matplotlib_cache()
        if not self.plan.namespaces:
            shutil.copytree(seed, self.scratch / ".matplotlib", dirs_exist_ok=True)
        conf = plan.config(mode, self.limits, plan.worker_argv(mode), env,
                           env["HOME"], [req_r, ans_w], status_w, account=self.account, group=self.group,
                           skip=self.plan.skip, seed=seed)
        try:
            with open(self.scratch / "output.txt", "ab") as out:
                self.proc = plan.launch(conf, cwd=self.scratch, stdout=out, stderr=subprocess.STDOUT,
                                        pass_fds=(req_r, ans_w, status_w))
        finally:
            for fd in (req_r, ans_w, status_w):
                os.close(fd)

    def send(self, message, timeout=30.0):
        """Send a request within ``timeout`` seconds (WorkerTimeout if the worker does not read
        it); it carries a fresh random id that every answer to it must echo."""
        self._id = os.urandom(8).hex()
        data = wire.dumps({**message, "id": self._id})
        view = memoryview(struct.pack(">I", len(data)) + data)
        deadline = time.monotonic() + max(0.0, timeout)
        while view:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [self._req_w], [], left)[1]:
                raise WorkerTimeout()
            try:
                view = view[os.write(self._req_w, view[:1 << 16]):]
            except BlockingIOError:
                continue
            except OSError:  # the worker is gone (EPIPE)
                raise WorkerDied(self._death()) from None

    def receive(self, timeout):
        deadline = time.monotonic() + max(0.0, timeout)
        head = self._read(4, deadline)
        size = struct.unpack(">I", head)[0]
        if size > wire.MAX_BYTES:  # refused by its announced size: never read, never buffered
            raise wire.WireError(f"answer too large ({size:,} bytes; the limit is {wire.MAX_BYTES >> 20} MB)")
        message = wire.loads(self._read(size, deadline))
        if not isinstance(message, dict) or message.pop("id", None) != self._id:
            raise wire.WireError("the notebook wrote to the grader's channel (a message the worker did not send)")
        return message

    def _read(self, n, deadline):
        while len(self._buffer) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerTimeout()
            ready, _, _ = select.select([self._ans_r], [], [], left)
            if not ready:
                raise WorkerTimeout()
            chunk = os.read(self._ans_r, min(1 << 20, n - len(self._buffer)))
            if not chunk:
                raise WorkerDied(self._death())
            self._buffer += chunk
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    def _death(self):
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "stopped answering"
        failure = self._setup_failure()
        if failure:
            raise SandboxError(f"the sandbox could not start a worker: {failure}")
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            if -code == signal.SIGKILL and self.group is not None and self.group.oom_killed():
                return (f"the notebook's process ran out of memory (limit {self.limits.memory_bytes / 2**30:g} GB) "
                        "and was killed")
            hint = " (out of memory?)" if -code == signal.SIGKILL and self.group is None else ""
            return f"the notebook's process was killed by {name}{hint}"
        return f"the notebook's process exited with code {code}"

    def _setup_failure(self):
        """The launcher's first failed step, if it died before starting the worker."""
        try:
            os.set_blocking(self._status_r, False)
            raw = os.read(self._status_r, 1 << 16)
        except OSError:
            return ""
        for line in raw.decode(errors="replace").splitlines():
            try:
                step = json.loads(line)
            except ValueError:
                continue
            if step.get("error"):
                return f"{step['step']}: {step['error']}"
        return ""

    def kill(self):
        """Kill the worker and everything it started; free its uid and cgroups. Idempotent."""
        if self.group is not None and self.plan.namespaces:
            # Everything but the launcher first: it then reaps the namespace's init and exits by
            # itself, so no zombie outlives it to keep the cgroups busy.
            self.group.kill(spare=self.proc.pid)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        self._release()

    def _release(self):
        if self.group is not None:
            self.group.remove()
            self.group = None
        if self.account is not None:
            self.account.release()
            self.account = None
        for fd in self._fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self._fds = []

    def output(self, limit=20_000):
        path = self.scratch / "output.txt"
        if not path.exists():
            return ""
        with open(path, "rb") as f:
            return f.read(limit).decode("utf-8", "replace")
