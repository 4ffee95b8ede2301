"""Per-worker cgroups (v1 ``pids``, ``memory`` and ``cpu`` hierarchies), created by the grader.

Why cgroups on top of rlimits: RLIMIT_AS is per process, so a notebook that forks gets a fresh
allowance per child; a cgroup bounds the whole tree (tmpfs pages included), counts its
processes (``pids.max`` stops a fork bomb) and caps its CPU, so one student's runaway code
cannot slow another student's tests into timeouts under ``--jobs``. The launcher joins the
groups before it forks anything, so everything the worker starts is inside them.

Each worker's groups are children of the grader's own (``course-autograder-w<pid>-<n>``), not
of a shared parent: under cgroup v1 a parent would make all workers compete for CPU as a single
task. They are emptied (SIGKILL) and removed when the worker ends. Only cgroup v1 is handled; elsewhere ``usable()``
says why not and the sandbox runs without them (with a warning).
"""
import itertools
import os
import signal
import time
from pathlib import Path

CONTROLLERS = ("pids", "memory", "cpu")
_names = itertools.count()


def _hierarchies():
    """{controller: (mount point, mount root)} for mounted cgroup v1 hierarchies."""
    found = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            if fields[sep + 1] != "cgroup":
                continue
            for option in fields[sep + 3].split(","):
                if option in CONTROLLERS:
                    found[option] = (fields[4], fields[3])
    return found


def _own_paths():
    """{controller: this process's cgroup path} from /proc/self/cgroup."""
    paths = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for c in controllers.split(","):
                paths[c] = path
    return paths


def parents():
    """({controller: folder for our workers' groups}, reason the others are unusable)."""
    mounts, own = _hierarchies(), _own_paths()
    usable, problems = {}, []
    for c in CONTROLLERS:
        if c not in mounts or c not in own:
            problems.append(f"{c}: no cgroup v1 hierarchy")
            continue
        mount, root = mounts[c]
        relative = os.path.relpath(own[c], root) if own[c].startswith(root) else own[c].lstrip("/")
        folder = Path(mount) / relative
        _remove_stale(folder)
        try:
            probe = folder / f"course-autograder-probe-{os.getpid()}-{next(_names)}"
            probe.mkdir()
            probe.rmdir()
        except OSError as error:
            problems.append(f"{c}: {error.strerror} ({folder})")
            continue
        usable[c] = folder
    return usable, "; ".join(problems)


class Group:
    """One worker's cgroups: ``procs`` for the launcher to join, then ``oom_killed``, ``remove``."""

    def __init__(self, folders, limits):
        name = f"course-autograder-w{os.getpid()}-{next(_names)}"
        self.dirs = {}
        try:
            for controller, parent in folders.items():
                path = parent / name
                path.mkdir()
                self.dirs[controller] = path
                self._limit(controller, path, limits)
        except OSError:
            self.remove()
            raise

    @staticmethod
    def _limit(controller, path, limits):
        if controller == "pids":
            (path / "pids.max").write_text(str(limits.processes))
        elif controller == "memory":
            (path / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
            swap = path / "memory.memsw.limit_in_bytes"  # memory + swap: no escaping to swap
            if swap.exists():
                swap.write_text(str(limits.memory_bytes))
        elif controller == "cpu":
            period = int((path / "cpu.cfs_period_us").read_text())
            (path / "cpu.cfs_quota_us").write_text(str(int(period * limits.cpus)))

    @property
    def procs(self):
        return [(c, str(p / "cgroup.procs")) for c, p in self.dirs.items()]

    def oom_killed(self):
        """True if the kernel's OOM killer stopped a process of this group."""
        path = self.dirs.get("memory")
        try:
            fields = dict(line.split() for line in (path / "memory.oom_control").read_text().splitlines())
            return int(fields.get("oom_kill", 0)) > 0  # the counter exists since Linux 4.13
        except (OSError, ValueError, TypeError, AttributeError):
            return False

    def kill(self, spare=None, patience=5.0):
        """SIGKILL every process in the groups but ``spare``, until none is left."""
        deadline = time.monotonic() + patience
        for path in self.dirs.values():
            while time.monotonic() < deadline:
                pids = [pid for pid in _read_pids(path) if pid != spare]
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.005)

    def remove(self, patience=5.0):
        """Kill whatever is left, then delete the groups; one still busy after ``patience`` is
        left for a later grader to remove (``_remove_stale``)."""
        self.kill(patience=patience)
        deadline = time.monotonic() + patience
        for path in self.dirs.values():
            while not _rmdir(path) and time.monotonic() < deadline:
                time.sleep(0.01)
        self.dirs = {}


def _rmdir(path):
    """True once ``path`` is gone (EBUSY until the group's last processes have been reaped)."""
    try:
        path.rmdir()
    except FileNotFoundError:
        pass
    except OSError:
        return False
    return True


def _remove_stale(folder):
    """Groups left behind by a grader that was killed (empty ones only: the kernel refuses others)."""
    for path in folder.glob("course-autograder-w*-*"):
        try:
            os.kill(int(path.name.split("-")[2][1:]), 0)
        except ProcessLookupError:
            try:
                path.rmdir()
            except OSError:
                pass
        except (ValueError, IndexError, PermissionError):
            pass


def _read_pids(path):
    try:
        return [int(x) for x in (path / "cgroup.procs").read_text().split()]
    except OSError:
        return []
