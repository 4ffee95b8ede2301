"""cu.from_notebook: a notebook reuses another notebook's functions without running it (06 reuses
the student's 03 VAE and 05 probe); it fails with a clear reason when that notebook is absent."""
import inspect

import matplotlib
import nbformat
import pytest
import torch

import course_utils as cu
from autograder import paths

matplotlib.use("Agg")


def notebook(folder, *sources, name="nb.ipynb"):
    path = folder / name
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources]), path)
    return path


def test_names_come_back_and_given_globals_are_seen(tmp_path, monkeypatch):
    notebook(tmp_path, "import math\nSCALE = 3",
             "def scaled(x):\n    return SCALE * x + OFFSET\n\nlabels = load_labels()",
             "def load_labels():\n    raise RuntimeError('must not run')")
    monkeypatch.chdir(tmp_path)
    reused = cu.from_notebook("nb.ipynb", "scaled", "SCALE", OFFSET=1)
    assert reused.SCALE == 3 and reused.scaled(2) == 7
    assert not hasattr(reused, "labels")


def test_a_missing_notebook_or_name_says_which(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="03_vae.ipynb is not next to this notebook"):
        cu.from_notebook("03_vae.ipynb", "VAE")
    notebook(tmp_path, "def f():\n    return 1")
    with pytest.raises(NameError, match="does not define g"):
        cu.from_notebook("nb.ipynb", "f", "g")


def test_source_is_readable_and_the_cache_key_survives_a_reload(tmp_path, monkeypatch):
    """inspect.getsource sees the cell's text, so @cu.cached finds what an earlier load trained."""
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    calls = tmp_path / "calls.txt"
    notebook(tmp_path, "import course_utils as cu\nimport torch\n\n\n"
                       f"@cu.cached\ndef train(x):\n    open({str(calls)!r}, 'a').write('x')\n    return x * 2")
    monkeypatch.chdir(tmp_path)
    first = cu.from_notebook("nb.ipynb", "train").train
    assert inspect.getsource(first).startswith("@cu.cached\ndef train(x):")
    x = torch.arange(3.0)
    assert torch.equal(first(x), 2 * x)
    import course_utils.cache as cache

    cache._memory.clear()
    again = cu.from_notebook("nb.ipynb", "train").train
    assert torch.equal(again(x), 2 * x)
    assert calls.read_text() == "x", "the reloaded function retrained instead of reading the cache"


def test_figures_made_by_the_loaded_cells_are_closed(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    notebook(tmp_path, "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\n\ndef f():\n    return 1")
    monkeypatch.chdir(tmp_path)
    mine = plt.figure()
    before = set(plt.get_fignums())
    cu.from_notebook("nb.ipynb", "f")
    assert set(plt.get_fignums()) == before and plt.fignum_exists(mine.number)
    plt.close(mine)


def test_the_course_vae_and_probe_are_reusable(monkeypatch):
    """What 06 does with the instructor's 03 and 05 (papermill runs 06 with cwd=solutions/)."""
    monkeypatch.chdir(paths.SOLUTIONS)
    monkeypatch.setenv("COURSE_FAST", "1")
    x, y = cu.data.digits("train", binarize=True)
    x_test, y_test = cu.data.digits("test", binarize=True)
    x, x_test = x.flatten(1)[:300], x_test.flatten(1)[:50]
    vae03 = cu.from_notebook("03_vae.ipynb", "VAE", "fit_vae", "evaluate_bounds", "LATENT", "HIDDEN")
    vae = vae03.VAE(64, vae03.LATENT, vae03.HIDDEN)
    vae.load_state_dict(vae03.fit_vae.__wrapped__(x, vae03.LATENT, 1.0, 20, vae03.HIDDEN)["state"])
    torch.manual_seed(0)
    scores = vae03.evaluate_bounds(vae.eval(), x_test, 50)
    assert 0 < scores["neg_iwae"] <= scores["neg_elbo"] + 0.5
    ssl05 = cu.from_notebook("05_ssl.ipynb", "few_label_accuracy", y_train=y[:300], y_test=y_test[:50])
    accuracy = ssl05.few_label_accuracy(x, x_test)
    assert 0.3 < accuracy["linear"] <= 1 and 0.3 < accuracy["knn"] <= 1


def test_an_unfinished_notebook_raises_from_its_own_function(tmp_path, monkeypatch):
    """A student's blank 03: the names load, calling them raises NotImplementedError (06 prints a note)."""
    import shutil

    shutil.copy(paths.NOTEBOOKS / "03_vae.ipynb", tmp_path / "03_vae.ipynb")
    monkeypatch.chdir(tmp_path)
    vae03 = cu.from_notebook("03_vae.ipynb", "VAE", "negative_elbo")
    with pytest.raises(NotImplementedError):
        vae03.negative_elbo(torch.zeros(2, 4), torch.zeros(2, 4), torch.zeros(2, 1), torch.zeros(2, 1))
