"""One switch that shrinks every training budget: fast mode, for CI and grading.

Turn it on with ``COURSE_FAST=1`` in the environment, or with the notebook's papermill
parameter (``papermill -p FAST True``), which the set-up cell passes to ``cu.set_fast(FAST)``.
"""
import os

_fast = None  # None: follow the environment


def set_fast(flag=None):
    """Fast mode on if ``flag`` is true *or* ``COURSE_FAST=1``; returns the resulting mode."""
    global _fast
    _fast = bool(flag) or _env_fast()
    return _fast


def is_fast():
    return _env_fast() if _fast is None else (_fast or _env_fast())


def budget(full, fast):
    """``full`` normally, ``fast`` in fast mode: ``steps = cu.budget(3000, 200)``."""
    return fast if is_fast() else full


def _env_fast():
    return os.environ.get("COURSE_FAST", "").strip().lower() in {"1", "true", "yes", "on"}
