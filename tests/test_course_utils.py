"""course_utils: device, seeding, fast mode, cache, training loop, plots, embedded data."""
import os
import random
import sys

import matplotlib
import numpy as np
import pytest
import torch

import course_utils as cu
from course_utils import cache, fast

matplotlib.use("Agg")


# --- device ---------------------------------------------------------------------------------

def test_device_prefers_environment_override(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert cu.device() == torch.device("cpu")
    assert "forced" in cu.describe_device()


@pytest.mark.parametrize("files, quota", [
    ({"cpu.max": "max 100000\n"}, None),                       # cgroup v2, no limit
    ({"cpu.max": "150000 100000\n"}, 1),                       # v2: 1.5 CPUs -> 1 thread
    ({"cpu/cpu.cfs_quota_us": "200000", "cpu/cpu.cfs_period_us": "100000"}, 2),  # v1: 2 CPUs
    ({"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000"}, None),   # v1, no limit
    ({}, None),                                                 # no cgroup files at all
])
def test_usable_cpus_follows_the_cgroup_quota(tmp_path, files, quota):
    from course_utils.device import usable_cpus

    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    affinity = len(os.sched_getaffinity(0))
    assert usable_cpus(str(tmp_path)) == (affinity if quota is None else min(affinity, quota))


@pytest.fixture
def thread_env(monkeypatch):
    """course_utils.device with no thread variables set; torch's thread count restored after."""
    dev = sys.modules["course_utils.device"]  # the package's `device` is the function
    before = torch.get_num_threads()
    for var in ("COURSE_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    yield dev
    torch.set_num_threads(before)


def test_threads_default_to_one_within_the_cpu_quota(thread_env, monkeypatch):
    dev = thread_env
    monkeypatch.setattr(dev, "usable_cpus", lambda: 8)
    torch.set_num_threads(2)
    assert dev.DEFAULT_THREADS == 1 and dev.limit_threads() == 1 and torch.get_num_threads() == 1
    assert dev.thread_setting() == (1, "default")
    monkeypatch.setattr(dev, "DEFAULT_THREADS", 4)      # a default above the quota is capped
    monkeypatch.setattr(dev, "usable_cpus", lambda: 2)
    assert dev.limit_threads() == 2 and torch.get_num_threads() == 2


def test_course_threads_then_omp_num_threads_override(thread_env, monkeypatch):
    dev = thread_env
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert dev.limit_threads() == 2 and dev.thread_setting() == (2, "OMP_NUM_THREADS")
    monkeypatch.setenv("COURSE_THREADS", "3")           # the course's own setting wins
    assert dev.limit_threads() == 3 and torch.get_num_threads() == 3
    assert dev.thread_setting() == (3, "COURSE_THREADS")


def test_a_malformed_thread_setting_is_ignored_with_a_warning(thread_env, monkeypatch):
    dev = thread_env
    monkeypatch.setenv("COURSE_THREADS", "lots")
    with pytest.warns(UserWarning, match="COURSE_THREADS='lots'"):
        assert dev.thread_setting() == (1, "default")


def test_device_refuses_an_unavailable_accelerator(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        cu.device()


def test_device_falls_back_to_cpu(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert cu.device() == torch.device("cpu")


def test_autocast_is_a_no_op_on_cpu():
    with cu.autocast("cpu"):
        y = torch.ones(2, 2) @ torch.ones(2, 2)
    assert y.dtype == torch.float32


# --- seeding --------------------------------------------------------------------------------

def draw():
    return random.random(), float(np.random.rand()), float(torch.rand(1))


def test_seed_everything_makes_every_stream_repeat():
    cu.seed_everything(3)
    first = draw()
    cu.seed_everything(3)
    assert draw() == first
    cu.seed_everything(4)
    assert draw() != first


def test_seeded_block_restores_the_callers_streams():
    cu.seed_everything(5)
    expected = draw()
    cu.seed_everything(5)
    with cu.seeded(123):
        inside = draw()
    assert draw() == expected
    with cu.seeded(123):
        assert draw() == inside


# --- fast mode ------------------------------------------------------------------------------

@pytest.fixture
def reset_fast(monkeypatch):
    monkeypatch.delenv("COURSE_FAST", raising=False)
    monkeypatch.setattr(fast, "_fast", None)


def test_budget_follows_parameter_and_environment(reset_fast, monkeypatch):
    assert cu.budget(1000, 10) == 1000
    cu.set_fast(True)
    assert cu.budget(1000, 10) == 10
    cu.set_fast(False)
    assert cu.budget(1000, 10) == 1000
    monkeypatch.setenv("COURSE_FAST", "1")
    assert cu.set_fast(False) is True, "the environment (CI, grading) wins over FAST = False"
    assert cu.budget(1000, 10) == 10


# --- cache ----------------------------------------------------------------------------------

def test_cached_memoises_on_arguments_and_persists_to_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    calls = []

    @cu.cached
    def train(steps, weights):
        calls.append(steps)
        return {"w": weights * steps, "loss": [1.0, 0.5]}

    w = torch.ones(3)
    a = train(2, w)
    b = train(2, w)
    assert calls == [2] and torch.equal(a["w"], b["w"])
    train(3, w)
    assert calls == [2, 3], "a different argument retrains"
    train(2, w + 1)
    assert calls == [2, 3, 2], "a different tensor retrains"
    assert len(list(tmp_path.glob("train-*.pt"))) == 3
    cache._memory.clear()  # a new kernel: the disk cache answers
    again = train(2, w)
    assert calls == [2, 3, 2] and again["loss"] == [1.0, 0.5]


def test_cached_binds_arguments_so_one_run_is_trained_once(tmp_path, monkeypatch):
    """05's temperature study at 0.2 and its all-negatives group run are the same call, spelled
    differently: positional or keyword, a default given or left out."""
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    calls = []

    @cu.cached
    def train(steps, temperature=0.2, group=None):
        calls.append((steps, temperature, group))
        return {"w": torch.tensor([steps * temperature])}

    train(5)
    train(5, 0.2)
    train(steps=5, temperature=0.2, group=None)
    train(5, group=None)
    assert calls == [(5, 0.2, None)]
    train(5, temperature=0.05)
    assert calls[-1] == (5, 0.05, None) and len(calls) == 2
    try:
        train(5, tmperature=0.2)
    except TypeError:
        pass
    else:
        raise AssertionError("a misspelt argument must fail as the plain call would")


def test_cached_keeps_unstorable_results_in_memory_only(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))

    @cu.cached
    def build(width):
        return torch.nn.Linear(width, 1)

    assert build(4) is build(4)
    assert not list(tmp_path.iterdir())


def test_corrupt_cache_file_is_recomputed(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))

    @cu.cached
    def value(x):
        return torch.tensor([float(x)])

    value(1)
    cache._memory.clear()
    for f in tmp_path.glob("value-*.pt"):
        f.write_bytes(b"garbage")
    assert value(1).item() == 1.0


# --- training loop --------------------------------------------------------------------------

def test_train_fits_a_linear_regression():
    cu.seed_everything(0)
    x = torch.randn(256, 3)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 0.3
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    batches = cu.data.batches(x, y, batch_size=64)
    history = cu.train(lambda b: ((model(b[0]).squeeze(1) - b[1]) ** 2).mean(), opt, batches, steps=200,
                       device="cpu", progress=False)
    assert history["loss"][-1] < 1e-3 < history["loss"][0]
    assert history["step"][-1] == 199 and history["seconds"] > 0
    assert torch.allclose(model.weight.detach(), torch.tensor([[1.0, -2.0, 0.5]]), atol=0.02)


def test_train_accepts_a_sampler_and_logs_extra_values():
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)

    def loss_fn(batch):
        loss = (model(batch) ** 2).mean()
        return {"loss": loss, "weight_norm": model.weight.norm()}

    history = cu.train(loss_fn, opt, lambda: torch.randn(32, 2), steps=50, device="cpu", progress=False,
                       log_every=10)
    assert history["step"] == [0, 10, 20, 30, 40, 49]
    assert len(history["weight_norm"]) == 6 and history["loss"][-1] < history["loss"][0]


def test_to_device_moves_nested_batches():
    batch = {"x": torch.ones(1), "pair": (torch.zeros(1), [torch.ones(2)]), "label": "keep"}
    moved = cu.to_device(batch, torch.device("cpu"))
    assert moved["label"] == "keep" and moved["pair"][1][0].shape == (2,)


# --- plots ----------------------------------------------------------------------------------

def test_plots_draw_on_the_axes_they_return():
    import matplotlib.pyplot as plt

    ax = cu.image_grid(torch.rand(10, 1, 8, 8), nrow=5, title="grid")
    assert ax.images[0].get_array().shape == (2 * 9 + 1, 5 * 9 + 1)
    ax = cu.image_grid(torch.rand(4, 64), shape=(8, 8))
    assert ax.images
    ax = cu.density_2d(cu.data.ring(500), centers=cu.data.ring_centers())
    assert ax.collections
    ax = cu.latent_scatter(torch.randn(50, 2), torch.randint(0, 3, (50,)))
    assert ax.get_legend() is not None
    ax = cu.curves({"step": [0, 1], "loss": [2.0, 1.0], "seconds": 1.0})
    assert len(ax.lines) == 1
    plt.close("all")


# --- embedded data --------------------------------------------------------------------------

def test_digits_split_is_fixed_and_disjoint():
    xtr, ytr = cu.data.digits("train")
    xte, yte = cu.data.digits("test")
    assert xtr.shape == (1438, 1, 8, 8) and xte.shape == (359, 1, 8, 8)
    assert 0.0 <= xtr.min() and xtr.max() <= 1.0 and set(ytr.tolist()) == set(range(10))
    again, _ = cu.data.digits("train")
    assert torch.equal(xtr, again)
    assert len(xtr) + len(xte) == len(cu.data.digits("all")[0])
    binary, _ = cu.data.digits("test", binarize=True)
    assert set(binary.unique().tolist()) <= {0.0, 1.0}


def test_ring_has_eight_distinct_modes_not_seven():
    centers = cu.data.ring_centers(8, radius=2.0)
    distances = torch.cdist(centers, centers) + torch.eye(8) * 10
    assert distances.min() > 1.5, "two centres coincide (the linspace(0, 2 pi, 8) trap)"
    assert torch.allclose(centers.norm(dim=1), torch.full((8,), 2.0))


def test_grid_and_mixture_samples_sit_on_their_modes():
    centers = cu.data.grid_centers()
    assert centers.shape == (25, 2) and set(centers[:, 0].tolist()) == {-4.0, -2.0, 0.0, 2.0, 4.0}
    g = torch.Generator().manual_seed(0)
    x = cu.data.grid(5000, generator=g)
    nearest = torch.cdist(x, centers).min(dim=1)
    assert nearest.values.max() < 0.02 * 6
    counts = torch.bincount(nearest.indices, minlength=25)
    assert counts.min() > 100, "every mode gets samples"
    x2 = cu.data.ring(100, generator=torch.Generator().manual_seed(0))
    assert torch.equal(x2, cu.data.ring(100, generator=torch.Generator().manual_seed(0)))


def test_load_names_the_datasets_it_knows():
    x, y = cu.data.load("digits", "test")
    assert len(x) == len(y) == 359
    with pytest.raises(ValueError, match="unknown dataset"):
        cu.data.load("imagenet")
