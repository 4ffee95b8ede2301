"""cu.data.digits_canvas: the self-supervised notebook's default data (05)."""

import pytest
import torch

import course_utils as cu


def test_deterministic_from_the_seed():
    a, ya = cu.data.digits_canvas("test", seed=3)
    b, yb = cu.data.digits_canvas("test", seed=3)
    c, _ = cu.data.digits_canvas("test", seed=4)
    assert torch.equal(a, b) and torch.equal(ya, yb)
    assert not torch.equal(a, c)


def test_shapes_labels_and_range():
    x, y = cu.data.digits_canvas("test", size=20, copies=2)
    _, y0 = cu.data.digits("test")
    assert x.shape == (2 * len(y0), 1, 20, 20) and x.dtype == torch.float32
    assert torch.equal(y, y0.repeat(2))
    assert x.min() >= 0 and x.max() <= 1


def test_ink_is_scaled_not_lost():
    """Bilinear resampling of a digit drawn s times larger keeps its ink times s^2, so a digit
    is never cut by the canvas edge; with scale fixed at 1 and no rotation the ink is unchanged."""
    x0, _ = cu.data.digits("test")
    x, _ = cu.data.digits_canvas("test", size=16, scale=(1.0, 1.0), rotation=0.0)
    ratio = x.sum((1, 2, 3)) / x0.sum((1, 2, 3))
    assert torch.allclose(ratio, torch.ones_like(ratio), atol=0.02)
    x, _ = cu.data.digits_canvas("test", size=24, scale=(1.5, 1.5), rotation=30.0)
    ratio = x.sum((1, 2, 3)) / x0.sum((1, 2, 3))
    assert ratio.min() > 1.5**2 * 0.97 and ratio.max() < 1.5**2 * 1.03


def test_positions_vary():
    x, _ = cu.data.digits_canvas("test")
    grid = torch.arange(24, dtype=torch.float32)
    mass = x.sum((1, 2, 3))
    cx = (x.sum((1, 2)) * grid).sum(1) / mass
    cy = (x.sum((1, 3)) * grid).sum(1) / mass
    assert cx.std() > 3 and cy.std() > 3  # centres spread over the canvas
    assert 2 < cx.min() and cx.max() < 21


def test_identity_placement_reproduces_the_digit():
    """size 8, scale 1, no rotation: the room to move is zero, so the canvas is the digit itself."""
    x0, _ = cu.data.digits("test")
    x, _ = cu.data.digits_canvas("test", size=8, scale=(1.0, 1.0), rotation=0.0)
    assert torch.allclose(x, x0, atol=1e-5)


def test_load_by_name():
    x, y = cu.data.load("digits_canvas", "test", size=16)
    assert x.shape[-2:] == (16, 16) and len(x) == len(y)
    with pytest.raises(ValueError):
        cu.data.load("imagenet")
