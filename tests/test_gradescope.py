"""Scale-out on an existing engine: the otter-grader autograder zip for Gradescope, unzipped
and run locally with `otter run` on a solved and a blank submission."""
import json
import subprocess
import sys
import zipfile

import nbformat
import pytest

from autograder import grade, mutants, paths
from autograder.release import otter

A = "01_divergences"


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    return otter.build(A, tmp_path_factory.mktemp("gradescope"))


def test_zip_holds_every_question_with_hidden_cases_marked(autograder_zip, tmp_path):
    with zipfile.ZipFile(autograder_zip) as z:
        z.extractall(tmp_path)
        names = set(z.namelist())
    questions = grade.load_assignment(A).questions
    assert {f"tests/{q}.py" for q in questions} <= names
    assert {"run_autograder", "setup.sh", "files/checks/01_divergences.py", "files/course_utils/checks.py"} <= names
    # otter 7 folds requirements.txt into the zip's conda environment: the CPU wheels of torch
    environment = (tmp_path / "environment.yml").read_text()
    assert "download.pytorch.org/whl/cpu" in environment and "torch>=" in environment
    from otter.test_files import ExceptionTestFile

    test_file = ExceptionTestFile.from_file(str(tmp_path / "tests" / "kl_normal.py"))
    assert [(c.name, c.hidden) for c in test_file.test_cases] == [
        ("kl_normal_known_values", False), ("kl_normal_matches_torch_distributions", True)]
    assert sum(c.points for c in test_file.test_cases) == questions["kl_normal"]


@pytest.mark.parametrize("student, expected", [("solved", "full"), ("blank", "zero")])
def test_otter_run_grades_like_the_course_grader(autograder_zip, tmp_path, student, expected):
    nb = mutants.student_copy(A) if student == "solved" else nbformat.read(paths.NOTEBOOKS / f"{A}.ipynb", 4)
    nbformat.write(nb, tmp_path / "submission.ipynb")
    result = subprocess.run([sys.executable, "-m", "otter", "run", "-a", str(autograder_zip), "submission.ipynb",
                             "-o", ".", "--no-logo"], cwd=tmp_path, capture_output=True, text=True,
                            env={**__import__("os").environ, "COURSE_FAST": "1"}, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    scores = {t["name"]: (t["score"], t["max_score"]) for t in results["tests"] if t["name"] != "Public Tests"}
    maximum = sum(grade.load_assignment(A).questions.values())
    total = sum(s for s, _ in scores.values())
    assert total == (maximum if expected == "full" else 0), scores
