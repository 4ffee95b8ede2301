"""Benchmark for notebooks 02 (autoencoders) and 03 (VAE), on the default data (scikit-learn's digits).

Prints, at the notebooks' full budgets:
  * linear autoencoder vs PCA: reconstruction error (train and test) and the largest principal
    angle between the decoder's column space and the PCA subspace, for k = 2, 5, 10;
  * the VAE (8-D code, beta = 1): test negative ELBO and -IWAE bound (k = 1000), in nats per image;
  * the gradient-variance ratio, score function / reparameterised, on the VAE's reconstruction term;
  * the wall time of each solution notebook, fast mode (what CI and grading run) and full mode.

The functions come from the instructor notebooks (``autograder.nbload.definitions``): nothing is
re-implemented here. Training runs in a fresh cache directory, so nothing is read back.

    python benchmarks/autoencoders_vae.py                   # everything (about 10 min on 2 CPU cores)
    python benchmarks/autoencoders_vae.py --no-notebooks    # only the numbers (about 2 min)
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import course_utils as cu  # noqa: E402
from autograder.nbload import definitions  # noqa: E402


def linear_ae_vs_pca(ks=(2, 5, 10)):
    nb = definitions(ROOT / "solutions" / "02_autoencoders.ipynb")
    X, X_test, D = nb["X"], nb["X_test"], nb["D"]
    rows = []
    for k in ks:
        cu.seed_everything(0)
        start = time.perf_counter()
        model = nb["LinearAutoencoder"](D, k)
        nb["train_autoencoder"](model, X, 2000, lr=3e-2, batch_size=None, desc=f"linear AE, k={k}")
        seconds = time.perf_counter() - start
        mean, V = nb["pca_basis"](X, k)
        loss, rec = nb["reconstruction_loss"], nb["pca_reconstruct"]
        with torch.no_grad():
            ae, pca = loss(model(X), X).item(), loss(rec(X, mean, V), X).item()
            ae_test, pca_test = loss(model(X_test), X_test).item(), loss(rec(X_test, mean, V), X_test).item()
        angle = torch.rad2deg(nb["principal_angles"](model.decoder.weight.detach().double(), V.double())).max().item()
        rows.append((k, pca, ae, 100 * (ae / pca - 1), pca_test, ae_test, angle, seconds))
    print("\nLinear autoencoder vs PCA (digits, 2000 full-batch Adam steps, lr 3e-2)")
    print(f"{'k':>3} {'PCA train':>10} {'AE train':>9} {'AE-PCA':>8} {'PCA test':>9} {'AE test':>8} {'max angle':>10} {'train s':>8}")
    for k, p, a, gap, pt, at, ang, s in rows:
        print(f"{k:>3} {p:>10.4f} {a:>9.4f} {gap:>7.2f}% {pt:>9.4f} {at:>8.4f} {ang:>9.3f}° {s:>8.1f}")


def vae_numbers(k_iwae=1000, images=20):
    nb = definitions(ROOT / "solutions" / "03_vae.ipynb")
    cu.seed_everything(0)
    start = time.perf_counter()
    vae = nb["load_vae"](nb["LATENT"], 1.0, nb["STEPS"])
    seconds = time.perf_counter() - start
    torch.manual_seed(0)
    scores = nb["evaluate_bounds"](vae, nb["X_test"], k_iwae)
    X, X_test = nb["X"], nb["X_test"]
    freq = X.mean(0).clamp(1e-3, 1 - 1e-3)
    independent = torch.nn.functional.binary_cross_entropy(freq.expand_as(X_test), X_test, reduction="none").sum(1).mean()
    print(f"\nVAE (digits binarised at 0.5, d = {nb['LATENT']}, hidden {nb['HIDDEN']}, {nb['STEPS']} steps, {seconds:.1f} s)")
    print(f"  test -ELBO              {scores['neg_elbo']:8.2f} nats")
    print(f"  test -IWAE (k = {k_iwae})   {scores['neg_iwae']:8.2f} nats   (tighter by {scores['neg_elbo'] - scores['neg_iwae']:.2f})")
    print(f"  independent pixels      {independent.item():8.2f} nats")

    ratios = []
    for i in range(images):
        with torch.no_grad():
            mu, logvar = vae.encode(X_test[i:i + 1])
        objective = lambda z: vae.log_likelihood(X_test[i], z)  # noqa: E731
        rep = torch.cat(nb["reparam_gradients"](objective, mu[0], logvar[0], 1000), dim=1).var(0).sum()
        sf = torch.cat(nb["score_function_gradients"](objective, mu[0], logvar[0], 1000), dim=1).var(0).sum()
        ratios.append((sf / rep).item())
    ratios = torch.tensor(ratios)
    print(f"  gradient variance, score function / reparameterised, on log p(x|z) w.r.t. (mu, logvar), "
          f"{images} test images: median {ratios.median():.0f}x (min {ratios.min():.0f}x, max {ratios.max():.0f}x)")


def notebook_times(names=("02_autoencoders", "03_vae")):
    print("\nWall time of the solution notebooks (papermill, fresh cache, this machine)")
    for name in names:
        for mode in ("fast", "full"):
            with tempfile.TemporaryDirectory() as cache:
                env = {**os.environ, "COURSE_CACHE_DIR": cache, "PYTHONPATH": str(ROOT)}
                args = [sys.executable, "-m", "papermill", "-k", "python3", f"{name}.ipynb", os.devnull, "--log-level", "ERROR"]
                if mode == "fast":
                    env["COURSE_FAST"] = "1"
                    args += ["-p", "FAST", "True"]
                start = time.perf_counter()
                done = subprocess.run(args, cwd=ROOT / "solutions", env=env, capture_output=True, text=True)
                seconds = time.perf_counter() - start
            status = "ok" if done.returncode == 0 else f"FAILED: {done.stderr.strip().splitlines()[-1:]}"
            print(f"  {name:18s} {mode:4s} {seconds:7.1f} s  {status}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-notebooks", action="store_true", help="skip timing the notebooks")
    args = parser.parse_args()
    os.environ["COURSE_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-cache-")
    os.environ.setdefault("TQDM_DISABLE", "1")
    print(f"device: {cu.describe_device()}, torch threads: {torch.get_num_threads()}")
    start = time.perf_counter()
    linear_ae_vs_pca()
    vae_numbers()
    if not args.no_notebooks:
        notebook_times()
    print(f"\nbenchmark total: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
