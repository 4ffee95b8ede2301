"""Mode collapse on the ring of 8 and the grid of 25 Gaussians, in the form of VEEGAN's Table 1.

    python benchmarks/gans.py [--seeds 5] [--data ring grid] [--methods GAN "WGAN-GP"] [--jobs 2]
    python benchmarks/gans.py --steps-scale 0.7       # every method at 70% of its steps

Trains every (method, data set, seed) with the functions and settings of the instructor notebook
(`solutions/04_gans.ipynb`, loaded with `autograder.nbload.definitions`: `train_gan`, `METHODS`),
one process per run with 1 thread each, on `cu.device()` (CUDA when present). Each run is scored
on 2,500 generator samples with the notebook's `mode_metrics`: a sample is high quality within
3 standard deviations of its nearest mode; a mode is captured when a high-quality sample is
nearest to it. Prints one line per run, then the table (mean ± standard deviation over seeds),
VEEGAN's published numbers and the wall time. A run's CPU time is its wall time on an idle
machine (1 thread); on shared cores the wall time is longer.
"""
import argparse
import concurrent.futures
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VEEGAN = {  # Srivastava et al. 2017, Table 1: (ring modes, ring % HQ, grid modes, grid % HQ)
    "GAN": (1, 99.3, 3.3, 0.5),
    "unrolled GAN (k=5)": (7.6, 35.6, 23.6, 16.0),
}
_notebook = None


def _load():
    global _notebook
    if _notebook is None:
        os.environ.setdefault("COURSE_FAST", "0")
        import torch

        torch.set_num_threads(1)
        from autograder.nbload import definitions

        _notebook = definitions(ROOT / "solutions" / "04_gans.ipynb")
        _notebook["cu"].set_fast(False)
    return _notebook


def run_one(method, data, seed, steps=None):
    nb = _load()
    start, cpu = time.perf_counter(), time.process_time()
    out = nb["train_gan"](method, data, steps=steps, seed=seed, snapshots=2, progress=False)
    return {"method": method, "data": data, "seed": seed, "modes": out["modes"][-1],
            "hq": 100 * out["high_quality"][-1], "seconds": time.perf_counter() - start,
            "cpu": time.process_time() - cpu}


def mean_sd(values):
    return f"{statistics.mean(values):5.1f} ± {statistics.stdev(values) if len(values) > 1 else 0.0:4.1f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--data", nargs="+", default=["ring", "grid"], choices=["ring", "grid"])
    parser.add_argument("--methods", nargs="+", default=None, help="default: every method in METHODS")
    parser.add_argument("--steps", type=int, default=None, help="override every method's number of steps")
    parser.add_argument("--steps-scale", type=float, default=None,
                        help="each method's full-mode steps times this (e.g. 0.7: what a shorter budget costs)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (each uses 1 thread)")
    args = parser.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = "1"
    methods = args.methods or list(_load()["METHODS"])
    runs = [(m, d, s) for d in args.data for m in methods for s in range(args.seeds)]
    print(f"{len(runs)} runs on {_load()['cu'].describe_device()}, {args.jobs} at a time, 1 thread each")
    start = time.perf_counter()
    results = []
    with concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs) as pool:
        steps = {m: round(_load()["METHODS"][m]["steps"] * args.steps_scale) if args.steps_scale else args.steps
                 for m in methods}
        futures = [pool.submit(run_one, m, d, s, steps[m]) for m, d, s in runs]
        for future in concurrent.futures.as_completed(futures):
            r = future.result()
            results.append(r)
            print(f"  {r['method']:20s} {r['data']:4s} seed {r['seed']}: {r['modes']:2d} modes, "
                  f"{r['hq']:5.1f}% HQ, {r['seconds']:5.1f} s wall, {r['cpu']:5.1f} s CPU", flush=True)
    wall = time.perf_counter() - start

    print(f"\n{'method':20s} | {'ring modes':>12s} {'ring % HQ':>12s} | {'grid modes':>12s} {'grid % HQ':>12s} | "
          f"{'s per run (wall, CPU)':>21s}")
    for method in methods:
        cells = []
        for data in ("ring", "grid"):
            rs = [r for r in results if r["method"] == method and r["data"] == data]
            cells += [mean_sd([r["modes"] for r in rs]), mean_sd([r["hq"] for r in rs])] if rs else ["–", "–"]
        mine = [r for r in results if r["method"] == method]
        wall_s, cpu_s = statistics.mean(r["seconds"] for r in mine), statistics.mean(r["cpu"] for r in mine)
        print(f"{method:20s} | {cells[0]:>12s} {cells[1]:>12s} | {cells[2]:>12s} {cells[3]:>12s} | "
              f"{wall_s:12.1f} {cpu_s:8.1f}")
    print("\nVEEGAN, Table 1 (their architecture; 2,500 samples, 5 runs):")
    for method, (rm, rh, gm, gh) in VEEGAN.items():
        print(f"{method:20s} | {rm:12.1f} {rh:12.1f} | {gm:12.1f} {gh:12.1f} |")
    slowest = max(results, key=lambda r: r["seconds"])
    print(f"\nwall time {wall:.0f} s for {len(results)} runs; slowest run {slowest['seconds']:.1f} s "
          f"({slowest['method']}, {slowest['data']}, seed {slowest['seed']}; {slowest['cpu']:.1f} s CPU)")


if __name__ == "__main__":
    main()
