"""Measured wall times of every notebook, for the set-up cell's "run time here" (``cu.status``).

Written by ``python benchmarks/notebooks.py --write``; do not edit by hand. ``SECONDS`` holds each
solution's wall time (papermill, nothing cached, 1 thread) in full and fast mode on the machine
described by ``MEASURED``, with one other CPU-bound process running; ``PROBE_STEPS_PER_SECOND``
is ``status.probe_rate()`` measured there under the same load.
"""
MEASURED = "not yet measured"
PROBE_STEPS_PER_SECOND = 1.0
SECONDS = {}
