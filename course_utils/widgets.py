"""Interactive figures (ipywidgets): move a control, the matplotlib figure redraws.

``interact(draw, **controls)`` is the building block (introduced in 01's divergence
playground): ``draw(**values)`` draws one figure with pyplot; the widget shows it as an image and
redraws it whenever a control moves. Controls are ipywidgets or the abbreviations of
``ipywidgets.interact`` (``mu=(-4.0, 4.0, 0.1)`` is a slider). ``interactive_output(draw,
{name: control})`` is the same view for controls you lay out yourself (04's snapshot viewer).
``latent_explorer`` (02, 03: a point in a 2-D latent plane) and ``latent_traversal`` (03: one
slider per latent dimension) are built on them; their ``decode`` is any function from codes
(n, d) to images (n, ...), run under ``no_grad``.

Why not ``ipywidgets.interact``: it prints the figure into an ``Output`` widget. When a notebook
runs under papermill or nbclient (CI, ``make demo``, every solution test), nbclient plays the
part of the browser for that widget: each output captured there makes it send a message on
the kernel's shell socket, while it is waiting on that same socket for the cell's
``execute_reply``. jupyter_client sends through a plain, non-asyncio shadow of the asyncio socket,
and that send consumes libzmq's edge-triggered "readable" signal: when the reply arrives
during the send, nothing wakes the waiting coroutine, and the run sits idle until the cell
timeout (forever without one), the kernel long finished. Here the figure is the ``value`` of an
``Image`` widget: widget state, not captured output, so nbclient never sends anything.
"""
import contextlib
import html
import inspect
import io
import traceback

import matplotlib.pyplot as plt
import numpy as np
import torch

from .plot import _numpy, latent_scatter


def figure_png(draw, values=None):
    """Call ``draw(**values)``, which must make exactly one new pyplot figure, and return that
    figure as PNG bytes (at the notebook's figure resolution). The figure is closed; a
    ``plt.show()`` inside ``draw`` displays nothing."""
    before = set(plt.get_fignums())
    try:
        with _no_show():
            draw(**(values or {}))
    except BaseException:
        _close_new(before)
        raise
    new = [n for n in plt.get_fignums() if n not in before]
    if len(new) != 1:
        _close_new(before)
        raise ValueError(f"{getattr(draw, '__name__', 'draw')}() must create exactly one figure "
                         f"(fig, ax = plt.subplots(...)); it created {len(new)}")
    fig = plt.figure(new[0])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def interactive_output(draw, controls):
    """An image of ``draw(**{name: control value})``, redrawn whenever a control in
    ``controls`` ({name: widget}) changes. Returns a VBox (the image, then a line for errors)
    with ``.image`` and ``.redraw()``. An error while redrawing is shown under the image; the
    first drawing raises as usual."""
    import ipywidgets as widgets

    # at its own size (a VBox would stretch it to the full width), never wider than the page
    image = widgets.Image(format="png", layout=widgets.Layout(align_self="flex-start", max_width="100%"))
    error = widgets.HTML()
    box = widgets.VBox([image, error])

    def redraw(change=None):
        values = {name: _value(c) for name, c in controls.items()}
        try:
            image.value = figure_png(draw, values)
            error.value = ""
        except Exception:
            if change is None:  # the first drawing, in the cell: fail like any cell
                raise
            text = "".join(traceback.format_exc(limit=-4))
            error.value = f"<pre style='color: #b00'>{html.escape(text)}</pre>"

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    box.image, box.error, box.redraw = image, error, redraw
    return box


def interact(draw, **controls):
    """Controls (one per keyword; ipywidgets or ``ipywidgets.interact`` abbreviations, whose
    initial value is ``draw``'s default for that argument) above the image of
    ``draw(**values)``. Sliders made from abbreviations redraw when released. Returns a VBox
    whose children are the controls then the view; ``.controls`` maps names to controls."""
    import ipywidgets as widgets

    params = inspect.signature(draw).parameters
    made = {}
    for name, abbrev in controls.items():
        default = params[name].default if name in params else inspect.Parameter.empty
        control = widgets.interactive.widget_from_abbrev(abbrev, default)
        if control is None:
            raise ValueError(f"{name}={abbrev!r}: not a widget or an abbreviation of one")
        if not isinstance(abbrev, widgets.Widget):
            control.description = name
            if hasattr(control, "continuous_update"):
                control.continuous_update = False
        made[name] = control
    view = interactive_output(draw, made)
    box = widgets.VBox([*made.values(), view])
    box.controls, box.view = made, view
    return box


def latent_explorer(decode, codes, labels=None, image_shape=(8, 8), lim=None, step=0.05):
    """Two sliders place a point ``(z1, z2)`` on the map of ``codes`` (n, 2); the right panel
    shows ``decode`` of that point. Returns the widget (display it, or let Jupyter do it)."""
    import ipywidgets as widgets

    c = _numpy(codes)
    lim = lim or [(float(c[:, i].min()) - 0.5, float(c[:, i].max()) + 0.5) for i in range(2)]
    start = np.median(c, axis=0)

    def draw(z1, z2):
        fig, (ax_map, ax_img) = plt.subplots(1, 2, figsize=(9, 3.8), width_ratios=(1.4, 1))
        latent_scatter(c, labels, ax=ax_map, s=4)
        ax_map.scatter([z1], [z2], marker="*", s=250, c="k", edgecolors="w", zorder=3)
        ax_map.set(xlim=lim[0], ylim=lim[1], title="latent map: move the star")
        ax_img.imshow(_decoded(decode, [z1, z2], image_shape), cmap="gray", vmin=0, vmax=1)
        ax_img.set_axis_off()
        ax_img.set_title(f"decode(({z1:.2f}, {z2:.2f}))")

    sliders = {name: widgets.FloatSlider(value=float(start[i]), min=lim[i][0], max=lim[i][1], step=step,
                                         description=name, continuous_update=False)
               for i, name in enumerate(("z1", "z2"))}
    return interact(draw, **sliders)


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

    sliders = {f"z{i + 1}": widgets.FloatSlider(value=float(np.clip(v, -lim, lim)), min=-lim, max=lim, step=step,
                                                description=f"z{i + 1}", continuous_update=False)
               for i, v in enumerate(z)}
    return interact(draw, **sliders)


def _decoded(decode, z, image_shape):
    with torch.no_grad():
        out = decode(torch.as_tensor(np.asarray(z, dtype=np.float32)).reshape(1, -1))
    return _numpy(out).reshape(image_shape[-2:])


def _value(control):
    return control.get_interact_value() if hasattr(control, "get_interact_value") else control.value


def _close_new(before):
    for n in plt.get_fignums():
        if n not in before:
            plt.close(n)


@contextlib.contextmanager
def _no_show():
    """``plt.show()`` does nothing inside (the widget shows the figure itself)."""
    show = plt.show
    plt.show = lambda *args, **kwargs: None
    try:
        yield
    finally:
        plt.show = show
