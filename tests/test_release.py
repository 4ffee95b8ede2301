"""The release: markers, the student notebook, the tests files, and the committed release."""
import copy
import json
import subprocess
import sys

import nbformat
import pytest

from autograder import paths, release
from autograder.release import markers
from conftest import ROOT


def code(src, **kw):
    return nbformat.v4.new_code_cell(src, **kw)


def md(src):
    return nbformat.v4.new_markdown_cell(src)


def toy(tmp_path, cells, name="99_toy"):
    nb = nbformat.v4.new_notebook(cells=cells)
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


SETUP = code("import course_utils as cu\ngrader = cu.Checker('99_toy')")
ANSWER = code("def square(x):\n    # BEGIN SOLUTION\n    y = x * x\n    return y\n    # END SOLUTION\n")
PUBLIC = code("# TESTS\n@cu.test('square', points=1)\ndef square_of_three(nb):\n    assert nb.square(3) == 9\n")
HIDDEN = code("# BEGIN HIDDEN TESTS\n@cu.test('square', points=2, hint='Does it work for negative numbers?')\n"
              "def square_of_negative_numbers_secret(nb):\n    assert nb.square(-4) == 16\n# END HIDDEN TESTS\n")
CHECK = code('grader.check("square")')
MANUAL = md("<!-- MANUAL why points=3 -->\nExplain.\n<!-- BEGIN SOLUTION -->\nBecause of Jensen.\n<!-- END SOLUTION -->")


def built(tmp_path, cells):
    files = release.build(toy(tmp_path, cells))
    student = nbformat.reads(files[paths.NOTEBOOKS / "99_toy.ipynb"], 4)
    return student, files[paths.CHECKS / "99_toy.py"], files[paths.TESTS / "99_toy" / "hidden.py"]


def test_solution_regions_become_prompts_at_their_indentation(tmp_path):
    student, public, hidden = built(tmp_path, [SETUP, ANSWER, PUBLIC, HIDDEN, CHECK, MANUAL])
    answer = student.cells[1].source
    assert "y = x * x" not in answer
    assert "    # YOUR CODE HERE\n    raise NotImplementedError" in answer
    assert "Because of Jensen" not in student.cells[-1].source and markers.MARKDOWN_PROMPT in student.cells[-1].source


def test_tests_leave_the_notebook_for_their_files(tmp_path):
    student, public, hidden = built(tmp_path, [SETUP, ANSWER, PUBLIC, HIDDEN, CHECK, MANUAL])
    text = json.dumps(student)
    assert "square_of_three" not in text and "secret" not in text
    assert "def square_of_three" in public and "secret" not in public
    assert "def square_of_negative_numbers_secret" in hidden and "square_of_three" not in hidden
    assert len(student.cells) == 4


def test_test_helpers_are_written_once_and_land_in_both_files(tmp_path):
    helpers = code("# TEST HELPERS\ndef _nine():\n    return 9\n")
    public = code("# TESTS\n@cu.test('square', points=1)\ndef square_is_nine(nb):\n    assert nb.square(3) == _nine()\n")
    hidden = code("# BEGIN HIDDEN TESTS\n@cu.test('square', points=1, hint='Negative numbers?')\n"
                  "def square_of_minus_three(nb):\n    assert nb.square(-3) == _nine()\n# END HIDDEN TESTS\n")
    student, public_text, hidden_text = built(tmp_path, [SETUP, ANSWER, helpers, public, hidden, CHECK])
    assert "_nine" not in json.dumps(student) and len(student.cells) == 3
    for text in (public_text, hidden_text):
        assert text.count("def _nine():") == 1
        assert text.index("def _nine():") < text.index("@cu.test(")  # helpers first: any test may use them
    assert "minus_three" not in public_text


def test_a_helper_written_in_both_tests_cells_is_refused(tmp_path):
    """The public and hidden copies of a helper drift apart (one gets fixed, the other not)."""
    twice = "def _nine():\n    return 9\n\n\n"
    public = code("# TESTS\n" + twice + PUBLIC.source.split("\n", 1)[1])
    hidden = code("# BEGIN HIDDEN TESTS\n" + twice + HIDDEN.source.split("\n", 1)[1])
    with pytest.raises(markers.MarkerError, match="_nine defined in both public and hidden.*TEST HELPERS"):
        release.build(toy(tmp_path, [SETUP, ANSWER, public, hidden, CHECK]))


def test_grade_cells_carry_nbgrader_metadata(tmp_path):
    student, _, _ = built(tmp_path, [SETUP, ANSWER, PUBLIC, HIDDEN, CHECK, MANUAL])
    check = student.cells[2].metadata
    assert check["nbgrader"] == {"schema_version": 3, "grade": True, "solution": False, "locked": True,
                                 "points": 3.0, "grade_id": "square"}
    assert check["editable"] is False and check["deletable"] is False
    assert student.cells[1].metadata["nbgrader"]["solution"] is True
    manual = student.cells[3].metadata["nbgrader"]
    assert manual["grade"] and manual["solution"] and manual["points"] == 3.0 and manual["grade_id"] == "why"


def test_release_is_deterministic_and_clean(tmp_path):
    first = release.build(toy(tmp_path, [SETUP, ANSWER, PUBLIC, CHECK]))
    second = release.build(toy(tmp_path, [SETUP, ANSWER, PUBLIC, CHECK]))
    assert first == second
    student = nbformat.reads(first[paths.NOTEBOOKS / "99_toy.ipynb"], 4)
    assert all(c.get("outputs", []) == [] for c in student.cells)


@pytest.mark.parametrize("cells, message", [
    ([SETUP, code("def f():\n    # BEGIN SOLUTION\n    return 1\n"), PUBLIC, CHECK], "never closed"),
    ([SETUP, code("x = 1\n# END SOLUTION\n"), PUBLIC, CHECK], "without BEGIN"),
    ([SETUP, code("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n"), PUBLIC, CHECK], "inside another"),
    ([SETUP, ANSWER, PUBLIC], "no grader.check"),
    ([SETUP, ANSWER, PUBLIC, CHECK, code('grader.check("cube")')], "no tests for 'cube'"),
    ([SETUP, ANSWER, HIDDEN, CHECK], "no public check"),
    ([SETUP, ANSWER, PUBLIC, CHECK, CHECK], "second grader.check"),
    ([SETUP, ANSWER, code("# TESTS\n@cu.test('square')\ndef t(nb):\n    assert scipy.stats\n"), CHECK],
     "scipy used but not defined"),
    ([SETUP, ANSWER, code("@cu.test('square')\ndef t(nb):\n    pass\n"), PUBLIC, CHECK], "outside a '# TESTS'"),
    ([SETUP, ANSWER, PUBLIC, code("# BEGIN HIDDEN TESTS\n@cu.test('square')\ndef h(nb):\n    pass\n"), CHECK],
     "must end with"),
    ([SETUP, ANSWER, PUBLIC, copy.deepcopy(PUBLIC), CHECK], "defined twice"),
    ([SETUP, ANSWER, PUBLIC, code("# BEGIN HIDDEN TESTS\n@cu.test('square')\ndef h(nb):\n    pass\n# END HIDDEN TESTS"),
      CHECK], "has no hint="),
    ([SETUP, ANSWER, PUBLIC, code("# BEGIN HIDDEN TESTS\n@cu.test('square', hint='  ')\ndef h(nb):\n    pass\n"
                                  "# END HIDDEN TESTS"), CHECK], "has no hint="),
    ([SETUP, ANSWER, code("# TESTS\n@cu.test('square', uses=['cube'])\ndef t(nb):\n    pass\n"), CHECK],
     "uses=\\['cube'\\], which the notebook does not define"),
])
def test_authoring_mistakes_are_refused_with_a_reason(tmp_path, cells, message):
    with pytest.raises(markers.MarkerError, match=message):
        release.build(toy(tmp_path, cells))


def test_uses_may_name_any_function_or_class_the_notebook_defines(tmp_path):
    helper = code("def double(x):\n    return 2 * x\n\nclass Box:\n    pass\n")
    uses = code("# TESTS\n@cu.test('square', uses=['double', 'Box'])\ndef t(nb):\n    assert nb.square(3) == 9\n")
    files = release.build(toy(tmp_path, [SETUP, helper, ANSWER, uses, CHECK]))
    assert "uses=['double', 'Box']" in files[paths.CHECKS / "99_toy.py"]


def test_every_hidden_test_of_the_course_has_a_hint():
    from course_utils import checks

    for hidden in paths.TESTS.glob("*/hidden.py"):
        for t in checks.load_tests(hidden, hidden=True):
            assert len(t.hint.split()) >= 5, f"{hidden.parent.name}/{t.name}: hint {t.hint!r} says too little"


def test_undefined_names_sees_through_nested_scopes():
    assert release.undefined_names("import os\ndef f():\n    g = lambda: os.sep + sep\n    return [k for k in ks]\n") == {"sep", "ks"}
    assert release.undefined_names("def f(a):\n    def g():\n        return a\n    return g, len\n") == set()


# --- the committed release --------------------------------------------------------------------

def test_committed_release_is_in_sync_with_solutions():
    result = subprocess.run([sys.executable, "-m", "autograder", "release", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_solution_has_a_release_and_the_same_basenames():
    assert {p.name for p in paths.SOLUTIONS.glob("*.ipynb")} == {p.name for p in paths.NOTEBOOKS.glob("*.ipynb")}
    assert paths.assignments(), "no assignments found"


def solution_and_hidden_lines():
    """Per notebook, every substantial line that only a solution region or a hidden tests cell has
    (lines the instructor also wrote in public, like ``with torch.no_grad():``, are not secrets)."""
    found = {}
    for sol in sorted(paths.SOLUTIONS.glob("*.ipynb")):
        secret, public = set(), set()
        for cell in nbformat.read(sol, 4).cells:
            hidden_cell = markers.kind(cell) == "hidden-tests"
            inside = hidden_cell
            for line in cell.source.splitlines():
                if "BEGIN SOLUTION" in line or "END SOLUTION" in line:
                    inside = "BEGIN" in line or hidden_cell
                    continue
                s = line.strip()
                (secret if inside else public).add(s)
        found[sol.stem] = {s for s in secret - public
                           if len(s) >= 20 and not s.startswith(("#", "<!--", '"""', "import ", "from ", "@cu.test("))}
    return found


def test_no_solution_or_hidden_line_is_published():
    for name, secret in solution_and_hidden_lines().items():
        release = nbformat.read(paths.NOTEBOOKS / f"{name}.ipynb", 4)
        published = "\n".join(c.source for c in release.cells) + "\n" + (paths.CHECKS / f"{name}.py").read_text()
        leaked = sorted(secret & {line.strip() for line in published.splitlines()})
        assert not leaked, f"{name}: {len(leaked)} lines leaked, e.g. {leaked[:3]}"


def test_no_hidden_test_name_is_published():
    from course_utils import checks

    published = "\n".join(p.read_text() for p in paths.NOTEBOOKS.rglob("*") if p.is_file())
    for hidden in paths.TESTS.glob("*/hidden.py"):
        for t in checks.load_tests(hidden, hidden=True):
            assert t.name not in published, f"hidden test {t.name} appears in notebooks/"


def test_shared_leak_scanner_agrees_when_available():
    scanner = ROOT.parent / "shared" / "tools" / "leakscan.py"
    if not scanner.exists():
        pytest.skip("the course's shared leak scanner is not beside this checkout")
    result = subprocess.run([sys.executable, str(scanner), "solutions", "notebooks"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_committed_notebooks_carry_no_outputs():
    for path in list(paths.SOLUTIONS.glob("*.ipynb")) + list(paths.NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, 4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{path.name} has outputs"
        assert nb.metadata.get("kernelspec", {}).get("name") == "python3", f"{path.name}: kernelspec"
