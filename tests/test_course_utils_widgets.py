"""course_utils.widgets: the latent explorer (02) and the latent traversal (03)."""
import os

import matplotlib

matplotlib.use("Agg")

import torch  # noqa: E402

import course_utils as cu  # noqa: E402


class Recorder:
    """A fake decoder that remembers the codes it was asked to decode."""

    def __init__(self, pixels=64):
        self.calls, self.pixels = [], pixels

    def __call__(self, z):
        self.calls.append(z.clone())
        return torch.sigmoid(z.sum(1, keepdim=True)).expand(len(z), self.pixels)


def sliders(widget):
    return {c.description: c for c in widget.children if hasattr(c, "min")}


def test_latent_explorer_decodes_the_slider_position():
    decode = Recorder()
    codes = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))
    widget = cu.widgets.latent_explorer(decode, codes, torch.arange(200) % 10, (1, 8, 8))
    s = sliders(widget)
    assert set(s) == {"z1", "z2"}
    assert s["z1"].min < codes[:, 0].min().item() and s["z1"].max > codes[:, 0].max().item()
    s["z1"].value, s["z2"].value = 0.5, -0.25
    assert torch.allclose(decode.calls[-1], torch.tensor([[0.5, -0.25]]))


def test_latent_explorer_accepts_limits_and_other_image_sizes():
    decode = Recorder(pixels=28 * 28)
    widget = cu.widgets.latent_explorer(decode, torch.zeros(5, 2), image_shape=(1, 28, 28), lim=[(-3, 3), (-2, 2)])
    s = sliders(widget)
    assert (s["z1"].min, s["z1"].max, s["z2"].min, s["z2"].max) == (-3, 3, -2, 2)
    assert decode.calls and decode.calls[-1].shape == (1, 2)


def test_latent_traversal_has_one_slider_per_dimension():
    decode = Recorder()
    z = torch.tensor([0.1, -0.2, 5.0])
    widget = cu.widgets.latent_traversal(decode, z, (1, 8, 8), lim=3.0)
    s = sliders(widget)
    assert list(s) == ["z1", "z2", "z3"]
    assert s["z3"].value == 3.0                      # clipped into [-lim, lim]
    s["z2"].value = 1.5
    assert torch.allclose(decode.calls[-1], torch.tensor([[0.1, 1.5, 3.0]]))


# --- the view: a PNG image, redrawn when a control moves ------------------------------------

import inspect  # noqa: E402
import textwrap  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402

from autograder import paths  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def test_the_view_is_a_png_that_changes_when_a_slider_moves():
    widget = cu.widgets.latent_explorer(Recorder(), torch.randn(50, 2), None, (1, 8, 8))
    first = bytes(widget.view.image.value)
    assert first.startswith(PNG)
    sliders(widget)["z1"].value = sliders(widget)["z1"].max
    assert bytes(widget.view.image.value).startswith(PNG) and bytes(widget.view.image.value) != first


def test_interact_builds_controls_from_abbreviations_and_defaults():
    seen = []

    def draw(mu=1.0, kind="a"):
        seen.append((mu, kind))
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, mu])
        plt.show()                       # harmless: the widget shows the figure itself

    open_before = plt.get_fignums()
    widget = cu.widgets.interact(draw, mu=(-2.0, 2.0, 0.5), kind=["a", "b"])
    mu, kind = widget.controls["mu"], widget.controls["kind"]
    assert (mu.min, mu.max, mu.step, mu.value, mu.description) == (-2.0, 2.0, 0.5, 1.0, "mu")
    assert mu.continuous_update is False and kind.value == "a"
    assert seen == [(1.0, "a")] and plt.get_fignums() == open_before      # drawn once, figure closed
    kind.value = "b"
    assert seen[-1] == (1.0, "b")


def test_a_failing_redraw_is_shown_under_the_image_and_the_first_one_raises():
    def draw(x=0):
        if x > 0:
            raise ZeroDivisionError("x must stay at 0")
        plt.subplots()

    widget = cu.widgets.interact(draw, x=(0, 3))
    widget.controls["x"].value = 2
    assert "ZeroDivisionError" in widget.view.error.value and "x must stay at 0" in widget.view.error.value
    widget.controls["x"].value = 0
    assert widget.view.error.value == ""
    with pytest.raises(ZeroDivisionError):
        cu.widgets.interact(draw, x=(1, 3))
    assert plt.get_fignums() == []


@pytest.mark.parametrize("figures", [0, 2])
def test_draw_must_make_exactly_one_figure(figures):
    def draw():
        for _ in range(figures):
            plt.figure()

    with pytest.raises(ValueError, match=f"exactly one figure.*created {figures}"):
        cu.widgets.figure_png(draw)
    assert plt.get_fignums() == []


# --- safe under papermill / nbclient --------------------------------------------------------

def shell_messages_from_nbclient(cells):
    """Run ``cells`` in a fresh kernel through nbclient (as papermill does), with the inline
    matplotlib backend, and count the messages nbclient's Output-widget mimic sends on the
    kernel's shell socket while it waits there for the cell's reply. Each such message can
    swallow the wake-up for that reply (jupyter_client sends through a non-asyncio shadow of the
    asyncio socket), so that the run sits idle until the cell's timeout: the hang seen at
    02's latent_explorer and 03's latent_traversal, 3 times in 10 runs on a loaded machine."""
    from nbclient import NotebookClient, output_widget

    sent = []
    original = output_widget.OutputWidget.send

    def counting_send(self, *args, **kwargs):
        sent.append(args)
        return original(self, *args, **kwargs)

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(textwrap.dedent(c)) for c in cells])
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(paths.ROOT)}})
    output_widget.OutputWidget.send = counting_send
    try:
        client.execute(env={**os.environ, "MPLBACKEND": "module://matplotlib_inline.backend_inline"})
    finally:
        output_widget.OutputWidget.send = original
    return len(sent), nb


WIDGET_CELLS = ["""
    import torch, matplotlib.pyplot as plt, course_utils as cu
    decode = lambda z: torch.sigmoid(z @ torch.ones(z.shape[1], 64))
    """,
    "cu.widgets.latent_explorer(decode, torch.randn(300, 2), torch.arange(300) % 10, (1, 8, 8))",
    "cu.widgets.latent_traversal(decode, torch.randn(4), (1, 8, 8))",
    """
    def draw(mu=0.0):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, mu])
        plt.show()

    cu.widgets.interact(draw, mu=(-1.0, 1.0))
    """]


@pytest.mark.xdist_group("nbclient-widgets")
def test_course_widgets_send_nothing_on_the_shell_socket_under_nbclient():
    sent, nb = shell_messages_from_nbclient(WIDGET_CELLS)
    assert sent == 0, f"nbclient sent {sent} shell messages while cells ran: a widget captured output"
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    images = [m for m in state.values() if m["model_name"] == "ImageModel"]
    assert len(images) == 3 and not [m for m in state.values() if m["model_name"] == "OutputModel"]


@pytest.mark.xdist_group("nbclient-widgets")
def test_the_harness_sees_the_hazard_of_ipywidgets_interact():
    """The control: ipywidgets.interact (what the notebooks used before) makes nbclient send."""
    sent, _ = shell_messages_from_nbclient([WIDGET_CELLS[0], """
        import ipywidgets
        def draw(mu=0.0):
            fig, ax = plt.subplots()
            ax.plot([0, 1], [0, mu])
            plt.show()

        ipywidgets.interact(draw, mu=(-1.0, 1.0));
        """])
    assert sent > 0


def test_notebooks_make_interactive_figures_only_with_cu_widgets():
    """ipywidgets' interact/interactive/interactive_output and Output capture output in the
    kernel (the hazard above); every notebook's interactive figure goes through cu.widgets."""
    banned = ("widgets.interact(", "widgets.interactive(", "widgets.interactive_output(", "widgets.Output(",
              "from ipywidgets import interact", "ipywidgets.interact")
    for path in sorted(paths.SOLUTIONS.glob("*.ipynb")):
        for cell in nbformat.read(path, 4).cells:
            if cell.cell_type == "code":
                source = cell.source.replace("cu.widgets.", "cu.w.")
                found = [b for b in banned if b in source]
                assert not found, f"{path.name}: {found} in\n{cell.source[:300]}"


def test_the_module_explains_the_hazard():
    assert "execute_reply" in inspect.getdoc(cu.widgets)
