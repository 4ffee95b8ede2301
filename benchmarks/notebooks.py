"""Wall time of every solution notebook, full and fast mode, on a CPU shared with busy processes.

    python benchmarks/notebooks.py                          # every notebook, both modes, 1 busy process
    python benchmarks/notebooks.py --notebooks 02 05 --modes full --cells 5
    python benchmarks/notebooks.py --write                  # also record the figures for cu.status
    python benchmarks/notebooks.py --notebooks 05 --modes full --keep out/bench   # keep the executed notebooks

Each run is ``autograder.demo.execute_solution`` (papermill, the course's default of 1 thread,
``COURSE_DEVICE=cpu``, a fresh training cache: nothing is read back) while ``--busy`` pure-Python
loops compete for the CPUs, as another student's kernel does on a shared JupyterHub node. The
budgets (issue 11): full mode under 3 minutes, fast mode under 60 s, on 2 CPUs with one busy
process. ``--cells N`` prints the N slowest cells of each run. Each run also reports the kernel's
CPU time: with 1 thread, about the wall time it would take on a CPU of its own, the estimate to
read where the machine is shared with more than the one busy process. ``--write`` merges each
run's work (that CPU time times the speed probe's steps per CPU second, ``report.probe_rate``)
into ``course_utils/runtimes.py``: the set-up cell's "run time here" divides it by the probe's
rate on the student's machine.
"""
import argparse
import datetime
import multiprocessing
import os
import pprint
import resource
import shutil
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


def run(name, mode, cells=0, keep=None):
    """Execute one solution; returns (wall seconds, the kernel's CPU seconds, slowest cells as
    (seconds, first line)). The kernel is this process's child: its CPU time is counted in
    RUSAGE_CHILDREN once it has exited (the busy processes are reaped only at the very end)."""
    with tempfile.TemporaryDirectory(prefix="bench-nb-") as tmp:
        out = Path(tmp) / "out.ipynb"
        start, cpu = time.perf_counter(), _children_cpu()
        demo.execute_solution(name, out, Path(tmp) / "cache", timeout=3600, fast=mode == "fast",
                              COURSE_DEVICE="cpu")
        seconds, cpu = time.perf_counter() - start, _children_cpu() - cpu
        executed = nbformat.read(out, 4)
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(out, Path(keep) / f"{name}-{mode}.ipynb")
    durations = [(c.metadata.get("papermill", {}).get("duration") or 0.0, c.source.strip().splitlines()[0][:70])
                 for c in executed.cells if c.cell_type == "code" and c.source.strip()]
    return seconds, cpu, sorted(durations, reverse=True)[:cells]


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def probe(repeats=5):
    """The speed probe's steps per CPU second (median of ``repeats``): what one CPU of its own does."""
    from course_utils import report

    return statistics.median(report.probe_rate(seconds=0.3, clock=time.process_time) for _ in range(repeats))


def write_runtimes(cpu_times, rate):
    """Merge this run's work (CPU seconds x probe steps per CPU second) into course_utils/runtimes.py."""
    from course_utils import runtimes

    work = {name: dict(modes) for name, modes in runtimes.WORK.items()}
    for name, modes in cpu_times.items():
        for mode, cpu in modes.items():
            work.setdefault(name, {})[mode] = round(cpu * rate)
    path = ROOT / "course_utils" / "runtimes.py"
    head = path.read_text().split("MEASURED = ")[0]
    measured = f"{datetime.date.today()}, {len(os.sched_getaffinity(0))} CPUs, probe {rate:.0f} steps per CPU second"
    path.write_text(head + f"MEASURED = {measured!r}\n"
                    + "WORK = " + pprint.pformat(work, width=100, sort_dicts=True) + "\n")


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
    parser.add_argument("--keep", metavar="DIR", help="save each executed notebook as DIR/<notebook>-<mode>.ipynb")
    args = parser.parse_args(argv)
    names = [n for n in paths.assignments() if not args.notebooks or n.split("_")[0] in args.notebooks]
    hogs = [multiprocessing.Process(target=_busy, daemon=True) for _ in range(args.busy)]
    for p in hogs:
        p.start()
    results, cpu_times = {}, {}
    try:
        rate = probe()
        print(f"{len(os.sched_getaffinity(0))} CPUs, {args.busy} busy process(es); speed probe "
              f"{rate:.1f} steps per CPU second; load average {os.getloadavg()[0]:.1f}", flush=True)
        for name in names:
            for mode in args.modes:
                seconds, cpu, slowest = run(name, mode, args.cells, args.keep)
                results.setdefault(name, {})[mode] = seconds
                cpu_times.setdefault(name, {})[mode] = cpu
                verdict = "ok" if seconds < BUDGET[mode] else f"OVER the {BUDGET[mode]:.0f} s budget"
                print(f"{name:18s} {mode:4s} {seconds:7.0f} s wall, {cpu:7.0f} s CPU (kernel)  {verdict}", flush=True)
                for s, line in slowest:
                    print(f"      {s:6.1f} s  {line}", flush=True)
        rate = (rate + probe()) / 2
    finally:
        for p in hogs:
            p.terminate()
            p.join()

    print(f"\n{'notebook':18s}" + "".join(f"{m + ' wall':>11s}{m + ' CPU':>10s}" for m in args.modes)
          + "   budgets (wall): full < 180 s, fast < 60 s")
    for name, by_mode in results.items():
        marks = "".join(f"{by_mode[m]:10.0f}{'!' if by_mode[m] >= BUDGET[m] else ' '}{cpu_times[name][m]:10.0f}"
                        for m in args.modes)
        print(f"{name:18s}{marks}")
    print(f"(seconds; ! over budget; CPU: the kernel's own CPU time, about its wall time on a CPU of its own; "
          f"{_machine(args.busy)}; speed probe {rate:.1f} steps per CPU second)")
    if args.write:
        write_runtimes(cpu_times, rate)
        print("wrote course_utils/runtimes.py")


if __name__ == "__main__":
    main()
