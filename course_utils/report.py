"""The set-up cell's report: where this notebook stands on this machine.

Every notebook's set-up cell ends with ``cu.status("02_autoencoders")``, which shows::

    02_autoencoders · Python 3.12.3 · torch 2.13.0+cpu · ipywidgets 8.1.9 · course_utils 0.1.0
    cpu, 1 thread (COURSE_THREADS=N to change) · full mode · run time here: about 2 min (first run; cached training is reused later)
    ✓ ready

and, when something is off, one line saying what to fix (a missing package, an old torch, no
widgets in this JupyterLab) instead of "ready". The run time is the notebook's measured work
(``runtimes.WORK``, written by ``benchmarks/notebooks.py``: its CPU time expressed in steps of a
small probe) divided by how many probe steps this machine runs per second right now (a 0.15 s
probe; a busy shared node shows up here). Whether widgets work can only be seen by the browser: the
report is a widget whose plain-text fallback, which JupyterLab shows when it cannot draw
widgets, carries the fix.
"""
import dataclasses
import importlib.metadata
import importlib.util
import os
import platform
import re
import time

import torch

from . import runtimes
from .device import device, thread_setting
from .fast import is_fast

# (import name, distribution, lowest version): the packages the notebooks and their checks
# import, with pyproject.toml's lower bounds (tests/test_course_utils_report.py keeps them equal).
REQUIREMENTS = [
    ("torch", "torch", "2.2"), ("numpy", "numpy", "1.26"), ("scipy", "scipy", "1.11"),
    ("sklearn", "scikit-learn", "1.4"), ("matplotlib", "matplotlib", "3.8"), ("tqdm", "tqdm", "4.66"),
    ("ipywidgets", "ipywidgets", "8.1"), ("ot", "POT", "0.9.3"), ("kornia", "kornia", "0.7"),
]
NO_WIDGETS = ("widgets cannot be drawn here: install jupyterlab_widgets (pip install \"ipywidgets>=8.1\") "
              "in the environment that runs JupyterLab, then reload the page")


@dataclasses.dataclass
class Report:
    notebook: str
    versions: dict          # distribution -> version
    device: str             # "cpu", "mps" or "cuda (its name)"
    threads: int
    threads_from: str       # "default", "COURSE_THREADS" or "OMP_NUM_THREADS"
    fast: bool
    seconds: float | None   # expected wall time of the whole notebook here (None: unknown)
    problems: list          # one fix per line, most important first

    def lines(self, more_problems=()):
        """The report as text (what a terminal, or a browser without widgets, shows)."""
        names = ("torch", "ipywidgets")
        head = " · ".join([self.notebook, f"Python {platform.python_version()}",
                           *(f"{n} {self.versions[n]}" for n in names if self.versions.get(n)),
                           f"course_utils {self.versions['course_utils']}"])
        device = self.device + (" (COURSE_DEVICE)" if os.environ.get("COURSE_DEVICE") else "")
        if self.device == "cpu":
            how = "COURSE_THREADS=N to change" if self.threads_from == "default" else f"set by {self.threads_from}"
            device += f", {self.threads} thread{'s' if self.threads != 1 else ''} ({how})"
        mode = "fast mode (FAST = True or COURSE_FAST=1)" if self.fast else "full mode"
        when = f"run time here: {_duration(self.seconds)} (first run; cached training is reused later)" \
            if self.seconds else "run time here: not measured for this notebook"
        second = f"{device} · {mode} · {when}"
        verdict = [f"⚠ to fix: {p}" for p in [*self.problems, *more_problems]] or ["✓ ready"]
        return [head, second, *verdict]


def make_report(notebook, probe=True):
    """The ``Report`` for ``notebook`` (its ``solutions/`` name) in this process."""
    versions = {"course_utils": _course_version()}
    problems = []
    for module, dist, lowest in REQUIREMENTS:
        if importlib.util.find_spec(module) is None:
            problems.append(f"{dist} is missing: pip install \"{dist}>={lowest}\"")
            continue
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
        if _release(versions[dist]) < _release(lowest):
            problems.append(f"{dist} {versions[dist]} is older than {lowest}: pip install -U \"{dist}>={lowest}\"")
    threads, source = thread_setting()
    dev = device()
    seconds = None
    work = runtimes.WORK.get(notebook, {}).get("fast" if is_fast() else "full")
    if work and probe:
        seconds = work / probe_rate()
    name = f"cuda ({torch.cuda.get_device_name(dev)})" if dev.type == "cuda" else dev.type
    return Report(notebook, versions, name, threads, source, is_fast(), seconds, problems)


def status(notebook):
    """Show the report in the notebook (as a widget when widgets work, else as text). Returns None."""
    grading = os.environ.get("COURSE_GRADING") == "1"
    rep = make_report(notebook, probe=not grading)
    lines = rep.lines()
    try:
        from IPython import get_ipython
        from IPython.display import display
        in_kernel = getattr(get_ipython(), "kernel", None) is not None
    except ImportError:
        in_kernel = False
    if grading or not in_kernel or importlib.util.find_spec("ipywidgets") is None:
        print("\n".join(lines))
        return None
    import html

    import ipywidgets as widgets

    shown = widgets.HTML("<br>".join(html.escape(line) for line in lines))
    display({"text/plain": "\n".join(rep.lines(more_problems=[NO_WIDGETS])),
             "application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                          "model_id": shown.model_id}}, raw=True)
    return None


def probe_rate(seconds=0.15, clock=time.perf_counter):
    """Training steps per second of a small MLP autoencoder (notebook 02's shapes, batch 128)
    on the CPU with the current thread setting: the unit of ``runtimes.WORK``. With
    ``clock=time.process_time``: steps per second of CPU time, what a CPU of its own would do."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(128, 64, generator=g)
    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 2), torch.nn.Linear(2, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 256), torch.nn.ReLU(), torch.nn.Linear(256, 64))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        loss = (model(x) - x).pow(2).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    steps, start = 0, clock()
    while clock() - start < seconds:
        step()
        steps += 1
    return steps / (clock() - start)


def _duration(seconds):
    if seconds < 90:
        return f"about {max(5, round(seconds / 5) * 5):.0f} s"
    return f"about {seconds / 60:.0f} min" if seconds < 5400 else f"about {seconds / 3600:.1f} h"


def _release(version):
    return tuple(int(p) for p in re.findall(r"\d+", version.split("+")[0])[:3])


def _course_version():
    from . import __version__

    return __version__
