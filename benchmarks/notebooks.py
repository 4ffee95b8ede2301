"""Wall time of every solution notebook, full and fast mode, on a CPU shared with busy processes.

    python benchmarks/notebooks.py                          # every notebook, both modes, 1 busy process
    python benchmarks/notebooks.py --notebooks 02 05 --modes full --cells 5
    python benchmarks/notebooks.py --write                  # also record the figures for cu.status

Each run is ``autograder.demo.execute_solution`` (papermill, the course's default of 1 thread,
``COURSE_DEVICE=cpu``, a fresh training cache: nothing is read back) while ``--busy`` pure-Python
loops compete for the CPUs, as another student's kernel does on a shared JupyterHub node. The
budgets (issue 11): full mode under 3 minutes, fast mode under 60 s, on 2 CPUs with one busy
process. ``--cells N`` prints the N slowest cells of each run. ``--write`` stores the wall times
and the speed probe measured under the same load (``course_utils.report.probe_rate``) in
``course_utils/runtimes.py``: the set-up cell's "run time here" scales them to the student's
machine. Run it on a quiet machine of the kind students get (2 CPUs).
"""
import argparse
import datetime
import multiprocessing
import os
import pprint
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402

from autograder import demo, paths  # noqa: E402

BUDGET = {"full": 180.0, "fast": 60.0}


def _busy():
    while True:
        pass


def run(name, mode, cells=0):
    """Execute one solution; returns (seconds, slowest cells as (seconds, first line))."""
    with tempfile.TemporaryDirectory(prefix="bench-nb-") as tmp:
        out = Path(tmp) / "out.ipynb"
        start = time.perf_counter()
        demo.execute_solution(name, out, Path(tmp) / "cache", timeout=3600, fast=mode == "fast",
                              COURSE_DEVICE="cpu")
        seconds = time.perf_counter() - start
        executed = nbformat.read(out, 4)
    durations = [(c.metadata.get("papermill", {}).get("duration") or 0.0, c.source.strip().splitlines()[0][:70])
                 for c in executed.cells if c.cell_type == "code" and c.source.strip()]
    return seconds, sorted(durations, reverse=True)[:cells]


def probe(repeats=5):
    from course_utils import report

    return statistics.median(report.probe_rate(seconds=0.3) for _ in range(repeats))


def write_runtimes(seconds, rate, busy):
    text = (Path(ROOT / "course_utils" / "runtimes.py").read_text().split('MEASURED = ')[0]
            + f"MEASURED = {_machine(busy)!r}\n"
            + f"PROBE_STEPS_PER_SECOND = {rate:.1f}\n"
            + "SECONDS = " + pprint.pformat({k: {m: round(s) for m, s in v.items()} for k, v in seconds.items()},
                                           width=100, sort_dicts=True) + "\n")
    (ROOT / "course_utils" / "runtimes.py").write_text(text)


def _machine(busy):
    cpus = len(os.sched_getaffinity(0))
    return (f"{datetime.date.today()}, {cpus} CPUs, {busy} busy process(es), load average "
            f"{os.getloadavg()[0]:.1f} at the end")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", nargs="+", default=None, help="prefixes, e.g. 02 05 (default: all)")
    parser.add_argument("--modes", nargs="+", default=["full", "fast"], choices=["full", "fast"])
    parser.add_argument("--busy", type=int, default=1, help="competing CPU-bound processes")
    parser.add_argument("--cells", type=int, default=3, help="print the N slowest cells of each run")
    parser.add_argument("--write", action="store_true", help="record the figures in course_utils/runtimes.py")
    args = parser.parse_args(argv)
    if args.write and (args.notebooks or len(args.modes) < 2):
        parser.error("--write records one consistent run: every notebook in both modes")
    names = [n for n in paths.assignments() if not args.notebooks or n.split("_")[0] in args.notebooks]
    hogs = [multiprocessing.Process(target=_busy, daemon=True) for _ in range(args.busy)]
    for p in hogs:
        p.start()
    results = {}
    try:
        rate = probe()
        print(f"{len(os.sched_getaffinity(0))} CPUs, {args.busy} busy process(es); speed probe "
              f"{rate:.1f} steps/s; load average {os.getloadavg()[0]:.1f}", flush=True)
        for name in names:
            for mode in args.modes:
                seconds, slowest = run(name, mode, args.cells)
                results.setdefault(name, {})[mode] = seconds
                verdict = "ok" if seconds < BUDGET[mode] else f"OVER the {BUDGET[mode]:.0f} s budget"
                print(f"{name:18s} {mode:4s} {seconds:7.0f} s  {verdict}", flush=True)
                for s, line in slowest:
                    print(f"      {s:6.1f} s  {line}", flush=True)
        rate = (rate + probe()) / 2
    finally:
        for p in hogs:
            p.terminate()
            p.join()

    print(f"\n{'notebook':18s}" + "".join(f"{m + ' s':>9s}" for m in args.modes) + "   budgets: full < 180 s, fast < 60 s")
    for name, by_mode in results.items():
        marks = "".join(f"{by_mode[m]:8.0f}{'!' if by_mode[m] >= BUDGET[m] else ' '}" for m in args.modes)
        print(f"{name:18s}{marks}")
    print(f"(! over budget; {_machine(args.busy)}; speed probe {rate:.1f} steps/s)")
    if args.write:
        write_runtimes(results, rate, args.busy)
        print("wrote course_utils/runtimes.py")


if __name__ == "__main__":
    main()
