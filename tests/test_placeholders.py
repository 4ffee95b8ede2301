"""Run All through a half-finished notebook (course_utils/placeholders.py), in a real IPython
shell: unfinished answers show one line instead of a traceback, the cells count as done, and
everything else still shows its traceback."""
import pytest

from course_utils import placeholders


@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    authoring = {"on": False}
    hook = placeholders.install(authoring=lambda: authoring["on"])
    sh.authoring = authoring
    yield sh
    hook.uninstall()
    InteractiveShell.clear_instance()


def run(shell, capsys, code):
    result = shell.run_cell(code)
    out = capsys.readouterr()
    return result, out.out + out.err


def test_an_unfinished_answer_shows_one_line_and_the_cell_counts_as_done(shell, capsys):
    run(shell, capsys, "def kl_normal(a):\n    # YOUR CODE HERE\n    raise NotImplementedError")
    result, text = run(shell, capsys, "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
                                      "fig, ax = plt.subplots()\nvalues = kl_normal(1.0)\nax.plot(values)")
    assert result.success, "the cell must count as done, so that Run All goes on"
    assert "⏳ kl_normal is not implemented yet" in text and "Traceback" not in text
    assert not __import__("matplotlib.pyplot").pyplot.get_fignums(), "the half-drawn figure is closed"
    # a later cell that needs what the unfinished cell would have defined: one line too
    result, text = run(shell, capsys, "print(values + 1)")
    assert result.success and "skipped: this cell needs values" in text and "kl_normal is not implemented" in text
    result, text = run(shell, capsys, "total = values * 2")          # and its own names wait in turn
    result, text = run(shell, capsys, "total + 1")
    assert result.success and "needs total" in text


def test_methods_and_containers_filled_in_a_loop(shell, capsys):
    run(shell, capsys, "class Autoencoder:\n    def __init__(self):\n        raise NotImplementedError\n\nruns = {}")
    result, text = run(shell, capsys, "for name in ('a', 'b'):\n    runs[name] = Autoencoder()")
    assert result.success and "Autoencoder is not implemented yet" in text
    result, text = run(shell, capsys, "print(runs['a'])")              # a KeyError on a container it was filling
    assert result.success and "needs runs" in text


def test_other_errors_keep_their_traceback(shell, capsys):
    result, text = run(shell, capsys, "1 / 0")
    assert not result.success and "ZeroDivisionError" in text and "⏳" not in text
    result, text = run(shell, capsys, "print(never_defined)")
    assert not result.success and "NameError" in text
    # a library's NotImplementedError has a message and is a real problem: shown in full
    result, text = run(shell, capsys, "def f():\n    raise NotImplementedError('no kernel for this device')\nf()")
    assert not result.success and "no kernel for this device" in text


def test_implementing_the_answer_clears_the_placeholder(shell, capsys):
    run(shell, capsys, "def f():\n    raise NotImplementedError")
    run(shell, capsys, "y = f()")
    assert "y" in shell._course_placeholders.pending
    run(shell, capsys, "def f():\n    return 1")
    result, _ = run(shell, capsys, "y = f()")
    assert result.success and "y" not in shell._course_placeholders.pending
    result, text = run(shell, capsys, "y.missing_attribute")            # now a real error: a real traceback
    assert not result.success and "AttributeError" in text


def test_the_instructor_notebook_hides_nothing(shell, capsys):
    shell.authoring["on"] = True
    run(shell, capsys, "def f():\n    raise NotImplementedError")
    result, text = run(shell, capsys, "f()")
    assert not result.success and "NotImplementedError" in text and "⏳" not in text


def test_bound_and_read_names():
    import ast

    tree = ast.parse("import numpy as np\nfrom a import b\nx, (y, z) = 1, (2, 3)\nruns['r'][k] = 1\nm.attr = 2\n"
                     "for i in range(3):\n    acc = i\ndef f(u):\n    local = u\nclass C:\n    field = 1\n"
                     "with open('f') as fh:\n    pass\nw = [q for q in range(2)]")
    assert placeholders.bound_names(tree) == {"np", "b", "x", "y", "z", "runs", "m", "i", "acc", "f", "C", "fh", "w", "q"}
    assert set(placeholders.read_names(ast.parse("a + b(c)\nprint(a)"))) == {"print", "a", "b", "c"}


def test_a_second_checker_keeps_the_names_still_pending(shell, capsys, tmp_path):
    """06 reuses 03 through cu.from_notebook, which runs 03's ``grader = cu.Checker("03_vae")``:
    that second Checker must not forget what the unfinished cells above would have defined."""
    import nbformat

    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        'import course_utils as cu\ngrader = cu.Checker("03_vae")\n\ndef helper():\n    return 1')])
    nbformat.write(other, tmp_path / "other.ipynb")
    run(shell, capsys, "def kl_normal(a):\n    # YOUR CODE HERE\n    raise NotImplementedError")
    run(shell, capsys, "values = kl_normal(1.0)")
    result, text = run(shell, capsys, f"import course_utils as cu\nh = cu.from_notebook({str(tmp_path / 'other.ipynb')!r}, 'helper')")
    assert result.success, text
    result, text = run(shell, capsys, "print(values + 1)")
    assert result.success and "skipped: this cell needs values" in text, text
