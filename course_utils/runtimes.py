"""How much work each notebook is, for the set-up cell's "run time here" (``cu.status``).

Written by ``python benchmarks/notebooks.py --write``; do not edit by hand. ``WORK[notebook][mode]``
is the kernel's CPU time for a run of the solution (papermill, 1 thread, nothing cached) times
the speed probe's steps per CPU second on the same machine (``report.probe_rate``): the run's
work in probe steps. ``cu.status`` divides it by the probe's rate on the student's machine, now.
CPU times, not wall times, so that the figures hold whatever else the measuring machine ran.
"""
MEASURED = '2026-12-02, 2 CPUs, probe 391 steps per CPU second'
WORK = {'01_divergences': {'fast': 6602, 'full': 8671},
 '02_autoencoders': {'fast': 6450, 'full': 24865},
 '03_vae': {'fast': 6755, 'full': 26957},
 '04_gans': {'fast': 10254, 'full': 55486},
 '05_ssl': {'fast': 10131, 'full': 57670},
 '06_principles': {'fast': 10042, 'full': 61167}}
