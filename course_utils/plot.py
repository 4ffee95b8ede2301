"""Figures used across the notebooks: image grids, 2-D densities, latent scatters, curves.

Importing course_utils turns on matplotlib's constrained layout for every figure: panels, their
titles, axis labels and the legends placed beside them (``legend_outside``) get room of their
own instead of running into their neighbours.
"""
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

plt.rcParams["figure.constrained_layout.use"] = True


def _numpy(x):
    if isinstance(x, torch.Tensor):
        return x.detach().float().cpu().numpy()
    return np.asarray(x)


def image_grid(images, nrow=None, shape=None, ax=None, title=None, cmap="gray", pad=1):
    """Tile images into one picture. ``images``: (N, H, W), (N, C, H, W) or (N, D) with ``shape``."""
    x = _numpy(images)
    if shape is not None:
        x = x.reshape(len(x), *shape)
    if x.ndim == 3:
        x = x[:, None]
    n, c, h, w = x.shape
    nrow = nrow or math.ceil(math.sqrt(n))
    ncol = math.ceil(n / nrow)
    canvas = np.ones((c, ncol * (h + pad) + pad, nrow * (w + pad) + pad), dtype=np.float32)
    for i in range(n):
        r, k = divmod(i, nrow)
        top, left = pad + r * (h + pad), pad + k * (w + pad)
        canvas[:, top:top + h, left:left + w] = x[i]
    ax = ax or plt.subplots(figsize=(min(12, 0.6 * nrow + 1), min(12, 0.6 * ncol + 1)))[1]
    if c == 1:
        ax.imshow(canvas[0], cmap=cmap, vmin=0, vmax=1)
    else:
        ax.imshow(np.clip(canvas.transpose(1, 2, 0), 0, 1))
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def density_2d(samples, ax=None, bins=100, lim=None, title=None, cmap="magma", centers=None):
    """A 2-D histogram of samples (N, 2), optionally with the mixture's centres as crosses."""
    x = _numpy(samples)
    lim = lim or float(np.abs(x).max()) * 1.05
    ax = ax or plt.subplots(figsize=(4, 4))[1]
    ax.hist2d(x[:, 0], x[:, 1], bins=bins, range=[[-lim, lim], [-lim, lim]], cmap=cmap)
    if centers is not None:
        c = _numpy(centers)
        ax.scatter(c[:, 0], c[:, 1], marker="x", color="cyan", s=30, linewidths=1)
    ax.set(aspect="equal", xticks=[], yticks=[])
    if title:
        ax.set_title(title)
    return ax


def legend_outside(ax, **kwargs):
    """The axes' legend to the right of the plot, where it cannot cover data."""
    return ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, frameon=False, **kwargs)


def latent_scatter(z, labels=None, ax=None, title=None, s=6, legend=True):
    """A 2-D latent map coloured by class (the first two coordinates of ``z``); the class
    legend sits to the right of the map (``legend=False``: none, e.g. for all but one panel)."""
    z = _numpy(z)
    ax = ax or plt.subplots(figsize=(5.6, 5))[1]
    colours = {} if labels is None else {"c": _numpy(labels), "cmap": "tab10"}
    sc = ax.scatter(z[:, 0], z[:, 1], s=s, alpha=0.8, **colours)
    if labels is not None and legend:
        handles, names = sc.legend_elements()
        legend_outside(ax, handles=handles, labels=names, fontsize="small", markerscale=0.8, title="class")
    ax.set(xlabel="$z_1$", ylabel="$z_2$")
    if title:
        ax.set_title(title)
    return ax


def curves(history, keys=None, ax=None, title=None, logy=False):
    """Plot logged values from ``cu.train``'s history against the step (legend beside the plot)."""
    ax = ax or plt.subplots(figsize=(6, 3))[1]
    for key in keys or [k for k in history if k not in ("step", "seconds")]:
        ax.plot(history["step"], history[key], label=key)
    ax.set(xlabel="step", yscale="log" if logy else "linear")
    legend_outside(ax)
    if title:
        ax.set_title(title)
    return ax
