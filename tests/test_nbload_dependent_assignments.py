"""autograder.nbload: assignments that use a skipped result are skipped too."""
import nbformat

from autograder.nbload import definitions


def test_assignments_that_need_a_trained_model_are_skipped(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in (
        "import math\nSTEPS = 10",
        "def train(steps):\n    raise RuntimeError('must not run')",
        "model = train(STEPS)\nweights = model.weight\nscale = math.sqrt(STEPS)",
    )]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    ns = definitions(path)
    assert ns["STEPS"] == 10 and callable(ns["train"])
    assert "model" not in ns and "weights" not in ns
    assert ns["scale"] == 10 ** 0.5


def test_assignments_that_fail_on_a_skipped_value_are_skipped(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in (
        "def train():\n    raise RuntimeError('must not run')",
        "runs = {}\nfor beta in (1, 2):\n    runs[beta] = train()\nwidth = 0.8 / len(runs)\nafter = 1",
    )]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    ns = definitions(path)
    assert ns["runs"] == {} and "width" not in ns and ns["after"] == 1
