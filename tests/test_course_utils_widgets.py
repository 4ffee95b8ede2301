"""course_utils.widgets: the latent explorer (02) and the latent traversal (03)."""
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
