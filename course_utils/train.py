"""A small training loop with a progress bar, an optional live loss plot and mixed precision.

Introduced in the autoencoder notebook; used by every notebook that trains something.
``progress`` is the course's progress bar, for loops that do not fit ``train`` (04's GANs).
"""
import contextlib
import itertools
import os
import time

import torch
from tqdm.auto import tqdm

from .device import autocast, device as default_device


def train(loss_fn, optimizer, batches, steps, *, device=None, progress=True, plot=False,
          desc="training", log_every=None, amp=True):
    """Run ``steps`` optimisation steps and return the history of logged values.

    loss_fn(batch) -> a scalar loss, or a dict with a "loss" entry and other numbers to log.
    optimizer      -> a ``torch.optim`` optimizer over the parameters to train.
    batches        -> an iterable of batches (cycled as often as needed) or a function that
                      returns a fresh batch (e.g. ``lambda: cu.data.ring(256)``).
    plot           -> redraw a loss plot every ``log_every`` steps (in Jupyter).

    The batch is moved to ``device`` (default ``cu.device()``); on CUDA the forward pass runs
    under autocast (``amp=True``) with a gradient scaler for float16.
    """
    dev = torch.device(device or default_device())
    log_every = log_every or max(1, steps // 50)
    source = _batch_source(batches)
    use_amp = amp and dev.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and not torch.cuda.is_bf16_supported())
    history = {"step": []}
    live = LossPlot(desc) if plot else None
    start = time.perf_counter()
    bar = Progress(range(steps), desc=desc, enabled=progress)
    for step in bar:
        batch = to_device(next(source), dev)
        with autocast(dev) if use_amp else contextlib.nullcontext():
            out = loss_fn(batch)
        logs = out if isinstance(out, dict) else {"loss": out}
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(logs["loss"]).backward()
        scaler.step(optimizer)
        scaler.update()
        if step % log_every == 0 or step == steps - 1:
            history["step"].append(step)
            for name, value in logs.items():
                history.setdefault(name, []).append(float(value.detach() if torch.is_tensor(value) else value))
            bar.set_postfix(loss=f"{history['loss'][-1]:.4g}")
            if live:
                live.update(history)
    history["seconds"] = time.perf_counter() - start
    return history


def progress(iterable, desc=None, total=None, enabled=True):
    """A progress bar over ``iterable`` that finishes however the loop ends normally:
    ``for step in cu.progress(range(steps + 1), desc="GAN"): ... if step == steps: break``.

    tqdm counts a loop left with ``break`` as unfinished (a red "98% 40/41" bar in Jupyter);
    here a ``break`` ends the bar like the last item does, and the finished bar goes away.
    ``enabled=False``, or ``TQDM_DISABLE=1`` in the environment, shows nothing.
    """
    return Progress(iterable, desc, total, enabled)


class Progress:
    """What ``progress`` returns: iterate over it; ``set_postfix(loss=...)`` labels the bar."""

    def __init__(self, iterable, desc=None, total=None, enabled=True):
        if total is None and hasattr(iterable, "__len__"):
            total = len(iterable)
        self.iterable = iterable
        self.bar = tqdm(total=total, desc=desc, leave=False,
                        disable=not enabled or os.environ.get("TQDM_DISABLE") == "1")

    def __iter__(self):
        try:
            for item in self.iterable:
                yield item
                self.bar.update()
        except GeneratorExit:  # the loop stopped early (break): that is an end too
            pass
        finally:
            self.close()

    def set_postfix(self, **values):
        self.bar.set_postfix(**values)

    def close(self):
        """End the bar at the count reached, as finished."""
        if self.bar.total is not None and self.bar.n < self.bar.total:
            self.bar.total = self.bar.n
        self.bar.close()


def to_device(batch, dev):
    """Move a tensor, or a tuple/list/dict of tensors, to ``dev``."""
    if isinstance(batch, torch.Tensor):
        return batch.to(dev, non_blocking=True)
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(b, dev) for b in batch)
    if isinstance(batch, dict):
        return {k: to_device(v, dev) for k, v in batch.items()}
    return batch


def _batch_source(batches):
    if callable(batches):
        return iter(batches, object())  # call forever
    return itertools.chain.from_iterable(itertools.repeat(batches))


class LossPlot:
    """A loss curve redrawn in place in the notebook (``cu.train(..., plot=True)``)."""

    def __init__(self, title="training"):
        import matplotlib.pyplot as plt
        from IPython.display import display

        self.fig, self.ax = plt.subplots(figsize=(5, 3))
        self.title = title
        self.handle = display(self.fig, display_id=True)
        plt.close(self.fig)

    def update(self, history):
        self.ax.clear()
        for name, values in history.items():
            if name not in ("step", "seconds"):
                self.ax.plot(history["step"], values, label=name)
        self.ax.set(xlabel="step", title=self.title)
        self.ax.legend(loc="upper right")
        if self.handle is not None:
            self.handle.update(self.fig)
