"""course_utils: the thin helper package every notebook imports as ``import course_utils as cu``.

One module per concern: device, seed, fast (fast mode), cache, train, plot, data, download,
checks (instant checks), figures (figure sanity), placeholders (Run All past unfinished answers),
wire (plain values for checks and the grader), widgets (interactive figures), report (``cu.status``:
the set-up cell's report: versions, device, threads, mode, expected run time), reuse (another
notebook's functions, without running it).
"""
from . import data, figures, plot, widgets
from .cache import cached
from .checks import Checker, approx, assert_close, assert_float, assert_int, assert_shape, describe, test
from .device import autocast, describe as describe_device, device, limit_threads
from .fast import budget, is_fast, set_fast
from .plot import curves, density_2d, image_grid, latent_scatter
from .reuse import from_notebook
from .seed import seed_everything, seeded
from .report import status
from .train import progress, to_device, train

__all__ = [
    "Checker", "approx", "assert_close", "assert_float", "assert_int", "assert_shape", "autocast", "budget", "cached",
    "curves", "data", "density_2d", "describe", "describe_device", "device", "from_notebook", "image_grid", "is_fast",
    "latent_scatter", "plot", "progress", "seed_everything", "seeded", "set_fast", "status", "test", "to_device",
    "train", "widgets",
]
__version__ = "0.1.0"

limit_threads()
figures.install_from_env()  # CI's papermill runs check every figure (autograder.demo.execute_solution)
