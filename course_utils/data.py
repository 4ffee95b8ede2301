"""Data that needs no network: scikit-learn's digits (as they are, or placed on a larger canvas)
and 2-D Gaussian mixtures.

Real datasets (MNIST, Fashion-MNIST, CIFAR-10) are in ``course_utils.download``; ``load``
picks one by name and falls back to nothing silently: asking for MNIST without a download
raises a clear error instead.
"""
import math

import numpy as np
import torch


def digits(split="train", binarize=False, test_fraction=0.2, seed=0):
    """scikit-learn's 1,797 handwritten digits as (N, 1, 8, 8) floats in [0, 1] and labels.

    The split is a fixed permutation (``seed``), so train/test never change between runs.
    ``binarize=True`` thresholds at 0.5 (for Bernoulli decoders).
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = torch.tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 16.0
    y = torch.tensor(bunch.target, dtype=torch.int64)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    n_test = int(round(test_fraction * len(x)))
    idx = {"test": order[:n_test], "train": order[n_test:], "all": order}[split]
    x, y = x[idx], y[idx]
    if binarize:
        x = (x > 0.5).float()
    return x, y


def digits_canvas(split="train", size=24, scale=(1.0, 1.75), rotation=30.0, copies=1, seed=0):
    """The digits, each placed ``copies`` times at a random position, scale and rotation on a
    blank ``size`` x ``size`` canvas: (N, 1, size, size) floats in [0, 1] and labels.

    Introduced in the self-supervised learning notebook (05): raw pixels of the digits as they
    are already give ~96% with a linear probe, so a probe cannot show what invariances buy; on
    the canvas, the class no longer sits at fixed pixels. ``scale`` is the range of the digit's
    side in units of its 8 pixels, ``rotation`` the largest angle in degrees; the whole digit
    always stays inside the canvas. Deterministic from ``seed`` (and the split).
    """
    import torch.nn.functional as F

    x, y = digits(split)
    x, y = x.repeat(copies, 1, 1, 1), y.repeat(copies)
    g = torch.Generator().manual_seed(_split_seed(seed, split))
    n = len(x)
    s = scale[0] + (scale[1] - scale[0]) * torch.rand(n, generator=g, dtype=torch.float64)
    theta = math.radians(rotation) * (2 * torch.rand(n, generator=g, dtype=torch.float64) - 1)
    cos, sin = theta.cos(), theta.sin()
    half = 4 * s * (cos.abs() + sin.abs())             # half-width of the rotated digit's box, pixels
    room = (size / 2 - half).clamp_min(0)
    shift = room[:, None] * (2 * torch.rand(n, 2, generator=g, dtype=torch.float64) - 1)
    # affine_grid maps canvas coordinates (in [-1, 1]) to digit coordinates (in [-1, 1]):
    # digit = (size / (8 s)) R(-theta) (canvas - shift / (size / 2)).
    k = size / (8 * s)
    rot = torch.stack([torch.stack([cos, sin], 1), torch.stack([-sin, cos], 1)], 1) * k[:, None, None]
    t = -(rot @ (shift / (size / 2))[:, :, None])
    grid = F.affine_grid(torch.cat([rot, t], 2).float(), (n, 1, size, size), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out.clamp(0, 1), y


def _split_seed(seed, split):
    """A generator seed for (seed, split), so that train and test draw different placements."""
    return int(seed) * 1009 + {"train": 1, "test": 2, "all": 3}[split]


def load(name="digits", split="train", **kwargs):
    """``load("digits" | "digits_canvas" | "mnist" | "fashion_mnist" | "cifar10" | "stl10", split)``
    -> (images, labels)."""
    if name == "digits":
        return digits(split, **kwargs)
    if name == "digits_canvas":
        return digits_canvas(split, **kwargs)
    from . import download

    loaders = {"mnist": download.mnist, "fashion_mnist": download.fashion_mnist,
               "cifar10": download.cifar10, "stl10": download.stl10}
    if name not in loaders:
        raise ValueError(f"unknown dataset {name!r}; choose from digits, digits_canvas, {', '.join(loaders)}")
    return loaders[name](split, **kwargs)


# --- 2-D Gaussian mixtures (GAN notebook) -------------------------------------------------

def ring_centers(modes=8, radius=2.0):
    """``modes`` points evenly spaced on a circle. (``linspace(0, 2*pi, modes)`` would repeat
    the first angle at 2*pi and give only ``modes - 1`` distinct centres.)"""
    angles = 2 * math.pi * torch.arange(modes, dtype=torch.float64) / modes
    return torch.stack([radius * angles.cos(), radius * angles.sin()], dim=1).float()


def grid_centers(side=5, spacing=2.0):
    """A ``side`` x ``side`` grid centred on the origin (5 x 5: coordinates -4, -2, 0, 2, 4)."""
    coords = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * spacing
    return torch.cartesian_prod(coords, coords)


def mixture(n, centers, std, generator=None):
    """``n`` samples from an equal-weight mixture of isotropic Gaussians at ``centers``."""
    which = torch.randint(len(centers), (n,), generator=generator)
    noise = torch.randn(n, centers.shape[1], generator=generator)
    return centers[which] + std * noise


def ring(n, modes=8, radius=2.0, std=0.02, generator=None):
    """The ring of 8 Gaussians (VEEGAN, unrolled GAN): radius 2, std 0.02."""
    return mixture(n, ring_centers(modes, radius), std, generator)


def grid(n, side=5, spacing=2.0, std=0.02, generator=None):
    """The grid of 25 Gaussians (VEEGAN): 5 x 5, spacing 2, std 0.02."""
    return mixture(n, grid_centers(side, spacing), std, generator)


def batches(x, y=None, batch_size=128, shuffle=True, seed=0):
    """A reusable iterable of minibatches over tensors (a lighter DataLoader for small data)."""
    return _Batches(x, y, batch_size, shuffle, seed)


class _Batches:
    def __init__(self, x, y, batch_size, shuffle, seed):
        self.x, self.y, self.batch_size, self.shuffle = x, y, batch_size, shuffle
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __iter__(self):
        n = len(self.x)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            yield self.x[idx] if self.y is None else (self.x[idx], self.y[idx])


def to_numpy(x):
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
