"""The course's likelihood table (notebook 06) over three seeds, and the notebook's wall times.

On one binarised split of scikit-learn's digits (1,438 training, 359 test images, 64 pixels),
at the notebook's full budgets, for each seed:
  * independent pixels (exact), MADE over several orderings (exact), the causal transformer
    (exact), the masked transformer's -pseudo-log-likelihood (NOT a likelihood), and a Bernoulli
    VAE's -ELBO and -IWAE (k = 1000) from notebook 03's own functions: test nats per image;
  * the class-conditional MADE (one-hot concatenated) and transformer (cross-attention):
    -log p(x | c) and the share of their samples that a logistic regression on the real digits
    assigns to the asked class;
  * the training time of every model.
Then mean and spread (standard deviation over the seeds), each model's margin over the
independent-pixel baseline, and, unless --no-notebooks, the wall time of solutions/06 in full and
fast mode (papermill, fresh cache).

The functions come from the instructor notebooks (``autograder.nbload.definitions``): nothing is
re-implemented here. Training runs in a fresh cache directory, so nothing is read back.

    python benchmarks/likelihood_table.py                    # 3 seeds and the notebook times
    python benchmarks/likelihood_table.py --seeds 0 --no-notebooks
Run it with OMP_NUM_THREADS=1 (these small models are fastest on one thread); to measure the
5-minute budget "on 2 CPUs while another process keeps one busy", start a busy loop first, e.g.
``python -c "while True: pass" &``.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from autograder.nbload import definitions  # noqa: E402
from benchmarks.autoencoders_vae import notebook_times  # noqa: E402

ROWS = ["independent pixels", "MADE", "causal transformer", "VAE -IWAE", "VAE -ELBO", "masked transformer -PLL"]
KIND = {"independent pixels": "exact", "MADE": "exact", "causal transformer": "exact", "VAE -IWAE": "upper bound",
        "VAE -ELBO": "upper bound", "masked transformer -PLL": "NOT a likelihood"}


def one_seed(nb, vae, seed, k_iwae):
    """Test nats per image, conditional results and training seconds of every model for one seed."""
    X, X_test, Y, Y_test = nb["X"], nb["X_test"], nb["Y"], nb["Y_test"]
    log_prob, causal_inputs = nb["bernoulli_log_prob"], nb["causal_inputs"]
    freq = X.mean(0).clamp(1e-3, 1 - 1e-3)
    nats = {"independent pixels": -log_prob(torch.logit(freq).expand_as(X_test), X_test).mean().item()}
    seconds = {}

    made, run = nb["load_made"](0, seed)
    nats["MADE"] = -nb["made_log_prob"](made, run["orderings"], X_test).mean().item()
    seconds["MADE"] = run["history"]["seconds"]
    causal, run = nb["load_transformer"](nb["fit_causal"], "causal", 0, seed)
    with torch.no_grad():
        nats["causal transformer"] = -log_prob(causal(causal_inputs(X_test)), X_test).mean().item()
    seconds["causal transformer"] = run["history"]["seconds"]
    masked, run = nb["load_transformer"](nb["fit_masked"], "full", 0, seed)
    nats["masked transformer -PLL"] = -nb["pseudo_log_likelihood"](masked, X_test).mean().item()
    seconds["masked transformer"] = run["history"]["seconds"]

    model = vae["VAE"](X.shape[1], vae["LATENT"], vae["HIDDEN"])
    run = vae["fit_vae"](X, vae["LATENT"], 1.0, vae["STEPS"], vae["HIDDEN"], seed)
    model.load_state_dict(run["state"])
    torch.manual_seed(seed)
    scores = vae["evaluate_bounds"](model.eval(), X_test, k_iwae)
    nats["VAE -IWAE"], nats["VAE -ELBO"] = scores["neg_iwae"], scores["neg_elbo"]
    seconds["VAE"] = run["history"]["seconds"]

    conditional = conditional_results(nb, seed, seconds)
    return nats, conditional, seconds


def conditional_results(nb, seed, seconds, per_class=50):
    from sklearn.linear_model import LogisticRegression

    X, X_test, Y, Y_test, D = nb["X"], nb["X_test"], nb["Y"], nb["Y_test"], nb["D"]
    classes = int(Y.max()) + 1
    classifier = LogisticRegression(max_iter=3000).fit(X.numpy(), Y.numpy())
    asked = torch.arange(classes).repeat_interleave(per_class)
    made, made_run = nb["load_made"](classes, seed)
    tf, tf_run = nb["load_transformer"](nb["fit_causal"], "causal", classes, seed)
    seconds["conditional MADE"], seconds["conditional transformer"] = made_run["history"]["seconds"], tf_run["history"]["seconds"]
    torch.manual_seed(seed)
    with torch.no_grad():
        nll_made = -nb["made_log_prob"](made, made_run["orderings"], X_test, Y_test).mean().item()
        nll_tf = -nb["bernoulli_log_prob"](tf(nb["causal_inputs"](X_test), Y_test), X_test).mean().item()
    made.set_masks(made_run["orderings"][0], seed=0)
    samples = {"MADE, concatenation": nb["sample_pixels"](made, len(asked), made_run["orderings"][0], asked),
               "transformer, cross-attention": nb["sample_pixels"](lambda x, c: tf(nb["causal_inputs"](x), c), len(asked),
                                                                   torch.arange(D), asked)}
    agreement = {name: float((torch.as_tensor(classifier.predict(s.numpy())) == asked).float().mean())
                 for name, s in samples.items()}
    return {"classifier test accuracy": classifier.score(X_test.numpy(), Y_test.numpy()),
            "MADE, concatenation": (nll_made, agreement["MADE, concatenation"]),
            "transformer, cross-attention": (nll_tf, agreement["transformer, cross-attention"])}


def spread(values):
    return f"{np.mean(values):7.2f} ± {np.std(values):4.2f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--k-iwae", type=int, default=1000)
    parser.add_argument("--no-notebooks", action="store_true", help="skip timing the notebook")
    args = parser.parse_args()
    os.environ["COURSE_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-cache-")
    nb = definitions(ROOT / "solutions" / "06_principles.ipynb")
    vae = definitions(ROOT / "solutions" / "03_vae.ipynb")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); digits binarised at 0.5: "
          f"{len(nb['X'])} training, {len(nb['X_test'])} test images of {nb['D']} pixels; seeds {args.seeds}")
    print(f"MADE {nb['MADE_HIDDEN']} x {nb['ORDERINGS']} orderings, {nb['MADE_STEPS']} steps; transformers {nb['TF']}, "
          f"{nb['TF_STEPS']} steps; VAE (03) d = {vae['LATENT']}, hidden {vae['HIDDEN']}, {vae['STEPS']} steps", flush=True)
    start = time.perf_counter()
    results = []
    for seed in args.seeds:
        t = time.perf_counter()
        results.append(one_seed(nb, vae, seed, args.k_iwae))
        nats = results[-1][0]
        print(f"seed {seed}: " + ", ".join(f"{k} {v:.2f}" for k, v in nats.items()) + f"  ({time.perf_counter() - t:.0f} s)", flush=True)

    print(f"\nTest nats per image, mean ± std over {len(args.seeds)} seeds (lower is better)")
    base = [r[0]["independent pixels"] for r in results]
    print(f"{'model':26s} {'nats':>14s}  {'below the baseline':>18s}   kind")
    for row in ROWS:
        values = [r[0][row] for r in results]
        margin = "" if row == "independent pixels" else spread(np.subtract(base, values))
        print(f"{row:26s} {spread(values)}  {margin:>18s}   {KIND[row]}")
    print(f"\nClass-conditional models (50 samples per class; classifier test accuracy "
          f"{np.mean([r[1]['classifier test accuracy'] for r in results]):.1%})")
    for name in ("MADE, concatenation", "transformer, cross-attention"):
        nll = [r[1][name][0] for r in results]
        agree = [100 * r[1][name][1] for r in results]
        print(f"  {name:30s} -log p(x|c) {spread(nll)}   agreement {np.mean(agree):5.1f}% ± {np.std(agree):.1f}")
    print("\nTraining time per run, seconds (mean over seeds)")
    for name in results[0][2]:
        print(f"  {name:24s} {np.mean([r[2][name] for r in results]):6.1f}")
    if not args.no_notebooks:
        notebook_times(("06_principles",))
    print(f"\nbenchmark total: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
