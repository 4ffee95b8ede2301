"""Interactive latent-space figures (ipywidgets): move through a latent space, see the decoding.

``latent_explorer`` is introduced in 02_autoencoders (a point in a 2-D latent plane) and
reused in 03_vae; ``latent_traversal`` (one slider per latent dimension) in 03_vae.
``decode`` is any function from codes (n, d) to images (n, ...); it runs under ``no_grad``.
"""
import matplotlib.pyplot as plt
import numpy as np
import torch

from .plot import _numpy, latent_scatter


def _decoded(decode, z, image_shape):
    with torch.no_grad():
        out = decode(torch.as_tensor(np.asarray(z, dtype=np.float32)).reshape(1, -1))
    return _numpy(out).reshape(image_shape[-2:])


def latent_explorer(decode, codes, labels=None, image_shape=(8, 8), lim=None, step=0.05):
    """Two sliders place a point ``(z1, z2)`` on the map of ``codes`` (n, 2); the right panel
    shows ``decode`` of that point. Returns the widget (display it, or let Jupyter do it)."""
    import ipywidgets as widgets

    c = _numpy(codes)
    lim = lim or [(float(c[:, i].min()) - 0.5, float(c[:, i].max()) + 0.5) for i in range(2)]
    start = np.median(c, axis=0)

    def draw(z1, z2):
        fig, (ax_map, ax_img) = plt.subplots(1, 2, figsize=(8, 3.8), width_ratios=(1.4, 1))
        latent_scatter(c, labels, ax=ax_map, s=4)
        ax_map.scatter([z1], [z2], marker="*", s=250, c="k", edgecolors="w", zorder=3)
        ax_map.set(xlim=lim[0], ylim=lim[1], title="latent map: move the star")
        ax_img.imshow(_decoded(decode, [z1, z2], image_shape), cmap="gray", vmin=0, vmax=1)
        ax_img.set_axis_off()
        ax_img.set_title(f"decode(({z1:.2f}, {z2:.2f}))")
        plt.show()

    sliders = {name: widgets.FloatSlider(value=float(start[i]), min=lim[i][0], max=lim[i][1], step=step,
                                         description=name, continuous_update=False)
               for i, name in enumerate(("z1", "z2"))}
    return widgets.interactive(draw, **sliders)


def latent_traversal(decode, z, image_shape=(8, 8), lim=3.0, step=0.1):
    """One slider per coordinate of the code ``z`` (d,), each in ``[-lim, lim]``; shows
    ``decode(z)`` as the sliders move. Returns the widget."""
    import ipywidgets as widgets

    z = _numpy(z).reshape(-1)

    def draw(**values):
        code = [values[f"z{i + 1}"] for i in range(len(z))]
        fig, ax = plt.subplots(figsize=(2.6, 2.6))
        ax.imshow(_decoded(decode, code, image_shape), cmap="gray", vmin=0, vmax=1)
        ax.set_axis_off()
        ax.set_title("decode(z)")
        plt.show()

    sliders = {f"z{i + 1}": widgets.FloatSlider(value=float(np.clip(v, -lim, lim)), min=-lim, max=lim, step=step,
                                                description=f"z{i + 1}", continuous_update=False)
               for i, v in enumerate(z)}
    return widgets.interactive(draw, **sliders)
