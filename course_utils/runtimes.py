"""How much work each notebook is, for the set-up cell's "run time here" (``cu.status``).

Written by ``python benchmarks/notebooks.py --write``; do not edit by hand. ``WORK[notebook][mode]``
is the kernel's CPU time for a run of the solution (papermill, 1 thread, nothing cached) times
the speed probe's steps per CPU second on the same machine (``report.probe_rate``): the run's
work in probe steps. ``cu.status`` divides it by the probe's rate on the student's machine, now.
CPU times, not wall times, so that the figures hold whatever else the measuring machine ran.
"""
MEASURED = "not yet measured"
WORK = {}
