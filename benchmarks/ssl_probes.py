"""Few-label probes of SimCLR, BYOL and Barlow Twins against raw pixels and a random encoder.

Trains each method of solutions/05_ssl.ipynb with its full-mode CONFIG (no cache), for each
seed, and prints the probe table (method x {linear, k-NN} x seeds) and the wall/CPU times.

    python benchmarks/ssl_probes.py                         # 2 threads, seeds 0 1 2, all methods
    python benchmarks/ssl_probes.py --threads 1 --seeds 0 --methods byol
    python benchmarks/ssl_probes.py --steps-scale 0.5       # shorter runs (a quick look, not the figures)
    python benchmarks/ssl_probes.py --methods byol --set byol.batch_size=128 byol.steps=1500
    python benchmarks/ssl_probes.py --width 8               # a narrower encoder than the notebook's

The issue asks for under 3 minutes of training per method on 2 CPU cores with nothing else
running. On shared cores, run with --threads 1 and read the CPU column: it is the time one
uncontended core would need.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from autograder.nbload import definitions  # noqa: E402

NAMES = {"simclr": "SimCLR", "byol": "BYOL", "barlow": "Barlow Twins"}


def notebook(dataset):
    """The notebook's functions, with its data loaded (definitions() skips the loading cell)."""
    placeholder = torch.zeros(1, 1, 24, 24)
    ns = {"x_train": placeholder, "x_test": placeholder, "y_train": torch.zeros(1), "y_test": torch.zeros(1)}
    definitions(ROOT / "solutions" / "05_ssl.ipynb", ns)
    ns["DATASET"] = dataset
    x_train, y_train, x_test, y_test = ns["load_dataset"](dataset)
    ns.update(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
              CHANNELS=x_train.shape[1], SIZE=x_train.shape[-1])
    ns["augment"] = ns["make_augment"](ns["SIZE"], color=ns["CHANNELS"] == 3)
    return ns


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--methods", nargs="+", default=list(NAMES), choices=list(NAMES))
    parser.add_argument("--dataset", default="digits_canvas")
    parser.add_argument("--steps-scale", type=float, default=1.0)
    parser.add_argument("--width", type=int, default=None, help="the encoder's WIDTH (default: the notebook's)")
    parser.add_argument("--set", nargs="*", default=[], metavar="METHOD.KEY=VALUE",
                        help="override a CONFIG entry, e.g. byol.batch_size=128 byol.ema=0.996")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ns = notebook(args.dataset)
    if args.width:
        ns.update(WIDTH=args.width, FEATURES=4 * args.width)
    train = ns["cu"].train
    ns["cu"].train = lambda *a, **k: train(*a, **{**k, "progress": False})  # no progress bars here
    cu, evaluate, features = ns["cu"], ns["few_label_accuracy"], ns["features"]
    print(f"torch {torch.__version__}, {args.threads} thread(s), device {ns['device']}, dataset {args.dataset}: "
          f"pool {tuple(ns['x_train'].shape)}, test {tuple(ns['x_test'].shape)}; "
          f"{ns['SHOTS']} labels per class, probes averaged over label draws {ns['PROBE_SEEDS']}", flush=True)

    rows = []  # (name, seed, linear, knn, wall, cpu)
    rows.append(("raw pixels", "-", *_acc(evaluate(ns["x_train"].flatten(1), ns["x_test"].flatten(1))), 0.0, 0.0))
    for seed in args.seeds:
        cu.seed_everything(seed)
        enc = ns["make_encoder"](ns["CHANNELS"], ns["WIDTH"], ns["SIZE"]).to(ns["device"])
        rows.append(("random encoder", seed, *_acc(evaluate(features(enc, ns["x_train"]), features(enc, ns["x_test"]))), 0.0, 0.0))
    print(_line(rows[0]), flush=True)
    for row in rows[1:]:
        print(_line(row), flush=True)

    for method in args.methods:
        config = dict(ns["CONFIG"][method])
        for item in args.set:
            key, value = item.split("=")
            if key.split(".")[0] == method:
                config[key.split(".")[1]] = type(config.get(key.split(".")[1], 0.0))(value)
        config["steps"] = max(1, round(config["steps"] * args.steps_scale))
        for seed in args.seeds:
            wall, cpu = time.perf_counter(), time.process_time()
            run = ns["train_ssl"].__wrapped__(method, **config, seed=seed)  # bypass the cache
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            enc = ns["trained_encoder"](run, method)
            r = evaluate(features(enc, ns["x_train"]), features(enc, ns["x_test"]))
            rows.append((NAMES[method], seed, *_acc(r), wall, cpu))
            print(_line(rows[-1]) + f"   {config}", flush=True)

    print("\nmean over seeds (10 labels per class; linear / k-NN test accuracy; training time per run)")
    print(f"{'':15s} {'linear':>8s} {'k-NN':>8s} {'wall s':>8s} {'CPU s':>8s}   vs random (linear)  vs raw (linear)")
    base = {n: np.mean([r[2] for r in rows if r[0] == n]) for n in ("raw pixels", "random encoder")}
    for name in dict.fromkeys(r[0] for r in rows):
        mine = [r for r in rows if r[0] == name]
        lin, knn, wall, cpu = (np.mean([r[i] for r in mine]) for i in (2, 3, 4, 5))
        extra = (f"   {100 * (lin - base['random encoder']):+6.1f} pts        {100 * (lin - base['raw pixels']):+6.1f} pts"
                 if name in NAMES.values() else "")
        print(f"{name:15s} {lin:8.1%} {knn:8.1%} {wall:8.0f} {cpu:8.0f}{extra}")


def _acc(result):
    return result["linear"], result["knn"]


def _line(row):
    name, seed, lin, knn, wall, cpu = row
    return f"{name:15s} seed {seed!s:>2s}  linear {lin:6.1%}  k-NN {knn:6.1%}  wall {wall:6.1f} s  CPU {cpu:6.1f} s"


if __name__ == "__main__":
    main()
