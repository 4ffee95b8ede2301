"""How many CPU threads should PyTorch use for this course's models? Times each notebook's own
training step at 1, 2 and 4 intra-op threads, on a quiet machine and with competing busy processes.

    python benchmarks/threads.py                          # every notebook, 0 and 1 busy process
    python benchmarks/threads.py --notebooks 02 05 --busy 0 1 2 --seconds 3

A step is the notebook's own training code (loaded with ``autograder.nbload.definitions``,
nothing re-implemented): 01 the WGAN-GP critic of ``train_critic``; 02 ``train_autoencoder`` on
the 2-D autoencoder (batch 128); 03 ``fit_vae`` (8-D code, batch 128); 04 ``train_gan`` for the
plain GAN and WGAN-GP (batch 256, 5 critic steps); 05 ``train_ssl`` for SimCLR (batch 256, two
augmented views) and BYOL (batch 64). A "busy" process is a pure-Python loop pinned to nothing:
what another student's kernel, or a second test worker, does to a shared node.

Prints steps per second per (step, threads, busy processes): the median of ``--repeats`` rounds
that interleave the thread counts (so that a change in the machine's load hits every count
alike), the ratio to 1 thread, and the CPU time each step costs (all of the process's threads,
OpenMP's spin-waiting included). ``course_utils.device.DEFAULT_THREADS`` follows this table.
How to read it: with as many threads as CPUs, OpenMP's threads spin at full strength waiting
for each other and any other process makes them wait long; with more threads than CPUs,
libgomp throttles the spinning, and on a loaded machine the extra threads win time slices
from the other processes, a speed-up for one student paid by the others (see the CPU column).
"""
import argparse
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ["TQDM_DISABLE"] = "1"
os.environ["COURSE_DEVICE"] = "cpu"
os.environ.pop("COURSE_FAST", None)

import torch  # noqa: E402

from autograder.nbload import definitions  # noqa: E402

SOLUTIONS = ROOT / "solutions"


def _busy():
    while True:
        pass


def workloads(which):
    """{name: f(steps)}: each runs `steps` training steps of a notebook's own code."""
    out = {}
    for prefix, build in (("01", _divergences), ("02", _autoencoders), ("03", _vae), ("04", _gans), ("05", _ssl)):
        if prefix in which:
            out.update(build())
    return out


def _divergences():
    nb = definitions(SOLUTIONS / "01_divergences.ipynb")
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(1000, 2, generator=g), torch.randn(1000, 2, generator=g) * 0.5 + 2
    return {"01 critic (GP)": lambda steps: nb["train_critic"](x, y, "gp", steps=steps)}


def _autoencoders():
    nb = definitions(SOLUTIONS / "02_autoencoders.ipynb")
    return {"02 autoencoder": lambda steps: nb["train_autoencoder"](nb["Autoencoder"](nb["D"], 2), nb["X"], steps)}


def _vae():
    nb = definitions(SOLUTIONS / "03_vae.ipynb")
    return {"03 VAE": lambda steps: nb["fit_vae"].__wrapped__(nb["X"], 8, 1.0, steps)}


def _gans():
    nb = definitions(SOLUTIONS / "04_gans.ipynb")

    def run(method):
        return lambda steps: nb["train_gan"](method, "ring", steps=steps, snapshots=2, n_eval=256, progress=False)

    return {f"04 {method}": run(method) for method in ("GAN", "WGAN-GP")}


def _ssl():
    from ssl_probes import notebook

    nb = notebook("digits_canvas")

    def run(method):
        config = {k: v for k, v in nb["CONFIG"][method].items() if k != "steps"}
        return lambda steps: nb["train_ssl"].__wrapped__(method, steps=steps, **config)

    return {f"05 {method}": run(method) for method in ("simclr", "byol")}


def steps_per_second(run, seconds):
    """Warm up, then time enough steps to take about `seconds`; returns (steps per second,
    CPU milliseconds per step: all threads of this process, spinning included)."""
    run(2)
    steps = 4
    while True:
        start, cpu = time.perf_counter(), time.process_time()
        run(steps)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        if elapsed >= seconds or steps >= 100_000:
            return steps / elapsed, 1000 * cpu / steps
        steps = max(steps * 2, int(steps * seconds / max(elapsed, 1e-3) * 1.1))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", nargs="+", default=["01", "02", "03", "04", "05"])
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2, 4])
    parser.add_argument("--busy", nargs="+", type=int, default=[0, 1], help="competing busy processes")
    parser.add_argument("--seconds", type=float, default=2.0, help="timing per measurement")
    parser.add_argument("--repeats", type=int, default=3,
                        help="rounds over the thread counts, interleaved (the median is reported)")
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs visible "
          f"({len(os.sched_getaffinity(0))} in this process's affinity), "
          f"load average {os.getloadavg()[0]:.1f} before starting", flush=True)
    jobs = workloads(args.notebooks)
    rows = []
    for busy in args.busy:
        hogs = [multiprocessing.Process(target=_busy, daemon=True) for _ in range(busy)]
        for p in hogs:
            p.start()
        try:
            for name, run in jobs.items():
                rates, cpus = {n: [] for n in args.threads}, {n: [] for n in args.threads}
                for _ in range(args.repeats):  # interleaved, so that a change in load hits every count
                    for n in args.threads:
                        torch.set_num_threads(n)
                        rate, cpu = steps_per_second(run, args.seconds)
                        rates[n].append(rate)
                        cpus[n].append(cpu)
                for n in args.threads:
                    rows.append((name, busy, n, statistics.median(rates[n]), statistics.median(cpus[n])))
                    print(f"  {name:16s} busy {busy}  threads {n}: " + " ".join(f"{r:8.1f}" for r in rates[n])
                          + f" steps/s, {statistics.median(cpus[n]):7.1f} CPU ms/step", flush=True)
        finally:
            for p in hogs:
                p.terminate()
                p.join()

    print("\nsteps per second, relative to 1 thread under the same load, and CPU ms per step")
    header = "".join(f"{f'{n} thr, busy {b}':>24s}" for b in args.busy for n in args.threads)
    print(f"{'step':16s}{header}")
    for name in jobs:
        cells = []
        for busy in args.busy:
            base = next(r for (j, b, n, r, _) in rows if j == name and b == busy and n == args.threads[0])
            for n in args.threads:
                rate, cpu = next((r, c) for (j, b, t, r, c) in rows if j == name and b == busy and t == n)
                cells.append(f"{rate:8.1f} {rate / base:4.2f}x {cpu:6.1f}")
        print(f"{name:16s}" + "".join(f"{c:>24s}" for c in cells))
    print("(a process with more threads than CPUs gets more of a loaded machine's time slices, taken from"
          " the others; the CPU column says what each step costs the machine)")


if __name__ == "__main__":
    main()
