"""Seeding and determinism (every notebook's set-up cell calls ``cu.seed_everything``)."""
import contextlib
import os
import random

import numpy as np
import torch


def seed_everything(seed=0, deterministic=True):
    """Seed Python, NumPy and PyTorch (all devices); optionally ask for deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds CUDA and MPS generators
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
    return seed


@contextlib.contextmanager
def seeded(seed=0):
    """Run a block with fixed seeds, then restore every random state as it was.

    The checks use it so that checking your answer does not change your own random streams.
    """
    py_state, np_state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        try:
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)
