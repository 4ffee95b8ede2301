"""Where tensors live: CUDA > MPS > CPU, overridable with ``COURSE_DEVICE=cpu|cuda|mps``.

Introduced in every notebook's set-up cell: ``device = cu.device()``.

On import, ``limit_threads()`` sets PyTorch's CPU (intra-op) threads: ``COURSE_THREADS`` if set,
else ``OMP_NUM_THREADS`` if set, else ``DEFAULT_THREADS`` (1), never more than the CPUs this
process may really use (its affinity and its cgroup's CPU quota, as on a JupyterHub that lends 2
CPUs of a 64-core node). One thread, because ``benchmarks/threads.py`` says so for this course's
models: their matrices are too small for more threads to pay off, and on a shared machine
OpenMP's spinning threads wait for each other (notebook 02's autoencoder step on 2 CPUs beside a
busy process: 64 steps/s with 1 thread, 1.6 with 2, at 50x the CPU time per step).
"""
import contextlib
import os
import warnings

import torch

DEFAULT_THREADS = 1  # from benchmarks/threads.py (see the README's "Threads" section)


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


def thread_setting():
    """``(threads, source)``: what ``limit_threads`` will use and why (``COURSE_THREADS``,
    ``OMP_NUM_THREADS`` or ``default``). A value that is not a positive whole number is ignored
    with a warning. The default never exceeds ``usable_cpus()``; an explicit setting is obeyed."""
    for var in ("COURSE_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "").strip()
        if not value:
            continue
        if value.isdigit() and int(value) >= 1:
            return int(value), var
        warnings.warn(f"{var}={value!r} is not a positive whole number of threads; ignored", stacklevel=2)
    return min(DEFAULT_THREADS, usable_cpus()), "default"


def limit_threads():
    """Set PyTorch's CPU threads from ``thread_setting()``; returns the count."""
    n, _ = thread_setting()
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


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
    n = torch.get_num_threads()
    threads = f", {n} thread{'s' if n != 1 else ''}" if dev.type == "cpu" else ""
    return f"{dev.type}{threads}" + (" (forced by COURSE_DEVICE)" if forced else "")
