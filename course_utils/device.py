"""Where tensors live: CUDA > MPS > CPU, overridable with ``COURSE_DEVICE=cpu|cuda|mps``.

Introduced in every notebook's set-up cell: ``device = cu.device()``.
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
    return f"{dev.type}" + (" (forced by COURSE_DEVICE)" if forced else "")
