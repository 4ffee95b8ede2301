"""autograder.nbload: a benchmark reuses a notebook's definitions without running its training."""
import nbformat

from autograder.nbload import definitions


def notebook(tmp_path, *sources):
    path = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources]), path)
    return path


def test_keeps_definitions_and_skips_what_depends_on_training(tmp_path):
    path = notebook(
        tmp_path,
        "import math\nSTEPS = 3\nruns = {}",
        "def train(n):\n    raise RuntimeError('training must not run')\n\nclass Box:\n    pass",
        "model = train(STEPS)\nopt = model.parameters()\nscale = math.sqrt(STEPS)",
        "for k in range(2):\n    runs[k] = train(k)\nbest = max(runs.values())\nlabel = f'best {best}'",
        "%matplotlib inline",
    )
    ns = definitions(path)
    assert ns["STEPS"] == 3 and ns["scale"] == math_sqrt(3) and callable(ns["train"]) and "Box" in ns
    for name in ("model", "opt", "best", "label"):  # a skipped call, a name it binds, one that raises
        assert name not in ns, name


def math_sqrt(x):
    import math

    return math.sqrt(x)


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
