"""cu.progress: the course's progress bar finishes however its loop ends normally (04's GAN
loops end with `break`, which left tqdm's Jupyter bars red at "98% 40/41")."""
import gc

import pytest
from tqdm import notebook as tqdm_notebook

import course_utils as cu

train_module = __import__("course_utils.train", fromlist=["tqdm"])


@pytest.fixture
def jupyter_bars(monkeypatch):
    """cu.progress draws tqdm's Jupyter (ipywidgets) bars, as in a notebook."""
    monkeypatch.setattr(train_module, "tqdm", tqdm_notebook.tqdm)
    monkeypatch.delenv("TQDM_DISABLE", raising=False)


def bar_style(bar):
    return bar.container.children[1].bar_style


def gan_loop(bar_over, steps=40):
    """The shape of 04's train_gan: snapshots at steps 0..steps, a training step in between."""
    seen = []
    for step in bar_over(range(steps + 1)):
        seen.append(step)
        if step == steps:
            break
    return seen


def test_a_loop_left_with_break_finishes_its_bar(jupyter_bars):
    made = []
    seen = gan_loop(lambda it: made.append(cu.progress(it, desc="GAN")) or made[-1])
    bar = made[0].bar
    assert seen == list(range(41))
    assert bar.n == bar.total == 40 and bar.disable          # closed, complete
    assert bar_style(bar) != "danger"


def test_tqdm_alone_leaves_that_bar_red(jupyter_bars):
    """The control: the same loop over tqdm's own Jupyter bar ends red (what students saw)."""
    made = []
    gan_loop(lambda it: made.append(tqdm_notebook.tqdm(it, leave=False)) or made[-1])
    gc.collect()
    made[0].close()
    assert made[0].n == 40 and made[0].total == 41 and bar_style(made[0]) == "danger"


def test_a_complete_loop_and_the_training_loop_finish(jupyter_bars):
    bar = cu.progress(range(5), desc="five")
    assert list(bar) == [0, 1, 2, 3, 4] and bar.bar.n == bar.bar.total == 5 and bar.bar.disable
    import torch

    w = torch.zeros(1, requires_grad=True)
    history = cu.train(lambda b: (w - 1).pow(2).sum(), torch.optim.SGD([w], lr=0.1), lambda: None, 20, device="cpu")
    assert history["step"][-1] == 19


def test_progress_can_be_switched_off(monkeypatch):
    assert cu.progress(range(3), enabled=False).bar.disable
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert cu.progress(range(3)).bar.disable
