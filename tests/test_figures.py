"""Figure sanity (course_utils/figures.py): every figure a solution draws under papermill is
finite, shows data, and has a title and axis labels; a failure names the cell."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from autograder import demo  # noqa: E402
from course_utils import figures, plot  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_a_good_figure_has_no_problems():
    fig, axes = plt.subplots(1, 3, figsize=(9, 3), sharey=True)
    axes[0].plot([0, 1], [0, 1])
    axes[0].set(xlabel="t", ylabel="value", title="a line")
    axes[1].bar([0, 1], [1, 2])
    axes[1].set(xlabel="bin", title="bars (the y label is shared)")
    plot.image_grid(np.random.rand(4, 8, 8), ax=axes[2], title="images need no axis labels")
    im = axes[0].imshow(np.random.rand(3, 3))
    fig.colorbar(im, ax=axes[0])                               # colorbars are exempt
    assert figures.problems(fig) == []
    fig, ax = plt.subplots()
    plot.density_2d(np.random.rand(50, 2), ax=ax, title="no ticks, no labels needed")
    assert figures.problems(fig) == []


@pytest.mark.parametrize("draw, problem", [
    (lambda ax: ax.plot([0, 1, 2], [0.0, np.inf, 1.0], label="JS"), "Line2D 'JS' has NaN or infinite values"),
    (lambda ax: ax.scatter([0, 1], [np.nan, 1]), "PathCollection has NaN or infinite values"),
    (lambda ax: ax.bar([0, 1], [1.0, np.nan]), "Rectangle has NaN or infinite values"),
    (lambda ax: ax.quiver([0, 1], [0, 1], [1, np.nan], [1, 1]), "Quiver has NaN or infinite values"),
    (lambda ax: ax.imshow(np.array([[0.0, np.nan], [1.0, 2.0]])), "AxesImage has NaN or infinite values"),
    (lambda ax: None, "no data drawn"),
])
def test_non_finite_data_and_empty_panels_are_found(draw, problem):
    fig, ax = plt.subplots()
    draw(ax)
    ax.set(xlabel="x", ylabel="y", title="t")
    assert any(problem in p for p in figures.problems(fig)), figures.problems(fig)


def test_missing_titles_and_labels_are_found():
    fig, axes = plt.subplots(1, 2)
    for ax in axes:
        ax.plot([0, 1], [1, 0])
    axes[0].set(xlabel="x", ylabel="y", title="complete")
    found = figures.problems(fig)
    assert found == ["axes 2 of 2: no title", "axes 2 of 2: no x-axis label", "axes 2 of 2: no y-axis label"]
    fig.suptitle("one title for the figure")
    assert "axes 2 of 2: no title" not in figures.problems(fig)


def test_the_hook_checks_closes_and_reports(tmp_path):
    report = tmp_path / "report.jsonl"
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, np.nan])
    figures.check_open_figures(report)
    assert not plt.get_fignums(), "checked figures are closed, as the inline backend does"
    assert "NaN or infinite" in report.read_text() and "no title" in report.read_text()


def toy_notebook(path, cells):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("FAST = False", metadata={"tags": ["parameters"]})]
                                  + [nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.mark.notebook
def test_a_papermill_run_names_the_cell_of_a_wrong_figure(tmp_path):
    source = toy_notebook(tmp_path / "toy.ipynb", [
        "import course_utils as cu\nimport matplotlib.pyplot as plt\nimport numpy as np",
        "fig, ax = plt.subplots()\nax.plot([1, 2], [1, 2])\nax.set(xlabel='x', ylabel='y', title='fine')\nplt.show()",
        "fig, ax = plt.subplots()\nax.plot([1, 2], [np.inf, 2], label='JS')\nplt.show()",
    ])
    with pytest.raises(demo.FigureProblems) as error:
        demo.execute_notebook(source, tmp_path / "out.ipynb", tmp_path / "cache", timeout=120)
    text = str(error.value)
    assert "toy.ipynb, cell 4" in text and "Line2D 'JS' has NaN or infinite values" in text and "no title" in text
    assert "cell 3" not in text, "the good figure's cell is not blamed"
    demo.execute_notebook(source, tmp_path / "out.ipynb", tmp_path / "cache", timeout=120, check_figures=False)
