"""Starting and talking to a sandboxed worker process (``worker.py``).

The worker runs with a scrubbed environment, its own scratch directory as cwd and HOME, its
own process group (so a timeout kills everything it started), resource limits (memory, file
size, core dumps) and the fast-mode, CPU-only, grading switches on. Messages are
length-prefixed JSON on two pipes; every read has a deadline.
"""
import dataclasses
import os
import resource
import select
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

from course_utils import wire

WORKER = Path(__file__).with_name("worker.py")
ROOT = Path(__file__).resolve().parents[2]  # the directory that holds course_utils/


@dataclasses.dataclass
class Limits:
    notebook_seconds: float = 300.0   # executing all of a notebook's cells
    cell_seconds: float = 120.0       # one cell
    memory_bytes: int = 4 << 30       # address space of the worker
    output_bytes: int = 16 << 20      # any one file it writes, stdout included
    restarts: int = 3                 # re-runs after a hang or crash, per submission
    test_seconds: float = None        # caps every test's own timeout (None: the test's value)


class WorkerDied(Exception):
    pass


class WorkerTimeout(Exception):
    pass


class Worker:
    """One worker process. ``send`` a request, ``receive`` with a deadline, ``kill`` when done."""

    def __init__(self, scratch, limits):
        self.scratch, self.limits = Path(scratch), limits
        self.scratch.mkdir(parents=True, exist_ok=True)
        req_r, self._req_w = os.pipe()
        self._ans_r, ans_w = os.pipe()
        env = worker_env(self.scratch)
        env["COURSE_WORKER_FDS"] = f"{req_r},{ans_w}"  # pass_fds keeps these numbers in the child
        with open(self.scratch / "output.txt", "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-X", "utf8", str(WORKER)], cwd=self.scratch, env=env,
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                pass_fds=(req_r, ans_w), start_new_session=True)
        os.close(req_r)
        os.close(ans_w)
        # The worker waits for its first message before running any student code, so limits set
        # now are in force from the first cell (prlimit: no preexec_fn, which is unsafe with threads).
        _set_limits(self.proc.pid, limits)
        self._buffer = b""

    def send(self, message):
        data = wire.dumps(message)
        try:
            os.write(self._req_w, struct.pack(">I", len(data)) + data)
        except (BrokenPipeError, OSError):
            raise WorkerDied(self._death()) from None

    def receive(self, timeout):
        deadline = time.monotonic() + max(0.0, timeout)
        head = self._read(4, deadline)
        size = struct.unpack(">I", head)[0]
        if size > wire.MAX_BYTES:
            raise wire.WireError(f"answer too large ({size:,} bytes)")
        return wire.loads(self._read(size, deadline))

    def _read(self, n, deadline):
        while len(self._buffer) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerTimeout()
            ready, _, _ = select.select([self._ans_r], [], [], left)
            if not ready:
                raise WorkerTimeout()
            chunk = os.read(self._ans_r, 1 << 20)
            if not chunk:
                raise WorkerDied(self._death())
            self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def _death(self):
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "stopped answering"
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            hint = " (out of memory?)" if -code == signal.SIGKILL else ""
            return f"the notebook's process was killed by {name}{hint}"
        return f"the notebook's process exited with code {code}"

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        for fd in (self._req_w, self._ans_r):
            try:
                os.close(fd)
            except OSError:
                pass

    def output(self, limit=20_000):
        path = self.scratch / "output.txt"
        if not path.exists():
            return ""
        with open(path, "rb") as f:
            return f.read(limit).decode("utf-8", "replace")


def worker_env(scratch):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(scratch),
        "TMPDIR": str(scratch),
        "LANG": "C.UTF-8",
        "COURSE_WORKER_PATH": str(ROOT),
        "COURSE_GRADING": "1",
        "COURSE_FAST": "1",
        "COURSE_DEVICE": "cpu",
        "COURSE_CACHE_DIR": str(scratch / "cache"),
        "CUDA_VISIBLE_DEVICES": "",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(scratch / ".matplotlib"),
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "TQDM_DISABLE": "1",
    }
    if "VIRTUAL_ENV" in os.environ:
        env["VIRTUAL_ENV"] = os.environ["VIRTUAL_ENV"]
    _seed_matplotlib_cache(scratch / ".matplotlib")
    return env


def _seed_matplotlib_cache(target):
    """Copy a font cache built once by the grader, so each worker does not rebuild it."""
    source = Path(os.environ.get("COURSE_GRADER_CACHE", Path.home() / ".cache" / "course-grader")) / "matplotlib"
    if not (source.exists() and any(source.glob("fontlist-*.json"))):
        source.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"],
                       env={**os.environ, "MPLCONFIGDIR": str(source)}, capture_output=True, timeout=120)
    shutil.copytree(source, target, dirs_exist_ok=True)


def _set_limits(pid, limits):
    for res, value in ((resource.RLIMIT_AS, limits.memory_bytes),
                       (resource.RLIMIT_FSIZE, limits.output_bytes),
                       (resource.RLIMIT_CORE, 0)):
        resource.prlimit(pid, res, (value, value))
