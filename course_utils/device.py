"""Where tensors live: CUDA > MPS > CPU, overridable with ``COURSE_DEVICE=cpu|cuda|mps``.

Introduced in every notebook's set-up cell: ``device = cu.device()``.

On import, ``limit_threads()`` keeps PyTorch's CPU threads within the CPUs this process may
really use (its affinity and its cgroup's CPU quota, as on a JupyterHub that lends 2 CPUs of a
64-core node): more threads than CPUs make OpenMP's threads spin against each other (measured
here: two notebooks side by side on 2 cores took 392 s with 2 threads each, 16 s with 1).
"""
import contextlib
import os

import torch


def device(prefer=None):
    """The device to train on.

    ``prefer`` (or the ``COURSE_DEVICE`` environment variable) forces a choice; the grader sets
    ``COURSE_DEVICE=cpu`` so that a grade never depends on the hardware.
    """
    choice = prefer or os.environ.get("COURSE_DEVICE", "").strip().lower()
    if choice:
        if choice.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError(f"COURSE_DEVICE={choice!r} but CUDA is not available here")
        if choice == "mps" and not _mps_available():
            raise RuntimeError("COURSE_DEVICE='mps' but MPS is not available here")
        return torch.device(choice)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def usable_cpus(cgroup_root="/sys/fs/cgroup"):
    """CPUs this process can use: its affinity mask, capped by a cgroup v2 or v1 CPU quota."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = None
    try:  # cgroup v2: "max 100000" or "200000 100000"
        limit, period = open(os.path.join(cgroup_root, "cpu.max")).read().split()[:2]
        quota = None if limit == "max" else int(limit) / int(period)
    except (OSError, ValueError):
        try:  # cgroup v1
            limit = int(open(os.path.join(cgroup_root, "cpu", "cpu.cfs_quota_us")).read())
            period = int(open(os.path.join(cgroup_root, "cpu", "cpu.cfs_period_us")).read())
            quota = limit / period if limit > 0 else None
        except (OSError, ValueError):
            pass
    if quota is not None:
        cpus = min(cpus, max(1, int(quota)))
    return max(1, cpus)


def limit_threads():
    """Use at most ``usable_cpus()`` threads, unless OMP_NUM_THREADS says otherwise. Returns the count."""
    if not os.environ.get("OMP_NUM_THREADS"):
        n = usable_cpus()
        if torch.get_num_threads() > n:
            torch.set_num_threads(n)
    return torch.get_num_threads()


def _mps_available():
    return getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()


def autocast(dev):
    """Mixed precision (bfloat16/float16 autocast) on CUDA; a no-op elsewhere."""
    dev = torch.device(dev)
    if dev.type == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.autocast("cuda", dtype=dtype)
    return contextlib.nullcontext()


def describe(dev=None):
    """One line for the set-up cell: which device, and why."""
    dev = torch.device(dev or device())
    if dev.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(dev)})"
    forced = os.environ.get("COURSE_DEVICE")
    threads = f", {torch.get_num_threads()} threads" if dev.type == "cpu" else ""
    return f"{dev.type}{threads}" + (" (forced by COURSE_DEVICE)" if forced else "")
