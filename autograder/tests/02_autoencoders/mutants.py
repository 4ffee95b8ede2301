"""Plausible wrong answers to 02_autoencoders; each must lose points in the questions named.

``misconception=True`` marks a question's central misconception: the public checks must catch it.
"""
from autograder.mutants import Mutant

RECON = "return (x_hat - x).pow(2).flatten(1).sum(dim=1).mean()"
GAUSSIAN = "return (x + noise * torch.randn_like(x)).clamp(0.0, 1.0)"
KL_SPARSITY = "return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()"

MUTANTS = [
    # reconstruction_loss
    Mutant("recon_mean_over_pixels", "mean instead of sum over the dimensions of an example",
           {RECON: "return (x_hat - x).pow(2).mean()"}, ["reconstruction_loss"], misconception=True),
    Mutant("recon_sum_over_batch", "sum over the batch as well (no mean over examples)",
           {RECON: "return (x_hat - x).pow(2).sum()"}, ["reconstruction_loss"]),
    Mutant("recon_sum_last_dim", "sum over the last dimension only: right for (N, D), wrong for images",
           {RECON: "return (x_hat - x).pow(2).sum(-1).mean()"}, ["reconstruction_loss"], misconception=True),
    Mutant("recon_absolute_error", "absolute instead of squared errors",
           {RECON: "return (x_hat - x).abs().flatten(1).sum(dim=1).mean()"}, ["reconstruction_loss"]),
    # pca
    Mutant("pca_not_centred", "SVD of the raw data, not of the centred data",
           {"_, _, vt = torch.linalg.svd(x - mean, full_matrices=False)": "_, _, vt = torch.linalg.svd(x, full_matrices=False)"},
           ["pca"], misconception=True),
    Mutant("pca_rows_not_columns", "returns the (k, D) rows of V^T instead of a (D, k) basis",
           {"return mean, vt[:k].T": "return mean, vt[:k]"}, ["pca"]),
    Mutant("pca_smallest_components", "the last k right singular vectors (least variance)",
           {"return mean, vt[:k].T": "return mean, vt[-k:].T"}, ["pca"]),
    Mutant("pca_reconstruct_without_mean", "projects the centred data but does not add the mean back",
           {"return mean + (x - mean) @ V @ V.T": "return (x - mean) @ V @ V.T"}, ["pca"], misconception=True),
    # principal_angles
    Mutant("angles_without_orthonormalising", "cosines from the raw bases, without QR (the clamp hides it on some bases)",
           {"cosines = torch.linalg.svdvals(qa.T @ qb).clamp(-1.0, 1.0)": "cosines = torch.linalg.svdvals(A.T @ B).clamp(-1.0, 1.0)"},
           ["principal_angles"], misconception=True),
    Mutant("angles_descending", "angles in descending order",
           {"return torch.arccos(cosines)  # singular values descend, so the angles ascend":
            "return torch.arccos(cosines).flip(0)"}, ["principal_angles"]),
    Mutant("angles_in_degrees", "degrees instead of radians",
           {"return torch.arccos(cosines)  # singular values descend, so the angles ascend":
            "return torch.rad2deg(torch.arccos(cosines))"}, ["principal_angles"]),
    # linear_ae
    Mutant("linear_ae_with_relu", "a ReLU between encoder and decoder: no longer linear",
           {"return self.decoder(self.encoder(x))": "return self.decoder(torch.relu(self.encoder(x)))"},
           ["linear_ae"], misconception=True),
    Mutant("train_ignores_loss", "train_autoencoder always uses the reconstruction loss",
           {"    if loss is None:\n        def loss(model, batch):": "    if True:\n        def loss(model, batch):"},
           ["linear_ae"], misconception=True),
    Mutant("train_for_epochs", "steps read as epochs: steps x batches-per-epoch optimiser steps",
           {"history = cu.train(lambda batch: loss(model, batch), optimizer, batches, steps, desc=desc)":
            "history = cu.train(lambda batch: loss(model, batch), optimizer, batches, steps * len(batches), desc=desc)"},
           ["linear_ae"]),
    # autoencoder
    Mutant("decoder_without_sigmoid", "the decoder's output is not squashed into [0, 1]",
           {"nn.Linear(h1, D), nn.Sigmoid())": "nn.Linear(h1, D))"}, ["autoencoder"], misconception=True),
    Mutant("encoder_ends_with_relu", "a ReLU after the code layer: codes can only be >= 0",
           {"nn.Linear(h2, latent_dim))": "nn.Linear(h2, latent_dim), nn.ReLU())"}, ["autoencoder"], misconception=True),
    Mutant("decoder_not_mirrored", "the decoder repeats the encoder's widths instead of mirroring them",
           {"nn.Linear(latent_dim, h2), nn.ReLU(), nn.Linear(h2, h1), nn.ReLU(),\n                                     nn.Linear(h1, D), nn.Sigmoid())":
            "nn.Linear(latent_dim, h1), nn.ReLU(), nn.Linear(h1, h2), nn.ReLU(),\n                                     nn.Linear(h2, D), nn.Sigmoid())"},
           ["autoencoder"]),
    # interpolate
    Mutant("interpolate_without_endpoint", "the last point is not z1",
           {"t = torch.linspace(0, 1, steps, dtype=z0.dtype).unsqueeze(1)":
            "t = torch.arange(steps, dtype=z0.dtype).unsqueeze(1) / steps"}, ["interpolate"], misconception=True),
    Mutant("interpolate_reversed", "walks from z1 to z0",
           {"return (1 - t) * z0 + t * z1": "return t * z0 + (1 - t) * z1"}, ["interpolate"]),
    # holes
    Mutant("box_is_gaussian", "box samples drawn from a normal distribution",
           {"return low + (high - low) * torch.rand(n, codes.shape[1], dtype=codes.dtype)":
            "return (low + high) / 2 + (high - low) / 4 * torch.randn(n, codes.shape[1], dtype=codes.dtype)"}, ["holes"]),
    Mutant("squared_distance", "squared distances to the nearest code",
           {"return torch.cdist(z, codes).min(dim=1).values": "return torch.cdist(z, codes).min(dim=1).values ** 2"},
           ["holes"], misconception=True),
    Mutant("gaussian_diagonal_covariance", "independent coordinates: the variances of the codes, not their covariance",
           {"mean, cov = codes.mean(dim=0), torch.cov(codes.T).reshape(codes.shape[1], codes.shape[1])":
            "mean, cov = codes.mean(dim=0), torch.diag(codes.var(dim=0))"}, ["holes"], misconception=True),
    # denoising
    Mutant("denoise_against_corrupted", "the denoising target is the corrupted input",
           {"return reconstruction_loss(model(corrupt(x, noise, kind)), x)":
            "x_tilde = corrupt(x, noise, kind)\n    return reconstruction_loss(model(x_tilde), x_tilde)"},
           ["denoising"], misconception=True),
    Mutant("mask_keeps_probability", "masking keeps each entry with probability `noise`",
           {"return x * (torch.rand_like(x) >= noise)": "return x * (torch.rand_like(x) < noise)"},
           ["denoising"], misconception=True),
    Mutant("gaussian_not_clamped", "Gaussian corruption without the clamp to [0, 1]",
           {GAUSSIAN: "return x + noise * torch.randn_like(x)"}, ["denoising"], misconception=True),
    Mutant("gaussian_std_squared", "noise read as a variance: standard deviation noise^2",
           {GAUSSIAN: "return (x + noise**2 * torch.randn_like(x)).clamp(0.0, 1.0)"}, ["denoising"]),
    # sparsity
    Mutant("kl_sparsity_reversed", "KL(rho_hat || rho) instead of KL(rho || rho_hat)",
           {KL_SPARSITY: "return (rho_hat * torch.log(rho_hat / rho) + (1 - rho_hat) * torch.log((1 - rho_hat) / (1 - rho))).sum()"},
           ["sparsity"], misconception=True),
    Mutant("kl_sparsity_per_example", "average activation taken over units instead of over the batch",
           {"rho_hat = h.mean(dim=0).clamp(1e-6, 1 - 1e-6)": "rho_hat = h.clamp(1e-6, 1 - 1e-6)"}, ["sparsity"]),
    Mutant("kl_sparsity_no_clamp", "rho_hat not clamped: a unit that never fires gives an infinite penalty",
           {"rho_hat = h.mean(dim=0).clamp(1e-6, 1 - 1e-6)": "rho_hat = h.mean(dim=0)"}, ["sparsity"]),
    Mutant("l1_mean_over_units", "L1 averaged over units instead of summed",
           {"return h.abs().sum(dim=1).mean()": "return h.abs().mean()"}, ["sparsity"], misconception=True),
    # correct answers written another way: they must keep full marks (loses=[])
    Mutant("recon_with_mse_loss", "F.mse_loss with reduction='sum', divided by the batch size",
           {RECON: "return torch.nn.functional.mse_loss(x_hat, x, reduction=\"sum\") / len(x)"}, []),
    Mutant("pca_with_eigh", "eigenvectors of the scatter matrix instead of an SVD",
           {"_, _, vt = torch.linalg.svd(x - mean, full_matrices=False)\n    return mean, vt[:k].T":
            "_, eigvecs = torch.linalg.eigh((x - mean).T @ (x - mean))\n    return mean, eigvecs[:, -k:].flip(1)"}, []),
    Mutant("interpolate_with_lerp", "torch.lerp",
           {"return (1 - t) * z0 + t * z1": "return torch.lerp(z0.expand(steps, -1), z1.expand(steps, -1), t)"}, []),
]
