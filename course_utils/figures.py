"""Figure sanity: every figure a notebook draws is finite, has data, a title and axis labels.

``problems(fig)`` lists what is wrong with one matplotlib figure, in words. When the kernel's
environment has ``COURSE_FIGURE_REPORT=<file>`` (``autograder.demo.execute_solution`` sets
it, so CI checks every solution notebook), ``import course_utils`` installs an IPython
``post_run_cell`` hook that checks the figures each cell leaves open, closes them (as the
inline backend does once it has shown them) and appends one JSON line per cell with problems
to that file: ``{"cell_id": ..., "execution_count": ..., "problems": [...]}``.

The rules, for every visible axes other than a colorbar:
* it shows data (a line, an image, a collection such as a scatter or a filled area, a patch);
* every value drawn is finite (no NaN or inf in a line, an image, a collection or a patch);
* it has a title (or the figure has a suptitle);
* an axis that shows tick labels has a label, unless an axes it is shared with has one.
"""
import json
import os
import sys

import numpy as np

ENV = "COURSE_FIGURE_REPORT"


def problems(fig):
    """What is wrong with ``fig``, one sentence per problem ([] if nothing)."""
    axes = [ax for ax in fig.axes if ax.get_visible() and not hasattr(ax, "_colorbar")]
    if not axes:
        return ["the figure has no axes"]
    suptitle = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
    found = []
    for i, ax in enumerate(axes):
        title = " ".join(t for t in (ax.get_title(loc) for loc in ("left", "center", "right")) if t).replace("\n", " / ")
        name = f"axes {i + 1} of {len(axes)}" + (f" ('{title}')" if title else "")
        found += [f"{name}: {p}" for p in _axes_problems(ax, title or suptitle)]
    return found


def _axes_problems(ax, title):
    out = []
    artists = [*ax.lines, *ax.images, *ax.collections, *ax.patches]
    if not artists:
        out.append("no data drawn (an empty panel)")
    for artist in artists:
        if not _finite(artist):
            label = artist.get_label()
            label = f" '{label}'" if label and not label.startswith("_") else ""
            out.append(f"{type(artist).__name__}{label} has NaN or infinite values")
    out = list(dict.fromkeys(out))             # one line per kind of artist (a bar chart has many bars)
    if not title:
        out.append("no title")
    for axis, letter in ((ax.xaxis, "x"), (ax.yaxis, "y")):
        if _shows_ticks(ax, axis) and not _label(ax, letter):
            out.append(f"no {letter}-axis label")
    return out


def _finite(artist):
    from matplotlib.collections import Collection
    from matplotlib.image import AxesImage
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if isinstance(artist, Line2D):
        arrays = [artist.get_xydata()]
    elif isinstance(artist, AxesImage):
        arrays = [np.ma.getdata(artist.get_array())]   # imshow masks NaN, but keeps it under the mask
    elif isinstance(artist, Collection):       # scatter, filled areas, contours, meshes, quiver arrows
        arrays = [artist.get_offsets(), artist.get_array(), getattr(artist, "Umask", None)]
        arrays += [path.vertices for path in artist.get_paths()]
    elif isinstance(artist, Patch):            # bars, circles, polygons, in data coordinates
        arrays = [artist.get_patch_transform().transform(artist.get_path().vertices)]
    else:
        return True
    for a in arrays:
        if a is None:
            continue
        if a is getattr(artist, "Umask", None):   # quiver replaces NaN arrows by 1 and remembers them here
            if np.any(a):
                return False
            continue
        if np.ma.isMaskedArray(a):             # quiver and meshes mask what is NaN
            if np.ma.getmaskarray(a).any():
                return False
            a = np.ma.getdata(a)
        a = np.asarray(a)
        if a.dtype.kind in "fc" and not np.isfinite(a).all():
            return False
    return True


def _shows_ticks(ax, axis):
    """True if the axis prints tick labels (a panel with ``xticks=[]`` or hidden labels needs no axis label)."""
    return ax.axison and axis.get_visible() and any(
        t.label1.get_visible() or t.label2.get_visible() for t in axis.get_major_ticks())


def _label(ax, letter):
    siblings = (ax.get_shared_x_axes() if letter == "x" else ax.get_shared_y_axes()).get_siblings(ax)
    return any((a.get_xlabel() if letter == "x" else a.get_ylabel()) for a in siblings)


# --- the hook -----------------------------------------------------------------------------

def check_open_figures(report_path, result=None):
    """Check, then close, every open figure; append the problems to ``report_path``."""
    if "matplotlib.pyplot" not in sys.modules:
        return
    import matplotlib.pyplot as plt

    found = []
    for number in plt.get_fignums():
        fig = plt.figure(number)
        found += [f"figure {number}: {p}" for p in problems(fig)]
    plt.close("all")
    if found:
        info = getattr(result, "info", None)
        entry = {"cell_id": getattr(info, "cell_id", None),
                 "execution_count": getattr(result, "execution_count", None), "problems": found}
        with open(report_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")


def install_from_env():
    """Check every cell's figures if ``COURSE_FIGURE_REPORT`` names a report file (papermill runs)."""
    path = os.environ.get(ENV)
    if not path or "IPython" not in sys.modules:
        return
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or getattr(shell, "_course_figure_check", None) == path:
        return
    shell._course_figure_check = path
    shell.events.register("post_run_cell", lambda result: check_open_figures(path, result))
