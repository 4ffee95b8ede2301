"""How much work each notebook is, for the set-up cell's "run time here" (``cu.status``).

Written by ``python benchmarks/notebooks.py --write``; do not edit by hand. ``WORK[notebook][mode]``
is the kernel's CPU time for a run of the solution (papermill, 1 thread, nothing cached) times
the speed probe's steps per CPU second on the same machine (``report.probe_rate``): the run's
work in probe steps. ``cu.status`` divides it by the probe's rate on the student's machine, now.
CPU times, not wall times, so that the figures hold whatever else the measuring machine ran.
"""
MEASURED = '2026-12-02, 2 CPUs, probe 280 steps per CPU second'
WORK = {'01_divergences': {'fast': 5879, 'full': 5735},
 '02_autoencoders': {'fast': 5770, 'full': 16972},
 '03_vae': {'fast': 5366, 'full': 21697},
 '04_gans': {'fast': 8416, 'full': 56748},
 '05_ssl': {'fast': 8014},
 '06_principles': {'fast': 7278}}
